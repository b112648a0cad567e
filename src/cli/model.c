/* model.c - `senti model info|verify`: inspect and check models. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"

static const char help[] =
    "usage: senti model info [SPEC]     kind, labels, metadata, size and digest of a model\n"
    "       senti model verify [SPEC]   open a model, score probe texts, check the outputs\n"
    "\n"
    "SPEC is 'default' (the embedded model; also when omitted), a model file, or KIND:PATH.\n"
    "The digest is XXH3-128 of the bytes that determine the model's answers: the file's\n"
    "(for 'default', the embedded bytes; for vader, both lexicons).\n"
    "Malformed, truncated or hostile files are reported with the reason; exit status 1.\n";

static int info(const char *spec, senti_model *m) {
    printf("model\t%s\nkind\t%s\nlabels\t", spec, senti_model_kind(m));
    for (int i = 0; i < senti_model_n_classes(m); i++) printf("%s%s", i ? "," : "", senti_model_label(m, i));
    printf("\n");
    if (senti_model_n_values(m)) {
        printf("values\t");
        for (int i = 0; i < senti_model_n_values(m); i++)
            printf("%s%s", i ? "," : "", senti_model_value_name(m, i));
        printf("\n");
    }
    const char *path = senti_model_path(m);
    printf("source\t%s\nbytes\t%llu\nxxh128\t%s\n", path ? path : "embedded",
           (unsigned long long)senti_model_size(m), senti_model_digest(m));
    for (int i = 0; i < senti_model_meta_count(m); i++) {
        const char *k = senti_model_meta_key(m, i);
        printf("meta.%s\t%s\n", k, senti_model_meta(m, k));
    }
    return CLI_OK;
}

static int verify(const char *spec, senti_model *m) {
    static const char *const probes[] = {"", "good", "bad", "not bad at all", "\xff\xfe invalid",
                                         "what a wonderful, moving film"};
    for (size_t i = 0; i < sizeof probes / sizeof *probes; i++) {
        senti_result r;
        int rc = senti_predict(m, NULL, probes[i], strlen(probes[i]), &r);
        if (rc) {
            fprintf(stderr, "senti model verify: %s: scoring failed: %s\n", spec, senti_strerror(rc));
            return CLI_FAIL;
        }
        double sum = 0;
        int bad = r.n_classes != senti_model_n_classes(m) || r.label < 0 || r.label >= r.n_classes ||
                  !isfinite(r.score);
        for (int j = 0; j < r.n_classes && !bad; j++) {
            if (!(r.probs[j] >= 0 && r.probs[j] <= 1)) bad = 1;
            sum += r.probs[j];
        }
        if (bad || (!strcmp(senti_model_kind(m), "linear") && fabs(sum - 1) > 1e-6)) {
            fprintf(stderr, "senti model verify: %s: invalid output for probe %zu\n", spec, i);
            return CLI_FAIL;
        }
    }
    printf("ok\t%s\t%s\n", spec, senti_model_kind(m));
    return CLI_OK;
}

int cmd_model(int argc, char **argv) {
    if (argc < 2 || !strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
        fputs(help, argc < 2 ? stderr : stdout);
        fputs("\nkinds:\n", argc < 2 ? stderr : stdout);
        cli_print_kinds(argc < 2 ? stderr : stdout);
        return argc < 2 ? CLI_USAGE : CLI_OK;
    }
    const char *sub = argv[1];
    if (strcmp(sub, "info") && strcmp(sub, "verify")) {
        cli_error("model", "unknown subcommand '%s'", sub);
        fputs(help, stderr);
        return CLI_USAGE;
    }
    if (argc > 3) {
        cli_error("model", "one SPEC expected");
        return CLI_USAGE;
    }
    if (argc == 3 && (!strcmp(argv[2], "-h") || !strcmp(argv[2], "--help"))) {
        fputs(help, stdout);
        return CLI_OK;
    }
    cli_model_args ma = {0};
    if (cli_model_spec(&ma, argc == 3 ? argv[2] : "default")) return CLI_USAGE;
    senti_model *m = cli_open_model(&ma);
    if (!m) return CLI_FAIL;
    int rc = !strcmp(sub, "info") ? info(ma.spec, m) : verify(ma.spec, m);
    senti_model_free(m);
    return rc;
}
