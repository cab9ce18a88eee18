/* run: one train-then-evaluate run, from the job's description to a filled
 * result record.  Knows nothing of MPI or HDF5.
 *
 * The agent is created from the agent's view of its world (task.h), with the
 * oracle or the true model only if its parameters ask for them, and trains in
 * an env_t over the world.  The EFE diagnostic is scored where the world is
 * known, by efe_check.h: the agent exposes its candidate policies, belief
 * and preference (an optional hook of agents.h), and they are scored exactly
 * with the true model.
 *
 * Random streams: training environment RNG_ENV, training agent RNG_AGENT,
 * initial weights RNG_INIT, evaluation environment RNG_EVAL_ENV, evaluation
 * agent RNG_EVAL_AGENT, each seeded from (sweep seed, run id, purpose). */
#ifndef AIF_RUN_H
#define AIF_RUN_H
#include <signal.h>
#include "world/env.h"
#include "world/gridworld.h"
#include "job/jobspec.h"
#include "run/result.h"
#include "job/worlds.h"            /* worlds_t: the job's worlds, built once */

/* A sweep: the job, its expanded runs and its built worlds. */
typedef struct {
    const jobspec_t *job;
    const runlist_t *rl;
    const worlds_t *ws;
} sweep_t;

/* Floats in one checkpoint of a run (0 if its agent has none). */
size_t run_ckpt_floats(const jobspec_t *job, const worlds_t *ws, const run_t *run);

/* Execute a run into res (which must have been allocated for the job's layout).
 * Returns 0 whether the run succeeded or failed (res->status says which, with
 * res->message); -1 only if cancel was raised before it finished, in which case
 * res->status is RUN_PENDING. */
int run_execute(const jobspec_t *job, const worlds_t *ws, const run_t *run,
                const layout_dims_t *dims, run_result_t *res, volatile sig_atomic_t *cancel);

#endif
