/*
 * safetensors.h - the model container: reading (in place, bounded, hostile-input safe) and writing.
 *
 * FORMAT (safetensors, https://github.com/huggingface/safetensors):
 *   bytes 0..7     N, the header length, unsigned 64-bit little-endian
 *   bytes 8..8+N   a JSON object (UTF-8), padded at its end with spaces:
 *                    "__metadata__": {string: string, ...}            (optional)
 *                    NAME: {"dtype": "F32"|"F16"|"I8"|"U8"|"I32"|"I64"|"F64"|...,
 *                           "shape": [d0, d1, ...],
 *                           "data_offsets": [begin, end]}              (one per tensor)
 *   bytes 8+N..    the tensor data; offsets are relative to this point, little-endian,
 *                  row-major, with no holes and no overlap.
 * senti writes the header padded so that the data starts on a 64-byte boundary and orders
 * tensors by decreasing element size, so every tensor is aligned for in-place use when the
 * file is mapped (mmap is page aligned). The reader accepts any valid file and rejects a
 * tensor whose data is not aligned to its element size.
 *
 * Limits checked by the reader: N <= 64 MiB and N <= file size - 8; at most 4096 tensors,
 * 8 dimensions, names of 256 bytes; element counts and byte sizes are overflow-checked;
 * every tensor lies inside the file; unknown dtypes, duplicate names, holes and overlaps
 * are errors.
 */
#ifndef SENTI_SAFETENSORS_H
#define SENTI_SAFETENSORS_H

#include <stddef.h>
#include <stdint.h>

#define SENTI__ST_MAX_HEADER (64u << 20)
#define SENTI__ST_MAX_TENSORS 4096
#define SENTI__ST_MAX_DIMS 8

typedef enum senti__dtype {
    SENTI__DT_F64, SENTI__DT_F32, SENTI__DT_F16, SENTI__DT_BF16, SENTI__DT_I64, SENTI__DT_I32,
    SENTI__DT_I16, SENTI__DT_I8, SENTI__DT_U8, SENTI__DT_BOOL, SENTI__DT_COUNT
} senti__dtype;

typedef struct senti__tensor {
    char *name;
    senti__dtype dtype;
    int ndim;
    uint64_t shape[SENTI__ST_MAX_DIMS];
    uint64_t count;   /* elements */
    const void *data; /* in the caller's buffer */
    size_t nbytes;
} senti__tensor;

typedef struct senti__st {
    senti__tensor *t;
    size_t n;
    char **meta_keys, **meta_vals; /* __metadata__, in file order */
    size_t n_meta;
} senti__st;

const char *senti__dtype_name(senti__dtype d);
size_t senti__dtype_size(senti__dtype d);

/* Parse buf[0..size). Tensors point into buf. */
int senti__st_parse(const void *buf, size_t size, senti__st *st, char *err, size_t err_size);
void senti__st_free(senti__st *st);
const senti__tensor *senti__st_find(const senti__st *st, const char *name);
const char *senti__st_meta(const senti__st *st, const char *key);

/* Writing: tensors with data in memory; metadata pairs. Keys are sorted in the header, so
 * the same content always gives the same bytes. */
typedef struct senti__st_out {
    const char *name;
    senti__dtype dtype;
    int ndim;
    uint64_t shape[SENTI__ST_MAX_DIMS];
    const void *data;
} senti__st_out;

int senti__st_write(const char *path, const senti__st_out *t, size_t n, const char *const *meta_kv,
                    size_t n_meta, char *err, size_t err_size);

#endif
