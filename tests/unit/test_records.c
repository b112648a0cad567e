/* Record formats (src/tools/records.c) and the labeled-data loader (src/tools/dataset.c). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../harness.h"
#include "core/core.h"
#include "tools/dataset.h"
#include "tools/records.h"

/* Split buf into records; writes "rec|rec|..." (with bad-quote records marked !) into out. */
static size_t scan_all(senti__fmt fmt, const char *buf, size_t len, char *out, size_t *lines) {
    size_t pos = 0, n = 0, nl = 0;
    out[0] = '\0';
    while (pos < len) {
        senti__rec r;
        size_t used = senti__record_scan(fmt, buf + pos, len - pos, 1, &r);
        if (!used) break;
        if (n) strcat(out, "|");
        if (r.bad_quote) strcat(out, "!");
        strncat(out, r.ptr, r.len);
        nl += r.lines;
        pos += used;
        n++;
    }
    if (lines) *lines = nl;
    return n;
}

TEST(records_lines_boundaries) {
    char out[256];
    size_t lines;
    ASSERT_EQ(scan_all(SENTI__FMT_LINES, "a\nb\n", 4, out, &lines), 2);
    ASSERT_STR(out, "a|b");
    ASSERT_EQ(lines, 2);
    /* last record without a newline, CRLF, empty lines */
    const char *s = "a\r\n\r\n\nlast";
    ASSERT_EQ(scan_all(SENTI__FMT_LINES, s, strlen(s), out, &lines), 4);
    ASSERT_STR(out, "a|||last");
    ASSERT_EQ(lines, 3);
    /* a lone trailing CR at the end of input is a terminator remnant, not data */
    ASSERT_EQ(scan_all(SENTI__FMT_LINES, "x\r", 2, out, NULL), 1);
    ASSERT_STR(out, "x");
    /* not final and no newline: need more */
    senti__rec r;
    ASSERT_EQ(senti__record_scan(SENTI__FMT_TSV, "abc", 3, 0, &r), 0);
    ASSERT_EQ(senti__record_scan(SENTI__FMT_TSV, "abc", 3, 1, &r), 3);
    ASSERT_EQ(r.lines, 0);
}

TEST(records_csv_boundaries) {
    char out[256];
    size_t lines;
    /* quoted newline, escaped quotes, CRLF inside and outside quotes */
    const char *s = "id,text\r\n1,\"two\r\nlines\"\r\n2,\"say \"\"hi\"\"\"\n3,plain";
    ASSERT_EQ(scan_all(SENTI__FMT_CSV, s, strlen(s), out, &lines), 4);
    ASSERT_STR(out, "id,text|1,\"two\r\nlines\"|2,\"say \"\"hi\"\"\"|3,plain");
    ASSERT_EQ(lines, 4);
    /* a stray quote inside an unquoted field does not open a quote */
    s = "1,ab\"c\n2,d\n";
    ASSERT_EQ(scan_all(SENTI__FMT_CSV, s, strlen(s), out, NULL), 2);
    ASSERT_STR(out, "1,ab\"c|2,d");
    /* an unterminated quote costs one line, not the rest of the file */
    s = "1,\"open\n2,b\n3,c\n";
    ASSERT_EQ(scan_all(SENTI__FMT_CSV, s, strlen(s), out, NULL), 3);
    ASSERT_STR(out, "!1,\"open|2,b|3,c");
    /* ... nor a quote that a later line's opening quote seems to close */
    s = "1,\"open\n2,\"x\"\n3,\"two\nlines\"\n";
    ASSERT_EQ(scan_all(SENTI__FMT_CSV, s, strlen(s), out, &lines), 3);
    ASSERT_STR(out, "!1,\"open|2,\"x\"|3,\"two\nlines\"");
    ASSERT_EQ(lines, 4);
    /* streaming: a quote still open at the end of the buffer means "read more" */
    senti__rec r;
    ASSERT_EQ(senti__record_scan(SENTI__FMT_CSV, "1,\"ab\ncd", 8, 0, &r), 0);
    ASSERT_EQ(senti__record_scan(SENTI__FMT_CSV, "1,\"ab\"", 6, 0, &r), 0); /* maybe "" */
    ASSERT_EQ(senti__record_scan(SENTI__FMT_CSV, "1,\"ab\"\n", 7, 0, &r), 7);
    ASSERT_EQ(r.len, 6);
}

TEST(records_chunk_end) {
    const char *s = "aaaa\nbbbb\ncccc\ndddd";
    size_t n = strlen(s);
    ASSERT_EQ(senti__chunk_end(SENTI__FMT_LINES, s, n, 7, 1), 10); /* first boundary >= 7 */
    ASSERT_EQ(senti__chunk_end(SENTI__FMT_LINES, s, n, 5, 1), 5);
    ASSERT_EQ(senti__chunk_end(SENTI__FMT_LINES, s, n, 100, 1), n);
    ASSERT_EQ(senti__chunk_end(SENTI__FMT_LINES, s, n, 100, 0), 15); /* last complete record */
    ASSERT_EQ(senti__chunk_end(SENTI__FMT_LINES, s, n, 17, 0), 15);
    ASSERT_EQ(senti__chunk_end(SENTI__FMT_LINES, "abc", 3, 1, 0), 0);
    const char *c = "a,\"x\ny\"\nb,c\nd,e\n";
    ASSERT_EQ(senti__chunk_end(SENTI__FMT_CSV, c, strlen(c), 3, 1), 8); /* not inside quotes */
    ASSERT_EQ(senti__chunk_end(SENTI__FMT_CSV, c, strlen(c), 9, 1), 12);
}

TEST(records_tsv_fields) {
    senti__field f[4];
    ASSERT_EQ(senti__tsv_split("a\tbb\t\tc", 7, f, 4), 4);
    ASSERT_EQ(f[1].len, 2);
    ASSERT_EQ(f[2].len, 0);
    ASSERT_EQ(f[3].ptr[0], 'c');
    ASSERT_EQ(senti__tsv_split("", 0, f, 4), 1);
    ASSERT_EQ(f[0].len, 0);
    ASSERT_EQ(senti__tsv_split("1\t2\t3\t4\t5\t6", 11, f, 4), 6); /* counts past cap */
}

TEST(records_csv_fields) {
    senti__csv c;
    char err[256];
    ASSERT_EQ(senti__csv_init(&c), SENTI_OK);
    const char *s = "1, spaced ,\"q,\"\"x\"\"\r\ny\",";
    ASSERT_EQ(senti__csv_parse(&c, s, strlen(s), err, sizeof err), 4);
    ASSERT_STR(c.fields[1].ptr, " spaced "); /* spaces are data */
    ASSERT_STR(c.fields[2].ptr, "q,\"x\"\r\ny");
    ASSERT_EQ(c.fields[3].len, 0);
    /* malformed, then the parser recovers for the next record */
    ASSERT_EQ(senti__csv_parse(&c, "a,b\"c", 5, err, sizeof err), SENTI_EDATA);
    ASSERT(strstr(err, "quote inside an unquoted field"));
    ASSERT_EQ(senti__csv_parse(&c, "\"ab\"x,1", 7, err, sizeof err), SENTI_EDATA);
    ASSERT(strstr(err, "after a closing quote"));
    ASSERT_EQ(senti__csv_parse(&c, "\"open", 5, err, sizeof err), SENTI_EDATA);
    ASSERT(strstr(err, "not closed"));
    ASSERT_EQ(senti__csv_parse(&c, "x,\"y\"", 5, err, sizeof err), 2);
    ASSERT_STR(c.fields[1].ptr, "y");
    ASSERT_EQ(senti__csv_parse(&c, "", 0, err, sizeof err), 1);
    /* a NUL byte inside a field is kept (lengths, not strlen) */
    ASSERT_EQ(senti__csv_parse(&c, "a\0b,c", 5, err, sizeof err), 2);
    ASSERT_EQ(c.fields[0].len, 3);
    senti__csv_free(&c);
}

TEST(records_jsonl_fields) {
    char err[256];
    const char *s = "{\"id\":1,\"review\":\"good \\u0000 film\"}";
    json_t *o = senti__jsonl_parse(s, strlen(s), err, sizeof err);
    ASSERT(o);
    const char *t;
    size_t n;
    ASSERT_EQ(senti__jsonl_text(o, NULL, &t, &n, err, sizeof err), 0); /* default keys */
    ASSERT_EQ(n, 11);
    ASSERT_EQ(t[5], '\0');
    ASSERT_EQ(senti__jsonl_text(o, "id", &t, &n, err, sizeof err), -1);
    ASSERT(strstr(err, "not a string"));
    ASSERT_EQ(senti__jsonl_text(o, "body", &t, &n, err, sizeof err), -1);
    json_decref(o);
    ASSERT(!senti__jsonl_parse("[1,2]", 5, err, sizeof err));
    ASSERT(strstr(err, "not a JSON object"));
    ASSERT(!senti__jsonl_parse("{\"a\":", 5, err, sizeof err));
    ASSERT(strstr(err, "invalid JSON at column"));
    ASSERT(!senti__jsonl_parse("  ", 2, err, sizeof err));
    ASSERT(strstr(err, "empty line"));
    /* a member given twice: which one is the text would be a guess */
    const char *dup = "{\"text\":\"awful\",\"text\":\"great\"}";
    ASSERT(!senti__jsonl_parse(dup, strlen(dup), err, sizeof err));
    ASSERT(strstr(err, "a member given twice"));
}

TEST(records_foreign_bom) {
    ASSERT_STR(senti__bom_foreign("\xFF\xFEg\0", 4), "UTF-16LE");
    ASSERT_STR(senti__bom_foreign("\xFE\xFF\0g", 4), "UTF-16BE");
    ASSERT_STR(senti__bom_foreign("\xFF\xFE\0\0", 4), "UTF-32LE");
    ASSERT_STR(senti__bom_foreign("\0\0\xFE\xFF", 4), "UTF-32BE");
    ASSERT(!senti__bom_foreign("\xEF\xBB\xBFgood", 7)); /* UTF-8's: skipped, not refused */
    ASSERT(!senti__bom_foreign("good", 4));
    ASSERT(!senti__bom_foreign("\xFF", 1));
    ASSERT(!senti__bom_foreign("\xFF\xFE bad \xC3\n", 9)); /* invalid UTF-8, no NUL: text */
    ASSERT(!senti__bom_foreign("", 0));
}

TEST(records_formats_and_columns) {
    senti__fmt f;
    ASSERT_EQ(senti__fmt_from_path("x/data.TSV"), SENTI__FMT_TSV);
    ASSERT_EQ(senti__fmt_from_path("a.ndjson"), SENTI__FMT_JSONL);
    ASSERT_EQ(senti__fmt_from_path("a.csv"), SENTI__FMT_CSV);
    ASSERT_EQ(senti__fmt_from_path("a.txt"), SENTI__FMT_AUTO);
    ASSERT_EQ(senti__fmt_from_path("dir.v2/file"), SENTI__FMT_AUTO);
    ASSERT_EQ(senti__fmt_sniff("\xEF\xBB\xBF\n {\"a\":1}", 12, 0), SENTI__FMT_JSONL);
    ASSERT_EQ(senti__fmt_sniff("label\ttext\n", 11, 0), SENTI__FMT_TSV);
    ASSERT_EQ(senti__fmt_sniff("hello, world\n", 13, 0), SENTI__FMT_LINES);
    ASSERT_EQ(senti__fmt_sniff("hello, world\n", 13, 1), SENTI__FMT_CSV);
    ASSERT_EQ(senti__fmt_parse("NDJSON", &f), 0);
    ASSERT_EQ(f, SENTI__FMT_JSONL);
    ASSERT_EQ(senti__fmt_parse("xml", &f), -1);
    senti__field h[3] = {{"id", 2}, {"Label", 5}, {"Review", 6}};
    ASSERT_EQ(senti__column_find(h, 3, "label"), 1);
    ASSERT_EQ(senti__column_find(h, 3, "3"), 2);
    ASSERT_EQ(senti__column_find(h, 3, "4"), -1);
    ASSERT_EQ(senti__column_find(h, 3, "0"), -1);
    ASSERT_EQ(senti__column_find(NULL, 0, "7"), 6);
    ASSERT_EQ(senti__column_find(NULL, 0, "text"), -1);
    ASSERT_EQ(senti__column_default_text(h, 3), 2);
}

TEST(records_output_escaping) {
    char out[128];
    size_t n = senti__json_escape(out, "a\"\\\n\x01\xff\xe2\x82\xac", 9);
    ASSERT_EQ(n, strlen("\"a\\\"\\\\\\n\\u0001\xEF\xBF\xBD\xe2\x82\xac\""));
    ASSERT(memcmp(out, "\"a\\\"\\\\\\n\\u0001\xEF\xBF\xBD\xe2\x82\xac\"", n) == 0);
    n = senti__json_escape(out, "\xed\xa0\x80", 3); /* a surrogate: 3 invalid bytes */
    ASSERT_EQ(n, 11);
    n = senti__csv_quote(out, "plain", 5);
    ASSERT_EQ(n, 5);
    n = senti__csv_quote(out, "a,\"b\"", 5);
    out[n] = '\0';
    ASSERT_STR(out, "\"a,\"\"b\"\"\"");
    n = senti__tsv_clean(out, "a\tb\nc", 5);
    out[n] = '\0';
    ASSERT_STR(out, "a b c");
    char num[40];
    num[senti__fmt_num(num, 0.97314)] = '\0';
    ASSERT_STR(num, "0.9731");
    num[senti__fmt_num(num, 0.5)] = '\0';
    ASSERT_STR(num, "0.5");
    num[senti__fmt_num(num, 1.0)] = '\0';
    ASSERT_STR(num, "1.0");
    num[senti__fmt_num(num, -0.49386)] = '\0';
    ASSERT_STR(num, "-0.4939");
    num[senti__fmt_num(num, 0.00001)] = '\0';
    ASSERT_STR(num, "0.0");
    /* large values: v * 10000 must not overflow a long long (9.2e18) on the fixed-point path */
    num[senti__fmt_num(num, 9.5e14)] = '\0';
    ASSERT_STR(num, "950000000000000");
    num[senti__fmt_num(num, -9.5e14)] = '\0';
    ASSERT_STR(num, "-950000000000000");
    num[senti__fmt_num(num, 123456789012.25)] = '\0';
    ASSERT_STR(num, "123456789012.25");
    /* the same text as senti_result_json's numbers */
    char ref[40];
    for (double v = 0; v <= 1.0; v += 0.0123) {
        senti__fmt_rounded(ref, sizeof ref, v, 4);
        num[senti__fmt_num(num, v)] = '\0';
        ASSERT_STR(num, ref);
    }
}

/* ---- the dataset loader ------------------------------------------------------------------ */

static const char *tmp_file(const char *name, const char *content, size_t len) {
    static char path[4][256];
    static int k;
    char *p = path[k++ & 3];
    snprintf(p, 256, "/tmp/senti_test_%d_%s", (int)getpid(), name);
    FILE *f = fopen(p, "wb");
    if (!f) return NULL;
    fwrite(content, 1, len, f);
    fclose(f);
    return p;
}

static int load(const char *rel, const senti__dataset_opts *o, senti__dataset *ds) {
    char path[512], err[512];
    snprintf(path, sizeof path, "%s/%s", test_data_dir(), rel);
    int rc = senti__dataset_load(path, o, ds, err, sizeof err);
    if (rc) fprintf(stderr, "    %s\n", err);
    return rc;
}

TEST(dataset_shared_files) {
    REQUIRE_DATA("sst2/train.tsv");
    senti__dataset ds;
    ASSERT_EQ(load("sst2/train.tsv", NULL, &ds), SENTI_OK); /* CRLF file */
    ASSERT_EQ(ds.n, 67349);
    ASSERT_EQ(ds.n_bad, 0);
    ASSERT_STR(ds.texts[0], "hide new secretions from the parental units");
    ASSERT_EQ(ds.lens[0], strlen(ds.texts[0]));
    ASSERT_STR(ds.labels[0], "0");
    ASSERT_EQ(ds.ratings[0], 0.0);
    ASSERT_EQ(ds.lines[0], 2);
    ASSERT_EQ(ds.lines[ds.n - 1], 67350);
    senti__dataset_free(&ds);

    ASSERT_EQ(load("sst2/dev.tsv", NULL, &ds), SENTI_OK);
    ASSERT_EQ(ds.n, 872);
    senti__dataset_free(&ds);

    ASSERT_EQ(load("semeval2017/train.tsv", NULL, &ds), SENTI_OK);
    ASSERT_EQ(ds.n, 50334);
    ASSERT_EQ(ds.n_bad, 0);
    ASSERT_STR(ds.labels[0], "positive");
    ASSERT(isnan(ds.ratings[0]));
    senti__dataset_free(&ds);

    ASSERT_EQ(load("imdb/train.tsv", NULL, &ds), SENTI_OK);
    ASSERT_EQ(ds.n, 25000);
    ASSERT_EQ(ds.n_bad, 0);
    senti__dataset_free(&ds);

    senti__dataset_opts o = {.text_col = "3", .label_col = "2", .no_header = 1};
    ASSERT_EQ(load("icwsm/tweets_GroundTruth.txt", &o, &ds), SENTI_OK);
    ASSERT_EQ(ds.n, 4200);
    ASSERT_EQ(ds.n_bad, 0);
    ASSERT_NEAR(ds.ratings[0], 2.726315789, 1e-12);
    ASSERT(strncmp(ds.texts[0], "Somehow I was blessed", 21) == 0);
    senti__dataset_free(&ds);

    ASSERT_EQ(load("icwsm/amazonReviewSnippets_GroundTruth.txt", &o, &ds), SENTI_OK);
    ASSERT_EQ(ds.n, 3708);
    ASSERT_NEAR(ds.ratings[0], -0.9, 1e-12);
    senti__dataset_free(&ds);
}

TEST(dataset_csv_jsonl_and_errors) {
    senti__dataset ds;
    char err[512];
    /* CSV with quotes, an embedded newline, a malformed record, a short record, BOM, CRLF */
    const char csv[] = "\xEF\xBB\xBFid,Review,label\r\n"
                       "1,\"great, \"\"really\"\"\nfilm\",pos\r\n"
                       "2,bad\"quote,neg\r\n"
                       "3,short\r\n"
                       "4,,neg\r\n"
                       "5,fine,\r\n"
                       "6,last one,1";
    const char *p = tmp_file("d.csv", csv, sizeof csv - 1);
    ASSERT_EQ(senti__dataset_load(p, NULL, &ds, err, sizeof err), SENTI_OK);
    ASSERT_EQ(ds.n, 3);
    ASSERT_STR(ds.texts[0], "great, \"really\"\nfilm");
    ASSERT_STR(ds.labels[0], "pos");
    ASSERT_EQ(ds.lines[1], 6);
    ASSERT_EQ(ds.lens[1], 0);
    ASSERT_EQ(ds.lines[2], 8);
    ASSERT_EQ(ds.ratings[2], 1.0);
    ASSERT_EQ(ds.n_bad, 3);
    ASSERT_EQ(ds.n_errors, 3);
    ASSERT(strstr(ds.errors[0], ":4: malformed CSV"));
    ASSERT(strstr(ds.errors[1], ":5: 2 fields, the header has 3"));
    ASSERT(strstr(ds.errors[2], ":7: empty label"));
    senti__dataset_free(&ds);
    unlink(p);

    /* JSONL: numeric and string labels, \u0000 in a text, bad lines */
    const char js[] = "{\"text\":\"a\\u0000b\",\"label\":1}\n"
                      "{\"sentence\":\"ok\",\"label\":\"neutral\"}\n"
                      "not json\n"
                      "\n"
                      "{\"text\":\"x\"}\n"
                      "{\"text\":\"y\",\"label\":0.25}\n";
    p = tmp_file("d.jsonl", js, sizeof js - 1);
    ASSERT_EQ(senti__dataset_load(p, NULL, &ds, err, sizeof err), SENTI_OK);
    ASSERT_EQ(ds.n, 3);
    ASSERT_EQ(ds.lens[0], 3);
    ASSERT_STR(ds.labels[0], "1");
    ASSERT_STR(ds.labels[1], "neutral");
    ASSERT_STR(ds.labels[2], "0.25");
    ASSERT_EQ(ds.n_bad, 3);
    ASSERT(strstr(ds.errors[0], ":3: invalid JSON"));
    ASSERT(strstr(ds.errors[1], ":4: empty line"));
    ASSERT(strstr(ds.errors[2], ":5: no \"label\" member"));
    senti__dataset_free(&ds);
    /* named columns */
    senti__dataset_opts o = {.text_col = "sentence", .label_col = "label", .format = "jsonl"};
    ASSERT_EQ(senti__dataset_load(p, &o, &ds, err, sizeof err), SENTI_OK);
    ASSERT_EQ(ds.n, 1);
    senti__dataset_free(&ds);
    unlink(p);

    /* failures: missing column, unknown format, missing file, empty file */
    const char tsv[] = "label\tbody\n1\tx\n";
    p = tmp_file("d.tsv", tsv, sizeof tsv - 1);
    ASSERT_EQ(senti__dataset_load(p, NULL, &ds, err, sizeof err), SENTI_EDATA);
    ASSERT(strstr(err, "no text column"));
    ASSERT(strstr(err, "columns: label, body"));
    o = (senti__dataset_opts){.text_col = "body"};
    ASSERT_EQ(senti__dataset_load(p, &o, &ds, err, sizeof err), SENTI_OK);
    ASSERT_EQ(ds.n, 1);
    senti__dataset_free(&ds);
    o = (senti__dataset_opts){.text_col = "2", .label_col = "1"};
    ASSERT_EQ(senti__dataset_load(p, &o, &ds, err, sizeof err), SENTI_OK);
    ASSERT_EQ(ds.n, 1);
    senti__dataset_free(&ds);
    o = (senti__dataset_opts){.format = "xml"};
    ASSERT_EQ(senti__dataset_load(p, &o, &ds, err, sizeof err), SENTI_EINVAL);
    unlink(p);
    ASSERT_EQ(senti__dataset_load("/nonexistent/x.tsv", NULL, &ds, err, sizeof err), SENTI_EIO);
    ASSERT(strstr(err, "/nonexistent/x.tsv"));
    p = tmp_file("empty.tsv", "", 0);
    ASSERT_EQ(senti__dataset_load(p, NULL, &ds, err, sizeof err), SENTI_EDATA);
    ASSERT_EQ(ds.n, 0);
    unlink(p);
}

TEST(dataset_out_of_memory) {
    /* TSV, and CSV (whose header and records go through the CSV parser's allocations) */
    static const struct { const char *name, *data; } files[] = {
        {"oom.tsv", "label\ttext\n1\tgood\n0\tbad\n1\tfine\n"},
        {"oom.csv", "label,\"text\"\n1,good\n0,\"bad, \"\"really\"\"\"\n1,fine\n"},
    };
    for (size_t f = 0; f < sizeof files / sizeof files[0]; f++) {
        const char *p = tmp_file(files[f].name, files[f].data, strlen(files[f].data));
        char err[256];
        int ok = 0;
        for (long k = 0; k < 200 && !ok; k++) {
            senti__dataset ds;
            senti__alloc_fail_after(k);
            int rc = senti__dataset_load(p, NULL, &ds, err, sizeof err);
            senti__alloc_fail_after(-1);
            if (rc == SENTI_OK) {
                ASSERT_EQ(ds.n, 3);
                senti__dataset_free(&ds);
                ok = 1;
            } else {
                if (rc != SENTI_ENOMEM) fprintf(stderr, "    %s: %s\n", files[f].name, err);
                ASSERT_EQ(rc, SENTI_ENOMEM);
            }
        }
        ASSERT(ok);
        unlink(p);
    }
}

TEST(dataset_size_zero_regular_file) {
    /* /proc files are regular files of size 0 that have content: read them, do not call them
     * empty (/proc/self/status is "Name:\tsenti..." lines: TSV without the needed columns) */
    senti__dataset ds;
    char err[512];
    if (access("/proc/self/status", R_OK) != 0) return;
    ASSERT_EQ(senti__dataset_load("/proc/self/status", NULL, &ds, err, sizeof err), SENTI_EDATA);
    ASSERT(!strstr(err, "empty file"));
    ASSERT(strstr(err, "no text column"));
}
