/* libFuzzer target: the record layer (src/io/records.c) on any bytes.
 *
 * Input: byte 0 picks the format (lines, tsv, csv, jsonl), byte 1 the chunk target and read
 * step; the rest is the data, copied into a buffer of exactly its size (as a mapping ends at
 * the file's end) so that ASan sees any read past it. Checked, besides memory safety:
 *   - scanning the whole buffer consumes it in records that each advance, lie inside what
 *     they consume, and whose line counts add up to the newlines consumed;
 *   - cutting the input the way `senti batch` does for a pipe (senti__chunk_end on a prefix
 *     that is not final, reading more when no record is complete) gives the same records as
 *     scanning the whole: chunk boundaries are record boundaries;
 *   - every record's fields parse or fail cleanly (TSV, CSV, JSONL);
 *   - CSV output (senti__csv_quote) of the parsed fields is one record that parses back to
 *     the same fields; JSON output (senti__json_escape) is a JSON string; TSV output has no
 *     tab, CR or LF; senti__fmt_num never writes more than 32 bytes. */
#include <stdlib.h>
#include <string.h>

#include "core/core.h"
#include "tools/records.h"

#define CHECK(c) \
    do { if (!(c)) abort(); } while (0)

typedef struct recs {
    size_t *start, *used;
    size_t n;
} recs;

/* Every record of buf[0..len) scanned as the final input; their line counts in *lines. */
static recs scan_all(senti__fmt fmt, const char *buf, size_t len, size_t *lines) {
    recs R = {malloc((len + 1) * sizeof(size_t)), malloc((len + 1) * sizeof(size_t)), 0};
    CHECK(R.start && R.used);
    size_t pos = 0, nl = 0;
    while (pos < len) {
        senti__rec r;
        size_t used = senti__record_scan(fmt, buf + pos, len - pos, 1, &r);
        CHECK(used > 0 && used <= len - pos);
        CHECK(r.ptr == buf + pos && r.len <= used);
        CHECK(r.lines == senti__count_newlines(buf + pos, used));
        R.start[R.n] = pos;
        R.used[R.n] = used;
        R.n++;
        nl += r.lines;
        pos += used;
    }
    *lines = nl;
    return R;
}

static void check_fields(senti__fmt fmt, senti__csv *csv, const senti__rec *r, senti__csv *csv2) {
    char err[256];
    if (fmt == SENTI__FMT_TSV) {
        senti__field f[8];
        size_t n = senti__tsv_split(r->ptr, r->len, f, 8);
        size_t tabs = 0;
        for (size_t i = 0; i < r->len; i++) tabs += r->ptr[i] == '\t';
        CHECK(n == tabs + 1);
        for (size_t i = 0; i < n && i < 8; i++) CHECK(f[i].ptr >= r->ptr && f[i].ptr + f[i].len <= r->ptr + r->len);
    } else if (fmt == SENTI__FMT_CSV && !r->bad_quote) {
        long n = senti__csv_parse(csv, r->ptr, r->len, err, sizeof err);
        CHECK(n != 0);
        if (n < 0) return;
        /* render the fields as one CSV record, then read it back */
        size_t total = 0;
        for (long i = 0; i < n; i++) total += SENTI__CSV_QUOTE_MAX(csv->fields[i].len) + 1;
        char *out = malloc(total + 1);
        CHECK(out);
        size_t len = 0;
        for (long i = 0; i < n; i++) {
            if (i) out[len++] = ',';
            len += senti__csv_quote(out + len, csv->fields[i].ptr, csv->fields[i].len);
        }
        senti__rec back;
        CHECK(senti__record_scan(SENTI__FMT_CSV, out, len, 1, &back) == len || len == 0);
        CHECK(len == 0 || (!back.bad_quote && back.len == len));
        long m = senti__csv_parse(csv2, out, len, err, sizeof err);
        CHECK(m == n);
        for (long i = 0; i < n; i++)
            CHECK(csv2->fields[i].len == csv->fields[i].len &&
                  memcmp(csv2->fields[i].ptr, csv->fields[i].ptr, csv->fields[i].len) == 0);
        free(out);
    } else if (fmt == SENTI__FMT_JSONL) {
        json_t *o = senti__jsonl_parse(r->ptr, r->len, err, sizeof err);
        if (o) {
            const char *s;
            size_t n;
            senti__jsonl_text(o, NULL, &s, &n, err, sizeof err);
            json_decref(o);
        }
    }
}

static void check_output(const char *s, size_t n) {
    char *j = malloc(SENTI__JSON_ESCAPE_MAX(n));
    char *t = malloc(n + 1);
    CHECK(j && t);
    size_t jn = senti__json_escape(j, s, n);
    CHECK(jn <= SENTI__JSON_ESCAPE_MAX(n));
    json_error_t je;
    json_t *v = json_loadb(j, jn, JSON_DECODE_ANY | JSON_ALLOW_NUL, &je);
    CHECK(v && json_is_string(v));
    json_decref(v);
    size_t tn = senti__tsv_clean(t, s, n);
    CHECK(tn == n && !memchr(t, '\t', tn) && !memchr(t, '\n', tn) && !memchr(t, '\r', tn));
    free(j);
    free(t);
    if (n >= 8) {
        double d;
        memcpy(&d, s, sizeof d);
        char num[64];
        memset(num, 0, sizeof num);
        CHECK(senti__fmt_num(num, d) <= 32);
    }
}

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size);
int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size) {
    if (size < 2) return 0;
    static const senti__fmt fmts[] = {SENTI__FMT_LINES, SENTI__FMT_TSV, SENTI__FMT_CSV,
                                      SENTI__FMT_JSONL};
    senti__fmt fmt = fmts[data[0] & 3];
    size_t target = 1 + (data[1] & 15) * 7;  /* chunk target */
    size_t step = 1 + (data[1] >> 4) * 5;    /* bytes that arrive per read */
    size_t len = size - 2;
    char *buf = calloc(1, len ? len : 1); /* exactly len bytes: ASan sees reads past the end */
    CHECK(buf);
    if (len) memcpy(buf, data + 2, len);

    size_t lines;
    recs all = scan_all(fmt, buf, len, &lines);
    CHECK(lines == senti__count_newlines(buf, len));

    /* mapped: chunks cut from the final input */
    size_t pos = 0, k = 0;
    while (pos < len) {
        size_t n = senti__chunk_end(fmt, buf + pos, len - pos, target, 1);
        CHECK(n > 0 && n <= len - pos);
        while (k < all.n && all.start[k] < pos + n) k++;
        CHECK(k == all.n ? pos + n == len : all.start[k] == pos + n);
        pos += n;
    }
    /* a pipe: the bytes arrive step at a time; a chunk is cut when a record is complete */
    pos = 0;
    k = 0;
    size_t have = step < len ? step : len;
    while (pos < len) {
        int final = have == len;
        size_t n = senti__chunk_end(fmt, buf + pos, have - pos, target, final);
        if (n == 0) {
            CHECK(!final);
            have = have + step < len ? have + step : len;
            continue;
        }
        CHECK(n <= have - pos);
        /* the chunk, scanned alone as the worker does, gives the records of the whole scan */
        size_t cpos = 0;
        while (cpos < n) {
            senti__rec r;
            size_t used = senti__record_scan(fmt, buf + pos + cpos, n - cpos, 1, &r);
            CHECK(k < all.n && all.start[k] == pos + cpos && all.used[k] == used);
            k++;
            cpos += used;
        }
        pos += n;
        if (have < pos) have = pos;
    }
    CHECK(k == all.n);

    senti__csv csv, csv2;
    CHECK(senti__csv_init(&csv) == SENTI_OK && senti__csv_init(&csv2) == SENTI_OK);
    for (size_t i = 0; i < all.n; i++) {
        senti__rec r;
        senti__record_scan(fmt, buf + all.start[i], len - all.start[i], 1, &r);
        check_fields(fmt, &csv, &r, &csv2);
    }
    senti__csv_free(&csv);
    senti__csv_free(&csv2);
    check_output(buf, len);
    senti__fmt_sniff(buf, len, 1);
    free(all.start);
    free(all.used);
    free(buf);
    return 0;
}
