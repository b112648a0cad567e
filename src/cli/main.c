/* main.c - the senti program: dispatch to a subcommand. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"

static const char usage[] =
    "usage: senti COMMAND [OPTIONS] [ARGS]\n"
    "\n"
    "Fast sentiment analysis. With no --model, the linear model embedded in senti is used.\n"
    "\n"
    "commands:\n"
    "  predict [TEXT ...]       score texts given as arguments, or one per line of stdin\n"
    "  batch IN [-o OUT]        score a file of lines, TSV, CSV or JSONL on all cores\n"
    "  train DATA -o MODEL      train a linear model from labeled TSV, CSV or JSONL\n"
    "  eval MODEL DATA          accuracy, F1, ROC-AUC, confusion matrix on labeled data\n"
    "  model info|verify SPEC   show or check a model\n"
    "  model import DIR -o F    write a Hugging Face BERT/DistilBERT/RoBERTa classifier as one\n"
    "                           senti file (--dtype f32|f16|int8); or use it as hf:DIR\n"
    "  serve [--port N]         run the HTTP service (JSON API, cache, rate limits, metrics)\n"
    "  bench                    the performance table: load, latency, throughput, memory\n"
    "  version                  print the version\n"
    "\n"
    "Models (--model, eval's MODEL): 'default' (embedded), a model file (its kind is read\n"
    "from the file), or KIND:PATH, where KIND is one of:\n";

static const char usage_tail[] =
    "\n"
    "`senti COMMAND --help` explains each command.\n"
    "\n"
    "exit status: 0 success, 1 failure, 2 usage error, 3 some records failed,\n"
    "             4 a quality gate failed (eval --min-accuracy)\n";

static void print_usage(FILE *f) {
    fputs(usage, f);
    cli_print_kinds(f);
    fputs(usage_tail, f);
}

/* `senti serve` runs the senti-serve program installed beside this one (the service is a
 * program of its own so that the other commands do not load libmicrohttpd's TLS stack). */
static int serve_exec(int argc, char **argv) {
    (void)argc;
    char self[PATH_MAX], path[PATH_MAX + 16];
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    if (n > 0) {
        self[n] = 0;
        char *slash = strrchr(self, '/');
        if (slash) *slash = 0;
        snprintf(path, sizeof path, "%s/senti-serve", slash ? self : ".");
        argv[0] = path;
        execv(path, argv);
    }
    argv[0] = (char *)"senti-serve";
    execvp("senti-serve", argv); /* else: the one on PATH */
    fprintf(stderr, "senti serve: cannot run senti-serve (beside %s or on PATH): %s\n",
            n > 0 ? self : "senti", strerror(errno));
    return CLI_FAIL;
}

int main(int argc, char **argv) {
    if (argc < 2) {
        print_usage(stderr);
        return CLI_USAGE;
    }
    const char *cmd = argv[1];
    if (!strcmp(cmd, "-h") || !strcmp(cmd, "--help") || !strcmp(cmd, "help")) {
        print_usage(stdout);
        return cli_finish_stdout("help") ? CLI_FAIL : CLI_OK;
    }
    if (!strcmp(cmd, "-V") || !strcmp(cmd, "--version") || !strcmp(cmd, "version")) {
        printf("senti %s\n", senti_version());
        return cli_finish_stdout("version") ? CLI_FAIL : CLI_OK;
    }
    static const struct {
        const char *name;
        int (*fn)(int, char **);
    } cmds[] = {{"predict", cmd_predict}, {"batch", cmd_batch}, {"train", cmd_train},
                {"eval", cmd_eval},       {"model", cmd_model}, {"bench", cmd_bench},
                {"serve", serve_exec}};
    for (size_t i = 0; i < sizeof cmds / sizeof *cmds; i++)
        if (!strcmp(cmd, cmds[i].name)) {
            int rc = cmds[i].fn(argc - 1, argv + 1);
            /* every command's writes to stdout, checked in one place: a report that did not
             * reach its reader is a failure, whatever the command concluded */
            return cli_finish_stdout(cmd) ? CLI_FAIL : rc;
        }
    fprintf(stderr, "senti: unknown command '%s'\n\n", cmd);
    print_usage(stderr);
    return CLI_USAGE;
}
