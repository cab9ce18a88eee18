/* unit_experience: an agent's record of its episodes: tokens, actions, bounds
 * and endings as recorded, an open episode left out until closed, the
 * capacity of a budget. */
#include "experience.h"
#include "unit.h"

static void records_episodes(void) {
    arena_t *ar = arena_create(1 << 12);
    experience_t x;
    CHECK(xp_alloc(&x, ar, 5) == 0 && x.cap == 12);
    xp_begin(&x, 3, -1);
    xp_step(&x, 1, 4, -1);
    xp_step(&x, 2, 5, -1);
    CHECK(xp_open_len(&x) == 3 && x.episodes == 0);
    xp_end(&x, XP_FAILED);
    xp_begin(&x, 3, 7);
    xp_step(&x, 0, 3, 7);
    xp_end(&x, XP_CUT);
    CHECK(x.n == 5 && x.episodes == 2 && x.max_len == 3 && x.open == -1);
    const int o[] = {3, 4, 5, 3, 3}, a[] = {1, 2, -1, 0, -1}, st[] = {0, 0, 0, 3, 3}, en[] = {2, 2, 2, 4, 4};
    for (int i = 0; i < 5; i++) {
        CHECK(x.o[i] == o[i] && x.a[i] == a[i] && x.start[i] == st[i] && x.end[i] == en[i]);
        CHECK(x.ending[i] == (i < 3 ? XP_FAILED : XP_CUT));
    }
    CHECK(x.z[0] == -1 && x.z[3] == 7);
    /* a new episode closes an open one as cut */
    xp_begin(&x, 1, -1);
    xp_begin(&x, 2, -1);
    CHECK(x.episodes == 3 && x.ending[5] == XP_CUT && x.open == 6);
    xp_clear(&x);
    CHECK(x.n == 0 && x.episodes == 0 && x.open == -1 && x.max_len == 0);
    /* the budget's worst case: B steps as B one-step episodes and a last empty one */
    for (int e = 0; e < 5; e++) {
        xp_begin(&x, 0, -1);
        xp_step(&x, 0, 1, -1);
        xp_end(&x, XP_GOAL);
    }
    xp_begin(&x, 0, -1);
    xp_end(&x, XP_CUT);
    CHECK(x.n == 11 && x.n <= x.cap);
    arena_free(ar);
}

static const unit_test_t tests[] = {
    {"records_episodes", records_episodes},
    {0, 0},
};

int main(int argc, char **argv) { return unit_main(argc, argv, tests); }
