/*
 * records.c - record formats: detection, boundaries, fields, escaping. See records.h.
 */
#include "tools/records.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/core.h"

/* ---- formats ----------------------------------------------------------------------------- */

const char *senti__fmt_name(senti__fmt f) {
    switch (f) {
    case SENTI__FMT_LINES: return "lines";
    case SENTI__FMT_TSV: return "tsv";
    case SENTI__FMT_CSV: return "csv";
    case SENTI__FMT_JSONL: return "jsonl";
    default: return "auto";
    }
}

int senti__fmt_parse(const char *name, senti__fmt *out) {
    static const struct { const char *name; senti__fmt f; } names[] = {
        {"auto", SENTI__FMT_AUTO}, {"lines", SENTI__FMT_LINES}, {"txt", SENTI__FMT_LINES},
        {"text", SENTI__FMT_LINES}, {"tsv", SENTI__FMT_TSV},    {"csv", SENTI__FMT_CSV},
        {"jsonl", SENTI__FMT_JSONL}, {"ndjson", SENTI__FMT_JSONL}, {"json", SENTI__FMT_JSONL},
    };
    for (size_t i = 0; name && i < sizeof names / sizeof names[0]; i++)
        if (strcasecmp(name, names[i].name) == 0) {
            *out = names[i].f;
            return 0;
        }
    return -1;
}

senti__fmt senti__fmt_from_path(const char *path) {
    const char *dot = path ? strrchr(path, '.') : NULL;
    if (!dot || strchr(dot, '/')) return SENTI__FMT_AUTO;
    dot++;
    if (strcasecmp(dot, "tsv") == 0 || strcasecmp(dot, "tab") == 0) return SENTI__FMT_TSV;
    if (strcasecmp(dot, "csv") == 0) return SENTI__FMT_CSV;
    if (strcasecmp(dot, "jsonl") == 0 || strcasecmp(dot, "ndjson") == 0 ||
        strcasecmp(dot, "json") == 0)
        return SENTI__FMT_JSONL;
    return SENTI__FMT_AUTO;
}

size_t senti__bom_len(const char *buf, size_t len) {
    return len >= 3 && memcmp(buf, "\xEF\xBB\xBF", 3) == 0 ? 3 : 0;
}

const char *senti__bom_foreign(const char *buf, size_t len) {
    const unsigned char *b = (const unsigned char *)buf;
    if (len >= 4 && b[0] == 0xFF && b[1] == 0xFE && b[2] == 0 && b[3] == 0) return "UTF-32LE";
    if (len >= 4 && b[0] == 0 && b[1] == 0 && b[2] == 0xFE && b[3] == 0xFF) return "UTF-32BE";
    /* FF FE or FE FF may also start a line of invalid UTF-8 (scored as it is): UTF-16 text has
     * a NUL byte in every ASCII character, space and line end, so one is required soon after */
    int nul = len > 2 && memchr(b + 2, 0, len - 2 < 512 ? len - 2 : 512) != NULL;
    if (nul && b[0] == 0xFF && b[1] == 0xFE) return "UTF-16LE";
    if (nul && b[0] == 0xFE && b[1] == 0xFF) return "UTF-16BE";
    return NULL;
}

senti__fmt senti__fmt_sniff(const char *buf, size_t len, int allow_csv) {
    size_t i = senti__bom_len(buf, len);
    /* first non-blank line */
    for (;;) {
        while (i < len && (buf[i] == ' ' || buf[i] == '\t' || buf[i] == '\r')) i++;
        if (i < len && buf[i] == '\n') {
            i++;
            continue;
        }
        break;
    }
    if (i >= len) return SENTI__FMT_LINES;
    if (buf[i] == '{') return SENTI__FMT_JSONL;
    const char *nl = memchr(buf + i, '\n', len - i);
    size_t end = nl ? (size_t)(nl - buf) : len;
    if (memchr(buf + i, '\t', end - i)) return SENTI__FMT_TSV;
    if (allow_csv && memchr(buf + i, ',', end - i)) return SENTI__FMT_CSV;
    return SENTI__FMT_LINES;
}

/* ---- boundaries -------------------------------------------------------------------------- */

size_t senti__count_newlines(const char *buf, size_t len) {
    size_t n = 0;
    const char *p = buf, *end = buf + len;
    while (p < end && (p = memchr(p, '\n', (size_t)(end - p))) != NULL) {
        n++;
        p++;
    }
    return n;
}

/* A record that ends at the newline at nl (or at buf+len if nl is NULL). */
static size_t rec_at(const char *buf, size_t len, const char *nl, senti__rec *rec) {
    size_t rlen = nl ? (size_t)(nl - buf) : len;
    rec->ptr = buf;
    rec->len = rlen;
    if (rlen && buf[rlen - 1] == '\r') rec->len--;
    rec->lines = nl ? 1 : 0;
    rec->bad_quote = 0;
    return nl ? rlen + 1 : len;
}

/* Where a CSV record starting at buf ends: the offset of its terminating newline, len if it
 * has none (and final), or (size_t)-1 for "need more input", (size_t)-2 for "unterminated
 * quote". Implements the boundary rule in records.h. */
static size_t csv_record_end(const char *buf, size_t len, int final) {
    size_t i = 0;
    int at_start = 1;
    while (i < len) {
        char c = buf[i];
        if (c == '"' && at_start) {
            size_t j = i + 1;
            for (;;) {
                /* look no further than SENTI__CSV_MAX_QUOTED bytes from the opening quote: on a
                 * mapped file with no closing quote the scan would otherwise read to its end */
                size_t lim = i + SENTI__CSV_MAX_QUOTED + 1 - j;
                const char *q = memchr(buf + j, '"', len - j < lim ? len - j : lim);
                if (!q) {
                    if (!final && len - i <= SENTI__CSV_MAX_QUOTED) return (size_t)-1;
                    return (size_t)-2;
                }
                j = (size_t)(q - buf) + 1;
                if (j - i > SENTI__CSV_MAX_QUOTED) return (size_t)-2;
                if (j < len && buf[j] == '"') {
                    j++;
                    continue;
                }
                if (j == len && !final) return (size_t)-1; /* maybe the first of "" */
                /* A well-formed field ends at a comma, a line end or the input's end. A quote
                 * that closes a field spanning lines and is followed by anything else is most
                 * likely the opening quote of a later line: take this quote as unterminated. */
                if (j < len && buf[j] != ',' && buf[j] != '\n' && buf[j] != '\r' &&
                    memchr(buf + i, '\n', j - i))
                    return (size_t)-2;
                break;
            }
            i = j;
            at_start = 0;
            continue;
        }
        if (c == '\n') return i;
        at_start = c == ',';
        i++;
    }
    return final ? len : (size_t)-1;
}

size_t senti__record_scan(senti__fmt fmt, const char *buf, size_t len, int final, senti__rec *rec) {
    if (len == 0) return 0;
    if (fmt != SENTI__FMT_CSV) {
        const char *nl = memchr(buf, '\n', len);
        if (!nl && !final) return 0;
        return rec_at(buf, len, nl, rec);
    }
    size_t e = csv_record_end(buf, len, final);
    if (e == (size_t)-1) return 0;
    if (e == (size_t)-2) {
        const char *nl = memchr(buf, '\n', len);
        if (!nl && !final) return 0;
        size_t used = rec_at(buf, len, nl, rec);
        rec->bad_quote = 1;
        return used;
    }
    size_t used = rec_at(buf, len, e < len ? buf + e : NULL, rec);
    rec->lines = senti__count_newlines(buf, used);
    return used;
}

size_t senti__chunk_end(senti__fmt fmt, const char *buf, size_t len, size_t target, int final) {
    if (target == 0) target = 1;
    if (fmt == SENTI__FMT_CSV) {
        size_t pos = 0;
        senti__rec r;
        while (pos < len && pos < target) {
            size_t used = senti__record_scan(fmt, buf + pos, len - pos, final, &r);
            if (!used) break;
            pos += used;
        }
        return pos;
    }
    if (len <= target) {
        if (final) return len;
        const char *nl = memrchr(buf, '\n', len);
        return nl ? (size_t)(nl - buf) + 1 : 0;
    }
    const char *nl = memchr(buf + target - 1, '\n', len - (target - 1));
    if (nl) return (size_t)(nl - buf) + 1;
    if (final) return len;
    nl = memrchr(buf, '\n', target - 1);
    return nl ? (size_t)(nl - buf) + 1 : 0;
}

/* ---- TSV ----------------------------------------------------------------------------- */

size_t senti__tsv_split(const char *rec, size_t len, senti__field *f, size_t cap) {
    size_t n = 0;
    const char *p = rec, *end = rec + len;
    for (;;) {
        const char *t = memchr(p, '\t', (size_t)(end - p));
        const char *fe = t ? t : end;
        if (n < cap) {
            f[n].ptr = p;
            f[n].len = (size_t)(fe - p);
        }
        n++;
        if (!t) break;
        p = t + 1;
    }
    return n;
}

/* ---- CSV ----------------------------------------------------------------------------- */

static int csv_never(unsigned char c) {
    (void)c;
    return 0;
}

static void csv_reset(senti__csv *c) {
    /* libcsv leaves its state as it was after a strict-mode error; start the next record clean */
    c->p.pstate = 0;
    c->p.quoted = 0;
    c->p.spaces = 0;
    c->p.entry_pos = 0;
    c->p.status = 0;
}

int senti__csv_init(senti__csv *c) {
    memset(c, 0, sizeof *c);
    if (csv_init(&c->p, CSV_STRICT | CSV_STRICT_FINI) != 0) return SENTI_ENOMEM;
    /* Spaces are data (RFC 4180), and the records handed in carry no terminator, so nothing
     * ends a record early: an unquoted CR inside a record is part of its field. */
    csv_set_space_func(&c->p, csv_never);
    csv_set_term_func(&c->p, csv_never);
    csv_set_realloc_func(&c->p, senti__realloc);
    csv_set_free_func(&c->p, senti__free);
    return SENTI_OK;
}

void senti__csv_free(senti__csv *c) {
    csv_free(&c->p);
    senti__free(c->buf);
    senti__free(c->fields);
    memset(c, 0, sizeof *c);
}

static void csv_cb_field(void *s, size_t n, void *data) {
    senti__csv *c = data;
    if (c->oom) return;
    if (c->n == c->fields_cap) {
        size_t nc = c->fields_cap ? c->fields_cap * 2 : 16;
        senti__field *nf = senti__realloc(c->fields, nc * sizeof *nf);
        if (!nf) {
            c->oom = 1;
            return;
        }
        c->fields = nf;
        c->fields_cap = nc;
    }
    if (c->cap - c->used < n + 1) {
        size_t nc = c->cap ? c->cap : 256;
        while (nc - c->used < n + 1) nc *= 2;
        char *nb = senti__realloc(c->buf, nc);
        if (!nb) {
            c->oom = 1;
            return;
        }
        c->buf = nb;
        c->cap = nc;
    }
    if (n) memcpy(c->buf + c->used, s, n);
    c->buf[c->used + n] = '\0';
    /* buf may move while fields are added: keep offsets until the record is done */
    c->fields[c->n].ptr = (const char *)(uintptr_t)c->used;
    c->fields[c->n].len = n;
    c->n++;
    c->used += n + 1;
}

long senti__csv_parse(senti__csv *c, const char *rec, size_t len, char *err, size_t err_size) {
    c->n = 0;
    c->used = 0;
    c->oom = 0;
    if (len == 0) {
        csv_cb_field((void *)"", 0, c);
    } else {
        /* libcsv grows its field buffer by blk_size at a time: one step covers any field */
        csv_set_blk_size(&c->p, len + 1 > 4096 ? len + 1 : 4096);
        size_t done = csv_parse(&c->p, rec, len, csv_cb_field, NULL, c);
        if (done != len || csv_error(&c->p) != CSV_SUCCESS) {
            int st = csv_error(&c->p);
            const char *why = c->p.pstate == 3 ? "a character after a closing quote"
                                               : "a quote inside an unquoted field";
            csv_reset(c);
            if (st == CSV_ENOMEM || st == CSV_ETOOBIG)
                return senti__err(err, err_size, SENTI_ENOMEM, "out of memory");
            return senti__err(err, err_size, SENTI_EDATA,
                              "malformed CSV: %s (byte %zu of the record)", why, done + 1);
        }
        if (csv_fini(&c->p, csv_cb_field, NULL, c) != 0) {
            csv_reset(c);
            return senti__err(err, err_size, SENTI_EDATA,
                              "malformed CSV: a quoted field is not closed");
        }
    }
    if (c->oom) return senti__err(err, err_size, SENTI_ENOMEM, "out of memory");
    for (size_t i = 0; i < c->n; i++) c->fields[i].ptr = c->buf + (uintptr_t)c->fields[i].ptr;
    return (long)c->n;
}

/* ---- JSONL --------------------------------------------------------------------------- */

const char *const senti__text_keys[] = {"text", "sentence", "content", "review", NULL};

json_t *senti__jsonl_parse(const char *rec, size_t len, char *err, size_t err_size) {
    json_error_t je;
    /* a member given twice is malformed: which one holds the text would be a guess */
    json_t *v = json_loadb(rec, len, JSON_ALLOW_NUL | JSON_DECODE_ANY | JSON_REJECT_DUPLICATES, &je);
    if (!v) {
        size_t k = 0;
        while (k < len && (rec[k] == ' ' || rec[k] == '\t' || rec[k] == '\r')) k++;
        if (k == len)
            senti__err(err, err_size, SENTI_EDATA, "empty line (expected a JSON object)");
        else if (json_error_code(&je) == json_error_duplicate_key)
            senti__err(err, err_size, SENTI_EDATA, "a member given twice (%s)", je.text);
        else
            senti__err(err, err_size, SENTI_EDATA, "invalid JSON at column %d: %s", je.column,
                       je.text);
        return NULL;
    }
    if (!json_is_object(v)) {
        json_decref(v);
        senti__err(err, err_size, SENTI_EDATA, "not a JSON object");
        return NULL;
    }
    return v;
}

int senti__jsonl_text(json_t *obj, const char *key, const char **s, size_t *n, char *err,
                      size_t err_size) {
    json_t *v = NULL;
    if (key) {
        v = json_object_get(obj, key);
        if (!v) return senti__err(err, err_size, -1, "no \"%s\" member", key);
    } else {
        for (int i = 0; senti__text_keys[i] && !v; i++) {
            key = senti__text_keys[i];
            v = json_object_get(obj, key);
        }
        if (!v)
            return senti__err(err, err_size, -1,
                              "no text member (text, sentence, content or review)");
    }
    if (!json_is_string(v))
        return senti__err(err, err_size, -1, "member \"%s\" is not a string", key);
    *s = json_string_value(v);
    *n = json_string_length(v);
    return 0;
}

/* ---- columns ----------------------------------------------------------------------------- */

long senti__column_find(const senti__field *hdr, size_t n_hdr, const char *spec) {
    if (!spec || !*spec) return -1;
    size_t i = 0;
    while (spec[i] >= '0' && spec[i] <= '9') i++;
    if (spec[i] == '\0' && i <= 9) {
        long k = atol(spec);
        if (k < 1 || (hdr && (size_t)k > n_hdr)) return -1;
        return k - 1;
    }
    size_t sl = strlen(spec);
    for (size_t k = 0; hdr && k < n_hdr; k++)
        if (hdr[k].len == sl && strncasecmp(hdr[k].ptr, spec, sl) == 0) return (long)k;
    return -1;
}

long senti__column_default_text(const senti__field *hdr, size_t n_hdr) {
    for (int i = 0; senti__text_keys[i]; i++) {
        long k = senti__column_find(hdr, n_hdr, senti__text_keys[i]);
        if (k >= 0) return k;
    }
    return -1;
}

/* ---- output ------------------------------------------------------------------------------ */

size_t senti__csv_quote(char *out, const char *s, size_t n) {
    int need = n && (s[0] == ' ' || s[n - 1] == ' ');
    for (size_t i = 0; i < n && !need; i++)
        need = s[i] == ',' || s[i] == '"' || s[i] == '\n' || s[i] == '\r';
    if (!need) {
        if (n) memcpy(out, s, n);
        return n;
    }
    char *o = out;
    *o++ = '"';
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '"') *o++ = '"';
        *o++ = s[i];
    }
    *o++ = '"';
    return (size_t)(o - out);
}

size_t senti__tsv_clean(char *out, const char *s, size_t n) {
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        out[i] = c == '\t' || c == '\n' || c == '\r' ? ' ' : c;
    }
    return n;
}

size_t senti__fmt_num(char *out, double v) {
    /* the fixed-point path needs |v| * 10000 < 2^63 (llround); larger values as %.17g */
    if (!(v > -1e14 && v < 1e14)) {
        int k = snprintf(out, 32, "%.17g", v);
        return k < 0 ? 0 : (size_t)k;
    }
    long long x = llround(v * 10000.0);
    char *o = out;
    if (x < 0) {
        *o++ = '-';
        x = -x;
    }
    long long ip = x / 10000;
    int fp = (int)(x % 10000);
    char tmp[24];
    int k = 0;
    do {
        tmp[k++] = (char)('0' + ip % 10);
        ip /= 10;
    } while (ip);
    while (k) *o++ = tmp[--k];
    *o++ = '.';
    char d[4] = {(char)('0' + fp / 1000), (char)('0' + fp / 100 % 10), (char)('0' + fp / 10 % 10),
                 (char)('0' + fp % 10)};
    int nd = 4;
    while (nd > 1 && d[nd - 1] == '0') nd--;
    memcpy(o, d, (size_t)nd);
    o += nd;
    return (size_t)(o - out);
}
