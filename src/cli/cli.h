/*
 * cli.h - what the subcommands of the senti program share.
 *
 * The exit codes and the model options are src/tools/progs.h's (senti-serve uses them too).
 */
#ifndef SENTI_CLI_H
#define SENTI_CLI_H

#include <stdio.h>

#include "base/base.h"
#include "senti.h"
#include "tools/progs.h"

int cmd_predict(int argc, char **argv);
int cmd_batch(int argc, char **argv);
int cmd_train(int argc, char **argv);
int cmd_eval(int argc, char **argv);
int cmd_model(int argc, char **argv);
int cmd_bench(int argc, char **argv);

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

#endif
