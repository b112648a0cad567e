/* eval.c - `senti eval`: quality of a model on one or several labeled data sets. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli.h"
#include "tools/outfile.h"
#include "core/core.h"
#include "tools/dataset.h"

static const char help[] =
    "usage: senti eval MODEL [DATA-OPTIONS] DATA [[DATA-OPTIONS] DATA ...] [OPTIONS]\n"
    "\n"
    "Score every text of each DATA with MODEL and compare with its labels.\n"
    "One DATA: accuracy, macro-F1, average recall, per-class precision/recall/F1, the\n"
    "confusion matrix, ROC-AUC of the polarity P(positive) - P(negative) (for a binary\n"
    "model as good as P(positive)), the expected calibration error with a reliability\n"
    "table, and for data labelled with a continuous rating the Pearson correlation of the\n"
    "polarity (VADER: its compound) with it. Several DATA: one table, a row per data set.\n"
    "\n"
    "MODEL is 'default', a model file or KIND:PATH (e.g. vader:/data/vader).\n"
    "DATA is TSV, CSV or JSONL with a header ('label' and the first of text, sentence,\n"
    "content, review), or named with the options below. Labels: 0/1, negative/positive,\n"
    "neg/pos, neutral. A 3-class model on data without neutral rows is judged on its\n"
    "negative/positive decision (P(positive) >= P(negative)): the binary view.\n"
    "\n"
    "data options (they apply to the DATA files that follow them; given after the last\n"
    "DATA, to every DATA given without options of its own):\n"
    "      --text-col C       text column: name or 1-based index\n"
    "      --label-col C      label column: name or 1-based index\n"
    "      --format F         auto, tsv, csv, jsonl (auto)\n"
    "      --no-header        no header line: columns are indices (label 1, text 2)\n"
    "      --header           a header line again (undoes --no-header)\n"
    "      --rating           labels are ratings: > 0 is positive, < 0 negative, 0 left out\n"
    "                         of accuracy; a label that is not a number (within +-1e6) is\n"
    "                         malformed. Chosen by itself (and said on stderr) only when every\n"
    "                         label is such a number and most are not 0, 1 or -1; otherwise a\n"
    "                         label that is not a class (0/1/-1, negative/positive, neg/pos,\n"
    "                         neutral) is malformed: reported, counted, exit status 3\n"
    "      --name NAME        the data set's name in the table (its file name)\n"
    "options:\n"
    "      --json             print one JSON object (keys include accuracy and n; with\n"
    "                         several DATA, {\"model\":..., \"datasets\":[...]})\n"
    "      --min-accuracy X   exit with status 4 when an accuracy < X (a quality gate)\n"
    "      --bins N           bins of the reliability table (10)\n"
    "      --plot FILE        draw the reliability diagram of the first DATA (gnuplot; .png\n"
    "                         or .svg)\n"
    "      --threads N        threads (all cores)\n"
    "      --max-bytes N, --max-tokens N, --lexicon DIR   as for predict\n"
    "  -h, --help             this help\n"
    "\n"
    "examples:\n"
    "  senti eval default ../shared/data/sst2/dev.tsv --min-accuracy 0.83\n"
    "  senti eval vader:../shared/data/vader --no-header --label-col 2 --text-col 3 \\\n"
    "      ../shared/data/icwsm/tweets_GroundTruth.txt\n"
    "  senti eval my.safetensors sst2/dev.tsv build/data/semeval_valid.tsv --json\n";

#define MAX_DATA 64
#define MAX_BINS 100

typedef struct data_spec {
    const char *path, *name;
    senti__dataset_opts o;
    int rating;
    int set; /* some data option was given for it */
} data_spec;

typedef struct metrics {
    size_t n, correct, skipped, malformed, unknown, failed, n_rated, total;
    int binary_view, rating;
    double acc, macro_f1, avg_recall, auc, pearson, ece, secs;
    int K;
    double prec[SENTI_MAX_CLASSES], rec[SENTI_MAX_CLASSES], f1[SENTI_MAX_CLASSES];
    long support[SENTI_MAX_CLASSES];
    long conf[SENTI_MAX_CLASSES][SENTI_MAX_CLASSES];
    int nbins;
    long bin_n[MAX_BINS];
    double bin_conf[MAX_BINS], bin_acc[MAX_BINS];
} metrics;

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

/* A rating beyond this, or not a finite number, is a malformed record: Pearson's sums of
 * squares must stay finite. */
#define RATING_MAX 1e6

static int is_rating(double r) { return fabs(r) <= RATING_MAX; } /* false for NaN */

/* Whether the labels of ds are ratings: when asked (--rating), or when the file is clearly a
 * rating file: every label is a number (within +-RATING_MAX) and most of them (more than half)
 * are not class labels (0, 1, -1), as in the ICWSM sets. A 0/1 file with a label mistyped as 7
 * is not: the 7 is then an unknown label, a malformed record. Said on stderr either way. */
static int rating_mode(const data_spec *d, const senti__dataset *ds) {
    if (d->rating) {
        fprintf(stderr, "senti eval: %s: labels read as ratings (--rating): > 0 positive, < 0 negative, 0 left out of accuracy\n",
                d->name);
        return 1;
    }
    size_t other = 0;
    for (size_t i = 0; i < ds->n; i++) {
        if (!is_rating(ds->ratings[i])) return 0;
        other += cli_label_class(ds->labels[i]) < 0;
    }
    if (other * 2 <= ds->n) return 0;
    fprintf(stderr, "senti eval: %s: labels read as ratings (every label is a number, %zu of %zu not 0, 1 "
            "or -1): > 0 positive, < 0 negative, 0 left out of accuracy\n", d->name, other, ds->n);
    return 1;
}

/* The truth of each row as a model label index: -1 left out (rated 0, or a class the model
 * lacks), -2 a malformed label (reported with its line, counted in M->unknown). */
static int *truths(const senti_model *m, const data_spec *d, const senti__dataset *ds, int rating,
                   metrics *M, int *data_neutral) {
    int ipos = senti_model_label_index(m, "positive"), ineg = senti_model_label_index(m, "negative");
    int *truth = xmalloc(ds->n * sizeof *truth);
    for (size_t i = 0; i < ds->n; i++) {
        truth[i] = -1;
        if (rating) {
            double r = ds->ratings[i];
            if (!is_rating(r)) {
                truth[i] = -2;
                if (M->unknown++ < 20)
                    fprintf(stderr, "senti eval: %s:%zu: label '%s' is not a rating (a number from -1e6 to 1e6)\n",
                            d->path, ds->lines[i], ds->labels[i]);
            } else if (r != 0) {
                truth[i] = r > 0 ? ipos : ineg;
            }
            continue;
        }
        int cls = cli_label_class(ds->labels[i]);
        if (cls < 0) {
            if (M->unknown++ < 20)
                fprintf(stderr, "senti eval: %s:%zu: unknown label '%s' (expected 0/1/-1, negative/positive, "
                        "neg/pos, neutral; --rating if the labels are ratings)\n", d->path, ds->lines[i], ds->labels[i]);
            truth[i] = -2;
            continue;
        }
        if (cls == CLI_NEU) *data_neutral = 1;
        truth[i] = senti_model_label_index(m, cli_class_name(cls));
    }
    return truth;
}

/* Score every text of ds on threads; M->secs is the time it took. */
static senti_result *score_all(const senti_model *m, const senti__dataset *ds, int threads, metrics *M) {
    senti_text *tx = xmalloc(ds->n * sizeof *tx);
    senti_result *res = xmalloc(ds->n * sizeof *res);
    for (size_t i = 0; i < ds->n; i++) tx[i] = (senti_text){ds->texts[i], ds->lens[i]};
    double t0 = senti__now_s();
    senti_predict_batch(m, tx, ds->n, res, threads);
    M->secs = senti__now_s() - t0;
    free(tx);
    return res;
}

/* What the ranking metrics are computed from: (polarity, rating) pairs for Pearson r, and
 * (polarity, is positive) pairs for ROC-AUC. */
typedef struct ranks {
    double *xs, *ys;
    sp *auc;
    size_t n_auc;
} ranks;

/* The model's labels of interest and the value correlated with ratings (VADER's compound where
 * the model has it). */
typedef struct model_idx {
    int ipos, ineg, icomp;
} model_idx;

/* One scored row with a label: the confusion matrix, the reliability bins, the ranks. */
static void tally_row(const model_idx *x, const senti_result *r, int truth, double sc, metrics *M, ranks *rk) {
    int pred = r->label;
    double conf = r->probs[pred];
    if (M->binary_view) {
        double pp = r->probs[x->ipos], pn = r->probs[x->ineg];
        pred = pp >= pn ? x->ipos : x->ineg;
        conf = (pp >= pn ? pp : pn) / (pp + pn > 0 ? pp + pn : 1);
    }
    M->n++;
    M->correct += pred == truth;
    M->conf[truth][pred]++;
    int nbins = M->nbins;
    int b = isfinite(conf) ? (int)(conf * nbins) : 0; /* a hostile model may give NaN */
    if (b >= nbins) b = nbins - 1;
    if (b < 0) b = 0;
    M->bin_n[b]++;
    M->bin_conf[b] += conf;
    M->bin_acc[b] += pred == truth;
    if (x->ipos >= 0 && (truth == x->ipos || truth == x->ineg)) rk->auc[rk->n_auc++] = (sp){sc, truth == x->ipos};
}

/* Every row: failed, malformed, left out (rated 0 or a class the model lacks), or tallied. */
static void tally(const model_idx *x, const senti__dataset *ds, const int *truth, const senti_result *res,
                  metrics *M, ranks *rk) {
    for (size_t i = 0; i < ds->n; i++) {
        if (res[i].status) {
            M->failed++;
            continue;
        }
        if (truth[i] == -2) continue; /* malformed label, reported */
        /* polarity: P(pos) - P(neg), which also ranks a 3-class model's texts sensibly (its
         * P(pos) alone puts a clear negative level with a neutral); 2 P(pos) - 1 for a binary
         * model, so its AUC and Pearson r are those of P(pos) */
        double sc = x->icomp >= 0 ? res[i].values[x->icomp]
                    : x->ipos >= 0 && x->ineg >= 0 ? res[i].probs[x->ipos] - res[i].probs[x->ineg] : res[i].score;
        if (M->rating) rk->xs[M->n_rated] = sc, rk->ys[M->n_rated] = ds->ratings[i], M->n_rated++;
        if (truth[i] < 0) {
            M->skipped++;
            continue;
        }
        tally_row(x, &res[i], truth[i], sc, M, rk);
    }
}

/* Accuracy, per-class precision/recall/F1, macro-F1, average recall and the calibration error
 * from the tallies; ROC-AUC and Pearson r from the ranks. */
static void finish_metrics(metrics *M, ranks *rk) {
    M->acc = M->n ? (double)M->correct / (double)M->n : NAN;
    double mf = 0, mr = 0;
    int nf = 0, nr = 0;
    for (int j = 0; j < M->K; j++) {
        long tp = M->conf[j][j], fp = 0, fn = 0;
        for (int k = 0; k < M->K; k++) {
            M->support[j] += M->conf[j][k];
            if (k != j) fp += M->conf[k][j], fn += M->conf[j][k];
        }
        M->prec[j] = tp + fp ? (double)tp / (double)(tp + fp) : 0;
        M->rec[j] = tp + fn ? (double)tp / (double)(tp + fn) : 0;
        M->f1[j] = M->prec[j] + M->rec[j] > 0 ? 2 * M->prec[j] * M->rec[j] / (M->prec[j] + M->rec[j]) : 0;
        if (M->support[j] || tp + fp) mf += M->f1[j], nf++;
        if (M->support[j]) mr += M->rec[j], nr++;
    }
    M->macro_f1 = nf ? mf / nf : NAN;
    M->avg_recall = nr ? mr / nr : NAN;
    M->auc = rk->n_auc ? roc_auc(rk->auc, rk->n_auc) : NAN;
    M->pearson = M->rating && M->n_rated > 1 ? pearson(rk->xs, rk->ys, M->n_rated) : NAN;
    double ece = 0;
    for (int b = 0; b < M->nbins; b++) {
        if (!M->bin_n[b]) continue;
        M->bin_conf[b] /= (double)M->bin_n[b];
        M->bin_acc[b] /= (double)M->bin_n[b];
        ece += (double)M->bin_n[b] / (double)(M->n ? M->n : 1) * fabs(M->bin_acc[b] - M->bin_conf[b]);
    }
    M->ece = M->n ? ece : NAN;
}

/* Score one data set and compute its metrics. Returns 0, or -1 if it could not be loaded. */
static int eval_one(const senti_model *m, const data_spec *d, int threads, int nbins, metrics *M) {
    memset(M, 0, sizeof *M);
    senti__dataset ds;
    char err[512];
    if (senti__dataset_load(d->path, &d->o, &ds, err, sizeof err)) {
        cli_error("eval", "%s", err);
        return -1;
    }
    for (size_t i = 0; i < ds.n_errors; i++) fprintf(stderr, "senti eval: %s\n", ds.errors[i]);
    model_idx x = {senti_model_label_index(m, "positive"), senti_model_label_index(m, "negative"), -1};
    for (int j = 0; j < senti_model_n_values(m); j++)
        if (!strcmp(senti_model_value_name(m, j), "compound")) x.icomp = j;
    int ineu = senti_model_label_index(m, "neutral");
    M->K = senti_model_n_classes(m);
    M->nbins = nbins;
    M->malformed = ds.n_bad;
    M->total = ds.n;
    M->rating = rating_mode(d, &ds);
    int data_neutral = 0;
    int *truth = truths(m, d, &ds, M->rating, M, &data_neutral);
    M->binary_view = !data_neutral && ineu >= 0 && x.ipos >= 0 && x.ineg >= 0;
    senti_result *res = score_all(m, &ds, threads, M);
    ranks rk = {xmalloc(ds.n * sizeof *rk.xs), xmalloc(ds.n * sizeof *rk.ys), xmalloc(ds.n * sizeof *rk.auc), 0};
    tally(&x, &ds, truth, res, M, &rk);
    finish_metrics(M, &rk);
    free(truth);
    free(res);
    free(rk.xs);
    free(rk.ys);
    free(rk.auc);
    senti__dataset_free(&ds);
    return 0;
}

static void json_num(double v) {
    if (isfinite(v)) printf("%.6g", v);
    else printf("null");
}

/* The members (no braces) of one data set's JSON object. */
static void print_json(const senti_model *m, const data_spec *d, const metrics *M) {
    printf("\"data\":");
    cli_json_string(stdout, d->path, strlen(d->path));
    printf(",\"name\":");
    cli_json_string(stdout, d->name, strlen(d->name));
    printf(",\"n\":%zu,\"correct\":%zu,\"accuracy\":", M->n, M->correct);
    json_num(M->acc);
    printf(",\"macro_f1\":");
    json_num(M->macro_f1);
    printf(",\"avg_recall\":");
    json_num(M->avg_recall);
    printf(",\"roc_auc\":");
    json_num(M->auc);
    printf(",\"ece\":");
    json_num(M->ece);
    if (M->rating) {
        printf(",\"pearson\":");
        json_num(M->pearson);
        printf(",\"n_rated\":%zu", M->n_rated);
    }
    printf(",\"binary_view\":%s,\"skipped\":%zu,\"malformed\":%zu,\"unknown_labels\":%zu,\"failed\":%zu,"
           "\"classes\":{",
           M->binary_view ? "true" : "false", M->skipped, M->malformed, M->unknown, M->failed);
    for (int j = 0; j < M->K; j++) {
        printf("%s\"%s\":{\"precision\":", j ? "," : "", senti_model_label(m, j));
        json_num(M->prec[j]);
        printf(",\"recall\":");
        json_num(M->rec[j]);
        printf(",\"f1\":");
        json_num(M->f1[j]);
        printf(",\"support\":%ld}", M->support[j]);
    }
    printf("},\"confusion\":{\"labels\":[");
    for (int j = 0; j < M->K; j++) printf("%s\"%s\"", j ? "," : "", senti_model_label(m, j));
    printf("],\"rows_true_cols_predicted\":[");
    for (int j = 0; j < M->K; j++) {
        printf("%s[", j ? "," : "");
        for (int k = 0; k < M->K; k++) printf("%s%ld", k ? "," : "", M->conf[j][k]);
        printf("]");
    }
    printf("]},\"reliability\":[");
    int first = 1;
    for (int b = 0; b < M->nbins; b++) {
        if (!M->bin_n[b]) continue;
        printf("%s{\"from\":%.4g,\"to\":%.4g,\"n\":%ld,\"confidence\":%.6g,\"accuracy\":%.6g}", first ? "" : ",",
               (double)b / M->nbins, (double)(b + 1) / M->nbins, M->bin_n[b], M->bin_conf[b], M->bin_acc[b]);
        first = 0;
    }
    printf("],\"seconds\":%.6f", M->secs);
}

static void print_text(const senti_model *m, const data_spec *d, const metrics *M) {
    printf("data       %s\n", d->path);
    printf("n          %zu", M->n);
    if (M->skipped || M->malformed || M->unknown || M->failed)
        printf("   (left out: %zu not in the model's labels or rated 0, %zu malformed, %zu unknown labels, %zu failed)",
               M->skipped, M->malformed, M->unknown, M->failed);
    printf("\naccuracy   %.4f%s\nmacro-F1   %.4f\navg recall %.4f\n", M->acc,
           M->binary_view ? "   (binary view: positive if P(positive) >= P(negative))" : "", M->macro_f1,
           M->avg_recall);
    if (!isnan(M->auc)) printf("ROC-AUC    %.4f\n", M->auc);
    if (M->rating) printf("Pearson r  %.4f   (polarity vs rating, n=%zu)\n", M->pearson, M->n_rated);
    printf("ECE        %.4f   (expected calibration error, %d bins)\n", M->ece, M->nbins);
    printf("\n%-10s %9s %9s %9s %9s\n", "class", "precision", "recall", "F1", "support");
    for (int j = 0; j < M->K; j++)
        printf("%-10s %9.4f %9.4f %9.4f %9ld\n", senti_model_label(m, j), M->prec[j], M->rec[j], M->f1[j],
               M->support[j]);
    printf("\nconfusion (rows: true, columns: predicted)\n%-10s", "");
    for (int k = 0; k < M->K; k++) printf(" %9s", senti_model_label(m, k));
    printf("\n");
    for (int j = 0; j < M->K; j++) {
        printf("%-10s", senti_model_label(m, j));
        for (int k = 0; k < M->K; k++) printf(" %9ld", M->conf[j][k]);
        printf("\n");
    }
    printf("\nreliability (confidence of the predicted label)\n%-13s %7s %10s %9s\n", "bin", "n", "confidence",
           "accuracy");
    for (int b = 0; b < M->nbins; b++)
        if (M->bin_n[b])
            printf("%.2f-%.2f    %7ld %10.4f %9.4f\n", (double)b / M->nbins, (double)(b + 1) / M->nbins, M->bin_n[b],
                   M->bin_conf[b], M->bin_acc[b]);
    printf("\n%zu texts in %.3f s (%.0f texts/s)\n", M->total, M->secs,
           M->secs > 0 ? (double)M->total / M->secs : 0);
}

/* The reliability diagram with gnuplot. No name the user gave (the data set's name, the output
 * path) is ever written into the script: the script is a constant, and the values reach it as
 * gnuplot's ARG1..ARG5 (`gnuplot -c SCRIPT ARG...`, run without a shell), so a file named
 * "x'; system \"...\"; '" is only a strange title. ARG1 output, ARG2 svg or png, ARG3 title,
 * ARG4 ECE, ARG5 the data file. */
static const char reliability_gp[] =
    "if (ARG2 eq 'svg') { set terminal svg size 640,640 } else { set terminal pngcairo size 640,640 }\n"
    "set output ARG1\n"
    "set title ARG3.' (ECE '.ARG4.')' noenhanced\n"
    "set xlabel 'confidence'\nset ylabel 'accuracy'\nset xrange [0:1]\nset yrange [0:1]\n"
    "set key left top\nset grid\n"
    "plot x title 'perfect calibration' dt 2 lc rgb 'gray', ARG5 using 1:2 with linespoints pt 7 "
    "title 'model'\n";

/* Run gnuplot with argv (stdin /dev/null, its stdout to our stderr); 0 if it exited 0, 127 if
 * there is no gnuplot to run, else -1. */
static int run_gnuplot(char *const argv[]) {
    pid_t pid = fork();
    if (pid < 0) return -1;
    if (pid == 0) {
        int null = open("/dev/null", O_RDONLY);
        if (null >= 0) dup2(null, 0);
        dup2(2, 1);
        execvp("gnuplot", argv);
        _exit(127);
    }
    int st;
    while (waitpid(pid, &st, 0) < 0)
        if (errno != EINTR) return -1;
    if (WIFEXITED(st) && (WEXITSTATUS(st) == 0 || WEXITSTATUS(st) == 127)) return WEXITSTATUS(st);
    return -1;
}

/* Draws into a temporary beside path, which replaces path only once gnuplot has succeeded. */
static int plot(const char *path, const metrics *M, const char *title) {
    char dir[] = "/tmp/senti-plot-XXXXXX", dat[64], gp[64], ece[32];
    if (!mkdtemp(dir)) return -1;
    snprintf(dat, sizeof dat, "%s/bins.dat", dir);
    snprintf(gp, sizeof gp, "%s/reliability.gp", dir);
    snprintf(ece, sizeof ece, "%.4f", M->ece);
    int rc = -1;
    FILE *f = fopen(dat, "w"), *g = fopen(gp, "w");
    if (f && g) {
        for (int b = 0; b < M->nbins; b++)
            if (M->bin_n[b]) fprintf(f, "%g %g %ld\n", M->bin_conf[b], M->bin_acc[b], M->bin_n[b]);
        fputs(reliability_gp, g);
    }
    int ok = f && g && !ferror(f) && !ferror(g);
    if (f && fclose(f)) ok = 0;
    if (g && fclose(g)) ok = 0;
    cli_out out;
    if (ok && cli_out_open(&out, "eval", path) == 0) {
        const char *ext = strrchr(path, '.');
        char *argv[] = {"gnuplot", "-c", gp, (char *)cli_out_path(&out),
                        ext && !strcmp(ext, ".svg") ? "svg" : "png", (char *)title, ece, dat, NULL};
        rc = run_gnuplot(argv);
        if (rc == 0) rc = cli_out_commit(&out, "eval");
        else cli_out_abort(&out);
    }
    remove(dat);
    remove(gp);
    rmdir(dir);
    return rc;
}

/* ---- the command ------------------------------------------------------------------------- */

enum { O_JSON = 0x2000, O_MIN, O_TEXT, O_LABEL, O_FMT, O_NOHDR, O_HDR, O_RATING, O_THREADS, O_NAME,
       O_BINS, O_PLOT };

/* What the command line asks for. */
typedef struct eval_args {
    cli_model_args ma;
    int have_model;
    data_spec cur, data[MAX_DATA]; /* cur: the data options for the next DATA */
    int nd, json, threads;
    const char *plot_path;
    unsigned long nbins;
    double min_acc;
} eval_args;

/* An operand: MODEL first, then each DATA with the data options given before it. */
static int add_operand(eval_args *a, const char *arg) {
    if (!a->have_model) {
        if (cli_model_spec(&a->ma, arg)) return -1;
        a->have_model = 1;
        return 0;
    }
    if (a->nd == MAX_DATA) {
        cli_error("eval", "at most %d data sets", MAX_DATA);
        return -1;
    }
    data_spec *d = &a->data[a->nd++];
    *d = a->cur;
    d->path = arg;
    if (!d->name) {
        const char *slash = strrchr(arg, '/');
        d->name = slash ? slash + 1 : arg;
    }
    a->cur.name = NULL;
    a->cur.set = 0;
    return 0;
}

/* One option: 1 handled, -1 a usage error (said), 0 --help (printed). */
static int eval_opt(eval_args *a, int c, const char *arg) {
    data_spec *cur = &a->cur;
    unsigned long v;
    char *end;
    switch (c) {
    case 1: return add_operand(a, arg) ? -1 : 1;
    case O_JSON: a->json = 1; return 1;
    case O_MIN:
        a->min_acc = strtod(arg, &end);
        if (*end || !(a->min_acc >= 0 && a->min_acc <= 1)) {
            cli_error("eval", "--min-accuracy expects a number in [0, 1], not '%s'", arg);
            return -1;
        }
        return 1;
    case O_TEXT: cur->o.text_col = arg; cur->set = 1; return 1;
    case O_LABEL: cur->o.label_col = arg; cur->set = 1; return 1;
    case O_FMT: cur->o.format = arg; cur->set = 1; return 1;
    case O_NOHDR: cur->o.no_header = 1; cur->set = 1; return 1;
    case O_HDR: cur->o.no_header = 0; cur->set = 1; return 1;
    case O_RATING: cur->rating = 1; cur->set = 1; return 1;
    case O_NAME: cur->name = arg; return 1;
    case O_THREADS: if (cli_parse_uint("--threads", arg, 1, 256, &v)) return -1; a->threads = (int)v; return 1;
    case O_BINS: return cli_parse_uint("--bins", arg, 2, MAX_BINS, &a->nbins) ? -1 : 1;
    case O_PLOT: a->plot_path = arg; return 1;
    case 'h': fputs(help, stdout); return 0;
    default: fputs(help, stderr); return -1;
    }
}

/* Parse the command line into a; -1 to go on, else the exit status (--help, a usage error). */
static int parse_args(int argc, char **argv, eval_args *a) {
    static const struct option longopts[] = {
        CLI_MODEL_LONGOPTS, {"json", no_argument, 0, O_JSON}, {"min-accuracy", required_argument, 0, O_MIN},
        {"text-col", required_argument, 0, O_TEXT}, {"label-col", required_argument, 0, O_LABEL},
        {"format", required_argument, 0, O_FMT}, {"no-header", no_argument, 0, O_NOHDR},
        {"header", no_argument, 0, O_HDR}, {"rating", no_argument, 0, O_RATING},
        {"threads", required_argument, 0, O_THREADS}, {"name", required_argument, 0, O_NAME},
        {"bins", required_argument, 0, O_BINS}, {"plot", required_argument, 0, O_PLOT},
        {"help", no_argument, 0, 'h'}, {0, 0, 0, 0}};
    memset(a, 0, sizeof *a);
    a->nbins = 10;
    a->min_acc = -1;
    int c;
    optind = 1;
    /* '-': operands come back in order (as option 1), so data options apply to what follows */
    while ((c = getopt_long(argc, argv, "-h", longopts, NULL)) != -1) {
        int r = cli_model_opt(&a->ma, c, optarg);
        if (r < 0) return CLI_USAGE;
        if (r) continue;
        r = eval_opt(a, c, optarg);
        if (r <= 0) return r < 0 ? CLI_USAGE : CLI_OK;
    }
    if (!a->have_model || a->nd == 0) {
        cli_error("eval", "expected MODEL and at least one DATA");
        fputs(help, stderr);
        return CLI_USAGE;
    }
    if (a->cur.set) /* data options after the last DATA: for every DATA given without its own */
        for (int i = 0; i < a->nd; i++)
            if (!a->data[i].set) {
                const char *path = a->data[i].path, *name = a->data[i].name;
                a->data[i] = a->cur;
                a->data[i].path = path;
                a->data[i].name = name;
            }
    return -1;
}

/* The JSON report: one data set's object with the model named in it, or the model and an
 * array of data sets. */
static void print_json_report(const senti_model *m, const eval_args *a, const metrics *M, int loaded, int rc) {
    printf("{\"model\":");
    cli_json_string(stdout, a->ma.spec, strlen(a->ma.spec));
    if (a->nd == 1 && loaded) {
        printf(",\"kind\":\"%s\",", senti_model_kind(m));
        print_json(m, &a->data[0], &M[0]);
        printf("}\n");
        return;
    }
    printf(",\"kind\":\"%s\",\"datasets\":[", senti_model_kind(m));
    for (int i = 0, k = 0; i < a->nd; i++) {
        if (!M[i].total && rc == CLI_FAIL) continue;
        printf("%s{", k++ ? "," : "");
        print_json(m, &a->data[i], &M[i]);
        printf("}");
    }
    printf("]}\n");
}

/* Several data sets: one table row each. */
static void print_table(const senti_model *m, const eval_args *a, const metrics *M) {
    printf("model: %s (%s)\n\n", a->ma.spec, senti_model_kind(m));
    printf("%-28s %7s %9s %9s %10s %8s %8s %8s\n", "dataset", "n", "accuracy", "macro-F1", "avg-recall",
           "ROC-AUC", "ECE", "Pearson");
    for (int i = 0; i < a->nd; i++) {
        if (!M[i].total) continue;
        printf("%-28s %7zu %9.4f %9.4f %10.4f %8.4f %8.4f ", a->data[i].name, M[i].n, M[i].acc, M[i].macro_f1,
               M[i].avg_recall, M[i].auc, M[i].ece);
        if (M[i].rating) printf("%8.4f", M[i].pearson);
        else printf("%8s", "-");
        printf("%s\n", M[i].binary_view ? "  (binary view)" : "");
    }
}

/* --plot, then --min-accuracy: the exit status they make of rc. */
static int plot_and_gate(const eval_args *a, const metrics *M, int loaded, int rc) {
    if (a->plot_path && loaded) {
        int prc = plot(a->plot_path, &M[0], a->data[0].name);
        if (prc == 0)
            fprintf(stderr, "senti eval: reliability diagram written to %s\n", a->plot_path);
        else
            cli_error("eval", "could not draw %s%s", a->plot_path,
                      prc == 127 ? ": no gnuplot to run (apt-get install gnuplot-nox)" : " (see above)");
        if (prc) rc = CLI_FAIL;
    }
    for (int i = 0; i < a->nd; i++)
        if (a->min_acc >= 0 && M[i].total && !(M[i].acc >= a->min_acc)) {
            fprintf(stderr, "senti eval: %s: accuracy %.4f is below --min-accuracy %.4f\n", a->data[i].name,
                    M[i].acc, a->min_acc);
            rc = CLI_GATE;
        }
    return rc;
}

/* The plot must not replace the model's files or a data set. */
static int plot_replaces_input(const senti_model *m, const eval_args *a) {
    cli_inputs in = {0};
    cli_inputs_add_model(&in, m);
    for (int i = 0; i < a->nd; i++) cli_inputs_add(&in, a->data[i].path, "a data set");
    int same = cli_out_check("eval", a->plot_path, &in);
    cli_inputs_free(&in);
    return same != 0;
}

int cmd_eval(int argc, char **argv) {
    eval_args a;
    int rc = parse_args(argc, argv, &a);
    if (rc >= 0) return rc;
    senti_model *m = cli_open_model(&a.ma);
    if (!m) return CLI_FAIL;
    if (a.plot_path && plot_replaces_input(m, &a)) {
        senti_model_free(m);
        return CLI_USAGE;
    }
    metrics *M = xmalloc((size_t)a.nd * sizeof *M);
    int loaded = 0;
    rc = CLI_OK;
    for (int i = 0; i < a.nd; i++) {
        if (eval_one(m, &a.data[i], a.threads, (int)a.nbins, &M[i])) {
            rc = CLI_FAIL;
            continue;
        }
        loaded++;
        if (M[i].malformed || M[i].unknown || M[i].failed) rc = rc == CLI_OK ? CLI_RECORDS : rc;
    }
    if (a.json) {
        print_json_report(m, &a, M, loaded, rc);
    } else if (a.nd == 1 && loaded) {
        printf("model      %s (%s)\n", a.ma.spec, senti_model_kind(m));
        print_text(m, &a.data[0], &M[0]);
    } else if (a.nd > 1) {
        print_table(m, &a, M);
    }
    rc = plot_and_gate(&a, M, loaded, rc);
    free(M);
    senti_model_free(m);
    return rc;
}
