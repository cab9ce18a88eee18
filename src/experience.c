/* experience: a learning agent's record of its episodes (include/experience.h). */
#include "experience.h"
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
