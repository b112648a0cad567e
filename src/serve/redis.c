/*
 * redis.c - the optional response cache shared between replicas, in Redis (hiredis).
 *
 * Order of lookups: local cache, then Redis, then the model; a result computed here is
 * stored in both. Key: "senti:v1:<model cache id>:<XXH3-128 of the text>". Value:
 * "<text length>:<text><result members>", so a hit is checked against the exact text
 * (a hash collision is a miss, never a wrong answer). Entries expire after --cache-ttl.
 *
 * Connections: a small pool (one per HTTP thread in practice), each with connect and
 * command timeouts of --redis-timeout. Any failure marks Redis down for one second: during
 * that time every lookup is a miss at no cost, the service keeps serving (from its local
 * cache and the model), logs the outage once and exports senti_redis_up 0. After the
 * second, the next request tries again; success is logged as recovery.
 */
#include <hiredis/hiredis.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <xxhash.h>

#include "serve/log.h"
#include "serve/serve.h"

#define ADD(p, v) __atomic_fetch_add(&(p), (v), __ATOMIC_RELAXED)
#define LOAD(p) __atomic_load_n(&(p), __ATOMIC_RELAXED)
#define POOL_MAX 64
#define BACKOFF_NS 1000000000ull

struct redis_pool {
    char host[256];
    int port, db;
    struct timeval tv;
    long long ttl_ms;
    pthread_mutex_t lock;
    redisContext *idle[POOL_MAX];
    int nidle;
    int up;              /* atomic: 1 up, 0 down */
    uint64_t down_until; /* atomic, monotonic ns */
    uint64_t hits, misses, errors;
};

int redis_pool_new(const char *url, double timeout, double ttl, redis_pool **out, char *err,
                   size_t errsz) {
    *out = NULL;
    if (!url || !*url) return 0;
    redis_pool *p = calloc(1, sizeof *p);
    if (!p) {
        snprintf(err, errsz, "out of memory");
        return -1;
    }
    const char *s = url;
    if (!strncmp(s, "redis://", 8)) s += 8;
    p->port = 6379;
    size_t hl = strcspn(s, ":/");
    if (hl == 0 || hl >= sizeof p->host) {
        free(p);
        snprintf(err, errsz, "--redis expects redis://HOST[:PORT][/DB], not '%s'", url);
        return -1;
    }
    memcpy(p->host, s, hl);
    s += hl;
    char *end;
    if (*s == ':') {
        long v = strtol(s + 1, &end, 10);
        if (end == s + 1 || v <= 0 || v > 65535) goto bad;
        p->port = (int)v;
        s = end;
    }
    if (*s == '/') {
        long v = strtol(s + 1, &end, 10);
        if (end == s + 1 || v < 0 || v > 1000) goto bad;
        p->db = (int)v;
        s = end;
    }
    if (*s) goto bad;
    p->tv.tv_sec = (time_t)timeout;
    p->tv.tv_usec = (suseconds_t)((timeout - (double)p->tv.tv_sec) * 1e6);
    p->ttl_ms = ttl > 0 ? (long long)(ttl * 1000) : 0;
    p->up = 1;
    pthread_mutex_init(&p->lock, NULL);
    *out = p;
    return 0;
bad:
    free(p);
    snprintf(err, errsz, "--redis expects redis://HOST[:PORT][/DB], not '%s'", url);
    return -1;
}

void redis_pool_free(redis_pool *p) {
    if (!p) return;
    for (int i = 0; i < p->nidle; i++) redisFree(p->idle[i]);
    pthread_mutex_destroy(&p->lock);
    free(p);
}

static void mark_down(redis_pool *p, const char *why) {
    ADD(p->errors, 1);
    __atomic_store_n(&p->down_until, now_ns() + BACKOFF_NS, __ATOMIC_RELAXED);
    if (__atomic_exchange_n(&p->up, 0, __ATOMIC_RELAXED))
        slog_s(SLOG_WARN, "redis unavailable: serving from the local cache and the model", "error", why);
}

static redisContext *take(redis_pool *p) {
    if (!LOAD(p->up) && now_ns() < LOAD(p->down_until)) return NULL;
    redisContext *c = NULL;
    pthread_mutex_lock(&p->lock);
    if (p->nidle) c = p->idle[--p->nidle];
    pthread_mutex_unlock(&p->lock);
    if (c) return c;
    c = redisConnectWithTimeout(p->host, p->port, p->tv);
    if (!c || c->err) {
        mark_down(p, c ? c->errstr : "cannot allocate a connection");
        if (c) redisFree(c);
        return NULL;
    }
    redisSetTimeout(c, p->tv);
    if (p->db) {
        redisReply *r = redisCommand(c, "SELECT %d", p->db);
        int ok = r && r->type == REDIS_REPLY_STATUS;
        if (r) freeReplyObject(r);
        if (!ok) {
            mark_down(p, c->err ? c->errstr : "SELECT failed");
            redisFree(c);
            return NULL;
        }
    }
    if (!__atomic_exchange_n(&p->up, 1, __ATOMIC_RELAXED))
        slog(SLOG_INFO, "redis available again", ",\"port\":%d", p->port);
    return c;
}

static void give(redis_pool *p, redisContext *c, int broken) {
    if (broken || c->err) {
        redisFree(c);
        return;
    }
    pthread_mutex_lock(&p->lock);
    if (p->nidle < POOL_MAX) {
        p->idle[p->nidle++] = c;
        c = NULL;
    }
    pthread_mutex_unlock(&p->lock);
    if (c) redisFree(c);
}

static int make_key(const serve_model *sm, const char *text, size_t len, char *key, size_t size) {
    XXH128_hash_t h = XXH3_128bits(text, len);
    return snprintf(key, size, "senti:v1:%016llx:%016llx%016llx", (unsigned long long)sm->cache_id,
                    (unsigned long long)h.high64, (unsigned long long)h.low64);
}

int redis_get(redis_pool *p, const serve_model *sm, const char *text, size_t len, sbuf *out) {
    redisContext *c = take(p);
    if (!c) return 0;
    char key[96];
    int kl = make_key(sm, text, len, key, sizeof key);
    redisReply *r = redisCommand(c, "GET %b", key, (size_t)kl);
    if (!r) {
        mark_down(p, c->errstr);
        give(p, c, 1);
        return 0;
    }
    int hit = 0;
    if (r->type == REDIS_REPLY_STRING) {
        char *colon = memchr(r->str, ':', r->len < 24 ? r->len : 24);
        if (colon) {
            size_t tl = strtoull(r->str, NULL, 10);
            size_t off = (size_t)(colon - r->str) + 1;
            if (off + tl <= r->len && tl == len && !memcmp(r->str + off, text, len)) {
                sb_put(out, r->str + off + tl, r->len - off - tl);
                hit = 1;
            }
        }
    } else if (r->type == REDIS_REPLY_ERROR) {
        ADD(p->errors, 1);
    }
    freeReplyObject(r);
    give(p, c, 0);
    ADD(*(hit ? &p->hits : &p->misses), 1);
    return hit;
}

void redis_put(redis_pool *p, const serve_model *sm, const char *text, size_t len, const char *val,
               size_t vlen) {
    redisContext *c = take(p);
    if (!c) return;
    char key[96];
    int kl = make_key(sm, text, len, key, sizeof key);
    sbuf v = {0};
    sb_printf(&v, "%zu:", len);
    sb_put(&v, text, len);
    sb_put(&v, val, vlen);
    if (v.oom) {
        give(p, c, 0);
        sb_free(&v);
        return;
    }
    redisReply *r = p->ttl_ms ? redisCommand(c, "SET %b %b PX %lld", key, (size_t)kl, v.p, v.len, p->ttl_ms)
                              : redisCommand(c, "SET %b %b", key, (size_t)kl, v.p, v.len);
    sb_free(&v);
    if (!r) {
        mark_down(p, c->errstr);
        give(p, c, 1);
        return;
    }
    if (r->type == REDIS_REPLY_ERROR) ADD(p->errors, 1);
    freeReplyObject(r);
    give(p, c, 0);
}

void redis_render_metrics(redis_pool *p, sbuf *b) {
    if (!p) return;
    metric_head(b, "senti_redis_up", "gauge", "1 if the shared Redis cache answered the last attempt, else 0.");
    sb_printf(b, "senti_redis_up %d\n", LOAD(p->up) ? 1 : 0);
    metric_head(b, "senti_redis_hits_total", "counter", "Shared (Redis) cache hits.");
    sb_printf(b, "senti_redis_hits_total %llu\n", (unsigned long long)LOAD(p->hits));
    metric_head(b, "senti_redis_misses_total", "counter", "Shared (Redis) cache misses.");
    sb_printf(b, "senti_redis_misses_total %llu\n", (unsigned long long)LOAD(p->misses));
    metric_head(b, "senti_redis_errors_total", "counter", "Redis connection or command failures.");
    sb_printf(b, "senti_redis_errors_total %llu\n", (unsigned long long)LOAD(p->errors));
}
