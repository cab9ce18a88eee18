/* task: the agent's view of its task (include/interface/task.h). */
#include "interface/task.h"
#include <math.h>
#include <stdlib.h>

const char *const task_action_names[TASK_MAX_ACTIONS] = {"up", "down", "left", "right", "stay"};

static const int act_dr[TASK_MAX_ACTIONS] = {-1, 1, 0, 0, 0};
static const int act_dc[TASK_MAX_ACTIONS] = {0, 0, -1, 1, 0};

static double to_unit(int i, int n) { return n > 1 ? 2.0 * i / (n - 1) - 1.0 : 0.0; }

/* Nearest index to scaled coordinate v; ties go to the lower index.  NaN
 * behaves like -1. */
static int nearest_index(double v, int n) {
    if (n <= 1) return 0;
    if (!(v >= -1.0)) v = -1.0;
    if (v > 1.0) v = 1.0;
    int i = (int)ceil((v + 1.0) * 0.5 * (n - 1) - 0.5);
    return i < 0 ? 0 : i > n - 1 ? n - 1 : i;
}

void task_cell_to_xy(const task_t *t, int s, float *x, float *y) {
    *x = (float)to_unit(s % t->cols, t->cols);
    *y = (float)to_unit(s / t->cols, t->rows);
}

/* The lattice is rectangular, so per-axis rounding is the nearest cell. */
int task_xy_to_cell(const task_t *t, float x, float y) {
    return nearest_index(y, t->rows) * t->cols + nearest_index(x, t->cols);
}

int task_neighbour(const task_t *t, int s, int a) {
    int r = s / t->cols + act_dr[a], c = s % t->cols + act_dc[a];
    if (r < 0 || r >= t->rows || c < 0 || c >= t->cols) return s;
    return r * t->cols + c;
}

int task_manhattan(const task_t *t, int s1, int s2) {
    return abs(s1 / t->cols - s2 / t->cols) + abs(s1 % t->cols - s2 % t->cols);
}
