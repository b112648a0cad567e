/*
 * cache.h - the response cache of the service: (model, exact text) -> rendered result.
 *
 * Bounded by entries and by bytes (key + value + bookkeeping), least recently used entry
 * evicted first, each entry expires ttl seconds after it was stored. Sharded: a key's
 * 64-bit hash picks the shard, each shard has its own lock, hash table and LRU list, and
 * the limits are split evenly between shards. Safe for any number of threads.
 */
#ifndef SENTI_SERVE_CACHE_H
#define SENTI_SERVE_CACHE_H

#include <stddef.h>
#include <stdint.h>

#include "serve/util.h"

typedef struct cache cache;

typedef struct cache_stats {
    uint64_t hits, misses, evictions, expirations, inserts;
    uint64_t entries, bytes;
} cache_stats;

/* max_entries == 0 disables the cache (cache_new returns NULL without error). ttl <= 0: no expiry. */
int cache_new(size_t max_entries, size_t max_bytes, double ttl_seconds, cache **out);
void cache_free(cache *c);

/* model_id names the model (its digest and options): results of different models never mix.
 * On a hit, appends the value to out and returns 1; 0 on a miss (counted). */
int cache_get(cache *c, uint64_t model_id, const char *text, size_t len, sbuf *out);
/* Store (or refresh) a value; values larger than a shard's byte budget are not stored. */
void cache_put(cache *c, uint64_t model_id, const char *text, size_t len, const char *val,
               size_t vlen);
void cache_get_stats(cache *c, cache_stats *s);

/* Bytes one entry costs against the byte bound. */
size_t cache_entry_cost(size_t text_len, size_t value_len);

#endif
