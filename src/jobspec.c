/* jobspec: the YAML job file (libyaml's document API), validated against the
 * schema below, and its expansion into the ordered run list.
 *
 * The parser stops at the first error and reports it on one line:
 *   PATH:LINE: KEY.PATH: what is wrong (what is expected)
 * YAML itself is read strictly: plain scalars are typed by their text (YAML 1.2
 * core schema numbers, `true`/`false`), quoted scalars are always strings, and
 * everything YAML 1.1 and 1.2 read differently is refused rather than guessed
 * (yes/no/on/off, integers with leading zeros, explicit tags).  The schema is
 * documented for users in jobs/README.md; keep the two in step. */
#include "jobspec.h"
#include "env.h"
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <yaml.h>
#include "sha256.h"
#include "worlds.h"

#define JOB_MAX_BYTES   (16u * 1024u * 1024u)
#define JOB_MAX_RUNS    100000000L
#define JOB_MAX_SIDE    256
#define JOB_MAX_TRAIN   1000000000LL
#define JOB_NAME_MAX    63
#define JOB_MAX_NESTING 1000

/* ---- agent class lookup (the registry, or a test's list) ------------------------ */

static const agent_class_t *const *class_list = agent_classes;

void jobspec_use_agent_classes(const agent_class_t *const *classes) {
    class_list = classes ? classes : agent_classes;
}

static const agent_class_t *find_class(const char *name) {
    for (int i = 0; class_list[i]; i++)
        if (strcmp(class_list[i]->name, name) == 0) return class_list[i];
    return NULL;
}

/* ---- parser state and error reporting ------------------------------------------- */

typedef struct {
    const char *path;
    const char *text;
    size_t len;
    yaml_document_t *doc;
    char *err;
    size_t errlen;
    char kp[320];              /* key path of what is being read, e.g. agents[1].params.alpha */
    size_t kpn;
    unsigned char **given;     /* [n_agents][n_params]: parameter set in the file */
} parser_t;

/* Writes `PATH:LINE: KEYPATH: message` into p->err (one line) and returns -1. */
static int fail(parser_t *p, int line, const char *fmt, ...) {
    if (!p->err || p->errlen == 0) return -1;
    char msg[1536];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (p->kpn)
        snprintf(p->err, p->errlen, "%s:%d: %s: %s", p->path, line, p->kp, msg);
    else
        snprintf(p->err, p->errlen, "%s:%d: %s", p->path, line, msg);
    for (char *c = p->err; *c; c++)
        if (*c == '\n' || *c == '\r') *c = ' ';
    return -1;
}

/* Key path: append ".key" (or "key" at the top) / "[i]"; both return the old
 * length for kp_restore. */
static size_t kp_key(parser_t *p, const char *key) {
    size_t old = p->kpn, o = p->kpn, cap = sizeof p->kp - 4;
    if (o && o < cap) p->kp[o++] = '.';
    for (size_t i = 0; key[i] && i < 48 && o < cap; i++) { /* user text: keep it printable */
        unsigned char c = (unsigned char)key[i];
        if (c == '\n') { p->kp[o++] = '\\'; p->kp[o++] = 'n'; }
        else p->kp[o++] = c < 32 || c == 127 ? '?' : (char)c;
    }
    p->kp[o] = '\0';
    p->kpn = o;
    return old;
}

static size_t kp_idx(parser_t *p, long i) {
    size_t old = p->kpn;
    int k = snprintf(p->kp + p->kpn, sizeof p->kp - p->kpn, "[%ld]", i);
    if (k > 0) p->kpn = strnlen(p->kp, sizeof p->kp - 1);
    return old;
}

static void kp_restore(parser_t *p, size_t n) {
    p->kpn = n;
    p->kp[n] = '\0';
}

/* ---- nodes ------------------------------------------------------------------------ */

static yaml_node_t *node_at(const parser_t *p, int id) { return yaml_document_get_node(p->doc, id); }
static int node_line(const yaml_node_t *n) { return (int)n->start_mark.line + 1; }
static const char *sval(const yaml_node_t *n) { return (const char *)n->data.scalar.value; }
static size_t slen(const yaml_node_t *n) { return n->data.scalar.length; }
static int is_plain(const yaml_node_t *n) {
    return n->type == YAML_SCALAR_NODE && n->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
}

static int is_null(const yaml_node_t *n) {
    if (!is_plain(n)) return 0;
    const char *s = sval(n);
    return slen(n) == 0 || !strcmp(s, "~") || !strcmp(s, "null") || !strcmp(s, "Null") ||
           !strcmp(s, "NULL");
}

/* The line to blame for a value: its own, unless it is empty (then the key's). */
static int value_line(const yaml_node_t *n, int keyline) {
    if ((n->type == YAML_SCALAR_NODE && slen(n) > 0) || keyline <= 0) return node_line(n);
    return keyline;
}

static long seq_len(const yaml_node_t *n) {
    return (long)(n->data.sequence.items.top - n->data.sequence.items.start);
}
static yaml_node_t *seq_item(const parser_t *p, const yaml_node_t *n, long i) {
    return node_at(p, n->data.sequence.items.start[i]);
}

/* Text for messages: quoted, control characters escaped, long text cut. */
static void quote_text(const char *s, size_t len, char *buf, size_t bufsz) {
    size_t o = 0;
    if (bufsz < 8) { if (bufsz) buf[0] = '\0'; return; }
    buf[o++] = '"';
    for (size_t i = 0; i < len; i++) {
        if (o + 8 >= bufsz || i >= 40) {
            memcpy(buf + o, "...", 3);
            o += 3;
            break;
        }
        unsigned char c = (unsigned char)s[i];
        if (c == '\n') { buf[o++] = '\\'; buf[o++] = 'n'; }
        else if (c == '\t') { buf[o++] = '\\'; buf[o++] = 't'; }
        else if (c == '"' || c == '\\') { buf[o++] = '\\'; buf[o++] = (char)c; }
        else if (c < 32 || c == 127) o += (size_t)snprintf(buf + o, bufsz - o, "\\x%02x", c);
        else buf[o++] = (char)c;
    }
    buf[o++] = '"';
    buf[o] = '\0';
}

/* What a value is, for "got ..." */
static const char *describe(const yaml_node_t *n, char *buf, size_t bufsz) {
    switch (n->type) {
    case YAML_MAPPING_NODE: return "a mapping";
    case YAML_SEQUENCE_NODE:
        return n->data.sequence.items.top == n->data.sequence.items.start ? "an empty list" : "a list";
    case YAML_SCALAR_NODE:
        if (is_null(n)) return slen(n) == 0 ? "nothing (an empty value)" : "null";
        quote_text(sval(n), slen(n), buf, bufsz);
        return buf;
    default: return "nothing";
    }
}

/* Numbers in messages: integers without exponent, others in %g. */
static const char *fmt_num(double v, char *buf, size_t bufsz) {
    if (isinf(v)) snprintf(buf, bufsz, "%s", v > 0 ? "inf" : "-inf");
    else if (v == floor(v) && fabs(v) < 1e15) snprintf(buf, bufsz, "%.0f", v);
    else snprintf(buf, bufsz, "%.15g", v);
    return buf;
}

/* A parameter value for messages (reals as %.15g: 0.1, not 0.10000000000000001). */
static void fmt_param(const param_spec_t *ps, double v, char *buf, int bufsz) {
    if (ps->type == PT_REAL) fmt_num(v, buf, (size_t)bufsz);
    else param_format(ps, v, buf, bufsz);
}

/* ---- scalars: numbers, integers, booleans, strings --------------------------------- */

enum { NUM_NONE, NUM_INT, NUM_REAL, NUM_INF, NUM_NAN, NUM_LEADZERO };

/* YAML 1.2 core-schema number syntax (plus exponents without a dot, 1e-3). */
static int scan_number(const char *s, size_t len, double *v, long long *iv, int *iv_ok) {
    size_t i = 0;
    int neg = 0;
    *iv_ok = 0;
    if (memchr(s, '\0', len)) return NUM_NONE;
    if (i < len && (s[i] == '+' || s[i] == '-')) neg = s[i++] == '-';
    if (len - i == 4 && s[i] == '.') {
        const char *w = s + i + 1;
        if (!strncmp(w, "inf", 3) || !strncmp(w, "Inf", 3) || !strncmp(w, "INF", 3)) {
            *v = neg ? -INFINITY : INFINITY;
            return NUM_INF;
        }
        if (!strncmp(w, "nan", 3) || !strncmp(w, "NaN", 3) || !strncmp(w, "NAN", 3)) {
            *v = NAN;
            return NUM_NAN;
        }
    }
    size_t d0 = i;
    while (i < len && s[i] >= '0' && s[i] <= '9') i++;
    size_t nd1 = i - d0, nd2 = 0;
    int integer = 1;
    if (i < len && s[i] == '.') {
        integer = 0;
        size_t d = ++i;
        while (i < len && s[i] >= '0' && s[i] <= '9') i++;
        nd2 = i - d;
    }
    if (nd1 + nd2 == 0) return NUM_NONE;
    if (i < len && (s[i] == 'e' || s[i] == 'E')) {
        integer = 0;
        i++;
        if (i < len && (s[i] == '+' || s[i] == '-')) i++;
        size_t d = i;
        while (i < len && s[i] >= '0' && s[i] <= '9') i++;
        if (i == d) return NUM_NONE;
    }
    if (i != len) return NUM_NONE;
    *v = strtod(s, NULL);
    if (integer) {
        if (nd1 > 1 && s[d0] == '0') return NUM_LEADZERO;
        errno = 0;
        *iv = strtoll(s, NULL, 10);
        *iv_ok = errno != ERANGE;
        return NUM_INT;
    }
    return NUM_REAL;
}

/* A finite number from a plain scalar.  `expect` says what was wanted ("a
 * number in [0, 1)") for the message. */
static int get_number(parser_t *p, const yaml_node_t *n, int keyline, const char *expect,
                      double *v, long long *iv, int *iv_ok, int *kind) {
    char b[64];
    int line = value_line(n, keyline);
    if (n->type != YAML_SCALAR_NODE || is_null(n))
        return fail(p, line, "expected %s, got %s", expect, describe(n, b, sizeof b));
    *kind = scan_number(sval(n), slen(n), v, iv, iv_ok);
    if (!is_plain(n)) {
        if (*kind != NUM_NONE)
            return fail(p, line, "expected %s, got the string %s (remove the quotes)", expect,
                        describe(n, b, sizeof b));
        return fail(p, line, "expected %s, got %s", expect, describe(n, b, sizeof b));
    }
    switch (*kind) {
    case NUM_INT: case NUM_REAL: return 0;
    case NUM_INF: case NUM_NAN:
        return fail(p, line, "expected %s, got %s (not a finite number)", expect, describe(n, b, sizeof b));
    case NUM_LEADZERO:
        return fail(p, line, "expected %s, got %s (leading zeros are ambiguous in YAML; drop them)",
                    expect, describe(n, b, sizeof b));
    default:
        return fail(p, line, "expected %s, got %s", expect, describe(n, b, sizeof b));
    }
}

static void range_text(char *buf, size_t bufsz, int integer, double lo, double hi, int lo_open,
                       int hi_open) {
    char a[40], c[40];
    const char *what = integer ? "an integer" : "a number";
    if (isinf(lo) && isinf(hi)) snprintf(buf, bufsz, "%s", integer ? "an integer" : "a finite number");
    else if (isinf(hi)) snprintf(buf, bufsz, "%s %s %s", what, lo_open ? ">" : ">=", fmt_num(lo, a, sizeof a));
    else if (isinf(lo)) snprintf(buf, bufsz, "%s %s %s", what, hi_open ? "<" : "<=", fmt_num(hi, c, sizeof c));
    else snprintf(buf, bufsz, "%s in %c%s, %s%c", what, lo_open ? '(' : '[', fmt_num(lo, a, sizeof a),
                  fmt_num(hi, c, sizeof c), hi_open ? ')' : ']');
}

static int want_real(parser_t *p, const yaml_node_t *n, int keyline, double lo, double hi,
                     int lo_open, int hi_open, double *out) {
    char expect[128], b[64];
    range_text(expect, sizeof expect, 0, lo, hi, lo_open, hi_open);
    double v;
    long long iv;
    int ok, kind;
    if (get_number(p, n, keyline, expect, &v, &iv, &ok, &kind)) return -1;
    if (v < lo || v > hi || (lo_open && v == lo) || (hi_open && v == hi))
        return fail(p, value_line(n, keyline), "expected %s, got %s", expect, describe(n, b, sizeof b));
    *out = v;
    return 0;
}

/* An integer in [lo, hi]; 3.0 and 1e6 count (integral), 2.5 does not.
 * `expect` overrides the generated description when non-NULL. */
static int want_int(parser_t *p, const yaml_node_t *n, int keyline, long long lo, long long hi,
                    const char *expect, long long *out) {
    char gen[128], b[64];
    if (!expect) {
        range_text(gen, sizeof gen, 1, (double)lo, hi == LLONG_MAX ? INFINITY : (double)hi, 0, 0);
        expect = gen;
    }
    double v;
    long long iv = 0;
    int ok, kind;
    if (get_number(p, n, keyline, expect, &v, &iv, &ok, &kind)) return -1;
    int line = value_line(n, keyline);
    if (kind == NUM_REAL) {
        if (v != floor(v))
            return fail(p, line, "expected %s, got %s (not a whole number)", expect, describe(n, b, sizeof b));
        if (fabs(v) > 9007199254740992.0)
            return fail(p, line, "expected %s, got %s (too large to be exact; write all the digits)",
                        expect, describe(n, b, sizeof b));
        iv = (long long)v;
    } else if (!ok) {
        return fail(p, line, "expected %s, got %s (out of range)", expect, describe(n, b, sizeof b));
    }
    if (iv < lo || iv > hi) return fail(p, line, "expected %s, got %s", expect, describe(n, b, sizeof b));
    *out = iv;
    return 0;
}

static int want_int32(parser_t *p, const yaml_node_t *n, int keyline, int lo, int hi,
                      const char *expect, int *out) {
    long long v;
    if (want_int(p, n, keyline, lo, hi, expect, &v)) return -1;
    *out = (int)v;
    return 0;
}

/* Booleans are exactly true/false (YAML 1.1's yes/no/on/off are refused: the
 * same text would read differently in other tools). */
static int want_bool(parser_t *p, const yaml_node_t *n, int keyline, double *out) {
    char b[64];
    int line = value_line(n, keyline);
    if (is_plain(n) && !is_null(n)) {
        const char *s = sval(n);
        if (!strcmp(s, "true") || !strcmp(s, "True") || !strcmp(s, "TRUE")) { *out = 1; return 0; }
        if (!strcmp(s, "false") || !strcmp(s, "False") || !strcmp(s, "FALSE")) { *out = 0; return 0; }
        static const char *const yaml11[] = {"yes", "no", "on", "off", "y", "n", "Yes", "No", "On",
                                             "Off", "YES", "NO", "ON", "OFF", "Y", "N", NULL};
        for (int i = 0; yaml11[i]; i++)
            if (!strcmp(s, yaml11[i]))
                return fail(p, line, "expected true or false, got %s (yes/no/on/off are not accepted)",
                            describe(n, b, sizeof b));
    }
    if (n->type == YAML_SCALAR_NODE && !is_plain(n))
        return fail(p, line, "expected true or false, got the string %s (remove the quotes)",
                    describe(n, b, sizeof b));
    return fail(p, line, "expected true or false, got %s", describe(n, b, sizeof b));
}

/* A non-empty string scalar (quoted or plain) without NUL characters. */
static int want_str(parser_t *p, const yaml_node_t *n, int keyline, const char *expect,
                    const char **s, size_t *len) {
    char b[64];
    int line = value_line(n, keyline);
    if (n->type != YAML_SCALAR_NODE || is_null(n) || slen(n) == 0)
        return fail(p, line, "expected %s, got %s", expect, describe(n, b, sizeof b));
    if (memchr(sval(n), '\0', slen(n)))
        return fail(p, line, "expected %s, got a string with a NUL character", expect);
    *s = sval(n);
    *len = slen(n);
    return 0;
}

static int name_char_ok(char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '.' || c == '-';
}

/* Names (job, environment, agent label): [A-Za-z0-9_.-]+, at most 63 characters,
 * so they are safe in file names, HDF5 strings and command lines. */
static int want_name(parser_t *p, const yaml_node_t *n, int keyline, char out[64]) {
    const char *expect = "a name of 1 to 63 characters from A-Z a-z 0-9 _ . -";
    const char *s;
    size_t len;
    char b[64];
    if (want_str(p, n, keyline, expect, &s, &len)) return -1;
    int line = value_line(n, keyline);
    if (len > JOB_NAME_MAX)
        return fail(p, line, "expected %s, got %zu characters", expect, len);
    for (size_t i = 0; i < len; i++)
        if (!name_char_ok(s[i]))
            return fail(p, line, "expected %s, got %s", expect, describe(n, b, sizeof b));
    memcpy(out, s, len);
    out[len] = '\0';
    return 0;
}

/* ---- mappings with a fixed set of keys ------------------------------------------ */

/* Levenshtein distance, capped (for "did you mean"). */
static int edit_distance(const char *a, const char *b) {
    size_t la = strlen(a), lb = strlen(b);
    if (la > 40 || lb > 40) return 99;
    int d[41][41];
    for (size_t i = 0; i <= la; i++) d[i][0] = (int)i;
    for (size_t j = 0; j <= lb; j++) d[0][j] = (int)j;
    for (size_t i = 1; i <= la; i++)
        for (size_t j = 1; j <= lb; j++) {
            int c = d[i - 1][j - 1] + (a[i - 1] != b[j - 1]);
            if (d[i - 1][j] + 1 < c) c = d[i - 1][j] + 1;
            if (d[i][j - 1] + 1 < c) c = d[i][j - 1] + 1;
            d[i][j] = c;
        }
    return d[la][lb];
}

static void join_names(char *buf, size_t bufsz, const char *const *names, int n) {
    size_t o = 0;
    buf[0] = '\0';
    for (int i = 0; i < n && o < bufsz; i++) {
        int k = snprintf(buf + o, bufsz - o, "%s%s", i ? ", " : "", names[i]);
        if (k < 0) break;
        o += (size_t)k;
    }
}

/* Checks a mapping's keys against `allowed` (n of them): every key a known
 * scalar, none twice.  vals[i]/lines[i] get the value node and key line of
 * allowed[i] (NULL/0 if absent).  `what` names the mapping in messages. */
static int read_keys(parser_t *p, const yaml_node_t *map, const char *const *allowed, int n,
                     const char *what, yaml_node_t **vals, int *lines) {
    for (int i = 0; i < n; i++) { vals[i] = NULL; lines[i] = 0; }
    for (yaml_node_pair_t *pr = map->data.mapping.pairs.start; pr < map->data.mapping.pairs.top; pr++) {
        yaml_node_t *k = node_at(p, pr->key), *v = node_at(p, pr->value);
        int kl = node_line(k);
        char b[64];
        if (k->type != YAML_SCALAR_NODE || memchr(sval(k), '\0', slen(k)))
            return fail(p, kl, "keys must be plain words, got %s as a key of %s", describe(k, b, sizeof b), what);
        const char *key = sval(k);
        int idx = -1;
        for (int i = 0; i < n; i++)
            if (!strcmp(key, allowed[i])) { idx = i; break; }
        size_t m = kp_key(p, key);
        if (idx < 0) {
            char list[600];
            join_names(list, sizeof list, allowed, n);
            if (!strcmp(key, "<<"))
                return fail(p, kl, "YAML merge keys are not supported (allowed keys of %s: %s)", what, list);
            int best = -1, bestd = 3;
            for (int i = 0; i < n; i++) {
                int d = edit_distance(key, allowed[i]);
                if (d < bestd && d < (int)strlen(allowed[i])) { bestd = d; best = i; }
            }
            if (best >= 0)
                return fail(p, kl, "unknown key in %s; did you mean %s? (allowed: %s)", what, allowed[best], list);
            return fail(p, kl, "unknown key in %s (allowed: %s)", what, list);
        }
        if (vals[idx])
            return fail(p, kl, "duplicate key (first given on line %d; give each key once)", lines[idx]);
        kp_restore(p, m);
        vals[idx] = v;
        lines[idx] = kl;
    }
    return 0;
}

/* ---- duplicate detection in lists (sorting, so long lists stay cheap) ---------- */

typedef struct { double v; long i; } vi_t;

static int vi_cmp(const void *a, const void *b) {
    const vi_t *x = a, *y = b;
    if (x->v < y->v) return -1;
    if (x->v > y->v) return 1;
    return x->i < y->i ? -1 : x->i > y->i;
}

/* Index pair (first, second) of a duplicated value, or -1. */
static int find_duplicate(const double *v, long n, long *first, long *second) {
    if (n < 2) return -1;
    vi_t *t = malloc((size_t)n * sizeof *t);
    if (!t) return -2;
    for (long i = 0; i < n; i++) { t[i].v = v[i]; t[i].i = i; }
    qsort(t, (size_t)n, sizeof *t, vi_cmp);
    int found = -1;
    *second = LONG_MAX;
    /* Report the earliest second occurrence in file order. */
    for (long i = 1; i < n; i++)
        if (t[i].v == t[i - 1].v) {
            long run0 = i - 1;
            while (run0 > 0 && t[run0 - 1].v == t[i].v) run0--;
            if (t[i].i < *second) { *second = t[i].i; *first = t[run0].i; found = 0; }
        }
    free(t);
    return found;
}

/* ---- top level ------------------------------------------------------------------- */

enum { T_NAME, T_SEED, T_SEEDS, T_TRAIN, T_EVAL, T_LOG, T_CKPT, T_CURVE, T_OUTPUT, T_MAXGB,
       T_ENVS, T_AGENTS, T_EFE_CHECKS, T_N };
static const char *const top_keys[T_N] = {
    "name", "seed", "seeds", "train_steps", "eval_episodes", "log_episodes", "checkpoints",
    "curve_points", "output", "max_file_gb", "environments", "agents", "efe_checks"};

enum { E_NAME, E_SIZE, E_ROWS, E_COLS, E_MAP, E_START, E_GOAL, E_SLIP, E_NOISE, E_RADIUS,
       E_MAXSTEPS, E_ACTIONS, E_STEPR, E_GOALR, E_HOLER, E_PRESET, E_N };
static const char *const env_keys[E_N] = {
    "name", "size", "rows", "cols", "map", "start", "goal", "slip", "obs_noise", "noise_radius",
    "max_steps", "actions", "step_reward", "goal_reward", "hole_reward", "preset"};

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

typedef struct { int64_t v; long i; } seed_ix_t;

static int seed_cmp(const void *a, const void *b) {
    const seed_ix_t *x = a, *y = b;
    if (x->v != y->v) return x->v < y->v ? -1 : 1;
    return x->i < y->i ? -1 : x->i > y->i;
}

static int parse_seeds(parser_t *p, jobspec_t *job, const yaml_node_t *n, int keyline) {
    const char *expect = "a positive number of seeds, or a non-empty list of distinct integers >= 0";
    char b[64];
    if (n->type == YAML_SCALAR_NODE) {
        long long k;
        if (want_int(p, n, keyline, 1, JOB_MAX_RUNS, expect, &k)) return -1;
        job->n_seeds = (int)k; /* job->seeds (0..k-1) is filled once the run count is known to be sane */
        return 0;
    }
    if (n->type != YAML_SEQUENCE_NODE || seq_len(n) == 0)
        return fail(p, value_line(n, keyline), "expected %s, got %s", expect, describe(n, b, sizeof b));
    long cnt = seq_len(n);
    if (cnt > JOB_MAX_RUNS)
        return fail(p, keyline, "%ld seeds (at most %ld)", cnt, JOB_MAX_RUNS);
    job->seeds = malloc((size_t)cnt * sizeof *job->seeds);
    if (!job->seeds) return fail(p, keyline, "out of memory for %ld seeds", cnt);
    job->n_seeds = (int)cnt;
    for (long i = 0; i < cnt; i++) {
        size_t m = kp_idx(p, i);
        long long v;
        yaml_node_t *it = seq_item(p, n, i);
        if (want_int(p, it, node_line(it), 0, LLONG_MAX, "a seed (an integer >= 0)", &v)) return -1;
        kp_restore(p, m);
        job->seeds[i] = v;
    }
    /* Sorted copies of (value, index) find a duplicate in O(n log n). */
    seed_ix_t *t = malloc((size_t)cnt * sizeof *t);
    if (!t) return fail(p, keyline, "out of memory checking seeds");
    for (long i = 0; i < cnt; i++) { t[i].v = job->seeds[i]; t[i].i = i; }
    qsort(t, (size_t)cnt, sizeof *t, seed_cmp);
    long first = -1, second = LONG_MAX;
    for (long i = 1; i < cnt; i++) /* the earliest second occurrence in file order */
        if (t[i].v == t[i - 1].v && t[i].i < second) {
            long r0 = i - 1;
            while (r0 > 0 && t[r0 - 1].v == t[i].v) r0--;
            second = t[i].i;
            first = t[r0].i;
        }
    free(t);
    if (first < 0) return 0;
    kp_idx(p, second);
    return fail(p, node_line(seq_item(p, n, second)),
                "duplicate seed %lld (also seeds[%ld] on line %d; seeds must be distinct)",
                (long long)job->seeds[second], first, node_line(seq_item(p, n, first)));
}

/* ---- environments ---------------------------------------------------------------- */

/* Rows of `rows` strings of `cols` characters (map letters or obs_noise digits).
 * *rows / *cols < 0 means "not fixed yet: take it from the list". */
static int read_grid_rows(parser_t *p, const yaml_node_t *n, int keyline, int is_map,
                          int *rows, int *cols, const char *dims_from, char **out) {
    char b[64];
    const char *expect = is_map ? "a list of map rows (strings of S F H G #)"
                                        : "a number in [0, 1], or a list of rows of digits 0-9";
    if (n->type != YAML_SEQUENCE_NODE || seq_len(n) == 0)
        return fail(p, value_line(n, keyline), "expected %s, got %s", expect, describe(n, b, sizeof b));
    long nr = seq_len(n);
    if (*rows >= 0 && nr != *rows)
        return fail(p, keyline, "has %ld rows, expected %d (from %s)", nr, *rows, dims_from);
    if (nr > JOB_MAX_SIDE)
        return fail(p, keyline, "has %ld rows (at most %d)", nr, JOB_MAX_SIDE);
    int width = *cols;
    const char *width_from = dims_from;
    char *grid = NULL;
    for (long r = 0; r < nr; r++) {
        yaml_node_t *it = seq_item(p, n, r);
        int line = node_line(it);
        size_t m = kp_idx(p, r);
        const char *s;
        size_t len;
        if (it->type == YAML_SCALAR_NODE && is_null(it) && slen(it) == 0) {
            free(grid);
            return fail(p, line, "empty row (a row that starts with '#' must be quoted, e.g. \"#FF#\")");
        }
        if (want_str(p, it, line, is_map ? "a map row (a string of S F H G #)"
                                                 : "a row of digits 0-9", &s, &len)) {
            free(grid);
            return -1;
        }
        if (width < 0) {
            if (len > JOB_MAX_SIDE) return fail(p, line, "row has %zu cells (at most %d)", len, JOB_MAX_SIDE);
            width = (int)len;
            width_from = "the first row";
        }
        if ((int)len != width || len > JOB_MAX_SIDE) {
            free(grid);
            return fail(p, line, "row %ld has %zu cells, expected %d (from %s)", r, len, width, width_from);
        }
        if (!grid) {
            grid = malloc((size_t)nr * (size_t)width + 1);
            if (!grid) return fail(p, line, "out of memory");
        }
        for (size_t c = 0; c < len; c++) {
            char ch = s[c];
            int ok = is_map ? (ch && strchr("SFHG#", ch) != NULL) : (ch >= '0' && ch <= '9');
            if (!ok) {
                char q[32];
                if ((unsigned char)ch >= 128) snprintf(q, sizeof q, "(a non-ASCII character)");
                else quote_text(&s[c], 1, q, sizeof q);
                free(grid);
                if (is_map)
                    return fail(p, line, "bad cell %s at col %zu (expected one of S F H G #)", q, c);
                return fail(p, line, "bad level %s at col %zu (expected a digit 0-9: eta = 1 - digit/10)", q, c);
            }
            grid[(size_t)r * (size_t)width + c] = ch;
        }
        kp_restore(p, m);
    }
    grid[(size_t)nr * (size_t)width] = '\0';
    *rows = (int)nr;
    *cols = width;
    *out = grid;
    return 0;
}

/* start / goal: [row, col] inside the grid, not on a wall or hole of the map;
 * not given both here and by the map's letter. */
static int read_cell(parser_t *p, const yaml_node_t *n, int keyline, const gw_spec_t *g,
                     char letter, int *cell) {
    char b[64];
    char expect[96];
    snprintf(expect, sizeof expect, "[row, col] with row in [0, %d] and col in [0, %d]", g->rows - 1,
             g->cols - 1);
    if (n->type != YAML_SEQUENCE_NODE || seq_len(n) != 2)
        return fail(p, value_line(n, keyline), "expected %s, got %s", expect, describe(n, b, sizeof b));
    int rc[2];
    for (int k = 0; k < 2; k++) {
        yaml_node_t *it = seq_item(p, n, k);
        char e[64];
        snprintf(e, sizeof e, "a %s in [0, %d]", k ? "col" : "row", (k ? g->cols : g->rows) - 1);
        if (want_int32(p, it, keyline, 0, (k ? g->cols : g->rows) - 1, e, &rc[k])) return -1;
    }
    int s = rc[0] * g->cols + rc[1];
    if (g->map) {
        const char *at = strchr(g->map, letter);
        if (at)
            return fail(p, keyline, "given here and as '%c' in the map (row %d, col %d); give one of them",
                        letter, (int)(at - g->map) / g->cols, (int)(at - g->map) % g->cols);
        char c = g->map[s];
        if (c == '#' || c == 'H' || c == (letter == 'S' ? 'G' : 'S'))
            return fail(p, keyline, "[%d, %d] is '%c' in the map (the %s must be on a floor cell 'F')",
                        rc[0], rc[1], c, letter == 'S' ? "start" : "goal");
    }
    *cell = s;
    return 0;
}

/* preset: NAME, one of the built-in worlds (worlds.h). */
static int read_preset(parser_t *p, const yaml_node_t *n, int keyline, const world_preset_t **out) {
    char known[400], expect[480], b[64];
    world_list_names(known, sizeof known);
    snprintf(expect, sizeof expect, "a preset name (known: %s)", known);
    const char *s;
    size_t len;
    if (want_str(p, n, keyline, expect, &s, &len)) return -1;
    if ((*out = world_find(s)) != NULL) return 0;
    const char *best = NULL;
    int bestd = 3;
    for (int k = 0; k < world_count(); k++) {
        int d = edit_distance(s, world_at(k)->name);
        if (d < bestd) { bestd = d; best = world_at(k)->name; }
    }
    int line = value_line(n, keyline);
    if (best)
        return fail(p, line, "unknown preset %s; did you mean %s? (known: %s)", describe(n, b, sizeof b), best, known);
    return fail(p, line, "unknown preset %s (known: %s)", describe(n, b, sizeof b), known);
}

/* With a preset, size or rows/cols may only repeat the preset's size. */
static int check_preset_dims(parser_t *p, const world_preset_t *w, yaml_node_t **v, const int *kl,
                             int rows, int cols) {
    if (rows == w->rows && cols == w->cols) return 0;
    int key = v[E_SIZE] ? E_SIZE : rows != w->rows ? E_ROWS : E_COLS;
    kp_key(p, env_keys[key]);
    if (key == E_SIZE)
        return fail(p, kl[key], "size: %d disagrees with preset %s, which is %dx%d (drop size, or make it agree)",
                    rows, w->name, w->rows, w->cols);
    return fail(p, kl[key], "rows: %d, cols: %d disagree with preset %s, which is %d x %d (drop rows and cols, "
                "or make them agree)", rows, cols, w->name, w->rows, w->cols);
}

/* Size (size: N, or rows: + cols:, or the map's, or the preset's; default
 * 4x4) and map.  dims_buf gets where the size came from, for messages. */
static int env_dims(parser_t *p, gw_spec_t *g, const world_preset_t *w, yaml_node_t **v, const int *kl,
                    char *dims_buf, size_t dims_bufsz) {
    int rows = -1, cols = -1;
    const char *dims_from = NULL;
    size_t m;
    if (v[E_SIZE]) {
        int other = v[E_ROWS] ? E_ROWS : v[E_COLS] ? E_COLS : -1;
        if (other >= 0) {
            kp_key(p, env_keys[other]);
            return fail(p, kl[other], "conflicts with size on line %d (give size: N, or rows: and cols:)",
                        kl[E_SIZE]);
        }
        m = kp_key(p, "size");
        if (want_int32(p, v[E_SIZE], kl[E_SIZE], 1, JOB_MAX_SIDE, NULL, &rows)) return -1;
        kp_restore(p, m);
        cols = rows;
        snprintf(dims_buf, dims_bufsz, "size: %d", rows);
        dims_from = dims_buf;
    } else if (v[E_ROWS] || v[E_COLS]) {
        int have = v[E_ROWS] ? E_ROWS : E_COLS, miss = have == E_ROWS ? E_COLS : E_ROWS;
        if (!v[miss]) {
            kp_key(p, env_keys[have]);
            return fail(p, kl[have], "given without %s (give both rows and cols, or size: N)", env_keys[miss]);
        }
        m = kp_key(p, "rows");
        if (want_int32(p, v[E_ROWS], kl[E_ROWS], 1, JOB_MAX_SIDE, NULL, &rows)) return -1;
        kp_restore(p, m);
        m = kp_key(p, "cols");
        if (want_int32(p, v[E_COLS], kl[E_COLS], 1, JOB_MAX_SIDE, NULL, &cols)) return -1;
        kp_restore(p, m);
        snprintf(dims_buf, dims_bufsz, "rows: %d, cols: %d", rows, cols);
        dims_from = dims_buf;
    }
    if (w) {
        if (rows >= 0 && check_preset_dims(p, w, v, kl, rows, cols)) return -1;
        rows = w->rows;
        cols = w->cols;
        snprintf(dims_buf, dims_bufsz, "preset: %s, %dx%d", w->name, rows, cols);
        dims_from = dims_buf;
    }
    if (v[E_MAP]) {
        free(g->map); /* the preset's, if any: a map given here replaces it */
        g->map = NULL;
        m = kp_key(p, "map");
        if (read_grid_rows(p, v[E_MAP], kl[E_MAP], 1, &rows, &cols, dims_from, &g->map)) return -1;
        kp_restore(p, m);
        /* At most one S and one G (blamed on the row of the second). */
        for (const char *L = "SG"; *L; L++) {
            const char *a = strchr(g->map, *L), *c = a ? strchr(a + 1, *L) : NULL;
            if (c) {
                int r = (int)(c - g->map) / cols;
                kp_key(p, "map");
                kp_idx(p, r);
                return fail(p, node_line(seq_item(p, v[E_MAP], r)),
                            "second '%c' at col %d (the first is at row %d, col %d; a map has at most one %s)",
                            *L, (int)(c - g->map) % cols, (int)(a - g->map) / cols, (int)(a - g->map) % cols,
                            *L == 'S' ? "start" : "goal");
            }
        }
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
static int env_ends(parser_t *p, gw_spec_t *g, int preset_map, yaml_node_t **v, const int *kl) {
    const int keys[2] = {E_START, E_GOAL};
    for (int k = 0; k < 2 && preset_map; k++) {
        char *at = v[keys[k]] ? strchr(g->map, k ? 'G' : 'S') : NULL;
        if (at) *at = 'F';
    }
    for (int k = 0; k < 2; k++) {
        int e = keys[k];
        char letter = k ? 'G' : 'S';
        int *cell = k ? &g->goal : &g->start;
        if (!v[e]) continue;
        size_t m = kp_key(p, env_keys[e]);
        if (read_cell(p, v[e], kl[e], g, letter, cell)) return -1;
        kp_restore(p, m);
    }
    return 0;
}

/* obs_noise: a number (eta = 1 - x everywhere) or rows of digits; replaces a
 * preset's map. */
static int env_obs_noise(parser_t *p, gw_spec_t *g, const yaml_node_t *n, int keyline, const char *dims_from) {
    free(g->eta);
    g->eta = NULL;
    g->eta_all = 1.0;
    if (n->type == YAML_SEQUENCE_NODE) {
        char *digits = NULL;
        int r = g->rows, c = g->cols;
        if (read_grid_rows(p, n, keyline, 0, &r, &c, dims_from, &digits)) return -1;
        g->eta = malloc((size_t)g->rows * (size_t)g->cols * sizeof *g->eta);
        if (!g->eta) { free(digits); return fail(p, keyline, "out of memory"); }
        for (int s = 0; s < g->rows * g->cols; s++) g->eta[s] = 1.0 - (digits[s] - '0') / 10.0;
        free(digits);
        return 0;
    }
    double x;
    if (want_real(p, n, keyline, 0, 1, 0, 0, &x)) return -1;
    g->eta_all = 1.0 - x;
    return 0;
}

/* The scalar keys: slip, noise_radius, max_steps, actions, rewards. */
static int env_scalars(parser_t *p, gw_spec_t *g, yaml_node_t **v, const int *kl) {
    size_t m;
    if (v[E_SLIP]) {
        m = kp_key(p, "slip");
        if (want_real(p, v[E_SLIP], kl[E_SLIP], 0, 1, 0, 1, &g->slip)) return -1;
        kp_restore(p, m);
    }
    if (v[E_RADIUS]) {
        m = kp_key(p, "noise_radius");
        if (want_int32(p, v[E_RADIUS], kl[E_RADIUS], 1, JOB_MAX_SIDE, NULL, &g->noise_radius)) return -1;
        kp_restore(p, m);
    }
    if (v[E_MAXSTEPS]) {
        m = kp_key(p, "max_steps");
        if (want_int32(p, v[E_MAXSTEPS], kl[E_MAXSTEPS], 1, 100000, NULL, &g->max_steps)) return -1;
        kp_restore(p, m);
    }
    if (v[E_ACTIONS]) {
        m = kp_key(p, "actions");
        if (want_int32(p, v[E_ACTIONS], kl[E_ACTIONS], 4, 5, "4 or 5 (5 adds the stay action)", &g->n_actions))
            return -1;
        kp_restore(p, m);
    }
    double *rw[3] = {&g->step_reward, &g->goal_reward, &g->hole_reward};
    for (int k = 0; k < 3; k++) {
        int e = E_STEPR + k;
        if (!v[e]) continue;
        m = kp_key(p, env_keys[e]);
        if (want_real(p, v[e], kl[e], -INFINITY, INFINITY, 0, 0, rw[k])) return -1;
        kp_restore(p, m);
    }
    return 0;
}

/* One environment entry.  A preset is applied first; every other key given
 * overrides what it set. */
static int parse_env(parser_t *p, jobspec_t *job, int i, const yaml_node_t *n) {
    char b[64];
    gw_spec_t *g = &job->envs[i];
    gw_spec_init(g);
    job->env_line[i] = node_line(n);
    if (n->type != YAML_MAPPING_NODE)
        return fail(p, node_line(n), "expected a mapping describing an environment (name: ..., size: ...), got %s",
                    describe(n, b, sizeof b));
    yaml_node_t *v[E_N];
    int kl[E_N];
    if (read_keys(p, n, env_keys, E_N, "an environment", v, kl)) return -1;
    size_t m;

    const world_preset_t *w = NULL;
    if (v[E_PRESET]) {
        m = kp_key(p, "preset");
        if (read_preset(p, v[E_PRESET], kl[E_PRESET], &w)) return -1;
        char msg[256];
        if (world_apply(w, g, msg, sizeof msg)) return fail(p, kl[E_PRESET], "%s", msg);
        kp_restore(p, m);
    }

    m = kp_key(p, "name");
    if (v[E_NAME]) {
        if (want_name(p, v[E_NAME], kl[E_NAME], g->name)) return -1;
    } else if (w) {
        snprintf(g->name, sizeof g->name, "%s", w->name);
    } else {
        return fail(p, node_line(n), "missing (every environment needs a unique name, or a preset whose name it takes)");
    }
    int name_line = v[E_NAME] ? value_line(v[E_NAME], kl[E_NAME]) : kl[E_PRESET];
    for (int j = 0; j < i; j++)
        if (!strcmp(job->envs[j].name, g->name))
            return fail(p, name_line,
                        "duplicate environment name \"%s\" (also environments[%d] on line %d; names must be unique%s)",
                        g->name, j, job->env_line[j],
                        v[E_NAME] ? "" : "; this entry takes its preset's name: give it a name");
    kp_restore(p, m);

    char dims[64];
    if (env_dims(p, g, w, v, kl, dims, sizeof dims)) return -1;
    if (env_ends(p, g, w && !v[E_MAP], v, kl)) return -1;
    if (v[E_NOISE]) {
        m = kp_key(p, "obs_noise");
        if (env_obs_noise(p, g, v[E_NOISE], kl[E_NOISE], dims)) return -1;
        kp_restore(p, m);
    }
    return env_scalars(p, g, v, kl);
}

/* ---- agents ------------------------------------------------------------------------ */

static void list_params(const agent_class_t *c, char *buf, size_t bufsz) {
    size_t o = 0;
    buf[0] = '\0';
    for (int i = 0; i < c->n_params && o < bufsz; i++) {
        int k = snprintf(buf + o, bufsz - o, "%s%s", i ? ", " : "", c->params[i].name);
        if (k < 0) break;
        o += (size_t)k;
    }
}

/* One value of parameter `ps`. */
static int param_value(parser_t *p, const param_spec_t *ps, const yaml_node_t *n, int keyline, double *out) {
    char expect[600], b[64];
    switch (ps->type) {
    case PT_INT: {
        range_text(expect, sizeof expect, 1, ps->lo, ps->hi, 0, 0);
        double v;
        long long iv;
        int ok, kind;
        if (get_number(p, n, keyline, expect, &v, &iv, &ok, &kind)) return -1;
        int line = value_line(n, keyline);
        if (v != floor(v))
            return fail(p, line, "expected %s, got %s (not a whole number)", expect, describe(n, b, sizeof b));
        if (v < ps->lo || v > ps->hi)
            return fail(p, line, "expected %s, got %s", expect, describe(n, b, sizeof b));
        *out = v;
        return 0;
    }
    case PT_REAL: return want_real(p, n, keyline, ps->lo, ps->hi, 0, 0, out);
    case PT_BOOL: return want_bool(p, n, keyline, out);
    case PT_CHOICE: {
        size_t o = (size_t)snprintf(expect, sizeof expect, "one of ");
        for (int i = 0; ps->choices && ps->choices[i] && o < sizeof expect; i++) {
            int k = snprintf(expect + o, sizeof expect - o, "%s%s", i ? ", " : "", ps->choices[i]);
            if (k < 0) break;
            o += (size_t)k;
        }
        int line = value_line(n, keyline);
        if (n->type != YAML_SCALAR_NODE || is_null(n) || memchr(sval(n), '\0', slen(n)))
            return fail(p, line, "expected %s, got %s", expect, describe(n, b, sizeof b));
        int idx = param_choice_index(ps, sval(n));
        if (idx < 0) return fail(p, line, "expected %s, got %s", expect, describe(n, b, sizeof b));
        *out = idx;
        return 0;
    }
    }
    return fail(p, keyline, "internal error: parameter type %d", (int)ps->type);
}

static int parse_agent(parser_t *p, jobspec_t *job, int i, const yaml_node_t *n) {
    char b[64];
    job_agent_t *a = &job->agents[i];
    a->line = node_line(n);
    a->train_steps = job->train_steps;
    if (n->type != YAML_MAPPING_NODE)
        return fail(p, node_line(n), "expected a mapping describing an agent (type: ..., params: ...), got %s",
                    describe(n, b, sizeof b));
    yaml_node_t *v[A_N];
    int kl[A_N];
    if (read_keys(p, n, agent_keys, A_N, "an agent", v, kl)) return -1;
    size_t m;

    char known[400];
    size_t o = 0;
    known[0] = '\0';
    for (int k = 0; class_list[k] && o < sizeof known; k++) {
        int w = snprintf(known + o, sizeof known - o, "%s%s", k ? ", " : "", class_list[k]->name);
        if (w < 0) break;
        o += (size_t)w;
    }
    m = kp_key(p, "type");
    if (!v[A_TYPE]) return fail(p, a->line, "missing (the agent class; known: %s)", known);
    const char *s;
    size_t len;
    if (want_str(p, v[A_TYPE], kl[A_TYPE], "an agent type", &s, &len)) return -1;
    a->cls = find_class(s);
    if (!a->cls) {
        const char *best = NULL;
        int bestd = 3;
        for (int k = 0; class_list[k]; k++) {
            int d = edit_distance(s, class_list[k]->name);
            if (d < bestd) { bestd = d; best = class_list[k]->name; }
        }
        if (best)
            return fail(p, value_line(v[A_TYPE], kl[A_TYPE]), "unknown agent type %s; did you mean %s? (known: %s)",
                        describe(v[A_TYPE], b, sizeof b), best, known);
        return fail(p, value_line(v[A_TYPE], kl[A_TYPE]), "unknown agent type %s (known: %s)",
                    describe(v[A_TYPE], b, sizeof b), known);
    }
    kp_restore(p, m);

    if (v[A_NAME]) {
        m = kp_key(p, "name");
        if (want_name(p, v[A_NAME], kl[A_NAME], a->label)) return -1;
        kp_restore(p, m);
    } else {
        snprintf(a->label, sizeof a->label, "%s", a->cls->name);
    }
    for (int j = 0; j < i; j++)
        if (!strcmp(job->agents[j].label, a->label)) {
            m = kp_key(p, "name");
            return fail(p, v[A_NAME] ? value_line(v[A_NAME], kl[A_NAME]) : a->line,
                        "duplicate agent name \"%s\" (also agents[%d] on line %d; give each entry a distinct name:)",
                        a->label, j, job->agents[j].line);
        }

    if (v[A_TRAIN]) {
        m = kp_key(p, "train_steps");
        long long t;
        if (want_int(p, v[A_TRAIN], kl[A_TRAIN], 0, JOB_MAX_TRAIN, NULL, &t)) return -1;
        a->train_steps = (long)t;
        kp_restore(p, m);
    }

    int np = a->cls->n_params;
    a->n_values = calloc((size_t)(np > 0 ? np : 1), sizeof *a->n_values);
    a->values = calloc((size_t)(np > 0 ? np : 1), sizeof *a->values);
    p->given[i] = calloc((size_t)(np > 0 ? np : 1), 1);
    if (!a->n_values || !a->values || !p->given[i]) return fail(p, a->line, "out of memory");

    if (v[A_PARAMS] && !is_null(v[A_PARAMS])) {
        yaml_node_t *pm = v[A_PARAMS];
        m = kp_key(p, "params");
        if (pm->type != YAML_MAPPING_NODE)
            return fail(p, value_line(pm, kl[A_PARAMS]), "expected a mapping of parameter: value (or: [values]), got %s",
                        describe(pm, b, sizeof b));
        int *pline = calloc((size_t)(np > 0 ? np : 1), sizeof *pline);
        if (!pline) return fail(p, a->line, "out of memory");
        for (yaml_node_pair_t *pr = pm->data.mapping.pairs.start; pr < pm->data.mapping.pairs.top; pr++) {
            yaml_node_t *k = node_at(p, pr->key), *val = node_at(p, pr->value);
            int kline = node_line(k);
            if (k->type != YAML_SCALAR_NODE || memchr(sval(k), '\0', slen(k))) {
                free(pline);
                return fail(p, kline, "parameter names must be plain words, got %s", describe(k, b, sizeof b));
            }
            size_t m2 = kp_key(p, sval(k));
            int pi = agent_param_index(a->cls, sval(k));
            if (pi < 0) {
                char list[600];
                free(pline);
                if (np == 0) return fail(p, kline, "unknown parameter (%s has no parameters)", a->cls->name);
                list_params(a->cls, list, sizeof list);
                return fail(p, kline, "unknown parameter of %s (parameters: %s)", a->cls->name, list);
            }
            if (p->given[i][pi]) {
                int first = pline[pi];
                free(pline);
                return fail(p, kline, "duplicate key (first given on line %d; give each key once)", first);
            }
            p->given[i][pi] = 1;
            pline[pi] = kline;
            const param_spec_t *ps = &a->cls->params[pi];
            if (val->type == YAML_SEQUENCE_NODE) {
                long cnt = seq_len(val);
                if (cnt == 0) {
                    free(pline);
                    return fail(p, kline, "empty sweep list (give a value, or a list of at least one value)");
                }
                if (cnt > JOB_MAX_RUNS) {
                    free(pline);
                    return fail(p, kline, "sweep list of %ld values (at most %ld)", cnt, JOB_MAX_RUNS);
                }
                a->values[pi] = malloc((size_t)cnt * sizeof **a->values);
                if (!a->values[pi]) { free(pline); return fail(p, kline, "out of memory"); }
                a->n_values[pi] = (int)cnt;
                for (long j = 0; j < cnt; j++) {
                    yaml_node_t *it = seq_item(p, val, j);
                    size_t m3 = kp_idx(p, j);
                    if (it->type != YAML_SCALAR_NODE) {
                        free(pline);
                        return fail(p, node_line(it), "expected a single value in the sweep list, got %s",
                                    describe(it, b, sizeof b));
                    }
                    if (param_value(p, ps, it, kline, &a->values[pi][j])) { free(pline); return -1; }
                    kp_restore(p, m3);
                }
                long f, sec;
                int r = find_duplicate(a->values[pi], cnt, &f, &sec);
                if (r == -2) { free(pline); return fail(p, kline, "out of memory"); }
                if (r == 0) {
                    char vb[64];
                    yaml_node_t *it = seq_item(p, val, sec);
                    kp_idx(p, sec);
                    fmt_param(ps, a->values[pi][sec], vb, sizeof vb);
                    free(pline);
                    return fail(p, node_line(it), "duplicate value %s in the sweep list (also [%ld] on line %d)",
                                vb, f, node_line(seq_item(p, val, f)));
                }
            } else {
                a->values[pi] = malloc(sizeof **a->values);
                if (!a->values[pi]) { free(pline); return fail(p, kline, "out of memory"); }
                a->n_values[pi] = 1;
                if (param_value(p, ps, val, kline, &a->values[pi][0])) { free(pline); return -1; }
            }
            kp_restore(p, m2);
        }
        free(pline);
        kp_restore(p, m);
    }
    a->n_combos = 1;
    for (int k = 0; k < np; k++) {
        if (!a->values[k]) {
            a->values[k] = malloc(sizeof **a->values);
            if (!a->values[k]) return fail(p, a->line, "out of memory");
            a->values[k][0] = a->cls->params[k].def;
            a->n_values[k] = 1;
        }
        if ((double)a->n_combos * a->n_values[k] > (double)JOB_MAX_RUNS)
            return fail(p, a->line, "the sweep has more than %ld parameter combinations", JOB_MAX_RUNS);
        a->n_combos *= a->n_values[k];
    }
    return 0;
}

/* Parameter values of combination `c` (odometer, last parameter fastest). */
static void combo_values(const job_agent_t *a, long c, double *pv) {
    for (int k = a->cls->n_params - 1; k >= 0; k--) {
        long nv = a->n_values[k];
        pv[k] = a->values[k][c % nv];
        c /= nv;
    }
}

/* ---- the whole document ---------------------------------------------------------- */

/* `PATH:LINE:COL: message` (syntax errors have no key path). */
static int fail_col(parser_t *p, int line, int col, const char *fmt, ...) {
    if (!p->err || p->errlen == 0) return -1;
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    snprintf(p->err, p->errlen, "%s:%d:%d: %s", p->path, line, col, msg);
    for (char *c = p->err; *c; c++)
        if (*c == '\n' || *c == '\r') *c = ' ';
    return -1;
}

static int syntax_error(parser_t *p, const yaml_parser_t *yp) {
    const char *problem = yp->problem ? yp->problem : "unknown problem";
    if (yp->error == YAML_MEMORY_ERROR) return fail(p, 1, "out of memory reading the YAML");
    if (yp->error == YAML_READER_ERROR) {
        /* Reader errors carry a byte offset, not a mark. */
        int line = 1, col = 1;
        for (size_t i = 0; i < yp->problem_offset && i < p->len; i++) {
            if (p->text[i] == '\n') { line++; col = 1; } else col++;
        }
        if (yp->problem_value >= 0)
            return fail_col(p, line, col, "YAML syntax error: %s (byte 0x%02x; a job file is UTF-8 text)", problem,
                            yp->problem_value & 0xff);
        return fail_col(p, line, col, "YAML syntax error: %s (a job file is UTF-8 text)", problem);
    }
    int line = (int)yp->problem_mark.line + 1, col = (int)yp->problem_mark.column + 1;
    size_t idx = yp->problem_mark.index;
    const char *tab = ((idx < p->len && p->text[idx] == '\t') || strstr(problem, "tab"))
                          ? "indent with spaces, not tabs" : NULL;
    if (yp->context && (int)yp->context_mark.line + 1 != line)
        return fail_col(p, line, col, "YAML syntax error: %s (%s on line %d%s%s)", problem, yp->context,
                        (int)yp->context_mark.line + 1, tab ? "; " : "", tab ? tab : "");
    if (yp->context)
        return fail_col(p, line, col, "YAML syntax error: %s (%s%s%s)", problem, yp->context, tab ? "; " : "",
                        tab ? tab : "");
    if (tab) return fail_col(p, line, col, "YAML syntax error: %s (%s)", problem, tab);
    return fail_col(p, line, col, "YAML syntax error: %s", problem);
}

/* Explicit tags (!!int, !foo) would change how values read; refuse them all. */
static int check_tags(parser_t *p) {
    for (yaml_node_t *n = p->doc->nodes.start; n < p->doc->nodes.top; n++) {
        const char *tag = (const char *)n->tag;
        const char *def = n->type == YAML_SCALAR_NODE   ? YAML_DEFAULT_SCALAR_TAG
                          : n->type == YAML_SEQUENCE_NODE ? YAML_DEFAULT_SEQUENCE_TAG
                                                          : YAML_DEFAULT_MAPPING_TAG;
        if (tag && strcmp(tag, def) != 0) {
            char q[64];
            quote_text(tag, strlen(tag), q, sizeof q);
            return fail(p, node_line(n), "YAML tag %s is not supported (remove it; values are typed by the schema)", q);
        }
    }
    return 0;
}

static int parse_document(parser_t *p, jobspec_t *job, const yaml_node_t *root) {
    char b[64];
    if (root->type != YAML_MAPPING_NODE)
        return fail(p, node_line(root), "the top level is %s (expected a mapping with keys such as name, environments, agents)",
                    describe(root, b, sizeof b));
    yaml_node_t *v[T_N];
    int kl[T_N];
    if (read_keys(p, root, top_keys, T_N, "the job", v, kl)) return -1;
    int topline = node_line(root);
    size_t m;

    if (v[T_NAME]) {
        m = kp_key(p, "name");
        if (want_name(p, v[T_NAME], kl[T_NAME], job->name)) return -1;
        kp_restore(p, m);
    } else {
        default_name(p->path, job->name);
    }
    long long t;
    if (v[T_SEED]) {
        m = kp_key(p, "seed");
        if (want_int(p, v[T_SEED], kl[T_SEED], 0, LLONG_MAX, NULL, &t)) return -1;
        job->seed = (uint64_t)t;
        kp_restore(p, m);
    }
    if (v[T_SEEDS]) {
        m = kp_key(p, "seeds");
        if (parse_seeds(p, job, v[T_SEEDS], kl[T_SEEDS])) return -1;
        kp_restore(p, m);
    } else {
        job->n_seeds = 1;
    }
    struct { int key; long long lo, hi, def; } ints[] = {
        {T_TRAIN, 0, JOB_MAX_TRAIN, 10000}, {T_EVAL, 1, 100000, 20}, {T_CKPT, 0, 1000, 1},
        {T_CURVE, 1, 100000, 20}, {T_EFE_CHECKS, 0, 10000, 16}};
    long long iv[T_N];
    for (size_t k = 0; k < sizeof ints / sizeof ints[0]; k++) {
        int key = ints[k].key;
        iv[key] = ints[k].def;
        if (!v[key]) continue;
        m = kp_key(p, top_keys[key]);
        if (want_int(p, v[key], kl[key], ints[k].lo, ints[k].hi, NULL, &iv[key])) return -1;
        kp_restore(p, m);
    }
    job->train_steps = (long)iv[T_TRAIN];
    job->eval_episodes = (int)iv[T_EVAL];
    job->checkpoints = (int)iv[T_CKPT];
    job->curve_points = (int)iv[T_CURVE];
    job->efe_checks = (int)iv[T_EFE_CHECKS];
    if (v[T_LOG]) {
        m = kp_key(p, "log_episodes");
        char e[96];
        snprintf(e, sizeof e, "an integer in [0, eval_episodes = %d]", job->eval_episodes);
        if (want_int32(p, v[T_LOG], kl[T_LOG], 0, job->eval_episodes, e, &job->log_episodes)) return -1;
        kp_restore(p, m);
    } else {
        job->log_episodes = job->eval_episodes < 2 ? job->eval_episodes : 2;
    }
    if (v[T_OUTPUT]) {
        m = kp_key(p, "output");
        const char *s;
        size_t len;
        if (want_str(p, v[T_OUTPUT], kl[T_OUTPUT], "a file path", &s, &len)) return -1;
        if (len > 4000) return fail(p, value_line(v[T_OUTPUT], kl[T_OUTPUT]), "path of %zu characters is too long", len);
        job->output = strdup(s);
        kp_restore(p, m);
    } else {
        job->output = malloc(strlen(job->name) + 4);
        if (job->output) sprintf(job->output, "%s.h5", job->name);
    }
    if (!job->output) return fail(p, topline, "out of memory");
    job->max_file_gb = 50;
    if (v[T_MAXGB]) {
        m = kp_key(p, "max_file_gb");
        if (want_real(p, v[T_MAXGB], kl[T_MAXGB], 0, INFINITY, 1, 0, &job->max_file_gb)) return -1;
        kp_restore(p, m);
    }

    /* environments */
    m = kp_key(p, "environments");
    yaml_node_t *en = v[T_ENVS];
    if (!en) return fail(p, topline, "missing (required: a non-empty list of environments)");
    if (en->type != YAML_SEQUENCE_NODE || seq_len(en) == 0)
        return fail(p, value_line(en, kl[T_ENVS]), "expected a non-empty list of environments, got %s",
                    describe(en, b, sizeof b));
    long ne = seq_len(en);
    if (ne > 10000) return fail(p, kl[T_ENVS], "%ld environments (at most 10000)", ne);
    job->envs = calloc((size_t)ne, sizeof *job->envs);
    job->env_line = calloc((size_t)ne, sizeof *job->env_line);
    if (!job->envs || !job->env_line) return fail(p, kl[T_ENVS], "out of memory");
    job->n_envs = (int)ne;
    for (long i = 0; i < ne; i++) {
        size_t m2 = kp_idx(p, i);
        if (parse_env(p, job, (int)i, seq_item(p, en, i))) return -1;
        kp_restore(p, m2);
    }
    kp_restore(p, m);

    /* agents */
    m = kp_key(p, "agents");
    yaml_node_t *an = v[T_AGENTS];
    if (!an) return fail(p, topline, "missing (required: a non-empty list of agents)");
    if (an->type != YAML_SEQUENCE_NODE || seq_len(an) == 0)
        return fail(p, value_line(an, kl[T_AGENTS]), "expected a non-empty list of agents, got %s",
                    describe(an, b, sizeof b));
    long na = seq_len(an);
    if (na > 10000) return fail(p, kl[T_AGENTS], "%ld agents (at most 10000)", na);
    job->agents = calloc((size_t)na, sizeof *job->agents);
    p->given = calloc((size_t)na, sizeof *p->given);
    if (!job->agents || !p->given) return fail(p, kl[T_AGENTS], "out of memory");
    job->n_agents = (int)na;
    for (long i = 0; i < na; i++) {
        size_t m2 = kp_idx(p, i);
        if (parse_agent(p, job, (int)i, seq_item(p, an, i))) return -1;
        kp_restore(p, m2);
    }
    kp_restore(p, m);

    /* The run count, before anything expensive. */
    double runs = 0;
    for (int a = 0; a < job->n_agents; a++) runs += (double)job->agents[a].n_combos * job->n_envs;
    runs *= job->n_seeds;
    if (runs > (double)JOB_MAX_RUNS)
        return fail(p, topline, "the job expands to %.0f runs (at most %ld; split it into several jobs)", runs,
                    JOB_MAX_RUNS);
    /* seeds: N is kept as a count (jobspec_seed gives 0..N-1), so a huge one
     * costs no memory before the size guard has looked at it. */

    /* Build every world once (gw_build's own checks: reachability, ends on
     * floor, size), and run each agent class's world-dependent checks on it. */
    int na_max = 0;
    for (int a = 0; a < job->n_agents; a++)
        if (job->agents[a].cls->n_params > na_max) na_max = job->agents[a].cls->n_params;
    double *pv = malloc((size_t)(na_max > 0 ? na_max : 1) * sizeof *pv);
    if (!pv) return fail(p, topline, "out of memory");
    for (int e = 0; e < job->n_envs; e++) {
        gridworld_t w;
        char msg[1024];
        if (gw_build(&w, &job->envs[e], msg, sizeof msg)) {
            free(pv);
            m = kp_key(p, "environments");
            kp_idx(p, e);
            return fail(p, job->env_line[e], "%s", msg);
        }
        /* Every episode would end unfinished: refuse rather than report 0%. */
        if (w.dist[w.start] > w.max_steps) {
            int need = w.dist[w.start], cap = w.max_steps;
            gw_free(&w);
            free(pv);
            m = kp_key(p, "environments");
            kp_idx(p, e);
            return fail(p, job->env_line[e],
                        "environment %s: max_steps %d is below the shortest path from start to goal (%d steps): "
                        "no episode could reach the goal",
                        job->envs[e].name, cap, need);
        }
        task_t task;
        task_from_world(&task, &w, NULL, 0);
        for (int a = 0; a < job->n_agents; a++) {
            const job_agent_t *ag = &job->agents[a];
            if (!ag->cls->validate) continue;
            for (long c = 0; c < ag->n_combos; c++) {
                combo_values(ag, c, pv);
                if (ag->cls->validate(&task, pv, msg, sizeof msg) == 0) continue;
                char with[512], vb[64];
                size_t o = 0;
                with[0] = '\0';
                for (int k = 0; k < ag->cls->n_params && o < sizeof with; k++) {
                    if (!p->given[a][k]) continue;
                    fmt_param(&ag->cls->params[k], pv[k], vb, sizeof vb);
                    int wlen = snprintf(with + o, sizeof with - o, "%s%s=%s", o ? ", " : " with ",
                                        ag->cls->params[k].name, vb);
                    if (wlen < 0) break;
                    o += (size_t)wlen;
                }
                gw_free(&w);
                free(pv);
                return fail(p, ag->line, "agents[%d] (%s) on environment %s%s: %s", a, ag->label,
                            job->envs[e].name, with, msg[0] ? msg : "invalid (no reason given)");
            }
        }
        gw_free(&w);
    }
    free(pv);
    return 0;
}

int jobspec_parse(jobspec_t *job, const char *path, const char *text, size_t len, char *err,
                  size_t errlen) {
    memset(job, 0, sizeof *job);
    if (err && errlen) err[0] = '\0';
    if (!path) path = "(job)";
    parser_t p = {.path = path, .text = text, .len = len, .err = err, .errlen = errlen};
    if (len > JOB_MAX_BYTES)
        return fail(&p, 1, "the file is %.1f MB (job files are limited to 16 MB)", len / 1048576.0);
    const char *nul = memchr(text, '\0', len);
    if (nul) {
        int line = 1;
        for (const char *c = text; c < nul; c++) line += *c == '\n';
        return fail(&p, line, "the file contains a NUL byte (a job file is YAML text)");
    }

    /* libyaml's scanner is quadratic in flow nesting ([[[[...), so a hostile
     * 16 MB file could hold a rank for hours.  No job nests that deep; bracket
     * characters inside strings only make this count higher, never lower. */
    int depth = 0, line = 1;
    for (size_t i = 0; i < len; i++) {
        char c = text[i];
        if (c == '\n') line++;
        else if (c == '[' || c == '{') {
            if (++depth > JOB_MAX_NESTING)
                return fail(&p, line, "more than %d nested [ or { (a job file never nests that deep)", JOB_MAX_NESTING);
        } else if ((c == ']' || c == '}') && depth > 0) depth--;
    }

    yaml_parser_t yp;
    yaml_document_t doc, doc2;
    if (!yaml_parser_initialize(&yp)) return fail(&p, 1, "out of memory starting the YAML parser");
    yaml_parser_set_input_string(&yp, (const unsigned char *)text, len);
    if (!yaml_parser_load(&yp, &doc)) {
        syntax_error(&p, &yp);
        yaml_parser_delete(&yp);
        return -1;
    }
    p.doc = &doc;
    int rc = 0;
    yaml_node_t *root = yaml_document_get_root_node(&doc);
    if (!root) {
        rc = fail(&p, 1, "the file is empty (expected a mapping with at least environments: and agents:)");
    } else if (!yaml_parser_load(&yp, &doc2)) {
        rc = syntax_error(&p, &yp);
    } else {
        if (yaml_document_get_root_node(&doc2))
            rc = fail(&p, (int)doc2.start_mark.line + 1,
                      "a second YAML document starts here (a job file holds exactly one document)");
        yaml_document_delete(&doc2);
    }
    if (rc == 0) rc = check_tags(&p);
    if (rc == 0) rc = parse_document(&p, job, root);
    if (p.given) {
        for (int i = 0; i < job->n_agents; i++) free(p.given[i]);
        free(p.given);
    }
    yaml_document_delete(&doc);
    yaml_parser_delete(&yp);
    if (rc == 0) {
        job->path = strdup(path);
        job->text = malloc(len + 1);
        if (!job->path || !job->text) {
            rc = -1;
            if (err && errlen) snprintf(err, errlen, "%s: out of memory", path);
        } else {
            memcpy(job->text, text, len);
            job->text[len] = '\0';
            job->text_len = len;
            sha256_hex(text, len, job->sha256);
        }
    }
    if (rc != 0) {
        jobspec_free(job);
        return -1;
    }
    return 0;
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
        }
    free(job->agents);
    memset(job, 0, sizeof *job);
}

/* ---- files ------------------------------------------------------------------------ */

int jobspec_read_file(const char *path, char **text, size_t *len, char *err, size_t errlen) {
    *text = NULL;
    *len = 0;
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(err, errlen, "cannot open %s: %s", path, strerror(errno));
        return -1;
    }
    struct stat st;
    if (fstat(fileno(f), &st) == 0 && S_ISDIR(st.st_mode)) {
        snprintf(err, errlen, "cannot read %s: %s", path, strerror(EISDIR));
        fclose(f);
        return -1;
    }
    size_t cap = 65536, n = 0;
    char *buf = malloc(cap + 1);
    while (buf) {
        if (n == cap) {
            if (cap > JOB_MAX_BYTES) break;
            char *nb = realloc(buf, 2 * cap + 1);
            if (!nb) { free(buf); buf = NULL; break; }
            buf = nb;
            cap *= 2;
        }
        size_t k = fread(buf + n, 1, cap - n, f);
        n += k;
        if (k == 0) break;
    }
    if (!buf) {
        snprintf(err, errlen, "cannot read %s: out of memory", path);
        fclose(f);
        return -1;
    }
    if (n > JOB_MAX_BYTES) {
        snprintf(err, errlen, "%s is larger than 16 MB (job files are limited to 16 MB; is it the right file?)", path);
        free(buf);
        fclose(f);
        return -1;
    }
    if (ferror(f)) {
        snprintf(err, errlen, "cannot read %s: %s", path, strerror(errno));
        free(buf);
        fclose(f);
        return -1;
    }
    fclose(f);
    const char *nul = memchr(buf, '\0', n);
    if (nul) {
        int line = 1;
        for (const char *c = buf; c < nul; c++) line += *c == '\n';
        snprintf(err, errlen, "%s:%d: the file contains a NUL byte (a job file is YAML text, not binary)", path, line);
        free(buf);
        return -1;
    }
    buf[n] = '\0';
    *text = buf;
    *len = n;
    return 0;
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
                combo_values(ag, c, pv);
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

int jobspec_max_actions(const jobspec_t *job) {
    int m = 0;
    for (int e = 0; e < job->n_envs; e++)
        if (job->envs[e].n_actions > m) m = job->envs[e].n_actions;
    return m;
}
