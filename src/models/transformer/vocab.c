/*
 * vocab.c - a tokenizer's vocabulary: strings to ids and back.
 *
 * The strings live in one arena; by id, an offset and a length; and an open-addressing hash
 * table (XXH3, linear probing, at most half full) maps a string to its id. Ids come from
 * files and are checked: below TOK_MAX_VOCAB, each given once. When one string is given to
 * two ids (vocab.txt files have such duplicates), the lookup answers the larger id, as the
 * reference implementations do (their dict keeps the last insertion).
 */
#include <string.h>
#define XXH_INLINE_ALL
#include <xxhash.h>

#include "base/base.h"
#include "models/transformer/tok_impl.h"

static int grow_ids(tok_vocab *v, size_t need) {
    if (need > v->ids_cap) {
        size_t cap = v->ids_cap ? v->ids_cap : 1024;
        while (cap < need) cap *= 2;
        uint32_t *o = senti__realloc(v->str_off, cap * sizeof *o);
        if (!o) return SENTI_ENOMEM;
        v->str_off = o;
        uint32_t *l = senti__realloc(v->str_len, cap * sizeof *l);
        if (!l) return SENTI_ENOMEM;
        v->str_len = l;
        for (size_t i = v->ids_cap; i < cap; i++) o[i] = UINT32_MAX, l[i] = 0;
        v->ids_cap = cap;
    }
    if (need > v->n_ids) v->n_ids = need;
    return 0;
}

int senti__tokv_add(tok_vocab *v, const char *s, size_t n, int64_t id, char *err, size_t err_size) {
    if (id < 0 || id >= (int64_t)TOK_MAX_VOCAB)
        return senti__err(err, err_size, SENTI_EFORMAT, "vocabulary id %lld is out of range",
                          (long long)id);
    if (n > TOK_MAX_TOKEN_BYTES)
        return senti__err(err, err_size, SENTI_EFORMAT, "a vocabulary string is over %u bytes",
                          TOK_MAX_TOKEN_BYTES);
    if (grow_ids(v, (size_t)id + 1)) return SENTI_ENOMEM;
    if (v->str_off[id] != UINT32_MAX)
        return senti__err(err, err_size, SENTI_EFORMAT, "vocabulary id %lld is given twice",
                          (long long)id);
    if (v->arena_len + n + 1 > v->arena_cap) {
        size_t cap = v->arena_cap ? v->arena_cap : 65536;
        while (cap < v->arena_len + n + 1) cap *= 2;
        if (cap > UINT32_MAX) return senti__err(err, err_size, SENTI_EFORMAT, "vocabulary too large");
        char *a = senti__realloc(v->arena, cap);
        if (!a) return SENTI_ENOMEM;
        v->arena = a;
        v->arena_cap = cap;
    }
    memcpy(v->arena + v->arena_len, s, n);
    v->arena[v->arena_len + n] = 0;
    v->str_off[id] = (uint32_t)v->arena_len;
    v->str_len[id] = (uint32_t)n;
    v->arena_len += n + 1;
    if (n > v->max_bytes) v->max_bytes = n;
    return 0;
}

static size_t slot_of(const tok_vocab *v, const char *s, size_t n) {
    return (size_t)XXH3_64bits(s, n) & v->mask;
}

int senti__tokv_index(tok_vocab *v) {
    size_t cap = 16;
    while (cap < 2 * v->n_ids + 2) cap *= 2;
    senti__free(v->slots);
    v->slots = senti__malloc(cap * sizeof *v->slots);
    if (!v->slots) return SENTI_ENOMEM;
    memset(v->slots, 0xff, cap * sizeof *v->slots); /* every slot -1 */
    v->mask = cap - 1;
    for (size_t id = 0; id < v->n_ids; id++) {
        if (v->str_off[id] == UINT32_MAX) continue;
        const char *s = v->arena + v->str_off[id];
        size_t n = v->str_len[id], i = slot_of(v, s, n);
        for (;; i = (i + 1) & v->mask) {
            int32_t o = v->slots[i];
            if (o < 0) break;
            if (v->str_len[o] == n && memcmp(v->arena + v->str_off[o], s, n) == 0) break;
        }
        v->slots[i] = (int32_t)id; /* a repeated string: the larger id replaces the smaller */
    }
    return 0;
}

int32_t senti__tokv_find(const tok_vocab *v, const char *s, size_t n) {
    if (!v->slots || n > v->max_bytes) return -1;
    for (size_t i = slot_of(v, s, n);; i = (i + 1) & v->mask) {
        int32_t o = v->slots[i];
        if (o < 0) return -1;
        if (v->str_len[o] == n && memcmp(v->arena + v->str_off[o], s, n) == 0) return o;
    }
}

void senti__tokv_free(tok_vocab *v) {
    senti__free(v->arena);
    senti__free(v->str_off);
    senti__free(v->str_len);
    senti__free(v->slots);
    memset(v, 0, sizeof *v);
}
