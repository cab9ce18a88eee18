/* tokens: the diffusion agent's window encoding (tokens.h). */
/* Part of an agent: it sees only its view of the task (task.h). */
#define AIF_AGENT_VIEW_ONLY
#include "agents/tokens.h"
#include <string.h>

int tok_width(const task_t *task) {
    const int ctx = task->n_contexts > 1;
    return 4 + task->n_actions + N_FLAGS + (ctx ? task->n_sym + task->n_contexts : 0);
}

tok_layout_t tok_layout(const task_t *task, const float *cell_xy, int c, int H) {
    const int ctx = task->n_contexts > 1, D = tok_width(task);
    return (tok_layout_t){task, cell_xy, task->n_actions, D, c, H, c + 1 + H, (c + 1 + H) * D,
                          ctx ? task->n_sym : 0, ctx ? task->n_contexts : 0};
}

/* A one-hot code in +-1 of value v over n entries. */
static void put_onehot(float *e, int n, int v) {
    for (int i = 0; i < n; i++) e[i] = i == v ? 1.0f : -1.0f;
}

static int argmax(const float *e, int n) {
    int best = 0;
    for (int i = 1; i < n; i++)
        if (e[i] > e[best]) best = i;
    return best;
}

void tok_put_obs(const tok_layout_t *t, float *tok, int o) {
    const int nc = t->task->n_cells;
    tok_put_cell(t, tok, OFF_O, o % nc);
    if (t->n_sym) put_onehot(tok + tok_sym_off(t), t->n_sym, o / nc);
}

void tok_put_state(const tok_layout_t *t, float *tok, int z) {
    const int nc = t->task->n_cells;
    tok_put_cell(t, tok, OFF_Z, z % nc);
    if (t->n_ctx) put_onehot(tok + tok_ctx_off(t), t->n_ctx, z / nc);
}

int tok_decode_obs(const tok_layout_t *t, const float *tok) {
    const int loc = tok_decode(t, tok, OFF_O);
    return t->n_sym ? argmax(tok + tok_sym_off(t), t->n_sym) * t->task->n_cells + loc : loc;
}

int tok_decode_state(const tok_layout_t *t, const float *tok) {
    const int cell = tok_decode(t, tok, OFF_Z);
    return t->n_ctx ? argmax(tok + tok_ctx_off(t), t->n_ctx) * t->task->n_cells + cell : cell;
}

/* The two read-off queries (LIKELIHOOD, TRANSITION) null every token they do
 * not ask about: the network then learns p(o|z) and p(z'|z,a) directly rather
 * than as a corner of the whole window's distribution (which it learns far
 * more slowly). */
void tok_pattern(const tok_layout_t *a, int pat, unsigned char *m) {
    const int D = a->D, FO = 4 + a->NA;
    memset(m, MASK_GEN, (size_t)a->dim);
    for (int j = -a->c; j <= a->H; j++) {
        unsigned char *mt = m + (j + a->c) * D;
        if (pat == PAT_DECIDE) {
            if (j <= 0) mt[OFF_O] = mt[OFF_O + 1] = MASK_KNOWN;
            if (j < a->H) for (int i = 0; i < a->NA; i++) mt[OFF_A + i] = MASK_KNOWN;
        } else if (pat == PAT_STATE) {
            if (j > 0) {
                memset(mt, MASK_NULL, (size_t)FO);
            } else {
                mt[OFF_O] = mt[OFF_O + 1] = MASK_KNOWN;
                for (int i = 0; i < a->NA; i++) mt[OFF_A + i] = j < 0 ? MASK_KNOWN : MASK_NULL;
            }
        } else if (j == 0) {
            mt[OFF_Z] = mt[OFF_Z + 1] = MASK_KNOWN;
            for (int i = 0; i < a->NA; i++) mt[OFF_A + i] = pat == PAT_TRANSITION ? MASK_KNOWN : MASK_NULL;
        } else if (pat == PAT_TRANSITION && j == 1) {
            for (int i = 0; i < a->NA; i++) mt[OFF_A + i] = MASK_NULL;
        } else {
            memset(mt, MASK_NULL, (size_t)FO);
        }
        for (int f = 0; f < N_FLAGS; f++) mt[FO + f] = MASK_KNOWN;
        /* a context world's symbol and context entries go with o and z */
        memset(mt + tok_sym_off(a), mt[OFF_O], (size_t)a->n_sym);
        memset(mt + tok_ctx_off(a), mt[OFF_Z], (size_t)a->n_ctx);
    }
}

/* The flag entries of window x from its mask (+1 given, -1 generated, 0 not
 * part of the query), and null entries set to 0. */
void tok_put_flags(const tok_layout_t *a, float *x, const unsigned char *m) {
    const int D = a->D, FO = 4 + a->NA;
    static const float flag[3] = {-1.0f, 1.0f, 0.0f};
    for (int k = 0; k < a->L; k++) {
        float *tok = x + k * D;
        const unsigned char *mt = m + k * D;
        for (int e = 0; e < D; e++)
            if ((e < FO || e >= FO + N_FLAGS) && mt[e] == MASK_NULL) tok[e] = 0.0f;
        tok[FO] = flag[mt[OFF_O]];
        tok[FO + 1] = flag[mt[OFF_Z]];
        tok[FO + 2] = flag[mt[OFF_A]];
    }
}
