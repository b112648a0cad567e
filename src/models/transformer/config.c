/*
 * config.c - a transformer's configuration (load.h): read from a Hugging Face config.json or
 * from a senti transformer file's metadata, and checked against the limits of load.h before a
 * single weight is looked at, so that a hostile file cannot make the loader allocate or index
 * beyond what the limits allow.
 *
 * config.json keys read: architectures (or model_type), and per family
 *   BERT, RoBERTa   hidden_size num_hidden_layers num_attention_heads intermediate_size
 *                   max_position_embeddings type_vocab_size vocab_size layer_norm_eps
 *                   hidden_act pad_token_id position_embedding_type (absolute only)
 *   DistilBERT      dim n_layers n_heads hidden_dim max_position_embeddings vocab_size
 *                   activation (LayerNorm eps 1e-12, as the HF module has it)
 *   all             id2label (or num_labels; default 2 labels LABEL_0, LABEL_1), problem_type
 *                   (single_label_classification only)
 * A key of the wrong type is an error, never a default.
 */
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/base.h"
#include "models/transformer/load.h"

const char *senti__tf_arch_name(senti__tf_arch a) {
    static const char *const n[] = {"bert", "distilbert", "roberta", "preln"};
    return (unsigned)a < 4 ? n[a] : "?";
}

const char *senti__tf_act_name(senti__tf_act a) {
    static const char *const n[] = {"gelu", "gelu_tanh", "relu", "tanh"};
    return (unsigned)a < 4 ? n[a] : "?";
}

static int act_parse(const char *s, senti__tf_act *a) {
    if (!strcmp(s, "gelu")) *a = SENTI__TF_GELU;
    else if (!strcmp(s, "gelu_new") || !strcmp(s, "gelu_pytorch_tanh") || !strcmp(s, "gelu_tanh"))
        *a = SENTI__TF_GELU_TANH;
    else if (!strcmp(s, "relu")) *a = SENTI__TF_RELU;
    else return -1;
    return 0;
}

int senti__tf_config_check(const senti__tf_config *c, char *err, size_t err_size) {
    struct { const char *name; size_t v, lo, hi; } lim[] = {
        {"layers", c->layers, 1, SENTI__TF_MAX_LAYERS},
        {"hidden size", c->hidden, 1, SENTI__TF_MAX_HIDDEN},
        {"attention heads", c->heads, 1, SENTI__TF_MAX_HEADS},
        {"intermediate size", c->ff, 1, SENTI__TF_MAX_FF},
        {"vocab_size", c->vocab, 1, SENTI__TF_MAX_VOCAB},
        {"max_position_embeddings", c->max_pos, 1, SENTI__TF_MAX_POS},
        {"type_vocab_size", c->type_vocab, 0, SENTI__TF_MAX_TYPES},
        {"labels", c->n_labels, 2, SENTI_MAX_CLASSES},
    };
    for (size_t i = 0; i < sizeof lim / sizeof *lim; i++)
        if (lim[i].v < lim[i].lo || lim[i].v > lim[i].hi)
            return senti__err(err, err_size, SENTI_ERANGE, "config: %s = %zu is outside %zu..%zu",
                              lim[i].name, lim[i].v, lim[i].lo, lim[i].hi);
    if (c->hidden % c->heads)
        return senti__err(err, err_size, SENTI_EFORMAT,
                          "config: hidden size %zu is not a multiple of the %zu attention heads",
                          c->hidden, c->heads);
    if (!(c->eps > 0 && c->eps <= 0.1))
        return senti__err(err, err_size, SENTI_ERANGE, "config: layer_norm_eps is not in (0, 0.1]");
    size_t off = c->arch == SENTI__TF_ROBERTA ? c->pad_id + 1 : 0;
    if (c->pad_id >= c->vocab || off + 2 > c->max_pos)
        return senti__err(err, err_size, SENTI_ERANGE,
                          "config: pad_token_id %zu leaves no positions (max_position_embeddings %zu)",
                          c->pad_id, c->max_pos);
    if ((c->arch == SENTI__TF_BERT || c->arch == SENTI__TF_ROBERTA) && c->type_vocab < 1)
        return senti__err(err, err_size, SENTI_EFORMAT, "config: type_vocab_size must be at least 1");
    return SENTI_OK;
}

/* ---- config.json --------------------------------------------------------------------------- */

/* An optional non-negative integer key (*v unchanged if absent). */
static int j_size(const json_t *o, const char *key, size_t *v, char *err, size_t err_size) {
    const json_t *x = json_object_get(o, key);
    if (!x || json_is_null(x)) return SENTI_OK;
    if (!json_is_integer(x) || json_integer_value(x) < 0)
        return senti__err(err, err_size, SENTI_EFORMAT, "config.json: '%s' is not a non-negative integer", key);
    json_int_t i = json_integer_value(x);
    *v = (uint64_t)i > (uint64_t)SIZE_MAX / 2 ? SIZE_MAX / 2 : (size_t)i; /* the check refuses it */
    return SENTI_OK;
}

static int j_str(const json_t *o, const char *key, const char **v, char *err, size_t err_size) {
    const json_t *x = json_object_get(o, key);
    if (!x || json_is_null(x)) return SENTI_OK;
    if (!json_is_string(x))
        return senti__err(err, err_size, SENTI_EFORMAT, "config.json: '%s' is not a string", key);
    *v = json_string_value(x);
    return SENTI_OK;
}

/* The family from architectures[0], else model_type. */
static int j_arch(const json_t *root, senti__tf_config *c, char *err, size_t err_size) {
    static const struct { const char *cls, *type; senti__tf_arch a; } archs[] = {
        {"BertForSequenceClassification", "bert", SENTI__TF_BERT},
        {"DistilBertForSequenceClassification", "distilbert", SENTI__TF_DISTILBERT},
        {"RobertaForSequenceClassification", "roberta", SENTI__TF_ROBERTA},
    };
    const json_t *list = json_object_get(root, "architectures");
    const char *cls = NULL, *type = NULL;
    if (list && (!json_is_array(list) || json_array_size(list) != 1 || !json_is_string(json_array_get(list, 0))))
        return senti__err(err, err_size, SENTI_EFORMAT, "config.json: 'architectures' is not a list of one name");
    if (list) cls = json_string_value(json_array_get(list, 0));
    int rc = j_str(root, "model_type", &type, err, err_size);
    if (rc) return rc;
    for (size_t i = 0; i < sizeof archs / sizeof *archs; i++)
        if (cls ? !strcmp(cls, archs[i].cls) : type && !strcmp(type, archs[i].type)) {
            c->arch = archs[i].a;
            snprintf(c->source_arch, sizeof c->source_arch, "%s", archs[i].cls);
            return SENTI_OK;
        }
    return senti__err(err, err_size, SENTI_EKIND,
                      "config.json: architecture '%.64s' is not supported (senti reads "
                      "BertForSequenceClassification, DistilBertForSequenceClassification, "
                      "RobertaForSequenceClassification)", cls ? cls : type ? type : "(none given)");
}

/* The sizes, named as the family names them. */
static int j_sizes(const json_t *root, senti__tf_config *c, char *err, size_t err_size) {
    int d = c->arch == SENTI__TF_DISTILBERT, rc;
    c->layers = c->hidden = c->heads = c->ff = c->vocab = c->max_pos = 0;
    c->type_vocab = d ? 0 : 2;
    c->pad_id = c->arch == SENTI__TF_ROBERTA ? 1 : 0;
    if ((rc = j_size(root, d ? "n_layers" : "num_hidden_layers", &c->layers, err, err_size)) ||
        (rc = j_size(root, d ? "dim" : "hidden_size", &c->hidden, err, err_size)) ||
        (rc = j_size(root, d ? "n_heads" : "num_attention_heads", &c->heads, err, err_size)) ||
        (rc = j_size(root, d ? "hidden_dim" : "intermediate_size", &c->ff, err, err_size)) ||
        (rc = j_size(root, "vocab_size", &c->vocab, err, err_size)) ||
        (rc = j_size(root, "max_position_embeddings", &c->max_pos, err, err_size)) ||
        (rc = j_size(root, "pad_token_id", &c->pad_id, err, err_size)))
        return rc;
    if (!d && (rc = j_size(root, "type_vocab_size", &c->type_vocab, err, err_size))) return rc;
    const char *act = "gelu", *pos = "absolute", *problem = NULL;
    if ((rc = j_str(root, d ? "activation" : "hidden_act", &act, err, err_size)) ||
        (rc = j_str(root, "position_embedding_type", &pos, err, err_size)) ||
        (rc = j_str(root, "problem_type", &problem, err, err_size)))
        return rc;
    if (act_parse(act, &c->act))
        return senti__err(err, err_size, SENTI_EFORMAT,
                          "config.json: activation '%.32s' is not supported (gelu, gelu_new, "
                          "gelu_pytorch_tanh, relu)", act);
    if (strcmp(pos, "absolute"))
        return senti__err(err, err_size, SENTI_EFORMAT,
                          "config.json: position_embedding_type '%.32s' is not supported (absolute)", pos);
    if (problem && strcmp(problem, "single_label_classification"))
        return senti__err(err, err_size, SENTI_EFORMAT,
                          "config.json: problem_type '%.40s' is not supported (single-label "
                          "classification only)", problem);
    c->eps = 1e-12;
    const json_t *e = json_object_get(root, "layer_norm_eps");
    if (!d && e && !json_is_number(e))
        return senti__err(err, err_size, SENTI_EFORMAT, "config.json: 'layer_norm_eps' is not a number");
    if (!d && e) c->eps = json_number_value(e);
    return SENTI_OK;
}

/* A label as senti names it: negative/neutral/positive in any case become those. */
static void label_set(char dst[65], const char *s) {
    static const char *const known[] = {"negative", "neutral", "positive"};
    for (int i = 0; i < 3; i++)
        if (!strcasecmp(s, known[i])) s = known[i];
    snprintf(dst, 65, "%s", s);
}

static int j_labels(const json_t *root, senti__tf_config *c, char *err, size_t err_size) {
    const json_t *map = json_object_get(root, "id2label");
    size_t n = 2;
    int rc = j_size(root, "num_labels", &n, err, err_size);
    if (rc) return rc;
    if (map && !json_is_object(map))
        return senti__err(err, err_size, SENTI_EFORMAT, "config.json: 'id2label' is not an object");
    if (map) n = json_object_size(map);
    if (n < 2 || n > SENTI_MAX_CLASSES)
        return senti__err(err, err_size, SENTI_ERANGE, "config.json: %zu labels (senti reads 2 to %d)",
                          n, SENTI_MAX_CLASSES);
    c->n_labels = n;
    for (size_t i = 0; i < n; i++) {
        char key[32], def[32];
        snprintf(key, sizeof key, "%zu", i);
        snprintf(def, sizeof def, "LABEL_%zu", i);
        const json_t *v = map ? json_object_get(map, key) : NULL;
        if (map && (!v || !json_is_string(v) || json_string_length(v) > 64))
            return senti__err(err, err_size, SENTI_EFORMAT,
                              "config.json: id2label has no name of at most 64 bytes for id %zu", i);
        label_set(c->labels[i], v ? json_string_value(v) : def);
    }
    return SENTI_OK;
}

int senti__tf_config_from_json(const char *json, size_t len, senti__tf_config *c, char *err,
                               size_t err_size) {
    memset(c, 0, sizeof *c);
    json_error_t je;
    json_t *root = json_loadb(json, len, JSON_REJECT_DUPLICATES, &je);
    if (!root) return senti__err(err, err_size, SENTI_EFORMAT, "config.json: line %d: %.80s", je.line, je.text);
    int rc = json_is_object(root) ? SENTI_OK
                                  : senti__err(err, err_size, SENTI_EFORMAT, "config.json: not an object");
    if (!rc) rc = j_arch(root, c, err, err_size);
    if (!rc) rc = j_sizes(root, c, err, err_size);
    if (!rc) rc = j_labels(root, c, err, err_size);
    json_decref(root);
    if (!rc) rc = senti__tf_config_check(c, err, err_size);
    return rc;
}

/* ---- a senti file's metadata ------------------------------------------------------------------ */

static int m_size(const senti__st *st, const char *key, size_t *v, char *err, size_t err_size) {
    const char *s = senti__st_meta(st, key);
    char *end;
    if (!s || *s < '0' || *s > '9' || strlen(s) > 12)
        return senti__err(err, err_size, SENTI_EFORMAT, "metadata '%s' missing or not a number", key);
    *v = (size_t)strtoull(s, &end, 10);
    if (*end) return senti__err(err, err_size, SENTI_EFORMAT, "metadata '%s' is not a number", key);
    return SENTI_OK;
}

static int m_names(const senti__st *st, senti__tf_config *c, char *err, size_t err_size) {
    const char *arch = senti__st_meta(st, "arch"), *act = senti__st_meta(st, "hidden_act");
    const char *labels = senti__st_meta(st, "labels"), *eps = senti__st_meta(st, "layer_norm_eps");
    int a = -1;
    for (int i = 0; arch && i < 4; i++)
        if (!strcmp(arch, senti__tf_arch_name((senti__tf_arch)i))) a = i;
    if (a < 0)
        return senti__err(err, err_size, SENTI_EFORMAT, "metadata 'arch' missing or unknown (bert, distilbert, roberta, preln)");
    c->arch = (senti__tf_arch)a;
    snprintf(c->source_arch, sizeof c->source_arch, "%s", arch);
    if (!act || act_parse(act, &c->act))
        return senti__err(err, err_size, SENTI_EFORMAT, "metadata 'hidden_act' missing or unknown");
    char *end;
    if (!eps || !*eps || (c->eps = strtod(eps, &end), *end))
        return senti__err(err, err_size, SENTI_EFORMAT, "metadata 'layer_norm_eps' missing or not a number");
    if (!labels || strlen(labels) > sizeof c->labels)
        return senti__err(err, err_size, SENTI_EFORMAT, "metadata 'labels' missing or too long");
    c->n_labels = 0;
    for (const char *p = labels;; c->n_labels++) {
        const char *q = strchr(p, ',');
        size_t n = q ? (size_t)(q - p) : strlen(p);
        if (c->n_labels == SENTI_MAX_CLASSES || n > 64)
            return senti__err(err, err_size, SENTI_EFORMAT, "metadata 'labels': too many or too long");
        memcpy(c->labels[c->n_labels], p, n);
        c->labels[c->n_labels][n] = 0;
        if (!q) break;
        p = q + 1;
    }
    c->n_labels++;
    return SENTI_OK;
}

int senti__tf_config_from_meta(const senti__st *st, senti__tf_config *c, char *err,
                               size_t err_size) {
    memset(c, 0, sizeof *c);
    const char *ver = senti__st_meta(st, "format_version");
    if (!ver || (strcmp(ver, "1") && strcmp(ver, "2")))
        return senti__err(err, err_size, SENTI_EVERSION,
                          "transformer format_version '%.16s' not supported (this library reads 1 and 2)",
                          ver ? ver : "");
    int rc = m_names(st, c, err, err_size);
    static const char *const keys[] = {"layers", "hidden", "heads", "intermediate", "vocab_size",
                                       "max_position", "type_vocab", "pad_id", "max_tokens"};
    size_t *dst[] = {&c->layers, &c->hidden, &c->heads, &c->ff, &c->vocab, &c->max_pos,
                     &c->type_vocab, &c->pad_id, &c->max_tokens};
    for (size_t i = 0; !rc && i < sizeof keys / sizeof *keys; i++) rc = m_size(st, keys[i], dst[i], err, err_size);
    if (!rc) rc = senti__tf_config_check(c, err, err_size);
    return rc;
}
