/* clock.c - the one monotonic clock, for durations, deadlines and benchmarks. */
#include <time.h>

#include "base/base.h"

uint64_t senti__now_ns(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
}

double senti__now_s(void) { return (double)senti__now_ns() * 1e-9; }
