/*
 * model.c - model generations for the service: open, reference counting, and a
 * pool of scoring contexts per generation.
 *
 * A request takes a reference to the current generation when it starts scoring and drops
 * it when done; SIGHUP opens a new generation and swaps the pointer under model_lock, then
 * drops the server's own reference to the old one. Whoever drops the last reference frees
 * the contexts (which point into the model) and then the model.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

#include "serve/serve.h"

/* How the model's file is held (--model-map). Read into memory the model owns, a file
 * overwritten in place (cp over it, a truncating write) cannot change or unmap the weights
 * under running requests (SIGBUS); mapped, nothing is copied: a reload of a 270 MB transformer
 * file does not hold two copies of it in memory, and processes share the page cache, but the
 * file must then be replaced by rename (mv), never rewritten in place. auto maps files of
 * MAP_MIN bytes or more. Either way the library refuses what is not a regular file without
 * blocking (a FIFO put in the model's place), so a reload never hangs. */
#define MAP_MIN (64ull << 20)

static int open_held(const serve_config *cfg, senti_model **m, int *mapped, char *err, size_t errsz) {
    senti_options opts = cfg->model.opts;
    const char *how = cfg->model_map ? cfg->model_map : "auto";
    *mapped = 0;
    if (strcmp(how, "off") != 0) {
        int rc = senti_model_open(cfg->model.spec, &opts, m, err, errsz);
        if (rc) return rc;
        if (!strcmp(how, "on") || senti_model_size(*m) >= MAP_MIN) {
            *mapped = senti_model_path(*m) != NULL;
            return SENTI_OK;
        }
        senti_model_free(*m); /* small: read it instead */
    }
    opts.flags |= SENTI_OPEN_READ;
    return senti_model_open(cfg->model.spec, &opts, m, err, errsz);
}

int serve_model_open(const serve_config *cfg, unsigned generation, serve_model **out, char *err,
                     size_t errsz) {
    *out = NULL;
    senti_model *m = NULL;
    int mapped;
    int rc = open_held(cfg, &m, &mapped, err, errsz);
    if (rc) return rc;
    /* every byte that changes the model's answers: the file, the embedded bytes, or both
     * VADER lexicons */
    const char *digest = senti_model_digest(m);
    serve_model *sm = calloc(1, sizeof *sm);
    if (!sm) {
        senti_model_free(m);
        snprintf(err, errsz, "out of memory");
        return SENTI_ENOMEM;
    }
    sm->m = m;
    sm->mapped = mapped;
    sm->refs = 1;
    sm->generation = generation;
    sm->loaded_at = unix_now();
    memcpy(sm->digest, digest, sizeof sm->digest);
    sm->name = senti_model_meta(m, "name");
    if (!sm->name) sm->name = senti_model_kind(m);
    sm->version = senti_model_meta(m, "version");
    if (!sm->version) sm->version = senti_model_meta(m, "format_version");
    if (!sm->version) sm->version = "";
    /* The cache id covers everything that changes a result: the bytes and the text bounds. */
    char idsrc[128];
    int n = snprintf(idsrc, sizeof idsrc, "%s/%u/%u", sm->digest, cfg->model.opts.max_text_bytes,
                     cfg->model.opts.max_tokens);
    sm->cache_id = XXH3_64bits(idsrc, (size_t)n);
    sbuf b = {0};
    sb_json_str(&b, sm->name, strlen(sm->name));
    sm->name_json = sb_take(&b);
    pthread_mutex_init(&sm->pool_lock, NULL);
    if (!sm->name_json) {
        serve_model_release(sm);
        snprintf(err, errsz, "out of memory");
        return SENTI_ENOMEM;
    }
    *out = sm;
    return SENTI_OK;
}

void serve_model_release(serve_model *sm) {
    if (!sm) return;
    if (__atomic_sub_fetch(&sm->refs, 1, __ATOMIC_ACQ_REL) != 0) return;
    for (size_t i = 0; i < sm->npool; i++) senti_ctx_free(sm->pool[i]);
    free(sm->pool);
    pthread_mutex_destroy(&sm->pool_lock);
    senti__free(sm->name_json);
    senti_model_free(sm->m);
    free(sm);
}

serve_model *serve_model_acquire(server *S) {
    pthread_mutex_lock(&S->model_lock);
    serve_model *sm = S->model;
    if (sm) __atomic_add_fetch(&sm->refs, 1, __ATOMIC_RELAXED);
    pthread_mutex_unlock(&S->model_lock);
    return sm;
}

senti_ctx *serve_model_ctx_get(serve_model *sm) {
    senti_ctx *ctx = NULL;
    pthread_mutex_lock(&sm->pool_lock);
    if (sm->npool) ctx = sm->pool[--sm->npool];
    pthread_mutex_unlock(&sm->pool_lock);
    if (!ctx && senti_ctx_new(sm->m, &ctx)) ctx = NULL; /* NULL still scores, only slower */
    return ctx;
}

void serve_model_ctx_put(serve_model *sm, senti_ctx *ctx) {
    if (!ctx) return;
    pthread_mutex_lock(&sm->pool_lock);
    if (sm->npool == sm->cap) {
        size_t cap = sm->cap ? sm->cap * 2 : 8;
        senti_ctx **p = realloc(sm->pool, cap * sizeof *p);
        if (!p) {
            pthread_mutex_unlock(&sm->pool_lock);
            senti_ctx_free(ctx);
            return;
        }
        sm->pool = p;
        sm->cap = cap;
    }
    sm->pool[sm->npool++] = ctx;
    pthread_mutex_unlock(&sm->pool_lock);
}
