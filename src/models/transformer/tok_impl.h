/*
 * tok_impl.h - what the tokenizer's files share (tokenizer.h is the interface): the loaded
 * tokenizer, its vocabulary (string <-> id), the BPE merge table, the output sink that counts
 * ids up to the truncation limit, and the per-algorithm encoders (wordpiece.c, bpe.c).
 *
 * The vocabulary is an open-addressing hash table over strings kept in one arena; the merge
 * table maps a pair of ids to (rank, merged id) the same way. Both are sized to a power of two
 * at least twice the entry count, so a lookup is a hash and a short probe.
 */
#ifndef SENTI_TRANSFORMER_TOK_IMPL_H
#define SENTI_TRANSFORMER_TOK_IMPL_H

#include <stddef.h>
#include <stdint.h>

#include "models/transformer/tokenizer.h"

/* Bounds on what a file may declare (a real vocabulary is below 300k entries). */
#define TOK_MAX_VOCAB (1u << 22)
#define TOK_MAX_TOKEN_BYTES 1024
#define TOK_MAX_SPECIAL 8

typedef struct tok_vocab {
    char *arena;           /* every string, NUL-terminated */
    size_t arena_len, arena_cap;
    uint32_t *str_off;     /* by id: offset in arena, or UINT32_MAX for an id with no string */
    uint32_t *str_len;
    size_t n_ids;          /* largest id + 1 */
    size_t ids_cap;
    int32_t *slots;        /* hash slots: id, or -1 */
    size_t mask;
    size_t max_bytes;      /* the longest string */
} tok_vocab;

typedef struct tok_merge {
    int32_t a, b;          /* the pair (a = -1: empty slot) */
    int32_t merged;
    uint32_t rank;
} tok_merge;

struct senti__hftok {
    int type;              /* SENTI__HFTOK_WORDPIECE or _BPE */
    tok_vocab v;
    int32_t unk;           /* -1: none */
    /* WordPiece and BertNormalizer */
    int clean_text, chinese, lowercase, strip_accents;
    char prefix[16];       /* continuing_subword_prefix ("##") */
    size_t prefix_len;
    size_t max_chars;      /* max_input_chars_per_word */
    /* byte-level BPE */
    int add_prefix_space;
    int32_t byte_id[256];  /* the id of each byte's bytes_to_unicode character, or -1 */
    tok_merge *merges;
    size_t merge_mask;
    /* post-processor: ids before and after the text */
    int32_t pre[TOK_MAX_SPECIAL], post[TOK_MAX_SPECIAL];
    size_t n_pre, n_post;
};

/* Where encoders put ids: full once n == cap (the text's share of max_len). */
typedef struct tok_sink {
    int32_t *ids;
    senti__tokspan *spans;
    size_t n, cap;
} tok_sink;

static inline int tok_push(tok_sink *k, int32_t id, uint32_t start, uint32_t end) {
    if (k->n >= k->cap) return 1;
    k->ids[k->n] = id;
    if (k->spans) k->spans[k->n] = (senti__tokspan){start, end};
    k->n++;
    return k->n >= k->cap;
}

/* tokenizer.c: an empty tokenizer with the defaults; the check that the special tokens'
 * ids are in the vocabulary (the last step of every loader) */
senti__hftok *senti__hftok_new(int type);
int senti__hftok_check_specials(const senti__hftok *t, char *err, size_t err_size);

/* vocabulary (vocab.c) */
int32_t senti__tokv_find(const tok_vocab *v, const char *s, size_t n);
/* Give id the string s[0..n); 0, SENTI_ENOMEM, or SENTI_EFORMAT with err for a bad id or a
 * string given twice (first_wins: keep the first, as a vocab.txt read line by line). */
int senti__tokv_add(tok_vocab *v, const char *s, size_t n, int64_t id, char *err, size_t err_size);
/* Build the hash table once every string is added. */
int senti__tokv_index(tok_vocab *v);
void senti__tokv_free(tok_vocab *v);

/* byte-level BPE (bpe.c) */
/* The bytes_to_unicode character of byte b, as UTF-8 (returns the length, 1 or 2). */
size_t senti__bpe_byte_char(unsigned b, char out[4]);
/* Fill t->byte_id from the vocabulary; SENTI_EFORMAT if a byte has no token and no unk. */
int senti__bpe_bytes_init(senti__hftok *t, char *err, size_t err_size);
/* Record merge number rank: the tokens a and b (strings) become a+b. */
int senti__bpe_merge_add(senti__hftok *t, const char *a, size_t an, const char *b, size_t bn,
                         uint32_t rank, size_t capacity, char *err, size_t err_size);
int senti__bpe_encode(const senti__hftok *t, const unsigned char *s, size_t len, tok_sink *k);

/* WordPiece (wordpiece.c) */
int senti__wp_encode(const senti__hftok *t, const unsigned char *s, size_t len, tok_sink *k);

/* Unicode classes shared by both (wordpiece.c) */
int senti__tok_is_space(int32_t cp);  /* White_Space */

#endif
