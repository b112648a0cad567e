/*
 * load.c - the transformer kind's weights: binding the tensors of a senti transformer file or
 * of a Hugging Face checkpoint to a senti__tf (tf.h), checked against the configuration
 * (config.c) tensor by tensor.
 *
 * One walk serves both sources: the parts of the model (embeddings, each layer's projections
 * and LayerNorms, pooler, classifier) are looked up by name in a table for the source - the
 * senti file's own names, or the Hugging Face module names of BERT, DistilBERT or RoBERTa
 * (BERT's LayerNorms also under their old gamma/beta names) - and every tensor must have the
 * dtype and the shape the configuration implies, or the model is refused with a message naming
 * the tensor and the file.
 *
 * F32 tensors are used in place from the mapping, after one scan for NaN and infinity. F16 and
 * BF16 linear weights (and a checkpoint's BF16 embeddings) are converted to f32 the model owns;
 * F16 embeddings are read in place (the forward pass converts a row at a lookup). int8 linear
 * weights are stored already in the kernels' packed panels (NAME.qpanels, .qscale, .qsum) and
 * used in place too (senti__qweights_view): no copy, no packing. What the kernels trust of them
 * - zero padding, the stored per-column sums (the VNNI kernel subtracts them, the others do not
 * read them, so a lying sum would make the answer depend on the CPU), finite scales - is
 * checked once at open (senti__qweights_check: one read of the int8 bytes, a few ms for a
 * DistilBERT-base), and the file is refused if any fails. I8 embeddings are read in place with
 * their scales.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/core.h"
#include "models/transformer/load.h"

/* ---- what the model owns ------------------------------------------------------------------------ */

typedef struct tf_owned {
    void **mem;
    size_t n_mem, cap_mem;
    void *map;            /* a checkpoint's model.safetensors, mapped, or read when read_whole */
    size_t map_size;
    int read_whole;       /* SENTI_OPEN_READ: map is senti__free's, not a mapping */
} tf_owned;

static int own_add(void ***arr, size_t *n, size_t *cap, void *p) {
    if (*n == *cap) {
        size_t c = *cap ? *cap * 2 : 64;
        void **a = senti__realloc(*arr, c * sizeof *a);
        if (!a) return SENTI_ENOMEM;
        *arr = a, *cap = c;
    }
    (*arr)[(*n)++] = p;
    return SENTI_OK;
}

/* n bytes the model owns, zeroed (NULL if out of memory). */
static void *own_alloc(senti__tf *m, size_t count, size_t size) {
    tf_owned *o = m->owned;
    void *p = senti__calloc(count ? count : 1, size);
    if (p && own_add(&o->mem, &o->n_mem, &o->cap_mem, p)) {
        senti__free(p);
        return NULL;
    }
    return p;
}

void senti__tf_free(senti__tf *m) {
    if (!m) return;
    tf_owned *o = m->owned;
    if (o) {
        for (size_t i = 0; i < o->n_mem; i++) senti__free(o->mem[i]);
        senti__free(o->mem);
        if (o->map && o->read_whole) senti__free(o->map);
        else if (o->map) senti__unmap(o->map, o->map_size);
        senti__free(o);
    }
    senti__hftok_free(m->tok);
    memset(m, 0, sizeof *m);
}

/* ---- names ----------------------------------------------------------------------------------- */

enum { P_WORD, P_POS, P_TYPE, P_ELN, P_Q, P_K, P_V, P_O, P_LN1, P_FF1, P_FF2, P_LN2, P_POOL, P_CLS, P_N };

/* The module of each part, "%zu" standing for the layer; NULL: the architecture has none. */
static const char *const names_senti[P_N] = {
    "emb.word", "emb.pos", "emb.type", "emb.ln", "layer.%zu.q", "layer.%zu.k", "layer.%zu.v",
    "layer.%zu.o", "layer.%zu.ln1", "layer.%zu.ff1", "layer.%zu.ff2", "layer.%zu.ln2", "pool", "cls"};
#define BERT_LAYER(p) p ".encoder.layer.%zu."
#define BERT_NAMES(p, pool, cls)                                                                   \
    {p ".embeddings.word_embeddings", p ".embeddings.position_embeddings",                         \
     p ".embeddings.token_type_embeddings", p ".embeddings.LayerNorm",                             \
     BERT_LAYER(p) "attention.self.query", BERT_LAYER(p) "attention.self.key",                     \
     BERT_LAYER(p) "attention.self.value", BERT_LAYER(p) "attention.output.dense",                 \
     BERT_LAYER(p) "attention.output.LayerNorm", BERT_LAYER(p) "intermediate.dense",               \
     BERT_LAYER(p) "output.dense", BERT_LAYER(p) "output.LayerNorm", pool, cls}
static const char *const names_bert[P_N] = BERT_NAMES("bert", "bert.pooler.dense", "classifier");
static const char *const names_roberta[P_N] =
    BERT_NAMES("roberta", "classifier.dense", "classifier.out_proj");
#define DB_LAYER "distilbert.transformer.layer.%zu."
static const char *const names_distilbert[P_N] = {
    "distilbert.embeddings.word_embeddings", "distilbert.embeddings.position_embeddings", NULL,
    "distilbert.embeddings.LayerNorm", DB_LAYER "attention.q_lin", DB_LAYER "attention.k_lin",
    DB_LAYER "attention.v_lin", DB_LAYER "attention.out_lin", DB_LAYER "sa_layer_norm",
    DB_LAYER "ffn.lin1", DB_LAYER "ffn.lin2", DB_LAYER "output_layer_norm", "pre_classifier",
    "classifier"};

typedef struct binder {
    const senti__st *st;
    const char *file;
    const char *const *names;
    int hf;   /* a checkpoint: F16/BF16 accepted anywhere, gamma/beta names */
    senti__tf *m;
    char *err;
    size_t err_size;
} binder;

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
static void part_name(const binder *b, int part, size_t layer, const char *suffix, char *buf, size_t n) {
    int k = snprintf(buf, n, b->names[part], layer);
    if (k >= 0 && (size_t)k < n) snprintf(buf + k, n - (size_t)k, ".%s", suffix);
}
#pragma GCC diagnostic pop

/* The tensor of part.suffix (NULL with a message if absent). BERT checkpoints from before
 * 2019 name LayerNorm parameters gamma and beta. */
static const senti__tensor *find(binder *b, int part, size_t layer, const char *suffix, char name[256]) {
    part_name(b, part, layer, suffix, name, 256);
    const senti__tensor *t = senti__st_find(b->st, name);
    if (!t && b->hf && (part == P_ELN || part == P_LN1 || part == P_LN2)) {
        char old[256];
        part_name(b, part, layer, !strcmp(suffix, "weight") ? "gamma" : "beta", old, sizeof old);
        t = senti__st_find(b->st, old);
        if (t) memcpy(name, old, 256);
    }
    if (!t) senti__err(b->err, b->err_size, SENTI_EFORMAT, "%s: tensor '%s' is missing", b->file, name);
    return t;
}

static int shape_is(const senti__tensor *t, int ndim, size_t d0, size_t d1) {
    return t->ndim == ndim && t->shape[0] == d0 && (ndim == 1 || t->shape[1] == d1);
}

static int bad_shape_is(binder *b, const senti__tensor *t, const char *name, const char *want) {
    char got[96] = "";
    for (int i = 0, k = 0; i < t->ndim && k < 80; i++)
        k += snprintf(got + k, sizeof got - (size_t)k, "%s%llu", i ? ", " : "", (unsigned long long)t->shape[i]);
    return senti__err(b->err, b->err_size, SENTI_EFORMAT,
                      "%s: tensor '%s' has shape [%s] where the configuration says %s", b->file, name, got, want);
}

static int bad_shape(binder *b, const senti__tensor *t, const char *name, int ndim, size_t d0, size_t d1) {
    char want[64];
    if (ndim == 1) snprintf(want, sizeof want, "[%zu]", d0);
    else snprintf(want, sizeof want, "[%zu, %zu]", d0, d1);
    return bad_shape_is(b, t, name, want);
}

static int bad_dtype(binder *b, const senti__tensor *t, const char *name, const char *want) {
    return senti__err(b->err, b->err_size, SENTI_EFORMAT, "%s: tensor '%s' has dtype %s (%s expected)",
                      b->file, name, senti__dtype_name(t->dtype), want);
}

static int not_finite(binder *b, const char *name) {
    return senti__err(b->err, b->err_size, SENTI_EFORMAT, "%s: tensor '%s' holds NaN or infinity", b->file, name);
}

/* f32 values of t: in place (F32, scanned), or converted (F16, BF16) into memory m owns. */
static int as_f32(binder *b, const senti__tensor *t, const char *name, const float **out) {
    size_t n = (size_t)t->count;
    if (t->dtype == SENTI__DT_F32) {
        if (!senti__all_finite(t->data, n)) return not_finite(b, name);
        *out = t->data;
        return SENTI_OK;
    }
    float *p = own_alloc(b->m, n, sizeof *p);
    if (!p) return senti__err(b->err, b->err_size, SENTI_ENOMEM, "out of memory");
    const uint16_t *h = t->data;
    for (size_t i = 0; i < n; i++) {
        p[i] = t->dtype == SENTI__DT_F16 ? senti__f16_to_f32(h[i]) : senti__bf16_to_f32(h[i]);
        if (!isfinite(p[i])) return not_finite(b, name);
    }
    *out = p;
    return SENTI_OK;
}

/* A 1-D vector of n floats (biases, LayerNorm parameters): F32 (checkpoints: F16, BF16 too). */
static int vec(binder *b, int part, size_t layer, const char *suffix, size_t n, const float **out) {
    char name[256];
    const senti__tensor *t = find(b, part, layer, suffix, name);
    if (!t) return SENTI_EFORMAT;
    if (t->dtype != SENTI__DT_F32 && !(b->hf && (t->dtype == SENTI__DT_F16 || t->dtype == SENTI__DT_BF16)))
        return bad_dtype(b, t, name, b->hf ? "F32, F16 or BF16" : "F32");
    if (!shape_is(t, 1, n, 0)) return bad_shape(b, t, name, 1, n, 0);
    return as_f32(b, t, name, out);
}

/* The F32 per-row scales of an I8 tensor (finite, >= 0). */
static int scales(binder *b, int part, size_t layer, size_t rows, const float **out) {
    char name[256];
    const senti__tensor *t = find(b, part, layer, "scale", name);
    if (!t) return SENTI_EFORMAT;
    if (t->dtype != SENTI__DT_F32) return bad_dtype(b, t, name, "F32");
    if (!shape_is(t, 1, rows, 0)) return bad_shape(b, t, name, 1, rows, 0);
    const float *s = t->data;
    for (size_t i = 0; i < rows; i++)
        if (!(s[i] >= 0 && s[i] < 1e30f)) return not_finite(b, name);
    *out = s;
    return SENTI_OK;
}

/* A weight matrix [rows x cols] and its dtype check (allowed: F32, F16, BF16 (checkpoints), I8). */
static const senti__tensor *matrix(binder *b, int part, size_t layer, size_t rows, size_t cols, char name[256]) {
    const senti__tensor *t = find(b, part, layer, "weight", name);
    if (!t) return NULL;
    int ok = t->dtype == SENTI__DT_F32 || t->dtype == SENTI__DT_F16 ||
             (b->hf ? t->dtype == SENTI__DT_BF16 : t->dtype == SENTI__DT_I8);
    if (!ok) {
        bad_dtype(b, t, name, b->hf ? "F32, F16 or BF16" : "F32, F16 or I8");
        return NULL;
    }
    if (!shape_is(t, 2, rows, cols)) {
        bad_shape(b, t, name, 2, rows, cols);
        return NULL;
    }
    return t;
}

/* The three tensors of an int8 linear layer out x in, packed (load.h): NAME.qpanels I8
 * [panels, kgroups, 64], NAME.qscale F32 and NAME.qsum I32 [panels * 16]. */
static int qtensors(binder *b, int part, size_t layer, size_t out, size_t in, const senti__tensor *t[3]) {
    static const char *const suffix[3] = {"qpanels", "qscale", "qsum"};
    static const senti__dtype dt[3] = {SENTI__DT_I8, SENTI__DT_F32, SENTI__DT_I32};
    size_t panels = (out + SENTI_QW_COLS - 1) / SENTI_QW_COLS, kg = (in + 3) / 4;
    for (int i = 0; i < 3; i++) {
        char name[256], want[80];
        if (!(t[i] = find(b, part, layer, suffix[i], name))) return SENTI_EFORMAT;
        if (t[i]->dtype != dt[i]) return bad_dtype(b, t[i], name, senti__dtype_name(dt[i]));
        int ok = i ? shape_is(t[i], 1, panels * SENTI_QW_COLS, 0)
                   : t[i]->ndim == 3 && t[i]->shape[0] == panels && t[i]->shape[1] == kg && t[i]->shape[2] == 64;
        if (i) snprintf(want, sizeof want, "[%zu]", panels * SENTI_QW_COLS);
        else snprintf(want, sizeof want, "[%zu, %zu, 64]", panels, kg);
        if (!ok) return bad_shape_is(b, t[i], name, want);
    }
    return SENTI_OK;
}

/* An int8 linear layer: a view of its packed panels in the mapping, checked once. */
static int qlinear(binder *b, int part, size_t layer, size_t out, size_t in, senti__tf_linear *l) {
    static const char *const why[] = {"", "a scale that is negative, NaN, infinite or above 1e30",
                                      "padding that is not zero", "a sum that is not its weights' sum"};
    const senti__tensor *t[3];
    char name[256];
    size_t col;
    int rc = qtensors(b, part, layer, out, in, t);
    if (rc) return rc;
    part_name(b, part, layer, "{qpanels,qscale,qsum}", name, sizeof name);
    if (senti__qweights_view(&l->q, t[0]->data, t[0]->nbytes, t[1]->data, (size_t)t[1]->count, t[2]->data,
                             (size_t)t[2]->count, out, in))
        return senti__err(b->err, b->err_size, SENTI_EFORMAT, "%s: tensors '%s' are not %zu x %zu int8 panels",
                          b->file, name, out, in);
    if ((rc = senti__qweights_check(&l->q, &col)))
        return senti__err(b->err, b->err_size, SENTI_EFORMAT, "%s: tensors '%s' hold %s (column %zu)", b->file,
                          name, why[rc], col);
    return SENTI_OK;
}

/* A linear layer out x in, with its bias: F32 or F16 rows, or (a senti file) int8 panels. */
static int linear(binder *b, int part, size_t layer, size_t out, size_t in, senti__tf_linear *l) {
    char name[256];
    l->out = out, l->in = in;
    part_name(b, part, layer, "qpanels", name, sizeof name);
    if (!b->hf && senti__st_find(b->st, name)) {
        int rc = qlinear(b, part, layer, out, in, l);
        return rc ? rc : vec(b, part, layer, "bias", out, &l->b);
    }
    const senti__tensor *t = matrix(b, part, layer, out, in, name);
    if (!t) return SENTI_EFORMAT;
    if (t->dtype == SENTI__DT_I8)
        return senti__err(b->err, b->err_size, SENTI_EFORMAT,
                          "%s: tensor '%s' is I8 [out x in], the int8 layout of files before format_version 2, "
                          "which this library does not read: import the model again", b->file, name);
    int rc = vec(b, part, layer, "bias", out, &l->b);
    return rc ? rc : as_f32(b, t, name, &l->w);
}

/* An embedding table rows x dim. */
static int embed(binder *b, int part, size_t rows, size_t dim, senti__tf_embed *e) {
    char name[256];
    const senti__tensor *t = matrix(b, part, 0, rows, dim, name);
    if (!t) return SENTI_EFORMAT;
    e->rows = rows, e->dim = dim, e->dtype = t->dtype, e->data = t->data, e->scale = NULL;
    if (t->dtype == SENTI__DT_I8) return scales(b, part, 0, rows, &e->scale);
    if (t->dtype == SENTI__DT_F16) {
        const uint16_t *h = t->data;
        for (size_t i = 0; i < (size_t)t->count; i++)
            if ((h[i] & 0x7c00) == 0x7c00) return not_finite(b, name);
        return SENTI_OK;
    }
    e->dtype = SENTI__DT_F32;
    return as_f32(b, t, name, (const float **)&e->data);
}

/* ---- the walk --------------------------------------------------------------------------------- */

static int bind_layer(binder *b, const senti__tf_config *c, size_t i, senti__tf_layer *L) {
    size_t h = c->hidden;
    int rc;
    if ((rc = linear(b, P_Q, i, h, h, &L->q)) || (rc = linear(b, P_K, i, h, h, &L->k)) ||
        (rc = linear(b, P_V, i, h, h, &L->v)) || (rc = linear(b, P_O, i, h, h, &L->o)) ||
        (rc = linear(b, P_FF1, i, c->ff, h, &L->ff1)) || (rc = linear(b, P_FF2, i, h, c->ff, &L->ff2)) ||
        (rc = vec(b, P_LN1, i, "weight", h, &L->ln1_g)) || (rc = vec(b, P_LN1, i, "bias", h, &L->ln1_b)) ||
        (rc = vec(b, P_LN2, i, "weight", h, &L->ln2_g)) || (rc = vec(b, P_LN2, i, "bias", h, &L->ln2_b)))
        return rc;
    return SENTI_OK;
}

static int bind_all(binder *b, const senti__tf_config *c) {
    senti__tf *m = b->m;
    m->arch = c->arch, m->act = c->act, m->eps = (float)c->eps;
    m->pool_act = c->arch == SENTI__TF_DISTILBERT ? SENTI__TF_RELU : SENTI__TF_TANH;
    m->n_layers = c->layers, m->hidden = c->hidden, m->heads = c->heads, m->ff = c->ff;
    m->n_labels = c->n_labels;
    m->pos_offset = c->arch == SENTI__TF_ROBERTA ? c->pad_id + 1 : 0;
    int rc = embed(b, P_WORD, c->vocab, c->hidden, &m->word);
    if (!rc) rc = embed(b, P_POS, c->max_pos, c->hidden, &m->pos);
    int types = c->arch == SENTI__TF_BERT || c->arch == SENTI__TF_ROBERTA;
    if (!rc && types) rc = embed(b, P_TYPE, c->type_vocab, c->hidden, &m->type);
    if (!rc && c->arch != SENTI__TF_PRELN) rc = vec(b, P_ELN, 0, "weight", c->hidden, &m->emb_ln_g);
    if (!rc && c->arch != SENTI__TF_PRELN) rc = vec(b, P_ELN, 0, "bias", c->hidden, &m->emb_ln_b);
    if (!rc && !(m->layers = own_alloc(m, c->layers, sizeof *m->layers)))
        rc = senti__err(b->err, b->err_size, SENTI_ENOMEM, "out of memory");
    for (size_t i = 0; !rc && i < c->layers; i++) rc = bind_layer(b, c, i, &m->layers[i]);
    if (!rc) rc = linear(b, P_POOL, 0, c->hidden, c->hidden, &m->pool);
    if (!rc) rc = linear(b, P_CLS, 0, c->n_labels, c->hidden, &m->cls);
    m->max_tokens = c->max_pos - m->pos_offset;
    if (!rc && c->max_tokens) {
        if (c->max_tokens > m->max_tokens)
            return senti__err(b->err, b->err_size, SENTI_EFORMAT, "%s: max_tokens %zu exceeds the %zu positions",
                              b->file, c->max_tokens, m->max_tokens);
        m->max_tokens = c->max_tokens;
    }
    return rc;
}

/* The tokenizer's ids must be rows of the word embeddings (through id_map if there is one). */
static int check_vocab(const senti__tf *m, const char *file, char *err, size_t err_size) {
    size_t nv = senti__hftok_vocab_size(m->tok);
    if (!m->id_map && nv > m->word.rows)
        return senti__err(err, err_size, SENTI_EFORMAT,
                          "%s: the tokenizer has %zu ids but the word embeddings only %zu rows",
                          file, nv, m->word.rows);
    for (size_t i = 0; m->id_map && i < m->id_map_len; i++)
        if (m->id_map[i] < -1 || (m->id_map[i] >= 0 && (size_t)m->id_map[i] >= m->word.rows))
            return senti__err(err, err_size, SENTI_EFORMAT, "%s: id_map[%zu] = %d is not a row", file, i,
                              (int)m->id_map[i]);
    if (m->unk_row < 0 || (size_t)m->unk_row >= m->word.rows)
        return senti__err(err, err_size, SENTI_EFORMAT, "%s: unk_row is not a row", file);
    if (m->max_tokens < senti__hftok_special_count(m->tok) + 1)
        return senti__err(err, err_size, SENTI_ERANGE, "%s: %zu positions leave no room for text", file,
                          m->max_tokens);
    return SENTI_OK;
}

int senti__tf_limit_tokens(senti__tf *m, size_t limit, char *err, size_t err_size) {
    size_t sp = senti__hftok_special_count(m->tok);
    if (limit && limit <= sp)
        return senti__err(err, err_size, SENTI_ERANGE,
                          "max_tokens %zu leaves no room for text beside the %zu special tokens", limit, sp);
    if (limit && limit < m->max_tokens) m->max_tokens = limit;
    return SENTI_OK;
}

static int tf_begin(senti__tf *m, char *err, size_t err_size) {
    memset(m, 0, sizeof *m);
    if (!(m->owned = senti__calloc(1, sizeof(tf_owned))))
        return senti__err(err, err_size, SENTI_ENOMEM, "out of memory");
    return SENTI_OK;
}

/* ---- a senti file ----------------------------------------------------------------------------- */

static const senti__tensor *u8(const senti__st *st, const char *name) {
    const senti__tensor *t = senti__st_find(st, name);
    return t && t->dtype == SENTI__DT_U8 && t->ndim == 1 ? t : NULL;
}

/* The tokenizer from the original files' bytes stored as U8 tensors. */
static int st_tokenizer(const senti__st *st, const char *file, senti__hftok **out, char *err, size_t err_size) {
    const senti__tensor *tj = u8(st, "tok.tokenizer.json"), *vt = u8(st, "tok.vocab.txt"),
                        *vj = u8(st, "tok.vocab.json"), *mt = u8(st, "tok.merges.txt"),
                        *tc = u8(st, "tok.tokenizer_config.json"), *sm = u8(st, "tok.special_tokens_map.json");
    const char *c = tc ? tc->data : NULL, *s = sm ? sm->data : NULL;
    size_t cl = tc ? tc->nbytes : 0, sl = sm ? sm->nbytes : 0;
    char sub[200];
    int rc;
    if (tj) rc = senti__hftok_from_json(tj->data, tj->nbytes, out, sub, sizeof sub);
    else if (vt) rc = senti__hftok_from_vocab_txt(vt->data, vt->nbytes, c, cl, s, sl, out, sub, sizeof sub);
    else if (vj && mt)
        rc = senti__hftok_from_bpe_files(vj->data, vj->nbytes, mt->data, mt->nbytes, c, cl, s, sl, out, sub, sizeof sub);
    else
        return senti__err(err, err_size, SENTI_EFORMAT, "%s: no tokenizer (U8 tensor tok.tokenizer.json, "
                          "tok.vocab.txt, or tok.vocab.json with tok.merges.txt)", file);
    return rc ? senti__err(err, err_size, rc, "%s: tokenizer: %s", file, sub) : SENTI_OK;
}

static int st_id_map(const senti__st *st, senti__tf *m, const char *file, char *err, size_t err_size) {
    const senti__tensor *t = senti__st_find(st, "id_map");
    const char *unk = senti__st_meta(st, "unk_row");
    m->unk_row = senti__hftok_id(m->tok, "[UNK]", 5);
    if (m->unk_row < 0) m->unk_row = 0;
    if (unk) {
        char *end;
        long v = strtol(unk, &end, 10);
        if (*end || !*unk || v < 0 || v > INT32_MAX)
            return senti__err(err, err_size, SENTI_EFORMAT, "%s: metadata 'unk_row' is not a row", file);
        m->unk_row = (int32_t)v;
    }
    if (!t) return SENTI_OK;
    if (t->dtype != SENTI__DT_I32 || t->ndim != 1)
        return senti__err(err, err_size, SENTI_EFORMAT, "%s: tensor 'id_map' is not I32 [n]", file);
    m->id_map = t->data;
    m->id_map_len = (size_t)t->count;
    return SENTI_OK;
}

int senti__tf_open_st(const senti__st *st, const senti__tf_config *c, const char *file,
                      senti__tf *m, char *err, size_t err_size) {
    int rc = tf_begin(m, err, err_size);
    binder b = {st, file, names_senti, 0, m, err, err_size};
    if (!rc) rc = bind_all(&b, c);
    if (!rc) rc = st_tokenizer(st, file, &m->tok, err, err_size);
    if (!rc) rc = st_id_map(st, m, file, err, err_size);
    if (!rc) rc = check_vocab(m, file, err, err_size);
    if (rc) senti__tf_free(m);
    return rc;
}

/* ---- a Hugging Face folder -------------------------------------------------------------------- */

static int exists(const char *dir, const char *name) {
    char path[4200];
    struct stat s;
    snprintf(path, sizeof path, "%s/%s", dir, name);
    return stat(path, &s) == 0;
}

/* config.json, parsed; its text is left in *text (the caller frees it). */
static int hf_config(const char *dir, senti__tf_config *c, char **text, size_t *len, char *err,
                     size_t err_size) {
    char path[4200], sub[256];
    snprintf(path, sizeof path, "%s/config.json", dir);
    int rc = senti__read_file(path, SENTI__TF_MAX_CONFIG, text, len, sub, sizeof sub);
    if (!rc) rc = senti__tf_config_from_json(*text, *len, c, sub, sizeof sub);
    return rc ? senti__err(err, err_size, rc, "%s: %s", dir, sub) : SENTI_OK;
}

/* model.safetensors, mapped for the model's life (read into memory with SENTI_OPEN_READ, so
 * that the file may be overwritten while the model is in use). */
static int hf_weights(const char *dir, senti__tf *m, senti__st *st, char *file, uint32_t flags, char *err,
                      size_t err_size) {
    tf_owned *o = m->owned;
    snprintf(file, 4200, "%s/model.safetensors", dir);
    if (!exists(dir, "model.safetensors") && exists(dir, "pytorch_model.bin"))
        return senti__err(err, err_size, SENTI_EFORMAT,
                          "%s: only pytorch_model.bin, which senti does not read (it is a Python pickle); "
                          "convert it to model.safetensors on a machine with PyTorch: "
                          "AutoModelForSequenceClassification.from_pretrained(dir).save_pretrained(dir, "
                          "safe_serialization=True), or safetensors.torch.save_file(torch.load(bin), "
                          "'model.safetensors', metadata={'format': 'pt'})", dir);
    if (!exists(dir, "model.safetensors") && exists(dir, "model.safetensors.index.json"))
        return senti__err(err, err_size, SENTI_EFORMAT,
                          "%s: a sharded checkpoint (model.safetensors.index.json), which senti does not "
                          "read: save it as one file, save_pretrained(dir, max_shard_size=\"100GB\")", dir);
    o->read_whole = (flags & SENTI_OPEN_READ) != 0;
    int rc = o->read_whole ? senti__read_file(file, SIZE_MAX - 1, (char **)&o->map, &o->map_size, err, err_size)
                           : senti__map_file(file, &o->map, &o->map_size, err, err_size);
    if (rc) return rc;
    char sub[256];
    rc = senti__st_parse(o->map, o->map_size, st, sub, sizeof sub);
    return rc ? senti__err(err, err_size, rc, "%s: %s", file, sub) : SENTI_OK;
}

const char *const senti__tf_tok_files[SENTI__TF_TOK_FILES] = {
    "tokenizer.json", "vocab.txt", "vocab.json", "merges.txt", "tokenizer_config.json", "special_tokens_map.json"};

/* The digest of what determines the answers: config.json, the weights and the tokenizer files
 * (a file absent counts as empty), in that order. */
static int hf_digest(const char *dir, const char *conf, size_t conf_len, const tf_owned *o, char digest[33],
                     uint64_t *bytes, char *err, size_t err_size) {
    const char *const *tok = senti__tf_tok_files;
    enum { NT = SENTI__TF_TOK_FILES };
    char *text[NT] = {0};
    const void *parts[NT + 2] = {conf, o->map};
    size_t lens[NT + 2] = {conf_len, o->map_size};
    int rc = SENTI_OK;
    for (int i = 0; i < NT && !rc; i++) {
        char path[4200];
        snprintf(path, sizeof path, "%s/%s", dir, tok[i]);
        if (exists(dir, tok[i])) rc = senti__read_file(path, SENTI__HFTOK_MAX_FILE, &text[i], &lens[i + 2], err, err_size);
        parts[i + 2] = text[i] ? text[i] : "";
    }
    if (!rc) {
        senti__digest_parts(parts, lens, NT + 2, digest);
        *bytes = 0;
        for (int i = 0; i < NT + 2; i++) *bytes += lens[i];
    }
    for (int i = 0; i < NT; i++) senti__free(text[i]);
    return rc;
}

int senti__tf_open_hf(const char *dir, uint32_t flags, senti__tf_config *c, senti__tf *m, char digest[33],
                      uint64_t *bytes, char *err, size_t err_size) {
    static const char *const *const names[] = {names_bert, names_distilbert, names_roberta};
    senti__st st = {0};
    char file[4200], *conf = NULL;
    size_t conf_len = 0;
    int rc = tf_begin(m, err, err_size);
    if (!rc) rc = hf_config(dir, c, &conf, &conf_len, err, err_size);
    if (!rc && c->arch == SENTI__TF_PRELN) rc = senti__err(err, err_size, SENTI_EKIND, "%s: not a checkpoint", dir);
    if (!rc) rc = hf_weights(dir, m, &st, file, flags, err, err_size);
    binder b = {&st, file, names[rc ? 0 : c->arch], 1, m, err, err_size};
    if (!rc) rc = bind_all(&b, c);
    senti__st_free(&st);
    if (!rc) rc = senti__hftok_load_dir(dir, &m->tok, err, err_size);
    if (!rc) {
        m->unk_row = senti__hftok_id(m->tok, senti__hftok_type(m->tok) == SENTI__HFTOK_BPE ? "<unk>" : "[UNK]", 5);
        if (m->unk_row < 0) m->unk_row = 0;
        rc = check_vocab(m, dir, err, err_size);
    }
    if (!rc) rc = hf_digest(dir, conf, conf_len, m->owned, digest, bytes, err, err_size);
    senti__free(conf);
    if (rc) senti__tf_free(m);
    return rc;
}
