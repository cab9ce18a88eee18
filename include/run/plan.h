/* plan: the results file's layout as plain data, derived from the job alone.
 *
 * Everything the store needs to build, check and fill the file: the layout's
 * dimensions, the job's attributes, each run's identity, the parameter table
 * (one column per agent parameter name of the job, a number or a text per
 * run), the checkpoint map and the world maps.  It is built here from the job,
 * its run list, its worlds and the agent classes, so that the store knows
 * nothing of job files, agents or runs: store.h depends only on this header,
 * result.h and MPI.
 *
 * Strings and world maps are borrowed from the job and the worlds, which must
 * outlive the plan; the per-run arrays are the plan's own. */
#ifndef AIF_PLAN_H
#define AIF_PLAN_H
#include <stddef.h>
#include <stdint.h>
#include "run/result.h"

#define PLAN_MAX_COLUMNS 256  /* parameter columns of /runs/params (the compound type's limit here) */
#define PLAN_NAME_LEN 64      /* agent entry and environment names in /runs/params */
#define PLAN_TEXT_LEN 32      /* agent types and choice values in /runs/params */

/* What a parameter column holds: a number (integers and booleans exactly,
 * NaN where the run's agent has no such parameter) or a choice's text ("" where
 * none). */
typedef enum { PLAN_NUMBER, PLAN_TEXT } plan_kind_t;

typedef struct {
    const char *name;
    plan_kind_t kind;
    double *number;   /* [n_runs] PLAN_NUMBER */
    char *text;       /* [n_runs][PLAN_TEXT_LEN] PLAN_TEXT */
} plan_column_t;

/* One world, as /envs/<name> records it. */
typedef struct {
    const char *name;
    int rows, cols, start, goal, max_steps, n_actions, noise_radius;
    double slip;
    const char *cells;   /* [rows*cols] cell kinds: S F H G # */
    const double *eta;   /* [rows*cols] probability of observing the true cell */
    const int *dist;     /* [rows*cols] shortest-path moves to the goal (-1: none) */
    int n_contexts;      /* 1: none */
    const int *ctx_goal; /* [n_contexts] */
    const double *ctx_prob;
    double cue_rel, opt_steps;
} plan_world_t;

/* One run's identity, as the first columns of /runs/params record it. */
typedef struct {
    int64_t condition, seed;
    int32_t env, seed_index;
    int entry;           /* index of its agent entry */
} plan_run_t;

typedef struct {
    /* The job: its text (stored whole, so the file reproduces itself) and name. */
    const char *job_text, *job_sha256, *job_name, *job_path;
    uint64_t sweep_seed;
    layout_dims_t dims;
    plan_run_t *runs;              /* [dims.n_runs] */
    /* Agent entries: each has a name (its `name:`), a type, and a checkpoint
     * dataset if any of its runs checkpoints. */
    int n_entries;
    const char **entry_name, **entry_type; /* [n_entries] */
    int64_t *entry_rows;           /* [n_entries] rows of the entry's checkpoint dataset */
    int64_t *entry_floats;         /* [n_entries] floats per checkpoint row (max over its runs) */
    int64_t *ckpt_floats;          /* [n_runs] floats per checkpoint (0: none) */
    int64_t *ckpt_row;             /* [n_runs] row in its entry's checkpoint dataset (-1: none) */
    int64_t *train_budget;         /* [n_runs] its entry's training budget (environment steps) */
    size_t max_ckpt_floats;        /* over all runs */
    int n_envs;
    const char **env_name;         /* [n_envs] as the job names them */
    plan_world_t *worlds;          /* [n_envs] */
    int n_columns;
    plan_column_t *columns;        /* [n_columns] first-seen order over the entries' classes */
} plan_t;

struct jobspec;
struct runlist;
struct worlds;

/* Build the plan of a job expanded into rl, over its built worlds ws.  Refuses
 * (-1, one line in err) two parameters of one name with different kinds (one
 * column cannot hold both) and more than PLAN_MAX_COLUMNS columns. */
int  plan_build(plan_t *p, const struct jobspec *job, const struct runlist *rl, const struct worlds *ws,
                char *err, size_t errlen);
void plan_free(plan_t *p);

/* The layout's dimensions from the job's counts alone, without expanding the
 * runs (n_conditions left 0), and the parameter columns' kinds: for the size
 * guard's lower bound, which must answer in microseconds for a huge sweep.
 * 0, or -1 with err as plan_build. */
int  plan_count(const struct jobspec *job, layout_dims_t *dims, int *n_number, int *n_text,
                char *err, size_t errlen);

#endif
