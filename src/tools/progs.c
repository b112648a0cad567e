/*
 * progs.c - helpers of the command-line programs: the model options and opening a model,
 * integer options, error messages, core count, and allocation that exits on failure.
 */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>

#include "tools/progs.h"

void cli_error(const char *cmd, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "senti %s: ", cmd);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
}

int cli_parse_uint(const char *opt, const char *s, unsigned long lo, unsigned long hi,
                   unsigned long *out) {
    char *end;
    errno = 0;
    unsigned long v = strtoul(s, &end, 10);
    if (!*s || *s == '-' || *end || errno || v < lo || v > hi) {
        fprintf(stderr, "senti: %s expects a whole number from %lu to %lu, not '%s'\n", opt, lo, hi, s);
        return -1;
    }
    *out = v;
    return 0;
}

int cli_model_spec(cli_model_args *a, const char *spec) {
    if (!spec || !*spec) {
        fprintf(stderr, "senti: a model is 'default', a model file or KIND:PATH, not an empty string\n");
        return -1;
    }
    a->spec = spec;
    return 0;
}

int cli_model_opt(cli_model_args *a, int opt, const char *arg) {
    unsigned long v;
    switch (opt) {
    case 'm':
        return cli_model_spec(a, arg) ? -1 : 1;
    case 0x1001:
        a->opts.lexicon_dir = arg;
        return 1;
    case 0x1002:
        if (cli_parse_uint("--max-bytes", arg, 1, 0xFFFFFFFFul, &v)) return -1;
        a->opts.max_text_bytes = (uint32_t)v;
        return 1;
    case 0x1003:
        if (cli_parse_uint("--max-tokens", arg, 1, 0xFFFFFFFFul, &v)) return -1;
        a->opts.max_tokens = (uint32_t)v;
        return 1;
    }
    return 0;
}

senti_model *cli_open_model(const cli_model_args *a) {
    senti_model *m = NULL;
    char err[512];
    int rc = senti_model_open(a->spec, &a->opts, &m, err, sizeof err);
    if (rc) {
        fprintf(stderr, "senti: cannot open model '%s': %s\n", a->spec ? a->spec : "default", err);
        return NULL;
    }
    return m;
}

void cli_print_kinds(FILE *f) {
    for (int i = 0; i < senti_kind_count(); i++) fprintf(f, "  %s\n", senti_kind_help(i));
}

int cli_ncpu(void) {
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n > 0 ? (int)n : 1;
}

static void *oom(void) {
    fputs("senti: out of memory\n", stderr);
    exit(CLI_FAIL);
}

void *xmalloc(size_t n) {
    void *p = malloc(n ? n : 1);
    return p ? p : oom();
}

void *xcalloc(size_t count, size_t size) {
    void *p = calloc(count ? count : 1, size ? size : 1);
    return p ? p : oom();
}

void *xrealloc(void *p, size_t n) {
    void *q = realloc(p, n ? n : 1);
    return q ? q : oom();
}
