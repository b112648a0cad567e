/* libFuzzer target: the transformer tokenizers (src/models/transformer/tokenizer.h). Any bytes
 * as a tokenizer.json, as a vocab.txt and as a merges.txt must load cleanly or fail with a
 * message; whatever loads encodes texts. Any bytes as a text, encoded by a fixed WordPiece and
 * a fixed byte-level BPE tokenizer, must give ids of the vocabulary and spans inside the text,
 * framed by the special tokens. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/base.h"
#include "models/transformer/tok_impl.h"
#include "models/transformer/tokenizer.h"

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size);

static const char WP[] =
    "{\"model\":{\"type\":\"WordPiece\",\"unk_token\":\"[UNK]\",\"vocab\":{\"[UNK]\":0,\"[CLS]\":1,"
    "\"[SEP]\":2,\"a\":3,\"##a\":4,\"the\":5,\"##s\":6,\"\xe4\xb8\xad\":7,\"!\":8,\"e\":9,\"##e\":10}},"
    "\"normalizer\":{\"type\":\"BertNormalizer\"},\"pre_tokenizer\":{\"type\":\"BertPreTokenizer\"},"
    "\"post_processor\":{\"type\":\"TemplateProcessing\",\"single\":[{\"SpecialToken\":{\"id\":\"[CLS]\"}},"
    "{\"Sequence\":{\"id\":\"A\"}},{\"SpecialToken\":{\"id\":\"[SEP]\"}}],\"special_tokens\":{"
    "\"[CLS]\":{\"ids\":[1]},\"[SEP]\":{\"ids\":[2]}}}}";

/* A byte-level BPE of the 256 byte tokens, <s> and </s>, and merges over "the" and " t". */
static senti__hftok *make_bpe(char *err, size_t err_size) {
    senti__buf b = {0};
    senti__buf_str(&b, "{\"model\":{\"type\":\"BPE\",\"vocab\":{\"<s>\":0,\"</s>\":1");
    for (unsigned i = 0; i < 256; i++) {
        char c[4];
        size_t n = senti__bpe_byte_char(i, c);
        senti__buf_str(&b, ",");
        senti__buf_json(&b, c, n);
        senti__buf_printf(&b, ":%u", i + 2);
    }
    senti__buf_str(&b, ",\"th\":258,\"the\":259,\"\xc4\xa0t\":260,\"\xc4\xa0th\":261,\"\xc4\xa0the\":262},"
                       "\"merges\":[\"t h\",\"th e\",\"\xc4\xa0 t\",[\"\xc4\xa0t\",\"h\"],\"\xc4\xa0th e\"]}");
    senti__buf_str(&b, ",\"pre_tokenizer\":{\"type\":\"ByteLevel\",\"add_prefix_space\":true},"
                       "\"post_processor\":{\"type\":\"RobertaProcessing\",\"cls\":[\"<s>\",0],\"sep\":[\"</s>\",1]}}");
    senti__hftok *t = NULL;
    if (!b.oom) senti__hftok_from_json(b.p, b.len, &t, err, err_size);
    senti__buf_free(&b);
    return t;
}

/* Encode and check what must hold for any text. */
static void encode_check(const senti__hftok *t, const unsigned char *s, size_t n, size_t max) {
    static int32_t ids[4096];
    static senti__tokspan sp[4096];
    size_t m;
    if (senti__hftok_encode(t, (const char *)s, n, max, ids, sp, &m) != SENTI_OK) {
        if (max >= senti__hftok_special_count(t)) abort();
        return;
    }
    if (m > max || m < senti__hftok_special_count(t)) abort();
    for (size_t i = 0; i < m; i++)
        if (ids[i] < 0 || (size_t)ids[i] >= senti__hftok_vocab_size(t) || sp[i].start > sp[i].end ||
            sp[i].end > n)
            abort();
}

static void use(const senti__hftok *t, const unsigned char *data, size_t size) {
    static const char *texts[] = {"", "The film!", "caf\xc3\xa9 \xe4\xb8\xad\xff a", "aaaaaaaaaa aaaa"};
    for (size_t i = 0; i < sizeof texts / sizeof *texts; i++)
        encode_check(t, (const unsigned char *)texts[i], strlen(texts[i]), 64);
    encode_check(t, data, size, 4096);
    encode_check(t, data, size, 3);
}

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size) {
    static senti__hftok *wp, *bpe;
    static int init;
    if (!init) {
        char err[256];
        init = 1;
        if (senti__hftok_from_json(WP, sizeof WP - 1, &wp, err, sizeof err) || !(bpe = make_bpe(err, sizeof err))) {
            fprintf(stderr, "fuzz_tokenizer: %s\n", err);
            abort();
        }
    }
    use(wp, data, size);
    use(bpe, data, size);
    senti__hftok *t = NULL;
    char err[256] = "";
    if (senti__hftok_from_json((const char *)data, size, &t, err, sizeof err) == SENTI_OK) {
        use(t, data, size);
        senti__hftok_free(t);
    } else if (!err[0]) {
        abort(); /* a failure always says why */
    }
    if (senti__hftok_from_vocab_txt((const char *)data, size, NULL, 0, NULL, 0, &t, err, sizeof err) == SENTI_OK) {
        use(t, data, size);
        senti__hftok_free(t);
    }
    static const char vocab[] = "{\"<s>\":0,\"</s>\":1,\"a\":2,\"b\":3,\"ab\":4,\"<unk>\":5}";
    if (senti__hftok_from_bpe_files(vocab, sizeof vocab - 1, (const char *)data, size, NULL, 0, NULL, 0, &t,
                                    err, sizeof err) == SENTI_OK) {
        use(t, data, size);
        senti__hftok_free(t);
    }
    return 0;
}
