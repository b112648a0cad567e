/*
 * buf.c - the growable byte buffer. Appends double the capacity as needed; the contents stay
 * NUL-terminated so they can be handed out as a C string. An allocation failure is sticky
 * (`oom`): later appends do nothing, so a long sequence of appends needs one check at the end.
 */
#include <stdio.h>
#include <string.h>

#include "base/base.h"

senti__buf senti__buf_fixed(char *mem, size_t cap) {
    senti__buf b = {mem, 0, cap, 0, 1};
    if (cap) mem[0] = 0;
    return b;
}

int senti__buf_reserve(senti__buf *b, size_t n) {
    if (b->oom) return SENTI_ENOMEM;
    if (n < b->cap - b->len) return SENTI_OK; /* room for n bytes and the NUL */
    if (b->fixed) return b->oom = 1, SENTI_ENOMEM;
    if (n > SIZE_MAX / 2 - b->len) return b->oom = 1, SENTI_ENOMEM;
    size_t cap = b->cap ? b->cap : 256;
    while (cap <= b->len + n) cap *= 2;
    char *p = senti__realloc(b->p, cap);
    if (!p) return b->oom = 1, SENTI_ENOMEM;
    b->p = p;
    b->cap = cap;
    return SENTI_OK;
}

int senti__buf_add(senti__buf *b, const void *s, size_t n) {
    if (senti__buf_reserve(b, n)) return SENTI_ENOMEM;
    if (n) memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = 0;
    return SENTI_OK;
}

int senti__buf_str(senti__buf *b, const char *s) { return senti__buf_add(b, s, strlen(s)); }

int senti__buf_printf(senti__buf *b, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0) return SENTI_EINVAL;
    if (senti__buf_reserve(b, (size_t)n)) return SENTI_ENOMEM;
    va_start(ap, fmt);
    vsnprintf(b->p + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
    return SENTI_OK;
}

int senti__buf_json(senti__buf *b, const char *s, size_t n) {
    if (n > (SIZE_MAX - 2) / 6 || senti__buf_reserve(b, SENTI__JSON_ESCAPE_MAX(n)))
        return b->oom = 1, SENTI_ENOMEM;
    b->len += senti__json_escape(b->p + b->len, s, n);
    b->p[b->len] = 0;
    return SENTI_OK;
}

char *senti__buf_take(senti__buf *b) {
    char *p = NULL;
    if (b->fixed) {
        if (!b->oom) p = senti__strndup(b->p, b->len);
    } else {
        p = b->oom ? NULL : b->p;
        if (!p && !b->oom) p = senti__strdup("");
        if (b->oom) senti__free(b->p);
    }
    *b = (senti__buf){0};
    return p;
}

void senti__buf_free(senti__buf *b) {
    if (!b->fixed) senti__free(b->p);
    *b = (senti__buf){0};
}
