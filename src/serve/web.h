/*
 * web.h - the web page's files embedded in senti-serve (web.c): found by path, with the
 * headers they are answered with.
 */
#ifndef SENTI_SERVE_WEB_H
#define SENTI_SERVE_WEB_H

#include <stddef.h>

typedef struct web_asset {
    const char *path; /* "/" for index.html */
    const char *type; /* Content-Type */
    const char *data;
    size_t len;
    char etag[20];    /* "0123456789abcdef", quotes included */
} web_asset;

/* The Content-Security-Policy of the page's responses. */
extern const char web_csp[];

/* Measure the files and compute their ETags; once, before serving. */
void web_init(void);
/* The file served at path, or NULL. */
const web_asset *web_find(const char *path);
/* The If-None-Match header names a's ETag (or "*"): answer 304. */
int web_etag_matches(const web_asset *a, const char *if_none_match);

#endif
