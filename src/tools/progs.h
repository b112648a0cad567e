/*
 * progs.h - what the command-line programs (senti and senti-serve) share: exit codes, the
 * model options every command takes, option parsing, error messages, and allocation that
 * exits instead of failing. The library never prints or exits; these helpers do both, which
 * is why they live here and not in src/base.
 *
 * Exit codes (documented in `senti --help` and the README):
 *   0  success
 *   1  runtime failure (unreadable file, bad model, out of memory)
 *   2  usage error (unknown option, missing argument)
 *   3  some records could not be scored or parsed (batch, eval, train): each was reported
 *   4  a quality gate failed (eval --min-accuracy)
 */
#ifndef SENTI_TOOLS_PROGS_H
#define SENTI_TOOLS_PROGS_H

#include <stddef.h>
#include <stdio.h>

#include "senti.h"

enum { CLI_OK = 0, CLI_FAIL = 1, CLI_USAGE = 2, CLI_RECORDS = 3, CLI_GATE = 4 };

/* Common model options: --model SPEC, --lexicon DIR, --max-bytes N, --max-tokens N.
 * cli_model_opt() handles one getopt_long result (returns 1 if it was a model option,
 * 0 if not, -1 on a bad value after printing why). */
typedef struct cli_model_args {
    const char *spec;
    senti_options opts;
} cli_model_args;

#define CLI_MODEL_LONGOPTS                                   \
    {"model", required_argument, 0, 'm'},                    \
    {"lexicon", required_argument, 0, 0x1001},               \
    {"max-bytes", required_argument, 0, 0x1002},             \
    {"max-tokens", required_argument, 0, 0x1003}
#define CLI_MODEL_HELP                                                                     \
    "  -m, --model M        default (the embedded model), a model file, or KIND:PATH\n"      \
    "                       (linear:FILE, vader:DIR-or-lexicon-file, transformer:FILE-or-DIR,\n" \
    "                       hf:DIR; `senti --help` lists the kinds)\n"                       \
    "      --lexicon DIR    folder of the VADER lexicons (also $SENTI_VADER_LEXICON)\n"      \
    "      --max-bytes N    bytes of each text considered (default 1048576)\n"              \
    "      --max-tokens N   tokens of each text considered (default 65536; a transformer:\n" \
    "                       ids, special tokens included, at most its positions)\n"

int cli_model_opt(cli_model_args *a, int opt, const char *arg);
/* Set a->spec (--model, eval's MODEL, model info's SPEC); -1 after a message if it is empty
 * (an empty spec would silently mean the default model). */
int cli_model_spec(cli_model_args *a, const char *spec);
/* Open the model named by a (prints the error on stderr and returns NULL on failure). */
senti_model *cli_open_model(const cli_model_args *a);
/* The model kinds of the library's registry, one "  KIND:PATH  what" line each. */
void cli_print_kinds(FILE *f);

/* Parse a non-negative integer option value in [lo, hi]; prints an error naming opt. */
int cli_parse_uint(const char *opt, const char *s, unsigned long lo, unsigned long hi,
                   unsigned long *out);

/* Print "senti CMD: message" on stderr. */
void cli_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Number of online cores (>= 1). */
int cli_ncpu(void);

/* malloc/calloc/realloc that print "senti: out of memory" and exit(1) on failure: for the
 * programs' own bookkeeping, where there is nothing better to do. */
void *xmalloc(size_t n);
void *xcalloc(size_t count, size_t size);
void *xrealloc(void *p, size_t n);

#endif
