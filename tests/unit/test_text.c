/* Tokenizer, hashing and feature-scheme tests: the vectors here pin the specification in
 * src/text/tokenize.h and src/models/linear/linear.h (hash values were computed independently with
 * the python3-xxhash binding of xxHash 0.8). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "../harness.h"
#include "base/base.h"
#include "senti.h"
#include "models/linear/linear.h"
#include "text/tokenize.h"

/* Tokens of s joined by '|'. */
static const char *toks(const char *s, size_t len) {
    static char out[4096];
    senti__tokenizer t;
    senti__token tk[16];
    size_t n, o = 0;
    out[0] = 0;
    senti__tok_init(&t, s, len, 1);
    while ((n = senti__tok_next(&t, tk, 16)) > 0)
        for (size_t i = 0; i < n; i++)
            o += (size_t)snprintf(out + o, sizeof out - o, "%s%s", o ? "|" : "", tk[i].text);
    return out;
}
#define TOKS(s) toks(s, sizeof(s) - 1)

TEST(tokenize_words_and_punct) {
    ASSERT_STR(TOKS("Hello, World!"), "hello|,|world|!");
    ASSERT_STR(TOKS("  multiple   spaces\tand\ttabs\n"), "multiple|spaces|and|tabs");
    ASSERT_STR(TOKS("Wow!!!!! Really???"), "wow|!!!|really|???");
    ASSERT_STR(TOKS("a ... b"), "a|...|b");
    ASSERT_STR(TOKS("a!?b"), "a|!|?|b");
    ASSERT_STR(TOKS(""), "");
    ASSERT_STR(TOKS("   "), "");
}

TEST(tokenize_clitics_like_sst) {
    ASSERT_STR(TOKS("I didn't like it"), "i|did|n't|like|it");
    ASSERT_STR(TOKS("it's we've they're I'll he'd I'm"), "it|'s|we|'ve|they|'re|i|'ll|he|'d|i|'m");
    ASSERT_STR(TOKS("can't won't"), "ca|n't|wo|n't");
    /* pre-tokenized SST text reads the same */
    ASSERT_STR(TOKS("does n't it 's"), "does|n't|it|'s");
    ASSERT_STR(TOKS("'quoted' dogs' o'clock rock'n'roll"), "'|quoted|'|dogs|'|o'clock|rock'n'roll");
    ASSERT_STR(TOKS("don\xE2\x80\x99t"), "do|n't"); /* U+2019 is an apostrophe */
}

TEST(tokenize_unicode_normalization) {
    ASSERT_STR(TOKS("Caf\xC3\xA9 NA\xC3\x8FVE"), "cafe|naive");           /* accents stripped */
    ASSERT_STR(TOKS("\xEF\xBC\xA3\xEF\xBD\x81\xEF\xBD\x94"), "cat");       /* fullwidth */
    ASSERT_STR(TOKS("\xEF\xAC\x81ne"), "fine");                            /* ligature */
    ASSERT_STR(TOKS("Stra\xC3\x9F" "e"), "strasse");                      /* full case folding */
    ASSERT_STR(TOKS("\xF0\x9F\x98\x80\xF0\x9F\x98\x80 \xF0\x9F\x91\x8D"), "\xF0\x9F\x98\x80\xF0\x9F\x98\x80|\xF0\x9F\x91\x8D");
    ASSERT_STR(TOKS("a\xE2\x80\x8D" "b"), "ab");                           /* ZWJ is skipped */
    ASSERT_STR(TOKS("a\xC2\xA0" "b"), "a|b");                              /* NBSP separates */
}

TEST(tokenize_bad_bytes) {
    ASSERT_STR(toks("a\0b", 3), "a|b");                                    /* NUL separates */
    ASSERT_STR(TOKS("a\x01\x7f" "b"), "a|b");                              /* controls separate */
    ASSERT_STR(TOKS("x\xFFy"), "x|\xEF\xBF\xBD|y");                        /* invalid byte: U+FFFD */
    ASSERT_STR(TOKS("\xC0\x80"), "\xEF\xBF\xBD\xEF\xBF\xBD");              /* overlong NUL */
    ASSERT_STR(TOKS("\xE2\x82"), "\xEF\xBF\xBD\xEF\xBF\xBD");              /* truncated */
}

TEST(utf8_decode_edges) {
    int32_t cp;
    ASSERT_EQ(senti__utf8_decode((const unsigned char *)"\xF0\x9F\x98\x80", 4, &cp), 4);
    ASSERT_EQ(cp, 0x1F600);
    ASSERT_EQ(senti__utf8_decode((const unsigned char *)"\xED\xA0\x80", 3, &cp), 1); /* surrogate */
    ASSERT_EQ(cp, 0xFFFD);
    ASSERT_EQ(senti__utf8_decode((const unsigned char *)"\xF4\x90\x80\x80", 4, &cp), 1); /* > U+10FFFF */
    ASSERT_EQ(cp, 0xFFFD);
    ASSERT_EQ(senti__utf8_decode((const unsigned char *)"\xE0\x80\x80", 3, &cp), 1); /* overlong */
    ASSERT_EQ(senti__utf8_decode((const unsigned char *)"\xF0\x9F\x98", 3, &cp), 1); /* truncated */
    ASSERT_EQ(senti__utf8_decode((const unsigned char *)"\xC3\xA9", 2, &cp), 2);
    ASSERT_EQ(cp, 0xE9);
}

TEST(tokenize_spans_and_flags) {
    senti__tokenizer t;
    senti__token tk[16];
    const char *s = "Not good, really.";
    senti__tok_init(&t, s, strlen(s), 1);
    size_t n = senti__tok_next(&t, tk, 16);
    ASSERT_EQ(n, 5);
    ASSERT_EQ(tk[0].start, 0);
    ASSERT_EQ(tk[0].end, 3);
    ASSERT(tk[0].flags & SENTI__TOK_NEGATOR);
    ASSERT(tk[2].flags & SENTI__TOK_CLAUSE);
    ASSERT_EQ(tk[3].start, 10);
    ASSERT_EQ(tk[3].end, 16);
}

TEST(hash_vectors) {
    ASSERT_U64(senti__hash_token("good", 4), 0x663490dea59d6041ULL);
    ASSERT_U64(senti__hash_token("n't", 3), 0x013c5f1417a7bd11ULL);
    ASSERT_U64(senti__hash_token("'s", 2), 0x1a59aec89e2a0278ULL);
    ASSERT_U64(senti__hash_token("!!!", 3), 0x370ec7a06d1c7741ULL);
    ASSERT_U64(senti__hash_token("cafe", 4), 0xa637fc3db0a0718bULL);
    ASSERT_U64(senti__hash_token("", 0), 0xe92120c63d335179ULL);
    uint64_t a = senti__hash_token("not", 3), b = senti__hash_token("bad", 3);
    ASSERT_U64(senti__mix(a, b), 0xbf9264c7a2f354fbULL);
    ASSERT_EQ(senti__mix(a, b) >> 44, 784678); /* its bucket with 20 bits */
}

typedef struct collect {
    senti__feature f[64];
    size_t n;
} collect;
static void collect_sink(void *ud, const senti__feature *f, size_t n) {
    collect *c = ud;
    for (size_t i = 0; i < n && c->n < 64; i++) c->f[c->n++] = f[i];
}

TEST(features_negation_and_bounds) {
    senti__linear_params p = {20, 2, 1, 1, 0, 0, 0, 0, NULL};
    collect c = {.n = 0};
    uint32_t nt = senti__linear_features(&p, "not bad", 7, 1000, collect_sink, &c);
    ASSERT_EQ(nt, 2);
    ASSERT_EQ(c.n, 5); /* not, bad', <s> not, not bad', bad' </s> */
    uint64_t hnot = senti__hash_token("not", 3), hbad = senti__hash_token("bad", 3);
    uint64_t hbadneg = senti__mix(hbad, SENTI__TAG_NEG);
    ASSERT_EQ(c.f[0].bucket, hnot >> 44);
    ASSERT_EQ(c.f[1].bucket, senti__mix(SENTI__TAG_BOS, hnot) >> 44);
    ASSERT_EQ(c.f[2].bucket, hbadneg >> 44);
    ASSERT_EQ(c.f[3].bucket, senti__mix(hnot, hbadneg) >> 44);
    ASSERT_EQ(c.f[4].bucket, senti__mix(hbadneg, SENTI__TAG_EOS) >> 44);
    ASSERT_EQ(c.f[3].start, 0);
    ASSERT_EQ(c.f[3].end, 7);
    /* the scope ends at a clause mark */
    c.n = 0;
    senti__linear_features(&p, "not , bad", 9, 1000, collect_sink, &c);
    ASSERT_EQ(c.f[4].bucket, hbad >> 44);
    /* max_tokens bounds the work */
    c.n = 0;
    nt = senti__linear_features(&p, "a b c d e f", 11, 3, collect_sink, &c);
    ASSERT_EQ(nt, 3);
}

/* Unigram buckets of s (ngram 1, no bounds) joined as "b1 b2 ...", with mentions on or off. */
static const char *unis(const char *s, uint32_t mentions, uint32_t max_tokens) {
    static char out[1024];
    senti__linear_params p = {20, 1, 0, 0, 0, mentions, 0, 0, NULL};
    collect c = {.n = 0};
    senti__linear_features(&p, s, strlen(s), max_tokens, collect_sink, &c);
    size_t o = 0;
    out[0] = 0;
    for (size_t i = 0; i < c.n; i++)
        o += (size_t)snprintf(out + o, sizeof out - o, "%s%u", i ? " " : "", c.f[i].bucket);
    return out;
}

TEST(features_mentions) {
    char want[256];
    uint32_t user = (uint32_t)(senti__hash_token("@user", 5) >> 44);
    uint32_t colon = (uint32_t)(senti__hash_token(":", 1) >> 44), hi = (uint32_t)(senti__hash_token("hi", 2) >> 44);
    /* a handle, underscores and digits included, is one token; so is any other handle */
    snprintf(want, sizeof want, "%u %u %u", user, colon, hi);
    ASSERT_STR(unis("@Jane_Doe99: hi", 1, 100), want);
    ASSERT_STR(unis("@bob: hi", 1, 100), want);
    ASSERT_STR(unis("@bob__x_y:hi", 1, 100), want);
    ASSERT_STR(unis("@bob____x:hi", 1, 100), want); /* a run of 4+ is one token too */
    /* its span covers the whole handle */
    senti__linear_params p = {20, 1, 0, 0, 0, 1, 0, 0, NULL};
    collect c = {.n = 0};
    senti__linear_features(&p, "ok @Jane_Doe99: hi", 18, 100, collect_sink, &c);
    ASSERT_EQ(c.n, 4);
    ASSERT_EQ(c.f[1].start, 3);
    ASSERT_EQ(c.f[1].end, 14);
    /* not handles: '@' after a word (an address), '@' then a space, '@@', a lone '@' at the end;
     * these read as with mentions off */
    const char *same[] = {"me@x.org", "at @ home", "@@bob", "see you @", "@_x", "(@)",
                          "\xEF\xBC\xA0" "bob hi" /* fullwidth @ */};
    for (size_t i = 0; i < sizeof same / sizeof *same; i++) {
        char off[1024];
        snprintf(off, sizeof off, "%s", unis(same[i], 0, 100));
        if (strcmp(unis(same[i], 1, 100), off)) TEST_FAIL_("'%s' changed by mentions", same[i]);
    }
    /* a handle after a handle, at the end, and as the last token allowed */
    snprintf(want, sizeof want, "%u %u", user, user);
    ASSERT_STR(unis("@a @b", 1, 100), want);
    snprintf(want, sizeof want, "%u %u", hi, user);
    ASSERT_STR(unis("hi @b", 1, 100), want);
    ASSERT_STR(unis("hi @b hi", 1, 2), want);
    snprintf(want, sizeof want, "%u %u", hi, (uint32_t)(senti__hash_token("@", 1) >> 44));
    ASSERT_STR(unis("hi @ hi", 1, 2), want);
    /* with mentions off, the file format default, a handle is '@' and its words */
    snprintf(want, sizeof want, "%u %u", (uint32_t)(senti__hash_token("@", 1) >> 44),
             (uint32_t)(senti__hash_token("bob", 3) >> 44));
    ASSERT_STR(unis("@bob", 0, 100), want);
}

TEST(features_long_copies) {
    /* unigrams only, long from 2 tokens: every feature of a long text is followed by its copy */
    senti__linear_params p = {20, 1, 0, 0, 0, 0, 2, 0, NULL};
    collect c = {.n = 0};
    senti__linear_features(&p, "good film", 9, 100, collect_sink, &c);
    uint64_t hg = senti__hash_token("good", 4), hf = senti__hash_token("film", 4);
    ASSERT_EQ(c.n, 4);
    ASSERT_EQ(c.f[0].bucket, hg >> 44);
    ASSERT_EQ(c.f[1].bucket, senti__mix(hg >> 44, SENTI__TAG_LONG) >> 44);
    ASSERT_EQ(c.f[2].bucket, hf >> 44);
    ASSERT_EQ(c.f[3].bucket, senti__mix(hf >> 44, SENTI__TAG_LONG) >> 44);
    ASSERT(!c.f[0].long_copy && c.f[1].long_copy && !c.f[2].long_copy && c.f[3].long_copy);
    ASSERT_EQ(c.f[3].start, 5);
    ASSERT_EQ(c.f[3].end, 9);
    /* a shorter text, or one cut short by max_tokens, has none */
    c.n = 0;
    senti__linear_features(&p, "good", 4, 100, collect_sink, &c);
    ASSERT_EQ(c.n, 1);
    c.n = 0;
    senti__linear_features(&p, "good film", 9, 1, collect_sink, &c);
    ASSERT_EQ(c.n, 1);
    c.n = 0; /* max_tokens = L: long */
    senti__linear_features(&p, "good film too", 13, 2, collect_sink, &c);
    ASSERT_EQ(c.n, 4);
    /* with bigrams, negation and bounds: the features of the short scheme, each then its copy,
     * the end bigram included; the copy keeps the span and the negation flag */
    senti__linear_params q = {20, 2, 1, 1, 0, 0, 0, 0, NULL}, ql = q;
    ql.long_tokens = 3;
    collect a = {.n = 0}, b = {.n = 0};
    senti__linear_features(&q, "not bad at", 10, 100, collect_sink, &a);
    senti__linear_features(&ql, "not bad at", 10, 100, collect_sink, &b);
    ASSERT_EQ(b.n, 2 * a.n);
    uint64_t hnot = senti__hash_token("not", 3), hbad = senti__mix(senti__hash_token("bad", 3), SENTI__TAG_NEG);
    uint64_t hat = senti__mix(senti__hash_token("at", 2), SENTI__TAG_NEG);
    uint64_t want[] = {hnot, senti__mix(SENTI__TAG_BOS, hnot), hbad, senti__mix(hnot, hbad), hat,
                       senti__mix(hbad, hat), senti__mix(hat, SENTI__TAG_EOS)};
    ASSERT_EQ(a.n, 7);
    for (size_t i = 0; i < a.n; i++) {
        ASSERT_EQ(a.f[i].bucket, want[i] >> 44);
        ASSERT_EQ(b.f[2 * i].bucket, a.f[i].bucket);
        ASSERT_EQ(b.f[2 * i + 1].bucket, senti__mix(want[i] >> 44, SENTI__TAG_LONG) >> 44);
        ASSERT_EQ(b.f[2 * i + 1].start, a.f[i].start);
        ASSERT_EQ(b.f[2 * i + 1].end, a.f[i].end);
        ASSERT_EQ(b.f[2 * i + 1].negated, a.f[i].negated);
        ASSERT_EQ(b.f[2 * i + 1].long_copy, 1);
    }
    a.n = b.n = 0;
    senti__linear_features(&q, "not bad", 7, 100, collect_sink, &a);
    senti__linear_features(&ql, "not bad", 7, 100, collect_sink, &b);
    ASSERT_EQ(b.n, a.n);
}

typedef struct pair_check {
    size_t n;
    senti__feature prev;
    int bad;
} pair_check;
/* Every other feature is the copy of the one before it, across the sink's batches. */
static void pair_sink(void *ud, const senti__feature *f, size_t n) {
    pair_check *pc = ud;
    for (size_t i = 0; i < n; i++, pc->n++) {
        int copy = pc->n % 2 == 1;
        if (f[i].long_copy != copy) pc->bad = 1;
        if (copy && (f[i].start != pc->prev.start || f[i].end != pc->prev.end || f[i].order != pc->prev.order))
            pc->bad = 1;
        pc->prev = f[i];
    }
}

static void count_sink(void *ud, const senti__feature *f, size_t n) {
    (void)f;
    *(size_t *)ud += n;
}

TEST(features_linear_time_on_1mb) {
    size_t n = 1 << 20;
    char *big = malloc(n);
    ASSERT(big);
    senti__linear_params p = {20, 2, 1, 1, 0, 0, 0, 0, NULL};
    const char *fills[] = {"ab ", "x", "!", "\xF0\x9F\x98\x80", "n't "};
    for (size_t k = 0; k < sizeof fills / sizeof *fills; k++) {
        size_t fl = strlen(fills[k]);
        for (size_t i = 0; i < n; i++) big[i] = fills[k][i % fl];
        double t0 = senti__now_s();
        size_t nf = 0;
        senti__linear_features(&p, big, n, 0xFFFFFFFFu, count_sink, &nf);
        double s = senti__now_s() - t0;
        if (s > 2.0) {
            free(big);
            TEST_FAIL_("1 MB of '%s' took %.3f s", fills[k], s);
        }
        ASSERT(nf > 0);
        /* with long copies at the largest threshold: twice the features, in pairs (one token,
         * as 1 MB of 'x', is not long); with trigrams, the most features held before that */
        senti__linear_params pl = p;
        pl.long_tokens = SENTI__LONG_TOKENS_MAX;
        pair_check pc = {0};
        uint32_t nt = senti__linear_features(&pl, big, n, 0xFFFFFFFFu, pair_sink, &pc);
        pair_check pc3 = {0};
        pl.ngram = 3;
        senti__linear_features(&pl, big, n, 0xFFFFFFFFu, pair_sink, &pc3);
        int is_long = nt >= pl.long_tokens;
        if (pc.n != (is_long ? 2 * nf : nf) || (is_long && (pc.bad || pc3.bad || pc3.n % 2 || pc3.n <= pc.n))) {
            free(big);
            TEST_FAIL_("long copies of 1 MB of '%s': %zu features for %zu, pairs %s", fills[k], pc.n, nf,
                       pc.bad ? "broken" : "ok");
        }
    }
    free(big);
}

/* ---- lexicon-tied training (src/models/linear/train.c "LEXICON") ------------------------------- */

/* A small synthetic set: "<adjective> <noun>" with the adjective's polarity as the label. */
static size_t synth_set(const char **texts, size_t *lens, int *labels, size_t cap) {
    static const char *const pos[] = {"great", "superb", "lovely"}, *const neg[] = {"awful", "dreadful", "dull"};
    static const char *const nouns[] = {"film", "day", "meal", "story", "song"};
    static char store[512][32];
    size_t n = 0;
    for (size_t i = 0; n < cap && i < 512; i++) {
        int y = (int)(i % 2);
        const char *adj = y ? pos[(i / 2) % 3] : neg[(i / 2) % 3];
        snprintf(store[n], sizeof store[n], "%s %s", adj, nouns[(i / 6) % 5]);
        texts[n] = store[n];
        lens[n] = strlen(store[n]);
        labels[n] = y;
        n++;
    }
    return n;
}

/* Mean log loss and accuracy of the model file on the set. */
static int file_loss(const char *path, const char **texts, const size_t *lens, const int *labels,
                     size_t n, double *loss, double *acc) {
    senti_model *m;
    char err[256];
    if (senti_model_open_file(path, NULL, &m, err, sizeof err)) return -1;
    double l = 0;
    size_t ok = 0;
    for (size_t i = 0; i < n; i++) {
        senti_result r;
        senti_predict(m, NULL, texts[i], lens[i], &r);
        l += -log(r.probs[labels[i]]);
        ok += r.label == labels[i];
    }
    senti_model_free(m);
    *loss = l / (double)n;
    *acc = (double)ok / (double)n;
    return 0;
}

TEST(lexicon_tie_exact_and_deterministic) {
    const char *texts[256];
    size_t lens[256];
    int labels[256];
    size_t n = synth_set(texts, lens, labels, 240);
    senti__train_set tr = {200, texts, lens, labels, NULL, NULL}, va = {n - 200, texts + 200, lens + 200,
                                                                   labels + 200, NULL, NULL};
    /* "marvellous" and "horrid" never occur in the data: they get only their bin weights */
    static const char *const lex[] = {"great", "superb", "marvellous", "awful", "horrid", ":)"};
    static const size_t lex_len[] = {5, 6, 10, 5, 6, 2};
    static const float lex_val[] = {3.1f, 2.9f, 3.0f, -2.5f, -2.6f, 2.0f};
    static const char *const labs[] = {"negative", "positive"};
    senti__train_opts o = {0};
    o.fp = (senti__linear_params){16, 2, 1, 1, 1, 0, 0, 0, NULL};
    o.n_classes = 2, o.labels = labs, o.epochs = 3, o.patience = 3, o.lr = 0.2, o.l2 = 1e-4;
    o.seed = 3, o.quantize = 0, o.max_tokens = 1000, o.threads = 1;
    o.n_lex = 6, o.lex_texts = lex, o.lex_lens = lex_len, o.lex_values = lex_val;
    char f1[64], f2[64], f3[64], err[256];
    snprintf(f1, sizeof f1, "/tmp/senti-lex-%d-1.st", (int)getpid());
    snprintf(f2, sizeof f2, "/tmp/senti-lex-%d-2.st", (int)getpid());
    snprintf(f3, sizeof f3, "/tmp/senti-lex-%d-3.st", (int)getpid());
    senti__train_report r1, r2, r3;
    ASSERT_EQ(senti__linear_train(&tr, &va, &o, f1, NULL, 0, &r1, NULL, NULL, err, sizeof err), SENTI_OK);
    o.threads = 2;
    ASSERT_EQ(senti__linear_train(&tr, &va, &o, f2, NULL, 0, &r2, NULL, NULL, err, sizeof err), SENTI_OK);
    o.n_lex = 0;
    ASSERT_EQ(senti__linear_train(&tr, &va, &o, f3, NULL, 0, &r3, NULL, NULL, err, sizeof err), SENTI_OK);
    ASSERT_EQ(r1.n_lex_used, 6);
    /* the same bytes for any thread count */
    FILE *a = fopen(f1, "rb"), *b = fopen(f2, "rb");
    int same = a && b;
    for (int ca, cb; same;) {
        ca = fgetc(a), cb = fgetc(b);
        if (ca != cb) same = 0;
        if (ca == EOF) break;
    }
    if (a) fclose(a);
    if (b) fclose(b);
    ASSERT(same);
    /* folding the bin weights into the buckets is exact: the written model scores the
     * validation set as the trainer did */
    double loss, acc;
    ASSERT_EQ(file_loss(f1, texts + 200, lens + 200, labels + 200, n - 200, &loss, &acc), 0);
    ASSERT_NEAR(loss, r1.valid_loss, 1e-4);
    ASSERT_NEAR(acc, r1.valid_accuracy, 1e-9);
    /* unseen rated words lean the way of their valence only with the lexicon */
    senti_model *m1, *m3;
    ASSERT_EQ(senti_model_open_file(f1, NULL, &m1, err, sizeof err), SENTI_OK);
    ASSERT_EQ(senti_model_open_file(f3, NULL, &m3, err, sizeof err), SENTI_OK);
    senti_result p1, n1, p3, n3;
    senti_predict(m1, NULL, "marvellous", 10, &p1);
    senti_predict(m1, NULL, "horrid", 6, &n1);
    senti_predict(m3, NULL, "marvellous", 10, &p3);
    senti_predict(m3, NULL, "horrid", 6, &n3);
    senti_model_free(m1);
    senti_model_free(m3);
    unlink(f1), unlink(f2), unlink(f3);
    ASSERT(p1.probs[1] > 0.6 && n1.probs[1] < 0.4);
    ASSERT_NEAR(p3.probs[1], n3.probs[1], 1e-6);
}

/* A character can decompose into several tokens (U+2474 reads "(1)", U+33C2 "a.m."): a call
 * must still write at most cap tokens, and the tokens must not depend on cap. */
TEST(tokenize_never_exceeds_cap) {
    char buf[4096];
    for (int pre = 0; pre < 16; pre++) {
        size_t n = 0;
        for (int i = 0; i < pre; i++) buf[n++] = 'x', buf[n++] = ' ';
        for (int r = 0; r < 20; r++) {
            memcpy(buf + n, "'didn't'\xE2\x91\xB4'didn't'\xE3\x8F\x82 ", 23);
            n += 23;
        }
        uint64_t ref[1024];
        size_t nref = 0, k;
        senti__tokenizer t;
        senti__token big[256];
        senti__tok_init(&t, buf, n, 0);
        while ((k = senti__tok_next(&t, big, 256)) > 0)
            for (size_t i = 0; i < k && nref < 1024; i++) ref[nref++] = big[i].hash ^ big[i].start;
        for (size_t cap = 8; cap <= 12; cap++) {
            senti__token tk[12 + 8];
            size_t got = 0;
            senti__tok_init(&t, buf, n, 0);
            while ((k = senti__tok_next(&t, tk, cap)) > 0) {
                ASSERT(k <= cap);
                for (size_t i = 0; i < k; i++, got++) {
                    ASSERT(got < nref);
                    ASSERT_U64(tk[i].hash ^ tk[i].start, ref[got]);
                }
            }
            ASSERT_EQ(got, nref);
        }
    }
}
