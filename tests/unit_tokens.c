/* Unit tests for tokens: the diffusion agent's window encoding (tokens.h).
 * Every query's mask against the entries tokens.h documents as given,
 * generated or not part of the query, the flags tok_put_flags writes from a
 * mask, cells through tok_put_cell and back through tok_decode on several grid
 * shapes, and the action one-hot in +-1. */
#include <stdlib.h>
#include <string.h>
#include "interface/task.h"
#include "agents/tokens.h"
#include "unit.h"

/* A layout built by hand, as the diffusion agent builds it: D = 4 + NA + 3
 * entries per token, L = c + 1 + H tokens. */
typedef struct {
    task_t task;
    float cell_xy[2 * 64];
    tok_layout_t t;
} lay_t;

static void lay_init(lay_t *l, int rows, int cols, int NA, int c, int H) {
    memset(l, 0, sizeof *l);
    l->task.rows = rows;
    l->task.cols = cols;
    l->task.n_cells = rows * cols;
    l->task.n_actions = NA;
    for (int s = 0; s < rows * cols; s++) task_cell_to_xy(&l->task, s, &l->cell_xy[2 * s], &l->cell_xy[2 * s + 1]);
    int D = 4 + NA + N_FLAGS, L = c + 1 + H;
    l->t = (tok_layout_t){&l->task, l->cell_xy, NA, D, c, H, L, L * D, 0, 0};
}

/* What tokens.h says query `pat` does with entry e of the token at relative
 * step j (-c .. H; 0 the present), written from the header's description,
 * not from the code:
 *   DECIDE: past and present observations given, actions of tokens
 *     c .. c+H-1 (past and the policy's: j < H) given; the rest generated;
 *   LIKELIHOOD: the present state given, its observation generated (p(o|z)),
 *     everything else not part of the query;
 *   TRANSITION: the present state and action given, the next state (and its
 *     observation) generated (p(z'|z,a)), everything else not part of it;
 *   STATE: past observations and actions and the present observation given,
 *     the states up to now generated, the present action and the future not
 *     part of the query;
 *   flags: always given. */
enum { E_O, E_Z, E_A, E_FLAG };
static int kind_of(const tok_layout_t *t, int e) {
    if (e >= 4 + t->NA) return E_FLAG;
    if (e >= OFF_A) return E_A;
    return e >= OFF_Z ? E_Z : E_O;
}

static int expected(int pat, int H, int j, int kind) {
    if (kind == E_FLAG) return MASK_KNOWN;
    switch (pat) {
    case PAT_DECIDE:
        if (kind == E_O) return j <= 0 ? MASK_KNOWN : MASK_GEN;
        if (kind == E_A) return j < H ? MASK_KNOWN : MASK_GEN;
        return MASK_GEN;
    case PAT_LIKELIHOOD:
        if (j != 0) return MASK_NULL;
        return kind == E_Z ? MASK_KNOWN : kind == E_O ? MASK_GEN : MASK_NULL;
    case PAT_TRANSITION:
        if (j == 0) return kind == E_O ? MASK_GEN : MASK_KNOWN;
        if (j == 1) return kind == E_A ? MASK_NULL : MASK_GEN;
        return MASK_NULL;
    case PAT_STATE:
        if (j > 0) return MASK_NULL;
        if (kind == E_O) return MASK_KNOWN;
        if (kind == E_Z) return MASK_GEN;
        return j < 0 ? MASK_KNOWN : MASK_NULL;
    }
    return -1;
}

static const int shapes[][5] = {   /* rows, cols, NA, c, H */
    {4, 4, 4, 2, 3}, {3, 5, 5, 1, 1}, {2, 2, 4, 0, 2}, {8, 8, 5, 3, 6}, {1, 6, 4, 2, 0},
};
#define N_SHAPES (int)(sizeof shapes / sizeof shapes[0])

/* Every entry of every query's mask as documented. */
static void patterns_as_documented(void) {
    for (int k = 0; k < N_SHAPES; k++) {
        lay_t l;
        lay_init(&l, shapes[k][0], shapes[k][1], shapes[k][2], shapes[k][3], shapes[k][4]);
        const tok_layout_t *t = &l.t;
        unsigned char m[512];
        CHECK(t->dim <= (int)sizeof m);
        for (int pat = PAT_DECIDE; pat <= PAT_STATE; pat++) {
            memset(m, 0xEE, sizeof m);
            tok_pattern(t, pat, m);
            for (int i = t->dim; i < (int)sizeof m; i++) CHECK_MSG(m[i] == 0xEE, "wrote past dim at %d", i);
            for (int tk = 0; tk < t->L; tk++) {
                int j = tk - t->c;
                for (int e = 0; e < t->D; e++) {
                    int want = expected(pat, t->H, j, kind_of(t, e));
                    CHECK_MSG(m[tk * t->D + e] == want, "shape %d pat %d token %d entry %d: mask %d, want %d",
                              k, pat, tk, e, m[tk * t->D + e], want);
                }
            }
        }
    }
}

/* The same, as counts per query on the paper-like layout c = 2, H = 3, NA = 4
 * (D = 11, L = 6), counted by hand from the header's description. */
static void pattern_counts(void) {
    lay_t l;
    lay_init(&l, 4, 4, 4, 2, 3);
    const tok_layout_t *t = &l.t;
    CHECK(t->D == 11 && t->L == 6 && t->dim == 66);
    /* {given, generated, null} without the 18 flags (always given). */
    static const int want[4][3] = {
        /* DECIDE: o of 3 tokens (6), a of 5 tokens (20) given; the rest generated. */
        {26, 66 - 18 - 26, 0},
        /* LIKELIHOOD: z of the present (2) given, its o (2) generated; 44 null. */
        {2, 2, 44},
        /* TRANSITION: z and a of the present (6) given, o of the present and
         * o, z of the next (6) generated; the next's a and 4 other tokens null. */
        {6, 6, 4 + 4 * 8},
        /* STATE: o of 3 tokens (6), a of 2 past tokens (8) given; z of 3 (6)
         * generated; the present's a (4) and 3 future tokens (24) null. */
        {14, 6, 28},
    };
    unsigned char m[66];
    for (int pat = PAT_DECIDE; pat <= PAT_STATE; pat++) {
        tok_pattern(t, pat, m);
        int n[3] = {0, 0, 0}, flags = 0;
        for (int i = 0; i < t->dim; i++) {
            if (i % t->D >= 4 + t->NA) { flags += m[i] == MASK_KNOWN; continue; }
            CHECK(m[i] <= MASK_NULL);
            n[m[i] == MASK_KNOWN ? 0 : m[i] == MASK_GEN ? 1 : 2]++;
        }
        CHECK_MSG(flags == 18, "pat %d: %d flags given", pat, flags);
        CHECK_MSG(n[0] == want[pat][0] && n[1] == want[pat][1] && n[2] == want[pat][2],
                  "pat %d: given %d generated %d null %d", pat, n[0], n[1], n[2]);
    }
}

/* Flags +1 given, -1 generated, 0 null, for o, z, a in that order; null
 * entries set to 0, every other entry left as it was. */
static void put_flags(void) {
    for (int k = 0; k < N_SHAPES; k++) {
        lay_t l;
        lay_init(&l, shapes[k][0], shapes[k][1], shapes[k][2], shapes[k][3], shapes[k][4]);
        const tok_layout_t *t = &l.t;
        const int FO = 4 + t->NA;
        unsigned char m[512];
        float x[512], before[512];
        for (int pat = PAT_DECIDE; pat <= PAT_STATE; pat++) {
            tok_pattern(t, pat, m);
            for (int i = 0; i < t->dim; i++) before[i] = x[i] = 0.25f + (float)i;   /* nothing is 0 */
            tok_put_flags(t, x, m);
            for (int tk = 0; tk < t->L; tk++) {
                const float *tok = x + tk * t->D, *old = before + tk * t->D;
                const unsigned char *mt = m + tk * t->D;
                for (int e = 0; e < FO; e++)
                    CHECK_MSG(tok[e] == (mt[e] == MASK_NULL ? 0.0f : old[e]), "shape %d pat %d token %d entry %d",
                              k, pat, tk, e);
                const int group[N_FLAGS] = {OFF_O, OFF_Z, OFF_A};
                for (int f = 0; f < N_FLAGS; f++) {
                    /* One flag per group: every entry of the group shares the mask. */
                    int first = group[f], last = f == 2 ? FO : group[f + 1];
                    for (int e = first; e < last; e++) CHECK(mt[e] == mt[first]);
                    float want = mt[first] == MASK_KNOWN ? 1.0f : mt[first] == MASK_GEN ? -1.0f : 0.0f;
                    CHECK_MSG(tok[FO + f] == want, "shape %d pat %d token %d flag %d = %g, want %g", k, pat, tk,
                              f, tok[FO + f], want);
                }
            }
        }
    }
    /* A hand-made mask: each flag value at least once. */
    lay_t l;
    lay_init(&l, 2, 2, 4, 0, 0);   /* one token, D = 11 */
    const tok_layout_t *t = &l.t;
    unsigned char m[11];
    float x[11];
    memset(m, MASK_KNOWN, sizeof m);
    m[OFF_O] = m[OFF_O + 1] = MASK_GEN;
    m[OFF_Z] = m[OFF_Z + 1] = MASK_NULL;
    for (int i = 0; i < 11; i++) x[i] = 5.0f;
    tok_put_flags(t, x, m);
    CHECK(x[OFF_O] == 5.0f && x[OFF_O + 1] == 5.0f);
    CHECK(x[OFF_Z] == 0.0f && x[OFF_Z + 1] == 0.0f);
    for (int i = 0; i < 4; i++) CHECK(x[OFF_A + i] == 5.0f);
    CHECK(x[8] == -1.0f && x[9] == 0.0f && x[10] == 1.0f);
}

/* Every cell of several grids into a token's o and z slots and back. */
static void cell_round_trip(void) {
    static const int grids[][2] = {{1, 1}, {1, 7}, {4, 4}, {3, 5}, {8, 8}, {5, 2}};
    for (size_t g = 0; g < sizeof grids / sizeof grids[0]; g++) {
        lay_t l;
        lay_init(&l, grids[g][0], grids[g][1], 4, 1, 1);
        const tok_layout_t *t = &l.t;
        float tok[16];
        for (int s = 0; s < l.task.n_cells; s++) {
            for (int i = 0; i < t->D; i++) tok[i] = 9.0f;
            int other = (s * 7 + 3) % l.task.n_cells;
            tok_put_cell(t, tok, OFF_O, s);
            tok_put_cell(t, tok, OFF_Z, other);
            float x, y;
            task_cell_to_xy(&l.task, s, &x, &y);
            CHECK(tok[OFF_O] == x && tok[OFF_O + 1] == y);
            CHECK(x >= -1.0f && x <= 1.0f && y >= -1.0f && y <= 1.0f);
            CHECK_MSG(tok_decode(t, tok, OFF_O) == s, "grid %dx%d cell %d", grids[g][0], grids[g][1], s);
            CHECK_MSG(tok_decode(t, tok, OFF_Z) == other, "grid %dx%d cell %d", grids[g][0], grids[g][1], other);
            for (int i = OFF_A; i < t->D; i++) CHECK(tok[i] == 9.0f);   /* nothing else touched */
            /* A little noise (well under half a cell's spacing) decodes to the same cell. */
            float step_x = grids[g][1] > 1 ? 2.0f / (float)(grids[g][1] - 1) : 1.0f;
            float step_y = grids[g][0] > 1 ? 2.0f / (float)(grids[g][0] - 1) : 1.0f;
            tok[OFF_O] += 0.3f * step_x;
            tok[OFF_O + 1] -= 0.3f * step_y;
            CHECK(tok_decode(t, tok, OFF_O) == s);
        }
        /* Corners: column 0 at x = -1, row 0 at y = -1 (when there is more than one). */
        if (grids[g][0] > 1 && grids[g][1] > 1) {
            tok_put_cell(t, tok, OFF_O, 0);
            CHECK(tok[OFF_O] == -1.0f && tok[OFF_O + 1] == -1.0f);
            tok_put_cell(t, tok, OFF_O, l.task.n_cells - 1);
            CHECK(tok[OFF_O] == 1.0f && tok[OFF_O + 1] == 1.0f);
        }
    }
}

/* One-hot in +-1; -1: all -1.  Only the action's entries change. */
static void put_action(void) {
    for (int NA = 4; NA <= 5; NA++) {
        lay_t l;
        lay_init(&l, 3, 3, NA, 1, 1);
        const tok_layout_t *t = &l.t;
        float tok[16];
        for (int act = -1; act < NA; act++) {
            for (int i = 0; i < 16; i++) tok[i] = 7.0f;
            tok_put_action(t, tok, act);
            int plus = 0;
            for (int i = 0; i < NA; i++) {
                CHECK(tok[OFF_A + i] == 1.0f || tok[OFF_A + i] == -1.0f);
                CHECK(tok[OFF_A + i] == (i == act ? 1.0f : -1.0f));
                plus += tok[OFF_A + i] == 1.0f;
            }
            CHECK(plus == (act < 0 ? 0 : 1));
            for (int i = 0; i < OFF_A; i++) CHECK(tok[i] == 7.0f);
            for (int i = OFF_A + NA; i < 16; i++) CHECK(tok[i] == 7.0f);
        }
    }
}

/* A world with hidden contexts (tokens.h): every observation (location,
 * symbol) and every state (cell, context) goes into a token and decodes back;
 * the symbol entries take the o entries' mask and the context entries the z
 * entries', in every query; null ones are zeroed, the others kept. */
static void context_entries(void) {
    lay_t l;
    lay_init(&l, 2, 3, 4, 1, 2);
    l.task.n_contexts = 2;
    l.task.n_sym = 4;
    l.task.n_obs = 4 * l.task.n_cells;
    const tok_layout_t t = tok_layout(&l.task, l.cell_xy, 1, 2);
    CHECK(t.D == 4 + 4 + N_FLAGS + 4 + 2 && t.D == tok_width(&l.task) && t.L == 4 && t.dim == 4 * t.D);
    CHECK(t.n_sym == 4 && t.n_ctx == 2 && tok_sym_off(&t) == 4 + 4 + N_FLAGS && tok_ctx_off(&t) == tok_sym_off(&t) + 4);
    float tok[32];
    for (int o = 0; o < l.task.n_obs; o++) {
        for (int i = 0; i < t.D; i++) tok[i] = 7.0f;
        tok_put_obs(&t, tok, o);
        CHECK_MSG(tok_decode_obs(&t, tok) == o, "observation %d", o);
        for (int i = 0; i < 4; i++) CHECK(tok[tok_sym_off(&t) + i] == (i == o / l.task.n_cells ? 1.0f : -1.0f));
        CHECK(tok[OFF_Z] == 7.0f && tok[tok_ctx_off(&t)] == 7.0f); /* z's entries untouched */
    }
    for (int z = 0; z < 2 * l.task.n_cells; z++) {
        for (int i = 0; i < t.D; i++) tok[i] = 7.0f;
        tok_put_state(&t, tok, z);
        CHECK_MSG(tok_decode_state(&t, tok) == z, "state %d", z);
        CHECK(tok[OFF_O] == 7.0f && tok[tok_sym_off(&t)] == 7.0f); /* o's entries untouched */
    }
    /* generated entries decode by their largest symbol or context entry */
    tok_put_state(&t, tok, 1);
    tok[tok_ctx_off(&t)] = 0.2f;
    tok[tok_ctx_off(&t) + 1] = 0.3f;
    CHECK(tok_decode_state(&t, tok) == l.task.n_cells + 1);
    unsigned char m[4 * 32];
    float x[4 * 32];
    for (int pat = PAT_DECIDE; pat <= PAT_STATE; pat++) {
        tok_pattern(&t, pat, m);
        for (int i = 0; i < t.dim; i++) x[i] = 7.0f;
        tok_put_flags(&t, x, m);
        for (int k = 0; k < t.L; k++) {
            const unsigned char *mt = m + k * t.D;
            const float *xt = x + k * t.D;
            for (int i = 0; i < 4; i++) {
                const int e = tok_sym_off(&t) + i;
                CHECK_MSG(mt[e] == mt[OFF_O], "pattern %d token %d symbol %d", pat, k, i);
                CHECK(xt[e] == (mt[e] == MASK_NULL ? 0.0f : 7.0f));
            }
            for (int i = 0; i < 2; i++) {
                const int e = tok_ctx_off(&t) + i;
                CHECK_MSG(mt[e] == mt[OFF_Z], "pattern %d token %d context %d", pat, k, i);
                CHECK(xt[e] == (mt[e] == MASK_NULL ? 0.0f : 7.0f));
            }
        }
    }
    /* without contexts: the layout of old */
    l.task.n_contexts = 1;
    l.task.n_sym = 1;
    const tok_layout_t plain = tok_layout(&l.task, l.cell_xy, 1, 2);
    CHECK(plain.D == 4 + 4 + N_FLAGS && plain.n_sym == 0 && plain.n_ctx == 0);
}

static const unit_test_t tests[] = {
    {"context_entries", context_entries},
    {"patterns_as_documented", patterns_as_documented},
    {"pattern_counts", pattern_counts},
    {"put_flags", put_flags},
    {"cell_round_trip", cell_round_trip},
    {"put_action", put_action},
    {0, 0},
};

int main(int argc, char **argv) { return unit_main(argc, argv, tests); }
