/*
 * kernels.c - which kernel table runs, and the int8 weights the tables read.
 *
 * The list of compiled variants runs from the slowest to the fastest; each has a predicate
 * asking the CPU (__builtin_cpu_supports, which also checks that the OS saves the AVX and
 * AVX-512 registers) whether it can run. senti__kernels_get picks, once (pthread_once), the
 * variant SENTI_KERNELS names if there is one and this CPU runs it, else the last runnable
 * one. Nothing is printed: callers who want to know ask the table's name.
 *
 * senti__qweights holds the weights of one int8 matrix as the kernels read them: packed in
 * panels of 16 output columns (the layout is drawn in kernels.h), a scale per row and the sum
 * of each row (the correction the u8-offset VNNI path subtracts). It is built once at load,
 * from f32 weights or from weights already quantized, or is a view of bytes a model file
 * stores already packed (then checked once: senti__qweights_check). The half-float
 * conversions the model files need live here too, beside the other numeric code.
 */
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "base/base.h"
#include "kernels/kernels.h"

typedef struct variant {
    const senti__kernels *k;
    int (*supported)(void);
} variant;

static int always(void) { return 1; }

#if defined(__x86_64__)
static int has_avx2(void) {
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
}
static int has_avx512(void) {
    return has_avx2() && __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
           __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512dq");
}
static int has_avx512vnni(void) { return has_avx512() && __builtin_cpu_supports("avx512vnni"); }
#endif

/* slowest first; a NEON variant would be one more line under an __aarch64__ guard */
static const variant variants[] = {
    {&senti__kernels_ref, always},
#if defined(__x86_64__)
    {&senti__kernels_avx2, has_avx2},
    {&senti__kernels_avx512, has_avx512},
    {&senti__kernels_avx512vnni, has_avx512vnni},
#endif
};
enum { NVARIANTS = sizeof variants / sizeof variants[0] };

static const senti__kernels *const tables[] = {
    &senti__kernels_ref,
#if defined(__x86_64__)
    &senti__kernels_avx2,
    &senti__kernels_avx512,
    &senti__kernels_avx512vnni,
#endif
};

const senti__kernels *const *senti__kernels_list(size_t *n) {
    *n = NVARIANTS;
    return tables;
}

int senti__kernels_supported(const senti__kernels *k) {
    for (size_t i = 0; i < NVARIANTS; i++)
        if (variants[i].k == k) return variants[i].supported();
    return 0;
}

const senti__kernels *senti__kernels_by_name(const char *name) {
    for (size_t i = 0; name && i < NVARIANTS; i++)
        if (strcmp(variants[i].k->name, name) == 0)
            return variants[i].supported() ? variants[i].k : NULL;
    return NULL;
}

static const senti__kernels *chosen;
static pthread_once_t chosen_once = PTHREAD_ONCE_INIT;

const senti__kernels *senti__kernels_pick(const char *name) {
    const senti__kernels *k = senti__kernels_by_name(name);
    for (size_t i = NVARIANTS; !k && i-- > 0;)
        if (variants[i].supported()) k = variants[i].k;
    return k;
}

static void choose(void) { chosen = senti__kernels_pick(getenv("SENTI_KERNELS")); }

const senti__kernels *senti__kernels_get(void) {
    pthread_once(&chosen_once, choose);
    return chosen;
}

/* ---- int8 weights ---------------------------------------------------------------------- */

static int qweights_alloc(senti__qweights *W, size_t N, size_t K) {
    memset(W, 0, sizeof *W);
    size_t kg = (K + 3) / 4, panels = (N + SENTI_QW_COLS - 1) / SENTI_QW_COLS;
    if (K > 131072 || (panels && kg > SIZE_MAX / 64 / panels)) return -1;
    W->p = senti__calloc(panels * kg > 0 ? panels * kg : 1, 64);
    W->scale = senti__calloc(panels ? panels * SENTI_QW_COLS : 1, sizeof *W->scale);
    W->sum = senti__calloc(panels ? panels * SENTI_QW_COLS : 1, sizeof *W->sum);
    if (!W->p || !W->scale || !W->sum) {
        senti__qweights_free(W);
        return -1;
    }
    W->n = N;
    W->k = K;
    W->kgroups = kg;
    W->panels = panels;
    return 0;
}

/* row j of K int8 into its panel, and its sum */
static void qweights_put_row(senti__qweights *W, size_t j, const int8_t *q) {
    int8_t *panel = W->p + (j / SENTI_QW_COLS) * W->kgroups * 64 + (j % SENTI_QW_COLS) * 4;
    int32_t s = 0;
    for (size_t k = 0; k < W->k; k++) {
        panel[(k / 4) * 64 + k % 4] = q[k];
        s += q[k];
    }
    W->sum[j] = s;
}

int senti__qweights_quantize(senti__qweights *W, const float *w, size_t N, size_t K, size_t ldw) {
    if (qweights_alloc(W, N, K)) return -1;
    int8_t *row = senti__malloc(K ? K : 1);
    if (!row) {
        senti__qweights_free(W);
        return -1;
    }
    const senti__kernels *kt = senti__kernels_get();
    for (size_t j = 0; j < N; j++) {
        kt->quantize_row(w + j * ldw, K, row, &W->scale[j]);
        qweights_put_row(W, j, row);
    }
    senti__free(row);
    return 0;
}

/* rows [j0, j0 + nj) (nj <= 16) of K int8 into their panel (K x 16 bytes, in cache), each row
 * read in order and stored 4 bytes at a time, and the rows' sums (a model's open packs every
 * weight this way: byte by byte it cost several times more) */
static void qweights_put_panel(senti__qweights *W, size_t j0, size_t nj, const int8_t *q, size_t ldq) {
    int8_t *panel = W->p + (j0 / SENTI_QW_COLS) * W->kgroups * 64;
    size_t full = W->k / 4;
    for (size_t c = 0; c < nj; c++) {
        const int8_t *r = q + (j0 + c) * ldq;
        int8_t *dst = panel + c * 4;
        int32_t s[4] = {0, 0, 0, 0};
        for (size_t g = 0; g < full; g++, dst += 64, r += 4) {
            memcpy(dst, r, 4);
            s[0] += r[0], s[1] += r[1], s[2] += r[2], s[3] += r[3];
        }
        for (size_t k = 0; k < W->k % 4; k++) dst[k] = r[k], s[0] += r[k];
        W->sum[j0 + c] = s[0] + s[1] + s[2] + s[3];
    }
}

int senti__qweights_from_int8(senti__qweights *W, const int8_t *q, size_t ldq, const float *scale,
                              size_t N, size_t K) {
    if (qweights_alloc(W, N, K)) return -1;
    for (size_t j = 0; j < N; j += SENTI_QW_COLS)
        qweights_put_panel(W, j, N - j < SENTI_QW_COLS ? N - j : SENTI_QW_COLS, q, ldq);
    memcpy(W->scale, scale, N * sizeof *scale);
    return 0;
}

int senti__qweights_view(senti__qweights *W, const void *p, size_t p_bytes, const float *scale,
                         size_t n_scale, const int32_t *sum, size_t n_sum, size_t N, size_t K) {
    memset(W, 0, sizeof *W);
    size_t kg = (K + 3) / 4, panels = (N + SENTI_QW_COLS - 1) / SENTI_QW_COLS;
    if (K > 131072 || (panels && kg > SIZE_MAX / 64 / panels) || !p || !scale || !sum ||
        p_bytes != panels * kg * 64 || n_scale != panels * SENTI_QW_COLS || n_sum != n_scale)
        return -1;
    /* the kernels only read through these pointers; `view` keeps free from touching them */
    W->p = (int8_t *)(uintptr_t)p;
    W->scale = (float *)(uintptr_t)scale;
    W->sum = (int32_t *)(uintptr_t)sum;
    W->n = N, W->k = K, W->kgroups = kg, W->panels = panels, W->view = 1;
    return 0;
}

/* the padding bytes of panel `pb`: columns from c0 (all k), and k >= K in every column */
static int qweights_padding_zero(const senti__qweights *W, size_t pb, size_t c0) {
    const int8_t *P = W->p + pb * W->kgroups * 64;
    for (size_t g = 0; c0 < SENTI_QW_COLS && g < W->kgroups; g++)
        for (size_t i = c0 * 4; i < 64; i++)
            if (P[g * 64 + i]) return 0;
    const int8_t *last = P + (W->kgroups - 1) * 64;
    for (size_t c = 0; W->k % 4 && c < SENTI_QW_COLS; c++)
        for (size_t r = W->k % 4; r < 4; r++)
            if (last[c * 4 + r]) return 0;
    return 1;
}

int senti__qweights_check(const senti__qweights *W, size_t *col) {
    *col = 0;
    for (size_t j = 0; j < W->panels * SENTI_QW_COLS; j++) {
        float s = W->scale[j];
        *col = j;
        if (j < W->n && !(s >= 0 && s < 1e30f)) return SENTI__QW_BAD_SCALE;
        if (j >= W->n && (s != 0 || W->sum[j])) return SENTI__QW_BAD_PADDING;
    }
    for (size_t pb = 0; pb < W->panels; pb++) {
        size_t c0 = W->n - pb * SENTI_QW_COLS; /* real columns of this panel */
        if (c0 > SENTI_QW_COLS) c0 = SENTI_QW_COLS;
        *col = pb * SENTI_QW_COLS;
        if (W->kgroups && !qweights_padding_zero(W, pb, c0)) return SENTI__QW_BAD_PADDING;
        int32_t acc[64] = {0}; /* byte i of every group: 64 independent sums the compiler vectorizes */
        const int8_t *P = W->p + pb * W->kgroups * 64;
        for (size_t g = 0; g < W->kgroups; g++, P += 64)
            for (int i = 0; i < 64; i++) acc[i] += P[i];
        for (size_t c = 0; c < c0; c++) {
            *col = pb * SENTI_QW_COLS + c;
            if (acc[4 * c] + acc[4 * c + 1] + acc[4 * c + 2] + acc[4 * c + 3] != W->sum[*col])
                return SENTI__QW_BAD_SUM;
        }
    }
    return SENTI__QW_OK;
}

void senti__qweights_free(senti__qweights *W) {
    if (!W->view) {
        senti__free(W->p);
        senti__free(W->scale);
        senti__free(W->sum);
    }
    memset(W, 0, sizeof *W);
}

/* ---- float checks and half floats ------------------------------------------------------ */

int senti__all_finite(const float *x, size_t n) {
    size_t i = 0;
    for (; i + 256 <= n; i += 256) {
        uint32_t bad = 0;
        for (size_t k = 0; k < 256; k++) {
            uint32_t u;
            memcpy(&u, x + i + k, 4);
            bad |= (~u & 0x7f800000u) == 0; /* exponent all ones: infinity or NaN */
        }
        if (bad) return 0;
    }
    for (; i < n; i++)
        if (!isfinite(x[i])) return 0;
    return 1;
}

float senti__f16_to_f32(uint16_t h) {
    uint32_t s = (uint32_t)(h >> 15) << 31, e = (h >> 10) & 31, f = h & 1023, u;
    if (e == 31) u = s | 0x7f800000u | (f << 13);
    else if (e) u = s | ((e + 112) << 23) | (f << 13);
    else if (!f) u = s;
    else { /* subnormal: f * 2^-24 */
        float v = (float)f * 5.9604644775390625e-8f;
        return s ? -v : v;
    }
    float v;
    memcpy(&v, &u, 4);
    return v;
}

float senti__bf16_to_f32(uint16_t h) {
    uint32_t u = (uint32_t)h << 16;
    float v;
    memcpy(&v, &u, 4);
    return v;
}
