/*
 * tokenize_main.c - the test and benchmark program of the transformer tokenizers
 * (src/models/transformer/tokenizer.h); tests/cli/tokenizer.sh compares its output with
 * transformers.js.
 *
 *   test-tokenize [options] PATH < texts
 *     PATH          a checkpoint folder (tokenizer.json, else vocab.txt, else vocab.json +
 *                   merges.txt) or a tokenizer.json file
 *     --hex         each input line is the text in hexadecimal (so a text may hold any byte,
 *                   newlines and NUL included); otherwise each line is a text
 *     --max N       truncate to N ids (default 1048576)
 *     --tokens      print the token strings too: "id:token" (token JSON-escaped)
 *     --spans       print the byte span of each token too: "id@start-end"
 *     --decode      print no ids, but each text as the tokenizers read it (invalid UTF-8 as
 *                   U+FFFD, one per bad byte), in hexadecimal: the input of the reference
 *     --bench N     encode every text N times; print the ids per second on stderr
 *   One line per text: the ids, separated by spaces. Exit 1 on a loading error (the message on
 *   stderr), 2 on a usage error.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/base.h"
#include "models/transformer/tokenizer.h"
#include "text/tokenize.h"

typedef struct opts {
    int hex, tokens, spans, decode, bench;
    size_t max;
} opts;

static int unhex(char *s, size_t *len) {
    size_t n = *len;
    if (n % 2) return -1;
    for (size_t i = 0; i < n / 2; i++) {
        unsigned v;
        if (sscanf(s + 2 * i, "%2x", &v) != 1) return -1;
        s[i] = (char)v;
    }
    *len = n / 2;
    return 0;
}

static void print_decoded(const char *s, size_t len) {
    for (size_t at = 0; at < len;) {
        int32_t cp;
        at += (size_t)senti__utf8_decode((const unsigned char *)s + at, len - at, &cp);
        unsigned char u[4];
        int n = cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
        if (n == 1) u[0] = (unsigned char)cp;
        else if (n == 2) u[0] = (unsigned char)(0xC0 | (cp >> 6)), u[1] = (unsigned char)(0x80 | (cp & 63));
        else if (n == 3) u[0] = (unsigned char)(0xE0 | (cp >> 12)), u[1] = (unsigned char)(0x80 | ((cp >> 6) & 63)),
                         u[2] = (unsigned char)(0x80 | (cp & 63));
        else u[0] = (unsigned char)(0xF0 | (cp >> 18)), u[1] = (unsigned char)(0x80 | ((cp >> 12) & 63)),
             u[2] = (unsigned char)(0x80 | ((cp >> 6) & 63)), u[3] = (unsigned char)(0x80 | (cp & 63));
        for (int i = 0; i < n; i++) printf("%02x", u[i]);
    }
    putchar('\n');
}

static void print_ids(const senti__hftok *t, const opts *o, const int32_t *ids,
                      const senti__tokspan *sp, size_t n) {
    for (size_t i = 0; i < n; i++) {
        printf(i ? " %d" : "%d", ids[i]);
        if (o->spans) printf("@%u-%u", sp[i].start, sp[i].end);
        if (o->tokens) {
            const char *tok = senti__hftok_token(t, ids[i]);
            char esc[SENTI__JSON_ESCAPE_MAX(64)];
            size_t tn = tok ? strlen(tok) : 0;
            if (tn > 64) tn = 64;
            esc[senti__json_escape(esc, tok ? tok : "", tn)] = 0;
            printf(":%s", esc);
        }
    }
    putchar('\n');
}

/* Read every line of stdin (hex-decoded if asked). */
static char **read_texts(const opts *o, size_t **lens, size_t *count) {
    char **texts = NULL, *line = NULL;
    size_t cap = 0, n = 0, lcap = 0;
    ssize_t r;
    *lens = NULL;
    while ((r = getline(&line, &lcap, stdin)) >= 0) {
        size_t len = (size_t)r;
        if (len && line[len - 1] == '\n') len--;
        if (o->hex && unhex(line, &len)) {
            fprintf(stderr, "test-tokenize: line %zu is not hexadecimal\n", n + 1);
            exit(2);
        }
        if (n == cap) {
            cap = cap ? 2 * cap : 1024;
            texts = realloc(texts, cap * sizeof *texts);
            *lens = realloc(*lens, cap * sizeof **lens);
            if (!texts || !*lens) exit(3);
        }
        texts[n] = malloc(len + 1);
        if (!texts[n]) exit(3);
        memcpy(texts[n], line, len);
        (*lens)[n++] = len;
    }
    free(line);
    *count = n;
    return texts;
}

static int run(const senti__hftok *t, const opts *o, char **texts, const size_t *lens, size_t n) {
    int32_t *ids = malloc(o->max * sizeof *ids);
    senti__tokspan *sp = malloc(o->max * sizeof *sp);
    if (!ids || !sp) return 3;
    size_t total = 0, m;
    double t0 = senti__now_s();
    for (int rep = 0; rep < (o->bench ? o->bench : 1); rep++)
        for (size_t i = 0; i < n; i++) {
            if (o->decode) {
                print_decoded(texts[i], lens[i]);
                continue;
            }
            int rc = senti__hftok_encode(t, texts[i], lens[i], o->max, ids, o->spans ? sp : NULL, &m);
            if (rc) {
                fprintf(stderr, "test-tokenize: text %zu: %s\n", i + 1, senti_strerror(rc));
                return 1;
            }
            total += m;
            if (!o->bench) print_ids(t, o, ids, sp, m);
        }
    double dt = senti__now_s() - t0;
    if (o->bench)
        fprintf(stderr, "%zu texts x %d: %zu ids in %.3f s: %.0f ids/s, %.2f us/text\n", n, o->bench,
                total, dt, (double)total / dt, dt * 1e6 / ((double)n * o->bench));
    free(ids);
    free(sp);
    return 0;
}

int main(int argc, char **argv) {
    opts o = {.max = 1u << 20};
    const char *path = NULL;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--hex")) o.hex = 1;
        else if (!strcmp(argv[i], "--tokens")) o.tokens = 1;
        else if (!strcmp(argv[i], "--spans")) o.spans = 1;
        else if (!strcmp(argv[i], "--decode")) o.decode = 1;
        else if (!strcmp(argv[i], "--max") && i + 1 < argc) o.max = strtoul(argv[++i], NULL, 10);
        else if (!strcmp(argv[i], "--bench") && i + 1 < argc) o.bench = atoi(argv[++i]);
        else if (argv[i][0] != '-' && !path) path = argv[i];
        else path = NULL, i = argc;
    }
    if (!path || o.max < 1 || o.max > (1u << 24)) {
        fprintf(stderr, "usage: test-tokenize [--hex] [--max N] [--tokens] [--spans] [--decode] [--bench N] PATH < texts\n");
        return 2;
    }
    char err[512];
    senti__hftok *t = NULL;
    size_t plen = strlen(path);
    int rc;
    if (plen >= 5 && !strcmp(path + plen - 5, ".json")) {
        char *data;
        size_t len;
        rc = senti__read_file(path, SENTI__HFTOK_MAX_FILE, &data, &len, err, sizeof err);
        if (!rc) {
            rc = senti__hftok_from_json(data, len, &t, err, sizeof err);
            senti__free(data);
        }
    } else {
        rc = senti__hftok_load_dir(path, &t, err, sizeof err);
    }
    if (rc) {
        fprintf(stderr, "test-tokenize: %s\n", err);
        return 1;
    }
    size_t n, *lens;
    char **texts = read_texts(&o, &lens, &n);
    rc = run(t, &o, texts, lens, n);
    for (size_t i = 0; i < n; i++) free(texts[i]);
    free(texts);
    free(lens);
    senti__hftok_free(t);
    return rc;
}
