/* train.c - `senti train`: train a linear model from labeled data. */
#include <errno.h>
#include <getopt.h>
#include <libgen.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/cli.h"
#include "tools/outfile.h"
#include "core/core.h"
#include "models/linear/linear.h"
#include "tools/dataset.h"

static const char help[] =
    "usage: senti train DATA... -o MODEL [OPTIONS]\n"
    "\n"
    "Train a linear n-gram model (logistic regression for negative/positive data, softmax\n"
    "when a neutral class is present) on the DATA files together; write it to MODEL.\n"
    "DATA is TSV, CSV or JSONL with a header; the label column is 'label' and the text\n"
    "column the first of text, sentence, content, review, unless named. Labels may be\n"
    "0/1, negative/positive, neg/pos (and neutral, neu). Training is deterministic: the\n"
    "same data and options give a bit-identical model, whatever the thread count.\n"
    "\n"
    "data:\n"
    "  -o, --output FILE        where to write the model (required)\n"
    "      --valid FILE         validation data for early stopping and the reported metrics\n"
    "                           (repeat for several files)\n"
    "      --valid-fraction F   without --valid, hold out this fraction of DATA (0.05)\n"
    "      --text-col C         text column: name or 1-based index\n"
    "      --label-col C        label column: name or 1-based index (label)\n"
    "      --format F           auto, tsv, csv, jsonl (auto)\n"
    "      --name NAME          model name stored in the file (DATA's file name)\n"
    "features:\n"
    "      --bits N             log2 of the hash buckets, 10..26 (20: 1M buckets)\n"
    "      --ngram N            word n-grams up to N, 1..3 (2)\n"
    "      --no-negation        do not mark the scope of negations\n"
    "      --no-bounds          no sentence start/end bigrams\n"
    "      --norm none|sqrt     scale features by 1/sqrt(count) (none)\n"
    "      --vocab-min N        a vocabulary: tokens seen fewer than N times (1..255) in the\n"
    "                           training data, and in any text scored later, read as the one\n"
    "                           token \"<unk>\", whose weights are learned from the rare ones (so\n"
    "                           N >= 2); a word never seen is then no evidence\n"
    "                           (src/models/linear/linear.h \"VOCABULARY\"; 2 MiB in the file) (0: off)\n"
    "      --mentions           read every @handle as one token \"@user\" (tweets: a handle's\n"
    "                           text says nothing of the sentiment)\n"
    "      --long-tokens N      texts of at least N tokens (1..128, counted within --max-tokens)\n"
    "                           also get weights of their own for every feature, on top of the\n"
    "                           shared ones: long reviews learn apart from phrases and tweets.\n"
    "                           Use it only if the long training texts cover every kind of long\n"
    "                           text to be scored: long texts of other kinds lean on weights\n"
    "                           they never taught (models/MODEL_CARD.md) (0: off, the default)\n"
    "      --max-tokens N       tokens of each text considered (65536)\n"
    "optimization:\n"
    "      --epochs N           at most N passes over the data (10)\n"
    "      --patience N         stop after N epochs without validation improvement (3)\n"
    "      --lr X               AdaGrad learning rate (0.05)\n"
    "      --l2 X               L2 penalty (1e-4)\n"
    "      --seed N             random seed for the split and the order (1)\n"
    "      --ensemble K         train K models, with the order seeded by N, N+1, ..., each\n"
    "                           stopped early on its own, and write their mean: one model of\n"
    "                           the same size and cost whose logits are the mean of theirs\n"
    "                           (less dependence on the order; K times the training time) (1)\n"
    "      --threads N          threads for feature extraction and evaluation (all cores)\n"
    "      --dtype T            f32, int8 (one scale) or int8-row (a scale per bucket) (int8)\n"
    "      --class-weight W     none; balanced: within each DATA file every class weighs the\n"
    "                           same in total; sqrt: within each file a text weighs\n"
    "                           1/sqrt(the count of its class), a milder balance; files of\n"
    "                           one class each are balanced together (none)\n"
    "      --nb ALPHA           NB scaling (as NBSVM): a feature enters each polar class scaled\n"
    "                           by its log-count ratio in the training data, smoothed by ALPHA\n"
    "                           counts (0: off)\n"
    "      --calibrate          fit a temperature T on the validation data (probabilities =\n"
    "                           softmax(logits / T)); use validation data like what will be\n"
    "                           scored: a split of near-duplicate rows makes T too small\n"
    "      --no-calibrate       keep the raw probabilities (the default)\n"
    "      --partial-labels A   in a three-class model, the texts of a DATA or --valid file with\n"
    "                           no neutral row say 'negative or positive', not 'not neutral': A\n"
    "                           (0..1) of their loss is over the polar classes alone, 1 - A the\n"
    "                           usual loss; validation on such files is over the polar classes\n"
    "                           (src/models/linear/train.c \"PARTIAL LABELS\") (0: off)\n"
    "      --no-partial FILE    except FILE (a DATA or --valid file; repeat for several): its\n"
    "                           labels say 'not neutral' too, and take the usual loss. For\n"
    "                           binary data made by leaving neutral texts out, e.g. SST-2\n"
    "      --file-weight W      none; balanced: every DATA file weighs the same in total; sqrt:\n"
    "                           a file weighs in proportion to the square root of its size (none)\n"
    "      --lexicon FILE       tie rated words to shared weights while training: FILE has\n"
    "                           lines TOKEN<TAB>VALENCE (-4..4), e.g. VADER's vader_lexicon.txt;\n"
    "                           words of a valence share what the data teaches about it (the\n"
    "                           written model is an ordinary one; see src/models/linear/train.c)\n"
    "      --lexicon-negation M apart: a rated word after a negation (\"not terrible\") shares\n"
    "                           weights with other negated words of its valence; flip: with\n"
    "                           the plain words rated -0.74 times it, as VADER reads it (apart)\n"
    "search:\n"
    "      --search GRID        train one model per point of GRID and keep the best: GRID is\n"
    "                           KEY=V1,V2,...[;KEY=...] with KEY one of lr, l2, nb, ngram,\n"
    "                           bits, long-tokens, norm, epochs, patience, class-weight,\n"
    "                           file-weight; the other options are as given. Each model is judged\n"
    "                           on every --valid file (average recall on data with neutral rows,\n"
    "                           accuracy otherwise; binary view for a 3-class model on binary\n"
    "                           data) and ranked by the mean over the files; a table is printed,\n"
    "                           the first best is written to MODEL. Needs --valid.\n"
    "  -q, --quiet              no per-epoch lines\n"
    "  -h, --help               this help\n"
    "\n"
    "example:\n"
    "  senti train sst2/train.tsv --valid sst2/dev.tsv -o my.safetensors\n"
    "  senti eval my.safetensors sst2/dev.tsv\n"
    "  senti train a.tsv b.tsv --valid a_dev.tsv --valid b_dev.tsv -o best.safetensors \\\n"
    "      --search 'lr=0.1,0.2;l2=1e-5,1e-4'\n";

typedef struct labeled {
    senti__dataset ds;
    int *y;                /* class of each record, -1 if unknown */
    size_t n_bad_labels;
} labeled;

/* Load path and map its labels to classes; seen[] collects which classes occur. */
static int load_labeled(const char *path, const senti__dataset_opts *dopt, labeled *L, int seen[3]) {
    char err[512];
    memset(L, 0, sizeof *L);
    if (senti__dataset_load(path, dopt, &L->ds, err, sizeof err)) {
        fprintf(stderr, "senti train: %s\n", err);
        return -1;
    }
    for (size_t i = 0; i < L->ds.n_errors; i++) fprintf(stderr, "senti train: %s\n", L->ds.errors[i]);
    if (L->ds.n_bad > L->ds.n_errors)
        fprintf(stderr, "senti train: %s: %zu more malformed records\n", path, L->ds.n_bad - L->ds.n_errors);
    L->y = malloc((L->ds.n ? L->ds.n : 1) * sizeof *L->y);
    if (!L->y) {
        fprintf(stderr, "senti train: out of memory\n");
        return -1;
    }
    for (size_t i = 0; i < L->ds.n; i++) {
        int c = cli_label_class(L->ds.labels[i]);
        L->y[i] = c;
        if (c < 0) {
            if (L->n_bad_labels++ < 20)
                fprintf(stderr, "senti train: %s:%zu: unknown label '%s' (expected 0/1, negative/positive, neg/pos, neutral)\n",
                        path, L->ds.lines[i], L->ds.labels[i]);
        } else {
            seen[c] = 1;
        }
    }
    return 0;
}

static void free_labeled(labeled *L) {
    senti__dataset_free(&L->ds);
    free(L->y);
}

/* Several labeled files taken together. */
typedef struct corpus {
    labeled *f;
    int n;
    const char **texts; /* records with a known label, all files, in order */
    size_t *lens;
    int *idx;           /* label index in the model */
    int *file;          /* which file each record came from */
    unsigned char *polar; /* --partial-labels: 1 for the records of files without neutral rows */
    char **paths;         /* the files, as named on the command line */
    const char *const *whole; /* --no-partial: files whose labels take the whole loss */
    int n_whole;
    float *w;           /* weights, when asked for */
    char names[1024];   /* file names (no folders), comma-separated */
    char digests[1024]; /* their XXH3-128 digests, comma-separated */
    size_t bad;         /* malformed records and unknown labels */
} corpus;

static void joinf(char *dst, size_t size, const char *s) {
    size_t l = strlen(dst);
    snprintf(dst + l, size - l, "%s%s", l ? "," : "", s);
}

static int corpus_load(corpus *c, char **paths, int n, const senti__dataset_opts *dopt, int seen[3]) {
    memset(c, 0, sizeof *c);
    c->f = calloc((size_t)(n ? n : 1), sizeof *c->f);
    if (!c->f) return -1;
    c->paths = paths;
    for (int i = 0; i < n; i++) {
        c->n = i + 1;
        if (load_labeled(paths[i], dopt, &c->f[i], seen)) return -1;
        c->bad += c->f[i].ds.n_bad + c->f[i].n_bad_labels;
        char *copy = strdup(paths[i]), dg[33] = "";
        if (!copy) return -1;
        joinf(c->names, sizeof c->names, basename(copy));
        free(copy);
        cli_file_digest(paths[i], dg);
        joinf(c->digests, sizeof c->digests, dg);
    }
    return 0;
}

/* --partial-labels: the records of a file with no neutral row are marked polar (their label
 * is only known to be one of negative, positive; src/models/linear/train.c "PARTIAL LABELS"),
 * unless the file is named by --no-partial. */
static int corpus_polar(corpus *c, senti__train_set *s) {
    c->polar = malloc(s->n ? s->n : 1);
    unsigned char *file_polar = malloc((size_t)(c->n ? c->n : 1));
    if (!c->polar || !file_polar) {
        free(file_polar);
        fprintf(stderr, "senti train: out of memory\n");
        return -1;
    }
    for (int f = 0; f < c->n; f++) {
        file_polar[f] = 1;
        for (int k = 0; k < c->n_whole; k++)
            if (cli_same_file(c->paths[f], c->whole[k])) file_polar[f] = 0;
        for (size_t j = 0; j < c->f[f].ds.n && file_polar[f]; j++)
            if (c->f[f].y[j] == CLI_NEU) file_polar[f] = 0;
    }
    for (size_t i = 0; i < s->n; i++) c->polar[i] = file_polar[c->file[i]];
    free(file_polar);
    s->polar = c->polar;
    return 0;
}

/* The records with a known label, as class indices of the model's label order. */
static int corpus_set(corpus *c, int three, int partial, senti__train_set *s) {
    size_t total = 1, k = 0;
    for (int i = 0; i < c->n; i++) total += c->f[i].ds.n;
    c->texts = malloc(total * sizeof *c->texts);
    c->lens = malloc(total * sizeof *c->lens);
    c->idx = malloc(total * sizeof *c->idx);
    c->file = malloc(total * sizeof *c->file);
    if (!c->texts || !c->lens || !c->idx || !c->file) {
        fprintf(stderr, "senti train: out of memory\n");
        return -1;
    }
    for (int f = 0; f < c->n; f++) {
        const labeled *L = &c->f[f];
        for (size_t i = 0; i < L->ds.n; i++) {
            int cl = L->y[i];
            if (cl < 0) continue;
            c->texts[k] = L->ds.texts[i];
            c->lens[k] = L->ds.lens[i];
            c->idx[k] = !three ? cl : cl == CLI_NEG ? 0 : cl == CLI_NEU ? 1 : 2;
            c->file[k] = f;
            k++;
        }
    }
    *s = (senti__train_set){k, c->texts, c->lens, c->idx, NULL, NULL};
    return three && partial ? corpus_polar(c, s) : 0;
}

/* --class-weight and --file-weight: 0 none, 1 balanced, 2 sqrt; -1 for anything else. */
static int class_weight_parse(const char *v) {
    return !strcmp(v, "none") ? 0 : !strcmp(v, "balanced") ? 1 : !strcmp(v, "sqrt") ? 2 : -1;
}

/* Sample weights, normalized to a mean of 1. Class weighting works within groups: each file
 * that holds two or more classes is a group, and the files holding one class each are one
 * group together (so pos.tsv + neg.tsv are balanced against each other). class_bal 1: within
 * a group, every class present weighs the same in total; 2: within a group, a text weighs
 * 1/sqrt(the count of its class); either way weight moves between the classes of a group,
 * never between groups. file_bal 1: every file weighs the same in total; 2: a file weighs in
 * total in proportion to the square root of its count of texts (large files still count more,
 * but a 67k-phrase file no longer outvotes a 4k-review one 16 to 1, only 4 to 1). */
static int corpus_weights(corpus *c, senti__train_set *s, int n_classes, int class_bal, int file_bal) {
    if (!class_bal && !file_bal) return 0;
    size_t n = s->n, nf = (size_t)c->n, nk = (size_t)n_classes;
    c->w = malloc((n ? n : 1) * sizeof *c->w);
    double *cnt_gk = calloc(nf * nk, sizeof *cnt_gk); /* texts of group g, class k */
    double *cnt_f = calloc(nf, sizeof *cnt_f);        /* texts of file f */
    double *cnt_g = calloc(nf, sizeof *cnt_g);        /* texts of group g */
    double *cw_g = calloc(nf, sizeof *cw_g);          /* class factors summed over group g */
    int *group = calloc(nf, sizeof *group);           /* the group of file f */
    if (!c->w || !cnt_gk || !cnt_f || !cnt_g || !cw_g || !group) {
        free(cnt_gk), free(cnt_f), free(cnt_g), free(cw_g), free(group);
        fprintf(stderr, "senti train: out of memory\n");
        return -1;
    }
    /* files with two or more classes are their own group; the others join the first of them */
    for (size_t i = 0; i < n; i++) cnt_gk[(size_t)c->file[i] * nk + (size_t)c->idx[i]]++;
    int single = -1;
    for (int f = 0; f < c->n; f++) {
        int k = 0;
        for (size_t j = 0; j < nk; j++) k += cnt_gk[(size_t)f * nk + j] > 0;
        group[f] = k > 1 ? f : single < 0 ? (single = f) : single;
    }
    memset(cnt_gk, 0, nf * nk * sizeof *cnt_gk);
    for (size_t i = 0; i < n; i++) {
        int f = c->file[i], g = group[f];
        cnt_gk[(size_t)g * nk + (size_t)c->idx[i]]++;
        cnt_f[f]++, cnt_g[g]++;
    }
    for (size_t i = 0; i < n; i++) { /* the class factor of text i, kept in c->w for now */
        int g = group[c->file[i]];
        double m = cnt_gk[(size_t)g * nk + (size_t)c->idx[i]];
        c->w[i] = (float)(class_bal == 1 ? 1.0 / m : class_bal == 2 ? 1.0 / sqrt(m) : 1.0);
        cw_g[g] += c->w[i];
    }
    double sum = 0, sqrt_sum = 0;
    for (int f = 0; f < c->n; f++) sqrt_sum += sqrt(cnt_f[f]);
    for (size_t i = 0; i < n; i++) {
        int f = c->file[i], g = group[f];
        double w = c->w[i] * cnt_g[g] / cw_g[g]; /* the group keeps its total */
        if (file_bal == 1) w *= (double)n / ((double)c->n * cnt_f[f]);
        if (file_bal == 2) w *= (double)n / (sqrt_sum * sqrt(cnt_f[f]));
        c->w[i] = (float)w;
        sum += w;
    }
    for (size_t i = 0; i < n; i++) c->w[i] = (float)(c->w[i] * (double)n / sum);
    s->weights = c->w;
    free(cnt_gk), free(cnt_f), free(cnt_g), free(cw_g), free(group);
    return 0;
}

static void corpus_free(corpus *c) {
    for (int i = 0; i < c->n; i++) free_labeled(&c->f[i]);
    free(c->f);
    free(c->texts);
    free(c->lens);
    free(c->idx);
    free(c->file);
    free(c->polar);
    free(c->w);
}

/* A lexicon: lines TOKEN<TAB>VALENCE[<TAB>...]; other lines are skipped. */
typedef struct lexicon {
    char *buf;
    size_t n;
    const char **texts;
    size_t *lens;
    float *values;
    char digest[33];
} lexicon;

static int lexicon_load(const char *path, lexicon *lx) {
    memset(lx, 0, sizeof *lx);
    FILE *f = fopen(path, "rb");
    if (!f) {
        cli_error("train", "cannot open lexicon %s", path);
        return -1;
    }
    size_t cap = 0, len = 0;
    char chunk[65536];
    size_t r;
    while ((r = fread(chunk, 1, sizeof chunk, f)) > 0) {
        if (len + r + 1 > cap) {
            cap = (len + r + 1) * 2;
            char *nb = realloc(lx->buf, cap);
            if (!nb) break;
            lx->buf = nb;
        }
        memcpy(lx->buf + len, chunk, r);
        len += r;
    }
    fclose(f);
    if (!lx->buf) {
        cli_error("train", "lexicon %s is empty or unreadable", path);
        return -1;
    }
    lx->buf[len] = 0;
    size_t lines = 1;
    for (size_t i = 0; i < len; i++) lines += lx->buf[i] == '\n';
    lx->texts = malloc(lines * sizeof *lx->texts);
    lx->lens = malloc(lines * sizeof *lx->lens);
    lx->values = malloc(lines * sizeof *lx->values);
    if (!lx->texts || !lx->lens || !lx->values) {
        cli_error("train", "out of memory");
        return -1;
    }
    for (char *s = lx->buf, *line; (line = strsep(&s, "\n"));) {
        char *tab = strchr(line, '\t');
        if (!tab || tab == line) continue;
        char *end;
        double v = strtod(tab + 1, &end);
        if (end == tab + 1 || (*end && *end != '\t' && *end != '\r') || !(v >= -4 && v <= 4)) continue;
        lx->texts[lx->n] = line;
        lx->lens[lx->n] = (size_t)(tab - line);
        lx->values[lx->n] = (float)v;
        lx->n++;
    }
    cli_file_digest(path, lx->digest);
    return 0;
}

static void lexicon_free(lexicon *lx) {
    free(lx->buf);
    free(lx->texts);
    free(lx->lens);
    free(lx->values);
}

/* ---- --search: a grid over training options, judged on the validation files -------------- */

#define GRID_AXES 11
#define GRID_VALUES 16

typedef struct grid_axis {
    char *key;
    char *vals[GRID_VALUES];
    int n;
} grid_axis;

/* Set one option from its text; 0 or -1 (message printed). */
static int grid_apply(senti__train_opts *o, int *class_bal, int *file_bal, const char *key,
                      const char *val) {
    char *end;
    unsigned long v;
    if (!strcmp(key, "lr")) {
        o->lr = strtod(val, &end);
        if (*end || !(o->lr > 0 && o->lr <= 100)) goto bad;
    } else if (!strcmp(key, "l2")) {
        o->l2 = strtod(val, &end);
        if (*end || !(o->l2 >= 0 && o->l2 <= 1)) goto bad;
    } else if (!strcmp(key, "nb")) {
        o->nb = strtod(val, &end);
        if (*end || !(o->nb >= 0 && o->nb <= 1e6)) goto bad;
    } else if (!strcmp(key, "ngram")) {
        if (cli_parse_uint("--search ngram", val, 1, 3, &v)) return -1;
        o->fp.ngram = (uint32_t)v;
    } else if (!strcmp(key, "bits")) {
        if (cli_parse_uint("--search bits", val, 10, 26, &v)) return -1;
        o->fp.bits = (uint32_t)v;
    } else if (!strcmp(key, "long-tokens")) {
        if (cli_parse_uint("--search long-tokens", val, 0, SENTI__LONG_TOKENS_MAX, &v)) return -1;
        o->fp.long_tokens = (uint32_t)v;
    } else if (!strcmp(key, "norm")) {
        if (strcmp(val, "none") && strcmp(val, "sqrt")) goto bad;
        o->fp.norm = !strcmp(val, "sqrt");
    } else if (!strcmp(key, "epochs")) {
        if (cli_parse_uint("--search epochs", val, 1, 1000, &v)) return -1;
        o->epochs = (int)v;
    } else if (!strcmp(key, "patience")) {
        if (cli_parse_uint("--search patience", val, 1, 1000, &v)) return -1;
        o->patience = (int)v;
    } else if (!strcmp(key, "class-weight")) {
        if ((*class_bal = class_weight_parse(val)) < 0) goto bad;
    } else if (!strcmp(key, "file-weight")) {
        if ((*file_bal = class_weight_parse(val)) < 0) goto bad;
    } else {
        cli_error("train", "--search: unknown key '%s' (lr, l2, nb, ngram, bits, long-tokens, norm, "
                  "epochs, patience, class-weight, file-weight)", key);
        return -1;
    }
    return 0;
bad:
    cli_error("train", "--search: bad value '%s' for %s", val, key);
    return -1;
}

/* Parse "k=v1,v2;k2=..." (spec is modified in place); checks every value once. */
static int grid_parse(char *spec, grid_axis *ax, int *nax, senti__train_opts o, int cb, int fb) {
    *nax = 0;
    for (char *s = spec, *part; (part = strsep(&s, ";"));) {
        if (!*part) continue;
        char *eq = strchr(part, '=');
        if (!eq || eq == part || !eq[1]) {
            cli_error("train", "--search expects KEY=V1,V2,...[;KEY=...], not '%s'", part);
            return -1;
        }
        *eq = 0;
        if (*nax == GRID_AXES) {
            cli_error("train", "--search: at most %d keys", GRID_AXES);
            return -1;
        }
        grid_axis *a = &ax[(*nax)++];
        a->key = part;
        a->n = 0;
        for (int i = 0; i < *nax - 1; i++)
            if (!strcmp(ax[i].key, part)) {
                cli_error("train", "--search: key '%s' given twice", part);
                return -1;
            }
        for (char *t = eq + 1, *val; (val = strsep(&t, ","));) {
            if (a->n == GRID_VALUES) {
                cli_error("train", "--search: at most %d values per key", GRID_VALUES);
                return -1;
            }
            if (grid_apply(&o, &cb, &fb, part, val)) return -1;
            a->vals[a->n++] = val;
        }
    }
    if (!*nax) {
        cli_error("train", "--search: empty grid");
        return -1;
    }
    return 0;
}

/* Score of the model at path on each validation file (avg recall on 3-class data, accuracy
 * otherwise, binary view for a 3-class model on binary data); returns the mean, or NAN. */
static double search_score(const char *path, const corpus *va, const senti__train_set *vs, int three,
                           int threads, double *per_file) {
    char err[512];
    senti_model *m;
    senti_options mo = {0};
    if (senti_model_open_file(path, &mo, &m, err, sizeof err)) {
        cli_error("train", "%s", err);
        return NAN;
    }
    senti_text *tx = malloc((vs->n ? vs->n : 1) * sizeof *tx);
    senti_result *res = malloc((vs->n ? vs->n : 1) * sizeof *res);
    double mean = NAN;
    if (tx && res) {
        for (size_t i = 0; i < vs->n; i++) tx[i] = (senti_text){vs->texts[i], vs->lens[i]};
        if (senti_predict_batch(m, tx, vs->n, res, threads) == SENTI_OK) {
            mean = 0;
            for (int f = 0; f < va->n; f++) {
                long conf[3][3] = {{0}};
                int neutral = 0;
                for (size_t i = 0; i < vs->n; i++) {
                    if (va->file[i] != f) continue;
                    int y = vs->labels[i], p = res[i].label;
                    if (three) neutral |= y == 1;
                    conf[y][p]++;
                }
                double sc = 0;
                if (three && !neutral) { /* binary view */
                    long ok = 0, n = 0;
                    for (size_t i = 0; i < vs->n; i++) {
                        if (va->file[i] != f) continue;
                        int p = res[i].probs[2] >= res[i].probs[0] ? 2 : 0;
                        ok += p == vs->labels[i];
                        n++;
                    }
                    sc = n ? (double)ok / (double)n : 0;
                } else if (three) { /* average recall over the classes present */
                    int nc = 0;
                    for (int y = 0; y < 3; y++) {
                        long sup = conf[y][0] + conf[y][1] + conf[y][2];
                        if (sup) sc += (double)conf[y][y] / (double)sup, nc++;
                    }
                    sc = nc ? sc / nc : 0;
                } else {
                    long ok = conf[0][0] + conf[1][1], n = ok + conf[0][1] + conf[1][0];
                    sc = n ? (double)ok / (double)n : 0;
                }
                per_file[f] = sc;
                mean += sc;
            }
            mean /= va->n ? va->n : 1;
        }
    } else {
        cli_error("train", "out of memory");
    }
    free(tx);
    free(res);
    senti_model_free(m);
    return mean;
}

/* Train every point of the grid (first axis slowest), print a row per model, keep the first
 * best in out (the output's temporary; name: what the messages call it). Each model is
 * written to a scratch temporary beside it first. o and the weights of ts end as those of the
 * best point. */
static int run_search(const grid_axis *ax, int nax, senti__train_opts *o, corpus *tr,
                      senti__train_set *ts, const corpus *va, const senti__train_set *vs, int three,
                      int class_bal, int file_bal, const char *out, const char *name,
                      const char *const *meta, size_t n_meta, senti__train_report *best_rep) {
    int idx[GRID_AXES] = {0}, best_idx[GRID_AXES] = {0};
    size_t total = 1;
    for (int a = 0; a < nax; a++) total *= (size_t)ax[a].n;
    cli_out scratch;
    double *per = malloc((size_t)(va->n ? va->n : 1) * sizeof *per);
    if (!per) {
        cli_error("train", "out of memory");
        return -1;
    }
    if (cli_out_open(&scratch, "train", name) != 0) {
        free(per);
        return -1;
    }
    const char *tmp = cli_out_path(&scratch);
    printf("search: %zu models, each judged on the %d validation files (average recall on data\n"
           "with neutral rows, else accuracy); ranked by their mean\n\n", total, va->n);
    printf("%4s", "#");
    for (int a = 0; a < nax; a++) printf(" %12s", ax[a].key);
    for (int f = 0; f < va->n; f++) {
        const char *nm = va->names; /* the f-th comma-separated name */
        for (int k = 0; k < f && nm; k++) nm = strchr(nm, ',') ? strchr(nm, ',') + 1 : NULL;
        int len = nm ? (int)(strchr(nm, ',') ? strchr(nm, ',') - nm : (ptrdiff_t)strlen(nm)) : 0;
        printf(" %16.*s", len > 16 ? 16 : len, nm ? nm : "");
    }
    printf(" %8s %6s\n", "mean", "epoch");
    double best = -1;
    int rc = 0;
    senti__train_opts base = *o;
    for (size_t i = 0; i < total && !rc; i++) {
        senti__train_opts c = base;
        int cb = class_bal, fb = file_bal;
        for (int a = 0; a < nax; a++) grid_apply(&c, &cb, &fb, ax[a].key, ax[a].vals[idx[a]]);
        free(tr->w);
        tr->w = NULL;
        ts->weights = NULL;
        if (corpus_weights(tr, ts, c.n_classes, cb, fb)) {
            rc = -1;
            break;
        }
        char err[512];
        senti__train_report rep;
        if (senti__linear_train(ts, vs, &c, tmp, meta, n_meta, &rep, NULL, NULL, err, sizeof err)) {
            cli_error("train", "%s", err);
            rc = -1;
            break;
        }
        double sc = search_score(tmp, va, vs, three, c.threads, per);
        if (isnan(sc)) {
            rc = -1;
            break;
        }
        printf("%4zu", i + 1);
        for (int a = 0; a < nax; a++) printf(" %12s", ax[a].vals[idx[a]]);
        for (int f = 0; f < va->n; f++) printf(" %16.4f", per[f]);
        printf(" %8.4f %6d%s\n", sc, rep.best_epoch, sc > best ? "  *" : "");
        fflush(stdout);
        if (sc > best) {
            best = sc;
            *best_rep = rep;
            *o = c;
            memcpy(best_idx, idx, sizeof idx);
            if (rename(tmp, out)) {
                cli_error("train", "cannot write %s: %s", name, strerror(errno));
                rc = -1;
            }
        }
        for (int a = nax - 1; a >= 0; a--) { /* next point: the last axis fastest */
            if (++idx[a] < ax[a].n) break;
            idx[a] = 0;
        }
    }
    cli_out_abort(&scratch);
    if (!rc) {
        printf("\nbest:");
        for (int a = 0; a < nax; a++) printf(" %s=%s", ax[a].key, ax[a].vals[best_idx[a]]);
        printf(" (mean %.4f), written to %s\n", best, name);
    }
    free(per);
    return rc;
}

static void on_epoch(void *ud, int member, int ep, double tl, double vl, double va) {
    const int *quiet_total = ud; /* quiet, epochs, members */
    if (quiet_total[0]) return;
    if (quiet_total[2] > 1) fprintf(stderr, "member %d/%d  ", member, quiet_total[2]);
    fprintf(stderr, "epoch %2d/%d  train loss %.4f  valid loss %.4f  valid accuracy %.4f\n", ep,
            quiet_total[1], tl, vl, va);
}

/* ---- the command ------------------------------------------------------------------------- */

enum { O_VALID = 0x2000, O_VFRAC, O_TEXT, O_LABEL, O_FMT, O_NAME, O_BITS, O_NGRAM, O_NONEG,
       O_NOBOUNDS, O_NORM, O_MAXTOK, O_EPOCHS, O_PATIENCE, O_LR, O_L2, O_SEED, O_THREADS, O_DTYPE,
       O_CLASSW, O_FILEW, O_CALIB, O_NOCALIB, O_LEXICON, O_SEARCH, O_NB, O_MENTIONS, O_LONG, O_ENSEMBLE,
       O_PARTIAL, O_WHOLE, O_LEXNEG, O_VOCAB };

/* What the command line asks for. */
typedef struct train_args {
    const char *out, *name, *lex_path;
    char *search;
    char *valid_paths[64];
    int n_valid;
    char **data;
    int n_data;
    senti__dataset_opts dopt;
    senti__train_opts o;
    const char *whole[64]; /* --no-partial */
    int n_whole;
    int quiet, class_bal, file_bal, partial;
    grid_axis axes[GRID_AXES];
    int n_axes;
} train_args;

/* A number option within range ("[0, 1]", "(0, 100]", "[0, 0.9)": lo and hi, each open or
 * closed as the brackets say); -1 after saying so if it is not. */
static int parse_real(const char *opt, const char *arg, double lo, double hi, const char *range, double *out) {
    char *end;
    *out = strtod(arg, &end);
    size_t rl = strlen(range);
    int ok = range[0] == '(' ? *out > lo : *out >= lo;
    ok = ok && (range[rl - 1] == ')' ? *out < hi : *out <= hi);
    if (*end || !ok) {
        cli_error("train", "%s expects a number in %s, not '%s'", opt, range, arg);
        return -1;
    }
    return 0;
}

/* Data, output and search options: 1 handled, 0 not one of them, -1 a bad value (said). */
static int opt_data(train_args *a, int c, char *arg) {
    switch (c) {
    case 'o': a->out = arg; return 1;
    case O_VALID:
        if (a->n_valid == 64) {
            cli_error("train", "at most 64 --valid files");
            return -1;
        }
        a->valid_paths[a->n_valid++] = arg;
        return 1;
    case O_VFRAC: return parse_real("--valid-fraction", arg, 0, 0.9, "[0, 0.9)", &a->o.valid_fraction) ? -1 : 1;
    case O_TEXT: a->dopt.text_col = arg; return 1;
    case O_LABEL: a->dopt.label_col = arg; return 1;
    case O_FMT: a->dopt.format = arg; return 1;
    case O_NAME: a->name = arg; return 1;
    case O_LEXICON: a->lex_path = arg; return 1;
    case O_SEARCH: a->search = arg; return 1;
    case 'q': a->quiet = 1; return 1;
    }
    return 0;
}

/* Feature options (the model's parameters): 1 handled, 0 not one of them, -1 a bad value. */
static int opt_features(train_args *a, int c, const char *arg) {
    senti__linear_params *fp = &a->o.fp;
    unsigned long v;
    switch (c) {
    case O_BITS: if (cli_parse_uint("--bits", arg, 10, 26, &v)) return -1; fp->bits = (uint32_t)v; return 1;
    case O_NGRAM: if (cli_parse_uint("--ngram", arg, 1, 3, &v)) return -1; fp->ngram = (uint32_t)v; return 1;
    case O_NONEG: fp->negation = 0; return 1;
    case O_NOBOUNDS: fp->bounds = 0; return 1;
    case O_VOCAB:
        if (cli_parse_uint("--vocab-min", arg, 0, 255, &v)) return -1;
        a->o.vocab_min = (uint32_t)v;
        return 1;
    case O_NORM:
        if (!strcmp(arg, "none")) fp->norm = 0;
        else if (!strcmp(arg, "sqrt")) fp->norm = 1;
        else { cli_error("train", "--norm expects none or sqrt, not '%s'", arg); return -1; }
        return 1;
    case O_MAXTOK: if (cli_parse_uint("--max-tokens", arg, 1, 0xFFFFFFFFul, &v)) return -1; a->o.max_tokens = (uint32_t)v; return 1;
    case O_MENTIONS: fp->mentions = 1; return 1;
    case O_LONG:
        if (cli_parse_uint("--long-tokens", arg, 0, SENTI__LONG_TOKENS_MAX, &v)) return -1;
        fp->long_tokens = (uint32_t)v;
        return 1;
    }
    return 0;
}

/* Optimization options: 1 handled, 0 not one of them, -1 a bad value (said). */
static int opt_optim(train_args *a, int c, const char *arg) {
    senti__train_opts *o = &a->o;
    unsigned long v;
    switch (c) {
    case O_EPOCHS: if (cli_parse_uint("--epochs", arg, 1, 1000, &v)) return -1; o->epochs = (int)v; return 1;
    case O_PATIENCE: if (cli_parse_uint("--patience", arg, 1, 1000, &v)) return -1; o->patience = (int)v; return 1;
    case O_LR: return parse_real("--lr", arg, 0, 100, "(0, 100]", &o->lr) ? -1 : 1;
    case O_L2: return parse_real("--l2", arg, 0, 1, "[0, 1]", &o->l2) ? -1 : 1;
    case O_NB: return parse_real("--nb", arg, 0, 1e6, "[0, 1e6]", &o->nb) ? -1 : 1;
    case O_SEED: if (cli_parse_uint("--seed", arg, 0, ~0ul, &v)) return -1; o->seed = v; return 1;
    case O_THREADS: if (cli_parse_uint("--threads", arg, 1, 64, &v)) return -1; o->threads = (int)v; return 1;
    case O_ENSEMBLE: if (cli_parse_uint("--ensemble", arg, 1, 64, &v)) return -1; o->ensemble = (int)v; return 1;
    case O_DTYPE:
        if (!strcmp(arg, "f32")) o->quantize = 0;
        else if (!strcmp(arg, "int8")) o->quantize = 1;
        else if (!strcmp(arg, "int8-row")) o->quantize = 2;
        else { cli_error("train", "--dtype expects f32, int8 or int8-row, not '%s'", arg); return -1; }
        return 1;
    case O_CLASSW:
        if ((a->class_bal = class_weight_parse(arg)) >= 0) return 1;
        cli_error("train", "--class-weight expects none, balanced or sqrt, not '%s'", arg);
        return -1;
    case O_FILEW:
        if ((a->file_bal = class_weight_parse(arg)) >= 0) return 1;
        cli_error("train", "--file-weight expects none, balanced or sqrt, not '%s'", arg);
        return -1;
    case O_PARTIAL:
        if (parse_real("--partial-labels", arg, 0, 1, "[0, 1]", &o->partial)) return -1;
        a->partial = o->partial > 0;
        return 1;
    case O_LEXNEG:
        if (strcmp(arg, "apart") && strcmp(arg, "flip")) {
            cli_error("train", "--lexicon-negation expects apart or flip, not '%s'", arg);
            return -1;
        }
        o->lex_flip = !strcmp(arg, "flip");
        return 1;
    case O_WHOLE:
        if (a->n_whole == 64) {
            cli_error("train", "at most 64 --no-partial files");
            return -1;
        }
        a->whole[a->n_whole++] = arg;
        return 1;
    case O_CALIB: o->calibrate = 1; return 1;
    case O_NOCALIB: o->calibrate = 0; return 1;
    }
    return 0;
}

/* What the options must agree on, and that the model does not overwrite an input. */
static int check_args(train_args *a) {
    if (!a->n_data || !a->out) {
        cli_error("train", !a->n_data ? "missing DATA" : "missing -o MODEL");
        fputs(help, stderr);
        return CLI_USAGE;
    }
    if (a->o.fp.long_tokens > a->o.max_tokens) {
        cli_error("train", "--long-tokens %u is more than --max-tokens %u: no text could be long",
                  a->o.fp.long_tokens, a->o.max_tokens);
        return CLI_USAGE;
    }
    if (a->o.lex_flip && !a->lex_path) {
        cli_error("train", "--lexicon-negation says how a --lexicon is tied, and none is given");
        return CLI_USAGE;
    }
    if (a->n_whole && !a->partial) {
        cli_error("train", "--no-partial exempts a file from --partial-labels, which is not given");
        return CLI_USAGE;
    }
    for (int k = 0; k < a->n_whole; k++) {
        int named = 0;
        for (int i = 0; i < a->n_data; i++) named |= cli_same_file(a->whole[k], a->data[i]);
        for (int i = 0; i < a->n_valid; i++) named |= cli_same_file(a->whole[k], a->valid_paths[i]);
        if (!named) {
            cli_error("train", "--no-partial %s: not one of the DATA or --valid files", a->whole[k]);
            return CLI_USAGE;
        }
    }
    if (a->search) {
        if (!a->n_valid) {
            cli_error("train", "--search needs --valid files to judge the models on");
            return CLI_USAGE;
        }
        if (grid_parse(a->search, a->axes, &a->n_axes, a->o, a->class_bal, a->file_bal)) return CLI_USAGE;
    }
    cli_inputs inputs = {0};
    for (int i = 0; i < a->n_data; i++) cli_inputs_add(&inputs, a->data[i], "the training data");
    for (int i = 0; i < a->n_valid; i++) cli_inputs_add(&inputs, a->valid_paths[i], "the validation data");
    cli_inputs_add(&inputs, a->lex_path, "the lexicon");
    int same = cli_out_check("train", a->out, &inputs);
    cli_inputs_free(&inputs);
    return same ? CLI_USAGE : -1;
}

/* Parse the command line into a; -1 to go on, else the exit status (--help, a usage error). */
static int parse_args(int argc, char **argv, train_args *a) {
    static const struct option longopts[] = {
        {"output", required_argument, 0, 'o'}, {"valid", required_argument, 0, O_VALID},
        {"valid-fraction", required_argument, 0, O_VFRAC}, {"text-col", required_argument, 0, O_TEXT},
        {"label-col", required_argument, 0, O_LABEL}, {"format", required_argument, 0, O_FMT},
        {"name", required_argument, 0, O_NAME}, {"bits", required_argument, 0, O_BITS},
        {"ngram", required_argument, 0, O_NGRAM}, {"no-negation", no_argument, 0, O_NONEG},
        {"no-bounds", no_argument, 0, O_NOBOUNDS}, {"norm", required_argument, 0, O_NORM},
        {"max-tokens", required_argument, 0, O_MAXTOK}, {"epochs", required_argument, 0, O_EPOCHS},
        {"patience", required_argument, 0, O_PATIENCE}, {"lr", required_argument, 0, O_LR},
        {"l2", required_argument, 0, O_L2}, {"seed", required_argument, 0, O_SEED},
        {"threads", required_argument, 0, O_THREADS}, {"dtype", required_argument, 0, O_DTYPE},
        {"class-weight", required_argument, 0, O_CLASSW}, {"file-weight", required_argument, 0, O_FILEW},
        {"calibrate", no_argument, 0, O_CALIB}, {"lexicon", required_argument, 0, O_LEXICON},
        {"partial-labels", required_argument, 0, O_PARTIAL}, {"no-partial", required_argument, 0, O_WHOLE},
        {"lexicon-negation", required_argument, 0, O_LEXNEG}, {"vocab-min", required_argument, 0, O_VOCAB},
        {"search", required_argument, 0, O_SEARCH}, {"no-calibrate", no_argument, 0, O_NOCALIB},
        {"nb", required_argument, 0, O_NB}, {"mentions", no_argument, 0, O_MENTIONS},
        {"long-tokens", required_argument, 0, O_LONG}, {"ensemble", required_argument, 0, O_ENSEMBLE},
        {"quiet", no_argument, 0, 'q'}, {"help", no_argument, 0, 'h'}, {0, 0, 0, 0}};
    memset(a, 0, sizeof *a);
    senti__train_opts *o = &a->o;
    o->fp = (senti__linear_params){20, 2, 1, 1, 0, 0, 0, 0, NULL};
    o->epochs = 10, o->patience = 3, o->lr = 0.05, o->l2 = 1e-4, o->seed = 1, o->threads = cli_ncpu();
    o->valid_fraction = 0.05, o->quantize = 1, o->max_tokens = SENTI_DEFAULT_MAX_TOKENS, o->calibrate = 0;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "o:qh", longopts, NULL)) != -1) {
        int r = opt_data(a, c, optarg);
        if (!r) r = opt_features(a, c, optarg);
        if (!r) r = opt_optim(a, c, optarg);
        if (r < 0) return CLI_USAGE;
        if (r > 0) continue;
        if (c == 'h') {
            fputs(help, stdout);
            return CLI_OK;
        }
        fputs(help, stderr);
        return CLI_USAGE;
    }
    a->data = argv + optind;
    a->n_data = argc - optind;
    return check_args(a);
}

/* One training run: the data, the lexicon, the metadata and the model file written. */
typedef struct train_run {
    corpus tr, va;
    lexicon lx;
    senti__train_set ts, vs;
    int three;
    const char *meta[14];
    size_t n_meta;
    char lex_name[256];
    cli_out mf;
    senti__train_report rep;
} train_run;

/* The lexicon and the data, as training sets with their weights; -1 after saying why. */
static int load_data(train_args *a, train_run *R) {
    int seen[3] = {0}, vseen[3] = {0};
    senti__train_opts *o = &a->o;
    if (a->lex_path) {
        if (lexicon_load(a->lex_path, &R->lx)) return -1;
        o->n_lex = R->lx.n;
        o->lex_texts = R->lx.texts;
        o->lex_lens = R->lx.lens;
        o->lex_values = R->lx.values;
    }
    if (corpus_load(&R->tr, a->data, a->n_data, &a->dopt, seen) ||
        corpus_load(&R->va, a->valid_paths, a->n_valid, &a->dopt, vseen))
        return -1;
    R->three = seen[CLI_NEU];
    if (!seen[CLI_NEG] || !seen[CLI_POS]) {
        cli_error("train", "%s: the data must hold both negative and positive examples", R->tr.names);
        return -1;
    }
    if (!R->three && vseen[CLI_NEU]) {
        cli_error("train", "%s has neutral labels but %s has none", R->va.names, R->tr.names);
        return -1;
    }
    static const char *const bin_labels[] = {"negative", "positive"};
    static const char *const tri_labels[] = {"negative", "neutral", "positive"};
    o->n_classes = R->three ? 3 : 2;
    o->labels = R->three ? tri_labels : bin_labels;
    R->tr.whole = R->va.whole = a->whole;
    R->tr.n_whole = R->va.n_whole = a->n_whole;
    if (corpus_set(&R->tr, R->three, a->partial, &R->ts) ||
        (a->n_valid && corpus_set(&R->va, R->three, a->partial, &R->vs)))
        return -1;
    return corpus_weights(&R->tr, &R->ts, o->n_classes, a->class_bal, a->file_bal);
}

/* The model file's metadata: no paths, times or versions, so that the same data and options
 * give the same bytes. */
static void set_meta(const train_args *a, train_run *R) {
    const char *meta[] = {"name", a->name ? a->name : R->tr.names,
                          "training_data", R->tr.names,
                          "training_data_xxh128", R->tr.digests,
                          "validation_data", a->n_valid ? R->va.names : "held out from training_data",
                          "validation_data_xxh128", R->va.digests,
                          "lexicon", NULL, "lexicon_xxh128", R->lx.digest};
    memcpy(R->meta, meta, sizeof meta);
    R->n_meta = a->n_valid ? 5 : 4; /* without --valid, no validation digests */
    if (a->lex_path) {
        char *copy = strdup(a->lex_path);
        snprintf(R->lex_name, sizeof R->lex_name, "%s", copy ? basename(copy) : a->lex_path);
        free(copy);
        R->meta[2 * R->n_meta] = "lexicon", R->meta[2 * R->n_meta + 1] = R->lex_name;
        R->meta[2 * R->n_meta + 2] = "lexicon_xxh128", R->meta[2 * R->n_meta + 3] = R->lx.digest;
        R->n_meta += 2;
    }
}

/* Train (one model, or the --search grid) into a temporary beside -o, then put it in place. */
static int train_write(train_args *a, train_run *R) {
    int qt[3] = {a->quiet, a->o.epochs, a->o.ensemble};
    char err[512];
    if (cli_out_open(&R->mf, "train", a->out) != 0) return -1;
    if (a->search) {
        if (run_search(a->axes, a->n_axes, &a->o, &R->tr, &R->ts, &R->va, &R->vs, R->three, a->class_bal,
                       a->file_bal, cli_out_path(&R->mf), a->out, R->meta, R->n_meta, &R->rep))
            return -1;
    } else if (senti__linear_train(&R->ts, a->n_valid ? &R->vs : NULL, &a->o, cli_out_path(&R->mf), R->meta,
                                   R->n_meta, &R->rep, on_epoch, qt, err, sizeof err)) {
        cli_error("train", "%s", err);
        return -1;
    }
    return cli_out_commit(&R->mf, "train");
}

/* The metrics reached, on stdout; the summary on stderr. */
static void print_report(const train_args *a, const train_run *R, double secs) {
    const senti__train_report *rep = &R->rep;
    fprintf(stderr, "trained on %zu texts, validated on %zu (%s), best epoch %d of %d, %.2f s\n",
            rep->n_train, rep->n_valid, a->n_valid ? R->va.names : "held out", rep->best_epoch,
            rep->epochs_run, secs);
    printf("valid_accuracy\t%.4f\nvalid_loss\t%.4f\n", rep->valid_accuracy_quantized, rep->valid_loss);
    if (a->o.calibrate && rep->n_valid)
        printf("temperature\t%.4f\nvalid_loss_uncalibrated\t%.4f\n", rep->temperature, rep->valid_loss_uncalibrated);
    if (a->o.quantize) printf("valid_accuracy_f32\t%.4f\n", rep->valid_accuracy);
    if (a->lex_path) printf("lexicon_entries_tied\t%zu of %zu\n", rep->n_lex_used, R->lx.n);
    printf("model\t%s\n", a->out);
}

int cmd_train(int argc, char **argv) {
    train_args a;
    int rc = parse_args(argc, argv, &a);
    if (rc >= 0) return rc;
    double t0 = senti__now_s();
    train_run R;
    memset(&R, 0, sizeof R);
    rc = CLI_FAIL;
    if (load_data(&a, &R) == 0) {
        set_meta(&a, &R);
        if (train_write(&a, &R) == 0) {
            print_report(&a, &R, senti__now_s() - t0);
            size_t bad = R.tr.bad + R.va.bad;
            if (bad) fprintf(stderr, "senti train: %zu records skipped (see above)\n", bad);
            rc = bad ? CLI_RECORDS : CLI_OK;
        }
    }
    if (rc == CLI_FAIL && R.mf.path)
        cli_error("train", "%s was not written (a file already there is left as it was)", a.out);
    cli_out_abort(&R.mf);
    corpus_free(&R.tr);
    corpus_free(&R.va);
    lexicon_free(&R.lx);
    return rc;
}
