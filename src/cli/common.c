/* common.c - helpers shared by the subcommands: model options, numbers, errors. */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>
#include <xxhash.h>

#include "cli/cli.h"

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

int cli_model_opt(cli_model_args *a, int opt, const char *arg) {
    unsigned long v;
    switch (opt) {
    case 'm':
        a->spec = arg;
        return 1;
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

int cli_ncpu(void) {
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n > 0 ? (int)n : 1;
}

void cli_json_string(FILE *f, const char *s, size_t n) {
    static const char hex[] = "0123456789abcdef";
    fputc('"', f);
    for (size_t i = 0; i < n;) {
        unsigned char c = (unsigned char)s[i];
        if (c < 0x20 || c == '"' || c == '\\' || c == 0x7f) {
            switch (c) {
            case '"': fputs("\\\"", f); break;
            case '\\': fputs("\\\\", f); break;
            case '\n': fputs("\\n", f); break;
            case '\r': fputs("\\r", f); break;
            case '\t': fputs("\\t", f); break;
            default:
                fputs("\\u00", f);
                fputc(hex[c >> 4], f);
                fputc(hex[c & 15], f);
            }
            i++;
            continue;
        }
        if (c < 0x80) {
            fputc(c, f);
            i++;
            continue;
        }
        /* copy a well-formed UTF-8 sequence; anything else becomes U+FFFD */
        int len = c >= 0xC2 && c <= 0xDF ? 2 : c >= 0xE0 && c <= 0xEF ? 3 : c >= 0xF0 && c <= 0xF4 ? 4 : 0;
        int ok = len && i + (size_t)len <= n;
        for (int k = 1; ok && k < len; k++) ok = ((unsigned char)s[i + k] & 0xC0) == 0x80;
        if (ok && len == 3) {
            unsigned c1 = (unsigned char)s[i + 1];
            if ((c == 0xE0 && c1 < 0xA0) || (c == 0xED && c1 >= 0xA0)) ok = 0;
        }
        if (ok && len == 4) {
            unsigned c1 = (unsigned char)s[i + 1];
            if ((c == 0xF0 && c1 < 0x90) || (c == 0xF4 && c1 >= 0x90)) ok = 0;
        }
        if (ok) {
            fwrite(s + i, 1, (size_t)len, f);
            i += (size_t)len;
        } else {
            fputs("\xEF\xBF\xBD", f);
            i++;
        }
    }
    fputc('"', f);
}

int cli_label_class(const char *raw) {
    static const struct {
        const char *word;
        int cls;
    } map[] = {{"0", CLI_NEG}, {"-1", CLI_NEG}, {"neg", CLI_NEG}, {"negative", CLI_NEG},
               {"1", CLI_POS}, {"pos", CLI_POS}, {"positive", CLI_POS},
               {"neu", CLI_NEU}, {"neutral", CLI_NEU}};
    if (!raw) return -1;
    for (size_t i = 0; i < sizeof map / sizeof *map; i++)
        if (!strcasecmp(raw, map[i].word)) return map[i].cls;
    return -1;
}

const char *cli_class_name(int cls) {
    return cls == CLI_NEG ? "negative" : cls == CLI_POS ? "positive" : cls == CLI_NEU ? "neutral" : "?";
}

int cli_file_digest(const char *path, char out[33]) {
    out[0] = 0;
    FILE *f = fopen(path, "rb");
    if (!f) return -1;
    XXH3_state_t *st = XXH3_createState();
    if (!st) {
        fclose(f);
        return -1;
    }
    XXH3_128bits_reset(st);
    char buf[1 << 16];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, f)) > 0) XXH3_128bits_update(st, buf, n);
    int bad = ferror(f);
    fclose(f);
    XXH128_hash_t h = XXH3_128bits_digest(st);
    XXH3_freeState(st);
    if (bad) return -1;
    snprintf(out, 33, "%016llx%016llx", (unsigned long long)h.high64, (unsigned long long)h.low64);
    return 0;
}
