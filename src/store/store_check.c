/* store_check: a results file's metadata read through before a resume (include/store/store_check.h). */
#include "store/store_check.h"
#include "core/sha256.h"
#include <hdf5.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define WHOLE_MAX_BYTES (4u << 20)

typedef struct {
    char bad[512]; /* the first object that does not read */
} walk_t;

/* Read one attribute's value (any type, in its file type). */
static herr_t read_attr(hid_t obj, const char *name, const H5A_info_t *info, void *ctx) {
    (void)info;
    walk_t *w = ctx;
    hid_t a = H5Aopen(obj, name, H5P_DEFAULT);
    hid_t t = a < 0 ? -1 : H5Aget_type(a);
    hid_t sp = a < 0 ? -1 : H5Aget_space(a);
    hssize_t n = sp < 0 ? -1 : H5Sget_simple_extent_npoints(sp);
    size_t sz = t < 0 ? 0 : H5Tget_size(t);
    int ok = a >= 0 && t >= 0 && n >= 0 && sz > 0;
    if (ok && !H5Tdetect_class(t, H5T_VLEN) && !(H5Tget_class(t) == H5T_STRING && H5Tis_variable_str(t))) {
        void *buf = calloc((size_t)n + 1, sz);
        ok = buf && H5Aread(a, t, buf) >= 0;
        free(buf);
    }
    if (!ok) snprintf(w->bad, sizeof w->bad, "attribute %s", name);
    if (sp >= 0) H5Sclose(sp);
    if (t >= 0) H5Tclose(t);
    if (a >= 0) H5Aclose(a);
    return ok ? 0 : 1;
}

/* A dataset's description, and its chunk index or (small) its data. */
static int read_dataset(hid_t d) {
    hid_t sp = H5Dget_space(d), t = H5Dget_type(d), pl = H5Dget_create_plist(d);
    int ok = sp >= 0 && t >= 0 && pl >= 0;
    if (ok && H5Pget_layout(pl) == H5D_CHUNKED) {
        hsize_t nchunks = 0;
        ok = H5Dget_num_chunks(d, H5S_ALL, &nchunks) >= 0;
    } else if (ok) {
        hssize_t n = H5Sget_simple_extent_npoints(sp);
        size_t sz = H5Tget_size(t);
        ok = n >= 0 && sz > 0;
        if (ok && (size_t)n * sz <= WHOLE_MAX_BYTES && !H5Tdetect_class(t, H5T_VLEN)) {
            void *buf = malloc((size_t)n * sz + 1);
            ok = buf && H5Dread(d, t, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf) >= 0;
            free(buf);
        }
    }
    if (pl >= 0) H5Pclose(pl);
    if (t >= 0) H5Tclose(t);
    if (sp >= 0) H5Sclose(sp);
    return ok;
}

static herr_t visit(hid_t root, const char *name, const H5O_info_t *info, void *ctx) {
    walk_t *w = ctx;
    hid_t o = H5Oopen(root, name, H5P_DEFAULT);
    if (o < 0) {
        snprintf(w->bad, sizeof w->bad, "/%s", strcmp(name, ".") ? name : "");
        return 1;
    }
    hsize_t idx = 0;
    herr_t rc = H5Aiterate2(o, H5_INDEX_NAME, H5_ITER_INC, &idx, read_attr, w);
    if (rc != 0 && !w->bad[0]) snprintf(w->bad, sizeof w->bad, "the attributes");
    if (rc == 0 && info->type == H5O_TYPE_DATASET && !read_dataset(o)) {
        snprintf(w->bad, sizeof w->bad, "the dataset");
        rc = 1;
    }
    if (rc != 0) { /* say where */
        char what[512];
        snprintf(what, sizeof what, "%s of /%s", w->bad, strcmp(name, ".") ? name : "");
        snprintf(w->bad, sizeof w->bad, "%s", what);
    }
    H5Oclose(o);
    return rc != 0 ? 1 : 0;
}

int store_check_metadata(const char *path, char *err, size_t errlen) {
    walk_t w = {{0}};
    hid_t f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    herr_t rc = f < 0 ? -1 : H5Ovisit2(f, H5_INDEX_NAME, H5_ITER_INC, visit, &w, H5O_INFO_ALL);
    if (f >= 0 && H5Fclose(f) < 0 && rc == 0) rc = -1;
    if (rc == 0) return 0;
    snprintf(err, errlen, "%s is damaged: HDF5 cannot read %s; refusing to resume it (python3 -m analysis "
                          "verify %s says what still reads)", path, w.bad[0] ? w.bad : "its structure", path);
    return -1;
}

/* The text of string attribute a (fixed or variable length), malloc'd; NULL if it does not read. */
static char *attr_text(hid_t a) {
    hid_t t = H5Aget_type(a);
    char *text = NULL;
    if (t >= 0 && H5Tget_class(t) == H5T_STRING) {
        hid_t mt = H5Tcopy(H5T_C_S1);
        if (H5Tis_variable_str(t)) {
            char *p = NULL;
            H5Tset_size(mt, H5T_VARIABLE);
            if (H5Aread(a, mt, &p) >= 0 && p) {
                text = strdup(p);
                H5free_memory(p);
            }
        } else {
            size_t sz = H5Tget_size(t);
            H5Tset_size(mt, sz);
            text = calloc(sz + 1, 1);
            if (text && H5Aread(a, mt, text) < 0) {
                free(text);
                text = NULL;
            }
        }
        H5Tclose(mt);
    }
    if (t >= 0) H5Tclose(t);
    return text;
}

int store_check_job_text(const char *path) {
    hid_t f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    if (f < 0) return -1;
    int rc = -1;
    hid_t a = H5Aexists(f, "job_yaml") > 0 ? H5Aopen(f, "job_yaml", H5P_DEFAULT) : -1;
    hid_t h = H5Aexists(f, "job_sha256") > 0 ? H5Aopen(f, "job_sha256", H5P_DEFAULT) : -1;
    char *text = a < 0 ? NULL : attr_text(a), *sha = h < 0 ? NULL : attr_text(h);
    if (text && sha) {
        char hex[65];
        sha256_hex(text, strlen(text), hex);
        rc = strcmp(hex, sha) == 0;
    }
    free(text);
    free(sha);
    if (h >= 0) H5Aclose(h);
    if (a >= 0) H5Aclose(a);
    H5Fclose(f);
    return rc;
}
