/* Unit tests for gridworld: B and A against their definitions, the samplers
 * against B and A, shortest paths, validation, coordinates. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "world/gridworld.h"
#include "unit.h"
#include "unit_world.h"

#define N_SAMPLES 200000

/* Builds or fails the current test. */

static double B_at(const gridworld_t *g, int a, int s, int s2) {
    return g->B[((size_t)a * g->n_states + s) * g->n_states + s2];
}
static double A_at(const gridworld_t *g, int s, int o) { return g->A[(size_t)s * g->n_obs + o]; }

/* A frequency of `count` in `n` draws is within 5 standard errors of p (exact
 * when p is 0 or 1). */
static int freq_ok(long count, long n, double p) {
    double f = (double)count / n, se = sqrt(p * (1.0 - p) / n);
    return fabs(f - p) <= 5.0 * se + 1e-12;
}

/* Slippery 4x4 with a wall and a hole, 5 actions:
 *   S F F F
 *   F # F H
 *   F F F F
 *   F F F G */
static const char MAP_SLIP[] = "SFFF" "F#FH" "FFFF" "FFFG";

static void spec_slippery(gw_spec_t *sp) {
    gw_spec_init(sp);
    sp->map = (char *)MAP_SLIP;
    sp->slip = 0.2;
    sp->n_actions = 5;
}

/* 5x5 partially observable: mixed eta 0, 1/3, 2/3, 1 and two walls. */
static const char MAP_PO[] = "SFFFF" "F#FFF" "FFFFF" "FFF#F" "FFFFG";

static void spec_partial(gw_spec_t *sp, double *eta, int radius) {
    gw_spec_init(sp);
    sp->rows = sp->cols = 5;
    sp->map = (char *)MAP_PO;
    for (int s = 0; s < 25; s++) eta[s] = (s % 4) / 3.0;
    sp->eta = eta;
    sp->noise_radius = radius;
    sp->slip = 0.1;
}

static int rows_are_distributions(const double *M, int n_rows, int n_cols) {
    for (int i = 0; i < n_rows; i++) {
        double sum = 0;
        for (int j = 0; j < n_cols; j++) {
            if (!(M[(size_t)i * n_cols + j] >= 0.0)) return 0;
            sum += M[(size_t)i * n_cols + j];
        }
        if (fabs(sum - 1.0) > 1e-12) return 0;
    }
    return 1;
}

static void test_spec_defaults(void) {
    gw_spec_t sp;
    memset(&sp, 0x5a, sizeof sp);
    gw_spec_init(&sp);
    CHECK(sp.rows == 4 && sp.cols == 4 && sp.map == NULL && sp.eta == NULL);
    CHECK(sp.start == -1 && sp.goal == -1 && sp.slip == 0.0 && sp.eta_all == 1.0);
    CHECK(sp.noise_radius == 1 && sp.max_steps == 100 && sp.n_actions == 4);
    CHECK(sp.step_reward == 0.0 && sp.goal_reward == 1.0 && sp.hole_reward == 0.0);
    CHECK(strcmp(task_action_names[ACT_UP], "up") == 0 && strcmp(task_action_names[ACT_DOWN], "down") == 0);
    CHECK(strcmp(task_action_names[ACT_LEFT], "left") == 0 && strcmp(task_action_names[ACT_RIGHT], "right") == 0);
    CHECK(strcmp(task_action_names[ACT_STAY], "stay") == 0);
    gridworld_t g;
    BUILD(g, sp);
    CHECK(g.n_states == 16 && g.n_obs == 16 && g.start == 0 && g.goal == 15 && g.max_steps == 100);
    CHECK(strcmp(g.cells, "SFFFFFFFFFFFFFFG") == 0);
    gw_free(&g);
}

static void test_rows_sum_to_one(void) {
    gw_spec_t sp[3];
    double eta[25];
    gw_spec_init(&sp[0]);
    spec_slippery(&sp[1]);
    spec_partial(&sp[2], eta, 2);
    for (int i = 0; i < 3; i++) {
        gridworld_t g;
        BUILD(g, sp[i]);
        int ok_B = rows_are_distributions(g.B, g.n_actions * g.n_states, g.n_states);
        int ok_A = rows_are_distributions(g.A, g.n_states, g.n_obs);
        gw_free(&g);
        CHECK_MSG(ok_B, "world %d: a B row is not a distribution", i);
        CHECK_MSG(ok_A, "world %d: an A row is not a distribution", i);
    }
}

static void test_deterministic_B(void) {
    gw_spec_t sp;
    gw_spec_init(&sp);
    gridworld_t g;
    BUILD(g, sp);
    int n = g.n_states;
    for (int a = 0; a < g.n_actions; a++)
        for (int s = 0; s < n; s++)
            for (int s2 = 0; s2 < n; s2++) {
                double b = B_at(&g, a, s, s2);
                CHECK(b == 0.0 || b == 1.0);
                CHECK((b == 1.0) == (s2 == g.next[a * n + s]));
            }
    /* From the top-left corner: up and left bump the border. */
    CHECK(g.next[ACT_UP * n + 0] == 0 && g.next[ACT_LEFT * n + 0] == 0);
    CHECK(g.next[ACT_RIGHT * n + 0] == 1 && g.next[ACT_DOWN * n + 0] == 4);
    CHECK(g.next[ACT_UP * n + 5] == 1 && g.next[ACT_LEFT * n + 5] == 4);
    rng_t r, r0;
    rng_seed(&r, 1, 2, RNG_ENV);
    r0 = r;
    CHECK(gw_step(&g, 5, ACT_RIGHT, &r) == 6);
    CHECK_MSG(memcmp(&r, &r0, sizeof r) == 0, "slip == 0 must not consume random numbers");
    gw_free(&g);
}

static void test_slip_B_values(void) {
    gw_spec_t sp;
    spec_slippery(&sp);
    gridworld_t g;
    BUILD(g, sp);
    /* Cell 4 (row 1, col 0): right is the wall at 5, so it stays; perpendiculars
     * up -> 0 and down -> 8. */
    CHECK_NEAR(B_at(&g, ACT_RIGHT, 4, 4), 0.8, 1e-15);
    CHECK_NEAR(B_at(&g, ACT_RIGHT, 4, 0), 0.1, 1e-15);
    CHECK_NEAR(B_at(&g, ACT_RIGHT, 4, 8), 0.1, 1e-15);
    /* Cell 0, up: the border (0.8) and left slip (0.1) both stay at 0. */
    CHECK_NEAR(B_at(&g, ACT_UP, 0, 0), 0.9, 1e-15);
    CHECK_NEAR(B_at(&g, ACT_UP, 0, 1), 0.1, 1e-15);
    /* Cell 2, right: intended 3, slips to 6 (down) or stays (up, border). */
    CHECK_NEAR(B_at(&g, ACT_RIGHT, 2, 3), 0.8, 1e-15);
    CHECK_NEAR(B_at(&g, ACT_RIGHT, 2, 6), 0.1, 1e-15);
    CHECK_NEAR(B_at(&g, ACT_RIGHT, 2, 2), 0.1, 1e-15);
    /* Cell 6 right enters the hole at 7. */
    CHECK_NEAR(B_at(&g, ACT_RIGHT, 6, 7), 0.8, 1e-15);
    gw_free(&g);
}

static void test_stay_never_slips(void) {
    gw_spec_t sp;
    spec_slippery(&sp);
    sp.slip = 0.5;
    gridworld_t g;
    BUILD(g, sp);
    rng_t r;
    rng_seed(&r, 3, 0, RNG_ENV);
    for (int s = 0; s < g.n_states; s++) {
        CHECK(B_at(&g, ACT_STAY, s, s) == 1.0);
        for (int i = 0; i < 1000; i++) CHECK(gw_step(&g, s, ACT_STAY, &r) == s);
    }
    gw_free(&g);
}

/* Empirical frequencies of gw_step for every (s, a) of the slippery world,
 * border cells, the wall and the hole included, match B's row. */
static void test_step_frequencies(void) {
    gw_spec_t sp;
    spec_slippery(&sp);
    gridworld_t g;
    BUILD(g, sp);
    int n = g.n_states;
    long counts[16];
    rng_t r;
    rng_seed(&r, 42, 7, RNG_ENV);
    for (int a = 0; a < g.n_actions; a++)
        for (int s = 0; s < n; s++) {
            memset(counts, 0, sizeof counts);
            for (long i = 0; i < N_SAMPLES; i++) counts[gw_step(&g, s, a, &r)]++;
            for (int s2 = 0; s2 < n; s2++)
                CHECK_MSG(freq_ok(counts[s2], N_SAMPLES, B_at(&g, a, s, s2)),
                          "s=%d a=%d s2=%d: freq %g vs B %g", s, a, s2,
                          (double)counts[s2] / N_SAMPLES, B_at(&g, a, s, s2));
        }
    gw_free(&g);
}

/* gw_step draws exactly one rng_uniform when slip > 0, and uses it as documented. */
static void test_step_rng_consumption(void) {
    gw_spec_t sp;
    spec_slippery(&sp);
    gridworld_t g;
    BUILD(g, sp);
    rng_t r, shadow;
    rng_seed(&r, 9, 9, RNG_ENV);
    shadow = r;
    int n = g.n_states;
    for (int i = 0; i < 20000; i++) {
        int s = i % n, a = (i / n) % g.n_actions;
        int got = gw_step(&g, s, a, &r);
        double u = rng_uniform(&shadow);
        int eff = a;
        if (a != ACT_STAY && u >= 0.8) eff = (a <= ACT_DOWN) ? (u < 0.9 ? ACT_LEFT : ACT_RIGHT)
                                                            : (u < 0.9 ? ACT_UP : ACT_DOWN);
        CHECK_MSG(got == g.next[eff * n + s], "step %d: s=%d a=%d u=%g", i, s, a, u);
        CHECK(memcmp(&r, &shadow, sizeof r) == 0);
    }
    gw_free(&g);
}

/* Empirical frequencies of gw_observe match A for every non-wall cell. */
static void observe_frequencies(int radius) {
    gw_spec_t sp;
    double eta[25];
    spec_partial(&sp, eta, radius);
    gridworld_t g;
    BUILD(g, sp);
    long counts[25];
    rng_t r;
    rng_seed(&r, 5, (uint64_t)radius, RNG_ENV);
    for (int s = 0; s < g.n_states; s++) {
        if (g.cells[s] == '#') continue;
        memset(counts, 0, sizeof counts);
        for (long i = 0; i < N_SAMPLES; i++) counts[gw_observe(&g, s, &r)]++;
        for (int o = 0; o < g.n_obs; o++)
            CHECK_MSG(freq_ok(counts[o], N_SAMPLES, A_at(&g, s, o)),
                      "radius %d s=%d o=%d: freq %g vs A %g", radius, s, o,
                      (double)counts[o] / N_SAMPLES, A_at(&g, s, o));
    }
    gw_free(&g);
}
static void test_observe_frequencies_r1(void) { observe_frequencies(1); }
static void test_observe_frequencies_r2(void) { observe_frequencies(2); }

/* gw_observe: no draw when eta == 1; else one rng_uniform, then (if noisy) one
 * rng_below(k) choosing the kernel cell by rank in ascending cell order. */
static void test_observe_rng_consumption(void) {
    gw_spec_t sp;
    double eta[25];
    spec_partial(&sp, eta, 2);
    gridworld_t g;
    BUILD(g, sp);
    rng_t r, shadow;
    rng_seed(&r, 11, 3, RNG_ENV);
    shadow = r;
    int kernel[25];
    for (int i = 0; i < 20000; i++) {
        int s = i % g.n_states;
        if (g.cells[s] == '#') continue;
        int got = gw_observe(&g, s, &r), want = s;
        if (g.eta[s] < 1.0 && rng_uniform(&shadow) >= g.eta[s]) {
            int k = 0;
            for (int o = 0; o < g.n_obs; o++)
                if (o != s && A_at(&g, s, o) > 0) kernel[k++] = o;
            if (k > 0) want = kernel[rng_below(&shadow, (uint32_t)k)];
        }
        CHECK_MSG(got == want, "s=%d: got %d want %d", s, got, want);
        CHECK(memcmp(&r, &shadow, sizeof r) == 0);
    }
    gw_free(&g);
}

static void test_entropy_eta_half(void) {
    gw_spec_t sp;
    gw_spec_init(&sp);
    sp.rows = sp.cols = 5;
    double eta[25];
    for (int s = 0; s < 25; s++) eta[s] = 1.0;
    eta[12] = 0.5; /* centre: 8 neighbours */
    eta[0] = 0.5;  /* corner: 3 neighbours */
    sp.eta = eta;
    gridworld_t g;
    BUILD(g, sp);
    CHECK_NEAR(A_at(&g, 12, 12), 0.5, 1e-15);
    CHECK_NEAR(A_at(&g, 12, 6), 0.0625, 1e-15);
    CHECK_NEAR(A_at(&g, 12, 18), 0.0625, 1e-15);
    CHECK(A_at(&g, 12, 0) == 0.0 && A_at(&g, 12, 10) == 0.0);
    /* -0.5 ln 0.5 - 8 (1/16) ln(1/16) = 2.5 ln 2 */
    CHECK_NEAR(g.H_A[12], 2.5 * log(2.0), 1e-12);
    CHECK_NEAR(g.H_A[0], 0.5 * log(2.0) + 0.5 * log(6.0), 1e-12);
    CHECK(g.H_A[6] == 0.0 && A_at(&g, 6, 6) == 1.0);
    gw_free(&g);

    /* Radius 2 at the centre: 24 neighbours. */
    sp.noise_radius = 2;
    BUILD(g, sp);
    CHECK_NEAR(A_at(&g, 12, 0), 0.5 / 24, 1e-15);
    CHECK_NEAR(g.H_A[12], 0.5 * log(2.0) + 0.5 * log(48.0), 1e-12);
    gw_free(&g);

    /* A wall in the 3x3 leaves 7 neighbours. */
    sp.noise_radius = 1;
    sp.map = "SFFFF" "F#FFF" "FFFFF" "FFFFF" "FFFFG";
    BUILD(g, sp);
    CHECK(A_at(&g, 12, 6) == 0.0);
    CHECK_NEAR(A_at(&g, 12, 7), 0.5 / 7, 1e-15);
    CHECK_NEAR(g.H_A[12], 0.5 * log(2.0) + 0.5 * log(14.0), 1e-12);
    gw_free(&g);
}

/* A cell whose noise window holds only walls observes itself even at eta 0,
 * drawing one rng_uniform and no rng_below. */
static void test_empty_kernel(void) {
    gw_spec_t sp;
    gw_spec_init(&sp);
    sp.rows = 2;
    sp.cols = 4;
    sp.map = "SF#F" "FG##"; /* cell 3 is an isolated floor cell */
    sp.eta_all = 0.0;
    gridworld_t g;
    BUILD(g, sp);
    CHECK(A_at(&g, 3, 3) == 1.0 && g.H_A[3] == 0.0 && g.dist[3] == -1);
    CHECK_NEAR(A_at(&g, 0, 1), 1.0 / 3, 1e-15); /* eta 0 elsewhere: never itself */
    CHECK(A_at(&g, 0, 0) == 0.0);
    rng_t r, shadow;
    rng_seed(&r, 4, 4, RNG_ENV);
    shadow = r;
    for (int i = 0; i < 100; i++) {
        CHECK(gw_observe(&g, 3, &r) == 3);
        rng_uniform(&shadow);
        CHECK(memcmp(&r, &shadow, sizeof r) == 0);
    }
    gw_free(&g);
}

static void test_dist_open(void) {
    gw_spec_t sp;
    gw_spec_init(&sp);
    gridworld_t g;
    BUILD(g, sp);
    CHECK(g.dist[g.start] == 6 && g.dist[g.goal] == 0);
    for (int s = 0; s < g.n_states; s++)
        CHECK(g.dist[s] == (3 - gw_row(&g, s)) + (3 - gw_col(&g, s)));
    gw_free(&g);
}

/* Serpentine walls: hand-counted path 3 right, 2 down, 3 left, 2 down, 3 right. */
static void test_dist_detour(void) {
    gw_spec_t sp;
    gw_spec_init(&sp);
    sp.rows = 5;
    sp.map = "SFFF" "###F" "FFFF" "F###" "FFFG";
    gridworld_t g;
    BUILD(g, sp);
    CHECK(g.dist[0] == 13);
    CHECK(g.dist[8] == 5 && g.dist[3] == 10 && g.dist[16] == 3);
    CHECK(g.dist[4] == -1 && g.dist[13] == -1); /* walls */
    gw_free(&g);
}

static void test_dist_avoids_holes(void) {
    gw_spec_t sp;
    gw_spec_init(&sp);
    sp.rows = 5;
    sp.map = "SFFF" "HHHF" "FFFF" "FHHH" "FFFG";
    gridworld_t g;
    BUILD(g, sp);
    CHECK(g.dist[0] == 13); /* straight down would be 7 through the holes */
    CHECK(g.dist[4] == -1 && g.dist[5] == -1 && g.dist[13] == -1);
    gw_free(&g);
    /* The only route crosses a hole row: rejected. */
    sp.rows = 3;
    sp.cols = 2;
    sp.map = "SF" "HH" "FG";
    char err[256] = "";
    CHECK(gw_build(&g, &sp, err, sizeof err) == -1);
    CHECK_MSG(strstr(err, "unreachable") != NULL, "err = '%s'", err);
    CHECK(g.B == NULL && g.cells == NULL);
}

static void test_unreachable_goal(void) {
    gw_spec_t sp;
    gw_spec_init(&sp);
    sp.map = "SF#F" "FF#F" "FF#F" "FF#G";
    gridworld_t g;
    char err[256] = "";
    CHECK(gw_build(&g, &sp, err, sizeof err) == -1);
    CHECK_MSG(strstr(err, "unreachable") != NULL, "err = '%s'", err);
    CHECK(strchr(err, '\n') == NULL);
    CHECK(g.B == NULL && g.A == NULL && g.dist == NULL && g.n_states == 0);
    gw_free(&g); /* zeroed: safe */
}

/* Every validation error, each with a word its message must contain. */
typedef struct { const char *what; void (*mutate)(gw_spec_t *); const char *word; } bad_case_t;

static double bad_eta[16];
static void m_rows0(gw_spec_t *s) { s->rows = 0; }
static void m_rows257(gw_spec_t *s) { s->rows = 257; }
static void m_cols0(gw_spec_t *s) { s->cols = 0; }
static void m_cols300(gw_spec_t *s) { s->cols = 300; }
static void m_map_short(gw_spec_t *s) { s->map = "SFFFFFFFFFFFFFG"; }
static void m_map_long(gw_spec_t *s) { s->map = "SFFFFFFFFFFFFFFFG"; }
static void m_map_letter(gw_spec_t *s) { s->map = "SFFFFFXFFFFFFFFG"; }
static void m_map_two_s(gw_spec_t *s) { s->map = "SFFFFSFFFFFFFFFG"; }
static void m_map_two_g(gw_spec_t *s) { s->map = "SFFFFGFFFFFFFFFG"; }
static void m_start_range(gw_spec_t *s) { s->start = 16; }
static void m_goal_range(gw_spec_t *s) { s->goal = 99; }
static void m_start_wall(gw_spec_t *s) { s->map = "#FFFSFFFFFFFFFFG"; s->start = 0; }
static void m_start_hole(gw_spec_t *s) { s->map = "HFFFFFFFFFFFFFFG"; }
static void m_goal_wall(gw_spec_t *s) { s->map = "SFFFFFFFFFFFFFF#"; }
static void m_goal_hole(gw_spec_t *s) { s->map = "SFFFFFFFFFHFFFFF"; s->goal = 10; }
static void m_same(gw_spec_t *s) { s->start = 5; s->goal = 5; }
static void m_slip_neg(gw_spec_t *s) { s->slip = -0.1; }
static void m_slip_one(gw_spec_t *s) { s->slip = 1.0; }
static void m_slip_nan(gw_spec_t *s) { s->slip = NAN; }
static void m_eta_all(gw_spec_t *s) { s->eta_all = 1.5; }
static void m_eta_cell(gw_spec_t *s) {
    for (int i = 0; i < 16; i++) bad_eta[i] = 0.5;
    bad_eta[7] = -0.01;
    s->eta = bad_eta;
}
static void m_max_steps(gw_spec_t *s) { s->max_steps = 0; }
static void m_actions3(gw_spec_t *s) { s->n_actions = 3; }
static void m_actions6(gw_spec_t *s) { s->n_actions = 6; }
static void m_radius(gw_spec_t *s) { s->noise_radius = 0; }
static void m_too_big(gw_spec_t *s) { s->rows = s->cols = 256; }

static void test_build_errors(void) {
    static const bad_case_t cases[] = {
        {"rows 0", m_rows0, "rows"},           {"rows 257", m_rows257, "rows"},
        {"cols 0", m_cols0, "cols"},           {"cols 300", m_cols300, "cols"},
        {"map short", m_map_short, "letters"}, {"map long", m_map_long, "letters"},
        {"map letter", m_map_letter, "'X'"},   {"two S", m_map_two_s, "more than one 'S'"},
        {"two G", m_map_two_g, "more than one 'G'"},
        {"start range", m_start_range, "start cell 16 is outside"},
        {"goal range", m_goal_range, "goal cell 99 is outside"},
        {"start wall", m_start_wall, "start (row 0, col 0) is on a wall"},
        {"start hole", m_start_hole, "start (row 0, col 0) is on a hole"},
        {"goal wall", m_goal_wall, "goal (row 3, col 3) is on a wall"},
        {"goal hole", m_goal_hole, "goal (row 2, col 2) is on a hole"},
        {"start == goal", m_same, "same cell"},
        {"slip < 0", m_slip_neg, "slip"},      {"slip 1", m_slip_one, "slip"},
        {"slip nan", m_slip_nan, "slip"},      {"eta_all", m_eta_all, "eta_all"},
        {"eta cell", m_eta_cell, "eta[7]"},    {"max_steps", m_max_steps, "max_steps"},
        {"actions 3", m_actions3, "n_actions"}, {"actions 6", m_actions6, "n_actions"},
        {"radius 0", m_radius, "noise_radius"}, {"too big", m_too_big, "too large"},
    };
    gw_spec_t sp;
    gridworld_t g;
    char err[256];
    gw_spec_init(&sp);
    snprintf(sp.name, sizeof sp.name, "ok");
    CHECK(gw_build(&g, &sp, err, sizeof err) == 0); /* the base spec is valid */
    gw_free(&g);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        gw_spec_init(&sp);
        snprintf(sp.name, sizeof sp.name, "bad");
        cases[i].mutate(&sp);
        err[0] = '\0';
        memset(&g, 0x33, sizeof g);
        int rc = gw_build(&g, &sp, err, sizeof err);
        CHECK_MSG(rc == -1, "%s: accepted", cases[i].what);
        CHECK_MSG(strstr(err, cases[i].word) != NULL, "%s: message '%s' lacks '%s'",
                  cases[i].what, err, cases[i].word);
        CHECK_MSG(strncmp(err, "world 'bad': ", 13) == 0, "%s: '%s'", cases[i].what, err);
        CHECK_MSG(strchr(err, '\n') == NULL, "%s: message spans lines", cases[i].what);
        CHECK_MSG(g.B == NULL && g.cells == NULL && g.next == NULL, "%s: g not zeroed", cases[i].what);
    }
    /* A NULL err buffer is allowed. */
    gw_spec_init(&sp);
    sp.rows = 0;
    CHECK(gw_build(&g, &sp, NULL, 0) == -1);
}

static void test_start_goal_resolution(void) {
    gw_spec_t sp;
    gridworld_t g;
    gw_spec_init(&sp);
    sp.map = "FFFF" "FSFF" "FFGF" "FFFF";
    BUILD(g, sp);
    CHECK(g.start == 5 && g.goal == 10 && g.dist[5] == 2);
    gw_free(&g);
    sp.start = 0;
    sp.goal = 15;
    BUILD(g, sp);
    CHECK(g.start == 0 && g.goal == 15);
    CHECK(strcmp(g.cells, "SFFFFFFFFFFFFFFG") == 0); /* the map's S and G became floor */
    CHECK(!gw_terminal(&g, 10) && gw_terminal(&g, 15));
    gw_free(&g);
    gw_spec_init(&sp);
    sp.map = "FFFF" "FHFF" "FFFF" "FFFF"; /* no S, no G: corners */
    BUILD(g, sp);
    CHECK(g.start == 0 && g.goal == 15 && g.cells[0] == 'S' && g.cells[15] == 'G' && g.cells[5] == 'H');
    gw_free(&g);
}

static void test_absorbing_and_rewards(void) {
    gw_spec_t sp;
    spec_slippery(&sp);
    sp.step_reward = -0.01;
    sp.goal_reward = 2.0;
    sp.hole_reward = -1.0;
    gridworld_t g;
    BUILD(g, sp);
    int goal = g.goal, hole = 7;
    CHECK(g.cells[hole] == 'H');
    rng_t r;
    rng_seed(&r, 1, 1, RNG_ENV);
    for (int a = 0; a < g.n_actions; a++) {
        CHECK(B_at(&g, a, goal, goal) == 1.0 && B_at(&g, a, hole, hole) == 1.0);
        for (int i = 0; i < 200; i++) {
            CHECK(gw_step(&g, goal, a, &r) == goal);
            CHECK(gw_step(&g, hole, a, &r) == hole);
        }
    }
    CHECK(gw_terminal(&g, goal) && gw_terminal(&g, hole));
    CHECK(!gw_terminal(&g, g.start) && !gw_terminal(&g, 1) && !gw_terminal(&g, 5));
    CHECK(gw_reward(&g, goal) == 2.0 && gw_reward(&g, hole) == -1.0);
    CHECK(gw_reward(&g, 1) == -0.01 && gw_reward(&g, g.start) == -0.01);
    /* A greedy walk down the distance gradient ends in the goal (or, slipping, the hole). */
    int s = g.start, steps = 0;
    while (!gw_terminal(&g, s) && steps++ < 1000) {
        int best = 0;
        for (int a = 1; a < 4; a++)
            if (g.dist[g.next[a * g.n_states + s]] >= 0 &&
                (g.dist[g.next[best * g.n_states + s]] < 0 ||
                 g.dist[g.next[a * g.n_states + s]] < g.dist[g.next[best * g.n_states + s]]))
                best = a;
        s = gw_step(&g, s, best, &r);
    }
    CHECK(s == goal || s == hole);
    gw_free(&g);
}

static void test_walls_block(void) {
    gw_spec_t sp;
    spec_slippery(&sp);
    sp.slip = 0.0;
    gridworld_t g;
    BUILD(g, sp);
    int n = g.n_states;
    CHECK(g.next[ACT_RIGHT * n + 4] == 4);  /* wall at 5 */
    CHECK(g.next[ACT_DOWN * n + 1] == 1);
    CHECK(g.next[ACT_LEFT * n + 6] == 6);
    CHECK(g.next[ACT_UP * n + 9] == 9);
    for (int a = 0; a < g.n_actions; a++)
        for (int s = 0; s < n; s++) CHECK(g.cells[g.next[a * n + s]] != '#' || s == 5);
    gw_free(&g);
}

static void test_free_zeroes(void) {
    gridworld_t g;
    memset(&g, 0, sizeof g);
    gw_free(&g);
    gw_spec_t sp;
    spec_slippery(&sp);
    BUILD(g, sp);
    gw_free(&g);
    CHECK(g.cells == NULL && g.eta == NULL && g.B == NULL && g.A == NULL);
    CHECK(g.H_A == NULL && g.dist == NULL && g.next == NULL && g.n_states == 0);
    gw_free(&g); /* twice is safe */
}

static const unit_test_t tests[] = {
    {"spec_defaults", test_spec_defaults},
    {"rows_sum_to_one", test_rows_sum_to_one},
    {"deterministic_B", test_deterministic_B},
    {"slip_B_values", test_slip_B_values},
    {"stay_never_slips", test_stay_never_slips},
    {"step_frequencies", test_step_frequencies},
    {"step_rng_consumption", test_step_rng_consumption},
    {"observe_frequencies_r1", test_observe_frequencies_r1},
    {"observe_frequencies_r2", test_observe_frequencies_r2},
    {"observe_rng_consumption", test_observe_rng_consumption},
    {"entropy_eta_half", test_entropy_eta_half},
    {"empty_kernel", test_empty_kernel},
    {"dist_open", test_dist_open},
    {"dist_detour", test_dist_detour},
    {"dist_avoids_holes", test_dist_avoids_holes},
    {"unreachable_goal", test_unreachable_goal},
    {"build_errors", test_build_errors},
    {"start_goal_resolution", test_start_goal_resolution},
    {"absorbing_and_rewards", test_absorbing_and_rewards},
    {"walls_block", test_walls_block},
    {"free_zeroes", test_free_zeroes},
    {0, 0},
};

int main(int argc, char **argv) { return unit_main(argc, argv, tests); }
