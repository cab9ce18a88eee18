/* store: the results file.  One HDF5 file shared by all ranks through MPI-IO.
 *
 * The whole layout is created up front from the sweep's plan (plan.h: the
 * store knows nothing of job files or agents), and never changes shape.  After that a worker writes only raw data of
 * its own run's rows, independently; a run's data goes first and its status
 * (/runs/status) last, so the status dataset is the only truth about a row.
 * The layout is documented in docs/results-format.md.
 *
 * Creation is crash-safe: the file is built as PATH.partial and renamed to PATH
 * only once complete, so an existing results file is never touched by a failed
 * or killed creation, and a half-created file is never mistaken for a results
 * file.
 *
 * Functions marked (collective) must be called by every rank of the
 * communicator with the same arguments; they return the same status on every
 * rank. */
#ifndef AIF_STORE_H
#define AIF_STORE_H
#include <mpi.h>
#include <stdint.h>
#include <stdio.h>
#include "run/plan.h"
#include "run/result.h"

typedef struct store store_t;

/* Bytes the file will take (raw data; metadata adds a little). */
double store_estimate_bytes(const plan_t *p);
/* A lower bound of that from the layout's dimensions and its parameter
 * columns' kinds alone (every dataset but the checkpoints and world maps), as
 * plan_count gives them without expanding the runs: the size guard refuses a
 * huge sweep with it in microseconds. */
double store_estimate_bytes_floor(const layout_dims_t *d, int n_number, int n_text);

/* (rank 0, before anything is written) Whether path may be used as the
 * results file: mode 'c' create (path must not exist), 'f' --force (path
 * absent, or a regular file that is an aifsweep results file), 'r' --resume
 * (path a regular file, or a link to one, that HDF5 can open).  Never the job
 * file (same inode), never "", a directory, a symbolic link to replace, a
 * FIFO or a device; a read-only or missing parent directory is named.  0, or
 * -1 with a one-line reason in err (a usage error: nothing was touched). */
int  store_check_output(const char *path, const char *job_path, int mode, char *err, size_t errlen);

/* What store_create and store_open return besides 0: a refusal (the file
 * exists, is another job's, is not a results file, or is not there to
 * resume: a usage error, nothing was touched) or any other failure. */
enum { STORE_IO = -1, STORE_REFUSED = -2 };

/* (collective) Create a new file at path.  Fails if path exists unless force
 * (STORE_REFUSED). */
int store_create(store_t **out, const char *path, int force, MPI_Comm comm,
                 const plan_t *plan, char *err, size_t errlen);
/* (collective) Open an existing file to resume it: checks that it is a results
 * file of this format, written from this very job (SHA-256 of its text), with
 * this layout.  STORE_REFUSED if it is missing, not HDF5, not a results file,
 * another job's or of another run count. */
int store_open(store_t **out, const char *path, MPI_Comm comm, const plan_t *plan,
               char *err, size_t errlen);
/* (independent) Read /runs/status into status[n_runs]. */
int store_read_status(store_t *st, int8_t *status, char *err, size_t errlen);
/* (independent) Mark a run started by rank (status RUN_STARTED). */
int store_mark_started(store_t *st, long run_id, int rank, char *err, size_t errlen);
/* (independent) Write a finished run's record; its status last. */
int store_write_run(store_t *st, const run_result_t *res, char *err, size_t errlen);
/* (independent) Whether run id's rows in the file match its /runs/crc32
 * with status `status` (*ok 1 or 0); -1 if they cannot be read. */
int store_verify_run(store_t *st, long id, int8_t status, int *ok, char *err, size_t errlen);
/* (independent) Put an interrupted run back to pending. */
int store_mark_pending(store_t *st, long run_id, char *err, size_t errlen);
/* (collective) Flush and close; frees st. */
int store_close(store_t *st, char *err, size_t errlen);

/* (one process, the file closed) What a summary of a finished sweep needs,
 * read back from the file at path: /runs/status into status[n_runs], and
 * /eval/steps and /eval/outcome (0 goal, 1 hole, 2 time-out) into steps and
 * outcome [n_runs][eval_episodes] of the plan.  0, or -1 with a one-line
 * reason (not readable, or shapes that are not this plan's: the file was
 * replaced under the sweep). */
int store_read_outcomes(const char *path, const plan_t *plan, int8_t *status, int32_t *steps, int8_t *outcome,
                        char *err, size_t errlen);
/* The HDF5 library's version, "M.m.r", into buf. */
void store_hdf5_version(char *buf, size_t n);
/* The per-run datasets of the schema (the layout's table) as Markdown rows,
 * one per line, each "GROUP<TAB>| `name` | `[R, ...]` type | units |
 * description |", in the table's order: what docs/results-format.md lists
 * (aif-sweep --results-format; scripts/update-results-docs.py). */
void store_print_schema(FILE *out);

#endif
