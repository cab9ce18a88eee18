/* tokens: the diffusion agent's window encoding (tokens.h). */
/* Part of an agent: it sees only its view of the task (task.h). */
#define AIF_AGENT_VIEW_ONLY
#include "tokens.h"
#include <string.h>

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
        for (int e = 0; e < FO; e++)
            if (mt[e] == MASK_NULL) tok[e] = 0.0f;
        tok[FO] = flag[mt[OFF_O]];
        tok[FO + 1] = flag[mt[OFF_Z]];
        tok[FO + 2] = flag[mt[OFF_A]];
    }
}
