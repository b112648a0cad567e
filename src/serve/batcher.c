/*
 * batcher.c - the request queue and worker pool (see batcher.h for the rules).
 *
 * One lock guards the queue (a FIFO list of jobs). At most one worker gathers a batch at a
 * time (the "collector"); the others sleep on `work` until a job arrives and nobody is
 * gathering, so concurrent texts end up in one batch instead of being split over idle
 * workers. The collector sleeps on `more` (a monotonic-clock condition) until the batch is
 * full, the wait after its first job is over, or the head of the queue belongs to another
 * model generation. Scoring happens outside the lock, one senti_predict_many call per batch on
 * the worker's thread: the pool is the parallelism.
 */
#include <pthread.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "serve/batcher.h"
#include "serve/util.h"

#define ADD(p, v) __atomic_fetch_add(&(p), (v), __ATOMIC_RELAXED)

struct batcher {
    pthread_mutex_t lock;
    pthread_cond_t work; /* idle workers: a job is queued and nobody gathers, or stop */
    pthread_cond_t more; /* the collector: a job arrived, or stop */
    bjob *head, *tail;
    size_t depth, busy;
    int collecting, stopping;
    size_t max;
    uint64_t wait_ns;
    int wait_always;
    unsigned long fault_us;
    batcher_stats st;
    struct worker *workers;
    size_t nworkers; /* allocated */
    size_t nthreads; /* started */
};

/* Pop queued jobs of model m into batch[n..max); returns the new n. Under the lock. */
static size_t take(batcher *b, bjob **batch, size_t n, const senti_model *m) {
    while (n < b->max && b->head && b->head->m == m) {
        bjob *j = b->head;
        b->head = j->next;
        if (!b->head) b->tail = NULL;
        j->next = NULL;
        b->depth--;
        batch[n++] = j;
    }
    return n;
}

/* Gather a batch: the head job and what arrives for it within the wait. Under the lock,
 * which the condition waits release. */
static size_t gather(batcher *b, bjob **batch) {
    const senti_model *m = b->head->m;
    size_t n = take(b, batch, 0, m);
    if (n == b->max || !b->wait_ns || !(b->wait_always || b->busy > 0)) return n;
    uint64_t until = batch[0]->queued + b->wait_ns;
    while (n < b->max && !b->stopping && now_ns() < until) {
        if (b->head && b->head->m != m) break;
        if (!b->head) {
            struct timespec ts = {(time_t)(until / 1000000000u), (long)(until % 1000000000u)};
            pthread_cond_timedwait(&b->more, &b->lock, &ts);
        }
        n = take(b, batch, n, m);
    }
    return n;
}

/* Score a gathered batch (outside the lock): jobs past their deadline end unscored. */
static void run(batcher *b, bjob **batch, size_t n, senti_text *texts, senti_result *res) {
    uint64_t now = now_ns();
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        bjob *j = batch[i];
        if (j->deadline < now) {
            ADD(*b->st.expired, 1);
            j->outcome = BJOB_TIMEOUT;
            j->done(j);
            continue;
        }
        hist_observe(b->st.queue_wait, (double)(now - j->queued) * 1e-9);
        texts[k] = (senti_text){j->text, j->len};
        batch[k++] = j;
    }
    if (!k) return;
    if (b->fault_us) usleep((useconds_t)(b->fault_us * k));
    bjob *first = batch[0];
    senti_ctx *ctx = first->ctx_get ? first->ctx_get(first) : NULL;
    uint64_t t0 = now_ns();
    senti_predict_many(first->m, ctx, texts, k, res);
    double per_text = (double)(now_ns() - t0) * 1e-9 / (double)k;
    if (ctx) first->ctx_put(first, ctx);
    hist_observe(b->st.batch_texts, (double)k);
    ADD(*b->st.scored, k);
    for (size_t i = 0; i < k; i++) {
        hist_observe(b->st.predict, per_text);
        batch[i]->res = res[i];
        batch[i]->outcome = BJOB_SCORED;
        batch[i]->done(batch[i]);
    }
}

/* A worker's arrays (max entries each), allocated with the pool. */
typedef struct worker {
    batcher *b;
    pthread_t tid;
    bjob **batch;
    senti_text *texts;
    senti_result *res;
} worker;

static void *work(void *arg) {
    worker *w = arg;
    batcher *b = w->b;
    pthread_mutex_lock(&b->lock);
    for (;;) {
        while (!b->stopping && (!b->head || b->collecting)) pthread_cond_wait(&b->work, &b->lock);
        if (b->stopping) break;
        b->collecting = 1;
        size_t n = gather(b, w->batch);
        b->collecting = 0;
        if (b->head) pthread_cond_signal(&b->work); /* the rest: another model generation */
        b->busy++;
        pthread_mutex_unlock(&b->lock);
        run(b, w->batch, n, w->texts, w->res);
        pthread_mutex_lock(&b->lock);
        b->busy--;
    }
    pthread_mutex_unlock(&b->lock);
    return NULL;
}

static void workers_free(worker *ws, size_t n) {
    for (size_t i = 0; ws && i < n; i++) {
        free(ws[i].batch);
        free(ws[i].texts);
        free(ws[i].res);
    }
    free(ws);
}

int batcher_new(size_t workers, size_t max, double wait, int wait_always, unsigned long fault_delay_us,
                const batcher_stats *stats, batcher **out) {
    *out = NULL;
    batcher *b = calloc(1, sizeof *b);
    worker *ws = calloc(workers, sizeof *ws);
    int ok = b && ws;
    for (size_t i = 0; ok && i < workers; i++) {
        ws[i] = (worker){.b = b, .batch = calloc(max, sizeof(bjob *)),
                         .texts = calloc(max, sizeof(senti_text)), .res = calloc(max, sizeof(senti_result))};
        ok = ws[i].batch && ws[i].texts && ws[i].res;
    }
    if (!ok) {
        workers_free(ws, workers);
        free(b);
        return -1;
    }
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_mutex_init(&b->lock, NULL);
    pthread_cond_init(&b->work, NULL);
    pthread_cond_init(&b->more, &ca);
    pthread_condattr_destroy(&ca);
    b->max = max;
    b->wait_ns = (uint64_t)(wait * 1e9);
    b->wait_always = wait_always;
    b->fault_us = fault_delay_us;
    b->st = *stats;
    b->workers = ws;
    b->nworkers = workers;
    for (size_t i = 0; i < workers; i++) {
        if (pthread_create(&ws[i].tid, NULL, work, &ws[i]) != 0) break;
        b->nthreads++;
    }
    if (!b->nthreads) {
        batcher_free(b);
        return -1;
    }
    *out = b;
    return 0;
}

void batcher_submit(batcher *b, bjob *j) {
    pthread_mutex_lock(&b->lock);
    if (b->stopping) {
        pthread_mutex_unlock(&b->lock);
        j->outcome = BJOB_STOPPED;
        j->done(j);
        return;
    }
    j->next = NULL;
    j->queued = now_ns();
    if (b->tail) b->tail->next = j;
    else b->head = j;
    b->tail = j;
    b->depth++;
    pthread_cond_signal(b->collecting ? &b->more : &b->work);
    pthread_mutex_unlock(&b->lock);
}

/* End queued jobs, outside the lock, with outcome: all of them (BJOB_STOPPED) or those past
 * their deadline at now (BJOB_TIMEOUT). */
static void end_queued(batcher *b, uint64_t now, int outcome) {
    bjob *ended = NULL, **tail = &ended;
    pthread_mutex_lock(&b->lock);
    bjob **pp = &b->head, *last = NULL;
    while (*pp) {
        bjob *j = *pp;
        if (outcome == BJOB_STOPPED || j->deadline < now) {
            *pp = j->next;
            j->next = NULL;
            *tail = j;
            tail = &j->next;
            b->depth--;
        } else {
            last = j;
            pp = &j->next;
        }
    }
    b->tail = last;
    pthread_mutex_unlock(&b->lock);
    while (ended) {
        bjob *j = ended;
        ended = j->next;
        if (outcome == BJOB_TIMEOUT) ADD(*b->st.expired, 1);
        j->outcome = outcome;
        j->done(j);
    }
}

void batcher_expire(batcher *b, uint64_t now) {
    if (b) end_queued(b, now, BJOB_TIMEOUT);
}

size_t batcher_depth(batcher *b) {
    if (!b) return 0;
    pthread_mutex_lock(&b->lock);
    size_t n = b->depth;
    pthread_mutex_unlock(&b->lock);
    return n;
}

size_t batcher_busy(batcher *b) {
    if (!b) return 0;
    pthread_mutex_lock(&b->lock);
    size_t n = b->busy;
    pthread_mutex_unlock(&b->lock);
    return n;
}

void batcher_stop(batcher *b) {
    if (!b || b->nthreads == 0) return;
    pthread_mutex_lock(&b->lock);
    b->stopping = 1;
    pthread_cond_broadcast(&b->work);
    pthread_cond_broadcast(&b->more);
    pthread_mutex_unlock(&b->lock);
    end_queued(b, 0, BJOB_STOPPED);
    for (size_t i = 0; i < b->nthreads; i++) pthread_join(b->workers[i].tid, NULL);
    b->nthreads = 0;
}

void batcher_free(batcher *b) {
    if (!b) return;
    batcher_stop(b);
    workers_free(b->workers, b->nworkers);
    pthread_cond_destroy(&b->work);
    pthread_cond_destroy(&b->more);
    pthread_mutex_destroy(&b->lock);
    free(b);
}
