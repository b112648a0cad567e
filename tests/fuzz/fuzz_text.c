/* libFuzzer target: any bytes as a text for the default linear model, scored and explained
 * (the explanation walks the features with their spans), and for VADER when
 * SENTI_VADER_LEXICON names its lexicon. */
#include <stdlib.h>

#include "senti.h"

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size);
int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size) {
    static senti_model *lin, *vader;
    static int init;
    if (!init) {
        init = 1;
        senti_model_open_default(NULL, &lin);
        if (getenv("SENTI_VADER_LEXICON")) senti_model_open("vader:", NULL, &vader, NULL, 0);
    }
    senti_result r;
    if (lin) {
        senti_predict(lin, NULL, (const char *)data, size, &r);
        static senti_contribution c[64];
        size_t n = 0;
        senti_explain(lin, NULL, (const char *)data, size, &r, c, 64, &n);
    }
    if (vader) senti_predict(vader, NULL, (const char *)data, size, &r);
    return 0;
}
