/* The web page's files (src/serve/web/), embedded read-only in senti-serve; web.c serves
 * them. Each file is a pair of symbols, start and end; the paths are relative to the
 * repository root, where the build runs (the Makefile lists the same files as the
 * object's prerequisites, so an edited asset rebuilds it). */
#define ASSET(sym, path)        \
    .section .rodata;           \
    .balign 16;                 \
    .globl sym;                 \
    .hidden sym;                \
sym:                            \
    .incbin path;               \
    .globl sym##_end;           \
    .hidden sym##_end;          \
sym##_end:                      \
    .byte 0

ASSET(serve_web_index_html, "src/serve/web/index.html")
ASSET(serve_web_app_js, "src/serve/web/app.js")
ASSET(serve_web_app_css, "src/serve/web/app.css")
ASSET(serve_web_icon_svg, "src/serve/web/icon.svg")
    .section .note.GNU-stack,"",@progbits
