/*
 * text.c - UTF-8 helpers, the JSON string escaper and number formatting that the library and
 * the programs share: one escaper, so a label, a text or an error message is escaped the
 * same way wherever senti writes JSON.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "base/base.h"

size_t senti__utf8_seq(const unsigned char *s, size_t n) {
    if (!n) return 0;
    unsigned c = s[0];
    if (c < 0x80) return 1;
    if (c < 0xC2) return 0;
    if (c < 0xE0) return n >= 2 && (s[1] & 0xC0) == 0x80 ? 2 : 0;
    if (c < 0xF0) {
        if (n < 3 || (s[1] & 0xC0) != 0x80 || (s[2] & 0xC0) != 0x80) return 0;
        if (c == 0xE0 && s[1] < 0xA0) return 0; /* overlong */
        if (c == 0xED && s[1] >= 0xA0) return 0; /* surrogate */
        return 3;
    }
    if (c < 0xF5) {
        if (n < 4 || (s[1] & 0xC0) != 0x80 || (s[2] & 0xC0) != 0x80 || (s[3] & 0xC0) != 0x80)
            return 0;
        if (c == 0xF0 && s[1] < 0x90) return 0;  /* overlong */
        if (c == 0xF4 && s[1] >= 0x90) return 0; /* > U+10FFFF */
        return 4;
    }
    return 0;
}

size_t senti__utf8_cut(const char *s, size_t len, size_t max) {
    if (len <= max) return len;
    size_t n = max;
    /* step back over continuation bytes (at most 3) so a character is not split */
    for (int k = 0; k < 3 && n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80; k++) n--;
    return n;
}

/* The escape of an ASCII byte that JSON does not allow as it is, into o; returns its length. */
static size_t json_escape_ascii(char *o, unsigned c) {
    static const char hex[] = "0123456789abcdef";
    o[0] = '\\';
    switch (c) {
    case '"': o[1] = '"'; return 2;
    case '\\': o[1] = '\\'; return 2;
    case '\n': o[1] = 'n'; return 2;
    case '\r': o[1] = 'r'; return 2;
    case '\t': o[1] = 't'; return 2;
    case '\b': o[1] = 'b'; return 2;
    case '\f': o[1] = 'f'; return 2;
    default:
        memcpy(o + 1, "u00", 3);
        o[4] = hex[c >> 4];
        o[5] = hex[c & 15];
        return 6;
    }
}

size_t senti__json_escape(char *out, const char *s, size_t n) {
    const unsigned char *u = (const unsigned char *)s;
    char *o = out;
    *o++ = '"';
    size_t i = 0;
    while (i < n) {
        unsigned c = u[i];
        if (c >= 0x20 && c < 0x80 && c != '"' && c != '\\') {
            *o++ = (char)c;
            i++;
        } else if (c < 0x80) {
            o += json_escape_ascii(o, c);
            i++;
        } else {
            size_t k = senti__utf8_seq(u + i, n - i);
            if (k) {
                memcpy(o, u + i, k);
                o += k;
                i += k;
            } else {
                memcpy(o, "\xEF\xBF\xBD", 3); /* U+FFFD */
                o += 3;
                i++;
            }
        }
    }
    *o++ = '"';
    return (size_t)(o - out);
}

int senti__fmt_rounded(char *buf, size_t size, double v, int decimals) {
    if (!isfinite(v)) return snprintf(buf, size, "null");
    if (decimals < 0) decimals = 0;
    if (decimals > 17) decimals = 17;
    /* beyond 1e15 a fixed-point form says nothing more than %.17g and can be 300 digits long */
    if (fabs(v) >= 1e15) return snprintf(buf, size, "%.17g", v);
    char tmp[48]; /* at most 16 integer digits, a sign, a point and 17 decimals */
    snprintf(tmp, sizeof tmp, "%.*f", decimals, v);
    /* trim trailing zeros but keep one digit after the point: 0.0, 0.75, -0.4939 */
    char *dot = strchr(tmp, '.');
    if (dot) {
        char *end = tmp + strlen(tmp) - 1;
        while (end > dot + 1 && *end == '0') *end-- = 0;
        return snprintf(buf, size, "%s", tmp);
    }
    return snprintf(buf, size, "%s.0", tmp);
}
