/*
 * x86_avx512.c - the kernels for x86-64 CPUs with AVX-512 F/BW/VL/DQ (Skylake-SP, Ice Lake,
 * Zen 4 and later), and the AVX-512 VNNI variant, which differs only in its int8 product.
 *
 * 16 floats or 64 bytes per register, 32 registers and mask registers: products are tiled 4
 * rows of A by 4 rows of B (16 accumulators, 8 operand vectors), and every tail - the last
 * k < 16 floats or < 64 bytes of a row, the last elements of a row kernel - is a masked
 * load or store, so there is no scalar remainder loop anywhere.
 *
 * int8 without VNNI: vpmaddubsw as in x86_avx2.c (|w| unsigned, the activation negated
 * where w < 0 - AVX-512 has no vpsignb, so a masked subtract from zero; pairs <= 32512, no
 * saturation), vpmaddwd by ones to int32.
 * int8 with VNNI: vpdpbusd sums four u8 x s8 products straight into int32 (no int16 step, no
 * saturation). The activations are made unsigned by flipping their sign bit (q ^ 0x80 =
 * q + 128), so each sum is too large by 128 * sum(W row), which senti__qweights precomputed;
 * masked-off tail bytes are 0 in W, so they add nothing. Both paths give ref's exact sums.
 */
#if defined(__x86_64__)

#include <immintrin.h>
#include <math.h>

#include "kernels/kernels.h"

SENTI_KERNELS_TARGET_BEGIN("avx2,fma,avx512f,avx512bw,avx512vl,avx512dq")

#define V16 __m512
#include "kernels/x86_math.h"

#define AVX512_INLINE static inline __attribute__((always_inline))

AVX512_INLINE __mmask16 mask16(size_t n) { return n >= 16 ? 0xffff : (__mmask16)((1u << n) - 1); }
AVX512_INLINE __mmask64 mask64(size_t n) { return n >= 64 ? ~0ull : (1ull << n) - 1; }

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

AVX512_INLINE void tile_f32(size_t K, const float *A, size_t lda, const float *B, size_t ldb,
                            const float *bias, float *C, size_t ldc, int mr, int nr) {
    __m512 acc[MR][NR], b[NR];
#pragma GCC unroll 4
    for (int i = 0; i < mr; i++)
#pragma GCC unroll 4
        for (int j = 0; j < nr; j++) acc[i][j] = _mm512_setzero_ps();
    for (size_t k = 0; k < K; k += 16) {
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
#pragma GCC unroll 4
    for (int i = 0; i < mr; i++)
#pragma GCC unroll 4
        for (int j = 0; j < nr; j++)
            C[i * ldc + j] = _mm512_reduce_add_ps(acc[i][j]) + (bias ? bias[j] : 0.0f);
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

static void avx512_matmul(size_t M, size_t N, size_t K, const float *A, size_t lda,
                          const float *B, size_t ldb, const float *bias, float *C, size_t ldc) {
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

/* the int32 sums of one tile, without VNNI: out[i][j] = sum_k A[i][k] * W[j][k] */
AVX512_INLINE void tile_s8(size_t K, const int8_t *A, size_t lda, const int8_t *W, size_t ldw,
                           int32_t out[MR][NR], int mr, int nr) {
    const __m512i ones = _mm512_set1_epi16(1), zero = _mm512_setzero_si512();
    __m512i acc[MR][NR], aw[NR];
    __mmask64 neg[NR];
#pragma GCC unroll 4
    for (int i = 0; i < mr; i++)
#pragma GCC unroll 4
        for (int j = 0; j < nr; j++) acc[i][j] = zero;
    for (size_t k = 0; k < K; k += 64) {
        __mmask64 m = mask64(K - k);
#pragma GCC unroll 4
        for (int j = 0; j < nr; j++) {
            __m512i w = _mm512_maskz_loadu_epi8(m, W + j * ldw + k);
            neg[j] = _mm512_movepi8_mask(w);
            aw[j] = _mm512_abs_epi8(w);
        }
#pragma GCC unroll 4
        for (int i = 0; i < mr; i++) {
            __m512i a = _mm512_maskz_loadu_epi8(m, A + i * lda + k);
#pragma GCC unroll 4
            for (int j = 0; j < nr; j++) {
                __m512i sa = _mm512_mask_sub_epi8(a, neg[j], zero, a);
                __m512i p = _mm512_maddubs_epi16(aw[j], sa);
                acc[i][j] = _mm512_add_epi32(acc[i][j], _mm512_madd_epi16(p, ones));
            }
        }
    }
#pragma GCC unroll 4
    for (int i = 0; i < mr; i++)
#pragma GCC unroll 4
        for (int j = 0; j < nr; j++) out[i][j] = _mm512_reduce_add_epi32(acc[i][j]);
}

#define S8_TILE(fn, mr, nr)                                                                  \
    case (mr) * 8 + (nr): fn(K, A, lda, W, ldw, out, mr, nr); break
#define S8_TILES(fn)                                                                         \
    switch (mr * 8 + nr) {                                                                   \
        S8_TILE(fn, 1, 1); S8_TILE(fn, 1, 2); S8_TILE(fn, 1, 3); S8_TILE(fn, 1, 4);          \
        S8_TILE(fn, 2, 1); S8_TILE(fn, 2, 2); S8_TILE(fn, 2, 3); S8_TILE(fn, 2, 4);          \
        S8_TILE(fn, 3, 1); S8_TILE(fn, 3, 2); S8_TILE(fn, 3, 3); S8_TILE(fn, 3, 4);          \
        S8_TILE(fn, 4, 1); S8_TILE(fn, 4, 2); S8_TILE(fn, 4, 3); S8_TILE(fn, 4, 4);          \
    }
static void tile_s8_any(size_t K, const int8_t *A, size_t lda, const int8_t *W, size_t ldw,
                        int32_t out[MR][NR], int mr, int nr) {
    S8_TILES(tile_s8)
}

typedef void tile_s8_fn(size_t K, const int8_t *A, size_t lda, const int8_t *W, size_t ldw,
                        int32_t out[MR][NR], int mr, int nr);

/* the int8 product over tiles with either epilogue: exact int32 (Cf NULL) or dequantized
 * f32. sum_off is 128 for the VNNI tiles, whose sums carry 128 * sum(W row). */
static void qmatmul_any(tile_s8_fn *tile, int32_t sum_off, size_t M, const int8_t *A,
                        size_t lda, const float *a_scale, const senti__qweights *W, size_t n0,
                        size_t n1, const float *bias, float *Cf, int32_t *Ci, size_t ldc) {
    int32_t out[MR][NR];
    for (size_t j = n0; j < n1; j += NR) {
        int nr = n1 - j < NR ? (int)(n1 - j) : NR;
        for (size_t m = 0; m < M; m += MR) {
            int mr = M - m < MR ? (int)(M - m) : MR;
            tile(W->k, A + m * lda, lda, W->q + j * W->ld, W->ld, out, mr, nr);
            for (int i = 0; i < mr; i++)
                for (int t = 0; t < nr; t++) {
                    size_t at = (m + i) * ldc + j + t;
                    int32_t s = out[i][t] - sum_off * W->sum[j + t];
                    if (!Cf) { Ci[at] = s; continue; }
                    Cf[at] = (float)s * (a_scale[m + i] * W->scale[j + t]) +
                             (bias ? bias[j + t] : 0.0f);
                }
        }
    }
}

static void avx512_qmatmul(size_t M, const int8_t *A, size_t lda, const float *a_scale,
                           const senti__qweights *W, size_t n0, size_t n1, const float *bias,
                           float *C, size_t ldc) {
    qmatmul_any(tile_s8_any, 0, M, A, lda, a_scale, W, n0, n1, bias, C, NULL, ldc);
}

static void avx512_qmatmul_s32(size_t M, const int8_t *A, size_t lda, const senti__qweights *W,
                               size_t n0, size_t n1, int32_t *C, size_t ldc) {
    qmatmul_any(tile_s8_any, 0, M, A, lda, NULL, W, n0, n1, NULL, NULL, C, ldc);
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
    __m512 s = _mm512_setzero_ps();
    for (size_t i = 0; i < n; i += 16) s = _mm512_add_ps(s, _mm512_maskz_loadu_ps(mask16(n - i), x + i));
    const __m512 mean = _mm512_set1_ps(_mm512_reduce_add_ps(s) / (float)n);
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

/* out[i][j] = sum_k (A[i][k] + 128) * W[j][k] */
AVX512_INLINE void tile_vnni(size_t K, const int8_t *A, size_t lda, const int8_t *W, size_t ldw,
                             int32_t out[MR][NR], int mr, int nr) {
    const __m512i flip = _mm512_set1_epi8((char)0x80);
    __m512i acc[MR][NR], w[NR];
#pragma GCC unroll 4
    for (int i = 0; i < mr; i++)
#pragma GCC unroll 4
        for (int j = 0; j < nr; j++) acc[i][j] = _mm512_setzero_si512();
    for (size_t k = 0; k < K; k += 64) {
        __mmask64 m = mask64(K - k);
#pragma GCC unroll 4
        for (int j = 0; j < nr; j++) w[j] = _mm512_maskz_loadu_epi8(m, W + j * ldw + k);
#pragma GCC unroll 4
        for (int i = 0; i < mr; i++) {
            __m512i a = _mm512_xor_si512(_mm512_maskz_loadu_epi8(m, A + i * lda + k), flip);
#pragma GCC unroll 4
            for (int j = 0; j < nr; j++) acc[i][j] = _mm512_dpbusd_epi32(acc[i][j], a, w[j]);
        }
    }
#pragma GCC unroll 4
    for (int i = 0; i < mr; i++)
#pragma GCC unroll 4
        for (int j = 0; j < nr; j++) out[i][j] = _mm512_reduce_add_epi32(acc[i][j]);
}

static void tile_vnni_any(size_t K, const int8_t *A, size_t lda, const int8_t *W, size_t ldw,
                          int32_t out[MR][NR], int mr, int nr) {
    S8_TILES(tile_vnni)
}

static void vnni_qmatmul(size_t M, const int8_t *A, size_t lda, const float *a_scale,
                         const senti__qweights *W, size_t n0, size_t n1, const float *bias,
                         float *C, size_t ldc) {
    qmatmul_any(tile_vnni_any, 128, M, A, lda, a_scale, W, n0, n1, bias, C, NULL, ldc);
}

static void vnni_qmatmul_s32(size_t M, const int8_t *A, size_t lda, const senti__qweights *W,
                             size_t n0, size_t n1, int32_t *C, size_t ldc) {
    qmatmul_any(tile_vnni_any, 128, M, A, lda, NULL, W, n0, n1, NULL, NULL, C, ldc);
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
