/* unit_explore: the count-based explorer (explore.h).  It knows only the cells
 * it has been in and the moves it has made; these tests drive it through real
 * worlds and check what it must do: make the move it has never made, walk to
 * the nearest unexplored move, keep away from where episodes ended, and cover
 * a maze within a budget in which a random walk does not. */
#include <stdlib.h>
#include <string.h>
#include "aif/explore.h"
#include "world/gridworld.h"
#include "world/presets.h"
#include "unit.h"
#include "unit_world.h"

static void build_preset(gridworld_t *g, const char *name, double slip) {
    gw_spec_t sp;
    gw_spec_init(&sp);
    char e[256];
    const world_preset_t *w = world_find(name);
    if (!w || world_apply(w, &sp, e, sizeof e) != 0) { fprintf(stderr, "preset %s\n", name); abort(); }
    snprintf(sp.name, sizeof sp.name, "%s", name);
    sp.slip = slip;
    build_or_abort(g, &sp);
    free(sp.map);
    free(sp.eta);
}

/* Distinct non-wall cells visited in `steps` environment steps, episodes
 * restarting at the start after max_steps or a terminal cell; explorer x
 * (NULL: uniformly random moves). */
static int coverage(const gridworld_t *g, explorer_t *x, long steps, uint64_t seed) {
    rng_t er, ar;
    rng_seed(&er, seed, 0, RNG_ENV);
    rng_seed(&ar, seed, 0, RNG_AGENT);
    unsigned char *seen = calloc((size_t)g->n_states, 1);
    int s = g->start, t = 0, n = 0;
    if (x) explorer_visit(x, s);
    for (long k = 0; k < steps; k++) {
        if (!seen[s]) { seen[s] = 1; n++; }
        int a = x ? explorer_act(x, s, &ar) : (int)rng_below(&ar, (uint32_t)g->n_actions);
        int s2 = gw_step(g, s, a, &er);
        if (x) explorer_step(x, s, a, s2);
        s = s2;
        t++;
        if (gw_terminal(g, s) || t >= g->max_steps) {
            if (!seen[s]) { seen[s] = 1; n++; }
            if (x && gw_terminal(g, s)) explorer_ended(x, s);
            s = g->start;
            t = 0;
            if (x) explorer_visit(x, s);
        }
    }
    free(seen);
    return n;
}

static int open_cells(const gridworld_t *g) {
    int n = 0;
    for (int s = 0; s < g->n_states; s++) n += g->cells[s] != '#';
    return n;
}

/* In the 15x15 perfect maze (225 cells, 127 open, path 56), 10,000 steps of
 * exploration reach every open cell; a random walk with the same steps
 * does not come close. */
static void covers_maze(void) {
    gridworld_t g;
    build_preset(&g, "maze15x15", 0.0);
    explorer_t x;
    CHECK(explorer_alloc(&x, g.n_states, g.n_actions, g.max_steps, g.max_steps) == 0);
    int nx = coverage(&g, &x, 10000, 5), nr = coverage(&g, NULL, 10000, 5), all = open_cells(&g);
    printf("maze15x15: %d open cells; explorer reached %d, random walk %d in 10000 steps\n", all, nx, nr);
    CHECK(nx == all);
    CHECK(nr < nx);
    explorer_free(&x);
    gw_free(&g);
}

/* Same on the 16x16 open world with slip 0.1 (20,000 steps: the grid16 budget). */
static void covers_grid16(void) {
    gridworld_t g;
    build_preset(&g, "grid16", 0.1);
    explorer_t x;
    CHECK(explorer_alloc(&x, g.n_states, g.n_actions, g.max_steps, g.max_steps) == 0);
    int nx = coverage(&g, &x, 20000, 6), all = open_cells(&g);
    printf("grid16: explorer reached %d of %d cells in 20000 steps\n", nx, all);
    CHECK(nx == all);
    explorer_free(&x);
    gw_free(&g);
}

/* Once every move has been made, it makes the ones it has made least: after
 * 20,000 steps in the serpentine maze every move of every open cell has been
 * made at least a tenth as often as the average move (its training data
 * covers the far end of the maze, 40 moves from the start, and not only the
 * moves it makes on every trip); the moves into the goal excepted, which it
 * avoids once found (an episode ends there).  (Moving at random once every
 * move has been made, it made some far moves once.) */
static void spreads_its_data(void) {
    gridworld_t g;
    build_preset(&g, "serpentine9x9", 0.0);
    explorer_t x;
    CHECK(explorer_alloc(&x, g.n_states, g.n_actions, g.max_steps, g.max_steps) == 0);
    coverage(&g, &x, 20000, 7);
    long total = 0;
    int n = 0, least = 1 << 30;
    for (int s = 0; s < g.n_states; s++) {
        if (g.cells[s] == '#' || g.cells[s] == 'G') continue;
        for (int a = 0; a < g.n_actions; a++) {
            if (g.B[((size_t)a * g.n_states + s) * g.n_states + g.goal] > 0) continue;
            int t = x.tried[(size_t)s * g.n_actions + a];
            total += t;
            n++;
            if (t < least) least = t;
        }
    }
    double mean = (double)total / n;
    printf("serpentine: moves made %.1f times on average, the least-made %d times\n", mean, least);
    CHECK(least >= mean / 10);
    explorer_free(&x);
    gw_free(&g);
}

/* In a cell where every move but one has been made, it makes that one, even
 * with a cell where an episode ended next door. */
static void makes_the_untried_move(void) {
    explorer_t x;
    /* A 1x3 corridor by hand: cells 0 1 2; actions as in task.h. */
    CHECK(explorer_alloc(&x, 3, 4, 100, 100) == 0);
    rng_t r;
    rng_seed(&r, 1, 0, RNG_AGENT);
    explorer_visit(&x, 1);
    explorer_step(&x, 1, ACT_UP, 1);
    explorer_step(&x, 1, ACT_DOWN, 1);
    explorer_step(&x, 1, ACT_LEFT, 0);
    explorer_ended(&x, 0);
    for (int k = 0; k < 20; k++) CHECK(explorer_act(&x, 1, &r) == ACT_RIGHT);
    explorer_free(&x);
}

/* It walks to the nearest move never made: in a 1x4 corridor whose cells 0-2
 * have had every move made, and cell 3 none, from each of 0, 1, 2 it goes right. */
static void walks_to_the_frontier(void) {
    explorer_t x;
    CHECK(explorer_alloc(&x, 4, 4, 100, 100) == 0);
    rng_t r;
    rng_seed(&r, 2, 0, RNG_AGENT);
    explorer_visit(&x, 0);
    for (int s = 0; s < 3; s++) {
        explorer_step(&x, s, ACT_UP, s);
        explorer_step(&x, s, ACT_DOWN, s);
        explorer_step(&x, s, ACT_LEFT, s > 0 ? s - 1 : s);
        explorer_step(&x, s, ACT_RIGHT, s + 1);
    }
    for (int k = 0; k < 10; k++)
        for (int s = 0; s < 3; s++) CHECK(explorer_act(&x, s, &r) == ACT_RIGHT);
    explorer_free(&x);
}

static const unit_test_t tests[] = {
    {"covers_maze", covers_maze},
    {"covers_grid16", covers_grid16},
    {"spreads_its_data", spreads_its_data},
    {"makes_the_untried_move", makes_the_untried_move},
    {"walks_to_the_frontier", walks_to_the_frontier},
    {0, 0},
};

int main(int argc, char **argv) { return unit_main(argc, argv, tests); }
