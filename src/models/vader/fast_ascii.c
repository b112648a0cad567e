/*
 * fast_ascii.c - the vader model's ASCII fast path, and the kind's predict, which tries it
 * first (they are one file so that the fast path inlines into it: one call less per text).
 *
 * Most texts are printable ASCII. For them vd_run_ascii replaces senti__vd_run (tokens.c),
 * with the same tokens and the same numbers at a fraction of the cost:
 *   1. one SSE2 pass copies the text into scratch followed by spaces (so that 16-byte loads
 *      are always safe and every word ends in a space), rejects it if any byte is < 0x20 or
 *      >= 0x80 (senti__vd_run then does everything: emoji, Unicode case and spaces, control
 *      characters), and counts '!' and '?' in byte lanes. What remains has one whitespace
 *      character, ' ';
 *   2. a single 16-byte load at each word's start gives the word's end (first space), its
 *      key (masked to the word, lower-cased by adding 0x20 where 'A' <= c <= 'Z'), its
 *      isupper() and whether it has an apostrophe (for "n't"); words of 16 bytes or more go
 *      through senti__vd_word;
 *   3. the key's hash first tests the table's filter bit (vader.filt): for the ~75% of words
 *      that are neither lexicon nor rule words that one L1 load decides everything, and the
 *      table is probed only for the others;
 *   4. the rules then run over the lexicon words alone (vd_score_hits, with rules.c's
 *      pieces): every other token's value is 0.0, which changes no sum and simply counts as
 *      neutral.
 * Requires SSE2 and x86-64 (SSE2 is its baseline); elsewhere senti__vd_run does it all.
 */
#include <stdint.h>
#include <string.h>

#include "models/vader/vader.h"

#define VD_NOT_ASCII 1 /* vd_run_ascii's "use senti__vd_run" (SENTI_* errors are negative) */

#if defined(__SSE2__) && defined(__x86_64__)
#define VD_FAST 1
#include <emmintrin.h>

/* Branch hints for the fast path's word loop: with them the common case (one space between
 * words, a short word in no table) runs straight through without taken jumps, which also
 * made its speed much less dependent on where the linker happens to place the code. */
#define VD_UNLIKELY(x) __builtin_expect(!!(x), 0)

/* Score from the lexicon words only: hits[0..nh) are the positions (ascending) of the tokens
 * with T_LEX among toks[0..n). Every other token has sentiment 0.0 in the reference, and 0.0
 * is neutral in every step: the "but" rule never rescales it into a nonzero value nor finds
 * it by index() for a nonzero value, and adding +-0.0 to a sum that starts at +0.0 leaves
 * the sum's bits unchanged (x + 0.0 == x for x != -0.0, and such a sum is never -0.0). So
 * summing the lexicon values in order gives the reference's sums bit for bit, and the
 * neutral count is n - nh plus the lexicon words that score 0. */
static int vd_score_hits(vd_scratch *s, size_t n, size_t nh, size_t n_upper, size_t bi,
                         uint32_t n_excl, uint32_t n_qm, senti_result *out) {
    if (nh == 0) {
        /* no lexicon word: compound 0/sqrt(15) = 0, neu n/n = 1 (already round numbers) */
        vd_fill(out, 0.0, n ? 1.0 : 0.0, 0.0, 0.0, n);
        return SENTI_OK;
    }
    if (VD_GROW(s->hval, s->hval_cap, nh)) return SENTI_ENOMEM;
    const vd_tok *t = s->toks;
    const uint32_t *hits = s->hits;
    double *hv = s->hval;
    int cap_diff = n_upper > 0 && n_upper < n;
    for (size_t k = 0; k < nh; k++) {
        size_t i = hits[k];
        if (t[i].flags & (T_BINC | T_BDEC)) hv[k] = 0;
        else if (i < n - 1 && t[i].wid == W_KIND && t[i + 1].wid == W_OF) hv[k] = 0;
        else hv[k] = senti__vd_valence(t, n, i, cap_diff);
    }
    if (bi != SIZE_MAX) {
        if (nh <= 64) {
            /* vd_but_direct over the lexicon values; zeros are skipped (see above) */
            for (size_t k = 0; k < nh; k++) {
                double v = hv[k];
                if (v == 0) continue;
                size_t j = 0;
                while (j < k && hv[j] != v) j++;
                if (hits[j] < bi) hv[j] = v * 0.5;
                else if (hits[j] > bi) hv[j] = v * 1.5;
            }
        } else if (senti__vd_but_heap(s, hv, nh, bi, hits)) {
            return SENTI_ENOMEM;
        }
    }
    /* the words that are not lexicon hits score 0.0: they count as neutral */
    senti__vd_finish(hv, nh, n - nh, n_excl, n_qm, n, out);
    return SENTI_OK;
}

/* "n't" in the lower-cased ASCII word w[0..n). */
static int vd_has_nt_ascii(const uint8_t *w, size_t n) {
    for (size_t i = 1; i + 1 < n; i++)
        if (w[i] == '\'' && (w[i - 1] | 0x20) == 'n' && (w[i + 1] | 0x20) == 't') return 1;
    return 0;
}

static int vd_fast_reserve(vd_scratch *s, size_t n) {
    if (senti__vd_toks_reserve(s, n) || VD_GROW(s->hits, s->hits_cap, s->toks_cap))
        return SENTI_ENOMEM;
    return SENTI_OK;
}

/* '!' and '?' in 16 bytes, added to byte lanes (each lane takes one per call). */
#define VD_COUNT_EQ(acc, c, ch) ((acc) = _mm_sub_epi8((acc), _mm_cmpeq_epi8((c), _mm_set1_epi8(ch))))
static inline uint32_t vd_lanes_sum(__m128i acc) {
    __m128i s = _mm_sad_epu8(acc, _mm_setzero_si128());
    return (uint32_t)(_mm_cvtsi128_si32(s) + _mm_cvtsi128_si32(_mm_unpackhi_epi64(s, s)));
}

/* Step 1: copies text[0..len) into buf followed by 48 spaces, so that 16-byte loads anywhere
 * before the end are safe and every word ends in a space; counts '!' and '?'. Returns 0, or
 * 1 if a byte is not printable ASCII (< 0x20 or >= 0x80). buf holds len + 64 bytes. */
static inline int vd_copy_check(const uint8_t *text, size_t len, uint8_t *buf, uint32_t *excl,
                                uint32_t *qm) {
    size_t full = len & ~(size_t)15;
    const __m128i c20 = _mm_set1_epi8(0x20);
    __m128i bad = _mm_setzero_si128(), acc_e = bad, acc_q = bad;
    uint32_t n_excl = 0, n_qm = 0;
    for (size_t b = 0; b < full; b += 16) {
        __m128i c = _mm_loadu_si128((const __m128i *)(const void *)(text + b));
        _mm_storeu_si128((__m128i *)(void *)(buf + b), c);
        bad = _mm_or_si128(bad, _mm_cmplt_epi8(c, c20)); /* signed: < 0x20 or >= 0x80 */
        VD_COUNT_EQ(acc_e, c, '!');
        VD_COUNT_EQ(acc_q, c, '?');
        if ((b & 2032) == 2032) { /* every 128 blocks: a lane (uint8) never passes 128 */
            n_excl += vd_lanes_sum(acc_e);
            n_qm += vd_lanes_sum(acc_q);
            acc_e = acc_q = _mm_setzero_si128();
        }
    }
    memset(buf + full, ' ', 64);
    if (len > full) {
        memcpy(buf + full, text + full, len - full);
        __m128i c = _mm_loadu_si128((const __m128i *)(const void *)(buf + full));
        bad = _mm_or_si128(bad, _mm_cmplt_epi8(c, c20));
        VD_COUNT_EQ(acc_e, c, '!');
        VD_COUNT_EQ(acc_q, c, '?');
    }
    if (_mm_movemask_epi8(bad)) return 1;
    *excl = n_excl + vd_lanes_sum(acc_e);
    *qm = n_qm + vd_lanes_sum(acc_q);
    return 0;
}

/* The position of the first space at or after q in buf (there is one: the copy's padding). */
static size_t vd_space_from(const uint8_t *buf, size_t q) {
    for (;;) {
        unsigned w = (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(
            _mm_loadu_si128((const __m128i *)(const void *)(buf + q)), _mm_set1_epi8(' ')));
        if (w) return q + (unsigned)__builtin_ctz(w);
        q += 16;
    }
}

/* The key of a word of n <= 16 bytes from low, its lower-cased bytes (zero after). */
static inline void vd_key16(__m128i low, size_t n, vd_key *k) {
    k->k0 = (uint64_t)_mm_cvtsi128_si64(low);
    k->k1 = (uint64_t)_mm_cvtsi128_si64(_mm_unpackhi_epi64(low, low));
    k->h = (k->k0 ^ (k->k1 * 0xc2b2ae3d27d4eb4full) ^ n) * 0x9e3779b97f4a7c15ull; /* vd_key_finish */
}

/* Strips string.punctuation from both ends of the word buf[*p .. *p + *n) unless that leaves
 * two bytes or fewer; 1 if it did. */
static inline int vd_strip_punct(const uint8_t *buf, size_t *p, size_t *n) {
    const uint8_t *w = buf + *p;
    size_t a = 0, b = *n;
    while (a < b && (senti__vd_ascii[w[a]] & A_PUNCT)) a++;
    while (b > a && (senti__vd_ascii[w[b - 1]] & A_PUNCT)) b--;
    if (b - a <= 2) return 0;
    *p += a;
    *n = b - a;
    return 1;
}

/* The '!' and '?' of text[0..n). */
static void vd_count_marks(const uint8_t *text, size_t n, uint32_t *excl, uint32_t *qm) {
    uint32_t ne = 0, nq = 0;
    for (size_t i = 0; i < n; i++) {
        ne += text[i] == '!';
        nq += text[i] == '?';
    }
    *excl = ne;
    *qm = nq;
}

/* senti__vd_run for a text of printable ASCII (bytes 0x20..0x7f); VD_NOT_ASCII (nothing done)
 * for any other text. In such a text the only whitespace is ' '. */
static int vd_run_ascii(const vader *v, vd_scratch *s, uint32_t max_tokens, const uint8_t *text,
                        size_t len, senti_result *out) {
    /* 1. the copy */
    uint32_t n_excl, n_qm;
    if (len > SIZE_MAX - 64 || VD_GROW(s->tok, s->tok_cap, len + 64)) return SENTI_ENOMEM;
    const uint8_t *buf = s->tok;
    if (vd_copy_check(text, len, s->tok, &n_excl, &n_qm)) return VD_NOT_ASCII;

    /* 2. the words: one 16-byte load at each word's start gives its end (the first space),
     * its lower-cased key, its case and its apostrophes */
    const __m128i sp = _mm_set1_epi8(' ');
    size_t p = 0, nt = 0, nh = 0, n_upper = 0, bi = SIZE_MAX;
    size_t cap = s->toks_cap < s->hits_cap ? s->toks_cap : s->hits_cap;
    size_t lim = cap < max_tokens ? cap : max_tokens;
    int full_toks = 0;
    while (p < len) {
        __m128i c = _mm_loadu_si128((const __m128i *)(const void *)(buf + p));
        unsigned ws = (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(c, sp));
        if (VD_UNLIKELY(ws & 1)) { /* more than one space: skip them */
            unsigned nsp = ~ws & 0xffff;
            if (!nsp) {
                p += 16;
                continue;
            }
            p += (unsigned)__builtin_ctz(nsp);
            if (p >= len) break;
            c = _mm_loadu_si128((const __m128i *)(const void *)(buf + p));
            ws = (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(c, sp));
        }
        if (VD_UNLIKELY(nt >= lim)) {
            if (nt >= max_tokens) { /* as senti__vd_run: stop where this word begins */
                full_toks = 1;
                vd_count_marks(text, p, &n_excl, &n_qm);
                break;
            }
            if (vd_fast_reserve(s, nt + 1)) return SENTI_ENOMEM;
            cap = s->toks_cap < s->hits_cap ? s->toks_cap : s->hits_cap;
            lim = cap < max_tokens ? cap : max_tokens;
        }
        vd_tok *t = &s->toks[nt];
        size_t n = (unsigned)__builtin_ctz(ws | 0x10000);
        if (VD_UNLIKELY(n == 16)) { /* a long word: senti__vd_word does it */
            size_t q = vd_space_from(buf, p + 16);
            int rc = senti__vd_word(v, s, buf + p, q - p, q - p, t);
            if (rc) return rc;
            p = q + 1;
            if (t->flags & T_LEX) s->hits[nh++] = (uint32_t)nt;
            if (t->wid == W_BUT && bi == SIZE_MAX) bi = nt;
            n_upper += (t->flags & T_UPPER) != 0;
            nt++;
            continue;
        }
        size_t next = p + n + 1;
        /* strip string.punctuation from both ends, unless that leaves <= 2 bytes (so never
         * for words of 1 or 2 bytes, such as the tokens "." and ",") */
        if (VD_UNLIKELY(n > 2 && ((senti__vd_ascii[buf[p]] | senti__vd_ascii[buf[p + n - 1]]) &
                                  A_PUNCT)) &&
            vd_strip_punct(buf, &p, &n))
            c = _mm_loadu_si128((const __m128i *)(const void *)(buf + p));
        /* the key: the word's bytes, zero after; lower-cased by adding 0x20 to 'A'..'Z' */
        c = _mm_and_si128(c, _mm_loadu_si128((const __m128i *)(const void *)senti__vd_kmask16[n]));
        __m128i up = _mm_and_si128(_mm_cmpgt_epi8(c, _mm_set1_epi8('A' - 1)),
                                   _mm_cmplt_epi8(c, _mm_set1_epi8('Z' + 1)));
        __m128i low = _mm_or_si128(c, _mm_and_si128(up, _mm_set1_epi8(0x20)));
        uint8_t flags = 0;
        /* isupper(): an upper-case letter and no lower-case one (other bytes are uncased) */
        if (VD_UNLIKELY(_mm_movemask_epi8(up)) &&
            !_mm_movemask_epi8(_mm_and_si128(_mm_cmpgt_epi8(c, _mm_set1_epi8('a' - 1)),
                                             _mm_cmplt_epi8(c, _mm_set1_epi8('z' + 1)))))
            flags = T_UPPER;
        n_upper += flags >> 1; /* T_UPPER == 2 */
        /* "n't" (in word.lower()) needs an apostrophe */
        if (VD_UNLIKELY(_mm_movemask_epi8(_mm_cmpeq_epi8(c, _mm_set1_epi8('\'')))) &&
            vd_has_nt_ascii(buf + p, n))
            flags |= T_NEG;
        vd_key k;
        vd_key16(low, n, &k);
        uint32_t fb = (uint32_t)(k.h >> (64 - VD_FILT_BITS)); /* the filter bit first */
        const vd_entry *e;
        if (VD_UNLIKELY((v->filt[fb >> 6] >> (fb & 63)) & 1) && (e = vd_find_short(v, n, &k))) {
            flags |= e->flags;
            t->lex = e->lex;
            t->wid = e->wid;
            if (flags & T_LEX) s->hits[nh++] = (uint32_t)nt;
            if (e->wid == W_BUT && bi == SIZE_MAX) bi = nt;
        } else {
            t->lex = 0.0;
            t->wid = 0;
        }
        t->flags = flags;
        nt++;
        p = next;
    }
    /* 3. the rules over the lexicon words */
    int rc = vd_score_hits(s, nt, nh, n_upper, bi, n_excl, n_qm, out);
    if (rc == SENTI_OK && full_toks) out->truncated = 1;
    return rc;
}
#endif

/* The kind's predict: the context's scratch (or a temporary one), the fast path, else the
 * general path; on an error out holds only the status. */
int senti__vd_predict(const senti_model *m, senti_ctx *ctx, const char *text, size_t len,
                      senti_result *out) {
    const vader *v = m->impl;
    vd_scratch *s = ctx ? ctx->state : NULL, *tmp = NULL;
    if (!s) {
        if (senti__vd_scratch_new(&tmp)) return out->status = SENTI_ENOMEM;
        s = tmp;
    }
    int rc = VD_NOT_ASCII;
#ifdef VD_FAST
    rc = vd_run_ascii(v, s, m->max_tokens, (const uint8_t *)text, len, out);
#endif
    if (rc == VD_NOT_ASCII)
        rc = senti__vd_run(v, s, m->max_tokens, (const uint8_t *)text, len, out);
    senti__vd_scratch_free(tmp);
    if (rc) {
        memset(out, 0, sizeof *out);
        out->status = rc;
    }
    return rc;
}

