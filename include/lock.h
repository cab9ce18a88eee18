/* lock: exclusive use of a results file for the whole life of a sweep.
 *
 * HDF5's own file locking does not stop a second sweep from writing the same
 * file through a new inode (--force), nor two --resume runs, and it is turned
 * off on parallel file systems, where flock and fcntl locks are often absent
 * or node-local.  So rank 0 holds a lock file beside the results,
 * RESULTS.lock, created with O_CREAT | O_EXCL (atomic on local disks, NFSv3+
 * and Lustre) and holding who took it:
 *
 *   host=NAME pid=N pid_start=TICKS slurm_job=ID started=ISO-8601 job=PATH
 *
 * A lock is stale, and is taken over with a note, when its holder is on this
 * host and that process is gone (or the pid now belongs to a process started
 * at another time), or when it names this very Slurm job (a requeued job
 * restarting).  Anything else is refused, naming the holder; --break-lock
 * removes a lock whatever it says (the user vouches that its sweep is gone).
 * The lock is removed when the sweep ends, a kill leaves it behind. */
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
/* Remove the lock of `path` if this process holds it. */
void lock_release(const char *path);

#endif
