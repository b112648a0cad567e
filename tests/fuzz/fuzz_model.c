/* libFuzzer target: any bytes as a model file. Opening must fail cleanly or give a model
 * that scores and explains text. */
#include <stdlib.h>
#include <string.h>

#include "senti.h"

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size);
int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size) {
    /* a mapping is page aligned and exactly the file's size */
    unsigned char *buf = aligned_alloc(64, (size + 64) & ~(size_t)63);
    if (!buf) return 0;
    memcpy(buf, data, size);
    senti_model *m = NULL;
    char err[256];
    if (senti_model_open_memory(buf, size, NULL, &m, err, sizeof err) == SENTI_OK) {
        senti_result r;
        senti_predict(m, NULL, "not bad at all", 14, &r);
        senti_contribution c[16]; /* a model with long copies (seed tiny-long-model) merges them */
        size_t n;
        senti_explain(m, NULL, "good film, bad film", 19, &r, c, 16, &n);
        senti_model_free(m);
    }
    free(buf);
    return 0;
}
