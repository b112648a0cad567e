/*
 * forward.c - the transformer kind's forward pass: token rows in, logits out, for the four
 * encoder layouts of tf.h (BERT, DistilBERT, RoBERTa post-LN; the tiny pre-LN model), in f32
 * or int8, on the kernel layer (src/kernels).
 *
 * Packing. The n texts of a call are never padded: their rows are stacked into one matrix of
 * R = sum(lens) rows by `hidden` columns (x, the residual stream). Every linear layer (q, k,
 * v, o, ff1, ff2) is one product over all R rows, so a batch of short texts makes products as
 * tall as one long text and no work goes to padding. Attention is the only step that looks
 * across rows, and it runs text by text and head by head: scores = Q_h K_h^T (one f32 product
 * reading the head's columns in place through the leading dimension), times 1/sqrt(d_head),
 * softmax per row, then scores . V_h with V_h transposed once into scratch (the f32 product
 * wants its right-hand side as rows), written straight into the head's columns of the context.
 * The feed-forward runs in blocks of FF_BLOCK rows, so its [rows x ff] intermediate stays
 * small (and in cache) whatever the batch.
 *
 * Numbers. A linear layer with f32 weights is kernels->matmul with its bias. One with int8
 * weights (packed per output channel at load) quantizes its input dynamically, each row with
 * its own scale (kernels->quantize_row: symmetric, max|x| / 127), and runs kernels->qmatmul,
 * whose epilogue applies both scales and the bias in f32; q, k and v share one quantization
 * of their common input. Everything else is f32: embeddings (F32, F16 or I8-with-row-scale
 * tables, one row converted per lookup), layer norms, softmax, GELU / ReLU, residual adds,
 * the pooler's activation.
 *
 * Independence of the batch. A text's logits are the same bits whoever shares the call: the
 * attention products are per text, the row kernels per row, the int8 product's rows never
 * depend on M, and neither do the f32 product's - except that the AVX-512 product sums in
 * another order when it gets >= SENTI_KERNELS_MM_PACK_M rows of K <= SENTI_KERNELS_MM_PACK_K
 * (kernels.h). Linear layers that narrow (small models) are therefore run in slices of fewer
 * rows, which only the tiny models pay for; the tests compare packed and one-at-a-time bit
 * for bit.
 *
 * Threads. A pass runs on the caller's thread: the batch layer spreads texts over threads,
 * each with its own scratch. For a lone long text on idle cores, senti__tf_scratch_threads(s,
 * T) splits every product of >= SPLIT_MIN_ROWS rows by output columns (whole int8 tiles of 64)
 * and attention by heads over T threads, started and joined per product (tens of
 * microseconds against milliseconds of work); row kernels stay on the caller's thread. Column
 * and head splits change no bit of the result.
 *
 * Scratch grows to the largest call seen and is reused; the model is read only. Nothing here
 * prints or aborts; a thread that cannot be started has its part run by the caller.
 */
#include <math.h>
#include <pthread.h>
#include <string.h>

#include "base/base.h"
#include "models/transformer/tf.h"

enum { FF_BLOCK = 128, ROW_BLOCK = 128, MAX_THREADS = 16, SPLIT_MIN_ROWS = 32 };

struct senti__tf_scratch {
    const senti__kernels *kt;
    size_t rows, len, texts;       /* capacities: packed rows, longest text, texts */
    float *x, *a, *q, *k, *v, *c;  /* rows x hidden */
    float *f;                      /* FF_BLOCK x ff */
    float *sc, *vt;                /* per thread: len x len scores; d_head x len transposed V */
    size_t threads;                /* products split by columns over this many (1: none) */
    int8_t *qa;                    /* quantized activations: rows x max(hidden, ff) */
    float *qs;                     /* their row scales */
    float *e;                      /* one embedding row */
    float *p0, *p1;                /* texts x hidden: first rows, pooled */
    const float *qa_src;           /* the matrix qa holds, NULL if none */
    size_t qa_cols;
};

/* ---- scratch ----------------------------------------------------------------------------- */

static int mul_ok(size_t a, size_t b, size_t *out) {
    if (b && a > SIZE_MAX / b) return 0;
    *out = a * b;
    return 1;
}

/* (re)allocate *p for count elements of size; 0 or -1 */
static int regrow(void **p, size_t count, size_t size) {
    size_t n;
    if (!mul_ok(count, size, &n)) return -1;
    senti__free(*p);
    *p = senti__malloc(n ? n : 1);
    return *p ? 0 : -1;
}

static size_t max3(size_t a, size_t b, size_t c) {
    size_t m = a > b ? a : b;
    return m > c ? m : c;
}

/* room for R packed rows, texts of up to L rows, n texts (n <= R: each text has a row) */
static int reserve(const senti__tf *m, senti__tf_scratch *s, size_t R, size_t L, size_t n) {
    size_t H = m->hidden, dh = H / m->heads, wide = max3(H, m->ff, m->pool.out);
    if (R > s->rows) {
        size_t rows = R < s->rows * 2 ? s->rows * 2 : R, qrows = rows > FF_BLOCK ? rows : FF_BLOCK;
        size_t hr, fr;
        float **bufs[] = {&s->x, &s->a, &s->q, &s->k, &s->v, &s->c};
        if (!mul_ok(rows, H, &hr) || !mul_ok(qrows, wide, &fr)) return -1;
        s->rows = 0;
        for (size_t i = 0; i < sizeof bufs / sizeof bufs[0]; i++)
            if (regrow((void **)bufs[i], hr, sizeof(float))) return -1;
        /* qa: all rows of a product's input (the pooler's n rows included), or a block of
         * the feed-forward's */
        if (regrow((void **)&s->qa, fr, 1) || regrow((void **)&s->qs, qrows, sizeof(float)))
            return -1;
        s->rows = rows;
        s->qa_src = NULL;
    }
    if (L > s->len) {
        size_t dl, ll, llt, dlt;
        s->len = 0;
        if (!mul_ok(L, L, &ll) || !mul_ok(ll, s->threads, &llt) || !mul_ok(dh, L, &dl) ||
            !mul_ok(dl, s->threads, &dlt) || regrow((void **)&s->sc, llt, sizeof(float)) ||
            regrow((void **)&s->vt, dlt, sizeof(float)))
            return -1;
        s->len = L;
    }
    if (n > s->texts) {
        size_t nt = n < s->texts * 2 ? s->texts * 2 : n, nw;
        s->texts = 0;
        if (!mul_ok(nt, wide, &nw) || regrow((void **)&s->p0, nw, sizeof(float)) ||
            regrow((void **)&s->p1, nw, sizeof(float)))
            return -1;
        s->texts = nt;
    }
    return 0;
}

/* the shapes forward relies on; the loader checks them too */
static int shapes_ok(const senti__tf *m) {
    size_t H = m->hidden;
    if (!H || !m->heads || H % m->heads || !m->ff || !m->n_labels || !m->layers) return 0;
    if (m->word.dim != H || m->pos.dim != H || (m->type.rows && m->type.dim != H)) return 0;
    for (size_t l = 0; l < m->n_layers; l++) {
        const senti__tf_layer *y = &m->layers[l];
        if (y->q.in != H || y->q.out != H || y->k.in != H || y->k.out != H || y->v.in != H ||
            y->v.out != H || y->o.in != H || y->o.out != H || y->ff1.in != H ||
            y->ff1.out != m->ff || y->ff2.in != m->ff || y->ff2.out != H)
            return 0;
    }
    return m->pool.in == H && m->cls.in == m->pool.out && m->cls.out == m->n_labels;
}

int senti__tf_scratch_new(const senti__tf *m, senti__tf_scratch **out) {
    *out = NULL;
    if (!shapes_ok(m)) return SENTI_EINVAL;
    senti__tf_scratch *s = senti__calloc(1, sizeof *s);
    if (!s) return SENTI_ENOMEM;
    s->kt = senti__kernels_get();
    s->threads = 1;
    if (regrow((void **)&s->e, m->hidden, sizeof(float)) ||
        regrow((void **)&s->f, (size_t)FF_BLOCK * m->ff, sizeof(float))) {
        senti__tf_scratch_free(s);
        return SENTI_ENOMEM;
    }
    *out = s;
    return 0;
}

void senti__tf_scratch_use(senti__tf_scratch *s, const senti__kernels *kt) { s->kt = kt; }

void senti__tf_scratch_threads(senti__tf_scratch *s, size_t threads) {
    threads = threads < 1 ? 1 : threads > MAX_THREADS ? MAX_THREADS : threads;
    if (threads > s->threads) s->len = 0; /* per-thread attention buffers: regrown */
    s->threads = threads;
}

void senti__tf_scratch_free(senti__tf_scratch *s) {
    if (!s) return;
    void *bufs[] = {s->x, s->a, s->q, s->k, s->v, s->c, s->f, s->sc, s->vt, s->qa, s->qs,
                    s->e, s->p0, s->p1};
    for (size_t i = 0; i < sizeof bufs / sizeof bufs[0]; i++) senti__free(bufs[i]);
    senti__free(s);
}

/* ---- embeddings -------------------------------------------------------------------------- */

/* out = row r of e as f32 */
static void embed_row(const senti__tf_embed *e, size_t r, float *out) {
    size_t d = e->dim;
    if (e->dtype == SENTI__DT_F32) {
        memcpy(out, (const float *)e->data + r * d, d * sizeof *out);
    } else if (e->dtype == SENTI__DT_F16) {
        const unsigned char *p = (const unsigned char *)e->data + r * d * 2;
        for (size_t j = 0; j < d; j++) /* little-endian, possibly unaligned in a file */
            out[j] = senti__f16_to_f32((uint16_t)(p[2 * j] | p[2 * j + 1] << 8));
    } else {
        const int8_t *p = (const int8_t *)e->data + r * d;
        float sc = e->scale[r];
        for (size_t j = 0; j < d; j++) out[j] = (float)p[j] * sc;
    }
}

/* x rows of text t: word + type[0] + position (HF's order), then the embedding LayerNorm */
static void embed(const senti__tf *m, senti__tf_scratch *s, const int32_t *ids, size_t len,
                  float *x) {
    const senti__kernels *kt = s->kt;
    size_t H = m->hidden;
    for (size_t i = 0; i < len; i++) {
        float *row = x + i * H;
        embed_row(&m->word, (size_t)ids[i], row);
        if (m->type.rows) {
            embed_row(&m->type, 0, s->e);
            kt->add(row, row, s->e, H);
        }
        embed_row(&m->pos, m->pos_offset + i, s->e);
        kt->add(row, row, s->e, H);
        if (m->emb_ln_g) kt->layernorm(row, row, H, m->emb_ln_g, m->emb_ln_b, m->eps);
    }
}

/* ---- splitting over threads ------------------------------------------------------------ */

/* A part of a product (columns [n0, n1) of y = x W^T + b) or of attention (heads [h0, h1)). */
typedef struct job {
    void (*fn)(struct job *);
    const senti__tf *m;
    senti__tf_scratch *s;
    const senti__tf_linear *l;
    const float *x;
    float *y;
    size_t M, n0, n1;
    const size_t *lens;
    size_t n, h0, h1;
    float *sc, *vt;
} job;

static void *job_main(void *p) {
    job *j = p;
    j->fn(j);
    return NULL;
}

/* jobs 1.. on threads of their own, job 0 on this one; a thread that cannot start (no
 * resources) has its job run here, so the result is the same either way */
static void run_jobs(job *jobs, size_t n) {
    pthread_t tid[MAX_THREADS];
    int started[MAX_THREADS] = {0};
    for (size_t t = 1; t < n; t++)
        started[t] = pthread_create(&tid[t], NULL, job_main, &jobs[t]) == 0;
    jobs[0].fn(&jobs[0]);
    for (size_t t = 1; t < n; t++) {
        if (started[t])
            pthread_join(tid[t], NULL);
        else
            jobs[t].fn(&jobs[t]);
    }
}

/* ---- linear layers ----------------------------------------------------------------------- */

/* columns [n0, n1) of a linear layer, in blocks of ROW_BLOCK rows so that the block of input
 * the kernel re-reads for every few columns stays in L2 while the weights stream through
 * once per block (a whole batch of rows would be re-read from memory instead); int8 from the
 * quantized rows in s->qa */
static void linear_cols(job *j) {
    const senti__kernels *kt = j->s->kt;
    const senti__tf_linear *l = j->l;
    size_t K = l->in, N = l->out, w = j->n1 - j->n0;
    /* narrow f32 products in slices the AVX-512 kernel always sums the same way (essay) */
    size_t step = l->q.p || K > SENTI_KERNELS_MM_PACK_K ? ROW_BLOCK : SENTI_KERNELS_MM_PACK_M - 1;
    for (size_t r = 0; r < j->M; r += step) {
        size_t mr = j->M - r < step ? j->M - r : step;
        if (l->q.p)
            kt->qmatmul(mr, j->s->qa + r * K, K, j->s->qs + r, &l->q, j->n0, j->n1, l->b,
                        j->y + r * N, N);
        else
            kt->matmul(mr, w, K, j->x + r * K, K, l->w + j->n0 * K, K, l->b ? l->b + j->n0 : NULL,
                       j->y + r * N + j->n0, N);
    }
}

/* y[M x out] = x[M x in] W^T + b, split by columns over s->threads for tall inputs. int8: x
 * is quantized into s->qa unless it is already there (reuse: the caller has not written x
 * since its last quantization). Column splits never change a bit (kernels.h). */
static void linear(senti__tf_scratch *s, const senti__tf_linear *l, const float *x, size_t M,
                   float *y, int reuse) {
    size_t K = l->in, T = M >= SPLIT_MIN_ROWS ? s->threads : 1, n = 0;
    if (l->q.p && !(reuse && s->qa_src == x && s->qa_cols == K))
        for (size_t r = 0; r < M; r++) s->kt->quantize_row(x + r * K, K, s->qa + r * K, s->qs + r);
    if (l->q.p || !reuse) {
        s->qa_src = l->q.p ? x : NULL;
        s->qa_cols = K;
    }
    size_t per = ((l->out + T - 1) / T + 63) / 64 * 64; /* whole int8 tiles per thread */
    job jobs[MAX_THREADS];
    for (size_t n0 = 0; n0 < l->out && n < MAX_THREADS; n0 += per)
        jobs[n++] = (job){.fn = linear_cols, .s = s, .l = l, .x = x, .y = y, .M = M, .n0 = n0,
                          .n1 = l->out - n0 < per ? l->out : n0 + per};
    run_jobs(jobs, n);
}

static void activate(const senti__kernels *kt, senti__tf_act act, float *y, size_t n) {
    switch (act) {
    case SENTI__TF_GELU: kt->gelu(y, y, n); break;
    case SENTI__TF_GELU_TANH: kt->gelu_tanh(y, y, n); break;
    case SENTI__TF_TANH: kt->tanh(y, y, n); break;
    case SENTI__TF_RELU:
        for (size_t i = 0; i < n; i++) y[i] = y[i] > 0.0f ? y[i] : 0.0f;
        break;
    }
}

/* ---- attention --------------------------------------------------------------------------- */

/* s->c rows [r0, r0 + L), heads [h0, h1) = softmax(Q_h K_h^T / sqrt(d_head)) V_h; sc and vt
 * are this thread's scores and transposed V */
static void attend(const senti__tf *m, senti__tf_scratch *s, size_t r0, size_t L, size_t h0,
                   size_t h1, float *sc, float *vt) {
    const senti__kernels *kt = s->kt;
    size_t H = m->hidden, dh = H / m->heads;
    float inv = (float)(1.0 / sqrt((double)dh));
    for (size_t h = h0; h < h1; h++) {
        const float *Q = s->q + r0 * H + h * dh, *K = s->k + r0 * H + h * dh;
        const float *V = s->v + r0 * H + h * dh;
        kt->matmul(L, L, dh, Q, H, K, H, NULL, sc, L);
        for (size_t i = 0; i < L; i++) {
            kt->scale(sc + i * L, sc + i * L, inv, L);
            kt->softmax(sc + i * L, sc + i * L, L);
        }
        for (size_t j = 0; j < L; j++)
            for (size_t d = 0; d < dh; d++) vt[d * L + j] = V[j * H + d];
        kt->matmul(L, dh, L, sc, L, vt, L, NULL, s->c + r0 * H + h * dh, H);
    }
}

static void attend_heads(job *j) {
    for (size_t i = 0, r0 = 0; i < j->n; r0 += j->lens[i++])
        attend(j->m, j->s, r0, j->lens[i], j->h0, j->h1, j->sc, j->vt);
}

/* ---- layers ------------------------------------------------------------------------------ */

/* q, k, v of in (R rows), attention per text (heads split over threads) into s->c, o into out */
static void self_attention(const senti__tf *m, senti__tf_scratch *s, const senti__tf_layer *y,
                           const float *in, const size_t *lens, size_t n, size_t R, float *out) {
    size_t T = R >= SPLIT_MIN_ROWS ? s->threads : 1, per = (m->heads + T - 1) / T, nj = 0;
    size_t dh = m->hidden / m->heads;
    job jobs[MAX_THREADS];
    linear(s, &y->q, in, R, s->q, 0);
    linear(s, &y->k, in, R, s->k, 1);
    linear(s, &y->v, in, R, s->v, 1);
    for (size_t h0 = 0; h0 < m->heads; h0 += per, nj++)
        jobs[nj] = (job){.fn = attend_heads, .m = m, .s = s, .lens = lens, .n = n, .h0 = h0,
                         .h1 = m->heads - h0 < per ? m->heads : h0 + per,
                         .sc = s->sc + nj * s->len * s->len, .vt = s->vt + nj * dh * s->len};
    run_jobs(jobs, nj);
    linear(s, &y->o, s->c, R, out, 0);
}

/* out rows [r0, r0 + M) = FF2(act(FF1(in rows))) */
static void feed_forward(const senti__tf *m, senti__tf_scratch *s, const senti__tf_layer *y,
                         const float *in, size_t M, float *out) {
    linear(s, &y->ff1, in, M, s->f, 0);
    activate(s->kt, m->act, s->f, M * m->ff);
    linear(s, &y->ff2, s->f, M, out, 0);
}

static void layer_post_ln(const senti__tf *m, senti__tf_scratch *s, const senti__tf_layer *y,
                          const size_t *lens, size_t n, size_t R) {
    const senti__kernels *kt = s->kt;
    size_t H = m->hidden;
    self_attention(m, s, y, s->x, lens, n, R, s->a);
    for (size_t r = 0; r < R; r++) {
        float *x = s->x + r * H;
        kt->add(x, x, s->a + r * H, H);
        kt->layernorm(x, x, H, y->ln1_g, y->ln1_b, m->eps);
    }
    for (size_t r0 = 0; r0 < R; r0 += FF_BLOCK) {
        size_t M = R - r0 < FF_BLOCK ? R - r0 : FF_BLOCK;
        feed_forward(m, s, y, s->x + r0 * H, M, s->a + r0 * H);
        for (size_t r = r0; r < r0 + M; r++) {
            float *x = s->x + r * H;
            kt->add(x, x, s->a + r * H, H);
            kt->layernorm(x, x, H, y->ln2_g, y->ln2_b, m->eps);
        }
    }
}

static void layer_pre_ln(const senti__tf *m, senti__tf_scratch *s, const senti__tf_layer *y,
                         const size_t *lens, size_t n, size_t R) {
    const senti__kernels *kt = s->kt;
    size_t H = m->hidden;
    for (size_t r = 0; r < R; r++)
        kt->layernorm(s->a + r * H, s->x + r * H, H, y->ln1_g, y->ln1_b, m->eps);
    self_attention(m, s, y, s->a, lens, n, R, s->q);
    kt->add(s->x, s->x, s->q, R * H);
    for (size_t r0 = 0; r0 < R; r0 += FF_BLOCK) {
        size_t M = R - r0 < FF_BLOCK ? R - r0 : FF_BLOCK;
        for (size_t r = r0; r < r0 + M; r++)
            kt->layernorm(s->a + r * H, s->x + r * H, H, y->ln2_g, y->ln2_b, m->eps);
        feed_forward(m, s, y, s->a + r0 * H, M, s->c + r0 * H);
        kt->add(s->x + r0 * H, s->x + r0 * H, s->c + r0 * H, M * H);
    }
}

/* ---- the pass ---------------------------------------------------------------------------- */

/* R = sum of lens, L = the longest; SENTI_ERANGE for a length or row outside the model */
static int check_input(const senti__tf *m, const int32_t *const *rows, const size_t *lens,
                       size_t n, size_t *R, size_t *L) {
    size_t max = m->pos.rows > m->pos_offset ? m->pos.rows - m->pos_offset : 0;
    if (m->max_tokens < max) max = m->max_tokens;
    *R = *L = 0;
    for (size_t i = 0; i < n; i++) {
        if (lens[i] < 1 || lens[i] > max || *R > SIZE_MAX - lens[i]) return SENTI_ERANGE;
        for (size_t j = 0; j < lens[i]; j++)
            if (rows[i][j] < 0 || (size_t)rows[i][j] >= m->word.rows) return SENTI_ERANGE;
        *R += lens[i];
        if (lens[i] > *L) *L = lens[i];
    }
    return 0;
}

int senti__tf_forward(const senti__tf *m, senti__tf_scratch *s, const int32_t *const *rows,
                      const size_t *lens, size_t n, float *logits) {
    size_t R, L, H = m->hidden;
    int rc = check_input(m, rows, lens, n, &R, &L);
    if (rc || n == 0) return rc;
    if (reserve(m, s, R, L, n)) return SENTI_ENOMEM;
    s->qa_src = NULL;
    for (size_t i = 0, r0 = 0; i < n; r0 += lens[i++]) embed(m, s, rows[i], lens[i], s->x + r0 * H);
    for (size_t l = 0; l < m->n_layers; l++) {
        if (m->arch == SENTI__TF_PRELN)
            layer_pre_ln(m, s, &m->layers[l], lens, n, R);
        else
            layer_post_ln(m, s, &m->layers[l], lens, n, R);
    }
    for (size_t i = 0, r0 = 0; i < n; r0 += lens[i++])
        memcpy(s->p0 + i * H, s->x + r0 * H, H * sizeof(float));
    linear(s, &m->pool, s->p0, n, s->p1, 0);
    activate(s->kt, m->pool_act, s->p1, n * m->pool.out);
    linear(s, &m->cls, s->p1, n, logits, 0);
    return 0;
}
