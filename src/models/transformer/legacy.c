/*
 * legacy.c - tokenizers from the files that came before tokenizer.json, and from a folder.
 *
 *   vocab.txt                  WordPiece: one token a line, the id is the line number (a
 *                              trailing "\r", tab or space of a line is not part of the token)
 *   vocab.json + merges.txt    byte-level BPE: {"token": id, ...}; one merge "a b" a line, in
 *                              rank order, "#version" lines skipped
 *   tokenizer_config.json      do_lower_case, strip_accents, tokenize_chinese_chars,
 *                              add_prefix_space, and the special tokens (cls_token, ...)
 *   special_tokens_map.json    the special tokens again; it wins over tokenizer_config.json
 *
 * A special token is written as a string or as {"content": "..."}. The defaults are those of
 * transformers' BertTokenizer ([CLS] [SEP] [UNK], lower-case) and RobertaTokenizer (<s> </s>
 * <unk>, no prefix space). A folder is read as tokenizer.json when it has one.
 */
#include <string.h>
#include <sys/stat.h>

#include <jansson.h>

#include "base/base.h"
#include "models/transformer/tok_impl.h"

#define E(...) senti__err(err, err_size, SENTI_EFORMAT, __VA_ARGS__)

/* The two configuration files, parsed (either may be NULL). */
typedef struct conf {
    json_t *config, *special;
} conf;

static int conf_open(conf *c, const char *config, size_t clen, const char *special, size_t slen,
                     char *err, size_t err_size) {
    json_error_t je;
    c->config = c->special = NULL;
    if (config && !(c->config = json_loadb(config, clen, 0, &je)))
        return E("tokenizer_config.json: line %d: %s", je.line, je.text);
    if (special && !(c->special = json_loadb(special, slen, 0, &je)))
        return E("special_tokens_map.json: line %d: %s", je.line, je.text);
    if ((c->config && !json_is_object(c->config)) || (c->special && !json_is_object(c->special)))
        return E("tokenizer_config.json or special_tokens_map.json is not a JSON object");
    return 0;
}

static void conf_close(conf *c) {
    json_decref(c->config);
    json_decref(c->special);
}

/* A special token's string: special_tokens_map.json, then tokenizer_config.json, then def. */
static const char *conf_token(const conf *c, const char *key, const char *def) {
    const json_t *srcs[2] = {c->special, c->config};
    for (int i = 0; i < 2; i++) {
        const json_t *v = json_object_get(srcs[i], key);
        if (json_is_object(v)) v = json_object_get(v, "content");
        if (json_is_string(v)) return json_string_value(v);
    }
    return def;
}

/* A boolean of tokenizer_config.json; def when absent or null; -1 for another type. */
static int conf_bool(const conf *c, const char *key, int def) {
    const json_t *v = json_object_get(c->config, key);
    if (!v || json_is_null(v)) return def;
    return json_is_boolean(v) ? json_is_true(v) : -1;
}

/* The id of a special token that must be in the vocabulary. */
static int conf_id(const senti__hftok *t, const conf *c, const char *key, const char *def,
                   int32_t *id, char *err, size_t err_size) {
    const char *s = conf_token(c, key, def);
    *id = senti__tokv_find(&t->v, s, strlen(s));
    if (*id < 0) return E("%s \"%.40s\" is not in the vocabulary", key, s);
    return 0;
}

/* ---- WordPiece: vocab.txt -------------------------------------------------------------------- */

static int read_vocab_lines(tok_vocab *v, const char *s, size_t n, char *err, size_t err_size) {
    int64_t id = 0;
    for (size_t at = 0; at < n; id++) {
        const char *nl = memchr(s + at, '\n', n - at);
        size_t end = nl ? (size_t)(nl - s) : n, e = end;
        while (e > at && (s[e - 1] == '\r' || s[e - 1] == ' ' || s[e - 1] == '\t')) e--;
        int rc = senti__tokv_add(v, s + at, e - at, id, err, err_size);
        if (rc) return rc;
        at = end + 1;
    }
    if (id == 0) return E("vocab.txt: empty");
    return senti__tokv_index(v);
}

static int wp_settings(senti__hftok *t, const conf *c, char *err, size_t err_size) {
    t->clean_text = 1;
    t->lowercase = conf_bool(c, "do_lower_case", 1);
    t->strip_accents = conf_bool(c, "strip_accents", t->lowercase);
    t->chinese = conf_bool(c, "tokenize_chinese_chars", 1);
    if (t->lowercase < 0 || t->strip_accents < 0 || t->chinese < 0)
        return E("tokenizer_config.json: a setting is not a boolean");
    t->n_pre = t->n_post = 1;
    int rc = conf_id(t, c, "unk_token", "[UNK]", &t->unk, err, err_size);
    if (!rc) rc = conf_id(t, c, "cls_token", "[CLS]", &t->pre[0], err, err_size);
    if (!rc) rc = conf_id(t, c, "sep_token", "[SEP]", &t->post[0], err, err_size);
    return rc;
}

int senti__hftok_from_vocab_txt(const char *vocab, size_t vlen, const char *config, size_t clen,
                                const char *special, size_t slen, senti__hftok **out, char *err,
                                size_t err_size) {
    *out = NULL;
    senti__hftok *t = senti__hftok_new(SENTI__HFTOK_WORDPIECE);
    if (!t) return SENTI_ENOMEM;
    conf c;
    int rc = conf_open(&c, config, clen, special, slen, err, err_size);
    if (!rc) rc = read_vocab_lines(&t->v, vocab, vlen, err, err_size);
    if (!rc) rc = wp_settings(t, &c, err, err_size);
    conf_close(&c);
    if (rc) {
        senti__hftok_free(t);
        return rc;
    }
    *out = t;
    return 0;
}

/* ---- byte-level BPE: vocab.json + merges.txt ------------------------------------------------ */

static int read_vocab_json(tok_vocab *v, const char *s, size_t n, char *err, size_t err_size) {
    json_error_t je;
    json_t *root = json_loadb(s, n, 0, &je);
    if (!root) return E("vocab.json: line %d: %s", je.line, je.text);
    int rc = 0;
    if (!json_is_object(root) || json_object_size(root) > TOK_MAX_VOCAB) rc = E("vocab.json: not an object of ids");
    const char *key;
    json_t *val;
    json_object_foreach(root, key, val) {
        if (rc) break;
        rc = json_is_integer(val) ? senti__tokv_add(v, key, strlen(key), json_integer_value(val), err, err_size)
                                  : E("vocab.json: the id of \"%.40s\" is not an integer", key);
    }
    json_decref(root);
    return rc ? rc : senti__tokv_index(v);
}

static int read_merge_lines(senti__hftok *t, const char *s, size_t n, char *err, size_t err_size) {
    size_t count = 1, rank = 0; /* a bound on the merges: the lines that hold a space */
    for (const char *p = s, *end = s + n; (p = memchr(p, ' ', (size_t)(end - p))); count++) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        p = nl ? nl : end;
    }
    for (size_t at = 0; at < n;) {
        const char *line = s + at, *nl = memchr(line, '\n', n - at);
        size_t len = nl ? (size_t)(nl - line) : n - at;
        at += len + 1;
        if (len > 0 && line[len - 1] == '\r') len--;
        if (len == 0 || (len >= 8 && memcmp(line, "#version", 8) == 0)) continue;
        const char *sp = memchr(line, ' ', len);
        size_t an = sp ? (size_t)(sp - line) : 0;
        if (!sp || memchr(sp + 1, ' ', len - an - 1))
            return E("merges.txt: merge %zu is not two tokens separated by a space", rank + 1);
        if (rank >= TOK_MAX_VOCAB) return E("merges.txt: too many merges");
        int rc = senti__bpe_merge_add(t, line, an, sp + 1, len - an - 1, (uint32_t)rank++, count,
                                      err, err_size);
        if (rc) return rc;
    }
    return 0;
}

static int bpe_settings(senti__hftok *t, const conf *c, char *err, size_t err_size) {
    t->add_prefix_space = conf_bool(c, "add_prefix_space", 0);
    if (t->add_prefix_space < 0) return E("tokenizer_config.json: add_prefix_space is not a boolean");
    const char *unk = conf_token(c, "unk_token", "<unk>");
    t->unk = senti__tokv_find(&t->v, unk, strlen(unk));
    t->n_pre = t->n_post = 1;
    int rc = conf_id(t, c, "cls_token", conf_token(c, "bos_token", "<s>"), &t->pre[0], err, err_size);
    if (!rc) rc = conf_id(t, c, "sep_token", conf_token(c, "eos_token", "</s>"), &t->post[0], err, err_size);
    return rc ? rc : senti__bpe_bytes_init(t, err, err_size);
}

int senti__hftok_from_bpe_files(const char *vocab, size_t vlen, const char *merges, size_t mlen,
                                const char *config, size_t clen, const char *special, size_t slen,
                                senti__hftok **out, char *err, size_t err_size) {
    *out = NULL;
    senti__hftok *t = senti__hftok_new(SENTI__HFTOK_BPE);
    if (!t) return SENTI_ENOMEM;
    conf c;
    int rc = conf_open(&c, config, clen, special, slen, err, err_size);
    if (!rc) rc = read_vocab_json(&t->v, vocab, vlen, err, err_size);
    if (!rc) rc = read_merge_lines(t, merges, mlen, err, err_size);
    if (!rc) rc = bpe_settings(t, &c, err, err_size);
    conf_close(&c);
    if (rc) {
        senti__hftok_free(t);
        return rc;
    }
    *out = t;
    return 0;
}

/* ---- a folder --------------------------------------------------------------------------------- */

typedef struct dir_file {
    const char *name;
    char *data;
    size_t len;
} dir_file;

/* Read dir/name if it exists (f->data stays NULL if it does not). */
static int read_opt(const char *dir, dir_file *f, char *err, size_t err_size) {
    char path[4096];
    struct stat st;
    if ((size_t)snprintf(path, sizeof path, "%s/%s", dir, f->name) >= sizeof path)
        return senti__err(err, err_size, SENTI_EINVAL, "%s: path too long", dir);
    if (stat(path, &st) != 0) return 0;
    return senti__read_file(path, SENTI__HFTOK_MAX_FILE, &f->data, &f->len, err, err_size);
}

int senti__hftok_load_dir(const char *dir, senti__hftok **out, char *err, size_t err_size) {
    dir_file f[] = {{"tokenizer.json", 0, 0}, {"vocab.txt", 0, 0}, {"vocab.json", 0, 0},
                    {"merges.txt", 0, 0}, {"tokenizer_config.json", 0, 0},
                    {"special_tokens_map.json", 0, 0}};
    enum { TJ, VT, VJ, MT, TC, SM, NF = sizeof f / sizeof *f };
    *out = NULL;
    int rc = 0;
    for (int i = 0; i < NF && !rc; i++) rc = read_opt(dir, &f[i], err, err_size);
    if (rc) {
    } else if (f[TJ].data) {
        rc = senti__hftok_from_json(f[TJ].data, f[TJ].len, out, err, err_size);
    } else if (f[VT].data) {
        rc = senti__hftok_from_vocab_txt(f[VT].data, f[VT].len, f[TC].data, f[TC].len, f[SM].data,
                                         f[SM].len, out, err, err_size);
    } else if (f[VJ].data && f[MT].data) {
        rc = senti__hftok_from_bpe_files(f[VJ].data, f[VJ].len, f[MT].data, f[MT].len, f[TC].data,
                                         f[TC].len, f[SM].data, f[SM].len, out, err, err_size);
    } else {
        rc = senti__err(err, err_size, SENTI_EIO, "%s: no tokenizer.json, vocab.txt, or vocab.json "
                        "with merges.txt", dir);
    }
    for (int i = 0; i < NF; i++) senti__free(f[i].data);
    return rc;
}
