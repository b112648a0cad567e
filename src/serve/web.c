/*
 * web.c - the web page of `senti serve`: its files, compiled into the program, and the
 * headers they are sent with.
 *
 * The files live in src/serve/web/ and are embedded by web_assets.S (.incbin), so the
 * program needs nothing beside it and the page cannot drift from the binary that serves it.
 * Each file is answered at one path ("/" is index.html) with its content type, an ETag (the
 * XXH3-64 of its bytes, computed once at start), "Cache-Control: no-cache" (a browser keeps
 * the copy and revalidates it: 304 when the ETag still matches, so a new binary's page is
 * never stale), and a Content-Security-Policy that lets the page load only its own script,
 * style and icon and talk only to this server: no inline script, no other origin, no frames.
 * `--no-ui` leaves all of this out (the paths are then 404 like any unknown one).
 */
#include <string.h>
#include <xxhash.h>

#include "serve/web.h"

extern const char serve_web_index_html[], serve_web_index_html_end[];
extern const char serve_web_app_js[], serve_web_app_js_end[];
extern const char serve_web_app_css[], serve_web_app_css_end[];
extern const char serve_web_icon_svg[], serve_web_icon_svg_end[];

static web_asset assets[] = {
    {"/", "text/html; charset=utf-8", serve_web_index_html, 0, ""},
    {"/app.js", "text/javascript; charset=utf-8", serve_web_app_js, 0, ""},
    {"/app.css", "text/css; charset=utf-8", serve_web_app_css, 0, ""},
    {"/icon.svg", "image/svg+xml", serve_web_icon_svg, 0, ""},
};
#define N_ASSETS (sizeof assets / sizeof *assets)

const char web_csp[] =
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
    "connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

void web_init(void) {
    const char *ends[N_ASSETS] = {serve_web_index_html_end, serve_web_app_js_end,
                                  serve_web_app_css_end, serve_web_icon_svg_end};
    for (size_t i = 0; i < N_ASSETS; i++) {
        assets[i].len = (size_t)(ends[i] - assets[i].data);
        XXH64_hash_t h = XXH3_64bits(assets[i].data, assets[i].len);
        static const char hex[] = "0123456789abcdef";
        char *e = assets[i].etag;
        *e++ = '"';
        for (int k = 60; k >= 0; k -= 4) *e++ = hex[(h >> k) & 15];
        *e++ = '"';
        *e = 0;
    }
}

const web_asset *web_find(const char *path) {
    for (size_t i = 0; i < N_ASSETS; i++)
        if (!strcmp(path, assets[i].path)) return &assets[i];
    if (!strcmp(path, "/index.html")) return &assets[0];
    return NULL;
}

/* If-None-Match: a list of entity tags, or "*". */
int web_etag_matches(const web_asset *a, const char *if_none_match) {
    if (!if_none_match) return 0;
    const char *p = if_none_match;
    size_t n = strlen(a->etag);
    while (*p) {
        while (*p == ' ' || *p == '\t' || *p == ',') p++;
        if (*p == '*') return 1;
        if (!strncmp(p, "W/", 2)) p += 2;
        if (!strncmp(p, a->etag, n) && (p[n] == 0 || p[n] == ',' || p[n] == ' ')) return 1;
        p += strcspn(p, ",");
    }
    return 0;
}
