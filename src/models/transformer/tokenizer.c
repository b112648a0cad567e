/*
 * tokenizer.c - loading a tokenizer from a tokenizer.json, and the common part of encoding
 * (the special tokens around the text and the truncation).
 *
 * A tokenizer.json (the `tokenizers` library's serialization) has a model (WordPiece or BPE:
 * vocabulary, merges, unknown token), a normalizer, a pre-tokenizer and a post-processor. Only
 * the combinations the BERT and RoBERTa families use are accepted: WordPiece behind a
 * BertNormalizer (or none) and the BertPreTokenizer; BPE behind no normalizer and the ByteLevel
 * pre-tokenizer. Anything else that would change the ids (another normalizer, BPE dropout,
 * byte fallback, a template with two sequences) is refused with a message naming it, since a
 * tokenizer that silently differs from the model's gives plausible but wrong answers.
 * Settings that only change offsets or decoding (trim_offsets, the decoder, added_tokens,
 * padding and truncation defaults) are not read.
 *
 * The JSON parser is jansson (bounded nesting); every value is type-checked before use, so a
 * malformed file is a message, never a crash (tests/fuzz/fuzz_tokenizer.c).
 */
#include <string.h>

#include <jansson.h>

#include "base/base.h"
#include "models/transformer/tok_impl.h"

#define E(...) senti__err(err, err_size, SENTI_EFORMAT, __VA_ARGS__)

senti__hftok *senti__hftok_new(int type) {
    senti__hftok *t = senti__calloc(1, sizeof *t);
    if (!t) return NULL;
    t->type = type;
    t->unk = -1;
    memcpy(t->prefix, "##", 3);
    t->prefix_len = 2;
    t->max_chars = 100;
    return t;
}

void senti__hftok_free(senti__hftok *t) {
    if (!t) return;
    senti__tokv_free(&t->v);
    senti__free(t->merges);
    senti__free(t);
}

/* A JSON boolean, or def when the key is absent or null; -1 for another type. */
static int jbool(const json_t *o, const char *key, int def) {
    const json_t *v = json_object_get(o, key);
    if (!v || json_is_null(v)) return def;
    return json_is_boolean(v) ? json_is_true(v) : -1;
}

/* ---- the model ------------------------------------------------------------------------- */

static int read_vocab_object(senti__hftok *t, const json_t *vocab, char *err, size_t err_size) {
    if (!json_is_object(vocab)) return E("tokenizer.json: model.vocab is not an object");
    if (json_object_size(vocab) > TOK_MAX_VOCAB) return E("tokenizer.json: vocabulary too large");
    const char *key;
    const json_t *val;
    json_object_foreach((json_t *)vocab, key, val) {
        if (!json_is_integer(val))
            return E("tokenizer.json: the id of a vocabulary entry is not an integer");
        int rc = senti__tokv_add(&t->v, key, strlen(key), json_integer_value(val), err, err_size);
        if (rc) return rc;
    }
    return senti__tokv_index(&t->v);
}

/* The id of the token named by the string value o[key] (absent or null: none). */
static int token_id(senti__hftok *t, const json_t *o, const char *key, int32_t *id, char *err,
                    size_t err_size) {
    const json_t *v = json_object_get(o, key);
    *id = -1;
    if (!v || json_is_null(v)) return 0;
    if (!json_is_string(v)) return E("tokenizer.json: %s is not a string", key);
    *id = senti__tokv_find(&t->v, json_string_value(v), json_string_length(v));
    if (*id < 0) return E("tokenizer.json: %s \"%.40s\" is not in the vocabulary", key, json_string_value(v));
    return 0;
}

static int read_wordpiece(senti__hftok *t, const json_t *m, char *err, size_t err_size) {
    int rc = read_vocab_object(t, json_object_get(m, "vocab"), err, err_size);
    if (rc) return rc;
    if ((rc = token_id(t, m, "unk_token", &t->unk, err, err_size))) return rc;
    const json_t *p = json_object_get(m, "continuing_subword_prefix");
    if (p && !json_is_null(p)) {
        if (!json_is_string(p) || json_string_length(p) >= sizeof t->prefix)
            return E("tokenizer.json: continuing_subword_prefix is not a short string");
        t->prefix_len = json_string_length(p);
        memcpy(t->prefix, json_string_value(p), t->prefix_len + 1);
    }
    const json_t *mc = json_object_get(m, "max_input_chars_per_word");
    if (mc && !json_is_null(mc)) {
        if (!json_is_integer(mc) || json_integer_value(mc) < 1 || json_integer_value(mc) > 1000000)
            return E("tokenizer.json: max_input_chars_per_word is not an integer in 1..1000000");
        t->max_chars = (size_t)json_integer_value(mc);
    }
    return 0;
}

/* One merge: "a b" or ["a", "b"]. */
static int read_merge(senti__hftok *t, const json_t *x, uint32_t rank, size_t count, char *err,
                      size_t err_size) {
    const char *a, *b;
    size_t an, bn;
    if (json_is_string(x)) {
        a = json_string_value(x);
        const char *sp = memchr(a, ' ', json_string_length(x));
        if (!sp || memchr(sp + 1, ' ', json_string_length(x) - (size_t)(sp + 1 - a)))
            return E("tokenizer.json: merge %u is not two tokens separated by a space", rank);
        an = (size_t)(sp - a), b = sp + 1, bn = json_string_length(x) - an - 1;
    } else if (json_is_array(x) && json_array_size(x) == 2 &&
               json_is_string(json_array_get(x, 0)) && json_is_string(json_array_get(x, 1))) {
        a = json_string_value(json_array_get(x, 0)), an = json_string_length(json_array_get(x, 0));
        b = json_string_value(json_array_get(x, 1)), bn = json_string_length(json_array_get(x, 1));
    } else {
        return E("tokenizer.json: merge %u is neither \"a b\" nor [\"a\", \"b\"]", rank);
    }
    return senti__bpe_merge_add(t, a, an, b, bn, rank, count, err, err_size);
}

/* A BPE setting that must be absent, null, false or "" (what byte-level BPE uses). */
static int bpe_unset(const json_t *m, const char *key) {
    const json_t *v = json_object_get(m, key);
    return !v || json_is_null(v) || json_is_false(v) ||
           (json_is_string(v) && json_string_length(v) == 0);
}

static int read_bpe(senti__hftok *t, const json_t *m, char *err, size_t err_size) {
    static const char *unsupported[] = {"dropout", "byte_fallback", "continuing_subword_prefix",
                                        "end_of_word_suffix", "ignore_merges"};
    for (size_t i = 0; i < sizeof unsupported / sizeof *unsupported; i++)
        if (!bpe_unset(m, unsupported[i]))
            return E("tokenizer.json: BPE with %s is not supported", unsupported[i]);
    int rc = read_vocab_object(t, json_object_get(m, "vocab"), err, err_size);
    if (rc) return rc;
    if ((rc = token_id(t, m, "unk_token", &t->unk, err, err_size))) return rc;
    const json_t *merges = json_object_get(m, "merges");
    if (!json_is_array(merges)) return E("tokenizer.json: model.merges is not an array");
    size_t n = json_array_size(merges);
    if (n > TOK_MAX_VOCAB) return E("tokenizer.json: too many merges");
    for (size_t i = 0; i < n; i++)
        if ((rc = read_merge(t, json_array_get(merges, i), (uint32_t)i, n, err, err_size))) return rc;
    return senti__bpe_bytes_init(t, err, err_size);
}

/* ---- normalizer and pre-tokenizer -------------------------------------------------------- */

static const char *type_of(const json_t *o) {
    const json_t *ty = json_object_get(o, "type");
    return json_is_string(ty) ? json_string_value(ty) : "";
}

static int read_normalizer(senti__hftok *t, const json_t *n, char *err, size_t err_size) {
    if (!n || json_is_null(n)) return 0; /* none: the text as it is */
    if (!json_is_object(n) || strcmp(type_of(n), "BertNormalizer") != 0 || t->type != SENTI__HFTOK_WORDPIECE)
        return E("tokenizer.json: normalizer \"%.40s\" is not supported (BertNormalizer with "
                 "WordPiece, or none)", json_is_object(n) ? type_of(n) : "?");
    t->clean_text = jbool(n, "clean_text", 1);
    t->chinese = jbool(n, "handle_chinese_chars", 1);
    t->lowercase = jbool(n, "lowercase", 1);
    /* strip_accents null: follow lowercase (BERT's convention) */
    t->strip_accents = jbool(n, "strip_accents", t->lowercase);
    if (t->clean_text < 0 || t->chinese < 0 || t->lowercase < 0 || t->strip_accents < 0)
        return E("tokenizer.json: a BertNormalizer setting is not a boolean");
    return 0;
}

static int read_pre_tokenizer(senti__hftok *t, const json_t *p, char *err, size_t err_size) {
    const char *ty = json_is_object(p) ? type_of(p) : "(none)";
    if (t->type == SENTI__HFTOK_WORDPIECE) {
        if (strcmp(ty, "BertPreTokenizer") != 0)
            return E("tokenizer.json: pre_tokenizer \"%.40s\" is not supported with WordPiece "
                     "(BertPreTokenizer)", ty);
        return 0;
    }
    if (strcmp(ty, "ByteLevel") != 0)
        return E("tokenizer.json: pre_tokenizer \"%.40s\" is not supported with BPE (ByteLevel)", ty);
    if (jbool(p, "use_regex", 1) != 1)
        return E("tokenizer.json: ByteLevel without the GPT-2 pattern (use_regex) is not supported");
    /* the tokenizers library's default is true; its files always write the setting */
    t->add_prefix_space = jbool(p, "add_prefix_space", 1);
    if (t->add_prefix_space < 0) return E("tokenizer.json: add_prefix_space is not a boolean");
    return 0;
}

/* ---- post-processor ---------------------------------------------------------------------- */

/* BertProcessing / RobertaProcessing: "cls": ["[CLS]", 101], "sep": ["[SEP]", 102]. */
static int special_pair(const json_t *p, const char *key, int32_t *id, char *err, size_t err_size) {
    const json_t *v = json_object_get(p, key);
    const json_t *i = json_array_get(v, 1);
    if (!json_is_array(v) || json_array_size(v) != 2 || !json_is_integer(i) ||
        json_integer_value(i) < 0 || json_integer_value(i) >= (json_int_t)TOK_MAX_VOCAB)
        return E("tokenizer.json: post_processor.%s is not [token, id]", key);
    *id = (int32_t)json_integer_value(i);
    return 0;
}

/* Append the ids of special token `name` (TemplateProcessing's special_tokens table). */
static int template_special(senti__hftok *t, const json_t *table, const json_t *item, int after,
                            char *err, size_t err_size) {
    const json_t *name = json_object_get(item, "id");
    const json_t *ids = json_object_get(json_object_get(table, json_string_value(name)), "ids");
    if (!json_is_string(name) || !json_is_array(ids))
        return E("tokenizer.json: a template names a special token it does not define");
    int32_t *dst = after ? t->post : t->pre;
    size_t *n = after ? &t->n_post : &t->n_pre;
    for (size_t i = 0; i < json_array_size(ids); i++) {
        const json_t *id = json_array_get(ids, i);
        if (*n >= TOK_MAX_SPECIAL || !json_is_integer(id) || json_integer_value(id) < 0 ||
            json_integer_value(id) >= (json_int_t)TOK_MAX_VOCAB)
            return E("tokenizer.json: a template's special token ids are not %d ids at most",
                     TOK_MAX_SPECIAL);
        dst[(*n)++] = (int32_t)json_integer_value(id);
    }
    return 0;
}

/* TemplateProcessing "single": SPECIAL* {"Sequence": {"id": "A"}} SPECIAL*. */
static int read_template(senti__hftok *t, const json_t *p, char *err, size_t err_size) {
    const json_t *single = json_object_get(p, "single");
    const json_t *table = json_object_get(p, "special_tokens");
    if (!json_is_array(single) || !json_is_object(table))
        return E("tokenizer.json: TemplateProcessing without single and special_tokens");
    int seen = 0;
    for (size_t i = 0; i < json_array_size(single); i++) {
        const json_t *it = json_array_get(single, i);
        const json_t *seq = json_object_get(it, "Sequence"), *sp = json_object_get(it, "SpecialToken");
        if (seq && !seen && strcmp(json_string_value(json_object_get(seq, "id")) ?: "", "A") == 0) {
            seen = 1;
        } else if (sp) {
            int rc = template_special(t, table, sp, seen, err, err_size);
            if (rc) return rc;
        } else {
            return E("tokenizer.json: template item %zu is not supported (one $A and special tokens)", i);
        }
    }
    if (!seen) return E("tokenizer.json: the template has no $A");
    return 0;
}

static int read_post(senti__hftok *t, const json_t *p, int depth, char *err, size_t err_size) {
    if (!p || json_is_null(p)) return 0;
    const char *ty = json_is_object(p) ? type_of(p) : "?";
    if (!strcmp(ty, "BertProcessing") || !strcmp(ty, "RobertaProcessing")) {
        if (t->n_pre || t->n_post) return E("tokenizer.json: two post-processors add special tokens");
        t->n_pre = t->n_post = 1;
        int rc = special_pair(p, "cls", &t->pre[0], err, err_size);
        return rc ? rc : special_pair(p, "sep", &t->post[0], err, err_size);
    }
    if (!strcmp(ty, "TemplateProcessing")) {
        if (t->n_pre || t->n_post) return E("tokenizer.json: two post-processors add special tokens");
        return read_template(t, p, err, err_size);
    }
    if (!strcmp(ty, "ByteLevel")) return 0; /* offsets only */
    if (!strcmp(ty, "Sequence") && depth == 0) {
        const json_t *ps = json_object_get(p, "processors");
        if (!json_is_array(ps)) return E("tokenizer.json: a Sequence post-processor without processors");
        for (size_t i = 0; i < json_array_size(ps); i++) {
            int rc = read_post(t, json_array_get(ps, i), 1, err, err_size);
            if (rc) return rc;
        }
        return 0;
    }
    return E("tokenizer.json: post_processor \"%.40s\" is not supported", ty);
}

/* ---- tokenizer.json ------------------------------------------------------------------------ */

static int model_type(const json_t *m) {
    const char *ty = type_of(m);
    if (!strcmp(ty, "WordPiece")) return SENTI__HFTOK_WORDPIECE;
    if (!strcmp(ty, "BPE")) return SENTI__HFTOK_BPE;
    if (*ty) return 0;
    /* files of early versions have no type: BPE has merges, WordPiece a subword prefix */
    if (json_object_get(m, "merges")) return SENTI__HFTOK_BPE;
    if (json_object_get(m, "continuing_subword_prefix")) return SENTI__HFTOK_WORDPIECE;
    return 0;
}

static int from_root(const json_t *root, senti__hftok **out, char *err, size_t err_size) {
    const json_t *m = json_object_get(root, "model");
    if (!json_is_object(m)) return E("tokenizer.json: no model object");
    int type = model_type(m);
    if (!type)
        return E("tokenizer.json: model type \"%.40s\" is not supported (WordPiece, BPE)", type_of(m));
    senti__hftok *t = senti__hftok_new(type);
    if (!t) return SENTI_ENOMEM;
    int rc = type == SENTI__HFTOK_WORDPIECE ? read_wordpiece(t, m, err, err_size)
                                            : read_bpe(t, m, err, err_size);
    if (!rc) rc = read_normalizer(t, json_object_get(root, "normalizer"), err, err_size);
    if (!rc) rc = read_pre_tokenizer(t, json_object_get(root, "pre_tokenizer"), err, err_size);
    if (!rc) rc = read_post(t, json_object_get(root, "post_processor"), 0, err, err_size);
    if (!rc) rc = senti__hftok_check_specials(t, err, err_size);
    if (rc) {
        senti__hftok_free(t);
        return rc;
    }
    *out = t;
    return 0;
}

int senti__hftok_from_json(const char *json, size_t len, senti__hftok **out, char *err,
                           size_t err_size) {
    *out = NULL;
    if (len > SENTI__HFTOK_MAX_FILE) return E("tokenizer.json: over %u bytes", SENTI__HFTOK_MAX_FILE);
    json_error_t je;
    json_t *root = json_loadb(json, len, 0, &je);
    if (!root) return E("tokenizer.json: line %d: %s", je.line, je.text);
    int rc = json_is_object(root) ? from_root(root, out, err, err_size)
                                  : E("tokenizer.json: not a JSON object");
    json_decref(root);
    return rc;
}

int senti__hftok_check_specials(const senti__hftok *t, char *err, size_t err_size) {
    for (size_t i = 0; i < t->n_pre + t->n_post; i++) {
        int32_t id = i < t->n_pre ? t->pre[i] : t->post[i - t->n_pre];
        if ((size_t)id >= t->v.n_ids)
            return E("special token id %d is outside the vocabulary (%zu ids)", id, t->v.n_ids);
    }
    return 0;
}

/* ---- encoding ------------------------------------------------------------------------------ */

int senti__hftok_encode(const senti__hftok *t, const char *s, size_t len, size_t max_len,
                        int32_t *ids, senti__tokspan *spans, size_t *n) {
    *n = 0;
    size_t special = t->n_pre + t->n_post;
    if (max_len < special || len > UINT32_MAX) return SENTI_EINVAL;
    for (size_t i = 0; i < t->n_pre; i++) {
        ids[i] = t->pre[i];
        if (spans) spans[i] = (senti__tokspan){0, 0};
    }
    tok_sink k = {ids + t->n_pre, spans ? spans + t->n_pre : NULL, 0, max_len - special};
    int rc = 0;
    if (k.cap > 0)
        rc = t->type == SENTI__HFTOK_WORDPIECE ? senti__wp_encode(t, (const unsigned char *)s, len, &k)
                                               : senti__bpe_encode(t, (const unsigned char *)s, len, &k);
    if (rc) return rc;
    size_t at = t->n_pre + k.n;
    for (size_t i = 0; i < t->n_post; i++) {
        ids[at + i] = t->post[i];
        if (spans) spans[at + i] = (senti__tokspan){0, 0};
    }
    *n = at + t->n_post;
    return 0;
}

int senti__hftok_type(const senti__hftok *t) { return t->type; }
size_t senti__hftok_vocab_size(const senti__hftok *t) { return t->v.n_ids; }
size_t senti__hftok_special_count(const senti__hftok *t) { return t->n_pre + t->n_post; }

const char *senti__hftok_token(const senti__hftok *t, int32_t id) {
    if (id < 0 || (size_t)id >= t->v.n_ids || t->v.str_off[id] == UINT32_MAX) return NULL;
    return t->v.arena + t->v.str_off[id];
}

int32_t senti__hftok_id(const senti__hftok *t, const char *s, size_t len) {
    return senti__tokv_find(&t->v, s, len);
}
