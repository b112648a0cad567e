/* eval.c - `senti eval`: quality of a model on labeled data. */
#include <getopt.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/cli.h"
#include "internal.h"
#include "io/dataset.h"

static const char help[] =
    "usage: senti eval MODEL DATA [OPTIONS]\n"
    "\n"
    "Score every text of DATA with MODEL and compare with its labels. Prints accuracy,\n"
    "macro-F1, per-class precision/recall/F1, the confusion matrix, ROC-AUC of the\n"
    "'positive' score (when the data has negative and positive rows) and, for data whose\n"
    "label is a continuous rating, the Pearson correlation of the score with it.\n"
    "\n"
    "MODEL is 'default', a model file or KIND:PATH (e.g. vader:/data/vader).\n"
    "DATA is TSV, CSV or JSONL with a header ('label' and the first of text, sentence,\n"
    "content, review), or any of these named with --label-col/--text-col.\n"
    "\n"
    "options:\n"
    "      --json             print one JSON object (keys include accuracy and n)\n"
    "      --min-accuracy X   exit with status 4 when accuracy < X (a quality gate)\n"
    "      --text-col C       text column: name or 1-based index\n"
    "      --label-col C      label column: name or 1-based index\n"
    "      --format F         auto, tsv, csv, jsonl (auto)\n"
    "      --no-header        the file has no header: columns are indices (label 1, text 2)\n"
    "      --rating           labels are ratings: > 0 is positive, < 0 negative, 0 left out\n"
    "                         of accuracy (chosen by itself when labels are numbers other\n"
    "                         than 0, 1, -1)\n"
    "      --threads N        threads (all cores)\n"
    "      --max-bytes N, --max-tokens N, --lexicon DIR   as for predict\n"
    "  -h, --help             this help\n"
    "\n"
    "examples:\n"
    "  senti eval default ../shared/data/sst2/dev.tsv --min-accuracy 0.83\n"
    "  senti eval vader:../shared/data/vader ../shared/data/icwsm/tweets_GroundTruth.txt \\\n"
    "      --no-header --label-col 2 --text-col 3\n";

/* Area under the ROC curve (Mann-Whitney, ties count one half). */
typedef struct sp {
    double s;
    int pos;
} sp;
static int cmp_sp(const void *a, const void *b) {
    double x = ((const sp *)a)->s, y = ((const sp *)b)->s;
    return x < y ? -1 : x > y;
}
static double roc_auc(sp *v, size_t n) {
    qsort(v, n, sizeof *v, cmp_sp);
    double npos = 0, nneg = 0, rank_sum = 0;
    for (size_t i = 0; i < n;) {
        size_t j = i;
        while (j < n && v[j].s == v[i].s) j++;
        double avg = (double)(i + j + 1) / 2.0; /* ranks i+1..j */
        for (size_t k = i; k < j; k++)
            if (v[k].pos) rank_sum += avg, npos++;
            else nneg++;
        i = j;
    }
    if (!npos || !nneg) return NAN;
    return (rank_sum - npos * (npos + 1) / 2) / (npos * nneg);
}

static double pearson(const double *x, const double *y, size_t n) {
    double mx = 0, my = 0;
    for (size_t i = 0; i < n; i++) mx += x[i], my += y[i];
    mx /= (double)n, my /= (double)n;
    double sxy = 0, sxx = 0, syy = 0;
    for (size_t i = 0; i < n; i++) {
        sxy += (x[i] - mx) * (y[i] - my);
        sxx += (x[i] - mx) * (x[i] - mx);
        syy += (y[i] - my) * (y[i] - my);
    }
    return sxx > 0 && syy > 0 ? sxy / sqrt(sxx * syy) : NAN;
}

static void json_num(double v) {
    if (isfinite(v)) printf("%.6g", v);
    else printf("null");
}

int cmd_eval(int argc, char **argv) {
    enum { O_JSON = 0x2000, O_MIN, O_TEXT, O_LABEL, O_FMT, O_NOHDR, O_RATING, O_THREADS };
    static const struct option longopts[] = {
        CLI_MODEL_LONGOPTS, {"json", no_argument, 0, O_JSON}, {"min-accuracy", required_argument, 0, O_MIN},
        {"text-col", required_argument, 0, O_TEXT}, {"label-col", required_argument, 0, O_LABEL},
        {"format", required_argument, 0, O_FMT}, {"no-header", no_argument, 0, O_NOHDR},
        {"rating", no_argument, 0, O_RATING}, {"threads", required_argument, 0, O_THREADS},
        {"help", no_argument, 0, 'h'}, {0, 0, 0, 0}};
    cli_model_args ma = {0};
    senti__dataset_opts dopt = {0};
    int json = 0, rating = 0, threads = 0, c;
    double min_acc = -1;
    unsigned long v;
    char *end;
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        int r = cli_model_opt(&ma, c, optarg);
        if (r < 0) return CLI_USAGE;
        if (r) continue;
        switch (c) {
        case O_JSON: json = 1; break;
        case O_MIN:
            min_acc = strtod(optarg, &end);
            if (*end || !(min_acc >= 0 && min_acc <= 1)) {
                cli_error("eval", "--min-accuracy expects a number in [0, 1], not '%s'", optarg);
                return CLI_USAGE;
            }
            break;
        case O_TEXT: dopt.text_col = optarg; break;
        case O_LABEL: dopt.label_col = optarg; break;
        case O_FMT: dopt.format = optarg; break;
        case O_NOHDR: dopt.no_header = 1; break;
        case O_RATING: rating = 1; break;
        case O_THREADS: if (cli_parse_uint("--threads", optarg, 1, 256, &v)) return CLI_USAGE; threads = (int)v; break;
        case 'h': fputs(help, stdout); return CLI_OK;
        default: fputs(help, stderr); return CLI_USAGE;
        }
    }
    if (argc - optind != 2) {
        cli_error("eval", "expected MODEL and DATA");
        fputs(help, stderr);
        return CLI_USAGE;
    }
    ma.spec = argv[optind];
    const char *data = argv[optind + 1];
    senti_model *m = cli_open_model(&ma);
    if (!m) return CLI_FAIL;
    senti__dataset ds;
    char err[512];
    if (senti__dataset_load(data, &dopt, &ds, err, sizeof err)) {
        cli_error("eval", "%s", err);
        senti_model_free(m);
        return CLI_FAIL;
    }
    for (size_t i = 0; i < ds.n_errors; i++) fprintf(stderr, "senti eval: %s\n", ds.errors[i]);
    int K = senti_model_n_classes(m);
    int ipos = senti_model_label_index(m, "positive"), ineg = senti_model_label_index(m, "negative");
    /* rating mode by itself: numeric labels beyond 0/1/-1 */
    if (!rating) {
        for (size_t i = 0; i < ds.n; i++)
            if (!isnan(ds.ratings[i]) && ds.ratings[i] != 0 && ds.ratings[i] != 1 && ds.ratings[i] != -1) {
                rating = 1;
                break;
            }
    }
    senti_text *tx = malloc((ds.n ? ds.n : 1) * sizeof *tx);
    senti_result *res = malloc((ds.n ? ds.n : 1) * sizeof *res);
    int *truth = malloc((ds.n ? ds.n : 1) * sizeof *truth);
    double *xs = malloc((ds.n ? ds.n : 1) * sizeof *xs), *ys = malloc((ds.n ? ds.n : 1) * sizeof *ys);
    sp *auc = malloc((ds.n ? ds.n : 1) * sizeof *auc);
    if (!tx || !res || !truth || !xs || !ys || !auc) {
        cli_error("eval", "out of memory");
        exit(CLI_FAIL);
    }
    for (size_t i = 0; i < ds.n; i++) tx[i] = (senti_text){ds.texts[i], ds.lens[i]};
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    int prc = senti_predict_batch(m, tx, ds.n, res, threads);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    /* the value correlated with ratings: VADER's compound where the model has it */
    int icomp = -1;
    for (int j = 0; j < senti_model_n_values(m); j++)
        if (!strcmp(senti_model_value_name(m, j), "compound")) icomp = j;

    size_t n = 0, correct = 0, skipped = 0, failed = 0, n_auc = 0, n_r = 0, unknown = 0;
    long conf[SENTI_MAX_CLASSES][SENTI_MAX_CLASSES] = {{0}};
    for (size_t i = 0; i < ds.n; i++) {
        truth[i] = -1;
        if (res[i].status) {
            failed++;
            continue;
        }
        double sc = icomp >= 0 ? res[i].values[icomp] : res[i].score;
        if (rating) {
            if (!isnan(ds.ratings[i])) xs[n_r] = sc, ys[n_r] = ds.ratings[i], n_r++;
            if (isnan(ds.ratings[i]) || ds.ratings[i] == 0) {
                skipped++;
                continue;
            }
            truth[i] = ds.ratings[i] > 0 ? ipos : ineg;
        } else {
            int cls = cli_label_class(ds.labels[i]);
            if (cls < 0) {
                if (unknown++ < 20)
                    fprintf(stderr, "senti eval: %s:%zu: unknown label '%s'\n", data, ds.lines[i], ds.labels[i]);
                continue;
            }
            truth[i] = senti_model_label_index(m, cli_class_name(cls));
        }
        if (truth[i] < 0) {
            skipped++;
            continue;
        }
        n++;
        correct += res[i].label == truth[i];
        conf[truth[i]][res[i].label]++;
        if (ipos >= 0 && (truth[i] == ipos || truth[i] == ineg))
            auc[n_auc++] = (sp){sc, truth[i] == ipos};
    }
    double acc = n ? (double)correct / (double)n : NAN;
    double prec[SENTI_MAX_CLASSES], rec[SENTI_MAX_CLASSES], f1[SENTI_MAX_CLASSES];
    double macro = 0;
    int nmacro = 0;
    long support[SENTI_MAX_CLASSES];
    for (int j = 0; j < K; j++) {
        long tp = conf[j][j], fp = 0, fn = 0;
        support[j] = 0;
        for (int k = 0; k < K; k++) {
            support[j] += conf[j][k];
            if (k != j) fp += conf[k][j], fn += conf[j][k];
        }
        prec[j] = tp + fp ? (double)tp / (double)(tp + fp) : 0;
        rec[j] = tp + fn ? (double)tp / (double)(tp + fn) : 0;
        f1[j] = prec[j] + rec[j] > 0 ? 2 * prec[j] * rec[j] / (prec[j] + rec[j]) : 0;
        if (support[j] || tp + fp) macro += f1[j], nmacro++;
    }
    macro = nmacro ? macro / nmacro : NAN;
    double auc_v = n_auc ? roc_auc(auc, n_auc) : NAN;
    double r = rating && n_r > 1 ? pearson(xs, ys, n_r) : NAN;

    if (json) {
        printf("{\"model\":");
        cli_json_string(stdout, ma.spec, strlen(ma.spec));
        printf(",\"kind\":\"%s\",\"data\":", senti_model_kind(m));
        cli_json_string(stdout, data, strlen(data));
        printf(",\"n\":%zu,\"correct\":%zu,\"accuracy\":", n, correct);
        json_num(acc);
        printf(",\"macro_f1\":");
        json_num(macro);
        printf(",\"roc_auc\":");
        json_num(auc_v);
        if (rating) {
            printf(",\"pearson\":");
            json_num(r);
            printf(",\"n_rated\":%zu", n_r);
        }
        printf(",\"skipped\":%zu,\"malformed\":%zu,\"unknown_labels\":%zu,\"failed\":%zu,\"classes\":{",
               skipped, ds.n_bad, unknown, failed);
        for (int j = 0; j < K; j++) {
            printf("%s\"%s\":{\"precision\":", j ? "," : "", senti_model_label(m, j));
            json_num(prec[j]);
            printf(",\"recall\":");
            json_num(rec[j]);
            printf(",\"f1\":");
            json_num(f1[j]);
            printf(",\"support\":%ld}", support[j]);
        }
        printf("},\"confusion\":{\"labels\":[");
        for (int j = 0; j < K; j++) printf("%s\"%s\"", j ? "," : "", senti_model_label(m, j));
        printf("],\"rows_true_cols_predicted\":[");
        for (int j = 0; j < K; j++) {
            printf("%s[", j ? "," : "");
            for (int k = 0; k < K; k++) printf("%s%ld", k ? "," : "", conf[j][k]);
            printf("]");
        }
        printf("]},\"seconds\":%.6f}\n", secs);
    } else {
        printf("model      %s (%s)\ndata       %s\n", ma.spec, senti_model_kind(m), data);
        printf("n          %zu", n);
        if (skipped || ds.n_bad || unknown || failed)
            printf("   (left out: %zu not in the model's labels or rated 0, %zu malformed, %zu unknown labels, %zu failed)",
                   skipped, ds.n_bad, unknown, failed);
        printf("\naccuracy   %.4f\nmacro-F1   %.4f\n", acc, macro);
        if (!isnan(auc_v)) printf("ROC-AUC    %.4f\n", auc_v);
        if (rating) printf("Pearson r  %.4f   (%s vs rating, n=%zu)\n", r, icomp >= 0 ? "compound" : "score", n_r);
        printf("\n%-10s %9s %9s %9s %9s\n", "class", "precision", "recall", "F1", "support");
        for (int j = 0; j < K; j++)
            printf("%-10s %9.4f %9.4f %9.4f %9ld\n", senti_model_label(m, j), prec[j], rec[j], f1[j], support[j]);
        printf("\nconfusion (rows: true, columns: predicted)\n%-10s", "");
        for (int k = 0; k < K; k++) printf(" %9s", senti_model_label(m, k));
        printf("\n");
        for (int j = 0; j < K; j++) {
            printf("%-10s", senti_model_label(m, j));
            for (int k = 0; k < K; k++) printf(" %9ld", conf[j][k]);
            printf("\n");
        }
        printf("\n%zu texts in %.3f s (%.0f texts/s)\n", ds.n, secs, secs > 0 ? (double)ds.n / secs : 0);
    }
    int rc = CLI_OK;
    if (ds.n_bad || unknown || failed || prc) rc = CLI_RECORDS;
    if (min_acc >= 0 && !(acc >= min_acc)) {
        fprintf(stderr, "senti eval: accuracy %.4f is below --min-accuracy %.4f\n", acc, min_acc);
        rc = CLI_GATE;
    }
    free(tx);
    free(res);
    free(truth);
    free(xs);
    free(ys);
    free(auc);
    senti__dataset_free(&ds);
    senti_model_free(m);
    return rc;
}
