/*
 * senti.h - the one public header of the senti sentiment-analysis library.
 *
 * Quick start:
 *
 *     senti_model *m;
 *     char err[256];
 *     if (senti_model_open("default", NULL, &m, err, sizeof err) != SENTI_OK) { ...err... }
 *     senti_result r;
 *     senti_predict(m, NULL, "what a wonderful, moving film", 29, &r);
 *     printf("%s %.3f\n", senti_model_label(m, r.label), r.score);
 *     senti_model_free(m);
 *
 * Threads: a senti_model is immutable once opened and may be shared by any number of
 * threads. Scratch space lives in a senti_ctx, one per thread (or pass NULL and the call
 * allocates what it needs, which is slower for model kinds that need scratch).
 *
 * Errors: every function that can fail returns a senti_status (0 or negative); details
 * go into a buffer the caller supplies. The library never prints, exits or aborts, and
 * reports allocation failure as SENTI_ENOMEM.
 *
 * Versioning: same major version = same ABI from 1.0 on; before that, same major and minor
 * (0.2.x), and the shared library's name says so (libsenti.so.0.2). The structs the caller allocates (senti_options, senti_memory_stats, senti_result,
 * senti_contribution)
 * end in reserved space so that later versions can grow them without changing their size.
 */
#ifndef SENTI_H
#define SENTI_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(SENTI_BUILD) && defined(__GNUC__)
#define SENTI_API __attribute__((visibility("default")))
#else
#define SENTI_API
#endif

#define SENTI_VERSION_MAJOR 0
#define SENTI_VERSION_MINOR 2
#define SENTI_VERSION_PATCH 0
#define SENTI_VERSION_HEX \
    ((SENTI_VERSION_MAJOR << 16) | (SENTI_VERSION_MINOR << 8) | SENTI_VERSION_PATCH)
#define SENTI_VERSION_STRING "0.2.0"

/* "0.2.0" (the library actually linked, which may differ from the header's). */
SENTI_API const char *senti_version(void);
SENTI_API uint32_t senti_version_hex(void);

/* ---- status codes ------------------------------------------------------------------ */

#define SENTI_STATUS_MAP(XX)                                             \
    XX(OK, 0, "success")                                                 \
    XX(EINVAL, -1, "invalid argument")                                   \
    XX(ENOMEM, -2, "out of memory")                                      \
    XX(EIO, -3, "input/output error")                                    \
    XX(EFORMAT, -4, "malformed model file")                              \
    XX(EVERSION, -5, "unsupported model file version")                   \
    XX(EKIND, -6, "unknown model kind")                                  \
    XX(ERANGE, -7, "value out of range")                                 \
    XX(ETHREAD, -8, "could not start a thread")                          \
    XX(EDATA, -9, "malformed data")                                      \
    XX(ENOTSUP, -10, "operation not supported by this model kind")

typedef enum senti_status {
#define SENTI__STATUS_ENUM(name, code, msg) SENTI_##name = (code),
    SENTI_STATUS_MAP(SENTI__STATUS_ENUM)
#undef SENTI__STATUS_ENUM
} senti_status;

/* A static English message for a status; "unknown status" for codes not listed. */
SENTI_API const char *senti_strerror(int status);
/* The status's name, e.g. "SENTI_ENOMEM". */
SENTI_API const char *senti_status_name(int status);

/* ---- allocator ----------------------------------------------------------------------- */

/* Replace the allocator used by the library (all three or none; NULL restores libc's).
 * Call before any other senti function; not thread-safe against concurrent use. */
SENTI_API int senti_set_allocator(void *(*malloc_fn)(size_t),
                                  void *(*realloc_fn)(void *, size_t),
                                  void (*free_fn)(void *));

/* Memory the library has allocated on the heap (all threads, since start). Model weights
 * used in place from a mapping or from memory are not heap and are not counted. */
typedef struct senti_memory_stats {
    uint64_t current_bytes; /* allocated and not yet freed */
    uint64_t peak_bytes;    /* the most current_bytes has been */
    uint64_t allocations;   /* successful allocation calls */
    uint64_t frees;
    uint64_t reserved[4];
} senti_memory_stats;
SENTI_API void senti_memory_stats_get(senti_memory_stats *out);

/* ---- models -------------------------------------------------------------------------- */

typedef struct senti_model senti_model;
typedef struct senti_ctx senti_ctx;

#define SENTI_MAX_CLASSES 8
#define SENTI_MAX_VALUES 8

/* Bounds applied to every text. A text longer than max_text_bytes is scored on its first
 * max_text_bytes bytes (cut back to a UTF-8 boundary); tokens past max_tokens are ignored. */
#define SENTI_DEFAULT_MAX_TEXT_BYTES (1u << 20)
#define SENTI_DEFAULT_MAX_TOKENS (1u << 16)

/* senti_options.flags */
#define SENTI_OPEN_READ 1u /* read a model file into memory the model owns instead of mapping it,
                              so that the file may be overwritten while the model is in use */

typedef struct senti_options {
    uint32_t max_text_bytes; /* 0: SENTI_DEFAULT_MAX_TEXT_BYTES */
    uint32_t max_tokens;     /* 0: SENTI_DEFAULT_MAX_TOKENS */
    const char *lexicon_dir; /* vader: folder of vader_lexicon.txt / emoji_utf8_lexicon.txt */
    uint32_t flags;          /* SENTI_OPEN_*; other bits are refused (SENTI_EINVAL) */
    uint32_t reserved[7];    /* zero (anything else is refused) */
} senti_options;

/*
 * Open a model by spec:
 *   "default" or NULL          the linear model embedded in the library
 *   "PATH"                     a senti model file (safetensors, see src/io/safetensors.h), of
 *                              whatever kind its __metadata__.kind names
 *   "KIND:PATH"                a model of a named kind (senti_kind_name lists them):
 *     "linear:PATH"            a linear model file
 *     "vader:PATH"             the VADER rule model; PATH is vader_lexicon.txt or its folder
 *                              (or empty: $SENTI_VADER_LEXICON, then opts->lexicon_dir)
 *     "transformer:PATH"       a BERT/DistilBERT/RoBERTa classifier: a file written by `senti model
 *                              import`, or a Hugging Face folder (config.json, model.safetensors,
 *                              tokenizer files); opts->max_tokens lowers its truncation
 *     "hf:DIR"                 the same (a Hugging Face folder)
 * An empty spec is an error (SENTI_EINVAL). opts may be NULL. On failure *out is NULL and err
 * (if not NULL) holds a message naming the file and the reason.
 */
SENTI_API int senti_model_open(const char *spec, const senti_options *opts, senti_model **out,
                               char *err, size_t err_size);
SENTI_API int senti_model_open_file(const char *path, const senti_options *opts,
                                    senti_model **out, char *err, size_t err_size);
/* data is used in place (not copied): it must stay valid and unchanged until the model is
 * freed, and be 8-byte aligned. */
SENTI_API int senti_model_open_memory(const void *data, size_t size, const senti_options *opts,
                                      senti_model **out, char *err, size_t err_size);
SENTI_API int senti_model_open_default(const senti_options *opts, senti_model **out);
SENTI_API void senti_model_free(senti_model *m);

/* The model kinds this library knows, in the order of its registry: i in [0, senti_kind_count());
 * the name ("linear") and its help line, the spec form and what it is ("linear:FILE    a linear
 * n-gram model file ..."); NULL out of range. */
SENTI_API int senti_kind_count(void);
SENTI_API const char *senti_kind_name(int i);
SENTI_API const char *senti_kind_help(int i);

/* "linear", "vader", ... */
SENTI_API const char *senti_model_kind(const senti_model *m);
/* How many texts senti_predict_batch should be given at once for batching to pay: 1 for
 * kinds whose texts cost the same alone as in a batch (linear and vader, about a microsecond
 * a text: gathering texts into batches would cost more than it saves); for kinds that run
 * much faster per text in batches, the texts of one of their batched passes (transformer: 16).
 * A service uses it to decide whether to queue concurrent requests into batches
 * (`senti serve --batch-max`). 1 for NULL. */
SENTI_API int senti_model_batch_hint(const senti_model *m);
/* Where the model came from: the file or folder it was read from (NULL for the embedded model
 * and for one opened from memory), the number of bytes that determine its answers (the model
 * file; for vader both lexicons), and their XXH3-128 digest as 32 hex digits (for a single file,
 * the digest of the file's bytes). Two models of equal digest give equal answers under equal
 * senti_options. The digest is computed on first request (thread-safe). */
SENTI_API const char *senti_model_path(const senti_model *m);
SENTI_API uint64_t senti_model_size(const senti_model *m);
SENTI_API const char *senti_model_digest(const senti_model *m);
SENTI_API int senti_model_n_classes(const senti_model *m);
/* "negative", "positive", "neutral"; NULL if i is out of range. */
SENTI_API const char *senti_model_label(const senti_model *m, int i);
/* Index of a label, or -1. */
SENTI_API int senti_model_label_index(const senti_model *m, const char *label);
/* Model-specific named values carried in senti_result.values (VADER: neg, neu, pos, compound). */
SENTI_API int senti_model_n_values(const senti_model *m);
SENTI_API const char *senti_model_value_name(const senti_model *m, int i);
/* A metadata string of the model (e.g. "name", "digest", "training_data_sha256"); NULL if absent. */
SENTI_API const char *senti_model_meta(const senti_model *m, const char *key);
/* Number of metadata entries and the i-th key, for listing. */
SENTI_API int senti_model_meta_count(const senti_model *m);
SENTI_API const char *senti_model_meta_key(const senti_model *m, int i);

/* ---- prediction ---------------------------------------------------------------------- */

typedef struct senti_result {
    int32_t status;                   /* SENTI_OK, or why this text could not be scored */
    int32_t label;                    /* index of the predicted label */
    int32_t n_classes;                /* entries used in probs[] */
    int32_t n_values;                 /* entries used in values[] */
    double score;                     /* the model's positive score in [0, 1]: the probability
                                         of "positive" for models that have that label, the
                                         probability of the top label for others; vader:
                                         (compound + 1) / 2, a ranking score, not a probability */
    double probs[SENTI_MAX_CLASSES];  /* per-class probability, indexed like the labels */
    double values[SENTI_MAX_VALUES];  /* model-specific values, named by senti_model_value_name */
    uint32_t n_tokens;                /* tokens considered */
    uint32_t truncated;               /* 1 if a bound cut the text */
    uint32_t reserved[6];             /* zero */
} senti_result;

typedef struct senti_text {
    const char *ptr;
    size_t len;
} senti_text;

/* Per-thread scratch. One context serves one thread at a time; it may be reused across
 * calls and texts but must be used with the model it was made for. */
SENTI_API int senti_ctx_new(const senti_model *m, senti_ctx **out);
SENTI_API void senti_ctx_free(senti_ctx *ctx);
/* How many threads one prediction through ctx may use: 1 (the default) to 16. A kind that can
 * split one text's work uses them (transformer: its matrix products by columns, attention by
 * heads; worth it for a long text on idle cores); the others ignore it. The results are the
 * same bits for any count. senti_predict_batch spreads texts over threads instead and leaves
 * its contexts at 1. SENTI_EINVAL out of range. */
SENTI_API int senti_ctx_set_threads(senti_ctx *ctx, int n_threads);

/* Score one text of len bytes (any bytes: invalid UTF-8 is read as U+FFFD, NUL and control
 * characters are separators). ctx may be NULL. */
SENTI_API int senti_predict(const senti_model *m, senti_ctx *ctx, const char *text, size_t len,
                            senti_result *out);

/* Score n texts into out[0..n-1] using up to n_threads threads (0: all online cores).
 * Every out[i].status is set; the return value is the first failure, or SENTI_OK. */
SENTI_API int senti_predict_batch(const senti_model *m, const senti_text *texts, size_t n,
                                  senti_result *out, int n_threads);

/* The same on the calling thread alone, with its context ctx (NULL: one is made for the call):
 * a kind that scores many texts at once gets them in its batches, as senti_predict_batch gives
 * them, and a service that scores batch after batch keeps its scratch from one to the next. */
SENTI_API int senti_predict_many(const senti_model *m, senti_ctx *ctx, const senti_text *texts, size_t n,
                                 senti_result *out);

/* ---- explanations ---------------------------------------------------------------------- */

#define SENTI_CONTRIB_BIAS 255u  /* the order of the model's bias term */
#define SENTI_CONTRIB_NEGATED 1u /* flag: the feature is read inside a negation's scope */

/* One feature's part in a decision: what it adds to each class's logit. */
typedef struct senti_contribution {
    uint32_t start, end; /* byte span of the text the feature covers (empty for the bias) */
    uint32_t order;      /* 1 a word, 2 a word pair, 3 a word triple, 0 a pair with the start or
                            end of the text, SENTI_CONTRIB_BIAS the bias */
    uint32_t flags;      /* SENTI_CONTRIB_NEGATED */
    float logit[SENTI_MAX_CLASSES]; /* binary models: logit[0] is toward "positive" */
    uint32_t reserved[2];           /* zero */
} senti_contribution;

/* Score a text as senti_predict does and explain the result: up to cap contributions are
 * written to contrib (the bias first, then one per n-gram in text order; a linear model's
 * weights of its own for long texts are added into the n-gram's) and *n is set to how many
 * there are (which may exceed cap). For linear models the explanation is exact:
 * the contributions add up to the logits, so P = sigmoid(sum) for binary models and
 * softmax(sums) otherwise. SENTI_ENOTSUP for model kinds without explanations (vader). */
SENTI_API int senti_explain(const senti_model *m, senti_ctx *ctx, const char *text, size_t len,
                            senti_result *out, senti_contribution *contrib, size_t cap, size_t *n);

/* What contribution c adds to label's logit against the other labels: for a binary model
 * logit[0] for "positive" and its negation for "negative"; with K labels, logit[label] minus
 * the mean of the others' logits. 0 for a label out of range. */
SENTI_API float senti_contribution_toward(const senti_model *m, const senti_contribution *c,
                                          int label);

/* Write the result as JSON object members (no braces), e.g.
 *   "label":"positive","score":0.9731,"scores":{"negative":0.0269,"positive":0.9731}
 * followed by the model's own values (VADER: ,"neg":0.0,"neu":0.254,"pos":0.746,"compound":0.8316).
 * Returns the length it needs (excluding the terminating NUL), like snprintf. */
SENTI_API size_t senti_result_json(const senti_model *m, const senti_result *r, char *buf,
                                   size_t size);

#ifdef __cplusplus
}
#endif
#endif /* SENTI_H */
