/*
 * rules.c - the vader model's rules: the reference's sentiment_valence, "but" rule,
 * punctuation emphasis and score_valence over a text's words, with its constants and word
 * lists (NEGATE, BOOSTER_DICT, SPECIAL_CASES).
 *
 * The words come from tokens.c (every word of the text) or fast_ascii.c (the lexicon words
 * only); each word's lexicon valence is then adjusted by the words up to three back: "no",
 * ALL-CAPS emphasis (only if some but not all words are upper case), boosters and dampeners
 * (scaled 1, 0.95, 0.9), negation (NEGATE, "n't", "never so/this", "without doubt"), idioms
 * ("the shit", "kiss of death", ...), "kind of"/"sort of"/"just enough" and "least". The
 * "but" rule follows, with the reference's list.index() quirk (a value equal to an earlier
 * one rescales the earlier position), then "!" and "?" emphasis, the compound x/sqrt(x^2+15),
 * the proportions and Python's round(). Every floating-point operation is the reference's,
 * in its order, so the numbers are equal bit for bit.
 *
 * The rules look at per-word flags and word ids computed once per word, never at strings:
 * the reference rebuilds lower-cased word lists per word (quadratic); here each word costs
 * O(1), and the "but" rule O(log t) per word on long texts (a leftist heap per value).
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "models/vader/vader.h"

/* ---- the reference's constants ---------------------------------------------------------- */

#define B_INCR 0.293
#define B_DECR (-0.293)
#define C_INCR 0.733
#define N_SCALAR (-0.74)

static const char *const vd_negate[] = {
    "aint", "arent", "cannot", "cant", "couldnt", "darent", "didnt", "doesnt",
    "ain't", "aren't", "can't", "couldn't", "daren't", "didn't", "doesn't",
    "dont", "hadnt", "hasnt", "havent", "isnt", "mightnt", "mustnt", "neither",
    "don't", "hadn't", "hasn't", "haven't", "isn't", "mightn't", "mustn't",
    "neednt", "needn't", "never", "none", "nope", "nor", "not", "nothing", "nowhere",
    "oughtnt", "shant", "shouldnt", "uhuh", "wasnt", "werent",
    "oughtn't", "shan't", "shouldn't", "uh-uh", "wasn't", "weren't",
    "without", "wont", "wouldnt", "won't", "wouldn't", "rarely", "seldom", "despite"};

static const char *const vd_boost_incr[] = {
    "absolutely", "amazingly", "awfully", "completely", "considerable", "considerably",
    "decidedly", "deeply", "effing", "enormous", "enormously", "entirely", "especially",
    "exceptional", "exceptionally", "extreme", "extremely", "fabulously", "flipping",
    "flippin", "frackin", "fracking", "fricking", "frickin", "frigging", "friggin", "fully",
    "fuckin", "fucking", "fuggin", "fugging", "greatly", "hella", "highly", "hugely",
    "incredible", "incredibly", "intensely", "major", "majorly", "more", "most",
    "particularly", "purely", "quite", "really", "remarkably", "so", "substantially",
    "thoroughly", "total", "totally", "tremendous", "tremendously", "uber", "unbelievably",
    "unusually", "utter", "utterly", "very"};

static const char *const vd_boost_decr[] = {
    "almost", "barely", "hardly", "kinda", "kindof", "kind-of", "less", "little", "marginal",
    "marginally", "occasional", "occasionally", "partly", "scarce", "scarcely", "slight",
    "slightly", "somewhat", "sorta", "sortof", "sort-of"};

/* The strings of the word ids (vader.h). */
static const char *const vd_words[W_COUNT] = {
    "", "no", "or", "nor", "kind", "of", "never", "so", "this", "without", "doubt",
    "least", "at", "very", "but",
    "the", "shit", "bomb", "bad", "ass", "bus", "stop", "yeah", "right", "kiss", "death",
    "to", "die", "for", "beating", "heart", "broken", "just", "enough", "sort"};

/* Multi-word keys of SPECIAL_CASES and BOOSTER_DICT, as word ids. (Single-word keys such as
 * "badass" can never equal a space-joined n-gram, which is the only way they are used.) */
typedef struct vd_phrase {
    uint8_t n, w[3];
    double val;
} vd_phrase;
static const vd_phrase vd_special[] = {
    {2, {W_THE, W_SHIT, 0}, 3},       {2, {W_THE, W_BOMB, 0}, 3},
    {2, {W_BAD, W_ASS, 0}, 1.5},      {2, {W_BUS, W_STOP, 0}, 0.0},
    {2, {W_YEAH, W_RIGHT, 0}, -2},    {3, {W_KISS, W_OF, W_DEATH}, -1.5},
    {3, {W_TO, W_DIE, W_FOR}, 3},     {2, {W_BEATING, W_HEART, 0}, 3.1},
    {2, {W_BROKEN, W_HEART, 0}, -2.9}};
static const vd_phrase vd_boost_phrases[] = {
    {2, {W_JUST, W_ENOUGH, 0}, B_DECR}, {2, {W_KIND, W_OF, 0}, B_DECR},
    {2, {W_SORT, W_OF, 0}, B_DECR}};

/* The rule words: boosters, negations and the words the rules compare against. */
int senti__vd_add_rule_words(vader *v) {
    vd_entry *e;
    for (size_t i = 0; i < sizeof vd_negate / sizeof *vd_negate; i++) {
        if (senti__vd_intern(v, vd_negate[i], strlen(vd_negate[i]), &e)) return SENTI_ENOMEM;
        e->flags |= T_NEG;
    }
    for (size_t i = 0; i < sizeof vd_boost_incr / sizeof *vd_boost_incr; i++) {
        if (senti__vd_intern(v, vd_boost_incr[i], strlen(vd_boost_incr[i]), &e)) return SENTI_ENOMEM;
        e->flags |= T_BINC;
    }
    for (size_t i = 0; i < sizeof vd_boost_decr / sizeof *vd_boost_decr; i++) {
        if (senti__vd_intern(v, vd_boost_decr[i], strlen(vd_boost_decr[i]), &e)) return SENTI_ENOMEM;
        e->flags |= T_BDEC;
    }
    for (int w = 1; w < W_COUNT; w++) {
        if (senti__vd_intern(v, vd_words[w], strlen(vd_words[w]), &e)) return SENTI_ENOMEM;
        e->wid = (uint8_t)w;
    }
    return SENTI_OK;
}

/* ---- scoring ---------------------------------------------------------------------------- */

static int vd_phrase_match(const vd_phrase *ph, size_t nph, int n, const uint8_t *w,
                           double *val) {
    for (int k = 0; k < n; k++)
        if (!w[k]) return 0;
    for (size_t p = 0; p < nph; p++) {
        if (ph[p].n != n) continue;
        int k = 0;
        while (k < n && ph[p].w[k] == w[k]) k++;
        if (k == n) {
            *val = ph[p].val;
            return 1;
        }
    }
    return 0;
}
#define VD_SPECIAL(n, w, val) \
    vd_phrase_match(vd_special, sizeof vd_special / sizeof *vd_special, n, w, val)
#define VD_BOOSTP(n, w, val) \
    vd_phrase_match(vd_boost_phrases, sizeof vd_boost_phrases / sizeof *vd_boost_phrases, n, w, val)

/* _special_idioms_check (i >= 3). */
static double vd_idioms(const vd_tok *t, size_t n, size_t i, double valence) {
    uint8_t w3 = t[i - 3].wid, w2 = t[i - 2].wid, w1 = t[i - 1].wid, w0 = t[i].wid;
    double val;
    const uint8_t onezero[2] = {w1, w0}, twoonezero[3] = {w2, w1, w0}, twoone[2] = {w2, w1},
                  threetwoone[3] = {w3, w2, w1}, threetwo[2] = {w3, w2};
    if (VD_SPECIAL(2, onezero, &val) || VD_SPECIAL(3, twoonezero, &val) ||
        VD_SPECIAL(2, twoone, &val) || VD_SPECIAL(3, threetwoone, &val) ||
        VD_SPECIAL(2, threetwo, &val))
        valence = val;
    if (n - 1 > i) {
        const uint8_t zeroone[2] = {w0, t[i + 1].wid};
        if (VD_SPECIAL(2, zeroone, &val)) valence = val;
    }
    if (n - 1 > i + 1) {
        const uint8_t zeroonetwo[3] = {w0, t[i + 1].wid, t[i + 2].wid};
        if (VD_SPECIAL(3, zeroonetwo, &val)) valence = val;
    }
    if (VD_BOOSTP(3, threetwoone, &val)) valence = valence + val;
    if (VD_BOOSTP(2, threetwo, &val)) valence = valence + val;
    if (VD_BOOSTP(2, twoone, &val)) valence = valence + val;
    return valence;
}

static inline int vd_so_this(uint8_t w) { return w == W_SO || w == W_THIS; }

/* _negation_check */
static double vd_negation(const vd_tok *t, size_t start_i, size_t i, double valence) {
    if (start_i == 0) {
        if (t[i - 1].flags & T_NEG) valence = valence * N_SCALAR;
    } else if (start_i == 1) {
        if (t[i - 2].wid == W_NEVER && vd_so_this(t[i - 1].wid))
            valence = valence * 1.25;
        else if (t[i - 2].wid == W_WITHOUT && t[i - 1].wid == W_DOUBT)
            ;
        else if (t[i - 2].flags & T_NEG)
            valence = valence * N_SCALAR;
    } else {
        if ((t[i - 3].wid == W_NEVER && vd_so_this(t[i - 2].wid)) || vd_so_this(t[i - 1].wid))
            valence = valence * 1.25;
        else if (t[i - 3].wid == W_WITHOUT && (t[i - 2].wid == W_DOUBT || t[i - 1].wid == W_DOUBT))
            ;
        else if (t[i - 3].flags & T_NEG)
            valence = valence * N_SCALAR;
    }
    return valence;
}

/* sentiment_valence for word i (which is a lexicon word). */
double senti__vd_valence(const vd_tok *t, size_t n, size_t i, int cap_diff) {
    const vd_tok *it = &t[i];
    double valence = it->lex;
    /* Quick case: the word and the three before it are no rule words (wid 0) and none of
     * those three is a negation or a booster. Then below: the "no" rules need a W_NO, each
     * scalar_inc_dec is 0.0, the negation checks need T_NEG or W_NEVER/W_WITHOUT/W_SO/W_THIS,
     * every idiom and booster phrase needs a nonzero word id among w1..w3, or w0 (and w0 is
     * 0), and "least" needs W_LEAST: what is left is the ALL-CAPS emphasis and valence + 0.0
     * once per earlier non-lexicon word (which only turns -0.0 into +0.0: once is enough). */
    if (i >= 3 && !(it->wid | t[i - 1].wid | t[i - 2].wid | t[i - 3].wid |
                    ((t[i - 1].flags | t[i - 2].flags | t[i - 3].flags) &
                     (T_NEG | T_BINC | T_BDEC)))) {
        if ((it->flags & T_UPPER) && cap_diff) {
            if (valence > 0) valence += C_INCR;
            else valence -= C_INCR;
        }
        if (!(t[i - 1].flags & t[i - 2].flags & t[i - 3].flags & T_LEX)) valence = valence + 0.0;
        return valence;
    }
    if (it->wid == W_NO && i != n - 1 && (t[i + 1].flags & T_LEX)) valence = 0.0;
    if ((i > 0 && t[i - 1].wid == W_NO) || (i > 1 && t[i - 2].wid == W_NO) ||
        (i > 2 && t[i - 3].wid == W_NO && (t[i - 1].wid == W_OR || t[i - 1].wid == W_NOR)))
        valence = it->lex * N_SCALAR;
    if ((it->flags & T_UPPER) && cap_diff) {
        if (valence > 0) valence += C_INCR;
        else valence -= C_INCR;
    }
    for (size_t start_i = 0; start_i < 3; start_i++) {
        if (i > start_i && !(t[i - (start_i + 1)].flags & T_LEX)) {
            const vd_tok *w = &t[i - (start_i + 1)];
            double s = 0.0; /* scalar_inc_dec */
            if (w->flags & (T_BINC | T_BDEC)) {
                s = (w->flags & T_BINC) ? B_INCR : B_DECR;
                if (valence < 0) s *= -1;
                if ((w->flags & T_UPPER) && cap_diff) {
                    if (valence > 0) s += C_INCR;
                    else s -= C_INCR;
                }
            }
            if (start_i == 1 && s != 0) s = s * 0.95;
            if (start_i == 2 && s != 0) s = s * 0.9;
            valence = valence + s;
            valence = vd_negation(t, start_i, i, valence);
            if (start_i == 2) valence = vd_idioms(t, n, i, valence);
        }
    }
    /* _least_check */
    if (i > 1 && !(t[i - 1].flags & T_LEX) && t[i - 1].wid == W_LEAST) {
        if (t[i - 2].wid != W_AT && t[i - 2].wid != W_VERY) valence = valence * N_SCALAR;
    } else if (i > 0 && !(t[i - 1].flags & T_LEX) && t[i - 1].wid == W_LEAST) {
        valence = valence * N_SCALAR;
    }
    return valence;
}

/* ---- the "but" rule ------------------------------------------------------------------------
 * The reference does
 *     for sentiment in sentiments:
 *         si = sentiments.index(sentiment)          # FIRST position holding an equal value
 *         if si < bi: sentiments[si] = sentiment * 0.5
 *         elif si > bi: sentiments[si] = sentiment * 1.5
 * Short lists use exactly that. Long ones keep, per distinct value, a leftist min-heap of the
 * positions holding it, so index() is the heap's minimum: O(t log t). Zero values are skipped
 * there (rescaling 0 changes nothing, and +-0 compare equal). */

static void vd_but_direct(double *s, size_t n, size_t bi) {
    for (size_t k = 0; k < n; k++) {
        double v = s[k];
        size_t j = 0;
        while (j < k && s[j] != v) j++; /* s[k] == v, unless v is a NaN (then index() finds
                                         * the object itself, at k) */
        if (j < bi) s[j] = v * 0.5;
        else if (j > bi) s[j] = v * 1.5;
    }
}

static int32_t vd_meld(vd_scratch *sc, int32_t a, int32_t b) {
    if (a < 0) return b;
    if (b < 0) return a;
    if (b < a) {
        int32_t t = a;
        a = b;
        b = t;
    }
    sc->hr[a] = vd_meld(sc, sc->hr[a], b);
    int32_t l = sc->hl[a], r = sc->hr[a];
    int32_t rl = l < 0 ? 0 : sc->hrank[l], rr = r < 0 ? 0 : sc->hrank[r];
    if (rl < rr) {
        sc->hl[a] = r;
        sc->hr[a] = l;
        rr = rl;
    }
    sc->hrank[a] = rr + 1;
    return a;
}

static uint64_t vd_dbits(double d) {
    uint64_t u;
    memcpy(&u, &d, sizeof u);
    return u;
}

/* The slot of value key (nonzero double bits) in the value table; creates it (root -1). */
static size_t vd_vslot(vd_scratch *sc, size_t mask, uint64_t key) {
    size_t i = (size_t)(key * 0x9e3779b97f4a7c15ull >> 17) & mask;
    while (sc->vkeys[i] && sc->vkeys[i] != key) i = (i + 1) & mask;
    if (!sc->vkeys[i]) {
        sc->vkeys[i] = key;
        sc->vroot[i] = -1;
    }
    return i;
}

/* pos: the token position of each s[j] (NULL: j itself), compared with the "but" at bi. */
int senti__vd_but_heap(vd_scratch *sc, double *s, size_t n, size_t bi, const uint32_t *pos) {
    if (n > INT32_MAX / 8) return SENTI_ENOMEM;
    if (VD_GROW(sc->heap, sc->heap_cap, 3 * n)) return SENTI_ENOMEM;
    sc->hl = sc->heap;
    sc->hr = sc->heap + n;
    sc->hrank = sc->heap + 2 * n;
    size_t want = 16;
    while (want < 4 * n) want *= 2; /* at most 2n distinct values: load <= 1/2 */
    if (want > sc->vcap) {
        senti__free(sc->vkeys);
        senti__free(sc->vroot);
        sc->vkeys = senti__malloc(want * sizeof *sc->vkeys);
        sc->vroot = senti__malloc(want * sizeof *sc->vroot);
        sc->vcap = sc->vkeys && sc->vroot ? want : 0;
        if (!sc->vcap) return SENTI_ENOMEM;
    }
    size_t mask = want - 1;
    memset(sc->vkeys, 0, want * sizeof *sc->vkeys);
    for (size_t j = 0; j < n; j++) {
        sc->hl[j] = sc->hr[j] = -1;
        sc->hrank[j] = 1;
        if (s[j] == 0) continue;
        size_t slot = vd_vslot(sc, mask, vd_dbits(s[j]));
        sc->vroot[slot] = vd_meld(sc, sc->vroot[slot], (int32_t)j);
    }
    for (size_t k = 0; k < n; k++) {
        double v = s[k];
        if (v == 0) continue;
        size_t slot = vd_vslot(sc, mask, vd_dbits(v));
        int32_t j = sc->vroot[slot]; /* = sentiments.index(v); exists since s[k] == v */
        size_t pj = pos ? pos[j] : (size_t)j;
        if (pj == bi) continue;
        double nv = v * (pj < bi ? 0.5 : 1.5);
        sc->vroot[slot] = vd_meld(sc, sc->hl[j], sc->hr[j]);
        s[j] = nv;
        sc->hl[j] = sc->hr[j] = -1;
        sc->hrank[j] = 1;
        if (nv == 0) continue; /* underflow: now a zero, never looked up again */
        size_t ns = vd_vslot(sc, mask, vd_dbits(nv));
        sc->vroot[ns] = vd_meld(sc, sc->vroot[ns], j);
    }
    return SENTI_OK;
}


/* vd_round near a tie: decide on the exact value (glibc printf is exact). Kept out of line
 * so that the common case below inlines into its callers. */
static __attribute__((noinline)) double vd_round_exact(double x, int nd) {
    char buf[64];
    snprintf(buf, sizeof buf, "%.*f", nd, x);
    return strtod(buf, NULL);
}

/* Python's round(x, nd) for nd in 0..4: the decimal nearest to the exact binary value of x
 * (ties to even), read back as a double; keeps the sign of x (round(-0.00001, 4) is -0.0). */
static inline double vd_round(double x, int nd) {
    static const double p10[] = {1, 10, 100, 1000, 10000};
    double p = p10[nd];
    double y = x * p;
    /* floor(y) without the libm call: for |y| < 2^52 the conversion to int64 truncates
     * exactly, and one is taken off for a negative non-integer (the one difference from
     * floor(), +0.0 for y = -0.0, does not reach the result: r / p gets the sign of x) */
    double fl;
    if (fabs(y) < 4503599627370496.0) {
        double t = (double)(int64_t)y;
        fl = t > y ? t - 1 : t;
    } else {
        fl = floor(y);
    }
    double frac = y - fl;
    if (isfinite(y) && fabs(frac - 0.5) > 1e-6) {
        /* |x*p - y| <= 2^-53 |y|: far from a tie, the nearest integer is certain */
        double r = frac > 0.5 ? fl + 1 : fl;
        return copysign(r / p, x);
    }
    return vd_round_exact(x, nd);
}

/* ---- the result ---------------------------------------------------------------------------- */

/* The reference's score_valence and rounding over the valences vals[0..nv), with `zeros`
 * more tokens scoring 0.0 (neutral), then out for n tokens. The sum is left to right as
 * Python 3.11's sum() does, with _sift_sentiment_scores in the same pass (adding +0.0 for
 * the other signs leaves those sums unchanged). nv + zeros must be > 0. */
void senti__vd_finish(const double *vals, size_t nv, size_t zeros, uint32_t n_excl, uint32_t n_qm,
                      size_t n, senti_result *out) {
    double sum_s = 0.0, pos_sum = 0.0, neg_sum = 0.0;
    size_t neu_count = zeros;
    for (size_t i = 0; i < nv; i++) {
        double x = vals[i];
        sum_s += x;
        pos_sum += x > 0 ? x + 1 : 0.0;
        neg_sum += x < 0 ? x - 1 : 0.0;
        neu_count += x == 0;
    }
    double ep = (double)(n_excl > 4 ? 4 : n_excl) * 0.292;
    double qm = 0.0;
    if (n_qm > 1) qm = n_qm <= 3 ? (double)n_qm * 0.18 : 0.96;
    double punct = ep + qm;
    if (sum_s > 0) sum_s += punct;
    else if (sum_s < 0) sum_s -= punct;
    double compound = sum_s / sqrt((sum_s * sum_s) + 15);
    if (compound < -1.0) compound = -1.0;
    else if (compound > 1.0) compound = 1.0;
    if (pos_sum > fabs(neg_sum)) pos_sum += punct;
    else if (pos_sum < fabs(neg_sum)) neg_sum -= punct;
    double total = pos_sum + fabs(neg_sum) + (double)neu_count;
    double pos = fabs(pos_sum / total);
    double neg = fabs(neg_sum / total);
    double neu = fabs((double)neu_count / total);
    vd_fill(out, vd_round(neg, 3), vd_round(neu, 3), vd_round(pos, 3), vd_round(compound, 4), n);
}

/* Score the tokens toks[0..n) and fill out. */
int senti__vd_score(vd_scratch *s, size_t n, uint32_t n_excl, uint32_t n_qm, senti_result *out) {
    const vd_tok *t = s->toks;
    if (n > 0) {
        if (VD_GROW(s->sent, s->sent_cap, n)) return SENTI_ENOMEM;
        double *sent = s->sent;
        size_t n_upper = 0, bi = SIZE_MAX;
        for (size_t i = 0; i < n; i++) {
            n_upper += (t[i].flags & T_UPPER) != 0;
            if (bi == SIZE_MAX && t[i].wid == W_BUT) bi = i;
        }
        int cap_diff = n_upper > 0 && n_upper < n;
        for (size_t i = 0; i < n; i++) {
            if (t[i].flags & (T_BINC | T_BDEC)) sent[i] = 0;
            else if (i < n - 1 && t[i].wid == W_KIND && t[i + 1].wid == W_OF) sent[i] = 0;
            else if (!(t[i].flags & T_LEX)) sent[i] = 0;
            else sent[i] = senti__vd_valence(t, n, i, cap_diff);
        }
        if (bi != SIZE_MAX) {
            if (n <= 64) vd_but_direct(sent, n, bi);
            else if (senti__vd_but_heap(s, sent, n, bi, NULL)) return SENTI_ENOMEM;
        }
        senti__vd_finish(sent, n, 0, n_excl, n_qm, n, out);
        return SENTI_OK;
    }
    /* no tokens: all four numbers are 0.0 */
    vd_fill(out, vd_round(0.0, 3), vd_round(0.0, 3), vd_round(0.0, 3), vd_round(0.0, 4), 0);
    return SENTI_OK;
}


/* ---- test hooks (vader.h) -------------------------------------------------------------- */

int senti__vader_but_rule(double *s, size_t n, size_t bi, int method) {
    if (method == 0) {
        vd_but_direct(s, n, bi);
        return SENTI_OK;
    }
    vd_scratch *sc;
    if (senti__vd_scratch_new(&sc)) return SENTI_ENOMEM;
    int rc = senti__vd_but_heap(sc, s, n, bi, NULL);
    senti__vd_scratch_free(sc);
    return rc;
}

double senti__vader_round(double x, int nd) { return vd_round(x, nd < 0 ? 0 : nd > 4 ? 4 : nd); }

