/*
 * outfile.c - outputs that never overwrite an input and are replaced whole or not at all
 * (see outfile.h for the promises).
 *
 * Same file: stat() of the output against stat() of each input (fstat(0) for "-"); equal
 * st_dev and st_ino is the same file, whatever the spelling or the hard link.
 *
 * Temporaries: mkstemp() in the output's folder (a rename is atomic only within a file
 * system), given the mode the file would have had (the old file's, or 0666 less the umask).
 * The names of live temporaries are kept in a small table that the signal handler walks to
 * unlink them (unlink() is async-signal-safe) before the signal is raised again with its
 * default action, so an interrupted run leaves no ".NAME.XXXXXX" behind.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tools/outfile.h"

static void oom(void) {
    fputs("senti: out of memory\n", stderr);
    exit(CLI_FAIL);
}

static char *xstrdup(const char *s) {
    char *p = strdup(s);
    if (!p) oom();
    return p;
}

/* ---- inputs and the same-file check ------------------------------------------------------- */

void cli_inputs_add(cli_inputs *in, const char *path, const char *role) {
    if (!path || !*path) return;
    if (in->n == in->cap) {
        size_t nc = in->cap ? in->cap * 2 : 8;
        void *v = realloc(in->v, nc * sizeof *in->v);
        if (!v) oom();
        in->v = v;
        in->cap = nc;
    }
    in->v[in->n].path = xstrdup(path);
    in->v[in->n].role = role;
    in->n++;
}

/* The files the model was read from, as the library reports them (senti_model_path, and the
 * emoji lexicon a VADER model names in its metadata): the spec is not parsed a second time. */
void cli_inputs_add_model(cli_inputs *in, const senti_model *m) {
    cli_inputs_add(in, senti_model_path(m), "the model");
    cli_inputs_add(in, senti_model_meta(m, "emoji_lexicon"), "the model's emoji lexicon");
}

void cli_inputs_free(cli_inputs *in) {
    for (size_t i = 0; i < in->n; i++) free(in->v[i].path);
    free(in->v);
    memset(in, 0, sizeof *in);
}

int cli_same_file(const char *a, const char *b) {
    struct stat sa, sb;
    if ((strcmp(a, "-") ? stat(a, &sa) : fstat(0, &sa)) != 0) return 0;
    if ((strcmp(b, "-") ? stat(b, &sb) : fstat(0, &sb)) != 0) return 0;
    return sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

int cli_out_check(const char *cmd, const char *out, const cli_inputs *in) {
    if (!out || !strcmp(out, "-")) return 0; /* stdout */
    for (size_t i = 0; i < in->n; i++) {
        const char *p = in->v[i].path;
        if (cli_same_file(out, p)) {
            cli_error(cmd, "refusing to write %s: it is %s (%s), an input of this run", out,
                      in->v[i].role, strcmp(p, "-") ? p : "standard input");
            return -1;
        }
    }
    return 0;
}

/* ---- temporaries removed on a fatal signal ------------------------------------------------- */

#define MAX_LIVE 8
static char *volatile live[MAX_LIVE];

static void on_fatal(int sig) {
    for (int i = 0; i < MAX_LIVE; i++)
        if (live[i]) unlink(live[i]);
    signal(sig, SIG_DFL);
    raise(sig);
}

static void live_add(char *tmp) {
    static int installed;
    if (!installed) {
        static const int sigs[] = {SIGINT, SIGTERM, SIGHUP, SIGXFSZ};
        for (size_t i = 0; i < sizeof sigs / sizeof *sigs; i++) {
            struct sigaction sa, old;
            if (sigaction(sigs[i], NULL, &old) == 0 && old.sa_handler == SIG_IGN) continue;
            memset(&sa, 0, sizeof sa);
            sa.sa_handler = on_fatal;
            sigemptyset(&sa.sa_mask);
            sigaction(sigs[i], &sa, NULL);
        }
        installed = 1;
    }
    for (int i = 0; i < MAX_LIVE; i++)
        if (!live[i]) {
            live[i] = tmp;
            return;
        }
}

static void live_remove(const char *tmp) {
    for (int i = 0; i < MAX_LIVE; i++)
        if (live[i] == tmp) live[i] = NULL;
}

/* ---- outputs --------------------------------------------------------------------------------- */

static void out_close(cli_out *o) {
    if (o->f) fclose(o->f);
    else if (o->fd >= 0) close(o->fd);
    o->f = NULL;
    o->fd = -1;
}

static void out_free(cli_out *o) {
    if (o->tmp) live_remove(o->tmp);
    free(o->tmp);
    free(o->path);
    o->tmp = o->path = NULL;
}

int cli_out_open(cli_out *o, const char *cmd, const char *path) {
    memset(o, 0, sizeof *o);
    o->fd = -1;
    struct stat st;
    int exists = stat(path, &st) == 0;
    if (exists && !S_ISREG(st.st_mode)) { /* a device, a FIFO, a terminal: in place */
        if (S_ISDIR(st.st_mode)) {
            cli_error(cmd, "%s: is a directory", path);
            return -1;
        }
        o->fd = open(path, O_WRONLY | O_TRUNC | O_CLOEXEC);
        if (o->fd < 0) {
            cli_error(cmd, "%s: %s", path, strerror(errno));
            return -1;
        }
        o->path = xstrdup(path);
        return 0;
    }
    if (exists && access(path, W_OK) != 0) { /* as open() would have said: not ours to replace */
        cli_error(cmd, "%s: %s", path, strerror(errno));
        return -1;
    }
    /* the file a symlink names is the one replaced */
    char real[PATH_MAX];
    struct stat lst;
    const char *name = path;
    if (lstat(path, &lst) == 0 && S_ISLNK(lst.st_mode) && realpath(path, real)) name = real;
    o->path = xstrdup(name);
    const char *slash = strrchr(name, '/');
    size_t dlen = slash ? (size_t)(slash - name) + 1 : 0;
    o->tmp = malloc(strlen(name) + 16);
    if (!o->tmp) oom();
    sprintf(o->tmp, "%.*s.%s.XXXXXX", (int)dlen, name, name + dlen);
    o->fd = mkostemp(o->tmp, O_CLOEXEC);
    if (o->fd < 0) {
        cli_error(cmd, "%s: cannot create a file in its folder: %s", path, strerror(errno));
        out_free(o);
        return -1;
    }
    live_add(o->tmp);
    if (exists) {
        o->mode = st.st_mode & 07777;
    } else {
        mode_t mask = umask(0);
        umask(mask);
        o->mode = 0666 & ~mask;
    }
    return 0;
}

FILE *cli_out_stream(cli_out *o) {
    if (!o->f && o->fd >= 0) o->f = fdopen(o->fd, "w");
    return o->f;
}

const char *cli_out_path(const cli_out *o) { return o->tmp ? o->tmp : o->path; }

int cli_out_commit(cli_out *o, const char *cmd) {
    if (!o->path) return -1;
    int err = 0;
    const char *what = "write";
    errno = 0;
    if (o->f && (fflush(o->f) != 0 || ferror(o->f))) err = errno ? errno : EIO;
    int fd = o->fd;
    o->fd = -1;
    if (o->f ? fclose(o->f) != 0 : close(fd) != 0) {
        if (!err) err = errno, what = "close";
    }
    o->f = NULL;
    if (!err && o->tmp) {
        /* by name: a writer that takes a path may have made a new file there */
        int sfd = open(o->tmp, O_RDONLY | O_CLOEXEC);
        if (sfd < 0 || fchmod(sfd, o->mode) != 0 || fsync(sfd) != 0) err = errno, what = "fsync";
        if (sfd >= 0) close(sfd);
    }
    if (!err && o->tmp && rename(o->tmp, o->path) != 0) err = errno, what = "rename";
    if (err) {
        cli_error(cmd, "%s: %s error: %s%s", o->path, what, strerror(err),
                  o->tmp ? " (the file was left as it was)" : "");
        cli_out_abort(o);
        return -1;
    }
    if (o->tmp) { /* the rename itself, on disk */
        const char *slash = strrchr(o->path, '/');
        char dir[PATH_MAX] = ".";
        if (slash) snprintf(dir, sizeof dir, "%.*s", slash == o->path ? 1 : (int)(slash - o->path), o->path);
        int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dfd >= 0) {
            fsync(dfd);
            close(dfd);
        }
    }
    out_free(o);
    return 0;
}

void cli_out_abort(cli_out *o) {
    if (!o->path) return; /* never opened, or already finished */
    out_close(o);
    if (o->tmp) unlink(o->tmp);
    out_free(o);
}
