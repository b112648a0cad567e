/*
 * x86_avx2.c - the kernels for x86-64 CPUs with AVX2 and FMA (Haswell, Zen 1 and later):
 * 8 floats or 32 bytes per register, 16 registers.
 *
 * f32 products are dot products of two contiguous rows (see kernels.h), tiled 2 rows of A by
 * 4 rows of B: the 8 accumulators, 4 B vectors and one A vector fit the 16 registers, and each
 * loaded vector feeds 2 or 4 FMAs. int8 products are outer products over the packed weights:
 * 4 rows of A by one 16-column panel (two registers of 8 int32 sums each).
 * Tails: f32 rows end in one masked load (vmaskmovps; only the tail, because a masked store
 * is microcoded on AMD), int8 rows in a zero-padded group of 4 bytes.
 *
 * int8: vpmaddubsw multiplies u8 by s8 and adds pairs into a SATURATING int16, so the
 * operands are arranged so that no pair can reach 32767: the unsigned side is |w| (at most
 * 128, -128 included) and the signed side is the activation with w's sign moved onto it
 * (vpsignb; activations are in [-127, 127], so negating one cannot overflow); a pair is then
 * at most 2 * 128 * 127 = 32512. vpmaddwd by ones widens to int32. The sums are exact and
 * equal ref's.
 *
 * exp, erf and tanh are vectorized approximations (x86_math.h); their error bounds are stated
 * there and checked by tests/unit/test_kernels.c.
 */
#if defined(__x86_64__)

#include <immintrin.h>
#include <math.h>
#include <string.h>

#include "kernels/kernels.h"

SENTI_KERNELS_TARGET_BEGIN("avx2,fma")

#define V8 __m256
#include "kernels/x86_math.h"

#define AVX2_INLINE static inline __attribute__((always_inline))

/* lanes < n set (n <= 8) */
AVX2_INLINE __m256i mask8(size_t n) {
    return _mm256_cmpgt_epi32(_mm256_set1_epi32((int)n), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
}

AVX2_INLINE float hsum8(__m256 v) {
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
}

/* 8 floats at p, of which `left` (if < 8) are real: the tail goes through vmaskmovps, which is
 * slow on AMD (a masked store is microcoded), so full vectors never do */
AVX2_INLINE __m256 ld8(const float *p, size_t left) {
    return left >= 8 ? _mm256_loadu_ps(p) : _mm256_maskload_ps(p, mask8(left));
}
AVX2_INLINE void st8(float *p, size_t left, __m256 v) {
    if (left >= 8) _mm256_storeu_ps(p, v);
    else _mm256_maskstore_ps(p, mask8(left), v);
}
/* v with the lanes past `left` replaced by `fill` */
AVX2_INLINE __m256 keep8(__m256 v, size_t left, __m256 fill) {
    return left >= 8 ? v : _mm256_blendv_ps(fill, v, _mm256_castsi256_ps(mask8(left)));
}

static float avx2_dot(const float *a, const float *b, size_t n) {
    __m256 s0 = _mm256_setzero_ps(), s1 = _mm256_setzero_ps();
    size_t i = 0;
    for (; i + 16 <= n; i += 16) {
        s0 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i), s0);
        s1 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i + 8), _mm256_loadu_ps(b + i + 8), s1);
    }
    for (; i < n; i += 8) {
        __m256i m = mask8(n - i);
        s0 = _mm256_fmadd_ps(_mm256_maskload_ps(a + i, m), _mm256_maskload_ps(b + i, m), s0);
    }
    return hsum8(_mm256_add_ps(s0, s1));
}

/* ---- f32 product: one MR x NR tile of dot products ------------------------------------ */

enum { MR = 2, NR = 4 };

AVX2_INLINE void tile_f32(size_t K, const float *A, size_t lda, const float *B, size_t ldb,
                          const float *bias, float *C, size_t ldc, int mr, int nr) {
    __m256 acc[MR][NR], b[NR];
#pragma GCC unroll 4
    for (int i = 0; i < mr; i++)
#pragma GCC unroll 4
        for (int j = 0; j < nr; j++) acc[i][j] = _mm256_setzero_ps();
    size_t k = 0;
    for (; k + 8 <= K; k += 8) {
#pragma GCC unroll 4
        for (int j = 0; j < nr; j++) b[j] = _mm256_loadu_ps(B + j * ldb + k);
#pragma GCC unroll 4
        for (int i = 0; i < mr; i++) {
            __m256 a = _mm256_loadu_ps(A + i * lda + k);
#pragma GCC unroll 4
            for (int j = 0; j < nr; j++) acc[i][j] = _mm256_fmadd_ps(a, b[j], acc[i][j]);
        }
    }
    if (k < K) {
        __m256i m = mask8(K - k);
#pragma GCC unroll 4
        for (int j = 0; j < nr; j++) b[j] = _mm256_maskload_ps(B + j * ldb + k, m);
#pragma GCC unroll 4
        for (int i = 0; i < mr; i++) {
            __m256 a = _mm256_maskload_ps(A + i * lda + k, m);
#pragma GCC unroll 4
            for (int j = 0; j < nr; j++) acc[i][j] = _mm256_fmadd_ps(a, b[j], acc[i][j]);
        }
    }
#pragma GCC unroll 4
    for (int i = 0; i < mr; i++)
#pragma GCC unroll 4
        for (int j = 0; j < nr; j++) C[i * ldc + j] = hsum8(acc[i][j]) + (bias ? bias[j] : 0.0f);
}

#define F32_TILE(mr, nr)                                                                     \
    case (mr) * 8 + (nr): tile_f32(K, A, lda, B, ldb, bias, C, ldc, mr, nr); break
static void tile_f32_any(size_t K, const float *A, size_t lda, const float *B, size_t ldb,
                         const float *bias, float *C, size_t ldc, int mr, int nr) {
    switch (mr * 8 + nr) {
        F32_TILE(1, 1); F32_TILE(1, 2); F32_TILE(1, 3); F32_TILE(1, 4);
        F32_TILE(2, 1); F32_TILE(2, 2); F32_TILE(2, 3); F32_TILE(2, 4);
    }
}

static void avx2_matmul(size_t M, size_t N, size_t K, const float *A, size_t lda,
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

static void avx2_quantize_row(const float *x, size_t n, int8_t *q, float *scale) {
    const __m256 absmask = _mm256_castsi256_ps(_mm256_set1_epi32(0x7fffffff));
    __m256 vmax = _mm256_setzero_ps();
    size_t i = 0;
    for (; i < n; i += 8) vmax = _mm256_max_ps(vmax, _mm256_and_ps(ld8(x + i, n - i), absmask));
    __m128 h = _mm_max_ps(_mm256_castps256_ps128(vmax), _mm256_extractf128_ps(vmax, 1));
    h = _mm_max_ps(h, _mm_movehl_ps(h, h));
    float amax = _mm_cvtss_f32(_mm_max_ss(h, _mm_movehdup_ps(h)));
    if (!(amax >= 1e-36f)) amax = 0.0f;
    float inv = amax > 0.0f ? 127.0f / amax : 0.0f;
    const __m256 vinv = _mm256_set1_ps(inv);
    const __m256i lo = _mm256_set1_epi32(-127), hi = _mm256_set1_epi32(127);
    for (i = 0; i + 8 <= n; i += 8) {
        __m256i r = _mm256_cvtps_epi32(_mm256_mul_ps(_mm256_loadu_ps(x + i), vinv));
        r = _mm256_min_epi32(_mm256_max_epi32(r, lo), hi);
        __m128i w = _mm_packs_epi32(_mm256_castsi256_si128(r), _mm256_extracti128_si256(r, 1));
        _mm_storel_epi64((__m128i *)(q + i), _mm_packs_epi16(w, w));
    }
    for (; i < n; i++) {
        float r = nearbyintf(x[i] * inv);
        q[i] = (int8_t)(r > 127.0f ? 127 : r < -127.0f ? -127 : (int)r);
    }
    *scale = amax / 127.0f;
}

/* Integer products are outer products over the packed weights (kernels.h): a tile is up to
 * QMR rows of A by one panel of 16 columns (two registers of 8 int32 sums); 4 bytes of an A
 * row are broadcast against each half of the panel's 64-byte group. */
enum { QMR = 4 };

AVX2_INLINE int32_t load4(const int8_t *p) {
    int32_t x;
    memcpy(&x, p, 4);
    return x;
}
/* the last, partial group of 4 bytes of a row of K, zero-padded (never read past the row) */
AVX2_INLINE int32_t load_tail4(const int8_t *row, size_t K) {
    int32_t x = 0;
    memcpy(&x, row + (K & ~(size_t)3), K & 3);
    return x;
}

/* out[i][h] lane t = sum_k A[i][k] * q(16 pb + 8 h + t, k) */
AVX2_INLINE void qtile(const senti__qweights *W, size_t pb, const int8_t *A, size_t lda,
                       __m256i out[QMR][2], int mr) {
    const size_t kg = W->kgroups, kfull = W->k / 4, K = W->k;
    const int8_t *P = W->p + pb * kg * 64;
    const __m256i ones = _mm256_set1_epi16(1);
    __m256i c[QMR][2], aw[2], w[2];
#pragma GCC unroll 4
    for (int i = 0; i < mr; i++) c[i][0] = c[i][1] = _mm256_setzero_si256();
    for (size_t g = 0; g < kg; g++) {
        w[0] = _mm256_loadu_si256((const __m256i *)(P + g * 64));
        w[1] = _mm256_loadu_si256((const __m256i *)(P + g * 64 + 32));
        aw[0] = _mm256_abs_epi8(w[0]);
        aw[1] = _mm256_abs_epi8(w[1]);
#pragma GCC unroll 4
        for (int i = 0; i < mr; i++) {
            const int8_t *row = A + i * lda;
            __m256i a = _mm256_set1_epi32(g < kfull ? load4(row + 4 * g) : load_tail4(row, K));
#pragma GCC unroll 2
            for (int h = 0; h < 2; h++) {
                __m256i p = _mm256_maddubs_epi16(aw[h], _mm256_sign_epi8(a, w[h]));
                c[i][h] = _mm256_add_epi32(c[i][h], _mm256_madd_epi16(p, ones));
            }
        }
    }
#pragma GCC unroll 4
    for (int i = 0; i < mr; i++) out[i][0] = c[i][0], out[i][1] = c[i][1];
}

static void qtile_any(const senti__qweights *W, size_t pb, const int8_t *A, size_t lda,
                      __m256i out[QMR][2], int mr) {
    switch (mr) {
    case 1: qtile(W, pb, A, lda, out, 1); break;
    case 2: qtile(W, pb, A, lda, out, 2); break;
    case 3: qtile(W, pb, A, lda, out, 3); break;
    case 4: qtile(W, pb, A, lda, out, 4); break;
    }
}

/* row `row` of C, columns [j0, j0 + 8) clipped to [n0, n1): exact int32 (Cf NULL) or
 * dequantized as ref does, in the same order */
static void qstore(__m256i s, size_t row, size_t j0, size_t n0, size_t n1,
                   const senti__qweights *W, const float *a_scale, const float *bias, float *Cf,
                   int32_t *Ci, size_t ldc) {
    if (j0 >= n1 || j0 + 8 <= n0) return;
    int32_t si[8];
    float sf[8];
    if (Cf) {
        __m256 sc = _mm256_mul_ps(_mm256_set1_ps(a_scale[row]), _mm256_loadu_ps(W->scale + j0));
        __m256 f = _mm256_mul_ps(_mm256_cvtepi32_ps(s), sc);
        if (j0 >= n0 && j0 + 8 <= n1) {
            if (bias) f = _mm256_add_ps(f, _mm256_loadu_ps(bias + j0));
            else f = _mm256_add_ps(f, _mm256_setzero_ps());
            _mm256_storeu_ps(Cf + row * ldc + j0, f);
            return;
        }
        _mm256_storeu_ps(sf, f);
    } else if (j0 >= n0 && j0 + 8 <= n1) {
        _mm256_storeu_si256((__m256i *)(Ci + row * ldc + j0), s);
        return;
    }
    _mm256_storeu_si256((__m256i *)si, s);
    for (size_t t = 0; t < 8; t++) {
        size_t j = j0 + t;
        if (j < n0 || j >= n1) continue;
        if (Cf) Cf[row * ldc + j] = sf[t] + (bias ? bias[j] : 0.0f);
        else Ci[row * ldc + j] = si[t];
    }
}

/* the int8 product over tiles of up to QMR rows x one panel, either epilogue */
static void avx2_qmatmul_any(size_t M, const int8_t *A, size_t lda, const float *a_scale,
                             const senti__qweights *W, size_t n0, size_t n1, const float *bias,
                             float *Cf, int32_t *Ci, size_t ldc) {
    __m256i acc[QMR][2];
    for (size_t pb = n0 / 16; pb * 16 < n1; pb++)
        for (size_t m = 0; m < M; m += QMR) {
            int mr = M - m < QMR ? (int)(M - m) : QMR;
            qtile_any(W, pb, A + m * lda, lda, acc, mr);
            for (int i = 0; i < mr; i++)
                for (int h = 0; h < 2; h++)
                    qstore(acc[i][h], m + i, pb * 16 + 8 * (size_t)h, n0, n1, W, a_scale, bias, Cf, Ci, ldc);
        }
}

static void avx2_qmatmul(size_t M, const int8_t *A, size_t lda, const float *a_scale,
                         const senti__qweights *W, size_t n0, size_t n1, const float *bias,
                         float *C, size_t ldc) {
    avx2_qmatmul_any(M, A, lda, a_scale, W, n0, n1, bias, C, NULL, ldc);
}

static void avx2_qmatmul_s32(size_t M, const int8_t *A, size_t lda, const senti__qweights *W,
                             size_t n0, size_t n1, int32_t *C, size_t ldc) {
    avx2_qmatmul_any(M, A, lda, NULL, W, n0, n1, NULL, NULL, C, ldc);
}

/* ---- row kernels ----------------------------------------------------------------------- */

/* y[i] = f(x[i]) over a row */
#define AVX2_MAP(name, expr)                                                                 \
    static void name(float *y, const float *x, size_t n) {                                   \
        for (size_t i = 0; i < n; i += 8) {                                                  \
            __m256 v = ld8(x + i, n - i);                                                    \
            st8(y + i, n - i, (expr));                                                       \
        }                                                                                    \
    }
AVX2_MAP(avx2_gelu, x86_gelu(v))
AVX2_MAP(avx2_gelu_tanh, x86_gelu_tanh(v))
AVX2_MAP(avx2_tanh, x86_tanh(v))

static void avx2_layernorm(float *y, const float *x, size_t n, const float *gamma,
                           const float *beta, float eps) {
    if (n == 0) return;
    /* the mean of x - x[0], then + x[0]: a large common offset (1000 + noise) would otherwise
     * swamp the float sums (shifted-data algorithm) */
    const __m256 zero = _mm256_setzero_ps(), x0 = _mm256_set1_ps(x[0]);
    __m256 s = zero, v = zero;
    for (size_t i = 0; i < n; i += 8)
        s = _mm256_add_ps(s, keep8(_mm256_sub_ps(ld8(x + i, n - i), x0), n - i, zero));
    const __m256 mean = _mm256_set1_ps(x[0] + hsum8(s) / (float)n);
    for (size_t i = 0; i < n; i += 8) {
        __m256 d = keep8(_mm256_sub_ps(ld8(x + i, n - i), mean), n - i, zero);
        v = _mm256_fmadd_ps(d, d, v);
    }
    const __m256 rstd = _mm256_set1_ps(1.0f / sqrtf(hsum8(v) / (float)n + eps));
    for (size_t i = 0; i < n; i += 8) {
        __m256 d = _mm256_mul_ps(_mm256_sub_ps(ld8(x + i, n - i), mean), rstd);
        st8(y + i, n - i, _mm256_fmadd_ps(d, ld8(gamma + i, n - i), ld8(beta + i, n - i)));
    }
}

static void avx2_softmax(float *y, const float *x, size_t n) {
    if (n == 0) return;
    const __m256 ninf = _mm256_set1_ps(-INFINITY);
    __m256 vmax = ninf, s = _mm256_setzero_ps();
    for (size_t i = 0; i < n; i += 8) vmax = _mm256_max_ps(vmax, keep8(ld8(x + i, n - i), n - i, ninf));
    __m128 h = _mm_max_ps(_mm256_castps256_ps128(vmax), _mm256_extractf128_ps(vmax, 1));
    h = _mm_max_ps(h, _mm_movehl_ps(h, h));
    const __m256 max = _mm256_set1_ps(_mm_cvtss_f32(_mm_max_ss(h, _mm_movehdup_ps(h))));
    for (size_t i = 0; i < n; i += 8) {
        __m256 e = keep8(x86_exp(_mm256_sub_ps(ld8(x + i, n - i), max)), n - i, _mm256_setzero_ps());
        st8(y + i, n - i, e);
        s = _mm256_add_ps(s, e);
    }
    const __m256 inv = _mm256_set1_ps(1.0f / hsum8(s));
    for (size_t i = 0; i < n; i += 8) st8(y + i, n - i, _mm256_mul_ps(ld8(y + i, n - i), inv));
}

static void avx2_add(float *y, const float *a, const float *b, size_t n) {
    for (size_t i = 0; i < n; i += 8) st8(y + i, n - i, _mm256_add_ps(ld8(a + i, n - i), ld8(b + i, n - i)));
}

static void avx2_scale(float *y, const float *x, float s, size_t n) {
    const __m256 vs = _mm256_set1_ps(s);
    for (size_t i = 0; i < n; i += 8) st8(y + i, n - i, _mm256_mul_ps(ld8(x + i, n - i), vs));
}

static void avx2_axpy(float *y, float a, const float *x, size_t n) {
    const __m256 va = _mm256_set1_ps(a);
    for (size_t i = 0; i < n; i += 8)
        st8(y + i, n - i, _mm256_fmadd_ps(va, ld8(x + i, n - i), ld8(y + i, n - i)));
}

SENTI_KERNELS_TARGET_END()

const senti__kernels senti__kernels_avx2 = {
    .name = "avx2",
    .dot = avx2_dot,
    .matmul = avx2_matmul,
    .quantize_row = avx2_quantize_row,
    .qmatmul = avx2_qmatmul,
    .qmatmul_s32 = avx2_qmatmul_s32,
    .layernorm = avx2_layernorm,
    .gelu = avx2_gelu,
    .gelu_tanh = avx2_gelu_tanh,
    .softmax = avx2_softmax,
    .tanh = avx2_tanh,
    .add = avx2_add,
    .scale = avx2_scale,
    .axpy = avx2_axpy,
};

#endif
