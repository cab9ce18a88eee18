/* fault: named kill points, for the fault-injection tests (tests/test_faults.py).
 *
 * The code calls FAULT_POINT("name") at the moments a crash would be most
 * harmful (inside file creation, between a run's data and its status, ...).
 * Unless the environment variable AIF_FAULT is set, a point is one load and
 * one branch.  With
 *
 *   AIF_FAULT=NAME:COUNT        (COUNT defaults to 1)
 *   AIF_FAULT_RANK=R            (optional: only rank R counts; default any rank)
 *   AIF_FAULT_SCOPE=job|rank    (default job)
 *
 * the COUNT-th arrival of a process at point NAME sends SIGKILL: with scope
 * `job` to every rank of the job on this host first and then to itself (as if
 * the whole job were killed at that very moment: nobody gets to clean up);
 * with scope `rank` to itself only (a crashed rank; mpirun then ends the rest).
 * Arrivals are counted per process.  Test-only and single-host: the other
 * ranks' pids are exchanged by fault_init.
 *
 * The points are listed in docs/hardening.md. */
#ifndef AIF_FAULT_H
#define AIF_FAULT_H

extern int fault_armed;   /* 0 unless AIF_FAULT is set */

/* (collective, MPI_COMM_WORLD) Read AIF_FAULT and, when set, exchange pids.
 * Call once after MPI_Init.  Every rank must see the same AIF_FAULT. */
void fault_init(void);
void fault_hit(const char *name);

#define FAULT_POINT(name) do { if (fault_armed) fault_hit(name); } while (0)

#endif
