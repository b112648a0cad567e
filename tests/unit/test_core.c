/* The base and core layers: labels checked at open, the registry, where a model came from,
 * files that are not regular, number formatting, the one JSON escaper. */
#include <float.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>
#include <xxhash.h>

#include "../harness.h"
#include "core/core.h"

/* A small binary linear model at path with the given labels (meta "labels"). */
static int write_linear(const char *path, const char *labels, char *err, size_t es) {
    enum { B = 1024 };
    static float w[B * 3];
    float bias[3] = {0, 0, 0};
    int three = strchr(labels, ',') != strrchr(labels, ',');
    senti__st_out t[2] = {{"weights", SENTI__DT_F32, 2, {B, three ? 3 : 1}, w},
                          {"bias", SENTI__DT_F32, 1, {three ? 3 : 1}, bias}};
    const char *meta[] = {"kind", "linear", "format_version", "1", "tokenizer", "senti-1",
                          "hash_bits", "10", "ngram", "2", "negation", "0", "bounds", "1",
                          "norm", "none", "labels", labels};
    return senti__st_write(path, t, 2, meta, 9, err, es);
}

/* Labels go as they are into JSON, CSV, TSV and metrics: any that would need escaping, and
 * repeated ones, are refused at open (they made `predict --json` print invalid JSON). */
TEST(labels_checked_at_open) {
    static const struct {
        const char *labels;
        int ok;
    } cases[] = {
        {"negative,neutral,positive", 1},
        {"négatif,neutre,positif", 1},
        {"negative,neu\"}\n{\"evil\":\"x,positive", 0},
        {"negative,ne\"u,positive", 0},
        {"negative,ne\\u,positive", 0},
        {"negative,ne\tu,positive", 0},
        {"negative,ne\x01u,positive", 0},
        {"negative,ne\x7fu,positive", 0},
        {"negative,negative,negative", 0},
        {"negative,,positive", 0},
        {"negative,neutral,positive,", 0},
    };
    char path[64], err[256];
    snprintf(path, sizeof path, "/tmp/senti-test-%d-labels.st", (int)getpid());
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        ASSERT_EQ(write_linear(path, cases[i].labels, err, sizeof err), SENTI_OK);
        senti_model *m = NULL;
        int rc = senti_model_open_file(path, NULL, &m, err, sizeof err);
        senti_model_free(m);
        if (cases[i].ok && rc != SENTI_OK) TEST_FAIL_("case %zu refused: %s", i, err);
        if (!cases[i].ok && (rc != SENTI_EFORMAT || !strstr(err, "labels")))
            TEST_FAIL_("case %zu: status %d, '%s'", i, rc, err);
        if (!cases[i].ok && strchr(err, '\n')) TEST_FAIL_("case %zu: the message echoes the label", i);
    }
    unlink(path);
    /* invalid UTF-8 cannot be written into a file's JSON header; a kind could still pass it */
    senti_model *m = senti__model_new(NULL, NULL);
    ASSERT(m);
    const char *bad[] = {"negative", "n\xffu"};
    int rc = senti__model_set_labels(m, 2, bad, err, sizeof err);
    senti_model_free(m);
    ASSERT_EQ(rc, SENTI_EFORMAT);
    ASSERT(strstr(err, "UTF-8") != NULL);
}

static int refuse_many(const senti_model *m, senti_ctx *ctx, const senti_text *t, size_t n, senti_result *out) {
    (void)m, (void)ctx, (void)t, (void)n, (void)out;
    return SENTI_ENOTSUP;
}

/* The batch hint: 1 for the kinds that score text by text; the chunk of a kind that scores
 * many texts at once (predict_many) otherwise. */
TEST(model_batch_hint) {
    ASSERT_EQ(senti_model_batch_hint(NULL), 1);
    senti_model *m = NULL;
    ASSERT_EQ(senti_model_open_default(NULL, &m), SENTI_OK);
    ASSERT_EQ(senti_model_batch_hint(m), 1);
    senti_model_free(m);
    senti__model_ops ops = {.kind = "test", .batch_chunk = 24};
    m = senti__model_new(&ops, NULL);
    ASSERT(m);
    ASSERT_EQ(senti_model_batch_hint(m), 1); /* no predict_many: texts one by one */
    ops.predict_many = refuse_many;
    ASSERT_EQ(senti_model_batch_hint(m), 24);
    ops.batch_chunk = 0;
    ASSERT_EQ(senti_model_batch_hint(m), 16);
    senti_model_free(m);
}

/* senti_predict_many: senti_predict_batch's answers on the calling thread, with or without a
 * context; a context of another model is refused. */
TEST(predict_many_matches_batch) {
    senti_model *m = NULL, *m2 = NULL;
    ASSERT_EQ(senti_model_open_default(NULL, &m), SENTI_OK);
    ASSERT_EQ(senti_model_open_default(NULL, &m2), SENTI_OK);
    senti_text t[5] = {{"a wonderful film", 16}, {"", 0}, {"not bad at all", 14}, {"awful", 5}, {NULL, 0}};
    senti_result a[5], b[5], c[5];
    ASSERT_EQ(senti_predict_batch(m, t, 5, a, 2), SENTI_OK);
    ASSERT_EQ(senti_predict_many(m, NULL, t, 5, b), SENTI_OK);
    senti_ctx *ctx = NULL;
    ASSERT_EQ(senti_ctx_new(m, &ctx), SENTI_OK);
    ASSERT_EQ(senti_predict_many(m, ctx, t, 5, c), SENTI_OK);
    for (int i = 0; i < 5; i++) {
        ASSERT_EQ(a[i].label, b[i].label);
        ASSERT(a[i].score == b[i].score && a[i].score == c[i].score);
    }
    ASSERT(a[0].label != a[3].label);
    ASSERT_EQ(senti_predict_many(m2, ctx, t, 5, c), SENTI_EINVAL);
    ASSERT_EQ(senti_predict_many(m, ctx, NULL, 1, c), SENTI_EINVAL);
    ASSERT_EQ(senti_predict_many(m, ctx, t, 0, NULL), SENTI_OK);
    senti_ctx_free(ctx);
    senti_model_free(m);
    senti_model_free(m2);
}

/* Every kind is in the table; specs, messages and files are dispatched through it. */
TEST(registry_lists_and_dispatches_kinds) {
    ASSERT(senti_kind_count() >= 2);
    ASSERT_STR(senti_kind_name(0), "linear");
    ASSERT_STR(senti_kind_name(1), "vader");
    ASSERT(senti_kind_name(senti_kind_count()) == NULL && senti_kind_name(-1) == NULL);
    for (int i = 0; i < senti_kind_count(); i++) {
        ASSERT(senti_kind_help(i) && !strncmp(senti_kind_help(i), senti_kind_name(i), strlen(senti_kind_name(i))));
        ASSERT(senti__kind_find(senti_kind_name(i), strlen(senti_kind_name(i))) == senti__kinds[i]);
    }
    senti_model *m = NULL;
    char err[256];
    ASSERT_EQ(senti_model_open("bert:/x", NULL, &m, err, sizeof err), SENTI_EKIND);
    ASSERT(strstr(err, "known: linear, vader") != NULL);
    ASSERT_EQ(senti_model_open("", NULL, &m, err, sizeof err), SENTI_EINVAL);
    /* a file whose kind has no files (vader is a lexicon folder) is refused by kind */
    char path[64];
    snprintf(path, sizeof path, "/tmp/senti-test-%d-kind.st", (int)getpid());
    float b = 0;
    senti__st_out t[1] = {{"bias", SENTI__DT_F32, 1, {1}, &b}};
    const char *meta[] = {"kind", "vader"};
    ASSERT_EQ(senti__st_write(path, t, 1, meta, 1, err, sizeof err), SENTI_OK);
    int rc = senti_model_open(path, NULL, &m, err, sizeof err);
    ASSERT_EQ(rc, SENTI_EKIND);
    ASSERT(strstr(err, "vader") != NULL);
    /* KIND:PATH opens a file of that kind only */
    char spec[80];
    snprintf(spec, sizeof spec, "linear:%s", path);
    rc = senti_model_open(spec, NULL, &m, err, sizeof err);
    ASSERT_EQ(rc, SENTI_EKIND);
    ASSERT(strstr(err, "a model of kind 'vader', not linear") != NULL);
    size_t n = (size_t)(senti__default_model_end - senti__default_model);
    FILE *f = fopen(path, "wb");
    ASSERT(f && fwrite(senti__default_model, 1, n, f) == n && fclose(f) == 0);
    rc = senti_model_open(spec, NULL, &m, err, sizeof err);
    senti_model_free(m);
    unlink(path);
    ASSERT_EQ(rc, SENTI_OK);
}

static void hex128(const void *p, size_t n, char out[33]) {
    XXH128_hash_t h = XXH3_128bits(p, n);
    snprintf(out, 33, "%016llx%016llx", (unsigned long long)h.high64, (unsigned long long)h.low64);
}

/* senti_model_path/size/digest: the embedded bytes, a mapped file, a file read into memory. */
TEST(model_source_and_digest) {
    senti_model *m = NULL;
    char err[256], want[33];
    ASSERT_EQ(senti_model_open("default", NULL, &m, err, sizeof err), SENTI_OK);
    size_t n = (size_t)(senti__default_model_end - senti__default_model);
    hex128(senti__default_model, n, want);
    ASSERT(senti_model_path(m) == NULL);
    ASSERT_EQ(senti_model_size(m), n);
    ASSERT_STR(senti_model_digest(m), want);
    senti_model_free(m);
    char path[64];
    snprintf(path, sizeof path, "/tmp/senti-test-%d-src.st", (int)getpid());
    FILE *f = fopen(path, "wb");
    ASSERT(f && fwrite(senti__default_model, 1, n, f) == n && fclose(f) == 0);
    senti_options o = {0};
    for (int read = 0; read < 2; read++) {
        o.flags = read ? SENTI_OPEN_READ : 0;
        int rc = senti_model_open(path, &o, &m, err, sizeof err);
        if (rc) TEST_FAIL_("open (read=%d): %s", read, err);
        int ok = senti_model_path(m) && !strcmp(senti_model_path(m), path) && senti_model_size(m) == n &&
                 !strcmp(senti_model_digest(m), want) && (read ? m->owned && !m->map : m->map && !m->owned);
        senti_model_free(m);
        if (!ok) TEST_FAIL_("source of %s (read=%d)", path, read);
    }
    unlink(path);
    ASSERT(senti_model_digest(NULL) == NULL && senti_model_path(NULL) == NULL && senti_model_size(NULL) == 0);
}

/* A FIFO (or any non-regular file) in a model's place is refused at once: opening it for
 * reading used to block until a writer came, hanging a server's reload for good. */
TEST(fifo_model_refused_without_blocking) {
    char path[64], err[256];
    snprintf(path, sizeof path, "/tmp/senti-test-%d.fifo", (int)getpid());
    unlink(path);
    ASSERT_EQ(mkfifo(path, 0600), 0);
    alarm(10); /* if the open blocks, the test process dies here: a failure, not a hang */
    senti_model *m = NULL;
    int rc = senti_model_open(path, NULL, &m, err, sizeof err);
    char *data;
    size_t size;
    int rc2 = senti__read_file(path, 1 << 20, &data, &size, err, sizeof err);
    alarm(0);
    unlink(path);
    ASSERT_EQ(rc, SENTI_EIO);
    ASSERT_EQ(rc2, SENTI_EIO);
    ASSERT(strstr(err, "not a regular file") != NULL);
    ASSERT_EQ(senti_model_open("/dev/null", NULL, &m, err, sizeof err), SENTI_EIO);
}

/* Any double formats safely (1e70 overflowed a stack buffer) and as Python would print it. */
TEST(fmt_rounded_any_double) {
    char buf[64];
    static const struct {
        double v;
        int d;
        const char *want;
    } cases[] = {{0.0, 4, "0.0"}, {0.75, 4, "0.75"}, {-0.4939, 4, "-0.4939"}, {12.0, 3, "12.0"},
                 {1e70, 4, "1.0000000000000001e+70"}, {-1e300, 17, "-1.0000000000000001e+300"},
                 {123456789012345.0, 17, "123456789012345.0"}, {NAN, 4, "null"}, {INFINITY, 4, "null"}};
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        int n = senti__fmt_rounded(buf, sizeof buf, cases[i].v, cases[i].d);
        if (n < 0 || (size_t)n >= sizeof buf || strcmp(buf, cases[i].want))
            TEST_FAIL_("%.17g: '%s' (want '%s')", cases[i].v, buf, cases[i].want);
    }
    ASSERT(senti__fmt_rounded(buf, sizeof buf, DBL_MAX, 17) < (int)sizeof buf);
    ASSERT(senti__fmt_rounded(buf, sizeof buf, -DBL_MAX, 0) < (int)sizeof buf);
    /* a result filled by a caller with absurd numbers renders without overflow */
    senti_model *m = NULL;
    ASSERT_EQ(senti_model_open("default", NULL, &m, NULL, 0), SENTI_OK);
    senti_result r = {0};
    r.n_classes = 3;
    r.score = 1e70;
    r.probs[0] = -1e300;
    char out[512];
    size_t len = senti_result_json(m, &r, out, sizeof out);
    senti_model_free(m);
    ASSERT(len < sizeof out && strstr(out, "\"score\":1.0000000000000001e+70"));
}

/* The one escaper: quotes, backslashes, controls, invalid UTF-8, and the buffer on top of it. */
TEST(json_escape_and_buffer) {
    char out[SENTI__JSON_ESCAPE_MAX(16)];
    size_t n = senti__json_escape(out, "a\"b\\c\n\x01\xff\xc3\xa9", 10);
    ASSERT_EQ(n, strlen("\"a\\\"b\\\\c\\n\\u0001\xEF\xBF\xBD\xc3\xa9\""));
    ASSERT(!memcmp(out, "\"a\\\"b\\\\c\\n\\u0001\xEF\xBF\xBD\xc3\xa9\"", n));
    senti__buf b = {0};
    for (int i = 0; i < 1000; i++) ASSERT_EQ(senti__buf_printf(&b, "%d,", i), SENTI_OK);
    ASSERT_EQ(senti__buf_json(&b, "x\"", 2), SENTI_OK);
    ASSERT(b.len == strlen(b.p) && !strcmp(b.p + b.len - 5, "\"x\\\"\""));
    senti__alloc_fail_after(0);
    senti__buf c = {0};
    int rc = senti__buf_str(&c, "fails");
    senti__alloc_fail_after(-1);
    ASSERT_EQ(rc, SENTI_ENOMEM);
    ASSERT(c.oom && senti__buf_take(&c) == NULL);
    char *s = senti__buf_take(&b);
    ASSERT(s && !strncmp(s, "0,1,2,", 6));
    senti__free(s);
    /* a fixed buffer never grows: what does not fit sets oom, and its memory is the caller's */
    char mem[8];
    senti__buf f = senti__buf_fixed(mem, sizeof mem);
    ASSERT_EQ(senti__buf_str(&f, "1234567"), SENTI_OK);
    ASSERT(f.p == mem && !strcmp(mem, "1234567"));
    ASSERT_EQ(senti__buf_str(&f, "8"), SENTI_ENOMEM);
    ASSERT(f.oom && f.p == mem);
    senti__buf_free(&f); /* must not free the stack array (ASan would say so) */
    f = senti__buf_fixed(mem, sizeof mem);
    ASSERT_EQ(senti__buf_str(&f, "ab"), SENTI_OK);
    s = senti__buf_take(&f);
    ASSERT(s && s != mem && !strcmp(s, "ab"));
    senti__free(s);
}

/* The identity of a vader model covers both lexicons: a change to the emoji lexicon alone
 * changes its digest (the service's cache served stale answers when it did not). */
TEST(vader_digest_covers_both_lexicons) {
    REQUIRE_DATA("vader/vader_lexicon.txt");
    char dir[64], path[128], spec[160], err[256], from[512];
    snprintf(dir, sizeof dir, "/tmp/senti-test-%d-vader", (int)getpid());
    mkdir(dir, 0700);
    const char *names[] = {"vader_lexicon.txt", "emoji_utf8_lexicon.txt"};
    for (int i = 0; i < 2; i++) { /* a copy of the shared lexicons */
        snprintf(from, sizeof from, "%s/vader/%s", test_data_dir(), names[i]);
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        char *data;
        size_t n;
        ASSERT_EQ(senti__read_file(from, 64u << 20, &data, &n, err, sizeof err), SENTI_OK);
        FILE *f = fopen(path, "wb");
        int ok = f && fwrite(data, 1, n, f) == n;
        if (f) ok &= fclose(f) == 0;
        senti__free(data);
        ASSERT(ok);
    }
    snprintf(spec, sizeof spec, "vader:%s", dir);
    char d1[33], d2[33];
    uint64_t n1, n2;
    senti_model *m = NULL;
    ASSERT_EQ(senti_model_open(spec, NULL, &m, err, sizeof err), SENTI_OK);
    snprintf(d1, sizeof d1, "%s", senti_model_digest(m));
    n1 = senti_model_size(m);
    ASSERT(senti_model_path(m) && strstr(senti_model_path(m), "vader_lexicon.txt"));
    senti_model_free(m);
    FILE *f = fopen(path, "ab"); /* path: the emoji lexicon */
    ASSERT(f && fputs("\xf0\x9f\xab\xa0\tmelting face\n", f) >= 0 && fclose(f) == 0);
    ASSERT_EQ(senti_model_open(spec, NULL, &m, err, sizeof err), SENTI_OK);
    snprintf(d2, sizeof d2, "%s", senti_model_digest(m));
    n2 = senti_model_size(m);
    senti_model_free(m);
    for (int i = 0; i < 2; i++) {
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        unlink(path);
    }
    rmdir(dir);
    ASSERT(strcmp(d1, d2) != 0);
    ASSERT_EQ(n2, n1 + strlen("\xf0\x9f\xab\xa0\tmelting face\n"));
}

/* senti_contribution_toward: a binary model's logit[0] toward positive, its negation toward
 * negative; with three labels, a class against the mean of the others. */
TEST(contribution_toward) {
    senti_model *m = NULL;
    ASSERT_EQ(senti_model_open("default", NULL, &m, NULL, 0), SENTI_OK);
    senti_contribution c = {0};
    c.logit[0] = 1.0f, c.logit[1] = -2.0f, c.logit[2] = 4.0f;
    ASSERT_NEAR(senti_contribution_toward(m, &c, 2), 4.0 - (1.0 - 2.0) / 2, 1e-6);
    ASSERT_NEAR(senti_contribution_toward(m, &c, 0), 1.0 - (-2.0 + 4.0) / 2, 1e-6);
    ASSERT_EQ(senti_contribution_toward(m, &c, 3), 0);
    ASSERT_EQ(senti_contribution_toward(m, &c, -1), 0);
    ASSERT_EQ(senti_contribution_toward(NULL, &c, 0), 0);
    /* the contributions toward the predicted label add up to its margin */
    senti_result r;
    senti_contribution cs[64];
    size_t n;
    ASSERT_EQ(senti_explain(m, NULL, "not bad at all", 14, &r, cs, 64, &n), SENTI_OK);
    ASSERT(n <= 64);
    double sum = 0;
    for (size_t i = 0; i < n; i++) sum += senti_contribution_toward(m, &cs[i], r.label);
    senti_model_free(m);
    ASSERT(sum > 0); /* the predicted label is ahead of the others' mean */
}

/* Unknown flags or reserved fields are refused, so a caller never believes a later version's
 * option took effect. */
TEST(options_unknown_bits_refused) {
    senti_options o = {0};
    senti_model *m = NULL;
    char err[256];
    o.flags = 2;
    ASSERT_EQ(senti_model_open("default", &o, &m, err, sizeof err), SENTI_EINVAL);
    ASSERT(m == NULL && strstr(err, "flags"));
    o.flags = SENTI_OPEN_READ;
    o.reserved[6] = 1;
    ASSERT_EQ(senti_model_open("default", &o, &m, err, sizeof err), SENTI_EINVAL);
    ASSERT_EQ(senti_model_open_memory(senti__default_model, 64, &o, &m, err, sizeof err), SENTI_EINVAL);
    o.reserved[6] = 0;
    ASSERT_EQ(senti_model_open("default", &o, &m, err, sizeof err), SENTI_OK);
    senti_model_free(m);
}

/* Every allocation of opening a model file (mapped or read) or a vader folder, and of
 * explaining or scoring with it, may fail: the result is SENTI_ENOMEM, never a crash or a
 * leak. */
TEST(open_paths_under_allocation_failure) {
    char path[64], spec[600], err[256];
    snprintf(path, sizeof path, "/tmp/senti-test-%d-oom.st", (int)getpid());
    size_t n = (size_t)(senti__default_model_end - senti__default_model);
    FILE *f = fopen(path, "wb");
    ASSERT(f && fwrite(senti__default_model, 1, n, f) == n && fclose(f) == 0);
    int have_vader = test_data_has("vader/vader_lexicon.txt");
    snprintf(spec, sizeof spec, "vader:%s/vader", test_data_dir());
    for (int mode = 0; mode < (have_vader ? 3 : 2); mode++) {
        int ok = 0;
        for (long k = 0; !ok && k < 100000; k++) {
            senti_options o = {0};
            o.flags = mode == 1 ? SENTI_OPEN_READ : 0;
            senti_memory_stats before, after;
            senti_memory_stats_get(&before);
            senti__alloc_fail_after(k);
            senti_model *m = NULL;
            int rc = senti_model_open(mode == 2 ? spec : path, &o, &m, err, sizeof err);
            senti_result r;
            senti_contribution c[16];
            size_t nc = 0;
            int rc2 = SENTI_OK;
            if (!rc) {
                rc2 = mode == 2 ? senti_predict(m, NULL, "not bad :)", 10, &r)
                                : senti_explain(m, NULL, "not bad at all", 14, &r, c, 16, &nc);
                (void)senti_model_digest(m);
            }
            senti_model_free(m);
            senti__alloc_fail_after(-1);
            senti_memory_stats_get(&after);
            if ((rc && rc != SENTI_ENOMEM) || (rc2 && rc2 != SENTI_ENOMEM))
                TEST_FAIL_("mode %d, k=%ld: status %d/%d (%s)", mode, k, rc, rc2, err);
            if (after.current_bytes != before.current_bytes)
                TEST_FAIL_("mode %d, k=%ld: %lld bytes leaked", mode, k,
                           (long long)(after.current_bytes - before.current_bytes));
            ok = !rc && !rc2;
        }
        if (!ok) TEST_FAIL_("mode %d never succeeded", mode);
    }
    unlink(path);
}
