/* ratelimit.c - per-client token buckets in a bounded, sharded LRU table (see ratelimit.h). */
#include "serve/ratelimit.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

#define RL_SHARDS 16
#define RL_KEY_MAX 64

typedef struct bucket {
    struct bucket *hnext, *prev, *next;
    uint64_t hash, last; /* last refill, monotonic ns */
    double tokens;
    char key[RL_KEY_MAX];
} bucket;

typedef struct rl_shard {
    pthread_mutex_t lock;
    bucket **table;
    size_t mask, n, max_n;
    bucket *head, *tail; /* head = most recently used */
    char pad[64];
} rl_shard;

struct ratelimit {
    double rate, burst;
    rl_shard shards[RL_SHARDS];
    size_t n; /* atomic */
};

int rl_new(double rate, double burst, size_t max_clients, ratelimit **out) {
    *out = NULL;
    if (rate <= 0) return 0;
    ratelimit *rl = calloc(1, sizeof *rl);
    if (!rl) return -1;
    rl->rate = rate;
    rl->burst = burst >= 1 ? burst : 1;
    if (max_clients < RL_SHARDS) max_clients = RL_SHARDS;
    for (int i = 0; i < RL_SHARDS; i++) {
        rl_shard *s = &rl->shards[i];
        s->max_n = max_clients / RL_SHARDS;
        size_t nb = 16;
        while (nb < s->max_n && nb < ((size_t)1 << 22)) nb *= 2;
        s->table = calloc(nb, sizeof *s->table);
        if (!s->table) {
            for (int k = 0; k < i; k++) free(rl->shards[k].table);
            free(rl);
            return -1;
        }
        s->mask = nb - 1;
        pthread_mutex_init(&s->lock, NULL);
    }
    *out = rl;
    return 0;
}

void rl_free(ratelimit *rl) {
    if (!rl) return;
    for (int i = 0; i < RL_SHARDS; i++) {
        rl_shard *s = &rl->shards[i];
        for (bucket *b = s->head, *nx; b; b = nx) {
            nx = b->next;
            free(b);
        }
        free(s->table);
        pthread_mutex_destroy(&s->lock);
    }
    free(rl);
}

static void unlink_lru(rl_shard *s, bucket *b) {
    if (b->prev) b->prev->next = b->next;
    else s->head = b->next;
    if (b->next) b->next->prev = b->prev;
    else s->tail = b->prev;
}

static void push_front(rl_shard *s, bucket *b) {
    b->prev = NULL;
    b->next = s->head;
    if (s->head) s->head->prev = b;
    s->head = b;
    if (!s->tail) s->tail = b;
}

static void remove_bucket(rl_shard *s, bucket *b) {
    bucket **pp = &s->table[(b->hash >> 8) & s->mask];
    while (*pp && *pp != b) pp = &(*pp)->hnext;
    if (*pp) *pp = b->hnext;
    unlink_lru(s, b);
    s->n--;
}

int rl_take(ratelimit *rl, const char *client, uint64_t now, double *retry_after) {
    size_t klen = strnlen(client, RL_KEY_MAX - 1);
    uint64_t h = XXH3_64bits(client, klen);
    rl_shard *s = &rl->shards[h % RL_SHARDS];
    int allowed;
    pthread_mutex_lock(&s->lock);
    bucket *b = s->table[(h >> 8) & s->mask];
    while (b && !(b->hash == h && !strncmp(b->key, client, klen) && !b->key[klen])) b = b->hnext;
    if (!b) {
        if (s->n >= s->max_n && s->tail) {
            bucket *old = s->tail;
            remove_bucket(s, old);
            free(old);
            __atomic_fetch_sub(&rl->n, 1, __ATOMIC_RELAXED);
        }
        b = calloc(1, sizeof *b);
        if (!b) { /* out of memory: do not refuse service because of the limiter */
            pthread_mutex_unlock(&s->lock);
            return 1;
        }
        b->hash = h;
        memcpy(b->key, client, klen);
        b->tokens = rl->burst;
        b->last = now;
        bucket **slot = &s->table[(h >> 8) & s->mask];
        b->hnext = *slot;
        *slot = b;
        s->n++;
        __atomic_fetch_add(&rl->n, 1, __ATOMIC_RELAXED);
    } else {
        unlink_lru(s, b);
    }
    push_front(s, b);
    if (now > b->last) {
        b->tokens += (double)(now - b->last) * 1e-9 * rl->rate;
        if (b->tokens > rl->burst) b->tokens = rl->burst;
        b->last = now;
    }
    if (b->tokens >= 1.0) {
        b->tokens -= 1.0;
        allowed = 1;
    } else {
        allowed = 0;
        if (retry_after) *retry_after = (1.0 - b->tokens) / rl->rate;
    }
    pthread_mutex_unlock(&s->lock);
    return allowed;
}

size_t rl_clients(ratelimit *rl) { return rl ? __atomic_load_n(&rl->n, __ATOMIC_RELAXED) : 0; }
