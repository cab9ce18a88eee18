/* store: the results file's life: the output path checked, the layout created
 * (store_layout.c makes it) and reserved on disk, validated on resume, the
 * independent per-run writes with their checksums, the close. */
#include "store/store.h"
#include "core/crc32.h"
#include "core/fault.h"
#include "store/store_check.h"
#include "store/store_layout.h"
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

double store_estimate_bytes(const plan_t *p) { return sl_estimate_bytes(p); }

double store_estimate_bytes_floor(const layout_dims_t *d, int n_number, int n_text) {
    return sl_estimate_bytes_floor(d, n_number, n_text);
}

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

/* ---- small helpers ----------------------------------------------------------------- */

static void silence_hdf5(void) { H5Eset_auto2(H5E_DEFAULT, NULL, NULL); }

static int all_ok(MPI_Comm comm, int ok) {
    int all = 0;
    MPI_Allreduce(&ok, &all, 1, MPI_INT, MPI_LAND, comm);
    return all;
}

/* Create the missing folders above path (mode 0777 less the umask); 0, or
 * the errno of the first that could not be made (err names it). */
static int mkdir_parents(const char *path, char *err, size_t errlen) {
    char tmp[4096];
    snprintf(tmp, sizeof tmp, "%s", path);
    for (char *p = tmp + 1; *p; p++) {
        if (*p != '/') continue;
        *p = 0;
        if (mkdir(tmp, 0777) != 0 && errno != EEXIST) {
            int e = errno;
            snprintf(err, errlen, "cannot create the folder %s for %s: %s", tmp, path, strerror(e));
            return e;
        }
        *p = '/';
    }
    return 0;
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

/* Open every dataset handle (collectively: every rank opens the same ones, so
 * later raw writes need no metadata operation). */
static int open_handles(store_t *st, char *err, size_t errlen) {
    const plan_t *p = st->plan;
    for (int i = 0; i < DS_COUNT; i++) {
        hsize_t dims[4] = {0};
        int nd = sl_def_dims(&sl_defs[i], &st->d, dims);
        if (open_dset(st->file, sl_defs[i].path, sl_native_type(sl_defs[i].type_code, st->msg_type), nd, dims,
                      &st->ds[i]) != 0) {
            snprintf(err, errlen, "%s: dataset %s is missing or has another shape than this job's layout",
                     st->path, sl_defs[i].path);
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
        sl_ckpt_path(path, sizeof path, p->entry_name[a]);
        hsize_t dims[3] = {(hsize_t)p->entry_rows[a], (hsize_t)st->d.n_ckpt, (hsize_t)p->entry_floats[a]};
        if (open_dset(st->file, path, H5T_NATIVE_FLOAT, 3, dims, &st->ck[a]) != 0) {
            snprintf(err, errlen, "%s: dataset %s is missing or has another shape than this job's layout",
                     st->path, path);
            return -1;
        }
    }
    size_t need = sizeof(float) * (size_t)st->d.n_ckpt * p->max_ckpt_floats;
    for (int i = 0; i < DS_COUNT; i++) {
        size_t row = sl_row_bytes(i, &st->d);
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
        if (!sl_crc_covers(i)) continue;
        dset_t *o = &st->ds[i];
        size_t n = sl_row_bytes(i, &st->d);
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
    int yes = sl_read_attr_str(f, "format", fmt, sizeof fmt) == 0 && strcmp(fmt, STORE_FORMAT) == 0;
    H5Fclose(f);
    return yes;
}

/* Open MPI 4.1's ompio io component aborts the process ("buffer overflow
 * detected", SIGABRT on every rank) when MPI_File_open is given a file name
 * of 245 characters or more; ROMIO (--mca io romio321, which mpirun passes
 * down as OMPI_MCA_io) opens it.  1 if path would meet that abort. */
#define OMPIO_PATH_MAX 244
static int ompio_path_too_long(const char *path) {
#ifdef OPEN_MPI
    const char *io = getenv("OMPI_MCA_io");
    return strlen(path) > OMPIO_PATH_MAX && !(io && strstr(io, "romio") && !strchr(io, '^'));
#else
    (void)path;
    return 0;
#endif
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
    if (ompio_path_too_long(path)) {
        snprintf(err, errlen,
                 "the results path is %zu characters long; Open MPI's MPI-IO (ompio) aborts on %d or more: "
                 "give a shorter -o (a relative path, or a symbolic link to its folder), or run mpirun with "
                 "--mca io romio321", len, OMPIO_PATH_MAX + 1);
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
    if (!exists && mode == 'r') {
        char partial[4200];
        snprintf(partial, sizeof partial, "%s.partial", path);
        if (stat(partial, &sb) == 0)
            snprintf(err, errlen, "%s does not exist, but %s does: the job was stopped while creating the file, "
                                  "so there is nothing to resume; run again without --resume", path, partial);
        else
            snprintf(err, errlen, "cannot resume %s: it does not exist", path);
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
        if (mode == 'r' && r == 1 && store_check_metadata(path, err, errlen) != 0) return -1;
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
        /* The folders the lock file and the results go in, before the lock is taken. */
        if (mkdir_parents(path, err, errlen) != 0) return -1;
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
    st->msg_type = sl_msg_type();
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
    /* HDF5's own metadata on top of the rows: about 30 KB for the smallest
     * sweep (object headers, B-trees, heaps), the job text, 2% of the rows. */
    double need = store_estimate_bytes(plan) * 1.02 + 64e3 + (double)strlen(plan->job_text),
           have = free_bytes(dir);
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
    hid_t msg_type = sl_msg_type();
    int lrc = sl_create_layout(file, plan, msg_type, created, mpi_version);
    H5Tclose(msg_type);
    FAULT_POINT("create_after_layout");
    int wrc = lrc == 0 ? sl_write_static_data(file, plan) : -1;
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
    int ok = 1, refused = 0;
    char msg[1024] = "";
    if (rank == 0) {
        struct stat sb;
        if (!force && stat(path, &sb) == 0) {
            ok = 0;
            refused = 1;
            snprintf(msg, sizeof msg,
                     "%s exists: use --resume to finish it, --force to replace it, or -o for another file", path);
        } else {
            (void)mkdir_parents(path, msg, sizeof msg); /* made by store_check_output; open says if not */
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
    int verdict[2] = {ok, refused};
    MPI_Bcast(verdict, 2, MPI_INT, 0, comm);
    if (!verdict[0]) {
        MPI_Bcast(msg, sizeof msg, MPI_CHAR, 0, comm);
        snprintf(err, errlen, "%s", msg);
        return verdict[1] ? STORE_REFUSED : STORE_IO;
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
        return STORE_REFUSED;
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
    int rc = STORE_REFUSED;
    if (sl_read_attr_str(st->file, "format", fmt, sizeof fmt) != 0 || strcmp(fmt, STORE_FORMAT) != 0) {
        snprintf(err, errlen, "%s is an HDF5 file but not an aifsweep results file (no format=\"%s\" attribute)",
                 path, STORE_FORMAT);
        goto bad;
    }
    if (sl_read_attr_i64(st->file, "format_version", &fv) != 0 || fv != STORE_FORMAT_VERSION) {
        snprintf(err, errlen, "%s has results format version %lld; this aifsweep writes version %d",
                 path, (long long)fv, STORE_FORMAT_VERSION);
        rc = STORE_IO;
        goto bad;
    }
    if (sl_read_attr_str(st->file, "job_sha256", sha, sizeof sha) != 0 || strcmp(sha, plan->job_sha256) != 0) {
        snprintf(err, errlen,
                 "%s was written from a different job file (job_sha256 %.12s..., %s is %.12s...): "
                 "refusing to resume; use the job file stored in its job_yaml attribute, or another -o",
                 path, sha, plan->job_path, plan->job_sha256);
        goto bad;
    }
    if (sl_read_attr_i64(st->file, "n_runs", &nruns) != 0 || nruns != plan->dims.n_runs) {
        snprintf(err, errlen, "%s holds %lld runs but the job expands to %ld", path, (long long)nruns,
                 plan->dims.n_runs);
        goto bad;
    }
    rc = STORE_IO;
    if (open_handles(st, err, errlen) != 0) goto bad;
    if (!all_ok(comm, 1)) goto bad_quiet;
    FAULT_POINT("after_open");
    *out = st;
    return 0;
bad:
    all_ok(comm, 0);
bad_quiet:
    store_release(st);
    return rc;
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

/* Run r's row of dataset i from where the table says it comes from (0, or
 * -1); a row not written for this run (no source, or done only) is left. */
static int write_from_result(store_t *st, int i, const run_result_t *r) {
    const ds_def_t *def = &sl_defs[i];
    if (def->src == SRC_NONE || (def->done_only && r->status != RUN_DONE)) return 0;
    const char *field = (const char *)r + def->off;
    const void *buf = field;
    int32_t i32;
    char msg[RESULT_MSG_LEN];
    switch (def->src) {
    case SRC_ARRAY: memcpy(&buf, field, sizeof buf); break;
    case SRC_INT: i32 = *(const int *)(const void *)field; buf = &i32; break;
    case SRC_MESSAGE:
        memset(msg, 0, sizeof msg);
        snprintf(msg, sizeof msg, "%s", field);
        buf = msg;
        break;
    default: break;
    }
    return write_row(&st->ds[i], (hsize_t)r->run_id, buf);
}

int store_write_run(store_t *st, const run_result_t *r, char *err, size_t errlen) {
    long id = r->run_id;
    const plan_t *p = st->plan;
    int rc = 0;
    /* every row the table gives a source, in the table's order */
    for (int i = 0; i < DS_COUNT; i++) {
        rc |= write_from_result(st, i, r);
        if (i == DS_EVAL_CONTEXT && r->status == RUN_DONE) FAULT_POINT("mid_data");
    }
    if (r->status == RUN_DONE) {
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

/* ---- reading back ------------------------------------------------------------------- */

int store_read_outcomes(const char *path, const plan_t *plan, int8_t *status, int32_t *steps, int8_t *outcome,
                        char *err, size_t errlen) {
    silence_hdf5();
    hid_t f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    if (f < 0) {
        snprintf(err, errlen, "%s: cannot be opened as HDF5", path);
        return -1;
    }
    const hsize_t re[2] = {(hsize_t)plan->dims.n_runs, (hsize_t)plan->dims.eval_episodes};
    struct { int i; int nd; void *buf; } want[] = {
        {DS_STATUS, 1, status}, {DS_EVAL_STEPS, 2, steps}, {DS_EVAL_OUTCOME, 2, outcome}};
    int rc = 0;
    for (size_t k = 0; k < sizeof want / sizeof want[0] && rc == 0; k++) {
        const ds_def_t *def = &sl_defs[want[k].i];
        dset_t o;
        if (open_dset(f, def->path, sl_native_type(def->type_code, -1), want[k].nd, re, &o) != 0) {
            snprintf(err, errlen, "%s: %s is missing or is not %llu runs x %llu episodes as this job's", path,
                     def->path, (unsigned long long)re[0], (unsigned long long)re[1]);
            rc = -1;
        } else if (re[0] > 0 && H5Dread(o.id, o.mtype, H5S_ALL, H5S_ALL, H5P_DEFAULT, want[k].buf) < 0) {
            snprintf(err, errlen, "%s: %s cannot be read", path, def->path);
            rc = -1;
        }
        close_dset(&o);
    }
    H5Fclose(f);
    return rc;
}

void store_print_schema(FILE *out) { sl_print_schema(out); }

void store_hdf5_version(char *buf, size_t n) {
    unsigned M = 0, m = 0, r = 0;
    H5get_libversion(&M, &m, &r);
    snprintf(buf, n, "%u.%u.%u", M, m, r);
}
