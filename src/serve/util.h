/*
 * util.h - small helpers of the HTTP service: short names for the base layer's buffer,
 * Prometheus escaping, wall clocks, and parsers for durations and sizes given on the
 * command line.
 */
#ifndef SENTI_SERVE_UTIL_H
#define SENTI_SERVE_UTIL_H

#include <stddef.h>
#include <stdint.h>

#include "base/base.h"

/* The service's buffer is the one growable buffer of src/base (senti__buf: after an
 * allocation failure `oom` is set and further appends are ignored, so a caller checks once at
 * the end); these short names keep the service's code readable. A body taken from it is freed
 * with senti__free, which is what the responses handed to libmicrohttpd are given. */
typedef senti__buf sbuf;

static inline void sb_reserve(sbuf *b, size_t extra) { senti__buf_reserve(b, extra); }
static inline void sb_put(sbuf *b, const void *s, size_t n) { senti__buf_add(b, s, n); }
static inline void sb_str(sbuf *b, const char *s) { senti__buf_str(b, s); }
#define sb_printf(b, ...) ((void)senti__buf_printf((b), __VA_ARGS__))
/* s[0..n) as a JSON string, quotes included; invalid UTF-8 becomes U+FFFD. */
static inline void sb_json_str(sbuf *b, const char *s, size_t n) { senti__buf_json(b, s, n); }
static inline void sb_free(sbuf *b) { senti__buf_free(b); }
/* Detach the contents (NUL-terminated; free with senti__free). NULL after a failure. */
static inline char *sb_take(sbuf *b) { return senti__buf_take(b); }
/* Prometheus label value: backslash, double quote and newline escaped. */
void sb_label(sbuf *b, const char *s);
/* A finite double in shortest round-trip form ("0.25", "1e-06"); NaN/Inf as Prometheus spells them. */
void sb_double(sbuf *b, double v);
/* Monotonic nanoseconds; wall-clock seconds since the epoch. */
uint64_t now_ns(void);
double unix_now(void);
/* "2024-05-01T12:00:00.123456Z" into out (at least 28 bytes). */
void iso_time(char *out, size_t size);

/* "250ms", "2s", "1.5" (seconds), "1m", "1h" -> seconds; -1 if malformed or negative. */
double parse_duration(const char *s);
/* "1048576", "64k", "64K", "8M", "1G" (powers of 1024) -> bytes; -1 if malformed. */
long long parse_size(const char *s);

#endif
