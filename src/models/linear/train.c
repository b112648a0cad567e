/*
 * train.c - training the linear model: logistic regression (two classes) or softmax
 * regression (three or more) over hashed n-gram features, with AdaGrad, L2 and early
 * stopping on a validation set.
 *
 * DESIGN. Features of every text are extracted once, in parallel (each thread takes a
 * contiguous range of texts; the result does not depend on the thread count). The
 * optimization itself is sequential SGD in an order drawn from a fixed-seed generator, so
 * the same data, options and seed give a bit-identical model for any thread count. After
 * each epoch the validation loss is computed (per text, summed in order); the weights of the
 * best epoch are kept, and training stops after `patience` epochs without improvement.
 * The model is written as F32, or quantized to I8 after training.
 *
 * LEXICON. With a lexicon (opts n_lex > 0; e.g. VADER's 7,500 rated words and emoticons),
 * every entry is tied to the bucket of the feature that spells it: a one-token entry to its
 * unigram bucket (and, with negation marking, to the bucket of its negated form), a two- or
 * three-token entry such as ":)" or ":-(" to its bigram or trigram bucket. The entry's
 * valence v gives it one of LEX_BINS bins, round(2 v) (plain and negated bins apart). During
 * training, every feature that falls in a tied bucket also fires the shared weight of the
 * bucket's bin, so what the data teaches about "words rated +2" reaches rated words the
 * data rarely or never shows. A negated entry ("not" + a rated word: the bucket of its
 * negated form) has bins of its own (-8..8 again), learned apart from the plain ones; with
 * opts lex_flip it shares instead the plain bin of valence -0.74 v (VADER's rule for a
 * negated word, N_SCALAR): "not terrible" (-2.1) learns with the words rated +1.5, "not good"
 * (1.9) with those rated -1.4, so what the data shows of rated words reaches their rarer
 * negations, in the direction a reader expects. (A negated entry whose flipped bin is 0 is
 * left untied.) When the model is written, each bin weight is added into the buckets tied to
 * it: the file is an ordinary linear model (nothing to read or compute at
 * prediction time), and it scores exactly what the trained model scored, because the tie is
 * by bucket (a colliding feature fired the bin weight in training too).
 *
 * NB SCALING. With opts nb = alpha > 0 (as in NBSVM, Wang and Manning 2012), the feature in
 * bucket b enters output j scaled by the log-count ratio
 *     r[b][j] = log( (m_c(b) / sum_b' m_c(b')) / (m_rest(b) / sum_b' m_rest(b')) )
 * where c is the class of output j (positive for a one-output binary model), n_k(b) counts
 * the training texts of class k that contain a feature of bucket b (each text once, with
 * its sample weight), m_k(b) = alpha + n_k(b), and m_rest(b) is the sum of m_k(b) over the
 * other classes (so with three classes the rest is smoothed by 2 alpha, and a bucket seen
 * nowhere gets r = log(1) = 0 against a balanced background). So the model learns w and
 * scores with w * r: words whose class counts lean one way start with a larger say, and
 * words spread evenly over the classes a smaller one. The neutral class (label "neutral")
 * is left unscaled (r = 1): its evidence is mostly the absence of polar words, and scaling
 * it cost 1.5 points of SemEval average recall. The written weights are w * r, so the file
 * is an ordinary linear model and scoring costs the same.
 */
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/core.h"
#include "models/linear/linear.h"
#include "text/tokenize.h"

#define LEX_HALF 8                     /* bins round(2 v) in -8..8 */
#define LEX_PLAIN (2 * LEX_HALF + 1)
#define LEX_BINS (2 * LEX_PLAIN)       /* plain, then negated */
#define LEX_NEG_SCALAR (-0.74f)        /* lex_flip: a negated word's valence, as VADER's N_SCALAR */

/* Is lexicon entry e tied (a valence in -4..4 whose bin round(2 v) is not 0, spelled by one
 * token, or by two or three within the model's n-grams)? Its tokens in tok[0..*nt-1]. */
static int lex_entry(const senti__train_opts *o, size_t e, senti__token tok[8], size_t *nt) {
    float v = o->lex_values[e];
    if (!(v >= -4.0f && v <= 4.0f) || lrintf(2.0f * v) == 0) return 0;
    senti__tokenizer tz;
    senti__tok_init(&tz, o->lex_texts[e], o->lex_lens[e], 0);
    *nt = senti__tok_next(&tz, tok, 8);
    if (*nt == 0 || senti__tok_next(&tz, tok + 4, 4)) return 0; /* none, or too many */
    return *nt == 1 || (*nt == 2 && o->fp.ngram >= 2) || (*nt == 3 && o->fp.ngram >= 3);
}

/* lexmap[bucket] = 1 + bin, or 0: which bin weight a feature in that bucket also fires.
 * An entry whose bucket is already tied keeps the first (the lexicon's order) tie. */
static int lexmap_build(const senti__train_opts *o, uint8_t **out, size_t *n_used) {
    *out = NULL;
    *n_used = 0;
    if (!o->n_lex) return SENTI_OK;
    size_t buckets = (size_t)1 << o->fp.bits;
    uint8_t *map = senti__calloc(buckets, 1);
    if (!map) return SENTI_ENOMEM;
    uint32_t shift = 64 - o->fp.bits;
    for (size_t e = 0; e < o->n_lex; e++) {
        senti__token tok[8];
        size_t nt;
        if (!lex_entry(o, e, tok, &nt)) continue;
        float v = o->lex_values[e];
        int bin = (int)lrintf(2.0f * v) + LEX_HALF;
        uint64_t h[2] = {0, 0};
        int nh = 0;
        if (nt == 1) {
            h[nh++] = tok[0].hash;
            if (o->fp.negation && !(tok[0].flags & (SENTI__TOK_NEGATOR | SENTI__TOK_CLAUSE)))
                h[nh++] = senti__mix(tok[0].hash, SENTI__TAG_NEG);
        } else if (nt == 2) {
            h[nh++] = senti__mix(tok[0].hash, tok[1].hash);
        } else {
            h[nh++] = senti__mix(senti__mix(tok[0].hash, tok[1].hash), tok[2].hash);
        }
        /* (a multi-token entry's tokens are taken unnegated: emoticons are punctuation,
         * which closes a negation scope) */
        int used = 0, flipped = LEX_HALF + (int)lrintf(2.0f * LEX_NEG_SCALAR * v);
        for (int k = 0; k < nh; k++) {
            size_t b = (size_t)(h[k] >> shift);
            if (map[b] || (k && o->lex_flip && flipped == LEX_HALF)) continue;
            map[b] = (uint8_t)(1 + (!k ? bin : o->lex_flip ? flipped : bin + LEX_PLAIN));
            used = 1;
        }
        *n_used += (size_t)used;
    }
    *out = map;
    return SENTI_OK;
}

/* ---- features of a whole data set ---------------------------------------------------------- */

typedef struct featset {
    size_t n;
    uint32_t *idx;   /* all bucket indices */
    size_t *off;     /* [n+1] */
    size_t cap;
} featset;

typedef struct fs_sink {
    uint32_t *buf;
    size_t len, cap;
    int oom;
    const uint8_t *lexmap; /* or NULL */
    uint32_t lexbase;      /* index of the first bin weight (= buckets) */
} fs_sink;

static void fs_put(void *ud, const senti__feature *f, size_t n) {
    fs_sink *s = ud;
    if (s->oom) return;
    if (s->len + 2 * n > s->cap) { /* room for a bin weight per feature */
        size_t nc = s->cap ? s->cap * 2 : 4096;
        while (nc < s->len + 2 * n) nc *= 2;
        uint32_t *nb = senti__realloc(s->buf, nc * sizeof *nb);
        if (!nb) {
            s->oom = 1;
            return;
        }
        s->buf = nb;
        s->cap = nc;
    }
    if (!s->lexmap) {
        for (size_t i = 0; i < n; i++) s->buf[s->len++] = f[i].bucket;
        return;
    }
    for (size_t i = 0; i < n; i++) {
        uint32_t b = f[i].bucket;
        s->buf[s->len++] = b;
        if (s->lexmap[b]) s->buf[s->len++] = s->lexbase + s->lexmap[b] - 1u;
    }
}

/* VOCABULARY (linear.h): the bitmap of the tokens seen at least o->vocab_min times in the
 * training rows, within max_tokens (counts saturate at 255), of the tokens of every tied
 * lexicon entry (lex_entry) and of "@user". */
static int vocab_build(const senti__train_opts *o, const senti__train_set *set, const size_t *rows,
                       size_t n, uint8_t **out) {
    size_t nbits = (size_t)1 << SENTI__VOCAB_BITS;
    uint8_t *cnt = senti__calloc(nbits, 1), *map = senti__calloc(nbits / 8, 1);
    if (!cnt || !map) {
        senti__free(cnt);
        senti__free(map);
        return SENTI_ENOMEM;
    }
    const unsigned shift = 64 - SENTI__VOCAB_BITS;
    senti__token tok[64];
    for (size_t i = 0; i < n; i++) {
        size_t k = rows ? rows[i] : i, nt;
        senti__tokenizer tz;
        senti__tok_init(&tz, set->texts[k], set->lens[k], 0);
        for (uint32_t seen = 0; seen < o->max_tokens && (nt = senti__tok_next(&tz, tok, 64)) > 0;)
            for (size_t j = 0; j < nt && seen < o->max_tokens; j++, seen++) {
                uint8_t *c = cnt + (tok[j].hash >> shift);
                if (*c < 255) (*c)++;
            }
    }
    for (size_t b = 0; b < nbits; b++)
        if (cnt[b] >= o->vocab_min) map[b >> 3] |= (uint8_t)(1u << (b & 7));
    senti__free(cnt);
    uint64_t always = senti__hash_token("@user", 5) >> shift;
    map[always >> 3] |= (uint8_t)(1u << (always & 7));
    for (size_t e = 0; e < o->n_lex; e++) {
        size_t nt;
        if (lex_entry(o, e, tok, &nt))
            for (size_t j = 0; j < nt; j++) {
                uint64_t b = tok[j].hash >> shift;
                map[b >> 3] |= (uint8_t)(1u << (b & 7));
            }
    }
    *out = map;
    return SENTI_OK;
}

typedef struct fs_job {
    const senti__linear_params *p;
    const senti__train_set *set;
    const size_t *which; /* indices into set, or NULL */
    size_t begin, end;
    uint32_t max_tokens;
    fs_sink sink;
    size_t *counts; /* features per text */
} fs_job;

static void *fs_worker(void *arg) {
    fs_job *j = arg;
    for (size_t i = j->begin; i < j->end && !j->sink.oom; i++) {
        size_t k = j->which ? j->which[i] : i;
        size_t before = j->sink.len;
        senti__linear_buckets(j->p, j->set->texts[k], j->set->lens[k], j->max_tokens, fs_put, &j->sink);
        j->counts[i] = j->sink.len - before;
    }
    return NULL;
}

static int featset_build(featset *fs, const senti__linear_params *p, const senti__train_set *set,
                         const size_t *which, size_t n, int threads, uint32_t max_tokens,
                         const uint8_t *lexmap) {
    memset(fs, 0, sizeof *fs);
    fs->n = n;
    fs->off = senti__calloc(n + 1, sizeof *fs->off);
    size_t *counts = senti__calloc(n ? n : 1, sizeof *counts);
    if (threads < 1) threads = 1;
    if (threads > 64) threads = 64;
    if ((size_t)threads > n) threads = n ? (int)n : 1;
    fs_job jobs[64];
    pthread_t tid[64];
    int started[64] = {0};
    int rc = SENTI_OK;
    if (!fs->off || !counts) rc = SENTI_ENOMEM;
    for (int t = 0; t < threads; t++) jobs[t].sink.buf = NULL; /* freed below on every path */
    for (int t = 0; t < threads && !rc; t++) {
        jobs[t] = (fs_job){p, set, which, n * (size_t)t / (size_t)threads,
                           n * (size_t)(t + 1) / (size_t)threads, max_tokens,
                           {NULL, 0, 0, 0, lexmap, (uint32_t)1 << p->bits}, counts};
        if (t > 0) started[t] = pthread_create(&tid[t], NULL, fs_worker, &jobs[t]) == 0;
        if (t > 0 && !started[t]) fs_worker(&jobs[t]);
    }
    if (!rc) fs_worker(&jobs[0]);
    for (int t = 1; t < threads && !rc; t++)
        if (started[t]) pthread_join(tid[t], NULL);
    size_t total = 0;
    for (int t = 0; t < threads && !rc; t++) {
        if (jobs[t].sink.oom) rc = SENTI_ENOMEM;
        total += jobs[t].sink.len;
    }
    if (!rc) {
        fs->idx = senti__malloc((total ? total : 1) * sizeof *fs->idx);
        if (!fs->idx) rc = SENTI_ENOMEM;
    }
    if (!rc) {
        size_t at = 0;
        for (int t = 0; t < threads; t++) {
            memcpy(fs->idx + at, jobs[t].sink.buf, jobs[t].sink.len * sizeof *fs->idx);
            at += jobs[t].sink.len;
        }
        for (size_t i = 0; i < n; i++) fs->off[i + 1] = fs->off[i] + counts[i];
    }
    for (int t = 0; t < threads; t++) senti__free(jobs[t].sink.buf);
    senti__free(counts);
    if (rc) {
        senti__free(fs->off);
        senti__free(fs->idx);
        memset(fs, 0, sizeof *fs);
    }
    return rc;
}

static void featset_free(featset *fs) {
    senti__free(fs->idx);
    senti__free(fs->off);
}

/* ---- scoring during training ---------------------------------------------------------------- */

typedef struct trainer {
    const senti__train_opts *o;
    int k;            /* outputs: 1 or n_classes */
    size_t buckets;
    float *w, *g;     /* weights and AdaGrad accumulators [buckets * k] */
    float bias[SENTI_MAX_CLASSES], gbias[SENTI_MAX_CLASSES];
    float *r;         /* NB scales [total], or NULL (see "NB SCALING") */
    double temperature; /* calibration; 0: none */
    const uint8_t *vocab; /* VOCABULARY bitmap written with the model, or NULL */
} trainer;

/* 1/sqrt(number of features) for norm "sqrt", counting the text's own features only (not
 * the lexicon bin weights, which prediction never sees as features of their own). */
static double norm_scale(const trainer *T, const uint32_t *f, size_t nf) {
    size_t real = 0;
    for (size_t a = 0; a < nf; a++) real += f[a] < T->buckets;
    return real ? 1.0 / sqrt((double)real) : 1.0;
}

/* Probabilities of text i (p[0..n_classes-1]). */
static void tr_probs(const trainer *T, const featset *fs, size_t i, double *p) {
    const uint32_t *f = fs->idx + fs->off[i];
    size_t nf = fs->off[i + 1] - fs->off[i];
    int k = T->k;
    double s = T->o->fp.norm ? norm_scale(T, f, nf) : 1.0;
    float z[SENTI_MAX_CLASSES] = {0};
    if (T->r)
        for (size_t a = 0; a < nf; a++) {
            const float *w = T->w + (size_t)f[a] * (size_t)k, *r = T->r + (size_t)f[a] * (size_t)k;
            for (int j = 0; j < k; j++) z[j] += w[j] * r[j];
        }
    else
        for (size_t a = 0; a < nf; a++) {
            const float *w = T->w + (size_t)f[a] * (size_t)k;
            for (int j = 0; j < k; j++) z[j] += w[j];
        }
    if (k == 1) {
        double pp = 1.0 / (1.0 + exp(-(T->bias[0] + s * z[0])));
        p[0] = 1.0 - pp;
        p[1] = pp;
        return;
    }
    double mx = -INFINITY, sum = 0;
    double zz[SENTI_MAX_CLASSES];
    for (int j = 0; j < k; j++) {
        zz[j] = T->bias[j] + s * z[j];
        if (zz[j] > mx) mx = zz[j];
    }
    for (int j = 0; j < k; j++) sum += (p[j] = exp(zz[j] - mx));
    for (int j = 0; j < k; j++) p[j] /= sum;
}

static int argmax(const double *p, int n) {
    int b = 0;
    for (int j = 1; j < n; j++)
        if (p[j] > p[b]) b = j;
    return b;
}

/* PARTIAL LABELS. A text whose file knows only negative and positive (SST-2, IMDB, pros and
 * cons) says which of the two it is, not that it is not neutral: many such texts are phrases
 * a three-class annotator would call neutral. Its loss is therefore that of the polar classes
 * alone, -log(p_y / (1 - p_neutral)): the softmax renormalized without the neutral class, whose
 * logit then gets no gradient from it (and neither does the neutral bias). Without this, every
 * polar-only text teaches "not neutral", and the bias that an empty text scores with ends far
 * from neutral. opts.partial = a in (0, 1] mixes the two: a times the polar loss plus (1 - a)
 * times the ordinary one (gradient a * q + (1 - a) * p - y, q the renormalized p), so the
 * polar texts still teach "not neutral", a times less loudly. On validation rows of such files,
 * loss and accuracy are those of the polar classes alone (the binary view `senti eval` takes).
 * neutral_class: the index of the class named "neutral" in a softmax model, or -1. */
static int neutral_class(const senti__train_opts *o) {
    if (o->n_classes < 3 || !o->labels) return -1;
    for (int c = 0; c < o->n_classes; c++)
        if (o->labels[c] && !strcmp(o->labels[c], "neutral")) return c;
    return -1;
}

/* p renormalized over the classes other than neutral (p[neutral] = 0); unchanged if the model
 * has no neutral class. */
static void polar_probs(const trainer *T, double *p) {
    int u = neutral_class(T->o), nc = T->o->n_classes;
    if (u < 0) return;
    double rest = 1.0 - p[u];
    if (!(rest > 1e-300)) rest = 1e-300;
    for (int j = 0; j < nc; j++) p[j] = j == u ? 0.0 : p[j] / rest;
}

typedef struct eval_job {
    const trainer *T;
    const featset *fs;
    const int *labels;
    const unsigned char *polar; /* or NULL */
    size_t begin, end;
    double *loss;  /* per text */
    char *correct; /* per text */
} eval_job;

static void *eval_worker(void *arg) {
    eval_job *e = arg;
    int nc = e->T->o->n_classes;
    for (size_t i = e->begin; i < e->end; i++) {
        double p[SENTI_MAX_CLASSES];
        tr_probs(e->T, e->fs, i, p);
        int y = e->labels[i];
        if (e->polar && e->polar[i]) polar_probs(e->T, p);
        e->loss[i] = -log(p[y] > 1e-15 ? p[y] : 1e-15);
        e->correct[i] = argmax(p, nc) == y;
    }
    return NULL;
}

/* Mean loss and accuracy over a feature set; sums in text order, so any thread count gives
 * the same numbers. */
static int evaluate(const trainer *T, const featset *fs, const int *labels, const unsigned char *polar,
                    int threads, double *loss, double *acc) {
    size_t n = fs->n;
    *loss = 0, *acc = 0;
    if (!n) return SENTI_OK;
    double *l = senti__malloc(n * sizeof *l);
    char *c = senti__malloc(n);
    if (!l || !c) {
        senti__free(l);
        senti__free(c);
        return SENTI_ENOMEM;
    }
    if (threads < 1) threads = 1;
    if (threads > 64) threads = 64;
    eval_job jobs[64];
    pthread_t tid[64];
    int started[64] = {0};
    for (int t = 0; t < threads; t++) {
        jobs[t] = (eval_job){T, fs, labels, polar, n * (size_t)t / (size_t)threads,
                             n * (size_t)(t + 1) / (size_t)threads, l, c};
        if (t > 0) started[t] = pthread_create(&tid[t], NULL, eval_worker, &jobs[t]) == 0;
        if (t > 0 && !started[t]) eval_worker(&jobs[t]);
    }
    eval_worker(&jobs[0]);
    for (int t = 1; t < threads; t++)
        if (started[t]) pthread_join(tid[t], NULL);
    double sl = 0;
    size_t sc = 0;
    for (size_t i = 0; i < n; i++) sl += l[i], sc += (size_t)c[i];
    *loss = sl / (double)n;
    *acc = (double)sc / (double)n;
    senti__free(l);
    senti__free(c);
    return SENTI_OK;
}

/* One SGD step on text i with label y and weight w; polar: its label is one of the polar
 * classes and the neutral one is not in question (PARTIAL LABELS). */
static double tr_step(trainer *T, const featset *fs, size_t i, int y, float wt, int polar) {
    const senti__train_opts *o = T->o;
    double p[SENTI_MAX_CLASSES];
    tr_probs(T, fs, i, p);
    double pa = polar ? o->partial : 0.0, q[SENTI_MAX_CLASSES];
    memcpy(q, p, sizeof q);
    if (pa > 0) polar_probs(T, q); /* the neutral logit's gradient from q is 0 */
    const uint32_t *f = fs->idx + fs->off[i];
    size_t nf = fs->off[i + 1] - fs->off[i];
    double s = o->fp.norm ? norm_scale(T, f, nf) : 1.0;
    int k = T->k;
    float gr[SENTI_MAX_CLASSES];
    if (k == 1) gr[0] = wt * (float)(p[1] - (y == 1));
    else
        for (int j = 0; j < k; j++) gr[j] = wt * (float)(pa * q[j] + (1 - pa) * p[j] - (y == j));
    float lr = (float)o->lr, l2 = (float)o->l2;
    for (size_t a = 0; a < nf; a++) {
        size_t at = (size_t)f[a] * (size_t)k;
        float *w = T->w + at, *g = T->g + at;
        for (int j = 0; j < k; j++) {
            float d = gr[j] * (float)s * (T->r ? T->r[at + (size_t)j] : 1.0f) + l2 * w[j];
            g[j] += d * d;
            w[j] -= lr * d / sqrtf(g[j] + 1e-8f);
        }
    }
    for (int j = 0; j < k; j++) {
        float d = gr[j];
        T->gbias[j] += d * d;
        T->bias[j] -= lr * d / sqrtf(T->gbias[j] + 1e-8f);
    }
    return -wt * (pa * log(q[y] > 1e-15 ? q[y] : 1e-15) + (1 - pa) * log(p[y] > 1e-15 ? p[y] : 1e-15));
}

static uint64_t splitmix64(uint64_t *s) {
    uint64_t z = (*s += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

static void shuffle(size_t *a, size_t n, uint64_t *rng) {
    for (size_t i = n; i > 1; i--) {
        size_t j = (size_t)(splitmix64(rng) % i);
        size_t t = a[i - 1];
        a[i - 1] = a[j];
        a[j] = t;
    }
}

/* The NB scales T->r[total] (see "NB SCALING"); the lexicon bin weights keep 1. */
static int nb_scales(trainer *T, const featset *fs, const int *labels, const float *weights,
                     size_t total) {
    const senti__train_opts *o = T->o;
    int C = o->n_classes, k = T->k;
    double alpha = o->nb;
    double *cnt = senti__calloc(T->buckets * (size_t)C, sizeof *cnt);
    uint32_t *last = senti__calloc(T->buckets, sizeof *last); /* 1 + last text seen */
    T->r = senti__malloc(total * sizeof *T->r);
    if (!cnt || !last || !T->r) {
        senti__free(cnt);
        senti__free(last);
        return SENTI_ENOMEM;
    }
    for (size_t i = 0; i < fs->n; i++) {
        double wt = weights ? weights[i] : 1.0;
        for (size_t a = fs->off[i]; a < fs->off[i + 1]; a++) {
            uint32_t b = fs->idx[a];
            if (b >= T->buckets || last[b] == i + 1) continue;
            last[b] = (uint32_t)(i + 1);
            cnt[(size_t)b * (size_t)C + (size_t)labels[i]] += wt;
        }
    }
    double tot[SENTI_MAX_CLASSES] = {0}, all = 0;
    for (size_t b = 0; b < T->buckets; b++)
        for (int c = 0; c < C; c++) tot[c] += cnt[b * (size_t)C + (size_t)c] + alpha;
    for (int c = 0; c < C; c++) all += tot[c];
    for (size_t b = 0; b < T->buckets; b++) {
        const double *n = cnt + b * (size_t)C;
        double row = 0;
        for (int c = 0; c < C; c++) row += n[c] + alpha;
        for (int j = 0; j < k; j++) {
            int c = k == 1 ? 1 : j;
            double in = n[c] + alpha, out = row - in;
            T->r[b * (size_t)k + (size_t)j] =
                k > 1 && o->labels && o->labels[c] && !strcmp(o->labels[c], "neutral")
                    ? 1.0f
                    : (float)log((in / tot[c]) / (out / (all - tot[c])));
        }
    }
    for (size_t i = T->buckets * (size_t)k; i < total; i++) T->r[i] = 1.0f;
    senti__free(cnt);
    senti__free(last);
    return SENTI_OK;
}

/* ---- writing --------------------------------------------------------------------------------- */

static int write_model(const trainer *T, const senti__train_opts *o, const char *path,
                       const senti__train_report *rep, double acc, double loss,
                       const char *const *meta_kv, size_t n_meta, char *err, size_t err_size) {
    size_t total = T->buckets * (size_t)T->k;
    int8_t *q = NULL;
    float *scale = NULL;
    size_t nscale = 0;
    senti__st_out t[4];
    size_t nt = 0;
    if (o->quantize) {
        q = senti__malloc(total);
        nscale = o->quantize == 2 ? T->buckets : 1;
        scale = senti__malloc(nscale * sizeof *scale);
        if (!q || !scale) {
            senti__free(q);
            senti__free(scale);
            return senti__err(err, err_size, SENTI_ENOMEM, "out of memory");
        }
        for (size_t r = 0; r < nscale; r++) {
            size_t b = o->quantize == 2 ? r * (size_t)T->k : 0;
            size_t e = o->quantize == 2 ? b + (size_t)T->k : total;
            float mx = 0;
            for (size_t i = b; i < e; i++) mx = fabsf(T->w[i]) > mx ? fabsf(T->w[i]) : mx;
            float sc = mx > 0 ? mx / 127.0f : 1.0f;
            scale[r] = sc;
            for (size_t i = b; i < e; i++) {
                long v = lrintf(T->w[i] / sc);
                q[i] = (int8_t)(v > 127 ? 127 : v < -127 ? -127 : v);
            }
        }
        t[nt++] = (senti__st_out){"weights", SENTI__DT_I8, 2, {T->buckets, (uint64_t)T->k}, q};
        t[nt++] = (senti__st_out){"scale", SENTI__DT_F32, 1, {nscale}, scale};
    } else {
        t[nt++] = (senti__st_out){"weights", SENTI__DT_F32, 2, {T->buckets, (uint64_t)T->k}, T->w};
    }
    t[nt++] = (senti__st_out){"bias", SENTI__DT_F32, 1, {(uint64_t)T->k}, T->bias};
    if (T->vocab)
        t[nt++] = (senti__st_out){"vocab", SENTI__DT_U8, 1, {((uint64_t)1 << SENTI__VOCAB_BITS) / 8}, T->vocab};

    /* model metadata first, then the caller's */
    char bits[16], ngram[16], neg[16], bounds[16], mentions[16], long_tok[16], m_nb[32], labels[300] = "";
    char m_acc[32], m_loss[32], m_ntr[32], m_nva[32], m_best[16], m_lr[32], m_l2[32], m_seed[32];
    snprintf(m_acc, sizeof m_acc, "%.4f", acc);
    snprintf(m_loss, sizeof m_loss, "%.4f", loss);
    snprintf(m_ntr, sizeof m_ntr, "%zu", rep->n_train);
    snprintf(m_nva, sizeof m_nva, "%zu", rep->n_valid);
    snprintf(m_best, sizeof m_best, "%d", rep->best_epoch);
    snprintf(m_lr, sizeof m_lr, "%g", o->lr);
    snprintf(m_l2, sizeof m_l2, "%g", o->l2);
    snprintf(m_seed, sizeof m_seed, "%llu", (unsigned long long)o->seed);
    char m_temp[32], m_ens[16];
    snprintf(m_ens, sizeof m_ens, "%d", o->ensemble);
    snprintf(m_temp, sizeof m_temp, "%.4f", T->temperature > 0 ? T->temperature : 1.0);
    snprintf(bits, sizeof bits, "%u", o->fp.bits);
    snprintf(ngram, sizeof ngram, "%u", o->fp.ngram);
    snprintf(neg, sizeof neg, "%u", o->fp.negation);
    snprintf(bounds, sizeof bounds, "%u", o->fp.bounds);
    snprintf(mentions, sizeof mentions, "%u", o->fp.mentions);
    snprintf(long_tok, sizeof long_tok, "%u", o->fp.long_tokens);
    /* the oldest version that has every key in use, so that older readers still read it */
    const char *version = T->vocab ? "4" : o->fp.long_tokens ? "3" : o->fp.mentions ? "2" : "1";
    char m_vbits[16];
    snprintf(m_vbits, sizeof m_vbits, "%d", SENTI__VOCAB_BITS);
    snprintf(m_nb, sizeof m_nb, "%g", o->nb);
    for (int j = 0; j < o->n_classes; j++) {
        if (j) strncat(labels, ",", sizeof labels - strlen(labels) - 1);
        strncat(labels, o->labels[j], sizeof labels - strlen(labels) - 1);
    }
    const char *base[] = {
        "kind", "linear", "format_version", version, "tokenizer", "senti-1", "hash", "xxh3-64",
        "hash_bits", bits, "ngram", ngram, "negation", neg, "bounds", bounds,
        "mentions", mentions, "norm", o->fp.norm ? "sqrt" : "none", "labels", labels,
        "dtype", o->quantize == 2 ? "int8-row" : o->quantize ? "int8" : "f32",
        "train_n", m_ntr, "valid_n", m_nva, "valid_accuracy", m_acc, "valid_loss", m_loss,
        "best_epoch", m_best, "lr", m_lr, "l2", m_l2, "nb", m_nb, "seed", m_seed,
        /* written only when in use (a NULL value leaves the pair out): a model without long
         * copies is the file it was before the key existed */
        "temperature", T->temperature > 0 ? m_temp : NULL, "long_tokens", o->fp.long_tokens ? long_tok : NULL,
        "ensemble", o->ensemble > 1 ? m_ens : NULL, "vocab_bits", T->vocab ? m_vbits : NULL,
    };
    size_t nbase = sizeof base / sizeof *base / 2, nb = 0;
    const char **kv = senti__malloc((nbase + n_meta) * 2 * sizeof *kv);
    int rc;
    if (!kv) rc = senti__err(err, err_size, SENTI_ENOMEM, "out of memory");
    else {
        for (size_t i = 0; i < nbase; i++)
            if (base[2 * i + 1]) kv[2 * nb] = base[2 * i], kv[2 * nb + 1] = base[2 * i + 1], nb++;
        if (n_meta) memcpy(kv + 2 * nb, meta_kv, n_meta * 2 * sizeof *kv);
        rc = senti__st_write(path, t, nt, kv, nb + n_meta, err, err_size);
    }
    senti__free(kv);
    senti__free(q);
    senti__free(scale);
    return rc;
}

/* Accuracy and log loss of the model file at path on texts which[0..n) of set; with logp,
 * also the log-probabilities of every text (n x n_classes). */
static int evaluate_file(const char *path, const senti__train_set *set, const size_t *which, size_t n,
                         const unsigned char *pol, const senti__train_opts *o, double *acc, double *loss,
                         double *logp, char *err, size_t err_size) {
    senti_model *m;
    senti_options mo = {0};
    mo.max_tokens = o->max_tokens;
    int rc = senti_model_open_file(path, &mo, &m, err, err_size);
    if (rc) return rc;
    senti_text *tx = senti__malloc((n ? n : 1) * sizeof *tx);
    senti_result *res = senti__malloc((n ? n : 1) * sizeof *res);
    if (!tx || !res) rc = senti__err(err, err_size, SENTI_ENOMEM, "out of memory");
    for (size_t i = 0; !rc && i < n; i++) {
        size_t k = which ? which[i] : i;
        tx[i].ptr = set->texts[k];
        tx[i].len = set->lens[k];
    }
    if (!rc) rc = senti_predict_batch(m, tx, n, res, o->threads);
    if (!rc) {
        size_t ok = 0;
        double l = 0;
        for (size_t i = 0; i < n; i++) {
            int y = set->labels[which ? which[i] : i], u = neutral_class(o);
            double p = res[i].probs[y];
            if (pol && pol[i] && u >= 0) { /* PARTIAL LABELS: the polar classes alone */
                int other = -1;
                for (int j = 0; j < o->n_classes; j++)
                    if (j != u && j != y) other = j;
                ok += other < 0 || res[i].probs[y] >= res[i].probs[other];
                p /= 1.0 - res[i].probs[u] > 1e-300 ? 1.0 - res[i].probs[u] : 1e-300;
            } else {
                ok += res[i].label == y;
            }
            l += -log(p > 1e-15 ? p : 1e-15);
            if (logp)
                for (int j = 0; j < o->n_classes; j++)
                    logp[i * (size_t)o->n_classes + j] = log(res[i].probs[j] > 1e-300 ? res[i].probs[j] : 1e-300);
        }
        *acc = (double)ok / (double)(n ? n : 1);
        *loss = l / (double)(n ? n : 1);
    }
    senti__free(tx);
    senti__free(res);
    senti_model_free(m);
    return rc;
}

/* Mean log loss of softmax(logp / T) against the labels; a row with pol[i] set is scored
 * over the classes other than u (PARTIAL LABELS; pol NULL or u < 0: none). */
static double nll_at(const double *logp, const int *y, const unsigned char *pol, int u, size_t n, int k,
                     double T) {
    double l = 0;
    for (size_t i = 0; i < n; i++) {
        const double *z = logp + i * (size_t)k;
        int skip = pol && pol[i] && u >= 0 ? u : -1;
        double mx = -INFINITY, sum = 0;
        for (int j = 0; j < k; j++) mx = j != skip && z[j] / T > mx ? z[j] / T : mx;
        for (int j = 0; j < k; j++) sum += j != skip ? exp(z[j] / T - mx) : 0.0;
        l += -(z[y[i]] / T - mx - log(sum));
    }
    return l / (double)(n ? n : 1);
}

/* Temperature scaling: the T in [0.05, 20] that minimizes the validation log loss (golden-
 * section search on log T; the loss is unimodal in T). */
static double fit_temperature(const double *logp, const int *y, const unsigned char *pol, int u, size_t n,
                              int k) {
    double a = log(0.05), b = log(20.0), g = (sqrt(5.0) - 1) / 2;
    double c = b - g * (b - a), d = a + g * (b - a);
    double fc = nll_at(logp, y, pol, u, n, k, exp(c)), fd = nll_at(logp, y, pol, u, n, k, exp(d));
    for (int it = 0; it < 60; it++) {
        if (fc < fd) b = d, d = c, fd = fc, c = b - g * (b - a), fc = nll_at(logp, y, pol, u, n, k, exp(c));
        else a = c, c = d, fc = fd, d = a + g * (b - a), fd = nll_at(logp, y, pol, u, n, k, exp(d));
    }
    return exp((a + b) / 2);
}

static int cmp_size(const void *a, const void *b) {
    size_t x = *(const size_t *)a, y = *(const size_t *)b;
    return x < y ? -1 : x > y;
}

/* ---- training -------------------------------------------------------------------------------- */

/* One training run's state: the split, the feature sets, the labels and the weight tables.
 * Every array is freed by run_free, whatever step failed. */
typedef struct train_run {
    const senti__train_set *train, *valid, *vs; /* vs: where validation rows come from */
    const senti__train_opts *o;
    senti__train_report *rep;
    trainer T;
    size_t total;            /* weights, lexicon bins included */
    size_t ntr, nva;
    size_t *tr_idx, *va_idx; /* rows of train (va_idx: of train, when no valid set is given) */
    int *tr_lab, *va_lab;
    unsigned char *tr_pol, *va_pol; /* PARTIAL LABELS per row, or NULL */
    float *tr_w;
    featset ftr, fva;
    uint8_t *lexmap;
    uint8_t *vocab;          /* VOCABULARY bitmap, or NULL */
    senti__linear_params fp; /* o->fp, with the vocabulary */
    size_t *order;
    float *best_w, *sum_w;
    float best_bias[SENTI_MAX_CLASSES];
} train_run;

static int check_options(const senti__train_set *train, const senti__train_opts *o, char *err,
                         size_t err_size) {
    if (o->n_classes < 2 || o->n_classes > SENTI_MAX_CLASSES || o->fp.bits < 10 || o->fp.bits > 26 ||
        o->fp.ngram < 1 || o->fp.ngram > 3 || o->epochs < 1 || !(o->lr > 0) || !(o->l2 >= 0) ||
        !(o->nb >= 0 && o->nb <= 1e6) || o->fp.long_tokens > SENTI__LONG_TOKENS_MAX || o->ensemble < 0 ||
        o->ensemble > 64 || o->vocab_min > 255)
        return senti__err(err, err_size, SENTI_EINVAL, "invalid training options");
    if (train->n == 0) return senti__err(err, err_size, SENTI_EDATA, "no training data");
    for (size_t i = 0; i < train->n; i++)
        if (train->labels[i] < 0 || train->labels[i] >= o->n_classes)
            return senti__err(err, err_size, SENTI_EDATA, "label %d of text %zu out of range",
                              train->labels[i], i);
    return SENTI_OK;
}

/* The training rows, and the validation rows: the given set, or a seeded random fraction of
 * the training data held out. */
static int run_split(train_run *R) {
    const senti__train_set *train = R->train;
    R->ntr = train->n;
    R->tr_idx = senti__malloc(train->n * sizeof *R->tr_idx);
    if (!R->tr_idx) return SENTI_ENOMEM;
    for (size_t i = 0; i < train->n; i++) R->tr_idx[i] = i;
    if (!R->valid && R->o->valid_fraction > 0) {
        uint64_t rng = R->o->seed ^ 0x76616c6964ULL;
        shuffle(R->tr_idx, train->n, &rng);
        R->nva = (size_t)((double)train->n * R->o->valid_fraction);
        if (R->nva >= train->n) R->nva = train->n - 1;
        R->ntr = train->n - R->nva;
        R->va_idx = senti__malloc((R->nva ? R->nva : 1) * sizeof *R->va_idx);
        if (!R->va_idx) return SENTI_ENOMEM;
        memcpy(R->va_idx, R->tr_idx + R->ntr, R->nva * sizeof *R->va_idx);
        /* keep the training part in data order: the epoch shuffle alone decides the order */
        qsort(R->tr_idx, R->ntr, sizeof *R->tr_idx, cmp_size);
    } else if (R->valid) {
        R->nva = R->valid->n;
    }
    R->rep->n_train = R->ntr;
    R->rep->n_valid = R->nva;
    return SENTI_OK;
}

/* Features, labels and weights of the training and validation rows. */
static int run_features(train_run *R, char *err, size_t err_size) {
    const senti__train_opts *o = R->o;
    int rc;
    if ((rc = lexmap_build(o, &R->lexmap, &R->rep->n_lex_used))) return rc;
    R->fp = o->fp;
    R->fp.vocab_bits = 0, R->fp.vocab = NULL;
    if (o->vocab_min) {
        if ((rc = vocab_build(o, R->train, R->tr_idx, R->ntr, &R->vocab))) return rc;
        R->fp.vocab_bits = SENTI__VOCAB_BITS, R->fp.vocab = R->vocab;
        R->T.vocab = R->vocab;
    }
    if ((rc = featset_build(&R->ftr, &R->fp, R->train, R->tr_idx, R->ntr, o->threads, o->max_tokens, R->lexmap)))
        return rc;
    R->tr_lab = senti__malloc((R->ntr ? R->ntr : 1) * sizeof *R->tr_lab);
    if (!R->tr_lab) return SENTI_ENOMEM;
    for (size_t i = 0; i < R->ntr; i++) R->tr_lab[i] = R->train->labels[R->tr_idx[i]];
    if (R->train->polar && o->partial > 0 && neutral_class(o) >= 0) {
        R->tr_pol = senti__malloc(R->ntr ? R->ntr : 1);
        if (!R->tr_pol) return SENTI_ENOMEM;
        for (size_t i = 0; i < R->ntr; i++) R->tr_pol[i] = R->train->polar[R->tr_idx[i]];
    }
    if (R->train->weights) {
        R->tr_w = senti__malloc((R->ntr ? R->ntr : 1) * sizeof *R->tr_w);
        if (!R->tr_w) return SENTI_ENOMEM;
        for (size_t i = 0; i < R->ntr; i++) R->tr_w[i] = R->train->weights[R->tr_idx[i]];
    }
    if (!R->nva) return SENTI_OK;
    const size_t *rows = R->valid ? NULL : R->va_idx;
    if ((rc = featset_build(&R->fva, &R->fp, R->vs, rows, R->nva, o->threads, o->max_tokens, R->lexmap)))
        return rc;
    R->va_lab = senti__malloc(R->nva * sizeof *R->va_lab);
    if (!R->va_lab) return SENTI_ENOMEM;
    if (R->vs->polar && o->partial > 0 && neutral_class(o) >= 0) {
        R->va_pol = senti__malloc(R->nva);
        if (!R->va_pol) return SENTI_ENOMEM;
        for (size_t i = 0; i < R->nva; i++) R->va_pol[i] = R->vs->polar[rows ? rows[i] : i];
    }
    for (size_t i = 0; i < R->nva; i++) {
        R->va_lab[i] = R->vs->labels[rows ? rows[i] : i];
        if (R->va_lab[i] < 0 || R->va_lab[i] >= o->n_classes)
            return senti__err(err, err_size, SENTI_EDATA, "validation label out of range");
    }
    return SENTI_OK;
}

/* Ensemble member mem (0-based) trained from zero, the shuffle seeded by seed + mem, stopped
 * early on its own; its best weights end in best_w/best_bias, its training loss in *tl_out. */
static int run_member(train_run *R, int mem, senti__epoch_cb cb, void *cb_ud, double *tl_out) {
    trainer *T = &R->T;
    const senti__train_opts *o = R->o;
    senti__train_report *rep = R->rep;
    if (mem) {
        memset(T->w, 0, R->total * sizeof *T->w);
        memset(T->g, 0, R->total * sizeof *T->g);
        memset(T->bias, 0, sizeof T->bias);
        memset(T->gbias, 0, sizeof T->gbias);
    }
    for (size_t i = 0; i < R->ntr; i++) R->order[i] = i;
    uint64_t rng = o->seed + (uint64_t)mem;
    double best_loss = INFINITY;
    int since_best = 0;
    for (int ep = 1; ep <= o->epochs; ep++) {
        shuffle(R->order, R->ntr, &rng);
        double tl = 0;
        for (size_t a = 0; a < R->ntr; a++) {
            size_t i = R->order[a];
            tl += tr_step(T, &R->ftr, i, R->tr_lab[i], R->tr_w ? R->tr_w[i] : 1.0f, R->tr_pol && R->tr_pol[i]);
        }
        tl /= (double)(R->ntr ? R->ntr : 1);
        double vl = tl, va = 0;
        int rc;
        if (R->nva && (rc = evaluate(T, &R->fva, R->va_lab, R->va_pol, o->threads, &vl, &va))) return rc;
        if (cb) cb(cb_ud, mem + 1, ep, tl, vl, va);
        if (!mem) rep->epochs_run = ep;
        if (vl < best_loss) {
            best_loss = vl, *tl_out = tl;
            memcpy(R->best_w, T->w, R->total * sizeof *R->best_w);
            memcpy(R->best_bias, T->bias, sizeof R->best_bias);
            if (!mem) rep->best_epoch = ep;
            rep->valid_loss = vl;
            rep->valid_accuracy = va;
            since_best = 0;
        } else if (++since_best >= o->patience && R->nva) {
            break;
        }
    }
    return SENTI_OK;
}

/* ENSEMBLE: the members' best weights and biases averaged, which scores the mean of their
 * logits, so the model costs no more than one; then the NB scales and the lexicon bins are
 * folded into the weights the model file holds. */
static int run_optimize(train_run *R, senti__epoch_cb cb, void *cb_ud) {
    trainer *T = &R->T;
    const senti__train_opts *o = R->o;
    int members = o->ensemble > 1 ? o->ensemble : 1, rc;
    R->total = (T->buckets + (R->lexmap ? LEX_BINS : 0)) * (size_t)T->k;
    /* the NB scales first: their counts are freed before the weight tables exist, so the
     * peak is the larger of the two phases, not their sum */
    if (o->nb > 0 && (rc = nb_scales(T, &R->ftr, R->tr_lab, R->tr_w, R->total))) return rc;
    T->w = senti__calloc(R->total, sizeof *T->w);
    T->g = senti__calloc(R->total, sizeof *T->g);
    R->best_w = senti__malloc(R->total * sizeof *R->best_w);
    R->sum_w = members > 1 ? senti__calloc(R->total, sizeof *R->sum_w) : NULL;
    R->order = senti__malloc((R->ntr ? R->ntr : 1) * sizeof *R->order);
    if (!T->w || !T->g || !R->best_w || !R->order || (members > 1 && !R->sum_w)) return SENTI_ENOMEM;
    double sum_bias[SENTI_MAX_CLASSES] = {0}, sum_tl = 0;
    for (int mem = 0; mem < members; mem++) {
        double tl = 0;
        if ((rc = run_member(R, mem, cb, cb_ud, &tl))) return rc;
        sum_tl += tl;
        if (members > 1) {
            for (size_t i = 0; i < R->total; i++) R->sum_w[i] += R->best_w[i];
            for (int j = 0; j < T->k; j++) sum_bias[j] += R->best_bias[j];
        }
    }
    R->rep->train_loss = sum_tl / members;
    if (members > 1) { /* the mean of the members */
        for (size_t i = 0; i < R->total; i++) R->best_w[i] = R->sum_w[i] / (float)members;
        for (int j = 0; j < T->k; j++) R->best_bias[j] = (float)(sum_bias[j] / members);
    }
    memcpy(T->w, R->best_w, R->total * sizeof *T->w);
    memcpy(T->bias, R->best_bias, sizeof R->best_bias);
    /* measured like one model (a single one was measured at its best epoch) */
    if (members > 1 && R->nva &&
        (rc = evaluate(T, &R->fva, R->va_lab, R->va_pol, o->threads, &R->rep->valid_loss, &R->rep->valid_accuracy)))
        return rc;
    if (T->r) /* the model scores with w * r */
        for (size_t i = 0; i < T->buckets * (size_t)T->k; i++) T->w[i] *= T->r[i];
    if (R->lexmap) /* fold the bin weights into the tied buckets */
        for (size_t b = 0; b < T->buckets; b++)
            if (R->lexmap[b])
                for (int j = 0; j < T->k; j++)
                    T->w[b * (size_t)T->k + (size_t)j] += T->w[(T->buckets + R->lexmap[b] - 1u) * (size_t)T->k + (size_t)j];
    return SENTI_OK;
}

/* Measure the model as written (quantized), calibrate its temperature on the validation
 * rows, and write it again with what was measured. */
static int run_calibrate(train_run *R, const char *out_path, const char *const *meta_kv, size_t n_meta,
                         char *err, size_t err_size) {
    const senti__train_opts *o = R->o;
    senti__train_report *rep = R->rep;
    double acc, loss;
    double *logp = senti__malloc(R->nva * (size_t)o->n_classes * sizeof *logp);
    if (!logp) return senti__err(err, err_size, SENTI_ENOMEM, "out of memory");
    int rc = evaluate_file(out_path, R->vs, R->valid ? NULL : R->va_idx, R->nva, R->va_pol, o, &acc, &loss, logp,
                           err, err_size);
    if (!rc) {
        rep->valid_accuracy_quantized = acc;
        rep->valid_loss_uncalibrated = loss;
        if (o->calibrate) {
            R->T.temperature = fit_temperature(logp, R->va_lab, R->va_pol, neutral_class(o), R->nva, o->n_classes);
            /* the stored value is rounded: measure with exactly that */
            char tb[32];
            snprintf(tb, sizeof tb, "%.4f", R->T.temperature);
            R->T.temperature = strtod(tb, NULL);
            loss = nll_at(logp, R->va_lab, R->va_pol, neutral_class(o), R->nva, o->n_classes, R->T.temperature);
            rep->temperature = R->T.temperature;
        }
        rep->valid_loss = loss;
        rc = write_model(&R->T, o, out_path, rep, acc, loss, meta_kv, n_meta, err, err_size);
    }
    senti__free(logp);
    return rc;
}

static void run_free(train_run *R) {
    featset_free(&R->ftr);
    featset_free(&R->fva);
    senti__free(R->T.w);
    senti__free(R->T.g);
    senti__free(R->T.r);
    senti__free(R->best_w);
    senti__free(R->sum_w);
    senti__free(R->order);
    senti__free(R->tr_idx);
    senti__free(R->va_idx);
    senti__free(R->tr_lab);
    senti__free(R->tr_pol);
    senti__free(R->va_pol);
    senti__free(R->tr_w);
    senti__free(R->va_lab);
    senti__free(R->lexmap);
    senti__free(R->vocab);
}

int senti__linear_train(const senti__train_set *train, const senti__train_set *valid,
                        const senti__train_opts *o, const char *out_path,
                        const char *const *meta_kv, size_t n_meta, senti__train_report *rep,
                        senti__epoch_cb cb, void *cb_ud, char *err, size_t err_size) {
    memset(rep, 0, sizeof *rep);
    int rc = check_options(train, o, err, err_size);
    if (rc) return rc;
    train_run R;
    memset(&R, 0, sizeof R);
    R.train = train, R.valid = valid, R.vs = valid ? valid : train, R.o = o, R.rep = rep;
    R.T.o = o;
    R.T.k = o->n_classes == 2 ? 1 : o->n_classes;
    R.T.buckets = (size_t)1 << o->fp.bits;
    rc = run_split(&R);
    if (!rc) rc = run_features(&R, err, err_size);
    if (!rc) rc = run_optimize(&R, cb, cb_ud);
    if (!rc) rc = write_model(&R.T, o, out_path, rep, rep->valid_accuracy, rep->valid_loss, meta_kv, n_meta,
                              err, err_size);
    if (!rc) {
        rep->valid_accuracy_quantized = rep->valid_accuracy;
        rep->temperature = 1;
        if (R.nva && (o->quantize || o->calibrate)) rc = run_calibrate(&R, out_path, meta_kv, n_meta, err, err_size);
    }
    run_free(&R);
    if (rc == SENTI_ENOMEM) return senti__err(err, err_size, SENTI_ENOMEM, "out of memory");
    return rc;
}
