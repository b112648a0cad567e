/* common.c - helpers shared by the subcommands of senti: JSON strings, numbers, labels of
 * labeled data, file digests (what senti-serve shares with senti is in src/tools/progs.c). */
#include <errno.h>
#include <math.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>
#include <xxhash.h>

#include "cli/cli.h"
#include "core/core.h"
#include "tools/records.h"

/* Escaped with the one JSON escaper (senti__json_escape, src/base/text.c), a piece at a time through a
 * buffer on the stack, so the output is written in large runs. Pieces end on UTF-8 character
 * boundaries, so a character is never split (and so never mistaken for invalid). */
void cli_json_string(FILE *f, const char *s, size_t n) {
    enum { PIECE = 4096 };
    char out[SENTI__JSON_ESCAPE_MAX(PIECE)];
    fputc('"', f);
    while (n > 0) {
        size_t k = n <= PIECE ? n : senti__utf8_cut(s, n, PIECE);
        if (k == 0) k = n < PIECE ? n : PIECE; /* no boundary found: bytes are invalid anyway */
        size_t w = senti__json_escape(out, s, k);
        fwrite(out + 1, 1, w - 2, f); /* without its quotes */
        s += k, n -= k;
    }
    fputc('"', f);
}

/* printf("%.4f", v), exactly, without printf for the values senti prints (0 <= v < 10,000):
 * v * 10^4 is then exact to within 10^-8, so unless its fraction is within 10^-6 of a half
 * (where printf's exact decimal rounding decides, and printf is asked) rounding it gives
 * printf's digits. Returns the length written to out (at least 32 bytes). */
int cli_fmt_fixed4(char *out, double v) {
    if (signbit(v) || !(v < 1e4)) return snprintf(out, 32, "%.4f", v);
    double x = v * 1e4, r = floor(x), frac = x - r;
    if (fabs(frac - 0.5) < 1e-6) return snprintf(out, 32, "%.4f", v);
    unsigned q = (unsigned)r + (frac > 0.5);
    unsigned ip = q / 10000, fp = q % 10000;
    char tmp[8];
    int k = 0;
    do {
        tmp[k++] = (char)('0' + ip % 10);
        ip /= 10;
    } while (ip);
    int n = 0;
    while (k) out[n++] = tmp[--k];
    out[n++] = '.';
    out[n++] = (char)('0' + fp / 1000);
    out[n++] = (char)('0' + fp / 100 % 10);
    out[n++] = (char)('0' + fp / 10 % 10);
    out[n++] = (char)('0' + fp % 10);
    out[n] = '\0';
    return n;
}

int cli_label_class(const char *raw) {
    static const struct {
        const char *word;
        int cls;
    } map[] = {{"0", CLI_NEG}, {"-1", CLI_NEG}, {"neg", CLI_NEG}, {"negative", CLI_NEG},
               {"1", CLI_POS}, {"pos", CLI_POS}, {"positive", CLI_POS},
               {"neu", CLI_NEU}, {"neutral", CLI_NEU}};
    if (!raw) return -1;
    for (size_t i = 0; i < sizeof map / sizeof *map; i++)
        if (!strcasecmp(raw, map[i].word)) return map[i].cls;
    return -1;
}

const char *cli_class_name(int cls) {
    return cls == CLI_NEG ? "negative" : cls == CLI_POS ? "positive" : cls == CLI_NEU ? "neutral" : "?";
}

int cli_file_digest(const char *path, char out[33]) {
    out[0] = 0;
    FILE *f = fopen(path, "rb");
    if (!f) return -1;
    XXH3_state_t *st = XXH3_createState();
    if (!st) {
        fclose(f);
        return -1;
    }
    XXH3_128bits_reset(st);
    char buf[1 << 16];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, f)) > 0) XXH3_128bits_update(st, buf, n);
    int bad = ferror(f);
    fclose(f);
    XXH128_hash_t h = XXH3_128bits_digest(st);
    XXH3_freeState(st);
    if (bad) return -1;
    snprintf(out, 33, "%016llx%016llx", (unsigned long long)h.high64, (unsigned long long)h.low64);
    return 0;
}

int cli_finish_stdout(const char *cmd) {
    int bad = ferror(stdout), err = 0;
    errno = 0;
    if (fflush(stdout) != 0) bad = 1, err = errno;
    if (fclose(stdout) != 0 && !bad) bad = 1, err = errno;
    if (!bad) return 0;
    if (err) cli_error(cmd, "standard output: write error: %s", strerror(err));
    else cli_error(cmd, "standard output: write error");
    return -1;
}
