/*
 * main.c - senti-mpi: `senti batch` across the ranks of an MPI job.
 *
 *   mpirun -np N senti-mpi IN -o OUT [the options of senti batch]
 *
 * The output is byte for byte what `senti batch IN -o OUT` writes, and so are the failed
 * records' messages; the summary line is reduced to rank 0. It is a program of its own so that
 * the ordinary senti never links an MPI library.
 *
 * Every rank opens the input and the model and reads the header itself (the same bytes give
 * the same answers), then scores one contiguous byte range of whole records with the job of
 * `senti batch` (src/tools/batchjob.c: its worker threads, record readers and writers), its
 * output collected in memory. Then:
 *
 *   output      an exclusive prefix sum (MPI_Exscan) of the ranks' output sizes gives each rank
 *               its offset, and MPI_File_write_at_all writes every range at once into a
 *               temporary beside OUT, which rank 0 renames onto OUT once every rank has
 *               written (tools/outfile.c: OUT is the old file or the whole new one). With OUT a
 *               directory, each rank writes OUT/part-RRRRR.EXT and rank 0, last, a manifest
 *               (manifest.json: the parts in order, their records and bytes); the parts
 *               concatenated in that order are the single file. With no -o, the ranks' outputs
 *               go to rank 0, which writes them to stdout in order.
 *   lines       MPI_Exscan of the lines each range held gives each rank the line number its
 *               range starts at, so a failed record is reported at its line in the file; the
 *               messages are gathered to rank 0 and printed in input order.
 *   failure     every step that can fail on one rank (opening the input or model, scoring,
 *               writing) ends with an agreement (MPI_Allreduce) on whether every rank went
 *               through; if one did not, it has said why (prefixed with its rank when rank 0
 *               did not fail the same way), no rank writes OUT, and all exit 1. A rank that dies
 *               makes mpirun end the job with a failure: never a silently short output.
 *
 * Where the ranges are cut. The cut must fall on a boundary of the record sequence that
 * `senti batch` reads: the chain of senti__record_scan() from the first record after the
 * header. Rank 0 computes all the cuts with senti__chunk_end(), the function senti batch cuts
 * its chunks with, each from the previous cut towards k/N of the bytes, and broadcasts them;
 * so every cut is a record end of that chain by construction, whatever the format. For lines,
 * TSV and JSONL (a record ends at a newline) chunk_end only looks for the first newline at the
 * target, a few bytes; a CSV record may span lines inside quotes, and whether a newline is
 * inside quotes depends on every quote before it (records.h, "CSV boundary rule"), so for CSV
 * chunk_end follows the records from the previous cut: rank 0 reads the file once, at the speed
 * of the record scanner, while the other ranks wait. A range may be empty (more ranks than
 * records, or one record longer than a range); an empty input gives every rank an empty range.
 *
 * Costs: each rank holds its whole output in memory until the collective write (about the
 * size of its share of the input for TSV/CSV/JSONL output, less for lines), and maps the input
 * (pages are dropped behind the scoring). Only rank 0's header bytes reach the output.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <mpi.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "base/base.h"
#include "tools/batchjob.h"
#include "tools/outfile.h"
#include "tools/progs.h"
#include "tools/records.h"

static const char mpi_usage[] =
    "usage: mpirun -np N senti-mpi IN [-o OUT] [options]\n"
    "\n"
    "senti batch across the ranks of an MPI job: every rank maps IN (a regular file on a file\n"
    "system every rank sees), scores a contiguous range of its records on its own threads, and\n"
    "the results are written in input order, byte for byte what `senti batch` writes.\n"
    "\n"
    "  -o FILE   one file, written by all ranks at once (MPI-IO) into a temporary that\n"
    "            replaces FILE when every rank has written\n"
    "  -o DIR/   (an existing directory, or a name ending in /) one part per rank,\n"
    "            DIR/part-00000.EXT ..., and DIR/manifest.json listing them in order, written\n"
    "            last; the parts concatenated in that order are the single file\n"
    "  no -o     the results on rank 0's standard output\n"
    "\n"
    "A failed record is reported as FILE:LINE at its line in IN; the summary counts every rank.\n"
    "If any rank fails (input, model, output), the job exits 1 and OUT is not written.\n"
    "-j/--threads is per rank (default: all online cores, %d here: with several ranks on\n"
    "one machine give -j so that ranks x threads is the core count).\n"
    "\n"
    "The other options are those of `senti batch` (see senti batch --help):\n"
    "  -f/--format, -F/--output-format, -t/--text-col, --text-field, --no-header,\n"
    "  -j/--threads, -q/--quiet, -m/--model, --lexicon, --max-bytes, --max-tokens\n"
    "\n"
    "exit status: 0 all records scored, 1 failure, 2 usage error, 3 some records failed\n";

typedef struct mpi_run {
    int rank, size;
    cli_batch *J;
    const char *in_name;
    senti__buf out;        /* this rank's output */
    senti__buf msgs;       /* failed records: size_t line, size_t len, bytes */
    senti__buf msg_text;   /* the same as "FILE:LINE: reason" lines, at their global lines */
    cli_batch_counts counts;
} mpi_run;

/* ---- agreement and messages ------------------------------------------------------------------ */

/* Whether every rank is ok. */
static int all_ok(int ok) {
    int all = 0;
    MPI_Allreduce(&ok, &all, 1, MPI_INT, MPI_LAND, MPI_COMM_WORLD);
    return all;
}

/* What a step prints on stderr is kept aside (fd 2 to a temporary file), so that an error every
 * rank meets (a bad option, a missing model) is said once, by rank 0, and one only some ranks
 * meet is said by them with their rank. */
typedef struct capture {
    int saved;
    FILE *f;
} capture;

static void capture_begin(capture *c) {
    fflush(stderr);
    c->f = tmpfile();
    c->saved = c->f ? dup(2) : -1;
    if (c->saved >= 0) dup2(fileno(c->f), 2);
}

/* Restore stderr; print what was kept if say, prefixed by "rank R: " if rank >= 0. */
static void capture_end(capture *c, int say, int rank) {
    if (c->saved < 0) return;
    fflush(stderr);
    dup2(c->saved, 2);
    close(c->saved);
    if (say) {
        char line[4096];
        rewind(c->f);
        while (fgets(line, sizeof line, c->f)) {
            const char *s = line;
            if (rank >= 0 && strncmp(s, "senti mpi: ", 11) == 0) s += 11;
            if (rank >= 0) fprintf(stderr, "senti mpi: rank %d: ", rank);
            fputs(s, stderr);
        }
    }
    fclose(c->f);
}

/* Run step on every rank with its messages captured. Returns the same status on every rank:
 * CLI_OK if every rank went through, else the worst (each failure said once). */
static int agreed_step(mpi_run *M, int (*step)(mpi_run *)) {
    capture c;
    capture_begin(&c);
    int rc = step(M), rc0 = rc;
    MPI_Bcast(&rc0, 1, MPI_INT, 0, MPI_COMM_WORLD);
    /* rank 0 says its own; another rank only what rank 0 did not meet */
    capture_end(&c, M->rank == 0 || rc != rc0, M->rank == 0 ? -1 : M->rank);
    int worst = rc;
    MPI_Allreduce(&rc, &worst, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD);
    return worst;
}

/* Parse the command line on every rank (the same argv gives the same answer everywhere): only
 * rank 0's --help and usage errors are printed. -1 to go on, else the exit status. */
static int parse_args(mpi_run *M, int argc, char **argv) {
    int saved_out = -1, saved_err = -1;
    if (M->rank != 0) {
        fflush(stdout);
        fflush(stderr);
        saved_out = dup(1);
        saved_err = dup(2);
        int null = open("/dev/null", O_WRONLY | O_CLOEXEC);
        if (null >= 0) {
            dup2(null, 1);
            dup2(null, 2);
            close(null);
        }
    }
    int rc = cli_batch_parse(M->J, argc, argv, mpi_usage);
    if (M->rank != 0) {
        fflush(stdout);
        fflush(stderr);
        if (saved_out >= 0) dup2(saved_out, 1), close(saved_out);
        if (saved_err >= 0) dup2(saved_err, 2), close(saved_err);
    }
    return rc;
}

/* ---- input, model, ranges ---------------------------------------------------------------------- */

static int open_step(mpi_run *M) {
    int rc = cli_batch_open(M->J);
    const char *map;
    size_t size;
    senti__fmt fmt;
    if (rc == CLI_OK && cli_batch_map(M->J, &map, &size, &fmt) != 0) {
        cli_error("mpi", "%s: not a regular file: every rank maps the input, so it must be a file "
                  "on a file system all ranks see (not standard input or a pipe)",
                  cli_batch_in_name(M->J));
        rc = CLI_USAGE;
    }
    return rc;
}

/* The byte offsets where the ranges of the ranks begin, cuts[0..size]: cut by rank 0 at record
 * boundaries of the sequence senti batch reads (see the top of this file), then broadcast. */
static void find_cuts(const mpi_run *M, size_t start, uint64_t *cuts) {
    const char *map;
    size_t size;
    senti__fmt fmt;
    cli_batch_map(M->J, &map, &size, &fmt);
    if (M->rank == 0) {
        if (start > size) start = size;
        cuts[0] = start;
        for (int k = 1; k < M->size; k++) {
            size_t prev = cuts[k - 1];
            size_t target = start + (size_t)((double)(size - start) * k / M->size);
            cuts[k] = prev >= target ? prev
                                     : prev + senti__chunk_end(fmt, map + prev, size - prev,
                                                               target - prev, 1);
        }
        cuts[M->size] = size;
    }
    MPI_Bcast(cuts, M->size + 1, MPI_UINT64_T, 0, MPI_COMM_WORLD);
}

/* ---- scoring: the job over this rank's range, its output and messages kept here ------------------ */

static int sink_write(void *ctx, const char *p, size_t n) {
    mpi_run *M = ctx;
    if (senti__buf_add(&M->out, p, n) != 0) {
        cli_error("mpi", "rank %d: out of memory for its output (%zu bytes so far): use more ranks "
                  "or an output directory on a node with more memory", M->rank, M->out.len);
        return -1;
    }
    return 0;
}

static void sink_failed(void *ctx, size_t line, const char *msg, size_t n) {
    mpi_run *M = ctx;
    if (senti__buf_add(&M->msgs, &line, sizeof line) || senti__buf_add(&M->msgs, &n, sizeof n) ||
        senti__buf_add(&M->msgs, msg, n)) {
        fprintf(stderr, "senti mpi: out of memory\n");
        exit(CLI_FAIL);
    }
}

/* Wait for every rank to be here, sleeping: Open MPI's blocking collectives poll, and a rank
 * done with its range would spin on a core that ranks still scoring on its node could use. */
static void barrier_sleeping(void) {
    MPI_Request rq;
    int done = 0;
    MPI_Ibarrier(MPI_COMM_WORLD, &rq);
    for (;;) {
        MPI_Test(&rq, &done, MPI_STATUS_IGNORE);
        if (done) break;
        nanosleep(&(struct timespec){0, 1000000}, NULL);
    }
}

static int score_step(mpi_run *M) {
    double seconds; /* the summary's are the slowest rank's, scoring and writing (run()) */
    int rc = cli_batch_run(M->J, &seconds);
    cli_batch_counts_get(M->J, &M->counts);
    barrier_sleeping();
    return rc == CLI_RECORDS ? CLI_OK : rc;
}

/* The line of the input where this rank's range starts: the header's lines, then the lines of
 * the ranges before it (an exclusive prefix sum). */
static uint64_t range_first_line(const mpi_run *M, size_t first_line) {
    uint64_t lines = M->counts.lines, before = 0;
    MPI_Exscan(&lines, &before, 1, MPI_UINT64_T, MPI_SUM, MPI_COMM_WORLD);
    return first_line + (M->rank == 0 ? 0 : before);
}

/* The failed records as "FILE:LINE: reason" lines, LINE counted in the whole input. */
static void format_messages(mpi_run *M, uint64_t base) {
    for (size_t off = 0; off < M->msgs.len;) {
        size_t line, n;
        memcpy(&line, M->msgs.p + off, sizeof line);
        memcpy(&n, M->msgs.p + off + sizeof line, sizeof n);
        const char *msg = M->msgs.p + off + 2 * sizeof(size_t);
        if (senti__buf_printf(&M->msg_text, "%s:%llu: %.*s\n", M->in_name,
                              (unsigned long long)(base + line), (int)n, msg) != 0) {
            fprintf(stderr, "senti mpi: out of memory\n");
            exit(CLI_FAIL);
        }
        off += 2 * sizeof(size_t) + n;
    }
}

/* ---- writing --------------------------------------------------------------------------------- */

/* MPI counts are ints: large buffers travel in pieces. */
#define PIECE ((size_t)1 << 30)

/* Every rank's buf written to f by rank 0, in rank order. 0, or -1 if rank 0's writes failed
 * (the pieces are still received, so that no rank waits for ever). */
static int to_rank0(const mpi_run *M, const senti__buf *buf, FILE *f) {
    int ok = 1;
    if (M->rank != 0) {
        uint64_t n = buf->len;
        MPI_Send(&n, 1, MPI_UINT64_T, 0, 1, MPI_COMM_WORLD);
        for (size_t at = 0; at < buf->len; at += PIECE) {
            size_t k = buf->len - at < PIECE ? buf->len - at : PIECE;
            MPI_Send(buf->p + at, (int)k, MPI_BYTE, 0, 2, MPI_COMM_WORLD);
        }
        return 0;
    }
    if (buf->len) ok = fwrite(buf->p, 1, buf->len, f) == buf->len;
    char *piece = NULL;
    size_t cap = 0;
    for (int r = 1; r < M->size; r++) {
        uint64_t n;
        MPI_Recv(&n, 1, MPI_UINT64_T, r, 1, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
        for (uint64_t at = 0; at < n; at += PIECE) {
            size_t k = n - at < PIECE ? (size_t)(n - at) : PIECE;
            if (k > cap) piece = xrealloc(piece, cap = k);
            MPI_Recv(piece, (int)k, MPI_BYTE, r, 2, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
            if (ok) ok = fwrite(piece, 1, k, f) == k;
        }
    }
    free(piece);
    return ok && fflush(f) == 0 ? 0 : -1;
}

static void say_mpi_error(const char *path, int rank, int e) {
    char s[MPI_MAX_ERROR_STRING];
    int n = 0;
    MPI_Error_string(e, s, &n);
    cli_error("mpi", "%s: rank %d: write error: %.*s", path, rank, n, s);
}

/* This rank's output at its offset of the file (MPI_File_write_at_all); 0 or -1. */
static int write_at_offset(const mpi_run *M, const char *file, const char *name) {
    uint64_t len = M->out.len, off = 0, pieces = (len + PIECE - 1) / PIECE, most = 0;
    MPI_Exscan(&len, &off, 1, MPI_UINT64_T, MPI_SUM, MPI_COMM_WORLD);
    if (M->rank == 0) off = 0;
    MPI_Allreduce(&pieces, &most, 1, MPI_UINT64_T, MPI_MAX, MPI_COMM_WORLD);
    MPI_File fh;
    int e = MPI_File_open(MPI_COMM_WORLD, file, MPI_MODE_WRONLY, MPI_INFO_NULL, &fh);
    if (e != MPI_SUCCESS) say_mpi_error(name, M->rank, e);
    if (!all_ok(e == MPI_SUCCESS)) return -1;
    int ok = 1;
    for (uint64_t i = 0; i < most; i++) { /* collective: every rank calls it as often */
        size_t at = (size_t)i * PIECE;
        int k = at < M->out.len ? (int)(M->out.len - at < PIECE ? M->out.len - at : PIECE) : 0;
        MPI_Status st;
        e = MPI_File_write_at_all(fh, (MPI_Offset)(off + at), k ? M->out.p + at : NULL, k, MPI_BYTE, &st);
        if (e != MPI_SUCCESS && ok) say_mpi_error(name, M->rank, e);
        ok = ok && e == MPI_SUCCESS;
    }
    e = MPI_File_close(&fh);
    if (e != MPI_SUCCESS && ok) say_mpi_error(name, M->rank, e);
    return all_ok(ok && e == MPI_SUCCESS) ? 0 : -1;
}

/* -o FILE: a temporary made by rank 0 beside FILE (tools/outfile.c), written by every rank,
 * renamed onto FILE by rank 0 when every rank has written. 0, or -1 after saying why. */
static int write_file(const mpi_run *M, const char *path) {
    cli_out o;
    memset(&o, 0, sizeof o);
    o.fd = -1;
    char tmp[PATH_MAX] = "";
    int ok = 1;
    if (M->rank == 0) {
        ok = cli_out_open(&o, "mpi", path) == 0;
        if (ok) snprintf(tmp, sizeof tmp, "%s", cli_out_path(&o));
    }
    MPI_Bcast(tmp, sizeof tmp, MPI_CHAR, 0, MPI_COMM_WORLD);
    if (!all_ok(ok)) return -1;
    ok = write_at_offset(M, tmp, path) == 0;
    if (M->rank == 0) {
        if (ok) ok = cli_out_commit(&o, "mpi") == 0;
        else cli_out_abort(&o);
    }
    return all_ok(ok) ? 0 : -1;
}

/* ---- -o DIR: a part per rank and a manifest ---------------------------------------------------- */

enum { OUT_STDOUT, OUT_FILE, OUT_DIR };
static int out_mode;

static const char *part_ext(const mpi_run *M) {
    senti__fmt f = cli_batch_out_format(M->J);
    return f == SENTI__FMT_LINES ? "txt" : senti__fmt_name(f);
}

static void part_name(char *name, size_t size, const char *dir, int rank, const char *ext) {
    snprintf(name, size, "%s/part-%05d.%s", dir, rank, ext);
}

/* Rank 0, before anything is written: the kind of output; for a directory (made if the name
 * ends in / and it does not exist) the old manifest and the parts of ranks this run does not
 * have are removed, so that a manifest always describes the parts beside it. */
static int output_step(mpi_run *M) {
    const char *out = cli_batch_out_path(M->J);
    struct stat st;
    out_mode = !out || strcmp(out, "-") == 0 ? OUT_STDOUT : OUT_FILE;
    if (M->rank != 0 || out_mode == OUT_STDOUT) return CLI_OK;
    size_t n = strlen(out);
    if (n && out[n - 1] == '/' && stat(out, &st) != 0 && mkdir(out, 0777) != 0) {
        cli_error("mpi", "%s: cannot make the directory: %s", out, strerror(errno));
        return CLI_FAIL;
    }
    if (stat(out, &st) != 0 || !S_ISDIR(st.st_mode)) return CLI_OK;
    out_mode = OUT_DIR;
    char name[PATH_MAX];
    snprintf(name, sizeof name, "%s/manifest.json", out);
    if (unlink(name) != 0 && errno != ENOENT) {
        cli_error("mpi", "%s: %s", name, strerror(errno));
        return CLI_FAIL;
    }
    for (int r = M->size;; r++) {
        part_name(name, sizeof name, out, r, part_ext(M));
        if (unlink(name) != 0) break;
    }
    return CLI_OK;
}

/* manifest.json: the parts in order with their records, bytes and first input line. */
static int write_manifest(const mpi_run *M, const char *dir, const uint64_t *all) {
    senti__buf j = {0};
    uint64_t records = 0;
    for (int r = 0; r < M->size; r++) records += all[3 * r];
    senti__buf_str(&j, "{\"input\": ");
    senti__buf_json(&j, M->in_name, strlen(M->in_name));
    senti__buf_printf(&j, ", \"format\": \"%s\", \"ranks\": %d, \"records\": %llu, \"parts\": [",
                      senti__fmt_name(cli_batch_out_format(M->J)), M->size,
                      (unsigned long long)records);
    for (int r = 0; r < M->size; r++) {
        char name[64];
        snprintf(name, sizeof name, "part-%05d.%s", r, part_ext(M));
        senti__buf_printf(&j, "%s\n  {\"file\": \"%s\", \"records\": %llu, \"bytes\": %llu, "
                          "\"first_line\": %llu}", r ? "," : "", name,
                          (unsigned long long)all[3 * r], (unsigned long long)all[3 * r + 1],
                          (unsigned long long)all[3 * r + 2]);
    }
    int bad = senti__buf_str(&j, "\n]}\n");
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/manifest.json", dir);
    cli_out o;
    int rc = -1;
    if (!bad && cli_out_open(&o, "mpi", path) == 0) {
        FILE *f = cli_out_stream(&o);
        if (f && fwrite(j.p, 1, j.len, f) == j.len) rc = cli_out_commit(&o, "mpi");
        else cli_out_abort(&o);
    }
    if (bad) cli_error("mpi", "out of memory");
    senti__buf_free(&j);
    return rc;
}

/* This rank's part, committed only when every rank has written its own; then the manifest. */
static int write_dir(const mpi_run *M, const char *dir, uint64_t first_line) {
    char name[PATH_MAX], who[32];
    part_name(name, sizeof name, dir, M->rank, part_ext(M));
    snprintf(who, sizeof who, "mpi: rank %d", M->rank); /* "senti mpi: rank R: PART: why" */
    cli_out o;
    int ok = cli_out_open(&o, who, name) == 0;
    if (ok) {
        FILE *f = cli_out_stream(&o);
        ok = f && fwrite(M->out.p ? M->out.p : "", 1, M->out.len, f) == M->out.len && fflush(f) == 0;
        if (!ok) cli_error(who, "%s: write error: %s", name, strerror(errno));
    }
    if (!all_ok(ok)) {
        cli_out_abort(&o);
        return -1;
    }
    if (!all_ok(cli_out_commit(&o, who) == 0)) return -1;
    uint64_t mine[3] = {M->counts.rec_in, M->out.len, first_line}, *all = NULL;
    if (M->rank == 0) all = xmalloc(3 * sizeof *all * (size_t)M->size);
    MPI_Gather(mine, 3, MPI_UINT64_T, all, 3, MPI_UINT64_T, 0, MPI_COMM_WORLD);
    ok = M->rank != 0 || write_manifest(M, dir, all) == 0;
    free(all);
    return all_ok(ok) ? 0 : -1;
}

/* ---- the job ---------------------------------------------------------------------------------- */

/* The sums of the ranks' counts and their longest time, and the exit status, on every rank. */
static int summary(mpi_run *M, double dt, int wrote) {
    uint64_t mine[4] = {M->counts.rec_in, M->counts.failed, M->counts.extra, 0}, sum[4];
    MPI_Allreduce(mine, sum, 4, MPI_UINT64_T, MPI_SUM, MPI_COMM_WORLD);
    double most = dt;
    MPI_Reduce(&dt, &most, 1, MPI_DOUBLE, MPI_MAX, 0, MPI_COMM_WORLD);
    int rc = !wrote ? CLI_FAIL : sum[1] ? CLI_RECORDS : CLI_OK;
    cli_batch_counts c = {.rec_in = sum[0], .rec_out = wrote ? sum[0] : 0, .failed = sum[1],
                          .extra = sum[2]};
    if (M->rank == 0) cli_batch_summary(&c, most, rc, cli_batch_quiet(M->J));
    return rc;
}

/* Write this rank's output where -o says; 0 on every rank if every rank's output is there. */
static int write_output(mpi_run *M, uint64_t first_line) {
    const char *out = cli_batch_out_path(M->J);
    if (out_mode == OUT_FILE) return write_file(M, out);
    if (out_mode == OUT_DIR) return write_dir(M, out, first_line);
    int ok = to_rank0(M, &M->out, stdout) == 0;
    if (!ok) cli_error("mpi", "standard output: write error: %s", strerror(errno));
    return all_ok(ok) ? 0 : -1;
}

static int run(mpi_run *M) {
    int rc = agreed_step(M, open_step);
    if (rc == CLI_OK) rc = agreed_step(M, output_step);
    if (rc != CLI_OK) return rc;
    MPI_Bcast(&out_mode, 1, MPI_INT, 0, MPI_COMM_WORLD);
    M->in_name = cli_batch_in_name(M->J);
    size_t first_line;
    size_t start = cli_batch_header(M->J, &M->out, &first_line);
    if (M->rank != 0) M->out.len = 0; /* the header is rank 0's */
    uint64_t *cuts = xmalloc(((size_t)M->size + 1) * sizeof *cuts);
    find_cuts(M, start, cuts);
    cli_batch_set_range(M->J, cuts[M->rank], cuts[M->rank + 1]);
    free(cuts);
    cli_batch_set_sink(M->J, &(cli_batch_sink){sink_write, sink_failed, M});
    double t0 = MPI_Wtime();
    if (agreed_step(M, score_step) != CLI_OK) {
        if (M->rank == 0) cli_error("mpi", "a rank failed (said above): no output was written");
        return CLI_FAIL;
    }
    uint64_t base = range_first_line(M, first_line);
    format_messages(M, base);
    fflush(stdout);
    to_rank0(M, &M->msg_text, stderr);
    int wrote = write_output(M, base) == 0;
    if (!wrote && M->rank == 0) cli_error("mpi", "the output was not written");
    return summary(M, MPI_Wtime() - t0, wrote);
}

int main(int argc, char **argv) {
    int provided;
    /* the job's worker threads never call MPI: only the main thread does */
    MPI_Init_thread(&argc, &argv, MPI_THREAD_FUNNELED, &provided);
    mpi_run M = {0};
    MPI_Comm_rank(MPI_COMM_WORLD, &M.rank);
    MPI_Comm_size(MPI_COMM_WORLD, &M.size);
    M.J = cli_batch_new("mpi", "senti-mpi");
    int rc = parse_args(&M, argc, argv);
    if (rc < 0) rc = run(&M);
    rc = cli_batch_free(M.J, rc);
    senti__buf_free(&M.out);
    senti__buf_free(&M.msgs);
    senti__buf_free(&M.msg_text);
    MPI_Finalize();
    return rc;
}
