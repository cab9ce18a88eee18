/* tokens: the diffusion agent's window encoding.
 *
 * A window is L = c + 1 + H tokens (c past steps, the present, H future
 * steps); a token x_k = [o (x, y), z (x, y), the action one-hot in +-1 (all -1:
 * no action), three flags] with cells as coordinates scaled to [-1, 1]
 * (task.h).  The flags (+1 given, -1 generated, 0 not part of the query) tell
 * the network which entries are known at this call.  A mask of one byte per
 * entry says which entries a query gives (tok_pattern); tok_put_flags writes
 * the flags from it.  Pure functions of the layout: nothing is allocated.
 *
 * In a world with K hidden contexts (docs/contexts.md) an observation is a
 * location and a symbol (o = sym * n_cells + location) and a state a cell and
 * a context (z = k * n_cells + cell): after the flags a token then holds the
 * observation's symbol one-hot in +-1 (n_sym entries) and the state's context
 * one-hot in +-1 (n_ctx = K entries), which belong to o and to z (their
 * masks and flags).  Without contexts n_sym = n_ctx = 0 and a token is as
 * above. */
#ifndef AIF_TOKENS_H
#define AIF_TOKENS_H
#include "interface/task.h"

/* Entry offsets in a token; the flags follow the action at 4 + n_actions. */
enum { OFF_O = 0, OFF_Z = 2, OFF_A = 4 };
#define N_FLAGS 3

/* Which entries a query gives.  DECIDE: past observations and actions, the
 * present observation, the policy's actions (tokens c .. c+H-1).  LIKELIHOOD:
 * the present state only (to read p(o|z) off the model).  TRANSITION: the
 * present state and action (to read p(z'|z,a) off the model).  STATE: past
 * observations and actions and the present observation, to infer the present
 * state z (the future is not part of the query).  Flag entries are always
 * given. */
enum { PAT_DECIDE, PAT_LIKELIHOOD, PAT_TRANSITION, PAT_STATE };
/* Mask values: generated, given, or not part of the query (given as 0 with
 * its flag 0, so the network need not model it). */
enum { MASK_GEN = 0, MASK_KNOWN = 1, MASK_NULL = 2 };

typedef struct {
    const task_t *task;     /* the grid's shape, to decode coordinates */
    const float *cell_xy;   /* [n_cells][2] coordinates of each cell */
    int NA;                 /* actions */
    int D;                  /* entries per token: 4 + NA + N_FLAGS + n_sym + n_ctx */
    int c, H, L;            /* past steps, horizon, tokens per window */
    int dim;                /* L * D */
    int n_sym, n_ctx;       /* a context world's symbol and context entries (0 and 0 without) */
} tok_layout_t;

/* The layout for a task: D from its actions and (with contexts) its symbols
 * and contexts. */
tok_layout_t tok_layout(const task_t *task, const float *cell_xy, int c, int H);
/* Entries per token for a task. */
int tok_width(const task_t *task);
static inline int tok_sym_off(const tok_layout_t *t) { return 4 + t->NA + N_FLAGS; }
static inline int tok_ctx_off(const tok_layout_t *t) { return 4 + t->NA + N_FLAGS + t->n_sym; }

/* The coordinates of `cell` into tok[off], tok[off + 1] (off: OFF_O or OFF_Z). */
static inline void tok_put_cell(const tok_layout_t *t, float *tok, int off, int cell) {
    tok[off] = t->cell_xy[2 * cell];
    tok[off + 1] = t->cell_xy[2 * cell + 1];
}
/* Action `act` one-hot in +-1 (act -1: all -1, no action). */
static inline void tok_put_action(const tok_layout_t *t, float *tok, int act) {
    for (int i = 0; i < t->NA; i++) tok[OFF_A + i] = i == act ? 1.0f : -1.0f;
}
/* The cell nearest to the coordinates at tok[off]. */
static inline int tok_decode(const tok_layout_t *t, const float *tok, int off) {
    return task_xy_to_cell(t->task, tok[off], tok[off + 1]);
}

/* Observation o (location and, with contexts, symbol) into a token's o
 * entries; state z (cell and, with contexts, context) into its z entries. */
void tok_put_obs(const tok_layout_t *t, float *tok, int o);
void tok_put_state(const tok_layout_t *t, float *tok, int z);
/* The observation and the state a token's entries decode to: the nearest
 * cell, and the symbol and the context of the largest entry (ties: the
 * lowest). */
int  tok_decode_obs(const tok_layout_t *t, const float *tok);
int  tok_decode_state(const tok_layout_t *t, const float *tok);

/* The mask (dim bytes) of query `pat` (PAT_*). */
void tok_pattern(const tok_layout_t *t, int pat, unsigned char *m);
/* The flag entries of window x (dim floats) from its mask, and null entries set to 0. */
void tok_put_flags(const tok_layout_t *t, float *x, const unsigned char *m);

#endif
