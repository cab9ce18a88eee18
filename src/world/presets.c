/* presets: the built-in grid worlds (include/world/presets.h).  Plain data; each
 * preset's picture, optimal path length and origin are in jobs/README.md
 * ("Named worlds"), and tests/unit_worlds.c holds them to it. */
#include "world/presets.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* paper4x4: the paper's 4x4, open, fully observable, deterministic
 * (jobs/paper_4x4.yaml). */
static const char *const paper4x4_map[] = {"SFFF", "FFFF", "FFFF", "FFFG"};

/* paper8x8: the paper's 8x8 with our observability map and slip 0.1
 * (jobs/paper_8x8.yaml). */
static const char *const paper8x8_map[] = {
    "SFFFFFFF", "FFFFFFFF", "FFFFFFFF", "FFFFFFFF",
    "FFFFFFFF", "FFFFFFFF", "FFFFFFFF", "FFFFFFFG",
};
static const char *const paper8x8_obs[] = {
    "00000000", "03300000", "03366000", "00066000",
    "00000550", "00880550", "00880000", "00000000",
};

/* grid16: the scaling world of jobs/grid16.yaml. */
static const char *const grid16_map[] = {
    "SFFFFFFFFFFFFFFF", "FFFFFFFFFFFFFFFF", "FFFFFFFFFFFFFFFF", "FFFFFFFFFFFFFFFF",
    "FFFFFFFFFFFFFFFF", "FFFFFFFFFFFFFFFF", "FFFFFFFFFFFFFFFF", "FFFFFFFFFFFFFFFF",
    "FFFFFFFFFFFFFFFF", "FFFFFFFFFFFFFFFF", "FFFFFFFFFFFFFFFF", "FFFFFFFFFFFFFFFF",
    "FFFFFFFFFFFFFFFF", "FFFFFFFFFFFFFFFF", "FFFFFFFFFFFFFFFF", "FFFFFFFFFFFFFFFG",
};
static const char *const grid16_obs[] = {
    "0000000000000000", "0330000000000000", "0330066000000000", "0000066000000000",
    "0000000005500000", "0088000005500000", "0088000000000000", "0000000000008800",
    "0000033000008800", "0000033000000000", "0550000000660000", "0550000000660000",
    "0000000880000000", "0000000880000330", "0000000000000330", "0000000000000000",
};

/* frozenlake8x8: Gymnasium's FrozenLake 8x8 (gymnasium/envs/toy_text/
 * frozen_lake.py, MAPS["8x8"]); FrozenLake8x8-v1's time limit is 200 steps. */
static const char *const frozenlake8x8_map[] = {
    "SFFFFFFF", "FFFFFFFF", "FFFHFFFF", "FFFFFHFF",
    "FFFHFFFF", "FHHFFFHF", "FHFFHFHF", "FFFHFFFG",
};

/* serpentine9x9: walls on rows 1, 3, 5, 7, each with one gap, alternately at
 * the right and the left end: the only route is 48 steps, 3x the Manhattan
 * distance. */
static const char *const serpentine9x9_map[] = {
    "SFFFFFFFF", "########F", "FFFFFFFFF", "F########", "FFFFFFFFF",
    "########F", "FFFFFFFFF", "F########", "FFFFFFFFG",
};

/* maze15x15: a perfect maze (one route between any two floor cells), printed
 * by scripts/make_maze.py (randomized depth-first backtracker, seed 20240715). */
static const char *const maze15x15_map[] = {
    "SFFFF#FFFFFFF#F",
    "####F#####F#F#F",
    "FFF#FFF#FFF#FFF",
    "F#F###F#F#####F",
    "F#F#FFF#F#FFFFF",
    "##F#F###F#F####",
    "FFF#FFFFF#F#FFF",
    "F#F#######F#F#F",
    "F#F#FFFFF#F#F#F",
    "F#F#####F#F#F#F",
    "F#FFFFFFF#F#F#F",
    "F#######F#F###F",
    "F#FFFFF#F#F#FFF",
    "F#F###F###F#F#F",
    "FFFFF#FFFFFFF#G",
};

/* ambiguity: two routes from S to G.  The short one (10 steps) runs down the
 * left column and along row 3 through nine dark cells (eta 0.2), seven of them
 * with a hole directly above or below; the long one (12 steps) runs along the
 * lit row 0 and down the lit right column, beside no hole.  With slip 0.1 and
 * a wide noise kernel (radius 3: large ambiguity in the dark), exact-aif with
 * w_ambiguity 1 takes the lit route; with w_ambiguity 0 it takes the dark one
 * and falls in about a third of the episodes (tests/jobs/ambiguity_check.yaml).
 * Found by experiment: with noise radius 1, or a hole beside every dark cell,
 * both weightings avoid the dark route (and often stall at the start). */
static const char *const ambiguity_map[] = {
    "FFFFFFFFF",
    "S#######F",
    "F#H#H#H#F",
    "FFFFFFFFG",
    "#H#H#H#H#",
};
static const char *const ambiguity_obs[] = {
    "000000000",
    "000000000",
    "800000000",
    "888888880",
    "000000000",
};

/* tmaze: the classic T-maze of active inference (Friston et al. 2015, "Active
 * inference and epistemic value", Cogn. Neurosci. 6): four locations, the
 * start at the junction, two arms (the goals of the two contexts), the cue at
 * the foot of the stem.  Cue first, back to the junction, then the arm the
 * cue shows: 3 moves; guessing an arm: 1 move, half the time. */
static const char *const tmaze_map[] = {
    "1S2",
    "#C#",
};

/* plus-maze: the T-maze with a third arm (three hidden contexts): the start
 * at the junction, an arm left, right and up, the cue below it. */
static const char *const plus_maze_map[] = {
    "#3#",
    "1S2",
    "#C#",
};

/* cue-maze: two rooms at the top, each with one context's goal in its far
 * corner; a hall below them; the start at the bottom; the cue in the pocket
 * at the bottom-left, off every direct route from the start to a goal (12
 * moves each).  Cue first, then the right room: 18 moves expected.  Drawn by
 * hand for this project. */
static const char *const cue_maze_map[] = {
    "1FFF#FFF2",
    "FFFF#FFFF",
    "FFFF#FFFF",
    "##F###F##",
    "FFFFFFFFF",
    "FFFFFFFFF",
    "FFFFFFFFF",
    "F###F###F",
    "CFFFSFFFF",
};

/* open32x32: open floor with paper8x8's kind of observability map, printed by
 * scripts/make_patches.py (2x2 to 3x3 patches, digits 3 5 6 8, ~10% of cells). */
static const char *const open32x32_map[] = {
    "SFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF", "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF",
    "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF", "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF",
    "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF", "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF",
    "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF", "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF",
    "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF", "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF",
    "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF", "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF",
    "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF", "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF",
    "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF", "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF",
    "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF", "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF",
    "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF", "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF",
    "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF", "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF",
    "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF", "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF",
    "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF", "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF",
    "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF", "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF",
    "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF", "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF",
    "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF", "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFG",
};
static const char *const open32x32_obs[] = {
    "00000000000000000000000003330000",
    "00880000000000000666000003330000",
    "00880000000000000666000003330000",
    "00000000000006600000000000000000",
    "00000003330006600000000000000555",
    "00000003330000000000000000000555",
    "00000003330000000000000000000555",
    "00000000000000008800000000000000",
    "00000000000000008800000000000000",
    "00000000000000008800000555000000",
    "00000000000000000000000555000000",
    "00000000000005500000000555000000",
    "00000000000005500000000000000000",
    "00000000000005500000000000000555",
    "00000000000000000000000000000555",
    "00000000000000000000000000000555",
    "00000000000000000000000005550000",
    "00088000000000000000000005550000",
    "00088000000000088800000005550000",
    "00000000000000088800000000000000",
    "00000000000000000000000000000000",
    "00000000000000000000000000000000",
    "00000088800000000000000000000000",
    "00000088800000000000000000000000",
    "00000088800000000000000000000000",
    "00000000000000000000000000000000",
    "00000000000000000000000000000000",
    "00000000000000005550000000000000",
    "00000000000000005550000000000000",
    "00000000088000000000000000000000",
    "00000000088000000000000000000000",
    "00000000088000000000000000000000",
};

static const world_preset_t presets[] = {
    {"paper4x4", "the paper's 4x4: open, fully observable, deterministic", 4, 4,
     paper4x4_map, NULL, 0.0, 100, 1, 0},
    {"paper8x8", "the paper's 8x8: open, patches of eta 0.2-0.7, slip 0.1", 8, 8,
     paper8x8_map, paper8x8_obs, 0.1, 200, 1, 0},
    {"grid16", "16x16 open, paper8x8's kind of observability map, slip 0.1", 16, 16,
     grid16_map, grid16_obs, 0.1, 400, 1, 0},
    {"frozenlake8x8", "Gymnasium's FrozenLake 8x8 map, fully observable, not slippery", 8, 8,
     frozenlake8x8_map, NULL, 0.0, 200, 1, 0},
    {"serpentine9x9", "9x9 with four walls forcing a 48-step serpentine", 9, 9,
     serpentine9x9_map, NULL, 0.0, 200, 1, 0},
    {"maze15x15", "15x15 perfect maze (scripts/make_maze.py)", 15, 15,
     maze15x15_map, NULL, 0.0, 400, 1, 0},
    {"ambiguity", "short dark route beside holes vs longer lit route, slip 0.1", 5, 9,
     ambiguity_map, ambiguity_obs, 0.1, 100, 3, 0},
    {"open32x32", "32x32 open, patches of eta 0.2-0.7 (scripts/make_patches.py), slip 0.1", 32, 32,
     open32x32_map, open32x32_obs, 0.1, 800, 1, 0},
    {"tmaze", "the T-maze: 2 hidden contexts (which arm is rewarded), a fully reliable cue below the junction",
     2, 3, tmaze_map, NULL, 0.0, 8, 1, 1.0},
    {"tmaze-cue0.9", "the T-maze with a cue that shows the right arm 9 times in 10", 2, 3, tmaze_map, NULL, 0.0, 8, 1,
     0.9},
    {"cue-maze", "9x9, two rooms with a context's goal each, the cue in a pocket off the direct routes, slip 0.1",
     9, 9, cue_maze_map, NULL, 0.1, 100, 1, 1.0},
    {"plus-maze", "the T-maze with a third arm: 3 hidden contexts, a fully reliable cue below the junction", 3, 3,
     plus_maze_map, NULL, 0.0, 8, 1, 1.0},
};
#define N_PRESETS ((int)(sizeof presets / sizeof presets[0]))

int world_count(void) { return N_PRESETS; }

const world_preset_t *world_at(int i) { return i >= 0 && i < N_PRESETS ? &presets[i] : NULL; }

const world_preset_t *world_find(const char *name) {
    for (int i = 0; i < N_PRESETS; i++)
        if (!strcmp(presets[i].name, name)) return &presets[i];
    return NULL;
}

void world_list_names(char *buf, size_t bufsz) {
    size_t o = 0;
    if (bufsz) buf[0] = '\0';
    for (int i = 0; i < N_PRESETS && o < bufsz; i++) {
        int k = snprintf(buf + o, bufsz - o, "%s%s", i ? ", " : "", presets[i].name);
        if (k < 0) break;
        o += (size_t)k;
    }
}

int world_apply(const world_preset_t *w, gw_spec_t *spec, char *err, size_t errlen) {
    size_t n = (size_t)w->rows * (size_t)w->cols;
    char *map = malloc(n + 1);
    double *eta = w->obs ? malloc(n * sizeof *eta) : NULL;
    if (!map || (w->obs && !eta)) {
        free(map);
        free(eta);
        if (err && errlen) snprintf(err, errlen, "preset %s: out of memory", w->name);
        return -1;
    }
    for (int r = 0; r < w->rows; r++) {
        memcpy(map + (size_t)r * w->cols, w->map[r], (size_t)w->cols);
        if (eta)
            for (int c = 0; c < w->cols; c++) eta[(size_t)r * w->cols + c] = 1.0 - (w->obs[r][c] - '0') / 10.0;
    }
    map[n] = '\0';
    spec->rows = w->rows;
    spec->cols = w->cols;
    spec->map = map;
    spec->eta = eta;
    spec->eta_all = 1.0;
    spec->start = spec->goal = -1;
    spec->slip = w->slip;
    spec->max_steps = w->max_steps;
    spec->noise_radius = w->noise_radius;
    spec->cue_reliability = w->cue_rel > 0 ? w->cue_rel : 1.0;
    return 0;
}
