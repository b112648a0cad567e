/*
 * batcher.h - the request queue and worker pool of `senti serve` for models that run much
 * faster per text in batches (senti_model_batch_hint > 1: the transformer kind).
 *
 * An HTTP thread that needs the model for a text (a cache miss) fills a job, suspends its
 * connection and submits the job; a worker takes up to --batch-max jobs, waiting at most
 * --batch-wait after the first one arrived for more, scores them with one
 * senti_predict_many call on its own thread (a pooled context: the scratch is kept), and calls
 * each job's done(), which renders the
 * answer and resumes the connection. Everything about HTTP and the cache is in done(); this
 * file knows jobs, models and time.
 *
 * Rules:
 *   - A batch holds jobs of one model generation: a job submitted before a reload is scored on
 *     the model it was submitted with (it holds a reference), never mixed with newer ones.
 *   - A job whose deadline passes while it waits is never scored: batcher_expire (the main
 *     thread, 10 times a second) and the worker that takes it end it with BJOB_TIMEOUT.
 *   - Batches form while the workers are busy: a worker that becomes free takes everything
 *     queued (up to --batch-max) at once. With --batch-wait > 0 (default 0) it also gathers
 *     more texts for at most that long after its first job arrived, and only while another
 *     worker is scoring (the service is busy, so more texts are on their way); with every
 *     worker idle a lone text is scored at once, unless --batch-wait-always. A job that
 *     already waited that long is dispatched at once.
 *   - batcher_stop (drain): jobs still queued end with BJOB_STOPPED at once, batches being
 *     scored finish, the workers are joined. Every job's done() is called exactly once.
 */
#ifndef SENTI_SERVE_BATCHER_H
#define SENTI_SERVE_BATCHER_H

#include <stddef.h>
#include <stdint.h>

#include "senti.h"
#include "serve/metrics.h"

enum { BJOB_SCORED = 1, BJOB_TIMEOUT, BJOB_STOPPED };

typedef struct bjob {
    struct bjob *next;
    const senti_model *m; /* the model to score with; the submitter keeps it alive */
    const char *text;
    size_t len;
    uint64_t deadline;    /* monotonic ns */
    uint64_t queued;      /* set by batcher_submit */
    int outcome;          /* BJOB_*: SCORED means res is set (res.status may be a failure) */
    senti_result res;
    /* Called once, without any lock held, on a worker (or on the thread that expires or stops
     * the job); the batcher does not touch the job afterwards. */
    void (*done)(struct bjob *j);
    /* Optional: a scoring context for m, taken for a batch whose first job this is and given
     * back before any done() (so that m is still alive), to keep the scratch across batches. */
    senti_ctx *(*ctx_get)(struct bjob *j);
    void (*ctx_put)(struct bjob *j, senti_ctx *ctx);
} bjob;

/* What the batcher measures, owned by the server (main.c initialises the histograms). */
typedef struct batcher_stats {
    hist *batch_texts;    /* texts per model call */
    hist *queue_wait;     /* seconds from submit to the model call */
    hist *predict;        /* seconds per text (a batch's time over its texts) */
    uint64_t *scored;     /* texts scored */
    uint64_t *expired;    /* jobs ended by their deadline while queued */
} batcher_stats;

typedef struct batcher batcher;

/* workers threads, batches of at most max texts, wait seconds; fault_delay_us: testing, a sleep
 * per text before each batch is scored (--fault-delay). */
int batcher_new(size_t workers, size_t max, double wait, int wait_always, unsigned long fault_delay_us,
                const batcher_stats *stats, batcher **out);
void batcher_submit(batcher *b, bjob *j);
void batcher_expire(batcher *b, uint64_t now);
/* Texts waiting (not yet taken by a worker). */
size_t batcher_depth(batcher *b);
/* Workers scoring a batch right now. */
size_t batcher_busy(batcher *b);
void batcher_stop(batcher *b);
void batcher_free(batcher *b);

#endif
