/* unit_worlds: the built-in worlds (worlds.h) through the job loader.  Every
 * preset parses from `preset: NAME`, builds, and has the start, goal, optimal
 * path and defaults that jobs/README.md ("Named worlds") documents; presets
 * that copy a shipped job's world equal it cell for cell and matrix for
 * matrix; overrides win; the maze is perfect; the serpentine's only route is
 * 3x the Manhattan distance; the ambiguity world's two routes are what its
 * purpose needs.  Runs from the repository root (it reads the shipped jobs in jobs/). */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "job/job.h"
#include "job/jobspec.h"
#include "job/worlds.h"
#include "unit.h"
#include "unit_world.h"

/* What jobs/README.md documents for each preset (typed here, not read from
 * worlds.c, so a change to the data that the docs do not follow fails). */
typedef struct {
    const char *name;
    int rows, cols;
    int start_r, start_c, goal_r, goal_c;
    double optimal;       /* BFS moves from start to goal (a context world: the expected route via the cue) */
    double slip;
    int max_steps, noise_radius;
    int observable;       /* 1: eta = 1 everywhere */
    int contexts;         /* K (1: none) */
    double cue;           /* cue reliability */
} documented_t;

static const documented_t DOC[] = {
    {"paper4x4", 4, 4, 0, 0, 3, 3, 6, 0.0, 100, 1, 1, 1, 1.0},
    {"paper8x8", 8, 8, 0, 0, 7, 7, 14, 0.1, 200, 1, 0, 1, 1.0},
    {"grid16", 16, 16, 0, 0, 15, 15, 30, 0.1, 400, 1, 0, 1, 1.0},
    {"frozenlake8x8", 8, 8, 0, 0, 7, 7, 14, 0.0, 200, 1, 1, 1, 1.0},
    {"serpentine9x9", 9, 9, 0, 0, 8, 8, 48, 0.0, 200, 1, 1, 1, 1.0},
    {"maze15x15", 15, 15, 0, 0, 14, 14, 56, 0.0, 400, 1, 1, 1, 1.0},
    {"ambiguity", 5, 9, 1, 0, 3, 8, 10, 0.1, 100, 3, 0, 1, 1.0},
    {"open32x32", 32, 32, 0, 0, 31, 31, 62, 0.1, 800, 1, 0, 1, 1.0},
    {"tmaze", 2, 3, 0, 1, 0, 0, 3, 0.0, 8, 1, 1, 2, 1.0},
    {"tmaze-cue0.9", 2, 3, 0, 1, 0, 0, 3, 0.0, 8, 1, 1, 2, 0.9},
    {"cue-maze", 9, 9, 8, 4, 0, 0, 18, 0.1, 100, 1, 1, 2, 1.0},
    {"plus-maze", 3, 3, 1, 1, 1, 0, 3, 0.0, 8, 1, 1, 3, 1.0},
};
#define N_DOC ((int)(sizeof DOC / sizeof DOC[0]))

/* Parse a job whose environments are `envs` (YAML lines) with one random agent. */
static int parse_envs(jobspec_t *job, const char *envs, char *err, size_t errlen) {
    char text[4096];
    snprintf(text, sizeof text, "environments:\n%sagents:\n  - type: random\n", envs);
    return job_parse(job, "t.yaml", text, strlen(text), err, errlen);
}

/* Parse and build environment 0 of `envs`, or fail the current test. */
#define LOAD(job, w, yaml) do { char e_[2048]; \
    CHECK_MSG(parse_envs(&(job), (yaml), e_, sizeof e_) == 0, "parse: %s", e_); \
    CHECK_MSG(gw_build(&(w), &(job).envs[0], e_, sizeof e_) == 0, "gw_build: %s", e_); } while (0)

/* The loader refuses `envs` with a message containing `want`. */
#define REFUSED(yaml, want) do { jobspec_t j_; char e_[2048]; \
    CHECK_MSG(parse_envs(&j_, (yaml), e_, sizeof e_) != 0, "accepted: %s", (yaml)); \
    CHECK_MSG(strstr(e_, (want)) != NULL, "message \"%s\" lacks \"%s\"", e_, (want)); } while (0)

static int count_cells(const gridworld_t *g, char kind) {
    int n = 0;
    for (int s = 0; s < g->n_states; s++) n += g->cells[s] == kind;
    return n;
}

static void test_registry(void) {
    CHECK(world_count() == N_DOC);
    char names[512];
    world_list_names(names, sizeof names);
    for (int i = 0; i < N_DOC; i++) {
        const world_preset_t *w = world_at(i);
        CHECK(w && !strcmp(w->name, DOC[i].name)); /* documentation order */
        CHECK(world_find(DOC[i].name) == w);
        CHECK(strstr(names, DOC[i].name) != NULL);
        CHECK(w->about && w->about[0]);
        for (int r = 0; r < w->rows; r++) { /* world_apply copies cols letters: longer rows would hide */
            CHECK_MSG(strlen(w->map[r]) == (size_t)w->cols, "%s map row %d", w->name, r);
            CHECK_MSG(!w->obs || strlen(w->obs[r]) == (size_t)w->cols, "%s obs row %d", w->name, r);
            for (int c = 0; w->obs && c < w->cols; c++) CHECK(w->obs[r][c] >= '0' && w->obs[r][c] <= '9');
        }
    }
    CHECK(world_at(-1) == NULL && world_at(N_DOC) == NULL);
    CHECK(world_find("paper8") == NULL && world_find("") == NULL);
}

/* Every preset as documented: size, ends, optimal path, slip, cap, kernel, eta. */
static void test_presets_as_documented(void) {
    for (int i = 0; i < N_DOC; i++) {
        const documented_t *d = &DOC[i];
        char envs[128];
        snprintf(envs, sizeof envs, "  - preset: %s\n", d->name);
        jobspec_t job;
        gridworld_t g;
        LOAD(job, g, envs);
        CHECK_MSG(!strcmp(g.name, d->name), "%s: name %s", d->name, g.name); /* name defaults to the preset's */
        CHECK_MSG(g.rows == d->rows && g.cols == d->cols, "%s: %dx%d", d->name, g.rows, g.cols);
        CHECK_MSG(g.start == d->start_r * d->cols + d->start_c, "%s: start %d", d->name, g.start);
        CHECK_MSG(g.goal == d->goal_r * d->cols + d->goal_c, "%s: goal %d", d->name, g.goal);
        CHECK_MSG(fabs(g.opt_steps - d->optimal) < 1e-9, "%s: optimal %.17g, documented %g", d->name, g.opt_steps,
                  d->optimal); /* an expectation over the contexts: to rounding */
        CHECK_MSG(g.n_contexts == d->contexts && g.cue_rel == d->cue, "%s: %d contexts, cue %g", d->name,
                  g.n_contexts, g.cue_rel);
        CHECK_MSG(g.slip == d->slip && g.max_steps == d->max_steps && g.noise_radius == d->noise_radius,
                  "%s: slip %g max_steps %d noise_radius %d", d->name, g.slip, g.max_steps, g.noise_radius);
        CHECK(g.n_actions == 4 && g.goal_reward == 1.0 && g.step_reward == 0.0 && g.hole_reward == 0.0);
        int lit = 0;
        for (int s = 0; s < g.n_states; s++) lit += g.eta[s] == 1.0;
        CHECK_MSG(d->observable ? lit == g.n_states : lit < g.n_states, "%s: %d lit cells", d->name, lit);
        CHECK_MSG(g.eta[g.start] == 1.0 && g.eta[g.goal] == 1.0, "%s: start or goal not lit", d->name);
        gw_free(&g);
        jobspec_free(&job);
    }
}

/* Two built worlds are the same world: every cell, level, matrix, number. */
static int same_world(const gridworld_t *a, const gridworld_t *b) {
    size_t n = (size_t)a->n_states;
    if (a->rows != b->rows || a->cols != b->cols || a->n_actions != b->n_actions) return 0;
    if (a->start != b->start || a->goal != b->goal || a->max_steps != b->max_steps) return 0;
    if (a->slip != b->slip || a->noise_radius != b->noise_radius || a->goal_reward != b->goal_reward ||
        a->step_reward != b->step_reward || a->hole_reward != b->hole_reward)
        return 0;
    return !memcmp(a->cells, b->cells, n) && !memcmp(a->eta, b->eta, n * sizeof *a->eta) &&
           !memcmp(a->B, b->B, (size_t)a->n_actions * n * n * sizeof *a->B) &&
           !memcmp(a->A, b->A, n * n * sizeof *a->A) && !memcmp(a->dist, b->dist, n * sizeof *a->dist);
}

/* paper4x4, paper8x8 and grid16 are the worlds of the shipped jobs. */
static void test_presets_equal_shipped_jobs(void) {
    const char *const pairs[][2] = {
        {"jobs/paper_4x4.yaml", "paper4x4"}, {"jobs/paper_8x8.yaml", "paper8x8"}, {"jobs/grid16.yaml", "grid16"}};
    for (int k = 0; k < 3; k++) {
        char *text, err[2048], envs[128];
        size_t len;
        CHECK_MSG(jobspec_read_file(pairs[k][0], &text, &len, err, sizeof err) == 0, "%s (run from the repository root)", err);
        jobspec_t shipped, mine;
        int rc = job_parse(&shipped, pairs[k][0], text, len, err, sizeof err);
        free(text);
        CHECK_MSG(rc == 0, "%s", err);
        gridworld_t a, b;
        CHECK_MSG(gw_build(&a, &shipped.envs[0], err, sizeof err) == 0, "%s", err);
        snprintf(envs, sizeof envs, "  - preset: %s\n", pairs[k][1]);
        LOAD(mine, b, envs);
        CHECK_MSG(!strcmp(a.name, b.name), "%s: the job's world is called %s", pairs[k][1], a.name);
        CHECK_MSG(same_world(&a, &b), "preset %s differs from %s's world", pairs[k][1], pairs[k][0]);
        gw_free(&a);
        gw_free(&b);
        jobspec_free(&shipped);
        jobspec_free(&mine);
    }
}

static void test_overrides(void) {
    jobspec_t job;
    gridworld_t g;
    LOAD(job, g, "  - name: slippery\n    preset: paper8x8\n    slip: 0.3\n    max_steps: 300\n"
                 "    noise_radius: 2\n    actions: 5\n    step_reward: -0.01\n");
    CHECK(!strcmp(g.name, "slippery") && g.slip == 0.3 && g.max_steps == 300 && g.noise_radius == 2);
    CHECK(g.n_actions == 5 && g.step_reward == -0.01);
    CHECK_NEAR(g.eta[1 * 8 + 1], 0.7, 1e-15); /* the preset's map stays */
    gw_free(&g);
    jobspec_free(&job);

    /* obs_noise as a number replaces the preset's map everywhere. */
    LOAD(job, g, "  - preset: paper8x8\n    obs_noise: 0.2\n");
    for (int s = 0; s < g.n_states; s++) CHECK_NEAR(g.eta[s], 0.8, 1e-15);
    CHECK(g.slip == 0.1); /* the rest stays */
    gw_free(&g);
    jobspec_free(&job);

    /* obs_noise rows replace it cell by cell; 0.0 makes the world fully observable. */
    LOAD(job, g, "  - preset: paper4x4\n    obs_noise: [\"0000\", \"0900\", \"0000\", \"0000\"]\n");
    CHECK_NEAR(g.eta[5], 0.1, 1e-15);
    CHECK(g.eta[0] == 1.0 && g.eta[15] == 1.0);
    gw_free(&g);
    jobspec_free(&job);
    LOAD(job, g, "  - preset: grid16\n    obs_noise: 0\n");
    for (int s = 0; s < g.n_states; s++) CHECK(g.eta[s] == 1.0);
    gw_free(&g);
    jobspec_free(&job);

    /* Gymnasium's is_slippery=True is slip 2/3 here. */
    LOAD(job, g, "  - preset: frozenlake8x8\n    slip: 0.6667\n");
    CHECK(g.slip == 0.6667 && count_cells(&g, 'H') == 10);
    gw_free(&g);
    jobspec_free(&job);
}

/* start / goal move the preset's S / G (they may even trade places); a map
 * replaces the preset's map; a size that agrees is accepted. */
static void test_override_ends_and_map(void) {
    jobspec_t job;
    gridworld_t g;
    LOAD(job, g, "  - preset: maze15x15\n    start: [14, 14]\n    goal: [0, 0]\n");
    CHECK(g.start == 14 * 15 + 14 && g.goal == 0 && g.dist[g.start] == 56);
    CHECK(count_cells(&g, 'S') == 1 && count_cells(&g, 'G') == 1);
    gw_free(&g);
    jobspec_free(&job);

    LOAD(job, g, "  - preset: serpentine9x9\n    goal: [2, 0]\n");
    CHECK(g.start == 0 && g.goal == 2 * 9 && g.dist[g.start] == 18);
    gw_free(&g);
    jobspec_free(&job);

    LOAD(job, g, "  - preset: paper4x4\n    size: 4\n    map: [\"SFFF\", \"FHHF\", \"FFFF\", \"FFFG\"]\n");
    CHECK(count_cells(&g, 'H') == 2 && g.dist[g.start] == 6 && g.max_steps == 100);
    gw_free(&g);
    jobspec_free(&job);

    LOAD(job, g, "  - preset: ambiguity\n    rows: 5\n    cols: 9\n");
    CHECK(g.rows == 5 && g.cols == 9);
    gw_free(&g);
    jobspec_free(&job);
}

static void test_errors(void) {
    REFUSED("  - preset: paper8\n",
            "t.yaml:2: environments[0].preset: unknown preset \"paper8\"; did you mean paper8x8? (known: paper4x4, "
            "paper8x8, grid16, frozenlake8x8, serpentine9x9, maze15x15, ambiguity, open32x32, tmaze, tmaze-cue0.9, cue-maze, plus-maze)");
    REFUSED("  - preset: labyrinth\n", "environments[0].preset: unknown preset \"labyrinth\" (known: paper4x4,");
    REFUSED("  - preset: [paper4x4]\n", "environments[0].preset: expected a preset name (known: paper4x4,");
    REFUSED("  - name: w\n    preset: paper8x8\n    size: 4\n",
            "t.yaml:4: environments[0].size: size: 4 disagrees with preset paper8x8, which is 8x8");
    REFUSED("  - name: w\n    preset: ambiguity\n    rows: 9\n    cols: 9\n",
            "t.yaml:4: environments[0].rows: rows: 9, cols: 9 disagree with preset ambiguity, which is 5 x 9");
    REFUSED("  - name: w\n    preset: ambiguity\n    rows: 5\n    cols: 5\n",
            "t.yaml:5: environments[0].cols: rows: 5, cols: 5 disagree with preset ambiguity");
    REFUSED("  - preset: paper4x4\n    obs_noise: [\"0000\", \"0000\"]\n",
            "environments[0].obs_noise: has 2 rows, expected 4 (from preset: paper4x4, 4x4)");
    REFUSED("  - preset: paper4x4\n    map: [\"SFFFF\", \"FFFFF\", \"FFFFF\", \"FFFFG\"]\n",
            "environments[0].map[0]: row 0 has 5 cells, expected 4 (from preset: paper4x4, 4x4)");
    REFUSED("  - preset: paper4x4\n  - preset: paper4x4\n",
            "t.yaml:3: environments[1].name: duplicate environment name \"paper4x4\" (also environments[0] on line 2");
    REFUSED("  - preset: maze15x15\n    start: [1, 1]\n", "environments[0].start: [1, 1] is '#' in the map");
    REFUSED("  - preset: serpentine9x9\n    start: [8, 8]\n", "[8, 8] is 'G' in the map");
    REFUSED("  - size: 4\n", "environments[0].name: missing (every environment needs a unique name, or a preset");
}

/* Floor cells of the maze form a tree: connected, with edges = cells - 1. */
static void test_maze_is_perfect(void) {
    jobspec_t job;
    gridworld_t g;
    LOAD(job, g, "  - preset: maze15x15\n");
    int cells = 0, edges = 0, reached = 0;
    for (int s = 0; s < g.n_states; s++) {
        int r = gw_row(&g, s), c = gw_col(&g, s);
        if (r % 2 && c % 2) CHECK_MSG(g.cells[s] == '#', "(%d, %d) between rooms is not a wall", r, c);
        if (!(r % 2) && !(c % 2)) CHECK_MSG(g.cells[s] != '#', "room (%d, %d) is a wall", r, c);
        CHECK(g.cells[s] != 'H');
        if (g.cells[s] == '#') continue;
        cells++;
        reached += g.dist[s] >= 0; /* BFS from the goal: connected iff it reaches every floor cell */
        if (c + 1 < g.cols && g.cells[s + 1] != '#') edges++;
        if (r + 1 < g.rows && g.cells[s + g.cols] != '#') edges++;
    }
    CHECK_MSG(cells == 64 + 63, "%d floor cells (64 rooms + 63 passages expected)", cells);
    CHECK_MSG(edges == cells - 1, "%d edges between %d floor cells: not a tree", edges, cells);
    CHECK_MSG(reached == cells, "%d of %d floor cells reach the goal", reached, cells);
    gw_free(&g);
    jobspec_free(&job);
}

/* The serpentine's only route is 48 = 3 x the Manhattan distance 16, and each
 * wall row has exactly one gap, at the alternating end. */
static void test_serpentine(void) {
    jobspec_t job;
    gridworld_t g;
    LOAD(job, g, "  - preset: serpentine9x9\n");
    int manhattan = (gw_row(&g, g.goal) - gw_row(&g, g.start)) + (gw_col(&g, g.goal) - gw_col(&g, g.start));
    CHECK(manhattan == 16 && g.dist[g.start] == 3 * manhattan);
    for (int r = 1; r < 9; r += 2) {
        int gap = r % 4 == 1 ? 8 : 0, walls = 0;
        for (int c = 0; c < 9; c++) walls += g.cells[r * 9 + c] == '#';
        CHECK_MSG(walls == 8 && g.cells[r * 9 + gap] == 'F', "row %d: %d walls, gap at col %d?", r, walls, gap);
    }
    gw_free(&g);
    jobspec_free(&job);
}

/* Gymnasium's MAPS["8x8"] (gymnasium/envs/toy_text/frozen_lake.py). */
static void test_frozenlake_map(void) {
    static const char *const gym8x8[] = {"SFFFFFFF", "FFFFFFFF", "FFFHFFFF", "FFFFFHFF",
                                         "FFFHFFFF", "FHHFFFHF", "FHFFHFHF", "FFFHFFFG"};
    jobspec_t job;
    gridworld_t g;
    LOAD(job, g, "  - preset: frozenlake8x8\n");
    for (int r = 0; r < 8; r++) CHECK_MSG(!memcmp(g.cells + r * 8, gym8x8[r], 8), "row %d", r);
    gw_free(&g);
    jobspec_free(&job);
}

/* The ambiguity world: the short route (10) needs dark cells (eta <= 0.3)
 * that have holes beside them; without the dark cells the route is the lit
 * one, 12 steps, with no hole beside it. */
static void test_ambiguity_routes(void) {
    jobspec_t job;
    gridworld_t g;
    LOAD(job, g, "  - preset: ambiguity\n");
    CHECK(g.dist[g.start] == 10 && g.slip > 0.0);
    int dark = 0, dark_by_hole = 0;
    char map[5 * 9 + 1];
    for (int s = 0; s < g.n_states; s++) {
        map[s] = g.cells[s];
        if (g.eta[s] == 1.0) continue;
        CHECK_MSG(g.eta[s] <= 0.3 + 1e-12, "cell %d has eta %g (neither lit nor dark)", s, g.eta[s]);
        dark++;
        map[s] = '#';
        int r = gw_row(&g, s), c = gw_col(&g, s), hole = 0;
        if (r > 0) hole |= g.cells[s - 9] == 'H';
        if (r < 4) hole |= g.cells[s + 9] == 'H';
        if (c > 0) hole |= g.cells[s - 1] == 'H';
        if (c < 8) hole |= g.cells[s + 1] == 'H';
        dark_by_hole += hole;
    }
    map[g.n_states] = '\0';
    CHECK_MSG(dark == 9 && dark_by_hole == 7, "%d dark cells, %d beside a hole", dark, dark_by_hole);
    gridworld_t lit;
    gw_spec_t sp = job.envs[0];
    sp.map = map;
    BUILD(lit, sp);
    CHECK_MSG(lit.dist[lit.start] == 12, "the lit route is %d steps", lit.dist[lit.start]);
    int on_route = 0;
    for (int s = 0; s < lit.n_states; s++) { /* what is left is the lit route: no hole beside it */
        if (lit.dist[s] < 0) continue;
        on_route++;
        int r = gw_row(&lit, s), c = gw_col(&lit, s);
        if (r > 0) CHECK(lit.cells[s - 9] != 'H');
        if (r < 4) CHECK(lit.cells[s + 9] != 'H');
        if (c > 0) CHECK(lit.cells[s - 1] != 'H');
        if (c < 8) CHECK(lit.cells[s + 1] != 'H');
    }
    CHECK_MSG(on_route == 13, "%d cells reach the goal without the dark ones (the lit route has 13)", on_route);
    gw_free(&lit);
    gw_free(&g);
    jobspec_free(&job);
}

/* open32x32: single-digit rectangular patches of 2x2 to 3x3 with digits 3 5 6
 * 8, about 10% of the cells, none touching another. */
static void test_open32_patches(void) {
    jobspec_t job;
    gridworld_t g;
    LOAD(job, g, "  - preset: open32x32\n");
    CHECK(count_cells(&g, 'F') == 32 * 32 - 2);
    int covered = 0, patches = 0;
    char *seen = calloc((size_t)g.n_states, 1);
    CHECK(seen);
    for (int s = 0; s < g.n_states; s++) {
        if (g.eta[s] == 1.0 || seen[s]) continue;
        int r0 = gw_row(&g, s), c0 = gw_col(&g, s), h = 0, w = 0; /* s is a patch's top-left corner */
        while (r0 + h < 32 && g.eta[(r0 + h) * 32 + c0] == g.eta[s]) h++;
        while (c0 + w < 32 && g.eta[r0 * 32 + c0 + w] == g.eta[s]) w++;
        int digit = (int)lround((1.0 - g.eta[s]) * 10);
        CHECK_MSG(h >= 2 && h <= 3 && w >= 2 && w <= 3, "patch at (%d, %d) is %dx%d", r0, c0, h, w);
        CHECK_MSG(digit == 3 || digit == 5 || digit == 6 || digit == 8, "digit %d", digit);
        for (int r = r0 - 1; r <= r0 + h; r++) /* the rectangle, and a lit ring around it */
            for (int c = c0 - 1; c <= c0 + w; c++) {
                if (r < 0 || r >= 32 || c < 0 || c >= 32) continue;
                int inside = r >= r0 && r < r0 + h && c >= c0 && c < c0 + w;
                CHECK_MSG(inside ? g.eta[r * 32 + c] == g.eta[s] : g.eta[r * 32 + c] == 1.0,
                          "patch at (%d, %d) is not a lone rectangle at (%d, %d)", r0, c0, r, c);
                if (inside) seen[r * 32 + c] = 1;
            }
        covered += h * w;
        patches++;
    }
    free(seen);
    CHECK_MSG(covered >= 82 && covered <= 123, "patches cover %d cells", covered);
    CHECK(patches >= 10);
    gw_free(&g);
    jobspec_free(&job);
}

/* worlds_build: a world that cannot be built is refused naming the file, the
 * line and the environment, as the parser names its errors; nothing is left
 * to free. */
static void test_worlds_build_error(void) {
    static const char JOB[] =
        "name: wb\nseeds: 1\ntrain_steps: 10\neval_episodes: 1\n"
        "environments:\n  - name: ok\n    size: 3\n  - name: w\n    size: 3\n"
        "agents:\n  - type: random\n";
    char err[1024];
    jobspec_t job;
    CHECK_MSG(job_parse(&job, "wb.yaml", JOB, strlen(JOB), err, sizeof err) == 0, "%s", err);
    worlds_t ws;
    CHECK_MSG(worlds_build(&ws, &job, err, sizeof err) == 0, "%s", err);
    CHECK(ws.n == 2 && ws.w[1].rows == 3 && ws.k[1].oracle_dist != NULL);
    worlds_free(&ws);
    job.envs[1].start = 99;   /* off the 3x3 grid: the builder must refuse it */
    memset(&ws, 0, sizeof ws);
    int rc = worlds_build(&ws, &job, err, sizeof err);
    if (rc == 0) worlds_free(&ws);
    jobspec_free(&job);
    CHECK_MSG(rc == -1 && strstr(err, "wb.yaml:8: environments[1]: ") && strstr(err, "'w'") && strstr(err, "99"),
              "rc %d: %s", rc, err);
}

static const unit_test_t tests[] = {
    {"registry", test_registry},
    {"presets_as_documented", test_presets_as_documented},
    {"presets_equal_shipped_jobs", test_presets_equal_shipped_jobs},
    {"overrides", test_overrides},
    {"override_ends_and_map", test_override_ends_and_map},
    {"errors", test_errors},
    {"maze_is_perfect", test_maze_is_perfect},
    {"serpentine", test_serpentine},
    {"frozenlake_map", test_frozenlake_map},
    {"ambiguity_routes", test_ambiguity_routes},
    {"open32_patches", test_open32_patches},
    {"worlds_build_error", test_worlds_build_error},
    {0, 0},
};

int main(int argc, char **argv) { return unit_main(argc, argv, tests); }
