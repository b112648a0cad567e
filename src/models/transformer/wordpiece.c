/*
 * wordpiece.c - BERT's tokenizer: BasicTokenizer (BertNormalizer + BertPreTokenizer) then
 * WordpieceTokenizer, as in transformers' tokenization_bert.py and the `tokenizers` library.
 *
 * The text is read one whitespace-delimited chunk at a time (nothing in the normalization
 * looks across whitespace), so the scratch memory is that of the longest chunk, and reading
 * stops as soon as the ids fill the caller's limit.
 *
 *   clean_text      NUL, U+FFFD (so every invalid byte) and the characters of categories
 *                   Cc, Cf, Co, Cs and Cn are dropped, but tab, newline and carriage return,
 *                   which like every White_Space character read as a space.
 *   chinese         a CJK ideograph (the ranges of BERT's _is_chinese_char) is a word of its
 *                   own.
 *   lowercase       the full lower-case mapping: one code point to one by utf8proc_tolower,
 *                   except U+0130 (to "i" + U+0307) and the capital sigma, which is final
 *                   (U+03C2) at the end of a word (Unicode's Final_Sigma condition), as Python's
 *                   str.lower and JavaScript's toLowerCase do.
 *   strip_accents   NFD (canonical decomposition, marks put in canonical order), then every
 *                   nonspacing mark (Mn) is dropped.
 *   split           on whitespace; each punctuation character (ASCII !-/ :-@ [-` {-~ and the
 *                   Unicode categories P*) is a word of its own.
 *   wordpiece       a word of more than max_chars code points is the unknown token; else the
 *                   longest vocabulary entry that starts it, then the longest "##" entry that
 *                   continues it, and so on; a word with a part that matches nothing is the
 *                   unknown token as a whole.
 *
 * Differences with transformers.js (the parity reference), by choice, since the checkpoints
 * were made with the Python and Rust tokenizers: it keeps unassigned code points (Cn) and only
 * sees ideographs of the Basic Multilingual Plane (it reads UTF-16 units), so CJK Extension B
 * and later stay glued to their neighbours there. tests/unit/test_tokenizer.c pins both.
 */
#include <string.h>
#include <utf8proc.h>

#include "base/base.h"
#include "models/transformer/tok_impl.h"
#include "text/tokenize.h"

typedef struct wchar {
    int32_t cp;
    uint32_t start, end; /* source bytes */
} wchar;

typedef struct wp_work {
    wchar *a, *b;        /* the chunk as read, and normalized */
    size_t na, cap_a, cap_b;
    /* a word of up to cap_w characters: */
    char *buf;           /* its UTF-8, after room for the prefix */
    uint32_t *off;       /* the byte offset of each character in buf, and of the end */
    int32_t *piece;      /* the ids of its pieces */
    uint32_t *piece_end; /* the character where each piece ends */
    size_t cap_w;
} wp_work;

/* ---- Unicode classes --------------------------------------------------------------------------- */

static int is_cjk(int32_t c) {
    return (c >= 0x4E00 && c <= 0x9FFF) || (c >= 0x3400 && c <= 0x4DBF) ||
           (c >= 0x20000 && c <= 0x2A6DF) || (c >= 0x2A700 && c <= 0x2B73F) ||
           (c >= 0x2B740 && c <= 0x2B81F) || (c >= 0x2B820 && c <= 0x2CEAF) ||
           (c >= 0xF900 && c <= 0xFAFF) || (c >= 0x2F800 && c <= 0x2FA1F);
}

static int is_control(int32_t c) {
    if (c == '\t' || c == '\n' || c == '\r') return 0;
    if (c < 128) return c < 32 || c == 127;
    switch (utf8proc_category(c)) {
    case UTF8PROC_CATEGORY_CC: case UTF8PROC_CATEGORY_CF: case UTF8PROC_CATEGORY_CO:
    case UTF8PROC_CATEGORY_CS: case UTF8PROC_CATEGORY_CN:
        return 1;
    default:
        return 0;
    }
}

static int is_punct(int32_t c) {
    if (c < 128)
        return (c >= 33 && c <= 47) || (c >= 58 && c <= 64) || (c >= 91 && c <= 96) ||
               (c >= 123 && c <= 126);
    int k = utf8proc_category(c);
    return k >= UTF8PROC_CATEGORY_PC && k <= UTF8PROC_CATEGORY_PO;
}

/* Unicode's Cased and Case_Ignorable properties, from the categories and case mappings. */
static int is_cased(int32_t c) {
    int k = utf8proc_category(c);
    return k == UTF8PROC_CATEGORY_LU || k == UTF8PROC_CATEGORY_LL || k == UTF8PROC_CATEGORY_LT ||
           utf8proc_tolower(c) != c || utf8proc_toupper(c) != c;
}

static int is_case_ignorable(int32_t c) {
    switch (c) {
    case 0x27: case 0x2E: case 0x3A: case 0xB7: case 0x387: case 0x55F: case 0x5F4:
    case 0x2018: case 0x2019: case 0x2024: case 0x2027: case 0xFE13: case 0xFE52:
    case 0xFE55: case 0xFF07: case 0xFF0E: case 0xFF1A:
        return 1;
    }
    int k = utf8proc_category(c);
    return k == UTF8PROC_CATEGORY_MN || k == UTF8PROC_CATEGORY_ME || k == UTF8PROC_CATEGORY_CF ||
           k == UTF8PROC_CATEGORY_LM || k == UTF8PROC_CATEGORY_SK;
}

/* Final_Sigma: a cased letter before (skipping case-ignorables), none after. */
static int final_sigma(const wchar *a, size_t n, size_t i) {
    size_t j = i;
    while (j > 0 && is_case_ignorable(a[j - 1].cp)) j--;
    if (j == 0 || !is_cased(a[j - 1].cp)) return 0;
    for (j = i + 1; j < n && is_case_ignorable(a[j].cp); j++) {}
    return j == n || !is_cased(a[j].cp);
}

/* ---- normalization ------------------------------------------------------------------------------ */

static int reserve(void **p, size_t *cap, size_t need, size_t size) {
    if (need <= *cap) return 0;
    size_t c = *cap ? *cap : 64;
    while (c < need) c *= 2;
    void *q = senti__realloc(*p, c * size);
    if (!q) return SENTI_ENOMEM;
    *p = q;
    *cap = c;
    return 0;
}

/* The lower-case code points of a[i] (1 or 2) into out. */
static int lower_full(const wchar *a, size_t n, size_t i, int32_t out[2]) {
    int32_t c = a[i].cp;
    if (c < 128) return out[0] = (c >= 'A' && c <= 'Z') ? c + 32 : c, 1;
    if (c == 0x130) return out[0] = 'i', out[1] = 0x307, 2;
    if (c == 0x3A3) return out[0] = final_sigma(a, n, i) ? 0x3C2 : 0x3C3, 1;
    return out[0] = utf8proc_tolower(c), 1;
}

/* Put each run of marks (combining class > 0) of b[from..n) in canonical order (stable). */
static void canonical_order(wchar *b, size_t from, size_t n) {
    for (size_t i = from + 1; i < n; i++) {
        wchar x = b[i];
        int cc = utf8proc_get_property(x.cp)->combining_class;
        if (cc == 0) continue;
        size_t j = i;
        while (j > from && utf8proc_get_property(b[j - 1].cp)->combining_class > cc) {
            b[j] = b[j - 1];
            j--;
        }
        b[j] = x;
    }
}

/* Lower-case and strip accents of the chunk w->a into w->b; returns its length or -1. */
static long normalize_chunk(const senti__hftok *t, wp_work *w) {
    if (reserve((void **)&w->b, &w->cap_b, 8 * w->na + 8, sizeof *w->b)) return -1;
    size_t m = 0;
    for (size_t i = 0; i < w->na; i++) {
        int32_t low[2] = {w->a[i].cp, 0};
        int nl = t->lowercase ? lower_full(w->a, w->na, i, low) : 1;
        for (int l = 0; l < nl; l++) {
            utf8proc_int32_t d[4];
            utf8proc_ssize_t nd = 1;
            d[0] = low[l];
            if (t->strip_accents && low[l] >= 128) {
                int bc = 0;
                nd = utf8proc_decompose_char(low[l], d, 4, UTF8PROC_DECOMPOSE, &bc);
                if (nd < 1 || nd > 4) nd = 1, d[0] = low[l]; /* no canonical decomposition is longer */
            }
            for (utf8proc_ssize_t k = 0; k < nd; k++)
                w->b[m++] = (wchar){d[k], w->a[i].start, w->a[i].end};
        }
    }
    if (!t->strip_accents) return (long)m;
    canonical_order(w->b, 0, m);
    size_t o = 0;
    for (size_t i = 0; i < m; i++)
        if (w->b[i].cp < 128 || utf8proc_category(w->b[i].cp) != UTF8PROC_CATEGORY_MN) w->b[o++] = w->b[i];
    return (long)o;
}

/* ---- WordPiece ------------------------------------------------------------------------------------- */

static int word_reserve(const senti__hftok *t, wp_work *w, size_t n) {
    if (n <= w->cap_w) return 0;
    size_t c = w->cap_w ? w->cap_w : 64;
    while (c < n) c *= 2;
    senti__free(w->buf), senti__free(w->off), senti__free(w->piece), senti__free(w->piece_end);
    w->buf = senti__malloc(4 * c + t->prefix_len + 1);
    w->off = senti__malloc((c + 1) * sizeof *w->off);
    w->piece = senti__malloc(c * sizeof *w->piece);
    w->piece_end = senti__malloc(c * sizeof *w->piece_end);
    w->cap_w = w->buf && w->off && w->piece && w->piece_end ? c : 0;
    return w->cap_w ? 0 : SENTI_ENOMEM;
}

/* Greedy longest-match-first: the pieces of word c[0..n) into w->piece and w->piece_end;
 * returns their count, 0 when some part matches nothing. The window of a lookup never
 * exceeds the longest vocabulary string, so a word costs O(n * longest). */
static size_t segment(const senti__hftok *t, wp_work *w, const wchar *c, size_t n) {
    const size_t P = t->prefix_len, max = t->v.max_bytes;
    char *buf = w->buf + P;
    uint32_t *off = w->off;
    size_t np = 0, e = 0;
    off[0] = 0;
    for (size_t i = 0; i < n; i++)
        off[i + 1] = off[i] + (uint32_t)utf8proc_encode_char(c[i].cp, (utf8proc_uint8_t *)buf + off[i]);
    for (size_t start = 0; start < n;) {
        size_t pre = start ? P : 0;
        if (start) memcpy(buf + off[start] - P, t->prefix, P); /* over bytes already matched */
        if (e < start) e = start;
        while (e < n && off[e + 1] - off[start] + pre <= max) e++;
        int32_t id = -1;
        size_t end = e;
        for (; end > start && id < 0; end--)
            id = senti__tokv_find(&t->v, buf + off[start] - pre, off[end] - off[start] + pre);
        if (id < 0) return 0;
        w->piece[np] = id;
        w->piece_end[np++] = (uint32_t)(end + 1);
        start = end + 1;
    }
    return np;
}

/* The source span of characters c[i..j) (marks may have been reordered: min and max). */
static senti__tokspan span_of(const wchar *c, size_t i, size_t j) {
    senti__tokspan s = {c[i].start, c[i].end};
    for (size_t k = i + 1; k < j; k++) {
        if (c[k].start < s.start) s.start = c[k].start;
        if (c[k].end > s.end) s.end = c[k].end;
    }
    return s;
}

/* Push the tokens of word c[0..n): 1 when the sink is full, SENTI_ENOMEM. */
static int push_word(const senti__hftok *t, wp_work *w, const wchar *c, size_t n, tok_sink *k) {
    size_t np = 0;
    if (n <= t->max_chars) {
        if (word_reserve(t, w, n)) return SENTI_ENOMEM;
        np = segment(t, w, c, n);
    }
    if (np == 0) {
        senti__tokspan s = span_of(c, 0, n);
        return t->unk >= 0 ? tok_push(k, t->unk, s.start, s.end) : 0;
    }
    for (size_t p = 0, from = 0; p < np; from = w->piece_end[p++]) {
        senti__tokspan s = span_of(c, from, w->piece_end[p]);
        if (tok_push(k, w->piece[p], s.start, s.end)) return 1;
    }
    return 0;
}

/* Normalize the chunk w->a, split it into words and push them: 1 when full, or an error. */
static int flush_chunk(const senti__hftok *t, wp_work *w, tok_sink *k) {
    if (w->na == 0) return 0;
    const wchar *b = w->a;
    size_t m = w->na;
    if (t->lowercase || t->strip_accents) {
        long r = normalize_chunk(t, w);
        if (r < 0) return SENTI_ENOMEM;
        b = w->b, m = (size_t)r;
    }
    w->na = 0;
    int rc = 0;
    for (size_t i = 0, j; i < m && rc == 0; i = j) {
        j = i + 1;
        if (senti__tok_is_space(b[i].cp)) continue;
        if (!is_punct(b[i].cp))
            while (j < m && !senti__tok_is_space(b[j].cp) && !is_punct(b[j].cp)) j++;
        rc = push_word(t, w, b + i, j - i, k);
    }
    return rc;
}

static int chunk_add(wp_work *w, int32_t cp, uint32_t start, uint32_t end) {
    if (reserve((void **)&w->a, &w->cap_a, w->na + 1, sizeof *w->a)) return SENTI_ENOMEM;
    w->a[w->na++] = (wchar){cp, start, end};
    return 0;
}

static int wp_run(const senti__hftok *t, wp_work *w, const unsigned char *s, size_t len, tok_sink *k) {
    int rc = 0;
    for (size_t at = 0; at < len && rc == 0;) {
        int32_t c;
        uint32_t start = (uint32_t)at;
        at += (size_t)senti__utf8_decode(s + at, len - at, &c);
        if (t->clean_text && (c == 0 || c == 0xFFFD || is_control(c))) continue;
        if (senti__tok_is_space(c)) {
            rc = flush_chunk(t, w, k);
        } else if (t->chinese && is_cjk(c)) {
            rc = flush_chunk(t, w, k);
            if (!rc) rc = chunk_add(w, c, start, (uint32_t)at);
            if (!rc) rc = flush_chunk(t, w, k);
        } else {
            rc = chunk_add(w, c, start, (uint32_t)at);
        }
    }
    return rc ? rc : flush_chunk(t, w, k);
}

int senti__wp_encode(const senti__hftok *t, const unsigned char *s, size_t len, tok_sink *k) {
    wp_work w = {0};
    int rc = wp_run(t, &w, s, len, k);
    senti__free(w.a), senti__free(w.b);
    senti__free(w.buf), senti__free(w.off), senti__free(w.piece), senti__free(w.piece_end);
    return rc == 1 ? 0 : rc;
}
