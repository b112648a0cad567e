/*
 * metrics.h - lock-free counters and histograms for the Prometheus /metrics endpoint.
 *
 * Every value is a relaxed atomic: writers (the HTTP threads) never take a lock, and the
 * scrape reads a consistent-enough snapshot (each series is exact; series may be a few
 * increments apart from each other, as Prometheus clients normally are).
 */
#ifndef SENTI_SERVE_METRICS_H
#define SENTI_SERVE_METRICS_H

#include <stddef.h>
#include <stdint.h>

#include "serve/util.h"

#define HIST_MAX_BUCKETS 20

typedef struct hist {
    int n;                           /* finite upper bounds */
    const double *bounds;            /* ascending, in the unit the series is exported in */
    uint64_t counts[HIST_MAX_BUCKETS + 1]; /* per bucket (not cumulative); [n] = +Inf */
    uint64_t count;
    double sum_scale;                /* sum is stored as an integer of value/sum_scale */
    uint64_t sum;
} hist;

void hist_init(hist *h, const double *bounds, int n, double sum_scale);
/* Observe v (in exported units); v_raw = v / sum_scale rounded, for the sum. */
void hist_observe(hist *h, double v);
/* Render the _bucket/_sum/_count lines of one series; labels like `route="x"` or "". */
void hist_render(sbuf *b, const char *name, const char *labels, const hist *h);

/* Process metrics (process_*), read from /proc/self; start_time is unix seconds. */
void process_metrics_render(sbuf *b, double start_time);

/* # HELP and # TYPE lines. */
void metric_head(sbuf *b, const char *name, const char *type, const char *help);

#endif
