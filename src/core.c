/*
 * core.c - what every model kind shares: allocation, status messages, the model handle
 * (labels, metadata, limits), opening by spec, per-thread contexts, single and batch
 * prediction, and the JSON rendering of a result.
 */
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "internal.h"

/* ---- version and status ------------------------------------------------------------- */

SENTI_API const char *senti_version(void) { return SENTI_VERSION_STRING; }
SENTI_API uint32_t senti_version_hex(void) { return SENTI_VERSION_HEX; }

SENTI_API const char *senti_strerror(int status) {
    switch (status) {
#define SENTI__STATUS_MSG(name, code, msg) \
    case code: return msg;
        SENTI_STATUS_MAP(SENTI__STATUS_MSG)
#undef SENTI__STATUS_MSG
    }
    return "unknown status";
}

SENTI_API const char *senti_status_name(int status) {
    switch (status) {
#define SENTI__STATUS_NAME(name, code, msg) \
    case code: return "SENTI_" #name;
        SENTI_STATUS_MAP(SENTI__STATUS_NAME)
#undef SENTI__STATUS_NAME
    }
    return "SENTI_UNKNOWN";
}

int senti__err(char *err, size_t err_size, int status, const char *fmt, ...) {
    if (err && err_size) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err, err_size, fmt, ap);
        va_end(ap);
    }
    return status;
}

/* ---- allocation --------------------------------------------------------------------- */

static void *(*alloc_malloc)(size_t) = malloc;
static void *(*alloc_realloc)(void *, size_t) = realloc;
static void (*alloc_free)(void *) = free;
static long alloc_fail_countdown = -1; /* tests: fail when it reaches 0 */

SENTI_API int senti_set_allocator(void *(*malloc_fn)(size_t), void *(*realloc_fn)(void *, size_t),
                                  void (*free_fn)(void *)) {
    if (!malloc_fn && !realloc_fn && !free_fn) {
        alloc_malloc = malloc, alloc_realloc = realloc, alloc_free = free;
        return SENTI_OK;
    }
    if (!malloc_fn || !realloc_fn || !free_fn) return SENTI_EINVAL;
    alloc_malloc = malloc_fn, alloc_realloc = realloc_fn, alloc_free = free_fn;
    return SENTI_OK;
}

void senti__alloc_fail_after(long n) { __atomic_store_n(&alloc_fail_countdown, n, __ATOMIC_SEQ_CST); }

static int alloc_should_fail(void) {
    long c = __atomic_load_n(&alloc_fail_countdown, __ATOMIC_RELAXED);
    if (c < 0) return 0;
    if (c == 0) return 1;
    __atomic_fetch_sub(&alloc_fail_countdown, 1, __ATOMIC_RELAXED);
    return 0;
}

/* Every block carries a 16-byte header with its size, so the library can account for the
 * bytes it holds (senti_memory_stats_get) whatever allocator is installed. */
#define ALLOC_HDR 16
static uint64_t mem_current, mem_peak, mem_allocs, mem_frees;

static void account_add(size_t n) {
    uint64_t cur = __atomic_add_fetch(&mem_current, n, __ATOMIC_RELAXED);
    uint64_t peak = __atomic_load_n(&mem_peak, __ATOMIC_RELAXED);
    while (cur > peak && !__atomic_compare_exchange_n(&mem_peak, &peak, cur, 1, __ATOMIC_RELAXED,
                                                      __ATOMIC_RELAXED)) {
    }
}

SENTI_API void senti_memory_stats_get(senti_memory_stats *out) {
    if (!out) return;
    memset(out, 0, sizeof *out);
    out->current_bytes = __atomic_load_n(&mem_current, __ATOMIC_RELAXED);
    out->peak_bytes = __atomic_load_n(&mem_peak, __ATOMIC_RELAXED);
    out->allocations = __atomic_load_n(&mem_allocs, __ATOMIC_RELAXED);
    out->frees = __atomic_load_n(&mem_frees, __ATOMIC_RELAXED);
}

void *senti__malloc(size_t n) {
    if (alloc_should_fail() || n > SIZE_MAX - ALLOC_HDR) return NULL;
    unsigned char *p = alloc_malloc(n + ALLOC_HDR);
    if (!p) return NULL;
    memcpy(p, &n, sizeof n);
    account_add(n);
    __atomic_add_fetch(&mem_allocs, 1, __ATOMIC_RELAXED);
    return p + ALLOC_HDR;
}

void *senti__calloc(size_t count, size_t size) {
    if (size && count > SIZE_MAX / size) return NULL;
    void *p = senti__malloc(count * size);
    if (p) memset(p, 0, count * size);
    return p;
}

void *senti__realloc(void *p, size_t n) {
    if (!p) return senti__malloc(n);
    if (alloc_should_fail() || n > SIZE_MAX - ALLOC_HDR) return NULL;
    unsigned char *b = (unsigned char *)p - ALLOC_HDR;
    size_t old;
    memcpy(&old, b, sizeof old);
    unsigned char *nb = alloc_realloc(b, n + ALLOC_HDR);
    if (!nb) return NULL;
    memcpy(nb, &n, sizeof n);
    __atomic_sub_fetch(&mem_current, old, __ATOMIC_RELAXED);
    account_add(n);
    return nb + ALLOC_HDR;
}

void senti__free(void *p) {
    if (!p) return;
    unsigned char *b = (unsigned char *)p - ALLOC_HDR;
    size_t n;
    memcpy(&n, b, sizeof n);
    __atomic_sub_fetch(&mem_current, n, __ATOMIC_RELAXED);
    __atomic_add_fetch(&mem_frees, 1, __ATOMIC_RELAXED);
    alloc_free(b);
}

char *senti__strndup(const char *s, size_t n) {
    char *d = senti__malloc(n + 1);
    if (!d) return NULL;
    memcpy(d, s, n);
    d[n] = 0;
    return d;
}

char *senti__strdup(const char *s) { return senti__strndup(s, strlen(s)); }

/* ---- the model handle --------------------------------------------------------------- */

senti_model *senti__model_new(const senti__model_ops *ops, const senti_options *opts) {
    senti_model *m = senti__calloc(1, sizeof *m);
    if (!m) return NULL;
    m->ops = ops;
    m->pos_index = -1;
    m->max_text_bytes = opts && opts->max_text_bytes ? opts->max_text_bytes
                                                     : SENTI_DEFAULT_MAX_TEXT_BYTES;
    m->max_tokens = opts && opts->max_tokens ? opts->max_tokens : SENTI_DEFAULT_MAX_TOKENS;
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

void senti__model_set_labels(senti_model *m, int n, const char *const *labels) {
    if (n > SENTI_MAX_CLASSES) n = SENTI_MAX_CLASSES;
    m->n_classes = n;
    m->pos_index = -1;
    for (int i = 0; i < n; i++) {
        m->labels[i] = labels[i];
        if (strcmp(labels[i], "positive") == 0) m->pos_index = i;
    }
}

SENTI_API void senti_model_free(senti_model *m) {
    if (!m) return;
    if (m->ops && m->ops->destroy) m->ops->destroy(m);
    for (int i = 0; i < m->n_meta; i++) {
        senti__free(m->meta_keys[i]);
        senti__free(m->meta_vals[i]);
    }
    senti__free(m->meta_keys);
    senti__free(m->meta_vals);
    if (m->map) senti__unmap(m->map, m->map_size);
    senti__free(m);
}

SENTI_API const char *senti_model_kind(const senti_model *m) {
    return m && m->ops ? m->ops->kind : NULL;
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

/* ---- opening -------------------------------------------------------------------------- */

SENTI_API int senti_model_open_memory(const void *data, size_t size, const senti_options *opts,
                                      senti_model **out, char *err, size_t err_size) {
    if (!out) return senti__err(err, err_size, SENTI_EINVAL, "no output model pointer");
    *out = NULL;
    if (!data && size) return senti__err(err, err_size, SENTI_EINVAL, "no model data");
    if (((uintptr_t)data & 7) != 0)
        return senti__err(err, err_size, SENTI_EINVAL, "model data must be 8-byte aligned");
    return senti__linear_open_memory(data, size, opts, out, err, err_size);
}

SENTI_API int senti_model_open_default(const senti_options *opts, senti_model **out) {
    size_t size = (size_t)(senti__default_model_end - senti__default_model);
    return senti_model_open_memory(senti__default_model, size, opts, out, NULL, 0);
}

SENTI_API int senti_model_open_file(const char *path, const senti_options *opts,
                                    senti_model **out, char *err, size_t err_size) {
    if (!out) return senti__err(err, err_size, SENTI_EINVAL, "no output model pointer");
    *out = NULL;
    if (!path || !*path) return senti__err(err, err_size, SENTI_EINVAL, "no model path");
    void *map;
    size_t size;
    int rc = senti__map_file(path, &map, &size, err, err_size);
    if (rc) return rc;
    char sub[256];
    rc = senti__linear_open_memory(map, size, opts, out, sub, sizeof sub);
    if (rc) {
        senti__unmap(map, size);
        return senti__err(err, err_size, rc, "%s: %s", path, sub);
    }
    (*out)->map = map;
    (*out)->map_size = size;
    return SENTI_OK;
}

SENTI_API int senti_model_open(const char *spec, const senti_options *opts, senti_model **out,
                               char *err, size_t err_size) {
    if (!out) return senti__err(err, err_size, SENTI_EINVAL, "no output model pointer");
    *out = NULL;
    if (!spec || !*spec || strcmp(spec, "default") == 0) {
        int rc = senti_model_open_default(opts, out);
        if (rc) return senti__err(err, err_size, rc, "embedded default model: %s",
                                  senti_strerror(rc));
        return rc;
    }
    /* KIND:PATH, where KIND is lower-case letters; anything else is a path. */
    const char *colon = strchr(spec, ':');
    size_t klen = colon ? (size_t)(colon - spec) : 0;
    int is_kind = klen > 0 && klen < 32;
    for (size_t i = 0; is_kind && i < klen; i++)
        if (spec[i] < 'a' || spec[i] > 'z') is_kind = 0;
    if (is_kind) {
        const char *path = colon + 1;
        if (klen == 6 && memcmp(spec, "linear", 6) == 0)
            return senti_model_open_file(path, opts, out, err, err_size);
        if (klen == 5 && memcmp(spec, "vader", 5) == 0)
            return senti__vader_open(path, opts, out, err, err_size);
        if (access(spec, F_OK) != 0)
            return senti__err(err, err_size, SENTI_EKIND,
                              "unknown model kind '%.*s' in '%s' (known: linear, vader)",
                              (int)klen, spec, spec);
    }
    return senti_model_open_file(spec, opts, out, err, err_size);
}

/* ---- contexts and prediction ------------------------------------------------------------ */

SENTI_API int senti_ctx_new(const senti_model *m, senti_ctx **out) {
    if (!m || !out) return SENTI_EINVAL;
    *out = NULL;
    senti_ctx *c = senti__calloc(1, sizeof *c);
    if (!c) return SENTI_ENOMEM;
    c->model = m;
    if (m->ops->ctx_init) {
        int rc = m->ops->ctx_init(m, &c->state);
        if (rc) {
            senti__free(c);
            return rc;
        }
    }
    *out = c;
    return SENTI_OK;
}

SENTI_API void senti_ctx_free(senti_ctx *ctx) {
    if (!ctx) return;
    if (ctx->model->ops->ctx_free) ctx->model->ops->ctx_free(ctx->model, ctx->state);
    senti__free(ctx);
}

size_t senti__utf8_cut(const char *s, size_t len, size_t max) {
    if (len <= max) return len;
    size_t n = max;
    /* step back over continuation bytes (at most 3) so a character is not split */
    for (int k = 0; k < 3 && n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80; k++) n--;
    return n;
}

SENTI_API int senti_predict(const senti_model *m, senti_ctx *ctx, const char *text, size_t len,
                            senti_result *out) {
    if (!out) return SENTI_EINVAL;
    memset(out, 0, sizeof *out);
    if (!m || (!text && len) || (ctx && ctx->model != m)) return out->status = SENTI_EINVAL;
    if (!text) text = "";
    size_t n = senti__utf8_cut(text, len, m->max_text_bytes);
    int rc = m->ops->predict(m, ctx, text, n, out);
    if (n < len) out->truncated = 1;
    out->status = rc;
    return rc;
}

SENTI_API int senti_explain(const senti_model *m, senti_ctx *ctx, const char *text, size_t len,
                            senti_result *out, senti_contribution *contrib, size_t cap, size_t *n) {
    if (!out || !n) return SENTI_EINVAL;
    memset(out, 0, sizeof *out);
    *n = 0;
    if (!m || (!text && len) || (ctx && ctx->model != m) || (!contrib && cap)) return out->status = SENTI_EINVAL;
    if (!m->ops->explain) return out->status = SENTI_ENOTSUP;
    if (!text) text = "";
    size_t cut = senti__utf8_cut(text, len, m->max_text_bytes);
    int rc = m->ops->explain(m, ctx, text, cut, out, contrib, cap, n);
    if (cut < len) out->truncated = 1;
    out->status = rc;
    return rc;
}

typedef struct batch_job {
    const senti_model *m;
    const senti_text *texts;
    senti_result *out;
    size_t n;
    size_t next; /* atomic chunk counter */
    int rc;      /* first failure */
} batch_job;

#define BATCH_CHUNK 256

static void *batch_worker(void *arg) {
    batch_job *j = arg;
    senti_ctx *ctx = NULL;
    int crc = senti_ctx_new(j->m, &ctx);
    for (;;) {
        size_t b = __atomic_fetch_add(&j->next, BATCH_CHUNK, __ATOMIC_RELAXED);
        if (b >= j->n) break;
        size_t e = b + BATCH_CHUNK < j->n ? b + BATCH_CHUNK : j->n;
        for (size_t i = b; i < e; i++) {
            int rc = crc ? crc : senti_predict(j->m, ctx, j->texts[i].ptr, j->texts[i].len, &j->out[i]);
            if (crc) {
                memset(&j->out[i], 0, sizeof j->out[i]);
                j->out[i].status = crc;
            }
            if (rc) {
                int zero = 0;
                __atomic_compare_exchange_n(&j->rc, &zero, rc, 0, __ATOMIC_RELAXED, __ATOMIC_RELAXED);
            }
        }
    }
    senti_ctx_free(ctx);
    return NULL;
}

SENTI_API int senti_predict_batch(const senti_model *m, const senti_text *texts, size_t n,
                                  senti_result *out, int n_threads) {
    if (!m || (n && (!texts || !out))) return SENTI_EINVAL;
    if (n_threads <= 0) {
        long c = sysconf(_SC_NPROCESSORS_ONLN);
        n_threads = c > 0 ? (int)c : 1;
    }
    if (n_threads > 256) n_threads = 256;
    size_t chunks = (n + BATCH_CHUNK - 1) / BATCH_CHUNK;
    if ((size_t)n_threads > chunks) n_threads = chunks ? (int)chunks : 1;
    batch_job j = {m, texts, out, n, 0, 0};
    pthread_t tid[256];
    int started = 0;
    for (int t = 1; t < n_threads; t++) {
        if (pthread_create(&tid[started], NULL, batch_worker, &j) != 0) break;
        started++;
    }
    batch_worker(&j); /* the caller's thread works too; fewer threads if some failed to start */
    for (int t = 0; t < started; t++) pthread_join(tid[t], NULL);
    return j.rc;
}

/* ---- JSON rendering ---------------------------------------------------------------------- */

int senti__fmt_rounded(char *buf, size_t size, double v, int decimals) {
    if (!isfinite(v)) return snprintf(buf, size, "null");
    if (decimals < 0) decimals = 0;
    if (decimals > 17) decimals = 17;
    char tmp[64];
    snprintf(tmp, sizeof tmp, "%.*f", decimals, v);
    /* trim trailing zeros but keep one digit after the point: 0.0, 0.75, -0.4939 */
    char *dot = strchr(tmp, '.');
    if (dot) {
        char *end = tmp + strlen(tmp) - 1;
        while (end > dot + 1 && *end == '0') *end-- = 0;
    } else {
        strcat(tmp, ".0");
    }
    return snprintf(buf, size, "%s", tmp);
}

typedef struct jbuf {
    char *p;
    size_t size, len;
} jbuf;

static void jb_put(jbuf *b, const char *s, size_t n) {
    if (b->len < b->size) {
        size_t room = b->size - b->len;
        memcpy(b->p + b->len, s, n < room ? n : room);
    }
    b->len += n;
}
static void jb_str(jbuf *b, const char *s) { jb_put(b, s, strlen(s)); }
static void jb_num(jbuf *b, double v, int decimals) {
    char t[64];
    int n = senti__fmt_rounded(t, sizeof t, v, decimals);
    jb_put(b, t, (size_t)n);
}

SENTI_API size_t senti_result_json(const senti_model *m, const senti_result *r, char *buf,
                                   size_t size) {
    jbuf b = {buf, size, 0};
    if (!m || !r) {
        jb_str(&b, "\"error\":\"invalid argument\"");
    } else if (r->status != SENTI_OK) {
        jb_str(&b, "\"error\":\"");
        jb_str(&b, senti_strerror(r->status));
        jb_str(&b, "\"");
    } else {
        const char *label = senti_model_label(m, r->label);
        jb_str(&b, "\"label\":\"");
        jb_str(&b, label ? label : "");
        jb_str(&b, "\",\"score\":");
        jb_num(&b, r->score, 4);
        jb_str(&b, ",\"scores\":{");
        for (int i = 0; i < r->n_classes && i < m->n_classes; i++) {
            if (i) jb_put(&b, ",", 1);
            jb_put(&b, "\"", 1);
            jb_str(&b, m->labels[i]);
            jb_str(&b, "\":");
            jb_num(&b, r->probs[i], 4);
        }
        jb_put(&b, "}", 1);
        for (int i = 0; i < r->n_values && i < m->n_values; i++) {
            jb_str(&b, ",\"");
            jb_str(&b, m->value_names[i]);
            jb_str(&b, "\":");
            jb_num(&b, r->values[i], m->value_decimals[i]);
        }
    }
    if (size) buf[b.len < size ? b.len : size - 1] = 0;
    return b.len;
}
