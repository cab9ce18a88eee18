/* unit_experience: an agent's record of its episodes: tokens, actions, bounds
 * and endings as recorded, an open episode left out until closed, the
 * capacity of a budget. */
#include <math.h>
#include <string.h>
#include "aif/experience.h"
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

/* Grouping by state and by move: every token with a key in its group and no
 * other; a draw picks the keys the record holds equally often (a move made
 * once as often as one made 200 times), then that key's tokens uniformly. */
static void groups_and_balanced_draws(void) {
    arena_t *ar = arena_create(1 << 14);
    experience_t x;
    CHECK(xp_alloc(&x, ar, 300) == 0);
    xp_begin(&x, 0, 0);
    for (int k = 0; k < 200; k++) xp_step(&x, 0, 0, 0); /* tokens 0..199: move (0, 0) */
    xp_step(&x, 1, 1, 1);                                 /* token 200: move (0, 1) */
    xp_step(&x, 1, 2, -1);                                /* token 201: move (1, 1); 202: no state */
    xp_end(&x, XP_CUT);
    xp_group_t g;
    memset(&g, 0, sizeof g);
    CHECK(xp_group(&g, &x, x.n, 2, 2, XP_BY_MOVE) == 0);
    CHECK(g.n_keys == 4 && g.n_seen == 3 && g.seen[0] == 0 && g.seen[1] == 1 && g.seen[2] == 3);
    CHECK(g.first[0] == 0 && g.first[1] == 200 && g.first[2] == 201 && g.first[3] == 201 && g.first[4] == 202);
    for (int k = 0; k < 4; k++)
        for (long e = g.first[k]; e < g.first[k + 1]; e++) {
            long i = g.by[e];
            CHECK(x.z[i] * 2 + x.a[i] == k && i < x.end[i]);
        }
    rng_t r;
    rng_seed(&r, 7, 0, 1);
    const int N = 30000;
    int per[4] = {0}, low = 0;
    for (int d = 0; d < N; d++) {
        long i = xp_group_draw(&g, &r);
        CHECK(i >= 0 && i < 202);
        per[x.z[i] * 2 + x.a[i]]++;
        low += i < 100;
    }
    const double sd = sqrt(N / 3.0 * 2.0 / 3.0);
    for (int k = 0; k < 4; k++)
        if (k != 2) CHECK_MSG(fabs(per[k] - N / 3.0) < 5 * sd, "move key %d drawn %d of %d", k, per[k], N);
    CHECK(per[2] == 0);
    CHECK_NEAR(low, per[0] / 2.0, 5 * sqrt(per[0] / 4.0)); /* uniform within the frequent move */
    /* by state, regrouped in place after the record grew: 201 tokens of state 0, 2 of state 1 */
    xp_begin(&x, 0, 1);
    xp_end(&x, XP_GOAL);
    CHECK(xp_group(&g, &x, x.n, 2, 2, XP_BY_STATE) == 0);
    CHECK(g.n_keys == 2 && g.n_seen == 2 && g.first[1] == 201 && g.first[2] == 203 && g.cap >= x.n);
    CHECK(g.by[201] == 201 && g.by[202] == 203);
    xp_group_t empty;
    memset(&empty, 0, sizeof empty);
    CHECK(xp_group(&empty, &x, 0, 2, 2, XP_BY_MOVE) == 0 && empty.n_seen == 0 && xp_group_draw(&empty, &r) == -1);
    xp_group_free(&empty);
    xp_group_free(&g);
    CHECK(g.by == NULL && g.n_seen == 0);
    arena_free(ar);
}

static const unit_test_t tests[] = {
    {"records_episodes", records_episodes},
    {"groups_and_balanced_draws", groups_and_balanced_draws},
    {0, 0},
};

int main(int argc, char **argv) { return unit_main(argc, argv, tests); }
