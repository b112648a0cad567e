/*
 * api.c - the JSON API without the sockets (see api.h): request bodies parsed with jansson,
 * texts scored through the response cache (local, then Redis, then the model), response
 * bodies built; and the framing checks on a request's Content-Length and Transfer-Encoding.
 *
 * Nothing here knows libmicrohttpd: a handler fills an api_reply (status + JSON body) that
 * http.c sends, and the fuzzer inspects. Every error is a JSON object
 * {"error": {"code", "message"}} with the status that says why.
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "serve/api.h"

#define ADD(p, v) __atomic_fetch_add(&(p), (v), __ATOMIC_RELAXED)

void api_error(api_reply *rep, int status, const char *code, const char *msg) {
    sbuf *b = &rep->body;
    b->len = 0;
    sb_str(b, "{\"error\":{\"code\":\"");
    sb_str(b, code);
    sb_str(b, "\",\"message\":");
    sb_json_str(b, msg, strlen(msg));
    sb_str(b, "}}");
    rep->status = status;
}

/* ---- scoring ---------------------------------------------------------------------------- */

typedef struct scorer {
    server *S;
    serve_model *sm;
    senti_ctx *ctx;
    int got_ctx;
} scorer;

/* A cached result of the text appended to out: 1, or 0 on a miss. */
static int lookup(server *S, const serve_model *sm, const char *text, size_t len, sbuf *out) {
    if (S->cache && cache_get(S->cache, sm->cache_id, text, len, out)) return 1;
    size_t start = out->len;
    if (S->redis && redis_get(S->redis, sm, text, len, out)) {
        /* fill the local cache from the shared one: the value is the tail of out */
        if (S->cache && !out->oom)
            cache_put(S->cache, sm->cache_id, text, len, out->p + start, out->len - start);
        return 1;
    }
    return 0;
}

/* Append the result members of res to out and, if it is a success, put them in the caches.
 * 0, or -1 if the model failed (the members then hold "error") or memory ran out. */
static int store(server *S, const serve_model *sm, const char *text, size_t len,
                 const senti_result *res, sbuf *out) {
    char tmp[512];
    size_t need = senti_result_json(sm->m, res, tmp, sizeof tmp);
    const char *val = tmp;
    char *heap = NULL;
    if (need >= sizeof tmp) {
        heap = malloc(need + 1);
        if (!heap) {
            out->oom = 1;
            return -1;
        }
        senti_result_json(sm->m, res, heap, need + 1);
        val = heap;
    }
    sb_put(out, val, need);
    if (!res->status) {
        if (S->cache) cache_put(S->cache, sm->cache_id, text, len, val, need);
        if (S->redis) redis_put(S->redis, sm, text, len, val, need);
    }
    free(heap);
    return res->status ? -1 : 0;
}

/* Append the result members of one text to out. Returns 1 if it came from a cache, 0 if
 * scored now, -1 if the model failed (the members then hold "error"). */
static int score(scorer *sc, const char *text, size_t len, sbuf *out) {
    server *S = sc->S;
    if (lookup(S, sc->sm, text, len, out)) return 1;
    if (!sc->got_ctx) {
        sc->ctx = serve_model_ctx_get(sc->sm);
        sc->got_ctx = 1;
    }
    if (S->cfg.fault_delay_us) usleep((useconds_t)S->cfg.fault_delay_us);
    senti_result res;
    uint64_t t0 = now_ns();
    int rc = senti_predict(sc->sm->m, sc->ctx, text, len, &res);
    hist_observe(&S->predict_latency, (double)(now_ns() - t0) * 1e-9);
    ADD(S->texts_scored, 1);
    if (rc) res.status = rc;
    return store(S, sc->sm, text, len, &res, out);
}

static void scorer_done(scorer *sc) {
    if (sc->got_ctx) serve_model_ctx_put(sc->sm, sc->ctx);
    serve_model_release(sc->sm);
}

/* Parse the body as a JSON object; on failure answer 400 and return NULL. */
static json_t *parse_body(const char *body, size_t len, api_reply *rep) {
    json_error_t je;
    json_t *root = json_loadb(body ? body : "", len, JSON_ALLOW_NUL, &je);
    if (!root) {
        char msg[256];
        snprintf(msg, sizeof msg, "malformed JSON at line %d, column %d: %s", je.line, je.column,
                 je.text);
        api_error(rep, 400, "invalid_json", msg);
        return NULL;
    }
    if (!json_is_object(root)) {
        json_decref(root);
        api_error(rep, 400, "invalid_json", "the body must be a JSON object");
        return NULL;
    }
    return root;
}

/* A body {"text": "..."}: its JSON root (the caller releases it) and the text member, or NULL
 * with the 400 answer in rep. */
static json_t *parse_text(const char *body, size_t len, api_reply *rep, json_t **text) {
    json_t *root = parse_body(body, len, rep);
    if (!root) return NULL;
    json_t *t = json_object_get(root, "text");
    if (!t || !json_is_string(t)) {
        json_decref(root);
        if (!t) api_error(rep, 400, "missing_text", "the body has no \"text\" member");
        else api_error(rep, 400, "invalid_text", "\"text\" must be a string");
        return NULL;
    }
    *text = t;
    return root;
}

/* The answer to POST /v1/sentiment once rep->body holds "{" and the result members (or
 * the model failed: rc -1). */
static void sentiment_reply(server *S, const serve_model *sm, int rc, api_reply *rep) {
    sbuf *b = &rep->body;
    rep->n_texts = 1;
    rep->cache = !S->cache && !S->redis ? "off" : rc == 1 ? "hit" : "miss";
    if (rc < 0) {
        api_error(rep, 500, "model_error", "the model could not score this text");
        return;
    }
    sb_str(b, ",\"model\":");
    sb_str(b, sm->name_json);
    sb_str(b, rc == 1 ? ",\"cached\":true}" : ",\"cached\":false}");
    rep->status = 200;
}

/* A queued job's scoring context, from its model generation's pool. */
static senti_ctx *pending_ctx_get(bjob *j) { return serve_model_ctx_get(((api_pending *)(void *)j)->sm); }
static void pending_ctx_put(bjob *j, senti_ctx *ctx) { serve_model_ctx_put(((api_pending *)(void *)j)->sm, ctx); }

int api_sentiment_start(server *S, const char *body, size_t len, uint64_t deadline, api_reply *rep,
                        api_pending *p) {
    json_t *t, *root = parse_text(body, len, rep, &t);
    if (!root) return 0;
    scorer sc = {.S = S, .sm = serve_model_acquire(S)};
    const char *text = json_string_value(t);
    size_t tlen = json_string_length(t);
    sbuf *b = &rep->body;
    sb_reserve(b, 256);
    sb_put(b, "{", 1);
    int queue = p && S->batcher, rc = queue ? lookup(S, sc.sm, text, tlen, b) : score(&sc, text, tlen, b);
    if (queue && !rc) {
        /* a miss: to the queue; the model reference and the parsed body go with the job */
        p->S = S;
        p->sm = sc.sm;
        p->root = root;
        p->job = (bjob){.m = sc.sm->m, .text = text, .len = tlen, .deadline = deadline, .done = p->job.done,
                        .ctx_get = pending_ctx_get, .ctx_put = pending_ctx_put};
        sb_free(b);
        return 1;
    }
    json_decref(root);
    sentiment_reply(S, sc.sm, rc, rep);
    scorer_done(&sc);
    return 0;
}

void api_sentiment(server *S, const char *body, size_t len, api_reply *rep) {
    api_sentiment_start(S, body, len, 0, rep, NULL);
}

void api_pending_scored(api_pending *p) {
    p->rc = p->job.outcome != BJOB_SCORED ? -1
            : store(p->S, p->sm, p->job.text, p->job.len, &p->job.res, &p->val);
}

void api_sentiment_end(api_pending *p, api_reply *rep) {
    server *S = p->S;
    if (p->job.outcome == BJOB_TIMEOUT) {
        rep->n_texts = 1;
        api_error(rep, 504, "timeout", "the text waited for the model past --request-timeout");
    } else if (p->job.outcome == BJOB_STOPPED) {
        rep->n_texts = 1;
        api_error(rep, 503, "shutting_down", "the service stopped before the text was scored");
    } else {
        sbuf *b = &rep->body;
        sb_put(b, "{", 1);
        if (p->val.oom) b->oom = 1;
        else sb_put(b, p->val.p, p->val.len);
        sentiment_reply(S, p->sm, p->rc, rep);
    }
    api_pending_release(p);
}

void api_pending_release(api_pending *p) {
    if (!p->sm) return;
    sb_free(&p->val);
    json_decref((json_t *)p->root);
    serve_model_release(p->sm);
    p->root = NULL;
    p->sm = NULL;
}

/* ---- explanations ----------------------------------------------------------------------- */

/* Features listed at most (the bias and the first ones in text order); the rest are counted
 * in "features" and the answer says "truncated". Bounds the answer of a long text. */
#define EXPLAIN_MAX 4096

/* The "contributions" array: {"start","end" (bytes of the text),"order" (1-3 words, 0 a pair
 * with the text's start or end, "bias"),"negated","weights":{class: what it adds toward it}}. */
static void explain_render(const senti_model *m, const senti_contribution *c, size_t n, sbuf *b) {
    int k = senti_model_n_classes(m);
    sb_str(b, ",\"contributions\":[");
    for (size_t i = 0; i < n; i++) {
        int bias = c[i].order == SENTI_CONTRIB_BIAS;
        sb_printf(b, "%s{\"start\":%u,\"end\":%u,\"order\":", i ? "," : "", c[i].start, c[i].end);
        if (bias) sb_str(b, "\"bias\"");
        else sb_printf(b, "%u", c[i].order);
        sb_printf(b, ",\"negated\":%s,\"weights\":{", c[i].flags & SENTI_CONTRIB_NEGATED ? "true" : "false");
        for (int j = 0; j < k; j++) {
            const char *l = senti_model_label(m, j);
            if (j) sb_put(b, ",", 1);
            sb_json_str(b, l, strlen(l));
            sb_put(b, ":", 1);
            char t[48];
            senti__fmt_rounded(t, sizeof t, senti_contribution_toward(m, &c[i], j), 4);
            sb_str(b, t);
        }
        sb_str(b, "}}");
    }
    sb_put(b, "]", 1);
}

void api_explain(server *S, const char *body, size_t len, api_reply *rep) {
    json_t *t, *root = parse_text(body, len, rep, &t);
    if (!root) return;
    senti_contribution *contrib = malloc((EXPLAIN_MAX + 1) * sizeof *contrib);
    if (!contrib) {
        json_decref(root);
        api_error(rep, 503, "overloaded", "out of memory");
        return;
    }
    serve_model *sm = serve_model_acquire(S);
    senti_ctx *ctx = serve_model_ctx_get(sm);
    senti_result res;
    size_t n = 0;
    const char *text = json_string_value(t);
    size_t tlen = json_string_length(t);
    uint64_t t0 = now_ns();
    int rc = senti_explain(sm->m, ctx, text, tlen, &res, contrib, EXPLAIN_MAX + 1, &n);
    int explained = rc == SENTI_OK;
    if (rc == SENTI_ENOTSUP) rc = senti_predict(sm->m, ctx, text, tlen, &res); /* no explanations */
    hist_observe(&S->predict_latency, (double)(now_ns() - t0) * 1e-9);
    ADD(S->texts_scored, 1);
    serve_model_ctx_put(sm, ctx);
    json_decref(root);
    rep->n_texts = 1;
    if (rc == SENTI_OK) rc = res.status;
    if (rc != SENTI_OK) {
        api_error(rep, 500, "model_error", "the model could not score this text");
    } else {
        sbuf *b = &rep->body;
        sb_put(b, "{", 1);
        size_t need = senti_result_json(sm->m, &res, NULL, 0);
        sb_reserve(b, need + 1);
        if (!b->oom) b->len += senti_result_json(sm->m, &res, b->p + b->len, need + 1);
        sb_str(b, ",\"model\":");
        sb_str(b, sm->name_json);
        size_t shown = n < EXPLAIN_MAX + 1 ? n : EXPLAIN_MAX + 1;
        sb_printf(b, ",\"explained\":%s,\"features\":%zu,\"truncated\":%s", explained ? "true" : "false",
                  n ? n - 1 : 0, n > shown ? "true" : "false");
        if (explained) explain_render(sm->m, contrib, shown, b);
        sb_put(b, "}", 1);
        rep->status = 200;
    }
    serve_model_release(sm);
    free(contrib);
}

/* Check a batch's array before anything is scored: 0, or -1 with the error in rep. */
static int batch_valid(json_t *arr, int items, api_reply *rep) {
    char msg[160];
    for (size_t i = 0; i < json_array_size(arr); i++) {
        json_t *e = json_array_get(arr, i), *t = e;
        if (items) {
            if (!json_is_object(e)) {
                snprintf(msg, sizeof msg, "items[%zu] must be an object {\"id\", \"text\"}", i);
                api_error(rep, 400, "invalid_texts", msg);
                return -1;
            }
            json_t *id = json_object_get(e, "id");
            if (id && !json_is_string(id) && !json_is_number(id)) {
                snprintf(msg, sizeof msg, "items[%zu].id must be a string or a number", i);
                api_error(rep, 400, "invalid_texts", msg);
                return -1;
            }
            t = json_object_get(e, "text");
        }
        if (!t || !json_is_string(t)) {
            snprintf(msg, sizeof msg, items ? "items[%zu].text must be a string"
                                            : "texts[%zu] must be a string", i);
            api_error(rep, 400, t ? "invalid_text" : "missing_text", msg);
            return -1;
        }
    }
    return 0;
}

/* A batch request's texts scored ahead, for a model that runs faster per text in batches
 * (--batch-max > 1): have[i] says text i missed the local cache and res[i] holds its result. */
typedef struct prescored {
    senti_result *res;
    unsigned char *have;
} prescored;

static json_t *batch_text(json_t *arr, int items, size_t i) {
    json_t *e = json_array_get(arr, i);
    return items ? json_object_get(e, "text") : e;
}

/* The texts that miss the local cache, scored with senti_predict_many in chunks of
 * --batch-max on this thread (a pooled context); 1 if the deadline passed between chunks. */
static int prescore(server *S, serve_model *sm, json_t *arr, int items, uint64_t deadline,
                    prescored *pre) {
    size_t n = json_array_size(arr), k = 0, chunk = S->batch_max;
    senti_text *texts = malloc(chunk * sizeof *texts);
    size_t *idx = malloc(chunk * sizeof *idx);
    senti_result *out = malloc(chunk * sizeof *out);
    sbuf probe = {0};
    int late = 0;
    for (size_t i = 0; texts && idx && out && i <= n; i++) {
        json_t *t = i < n ? batch_text(arr, items, i) : NULL;
        if (t) {
            probe.len = 0;
            if (S->cache && cache_get(S->cache, sm->cache_id, json_string_value(t), json_string_length(t), &probe))
                continue;
            texts[k] = (senti_text){json_string_value(t), json_string_length(t)};
            idx[k++] = i;
        }
        if (k < chunk && i < n) continue;
        if (!k) break;
        if (now_ns() > deadline) {
            late = 1;
            break;
        }
        if (S->cfg.fault_delay_us) usleep((useconds_t)(S->cfg.fault_delay_us * k));
        senti_ctx *ctx = serve_model_ctx_get(sm);
        uint64_t t0 = now_ns();
        senti_predict_many(sm->m, ctx, texts, k, out);
        serve_model_ctx_put(sm, ctx);
        double per_text = (double)(now_ns() - t0) * 1e-9 / (double)k;
        for (size_t j = 0; j < k; j++) {
            pre->res[idx[j]] = out[j];
            pre->have[idx[j]] = 1;
            hist_observe(&S->predict_latency, per_text);
        }
        ADD(S->texts_scored, k);
        k = 0;
    }
    sb_free(&probe);
    free(texts);
    free(idx);
    free(out);
    return late;
}

/* The batch's texts, in order, as {["id",] result members, "cached"} objects into b; stops
 * early (returns 1) when the deadline passes. */
static int batch_score(scorer *sc, json_t *arr, int items, uint64_t deadline, sbuf *b, size_t *hits,
                       const prescored *pre) {
    size_t n = json_array_size(arr);
    for (size_t i = 0; i < n; i++) {
        if ((i & 15) == 15 && now_ns() > deadline) return 1;
        json_t *e = json_array_get(arr, i), *t = items ? json_object_get(e, "text") : e;
        sb_put(b, i ? ",{" : "{", i ? 2 : 1);
        json_t *id = items ? json_object_get(e, "id") : NULL;
        if (id) {
            sb_str(b, "\"id\":");
            if (json_is_string(id)) sb_json_str(b, json_string_value(id), json_string_length(id));
            else if (json_is_integer(id)) sb_printf(b, "%lld", (long long)json_integer_value(id));
            else sb_double(b, json_real_value(id));
            sb_put(b, ",", 1);
        }
        /* a text the model fails on is reported in place, as "error" members */
        int rc = pre && pre->have[i] ? store(sc->S, sc->sm, json_string_value(t), json_string_length(t), &pre->res[i], b)
                                     : score(sc, json_string_value(t), json_string_length(t), b);
        *hits += rc == 1;
        sb_str(b, rc == 1 ? ",\"cached\":true}" : ",\"cached\":false}");
    }
    return 0;
}

void api_batch(server *S, const char *body, size_t len, uint64_t deadline, api_reply *rep) {
    json_t *root = parse_body(body, len, rep);
    if (!root) return;
    json_t *texts = json_object_get(root, "texts"), *items = json_object_get(root, "items");
    json_t *arr = texts ? texts : items;
    char msg[160];
    if (!arr || (texts && items)) {
        api_error(rep, 400, "missing_texts",
                  "the body needs exactly one of \"texts\" (an array of strings) or \"items\" "
                  "(an array of {\"id\", \"text\"})");
    } else if (!json_is_array(arr)) {
        snprintf(msg, sizeof msg, "\"%s\" must be an array", texts ? "texts" : "items");
        api_error(rep, 400, "invalid_texts", msg);
    } else if (json_array_size(arr) > S->cfg.max_batch) {
        snprintf(msg, sizeof msg, "%zu texts in one batch; the limit is %lu (--max-batch)",
                 json_array_size(arr), S->cfg.max_batch);
        api_error(rep, 413, "batch_too_large", msg);
    }
    if (rep->status || batch_valid(arr, !texts, rep)) {
        json_decref(root);
        return;
    }
    size_t n = json_array_size(arr), hits = 0;
    hist_observe(&S->batch_size, (double)n);
    rep->n_texts = (unsigned)n;
    scorer sc = {.S = S, .sm = serve_model_acquire(S)};
    sbuf *b = &rep->body;
    sb_reserve(b, 64 + n * 160);
    sb_str(b, "{\"model\":");
    sb_str(b, sc.sm->name_json);
    sb_str(b, ",\"results\":[");
    /* a model that runs faster per text in batches gets the cache misses in chunks */
    prescored pre = {NULL, NULL};
    int late = 0;
    if (S->batch_max > 1 && n > 1) {
        pre.res = malloc(n * sizeof *pre.res);
        pre.have = calloc(n, 1);
        if (pre.res && pre.have) late = prescore(S, sc.sm, arr, !texts, deadline, &pre);
    }
    if (!late) late = batch_score(&sc, arr, !texts, deadline, b, &hits, pre.res && pre.have ? &pre : NULL);
    free(pre.res);
    free(pre.have);
    sb_str(b, "]}");
    scorer_done(&sc);
    json_decref(root);
    rep->cache = !S->cache && !S->redis ? "off" : !n ? NULL : hits == n ? "hit" : hits ? "partial" : "miss";
    if (late) api_error(rep, 504, "timeout", "the batch was not scored within --request-timeout");
    else rep->status = 200;
}

/* ---- headers ------------------------------------------------------------------------------ */

int api_is_json_type(const char *ct) {
    if (!ct) return 0;
    while (*ct == ' ') ct++;
    if (strncasecmp(ct, "application/json", 16)) return 0;
    char e = ct[16];
    return e == 0 || e == ';' || e == ' ';
}

/* RFC 9110 token characters (a header name is a token). */
static int tchar(unsigned char ch) {
    return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
           (ch && strchr("!#$%&'*+-.^_`|~", ch));
}

/* value with optional whitespace trimmed: *len bytes from the returned pointer */
static const char *trim(const char *v, size_t *len) {
    size_t n = strlen(v);
    while (n && (*v == ' ' || *v == '\t')) v++, n--;
    while (n && (v[n - 1] == ' ' || v[n - 1] == '\t')) n--;
    *len = n;
    return v;
}

static void add_length(api_framing *f, const char *value) {
    size_t n;
    const char *v = trim(value, &n);
    unsigned long long x = 0;
    int ok = n > 0 && n <= 19;
    for (size_t i = 0; ok && i < n; i++) {
        if (v[i] < '0' || v[i] > '9') ok = 0;
        else x = x * 10 + (unsigned)(v[i] - '0');
    }
    if (!ok) f->length_bad = 1;
    else if (f->n_length && x != f->length) f->length_conflict = 1;
    else f->length = x;
    f->n_length++;
}

/* Transfer-Encoding: a comma-separated list of codings; only one, "chunked", is understood. */
static void add_coding(api_framing *f, const char *value) {
    const char *p = value;
    int any = 0;
    for (;;) {
        size_t l = strcspn(p, ","), n;
        char el[64];
        snprintf(el, sizeof el, "%.*s", (int)(l < 63 ? l : 63), p);
        const char *e = trim(el, &n);
        if (n == 7 && !strncasecmp(e, "chunked", 7)) {
            if (f->chunked) f->coding_bad = 1; /* chunked twice */
            f->chunked = 1;
            f->n_coding++;
            any = 1;
        } else if (n) {
            size_t name = strcspn(e, "; \t");
            if (name == 7 && !strncasecmp(e, "chunked", 7)) f->coding_bad = 1; /* parameters */
            else f->coding_unknown = 1;
            if (f->chunked) f->coding_bad = 1; /* chunked is not the last coding */
            f->n_coding++;
            any = 1;
        } else {
            f->coding_bad = 1; /* an empty element: not the one plain "chunked" */
        }
        if (!p[l]) break;
        p += l + 1;
    }
    if (!any) f->coding_bad = 1;
}

void api_framing_add(api_framing *f, const char *key, const char *value) {
    if (!key || !*key) {
        f->bad_name = 1;
        return;
    }
    for (const char *k = key; *k; k++)
        if (!tchar((unsigned char)*k)) f->bad_name = 1;
    if (!value) value = "";
    if (!strcasecmp(key, "Content-Length")) add_length(f, value);
    else if (!strcasecmp(key, "Transfer-Encoding")) add_coding(f, value);
}

int api_framing_check(const api_framing *f, int http10, const char **code, const char **msg) {
    *code = "bad_request";
    if (f->bad_name) *msg = "a header name is not a token (whitespace before the colon?)";
    else if (f->length_bad) *msg = "Content-Length is not a number";
    else if (f->length_conflict) *msg = "Content-Length headers disagree";
    else if (f->n_length && f->n_coding) *msg = "Content-Length and Transfer-Encoding together";
    else if (f->n_coding && http10) *msg = "Transfer-Encoding in an HTTP/1.0 request";
    else if (f->coding_bad) *msg = "Transfer-Encoding must be chunked, once and last";
    else if (f->coding_unknown) {
        *code = "not_implemented";
        *msg = "the only transfer coding understood is chunked";
        return 501;
    } else return 0;
    return 400;
}
