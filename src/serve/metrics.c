/* metrics.c - histograms and process metrics in Prometheus text format 0.0.4. */
#include "serve/metrics.h"

#include "senti.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#define ADD(p, v) __atomic_fetch_add(&(p), (v), __ATOMIC_RELAXED)
#define LOAD(p) __atomic_load_n(&(p), __ATOMIC_RELAXED)

void hist_init(hist *h, const double *bounds, int n, double sum_scale) {
    memset(h, 0, sizeof *h);
    h->n = n < HIST_MAX_BUCKETS ? n : HIST_MAX_BUCKETS;
    h->bounds = bounds;
    h->sum_scale = sum_scale;
}

void hist_observe(hist *h, double v) {
    int i = 0;
    while (i < h->n && v > h->bounds[i]) i++;
    ADD(h->counts[i], 1);
    ADD(h->count, 1);
    double raw = v / h->sum_scale + 0.5;
    ADD(h->sum, raw > 0 ? (uint64_t)raw : 0);
}

void hist_render(sbuf *b, const char *name, const char *labels, const hist *h) {
    uint64_t cum = 0;
    const char *sep = labels[0] ? "," : "";
    for (int i = 0; i <= h->n; i++) {
        cum += LOAD(h->counts[i]);
        sb_printf(b, "%s_bucket{%s%sle=\"", name, labels, sep);
        if (i < h->n) sb_double(b, h->bounds[i]);
        else sb_str(b, "+Inf");
        sb_printf(b, "\"} %llu\n", (unsigned long long)cum);
    }
    /* count is read after the buckets, so that it never falls below the +Inf bucket */
    uint64_t count = LOAD(h->count);
    if (count < cum) count = cum;
    sb_printf(b, "%s_sum%s%s%s ", name, labels[0] ? "{" : "", labels, labels[0] ? "}" : "");
    sb_double(b, (double)LOAD(h->sum) * h->sum_scale);
    sb_printf(b, "\n%s_count%s%s%s %llu\n", name, labels[0] ? "{" : "", labels,
              labels[0] ? "}" : "", (unsigned long long)count);
}

void metric_head(sbuf *b, const char *name, const char *type, const char *help) {
    sb_printf(b, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void one(sbuf *b, const char *name, const char *type, const char *help, double v) {
    metric_head(b, name, type, help);
    sb_str(b, name);
    sb_put(b, " ", 1);
    sb_double(b, v);
    sb_put(b, "\n", 1);
}

void process_metrics_render(sbuf *b, double start_time) {
    long tick = sysconf(_SC_CLK_TCK), page = sysconf(_SC_PAGESIZE);
    double cpu = -1, vsize = -1, rss = -1;
    FILE *f = fopen("/proc/self/stat", "r");
    if (f) {
        char line[1024];
        if (fgets(line, sizeof line, f)) {
            /* fields after the parenthesized command name; utime=14 stime=15 vsize=23 rss=24 */
            char *p = strrchr(line, ')');
            unsigned long long ut, st, vs;
            long long rs;
            if (p && sscanf(p + 2,
                            "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu %*d %*d %*d %*d "
                            "%*d %*d %*u %llu %lld",
                            &ut, &st, &vs, &rs) == 4) {
                cpu = (double)(ut + st) / (double)tick;
                vsize = (double)vs;
                rss = (double)rs * (double)page;
            }
        }
        fclose(f);
    }
    long fds = -1;
    DIR *d = opendir("/proc/self/fd");
    if (d) {
        fds = 0;
        struct dirent *e;
        while ((e = readdir(d)))
            if (e->d_name[0] != '.') fds++;
        closedir(d);
        fds--; /* the directory stream itself */
    }
    struct rlimit rl;
    double maxfds = getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY
                        ? (double)rl.rlim_cur : -1;
    if (cpu >= 0) {
        one(b, "process_cpu_seconds_total", "counter", "Total user and system CPU time spent in seconds.", cpu);
        one(b, "process_virtual_memory_bytes", "gauge", "Virtual memory size in bytes.", vsize);
        one(b, "process_resident_memory_bytes", "gauge", "Resident memory size in bytes.", rss);
    }
    if (fds >= 0) one(b, "process_open_fds", "gauge", "Number of open file descriptors.", (double)fds);
    if (maxfds >= 0) one(b, "process_max_fds", "gauge", "Maximum number of open file descriptors.", maxfds);
    one(b, "process_start_time_seconds", "gauge", "Start time of the process since unix epoch in seconds.",
        start_time);
    /* the library's own accounting of the heap it holds (senti_memory_stats_get) */
    senti_memory_stats ms;
    senti_memory_stats_get(&ms);
    one(b, "senti_library_heap_bytes", "gauge", "Heap bytes held through the senti library's allocator now (models read into memory, scratch, the service's buffers).",
        (double)ms.current_bytes);
    one(b, "senti_library_heap_peak_bytes", "gauge", "The most heap bytes the senti library has held.",
        (double)ms.peak_bytes);
    one(b, "senti_library_allocations_total", "counter", "Allocations made by the senti library.",
        (double)ms.allocations);
}
