/* util.c - Prometheus escaping and numbers for the service's buffer (src/base's senti__buf),
 * wall clocks, duration and size parsing. The monotonic clock is src/base's. */
#include "serve/util.h"

#include "base/base.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

void sb_label(sbuf *b, const char *s) {
    for (; *s; s++) {
        if (*s == '\\') sb_put(b, "\\\\", 2);
        else if (*s == '"') sb_put(b, "\\\"", 2);
        else if (*s == '\n') sb_put(b, "\\n", 2);
        else sb_put(b, s, 1);
    }
}

void sb_double(sbuf *b, double v) {
    if (isnan(v)) {
        sb_str(b, "NaN");
        return;
    }
    if (isinf(v)) {
        sb_str(b, v > 0 ? "+Inf" : "-Inf");
        return;
    }
    char tmp[40];
    for (int prec = 6; prec <= 17; prec++) {
        snprintf(tmp, sizeof tmp, "%.*g", prec, v);
        if (strtod(tmp, NULL) == v) break;
    }
    sb_str(b, tmp);
}

uint64_t now_ns(void) { return senti__now_ns(); }

double unix_now(void) {
    struct timespec t;
    clock_gettime(CLOCK_REALTIME, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

void iso_time(char *out, size_t size) {
    /* The date part changes once a second: keep it per thread. */
    static __thread time_t last_sec = -1;
    static __thread char last[24];
    struct timespec t;
    clock_gettime(CLOCK_REALTIME, &t);
    if (t.tv_sec != last_sec) {
        struct tm tm;
        gmtime_r(&t.tv_sec, &tm);
        strftime(last, sizeof last, "%Y-%m-%dT%H:%M:%S", &tm);
        last_sec = t.tv_sec;
    }
    snprintf(out, size, "%s.%06ldZ", last, t.tv_nsec / 1000);
}

double parse_duration(const char *s) {
    if (!s || !*s) return -1;
    char *end;
    double v = strtod(s, &end);
    if (end == s || !isfinite(v) || v < 0) return -1;
    double mul;
    if (!*end || !strcmp(end, "s")) mul = 1;
    else if (!strcmp(end, "ms")) mul = 1e-3;
    else if (!strcmp(end, "us")) mul = 1e-6;
    else if (!strcmp(end, "m")) mul = 60;
    else if (!strcmp(end, "h")) mul = 3600;
    else return -1;
    return v * mul;
}

long long parse_size(const char *s) {
    if (!s || !*s || *s == '-') return -1;
    char *end;
    double v = strtod(s, &end);
    if (end == s || !isfinite(v) || v < 0) return -1;
    double mul = 1;
    if (*end) {
        switch (*end) {
        case 'k': case 'K': mul = 1024.0; break;
        case 'm': case 'M': mul = 1024.0 * 1024; break;
        case 'g': case 'G': mul = 1024.0 * 1024 * 1024; break;
        default: return -1;
        }
        end++;
        if (*end == 'i') end++;
        if (*end == 'B' || *end == 'b') end++;
        if (*end) return -1;
    }
    v *= mul;
    if (v > 9e18) return -1;
    return (long long)v;
}
