/*
 * linear.c - the linear n-gram model kind: feature generation (see linear.h for the
 * specification), opening a model file in place, and scoring.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#define XXH_INLINE_ALL
#include <xxhash.h>

#include "core/core.h"
#include "models/linear/linear.h"
#include "text/tokenize.h"

uint64_t senti__mix(uint64_t a, uint64_t b) {
    uint64_t v[2] = {a, b};
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    v[0] = __builtin_bswap64(v[0]);
    v[1] = __builtin_bswap64(v[1]);
#endif
    return XXH3_64bits_withSeed(v, 16, SENTI__SEED_MIX);
}

/* A token adds at most 3 features (unigram, bigram or boundary bigram, trigram), the first
 * two tokens at most 2: while a text may still turn out long, the features of its first L =
 * long_tokens tokens (at most 3L - 2) stay in buf, and become twice as many when it does. */
#define FEAT_BUF (6 * SENTI__LONG_TOKENS_MAX)
#define TOK_BUF 64
_Static_assert(2 * (3 * SENTI__LONG_TOKENS_MAX - 2) < FEAT_BUF, "FEAT_BUF holds the doubled held features");

typedef struct featgen {
    senti__feature buf[FEAT_BUF];
    size_t n;
    uint32_t shift;
    int hold;    /* the text may still turn out long: keep buf */
    int is_long; /* it did: every feature gets its long copy */
    senti__feat_sink sink;
    void *ud;
} featgen;

/* The bucket of the long copy of a feature in bucket b. */
static inline uint32_t long_bucket(const featgen *g, uint32_t b) {
    return (uint32_t)(senti__mix(b, SENTI__TAG_LONG) >> g->shift);
}

static inline __attribute__((always_inline)) void put1(featgen *g, uint32_t b, uint32_t start, uint32_t end,
                                                       uint32_t order, int neg, int copy, const int spans) {
    senti__feature *f = &g->buf[g->n++];
    f->bucket = b;
    if (spans) {
        f->start = start;
        f->end = end;
        f->order = (uint8_t)order;
        f->negated = (uint8_t)neg;
        f->long_copy = (uint8_t)copy;
    }
    if (g->n == FEAT_BUF) { /* never while holding: n < 3 * long_tokens then */
        g->sink(g->ud, g->buf, g->n);
        g->n = 0;
    }
}

/* spans and lng are constants at every call: scoring and training need only the bucket, and
 * a model without long copies (lng 0) is compiled without their test. */
static inline __attribute__((always_inline)) void put(featgen *g, uint64_t h, uint32_t start, uint32_t end,
                                                      uint32_t order, int neg, const int spans, const int lng) {
    uint32_t b = (uint32_t)(h >> g->shift);
    put1(g, b, start, end, order, neg, 0, spans);
    if (lng && g->is_long) put1(g, long_bucket(g, b), start, end, order, neg, 1, spans);
}

/* The text has reached long_tokens tokens: give every held feature its copy, in place
 * (from the back: feature i moves to 2i, its copy to 2i + 1). */
static void go_long(featgen *g, const int spans) {
    for (size_t i = g->n; i-- > 0;) {
        senti__feature f = g->buf[i];
        g->buf[2 * i] = f;
        f.bucket = long_bucket(g, f.bucket);
        if (spans) f.long_copy = 1;
        g->buf[2 * i + 1] = f;
    }
    g->n *= 2;
    g->hold = 0;
    g->is_long = 1;
    if (g->n == FEAT_BUF) { /* not reached (see FEAT_BUF); kept so that put1 never writes past buf */
        g->sink(g->ud, g->buf, g->n);
        g->n = 0;
    }
}

/* The n-gram state across tokens. */
typedef struct ngstate {
    uint64_t h1, h2;          /* hashes of tokens i-1, i-2 */
    uint32_t s1, s2;          /* their start offsets */
    uint32_t e1;              /* end of token i-1 */
    uint32_t ntok;
    int neg, neg1, neg2;      /* scope open; tokens i-1, i-2 negated */
} ngstate;

/* The features that token (hash h, span start..end, flags) adds. */
static inline __attribute__((always_inline)) void
feed(featgen *g, ngstate *st, const senti__linear_params *p, uint64_t h, uint32_t start, uint32_t end,
     uint8_t flags, const int spans, const int lng) {
    int ng = 0;
    if (p->vocab) { /* VOCABULARY (linear.h) */
        uint64_t b = h >> (64 - p->vocab_bits);
        if (!(p->vocab[b >> 3] >> (b & 7) & 1)) h = senti__hash_token("<unk>", 5);
    }
    if (p->negation) {
        if (flags & SENTI__TOK_NEGATOR) st->neg = 1;
        else if (flags & SENTI__TOK_CLAUSE) st->neg = 0;
        else if (st->neg) h = senti__mix(h, SENTI__TAG_NEG), ng = 1;
    }
    put(g, h, start, end, 1, ng, spans, lng);
    if (p->ngram >= 2) {
        if (st->ntok >= 1) put(g, senti__mix(st->h1, h), st->s1, end, 2, ng | st->neg1, spans, lng);
        else if (p->bounds) put(g, senti__mix(SENTI__TAG_BOS, h), start, end, 0, ng, spans, lng);
    }
    if (p->ngram >= 3 && st->ntok >= 2)
        put(g, senti__mix(senti__mix(st->h2, st->h1), h), st->s2, end, 3, ng | st->neg1 | st->neg2, spans, lng);
    st->h2 = st->h1, st->s2 = st->s1, st->neg2 = st->neg1;
    st->h1 = h, st->s1 = start, st->e1 = end, st->neg1 = ng;
    st->ntok++;
    if (lng && g->hold && st->ntok == p->long_tokens) go_long(g, spans);
}

/* Is token t the input character c ('@': exactly one; '_': a run of them)? A punct token is
 * a run of one code point, so its first input byte tells which. */
static inline int tok_is(const senti__token *t, const char *text, char c) {
    return t->type == SENTI__TOK_PUNCT && text[t->start] == c && (c == '_' || t->end - t->start == 1);
}

static inline __attribute__((always_inline)) uint32_t
gen_features(const senti__linear_params *p, const char *text, size_t len, uint32_t max_tokens,
             senti__feat_sink sink, void *ud, const int spans, const int lng) {
    featgen g;
    g.n = 0;
    g.shift = 64 - p->bits;
    g.hold = p->long_tokens > 0 && p->long_tokens <= SENTI__LONG_TOKENS_MAX;
    g.is_long = 0;
    g.sink = sink;
    g.ud = ud;
    senti__tokenizer tz;
    senti__tok_init(&tz, text, len, 0);
    senti__token tok[TOK_BUF];
    ngstate st = {0};
    /* mentions: an '@' held back until the next token shows whether it starts a handle
     * (mstate 1); a handle being read, fed as one token when it ends (mstate 2) */
    int mstate = 0;
    senti__token at = {0};
    uint32_t mend = 0, wend = 0; /* end of the handle; end of the last token if a word */
    int have_w = 0;
    const int mentions = p->mentions && len && memchr(text, '@', len); /* most texts have none */
    size_t nt;
    while (st.ntok < max_tokens && (nt = senti__tok_next(&tz, tok, TOK_BUF)) > 0) {
        for (size_t i = 0; i < nt && st.ntok < max_tokens; i++) {
            const senti__token *t = &tok[i];
            if (mentions) {
                if (mstate == 2) {
                    if (t->start == mend && (t->type == SENTI__TOK_WORD || tok_is(t, text, '_'))) {
                        mend = t->end;
                        have_w = t->type == SENTI__TOK_WORD, wend = t->end;
                        continue;
                    }
                    mstate = 0;
                    feed(&g, &st, p, senti__hash_token("@user", 5), at.start, mend, 0, spans, lng);
                    if (st.ntok >= max_tokens) break;
                } else if (mstate == 1) {
                    mstate = 0;
                    if (t->start == at.end && t->type == SENTI__TOK_WORD) {
                        mstate = 2, mend = t->end;
                        have_w = 1, wend = t->end;
                        continue;
                    }
                    feed(&g, &st, p, at.hash, at.start, at.end, at.flags, spans, lng);
                    if (st.ntok >= max_tokens) break;
                }
                if (tok_is(t, text, '@') && !(have_w && t->start == wend)) {
                    at = *t, mstate = 1, have_w = 0;
                    continue;
                }
                have_w = t->type == SENTI__TOK_WORD, wend = t->end;
            }
            feed(&g, &st, p, t->hash, t->start, t->end, t->flags, spans, lng);
        }
    }
    if (mstate == 1 && st.ntok < max_tokens) feed(&g, &st, p, at.hash, at.start, at.end, at.flags, spans, lng);
    if (mstate == 2 && st.ntok < max_tokens)
        feed(&g, &st, p, senti__hash_token("@user", 5), at.start, mend, 0, spans, lng);
    if (p->ngram >= 2 && p->bounds && st.ntok > 0)
        put(&g, senti__mix(st.h1, SENTI__TAG_EOS), st.s1, st.e1, 0, st.neg1, spans, lng);
    if (g.n) sink(ud, g.buf, g.n);
    return st.ntok;
}

uint32_t senti__linear_features(const senti__linear_params *p, const char *text, size_t len,
                                uint32_t max_tokens, senti__feat_sink sink, void *ud) {
    return p->long_tokens ? gen_features(p, text, len, max_tokens, sink, ud, 1, 1)
                          : gen_features(p, text, len, max_tokens, sink, ud, 1, 0);
}

/* Out of line, so that the common path below is laid out as before long copies existed. */
static __attribute__((noinline)) uint32_t buckets_long(const senti__linear_params *p, const char *text,
                                                       size_t len, uint32_t max_tokens,
                                                       senti__feat_sink sink, void *ud) {
    return gen_features(p, text, len, max_tokens, sink, ud, 0, 1);
}

uint32_t senti__linear_buckets(const senti__linear_params *p, const char *text, size_t len,
                               uint32_t max_tokens, senti__feat_sink sink, void *ud) {
    if (__builtin_expect(p->long_tokens != 0, 0)) return buckets_long(p, text, len, max_tokens, sink, ud);
    return gen_features(p, text, len, max_tokens, sink, ud, 0, 0);
}

/* ---- the model kind ---------------------------------------------------------------------- */

typedef struct linear {
    senti__linear_params p;
    int n_out;            /* 1 (binary logistic) or n_classes (softmax) */
    const float *wf;      /* F32 weights [buckets][n_out], or */
    const int8_t *wq;     /* I8 weights with */
    const float *scale;   /* one scale, or one per bucket */
    int scale_per_row;
    const float *bias;    /* [n_out] */
    float inv_temp;       /* 1 / temperature (calibration), 1 if none */
} linear;

static int parse_u32(const senti__st *st, const char *key, uint32_t lo, uint32_t hi, uint32_t *out,
                     char *err, size_t err_size) {
    const char *v = senti__st_meta(st, key);
    if (!v) return senti__err(err, err_size, SENTI_EFORMAT, "metadata '%s' missing", key);
    char *end;
    unsigned long x = strtoul(v, &end, 10);
    if (*v < '0' || *v > '9' || *end || x < lo || x > hi)
        return senti__err(err, err_size, SENTI_EFORMAT, "metadata '%s' = '%.32s' not in %u..%u",
                          key, v, lo, hi);
    *out = (uint32_t)x;
    return SENTI_OK;
}

int senti__linear_params_parse(const senti__st *st, senti__linear_params *p, char *err,
                               size_t err_size) {
    int rc;
    if ((rc = parse_u32(st, "hash_bits", 10, 26, &p->bits, err, err_size)) ||
        (rc = parse_u32(st, "ngram", 1, 3, &p->ngram, err, err_size)) ||
        (rc = parse_u32(st, "negation", 0, 1, &p->negation, err, err_size)) ||
        (rc = parse_u32(st, "bounds", 0, 1, &p->bounds, err, err_size)))
        return rc;
    const char *norm = senti__st_meta(st, "norm");
    if (!norm || (strcmp(norm, "none") && strcmp(norm, "sqrt")))
        return senti__err(err, err_size, SENTI_EFORMAT, "metadata 'norm' must be none or sqrt");
    p->norm = strcmp(norm, "sqrt") == 0;
    /* optional (files written before it have none): 0 */
    const char *m = senti__st_meta(st, "mentions");
    p->mentions = 0;
    if (m && (rc = parse_u32(st, "mentions", 0, 1, &p->mentions, err, err_size))) return rc;
    p->vocab_bits = 0, p->vocab = NULL; /* optional: the tensor is found by open_tensors */
    if (senti__st_meta(st, "vocab_bits") && (rc = parse_u32(st, "vocab_bits", 16, 28, &p->vocab_bits, err, err_size)))
        return rc;
    p->long_tokens = 0;
    if (senti__st_meta(st, "long_tokens") &&
        (rc = parse_u32(st, "long_tokens", 0, SENTI__LONG_TOKENS_MAX, &p->long_tokens, err, err_size)))
        return rc;
    const char *tok = senti__st_meta(st, "tokenizer");
    if (!tok || strcmp(tok, "senti-1"))
        return senti__err(err, err_size, SENTI_EFORMAT, "metadata 'tokenizer' must be senti-1");
    return SENTI_OK;
}

typedef struct score_acc {
    const linear *L;
    float z[SENTI_MAX_CLASSES];
    /* int8 with one scale: integer sums (64-bit: with max_tokens up to 2^32 a text can sum
     * more than INT32_MAX; the per-batch sums in sink_i8 are bounded by FEAT_BUF * 128) */
    int64_t qz;  /* one output */
    int64_t qk[SENTI_MAX_CLASSES]; /* several outputs */
    uint32_t nf;
} score_acc;

static void sink_f32(void *ud, const senti__feature *f, size_t n) {
    score_acc *a = ud;
    const linear *L = a->L;
    int k = L->n_out;
    a->nf += (uint32_t)n;
    if (k == 1) {
        float z = 0;
        for (size_t i = 0; i < n; i++) z += L->wf[f[i].bucket];
        a->z[0] += z;
    } else {
        for (size_t i = 0; i < n; i++) {
            const float *w = L->wf + (size_t)f[i].bucket * (size_t)k;
            for (int j = 0; j < k; j++) a->z[j] += w[j];
        }
    }
}

static void sink_i8(void *ud, const senti__feature *f, size_t n) {
    score_acc *a = ud;
    const linear *L = a->L;
    int k = L->n_out;
    a->nf += (uint32_t)n;
    if (!L->scale_per_row) {
        if (k == 1) {
            int32_t q = 0;
            for (size_t i = 0; i < n; i++) q += L->wq[f[i].bucket];
            a->qz += q;
        } else if (k == 3) { /* the common 3-class case: integer sums, unrolled */
            int32_t q0 = 0, q1 = 0, q2 = 0;
            for (size_t i = 0; i < n; i++) {
                const int8_t *w = L->wq + (size_t)f[i].bucket * 3u;
                q0 += w[0], q1 += w[1], q2 += w[2];
            }
            a->qk[0] += q0, a->qk[1] += q1, a->qk[2] += q2;
        } else {
            for (size_t i = 0; i < n; i++) {
                const int8_t *w = L->wq + (size_t)f[i].bucket * (size_t)k;
                for (int j = 0; j < k; j++) a->qk[j] += w[j];
            }
        }
    } else {
        for (size_t i = 0; i < n; i++) {
            const int8_t *w = L->wq + (size_t)f[i].bucket * (size_t)k;
            float s = L->scale[f[i].bucket];
            for (int j = 0; j < k; j++) a->z[j] += s * (float)w[j];
        }
    }
}

/* Turn accumulated sums into z (shared by predict and the trainer's evaluation). */
static void finish_scores(const linear *L, score_acc *a, senti_result *out, int n_classes,
                          int pos_index) {
    float z[SENTI_MAX_CLASSES];
    float s = L->p.norm && a->nf ? 1.0f / sqrtf((float)a->nf) : 1.0f;
    int k = L->n_out;
    for (int j = 0; j < k; j++) {
        float sum = a->z[j];
        if (L->wq && !L->scale_per_row) sum = (float)(k == 1 ? a->qz : a->qk[j]) * L->scale[0];
        z[j] = (L->bias[j] + s * sum) * L->inv_temp;
    }
    out->n_classes = n_classes;
    if (k == 1) {
        double p = 1.0 / (1.0 + exp(-(double)z[0]));
        out->probs[0] = 1.0 - p;
        out->probs[1] = p;
        out->label = p >= 0.5 ? 1 : 0;
    } else {
        double mx = z[0], sum = 0;
        for (int j = 1; j < k; j++) mx = z[j] > mx ? z[j] : mx;
        for (int j = 0; j < k; j++) sum += (out->probs[j] = exp((double)z[j] - mx));
        int best = 0;
        for (int j = 0; j < k; j++) {
            out->probs[j] /= sum;
            if (out->probs[j] > out->probs[best]) best = j;
        }
        out->label = best;
    }
    out->score = pos_index >= 0 ? out->probs[pos_index] : out->probs[out->label];
}

static int linear_predict(const senti_model *m, senti_ctx *ctx, const char *text, size_t len,
                          senti_result *out) {
    (void)ctx;
    const linear *L = m->impl;
    score_acc a;
    memset(&a, 0, sizeof a);
    a.L = L;
    out->n_tokens = senti__linear_buckets(&L->p, text, len, m->max_tokens, L->wq ? sink_i8 : sink_f32, &a);
    finish_scores(L, &a, out, m->n_classes, m->pos_index);
    return SENTI_OK;
}

/* Weight of bucket b for output j, as used in scoring (before the 1/sqrt(n) and 1/T factors). */
static float weight_of(const linear *L, uint32_t b, int j) {
    size_t i = (size_t)b * (size_t)L->n_out + (size_t)j;
    if (L->wf) return L->wf[i];
    return (float)L->wq[i] * (L->scale_per_row ? L->scale[b] : L->scale[0]);
}

typedef struct explain_acc {
    const linear *L;
    senti_contribution *c;
    size_t cap, n;
    size_t nf; /* features scored, long copies included */
} explain_acc;

/* One contribution per n-gram: a long copy adds its weights to its feature's (the one
 * before it). */
static void sink_explain(void *ud, const senti__feature *f, size_t n) {
    explain_acc *a = ud;
    a->nf += n;
    for (size_t i = 0; i < n; i++) {
        if (f[i].long_copy) {
            if (a->n - 1 < a->cap)
                for (int j = 0; j < a->L->n_out; j++) a->c[a->n - 1].logit[j] += weight_of(a->L, f[i].bucket, j);
            continue;
        }
        if (a->n++ >= a->cap) continue;
        senti_contribution *c = &a->c[a->n - 1];
        memset(c, 0, sizeof *c);
        c->start = f[i].start;
        c->end = f[i].end;
        c->order = f[i].order;
        c->flags = f[i].negated ? SENTI_CONTRIB_NEGATED : 0;
        for (int j = 0; j < a->L->n_out; j++) c->logit[j] = weight_of(a->L, f[i].bucket, j);
    }
}

static int linear_explain(const senti_model *m, senti_ctx *ctx, const char *text, size_t len,
                          senti_result *out, senti_contribution *contrib, size_t cap, size_t *n) {
    const linear *L = m->impl;
    int rc = linear_predict(m, ctx, text, len, out);
    if (rc) return rc;
    explain_acc a = {L, contrib, cap, 0, 0};
    if (cap) { /* the bias comes first */
        memset(&contrib[0], 0, sizeof contrib[0]);
        contrib[0].order = SENTI_CONTRIB_BIAS;
        for (int j = 0; j < L->n_out; j++) contrib[0].logit[j] = L->bias[j] * L->inv_temp;
    }
    a.n = 1;
    senti__linear_features(&L->p, text, len, m->max_tokens, sink_explain, &a);
    /* the scale applied to every feature in scoring: 1/sqrt(count) and the temperature */
    float s = (L->p.norm && a.nf ? 1.0f / sqrtf((float)a.nf) : 1.0f) * L->inv_temp;
    for (size_t i = 1; i < a.n && i < cap; i++)
        for (int j = 0; j < L->n_out; j++) contrib[i].logit[j] *= s;
    *n = a.n;
    return SENTI_OK;
}

static void linear_destroy(senti_model *m) {
    linear *L = m->impl;
    if (!L) return;
    senti__free(L);
}

static const senti__model_ops linear_ops = {
    .kind = "linear",
    .predict = linear_predict,
    .explain = linear_explain,
    .destroy = linear_destroy,
};

/* ---- opening a model file ------------------------------------------------------------------- */

/* Labels from metadata: the core checks the names; a binary model is negative,positive. */
static int open_labels(senti_model *m, linear *L, const senti__st *st, char *err, size_t err_size) {
    int rc = senti__model_parse_labels(m, senti__st_meta(st, "labels"), err, err_size);
    if (rc) return rc;
    L->n_out = m->n_classes == 2 ? 1 : m->n_classes;
    if (m->n_classes == 2 && (strcmp(m->labels[0], "negative") || strcmp(m->labels[1], "positive")))
        return senti__err(err, err_size, SENTI_EFORMAT, "a binary model's labels must be negative,positive");
    return SENTI_OK;
}

/* The weight table (F32, or I8 with one scale or one per row) and the bias. */
static int open_tensors(linear *L, const senti__st *st, char *err, size_t err_size) {
    const senti__tensor *w = senti__st_find(st, "weights"), *b = senti__st_find(st, "bias");
    uint64_t buckets = 1ull << L->p.bits;
    if (!w || w->ndim != 2 || w->shape[0] != buckets || w->shape[1] != (uint64_t)L->n_out)
        return senti__err(err, err_size, SENTI_EFORMAT, "tensor 'weights' missing or not of shape [%llu, %d]",
                          (unsigned long long)buckets, L->n_out);
    if (!b || b->dtype != SENTI__DT_F32 || b->count != (uint64_t)L->n_out)
        return senti__err(err, err_size, SENTI_EFORMAT, "tensor 'bias' missing or not F32 [%d]", L->n_out);
    L->bias = b->data;
    const senti__tensor *v = senti__st_find(st, "vocab");
    if (L->p.vocab_bits) {
        uint64_t bytes = (1ull << L->p.vocab_bits) / 8;
        if (!v || v->dtype != SENTI__DT_U8 || v->count != bytes)
            return senti__err(err, err_size, SENTI_EFORMAT, "tensor 'vocab' missing or not U8 [%llu]",
                              (unsigned long long)bytes);
        L->p.vocab = v->data;
    } else if (v)
        return senti__err(err, err_size, SENTI_EFORMAT, "tensor 'vocab' without metadata 'vocab_bits'");
    if (w->dtype == SENTI__DT_F32) {
        L->wf = w->data;
        return SENTI_OK;
    }
    if (w->dtype != SENTI__DT_I8)
        return senti__err(err, err_size, SENTI_EFORMAT, "tensor 'weights' has dtype %s (F32 or I8 expected)",
                          senti__dtype_name(w->dtype));
    const senti__tensor *s = senti__st_find(st, "scale");
    if (!s || s->dtype != SENTI__DT_F32 || (s->count != 1 && s->count != buckets))
        return senti__err(err, err_size, SENTI_EFORMAT, "I8 weights need an F32 tensor 'scale' of 1 or %llu values",
                          (unsigned long long)buckets);
    L->wq = w->data;
    L->scale = s->data;
    L->scale_per_row = s->count != 1;
    return SENTI_OK;
}

/* Optional calibration: logits are divided by the temperature. */
static int open_temperature(linear *L, const senti__st *st, char *err, size_t err_size) {
    L->inv_temp = 1.0f;
    const char *temp = senti__st_meta(st, "temperature");
    if (!temp) return SENTI_OK;
    char *end;
    double t = strtod(temp, &end);
    if (*end || !(t >= 0.01 && t <= 100))
        return senti__err(err, err_size, SENTI_EFORMAT, "metadata 'temperature' = '%.32s' not in [0.01, 100]", temp);
    L->inv_temp = (float)(1.0 / t);
    return SENTI_OK;
}

/* Values must be finite and bounded: a NaN weight would poison every score, and weights near
 * FLT_MAX would sum to infinity and then NaN. With |bias|, |weight| <= 1e6, at most 7 features
 * a token (copies included) and 2^32 tokens, |z| stays below 1e19 * 100 (the temperature's
 * bound), far inside float's range. */
static int check_values(const linear *L, char *err, size_t err_size) {
    const double wmax = 1e6;
    uint64_t buckets = 1ull << L->p.bits;
    for (int j = 0; j < L->n_out; j++)
        if (!(fabs(L->bias[j]) <= wmax))
            return senti__err(err, err_size, SENTI_EFORMAT, "tensor 'bias' holds a non-finite value or one beyond +-1e6");
    if (L->scale)
        for (uint64_t j = 0; j < (L->scale_per_row ? buckets : 1); j++)
            if (!(fabs(L->scale[j]) * 127.0 <= wmax))
                return senti__err(err, err_size, SENTI_EFORMAT,
                                  "tensor 'scale' holds a non-finite value or one beyond +-1e6/127");
    if (L->wf) { /* one pass over the table: about 1 ns per weight, only for F32 files */
        size_t nw = (size_t)buckets * (size_t)L->n_out;
        for (size_t i = 0; i < nw; i++)
            if (!(fabsf(L->wf[i]) <= (float)wmax))
                return senti__err(err, err_size, SENTI_EFORMAT, "tensor 'weights' holds a non-finite value or one beyond +-1e6");
    }
    return SENTI_OK;
}

static int linear_open_file(const senti__st *st, const senti_options *opts, senti_model **out,
                            char *err, size_t err_size) {
    const char *ver = senti__st_meta(st, "format_version");
    if (!ver || (strcmp(ver, "1") && strcmp(ver, "2") && strcmp(ver, "3") && strcmp(ver, "4")))
        return senti__err(err, err_size, SENTI_EVERSION,
                          "format_version '%.16s' not supported (this library reads 1 to 4)", ver ? ver : "");
    senti_model *m = senti__model_new(&linear_ops, opts);
    linear *L = senti__calloc(1, sizeof *L);
    if (!m || !L) {
        senti__free(m);
        senti__free(L);
        return senti__err(err, err_size, SENTI_ENOMEM, "out of memory");
    }
    m->impl = L;
    int rc = senti__linear_params_parse(st, &L->p, err, err_size);
    if (!rc && L->p.vocab_bits && strcmp(ver, "4"))
        rc = senti__err(err, err_size, SENTI_EFORMAT, "metadata 'vocab_bits' needs format_version 4");
    if (!rc) rc = open_labels(m, L, st, err, err_size);
    if (!rc) rc = open_tensors(L, st, err, err_size);
    if (!rc) rc = open_temperature(L, st, err, err_size);
    if (!rc) rc = check_values(L, err, err_size);
    if (rc) {
        senti_model_free(m);
        return rc;
    }
    *out = m;
    return SENTI_OK;
}

const senti__kind senti__linear_kind = {
    .name = "linear",
    .help = "linear:FILE    a linear n-gram model file made by senti train (the embedded default is one)",
    .open_file = linear_open_file,
};
