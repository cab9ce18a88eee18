/* store_layout: the dataset table, the layout's creation from a plan, its
 * static data and the size estimates (see store_layout.h). */
#include "store/store_layout.h"
#include "core/version.h"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- the table of per-run datasets ------------------------------------------------ */


ds_def_t sl_defs[DS_COUNT] = {
    [DS_STATUS] = {"/runs/status", 0, 0, {0}, "",
        "state of the run: 0 pending, 1 done, 2 failed, 3 started (running, or interrupted); "
        "the only truth about a row: read other per-run data only where this is 1"},
    [DS_RANK] = {"/runs/rank", 0, 2, {0}, "", "MPI rank that ran it (-1: not run)",
        .src = SRC_INT, .off = offsetof(run_result_t, rank)},
    [DS_T_START] = {"/runs/t_start", 0, 5, {0}, "s since 1970-01-01 UTC", "wall-clock start of the run",
        FROM_VALUE(t_start)},
    [DS_T_END] = {"/runs/t_end", 0, 5, {0}, "s since 1970-01-01 UTC", "wall-clock end of the run",
        FROM_VALUE(t_end)},
    [DS_TRAIN_S] = {"/runs/train_seconds", 0, 5, {0}, "s", "time spent training",
        FROM_VALUE(train_seconds)},
    [DS_EVAL_S] = {"/runs/eval_seconds", 0, 5, {0}, "s", "time spent in evaluation episodes",
        FROM_VALUE(eval_seconds)},
    [DS_TRAIN_STEPS] = {"/runs/train_steps", 0, 3, {0}, "environment steps",
        "environment steps the agent used for training (at most its budget; random uses none)",
        FROM_VALUE(train_steps)},
    [DS_TRAIN_EPISODES] = {"/runs/train_episodes", 0, 3, {0}, "episodes", "training episodes finished",
        FROM_VALUE(train_episodes)},
    [DS_TRAIN_BUDGET] = {"/runs/train_budget", 0, 3, {0}, "environment steps",
        "the run's training budget: its agent entry's train_steps, else the job's (written with the "
        "layout, before any run; train_steps is what it used of it); format version 7"},
    [DS_FIT_STEPS] = {"/runs/fit_steps", 0, 3, {0}, "gradient steps",
        "gradient steps the run's network fits made, summed over its fits (at most train_iters each; "
        "fewer when the stopping rule ends a fit; 0: the agent trains no network)",
        FROM_VALUE(fit_steps)},
    [DS_FIT_S] = {"/runs/fit_seconds", 0, 5, {0}, "s",
        "wall time of the run's network fits (part of train_seconds; 0: no network)",
        FROM_VALUE(fit_seconds)},
    [DS_READOFF_S] = {"/runs/readoff_seconds", 0, 5, {0}, "s",
        "wall time reading the run's model off its network (the likelihood and the transitions of every "
        "cell, netmodel_read; part of train_seconds; 0: no network)",
        FROM_VALUE(readoff_seconds)},
    [DS_MESSAGE] = {"/runs/message", 0, 6, {0}, "", "failure message of a failed run (empty otherwise)",
        .src = SRC_MESSAGE, .off = offsetof(run_result_t, message)},
    [DS_CKPT_FLOATS] = {"/checkpoints/floats", 0, 3, {0}, "float32 values",
        "values per checkpoint of this run (0: its agent has no checkpoint; at most the last extent of "
        "its agent's dataset, the rest of the row unused)"},
    [DS_CKPT_ROW] = {"/checkpoints/row", 0, 3, {0}, "",
        "row of this run in /checkpoints/<agent name> (-1: none)"},
    [DS_EVAL_STEPS] = {"/eval/steps", 0, 2, {X_E}, "steps",
        "steps taken in each evaluation episode (max_steps at a time-out, the step of the fall at a "
        "hole death): not a performance measure on worlds with holes (a fast death looks fast); the "
        "analysis's `steps to goal` counts every failed episode as max_steps (docs/analysis.md)",
        FROM_ARRAY(eval_steps), .done_only = 1},
    [DS_EVAL_SUCCESS] = {"/eval/success", 0, 1, {X_E}, "", "1 if the episode reached the goal",
        FROM_ARRAY(eval_success), .done_only = 1},
    [DS_EVAL_RETURN] = {"/eval/return", 0, 4, {X_E}, "reward", "undiscounted return of each evaluation episode (goal reward, hole reward, the world's step rewards)",
        FROM_ARRAY(eval_return), .done_only = 1},
    [DS_EVAL_OUTCOME] = {"/eval/outcome", 0, 0, {X_E}, "0 goal, 1 hole, 2 time-out",
        "how each evaluation episode ended: 0 reached the goal, 1 ended without the goal (a hole), "
        "2 reached max_steps",
        FROM_ARRAY(eval_outcome), .done_only = 1},
    [DS_EVAL_CONTEXT] = {"/eval/context", 0, 0, {X_E}, "context index",
        "the hidden context drawn for each evaluation episode (0 in a world without contexts; "
        "/envs/<name> attribute n_contexts; docs/contexts.md): there, entering another context's goal "
        "is outcome 1",
        FROM_ARRAY(eval_context), .done_only = 1},
    [DS_CURVE_STEPS] = {"/train/curve_steps", 0, 4, {X_C}, "steps",
        "learning curve: mean steps of the training episodes that ended in each bin of the step "
        "budget (NaN: no episode ended there)",
        FROM_ARRAY(curve_steps), .done_only = 1},
    [DS_CURVE_SUCCESS] = {"/train/curve_success", 0, 4, {X_C}, "fraction",
        "learning curve: success rate of the training episodes ending in each bin",
        FROM_ARRAY(curve_success), .done_only = 1},
    [DS_CURVE_RETURN] = {"/train/curve_return", 0, 4, {X_C}, "reward",
        "learning curve: mean return of the training episodes ending in each bin",
        FROM_ARRAY(curve_return), .done_only = 1},
    [DS_CURVE_EPISODES] = {"/train/curve_episodes", 0, 2, {X_C}, "episodes",
        "training episodes ending in each bin",
        FROM_ARRAY(curve_episodes), .done_only = 1},
    [DS_TRAJ_LEN] = {"/traj/length", 0, 2, {X_K}, "steps", "length of each logged evaluation episode",
        FROM_ARRAY(traj_len), .done_only = 1},
    [DS_TRAJ_POS] = {"/traj/pos", 0, 2, {X_K, X_T1}, "cell index (row*cols+col)",
        "true cell at t = 0..length (-1 after the end)",
        FROM_ARRAY(traj_pos), .done_only = 1},
    [DS_TRAJ_OBS] = {"/traj/obs", 0, 2, {X_K, X_T1}, "cell index (row*cols+col)",
        "observation at t = 0..length (-1 after the end): the observed cell; in a world with hidden "
        "contexts sym * rows * cols + cell, sym 0 nothing, 1..K the cue symbols, K+1 the reward "
        "(docs/contexts.md)",
        FROM_ARRAY(traj_obs), .done_only = 1},
    [DS_TRAJ_ACTION] = {"/traj/action", 0, 0, {X_K, X_T}, "0 up, 1 down, 2 left, 3 right, 4 stay",
        "action taken at t = 0..length-1 (-1 after the end)",
        FROM_ARRAY(traj_action), .done_only = 1},
    [DS_TRAJ_G] = {"/traj/G", 0, 4, {X_K, X_T, X_NA}, "nats",
        "expected free energy of each first action at each decision (NaN: agent has none)",
        FROM_ARRAY(traj_G), .done_only = 1},
    [DS_TRAJ_RISK] = {"/traj/risk", 0, 4, {X_K, X_T, X_NA}, "nats",
        "risk part of /traj/G (the agent's risk_term: the KL, or the expected cost)", FROM_ARRAY(traj_risk),
        .done_only = 1},
    [DS_TRAJ_AMB] = {"/traj/ambiguity", 0, 4, {X_K, X_T, X_NA}, "nats", "ambiguity part of /traj/G",
        FROM_ARRAY(traj_ambiguity), .done_only = 1},
    [DS_TRAJ_P] = {"/traj/p_action", 0, 4, {X_K, X_T, X_NA}, "probability",
        "probability of each action at each decision (random: uniform; NaN: agent has none, q-learning)",
        FROM_ARRAY(traj_p_action), .done_only = 1},
    [DS_TRAJ_PCTX] = {"/traj/p_context", 0, 4, {X_K, X_T, X_KC}, "probability",
        "a world with K hidden contexts: the agent's belief at each decision, after that step's "
        "observation, in each context as it names them, the first K entries (the reference's naming is "
        "the world's, a learner's its own: docs/contexts.md; NaN: agent or world has none, and beyond K)",
        FROM_ARRAY(traj_p_context), .done_only = 1},
    [DS_CKPT_STEP] = {"/checkpoints/step", 0, 3, {X_CK}, "environment steps",
        "training step at which each checkpoint was taken (-1: none)",
        FROM_ARRAY(ckpt_step), .done_only = 1},
    [DS_CHECK_N] = {"/efe_check/n_policies", 0, 2, {X_D}, "policies",
        "candidate policies compared at each checked evaluation decision (0: no check; agents "
        "without an EFE estimate never check)",
        FROM_ARRAY(check_n), .done_only = 1},
    [DS_CHECK_EST] = {"/efe_check/G_estimate", 0, 4, {X_D, X_KP}, "nats",
        "the agent's estimate of G for each compared candidate policy",
        FROM_ARRAY(check_est), .done_only = 1},
    [DS_CHECK_EXACT] = {"/efe_check/G_exact", 0, 4, {X_D, X_KP}, "nats",
        "exact G of the same policies from the world's true A and B, given the agent's inferred belief",
        FROM_ARRAY(check_exact), .done_only = 1},
    [DS_CHECK_RHO] = {"/efe_check/spearman", 0, 4, {X_D}, "",
        "Spearman rank correlation of G_estimate and G_exact at each checked decision (NaN: undefined, one "
        "side constant)",
        FROM_ARRAY(check_rho), .done_only = 1},
    [DS_CHECK_RHO_MED] = {"/efe_check/spearman_median", 0, 4, {0}, "",
        "median over the run's checked decisions of /efe_check/spearman (NaN: none)",
        FROM_VALUE(check_rho_median), .done_only = 1},
    [DS_MODEL_TV_A] = {"/model/tv_A", 0, 4, {0}, "",
        "mean total variation between the likelihood p(o|s) the agent plans with after training and "
        "the world's, over the cells it was in during training (NaN: the agent has no model, or "
        "did not train: the references with the true model)",
        FROM_VALUE(model_tv_A), .done_only = 1},
    [DS_MODEL_TV_B] = {"/model/tv_B", 0, 4, {0}, "",
        "mean total variation between the transitions p(s'|s,a) the agent plans with after training "
        "and the world's, over every action of the cells it was in during training (NaN: as tv_A)",
        FROM_VALUE(model_tv_B), .done_only = 1},
    [DS_MODEL_FIT_TV_B] = {"/model/fit_tv_B", 0, 4, {0}, "",
        "mean total variation between the transitions the agent plans with and the normalised counts "
        "of its own moves under the states it inferred (or was given), over the (state, action) it "
        "made at least 5 times: how well its model fits its own data (NaN: no learned model)",
        FROM_VALUE(model_fit_tv_B), .done_only = 1},
    [DS_CRC] = {"/runs/crc32", 0, 3, {0}, "",
        "CRC-32 (zlib's) of the run's rows as stored, written after them and before the status: the "
        "datasets named in this dataset's `covers` attribute in that order, then the run's checkpoint "
        "values (its row of /checkpoints/<agent>, the first /checkpoints/floats of each), then the run id "
        "(int64) and its status (int8), all little-endian; 0 while pending (docs/results-format.md, "
        "\"Integrity\")"},
};


hid_t sl_native_type(int code, hid_t msg_type) {
    switch (code) {
    case 0: return H5T_NATIVE_INT8;
    case 1: return H5T_NATIVE_UINT8;
    case 2: return H5T_NATIVE_INT32;
    case 3: return H5T_NATIVE_INT64;
    case 4: return H5T_NATIVE_FLOAT;
    case 5: return H5T_NATIVE_DOUBLE;
    default: return msg_type;
    }
}

/* File types are fixed little-endian so files read the same everywhere. */
static hid_t file_type(int code, hid_t msg_type) {
    switch (code) {
    case 0: return H5T_STD_I8LE;
    case 1: return H5T_STD_U8LE;
    case 2: return H5T_STD_I32LE;
    case 3: return H5T_STD_I64LE;
    case 4: return H5T_IEEE_F32LE;
    case 5: return H5T_IEEE_F64LE;
    default: return msg_type;
    }
}

static hsize_t extent_of(extent_t e, const layout_dims_t *d) {
    switch (e) {
    case X_E: return (hsize_t)d->eval_episodes;
    case X_K: return (hsize_t)d->log_episodes;
    case X_T: return (hsize_t)d->max_steps;
    case X_T1: return (hsize_t)d->max_steps + 1;
    case X_NA: return (hsize_t)d->n_actions;
    case X_C: return (hsize_t)d->curve_points;
    case X_CK: return (hsize_t)d->n_ckpt;
    case X_D: return (hsize_t)d->n_check;
    case X_KP: return RESULT_CHECK_POLICIES;
    case X_KC: return (hsize_t)result_ctx_slots(d);
    default: return 0;
    }
}

int sl_def_dims(const ds_def_t *def, const layout_dims_t *d, hsize_t *dims) {
    int n = 1;
    dims[0] = (hsize_t)d->n_runs;
    for (int i = 0; i < 3 && def->tail[i] != X_NONE; i++) dims[n++] = extent_of(def->tail[i], d);
    return n;
}


/* ---- attributes and dataset creation ------------------------------------------------ */


static int attr_str(hid_t obj, const char *name, const char *value) {
    hid_t t = H5Tcopy(H5T_C_S1);
    H5Tset_size(t, strlen(value) + 1);
    H5Tset_strpad(t, H5T_STR_NULLTERM);
    hid_t sp = H5Screate(H5S_SCALAR);
    hid_t a = H5Acreate2(obj, name, t, sp, H5P_DEFAULT, H5P_DEFAULT);
    herr_t rc = a < 0 ? -1 : H5Awrite(a, t, value);
    if (a >= 0) H5Aclose(a);
    H5Sclose(sp);
    H5Tclose(t);
    return rc < 0 ? -1 : 0;
}

static int attr_i64(hid_t obj, const char *name, int64_t v) {
    hid_t sp = H5Screate(H5S_SCALAR);
    hid_t a = H5Acreate2(obj, name, H5T_STD_I64LE, sp, H5P_DEFAULT, H5P_DEFAULT);
    herr_t rc = a < 0 ? -1 : H5Awrite(a, H5T_NATIVE_INT64, &v);
    if (a >= 0) H5Aclose(a);
    H5Sclose(sp);
    return rc < 0 ? -1 : 0;
}

/* Read a string attribute (fixed or variable length) into buf; -1 if absent. */
int sl_read_attr_str(hid_t obj, const char *name, char *buf, size_t n) {
    buf[0] = 0;
    if (H5Aexists(obj, name) <= 0) return -1;
    hid_t a = H5Aopen(obj, name, H5P_DEFAULT);
    if (a < 0) return -1;
    hid_t ft = H5Aget_type(a);
    int rc = -1;
    if (H5Tget_class(ft) == H5T_STRING && !H5Tis_variable_str(ft)) {
        size_t sz = H5Tget_size(ft);
        char *tmp = calloc(sz + 1, 1);
        hid_t mt = H5Tcopy(H5T_C_S1);
        H5Tset_size(mt, sz);
        if (tmp && H5Aread(a, mt, tmp) >= 0) {
            snprintf(buf, n, "%s", tmp);
            rc = 0;
        }
        H5Tclose(mt);
        free(tmp);
    }
    H5Tclose(ft);
    H5Aclose(a);
    return rc;
}

int sl_read_attr_i64(hid_t obj, const char *name, int64_t *v) {
    if (H5Aexists(obj, name) <= 0) return -1;
    hid_t a = H5Aopen(obj, name, H5P_DEFAULT);
    if (a < 0) return -1;
    herr_t rc = H5Aread(a, H5T_NATIVE_INT64, v);
    H5Aclose(a);
    return rc < 0 ? -1 : 0;
}

static hid_t make_dcpl(void) {
    hid_t p = H5Pcreate(H5P_DATASET_CREATE);
    H5Pset_layout(p, H5D_CONTIGUOUS);
    H5Pset_alloc_time(p, H5D_ALLOC_TIME_EARLY);
    /* Unwritten rows stay garbage: /runs/status is the truth, and filling
     * gigabytes at creation would cost minutes on a parallel file system. */
    H5Pset_fill_time(p, H5D_FILL_TIME_NEVER);
    return p;
}


/* ---- sizes ------------------------------------------------------------------------ */

static size_t type_size(int code) {
    static const size_t sz[] = {1, 1, 4, 8, 4, 8, RESULT_MSG_LEN};
    return sz[code];
}

/* Bytes of one row (one run) of dataset i. */
size_t sl_row_bytes(int i, const layout_dims_t *d) {
    hsize_t dims[4];
    int nd = sl_def_dims(&sl_defs[i], d, dims);
    size_t n = 1;
    for (int k = 1; k < nd; k++) n *= (size_t)dims[k];
    return n * type_size(sl_defs[i].type_code);
}

/* ---- the params table -------------------------------------------------------------- */

typedef struct {
    const char *name;
    int is_choice;
    size_t offset;
} pcol_t;

/* Bytes of the identity columns of a /runs/params row: run_id, condition,
 * agent, agent_type, env, env_index, seed, seed_index. */
#define PARAMS_HEAD_BYTES (8 + 8 + PLAN_NAME_LEN + PLAN_TEXT_LEN + PLAN_NAME_LEN + 4 + 8 + 4)

static size_t params_row_bytes(int n_number, int n_text) {
    return PARAMS_HEAD_BYTES + 8 * (size_t)n_number + PLAN_TEXT_LEN * (size_t)n_text;
}

/* The plan's parameter columns with their offsets in a row; the row's size. */
static size_t param_columns(const plan_t *p, pcol_t *cols) {
    size_t off = PARAMS_HEAD_BYTES;
    for (int i = 0; i < p->n_columns; i++) {
        cols[i].name = p->columns[i].name;
        cols[i].is_choice = p->columns[i].kind == PLAN_TEXT;
        cols[i].offset = off;
        off += cols[i].is_choice ? PLAN_TEXT_LEN : 8;
    }
    return off;
}

static hid_t params_type(const pcol_t *cols, int n, size_t row_size, int native) {
    hid_t t = H5Tcreate(H5T_COMPOUND, row_size);
    hid_t s_name = H5Tcopy(H5T_C_S1), s_choice = H5Tcopy(H5T_C_S1);
    H5Tset_size(s_name, PLAN_NAME_LEN);
    H5Tset_size(s_choice, PLAN_TEXT_LEN);
    hid_t i64 = native ? H5T_NATIVE_INT64 : H5T_STD_I64LE;
    hid_t i32 = native ? H5T_NATIVE_INT32 : H5T_STD_I32LE;
    hid_t f64 = native ? H5T_NATIVE_DOUBLE : H5T_IEEE_F64LE;
    size_t o = 0;
    H5Tinsert(t, "run_id", o, i64); o += 8;
    H5Tinsert(t, "condition", o, i64); o += 8;
    H5Tinsert(t, "agent", o, s_name); o += PLAN_NAME_LEN;
    H5Tinsert(t, "agent_type", o, s_choice); o += PLAN_TEXT_LEN;
    H5Tinsert(t, "env", o, s_name); o += PLAN_NAME_LEN;
    H5Tinsert(t, "env_index", o, i32); o += 4;
    H5Tinsert(t, "seed", o, i64); o += 8;
    H5Tinsert(t, "seed_index", o, i32); o += 4;
    for (int i = 0; i < n; i++) H5Tinsert(t, cols[i].name, cols[i].offset, cols[i].is_choice ? s_choice : f64);
    H5Tclose(s_name);
    H5Tclose(s_choice);
    return t;
}

static void fill_params_rows(const plan_t *p, const pcol_t *cols, size_t row_size, unsigned char *buf) {
    for (long r = 0; r < p->dims.n_runs; r++) {
        const plan_run_t *run = &p->runs[r];
        unsigned char *row = buf + (size_t)r * row_size;
        memset(row, 0, row_size);
        int64_t v64;
        int32_t v32;
        size_t o = 0;
        v64 = r; memcpy(row + o, &v64, 8); o += 8;
        v64 = run->condition; memcpy(row + o, &v64, 8); o += 8;
        snprintf((char *)row + o, PLAN_NAME_LEN, "%s", p->entry_name[run->entry]); o += PLAN_NAME_LEN;
        snprintf((char *)row + o, PLAN_TEXT_LEN, "%s", p->entry_type[run->entry]); o += PLAN_TEXT_LEN;
        snprintf((char *)row + o, PLAN_NAME_LEN, "%s", p->env_name[run->env]); o += PLAN_NAME_LEN;
        v32 = run->env; memcpy(row + o, &v32, 4); o += 4;
        v64 = run->seed; memcpy(row + o, &v64, 8); o += 8;
        v32 = run->seed_index; memcpy(row + o, &v32, 4);
        for (int i = 0; i < p->n_columns; i++) {
            const plan_column_t *c = &p->columns[i];
            if (cols[i].is_choice) memcpy(row + cols[i].offset, c->text + (size_t)r * PLAN_TEXT_LEN, PLAN_TEXT_LEN);
            else memcpy(row + cols[i].offset, &c->number[r], 8);
        }
    }
}

/* ---- layout creation --------------------------------------------------------------- */

static int create_dataset(hid_t file, const char *path, hid_t ftype, int ndims, const hsize_t *dims,
                          const char *units, const char *desc) {
    hid_t sp = H5Screate_simple(ndims, dims, NULL);
    hid_t dcpl = make_dcpl();
    hid_t lcpl = H5Pcreate(H5P_LINK_CREATE);
    H5Pset_create_intermediate_group(lcpl, 1);
    hid_t ds = H5Dcreate2(file, path, ftype, sp, lcpl, dcpl, H5P_DEFAULT);
    int rc = ds < 0 ? -1 : 0;
    if (ds >= 0) {
        rc |= attr_str(ds, "description", desc);
        if (units && units[0]) rc |= attr_str(ds, "units", units);
        H5Dclose(ds);
    }
    H5Pclose(lcpl);
    H5Pclose(dcpl);
    H5Sclose(sp);
    return rc;
}

/* The per-run datasets a run's checksum covers: all but its status and the
 * checksum itself. */
int sl_crc_covers(int i) { return i != DS_STATUS && i != DS_CRC; }

/* The attributes of /envs/<name>: the world's scalars, and a context world's
 * goals, probabilities and cue reliability as text (docs/contexts.md). */
static int world_attrs(hid_t grp, const plan_world_t *g, int e) {
    char buf[512];
    int rc = 0;
    rc |= attr_i64(grp, "index", e);
    rc |= attr_i64(grp, "rows", g->rows);
    rc |= attr_i64(grp, "cols", g->cols);
    rc |= attr_i64(grp, "start", g->start);
    rc |= attr_i64(grp, "goal", g->goal);
    rc |= attr_i64(grp, "max_steps", g->max_steps);
    rc |= attr_i64(grp, "n_actions", g->n_actions);
    rc |= attr_i64(grp, "noise_radius", g->noise_radius);
    snprintf(buf, sizeof buf, "%.17g", g->slip);
    rc |= attr_str(grp, "slip", buf);
    rc |= attr_i64(grp, "n_contexts", g->n_contexts);
    if (g->n_contexts <= 1) return rc;
    size_t o = 0;
    for (int k = 0; k < g->n_contexts && o < sizeof buf; k++)
        o += (size_t)snprintf(buf + o, sizeof buf - o, "%s%d", k ? " " : "", g->ctx_goal[k]);
    rc |= attr_str(grp, "context_goals", buf);
    o = 0;
    for (int k = 0; k < g->n_contexts && o < sizeof buf; k++)
        o += (size_t)snprintf(buf + o, sizeof buf - o, "%s%.17g", k ? " " : "", g->ctx_prob[k]);
    rc |= attr_str(grp, "context_probs", buf);
    snprintf(buf, sizeof buf, "%.17g", g->cue_rel);
    rc |= attr_str(grp, "cue_reliability", buf);
    snprintf(buf, sizeof buf, "%.17g", g->opt_steps);
    rc |= attr_str(grp, "optimal_route", buf);
    return rc;
}

int sl_create_layout(hid_t file, const plan_t *p, hid_t msg_type, const char *created,
                         const char *mpi_version) {
    const layout_dims_t *d = &p->dims;
    int rc = 0;
    char buf[256];

    rc |= attr_str(file, "format", STORE_FORMAT);
    rc |= attr_i64(file, "format_version", STORE_FORMAT_VERSION);
    rc |= attr_str(file, "job_yaml", p->job_text);
    rc |= attr_str(file, "job_sha256", p->job_sha256);
    rc |= attr_str(file, "job_name", p->job_name);
    rc |= attr_str(file, "job_path", p->job_path);
    rc |= attr_i64(file, "sweep_seed", (int64_t)p->sweep_seed);
    rc |= attr_i64(file, "n_runs", d->n_runs);
    rc |= attr_i64(file, "n_conditions", d->n_conditions);
    rc |= attr_str(file, "software", "aifsweep");
    rc |= attr_str(file, "software_version", aif_version());
    rc |= attr_str(file, "git_commit", aif_git_commit());
    unsigned maj, min, rel;
    H5get_libversion(&maj, &min, &rel);
    snprintf(buf, sizeof buf, "%u.%u.%u", maj, min, rel);
    rc |= attr_str(file, "hdf5_version", buf);
    rc |= attr_str(file, "mpi_version", mpi_version);
    rc |= attr_str(file, "created", created);
    rc |= attr_str(file, "status_codes", "0 pending, 1 done, 2 failed, 3 started (running or interrupted)");
    rc |= attr_str(file, "action_codes", "0 up, 1 down, 2 left, 3 right, 4 stay");

    for (int i = 0; i < DS_COUNT; i++) {
        hsize_t dims[4];
        int nd = sl_def_dims(&sl_defs[i], d, dims);
        rc |= create_dataset(file, sl_defs[i].path, file_type(sl_defs[i].type_code, msg_type), nd, dims,
                             sl_defs[i].units, sl_defs[i].description);
    }
    {   /* What /runs/crc32 covers, in order, so that a reader needs no copy of this table. */
        char covers[2048] = "";
        size_t o = 0;
        for (int i = 0; i < DS_COUNT; i++)
            if (sl_crc_covers(i) && o < sizeof covers)
                o += (size_t)snprintf(covers + o, sizeof covers - o, "%s%s", o ? "," : "", sl_defs[i].path);
        hid_t ds = H5Dopen2(file, sl_defs[DS_CRC].path, H5P_DEFAULT);
        rc |= ds < 0 ? -1 : attr_str(ds, "covers", covers);
        if (ds >= 0) H5Dclose(ds);
    }

    /* /runs/params */
    pcol_t cols[PLAN_MAX_COLUMNS];
    size_t row_size = param_columns(p, cols);
    hid_t ft = params_type(cols, p->n_columns, row_size, 0);
    hsize_t R = (hsize_t)d->n_runs;
    rc |= create_dataset(file, "/runs/params", ft, 1, &R, "",
                         "one row per run: run_id, condition, agent (the entry's name), agent_type, env, "
                         "env_index, seed, seed_index, then one column per agent parameter of the job "
                         "(NaN or empty where the run's agent has no such parameter)");
    H5Tclose(ft);

    /* Checkpoints: one dataset per agent entry that has any. */
    for (int a = 0; a < p->n_entries; a++) {
        if (p->entry_rows[a] == 0 || d->n_ckpt == 0) continue;
        hsize_t dims[3] = {(hsize_t)p->entry_rows[a], (hsize_t)d->n_ckpt, (hsize_t)p->entry_floats[a]};
        sl_ckpt_path(buf, sizeof buf, p->entry_name[a]);
        rc |= create_dataset(file, buf, H5T_IEEE_F32LE, 3, dims, "",
                             "[row, checkpoint, value]: the agent's checkpoint vectors; a run's row is "
                             "/checkpoints/row, its length /checkpoints/floats");
    }

    /* Worlds: a table plus per-world maps, so analysis needs nothing but the file. */
    for (int e = 0; e < p->n_envs; e++) {
        const plan_world_t *g = &p->worlds[e];
        hsize_t dims[2] = {(hsize_t)g->rows, (hsize_t)g->cols};
        snprintf(buf, sizeof buf, "/envs/%s/cells", g->name);
        rc |= create_dataset(file, buf, H5T_STD_U8LE, 2, dims, "ASCII",
                             "cell kinds: S start, F floor, H hole, G goal (a context's, in a context world), # wall, C cue");
        snprintf(buf, sizeof buf, "/envs/%s/eta", g->name);
        rc |= create_dataset(file, buf, H5T_IEEE_F64LE, 2, dims, "probability",
                             "observability: probability of observing the true cell");
        snprintf(buf, sizeof buf, "/envs/%s/dist", g->name);
        rc |= create_dataset(file, buf, H5T_STD_I32LE, 2, dims, "moves",
                             "shortest-path moves to the goal (-1: unreachable or wall)");
        snprintf(buf, sizeof buf, "/envs/%s", g->name);
        hid_t grp = H5Gopen2(file, buf, H5P_DEFAULT);
        if (grp < 0) { rc = -1; continue; }
        rc |= world_attrs(grp, g, e);
        H5Gclose(grp);
    }
    return rc;
}

/* Raw data written once by rank 0 right after the layout: params, worlds,
 * status zeros, the checkpoint map and the training budgets. */
int sl_write_static_data(hid_t file, const plan_t *p) {
    const layout_dims_t *d = &p->dims;
    int rc = 0;
    pcol_t cols[PLAN_MAX_COLUMNS];
    size_t row_size = param_columns(p, cols);
    size_t R = (size_t)d->n_runs;
    unsigned char *rows = calloc(R ? R : 1, row_size);
    int8_t *zeros = calloc(R ? R : 1, 1);
    if (!rows || !zeros) { free(rows); free(zeros); return -1; }
    fill_params_rows(p, cols, row_size, rows);
    hid_t mt = params_type(cols, p->n_columns, row_size, 1);
    hid_t ds = H5Dopen2(file, "/runs/params", H5P_DEFAULT);
    rc |= (ds < 0 || H5Dwrite(ds, mt, H5S_ALL, H5S_ALL, H5P_DEFAULT, rows) < 0) ? -1 : 0;
    if (ds >= 0) H5Dclose(ds);
    H5Tclose(mt);

    struct { const char *path; hid_t t; const void *buf; } w[] = {
        {"/runs/status", H5T_NATIVE_INT8, zeros},
        {"/checkpoints/floats", H5T_NATIVE_INT64, p->ckpt_floats},
        {"/checkpoints/row", H5T_NATIVE_INT64, p->ckpt_row},
        {"/runs/train_budget", H5T_NATIVE_INT64, p->train_budget},
    };
    for (size_t i = 0; i < sizeof w / sizeof w[0]; i++) {
        ds = H5Dopen2(file, w[i].path, H5P_DEFAULT);
        rc |= (ds < 0 || (R > 0 && H5Dwrite(ds, w[i].t, H5S_ALL, H5S_ALL, H5P_DEFAULT, w[i].buf) < 0)) ? -1 : 0;
        if (ds >= 0) H5Dclose(ds);
    }
    free(rows);
    free(zeros);

    char buf[256];
    for (int e = 0; e < p->n_envs; e++) {
        const plan_world_t *g = &p->worlds[e];
        snprintf(buf, sizeof buf, "/envs/%s/cells", g->name);
        ds = H5Dopen2(file, buf, H5P_DEFAULT);
        rc |= (ds < 0 || H5Dwrite(ds, H5T_NATIVE_UINT8, H5S_ALL, H5S_ALL, H5P_DEFAULT, g->cells) < 0) ? -1 : 0;
        if (ds >= 0) H5Dclose(ds);
        snprintf(buf, sizeof buf, "/envs/%s/eta", g->name);
        ds = H5Dopen2(file, buf, H5P_DEFAULT);
        rc |= (ds < 0 || H5Dwrite(ds, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, g->eta) < 0) ? -1 : 0;
        if (ds >= 0) H5Dclose(ds);
        snprintf(buf, sizeof buf, "/envs/%s/dist", g->name);
        ds = H5Dopen2(file, buf, H5P_DEFAULT);
        rc |= (ds < 0 || H5Dwrite(ds, H5T_NATIVE_INT, H5S_ALL, H5S_ALL, H5P_DEFAULT, g->dist) < 0) ? -1 : 0;
        if (ds >= 0) H5Dclose(ds);
    }
    return rc;
}

hid_t sl_msg_type(void) {
    hid_t t = H5Tcopy(H5T_C_S1);
    H5Tset_size(t, RESULT_MSG_LEN);
    H5Tset_strpad(t, H5T_STR_NULLTERM);
    return t;
}


/* Bytes of every per-run dataset and of /runs/params for the runs of d. */
static double run_rows_bytes(const layout_dims_t *d, size_t params_row) {
    double total = 0;
    for (int i = 0; i < DS_COUNT; i++) total += (double)d->n_runs * (double)sl_row_bytes(i, d);
    return total + (double)d->n_runs * (double)params_row;
}

double sl_estimate_bytes_floor(const layout_dims_t *d, int n_number, int n_text) {
    return run_rows_bytes(d, params_row_bytes(n_number, n_text));
}

double sl_estimate_bytes(const plan_t *p) {
    pcol_t cols[PLAN_MAX_COLUMNS];
    double total = run_rows_bytes(&p->dims, param_columns(p, cols));
    for (int a = 0; a < p->n_entries; a++)
        total += 4.0 * (double)p->entry_rows[a] * (double)p->dims.n_ckpt * (double)p->entry_floats[a];
    for (int e = 0; e < p->n_envs; e++) total += 13.0 * p->worlds[e].rows * p->worlds[e].cols;
    return total;
}

void sl_ckpt_path(char *buf, size_t n, const char *entry) { snprintf(buf, n, "/checkpoints/%s", entry); }

/* One cell of a Markdown table: '|' escaped. */
static void md_cell(FILE *out, const char *text) {
    for (const char *c = text; *c; c++) {
        if (*c == '|') fputc('\\', out);
        fputc(*c, out);
    }
}

void sl_print_schema(FILE *out) {
    static const char *const extent[] = {[X_E] = "E", [X_K] = "K", [X_T] = "T", [X_T1] = "T+1", [X_NA] = "NA",
                                         [X_C] = "C", [X_CK] = "CK", [X_D] = "D", [X_KP] = "KP", [X_KC] = "KC"};
    static const char *const type[] = {"int8", "uint8", "int32", "int64", "float32", "float64", "string (256)"};
    _Static_assert(RESULT_MSG_LEN == 256, "the message type's length, as printed");
    for (int i = 0; i < DS_COUNT; i++) {
        const ds_def_t *d = &sl_defs[i];
        const char *name = strchr(d->path + 1, '/');
        fprintf(out, "%.*s\t| `%s` | `[R", (int)(name - d->path - 1), d->path + 1, name + 1);
        for (int k = 0; k < 3 && d->tail[k] != X_NONE; k++) fprintf(out, ", %s", extent[d->tail[k]]);
        fprintf(out, "]` %s | ", type[d->type_code]);
        md_cell(out, d->units);
        fputs(" | ", out);
        md_cell(out, d->description);
        fputs(" |\n", out);
    }
}
