/*
 * safetensors.c - the reader of the container described in safetensors.h (the writer, which
 * only the programs use, is safetensors_write.c).
 * The reader trusts nothing in the file: every length, count and offset is checked
 * before use, and the JSON header is parsed by jansson with a hard size bound.
 */
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/base.h"
#include "io/safetensors.h"

static const struct {
    const char *name;
    size_t size;
} dtypes[SENTI__DT_COUNT] = {
    [SENTI__DT_F64] = {"F64", 8}, [SENTI__DT_F32] = {"F32", 4}, [SENTI__DT_F16] = {"F16", 2},
    [SENTI__DT_BF16] = {"BF16", 2}, [SENTI__DT_I64] = {"I64", 8}, [SENTI__DT_I32] = {"I32", 4},
    [SENTI__DT_I16] = {"I16", 2}, [SENTI__DT_I8] = {"I8", 1}, [SENTI__DT_U8] = {"U8", 1},
    [SENTI__DT_BOOL] = {"BOOL", 1},
};

const char *senti__dtype_name(senti__dtype d) { return d < SENTI__DT_COUNT ? dtypes[d].name : "?"; }
size_t senti__dtype_size(senti__dtype d) { return d < SENTI__DT_COUNT ? dtypes[d].size : 0; }

static int dtype_parse(const char *s, senti__dtype *d) {
    for (int i = 0; i < SENTI__DT_COUNT; i++)
        if (strcmp(s, dtypes[i].name) == 0) return *d = (senti__dtype)i, 1;
    return 0;
}

void senti__st_free(senti__st *st) {
    if (!st) return;
    for (size_t i = 0; i < st->n; i++) senti__free(st->t[i].name);
    senti__free(st->t);
    for (size_t i = 0; i < st->n_meta; i++) {
        senti__free(st->meta_keys[i]);
        senti__free(st->meta_vals[i]);
    }
    senti__free(st->meta_keys);
    senti__free(st->meta_vals);
    memset(st, 0, sizeof *st);
}

const senti__tensor *senti__st_find(const senti__st *st, const char *name) {
    for (size_t i = 0; i < st->n; i++)
        if (strcmp(st->t[i].name, name) == 0) return &st->t[i];
    return NULL;
}

const char *senti__st_meta(const senti__st *st, const char *key) {
    for (size_t i = 0; i < st->n_meta; i++)
        if (strcmp(st->meta_keys[i], key) == 0) return st->meta_vals[i];
    return NULL;
}

static int cmp_offset(const void *a, const void *b) {
    const senti__tensor *x = a, *y = b;
    const char *px = x->data, *py = y->data;
    return px < py ? -1 : px > py;
}

#define FAIL(status, ...)                                   \
    do {                                                    \
        rc = senti__err(err, err_size, status, __VA_ARGS__); \
        goto fail;                                          \
    } while (0)

int senti__st_parse(const void *buf, size_t size, senti__st *st, char *err, size_t err_size) {
    int rc = SENTI_OK;
    json_t *root = NULL;
    memset(st, 0, sizeof *st);
    const unsigned char *p = buf;
    if (size < 8) FAIL(SENTI_EFORMAT, "file too short for a safetensors header (%zu bytes)", size);
    uint64_t hlen = 0;
    for (int i = 7; i >= 0; i--) hlen = (hlen << 8) | p[i];
    if (hlen > SENTI__ST_MAX_HEADER)
        FAIL(SENTI_EFORMAT, "header length %llu exceeds the limit of %u bytes",
             (unsigned long long)hlen, SENTI__ST_MAX_HEADER);
    if (hlen > size - 8)
        FAIL(SENTI_EFORMAT, "truncated: header length %llu but only %zu bytes follow",
             (unsigned long long)hlen, size - 8);
    if (hlen < 2 || p[8] != '{') FAIL(SENTI_EFORMAT, "header is not a JSON object");
    const unsigned char *data = p + 8 + hlen;
    size_t data_size = size - 8 - (size_t)hlen;
    json_error_t jerr;
    root = json_loadb((const char *)p + 8, (size_t)hlen, JSON_REJECT_DUPLICATES, &jerr);
    if (!root) FAIL(SENTI_EFORMAT, "header JSON: %s (column %d)", jerr.text, jerr.column);
    if (!json_is_object(root)) FAIL(SENTI_EFORMAT, "header is not a JSON object");
    size_t nt = json_object_size(root);
    if (nt > SENTI__ST_MAX_TENSORS + 1) FAIL(SENTI_EFORMAT, "too many tensors (%zu)", nt);
    st->t = senti__calloc(nt ? nt : 1, sizeof *st->t);
    if (!st->t) FAIL(SENTI_ENOMEM, "out of memory");
    const char *key;
    json_t *val;
    json_object_foreach(root, key, val) {
        if (strcmp(key, "__metadata__") == 0) {
            if (!json_is_object(val)) FAIL(SENTI_EFORMAT, "__metadata__ is not an object");
            size_t nm = json_object_size(val);
            st->meta_keys = senti__calloc(nm ? nm : 1, sizeof(char *));
            st->meta_vals = senti__calloc(nm ? nm : 1, sizeof(char *));
            if (!st->meta_keys || !st->meta_vals) FAIL(SENTI_ENOMEM, "out of memory");
            const char *mk;
            json_t *mv;
            json_object_foreach(val, mk, mv) {
                if (!json_is_string(mv)) FAIL(SENTI_EFORMAT, "__metadata__ value of '%.64s' is not a string", mk);
                st->meta_keys[st->n_meta] = senti__strdup(mk);
                st->meta_vals[st->n_meta] = senti__strndup(json_string_value(mv), json_string_length(mv));
                st->n_meta++;
                if (!st->meta_keys[st->n_meta - 1] || !st->meta_vals[st->n_meta - 1])
                    FAIL(SENTI_ENOMEM, "out of memory");
            }
            continue;
        }
        if (strlen(key) > 256) FAIL(SENTI_EFORMAT, "tensor name longer than 256 bytes");
        senti__tensor *t = &st->t[st->n];
        if (!json_is_object(val)) FAIL(SENTI_EFORMAT, "tensor '%s' is not an object", key);
        json_t *jd = json_object_get(val, "dtype"), *js = json_object_get(val, "shape"),
               *jo = json_object_get(val, "data_offsets");
        if (!json_is_string(jd) || !dtype_parse(json_string_value(jd), &t->dtype))
            FAIL(SENTI_EFORMAT, "tensor '%s': missing or unknown dtype", key);
        if (!json_is_array(js) || json_array_size(js) > SENTI__ST_MAX_DIMS)
            FAIL(SENTI_EFORMAT, "tensor '%s': shape must be an array of at most %d sizes", key,
                 SENTI__ST_MAX_DIMS);
        if (!json_is_array(jo) || json_array_size(jo) != 2)
            FAIL(SENTI_EFORMAT, "tensor '%s': data_offsets must be [begin, end]", key);
        t->ndim = (int)json_array_size(js);
        uint64_t count = 1;
        for (int d = 0; d < t->ndim; d++) {
            json_t *x = json_array_get(js, (size_t)d);
            if (!json_is_integer(x) || json_integer_value(x) < 0)
                FAIL(SENTI_EFORMAT, "tensor '%s': shape entries must be non-negative integers", key);
            t->shape[d] = (uint64_t)json_integer_value(x);
            if (t->shape[d] && count > UINT64_MAX / t->shape[d])
                FAIL(SENTI_EFORMAT, "tensor '%s': shape overflows", key);
            count *= t->shape[d];
        }
        t->count = count;
        size_t esz = dtypes[t->dtype].size;
        if (count > SIZE_MAX / esz) FAIL(SENTI_EFORMAT, "tensor '%s': size overflows", key);
        json_t *jb = json_array_get(jo, 0), *je = json_array_get(jo, 1);
        if (!json_is_integer(jb) || !json_is_integer(je) || json_integer_value(jb) < 0 ||
            json_integer_value(je) < json_integer_value(jb))
            FAIL(SENTI_EFORMAT, "tensor '%s': bad data_offsets", key);
        uint64_t b = (uint64_t)json_integer_value(jb), e = (uint64_t)json_integer_value(je);
        if (e > data_size)
            FAIL(SENTI_EFORMAT,
                 "truncated or corrupt: tensor '%s' needs data bytes [%llu, %llu) but the file has %zu",
                 key, (unsigned long long)b, (unsigned long long)e, data_size);
        if (e - b != count * esz)
            FAIL(SENTI_EFORMAT, "tensor '%s': %llu bytes for %llu elements of %s", key,
                 (unsigned long long)(e - b), (unsigned long long)count, dtypes[t->dtype].name);
        t->data = data + b;
        t->nbytes = (size_t)(e - b);
        if (((uintptr_t)t->data % esz) != 0)
            FAIL(SENTI_EFORMAT, "tensor '%s': data not aligned to %zu bytes", key, esz);
        t->name = senti__strdup(key);
        if (!t->name) FAIL(SENTI_ENOMEM, "out of memory");
        st->n++;
    }
    /* no holes, no overlap (empty tensors excepted) */
    if (st->n) {
        senti__tensor *sorted = senti__malloc(st->n * sizeof *sorted);
        if (!sorted) FAIL(SENTI_ENOMEM, "out of memory");
        memcpy(sorted, st->t, st->n * sizeof *sorted);
        qsort(sorted, st->n, sizeof *sorted, cmp_offset);
        const unsigned char *at = data;
        for (size_t i = 0; i < st->n; i++) {
            const unsigned char *b = sorted[i].data;
            if (b != at && sorted[i].nbytes) {
                const char *what = b < at ? "overlaps another" : "leaves a hole before it";
                int r = senti__err(err, err_size, SENTI_EFORMAT, "tensor '%s' %s", sorted[i].name, what);
                senti__free(sorted);
                rc = r;
                goto fail;
            }
            if (sorted[i].nbytes) at = b + sorted[i].nbytes;
        }
        senti__free(sorted);
    }
    json_decref(root);
    return SENTI_OK;
fail:
    json_decref(root);
    senti__st_free(st);
    return rc;
}
