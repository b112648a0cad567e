/*
 * bpe.c - byte-level BPE as GPT-2 and RoBERTa tokenize.
 *
 * 1. The text is decoded (an invalid byte is U+FFFD) and, with add_prefix_space, a space is
 *    put before a text that does not start with one.
 * 2. The GPT-2 pattern cuts it into pieces, written here by hand:
 *        's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+
 *    The alternatives are tried in that order at each position. \s is Unicode's White_Space
 *    (as in the `tokenizers` library's Oniguruma pattern; JavaScript's \s differs in U+0085 and
 *    U+FEFF, which transformers.js therefore splits differently). The last two alternatives
 *    make a run of whitespace give all but its last character to the run and the last to the
 *    word that follows (" hello" keeps its space), except at the end of the text.
 * 3. Each piece's UTF-8 bytes become symbols: the vocabulary id of the byte's printable
 *    stand-in (bytes_to_unicode: the printable Latin-1 bytes stand for themselves, the other
 *    68 bytes for U+0100 upwards in byte order).
 * 4. Merges: the adjacent pair of lowest rank merges first (leftmost on ties), until no pair
 *    has a merge. The candidates sit in a binary heap keyed (rank, position) and are checked
 *    when popped (a pair that has changed since it was pushed is skipped), so a word of n bytes
 *    costs O(n log n), not the O(n^2) of rescanning every pair after each merge.
 * The merge table maps a pair of ids to its rank and merged id (open addressing).
 */
#include <string.h>
#include <utf8proc.h>

#include "base/base.h"
#include "models/transformer/tok_impl.h"
#include "text/tokenize.h"

#define E(...) senti__err(err, err_size, SENTI_EFORMAT, __VA_ARGS__)

/* Printable bytes stand for themselves; the rest count up from U+0100 in byte order. */
static uint32_t byte_cp(unsigned b) {
    if ((b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF)) return b;
    uint32_t n = 0;
    for (unsigned c = 0; c < b; c++)
        n += !((c >= '!' && c <= '~') || (c >= 0xA1 && c <= 0xAC) || (c >= 0xAE && c <= 0xFF));
    return 256 + n;
}

size_t senti__bpe_byte_char(unsigned b, char out[4]) {
    return (size_t)utf8proc_encode_char((utf8proc_int32_t)byte_cp(b & 0xFF), (utf8proc_uint8_t *)out);
}

int senti__bpe_bytes_init(senti__hftok *t, char *err, size_t err_size) {
    for (unsigned b = 0; b < 256; b++) {
        char c[4];
        size_t n = senti__bpe_byte_char(b, c);
        t->byte_id[b] = senti__tokv_find(&t->v, c, n);
        if (t->byte_id[b] < 0 && t->unk < 0)
            return E("byte-level BPE: the vocabulary has no token for byte 0x%02x and no unknown token", b);
    }
    return 0;
}

/* ---- the merge table --------------------------------------------------------------------------- */

static size_t pair_slot(int32_t a, int32_t b, size_t mask) {
    uint64_t h = (uint64_t)(uint32_t)a * 0x9E3779B97F4A7C15ull ^ (uint64_t)(uint32_t)b * 0xC2B2AE3D27D4EB4Full;
    return (size_t)(h ^ (h >> 29)) & mask;
}

static const tok_merge *merge_find(const senti__hftok *t, int32_t a, int32_t b) {
    if (!t->merges) return NULL;
    for (size_t i = pair_slot(a, b, t->merge_mask);; i = (i + 1) & t->merge_mask) {
        const tok_merge *m = &t->merges[i];
        if (m->a < 0) return NULL;
        if (m->a == a && m->b == b) return m;
    }
}

int senti__bpe_merge_add(senti__hftok *t, const char *a, size_t an, const char *b, size_t bn,
                         uint32_t rank, size_t capacity, char *err, size_t err_size) {
    if (!t->merges) {
        /* capacity: the caller's count of merges (a bound from the file), at most the limit */
        if (capacity > TOK_MAX_VOCAB) capacity = TOK_MAX_VOCAB;
        size_t cap = 16;
        while (cap < 2 * capacity + 2) cap *= 2;
        if (!(t->merges = senti__malloc(cap * sizeof *t->merges))) return SENTI_ENOMEM;
        memset(t->merges, 0xff, cap * sizeof *t->merges); /* a = -1: empty */
        t->merge_mask = cap - 1;
    }
    char ab[2 * TOK_MAX_TOKEN_BYTES];
    int32_t ia = senti__tokv_find(&t->v, a, an), ib = senti__tokv_find(&t->v, b, bn), iab = -1;
    if (ia >= 0 && ib >= 0) {
        memcpy(ab, a, an); /* both are vocabulary strings, so an, bn <= TOK_MAX_TOKEN_BYTES */
        memcpy(ab + an, b, bn);
        iab = senti__tokv_find(&t->v, ab, an + bn);
    }
    if (iab < 0) return E("merge %u: \"%.*s\" + \"%.*s\" is not in the vocabulary", rank,
                          (int)(an < 40 ? an : 40), a, (int)(bn < 40 ? bn : 40), b);
    size_t i = pair_slot(ia, ib, t->merge_mask);
    while (t->merges[i].a >= 0 && !(t->merges[i].a == ia && t->merges[i].b == ib))
        i = (i + 1) & t->merge_mask;
    /* a pair listed twice keeps its last rank, as the reference implementations do */
    t->merges[i] = (tok_merge){ia, ib, iab, rank};
    return 0;
}

/* ---- pre-tokenization ------------------------------------------------------------------------ */

enum { K_WS, K_L, K_N, K_OTHER };

int senti__tok_is_space(int32_t c) {
    return (c >= 9 && c <= 13) || c == ' ' || c == 0x85 || c == 0xA0 || c == 0x1680 ||
           (c >= 0x2000 && c <= 0x200A) || c == 0x2028 || c == 0x2029 || c == 0x202F ||
           c == 0x205F || c == 0x3000;
}

static uint8_t cp_class(int32_t c) {
    if (c < 128) {
        if ((c | 32) >= 'a' && (c | 32) <= 'z') return K_L;
        if (c >= '0' && c <= '9') return K_N;
        return senti__tok_is_space(c) ? K_WS : K_OTHER;
    }
    if (senti__tok_is_space(c)) return K_WS;
    switch (utf8proc_category(c)) {
    case UTF8PROC_CATEGORY_LU: case UTF8PROC_CATEGORY_LL: case UTF8PROC_CATEGORY_LT:
    case UTF8PROC_CATEGORY_LM: case UTF8PROC_CATEGORY_LO:
        return K_L;
    case UTF8PROC_CATEGORY_ND: case UTF8PROC_CATEGORY_NL: case UTF8PROC_CATEGORY_NO:
        return K_N;
    default:
        return K_OTHER;
    }
}

/* The end of the piece that starts at i (the GPT-2 pattern). */
static size_t piece_end(const int32_t *cp, const uint8_t *cl, size_t i, size_t n) {
    if (cp[i] == '\'' && i + 1 < n) {
        int32_t c1 = cp[i + 1], c2 = i + 2 < n ? cp[i + 2] : 0;
        if (c1 == 's' || c1 == 't' || c1 == 'm' || c1 == 'd') return i + 2;
        if ((c1 == 'r' && c2 == 'e') || (c1 == 'v' && c2 == 'e') || (c1 == 'l' && c2 == 'l')) return i + 3;
    }
    size_t s = cp[i] == ' ' && i + 1 < n && cl[i + 1] != K_WS ? i + 1 : i;
    size_t j = s + 1;
    if (cl[s] != K_WS) {
        while (j < n && cl[j] == cl[s]) j++;
        return j;
    }
    while (j < n && cl[j] == K_WS) j++;
    return j < n && j - i >= 2 ? j - 1 : j;
}

/* ---- merging ----------------------------------------------------------------------------------- */

typedef struct sym {
    int32_t id, prev, next; /* next = -1: last; id = -1: merged away */
    uint32_t start, end;
} sym;

typedef struct cand {
    uint32_t rank, pos;
    int32_t a, b;
} cand;

/* Scratch of one encode call, grown as needed. */
typedef struct bpe_work {
    int32_t *cp;
    uint8_t *cl;
    uint32_t *off; /* source byte offset of each code point, and of the end */
    sym *s;
    cand *h;
    size_t nh, cap;
} bpe_work;

static int cand_less(const cand *x, const cand *y) {
    return x->rank < y->rank || (x->rank == y->rank && x->pos < y->pos);
}

static void heap_push(bpe_work *w, cand c) {
    size_t i = w->nh++;
    while (i > 0 && cand_less(&c, &w->h[(i - 1) / 2])) {
        w->h[i] = w->h[(i - 1) / 2];
        i = (i - 1) / 2;
    }
    w->h[i] = c;
}

static cand heap_pop(bpe_work *w) {
    cand top = w->h[0], last = w->h[--w->nh];
    size_t i = 0;
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= w->nh) break;
        if (c + 1 < w->nh && cand_less(&w->h[c + 1], &w->h[c])) c++;
        if (!cand_less(&w->h[c], &last)) break;
        w->h[i] = w->h[c];
        i = c;
    }
    if (w->nh) w->h[i] = last;
    return top;
}

static void try_pair(const senti__hftok *t, bpe_work *w, int32_t left) {
    if (left < 0 || w->s[left].next < 0) return;
    int32_t a = w->s[left].id, b = w->s[w->s[left].next].id;
    const tok_merge *m = merge_find(t, a, b);
    /* at most one candidate per symbol is live at a time, and each merge adds two */
    if (m) heap_push(w, (cand){m->rank, (uint32_t)left, a, b});
}

/* Merge the n symbols w->s[0..n) and push the result. Returns 1 when the sink is full. */
static int merge_word(const senti__hftok *t, bpe_work *w, size_t n, tok_sink *k) {
    w->nh = 0;
    for (size_t i = 0; i + 1 < n; i++) try_pair(t, w, (int32_t)i);
    while (w->nh) {
        cand c = heap_pop(w);
        sym *l = &w->s[c.pos];
        if (l->id != c.a || l->next < 0 || w->s[l->next].id != c.b) continue; /* stale */
        sym *r = &w->s[l->next];
        l->id = merge_find(t, c.a, c.b)->merged;
        l->end = r->end;
        l->next = r->next;
        if (r->next >= 0) w->s[r->next].prev = (int32_t)c.pos;
        r->id = -1;
        try_pair(t, w, l->prev);
        try_pair(t, w, (int32_t)c.pos);
    }
    for (int32_t i = 0; i >= 0; i = w->s[i].next)
        if (tok_push(k, w->s[i].id, w->s[i].start, w->s[i].end)) return 1;
    return 0;
}

/* ---- encoding ---------------------------------------------------------------------------------- */

static void work_free(bpe_work *w) {
    senti__free(w->cp);
    senti__free(w->cl);
    senti__free(w->off);
    senti__free(w->s);
    senti__free(w->h);
}

/* Decode s (with the prefix space if asked) into w: returns the code point count, or
 * (size_t)-1 when out of memory. */
static size_t decode_text(const senti__hftok *t, bpe_work *w, const unsigned char *s, size_t len) {
    size_t n = 0, cap = len + 1;
    w->cp = senti__calloc(cap, sizeof *w->cp);
    w->cl = senti__calloc(cap, sizeof *w->cl);
    w->off = senti__calloc(cap + 1, sizeof *w->off);
    if (!w->cp || !w->cl || !w->off) return (size_t)-1;
    if (t->add_prefix_space && len > 0 && s[0] != ' ') {
        w->cp[0] = ' ', w->cl[0] = K_WS, w->off[0] = 0, w->off[1] = 0;
        n = 1;
    }
    for (size_t at = 0; at < len;) {
        int32_t c;
        w->off[n] = (uint32_t)at;
        at += (size_t)senti__utf8_decode(s + at, len - at, &c);
        w->cp[n] = c;
        w->cl[n++] = cp_class(c);
    }
    w->off[n] = (uint32_t)len;
    return n;
}

/* The byte symbols of code points [i, j) into w->s; returns their count. */
static size_t piece_symbols(const senti__hftok *t, bpe_work *w, size_t i, size_t j) {
    size_t m = 0;
    for (size_t c = i; c < j; c++) {
        utf8proc_uint8_t u[4];
        utf8proc_ssize_t nb = utf8proc_encode_char(w->cp[c], u);
        /* the source span of a character's bytes is the character's (a prefix space: empty) */
        uint32_t st = w->off[c], en = w->off[c + 1];
        for (utf8proc_ssize_t b = 0; b < nb; b++, m++) {
            int32_t id = t->byte_id[u[b]];
            w->s[m] = (sym){id >= 0 ? id : t->unk, (int32_t)m - 1, (int32_t)m + 1, st, en};
        }
    }
    w->s[m - 1].next = -1;
    return m;
}

int senti__bpe_encode(const senti__hftok *t, const unsigned char *s, size_t len, tok_sink *k) {
    bpe_work w = {0};
    int rc = 0;
    size_t n = decode_text(t, &w, s, len);
    if (n == (size_t)-1) {
        rc = SENTI_ENOMEM;
        goto out;
    }
    for (size_t i = 0, j; i < n; i = j) {
        j = piece_end(w.cp, w.cl, i, n);
        size_t need = 4 * (j - i);
        if (need > w.cap) {
            senti__free(w.s), senti__free(w.h);
            w.s = senti__malloc(need * sizeof *w.s);
            w.h = senti__malloc(3 * need * sizeof *w.h);
            w.cap = need;
            if (!w.s || !w.h) {
                rc = SENTI_ENOMEM;
                goto out;
            }
        }
        size_t m = piece_symbols(t, &w, i, j);
        if (merge_word(t, &w, m, k)) break;
    }
out:
    work_free(&w);
    return rc;
}
