/* Unit tests for store_layout: the results file's layout (store_layout.h),
 * made by sl_create_layout + sl_write_static_data in a serial HDF5 file (no
 * MPI: the layout is rank 0's alone).  Every per-run dataset of sl_defs with
 * the shape sl_def_dims gives, the little-endian file type of its type code
 * and sl_row_bytes bytes per run; the root attributes docs/results-format.md
 * lists; the static data (zero statuses, the checkpoint map, the worlds'
 * maps); the checksum's `covers` list; the attribute readers' refusals; and
 * the size estimates against the datasets' own storage sizes. */
#include <hdf5.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "run/result.h"
#include "core/sha256.h"
#include "store/store.h"
#include "store/store_layout.h"
#include "sweep_fixture.h"
#include "unit.h"

/* Two worlds (one with walls and a hole, largest max_steps 20), three agent
 * classes (one with choice parameters, so /runs/params has text columns).
 * Counted by hand: random 2 worlds x 2 seeds = 4 runs; q-learning 2 alphas x
 * 2 x 2 = 8; exact-aif 2 preferences x 2 x 2 = 8: 20 runs, 10 conditions. */
static const char JOB[] =
    "name: layout\n"
    "seed: 11\n"
    "seeds: 2\n"
    "train_steps: 200\n"
    "eval_episodes: 3\n"
    "log_episodes: 2\n"
    "checkpoints: 2\n"
    "curve_points: 4\n"
    "efe_checks: 2\n"
    "environments:\n"
    "  - name: open\n"
    "    size: 3\n"
    "    max_steps: 12\n"
    "  - name: walled\n"
    "    size: 4\n"
    "    max_steps: 20\n"
    "    map: [\"SF#F\", \"FHFF\", \"F#FF\", \"FFFG\"]\n"
    "agents:\n"
    "  - type: random\n"
    "  - type: q-learning\n"
    "    params: {alpha: [0.2, 0.5]}\n"
    "  - type: exact-aif\n"
    "    params: {horizon: 1, preference: [goal, manhattan]}\n";

typedef struct {
    sweep_fixture_t f;
    char dir[64], path[128];
    hid_t file, msg;
} fx_t;

/* The fixture planned and its layout written into a fresh file; 0 or -1. */
static int fx_setup(fx_t *x, char *err, size_t n) {
    memset(x, 0, sizeof *x);
    x->file = x->msg = -1;
    if (sweep_fixture_setup(&x->f, "layout.yaml", JOB, err, n) != 0) return -1;
    snprintf(x->dir, sizeof x->dir, "/tmp/aif-unit-layout-XXXXXX");
    if (!mkdtemp(x->dir)) { snprintf(err, n, "mkdtemp"); return -1; }
    snprintf(x->path, sizeof x->path, "%s/r.h5", x->dir);
    x->file = H5Fcreate(x->path, H5F_ACC_EXCL, H5P_DEFAULT, H5P_DEFAULT);
    if (x->file < 0) { snprintf(err, n, "H5Fcreate %s", x->path); return -1; }
    x->msg = sl_msg_type();
    if (sl_create_layout(x->file, &x->f.plan, x->msg, "2001-02-03T04:05:06Z", "unit MPI 0.0") != 0) {
        snprintf(err, n, "sl_create_layout");
        return -1;
    }
    if (sl_write_static_data(x->file, &x->f.plan) != 0) { snprintf(err, n, "sl_write_static_data"); return -1; }
    return 0;
}

static void fx_teardown(fx_t *x) {
    if (x->msg >= 0) H5Tclose(x->msg);
    if (x->file >= 0) H5Fclose(x->file);
    if (x->path[0]) unlink(x->path);
    if (x->dir[0]) rmdir(x->dir);
    sweep_fixture_teardown(&x->f);
}

#define SETUP(x) do { char e_[1024]; \
    CHECK_MSG(fx_setup(&(x), e_, sizeof e_) == 0, "%s", e_); } while (0)

/* Read a whole dataset as memory type t into buf (sized by the caller). */
static int read_all(hid_t file, const char *path, hid_t t, void *buf) {
    hid_t ds = H5Dopen2(file, path, H5P_DEFAULT);
    if (ds < 0) return -1;
    herr_t rc = H5Dread(ds, t, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf);
    H5Dclose(ds);
    return rc < 0 ? -1 : 0;
}

static double storage_of(hid_t file, const char *path) {
    hid_t ds = H5Dopen2(file, path, H5P_DEFAULT);
    if (ds < 0) return -1;
    double s = (double)H5Dget_storage_size(ds);
    H5Dclose(ds);
    return s;
}

/* The plan's dims, against what the job says (results-format.md's notation). */
static void dims_of_the_job(void) {
    fx_t x;
    SETUP(x);
    const layout_dims_t *d = &x.f.plan.dims;
    CHECK_MSG(d->n_runs == 20 && d->n_conditions == 10, "%ld runs, %ld conditions", d->n_runs, d->n_conditions);
    CHECK(d->eval_episodes == 3 && d->log_episodes == 2 && d->max_steps == 20 && d->n_actions == 5);
    CHECK(d->curve_points == 4 && d->n_ckpt == 2 && d->n_check == 2);
    /* A few shapes straight from the format's tables. */
    hsize_t dims[4];
    CHECK(sl_def_dims(&sl_defs[DS_STATUS], d, dims) == 1 && dims[0] == 20);
    CHECK(sl_def_dims(&sl_defs[DS_EVAL_STEPS], d, dims) == 2 && dims[1] == 3);
    CHECK(sl_def_dims(&sl_defs[DS_TRAJ_POS], d, dims) == 3 && dims[1] == 2 && dims[2] == 21);
    CHECK(sl_def_dims(&sl_defs[DS_TRAJ_ACTION], d, dims) == 3 && dims[2] == 20);
    CHECK(sl_def_dims(&sl_defs[DS_TRAJ_G], d, dims) == 4 && dims[1] == 2 && dims[2] == 20 && dims[3] == 5);
    CHECK(sl_def_dims(&sl_defs[DS_CURVE_STEPS], d, dims) == 2 && dims[1] == 4);
    CHECK(sl_def_dims(&sl_defs[DS_CKPT_STEP], d, dims) == 2 && dims[1] == 2);
    CHECK(sl_def_dims(&sl_defs[DS_CHECK_EST], d, dims) == 3 && dims[1] == 2 && dims[2] == 64);
    /* Row bytes: int8 status 1, [T+1] x K int32 positions, [K, T, NA] float32 G. */
    CHECK(sl_row_bytes(DS_STATUS, d) == 1);
    CHECK(sl_row_bytes(DS_TRAJ_POS, d) == 2 * 21 * 4);
    CHECK(sl_row_bytes(DS_TRAJ_G, d) == 2 * 20 * 5 * 4);
    CHECK(sl_row_bytes(DS_MESSAGE, d) == RESULT_MSG_LEN);
    CHECK(sl_row_bytes(DS_CRC, d) == 8);
    fx_teardown(&x);
}

/* Every dataset of the table: its shape, its file type (fixed little-endian
 * by type code), sl_row_bytes per run, a description and its units. */
static void every_dataset(void) {
    fx_t x;
    SETUP(x);
    const layout_dims_t *d = &x.f.plan.dims;
    const hid_t le[6] = {H5T_STD_I8LE, H5T_STD_U8LE, H5T_STD_I32LE, H5T_STD_I64LE, H5T_IEEE_F32LE, H5T_IEEE_F64LE};
    for (int i = 0; i < DS_COUNT; i++) {
        const ds_def_t *def = &sl_defs[i];
        hid_t ds = H5Dopen2(x.file, def->path, H5P_DEFAULT);
        CHECK_MSG(ds >= 0, "%s missing", def->path);
        hsize_t want[4], got[4];
        int nd = sl_def_dims(def, d, want);
        hid_t sp = H5Dget_space(ds);
        int gnd = H5Sget_simple_extent_dims(sp, got, NULL);
        H5Sclose(sp);
        CHECK_MSG(gnd == nd, "%s: rank %d, want %d", def->path, gnd, nd);
        size_t per_row = 1;
        for (int k = 0; k < nd; k++) {
            CHECK_MSG(got[k] == want[k], "%s: dim %d = %llu, want %llu", def->path, k, (unsigned long long)got[k],
                      (unsigned long long)want[k]);
            if (k) per_row *= (size_t)got[k];
        }
        CHECK(got[0] == (hsize_t)d->n_runs);
        hid_t ft = H5Dget_type(ds);
        size_t tsz = H5Tget_size(ft);
        if (def->type_code < 6) {
            CHECK_MSG(H5Tequal(ft, le[def->type_code]) > 0, "%s: file type not the code's LE type", def->path);
        } else {
            CHECK(H5Tget_class(ft) == H5T_STRING && tsz == RESULT_MSG_LEN);
        }
        H5Tclose(ft);
        CHECK_MSG(tsz * per_row == sl_row_bytes(i, d), "%s: %zu x %zu bytes per row, sl_row_bytes %zu", def->path,
                  tsz, per_row, sl_row_bytes(i, d));
        /* Early allocation: the whole dataset is on disk from the start. */
        CHECK_MSG(storage_of(x.file, def->path) == (double)d->n_runs * (double)sl_row_bytes(i, d), "%s", def->path);
        char buf[1024];
        CHECK_MSG(sl_read_attr_str(ds, "description", buf, sizeof buf) == 0 && !strcmp(buf, def->description),
                  "%s: description", def->path);
        if (def->units[0])
            CHECK_MSG(sl_read_attr_str(ds, "units", buf, sizeof buf) == 0 && !strcmp(buf, def->units), "%s", def->path);
        else
            CHECK_MSG(H5Aexists(ds, "units") == 0, "%s: empty units written", def->path);
        H5Dclose(ds);
    }
    /* The types docs/results-format.md names for a few. */
    CHECK(sl_defs[DS_STATUS].type_code == 0 && sl_defs[DS_RANK].type_code == 2 && sl_defs[DS_T_START].type_code == 5);
    CHECK(sl_defs[DS_TRAIN_STEPS].type_code == 3 && sl_defs[DS_EVAL_SUCCESS].type_code == 1);
    CHECK(sl_defs[DS_EVAL_RETURN].type_code == 4 && sl_defs[DS_CRC].type_code == 3);
    fx_teardown(&x);
}

/* The root attributes of docs/results-format.md. */
static void root_attributes(void) {
    fx_t x;
    SETUP(x);
    const plan_t *p = &x.f.plan;
    char buf[4096], hex[65];
    int64_t v;
    CHECK(sl_read_attr_str(x.file, "format", buf, sizeof buf) == 0 && !strcmp(buf, "aifsweep-results"));
    CHECK(sl_read_attr_i64(x.file, "format_version", &v) == 0 && v == STORE_FORMAT_VERSION);
    CHECK(sl_read_attr_str(x.file, "job_yaml", buf, sizeof buf) == 0 && !strcmp(buf, JOB));
    sha256_hex(JOB, strlen(JOB), hex);
    CHECK(sl_read_attr_str(x.file, "job_sha256", buf, sizeof buf) == 0 && !strcmp(buf, hex));
    CHECK(sl_read_attr_str(x.file, "job_name", buf, sizeof buf) == 0 && !strcmp(buf, "layout"));
    CHECK(sl_read_attr_str(x.file, "job_path", buf, sizeof buf) == 0 && !strcmp(buf, "layout.yaml"));
    CHECK(sl_read_attr_i64(x.file, "sweep_seed", &v) == 0 && v == 11);
    CHECK(sl_read_attr_i64(x.file, "n_runs", &v) == 0 && v == 20 && v == p->dims.n_runs);
    CHECK(sl_read_attr_i64(x.file, "n_conditions", &v) == 0 && v == 10);
    CHECK(sl_read_attr_str(x.file, "software", buf, sizeof buf) == 0 && !strcmp(buf, "aifsweep"));
    CHECK(sl_read_attr_str(x.file, "software_version", buf, sizeof buf) == 0 && buf[0]);
    CHECK(sl_read_attr_str(x.file, "git_commit", buf, sizeof buf) == 0 && buf[0]);
    unsigned maj, min, rel;
    H5get_libversion(&maj, &min, &rel);
    char want[64];
    snprintf(want, sizeof want, "%u.%u.%u", maj, min, rel);
    CHECK(sl_read_attr_str(x.file, "hdf5_version", buf, sizeof buf) == 0 && !strcmp(buf, want));
    CHECK(sl_read_attr_str(x.file, "mpi_version", buf, sizeof buf) == 0 && !strcmp(buf, "unit MPI 0.0"));
    CHECK(sl_read_attr_str(x.file, "created", buf, sizeof buf) == 0 && !strcmp(buf, "2001-02-03T04:05:06Z"));
    CHECK(sl_read_attr_str(x.file, "status_codes", buf, sizeof buf) == 0 && strstr(buf, "0 pending") &&
          strstr(buf, "1 done") && strstr(buf, "2 failed") && strstr(buf, "3 started"));
    CHECK(sl_read_attr_str(x.file, "action_codes", buf, sizeof buf) == 0 &&
          !strcmp(buf, "0 up, 1 down, 2 left, 3 right, 4 stay"));
    fx_teardown(&x);
}

/* The attribute readers refuse what is not there or not of their kind. */
static void attribute_readers(void) {
    fx_t x;
    SETUP(x);
    char buf[64] = "junk";
    int64_t v = 77;
    CHECK(sl_read_attr_str(x.file, "no_such_attribute", buf, sizeof buf) == -1 && buf[0] == 0);
    CHECK(sl_read_attr_i64(x.file, "no_such_attribute", &v) == -1 && v == 77);
    CHECK(sl_read_attr_str(x.file, "n_runs", buf, sizeof buf) == -1);   /* an integer, not a string */
    /* A string longer than the buffer is cut, terminated. */
    CHECK(sl_read_attr_str(x.file, "action_codes", buf, 8) == 0 && !strcmp(buf, "0 up, 1"));
    fx_teardown(&x);
}

/* Zero statuses, the checkpoint map, the worlds' maps and their attributes,
 * the params rows' run ids. */
static void static_data(void) {
    fx_t x;
    SETUP(x);
    const plan_t *p = &x.f.plan;
    const long R = p->dims.n_runs;
    int8_t status[20];
    int64_t floats[20], row[20], run_id[20];
    CHECK(R == 20);
    memset(status, 9, sizeof status);
    CHECK(read_all(x.file, "/runs/status", H5T_NATIVE_INT8, status) == 0);
    for (long r = 0; r < R; r++) CHECK_MSG(status[r] == RUN_PENDING, "run %ld: status %d", r, status[r]);
    CHECK(read_all(x.file, "/checkpoints/floats", H5T_NATIVE_INT64, floats) == 0);
    CHECK(read_all(x.file, "/checkpoints/row", H5T_NATIVE_INT64, row) == 0);
    int with = 0;
    for (long r = 0; r < R; r++) {
        CHECK_MSG(floats[r] == p->ckpt_floats[r] && row[r] == p->ckpt_row[r], "run %ld", r);
        CHECK_MSG((floats[r] == 0) == (row[r] == -1), "run %ld: floats %lld row %lld", r, (long long)floats[r],
                  (long long)row[r]);
        with += floats[r] > 0;
    }
    CHECK_MSG(with > 0, "no run of the fixture checkpoints: the test would prove nothing");
    /* The checkpoint datasets: [rows, CK, floats] per entry that has any. */
    for (int a = 0; a < p->n_entries; a++) {
        char path[128];
        snprintf(path, sizeof path, "/checkpoints/%s", p->entry_name[a]);
        htri_t ex = H5Lexists(x.file, path, H5P_DEFAULT);
        CHECK_MSG((ex > 0) == (p->entry_rows[a] > 0), "%s", path);
        if (ex > 0)
            CHECK(storage_of(x.file, path) == 4.0 * (double)p->entry_rows[a] * 2 * (double)p->entry_floats[a]);
    }
    /* run_id, the first column of /runs/params, is the row number. */
    hid_t mt = H5Tcreate(H5T_COMPOUND, 8);
    H5Tinsert(mt, "run_id", 0, H5T_NATIVE_INT64);
    int rc = read_all(x.file, "/runs/params", mt, run_id);
    H5Tclose(mt);
    CHECK(rc == 0);
    for (long r = 0; r < R; r++) CHECK(run_id[r] == r);

    /* The worlds' maps, against the job's text (default start and goal:
     * opposite corners). */
    static const struct { const char *name; int rows, cols; const char *cells; } maps[] = {
        {"open", 3, 3, "SFFFFFFFG"},
        {"walled", 4, 4, "SF#FFHFFF#FFFFFG"},
    };
    CHECK(p->n_envs == 2);
    for (int e = 0; e < 2; e++) {
        char path[128], cells[16];
        int64_t v;
        snprintf(path, sizeof path, "/envs/%s/cells", maps[e].name);
        hid_t ds = H5Dopen2(x.file, path, H5P_DEFAULT);
        CHECK_MSG(ds >= 0, "%s", path);
        hsize_t dims[2];
        hid_t sp = H5Dget_space(ds);
        int nd = H5Sget_simple_extent_dims(sp, dims, NULL);
        H5Sclose(sp);
        H5Dclose(ds);
        CHECK(nd == 2 && dims[0] == (hsize_t)maps[e].rows && dims[1] == (hsize_t)maps[e].cols);
        CHECK(read_all(x.file, path, H5T_NATIVE_UINT8, cells) == 0);
        int n = maps[e].rows * maps[e].cols;
        CHECK_MSG(memcmp(cells, maps[e].cells, (size_t)n) == 0, "%s: %.*s", path, n, cells);
        CHECK(memcmp(cells, p->worlds[e].cells, (size_t)n) == 0);
        double eta[16];
        int dist[16];
        snprintf(path, sizeof path, "/envs/%s/eta", maps[e].name);
        CHECK(read_all(x.file, path, H5T_NATIVE_DOUBLE, eta) == 0);
        snprintf(path, sizeof path, "/envs/%s/dist", maps[e].name);
        CHECK(read_all(x.file, path, H5T_NATIVE_INT, dist) == 0);
        for (int s = 0; s < n; s++) {
            CHECK(eta[s] == p->worlds[e].eta[s] && dist[s] == p->worlds[e].dist[s]);
            CHECK((maps[e].cells[s] == '#') <= (dist[s] == -1));   /* walls never reach the goal */
            CHECK((maps[e].cells[s] == 'G') == (dist[s] == 0));
        }
        snprintf(path, sizeof path, "/envs/%s", maps[e].name);
        hid_t g = H5Gopen2(x.file, path, H5P_DEFAULT);
        CHECK(g >= 0);
        int ok = sl_read_attr_i64(g, "index", &v) == 0 && v == e;
        ok &= sl_read_attr_i64(g, "rows", &v) == 0 && v == maps[e].rows;
        ok &= sl_read_attr_i64(g, "cols", &v) == 0 && v == maps[e].cols;
        ok &= sl_read_attr_i64(g, "start", &v) == 0 && v == 0;
        ok &= sl_read_attr_i64(g, "goal", &v) == 0 && v == n - 1;
        ok &= sl_read_attr_i64(g, "max_steps", &v) == 0 && v == (e ? 20 : 12);
        H5Gclose(g);
        CHECK_MSG(ok, "%s: attributes", path);
    }
    fx_teardown(&x);
}

/* The checksum covers every per-run dataset but the status and itself, and
 * `covers` names them in table order. */
static void crc_covers(void) {
    fx_t x;
    SETUP(x);
    char want[4096] = "", got[4096];
    size_t o = 0;
    int n = 0;
    for (int i = 0; i < DS_COUNT; i++) {
        CHECK_MSG(sl_crc_covers(i) == (i != DS_STATUS && i != DS_CRC), "%s", sl_defs[i].path);
        if (!sl_crc_covers(i)) continue;
        o += (size_t)snprintf(want + o, sizeof want - o, "%s%s", n ? "," : "", sl_defs[i].path);
        n++;
    }
    CHECK(n == DS_COUNT - 2);
    hid_t ds = H5Dopen2(x.file, "/runs/crc32", H5P_DEFAULT);
    CHECK(ds >= 0);
    int rc = sl_read_attr_str(ds, "covers", got, sizeof got);
    H5Dclose(ds);
    CHECK(rc == 0);
    CHECK_MSG(!strcmp(got, want), "covers '%s'\nwant   '%s'", got, want);
    CHECK(strstr(got, "/runs/status") == NULL && strstr(got, "/runs/crc32") == NULL);
    fx_teardown(&x);
}

/* The floor is the per-run datasets plus /runs/params (every dataset but the
 * checkpoints and the world maps); the full estimate adds those, and is what
 * the datasets take on disk. */
static void estimates(void) {
    fx_t x;
    SETUP(x);
    const plan_t *p = &x.f.plan;
    const layout_dims_t *d = &p->dims;
    layout_dims_t dc;
    int nn, nt;
    char err[256];
    CHECK(plan_count(&x.f.job, &dc, &nn, &nt, err, sizeof err) == 0);
    CHECK(dc.n_runs == d->n_runs && dc.max_steps == d->max_steps && dc.n_ckpt == d->n_ckpt);
    CHECK(nt > 0 && nn > 0);   /* both kinds of parameter column */
    double rows = 0;
    for (int i = 0; i < DS_COUNT; i++) rows += (double)d->n_runs * (double)sl_row_bytes(i, d);
    double params = storage_of(x.file, "/runs/params");
    CHECK(params > 0);
    double floor = store_estimate_bytes_floor(&dc, nn, nt);
    CHECK_MSG(floor == rows + params, "floor %.0f, rows %.0f + params %.0f", floor, rows, params);
    /* Each parameter column adds its width to every row: a number 8 bytes, a
     * choice PLAN_TEXT_LEN. */
    CHECK(store_estimate_bytes_floor(&dc, nn + 1, nt) - floor == 8.0 * (double)d->n_runs);
    CHECK(store_estimate_bytes_floor(&dc, nn, nt + 1) - floor == (double)PLAN_TEXT_LEN * (double)d->n_runs);
    /* Twice the runs, twice the bytes. */
    layout_dims_t d2 = dc;
    d2.n_runs *= 2;
    CHECK(store_estimate_bytes_floor(&d2, nn, nt) == 2 * floor);

    double extra = 0;
    char path[128];
    for (int a = 0; a < p->n_entries; a++) {
        snprintf(path, sizeof path, "/checkpoints/%s", p->entry_name[a]);
        if (H5Lexists(x.file, path, H5P_DEFAULT) > 0) extra += storage_of(x.file, path);
    }
    CHECK(extra > 0);
    for (int e = 0; e < p->n_envs; e++) {
        static const char *const kinds[] = {"cells", "eta", "dist"};
        for (int k = 0; k < 3; k++) {
            snprintf(path, sizeof path, "/envs/%s/%s", p->worlds[e].name, kinds[k]);
            double s = storage_of(x.file, path);
            CHECK_MSG(s > 0, "%s", path);
            extra += s;
        }
    }
    double full = store_estimate_bytes(p);
    CHECK_MSG(full >= floor, "full %.0f < floor %.0f", full, floor);
    CHECK_MSG(full == floor + extra, "full %.0f, floor %.0f + checkpoints and maps %.0f", full, floor, extra);
    fx_teardown(&x);
}

/* The schema's row sources (store_write_run writes from them): every dataset
 * a run fills has one whose size is its type's, and only the status, the
 * checksum and the rows written with the layout have none; the arrays and the
 * diagnostics are a done run's only. */
static void row_sources(void) {
    static const size_t type_size[] = {1, 1, 4, 8, 4, 8};
    int n_src = 0;
    for (int i = 0; i < DS_COUNT; i++) {
        const ds_def_t *d = &sl_defs[i];
        const int none = i == DS_STATUS || i == DS_CRC || i == DS_TRAIN_BUDGET || i == DS_CKPT_FLOATS ||
                         i == DS_CKPT_ROW;
        CHECK_MSG((d->src == SRC_NONE) == none, "%s: source %d", d->path, d->src);
        if (d->src == SRC_NONE) continue;
        n_src++;
        CHECK_MSG(d->off < sizeof(run_result_t), "%s", d->path);
        if (d->src == SRC_VALUE || d->src == SRC_ARRAY)
            CHECK_MSG(d->type_code < 6 && d->size == type_size[d->type_code], "%s: %zu bytes for type %d", d->path,
                      d->size, d->type_code);
        if (d->src == SRC_INT) CHECK(d->type_code == 2 && d->off == offsetof(run_result_t, rank));
        if (d->src == SRC_MESSAGE) CHECK(d->type_code == 6 && d->off == offsetof(run_result_t, message));
        CHECK_MSG(d->done_only == (d->src == SRC_ARRAY || strncmp(d->path, "/efe_check/", 11) == 0 ||
                                   strncmp(d->path, "/model/", 7) == 0), "%s", d->path);
    }
    CHECK(n_src == DS_COUNT - 5);
    CHECK(sl_defs[DS_EVAL_STEPS].off == offsetof(run_result_t, eval_steps));
}

static const unit_test_t tests[] = {
    {"row_sources", row_sources},
    {"dims_of_the_job", dims_of_the_job},
    {"every_dataset", every_dataset},
    {"root_attributes", root_attributes},
    {"attribute_readers", attribute_readers},
    {"static_data", static_data},
    {"crc_covers", crc_covers},
    {"estimates", estimates},
    {0, 0},
};

int main(int argc, char **argv) { return unit_main(argc, argv, tests); }
