/* predict.c - `senti predict`: score texts from the command line or stdin. */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "tools/records.h"

static const char help[] =
    "usage: senti predict [OPTIONS] [TEXT ...]\n"
    "\n"
    "Score each TEXT, or each line of standard input when no TEXT is given (a line\n"
    "longer than --max-bytes is scored on its first --max-bytes bytes; such lines are\n"
    "counted on stderr; a read error is exit status 1).\n"
    "Prints one line per text: LABEL<TAB>SCORE, where SCORE is the probability of\n"
    "'positive'; with --json, one JSON object per line:\n"
    "  {\"text\":...,\"label\":...,\"score\":...,\"scores\":{label: probability, ...}}\n"
    "plus the model's own fields (VADER: neg, neu, pos, compound).\n"
    "\n"
    "options:\n"
    CLI_MODEL_HELP
    "  -j, --json           JSON lines output\n"
    "  -e, --explain[=N]    show the N features (default 10) that weigh most in each\n"
    "                       decision: word, word pair or triple, and what it adds to the\n"
    "                       predicted label's logit (exact for linear models: the bias and\n"
    "                       all the features add up to the logit)\n"
    "  -t, --threads N      threads one text may use (1-16, default 1): a transformer\n"
    "                       splits its products over them (a long text on idle cores);\n"
    "                       other kinds use one. The answers do not change.\n"
    "  -h, --help           this help\n"
    "\n"
    "examples:\n"
    "  senti predict \"what a wonderful, moving film\"\n"
    "  senti predict --json \"not good\" \"not bad\"\n"
    "  senti predict --explain=5 \"a gorgeous but hollow film\"\n"
    "  cut -f2 reviews.tsv | senti predict > labels.txt\n"
    "  senti predict --model vader:/data/vader \"I LOVE it :)\"\n";

typedef struct ranked {
    float w;  /* toward the predicted label */
    size_t i; /* index in the contributions */
} ranked;

static int cmp_expl(const void *a, const void *b) {
    float x = fabsf(((const ranked *)a)->w), y = fabsf(((const ranked *)b)->w);
    if (x != y) return x > y ? -1 : 1;
    size_t i = ((const ranked *)a)->i, j = ((const ranked *)b)->i;
    return i < j ? -1 : i > j;
}

typedef struct pstate {
    const senti_model *m;
    senti_ctx *ctx;
    int json;
    long explain;           /* features to show; 0: no explanation */
    char *buf;
    size_t cap;
    senti_contribution *contrib;
    size_t ccap;
    ranked *order;
} pstate;

/* ---- standard input, one line at a time, bounded ------------------------------------------- */

/* Lines of a file descriptor. A line keeps at most `limit` bytes (the model's max_text_bytes:
 * the library scores no more than that anyway); the rest of a longer line is read and dropped,
 * so a line without a newline costs a bounded buffer however long it is. A read error is
 * reported as such, never taken for the end of the input. */
typedef struct lines {
    int fd;
    char block[1 << 16];
    size_t pos, len;   /* unread bytes block[pos..len) */
    int eof, err;      /* err: errno of a failed read */
    char *line;        /* the current line: line[0..n), cut to limit */
    size_t n, cap, limit;
    size_t no, n_cut;  /* lines read; lines that were cut */
} lines;

static int lines_fill(lines *L) {
    for (;;) {
        ssize_t k = read(L->fd, L->block, sizeof L->block);
        if (k < 0 && errno == EINTR) continue;
        if (k < 0) L->err = errno;
        if (k <= 0) {
            L->eof = 1;
            return 0;
        }
        L->pos = 0;
        L->len = (size_t)k;
        return 1;
    }
}

static void lines_keep(lines *L, const char *p, size_t k) {
    if (L->n >= L->limit) return;
    if (k > L->limit - L->n) k = L->limit - L->n;
    if (L->cap - L->n < k) {
        size_t nc = L->cap ? L->cap : 4096;
        while (nc - L->n < k) nc = nc > L->limit / 2 ? L->limit : nc * 2;
        L->line = xrealloc(L->line, nc);
        L->cap = nc;
    }
    memcpy(L->line + L->n, p, k);
    L->n += k;
}

/* The next line (without its "\n" or "\r\n") in L->line[0..L->n): 1, or 0 at the end of the
 * input or on a read error (L->err). */
static int lines_next(lines *L) {
    size_t total = 0;
    int any = 0;
    L->n = 0;
    for (;;) {
        if (L->pos == L->len && (L->eof || !lines_fill(L))) break;
        any = 1;
        const char *p = L->block + L->pos;
        size_t avail = L->len - L->pos;
        const char *nl = memchr(p, '\n', avail);
        size_t k = nl ? (size_t)(nl - p) : avail;
        lines_keep(L, p, k);
        total += k;
        L->pos += k + (nl != NULL);
        if (nl) break;
    }
    if (!any || L->err) return 0;
    if (total > L->n) L->n_cut++;
    else if (L->n && L->line[L->n - 1] == '\r') L->n--;
    L->no++;
    return 1;
}

static int print_one(pstate *ps, const char *text, size_t len) {
    senti_result r;
    size_t nc = 0;
    int rc;
    if (ps->explain) {
        rc = senti_explain(ps->m, ps->ctx, text, len, &r, ps->contrib, ps->ccap, &nc);
        if (!rc && nc > ps->ccap) { /* more features than room: grow and ask again */
            ps->ccap = nc;
            ps->contrib = xrealloc(ps->contrib, nc * sizeof *ps->contrib);
            ps->order = xrealloc(ps->order, nc * sizeof *ps->order);
            rc = senti_explain(ps->m, ps->ctx, text, len, &r, ps->contrib, ps->ccap, &nc);
        }
        if (rc == SENTI_ENOTSUP) {
            fprintf(stderr, "senti predict: --explain: the %s model kind has no explanations\n",
                    senti_model_kind(ps->m));
            exit(CLI_USAGE);
        }
    } else {
        rc = senti_predict(ps->m, ps->ctx, text, len, &r);
    }
    if (rc) {
        fprintf(stderr, "senti predict: %s\n", senti_strerror(rc));
        return rc;
    }
    size_t shown = 0;
    if (ps->explain) {
        for (size_t i = 0; i < nc; i++) ps->order[i] = (ranked){senti_contribution_toward(ps->m, &ps->contrib[i], r.label), i};
        qsort(ps->order, nc, sizeof *ps->order, cmp_expl);
        shown = nc < (size_t)ps->explain ? nc : (size_t)ps->explain;
    }
    if (!ps->json) {
        /* LABEL<TAB>score as printf's "%.4f" would write it, without printf: 15% of the
         * instructions of `senti predict` went to printf_fp (docs/PERFORMANCE.md) */
        const char *label = senti_model_label(ps->m, r.label);
        char line[160];
        size_t ll = label ? strlen(label) : 0;
        if (ll > sizeof line - 40) ll = sizeof line - 40;
        if (ll) memcpy(line, label, ll);
        line[ll++] = '\t';
        ll += (size_t)cli_fmt_fixed4(line + ll, r.score);
        line[ll++] = '\n';
        fwrite(line, 1, ll, stdout);
        for (size_t k = 0; k < shown; k++) {
            const senti_contribution *c = &ps->contrib[ps->order[k].i];
            printf("\t%+.3f\t", ps->order[k].w);
            if (c->order == SENTI_CONTRIB_BIAS) printf("(bias)");
            else if (c->order == 0) printf("%s%.*s%s", c->start == 0 ? "<start> " : "", (int)(c->end - c->start),
                                            text + c->start, c->start == 0 ? "" : " <end>");
            else printf("%.*s", (int)(c->end - c->start), text + c->start);
            printf("%s\n", c->flags & SENTI_CONTRIB_NEGATED ? "  (negated)" : "");
        }
        return 0;
    }
    size_t need = senti_result_json(ps->m, &r, ps->buf, ps->cap);
    if (need >= ps->cap) {
        ps->cap = need + 1;
        ps->buf = xrealloc(ps->buf, ps->cap);
        senti_result_json(ps->m, &r, ps->buf, ps->cap);
    }
    fputs("{\"text\":", stdout);
    cli_json_string(stdout, text, len);
    putchar(',');
    fputs(ps->buf, stdout);
    if (ps->explain) {
        fputs(",\"explanation\":[", stdout);
        for (size_t k = 0; k < shown; k++) {
            const senti_contribution *c = &ps->contrib[ps->order[k].i];
            printf("%s{\"feature\":", k ? "," : "");
            if (c->order == SENTI_CONTRIB_BIAS) fputs("\"(bias)\"", stdout);
            else cli_json_string(stdout, text + c->start, c->end - c->start);
            printf(",\"start\":%u,\"end\":%u,\"order\":%u,\"negated\":%s,\"weight\":%.4f}", c->start,
                   c->end, c->order == SENTI_CONTRIB_BIAS ? 0 : c->order,
                   c->flags & SENTI_CONTRIB_NEGATED ? "true" : "false", ps->order[k].w);
        }
        fputs("]", stdout);
    }
    fputs("}\n", stdout);
    return 0;
}

/* Each line of standard input, kept to limit bytes; *failed if one could not be scored.
 * Returns 1 if the input could not be read (a read error, or UTF-16/32 text), after saying why. */
static int predict_stdin(pstate *ps, size_t limit, int *failed) {
    lines L = {.fd = 0, .limit = limit};
    int bad = 0;
    while (!ferror(stdout) && lines_next(&L)) {
        const char *foreign = L.no == 1 ? senti__bom_foreign(L.line, L.n) : NULL;
        if (foreign) {
            fprintf(stderr, "senti predict: standard input: %s text (it starts with that byte order mark); "
                    SENTI__BOM_ADVICE "\n", foreign);
            bad = 1;
            break;
        }
        *failed |= print_one(ps, L.line ? L.line : "", L.n) != 0;
    }
    if (L.n_cut)
        fprintf(stderr, "senti predict: %zu line%s longer than %zu bytes: the first %zu bytes of each were scored\n",
                L.n_cut, L.n_cut == 1 ? " was" : "s were", L.limit, L.limit);
    if (L.err) {
        fprintf(stderr, "senti predict: standard input: read error after %zu lines: %s\n", L.no, strerror(L.err));
        bad = 1;
    }
    free(L.line);
    return bad;
}

int cmd_predict(int argc, char **argv) {
    static const struct option longopts[] = {
        CLI_MODEL_LONGOPTS, {"json", no_argument, 0, 'j'}, {"explain", optional_argument, 0, 'e'},
        {"threads", required_argument, 0, 't'}, {"help", no_argument, 0, 'h'}, {0, 0, 0, 0}};
    cli_model_args ma = {0};
    int json = 0, c;
    long explain = 0;
    unsigned long v, threads = 1;
    optind = 1;
    while ((c = getopt_long(argc, argv, "m:je::t:h", longopts, NULL)) != -1) {
        int r = cli_model_opt(&ma, c, optarg);
        if (r < 0) return CLI_USAGE;
        if (r) continue;
        switch (c) {
        case 'j': json = 1; break;
        case 'e':
            explain = 10;
            if (optarg) {
                if (cli_parse_uint("--explain", optarg, 1, 1000000, &v)) return CLI_USAGE;
                explain = (long)v;
            }
            break;
        case 't':
            if (cli_parse_uint("--threads", optarg, 1, 16, &threads)) return CLI_USAGE;
            break;
        case 'h': fputs(help, stdout); return CLI_OK;
        default: fputs(help, stderr); return CLI_USAGE;
        }
    }
    senti_model *m = cli_open_model(&ma);
    if (!m) return CLI_FAIL;
    senti_ctx *ctx = NULL;
    if (senti_ctx_new(m, &ctx) || senti_ctx_set_threads(ctx, (int)threads)) {
        fprintf(stderr, "senti predict: out of memory\n");
        senti_model_free(m);
        return CLI_FAIL;
    }
    pstate ps = {m, ctx, json, explain, NULL, 0, NULL, 0, NULL};
    if (explain) {
        ps.ccap = 256;
        ps.contrib = xrealloc(NULL, ps.ccap * sizeof *ps.contrib);
        ps.order = xrealloc(NULL, ps.ccap * sizeof *ps.order);
    }
    int failed = 0, read_failed = 0;
    if (optind < argc) {
        for (int i = optind; i < argc; i++) failed |= print_one(&ps, argv[i], strlen(argv[i])) != 0;
    } else {
        read_failed = predict_stdin(&ps, ma.opts.max_text_bytes ? ma.opts.max_text_bytes : SENTI_DEFAULT_MAX_TEXT_BYTES,
                                    &failed);
    }
    free(ps.buf);
    free(ps.contrib);
    free(ps.order);
    senti_ctx_free(ctx);
    senti_model_free(m);
    return read_failed ? CLI_FAIL : failed ? CLI_RECORDS : CLI_OK;
}
