/*
 * x86_math.h - exp, erf, tanh and the two GELUs on a vector of floats, written once for both
 * register widths: the including file (x86_avx2.c, x86_avx512.c) defines V8 or V16 and this
 * header maps a few operation names onto that width's intrinsics. Included inside the file's
 * ISA region; the functions are static, one copy per variant.
 *
 *   x86_exp   Cephes' expf: n = round(x log2 e), r = x - n ln 2 (ln 2 in two parts), a degree
 *             5 polynomial, times 2^n built in the exponent bits. x is clamped to [-87.3, 88.3]
 *             so 2^n stays a normal float: below -87.3 the result is exp(-87.3) ~ 1.2e-38
 *             instead of a smaller number (absolute error < 1.2e-38). Relative error < 2e-7
 *             elsewhere (checked against expf over [-87, 88] by the tests through softmax).
 *   x86_erf   rational approximation x P(x^2) / Q(x^2), degrees 13/8 (the coefficients of
 *             Eigen's fast erf), x clamped to [-4, 4] (erf(4) = 1 - 1.5e-8).
 *             Absolute error < 1e-6 against erff.
 *   x86_tanh  rational x P(x^2) / Q(x^2), degrees 13/6 (Eigen's fast tanh), x clamped to
 *             +-7.9053 where tanh rounds to +-1. Absolute error < 1e-6 against tanhf.
 * The tolerances the tests hold the kernels to are in tests/unit/test_kernels.c.
 */
#if defined(V16)
#define VF __m512
#define VSET1 _mm512_set1_ps
#define VADD _mm512_add_ps
#define VSUB _mm512_sub_ps
#define VMUL _mm512_mul_ps
#define VDIV _mm512_div_ps
#define VMIN _mm512_min_ps
#define VMAX _mm512_max_ps
#define VFMA _mm512_fmadd_ps
#define VFNMA _mm512_fnmadd_ps
#define VROUND(x) _mm512_roundscale_ps((x), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC)
#define VPOW2(n)                                                                             \
    _mm512_castsi512_ps(_mm512_slli_epi32(                                                   \
        _mm512_add_epi32(_mm512_cvtps_epi32(n), _mm512_set1_epi32(127)), 23))
#else
#define VF __m256
#define VSET1 _mm256_set1_ps
#define VADD _mm256_add_ps
#define VSUB _mm256_sub_ps
#define VMUL _mm256_mul_ps
#define VDIV _mm256_div_ps
#define VMIN _mm256_min_ps
#define VMAX _mm256_max_ps
#define VFMA _mm256_fmadd_ps
#define VFNMA _mm256_fnmadd_ps
#define VROUND(x) _mm256_round_ps((x), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC)
#define VPOW2(n)                                                                             \
    _mm256_castsi256_ps(_mm256_slli_epi32(                                                   \
        _mm256_add_epi32(_mm256_cvtps_epi32(n), _mm256_set1_epi32(127)), 23))
#endif

static inline __attribute__((always_inline)) VF x86_exp(VF x) {
    x = VMIN(VMAX(x, VSET1(-87.3f)), VSET1(88.3f));
    VF n = VROUND(VMUL(x, VSET1(1.44269504088896341f)));
    VF r = VFNMA(n, VSET1(0.693359375f), x);
    r = VFNMA(n, VSET1(-2.12194440e-4f), r);
    VF p = VSET1(1.9875691500e-4f);
    p = VFMA(p, r, VSET1(1.3981999507e-3f));
    p = VFMA(p, r, VSET1(8.3334519073e-3f));
    p = VFMA(p, r, VSET1(4.1665795894e-2f));
    p = VFMA(p, r, VSET1(1.6666665459e-1f));
    p = VFMA(p, r, VSET1(5.0000001201e-1f));
    p = VFMA(p, VMUL(r, r), VADD(r, VSET1(1.0f)));
    return VMUL(p, VPOW2(n));
}

static inline __attribute__((always_inline)) VF x86_erf(VF x) {
    x = VMIN(VMAX(x, VSET1(-4.0f)), VSET1(4.0f));
    VF x2 = VMUL(x, x);
    VF p = VSET1(-2.72614225801306e-10f);
    p = VFMA(p, x2, VSET1(2.77068142495902e-08f));
    p = VFMA(p, x2, VSET1(-2.10102402082508e-06f));
    p = VFMA(p, x2, VSET1(-5.69250639462346e-05f));
    p = VFMA(p, x2, VSET1(-7.34990630326855e-04f));
    p = VFMA(p, x2, VSET1(-2.95459980854025e-03f));
    p = VFMA(p, x2, VSET1(-1.60960333262415e-02f));
    VF q = VSET1(-1.45660718464996e-05f);
    q = VFMA(q, x2, VSET1(-2.13374055278905e-04f));
    q = VFMA(q, x2, VSET1(-1.68282697438203e-03f));
    q = VFMA(q, x2, VSET1(-7.37332916720468e-03f));
    q = VFMA(q, x2, VSET1(-1.42647390514189e-02f));
    return VDIV(VMUL(x, p), q);
}

static inline __attribute__((always_inline)) VF x86_tanh(VF x) {
    x = VMIN(VMAX(x, VSET1(-7.90531110763549805f)), VSET1(7.90531110763549805f));
    VF x2 = VMUL(x, x);
    VF p = VSET1(-2.76076847742355e-16f);
    p = VFMA(p, x2, VSET1(2.00018790482477e-13f));
    p = VFMA(p, x2, VSET1(-8.60467152213735e-11f));
    p = VFMA(p, x2, VSET1(5.12229709037114e-08f));
    p = VFMA(p, x2, VSET1(1.48572235717979e-05f));
    p = VFMA(p, x2, VSET1(6.37261928875436e-04f));
    p = VFMA(p, x2, VSET1(4.89352455891786e-03f));
    VF q = VSET1(1.19825839466702e-06f);
    q = VFMA(q, x2, VSET1(1.18534705686654e-04f));
    q = VFMA(q, x2, VSET1(2.26843463243900e-03f));
    q = VFMA(q, x2, VSET1(4.89352518554385e-03f));
    return VDIV(VMUL(x, p), q);
}

/* x/2 (1 + erf(x / sqrt 2)) */
static inline __attribute__((always_inline)) VF x86_gelu(VF x) {
    VF e = x86_erf(VMUL(x, VSET1(0.70710678118654752f)));
    return VMUL(VMUL(x, VSET1(0.5f)), VADD(e, VSET1(1.0f)));
}

/* x/2 (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))) */
static inline __attribute__((always_inline)) VF x86_gelu_tanh(VF x) {
    VF u = VMUL(x, VFMA(VMUL(x, x), VSET1(0.044715f * 0.79788456080286536f),
                        VSET1(0.79788456080286536f)));
    return VMUL(VMUL(x, VSET1(0.5f)), VADD(x86_tanh(u), VSET1(1.0f)));
}
