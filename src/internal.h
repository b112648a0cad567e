/*
 * internal.h - what the library's modules share and the public header does not show.
 *
 * Every allocation goes through senti__malloc/realloc/free (replaceable with
 * senti_set_allocator, and failable on purpose in tests through senti__alloc_fail_after).
 * A model is a small struct with a table of operations per kind; kinds live in
 * src/models/ and are chosen by senti_model_open's spec.
 */
#ifndef SENTI_INTERNAL_H
#define SENTI_INTERNAL_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include "senti.h"

/* ---- allocation ---------------------------------------------------------------------- */

void *senti__malloc(size_t n);
void *senti__calloc(size_t count, size_t size); /* overflow-checked */
void *senti__realloc(void *p, size_t n);
void senti__free(void *p);
char *senti__strdup(const char *s);
char *senti__strndup(const char *s, size_t n);
/* Tests only: make the n-th allocation from now fail (and every one after); -1 disables. */
void senti__alloc_fail_after(long n);

/* ---- errors -------------------------------------------------------------------------- */

/* Format a message into err (may be NULL) and return status. */
int senti__err(char *err, size_t err_size, int status, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* ---- models -------------------------------------------------------------------------- */

typedef struct senti__model_ops {
    const char *kind;
    /* Score one text; text has already been cut to the model's max_text_bytes. */
    int (*predict)(const senti_model *m, senti_ctx *ctx, const char *text, size_t len,
                   senti_result *out);
    /* Optional: predict and list contributions (see senti_explain). */
    int (*explain)(const senti_model *m, senti_ctx *ctx, const char *text, size_t len,
                   senti_result *out, senti_contribution *contrib, size_t cap, size_t *n);
    /* Scratch: make per-thread state (NULL allowed if the kind needs none). */
    int (*ctx_init)(const senti_model *m, void **state);
    void (*ctx_free)(const senti_model *m, void *state);
    void (*destroy)(senti_model *m);
} senti__model_ops;

struct senti_model {
    const senti__model_ops *ops;
    void *impl;                 /* kind-specific state */
    int n_classes;
    const char *labels[SENTI_MAX_CLASSES];
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
    /* owned memory to release at free (a mapping or a buffer) */
    void *map;
    size_t map_size;
};

struct senti_ctx {
    const senti_model *model;
    void *state;
};

/* Allocate a zeroed model with the given ops and limits from opts. */
senti_model *senti__model_new(const senti__model_ops *ops, const senti_options *opts);
/* Add a metadata pair (copied). */
int senti__model_add_meta(senti_model *m, const char *key, const char *val);
/* Set labels (pointers must outlive the model, e.g. string literals or meta strings). */
void senti__model_set_labels(senti_model *m, int n, const char *const *labels);

/* Model kinds. */
int senti__linear_open_memory(const void *data, size_t size, const senti_options *opts,
                              senti_model **out, char *err, size_t err_size);
int senti__vader_open(const char *path, const senti_options *opts, senti_model **out,
                      char *err, size_t err_size);

/* The embedded default model (bytes of models/default.safetensors). */
extern const unsigned char senti__default_model[];
extern const unsigned char senti__default_model_end[];

/* Map a whole file read-only (MAP_PRIVATE, PROT_READ). An empty file maps to a non-NULL
 * dummy. Errors name the path. */
int senti__map_file(const char *path, void **map, size_t *size, char *err, size_t err_size);
void senti__unmap(void *map, size_t size);

/* Cut len down to max bytes at a UTF-8 character boundary. */
size_t senti__utf8_cut(const char *s, size_t len, size_t max);

/* Format a double the way Python's repr does for values already rounded to at most
 * `decimals` decimals (0.0, 0.752, -0.4939). Returns chars written (snprintf-like). */
int senti__fmt_rounded(char *buf, size_t size, double v, int decimals);

#endif
