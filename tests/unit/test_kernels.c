/*
 * test_kernels.c - the kernel layer (src/kernels/): every variant this CPU runs against ref,
 * ref against double-precision libm, and the dispatch.
 *
 * Sizes are chosen to miss the vector widths (1, 3, 7, 17, 100) as well as hit the
 * transformer's (64, 768, 3072); data includes int8 extremes (activations +-127, weights
 * -128), zero rows, tiny and huge magnitudes. Tolerances:
 *   dot, matmul     |c - ref| <= (K + 2) eps sum|a_k b_k| (+|bias|): the classic bound of a
 *                   float sum in any order, so it holds for every blocking and FMA use;
 *   quantize_row    bit-exact (same int8 values, same scale);
 *   int8 products   int32 sums exact; f32 outputs within 4 ulp of ref's;
 *   row kernels     stated per kernel below (exp/erf/tanh are approximations in the vector
 *                   variants, x86_math.h), and ref itself against double-precision formulas.
 *
 *   build/test_unit kernels                    all of them
 *   SENTI_KERNELS=ref build/test_unit kernels  the same; kernels_env also checks the override
 */
#include <float.h>
#include <math.h>
#include <stdlib.h>

#include "../harness.h"
#include "base/base.h"
#include "kernels/kernels.h"

static const size_t SIZES[] = {1, 3, 7, 17, 64, 100, 768, 3072};
enum { NSIZES = sizeof SIZES / sizeof SIZES[0] };

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;
static uint32_t rnd(void) {
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return (uint32_t)(rng_state >> 32);
}
/* uniform in [-r, r) */
static float rndf(float r) { return ((float)rnd() / 4294967296.0f * 2.0f - 1.0f) * r; }
static void fill(float *x, size_t n, float r) {
    for (size_t i = 0; i < n; i++) x[i] = rndf(r);
}
static void fill_s8(int8_t *x, size_t n, int lo, int hi) {
    for (size_t i = 0; i < n; i++) x[i] = (int8_t)(lo + (int)(rnd() % (uint32_t)(hi - lo + 1)));
}

/* The variants to compare with ref: every compiled one this CPU runs, ref excluded. */
static size_t others(const senti__kernels *out[8]) {
    size_t n, k = 0;
    const senti__kernels *const *all = senti__kernels_list(&n);
    for (size_t i = 0; i < n && k < 8; i++)
        if (all[i] != &senti__kernels_ref && senti__kernels_supported(all[i])) out[k++] = all[i];
    return k;
}

#define FOR_EACH_VARIANT(kt)                                                                 \
    const senti__kernels *variants_[8];                                                      \
    size_t nvariants_ = others(variants_);                                                   \
    for (size_t vi_ = 0; vi_ < nvariants_; vi_++)                                            \
        for (const senti__kernels *kt = variants_[vi_]; kt; kt = NULL)

/* ---- dispatch -------------------------------------------------------------------------- */

TEST(kernels_dispatch) {
    size_t n;
    const senti__kernels *const *all = senti__kernels_list(&n);
    ASSERT(n >= 1);
    ASSERT(all[0] == &senti__kernels_ref);
    const senti__kernels *best = NULL;
    for (size_t i = 0; i < n; i++) {
        ASSERT(all[i]->name && all[i]->matmul && all[i]->qmatmul && all[i]->axpy);
        if (senti__kernels_supported(all[i])) best = all[i];
        ASSERT(senti__kernels_by_name(all[i]->name) ==
               (senti__kernels_supported(all[i]) ? all[i] : NULL));
    }
    ASSERT(senti__kernels_by_name("ref") == &senti__kernels_ref);
    ASSERT(senti__kernels_by_name("nonsense") == NULL);
    ASSERT(senti__kernels_by_name(NULL) == NULL);
    ASSERT(senti__kernels_pick("ref") == &senti__kernels_ref);
    ASSERT(senti__kernels_pick(NULL) == best);
    ASSERT(senti__kernels_pick("") == best);
    ASSERT(senti__kernels_pick("avx9000") == best);
    ASSERT(senti__kernels_get() != NULL);
    ASSERT(senti__kernels_supported(senti__kernels_get()));
#if defined(__x86_64__)
    __builtin_cpu_init();
    if (!__builtin_cpu_supports("avx512vnni"))
        ASSERT(senti__kernels_pick("avx512vnni") == best); /* unsupported: falls back */
    else
        ASSERT(best == &senti__kernels_avx512vnni);
#endif
}

/* the table get() chose is the one SENTI_KERNELS asks for (run with it set to see) */
TEST(kernels_env) {
    const char *env = getenv("SENTI_KERNELS");
    ASSERT_STR(senti__kernels_get()->name, senti__kernels_pick(env)->name);
    if (env && senti__kernels_by_name(env)) ASSERT_STR(senti__kernels_get()->name, env);
}

/* ---- f32 products ---------------------------------------------------------------------- */

static double sum_abs_prod(const float *a, const float *b, size_t n) {
    double s = 0;
    for (size_t i = 0; i < n; i++) s += fabs((double)a[i] * b[i]);
    return s;
}

TEST(kernels_dot) {
    float *a = malloc(3072 * sizeof *a), *b = malloc(3072 * sizeof *b);
    ASSERT(a && b);
    FOR_EACH_VARIANT(kt) {
        for (size_t s = 0; s < NSIZES; s++) {
            size_t n = SIZES[s];
            for (int rep = 0; rep < 3; rep++) {
                float r = rep == 2 ? 1e15f : 1.0f; /* large magnitudes too */
                fill(a, n, r);
                fill(b, n, r);
                double tol = (double)(n + 2) * FLT_EPSILON * sum_abs_prod(a, b, n);
                float got = kt->dot(a, b, n), want = senti__kernels_ref.dot(a, b, n);
                if (!(fabs((double)got - want) <= tol))
                    TEST_FAIL_("%s dot n=%zu: %.9g vs ref %.9g", kt->name, n, got, want);
            }
        }
        ASSERT(kt->dot(a, b, 0) == 0.0f);
    }
    free(a);
    free(b);
}

static int check_matmul(const senti__kernels *kt, size_t M, size_t N, size_t K, int with_bias) {
    size_t lda = K + 5, ldb = K + 3, ldc = N + 2; /* strides wider than the rows */
    float *A = malloc(M * lda * sizeof *A), *B = malloc(N * ldb * sizeof *B);
    float *bias = malloc(N * sizeof *bias), *C = malloc(M * ldc * sizeof *C);
    float *R = malloc(M * ldc * sizeof *R);
    int bad = !A || !B || !bias || !C || !R;
    if (!bad) {
        fill(A, M * lda, 2.0f);
        fill(B, N * ldb, 0.5f);
        fill(bias, N, 1.0f);
        for (size_t i = 0; i < M * ldc; i++) C[i] = R[i] = 12345.0f; /* the gaps stay */
        kt->matmul(M, N, K, A, lda, B, ldb, with_bias ? bias : NULL, C, ldc);
        senti__kernels_ref.matmul(M, N, K, A, lda, B, ldb, with_bias ? bias : NULL, R, ldc);
        for (size_t m = 0; m < M && !bad; m++)
            for (size_t j = 0; j < ldc && !bad; j++) {
                double tol = j >= N ? 0 : (double)(K + 2) * FLT_EPSILON *
                    (sum_abs_prod(A + m * lda, B + j * ldb, K) + (with_bias ? fabsf(bias[j]) : 0));
                if (!(fabs((double)C[m * ldc + j] - R[m * ldc + j]) <= tol)) {
                    fprintf(stderr, "    %s matmul M=%zu N=%zu K=%zu bias=%d [%zu][%zu]: %.9g vs %.9g\n",
                            kt->name, M, N, K, with_bias, m, j, C[m * ldc + j], R[m * ldc + j]);
                    bad = 1;
                }
            }
    }
    free(A); free(B); free(bias); free(C); free(R);
    return bad;
}

TEST(kernels_matmul) {
    static const size_t Ms[] = {1, 2, 3, 4, 5, 8, 9};
    static const size_t Ns[] = {1, 3, 4, 7, 17};
    FOR_EACH_VARIANT(kt) {
        for (size_t s = 0; s < NSIZES; s++)
            for (size_t mi = 0; mi < sizeof Ms / sizeof Ms[0]; mi++)
                for (size_t ni = 0; ni < sizeof Ns / sizeof Ns[0]; ni++)
                    ASSERT(!check_matmul(kt, Ms[mi], Ns[ni], SIZES[s], (int)(mi + ni) & 1));
        ASSERT(!check_matmul(kt, 33, 70, 768, 1)); /* several full tiles */
        /* the packed path of short rows (AVX-512: M >= 16, K <= 256): edges in M, N and K */
        static const size_t Kp[] = {1, 15, 16, 17, 64, 129, 256};
        for (size_t i = 0; i < sizeof Kp / sizeof Kp[0]; i++) {
            ASSERT(!check_matmul(kt, 16, 32, Kp[i], 1));
            ASSERT(!check_matmul(kt, 29, 47, Kp[i], 0));
            ASSERT(!check_matmul(kt, 128, 17, Kp[i], 1));
        }
    }
}

/* the split a caller makes for threads does not change a bit (kernels.h): columns anywhere,
 * rows in parts of >= 16 */
static int split_same(const senti__kernels *kt, size_t K) {
    enum { M = 40, N = 37 };
    float *A = malloc(M * K * sizeof *A), *B = malloc(N * K * sizeof *B), bias[N];
    float *C = malloc(M * N * sizeof *C), *S = malloc(M * N * sizeof *S);
    int same = A && B && C && S;
    if (same) {
        fill(A, M * K, 1.0f);
        fill(B, N * K, 1.0f);
        fill(bias, N, 1.0f);
        kt->matmul(M, N, K, A, K, B, K, bias, C, N);
        kt->matmul(M, 13, K, A, K, B, K, bias, S, N); /* columns [0, 13) and [13, 37) */
        kt->matmul(M, N - 13, K, A, K, B + 13 * K, K, bias + 13, S + 13, N);
        same = memcmp(C, S, M * N * sizeof *C) == 0;
        memset(S, 0, M * N * sizeof *S);
        kt->matmul(16, N, K, A, K, B, K, bias, S, N); /* rows [0, 16) and [16, 40) */
        kt->matmul(M - 16, N, K, A + 16 * K, K, B, K, bias, S + 16 * N, N);
        same = same && memcmp(C, S, M * N * sizeof *C) == 0;
    }
    free(A); free(B); free(C); free(S);
    return same;
}

TEST(kernels_matmul_split) {
    const senti__kernels *all[9] = {&senti__kernels_ref};
    size_t n = 1 + others(all + 1);
    for (size_t v = 0; v < n; v++)
        for (size_t K = 60; K <= 600; K += 270) /* 60 and 330: both AVX-512 paths */
            if (!split_same(all[v], K)) TEST_FAIL_("%s: a split changed C (K = %zu)", all[v]->name, K);
}

/* ---- int8 ------------------------------------------------------------------------------ */

TEST(kernels_quantize_row) {
    float *x = malloc(3072 * sizeof *x);
    int8_t *q = malloc(3072), *r = malloc(3072);
    ASSERT(x && q && r);
    for (int rep = 0; rep < 7; rep++) {
        for (size_t s = 0; s < NSIZES; s++) {
            size_t n = SIZES[s];
            float mag = rep == 3 ? 1e30f : rep == 4 ? 1e-30f : 3.0f;
            fill(x, n, mag);
            if (rep == 5) memset(x, 0, n * sizeof *x); /* zero row */
            if (rep == 6) /* amax 127: inv = 1, so the halves test round-half-even */
                for (size_t i = 0; i < n; i++) x[i] = i == 0 ? 127.0f : (float)((int)(i % 9) - 4) + 0.5f;
            float want_scale;
            senti__kernels_ref.quantize_row(x, n, r, &want_scale);
            if (rep == 5) ASSERT(want_scale == 0.0f && r[0] == 0 && r[n - 1] == 0);
            if (rep == 6 && n >= 7) /* -2.5 -> -2, -1.5 -> -2, 0.5 -> 0, 1.5 -> 2 */
                ASSERT(r[1] == -2 && r[2] == -2 && r[4] == 0 && r[5] == 2);
            for (size_t i = 0; i < n; i++) ASSERT(r[i] >= -127 && r[i] <= 127);
            FOR_EACH_VARIANT(kt) {
                float scale = -1;
                kt->quantize_row(x, n, q, &scale);
                ASSERT(scale == want_scale);
                for (size_t i = 0; i < n; i++)
                    if (q[i] != r[i])
                        TEST_FAIL_("%s quantize n=%zu rep=%d [%zu]: x=%.9g %d vs ref %d", kt->name,
                                   n, rep, i, x[i], q[i], r[i]);
            }
        }
    }
    free(x); free(q); free(r);
}

/* one int8 product checked for every variant: s32 exact, f32 within 4 ulp */
static int check_qmatmul(size_t M, size_t N, size_t K, int amin, int amax, int wmin, int wmax,
                         size_t n0, size_t n1) {
    size_t lda = K + 7, ldc = N + 1;
    int8_t *A = malloc(M * lda), *Wq = malloc(N * K);
    float *as = malloc(M * sizeof *as), *ws = malloc(N * sizeof *ws), *bias = malloc(N * sizeof *bias);
    int32_t *Ci = calloc(M * ldc, sizeof *Ci), *Ri = calloc(M * ldc, sizeof *Ri);
    float *Cf = calloc(M * ldc, sizeof *Cf), *Rf = calloc(M * ldc, sizeof *Rf);
    senti__qweights W = {0};
    int bad = !A || !Wq || !as || !ws || !bias || !Ci || !Ri || !Cf || !Rf;
    if (!bad) {
        fill_s8(A, M * lda, amin, amax);
        fill_s8(Wq, N * K, wmin, wmax);
        if (M > 2) memset(A + lda, 0, K); /* a zero row */
        for (size_t m = 0; m < M; m++) as[m] = 0.001f + (float)(rnd() % 1000) * 1e-4f;
        for (size_t j = 0; j < N; j++) ws[j] = 0.002f + (float)(rnd() % 1000) * 1e-5f;
        fill(bias, N, 1.0f);
        bad = senti__qweights_from_int8(&W, Wq, K, ws, N, K) != 0;
    }
    if (!bad) {
        senti__kernels_ref.qmatmul_s32(M, A, lda, &W, n0, n1, Ri, ldc);
        senti__kernels_ref.qmatmul(M, A, lda, as, &W, n0, n1, bias, Rf, ldc);
    }
    FOR_EACH_VARIANT(kt) {
        if (bad) break;
        for (size_t i = 0; i < M * ldc; i++) Ci[i] = 0, Cf[i] = 0.0f;
        kt->qmatmul_s32(M, A, lda, &W, n0, n1, Ci, ldc);
        kt->qmatmul(M, A, lda, as, &W, n0, n1, bias, Cf, ldc);
        for (size_t i = 0; i < M * ldc && !bad; i++) {
            double tol = 4 * FLT_EPSILON * fabs((double)Rf[i]) + FLT_MIN;
            if (Ci[i] != Ri[i] || !(fabs((double)Cf[i] - Rf[i]) <= tol)) {
                fprintf(stderr, "    %s qmatmul M=%zu N=%zu K=%zu cols %zu..%zu [%zu][%zu]: %d vs %d, %.9g vs %.9g\n",
                        kt->name, M, N, K, n0, n1, i / ldc, i % ldc, Ci[i], Ri[i], Cf[i], Rf[i]);
                bad = 1;
            }
        }
    }
    senti__qweights_free(&W);
    free(A); free(Wq); free(as); free(ws); free(bias); free(Ci); free(Ri); free(Cf); free(Rf);
    return bad;
}

TEST(kernels_qmatmul) {
    static const size_t Ms[] = {1, 2, 3, 4, 5, 8};
    static const size_t Ns[] = {1, 3, 4, 7, 17};
    for (size_t s = 0; s < NSIZES; s++)
        for (size_t mi = 0; mi < sizeof Ms / sizeof Ms[0]; mi++)
            for (size_t ni = 0; ni < sizeof Ns / sizeof Ns[0]; ni++) {
                size_t M = Ms[mi], N = Ns[ni], K = SIZES[s];
                ASSERT(!check_qmatmul(M, N, K, -127, 127, -128, 127, 0, N));
                ASSERT(!check_qmatmul(M, N, K, -127, 127, -128, 127, N / 3, N - N / 4));
            }
    /* the extremes: every pair at +-127 x -128, K = 3072 (|sum| = 49,938,432) */
    ASSERT(!check_qmatmul(5, 7, 3072, 127, 127, -128, -128, 0, 7));
    ASSERT(!check_qmatmul(5, 7, 3072, -127, -127, -128, -128, 0, 7));
    ASSERT(!check_qmatmul(3, 5, 3072, -127, -126, 126, 127, 0, 5));
    ASSERT(!check_qmatmul(4, 4, 100, 0, 0, -128, 127, 0, 4));     /* zero activations */
    ASSERT(!check_qmatmul(4, 4, 100, -127, 127, 0, 0, 0, 4));     /* zero weights */
    ASSERT(!check_qmatmul(33, 70, 768, -127, 127, -128, 127, 0, 70));
}

/* empty sizes: K = 0 gives C = bias; M = 0 or an empty column range writes nothing */
TEST(kernels_empty) {
    const senti__kernels *all[9] = {&senti__kernels_ref};
    size_t n = 1 + others(all + 1);
    float A[1] = {1}, B[1] = {1}, bias[3] = {1, -2, 3}, C[6], as[2] = {1, 1};
    int8_t qa[1] = {1};
    int32_t Ci[6];
    senti__qweights W;
    ASSERT(senti__qweights_quantize(&W, B, 3, 0, 0) == 0);
    for (size_t v = 0; v < n; v++) {
        const senti__kernels *kt = all[v];
        for (int i = 0; i < 6; i++) C[i] = 9.0f, Ci[i] = 9;
        kt->matmul(2, 3, 0, A, 0, B, 0, bias, C, 3);
        for (int i = 0; i < 6; i++) ASSERT(C[i] == bias[i % 3]);
        kt->qmatmul(2, qa, 0, as, &W, 0, 3, bias, C, 3);
        for (int i = 0; i < 6; i++) ASSERT(C[i] == bias[i % 3]);
        kt->qmatmul_s32(2, qa, 0, &W, 0, 3, Ci, 3);
        for (int i = 0; i < 6; i++) ASSERT_EQ(Ci[i], 0);
        for (int i = 0; i < 6; i++) C[i] = 9.0f;
        kt->matmul(0, 3, 1, A, 1, B, 1, bias, C, 3);
        kt->qmatmul(2, qa, 0, as, &W, 2, 2, bias, C, 3);
        kt->softmax(C, C, 0);
        kt->layernorm(C, C, 0, bias, bias, 1e-5f);
        for (int i = 0; i < 6; i++) ASSERT(C[i] == 9.0f);
    }
    senti__qweights_free(&W);
}

/* quantized product of f32 data close to the f32 product: the scales are applied right */
TEST(kernels_qmatmul_accuracy) {
    enum { M = 8, N = 24, K = 768 };
    float *A = malloc(M * K * sizeof *A), *B = malloc(N * K * sizeof *B), C[M * N], R[M * N];
    int8_t *qa = malloc(M * K);
    float as[M];
    senti__qweights W = {0};
    ASSERT(A && B && qa);
    fill(A, M * K, 4.0f);
    fill(B, N * K, 0.1f);
    ASSERT(senti__qweights_quantize(&W, B, N, K, K) == 0);
    ASSERT(W.n == N && W.k == K);
    senti__kernels_ref.matmul(M, N, K, A, K, B, K, NULL, R, N);
    const senti__kernels *all[9] = {&senti__kernels_ref};
    size_t n = 1 + others(all + 1);
    for (size_t v = 0; v < n; v++) {
        for (size_t m = 0; m < M; m++) all[v]->quantize_row(A + m * K, K, qa + m * K, &as[m]);
        all[v]->qmatmul(M, qa, K, as, &W, 0, N, NULL, C, N);
        for (size_t i = 0; i < M * N; i++) {
            /* each factor is off by at most half a step: |e| <= sum |a||db| + |da||b| + ... */
            double tol = 0.5 * (4.0 / 127) * 0.1 * K * 0.6;
            if (!(fabs((double)C[i] - R[i]) <= tol))
                TEST_FAIL_("%s: quantized %.6g vs f32 %.6g", all[v]->name, C[i], R[i]);
        }
    }
    senti__qweights_free(&W);
    free(A); free(B); free(qa);
}

TEST(kernels_qweights) {
    float w[2 * 5] = {1, -2, 3, -4, 0.5f, 0, 0, 0, 0, 0};
    senti__qweights W;
    ASSERT(senti__qweights_quantize(&W, w, 2, 5, 5) == 0);
    ASSERT_EQ(senti__qweights_at(&W, 0, 3), -127);
    ASSERT_EQ(senti__qweights_at(&W, 0, 0), 32);
    ASSERT_EQ(W.sum[0], 32 - 64 + 95 - 127 + 16);
    ASSERT_EQ(W.sum[1], 0);
    ASSERT(W.scale[1] == 0.0f);
    senti__qweights_free(&W);
    ASSERT(W.p == NULL);
    senti__alloc_fail_after(1);
    int rc = senti__qweights_quantize(&W, w, 2, 5, 5);
    senti__alloc_fail_after(-1);
    ASSERT_EQ(rc, -1);
    ASSERT(W.p == NULL && W.scale == NULL && W.sum == NULL);
    /* the packed layout: every weight where senti__qweights_at says, zeros around */
    enum { N = 21, K = 11 };
    int8_t q[N * K];
    float sc[N];
    for (int i = 0; i < N * K; i++) q[i] = (int8_t)(i * 37 % 256 - 128);
    for (int j = 0; j < N; j++) sc[j] = (float)j;
    ASSERT(senti__qweights_from_int8(&W, q, K, sc, N, K) == 0);
    ASSERT(W.panels == 2 && W.kgroups == 3);
    size_t nonzero = 0;
    for (size_t i = 0; i < W.panels * W.kgroups * 64; i++) nonzero += W.p[i] != 0;
    for (int j = 0; j < N; j++) {
        int32_t sum = 0;
        for (int k = 0; k < K; k++) {
            ASSERT_EQ(senti__qweights_at(&W, j, k), q[j * K + k]);
            sum += q[j * K + k];
            nonzero -= q[j * K + k] != 0;
        }
        ASSERT_EQ(W.sum[j], sum);
        ASSERT(W.scale[j] == (float)j);
    }
    ASSERT_EQ(nonzero, 0); /* the padding is zero */
    ASSERT(W.sum[N] == 0 && W.scale[2 * 16 - 1] == 0.0f);
    senti__qweights_free(&W);
    ASSERT(senti__qweights_from_int8(&W, q, K, sc, N, 131073) == -1); /* int32 could overflow */
}

/* ---- row kernels ----------------------------------------------------------------------- */

typedef void map_fn(float *y, const float *x, size_t n);

static double gelu_d(double x) { return 0.5 * x * (1 + erf(x / sqrt(2.0))); }
static double gelu_tanh_d(double x) {
    return 0.5 * x * (1 + tanh(sqrt(2 / M_PI) * (x + 0.044715 * x * x * x)));
}

/* f over a dense grid on [-lim, lim] plus odd lengths: |f_variant - f_ref| <= tol max(1, |f|)
 * (absolute near 0, relative for large x), and ref against the double formula d likewise
 * within dtol */
static int check_map(const char *what, size_t off, double (*d)(double), double tol, double dtol,
                     float lim) {
    enum { G = 20001 };
    float *x = malloc(G * sizeof *x), *y = malloc(G * sizeof *y), *r = malloc(G * sizeof *r);
    int bad = !x || !y || !r;
    for (size_t i = 0; !bad && i < G; i++) x[i] = -lim + 2 * lim * (float)i / (G - 1);
    map_fn *ref = *(map_fn *const *)((const char *)&senti__kernels_ref + off);
    if (!bad) ref(r, x, G);
    for (size_t i = 0; !bad && i < G; i++)
        if (!(fabs(r[i] - d(x[i])) <= dtol * fmax(1, fabs(d(x[i]))))) {
            fprintf(stderr, "    ref %s(%.9g) = %.9g, double %.9g\n", what, x[i], r[i], d(x[i]));
            bad = 1;
        }
    FOR_EACH_VARIANT(kt) {
        map_fn *f = *(map_fn *const *)((const char *)kt + off);
        double worst = 0;
        for (size_t s = 0; !bad && s < NSIZES + 1; s++) {
            size_t n = s < NSIZES ? SIZES[s] : G, at = s < NSIZES ? rnd() % (G - n) : 0;
            if (at + n < G) y[at + n] = 777.0f; /* the element after stays */
            f(y + at, x + at, n);
            for (size_t i = at; i < at + n; i++)
                worst = fmax(worst, fabs((double)y[i] - r[i]) / fmax(1, fabs(r[i])));
            if (at + n < G && y[at + n] != 777.0f) bad = 1;
        }
        if (bad || !(worst <= tol)) {
            fprintf(stderr, "    %s %s: max error %.3g (tol %.3g)\n", kt->name, what, worst, tol);
            bad = 1;
        }
        if (getenv("TEST_VERBOSE")) fprintf(stderr, "    %s %s: max error %.3g\n", kt->name, what, worst);
    }
    free(x); free(y); free(r);
    return bad;
}

static double tanh_d(double x) { return tanh(x); }

TEST(kernels_gelu_tanh) {
    ASSERT(!check_map("gelu", offsetof(senti__kernels, gelu), gelu_d, 1.5e-6, 2e-6, 12));
    ASSERT(!check_map("gelu_tanh", offsetof(senti__kernels, gelu_tanh), gelu_tanh_d, 2e-6, 2e-6, 12));
    ASSERT(!check_map("tanh", offsetof(senti__kernels, tanh), tanh_d, 5e-7, 2e-7, 12));
}

TEST(kernels_softmax) {
    float *x = malloc(3072 * sizeof *x), *y = malloc(3072 * sizeof *y), *r = malloc(3072 * sizeof *r);
    ASSERT(x && y && r);
    for (int rep = 0; rep < 5; rep++)
        for (size_t s = 0; s < NSIZES; s++) {
            size_t n = SIZES[s];
            fill(x, n, rep == 1 ? 80.0f : 8.0f);
            if (rep == 2) for (size_t i = 0; i < n; i++) x[i] += 1e4f;   /* large: max subtracted */
            if (rep == 3) for (size_t i = 0; i < n; i++) x[i] = -3.0f;   /* all equal */
            if (rep == 4) for (size_t i = 0; i < n; i++) x[i] -= 1e30f;  /* masked scores */
            senti__kernels_ref.softmax(r, x, n);
            double sum = 0;
            for (size_t i = 0; i < n; i++) sum += r[i];
            ASSERT_NEAR(sum, 1.0, 1e-5);
            if (rep == 3) ASSERT_NEAR(r[0], 1.0 / n, 1e-7);
            /* exp's 2e-7, the rounding of the sum of n/8 terms in each lane, the scaling */
            double tol = 2e-7 + (double)(n / 8 + 2) * FLT_EPSILON;
            FOR_EACH_VARIANT(kt) {
                kt->softmax(y, x, n);
                for (size_t i = 0; i < n; i++)
                    if (!(fabs((double)y[i] - r[i]) <= tol * r[i] + 1e-37))
                        TEST_FAIL_("%s softmax n=%zu rep=%d [%zu]: %.9g vs %.9g", kt->name, n, rep, i, y[i], r[i]);
                kt->softmax(y, y, n); /* in place: a softmax of probabilities is still one */
            }
        }
    free(x); free(y); free(r);
}

TEST(kernels_layernorm) {
    float *x = malloc(3072 * sizeof *x), *y = malloc(3072 * sizeof *y), *r = malloc(3072 * sizeof *r);
    float *g = malloc(3072 * sizeof *g), *b = malloc(3072 * sizeof *b);
    ASSERT(x && y && r && g && b);
    for (int rep = 0; rep < 3; rep++)
        for (size_t s = 0; s < NSIZES; s++) {
            size_t n = SIZES[s];
            fill(x, n, 3.0f);
            fill(g, n, 2.0f);
            fill(b, n, 1.0f);
            if (rep == 1) for (size_t i = 0; i < n; i++) x[i] += 1000.0f; /* a large mean */
            if (rep == 2) for (size_t i = 0; i < n; i++) x[i] = 5.0f;     /* no variance: y = beta */
            senti__kernels_ref.layernorm(r, x, n, g, b, 1e-12f);
            if (rep == 2) ASSERT(r[0] == b[0]);
            /* ref against double */
            double mean = 0, var = 0;
            for (size_t i = 0; i < n; i++) mean += x[i];
            mean /= n;
            for (size_t i = 0; i < n; i++) var += (x[i] - mean) * (x[i] - mean);
            double rstd = 1 / sqrt(var / n + 1e-12);
            for (size_t i = 0; i < n && rep != 1; i++)
                ASSERT_NEAR(r[i], (x[i] - mean) * rstd * g[i] + b[i], 1e-4);
            FOR_EACH_VARIANT(kt) {
                kt->layernorm(y, x, n, g, b, 1e-12f);
                for (size_t i = 0; i < n; i++) /* errors scale with |gamma| and 1/std */
                    if (!(fabs((double)y[i] - r[i]) <= (rep == 1 ? 1e-5 : 5e-6) * (1 + fabsf(g[i]))))
                        TEST_FAIL_("%s layernorm n=%zu rep=%d [%zu]: %.9g vs %.9g", kt->name, n, rep, i, y[i], r[i]);
            }
        }
    free(x); free(y); free(r); free(g); free(b);
}

TEST(kernels_vector) {
    float *a = malloc(3073 * sizeof *a), *b = malloc(3073 * sizeof *b);
    float *y = malloc(3073 * sizeof *y), *r = malloc(3073 * sizeof *r);
    ASSERT(a && b && y && r);
    FOR_EACH_VARIANT(kt) {
        for (size_t s = 0; s < NSIZES; s++) {
            size_t n = SIZES[s];
            fill(a, n + 1, 100.0f);
            fill(b, n + 1, 1e-3f);
            y[n] = r[n] = 42.0f;
            kt->add(y, a, b, n);
            senti__kernels_ref.add(r, a, b, n);
            ASSERT(memcmp(y, r, (n + 1) * sizeof *y) == 0); /* exact: one rounding each */
            kt->scale(y, a, -0.37f, n);
            senti__kernels_ref.scale(r, a, -0.37f, n);
            ASSERT(memcmp(y, r, (n + 1) * sizeof *y) == 0);
            memcpy(y, b, (n + 1) * sizeof *y);
            memcpy(r, b, (n + 1) * sizeof *y);
            kt->axpy(y, 0.25f, a, n);
            senti__kernels_ref.axpy(r, 0.25f, a, n);
            for (size_t i = 0; i <= n; i++) /* fused or not: within one rounding */
                ASSERT_NEAR(y[i], r[i], 2 * FLT_EPSILON * (fabsf(0.25f * a[i]) + fabsf(b[i])));
            senti__kernels_ref.add(r, a, b, n);
            kt->add(a, a, b, n); /* y aliasing an input */
            ASSERT(memcmp(a, r, n * sizeof *a) == 0);
        }
    }
    free(a); free(b); free(y); free(r);
}

/* packed bytes as a model file holds them: a view answers as the weights it copies, on every
 * variant, and the check finds each thing the kernels must not be handed */
TEST(kernels_qweights_view) {
    enum { M = 3, N = 21, K = 11, P = 2 * 3 * 64, S = 2 * 16 };
    int8_t q[N * K], a[M * K], p[P];
    float sc[N], as[M] = {0.5f, 1, 2}, s[S], C0[M * N], C1[M * N];
    int32_t sum[S];
    for (int i = 0; i < N * K; i++) q[i] = (int8_t)(i * 37 % 256 - 128);
    for (int i = 0; i < M * K; i++) a[i] = (int8_t)(i * 53 % 255 - 127);
    for (int j = 0; j < N; j++) sc[j] = 0.01f * (float)j;
    senti__qweights W, V;
    size_t col;
    ASSERT(senti__qweights_from_int8(&W, q, K, sc, N, K) == 0);
    ASSERT_EQ(senti__qweights_check(&W, &col), SENTI__QW_OK);
    memcpy(p, W.p, P), memcpy(s, W.scale, sizeof s), memcpy(sum, W.sum, sizeof sum);
    ASSERT(senti__qweights_view(&V, p, P - 64, s, S, sum, S, N, K) == -1); /* a group short */
    ASSERT(V.p == NULL);
    ASSERT(senti__qweights_view(&V, p, P, s, S - 1, sum, S, N, K) == -1);
    ASSERT(senti__qweights_view(&V, p, P, s, S, sum, S, N, K + 2) == -1); /* K 13: 4 groups */
    ASSERT(senti__qweights_view(&V, p, P, s, S, sum, S, N, K) == 0);
    ASSERT(V.view && V.p == p && V.panels == 2 && V.kgroups == 3);
    ASSERT_EQ(senti__qweights_check(&V, &col), SENTI__QW_OK);
    const senti__kernels *all[9] = {&senti__kernels_ref};
    size_t n = 1 + others(all + 1);
    for (size_t v = 0; v < n; v++) {
        all[v]->qmatmul(M, a, K, as, &W, 0, N, NULL, C0, N);
        all[v]->qmatmul(M, a, K, as, &V, 0, N, NULL, C1, N);
        ASSERT(memcmp(C0, C1, sizeof C0) == 0);
    }
    /* k 11 of column 3 (panel 0, group 2, byte 3 * 4 + 3) and column 21 are padding */
    p[2 * 64 + 15] = 1;
    ASSERT_EQ(senti__qweights_check(&V, &col), SENTI__QW_BAD_PADDING);
    ASSERT_EQ(col, 0);
    p[2 * 64 + 15] = 0, p[(3 + 1) * 64 + 5 * 4] = -1;
    ASSERT_EQ(senti__qweights_check(&V, &col), SENTI__QW_BAD_PADDING);
    ASSERT_EQ(col, 16);
    p[(3 + 1) * 64 + 5 * 4] = 0, s[N] = 1;
    ASSERT_EQ(senti__qweights_check(&V, &col), SENTI__QW_BAD_PADDING);
    ASSERT_EQ(col, N);
    s[N] = 0, sum[7]++;
    ASSERT_EQ(senti__qweights_check(&V, &col), SENTI__QW_BAD_SUM);
    ASSERT_EQ(col, 7);
    sum[7]--, p[64 + 7 * 4] ^= 2; /* a weight changed under its sum */
    ASSERT_EQ(senti__qweights_check(&V, &col), SENTI__QW_BAD_SUM);
    ASSERT_EQ(col, 7);
    p[64 + 7 * 4] ^= 2;
    const float bad[] = {-0.5f, NAN, INFINITY, 1e31f};
    for (int i = 0; i < 4; i++) {
        s[9] = bad[i];
        ASSERT_EQ(senti__qweights_check(&V, &col), SENTI__QW_BAD_SCALE);
        ASSERT_EQ(col, 9);
    }
    s[9] = 0; /* a zero scale is a zero column, allowed */
    ASSERT_EQ(senti__qweights_check(&V, &col), SENTI__QW_OK);
    senti__qweights_free(&V); /* a view: nothing freed (ASan would see p on the stack freed) */
    ASSERT(V.p == NULL && p[0] == W.p[0]);
    senti__qweights_free(&W);
}

/* half floats: normals, subnormals, zeros, infinities, NaN; bfloat16 is the top half */
TEST(kernels_half_floats) {
    ASSERT(senti__f16_to_f32(0x3c00) == 1.0f && senti__f16_to_f32(0xc000) == -2.0f);
    ASSERT(senti__f16_to_f32(0x7bff) == 65504.0f);
    ASSERT(senti__f16_to_f32(0x0001) == 0x1p-24f && senti__f16_to_f32(0x83ff) == -1023 * 0x1p-24f);
    ASSERT(senti__f16_to_f32(0x0000) == 0.0f && signbit(senti__f16_to_f32(0x8000)));
    ASSERT(isinf(senti__f16_to_f32(0x7c00)) && isinf(senti__f16_to_f32(0xfc00)) && isnan(senti__f16_to_f32(0x7e00)));
    ASSERT(senti__bf16_to_f32(0x3f80) == 1.0f && senti__bf16_to_f32(0xc040) == -3.0f);
}

/* the finite scan: a NaN or infinity anywhere (in a block of 256, in the tail) is found */
TEST(kernels_all_finite) {
    enum { N = 256 * 3 + 17 };
    static float x[N];
    for (int i = 0; i < N; i++) x[i] = (i % 7 - 3) * 1e30f + (float)i * 1e-40f; /* subnormals too */
    x[5] = FLT_MAX, x[6] = -FLT_MAX;
    ASSERT(senti__all_finite(x, N) && senti__all_finite(x, 0));
    const float bad[] = {NAN, -NAN, INFINITY, -INFINITY};
    const size_t at[] = {0, 255, 256, 600, N - 17, N - 1};
    for (int b = 0; b < 4; b++)
        for (int k = 0; k < 6; k++) {
            float keep = x[at[k]];
            x[at[k]] = bad[b];
            ASSERT(!senti__all_finite(x, N));
            ASSERT(senti__all_finite(x, at[k])); /* up to it, all finite */
            x[at[k]] = keep;
        }
}
