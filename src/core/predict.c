/*
 * predict.c - per-thread contexts, scoring one text, explaining it, and scoring a batch on
 * several threads. The bounds of senti_options are applied here, once for every kind: a text
 * is cut to max_text_bytes at a UTF-8 boundary before the kind sees it.
 */
#include <pthread.h>
#include <string.h>
#include <unistd.h>

#include "core/core.h"

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

SENTI_API int senti_ctx_set_threads(senti_ctx *ctx, int n_threads) {
    if (!ctx || n_threads < 1 || n_threads > 16) return SENTI_EINVAL;
    if (ctx->model->ops->ctx_threads) ctx->model->ops->ctx_threads(ctx->model, ctx->state, n_threads);
    return SENTI_OK;
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

SENTI_API float senti_contribution_toward(const senti_model *m, const senti_contribution *c,
                                          int label) {
    int k = m && c ? m->n_classes : 0;
    if (label < 0 || label >= k) return 0;
    /* a binary model's explanation carries one logit, toward "positive" (senti.h; every kind
     * keeps that layout) */
    if (k == 2) return label == (m->pos_index >= 0 ? m->pos_index : 1) ? c->logit[0] : -c->logit[0];
    float others = 0;
    for (int j = 0; j < k; j++)
        if (j != label) others += c->logit[j];
    return c->logit[label] - others / (float)(k - 1);
}

typedef struct batch_job {
    const senti_model *m;
    const senti_text *texts;
    senti_result *out;
    size_t n;
    size_t chunk; /* texts a worker takes at a time */
    size_t next;  /* atomic chunk counter */
    int rc;      /* first failure */
} batch_job;

#define BATCH_CHUNK 256
#define MANY_CHUNK_MAX 64

/* Texts [b, e) one at a time. */
static void batch_one_by_one(batch_job *j, senti_ctx *ctx, int crc, size_t b, size_t e) {
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

/* Texts [b, e) (at most MANY_CHUNK_MAX) in one call of the kind's predict_many: each cut to
 * max_text_bytes as senti_predict cuts it. */
static void batch_many(batch_job *j, senti_ctx *ctx, int crc, size_t b, size_t e) {
    senti_text cut[MANY_CHUNK_MAX] = {{0}};
    const senti_model *m = j->m;
    for (size_t i = b; i < e; i++) {
        cut[i - b].ptr = j->texts[i].ptr ? j->texts[i].ptr : "";
        cut[i - b].len = j->texts[i].ptr ? senti__utf8_cut(j->texts[i].ptr, j->texts[i].len, m->max_text_bytes) : 0;
    }
    int rc = crc ? crc : m->ops->predict_many(m, ctx, cut, e - b, &j->out[b]);
    for (size_t i = b; i < e; i++) {
        /* a NULL text of nonzero length was scored as "" in its place: it alone fails */
        int bad = crc ? crc : !j->texts[i].ptr && j->texts[i].len ? SENTI_EINVAL : SENTI_OK;
        if (bad) {
            memset(&j->out[i], 0, sizeof j->out[i]);
            j->out[i].status = bad;
            rc = rc ? rc : bad;
        }
        if (cut[i - b].len < j->texts[i].len) j->out[i].truncated = 1;
    }
    if (rc) {
        int zero = 0;
        __atomic_compare_exchange_n(&j->rc, &zero, rc, 0, __ATOMIC_RELAXED, __ATOMIC_RELAXED);
    }
}

static void *batch_worker(void *arg) {
    batch_job *j = arg;
    senti_ctx *ctx = NULL;
    int crc = senti_ctx_new(j->m, &ctx);
    for (;;) {
        size_t b = __atomic_fetch_add(&j->next, j->chunk, __ATOMIC_RELAXED);
        if (b >= j->n) break;
        size_t e = b + j->chunk < j->n ? b + j->chunk : j->n;
        if (j->m->ops->predict_many) batch_many(j, ctx, crc, b, e);
        else batch_one_by_one(j, ctx, crc, b, e);
    }
    senti_ctx_free(ctx);
    return NULL;
}

/* Texts per chunk: 256 for kinds scored text by text; for kinds that score many at once their
 * batch_chunk, less when that leaves a thread idle (32 texts on 2 threads: two chunks of 16). */
static size_t batch_chunk(const senti_model *m, size_t n, int n_threads) {
    if (!m->ops->predict_many) return BATCH_CHUNK;
    size_t c = m->ops->batch_chunk ? m->ops->batch_chunk : 16;
    if (c > MANY_CHUNK_MAX) c = MANY_CHUNK_MAX;
    size_t even = (n + (size_t)n_threads - 1) / (size_t)n_threads;
    return even && even < c ? even : c;
}

SENTI_API int senti_predict_batch(const senti_model *m, const senti_text *texts, size_t n,
                                  senti_result *out, int n_threads) {
    if (!m || (n && (!texts || !out))) return SENTI_EINVAL;
    if (n_threads <= 0) {
        long c = sysconf(_SC_NPROCESSORS_ONLN);
        n_threads = c > 0 ? (int)c : 1;
    }
    if (n_threads > 256) n_threads = 256;
    size_t chunk = batch_chunk(m, n, n_threads);
    size_t chunks = (n + chunk - 1) / chunk;
    if ((size_t)n_threads > chunks) n_threads = chunks ? (int)chunks : 1;
    batch_job j = {m, texts, out, n, chunk, 0, 0};
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


SENTI_API int senti_predict_many(const senti_model *m, senti_ctx *ctx, const senti_text *texts, size_t n,
                                 senti_result *out) {
    if (!m || (n && (!texts || !out)) || (ctx && ctx->model != m)) return SENTI_EINVAL;
    batch_job j = {m, texts, out, n, batch_chunk(m, n, 1), 0, 0};
    senti_ctx *own = NULL; /* one context for every chunk when the caller gives none */
    int crc = !ctx && n ? senti_ctx_new(m, &own) : SENTI_OK;
    for (size_t b = 0; b < n; b += j.chunk) {
        size_t e = b + j.chunk < n ? b + j.chunk : n;
        if (m->ops->predict_many) batch_many(&j, ctx ? ctx : own, crc, b, e);
        else batch_one_by_one(&j, ctx ? ctx : own, crc, b, e);
    }
    senti_ctx_free(own);
    return j.rc;
}
