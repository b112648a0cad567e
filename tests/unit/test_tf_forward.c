/*
 * test_tf_forward.c - the transformer forward pass (src/models/transformer/forward.c) against
 * a plain reference written here from the architecture description in tf.h: double precision,
 * naive loops, one text at a time, no kernels.
 *
 * Small models are built in memory with random weights, one per architecture (hidden 32-64,
 * 2-4 heads, head widths 10-20 so vector tails are hit, 2 layers, vocabulary 100, 40
 * positions, biases everywhere; and the tiny SST-2 model's shape, whose 256-wide input sits
 * on the AVX-512 product's K <= 256 boundary), embeddings in F32, F16 (subnormals included) and I8 with row
 * scales, and the three feed-forward activations. Checked, for every kernel variant this CPU
 * runs (ref included):
 *   f32          |logit - reference| <= 1e-4 for every length 1..max;
 *   int8         the same weights quantized per output channel: |logit - f32 reference| <=
 *                INT8_TOL and the same argmax on >= 90% of the texts;
 *   packing      a batch of all lengths in shuffled order gives, bit for bit, the logits of
 *                one-at-a-time calls (f32 and int8) - tf.h's promise - and of the same batch
 *                split over 2 and 3 threads;
 *   errors       lengths 0 / too long, rows outside the vocabulary (SENTI_ERANGE), bad shapes
 *                (SENTI_EINVAL), and every allocation failing in turn (SENTI_ENOMEM, no leak).
 */
#include <math.h>
#include <stdlib.h>

#include "../harness.h"
#include "base/base.h"
#include "models/transformer/tf.h"

#define INT8_TOL 0.05

/* Knuth's MMIX linear congruential generator, high bits */
static uint64_t tf_rng = 0x2545f4914f6cdd1dull;
static uint32_t trnd(void) {
    tf_rng = tf_rng * 6364136223846793005ull + 1442695040888963407ull;
    return (uint32_t)(tf_rng >> 32);
}
static float trndf(float lo, float hi) { return lo + (hi - lo) * ((float)trnd() / 4294967296.0f); }

/* ---- a model in memory ------------------------------------------------------------------- */

enum { VOCAB = 100, MAXPOS = 40, MAXMEM = 256 };

typedef struct tmodel {
    senti__tf m;
    senti__tf_layer layers[2];
    void *mem[MAXMEM];
    size_t nmem;
} tmodel;

static void *talloc(tmodel *t, size_t n) {
    void *p = calloc(1, n ? n : 1);
    if (p && t->nmem < MAXMEM) t->mem[t->nmem++] = p;
    return p;
}

static float *rand_vec(tmodel *t, size_t n, float lo, float hi) {
    float *v = talloc(t, n * sizeof *v);
    for (size_t i = 0; v && i < n; i++) v[i] = trndf(lo, hi);
    return v;
}

static void rand_linear(tmodel *t, senti__tf_linear *l, size_t out, size_t in) {
    float r = 1.5f / sqrtf((float)in);
    l->out = out;
    l->in = in;
    l->w = rand_vec(t, out * in, -r, r);
    l->b = rand_vec(t, out, -0.1f, 0.1f);
}

/* random f16 bits: zero, subnormals and normals of magnitude 2^-5 .. 2 */
static uint16_t rand_f16(void) {
    uint32_t e = trnd() % 8, sign = trnd() % 2;
    e = e == 0 ? 0 : 9 + e;
    return (uint16_t)(sign << 15 | e << 10 | (trnd() % 1024));
}

static void rand_embed(tmodel *t, senti__tf_embed *e, size_t rows, size_t dim, senti__dtype dt) {
    e->rows = rows;
    e->dim = dim;
    e->dtype = dt;
    if (dt == SENTI__DT_F32) {
        e->data = rand_vec(t, rows * dim, -1.0f, 1.0f);
    } else if (dt == SENTI__DT_F16) {
        unsigned char *p = talloc(t, rows * dim * 2);
        for (size_t i = 0; p && i < rows * dim; i++) {
            uint16_t h = rand_f16();
            p[2 * i] = (unsigned char)(h & 0xff);
            p[2 * i + 1] = (unsigned char)(h >> 8);
        }
        e->data = p;
    } else {
        int8_t *p = talloc(t, rows * dim);
        for (size_t i = 0; p && i < rows * dim; i++) p[i] = (int8_t)((int)(trnd() % 255) - 127);
        e->data = p;
        e->scale = rand_vec(t, rows, 0.001f, 0.01f);
    }
}

typedef struct tshape {
    senti__tf_arch arch;
    senti__tf_act act;
    size_t hidden, heads, ff, labels;
    senti__dtype emb;
} tshape;

static void build(tmodel *t, const tshape *sh) {
    memset(t, 0, sizeof *t);
    senti__tf *m = &t->m;
    size_t H = sh->hidden;
    m->arch = sh->arch;
    m->act = sh->act;
    m->pool_act = sh->arch == SENTI__TF_DISTILBERT ? SENTI__TF_RELU : SENTI__TF_TANH;
    m->n_layers = 2;
    m->hidden = H;
    m->heads = sh->heads;
    m->ff = sh->ff;
    m->n_labels = sh->labels;
    m->eps = sh->arch == SENTI__TF_PRELN ? 1e-5f : 1e-12f;
    m->pos_offset = sh->arch == SENTI__TF_ROBERTA ? 2 : 0;
    rand_embed(t, &m->word, VOCAB, H, sh->emb);
    rand_embed(t, &m->pos, MAXPOS, H, sh->emb);
    if (sh->arch == SENTI__TF_BERT || sh->arch == SENTI__TF_ROBERTA)
        rand_embed(t, &m->type, sh->arch == SENTI__TF_BERT ? 2 : 1, H, sh->emb);
    if (sh->arch != SENTI__TF_PRELN) {
        m->emb_ln_g = rand_vec(t, H, 0.8f, 1.2f);
        m->emb_ln_b = rand_vec(t, H, -0.1f, 0.1f);
    }
    m->layers = t->layers;
    for (size_t l = 0; l < 2; l++) {
        senti__tf_layer *y = &t->layers[l];
        rand_linear(t, &y->q, H, H);
        rand_linear(t, &y->k, H, H);
        rand_linear(t, &y->v, H, H);
        rand_linear(t, &y->o, H, H);
        rand_linear(t, &y->ff1, sh->ff, H);
        rand_linear(t, &y->ff2, H, sh->ff);
        y->ln1_g = rand_vec(t, H, 0.8f, 1.2f);
        y->ln1_b = rand_vec(t, H, -0.1f, 0.1f);
        y->ln2_g = rand_vec(t, H, 0.8f, 1.2f);
        y->ln2_b = rand_vec(t, H, -0.1f, 0.1f);
    }
    rand_linear(t, &m->pool, H, H);
    rand_linear(t, &m->cls, sh->labels, H);
    m->max_tokens = MAXPOS - m->pos_offset;
}

/* a twin of src whose linear layers are int8 but for the pooler and layer 1's q and k (f32
 * next to int8 layers that share their input: the quantized input must not go stale) */
static int quantize_twin(tmodel *dst, const tmodel *src) {
    *dst = *src;
    dst->nmem = 0;
    dst->m.layers = dst->layers;
    senti__tf_linear *ls[2 * 6 + 1];
    size_t n = 0;
    for (size_t l = 0; l < 2; l++) {
        senti__tf_layer *y = &dst->layers[l];
        senti__tf_linear *all[] = {&y->q, &y->k, &y->v, &y->o, &y->ff1, &y->ff2};
        for (size_t i = l == 1 ? 2 : 0; i < 6; i++) ls[n++] = all[i];
    }
    ls[n++] = &dst->m.cls;
    for (size_t i = 0; i < n; i++) {
        if (senti__qweights_quantize(&ls[i]->q, ls[i]->w, ls[i]->out, ls[i]->in, ls[i]->in))
            return -1;
        ls[i]->w = NULL;
    }
    return 0;
}

static void free_twin(tmodel *t) {
    for (size_t l = 0; l < 2; l++) {
        senti__tf_layer *y = &t->layers[l];
        senti__tf_linear *all[] = {&y->q, &y->k, &y->v, &y->o, &y->ff1, &y->ff2};
        for (size_t i = 0; i < 6; i++) senti__qweights_free(&all[i]->q);
    }
    senti__qweights_free(&t->m.cls.q);
}

static void free_model(tmodel *t) {
    for (size_t i = 0; i < t->nmem; i++) free(t->mem[i]);
    t->nmem = 0;
}

/* ---- the reference: double precision, one text, straight from tf.h ------------------------ */

static double emb_at(const senti__tf_embed *e, size_t r, size_t j) {
    size_t i = r * e->dim + j;
    if (e->dtype == SENTI__DT_F32) return ((const float *)e->data)[i];
    if (e->dtype == SENTI__DT_I8) return (double)((const int8_t *)e->data)[i] * e->scale[r];
    const unsigned char *p = e->data;
    unsigned h = p[2 * i] | (unsigned)p[2 * i + 1] << 8, ex = (h >> 10) & 31, mant = h & 1023;
    double v = ex ? ldexp(1.0 + mant / 1024.0, (int)ex - 15) : ldexp(mant, -24);
    return h & 0x8000 ? -v : v;
}

/* y[L x out] = x W^T + b */
static void r_linear(const senti__tf_linear *l, const double *x, size_t L, double *y) {
    for (size_t i = 0; i < L; i++)
        for (size_t o = 0; o < l->out; o++) {
            double s = l->b ? l->b[o] : 0.0;
            for (size_t k = 0; k < l->in; k++) s += x[i * l->in + k] * (double)l->w[o * l->in + k];
            y[i * l->out + o] = s;
        }
}

static void r_layernorm(double *x, size_t L, size_t H, const float *g, const float *b, double eps) {
    for (size_t i = 0; i < L; i++) {
        double *r = x + i * H, mean = 0, var = 0;
        for (size_t j = 0; j < H; j++) mean += r[j];
        mean /= (double)H;
        for (size_t j = 0; j < H; j++) var += (r[j] - mean) * (r[j] - mean);
        var /= (double)H;
        for (size_t j = 0; j < H; j++) r[j] = (r[j] - mean) / sqrt(var + eps) * g[j] + b[j];
    }
}

static double r_act(senti__tf_act a, double x) {
    switch (a) {
    case SENTI__TF_GELU: return 0.5 * x * (1.0 + erf(x / sqrt(2.0)));
    case SENTI__TF_GELU_TANH:
        return 0.5 * x * (1.0 + tanh(sqrt(2.0 / M_PI) * (x + 0.044715 * x * x * x)));
    case SENTI__TF_RELU: return x > 0 ? x : 0;
    case SENTI__TF_TANH: return tanh(x);
    }
    return x;
}

/* c = concat over heads of softmax(Q_h K_h^T / sqrt(dh)) V_h */
static void r_attention(const double *q, const double *k, const double *v, size_t L, size_t H,
                        size_t heads, double *c) {
    size_t dh = H / heads;
    double *p = malloc(L * sizeof *p);
    for (size_t h = 0; h < heads; h++)
        for (size_t i = 0; i < L; i++) {
            double mx = -INFINITY, sum = 0;
            for (size_t j = 0; j < L; j++) {
                double s = 0;
                for (size_t d = 0; d < dh; d++) s += q[i * H + h * dh + d] * k[j * H + h * dh + d];
                p[j] = s / sqrt((double)dh);
                if (p[j] > mx) mx = p[j];
            }
            for (size_t j = 0; j < L; j++) sum += (p[j] = exp(p[j] - mx));
            for (size_t d = 0; d < dh; d++) {
                double s = 0;
                for (size_t j = 0; j < L; j++) s += p[j] / sum * v[j * H + h * dh + d];
                c[i * H + h * dh + d] = s;
            }
        }
    free(p);
}

/* x (L x H) through one layer; t1, t2: L x max(H, ff) work space */
static void r_layer(const senti__tf *m, const senti__tf_layer *y, double *x, size_t L,
                    double *w[5]) {
    size_t H = m->hidden, n = L * H;
    int pre = m->arch == SENTI__TF_PRELN;
    double *in = x;
    if (pre) {
        memcpy(w[4], x, n * sizeof *x);
        r_layernorm(w[4], L, H, y->ln1_g, y->ln1_b, m->eps);
        in = w[4];
    }
    r_linear(&y->q, in, L, w[0]);
    r_linear(&y->k, in, L, w[1]);
    r_linear(&y->v, in, L, w[2]);
    r_attention(w[0], w[1], w[2], L, H, m->heads, w[3]);
    r_linear(&y->o, w[3], L, w[0]);
    for (size_t i = 0; i < n; i++) x[i] += w[0][i];
    if (!pre) r_layernorm(x, L, H, y->ln1_g, y->ln1_b, m->eps);
    in = x;
    if (pre) {
        memcpy(w[4], x, n * sizeof *x);
        r_layernorm(w[4], L, H, y->ln2_g, y->ln2_b, m->eps);
        in = w[4];
    }
    r_linear(&y->ff1, in, L, w[3]);
    for (size_t i = 0; i < L * m->ff; i++) w[3][i] = r_act(m->act, w[3][i]);
    r_linear(&y->ff2, w[3], L, w[0]);
    for (size_t i = 0; i < n; i++) x[i] += w[0][i];
    if (!pre) r_layernorm(x, L, H, y->ln2_g, y->ln2_b, m->eps);
}

static void r_forward(const senti__tf *m, const int32_t *ids, size_t L, double *logits) {
    size_t H = m->hidden, wide = H > m->ff ? H : m->ff;
    double *x = malloc(L * H * sizeof *x), *w[5], *pool = malloc(m->pool.out * sizeof *pool);
    for (int i = 0; i < 5; i++) w[i] = malloc(L * wide * sizeof(double));
    for (size_t i = 0; i < L; i++)
        for (size_t j = 0; j < H; j++)
            x[i * H + j] = emb_at(&m->word, (size_t)ids[i], j) +
                           (m->type.rows ? emb_at(&m->type, 0, j) : 0.0) +
                           emb_at(&m->pos, m->pos_offset + i, j);
    if (m->emb_ln_g) r_layernorm(x, L, H, m->emb_ln_g, m->emb_ln_b, m->eps);
    for (size_t l = 0; l < m->n_layers; l++) r_layer(m, &m->layers[l], x, L, w);
    r_linear(&m->pool, x, 1, pool); /* the first row */
    for (size_t j = 0; j < m->pool.out; j++) pool[j] = r_act(m->pool_act, pool[j]);
    r_linear(&m->cls, pool, 1, logits);
    free(x);
    free(pool);
    for (int i = 0; i < 5; i++) free(w[i]);
}

/* ---- the tests --------------------------------------------------------------------------- */

static const tshape SHAPES[] = {
    {SENTI__TF_BERT, SENTI__TF_GELU, 64, 4, 272, 3, SENTI__DT_F32},       /* ff2: K > 256 */
    {SENTI__TF_DISTILBERT, SENTI__TF_GELU, 48, 3, 96, 2, SENTI__DT_F16},
    {SENTI__TF_ROBERTA, SENTI__TF_GELU_TANH, 40, 2, 80, 3, SENTI__DT_I8}, /* d_head 20 */
    {SENTI__TF_PRELN, SENTI__TF_GELU, 32, 2, 64, 2, SENTI__DT_F32},
    {SENTI__TF_BERT, SENTI__TF_RELU, 32, 2, 64, 2, SENTI__DT_F16},
    {SENTI__TF_PRELN, SENTI__TF_GELU_TANH, 48, 4, 128, 2, SENTI__DT_I8},  /* d_head 12 */
    {SENTI__TF_PRELN, SENTI__TF_GELU, 128, 2, 256, 2, SENTI__DT_F32},     /* the tiny model's */
};
enum { NSHAPES = sizeof SHAPES / sizeof SHAPES[0] };

/* every variant this CPU runs, ref first */
static size_t variants(const senti__kernels *out[8]) {
    size_t n, k = 0;
    const senti__kernels *const *all = senti__kernels_list(&n);
    for (size_t i = 0; i < n && k < 8; i++)
        if (senti__kernels_supported(all[i])) out[k++] = all[i];
    return k;
}

/* texts[i] = random rows of length i + 1, i < max */
static void rand_texts(int32_t texts[][MAXPOS], size_t max) {
    for (size_t i = 0; i < max; i++)
        for (size_t j = 0; j < MAXPOS; j++) texts[i][j] = (int32_t)(trnd() % VOCAB);
}

static int argmax(const double *x, size_t n) {
    size_t b = 0;
    for (size_t i = 1; i < n; i++)
        if (x[i] > x[b]) b = i;
    return (int)b;
}
static int argmaxf(const float *x, size_t n) {
    size_t b = 0;
    for (size_t i = 1; i < n; i++)
        if (x[i] > x[b]) b = i;
    return (int)b;
}

typedef struct int8_stats {
    double worst;        /* max |int8 logit - reference| */
    size_t agree, total; /* argmax agreements */
} int8_stats;

typedef int check_fn(const tmodel *f, const tmodel *q, const senti__kernels *kt,
                     int32_t texts[][MAXPOS], int8_stats *st);

/* build shape s and its int8 twin, random texts, and run fn on every variant this CPU runs */
static int each_variant(size_t s, check_fn *fn, int8_stats *st) {
    static int32_t texts[MAXPOS][MAXPOS];
    const senti__kernels *vs[8];
    size_t nv = variants(vs);
    tmodel f, q;
    build(&f, &SHAPES[s]);
    int bad = f.nmem >= MAXMEM || quantize_twin(&q, &f);
    rand_texts(texts, MAXPOS);
    for (size_t v = 0; v < nv && !bad; v++) bad = fn(&f, &q, vs[v], texts, st);
    free_twin(&q);
    free_model(&f);
    return bad;
}

/* every length, one text per call: f32 to 1e-4, int8 to INT8_TOL, on one kernel variant */
static int check_against_ref(const tmodel *f, const tmodel *q, const senti__kernels *kt,
                             int32_t texts[][MAXPOS], int8_stats *st) {
    const senti__tf *m = &f->m;
    senti__tf_scratch *sf = NULL, *sq = NULL;
    if (senti__tf_scratch_new(m, &sf) || senti__tf_scratch_new(&q->m, &sq)) return -1;
    senti__tf_scratch_use(sf, kt);
    senti__tf_scratch_use(sq, kt);
    int bad = 0;
    for (size_t L = 1; L <= m->max_tokens && !bad; L++) {
        double want[8];
        float got[8], got8[8];
        const int32_t *rows[1] = {texts[L - 1]};
        r_forward(m, texts[L - 1], L, want);
        if (senti__tf_forward(m, sf, rows, &L, 1, got) ||
            senti__tf_forward(&q->m, sq, rows, &L, 1, got8))
            bad = -1;
        for (size_t j = 0; j < m->n_labels && !bad; j++) {
            if (!(fabs(got[j] - want[j]) <= 1e-4)) {
                fprintf(stderr, "    %s arch %d L=%zu logit %zu: %.9g vs %.9g\n", kt->name,
                        (int)m->arch, L, j, got[j], want[j]);
                bad = 1;
            }
            double d8 = fabs(got8[j] - want[j]);
            if (d8 > st->worst) st->worst = d8;
        }
        st->agree += argmaxf(got8, m->n_labels) == argmax(want, m->n_labels);
        st->total++;
    }
    senti__tf_scratch_free(sf);
    senti__tf_scratch_free(sq);
    return bad;
}

TEST(tf_forward_reference) {
    for (size_t s = 0; s < NSHAPES; s++) {
        int8_stats st = {0, 0, 0};
        ASSERT_EQ(each_variant(s, check_against_ref, &st), 0);
        if (getenv("TEST_VERBOSE"))
            fprintf(stderr, "    shape %zu: int8 worst |d| %.4g, argmax agrees %zu/%zu\n", s,
                    st.worst, st.agree, st.total);
        ASSERT(st.worst <= INT8_TOL);
        ASSERT(st.agree * 10 >= st.total * 9);
    }
}

/* a batch of every length in shuffled order == one text per call, bit for bit */
static int check_packing(const senti__tf *m, const senti__kernels *kt, int32_t texts[][MAXPOS]) {
    size_t n = m->max_tokens, lens[MAXPOS], order[MAXPOS];
    const int32_t *rows[MAXPOS];
    float batch[MAXPOS * 8], one[8];
    for (size_t i = 0; i < n; i++) order[i] = i;
    for (size_t i = n - 1; i > 0; i--) {
        size_t j = trnd() % (i + 1), t = order[i];
        order[i] = order[j];
        order[j] = t;
    }
    for (size_t i = 0; i < n; i++) {
        lens[i] = order[i] + 1;
        rows[i] = texts[order[i]];
    }
    senti__tf_scratch *s = NULL;
    if (senti__tf_scratch_new(m, &s)) return -1;
    senti__tf_scratch_use(s, kt);
    int bad = senti__tf_forward(m, s, rows, lens, n, batch) != 0;
    for (size_t t = 2; t <= 3 && !bad; t++) { /* split over threads: the same bits */
        float split[MAXPOS * 8];
        senti__tf_scratch_threads(s, t);
        bad = senti__tf_forward(m, s, rows, lens, n, split) != 0 ||
              memcmp(split, batch, n * m->n_labels * sizeof(float)) != 0;
        bad = bad || senti__tf_forward(m, s, rows + 1, lens + 1, 1, split) != 0; /* regrown */
        senti__tf_scratch_threads(s, 1);
    }
    for (size_t i = 0; i < n && !bad; i++) {
        bad = senti__tf_forward(m, s, rows + i, lens + i, 1, one) != 0;
        if (!bad && memcmp(one, batch + i * m->n_labels, m->n_labels * sizeof(float))) {
            fprintf(stderr, "    %s arch %d len %zu: packed %.9g, alone %.9g\n", kt->name,
                    (int)m->arch, lens[i], batch[i * m->n_labels], one[0]);
            bad = 1;
        }
    }
    senti__tf_scratch_free(s);
    return bad;
}

static int check_packing_both(const tmodel *f, const tmodel *q, const senti__kernels *kt,
                              int32_t texts[][MAXPOS], int8_stats *st) {
    (void)st;
    return check_packing(&f->m, kt, texts) || check_packing(&q->m, kt, texts);
}

TEST(tf_forward_packing) {
    for (size_t s = 0; s < NSHAPES; s++) ASSERT_EQ(each_variant(s, check_packing_both, NULL), 0);
}

TEST(tf_forward_errors) {
    tmodel f;
    build(&f, &SHAPES[2]); /* RoBERTa: positions from 2 */
    senti__tf_scratch *s = NULL;
    ASSERT_EQ(senti__tf_scratch_new(&f.m, &s), 0);
    int32_t ids[MAXPOS] = {0};
    const int32_t *rows[2] = {ids, ids};
    float out[16] = {0};
    size_t lens[2] = {3, 0};
    ASSERT_EQ(senti__tf_forward(&f.m, s, rows, lens, 2, out), SENTI_ERANGE);
    lens[1] = MAXPOS - 1; /* over max_tokens (38) */
    ASSERT_EQ(senti__tf_forward(&f.m, s, rows, lens, 2, out), SENTI_ERANGE);
    lens[1] = MAXPOS - 2;
    ASSERT_EQ(senti__tf_forward(&f.m, s, rows, lens, 2, out), 0);
    ids[1] = VOCAB;
    ASSERT_EQ(senti__tf_forward(&f.m, s, rows, lens, 2, out), SENTI_ERANGE);
    ids[1] = -1;
    ASSERT_EQ(senti__tf_forward(&f.m, s, rows, lens, 2, out), SENTI_ERANGE);
    ids[1] = 5;
    f.m.max_tokens = 10; /* lowered by the options */
    ASSERT_EQ(senti__tf_forward(&f.m, s, rows, lens, 2, out), SENTI_ERANGE);
    ASSERT_EQ(senti__tf_forward(&f.m, s, rows, lens, 0, out), 0);
    senti__tf_scratch_free(s);
    senti__tf_scratch *s2 = (senti__tf_scratch *)&f; /* must be left alone */
    f.layers[1].ff2.in = 7;
    ASSERT_EQ(senti__tf_scratch_new(&f.m, &s2), SENTI_EINVAL);
    ASSERT(s2 == NULL);
    f.layers[1].ff2.in = f.m.ff;
    f.m.heads = 3; /* does not divide 40 */
    ASSERT_EQ(senti__tf_scratch_new(&f.m, &s2), SENTI_EINVAL);
    free_model(&f);
}

/* every allocation failing in turn: SENTI_ENOMEM, nothing leaked (ASan, valgrind) */
TEST(tf_forward_enomem) {
    tmodel f;
    build(&f, &SHAPES[0]);
    int32_t ids[MAXPOS] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10};
    const int32_t *rows[3] = {ids, ids, ids};
    size_t lens[3] = {10, 20, 30};
    float out[3 * 3], want[3 * 3];
    senti__tf_scratch *s = NULL;
    ASSERT_EQ(senti__tf_scratch_new(&f.m, &s), 0);
    ASSERT_EQ(senti__tf_forward(&f.m, s, rows, lens, 3, want), 0);
    senti__tf_scratch_free(s);
    int ok = 0;
    for (long k = 0; k < 100 && !ok; k++) {
        senti__alloc_fail_after(k);
        s = NULL;
        int rc = senti__tf_scratch_new(&f.m, &s);
        if (rc == 0) rc = senti__tf_forward(&f.m, s, rows, lens, 3, out);
        senti__alloc_fail_after(-1);
        if (rc == 0) {
            ok = 1;
            ASSERT(memcmp(out, want, sizeof out) == 0);
        } else {
            ASSERT_EQ(rc, SENTI_ENOMEM);
        }
        senti__tf_scratch_free(s);
    }
    ASSERT(ok);
    free_model(&f);
}
