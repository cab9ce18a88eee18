/* worlds: the job's worlds, built once per process from its environment
 * entries (presets.h names the built-in ones) and checked against the job. */
#ifndef AIF_WORLDS_H
#define AIF_WORLDS_H
#include "world/env.h"
#include "world/gridworld.h"
#include "job/jobspec.h"
#include "world/presets.h"

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
 * world at a time.  0 or -1.  job_load (job.h) calls it; so may a caller
 * that parsed the job itself. */
int  worlds_build(worlds_t *ws, const jobspec_t *job, char *err, size_t errlen);
void worlds_free(worlds_t *ws);

#endif
