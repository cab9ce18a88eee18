/* jobspec: the job file's schema (which keys exist, their ranges, what they
 * build), read with the strict reader of yamlread.h, and expanded into the
 * ordered run list (job.h checks it against the worlds it describes).
 *
 * The first error stops the parse and is reported on one line:
 *   PATH:LINE: KEY.PATH: what is wrong (what is expected)
 * The schema is documented for users in jobs/README.md; keep the two in step. */
#include "job/jobspec.h"
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "core/sha256.h"
#include "world/presets.h"
#include "job/yamlread.h"

/* The results file keeps the job's text in one root attribute (job_yaml), and
 * HDF5 holds an attribute of at most 64 KiB in an object header (65,490
 * bytes of text measured with HDF5 1.10); a longer job would pass here and
 * fail at the layout. */
#define JOB_MAX_BYTES   65000u
#define JOB_MAX_RUNS    100000000L
#define JOB_MAX_SIDE    256
#define JOB_MAX_TRAIN   1000000000LL
#define JOB_NAME_MAX    63
#define JOB_MAX_NESTING 1000
#define JOB_MAX_ENTRIES 10000     /* environments, and agents */

/* ---- agent class lookup (the registry, or a test's list) ------------------------ */

static const agent_class_t *const *class_list = NULL;   /* NULL: the registry */

void jobspec_use_agent_classes(const agent_class_t *const *classes) { class_list = classes; }

static const agent_class_t *const *classes(void) { return class_list ? class_list : agent_classes; }

static const agent_class_t *class_named(const char *name) {
    if (!class_list) return agent_class_find(name);
    for (int i = 0; class_list[i]; i++)
        if (strcmp(class_list[i]->name, name) == 0) return class_list[i];
    return NULL;
}

/* ---- schema scalars ----------------------------------------------------------------- */

/* A parameter value for messages (reals as %.15g: 0.1, not 0.10000000000000001). */
static void fmt_param(const param_spec_t *ps, double v, char *buf, int bufsz) {
    if (ps->type == PT_REAL) yr_fmt_num(v, buf, (size_t)bufsz);
    else param_format(ps, v, buf, bufsz);
}

static int name_char_ok(char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '.' || c == '-';
}

/* Names (job, environment, agent label): [A-Za-z0-9_.-]+, at most 63 characters,
 * so they are safe in file names, HDF5 strings and command lines. */
static int want_name(yr_t *r, const yaml_node_t *n, int keyline, char out[64]) {
    const char *expect = "a name of 1 to 63 characters from A-Z a-z 0-9 _ . -";
    const char *s;
    size_t len;
    char b[64];
    if (yr_str(r, n, keyline, expect, &s, &len)) return -1;
    int line = yr_value_line(n, keyline);
    if (len > JOB_NAME_MAX)
        return yr_fail(r, line, "expected %s, got %zu characters", expect, len);
    for (size_t i = 0; i < len; i++)
        if (!name_char_ok(s[i]))
            return yr_fail(r, line, "expected %s, got %s", expect, yr_describe(n, b, sizeof b));
    memcpy(out, s, len);
    out[len] = '\0';
    return 0;
}

/* The closest of names[0..n) to s within two edits, or NULL (for "did you mean"). */
static const char *closest(const char *s, const char *const *names, int n) {
    const char *best = NULL;
    int bestd = 3;
    for (int k = 0; k < n; k++) {
        int d = yr_edit_distance(s, names[k]);
        if (d < bestd) { bestd = d; best = names[k]; }
    }
    return best;
}

/* ---- top level ------------------------------------------------------------------- */

enum { T_NAME, T_SEED, T_SEEDS, T_TRAIN, T_EVAL, T_LOG, T_CKPT, T_CURVE, T_OUTPUT, T_MAXGB,
       T_ENVS, T_AGENTS, T_EFE_CHECKS, T_N };
static const char *const top_keys[T_N] = {
    "name", "seed", "seeds", "train_steps", "eval_episodes", "log_episodes", "checkpoints",
    "curve_points", "output", "max_file_gb", "environments", "agents", "efe_checks"};

enum { E_NAME, E_SIZE, E_ROWS, E_COLS, E_MAP, E_START, E_GOAL, E_SLIP, E_NOISE, E_RADIUS,
       E_MAXSTEPS, E_ACTIONS, E_STEPR, E_GOALR, E_HOLER, E_PRESET, E_CONTEXTS, E_CUE, E_N };
static const char *const env_keys[E_N] = {
    "name", "size", "rows", "cols", "map", "start", "goal", "slip", "obs_noise", "noise_radius",
    "max_steps", "actions", "step_reward", "goal_reward", "hole_reward", "preset", "contexts",
    "cue_reliability"};

enum { A_TYPE, A_NAME, A_PARAMS, A_TRAIN, A_N };
static const char *const agent_keys[A_N] = {"type", "name", "params", "train_steps"};

static void default_name(const char *path, char out[64]) {
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    size_t len = strlen(base);
    const char *dot = strrchr(base, '.');
    if (dot && dot != base) len = (size_t)(dot - base);
    if (len > JOB_NAME_MAX) len = JOB_NAME_MAX;
    for (size_t i = 0; i < len; i++) out[i] = name_char_ok(base[i]) ? base[i] : '_';
    out[len] = '\0';
    int alnum = 0;
    for (size_t i = 0; i < len; i++) alnum |= out[i] != '_' && out[i] != '.' && out[i] != '-';
    if (!alnum) strcpy(out, "job"); /* e.g. "-" for standard input */
}

static int parse_seeds(yr_t *r, jobspec_t *job, const yaml_node_t *n, int keyline) {
    const char *expect = "a positive number of seeds, or a non-empty list of distinct integers >= 0";
    char b[64];
    if (n->type == YAML_SCALAR_NODE) {
        long long k;
        if (yr_int(r, n, keyline, 1, JOB_MAX_RUNS, expect, &k)) return -1;
        job->n_seeds = (int)k; /* job->seeds (0..k-1) is filled once the run count is known to be sane */
        return 0;
    }
    if (n->type != YAML_SEQUENCE_NODE || yr_seq_len(n) == 0)
        return yr_fail(r, yr_value_line(n, keyline), "expected %s, got %s", expect, yr_describe(n, b, sizeof b));
    long cnt = yr_seq_len(n);
    if (cnt > JOB_MAX_RUNS)
        return yr_fail(r, keyline, "%ld seeds (at most %ld)", cnt, JOB_MAX_RUNS);
    job->seeds = malloc((size_t)cnt * sizeof *job->seeds);
    if (!job->seeds) return yr_fail(r, keyline, "out of memory for %ld seeds", cnt);
    job->n_seeds = (int)cnt;
    for (long i = 0; i < cnt; i++) {
        size_t m = yr_idx(r, i);
        long long v;
        const yaml_node_t *it = yr_seq_item(r, n, i);
        if (yr_int(r, it, yr_line(it), 0, LLONG_MAX, "a seed (an integer >= 0)", &v)) return -1;
        yr_restore(r, m);
        job->seeds[i] = v;
    }
    long first, second;
    int dup = yr_find_duplicate_i64(job->seeds, cnt, &first, &second);
    if (dup == -2) return yr_fail(r, keyline, "out of memory checking seeds");
    if (dup < 0) return 0;
    yr_idx(r, second);
    return yr_fail(r, yr_line(yr_seq_item(r, n, second)),
                   "duplicate seed %lld (also seeds[%ld] on line %d; seeds must be distinct)",
                   (long long)job->seeds[second], first, yr_line(yr_seq_item(r, n, first)));
}

/* ---- environments ---------------------------------------------------------------- */

static const yr_grid_t map_grid = {"a list of map rows (strings of S F H G # C 1-9)",
                                    "a map row (a string of S F H G # C 1-9)", "SFHG#C123456789", "cell",
                                    "one of S F H G #, or C and 1-9 for hidden contexts", JOB_MAX_SIDE};
static const yr_grid_t eta_grid = {"a number in [0, 1], or a list of rows of digits 0-9", "a row of digits 0-9",
                                    "0123456789", "level", "a digit 0-9: eta = 1 - digit/10", JOB_MAX_SIDE};

/* start / goal: [row, col] inside the grid, not on a wall or hole of the map;
 * not given both here and by the map's letter. */
static int read_cell(yr_t *r, const yaml_node_t *n, int keyline, const gw_spec_t *g, char letter, int *cell) {
    char b[64];
    char expect[96];
    snprintf(expect, sizeof expect, "[row, col] with row in [0, %d] and col in [0, %d]", g->rows - 1,
             g->cols - 1);
    if (n->type != YAML_SEQUENCE_NODE || yr_seq_len(n) != 2)
        return yr_fail(r, yr_value_line(n, keyline), "expected %s, got %s", expect, yr_describe(n, b, sizeof b));
    int rc[2];
    for (int k = 0; k < 2; k++) {
        const yaml_node_t *it = yr_seq_item(r, n, k);
        char e[64];
        snprintf(e, sizeof e, "a %s in [0, %d]", k ? "col" : "row", (k ? g->cols : g->rows) - 1);
        if (yr_int32(r, it, keyline, 0, (k ? g->cols : g->rows) - 1, e, &rc[k])) return -1;
    }
    int s = rc[0] * g->cols + rc[1];
    if (g->map) {
        const char *at = strchr(g->map, letter);
        if (at)
            return yr_fail(r, keyline, "given here and as '%c' in the map (row %d, col %d); give one of them",
                           letter, (int)(at - g->map) / g->cols, (int)(at - g->map) % g->cols);
        char c = g->map[s];
        if (c == '#' || c == 'H' || c == (letter == 'S' ? 'G' : 'S') || c == 'C' || (c >= '1' && c <= '9'))
            return yr_fail(r, keyline, "[%d, %d] is '%c' in the map (the %s must be on a floor cell 'F')",
                           rc[0], rc[1], c, letter == 'S' ? "start" : "goal");
    }
    *cell = s;
    return 0;
}

/* preset: NAME, one of the built-in worlds (presets.h). */
static int read_preset(yr_t *r, const yaml_node_t *n, int keyline, const world_preset_t **out) {
    char known[400], expect[480], b[64];
    world_list_names(known, sizeof known);
    snprintf(expect, sizeof expect, "a preset name (known: %s)", known);
    const char *s;
    size_t len;
    if (yr_str(r, n, keyline, expect, &s, &len)) return -1;
    if ((*out = world_find(s)) != NULL) return 0;
    const char *names[64];
    int nn = 0;
    for (int k = 0; k < world_count() && nn < 64; k++) names[nn++] = world_at(k)->name;
    const char *best = closest(s, names, nn);
    int line = yr_value_line(n, keyline);
    if (best)
        return yr_fail(r, line, "unknown preset %s; did you mean %s? (known: %s)", yr_describe(n, b, sizeof b),
                       best, known);
    return yr_fail(r, line, "unknown preset %s (known: %s)", yr_describe(n, b, sizeof b), known);
}

/* With a preset, size or rows/cols may only repeat the preset's size. */
static int check_preset_dims(yr_t *r, const world_preset_t *w, const yaml_node_t **v, const int *kl,
                             int rows, int cols) {
    if (rows == w->rows && cols == w->cols) return 0;
    int key = v[E_SIZE] ? E_SIZE : rows != w->rows ? E_ROWS : E_COLS;
    yr_key(r, env_keys[key]);
    if (key == E_SIZE)
        return yr_fail(r, kl[key], "size: %d disagrees with preset %s, which is %dx%d (drop size, or make it agree)",
                       rows, w->name, w->rows, w->cols);
    return yr_fail(r, kl[key], "rows: %d, cols: %d disagree with preset %s, which is %d x %d (drop rows and cols, "
                   "or make them agree)", rows, cols, w->name, w->rows, w->cols);
}

/* An integer key of an environment, read with its key path. */
static int env_int(yr_t *r, const yaml_node_t **v, const int *kl, int key, int lo, int hi, const char *expect,
                   int *out) {
    size_t m = yr_key(r, env_keys[key]);
    if (yr_int32(r, v[key], kl[key], lo, hi, expect, out)) return -1;
    yr_restore(r, m);
    return 0;
}

/* size: N, or rows: + cols: (each alone is refused); rows stays -1 for neither. */
static int env_size_keys(yr_t *r, const yaml_node_t **v, const int *kl, int *rows, int *cols,
                         char *dims_buf, size_t dims_bufsz) {
    if (v[E_SIZE]) {
        int other = v[E_ROWS] ? E_ROWS : v[E_COLS] ? E_COLS : -1;
        if (other >= 0) {
            yr_key(r, env_keys[other]);
            return yr_fail(r, kl[other], "conflicts with size on line %d (give size: N, or rows: and cols:)",
                           kl[E_SIZE]);
        }
        if (env_int(r, v, kl, E_SIZE, 1, JOB_MAX_SIDE, NULL, rows)) return -1;
        *cols = *rows;
        snprintf(dims_buf, dims_bufsz, "size: %d", *rows);
    } else if (v[E_ROWS] || v[E_COLS]) {
        int have = v[E_ROWS] ? E_ROWS : E_COLS, miss = have == E_ROWS ? E_COLS : E_ROWS;
        if (!v[miss]) {
            yr_key(r, env_keys[have]);
            return yr_fail(r, kl[have], "given without %s (give both rows and cols, or size: N)", env_keys[miss]);
        }
        if (env_int(r, v, kl, E_ROWS, 1, JOB_MAX_SIDE, NULL, rows)) return -1;
        if (env_int(r, v, kl, E_COLS, 1, JOB_MAX_SIDE, NULL, cols)) return -1;
        snprintf(dims_buf, dims_bufsz, "rows: %d, cols: %d", *rows, *cols);
    }
    return 0;
}

/* map: rows of S F H G #, with at most one S and one G (blamed on the row of
 * the second). */
static int env_map(yr_t *r, gw_spec_t *g, const yaml_node_t *n, int keyline, int *rows, int *cols,
                   const char *dims_from) {
    free(g->map); /* the preset's, if any: a map given here replaces it */
    g->map = NULL;
    size_t m = yr_key(r, "map");
    if (yr_grid(r, n, keyline, &map_grid, rows, cols, dims_from, &g->map)) return -1;
    yr_restore(r, m);
    for (const char *L = "SG"; *L; L++) {
        const char *a = strchr(g->map, *L), *c = a ? strchr(a + 1, *L) : NULL;
        if (!c) continue;
        int row = (int)(c - g->map) / *cols;
        yr_key(r, "map");
        yr_idx(r, row);
        return yr_fail(r, yr_line(yr_seq_item(r, n, row)),
                       "second '%c' at col %d (the first is at row %d, col %d; a map has at most one %s)",
                       *L, (int)(c - g->map) % *cols, (int)(a - g->map) / *cols, (int)(a - g->map) % *cols,
                       *L == 'S' ? "start" : "goal");
    }
    return 0;
}

/* Size (size: N, or rows: + cols:, or the map's, or the preset's; default
 * 4x4) and map.  dims_buf gets where the size came from, for messages. */
static int env_dims(yr_t *r, gw_spec_t *g, const world_preset_t *w, const yaml_node_t **v, const int *kl,
                    char *dims_buf, size_t dims_bufsz) {
    int rows = -1, cols = -1;
    if (env_size_keys(r, v, kl, &rows, &cols, dims_buf, dims_bufsz)) return -1;
    const char *dims_from = rows >= 0 ? dims_buf : NULL;
    if (w) {
        if (rows >= 0 && check_preset_dims(r, w, v, kl, rows, cols)) return -1;
        rows = w->rows;
        cols = w->cols;
        snprintf(dims_buf, dims_bufsz, "preset: %s, %dx%d", w->name, rows, cols);
        dims_from = dims_buf;
    }
    if (v[E_MAP]) {
        if (env_map(r, g, v[E_MAP], kl[E_MAP], &rows, &cols, dims_from)) return -1;
        snprintf(dims_buf, dims_bufsz, "the map, %dx%d", rows, cols);
    } else if (rows < 0) {
        rows = cols = 4;
        snprintf(dims_buf, dims_bufsz, "the default size 4x4");
    }
    g->rows = rows;
    g->cols = cols;
    return 0;
}

/* start / goal.  Over a preset's own map they move its 'S' / 'G' (both
 * letters are cleared first, so the two may also trade places). */
static int env_ends(yr_t *r, gw_spec_t *g, int preset_map, const yaml_node_t **v, const int *kl) {
    const int keys[2] = {E_START, E_GOAL};
    for (int k = 0; k < 2 && preset_map; k++) {
        char *at = v[keys[k]] ? strchr(g->map, k ? 'G' : 'S') : NULL;
        if (at) *at = 'F';
    }
    for (int k = 0; k < 2; k++) {
        int e = keys[k];
        if (!v[e]) continue;
        size_t m = yr_key(r, env_keys[e]);
        if (read_cell(r, v[e], kl[e], g, k ? 'G' : 'S', k ? &g->goal : &g->start)) return -1;
        yr_restore(r, m);
    }
    return 0;
}

/* obs_noise: a number (eta = 1 - x everywhere) or rows of digits; replaces a
 * preset's map. */
static int env_obs_noise(yr_t *r, gw_spec_t *g, const yaml_node_t *n, int keyline, const char *dims_from) {
    free(g->eta);
    g->eta = NULL;
    g->eta_all = 1.0;
    if (n->type == YAML_SEQUENCE_NODE) {
        char *digits = NULL;
        int rows = g->rows, cols = g->cols;
        if (yr_grid(r, n, keyline, &eta_grid, &rows, &cols, dims_from, &digits)) return -1;
        g->eta = malloc((size_t)g->rows * (size_t)g->cols * sizeof *g->eta);
        if (g->eta)
            for (int s = 0; s < g->rows * g->cols; s++) g->eta[s] = 1.0 - (digits[s] - '0') / 10.0;
        free(digits);
        return g->eta ? 0 : yr_fail(r, keyline, "out of memory");
    }
    double x;
    if (yr_real(r, n, keyline, 0, 1, 0, 0, &x)) return -1;
    g->eta_all = 1.0 - x;
    return 0;
}

/* A real key of an environment, read with its key path. */
static int env_real(yr_t *r, const yaml_node_t **v, const int *kl, int key, double lo, double hi, int hi_open,
                    double *out) {
    if (!v[key]) return 0;
    size_t m = yr_key(r, env_keys[key]);
    if (yr_real(r, v[key], kl[key], lo, hi, 0, hi_open, out)) return -1;
    yr_restore(r, m);
    return 0;
}

/* The scalar keys: slip, noise_radius, max_steps, actions, rewards. */
static int env_scalars(yr_t *r, gw_spec_t *g, const yaml_node_t **v, const int *kl) {
    if (env_real(r, v, kl, E_SLIP, 0, 1, 1, &g->slip)) return -1;
    if (v[E_RADIUS] && env_int(r, v, kl, E_RADIUS, 1, JOB_MAX_SIDE, NULL, &g->noise_radius)) return -1;
    if (v[E_MAXSTEPS] && env_int(r, v, kl, E_MAXSTEPS, 1, 100000, NULL, &g->max_steps)) return -1;
    if (v[E_ACTIONS] &&
        env_int(r, v, kl, E_ACTIONS, 4, 5, "4 or 5 (5 adds the stay action)", &g->n_actions))
        return -1;
    if (env_real(r, v, kl, E_CUE, 0, 1, 0, &g->cue_reliability)) return -1;
    if (v[E_CONTEXTS]) { /* context probabilities: a list, one per goal digit of the map (gw_build checks) */
        const yaml_node_t *n = v[E_CONTEXTS];
        char b[64];
        size_t m = yr_key(r, "contexts");
        long len = n->type == YAML_SEQUENCE_NODE ? yr_seq_len(n) : -1;
        if (len < 2 || len > GW_MAX_CONTEXTS)
            return yr_fail(r, yr_value_line(n, kl[E_CONTEXTS]),
                           "expected a list of 2 to %d context probabilities (one per goal digit of the map), got %s",
                           GW_MAX_CONTEXTS, len < 0 ? yr_describe(n, b, sizeof b) :
                           (snprintf(b, sizeof b, "a list of %ld", len), b));
        for (long i = 0; i < len; i++) {
            size_t mi = yr_idx(r, i);
            if (yr_real(r, yr_seq_item(r, n, i), yr_value_line(n, kl[E_CONTEXTS]), 0, 1, 1, 0, &g->ctx_prob[i]))
                return -1;
            yr_restore(r, mi);
        }
        g->n_ctx_prob = (int)len;
        yr_restore(r, m);
    }
    if (env_real(r, v, kl, E_STEPR, -INFINITY, INFINITY, 0, &g->step_reward)) return -1;
    if (env_real(r, v, kl, E_GOALR, -INFINITY, INFINITY, 0, &g->goal_reward)) return -1;
    return env_real(r, v, kl, E_HOLER, -INFINITY, INFINITY, 0, &g->hole_reward);
}

/* name: given, or the preset's; unique among the environments before it. */
static int env_name(yr_t *r, jobspec_t *job, int i, const yaml_node_t *n, const world_preset_t *w,
                    const yaml_node_t **v, const int *kl) {
    gw_spec_t *g = &job->envs[i];
    size_t m = yr_key(r, "name");
    if (v[E_NAME]) {
        if (want_name(r, v[E_NAME], kl[E_NAME], g->name)) return -1;
    } else if (w) {
        snprintf(g->name, sizeof g->name, "%s", w->name);
    } else {
        return yr_fail(r, yr_line(n),
                       "missing (every environment needs a unique name, or a preset whose name it takes)");
    }
    int name_line = v[E_NAME] ? yr_value_line(v[E_NAME], kl[E_NAME]) : kl[E_PRESET];
    for (int j = 0; j < i; j++)
        if (!strcmp(job->envs[j].name, g->name))
            return yr_fail(r, name_line,
                           "duplicate environment name \"%s\" (also environments[%d] on line %d; names must be "
                           "unique%s)", g->name, j, job->env_line[j],
                           v[E_NAME] ? "" : "; this entry takes its preset's name: give it a name");
    yr_restore(r, m);
    return 0;
}

/* One environment entry (a mapping).  A preset is applied first; every other
 * key given overrides what it set. */
static int parse_env(yr_t *r, void *ctx, long li, const yaml_node_t *n) {
    jobspec_t *job = ctx;
    int i = (int)li;
    gw_spec_t *g = &job->envs[i];
    gw_spec_init(g);
    job->env_line[i] = yr_line(n);
    const yaml_node_t *v[E_N];
    int kl[E_N];
    if (yr_keys(r, n, env_keys, E_N, "an environment", v, kl)) return -1;

    const world_preset_t *w = NULL;
    if (v[E_PRESET]) {
        size_t m = yr_key(r, "preset");
        if (read_preset(r, v[E_PRESET], kl[E_PRESET], &w)) return -1;
        char msg[256];
        if (world_apply(w, g, msg, sizeof msg)) return yr_fail(r, kl[E_PRESET], "%s", msg);
        yr_restore(r, m);
    }
    if (env_name(r, job, i, n, w, v, kl)) return -1;
    char dims[64];
    if (env_dims(r, g, w, v, kl, dims, sizeof dims)) return -1;
    if (env_ends(r, g, w && !v[E_MAP], v, kl)) return -1;
    if (v[E_NOISE]) {
        size_t m = yr_key(r, "obs_noise");
        if (env_obs_noise(r, g, v[E_NOISE], kl[E_NOISE], dims)) return -1;
        yr_restore(r, m);
    }
    return env_scalars(r, g, v, kl);
}

static int begin_envs(void *ctx, long n) {
    jobspec_t *job = ctx;
    job->envs = calloc((size_t)n, sizeof *job->envs);
    job->env_line = calloc((size_t)n, sizeof *job->env_line);
    if (!job->envs || !job->env_line) return -1;
    job->n_envs = (int)n;
    return 0;
}

/* ---- agents ------------------------------------------------------------------------ */

static void list_params(const agent_class_t *c, char *buf, size_t bufsz) {
    const char *names[64];
    int n = 0;
    for (int i = 0; i < c->n_params && n < 64; i++) names[n++] = c->params[i].name;
    yr_join_names(buf, bufsz, names, n);
}

/* An integer parameter: a whole number within the table's range. */
static int param_int(yr_t *r, const param_spec_t *ps, const yaml_node_t *n, int keyline, double *out) {
    char expect[600], b[64];
    yr_range_text(expect, sizeof expect, 1, ps->lo, ps->hi, 0, 0);
    double v;
    long long iv;
    int ok, kind;
    if (yr_number(r, n, keyline, expect, &v, &iv, &ok, &kind)) return -1;
    int line = yr_value_line(n, keyline);
    if (v != floor(v))
        return yr_fail(r, line, "expected %s, got %s (not a whole number)", expect, yr_describe(n, b, sizeof b));
    if (v < ps->lo || v > ps->hi) return yr_fail(r, line, "expected %s, got %s", expect, yr_describe(n, b, sizeof b));
    *out = v;
    return 0;
}

/* A choice parameter: one of its names, stored as the name's index. */
static int param_choice(yr_t *r, const param_spec_t *ps, const yaml_node_t *n, int keyline, double *out) {
    char expect[600], b[64];
    size_t o = (size_t)snprintf(expect, sizeof expect, "one of ");
    for (int i = 0; ps->choices && ps->choices[i] && o < sizeof expect; i++) {
        int k = snprintf(expect + o, sizeof expect - o, "%s%s", i ? ", " : "", ps->choices[i]);
        if (k < 0) break;
        o += (size_t)k;
    }
    int line = yr_value_line(n, keyline);
    int idx = n->type != YAML_SCALAR_NODE || yr_is_null(n) || memchr(yr_text(n), '\0', yr_text_len(n))
                  ? -1 : param_choice_index(ps, yr_text(n));
    if (idx < 0) return yr_fail(r, line, "expected %s, got %s", expect, yr_describe(n, b, sizeof b));
    *out = idx;
    return 0;
}

/* One value of parameter `ps`. */
static int param_value(yr_t *r, const param_spec_t *ps, const yaml_node_t *n, int keyline, double *out) {
    switch (ps->type) {
    case PT_INT: return param_int(r, ps, n, keyline, out);
    case PT_REAL: return yr_real(r, n, keyline, ps->lo, ps->hi, 0, 0, out);
    case PT_BOOL: return yr_bool(r, n, keyline, out);
    case PT_CHOICE: return param_choice(r, ps, n, keyline, out);
    }
    return yr_fail(r, keyline, "internal error: parameter type %d", (int)ps->type);
}

/* A sweep list of values of parameter pi: non-empty, single values, distinct. */
static int param_sweep(yr_t *r, job_agent_t *a, int pi, const yaml_node_t *val, int kline) {
    char b[64];
    const param_spec_t *ps = &a->cls->params[pi];
    long cnt = yr_seq_len(val);
    if (cnt == 0) return yr_fail(r, kline, "empty sweep list (give a value, or a list of at least one value)");
    if (cnt > JOB_MAX_RUNS) return yr_fail(r, kline, "sweep list of %ld values (at most %ld)", cnt, JOB_MAX_RUNS);
    a->values[pi] = malloc((size_t)cnt * sizeof **a->values);
    if (!a->values[pi]) return yr_fail(r, kline, "out of memory");
    a->n_values[pi] = (int)cnt;
    for (long j = 0; j < cnt; j++) {
        const yaml_node_t *it = yr_seq_item(r, val, j);
        size_t m = yr_idx(r, j);
        if (it->type != YAML_SCALAR_NODE)
            return yr_fail(r, yr_line(it), "expected a single value in the sweep list, got %s",
                           yr_describe(it, b, sizeof b));
        if (param_value(r, ps, it, kline, &a->values[pi][j])) return -1;
        yr_restore(r, m);
    }
    long f, sec;
    int dup = yr_find_duplicate(a->values[pi], cnt, &f, &sec);
    if (dup == -2) return yr_fail(r, kline, "out of memory");
    if (dup < 0) return 0;
    char vb[64];
    yr_idx(r, sec);
    fmt_param(ps, a->values[pi][sec], vb, sizeof vb);
    return yr_fail(r, yr_line(yr_seq_item(r, val, sec)), "duplicate value %s in the sweep list (also [%ld] on line %d)",
                   vb, f, yr_line(yr_seq_item(r, val, f)));
}

/* One `name: value` (or `name: [values]`) of an agent's params; pline[] holds
 * the line each parameter was first given on, for the duplicate message. */
static int param_entry(yr_t *r, job_agent_t *a, const yaml_node_t *k, const yaml_node_t *val, int *pline) {
    char b[64];
    int kline = yr_line(k), np = a->cls->n_params;
    if (k->type != YAML_SCALAR_NODE || memchr(yr_text(k), '\0', yr_text_len(k)))
        return yr_fail(r, kline, "parameter names must be plain words, got %s", yr_describe(k, b, sizeof b));
    size_t m = yr_key(r, yr_text(k));
    int pi = agent_param_index(a->cls, yr_text(k));
    if (pi < 0) {
        char list[600];
        if (np == 0) return yr_fail(r, kline, "unknown parameter (%s has no parameters)", a->cls->name);
        list_params(a->cls, list, sizeof list);
        return yr_fail(r, kline, "unknown parameter of %s (parameters: %s)", a->cls->name, list);
    }
    if (a->given[pi])
        return yr_fail(r, kline, "duplicate key (first given on line %d; give each key once)", pline[pi]);
    a->given[pi] = 1;
    pline[pi] = kline;
    if (val->type == YAML_SEQUENCE_NODE) {
        if (param_sweep(r, a, pi, val, kline)) return -1;
    } else {
        a->values[pi] = malloc(sizeof **a->values);
        if (!a->values[pi]) return yr_fail(r, kline, "out of memory");
        a->n_values[pi] = 1;
        if (param_value(r, &a->cls->params[pi], val, kline, &a->values[pi][0])) return -1;
    }
    yr_restore(r, m);
    return 0;
}

/* params: a mapping of parameter: value (or: [values]). */
static int agent_params(yr_t *r, job_agent_t *a, const yaml_node_t *pm, int keyline) {
    char b[64];
    size_t m = yr_key(r, "params");
    if (pm->type != YAML_MAPPING_NODE)
        return yr_fail(r, yr_value_line(pm, keyline), "expected a mapping of parameter: value (or: [values]), got %s",
                       yr_describe(pm, b, sizeof b));
    int np = a->cls->n_params;
    int *pline = calloc((size_t)(np > 0 ? np : 1), sizeof *pline);
    if (!pline) return yr_fail(r, a->line, "out of memory");
    int rc = 0;
    for (yaml_node_pair_t *pr = pm->data.mapping.pairs.start; pr < pm->data.mapping.pairs.top && rc == 0; pr++)
        rc = param_entry(r, a, yaml_document_get_node(&r->doc, pr->key),
                         yaml_document_get_node(&r->doc, pr->value), pline);
    free(pline);
    if (rc == 0) yr_restore(r, m);
    return rc;
}

/* type: one of the known classes (with "did you mean"). */
static int agent_type(yr_t *r, job_agent_t *a, const yaml_node_t *t, int keyline) {
    const agent_class_t *const *cl = classes();
    char known[400], b[64];
    const char *names[64];
    int nn = 0;
    for (int k = 0; cl[k] && nn < 64; k++) names[nn++] = cl[k]->name;
    yr_join_names(known, sizeof known, names, nn);
    size_t m = yr_key(r, "type");
    if (!t) return yr_fail(r, a->line, "missing (the agent class; known: %s)", known);
    const char *s;
    size_t len;
    if (yr_str(r, t, keyline, "an agent type", &s, &len)) return -1;
    a->cls = class_named(s);
    if (!a->cls) {
        const char *best = closest(s, names, nn);
        if (best)
            return yr_fail(r, yr_value_line(t, keyline), "unknown agent type %s; did you mean %s? (known: %s)",
                           yr_describe(t, b, sizeof b), best, known);
        return yr_fail(r, yr_value_line(t, keyline), "unknown agent type %s (known: %s)",
                       yr_describe(t, b, sizeof b), known);
    }
    yr_restore(r, m);
    return 0;
}

/* name: given, or the class's; distinct among the agents before it. */
static int agent_label(yr_t *r, jobspec_t *job, int i, const yaml_node_t **v, const int *kl) {
    job_agent_t *a = &job->agents[i];
    if (v[A_NAME]) {
        size_t m = yr_key(r, "name");
        if (want_name(r, v[A_NAME], kl[A_NAME], a->label)) return -1;
        yr_restore(r, m);
    } else {
        snprintf(a->label, sizeof a->label, "%s", a->cls->name);
    }
    for (int j = 0; j < i; j++)
        if (!strcmp(job->agents[j].label, a->label)) {
            yr_key(r, "name");
            return yr_fail(r, v[A_NAME] ? yr_value_line(v[A_NAME], kl[A_NAME]) : a->line,
                           "duplicate agent name \"%s\" (also agents[%d] on line %d; give each entry a distinct "
                           "name:)", a->label, j, job->agents[j].line);
        }
    return 0;
}

/* Parameters not given take their defaults; the combinations are counted. */
static int agent_combos(yr_t *r, job_agent_t *a) {
    a->n_combos = 1;
    for (int k = 0; k < a->cls->n_params; k++) {
        if (!a->values[k]) {
            a->values[k] = malloc(sizeof **a->values);
            if (!a->values[k]) return yr_fail(r, a->line, "out of memory");
            a->values[k][0] = a->cls->params[k].def;
            a->n_values[k] = 1;
        }
        if ((double)a->n_combos * a->n_values[k] > (double)JOB_MAX_RUNS)
            return yr_fail(r, a->line, "the sweep has more than %ld parameter combinations", JOB_MAX_RUNS);
        a->n_combos *= a->n_values[k];
    }
    return 0;
}

/* One agent entry (a mapping). */
static int parse_agent(yr_t *r, void *ctx, long li, const yaml_node_t *n) {
    jobspec_t *job = ctx;
    int i = (int)li;
    job_agent_t *a = &job->agents[i];
    a->line = yr_line(n);
    a->train_steps = job->train_steps;
    const yaml_node_t *v[A_N];
    int kl[A_N];
    if (yr_keys(r, n, agent_keys, A_N, "an agent", v, kl)) return -1;
    if (agent_type(r, a, v[A_TYPE], kl[A_TYPE])) return -1;
    if (agent_label(r, job, i, v, kl)) return -1;
    if (v[A_TRAIN]) {
        size_t m = yr_key(r, "train_steps");
        long long t;
        if (yr_int(r, v[A_TRAIN], kl[A_TRAIN], 0, JOB_MAX_TRAIN, NULL, &t)) return -1;
        a->train_steps = (long)t;
        yr_restore(r, m);
    }
    size_t np = (size_t)(a->cls->n_params > 0 ? a->cls->n_params : 1);
    a->n_values = calloc(np, sizeof *a->n_values);
    a->values = calloc(np, sizeof *a->values);
    a->given = calloc(np, 1);
    if (!a->n_values || !a->values || !a->given) return yr_fail(r, a->line, "out of memory");
    if (v[A_PARAMS] && !yr_is_null(v[A_PARAMS]) && agent_params(r, a, v[A_PARAMS], kl[A_PARAMS])) return -1;
    return agent_combos(r, a);
}

static int begin_agents(void *ctx, long n) {
    jobspec_t *job = ctx;
    job->agents = calloc((size_t)n, sizeof *job->agents);
    if (!job->agents) return -1;
    job->n_agents = (int)n;
    return 0;
}

/* Parameter values of combination `c` (odometer, last parameter fastest). */
void jobspec_combo_values(const job_agent_t *a, long c, double *pv) {
    for (int k = a->cls->n_params - 1; k >= 0; k--) {
        long nv = a->n_values[k];
        pv[k] = a->values[k][c % nv];
        c /= nv;
    }
}

void jobspec_given_text(const job_agent_t *a, const double *pv, char *buf, size_t bufsz) {
    size_t o = 0;
    buf[0] = '\0';
    for (int k = 0; k < a->cls->n_params && o < bufsz; k++) {
        if (!a->given[k]) continue;
        char vb[64];
        fmt_param(&a->cls->params[k], pv[k], vb, sizeof vb);
        int w = snprintf(buf + o, bufsz - o, "%s%s=%s", o ? ", " : " with ", a->cls->params[k].name, vb);
        if (w < 0) break;
        o += (size_t)w;
    }
}

/* ---- the whole document ---------------------------------------------------------- */

/* The integer keys with a range and a default, then log_episodes (bounded by
 * eval_episodes). */
static int top_ints(yr_t *r, jobspec_t *job, const yaml_node_t **v, const int *kl) {
    static const struct { int key; long long lo, hi, def; } ints[] = {
        {T_TRAIN, 0, JOB_MAX_TRAIN, 10000}, {T_EVAL, 1, 100000, 20}, {T_CKPT, 0, 1000, 1},
        {T_CURVE, 1, 100000, 20}, {T_EFE_CHECKS, 0, 10000, 16}};
    long long iv[T_N];
    for (size_t k = 0; k < sizeof ints / sizeof ints[0]; k++) {
        int key = ints[k].key;
        iv[key] = ints[k].def;
        if (!v[key]) continue;
        size_t m = yr_key(r, top_keys[key]);
        if (yr_int(r, v[key], kl[key], ints[k].lo, ints[k].hi, NULL, &iv[key])) return -1;
        yr_restore(r, m);
    }
    job->train_steps = (long)iv[T_TRAIN];
    job->eval_episodes = (int)iv[T_EVAL];
    job->checkpoints = (int)iv[T_CKPT];
    job->curve_points = (int)iv[T_CURVE];
    job->efe_checks = (int)iv[T_EFE_CHECKS];
    if (!v[T_LOG]) {
        job->log_episodes = job->eval_episodes < 2 ? job->eval_episodes : 2;
        return 0;
    }
    size_t m = yr_key(r, "log_episodes");
    char e[96];
    snprintf(e, sizeof e, "an integer in [0, eval_episodes = %d]", job->eval_episodes);
    if (yr_int32(r, v[T_LOG], kl[T_LOG], 0, job->eval_episodes, e, &job->log_episodes)) return -1;
    yr_restore(r, m);
    return 0;
}

/* name, seed, seeds: the job's identity and its random streams. */
static int top_identity(yr_t *r, jobspec_t *job, const yaml_node_t **v, const int *kl) {
    size_t m;
    if (v[T_NAME]) {
        m = yr_key(r, "name");
        if (want_name(r, v[T_NAME], kl[T_NAME], job->name)) return -1;
        yr_restore(r, m);
    } else {
        default_name(r->path, job->name);
    }
    if (v[T_SEED]) {
        long long t;
        m = yr_key(r, "seed");
        if (yr_int(r, v[T_SEED], kl[T_SEED], 0, LLONG_MAX, NULL, &t)) return -1;
        job->seed = (uint64_t)t;
        yr_restore(r, m);
    }
    if (!v[T_SEEDS]) {
        job->n_seeds = 1;
        return 0;
    }
    m = yr_key(r, "seeds");
    if (parse_seeds(r, job, v[T_SEEDS], kl[T_SEEDS])) return -1;
    yr_restore(r, m);
    return 0;
}

/* output (default NAME.h5) and max_file_gb. */
static int top_output(yr_t *r, jobspec_t *job, const yaml_node_t **v, const int *kl, int topline) {
    size_t m;
    if (v[T_OUTPUT]) {
        m = yr_key(r, "output");
        const char *s;
        size_t len;
        if (yr_str(r, v[T_OUTPUT], kl[T_OUTPUT], "a file path", &s, &len)) return -1;
        if (len > 4000)
            return yr_fail(r, yr_value_line(v[T_OUTPUT], kl[T_OUTPUT]), "path of %zu characters is too long", len);
        job->output = strdup(s);
        yr_restore(r, m);
    } else {
        job->output = malloc(strlen(job->name) + 4);
        if (job->output) sprintf(job->output, "%s.h5", job->name);
    }
    if (!job->output) return yr_fail(r, topline, "out of memory");
    job->max_file_gb = 50;
    if (v[T_MAXGB]) {
        m = yr_key(r, "max_file_gb");
        if (yr_real(r, v[T_MAXGB], kl[T_MAXGB], 0, INFINITY, 1, 0, &job->max_file_gb)) return -1;
        yr_restore(r, m);
    }
    return 0;
}

static const yr_list_t env_list = {"environments", "an environment (name: ..., size: ...)", JOB_MAX_ENTRIES,
                                   begin_envs, parse_env};
static const yr_list_t agent_list = {"agents", "an agent (type: ..., params: ...)", JOB_MAX_ENTRIES,
                                     begin_agents, parse_agent};

static int parse_document(yr_t *r, jobspec_t *job, const yaml_node_t *root) {
    char b[64];
    if (root->type != YAML_MAPPING_NODE)
        return yr_fail(r, yr_line(root),
                       "the top level is %s (expected a mapping with keys such as name, environments, agents)",
                       yr_describe(root, b, sizeof b));
    const yaml_node_t *v[T_N];
    int kl[T_N];
    if (yr_keys(r, root, top_keys, T_N, "the job", v, kl)) return -1;
    int topline = yr_line(root);
    if (top_identity(r, job, v, kl) || top_ints(r, job, v, kl) || top_output(r, job, v, kl, topline)) return -1;
    if (yr_each_mapping(r, v[T_ENVS], kl[T_ENVS], topline, &env_list, job)) return -1;
    if (yr_each_mapping(r, v[T_AGENTS], kl[T_AGENTS], topline, &agent_list, job)) return -1;
    /* The run count, before anything expensive.  seeds: N is kept as a count
     * (jobspec_seed gives 0..N-1), so a huge one costs no memory before the
     * size guard has looked at it. */
    double runs = 0;
    for (int a = 0; a < job->n_agents; a++) runs += (double)job->agents[a].n_combos * job->n_envs;
    runs *= job->n_seeds;
    if (runs > (double)JOB_MAX_RUNS)
        return yr_fail(r, topline, "the job expands to %.0f runs (at most %ld; split it into several jobs)", runs,
                       JOB_MAX_RUNS);
    return 0;
}

/* The schema alone: the document read into job (which owns copies of path
 * and text on success).  0 or -1. */
static int parse_schema(jobspec_t *job, const char *path, const char *text, size_t len, char *err,
                        size_t errlen) {
    yr_t r;
    const yaml_node_t *root = NULL;
    int rc;
    if (len > JOB_MAX_BYTES) {
        yr_init(&r, path, text, len, err, errlen);
        return yr_fail(&r, 1, "the file is %zu bytes (job files are limited to %u bytes, the text the results "
                              "file keeps in its job_yaml attribute)", len, JOB_MAX_BYTES);
    }
    rc = yr_open(&r, path, text, len, JOB_MAX_NESTING, &root, err, errlen);
    if (rc == 0 && !root)
        rc = yr_fail(&r, 1, "the file is empty (expected a mapping with at least environments: and agents:)");
    if (rc == 0) rc = parse_document(&r, job, root);
    yr_close(&r);
    if (rc != 0) return -1;
    job->path = strdup(path);
    job->text = malloc(len + 1);
    if (!job->path || !job->text) {
        if (err && errlen) snprintf(err, errlen, "%s: out of memory", path);
        return -1;
    }
    memcpy(job->text, text, len);
    job->text[len] = '\0';
    job->text_len = len;
    sha256_hex(text, len, job->sha256);
    return 0;
}

int jobspec_read(jobspec_t *job, const char *path, const char *text, size_t len, char *err, size_t errlen) {
    memset(job, 0, sizeof *job);
    if (err && errlen) err[0] = '\0';
    if (!path) path = "(job)";
    if (parse_schema(job, path, text, len, err, errlen) == 0) return 0;
    jobspec_free(job);
    return -1;
}

void jobspec_free(jobspec_t *job) {
    if (!job) return;
    free(job->path);
    free(job->text);
    free(job->seeds);
    free(job->output);
    if (job->envs)
        for (int i = 0; i < job->n_envs; i++) {
            free(job->envs[i].map);
            free(job->envs[i].eta);
        }
    free(job->envs);
    free(job->env_line);
    if (job->agents)
        for (int i = 0; i < job->n_agents; i++) {
            job_agent_t *a = &job->agents[i];
            if (a->values && a->cls)
                for (int k = 0; k < a->cls->n_params; k++) free(a->values[k]);
            free(a->values);
            free(a->n_values);
            free(a->given);
        }
    free(job->agents);
    memset(job, 0, sizeof *job);
}

/* ---- files ------------------------------------------------------------------------ */

job_status_t jobspec_read_file(const char *path, char **text, size_t *len, char *err, size_t errlen) {
    switch (yr_read_file(path, JOB_MAX_BYTES, text, len, err, errlen)) {
    case YR_READ_OK: return JOB_OK;
    case YR_READ_BAD: return JOB_ERR_FILE;
    default: return JOB_ERR_IO;
    }
}

/* ---- expansion -------------------------------------------------------------------- */

int64_t jobspec_seed(const jobspec_t *job, int s) { return job->seeds ? job->seeds[s] : (int64_t)s; }

long jobspec_run_count(const jobspec_t *job) {
    long n = 0;
    for (int a = 0; a < job->n_agents; a++) n += job->agents[a].n_combos * (long)job->n_envs;
    return n * job->n_seeds;
}

int jobspec_expand(const jobspec_t *job, runlist_t *rl, char *err, size_t errlen) {
    memset(rl, 0, sizeof *rl);
    double n_cond = 0, n_pool = 0;
    for (int a = 0; a < job->n_agents; a++) {
        n_cond += (double)job->agents[a].n_combos * job->n_envs;
        n_pool += (double)job->agents[a].n_combos * job->n_envs * job->agents[a].cls->n_params;
    }
    double n_runs = n_cond * job->n_seeds;
    if (n_runs > (double)JOB_MAX_RUNS) {
        snprintf(err, errlen, "%s: the job expands to %.0f runs (at most %ld; split it into several jobs)",
                 job->path ? job->path : "job", n_runs, JOB_MAX_RUNS);
        return -1;
    }
    rl->runs = malloc((size_t)(n_runs > 0 ? n_runs : 1) * sizeof *rl->runs);
    rl->pool = malloc((size_t)(n_pool > 0 ? n_pool : 1) * sizeof *rl->pool);
    if (!rl->runs || !rl->pool) {
        runlist_free(rl);
        snprintf(err, errlen, "%s: out of memory expanding %.0f runs", job->path ? job->path : "job", n_runs);
        return -1;
    }
    long run = 0, cond = 0;
    size_t off = 0;
    for (int a = 0; a < job->n_agents; a++) {
        const job_agent_t *ag = &job->agents[a];
        for (int e = 0; e < job->n_envs; e++)
            for (long c = 0; c < ag->n_combos; c++, cond++) {
                double *pv = rl->pool + off;
                jobspec_combo_values(ag, c, pv);
                off += (size_t)ag->cls->n_params;
                for (int s = 0; s < job->n_seeds; s++, run++) {
                    run_t *r = &rl->runs[run];
                    r->run_id = run;
                    r->condition = cond;
                    r->agent = a;
                    r->env = e;
                    r->seed_index = s;
                    r->seed = jobspec_seed(job, s);
                    r->combo = c;
                    r->pv = pv;
                }
            }
    }
    rl->n = run;
    rl->n_conditions = cond;
    return 0;
}

void runlist_free(runlist_t *rl) {
    if (!rl) return;
    free(rl->runs);
    free(rl->pool);
    memset(rl, 0, sizeof *rl);
}

int jobspec_max_steps(const jobspec_t *job) {
    int m = 0;
    for (int e = 0; e < job->n_envs; e++)
        if (job->envs[e].max_steps > m) m = job->envs[e].max_steps;
    return m;
}

int jobspec_max_contexts(const jobspec_t *job) {
    int m = 1;
    for (int e = 0; e < job->n_envs; e++)
        if (gw_spec_contexts(&job->envs[e]) > m) m = gw_spec_contexts(&job->envs[e]);
    return m;
}

int jobspec_max_actions(const jobspec_t *job) {
    int m = 0;
    for (int e = 0; e < job->n_envs; e++)
        if (job->envs[e].n_actions > m) m = job->envs[e].n_actions;
    return m;
}
