/*
 * transformer_speed.c - speed of the transformer forward pass (src/models/transformer/
 * forward.c) on BERT-family shapes with random weights, no file and no tokenizer:
 * `make bench-transformer-engine` (build/bench-transformer-engine [--model distilbert|bert]
 * [--dtype f32|int8] [--lens 16,64,128] [--batch 32] [--seconds S] [--kernels NAME]
 * [--threads T]).
 *
 * Models: DistilBERT-base (6 layers) and BERT-base (12 layers): hidden 768, 12 heads, ff
 * 3072, vocabulary 30,522, 512 positions, 2 labels. f32: every linear layer f32, embeddings
 * f32. int8: every linear layer quantized per output channel (senti__qweights_quantize of
 * the same kind of random f32 weights), word embeddings I8 with row scales - what an int8
 * import holds.
 *
 * For each length: one text per call (batch 1: median and best ms per text over repeated
 * calls lasting >= S seconds, at least 3), and `batch` texts of that length per call
 * (texts/s from the median call). One thread, as the forward pass is by default; --threads T
 * splits each product over T (senti__tf_scratch_threads), and CPU time is then the caller's
 * thread only, so read wall time. Wall time and this thread's CPU time are both shown: on a machine others load, CPU time is the fairer one (it
 * leaves out the time the thread waited for a core, not the cache it lost). GFLOP/s counts
 * 2 M N K for every product: the six linear layers of each layer over all rows, the two
 * attention products per head and text (2 x 2 L^2 d_head), the pooler and classifier; "%
 * peak" divides it by the kernel's ceiling (docs/KERNELS.md: 115 GFLOP/s for vfmadd231ps zmm,
 * 456 GOP/s for vpdpbusd zmm on the machine this was written on; --peak-f32/--peak-int8 to
 * use the ones `make bench-kernels` measures alongside).
 */
#include <math.h>
#include <stdio.h>
#include <time.h>
#include <stdlib.h>
#include <string.h>

#include "base/base.h"
#include "models/transformer/tf.h"

typedef struct bench_opts {
    const char *model, *dtype, *kernels;
    size_t lens[8], nlens, batch, threads;
    double seconds, peak_f32, peak_int8;
} bench_opts;

static uint64_t brng = 88172645463325252ull;
static float brand(float r) {
    brng ^= brng << 13, brng ^= brng >> 7, brng ^= brng << 17;
    return ((float)(brng >> 40) / 16777216.0f * 2.0f - 1.0f) * r;
}

static float *rand_floats(size_t n, float r) {
    float *p = malloc(n * sizeof *p);
    if (!p) { fprintf(stderr, "out of memory\n"); exit(1); }
    for (size_t i = 0; i < n; i++) p[i] = brand(r);
    return p;
}

static float *ones_plus(size_t n) {
    float *p = rand_floats(n, 0.1f);
    for (size_t i = 0; i < n; i++) p[i] += 1.0f;
    return p;
}

/* a linear layer [out x in], f32 or quantized from random f32 rows */
static void make_linear(senti__tf_linear *l, size_t out, size_t in, int int8) {
    l->out = out;
    l->in = in;
    float *w = rand_floats(out * in, 1.0f / sqrtf((float)in));
    l->b = rand_floats(out, 0.05f);
    if (!int8) { l->w = w; return; }
    if (senti__qweights_quantize(&l->q, w, out, in, in)) { fprintf(stderr, "out of memory\n"); exit(1); }
    free(w);
}

static void make_model(senti__tf *m, size_t layers, int int8) {
    size_t H = 768, FF = 3072, V = 30522;
    memset(m, 0, sizeof *m);
    m->arch = layers == 6 ? SENTI__TF_DISTILBERT : SENTI__TF_BERT;
    m->act = SENTI__TF_GELU;
    m->pool_act = layers == 6 ? SENTI__TF_RELU : SENTI__TF_TANH;
    m->n_layers = layers, m->hidden = H, m->heads = 12, m->ff = FF, m->n_labels = 2;
    m->eps = 1e-12f;
    m->word = (senti__tf_embed){V, H, SENTI__DT_F32, NULL, NULL};
    if (int8) {
        int8_t *q = malloc(V * H);
        for (size_t i = 0; q && i < V * H; i++) q[i] = (int8_t)(brand(127.0f));
        m->word.dtype = SENTI__DT_I8, m->word.data = q, m->word.scale = ones_plus(V);
    } else {
        m->word.data = rand_floats(V * H, 1.0f);
    }
    m->pos = (senti__tf_embed){512, H, SENTI__DT_F32, rand_floats(512 * H, 1.0f), NULL};
    if (layers != 6) m->type = (senti__tf_embed){2, H, SENTI__DT_F32, rand_floats(2 * H, 1.0f), NULL};
    m->emb_ln_g = ones_plus(H), m->emb_ln_b = rand_floats(H, 0.1f);
    m->layers = calloc(layers, sizeof *m->layers);
    for (size_t l = 0; l < layers; l++) {
        senti__tf_layer *y = &m->layers[l];
        make_linear(&y->q, H, H, int8), make_linear(&y->k, H, H, int8);
        make_linear(&y->v, H, H, int8), make_linear(&y->o, H, H, int8);
        make_linear(&y->ff1, FF, H, int8), make_linear(&y->ff2, H, FF, int8);
        y->ln1_g = ones_plus(H), y->ln1_b = rand_floats(H, 0.1f);
        y->ln2_g = ones_plus(H), y->ln2_b = rand_floats(H, 0.1f);
    }
    make_linear(&m->pool, H, H, int8);
    make_linear(&m->cls, 2, H, int8);
    m->max_tokens = 512;
}

static void free_linear(senti__tf_linear *l) {
    free((void *)l->w), free((void *)l->b);
    senti__qweights_free(&l->q);
}

static void free_model(senti__tf *m) {
    for (size_t l = 0; l < m->n_layers; l++) {
        senti__tf_layer *y = &m->layers[l];
        senti__tf_linear *ls[] = {&y->q, &y->k, &y->v, &y->o, &y->ff1, &y->ff2};
        for (size_t i = 0; i < 6; i++) free_linear(ls[i]);
        free((void *)y->ln1_g), free((void *)y->ln1_b), free((void *)y->ln2_g), free((void *)y->ln2_b);
    }
    free_linear(&m->pool), free_linear(&m->cls);
    free((void *)m->word.data), free((void *)m->word.scale), free((void *)m->pos.data);
    free((void *)m->type.data), free((void *)m->emb_ln_g), free((void *)m->emb_ln_b);
    free(m->layers);
}

/* multiply-adds x 2 of one call on n texts of L tokens */
static double flops(const senti__tf *m, size_t n, size_t L) {
    double H = (double)m->hidden, R = (double)(n * L), per_layer;
    per_layer = 2 * R * H * (4 * H + 2 * (double)m->ff) + (double)n * 4 * (double)L * L * H;
    return (double)m->n_layers * per_layer + 2 * (double)n * H * (H + (double)m->n_labels);
}

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* this thread's CPU seconds: on a shared machine, the time it actually ran */
static double cpu_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* seconds per call of n texts of L tokens, over calls lasting >= secs: median and best wall
 * time, median CPU time */
static void time_calls(const senti__tf *m, senti__tf_scratch *s, size_t n, size_t L, double secs,
                       double *median, double *best, double *cpu) {
    int32_t *ids = malloc(n * L * sizeof *ids);
    const int32_t **rows = malloc(n * sizeof *rows);
    size_t *lens = malloc(n * sizeof *lens), cap = 4096, k = 0;
    float *logits = malloc(n * m->n_labels * sizeof *logits);
    double *t = malloc(2 * cap * sizeof *t), *c = t + cap, total = 0;
    for (size_t i = 0; i < n * L; i++) ids[i] = (int32_t)((brand(0.5f) + 0.5f) * 30000);
    for (size_t i = 0; i < n; i++) rows[i] = ids + i * L, lens[i] = L;
    senti__tf_forward(m, s, rows, lens, n, logits); /* warm: scratch, caches */
    while (k < cap && (k < 3 || total < secs)) {
        double t0 = senti__now_s(), c0 = cpu_s();
        if (senti__tf_forward(m, s, rows, lens, n, logits)) { fprintf(stderr, "forward failed\n"); exit(1); }
        t[k] = senti__now_s() - t0;
        c[k] = cpu_s() - c0;
        total += t[k++];
    }
    qsort(t, k, sizeof *t, cmp_double);
    qsort(c, k, sizeof *c, cmp_double);
    *median = t[k / 2], *best = t[0], *cpu = c[k / 2];
    free(ids), free(rows), free(lens), free(logits), free(t);
}

static void bench_model(const bench_opts *o, size_t layers, int int8) {
    senti__tf m;
    senti__tf_scratch *s = NULL;
    make_model(&m, layers, int8);
    if (senti__tf_scratch_new(&m, &s)) { fprintf(stderr, "scratch failed\n"); exit(1); }
    if (o->kernels) {
        const senti__kernels *kt = senti__kernels_by_name(o->kernels);
        if (!kt) { fprintf(stderr, "kernels %s: not available here\n", o->kernels); exit(2); }
        senti__tf_scratch_use(s, kt);
    }
    senti__tf_scratch_threads(s, o->threads);
    double peak = int8 ? o->peak_int8 : o->peak_f32;
    for (size_t i = 0; i < o->nlens; i++) {
        size_t L = o->lens[i];
        double med, best, cpu, bmed, bbest, bcpu;
        time_calls(&m, s, 1, L, o->seconds, &med, &best, &cpu);
        time_calls(&m, s, o->batch, L, o->seconds, &bmed, &bbest, &bcpu);
        double g1 = flops(&m, 1, L) / cpu * 1e-9, gb = flops(&m, o->batch, L) / bcpu * 1e-9;
        printf("%-10s %-4s %4zu | %7.2f %7.2f %7.2f %6.1f %4.0f%% | %7.1f %7.1f %6.1f %4.0f%%\n",
               layers == 6 ? "distilbert" : "bert", int8 ? "int8" : "f32", L, med * 1e3,
               best * 1e3, cpu * 1e3, g1, 100 * g1 / peak, (double)o->batch / bmed,
               (double)o->batch / bcpu, gb, 100 * gb / peak);
        fflush(stdout);
    }
    senti__tf_scratch_free(s);
    free_model(&m);
}

static size_t parse_lens(const char *s, size_t *lens) {
    size_t n = 0;
    while (*s && n < 8) {
        char *end;
        unsigned long v = strtoul(s, &end, 10);
        if (end == s || v < 1 || v > 512) { fprintf(stderr, "--lens: 1..512, comma-separated\n"); exit(2); }
        lens[n++] = v;
        s = *end == ',' ? end + 1 : end;
    }
    return n;
}

int main(int argc, char **argv) {
    bench_opts o = {NULL, NULL, NULL, {16, 64, 128}, 3, 32, 1, 2.0, 115.0, 456.0};
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!v) { fprintf(stderr, "%s: needs a value (see the top of bench/transformer_speed.c)\n", a); return 2; }
        if (!strcmp(a, "--model")) o.model = v;
        else if (!strcmp(a, "--dtype")) o.dtype = v;
        else if (!strcmp(a, "--kernels")) o.kernels = v;
        else if (!strcmp(a, "--lens")) o.nlens = parse_lens(v, o.lens);
        else if (!strcmp(a, "--batch")) o.batch = strtoul(v, NULL, 10);
        else if (!strcmp(a, "--seconds")) o.seconds = atof(v);
        else if (!strcmp(a, "--threads")) o.threads = strtoul(v, NULL, 10);
        else if (!strcmp(a, "--peak-f32")) o.peak_f32 = atof(v);
        else if (!strcmp(a, "--peak-int8")) o.peak_int8 = atof(v);
        else { fprintf(stderr, "unknown option %s\n", a); return 2; }
        i++;
    }
    if (o.batch < 1) o.batch = 1;
    printf("threads %zu, ", o.threads);
    printf("kernels %s; batch 1: ms per text (wall median, wall best, CPU median); batch %zu: "
           "texts/s (wall, CPU); GFLOP/s from CPU time and %% of peak (%.0f f32, %.0f int8)\n",
           o.kernels ? o.kernels : senti__kernels_get()->name, o.batch, o.peak_f32, o.peak_int8);
    printf("model      type  len |  wall ms    best  cpu ms GFLOP/s peak |  wall/s   cpu/s GFLOP/s peak\n");
    for (size_t layers = 6; layers <= 12; layers += 6) {
        if (o.model && strcmp(o.model, layers == 6 ? "distilbert" : "bert")) continue;
        for (int int8 = 0; int8 <= 1; int8++)
            if (!o.dtype || !strcmp(o.dtype, int8 ? "int8" : "f32")) bench_model(&o, layers, int8);
    }
    return 0;
}
