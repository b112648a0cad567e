/*
 * cli.h - what the subcommands of the senti program share.
 *
 * Exit codes (documented in `senti --help` and the README):
 *   0  success
 *   1  runtime failure (unreadable file, bad model, out of memory)
 *   2  usage error (unknown option, missing argument)
 *   3  some records could not be scored or parsed (batch, eval, train): each was reported
 *   4  a quality gate failed (eval --min-accuracy)
 */
#ifndef SENTI_CLI_H
#define SENTI_CLI_H

#include <stdio.h>

#include "senti.h"

enum { CLI_OK = 0, CLI_FAIL = 1, CLI_USAGE = 2, CLI_RECORDS = 3, CLI_GATE = 4 };

int cmd_predict(int argc, char **argv);
int cmd_batch(int argc, char **argv);
int cmd_train(int argc, char **argv);
int cmd_eval(int argc, char **argv);
int cmd_model(int argc, char **argv);
int cmd_serve(int argc, char **argv); /* src/serve/main.c */
int cmd_bench(int argc, char **argv);

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
    "                       (linear:FILE, vader:DIR-or-lexicon-file)\n"                      \
    "      --lexicon DIR    folder of the VADER lexicons (also $SENTI_VADER_LEXICON)\n"      \
    "      --max-bytes N    bytes of each text considered (default 1048576)\n"              \
    "      --max-tokens N   tokens of each text considered (default 65536)\n"

int cli_model_opt(cli_model_args *a, int opt, const char *arg);
/* Set a->spec (--model, eval's MODEL, model info's SPEC); -1 after a message if it is empty
 * (an empty spec would silently mean the default model). */
int cli_model_spec(cli_model_args *a, const char *spec);
/* Open the model named by a (prints the error on stderr and returns NULL on failure). */
senti_model *cli_open_model(const cli_model_args *a);

/* Parse a non-negative integer option value in [lo, hi]; prints an error naming opt. */
int cli_parse_uint(const char *opt, const char *s, unsigned long lo, unsigned long hi,
                   unsigned long *out);

/* Print "senti CMD: message" on stderr. */
void cli_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Write s[0..n) as a JSON string (quotes included); invalid UTF-8 becomes U+FFFD. */
void cli_json_string(FILE *f, const char *s, size_t n);

/* v as printf("%.4f") writes it (exactly; fast for 0 <= v < 10,000). out: 32 bytes. */
int cli_fmt_fixed4(char *out, double v);

/* Sentiment classes of labeled data: 0/-1/neg/negative, 1/pos/positive, neu/neutral
 * (case-insensitive); -1 for anything else. */
enum { CLI_NEG = 0, CLI_POS = 1, CLI_NEU = 2 };
int cli_label_class(const char *raw);
const char *cli_class_name(int cls);

/* XXH3-128 of a file's bytes as 32 hex digits; -1 if it cannot be read. */
int cli_file_digest(const char *path, char out[33]);

/* Flush and close stdout, for every command when it returns (src/cli/main.c): 0, or -1 after
 * "senti CMD: standard output: write error: ..." if any write to it failed (a full disk, a
 * closed pipe with SIGPIPE ignored): then the command's report is incomplete and senti exits 1. */
int cli_finish_stdout(const char *cmd);

/* Number of online cores (>= 1). */
int cli_ncpu(void);

#endif
