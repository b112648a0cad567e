/*
 * kernels.c - speed of the kernel layer (src/kernels/) at the shapes of a BERT-base forward
 * pass, for every variant this CPU runs: `make bench-kernels` (build/bench-kernels [--json]
 * [--runs N] [--only VARIANT]).
 *
 * Products: M = 1, 8, 128 tokens against the three weight shapes of a BERT-base layer
 * (K x N = 768 x 768 attention projections, 768 x 3072 FFN up, 3072 x 768 FFN down); the
 * rate is 2 M N K / time (GFLOP/s for f32, GOP/s for int8, where the activations are
 * already quantized - quantize_row is its own line); and one attention head's two products
 * (QK^T: 128 x 128 scores over 64; P.V: 128 x 64 over 128, V transposed). Row kernels: layer norm and the GELUs
 * over 128 x 768 (and the FFN's 128 x 3072), softmax over 12 heads x 128 x 128 scores; their
 * rate is in G elements/s. Each line is the best of N samples (CLOCK_MONOTONIC), a sample
 * being enough calls to last >= 20 ms; "x ref" divides the rate by ref's on the same line.
 * Single-threaded, like the kernels.
 *
 * The machine's own ceiling is measured alongside, per variant: 12 independent chains of the
 * variant's multiply-add (vfmadd231ps ymm or zmm; vpdpbusd zmm for VNNI), so "% peak" on a
 * product line is comparable even on a shared, loaded machine.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "kernels/kernels.h"

#if defined(__x86_64__)
#include <immintrin.h>
#endif

typedef struct bench_ctx {
    const senti__kernels *k;
    size_t M, N, K, rows, n;
    float *A, *B, *C, *bias, *gamma, *beta, *a_scale;
    int8_t *qa;
    senti__qweights W;
} bench_ctx;

typedef struct result {
    const char *variant, *kernel, *unit;
    char shape[48];
    double us, rate;
} result;

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void run_matmul(bench_ctx *c) {
    c->k->matmul(c->M, c->N, c->K, c->A, c->K, c->B, c->K, c->bias, c->C, c->N);
}
static void run_matmul_head(bench_ctx *c) { /* rows of [128 x 768] projections */
    c->k->matmul(c->M, c->N, c->K, c->A, 768, c->B, 768, NULL, c->C, c->N);
}
static void run_qmatmul(bench_ctx *c) {
    c->k->qmatmul(c->M, c->qa, c->K, c->a_scale, &c->W, 0, c->N, c->bias, c->C, c->N);
}
static void run_quantize(bench_ctx *c) {
    for (size_t r = 0; r < c->rows; r++)
        c->k->quantize_row(c->A + r * c->n, c->n, c->qa + r * c->n, &c->a_scale[r]);
}
static void run_layernorm(bench_ctx *c) {
    for (size_t r = 0; r < c->rows; r++)
        c->k->layernorm(c->C + r * c->n, c->A + r * c->n, c->n, c->gamma, c->beta, 1e-12f);
}
static void run_gelu(bench_ctx *c) { c->k->gelu(c->C, c->A, c->rows * c->n); }
static void run_gelu_tanh(bench_ctx *c) { c->k->gelu_tanh(c->C, c->A, c->rows * c->n); }
static void run_tanh(bench_ctx *c) { c->k->tanh(c->C, c->A, c->rows * c->n); }
static void run_softmax(bench_ctx *c) {
    for (size_t r = 0; r < c->rows; r++) c->k->softmax(c->C + r * c->n, c->A + r * c->n, c->n);
}
static void run_add(bench_ctx *c) { c->k->add(c->C, c->A, c->B, c->rows * c->n); }

/* best time of one call over `runs` samples of >= 20 ms each */
static double best_time(void (*fn)(bench_ctx *), bench_ctx *c, int runs) {
    fn(c); /* warm the caches and the page tables */
    size_t reps = 1;
    double t0 = now_s();
    fn(c);
    double one = now_s() - t0;
    if (one < 0.02) reps = (size_t)(0.02 / (one > 1e-9 ? one : 1e-9)) + 1;
    double best = 1e30;
    for (int r = 0; r < runs; r++) {
        t0 = now_s();
        for (size_t i = 0; i < reps; i++) fn(c);
        double t = (now_s() - t0) / (double)reps;
        if (t < best) best = t;
    }
    return best;
}

/* ---- the multiply-add ceiling: 12 independent accumulator chains ------------------------ */

enum { PEAK_ITERS = 20000000 };
#define CHAINS(X) X(0) X(1) X(2) X(3) X(4) X(5) X(6) X(7) X(8) X(9) X(10) X(11)
#if defined(__x86_64__)
__attribute__((target("avx2,fma"))) static double peak_fma256(float seed) {
#define P_INIT(i) __m256 a##i = _mm256_set1_ps(seed * (i + 1));
#define P_STEP(i) a##i = _mm256_fmadd_ps(a##i, b, c);
#define P_SUM(i) s = _mm256_add_ps(s, a##i);
    CHAINS(P_INIT)
    __m256 b = _mm256_set1_ps(0.999f), c = _mm256_set1_ps(1e-3f), s = _mm256_setzero_ps();
    double t0 = now_s();
    for (long k = 0; k < PEAK_ITERS; k++) { CHAINS(P_STEP) }
    double t = now_s() - t0;
    CHAINS(P_SUM)
    volatile float sink = _mm256_cvtss_f32(s);
    (void)sink;
    return 12.0 * 16 * PEAK_ITERS / t * 1e-9;
#undef P_INIT
#undef P_STEP
#undef P_SUM
}
__attribute__((target("avx512f"))) static double peak_fma512(float seed) {
#define P_INIT(i) __m512 a##i = _mm512_set1_ps(seed * (i + 1));
#define P_STEP(i) a##i = _mm512_fmadd_ps(a##i, b, c);
#define P_SUM(i) s = _mm512_add_ps(s, a##i);
    CHAINS(P_INIT)
    __m512 b = _mm512_set1_ps(0.999f), c = _mm512_set1_ps(1e-3f), s = _mm512_setzero_ps();
    double t0 = now_s();
    for (long k = 0; k < PEAK_ITERS; k++) { CHAINS(P_STEP) }
    double t = now_s() - t0;
    CHAINS(P_SUM)
    volatile float sink = _mm512_reduce_add_ps(s);
    (void)sink;
    return 12.0 * 32 * PEAK_ITERS / t * 1e-9;
#undef P_INIT
#undef P_STEP
#undef P_SUM
}
__attribute__((target("avx512f,avx512vnni"))) static double peak_vnni(float seed) {
#define P_INIT(i) __m512i a##i = _mm512_set1_epi32((int)seed + i);
#define P_STEP(i) a##i = _mm512_dpbusd_epi32(a##i, b, c);
#define P_SUM(i) s = _mm512_add_epi32(s, a##i);
    CHAINS(P_INIT)
    __m512i b = _mm512_set1_epi8(3), c = _mm512_set1_epi8(-2), s = _mm512_setzero_si512();
    double t0 = now_s();
    for (long k = 0; k < PEAK_ITERS; k++) { CHAINS(P_STEP) }
    double t = now_s() - t0;
    CHAINS(P_SUM)
    volatile int sink = _mm512_reduce_add_epi32(s);
    (void)sink;
    return 12.0 * 128 * PEAK_ITERS / t * 1e-9;
#undef P_INIT
#undef P_STEP
#undef P_SUM
}
#endif

/* the ceiling line of a variant (best of runs), or nothing for ref */
static void peak(const senti__kernels *k, int runs, result *res, size_t *nres) {
#if defined(__x86_64__)
    double (*fn)(float) = !strcmp(k->name, "avx2") ? peak_fma256
                          : !strcmp(k->name, "avx512") ? peak_fma512
                          : !strcmp(k->name, "avx512vnni") ? peak_vnni : NULL;
    if (!fn) return;
    double best = 0;
    for (int r = 0; r < runs; r++) {
        double g = fn(1.0f + (float)r);
        if (g > best) best = g;
    }
    int vnni = fn == peak_vnni;
    result *p = &res[(*nres)++];
    *p = (result){k->name, vnni ? "peak_vpdpbusd" : "peak_fma", vnni ? "GOP/s" : "GFLOP/s",
                  "12 chains", 0, best};
    if (vnni) { /* the f32 ceiling too */
        p = &res[(*nres)++];
        *p = (result){k->name, "peak_fma", "GFLOP/s", "12 chains", 0, 0};
        for (int r = 0; r < runs; r++) {
            double g = peak_fma512(1.0f + (float)r);
            if (g > p->rate) p->rate = g;
        }
    }
#else
    (void)k, (void)runs, (void)res, (void)nres;
#endif
}

static void *xmalloc(size_t n) {
    void *p = malloc(n);
    if (!p) {
        fprintf(stderr, "bench-kernels: out of memory\n");
        exit(1);
    }
    return p;
}

static float *randoms(size_t n, float r) {
    float *x = xmalloc(n * sizeof *x);
    uint32_t s = 12345;
    for (size_t i = 0; i < n; i++) {
        s = s * 1664525u + 1013904223u;
        x[i] = ((float)(s >> 8) / 16777216.0f * 2.0f - 1.0f) * r;
    }
    return x;
}

enum { MAXN = 128 * 3072, MAXW = 3072 * 768, MAXRES = 256 };

static void products(bench_ctx *c, int runs, result *res, size_t *nres) {
    static const size_t Ms[] = {1, 8, 128}, KN[][2] = {{768, 768}, {768, 3072}, {3072, 768}};
    for (size_t s = 0; s < 3; s++)
        for (size_t mi = 0; mi < 3; mi++) {
            c->M = Ms[mi], c->K = KN[s][0], c->N = KN[s][1];
            senti__qweights_free(&c->W);
            if (senti__qweights_quantize(&c->W, c->B, c->N, c->K, c->K)) exit(1);
            run_quantize(&(bench_ctx){.k = c->k, .rows = c->M, .n = c->K, .A = c->A, .qa = c->qa,
                                      .a_scale = c->a_scale});
            double ops = 2.0 * (double)c->M * (double)c->N * (double)c->K;
            for (int q = 0; q < 2; q++) {
                result *r = &res[(*nres)++];
                double t = best_time(q ? run_qmatmul : run_matmul, c, runs);
                *r = (result){c->k->name, q ? "qmatmul_i8" : "matmul_f32", q ? "GOP/s" : "GFLOP/s",
                              "", t * 1e6, ops / t * 1e-9};
                snprintf(r->shape, sizeof r->shape, "M=%zu K=%zu N=%zu", c->M, c->K, c->N);
            }
        }
}

/* attention per head (BERT-base: 128 tokens, head size 64): scores Q.K^T, then P.V with V
 * transposed; A and B are rows of the [128 x 768] projections (stride 768) */
static void attention(bench_ctx *c, int runs, result *res, size_t *nres) {
    static const size_t shape[2][3] = {{128, 128, 64}, {128, 64, 128}}; /* M, N, K */
    for (size_t s = 0; s < 2; s++) {
        c->M = shape[s][0], c->N = shape[s][1], c->K = shape[s][2];
        double t = best_time(run_matmul_head, c, runs);
        result *r = &res[(*nres)++];
        *r = (result){c->k->name, "matmul_f32", "GFLOP/s", "", t * 1e6,
                      2.0 * (double)(c->M * c->N * c->K) / t * 1e-9};
        snprintf(r->shape, sizeof r->shape, "%s M=%zu K=%zu N=%zu", s ? "P.V" : "QK^T", c->M,
                 c->K, c->N);
    }
}

static void rows(bench_ctx *c, int runs, result *res, size_t *nres) {
    static const struct {
        const char *name;
        void (*fn)(bench_ctx *);
        size_t rows, n;
        const char *shape;
    } R[] = {
        {"quantize_row", run_quantize, 128, 768, "128 x 768"},
        {"layernorm", run_layernorm, 128, 768, "128 x 768"},
        {"gelu", run_gelu, 128, 3072, "128 x 3072"},
        {"gelu_tanh", run_gelu_tanh, 128, 3072, "128 x 3072"},
        {"gelu", run_gelu, 128, 768, "128 x 768"},
        {"softmax", run_softmax, 12 * 128, 128, "12 x 128 x 128"},
        {"tanh", run_tanh, 1, 768, "1 x 768"},
        {"add", run_add, 128, 768, "128 x 768"},
    };
    for (size_t i = 0; i < sizeof R / sizeof R[0]; i++) {
        c->rows = R[i].rows, c->n = R[i].n;
        double t = best_time(R[i].fn, c, runs);
        result *r = &res[(*nres)++];
        *r = (result){c->k->name, R[i].name, "Gelem/s", "", t * 1e6,
                      (double)(R[i].rows * R[i].n) / t * 1e-9};
        snprintf(r->shape, sizeof r->shape, "%s", R[i].shape);
    }
}

static double ref_rate(const result *res, size_t n, const result *r) {
    for (size_t i = 0; i < n; i++)
        if (!strcmp(res[i].variant, "ref") && !strcmp(res[i].kernel, r->kernel) &&
            !strcmp(res[i].shape, r->shape))
            return res[i].rate;
    return 0;
}

/* the variant's ceiling for a product line (0 if none measured) */
static double peak_rate(const result *res, size_t n, const result *r) {
    const char *want = !strcmp(r->kernel, "matmul_f32") ? "peak_fma"
                       : !strcmp(r->kernel, "qmatmul_i8") ? "peak_vpdpbusd" : NULL;
    for (size_t i = 0; want && i < n; i++)
        if (!strcmp(res[i].variant, r->variant) && !strcmp(res[i].kernel, want)) return res[i].rate;
    return 0;
}

static void print(const result *res, size_t n, int json) {
    if (!json)
        printf("%-11s %-14s %-20s %11s %9s %-8s %7s %7s\n", "variant", "kernel", "shape", "time_us",
               "rate", "unit", "x ref", "% peak");
    for (size_t i = 0; i < n; i++) {
        const result *r = &res[i];
        double base = ref_rate(res, n, r), top = peak_rate(res, n, r);
        double xref = base > 0 ? r->rate / base : 0.0, pct = top > 0 ? 100 * r->rate / top : 0.0;
        if (json)
            printf("%s{\"variant\":\"%s\",\"kernel\":\"%s\",\"shape\":\"%s\",\"time_us\":%.3f,"
                   "\"rate\":%.4g,\"unit\":\"%s\",\"vs_ref\":%.3g,\"pct_peak\":%.3g}%s\n",
                   i ? " " : "[", r->variant, r->kernel, r->shape, r->us, r->rate, r->unit, xref,
                   pct, i + 1 < n ? "," : "]");
        else
            printf("%-11s %-14s %-20s %11.2f %9.2f %-8s %7.1f %7.0f\n", r->variant, r->kernel,
                   r->shape, r->us, r->rate, r->unit, xref, pct);
    }
}

int main(int argc, char **argv) {
    int json = 0, runs = 5;
    const char *only = NULL;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--json")) json = 1;
        else if (!strcmp(argv[i], "--runs") && i + 1 < argc) runs = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--only") && i + 1 < argc) only = argv[++i];
        else {
            fprintf(stderr, "usage: %s [--json] [--runs N] [--only VARIANT]\n", argv[0]);
            return 2;
        }
    }
    if (runs < 1) runs = 1;
    bench_ctx c = {.A = randoms(MAXN, 3.0f), .B = randoms(MAXW, 0.05f),
                   .C = xmalloc(MAXN * sizeof(float)), .bias = randoms(3072, 0.1f),
                   .gamma = randoms(3072, 1.0f), .beta = randoms(3072, 0.1f),
                   .a_scale = xmalloc(12 * 128 * sizeof(float)), .qa = xmalloc(MAXN)};
    static result res[MAXRES];
    size_t nres = 0, nk;
    const senti__kernels *const *all = senti__kernels_list(&nk);
    for (size_t i = 0; i < nk; i++) {
        if (!senti__kernels_supported(all[i]) || (only && strcmp(only, all[i]->name) &&
                                                  strcmp(all[i]->name, "ref")))
            continue;
        c.k = all[i];
        peak(c.k, runs, res, &nres);
        products(&c, runs, res, &nres);
        attention(&c, runs, res, &nres);
        rows(&c, runs, res, &nres);
    }
    print(res, nres, json);
    senti__qweights_free(&c.W);
    free(c.A), free(c.B), free(c.C), free(c.bias), free(c.gamma), free(c.beta);
    free(c.a_scale), free(c.qa);
    return 0;
}
