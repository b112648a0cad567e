/*
 * api.h - the service's requests without the sockets: a request body in, a status and a
 * JSON response body out, and the checks on a request's framing headers.
 *
 * http.c calls these from libmicrohttpd's callbacks; tests/fuzz/fuzz_http.c calls the same
 * functions directly, so everything a client's bytes reach after the HTTP parser (headers
 * judged, JSON parsed, texts scored, responses built) is fuzzed in-process.
 */
#ifndef SENTI_SERVE_API_H
#define SENTI_SERVE_API_H

#include <stddef.h>
#include <stdint.h>

#include "serve/serve.h"

/* What a request handler produced: the status and the JSON body to send. */
typedef struct api_reply {
    int status;
    sbuf body;
    const char *cache; /* hit, miss, partial, off, or NULL (for the access log) */
    unsigned n_texts;
} api_reply;

/* {"error": {"code", "message"}} with status into rep (the body is replaced). */
void api_error(api_reply *rep, int status, const char *code, const char *msg);
/* POST /v1/sentiment and POST /v1/sentiment/batch; a batch checks deadline (monotonic ns)
 * as it goes and answers 504 once it has passed. */
void api_sentiment(server *S, const char *body, size_t len, api_reply *rep);

/* POST /v1/sentiment through the queue (S->batcher). api_sentiment_start answers from the
 * caches (or an error) into rep and returns 0; on a cache miss it fills p (the job, a model
 * reference, the parsed body the text points into) and returns 1: the caller sets
 * p->job.done before and submits p->job. done() calls api_pending_scored (on the worker:
 * the result is rendered and cached), then lets the request go on, which builds its answer
 * with api_sentiment_end (the answer, 504 if the deadline passed while queued, 503 if the
 * service stopped first). api_sentiment_end releases p; api_pending_release does it for a
 * request that ends otherwise (safe to call twice). Without S->batcher, or with p NULL,
 * the text is scored at once as api_sentiment does. */
typedef struct api_pending {
    bjob job; /* first member: done() receives &job */
    server *S;
    serve_model *sm;
    void *root; /* json_t */
    sbuf val;   /* the result members */
    int rc;     /* 0, or -1: the model failed */
} api_pending;
int api_sentiment_start(server *S, const char *body, size_t len, uint64_t deadline, api_reply *rep,
                        api_pending *p);
void api_pending_scored(api_pending *p);
void api_sentiment_end(api_pending *p, api_reply *rep);
void api_pending_release(api_pending *p);
void api_batch(server *S, const char *body, size_t len, uint64_t deadline, api_reply *rep);
/* POST /v1/explain {"text"}: the result and each feature's contribution (never cached). */
void api_explain(server *S, const char *body, size_t len, api_reply *rep);

/* Content-Type is application/json (parameters allowed). */
int api_is_json_type(const char *ct);

/* Request framing (RFC 9112 section 6). A proxy in front and this server must agree where a
 * request's body ends, or bytes of one request are read as another ("request smuggling").
 * Every header of a request is fed to api_framing_add; api_framing_check then says whether
 * the request may go on: 0, or 400 (conflicting or malformed Content-Length, Content-Length
 * with Transfer-Encoding, chunked not the only coding, whitespace in a header name,
 * Transfer-Encoding in HTTP/1.0) or 501 (a transfer coding other than chunked), with a code
 * and message for the error body. After a refusal the connection must be closed. */
typedef struct api_framing {
    unsigned n_length, n_coding;
    int length_conflict, length_bad, bad_name, chunked, coding_unknown, coding_bad;
    unsigned long long length;
} api_framing;

void api_framing_add(api_framing *f, const char *key, const char *value);
int api_framing_check(const api_framing *f, int http10, const char **code, const char **msg);

#endif
