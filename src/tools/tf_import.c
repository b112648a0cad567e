/*
 * tf_import.c - `senti model import`: a transformer classifier as one senti model file.
 *
 * Both sources are first made into a senti__tf (tf.h) with f32 weights: a Hugging Face
 * checkpoint through the kind's own loader (senti__tf_open_hf, so the import checks exactly
 * what `hf:DIR` checks), the tiny SST-2 model from its manifest and raw float32 file (its
 * nn.MultiheadAttention in_proj split into the Q, K and V rows). Then one writer puts every
 * part under the file's names (load.h) in the dtype asked for:
 *   f32   as they are;
 *   f16   linear weights and embeddings as IEEE half (round to nearest even);
 *   int8  linear weights and embeddings quantized per row (per output channel), symmetric:
 *         scale = max|w| / 127, q = round_half_even(w / scale) (the kernels' own
 *         quantize_row); embeddings as I8 rows with their F32 scales beside them as X.scale,
 *         linear weights already in the int8 kernels' packed panels (senti__qweights:
 *         X.qpanels, X.qscale, X.qsum), which the loader uses in place from the mapping;
 * LayerNorm parameters and biases stay F32. The configuration goes into the metadata, the
 * tokenizer's original files into U8 tensors (tok.NAME), the tiny model's id map into an I32
 * tensor. The file written is opened again with the library before the import succeeds.
 */
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "base/base.h"
#include "io/safetensors.h"
#include "kernels/kernels.h"
#include "models/transformer/load.h"
#include "tools/tf_import.h"

/* ---- the file being written ------------------------------------------------------------------ */

typedef struct writer {
    senti__st_out *t;
    size_t n, cap;
    void **mem; /* buffers the outputs point into */
    size_t n_mem, cap_mem;
    senti__tf_dtype dtype;
    int oom;
} writer;

static void *w_keep(writer *w, void *p) {
    if (!p) {
        w->oom = 1;
        return NULL;
    }
    if (w->n_mem == w->cap_mem) {
        size_t c = w->cap_mem ? 2 * w->cap_mem : 64;
        void **m = senti__realloc(w->mem, c * sizeof *m);
        if (!m) {
            senti__free(p);
            w->oom = 1;
            return NULL;
        }
        w->mem = m, w->cap_mem = c;
    }
    return w->mem[w->n_mem++] = p;
}

static char *w_name(writer *w, const char *fmt, size_t layer, const char *suffix) {
    char buf[128];
    int k = snprintf(buf, sizeof buf, fmt, layer);
    snprintf(buf + k, sizeof buf - (size_t)k, ".%s", suffix);
    return w_keep(w, senti__strdup(buf));
}

/* a tensor [d0], [d0, d1] or [d0, d1, d2] (0 ends the shape) */
static void w_add3(writer *w, const char *name, senti__dtype dt, size_t d0, size_t d1, size_t d2, const void *data) {
    if (!name || !data || w->oom) {
        w->oom = 1;
        return;
    }
    if (w->n == w->cap) {
        size_t c = w->cap ? 2 * w->cap : 64;
        senti__st_out *t = senti__realloc(w->t, c * sizeof *t);
        if (!t) {
            w->oom = 1;
            return;
        }
        w->t = t, w->cap = c;
    }
    senti__st_out *o = &w->t[w->n++];
    memset(o, 0, sizeof *o);
    o->name = name, o->dtype = dt, o->data = data;
    o->ndim = d2 ? 3 : d1 ? 2 : 1;
    o->shape[0] = d0, o->shape[1] = d1, o->shape[2] = d2;
}

static void w_add(writer *w, const char *name, senti__dtype dt, size_t d0, size_t d1, const void *data) {
    w_add3(w, name, dt, d0, d1, 0, data);
}

static void w_free(writer *w) {
    for (size_t i = 0; i < w->n_mem; i++) senti__free(w->mem[i]);
    senti__free(w->mem);
    senti__free(w->t);
}

static uint16_t f32_to_f16(float f) {
    uint32_t u;
    memcpy(&u, &f, 4);
    uint32_t s = (u >> 16) & 0x8000u, e = (u >> 23) & 0xff, m = u & 0x7fffffu;
    if (e == 0xff) return (uint16_t)(s | 0x7c00u | (m ? 0x200u : 0));
    int ne = (int)e - 127 + 15;
    if (ne >= 31) return (uint16_t)(s | 0x7c00u); /* beyond half: infinity (refused at open) */
    if (ne <= 0) {                                 /* subnormal or zero */
        if (ne < -10) return (uint16_t)s;
        m |= 0x800000u;
        uint32_t shift = (uint32_t)(14 - ne), half = m >> shift, rem = m & ((1u << shift) - 1), mid = 1u << (shift - 1);
        if (rem > mid || (rem == mid && (half & 1))) half++;
        return (uint16_t)(s | half);
    }
    uint32_t h = s | ((uint32_t)ne << 10) | (m >> 13), rem = m & 0x1fffu;
    if (rem > 0x1000u || (rem == 0x1000u && (h & 1))) h++; /* carries into the exponent correctly */
    return (uint16_t)h;
}

/* rows x cols f32 (stride cols) under name.weight in the file's dtype (int8: + name.scale). */
static void w_matrix(writer *w, const char *fmt, size_t layer, const float *x, size_t rows, size_t cols) {
    char *wn = w_name(w, fmt, layer, "weight");
    size_t n = rows * cols;
    if (w->dtype == SENTI__TFW_F32) {
        w_add(w, wn, SENTI__DT_F32, rows, cols, x);
    } else if (w->dtype == SENTI__TFW_F16) {
        uint16_t *h = w_keep(w, senti__malloc(n * sizeof *h));
        for (size_t i = 0; h && i < n; i++) h[i] = f32_to_f16(x[i]);
        w_add(w, wn, SENTI__DT_F16, rows, cols, h);
    } else {
        int8_t *q = w_keep(w, senti__malloc(n ? n : 1));
        float *s = w_keep(w, senti__malloc(rows * sizeof *s + 1));
        for (size_t r = 0; q && s && r < rows; r++) senti__kernels_ref.quantize_row(x + r * cols, cols, q + r * cols, &s[r]);
        w_add(w, wn, SENTI__DT_I8, rows, cols, q);
        w_add(w, w_name(w, fmt, layer, "scale"), SENTI__DT_F32, rows, 0, s);
    }
}

static void w_vec(writer *w, const char *fmt, size_t layer, const char *suffix, const float *x, size_t n) {
    w_add(w, w_name(w, fmt, layer, suffix), SENTI__DT_F32, n, 0, x);
}

/* An int8 linear layer as the kernels read it: quantized as w_matrix does, then packed
 * (senti__qweights_from_int8); the panels, scales and sums are written as they are in memory. */
static void w_qlinear(writer *w, const char *fmt, size_t layer, const float *x, size_t rows, size_t cols) {
    int8_t *q = senti__malloc(rows * cols + 1);
    float *s = senti__malloc(rows * sizeof *s + 1);
    senti__qweights W = {0};
    for (size_t r = 0; q && s && r < rows; r++) senti__kernels_ref.quantize_row(x + r * cols, cols, q + r * cols, &s[r]);
    if (!q || !s || senti__qweights_from_int8(&W, q, cols, s, rows, cols)) w->oom = 1;
    senti__free(q);
    senti__free(s);
    if (w->oom) {
        senti__qweights_free(&W);
        return;
    }
    size_t n = W.panels * SENTI_QW_COLS;
    w_add3(w, w_name(w, fmt, layer, "qpanels"), SENTI__DT_I8, W.panels, W.kgroups, 64, w_keep(w, W.p));
    w_add(w, w_name(w, fmt, layer, "qscale"), SENTI__DT_F32, n, 0, w_keep(w, W.scale));
    w_add(w, w_name(w, fmt, layer, "qsum"), SENTI__DT_I32, n, 0, w_keep(w, W.sum));
}

static void w_linear(writer *w, const char *fmt, size_t layer, const senti__tf_linear *l) {
    if (w->dtype == SENTI__TFW_INT8) w_qlinear(w, fmt, layer, l->w, l->out, l->in);
    else w_matrix(w, fmt, layer, l->w, l->out, l->in);
    w_vec(w, fmt, layer, "bias", l->b, l->out);
}

/* An embedding table as f32 rows (a checkpoint's F16 table converted). */
static void w_embed(writer *w, const char *name, const senti__tf_embed *e) {
    const float *x = e->data;
    if (e->dtype == SENTI__DT_F16) {
        float *f = w_keep(w, senti__malloc(e->rows * e->dim * sizeof *f + 1));
        const uint16_t *h = e->data;
        for (size_t i = 0; f && i < e->rows * e->dim; i++) f[i] = senti__f16_to_f32(h[i]);
        x = f;
    }
    if (x) w_matrix(w, name, 0, x, e->rows, e->dim);
    else w->oom = 1;
}

static void w_model(writer *w, const senti__tf *m) {
    w_embed(w, "emb.word", &m->word);
    w_embed(w, "emb.pos", &m->pos);
    if (m->type.rows) w_embed(w, "emb.type", &m->type);
    if (m->emb_ln_g) w_vec(w, "emb.ln", 0, "weight", m->emb_ln_g, m->hidden);
    if (m->emb_ln_b) w_vec(w, "emb.ln", 0, "bias", m->emb_ln_b, m->hidden);
    for (size_t i = 0; i < m->n_layers; i++) {
        const senti__tf_layer *L = &m->layers[i];
        w_linear(w, "layer.%zu.q", i, &L->q);
        w_linear(w, "layer.%zu.k", i, &L->k);
        w_linear(w, "layer.%zu.v", i, &L->v);
        w_linear(w, "layer.%zu.o", i, &L->o);
        w_linear(w, "layer.%zu.ff1", i, &L->ff1);
        w_linear(w, "layer.%zu.ff2", i, &L->ff2);
        w_vec(w, "layer.%zu.ln1", i, "weight", L->ln1_g, m->hidden);
        w_vec(w, "layer.%zu.ln1", i, "bias", L->ln1_b, m->hidden);
        w_vec(w, "layer.%zu.ln2", i, "weight", L->ln2_g, m->hidden);
        w_vec(w, "layer.%zu.ln2", i, "bias", L->ln2_b, m->hidden);
    }
    w_linear(w, "pool", 0, &m->pool);
    w_linear(w, "cls", 0, &m->cls);
}

/* ---- metadata and the file ------------------------------------------------------------------- */

typedef struct tok_file {
    const char *name; /* "tokenizer.json", ... */
    char *data;
    size_t len;
} tok_file;

enum { TOK_FILES = SENTI__TF_TOK_FILES };

/* The labels, renamed by --labels (as many names as the model has labels). */
static int labels_csv(const senti__tf_config *c, const char *rename, char *out, size_t size, char *err,
                      size_t err_size) {
    if (rename) {
        size_t n = 1;
        for (const char *p = rename; *p; p++) n += *p == ',';
        if (n != c->n_labels)
            return senti__err(err, err_size, SENTI_EINVAL, "--labels names %zu labels; the model has %zu", n,
                              c->n_labels);
        if (strlen(rename) >= size) return senti__err(err, err_size, SENTI_EINVAL, "--labels is too long");
        snprintf(out, size, "%s", rename);
        return SENTI_OK;
    }
    size_t k = 0;
    for (size_t i = 0; i < c->n_labels; i++) {
        if (strchr(c->labels[i], ','))
            return senti__err(err, err_size, SENTI_EINVAL,
                              "config.json id2label[\"%zu\"], \"%s\", holds a comma: name the labels with --labels", i,
                              c->labels[i]);
        int w = snprintf(out + k, size - k, "%s%s", i ? "," : "", c->labels[i]);
        if (w < 0 || (size_t)w >= size - k) return senti__err(err, err_size, SENTI_EINVAL, "the labels are too long");
        k += (size_t)w;
    }
    return SENTI_OK;
}

static int write_file(const char *out, const senti__tf_config *c, const senti__tf *m, const tok_file *tok,
                      const senti__tf_import_opts *o, const char *source, long unk_row, char *err, size_t err_size) {
    static const char *const dtn[] = {"f32", "f16", "int8"};
    char num[9][24], labels[SENTI_MAX_CLASSES * 66], eps[32], unk[24];
    size_t v[9] = {c->layers, c->hidden, c->heads, c->ff, c->vocab, c->max_pos, c->type_vocab, c->pad_id,
                   m->max_tokens};
    for (int i = 0; i < 9; i++) snprintf(num[i], sizeof num[i], "%zu", v[i]);
    snprintf(eps, sizeof eps, "%.9g", c->eps);
    snprintf(unk, sizeof unk, "%ld", unk_row);
    int rc = labels_csv(c, o->labels, labels, sizeof labels, err, err_size);
    if (rc) return rc;
    const char *meta[] = {"kind", "transformer", "format_version", "2", "arch", senti__tf_arch_name(c->arch),
                          "hidden_act", senti__tf_act_name(c->act), "layers", num[0], "hidden", num[1],
                          "heads", num[2], "intermediate", num[3], "vocab_size", num[4], "max_position", num[5],
                          "type_vocab", num[6], "pad_id", num[7], "max_tokens", num[8], "layer_norm_eps", eps,
                          "labels", labels, "dtype", dtn[o->dtype], "source_architecture", c->source_arch,
                          "source", source, "unk_row", unk};
    size_t n_meta = sizeof meta / sizeof *meta / 2 - (unk_row < 0);
    writer w = {0};
    w.dtype = o->dtype;
    w_model(&w, m);
    for (int i = 0; i < TOK_FILES; i++)
        if (tok[i].data && tok[i].len) {
            char name[64];
            snprintf(name, sizeof name, "tok.%s", tok[i].name);
            w_add(&w, w_keep(&w, senti__strdup(name)), SENTI__DT_U8, tok[i].len, 0, tok[i].data);
        }
    if (m->id_map) w_add(&w, "id_map", SENTI__DT_I32, m->id_map_len, 0, m->id_map);
    rc = w.oom ? senti__err(err, err_size, SENTI_ENOMEM, "out of memory")
               : senti__st_write(out, w.t, w.n, meta, n_meta, err, err_size);
    w_free(&w);
    return rc;
}

/* Open the file written, as a user would. */
static int check_written(const char *out, char *err, size_t err_size) {
    senti_model *m;
    char sub[512];
    int rc = senti_model_open_file(out, NULL, &m, sub, sizeof sub);
    if (rc) {
        remove(out);
        return senti__err(err, err_size, rc, "the file written does not open (removed): %s", sub);
    }
    senti_model_free(m);
    return SENTI_OK;
}

/* ---- a Hugging Face checkpoint --------------------------------------------------------------- */

static int read_tok_files(const char *dir, tok_file *f, char *err, size_t err_size) {
    const char *const *names = senti__tf_tok_files;
    for (int i = 0; i < TOK_FILES; i++) {
        char path[4200];
        struct stat s;
        f[i].name = names[i];
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        if (stat(path, &s) != 0) continue;
        int rc = senti__read_file(path, SENTI__HFTOK_MAX_FILE, &f[i].data, &f[i].len, err, err_size);
        if (rc) return rc;
    }
    /* the loader's order: tokenizer.json, else vocab.txt, else vocab.json + merges.txt */
    int drop_from = f[0].data ? 1 : f[1].data ? 2 : 4;
    for (int i = drop_from; i < 4; i++) senti__free(f[i].data), f[i].data = NULL;
    return SENTI_OK;
}

static void free_tok_files(tok_file *f) {
    for (int i = 0; i < TOK_FILES; i++) senti__free(f[i].data);
}

static int apply_max_tokens(senti__tf *m, size_t limit, char *err, size_t err_size) {
    if (limit > m->max_tokens)
        return senti__err(err, err_size, SENTI_ERANGE, "--max-tokens %zu is more than the model's %zu positions",
                          limit, m->max_tokens);
    return senti__tf_limit_tokens(m, limit, err, err_size);
}

int senti__tf_import_hf(const char *dir, const char *out, const senti__tf_import_opts *o, char *err,
                        size_t err_size) {
    senti__tf_config c;
    senti__tf m;
    char digest[33];
    uint64_t bytes;
    tok_file tok[TOK_FILES] = {{0}};
    int rc = senti__tf_open_hf(dir, 0, &c, &m, digest, &bytes, err, err_size);
    if (rc) return rc;
    rc = apply_max_tokens(&m, o->max_tokens, err, err_size);
    if (!rc) rc = read_tok_files(dir, tok, err, err_size);
    if (!rc) rc = write_file(out, &c, &m, tok, o, dir, -1, err, err_size);
    free_tok_files(tok);
    senti__tf_free(&m);
    return rc ? rc : check_written(out, err, err_size);
}

/* ---- the tiny SST-2 model ---------------------------------------------------------------------- */

typedef struct tiny {
    char *weights, *manifest;
    size_t wlen, mlen;
    int32_t *id_map;
    size_t id_map_len;
    long unk;
} tiny;

/* The float32 data of manifest entry name, which must be d0 x d1 (d1 0: a vector). */
static int tiny_tensor(const tiny *t, const char *name, size_t d0, size_t d1, const float **out, char *err,
                       size_t err_size) {
    size_t nl = strlen(name);
    for (const char *p = t->manifest; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL) {
        if (strncmp(p, name, nl) || p[nl] != '\t') continue;
        unsigned long long a = 0, b = 0, off, nb;
        char dt[16];
        int k = d1 ? sscanf(p + nl, "\t%llux%llu\t%15s\t%llu\t%llu", &a, &b, dt, &off, &nb)
                   : sscanf(p + nl, "\t%llu\t%15s\t%llu\t%llu", &a, dt, &off, &nb);
        if (k != (d1 ? 5 : 4) || strcmp(dt, "float32") || a != d0 || (d1 && b != d1))
            return senti__err(err, err_size, SENTI_EFORMAT, "manifest.tsv: '%s' is not float32 of the shape "
                              "config.json gives", name);
        if (nb != (unsigned long long)d0 * (d1 ? d1 : 1) * 4 || off % 4 || off > t->wlen || nb > t->wlen - off)
            return senti__err(err, err_size, SENTI_EFORMAT, "manifest.tsv: '%s' lies outside weights_f32le.bin", name);
        *out = (const float *)(t->weights + off);
        return SENTI_OK;
    }
    return senti__err(err, err_size, SENTI_EFORMAT, "manifest.tsv: no tensor '%s'", name);
}

static int tiny_linear(const tiny *t, const char *w, const char *b, size_t out, size_t in, size_t row0,
                       senti__tf_linear *l, char *err, size_t err_size) {
    const float *pw, *pb;
    int rc = tiny_tensor(t, w, out * (row0 ? 3 : 1), in, &pw, err, err_size);
    if (!rc) rc = tiny_tensor(t, b, out * (row0 ? 3 : 1), 0, &pb, err, err_size);
    if (rc) return rc;
    size_t part = row0 ? row0 - 1 : 0; /* in_proj: Q, K, V are rows [0, h), [h, 2h), [2h, 3h) */
    l->out = out, l->in = in, l->w = pw + part * out * in, l->b = pb + part * out;
    return SENTI_OK;
}

static int tiny_layer(const tiny *t, size_t i, size_t h, size_t ff, senti__tf_layer *L, char *err, size_t err_size) {
    char n[8][96];
    const char *s[8] = {"self_attn.in_proj_weight", "self_attn.in_proj_bias", "self_attn.out_proj.weight",
                        "self_attn.out_proj.bias", "linear1.weight", "linear1.bias", "linear2.weight", "linear2.bias"};
    for (int k = 0; k < 8; k++) snprintf(n[k], sizeof n[k], "encoder.layers.%zu.%s", i, s[k]);
    int rc = tiny_linear(t, n[0], n[1], h, h, 1, &L->q, err, err_size);
    if (!rc) rc = tiny_linear(t, n[0], n[1], h, h, 2, &L->k, err, err_size);
    if (!rc) rc = tiny_linear(t, n[0], n[1], h, h, 3, &L->v, err, err_size);
    if (!rc) rc = tiny_linear(t, n[2], n[3], h, h, 0, &L->o, err, err_size);
    if (!rc) rc = tiny_linear(t, n[4], n[5], ff, h, 0, &L->ff1, err, err_size);
    if (!rc) rc = tiny_linear(t, n[6], n[7], h, ff, 0, &L->ff2, err, err_size);
    const float **ln[4] = {&L->ln1_g, &L->ln1_b, &L->ln2_g, &L->ln2_b};
    const char *lnn[4] = {"norm1.weight", "norm1.bias", "norm2.weight", "norm2.bias"};
    for (int k = 0; !rc && k < 4; k++) {
        snprintf(n[0], sizeof n[0], "encoder.layers.%zu.%s", i, lnn[k]);
        rc = tiny_tensor(t, n[0], h, 0, ln[k], err, err_size);
    }
    return rc;
}

/* config.json of the tiny model: sizes and labels. */
static int tiny_config(const char *text, size_t len, senti__tf_config *c, char *err, size_t err_size) {
    json_error_t je;
    json_t *r = json_loadb(text, len, 0, &je);
    if (!r) return senti__err(err, err_size, SENTI_EFORMAT, "config.json: %s", je.text);
    const char *keys[] = {"n_layers", "d_model", "n_heads", "d_ff", "vocab_size", "max_position", "num_labels"};
    size_t *dst[] = {&c->layers, &c->hidden, &c->heads, &c->ff, &c->vocab, &c->max_pos, &c->n_labels};
    int rc = SENTI_OK;
    for (int i = 0; !rc && i < 7; i++) {
        json_t *x = json_object_get(r, keys[i]);
        if (!json_is_integer(x) || json_integer_value(x) < 0 || json_integer_value(x) > (1 << 24))
            rc = senti__err(err, err_size, SENTI_EFORMAT, "config.json: '%s' missing or not a size", keys[i]);
        else *dst[i] = (size_t)json_integer_value(x);
    }
    json_t *labels = json_object_get(r, "labels");
    for (size_t i = 0; !rc && i < c->n_labels && i < SENTI_MAX_CLASSES; i++) {
        char k[24];
        snprintf(k, sizeof k, "%zu", i);
        const char *s = json_string_value(json_object_get(labels, k));
        if (!s || strlen(s) > 64) rc = senti__err(err, err_size, SENTI_EFORMAT, "config.json: no label %zu", i);
        else snprintf(c->labels[i], sizeof c->labels[i], "%s", s);
    }
    json_decref(r);
    c->arch = SENTI__TF_PRELN, c->act = SENTI__TF_GELU, c->type_vocab = 0, c->pad_id = 0;
    c->eps = 1e-5; /* nn.TransformerEncoderLayer's layer_norm_eps, as config.json's architecture says */
    snprintf(c->source_arch, sizeof c->source_arch, "preln");
    return rc ? rc : senti__tf_config_check(c, err, err_size);
}

/* vocab_mapping.json: old_to_new (tokenizer id -> row) as an id map, unk_new_id. */
static int tiny_id_map(const char *text, size_t len, const senti__tf_config *c, tiny *t, char *err, size_t err_size) {
    json_error_t je;
    json_t *r = json_loadb(text, len, 0, &je), *map = json_object_get(r, "old_to_new");
    json_t *unk = json_object_get(r, "unk_new_id");
    const char *k;
    json_t *v;
    int rc = json_is_object(map) && json_is_integer(unk) ? SENTI_OK
             : senti__err(err, err_size, SENTI_EFORMAT, "vocab_mapping.json: no old_to_new object or unk_new_id");
    size_t n = 0;
    json_object_foreach(map, k, v) {
        long id = strtol(k, NULL, 10);
        if (id >= 0 && id < (long)SENTI__TF_MAX_VOCAB && (size_t)id + 1 > n) n = (size_t)id + 1;
    }
    if (!rc && !(t->id_map = senti__malloc((n ? n : 1) * sizeof *t->id_map)))
        rc = senti__err(err, err_size, SENTI_ENOMEM, "out of memory");
    for (size_t i = 0; !rc && i < n; i++) t->id_map[i] = -1;
    json_object_foreach(map, k, v) {
        long id = strtol(k, NULL, 10);
        if (rc || id < 0 || (size_t)id >= n) continue;
        if (!json_is_integer(v) || json_integer_value(v) < 0 || (size_t)json_integer_value(v) >= c->vocab)
            rc = senti__err(err, err_size, SENTI_EFORMAT, "vocab_mapping.json: old_to_new['%s'] is not a row", k);
        else t->id_map[id] = (int32_t)json_integer_value(v);
    }
    t->id_map_len = n;
    t->unk = rc ? 0 : (long)json_integer_value(unk);
    json_decref(r);
    return rc;
}

static int tiny_read(const char *dir, const char *name, size_t max, char **data, size_t *len, char *err,
                     size_t err_size) {
    char path[4200];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    return senti__read_file(path, max, data, len, err, err_size);
}

static int tiny_model(tiny *t, const senti__tf_config *c, senti__tf *m, char *err, size_t err_size) {
    m->arch = c->arch, m->act = c->act, m->pool_act = SENTI__TF_TANH, m->eps = (float)c->eps;
    m->n_layers = c->layers, m->hidden = c->hidden, m->heads = c->heads, m->ff = c->ff, m->n_labels = c->n_labels;
    m->max_tokens = c->max_pos;
    const float *we, *pe;
    int rc = tiny_tensor(t, "token_embedding.weight", c->vocab, c->hidden, &we, err, err_size);
    if (!rc) rc = tiny_tensor(t, "position_embedding.weight", c->max_pos, c->hidden, &pe, err, err_size);
    if (rc) return rc;
    m->word = (senti__tf_embed){c->vocab, c->hidden, SENTI__DT_F32, we, NULL};
    m->pos = (senti__tf_embed){c->max_pos, c->hidden, SENTI__DT_F32, pe, NULL};
    if (!(m->layers = senti__calloc(c->layers, sizeof *m->layers)))
        return senti__err(err, err_size, SENTI_ENOMEM, "out of memory");
    for (size_t i = 0; !rc && i < c->layers; i++) rc = tiny_layer(t, i, c->hidden, c->ff, &m->layers[i], err, err_size);
    if (!rc) rc = tiny_linear(t, "pooler.weight", "pooler.bias", c->hidden, c->hidden, 0, &m->pool, err, err_size);
    if (!rc) rc = tiny_linear(t, "classifier.weight", "classifier.bias", c->n_labels, c->hidden, 0, &m->cls, err, err_size);
    m->id_map = t->id_map, m->id_map_len = t->id_map_len;
    return rc;
}

int senti__tf_import_tiny(const char *dir, const char *vocab_dir, const char *out,
                          const senti__tf_import_opts *o, char *err, size_t err_size) {
    tiny t = {0};
    senti__tf_config c = {0};
    senti__tf m = {0};
    tok_file tok[TOK_FILES] = {{0}};
    char *conf = NULL, *map = NULL;
    size_t clen, maplen;
    int rc = tiny_read(dir, "config.json", SENTI__TF_MAX_CONFIG, &conf, &clen, err, err_size);
    if (!rc) rc = tiny_read(dir, "manifest.tsv", 1u << 20, &t.manifest, &t.mlen, err, err_size);
    if (!rc) rc = tiny_read(dir, "weights_f32le.bin", 1u << 30, &t.weights, &t.wlen, err, err_size);
    if (!rc) rc = tiny_read(dir, "vocab_mapping.json", 64u << 20, &map, &maplen, err, err_size);
    if (!rc) rc = tiny_config(conf, clen, &c, err, err_size);
    if (!rc) rc = tiny_id_map(map, maplen, &c, &t, err, err_size);
    if (!rc) rc = tiny_model(&t, &c, &m, err, err_size);
    if (!rc && o->max_tokens > m.max_tokens)
        rc = senti__err(err, err_size, SENTI_ERANGE, "--max-tokens %zu is more than the model's %zu positions",
                        o->max_tokens, m.max_tokens);
    if (!rc && o->max_tokens) m.max_tokens = o->max_tokens;
    if (!rc) rc = read_tok_files(vocab_dir, tok, err, err_size);
    if (!rc && !tok[1].data)
        rc = senti__err(err, err_size, SENTI_EIO, "%s: no vocab.txt (the tiny model's WordPiece vocabulary)", vocab_dir);
    if (!rc) rc = write_file(out, &c, &m, tok, o, dir, t.unk, err, err_size);
    free_tok_files(tok);
    senti__free(m.layers);
    senti__free(t.id_map);
    senti__free(t.weights);
    senti__free(t.manifest);
    senti__free(conf);
    senti__free(map);
    return rc ? rc : check_written(out, err, err_size);
}
