/* The transformer tokenizers (src/models/transformer/tokenizer.h): hand-written cases of BERT's
 * and GPT-2's rules with their expected ids and byte spans, the loaders of the three file
 * layouts, the documented differences with transformers.js, and hostile inputs (malformed
 * files, allocation failures, long words). tests/cli/tokenizer.sh holds the parity with
 * transformers.js on thousands of texts. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../harness.h"
#include "base/base.h"
#include "models/transformer/tokenizer.h"

/* A small WordPiece tokenizer.json: BertNormalizer (lower-case), [CLS] $A [SEP]. */
#define WP_HEAD "{\"model\":{\"type\":\"WordPiece\",\"unk_token\":\"[UNK]\",\"continuing_subword_prefix\":\"##\"," \
    "\"max_input_chars_per_word\":100,\"vocab\":{\"[PAD]\":0,\"[UNK]\":1,\"[CLS]\":2,\"[SEP]\":3,\"un\":4," \
    "\"##aff\":5,\"##able\":6,\"hello\":7,\",\":8,\"!\":9,\"cafe\":10,\"\xe4\xb8\xad\":11,\"\xcf\x83\xce\xb1\":12," \
    "\"\xce\xbf\xce\xb4\xce\xbf\xcf\x82\":13,\"a\":14,\"##a\":15,\"ab\":16,\"i\":17,\"'\":18,\"t\":19,\"don\":20," \
    "\"\xe6\x96\x87\":21,\"b\":22,\"##b\":23}}," \
    "\"pre_tokenizer\":{\"type\":\"BertPreTokenizer\"}," \
    "\"post_processor\":{\"type\":\"BertProcessing\",\"cls\":[\"[CLS]\",2],\"sep\":[\"[SEP]\",3]},"
#define WP_JSON WP_HEAD "\"normalizer\":{\"type\":\"BertNormalizer\",\"clean_text\":true," \
    "\"handle_chinese_chars\":true,\"strip_accents\":null,\"lowercase\":true}}"

static senti__hftok *load_json(const char *json) {
    senti__hftok *t = NULL;
    char err[256];
    if (senti__hftok_from_json(json, strlen(json), &t, err, sizeof err)) {
        fprintf(stderr, "    load: %s\n", err);
        return NULL;
    }
    return t;
}

/* The ids of s (with spans "id@start-end" if spans), space-separated. */
static const char *enc(const senti__hftok *t, const char *s, size_t len, size_t max, int spans) {
    static char out[8192];
    int32_t ids[512];
    senti__tokspan sp[512];
    size_t n, o = 0;
    if (max > 512) max = 512;
    int rc = senti__hftok_encode(t, s, len, max, ids, sp, &n);
    if (rc) return snprintf(out, sizeof out, "error %d", rc), out;
    out[0] = 0;
    for (size_t i = 0; i < n && o < sizeof out - 64; i++) {
        o += (size_t)snprintf(out + o, sizeof out - o, "%s%d", i ? " " : "", ids[i]);
        if (spans) o += (size_t)snprintf(out + o, sizeof out - o, "@%u-%u", sp[i].start, sp[i].end);
    }
    return out;
}
#define ENC(t, s) enc(t, s, sizeof(s) - 1, 512, 0)
#define ENC_SPANS(t, s) enc(t, s, sizeof(s) - 1, 512, 1)

TEST(tokenizer_wordpiece_rules) {
    senti__hftok *t = load_json(WP_JSON);
    ASSERT(t);
    ASSERT_EQ(senti__hftok_type(t), SENTI__HFTOK_WORDPIECE);
    ASSERT_EQ(senti__hftok_special_count(t), 2);
    ASSERT_STR(ENC(t, "UNaffable, Hello!"), "2 4 5 6 8 7 9 3");
    ASSERT_STR(ENC(t, ""), "2 3");
    ASSERT_STR(ENC(t, " \t\n "), "2 3");
    ASSERT_STR(ENC(t, "\xff\xfe\x80"), "2 3"); /* invalid bytes are U+FFFD, which cleaning drops */
    ASSERT_STR(ENC(t, "hel\x00lo"), "2 7 3"); /* NUL and controls are dropped, not spaces */
    ASSERT_STR(ENC(t, "hel\x01lo hel\x7flo"), "2 7 7 3");
    ASSERT_STR(ENC(t, "hel\xe2\x80\x8blo"), "2 7 3"); /* U+200B (Cf) is dropped */
    ASSERT_STR(ENC(t, "CAF\xc3\x89 Cafe\xcc\x81"), "2 10 10 3"); /* accents stripped, composed or not */
    ASSERT_STR(ENC(t, "unaffablex"), "2 1 3"); /* a part matches nothing: the whole word */
    ASSERT_STR(ENC(t, "don't"), "2 20 18 19 3");
    ASSERT_STR(ENC(t, "a\xe4\xb8\xad\xe6\x96\x87" "b"), "2 14 11 21 22 3"); /* ideographs are words */
    /* Final_Sigma: ΟΔΟΣ -> οδος (final ς), ΣΑ -> σα */
    ASSERT_STR(ENC(t, "\xce\x9f\xce\x94\xce\x9f\xce\xa3 \xce\xa3\xce\x91"), "2 13 12 3");
    /* U+0130 lower-cases to i + U+0307, whose mark is stripped */
    ASSERT_STR(ENC(t, "\xc4\xb0"), "2 17 3");
    senti__hftok_free(t);
}

TEST(tokenizer_wordpiece_spans_and_truncation) {
    senti__hftok *t = load_json(WP_JSON);
    ASSERT(t);
    ASSERT_STR(ENC_SPANS(t, "UNaffable, hi"), "2@0-0 4@0-2 5@2-5 6@5-9 8@9-10 1@11-13 3@0-0");
    ASSERT_STR(ENC_SPANS(t, "Caf\xc3\xa9!"), "2@0-0 10@0-5 9@5-6 3@0-0");
    ASSERT_STR(ENC_SPANS(t, "\xff" "ab"), "2@0-0 16@1-3 3@0-0");
    /* truncation cuts the text's ids and keeps both special tokens */
    ASSERT_STR(enc(t, "unaffable hello", 15, 4, 0), "2 4 5 3");
    ASSERT_STR(enc(t, "unaffable hello", 15, 2, 0), "2 3");
    ASSERT_STR(enc(t, "unaffable hello", 15, 1, 0), "error -1");
    senti__hftok_free(t);
}

TEST(tokenizer_wordpiece_long_words) {
    senti__hftok *t = load_json(WP_JSON);
    ASSERT(t);
    char w[20001];
    memset(w, 'a', sizeof w);
    /* 100 characters: a ##a ##a ...; 101: the unknown token */
    const char *r = enc(t, w, 100, 512, 0);
    ASSERT(strncmp(r, "2 14 15 15", 10) == 0);
    ASSERT_EQ(strlen(r), strlen("2 14 3") + 99 * 3);
    ASSERT_STR(enc(t, w, 101, 512, 0), "2 1 3");
    ASSERT_STR(enc(t, w, 20001, 512, 0), "2 1 3");
    /* the limit counts characters, not bytes: 100 two-byte characters are one word */
    char e[202];
    for (int i = 0; i < 101; i++) e[2 * i] = '\xc3', e[2 * i + 1] = '\xa1'; /* á -> a */
    ASSERT(strncmp(enc(t, e, 200, 512, 0), "2 14 15", 7) == 0);
    ASSERT_STR(enc(t, e, 202, 512, 0), "2 1 3");
    senti__hftok_free(t);
}

/* Where transformers.js differs from Python's and Rust's BERT tokenizer, this one does what
 * the checkpoints were made with (see wordpiece.c). */
TEST(tokenizer_wordpiece_differences_with_transformers_js) {
    senti__hftok *t = load_json(WP_JSON);
    ASSERT(t);
    ASSERT_STR(ENC(t, "a\xcd\xb8" "b"), "2 16 3");           /* U+0378 (Cn) dropped: "ab" */
    ASSERT_STR(ENC(t, "a\xf0\xa0\x80\x80" "b"), "2 14 1 22 3"); /* U+20000 is an ideograph word */
    senti__hftok_free(t);
}

TEST(tokenizer_wordpiece_settings) {
    /* no lower-casing: case and accents kept, so "Hello" is unknown */
    senti__hftok *t = load_json(WP_HEAD "\"normalizer\":{\"type\":\"BertNormalizer\",\"lowercase\":false}}");
    ASSERT(t);
    ASSERT_STR(ENC(t, "Hello hello caf\xc3\xa9"), "2 1 7 1 3");
    senti__hftok_free(t);
    /* lower-case without stripping accents */
    t = load_json(WP_HEAD "\"normalizer\":{\"type\":\"BertNormalizer\",\"strip_accents\":false}}");
    ASSERT(t);
    ASSERT_STR(ENC(t, "CAF\xc3\x89 CAFE"), "2 1 10 3");
    senti__hftok_free(t);
}

TEST(tokenizer_vocab_txt) {
    const char vocab[] = "[PAD]\r\n[UNK]\r\n[CLS]\r\n[SEP]\r\nhello\r\nworld\r\n##s\r\n";
    const char config[] = "{\"do_lower_case\": false}";
    const char special[] = "{\"unk_token\": {\"content\": \"[UNK]\"}, \"cls_token\": \"[CLS]\"}";
    senti__hftok *t = NULL;
    char err[256];
    ASSERT_EQ(senti__hftok_from_vocab_txt(vocab, sizeof vocab - 1, NULL, 0, NULL, 0, &t, err, sizeof err), 0);
    ASSERT_STR(ENC(t, "Hello worlds!"), "2 4 5 6 1 3");
    ASSERT_EQ(senti__hftok_id(t, "##s", 3), 6);
    ASSERT_STR(senti__hftok_token(t, 5), "world");
    ASSERT(senti__hftok_token(t, 7) == NULL);
    senti__hftok_free(t);
    ASSERT_EQ(senti__hftok_from_vocab_txt(vocab, sizeof vocab - 1, config, sizeof config - 1, special,
                                          sizeof special - 1, &t, err, sizeof err), 0);
    ASSERT_STR(ENC(t, "Hello hello"), "2 1 4 3");
    senti__hftok_free(t);
    /* a special token outside the vocabulary is an error */
    const char bad[] = "{\"sep_token\": \"</s>\"}";
    ASSERT_EQ(senti__hftok_from_vocab_txt(vocab, sizeof vocab - 1, NULL, 0, bad, sizeof bad - 1, &t, err,
                                          sizeof err), SENTI_EFORMAT);
    ASSERT(strstr(err, "sep_token"));
    ASSERT(t == NULL);
}

static senti__hftok *load_bpe(int prefix_space) {
    char *data = NULL, err[256];
    size_t len;
    if (senti__read_file("tests/tokenizer/bpe/tokenizer.json", SENTI__HFTOK_MAX_FILE, &data, &len, err,
                         sizeof err)) {
        fprintf(stderr, "    %s\n", err);
        return NULL;
    }
    if (prefix_space) {
        char *p;
        while ((p = strstr(data, "\"add_prefix_space\":false"))) memcpy(p + 19, "true ", 5);
    }
    senti__hftok *t = NULL;
    if (senti__hftok_from_json(data, len, &t, err, sizeof err)) fprintf(stderr, "    %s\n", err);
    senti__free(data);
    return t;
}

/* The pieces of the GPT-2 pattern, seen through the tokens' spans. */
static const char *bpe_pieces(const senti__hftok *t, const char *s) {
    static char out[1024];
    int32_t ids[256];
    senti__tokspan sp[256];
    size_t n, o = 0;
    if (senti__hftok_encode(t, s, strlen(s), 256, ids, sp, &n)) return "error";
    out[0] = 0;
    for (size_t i = 1; i + 1 < n; i++) {
        const char *tok = senti__hftok_token(t, ids[i]);
        o += (size_t)snprintf(out + o, sizeof out - o, "%s%s", i > 1 ? "|" : "", tok ? tok : "?");
    }
    return out;
}

TEST(tokenizer_bpe_rules) {
    senti__hftok *t = load_bpe(0);
    ASSERT(t);
    ASSERT_EQ(senti__hftok_type(t), SENTI__HFTOK_BPE);
    ASSERT_STR(ENC(t, ""), "0 2");
    ASSERT_STR(bpe_pieces(t, "Hello"), "H|ell|o");
    ASSERT_STR(bpe_pieces(t, "don't"), "d|on|'t");
    ASSERT_STR(bpe_pieces(t, " don't"), "\xc4\xa0" "don|'t");
    /* a run of spaces gives its last to the next word; at the end it stays whole */
    ASSERT_STR(bpe_pieces(t, "a  b  "), "a|\xc4\xa0|\xc4\xa0" "b|\xc4\xa0\xc4\xa0");
    /* an invalid byte is U+FFFD: the byte tokens of EF BF BD (id 4 + byte), spanning that byte */
    ASSERT_STR(ENC_SPANS(t, "\xff"), "0@0-0 243@0-1 195@0-1 193@0-1 2@0-0");
    ASSERT_STR(ENC_SPANS(t, "the film"), "0@0-0 399@0-3 453@3-8 2@0-0");
    /* special-token strings in the text are text */
    ASSERT(strcmp(ENC(t, "<s>"), "0 0 2") != 0);
    senti__hftok_free(t);
    t = load_bpe(1);
    ASSERT(t);
    ASSERT_STR(bpe_pieces(t, "film"), "\xc4\xa0" "film");
    ASSERT_STR(ENC_SPANS(t, "film"), "0@0-0 453@0-4 2@0-0");
    ASSERT_STR(ENC(t, ""), "0 2");
    senti__hftok_free(t);
}

TEST(tokenizer_bpe_long_word_is_not_quadratic) {
    senti__hftok *t = load_bpe(0);
    ASSERT(t);
    size_t n = 1u << 20;
    char *s = malloc(n);
    ASSERT(s);
    for (size_t i = 0; i < n; i++) s[i] = "thefilm"[i % 7];
    int32_t *ids = malloc(n * sizeof *ids);
    size_t m;
    double t0 = senti__now_s();
    int rc = senti__hftok_encode(t, s, n, n, ids, NULL, &m);
    double dt = senti__now_s() - t0;
    free(s);
    free(ids);
    senti__hftok_free(t);
    ASSERT_EQ(rc, 0);
    ASSERT(m > 1000);
    ASSERT(dt < 5.0); /* one 1 MB word: about 0.1 s optimized; quadratic would take hours */
}

/* Malformed files: a status and a message, never a crash (and no leak under ASan). */
TEST(tokenizer_hostile_json) {
    static const char *bad[] = {
        "", "{", "[]", "null", "{\"model\":1}", "{\"model\":{}}",
        "{\"model\":{\"type\":\"Unigram\",\"vocab\":[]}}",
        "{\"model\":{\"type\":\"WordPiece\",\"vocab\":[1,2]}}",
        "{\"model\":{\"type\":\"WordPiece\",\"vocab\":{\"a\":\"1\"}}}",
        "{\"model\":{\"type\":\"WordPiece\",\"vocab\":{\"a\":-1}}}",
        "{\"model\":{\"type\":\"WordPiece\",\"vocab\":{\"a\":1099511627776}}}",
        "{\"model\":{\"type\":\"WordPiece\",\"vocab\":{\"a\":0,\"b\":0}}}",
        "{\"model\":{\"type\":\"WordPiece\",\"vocab\":{\"a\":0}},\"pre_tokenizer\":null}",
        "{\"model\":{\"type\":\"WordPiece\",\"vocab\":{\"a\":0},\"unk_token\":\"[UNK]\"},\"pre_tokenizer\":{\"type\":\"BertPreTokenizer\"}}",
        "{\"model\":{\"type\":\"WordPiece\",\"vocab\":{\"a\":0},\"continuing_subword_prefix\":\"#################\"}}",
        "{\"model\":{\"type\":\"WordPiece\",\"vocab\":{\"a\":0},\"max_input_chars_per_word\":0}}",
        "{\"model\":{\"type\":\"WordPiece\",\"vocab\":{\"a\":0}},\"pre_tokenizer\":{\"type\":\"BertPreTokenizer\"},"
        "\"post_processor\":{\"type\":\"BertProcessing\",\"cls\":[\"a\",0],\"sep\":[\"b\",7]}}",
        "{\"model\":{\"type\":\"WordPiece\",\"vocab\":{\"a\":0}},\"pre_tokenizer\":{\"type\":\"BertPreTokenizer\"},"
        "\"post_processor\":{\"type\":\"TemplateProcessing\",\"single\":[],\"special_tokens\":{}}}",
        "{\"model\":{\"type\":\"WordPiece\",\"vocab\":{\"a\":0}},\"pre_tokenizer\":{\"type\":\"BertPreTokenizer\"},"
        "\"post_processor\":{\"type\":\"TemplateProcessing\",\"single\":[{\"SpecialToken\":{\"id\":\"X\"}},"
        "{\"Sequence\":{\"id\":\"A\"}}],\"special_tokens\":{}}}",
        "{\"model\":{\"type\":\"WordPiece\",\"vocab\":{\"a\":0}},\"pre_tokenizer\":{\"type\":\"BertPreTokenizer\"},"
        "\"normalizer\":{\"type\":\"BertNormalizer\",\"lowercase\":\"yes\"}}",
        "{\"model\":{\"type\":\"BPE\",\"vocab\":{\"a\":0},\"merges\":{}}}",
        "{\"model\":{\"type\":\"BPE\",\"vocab\":{\"a\":0},\"merges\":[\"a\"]}}",
        "{\"model\":{\"type\":\"BPE\",\"vocab\":{\"a\":0},\"merges\":[\"a a a\"]}}",
        "{\"model\":{\"type\":\"BPE\",\"vocab\":{\"a\":0},\"merges\":[[\"a\",1]]}}",
        "{\"model\":{\"type\":\"BPE\",\"vocab\":{\"a\":0},\"merges\":[\"a a\"]}}",
        "{\"model\":{\"type\":\"BPE\",\"vocab\":{\"a\":0},\"merges\":[],\"dropout\":0.1}}",
        "{\"model\":{\"type\":\"BPE\",\"vocab\":{\"a\":0},\"merges\":[],\"byte_fallback\":true}}",
        "{\"model\":{\"type\":\"BPE\",\"vocab\":{\"a\":0},\"merges\":[]}}", /* bytes missing, no unk */
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        senti__hftok *t = (senti__hftok *)1;
        char err[256] = "";
        int rc = senti__hftok_from_json(bad[i], strlen(bad[i]), &t, err, sizeof err);
        if (rc == 0 || t != NULL || err[0] == 0) TEST_FAIL_("case %zu: status %d, message \"%s\"", i, rc, err);
    }
    /* deep nesting stops at jansson's depth limit */
    size_t n = 200000;
    char *deep = malloc(n);
    ASSERT(deep);
    memset(deep, '[', n);
    senti__hftok *t = NULL;
    char err[256];
    ASSERT(senti__hftok_from_json(deep, n, &t, err, sizeof err) != 0);
    free(deep);
}

TEST(tokenizer_hostile_legacy_files) {
    senti__hftok *t = NULL;
    char err[256];
    ASSERT(senti__hftok_from_vocab_txt("", 0, NULL, 0, NULL, 0, &t, err, sizeof err) != 0);
    ASSERT(senti__hftok_from_vocab_txt("[CLS]\n[SEP]\n[UNK]\n", 18, "{", 1, NULL, 0, &t, err, sizeof err) != 0);
    ASSERT(senti__hftok_from_vocab_txt("[CLS]\n[SEP]\n[UNK]\n", 18, "[]", 2, NULL, 0, &t, err, sizeof err) != 0);
    ASSERT(senti__hftok_from_bpe_files("{}", 2, "a b\n", 4, NULL, 0, NULL, 0, &t, err, sizeof err) != 0);
    ASSERT(senti__hftok_from_bpe_files("[1]", 3, "", 0, NULL, 0, NULL, 0, &t, err, sizeof err) != 0);
    ASSERT(senti__hftok_from_bpe_files("{\"a\":0}", 7, "a\n", 2, NULL, 0, NULL, 0, &t, err, sizeof err) != 0);
    ASSERT(senti__hftok_load_dir("/nonexistent-dir", &t, err, sizeof err) != 0);
    ASSERT(t == NULL);
}

TEST(tokenizer_allocation_failures) {
    const char *json = WP_JSON;
    int ok = 0;
    for (long k = 0; k < 400 && !ok; k++) {
        senti__alloc_fail_after(k);
        senti__hftok *t = NULL;
        char err[256];
        int rc = senti__hftok_from_json(json, strlen(json), &t, err, sizeof err);
        if (rc == 0) {
            int32_t ids[64];
            size_t n;
            rc = senti__hftok_encode(t, "UNaffable, Hello! caf\xc3\xa9", 22, 64, ids, NULL, &n);
            ok = rc == 0;
        }
        senti__hftok_free(t);
        senti__alloc_fail_after(-1);
        if (rc != 0 && rc != SENTI_ENOMEM) TEST_FAIL_("k=%ld: status %d", k, rc);
    }
    ASSERT(ok);
}

/* A merges.txt of one merge and ten million empty lines: the merge table is sized by the lines
 * that hold a merge, not by every line (which held half a gigabyte). */
TEST(tokenizer_merges_table_sized_by_merges) {
    size_t n = 10u << 20;
    char *lines = malloc(n);
    ASSERT(lines);
    memset(lines, '\n', n);
    memcpy(lines, "a b\n", 4);
    senti_memory_stats before, after;
    senti_memory_stats_get(&before);
    senti__hftok *t = NULL;
    char err[256];
    const char vocab[] = "{\"a\":0,\"b\":1,\"ab\":2,\"<unk>\":3,\"<s>\":4,\"</s>\":5}";
    int rc = senti__hftok_from_bpe_files(vocab, sizeof vocab - 1, lines, n, NULL, 0, NULL, 0, &t, err,
                                         sizeof err);
    senti_memory_stats_get(&after);
    free(lines);
    senti__hftok_free(t);
    ASSERT_EQ(rc, 0);
    ASSERT(after.current_bytes - before.current_bytes < (1u << 20));
}
