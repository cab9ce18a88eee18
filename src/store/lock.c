/* lock: exclusive use of a results file (include/store/lock.h). */
#include "store/lock.h"
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

typedef struct {
    char host[256], slurm_job[64], slurm_restart[32], started[64], job[1024];
    long pid;
    unsigned long long pid_start;
} holder_t;

/* What a lock file says of its holder, as far as this process can tell. */
enum { HOLDER_GONE, HOLDER_ALIVE, HOLDER_UNKNOWN };
/* lock_acquire's steps: the lock changed while we looked, look again. */
enum { LOCK_AGAIN = 1 };

/* The lock this process replaced to take its own (its file and text), until
 * lock_opened: lock_release puts it back. */
static struct {
    char lp[4200], text[2048];
} replaced;

/* The results file as lock_opened found it. */
static struct {
    char path[4096];
    dev_t dev;
    ino_t ino;
} opened;

/* The lock file's name for results file `path`. */
static void lock_path(const char *path, char *out, size_t n) { snprintf(out, n, "%s.lock", path); }

/* Field 22 of /proc/PID/stat: the process's start time in clock ticks since
 * boot, which tells a reused pid from the holder; 0 if unknown.  *state: field
 * 3 ('Z' for a zombie: killed, not yet reaped), or 0. */
static unsigned long long proc_stat(long pid, char *state) {
    char p[64], buf[1024];
    snprintf(p, sizeof p, "/proc/%ld/stat", pid);
    if (state) *state = 0;
    FILE *f = fopen(p, "r");
    if (!f) return 0;
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    char *s = strrchr(buf, ')');   /* the command name may hold spaces */
    if (!s) return 0;
    s++;
    unsigned long long v = 0;
    for (int field = 3; field <= 22 && *s; field++) {
        while (*s == ' ') s++;
        if (field == 3 && state) *state = *s;
        if (field == 22) v = strtoull(s, NULL, 10);
        while (*s && *s != ' ') s++;
    }
    return v;
}

static void self_holder(holder_t *h, const char *job_path) {
    memset(h, 0, sizeof *h);
    if (gethostname(h->host, sizeof h->host - 1) != 0) snprintf(h->host, sizeof h->host, "unknown");
    h->pid = (long)getpid();
    h->pid_start = proc_stat(h->pid, NULL);
    const char *j = getenv("SLURM_JOB_ID"), *r = getenv("SLURM_RESTART_COUNT");
    snprintf(h->slurm_job, sizeof h->slurm_job, "%s", j && *j ? j : "-");
    snprintf(h->slurm_restart, sizeof h->slurm_restart, "%s", r && *r ? r : "0");
    time_t t = time(NULL);
    struct tm tmv;
    gmtime_r(&t, &tmv);
    strftime(h->started, sizeof h->started, "%Y-%m-%dT%H:%M:%SZ", &tmv);
    snprintf(h->job, sizeof h->job, "%s", job_path ? job_path : "-");
    /* One token per field: no spaces in the values. */
    for (char *c = h->job; *c; c++)
        if (*c == ' ' || *c == '\n') *c = '_';
}

/* The lock file's one line for holder h. */
static void holder_text(const holder_t *h, char *text, size_t n) {
    snprintf(text, n, "host=%s pid=%ld pid_start=%llu slurm_job=%s slurm_restart=%s started=%s job=%s\n", h->host,
             h->pid, h->pid_start, h->slurm_job, h->slurm_restart, h->started, h->job);
}

/* Parse "key=value" tokens; 0 if host and pid were found. */
static int parse_holder(const char *text, holder_t *h) {
    memset(h, 0, sizeof *h);
    int have_host = 0, have_pid = 0;
    const char *s = text;
    while (*s) {
        while (*s == ' ' || *s == '\n') s++;
        const char *eq = strchr(s, '='), *end = s + strcspn(s, " \n");
        if (!eq || eq > end) { s = end; continue; }
        size_t kl = (size_t)(eq - s), vl = (size_t)(end - eq - 1);
        char val[1024];
        snprintf(val, sizeof val, "%.*s", (int)(vl < sizeof val ? vl : sizeof val - 1), eq + 1);
        if (kl == 4 && !strncmp(s, "host", 4)) { snprintf(h->host, sizeof h->host, "%s", val); have_host = 1; }
        else if (kl == 3 && !strncmp(s, "pid", 3)) { h->pid = strtol(val, NULL, 10); have_pid = h->pid > 0; }
        else if (kl == 9 && !strncmp(s, "pid_start", 9)) h->pid_start = strtoull(val, NULL, 10);
        else if (kl == 9 && !strncmp(s, "slurm_job", 9)) snprintf(h->slurm_job, sizeof h->slurm_job, "%s", val);
        else if (kl == 13 && !strncmp(s, "slurm_restart", 13))
            snprintf(h->slurm_restart, sizeof h->slurm_restart, "%s", val);
        else if (kl == 7 && !strncmp(s, "started", 7)) snprintf(h->started, sizeof h->started, "%s", val);
        else if (kl == 3 && !strncmp(s, "job", 3)) snprintf(h->job, sizeof h->job, "%s", val);
        s = end;
    }
    return have_host && have_pid ? 0 : -1;
}

/* Why the holder h is gone, into why; 0 if it may still be running. */
static int stale(const holder_t *h, const holder_t *me, char *why, size_t n) {
    if (!strcmp(h->host, me->host)) {
        if (kill((pid_t)h->pid, 0) != 0 && errno == ESRCH) {
            snprintf(why, n, "pid %ld is no longer running on %s", h->pid, h->host);
            return 1;
        }
        char state = 0;
        unsigned long long now = proc_stat(h->pid, &state);
        if (state == 'Z' || state == 'X') {
            snprintf(why, n, "pid %ld on %s was killed (a zombie)", h->pid, h->host);
            return 1;
        }
        if (h->pid_start && now && now != h->pid_start) {
            snprintf(why, n, "pid %ld on %s is now another process", h->pid, h->host);
            return 1;
        }
    }
    if (strcmp(h->slurm_job, "-") != 0 && !strcmp(h->slurm_job, me->slurm_job) &&
        strcmp(h->slurm_restart, me->slurm_restart) != 0) {
        snprintf(why, n, "it is this Slurm job's (%s), from before its restart", h->slurm_job);
        return 1;
    }
    return 0;
}

/* HOLDER_GONE (why says how), HOLDER_ALIVE (on this host, its pid running
 * with the recorded start time, or with none recorded), or HOLDER_UNKNOWN
 * (another host, or h NULL: no holder named). */
static int judge(const holder_t *h, const holder_t *me, char *why, size_t n) {
    if (!h) return HOLDER_UNKNOWN;
    if (stale(h, me, why, n)) return HOLDER_GONE;
    return strcmp(h->host, me->host) == 0 ? HOLDER_ALIVE : HOLDER_UNKNOWN;
}

/* Write text to fd and flush it to disk; 0, or -1 (errno set). */
static int write_all(int fd, const char *text) {
    size_t len = strlen(text);
    ssize_t w = write(fd, text, len);
    if (w < 0) return -1;
    if ((size_t)w != len) { errno = ENOSPC; return -1; }
    return fsync(fd);
}

/* Write text to the new file fd (at path) and close it: 0, or -1 with errno
 * set and the file removed. */
static int fill_new(int fd, const char *path, const char *text) {
    int e = write_all(fd, text) == 0 ? 0 : errno;
    if (close(fd) != 0 && !e) e = errno;
    if (!e) return 0;
    unlink(path);
    errno = e;
    return -1;
}

/* A new file beside the lock file lp holding text, its name into tmp
 * (LP.XXXXXX): a lock is written there, then linked or renamed into place,
 * so that no one ever reads a lock half written.  0, or -1 (errno set,
 * nothing left behind). */
static int make_temp(const char *lp, const char *text, char *tmp, size_t n) {
    snprintf(tmp, n, "%s.XXXXXX", lp);
    int fd = mkstemp(tmp);
    if (fd < 0) return -1;
    if (fchmod(fd, 0644) != 0) {
        int e = errno;
        close(fd);
        unlink(tmp);
        errno = e;
        return -1;
    }
    return fill_new(fd, tmp, text);
}

/* Give the lock written in tmp (holding text) the name lp if there is no lock
 * yet: 0 done, 1 there is one, -1 error (errno set). */
static int place(const char *lp, const char *tmp, const char *text) {
    if (link(tmp, lp) == 0) return 0;
    struct stat sb;
    if (errno == EEXIST) return stat(tmp, &sb) == 0 && sb.st_nlink > 1 ? 0 : 1;   /* NFS: a lost reply */
    if (errno != EPERM && errno != EOPNOTSUPP && errno != ENOSYS) return -1;
    /* No hard links on this file system: create it in place (a reader may
     * see it empty for a moment, and take it for a lock naming no holder). */
    int fd = open(lp, O_WRONLY | O_CREAT | O_EXCL, 0644);
    if (fd < 0) return errno == EEXIST ? 1 : -1;
    return fill_new(fd, lp, text);
}

/* flock fd's file, waiting up to about 5 s (a takeover holds it for
 * microseconds): 0 when held, or when this file system has no flock (then
 * takeovers are not serialized); -1 if another process kept it. */
static int guard(int fd) {
    for (int i = 0; i < 5000; i++) {
        if (flock(fd, LOCK_EX | LOCK_NB) == 0) return 0;
        if (errno != EWOULDBLOCK && errno != EINTR) return 0;
        usleep(1000);
    }
    return -1;
}

/* The lock file lp, opened and guarded, and still the file named lp once
 * guarded: its descriptor (closing it ends the guard), or -1 with errno
 * ENOENT (there is none now, or it was replaced meanwhile: look again),
 * EWOULDBLOCK (another process keeps it guarded) or why it cannot be opened.
 * Whoever replaces or removes a lock holds its guard, and the kernel ends the
 * guard of a process that dies: two processes cannot both replace one lock. */
static int open_current(const char *lp) {
    int fd = open(lp, O_RDWR);   /* for writing: an exclusive flock over NFS needs it */
    if (fd < 0 && errno != ENOENT) fd = open(lp, O_RDONLY);
    if (fd < 0) return -1;
    struct stat held, named;
    int e = 0;
    if (guard(fd) != 0) e = EWOULDBLOCK;
    else if (fstat(fd, &held) != 0 || stat(lp, &named) != 0 || held.st_dev != named.st_dev ||
             held.st_ino != named.st_ino)
        e = ENOENT;
    if (e) {
        close(fd);
        errno = e;
        return -1;
    }
    return fd;
}

/* The text of the open file fd (NUL-terminated, at most n - 1 bytes). */
static void read_fd(int fd, char *buf, size_t n) {
    size_t k = 0;
    ssize_t r;
    while (k < n - 1 && (r = pread(fd, buf + k, n - 1 - k, (off_t)k)) > 0) k += (size_t)r;
    buf[k] = '\0';
}

/* Why the lock of path (file lp, holder h or NULL if it names none, judged
 * `state`) is not taken, into err. */
static void refusal(const char *path, const char *lp, const holder_t *h, int state, int break_lock, char *err,
                    size_t errlen) {
    if (!h) {
        snprintf(err, errlen,
                 "%s is locked by %s, which names no holder (a sweep killed while taking it?); "
                 "if no sweep is using the file, rerun with --break-lock", path, lp);
        return;
    }
    char who[1600];
    snprintf(who, sizeof who, "%s is in use by another sweep (lock %s: host %s, pid %ld, Slurm job %s, since %s, "
                              "job file %s)", path, lp, h->host, h->pid, h->slurm_job[0] ? h->slurm_job : "?",
             h->started[0] ? h->started : "?", h->job[0] ? h->job : "?");
    if (state == HOLDER_ALIVE)
        snprintf(err, errlen, "%s, running on this host: wait for it to end, or stop it (kill %ld)%s", who, h->pid,
                 break_lock ? "; --break-lock never removes the lock of a sweep that is running" : "");
    else
        snprintf(err, errlen, "%s; wait for it to end, or if it is gone, rerun with --break-lock", who);
}

/* There is a lock at lp: look at it under its guard, and replace it with the
 * lock written in tmp if its holder is gone or, with break_lock, cannot be
 * known from here.  LOCK_OK (note says what was replaced, and lock_release
 * will put it back unless lock_opened comes first), LOCK_HELD or LOCK_IO
 * (err says why), or LOCK_AGAIN. */
static int take_over(const char *path, const char *lp, const char *tmp, const holder_t *me, int break_lock,
                     char *note, size_t notelen, char *err, size_t errlen) {
    int fd = open_current(lp), e = errno;
    if (fd < 0 && e == ENOENT) return LOCK_AGAIN;
    if (fd < 0) {
        snprintf(err, errlen, "cannot look at the lock file %s: %s", lp,
                 e == EWOULDBLOCK ? "another process keeps it locked (flock)" : strerror(e));
        return e == EWOULDBLOCK ? LOCK_HELD : LOCK_IO;
    }
    char text[2048], why[512] = "";
    read_fd(fd, text, sizeof text);
    holder_t h;
    int parsed = parse_holder(text, &h) == 0;
    int state = judge(parsed ? &h : NULL, me, why, sizeof why);
    int rc = LOCK_HELD;
    if (state == HOLDER_GONE || (state == HOLDER_UNKNOWN && break_lock)) {
        rc = rename(tmp, lp) == 0 ? LOCK_OK : LOCK_IO;
        if (rc == LOCK_IO) snprintf(err, errlen, "cannot replace the lock file %s: %s", lp, strerror(errno));
    } else {
        refusal(path, lp, parsed ? &h : NULL, state, break_lock, err, errlen);
    }
    close(fd);
    if (rc != LOCK_OK) return rc;
    snprintf(replaced.lp, sizeof replaced.lp, "%s", lp);
    snprintf(replaced.text, sizeof replaced.text, "%s", text);
    if (note && notelen && parsed)
        snprintf(note, notelen, "removed the lock of %s (host %s, pid %ld, since %s): %s", path, h.host, h.pid,
                 h.started[0] ? h.started : "?", state == HOLDER_GONE ? why : "--break-lock");
    else if (note && notelen)
        snprintf(note, notelen, "removed the unreadable lock file %s (--break-lock)", lp);
    return LOCK_OK;
}

int lock_acquire(const char *path, const char *job_path, int break_lock, char *note, size_t notelen,
                 char *err, size_t errlen) {
    char lp[4200], tmp[4300], text[2048];
    lock_path(path, lp, sizeof lp);
    holder_t me;
    self_holder(&me, job_path);
    holder_text(&me, text, sizeof text);
    if (note && notelen) note[0] = '\0';
    replaced.lp[0] = '\0';
    if (make_temp(lp, text, tmp, sizeof tmp) != 0) {
        snprintf(err, errlen, "cannot create the lock file %s: %s", lp, strerror(errno));
        return LOCK_IO;
    }
    int rc = LOCK_AGAIN;
    for (int attempt = 0; attempt < 5 && rc == LOCK_AGAIN; attempt++) {
        int placed = place(lp, tmp, text);
        if (placed == 0) rc = LOCK_OK;
        else if (placed > 0) rc = take_over(path, lp, tmp, &me, break_lock, note, notelen, err, errlen);
        else {
            snprintf(err, errlen, "cannot create the lock file %s: %s", lp, strerror(errno));
            rc = LOCK_IO;
        }
    }
    if (!replaced.lp[0]) unlink(tmp);   /* else renamed into place: the name is gone */
    if (rc == LOCK_AGAIN) {
        snprintf(err, errlen, "cannot take the lock %s: it keeps changing (another sweep starting?)", lp);
        rc = LOCK_HELD;
    }
    return rc;
}

void lock_opened(const char *path) {
    char lp[4200];
    lock_path(path, lp, sizeof lp);
    if (!strcmp(replaced.lp, lp)) replaced.lp[0] = '\0';
    struct stat sb;
    int ok = stat(path, &sb) == 0;
    snprintf(opened.path, sizeof opened.path, "%s", path);
    opened.dev = ok ? sb.st_dev : 0;
    opened.ino = ok ? sb.st_ino : 0;
}

int lock_file_replaced(const char *path, char *err, size_t errlen) {
    struct stat sb;
    if (strcmp(opened.path, path) != 0) return 0;
    if (stat(path, &sb) == 0 && sb.st_dev == opened.dev && sb.st_ino == opened.ino) return 0;
    snprintf(err, errlen,
             "%s is no longer the file this sweep opened: another sweep replaced it (--force after --break-lock?), "
             "or it was moved or removed, while this one ran; the runs done here are not in it", path);
    return 1;
}

/* Put the lock text that lock_acquire replaced back at lp (under its guard,
 * which the caller holds); if that fails, just remove this process's. */
static void put_back(const char *lp, const char *text) {
    char tmp[4300];
    if (make_temp(lp, text, tmp, sizeof tmp) != 0) {
        unlink(lp);
        return;
    }
    if (rename(tmp, lp) != 0) {
        unlink(tmp);
        unlink(lp);
    }
}

void lock_release(const char *path) {
    char lp[4200], text[2048];
    lock_path(path, lp, sizeof lp);
    int fd = open_current(lp);
    if (fd >= 0) {
        read_fd(fd, text, sizeof text);
        holder_t h, me;
        self_holder(&me, NULL);
        if (parse_holder(text, &h) == 0 && h.pid == me.pid && !strcmp(h.host, me.host)) {
            if (!strcmp(replaced.lp, lp)) put_back(lp, replaced.text);
            else unlink(lp);
        }
        close(fd);
    }
    replaced.lp[0] = '\0';
}
