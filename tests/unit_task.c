/* The agent's view (task.h): coordinates decode with the grid's shape alone,
 * moves on the open grid.  What the world hands over (task_from_world) is
 * tested in unit_env.c, agents made from the view alone in unit_agents.c. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "interface/agents.h"
#include "world/env.h"
#include "unit.h"
#include "unit_world.h"

static task_t shape(int rows, int cols) {
    task_t t;
    memset(&t, 0, sizeof t);
    t.rows = rows;
    t.cols = cols;
    t.n_cells = rows * cols;
    t.n_actions = 4;
    t.goal = t.n_cells - 1;
    t.max_steps = 10;
    return t;
}

static void xy_round_trip(int rows, int cols) {
    task_t t = shape(rows, cols);
    for (int s = 0; s < t.n_cells; s++) {
        float x, y;
        task_cell_to_xy(&t, s, &x, &y);
        CHECK(x >= -1.0f && x <= 1.0f && y >= -1.0f && y <= 1.0f);
        double want_x = cols > 1 ? 2.0 * (s % cols) / (cols - 1) - 1.0 : 0.0;
        double want_y = rows > 1 ? 2.0 * (s / cols) / (rows - 1) - 1.0 : 0.0;
        CHECK_NEAR(x, want_x, 1e-6);
        CHECK_NEAR(y, want_y, 1e-6);
        CHECK_MSG(task_xy_to_cell(&t, x, y) == s, "%dx%d cell %d", rows, cols, s);
        /* A small perturbation still lands on the same cell. */
        float hx = cols > 1 ? 0.4f / (cols - 1) : 0.4f, hy = rows > 1 ? 0.4f / (rows - 1) : 0.4f;
        CHECK(task_xy_to_cell(&t, x + hx, y - hy) == s);
    }
}

static void test_xy_round_trip(void) {
    xy_round_trip(1, 3);
    xy_round_trip(3, 1);
    xy_round_trip(4, 4);
    xy_round_trip(5, 7);
    xy_round_trip(16, 16);
}

/* Decoding knows only the shape: a point on a wall of the true map decodes to
 * the wall cell (the agent cannot know it is one), exactly as on an open grid
 * of the same shape; rounding and clamping as documented. */
static void test_decode_uses_shape_only(void) {
    gw_spec_t sp;
    gw_spec_init(&sp);
    sp.rows = sp.cols = 3;
    sp.map = "SFF" "F#F" "FFG";
    gridworld_t g;
    BUILD(g, sp);
    task_t walled, open = shape(3, 3);
    task_from_world(&walled, &g, NULL, 0);
    CHECK(walled.oracle_dist == NULL && walled.truth == NULL);
    for (float x = -1.2f; x <= 1.2f; x += 0.05f)
        for (float y = -1.2f; y <= 1.2f; y += 0.05f)
            CHECK(task_xy_to_cell(&walled, x, y) == task_xy_to_cell(&open, x, y));
    CHECK(task_xy_to_cell(&walled, 0.0f, 0.0f) == 4); /* the wall cell */
    CHECK(task_xy_to_cell(&walled, 0.1f, -0.2f) == 4);
    CHECK(task_xy_to_cell(&walled, 0.6f, 0.0f) == 5);
    CHECK(task_xy_to_cell(&walled, 5.0f, -7.0f) == 2);  /* clamped */
    CHECK(task_xy_to_cell(&walled, -1.0f, 1.0f) == 6);
    CHECK(task_xy_to_cell(&walled, NAN, NAN) == 0);
    task_t row = shape(1, 3);
    CHECK(task_xy_to_cell(&row, -0.51f, 0.9f) == 0 && task_xy_to_cell(&row, -0.49f, 0.9f) == 1);
    CHECK(task_xy_to_cell(&row, 7.0f, 0.0f) == 2);
    gw_free(&g);
}

static void test_neighbours(void) {
    task_t t = shape(3, 4);
    CHECK(task_neighbour(&t, 0, ACT_UP) == 0 && task_neighbour(&t, 0, ACT_LEFT) == 0);
    CHECK(task_neighbour(&t, 0, ACT_RIGHT) == 1 && task_neighbour(&t, 0, ACT_DOWN) == 4);
    CHECK(task_neighbour(&t, 11, ACT_DOWN) == 11 && task_neighbour(&t, 11, ACT_RIGHT) == 11);
    CHECK(task_neighbour(&t, 5, ACT_STAY) == 5);
    CHECK(task_manhattan(&t, 0, 11) == 5 && task_manhattan(&t, 6, 6) == 0 && task_manhattan(&t, 3, 8) == 5);
}

static const unit_test_t tests[] = {
    {"xy_round_trip", test_xy_round_trip},
    {"decode_uses_shape_only", test_decode_uses_shape_only},
    {"neighbours", test_neighbours},
    {0, 0},
};

int main(int argc, char **argv) { return unit_main(argc, argv, tests); }
