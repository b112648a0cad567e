/*
 * alloc.c - the library's allocator: libc's by default, the caller's after
 * senti_set_allocator. Every block carries a 16-byte header holding its size, so the library
 * can account for the bytes it holds (senti_memory_stats_get) whatever allocator is
 * installed. Tests make the n-th allocation fail (senti__alloc_fail_after) to walk every
 * out-of-memory path.
 */
#include <stdlib.h>
#include <string.h>

#include "base/base.h"

static void *(*alloc_malloc)(size_t) = malloc;
static void *(*alloc_realloc)(void *, size_t) = realloc;
static void (*alloc_free)(void *) = free;
static long alloc_fail_countdown = -1; /* tests: fail when it reaches 0 */

SENTI_API int senti_set_allocator(void *(*malloc_fn)(size_t), void *(*realloc_fn)(void *, size_t),
                                  void (*free_fn)(void *)) {
    if (!malloc_fn && !realloc_fn && !free_fn) {
        alloc_malloc = malloc, alloc_realloc = realloc, alloc_free = free;
        return SENTI_OK;
    }
    if (!malloc_fn || !realloc_fn || !free_fn) return SENTI_EINVAL;
    alloc_malloc = malloc_fn, alloc_realloc = realloc_fn, alloc_free = free_fn;
    return SENTI_OK;
}

void senti__alloc_fail_after(long n) { __atomic_store_n(&alloc_fail_countdown, n, __ATOMIC_SEQ_CST); }

static int alloc_should_fail(void) {
    long c = __atomic_load_n(&alloc_fail_countdown, __ATOMIC_RELAXED);
    if (c < 0) return 0;
    if (c == 0) return 1;
    __atomic_fetch_sub(&alloc_fail_countdown, 1, __ATOMIC_RELAXED);
    return 0;
}

/* Every block carries a 16-byte header with its size, so the library can account for the
 * bytes it holds (senti_memory_stats_get) whatever allocator is installed. */
#define ALLOC_HDR 16
static uint64_t mem_current, mem_peak, mem_allocs, mem_frees;

static void account_add(size_t n) {
    uint64_t cur = __atomic_add_fetch(&mem_current, n, __ATOMIC_RELAXED);
    uint64_t peak = __atomic_load_n(&mem_peak, __ATOMIC_RELAXED);
    while (cur > peak && !__atomic_compare_exchange_n(&mem_peak, &peak, cur, 1, __ATOMIC_RELAXED,
                                                      __ATOMIC_RELAXED)) {
    }
}

SENTI_API void senti_memory_stats_get(senti_memory_stats *out) {
    if (!out) return;
    memset(out, 0, sizeof *out);
    out->current_bytes = __atomic_load_n(&mem_current, __ATOMIC_RELAXED);
    out->peak_bytes = __atomic_load_n(&mem_peak, __ATOMIC_RELAXED);
    out->allocations = __atomic_load_n(&mem_allocs, __ATOMIC_RELAXED);
    out->frees = __atomic_load_n(&mem_frees, __ATOMIC_RELAXED);
}

void *senti__malloc(size_t n) {
    if (alloc_should_fail() || n > SIZE_MAX - ALLOC_HDR) return NULL;
    unsigned char *p = alloc_malloc(n + ALLOC_HDR);
    if (!p) return NULL;
    memcpy(p, &n, sizeof n);
    account_add(n);
    __atomic_add_fetch(&mem_allocs, 1, __ATOMIC_RELAXED);
    return p + ALLOC_HDR;
}

void *senti__calloc(size_t count, size_t size) {
    if (size && count > SIZE_MAX / size) return NULL;
    void *p = senti__malloc(count * size);
    if (p) memset(p, 0, count * size);
    return p;
}

void *senti__realloc(void *p, size_t n) {
    if (!p) return senti__malloc(n);
    if (alloc_should_fail() || n > SIZE_MAX - ALLOC_HDR) return NULL;
    unsigned char *b = (unsigned char *)p - ALLOC_HDR;
    size_t old;
    memcpy(&old, b, sizeof old);
    unsigned char *nb = alloc_realloc(b, n + ALLOC_HDR);
    if (!nb) return NULL;
    memcpy(nb, &n, sizeof n);
    __atomic_sub_fetch(&mem_current, old, __ATOMIC_RELAXED);
    account_add(n);
    return nb + ALLOC_HDR;
}

void senti__free(void *p) {
    if (!p) return;
    unsigned char *b = (unsigned char *)p - ALLOC_HDR;
    size_t n;
    memcpy(&n, b, sizeof n);
    __atomic_sub_fetch(&mem_current, n, __ATOMIC_RELAXED);
    __atomic_add_fetch(&mem_frees, 1, __ATOMIC_RELAXED);
    alloc_free(b);
}

char *senti__strndup(const char *s, size_t n) {
    char *d = senti__malloc(n + 1);
    if (!d) return NULL;
    memcpy(d, s, n);
    d[n] = 0;
    return d;
}

char *senti__strdup(const char *s) { return senti__strndup(s, strlen(s)); }
