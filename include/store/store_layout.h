/* store_layout: the results file's layout, private to the store (store.c,
 * store_layout.c; nothing else includes it).  The table of per-run datasets,
 * their shapes and types; the attribute helpers; creating the whole layout
 * from a plan and writing its static data (rank 0, before any run); the size
 * estimates.  docs/results-format.md documents what it makes. */
#ifndef AIF_STORE_LAYOUT_H
#define AIF_STORE_LAYOUT_H
#include <hdf5.h>
#include <stddef.h>
#include <stdint.h>
#include "run/plan.h"
#include "run/result.h"

/* The file's format and its version (the store refuses any other). */
#define STORE_FORMAT "aifsweep-results"
#define STORE_FORMAT_VERSION 8   /* 2: /runs/crc32; 3: /model; 4: /runs/fit_steps, fit_seconds, readoff_seconds;
                                     5: /eval/context, context attributes of /envs/<name>; 6: /traj/p_context;
                                     7: /runs/train_budget; 8: /traj/p_context over each context [K, T, KC]
                                     (before: [K, T], the belief in the second of two) */

/* Shape of a per-run dataset: [n_runs, a, b, c] where each tail dimension is
 * taken from the layout dims. */
typedef enum { X_NONE, X_E, X_K, X_T, X_T1, X_NA, X_C, X_CK, X_D, X_KP, X_KC } extent_t;

/* Where a run's row of a dataset comes from in its run_result_t (result.h):
 * none (the status, the checksum, and the rows written with the layout),
 * the field at `off` itself, the array its pointer at `off` points to, an
 * int field stored as int32, or the message (written NUL-padded). */
enum { SRC_NONE = 0, SRC_VALUE, SRC_ARRAY, SRC_INT, SRC_MESSAGE };
#define FROM_VALUE(f) .src = SRC_VALUE, .off = offsetof(run_result_t, f), .size = sizeof(((run_result_t *)0)->f)
#define FROM_ARRAY(f) .src = SRC_ARRAY, .off = offsetof(run_result_t, f), .size = sizeof(*((run_result_t *)0)->f)

typedef struct {
    const char *path;
    hid_t type_native;   /* set at startup (HDF5 type ids are not constants) */
    int type_code;       /* 0 i8, 1 u8, 2 i32, 3 i64, 4 f32, 5 f64, 6 message string */
    extent_t tail[3];
    const char *units;
    const char *description;
    int src;             /* SRC_*: what store_write_run writes as a run's row */
    size_t off;          /* offsetof(run_result_t, field) */
    size_t size;         /* bytes of the field's value (of an element, for an array): must be the type's */
    int done_only;       /* written for a done run only (a failed run keeps its fill) */
} ds_def_t;

enum {
    DS_STATUS, DS_RANK, DS_T_START, DS_T_END, DS_TRAIN_S, DS_EVAL_S, DS_TRAIN_STEPS,
    DS_TRAIN_EPISODES, DS_TRAIN_BUDGET, DS_FIT_STEPS, DS_FIT_S, DS_READOFF_S, DS_MESSAGE, DS_CKPT_FLOATS, DS_CKPT_ROW,
    DS_EVAL_STEPS, DS_EVAL_SUCCESS, DS_EVAL_RETURN, DS_EVAL_OUTCOME, DS_EVAL_CONTEXT,
    DS_CURVE_STEPS, DS_CURVE_SUCCESS, DS_CURVE_RETURN, DS_CURVE_EPISODES,
    DS_TRAJ_LEN, DS_TRAJ_POS, DS_TRAJ_OBS, DS_TRAJ_ACTION,
    DS_TRAJ_G, DS_TRAJ_RISK, DS_TRAJ_AMB, DS_TRAJ_P, DS_TRAJ_PCTX,
    DS_CKPT_STEP,
    DS_CHECK_N, DS_CHECK_EST, DS_CHECK_EXACT, DS_CHECK_RHO, DS_CHECK_RHO_MED,
    DS_MODEL_TV_A, DS_MODEL_TV_B, DS_MODEL_FIT_TV_B,
    DS_CRC,
    DS_COUNT
};

/* The per-run datasets, indexed by DS_*. */
extern ds_def_t sl_defs[DS_COUNT];

/* Memory type of a dataset's type_code (msg_type: the message string type). */
hid_t  sl_native_type(int code, hid_t msg_type);
/* Dimensions of dataset def for the layout d: [n_runs, tail...]; their count. */
int    sl_def_dims(const ds_def_t *def, const layout_dims_t *d, hsize_t *dims);
/* Bytes of one row (one run) of dataset i. */
size_t sl_row_bytes(int i, const layout_dims_t *d);
/* Whether a run's checksum covers dataset i (all but its status and the checksum). */
int    sl_crc_covers(int i);
/* A fixed-length string type of RESULT_MSG_LEN bytes (the failure messages). */
hid_t  sl_msg_type(void);
/* Attributes of obj: a string (fixed or variable length) into buf, an int64;
 * -1 if absent or unreadable. */
int    sl_read_attr_str(hid_t obj, const char *name, char *buf, size_t n);
int    sl_read_attr_i64(hid_t obj, const char *name, int64_t *v);
/* Every dataset, group and attribute of the layout in file (0, or -1); then
 * its static data: /runs/params, zero statuses, the checkpoint map, the
 * worlds' maps. */
int    sl_create_layout(hid_t file, const plan_t *p, hid_t msg_type, const char *created, const char *mpi_version);
int    sl_write_static_data(hid_t file, const plan_t *p);

/* The path of an agent entry's checkpoint dataset, /checkpoints/<entry>. */
void sl_ckpt_path(char *buf, size_t n, const char *entry);
/* The table as Markdown rows (store_print_schema). */
void sl_print_schema(FILE *out);
/* store_estimate_bytes and store_estimate_bytes_floor (store.h) from the layout. */
double sl_estimate_bytes(const plan_t *p);
double sl_estimate_bytes_floor(const layout_dims_t *d, int n_number, int n_text);

#endif
