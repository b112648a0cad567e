/*
 * test_vader.c - the vader model kind: parity with the reference outputs in
 * ../shared/data/vader/reference/ (all five .jsonl files; every record, all four numbers bit for bit),
 * rules and Unicode corners, the "but" emulation, rounding, errors (lexicon values off the
 * scale), bounds, emoji '!' counts, and time on adversarial 1 MB inputs (speed:
 * bench/vader_speed.sh).
 *
 *   build/test_unit vader_parity      the acceptance test (about 29k records)
 *   build/test_unit vader_small       quick checks, fit for valgrind
 *   build/test_unit vader_adversarial 1 MB inputs, times printed
 */
#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "../harness.h"
#include "core/core.h"
#include "models/vader/unicode_tables.h"
#include "models/vader/vader.h"
#include "senti.h"

static int open_vader(senti_model **m, const senti_options *opts) {
    char path[512], err[512];
    snprintf(path, sizeof path, "vader:%s/vader", test_data_dir());
    int rc = senti_model_open(path, opts, m, err, sizeof err);
    if (rc) fprintf(stderr, "    open %s: %s\n", path, err);
    return rc;
}

static int same_double(double a, double b) { return memcmp(&a, &b, sizeof a) == 0; }

/* Score text and compare with the expected numbers (bits, so -0.0 != 0.0). */
static int check_text(senti_model *m, senti_ctx *ctx, const char *text, size_t len,
                      const double want[4], int verbose) {
    senti_result r;
    int rc = senti_predict(m, ctx, text, len, &r);
    int ok = rc == SENTI_OK && r.n_values == 4;
    for (int k = 0; ok && k < 4; k++) ok = same_double(r.values[k], want[k]);
    if (!ok && verbose)
        fprintf(stderr,
                "    MISMATCH %.300s\n      got  neg %.17g neu %.17g pos %.17g compound %.17g\n"
                "      want neg %.17g neu %.17g pos %.17g compound %.17g\n",
                text, r.values[0], r.values[1], r.values[2], r.values[3], want[0], want[1],
                want[2], want[3]);
    return ok;
}

static void expect(senti_model *m, const char *text, double neg, double neu, double pos,
                   double compound, int *bad) {
    double w[4] = {neg, neu, pos, compound};
    if (!check_text(m, NULL, text, strlen(text), w, 1)) *bad = 1;
}

/* ---- the acceptance test --------------------------------------------------------------- */

TEST(vader_parity) {
    REQUIRE_DATA("vader/vader_lexicon.txt");
    senti_model *m;
    ASSERT_EQ(open_vader(&m, NULL), SENTI_OK);
    senti_ctx *ctx;
    ASSERT_EQ(senti_ctx_new(m, &ctx), SENTI_OK);
    static const char *files[] = {"edge_cases", "icwsm_tweets", "icwsm_amazon", "sst2_dev",
                                  "fuzz_public"};
    long total = 0, matched = 0, shown = 0;
    for (size_t f = 0; f < sizeof files / sizeof *files; f++) {
        char path[512];
        snprintf(path, sizeof path, "%s/vader/reference/%s.jsonl", test_data_dir(), files[f]);
        FILE *fp = fopen(path, "r");
        if (!fp) {
            senti_ctx_free(ctx);
            senti_model_free(m);
            TEST_FAIL_("%s: %s", path, strerror(errno));
        }
        long n = 0, ok = 0;
        char *line = NULL;
        size_t cap = 0;
        ssize_t got;
        while ((got = getline(&line, &cap, fp)) > 0) {
            json_error_t je;
            json_t *o = json_loadb(line, (size_t)got, JSON_ALLOW_NUL, &je);
            const char *text = o ? json_string_value(json_object_get(o, "text")) : NULL;
            if (!text) {
                fprintf(stderr, "    %s: record %ld: bad JSON\n", path, n + 1);
                json_decref(o);
                n++;
                continue;
            }
            size_t len = json_string_length(json_object_get(o, "text"));
            double want[4] = {json_real_value(json_object_get(o, "neg")),
                              json_real_value(json_object_get(o, "neu")),
                              json_real_value(json_object_get(o, "pos")),
                              json_real_value(json_object_get(o, "compound"))};
            n++;
            if (check_text(m, ctx, text, len, want, shown < 25)) ok++;
            else shown++;
            json_decref(o);
        }
        free(line);
        fclose(fp);
        fprintf(stderr, "    %-14s %ld/%ld\n", files[f], ok, n);
        total += n;
        matched += ok;
    }
    fprintf(stderr, "    parity: %ld/%ld records match exactly\n", matched, total);
    senti_ctx_free(ctx);
    senti_model_free(m);
    ASSERT(total > 0);
    ASSERT_EQ(matched, total);
}

/* ---- quick checks ------------------------------------------------------------------------ */

TEST(vader_small_rules) {
    REQUIRE_DATA("vader/vader_lexicon.txt");
    senti_model *m;
    ASSERT_EQ(open_vader(&m, NULL), SENTI_OK);
    int bad = 0;
    /* values from the reference implementation */
    expect(m, "", 0.0, 0.0, 0.0, 0.0, &bad);
    expect(m, "!!!", 0.0, 1.0, 0.0, 0.0, &bad);
    expect(m, ":)", 0.0, 0.0, 1.0, 0.4588, &bad);
    expect(m, "not good", 0.706, 0.294, 0.0, -0.3412, &bad);
    expect(m, "not GOOD", 0.747, 0.253, 0.0, -0.4494, &bad);
    expect(m, "isn't good", 0.706, 0.294, 0.0, -0.3412, &bad);
    expect(m, "\xf0\x9f\x98\x80", 0.0, 0.286, 0.714, 0.3612, &bad); /* grinning face */
    expect(m, "kind of good", 0.0, 0.408, 0.592, 0.4404, &bad);
    expect(m, "The food was good BUT the service was terrible!!", 0.346, 0.512, 0.143, -0.5837,
           &bad);
    expect(m, "Today only kinda sux! But I'll get by, lol", 0.127, 0.556, 0.317, 0.5249, &bad);
    expect(m, "never this good", 0.0, 0.372, 0.628, 0.5228, &bad);
    expect(m, "without doubt excellent", 0.0, 0.147, 0.853, 0.7013, &bad);
    expect(m, "kiss of death", 0.506, 0.13, 0.364, -0.2732, &bad);
    expect(m, "neither good nor bad", 0.705, 0.295, 0.0, -0.5824, &bad);
    expect(m, "amazing?!?!", 0.0, 0.0, 1.0, 0.695, &bad);
    expect(m, "Catch utf-8 emoji such as \xf0\x9f\x92\x98 and \xf0\x9f\x92\x8b and "
              "\xf0\x9f\x98\x81", 0.0, 0.583, 0.417, 0.875, &bad);
    expect(m, "\xef\xbc\xa6\xef\xbd\x95\xef\xbd\x8c\xef\xbd\x8c "
              "\xef\xbd\x97\xef\xbd\x89\xef\xbd\x84\xef\xbd\x94\xef\xbd\x88 good",
           0.0, 0.408, 0.592, 0.4404, &bad); /* full-width letters are not folded */
    expect(m, "hate my incentive surviving", 0.394, 0.106, 0.5, -0.0, &bad);
    ASSERT(!bad);

    /* result fields */
    senti_result r;
    ASSERT_EQ(senti_predict(m, NULL, "good", 4, &r), SENTI_OK);
    ASSERT_STR(senti_model_kind(m), "vader");
    ASSERT_STR(senti_model_label(m, r.label), "positive");
    ASSERT_EQ(r.n_classes, 3);
    ASSERT_EQ(r.n_values, 4);
    ASSERT_STR(senti_model_value_name(m, 3), "compound");
    ASSERT(r.probs[2] == 1.0 && r.probs[0] == 0.0);
    ASSERT_NEAR(r.score, (0.4404 + 1) / 2, 1e-12);
    ASSERT_EQ(r.n_tokens, 1);
    ASSERT_EQ(senti_predict(m, NULL, "not good", 8, &r), SENTI_OK);
    ASSERT_STR(senti_model_label(m, r.label), "negative");
    ASSERT_EQ(senti_predict(m, NULL, "the table", 9, &r), SENTI_OK);
    ASSERT_STR(senti_model_label(m, r.label), "neutral");
    ASSERT(senti_model_meta(m, "lexicon") != NULL);
    /* JSON numbers as the reference prints them */
    char js[512];
    ASSERT_EQ(senti_predict(m, NULL, "The food was good, but the service was terrible.", 48, &r),
              SENTI_OK);
    senti_result_json(m, &r, js, sizeof js);
    if (!strstr(js, "\"neg\":0.317,\"neu\":0.534,\"pos\":0.149,\"compound\":-0.4939"))
        TEST_FAIL_("json: %s", js);
    senti_model_free(m);
}

/* Inputs that the reference reads in a particular way. */
TEST(vader_small_unicode) {
    REQUIRE_DATA("vader/vader_lexicon.txt");
    senti_model *m;
    ASSERT_EQ(open_vader(&m, NULL), SENTI_OK);
    senti_result a, b;
    /* invalid UTF-8 reads as U+FFFD, so "good\xff" equals "good\xef\xbf\xbd" */
    ASSERT_EQ(senti_predict(m, NULL, "GOOD\xff day", 10, &a), SENTI_OK);
    ASSERT_EQ(senti_predict(m, NULL, "GOOD\xef\xbf\xbd day", 12, &b), SENTI_OK);
    ASSERT(same_double(a.values[3], b.values[3]) && same_double(a.values[1], b.values[1]));
    /* a NUL byte is not whitespace for str.split() */
    ASSERT_EQ(senti_predict(m, NULL, "good\0good", 9, &a), SENTI_OK);
    ASSERT_EQ(a.n_tokens, 1);
    /* U+3000 and U+00A0 are; U+200B is not */
    ASSERT_EQ(senti_predict(m, NULL, "good\xe3\x80\x80good\xc2\xa0ok", 16, &a), SENTI_OK);
    ASSERT_EQ(a.n_tokens, 3);
    ASSERT_EQ(senti_predict(m, NULL, "good\xe2\x80\x8bgood", 11, &a), SENTI_OK);
    ASSERT_EQ(a.n_tokens, 1);
    /* KELVIN SIGN lower()s to ASCII k: "\u212aind of good" is "kind of good" */
    ASSERT_EQ(senti_predict(m, NULL, "\xe2\x84\xaaind of good", 14, &a), SENTI_OK);
    ASSERT_EQ(senti_predict(m, NULL, "kind of good", 12, &b), SENTI_OK);
    ASSERT(same_double(a.values[3], b.values[3]));
    /* an emoji description continues into the next character: "😀ly" is "grinning facely" */
    ASSERT_EQ(senti_predict(m, NULL, "\xf0\x9f\x98\x80ly", 6, &a), SENTI_OK);
    ASSERT_EQ(a.n_tokens, 2);
    senti_model_free(m);
}

TEST(vader_unicode_tables) {
    /* the whitespace test agrees with Python's str.isspace() (senti__vu_spaces) */
    size_t k = 0;
    for (unsigned cp = 0; cp < 0x110000; cp++) {
        int want = k < VU_N_SPACES && senti__vu_spaces[k] == cp;
        if (want) k++;
        if (senti__vader_is_space(cp) != want) TEST_FAIL_("U+%04X space %d", cp, want);
    }
}

TEST(vader_small_round) {
    /* Python: round(0.0625, 3) == 0.062 (exact tie, to even); round(0.0005, 3) == 0.001
     * and round(0.0015, 3) == 0.002 (above the tie in binary); round(2.675, 2) == 2.67; round(-0.00001, 4) == -0.0 */
    ASSERT(senti__vader_round(0.0625, 3) == 0.062);
    ASSERT(senti__vader_round(0.0005, 3) == 0.001);
    ASSERT(senti__vader_round(0.0015, 3) == 0.002);
    ASSERT(senti__vader_round(2.675, 2) == 2.67);
    ASSERT(senti__vader_round(0.12345, 4) == 0.1235);
    double z = senti__vader_round(-0.00001, 4);
    ASSERT(z == 0 && signbit(z));
    ASSERT(senti__vader_round(-0.4939000001, 4) == -0.4939);
}

TEST(vader_round_random) {
    /* the fast path agrees with printf/strtod on many values */
    unsigned long long st = 88172645463325252ull;
    for (int i = 0; i < 200000; i++) {
        st ^= st << 13, st ^= st >> 7, st ^= st << 17;
        double x = (double)(st >> 11) / 9007199254740992.0 * 2 - 1;
        if (i % 3 == 0) x = round(x * 20000) / 20000; /* near ties */
        for (int nd = 3; nd <= 4; nd++) {
            char buf[64];
            snprintf(buf, sizeof buf, "%.*f", nd, x);
            double want = strtod(buf, NULL), got = senti__vader_round(x, nd);
            if (!same_double(want, got)) TEST_FAIL_("round(%.17g, %d): %.17g != %s", x, nd, got, buf);
        }
    }
}

TEST(vader_small_but) {
    /* the reference's quirk: index() finds the first equal value */
    double s[] = {2, 1, 0, 1, 3};
    ASSERT_EQ(senti__vader_but_rule(s, 5, 2, 0), SENTI_OK);
    /* k=0: 2 at 0 -> 1; k=1: 1 first at 0 -> 0.5; k=2: 0; k=3: 1 at 1 -> 0.5; k=4: 3 -> 4.5 */
    ASSERT(s[0] == 0.5 && s[1] == 0.5 && s[2] == 0 && s[3] == 1 && s[4] == 4.5);
    /* heap emulation == direct emulation on random lists with many repeated values */
    unsigned long long st = 1234567;
    double a[300], b[300];
    for (int rep = 0; rep < 3000; rep++) {
        st ^= st << 13, st ^= st >> 7, st ^= st << 17;
        size_t n = 1 + st % 300, bi = (st >> 20) % n;
        for (size_t i = 0; i < n; i++) {
            st ^= st << 13, st ^= st >> 7, st ^= st << 17;
            static const double vals[] = {0, 1, 2, 0.5, 1.5, 0.75, 3, 4.5, 2.25, -1, -0.5, -2};
            a[i] = b[i] = vals[st % (rep % 2 ? 12 : 5)];
        }
        ASSERT_EQ(senti__vader_but_rule(a, n, bi, 0), SENTI_OK);
        ASSERT_EQ(senti__vader_but_rule(b, n, bi, 1), SENTI_OK);
        for (size_t i = 0; i < n; i++)
            if (a[i] != b[i]) TEST_FAIL_("rep %d n %zu bi %zu i %zu: %g != %g", rep, n, bi, i, a[i], b[i]);
    }
}

TEST(vader_small_errors) {
    char err[512], dir[64], path[128];
    senti_model *m = (senti_model *)1;
    /* missing file */
    ASSERT_EQ(senti_model_open("vader:/nonexistent/vader_lexicon.txt", NULL, &m, err, sizeof err),
              SENTI_EIO);
    ASSERT(m == NULL);
    ASSERT(strstr(err, "/nonexistent/vader_lexicon.txt") != NULL);
    /* malformed line, with its number */
    snprintf(dir, sizeof dir, "/tmp/senti_vader_test_%d", (int)getpid());
    mkdir(dir, 0700);
    snprintf(path, sizeof path, "%s/vader_lexicon.txt", dir);
    FILE *f = fopen(path, "w");
    ASSERT(f != NULL);
    fputs("good\t1.9\t0.5\t[]\n\nbad\t-2.5\nugly-line\n", f);
    fclose(f);
    char spec[160];
    snprintf(spec, sizeof spec, "vader:%s", dir);
    int rc = senti_model_open(spec, NULL, &m, err, sizeof err);
    ASSERT_EQ(rc, SENTI_EFORMAT);
    ASSERT(strstr(err, "line 4") != NULL);
    f = fopen(path, "w");
    fputs("good\t1.9x\n", f);
    fclose(f);
    ASSERT_EQ(senti_model_open(spec, NULL, &m, err, sizeof err), SENTI_EFORMAT);
    ASSERT(strstr(err, "line 1") != NULL);
    /* missing emoji lexicon beside a good lexicon */
    f = fopen(path, "w");
    fputs("good\t1.9\t0.5\t[]\n", f);
    fclose(f);
    ASSERT_EQ(senti_model_open(spec, NULL, &m, err, sizeof err), SENTI_EIO);
    ASSERT(strstr(err, "emoji_utf8_lexicon.txt") != NULL);
    /* then a working tiny model: folder path, and the environment variable */
    char epath[128];
    snprintf(epath, sizeof epath, "%s/emoji_utf8_lexicon.txt", dir);
    f = fopen(epath, "w");
    fputs("\xf0\x9f\x98\x80\tgood face\n", f);
    fclose(f);
    ASSERT_EQ(senti_model_open(spec, NULL, &m, err, sizeof err), SENTI_OK);
    senti_result r;
    ASSERT_EQ(senti_predict(m, NULL, "\xf0\x9f\x98\x80", 4, &r), SENTI_OK);
    ASSERT(r.values[3] > 0.4 && r.n_tokens == 2);
    senti_model_free(m);
    setenv("SENTI_VADER_LEXICON", path, 1);
    ASSERT_EQ(senti_model_open("vader:", NULL, &m, err, sizeof err), SENTI_OK);
    senti_model_free(m);
    unsetenv("SENTI_VADER_LEXICON");
    senti_options o;
    memset(&o, 0, sizeof o);
    o.lexicon_dir = dir;
    ASSERT_EQ(senti_model_open("vader:", &o, &m, err, sizeof err), SENTI_OK);
    senti_model_free(m);
    ASSERT_EQ(senti_model_open("vader:", NULL, &m, err, sizeof err), SENTI_EINVAL);
    /* allocation failure anywhere while opening or scoring is reported, never a crash */
    for (long k = 0; k < 400; k++) {
        senti__alloc_fail_after(k);
        rc = senti_model_open(spec, NULL, &m, err, sizeof err);
        senti__alloc_fail_after(-1);
        if (rc == SENTI_OK) {
            senti__alloc_fail_after(k % 3);
            int prc = senti_predict(m, NULL, "good but bad but ok \xf0\x9f\x98\x80", 24, &r);
            senti__alloc_fail_after(-1);
            ASSERT(prc == SENTI_OK || prc == SENTI_ENOMEM);
            senti_model_free(m);
        } else {
            ASSERT_EQ(rc, SENTI_ENOMEM);
            ASSERT(m == NULL);
        }
    }
    unlink(epath);
    unlink(path);
    rmdir(dir);
}

/* Writes text to DIR/NAME (dir of at most 64 bytes). */
static int write_file(const char *dir, const char *name, const char *text) {
    char path[128];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    if (!f) return -1;
    int bad = fputs(text, f) < 0;
    return fclose(f) || bad ? -1 : 0;
}

TEST(vader_small_lexicon_values) {
    /* issue #10: a valence that is not a number of VADER's scale [-4, 4] (nan, inf, 1e308...)
     * made every text containing the word score nan; it is refused at open, with the file
     * and the line */
    static const char *const bad[] = {"nan", "NaN", "inf", "-inf", "Infinity", "1e308",
                                      "-1e308", "4.0001", "-4.5"};
    char dir[64], err[512], spec[80];
    snprintf(dir, sizeof dir, "/tmp/senti_vader_values_%d", (int)getpid());
    mkdir(dir, 0700);
    snprintf(spec, sizeof spec, "vader:%s", dir);
    ASSERT_EQ(write_file(dir, "emoji_utf8_lexicon.txt", "\xf0\x9f\x98\x80\tgood face\n"), 0);
    senti_model *m = NULL;
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        char lex[160];
        snprintf(lex, sizeof lex, "good\t1.9\t0.5\t[]\nfine\t0.8\nodd\t%s\t0.1\t[]\n", bad[i]);
        ASSERT_EQ(write_file(dir, "vader_lexicon.txt", lex), 0);
        err[0] = 0;
        int rc = senti_model_open(spec, NULL, &m, err, sizeof err);
        if (rc != SENTI_EFORMAT || m) {
            if (m) senti_model_free(m);
            TEST_FAIL_("valence '%s': open returned %d, not SENTI_EFORMAT (%s)", bad[i], rc, err);
        }
        if (!strstr(err, "vader_lexicon.txt: line 3"))
            TEST_FAIL_("valence '%s': error '%s' does not name the file and line 3", bad[i], err);
    }
    /* the scale's ends, and a lexicon of ordinary values, still open and score */
    ASSERT_EQ(write_file(dir, "vader_lexicon.txt", "good\t+4\nbad\t-4.0\nmeh\t-0\nok\t 1e-3 \ntiny\t1e-400\n"), 0);
    ASSERT_EQ(senti_model_open(spec, NULL, &m, err, sizeof err), SENTI_OK);
    senti_result r;
    ASSERT_EQ(senti_predict(m, NULL, "good bad ok", 11, &r), SENTI_OK);
    ASSERT(isfinite(r.values[3]));
    ASSERT_EQ(senti_predict(m, NULL, "GOOD!!! good \xf0\x9f\x98\x80", 17, &r), SENTI_OK);
    ASSERT(isfinite(r.values[3]) && r.values[3] > 0.9);
    senti_model_free(m);
    char path[128];
    snprintf(path, sizeof path, "%s/vader_lexicon.txt", dir);
    unlink(path);
    snprintf(path, sizeof path, "%s/emoji_utf8_lexicon.txt", dir);
    unlink(path);
    rmdir(dir);
}

TEST(vader_emoji_marks) {
    /* issue #10: an emoji description's '!' count was added per occurrence into 32 bits, so
     * 2^18 emoji of 16,384 '!' each counted 2^32 = 0 '!' and lost the emphasis ("!" counts
     * at most 4, so the text must score as with a description of 4) */
    char dir[64], err[512], spec[80];
    snprintf(dir, sizeof dir, "/tmp/senti_vader_marks_%d", (int)getpid());
    mkdir(dir, 0700);
    snprintf(spec, sizeof spec, "vader:%s", dir);
    size_t nb = 16384;
    char *emo = malloc(nb + 64);
    ASSERT(emo != NULL);
    memcpy(emo, "\xf0\x9f\x98\x80\t", 5);
    memset(emo + 5, '!', nb);
    strcpy(emo + 5 + nb, "\n\xf0\x9f\x98\x81\t!!!!\n");
    int wrote = write_file(dir, "emoji_utf8_lexicon.txt", emo) == 0 &&
                write_file(dir, "vader_lexicon.txt", "good\t1.9\n") == 0;
    free(emo);
    ASSERT(wrote);
    senti_options o;
    memset(&o, 0, sizeof o);
    o.max_tokens = 1u << 20;
    o.max_text_bytes = 2u << 20;
    senti_model *m;
    ASSERT_EQ(senti_model_open(spec, &o, &m, err, sizeof err), SENTI_OK);
    size_t n = 5 + 4 * ((size_t)1 << 18);
    char *text = malloc(n);
    ASSERT(text != NULL);
    memcpy(text, "good ", 5);
    senti_result r[2];
    int rc[2];
    for (int k = 0; k < 2; k++) {
        const char *e = k ? "\xf0\x9f\x98\x81" : "\xf0\x9f\x98\x80";
        for (size_t i = 5; i < n; i += 4) memcpy(text + i, e, 4);
        rc[k] = senti_predict(m, NULL, text, n, &r[k]);
    }
    free(text);
    senti_model_free(m);
    char path[128];
    snprintf(path, sizeof path, "%s/vader_lexicon.txt", dir);
    unlink(path);
    snprintf(path, sizeof path, "%s/emoji_utf8_lexicon.txt", dir);
    unlink(path);
    rmdir(dir);
    ASSERT_EQ(rc[0], SENTI_OK);
    ASSERT_EQ(rc[1], SENTI_OK);
    ASSERT_EQ(r[0].n_tokens, r[1].n_tokens);
    for (int j = 0; j < 4; j++)
        if (!same_double(r[0].values[j], r[1].values[j]))
            TEST_FAIL_("value %d: %.17g with 16,384 '!' per emoji, %.17g with 4", j,
                       r[0].values[j], r[1].values[j]);
}

TEST(vader_small_bounds) {
    REQUIRE_DATA("vader/vader_lexicon.txt");
    senti_options o;
    memset(&o, 0, sizeof o);
    o.max_tokens = 3;
    senti_model *m;
    ASSERT_EQ(open_vader(&m, &o), SENTI_OK);
    senti_result r;
    ASSERT_EQ(senti_predict(m, NULL, "good good good bad bad bad!!!", 29, &r), SENTI_OK);
    ASSERT_EQ(r.n_tokens, 3);
    ASSERT_EQ(r.truncated, 1);
    senti_result r2;
    ASSERT_EQ(senti_predict(m, NULL, "good good good", 14, &r2), SENTI_OK);
    ASSERT_EQ(r2.truncated, 0);
    ASSERT(same_double(r.values[3], r2.values[3]));
    /* emoji description words count as tokens too */
    ASSERT_EQ(senti_predict(m, NULL, "\xf0\x9f\x98\x80\xf0\x9f\x98\x80", 8, &r), SENTI_OK);
    ASSERT_EQ(r.n_tokens, 3);
    ASSERT_EQ(r.truncated, 1);
    senti_model_free(m);
}

TEST(vader_small_fast_path) {
    REQUIRE_DATA("vader/vader_lexicon.txt");
    /* The ASCII fast path (fast_ascii.c) against the general tokenizer on random texts built
     * to hit every branch: lexicon, booster, negation, idiom and "but" words, case, attached
     * punctuation (stripped or not), "n't", words of 15/16/17+ bytes, several spaces, control
     * characters and whitespace other than ' ' (those texts leave the fast path), "!"/"?",
     * and max_tokens cuts. Every number, the token count and the cut flag must agree. */
    static const char *const words[] = {
        "good", "bad", "great", "terrible", "love", "hate", "not", "no", "never", "so", "this",
        "but", "BUT", "very", "kind", "of", "sort", "least", "at", "the", "shit", "kiss", "death",
        "without", "doubt", "isn't", "don't", "DON'T", "Don't", "nor", "or", "yeah", "right",
        "GOOD", "Good", "BAD!", "good!", "(bad)", "...", ".", ",", "'good'", ":)", ":-(", "<3",
        "extremely", "EXTREMELY", "barely", "kinda", "uh-uh", "n't", "ain't", "can't", "won't",
        "just", "enough", "a", "is", "it", "movie", "film", "?", "!!", "?!", "wow!!!", "12",
        "extraordinarily", "incomprehensibly", "unquestionablyyy", "good-good-good-good!",
        "!!!!!!!!!!!!!!!!!!!!", "NOT", "NEVER", "\x7f", "x\x7fy", "--", "'", "''good''",
        "ab!", "!ab", "a.b", "..good..", "GREAT!!!", "Wonderful", "HORRIBLE", "fun", "sad"};
    static const char *const seps[] = {" ", " ", " ", " ", " ", "  ", "   ", "\t", "\n",
                                       " \r\n ", "\x1c", "\x01", ""};
    senti_model *m, *m5;
    ASSERT_EQ(open_vader(&m, NULL), SENTI_OK);
    senti_options o;
    memset(&o, 0, sizeof o);
    o.max_tokens = 5;
    ASSERT_EQ(open_vader(&m5, &o), SENTI_OK);
    senti_ctx *ctx, *ctx5;
    ASSERT_EQ(senti_ctx_new(m, &ctx), SENTI_OK);
    ASSERT_EQ(senti_ctx_new(m5, &ctx5), SENTI_OK);
    unsigned long long st = 0x9e3779b97f4a7c15ull;
    char text[4096];
    int bad = 0;
    for (int rep = 0; rep < 60000 && bad < 5; rep++) {
        size_t len = 0;
        st ^= st << 13, st ^= st >> 7, st ^= st << 17;
        int nw = (int)(st % 24), sepmax = rep % 3 ? 5 : 13;
        if (st >> 40 & 1) text[len++] = ' ';
        for (int w = 0; w < nw; w++) {
            st ^= st << 13, st ^= st >> 7, st ^= st << 17;
            const char *wd = words[st % (sizeof words / sizeof *words)];
            const char *sp = seps[(st >> 20) % sepmax];
            size_t a = strlen(wd), b = strlen(sp);
            if (len + a + b >= sizeof text) break;
            memcpy(text + len, wd, a);
            len += a;
            if (w + 1 < nw || (st >> 30 & 1)) {
                memcpy(text + len, sp, b);
                len += b;
            }
        }
        text[len] = 0;
        for (int k = 0; k < 2; k++) {
            senti_model *mm = k ? m5 : m;
            senti_result f, g;
            ASSERT_EQ(senti_predict(mm, k ? ctx5 : ctx, text, len, &f), SENTI_OK);
            ASSERT_EQ(senti__vader_predict_general(mm, text, len, &g), SENTI_OK);
            int same = f.n_tokens == g.n_tokens && f.truncated == g.truncated &&
                       f.label == g.label;
            for (int i = 0; i < 4; i++) same = same && same_double(f.values[i], g.values[i]);
            if (!same) {
                bad++;
                fprintf(stderr, "    fast/general differ (max_tokens %s) on \"%s\": %u/%u tokens, "
                        "compound %.17g/%.17g\n", k ? "5" : "default", text, f.n_tokens,
                        g.n_tokens, f.values[3], g.values[3]);
            }
        }
    }
    /* '!' and '?' are counted in 16 byte lanes: 256 or more in one lane must not wrap around
     * (the score caps the counts at 4 and 3, so only a total that wraps to less shows) */
    static const int nbs[] = {127, 128, 129, 255, 256, 257, 258, 259, 383, 384, 385, 512, 513};
    for (size_t c = 0; c < 2 * sizeof nbs / sizeof *nbs; c++) {
        int nb = nbs[c / 2];
        char *big = malloc((size_t)nb * 16 + 1);
        memset(big, ' ', (size_t)nb * 16);
        for (int k = 0; k < nb; k++) big[k * 16] = c % 2 ? '?' : '!';
        memcpy(big + 1, "good", 4);
        big[nb * 16] = 0;
        senti_result f, g;
        ASSERT_EQ(senti_predict(m, ctx, big, (size_t)nb * 16, &f), SENTI_OK);
        ASSERT_EQ(senti__vader_predict_general(m, big, (size_t)nb * 16, &g), SENTI_OK);
        for (int i = 0; i < 4; i++)
            if (!same_double(f.values[i], g.values[i])) bad++;
        free(big);
    }
    ASSERT_EQ(bad, 0);
    senti_ctx_free(ctx);
    senti_ctx_free(ctx5);
    senti_model_free(m);
    senti_model_free(m5);
}

/* ---- adversarial inputs ------------------------------------------------------------------ */

static char *repeat(const char *unit, size_t total, size_t *len) {
    size_t u = strlen(unit), n = total / u;
    char *s = malloc(n * u + 1);
    for (size_t i = 0; i < n; i++) memcpy(s + i * u, unit, u);
    s[n * u] = 0;
    *len = n * u;
    return s;
}

/* Each input is scored twice: with the default max_tokens (65,536; long inputs are cut) and
 * with max_tokens raised to 1M, so that every token of the 1 MB is scored. */
static void adversarial(int *test_failed_, uint32_t max_tokens) {
    senti_options o;
    memset(&o, 0, sizeof o);
    o.max_tokens = max_tokens;
    senti_model *m;
    ASSERT_EQ(open_vader(&m, &o), SENTI_OK);
    senti_ctx *ctx;
    ASSERT_EQ(senti_ctx_new(m, &ctx), SENTI_OK);
    fprintf(stderr, "    max_tokens %u\n", max_tokens ? max_tokens : SENTI_DEFAULT_MAX_TOKENS);
    static const struct { const char *name, *unit; } cases[] = {
        {"one long word", "a"},
        {"one long word, caps+punct", "GOOD!"},
        {"100k+ emoji", "\xf0\x9f\x98\x80"},
        {"emoji glued to words", "\xf0\x9f\x98\x80x"},
        {"negation x100k", "not good "},
        {"but x100k", "but "},
        {"good but x100k", "good but "},
        {"distinct values + but", "good but great very bad "},
        {"! x1M", "!"},
        {"! words", "good! "},
        {"idiom x100k", "kiss of death "},
        {"idioms mixed", "the shit to die for yeah right kind of good "},
        {"never so good", "never so good "},
        {"greek sigma", "\xce\xa3\xce\xa3\xce\xa3\xce\xa3 "},
        {"invalid utf-8", "\xff\xfe\xe2\x82"},
    };
    int slow = 0;
    for (size_t c = 0; c < sizeof cases / sizeof *cases; c++) {
        size_t len;
        char *s = repeat(cases[c].unit, 1u << 20, &len);
        senti_result r;
        double t0 = senti__now_s();
        int rc = senti_predict(m, ctx, s, len, &r);
        double t1 = senti__now_s();
        senti_result r2; /* and with no context: same numbers */
        int rc2 = senti_predict(m, NULL, s, len, &r2);
        fprintf(stderr, "      %-28s %8zu bytes %7u tokens%s  %7.2f ms  compound %g\n",
                cases[c].name, len, r.n_tokens, r.truncated ? " (cut)" : "      ",
                (t1 - t0) * 1e3, r.values[3]);
        free(s);
        ASSERT_EQ(rc, SENTI_OK);
        ASSERT_EQ(rc2, SENTI_OK);
        ASSERT(same_double(r.values[3], r2.values[3]));
        if (t1 - t0 > 2.0) slow = 1;
    }
    senti_ctx_free(ctx);
    senti_model_free(m);
    ASSERT(!slow);
}

TEST(vader_adversarial) {
    REQUIRE_DATA("vader/vader_lexicon.txt");
    adversarial(test_failed_, 0);
    if (*test_failed_) return;
    adversarial(test_failed_, 1u << 20);
}
