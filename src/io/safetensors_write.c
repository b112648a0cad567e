/*
 * safetensors_write.c - the writer of the container described in safetensors.h: tensors
 * ordered by decreasing element size and metadata keys sorted, so the same content always
 * gives the same bytes, and the header padded so the data starts on a 64-byte boundary. Only
 * the programs write models (senti train), so this file is in the tools library, not libsenti.
 */
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/base.h"
#include "io/safetensors.h"

#define FAIL(status, ...)                                   \
    do {                                                    \
        rc = senti__err(err, err_size, status, __VA_ARGS__); \
        goto fail;                                          \
    } while (0)

static int cmp_out(const void *a, const void *b) {
    const senti__st_out *x = *(const senti__st_out *const *)a, *y = *(const senti__st_out *const *)b;
    size_t sx = senti__dtype_size(x->dtype), sy = senti__dtype_size(y->dtype);
    if (sx != sy) return sx > sy ? -1 : 1;
    return strcmp(x->name, y->name);
}

int senti__st_write(const char *path, const senti__st_out *t, size_t n, const char *const *meta_kv,
                    size_t n_meta, char *err, size_t err_size) {
    int rc = SENTI_OK;
    json_t *root = json_object(), *meta = json_object();
    char *hdr = NULL;
    FILE *f = NULL;
    const senti__st_out **order = senti__calloc(n ? n : 1, sizeof *order);
    if (!root || !meta || !order) FAIL(SENTI_ENOMEM, "out of memory");
    /* every jansson call is checked: a failure (out of memory, or a key or value that is not
     * UTF-8) must not silently leave an entry out of the file */
    for (size_t i = 0; i < n_meta; i++)
        if (json_object_set_new(meta, meta_kv[2 * i], json_string(meta_kv[2 * i + 1])))
            FAIL(SENTI_EINVAL, "%s: metadata '%.64s' is not valid UTF-8 (or out of memory)", path,
                 meta_kv[2 * i]);
    if (json_object_set(root, "__metadata__", meta)) FAIL(SENTI_ENOMEM, "out of memory");
    for (size_t i = 0; i < n; i++) order[i] = &t[i];
    qsort(order, n, sizeof *order, cmp_out);
    uint64_t off = 0;
    for (size_t i = 0; i < n; i++) {
        const senti__st_out *o = order[i];
        json_t *shape = json_array(), *offs = json_array(), *ent = json_object();
        int bad = !shape || !offs || !ent;
        uint64_t count = 1;
        for (int d = 0; d < o->ndim; d++) {
            bad |= json_array_append_new(shape, json_integer((json_int_t)o->shape[d]));
            count *= o->shape[d];
        }
        uint64_t nb = count * senti__dtype_size(o->dtype);
        bad |= json_array_append_new(offs, json_integer((json_int_t)off));
        bad |= json_array_append_new(offs, json_integer((json_int_t)(off + nb)));
        bad |= json_object_set_new(ent, "dtype", json_string(senti__dtype_name(o->dtype)));
        bad |= json_object_set_new(ent, "shape", shape);     /* takes shape, even on failure */
        bad |= json_object_set_new(ent, "data_offsets", offs);
        bad |= json_object_set_new(root, o->name, ent);
        if (bad) FAIL(SENTI_ENOMEM, "out of memory");
        off += nb;
    }
    hdr = json_dumps(root, JSON_COMPACT | JSON_SORT_KEYS);
    if (!hdr) FAIL(SENTI_ENOMEM, "out of memory");
    size_t hl = strlen(hdr);
    size_t padded = ((8 + hl + 63) & ~(size_t)63) - 8;
    f = fopen(path, "wb");
    if (!f) FAIL(SENTI_EIO, "%s: %s", path, strerror(errno));
    unsigned char lenb[8];
    for (int i = 0; i < 8; i++) lenb[i] = (unsigned char)((uint64_t)padded >> (8 * i));
    fwrite(lenb, 1, 8, f);
    fwrite(hdr, 1, hl, f);
    for (size_t i = hl; i < padded; i++) fputc(' ', f);
    for (size_t i = 0; i < n; i++) {
        uint64_t count = 1;
        for (int d = 0; d < order[i]->ndim; d++) count *= order[i]->shape[d];
        fwrite(order[i]->data, senti__dtype_size(order[i]->dtype), (size_t)count, f);
    }
    if (ferror(f) | fclose(f)) {
        f = NULL;
        FAIL(SENTI_EIO, "%s: write failed: %s", path, strerror(errno));
    }
    f = NULL;
fail:
    if (f) fclose(f);
    free(hdr);
    senti__free(order);
    json_decref(meta);
    json_decref(root);
    return rc;
}
