/* log.c - JSON log lines to stderr, stdout or a file (see log.h). */
#include "serve/log.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static int log_fd = 2;
static int log_owned;
static int log_level = SLOG_INFO;

static const char *const names[] = {"debug", "info", "warn", "error", "off"};

const char *slog_level_name(int level) {
    return level >= 0 && level <= SLOG_OFF ? names[level] : "?";
}

int slog_open(const char *dest, const char *level, char *err, size_t errsz) {
    int lv = -1;
    for (int i = 0; i <= SLOG_OFF; i++)
        if (!strcmp(level, names[i])) lv = i;
    if (lv < 0) {
        snprintf(err, errsz, "--log-level expects debug, info, warn, error or off, not '%s'", level);
        return -1;
    }
    int fd;
    if (!strcmp(dest, "stderr")) fd = 2;
    else if (!strcmp(dest, "stdout")) fd = 1;
    else if (!strcmp(dest, "none")) {
        fd = -1;
        lv = SLOG_OFF;
    } else {
        fd = open(dest, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
        if (fd < 0) {
            snprintf(err, errsz, "cannot open log file '%s': %s", dest, strerror(errno));
            return -1;
        }
        log_owned = 1;
    }
    log_fd = fd;
    log_level = lv;
    return 0;
}

void slog_close(void) {
    if (log_owned && log_fd >= 0) close(log_fd);
    log_fd = 2;
    log_owned = 0;
}

int slog_enabled(int level) { return log_fd >= 0 && level >= log_level && level < SLOG_OFF; }

void slog_write(int level, const char *msg, const char *members, size_t mlen) {
    if (!slog_enabled(level)) return;
    char stack[4096];
    sbuf b = senti__buf_fixed(stack, sizeof stack);
    char t[40];
    iso_time(t, sizeof t);
    /* the stack buffer (fixed: never grown) is used when the whole line fits; otherwise the
     * line goes to a heap buffer */
    b.len = (size_t)snprintf(stack, sizeof stack, "{\"time\":\"%s\",\"level\":\"%s\",\"msg\":", t,
                             names[level]);
    sbuf h = {0};
    int heap = 0;
    size_t need = b.len + strlen(msg) * 6 + 2 + mlen + 3;
    if (need > sizeof stack) {
        sb_put(&h, stack, b.len);
        heap = 1;
    }
    sbuf *o = heap ? &h : &b;
    sb_json_str(o, msg, strlen(msg));
    sb_put(o, members, mlen);
    sb_put(o, "}\n", 2);
    if (!o->oom) {
        ssize_t w = write(log_fd, o->p, o->len);
        (void)w;
    }
    if (heap) sb_free(&h);
}

void slog(int level, const char *msg, const char *fmt, ...) {
    if (!slog_enabled(level)) return;
    char buf[2048];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    if (n < 0) n = 0;
    if ((size_t)n >= sizeof buf) n = 0; /* too long to be one of ours: drop the members */
    slog_write(level, msg, buf, (size_t)n);
}

void slog_s(int level, const char *msg, const char *key, const char *val) {
    if (!slog_enabled(level)) return;
    sbuf b = {0};
    sb_put(&b, ",", 1);
    sb_json_str(&b, key, strlen(key));
    sb_put(&b, ":", 1);
    sb_json_str(&b, val, strlen(val));
    if (!b.oom) slog_write(level, msg, b.p, b.len);
    sb_free(&b);
}
