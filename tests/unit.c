#include "unit.h"
#include <string.h>

int unit_failed;

static int run_one(const unit_test_t *t) {
    unit_failed = 0;
    t->fn();
    printf("%s %s\n", unit_failed ? "FAIL" : "ok  ", t->name);
    fflush(stdout);
    return !unit_failed;
}

int unit_main(int argc, char **argv, const unit_test_t *tests) {
    int passed = 0, failed = 0;
    if (argc > 1 && strcmp(argv[1], "--list") == 0) {
        for (const unit_test_t *t = tests; t->name; t++) printf("%s\n", t->name);
        return 0;
    }
    for (const unit_test_t *t = tests; t->name; t++) {
        int want = argc <= 1;
        for (int i = 1; i < argc && !want; i++) want = strcmp(argv[i], t->name) == 0;
        if (!want) continue;
        if (run_one(t)) passed++; else failed++;
    }
    if (argc > 1 && passed + failed == 0) {
        fprintf(stderr, "no test named %s\n", argv[1]);
        return 2;
    }
    printf("%d passed, %d failed\n", passed, failed);
    return failed ? 1 : 0;
}
