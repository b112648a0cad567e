/*
 * linear.h - the linear n-gram model: feature scheme, scoring, training.
 *
 * FEATURES (specified so another implementation can reproduce them; vectors in
 * tests/unit/test_text.c). The text is tokenized as in text/tokenize.h, giving token
 * hashes h_1..h_n (at most max_tokens of them). Then:
 *   - mentions (if params.mentions): a punct token that is one input character '@' (U+0040;
 *     not its fullwidth or small forms), that does not follow a word token with no byte
 *     between, and that is followed with no byte between by a word token, starts a handle;
 *     the handle goes on over the word tokens and the runs of the input character '_'
 *     (U+005F) that follow with no byte between (clitics are word tokens: "@jo's" is one
 *     handle). The whole handle reads as one token whose hash is that of the text "@user"
 *     (no flags), and counts as one token toward max_tokens (tokens are counted after the
 *     merging). So "@Jane_Doe99: hi" gives "@user", ":", "hi"; "@ home", "@_x" and
 *     "me@x.org" are untouched. Files with mentions = 1 are written as format_version 2, so
 *     that a reader which does not know the key refuses them rather than misreading them.
 *   - negation scope (if params.negation): a token that follows a NEGATOR token, up to the
 *     next CLAUSE token, has its hash replaced by mix(h, SENTI__TAG_NEG); the negator itself
 *     and the clause token are not marked. A second negator inside a scope restarts it.
 *   - unigrams: h_i for every token.
 *   - bigrams (ngram >= 2): mix(h_{i-1}, h_i) for i = 2..n; with params.bounds also
 *     mix(SENTI__TAG_BOS, h_1) and mix(h_n, SENTI__TAG_EOS).
 *   - trigrams (ngram >= 3): mix(mix(h_{i-2}, h_{i-1}), h_i) for i = 3..n.
 *   where mix(a, b) = XXH3_64bits_withSeed(le64(a) || le64(b), 16, SENTI__SEED_MIX).
 *   Each feature f selects bucket b(f) = f >> (64 - bits) of the weight table.
 *   - long copies (if params.long_tokens, L; metadata key "long_tokens", 0..128, absent
 *     means 0): a text of at least L tokens (counted as for max_tokens, so a text cut to
 *     max_tokens < L is not long) has, right after every feature above, also one in bucket
 *     mix(b, SENTI__TAG_LONG) >> (64 - bits), b being that feature's bucket (the 32-bit value,
 *     zero-extended in le64(b)). A long review thus gets weights of its own on top of the
 *     shared ones, which short texts (phrases, tweets) use alone ("frustratingly easy" domain
 *     adaptation, with the domain read off the text's length). Explanations add a copy's
 *     weights to its feature's contribution. Files with long_tokens > 0 are written as
 *     format_version 3, so that a reader which does not know the key refuses them rather than
 *     scoring long texts without their copies. L is at most SENTI__LONG_TOKENS_MAX: the
 *     features of the first L tokens are held until the text is known to be long.
 *
 * VOCABULARY (optional: metadata vocab_bits, tensor 'vocab', U8 [2^vocab_bits / 8], format
 * version 4). A token whose hash h has bit h >> (64 - vocab_bits) clear in the bitmap is read
 * as the one token "<unk>" (a hash no text can spell: '<' is never inside a word) before
 * negation marking and n-grams. The trainer sets the bits of the tokens seen at least
 * --vocab-min times in the training data, of every tied lexicon entry and of "@user"; the rarer
 * ones read as "<unk>" in training too, so its weights are learned. So a word the model never
 * learned is evidence of nothing in particular, instead of borrowing the weights of whatever
 * features share its bucket. (A bitmap of 2^24 bits marks a few hundred thousand tokens with
 * about 2% of the unknown ones read as known.)
 *
 * SCORING. z_k = bias_k + s * sum over features of W[bucket][k], where s = 1 (norm "none")
 * or 1/sqrt(number of features, long copies included) (norm "sqrt"). With one output (binary
 * model, labels negative, positive) P(positive) = sigmoid(z_0); with K outputs, softmax(z).
 * int8 weights are W = q * scale, with one scale for the tensor or one per bucket.
 *
 * Cost: linear in the text; one weight lookup per feature; no allocation.
 */
#ifndef SENTI_LINEAR_H
#define SENTI_LINEAR_H

#include <stddef.h>
#include <stdint.h>

#include "io/safetensors.h"

#define SENTI__SEED_MIX 0x73656e74696d6978ULL /* "sentimix" */
#define SENTI__TAG_NEG 0x4e45474154494f4eULL  /* "NEGATION" */
#define SENTI__TAG_BOS 0x3c733e3c733e3c73ULL
#define SENTI__TAG_EOS 0x3c2f733e3c2f733eULL
#define SENTI__TAG_LONG 0x4c4f4e4754455854ULL /* "LONGTEXT" */
#define SENTI__LONG_TOKENS_MAX 128

typedef struct senti__linear_params {
    uint32_t bits;     /* log2 of the number of buckets, 10..26 */
    uint32_t ngram;    /* 1..3 */
    uint32_t negation; /* 0/1 */
    uint32_t bounds;   /* 0/1: sentence boundary bigrams */
    uint32_t norm;     /* 0: none, 1: sqrt */
    uint32_t mentions; /* 0/1: an @handle reads as the one token "@user" */
    uint32_t long_tokens; /* 0: off; else texts of at least this many tokens get long copies */
    uint32_t vocab_bits;  /* 0: no vocabulary; else the log2 of the bits of vocab */
    const uint8_t *vocab; /* VOCABULARY: bit (token hash >> (64 - vocab_bits)) set if known */
} senti__linear_params;

#define SENTI__VOCAB_BITS 24 /* the vocabulary bitmap senti train writes: 2 MiB */

uint64_t senti__mix(uint64_t a, uint64_t b);

/* One feature: its bucket and the byte span of the tokens it covers. */
typedef struct senti__feature {
    uint32_t bucket;
    uint32_t start, end;
    uint8_t order;     /* 1, 2, 3; 0 for a boundary bigram */
    uint8_t negated;   /* 1 if a token of it is in a negation scope */
    uint8_t long_copy; /* 1 for the long copy of the feature before it */
} senti__feature;

/* Feature generation shared by scoring, training and explanations: calls sink with
 * batches of features. Returns the number of tokens considered. */
typedef void (*senti__feat_sink)(void *ud, const senti__feature *f, size_t n);
uint32_t senti__linear_features(const senti__linear_params *p, const char *text, size_t len,
                                uint32_t max_tokens, senti__feat_sink sink, void *ud);
/* The same features with only .bucket filled in (scoring and training need no spans). */
uint32_t senti__linear_buckets(const senti__linear_params *p, const char *text, size_t len,
                               uint32_t max_tokens, senti__feat_sink sink, void *ud);

/* Params to and from model metadata. */
int senti__linear_params_parse(const senti__st *st, senti__linear_params *p, char *err,
                               size_t err_size);

/* ---- training ------------------------------------------------------------------------ */

typedef struct senti__train_set {
    size_t n;
    const char *const *texts;
    const size_t *lens;
    const int *labels; /* 0..n_classes-1 */
    const float *weights; /* per text (e.g. class or domain balance); NULL: all 1 */
    /* per text, 1: its label is only known to be one of the classes other than "neutral" (a
     * text of a file labelled negative/positive only, in a model with a neutral class); its
     * loss is that of the polar classes alone (train.c "PARTIAL LABELS"). NULL: all 0. */
    const unsigned char *polar;
} senti__train_set;

typedef struct senti__train_opts {
    senti__linear_params fp;
    int n_classes;            /* 2: one logistic output; 3+: softmax */
    const char *const *labels;
    int epochs;               /* maximum */
    int patience;             /* epochs without validation improvement before stopping */
    double lr;                /* AdaGrad step */
    double l2;                /* L2 penalty per update */
    uint64_t seed;
    int threads;              /* feature extraction and evaluation */
    double valid_fraction;    /* when no validation set is given */
    int quantize;             /* 0: F32, 1: I8 with one scale, 2: I8 with a scale per bucket */
    int calibrate;            /* fit a temperature on the validation set */
    uint32_t max_tokens;
    /* NB feature scaling (train.c "NB SCALING"): the smoothing count alpha; 0: none */
    double nb;
    /* PARTIAL LABELS (train.c): for texts marked polar, the share 0..1 of the loss taken over
     * the polar classes alone (the rest is the ordinary loss); 0: marks ignored */
    double partial;
    /* members averaged into the written model (train.c "ENSEMBLE"); 0 or 1: one model */
    int ensemble;
    /* Lexicon-tied features (training only; see train.c "LEXICON"): entries with a valence
     * in [-4, 4] (e.g. the VADER lexicon). n_lex 0: none. */
    size_t n_lex;
    const char *const *lex_texts;
    const size_t *lex_lens;
    const float *lex_values;
    /* 0: a negated rated word has bins of its own, learned apart; 1: it shares the bin of the
     * words rated -0.74 times its valence (train.c "LEXICON") */
    int lex_flip;
    /* VOCABULARY (linear.h): tokens seen fewer times than this in the training data read as
     * "<unk>"; 0: no vocabulary (every token hashed as it is) */
    uint32_t vocab_min;
} senti__train_opts;

typedef struct senti__train_report {
    size_t n_train, n_valid;
    int epochs_run, best_epoch; /* of the first member (see ensemble) */
    double valid_accuracy, valid_loss, train_loss;
    double valid_accuracy_quantized;
    double valid_loss_uncalibrated;
    double temperature;       /* fitted, or 1 */
    size_t n_lex_used;        /* lexicon entries tied to a bucket */
} senti__train_report;

typedef void (*senti__epoch_cb)(void *ud, int member, int epoch, double train_loss, double valid_loss,
                                double valid_acc);

/* Train and write the model to out_path. meta_kv: extra metadata pairs (key, value, ...). */
int senti__linear_train(const senti__train_set *train, const senti__train_set *valid,
                        const senti__train_opts *o, const char *out_path,
                        const char *const *meta_kv, size_t n_meta, senti__train_report *rep,
                        senti__epoch_cb cb, void *cb_ud, char *err, size_t err_size);

#endif
