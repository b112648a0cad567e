/*
 * harness.h - a small test harness: TEST(name) { ... } registers itself; ASSERT_* report
 * both values and stop the test. tests/unit/main.c runs all tests, or those whose name
 * contains argv[1], and prints "N passed, N failed, N skipped".
 */
#ifndef SENTI_HARNESS_H
#define SENTI_HARNESS_H

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

typedef struct test_case {
    const char *name;
    void (*fn)(int *failed);
    struct test_case *next;
} test_case;

void test_register(test_case *t);

#define TEST(name)                                                              \
    static void test_fn_##name(int *test_failed_);                              \
    static test_case test_case_##name = {#name, test_fn_##name, NULL};          \
    __attribute__((constructor)) static void test_reg_##name(void) {           \
        test_register(&test_case_##name);                                       \
    }                                                                           \
    static void test_fn_##name(int *test_failed_)

#define TEST_FAIL_(...)                                                         \
    do {                                                                        \
        fprintf(stderr, "    %s:%d: ", __FILE__, __LINE__);                     \
        fprintf(stderr, __VA_ARGS__);                                           \
        fputc('\n', stderr);                                                    \
        *test_failed_ = 1;                                                      \
        return;                                                                 \
    } while (0)

#define ASSERT(c)                                                               \
    do { if (!(c)) TEST_FAIL_("assertion failed: %s", #c); } while (0)
#define ASSERT_EQ(a, b)                                                         \
    do {                                                                        \
        long long a_ = (long long)(a), b_ = (long long)(b);                     \
        if (a_ != b_) TEST_FAIL_("%s == %s: %lld != %lld", #a, #b, a_, b_);     \
    } while (0)
#define ASSERT_U64(a, b)                                                        \
    do {                                                                        \
        uint64_t a_ = (uint64_t)(a), b_ = (uint64_t)(b);                        \
        if (a_ != b_)                                                           \
            TEST_FAIL_("%s == %s: 0x%016" PRIx64 " != 0x%016" PRIx64, #a, #b, a_, b_); \
    } while (0)
#define ASSERT_STR(a, b)                                                        \
    do {                                                                        \
        const char *a_ = (a), *b_ = (b);                                        \
        if (!a_ || !b_ || strcmp(a_, b_) != 0)                                  \
            TEST_FAIL_("%s == %s: \"%s\" != \"%s\"", #a, #b, a_ ? a_ : "(null)", \
                       b_ ? b_ : "(null)");                                     \
    } while (0)
#define ASSERT_NEAR(a, b, tol)                                                  \
    do {                                                                        \
        double a_ = (double)(a), b_ = (double)(b);                              \
        if (!(a_ - b_ <= (tol) && b_ - a_ <= (tol)))                            \
            TEST_FAIL_("%s ~= %s: %.9g vs %.9g (tol %g)", #a, #b, a_, b_, (double)(tol)); \
    } while (0)

/* Where ../shared/data is (SENTI_DATA_DIR, default "../shared/data"). */
const char *test_data_dir(void);
/* 1 if test_data_dir()/rel can be read. */
int test_data_has(const char *rel);

/* Skip the test (counted as skipped, not failed) when a file of the shared data is absent:
 * the unit tests also run where ../shared/data is not beside the checkout. */
#define REQUIRE_DATA(rel)                                                       \
    do {                                                                        \
        if (!test_data_has(rel)) {                                              \
            fprintf(stderr, "    skip: %s/%s is absent (set SENTI_DATA_DIR)\n",  \
                    test_data_dir(), rel);                                      \
            *test_failed_ = -1;                                                 \
            return;                                                             \
        }                                                                       \
    } while (0)

#endif
