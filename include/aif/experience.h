/* experience: what a learning agent has lived through, as it lived it.
 *
 * One token per time step of a training episode: the observation received,
 * the action then taken (-1 on an episode's last token), the episode's bounds
 * and how it ended: at the goal, without it (a hole), or cut (the step cap or
 * the end of the budget: nothing ended).  That is all an agent experiences
 * (task.h).  `z` is the state of each token: the true cell only for the
 * labelled ablation (state_labels: true, from task_t.labels), otherwise what
 * the agent inferred (latent.h), -1 until it has.
 *
 * Sized once, from the run's budget: a budget of B steps gives at most B + 1
 * episodes (the last one cut), so 2B + 2 tokens.  Recording allocates
 * nothing. */
#ifndef AIF_EXPERIENCE_H
#define AIF_EXPERIENCE_H
#include <stdint.h>
#include "core/arena.h"
#include "core/rng.h"

enum { XP_CUT = 0, XP_GOAL = 1, XP_FAILED = 2 };

typedef struct {
    long cap, n;           /* tokens allocated, used */
    int32_t *o;            /* [cap] observation */
    int32_t *a;            /* [cap] action taken there (-1: the episode's last token) */
    int32_t *z;            /* [cap] state: the true cell (labels), else inferred (-1: not yet) */
    int32_t *start, *end;  /* [cap] first and last token of its episode (set when it is closed) */
    uint8_t *ending;       /* [cap] XP_CUT / XP_GOAL / XP_FAILED of its episode */
    long open;             /* first token of the episode being recorded, -1: none */
    long episodes;         /* episodes closed */
    int max_len;           /* tokens of the longest closed episode */
} experience_t;

/* Room for a budget of `budget_steps` environment steps, from arena ar.  0, or
 * -1 (no memory: the arena says so too). */
int  xp_alloc(experience_t *x, arena_t *ar, long budget_steps);
/* Forget everything recorded (keeps the memory). */
void xp_clear(experience_t *x);
/* A new episode: its first observation o, and its state z (-1: unknown). */
void xp_begin(experience_t *x, int o, int z);
/* Action a taken at the last token, which led to observation o (state z). */
void xp_step(experience_t *x, int a, int o, int z);
/* Close the open episode with how it ended (XP_*). */
void xp_end(experience_t *x, int ending);
/* Tokens of the open episode so far (0 if none is open). */
static inline long xp_open_len(const experience_t *x) { return x->open < 0 ? 0 : x->n - x->open; }

/* The first n tokens of a record grouped by a key (a counting sort): by
 * state (key z), or by move (key z * n_actions + a, for the tokens with a
 * state, an action and a successor in their episode; the others have none).
 * Its memory is malloc'd on first use and grown as the record grows (once
 * per fit, not per draw). */
typedef struct {
    long *by;              /* [cap] token indices, grouped by their key */
    long *first;           /* [n_keys + 1] each key's first entry in by */
    int *seen;             /* [n_keys] the keys the record holds, n_seen of them */
    int n_seen, n_keys;
    long cap;
} xp_group_t;

enum { XP_BY_STATE = 0, XP_BY_MOVE = 1 };

/* Group the first n tokens of x by XP_BY_STATE or XP_BY_MOVE (n_states
 * states, n_actions actions; z outside [0, n_states) has no key).  0, or -1
 * (no memory; g stays valid to free). */
int  xp_group(xp_group_t *g, const experience_t *x, long n, int n_states, int n_actions, int by);
/* A token drawn by key: a key uniformly over the keys the record holds, then
 * one of its tokens uniformly; -1 if the record holds none. */
long xp_group_draw(const xp_group_t *g, rng_t *r);
void xp_group_free(xp_group_t *g);

#endif
