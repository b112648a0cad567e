/*
 * tokenize.c - the tokenizer specified in tokenize.h.
 *
 * One pass over the input. ASCII bytes go through a 256-entry class table; other bytes
 * are decoded and normalized one code point at a time with utf8proc. A token is built in
 * a small fixed buffer (the "pending" token) and flushed when its run ends; a word run
 * can flush into up to four tokens (leading apostrophe, word, clitic, trailing apostrophe).
 */
#include <string.h>
#include <utf8proc.h>
#define XXH_INLINE_ALL /* short keys: let the compiler inline XXH3 */
#include <xxhash.h>

#include "text/tokenize.h"

enum { C_SPACE = 0, C_WORD, C_APOS, C_PUNCT, C_SKIP, C_HIGH };

static const unsigned char ascii_class[128] = {
    /* controls are space */
    [0 ... 31] = C_SPACE, [' '] = C_SPACE, [127] = C_SPACE,
    ['!' ... '&'] = C_PUNCT, ['\''] = C_APOS, ['(' ... '/'] = C_PUNCT,
    ['0' ... '9'] = C_WORD, [':' ... '@'] = C_PUNCT, ['A' ... 'Z'] = C_WORD,
    ['[' ... '`'] = C_PUNCT, ['a' ... 'z'] = C_WORD, ['{' ... '~'] = C_PUNCT,
};

/* ASCII letters and digits to their lower-case form; every other byte to 0. */
static const char ascii_word_lower[256] = {
    ['0'] = '0', ['1'] = '1', ['2'] = '2', ['3'] = '3', ['4'] = '4', ['5'] = '5', ['6'] = '6',
    ['7'] = '7', ['8'] = '8', ['9'] = '9',
    ['a'] = 'a', ['b'] = 'b', ['c'] = 'c', ['d'] = 'd', ['e'] = 'e', ['f'] = 'f', ['g'] = 'g',
    ['h'] = 'h', ['i'] = 'i', ['j'] = 'j', ['k'] = 'k', ['l'] = 'l', ['m'] = 'm', ['n'] = 'n',
    ['o'] = 'o', ['p'] = 'p', ['q'] = 'q', ['r'] = 'r', ['s'] = 's', ['t'] = 't', ['u'] = 'u',
    ['v'] = 'v', ['w'] = 'w', ['x'] = 'x', ['y'] = 'y', ['z'] = 'z',
    ['A'] = 'a', ['B'] = 'b', ['C'] = 'c', ['D'] = 'd', ['E'] = 'e', ['F'] = 'f', ['G'] = 'g',
    ['H'] = 'h', ['I'] = 'i', ['J'] = 'j', ['K'] = 'k', ['L'] = 'l', ['M'] = 'm', ['N'] = 'n',
    ['O'] = 'o', ['P'] = 'p', ['Q'] = 'q', ['R'] = 'r', ['S'] = 's', ['T'] = 't', ['U'] = 'u',
    ['V'] = 'v', ['W'] = 'w', ['X'] = 'x', ['Y'] = 'y', ['Z'] = 'z',
};

uint64_t senti__hash_token(const char *text, size_t len) {
    return XXH3_64bits_withSeed(text, len, SENTI__SEED_TOKEN);
}

int senti__utf8_decode(const unsigned char *s, size_t len, int32_t *cp) {
    unsigned c = s[0];
    if (c < 0x80) {
        *cp = (int32_t)c;
        return 1;
    }
    int n;
    uint32_t v, min;
    if (c >= 0xC2 && c <= 0xDF) n = 2, v = c & 0x1F, min = 0x80;
    else if (c >= 0xE0 && c <= 0xEF) n = 3, v = c & 0x0F, min = 0x800;
    else if (c >= 0xF0 && c <= 0xF4) n = 4, v = c & 0x07, min = 0x10000;
    else goto bad;
    if ((size_t)n > len) goto bad;
    for (int i = 1; i < n; i++) {
        if ((s[i] & 0xC0) != 0x80) goto bad;
        v = (v << 6) | (s[i] & 0x3F);
    }
    if (v < min || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF)) goto bad;
    *cp = (int32_t)v;
    return n;
bad:
    *cp = 0xFFFD;
    return 1;
}

void senti__tok_init(senti__tokenizer *t, const char *s, size_t len, int want_text) {
    t->want_text = want_text;
    t->s = (const unsigned char *)s;
    t->len = len;
    t->pos = 0;
    t->state = 0;
    t->wlen = 0;
    t->wfull = 0;
    t->wapos = 0;
    t->punct_run = 0;
    t->dec_i = t->dec_n = 0;
}

static int is_clitic(const char *p, size_t n) {
    switch (n) {
    case 1: return p[0] == 's' || p[0] == 'd' || p[0] == 'm';
    case 2: return (p[0] == 'r' && p[1] == 'e') || (p[0] == 'v' && p[1] == 'e') ||
                   (p[0] == 'l' && p[1] == 'l');
    }
    return 0;
}

static int is_negator(const char *p, size_t n) {
#define W(lit) (n == sizeof(lit) - 1 && memcmp(p, lit, n) == 0)
    switch (p[0]) {
    case 'n':
        return W("not") || W("no") || W("never") || W("n't") || W("nothing") || W("nobody") ||
               W("none") || W("nowhere") || W("neither") || W("nor");
    case 'c': return W("cannot");
    case 'w': return W("without");
    case 'h': return W("hardly");
    case 'b': return W("barely");
    case 'r': return W("rarely");
    case 's': return W("seldom");
    }
    return 0;
#undef W
}

static int is_clause_cp(uint32_t cp) {
    switch (cp) {
    case '.': case ',': case ';': case ':': case '!': case '?': case '(': case ')':
    case '[': case ']': case '{': case '}': case '"': case '-':
    case 0x2013: case 0x2014: case 0x2026: case 0x201C: case 0x201D:
        return 1;
    }
    return 0;
}

/* Write one token; its text is copied only when the caller asked for texts. */
static inline __attribute__((always_inline)) senti__token *emit(const senti__tokenizer *t, senti__token *o, const char *text, size_t n,
                          uint32_t start, uint32_t end, int type) {
    if (n > SENTI__TOKEN_MAX_BYTES) n = SENTI__TOKEN_MAX_BYTES;
    if (t->want_text) {
        memcpy(o->text, text, n);
        o->text[n] = 0;
    }
    o->len = (uint8_t)n;
    o->hash = senti__hash_token(text, n);
    o->start = start;
    o->end = end;
    o->type = (uint8_t)type;
    o->flags = type == SENTI__TOK_WORD && is_negator(text, n) ? SENTI__TOK_NEGATOR : 0;
    return o + 1;
}

/* Flush a word run from wbuf into up to 4 tokens. */
static inline __attribute__((always_inline)) senti__token *flush_word(senti__tokenizer *t, senti__token *o) {
#define WOFF(i) (t->wlinear ? t->start + (uint32_t)(i) : t->woff[i])
    const char *w = t->wbuf;
    size_t b = 0, e = t->wlen;
    uint32_t run_end = t->end;
    if (t->wfull || !t->wapos) { /* no apostrophe, or over-long: one token (cut) */
        return emit(t, o, w, e, t->start, run_end, SENTI__TOK_WORD);
    }
    /* a run that is exactly 'CLITIC stays whole */
    if (e >= 2 && w[0] == '\'' && is_clitic(w + 1, e - 1)) {
        return emit(t, o, w, e, t->start, run_end, SENTI__TOK_WORD);
    }
    while (b < e && w[b] == '\'') b++;
    if (b > 0) o = emit(t, o, "'", 1, WOFF(0), WOFF(b - 1) + 1, SENTI__TOK_PUNCT);
    size_t tb = e;
    while (tb > b && w[tb - 1] == '\'') tb--;
    if (tb > b) {
        /* clitic split inside w[b..tb) */
        size_t split = tb; /* start of the clitic */
        if (tb - b >= 4 && w[tb - 1] == 't' && w[tb - 2] == '\'' && w[tb - 3] == 'n')
            split = tb - 3;
        else {
            for (size_t k = tb; k > b + 1; k--) {
                if (w[k - 1] == '\'') {
                    if (k - 1 > b && is_clitic(w + k, tb - k)) split = k - 1;
                    break;
                }
                if (tb - k >= 2) break;
            }
        }
        uint32_t wend = tb < e ? WOFF(tb) : run_end;
        if (split < tb) {
            o = emit(t, o, w + b, split - b, WOFF(b), WOFF(split), SENTI__TOK_WORD);
            o = emit(t, o, w + split, tb - split, WOFF(split), wend, SENTI__TOK_WORD);
        } else {
            o = emit(t, o, w + b, tb - b, WOFF(b), wend, SENTI__TOK_WORD);
        }
    }
    if (tb < e) o = emit(t, o, "'", 1, WOFF(tb), run_end, SENTI__TOK_PUNCT);
    return o;
#undef WOFF
}

static senti__token *flush_punct(senti__tokenizer *t, senti__token *o) {
    char buf[16];
    uint8_t one[4];
    int n1 = (int)utf8proc_encode_char((utf8proc_int32_t)t->punct_cp, one);
    unsigned reps = t->punct_run < 3 ? t->punct_run : 3;
    size_t n = 0;
    for (unsigned i = 0; i < reps; i++) {
        memcpy(buf + n, one, (size_t)n1);
        n += (size_t)n1;
    }
    o = emit(t, o, buf, n, t->start, t->end, SENTI__TOK_PUNCT);
    if (is_clause_cp(t->punct_cp)) o[-1].flags |= SENTI__TOK_CLAUSE;
    return o;
}

static inline __attribute__((always_inline)) senti__token *flush(senti__tokenizer *t, senti__token *o) {
    if (t->state == 1) o = flush_word(t, o);
    else if (t->state == 2) o = flush_punct(t, o);
    t->state = 0;
    t->wlen = 0;
    t->wfull = 0;
    t->wapos = 0;
    t->punct_run = 0;
    return o;
}

static int unicode_class(int32_t cp) {
    if (cp == '\'') return C_APOS;
    if (cp < 128) return ascii_class[cp];
    if (cp == 0x85) return C_SPACE;
    switch (utf8proc_category(cp)) {
    case UTF8PROC_CATEGORY_LU: case UTF8PROC_CATEGORY_LL: case UTF8PROC_CATEGORY_LT:
    case UTF8PROC_CATEGORY_LM: case UTF8PROC_CATEGORY_LO: case UTF8PROC_CATEGORY_ND:
    case UTF8PROC_CATEGORY_NL: case UTF8PROC_CATEGORY_NO:
        return C_WORD;
    case UTF8PROC_CATEGORY_ZS: case UTF8PROC_CATEGORY_ZL: case UTF8PROC_CATEGORY_ZP:
    case UTF8PROC_CATEGORY_CC:
        return C_SPACE;
    case UTF8PROC_CATEGORY_CF: case UTF8PROC_CATEGORY_MN: case UTF8PROC_CATEGORY_MC:
    case UTF8PROC_CATEGORY_ME:
        return C_SKIP;
    default:
        return C_PUNCT;
    }
}

/* Feed one normalized code point cp (from input span [s, e)). */
static senti__token *feed(senti__tokenizer *t, senti__token *o, int32_t cp, int cls, uint32_t s,
                          uint32_t e) {
    switch (cls) {
    case C_SKIP:
        return o;
    case C_SPACE:
        return t->state ? flush(t, o) : o;
    case C_WORD:
    case C_APOS: {
        if (t->state != 1) {
            if (t->state) o = flush(t, o);
            t->state = 1;
            t->start = s;
            t->wlinear = 1;
        }
        t->end = e;
        if (t->wfull) return o;
        if (cls == C_APOS) t->wapos = 1;
        uint8_t enc[4];
        int n = cp < 128 ? (enc[0] = (uint8_t)cp, 1) : (int)utf8proc_encode_char(cp, enc);
        if (t->wlen + n > SENTI__TOKEN_MAX_BYTES) {
            t->wfull = 1;
            return o;
        }
        if (t->wlinear && (n != 1 || e != s + 1 || s != t->start + t->wlen)) {
            /* no longer one input byte per buffer byte: write the offsets out */
            for (unsigned i = 0; i < t->wlen; i++) t->woff[i] = t->start + i;
            t->wlinear = 0;
        }
        for (int i = 0; i < n; i++) {
            t->wbuf[t->wlen] = (char)enc[i];
            if (!t->wlinear) t->woff[t->wlen] = s;
            t->wlen++;
        }
        return o;
    }
    default: /* punct */
        if (t->state == 2 && t->punct_cp == (uint32_t)cp && t->end == s) {
            t->punct_run++;
            t->end = e;
            return o;
        }
        if (t->state) o = flush(t, o);
        t->state = 2;
        t->punct_cp = (uint32_t)cp;
        t->punct_run = 1;
        t->start = s;
        t->end = e;
        return o;
    }
}

/* Feed the pending decomposed code points while there is room for a flush (<= 4 tokens). */
static senti__token *feed_dec(senti__tokenizer *t, senti__token *o, const senti__token *lim) {
    while (t->dec_i < t->dec_n && o <= lim) {
        int32_t d = t->dec[t->dec_i++];
        if (d == 0x2018 || d == 0x2019 || d == 0x02BC) d = '\'';
        o = feed(t, o, d, unicode_class(d), t->dec_b, t->dec_e);
    }
    return o;
}

size_t senti__tok_next(senti__tokenizer *t, senti__token *out, size_t cap) {
    senti__token *o = out, *lim = out + cap - 4;
    const unsigned char *s = t->s;
    size_t pos = t->pos, len = t->len;
    if (t->dec_i < t->dec_n) o = feed_dec(t, o, lim);
    while (pos < len && o <= lim) {
        unsigned c = s[pos];
        if (c < 128) {
            int cls = ascii_class[c];
            if (cls == C_SPACE) {
                if (t->state) o = flush(t, o);
                pos++;
                continue;
            }
            if (cls == C_WORD && t->state == 0) { /* start a word run */
                t->state = 1;
                t->start = (uint32_t)pos;
                t->wlen = 0;
                t->wfull = 0;
                t->wlinear = 1;
            }
            if (cls == C_WORD && t->state == 1 && !t->wfull) {
                /* fast path: extend a word run over ASCII letters and digits */
                unsigned wl = t->wlen;
                size_t p = pos;
                if (t->wlinear && pos != t->start + wl) {
                    for (unsigned i = 0; i < wl; i++) t->woff[i] = t->start + i;
                    t->wlinear = 0;
                }
                if (t->wlinear) {
                    /* one table load per byte: the lower-cased letter or digit, 0 otherwise */
                    size_t stop = len - p < SENTI__TOKEN_MAX_BYTES - wl ? len : p + (SENTI__TOKEN_MAX_BYTES - wl);
                    while (p < stop) {
                        char lc = ascii_word_lower[s[p]];
                        if (!lc) break;
                        t->wbuf[wl++] = lc;
                        p++;
                    }
                } else {
                    while (p < len && wl < SENTI__TOKEN_MAX_BYTES) {
                        unsigned ch = s[p];
                        if (ch >= 128 || ascii_class[ch] != C_WORD) break;
                        t->wbuf[wl] = (char)(ch >= 'A' && ch <= 'Z' ? ch + 32 : ch);
                        t->woff[wl++] = (uint32_t)p++;
                    }
                }
                if (p > pos) {
                    t->wlen = (uint8_t)wl;
                    t->end = (uint32_t)p;
                    pos = p;
                    continue;
                }
            }
            int32_t cp = (int32_t)(c >= 'A' && c <= 'Z' ? c + 32 : c);
            o = feed(t, o, cp, cls, (uint32_t)pos, (uint32_t)(pos + 1));
            pos++;
            continue;
        }
        int32_t cp;
        int n = senti__utf8_decode(s + pos, len - pos, &cp);
        uint32_t b = (uint32_t)pos, e = (uint32_t)(pos + (size_t)n);
        pos += (size_t)n;
        if (cp == 0x2018 || cp == 0x2019 || cp == 0x02BC) {
            o = feed(t, o, '\'', C_APOS, b, e);
            continue;
        }
        int last_bc = 0;
        utf8proc_ssize_t nd = utf8proc_decompose_char(
            cp, t->dec, 32, UTF8PROC_CASEFOLD | UTF8PROC_DECOMPOSE | UTF8PROC_COMPAT | UTF8PROC_STRIPMARK,
            &last_bc);
        if (nd < 0 || nd > 32) {
            t->dec[0] = 0xFFFD;
            nd = 1;
        }
        t->dec_i = 0;
        t->dec_n = (uint8_t)nd;
        t->dec_b = b;
        t->dec_e = e;
        o = feed_dec(t, o, lim);
    }
    t->pos = pos;
    if (pos >= len && t->dec_i == t->dec_n && t->state && o <= lim) o = flush(t, o);
    return (size_t)(o - out);
}
