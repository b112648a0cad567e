/*
 * batchjob.h - the batch job of `senti batch` as a unit the programs share: its options, its
 * input (a mapped file or a stream) and header, the worker threads that score chunks of records
 * and render them (lines, TSV, CSV, JSONL), and its accounting. `senti batch` (src/cli/batch.c)
 * runs one job over the whole input and writes to stdout or a file; senti-mpi (src/mpi/) runs
 * one job per rank over a byte range of records and takes the output and the messages itself,
 * so that both programs read records and write results with the same code, byte for byte.
 *
 * A job's life: cli_batch_new, cli_batch_parse (the command line of `senti batch`),
 * cli_batch_open (input, format, header, model), then either cli_batch_start_output (stdout or
 * -o, with the header) or cli_batch_header + cli_batch_set_range + cli_batch_set_sink; then
 * cli_batch_run, cli_batch_counts / cli_batch_summary, and cli_batch_free, which commits an -o
 * file only when the run went through.
 */
#ifndef SENTI_TOOLS_BATCHJOB_H
#define SENTI_TOOLS_BATCHJOB_H

#include <stddef.h>

#include "base/base.h"
#include "tools/progs.h"
#include "tools/records.h"

typedef struct cli_batch cli_batch;

/* Where a job's results go when the caller takes them (cli_batch_set_sink). */
typedef struct cli_batch_sink {
    /* The output's bytes, in input order, a chunk of records at a time. 0, or -1 after saying
     * why: the job stops and fails (exit status 1). */
    int (*write)(void *ctx, const char *p, size_t n);
    /* A record that failed: its first line, counted from 0 at the start of the range, and the
     * reason (not NUL-terminated). Called in input order, between the writes. */
    void (*failed)(void *ctx, size_t line, const char *msg, size_t n);
    void *ctx;
} cli_batch_sink;

/* What a job did. */
typedef struct cli_batch_counts {
    size_t rec_in, rec_out, failed;
    size_t extra; /* JSONL to TSV/CSV: records with members that are not columns */
    size_t lines; /* newlines consumed by the records scored */
} cli_batch_counts;

/* A job whose messages say "senti CMD: ..." and "Try 'PROG --help'". Exits on out of memory. */
cli_batch *cli_batch_new(const char *cmd, const char *prog);
/* The options of `senti batch`; usage (a printf format taking the core count) is printed for
 * --help. Returns -1 to go on, or the exit status (after --help, or a usage error said). */
int cli_batch_parse(cli_batch *J, int argc, char **argv, const char *usage);
/* Open the input, read its format and header, open the model, check that the output is not an
 * input. CLI_OK, or the exit status after saying why. */
int cli_batch_open(cli_batch *J);
const char *cli_batch_out_path(const cli_batch *J);
int cli_batch_quiet(const cli_batch *J);
const char *cli_batch_in_name(const cli_batch *J);
/* The output's format (known after cli_batch_open). */
senti__fmt cli_batch_out_format(const cli_batch *J);
/* The input as a mapping: 0 with its bytes, size and format (an empty regular file: map NULL,
 * size 0), or -1 if it is not a regular file (standard input, a pipe). */
int cli_batch_map(const cli_batch *J, const char **map, size_t *size, senti__fmt *fmt);

/* senti batch: open stdout or -o's temporary and write the output's header. 0, or -1 after
 * saying why. */
int cli_batch_start_output(cli_batch *J);
/* Append the output's header (TSV/CSV output; nothing for others or an input without one) to
 * out and step over the input's byte order mark and header record. Returns the offset in the
 * input where the records begin; *first_line: the line number of the first record. */
size_t cli_batch_header(cli_batch *J, senti__buf *out, size_t *first_line);
/* Score only the records in the mapped input's bytes [lo, hi) (both record boundaries). */
void cli_batch_set_range(cli_batch *J, size_t lo, size_t hi);
/* Hand the output and the failed records to sink instead of writing them; no progress bar. */
void cli_batch_set_sink(cli_batch *J, const cli_batch_sink *sink);

/* Score: start the workers, run the job to the end, stop them. Returns the exit status
 * (CLI_OK, CLI_RECORDS, or CLI_FAIL after saying why: a read or write error, an input changed
 * during the run, no worker thread) and the seconds it took in *seconds. */
int cli_batch_run(cli_batch *J, double *seconds);
void cli_batch_counts_get(const cli_batch *J, cli_batch_counts *c);
/* The summary on stderr as `senti batch` prints it (and the note on JSONL members that are not
 * columns); nothing if quiet. */
void cli_batch_summary(const cli_batch_counts *c, double seconds, int rc, int quiet);
/* Release the job; an -o output replaces its file only if rc is CLI_OK or CLI_RECORDS. Returns
 * rc, or CLI_FAIL if that last step failed. */
int cli_batch_free(cli_batch *J, int rc);

#endif
