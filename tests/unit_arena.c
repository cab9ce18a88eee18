/* arena: aligned, zeroed blocks that do not overlap, growth past a chunk,
 * sticky failure, one free. */
#include <stdint.h>
#include <string.h>
#include "core/arena.h"
#include "unit.h"

static void test_blocks_aligned_zeroed_disjoint(void) {
    arena_t *a = arena_create(4096);
    CHECK(a != NULL);
    unsigned char *p[40];
    size_t len[40];
    int ok = 1;
    for (int i = 0; i < 40; i++) {
        len[i] = (size_t)(i * 37 % 300) + (i == 7 ? 100000 : 0); /* one larger than a chunk */
        p[i] = arena_alloc(a, len[i], 1);
        ok &= p[i] != NULL && (uintptr_t)p[i] % ARENA_ALIGN == 0;
        for (size_t k = 0; ok && k < len[i]; k++) ok &= p[i][k] == 0;
        if (p[i]) memset(p[i], i + 1, len[i]);
    }
    /* each block still holds what was written to it: no overlap */
    for (int i = 0; ok && i < 40; i++)
        for (size_t k = 0; k < len[i]; k++) ok &= p[i][k] == (unsigned char)(i + 1);
    int zero_len_distinct = p[0] != NULL && arena_alloc(a, 0, 8) != arena_alloc(a, 0, 8);
    CHECK(arena_ok(a));
    CHECK(arena_used(a) >= 100000);
    arena_free(a);
    CHECK(ok);
    CHECK(zero_len_distinct);
}

static void test_failure_is_sticky(void) {
    arena_t *a = arena_create(0);
    CHECK(a != NULL);
    CHECK(arena_alloc(a, 16, sizeof(double)) != NULL);
    CHECK(arena_alloc(a, SIZE_MAX / 2, 4) == NULL); /* overflows */
    CHECK(!arena_ok(a));
    CHECK(arena_alloc(a, 1, 1) == NULL);            /* after a failure, nothing */
    arena_free(a);
    arena_free(NULL);
    CHECK(!arena_ok(NULL));
    CHECK(arena_alloc(NULL, 1, 1) == NULL);
}

int main(int argc, char **argv) {
    static const unit_test_t tests[] = {
        { "blocks_aligned_zeroed_disjoint", test_blocks_aligned_zeroed_disjoint },
        { "failure_is_sticky", test_failure_is_sticky },
        { NULL, NULL },
    };
    return unit_main(argc, argv, tests);
}
