/*
 * tokenizer.h - the tokenizers of Hugging Face checkpoints, in C: text to the token ids a
 * BERT-family model was trained on. This is the front end of the future `transformer` model
 * kind; it has no registry entry of its own and no public API (everything is senti__).
 *
 * Two algorithms, both exact (tests/cli/tokenizer.sh compares the ids with transformers.js
 * on thousands of texts):
 *
 *   WordPiece (BERT, DistilBERT): BERT's BasicTokenizer then WordpieceTokenizer. Clean text
 *     (drop NUL, U+FFFD and control/format/private/unassigned characters; whitespace to a
 *     space), spaces around CJK ideographs, lower-case (full mapping, final sigma) and strip
 *     accents (NFD, drop Mn), split on whitespace and punctuation, then greedy longest match
 *     first with the "##" continuation prefix; a word over max_input_chars_per_word (100)
 *     characters, or one with no segmentation, is the unknown token.
 *   Byte-level BPE (RoBERTa, GPT-2): the GPT-2 pre-tokenizer pattern, the bytes of each piece
 *     mapped to printable characters (bytes_to_unicode), merges applied lowest rank first
 *     (leftmost on ties), add_prefix_space honoured.
 *
 * The post-processor frames the ids: [CLS] ... [SEP] or <s> ... </s> (BertProcessing,
 * RobertaProcessing, or a TemplateProcessing of the form SPECIAL* $A SPECIAL*).
 *
 * Loading: a tokenizer.json (the `tokenizers` library's format), or failing that the older
 * files: vocab.txt (WordPiece) or vocab.json + merges.txt (byte-level BPE), with
 * tokenizer_config.json and special_tokens_map.json for the settings and special tokens. Every
 * parser is bounded and refuses what it does not understand with a message (a setting this
 * implementation does not support is refused, never ignored, when it would change the ids).
 *
 * Input: any bytes. Invalid UTF-8 reads as U+FFFD, one per bad byte, as in the rest of senti
 * (src/text/tokenize.h). Special-token strings in the text ("[SEP]", "<s>") are text like any
 * other: a user cannot inject a special token.
 *
 * A tokenizer is immutable once loaded and may be shared by threads; encode allocates its
 * scratch per call.
 */
#ifndef SENTI_TRANSFORMER_TOKENIZER_H
#define SENTI_TRANSFORMER_TOKENIZER_H

#include <stddef.h>
#include <stdint.h>

typedef struct senti__hftok senti__hftok;

/* The bytes of the input a token came from: [start, end). The special tokens the
 * post-processor adds have start == end == 0; a token made of part of a character (a byte-level
 * piece of a multi-byte character) has the whole character's span. */
typedef struct senti__tokspan {
    uint32_t start, end;
} senti__tokspan;

enum { SENTI__HFTOK_WORDPIECE = 1, SENTI__HFTOK_BPE = 2 };

/* Files this implementation reads at most (a tokenizer.json of a large vocabulary is a few MB). */
#define SENTI__HFTOK_MAX_FILE (64u << 20)

/* From the text of a tokenizer.json. */
int senti__hftok_from_json(const char *json, size_t len, senti__hftok **out, char *err,
                           size_t err_size);
/* From a WordPiece vocab.txt (one token a line, id = line number) and the optional texts of
 * tokenizer_config.json and special_tokens_map.json (NULL when absent). */
int senti__hftok_from_vocab_txt(const char *vocab, size_t vlen, const char *config, size_t clen,
                                const char *special, size_t slen, senti__hftok **out, char *err,
                                size_t err_size);
/* From a byte-level BPE vocab.json + merges.txt and the optional configuration texts. */
int senti__hftok_from_bpe_files(const char *vocab, size_t vlen, const char *merges, size_t mlen,
                                const char *config, size_t clen, const char *special, size_t slen,
                                senti__hftok **out, char *err, size_t err_size);
/* From a checkpoint folder: tokenizer.json, else vocab.txt, else vocab.json + merges.txt. */
int senti__hftok_load_dir(const char *dir, senti__hftok **out, char *err, size_t err_size);
void senti__hftok_free(senti__hftok *t);

/* Ids of s[0..len) (len < 4 GiB), framed by the special tokens and truncated so that at most
 * max_len ids come out: the text's tokens are cut, the special tokens are kept. ids (and
 * spans, if not NULL) hold max_len entries; *n is the count. SENTI_EINVAL if max_len is below
 * the number of special tokens (max_len equal to it gives them alone) or len is 4 GiB or more;
 * SENTI_ENOMEM. */
int senti__hftok_encode(const senti__hftok *t, const char *s, size_t len, size_t max_len,
                        int32_t *ids, senti__tokspan *spans, size_t *n);

int senti__hftok_type(const senti__hftok *t);        /* SENTI__HFTOK_WORDPIECE or _BPE */
size_t senti__hftok_vocab_size(const senti__hftok *t); /* the largest id + 1 */
size_t senti__hftok_special_count(const senti__hftok *t); /* ids the framing adds */
/* The vocabulary string of an id (NUL-terminated; for byte-level BPE in the bytes_to_unicode
 * alphabet, e.g. "Ġgood"), or NULL for an id with none. */
const char *senti__hftok_token(const senti__hftok *t, int32_t id);
/* The id of a vocabulary string, or -1. */
int32_t senti__hftok_id(const senti__hftok *t, const char *s, size_t len);

#endif
