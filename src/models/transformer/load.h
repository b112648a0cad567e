/*
 * load.h - the transformer kind's loader: a model's configuration, read and checked from a
 * Hugging Face config.json or from a senti model file's metadata, and the weights bound to
 * a senti__tf (tf.h) from either a senti transformer file (used in place from the mapping) or
 * a Hugging Face checkpoint folder (config.json + model.safetensors + tokenizer files).
 *
 * A senti transformer file (written by `senti model import`, src/tools/tf_import.c) is a
 * safetensors file whose __metadata__ holds
 *   kind=transformer  format_version=2  arch=bert|distilbert|roberta|preln
 *   hidden_act=gelu|gelu_tanh|relu  layers  hidden  heads  intermediate  vocab_size
 *   max_position  type_vocab  pad_id  layer_norm_eps  labels (comma-separated)  max_tokens
 *   dtype=f32|f16|int8  (and informational keys: source, source_architecture, unk_row)
 * and the tensors, under names of its own (one name per part whatever the architecture):
 *   emb.word.weight [vocab x hidden]   emb.pos.weight [max_position x hidden]
 *   emb.type.weight [type_vocab x hidden] (bert, roberta)   emb.ln.{weight,bias} (not preln)
 *   layer.N.{q,k,v,o,ff1,ff2}.{weight,bias}   layer.N.{ln1,ln2}.{weight,bias}
 *   pool.{weight,bias}   cls.{weight,bias}
 *   id_map I32 [n] (optional: tokenizer id -> row of emb.word, -1 for none; preln's reduced
 *   vocabulary) with metadata unk_row
 *   tokenizer files as U8 tensors: tok.tokenizer.json, or tok.vocab.txt, or tok.vocab.json +
 *   tok.merges.txt; with tok.tokenizer_config.json and tok.special_tokens_map.json if present
 * dtype f32: every tensor F32. f16: linear weights and embeddings F16 (linear weights are
 * converted to f32 at open; embeddings are read in place). int8: embeddings I8 [rows x cols]
 * with X.scale F32 [rows] (row r = q[r] * scale[r], symmetric); linear weights [out x in]
 * quantized per output channel and stored as the int8 kernels read them (kernels.h), used in
 * place: X.qpanels I8 [panels, kgroups, 64] (panels = ceil(out / 16), kgroups = ceil(in / 4):
 * weight (j, k) is byte ((j / 16) * kgroups + k / 4) * 64 + (j % 16) * 4 + k % 4), X.qscale
 * F32 [panels * 16] and X.qsum I32 [panels * 16] (sum over k of column j's bytes), every
 * padding byte and entry zero; checked at open (senti__qweights_check). LayerNorm parameters
 * and biases are F32 in every file.
 * Versions: 2 is written (int8 linear weights as panels). 1 is read too, for f32 and f16
 * files; its int8 linear layout (X.weight I8 [out x in] + X.scale) is refused with a message
 * to import again. A reader of 1 only refuses a file of 2.
 *
 * Limits (checked before anything is allocated; a model beyond them is refused with the
 * reason): layers 1..64, hidden 1..8192 and a multiple of heads (1..256), intermediate
 * 1..65536, vocab_size 1..4194304, max_position 1..65536, type_vocab 0..1024, labels 2..8,
 * layer_norm_eps in (0, 0.1]. Every tensor's dtype and shape must be what the configuration
 * says, and every float weight finite (F32/F16 tensors scanned once at open; in an int8 file
 * that is the biases, LayerNorms and scales only).
 */
#ifndef SENTI_TRANSFORMER_LOAD_H
#define SENTI_TRANSFORMER_LOAD_H

#include <stddef.h>
#include <stdint.h>

#include "models/transformer/tf.h"
#include "senti.h"

#define SENTI__TF_MAX_LAYERS 64
#define SENTI__TF_MAX_HIDDEN 8192
#define SENTI__TF_MAX_HEADS 256
#define SENTI__TF_MAX_FF 65536
#define SENTI__TF_MAX_VOCAB (1u << 22)
/* Attention keeps a text's [tokens x tokens] scores per thread: 64 MiB at 4096 positions. The
 * BERT family has 512. */
#define SENTI__TF_MAX_POS 4096
#define SENTI__TF_MAX_TYPES 1024
#define SENTI__TF_MAX_CONFIG (1u << 20) /* bytes of a config.json */

/* The files of a checkpoint folder a tokenizer may be read from (senti__hftok_load_dir), in the
 * order the digest of hf:DIR covers them and import stores them. */
enum { SENTI__TF_TOK_FILES = 6 };
extern const char *const senti__tf_tok_files[SENTI__TF_TOK_FILES];

typedef struct senti__tf_config {
    senti__tf_arch arch;
    senti__tf_act act;
    size_t layers, hidden, heads, ff, vocab, max_pos, type_vocab, pad_id, n_labels;
    size_t max_tokens; /* 0: all the positions allow */
    double eps;
    char labels[SENTI_MAX_CLASSES][65];
    char source_arch[64]; /* "BertForSequenceClassification", "preln" */
} senti__tf_config;

/* The names senti files use: "bert", ...; "gelu", "gelu_tanh", "relu". */
const char *senti__tf_arch_name(senti__tf_arch a);
const char *senti__tf_act_name(senti__tf_act a);

/* A Hugging Face config.json (its text). Refuses architectures other than the three
 * *ForSequenceClassification ones, unknown activations, absolute limits exceeded, labels
 * beyond SENTI_MAX_CLASSES. id2label names equal to negative/neutral/positive in any case
 * become those; others (LABEL_0, ...) are kept. */
int senti__tf_config_from_json(const char *json, size_t len, senti__tf_config *c, char *err,
                               size_t err_size);
/* A senti transformer file's metadata. */
int senti__tf_config_from_meta(const senti__st *st, senti__tf_config *c, char *err,
                               size_t err_size);
/* The limits above, checked (both readers call it). */
int senti__tf_config_check(const senti__tf_config *c, char *err, size_t err_size);

/* Fill m from a parsed senti transformer file (tensors in place; the caller keeps the file's
 * bytes for the model's life). file names the file in messages. */
int senti__tf_open_st(const senti__st *st, const senti__tf_config *c, const char *file,
                      senti__tf *m, char *err, size_t err_size);
/* Fill m and c from a Hugging Face folder: config.json, model.safetensors (mapped; F32, F16
 * or BF16; read into memory instead when flags has SENTI_OPEN_READ), the tokenizer files. A
 * folder with pytorch_model.bin only is refused with how to convert it. digest and bytes:
 * XXH3-128 and size of config.json, model.safetensors and the tokenizer files. */
int senti__tf_open_hf(const char *dir, uint32_t flags, senti__tf_config *c, senti__tf *m, char digest[33],
                      uint64_t *bytes, char *err, size_t err_size);
/* Lower m->max_tokens to limit (0: no change); SENTI_ERANGE if below the special tokens. */
int senti__tf_limit_tokens(senti__tf *m, size_t limit, char *err, size_t err_size);

#endif
