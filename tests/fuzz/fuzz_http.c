/* libFuzzer target: the HTTP service's request path after the HTTP parser, in-process and
 * without sockets (src/serve/api.h). An input is a request as it arrives:
 *
 *   request line \n header lines (Name: value) \n \n body
 *
 * The headers are judged by the framing checks (Content-Length, Transfer-Encoding, header
 * names) and the Content-Type test; the body goes to POST /v1/sentiment, to
 * POST /v1/sentiment/batch (through the response cache and the embedded model) and to
 * POST /v1/explain (the model's explanation, not cached). Every answer
 * must be a known status with a body that is valid JSON (an error body has error.code);
 * anything else aborts, and so the fuzzer reports it. Seeds: tests/fuzz/seeds/http-*. */
#include <jansson.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "serve/api.h"

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size);

static server *setup(void) {
    static server S;
    static const double bounds[] = {1, 10, 100};
    S.cfg.max_batch = 64;
    S.cfg.request_timeout = 10;
    pthread_mutex_init(&S.model_lock, NULL);
    hist_init(&S.predict_latency, bounds, 3, 1e-9);
    hist_init(&S.batch_size, bounds, 3, 1);
    char err[256];
    if (serve_model_open(&S.cfg, 1, &S.model, err, sizeof err) ||
        cache_new(256, 1 << 16, 0, &S.cache)) {
        fprintf(stderr, "fuzz_http: cannot set up: %s\n", err);
        abort();
    }
    return &S;
}

/* The header block: lines up to an empty one. Returns where the body starts. */
static size_t headers(const char *p, size_t n, api_framing *f, int *http10, int *json) {
    size_t i = 0, line = 0;
    while (i < n) {
        size_t e = i;
        while (e < n && p[e] != '\n') e++;
        size_t l = e - i;
        if (l && p[i + l - 1] == '\r') l--;
        if (l == 0 && line > 0) return e < n ? e + 1 : n;
        char buf[512];
        snprintf(buf, sizeof buf, "%.*s", (int)(l < sizeof buf - 1 ? l : sizeof buf - 1), p + i);
        if (line == 0) {
            *http10 = strstr(buf, "HTTP/1.0") != NULL;
        } else {
            char *colon = strchr(buf, ':');
            if (colon) *colon = 0;
            const char *v = colon ? colon + 1 : "";
            api_framing_add(f, buf, v);
            if (!strcmp(buf, "Content-Type")) *json = api_is_json_type(v);
        }
        line++;
        i = e + 1;
    }
    return n;
}

static void check_reply(api_reply *rep) {
    int s = rep->status;
    if (s != 200 && s != 400 && s != 413 && s != 500 && s != 504) abort();
    if (rep->body.oom) return;
    json_t *j = json_loadb(rep->body.p, rep->body.len, JSON_ALLOW_NUL, NULL);
    if (!j || !json_is_object(j)) abort();
    if (s != 200 && !json_is_string(json_object_get(json_object_get(j, "error"), "code"))) abort();
    json_decref(j);
}

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size) {
    static server *S;
    if (!S) S = setup();
    /* half of the inputs as for a model that batches: batch requests' cache misses scored in
     * chunks of 3 (api.c's prescore) */
    S->batch_max = size & 1 ? 3 : 0;
    const char *p = (const char *)data;
    api_framing f = {0};
    int http10 = 0, json = 0;
    size_t body = headers(p, size, &f, &http10, &json);
    const char *code, *msg;
    int st = api_framing_check(&f, http10, &code, &msg);
    if (st != 0 && st != 400 && st != 501) abort();
    if (st && (!code || !msg)) abort();
    (void)json;
    api_reply rep = {0};
    api_sentiment(S, p + body, size - body, &rep);
    check_reply(&rep);
    sb_free(&rep.body);
    api_reply brep = {0};
    api_batch(S, p + body, size - body, now_ns() + 10000000000ull, &brep);
    check_reply(&brep);
    sb_free(&brep.body);
    api_reply erep = {0};
    api_explain(S, p + body, size - body, &erep);
    check_reply(&erep);
    sb_free(&erep.body);
    return 0;
}
