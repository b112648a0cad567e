/*
 * base.h - the bottom layer: what every other part of senti is built on, and that depends on
 * nothing but libc (and the status codes of senti.h).
 *
 *   allocation   senti__malloc/calloc/realloc/free: every byte the library allocates goes
 *                through them, so it can be redirected (senti_set_allocator), counted
 *                (senti_memory_stats_get) and made to fail on purpose in tests.
 *   errors       senti__err formats a message into the caller's buffer and returns a status,
 *                so that an error is one line: `return senti__err(err, n, SENTI_EIO, "...")`.
 *   text         UTF-8 helpers, the one JSON string escaper, number formatting.
 *   buffers      senti__buf, the one growable byte buffer.
 *   files        read-only mappings and whole-file reads that refuse what is not a regular file
 *                (a FIFO or a device would block or never end).
 *   clocks       senti__now_ns, the one monotonic clock.
 *
 * The layers above: src/core (the model handle, the registry of model kinds, prediction),
 * src/text, src/io, src/kernels and src/models/KIND (the library); src/tools (what the
 * programs share); src/cli and src/serve (the programs). Nothing here includes them.
 */
#ifndef SENTI_BASE_H
#define SENTI_BASE_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include "senti.h"

/* ---- allocation ------------------------------------------------------------------------ */

void *senti__malloc(size_t n);
void *senti__calloc(size_t count, size_t size); /* overflow-checked */
void *senti__realloc(void *p, size_t n);
void senti__free(void *p);
char *senti__strdup(const char *s);
char *senti__strndup(const char *s, size_t n);
/* Tests only: make the n-th allocation from now fail (and every one after); -1 disables. */
void senti__alloc_fail_after(long n);

/* ---- errors ------------------------------------------------------------------------------ */

/* Format a message into err (may be NULL) and return status. */
int senti__err(char *err, size_t err_size, int status, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* ---- text -------------------------------------------------------------------------------- */

/* Length of the well-formed UTF-8 sequence at s[0..n) (1..4), or 0 if there is none. */
size_t senti__utf8_seq(const unsigned char *s, size_t n);
/* Cut len down to max bytes at a UTF-8 character boundary. */
size_t senti__utf8_cut(const char *s, size_t len, size_t max);

/* The longest output senti__json_escape writes for an input of n bytes. */
#define SENTI__JSON_ESCAPE_MAX(n) ((n) * 6 + 2)
/* Write s[0..n) as a JSON string with its quotes; invalid UTF-8 becomes U+FFFD, control
 * characters and NUL are escaped. out must have SENTI__JSON_ESCAPE_MAX(n) bytes. Returns
 * the bytes written. */
size_t senti__json_escape(char *out, const char *s, size_t n);

/* Format a double the way Python's repr does for values already rounded to at most
 * `decimals` decimals (0.0, 0.752, -0.4939); any double is safe (huge ones in %.17g form,
 * NaN and infinities as null). Returns chars written or needed (snprintf-like). */
int senti__fmt_rounded(char *buf, size_t size, double v, int decimals);

/* ---- buffers ------------------------------------------------------------------------------ */

/* A growable byte buffer, kept NUL-terminated. After an allocation failure `oom` is set and
 * further appends are ignored, so a caller may check once at the end; the appending
 * functions also return SENTI_ENOMEM for callers that check each step. A buffer over memory
 * the caller owns (senti__buf_fixed: a stack array, say) never grows: what does not fit sets
 * `oom` instead, and free leaves the memory alone. */
typedef struct senti__buf {
    char *p;
    size_t len, cap;
    int oom;
    int fixed; /* p is the caller's: never reallocated or freed */
} senti__buf;

/* A buffer over mem[0..cap), cap >= 1. */
senti__buf senti__buf_fixed(char *mem, size_t cap);

/* Make room for n more bytes (and the NUL); 0 or SENTI_ENOMEM. */
int senti__buf_reserve(senti__buf *b, size_t n);
int senti__buf_add(senti__buf *b, const void *s, size_t n);
int senti__buf_str(senti__buf *b, const char *s);
int senti__buf_printf(senti__buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* s[0..n) as a JSON string (senti__json_escape). */
int senti__buf_json(senti__buf *b, const char *s, size_t n);
/* Detach the contents (NUL-terminated, free with senti__free); NULL after a failure. */
char *senti__buf_take(senti__buf *b);
void senti__buf_free(senti__buf *b);

/* ---- files ------------------------------------------------------------------------------ */

/* Open path for reading, refusing what is not a regular file before any read could block
 * (opened with O_NONBLOCK, then fstat). Returns an fd, or -1 with the reason in err. */
int senti__open_regular(const char *path, uint64_t *size, char *err, size_t err_size);

/* Map a whole regular file read-only (MAP_PRIVATE, PROT_READ). An empty file maps to a
 * non-NULL dummy. Errors name the path. */
int senti__map_file(const char *path, void **map, size_t *size, char *err, size_t err_size);
void senti__unmap(void *map, size_t size);

/* Read a whole regular file of at most max bytes into memory (NUL-terminated, free with
 * senti__free). Errors name the path. */
int senti__read_file(const char *path, size_t max, char **data, size_t *size, char *err,
                     size_t err_size);

/* ---- clocks ------------------------------------------------------------------------------ */

/* Monotonic nanoseconds (CLOCK_MONOTONIC), for durations and deadlines. */
uint64_t senti__now_ns(void);
/* The same in seconds. */
double senti__now_s(void);

#endif
