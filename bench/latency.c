/*
 * latency.c - in-process cost of one prediction with the embedded model.
 * Scores each line of FILE (default: SST-2 dev sentences) one call at a time, many rounds,
 * and prints the median, p90, p99 of the per-call time and the single-thread throughput.
 *   build/bench-latency [FILE] [ROUNDS]
 */
#ifndef _GNU_SOURCE
#ifndef _GNU_SOURCE /* the Makefile passes -D_GNU_SOURCE */
#define _GNU_SOURCE
#endif
#endif
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/base.h" /* senti__now_s, the one monotonic clock */
#include "senti.h"

static int cmpd(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

int main(int argc, char **argv) {
    const char *path = argc > 1 ? argv[1] : "../shared/data/sst2/dev.tsv";
    int rounds = argc > 2 ? atoi(argv[2]) : 200;
    FILE *f = fopen(path, "r");
    if (!f) {
        perror(path);
        return 1;
    }
    char **t = NULL;
    size_t *l = NULL, n = 0, cap = 0, lc = 0, bytes = 0;
    char *line = NULL;
    ssize_t r;
    while ((r = getline(&line, &lc, f)) > 0) {
        if (line[r - 1] == '\n') line[--r] = 0;
        char *tab = strchr(line, '\t');
        char *s = tab ? tab + 1 : line;
        if (tab && n == 0 && (strstr(line, "label") == line)) continue; /* header */
        if (n == cap) {
            cap = cap ? cap * 2 : 1024;
            t = realloc(t, cap * sizeof *t);
            l = realloc(l, cap * sizeof *l);
        }
        t[n] = strdup(s);
        l[n] = strlen(s);
        bytes += l[n];
        n++;
    }
    fclose(f);
    free(line);
    senti_model *m;
    double t0 = senti__now_s();
    if (senti_model_open_default(NULL, &m)) return 1;
    double load = senti__now_s() - t0;
    senti_ctx *ctx;
    senti_ctx_new(m, &ctx);
    senti_result res;
    double *per = malloc(n * sizeof *per), sink = 0;
    for (size_t i = 0; i < n; i++) senti_predict(m, ctx, t[i], l[i], &res); /* warm-up */
    /* per-sentence cost: the median over rounds of the time of each sentence */
    double *times = malloc((size_t)rounds * sizeof *times);
    for (size_t i = 0; i < n; i++) {
        for (int k = 0; k < rounds; k++) {
            double a = senti__now_s();
            senti_predict(m, ctx, t[i], l[i], &res);
            times[k] = senti__now_s() - a;
            sink += res.score;
        }
        qsort(times, (size_t)rounds, sizeof *times, cmpd);
        per[i] = times[rounds / 2];
    }
    qsort(per, n, sizeof *per, cmpd);
    double a = senti__now_s();
    for (int k = 0; k < rounds; k++)
        for (size_t i = 0; i < n; i++) {
            senti_predict(m, ctx, t[i], l[i], &res);
            sink += res.score;
        }
    double el = senti__now_s() - a;
    printf("model load          %.1f us\n", load * 1e6);
    printf("texts               %zu (mean %.1f bytes)\n", n, (double)bytes / (double)n);
    printf("single prediction   median %.3f us, p90 %.3f us, p99 %.3f us, max %.3f us\n",
           per[n / 2] * 1e6, per[n * 9 / 10] * 1e6, per[n * 99 / 100] * 1e6, per[n - 1] * 1e6);
    printf("throughput 1 thread %.0f texts/s, %.1f MB/s\n", (double)n * rounds / el,
           (double)bytes * rounds / el / 1e6);
    fprintf(stderr, "(checksum %.3f)\n", sink);
    senti_ctx_free(ctx);
    senti_model_free(m);
    return 0;
}
