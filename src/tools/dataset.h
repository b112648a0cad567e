/*
 * dataset.h - labeled data for `senti train` and `senti eval`.
 *
 * One loader for TSV, CSV and JSONL files with a header (or keys), and for header-less
 * tab-separated files such as ../shared/data/icwsm/{tweets,amazon...}.txt (id, rating, text) where columns are
 * named by 1-based index. The file is mapped (or, for "-" and pipes, read whole), each record is
 * checked, and the texts and labels are copied out, so nothing points into the file afterwards.
 *
 * Rules (the same in every format):
 *   - The label column is `label` unless named; the text column is the first of text, sentence,
 *     content, review (case-insensitive) unless named. A name or 1-based index may be given.
 *     Without a header (no_header) columns are indices; the defaults are label 1, text 2.
 *   - With a header, a TSV/CSV record must have as many fields as the header. A record that
 *     does not, that has an empty label, malformed CSV quoting, invalid JSON, or a missing or
 *     non-string text member, is skipped and described in errors ("FILE:LINE: reason").
 *     A blank line is such a record too ("empty line"); an empty text is a valid record.
 *   - JSONL labels may be strings or numbers (a number is kept as its shortest decimal text).
 *   - A UTF-8 byte order mark at the start of the file is ignored; "\r\n" counts as "\n".
 *
 * Memory: texts[] and the bytes of the texts are one allocation, labels[] and the label bytes
 * another, so loading n records costs a handful of allocations, not n.
 */
#ifndef SENTI_IO_DATASET_H
#define SENTI_IO_DATASET_H

#include <stddef.h>

typedef struct senti__dataset {
    size_t n;        /* records loaded */
    char **texts;    /* NUL-terminated copies (a JSON \u0000 is kept as a NUL byte: use lens) */
    size_t *lens;    /* byte length of each text */
    char **labels;   /* the label field as written in the file (e.g. "1", "positive", "neg") */
    double *ratings; /* numeric value of the label field if it parses as a number, else NAN */
    size_t *lines;   /* 1-based line number where each record starts */
    size_t n_bad;    /* malformed records skipped (each described in the errors list) */
    char **errors;   /* n_bad messages "FILE:LINE: reason" (at most 100 kept; n_bad counts all) */
    size_t n_errors;
} senti__dataset;

typedef struct senti__dataset_opts {
    const char *text_col;  /* name or 1-based index; NULL: first of text, sentence, content, review */
    const char *label_col; /* name or 1-based index; NULL: "label" */
    const char *format;    /* NULL/"auto", "tsv", "csv", "jsonl" */
    int no_header;         /* header-less files: columns by index only (defaults: label 1, text 2) */
} senti__dataset_opts;

#define SENTI__DATASET_MAX_ERRORS 100

/* Load path ("-" is stdin). o may be NULL (all defaults). On success returns SENTI_OK and fills
 * *ds (free it with senti__dataset_free); malformed records are counted in ds->n_bad, not
 * failures. Fails (ds zeroed, reason in err naming the file) if the file cannot be read, its
 * format cannot be told, the header lacks a named column, or it holds no usable record. */
int senti__dataset_load(const char *path, const senti__dataset_opts *o, senti__dataset *ds,
                        char *err, size_t err_size);
void senti__dataset_free(senti__dataset *ds);

#endif
