/*
 * bench.c - `senti bench`: the performance table and the measurements behind it.
 *
 * DESIGN
 *
 * Everything is measured in this process through the public API, on real texts (default: the
 * SST-2 dev sentences), with a warm-up pass before every series and several runs per series so
 * that the spread (min / median / max over runs) is visible next to each number:
 *
 *   load        senti_model_open + senti_model_free, timed per open (the first, cold, apart)
 *   single      one senti_predict per text with a warm context, each call timed on its own:
 *               p50/p90/p99/p99.9/max over every call of every run
 *   batch100    senti_predict_batch over 100 texts (all cores), each call timed
 *   memory      peak resident set of this process after the above (VmHWM) and the library's
 *               own heap accounting (senti_memory_stats_get)
 *   threads     throughput (texts/s, MB/s) of senti_predict_batch at 1..N threads
 *   length      single-thread throughput for texts cut to 16 B .. 64 KiB
 *
 * The table compares the four components of the seed page with its targets and with senti's
 * own stricter ones. Wall-clock numbers depend on the machine and its load: they are reported,
 * never asserted (the CI gate counts instructions instead: --workload, tools/perf-gate.py).
 *
 * --workload NAME runs one fixed workload once, inside a function of its own
 * (bench_wl_NAME), so that `valgrind --tool=callgrind --toggle-collect=bench_wl_NAME*` counts
 * exactly its instructions; see tools/perf-gate.py.
 */
#include <getopt.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>

#include "cli/cli.h"
#include "tools/outfile.h"
#include "tools/records.h"

#if defined(__GNUC__) && !defined(__clang__)
#define BENCH_NOINLINE __attribute__((noinline, noclone, used))
#else
#define BENCH_NOINLINE __attribute__((noinline, used))
#endif

static const char bench_usage[] =
    "usage: senti bench [options]\n"
    "\n"
    "Measure model loading, single-prediction latency (p50/p90/p99/max), a batch of 100,\n"
    "memory, throughput at 1..N threads and throughput against text length, with warm-up\n"
    "and repeated runs; print the performance table (seed targets and senti's own side by\n"
    "side) and write JSON, CSV and plot data to the output folder.\n"
    "\n"
    "options:\n"
    "  -d, --data FILE      texts: TSV/CSV-like with a header (column text, sentence,\n"
    "                       content or review) or one text per line\n"
    "                       (default: $SENTI_DATA_DIR/sst2/dev.tsv, ../shared/data/sst2/dev.tsv)\n"
    "  -r, --runs N         measured runs per series (default 5)\n"
    "  -w, --warmup N       warm-up passes before each series (default 1)\n"
    "  -j, --threads N      largest thread count of the throughput sweep (default: %d cores)\n"
    "  -o, --out DIR        write bench.json, bench.csv and plot data here (default build/bench;\n"
    "                       '-' writes nothing)\n"
    "      --only LIST      sections to run, comma-separated: load,single,batch,memory,threads,\n"
    "                       length (default: all)\n"
    "      --quick          fewer and shorter runs (smoke tests)\n"
    "      --json           print the JSON report on stdout instead of the table\n"
    "      --workload NAME  run one fixed workload once and exit, for instruction counting\n"
    "                       under callgrind: load, single, batch1000 (see make bench-check)\n"
    "  -h, --help           this help\n"
    "\n"
    "model:\n" CLI_MODEL_HELP
    "\n"
    "examples:\n"
    "  senti bench\n"
    "  senti bench --model vader:../shared/data/vader --only load,single,batch,memory\n"
    "  senti bench --json --out - | jq .table\n"
    "\n"
    "Numbers are wall-clock on this machine, now: compare runs on the same machine, and read\n"
    "the spread. `make benchmark` also draws the plots (gnuplot).\n";

/* ---- small helpers ------------------------------------------------------------------------- */

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* q-quantile of sorted a[0..n) (nearest rank). */
static double quant(const double *a, size_t n, double q) {
    if (!n) return 0;
    size_t i = (size_t)ceil(q * (double)n);
    return a[i ? (i > n ? n - 1 : i - 1) : 0];
}

typedef struct spread {
    double min, med, max;
} spread;

static spread spread_of(double *v, size_t n) {
    spread s = {0, 0, 0};
    if (!n) return s;
    qsort(v, n, sizeof *v, cmp_double);
    s.min = v[0];
    s.max = v[n - 1];
    s.med = n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
    return s;
}

/* kB from a line "Key:   123 kB" of /proc/self/status; 0 if unknown. */
static uint64_t proc_status_kb(const char *key) {
    FILE *f = fopen("/proc/self/status", "r");
    if (!f) return 0;
    char line[256];
    size_t kl = strlen(key);
    uint64_t v = 0;
    while (fgets(line, sizeof line, f))
        if (!strncmp(line, key, kl) && line[kl] == ':') {
            v = strtoull(line + kl + 1, NULL, 10);
            break;
        }
    fclose(f);
    if (!v) {
        struct rusage ru;
        if (!strcmp(key, "VmHWM") && getrusage(RUSAGE_SELF, &ru) == 0) v = (uint64_t)ru.ru_maxrss;
    }
    return v;
}

/* "1.23 us" style: t in seconds. The result lives in one of 16 rotating buffers, so that
 * one printf can format several numbers. */
static char *ring_buf(void) {
    static char bufs[16][32];
    static unsigned next;
    return bufs[next++ % 16];
}

static const char *fmt_time(double t) {
    char *buf = ring_buf();
    size_t size = 32;
    if (t < 1e-6) snprintf(buf, size, "%.0f ns", t * 1e9);
    else if (t < 1e-3) snprintf(buf, size, "%.2f us", t * 1e6);
    else if (t < 1) snprintf(buf, size, "%.2f ms", t * 1e3);
    else snprintf(buf, size, "%.2f s", t);
    return buf;
}

static const char *fmt_bytes(double b) {
    char *buf = ring_buf();
    size_t size = 32;
    if (b < 1024) snprintf(buf, size, "%.0f B", b);
    else if (b < 1024 * 1024) snprintf(buf, size, "%.1f KiB", b / 1024);
    else snprintf(buf, size, "%.1f MiB", b / (1024 * 1024));
    return buf;
}

/* ---- texts ----------------------------------------------------------------------------------- */

typedef struct corpus {
    char *buf;       /* the file's bytes (texts point into it) */
    senti_text *t;
    size_t n, bytes;
} corpus;

/* Lines of FILE; with a tab in the first line, a TSV with a header whose text column is the
 * first of text/sentence/content/review (else the last column). */
static int corpus_load(const char *path, corpus *c) {
    memset(c, 0, sizeof *c);
    FILE *f = fopen(path, "rb");
    if (!f) {
        cli_error("bench", "%s: cannot open (give --data FILE)", path);
        return -1;
    }
    size_t cap = 1 << 20, len = 0, k;
    c->buf = xmalloc(cap + 1);
    while ((k = fread(c->buf + len, 1, cap - len, f)) > 0) {
        len += k;
        if (len == cap) {
            cap *= 2;
            char *nb = realloc(c->buf, cap + 1);
            if (!nb) {
                fclose(f);
                cli_error("bench", "%s: out of memory", path);
                return -1;
            }
            c->buf = nb;
        }
    }
    int bad = ferror(f);
    fclose(f);
    if (bad) {
        cli_error("bench", "%s: read error", path);
        return -1;
    }
    c->buf[len] = '\0';
    size_t lines = 1;
    for (size_t i = 0; i < len; i++) lines += c->buf[i] == '\n';
    c->t = xmalloc(lines * sizeof *c->t);
    const char *p = c->buf, *end = c->buf + len;
    const char *nl = memchr(p, '\n', len);
    int tsv = memchr(p, '\t', (size_t)((nl ? nl : end) - p)) != NULL;
    long col = -1;
    senti__field fl[64];
    if (tsv) {
        size_t hl = (size_t)((nl ? nl : end) - p);
        if (hl && p[hl - 1] == '\r') hl--;
        size_t nf = senti__tsv_split(p, hl, fl, 64);
        col = senti__column_default_text(fl, nf < 64 ? nf : 64);
        p = nl ? nl + 1 : end;
    }
    while (p < end) {
        nl = memchr(p, '\n', (size_t)(end - p));
        const char *re = nl ? nl : end;
        size_t l = (size_t)(re - p);
        if (l && p[l - 1] == '\r') l--;
        const char *s = p;
        if (tsv) {
            size_t nf = senti__tsv_split(p, l, fl, 64);
            if (nf > 64) nf = 64;
            size_t use = col >= 0 && (size_t)col < nf ? (size_t)col : nf - 1;
            s = fl[use].ptr;
            l = fl[use].len;
        }
        if (l) {
            c->t[c->n].ptr = s;
            c->t[c->n].len = l;
            c->bytes += l;
            c->n++;
        }
        p = nl ? nl + 1 : end;
    }
    if (!c->n) {
        cli_error("bench", "%s: no texts", path);
        return -1;
    }
    return 0;
}

static void corpus_free(corpus *c) {
    free(c->buf);
    free(c->t);
}

/* ---- fixed workloads for instruction counting ------------------------------------------------ */

static const char wl_sentence[] =
    "the acting is wonderful , but the plot is n't good enough to make it a film worth seeing .";

static int wl_load(const cli_model_args *a, double *sink) {
    senti_model *m = NULL;
    char err[256];
    int rc = senti_model_open(a->spec, &a->opts, &m, err, sizeof err);
    if (rc == SENTI_OK) *sink += senti_model_n_classes(m);
    senti_model_free(m);
    return rc;
}

static int wl_single(const senti_model *m, double *sink) {
    senti_ctx *ctx;
    int rc = senti_ctx_new(m, &ctx);
    if (rc) return rc;
    senti_result r;
    rc = senti_predict(m, ctx, wl_sentence, sizeof wl_sentence - 1, &r);
    *sink += r.score;
    senti_ctx_free(ctx);
    return rc;
}

static int wl_batch1000(const senti_model *m, const senti_text *t, senti_result *out, double *sink) {
    int rc = senti_predict_batch(m, t, 1000, out, 1);
    for (size_t i = 0; i < 1000; i++) *sink += out[i].score;
    return rc;
}

/* The measured calls: callgrind collects only between entry and exit of these. Each workload
 * runs once unmeasured first (through the wl_ function directly), so one-time process costs
 * (the C library's heap arenas, jansson's hash seed, lazily built tables) stay out of the
 * count and it depends only on senti's code. */
BENCH_NOINLINE int bench_wl_load(const cli_model_args *a, double *sink) { return wl_load(a, sink); }
BENCH_NOINLINE int bench_wl_single(const senti_model *m, double *sink) { return wl_single(m, sink); }
BENCH_NOINLINE int bench_wl_batch1000(const senti_model *m, const senti_text *t, senti_result *out,
                                      double *sink) {
    return wl_batch1000(m, t, out, sink);
}

static int run_workload(const char *name, const cli_model_args *ma, const char *data) {
    double sink = 0;
    int rc;
    if (!strcmp(name, "load")) {
        rc = wl_load(ma, &sink);
        if (rc == SENTI_OK) rc = bench_wl_load(ma, &sink);
    } else if (!strcmp(name, "single") || !strcmp(name, "batch1000")) {
        senti_model *m = cli_open_model(ma);
        if (!m) return CLI_FAIL;
        if (!strcmp(name, "single")) {
            rc = wl_single(m, &sink);
            if (rc == SENTI_OK) rc = bench_wl_single(m, &sink);
        } else {
            corpus c;
            if (corpus_load(data, &c) != 0) {
                senti_model_free(m);
                corpus_free(&c);
                return CLI_FAIL;
            }
            senti_text *t = xmalloc(1000 * sizeof *t);
            for (size_t i = 0; i < 1000; i++) t[i] = c.t[i % c.n];
            senti_result *out = xmalloc(1000 * sizeof *out);
            rc = wl_batch1000(m, t, out, &sink);
            if (rc == SENTI_OK) rc = bench_wl_batch1000(m, t, out, &sink);
            free(out);
            free(t);
            corpus_free(&c);
        }
        senti_model_free(m);
    } else {
        cli_error("bench", "unknown workload '%s' (load, single, batch1000)", name);
        return CLI_USAGE;
    }
    if (rc) {
        cli_error("bench", "workload %s: %s", name, senti_strerror(rc));
        return CLI_FAIL;
    }
    /* what the instruction counts belong to: the gate refuses a baseline from another build */
#ifdef __OPTIMIZE__
    const char *opt = "optimized";
#else
    const char *opt = "not-optimized";
#endif
    printf("workload %s checksum %.6f compiler %s %s\n", name, sink, __VERSION__, opt);
    return CLI_OK;
}

/* ---- the report ------------------------------------------------------------------------------ */

enum { SEC_LOAD = 1, SEC_SINGLE = 2, SEC_BATCH = 4, SEC_MEMORY = 8, SEC_THREADS = 16,
       SEC_LENGTH = 32, SEC_ALL = 63 };

#define MAX_SWEEP 16
static const size_t lengths[] = {16, 32, 64, 128, 256, 512, 1024, 4096, 16384, 65536};
#define N_LENGTHS (sizeof lengths / sizeof *lengths)

typedef struct report {
    const char *model_spec, *kind, *model_name, *data;
    size_t n_texts, text_bytes;
    int runs, warmup, quick, cores;
    /* load */
    double load_cold;
    spread load;
    /* single */
    double first_pred; /* context + first prediction after opening */
    double p50, p90, p99, p999, pmax, mean;
    spread run_p50, run_p99;
    size_t n_samples;
    /* batch of 100 */
    spread batch100;
    /* memory */
    uint64_t rss_kb, hwm_kb;
    senti_memory_stats mem_after_load, mem;
    /* threads */
    int n_sweep;
    int sweep_threads[MAX_SWEEP];
    spread sweep_tps[MAX_SWEEP], sweep_mbs[MAX_SWEEP];
    size_t sweep_texts;
    /* length */
    spread len_tps[N_LENGTHS], len_mbs[N_LENGTHS];
    size_t len_texts[N_LENGTHS];
    int done; /* sections measured */
} report;

/* The seed page's targets and senti's own (stricter) ones. */
typedef struct target {
    const char *component;
    double seed, ours; /* limits: seconds, or bytes for memory */
    const char *seed_s, *ours_s;
    int section;
} target;

static const target targets[] = {
    {"Model loading", 2.0, 0.020, "< 2 s", "< 20 ms", SEC_LOAD},
    {"Single prediction", 0.100, 50e-6, "< 100 ms", "p99 < 50 us", SEC_SINGLE},
    {"Batch of 100", 5.0, 0.002, "< 5 s", "< 2 ms", SEC_BATCH},
    {"Memory", 512.0 * 1048576, 64.0 * 1048576, "< 512 MB", "< 64 MB", SEC_MEMORY},
};
#define N_TARGETS (sizeof targets / sizeof *targets)

/* The number the table judges: load median, single p99, batch median, peak RSS. */
static double target_value(const report *R, int i) {
    switch (targets[i].section) {
    case SEC_LOAD: return R->load.med;
    case SEC_SINGLE: return R->p99;
    case SEC_BATCH: return R->batch100.med;
    default: return (double)R->hwm_kb * 1024;
    }
}

static void target_current(const report *R, int i, char *buf, size_t size) {
    switch (targets[i].section) {
    case SEC_LOAD:
        snprintf(buf, size, "%s (cold %s)", fmt_time(R->load.med),
                 fmt_time(R->load_cold));
        break;
    case SEC_SINGLE:
        snprintf(buf, size, "p50 %s, p99 %s, max %s", fmt_time(R->p50),
                 fmt_time(R->p99), fmt_time(R->pmax));
        break;
    case SEC_BATCH:
        snprintf(buf, size, "%s (%.0f texts/s)", fmt_time(R->batch100.med),
                 R->batch100.med > 0 ? 100 / R->batch100.med : 0);
        break;
    default:
        snprintf(buf, size, "%s peak RSS (library heap peak %s)",
                 fmt_bytes((double)R->hwm_kb * 1024),
                 fmt_bytes((double)R->mem.peak_bytes));
    }
}

static const char *status_word(double v, double lim) { return v < lim ? "ok" : "MISSED"; }

static void print_table(FILE *f, const report *R) {
    fprintf(f, "| Component | Target (seed) | Target (senti) | Current | Status (seed / senti) |\n");
    fprintf(f, "|---|---|---|---|---|\n");
    for (int i = 0; i < (int)N_TARGETS; i++) {
        if (!(R->done & targets[i].section)) continue;
        char cur[160];
        target_current(R, i, cur, sizeof cur);
        double v = target_value(R, i);
        fprintf(f, "| %s | %s | %s | %s | %s / %s |\n", targets[i].component, targets[i].seed_s,
                targets[i].ours_s, cur, status_word(v, targets[i].seed),
                status_word(v, targets[i].ours));
    }
}

static void print_text(FILE *f, const report *R) {
    fprintf(f, "senti bench: model %s (%s%s%s), %zu texts from %s (mean %.0f bytes), %d cores, "
            "%d runs after %d warm-up\n\n",
            R->model_spec, R->kind, R->model_name ? ", " : "", R->model_name ? R->model_name : "",
            R->n_texts, R->data, (double)R->text_bytes / (double)R->n_texts, R->cores, R->runs,
            R->warmup);
    if (R->done & (SEC_LOAD | SEC_SINGLE | SEC_BATCH | SEC_MEMORY)) {
        print_table(f, R);
        fputc('\n', f);
    }
    if (R->done & SEC_LOAD)
        fprintf(f, "model load        median %s, min %s, max %s; cold (first) %s\n",
                fmt_time(R->load.med), fmt_time(R->load.min),
                fmt_time(R->load.max), fmt_time(R->load_cold));
    if (R->done & SEC_SINGLE) {
        fprintf(f, "single prediction %zu calls: p50 %s, ", R->n_samples, fmt_time(R->p50));
        fprintf(f, "p90 %s, ", fmt_time(R->p90));
        fprintf(f, "p99 %s, ", fmt_time(R->p99));
        fprintf(f, "p99.9 %s, ", fmt_time(R->p999));
        fprintf(f, "max %s, mean %s\n", fmt_time(R->pmax), fmt_time(R->mean));
        fprintf(f, "                  p50 over runs %s .. %s, p99 over runs %s .. %s; first call "
                "after open %s\n",
                fmt_time(R->run_p50.min), fmt_time(R->run_p50.max),
                fmt_time(R->run_p99.min), fmt_time(R->run_p99.max),
                fmt_time(R->first_pred));
    }
    if (R->done & SEC_BATCH)
        fprintf(f, "batch of 100      median %s, min %s, max %s\n",
                fmt_time(R->batch100.med), fmt_time(R->batch100.min),
                fmt_time(R->batch100.max));
    if (R->done & SEC_MEMORY) {
        fprintf(f, "memory            peak RSS %s, RSS now %s; library heap: current %s, peak %s, "
                "%llu allocations, %llu frees",
                fmt_bytes((double)R->hwm_kb * 1024),
                fmt_bytes((double)R->rss_kb * 1024),
                fmt_bytes((double)R->mem.current_bytes),
                fmt_bytes((double)R->mem.peak_bytes),
                (unsigned long long)R->mem.allocations, (unsigned long long)R->mem.frees);
        fprintf(f, " (model open: %s held)\n",
                fmt_bytes((double)R->mem_after_load.current_bytes));
    }
    if (R->done & SEC_THREADS) {
        fprintf(f, "\nthroughput (senti_predict_batch, %zu texts per run; best / median / worst "
                "of %d runs)\n", R->sweep_texts, R->runs);
        fprintf(f, "  threads        texts/s                          MB/s\n");
        for (int i = 0; i < R->n_sweep; i++)
            fprintf(f, "  %7d  %9.0f / %9.0f / %9.0f    %7.1f / %7.1f / %7.1f\n",
                    R->sweep_threads[i], R->sweep_tps[i].max, R->sweep_tps[i].med,
                    R->sweep_tps[i].min, R->sweep_mbs[i].max, R->sweep_mbs[i].med,
                    R->sweep_mbs[i].min);
    }
    if (R->done & SEC_LENGTH) {
        fprintf(f, "\nthroughput against text length (1 thread; best / median of %d runs)\n",
                R->runs);
        fprintf(f, "    bytes       texts/s            MB/s     per text\n");
        for (size_t i = 0; i < N_LENGTHS; i++)
            fprintf(f, "  %7zu  %12.0f  %7.1f / %6.1f  %10s\n", lengths[i], R->len_tps[i].max,
                    R->len_mbs[i].max, R->len_mbs[i].med,
                    fmt_time(R->len_tps[i].max > 0 ? 1 / R->len_tps[i].max : 0));
    }
}

static void json_str(FILE *f, const char *s) { cli_json_string(f, s ? s : "", s ? strlen(s) : 0); }

static void json_spread(FILE *f, const char *name, spread s, const char *after) {
    fprintf(f, "\"%s\":{\"min\":%.9g,\"median\":%.9g,\"max\":%.9g}%s", name, s.min, s.med, s.max,
            after);
}

static void write_json(FILE *f, const report *R) {
    fputs("{\"senti_version\":", f);
    json_str(f, senti_version());
    fputs(",\"model\":", f);
    json_str(f, R->model_spec);
    fputs(",\"kind\":", f);
    json_str(f, R->kind);
    fputs(",\"model_name\":", f);
    json_str(f, R->model_name);
    fputs(",\"data\":", f);
    json_str(f, R->data);
    fprintf(f, ",\"texts\":%zu,\"text_bytes\":%zu,\"cores\":%d,\"runs\":%d,\"warmup\":%d,"
            "\"quick\":%s,\"units\":\"seconds, bytes\",\n",
            R->n_texts, R->text_bytes, R->cores, R->runs, R->warmup, R->quick ? "true" : "false");
    fputs("\"table\":[", f);
    int first = 1;
    for (int i = 0; i < (int)N_TARGETS; i++) {
        if (!(R->done & targets[i].section)) continue;
        char cur[160];
        target_current(R, i, cur, sizeof cur);
        double v = target_value(R, i);
        fprintf(f, "%s\n {\"component\":\"%s\",\"target_seed\":\"%s\",\"target_senti\":\"%s\","
                "\"limit_seed\":%.9g,\"limit_senti\":%.9g,\"value\":%.9g,\"current\":",
                first ? "" : ",", targets[i].component, targets[i].seed_s, targets[i].ours_s,
                targets[i].seed, targets[i].ours, v);
        json_str(f, cur);
        fprintf(f, ",\"status_seed\":\"%s\",\"status_senti\":\"%s\"}",
                status_word(v, targets[i].seed), status_word(v, targets[i].ours));
        first = 0;
    }
    fputs("],\n", f);
    if (R->done & SEC_LOAD) {
        fprintf(f, "\"load\":{\"cold\":%.9g,", R->load_cold);
        json_spread(f, "runs", R->load, "},\n");
    }
    if (R->done & SEC_SINGLE) {
        fprintf(f, "\"single\":{\"calls\":%zu,\"p50\":%.9g,\"p90\":%.9g,\"p99\":%.9g,\"p999\":%.9g,"
                "\"max\":%.9g,\"mean\":%.9g,\"first_call\":%.9g,",
                R->n_samples, R->p50, R->p90, R->p99, R->p999, R->pmax, R->mean, R->first_pred);
        json_spread(f, "p50_runs", R->run_p50, ",");
        json_spread(f, "p99_runs", R->run_p99, "},\n");
    }
    if (R->done & SEC_BATCH) {
        fputs("\"batch100\":{", f);
        json_spread(f, "runs", R->batch100, "},\n");
    }
    if (R->done & SEC_MEMORY)
        fprintf(f, "\"memory\":{\"peak_rss\":%llu,\"rss\":%llu,\"heap_current\":%llu,"
                "\"heap_peak\":%llu,\"allocations\":%llu,\"frees\":%llu,\"heap_model_open\":%llu},\n",
                (unsigned long long)R->hwm_kb * 1024, (unsigned long long)R->rss_kb * 1024,
                (unsigned long long)R->mem.current_bytes, (unsigned long long)R->mem.peak_bytes,
                (unsigned long long)R->mem.allocations, (unsigned long long)R->mem.frees,
                (unsigned long long)R->mem_after_load.current_bytes);
    if (R->done & SEC_THREADS) {
        fprintf(f, "\"threads\":{\"texts_per_run\":%zu,\"rows\":[", R->sweep_texts);
        for (int i = 0; i < R->n_sweep; i++) {
            fprintf(f, "%s\n {\"threads\":%d,", i ? "," : "", R->sweep_threads[i]);
            json_spread(f, "texts_per_s", R->sweep_tps[i], ",");
            json_spread(f, "mb_per_s", R->sweep_mbs[i], "}");
        }
        fputs("]},\n", f);
    }
    if (R->done & SEC_LENGTH) {
        fputs("\"length\":[", f);
        for (size_t i = 0; i < N_LENGTHS; i++) {
            fprintf(f, "%s\n {\"bytes\":%zu,\"texts\":%zu,", i ? "," : "", lengths[i], R->len_texts[i]);
            json_spread(f, "texts_per_s", R->len_tps[i], ",");
            json_spread(f, "mb_per_s", R->len_mbs[i], "}");
        }
        fputs("],\n", f);
    }
    fputs("\"sections\":[", f);
    static const char *const names[] = {"load", "single", "batch", "memory", "threads", "length"};
    first = 1;
    for (int i = 0; i < 6; i++)
        if (R->done & (1 << i)) {
            fprintf(f, "%s\"%s\"", first ? "" : ",", names[i]);
            first = 0;
        }
    fputs("]}\n", f);
}

static void csv_row(FILE *f, const char *sec, const char *name, double v, const char *unit,
                    const spread *s) {
    fprintf(f, "%s,%s,%.9g,%s", sec, name, v, unit);
    if (s) fprintf(f, ",%.9g,%.9g,%.9g\n", s->min, s->med, s->max);
    else fputs(",,,\n", f);
}

static void write_csv(FILE *f, const report *R) {
    fputs("section,name,value,unit,min,median,max\n", f);
    char name[64];
    for (int i = 0; i < (int)N_TARGETS; i++) {
        if (!(R->done & targets[i].section)) continue;
        fprintf(f, "table,\"%s\",%.9g,%s,%.9g,%.9g,%s/%s\n", targets[i].component,
                target_value(R, i), targets[i].section == SEC_MEMORY ? "bytes" : "s",
                targets[i].seed, targets[i].ours, status_word(target_value(R, i), targets[i].seed),
                status_word(target_value(R, i), targets[i].ours));
    }
    if (R->done & SEC_LOAD) {
        csv_row(f, "load", "median", R->load.med, "s", &R->load);
        csv_row(f, "load", "cold", R->load_cold, "s", NULL);
    }
    if (R->done & SEC_SINGLE) {
        csv_row(f, "single", "p50", R->p50, "s", &R->run_p50);
        csv_row(f, "single", "p90", R->p90, "s", NULL);
        csv_row(f, "single", "p99", R->p99, "s", &R->run_p99);
        csv_row(f, "single", "p99.9", R->p999, "s", NULL);
        csv_row(f, "single", "max", R->pmax, "s", NULL);
        csv_row(f, "single", "mean", R->mean, "s", NULL);
        csv_row(f, "single", "first_call", R->first_pred, "s", NULL);
    }
    if (R->done & SEC_BATCH) csv_row(f, "batch100", "median", R->batch100.med, "s", &R->batch100);
    if (R->done & SEC_MEMORY) {
        csv_row(f, "memory", "peak_rss", (double)R->hwm_kb * 1024, "bytes", NULL);
        csv_row(f, "memory", "heap_peak", (double)R->mem.peak_bytes, "bytes", NULL);
        csv_row(f, "memory", "heap_current", (double)R->mem.current_bytes, "bytes", NULL);
        csv_row(f, "memory", "allocations", (double)R->mem.allocations, "count", NULL);
    }
    if (R->done & SEC_THREADS)
        for (int i = 0; i < R->n_sweep; i++) {
            snprintf(name, sizeof name, "threads=%d", R->sweep_threads[i]);
            csv_row(f, "throughput", name, R->sweep_tps[i].max, "texts/s", &R->sweep_tps[i]);
            csv_row(f, "throughput_mb", name, R->sweep_mbs[i].max, "MB/s", &R->sweep_mbs[i]);
        }
    if (R->done & SEC_LENGTH)
        for (size_t i = 0; i < N_LENGTHS; i++) {
            snprintf(name, sizeof name, "bytes=%zu", lengths[i]);
            csv_row(f, "length", name, R->len_tps[i].max, "texts/s", &R->len_tps[i]);
            csv_row(f, "length_mb", name, R->len_mbs[i].max, "MB/s", &R->len_mbs[i]);
        }
}


/* mkdir -p */
static int make_dirs(const char *dir) {
    char p[4096];
    snprintf(p, sizeof p, "%s", dir);
    for (char *s = p + 1; *s; s++)
        if (*s == '/') {
            *s = 0;
            mkdir(p, 0777);
            *s = '/';
        }
    struct stat st;
    if (mkdir(p, 0777) != 0 && (stat(p, &st) != 0 || !S_ISDIR(st.st_mode))) {
        cli_error("bench", "%s: cannot create the output folder", dir);
        return -1;
    }
    return 0;
}

/* ---- measurements ------------------------------------------------------------------------------ */

static int measure_load(report *R, const cli_model_args *ma) {
    int n = R->quick ? 3 : R->runs * 4;
    if (n < 3) n = 3;
    double *v = xmalloc((size_t)n * sizeof *v);
    for (int i = -R->warmup - 1; i < n; i++) {
        senti_model *m = NULL;
        char err[512];
        double t0 = senti__now_s();
        int rc = senti_model_open(ma->spec, &ma->opts, &m, err, sizeof err);
        double t = senti__now_s() - t0;
        senti_model_free(m);
        if (rc) {
            cli_error("bench", "cannot open model '%s': %s", ma->spec ? ma->spec : "default", err);
            free(v);
            return -1;
        }
        if (i == -R->warmup - 1) R->load_cold = t;
        if (i >= 0) v[i] = t;
    }
    R->load = spread_of(v, (size_t)n);
    free(v);
    return 0;
}

/* Calls that failed while being timed (a benchmark of failures would be meaningless). */
static size_t n_errors;
static int first_error;

static void note_status(int rc) {
    if (rc == SENTI_OK) return;
    if (!n_errors++) first_error = rc;
}

/* every single-prediction latency of the last measure_single(), sorted */
static double *samples;

static void measure_single(report *R, const senti_model *m, senti_ctx *ctx, const corpus *c) {
    size_t n = c->n > 20000 ? 20000 : c->n;
    int runs = R->runs;
    double *all = xmalloc((size_t)runs * n * sizeof *all);
    double *p50 = xmalloc((size_t)runs * sizeof *p50), *p99 = xmalloc((size_t)runs * sizeof *p99);
    double *run = xmalloc(n * sizeof *run);
    senti_result r;
    volatile double sink = 0;
    for (int w = 0; w < R->warmup; w++)
        for (size_t i = 0; i < n; i++) {
            senti_predict(m, ctx, c->t[i].ptr, c->t[i].len, &r);
            sink += r.score;
        }
    double sum = 0;
    for (int k = 0; k < runs; k++) {
        for (size_t i = 0; i < n; i++) {
            double t0 = senti__now_s();
            int rc = senti_predict(m, ctx, c->t[i].ptr, c->t[i].len, &r);
            double t = senti__now_s() - t0;
            note_status(rc);
            sink += r.score;
            run[i] = t;
            all[(size_t)k * n + i] = t;
            sum += t;
        }
        qsort(run, n, sizeof *run, cmp_double);
        p50[k] = quant(run, n, 0.5);
        p99[k] = quant(run, n, 0.99);
    }
    size_t N = (size_t)runs * n;
    qsort(all, N, sizeof *all, cmp_double);
    R->n_samples = N;
    R->p50 = quant(all, N, 0.5);
    R->p90 = quant(all, N, 0.9);
    R->p99 = quant(all, N, 0.99);
    R->p999 = quant(all, N, 0.999);
    R->pmax = all[N - 1];
    R->mean = sum / (double)N;
    R->run_p50 = spread_of(p50, (size_t)runs);
    R->run_p99 = spread_of(p99, (size_t)runs);
    free(p50);
    free(p99);
    free(run);
    (void)sink;
    free(samples);
    samples = all; /* sorted: write_latency_hist() and write_latency_cdf() draw from them */
}

/* ---- the files of the output folder -------------------------------------------------------- */

/* The latency histogram: log-spaced bins, 20 per decade, from the smallest to the largest
 * sample (the sorted samples of measure_single()). */
static void write_latency_hist(FILE *f, const report *R) {
    const double *a = samples;
    size_t N = R->n_samples;
    fputs("# bin_low_us bin_high_us count fraction\n", f);
    if (!a || !N) return;
    double lo = a[0] > 1e-9 ? a[0] : 1e-9;
    double b = pow(10, floor(log10(lo) * 20) / 20);
    size_t i = 0;
    while (i < N) {
        double nb = b * pow(10, 0.05);
        size_t k = 0;
        while (i < N && a[i] < nb) i++, k++;
        fprintf(f, "%.6g %.6g %zu %.6g\n", b * 1e6, nb * 1e6, k, (double)k / (double)N);
        b = nb;
    }
}

static void write_latency_cdf(FILE *f, const report *R) {
    const double *a = samples;
    size_t N = R->n_samples;
    fputs("# latency_us fraction_at_or_below\n", f);
    if (!a || !N) return;
    size_t step = N / 2000 ? N / 2000 : 1;
    for (size_t i = 0; i < N; i += step)
        fprintf(f, "%.6g %.6g\n", a[i] * 1e6, (double)(i + 1) / (double)N);
    fprintf(f, "%.6g 1\n", a[N - 1] * 1e6);
}

static void write_threads(FILE *f, const report *R) {
    fputs("# threads texts_per_s_best median worst mb_per_s_best median worst\n", f);
    for (int i = 0; i < R->n_sweep; i++)
        fprintf(f, "%d %.6g %.6g %.6g %.6g %.6g %.6g\n", R->sweep_threads[i], R->sweep_tps[i].max,
                R->sweep_tps[i].med, R->sweep_tps[i].min, R->sweep_mbs[i].max, R->sweep_mbs[i].med,
                R->sweep_mbs[i].min);
}

static void write_length(FILE *f, const report *R) {
    fputs("# bytes texts_per_s_best median mb_per_s_best median\n", f);
    for (size_t i = 0; i < N_LENGTHS; i++)
        fprintf(f, "%zu %.6g %.6g %.6g %.6g\n", lengths[i], R->len_tps[i].max, R->len_tps[i].med,
                R->len_mbs[i].max, R->len_mbs[i].med);
}

/* What the output folder receives: each file when its section ran (0: always). */
static const struct out_file {
    const char *name;
    void (*write)(FILE *, const report *);
    int needs;
} out_files[] = {
    {"bench.json", write_json, 0},
    {"bench.csv", write_csv, 0},
    {"latency_hist.dat", write_latency_hist, SEC_SINGLE},
    {"latency_cdf.dat", write_latency_cdf, SEC_SINGLE},
    {"threads.dat", write_threads, SEC_THREADS},
    {"length.dat", write_length, SEC_LENGTH},
};

/* None of the files of the output folder may be an input (the data, the model). */
static int check_outputs(const char *dir, const char *data, const senti_model *m) {
    cli_inputs in = {0};
    cli_inputs_add(&in, data, "the data");
    cli_inputs_add_model(&in, m);
    int rc = 0;
    for (size_t i = 0; i < sizeof out_files / sizeof *out_files && !rc; i++) {
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", dir, out_files[i].name);
        rc = cli_out_check("bench", path, &in);
    }
    cli_inputs_free(&in);
    return rc;
}

/* Write the files of the sections that ran, each whole or not at all; -1 if one failed. */
static int write_outputs(const char *dir, const report *R) {
    int rc = 0;
    for (size_t i = 0; i < sizeof out_files / sizeof *out_files; i++) {
        if (out_files[i].needs && !(R->done & out_files[i].needs)) continue;
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", dir, out_files[i].name);
        cli_out o;
        FILE *f;
        if (cli_out_open(&o, "bench", path) != 0) {
            rc = -1;
            continue;
        }
        if (!(f = cli_out_stream(&o))) {
            cli_error("bench", "%s: out of memory", path);
            cli_out_abort(&o);
            rc = -1;
            continue;
        }
        out_files[i].write(f, R);
        if (cli_out_commit(&o, "bench") != 0) rc = -1;
    }
    return rc;
}

static void measure_batch100(report *R, const senti_model *m, const corpus *c) {
    senti_text b[100];
    senti_result out[100];
    int calls = R->quick ? 20 : 200;
    double *v = xmalloc((size_t)calls * sizeof *v);
    size_t off = 0;
    volatile double sink = 0;
    for (int k = -R->warmup * 10; k < calls; k++) {
        for (size_t i = 0; i < 100; i++) b[i] = c->t[(off + i) % c->n];
        off = (off + 100) % c->n;
        double t0 = senti__now_s();
        int rc = senti_predict_batch(m, b, 100, out, 0);
        double t = senti__now_s() - t0;
        note_status(rc);
        sink += out[0].score;
        if (k >= 0) v[k] = t;
    }
    (void)sink;
    R->batch100 = spread_of(v, (size_t)calls);
    free(v);
}

#define SLICE 16384

static void measure_threads(report *R, const senti_model *m, const corpus *c, int max_threads) {
    /* about 0.3 s of single-thread work per run (0.05 s with --quick) */
    double per = R->mean > 0 ? R->mean : 2e-6;
    double want = (R->quick ? 0.05 : 0.3) / per;
    size_t n = want < 2000 ? 2000 : want > 4e6 ? 4000000 : (size_t)want;
    R->sweep_texts = n;
    size_t bytes = 0;
    for (size_t i = 0; i < n; i++) bytes += c->t[i % c->n].len;
    senti_text *t = xmalloc(SLICE * sizeof *t);
    senti_result *out = xmalloc(SLICE * sizeof *out);
    int th[MAX_SWEEP], nt = 0;
    for (int k = 1; k <= max_threads && nt < MAX_SWEEP; k = k < 8 ? k + 1 : k * 2) th[nt++] = k;
    if (th[nt - 1] != max_threads && nt < MAX_SWEEP) th[nt++] = max_threads;
    double *tps = xmalloc((size_t)R->runs * sizeof *tps), *mbs = xmalloc((size_t)R->runs * sizeof *mbs);
    for (int s = 0; s < nt; s++) {
        for (int k = -R->warmup; k < R->runs; k++) {
            double t0 = senti__now_s();
            for (size_t done = 0; done < n;) {
                size_t cnt = n - done < SLICE ? n - done : SLICE;
                for (size_t i = 0; i < cnt; i++) t[i] = c->t[(done + i) % c->n];
                note_status(senti_predict_batch(m, t, cnt, out, th[s]));
                done += cnt;
            }
            double dt = senti__now_s() - t0;
            if (k >= 0) {
                tps[k] = (double)n / dt;
                mbs[k] = (double)bytes / dt / 1e6;
            }
        }
        R->sweep_threads[s] = th[s];
        R->sweep_tps[s] = spread_of(tps, (size_t)R->runs);
        R->sweep_mbs[s] = spread_of(mbs, (size_t)R->runs);
    }
    R->n_sweep = nt;
    free(tps);
    free(mbs);
    free(t);
    free(out);
}

static void measure_length(report *R, const senti_model *m, senti_ctx *ctx, const corpus *c) {
    /* one long text of whole sentences (>= 1 MiB), cut into pieces of each length */
    size_t cap = (size_t)1 << 20;
    if (cap < lengths[N_LENGTHS - 1] * 4) cap = lengths[N_LENGTHS - 1] * 4;
    char *s = xmalloc(cap + 1);
    size_t len = 0;
    for (size_t i = 0; len < cap; i = (i + 1) % c->n) {
        size_t l = c->t[i].len;
        if (len + l + 1 > cap) l = cap - len - 1;
        memcpy(s + len, c->t[i].ptr, l);
        len += l;
        s[len++] = ' ';
    }
    double budget = R->quick ? 0.02 : 0.15; /* seconds per run */
    double *tps = xmalloc((size_t)R->runs * sizeof *tps), *mbs = xmalloc((size_t)R->runs * sizeof *mbs);
    senti_result r;
    volatile double sink = 0;
    for (size_t li = 0; li < N_LENGTHS; li++) {
        size_t L = lengths[li], slots = (len - L) / L + 1;
        /* calibrate: how many texts of this length make one run */
        size_t n = 8;
        for (;;) {
            double t0 = senti__now_s();
            for (size_t i = 0; i < n; i++) {
                senti_predict(m, ctx, s + (i % slots) * L, L, &r);
                sink += r.score;
            }
            double dt = senti__now_s() - t0;
            if (dt > budget / 4 || n > ((size_t)1 << 26)) {
                n = (size_t)((double)n * budget / (dt > 0 ? dt : 1e-9));
                break;
            }
            n *= 4;
        }
        if (n < 4) n = 4;
        R->len_texts[li] = n;
        for (int k = -R->warmup; k < R->runs; k++) {
            double t0 = senti__now_s();
            for (size_t i = 0; i < n; i++) {
                note_status(senti_predict(m, ctx, s + (i % slots) * L, L, &r));
                sink += r.score;
            }
            double dt = senti__now_s() - t0;
            if (k >= 0) {
                tps[k] = (double)n / dt;
                mbs[k] = (double)n * (double)L / dt / 1e6;
            }
        }
        R->len_tps[li] = spread_of(tps, (size_t)R->runs);
        R->len_mbs[li] = spread_of(mbs, (size_t)R->runs);
    }
    (void)sink;
    free(tps);
    free(mbs);
    free(s);
}

static int parse_only(const char *s) {
    static const char *const names[] = {"load", "single", "batch", "memory", "threads", "length"};
    int mask = 0;
    while (*s) {
        size_t n = strcspn(s, ",");
        int found = 0;
        for (int i = 0; i < 6; i++)
            if (strlen(names[i]) == n && !strncmp(s, names[i], n)) mask |= 1 << i, found = 1;
        if (!found) {
            cli_error("bench", "--only: unknown section '%.*s' (load, single, batch, memory, "
                      "threads, length)", (int)n, s);
            return -1;
        }
        s += n + (s[n] == ',');
    }
    return mask;
}

/* ---- the command ------------------------------------------------------------------------------- */

/* What the command line asks for. */
typedef struct bench_args {
    cli_model_args ma;
    const char *data, *out_dir, *workload;
    char data_buf[4096];
    unsigned long runs, warmup, threads;
    int only, quick, json;
} bench_args;

/* Parse the command line into a; -1 to go on, else the exit status (--help, a usage error). */
static int parse_args(int argc, char **argv, bench_args *a) {
    static const struct option longopts[] = {
        {"data", required_argument, 0, 'd'},
        {"runs", required_argument, 0, 'r'},
        {"warmup", required_argument, 0, 'w'},
        {"threads", required_argument, 0, 'j'},
        {"out", required_argument, 0, 'o'},
        {"only", required_argument, 0, 0x3001},
        {"quick", no_argument, 0, 0x3002},
        {"json", no_argument, 0, 0x3003},
        {"workload", required_argument, 0, 0x3004},
        {"help", no_argument, 0, 'h'},
        CLI_MODEL_LONGOPTS,
        {0, 0, 0, 0},
    };
    memset(a, 0, sizeof *a);
    a->out_dir = "build/bench";
    a->runs = 5, a->warmup = 1, a->only = SEC_ALL;
    int opt, runs_set = 0;
    optind = 1;
    while ((opt = getopt_long(argc, argv, "d:r:w:j:o:hm:", longopts, NULL)) != -1) {
        int r = cli_model_opt(&a->ma, opt, optarg);
        if (r < 0) return CLI_USAGE;
        if (r > 0) continue;
        switch (opt) {
        case 'd': a->data = optarg; break;
        case 'r':
            if (cli_parse_uint("--runs", optarg, 1, 1000, &a->runs)) return CLI_USAGE;
            runs_set = 1;
            break;
        case 'w':
            if (cli_parse_uint("--warmup", optarg, 0, 100, &a->warmup)) return CLI_USAGE;
            break;
        case 'j':
            if (cli_parse_uint("--threads", optarg, 1, 256, &a->threads)) return CLI_USAGE;
            break;
        case 'o': a->out_dir = optarg; break;
        case 0x3001:
            if ((a->only = parse_only(optarg)) < 0) return CLI_USAGE;
            break;
        case 0x3002: a->quick = 1; break;
        case 0x3003: a->json = 1; break;
        case 0x3004: a->workload = optarg; break;
        case 'h': printf(bench_usage, cli_ncpu()); return CLI_OK;
        default:
            fprintf(stderr, "Try 'senti bench --help'.\n");
            return CLI_USAGE;
        }
    }
    if (optind != argc) {
        cli_error("bench", "unexpected argument '%s'", argv[optind]);
        return CLI_USAGE;
    }
    if (!a->data) {
        const char *dir = getenv("SENTI_DATA_DIR");
        snprintf(a->data_buf, sizeof a->data_buf, "%s/sst2/dev.tsv", dir && *dir ? dir : "../shared/data");
        a->data = a->data_buf;
    }
    if (a->quick && !runs_set) a->runs = 2;
    if (!a->threads) a->threads = (unsigned long)cli_ncpu();
    return -1;
}

/* The model as it will be measured, a context, and the time of the first prediction. */
static int open_model(report *R, const bench_args *a, const corpus *c, senti_model **m, senti_ctx **ctx) {
    *m = cli_open_model(&a->ma);
    if (!*m) return -1;
    R->kind = senti_model_kind(*m);
    R->model_name = senti_model_meta(*m, "name");
    senti_memory_stats_get(&R->mem_after_load);
    double t0 = senti__now_s();
    int e = senti_ctx_new(*m, ctx);
    senti_result r;
    if (e == SENTI_OK) e = senti_predict(*m, *ctx, c->t[0].ptr, c->t[0].len, &r);
    R->first_pred = senti__now_s() - t0;
    if (e != SENTI_OK) {
        cli_error("bench", "cannot score: %s", senti_strerror(e));
        return -1;
    }
    return 0;
}

/* The sections asked for (load is measured before the model is opened for the others). */
static void measure_all(report *R, const bench_args *a, const senti_model *m, senti_ctx *ctx, const corpus *c) {
    int only = a->only;
    if (only & (SEC_SINGLE | SEC_THREADS | SEC_LENGTH)) {
        measure_single(R, m, ctx, c);
        if (only & SEC_SINGLE) R->done |= SEC_SINGLE;
    }
    if (only & SEC_BATCH) {
        measure_batch100(R, m, c);
        R->done |= SEC_BATCH;
    }
    /* memory now: a process that has loaded the model and served the calls above */
    R->hwm_kb = proc_status_kb("VmHWM");
    R->rss_kb = proc_status_kb("VmRSS");
    senti_memory_stats_get(&R->mem);
    if (only & SEC_MEMORY) R->done |= SEC_MEMORY;
    if (only & SEC_THREADS) {
        measure_threads(R, m, c, (int)a->threads);
        R->done |= SEC_THREADS;
    }
    if (only & SEC_LENGTH) {
        measure_length(R, m, ctx, c);
        R->done |= SEC_LENGTH;
    }
}

/* The report on stdout, the files in the output folder; the exit status. */
static int write_report(const report *R, const bench_args *a) {
    if (a->json) write_json(stdout, R);
    else print_text(stdout, R);
    int written = 0;
    if (a->out_dir && strcmp(a->out_dir, "-") != 0) {
        written = write_outputs(a->out_dir, R);
        if (!a->json && !written) fprintf(stdout, "\nwrote %s/bench.json, bench.csv and plot data\n", a->out_dir);
    }
    int rc = written ? CLI_FAIL : CLI_OK; /* stdout is checked by main() */
    if (n_errors) {
        cli_error("bench", "%zu timed calls failed (first: %s): the numbers above are not valid",
                  n_errors, senti_strerror(first_error));
        rc = CLI_FAIL;
    }
    return rc;
}

int cmd_bench(int argc, char **argv) {
    bench_args a;
    int rc = parse_args(argc, argv, &a);
    if (rc >= 0) return rc;
    if (a.workload) return run_workload(a.workload, &a.ma, a.data);
    report R;
    memset(&R, 0, sizeof R);
    R.model_spec = a.ma.spec ? a.ma.spec : "default";
    R.data = a.data;
    R.runs = (int)a.runs;
    R.warmup = (int)a.warmup;
    R.quick = a.quick;
    R.cores = cli_ncpu();
    rc = CLI_FAIL;
    corpus c;
    senti_model *m = NULL;
    senti_ctx *ctx = NULL;
    if (corpus_load(a.data, &c) != 0) goto out;
    R.n_texts = c.n;
    R.text_bytes = c.bytes;
    if (a.out_dir && strcmp(a.out_dir, "-") != 0 && make_dirs(a.out_dir) != 0) goto out;
    /* load (the first open of the process is the cold one) */
    if (a.only & SEC_LOAD) {
        if (measure_load(&R, &a.ma) != 0) goto out;
        R.done |= SEC_LOAD;
    }
    if (open_model(&R, &a, &c, &m, &ctx) != 0) goto out;
    if (a.out_dir && strcmp(a.out_dir, "-") != 0 && check_outputs(a.out_dir, a.data, m) != 0) {
        rc = CLI_USAGE;
        goto out;
    }
    measure_all(&R, &a, m, ctx, &c);
    rc = write_report(&R, &a);
out:
    free(samples);
    samples = NULL;
    senti_ctx_free(ctx);
    senti_model_free(m);
    corpus_free(&c);
    return rc;
}
