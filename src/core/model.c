/*
 * model.c - the model handle every kind fills in: labels (checked once, here, for every
 * kind), metadata, text bounds, where the model came from and its digest, and the public
 * getters. The digest of a model read from one buffer is taken on first request (hashing a
 * 6 MB file at every open would cost more than the open itself); kinds read from several
 * files compute theirs at open.
 */
#include <stdio.h>
#include <string.h>
#define XXH_STATIC_LINKING_ONLY /* XXH3_state_t on the stack */
#include <xxhash.h>

#include "core/core.h"

senti_model *senti__model_new(const senti__model_ops *ops, const senti_options *opts) {
    senti_model *m = senti__calloc(1, sizeof *m);
    if (!m) return NULL;
    m->ops = ops;
    m->pos_index = -1;
    m->max_text_bytes = opts && opts->max_text_bytes ? opts->max_text_bytes
                                                     : SENTI_DEFAULT_MAX_TEXT_BYTES;
    m->max_tokens = opts && opts->max_tokens ? opts->max_tokens : SENTI_DEFAULT_MAX_TOKENS;
    pthread_mutex_init(&m->digest_lock, NULL);
    return m;
}

int senti__model_add_meta(senti_model *m, const char *key, const char *val) {
    char **k = senti__realloc(m->meta_keys, (size_t)(m->n_meta + 1) * sizeof *k);
    if (!k) return SENTI_ENOMEM;
    m->meta_keys = k;
    char **v = senti__realloc(m->meta_vals, (size_t)(m->n_meta + 1) * sizeof *v);
    if (!v) return SENTI_ENOMEM;
    m->meta_vals = v;
    char *kd = senti__strdup(key), *vd = senti__strdup(val);
    if (!kd || !vd) {
        senti__free(kd);
        senti__free(vd);
        return SENTI_ENOMEM;
    }
    m->meta_keys[m->n_meta] = kd;
    m->meta_vals[m->n_meta] = vd;
    m->n_meta++;
    return SENTI_OK;
}

/* ---- labels --------------------------------------------------------------------------------- */

#define LABEL_MAX 64

/* Why a label cannot be used, or NULL: the labels go as they are into JSON, CSV, TSV and
 * Prometheus output, so nothing that any of them would have to escape is allowed. */
static const char *label_problem(const char *s) {
    size_t n = strlen(s);
    if (n == 0) return "is empty";
    if (n > LABEL_MAX) return "is longer than 64 bytes";
    for (size_t i = 0; i < n;) {
        unsigned char c = (unsigned char)s[i];
        if (c < 0x20 || c == 0x7f) return "holds a control character";
        if (c == '"' || c == '\\' || c == ',' || c == '\t') return "holds a quote, backslash, comma or tab";
        size_t k = senti__utf8_seq((const unsigned char *)s + i, n - i);
        if (!k) return "is not valid UTF-8";
        i += k;
    }
    return NULL;
}

int senti__model_set_labels(senti_model *m, int n, const char *const *labels, char *err,
                            size_t err_size) {
    if (n < 2 || n > SENTI_MAX_CLASSES)
        return senti__err(err, err_size, SENTI_EFORMAT, "labels: a model needs 2 to %d, not %d",
                          SENTI_MAX_CLASSES, n);
    for (int i = 0; i < n; i++) {
        const char *why = label_problem(labels[i]);
        if (why)
            return senti__err(err, err_size, SENTI_EFORMAT, "labels: label %d %s", i + 1, why);
        for (int j = 0; j < i; j++)
            if (!strcmp(labels[i], labels[j]))
                return senti__err(err, err_size, SENTI_EFORMAT, "labels: label %d repeats label %d",
                                  i + 1, j + 1);
    }
    m->n_classes = n;
    m->pos_index = -1;
    for (int i = 0; i < n; i++) {
        m->labels[i] = labels[i];
        if (strcmp(labels[i], "positive") == 0) m->pos_index = i;
    }
    return SENTI_OK;
}

int senti__model_parse_labels(senti_model *m, const char *csv, char *err, size_t err_size) {
    if (!csv || strlen(csv) > (LABEL_MAX + 1) * SENTI_MAX_CLASSES)
        return senti__err(err, err_size, SENTI_EFORMAT, "metadata 'labels' missing or too long");
    senti__free(m->label_store);
    if (!(m->label_store = senti__strdup(csv)))
        return senti__err(err, err_size, SENTI_ENOMEM, "out of memory");
    const char *lab[SENTI_MAX_CLASSES + 1];
    int n = 0;
    for (char *s = m->label_store, *tok; (tok = strsep(&s, ",")) && n <= SENTI_MAX_CLASSES;)
        lab[n++] = tok;
    return senti__model_set_labels(m, n, lab, err, err_size);
}

/* ---- where it came from ------------------------------------------------------------------- */

void senti__digest_parts(const void *const *parts, const size_t *lens, int n, char out[33]) {
    XXH128_hash_t h;
    if (n == 1) { /* one file: the digest is the file's own (xxhsum -H2 gives the same) */
        h = XXH3_128bits(parts[0], lens[0]);
    } else {
        XXH3_state_t st;
        XXH3_INITSTATE(&st);
        XXH3_128bits_reset(&st);
        for (int i = 0; i < n; i++) {
            uint64_t len = lens[i];
            XXH3_128bits_update(&st, &len, sizeof len);
            XXH3_128bits_update(&st, parts[i], lens[i]);
        }
        h = XXH3_128bits_digest(&st);
    }
    snprintf(out, 33, "%016llx%016llx", (unsigned long long)h.high64, (unsigned long long)h.low64);
}

int senti__model_set_source(senti_model *m, const char *path, uint64_t size,
                            const char digest[33]) {
    senti__free(m->src_path);
    m->src_path = NULL;
    if (path && !(m->src_path = senti__strdup(path))) return SENTI_ENOMEM;
    m->src_size = size;
    m->src_data = NULL;
    if (digest) {
        memcpy(m->digest, digest, 33);
        __atomic_store_n(&m->digest_done, 1, __ATOMIC_RELEASE);
    }
    return SENTI_OK;
}

SENTI_API const char *senti_model_path(const senti_model *m) { return m ? m->src_path : NULL; }
SENTI_API uint64_t senti_model_size(const senti_model *m) { return m ? m->src_size : 0; }

SENTI_API const char *senti_model_digest(const senti_model *m) {
    if (!m) return NULL;
    if (!__atomic_load_n(&m->digest_done, __ATOMIC_ACQUIRE)) {
        senti_model *w = (senti_model *)m; /* the digest is a cache; the model stays immutable */
        pthread_mutex_lock(&w->digest_lock);
        if (!w->digest_done) {
            const void *p = w->src_data ? w->src_data : "";
            size_t n = w->src_data ? (size_t)w->src_size : 0;
            senti__digest_parts(&p, &n, 1, w->digest);
            __atomic_store_n(&w->digest_done, 1, __ATOMIC_RELEASE);
        }
        pthread_mutex_unlock(&w->digest_lock);
    }
    return m->digest;
}

/* ---- freeing and getters ------------------------------------------------------------------ */

SENTI_API void senti_model_free(senti_model *m) {
    if (!m) return;
    if (m->ops && m->ops->destroy) m->ops->destroy(m);
    for (int i = 0; i < m->n_meta; i++) {
        senti__free(m->meta_keys[i]);
        senti__free(m->meta_vals[i]);
    }
    senti__free(m->meta_keys);
    senti__free(m->meta_vals);
    senti__free(m->label_store);
    senti__free(m->src_path);
    if (m->map) senti__unmap(m->map, m->map_size);
    senti__free(m->owned);
    pthread_mutex_destroy(&m->digest_lock);
    senti__free(m);
}

SENTI_API const char *senti_model_kind(const senti_model *m) {
    return m && m->ops ? m->ops->kind : NULL;
}
/* A kind that scores many texts at once (predict_many) wants chunks of its batch_chunk texts
 * (the default of predict.c's batch_chunk when 0); the others gain nothing from batches. */
SENTI_API int senti_model_batch_hint(const senti_model *m) {
    if (!m || !m->ops || !m->ops->predict_many) return 1;
    return m->ops->batch_chunk > 1 ? (int)m->ops->batch_chunk : 16;
}
SENTI_API int senti_model_n_classes(const senti_model *m) { return m ? m->n_classes : 0; }
SENTI_API const char *senti_model_label(const senti_model *m, int i) {
    return m && i >= 0 && i < m->n_classes ? m->labels[i] : NULL;
}
SENTI_API int senti_model_label_index(const senti_model *m, const char *label) {
    if (!m || !label) return -1;
    for (int i = 0; i < m->n_classes; i++)
        if (strcmp(m->labels[i], label) == 0) return i;
    return -1;
}
SENTI_API int senti_model_n_values(const senti_model *m) { return m ? m->n_values : 0; }
SENTI_API const char *senti_model_value_name(const senti_model *m, int i) {
    return m && i >= 0 && i < m->n_values ? m->value_names[i] : NULL;
}
SENTI_API const char *senti_model_meta(const senti_model *m, const char *key) {
    if (!m || !key) return NULL;
    for (int i = 0; i < m->n_meta; i++)
        if (strcmp(m->meta_keys[i], key) == 0) return m->meta_vals[i];
    return NULL;
}
SENTI_API int senti_model_meta_count(const senti_model *m) { return m ? m->n_meta : 0; }
SENTI_API const char *senti_model_meta_key(const senti_model *m, int i) {
    return m && i >= 0 && i < m->n_meta ? m->meta_keys[i] : NULL;
}
