/* lock: exclusive use of a results file for the whole life of a sweep.
 *
 * HDF5's own file locking does not stop a second sweep from writing the same
 * file through a new inode (--force), nor two --resume runs, and it is turned
 * off on parallel file systems, where flock and fcntl locks are often absent
 * or node-local.  So rank 0 holds a lock file beside the results,
 * RESULTS.lock, holding who took it:
 *
 *   host=NAME pid=N pid_start=TICKS slurm_job=ID started=ISO-8601 job=PATH
 *
 * It is written whole to a temporary file beside it (RESULTS.lock.XXXXXX),
 * then given its name with link(), which fails if a lock exists (atomic on
 * local disks, NFSv3+ and Lustre; where hard links are not supported, it is
 * created in place with O_CREAT | O_EXCL).
 *
 * The holder of an existing lock is judged:
 *   - gone: on this host, its pid is not running, is a zombie, or is another
 *     process (its start time differs from pid_start); or it names this very
 *     Slurm job at an earlier restart count (a requeued job restarting).  The
 *     lock is taken over, with a note saying why.
 *   - alive: on this host, its pid is running with the recorded start time
 *     (or none is recorded).  Refused, naming the holder, even with
 *     --break-lock: a running sweep's lock is never removed.
 *   - unknown: on another host, or the lock names no holder.  Refused, naming
 *     the holder; --break-lock takes it over (the user vouches that its sweep
 *     is gone: nothing here can check another host or ask Slurm).
 * A takeover replaces the lock with rename() while holding a flock on the
 * lock file it inspected, after checking that this file still has the lock's
 * name: of several processes taking over one stale lock at once, one does and
 * the others then find its live lock.  The kernel drops the flock of a
 * process that dies, so nothing is left behind.  Takeovers of a lock whose
 * holder is gone happen only on that holder's host, so a node-local flock is
 * enough; where flock is not supported at all, a takeover still checks the
 * lock just before replacing it, but two at the same instant are not
 * excluded.  (lock_release removes a lock under the same flock.)
 *
 * A command that stops before it opened the results file (refused: the file
 * exists, is another job's, ...; or an error) leaves the lock as it found
 * it: lock_release puts back the lock it took over, unless lock_opened was
 * called.  The lock is removed when the sweep ends, a kill leaves it behind. */
#ifndef AIF_LOCK_H
#define AIF_LOCK_H
#include <stddef.h>

enum { LOCK_OK = 0, LOCK_HELD = -1, LOCK_IO = -2 };

/* Take the lock of results file `path` for the job file `job_path` (recorded
 * for the user's information).  LOCK_OK (note: empty, or a line saying a
 * stale or broken lock was removed), LOCK_HELD (err names the holder and the
 * way out), or LOCK_IO (err says why the lock file could not be made). */
int  lock_acquire(const char *path, const char *job_path, int break_lock, char *note, size_t notelen,
                  char *err, size_t errlen);
/* The sweep has opened (or may have replaced) results file `path` under its
 * lock: a lock taken over stays so, and the file's identity (device, inode)
 * is remembered for lock_file_replaced. */
void lock_opened(const char *path);
/* 1, with a one-line reason in err, if `path` is no longer the file that
 * lock_opened saw (another sweep replaced it, e.g. --force after
 * --break-lock, or it was moved or removed); 0 if it still is, or if
 * lock_opened was not called for it. */
int  lock_file_replaced(const char *path, char *err, size_t errlen);
/* Remove the lock of `path` if this process holds it; if lock_acquire took
 * it over and lock_opened was not called, put the lock it replaced back. */
void lock_release(const char *path);

#endif
