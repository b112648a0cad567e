/*
 * registry.c - the table of model kinds, and opening a model by spec, file or memory.
 *
 * A kind is one folder under src/models/ and one line of SENTI__KINDS below: the line
 * declares the kind's entry (`const senti__kind senti__KIND_kind`, defined in its folder) and
 * puts it in the table. Everything that lists or chooses kinds reads the table: the spec
 * parser (KIND:PATH), the dispatch of a model file on its __metadata__.kind, the "known:"
 * part of error messages, senti_kind_count/senti_kind_name/senti_kind_help (what
 * `senti --help` and `senti model info` print).
 *
 * Opening a model file: map it (or read it into memory the model owns, SENTI_OPEN_READ),
 * parse the safetensors header, find the kind named by __metadata__.kind, let the kind build
 * the model from the parsed tensors, then copy the metadata and record the source.
 */
#include <string.h>
#include <unistd.h>

#include "core/core.h"

#define SENTI__KINDS(X) \
    X(linear)           \
    X(vader)            \
    X(transformer)

#define KIND_DECLARE(k) extern const senti__kind senti__##k##_kind;
SENTI__KINDS(KIND_DECLARE)
#define KIND_ENTRY(k) &senti__##k##_kind,
const senti__kind *const senti__kinds[] = {SENTI__KINDS(KIND_ENTRY) NULL};

static int name_is(const char *s, const char *name, size_t len) {
    return s && strlen(s) == len && !memcmp(s, name, len);
}

const senti__kind *senti__kind_find(const char *name, size_t len) {
    for (const senti__kind *const *k = senti__kinds; *k; k++)
        if (name_is((*k)->name, name, len)) return *k;
    return NULL;
}

/* A kind by its name or its alias (spec prefixes: "hf:DIR" is transformer's open_path). */
static const senti__kind *kind_find_spec(const char *name, size_t len) {
    const senti__kind *k = senti__kind_find(name, len);
    for (const senti__kind *const *p = senti__kinds; !k && *p; p++)
        if (name_is((*p)->alias, name, len)) k = *p;
    return k;
}

const char *senti__kind_names(void) {
#define KIND_NAME(k) ", " #k
    static const char names[] = SENTI__KINDS(KIND_NAME);
    return names + 2;
}

SENTI_API int senti_kind_count(void) { return (int)(sizeof senti__kinds / sizeof *senti__kinds) - 1; }
SENTI_API const char *senti_kind_name(int i) {
    return i >= 0 && i < senti_kind_count() ? senti__kinds[i]->name : NULL;
}
SENTI_API const char *senti_kind_help(int i) {
    return i >= 0 && i < senti_kind_count() ? senti__kinds[i]->help : NULL;
}

/* Options a later version may give meaning to are refused when set, so a caller never
 * believes a flag took effect that this version does not know. */
static int opts_check(const senti_options *opts, char *err, size_t err_size) {
    if (!opts) return SENTI_OK;
    if (opts->flags & ~SENTI_OPEN_READ)
        return senti__err(err, err_size, SENTI_EINVAL, "unknown senti_options.flags 0x%x", opts->flags);
    for (size_t i = 0; i < sizeof opts->reserved / sizeof *opts->reserved; i++)
        if (opts->reserved[i])
            return senti__err(err, err_size, SENTI_EINVAL, "senti_options.reserved must be zero");
    return SENTI_OK;
}

/* ---- model files ----------------------------------------------------------------------------- */

/* Build a model from a senti model file's bytes (used in place), dispatching on its kind;
 * want (KIND:PATH) is the kind the file must be, or NULL for any. */
static int open_parsed(const void *data, size_t size, const senti__kind *want, const senti_options *opts,
                       senti_model **out, char *err, size_t err_size) {
    senti__st st;
    int rc = senti__st_parse(data, size, &st, err, err_size);
    if (rc) return rc;
    const char *name = senti__st_meta(&st, "kind");
    const senti__kind *k = name ? senti__kind_find(name, strlen(name)) : NULL;
    if (!name)
        rc = senti__err(err, err_size, SENTI_EFORMAT, "not a senti model (no 'kind' in __metadata__)");
    else if (want && k != want)
        rc = senti__err(err, err_size, SENTI_EKIND, "a model of kind '%.32s', not %s", name, want->name);
    else if (!k || !k->open_file)
        rc = senti__err(err, err_size, SENTI_EKIND, "model kind '%.32s' has no model files here (known: %s)",
                        name, senti__kind_names());
    else
        rc = k->open_file(&st, opts, out, err, err_size);
    for (size_t i = 0; !rc && i < st.n_meta; i++)
        if (senti__model_add_meta(*out, st.meta_keys[i], st.meta_vals[i]))
            rc = senti__err(err, err_size, SENTI_ENOMEM, "out of memory");
    senti__st_free(&st);
    if (rc) {
        senti_model_free(*out);
        *out = NULL;
        return rc;
    }
    (*out)->src_data = data;
    (*out)->src_size = size;
    return SENTI_OK;
}

SENTI_API int senti_model_open_memory(const void *data, size_t size, const senti_options *opts,
                                      senti_model **out, char *err, size_t err_size) {
    if (!out) return senti__err(err, err_size, SENTI_EINVAL, "no output model pointer");
    *out = NULL;
    if (!data && size) return senti__err(err, err_size, SENTI_EINVAL, "no model data");
    if (((uintptr_t)data & 7) != 0)
        return senti__err(err, err_size, SENTI_EINVAL, "model data must be 8-byte aligned");
    int rc = opts_check(opts, err, err_size);
    if (rc) return rc;
    return open_parsed(data, size, NULL, opts, out, err, err_size);
}

SENTI_API int senti_model_open_default(const senti_options *opts, senti_model **out) {
    size_t size = (size_t)(senti__default_model_end - senti__default_model);
    return senti_model_open_memory(senti__default_model, size, opts, out, NULL, 0);
}

/* Map path, or read it into memory the model will own (SENTI_OPEN_READ). */
static int load_file(const char *path, const senti_options *opts, void **data, size_t *size,
                     int *owned, char *err, size_t err_size) {
    *owned = opts && (opts->flags & SENTI_OPEN_READ);
    if (!*owned) return senti__map_file(path, data, size, err, err_size);
    char *p;
    int rc = senti__read_file(path, SIZE_MAX - 1, &p, size, err, err_size);
    *data = p;
    return rc;
}

/* A model file, of kind want (or any, NULL). */
static int open_file(const char *path, const senti__kind *want, const senti_options *opts,
                     senti_model **out, char *err, size_t err_size) {
    if (!out) return senti__err(err, err_size, SENTI_EINVAL, "no output model pointer");
    *out = NULL;
    if (!path || !*path) return senti__err(err, err_size, SENTI_EINVAL, "no model path");
    int rc = opts_check(opts, err, err_size);
    if (rc) return rc;
    void *data;
    size_t size;
    int owned;
    rc = load_file(path, opts, &data, &size, &owned, err, err_size);
    if (rc) return rc;
    char sub[256];
    rc = open_parsed(data, size, want, opts, out, sub, sizeof sub);
    if (!rc && !((*out)->src_path = senti__strdup(path))) {
        senti_model_free(*out);
        *out = NULL;
        rc = senti__err(sub, sizeof sub, SENTI_ENOMEM, "out of memory");
    }
    if (rc) {
        if (owned) senti__free(data);
        else senti__unmap(data, size);
        return senti__err(err, err_size, rc, "%s: %s", path, sub);
    }
    if (owned) (*out)->owned = data;
    else (*out)->map = data, (*out)->map_size = size;
    return SENTI_OK;
}

SENTI_API int senti_model_open_file(const char *path, const senti_options *opts,
                                    senti_model **out, char *err, size_t err_size) {
    return open_file(path, NULL, opts, out, err, err_size);
}

/* ---- specs ----------------------------------------------------------------------------------- */

SENTI_API int senti_model_open(const char *spec, const senti_options *opts, senti_model **out,
                               char *err, size_t err_size) {
    if (!out) return senti__err(err, err_size, SENTI_EINVAL, "no output model pointer");
    *out = NULL;
    int rc = opts_check(opts, err, err_size);
    if (rc) return rc;
    if (!spec || strcmp(spec, "default") == 0) {
        rc = senti_model_open_default(opts, out);
        if (rc) return senti__err(err, err_size, rc, "embedded default model: %s", senti_strerror(rc));
        return rc;
    }
    if (!*spec) return senti__err(err, err_size, SENTI_EINVAL, "empty model spec (use \"default\")");
    /* KIND:PATH, where KIND is lower-case letters; anything else is a path. */
    const char *colon = strchr(spec, ':');
    size_t klen = colon ? (size_t)(colon - spec) : 0;
    int is_kind = klen > 0 && klen < 32;
    for (size_t i = 0; is_kind && i < klen; i++)
        if (spec[i] < 'a' || spec[i] > 'z') is_kind = 0;
    if (is_kind) {
        const senti__kind *k = kind_find_spec(spec, klen);
        if (k && k->open_path) return k->open_path(colon + 1, opts, out, err, err_size);
        if (k) return open_file(colon + 1, k, opts, out, err, err_size);
        if (access(spec, F_OK) != 0)
            return senti__err(err, err_size, SENTI_EKIND, "unknown model kind '%.*s' in '%s' (known: %s)",
                              (int)klen, spec, spec, senti__kind_names());
    }
    return senti_model_open_file(spec, opts, out, err, err_size);
}
