/*
 * log.h - structured log: one JSON object per line,
 *   {"time":"2024-05-01T12:00:00.123456Z","level":"info","msg":"...", ...members}
 * written with a single write(2), so lines from different threads never interleave.
 */
#ifndef SENTI_SERVE_LOG_H
#define SENTI_SERVE_LOG_H

#include <stddef.h>

#include "serve/util.h"

enum { SLOG_DEBUG, SLOG_INFO, SLOG_WARN, SLOG_ERROR, SLOG_OFF };

/* dest: "stderr", "stdout", "none" or a file (appended to). level: debug|info|warn|error|off. */
int slog_open(const char *dest, const char *level, char *err, size_t errsz);
void slog_close(void);
int slog_enabled(int level);
const char *slog_level_name(int level);
/* Write a line; members are JSON object members (",\"k\":v..." with a leading comma) or "". */
void slog_write(int level, const char *msg, const char *members, size_t mlen);
/* A message with printf-formatted members (the caller escapes strings with sb_json_str). */
void slog(int level, const char *msg, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* A message with one string member, escaped here. */
void slog_s(int level, const char *msg, const char *key, const char *val);

#endif
