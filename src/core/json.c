/*
 * json.c - a result as JSON object members. Labels and value names are written as they are:
 * senti__model_set_labels refuses any label JSON would have to escape, and value names are
 * the kinds' own literals.
 */
#include <string.h>

#include "core/core.h"

typedef struct jbuf {
    char *p;
    size_t size, len;
} jbuf;

static void jb_put(jbuf *b, const char *s, size_t n) {
    if (b->len < b->size) {
        size_t room = b->size - b->len;
        memcpy(b->p + b->len, s, n < room ? n : room);
    }
    b->len += n;
}
static void jb_str(jbuf *b, const char *s) { jb_put(b, s, strlen(s)); }
static void jb_num(jbuf *b, double v, int decimals) {
    char t[64];
    int n = senti__fmt_rounded(t, sizeof t, v, decimals);
    jb_put(b, t, (size_t)n);
}

SENTI_API size_t senti_result_json(const senti_model *m, const senti_result *r, char *buf,
                                   size_t size) {
    jbuf b = {buf, size, 0};
    if (!m || !r) {
        jb_str(&b, "\"error\":\"invalid argument\"");
    } else if (r->status != SENTI_OK) {
        jb_str(&b, "\"error\":\"");
        jb_str(&b, senti_strerror(r->status));
        jb_str(&b, "\"");
    } else {
        const char *label = senti_model_label(m, r->label);
        jb_str(&b, "\"label\":\"");
        jb_str(&b, label ? label : "");
        jb_str(&b, "\",\"score\":");
        jb_num(&b, r->score, 4);
        jb_str(&b, ",\"scores\":{");
        for (int i = 0; i < r->n_classes && i < m->n_classes; i++) {
            if (i) jb_put(&b, ",", 1);
            jb_put(&b, "\"", 1);
            jb_str(&b, m->labels[i]);
            jb_str(&b, "\":");
            jb_num(&b, r->probs[i], 4);
        }
        jb_put(&b, "}", 1);
        for (int i = 0; i < r->n_values && i < m->n_values; i++) {
            jb_str(&b, ",\"");
            jb_str(&b, m->value_names[i]);
            jb_str(&b, "\":");
            jb_num(&b, r->values[i], m->value_decimals[i]);
        }
    }
    if (size) buf[b.len < size ? b.len : size - 1] = 0;
    return b.len;
}
