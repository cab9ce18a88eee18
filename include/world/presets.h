/* presets: built-in grid worlds that a job file names with `preset: NAME`
 * in an environment entry.
 *
 * A preset is plain data: the map (rows of S F H G #, 'S' start, 'G' goal;
 * or goal digits 1..K and cues C for a world with hidden contexts),
 * the observability map (rows of digits d, eta = 1 - d/10, as in obs_noise),
 * slip, max_steps and noise_radius.  Anything else a world has (actions,
 * rewards) keeps the loader's defaults.  The loader applies the preset first,
 * then lets every other key of the entry override it (jobs/README.md, "Named
 * worlds", documents each preset with its map and optimal path length;
 * tests/unit_worlds.c checks both). */
#ifndef AIF_PRESETS_H
#define AIF_PRESETS_H
#include <stddef.h>
#include "world/gridworld.h"

typedef struct {
    const char *name;
    const char *about;            /* one line: what it is and where it comes from */
    int rows, cols;
    const char *const *map;       /* [rows] strings of cols letters S F H G # */
    const char *const *obs;       /* [rows] strings of cols digits, or NULL: fully observable */
    double slip;                  /* [0, 1) */
    int max_steps;
    int noise_radius;             /* >= 1 */
    double cue_rel;               /* context worlds: cue reliability (0: 1) */
} world_preset_t;

/* The presets, in documentation order: world_count() of them. */
int world_count(void);
const world_preset_t *world_at(int i);
/* By exact name, or NULL. */
const world_preset_t *world_find(const char *name);
/* "paper4x4, paper8x8, ..." into buf (for messages). */
void world_list_names(char *buf, size_t bufsz);

/* Fill spec from the preset: rows, cols, map, eta (eta_all = 1 when the preset
 * is fully observable), slip, max_steps, noise_radius; start and goal stay -1
 * (the map's 'S' and 'G').  spec->map and spec->eta are newly malloc'ed (eta
 * NULL for a fully observable preset) and belong to the caller; whatever map
 * or eta spec held before is overwritten, not freed.  0, or -1 with a message
 * (out of memory). */
int world_apply(const world_preset_t *w, gw_spec_t *spec, char *err, size_t errlen);

#endif
