/*
 * tokens.c - the vader model's general path: any text (UTF-8 or not, emoji, Unicode case and
 * whitespace, control characters) to the reference's list of words, each with the facts the
 * rules need (lexicon valence, rule-word id, isupper(), negation), then rules.c's scoring.
 *
 * senti__vd_run makes one pass over the bytes. Words are what Python's str.split() makes of
 * the text after the reference replaced each emoji by its description; the expanded text is
 * never built: descriptions were split into words at load (load.c), and a description's last
 * word, which the next character of the text continues, is joined with it here. Each word
 * loses its surrounding string.punctuation (unless that leaves two characters or fewer), is
 * lower-cased with Python's full mapping (unicode_tables.c, Final_Sigma included) and looked
 * up in the word table. ASCII words, nearly all of them, take a shorter road: found 16 bytes
 * at a time, lower-cased 8 bytes at a time into a key whose table slot is prefetched, and
 * looked up together after the scan so that their cache misses overlap.
 *
 * Also here: the per-thread scratch (vd_scratch) every path uses, and the ASCII class tables.
 */
#include <pthread.h>
#include <stdint.h>
#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "models/vader/unicode_tables.h"
#include "models/vader/vader.h"

/* ---- ASCII tables ------------------------------------------------------------------------ */

uint8_t senti__vd_ascii[128];
uint8_t senti__vd_kmask16[17][16];
static uint8_t vd_ascii_lower[128]; /* tolower() */

/* Filled once per process (pthread_once): a model opened while another scores (a reload in
 * the service) must not write the tables the scoring threads read. */
static void vd_fill_ascii(void) {
    static const char punct[] = "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~"; /* string.punctuation */
    for (int c = 0; c < 128; c++) {
        uint8_t f = 0;
        if (c == ' ' || (c >= 9 && c <= 13) || (c >= 0x1c && c <= 0x1f)) f |= A_SPACE;
        if (c && strchr(punct, c)) f |= A_PUNCT;
        if (c >= 'A' && c <= 'Z') f |= A_UPPER;
        if (c >= 'a' && c <= 'z') f |= A_LOWER;
        if (c == '!') f |= A_EXCL;
        if (c == '?') f |= A_QM;
        if (c == '\'') f |= A_APOS;
        senti__vd_ascii[c] = f;
        vd_ascii_lower[c] = (uint8_t)((c >= 'A' && c <= 'Z') ? c + 32 : c);
    }
    for (int n = 0; n <= 16; n++)
        for (int i = 0; i < 16; i++) senti__vd_kmask16[n][i] = i < n ? 0xff : 0;
}

void senti__vd_init_ascii(void) {
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    pthread_once(&once, vd_fill_ascii);
}


/* ---- Unicode --------------------------------------------------------------------------- */

/* Case flags of a code point (VU_*). */
static uint8_t vd_case_flags(uint32_t cp) {
    size_t lo = 0, hi = VU_N_FLAG_RANGES; /* last start <= cp */
    while (hi - lo > 1) {
        size_t mid = (lo + hi) / 2;
        if (senti__vu_flag_start[mid] <= cp) lo = mid;
        else hi = mid;
    }
    return senti__vu_flag_val[lo];
}

static const vu_lower_entry *vd_lower_find(uint32_t cp) {
    size_t lo = 0, hi = VU_N_LOWER;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (senti__vu_lower[mid].cp < cp) lo = mid + 1;
        else hi = mid;
    }
    return lo < VU_N_LOWER && senti__vu_lower[lo].cp == cp ? &senti__vu_lower[lo] : NULL;
}

static inline size_t vd_encode(uint32_t cp, uint8_t *o) {
    if (cp < 0x80) {
        o[0] = (uint8_t)cp;
        return 1;
    }
    if (cp < 0x800) {
        o[0] = (uint8_t)(0xc0 | (cp >> 6));
        o[1] = (uint8_t)(0x80 | (cp & 0x3f));
        return 2;
    }
    if (cp < 0x10000) {
        o[0] = (uint8_t)(0xe0 | (cp >> 12));
        o[1] = (uint8_t)(0x80 | ((cp >> 6) & 0x3f));
        o[2] = (uint8_t)(0x80 | (cp & 0x3f));
        return 3;
    }
    o[0] = (uint8_t)(0xf0 | (cp >> 18));
    o[1] = (uint8_t)(0x80 | ((cp >> 12) & 0x3f));
    o[2] = (uint8_t)(0x80 | ((cp >> 6) & 0x3f));
    o[3] = (uint8_t)(0x80 | (cp & 0x3f));
    return 4;
}

/* ---- words ------------------------------------------------------------------------------- */

/* str.lower() of cps[0..n) (n >= 1, at least one non-ASCII), as UTF-8 into s->low; *out_len.
 * Implements the Final_Sigma context rule for U+03A3 the way CPython does. */
static int vd_lower_unicode(vd_scratch *s, const uint32_t *cps, size_t n, size_t *out_len) {
    if (n > (SIZE_MAX - 16) / 12) return SENTI_ENOMEM;
    if (VD_GROW(s->low, s->low_cap, n * 12 + 16)) return SENTI_ENOMEM;
    uint8_t *o = s->low;
    for (size_t i = 0; i < n; i++) {
        uint32_t c = cps[i];
        if (c < 0x80) {
            *o++ = vd_ascii_lower[c];
            continue;
        }
        if (c == 0x3a3) {
            size_t j = i;
            uint8_t f = 0;
            while (j > 0) {
                f = vd_case_flags(cps[j - 1]);
                if (!(f & VU_CASE_IGNORABLE)) break;
                j--;
            }
            int final = j > 0 && (f & VU_CASED);
            if (final && i + 1 < n) {
                size_t k = i + 1;
                for (; k < n; k++) {
                    f = vd_case_flags(cps[k]);
                    if (!(f & VU_CASE_IGNORABLE)) break;
                }
                final = k == n || !(f & VU_CASED);
            }
            o += vd_encode(final ? 0x3c2 : 0x3c3, o);
            continue;
        }
        const vu_lower_entry *le = vd_lower_find(c);
        if (!le) {
            o += vd_encode(c, o);
            continue;
        }
        for (int k = 0; k < 3 && le->to[k]; k++) o += vd_encode(le->to[k], o);
    }
    *out_len = (size_t)(o - s->low);
    return SENTI_OK;
}

static int vd_has_nt(const uint8_t *s, size_t n) {
    for (size_t i = 1; i + 1 < n; i++)
        if (s[i] == '\'' && s[i - 1] == 'n' && s[i + 1] == 't') return 1;
    return 0;
}

/* senti__vd_word for a word of ASCII bytes only (the common case); seen: the OR of their
 * classes. */
/* Lower-case 8 ASCII bytes at once (every byte < 0x80). */
static inline uint64_t vd_lower8(uint64_t x) {
    const uint64_t ones = 0x0101010101010101ull;
    uint64_t ge_a = (x + (0x80 - 'A') * ones) & (0x80 * ones);
    uint64_t gt_z = (x + (0x80 - 'Z' - 1) * ones) & (0x80 * ones);
    return x | ((ge_a & ~gt_z) >> 2);
}

/* The run of ASCII non-whitespace bytes at p (p < end): returns its end (whitespace, a byte
 * >= 0x80, or end); *seen gets the OR of the A_UPPER/A_LOWER/A_APOS classes of its bytes,
 * *excl and *qm its counts of '!' and '?'. 16 bytes at a time where SSE2 is available: the
 * word's end then costs no mispredicted loop exit. */
static inline const uint8_t *vd_scan_ascii(const uint8_t *p, const uint8_t *end, unsigned *seen,
                                           uint32_t *excl, uint32_t *qm) {
    unsigned sn = 0;
    uint32_t ne = 0, nq = 0;
    const uint8_t *q = p;
#ifdef __SSE2__
    while (end - q >= 16) {
        __m128i c = _mm_loadu_si128((const __m128i *)(const void *)q);
        __m128i ws = _mm_or_si128(
            _mm_or_si128(_mm_cmpeq_epi8(c, _mm_set1_epi8(' ')),
                         _mm_and_si128(_mm_cmpgt_epi8(c, _mm_set1_epi8(8)),
                                       _mm_cmplt_epi8(c, _mm_set1_epi8(14)))),
            _mm_and_si128(_mm_cmpgt_epi8(c, _mm_set1_epi8(0x1b)),
                          _mm_cmplt_epi8(c, _mm_set1_epi8(0x20))));
        unsigned stop = (unsigned)(_mm_movemask_epi8(ws) | _mm_movemask_epi8(c));
        unsigned wm = stop ? (stop & -stop) - 1 : 0xffffu;
        unsigned up = (unsigned)_mm_movemask_epi8(_mm_and_si128(
            _mm_cmpgt_epi8(c, _mm_set1_epi8('A' - 1)), _mm_cmplt_epi8(c, _mm_set1_epi8('Z' + 1))));
        unsigned lo = (unsigned)_mm_movemask_epi8(_mm_and_si128(
            _mm_cmpgt_epi8(c, _mm_set1_epi8('a' - 1)), _mm_cmplt_epi8(c, _mm_set1_epi8('z' + 1))));
        unsigned ap = (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(c, _mm_set1_epi8('\'')));
        unsigned ex = (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(c, _mm_set1_epi8('!')));
        unsigned qu = (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(c, _mm_set1_epi8('?')));
        if (up & wm) sn |= A_UPPER;
        if (lo & wm) sn |= A_LOWER;
        if (ap & wm) sn |= A_APOS;
        if ((ex | qu) & wm) {
            ne += (uint32_t)__builtin_popcount(ex & wm);
            nq += (uint32_t)__builtin_popcount(qu & wm);
        }
        if (stop) {
            *seen = sn;
            *excl = ne;
            *qm = nq;
            return q + __builtin_ctz(stop);
        }
        q += 16;
    }
#endif
    uint8_t c;
    while (q < end && *q < 0x80 && !((c = senti__vd_ascii[*q]) & A_SPACE)) {
        sn |= c;
        ne += *q == '!';
        nq += *q == '?';
        q++;
    }
    *seen = sn;
    *excl = ne;
    *qm = nq;
    return q;
}

/* lim: the end of the readable buffer around w (loads may look past the word, never past lim). */
static int vd_word_ascii(const vader *v, vd_scratch *s, const uint8_t *w, size_t n,
                         unsigned seen, const uint8_t *lim, vd_tok *out, vd_key *kout,
                         uint32_t *lout) {
    size_t a = 0, b = n;
    if ((senti__vd_ascii[w[0]] | senti__vd_ascii[w[n - 1]]) & A_PUNCT) {
        while (a < n && (senti__vd_ascii[w[a]] & A_PUNCT)) a++;
        while (b > a && (senti__vd_ascii[w[b - 1]] & A_PUNCT)) b--;
        if (b - a <= 2) {
            a = 0;
            b = n;
        }
    }
    w += a;
    n = b - a;
    /* punctuation is uncased, so the classes of the whole word decide isupper() */
    uint8_t flags = (seen & A_UPPER) && !(seen & A_LOWER) ? T_UPPER : 0;
    const vd_entry *e = NULL;
    if (n <= v->max_key_len) {
        vd_key k;
        uint64_t k0 = 0, k1 = 0;
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
        if (lim - w >= 16) {
            memcpy(&k0, w, 8);
            memcpy(&k1, w + 8, 8);
            if (n < 8) {
                k0 = n ? k0 & (~0ull >> (64 - 8 * n)) : 0;
                k1 = 0;
            } else if (n < 16) {
                k1 = n > 8 ? k1 & (~0ull >> (64 - 8 * (n - 8))) : 0;
            }
            k0 = vd_lower8(k0);
            k1 = vd_lower8(k1);
        } else
#endif
        {
            size_t m = n < 16 ? n : 16;
            for (size_t i = 0; i < m; i++) {
                uint64_t c = vd_ascii_lower[w[i]];
                if (i < 8) k0 |= c << (8 * i);
                else k1 |= c << (8 * (i - 8));
            }
        }
        k.k0 = k0;
        k.k1 = k1;
        const uint8_t *low = w;
        if (n > 16) {
            if (VD_GROW(s->low, s->low_cap, n)) return SENTI_ENOMEM;
            for (size_t i = 0; i < n; i++) s->low[i] = vd_ascii_lower[w[i]];
            low = s->low;
        }
        vd_key_finish(&k, low, n);
        if (n <= 16) {
            /* look up later, with the other words of the text: the table's cache lines are
             * fetched in parallel instead of one miss at a time */
            __builtin_prefetch(&v->tab[VD_SLOT(k.h, v->slot_shift)]);
            *kout = k;
            *lout = (uint32_t)n;
            flags |= T_PEND;
        } else {
            e = vd_find(v, low, n, &k);
        }
    }
    if (e) {
        flags |= e->flags;
        out->lex = e->lex;
        out->wid = e->wid;
    } else {
        out->lex = 0.0;
        out->wid = 0;
    }
    if (seen & A_APOS) /* "n't" in word.lower() */
        for (size_t i = 1; i + 1 < n; i++)
            if (w[i] == '\'' && (w[i - 1] | 0x20) == 'n' && (w[i + 1] | 0x20) == 't') {
                flags |= T_NEG;
                break;
            }
    out->flags = flags;
    return SENTI_OK;
}

/* Score-relevant facts about one whitespace-separated word w[0..n) of ncp code points
 * (possibly invalid UTF-8, read as U+FFFD): strip punctuation as the reference does, then
 * isupper(), lower() and its lexicon entry. */
int senti__vd_word(const vader *v, vd_scratch *s, const uint8_t *w, size_t n, size_t ncp,
                   vd_tok *out) {
    size_t a = 0, b = n;
    while (a < n && w[a] < 0x80 && (senti__vd_ascii[w[a]] & A_PUNCT)) a++;
    while (b > a && w[b - 1] < 0x80 && (senti__vd_ascii[w[b - 1]] & A_PUNCT)) b--;
    if (ncp - (a + (n - b)) <= 2) {
        a = 0;
        b = n;
    }
    w += a;
    n = b - a;
    if (VD_GROW(s->low, s->low_cap, n + 16)) return SENTI_ENOMEM;
    /* ASCII fast path: lower-case while classifying */
    uint8_t *low = s->low;
    unsigned seen = 0;
    size_t i = 0;
    for (; i < n; i++) {
        uint8_t c = w[i];
        if (c >= 0x80) break;
        seen |= senti__vd_ascii[c];
        low[i] = vd_ascii_lower[c];
    }
    size_t low_len;
    int upper;
    if (i == n) {
        upper = (seen & A_UPPER) && !(seen & A_LOWER);
        low_len = n;
    } else {
        /* general path: decode all of w */
        if (VD_GROW(s->cps, s->cps_cap, n + 1)) return SENTI_ENOMEM;
        size_t m = 0;
        const uint8_t *p = w, *end = w + n;
        int cased = 0, bad = 0;
        while (p < end) {
            size_t nb;
            uint32_t cp = vd_decode(p, end, &nb);
            p += nb;
            s->cps[m++] = cp;
            uint8_t f;
            if (cp < 0x80) {
                uint8_t a8 = senti__vd_ascii[cp];
                f = (a8 & A_UPPER) ? VU_UPPER : (a8 & A_LOWER) ? VU_LOWER : 0;
            } else {
                f = vd_case_flags(cp);
            }
            if (f & (VU_LOWER | VU_TITLE)) bad = 1;
            else if (f & VU_UPPER) cased = 1;
        }
        upper = cased && !bad;
        if (vd_lower_unicode(s, s->cps, m, &low_len)) return SENTI_ENOMEM;
        low = s->low;
    }
    const vd_entry *e = NULL;
    if (low_len <= v->max_key_len) {
        vd_key k;
        vd_mkkey(low, low_len, &k);
        e = vd_find(v, low, low_len, &k);
    }
    out->lex = e ? e->lex : 0.0;
    out->wid = e ? e->wid : 0;
    out->flags = (uint8_t)((e ? e->flags : 0) | (upper ? T_UPPER : 0) |
                           (vd_has_nt(low, low_len) ? T_NEG : 0));
    return SENTI_OK;
}

/* ---- scratch and tokens ------------------------------------------------------------------ */

int senti__vd_scratch_new(vd_scratch **out) {
    vd_scratch *s = senti__calloc(1, sizeof *s);
    if (!s) return SENTI_ENOMEM;
    *out = s;
    return SENTI_OK;
}

void senti__vd_scratch_free(vd_scratch *s) {
    if (!s) return;
    senti__free(s->tok);
    senti__free(s->low);
    senti__free(s->cps);
    senti__free(s->toks);
    senti__free(s->keys);
    senti__free(s->key_lens);
    senti__free(s->sent);
    senti__free(s->heap);
    senti__free(s->vkeys);
    senti__free(s->vroot);
    senti__free(s->hits);
    senti__free(s->hval);
    senti__free(s);
}

/* Room for n tokens (toks and the parallel key arrays grow together). */
int senti__vd_toks_reserve(vd_scratch *s, size_t n) {
    size_t c1 = s->toks_cap, c2 = s->keys_cap, c3 = s->key_lens_cap;
    if (VD_GROW(s->keys, c2, n) || VD_GROW(s->key_lens, c3, n)) return SENTI_ENOMEM;
    s->keys_cap = c2;
    s->key_lens_cap = c3;
    if (VD_GROW(s->toks, c1, n)) return SENTI_ENOMEM;
    s->toks_cap = c1 < c2 && c1 < c3 ? c1 : c2 < c3 ? c2 : c3;
    return SENTI_OK;
}

/* Resolve the lookups the scan left pending (T_PEND). */
static void vd_resolve(const vader *v, vd_scratch *s, size_t n) {
    for (size_t i = 0; i < n; i++) {
        vd_tok *t = &s->toks[i];
        if (!(t->flags & T_PEND)) continue;
        const vd_entry *e = vd_find_short(v, s->key_lens[i], &s->keys[i]);
        uint8_t f = (uint8_t)(t->flags & ~T_PEND);
        if (e) {
            f |= e->flags;
            t->lex = e->lex;
            t->wid = e->wid;
        }
        t->flags = f;
    }
}

/* The tokenizer's state while scanning one text. */
typedef struct vd_scan {
    const vader *v;
    vd_scratch *s;
    size_t n_toks, max_toks;
    int full;               /* max_toks reached and another word began */
    const uint8_t *ts;      /* start of the current word in the text (NULL: none) */
    size_t tcp;             /* its code points so far */
    const vd_emoji *pend;   /* an emoji whose description's open tail starts the current word */
    uint32_t n_excl, n_qm;  /* '!' and '?' so far */
} vd_scan;

static inline int vd_push(vd_scan *sc, const vd_tok *t) {
    if (sc->n_toks >= sc->max_toks) {
        sc->full = 1;
        return 0;
    }
    if (sc->n_toks >= sc->s->toks_cap && senti__vd_toks_reserve(sc->s, sc->n_toks + 1))
        return SENTI_ENOMEM;
    sc->s->toks[sc->n_toks++] = *t;
    return 0;
}

/* Ends the current word (if any) at p: scores it, joined to a pending description tail, or
 * pushes the pending tail alone. (n_toks < max_toks was checked where the word began.)
 * Always inlined: as a call, it kept the scan state in memory (10% more instructions on
 * non-ASCII texts). */
static inline __attribute__((always_inline)) int vd_end_word(vd_scan *sc, const uint8_t *p) {
    vd_scratch *s = sc->s;
    if (sc->ts) {
        const uint8_t *w = sc->ts;
        size_t wn = (size_t)(p - sc->ts), wcp = sc->tcp;
        const vd_emoji *pe = sc->pend;
        if (pe) { /* description tail + text: assemble */
            size_t tl = pe->tail_len;
            if (VD_GROW(s->tok, s->tok_cap, tl + wn)) return SENTI_ENOMEM;
            memcpy(s->tok, sc->v->pool + pe->tail_off, tl);
            memcpy(s->tok + tl, sc->ts, wn);
            w = s->tok;
            wn += tl;
            wcp += pe->tail_ncp;
        }
        if (sc->n_toks >= s->toks_cap && senti__vd_toks_reserve(s, sc->n_toks + 1))
            return SENTI_ENOMEM;
        int rc = senti__vd_word(sc->v, s, w, wn, wcp, &s->toks[sc->n_toks]);
        if (rc) return rc;
        sc->n_toks++;
        sc->ts = NULL;
        sc->pend = NULL;
    } else if (sc->pend) {
        int rc = vd_push(sc, &sc->pend->tail);
        if (rc) return rc;
        sc->pend = NULL;
    }
    return SENTI_OK;
}

/* The emoji e: its description's complete words, then its open tail becomes pending. */
static inline int vd_emoji_words(vd_scan *sc, const vd_emoji *e) {
    const vader *v = sc->v;
    for (uint32_t k = 0; k < e->n_toks && !sc->full; k++) {
        int rc = vd_push(sc, &v->desc_toks[e->tok_off + k]);
        if (rc) return rc;
    }
    if (sc->full) return SENTI_OK;
    if (e->has_tail) {
        if (sc->n_toks >= sc->max_toks) {
            sc->full = 1;
            return SENTI_OK;
        }
        sc->pend = e;
    }
    sc->n_excl += e->n_excl;
    sc->n_qm += e->n_qm;
    return SENTI_OK;
}

/* At p (p < end, no current word, nothing pending): a word of ASCII bytes ended by ASCII
 * whitespace or the end is scored at once, its lookup left pending (T_PEND); returns its end,
 * or p if the word goes on past a non-ASCII byte (then the byte loop reads it). */
static inline const uint8_t *vd_ascii_word(vd_scan *sc, const uint8_t *p, const uint8_t *end,
                                           int *rc) {
    vd_scratch *s = sc->s;
    unsigned seen;
    uint32_t ne, nq;
    const uint8_t *q = vd_scan_ascii(p, end, &seen, &ne, &nq);
    if (q != end && *q >= 0x80) return p;
    sc->n_excl += ne;
    sc->n_qm += nq;
    if (sc->n_toks >= s->toks_cap && senti__vd_toks_reserve(s, sc->n_toks + 1)) {
        *rc = SENTI_ENOMEM;
        return q;
    }
    size_t i = sc->n_toks;
    *rc = vd_word_ascii(sc->v, s, p, (size_t)(q - p), seen, end, &s->toks[i], &s->keys[i],
                        &s->key_lens[i]);
    sc->n_toks++;
    return q;
}

int senti__vd_run(const vader *v, vd_scratch *s, uint32_t max_tokens, const uint8_t *text,
                  size_t len, senti_result *out) {
    vd_scan sc = {v, s, 0, max_tokens, 0, NULL, 0, NULL, 0, 0};
    const uint8_t *p = text, *end = text + len;
    int rc = SENTI_OK;
    while (p < end) {
        uint32_t b = *p;
        if (b < 0x80) {
            uint8_t c = senti__vd_ascii[b];
            if (c & A_SPACE) {
                if ((rc = vd_end_word(&sc, p))) return rc;
                if (sc.full) break;
                p++;
                continue;
            }
            if (!sc.ts && !sc.pend) {
                if (sc.n_toks >= sc.max_toks) {
                    sc.full = 1;
                    break;
                }
                const uint8_t *q = vd_ascii_word(&sc, p, end, &rc);
                if (rc) return rc;
                if (q != p) {
                    p = q;
                    continue;
                }
            }
            if (!sc.ts) {
                sc.ts = p;
                sc.tcp = 0;
            }
            sc.n_excl += (c & A_EXCL) != 0;
            sc.n_qm += (c & A_QM) != 0;
            sc.tcp++;
            p++;
            continue;
        }
        size_t nb;
        uint32_t cp = vd_decode(p, end, &nb);
        const vd_emoji *e = cp >= v->emoji_min_cp && v->n_emoji ? vd_emoji_find(v, cp) : NULL;
        if (e || vd_is_space_cp(cp)) {
            if ((rc = vd_end_word(&sc, p))) return rc;
            if (!sc.full && e && (rc = vd_emoji_words(&sc, e))) return rc;
            if (sc.full) break;
            p += nb;
            continue;
        }
        if (!sc.ts) {
            if (!sc.pend && sc.n_toks >= sc.max_toks) {
                sc.full = 1;
                break;
            }
            sc.ts = p;
            sc.tcp = 0;
        }
        sc.tcp++;
        p += nb;
    }
    if (!sc.full && (rc = vd_end_word(&sc, p))) return rc;
    vd_resolve(v, s, sc.n_toks);
    rc = senti__vd_score(s, sc.n_toks, sc.n_excl, sc.n_qm, out);
    if (rc == SENTI_OK && sc.full) out->truncated = 1;
    return rc;
}

/* ---- test hooks (vader.h) -------------------------------------------------------------- */

int senti__vader_predict_general(const senti_model *m, const char *text, size_t len,
                                 senti_result *out) {
    memset(out, 0, sizeof *out);
    vd_scratch *s;
    if (senti__vd_scratch_new(&s)) return out->status = SENTI_ENOMEM;
    int rc = senti__vd_run(m->impl, s, m->max_tokens, (const uint8_t *)text, len, out);
    senti__vd_scratch_free(s);
    return out->status = rc;
}

int senti__vader_is_space(unsigned cp) {
    senti__vd_init_ascii();
    return vd_is_space_cp(cp);
}

