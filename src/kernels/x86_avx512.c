/*
 * x86_avx512.c - the kernels for x86-64 CPUs with AVX-512 F/BW/VL/DQ (Skylake-SP, Ice Lake,
 * Zen 4 and later), and the AVX-512 VNNI variant, which differs only in its int8 product.
 *
 * 16 floats or 64 bytes per register, 32 registers and mask registers. f32 products are
 * tiled 4 rows of A by 4 rows of B (16 accumulators, 8 operand vectors), their four sums per
 * row reduced together (hsum4); int8 products are outer products over the packed weights, 8
 * rows of A by 3 panels of 16 columns (4 x 3 without VNNI). Every tail - the last k < 16
 * floats of a row, the last elements of a row kernel - is a masked load or store; int8 rows
 * end in a zero-padded group of 4 bytes. No scalar remainder loop anywhere.
 *
 * int8 without VNNI: vpmaddubsw as in x86_avx2.c (|w| unsigned, the activation negated
 * where w < 0 - AVX-512 has no vpsignb, so a masked subtract from zero; pairs <= 32512, no
 * saturation), vpmaddwd by ones to int32.
 * int8 with VNNI: vpdpbusd sums four u8 x s8 products straight into int32 (no int16 step, no
 * saturation). The activations are made unsigned by flipping their sign bit (q ^ 0x80 =
 * q + 128), so each sum is too large by 128 * sum(W row), which senti__qweights precomputed;
 * the zero padding of W adds nothing. Both paths give ref's exact sums.
 */
#if defined(__x86_64__)

#include <immintrin.h>
#include <math.h>
#include <string.h>

#include "kernels/kernels.h"

SENTI_KERNELS_TARGET_BEGIN("avx2,fma,avx512f,avx512bw,avx512vl,avx512dq")

#define V16 __m512
#include "kernels/x86_math.h"

#define AVX512_INLINE static inline __attribute__((always_inline))

AVX512_INLINE __mmask16 mask16(size_t n) { return n >= 16 ? 0xffff : (__mmask16)((1u << n) - 1); }

static float avx512_dot(const float *a, const float *b, size_t n) {
    __m512 s0 = _mm512_setzero_ps(), s1 = _mm512_setzero_ps();
    size_t i = 0;
    for (; i + 32 <= n; i += 32) {
        s0 = _mm512_fmadd_ps(_mm512_loadu_ps(a + i), _mm512_loadu_ps(b + i), s0);
        s1 = _mm512_fmadd_ps(_mm512_loadu_ps(a + i + 16), _mm512_loadu_ps(b + i + 16), s1);
    }
    for (; i < n; i += 16) {
        __mmask16 m = mask16(n - i);
        s0 = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(m, a + i), _mm512_maskz_loadu_ps(m, b + i), s0);
    }
    return _mm512_reduce_add_ps(_mm512_add_ps(s0, s1));
}

/* ---- f32 product: one MR x NR tile of dot products ------------------------------------ */

enum { MR = 4, NR = 4 };

/* the four sums of v[0..3], in one register: halves added pairwise, then hadd */
AVX512_INLINE __m128 hsum4(const __m512 v[4]) {
    __m256 a = _mm256_add_ps(_mm512_castps512_ps256(v[0]), _mm512_extractf32x8_ps(v[0], 1));
    __m256 b = _mm256_add_ps(_mm512_castps512_ps256(v[1]), _mm512_extractf32x8_ps(v[1], 1));
    __m256 c = _mm256_add_ps(_mm512_castps512_ps256(v[2]), _mm512_extractf32x8_ps(v[2], 1));
    __m256 d = _mm256_add_ps(_mm512_castps512_ps256(v[3]), _mm512_extractf32x8_ps(v[3], 1));
    __m256 ab = _mm256_hadd_ps(a, b), cd = _mm256_hadd_ps(c, d); /* a01 a23 b01 b23 | a45.. */
    __m256 abcd = _mm256_hadd_ps(ab, cd);                       /* a0-3 b0-3 c0-3 d0-3 | a4-7.. */
    return _mm_add_ps(_mm256_castps256_ps128(abcd), _mm256_extractf128_ps(abcd, 1));
}

AVX512_INLINE void tile_f32(size_t K, const float *A, size_t lda, const float *B, size_t ldb,
                            const float *bias, float *C, size_t ldc, int mr, int nr) {
    __m512 acc[MR][NR], b[NR];
    /* all NR columns start at zero, so an edge tile sums in the same order as a full one */
#pragma GCC unroll 4
    for (int i = 0; i < mr; i++)
#pragma GCC unroll 4
        for (int j = 0; j < NR; j++) acc[i][j] = _mm512_setzero_ps();
    size_t k = 0;
    for (; k + 16 <= K; k += 16) {
#pragma GCC unroll 4
        for (int j = 0; j < nr; j++) b[j] = _mm512_loadu_ps(B + j * ldb + k);
#pragma GCC unroll 4
        for (int i = 0; i < mr; i++) {
            __m512 a = _mm512_loadu_ps(A + i * lda + k);
#pragma GCC unroll 4
            for (int j = 0; j < nr; j++) acc[i][j] = _mm512_fmadd_ps(a, b[j], acc[i][j]);
        }
    }
    if (k < K) {
        __mmask16 m = mask16(K - k);
#pragma GCC unroll 4
        for (int j = 0; j < nr; j++) b[j] = _mm512_maskz_loadu_ps(m, B + j * ldb + k);
#pragma GCC unroll 4
        for (int i = 0; i < mr; i++) {
            __m512 a = _mm512_maskz_loadu_ps(m, A + i * lda + k);
#pragma GCC unroll 4
            for (int j = 0; j < nr; j++) acc[i][j] = _mm512_fmadd_ps(a, b[j], acc[i][j]);
        }
    }
    float out[MR][NR];
#pragma GCC unroll 4
    for (int i = 0; i < mr; i++) _mm_storeu_ps(out[i], hsum4(acc[i]));
    for (int i = 0; i < mr; i++)
        for (int j = 0; j < nr; j++) C[i * ldc + j] = out[i][j] + (bias ? bias[j] : 0.0f);
}

#define F32_TILE(mr, nr)                                                                     \
    case (mr) * 8 + (nr): tile_f32(K, A, lda, B, ldb, bias, C, ldc, mr, nr); break
static void tile_f32_any(size_t K, const float *A, size_t lda, const float *B, size_t ldb,
                         const float *bias, float *C, size_t ldc, int mr, int nr) {
    switch (mr * 8 + nr) {
        F32_TILE(1, 1); F32_TILE(1, 2); F32_TILE(1, 3); F32_TILE(1, 4);
        F32_TILE(2, 1); F32_TILE(2, 2); F32_TILE(2, 3); F32_TILE(2, 4);
        F32_TILE(3, 1); F32_TILE(3, 2); F32_TILE(3, 3); F32_TILE(3, 4);
        F32_TILE(4, 1); F32_TILE(4, 2); F32_TILE(4, 3); F32_TILE(4, 4);
    }
}

/* ---- f32 product of many short rows: outer products over a packed slice of B ----------
 * For short rows (K <= PK_MAX, e.g. attention's Q.K^T with K = 64 per head) the dot-product
 * tiles above spend as much on their final sums as on the products (128 x 128 x 64: 35
 * GFLOP/s). Instead, 32 columns x PK values of k of B are transposed (16 x 16 blocks in
 * registers) into a buffer on the stack (16 KB, L1-resident; the kernels never allocate),
 * and tiles of PMR rows x 32 columns accumulate a[i][k] (broadcast) * b[k][0..31]: 24
 * accumulators, 2 loads and 12 broadcasts per 24 FMAs, no horizontal sums (same shape: 85-95
 * GFLOP/s). For long rows the dot-product tiles stay ahead (768 x 768 weights: the copy of a
 * B that does not fit in cache stalls on memory; measured 59 vs 73 GFLOP/s at M = 16), and
 * for M < PM_MIN the copy is not amortized. */
enum { PM_MIN = SENTI_KERNELS_MM_PACK_M, PK_MAX = SENTI_KERNELS_MM_PACK_K, PMR = 12, PN = 32, PK = 128 };

/* r[0..15] (16 rows of 16) transposed in registers: unpack pairs of rows, interleave 64-bit
 * pairs, then two rounds of 128-bit lane shuffles */
AVX512_INLINE void transpose16(__m512 r[16]) {
    __m512 t[16], u[16], v[16];
#pragma GCC unroll 4
    for (int b = 0; b < 16; b += 4) {
        t[b] = _mm512_unpacklo_ps(r[b], r[b + 1]);
        t[b + 1] = _mm512_unpackhi_ps(r[b], r[b + 1]);
        t[b + 2] = _mm512_unpacklo_ps(r[b + 2], r[b + 3]);
        t[b + 3] = _mm512_unpackhi_ps(r[b + 2], r[b + 3]);
        u[b] = _mm512_shuffle_ps(t[b], t[b + 2], 0x44);     /* rows b..b+3, column 4l */
        u[b + 1] = _mm512_shuffle_ps(t[b], t[b + 2], 0xee); /* column 4l + 1 */
        u[b + 2] = _mm512_shuffle_ps(t[b + 1], t[b + 3], 0x44);
        u[b + 3] = _mm512_shuffle_ps(t[b + 1], t[b + 3], 0xee);
    }
#pragma GCC unroll 2
    for (int g = 0; g < 16; g += 8)
#pragma GCC unroll 4
        for (int q = 0; q < 4; q++) {
            v[g + q] = _mm512_shuffle_f32x4(u[g + q], u[g + 4 + q], 0x88);
            v[g + 4 + q] = _mm512_shuffle_f32x4(u[g + q], u[g + 4 + q], 0xdd);
        }
#pragma GCC unroll 4
    for (int q = 0; q < 4; q++) {
        r[q] = _mm512_shuffle_f32x4(v[q], v[8 + q], 0x88);
        r[8 + q] = _mm512_shuffle_f32x4(v[q], v[8 + q], 0xdd);
        r[4 + q] = _mm512_shuffle_f32x4(v[4 + q], v[12 + q], 0x88);
        r[12 + q] = _mm512_shuffle_f32x4(v[4 + q], v[12 + q], 0xdd);
    }
}

/* buf[k][c] = B[j0 + c][k0 + k] for k < kc, zeros past column n1 (and up to k = 16 ceil(kc/16)),
 * 16 x 16 blocks at a time */
static void pack_b(float buf[PK][PN], const float *B, size_t ldb, size_t j0, size_t n1, size_t k0,
                   size_t kc) {
    __m512 r[16];
    for (size_t c0 = 0; c0 < PN; c0 += 16)
        for (size_t k = 0; k < kc; k += 16) {
            __mmask16 km = mask16(kc - k);
            for (size_t t = 0; t < 16; t++)
                r[t] = j0 + c0 + t < n1 ? _mm512_maskz_loadu_ps(km, B + (j0 + c0 + t) * ldb + k0 + k)
                                        : _mm512_setzero_ps();
            transpose16(r);
            for (size_t t = 0; t < 16; t++) _mm512_storeu_ps(buf[k + t] + c0, r[t]);
        }
}

/* C rows [0, mr) x 32 columns (mask cm) += A[., k0 .. k0 + kc) . buf; first: start from 0,
 * last: add the bias */
AVX512_INLINE void ptile(const float *A, size_t lda, const float buf[PK][PN], size_t kc,
                         float *C, size_t ldc, const float *bias, __mmask16 cm0, __mmask16 cm1,
                         int first, int last, int mr) {
    __m512 c[PMR][2];
#pragma GCC unroll 12
    for (int i = 0; i < mr; i++) {
        c[i][0] = first ? _mm512_setzero_ps() : _mm512_maskz_loadu_ps(cm0, C + i * ldc);
        c[i][1] = first ? _mm512_setzero_ps() : _mm512_maskz_loadu_ps(cm1, C + i * ldc + 16);
    }
    for (size_t k = 0; k < kc; k++) {
        __m512 b0 = _mm512_loadu_ps(buf[k]), b1 = _mm512_loadu_ps(buf[k] + 16);
#pragma GCC unroll 12
        for (int i = 0; i < mr; i++) {
            __m512 a = _mm512_set1_ps(A[i * lda + k]);
            c[i][0] = _mm512_fmadd_ps(a, b0, c[i][0]);
            c[i][1] = _mm512_fmadd_ps(a, b1, c[i][1]);
        }
    }
    __m512 bb0 = last && bias ? _mm512_maskz_loadu_ps(cm0, bias) : _mm512_setzero_ps();
    __m512 bb1 = last && bias ? _mm512_maskz_loadu_ps(cm1, bias + 16) : _mm512_setzero_ps();
#pragma GCC unroll 12
    for (int i = 0; i < mr; i++) {
        _mm512_mask_storeu_ps(C + i * ldc, cm0, last ? _mm512_add_ps(c[i][0], bb0) : c[i][0]);
        _mm512_mask_storeu_ps(C + i * ldc + 16, cm1, last ? _mm512_add_ps(c[i][1], bb1) : c[i][1]);
    }
}

#define PTILE(mr)                                                                            \
    case mr: ptile(A, lda, buf, kc, C, ldc, bias, cm0, cm1, first, last, mr); break
static void ptile_any(const float *A, size_t lda, const float buf[PK][PN], size_t kc, float *C,
                      size_t ldc, const float *bias, __mmask16 cm0, __mmask16 cm1, int first,
                      int last, int mr) {
    switch (mr) {
        PTILE(1); PTILE(2); PTILE(3); PTILE(4); PTILE(5); PTILE(6);
        PTILE(7); PTILE(8); PTILE(9); PTILE(10); PTILE(11); PTILE(12);
    }
}

static void matmul_packed(size_t M, size_t N, size_t K, const float *A, size_t lda,
                          const float *B, size_t ldb, const float *bias, float *C, size_t ldc) {
    float buf[PK][PN] __attribute__((aligned(64)));
    for (size_t j = 0; j < N; j += PN) {
        size_t w = N - j < PN ? N - j : PN;
        __mmask16 cm0 = mask16(w), cm1 = mask16(w > 16 ? w - 16 : 0);
        for (size_t k0 = 0; k0 < K; k0 += PK) {
            size_t kc = K - k0 < PK ? K - k0 : PK;
            pack_b(buf, B, ldb, j, N, k0, kc);
            for (size_t m = 0; m < M; m += PMR) {
                int mr = M - m < PMR ? (int)(M - m) : PMR;
                ptile_any(A + m * lda + k0, lda, (const float(*)[PN])buf, kc, C + m * ldc + j,
                          ldc, bias ? bias + j : NULL, cm0, cm1, k0 == 0, k0 + kc >= K, mr);
            }
        }
    }
}

static void avx512_matmul(size_t M, size_t N, size_t K, const float *A, size_t lda,
                          const float *B, size_t ldb, const float *bias, float *C, size_t ldc) {
    if (M >= PM_MIN && K > 0 && K <= PK_MAX) {
        matmul_packed(M, N, K, A, lda, B, ldb, bias, C, ldc);
        return;
    }
    for (size_t j = 0; j < N; j += NR) {
        int nr = N - j < NR ? (int)(N - j) : NR;
        for (size_t m = 0; m < M; m += MR) {
            int mr = M - m < MR ? (int)(M - m) : MR;
            tile_f32_any(K, A + m * lda, lda, B + j * ldb, ldb, bias ? bias + j : NULL,
                         C + m * ldc + j, ldc, mr, nr);
        }
    }
}

/* ---- int8 ------------------------------------------------------------------------------ */

static void avx512_quantize_row(const float *x, size_t n, int8_t *q, float *scale) {
    __m512 vmax = _mm512_setzero_ps();
    for (size_t i = 0; i < n; i += 16)
        vmax = _mm512_max_ps(vmax, _mm512_abs_ps(_mm512_maskz_loadu_ps(mask16(n - i), x + i)));
    float amax = _mm512_reduce_max_ps(vmax);
    if (!(amax >= 1e-36f)) amax = 0.0f;
    float inv = amax > 0.0f ? 127.0f / amax : 0.0f;
    const __m512 vinv = _mm512_set1_ps(inv);
    const __m512i lo = _mm512_set1_epi32(-127), hi = _mm512_set1_epi32(127);
    for (size_t i = 0; i < n; i += 16) {
        __mmask16 m = mask16(n - i);
        __m512i r = _mm512_cvtps_epi32(_mm512_mul_ps(_mm512_maskz_loadu_ps(m, x + i), vinv));
        r = _mm512_min_epi32(_mm512_max_epi32(r, lo), hi);
        _mm512_mask_cvtepi32_storeu_epi8(q + i, m, r);
    }
    *scale = amax / 127.0f;
}

/* Integer products are outer products over the packed weights (kernels.h): a tile is up to
 * QMR rows of A by QNV panels of 16 columns, one accumulator register per (row, panel) and
 * k group; 4 bytes of an A row are broadcast against one 64-byte group of each panel.
 * 8 x 3 (24 accumulators, 3 weight registers, 1 broadcast) rather than 6 x 4: the 3 panels'
 * weights for K = 768 (36 KB) stay in L1 while the tiles of A rows stream past them
 * (measured +10% at M = 128). */
enum { QMR = 8, QNV = 3 };

/* 4 bytes of a row broadcast to every 32-bit lane; the last, partial group of a row of K is
 * zero-padded (never read past the row) */
AVX512_INLINE __m512i bcast4(const int8_t *p) { return _mm512_broadcastd_epi32(_mm_loadu_si32(p)); }
AVX512_INLINE __m512i bcast_tail4(const int8_t *row, size_t K) {
    int32_t x = 0;
    memcpy(&x, row + (K & ~(size_t)3), K & 3);
    return _mm512_set1_epi32(x);
}

/* out[i][v] = sum_k A[i][k] * q(16 (pb + v) + lane, k), without VNNI: vpmaddubsw with |w|
 * and the broadcast activations negated where w < 0, then vpmaddwd by ones */
AVX512_INLINE void qtile_bw(const senti__qweights *W, size_t pb, const int8_t *A, size_t lda,
                            __m512i out[QMR][QNV], int mr, int nv) {
    const size_t kg = W->kgroups, kfull = W->k / 4, K = W->k;
    const int8_t *P = W->p + pb * kg * 64;
    const __m512i ones = _mm512_set1_epi16(1), zero = _mm512_setzero_si512();
    __m512i c[QMR][QNV], aw[QNV];
    __mmask64 neg[QNV];
#pragma GCC unroll 8
    for (int i = 0; i < mr; i++)
#pragma GCC unroll 4
        for (int v = 0; v < nv; v++) c[i][v] = zero;
    /* group g of every panel; a(i) is the broadcast activations of row i */
#define BW_STEP(g, a)                                                                        \
    do {                                                                                     \
        _Pragma("GCC unroll 4") for (int v = 0; v < nv; v++) {                              \
            __m512i w = _mm512_loadu_si512(P + (v * kg + (g)) * 64);                         \
            neg[v] = _mm512_movepi8_mask(w);                                                 \
            aw[v] = _mm512_abs_epi8(w);                                                      \
        }                                                                                    \
        _Pragma("GCC unroll 8") for (int i = 0; i < mr; i++) {                              \
            __m512i ai = a(i);                                                               \
            _Pragma("GCC unroll 4") for (int v = 0; v < nv; v++) {                          \
                __m512i p = _mm512_maddubs_epi16(aw[v], _mm512_mask_sub_epi8(ai, neg[v], zero, ai)); \
                c[i][v] = _mm512_add_epi32(c[i][v], _mm512_madd_epi16(p, ones));             \
            }                                                                                \
        }                                                                                    \
    } while (0)
#define A_MAIN(i) bcast4(A + (i) * lda + 4 * g)
#define A_TAIL(i) bcast_tail4(A + (i) * lda, K)
    size_t g = 0;
    for (; g < kfull; g++) BW_STEP(g, A_MAIN);
    if (g < kg) BW_STEP(g, A_TAIL);
#pragma GCC unroll 8
    for (int i = 0; i < mr; i++)
#pragma GCC unroll 4
        for (int v = 0; v < nv; v++) out[i][v] = c[i][v];
}

#define QTILE_CASE(fn, mr, nv)                                                               \
    case (mr) * 8 + (nv): fn(W, pb, A, lda, out, mr, nv); break
#define QTILE_ROW(fn, mr)                                                                    \
    QTILE_CASE(fn, mr, 1); QTILE_CASE(fn, mr, 2); QTILE_CASE(fn, mr, 3)

static void qtile_bw_any(const senti__qweights *W, size_t pb, const int8_t *A, size_t lda,
                         __m512i out[QMR][QNV], int mr, int nv) {
    switch (mr * 8 + nv) {
        QTILE_ROW(qtile_bw, 1); QTILE_ROW(qtile_bw, 2); QTILE_ROW(qtile_bw, 3); QTILE_ROW(qtile_bw, 4);
    }
}

typedef void qtile_fn(const senti__qweights *W, size_t pb, const int8_t *A, size_t lda,
                      __m512i out[QMR][QNV], int mr, int nv);

/* row `row` of C, columns [j0, j0 + 16) clipped to [n0, n1), from the sums in s (which carry
 * off * sum(W row)): exact int32 (Cf NULL) or dequantized as ref does, in the same order */
AVX512_INLINE void qstore(__m512i s, int off, size_t row, size_t j0, size_t n0, size_t n1,
                          const senti__qweights *W, const float *a_scale, const float *bias,
                          float *Cf, int32_t *Ci, size_t ldc) {
    size_t lo = n0 > j0 ? n0 - j0 : 0, hi = n1 - j0 < 16 ? n1 - j0 : 16;
    __mmask16 m = (__mmask16)(((1u << hi) - 1) & ~((1u << lo) - 1));
    if (off) s = _mm512_sub_epi32(s, _mm512_slli_epi32(_mm512_loadu_si512(W->sum + j0), 7));
    if (!Cf) {
        _mm512_mask_storeu_epi32(Ci + row * ldc + j0, m, s);
        return;
    }
    __m512 sc = _mm512_mul_ps(_mm512_set1_ps(a_scale[row]), _mm512_loadu_ps(W->scale + j0));
    __m512 b = bias ? _mm512_maskz_loadu_ps(m, bias + j0) : _mm512_setzero_ps();
    _mm512_mask_storeu_ps(Cf + row * ldc + j0, m, _mm512_add_ps(_mm512_mul_ps(_mm512_cvtepi32_ps(s), sc), b));
}

/* the int8 product over tiles of up to mr_max x QNV panels, either epilogue */
static void qmatmul_any(qtile_fn *tile, int mr_max, int off, size_t M, const int8_t *A,
                        size_t lda, const float *a_scale, const senti__qweights *W, size_t n0,
                        size_t n1, const float *bias, float *Cf, int32_t *Ci, size_t ldc) {
    __m512i acc[QMR][QNV];
    if (n0 >= n1) return;
    size_t pb1 = (n1 + 15) / 16;
    for (size_t pb = n0 / 16; pb < pb1; pb += QNV) {
        int nv = pb1 - pb < QNV ? (int)(pb1 - pb) : QNV;
        for (size_t m = 0; m < M; m += (size_t)mr_max) {
            int mr = M - m < (size_t)mr_max ? (int)(M - m) : mr_max;
            tile(W, pb, A + m * lda, lda, acc, mr, nv);
            for (int i = 0; i < mr; i++)
                for (int v = 0; v < nv; v++)
                    qstore(acc[i][v], off, m + i, (pb + v) * 16, n0, n1, W, a_scale, bias, Cf, Ci, ldc);
        }
    }
}

static void avx512_qmatmul(size_t M, const int8_t *A, size_t lda, const float *a_scale,
                           const senti__qweights *W, size_t n0, size_t n1, const float *bias,
                           float *C, size_t ldc) {
    qmatmul_any(qtile_bw_any, 4, 0, M, A, lda, a_scale, W, n0, n1, bias, C, NULL, ldc);
}

static void avx512_qmatmul_s32(size_t M, const int8_t *A, size_t lda, const senti__qweights *W,
                               size_t n0, size_t n1, int32_t *C, size_t ldc) {
    qmatmul_any(qtile_bw_any, 4, 0, M, A, lda, NULL, W, n0, n1, NULL, NULL, C, ldc);
}

/* ---- row kernels ----------------------------------------------------------------------- */

#define AVX512_MAP(name, expr)                                                               \
    static void name(float *y, const float *x, size_t n) {                                   \
        for (size_t i = 0; i < n; i += 16) {                                                 \
            __mmask16 m = mask16(n - i);                                                     \
            __m512 v = _mm512_maskz_loadu_ps(m, x + i);                                      \
            _mm512_mask_storeu_ps(y + i, m, (expr));                                         \
        }                                                                                    \
    }
AVX512_MAP(avx512_gelu, x86_gelu(v))
AVX512_MAP(avx512_gelu_tanh, x86_gelu_tanh(v))
AVX512_MAP(avx512_tanh, x86_tanh(v))

static void avx512_layernorm(float *y, const float *x, size_t n, const float *gamma,
                             const float *beta, float eps) {
    if (n == 0) return;
    /* the mean of x - x[0], then + x[0]: a large common offset (1000 + noise) would otherwise
     * swamp the float sums (shifted-data algorithm) */
    const __m512 x0 = _mm512_set1_ps(x[0]);
    __m512 s = _mm512_setzero_ps();
    for (size_t i = 0; i < n; i += 16) {
        __mmask16 m = mask16(n - i);
        s = _mm512_add_ps(s, _mm512_maskz_sub_ps(m, _mm512_maskz_loadu_ps(m, x + i), x0));
    }
    const __m512 mean = _mm512_set1_ps(x[0] + _mm512_reduce_add_ps(s) / (float)n);
    __m512 v = _mm512_setzero_ps();
    for (size_t i = 0; i < n; i += 16) {
        __mmask16 m = mask16(n - i);
        __m512 d = _mm512_maskz_sub_ps(m, _mm512_maskz_loadu_ps(m, x + i), mean);
        v = _mm512_fmadd_ps(d, d, v);
    }
    const __m512 rstd = _mm512_set1_ps(1.0f / sqrtf(_mm512_reduce_add_ps(v) / (float)n + eps));
    for (size_t i = 0; i < n; i += 16) {
        __mmask16 m = mask16(n - i);
        __m512 d = _mm512_mul_ps(_mm512_sub_ps(_mm512_maskz_loadu_ps(m, x + i), mean), rstd);
        __m512 r = _mm512_fmadd_ps(d, _mm512_maskz_loadu_ps(m, gamma + i), _mm512_maskz_loadu_ps(m, beta + i));
        _mm512_mask_storeu_ps(y + i, m, r);
    }
}

static void avx512_softmax(float *y, const float *x, size_t n) {
    if (n == 0) return;
    __m512 vmax = _mm512_set1_ps(-INFINITY);
    for (size_t i = 0; i < n; i += 16) {
        __mmask16 m = mask16(n - i);
        vmax = _mm512_mask_max_ps(vmax, m, vmax, _mm512_maskz_loadu_ps(m, x + i));
    }
    const __m512 max = _mm512_set1_ps(_mm512_reduce_max_ps(vmax));
    __m512 s = _mm512_setzero_ps();
    for (size_t i = 0; i < n; i += 16) {
        __mmask16 m = mask16(n - i);
        __m512 e = _mm512_maskz_mov_ps(m, x86_exp(_mm512_sub_ps(_mm512_maskz_loadu_ps(m, x + i), max)));
        _mm512_mask_storeu_ps(y + i, m, e);
        s = _mm512_add_ps(s, e);
    }
    const __m512 inv = _mm512_set1_ps(1.0f / _mm512_reduce_add_ps(s));
    for (size_t i = 0; i < n; i += 16) {
        __mmask16 m = mask16(n - i);
        _mm512_mask_storeu_ps(y + i, m, _mm512_mul_ps(_mm512_maskz_loadu_ps(m, y + i), inv));
    }
}

static void avx512_add(float *y, const float *a, const float *b, size_t n) {
    for (size_t i = 0; i < n; i += 16) {
        __mmask16 m = mask16(n - i);
        _mm512_mask_storeu_ps(y + i, m, _mm512_add_ps(_mm512_maskz_loadu_ps(m, a + i), _mm512_maskz_loadu_ps(m, b + i)));
    }
}

static void avx512_scale(float *y, const float *x, float s, size_t n) {
    const __m512 vs = _mm512_set1_ps(s);
    for (size_t i = 0; i < n; i += 16) {
        __mmask16 m = mask16(n - i);
        _mm512_mask_storeu_ps(y + i, m, _mm512_mul_ps(_mm512_maskz_loadu_ps(m, x + i), vs));
    }
}

static void avx512_axpy(float *y, float a, const float *x, size_t n) {
    const __m512 va = _mm512_set1_ps(a);
    for (size_t i = 0; i < n; i += 16) {
        __mmask16 m = mask16(n - i);
        __m512 r = _mm512_fmadd_ps(va, _mm512_maskz_loadu_ps(m, x + i), _mm512_maskz_loadu_ps(m, y + i));
        _mm512_mask_storeu_ps(y + i, m, r);
    }
}

SENTI_KERNELS_TARGET_END()

/* ---- VNNI ------------------------------------------------------------------------------ */

SENTI_KERNELS_TARGET_BEGIN("avx2,fma,avx512f,avx512bw,avx512vl,avx512dq,avx512vnni")

/* out[i][v] = sum_k (A[i][k] + 128) * q(16 (pb + v) + lane, k): vpdpbusd, u8 x s8 -> int32 */
AVX512_INLINE void qtile_vnni(const senti__qweights *W, size_t pb, const int8_t *A, size_t lda,
                              __m512i out[QMR][QNV], int mr, int nv) {
    const size_t kg = W->kgroups, kfull = W->k / 4, K = W->k;
    const int8_t *P = W->p + pb * kg * 64;
    const __m512i flip = _mm512_set1_epi8((char)0x80);
    __m512i c[QMR][QNV], w[QNV];
#pragma GCC unroll 8
    for (int i = 0; i < mr; i++)
#pragma GCC unroll 4
        for (int v = 0; v < nv; v++) c[i][v] = _mm512_setzero_si512();
#define VNNI_STEP(g, a)                                                                      \
    do {                                                                                     \
        _Pragma("GCC unroll 4") for (int v = 0; v < nv; v++)                                \
            w[v] = _mm512_loadu_si512(P + (v * kg + (g)) * 64);                              \
        _Pragma("GCC unroll 8") for (int i = 0; i < mr; i++) {                              \
            __m512i ai = _mm512_xor_si512(a(i), flip);                                       \
            _Pragma("GCC unroll 4") for (int v = 0; v < nv; v++)                            \
                c[i][v] = _mm512_dpbusd_epi32(c[i][v], ai, w[v]);                            \
        }                                                                                    \
    } while (0)
    size_t g = 0;
    for (; g < kfull; g++) VNNI_STEP(g, A_MAIN);
    if (g < kg) VNNI_STEP(g, A_TAIL);
#pragma GCC unroll 8
    for (int i = 0; i < mr; i++)
#pragma GCC unroll 4
        for (int v = 0; v < nv; v++) out[i][v] = c[i][v];
}

static void qtile_vnni_any(const senti__qweights *W, size_t pb, const int8_t *A, size_t lda,
                           __m512i out[QMR][QNV], int mr, int nv) {
    switch (mr * 8 + nv) {
        QTILE_ROW(qtile_vnni, 1); QTILE_ROW(qtile_vnni, 2); QTILE_ROW(qtile_vnni, 3);
        QTILE_ROW(qtile_vnni, 4); QTILE_ROW(qtile_vnni, 5); QTILE_ROW(qtile_vnni, 6);
        QTILE_ROW(qtile_vnni, 7); QTILE_ROW(qtile_vnni, 8);
    }
}

static void vnni_qmatmul(size_t M, const int8_t *A, size_t lda, const float *a_scale,
                         const senti__qweights *W, size_t n0, size_t n1, const float *bias,
                         float *C, size_t ldc) {
    qmatmul_any(qtile_vnni_any, QMR, 128, M, A, lda, a_scale, W, n0, n1, bias, C, NULL, ldc);
}

static void vnni_qmatmul_s32(size_t M, const int8_t *A, size_t lda, const senti__qweights *W,
                             size_t n0, size_t n1, int32_t *C, size_t ldc) {
    qmatmul_any(qtile_vnni_any, QMR, 128, M, A, lda, NULL, W, n0, n1, NULL, NULL, C, ldc);
}

SENTI_KERNELS_TARGET_END()

#define AVX512_COMMON                                                                        \
    .dot = avx512_dot, .matmul = avx512_matmul, .quantize_row = avx512_quantize_row,         \
    .layernorm = avx512_layernorm, .gelu = avx512_gelu, .gelu_tanh = avx512_gelu_tanh,       \
    .softmax = avx512_softmax, .tanh = avx512_tanh, .add = avx512_add,                       \
    .scale = avx512_scale, .axpy = avx512_axpy

const senti__kernels senti__kernels_avx512 = {
    .name = "avx512",
    AVX512_COMMON,
    .qmatmul = avx512_qmatmul,
    .qmatmul_s32 = avx512_qmatmul_s32,
};

const senti__kernels senti__kernels_avx512vnni = {
    .name = "avx512vnni",
    AVX512_COMMON,
    .qmatmul = vnni_qmatmul,
    .qmatmul_s32 = vnni_qmatmul_s32,
};

#endif
