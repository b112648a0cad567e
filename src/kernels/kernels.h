/*
 * kernels.h - the numeric kernel layer: the handful of loops a BERT-family transformer spends
 * its time in (matrix products in f32 and int8, layer norm, GELU, softmax, tanh, vector
 * arithmetic), each written once in plain C (ref.c) and again for the x86 vector units
 * (x86_avx2.c; x86_avx512.c, which also holds the AVX-512 VNNI variant).
 *
 * The variants are gathered in tables of function pointers (senti__kernels). One table is
 * chosen once per process (pthread_once) from what the CPU reports through
 * __builtin_cpu_supports: avx512vnni > avx512 > avx2 > ref. SENTI_KERNELS=<name> in the
 * environment forces a variant; an unknown name, or one this CPU cannot run, is ignored and
 * the best one is used (the library never prints: the chosen table's `name` says which one
 * runs). Tests and benchmarks reach every compiled variant through senti__kernels_list and
 * senti__kernels_by_name.
 *
 * ISA flags live in the source, not the Makefile: each x86 file wraps its functions in
 * SENTI_KERNELS_TARGET_BEGIN/END (a `#pragma GCC target` for gcc, a `#pragma clang attribute`
 * for clang), so any compiler invocation - make, the libFuzzer build, another build system -
 * compiles it right, and no function outside those files is ever built with -mavx*. Never
 * -march=native: one binary runs on every x86-64 and picks its best path at run time. On other
 * architectures the x86 files compile to nothing and only ref exists. NEON goes the same way: an
 * `arm_neon.c` guarded by `#if defined(__aarch64__)`, a `senti__kernels_neon` table (functions
 * it does not speed up point at the ref ones) and one line in the list in kernels.c.
 *
 * Conventions. Matrices are row-major with an explicit leading dimension (elements between
 * the starts of two rows), so a kernel can read one attention head out of a [tokens x 768]
 * matrix without a copy. Sizes are size_t; n == 0 (or M/N/K == 0) is a no-op. Inputs must be
 * finite (no NaN/Inf handling in the fast paths). Output may alias the input where a kernel
 * says "in place". The kernels never allocate (the AVX-512 f32 product uses 16 KB of stack),
 * never fail and are single-threaded; to run a
 * product on T threads the caller splits it: by rows (offset A and C by m0 rows, pass fewer
 * M) or by columns (f32: offset B by n0 rows, bias and C by n0 columns; int8: the [n0, n1)
 * range argument). Each output element is computed by one thread. int8 results never depend
 * on the split; f32 results do not either as long as every part keeps >= 16 rows (AVX-512
 * takes another path, rounding differently, below 16 rows when K <= 256) - column splits never
 * matter.
 *
 * f32 product layout: C[M x N] = A[M x K] . B[N x K]^T + bias[N]. B is stored as N rows of K
 * - the layout of a Hugging Face nn.Linear weight (out_features x in_features), and of the keys
 * in Q.K^T - so every output is a dot product of two contiguous rows, which the kernels tile
 * 4 x 4 (AVX-512) or 2 x 4 (AVX2) to reuse each loaded vector; B needs no preparation, so the
 * same kernel serves weights and attention. With many short rows (AVX-512, M >= 16, K <= 256:
 * attention) it transposes slices of B into a stack buffer and computes outer products
 * instead. For P.V (V not transposed) the caller transposes V once per head (128 x 64 floats)
 * or accumulates with axpy.
 *
 * int8 product layout: the weights are packed once (senti__qweights below: at load, or at
 * import into a model file that is then used in place through a view) so the kernels compute
 * outer products - 4 activation bytes broadcast against 16 output columns -
 * and never reduce a vector horizontally: tiles of 8 rows x 48 columns (VNNI), 4 x 48
 * (AVX-512BW), 4 x 16 (AVX2).
 *
 * int8 products (see docs/KERNELS.md for the reasoning):
 *   activations  quantized per row at run time, symmetric: scale = max|x| / 127,
 *                q = round_half_even(x / scale) in [-127, 127] (never -128);
 *   weights      int8 per output row (per output channel) with an f32 scale; any value in
 *                [-128, 127] is accepted (senti__qweights_quantize produces [-127, 127]);
 *   accumulation exact int32; C = (float)acc * (a_scale[m] * w_scale[n]) + bias[n].
 * AVX-512 VNNI's vpdpbusd multiplies u8 by s8, so A is fed as u8 = q + 128 and the result
 * corrected by 128 * sum(W row), precomputed once in senti__qweights (w_sum). AVX2/AVX-512BW's
 * vpmaddubsw adds two u8 x s8 products into a saturating int16; fed |w| (<= 128) and q negated
 * where w < 0 (|q| <= 127) the pair is at most 2 * 128 * 127 = 32512 < 32767, so it never
 * saturates. Every variant therefore returns the same int32 sums as ref, bit for bit.
 */
#ifndef SENTI_KERNELS_H
#define SENTI_KERNELS_H

#include <stddef.h>
#include <stdint.h>

/* int8 weights prepared once at load, packed for the products. Output columns come in panels
 * of 16 (N rounded up, zero columns added); within a panel, K in groups of 4 (K rounded up,
 * zeros added); a group holds 16 columns x 4 consecutive k: 64 bytes, one AVX-512 register,
 * exactly what vpdpbusd multiplies against 4 broadcast activation bytes (AVX2 reads it as two
 * 32-byte halves, vpmaddubsw pairs the bytes within each 4). So
 *   weight (j, k) = p[((j / 16) * kgroups + k / 4) * 64 + (j % 16) * 4 + k % 4].
 * scale and sum are padded with zeros to whole panels too. Built and owned by the functions
 * below, or a view of bytes packed so beforehand (a mapped model file: senti__qweights_view);
 * read-only afterwards, so threads share one. */
enum { SENTI_QW_COLS = 16 };
typedef struct senti__qweights {
    int8_t *p;      /* panels x kgroups x 64 bytes */
    float *scale;   /* panels x 16: the real weight (j, k) is q(j, k) * scale[j] */
    int32_t *sum;   /* panels x 16: sum over k of q(j, k) (the u8 offset correction) */
    size_t n, k, kgroups, panels;
    int view;       /* 1: p, scale and sum are the caller's (never written, never freed) */
} senti__qweights;

static inline int8_t senti__qweights_at(const senti__qweights *W, size_t j, size_t k) {
    return W->p[((j / SENTI_QW_COLS) * W->kgroups + k / 4) * 64 + (j % SENTI_QW_COLS) * 4 + k % 4];
}

/* When the f32 product's rounding can change with M: each row of C is computed from its row
 * of A alone, but the AVX-512 product sums in another order (outer products instead of dot
 * products) when it gets M >= SENTI_KERNELS_MM_PACK_M rows of K <= SENTI_KERNELS_MM_PACK_K.
 * A caller that needs a row's result independent of M (the transformer's packed batches) runs
 * products with K <= PACK_K in slices of fewer than PACK_M rows. */
enum { SENTI_KERNELS_MM_PACK_M = 16, SENTI_KERNELS_MM_PACK_K = 256 };

typedef struct senti__kernels {
    const char *name; /* "ref", "avx2", "avx512", "avx512vnni" */

    /* sum a[i] * b[i], i < n */
    float (*dot)(const float *a, const float *b, size_t n);
    /* C[m][j] = sum_k A[m][k] * B[j][k] (+ bias[j] if bias), m < M, j < N, k < K.
     * A: M rows, stride lda; B: N rows, stride ldb; C: M rows, stride ldc. */
    void (*matmul)(size_t M, size_t N, size_t K, const float *A, size_t lda, const float *B,
                   size_t ldb, const float *bias, float *C, size_t ldc);

    /* q[i] = round(x[i] / s), s = max|x| / 127 (0 for a row of zeros, or of |x| < 1e-36) */
    void (*quantize_row)(const float *x, size_t n, int8_t *q, float *scale);
    /* for j in [n0, n1): C[m][j] = (float)(sum_k A[m][k] * q(j, k)) * (a_scale[m] *
     * W.scale[j]) (+ bias[j]). A: M rows of W->k int8 in [-127, 127], stride lda. Column j
     * of C and bias are absolute (the same pointers from every thread); n1 <= W->n. Splits
     * on multiples of 64 columns keep every thread on whole tiles. K <= 131072 (exact int32). */
    void (*qmatmul)(size_t M, const int8_t *A, size_t lda, const float *a_scale,
                    const senti__qweights *W, size_t n0, size_t n1, const float *bias, float *C,
                    size_t ldc);
    /* the exact integer sums of qmatmul: C[m][j] = sum_k A[m][k] * q(j, k), j in [n0, n1) */
    void (*qmatmul_s32)(size_t M, const int8_t *A, size_t lda, const senti__qweights *W,
                        size_t n0, size_t n1, int32_t *C, size_t ldc);

    /* y = (x - mean) / sqrt(var + eps) * gamma + beta over one row of n (in place ok) */
    void (*layernorm)(float *y, const float *x, size_t n, const float *gamma, const float *beta,
                      float eps);
    /* y = x/2 (1 + erf(x / sqrt 2))            (BERT's "gelu"; in place ok) */
    void (*gelu)(float *y, const float *x, size_t n);
    /* y = x/2 (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))   ("gelu_new"; in place ok) */
    void (*gelu_tanh)(float *y, const float *x, size_t n);
    /* y = exp(x - max x) / sum exp(x - max x) over one row of n (in place ok) */
    void (*softmax)(float *y, const float *x, size_t n);
    /* y = tanh(x) (BERT's pooler; in place ok) */
    void (*tanh)(float *y, const float *x, size_t n);
    /* y = a + b (y may be a or b) */
    void (*add)(float *y, const float *a, const float *b, size_t n);
    /* y = s * x (in place ok) */
    void (*scale)(float *y, const float *x, float s, size_t n);
    /* y += a * x */
    void (*axpy)(float *y, float a, const float *x, size_t n);
} senti__kernels;

/* The table for this CPU, chosen on the first call (thread-safe), honouring SENTI_KERNELS. */
const senti__kernels *senti__kernels_get(void);
/* The choice senti__kernels_get makes when SENTI_KERNELS is name (NULL: unset): the variant
 * called name if this CPU runs it, else the best one this CPU runs. */
const senti__kernels *senti__kernels_pick(const char *name);
/* The variant called name if it is compiled in and this CPU runs it, else NULL. */
const senti__kernels *senti__kernels_by_name(const char *name);
/* Every compiled variant, best last; *n receives the count. Some may not run on this CPU. */
const senti__kernels *const *senti__kernels_list(size_t *n);
/* 1 if this CPU (and OS) can run the variant. */
int senti__kernels_supported(const senti__kernels *k);

/* Prepare int8 weights from f32 rows (N x K, stride ldw): each row quantized with
 * quantize_row of the chosen table (all variants quantize identically), then packed. 0, or -1
 * if out of memory or too large (then *W is empty). */
int senti__qweights_quantize(senti__qweights *W, const float *w, size_t N, size_t K, size_t ldw);
/* The same from weights already quantized (q: N x K, stride ldq; scale: N). */
int senti__qweights_from_int8(senti__qweights *W, const int8_t *q, size_t ldq, const float *scale,
                              size_t N, size_t K);
/* A view of weights packed beforehand in the layout above (a mapped model file): W points at
 * p (p_bytes bytes), scale and sum (n_scale and n_sum entries), which must outlive it; nothing
 * is copied, allocated or checked but the sizes. 0, or -1 if a size is not what N x K needs
 * (then *W is empty). A view does not vouch for its bytes: see senti__qweights_check. */
int senti__qweights_view(senti__qweights *W, const void *p, size_t p_bytes, const float *scale,
                         size_t n_scale, const int32_t *sum, size_t n_sum, size_t N, size_t K);
/* What the kernels trust of packed weights, checked (one read of every byte): every scale
 * finite and >= 0; the padding (columns >= n, k >= K, and their scale and sum) zero; sum[j]
 * the true sum of column j. The VNNI kernel uses the sums and the others do not, so weights
 * that fail this would give answers that depend on the CPU. SENTI__QW_OK, or what is wrong
 * first, with the column in *col. Scales must be in [0, 1e30) (NaN and infinity refused). */
enum { SENTI__QW_OK, SENTI__QW_BAD_SCALE, SENTI__QW_BAD_PADDING, SENTI__QW_BAD_SUM };
int senti__qweights_check(const senti__qweights *W, size_t *col);
/* Frees what the functions above built; a view is only emptied. */
void senti__qweights_free(senti__qweights *W);

/* 1 if none of x[0..n) is NaN or infinite (a model's weights, scanned once at open: blocks
 * of 256 tested without a branch, which the compiler vectorizes, 4-5x the plain loop). */
int senti__all_finite(const float *x, size_t n);

/* IEEE half and bfloat16 to float (the half subnormals exact, infinities and NaNs kept). */
float senti__f16_to_f32(uint16_t h);
float senti__bf16_to_f32(uint16_t h);

/* The variants (tables defined in ref.c and the x86 files). */
extern const senti__kernels senti__kernels_ref;
#if defined(__x86_64__)
extern const senti__kernels senti__kernels_avx2;
extern const senti__kernels senti__kernels_avx512;
extern const senti__kernels senti__kernels_avx512vnni;
#endif

/* ISA regions for the x86 files (see above). */
#if defined(__clang__)
#define SENTI_KERNELS_PRAGMA_(x) _Pragma(#x)
#define SENTI_KERNELS_TARGET_BEGIN(isa)                                                        \
    SENTI_KERNELS_PRAGMA_(clang attribute push(__attribute__((target(isa))), apply_to = function))
#define SENTI_KERNELS_TARGET_END() _Pragma("clang attribute pop")
#else
#define SENTI_KERNELS_PRAGMA_(x) _Pragma(#x)
#define SENTI_KERNELS_TARGET_BEGIN(isa)                                                        \
    _Pragma("GCC push_options") SENTI_KERNELS_PRAGMA_(GCC target(isa))
#define SENTI_KERNELS_TARGET_END() _Pragma("GCC pop_options")
#endif

#endif
