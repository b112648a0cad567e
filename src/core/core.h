/*
 * core.h - the model layer: the model handle every kind fills in, the table of operations a
 * kind provides, and the registry entry through which a kind is found.
 *
 * A model kind lives in one folder, src/models/KIND/, and is known to the library by one line
 * of the registry (SENTI__KINDS in src/core/registry.c). Its entry says what it is called, how
 * it opens a senti model file whose __metadata__.kind names it, how it opens a path that is
 * not a model file (VADER's lexicon folder), and the line `senti --help` shows for it. The
 * core does what is common: parsing the safetensors container, mapping or reading the file,
 * labels (validated once, here), metadata, limits, where the model came from and its
 * digest, per-thread contexts, single and batch prediction, and JSON rendering.
 *
 * Layers: src/base (libc only) <- src/text, src/io, src/kernels <- src/core <- src/models/KIND.
 * The core knows the kinds only through the registry's table.
 */
#ifndef SENTI_CORE_H
#define SENTI_CORE_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include "base/base.h"
#include "io/safetensors.h"
#include "senti.h"

/* ---- what a kind provides ----------------------------------------------------------------- */

typedef struct senti__model_ops {
    const char *kind;
    /* Score one text; text has already been cut to the model's max_text_bytes. */
    int (*predict)(const senti_model *m, senti_ctx *ctx, const char *text, size_t len,
                   senti_result *out);
    /* Optional: predict and list contributions (see senti_explain; a binary model writes one
     * logit per contribution, toward "positive", as senti.h says). */
    int (*explain)(const senti_model *m, senti_ctx *ctx, const char *text, size_t len,
                   senti_result *out, senti_contribution *contrib, size_t cap, size_t *n);
    /* Optional: score n texts at once (each already cut to max_text_bytes), filling out[i]
     * whole, status included; returns the first failure. senti_predict_batch hands such a kind
     * chunks of up to batch_chunk texts (a transformer runs a chunk as one packed forward
     * pass); kinds without it are called text by text. */
    int (*predict_many)(const senti_model *m, senti_ctx *ctx, const senti_text *texts, size_t n,
                        senti_result *out);
    size_t batch_chunk; /* texts per chunk for predict_many (0: 16); also what
                         * senti_model_batch_hint says to a service that gathers texts */
    /* Scratch: make per-thread state (NULL allowed if the kind needs none). */
    int (*ctx_init)(const senti_model *m, void **state);
    void (*ctx_free)(const senti_model *m, void *state);
    /* Optional: let one prediction through this state use n (1..16) threads. */
    void (*ctx_threads)(const senti_model *m, void *state, int n);
    void (*destroy)(senti_model *m);
} senti__model_ops;

typedef struct senti__kind {
    const char *name; /* "linear": the KIND of KIND:PATH and of __metadata__.kind */
    const char *alias; /* another spec prefix for open_path (transformer: "hf"), or NULL */
    const char *help; /* one line for --help: "KIND:PATH   what it is" */
    /* Open a parsed senti model file whose __metadata__.kind is this kind. Tensors point into
     * the file's bytes, which stay valid and unchanged for the model's life; the core copies
     * the metadata into the model and records where it came from. NULL: the kind has no files. */
    int (*open_file)(const senti__st *st, const senti_options *opts, senti_model **out,
                     char *err, size_t err_size);
    /* Open KIND:PATH where PATH is not a senti model file (a lexicon folder, a checkpoint
     * directory). The kind records the source itself (senti__model_set_source). NULL: PATH
     * names a senti model file of this kind. */
    int (*open_path)(const char *path, const senti_options *opts, senti_model **out,
                     char *err, size_t err_size);
} senti__kind;

/* The registry, in the order `senti --help` lists it; NULL-terminated. */
extern const senti__kind *const senti__kinds[];
const senti__kind *senti__kind_find(const char *name, size_t len);
/* "linear, vader": the names, for messages. */
const char *senti__kind_names(void);

/* ---- the model handle ------------------------------------------------------------------- */

struct senti_model {
    const senti__model_ops *ops;
    void *impl;                 /* kind-specific state */
    int n_classes;
    const char *labels[SENTI_MAX_CLASSES];
    char *label_store;          /* owned copy the labels point into (senti__model_parse_labels) */
    int n_values;
    const char *value_names[SENTI_MAX_VALUES];
    int value_decimals[SENTI_MAX_VALUES]; /* decimals printed by senti_result_json (VADER: 3,3,3,4) */
    int pos_index;              /* index of "positive", or -1 */
    uint32_t max_text_bytes;
    uint32_t max_tokens;
    /* metadata: owned strings */
    int n_meta;
    char **meta_keys;
    char **meta_vals;
    /* owned memory to release at free: a mapping, or a buffer the file was read into */
    void *map;
    size_t map_size;
    void *owned;
    /* where it came from (senti_model_path, _size, _digest) */
    char *src_path;             /* owned; NULL for the embedded model and memory */
    const void *src_data;       /* the bytes the digest covers, when they are one buffer */
    uint64_t src_size;
    char digest[33];            /* XXH3-128, hex; valid once digest_done is set */
    int digest_done;            /* atomic */
    pthread_mutex_t digest_lock;
};

struct senti_ctx {
    const senti_model *model;
    void *state;
};

/* Allocate a zeroed model with the given ops and limits from opts. */
senti_model *senti__model_new(const senti__model_ops *ops, const senti_options *opts);
/* Add a metadata pair (copied). */
int senti__model_add_meta(senti_model *m, const char *key, const char *val);
/* Set labels (pointers must outlive the model, e.g. string literals or meta strings); they
 * are checked as senti__model_parse_labels checks them. */
int senti__model_set_labels(senti_model *m, int n, const char *const *labels, char *err,
                            size_t err_size);
/* Labels from a comma-separated list ("negative,neutral,positive"): 2..SENTI_MAX_CLASSES
 * distinct names of 1..64 bytes, each printable ASCII or valid UTF-8 with no quote, backslash
 * or control character, so that every output format can carry them as they are. */
int senti__model_parse_labels(senti_model *m, const char *csv, char *err, size_t err_size);
/* Record where a model that is not one file came from: a path (copied), the bytes that
 * determine its answers and their digest (32 hex digits; a kind that passes NULL leaves the
 * model without those bytes, and its digest is that of no bytes). */
int senti__model_set_source(senti_model *m, const char *path, uint64_t size,
                            const char digest[33]);
/* XXH3-128 as 32 hex digits: of parts[0] alone when n == 1 (a file's own digest, as xxhsum
 * -H2 gives it), else of parts[0..n) each prefixed by its 8-byte length. */
void senti__digest_parts(const void *const *parts, const size_t *lens, int n, char out[33]);

/* The embedded default model (bytes of models/default.safetensors). */
extern const unsigned char senti__default_model[];
extern const unsigned char senti__default_model_end[];

#endif
