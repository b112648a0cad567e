/*
 * ref.c - the reference kernels: plain portable C, one obvious loop per formula of kernels.h.
 *
 * They are the oracle the vector variants are tested against and the path on CPUs without
 * a vector variant, so clarity wins over speed: products sum left to right in float (the
 * tests bound the difference any order makes), the row sums of layer norm and softmax in
 * double (so ref is the more accurate side of those comparisons), the
 * transcendental functions come from libm (erff, tanhf, expf), layer norm takes two passes
 * (mean, then the squared deviations) so a large mean does not cancel the variance away.
 * The int8 product sums the exact int32 dot products directly; it does not use W->sum, which
 * only the u8-offset vector paths need, so the tests check that correction independently.
 * quantize_row defines the quantization every variant must reproduce bit for bit: the
 * scale's reciprocal is computed once (127 / max|x|), each value multiplied by it and
 * rounded half to even (nearbyintf in the default rounding mode, like cvtps2dq).
 */
#include <math.h>

#include "kernels/kernels.h"

static float ref_dot(const float *a, const float *b, size_t n) {
    float s = 0.0f;
    for (size_t i = 0; i < n; i++) s += a[i] * b[i];
    return s;
}

static void ref_matmul(size_t M, size_t N, size_t K, const float *A, size_t lda, const float *B,
                       size_t ldb, const float *bias, float *C, size_t ldc) {
    for (size_t m = 0; m < M; m++)
        for (size_t j = 0; j < N; j++)
            C[m * ldc + j] = ref_dot(A + m * lda, B + j * ldb, K) + (bias ? bias[j] : 0.0f);
}

static void ref_quantize_row(const float *x, size_t n, int8_t *q, float *scale) {
    float amax = 0.0f;
    for (size_t i = 0; i < n; i++) amax = fmaxf(amax, fabsf(x[i]));
    if (!(amax >= 1e-36f)) amax = 0.0f; /* 127 / amax would overflow */
    float inv = amax > 0.0f ? 127.0f / amax : 0.0f;
    for (size_t i = 0; i < n; i++) {
        float r = nearbyintf(x[i] * inv);
        q[i] = (int8_t)(r > 127.0f ? 127 : r < -127.0f ? -127 : (int)r);
    }
    *scale = amax / 127.0f;
}

/* sum_k a[k] * q(j, k), read through the packed layout one weight at a time */
static int32_t ref_dot_s8(const int8_t *a, const senti__qweights *W, size_t j) {
    int32_t s = 0;
    for (size_t k = 0; k < W->k; k++) s += (int32_t)a[k] * senti__qweights_at(W, j, k);
    return s;
}

static void ref_qmatmul_s32(size_t M, const int8_t *A, size_t lda, const senti__qweights *W,
                            size_t n0, size_t n1, int32_t *C, size_t ldc) {
    for (size_t m = 0; m < M; m++)
        for (size_t j = n0; j < n1; j++) C[m * ldc + j] = ref_dot_s8(A + m * lda, W, j);
}

static void ref_qmatmul(size_t M, const int8_t *A, size_t lda, const float *a_scale,
                        const senti__qweights *W, size_t n0, size_t n1, const float *bias,
                        float *C, size_t ldc) {
    for (size_t m = 0; m < M; m++)
        for (size_t j = n0; j < n1; j++) {
            int32_t acc = ref_dot_s8(A + m * lda, W, j);
            C[m * ldc + j] = (float)acc * (a_scale[m] * W->scale[j]) + (bias ? bias[j] : 0.0f);
        }
}

static void ref_layernorm(float *y, const float *x, size_t n, const float *gamma,
                          const float *beta, float eps) {
    if (n == 0) return;
    double sum = 0.0, var = 0.0;
    for (size_t i = 0; i < n; i++) sum += x[i];
    float mean = (float)(sum / (double)n);
    for (size_t i = 0; i < n; i++) var += (double)(x[i] - mean) * (x[i] - mean);
    float rstd = (float)(1.0 / sqrt(var / (double)n + eps));
    for (size_t i = 0; i < n; i++) y[i] = (x[i] - mean) * rstd * gamma[i] + beta[i];
}

static void ref_gelu(float *y, const float *x, size_t n) {
    for (size_t i = 0; i < n; i++) y[i] = 0.5f * x[i] * (1.0f + erff(x[i] * 0.70710678118654752f));
}

static void ref_gelu_tanh(float *y, const float *x, size_t n) {
    for (size_t i = 0; i < n; i++) {
        float v = x[i];
        y[i] = 0.5f * v * (1.0f + tanhf(0.79788456080286536f * (v + 0.044715f * v * v * v)));
    }
}

static void ref_softmax(float *y, const float *x, size_t n) {
    if (n == 0) return;
    float max = x[0];
    double sum = 0.0;
    for (size_t i = 1; i < n; i++) max = fmaxf(max, x[i]);
    for (size_t i = 0; i < n; i++) {
        y[i] = expf(x[i] - max);
        sum += y[i];
    }
    float inv = (float)(1.0 / sum);
    for (size_t i = 0; i < n; i++) y[i] *= inv;
}

static void ref_tanh(float *y, const float *x, size_t n) {
    for (size_t i = 0; i < n; i++) y[i] = tanhf(x[i]);
}

static void ref_add(float *y, const float *a, const float *b, size_t n) {
    for (size_t i = 0; i < n; i++) y[i] = a[i] + b[i];
}

static void ref_scale(float *y, const float *x, float s, size_t n) {
    for (size_t i = 0; i < n; i++) y[i] = s * x[i];
}

static void ref_axpy(float *y, float a, const float *x, size_t n) {
    for (size_t i = 0; i < n; i++) y[i] += a * x[i];
}

const senti__kernels senti__kernels_ref = {
    .name = "ref",
    .dot = ref_dot,
    .matmul = ref_matmul,
    .quantize_row = ref_quantize_row,
    .qmatmul = ref_qmatmul,
    .qmatmul_s32 = ref_qmatmul_s32,
    .layernorm = ref_layernorm,
    .gelu = ref_gelu,
    .gelu_tanh = ref_gelu_tanh,
    .softmax = ref_softmax,
    .tanh = ref_tanh,
    .add = ref_add,
    .scale = ref_scale,
    .axpy = ref_axpy,
};
