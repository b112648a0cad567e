/*
 * records.h - reading and writing records: plain lines, TSV, CSV (RFC 4180) and JSONL.
 *
 * Everything here works on bytes in memory (a mapped file or a buffer read from a pipe), with
 * no allocation per record on the hot paths:
 *
 *   format        senti__fmt_from_path() by extension, senti__fmt_sniff() by content.
 *   boundaries    senti__record_scan() finds where one record ends: at a newline for lines,
 *                 TSV and JSONL; for CSV at a newline outside quotes. "\r\n" counts as "\n"
 *                 (the "\r" is not part of the record); a last record without a newline is a
 *                 record. senti__chunk_end() finds a record boundary near a target offset so
 *                 that a buffer can be cut into chunks for worker threads.
 *   fields        senti__tsv_split() (tab-separated, no quoting: fields point into the record),
 *                 senti__csv_* (libcsv in strict mode; unquoted copies in a per-thread buffer),
 *                 senti__jsonl_* (jansson; the text member by name).
 *   header        senti__column_find(): a 1-based index or a name (case-insensitive).
 *   output        escapers for CSV/TSV fields and numbers (JSON strings and the buffer are
 *                 src/base's).
 *
 * CSV boundary rule. A double quote opens a quoted field only at the start of a field (at the
 * start of the record or right after a comma); inside a quoted field "" is a literal quote and
 * any other quote closes the field. Newlines inside a quoted field belong to the record. This is
 * the same grammar libcsv applies in strict mode, so on well-formed input both agree, and a stray
 * quote in the middle of an unquoted field (a"b) does not swallow the following lines: libcsv
 * rejects that one record instead. A quote that opens a field and is never closed would make the
 * rest of the input one record (or run on to some later line's quote); instead, when the input
 * ends (or SENTI__CSV_MAX_QUOTED bytes pass) inside quotes, or when a quoted field that spans
 * lines is closed by a quote followed by something other than a comma or a line end (so that
 * "closing" quote was really an opening one further down), the record is cut at its first newline
 * and flagged: one broken line costs one record.
 */
#ifndef SENTI_IO_RECORDS_H
#define SENTI_IO_RECORDS_H

#include <stddef.h>
#include <stdint.h>

#include <csv.h>
#include <jansson.h>

#include "base/base.h"

typedef enum senti__fmt {
    SENTI__FMT_AUTO = 0,
    SENTI__FMT_LINES,
    SENTI__FMT_TSV,
    SENTI__FMT_CSV,
    SENTI__FMT_JSONL
} senti__fmt;

/* "auto", "lines", "tsv", "csv", "jsonl". */
const char *senti__fmt_name(senti__fmt f);
/* Parse a format name ("lines"/"txt", "tsv", "csv", "jsonl"/"ndjson"/"json", "auto");
 * returns 0 or -1 if unknown. */
int senti__fmt_parse(const char *name, senti__fmt *out);
/* By extension (.tsv .csv .jsonl .ndjson .json .txt is not decisive): AUTO if not known. */
senti__fmt senti__fmt_from_path(const char *path);
/* By content, looking at the first non-blank line of buf: a line starting with '{' -> JSONL,
 * a line with a tab -> TSV, otherwise LINES (or, if allow_csv, a line with a comma -> CSV). */
senti__fmt senti__fmt_sniff(const char *buf, size_t len, int allow_csv);

/* Bytes of a UTF-8 byte order mark at the start of buf (0 or 3). */
size_t senti__bom_len(const char *buf, size_t len);
/* The encoding named by a byte order mark at the start of buf that is not UTF-8 ("UTF-16LE",
 * "UTF-16BE", "UTF-32LE", "UTF-32BE"), or NULL: text senti would misread as bytes. A UTF-16
 * mark counts only with a NUL byte within the 512 bytes after it (UTF-16 text has one in every
 * ASCII character, space and line end), so that FF FE starting invalid UTF-8 stays text. */
const char *senti__bom_foreign(const char *buf, size_t len);
/* The advice that goes with it: convert to UTF-8 first. */
#define SENTI__BOM_ADVICE "senti reads UTF-8; convert it first (iconv -f UTF-16 -t UTF-8, or -f UTF-32)"

/* ---- record boundaries ------------------------------------------------------------------ */

/* A quoted CSV field longer than this is taken as an unterminated quote. */
#define SENTI__CSV_MAX_QUOTED ((size_t)64 << 20)

typedef struct senti__rec {
    const char *ptr; /* the record's bytes, without its "\n" / "\r\n" */
    size_t len;
    size_t lines;    /* newlines the record's bytes consume, including its terminator (0 for a
                        last record without one); the next record starts this many lines later */
    int bad_quote;   /* CSV: a quote was never closed; the record was cut at its first newline */
} senti__rec;

/* Scan the record that starts at buf[0] (len > 0). final: nothing follows buf (end of input).
 * Returns the bytes consumed (record plus terminator), or 0 if !final and buf holds no complete
 * record yet (read more and call again). */
size_t senti__record_scan(senti__fmt fmt, const char *buf, size_t len, int final, senti__rec *rec);

/* The end of a run of whole records starting at buf[0] whose length is about target: the first
 * record boundary at or after target (or len if final and none). Returns 0 if !final and no record
 * in buf is complete. For lines/TSV/JSONL this touches only the bytes around target; for CSV it
 * scans from the start (quotes decide where records end). */
size_t senti__chunk_end(senti__fmt fmt, const char *buf, size_t len, size_t target, int final);

/* Count of "\n" in buf[0..len). */
size_t senti__count_newlines(const char *buf, size_t len);

/* ---- fields -------------------------------------------------------------------------- */

typedef struct senti__field {
    const char *ptr;
    size_t len;
} senti__field;

/* Split a TSV record at tabs. Stores up to cap fields, returns how many the record has
 * (an empty record has one empty field). */
size_t senti__tsv_split(const char *rec, size_t len, senti__field *f, size_t cap);

/* A CSV record parser (one per thread): fields are unquoted copies kept in buf until the next
 * call. */
typedef struct senti__csv {
    struct csv_parser p;
    char *buf;            /* field bytes, each followed by a NUL */
    size_t used, cap;
    senti__field *fields; /* pointing into buf after a successful parse */
    size_t n, fields_cap;
    int oom;
} senti__csv;

int senti__csv_init(senti__csv *c);
void senti__csv_free(senti__csv *c);
/* Parse one record found by senti__record_scan (no terminator). Returns the number of fields
 * (>= 1; an empty record is one empty field), or a negative status with a message in err
 * (SENTI_EDATA for malformed quoting, naming the 1-based column; SENTI_ENOMEM). */
long senti__csv_parse(senti__csv *c, const char *rec, size_t len, char *err, size_t err_size);

/* JSONL: parse one record as a JSON object (jansson, \u0000 allowed). Returns the object (a new
 * reference) or NULL with "invalid JSON at column N: reason" / "not a JSON object" in err. */
json_t *senti__jsonl_parse(const char *rec, size_t len, char *err, size_t err_size);
/* The default text keys, in order of preference. */
extern const char *const senti__text_keys[];
/* The text member: key, or if key is NULL the first of senti__text_keys that is present.
 * Returns 0 with the string in *s and *n, or -1 with a reason in err (missing, not a string). */
int senti__jsonl_text(json_t *obj, const char *key, const char **s, size_t *n, char *err,
                      size_t err_size);

/* ---- header and columns ------------------------------------------------------------------ */

/* The 0-based column named by spec: a 1-based number ("3"), or a header name compared
 * case-insensitively (hdr may be NULL when there is no header: then only numbers work).
 * Returns -1 if there is no such column. */
long senti__column_find(const senti__field *hdr, size_t n_hdr, const char *spec);
/* The first header column named one of senti__text_keys, or -1. */
long senti__column_default_text(const senti__field *hdr, size_t n_hdr);

/* ---- output ------------------------------------------------------------------------------ */

/* Output goes into a senti__buf and JSON strings through senti__json_escape (src/base). */

/* The longest output senti__csv_quote writes for an input of n bytes. */
#define SENTI__CSV_QUOTE_MAX(n) ((n) * 2 + 2)

/* Write s as one CSV field: quoted (with "" for ") only if it holds a comma, quote, CR or LF or
 * starts/ends with a space. out must have SENTI__CSV_QUOTE_MAX(n) bytes. */
size_t senti__csv_quote(char *out, const char *s, size_t n);
/* Write s as one TSV field: tabs, CR and LF become spaces (TSV has no quoting). */
size_t senti__tsv_clean(char *out, const char *s, size_t n);

/* A probability-like number the way senti prints it: up to 4 decimals, trailing zeros cut
 * but one kept ("0.9731", "0.5", "1.0", "-0.25"). Returns bytes written (at most 32). */
size_t senti__fmt_num(char *out, double v);

#endif
