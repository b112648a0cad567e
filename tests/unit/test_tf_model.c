/*
 * test_tf_model.c - the transformer kind through the public API, on the tiny SST-2 model of
 * ../shared/data/tiny-transformer imported by the tools layer (senti__tf_import_tiny): the
 * truncation of a text to the model's positions (n_tokens, truncated), --max-tokens lowering it,
 * a batch (packed chunks over threads) equal bit for bit to one text at a time, labels and
 * values, and the hf: alias of the registry.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../harness.h"
#include "base/base.h"
#include "senti.h"
#include "tools/tf_import.h"

/* The tiny model imported as dtype into path (0 on success). */
static int import_tiny(senti__tf_dtype dtype, char *path, size_t size) {
    char tiny[512], vocab[512], err[512];
    snprintf(tiny, sizeof tiny, "%s/tiny-transformer", test_data_dir());
    snprintf(vocab, sizeof vocab, "%s/bert-base-uncased", test_data_dir());
    snprintf(path, size, "/tmp/senti-test-tf-%d-%d.safetensors", (int)getpid(), (int)dtype);
    senti__tf_import_opts o = {dtype, NULL, 0};
    int rc = senti__tf_import_tiny(tiny, vocab, path, &o, err, sizeof err);
    if (rc) fprintf(stderr, "    import: %s\n", err);
    return rc;
}

TEST(tf_model_truncation_and_max_tokens) {
    REQUIRE_DATA("tiny-transformer/weights_f32le.bin");
    REQUIRE_DATA("bert-base-uncased/vocab.txt");
    char path[256];
    ASSERT_EQ(import_tiny(SENTI__TFW_F32, path, sizeof path), 0);
    senti_model *m;
    char err[256];
    ASSERT_EQ(senti_model_open(path, NULL, &m, err, sizeof err), SENTI_OK);
    ASSERT_STR(senti_model_kind(m), "transformer");
    ASSERT_STR(senti_model_label(m, 1), "positive");
    ASSERT_STR(senti_model_value_name(m, 0), "logit_negative");
    senti_result r;
    ASSERT_EQ(senti_predict(m, NULL, "good film", 9, &r), SENTI_OK);
    ASSERT_EQ(r.n_tokens, 4); /* [CLS] good film [SEP] */
    ASSERT_EQ(r.truncated, 0);
    ASSERT_EQ(r.n_values, 2);
    ASSERT(r.score == r.probs[1]);
    char text[2000] = "";
    for (int i = 0; i < 100; i++) strcat(text, "bad ");
    ASSERT_EQ(senti_predict(m, NULL, text, strlen(text), &r), SENTI_OK);
    ASSERT_EQ(r.n_tokens, 64);
    ASSERT_EQ(r.truncated, 1);
    text[4 * 62] = 0; /* 62 words + [CLS] + [SEP]: exactly the positions, not cut */
    ASSERT_EQ(senti_predict(m, NULL, text, strlen(text), &r), SENTI_OK);
    ASSERT_EQ(r.n_tokens, 64);
    ASSERT_EQ(r.truncated, 0);
    senti_model_free(m);
    senti_options o = {0};
    o.max_tokens = 10;
    ASSERT_EQ(senti_model_open(path, &o, &m, err, sizeof err), SENTI_OK);
    ASSERT_EQ(senti_predict(m, NULL, text, strlen(text), &r), SENTI_OK);
    ASSERT_EQ(r.n_tokens, 10);
    ASSERT_EQ(r.truncated, 1);
    senti_model_free(m);
    o.max_tokens = 2; /* no room beside [CLS] and [SEP] */
    ASSERT_EQ(senti_model_open(path, &o, &m, err, sizeof err), SENTI_ERANGE);
    ASSERT(strstr(err, "special tokens") != NULL);
    remove(path);
}

TEST(tf_model_batch_equals_one_by_one) {
    REQUIRE_DATA("tiny-transformer/weights_f32le.bin");
    REQUIRE_DATA("bert-base-uncased/vocab.txt");
    static const char *const words[] = {"good", "bad", "not", "film", "dull", "wonderful", "the", "\xff"};
    for (int dt = SENTI__TFW_F32; dt <= SENTI__TFW_INT8; dt += SENTI__TFW_INT8 - SENTI__TFW_F32) {
        char path[256], err[256];
        ASSERT_EQ(import_tiny((senti__tf_dtype)dt, path, sizeof path), 0);
        senti_model *m;
        ASSERT_EQ(senti_model_open(path, NULL, &m, err, sizeof err), SENTI_OK);
        enum { N = 37 };
        char buf[N][400];
        senti_text texts[N];
        for (int i = 0; i < N; i++) {
            buf[i][0] = 0;
            for (int w = 0; w < (i * 7) % 90; w++) strcat(buf[i], words[(i + w * 3) % 8]), strcat(buf[i], " ");
            texts[i].ptr = buf[i];
            texts[i].len = strlen(buf[i]);
        }
        senti_result batch[N], one;
        for (int threads = 1; threads <= 3; threads++) {
            ASSERT_EQ(senti_predict_batch(m, texts, N, batch, threads), SENTI_OK);
            for (int i = 0; i < N; i++) {
                ASSERT_EQ(senti_predict(m, NULL, texts[i].ptr, texts[i].len, &one), SENTI_OK);
                ASSERT_EQ(batch[i].status, SENTI_OK);
                ASSERT_EQ(batch[i].label, one.label);
                ASSERT(memcmp(batch[i].probs, one.probs, sizeof one.probs) == 0);
                ASSERT(memcmp(batch[i].values, one.values, sizeof one.values) == 0);
                ASSERT_EQ(batch[i].n_tokens, one.n_tokens);
                ASSERT_EQ(batch[i].truncated, one.truncated);
            }
        }
        /* a NULL text of nonzero length fails alone, not the texts packed beside it */
        texts[5].ptr = NULL;
        ASSERT_EQ(senti_predict_batch(m, texts, N, batch, 1), SENTI_EINVAL);
        ASSERT_EQ(senti_predict_many(m, NULL, texts, N, batch), SENTI_EINVAL);
        for (int i = 0; i < N; i++) ASSERT_EQ(batch[i].status, i == 5 ? SENTI_EINVAL : SENTI_OK);
        senti_model_free(m);
        remove(path);
    }
}

TEST(tf_model_hf_alias) {
    senti_model *m;
    char err[256];
    /* hf: is the transformer kind's: a folder without config.json is its error, not "unknown kind" */
    ASSERT(senti_model_open("hf:/nonexistent-dir", NULL, &m, err, sizeof err) != SENTI_OK);
    ASSERT(strstr(err, "unknown model kind") == NULL);
    ASSERT(strstr(err, "/nonexistent-dir") != NULL);
    ASSERT(senti_model_open("hf:", NULL, &m, err, sizeof err) == SENTI_EINVAL);
}

TEST(tf_model_allocation_failures) {
    REQUIRE_DATA("tiny-transformer/weights_f32le.bin");
    REQUIRE_DATA("bert-base-uncased/vocab.txt");
    char path[256];
    ASSERT_EQ(import_tiny(SENTI__TFW_INT8, path, sizeof path), 0);
    /* fail the k-th allocation for every k until opening and scoring succeed */
    int ok = 0;
    long k = 0;
    for (; k < 5000 && !ok; k++) {
        senti__alloc_fail_after(k);
        senti_model *m = NULL;
        char err[256];
        int rc = senti_model_open(path, NULL, &m, err, sizeof err);
        if (rc == SENTI_OK) {
            senti_ctx *ctx = NULL;
            rc = senti_ctx_new(m, &ctx);
            senti_result r;
            if (rc == SENTI_OK) rc = senti_predict(m, ctx, "a good film", 11, &r);
            senti_text t[3] = {{"good", 4}, {"bad", 3}, {"", 0}};
            senti_result rs[3];
            if (rc == SENTI_OK) rc = senti_predict_batch(m, t, 3, rs, 2);
            ok = rc == SENTI_OK;
            senti_ctx_free(ctx);
        }
        senti__alloc_fail_after(-1);
        if (rc != SENTI_OK && rc != SENTI_ENOMEM && rc != SENTI_ETHREAD) TEST_FAIL_("k=%ld: status %d", k, rc);
        senti_model_free(m);
    }
    senti__alloc_fail_after(-1);
    remove(path);
    if (!ok) TEST_FAIL_("still failing after %ld allocations", k);
    if (getenv("TEST_VERBOSE")) fprintf(stderr, "    scoring succeeded from allocation %ld on\n", k);
    ASSERT(k > 20); /* the loop went through the loader's allocations, not just the first */
}
