/* Library tests: opening models (and refusing corrupt ones), prediction, batches,
 * allocation failure, training determinism, result rendering. */
#include <math.h>
#include <stdlib.h>
#include <unistd.h>

#include "../harness.h"
#include "core/core.h"
#include "io/safetensors.h"
#include "models/linear/linear.h"
#include "text/tokenize.h"

static unsigned char *default_copy(size_t *n) {
    *n = (size_t)(senti__default_model_end - senti__default_model);
    unsigned char *p = aligned_alloc(64, (*n + 63) & ~(size_t)63);
    if (p) memcpy(p, senti__default_model, *n);
    return p;
}

static int open_bytes(const unsigned char *p, size_t n, char *err, size_t es) {
    /* copy to an aligned buffer of exactly n bytes, as a mapping would give */
    unsigned char *b = aligned_alloc(64, (n + 64) & ~(size_t)63);
    if (!b) return SENTI_ENOMEM;
    memcpy(b, p, n);
    senti_model *m = NULL;
    int rc = senti_model_open_memory(b, n, NULL, &m, err, es);
    if (!rc) {
        senti_result r;
        senti_predict(m, NULL, "fine", 4, &r);
    }
    senti_model_free(m);
    free(b);
    return rc;
}

TEST(status_strings) {
    ASSERT_STR(senti_strerror(SENTI_OK), "success");
    ASSERT_STR(senti_strerror(SENTI_ENOMEM), "out of memory");
    ASSERT_STR(senti_strerror(12345), "unknown status");
    ASSERT_STR(senti_status_name(SENTI_EFORMAT), "SENTI_EFORMAT");
    ASSERT_STR(senti_version(), SENTI_VERSION_STRING);
    ASSERT_EQ(senti_version_hex(), SENTI_VERSION_HEX);
}

TEST(default_model_predicts) {
    senti_model *m;
    ASSERT_EQ(senti_model_open("default", NULL, &m, NULL, 0), SENTI_OK);
    ASSERT_STR(senti_model_kind(m), "linear");
    ASSERT_EQ(senti_model_n_classes(m), 3); /* the default model: negative, neutral, positive */
    ASSERT_STR(senti_model_label(m, 0), "negative");
    ASSERT_STR(senti_model_label(m, 1), "neutral");
    ASSERT_STR(senti_model_label(m, 2), "positive");
    ASSERT_EQ(senti_model_label_index(m, "positive"), 2);
    ASSERT(senti_model_label(m, 3) == NULL);
    ASSERT_STR(senti_model_meta(m, "kind"), "linear");
    senti_result r;
    const char *pos = "what a wonderful, moving film";
    ASSERT_EQ(senti_predict(m, NULL, pos, strlen(pos), &r), SENTI_OK);
    ASSERT_EQ(r.label, 2);
    ASSERT(r.score > 0.9);
    ASSERT_NEAR(r.probs[0] + r.probs[1] + r.probs[2], 1.0, 1e-9);
    const char *neg = "a dull, lifeless and boring mess";
    ASSERT_EQ(senti_predict(m, NULL, neg, strlen(neg), &r), SENTI_OK);
    ASSERT_EQ(r.label, 0);
    ASSERT(r.score < 0.1);
    /* empty text, NUL bytes, invalid UTF-8, emoji only: scored, finite */
    const char *odd[] = {"", "\0\0\0", "\xff\xfe\xfd", "\xF0\x9F\x98\x80\xF0\x9F\x98\x80"};
    size_t oddn[] = {0, 3, 3, 8};
    for (int i = 0; i < 4; i++) {
        ASSERT_EQ(senti_predict(m, NULL, odd[i], oddn[i], &r), SENTI_OK);
        ASSERT(isfinite(r.score) && r.score > 0 && r.score < 1);
    }
    ASSERT_EQ(senti_predict(m, NULL, NULL, 5, &r), SENTI_EINVAL);
    senti_model_free(m);
}

TEST(text_bounds) {
    senti_options o = {0};
    o.max_text_bytes = 10;
    senti_model *m;
    ASSERT_EQ(senti_model_open(NULL, &o, &m, NULL, 0), SENTI_OK);
    senti_result r1, r2;
    const char *a = "good good good terrible awful";
    senti_predict(m, NULL, a, strlen(a), &r1);
    senti_predict(m, NULL, a, 10, &r2);
    ASSERT_EQ(r1.truncated, 1);
    ASSERT_EQ(r2.truncated, 0);
    ASSERT_NEAR(r1.score, r2.score, 0);
    /* the cut never splits a UTF-8 character */
    ASSERT_EQ(senti__utf8_cut("abcdefghi\xC3\xA9", 11, 10), 9);
    senti_model_free(m);
}

TEST(open_spec_errors) {
    senti_model *m = (senti_model *)1;
    char err[256];
    ASSERT_EQ(senti_model_open("/nonexistent/model.safetensors", NULL, &m, err, sizeof err), SENTI_EIO);
    ASSERT(m == NULL);
    ASSERT(strstr(err, "/nonexistent/model.safetensors") != NULL);
    ASSERT_EQ(senti_model_open("bert:/x", NULL, &m, err, sizeof err), SENTI_EKIND);
    ASSERT(strstr(err, "bert") != NULL);
    ASSERT(senti_model_open("vader:/nonexistent", NULL, &m, err, sizeof err) != SENTI_OK);
    ASSERT_EQ(senti_model_open_memory(NULL, 0, NULL, &m, err, sizeof err), SENTI_EFORMAT);
}

TEST(corrupt_model_files) {
    size_t n;
    unsigned char *p = default_copy(&n);
    ASSERT(p);
    char err[256];
    ASSERT_EQ(open_bytes(p, n, err, sizeof err), SENTI_OK);
    /* every truncation fails cleanly */
    for (size_t cut = 0; cut < n; cut += (cut < 2048 ? 1 : 4099))
        if (open_bytes(p, cut, err, sizeof err) == SENTI_OK) {
            free(p);
            TEST_FAIL_("a model cut to %zu bytes opened", cut);
        }
    /* huge header length */
    unsigned char *q = malloc(n);
    memcpy(q, p, n);
    memset(q, 0xff, 8);
    ASSERT_EQ(open_bytes(q, n, err, sizeof err), SENTI_EFORMAT);
    ASSERT(strstr(err, "header length") != NULL);
    /* header edits: out-of-range offsets, wrong dtype, wrong version, wrong kind */
    uint64_t hl = 0;
    for (int i = 7; i >= 0; i--) hl = (hl << 8) | p[i];
    /* the weights' end offset made larger than the file, and the hash bits out of range,
     * spelled as this model spells them */
    char off_from[64] = "", off_to[64] = "", bits_from[32] = "", ver_from[32] = "";
    const char *wo = memmem(p + 8, (size_t)hl, "\"data_offsets\":[16,", 19);
    const char *hb = memmem(p + 8, (size_t)hl, "\"hash_bits\":\"", 13);
    ASSERT(wo && hb && wo[19] >= '1' && wo[19] <= '8' && hb[13] >= '1' && hb[13] <= '2');
    snprintf(off_from, sizeof off_from, "%.*s", (int)strcspn(wo + 15, "]") + 1, wo + 15);
    snprintf(off_to, sizeof off_to, "%s", off_from);
    off_to[4] = '9';
    snprintf(bits_from, sizeof bits_from, "%.16s", hb);
    const char *fv = memmem(p + 8, (size_t)hl, "\"format_version\":\"", 18);
    ASSERT(fv);
    snprintf(ver_from, sizeof ver_from, "%.20s", fv);
    struct {
        const char *from, *to;
        int status;
        const char *msg;
    } edits[] = {
        {off_from, off_to, SENTI_EFORMAT, "truncated or corrupt"},
        {"\"dtype\":\"I8\"", "\"dtype\":\"I4\"", SENTI_EFORMAT, "dtype"},
        {"\"dtype\":\"I8\"", "\"dtype\":\"U8\"", SENTI_EFORMAT, "dtype"},
        {ver_from, "\"format_version\":\"9\"", SENTI_EVERSION, "format_version"},
        {"\"kind\":\"linear\"", "\"kind\":\"vader1\"", SENTI_EKIND, "kind"},
        {bits_from, "\"hash_bits\":\"99\"", SENTI_EFORMAT, "hash_bits"},
        {"\"labels\":\"negative,neutral,positive\"", "\"labels\":\"negative,neutral,,ositive\"", SENTI_EFORMAT, "labels"},
        {"{\"__metadata__\"", "[\"__metadata__\"", SENTI_EFORMAT, "JSON"},
    };
    for (size_t e = 0; e < sizeof edits / sizeof *edits; e++) {
        memcpy(q, p, n);
        char *h = (char *)q + 8;
        char *at = memmem(h, (size_t)hl, edits[e].from, strlen(edits[e].from));
        if (!at || strlen(edits[e].from) != strlen(edits[e].to)) {
            free(p);
            free(q);
            TEST_FAIL_("edit %zu: '%s' not in the header", e, edits[e].from);
        }
        memcpy(at, edits[e].to, strlen(edits[e].to));
        int rc = open_bytes(q, n, err, sizeof err);
        if (rc != edits[e].status || !strstr(err, edits[e].msg)) {
            free(p);
            free(q);
            TEST_FAIL_("edit %zu (%s): status %d, '%s'", e, edits[e].to, rc, err);
        }
    }
    /* random byte flips in the header: never a crash (run under ASan in make test) */
    srand(7);
    for (int k = 0; k < 3000; k++) {
        memcpy(q, p, n);
        size_t pos = (size_t)rand() % (size_t)(hl + 8);
        q[pos] = (unsigned char)rand();
        open_bytes(q, n, err, sizeof err);
    }
    free(q);
    free(p);
}

TEST(allocation_failures) {
    /* fail the k-th allocation for every k until opening and scoring succeed */
    int ok = 0;
    for (long k = 0; k < 200 && !ok; k++) {
        senti__alloc_fail_after(k);
        senti_model *m = NULL;
        int rc = senti_model_open_default(NULL, &m);
        if (rc == SENTI_OK) {
            senti_ctx *ctx = NULL;
            rc = senti_ctx_new(m, &ctx);
            if (rc == SENTI_OK) {
                senti_result r;
                rc = senti_predict(m, ctx, "good", 4, &r);
                ok = rc == SENTI_OK;
            }
            senti_ctx_free(ctx);
        }
        senti__alloc_fail_after(-1);
        if (rc != SENTI_OK && rc != SENTI_ENOMEM) TEST_FAIL_("k=%ld: status %d", k, rc);
        senti_model_free(m);
    }
    senti__alloc_fail_after(-1);
    ASSERT(ok);
}

TEST(batch_matches_single_any_threads) {
    senti_model *m;
    ASSERT_EQ(senti_model_open_default(NULL, &m), SENTI_OK);
    enum { N = 3000 };
    static char buf[N][40];
    static senti_text tx[N];
    static senti_result a[N], b[N];
    const char *words[] = {"good", "bad", "not", "great", "awful", "fun", "dull", "film", "!"};
    srand(3);
    for (int i = 0; i < N; i++) {
        int len = 0;
        for (int w = 0; w < 4; w++) len += snprintf(buf[i] + len, 40 - (size_t)len, "%s ", words[rand() % 9]);
        tx[i] = (senti_text){buf[i], (size_t)len};
    }
    ASSERT_EQ(senti_predict_batch(m, tx, N, a, 1), SENTI_OK);
    ASSERT_EQ(senti_predict_batch(m, tx, N, b, 4), SENTI_OK);
    for (int i = 0; i < N; i++) {
        senti_result r;
        senti_predict(m, NULL, tx[i].ptr, tx[i].len, &r);
        if (memcmp(&a[i], &b[i], sizeof r) || memcmp(&a[i], &r, sizeof r)) TEST_FAIL_("text %d differs", i);
    }
    ASSERT_EQ(senti_predict_batch(m, tx, 0, a, 2), SENTI_OK);
    senti_model_free(m);
}

TEST(result_json) {
    senti_model *m;
    ASSERT_EQ(senti_model_open_default(NULL, &m), SENTI_OK);
    senti_result r;
    memset(&r, 0, sizeof r);
    r.label = 2, r.n_classes = 3, r.score = 0.75, r.probs[0] = 0.25, r.probs[1] = 0, r.probs[2] = 0.75;
    char buf[256];
    size_t n = senti_result_json(m, &r, buf, sizeof buf);
    ASSERT_STR(buf, "\"label\":\"positive\",\"score\":0.75,\"scores\":{\"negative\":0.25,\"neutral\":0.0,\"positive\":0.75}");
    ASSERT_EQ(n, strlen(buf));
    /* a short buffer is cut and terminated; the return value is the length needed */
    char small[8];
    ASSERT_EQ(senti_result_json(m, &r, small, sizeof small), n);
    ASSERT_EQ(strlen(small), 7);
    char t[32];
    senti__fmt_rounded(t, sizeof t, 0.0, 3);
    ASSERT_STR(t, "0.0");
    senti__fmt_rounded(t, sizeof t, -0.4939, 4);
    ASSERT_STR(t, "-0.4939");
    senti__fmt_rounded(t, sizeof t, 1.0, 4);
    ASSERT_STR(t, "1.0");
    senti_model_free(m);
}

static void read_lines(const char *path, size_t max, char ***texts, size_t **lens, int **labels, size_t *n) {
    FILE *f = fopen(path, "r");
    *n = 0;
    if (!f) return;
    *texts = calloc(max, sizeof **texts);
    *lens = calloc(max, sizeof **lens);
    *labels = calloc(max, sizeof **labels);
    char *line = NULL;
    size_t cap = 0;
    ssize_t r;
    if (getline(&line, &cap, f) < 0) max = 0; /* header */
    while (*n < max && (r = getline(&line, &cap, f)) > 0) {
        if (line[r - 1] == '\n') line[--r] = 0;
        char *tab = strchr(line, '\t');
        if (!tab) continue;
        (*labels)[*n] = line[0] == '1';
        (*texts)[*n] = strdup(tab + 1);
        (*lens)[*n] = strlen(tab + 1);
        (*n)++;
    }
    free(line);
    fclose(f);
}

static unsigned char *slurp(const char *path, size_t *n) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long sz = ftell(f);
    fseek(f, 0, SEEK_SET);
    unsigned char *p = malloc((size_t)sz + 1);
    *n = fread(p, 1, (size_t)sz, f);
    fclose(f);
    return p;
}

/* Labelled rows read by read_lines. */
typedef struct rows {
    char **texts;
    size_t *lens;
    int *labels;
    size_t n;
} rows;

/* The first max SST-2 training rows (SENTI_DATA_DIR); fewer if the file cannot be read. */
static size_t sst2_rows(size_t max, rows *r) {
    char path[512];
    snprintf(path, sizeof path, "%s/sst2/train.tsv", test_data_dir());
    *r = (rows){0};
    read_lines(path, max, &r->texts, &r->lens, &r->labels, &r->n);
    return r->n;
}

/* The rows as a training set (all but the last nv) and a validation set (the last nv). */
static void split_rows(const rows *r, size_t nv, senti__train_set *tr, senti__train_set *va) {
    size_t k = r->n - nv;
    *tr = (senti__train_set){k, (const char *const *)r->texts, r->lens, r->labels, NULL, NULL};
    *va = (senti__train_set){nv, (const char *const *)r->texts + k, r->lens + k, r->labels + k, NULL, NULL};
}

static void free_rows(rows *r) {
    for (size_t i = 0; i < r->n; i++) free(r->texts[i]);
    free(r->texts), free(r->lens), free(r->labels);
}

TEST(training_is_deterministic) {
    rows d;
    REQUIRE_DATA("sst2/train.tsv");
    if (sst2_rows(4000, &d) < 4000) TEST_FAIL_("cannot read sst2/train.tsv (set SENTI_DATA_DIR)");
    senti__train_set ts, none;
    split_rows(&d, 0, &ts, &none);
    static const char *const labs[] = {"negative", "positive"};
    senti__train_opts o = {0};
    o.fp = (senti__linear_params){16, 2, 1, 1, 0, 0, 0, 0, NULL};
    o.n_classes = 2, o.labels = labs, o.epochs = 4, o.patience = 2, o.lr = 0.05, o.l2 = 1e-4;
    o.seed = 9, o.valid_fraction = 0.1, o.quantize = 1, o.max_tokens = 1000;
    char f1[64], f2[64], f3[64], err[256];
    snprintf(f1, sizeof f1, "/tmp/senti-test-%d-1.st", (int)getpid());
    snprintf(f2, sizeof f2, "/tmp/senti-test-%d-2.st", (int)getpid());
    snprintf(f3, sizeof f3, "/tmp/senti-test-%d-3.st", (int)getpid());
    senti__train_report r1, r2, r3;
    o.threads = 1;
    ASSERT_EQ(senti__linear_train(&ts, NULL, &o, f1, NULL, 0, &r1, NULL, NULL, err, sizeof err), SENTI_OK);
    o.threads = 3;
    ASSERT_EQ(senti__linear_train(&ts, NULL, &o, f2, NULL, 0, &r2, NULL, NULL, err, sizeof err), SENTI_OK);
    o.seed = 10;
    ASSERT_EQ(senti__linear_train(&ts, NULL, &o, f3, NULL, 0, &r3, NULL, NULL, err, sizeof err), SENTI_OK);
    size_t n1, n2, n3;
    unsigned char *b1 = slurp(f1, &n1), *b2 = slurp(f2, &n2), *b3 = slurp(f3, &n3);
    int same12 = b1 && b2 && n1 == n2 && !memcmp(b1, b2, n1);
    int same13 = b1 && b3 && n1 == n3 && !memcmp(b1, b3, n1);
    /* the model learned something on its held-out tenth */
    senti_model *m = NULL;
    int orc = senti_model_open_file(f1, NULL, &m, err, sizeof err);
    senti_result pr;
    if (m) senti_predict(m, NULL, "a wonderful , moving film", 25, &pr);
    senti_model_free(m);
    unlink(f1), unlink(f2), unlink(f3);
    free(b1), free(b2), free(b3);
    free_rows(&d);
    ASSERT(same12);
    ASSERT(!same13);
    ASSERT_EQ(orc, SENTI_OK);
    ASSERT(r1.valid_accuracy_quantized > 0.7);
    ASSERT_EQ(pr.label, 1);
}

/* The F32 tensor name of the model file at path, copied into out (count values). */
static int read_f32(const char *path, const char *name, float *out, size_t count) {
    size_t n;
    unsigned char *p = slurp(path, &n);
    senti__st st;
    char err[256];
    if (!p || senti__st_parse(p, n, &st, err, sizeof err)) {
        free(p);
        return -1;
    }
    const senti__tensor *t = senti__st_find(&st, name);
    int rc = t && t->dtype == SENTI__DT_F32 && t->count == count ? 0 : -1;
    if (!rc) memcpy(out, t->data, count * sizeof *out);
    senti__st_free(&st);
    free(p);
    return rc;
}

/* --ensemble K writes the mean of the K models that K single runs with seeds s..s+K-1 write
 * (f32 weights and biases, summed in member order and divided by K, as the trainer does;
 * without NB scaling, whose fold into the weights would round differently). */
TEST(ensemble_is_the_mean_of_its_members) {
    rows d;
    REQUIRE_DATA("sst2/train.tsv");
    if (sst2_rows(3000, &d) < 3000) TEST_FAIL_("cannot read sst2/train.tsv (set SENTI_DATA_DIR)");
    /* a validation set of its own: without one the held-out split would follow the seed */
    senti__train_set ts, vs;
    split_rows(&d, 300, &ts, &vs);
    static const char *const labs[] = {"negative", "positive"};
    senti__train_opts o = {0};
    o.fp = (senti__linear_params){12, 2, 1, 1, 1, 0, 0, 0, NULL};
    o.n_classes = 2, o.labels = labs, o.epochs = 4, o.patience = 1, o.lr = 0.1, o.l2 = 1e-4;
    o.seed = 3, o.valid_fraction = 0.1, o.quantize = 0, o.max_tokens = 1000, o.threads = 2;
    enum { K = 3, B = 1 << 12 };
    static float w[K][B], we[B], mean[B];
    float b[K], be;
    double bm = 0; /* the trainer sums the biases in double */
    char f[64], err[256];
    snprintf(f, sizeof f, "/tmp/senti-test-%d-ens.st", (int)getpid());
    senti__train_report r;
    int failed = 0;
    for (int m = 0; m < K && !failed; m++) {
        o.seed = 3 + (uint64_t)m;
        failed = senti__linear_train(&ts, &vs, &o, f, NULL, 0, &r, NULL, NULL, err, sizeof err) ||
                 read_f32(f, "weights", w[m], B) || read_f32(f, "bias", &b[m], 1);
    }
    o.seed = 3, o.ensemble = K;
    if (!failed)
        failed = senti__linear_train(&ts, &vs, &o, f, NULL, 0, &r, NULL, NULL, err, sizeof err) ||
                 read_f32(f, "weights", we, B) || read_f32(f, "bias", &be, 1);
    unlink(f);
    free_rows(&d);
    ASSERT(!failed);
    size_t differ = 0, members_differ = 0;
    for (int i = 0; i < B; i++) {
        float s = 0;
        for (int m = 0; m < K; m++) s += w[m][i];
        mean[i] = s / (float)K;
        differ += mean[i] != we[i];
        members_differ += w[0][i] != w[1][i];
    }
    for (int m = 0; m < K; m++) bm += b[m];
    ASSERT_EQ(differ, 0);
    ASSERT((float)(bm / K) == be);
    ASSERT(members_differ > 100); /* the members are different models */
}

TEST(safetensors_roundtrip) {
    float a[6] = {1, 2, 3, 4, 5, 6};
    int8_t b[3] = {-1, 0, 1};
    senti__st_out t[2] = {{"b", SENTI__DT_I8, 1, {3}, b}, {"a", SENTI__DT_F32, 2, {2, 3}, a}};
    const char *meta[] = {"k", "v"};
    char path[64], err[256];
    snprintf(path, sizeof path, "/tmp/senti-st-%d.st", (int)getpid());
    ASSERT_EQ(senti__st_write(path, t, 2, meta, 1, err, sizeof err), SENTI_OK);
    size_t n;
    unsigned char *raw = slurp(path, &n);
    unlink(path);
    ASSERT(raw);
    unsigned char *p = aligned_alloc(64, (n + 63) & ~(size_t)63);
    memcpy(p, raw, n);
    free(raw);
    senti__st st;
    int rc = senti__st_parse(p, n, &st, err, sizeof err);
    if (rc) {
        free(p);
        TEST_FAIL_("parse: %s", err);
    }
    const senti__tensor *ta = senti__st_find(&st, "a"), *tb = senti__st_find(&st, "b");
    int ok = ta && tb && ta->ndim == 2 && ta->shape[1] == 3 && !memcmp(ta->data, a, sizeof a) &&
             !memcmp(tb->data, b, sizeof b) && senti__st_meta(&st, "k") && !strcmp(senti__st_meta(&st, "k"), "v");
    uint64_t hl = 0;
    for (int i = 7; i >= 0; i--) hl = (hl << 8) | p[i];
    senti__st_free(&st);
    free(p);
    ASSERT(ok);
    ASSERT_EQ((8 + hl) % 64, 0); /* data starts on a 64-byte boundary */
}

TEST(memory_accounting) {
    senti_memory_stats a, b, c;
    senti_memory_stats_get(&a);
    senti_model *m;
    ASSERT_EQ(senti_model_open_default(NULL, &m), SENTI_OK);
    senti_memory_stats_get(&b);
    ASSERT(b.current_bytes > a.current_bytes);
    ASSERT(b.peak_bytes >= b.current_bytes);
    ASSERT(b.allocations > a.allocations);
    senti_model_free(m);
    senti_memory_stats_get(&c);
    ASSERT_EQ(c.current_bytes, a.current_bytes); /* everything given back */
    ASSERT(c.frees > b.frees);
}

TEST(explain_is_exact) {
    senti_model *m;
    ASSERT_EQ(senti_model_open_default(NULL, &m), SENTI_OK);
    const char *texts[] = {"what a wonderful, moving film", "I didn't like it at all.", "", "not bad"};
    senti_contribution c[256];
    for (int t = 0; t < 4; t++) {
        senti_result r, p;
        size_t n = 0;
        ASSERT_EQ(senti_explain(m, NULL, texts[t], strlen(texts[t]), &r, c, 256, &n), SENTI_OK);
        ASSERT_EQ(senti_predict(m, NULL, texts[t], strlen(texts[t]), &p), SENTI_OK);
        ASSERT_NEAR(r.score, p.score, 0);
        ASSERT(n >= 1 && n <= 256);
        ASSERT_EQ(c[0].order, SENTI_CONTRIB_BIAS);
        double z[3] = {0, 0, 0}; /* the default model: softmax over 3 logits, positive last */
        for (size_t i = 0; i < n; i++) {
            for (int j = 0; j < 3; j++) z[j] += c[i].logit[j];
            if (i) ASSERT(c[i].end <= strlen(texts[t]) && c[i].start <= c[i].end);
        }
        double mx = fmax(z[0], fmax(z[1], z[2]));
        double den = exp(z[0] - mx) + exp(z[1] - mx) + exp(z[2] - mx);
        ASSERT_NEAR(exp(z[2] - mx) / den, p.score, 1e-5);
    }
    /* too little room: the count is still told, the first cap are written */
    size_t n = 0;
    senti_result r;
    ASSERT_EQ(senti_explain(m, NULL, texts[0], strlen(texts[0]), &r, c, 2, &n), SENTI_OK);
    ASSERT(n > 2);
    ASSERT_EQ(senti_explain(m, NULL, texts[0], strlen(texts[0]), &r, NULL, 0, &n), SENTI_OK);
    ASSERT(n > 2);
    senti_model_free(m);
    /* a negated word is flagged */
    ASSERT_EQ(senti_model_open_default(NULL, &m), SENTI_OK);
    ASSERT_EQ(senti_explain(m, NULL, "not bad", 7, &r, c, 256, &n), SENTI_OK);
    int negated = 0;
    for (size_t i = 1; i < n; i++)
        if (c[i].order == 1 && c[i].start == 4) negated = (c[i].flags & SENTI_CONTRIB_NEGATED) != 0;
    ASSERT(negated);
    senti_model_free(m);
}

TEST(explain_not_supported_by_vader) {
    REQUIRE_DATA("vader/vader_lexicon.txt");
    char dir[512], err[256];
    snprintf(dir, sizeof dir, "vader:%s/vader", test_data_dir());
    senti_model *m;
    if (senti_model_open(dir, NULL, &m, err, sizeof err)) TEST_FAIL_("%s", err);
    senti_result r;
    size_t n;
    senti_contribution c[4];
    int rc = senti_explain(m, NULL, "good", 4, &r, c, 4, &n);
    senti_model_free(m);
    ASSERT_EQ(rc, SENTI_ENOTSUP);
}

/* Training under allocation failure: every failing allocation gives SENTI_ENOMEM (never a
 * crash or a free of an uninitialized pointer), and nothing leaks. */
TEST(training_allocation_failures) {
    enum { N = 40 };
    static char buf[N][48];
    const char *texts[N];
    size_t lens[N];
    int labels[N];
    const char *words[] = {"good", "bad", "not", "great", "awful", "fun", "dull", "film", "!"};
    for (int i = 0; i < N; i++) {
        int len = 0;
        for (int w = 0; w < 5; w++) len += snprintf(buf[i] + len, 48 - (size_t)len, "%s ", words[(i * 7 + w * 3) % 9]);
        texts[i] = buf[i], lens[i] = (size_t)len, labels[i] = i % 3;
    }
    senti__train_set ts = {N, texts, lens, labels, NULL, NULL};
    static const char *const labs[] = {"negative", "neutral", "positive"};
    const char *lex[] = {"good", "bad", ":)"};
    size_t lex_lens[] = {4, 3, 2};
    float lex_vals[] = {1.9f, -2.5f, 2.0f};
    senti__train_opts o = {0};
    o.fp = (senti__linear_params){10, 2, 1, 1, 1, 0, 0, 0, NULL};
    o.n_classes = 3, o.labels = labs, o.epochs = 2, o.patience = 1, o.lr = 0.1, o.l2 = 1e-4;
    o.seed = 1, o.valid_fraction = 0.25, o.quantize = 2, o.calibrate = 1, o.max_tokens = 100;
    o.threads = 2, o.n_lex = 3, o.lex_texts = lex, o.lex_lens = lex_lens, o.lex_values = lex_vals;
    char path[64], err[256];
    snprintf(path, sizeof path, "/tmp/senti-test-%d-oom.st", (int)getpid());
    int ok = 0;
    for (long k = 0; k < 400 && !ok; k++) {
        senti_memory_stats before, after;
        senti_memory_stats_get(&before);
        senti__train_report rep;
        senti__alloc_fail_after(k);
        int rc = senti__linear_train(&ts, NULL, &o, path, NULL, 0, &rep, NULL, NULL, err, sizeof err);
        senti__alloc_fail_after(-1);
        senti_memory_stats_get(&after);
        if (rc != SENTI_OK && rc != SENTI_ENOMEM) TEST_FAIL_("k=%ld: status %d (%s)", k, rc, err);
        if (after.current_bytes != before.current_bytes)
            TEST_FAIL_("k=%ld: %lld bytes leaked", k, (long long)(after.current_bytes - before.current_bytes));
        ok = rc == SENTI_OK;
    }
    unlink(path);
    ASSERT(ok);
}

/* A model whose int8 weights are all +127: with max_tokens raised, a long text sums more
 * than INT32_MAX quantized units. The sum must not overflow (UB; it wrapped negative). */
TEST(int8_sum_does_not_overflow) {
    enum { B = 1024 };
    static int8_t q[B];
    memset(q, 127, sizeof q);
    float scale = 1e-6f, bias = 0;
    senti__st_out t[3] = {{"weights", SENTI__DT_I8, 2, {B, 1}, q},
                          {"scale", SENTI__DT_F32, 1, {1}, &scale},
                          {"bias", SENTI__DT_F32, 1, {1}, &bias}};
    const char *meta[] = {"kind", "linear", "format_version", "1", "tokenizer", "senti-1",
                          "hash_bits", "10", "ngram", "3", "negation", "0", "bounds", "1",
                          "norm", "none", "labels", "negative,positive"};
    char path[64], err[256];
    snprintf(path, sizeof path, "/tmp/senti-test-%d-i8.st", (int)getpid());
    ASSERT_EQ(senti__st_write(path, t, 3, meta, 9, err, sizeof err), SENTI_OK);
    senti_options opts = {0};
    opts.max_text_bytes = 0xFFFFFFFFu, opts.max_tokens = 0xFFFFFFFFu;
    senti_model *m = NULL;
    int rc = senti_model_open_file(path, &opts, &m, err, sizeof err);
    unlink(path);
    ASSERT_EQ(rc, SENTI_OK);
    size_t ntok = 6000000, len = 2 * ntok; /* 3 features per token: ~2.3e9 units */
    char *text = malloc(len);
    ASSERT(text);
    for (size_t i = 0; i < len; i += 2) text[i] = 'a', text[i + 1] = ' ';
    senti_result r;
    rc = senti_predict(m, NULL, text, len, &r);
    free(text);
    senti_model_free(m);
    ASSERT_EQ(rc, SENTI_OK);
    ASSERT_EQ(r.n_tokens, ntok);
    ASSERT_EQ(r.label, 1);
    ASSERT(r.score > 0.99);
}

/* Hand-built linear files: an F32 model with one NaN, infinite or huge weight is refused at
 * open (it would poison every score that touches its bucket and print "nan" into JSON: 3e38
 * twice is infinity, and infinity minus infinity NaN); long_tokens is range-checked. */
TEST(hand_built_linear_files) {
    enum { B = 1024 };
    static float w[B];
    float bias = 0;
    senti__st_out t[2] = {{"weights", SENTI__DT_F32, 2, {B, 1}, w}, {"bias", SENTI__DT_F32, 1, {1}, &bias}};
    const char *meta[] = {"kind", "linear", "format_version", "1", "tokenizer", "senti-1",
                          "hash_bits", "10", "ngram", "2", "negation", "0", "bounds", "1",
                          "norm", "none", "labels", "negative,positive"};
    char path[64], err[256];
    snprintf(path, sizeof path, "/tmp/senti-test-%d-f32.st", (int)getpid());
    const float bad[] = {0.5f, NAN, INFINITY, -INFINITY, 3e38f, -2e6f};
    for (int k = 0; k < 6; k++) {
        for (int i = 0; i < B; i++) w[i] = 0.25f;
        w[B - 1] = bad[k];
        ASSERT_EQ(senti__st_write(path, t, 2, meta, 9, err, sizeof err), SENTI_OK);
        senti_model *m = NULL;
        int rc = senti_model_open_file(path, NULL, &m, err, sizeof err);
        senti_model_free(m);
        unlink(path);
        if (k == 0) ASSERT_EQ(rc, SENTI_OK);
        else {
            ASSERT_EQ(rc, SENTI_EFORMAT);
            ASSERT(strstr(err, "non-finite") != NULL);
        }
    }
    /* long_tokens: 0..128 in a format 3 file; a format 5 file is refused */
    w[B - 1] = 0.25f;
    const char *meta3[] = {"kind", "linear", "format_version", "3", "tokenizer", "senti-1",
                           "hash_bits", "10", "ngram", "2", "negation", "0", "bounds", "1",
                           "norm", "none", "labels", "negative,positive", "long_tokens", "128"};
    const char *vals[] = {"128", "129", "-1", "x", "64"};
    const int want[] = {SENTI_OK, SENTI_EFORMAT, SENTI_EFORMAT, SENTI_EFORMAT, SENTI_EVERSION};
    for (int k = 0; k < 5; k++) {
        meta3[19] = vals[k];
        meta3[3] = k == 4 ? "5" : "3";
        ASSERT_EQ(senti__st_write(path, t, 2, meta3, 10, err, sizeof err), SENTI_OK);
        senti_model *m = NULL;
        int rc = senti_model_open_file(path, NULL, &m, err, sizeof err);
        senti_model_free(m);
        unlink(path);
        if (rc != want[k]) TEST_FAIL_("long_tokens '%s': status %d (%s)", vals[k], rc, err);
        if (k && k < 4 && !strstr(err, "long_tokens")) TEST_FAIL_("long_tokens '%s': '%s'", vals[k], err);
    }
    /* VOCABULARY: vocab_bits and the tensor 'vocab' (U8, 2^bits / 8 bytes) come together; a
     * word with its bit clear reads as "<unk>", so two unknown words score alike */
    static uint8_t vocab[(1 << 16) / 8 + 1];
    for (int i = 0; i < B; i++) w[i] = (float)(i % 7) - 2.5f;
    senti__st_out tv[3] = {t[0], t[1], {"vocab", SENTI__DT_U8, 1, {(1 << 16) / 8}, vocab}};
    const char *meta4[] = {"kind", "linear", "format_version", "4", "tokenizer", "senti-1",
                           "hash_bits", "10", "ngram", "1", "negation", "0", "bounds", "0",
                           "norm", "none", "labels", "negative,positive", "vocab_bits", "16"};
    struct { size_t nt, nmeta; uint64_t bytes; int want; } cases[] = {
        {3, 10, (1 << 16) / 8, SENTI_OK},     {2, 10, 0, SENTI_EFORMAT}, /* no tensor */
        {3, 9, (1 << 16) / 8, SENTI_EFORMAT}, /* a tensor without vocab_bits */
        {3, 10, (1 << 16) / 8 + 1, SENTI_EFORMAT}};
    for (int k = 0; k < 4; k++) {
        tv[2].shape[0] = cases[k].bytes;
        ASSERT_EQ(senti__st_write(path, tv, cases[k].nt, meta4, cases[k].nmeta, err, sizeof err), SENTI_OK);
        senti_model *m = NULL;
        int rc = senti_model_open_file(path, NULL, &m, err, sizeof err);
        unlink(path);
        if (rc != cases[k].want) TEST_FAIL_("vocab case %d: status %d (%s)", k, rc, err);
        if (rc == SENTI_OK) {
            senti_result r1, r2, r3;
            ASSERT_EQ(senti_predict(m, NULL, "qwerty", 6, &r1), SENTI_OK);
            ASSERT_EQ(senti_predict(m, NULL, "zxcvbn", 6, &r2), SENTI_OK);
            ASSERT_EQ(senti_predict(m, NULL, "<unk>", 5, &r3), SENTI_OK); /* three tokens, not <unk> */
            ASSERT(r1.score == r2.score);
            ASSERT(r1.score != 0.5f && r3.score != r1.score);
            /* with its bit set, "qwerty" is read as itself */
            senti_model_free(m);
            uint64_t b = senti__hash_token("qwerty", 6) >> (64 - 16);
            vocab[b >> 3] |= (uint8_t)(1u << (b & 7));
            ASSERT_EQ(senti__st_write(path, tv, 3, meta4, 10, err, sizeof err), SENTI_OK);
            m = NULL;
            ASSERT_EQ(senti_model_open_file(path, NULL, &m, err, sizeof err), SENTI_OK);
            unlink(path);
            ASSERT_EQ(senti_predict(m, NULL, "qwerty", 6, &r3), SENTI_OK);
            ASSERT(r3.score != r1.score);
            vocab[b >> 3] = 0;
        }
        senti_model_free(m);
    }
    /* vocab_bits out of 16..28, or in a file of format 3 */
    const char *badv[][2] = {{"4", "15"}, {"4", "29"}, {"4", "0"}, {"3", "16"}};
    tv[2].shape[0] = (1 << 16) / 8;
    for (int k = 0; k < 4; k++) {
        meta4[3] = badv[k][0], meta4[19] = badv[k][1];
        ASSERT_EQ(senti__st_write(path, tv, 3, meta4, 10, err, sizeof err), SENTI_OK);
        senti_model *m = NULL;
        int rc = senti_model_open_file(path, NULL, &m, err, sizeof err);
        unlink(path);
        senti_model_free(m);
        if (rc != SENTI_EFORMAT) TEST_FAIL_("vocab_bits %s in format %s: status %d", badv[k][1], badv[k][0], rc);
    }
}

/* The writer must not leave a metadata entry out silently (jansson refuses non-UTF-8). */
TEST(safetensors_write_refuses_bad_metadata) {
    float a[2] = {1, 2};
    senti__st_out t[1] = {{"a", SENTI__DT_F32, 1, {2}, a}};
    const char *meta[] = {"kind", "linear", "source", "caf\xe9.tsv"};
    char path[64], err[256] = "";
    snprintf(path, sizeof path, "/tmp/senti-test-%d-meta.st", (int)getpid());
    int rc = senti__st_write(path, t, 1, meta, 2, err, sizeof err);
    unlink(path);
    ASSERT(rc != SENTI_OK);
    ASSERT(strstr(err, "source") != NULL);
}

/* Do the contributions of senti_explain fail to add up to the logits senti_predict scored (r),
 * or name an n-gram twice (a long copy must add to its feature's contribution)? */
static int explain_disagrees(const senti_model *m, const char *text, size_t len, const senti_result *r,
                             senti_result *e) {
    static senti_contribution c[1024];
    size_t n = 0;
    if (senti_explain(m, NULL, text, len, e, c, 1024, &n) || n > 1024) return 1;
    double z[SENTI_MAX_CLASSES] = {0};
    int k = r->n_classes == 2 ? 1 : r->n_classes;
    for (size_t i = 0; i < n; i++) {
        for (int j = 0; j < k; j++) z[j] += c[i].logit[j];
        if (i > 1 && c[i].order >= 1 && c[i].start == c[i - 1].start && c[i].end == c[i - 1].end && c[i].order == c[i - 1].order)
            return 1;
    }
    double p;
    if (k == 1) p = 1 / (1 + exp(-z[0]));
    else {
        double mx = z[0], den = 0;
        for (int j = 1; j < k; j++) mx = fmax(mx, z[j]);
        for (int j = 0; j < k; j++) den += exp(z[j] - mx);
        p = exp(z[k - 1] - mx) / den;
    }
    return fabs(p - r->probs[r->n_classes - 1]) > 1e-5;
}

/* A model written as f32 scores exactly what the trainer measured on the validation set
 * (its own arithmetic), and an int8-row model what the trainer reports for it. */
TEST(trained_model_scores_what_trainer_measured) {
    rows d;
    REQUIRE_DATA("sst2/train.tsv");
    if (sst2_rows(3000, &d) < 3000) TEST_FAIL_("cannot read sst2/train.tsv (set SENTI_DATA_DIR)");
    size_t nv = 600;
    senti__train_set tr, va;
    split_rows(&d, nv, &tr, &va);
    static const char *const labs[] = {"negative", "positive"};
    char f[64], err[256];
    snprintf(f, sizeof f, "/tmp/senti-test-%d-dt.st", (int)getpid());
    /* the 3-class variant: every fifth text relabelled neutral (NB leaves that class unscaled) */
    static const char *const labs3[] = {"negative", "neutral", "positive"};
    int *labels3 = malloc(d.n * sizeof *labels3);
    ASSERT(labels3);
    for (size_t i = 0; i < d.n; i++) labels3[i] = i % 5 == 4 ? 1 : 2 * d.labels[i];
    int failed = 0;
    for (int variant = 0; variant < 12 && !failed; variant++) {
        int quant = variant % 2 ? 2 : 0, nb = variant / 4 % 3;
        uint32_t norm = (uint32_t)(variant / 2 % 2);
        int three = nb == 2; /* 0: no NB; 1: NB, binary; 2: NB, three classes */
        senti__train_set *pt = &tr, *pv = &va, tr3 = tr, va3 = va;
        if (three) {
            tr3.labels = labels3, va3.labels = labels3 + (d.n - nv);
            pt = &tr3, pv = &va3;
        }
        senti__train_opts o = {0};
        /* long copies from 8 tokens in a third of the variants (about half of SST-2's phrases) */
        o.fp = (senti__linear_params){16, 2, 1, 1, norm, (uint32_t)(nb > 0), variant % 3 == 2 ? 8u : 0u, 0, NULL};
        o.nb = nb ? 5.0 : 0.0;
        o.vocab_min = variant % 4 == 1 ? 2 : 0; /* a VOCABULARY in variants 1, 5, 9 */
        o.n_classes = three ? 3 : 2, o.labels = three ? labs3 : labs, o.epochs = 3, o.patience = 2, o.lr = 0.1, o.l2 = 1e-5;
        o.seed = 5, o.quantize = quant, o.max_tokens = SENTI_DEFAULT_MAX_TOKENS, o.threads = 2;
        senti__train_report rep;
        int rc = senti__linear_train(pt, pv, &o, f, NULL, 0, &rep, NULL, NULL, err, sizeof err);
        senti_model *m = NULL;
        if (!rc) rc = senti_model_open_file(f, NULL, &m, err, sizeof err);
        if (!rc && o.fp.mentions) { /* the file says to read handles as one token */
            senti_result a, b;
            senti_predict(m, NULL, "@alice good", 11, &a);
            senti_predict(m, NULL, "@bob_99 good", 12, &b);
            if (a.probs[0] != b.probs[0]) fprintf(stderr, "    handles read apart\n"), failed = 1;
        }
        size_t ok = 0;
        double loss = 0;
        for (size_t i = 0; !rc && i < nv; i++) {
            senti_result r, e;
            senti_predict(m, NULL, va.texts[i], va.lens[i], &r);
            if (i % 10 == 0 && explain_disagrees(m, va.texts[i], va.lens[i], &r, &e)) {
                fprintf(stderr, "    variant %d: explaining '%.40s' gives %.7f, predict %.7f\n", variant,
                        va.texts[i], e.score, r.score);
                failed = 1;
            }
            ok += r.label == pv->labels[i];
            double p = r.probs[pv->labels[i]];
            loss += -log(p > 1e-15 ? p : 1e-15);
        }
        senti_model_free(m);
        unlink(f);
        if (rc) { fprintf(stderr, "    quant %d norm %u nb %d: %s\n", quant, norm, nb, err); failed = 1; break; }
        double acc = (double)ok / (double)nv;
        loss /= (double)nv;
        double want_acc = quant ? rep.valid_accuracy_quantized : rep.valid_accuracy;
        double want_loss = quant ? rep.valid_loss_uncalibrated : rep.valid_loss;
        if (acc != want_acc || fabs(loss - want_loss) > 1e-5) {
            fprintf(stderr, "    quant %d norm %u nb %d: scored acc %.6f loss %.7f, trainer %.6f %.7f\n",
                    quant, norm, nb, acc, loss, want_acc, want_loss);
            failed = 1;
        }
        }
    free_rows(&d);
    free(labels3);
    ASSERT(!failed);
}

/* PARTIAL LABELS: texts marked polar (their file knows only negative and positive) give the
 * neutral class no gradient. Trained on polar texts alone, a three-class f32 model keeps every
 * neutral weight and the neutral bias at exactly 0, while the polar classes learn; unmarked,
 * the same texts push the neutral bias below 0 (every one of them says "not neutral"). */
TEST(partial_labels_leave_neutral_untaught) {
    enum { N = 60, B = 1 << 10 };
    static char buf[N][48];
    const char *texts[N];
    size_t lens[N];
    int labels[N];
    unsigned char polar[N];
    const char *pos[] = {"good", "great", "fun"}, *neg[] = {"bad", "awful", "dull"};
    for (int i = 0; i < N; i++) {
        int len = snprintf(buf[i], 48, "a %s film %d", i % 2 ? pos[i % 3] : neg[i % 3], i % 5);
        texts[i] = buf[i], lens[i] = (size_t)len, labels[i] = i % 2 ? 2 : 0, polar[i] = 1;
    }
    static const char *const labs[] = {"negative", "neutral", "positive"};
    senti__train_opts o = {0};
    o.fp = (senti__linear_params){10, 2, 1, 1, 1, 0, 0, 0, NULL};
    o.n_classes = 3, o.labels = labs, o.epochs = 3, o.patience = 3, o.lr = 0.1, o.l2 = 1e-4;
    o.seed = 1, o.valid_fraction = 0.2, o.quantize = 0, o.max_tokens = 100, o.threads = 1;
    o.partial = 1;
    static float w[B * 3];
    float bias[3], bias_full[3];
    char path[64], err[256];
    snprintf(path, sizeof path, "/tmp/senti-test-%d-partial.st", (int)getpid());
    senti__train_report rep;
    senti__train_set ts = {N, texts, lens, labels, NULL, polar};
    ASSERT_EQ(senti__linear_train(&ts, NULL, &o, path, NULL, 0, &rep, NULL, NULL, err, sizeof err), SENTI_OK);
    int rw = read_f32(path, "weights", w, B * 3), rb = read_f32(path, "bias", bias, 3);
    ts.polar = NULL;
    ASSERT_EQ(senti__linear_train(&ts, NULL, &o, path, NULL, 0, &rep, NULL, NULL, err, sizeof err), SENTI_OK);
    int rf = read_f32(path, "bias", bias_full, 3);
    unlink(path);
    ASSERT(rw == 0 && rb == 0 && rf == 0);
    size_t nonzero_neutral = 0, nonzero_polar = 0;
    for (size_t b = 0; b < B; b++) nonzero_neutral += w[b * 3 + 1] != 0, nonzero_polar += w[b * 3] != 0;
    ASSERT_EQ(nonzero_neutral, 0);
    ASSERT(nonzero_polar > 0);
    ASSERT(bias[1] == 0.0f);
    ASSERT(bias_full[1] < 0.0f);
}

/* Lexicon negation "flip" (train.c "LEXICON"): a negated rated word shares the plain bin of the
 * words rated -0.74 times its valence. "awful" (-2.5) never occurs in training, "great" (1.9)
 * only plainly in positive texts; -0.74 * -2.5 = 1.85 falls in great's bin (round(2 v) = 4), so
 * "not awful" reads positive with the flip and stays near even (its own, untrained negated bin)
 * without. */
TEST(lexicon_flip_ties_a_negation_to_the_opposite_words) {
    enum { N = 60 };
    static char buf[N][48];
    const char *texts[N];
    size_t lens[N];
    int labels[N];
    for (int i = 0; i < N; i++) {
        int len = snprintf(buf[i], 48, "a %s film %d", i % 2 ? "great" : "dull", i % 5);
        texts[i] = buf[i], lens[i] = (size_t)len, labels[i] = i % 2;
    }
    static const char *const labs[] = {"negative", "positive"};
    const char *lex[] = {"great", "awful"};
    size_t lex_lens[] = {5, 5};
    float lex_vals[] = {1.9f, -2.5f};
    senti__train_opts o = {0};
    o.fp = (senti__linear_params){16, 2, 1, 1, 0, 0, 0, 0, NULL};
    o.n_classes = 2, o.labels = labs, o.epochs = 5, o.patience = 5, o.lr = 0.2, o.l2 = 1e-6;
    o.seed = 1, o.valid_fraction = 0.2, o.quantize = 0, o.max_tokens = 100, o.threads = 1;
    o.n_lex = 2, o.lex_texts = lex, o.lex_lens = lex_lens, o.lex_values = lex_vals;
    float p[2];
    for (int flip = 0; flip < 2; flip++) {
        char path[64], err[256];
        snprintf(path, sizeof path, "/tmp/senti-test-%d-flip.st", (int)getpid());
        senti__train_report rep;
        senti__train_set ts = {N, texts, lens, labels, NULL, NULL};
        o.lex_flip = flip;
        ASSERT_EQ(senti__linear_train(&ts, NULL, &o, path, NULL, 0, &rep, NULL, NULL, err, sizeof err), SENTI_OK);
        senti_model *m = NULL;
        int rc = senti_model_open_file(path, NULL, &m, err, sizeof err);
        unlink(path);
        ASSERT_EQ(rc, SENTI_OK);
        senti_result r;
        ASSERT_EQ(senti_predict(m, NULL, "not awful", 9, &r), SENTI_OK);
        p[flip] = r.score;
        senti_model_free(m);
    }
    ASSERT(p[1] > 0.6f);
    ASSERT(p[1] > p[0] + 0.1f);
}
