/*
 * transformer.c - the `transformer` model kind: BERT-family sequence classifiers (tf.h) from a
 * senti transformer file (`senti model import` writes one) or straight from a Hugging Face
 * checkpoint folder (`hf:DIR`, `transformer:DIR`).
 *
 * A text goes: (already cut to max_text_bytes by the core) -> the checkpoint's tokenizer
 * (tokenizer.h), framed and cut to max_tokens ids -> ids mapped to rows of the word embeddings
 * (id_map, for the tiny model's reduced vocabulary) -> the forward pass (forward.c), which
 * computes a chunk of texts as one packed batch -> softmax -> the result: probabilities, label,
 * score (P(positive) when a label is positive, else the top probability), n_tokens (ids, special
 * tokens included), truncated (the ids were cut), and one value per label, its logit
 * ("logit_negative", ...). There are no explanations (SENTI_ENOTSUP).
 *
 * senti_predict_batch hands this kind chunks of up to 16 texts (predict_many), so a batch is
 * computed as packed forward passes on every thread. The per-thread context holds the forward
 * pass's scratch and the id buffers of one chunk.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "core/core.h"
#include "models/transformer/load.h"

#define CHUNK 16

typedef struct tfmodel {
    senti__tf tf;
    senti__tf_config c;
    char value_names[SENTI_MAX_CLASSES][72];
} tfmodel;

typedef struct tfctx {
    senti__tf_scratch *s;
    int32_t *ids;          /* CHUNK x (max_tokens + 1) */
    const int32_t *rows[CHUNK];
    size_t lens[CHUNK];
    float logits[CHUNK * SENTI_MAX_CLASSES];
} tfctx;

static void tf_ctx_free(const senti_model *m, void *state) {
    (void)m;
    tfctx *c = state;
    if (!c) return;
    senti__tf_scratch_free(c->s);
    senti__free(c->ids);
    senti__free(c);
}

static int tf_ctx_init(const senti_model *m, void **state) {
    const tfmodel *t = m->impl;
    tfctx *c = senti__calloc(1, sizeof *c);
    if (!c) return SENTI_ENOMEM;
    c->ids = senti__calloc(CHUNK * (t->tf.max_tokens + 1), sizeof *c->ids);
    int rc = c->ids ? senti__tf_scratch_new(&t->tf, &c->s) : SENTI_ENOMEM;
    if (rc) {
        tf_ctx_free(m, c);
        return rc;
    }
    *state = c;
    return SENTI_OK;
}

/* Ids of one text into ids (max_tokens + 1 entries), mapped to rows; *truncated if the text
 * had more tokens than max_tokens allows (it is encoded with room for one more id; when that
 * room is used, again with max_tokens, which cuts as the tokenizer cuts: the closing special
 * tokens stay). */
static int encode(const senti__tf *tf, const char *text, size_t len, int32_t *ids, size_t *n,
                  int *truncated) {
    int rc = senti__hftok_encode(tf->tok, text, len, tf->max_tokens + 1, ids, NULL, n);
    if (rc) return rc;
    *truncated = *n > tf->max_tokens;
    if (*truncated && (rc = senti__hftok_encode(tf->tok, text, len, tf->max_tokens, ids, NULL, n))) return rc;
    for (size_t i = 0; i < *n; i++) {
        int32_t id = ids[i], r = id;
        if (tf->id_map) r = id >= 0 && (size_t)id < tf->id_map_len ? tf->id_map[id] : -1;
        ids[i] = r >= 0 && (size_t)r < tf->word.rows ? r : tf->unk_row;
    }
    return SENTI_OK;
}

static void finish(const senti_model *m, const float *z, senti_result *r) {
    int k = m->n_classes;
    double mx = z[0], sum = 0;
    for (int j = 1; j < k; j++) mx = z[j] > mx ? z[j] : mx;
    for (int j = 0; j < k; j++) sum += (r->probs[j] = exp((double)z[j] - mx));
    int best = 0;
    for (int j = 0; j < k; j++) {
        r->probs[j] /= sum;
        r->values[j] = z[j];
        if (r->probs[j] > r->probs[best]) best = j;
    }
    r->n_classes = k;
    r->n_values = k;
    r->label = best;
    r->score = m->pos_index >= 0 ? r->probs[m->pos_index] : r->probs[best];
}

/* At most CHUNK texts through one forward pass. */
static int run_chunk(const senti_model *m, tfctx *c, const senti_text *texts, size_t n, senti_result *out) {
    const tfmodel *t = m->impl;
    size_t stride = t->tf.max_tokens + 1;
    for (size_t i = 0; i < n; i++) {
        int trunc = 0;
        int32_t *ids = c->ids + i * stride;
        int rc = encode(&t->tf, texts[i].ptr, texts[i].len, ids, &c->lens[i], &trunc);
        if (rc) {
            for (size_t j = 0; j < n; j++) out[j].status = rc;
            return rc;
        }
        c->rows[i] = ids;
        out[i].n_tokens = (uint32_t)c->lens[i];
        out[i].truncated = (uint32_t)trunc;
    }
    int rc = senti__tf_forward(&t->tf, c->s, c->rows, c->lens, n, c->logits), first = rc;
    for (size_t i = 0; i < n; i++) {
        const float *z = c->logits + i * t->tf.n_labels;
        out[i].status = rc;
        for (size_t j = 0; !rc && j < t->tf.n_labels; j++)
            if (!isfinite(z[j])) out[i].status = SENTI_ERANGE; /* weights that overflow: no answer */
        if (!out[i].status) finish(m, z, &out[i]);
        else if (!first) first = out[i].status;
    }
    return first;
}

static int tf_predict_many(const senti_model *m, senti_ctx *ctx, const senti_text *texts, size_t n,
                           senti_result *out) {
    tfctx *c = ctx ? ctx->state : NULL;
    int rc = c ? SENTI_OK : tf_ctx_init(m, (void **)&c), first = SENTI_OK;
    for (size_t i = 0; i < n; i++) memset(&out[i], 0, sizeof out[i]), out[i].status = rc;
    for (size_t b = 0; !rc && b < n; b += CHUNK) {
        int r = run_chunk(m, c, texts + b, n - b < CHUNK ? n - b : CHUNK, out + b);
        if (r && !first) first = r;
    }
    if (!ctx || !ctx->state) tf_ctx_free(m, c);
    return rc ? rc : first;
}

static int tf_predict(const senti_model *m, senti_ctx *ctx, const char *text, size_t len,
                      senti_result *out) {
    senti_text t = {text, len};
    return tf_predict_many(m, ctx, &t, 1, out);
}

static void tf_destroy(senti_model *m) {
    tfmodel *t = m->impl;
    if (!t) return;
    senti__tf_free(&t->tf);
    senti__free(t);
}

static void tf_ctx_threads(const senti_model *m, void *state, int n) {
    (void)m;
    senti__tf_scratch_threads(((tfctx *)state)->s, (size_t)n);
}

static const senti__model_ops tf_ops = {
    .kind = "transformer",
    .predict = tf_predict,
    .predict_many = tf_predict_many,
    .batch_chunk = CHUNK,
    .ctx_init = tf_ctx_init,
    .ctx_free = tf_ctx_free,
    .ctx_threads = tf_ctx_threads,
    .destroy = tf_destroy,
};

/* ---- opening ---------------------------------------------------------------------------------- */

/* The handle around a loaded t: labels, values, token limit. On failure t stays the caller's. */
static int model_new(tfmodel *t, const senti_options *opts, senti_model **out, char *err, size_t err_size) {
    senti_model *m = senti__model_new(&tf_ops, opts);
    if (!m) return senti__err(err, err_size, SENTI_ENOMEM, "out of memory");
    const char *labels[SENTI_MAX_CLASSES];
    for (size_t i = 0; i < t->c.n_labels; i++) {
        labels[i] = t->c.labels[i];
        snprintf(t->value_names[i], sizeof t->value_names[i], "logit_%s", t->c.labels[i]);
        m->value_names[i] = t->value_names[i];
        m->value_decimals[i] = 6;
    }
    m->n_values = (int)t->c.n_labels;
    int rc = senti__model_set_labels(m, (int)t->c.n_labels, labels, err, err_size);
    if (!rc) rc = senti__tf_limit_tokens(&t->tf, opts && opts->max_tokens ? opts->max_tokens : 0, err, err_size);
    if (rc) {
        senti_model_free(m);
        return rc;
    }
    m->max_tokens = (uint32_t)t->tf.max_tokens;
    m->impl = t;
    *out = m;
    return SENTI_OK;
}

static int tf_open_file(const senti__st *st, const senti_options *opts, senti_model **out, char *err,
                        size_t err_size) {
    tfmodel *t = senti__calloc(1, sizeof *t);
    if (!t) return senti__err(err, err_size, SENTI_ENOMEM, "out of memory");
    int rc = senti__tf_config_from_meta(st, &t->c, err, err_size);
    if (!rc) rc = senti__tf_open_st(st, &t->c, "transformer", &t->tf, err, err_size);
    if (!rc && (rc = model_new(t, opts, out, err, err_size))) senti__tf_free(&t->tf);
    if (rc) senti__free(t);
    return rc;
}

/* What `senti model info` shows of a checkpoint opened as hf:DIR (a file carries its own). */
static int hf_meta(senti_model *m, const senti__tf_config *c, const senti__tf *tf) {
    char v[12][96];
    const char *k[12] = {"kind", "arch", "source_architecture", "hidden_act", "layers", "hidden", "heads",
                         "intermediate", "vocab_size", "max_position", "max_tokens", "dtype"};
    snprintf(v[0], 96, "transformer");
    snprintf(v[1], 96, "%s", senti__tf_arch_name(c->arch));
    snprintf(v[2], 96, "%s", c->source_arch);
    snprintf(v[3], 96, "%s", senti__tf_act_name(c->act));
    size_t n[7] = {c->layers, c->hidden, c->heads, c->ff, c->vocab, c->max_pos, tf->max_tokens};
    for (int i = 0; i < 7; i++) snprintf(v[4 + i], 96, "%zu", n[i]);
    snprintf(v[11], 96, "%s", tf->word.dtype == SENTI__DT_F16 ? "f16" : "f32");
    for (int i = 0; i < 12; i++)
        if (senti__model_add_meta(m, k[i], v[i])) return SENTI_ENOMEM;
    return SENTI_OK;
}

static int open_dir(const char *dir, const senti_options *opts, senti_model **out, char *err, size_t err_size) {
    tfmodel *t = senti__calloc(1, sizeof *t);
    if (!t) return senti__err(err, err_size, SENTI_ENOMEM, "out of memory");
    char digest[33];
    uint64_t bytes = 0;
    int rc = senti__tf_open_hf(dir, opts ? opts->flags : 0, &t->c, &t->tf, digest, &bytes, err, err_size);
    if (rc) {
        senti__free(t);
        return rc;
    }
    if ((rc = model_new(t, opts, out, err, err_size))) {
        senti__tf_free(&t->tf);
        senti__free(t);
        return rc;
    }
    if (hf_meta(*out, &t->c, &t->tf) || senti__model_set_source(*out, dir, bytes, digest)) {
        senti_model_free(*out);
        *out = NULL;
        return senti__err(err, err_size, SENTI_ENOMEM, "out of memory");
    }
    return SENTI_OK;
}

/* transformer:PATH and hf:PATH: a folder is a checkpoint; a file a senti transformer file. */
static int tf_open_path(const char *path, const senti_options *opts, senti_model **out, char *err,
                        size_t err_size) {
    *out = NULL;
    struct stat s;
    if (!*path) return senti__err(err, err_size, SENTI_EINVAL, "transformer: no folder or file given");
    if (stat(path, &s) == 0 && S_ISDIR(s.st_mode)) return open_dir(path, opts, out, err, err_size);
    int rc = senti_model_open_file(path, opts, out, err, err_size);
    if (!rc && strcmp(senti_model_kind(*out), "transformer")) {
        senti_model_free(*out);
        *out = NULL;
        return senti__err(err, err_size, SENTI_EKIND, "%s: not a transformer model file or checkpoint folder", path);
    }
    return rc;
}

const senti__kind senti__transformer_kind = {
    .name = "transformer",
    .alias = "hf",
    .help = "transformer:PATH  BERT/DistilBERT/RoBERTa: a file of senti model import, or a HF folder (hf:DIR)",
    .open_file = tf_open_file,
    .open_path = tf_open_path,
};
