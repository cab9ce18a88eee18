/* explore: directed exploration from the agent's own counts (include/aif/explore.h). */
#include "aif/explore.h"
#include <math.h>
#include <stdlib.h>
#include <string.h>

int explorer_alloc(explorer_t *x, int n_cells, int n_actions, double novelty, double dead_end) {
    memset(x, 0, sizeof *x);
    x->n = n_cells;
    x->na = n_actions;
    x->novelty = novelty;
    x->dead_end = dead_end;
    size_t slots = (size_t)n_cells * n_actions * EXPLORE_WIDTH;
    x->succ = malloc(sizeof(int) * slots);
    x->cnt = calloc(slots, sizeof(int));
    x->tried = calloc((size_t)n_cells * n_actions, sizeof(int));
    x->ended = calloc((size_t)n_cells, 1);
    x->seen = calloc((size_t)n_cells, 1);
    x->V = calloc((size_t)n_cells, sizeof(double));
    x->now = malloc(sizeof(double) * (size_t)n_cells * n_actions);
    x->p = calloc(slots, sizeof(double));
    if (!x->succ || !x->cnt || !x->tried || !x->ended || !x->seen || !x->V || !x->now || !x->p) {
        explorer_free(x);
        return -1;
    }
    for (size_t i = 0; i < slots; i++) x->succ[i] = -1;
    for (size_t i = 0; i < (size_t)n_cells * n_actions; i++) x->now[i] = -novelty;
    x->dirty = 1;
    return 0;
}

void explorer_free(explorer_t *x) {
    free(x->succ);
    free(x->cnt);
    free(x->tried);
    free(x->ended);
    free(x->seen);
    free(x->V);
    free(x->now);
    free(x->p);
    memset(x, 0, sizeof *x);
}

void explorer_clear(explorer_t *x) {
    const size_t slots = (size_t)x->n * x->na * EXPLORE_WIDTH;
    for (size_t i = 0; i < slots; i++) { x->succ[i] = -1; x->cnt[i] = 0; x->p[i] = 0.0; }
    for (size_t i = 0; i < (size_t)x->n * x->na; i++) x->now[i] = -x->novelty;
    memset(x->tried, 0, sizeof(int) * (size_t)x->n * x->na);
    memset(x->ended, 0, (size_t)x->n);
    memset(x->seen, 0, (size_t)x->n);
    memset(x->V, 0, sizeof(double) * (size_t)x->n);
    x->dirty = 1;
}

void explorer_visit(explorer_t *x, int s) {
    if (!x->seen[s]) x->dirty = 1;
    x->seen[s] = 1;
}

/* Move i = s na + a's successor frequencies and the worth of making it now,
 * novelty / sqrt(1 + n) less the cost of the episode it ends where it ended
 * one before (a move into a hole is bought with the rest of the episode):
 * what q_value reads, recomputed when the move's counts or the cells where
 * episodes ended change. */
static void move_changed(explorer_t *x, size_t i) {
    const int tried = x->tried[i];
    const size_t base = i * EXPLORE_WIDTH;
    double now = -x->novelty / sqrt(1.0 + tried), ends = 0.0;
    for (int k = 0; tried > 0 && k < EXPLORE_WIDTH && x->succ[base + k] >= 0; k++) {
        const double p = (double)x->cnt[base + k] / tried;
        x->p[base + k] = p;
        if (x->ended[x->succ[base + k]]) ends += p;
    }
    if (tried > 0) now += ends * x->dead_end;
    x->now[i] = now;
}

void explorer_step(explorer_t *x, int s, int a, int s2) {
    explorer_visit(x, s);
    explorer_visit(x, s2);
    const size_t i = (size_t)s * x->na + a, base = i * EXPLORE_WIDTH;
    x->tried[i]++;
    x->dirty = 1;
    int k = 0;
    while (k < EXPLORE_WIDTH && x->succ[base + k] >= 0 && x->succ[base + k] != s2) k++;
    if (k == EXPLORE_WIDTH) x->cnt[base + EXPLORE_WIDTH - 1]++; /* more successors than slots (not in a grid world): counted in the last */
    else if (x->succ[base + k] == s2) x->cnt[base + k]++;
    else { x->succ[base + k] = s2; x->cnt[base + k] = 1; }
    move_changed(x, i);
}

void explorer_ended(explorer_t *x, int s) {
    x->seen[s] = 1;
    if (x->ended[s]) return;
    x->ended[s] = 1;
    x->dirty = 1;
    for (size_t i = 0; i < (size_t)x->n * x->na; i++) /* rare: the moves into s end an episode now */
        if (x->tried[i] > 0) move_changed(x, i);
}

/* The better of making the move now for its information (x->now) and going
 * on through it to a better one. */
static double q_value(const explorer_t *x, int s, int a) {
    const size_t i = (size_t)s * x->na + a;
    const double now = x->now[i];
    if (x->tried[i] == 0) return now;
    const size_t base = i * EXPLORE_WIDTH;
    double q = 0.0;
    for (int k = 0; k < EXPLORE_WIDTH && x->succ[base + k] >= 0; k++)
        q += x->p[base + k] * (1.0 + x->V[x->succ[base + k]]);
    return q < now ? q : now;
}

/* Values by value iteration, warm-started from the last solve: every step
 * costs 1 and making a move for its information ends a plan, so the values
 * are bounded below by -novelty and the iteration settles. */
static void solve(explorer_t *x) {
    const int n = x->n;
    for (int it = 0; it < 4 * n + 8; it++) {
        double change = 0.0;
        for (int s = 0; s < n; s++) {
            if (!x->seen[s]) continue;
            double v = x->dead_end;
            if (!x->ended[s]) {
                v = INFINITY;
                for (int a = 0; a < x->na; a++) {
                    double q = q_value(x, s, a);
                    if (q < v) v = q;
                }
                if (v > x->dead_end) v = x->dead_end; /* nothing better known: as bad as a dead end */
            }
            double d = fabs(v - x->V[s]);
            if (d > change) change = d;
            x->V[s] = v;
        }
        if (change < 1e-9) break;
    }
    x->dirty = 0;
}

int explorer_act(explorer_t *x, int s, rng_t *r) {
    explorer_visit(x, s);
    if (x->dirty) solve(x);
    double best = INFINITY;
    int n_best = 0, pick = 0;
    for (int a = 0; a < x->na; a++) {
        double q = q_value(x, s, a);
        if (q < best - 1e-9) { best = q; n_best = 1; pick = a; }
        else if (q <= best + 1e-9 && rng_below(r, (uint32_t)++n_best) == 0) pick = a;
    }
    return pick;
}
