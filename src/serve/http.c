/*
 * http.c - the HTTP side of `senti serve`, on libmicrohttpd.
 *
 * DESIGN
 *
 * Threads. libmicrohttpd runs a pool of --threads event-loop threads (epoll, one per core by
 * default), all accepting from one listening socket. With a linear or VADER model a request is
 * scored on the thread that read it, inline: one prediction costs about a microsecond, far
 * less than handing work to another thread would. A model that runs much faster per text in
 * batches (a transformer: milliseconds a text; senti_model_batch_hint > 1) or --batch-max > 1
 * puts a queue in front of the model instead (batcher.c): a /v1/sentiment text that misses the
 * cache is submitted as a job and its connection suspended (MHD_suspend_connection, so the
 * event loop goes on with other connections); the worker that scored it resumes the
 * connection, and libmicrohttpd calls on_request once more, which sends the answer. The
 * in-flight limit (--max-inflight) bounds everything: a request over it is refused with 503 at
 * once instead of waiting. Batch requests are bounded by --max-batch and --max-body and check
 * the request deadline as they go (504 when it has passed).
 *
 * A request's life. The access handler is called once when the headers are in (route,
 * method, rate limit, in-flight limit, content type and declared length are checked then,
 * and an error is answered before any body is read), then once per piece of body (appended
 * to a buffer bounded by --max-body), then once more at the end (parse, score, answer).
 * The completion callback records metrics and writes the access log line.
 *
 * Deadlines. libmicrohttpd only knows an idle timeout, which a client sending one byte per
 * second never reaches. So every connection carries a deadline: --request-timeout from its
 * accept or from the start of a request, --idle-timeout after a response. The main thread
 * (serve_reap, 10 times a second) shuts down the socket of any connection past its
 * deadline; libmicrohttpd then sees the connection fail and closes it on its own thread.
 * The registry lock is held across shutdown(), and the close notification takes that lock
 * before libmicrohttpd closes the descriptor, so the descriptor shut down is always the
 * connection's own.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <jansson.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include "serve/api.h"
#include "serve/log.h"
#include "serve/serve.h"
#include "serve/web.h"

#define ADD(p, v) __atomic_fetch_add(&(p), (v), __ATOMIC_RELAXED)
#define SUB(p, v) __atomic_fetch_sub(&(p), (v), __ATOMIC_RELAXED)
#define LOAD(p) __atomic_load_n(&(p), __ATOMIC_RELAXED)
#define STORE(p, v) __atomic_store_n(&(p), (v), __ATOMIC_RELAXED)

const char *const serve_route_names[RT_N] = {"/v1/sentiment", "/v1/sentiment/batch", "/v1/models",
                                             "/healthz", "/readyz", "/metrics", "/v1/explain",
                                             "/v1/stats", "ui", "other"};
/* POST routes take a JSON body; the others are GET (and HEAD). Exempt routes bypass the
 * rate limit and the in-flight limit, so that probes, scrapes and the page's own files work
 * under overload (what the page calls, the scoring routes, is limited as for any client). */
static const int route_post[RT_N] = {1, 1, 0, 0, 0, 0, 1, 0, 0, 0};
static const int route_exempt[RT_N] = {0, 0, 0, 1, 1, 1, 0, 1, 1, 1};

struct sconn {
    sconn *prev, *next;
    int fd;
    int trusted;      /* peer is a trusted proxy: its client header is believed */
    int busy;         /* atomic: scoring; the reaper leaves it alone */
    int in_request;   /* atomic */
    int cut;          /* atomic: shut down by the reaper */
    uint64_t done;    /* atomic: requests completed on this connection */
    uint64_t deadline; /* atomic, monotonic ns */
    char peer[48];
    int counted;      /* counted under owner against --max-client-connections */
    char owner[64];
};

typedef struct req {
    sconn *conn;
    int route;
    int status;
    int counted; /* holds an in-flight slot */
    int too_large;
    int head;
    int has_body;
    int close;  /* answer with Connection: close (libmicrohttpd then closes after it) */
    uint64_t t0, deadline;
    size_t out_bytes;
    const char *cache; /* hit, miss, partial, off, or NULL */
    const char *why;   /* why the connection was closed without an answer */
    unsigned n_texts;
    int queued;      /* pend was submitted to the batcher: the connection waits suspended */
    api_pending pend;
    struct MHD_Connection *mhd;
    sbuf body;       /* the request body as it arrives */
    size_t received; /* its bytes, kept or (past --max-body) discarded */
    char id[68];
    char client[64];
    char method[8];
    char path[128];
} req;

/* ---- responses ------------------------------------------------------------------------- */

static enum MHD_Result queue(server *S, struct MHD_Connection *c, req *r, int status,
                             const char *ctype, char *body, size_t len, const char *h1,
                             const char *v1) {
    /* bodies come from the base layer's buffer: libmicrohttpd frees them with senti__free */
    struct MHD_Response *resp = MHD_create_response_from_buffer_with_free_callback(len, body, senti__free);
    if (!resp) {
        senti__free(body);
        return MHD_NO;
    }
    MHD_add_response_header(resp, "Content-Type", ctype);
    MHD_add_response_header(resp, "X-Request-Id", r->id);
    if (h1) MHD_add_response_header(resp, h1, v1);
    if (r->close || LOAD(S->draining)) MHD_add_response_header(resp, "Connection", "close");
    enum MHD_Result ret = MHD_queue_response(c, (unsigned)status, resp);
    MHD_destroy_response(resp);
    r->status = status;
    r->out_bytes = len;
    return ret;
}

static enum MHD_Result queue_json(server *S, struct MHD_Connection *c, req *r, int status,
                                  sbuf *b, const char *h1, const char *v1) {
    size_t len = b->len;
    char *body = sb_take(b);
    if (!body) {
        static const char oom[] = "{\"error\":{\"code\":\"internal\",\"message\":\"out of memory\"}}";
        body = senti__strdup(oom);
        if (!body) return MHD_NO;
        status = 500;
        len = sizeof oom - 1;
    }
    return queue(S, c, r, status, "application/json", body, len, h1, v1);
}

static enum MHD_Result error_h(server *S, struct MHD_Connection *c, req *r, int status,
                               const char *code, const char *msg, const char *h1, const char *v1) {
    api_reply rep = {0};
    api_error(&rep, status, code, msg);
    return queue_json(S, c, r, status, &rep.body, h1, v1);
}

static enum MHD_Result error(server *S, struct MHD_Connection *c, req *r, int status,
                             const char *code, const char *msg) {
    return error_h(S, c, r, status, code, msg, NULL, NULL);
}

/* Send what a handler of api.c produced. */
static enum MHD_Result reply(server *S, struct MHD_Connection *c, req *r, api_reply *rep) {
    r->cache = rep->cache;
    r->n_texts = rep->n_texts;
    return queue_json(S, c, r, rep->status, &rep->body, NULL, NULL);
}

/* ---- GET routes -------------------------------------------------------------------------- */

/* A file of the web page (web.c): 304 when the browser's copy is current. */
static enum MHD_Result do_ui(server *S, struct MHD_Connection *c, req *r) {
    const web_asset *a = web_find(r->path);
    if (!a) return error(S, c, r, 404, "not_found", "no such route");
    int fresh = web_etag_matches(a, MHD_lookup_connection_value(c, MHD_HEADER_KIND, "If-None-Match"));
    int status = fresh ? 304 : 200;
    struct MHD_Response *resp =
        MHD_create_response_from_buffer(fresh ? 0 : a->len, (void *)a->data, MHD_RESPMEM_PERSISTENT);
    if (!resp) return MHD_NO;
    if (!fresh) MHD_add_response_header(resp, "Content-Type", a->type);
    MHD_add_response_header(resp, "ETag", a->etag);
    MHD_add_response_header(resp, "Cache-Control", "no-cache");
    MHD_add_response_header(resp, "Content-Security-Policy", web_csp);
    MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
    MHD_add_response_header(resp, "Referrer-Policy", "no-referrer");
    MHD_add_response_header(resp, "X-Request-Id", r->id);
    if (r->close || LOAD(S->draining)) MHD_add_response_header(resp, "Connection", "close");
    enum MHD_Result ret = MHD_queue_response(c, (unsigned)status, resp);
    MHD_destroy_response(resp);
    r->status = status;
    r->out_bytes = fresh ? 0 : a->len;
    return ret;
}

static enum MHD_Result do_models(server *S, struct MHD_Connection *c, req *r) {
    serve_model *sm = serve_model_acquire(S);
    const senti_model *m = sm->m;
    sbuf b = {0};
    sb_str(&b, "{\"models\":[{\"name\":");
    sb_str(&b, sm->name_json);
    sb_str(&b, ",\"kind\":");
    sb_json_str(&b, senti_model_kind(m), strlen(senti_model_kind(m)));
    sb_str(&b, ",\"version\":");
    sb_json_str(&b, sm->version, strlen(sm->version));
    sb_printf(&b, ",\"digest\":\"%s\",\"generation\":%u,\"loaded_at\":", sm->digest, sm->generation);
    sb_double(&b, sm->loaded_at);
    const char *spec = S->cfg.model.spec ? S->cfg.model.spec : "default";
    sb_str(&b, ",\"spec\":");
    sb_json_str(&b, spec, strlen(spec));
    sb_str(&b, ",\"labels\":[");
    for (int i = 0; i < senti_model_n_classes(m); i++) {
        const char *l = senti_model_label(m, i);
        if (i) sb_put(&b, ",", 1);
        sb_json_str(&b, l, strlen(l));
    }
    sb_str(&b, "],\"values\":[");
    for (int i = 0; i < senti_model_n_values(m); i++) {
        const char *l = senti_model_value_name(m, i);
        if (i) sb_put(&b, ",", 1);
        sb_json_str(&b, l, strlen(l));
    }
    sb_str(&b, "],\"card\":{");
    for (int i = 0; i < senti_model_meta_count(m); i++) {
        const char *k = senti_model_meta_key(m, i), *v = senti_model_meta(m, k);
        if (i) sb_put(&b, ",", 1);
        sb_json_str(&b, k, strlen(k));
        sb_put(&b, ":", 1);
        sb_json_str(&b, v ? v : "", v ? strlen(v) : 0);
    }
    sb_str(&b, "}}]}");
    serve_model_release(sm);
    return queue_json(S, c, r, 200, &b, NULL, NULL);
}

static enum MHD_Result do_get(server *S, struct MHD_Connection *c, req *r) {
    sbuf b = {0};
    switch (r->route) {
    case RT_MODELS: return do_models(S, c, r);
    case RT_UI: return do_ui(S, c, r);
    case RT_STATS:
        serve_stats_json(S, &b);
        return queue_json(S, c, r, 200, &b, "Cache-Control", "no-store");
    case RT_HEALTHZ:
        sb_str(&b, "{\"status\":\"ok\"}");
        return queue_json(S, c, r, 200, &b, NULL, NULL);
    case RT_READYZ:
        if (LOAD(S->draining))
            return error_h(S, c, r, 503, "not_ready", "shutting down", "Retry-After", "1");
        sb_str(&b, "{\"status\":\"ready\"}");
        return queue_json(S, c, r, 200, &b, NULL, NULL);
    case RT_METRICS: {
        serve_metrics_render(S, &b);
        size_t len = b.len;
        char *body = sb_take(&b);
        if (!body) return error(S, c, r, 500, "internal", "out of memory");
        return queue(S, c, r, 200, "text/plain; version=0.0.4; charset=utf-8", body, len, NULL, NULL);
    }
    }
    return error(S, c, r, 404, "not_found", "no such route");
}

/* ---- the access handler ---------------------------------------------------------------------- */

static int route_of(const server *S, const char *url) {
    for (int i = 0; i < RT_UI; i++)
        if (!strcmp(url, serve_route_names[i])) return i;
    if (!S->cfg.no_ui && web_find(url)) return RT_UI;
    return RT_OTHER;
}

/* A request id from the client's X-Request-Id if it is short and plain, else a new one. */
static void request_id(struct MHD_Connection *c, char *out, size_t size) {
    static uint64_t counter;
    static uint32_t prefix;
    const char *h = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "X-Request-Id");
    if (h) {
        size_t n = strlen(h), k = 0;
        while (k < n && ((h[k] >= 'a' && h[k] <= 'z') || (h[k] >= 'A' && h[k] <= 'Z') ||
                         (h[k] >= '0' && h[k] <= '9') || h[k] == '-' || h[k] == '_' || h[k] == '.'))
            k++;
        if (n && k == n && n < size && n <= 64) {
            memcpy(out, h, n + 1);
            return;
        }
    }
    uint32_t p = __atomic_load_n(&prefix, __ATOMIC_RELAXED);
    if (!p) {
        uint32_t v = (uint32_t)(now_ns() ^ ((uint64_t)getpid() << 16)) | 1u;
        __atomic_compare_exchange_n(&prefix, &p, v, 0, __ATOMIC_RELAXED, __ATOMIC_RELAXED);
        p = __atomic_load_n(&prefix, __ATOMIC_RELAXED);
    }
    snprintf(out, size, "%08x%012llx", p,
             (unsigned long long)(__atomic_add_fetch(&counter, 1, __ATOMIC_RELAXED) & 0xffffffffffffull));
}

/* The client of a request: the peer address, or what a trusted proxy says in its header
 * (the last element of a comma-separated list: the address the nearest proxy saw). */
static void client_of(server *S, struct MHD_Connection *c, req *r) {
    sconn *k = r->conn;
    snprintf(r->client, sizeof r->client, "%s", k ? k->peer : "unknown");
    if (!S->cfg.proxy_header || !k || !k->trusted) return;
    const char *h = MHD_lookup_connection_value(c, MHD_HEADER_KIND, S->cfg.proxy_header);
    if (!h) return;
    const char *last = strrchr(h, ',');
    last = last ? last + 1 : h;
    while (*last == ' ' || *last == '\t') last++;
    size_t n = strcspn(last, " \t");
    if (n == 0 || n >= sizeof r->client) return;
    memcpy(r->client, last, n);
    r->client[n] = 0;
}

/* Headers are in: decide whether this request goes on. Returns 1 when an answer was queued
 * (or must be: *ret), 0 to go on. */
static int admit(server *S, struct MHD_Connection *c, req *r, const char *method,
                 enum MHD_Result *ret) {
    int post = !strcmp(method, "POST");
    int get = !strcmp(method, "GET") || (r->head = !strcmp(method, "HEAD"));
    if (r->route == RT_OTHER) {
        *ret = error(S, c, r, 404, "not_found", "no such route; see GET /v1/models, POST /v1/sentiment");
        return 1;
    }
    if (route_post[r->route] ? !post : !get) {
        char msg[96];
        snprintf(msg, sizeof msg, "%s expects %s", serve_route_names[r->route],
                 route_post[r->route] ? "POST" : "GET");
        *ret = error_h(S, c, r, 405, "method_not_allowed", msg, "Allow",
                       route_post[r->route] ? "POST" : "GET, HEAD");
        return 1;
    }
    if (route_exempt[r->route]) return 0;
    if (S->rl) {
        double wait = 1;
        if (!rl_take(S->rl, r->client, r->t0, &wait)) {
            ADD(S->rate_limited, 1);
            char ra[32];
            snprintf(ra, sizeof ra, "%lld", (long long)(wait + 0.999));
            if (!strcmp(ra, "0")) strcpy(ra, "1");
            *ret = error_h(S, c, r, 429, "rate_limited", "too many requests from this client",
                           "Retry-After", ra);
            return 1;
        }
    }
    r->counted = 1;
    if (ADD(S->limited_inflight, 1) + 1 > S->cfg.max_inflight) {
        ADD(S->overloaded, 1);
        *ret = error_h(S, c, r, 503, "overloaded", "too many requests in flight; retry shortly",
                       "Retry-After", "1");
        return 1;
    }
    if (!route_post[r->route]) return 0;
    if (!api_is_json_type(MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Content-Type"))) {
        *ret = error(S, c, r, 415, "unsupported_media_type",
                     "the body must be JSON, sent with Content-Type: application/json");
        return 1;
    }
    const char *cl = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Content-Length");
    if (cl) {
        char *end;
        errno = 0;
        unsigned long long v = strtoull(cl, &end, 10);
        if (errno || end == cl || v > (unsigned long long)S->cfg.max_body) {
            char msg[96];
            snprintf(msg, sizeof msg, "the body is larger than %lld bytes (--max-body)", S->cfg.max_body);
            *ret = error(S, c, r, 413, "payload_too_large", msg);
            return 1;
        }
        if (v && senti__buf_reserve(&r->body, (size_t)v)) {
            *ret = error(S, c, r, 503, "overloaded", "out of memory");
            return 1;
        }
    }
    return 0;
}

static enum MHD_Result framing_header(void *cls, enum MHD_ValueKind kind, const char *key,
                                      const char *value) {
    (void)kind;
    api_framing_add(cls, key, value);
    return MHD_YES;
}

/* A request whose length a proxy in front could read differently (api.h) is refused before
 * its body is read, and the connection is closed after the answer, so that no byte after
 * the headers is taken for another request. Returns 1 when refused (answer in *ret). */
static int framing_refused(server *S, struct MHD_Connection *c, req *r, const char *version,
                           enum MHD_Result *ret) {
    api_framing f = {0};
    MHD_get_connection_values(c, MHD_HEADER_KIND, framing_header, &f);
    const char *code, *msg;
    int status = api_framing_check(&f, version && !strcmp(version, MHD_HTTP_VERSION_1_0), &code, &msg);
    if (!status) return 0;
    r->close = 1;
    *ret = error(S, c, r, status, code, msg);
    return 1;
}

static int counted_at_accept(server *S, const char *peer);
static int count_conn(server *S, sconn *k, const char *client);

/* A trusted proxy's connection is counted under the client its request comes from; over the
 * limit, the request gets 429 and the connection is closed. Returns 1 when refused. */
static int attribute_client(server *S, struct MHD_Connection *c, req *r, enum MHD_Result *ret) {
    sconn *k = r->conn;
    if (!S->connlimit || !k || counted_at_accept(S, k->peer) ||
        (k->counted && !strcmp(k->owner, r->client)))
        return 0;
    if (count_conn(S, k, r->client)) return 0;
    r->close = 1;
    *ret = error_h(S, c, r, 429, "too_many_connections",
                   "this client has --max-client-connections open already", "Retry-After", "1");
    return 1;
}

/* The batcher is done with a request's text (on a worker thread): render and cache the
 * result there, then let libmicrohttpd call on_request again for the answer. */
static void job_done(bjob *j) {
    req *r = (req *)(void *)((char *)j - offsetof(req, pend));
    api_pending_scored(&r->pend);
    MHD_resume_connection(r->mhd);
}

/* POST /v1/sentiment with a batcher: the first call answers from the cache or queues the
 * text, suspending the connection (before the job is submitted, so that a worker never
 * resumes a connection not yet suspended); the call after the resume answers. */
static enum MHD_Result sentiment_queued(server *S, struct MHD_Connection *c, req *r) {
    api_reply rep = {0};
    if (r->queued) {
        r->queued = 0;
        api_sentiment_end(&r->pend, &rep);
    } else {
        r->pend.job.done = job_done;
        if (api_sentiment_start(S, r->body.p, r->body.len, r->deadline, &rep, &r->pend)) {
            r->queued = 1;
            r->mhd = c;
            MHD_suspend_connection(c);
            batcher_submit(S->batcher, &r->pend.job);
            return MHD_YES;
        }
    }
    enum MHD_Result ret = reply(S, c, r, &rep);
    if (r->conn) STORE(r->conn->busy, 0);
    return ret;
}

static sconn *conn_of(struct MHD_Connection *c) {
    const union MHD_ConnectionInfo *ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
    return ci ? (sconn *)ci->socket_context : NULL;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
                                  const char *method, const char *version, const char *upload,
                                  size_t *upload_size, void **con_cls) {
    server *S = cls;
    req *r = *con_cls;
    if (!r) {
        r = calloc(1, sizeof *r);
        if (!r) return MHD_NO;
        *con_cls = r;
        r->t0 = now_ns();
        r->deadline = r->t0 + (uint64_t)(S->cfg.request_timeout * 1e9);
        r->route = route_of(S, url);
        r->conn = conn_of(c);
        snprintf(r->method, sizeof r->method, "%s", method);
        snprintf(r->path, sizeof r->path, "%s", url);
        ADD(S->inflight, 1);
        if (r->conn) {
            STORE(r->conn->in_request, 1);
            STORE(r->conn->deadline, r->deadline);
        }
        request_id(c, r->id, sizeof r->id);
        client_of(S, c, r);
        enum MHD_Result ret = MHD_YES;
        if (framing_refused(S, c, r, version, &ret) || attribute_client(S, c, r, &ret)) return ret;
        /* With a body coming, decide now, so that a refused body is never read (libmicrohttpd
         * then closes the connection after the answer). Without one, answer on the next call:
         * an answer queued before that would also close the connection, losing keep-alive. */
        const char *cl = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Content-Length");
        r->has_body = (cl && strcmp(cl, "0")) ||
                      MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Transfer-Encoding");
        if (!r->has_body) return MHD_YES;
        if (admit(S, c, r, method, &ret)) return ret;
        return MHD_YES;
    }
    if (*upload_size) {
        size_t n = *upload_size;
        *upload_size = 0;
        if (r->too_large) {
            /* Discard the rest and answer 413 at the end, so that the client hears why; but a
             * body that goes on past twice the limit is not worth reading: close instead. */
            r->received += n;
            if (r->received <= 2 * (size_t)S->cfg.max_body) return MHD_YES;
            r->why = "body over twice --max-body: closed";
            return MHD_NO;
        }
        r->received += n;
        if (r->received > (size_t)S->cfg.max_body) {
            r->too_large = 1;
            senti__buf_free(&r->body);
            return MHD_YES;
        }
        return senti__buf_add(&r->body, upload, n) ? MHD_NO : MHD_YES;
    }
    if (r->status) return MHD_YES; /* already answered */
    if (r->queued) return sentiment_queued(S, c, r); /* resumed: the batcher is done with it */
    if (!r->has_body) {
        enum MHD_Result ret = MHD_YES;
        if (admit(S, c, r, method, &ret)) return ret;
    }
    if (r->too_large) {
        char msg[96];
        snprintf(msg, sizeof msg, "the body is larger than %lld bytes (--max-body)", S->cfg.max_body);
        return error(S, c, r, 413, "payload_too_large", msg);
    }
    if (!route_post[r->route]) return do_get(S, c, r); /* a GET body is read and ignored */
    if (now_ns() > r->deadline)
        return error(S, c, r, 504, "timeout", "the request took longer than --request-timeout");
    if (r->conn) STORE(r->conn->busy, 1);
    api_reply rep = {0};
    if (r->route == RT_SENTIMENT && S->batcher) return sentiment_queued(S, c, r);
    if (r->route == RT_SENTIMENT) api_sentiment(S, r->body.p, r->body.len, &rep);
    else if (r->route == RT_EXPLAIN) api_explain(S, r->body.p, r->body.len, &rep);
    else api_batch(S, r->body.p, r->body.len, r->deadline, &rep);
    enum MHD_Result ret = reply(S, c, r, &rep);
    if (r->conn) STORE(r->conn->busy, 0);
    return ret;
}

static void access_log(server *S, req *r, double secs, const char *outcome) {
    (void)S;
    /* Every piece is bounded (path 127, client 63, id 67, method 7 bytes, escaped at most 6x
     * each), so the members fit this buffer; it is a fixed one, so a piece that ever did not
     * would leave the line out (oom) rather than grow a stack array. */
    char members[2048];
    sbuf m = senti__buf_fixed(members, sizeof members);
    sb_str(&m, ",\"method\":");
    sb_json_str(&m, r->method, strlen(r->method));
    sb_str(&m, ",\"path\":");
    sb_json_str(&m, r->path, strlen(r->path));
    sb_printf(&m, ",\"status\":%d,\"bytes\":%zu,\"duration_us\":%llu", r->status, r->out_bytes,
              (unsigned long long)(secs * 1e6));
    if (r->cache) sb_printf(&m, ",\"cache\":\"%s\"", r->cache);
    if (r->n_texts) sb_printf(&m, ",\"texts\":%u", r->n_texts);
    sb_str(&m, ",\"client\":");
    sb_json_str(&m, r->client, strlen(r->client));
    sb_str(&m, ",\"request_id\":");
    sb_json_str(&m, r->id, strlen(r->id));
    if (outcome) sb_printf(&m, ",\"outcome\":\"%s\"", outcome);
    if (!m.oom) slog_write(r->status >= 500 || !r->status ? SLOG_WARN : SLOG_INFO, "request", m.p, m.len);
}

static void on_completed(void *cls, struct MHD_Connection *c, void **con_cls,
                         enum MHD_RequestTerminationCode toe) {
    (void)c;
    server *S = cls;
    req *r = *con_cls;
    if (!r) return;
    uint64_t t1 = now_ns();
    double secs = (double)(t1 - r->t0) * 1e-9;
    const char *outcome = NULL;
    if (r->status) {
        ADD(S->requests[r->route][r->status < 600 && r->status >= 100 ? r->status : 599], 1);
        hist_observe(&S->latency[r->route], secs);
    }
    if (toe != MHD_REQUEST_TERMINATED_COMPLETED_OK) {
        ADD(S->aborted, 1);
        outcome = r->why ? r->why
                  : toe == MHD_REQUEST_TERMINATED_TIMEOUT_REACHED ? "timeout"
                  : toe == MHD_REQUEST_TERMINATED_DAEMON_SHUTDOWN ? "shutdown"
                  : r->conn && LOAD(r->conn->cut) ? "cut at deadline"
                  : "connection closed";
    }
    /* the access log is at level info; failures (5xx, cut connections) are logged at warn
     * even with --access-log off */
    int bad = r->status >= 500 || !r->status;
    if ((S->cfg.access_log && slog_enabled(SLOG_INFO)) || (bad && slog_enabled(SLOG_WARN)))
        access_log(S, r, secs, outcome);
    api_pending_release(&r->pend);
    if (r->counted) SUB(S->limited_inflight, 1);
    if (r->conn) {
        ADD(r->conn->done, 1);
        STORE(r->conn->in_request, 0);
        STORE(r->conn->deadline, t1 + (uint64_t)(S->cfg.idle_timeout * 1e9));
    }
    SUB(S->inflight, 1);
    sb_free(&r->body);
    free(r);
    *con_cls = NULL;
}

/* ---- connections --------------------------------------------------------------------------- */

static int peer_trusted(server *S, const char *peer) {
    for (char **t = S->trusted; t && *t; t++)
        if (!strcmp(*t, peer)) return 1;
    return 0;
}

/* A connection is counted against --max-client-connections under its peer address from
 * the start, unless the peer is a trusted proxy whose header names the client: then it is
 * counted under that client when a request comes (attribute_client). */
static int counted_at_accept(server *S, const char *peer) {
    return S->connlimit && !(S->cfg.proxy_header && peer_trusted(S, peer));
}

static void peer_string(const struct sockaddr *sa, char *out, size_t size) {
    snprintf(out, size, "unknown");
    if (!sa) return;
    if (sa->sa_family == AF_INET) {
        inet_ntop(AF_INET, &((const struct sockaddr_in *)sa)->sin_addr, out, (socklen_t)size);
    } else if (sa->sa_family == AF_INET6) {
        const struct in6_addr *a = &((const struct sockaddr_in6 *)sa)->sin6_addr;
        if (IN6_IS_ADDR_V4MAPPED(a)) inet_ntop(AF_INET, &a->s6_addr[12], out, (socklen_t)size);
        else inet_ntop(AF_INET6, a, out, (socklen_t)size);
    }
}

/* libmicrohttpd's accept policy: a client at its connection limit is closed at once, before
 * it takes a slot of --max-connections. */
static enum MHD_Result on_accept(void *cls, const struct sockaddr *addr, socklen_t len) {
    (void)len;
    server *S = cls;
    char peer[48];
    peer_string(addr, peer, sizeof peer);
    if (!counted_at_accept(S, peer) || connlimit_room(S->connlimit, peer)) return MHD_YES;
    ADD(S->refused_client, 1);
    return MHD_NO;
}

/* Count k under client; 0 if the client is at its limit (k is then counted nowhere). */
static int count_conn(server *S, sconn *k, const char *client) {
    if (k->counted) connlimit_give(S->connlimit, k->owner);
    k->counted = 0;
    snprintf(k->owner, sizeof k->owner, "%s", client);
    if (connlimit_take(S->connlimit, client, &k->counted)) return 1;
    ADD(S->refused_client, 1);
    return 0;
}

static void on_connection(void *cls, struct MHD_Connection *c, void **socket_context,
                          enum MHD_ConnectionNotificationCode code) {
    server *S = cls;
    if (code == MHD_CONNECTION_NOTIFY_STARTED) {
        sconn *k = calloc(1, sizeof *k);
        if (!k) return; /* works without: no client address, no deadline, not counted */
        const union MHD_ConnectionInfo *ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);
        k->fd = ci ? ci->connect_fd : -1;
        ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
        peer_string(ci ? ci->client_addr : NULL, k->peer, sizeof k->peer);
        k->trusted = peer_trusted(S, k->peer);
        k->deadline = now_ns() + (uint64_t)(S->cfg.request_timeout * 1e9);
        /* on_accept checked for room; another thread may have taken it since: cut */
        if (counted_at_accept(S, k->peer) && !count_conn(S, k, k->peer) && k->fd >= 0) {
            shutdown(k->fd, SHUT_RDWR);
            k->cut = 1;
        }
        pthread_mutex_lock(&S->conns_lock);
        k->next = S->conns;
        if (S->conns) S->conns->prev = k;
        S->conns = k;
        pthread_mutex_unlock(&S->conns_lock);
        ADD(S->connections, 1);
        *socket_context = k;
    } else if (code == MHD_CONNECTION_NOTIFY_CLOSED) {
        sconn *k = *socket_context;
        if (!k) return;
        pthread_mutex_lock(&S->conns_lock);
        if (k->prev) k->prev->next = k->next;
        else S->conns = k->next;
        if (k->next) k->next->prev = k->prev;
        pthread_mutex_unlock(&S->conns_lock);
        if (k->counted) connlimit_give(S->connlimit, k->owner);
        SUB(S->connections, 1);
        free(k);
        *socket_context = NULL;
    }
}

void serve_reap(server *S) {
    uint64_t now = now_ns();
    pthread_mutex_lock(&S->conns_lock);
    for (sconn *k = S->conns; k; k = k->next) {
        if (LOAD(k->cut) || k->fd < 0 || LOAD(k->busy)) continue;
        int idle = !LOAD(k->in_request) && LOAD(k->done) > 0;
        /* Not even while draining is an idle keep-alive connection closed before its deadline:
         * its client may be sending a request at this very moment, which would be lost. It
         * is told with "Connection: close" on its next answer (libmicrohttpd then closes it),
         * or reaches --idle-timeout as ever. */
        if (LOAD(k->deadline) < now) {
            shutdown(k->fd, SHUT_RDWR);
            STORE(k->cut, 1);
            if (idle) ADD(S->timeouts_idle, 1);
            else ADD(S->timeouts_request, 1);
            if (!idle) slog_s(SLOG_WARN, "connection cut: request not complete within --request-timeout", "client", k->peer);
        }
    }
    pthread_mutex_unlock(&S->conns_lock);
    batcher_expire(S->batcher, now); /* texts whose deadline passed while queued: 504 */
}

/* ---- the daemon ------------------------------------------------------------------------------ */

static void mhd_log(void *cls, const char *fmt, va_list ap) {
    (void)cls;
    char msg[512];
    vsnprintf(msg, sizeof msg, fmt, ap);
    size_t n = strlen(msg);
    while (n && (msg[n - 1] == '\n' || msg[n - 1] == ' ')) msg[--n] = 0;
    slog_s(SLOG_DEBUG, "libmicrohttpd", "detail", msg);
}

int serve_http_start(server *S, char *err, size_t errsz) {
    unsigned flags = MHD_USE_EPOLL_INTERNAL_THREAD | MHD_USE_ITC | MHD_USE_ERROR_LOG | MHD_USE_TURBO;
    if (S->batcher) flags |= MHD_ALLOW_SUSPEND_RESUME; /* connections wait suspended while queued */
    unsigned idle = (unsigned)(S->cfg.idle_timeout + 0.999);
    if (idle == 0) idle = 1;
    /* the logger first, so that option warnings go through it too */
    struct MHD_OptionItem opts[] = {
        {MHD_OPTION_EXTERNAL_LOGGER, (intptr_t)&mhd_log, S},
        {MHD_OPTION_LISTEN_SOCKET, S->listen_fd, NULL},
        {MHD_OPTION_CONNECTION_LIMIT, (intptr_t)S->cfg.max_connections, NULL},
        {MHD_OPTION_CONNECTION_TIMEOUT, (intptr_t)idle, NULL},
        {MHD_OPTION_NOTIFY_COMPLETED, (intptr_t)&on_completed, S},
        {MHD_OPTION_NOTIFY_CONNECTION, (intptr_t)&on_connection, S},
        /* HTTP/1.1 without Host and spaces in the URL are refused by libmicrohttpd (400);
         * the framing headers are checked by framing_refused (this version's strict mode
         * does not look at them) */
        {MHD_OPTION_STRICT_FOR_CLIENT, 1, NULL},
        {MHD_OPTION_END, 0, NULL}, /* room for the thread pool */
        {MHD_OPTION_END, 0, NULL},
    };
    if (S->cfg.threads > 1)
        opts[7] = (struct MHD_OptionItem){MHD_OPTION_THREAD_POOL_SIZE, (intptr_t)S->cfg.threads, NULL};
    S->daemon = MHD_start_daemon(flags, 0, &on_accept, S, &on_request, S, MHD_OPTION_ARRAY, opts,
                                 MHD_OPTION_END);
    if (!S->daemon) {
        snprintf(err, errsz, "libmicrohttpd could not start (threads %lu, connections %lu)",
                 S->cfg.threads, S->cfg.max_connections);
        return -1;
    }
    S->listen_fd = -1; /* the daemon's now: it closes it when stopped (unless quiesced) */
    return 0;
}

/* Stop accepting, without dropping a connection the kernel has already accepted for us:
 * libmicrohttpd stops taking connections from the listening socket, the ones waiting in its
 * backlog are handed to the daemon, and then the socket stops listening (shutdown: new
 * connections are refused from now on). The descriptor stays open until the daemon is
 * stopped, as libmicrohttpd asks, so that its number is not reused under a thread that may
 * still look at it. */
void serve_http_quiesce(server *S) {
    if (!S->daemon) return;
    MHD_socket fd = MHD_quiesce_daemon(S->daemon);
    if (fd == MHD_INVALID_SOCKET) return;
    S->listen_fd = fd;
    for (int n = 0; n < 100000; n++) {
        struct sockaddr_storage ss;
        socklen_t sl = sizeof ss;
        int c = accept4(fd, (struct sockaddr *)&ss, &sl, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (c < 0 && errno == EINTR) continue;
        if (c < 0) break; /* EAGAIN: the backlog is empty */
        /* on failure (at --max-connections) libmicrohttpd closes it */
        MHD_add_connection(S->daemon, c, (struct sockaddr *)&ss, sl);
    }
    shutdown(fd, SHUT_RDWR);
}

void serve_http_stop(server *S) {
    if (S->daemon) MHD_stop_daemon(S->daemon);
    S->daemon = NULL;
    if (S->listen_fd >= 0) close(S->listen_fd);
    S->listen_fd = -1;
}
