/*
 * outfile.h - every file the senti program writes goes through here, for two promises:
 *
 * 1. An output never destroys an input. Before anything is read or written, the output path is
 *    compared (device and inode, so hard links and other spellings count) with every file the
 *    run reads: data, validation data, the model file, lexicons. `senti train D.tsv -o D.tsv`
 *    is refused with a message saying which input it is, and D.tsv is left as it was. An
 *    output that does not exist yet is fine.
 *
 * 2. An output is replaced whole or not at all. The bytes go to a temporary file in the same
 *    folder (".NAME.XXXXXX"); cli_out_commit() flushes it to disk (fsync), renames it onto NAME
 *    and syncs the folder, so a full disk, a write error, a crash or a kill never leaves a
 *    truncated file where a good one was: NAME is the old file or the new one. A failed run
 *    calls cli_out_abort(), which removes the temporary; SIGINT, SIGTERM, SIGHUP and SIGXFSZ
 *    remove it too. A symlink is followed (the file it names is replaced, the link stays). An
 *    output that exists and is not a regular file (/dev/null, /dev/full, a FIFO, a terminal) is
 *    written in place: there is nothing to replace atomically, and renaming onto a device would
 *    replace the device.
 *
 * Writers that want a file descriptor use o->fd, or cli_out_stream() for stdio; writers that
 * take a path (the model trainer, gnuplot) write to cli_out_path(), the temporary.
 */
#ifndef SENTI_TOOLS_OUTFILE_H
#define SENTI_TOOLS_OUTFILE_H

#include <stdio.h>

#include "tools/progs.h"

/* The files a run reads, with what each is ("the training data"), for messages. */
typedef struct cli_inputs {
    struct cli_input {
        char *path; /* "-": standard input */
        const char *role;
    } *v;
    size_t n, cap;
} cli_inputs;

/* Add a file (copied); a NULL or empty path is ignored. Exits on out of memory. */
void cli_inputs_add(cli_inputs *in, const char *path, const char *role);
/* Add the files the opened model was read from (its file, or VADER's two lexicons). */
void cli_inputs_add_model(cli_inputs *in, const senti_model *m);
void cli_inputs_free(cli_inputs *in);

/* 1 if paths a and b name the same existing file (device and inode: another spelling or a
 * hard link counts), else 0; "-" is standard input. */
int cli_same_file(const char *a, const char *b);

/* 0 if writing out would not overwrite any of in; else prints "senti CMD: refusing to write
 * OUT: it is ROLE (PATH), an input of this run" and returns -1 (the caller exits CLI_USAGE). */
int cli_out_check(const char *cmd, const char *out, const cli_inputs *in);

typedef struct cli_out {
    char *path; /* the name the output gets (a symlink resolved) */
    char *tmp;  /* the temporary it is written to; NULL when written in place */
    int fd;
    FILE *f;    /* cli_out_stream(), or NULL */
    unsigned mode; /* the file's mode: the old file's, or 0666 less the umask */
} cli_out;

/* Open an output for path: a temporary beside it, or the file itself if it is not a regular
 * file. Prints why and returns -1 on failure. */
int cli_out_open(cli_out *o, const char *cmd, const char *path);
/* A stdio stream on the output (opened once, closed by commit or abort); NULL on failure. */
FILE *cli_out_stream(cli_out *o);
/* The path to write to: the temporary (or the file itself when written in place). */
const char *cli_out_path(const cli_out *o);
/* Finish: flush, fsync, close, rename onto the name, sync the folder. Prints why and returns -1
 * on failure (the temporary is then removed and the old file, if any, left as it was). */
int cli_out_commit(cli_out *o, const char *cmd);
/* Give up: close and remove the temporary (the old file, if any, is left as it was). Safe on
 * an output that was never opened (zeroed) or already committed. */
void cli_out_abort(cli_out *o);

#endif
