/*
 * cache.c - sharded LRU cache with TTL, bounded by entries and bytes.
 *
 * DESIGN
 *
 * Each shard: a mutex, a power-of-two table of bucket chains (sized for the shard's entry
 * bound, so chains stay short), and a doubly linked LRU list (head = most recently used).
 * An entry is one allocation: the header, then the text, then the value. A lookup compares
 * the 64-bit hash, the model id, the length and then the bytes, so a hit is an exact text
 * match. Expired entries are dropped when met (lookup) and from the LRU tail when making
 * room. Counters are relaxed atomics so /metrics can read them without taking shard locks.
 */
#include "serve/cache.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

typedef struct entry {
    struct entry *hnext;             /* bucket chain */
    struct entry *prev, *next;       /* LRU list */
    uint64_t hash, model_id, expires; /* expires: monotonic ns, 0 = never */
    size_t tlen, vlen;
    char data[]; /* text, then value */
} entry;

typedef struct shard {
    pthread_mutex_t lock;
    entry **buckets;
    size_t mask;
    entry *head, *tail;
    size_t n, bytes, max_n, max_bytes;
    char pad[64];
} shard;

struct cache {
    shard *shards;
    size_t nshards;
    uint64_t ttl_ns;
    uint64_t hits, misses, evictions, expirations, inserts, n, bytes; /* atomics */
};

#define ADD(p, v) __atomic_fetch_add(&(p), (v), __ATOMIC_RELAXED)
#define SUB(p, v) __atomic_fetch_sub(&(p), (v), __ATOMIC_RELAXED)
#define LOAD(p) __atomic_load_n(&(p), __ATOMIC_RELAXED)

size_t cache_entry_cost(size_t text_len, size_t value_len) {
    return sizeof(entry) + text_len + value_len + sizeof(entry *);
}

int cache_new(size_t max_entries, size_t max_bytes, double ttl_seconds, cache **out) {
    *out = NULL;
    if (max_entries == 0 || max_bytes == 0) return 0;
    cache *c = calloc(1, sizeof *c);
    if (!c) return -1;
    /* Enough shards to spread lock contention, few enough that each holds a useful share. */
    size_t ns = 1;
    while (ns < 16 && max_entries / (ns * 2) >= 256 && max_bytes / (ns * 2) >= 65536) ns *= 2;
    c->nshards = ns;
    c->ttl_ns = ttl_seconds > 0 ? (uint64_t)(ttl_seconds * 1e9) : 0;
    c->shards = calloc(ns, sizeof *c->shards);
    if (!c->shards) goto fail;
    for (size_t i = 0; i < ns; i++) {
        shard *s = &c->shards[i];
        s->max_n = max_entries / ns + (i < max_entries % ns);
        s->max_bytes = max_bytes / ns;
        size_t nb = 16;
        while (nb < s->max_n && nb < ((size_t)1 << 24)) nb *= 2;
        s->buckets = calloc(nb, sizeof *s->buckets);
        if (!s->buckets) goto fail;
        s->mask = nb - 1;
        pthread_mutex_init(&s->lock, NULL);
    }
    *out = c;
    return 0;
fail:
    if (c->shards)
        for (size_t i = 0; i < ns; i++) free(c->shards[i].buckets);
    free(c->shards);
    free(c);
    return -1;
}

void cache_free(cache *c) {
    if (!c) return;
    for (size_t i = 0; i < c->nshards; i++) {
        shard *s = &c->shards[i];
        for (entry *e = s->head, *nx; e; e = nx) {
            nx = e->next;
            free(e);
        }
        free(s->buckets);
        pthread_mutex_destroy(&s->lock);
    }
    free(c->shards);
    free(c);
}

static uint64_t key_hash(uint64_t model_id, const char *text, size_t len) {
    return XXH3_64bits_withSeed(text, len, model_id);
}

static void lru_unlink(shard *s, entry *e) {
    if (e->prev) e->prev->next = e->next;
    else s->head = e->next;
    if (e->next) e->next->prev = e->prev;
    else s->tail = e->prev;
    e->prev = e->next = NULL;
}

static void lru_push_front(shard *s, entry *e) {
    e->prev = NULL;
    e->next = s->head;
    if (s->head) s->head->prev = e;
    s->head = e;
    if (!s->tail) s->tail = e;
}

/* Remove e from its bucket and the LRU list and free it. */
static void drop(cache *c, shard *s, entry *e) {
    entry **pp = &s->buckets[(e->hash >> 8) & s->mask];
    while (*pp && *pp != e) pp = &(*pp)->hnext;
    if (*pp) *pp = e->hnext;
    lru_unlink(s, e);
    size_t cost = cache_entry_cost(e->tlen, e->vlen);
    s->n--;
    s->bytes -= cost;
    SUB(c->n, 1);
    SUB(c->bytes, cost);
    free(e);
}

static entry *find(shard *s, uint64_t h, uint64_t model_id, const char *text, size_t len) {
    for (entry *e = s->buckets[(h >> 8) & s->mask]; e; e = e->hnext)
        if (e->hash == h && e->model_id == model_id && e->tlen == len && !memcmp(e->data, text, len))
            return e;
    return NULL;
}

int cache_get(cache *c, uint64_t model_id, const char *text, size_t len, sbuf *out) {
    uint64_t h = key_hash(model_id, text, len);
    shard *s = &c->shards[h % c->nshards];
    pthread_mutex_lock(&s->lock);
    entry *e = find(s, h, model_id, text, len);
    if (e && e->expires && e->expires <= now_ns()) {
        drop(c, s, e);
        ADD(c->expirations, 1);
        e = NULL;
    }
    if (e) {
        if (s->head != e) {
            lru_unlink(s, e);
            lru_push_front(s, e);
        }
        sb_put(out, e->data + e->tlen, e->vlen);
    }
    pthread_mutex_unlock(&s->lock);
    ADD(*(e ? &c->hits : &c->misses), 1);
    return e != NULL;
}

void cache_put(cache *c, uint64_t model_id, const char *text, size_t len, const char *val,
               size_t vlen) {
    uint64_t h = key_hash(model_id, text, len);
    shard *s = &c->shards[h % c->nshards];
    size_t cost = cache_entry_cost(len, vlen);
    if (cost > s->max_bytes) return;
    entry *ne = malloc(sizeof *ne + len + vlen);
    if (!ne) return;
    memset(ne, 0, sizeof *ne);
    ne->hash = h;
    ne->model_id = model_id;
    ne->tlen = len;
    ne->vlen = vlen;
    memcpy(ne->data, text, len);
    memcpy(ne->data + len, val, vlen);
    uint64_t now = now_ns();
    ne->expires = c->ttl_ns ? now + c->ttl_ns : 0;

    pthread_mutex_lock(&s->lock);
    entry *old = find(s, h, model_id, text, len);
    if (old) drop(c, s, old); /* another thread stored it meanwhile: keep the newer */
    /* Make room: expired entries first (from the cold end), then least recently used. */
    while (s->tail && (s->n + 1 > s->max_n || s->bytes + cost > s->max_bytes)) {
        entry *t = s->tail;
        int expired = t->expires && t->expires <= now;
        drop(c, s, t);
        ADD(*(expired ? &c->expirations : &c->evictions), 1);
    }
    entry **b = &s->buckets[(h >> 8) & s->mask];
    ne->hnext = *b;
    *b = ne;
    lru_push_front(s, ne);
    s->n++;
    s->bytes += cost;
    ADD(c->n, 1);
    ADD(c->bytes, cost);
    ADD(c->inserts, 1);
    pthread_mutex_unlock(&s->lock);
}

void cache_get_stats(cache *c, cache_stats *st) {
    memset(st, 0, sizeof *st);
    if (!c) return;
    st->hits = LOAD(c->hits);
    st->misses = LOAD(c->misses);
    st->evictions = LOAD(c->evictions);
    st->expirations = LOAD(c->expirations);
    st->inserts = LOAD(c->inserts);
    st->entries = LOAD(c->n);
    st->bytes = LOAD(c->bytes);
}
