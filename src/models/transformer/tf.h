/*
 * tf.h - the transformer kind's model in memory: the shape of a BERT-family encoder and where
 * its weights are, as the loader (load.c, from a senti file or a Hugging Face folder) fills it
 * in and the forward pass (forward.c) reads it. Nothing here touches a file or a tokenizer's
 * text; this is the contract between the two halves of the kind.
 *
 * Architectures (the Hugging Face module layouts; the loader maps tensor names onto this):
 *   BERT         embeddings word + position + token type(0), LayerNorm; post-LN layers:
 *                h = LN1(h + O(attn(h))); h = LN2(h + FF2(act(FF1(h)))); pool = tanh(P h[0]);
 *                logits = C pool.
 *   DistilBERT   the same without token types; pool = relu(P h[0]) (pre_classifier).
 *   RoBERTa      BERT's layers; position ids pad_id + 1 + i (texts are never padded here, so
 *                every token is a non-pad token); one token type; pool = tanh(P h[0])
 *                (classifier.dense), logits = C pool (classifier.out_proj).
 *   PRELN        the tiny SST-2 model of ../shared/data/tiny-transformer: word + position, no
 *                embedding LayerNorm; h = h + O(attn(LN1(h))); h = h + FF2(act(FF1(LN2(h))));
 *                no final LayerNorm; pool = tanh(P h[0]).
 * Attention: heads of hidden / heads columns, softmax(Q K^T / sqrt(d_head)) V per head.
 *
 * Sequences are never padded: a batch is the rows of all its texts stacked (packed), the
 * linear layers run over all rows at once and attention runs within each text, so there is
 * no padding mask to apply and no work wasted on padding, whatever the lengths.
 */
#ifndef SENTI_TRANSFORMER_TF_H
#define SENTI_TRANSFORMER_TF_H

#include <stddef.h>
#include <stdint.h>

#include "io/safetensors.h"
#include "kernels/kernels.h"
#include "models/transformer/tokenizer.h"

typedef enum senti__tf_arch {
    SENTI__TF_BERT,
    SENTI__TF_DISTILBERT,
    SENTI__TF_ROBERTA,
    SENTI__TF_PRELN
} senti__tf_arch;

typedef enum senti__tf_act {
    SENTI__TF_GELU,      /* x/2 (1 + erf(x / sqrt 2)): "gelu" */
    SENTI__TF_GELU_TANH, /* "gelu_new", "gelu_pytorch_tanh" */
    SENTI__TF_RELU,
    SENTI__TF_TANH       /* the poolers */
} senti__tf_act;

/* y = x W^T + b, W being [out x in] (an nn.Linear). Exactly one of w (f32 rows, in the mapped
 * file or owned by the model) and q (int8 in the kernels' packed panels, a view of the mapped
 * file's bytes, or owned by whoever built it; q.p != NULL) is set. b may be NULL (no bias). */
typedef struct senti__tf_linear {
    size_t out, in;
    const float *w;
    senti__qweights q;
    const float *b;
} senti__tf_linear;

/* An embedding table [rows x dim]: F32 rows, F16 rows, or I8 rows with one f32 scale per row
 * (row r is data[r] * scale[r]); a lookup converts one row to f32. */
typedef struct senti__tf_embed {
    size_t rows, dim;
    senti__dtype dtype; /* SENTI__DT_F32, SENTI__DT_F16 or SENTI__DT_I8 */
    const void *data;
    const float *scale; /* I8 only */
} senti__tf_embed;

typedef struct senti__tf_layer {
    senti__tf_linear q, k, v, o, ff1, ff2;
    /* post-LN: ln1 after attention (attention.output.LayerNorm, sa_layer_norm), ln2 after the
     * feed-forward (output.LayerNorm, output_layer_norm); PRELN: ln1 before attention, ln2
     * before the feed-forward. */
    const float *ln1_g, *ln1_b, *ln2_g, *ln2_b;
} senti__tf_layer;

typedef struct senti__tf {
    senti__tf_arch arch;
    senti__tf_act act;      /* the feed-forward's activation */
    senti__tf_act pool_act; /* SENTI__TF_TANH or SENTI__TF_RELU */
    size_t n_layers, hidden, heads, ff, n_labels;
    float eps;              /* layer_norm_eps */
    senti__tf_embed word, pos, type; /* type.rows == 0: no token types */
    const float *emb_ln_g, *emb_ln_b; /* NULL for PRELN */
    size_t pos_offset;      /* position id of the first token: RoBERTa pad_id + 1, else 0 */
    senti__tf_layer *layers; /* n_layers */
    senti__tf_linear pool;  /* pooler.dense / pre_classifier / classifier.dense */
    senti__tf_linear cls;   /* classifier / classifier.out_proj: [n_labels x hidden] */

    /* text to rows of `word` */
    senti__hftok *tok;
    const int32_t *id_map;  /* NULL, or tokenizer id -> row of `word` (the tiny model's reduced
                               vocabulary), id_map_len entries; an id outside it, or mapped to
                               -1, reads as row unk_row */
    size_t id_map_len;
    int32_t unk_row;
    size_t max_tokens;      /* ids per text, special tokens included: at most pos.rows -
                               pos_offset, and lowered by senti_options.max_tokens */

    void *owned;            /* the loader's allocations (converted weights, the layer array) */
} senti__tf;

/* The forward pass (forward.c). Scratch is per thread; the model is read-only and shared. */
typedef struct senti__tf_scratch senti__tf_scratch;
/* SENTI_ENOMEM, or SENTI_EINVAL if the model's shapes disagree (the layers' in/out against
 * hidden and ff, heads not dividing hidden, pool/cls against n_labels). */
int senti__tf_scratch_new(const senti__tf *m, senti__tf_scratch **out);
void senti__tf_scratch_free(senti__tf_scratch *s);
/* Added for tests and benchmarks: run this scratch's passes on kernel variant kt (default
 * senti__kernels_get()); kt must be supported by the CPU. */
void senti__tf_scratch_use(senti__tf_scratch *s, const senti__kernels *kt);
/* Added: split each product of a pass on >= 32 rows by columns, and attention by heads, over
 * `threads` threads (1 to 16; default 1: the pass runs on the caller's thread alone). For a
 * lone long text on idle cores; a batch is better spread by texts. Threads are started and
 * joined per product; the logits are the same bits for any count. */
void senti__tf_scratch_threads(senti__tf_scratch *s, size_t threads);
/* The logits of n texts given as rows of `word` (already framed, mapped and cut: 1 <=
 * lens[i] <= m->max_tokens): logits[i * n_labels + j]. The texts are computed together
 * (packed); results do not depend on which other texts share the call (bit for bit).
 * SENTI_ENOMEM; SENTI_ERANGE if a length is 0 or above max_tokens (or the position table) or
 * a row is outside `word` (then logits are not written). n == 0 is a no-op. */
int senti__tf_forward(const senti__tf *m, senti__tf_scratch *s, const int32_t *const *rows,
                      const size_t *lens, size_t n, float *logits);

/* The loader (load.c): the model's memory, everything but the file's own bytes. */
void senti__tf_free(senti__tf *m);

#endif
