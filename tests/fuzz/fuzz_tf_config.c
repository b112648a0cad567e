/* libFuzzer target: the transformer kind's configuration readers and loader
 * (src/models/transformer/load.h). Any bytes as a Hugging Face config.json must give a
 * configuration inside the limits of load.h or an error with a message; any bytes as a senti
 * model file (a transformer's metadata and tensors) must open or fail with a message, and what
 * opens must score texts with probabilities that add up to 1. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "models/transformer/load.h"
#include "senti.h"

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size);

static void config_json(const unsigned char *data, size_t size) {
    senti__tf_config c;
    char err[256] = "";
    if (senti__tf_config_from_json((const char *)data, size, &c, err, sizeof err) != SENTI_OK) {
        if (!err[0]) abort(); /* a failure always says why */
        return;
    }
    if (c.layers < 1 || c.layers > SENTI__TF_MAX_LAYERS || c.hidden % c.heads || c.n_labels < 2 ||
        c.n_labels > SENTI_MAX_CLASSES || c.vocab > SENTI__TF_MAX_VOCAB || c.max_pos > SENTI__TF_MAX_POS)
        abort();
}

static void model_file(const unsigned char *data, size_t size) {
    void *copy = malloc(size ? size : 1); /* malloc is 16-byte aligned, as the loader needs 8 */
    if (!copy) return;
    memcpy(copy, data, size);
    senti_model *m;
    char err[256] = "";
    if (senti_model_open_memory(copy, size, NULL, &m, err, sizeof err) == SENTI_OK) {
        static const char *const texts[] = {"", "a good film", "caf\xc3\xa9 \xff\xfe \xe4\xb8\xad"};
        for (size_t i = 0; i < sizeof texts / sizeof *texts; i++) {
            senti_result r;
            if (senti_predict(m, NULL, texts[i], strlen(texts[i]), &r) != SENTI_OK) continue;
            double sum = 0;
            for (int j = 0; j < r.n_classes; j++) sum += r.probs[j];
            if (!(fabs(sum - 1) < 1e-6)) abort();
        }
        senti_model_free(m);
    } else if (!err[0]) {
        abort();
    }
    free(copy);
}

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size) {
    config_json(data, size);
    model_file(data, size);
    return 0;
}
