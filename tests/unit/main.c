/* Runs the registered unit tests: all of them, or those whose name contains argv[1]. */
#include <stdlib.h>
#include <unistd.h>

#include "../harness.h"

static test_case *head;

void test_register(test_case *t) {
    t->next = head;
    head = t;
}

const char *test_data_dir(void) {
    const char *d = getenv("SENTI_DATA_DIR");
    return d && *d ? d : "../shared/data";
}

int test_data_has(const char *rel) {
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", test_data_dir(), rel);
    return access(path, R_OK) == 0;
}

int main(int argc, char **argv) {
    /* constructors push in reverse order; restore file order */
    test_case *rev = NULL;
    while (head) {
        test_case *n = head->next;
        head->next = rev;
        rev = head;
        head = n;
    }
    int passed = 0, failed = 0, skipped = 0;
    for (test_case *t = rev; t; t = t->next) {
        if (argc > 1 && !strstr(t->name, argv[1])) continue;
        int f = 0;
        t->fn(&f);
        if (f < 0) {
            skipped++;
            fprintf(stderr, "skip %s\n", t->name);
        } else if (f) {
            failed++;
            fprintf(stderr, "FAIL %s\n", t->name);
        } else {
            passed++;
            if (getenv("TEST_VERBOSE")) fprintf(stderr, "ok   %s\n", t->name);
        }
    }
    printf("unit: %d passed, %d failed, %d skipped\n", passed, failed, skipped);
    return failed ? 1 : 0;
}
