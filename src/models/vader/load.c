/*
 * load.c - the vader model's loader and handle: senti__vader_open finds the two lexicons
 * (PATH is vader_lexicon.txt or its folder; emoji_utf8_lexicon.txt is read beside it),
 * reads them whole (at most 64 MiB each), parses their lines as the reference does
 * (codecs.open(..., "utf-8"), rstrip('\n').split('\n'), str.strip(), split('\t')), and
 * builds what prediction reads:
 *   - the word table: every lexicon word and rule word (rules.c) in one open-addressing
 *     table of 32-byte slots (key, valence, flags, rule-word id), at most half full, and a
 *     16 KB filter of its keys' hash bits for the ASCII fast path;
 *   - the emoji table: each single-character key of the emoji lexicon with its description
 *     split into words once (tokens.c scores them), so the text is never expanded.
 * A malformed file is refused with its name and line: invalid UTF-8, a line without a TAB,
 * a valence that is not a number, or one off VADER's scale [-4, 4] (VD_MAX_VALENCE).
 *
 * The handle is the senti__model_ops of the kind: predict (the ASCII fast path, else the
 * general path, with the context's scratch), contexts, and free.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "models/vader/unicode_tables.h"
#include "models/vader/vader.h"

/* ---- the word table ------------------------------------------------------------------- */

static int vd_pool_add(vader *v, const void *s, size_t n, uint32_t *off) {
    if (n > UINT32_MAX - v->pool_len - 1) return SENTI_ENOMEM;
    if (VD_GROW(v->pool, v->pool_cap, v->pool_len + n + 1)) return SENTI_ENOMEM;
    memcpy(v->pool + v->pool_len, s, n);
    v->pool[v->pool_len + n] = 0;
    *off = (uint32_t)v->pool_len;
    v->pool_len += n + 1;
    return SENTI_OK;
}

static int vd_rehash(vader *v, uint32_t nslots) {
    vd_entry *t = senti__calloc(nslots, sizeof *t);
    if (!t) return SENTI_ENOMEM;
    unsigned shift = 64;
    for (uint32_t x = nslots; x > 1; x >>= 1) shift--; /* nslots is a power of two */
    for (uint32_t j = 0; v->tab && j <= v->slot_mask; j++) {
        const vd_entry *e = &v->tab[j];
        if (!e->key_len) continue;
        vd_key k;
        vd_mkkey((const uint8_t *)v->pool + e->key_off, e->key_len, &k);
        uint32_t i = VD_SLOT(k.h, shift);
        while (t[i].key_len) i = (i + 1) & (nslots - 1);
        t[i] = *e;
    }
    senti__free(v->tab);
    v->tab = t;
    v->slot_mask = nslots - 1;
    v->slot_shift = shift;
    return SENTI_OK;
}

/* The entry for key (1..VD_MAX_KEY bytes), created empty if absent. The pointer is valid
 * until the next senti__vd_intern. */
int senti__vd_intern(vader *v, const void *key, size_t len, vd_entry **out) {
    if (len == 0 || len > VD_MAX_KEY) return SENTI_ERANGE;
    vd_key k;
    vd_mkkey(key, len, &k);
    const vd_entry *e = vd_find(v, key, len, &k);
    if (e) {
        *out = (vd_entry *)e;
        return SENTI_OK;
    }
    if ((size_t)(v->n_ents + 1) * 2 > (size_t)v->slot_mask + 1) {
        if (v->slot_mask >= UINT32_MAX / 4) return SENTI_ENOMEM;
        if (vd_rehash(v, (v->slot_mask + 1) * 2)) return SENTI_ENOMEM;
    }
    uint32_t off;
    if (vd_pool_add(v, key, len, &off)) return SENTI_ENOMEM;
    uint32_t i = VD_SLOT(k.h, v->slot_shift);
    while (v->tab[i].key_len) i = (i + 1) & v->slot_mask;
    vd_entry *n = &v->tab[i];
    memset(n, 0, sizeof *n);
    n->k0 = k.k0;
    n->k1 = k.k1;
    n->key_off = off;
    n->key_len = (uint16_t)len;
    v->n_ents++;
    if (len > v->max_key_len) v->max_key_len = (uint32_t)len;
    *out = n;
    return SENTI_OK;
}

/* ---- the model handle -------------------------------------------------------------------- */

static int vader_ctx_init(const senti_model *m, void **state) {
    (void)m;
    vd_scratch *s;
    if (senti__vd_scratch_new(&s)) return SENTI_ENOMEM;
    *state = s;
    return SENTI_OK;
}

static void vader_ctx_free(const senti_model *m, void *state) {
    (void)m;
    senti__vd_scratch_free(state);
}

static void vader_free(vader *v) {
    if (!v) return;
    senti__free(v->pool);
    senti__free(v->tab);
    senti__free(v->emoji);
    senti__free(v->emoji_slots);
    senti__free(v->desc_toks);
    senti__free(v->filt);
    senti__free(v);
}

static void vader_destroy(senti_model *m) {
    vader_free(m->impl);
    m->impl = NULL;
}

static const senti__model_ops vader_ops = {
    .kind = "vader",
    .predict = senti__vd_predict,
    .ctx_init = vader_ctx_init,
    .ctx_free = vader_ctx_free,
    .destroy = vader_destroy,
};

/* ---- loading ------------------------------------------------------------------------------ */

#define VD_MAX_FILE (64u << 20)

/* The largest |valence| of a vader_lexicon.txt line. VADER's valences are means of ratings on
 * its scale from -4 (extremely negative) to +4 (extremely positive), and the rules' constants
 * (boosters 0.293, capitals 0.733, the compound's alpha 15) are calibrated for that scale;
 * the reference lexicon's values lie in [-3.9, 3.4]. Values off the scale are refused at
 * open, above all nan and inf (which Python's float() reads, and which made every text with
 * the word score nan) and values near DBL_MAX (whose squares overflow to inf in the compound).
 * Within the scale every intermediate stays finite: a word's valence is below 15 (4, the
 * capitals and three boosters, times 1.25 per "so"/"this"), the "but" rule sets a value to
 * at most 1.5 times a later word's own valence (a position is rescaled only at or before the
 * iteration that reads it), and the sum of 2^32 such values squares far below DBL_MAX. */
#define VD_MAX_VALENCE 4.0

/* Strict UTF-8 check (codecs.open(..., encoding="utf-8") rejects anything else). */
static int vd_valid_utf8(const uint8_t *p, size_t n) {
    const uint8_t *end = p + n;
    while (p < end) {
        size_t nb;
        if (*p < 0x80) {
            p++;
            continue;
        }
        if (vd_decode(p, end, &nb) == 0xfffd && !(nb == 3 && p[0] == 0xef && p[1] == 0xbf &&
                                                  p[2] == 0xbd))
            return 0;
        p += nb;
    }
    return 1;
}

/* Python's str.strip() (whitespace) on a UTF-8 line. */
static void vd_strip(const uint8_t **s, const uint8_t **e) {
    const uint8_t *a = *s, *b = *e;
    while (a < b) {
        size_t nb;
        uint32_t cp = vd_decode(a, b, &nb);
        if (!vd_is_space_cp(cp)) break;
        a += nb;
    }
    while (b > a) {
        const uint8_t *q = b - 1;
        while (q > a && (*q & 0xc0) == 0x80 && b - q < 4) q--;
        size_t nb;
        uint32_t cp = vd_decode(q, b, &nb);
        if (q + nb != b || !vd_is_space_cp(cp)) break;
        b = q;
    }
    *s = a;
    *e = b;
}

/* Iterate the lines of data the way content.rstrip('\n').split('\n') does. Calls fn for each
 * line (after str.strip()) with its 1-based number; the two first TAB-separated fields. */
typedef int (*vd_line_fn)(vader *v, const uint8_t *f0, size_t n0, const uint8_t *f1, size_t n1,
                          size_t lineno, const char *path, char *err, size_t err_size);

static int vd_parse_lines(vader *v, const char *path, const char *data, size_t size,
                          int skip_empty, vd_line_fn fn, char *err, size_t err_size) {
    const uint8_t *p = (const uint8_t *)data, *end = p + size;
    if (!vd_valid_utf8(p, size))
        return senti__err(err, err_size, SENTI_EFORMAT, "%s: not valid UTF-8", path);
    while (end > p && end[-1] == '\n') end--;
    size_t lineno = 0;
    while (p <= end) {
        const uint8_t *nl = memchr(p, '\n', (size_t)(end - p));
        const uint8_t *le = nl ? nl : end;
        lineno++;
        if (!(skip_empty && le == p)) {
            const uint8_t *a = p, *b = le;
            vd_strip(&a, &b);
            const uint8_t *t1 = memchr(a, '\t', (size_t)(b - a));
            if (!t1)
                return senti__err(err, err_size, SENTI_EFORMAT,
                                  "%s: line %zu: expected at least two TAB-separated fields",
                                  path, lineno);
            const uint8_t *f1 = t1 + 1;
            const uint8_t *t2 = memchr(f1, '\t', (size_t)(b - f1));
            const uint8_t *e1 = t2 ? t2 : b;
            int rc = fn(v, a, (size_t)(t1 - a), f1, (size_t)(e1 - f1), lineno, path, err,
                        err_size);
            if (rc) return rc;
        }
        if (!nl) break;
        p = nl + 1;
    }
    return SENTI_OK;
}

static int vd_lex_line(vader *v, const uint8_t *f0, size_t n0, const uint8_t *f1, size_t n1,
                       size_t lineno, const char *path, char *err, size_t err_size) {
    /* float(measure): Python accepts surrounding whitespace, a sign, decimal digits with an
     * optional exponent, inf and nan; strtod accepts the same (hex is refused here). */
    char num[64];
    const uint8_t *a = f1, *b = f1 + n1;
    vd_strip(&a, &b);
    size_t nn = (size_t)(b - a);
    int ok = nn > 0 && nn < sizeof num;
    if (ok) {
        memcpy(num, a, nn);
        num[nn] = 0;
        ok = !strpbrk(num, "xX(_");
    }
    double val = 0;
    if (ok) {
        char *ep;
        errno = 0;
        val = strtod(num, &ep);
        ok = *ep == 0;
    }
    if (!ok)
        return senti__err(err, err_size, SENTI_EFORMAT, "%s: line %zu: bad valence '%.*s'",
                          path, lineno, (int)(n1 < 32 ? n1 : 32), (const char *)f1);
    /* Refused although Python's float() takes them: nan, inf and values off VADER's rating
     * scale (see VD_MAX_VALENCE). */
    if (!(fabs(val) <= VD_MAX_VALENCE))
        return senti__err(err, err_size, SENTI_EFORMAT,
                          "%s: line %zu: valence '%s' is not a number in [-4, 4] (VADER's "
                          "rating scale)", path, lineno, num);
    if (n0 == 0) return SENTI_OK; /* an empty word never matches a token */
    if (n0 > VD_MAX_KEY)
        return senti__err(err, err_size, SENTI_EFORMAT, "%s: line %zu: word longer than %u bytes",
                          path, lineno, VD_MAX_KEY);
    vd_entry *e;
    if (senti__vd_intern(v, f0, n0, &e))
        return senti__err(err, err_size, SENTI_ENOMEM, "%s: out of memory", path);
    if (!(e->flags & T_LEX)) v->n_lex++;
    e->lex = val;
    e->flags |= T_LEX;
    return SENTI_OK;
}

/* Splits an emoji's description d[0..n) into words once, at load: its complete words are
 * appended to v->desc_toks, its open tail (a last word not followed by whitespace, which the
 * text's next character continues) kept in the pool, and its '!' and '?' counted. */
static int vd_emoji_describe(vader *v, vd_scratch *s, const uint8_t *d, size_t n, vd_emoji *em) {
    const uint8_t *p = d, *end = d + n, *ws = NULL;
    size_t wcp = 0;
    while (p <= end) {
        size_t k = 0;
        uint32_t c = p < end ? vd_decode(p, end, &k) : ' ';
        if (p == end || vd_is_space_cp(c)) {
            if (ws && p == end) { /* the open tail */
                em->has_tail = 1;
                if (vd_pool_add(v, ws, (size_t)(p - ws), &em->tail_off)) return SENTI_ENOMEM;
                em->tail_len = (uint32_t)(p - ws);
                em->tail_ncp = (uint32_t)wcp;
                if (senti__vd_word(v, s, ws, (size_t)(p - ws), wcp, &em->tail)) return SENTI_ENOMEM;
            } else if (ws) {
                vd_tok t;
                if (senti__vd_word(v, s, ws, (size_t)(p - ws), wcp, &t)) return SENTI_ENOMEM;
                size_t cap = v->desc_toks_cap;
                if (VD_GROW(v->desc_toks, cap, (size_t)v->n_desc_toks + 1)) return SENTI_ENOMEM;
                v->desc_toks_cap = (uint32_t)cap;
                v->desc_toks[v->n_desc_toks++] = t;
                em->n_toks++;
            }
            ws = NULL;
            if (p == end) break;
            p += k;
            continue;
        }
        if (!ws) {
            ws = p;
            wcp = 0;
        }
        /* at most 4 each: the rules read min('!', 4) and '?' as 0, 2, 3 or "more than 3",
         * so the text's totals mean the same, and stay within twice its length (32 bits:
         * 2^18 emoji of 2^14 '!' each counted 2^32 = 0 '!') */
        if (c == '!' && em->n_excl < 4) em->n_excl++;
        if (c == '?' && em->n_qm < 4) em->n_qm++;
        wcp++;
        p += k;
    }
    return SENTI_OK;
}

/* Adds em to the emoji table (open addressing on the code point, at most half full); a later
 * line for the same character replaces the earlier one, as in the reference's dict. */
static int vd_emoji_add(vader *v, const vd_emoji *em) {
    const vd_emoji *old = v->n_emoji ? vd_emoji_find(v, em->cp) : NULL;
    if (old) {
        *(vd_emoji *)old = *em;
        return SENTI_OK;
    }
    size_t cap = v->emoji_cap;
    if (VD_GROW(v->emoji, cap, (size_t)v->n_emoji + 1)) return SENTI_ENOMEM;
    v->emoji_cap = (uint32_t)cap;
    v->emoji[v->n_emoji++] = *em;
    if ((size_t)v->n_emoji * 2 > (size_t)v->emoji_mask + 1 || !v->emoji_slots) {
        size_t ns = v->emoji_slots ? ((size_t)v->emoji_mask + 1) * 2 : 1024;
        uint32_t *sl = senti__calloc(ns, sizeof *sl);
        if (!sl) return SENTI_ENOMEM;
        senti__free(v->emoji_slots);
        v->emoji_slots = sl;
        v->emoji_mask = (uint32_t)ns - 1;
        for (uint32_t k = 0; k < v->n_emoji; k++) {
            uint32_t i = (v->emoji[k].cp * 2654435761u >> 8) & v->emoji_mask;
            while (sl[i]) i = (i + 1) & v->emoji_mask;
            sl[i] = k + 1;
        }
    } else {
        uint32_t i = (em->cp * 2654435761u >> 8) & v->emoji_mask;
        while (v->emoji_slots[i]) i = (i + 1) & v->emoji_mask;
        v->emoji_slots[i] = v->n_emoji;
    }
    if (v->n_emoji == 1 || em->cp < v->emoji_min_cp) v->emoji_min_cp = em->cp;
    return SENTI_OK;
}

/* One line of emoji_utf8_lexicon.txt: a single character and its description. */
static int vd_emoji_line(vader *v, const uint8_t *f0, size_t n0, const uint8_t *f1, size_t n1,
                         size_t lineno, const char *path, char *err, size_t err_size) {
    (void)lineno;
    v->n_emoji_lines++;
    size_t nb;
    uint32_t cp = n0 ? vd_decode(f0, f0 + n0, &nb) : 0;
    if (n0 == 0 || nb != n0) return SENTI_OK; /* multi-character keys never match a character */
    vd_emoji em;
    memset(&em, 0, sizeof em);
    em.cp = cp;
    em.tok_off = v->n_desc_toks;
    vd_scratch *s = NULL;
    int rc = senti__vd_scratch_new(&s);
    if (!rc) rc = vd_emoji_describe(v, s, f1, n1, &em);
    senti__vd_scratch_free(s);
    if (!rc) rc = vd_emoji_add(v, &em);
    if (rc) return senti__err(err, err_size, SENTI_ENOMEM, "%s: out of memory", path);
    return SENTI_OK;
}

/* vader.filt: the bit of every key in the table (after the last senti__vd_intern). */
static int vd_build_filter(vader *v) {
    v->filt = senti__calloc((1u << VD_FILT_BITS) / 64, sizeof *v->filt);
    if (!v->filt) return SENTI_ENOMEM;
    for (uint32_t j = 0; j <= v->slot_mask; j++) {
        const vd_entry *e = &v->tab[j];
        if (!e->key_len) continue;
        vd_key k;
        vd_mkkey((const uint8_t *)v->pool + e->key_off, e->key_len, &k);
        uint32_t b = (uint32_t)(k.h >> (64 - VD_FILT_BITS));
        v->filt[b >> 6] |= 1ull << (b & 63);
    }
    return SENTI_OK;
}

/* PATH (file or folder; empty: $SENTI_VADER_LEXICON, then opts->lexicon_dir) -> the two files. */
static int vd_paths(const char *path, const senti_options *opts, char **lex, char **emo,
                    char *err, size_t err_size) {
    *lex = *emo = NULL;
    if (!path || !*path) path = getenv("SENTI_VADER_LEXICON");
    if (!path || !*path) path = opts ? opts->lexicon_dir : NULL;
    if (!path || !*path)
        return senti__err(err, err_size, SENTI_EINVAL,
                          "vader: no lexicon given (use vader:PATH, the lexicon directory "
                          "option, or $SENTI_VADER_LEXICON)");
    struct stat st;
    int is_dir = stat(path, &st) == 0 && S_ISDIR(st.st_mode);
    size_t n = strlen(path);
    const char *lexname = "vader_lexicon.txt", *emoname = "emoji_utf8_lexicon.txt";
    size_t dirlen;
    if (is_dir) {
        while (n > 1 && path[n - 1] == '/') n--;
        dirlen = n;
    } else {
        const char *slash = strrchr(path, '/');
        dirlen = slash ? (size_t)(slash - path) : 0;
    }
    size_t cap = n + strlen(emoname) + 4;
    *lex = senti__malloc(cap);
    *emo = senti__malloc(cap);
    if (!*lex || !*emo) {
        senti__free(*lex);
        senti__free(*emo);
        *lex = *emo = NULL;
        return senti__err(err, err_size, SENTI_ENOMEM, "vader: out of memory");
    }
    if (is_dir) snprintf(*lex, cap, "%.*s/%s", (int)n, path, lexname);
    else snprintf(*lex, cap, "%s", path);
    if (is_dir || dirlen) {
        int root = dirlen == 0 && path[0] == '/';
        snprintf(*emo, cap, "%.*s/%s", root ? 0 : (int)dirlen, path, emoname);
    } else {
        snprintf(*emo, cap, "%s", emoname);
    }
    return SENTI_OK;
}

/* Reads and parses the two lexicons into v, then builds the filter. The lexicon file is
 * parsed before the emoji file is read, so that its errors come first; its bytes are kept
 * until both files are parsed. The model's identity (*bytes, digest) covers both files: a
 * change to either changes the answers. */
static int vd_load(vader *v, const char *lex_path, const char *emo_path, uint64_t *bytes,
                   char digest[33], char *err, size_t err_size) {
    char *lex = NULL, *emo = NULL;
    size_t lex_size = 0, emo_size = 0;
    int rc = senti__read_file(lex_path, VD_MAX_FILE, &lex, &lex_size, err, err_size);
    if (!rc) rc = vd_parse_lines(v, lex_path, lex, lex_size, 1, vd_lex_line, err, err_size);
    if (!rc && senti__vd_add_rule_words(v))
        rc = senti__err(err, err_size, SENTI_ENOMEM, "vader: out of memory");
    if (!rc) rc = senti__read_file(emo_path, VD_MAX_FILE, &emo, &emo_size, err, err_size);
    if (!rc) {
        const void *parts[2] = {lex, emo};
        size_t lens[2] = {lex_size, emo_size};
        senti__digest_parts(parts, lens, 2, digest);
        *bytes = (uint64_t)lex_size + emo_size;
    }
    if (!rc) rc = vd_parse_lines(v, emo_path, emo, emo_size, 0, vd_emoji_line, err, err_size);
    if (!rc && vd_build_filter(v))
        rc = senti__err(err, err_size, SENTI_ENOMEM, "vader: out of memory");
    senti__free(lex);
    senti__free(emo);
    return rc;
}

/* The model handle around v: labels, values and metadata. On failure v is left to the
 * caller. */
static int vd_model_new(vader *v, const senti_options *opts, const char *lex_path,
                        const char *emo_path, uint64_t bytes, const char digest[33], senti_model **out) {
    senti_model *m = senti__model_new(&vader_ops, opts);
    if (!m) return SENTI_ENOMEM;
    static const char *const labels[] = {"negative", "neutral", "positive"};
    senti__model_set_labels(m, 3, labels, NULL, 0); /* literals: cannot fail */
    m->n_values = 4;
    m->value_names[0] = "neg";
    m->value_names[1] = "neu";
    m->value_names[2] = "pos";
    m->value_names[3] = "compound";
    m->value_decimals[0] = m->value_decimals[1] = m->value_decimals[2] = 3;
    m->value_decimals[3] = 4;
    char buf[32];
    int rc = senti__model_add_meta(m, "name", "vader");
    if (!rc) rc = senti__model_add_meta(m, "lexicon", lex_path);
    if (!rc) rc = senti__model_add_meta(m, "emoji_lexicon", emo_path);
    snprintf(buf, sizeof buf, "%u", v->n_lex);
    if (!rc) rc = senti__model_add_meta(m, "lexicon_entries", buf);
    snprintf(buf, sizeof buf, "%u", v->n_emoji_lines);
    if (!rc) rc = senti__model_add_meta(m, "emoji_entries", buf);
    if (!rc) rc = senti__model_add_meta(m, "reference", "vaderSentiment 44fc044 polarity_scores");
    if (!rc) rc = senti__model_add_meta(m, "unicode_version", VU_UNICODE_VERSION);
    if (!rc) rc = senti__model_set_source(m, lex_path, bytes, digest);
    if (rc) {
        senti_model_free(m); /* m->impl is still NULL: v is not freed */
        return SENTI_ENOMEM;
    }
    m->impl = v;
    *out = m;
    return SENTI_OK;
}

int senti__vader_open(const char *path, const senti_options *opts, senti_model **out, char *err,
                      size_t err_size) {
    if (!out) return senti__err(err, err_size, SENTI_EINVAL, "no output model pointer");
    *out = NULL;
    senti__vd_init_ascii();
    char *lex_path = NULL, *emo_path = NULL;
    int rc = vd_paths(path, opts, &lex_path, &emo_path, err, err_size);
    if (rc) return rc;
    vader *v = senti__calloc(1, sizeof *v);
    if (!v || vd_rehash(v, 1u << 14))
        rc = senti__err(err, err_size, SENTI_ENOMEM, "vader: out of memory");
    uint64_t bytes = 0;
    char digest[33];
    if (!rc) rc = vd_load(v, lex_path, emo_path, &bytes, digest, err, err_size);
    if (!rc && vd_model_new(v, opts, lex_path, emo_path, bytes, digest, out))
        rc = senti__err(err, err_size, SENTI_ENOMEM, "vader: out of memory");
    if (rc) vader_free(v);
    senti__free(lex_path);
    senti__free(emo_path);
    return rc;
}

const senti__kind senti__vader_kind = {
    .name = "vader",
    .help = "vader:PATH     the VADER rule model; PATH is vader_lexicon.txt or its folder",
    .open_path = senti__vader_open,
};
