/* gridworld: maps, transitions, the observation model, shortest-path distances.
 *
 * Memory: B and A are dense because the exact active-inference agent needs
 * them as matrices.  A 32x32 world with 5 actions holds B = 5 * 1024^2 doubles
 * = 40 MiB and A = 1024^2 doubles = 8 MiB, per world and per rank.  Anything
 * much larger would take down a shared node, so gw_build refuses worlds whose
 * dense B + A exceed GW_MAX_DENSE_BYTES (64x64 with 5 actions, ~805 MiB, fits).
 *
 * Sampling never scans a dense row: gw_step uses `next` and gw_observe walks
 * the (2r+1)^2 window around s, so both cost O(1) / O(kernel).  Random-number
 * consumption is fixed so runs are reproducible whatever the world:
 *   gw_step:    exactly one rng_uniform if slip > 0 (every state and action,
 *               absorbing ones and ACT_STAY included), none if slip == 0.
 *   gw_observe: nothing if eta[s] == 1; otherwise one rng_uniform, and if it
 *               says "noisy" and the kernel is non-empty one rng_below(k) that
 *               picks the kernel cell by rank in ascending cell order. */
#include "world/gridworld.h"
#include <assert.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define GW_MAX_SIDE 256
#define GW_MAX_DENSE_BYTES (1024.0 * 1024.0 * 1024.0)

/* Row and column offsets of each action (stay = no move). */
static const int act_dr[GW_MAX_ACTIONS] = {-1, 1, 0, 0, 0};
static const int act_dc[GW_MAX_ACTIONS] = {0, 0, -1, 1, 0};

void gw_spec_init(gw_spec_t *spec) {
    memset(spec, 0, sizeof *spec);
    spec->rows = spec->cols = 4;
    spec->map = NULL;
    spec->start = spec->goal = -1;
    spec->slip = 0.0;
    spec->eta = NULL;
    spec->eta_all = 1.0;
    spec->noise_radius = 1;
    spec->max_steps = 100;
    spec->n_actions = 4;
    spec->step_reward = 0.0;
    spec->goal_reward = 1.0;
    spec->hole_reward = 0.0;
    spec->cue_reliability = 1.0;
}

/* ---- errors ---------------------------------------------------------------- */

/* Writes "world 'name': <message>" (name omitted if empty) and returns -1. */
static int fail(char *err, size_t errlen, const gw_spec_t *spec, const char *fmt, ...) {
    if (!err || errlen == 0) return -1;
    int k = 0;
    size_t nl = strnlen(spec->name, sizeof spec->name);
    if (nl > 0) k = snprintf(err, errlen, "world '%.*s': ", (int)nl, spec->name);
    if (k < 0) k = 0;
    if ((size_t)k < errlen) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err + k, errlen - (size_t)k, fmt, ap);
        va_end(ap);
    }
    return -1;
}

/* ---- validation (before any allocation) ------------------------------------- */

static int check_scalars(const gw_spec_t *sp, char *err, size_t errlen) {
    if (sp->rows < 1 || sp->rows > GW_MAX_SIDE)
        return fail(err, errlen, sp, "rows = %d, must be in [1, %d]", sp->rows, GW_MAX_SIDE);
    if (sp->cols < 1 || sp->cols > GW_MAX_SIDE)
        return fail(err, errlen, sp, "cols = %d, must be in [1, %d]", sp->cols, GW_MAX_SIDE);
    if (!(sp->slip >= 0.0 && sp->slip < 1.0))
        return fail(err, errlen, sp, "slip = %g, must be in [0, 1)", sp->slip);
    if (sp->max_steps < 1)
        return fail(err, errlen, sp, "max_steps = %d, must be >= 1", sp->max_steps);
    if (sp->n_actions != 4 && sp->n_actions != 5)
        return fail(err, errlen, sp, "n_actions = %d, must be 4 or 5", sp->n_actions);
    if (sp->noise_radius < 1)
        return fail(err, errlen, sp, "noise_radius = %d, must be >= 1", sp->noise_radius);
    return 0;
}

static int valid_eta(double e) { return e >= 0.0 && e <= 1.0; } /* rejects NaN too */

static int check_eta(const gw_spec_t *sp, char *err, size_t errlen) {
    int n = sp->rows * sp->cols;
    if (!sp->eta) {
        if (!valid_eta(sp->eta_all))
            return fail(err, errlen, sp, "eta_all = %g, must be in [0, 1]", sp->eta_all);
        return 0;
    }
    for (int s = 0; s < n; s++)
        if (!valid_eta(sp->eta[s]))
            return fail(err, errlen, sp, "eta[%d] = %g (row %d, col %d), must be in [0, 1]",
                        s, sp->eta[s], s / sp->cols, s % sp->cols);
    return 0;
}

/* Map length, letters, and at most one 'S' and one 'G'. */
static int check_map(const gw_spec_t *sp, char *err, size_t errlen) {
    if (!sp->map) return 0;
    size_t n = (size_t)sp->rows * (size_t)sp->cols;
    size_t len = strnlen(sp->map, n + 1);
    if (len != n)
        return fail(err, errlen, sp, "map has %s%zu letters, expected rows*cols = %zu",
                    len > n ? "more than " : "", len > n ? n : len, n);
    int n_s = 0, n_g = 0, n_c = 0, digit[10] = {0}, top = 0;
    for (size_t i = 0; i < n; i++) {
        char c = sp->map[i];
        if (c == '\0' || !strchr("SFHG#C123456789", c))
            return fail(err, errlen, sp,
                        "map letter '%c' (0x%02x) at cell %zu is not one of S F H G # C or a goal digit 1-9",
                        c >= 32 && c < 127 ? c : '?', (unsigned char)c, i);
        n_s += c == 'S';
        n_g += c == 'G';
        n_c += c == 'C';
        if (c >= '1' && c <= '9') {
            digit[c - '0']++;
            if (c - '0' > top) top = c - '0';
        }
    }
    if (n_s > 1) return fail(err, errlen, sp, "map has more than one 'S' (%d)", n_s);
    if (n_g > 1) return fail(err, errlen, sp, "map has more than one 'G' (%d)", n_g);
    if (top == 0 && n_c > 0)
        return fail(err, errlen, sp, "map has cue cells 'C' but no context goals (digits 1..K)");
    if (top > 0 && n_g > 0)
        return fail(err, errlen, sp, "map has both a 'G' and context goals (digits): use digits 1..K only");
    if (top == 1) return fail(err, errlen, sp, "map has one context goal ('1'): contexts need at least 2 (1..K)");
    for (int d = 1; d <= top; d++)
        if (digit[d] != 1)
            return fail(err, errlen, sp, "map has %d cells '%d': context goals 1..%d must appear once each",
                        digit[d], d, top);
    return 0;
}

/* K from the map's goal digits (1 without). */
static int map_contexts(const gw_spec_t *sp) {
    int top = 0;
    if (!sp->map) return 1;
    for (size_t i = 0, n = (size_t)sp->rows * (size_t)sp->cols; i < n; i++)
        if (sp->map[i] >= '1' && sp->map[i] <= '9' && sp->map[i] - '0' > top) top = sp->map[i] - '0';
    return top > 1 ? top : 1;
}

int gw_spec_contexts(const gw_spec_t *sp) { return map_contexts(sp); }

static int check_contexts(const gw_spec_t *sp, char *err, size_t errlen) {
    const int K = map_contexts(sp);
    if (K == 1) {
        if (sp->n_ctx_prob > 0)
            return fail(err, errlen, sp, "contexts: given, but the map has no context goals (digits 1..K)");
        if (sp->cue_reliability != 1.0)
            return fail(err, errlen, sp, "cue_reliability: given, but the map has no context goals (digits 1..K)");
        return 0;
    }
    if (!(sp->cue_reliability >= 0.0 && sp->cue_reliability <= 1.0))
        return fail(err, errlen, sp, "cue_reliability = %g, must be in [0, 1]", sp->cue_reliability);
    if (sp->n_ctx_prob == 0) return 0;
    if (sp->n_ctx_prob != K)
        return fail(err, errlen, sp, "contexts: %d probabilities for the map's %d context goals", sp->n_ctx_prob, K);
    double sum = 0.0;
    for (int k = 0; k < K; k++) {
        if (!(sp->ctx_prob[k] > 0.0 && sp->ctx_prob[k] <= 1.0))
            return fail(err, errlen, sp, "contexts[%d] = %g, must be in (0, 1]", k, sp->ctx_prob[k]);
        sum += sp->ctx_prob[k];
    }
    if (fabs(sum - 1.0) > 1e-6) return fail(err, errlen, sp, "contexts: probabilities sum to %.9g, not 1", sum);
    return 0;
}

static char map_letter(const gw_spec_t *sp, int s) { return sp->map ? sp->map[s] : 'F'; }

static int find_letter(const gw_spec_t *sp, char c) {
    if (!sp->map) return -1;
    const char *p = memchr(sp->map, c, (size_t)sp->rows * (size_t)sp->cols);
    return p ? (int)(p - sp->map) : -1;
}

/* One end (start or goal) must be inside the grid and on floor. */
static int check_end(const gw_spec_t *sp, const char *what, int s, char *err, size_t errlen) {
    int n = sp->rows * sp->cols;
    if (s < 0 || s >= n)
        return fail(err, errlen, sp, "%s cell %d is outside the grid [0, %d)", what, s, n);
    char c = map_letter(sp, s);
    if (c == '#' || c == 'H')
        return fail(err, errlen, sp, "%s (row %d, col %d) is on a %s", what, s / sp->cols,
                    s % sp->cols, c == '#' ? "wall" : "hole");
    return 0;
}

/* Start: spec, else the map's 'S', else cell 0.  Goal: spec, else 'G', else the last cell. */
static int resolve_ends(const gw_spec_t *sp, int *start, int *goal, char *err, size_t errlen) {
    int n = sp->rows * sp->cols;
    *start = sp->start >= 0 ? sp->start : find_letter(sp, 'S');
    if (*start < 0) *start = 0;
    if (map_contexts(sp) > 1 && sp->goal >= 0)
        return fail(err, errlen, sp, "goal: a world with contexts has its goals in its map (digits 1..K)");
    *goal = sp->goal >= 0 ? sp->goal : find_letter(sp, map_contexts(sp) > 1 ? '1' : 'G');
    if (*goal < 0) *goal = n - 1;
    if (check_end(sp, "start", *start, err, errlen)) return -1;
    const char at = map_letter(sp, *start);
    if (map_contexts(sp) > 1 && ((at >= '1' && at <= '9') || at == 'C'))
        return fail(err, errlen, sp, "the start (row %d, col %d) is on %s%c%s: it must be on a floor cell%s",
                    *start / sp->cols, *start % sp->cols, at == 'C' ? "a cue '" : "the goal of context ", at,
                    at == 'C' ? "'" : "", sp->start < 0 ? " (a map without 'S' starts at row 0, col 0)" : "");
    if (check_end(sp, "goal", *goal, err, errlen)) return -1;
    if (*start == *goal)
        return fail(err, errlen, sp, "start and goal are the same cell (%d)", *start);
    return 0;
}

/* Dense B and A must fit a shared node (see the top of this file). */
static int check_memory(const gw_spec_t *sp, char *err, size_t errlen) {
    double n = (double)sp->rows * sp->cols * map_contexts(sp);
    double bytes = (sp->n_actions + 1.0) * n * n * sizeof(double) * (map_contexts(sp) > 1 ? 2.0 : 1.0);
    if (bytes > GW_MAX_DENSE_BYTES)
        return fail(err, errlen, sp, "world too large: dense B and A need %.0f MiB (limit %.0f MiB)",
                    bytes / 1048576.0, GW_MAX_DENSE_BYTES / 1048576.0);
    return 0;
}

/* ---- construction ----------------------------------------------------------- */

static int alloc_world(gridworld_t *g) {
    size_t n = (size_t)g->n_states, na = (size_t)g->n_actions;
    g->cells = malloc(n + 1);
    g->eta = malloc(n * sizeof *g->eta);
    g->B = calloc(na * n * n, sizeof *g->B);
    g->A = calloc(n * n, sizeof *g->A);
    g->H_A = malloc(n * sizeof *g->H_A);
    g->dist = malloc(n * sizeof *g->dist);
    g->next = malloc(na * n * sizeof *g->next);
    return g->cells && g->eta && g->B && g->A && g->H_A && g->dist && g->next ? 0 : -1;
}

/* Kinds from the map, with 'S' and 'G' moved to the resolved start and goal so
 * there is exactly one of each. */
static void fill_cells(gridworld_t *g, const gw_spec_t *sp) {
    for (int s = 0; s < g->n_states; s++) {
        char c = map_letter(sp, s);
        g->cells[s] = (c == 'S' || c == 'G') ? 'F' : c >= '1' && c <= '9' ? 'G' : c;
        g->eta[s] = sp->eta ? sp->eta[s] : sp->eta_all;
    }
    g->cells[g->n_states] = '\0'; /* printable as a string while debugging */
    g->cells[g->start] = 'S';
    g->cells[g->goal] = 'G';
}

static int is_wall(const gridworld_t *g, int s) { return g->cells[s] == '#'; }

int gw_terminal(const gridworld_t *g, int s) { return g->cells[s] == 'G' || g->cells[s] == 'H'; }

/* Where action a leads from s without slipping.  Walls (never entered) and
 * terminal cells are absorbing; the border and walls stop a move. */
static int move_from(const gridworld_t *g, int s, int a) {
    if (is_wall(g, s) || gw_terminal(g, s)) return s;
    int r = gw_row(g, s) + act_dr[a], c = gw_col(g, s) + act_dc[a];
    if (r < 0 || r >= g->rows || c < 0 || c >= g->cols) return s;
    int s2 = r * g->cols + c;
    return is_wall(g, s2) ? s : s2;
}

static void build_next(gridworld_t *g) {
    for (int a = 0; a < g->n_actions; a++)
        for (int s = 0; s < g->n_states; s++) g->next[a * g->n_states + s] = move_from(g, s, a);
}

/* The k-th (0 or 1) direction perpendicular to move a. */
static int perpendicular(int a, int k) {
    if (a == ACT_UP || a == ACT_DOWN) return k ? ACT_RIGHT : ACT_LEFT;
    return k ? ACT_DOWN : ACT_UP;
}

/* B from `next`, in exactly the proportions gw_step samples. */
static void build_B(gridworld_t *g) {
    int n = g->n_states;
    for (int a = 0; a < g->n_actions; a++)
        for (int s = 0; s < n; s++) {
            double *row = g->B + ((size_t)a * n + s) * n;
            if (a == ACT_STAY || g->slip == 0.0) {
                row[g->next[a * n + s]] = 1.0;
                continue;
            }
            row[g->next[a * n + s]] += 1.0 - g->slip;
            row[g->next[perpendicular(a, 0) * n + s]] += 0.5 * g->slip;
            row[g->next[perpendicular(a, 1) * n + s]] += 0.5 * g->slip;
        }
}

/* Bounds of the noise window around s, clipped to the grid. */
typedef struct { int r0, r1, c0, c1; } window_t;

static window_t noise_window(const gridworld_t *g, int s) {
    int r = gw_row(g, s), c = gw_col(g, s), R = g->noise_radius;
    window_t w = {r - R, r + R, c - R, c + R};
    if (w.r0 < 0) w.r0 = 0;
    if (w.c0 < 0) w.c0 = 0;
    if (w.r1 > g->rows - 1) w.r1 = g->rows - 1;
    if (w.c1 > g->cols - 1) w.c1 = g->cols - 1;
    return w;
}

/* Kernel of s: non-wall cells other than s in the window, ascending cell order.
 * Returns the k-th member if k >= 0, else the number of members. */
static int kernel_scan(const gridworld_t *g, int s, int k) {
    window_t w = noise_window(g, s);
    int count = 0;
    for (int r = w.r0; r <= w.r1; r++)
        for (int c = w.c0; c <= w.c1; c++) {
            int o = r * g->cols + c;
            if (o == s || is_wall(g, o)) continue;
            if (count == k) return o;
            count++;
        }
    return count;
}

static void build_A(gridworld_t *g) {
    int n = g->n_states;
    for (int s = 0; s < n; s++) {
        double *row = g->A + (size_t)s * n;
        int k = kernel_scan(g, s, -1);
        if (k == 0) { row[s] = 1.0; continue; }
        double e = g->eta[s], share = (1.0 - e) / k;
        window_t w = noise_window(g, s);
        for (int r = w.r0; r <= w.r1; r++)
            for (int c = w.c0; c <= w.c1; c++)
                if (!is_wall(g, r * g->cols + c)) row[r * g->cols + c] = share;
        row[s] = e; /* overwrites the share the loop gave s itself */
    }
}

/* Entropy from the dense row, so H_A stays correct if A's definition changes. */
static void build_H(gridworld_t *g) {
    int n = g->n_states;
    for (int s = 0; s < n; s++) {
        const double *row = g->A + (size_t)s * n;
        double h = 0.0;
        for (int o = 0; o < n; o++)
            if (row[o] > 0.0) h -= row[o] * log(row[o]);
        g->H_A[s] = h;
    }
}

static int passable(const gridworld_t *g, int s) { return g->cells[s] != '#' && g->cells[s] != 'H'; }

/* BFS from the goal over floor cells.  Moves between adjacent non-wall cells are
 * reversible, so distances to the goal equal distances from it.  Holes are
 * impassable (entering one ends the episode), hence dist -1 there as on walls. */
static int bfs_dist(gridworld_t *g) {
    int n = g->n_states;
    int *queue = malloc((size_t)n * sizeof *queue);
    if (!queue) return -1;
    for (int s = 0; s < n; s++) g->dist[s] = -1;
    int head = 0, tail = 0;
    g->dist[g->goal] = 0;
    queue[tail++] = g->goal;
    while (head < tail) {
        int u = queue[head++];
        for (int a = 0; a < 4; a++) {
            int r = gw_row(g, u) + act_dr[a], c = gw_col(g, u) + act_dc[a];
            if (r < 0 || r >= g->rows || c < 0 || c >= g->cols) continue;
            int v = r * g->cols + c;
            if (g->dist[v] >= 0 || !passable(g, v)) continue;
            g->dist[v] = g->dist[u] + 1;
            queue[tail++] = v;
        }
    }
    free(queue);
    return 0;
}

static void copy_scalars(gridworld_t *g, const gw_spec_t *sp, int start, int goal) {
    memcpy(g->name, sp->name, sizeof g->name);
    g->name[sizeof g->name - 1] = '\0';
    g->rows = sp->rows;
    g->cols = sp->cols;
    g->n_states = g->n_obs = sp->rows * sp->cols;
    g->n_actions = sp->n_actions;
    g->start = start;
    g->goal = goal;
    g->max_steps = sp->max_steps;
    g->slip = sp->slip;
    g->step_reward = sp->step_reward;
    g->goal_reward = sp->goal_reward;
    g->hole_reward = sp->hole_reward;
    g->noise_radius = sp->noise_radius;
}

static int out_of_memory(gridworld_t *g, const gw_spec_t *sp, char *err, size_t errlen);

/* Without contexts K = 1 and opt_steps = dist[start].  With: the goals of
 * the contexts, their probabilities, the cues, every goal and cue reachable
 * from the start without entering another terminal cell, and opt_steps. */
static int build_contexts(gridworld_t *g, const gw_spec_t *sp, char *err, size_t errlen) {
    const int K = map_contexts(sp), n = g->n_states;
    g->n_contexts = K;
    g->n_sym = K > 1 ? K + 2 : 1;
    g->ctx_goal[0] = g->goal;
    g->ctx_prob[0] = 1.0;
    g->cue_rel = 1.0;
    g->opt_steps = g->dist[g->start];
    if (K == 1) return 0;
    for (int s = 0; s < n; s++) {
        char c = sp->map[s];
        if (c >= '1' && c <= '9') g->ctx_goal[c - '1'] = s;
        g->n_cues += c == 'C';
    }
    for (int k = 0; k < K; k++) g->ctx_prob[k] = sp->n_ctx_prob ? sp->ctx_prob[k] : 1.0 / K;
    g->cue_rel = sp->cue_reliability;
    int *from = malloc(sizeof(int) * (size_t)n * 2), *via = from ? from + n : NULL;
    if (!from) return out_of_memory(g, sp, err, errlen);
    gw_bfs(g, g->start, from);
    for (int k = 0; k < K; k++)
        if (from[g->ctx_goal[k]] < 0) {
            int c = g->ctx_goal[k];
            free(from);
            gw_free(g);
            return fail(err, errlen, sp, "the goal of context %d (row %d, col %d) is unreachable from the start "
                        "without crossing walls, holes or another goal", k + 1, c / sp->cols, c % sp->cols);
        }
    double best = 0.0;
    for (int k = 0; k < K; k++) best += g->ctx_prob[k] * from[g->ctx_goal[k]]; /* no cue: a guess's route */
    if (g->n_cues) best = INFINITY;
    for (int c = 0; c < n; c++) {
        if (g->cells[c] != 'C') continue;
        if (from[c] < 0) {
            free(from);
            gw_free(g);
            return fail(err, errlen, sp, "the cue at row %d, col %d is unreachable from the start without "
                        "crossing walls, holes or a goal", c / sp->cols, c % sp->cols);
        }
        gw_bfs(g, c, via);
        double e = from[c];
        for (int k = 0; k < K; k++) e += g->ctx_prob[k] * via[g->ctx_goal[k]];
        if (e < best) best = e;
    }
    g->opt_steps = best;
    free(from);
    return 0;
}

int gw_bfs(const gridworld_t *g, int src, int *out) {
    const int n = g->n_states;
    int *queue = malloc((size_t)n * sizeof *queue);
    if (!queue) return -1;
    for (int s = 0; s < n; s++) out[s] = -1;
    int head = 0, tail = 0;
    out[src] = 0;
    queue[tail++] = src;
    while (head < tail) {
        int u = queue[head++];
        if (u != src && gw_terminal(g, u)) continue; /* entered, never left */
        for (int a = 0; a < 4; a++) {
            int v = move_from(g, u, a);
            if (v == u || out[v] >= 0) continue;
            out[v] = out[u] + 1;
            queue[tail++] = v;
        }
    }
    free(queue);
    return 0;
}

int gw_symbol(const gridworld_t *g, int s, int k, rng_t *r) {
    const int K = g->n_contexts;
    if (K == 1) return 0;
    if (s == g->ctx_goal[k]) return K + 1;
    if (g->cells[s] != 'C') return 0;
    if (g->cue_rel >= 1.0 || rng_uniform(r) < g->cue_rel) return 1 + k;
    int j = (int)rng_below(r, (uint32_t)(K - 1)); /* one of the other K - 1, in order */
    return 1 + (j < k ? j : j + 1);
}

double gw_symbol_p(const gridworld_t *g, int s, int k, int sym) {
    const int K = g->n_contexts;
    if (K == 1) return sym == 0;
    if (s == g->ctx_goal[k]) return sym == K + 1;
    if (g->cells[s] != 'C') return sym == 0;
    if (sym < 1 || sym > K) return 0.0;
    return sym == 1 + k ? g->cue_rel : (1.0 - g->cue_rel) / (K - 1);
}

static int out_of_memory(gridworld_t *g, const gw_spec_t *sp, char *err, size_t errlen) {
    gw_free(g);
    return fail(err, errlen, sp, "out of memory building a %dx%d world", sp->rows, sp->cols);
}

/* On failure g is left zeroed (safe to gw_free); its old contents are never freed. */
int gw_build(gridworld_t *g, const gw_spec_t *spec, char *err, size_t errlen) {
    memset(g, 0, sizeof *g);
    if (err && errlen) err[0] = '\0';
    int start = -1, goal = -1;
    if (check_scalars(spec, err, errlen) || check_map(spec, err, errlen) || check_contexts(spec, err, errlen) ||
        resolve_ends(spec, &start, &goal, err, errlen) || check_eta(spec, err, errlen) ||
        check_memory(spec, err, errlen))
        return -1;
    copy_scalars(g, spec, start, goal);
    if (alloc_world(g)) return out_of_memory(g, spec, err, errlen);
    fill_cells(g, spec);
    build_next(g);
    if (bfs_dist(g)) return out_of_memory(g, spec, err, errlen);
    if (g->dist[start] < 0) {
        gw_free(g);
        return fail(err, errlen, spec,
                    "goal (row %d, col %d) unreachable from start (row %d, col %d) "
                    "without crossing walls or holes",
                    goal / spec->cols, goal % spec->cols, start / spec->cols, start % spec->cols);
    }
    build_B(g);
    build_A(g);
    build_H(g);
    if (build_contexts(g, spec, err, errlen)) return -1;
    return 0;
}

void gw_free(gridworld_t *g) {
    free(g->cells);
    free(g->eta);
    free(g->B);
    free(g->A);
    free(g->H_A);
    free(g->dist);
    free(g->next);
    memset(g, 0, sizeof *g);
}

/* ---- sampling ----------------------------------------------------------------- */

int gw_step(const gridworld_t *g, int s, int a, rng_t *r) {
    assert(s >= 0 && s < g->n_states && a >= 0 && a < g->n_actions);
    int n = g->n_states;
    if (g->slip > 0.0) {
        /* u < 1-slip: intended; then slip/2 each for the two perpendiculars. */
        double u = rng_uniform(r);
        if (a != ACT_STAY && u >= 1.0 - g->slip)
            a = perpendicular(a, u < 1.0 - 0.5 * g->slip ? 0 : 1);
    }
    return g->next[a * n + s];
}

int gw_observe(const gridworld_t *g, int s, rng_t *r) {
    assert(s >= 0 && s < g->n_states);
    double e = g->eta[s];
    if (e >= 1.0 || rng_uniform(r) < e) return s;
    int k = kernel_scan(g, s, -1);
    if (k == 0) return s;
    return kernel_scan(g, s, (int)rng_below(r, (uint32_t)k));
}

/* The goal and hole rewards replace the step reward; they are not added to it. */
double gw_reward(const gridworld_t *g, int s2) {
    if (g->cells[s2] == 'G') return g->goal_reward;
    if (g->cells[s2] == 'H') return g->hole_reward;
    return g->step_reward;
}
