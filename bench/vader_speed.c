/*
 * vader_speed.c - scores the SST-2 dev sentences of the vader reference data REPS times through
 * senti_predict (one context, one thread), for timing and for instruction counts under
 * callgrind. bench/vader_speed.sh builds it and runs both; by hand:
 *
 *   build/bench-vader-speed [DATA [REPS [PASSES]]]
 *   valgrind --tool=callgrind --callgrind-out-file=/tmp/cg.out \
 *       --toggle-collect=run_passes build/bench-vader-speed ../shared/data 20 1
 *
 * Prints the best-of-PASSES microseconds per sentence and a checksum of all four numbers (so
 * a change in any output shows up). Under callgrind, the collected instructions divided by
 * REPS * 872 are the instructions per sentence.
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/base.h" /* senti__now_s, the one monotonic clock */
#include "senti.h"


/* Kept out of line so that callgrind can collect exactly this (--toggle-collect). */
__attribute__((noinline)) double run_passes(senti_model *m, senti_ctx *ctx, char **texts,
                                            size_t *lens, size_t n, int reps);
__attribute__((noinline)) double run_passes(senti_model *m, senti_ctx *ctx, char **texts,
                                            size_t *lens, size_t n, int reps) {
    double sink = 0;
    for (int k = 0; k < reps; k++)
        for (size_t i = 0; i < n; i++) {
            senti_result r;
            senti_predict(m, ctx, texts[i], lens[i], &r);
            sink += r.values[0] + 2 * r.values[1] + 3 * r.values[2] + 4 * r.values[3];
        }
    return sink;
}

int main(int argc, char **argv) {
    const char *data = argc > 1 ? argv[1] : "../shared/data";
    int reps = argc > 2 ? atoi(argv[2]) : 10;
    int passes = argc > 3 ? atoi(argv[3]) : 15;
    char path[1024], err[512];
    snprintf(path, sizeof path, "%s/vader/reference/sst2_dev.jsonl", data);
    FILE *fp = fopen(path, "r");
    if (!fp) {
        perror(path);
        return 1;
    }
    char **texts = NULL, *line = NULL;
    size_t *lens = NULL, n = 0, cap = 0, lcap = 0;
    ssize_t got;
    while ((got = getline(&line, &lcap, fp)) > 0) {
        json_error_t je;
        json_t *o = json_loadb(line, (size_t)got, JSON_ALLOW_NUL, &je);
        json_t *t = o ? json_object_get(o, "text") : NULL;
        if (t && json_is_string(t)) {
            if (n == cap) {
                cap = cap ? cap * 2 : 1024;
                texts = realloc(texts, cap * sizeof *texts);
                lens = realloc(lens, cap * sizeof *lens);
            }
            lens[n] = json_string_length(t);
            texts[n] = malloc(lens[n] + 1);
            memcpy(texts[n], json_string_value(t), lens[n] + 1);
            n++;
        }
        json_decref(o);
    }
    free(line);
    fclose(fp);
    snprintf(path, sizeof path, "vader:%s/vader", data);
    senti_model *m;
    if (senti_model_open(path, NULL, &m, err, sizeof err)) {
        fprintf(stderr, "%s\n", err);
        return 1;
    }
    senti_ctx *ctx;
    if (senti_ctx_new(m, &ctx)) return 1;
    double best = 1e9, sum = 0;
    for (int p = 0; p < passes; p++) {
        double t0 = senti__now_s();
        sum = run_passes(m, ctx, texts, lens, n, reps);
        double dt = (senti__now_s() - t0) / ((double)reps * (double)n);
        if (dt < best) best = dt;
    }
    printf("%.3f us/sentence (best of %d passes of %d x %zu sentences), checksum %.6f\n",
           best * 1e6, passes, reps, n, sum / reps);
    for (size_t i = 0; i < n; i++) free(texts[i]);
    free(texts);
    free(lens);
    senti_ctx_free(ctx);
    senti_model_free(m);
    return 0;
}
