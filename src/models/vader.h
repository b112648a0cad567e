/*
 * vader.h - test hooks into the vader model kind (src/models/vader.c). The model itself is
 * reached through senti_model_open("vader:PATH") / senti__vader_open (internal.h).
 */
#ifndef SENTI_MODELS_VADER_H
#define SENTI_MODELS_VADER_H

#include <stddef.h>

#include "senti.h"

/* The reference's "but" rule on s[0..n) with the "but" at bi: method 0 the direct (quadratic)
 * emulation of list.index(), 1 the heap-based one. Returns a senti_status. */
int senti__vader_but_rule(double *s, size_t n, size_t bi, int method);
/* Python's round(x, nd), 0 <= nd <= 4. */
double senti__vader_round(double x, int nd);
/* senti_predict without the ASCII fast path (the general tokenizer for every text), so that
 * tests can compare the two. */
int senti__vader_predict_general(const senti_model *m, const char *text, size_t len,
                                 senti_result *out);
/* 1 if the code point is whitespace for Python's str.split(). */
int senti__vader_is_space(unsigned cp);

#endif
