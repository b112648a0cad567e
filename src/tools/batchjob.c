/*
 * batchjob.c - the batch job: score every record of a file on all cores, in order, streaming.
 * `senti batch` (src/cli/batch.c) is this job with its output on stdout or a file; senti-mpi
 * (src/mpi/) runs one per rank over a byte range of the input and collects the outputs. See
 * batchjob.h for the interface.
 *
 * DESIGN
 *
 * Input. A regular file is mapped read-only (MADV_SEQUENTIAL) and never copied: chunks are
 * pointer ranges into the mapping, and once a chunk's output is written the pages behind it
 * are dropped (MADV_DONTNEED), so resident memory stays bounded however large the file is.
 * Standard input and pipes are read in blocks into buffers owned by the chunks. A mapped file
 * truncated during the run would fault (SIGBUS) on the pages past its new end: every read of
 * the mapping is guarded, and a file that changed is reported and fails the run (see "a mapped
 * input truncated during the run" below).
 *
 * Pipeline. The main thread cuts the input into chunks of about CHUNK_BYTES of whole records
 * (senti__chunk_end: for lines/TSV/JSONL it looks only near the cut, for CSV it follows the
 * quotes) and puts them in a ring of RING_PER_THREAD * threads slots. Workers take chunks in
 * sequence order; each owns a senti_ctx, a CSV parser and field arrays, splits its chunk into
 * records, scores them and renders the output of the whole chunk into the chunk's buffer. The
 * main thread writes finished chunks strictly in sequence order (one write() per chunk) and
 * refills the slot. Locks are taken per chunk, never per record; no allocation per record in
 * the lines/TSV paths (JSONL uses jansson, which allocates). Memory is bounded by the ring:
 * slots x (chunk input for pipes + chunk output), plus the largest single record.
 *
 * Accounting. Every record read produces exactly one output record, in input order. A record
 * that cannot be parsed or scored is reported on stderr as "FILE:LINE: reason" (LINE = where
 * the record starts), written with an error field, counted in the summary, and makes the exit
 * status 3. An empty line is a record: in lines format it is scored (the empty text); in TSV
 * and CSV it is one empty field; in JSONL it is an error ("empty line"), kept in the output.
 *
 * Ranges and sinks. A job normally scores its whole input and writes to the output file. A
 * caller may instead restrict a mapped input to a byte range of whole records
 * (cli_batch_set_range) and take the output and the failed records' messages itself
 * (cli_batch_set_sink): senti-mpi does, to place each rank's output at its offset in the
 * file and each message at its global line.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "base/base.h"
#include "tools/batchjob.h"
#include "tools/outfile.h"
#include "tools/records.h"

#define CHUNK_BYTES ((size_t)256 << 10)
#define RING_PER_THREAD 4
#define MAX_THREADS 256

/* The program's names for messages: "senti CMD: ..." and "Try 'PROG --help'" (one job per
 * process; set by cli_batch_new). */
static const char *job_cmd = "batch";
static const char *job_prog = "senti batch";

/* ---- small helpers ------------------------------------------------------------------------- */

static void oom(void) {
    cli_error(job_cmd, "out of memory");
    exit(CLI_FAIL);
}

/* Output goes into the one growable buffer of src/base: ob_need() before writing n bytes at
 * ob->p + ob->len; running out of memory ends the run. */
typedef senti__buf obuf;

static inline char *ob_need(obuf *b, size_t n) {
    if (b->cap - b->len <= n && senti__buf_reserve(b, n)) oom();
    return b->p + b->len;
}

static inline void ob_put(obuf *b, const void *s, size_t n) {
    if (!n) return;
    memcpy(ob_need(b, n), s, n);
    b->len += n;
}

static inline void ob_c(obuf *b, char c) {
    *ob_need(b, 1) = c;
    b->len++;
}

static int write_all(int fd, const char *p, size_t n) {
    while (n) {
        ssize_t k = write(fd, p, n);
        if (k < 0 && errno == EINTR) continue;
        if (k <= 0) return -1;
        p += k;
        n -= (size_t)k;
    }
    return 0;
}

/* ---- input: a mapping, or a stream read in blocks -------------------------------------------- */

typedef struct input {
    const char *name; /* for messages */
    int fd;
    int mapped;
    const char *map;
    size_t size, pos, released;
    size_t end;     /* mapped: where the records to score end (size, or a rank's range) */
    char *buf; /* stream: unconsumed bytes buf[0..len) */
    size_t len, cap;
    int eof;
    int error; /* errno of a failed read */
    struct stat st0; /* mapped: the file when it was mapped (input_changed()) */
} input;

/* ---- a mapped input truncated during the run ---------------------------------------------------
 *
 * Reading a page of the mapping past the end of a file truncated after it was mapped raises
 * SIGBUS. Every read of the mapping (setup, cutting chunks, scoring them) runs under a guard: a
 * sigjmp_buf of the reading thread (thread-local) that the handler jumps back to; the run then
 * stops and reports "input changed during the run", exit status 1, and an output file (-o) is
 * not replaced. A fault outside the mapping, or in a thread that is not reading it, is not ours
 * and gets the default action. Scoring code left by the jump may leak what it held (a JSON
 * object): the run is over. A truncation within the last page reads zeros instead of faulting
 * and a file rewritten in place does not fault at all, so the size and modification time of
 * the file after the run are also compared with those it had when it was mapped.
 */
static const char *volatile bus_lo, *volatile bus_hi; /* the mapping */
static __thread sigjmp_buf *bus_jmp;
static volatile sig_atomic_t bus_hit;

static void on_sigbus(int sig, siginfo_t *si, void *uc) {
    (void)uc;
    const char *a = si->si_addr;
    if (bus_jmp && a >= bus_lo && a < bus_hi) {
        bus_hit = 1;
        siglongjmp(*bus_jmp, 1); /* the mask saved by sigsetjmp(, 1) unblocks SIGBUS again */
    }
    signal(sig, SIG_DFL); /* not ours: the access faults again, with the default action */
}

static void bus_guard(sigjmp_buf *jb) { bus_jmp = jb; }

static void bus_watch(const char *map, size_t size) {
    bus_lo = map;
    bus_hi = map + size;
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_sigbus;
    sa.sa_flags = SA_SIGINFO;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGBUS, &sa, NULL);
}

/* Whether a mapped input changed while it was read: a fault past its end, or another size or
 * modification time than when it was mapped. */
static int input_changed(const input *in) {
    struct stat now;
    if (bus_hit) return 1;
    if (!in->mapped || fstat(in->fd, &now) != 0) return 0;
    return now.st_size != in->st0.st_size || now.st_mtim.tv_sec != in->st0.st_mtim.tv_sec ||
           now.st_mtim.tv_nsec != in->st0.st_mtim.tv_nsec;
}

static int input_open(input *in, const char *path) {
    memset(in, 0, sizeof *in);
    in->fd = -1;
    if (strcmp(path, "-") == 0) {
        in->name = "stdin";
        in->fd = 0;
    } else {
        in->name = path;
        in->fd = open(path, O_RDONLY | O_CLOEXEC);
        if (in->fd < 0) {
            cli_error(job_cmd, "%s: %s", path, strerror(errno));
            return -1;
        }
    }
    struct stat st;
    if (fstat(in->fd, &st) != 0) {
        cli_error(job_cmd, "%s: %s", in->name, strerror(errno));
        return -1;
    }
    if (S_ISDIR(st.st_mode)) {
        cli_error(job_cmd, "%s: is a directory", in->name);
        return -1;
    }
    /* a regular file of size 0 may still have content (/proc, /sys): read it as a stream */
    if (S_ISREG(st.st_mode) && st.st_size > 0) {
        off_t here = lseek(in->fd, 0, SEEK_CUR); /* stdin may be a file read part-way */
        if (here < 0) here = 0;
        in->mapped = 1;
        in->size = (size_t)st.st_size;
        in->pos = (size_t)here;
        in->end = in->size;
        in->released = 0;
        if (in->size > 0) {
            void *m = mmap(NULL, in->size, PROT_READ, MAP_PRIVATE, in->fd, 0);
            if (m == MAP_FAILED) {
                cli_error(job_cmd, "%s: mmap: %s", in->name, strerror(errno));
                return -1;
            }
            madvise(m, in->size, MADV_SEQUENTIAL);
            posix_fadvise(in->fd, 0, 0, POSIX_FADV_SEQUENTIAL);
            in->map = m;
            in->st0 = st;
            bus_watch(m, in->size);
        }
    }
    return 0;
}

static void input_close(input *in) {
    if (in->map) munmap((void *)in->map, in->size);
    if (in->fd > 0) close(in->fd);
    free(in->buf);
}

/* Read once into b[*len..cap). */
static void input_read(input *in, char *b, size_t *len, size_t cap) {
    while (!in->eof && *len < cap) {
        ssize_t k = read(in->fd, b + *len, cap - *len);
        if (k < 0 && errno == EINTR) continue;
        if (k < 0) in->error = errno;
        if (k <= 0) {
            in->eof = 1;
            break;
        }
        *len += (size_t)k;
        break;
    }
}

/* The unconsumed bytes, with at least want of them unless the input ends first. */
static void input_peek(input *in, size_t want, const char **p, size_t *n, int *final) {
    if (in->mapped) {
        *p = in->map ? in->map + in->pos : "";
        *n = in->size - in->pos;
        *final = 1;
        return;
    }
    while (!in->eof && in->len < want) {
        if (in->cap - in->len < (1 << 16)) {
            in->cap = (in->cap ? in->cap * 2 : 1 << 17) + want;
            in->buf = xrealloc(in->buf, in->cap);
        }
        input_read(in, in->buf, &in->len, in->cap);
    }
    *p = in->buf ? in->buf : "";
    *n = in->len;
    *final = in->eof;
}

static void input_skip(input *in, size_t n) {
    if (in->mapped) {
        in->pos += n;
    } else {
        memmove(in->buf, in->buf + n, in->len - n);
        in->len -= n;
    }
}

/* Drop the mapped pages wholly before offset end (their output has been written). */
static void input_release(input *in, size_t end) {
    if (!in->map) return;
    size_t page = (size_t)sysconf(_SC_PAGESIZE);
    size_t upto = end / page * page;
    if (upto > in->released + ((size_t)4 << 20) || (upto > in->released && end == in->size)) {
        madvise((char *)in->map + in->released, upto - in->released, MADV_DONTNEED);
        in->released = upto;
    }
}

/* ---- the shared job -------------------------------------------------------------------------- */

enum { SLOT_FREE, SLOT_READY, SLOT_BUSY, SLOT_DONE };

typedef struct chunk {
    const char *in;
    size_t in_len;
    size_t in_end;  /* mapped: offset of the chunk's end in the file */
    char *own;      /* stream: the chunk's bytes */
    size_t own_cap;
    obuf out;
    obuf msgs;      /* per failed record: size_t rel_line, size_t len, message bytes */
    size_t n_rec, n_fail, n_lines;
    size_t n_extra;         /* JSONL to TSV/CSV: records with members that are not columns */
    int state;
} chunk;

typedef struct batch {
    const senti_model *m;
    senti__fmt in_fmt, out_fmt;
    int no_header;
    long text_col;          /* TSV/CSV: 0-based column; -1 with --no-header: the last */
    const char *text_key;   /* JSONL: member name or NULL for the defaults */
    size_t n_hdr;           /* header fields (TSV/CSV with a header) */
    char **hdr;             /* their names, NUL-terminated */
    size_t *hdr_len;
    /* names of the input columns/keys the output carries (for pred_ renaming) */
    const char **in_keys;
    size_t n_in_keys;
    /* result */
    int n_classes, n_values;
    const char *labels[SENTI_MAX_CLASSES];
    size_t label_len[SENTI_MAX_CLASSES];
    /* JSON result keys: label, score, scores, values..., error */
    const char *rkeys[3 + SENTI_MAX_VALUES + 1];
    int n_rkeys;
    int fixed_clash;        /* some result key is an input column (non-JSONL input) */
    int jsonl_cols;         /* JSONL in, TSV/CSV out: hdr are the columns (jsonl_columns()) */
    /* TSV/CSV result column names (after renaming), for the header */
    char *rcols[2 + SENTI_MAX_CLASSES + SENTI_MAX_VALUES + 1];
    int n_rcols;
    char sep;
    const char *eol;
    size_t eol_len;

    /* ring */
    chunk *ring;
    size_t n_slots;
    size_t seq_filled, seq_taken, seq_written;
    int stop;
    int abort;              /* the output failed: workers stop scoring (atomic loads/stores) */
    pthread_mutex_t mu;
    pthread_cond_t work_cv, main_cv;
} batch;

typedef struct worker {
    batch *B;
    senti_ctx *ctx;
    senti__csv csv;
    senti__field *f;
    size_t f_cap;
    obuf tmp;
    pthread_t tid;
} worker;

/* What the command line asks for. */
typedef struct batch_opts {
    cli_model_args ma;
    const char *in_path, *out_path, *text_spec;
    senti__fmt in_fmt, out_fmt;
    int no_header, show_progress, quiet;
    unsigned long threads;
} batch_opts;

/* The input's header (TSV/CSV), as setup_input() found it. */
typedef struct header {
    senti__rec rec;         /* the header record; its bytes are own */
    char *own;
    size_t used;            /* its bytes in the input, skipped once the output's header is written */
    size_t lines;           /* its lines */
    senti__csv csv;         /* CSV: the parser that split it (its fields are B->hdr's source) */
    int csv_ok;
    const char *text_key[1]; /* lines/JSONL: the input key the output carries */
} header;

/* ---- rendering ----------------------------------------------------------------------------- */

static int key_in_input(const batch *B, json_t *obj, const char *k) {
    if (obj) return json_object_get(obj, k) != NULL;
    for (size_t i = 0; i < B->n_in_keys; i++)
        if (strcmp(B->in_keys[i], k) == 0) return 1;
    return 0;
}

/* k, or pred_k (pred_pred_k ...) if the input already has that name. */
static const char *result_name(const batch *B, json_t *obj, const char *k, char *buf,
                               size_t size) {
    if (!key_in_input(B, obj, k)) return k;
    snprintf(buf, size, "pred_%s", k);
    while (key_in_input(B, obj, buf) && strlen(buf) + 6 < size) {
        memmove(buf + 5, buf, strlen(buf) + 1);
        memcpy(buf, "pred_", 5);
    }
    return buf;
}

static void put_json_str(obuf *o, const char *s, size_t n) {
    char *p = ob_need(o, SENTI__JSON_ESCAPE_MAX(n));
    o->len += senti__json_escape(p, s, n);
}

static void put_num(obuf *o, double v) {
    char *p = ob_need(o, 40);
    o->len += senti__fmt_num(p, v);
}

/* The result (or error) as JSON object members, with names clashing with the input renamed. */
static void put_result_json(worker *w, obuf *o, const senti_result *res, const char *err,
                            json_t *obj) {
    const batch *B = w->B;
    int clash = 0;
    if (obj) {
        for (int i = 0; i < B->n_rkeys && !clash; i++)
            clash = json_object_get(obj, B->rkeys[i]) != NULL;
    } else {
        clash = B->fixed_clash;
    }
    char nb[256];
    if (err) {
        const char *k = clash ? result_name(B, obj, "error", nb, sizeof nb) : "error";
        put_json_str(o, k, strlen(k));
        ob_c(o, ':');
        put_json_str(o, err, strlen(err));
        return;
    }
    obuf *dst = clash ? &w->tmp : o;
    if (clash) w->tmp.len = 0;
    size_t room = dst->cap - dst->len;
    size_t need = senti_result_json(B->m, res, dst->p ? dst->p + dst->len : NULL, room);
    if (need >= room) {
        ob_need(dst, need + 1);
        senti_result_json(B->m, res, dst->p + dst->len, need + 1);
    }
    if (!clash) {
        o->len += need;
        return;
    }
    /* copy, renaming the top-level keys: a string at depth 0 right after the start or a ',' */
    const char *s = w->tmp.p, *e = w->tmp.p + need;
    int depth = 0, member_start = 1;
    while (s < e) {
        char c = *s;
        if (c == '"') {
            const char *q = s + 1;
            while (q < e && *q != '"') q += *q == '\\' ? 2 : 1;
            size_t n = (size_t)(q - s - 1);
            if (depth == 0 && member_start && n < 200) {
                char key[208];
                memcpy(key, s + 1, n);
                key[n] = '\0';
                const char *k = result_name(B, obj, key, nb, sizeof nb);
                ob_c(o, '"');
                ob_put(o, k, strlen(k));
                ob_c(o, '"');
            } else {
                ob_put(o, s, (size_t)(q + 1 - s));
            }
            s = q + 1;
            member_start = 0;
            continue;
        }
        if (c == '{') depth++;
        if (c == '}') depth--;
        member_start = depth == 0 && c == ',';
        ob_c(o, c);
        s++;
    }
}

/* One field of TSV/CSV output. */
static inline void put_field(const batch *B, obuf *o, const char *s, size_t n) {
    if (B->out_fmt == SENTI__FMT_CSV) {
        char *p = ob_need(o, SENTI__CSV_QUOTE_MAX(n));
        o->len += senti__csv_quote(p, s, n);
    } else {
        char *p = ob_need(o, n);
        o->len += senti__tsv_clean(p, s, n);
    }
}

/* label, score, p_<class>..., values..., error (empty where they do not apply). */
static void put_result_cols(const batch *B, obuf *o, const senti_result *res, const char *err) {
    char sep = B->sep;
    if (res) {
        ob_c(o, sep);
        ob_put(o, B->labels[res->label], B->label_len[res->label]);
        ob_c(o, sep);
        put_num(o, res->score);
        for (int i = 0; i < B->n_classes; i++) {
            ob_c(o, sep);
            put_num(o, res->probs[i]);
        }
        for (int i = 0; i < B->n_values; i++) {
            ob_c(o, sep);
            put_num(o, res->values[i]);
        }
        ob_c(o, sep);
    } else {
        for (int i = 0; i < 3 + B->n_classes + B->n_values; i++) ob_c(o, sep);
        put_field(B, o, err, strlen(err));
    }
    ob_put(o, B->eol, B->eol_len);
}

typedef struct parsed {
    const senti__rec *r;
    const senti__field *f; /* TSV/CSV fields */
    long nf;
    int raw_bad;           /* the record's structure could not be read (CSV quoting, JSON) */
    json_t *obj;
    const char *text;
    size_t tlen;
    int have_text;
} parsed;

/* JSONL in, TSV/CSV out: the object's value of each column (a string as it is, another value
 * as compact JSON, null or missing empty); a record that is not an object goes whole into the
 * first column. Returns 1 if the object has members that are not columns (they are lost). */
static int put_json_cols(const batch *B, obuf *o, const parsed *P) {
    if (!P->obj) {
        put_field(B, o, P->r->ptr, P->r->len);
        for (size_t i = 1; i < B->n_hdr; i++) ob_c(o, B->sep);
        return 0;
    }
    size_t found = 0;
    for (size_t i = 0; i < B->n_hdr; i++) {
        if (i) ob_c(o, B->sep);
        json_t *v = json_object_get(P->obj, B->hdr[i]);
        found += v != NULL;
        if (!v || json_is_null(v)) continue;
        if (json_is_string(v)) {
            put_field(B, o, json_string_value(v), json_string_length(v));
            continue;
        }
        char *t = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
        if (!t) oom();
        put_field(B, o, t, strlen(t));
        free(t);
    }
    return json_object_size(P->obj) > found;
}

/* Lines out: label<TAB>score, or error<TAB>MESSAGE. */
static void emit_lines(const batch *B, obuf *o, const senti_result *res, const char *err) {
    if (res) {
        char *p = ob_need(o, B->label_len[res->label] + 48);
        memcpy(p, B->labels[res->label], B->label_len[res->label]);
        p += B->label_len[res->label];
        *p++ = '\t';
        p += senti__fmt_num(p, res->score);
        *p++ = '\n';
        o->len = (size_t)(p - o->p);
    } else {
        ob_put(o, "error\t", 6);
        put_field(B, o, err, strlen(err));
        ob_c(o, '\n');
    }
}

/* TSV/CSV out: the input's columns, then the result's. */
static void emit_delimited(const batch *B, chunk *c, const parsed *P, const senti_result *res, const char *err) {
    obuf *o = &c->out;
    const senti__rec *r = P->r;
    /* the record as it came, unless a CR sits in it: a CSV/TSV reader would end the row at
     * that CR (libcsv takes a bare CR in an unquoted field as data), so such a record is
     * written field by field (CSV quotes the field, TSV makes the CR a space) */
    if (B->in_fmt == B->out_fmt && !P->raw_bad && !memchr(r->ptr, '\r', r->len)) {
        ob_put(o, r->ptr, r->len);
    } else if (B->in_fmt == SENTI__FMT_TSV || B->in_fmt == SENTI__FMT_CSV) {
        if (P->raw_bad) { /* the raw record as the first column, the rest empty */
            put_field(B, o, r->ptr, r->len);
            for (size_t i = 1; i < B->n_hdr; i++) ob_c(o, B->sep);
        } else {
            for (long i = 0; i < P->nf; i++) {
                if (i) ob_c(o, B->sep);
                put_field(B, o, P->f[i].ptr, P->f[i].len);
            }
        }
    } else if (B->in_fmt == SENTI__FMT_JSONL) {
        c->n_extra += put_json_cols(B, o, P);
    } else {
        put_field(B, o, P->text, P->tlen);
    }
    put_result_cols(B, o, res, err);
}

/* JSONL out: a JSONL input's object byte for byte with the result added before its brace;
 * other input: an object of its columns (or text) and the result. */
static void emit_jsonl(worker *w, obuf *o, const parsed *P, const senti_result *res, const char *err) {
    const batch *B = w->B;
    const senti__rec *r = P->r;
    if (B->in_fmt == SENTI__FMT_JSONL && P->obj) {
        size_t n = r->len;
        while (n && r->ptr[n - 1] != '}') n--; /* the object ends at its last '}' */
        ob_put(o, r->ptr, n - 1);
        if (json_object_size(P->obj)) ob_c(o, ',');
    } else if (P->raw_bad || (B->in_fmt == SENTI__FMT_JSONL)) {
        ob_put(o, "{\"input\":", 9);
        put_json_str(o, r->ptr, r->len);
        ob_c(o, ',');
    } else {
        ob_c(o, '{');
        if (B->in_fmt == SENTI__FMT_LINES) {
            ob_put(o, "\"text\":", 7);
            put_json_str(o, r->ptr, r->len);
        } else {
            for (long i = 0; i < P->nf; i++) {
                if (i) ob_c(o, ',');
                if (B->hdr && (size_t)i < B->n_hdr) {
                    put_json_str(o, B->hdr[i], B->hdr_len[i]);
                } else {
                    char k[24];
                    int kn = snprintf(k, sizeof k, "\"%ld\"", i + 1);
                    ob_put(o, k, (size_t)kn);
                }
                ob_c(o, ':');
                put_json_str(o, P->f[i].ptr, P->f[i].len);
            }
        }
        ob_c(o, ',');
    }
    put_result_json(w, o, res, err, B->in_fmt == SENTI__FMT_JSONL ? P->obj : NULL);
    ob_put(o, "}\n", 2);
}

static void emit(worker *w, chunk *c, const parsed *P, const senti_result *res, const char *err) {
    switch (w->B->out_fmt) {
    case SENTI__FMT_LINES: emit_lines(w->B, &c->out, res, err); return;
    case SENTI__FMT_TSV:
    case SENTI__FMT_CSV: emit_delimited(w->B, c, P, res, err); return;
    case SENTI__FMT_JSONL:
    default: emit_jsonl(w, &c->out, P, res, err); return;
    }
}

/* ---- a worker's record loop ------------------------------------------------------------------- */

static void add_msg(chunk *c, size_t rel_line, const char *msg) {
    size_t n = strlen(msg);
    char *p = ob_need(&c->msgs, 2 * sizeof(size_t) + n);
    memcpy(p, &rel_line, sizeof rel_line);
    memcpy(p + sizeof(size_t), &n, sizeof n);
    memcpy(p + 2 * sizeof(size_t), msg, n);
    c->msgs.len += 2 * sizeof(size_t) + n;
}

static long split_tsv(worker *w, const senti__rec *r) {
    size_t n = senti__tsv_split(r->ptr, r->len, w->f, w->f_cap);
    if (n > w->f_cap) {
        w->f_cap = n * 2;
        w->f = xrealloc(w->f, w->f_cap * sizeof *w->f);
        senti__tsv_split(r->ptr, r->len, w->f, w->f_cap);
    }
    return (long)n;
}

/* A TSV/CSV record's fields and text into P; NULL, or why it is malformed (in why, or a
 * constant). */
static const char *parse_delimited(worker *w, const senti__rec *r, parsed *P, char *why, size_t why_size) {
    const batch *B = w->B;
    if (B->in_fmt == SENTI__FMT_TSV) {
        P->nf = split_tsv(w, r);
        P->f = w->f;
    } else if (r->bad_quote) {
        P->raw_bad = 1;
        return "malformed CSV: a quoted field is not closed";
    } else {
        P->nf = senti__csv_parse(&w->csv, r->ptr, r->len, why, why_size);
        if (P->nf == SENTI_ENOMEM) oom();
        if (P->nf < 0) {
            P->raw_bad = 1;
            return why;
        }
        P->f = w->csv.fields;
    }
    if (!B->no_header && (size_t)P->nf != B->n_hdr) {
        snprintf(why, why_size, "%ld fields, the header has %zu", P->nf, B->n_hdr);
        P->raw_bad = 1; /* written as one column so that the output columns stay aligned */
        return why;
    }
    long k = B->text_col < 0 ? P->nf - 1 : B->text_col;
    if (k >= P->nf) {
        snprintf(why, why_size, "%ld fields, no text column %ld", P->nf, k + 1);
        return why;
    }
    P->text = P->f[k].ptr;
    P->tlen = P->f[k].len;
    P->have_text = 1;
    return NULL;
}

/* A JSONL record's object and text into P; NULL, or why it is malformed (in why). */
static const char *parse_jsonl(const batch *B, const senti__rec *r, parsed *P, char *why, size_t why_size) {
    P->obj = senti__jsonl_parse(r->ptr, r->len, why, why_size);
    if (!P->obj) {
        P->raw_bad = 1;
        return why;
    }
    if (senti__jsonl_text(P->obj, B->text_key, &P->text, &P->tlen, why, why_size) != 0) return why;
    P->have_text = 1;
    return NULL;
}

static void do_record(worker *w, chunk *c, const senti__rec *r, size_t rel_line) {
    const batch *B = w->B;
    parsed P = {.r = r};
    char why[320];
    const char *err = NULL;
    if (B->in_fmt == SENTI__FMT_LINES) {
        P.text = r->ptr;
        P.tlen = r->len;
        P.have_text = 1;
    } else if (B->in_fmt == SENTI__FMT_TSV || B->in_fmt == SENTI__FMT_CSV) {
        err = parse_delimited(w, r, &P, why, sizeof why);
    } else {
        err = parse_jsonl(B, r, &P, why, sizeof why);
    }
    senti_result res;
    if (!err) {
        int rc = senti_predict(B->m, w->ctx, P.text, P.tlen, &res);
        if (rc == SENTI_OK) rc = res.status;
        if (rc != SENTI_OK) err = senti_strerror(rc);
        else if (res.label < 0 || res.label >= B->n_classes) err = "the model returned no label";
    }
    if (err) {
        c->n_fail++;
        add_msg(c, rel_line, err);
    }
    emit(w, c, &P, err ? NULL : &res, err);
    if (P.obj) json_decref(P.obj);
}

/* The hot path: plain lines in, label<TAB>score out. */
static void do_lines_fast(worker *w, chunk *c) {
    const batch *B = w->B;
    const char *p = c->in, *end = c->in + c->in_len;
    obuf *o = &c->out;
    size_t line = 0;
    senti_result res;
    while (p < end) {
        if ((line & 1023) == 0 && __atomic_load_n(&B->abort, __ATOMIC_RELAXED)) break;
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *re = nl ? nl : end;
        size_t len = (size_t)(re - p);
        if (len && p[len - 1] == '\r') len--;
        int rc = senti_predict(B->m, w->ctx, p, len, &res);
        if (rc == SENTI_OK) rc = res.status;
        if (rc == SENTI_OK && res.label >= 0 && res.label < B->n_classes) {
            size_t ll = B->label_len[res.label];
            char *q = ob_need(o, ll + 48);
            memcpy(q, B->labels[res.label], ll);
            q += ll;
            *q++ = '\t';
            q += senti__fmt_num(q, res.score);
            *q++ = '\n';
            o->len = (size_t)(q - o->p);
        } else {
            const char *err = rc != SENTI_OK ? senti_strerror(rc) : "the model returned no label";
            c->n_fail++;
            add_msg(c, line, err);
            ob_put(o, "error\t", 6);
            ob_put(o, err, strlen(err));
            ob_c(o, '\n');
        }
        c->n_rec++;
        line++;
        p = nl ? nl + 1 : end;
    }
    c->n_lines = line - (c->in_len && c->in[c->in_len - 1] != '\n');
}

static void process_chunk(worker *w, chunk *c) {
    const batch *B = w->B;
    c->out.len = 0;
    c->msgs.len = 0;
    c->n_rec = c->n_fail = c->n_lines = c->n_extra = 0;
    if (B->in_fmt == SENTI__FMT_LINES && B->out_fmt == SENTI__FMT_LINES) {
        do_lines_fast(w, c);
        return;
    }
    size_t pos = 0, line = 0;
    while (pos < c->in_len) {
        if ((c->n_rec & 255) == 0 && __atomic_load_n(&B->abort, __ATOMIC_RELAXED)) break;
        senti__rec r;
        size_t used = senti__record_scan(B->in_fmt, c->in + pos, c->in_len - pos, 1, &r);
        do_record(w, c, &r, line);
        c->n_rec++;
        line += r.lines;
        pos += used;
    }
    c->n_lines = line;
}

/* process_chunk() under the SIGBUS guard: a chunk whose input was cut off under it gives no
 * output, and the run stops. */
static void process_guarded(worker *w, chunk *c) {
    sigjmp_buf jb;
    if (sigsetjmp(jb, 1) == 0) {
        bus_guard(&jb);
        process_chunk(w, c);
    } else {
        c->out.len = c->msgs.len = 0;
        c->n_rec = c->n_fail = c->n_lines = c->n_extra = 0;
        __atomic_store_n(&w->B->abort, 1, __ATOMIC_RELAXED);
    }
    bus_guard(NULL);
}

static void *worker_main(void *arg) {
    worker *w = arg;
    batch *B = w->B;
    pthread_mutex_lock(&B->mu);
    for (;;) {
        while (!B->stop && B->seq_taken >= B->seq_filled) pthread_cond_wait(&B->work_cv, &B->mu);
        if (B->seq_taken >= B->seq_filled) break; /* stop, and nothing left */
        chunk *c = &B->ring[B->seq_taken % B->n_slots];
        B->seq_taken++;
        c->state = SLOT_BUSY;
        int skip = __atomic_load_n(&B->abort, __ATOMIC_RELAXED);
        pthread_mutex_unlock(&B->mu);
        if (skip) { /* nothing will be written: do not spend time scoring */
            c->out.len = c->msgs.len = 0;
            c->n_rec = c->n_fail = c->n_lines = c->n_extra = 0;
        } else {
            process_guarded(w, c);
        }
        pthread_mutex_lock(&B->mu);
        c->state = SLOT_DONE;
        pthread_cond_signal(&B->main_cv);
    }
    pthread_mutex_unlock(&B->mu);
    return NULL;
}

/* ---- the main thread: fill, write, report --------------------------------------------------- */

/* Cut the next chunk of whole records into c; 0 at the end of the input. */
static size_t fill_chunk(input *in, senti__fmt fmt, chunk *c) {
    if (in->mapped) {
        if (in->pos >= in->end) return 0;
        size_t n = senti__chunk_end(fmt, in->map + in->pos, in->end - in->pos, CHUNK_BYTES, 1);
        c->in = in->map + in->pos;
        c->in_len = n;
        in->pos += n;
        c->in_end = in->pos;
        return n;
    }
    /* stream: carry the unconsumed tail, read up to CHUNK_BYTES, cut at a record boundary */
    size_t want = CHUNK_BYTES, len = in->len;
    if (c->own_cap < in->len + want + 1) {
        c->own_cap = in->len + want + 1;
        c->own = xrealloc(c->own, c->own_cap);
    }
    if (in->len) memcpy(c->own, in->buf, in->len);
    in->len = 0;
    size_t n;
    for (;;) {
        if (!in->eof && len < want) {
            if (c->own_cap - len < (1 << 16)) {
                c->own_cap = c->own_cap * 2;
                c->own = xrealloc(c->own, c->own_cap);
            }
            input_read(in, c->own, &len, c->own_cap);
            continue;
        }
        if (len == 0) return 0;
        n = senti__chunk_end(fmt, c->own, len, CHUNK_BYTES, in->eof);
        if (n) break;
        want = len * 2; /* one record longer than what we have: read more */
        if (c->own_cap < want + 1) {
            c->own_cap = want + 1;
            c->own = xrealloc(c->own, c->own_cap);
        }
    }
    if (len > n) {
        if (in->cap < len - n) {
            in->cap = len - n;
            in->buf = xrealloc(in->buf, in->cap);
        }
        memcpy(in->buf, c->own + n, len - n);
        in->len = len - n;
    }
    c->in = c->own;
    c->in_len = n;
    c->in_end = 0;
    return n;
}

/* fill_chunk() under the SIGBUS guard: 0 (the end) if the input was cut off under it. */
static size_t fill_guarded(input *in, senti__fmt fmt, chunk *c) {
    sigjmp_buf jb;
    volatile size_t n = 0;
    if (sigsetjmp(jb, 1) == 0) {
        bus_guard(&jb);
        n = fill_chunk(in, fmt, c);
    }
    bus_guard(NULL);
    return n;
}

typedef struct stats {
    size_t rec_in, rec_out, failed;
    size_t extra;     /* JSONL to TSV/CSV: records with members that are not columns */
    size_t line_base; /* line where the next chunk starts */
    uint64_t bytes;
    int write_failed;
} stats;

/* Everything one job holds, released by cli_batch_free(). */
struct cli_batch {
    batch_opts o;
    input in;
    batch B;
    header H;
    senti_model *m;
    cli_inputs inputs;
    cli_out out;            /* -o FILE */
    int out_fd;
    const char *out_name;   /* for messages */
    worker *W;
    int started;            /* worker threads running */
    stats st;
    size_t first_line;      /* st.line_base when the records began */
    cli_batch_sink sink;    /* where the output and the messages go */
};
typedef struct cli_batch run;

/* The default sink: the output to out_fd, the messages to stderr as FILE:LINE: reason. */
static int sink_write_fd(void *ctx, const char *p, size_t n) {
    run *R = ctx;
    if (write_all(R->out_fd, p, n) == 0) return 0;
    cli_error(job_cmd, "%s: write error: %s", R->out_name, strerror(errno));
    return -1;
}

static void sink_failed_stderr(void *ctx, size_t line, const char *msg, size_t n) {
    run *R = ctx;
    fprintf(stderr, "%s:%zu: %.*s\n", R->in.name, line, (int)n, msg);
}

static void write_chunk(run *R, chunk *c) {
    stats *st = &R->st;
    if (!st->write_failed && c->out.len && R->sink.write(R->sink.ctx, c->out.p, c->out.len) != 0)
        st->write_failed = 1;
    for (size_t off = 0; off < c->msgs.len;) {
        size_t rel, n;
        memcpy(&rel, c->msgs.p + off, sizeof rel);
        memcpy(&n, c->msgs.p + off + sizeof(size_t), sizeof n);
        R->sink.failed(R->sink.ctx, st->line_base + rel, c->msgs.p + off + 2 * sizeof(size_t), n);
        off += 2 * sizeof(size_t) + n;
    }
    st->rec_in += c->n_rec;
    if (!st->write_failed) st->rec_out += c->n_rec;
    st->failed += c->n_fail;
    st->extra += c->n_extra;
    st->line_base += c->n_lines;
    st->bytes += c->in_len;
    if (R->in.mapped) input_release(&R->in, c->in_end);
}

static void progress(const input *in, const stats *st, double t0, int final) {
    double dt = senti__now_s() - t0;
    double mbs = dt > 0 ? st->bytes / dt / 1e6 : 0;
    if (final) {
        fputs("\r\033[K", stderr);
        return;
    }
    if (in->mapped && in->size)
        fprintf(stderr, "\r\033[K  %zu records  %.1f MB/s  %3.0f%%", st->rec_in, mbs,
                100.0 * (double)in->pos / (double)in->size);
    else
        fprintf(stderr, "\r\033[K  %zu records  %.1f MB/s", st->rec_in, mbs);
    fflush(stderr);
}

/* ---- setup: header, columns, names ------------------------------------------------------------- */

static char *xstrndup(const char *s, size_t n) {
    char *p = xrealloc(NULL, n + 1);
    memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

/* Result column names for TSV/CSV output, renamed against the input's names. */
static void setup_names(batch *B) {
    char nb[256];
    B->n_rkeys = 0;
    B->rkeys[B->n_rkeys++] = "label";
    B->rkeys[B->n_rkeys++] = "score";
    B->rkeys[B->n_rkeys++] = "scores";
    for (int i = 0; i < B->n_values; i++)
        B->rkeys[B->n_rkeys++] = senti_model_value_name(B->m, i);
    B->rkeys[B->n_rkeys++] = "error";
    B->fixed_clash = 0;
    for (int i = 0; i < B->n_rkeys; i++)
        if (key_in_input(B, NULL, B->rkeys[i])) B->fixed_clash = 1;

    B->n_rcols = 0;
    const char *cols[2 + SENTI_MAX_CLASSES + SENTI_MAX_VALUES + 1];
    char pcol[SENTI_MAX_CLASSES][96];
    int n = 0;
    cols[n++] = "label";
    cols[n++] = "score";
    for (int i = 0; i < B->n_classes; i++) {
        snprintf(pcol[i], sizeof pcol[i], "p_%s", B->labels[i]);
        cols[n++] = pcol[i];
    }
    for (int i = 0; i < B->n_values; i++) cols[n++] = senti_model_value_name(B->m, i);
    cols[n++] = "error";
    for (int i = 0; i < n; i++) {
        const char *k = result_name(B, NULL, cols[i], nb, sizeof nb);
        B->rcols[B->n_rcols++] = xstrndup(k, strlen(k));
    }
}

static void put_header(batch *B, obuf *o, const senti__rec *hrec) {
    if (B->out_fmt != SENTI__FMT_TSV && B->out_fmt != SENTI__FMT_CSV) return;
    int in_delim = B->in_fmt == SENTI__FMT_TSV || B->in_fmt == SENTI__FMT_CSV;
    if (in_delim && (B->no_header || !hrec->ptr)) return; /* no header, or an empty input */
    if (in_delim && B->in_fmt == B->out_fmt && !memchr(hrec->ptr, '\r', hrec->len)) {
        ob_put(o, hrec->ptr, hrec->len); /* as it came (see emit() for the CR case) */
    } else {
        for (size_t i = 0; i < B->n_in_keys; i++) {
            if (i) ob_c(o, B->sep);
            put_field(B, o, B->in_keys[i], strlen(B->in_keys[i]));
        }
    }
    for (int i = 0; i < B->n_rcols; i++) {
        ob_c(o, B->sep);
        put_field(B, o, B->rcols[i], strlen(B->rcols[i]));
    }
    ob_put(o, B->eol, B->eol_len);
}

/* ---- setup: format, header, text column ------------------------------------------------------- */

static void add_column(batch *B, const char *name) {
    B->hdr = xrealloc(B->hdr, (B->n_hdr + 1) * sizeof *B->hdr);
    B->hdr_len = xrealloc(B->hdr_len, (B->n_hdr + 1) * sizeof *B->hdr_len);
    B->hdr_len[B->n_hdr] = strlen(name);
    B->hdr[B->n_hdr++] = xstrndup(name, strlen(name));
}

/* JSONL in, TSV/CSV out: the columns are the members of the first JSON object of the input
 * (within its first 64 KiB), and the text member if that object lacks it, so that each row
 * keeps its object's fields rather than the text alone. Members of later objects that are not
 * columns are counted and said (write_chunk, cli_batch_summary). */
static void jsonl_columns(input *in, batch *B, const char *text_spec) {
    const char *p;
    size_t n, pos = 0;
    int final;
    json_t *obj = NULL;
    input_peek(in, 1 << 16, &p, &n, &final);
    while (pos < n && !obj) {
        senti__rec r;
        char why[320];
        size_t used = senti__record_scan(SENTI__FMT_JSONL, p + pos, n - pos, final, &r);
        if (!used) break;
        obj = senti__jsonl_parse(r.ptr, r.len, why, sizeof why);
        pos += used;
    }
    const char *key;
    json_t *v;
    if (obj) json_object_foreach(obj, key, v) add_column(B, key);
    const char *text = text_spec;
    for (int i = 0; !text && senti__text_keys[i]; i++)
        if (obj && json_object_get(obj, senti__text_keys[i])) text = senti__text_keys[i];
    if (!text) text = "text";
    if (!obj || !json_object_get(obj, text)) add_column(B, text);
    if (obj) json_decref(obj);
    B->jsonl_cols = 1;
    B->in_keys = (const char **)B->hdr;
    B->n_in_keys = B->n_hdr;
}

/* The input's format (after a byte order mark: a UTF-8 one is skipped, another refused), the
 * output's, and what follows from them in B. */
static int setup_format(input *in, batch *B, const batch_opts *o) {
    const char *p;
    size_t n;
    int final;
    senti__fmt in_fmt = o->in_fmt, out_fmt = o->out_fmt;
    input_peek(in, 4, &p, &n, &final);
    const char *foreign = senti__bom_foreign(p, n);
    if (foreign) {
        cli_error(job_cmd, "%s: %s text (it starts with that byte order mark); " SENTI__BOM_ADVICE,
                  in->name, foreign);
        return CLI_FAIL;
    }
    input_skip(in, senti__bom_len(p, n));
    if (in_fmt == SENTI__FMT_AUTO && in->fd != 0) in_fmt = senti__fmt_from_path(o->in_path);
    if (in_fmt == SENTI__FMT_AUTO) {
        input_peek(in, 65536, &p, &n, &final);
        in_fmt = senti__fmt_sniff(p, n < 65536 ? n : 65536, 0);
    }
    if (out_fmt == SENTI__FMT_AUTO) out_fmt = in_fmt;
    if (in_fmt == SENTI__FMT_LINES && o->text_spec) {
        cli_error(job_cmd, "--text-col/--text-field apply to TSV, CSV and JSONL input, and %s is "
                  "read as plain lines (use --format)", in->name);
        return CLI_USAGE;
    }
    B->in_fmt = in_fmt;
    B->out_fmt = out_fmt;
    B->no_header = o->no_header && (in_fmt == SENTI__FMT_TSV || in_fmt == SENTI__FMT_CSV);
    B->sep = out_fmt == SENTI__FMT_CSV ? ',' : '\t';
    B->eol = out_fmt == SENTI__FMT_CSV ? "\r\n" : "\n";
    B->eol_len = strlen(B->eol);
    return CLI_OK;
}

/* The header record of a TSV/CSV input (H->rec, H->used; H->used 0 for an empty input) and its
 * fields (*hf: the CSV parser's, or an allocation the caller frees for TSV). */
static int header_fields(input *in, batch *B, header *H, senti__field **hf, long *nf) {
    const char *p;
    size_t n, want = 1 << 16;
    int final;
    for (;;) {
        input_peek(in, want, &p, &n, &final);
        if (n == 0) break;
        H->used = senti__record_scan(B->in_fmt, p, n, final, &H->rec);
        if (H->used) break;
        want = n * 2;
    }
    if (!H->used) return CLI_OK;
    if (B->in_fmt == SENTI__FMT_CSV) {
        char why[320];
        if (senti__csv_init(&H->csv) != SENTI_OK) oom();
        H->csv_ok = 1;
        *nf = H->rec.bad_quote ? -1 : senti__csv_parse(&H->csv, H->rec.ptr, H->rec.len, why, sizeof why);
        if (H->rec.bad_quote) snprintf(why, sizeof why, "a quoted field is not closed");
        if (*nf < 0) {
            cli_error(job_cmd, "%s:1: malformed header: %s", in->name, why);
            return CLI_FAIL;
        }
        *hf = H->csv.fields;
    } else {
        size_t cnt = senti__tsv_split(H->rec.ptr, H->rec.len, NULL, 0);
        *hf = xrealloc(NULL, cnt * sizeof **hf);
        *nf = (long)senti__tsv_split(H->rec.ptr, H->rec.len, *hf, cnt);
    }
    return CLI_OK;
}

/* Say that the header has no text column (the one named, or a default one), listing it. */
static void no_text_column(const input *in, const batch *B, const char *text_spec) {
    char cols[512];
    size_t k = 0;
    cols[0] = '\0';
    for (size_t i = 0; i < B->n_hdr && k + 64 < sizeof cols; i++)
        k += (size_t)snprintf(cols + k, sizeof cols - k, "%s%.40s", i ? ", " : "", B->hdr[i]);
    if (text_spec)
        cli_error(job_cmd, "%s: no column '%s' (columns: %s)", in->name, text_spec, cols);
    else
        cli_error(job_cmd, "%s: no text column (text, sentence, content or review) in the header "
                  "(columns: %s); use --text-col, or --no-header if the first line is data",
                  in->name, cols);
}

/* TSV/CSV: the header (copied into B->hdr) and the text column. */
static int read_header(input *in, batch *B, header *H, const char *text_spec) {
    if (B->no_header) {
        B->text_col = text_spec ? senti__column_find(NULL, 0, text_spec) : -1;
        if (text_spec && B->text_col < 0) {
            cli_error(job_cmd, "with --no-header the text column is a number from 1, not '%s'", text_spec);
            return CLI_USAGE;
        }
        return CLI_OK;
    }
    senti__field *hf = NULL;
    long nf = 0;
    int rc = header_fields(in, B, H, &hf, &nf);
    if (rc != CLI_OK || !H->used) return rc;
    B->n_hdr = (size_t)nf;
    B->hdr = xrealloc(NULL, B->n_hdr * sizeof *B->hdr);
    B->hdr_len = xrealloc(NULL, B->n_hdr * sizeof *B->hdr_len);
    for (size_t i = 0; i < B->n_hdr; i++) {
        B->hdr[i] = xstrndup(hf[i].ptr, hf[i].len);
        B->hdr_len[i] = hf[i].len;
    }
    B->text_col = text_spec ? senti__column_find(hf, B->n_hdr, text_spec)
                            : senti__column_default_text(hf, B->n_hdr);
    if (B->text_col < 0 && !text_spec && B->n_hdr == 1) B->text_col = 0;
    if (B->in_fmt == SENTI__FMT_TSV) free(hf);
    if (B->text_col < 0) {
        no_text_column(in, B, text_spec);
        return CLI_USAGE;
    }
    B->in_keys = (const char **)B->hdr;
    B->n_in_keys = B->n_hdr;
    H->lines = H->rec.lines; /* consumed after the header is written */
    return CLI_OK;
}

/* The input's format and, for TSV/CSV with a header, its header and text column, read from the
 * start of the input; B and H are filled. The header record's bytes are copied (H->rec points
 * to the copy), so that nothing after setup reads the mapping but the chunks. Returns CLI_OK,
 * CLI_USAGE or CLI_FAIL (after saying why). */
static int setup_input(input *in, batch *B, header *H, const batch_opts *o) {
    int rc = setup_format(in, B, o);
    if (rc != CLI_OK) return rc;
    senti__fmt in_fmt = B->in_fmt, out_fmt = B->out_fmt;
    if (in_fmt == SENTI__FMT_TSV || in_fmt == SENTI__FMT_CSV) {
        if ((rc = read_header(in, B, H, o->text_spec)) != CLI_OK) return rc;
    } else {
        if (in_fmt == SENTI__FMT_JSONL) B->text_key = o->text_spec;
        if (in_fmt == SENTI__FMT_JSONL && o->text_spec) H->text_key[0] = o->text_spec;
        B->in_keys = H->text_key;
        B->n_in_keys = 1;
    }
    if (in_fmt == SENTI__FMT_JSONL && (out_fmt == SENTI__FMT_TSV || out_fmt == SENTI__FMT_CSV))
        jsonl_columns(in, B, o->text_spec);
    if (H->used) { /* the header's bytes, copied out of the input */
        char *copy = xrealloc(NULL, H->rec.len + 1);
        memcpy(copy, H->rec.ptr, H->rec.len);
        H->rec.ptr = H->own = copy;
    }
    return CLI_OK;
}

/* setup_input() with the input's start guarded: a file truncated meanwhile is a failure
 * ("input changed during the run"), not a SIGBUS. */
static int guarded_setup(input *in, batch *B, header *H, const batch_opts *o) {
    sigjmp_buf jb;
    int rc;
    if (sigsetjmp(jb, 1) == 0) {
        bus_guard(&jb);
        rc = setup_input(in, B, H, o);
    } else {
        rc = CLI_FAIL;
    }
    bus_guard(NULL);
    return rc;
}

/* ---- the command ------------------------------------------------------------------------------ */

/* Parse the command line into o; -1 to go on, else the exit status (--help, a usage error). */
static int parse_opts(int argc, char **argv, batch_opts *o, const char *usage) {
    static const struct option longopts[] = {
        {"output", required_argument, 0, 'o'},
        {"format", required_argument, 0, 'f'},
        {"output-format", required_argument, 0, 'F'},
        {"text-col", required_argument, 0, 't'},
        {"text-field", required_argument, 0, 0x2001},
        {"no-header", no_argument, 0, 0x2002},
        {"threads", required_argument, 0, 'j'},
        {"progress", no_argument, 0, 0x2003},
        {"no-progress", no_argument, 0, 0x2004},
        {"quiet", no_argument, 0, 'q'},
        {"help", no_argument, 0, 'h'},
        CLI_MODEL_LONGOPTS,
        {0, 0, 0, 0},
    };
    memset(o, 0, sizeof *o);
    o->in_fmt = o->out_fmt = SENTI__FMT_AUTO;
    o->show_progress = -1;
    int opt;
    optind = 0;
    while ((opt = getopt_long(argc, argv, "o:f:F:t:j:qhm:", longopts, NULL)) != -1) {
        int r = cli_model_opt(&o->ma, opt, optarg);
        if (r < 0) return CLI_USAGE;
        if (r > 0) continue;
        switch (opt) {
        case 'o': o->out_path = optarg; break;
        case 'f':
        case 'F':
            if (senti__fmt_parse(optarg, opt == 'f' ? &o->in_fmt : &o->out_fmt) != 0) {
                cli_error(job_cmd, "unknown format '%s' (lines, tsv, csv or jsonl)", optarg);
                return CLI_USAGE;
            }
            break;
        case 't':
        case 0x2001: o->text_spec = optarg; break;
        case 0x2002: o->no_header = 1; break;
        case 'j':
            if (cli_parse_uint("--threads", optarg, 0, MAX_THREADS, &o->threads)) return CLI_USAGE;
            break;
        case 0x2003: o->show_progress = 1; break;
        case 0x2004: o->show_progress = 0; break;
        case 'q': o->quiet = 1; break;
        case 'h': printf(usage, cli_ncpu()); return CLI_OK;
        default:
            fprintf(stderr, "Try '%s --help'.\n", job_prog);
            return CLI_USAGE;
        }
    }
    if (optind + 1 != argc) {
        cli_error(job_cmd, optind >= argc ? "no input file (give a path, or - for stdin)"
                                          : "one input file expected, got %d",
                  argc - optind);
        fprintf(stderr, "Try '%s --help'.\n", job_prog);
        return CLI_USAGE;
    }
    o->in_path = argv[optind];
    if (o->threads == 0) o->threads = (unsigned long)cli_ncpu();
    if (o->show_progress < 0) o->show_progress = isatty(2);
    return -1;
}

/* The model: its labels and value names, and the result column names. */
static int setup_model(run *R) {
    batch *B = &R->B;
    R->m = cli_open_model(&R->o.ma);
    if (!R->m) return -1;
    B->m = R->m;
    B->n_classes = senti_model_n_classes(R->m);
    B->n_values = senti_model_n_values(R->m);
    if (B->n_classes > SENTI_MAX_CLASSES) B->n_classes = SENTI_MAX_CLASSES;
    if (B->n_values > SENTI_MAX_VALUES) B->n_values = SENTI_MAX_VALUES;
    for (int i = 0; i < B->n_classes; i++) {
        B->labels[i] = senti_model_label(R->m, i);
        if (!B->labels[i]) B->labels[i] = "?";
        B->label_len[i] = strlen(B->labels[i]);
    }
    setup_names(B);
    return 0;
}

/* The output's header into out; the input's header record is consumed here. Returns where the
 * records begin. */
static size_t take_header(run *R, obuf *out) {
    put_header(&R->B, out, &R->H.rec);
    input_skip(&R->in, R->H.used); /* the header record, peeked by setup_input() */
    R->st.line_base = R->H.lines + 1;
    R->first_line = R->st.line_base;
    return R->in.mapped ? R->in.pos : 0;
}

/* Open the output (stdout, or -o's temporary) and write its header. */
static int start_output(run *R) {
    const char *path = R->o.out_path;
    int to_file = path && strcmp(path, "-") != 0;
    R->out_name = to_file ? path : "stdout";
    R->out_fd = 1;
    if (to_file) {
        if (cli_out_open(&R->out, job_cmd, path) != 0) return -1;
        R->out_fd = R->out.fd;
    }
    obuf hdr_out = {0};
    take_header(R, &hdr_out);
    int rc = 0;
    if (hdr_out.len && write_all(R->out_fd, hdr_out.p, hdr_out.len) != 0) {
        cli_error(job_cmd, "%s: write error: %s", R->out_name, strerror(errno));
        rc = -1;
    }
    senti__buf_free(&hdr_out);
    return rc;
}

/* The ring and the worker threads; -1 if none could start. */
static int start_workers(run *R) {
    batch *B = &R->B;
    unsigned long threads = R->o.threads;
    B->n_slots = RING_PER_THREAD * threads;
    B->ring = calloc(B->n_slots, sizeof *B->ring);
    R->W = calloc(threads, sizeof *R->W);
    if (!B->ring || !R->W) oom();
    pthread_mutex_init(&B->mu, NULL);
    pthread_cond_init(&B->work_cv, NULL);
    pthread_cond_init(&B->main_cv, NULL);
    for (unsigned long t = 0; t < threads; t++) {
        worker *w = &R->W[t];
        w->B = B;
        int e = senti_ctx_new(R->m, &w->ctx);
        if (e != SENTI_OK) {
            cli_error(job_cmd, "cannot make a scoring context: %s", senti_strerror(e));
            break;
        }
        if (senti__csv_init(&w->csv) != SENTI_OK) oom();
        w->f_cap = 64;
        w->f = xrealloc(NULL, w->f_cap * sizeof *w->f);
        if (pthread_create(&w->tid, NULL, worker_main, w) != 0) {
            senti_ctx_free(w->ctx);
            senti__csv_free(&w->csv);
            free(w->f);
            break;
        }
        R->started++;
    }
    if (!R->started) {
        cli_error(job_cmd, "could not start a worker thread");
        return -1;
    }
    return 0;
}

/* The main loop: write finished chunks in order, keep the ring full; then stop the workers.
 * Returns the seconds it took. */
static double run_loop(run *R) {
    batch *B = &R->B;
    double t0 = senti__now_s(), last_progress = t0;
    int input_done = 0;
    pthread_mutex_lock(&B->mu);
    for (;;) {
        int did = 0;
        while (B->seq_written < B->seq_filled && B->ring[B->seq_written % B->n_slots].state == SLOT_DONE) {
            chunk *c = &B->ring[B->seq_written % B->n_slots];
            pthread_mutex_unlock(&B->mu);
            write_chunk(R, c);
            if (R->o.show_progress && senti__now_s() - last_progress > 0.1) {
                progress(&R->in, &R->st, t0, 0);
                last_progress = senti__now_s();
            }
            pthread_mutex_lock(&B->mu);
            c->state = SLOT_FREE;
            B->seq_written++;
            did = 1;
        }
        if (R->st.write_failed || bus_hit) {
            input_done = 1;
            __atomic_store_n(&B->abort, 1, __ATOMIC_RELAXED); /* workers poll it between records */
        }
        if (!input_done && B->seq_filled - B->seq_written < B->n_slots) {
            chunk *c = &B->ring[B->seq_filled % B->n_slots];
            pthread_mutex_unlock(&B->mu);
            size_t got = fill_guarded(&R->in, B->in_fmt, c);
            pthread_mutex_lock(&B->mu);
            if (got) {
                c->state = SLOT_READY;
                B->seq_filled++;
                pthread_cond_signal(&B->work_cv);
            } else {
                input_done = 1;
            }
            continue;
        }
        if (input_done && B->seq_written == B->seq_filled) break;
        if (!did) pthread_cond_wait(&B->main_cv, &B->mu);
    }
    B->stop = 1;
    pthread_cond_broadcast(&B->work_cv);
    pthread_mutex_unlock(&B->mu);
    for (int t = 0; t < R->started; t++) pthread_join(R->W[t].tid, NULL);
    double dt = senti__now_s() - t0;
    if (R->o.show_progress) progress(&R->in, &R->st, t0, 1);
    return dt;
}

/* The exit status of a run that went through, with what went wrong said. */
static int run_status(run *R) {
    if (R->in.error) {
        cli_error(job_cmd, "%s: read error: %s", R->in.name, strerror(R->in.error));
        return CLI_FAIL;
    }
    if (input_changed(&R->in)) {
        cli_error(job_cmd, "%s: input changed during the run (truncated or rewritten while it was "
                  "read): the output is incomplete%s", R->in.name, R->out.path ? " and was not written" : "");
        return CLI_FAIL;
    }
    if (R->st.write_failed) return CLI_FAIL;
    return R->st.failed ? CLI_RECORDS : CLI_OK;
}

void cli_batch_summary(const cli_batch_counts *c, double dt, int rc, int quiet) {
    if (c->extra)
        cli_error(job_cmd, "%zu record%s members that are not columns (the columns are the members "
                  "of the first object): those members are not in the output; -F jsonl keeps every "
                  "object whole", c->extra, c->extra == 1 ? " has" : "s have");
    if (!quiet)
        fprintf(stderr,
                "senti %s: %zu records in, %zu out, %zu failed, %.3f s, %.0f records/s%s\n",
                job_cmd, c->rec_in, c->rec_out, c->failed, dt,
                dt > 0 ? (double)c->rec_in / dt : 0.0,
                rc == CLI_RECORDS ? " (failed records were reported above and kept with an "
                                    "error field)"
                                  : "");
}

/* Release what the job holds; the output replaces the old file only when it is whole (rc 0 or
 * 3). Returns rc, or CLI_FAIL if that last step failed. */
int cli_batch_free(run *R, int rc) {
    batch *B = &R->B;
    for (int t = 0; t < R->started; t++) {
        senti_ctx_free(R->W[t].ctx);
        senti__csv_free(&R->W[t].csv);
        free(R->W[t].f);
        senti__buf_free(&R->W[t].tmp);
    }
    for (size_t i = 0; B->ring && i < B->n_slots; i++) {
        free(B->ring[i].own);
        senti__buf_free(&B->ring[i].out);
        senti__buf_free(&B->ring[i].msgs);
    }
    if (B->ring) {
        pthread_mutex_destroy(&B->mu);
        pthread_cond_destroy(&B->work_cv);
        pthread_cond_destroy(&B->main_cv);
    }
    free(B->ring);
    free(R->W);
    if (R->out.path && (rc == CLI_OK || rc == CLI_RECORDS)) {
        if (cli_out_commit(&R->out, job_cmd) != 0) rc = CLI_FAIL;
    } else {
        cli_out_abort(&R->out);
    }
    cli_inputs_free(&R->inputs);
    senti_model_free(R->m);
    for (size_t i = 0; i < B->n_hdr; i++) free(B->hdr[i]);
    free(B->hdr);
    free(B->hdr_len);
    for (int i = 0; i < B->n_rcols; i++) free(B->rcols[i]);
    if (R->H.csv_ok) senti__csv_free(&R->H.csv);
    free(R->H.own);
    input_close(&R->in);
    free(R);
    return rc;
}

/* ---- the job's interface (batchjob.h) -------------------------------------------------------- */

cli_batch *cli_batch_new(const char *cmd, const char *prog) {
    run *R = xcalloc(1, sizeof *R);
    R->H.text_key[0] = "text";
    R->out_fd = -1;
    R->in.fd = -1;
    R->sink = (cli_batch_sink){sink_write_fd, sink_failed_stderr, R};
    job_cmd = cmd;
    job_prog = prog;
    return R;
}

int cli_batch_parse(run *R, int argc, char **argv, const char *usage) {
    return parse_opts(argc, argv, &R->o, usage);
}

int cli_batch_open(run *R) {
    const batch_opts *o = &R->o;
    if (input_open(&R->in, o->in_path) != 0) return CLI_FAIL;
    cli_inputs_add(&R->inputs, o->in_path, "the input");
    /* format, header and text column (reads the start of the input: guarded against SIGBUS) */
    int rc = guarded_setup(&R->in, &R->B, &R->H, o);
    if (rc != CLI_OK) return rc;
    if (setup_model(R) != 0) return CLI_FAIL;
    cli_inputs_add_model(&R->inputs, R->m);
    if (cli_out_check(job_cmd, o->out_path, &R->inputs) != 0) return CLI_USAGE;
    return CLI_OK;
}

const char *cli_batch_out_path(const run *R) { return R->o.out_path; }
int cli_batch_quiet(const run *R) { return R->o.quiet; }
const char *cli_batch_in_name(const run *R) { return R->in.name; }
senti__fmt cli_batch_out_format(const run *R) { return R->B.out_fmt; }

int cli_batch_map(const run *R, const char **map, size_t *size, senti__fmt *fmt) {
    struct stat st;
    *fmt = R->B.in_fmt;
    if (R->in.mapped) {
        *map = R->in.map;
        *size = R->in.size;
        return 0;
    }
    /* an empty regular file is read as a stream: it has no bytes to map */
    if (R->in.fd > 0 && fstat(R->in.fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size == 0) {
        *map = NULL;
        *size = 0;
        return 0;
    }
    return -1;
}

int cli_batch_start_output(run *R) { return start_output(R); }

size_t cli_batch_header(run *R, senti__buf *out, size_t *first_line) {
    size_t at = take_header(R, out);
    *first_line = R->first_line;
    return at;
}

void cli_batch_set_range(run *R, size_t lo, size_t hi) {
    if (!R->in.mapped) return; /* an empty file: nothing to score */
    R->in.pos = lo;
    R->in.end = hi;
    R->st.line_base = R->first_line = 0;
}

void cli_batch_set_sink(run *R, const cli_batch_sink *sink) {
    R->sink = *sink;
    R->o.show_progress = 0;
}

int cli_batch_run(run *R, double *seconds) {
    if (start_workers(R) != 0) return CLI_FAIL;
    *seconds = run_loop(R);
    return run_status(R);
}

void cli_batch_counts_get(const run *R, cli_batch_counts *c) {
    c->rec_in = R->st.rec_in;
    c->rec_out = R->st.rec_out;
    c->failed = R->st.failed;
    c->extra = R->st.extra;
    c->lines = R->st.line_base - R->first_line;
}

