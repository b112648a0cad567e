/* Tokenizer, hashing and feature-scheme tests: the vectors here pin the specification in
 * src/text/tokenize.h and src/models/linear.h (hash values were computed independently with
 * the python3-xxhash binding of xxHash 0.8). */
#include <stdlib.h>
#include <time.h>

#include "../harness.h"
#include "models/linear.h"
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
    ASSERT(tk[0].flags & SENTI_TOK_NEGATOR);
    ASSERT(tk[2].flags & SENTI_TOK_CLAUSE);
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
    senti__linear_params p = {20, 2, 1, 1, 0};
    collect c = {.n = 0};
    uint32_t nt = senti__linear_features(&p, "not bad", 7, 1000, collect_sink, &c);
    ASSERT_EQ(nt, 2);
    ASSERT_EQ(c.n, 5); /* not, bad', <s> not, not bad', bad' </s> */
    uint64_t hnot = senti__hash_token("not", 3), hbad = senti__hash_token("bad", 3);
    uint64_t hbadneg = senti__mix(hbad, SENTI_TAG_NEG);
    ASSERT_EQ(c.f[0].bucket, hnot >> 44);
    ASSERT_EQ(c.f[1].bucket, senti__mix(SENTI_TAG_BOS, hnot) >> 44);
    ASSERT_EQ(c.f[2].bucket, hbadneg >> 44);
    ASSERT_EQ(c.f[3].bucket, senti__mix(hnot, hbadneg) >> 44);
    ASSERT_EQ(c.f[4].bucket, senti__mix(hbadneg, SENTI_TAG_EOS) >> 44);
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

static void count_sink(void *ud, const senti__feature *f, size_t n) {
    (void)f;
    *(size_t *)ud += n;
}

TEST(features_linear_time_on_1mb) {
    size_t n = 1 << 20;
    char *big = malloc(n);
    ASSERT(big);
    senti__linear_params p = {20, 2, 1, 1, 0};
    const char *fills[] = {"ab ", "x", "!", "\xF0\x9F\x98\x80", "n't "};
    for (size_t k = 0; k < sizeof fills / sizeof *fills; k++) {
        size_t fl = strlen(fills[k]);
        for (size_t i = 0; i < n; i++) big[i] = fills[k][i % fl];
        struct timespec a, b;
        clock_gettime(CLOCK_MONOTONIC, &a);
        size_t nf = 0;
        senti__linear_features(&p, big, n, 0xFFFFFFFFu, count_sink, &nf);
        clock_gettime(CLOCK_MONOTONIC, &b);
        double s = (double)(b.tv_sec - a.tv_sec) + (double)(b.tv_nsec - a.tv_nsec) / 1e9;
        if (s > 2.0) {
            free(big);
            TEST_FAIL_("1 MB of '%s' took %.3f s", fills[k], s);
        }
        ASSERT(nf > 0);
    }
    free(big);
}
