/*
 * model.c - model generations for the service: open, digest, reference counting, and a
 * pool of scoring contexts per generation.
 *
 * A request takes a reference to the current generation when it starts scoring and drops
 * it when done; SIGHUP opens a new generation and swaps the pointer under model_lock, then
 * drops the server's own reference to the old one. Whoever drops the last reference frees
 * the contexts (which point into the model) and then the model.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <xxhash.h>

#include "internal.h"
#include "serve/serve.h"

/* Open a model or lexicon file for reading without ever blocking: O_NONBLOCK makes open()
 * return at once even for a FIFO with no writer (a blocking open would hang the main thread,
 * which also takes the signals and enforces the deadlines), and anything but a regular file
 * is refused before a byte is read. Returns the descriptor, or -1 with err filled. */
static int open_regular(const char *path, struct stat *st, char *err, size_t errsz) {
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) {
        snprintf(err, errsz, "%s: %s", path, strerror(errno));
        return -1;
    }
    if (fstat(fd, st) != 0 || !S_ISREG(st->st_mode) || st->st_size < 0 ||
        (unsigned long long)st->st_size > (1ull << 34)) {
        snprintf(err, errsz, "%s: not a regular file of a sensible size", path);
        close(fd);
        return -1;
    }
    return fd;
}

/* read() until n bytes or the end; returns the count, or -1 on an error. */
static ssize_t read_full(int fd, void *buf, size_t n) {
    size_t got = 0;
    while (got < n) {
        ssize_t r = read(fd, (char *)buf + got, n - got);
        if (r < 0 && errno == EINTR) continue;
        if (r < 0) return -1;
        if (r == 0) break;
        got += (size_t)r;
    }
    return (ssize_t)got;
}

/* Read a whole file into 64-byte-aligned memory the model will own. */
static int read_file(const char *path, void **out, size_t *size, char *err, size_t errsz) {
    struct stat st;
    int fd = open_regular(path, &st, err, errsz);
    if (fd < 0) return SENTI_EIO;
    size_t n = (size_t)st.st_size;
    void *buf = NULL;
    if (posix_memalign(&buf, 64, n ? n : 64)) {
        close(fd);
        snprintf(err, errsz, "%s: out of memory (%zu bytes)", path, n);
        return SENTI_ENOMEM;
    }
    ssize_t got = read_full(fd, buf, n);
    close(fd);
    if (got != (ssize_t)n) {
        free(buf);
        snprintf(err, errsz, "%s: short read (the file changed while being read?)", path);
        return SENTI_EIO;
    }
    *out = buf;
    *size = n;
    return SENTI_OK;
}

/* XXH3-128 of a file's bytes into st; -1 if it cannot be read. */
static int hash_file(XXH3_state_t *st, const char *path) {
    char err[16], buf[1 << 16];
    struct stat sb;
    int fd = open_regular(path, &sb, err, sizeof err);
    if (fd < 0) return -1;
    ssize_t n;
    while ((n = read(fd, buf, sizeof buf)) > 0 || (n < 0 && errno == EINTR))
        if (n > 0) XXH3_128bits_update(st, buf, (size_t)n);
    close(fd);
    return n < 0 ? -1 : 0;
}

static int is_dir(const char *p) {
    struct stat s;
    return stat(p, &s) == 0 && S_ISDIR(s.st_mode);
}

static void hex128(XXH128_hash_t h, char out[33]) {
    snprintf(out, 33, "%016llx%016llx", (unsigned long long)h.high64, (unsigned long long)h.low64);
}

/* The digest of a model not read from one file: the VADER lexicons, or failing that the
 * kind, labels and metadata. */
static void other_digest(const serve_config *cfg, const senti_model *m, char out[33]) {
    const char *spec = cfg->model.spec;
    const char *kind = senti_model_kind(m);
    XXH3_state_t *st = XXH3_createState();
    if (!st) {
        snprintf(out, 33, "%032d", 0);
        return;
    }
    XXH3_128bits_reset(st);
    int ok = 0;
    if (!strcmp(kind, "vader")) {
        const char *p = spec && !strncmp(spec, "vader:", 6) ? spec + 6 : "";
        if (!*p) p = getenv("SENTI_VADER_LEXICON");
        if ((!p || !*p) && cfg->model.opts.lexicon_dir) p = cfg->model.opts.lexicon_dir;
        if (p && *p) {
            char path[4096];
            if (is_dir(p)) {
                snprintf(path, sizeof path, "%s/vader_lexicon.txt", p);
                ok = hash_file(st, path) == 0;
                snprintf(path, sizeof path, "%s/emoji_utf8_lexicon.txt", p);
                if (ok) hash_file(st, path);
            } else {
                ok = hash_file(st, p) == 0;
            }
        }
    }
    if (!ok) {
        XXH3_128bits_reset(st);
        XXH3_128bits_update(st, kind, strlen(kind));
        for (int i = 0; i < senti_model_n_classes(m); i++) {
            const char *l = senti_model_label(m, i);
            XXH3_128bits_update(st, l, strlen(l) + 1);
        }
        for (int i = 0; i < senti_model_meta_count(m); i++) {
            const char *k = senti_model_meta_key(m, i), *v = senti_model_meta(m, k);
            XXH3_128bits_update(st, k, strlen(k) + 1);
            if (v) XXH3_128bits_update(st, v, strlen(v) + 1);
        }
    }
    hex128(XXH3_128bits_digest(st), out);
    XXH3_freeState(st);
}

/* A model file (a plain path or linear:PATH) is read into memory the server owns instead
 * of being mapped: a file overwritten in place (cp over it, a truncating write) would
 * otherwise change or unmap the weights under running requests (SIGBUS). The digest is
 * taken from the same bytes the model is built from. */
static const char *file_spec(const char *spec) {
    if (!spec || !strcmp(spec, "default")) return NULL;
    if (!strncmp(spec, "linear:", 7)) return spec + 7;
    if (strchr(spec, ':') && strncmp(spec, "./", 2) && spec[0] != '/') {
        /* KIND:PATH of another kind (vader:...); a path with a colon can be written ./a:b */
        size_t k = strcspn(spec, ":/");
        if (spec[k] == ':') return NULL;
    }
    return spec;
}

int serve_model_open(const serve_config *cfg, unsigned generation, serve_model **out, char *err,
                     size_t errsz) {
    *out = NULL;
    senti_model *m = NULL;
    void *bytes = NULL;
    size_t nbytes = 0;
    char digest[33];
    const char *path = file_spec(cfg->model.spec);
    int rc;
    if (path) {
        rc = read_file(path, &bytes, &nbytes, err, errsz);
        if (rc) return rc;
        rc = senti_model_open_memory(bytes, nbytes, &cfg->model.opts, &m, err, errsz);
        if (rc) {
            /* name the file: the memory loader cannot */
            char sub[400];
            snprintf(sub, sizeof sub, "%s", err);
            snprintf(err, errsz, "%s: %s", path, sub);
            free(bytes);
            return rc;
        }
        hex128(XXH3_128bits(bytes, nbytes), digest);
    } else {
        rc = senti_model_open(cfg->model.spec, &cfg->model.opts, &m, err, errsz);
        if (rc) return rc;
        if (!cfg->model.spec || !strcmp(cfg->model.spec, "default"))
            hex128(XXH3_128bits(senti__default_model,
                                (size_t)(senti__default_model_end - senti__default_model)),
                   digest);
        else
            other_digest(cfg, m, digest);
    }
    serve_model *sm = calloc(1, sizeof *sm);
    if (!sm) {
        senti_model_free(m);
        free(bytes);
        snprintf(err, errsz, "out of memory");
        return SENTI_ENOMEM;
    }
    sm->m = m;
    sm->bytes = bytes;
    sm->refs = 1;
    sm->generation = generation;
    sm->loaded_at = unix_now();
    memcpy(sm->digest, digest, sizeof digest);
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
    free(sm->name_json);
    senti_model_free(sm->m);
    free(sm->bytes); /* after the model, which used it in place */
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
