/* worlds: built-in grid worlds ("presets") that a job file names with
 * `preset: NAME` in an environment entry; and the job's worlds, built once
 * per process from its environment entries and checked against the job.
 *
 * A preset is plain data: the map (rows of S F H G #, 'S' start, 'G' goal;
 * or goal digits 1..K and cues C for a world with hidden contexts),
 * the observability map (rows of digits d, eta = 1 - d/10, as in obs_noise),
 * slip, max_steps and noise_radius.  Anything else a world has (actions,
 * rewards) keeps the loader's defaults.  The loader applies the preset first,
 * then lets every other key of the entry override it (jobs/README.md, "Named
 * worlds", documents each preset with its map and optimal path length;
 * tests/unit_worlds.c checks both). */
#ifndef AIF_WORLDS_H
#define AIF_WORLDS_H
#include <stddef.h>
#include "env.h"
#include "gridworld.h"
#include "jobspec.h"

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

/* ---- the job's worlds ------------------------------------------------------------- */

/* The job's worlds, built once per process, with what only the reference
 * agent, the oracle ablations and the EFE diagnostic may know of each. */
typedef struct worlds {
    int n;
    gridworld_t *w;
    world_knowledge_t *k;
} worlds_t;

/* Validation on the worlds, and the worlds themselves: builds each of the
 * job's environments once (gw_build's checks: size, ends on floor, goal
 * reachable), refuses one whose max_steps is below its shortest path, and runs
 * every agent class's `validate` on it for each parameter combination, in
 * file order; the first failure is reported as PATH:LINE: KEY: message, like
 * the parser's.  ws receives the worlds with their knowledge (free with
 * worlds_free; nothing to free on failure); ws NULL only checks, holding one
 * world at a time.  0 or -1.  jobspec_load calls it; so may a caller that
 * parsed the job itself. */
int  worlds_build(worlds_t *ws, const jobspec_t *job, char *err, size_t errlen);
void worlds_free(worlds_t *ws);

#endif
