/* predict.c - `senti predict`: score texts from the command line or stdin. */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"

static const char help[] =
    "usage: senti predict [OPTIONS] [TEXT ...]\n"
    "\n"
    "Score each TEXT, or each line of standard input when no TEXT is given.\n"
    "Prints one line per text: LABEL<TAB>SCORE, where SCORE is the probability of\n"
    "'positive'; with --json, one JSON object per line:\n"
    "  {\"text\":...,\"label\":...,\"score\":...,\"scores\":{label: probability, ...}}\n"
    "plus the model's own fields (VADER: neg, neu, pos, compound).\n"
    "\n"
    "options:\n"
    CLI_MODEL_HELP
    "  -j, --json           JSON lines output\n"
    "  -h, --help           this help\n"
    "\n"
    "examples:\n"
    "  senti predict \"what a wonderful, moving film\"\n"
    "  senti predict --json \"not good\" \"not bad\"\n"
    "  cut -f2 reviews.tsv | senti predict > labels.txt\n"
    "  senti predict --model vader:/data/vader \"I LOVE it :)\"\n";

static int print_one(const senti_model *m, senti_ctx *ctx, const char *text, size_t len, int json,
                     char **buf, size_t *cap) {
    senti_result r;
    int rc = senti_predict(m, ctx, text, len, &r);
    if (rc) {
        fprintf(stderr, "senti predict: %s\n", senti_strerror(rc));
        return rc;
    }
    if (!json) {
        printf("%s\t%.4f\n", senti_model_label(m, r.label), r.score);
        return 0;
    }
    size_t need = senti_result_json(m, &r, *buf, *cap);
    if (need >= *cap) {
        char *nb = realloc(*buf, need + 1);
        if (!nb) {
            fprintf(stderr, "senti predict: out of memory\n");
            exit(CLI_FAIL);
        }
        *buf = nb;
        *cap = need + 1;
        senti_result_json(m, &r, *buf, *cap);
    }
    fputs("{\"text\":", stdout);
    cli_json_string(stdout, text, len);
    putchar(',');
    fputs(*buf, stdout);
    fputs("}\n", stdout);
    return 0;
}

int cmd_predict(int argc, char **argv) {
    static const struct option longopts[] = {
        CLI_MODEL_LONGOPTS, {"json", no_argument, 0, 'j'}, {"help", no_argument, 0, 'h'}, {0, 0, 0, 0}};
    cli_model_args ma = {0};
    int json = 0, c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "m:jh", longopts, NULL)) != -1) {
        int r = cli_model_opt(&ma, c, optarg);
        if (r < 0) return CLI_USAGE;
        if (r) continue;
        switch (c) {
        case 'j': json = 1; break;
        case 'h': fputs(help, stdout); return CLI_OK;
        default: fputs(help, stderr); return CLI_USAGE;
        }
    }
    senti_model *m = cli_open_model(&ma);
    if (!m) return CLI_FAIL;
    senti_ctx *ctx = NULL;
    if (senti_ctx_new(m, &ctx)) {
        fprintf(stderr, "senti predict: out of memory\n");
        senti_model_free(m);
        return CLI_FAIL;
    }
    char *buf = malloc(512);
    size_t cap = buf ? 512 : 0;
    int failed = 0;
    if (optind < argc) {
        for (int i = optind; i < argc; i++)
            failed |= print_one(m, ctx, argv[i], strlen(argv[i]), json, &buf, &cap) != 0;
    } else {
        char *line = NULL;
        size_t lcap = 0;
        ssize_t n;
        while ((n = getline(&line, &lcap, stdin)) >= 0) {
            if (n > 0 && line[n - 1] == '\n') n--;
            if (n > 0 && line[n - 1] == '\r') n--;
            failed |= print_one(m, ctx, line, (size_t)n, json, &buf, &cap) != 0;
        }
        free(line);
    }
    free(buf);
    senti_ctx_free(ctx);
    senti_model_free(m);
    if (fflush(stdout) != 0) {
        perror("senti predict: write");
        return CLI_FAIL;
    }
    return failed ? CLI_RECORDS : CLI_OK;
}
