/* experience: a learning agent's record of its episodes (include/aif/experience.h). */
#include "aif/experience.h"
#include <stdlib.h>
#include <string.h>

int xp_alloc(experience_t *x, arena_t *ar, long budget_steps) {
    memset(x, 0, sizeof *x);
    const size_t cap = 2 * (size_t)(budget_steps > 0 ? budget_steps : 0) + 2;
    x->cap = (long)cap;
    x->o = arena_alloc(ar, cap, sizeof(int32_t));
    x->a = arena_alloc(ar, cap, sizeof(int32_t));
    x->z = arena_alloc(ar, cap, sizeof(int32_t));
    x->start = arena_alloc(ar, cap, sizeof(int32_t));
    x->end = arena_alloc(ar, cap, sizeof(int32_t));
    x->ending = arena_alloc(ar, cap, 1);
    x->open = -1;
    return arena_ok(ar) ? 0 : -1;
}

void xp_clear(experience_t *x) {
    x->n = 0;
    x->open = -1;
    x->episodes = 0;
    x->max_len = 0;
}

static void push(experience_t *x, int o, int z) {
    if (x->n >= x->cap) return; /* never with the budget it was sized for */
    x->o[x->n] = o;
    x->a[x->n] = -1;
    x->z[x->n] = z;
    x->n++;
}

void xp_begin(experience_t *x, int o, int z) {
    if (x->open >= 0) xp_end(x, XP_CUT);
    x->open = x->n;
    push(x, o, z);
}

void xp_step(experience_t *x, int a, int o, int z) {
    if (x->open < 0 || x->n == 0) return;
    x->a[x->n - 1] = a;
    push(x, o, z);
}

void xp_end(experience_t *x, int ending) {
    if (x->open < 0) return;
    const long st = x->open, en = x->n - 1;
    for (long i = st; i <= en; i++) {
        x->start[i] = (int32_t)st;
        x->end[i] = (int32_t)en;
        x->ending[i] = (uint8_t)ending;
    }
    if (en - st + 1 > x->max_len) x->max_len = (int)(en - st + 1);
    x->episodes++;
    x->open = -1;
}

/* The key of token i, or -1. */
static int group_key(const experience_t *x, long i, int n_states, int n_actions, int by) {
    const int z = x->z[i];
    if (z < 0 || z >= n_states) return -1;
    if (by == XP_BY_STATE) return z;
    return x->a[i] >= 0 && x->a[i] < n_actions && i < x->end[i] ? z * n_actions + x->a[i] : -1;
}

int xp_group(xp_group_t *g, const experience_t *x, long n, int n_states, int n_actions, int by) {
    const int K = by == XP_BY_STATE ? n_states : n_states * n_actions;
    if (!g->first || g->n_keys != K) {
        free(g->first);
        free(g->seen);
        g->first = malloc(sizeof(long) * ((size_t)K + 1));
        g->seen = malloc(sizeof(int) * (size_t)K);
        g->n_keys = g->first && g->seen ? K : 0;
        g->n_seen = 0;
        if (!g->n_keys) return -1;
    }
    if (n > g->cap) {
        long *b = realloc(g->by, sizeof(long) * (size_t)n);
        if (!b) return -1;
        g->by = b;
        g->cap = n;
    }
    long *first = g->first;
    memset(first, 0, sizeof(long) * ((size_t)K + 1));
    for (long i = 0; i < n; i++) {
        int k = group_key(x, i, n_states, n_actions, by);
        if (k >= 0) first[k + 1]++;
    }
    g->n_seen = 0;
    for (int k = 0; k < K; k++) {
        if (first[k + 1] > 0) g->seen[g->n_seen++] = k;
        first[k + 1] += first[k];
    }
    for (long i = 0; i < n; i++) { /* first[k] moves to k's end */
        int k = group_key(x, i, n_states, n_actions, by);
        if (k >= 0) g->by[first[k]++] = i;
    }
    for (int k = K; k > 0; k--) first[k] = first[k - 1];
    first[0] = 0;
    return 0;
}

long xp_group_draw(const xp_group_t *g, rng_t *r) {
    if (g->n_seen <= 0) return -1;
    const int k = g->seen[rng_below(r, (uint32_t)g->n_seen)];
    const long lo = g->first[k], hi = g->first[k + 1];
    return g->by[lo + (long)rng_below(r, (uint32_t)(hi - lo))];
}

void xp_group_free(xp_group_t *g) {
    free(g->by);
    free(g->first);
    free(g->seen);
    memset(g, 0, sizeof *g);
}
