/* model.c - `senti model info|verify|import`: inspect and check models, and write a
 * transformer checkpoint as one senti model file (src/tools/tf_import.c). */
#include <getopt.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "tools/tf_import.h"

static const char help[] =
    "usage: senti model info [SPEC]     kind, labels, metadata, size and digest of a model\n"
    "       senti model verify [SPEC]   open a model, score probe texts, check the outputs\n"
    "       senti model import HF_DIR -o FILE [--dtype f32|f16|int8] [--labels a,b,c]\n"
    "                          [--max-tokens N]\n"
    "                                   write a Hugging Face sequence classifier (BERT,\n"
    "                                   DistilBERT, RoBERTa: config.json, model.safetensors,\n"
    "                                   tokenizer files) as one senti transformer file\n"
    "       senti model import --tiny DIR --vocab VOCAB_DIR -o FILE [--dtype ...]\n"
    "                                   the same for the pre-LN SST-2 model of\n"
    "                                   ../shared/data/tiny-transformer (vocab.txt in VOCAB_DIR)\n"
    "\n"
    "import options:\n"
    "  -o, --output FILE    the senti model file to write (required)\n"
    "      --dtype T        f32 (default), f16, or int8 (per-output-channel symmetric\n"
    "                       quantization of every linear weight and embedding table, with\n"
    "                       their f32 scales; LayerNorm and biases stay f32)\n"
    "      --labels a,b,c   rename the labels, in the model's order (names equal to negative,\n"
    "                       neutral, positive in any case already become those)\n"
    "      --max-tokens N   ids per text, special tokens included (default: all positions)\n"
    "The file holds the weights, the configuration (metadata) and the tokenizer's files;\n"
    "it is checked by opening it. A checkpoint is also usable without import: --model hf:DIR.\n"
    "pytorch_model.bin is not read: save the model with safe_serialization=True first.\n"
    "\n"
    "SPEC is 'default' (the embedded model; also when omitted), a model file, or KIND:PATH.\n"
    "The digest is XXH3-128 of the bytes that determine the model's answers: the file's\n"
    "(for 'default', the embedded bytes; for vader, both lexicons; for hf:DIR, config.json,\n"
    "model.safetensors and the tokenizer files).\n"
    "Malformed, truncated or hostile files are reported with the reason; exit status 1.\n";

/* A transformer's shape, from its metadata (a file's own, or what hf:DIR adds). */
static void info_transformer(senti_model *m) {
    static const char *const keys[] = {"arch", "source_architecture", "layers", "hidden", "heads",
                                       "intermediate", "hidden_act", "dtype", "vocab_size", "max_tokens"};
    for (size_t i = 0; i < sizeof keys / sizeof *keys; i++) {
        const char *v = senti_model_meta(m, keys[i]);
        if (v) printf("%s\t%s\n", keys[i], v);
    }
}

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
    if (!strcmp(senti_model_kind(m), "transformer")) info_transformer(m);
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

static int import(int argc, char **argv) {
    enum { O_DTYPE = 0x2001, O_LABELS, O_MAXTOK, O_TINY, O_VOCAB };
    static const struct option longopts[] = {
        {"output", required_argument, 0, 'o'}, {"dtype", required_argument, 0, O_DTYPE},
        {"labels", required_argument, 0, O_LABELS}, {"max-tokens", required_argument, 0, O_MAXTOK},
        {"tiny", required_argument, 0, O_TINY}, {"vocab", required_argument, 0, O_VOCAB},
        {"help", no_argument, 0, 'h'}, {0, 0, 0, 0}};
    senti__tf_import_opts o = {SENTI__TFW_F32, NULL, 0};
    const char *out = NULL, *tiny = NULL, *vocab = NULL;
    unsigned long v;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "o:h", longopts, NULL)) != -1) {
        switch (c) {
        case 'o': out = optarg; break;
        case O_DTYPE:
            if (!strcmp(optarg, "f32")) o.dtype = SENTI__TFW_F32;
            else if (!strcmp(optarg, "f16")) o.dtype = SENTI__TFW_F16;
            else if (!strcmp(optarg, "int8")) o.dtype = SENTI__TFW_INT8;
            else {
                cli_error("model import", "--dtype must be f32, f16 or int8, not '%s'", optarg);
                return CLI_USAGE;
            }
            break;
        case O_LABELS: o.labels = optarg; break;
        case O_MAXTOK:
            if (cli_parse_uint("--max-tokens", optarg, 1, 65536, &v)) return CLI_USAGE;
            o.max_tokens = v;
            break;
        case O_TINY: tiny = optarg; break;
        case O_VOCAB: vocab = optarg; break;
        case 'h': fputs(help, stdout); return CLI_OK;
        default: return CLI_USAGE;
        }
    }
    int dirs = argc - optind;
    if (!out || (tiny ? dirs != 0 || !vocab : dirs != 1)) {
        cli_error("model import", tiny ? "--tiny DIR needs --vocab DIR and -o FILE"
                                       : "one checkpoint folder and -o FILE expected");
        return CLI_USAGE;
    }
    char err[1024];
    int rc = tiny ? senti__tf_import_tiny(tiny, vocab, out, &o, err, sizeof err)
                  : senti__tf_import_hf(argv[optind], out, &o, err, sizeof err);
    if (rc) {
        cli_error("model import", "%s", err);
        return rc == SENTI_EINVAL ? CLI_USAGE : CLI_FAIL;
    }
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
    if (!strcmp(sub, "import")) return import(argc - 1, argv + 1);
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
