/*
 * dataset.c - the labeled-data loader (see dataset.h).
 */
#include "tools/dataset.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/core.h"
#include "tools/records.h"

/* ---- the file's bytes ---------------------------------------------------------------------- */

typedef struct file_bytes {
    const char *p;
    size_t len;
    void *map; /* munmap at the end, or */
    char *own; /* senti__free */
} file_bytes;

static int read_all(int fd, file_bytes *fb, const char *name, char *err, size_t err_size) {
    senti__buf b = {0};
    for (;;) {
        if (senti__buf_reserve(&b, 1 << 16) != SENTI_OK) {
            senti__buf_free(&b);
            return senti__err(err, err_size, SENTI_ENOMEM, "%s: out of memory", name);
        }
        ssize_t k = read(fd, b.p + b.len, b.cap - b.len);
        if (k < 0 && errno == EINTR) continue;
        if (k < 0) {
            int e = errno;
            senti__buf_free(&b);
            return senti__err(err, err_size, SENTI_EIO, "%s: %s", name, strerror(e));
        }
        if (k == 0) break;
        b.len += (size_t)k;
    }
    fb->own = b.p;
    fb->p = b.p;
    fb->len = b.len;
    return SENTI_OK;
}

static int file_open(const char *path, file_bytes *fb, char *err, size_t err_size) {
    memset(fb, 0, sizeof *fb);
    if (strcmp(path, "-") == 0) return read_all(0, fb, "stdin", err, err_size);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return senti__err(err, err_size, SENTI_EIO, "%s: %s", path, strerror(errno));
    struct stat st;
    int rc = SENTI_OK;
    if (fstat(fd, &st) != 0) {
        rc = senti__err(err, err_size, SENTI_EIO, "%s: %s", path, strerror(errno));
    } else if (S_ISDIR(st.st_mode)) {
        rc = senti__err(err, err_size, SENTI_EIO, "%s: is a directory", path);
    } else if (S_ISREG(st.st_mode) && st.st_size > 0) {
        void *m = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
        if (m == MAP_FAILED) {
            rc = senti__err(err, err_size, SENTI_EIO, "%s: mmap: %s", path, strerror(errno));
        } else {
            madvise(m, (size_t)st.st_size, MADV_SEQUENTIAL);
            fb->map = m;
            fb->p = m;
            fb->len = (size_t)st.st_size;
        }
    } else { /* a pipe, or a regular file of size 0 that may have content (/proc, /sys) */
        rc = read_all(fd, fb, path, err, err_size);
    }
    close(fd);
    return rc;
}

static void file_close(file_bytes *fb) {
    if (fb->map) munmap(fb->map, fb->len);
    senti__free(fb->own);
    memset(fb, 0, sizeof *fb);
}

/* ---- building the dataset ------------------------------------------------------------------ */

typedef struct loader {
    const char *name; /* for messages */
    senti__buf text_bytes, label_bytes;
    size_t *text_off, *label_off, *lens, *lines;
    double *ratings;
    size_t n, cap;
    char **errors;
    size_t n_errors, n_bad;
    int oom;
} loader;

static void bad(loader *L, size_t line, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void bad(loader *L, size_t line, const char *fmt, ...) {
    L->n_bad++;
    if (L->n_errors >= SENTI__DATASET_MAX_ERRORS) return;
    if (!L->errors) {
        L->errors = senti__calloc(SENTI__DATASET_MAX_ERRORS, sizeof *L->errors);
        if (!L->errors) {
            L->oom = 1;
            return;
        }
    }
    char msg[512];
    int k = snprintf(msg, sizeof msg, "%s:%zu: ", L->name, line);
    va_list ap;
    va_start(ap, fmt);
    if (k > 0 && (size_t)k < sizeof msg) vsnprintf(msg + k, sizeof msg - (size_t)k, fmt, ap);
    va_end(ap);
    char *s = senti__strdup(msg);
    if (!s) {
        L->oom = 1;
        return;
    }
    L->errors[L->n_errors++] = s;
}

static double parse_rating(const char *s) {
    char *end;
    while (*s == ' ') s++;
    if (!*s) return NAN;
    double v = strtod(s, &end);
    while (*end == ' ') end++;
    return *end || end == s ? NAN : v;
}

static int grow(void **p, size_t n, size_t size) {
    void *q = senti__realloc(*p, n * size);
    if (!q) return -1;
    *p = q;
    return 0;
}

static void add(loader *L, size_t line, const char *text, size_t tlen, const char *label,
                size_t llen) {
    if (L->oom) return;
    if (L->n == L->cap) {
        size_t nc = L->cap ? L->cap * 2 : 1024;
        if (grow((void **)&L->text_off, nc, sizeof(size_t)) ||
            grow((void **)&L->label_off, nc, sizeof(size_t)) ||
            grow((void **)&L->lens, nc, sizeof(size_t)) ||
            grow((void **)&L->lines, nc, sizeof(size_t)) ||
            grow((void **)&L->ratings, nc, sizeof(double))) {
            L->oom = 1;
            return;
        }
        L->cap = nc;
    }
    size_t i = L->n;
    L->text_off[i] = L->text_bytes.len;
    L->label_off[i] = L->label_bytes.len;
    if (senti__buf_add(&L->text_bytes, text, tlen) || senti__buf_add(&L->text_bytes, "", 1) ||
        senti__buf_add(&L->label_bytes, label, llen) || senti__buf_add(&L->label_bytes, "", 1)) {
        L->oom = 1;
        return;
    }
    L->lens[i] = tlen;
    L->lines[i] = line;
    L->ratings[i] = parse_rating(L->label_bytes.p + L->label_off[i]);
    L->n++;
}

/* One block holding n pointers followed by the bytes they point into. */
static char **pack(const senti__buf *bytes, const size_t *off, size_t n) {
    size_t head = n * sizeof(char *);
    char **v = senti__malloc(head + bytes->len + 1);
    if (!v) return NULL;
    char *base = (char *)v + head;
    if (bytes->len) memcpy(base, bytes->p, bytes->len);
    for (size_t i = 0; i < n; i++) v[i] = base + off[i];
    return v;
}

static void loader_free(loader *L) {
    senti__buf_free(&L->text_bytes);
    senti__buf_free(&L->label_bytes);
    senti__free(L->text_off);
    senti__free(L->label_off);
    senti__free(L->lens);
    senti__free(L->lines);
    senti__free(L->ratings);
    for (size_t i = 0; i < L->n_errors; i++) senti__free(L->errors[i]);
    senti__free(L->errors);
}

/* "a, b, c" of a header, for messages. */
static void header_list(char *out, size_t size, const senti__field *h, size_t n) {
    size_t k = 0;
    out[0] = '\0';
    for (size_t i = 0; i < n && k + 8 < size; i++) {
        int w = snprintf(out + k, size - k, "%s%.*s", i ? ", " : "", (int)(h[i].len > 40 ? 40 : h[i].len),
                         h[i].ptr);
        if (w < 0) break;
        k += (size_t)w;
        if (k >= size) k = size - 1;
    }
}

/* Header fields are copied out: with CSV the parser's buffer is reused by the next record. */
typedef struct header {
    senti__field *f;
    size_t n;
    char *bytes;
} header;

static int header_keep(header *h, const senti__field *f, size_t n) {
    size_t total = 0;
    for (size_t i = 0; i < n; i++) total += f[i].len + 1;
    h->f = senti__calloc(n ? n : 1, sizeof *h->f);
    h->bytes = senti__malloc(total + 1);
    if (!h->f || !h->bytes) return SENTI_ENOMEM;
    char *p = h->bytes;
    for (size_t i = 0; i < n; i++) {
        memcpy(p, f[i].ptr, f[i].len);
        p[f[i].len] = '\0';
        h->f[i].ptr = p;
        h->f[i].len = f[i].len;
        p += f[i].len + 1;
    }
    h->n = n;
    return SENTI_OK;
}

static void header_free(header *h) {
    senti__free(h->f);
    senti__free(h->bytes);
}

/* Split one TSV/CSV record into fields (pointing into rec, or into the CSV parser). */
static long split(senti__fmt fmt, const senti__rec *r, senti__csv *csv, senti__field **tsv,
                  size_t *tsv_cap, const senti__field **out, char *why, size_t why_size) {
    if (fmt == SENTI__FMT_CSV) {
        if (r->bad_quote) return senti__err(why, why_size, SENTI_EDATA, "malformed CSV: a quoted field is not closed");
        long n = senti__csv_parse(csv, r->ptr, r->len, why, why_size);
        if (n >= 0) *out = csv->fields;
        return n;
    }
    size_t n = senti__tsv_split(r->ptr, r->len, *tsv, *tsv_cap);
    if (n > *tsv_cap) {
        size_t nc = n * 2;
        senti__field *f = senti__realloc(*tsv, nc * sizeof *f);
        if (!f) return senti__err(why, why_size, SENTI_ENOMEM, "out of memory");
        *tsv = f;
        *tsv_cap = nc;
        senti__tsv_split(r->ptr, r->len, *tsv, *tsv_cap);
    }
    *out = *tsv;
    return (long)n;
}

static int load_delimited(loader *L, senti__fmt fmt, const char *p, size_t len, size_t line,
                          const senti__dataset_opts *o, char *err, size_t err_size) {
    senti__csv csv;
    int rc = SENTI_OK;
    if (senti__csv_init(&csv) != SENTI_OK) return senti__err(err, err_size, SENTI_ENOMEM, "out of memory");
    size_t tsv_cap = 64;
    senti__field *tsv = senti__malloc(tsv_cap * sizeof *tsv);
    header hdr = {0};
    char why[256];
    long text_i, label_i;
    size_t pos = 0;
    senti__rec r;
    if (!tsv) {
        rc = senti__err(err, err_size, SENTI_ENOMEM, "out of memory");
        goto done;
    }

    if (!o->no_header) {
        const senti__field *f;
        size_t used = senti__record_scan(fmt, p, len, 1, &r);
        long n = used ? split(fmt, &r, &csv, &tsv, &tsv_cap, &f, why, sizeof why) : -1;
        if (!used) {
            rc = senti__err(err, err_size, SENTI_EDATA, "%s: empty file", L->name);
            goto done;
        }
        if (n == SENTI_ENOMEM) {
            rc = senti__err(err, err_size, SENTI_ENOMEM, "%s: out of memory", L->name);
            goto done;
        }
        if (n < 0) {
            rc = senti__err(err, err_size, SENTI_EDATA, "%s:%zu: header: %s", L->name, line, why);
            goto done;
        }
        if (header_keep(&hdr, f, (size_t)n) != SENTI_OK) {
            rc = senti__err(err, err_size, SENTI_ENOMEM, "out of memory");
            goto done;
        }
        pos = used;
        line += r.lines;
        text_i = o->text_col ? senti__column_find(hdr.f, hdr.n, o->text_col)
                             : senti__column_default_text(hdr.f, hdr.n);
        label_i = senti__column_find(hdr.f, hdr.n, o->label_col ? o->label_col : "label");
        if (text_i < 0 || label_i < 0) {
            char cols[256];
            header_list(cols, sizeof cols, hdr.f, hdr.n);
            if (text_i < 0 && !o->text_col)
                rc = senti__err(err, err_size, SENTI_EDATA,
                                "%s: no text column (text, sentence, content or review) in the "
                                "header (columns: %s); name it with --text-col",
                                L->name, cols);
            else
                rc = senti__err(err, err_size, SENTI_EDATA,
                                "%s: no column \"%s\" in the header (columns: %s)", L->name,
                                text_i < 0 ? o->text_col : o->label_col ? o->label_col : "label",
                                cols);
            goto done;
        }
    } else {
        text_i = senti__column_find(NULL, 0, o->text_col ? o->text_col : "2");
        label_i = senti__column_find(NULL, 0, o->label_col ? o->label_col : "1");
        if (text_i < 0 || label_i < 0) {
            rc = senti__err(err, err_size, SENTI_EINVAL,
                            "%s: without a header, columns are 1-based numbers (got \"%s\")",
                            L->name, text_i < 0 ? o->text_col : o->label_col);
            goto done;
        }
    }
    size_t need = (size_t)(text_i > label_i ? text_i : label_i) + 1;

    while (pos < len && !L->oom) {
        size_t used = senti__record_scan(fmt, p + pos, len - pos, 1, &r);
        size_t rec_line = line;
        pos += used;
        line += r.lines;
        if (r.len == 0) {
            bad(L, rec_line, "empty line");
            continue;
        }
        const senti__field *f;
        long n = split(fmt, &r, &csv, &tsv, &tsv_cap, &f, why, sizeof why);
        if (n < 0) {
            if (n == SENTI_ENOMEM) L->oom = 1;
            else bad(L, rec_line, "%s", why);
            continue;
        }
        if (!o->no_header && (size_t)n != hdr.n) {
            bad(L, rec_line, "%ld fields, the header has %zu", n, hdr.n);
            continue;
        }
        if ((size_t)n < need) {
            bad(L, rec_line, "%ld fields, column %zu is missing", n, need);
            continue;
        }
        if (f[label_i].len == 0) {
            bad(L, rec_line, "empty label");
            continue;
        }
        add(L, rec_line, f[text_i].ptr, f[text_i].len, f[label_i].ptr, f[label_i].len);
    }
done:
    header_free(&hdr);
    senti__free(tsv);
    senti__csv_free(&csv);
    return rc;
}

static void load_jsonl(loader *L, const char *p, size_t len, size_t line,
                       const senti__dataset_opts *o) {
    const char *label_key = o->label_col ? o->label_col : "label";
    char why[256];
    size_t pos = 0;
    while (pos < len && !L->oom) {
        senti__rec r;
        size_t used = senti__record_scan(SENTI__FMT_JSONL, p + pos, len - pos, 1, &r);
        size_t rec_line = line;
        pos += used;
        line += r.lines;
        json_t *obj = senti__jsonl_parse(r.ptr, r.len, why, sizeof why);
        if (!obj) {
            bad(L, rec_line, "%s", why);
            continue;
        }
        const char *text;
        size_t tlen;
        if (senti__jsonl_text(obj, o->text_col, &text, &tlen, why, sizeof why) != 0) {
            bad(L, rec_line, "%s", why);
            json_decref(obj);
            continue;
        }
        json_t *lv = json_object_get(obj, label_key);
        char num[64];
        const char *label = NULL;
        size_t llen = 0;
        if (json_is_string(lv)) {
            label = json_string_value(lv);
            llen = json_string_length(lv);
        } else if (json_is_integer(lv)) {
            llen = (size_t)snprintf(num, sizeof num, "%lld", (long long)json_integer_value(lv));
            label = num;
        } else if (json_is_real(lv)) {
            llen = (size_t)snprintf(num, sizeof num, "%.17g", json_real_value(lv));
            for (int prec = 1; prec < 17; prec++) { /* shortest text that reads back */
                char t[64];
                int k = snprintf(t, sizeof t, "%.*g", prec, json_real_value(lv));
                if (strtod(t, NULL) == json_real_value(lv)) {
                    memcpy(num, t, (size_t)k + 1);
                    llen = (size_t)k;
                    break;
                }
            }
            label = num;
        }
        if (!lv)
            bad(L, rec_line, "no \"%s\" member", label_key);
        else if (!label)
            bad(L, rec_line, "member \"%s\" is not a string or number", label_key);
        else if (llen == 0)
            bad(L, rec_line, "empty label");
        else
            add(L, rec_line, text, tlen, label, llen);
        json_decref(obj);
    }
}

int senti__dataset_load(const char *path, const senti__dataset_opts *o, senti__dataset *ds,
                        char *err, size_t err_size) {
    static const senti__dataset_opts defaults = {0};
    if (!o) o = &defaults;
    memset(ds, 0, sizeof *ds);
    if (!path) return senti__err(err, err_size, SENTI_EINVAL, "no data file given");
    file_bytes fb;
    int rc = file_open(path, &fb, err, err_size);
    if (rc != SENTI_OK) return rc;

    loader L = {.name = strcmp(path, "-") == 0 ? "stdin" : path};
    const char *foreign = senti__bom_foreign(fb.p, fb.len);
    if (foreign) {
        rc = senti__err(err, err_size, SENTI_EDATA, "%s: %s text (it starts with that byte order mark); "
                        SENTI__BOM_ADVICE, L.name, foreign);
        goto out;
    }
    size_t bom = senti__bom_len(fb.p, fb.len);
    const char *p = fb.p + bom;
    size_t len = fb.len - bom;

    senti__fmt fmt = SENTI__FMT_AUTO;
    if (o->format && senti__fmt_parse(o->format, &fmt) != 0) {
        rc = senti__err(err, err_size, SENTI_EINVAL, "unknown format \"%s\" (tsv, csv or jsonl)",
                        o->format);
        goto out;
    }
    if (fmt == SENTI__FMT_AUTO) fmt = senti__fmt_from_path(path);
    if (fmt == SENTI__FMT_AUTO) fmt = senti__fmt_sniff(p, len < 65536 ? len : 65536, 1);
    if (fmt == SENTI__FMT_LINES) {
        rc = senti__err(err, err_size, SENTI_EDATA,
                        len ? "%s: cannot tell the format (no tab, comma or JSON object in the "
                              "first line); use --format tsv|csv|jsonl"
                            : "%s: empty file",
                        L.name);
        goto out;
    }

    if (fmt == SENTI__FMT_JSONL)
        load_jsonl(&L, p, len, 1, o);
    else
        rc = load_delimited(&L, fmt, p, len, 1, o, err, err_size);
    if (rc != SENTI_OK) goto out;
    if (L.oom) {
        rc = senti__err(err, err_size, SENTI_ENOMEM, "%s: out of memory", L.name);
        goto out;
    }
    if (L.n == 0) {
        if (L.n_errors)
            rc = senti__err(err, err_size, SENTI_EDATA, "no usable records (%zu malformed; first: %s)",
                            L.n_bad, L.errors[0]);
        else
            rc = senti__err(err, err_size, SENTI_EDATA, "%s: no records", L.name);
        goto out;
    }

    ds->texts = pack(&L.text_bytes, L.text_off, L.n);
    ds->labels = pack(&L.label_bytes, L.label_off, L.n);
    if (!ds->texts || !ds->labels) {
        senti__free(ds->texts);
        senti__free(ds->labels);
        memset(ds, 0, sizeof *ds);
        rc = senti__err(err, err_size, SENTI_ENOMEM, "%s: out of memory", L.name);
        goto out;
    }
    ds->n = L.n;
    ds->lens = L.lens;
    ds->ratings = L.ratings;
    ds->lines = L.lines;
    ds->n_bad = L.n_bad;
    ds->errors = L.errors;
    ds->n_errors = L.n_errors;
    L.lens = L.lines = NULL;
    L.ratings = NULL;
    L.errors = NULL;
    L.n_errors = 0;
out:
    loader_free(&L);
    file_close(&fb);
    return rc;
}

void senti__dataset_free(senti__dataset *ds) {
    if (!ds) return;
    senti__free(ds->texts);
    senti__free(ds->labels);
    senti__free(ds->lens);
    senti__free(ds->ratings);
    senti__free(ds->lines);
    for (size_t i = 0; i < ds->n_errors; i++) senti__free(ds->errors[i]);
    senti__free(ds->errors);
    memset(ds, 0, sizeof *ds);
}
