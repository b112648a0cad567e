/*
 * serve.h - what the parts of `senti serve` share: configuration, the reloadable model,
 * the server state and its counters.
 *
 * Files:  main.c      options, environment, start-up, the signal loop, drain and reload
 *         http.c      libmicrohttpd callbacks: routing, limits, bodies, responses, access log
 *         api.c       request bodies to responses without sockets (JSON, scoring), framing
 *         model.c     reference-counted model generations with a pool of scoring contexts
 *         stats.c     the /metrics page and its JSON digest /v1/stats (for the web page)
 *         web.c       the web page's files, embedded (src/serve/web/)
 *         cache.c     response cache (sharded LRU + TTL)      ratelimit.c  token buckets
 *         connlimit.c connections per client
 *         redis.c     optional shared cache                   log.c        JSON log lines
 *         metrics.c   histograms, process metrics             util.c       buffers, clocks
 *         batcher.c   the queue and worker pool that score concurrent requests in batches
 *                     (models with senti_model_batch_hint > 1, or --batch-max)
 */
#ifndef SENTI_SERVE_H
#define SENTI_SERVE_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include "senti.h"
#include "serve/batcher.h"
#include "serve/cache.h"
#include "serve/connlimit.h"
#include "serve/metrics.h"
#include "serve/ratelimit.h"
#include "serve/util.h"
#include "tools/progs.h"

/* ---- configuration ------------------------------------------------------------------ */

typedef struct serve_config {
    const char *host;
    unsigned long port;
    const char *port_file;
    unsigned long threads;
    unsigned long max_connections;
    unsigned long max_client_connections;
    unsigned long max_inflight;
    long long max_body;
    unsigned long max_batch;
    double request_timeout, idle_timeout, drain_timeout, shutdown_delay;
    unsigned long cache_entries;
    long long cache_bytes;
    double cache_ttl;
    double rate, burst;
    unsigned long rate_clients;
    const char *proxy_header;
    const char *trusted_proxies;
    const char *log_dest;
    const char *log_level;
    int access_log;
    const char *redis_url;
    double redis_timeout;
    unsigned long fault_delay_us; /* testing: sleep per scored text */
    unsigned long batch_max;      /* 0: the model's senti_model_batch_hint; 1: no queue */
    double batch_wait;
    unsigned long batch_workers;  /* 0: one per core */
    int batch_wait_always;
    const char *model_map;        /* auto, on or off (NULL: auto) */
    int no_ui;                    /* --no-ui: no web page at / */
    cli_model_args model;
} serve_config;

/* ---- model generations -------------------------------------------------------------- */

/* One loaded model. Requests hold a reference for their whole life, so a reload (which
 * swaps in a new generation) never frees a model under a request; the last release frees
 * it. Scoring contexts are pooled per generation: taken per request, given back after. */
typedef struct serve_model {
    senti_model *m;
    int mapped;               /* its file is mapped, not read (--model-map) */
    int refs;                 /* atomic */
    unsigned generation;
    uint64_t cache_id;        /* digest + options: cache keys of this model */
    double loaded_at;         /* unix seconds */
    char digest[33];          /* XXH3-128 of the model's bytes (file, embedded or lexicons) */
    char *name_json;          /* the model name as a JSON string, quotes included */
    const char *name;
    const char *version;
    pthread_mutex_t pool_lock;
    senti_ctx **pool;
    size_t npool, cap;
} serve_model;

int serve_model_open(const serve_config *cfg, unsigned generation, serve_model **out, char *err,
                     size_t errsz);
void serve_model_release(serve_model *sm);
senti_ctx *serve_model_ctx_get(serve_model *sm);
void serve_model_ctx_put(serve_model *sm, senti_ctx *ctx);

/* ---- routes -------------------------------------------------------------------------- */

enum {
    RT_SENTIMENT,
    RT_BATCH,
    RT_MODELS,
    RT_HEALTHZ,
    RT_READYZ,
    RT_METRICS,
    RT_EXPLAIN,
    RT_STATS,
    RT_UI,      /* the web page's files (web.c) */
    RT_OTHER,
    RT_N
};
extern const char *const serve_route_names[RT_N];

/* ---- the server ----------------------------------------------------------------------- */

typedef struct sconn sconn;
typedef struct redis_pool redis_pool;

typedef struct server {
    serve_config cfg;
    struct MHD_Daemon *daemon;
    int listen_fd;      /* ours to close: before the daemon starts, and once it is quiesced */
    int port;
    double start_time;

    pthread_mutex_t model_lock;
    serve_model *model; /* current generation, under model_lock */
    unsigned generation;

    cache *cache;
    ratelimit *rl;
    connlimit *connlimit; /* connections per client; NULL: no limit */
    redis_pool *redis;
    char **trusted;     /* trusted proxy addresses, NULL-terminated */
    int draining;       /* atomic */

    pthread_mutex_t conns_lock;
    sconn *conns;

    /* counters (relaxed atomics) */
    uint64_t inflight;          /* requests between first byte handled and completion */
    uint64_t limited_inflight;  /* the same, for routes under --max-inflight */
    uint64_t connections;
    uint64_t requests[RT_N][600];
    hist latency[RT_N];
    hist predict_latency;
    hist batch_size;
    batcher *batcher;           /* NULL: texts are scored on the HTTP thread that read them */
    unsigned long batch_max;    /* the effective --batch-max */
    hist model_batch;           /* texts per model call from the queue */
    hist queue_wait;            /* seconds a text waited in the queue */
    uint64_t queue_expired;     /* texts whose deadline passed while queued */
    uint64_t texts_scored, rate_limited, overloaded, aborted, timeouts_request, timeouts_idle;
    uint64_t reloads_ok, reloads_failed;
    uint64_t refused_client;    /* connections closed at once: client at --max-client-connections */
} server;

serve_model *serve_model_acquire(server *S);

/* http.c */
int serve_http_start(server *S, char *err, size_t errsz);
void serve_reap(server *S);      /* cut connections past their deadline (main loop) */
void serve_http_quiesce(server *S); /* drain: stop accepting (new connections refused) */
void serve_http_stop(server *S);

/* stats.c */
void serve_metrics_render(server *S, sbuf *b);
/* GET /v1/stats: the counters the web page charts, as one JSON object. */
void serve_stats_json(server *S, sbuf *b);

/* redis.c: NULL url -> 0 and *out = NULL */
int redis_pool_new(const char *url, double timeout, double ttl, redis_pool **out, char *err,
                   size_t errsz);
void redis_pool_free(redis_pool *p);
/* On a hit, appends the value to out and returns 1; 0 on a miss or when Redis is down. */
int redis_get(redis_pool *p, const serve_model *sm, const char *text, size_t len, sbuf *out);
void redis_put(redis_pool *p, const serve_model *sm, const char *text, size_t len,
               const char *val, size_t vlen);
void redis_render_metrics(redis_pool *p, sbuf *b);

/* The senti-serve program (src/serve/main.c); `senti serve ARGS` runs it. */
int cmd_serve(int argc, char **argv);

#endif
