/*
 * tf_import.h - `senti model import`: a transformer classifier written as one senti model file
 * (the format of src/models/transformer/load.h), from a Hugging Face checkpoint folder or from
 * the tiny pre-LN SST-2 model of ../shared/data/tiny-transformer. Tools layer: only the
 * programs write models.
 */
#ifndef SENTI_TOOLS_TF_IMPORT_H
#define SENTI_TOOLS_TF_IMPORT_H

#include <stddef.h>

typedef enum senti__tf_dtype { SENTI__TFW_F32, SENTI__TFW_F16, SENTI__TFW_INT8 } senti__tf_dtype;

typedef struct senti__tf_import_opts {
    senti__tf_dtype dtype;
    const char *labels;  /* NULL, or "neg,neu,pos": new names for the labels, in order */
    size_t max_tokens;   /* 0: as many as the positions allow */
} senti__tf_import_opts;

/* A Hugging Face folder (config.json, model.safetensors, tokenizer files) to out. The file
 * written is opened once more to check it; errors name the file and the reason. */
int senti__tf_import_hf(const char *dir, const char *out, const senti__tf_import_opts *o, char *err,
                        size_t err_size);
/* The tiny model folder (manifest.tsv, weights_f32le.bin, config.json, vocab_mapping.json)
 * with the WordPiece vocabulary folder vocab_dir (vocab.txt) to out (arch preln, id_map). */
int senti__tf_import_tiny(const char *dir, const char *vocab_dir, const char *out,
                          const senti__tf_import_opts *o, char *err, size_t err_size);

#endif
