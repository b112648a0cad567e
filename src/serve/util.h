/*
 * util.h - small helpers of the HTTP service: a growable byte buffer with JSON escaping,
 * clocks, and parsers for durations and sizes given on the command line.
 */
#ifndef SENTI_SERVE_UTIL_H
#define SENTI_SERVE_UTIL_H

#include <stddef.h>
#include <stdint.h>

/* A growable buffer. After an allocation failure `oom` is set and further appends are
 * ignored, so a caller checks once at the end instead of after every append. */
typedef struct sbuf {
    char *p;
    size_t len, cap;
    int oom;
} sbuf;

void sb_reserve(sbuf *b, size_t extra);
void sb_put(sbuf *b, const void *s, size_t n);
void sb_str(sbuf *b, const char *s);
void sb_printf(sbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* s[0..n) as a JSON string, quotes included; invalid UTF-8 becomes U+FFFD. */
void sb_json_str(sbuf *b, const char *s, size_t n);
/* Prometheus label value: backslash, double quote and newline escaped. */
void sb_label(sbuf *b, const char *s);
/* A finite double in shortest round-trip form ("0.25", "1e-06"); NaN/Inf as Prometheus spells them. */
void sb_double(sbuf *b, double v);
void sb_free(sbuf *b);
/* Detach the buffer (NUL-terminated); the caller frees it. NULL after an allocation failure. */
char *sb_take(sbuf *b);

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
