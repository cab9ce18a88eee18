/* store: the HDF5 layout (see docs/results-format.md), its creation, validation
 * on resume, and the independent per-run writes. */
#include "store.h"
#include "crc32.h"
#include "fault.h"
#include "version.h"
#include <errno.h>
#include <fcntl.h>
#include <hdf5.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <time.h>
#include <unistd.h>

/* ---- the table of per-run datasets ------------------------------------------------ */

/* Shape of a per-run dataset: [n_runs, a, b, c] where each tail dimension is
 * taken from the layout dims. */
typedef enum { X_NONE, X_E, X_K, X_T, X_T1, X_NA, X_C, X_CK, X_D, X_KP } extent_t;

typedef struct {
    const char *path;
    hid_t type_native;   /* set at startup (HDF5 type ids are not constants) */
    int type_code;       /* 0 i8, 1 u8, 2 i32, 3 i64, 4 f32, 5 f64, 6 message string */
    extent_t tail[3];
    const char *units;
    const char *description;
} ds_def_t;

enum {
    DS_STATUS, DS_RANK, DS_T_START, DS_T_END, DS_TRAIN_S, DS_EVAL_S, DS_TRAIN_STEPS,
    DS_TRAIN_EPISODES, DS_MESSAGE, DS_CKPT_FLOATS, DS_CKPT_ROW,
    DS_EVAL_STEPS, DS_EVAL_SUCCESS, DS_EVAL_RETURN, DS_EVAL_OUTCOME,
    DS_CURVE_STEPS, DS_CURVE_SUCCESS, DS_CURVE_RETURN, DS_CURVE_EPISODES,
    DS_TRAJ_LEN, DS_TRAJ_POS, DS_TRAJ_OBS, DS_TRAJ_ACTION,
    DS_TRAJ_G, DS_TRAJ_RISK, DS_TRAJ_AMB, DS_TRAJ_P,
    DS_CKPT_STEP,
    DS_CHECK_N, DS_CHECK_EST, DS_CHECK_EXACT, DS_CHECK_RHO, DS_CHECK_RHO_MED,
    DS_CRC,
    DS_COUNT
};

static ds_def_t defs[DS_COUNT] = {
    [DS_STATUS] = {"/runs/status", 0, 0, {0}, "",
        "state of the run: 0 pending, 1 done, 2 failed, 3 started (running, or interrupted); "
        "the only truth about a row: read other per-run data only where this is 1"},
    [DS_RANK] = {"/runs/rank", 0, 2, {0}, "", "MPI rank that ran it (-1: not run)"},
    [DS_T_START] = {"/runs/t_start", 0, 5, {0}, "s since 1970-01-01 UTC", "wall-clock start of the run"},
    [DS_T_END] = {"/runs/t_end", 0, 5, {0}, "s since 1970-01-01 UTC", "wall-clock end of the run"},
    [DS_TRAIN_S] = {"/runs/train_seconds", 0, 5, {0}, "s", "time spent training"},
    [DS_EVAL_S] = {"/runs/eval_seconds", 0, 5, {0}, "s", "time spent in evaluation episodes"},
    [DS_TRAIN_STEPS] = {"/runs/train_steps", 0, 3, {0}, "environment steps",
        "environment steps the agent used for training (at most its budget)"},
    [DS_TRAIN_EPISODES] = {"/runs/train_episodes", 0, 3, {0}, "episodes", "training episodes finished"},
    [DS_MESSAGE] = {"/runs/message", 0, 6, {0}, "", "failure message of a failed run (empty otherwise)"},
    [DS_CKPT_FLOATS] = {"/checkpoints/floats", 0, 3, {0}, "float32 values",
        "values per checkpoint of this run (0: its agent has no checkpoint)"},
    [DS_CKPT_ROW] = {"/checkpoints/row", 0, 3, {0}, "",
        "row of this run in /checkpoints/<agent name> (-1: none)"},
    [DS_EVAL_STEPS] = {"/eval/steps", 0, 2, {X_E}, "steps",
        "steps taken in each evaluation episode (max_steps at a time-out, the step of the fall at a "
        "hole death); the statistic `steps to goal` counts every failed episode as max_steps"},
    [DS_EVAL_SUCCESS] = {"/eval/success", 0, 1, {X_E}, "", "1 if the episode reached the goal"},
    [DS_EVAL_RETURN] = {"/eval/return", 0, 4, {X_E}, "reward", "undiscounted return of each evaluation episode"},
    [DS_EVAL_OUTCOME] = {"/eval/outcome", 0, 0, {X_E}, "0 goal, 1 hole, 2 time-out",
        "how each evaluation episode ended: 0 reached the goal, 1 ended without the goal (a hole), "
        "2 reached max_steps"},
    [DS_CURVE_STEPS] = {"/train/curve_steps", 0, 4, {X_C}, "steps",
        "learning curve: mean steps of the training episodes that ended in each bin of the step "
        "budget (NaN: no episode ended there)"},
    [DS_CURVE_SUCCESS] = {"/train/curve_success", 0, 4, {X_C}, "fraction",
        "learning curve: success rate of the training episodes ending in each bin"},
    [DS_CURVE_RETURN] = {"/train/curve_return", 0, 4, {X_C}, "reward",
        "learning curve: mean return of the training episodes ending in each bin"},
    [DS_CURVE_EPISODES] = {"/train/curve_episodes", 0, 2, {X_C}, "episodes",
        "training episodes ending in each bin"},
    [DS_TRAJ_LEN] = {"/traj/length", 0, 2, {X_K}, "steps", "length of each logged evaluation episode"},
    [DS_TRAJ_POS] = {"/traj/pos", 0, 2, {X_K, X_T1}, "cell index (row*cols+col)",
        "true cell at t = 0..length (-1 after the end)"},
    [DS_TRAJ_OBS] = {"/traj/obs", 0, 2, {X_K, X_T1}, "cell index (row*cols+col)",
        "observed cell at t = 0..length (-1 after the end)"},
    [DS_TRAJ_ACTION] = {"/traj/action", 0, 0, {X_K, X_T}, "0 up, 1 down, 2 left, 3 right, 4 stay",
        "action taken at t = 0..length-1 (-1 after the end)"},
    [DS_TRAJ_G] = {"/traj/G", 0, 4, {X_K, X_T, X_NA}, "nats",
        "expected free energy of each first action at each decision (NaN: agent has none)"},
    [DS_TRAJ_RISK] = {"/traj/risk", 0, 4, {X_K, X_T, X_NA}, "nats", "risk part of /traj/G"},
    [DS_TRAJ_AMB] = {"/traj/ambiguity", 0, 4, {X_K, X_T, X_NA}, "nats", "ambiguity part of /traj/G"},
    [DS_TRAJ_P] = {"/traj/p_action", 0, 4, {X_K, X_T, X_NA}, "probability",
        "probability of each action at each decision (NaN: agent has none)"},
    [DS_CKPT_STEP] = {"/checkpoints/step", 0, 3, {X_CK}, "environment steps",
        "training step at which each checkpoint was taken (-1: none)"},
    [DS_CHECK_N] = {"/efe_check/n_policies", 0, 2, {X_D}, "policies",
        "candidate policies compared at each checked evaluation decision (0: no check; agents "
        "without an EFE estimate never check)"},
    [DS_CHECK_EST] = {"/efe_check/G_estimate", 0, 4, {X_D, X_KP}, "nats",
        "the agent's estimate of G for each compared candidate policy"},
    [DS_CHECK_EXACT] = {"/efe_check/G_exact", 0, 4, {X_D, X_KP}, "nats",
        "exact G of the same policies from the world's true A and B, given the agent's inferred belief"},
    [DS_CHECK_RHO] = {"/efe_check/spearman", 0, 4, {X_D}, "",
        "Spearman rank correlation of G_estimate and G_exact at each checked decision (NaN: undefined)"},
    [DS_CHECK_RHO_MED] = {"/efe_check/spearman_median", 0, 4, {0}, "",
        "median over the run's checked decisions of /efe_check/spearman (NaN: none)"},
    [DS_CRC] = {"/runs/crc32", 0, 3, {0}, "",
        "CRC-32 (zlib's) of the run's rows as stored, written after them and before the status: the "
        "datasets named in this dataset's `covers` attribute in that order, then the run's checkpoint "
        "values (its row of /checkpoints/<agent>, the first /checkpoints/floats of each), then the run id "
        "(int64) and its status (int8), all little-endian; 0 while pending"},
};

typedef struct {
    hid_t id, fspace, mspace, mtype;
    int ndims;
    hsize_t dims[4];
} dset_t;

struct store {
    hid_t file;
    MPI_Comm comm;
    int rank;
    layout_dims_t d;
    const plan_t *plan;
    dset_t ds[DS_COUNT];
    int n_entries;
    dset_t *ck;             /* [n_agents]; id < 0 where the agent has no checkpoint */
    hid_t msg_type;
    unsigned char *buf;     /* one row of any dataset, or one run's checkpoints: checksums */
    size_t buf_size;
    char path[4096];
};

static hid_t native_type(int code, hid_t msg_type) {
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
    default: return 0;
    }
}

static int def_dims(const ds_def_t *def, const layout_dims_t *d, hsize_t *dims) {
    int n = 1;
    dims[0] = (hsize_t)d->n_runs;
    for (int i = 0; i < 3 && def->tail[i] != X_NONE; i++) dims[n++] = extent_of(def->tail[i], d);
    return n;
}

/* ---- small helpers ----------------------------------------------------------------- */

static void silence_hdf5(void) { H5Eset_auto2(H5E_DEFAULT, NULL, NULL); }

static int all_ok(MPI_Comm comm, int ok) {
    int all = 0;
    MPI_Allreduce(&ok, &all, 1, MPI_INT, MPI_LAND, comm);
    return all;
}

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
static int read_attr_str(hid_t obj, const char *name, char *buf, size_t n) {
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

static int read_attr_i64(hid_t obj, const char *name, int64_t *v) {
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

static void mkdir_parents(const char *path) {
    char tmp[4096];
    snprintf(tmp, sizeof tmp, "%s", path);
    for (char *p = tmp + 1; *p; p++) {
        if (*p != '/') continue;
        *p = 0;
        mkdir(tmp, 0777);
        *p = '/';
    }
}

/* ---- sizes ------------------------------------------------------------------------ */

static size_t type_size(int code) {
    static const size_t sz[] = {1, 1, 4, 8, 4, 8, RESULT_MSG_LEN};
    return sz[code];
}

/* Bytes of one row (one run) of dataset i. */
static size_t row_bytes(int i, const layout_dims_t *d) {
    hsize_t dims[4];
    int nd = def_dims(&defs[i], d, dims);
    size_t n = 1;
    for (int k = 1; k < nd; k++) n *= (size_t)dims[k];
    return n * type_size(defs[i].type_code);
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
static int crc_covers(int i) { return i != DS_STATUS && i != DS_CRC; }

static int create_layout(hid_t file, const plan_t *p, hid_t msg_type, const char *created,
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
        int nd = def_dims(&defs[i], d, dims);
        rc |= create_dataset(file, defs[i].path, file_type(defs[i].type_code, msg_type), nd, dims,
                             defs[i].units, defs[i].description);
    }
    {   /* What /runs/crc32 covers, in order, so that a reader needs no copy of this table. */
        char covers[2048] = "";
        size_t o = 0;
        for (int i = 0; i < DS_COUNT; i++)
            if (crc_covers(i) && o < sizeof covers)
                o += (size_t)snprintf(covers + o, sizeof covers - o, "%s%s", o ? "," : "", defs[i].path);
        hid_t ds = H5Dopen2(file, defs[DS_CRC].path, H5P_DEFAULT);
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
        snprintf(buf, sizeof buf, "/checkpoints/%s", p->entry_name[a]);
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
                             "cell kinds: S start, F floor, H hole, G goal, # wall");
        snprintf(buf, sizeof buf, "/envs/%s/eta", g->name);
        rc |= create_dataset(file, buf, H5T_IEEE_F64LE, 2, dims, "probability",
                             "observability: probability of observing the true cell");
        snprintf(buf, sizeof buf, "/envs/%s/dist", g->name);
        rc |= create_dataset(file, buf, H5T_STD_I32LE, 2, dims, "moves",
                             "shortest-path moves to the goal (-1: unreachable or wall)");
        snprintf(buf, sizeof buf, "/envs/%s", g->name);
        hid_t grp = H5Gopen2(file, buf, H5P_DEFAULT);
        if (grp < 0) { rc = -1; continue; }
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
        H5Gclose(grp);
    }
    return rc;
}

/* Raw data written once by rank 0 right after the layout: params, worlds,
 * status zeros and the checkpoint map. */
static int write_static_data(hid_t file, const plan_t *p) {
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

/* ---- open handles ------------------------------------------------------------------- */

static int open_dset(hid_t file, const char *path, hid_t mtype, int ndims, const hsize_t *dims, dset_t *o) {
    memset(o, 0, sizeof *o);
    o->id = o->fspace = o->mspace = -1;
    o->id = H5Dopen2(file, path, H5P_DEFAULT);
    if (o->id < 0) return -1;
    o->fspace = H5Dget_space(o->id);
    int nd = H5Sget_simple_extent_ndims(o->fspace);
    hsize_t fd[4] = {0};
    if (nd != ndims || nd > 4) return -1;
    H5Sget_simple_extent_dims(o->fspace, fd, NULL);
    for (int i = 0; i < nd; i++) if (fd[i] != dims[i]) return -1;
    o->ndims = nd;
    memcpy(o->dims, dims, sizeof(hsize_t) * (size_t)nd);
    o->mtype = mtype;
    /* Memory space of one row: the tail dimensions (o->dims, not dims: the
     * caller's array has only ndims entries). */
    hsize_t one[4] = {1, o->dims[1], o->dims[2], o->dims[3]};
    o->mspace = H5Screate_simple(nd, one, NULL);
    return 0;
}

static void close_dset(dset_t *o) {
    if (o->mspace >= 0) H5Sclose(o->mspace);
    if (o->fspace >= 0) H5Sclose(o->fspace);
    if (o->id >= 0) H5Dclose(o->id);
    o->id = o->fspace = o->mspace = -1;
}

static void store_release(store_t *st) {
    for (int i = 0; i < DS_COUNT; i++) close_dset(&st->ds[i]);
    for (int a = 0; a < st->n_entries; a++) close_dset(&st->ck[a]);
    free(st->ck);
    free(st->buf);
    if (st->msg_type >= 0) H5Tclose(st->msg_type);
    if (st->file >= 0) H5Fclose(st->file);
    free(st);
}

static hid_t make_fapl(MPI_Comm comm) {
    hid_t fapl = H5Pcreate(H5P_FILE_ACCESS);
    H5Pset_fapl_mpio(fapl, comm, MPI_INFO_NULL);
    return fapl;
}

static hid_t new_msg_type(void) {
    hid_t t = H5Tcopy(H5T_C_S1);
    H5Tset_size(t, RESULT_MSG_LEN);
    H5Tset_strpad(t, H5T_STR_NULLTERM);
    return t;
}

/* Open every dataset handle (collectively: every rank opens the same ones, so
 * later raw writes need no metadata operation). */
static int open_handles(store_t *st, char *err, size_t errlen) {
    const plan_t *p = st->plan;
    for (int i = 0; i < DS_COUNT; i++) {
        hsize_t dims[4] = {0};
        int nd = def_dims(&defs[i], &st->d, dims);
        if (open_dset(st->file, defs[i].path, native_type(defs[i].type_code, st->msg_type), nd, dims,
                      &st->ds[i]) != 0) {
            snprintf(err, errlen, "%s: dataset %s is missing or has another shape than this job's layout",
                     st->path, defs[i].path);
            return -1;
        }
    }
    st->n_entries = p->n_entries;
    st->ck = calloc((size_t)st->n_entries, sizeof *st->ck);
    if (!st->ck) { snprintf(err, errlen, "out of memory"); return -1; }
    for (int a = 0; a < st->n_entries; a++) {
        st->ck[a].id = st->ck[a].fspace = st->ck[a].mspace = -1;
        if (p->entry_rows[a] == 0 || st->d.n_ckpt == 0) continue;
        char path[128];
        snprintf(path, sizeof path, "/checkpoints/%s", p->entry_name[a]);
        hsize_t dims[3] = {(hsize_t)p->entry_rows[a], (hsize_t)st->d.n_ckpt, (hsize_t)p->entry_floats[a]};
        if (open_dset(st->file, path, H5T_NATIVE_FLOAT, 3, dims, &st->ck[a]) != 0) {
            snprintf(err, errlen, "%s: dataset %s is missing or has another shape than this job's layout",
                     st->path, path);
            return -1;
        }
    }
    size_t need = sizeof(float) * (size_t)st->d.n_ckpt * p->max_ckpt_floats;
    for (int i = 0; i < DS_COUNT; i++) {
        size_t row = row_bytes(i, &st->d);
        if (row > need) need = row;
    }
    st->buf_size = need > 0 ? need : 1;
    st->buf = malloc(st->buf_size);
    if (!st->buf) { snprintf(err, errlen, "out of memory"); return -1; }
    return 0;
}

/* The checksum of run id's rows as they are in the file (read back), with
 * `status` as the run's status: /runs/crc32's definition. */
static int run_crc(store_t *st, long id, int8_t status, uint32_t *out) {
    uint32_t c = 0;
    for (int i = 0; i < DS_COUNT; i++) {
        if (!crc_covers(i)) continue;
        dset_t *o = &st->ds[i];
        size_t n = row_bytes(i, &st->d);
        if (n == 0) continue;
        hsize_t start[4] = {(hsize_t)id, 0, 0, 0};
        hsize_t count[4] = {1, o->dims[1], o->dims[2], o->dims[3]};
        if (H5Sselect_hyperslab(o->fspace, H5S_SELECT_SET, start, NULL, count, NULL) < 0 ||
            H5Dread(o->id, o->mtype, o->mspace, o->fspace, H5P_DEFAULT, st->buf) < 0)
            return -1;
        c = crc32_update(c, st->buf, n);
    }
    const plan_t *p = st->plan;
    int64_t row = p->ckpt_row[id];
    dset_t *ck = &st->ck[p->runs[id].entry];
    if (row >= 0 && ck->id >= 0 && p->ckpt_floats[id] > 0) {
        hsize_t start[3] = {(hsize_t)row, 0, 0};
        hsize_t count[3] = {1, ck->dims[1], (hsize_t)p->ckpt_floats[id]};
        hid_t ms = H5Screate_simple(3, count, NULL);
        int bad = H5Sselect_hyperslab(ck->fspace, H5S_SELECT_SET, start, NULL, count, NULL) < 0 ||
                  H5Dread(ck->id, H5T_NATIVE_FLOAT, ms, ck->fspace, H5P_DEFAULT, st->buf) < 0;
        H5Sclose(ms);
        if (bad) return -1;
        c = crc32_update(c, st->buf, sizeof(float) * (size_t)ck->dims[1] * (size_t)p->ckpt_floats[id]);
    }
    int64_t rid = id;
    c = crc32_update(c, &rid, sizeof rid);
    c = crc32_update(c, &status, 1);
    *out = c;
    return 0;
}

int store_verify_run(store_t *st, long id, int8_t status, int *ok, char *err, size_t errlen) {
    uint32_t c;
    int64_t stored = -1;
    hsize_t start[1] = {(hsize_t)id}, count[1] = {1};
    dset_t *o = &st->ds[DS_CRC];
    if (run_crc(st, id, status, &c) != 0 ||
        H5Sselect_hyperslab(o->fspace, H5S_SELECT_SET, start, NULL, count, NULL) < 0 ||
        H5Dread(o->id, H5T_NATIVE_INT64, o->mspace, o->fspace, H5P_DEFAULT, &stored) < 0) {
        snprintf(err, errlen, "%s: cannot read run %ld to check it", st->path, id);
        return -1;
    }
    *ok = stored == (int64_t)c;
    return 0;
}

/* The directory that will hold path (for the .partial beside it). */
static void parent_dir(const char *path, char *dir, size_t n) {
    snprintf(dir, n, "%s", path);
    char *slash = strrchr(dir, '/');
    if (!slash) snprintf(dir, n, ".");
    else if (slash == dir) dir[1] = '\0';
    else *slash = '\0';
}

/* The nearest existing ancestor of dir must be writable (the missing ones are
 * created); 0, or errno. */
static int dir_writable(const char *dir) {
    char d[4096];
    snprintf(d, sizeof d, "%s", dir);
    struct stat sb;
    while (stat(d, &sb) != 0) {
        char *slash = strrchr(d, '/');
        if (!slash) { snprintf(d, sizeof d, "."); break; }
        if (slash == d) { d[1] = '\0'; break; }
        *slash = '\0';
    }
    if (stat(d, &sb) != 0) return errno;
    if (!S_ISDIR(sb.st_mode)) return ENOTDIR;
    return access(d, W_OK) == 0 ? 0 : errno;
}

/* 1 if path is an HDF5 file with this project's format attribute, 0 if it is
 * not, -1 if it looks like HDF5 but cannot be opened (damaged, or in use). */
static int is_results_file(const char *path) {
    if (H5Fis_hdf5(path) <= 0) return 0;
    hid_t f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    if (f < 0) return -1;
    char fmt[64];
    int yes = read_attr_str(f, "format", fmt, sizeof fmt) == 0 && strcmp(fmt, STORE_FORMAT) == 0;
    H5Fclose(f);
    return yes;
}

int store_check_output(const char *path, const char *job_path, int mode, char *err, size_t errlen) {
    silence_hdf5();
    if (!path || !path[0]) {
        snprintf(err, errlen, "the results file name is empty (-o \"\" or output: \"\")");
        return -1;
    }
    size_t len = strlen(path);
    if (path[len - 1] == '/') {
        snprintf(err, errlen, "%s names a directory; give a file name for the results", path);
        return -1;
    }
    struct stat lsb, sb, jsb;
    int exists = lstat(path, &lsb) == 0;
    int have_target = exists && stat(path, &sb) == 0;
    if (have_target && S_ISDIR(sb.st_mode)) {
        snprintf(err, errlen, "%s is a directory; give a file name for the results", path);
        return -1;
    }
    if (have_target && job_path && stat(job_path, &jsb) == 0 && sb.st_dev == jsb.st_dev &&
        sb.st_ino == jsb.st_ino) {
        snprintf(err, errlen, "%s is the job file itself; give another file for the results", path);
        return -1;
    }
    if (exists && mode != 'c') {
        if (mode == 'f' && S_ISLNK(lsb.st_mode)) {
            snprintf(err, errlen,
                     "%s is a symbolic link: --force would replace the link, not the file it points to; "
                     "name the file itself", path);
            return -1;
        }
        if (!have_target) {
            snprintf(err, errlen, "%s is a symbolic link to nothing (%s)", path, strerror(errno));
            return -1;
        }
        if (!S_ISREG(sb.st_mode)) {
            snprintf(err, errlen, "%s is not a regular file (a FIFO, device or socket): %s leaves it alone",
                     path, mode == 'f' ? "--force" : "--resume");
            return -1;
        }
        int r = is_results_file(path);
        if (r < 0) {
            snprintf(err, errlen, "%s is not a valid HDF5 file (truncated or damaged?), or another program "
                                  "holds it open", path);
            return -1;
        }
        if (mode == 'f' && r == 0) {
            snprintf(err, errlen, "%s is not an aifsweep results file: --force replaces only results files "
                                  "(format=\"%s\"); move it away or choose another -o", path, STORE_FORMAT);
            return -1;
        }
    }
    if (mode != 'r') {
        char dir[4096];
        parent_dir(path, dir, sizeof dir);
        int e = dir_writable(dir);
        if (e) {
            snprintf(err, errlen, "cannot create %s: directory %s: %s", path, dir, strerror(e));
            return -1;
        }
    }
    return 0;
}

static store_t *store_new(const char *path, MPI_Comm comm, const plan_t *plan) {
    store_t *st = calloc(1, sizeof *st);
    if (!st) return NULL;
    st->file = -1;
    st->comm = comm;
    MPI_Comm_rank(comm, &st->rank);
    st->plan = plan;
    st->d = plan->dims;
    st->msg_type = new_msg_type();
    for (int i = 0; i < DS_COUNT; i++) st->ds[i].id = st->ds[i].fspace = st->ds[i].mspace = -1;
    snprintf(st->path, sizeof st->path, "%s", path);
    return st;
}

/* Free bytes for an unprivileged writer on the file system holding dir, or
 * -1 if unknown. */
static double free_bytes(const char *dir) {
    struct statvfs v;
    if (statvfs(dir, &v) != 0) return -1;
    return (double)v.f_bavail * (double)v.f_frsize;
}

/* Rank 0 alone: the whole layout into partial with HDF5's serial driver, its
 * static data, closed, and every byte of it reserved on disk.  No other rank
 * takes part, so a failure here (a full disk above all) cannot leave ranks
 * waiting in different collective calls; and with the space reserved, the
 * sweep's writes cannot run out of it later.  0, or -1 with msg set and
 * partial removed. */
static int build_layout(const char *partial, const plan_t *plan, const char *created,
                        const char *mpi_version, char *msg, size_t n) {
    char dir[4096];
    parent_dir(partial, dir, sizeof dir);
    double need = store_estimate_bytes(plan) * 1.02 + 256e3, have = free_bytes(dir);
    if (have >= 0 && have < need) {
        snprintf(msg, n, "not enough space for the results: the layout needs about %.3g MB, %.3g MB are free in %s",
                 need / 1e6, have / 1e6, dir);
        unlink(partial);
        return -1;
    }
    hid_t file = H5Fcreate(partial, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
    if (file < 0) {
        snprintf(msg, n, "cannot create %s: %s", partial, errno ? strerror(errno) : "HDF5 error");
        unlink(partial);
        return -1;
    }
    FAULT_POINT("create_begin");
    hid_t msg_type = new_msg_type();
    int lrc = create_layout(file, plan, msg_type, created, mpi_version);
    H5Tclose(msg_type);
    FAULT_POINT("create_after_layout");
    int wrc = lrc == 0 ? write_static_data(file, plan) : -1;
    FAULT_POINT("create_before_close");
    herr_t frc = H5Fclose(file);
    if (lrc != 0 || wrc != 0 || frc < 0) {
        snprintf(msg, n, "cannot write the layout of %s (disk full? %.3g MB were free)", partial,
                 free_bytes(dir) / 1e6);
        unlink(partial);
        return -1;
    }
    int fd = open(partial, O_WRONLY);
    struct stat sb;
    memset(&sb, 0, sizeof sb);
    int e = fd < 0 || fstat(fd, &sb) != 0 ? errno : posix_fallocate(fd, 0, sb.st_size);
    if (fd >= 0 && close(fd) != 0 && !e) e = errno;
    if (e && e != EOPNOTSUPP && e != EINVAL) {
        snprintf(msg, n, "cannot reserve the %.3g MB of %s: %s", (double)sb.st_size / 1e6, partial, strerror(e));
        unlink(partial);
        return -1;
    }
    return 0;
}

int store_create(store_t **out, const char *path, int force, MPI_Comm comm,
                 const plan_t *plan, char *err, size_t errlen) {
    silence_hdf5();
    *out = NULL;
    int rank;
    MPI_Comm_rank(comm, &rank);
    char partial[4200];
    snprintf(partial, sizeof partial, "%s.partial", path);

    /* Rank 0 decides whether we may create, and creates; everyone learns the
     * verdict. */
    int ok = 1;
    char msg[1024] = "";
    if (rank == 0) {
        struct stat sb;
        if (!force && stat(path, &sb) == 0) {
            ok = 0;
            snprintf(msg, sizeof msg,
                     "%s exists: use --resume to finish it, --force to replace it, or -o for another file", path);
        } else {
            mkdir_parents(path);
            /* The real reason the file cannot be made (read-only file system,
             * permissions), which HDF5's failure would not tell. */
            int fd = open(partial, O_WRONLY | O_CREAT | O_TRUNC, 0644);
            if (fd < 0) {
                ok = 0;
                snprintf(msg, sizeof msg, "cannot create %s: %s", partial, strerror(errno));
            } else {
                close(fd);
            }
        }
        if (ok) {
            char created[64], mpi_version[MPI_MAX_LIBRARY_VERSION_STRING] = "";
            time_t t = time(NULL);
            struct tm tmv;
            gmtime_r(&t, &tmv);
            strftime(created, sizeof created, "%Y-%m-%dT%H:%M:%SZ", &tmv);
            int len = 0;
            MPI_Get_library_version(mpi_version, &len);
            char *nl = strchr(mpi_version, '\n');
            if (nl) *nl = 0;
            char *comma = strchr(mpi_version, ',');
            if (comma) *comma = 0;
            ok = build_layout(partial, plan, created, mpi_version, msg, sizeof msg) == 0;
        }
        FAULT_POINT("before_rename");
        /* Only a complete layout gets the real name. */
        if (ok && rename(partial, path) != 0) {
            snprintf(msg, sizeof msg, "cannot rename %s to %s: %s", partial, path, strerror(errno));
            unlink(partial);
            ok = 0;
        }
    }
    MPI_Bcast(&ok, 1, MPI_INT, 0, comm);
    if (!ok) {
        MPI_Bcast(msg, sizeof msg, MPI_CHAR, 0, comm);
        snprintf(err, errlen, "%s", msg);
        return -1;
    }
    FAULT_POINT("after_rename");
    return store_open(out, path, comm, plan, err, errlen);
}

int store_open(store_t **out, const char *path, MPI_Comm comm, const plan_t *plan,
               char *err, size_t errlen) {
    silence_hdf5();
    *out = NULL;
    int rank;
    MPI_Comm_rank(comm, &rank);
    /* Check on rank 0 that the file exists and is HDF5 before the collective
     * open, so the message can say exactly what is wrong. */
    char msg[1024] = "";
    if (rank == 0) {
        struct stat sb;
        char partial[4200];
        snprintf(partial, sizeof partial, "%s.partial", path);
        if (stat(path, &sb) != 0) {
            if (stat(partial, &sb) == 0)
                snprintf(msg, sizeof msg,
                         "%s does not exist, but %s does: the job was stopped while creating the file, "
                         "so there is nothing to resume; run again without --resume", path, partial);
            else
                snprintf(msg, sizeof msg, "cannot resume %s: %s", path, strerror(errno));
        } else if (H5Fis_hdf5(path) <= 0) {
            snprintf(msg, sizeof msg, "%s is not an HDF5 file, so not an aifsweep results file", path);
        }
    }
    MPI_Bcast(msg, sizeof msg, MPI_CHAR, 0, comm);
    if (msg[0]) {
        snprintf(err, errlen, "%s", msg);
        return -1;
    }
    store_t *st = store_new(path, comm, plan);
    if (!st) { snprintf(err, errlen, "out of memory"); return -1; }
    hid_t fapl = make_fapl(comm);
    st->file = H5Fopen(path, H5F_ACC_RDWR, fapl);
    H5Pclose(fapl);
    if (!all_ok(comm, st->file >= 0)) {
        snprintf(err, errlen, "cannot open %s for writing (is another sweep using it, or is it read-only?)", path);
        store_release(st);
        return -1;
    }
    /* Validate: format, job hash, layout size.  Every rank reads the same
     * attributes, so they reach the same verdict. */
    char fmt[64], sha[80];
    int64_t nruns = -1, fv = -1;
    if (read_attr_str(st->file, "format", fmt, sizeof fmt) != 0 || strcmp(fmt, STORE_FORMAT) != 0) {
        snprintf(err, errlen, "%s is an HDF5 file but not an aifsweep results file (no format=\"%s\" attribute)",
                 path, STORE_FORMAT);
        goto bad;
    }
    if (read_attr_i64(st->file, "format_version", &fv) != 0 || fv != STORE_FORMAT_VERSION) {
        snprintf(err, errlen, "%s has results format version %lld; this aifsweep writes version %d",
                 path, (long long)fv, STORE_FORMAT_VERSION);
        goto bad;
    }
    if (read_attr_str(st->file, "job_sha256", sha, sizeof sha) != 0 || strcmp(sha, plan->job_sha256) != 0) {
        snprintf(err, errlen,
                 "%s was written from a different job file (job_sha256 %.12s..., %s is %.12s...): "
                 "refusing to resume; use the job file stored in its job_yaml attribute, or another -o",
                 path, sha, plan->job_path, plan->job_sha256);
        goto bad;
    }
    if (read_attr_i64(st->file, "n_runs", &nruns) != 0 || nruns != plan->dims.n_runs) {
        snprintf(err, errlen, "%s holds %lld runs but the job expands to %ld", path, (long long)nruns,
                 plan->dims.n_runs);
        goto bad;
    }
    if (open_handles(st, err, errlen) != 0) goto bad;
    if (!all_ok(comm, 1)) goto bad_quiet;
    FAULT_POINT("after_open");
    *out = st;
    return 0;
bad:
    all_ok(comm, 0);
bad_quiet:
    store_release(st);
    return -1;
}

/* ---- per-run raw writes (independent) ---------------------------------------------- */

static int write_row(dset_t *o, hsize_t row, const void *buf) {
    if (o->id < 0) return 0;
    hsize_t start[4] = {row, 0, 0, 0};
    hsize_t count[4] = {1, o->dims[1], o->dims[2], o->dims[3]};
    for (int i = 1; i < o->ndims; i++) if (count[i] == 0) return 0;
    if (H5Sselect_hyperslab(o->fspace, H5S_SELECT_SET, start, NULL, count, NULL) < 0) return -1;
    return H5Dwrite(o->id, o->mtype, o->mspace, o->fspace, H5P_DEFAULT, buf) < 0 ? -1 : 0;
}

static int write_scalar(store_t *st, int which, long run, const void *v) {
    return write_row(&st->ds[which], (hsize_t)run, v);
}

int store_read_status(store_t *st, int8_t *status, char *err, size_t errlen) {
    dset_t *o = &st->ds[DS_STATUS];
    if (st->d.n_runs == 0) return 0;
    if (H5Dread(o->id, H5T_NATIVE_INT8, H5S_ALL, H5S_ALL, H5P_DEFAULT, status) < 0) {
        snprintf(err, errlen, "%s: cannot read /runs/status", st->path);
        return -1;
    }
    return 0;
}

int store_mark_started(store_t *st, long run_id, int rank, char *err, size_t errlen) {
    int8_t s = RUN_STARTED;
    int32_t r = rank;
    if (write_scalar(st, DS_RANK, run_id, &r) || write_scalar(st, DS_STATUS, run_id, &s)) {
        snprintf(err, errlen, "%s: cannot write the status of run %ld (disk full?)", st->path, run_id);
        return -1;
    }
    return 0;
}

int store_mark_pending(store_t *st, long run_id, char *err, size_t errlen) {
    int8_t s = RUN_PENDING;
    if (write_scalar(st, DS_STATUS, run_id, &s)) {
        snprintf(err, errlen, "%s: cannot write the status of run %ld", st->path, run_id);
        return -1;
    }
    return 0;
}

int store_write_run(store_t *st, const run_result_t *r, char *err, size_t errlen) {
    long id = r->run_id;
    const plan_t *p = st->plan;
    int rc = 0;
    char msg[RESULT_MSG_LEN];
    memset(msg, 0, sizeof msg);
    snprintf(msg, sizeof msg, "%s", r->message);
    int32_t rank = r->rank;
    rc |= write_scalar(st, DS_RANK, id, &rank);
    rc |= write_scalar(st, DS_T_START, id, &r->t_start);
    rc |= write_scalar(st, DS_T_END, id, &r->t_end);
    rc |= write_scalar(st, DS_TRAIN_S, id, &r->train_seconds);
    rc |= write_scalar(st, DS_EVAL_S, id, &r->eval_seconds);
    rc |= write_scalar(st, DS_TRAIN_STEPS, id, &r->train_steps);
    rc |= write_scalar(st, DS_TRAIN_EPISODES, id, &r->train_episodes);
    rc |= write_scalar(st, DS_MESSAGE, id, msg);
    if (r->status == RUN_DONE) {
        rc |= write_row(&st->ds[DS_EVAL_STEPS], (hsize_t)id, r->eval_steps);
        rc |= write_row(&st->ds[DS_EVAL_SUCCESS], (hsize_t)id, r->eval_success);
        rc |= write_row(&st->ds[DS_EVAL_RETURN], (hsize_t)id, r->eval_return);
        rc |= write_row(&st->ds[DS_EVAL_OUTCOME], (hsize_t)id, r->eval_outcome);
        FAULT_POINT("mid_data");
        rc |= write_row(&st->ds[DS_CURVE_STEPS], (hsize_t)id, r->curve_steps);
        rc |= write_row(&st->ds[DS_CURVE_SUCCESS], (hsize_t)id, r->curve_success);
        rc |= write_row(&st->ds[DS_CURVE_RETURN], (hsize_t)id, r->curve_return);
        rc |= write_row(&st->ds[DS_CURVE_EPISODES], (hsize_t)id, r->curve_episodes);
        rc |= write_row(&st->ds[DS_TRAJ_LEN], (hsize_t)id, r->traj_len);
        rc |= write_row(&st->ds[DS_TRAJ_POS], (hsize_t)id, r->traj_pos);
        rc |= write_row(&st->ds[DS_TRAJ_OBS], (hsize_t)id, r->traj_obs);
        rc |= write_row(&st->ds[DS_TRAJ_ACTION], (hsize_t)id, r->traj_action);
        rc |= write_row(&st->ds[DS_TRAJ_G], (hsize_t)id, r->traj_G);
        rc |= write_row(&st->ds[DS_TRAJ_RISK], (hsize_t)id, r->traj_risk);
        rc |= write_row(&st->ds[DS_TRAJ_AMB], (hsize_t)id, r->traj_ambiguity);
        rc |= write_row(&st->ds[DS_TRAJ_P], (hsize_t)id, r->traj_p_action);
        rc |= write_row(&st->ds[DS_CKPT_STEP], (hsize_t)id, r->ckpt_step);
        rc |= write_row(&st->ds[DS_CHECK_N], (hsize_t)id, r->check_n);
        rc |= write_row(&st->ds[DS_CHECK_EST], (hsize_t)id, r->check_est);
        rc |= write_row(&st->ds[DS_CHECK_EXACT], (hsize_t)id, r->check_exact);
        rc |= write_row(&st->ds[DS_CHECK_RHO], (hsize_t)id, r->check_rho);
        rc |= write_scalar(st, DS_CHECK_RHO_MED, id, &r->check_rho_median);
        int a = p->runs[id].entry;
        int64_t row = p->ckpt_row[id];
        dset_t *ck = &st->ck[a];
        if (row >= 0 && ck->id >= 0 && r->ckpt_floats > 0) {
            /* The run's vectors may be shorter than the row (other worlds of the
             * same agent entry can be larger): write [1, n_ckpt, floats]. */
            hsize_t start[3] = {(hsize_t)row, 0, 0};
            hsize_t count[3] = {1, ck->dims[1], (hsize_t)r->ckpt_floats};
            hid_t ms = H5Screate_simple(3, count, NULL);
            rc |= H5Sselect_hyperslab(ck->fspace, H5S_SELECT_SET, start, NULL, count, NULL) < 0;
            rc |= H5Dwrite(ck->id, H5T_NATIVE_FLOAT, ms, ck->fspace, H5P_DEFAULT, r->ckpt) < 0;
            H5Sclose(ms);
        }
    }
    if (rc) {
        snprintf(err, errlen, "%s: cannot write the results of run %ld (disk full?)", st->path, id);
        return -1;
    }
    FAULT_POINT("mid_write");
    /* The checksum of what is now in the file, then the status that makes the
     * row true. */
    int8_t s = (int8_t)r->status;
    uint32_t crc;
    int64_t crc64;
    if (run_crc(st, id, s, &crc) != 0 || (crc64 = crc, write_scalar(st, DS_CRC, id, &crc64)) != 0) {
        snprintf(err, errlen, "%s: cannot checksum run %ld", st->path, id);
        return -1;
    }
    if (write_scalar(st, DS_STATUS, id, &s)) {
        snprintf(err, errlen, "%s: cannot write the status of run %ld", st->path, id);
        return -1;
    }
    FAULT_POINT("after_status");
    return 0;
}

int store_close(store_t *st, char *err, size_t errlen) {
    if (!st) return 0;
    MPI_Comm comm = st->comm;
    FAULT_POINT("before_close");
    herr_t frc = H5Fflush(st->file, H5F_SCOPE_GLOBAL);
    hid_t file = st->file;
    st->file = -1;
    for (int i = 0; i < DS_COUNT; i++) close_dset(&st->ds[i]);
    for (int a = 0; a < st->n_entries; a++) close_dset(&st->ck[a]);
    herr_t crc = H5Fclose(file);
    FAULT_POINT("after_close");
    st->n_entries = 0;
    store_release(st);
    if (!all_ok(comm, frc >= 0 && crc >= 0)) {
        snprintf(err, errlen, "error closing the results file (disk full?)");
        return -1;
    }
    return 0;
}

/* Bytes of every per-run dataset and of /runs/params for the runs of d. */
static double run_rows_bytes(const layout_dims_t *d, size_t params_row) {
    double total = 0;
    for (int i = 0; i < DS_COUNT; i++) total += (double)d->n_runs * (double)row_bytes(i, d);
    return total + (double)d->n_runs * (double)params_row;
}

double store_estimate_bytes_floor(const layout_dims_t *d, int n_number, int n_text) {
    return run_rows_bytes(d, params_row_bytes(n_number, n_text));
}

double store_estimate_bytes(const plan_t *p) {
    pcol_t cols[PLAN_MAX_COLUMNS];
    double total = run_rows_bytes(&p->dims, param_columns(p, cols));
    for (int a = 0; a < p->n_entries; a++)
        total += 4.0 * (double)p->entry_rows[a] * (double)p->dims.n_ckpt * (double)p->entry_floats[a];
    for (int e = 0; e < p->n_envs; e++) total += 13.0 * p->worlds[e].rows * p->worlds[e].cols;
    return total;
}
