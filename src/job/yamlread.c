/* yamlread: the strict YAML reader (see yamlread.h).  Messages here are part of
 * the job file's interface (tests/bad_jobs checks them): change them with care. */
#include "job/yamlread.h"
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* ---- errors and the key path ------------------------------------------------------ */

/* The reader's err gets `head: message`, on one line. */
static int vfail(yr_t *r, const char *head, size_t msgcap, const char *fmt, va_list ap) {
    char msg[1536];
    vsnprintf(msg, msgcap < sizeof msg ? msgcap : sizeof msg, fmt, ap);
    snprintf(r->err, r->errlen, "%s: %s", head, msg);
    for (char *c = r->err; *c; c++)
        if (*c == '\n' || *c == '\r') *c = ' ';
    return -1;
}

int yr_fail(yr_t *r, int line, const char *fmt, ...) {
    if (!r->err || r->errlen == 0) return -1;
    char head[4608];
    if (r->kpn) snprintf(head, sizeof head, "%s:%d: %s", r->path, line, r->kp);
    else snprintf(head, sizeof head, "%s:%d", r->path, line);
    va_list ap;
    va_start(ap, fmt);
    vfail(r, head, 1536, fmt, ap);
    va_end(ap);
    return -1;
}

/* `PATH:LINE:COL: message` (syntax errors have no key path). */
static int fail_col(yr_t *r, int line, int col, const char *fmt, ...) {
    if (!r->err || r->errlen == 0) return -1;
    char head[4608];
    snprintf(head, sizeof head, "%s:%d:%d", r->path, line, col);
    va_list ap;
    va_start(ap, fmt);
    vfail(r, head, 1024, fmt, ap);
    va_end(ap);
    return -1;
}

size_t yr_key(yr_t *r, const char *key) {
    size_t old = r->kpn, o = r->kpn, cap = sizeof r->kp - 4;
    if (o && o < cap) r->kp[o++] = '.';
    for (size_t i = 0; key[i] && i < 48 && o < cap; i++) { /* user text: keep it printable */
        unsigned char c = (unsigned char)key[i];
        if (c == '\n') { r->kp[o++] = '\\'; r->kp[o++] = 'n'; }
        else r->kp[o++] = c < 32 || c == 127 ? '?' : (char)c;
    }
    r->kp[o] = '\0';
    r->kpn = o;
    return old;
}

size_t yr_idx(yr_t *r, long i) {
    size_t old = r->kpn;
    int k = snprintf(r->kp + r->kpn, sizeof r->kp - r->kpn, "[%ld]", i);
    if (k > 0) r->kpn = strnlen(r->kp, sizeof r->kp - 1);
    return old;
}

void yr_restore(yr_t *r, size_t n) {
    r->kpn = n;
    r->kp[n] = '\0';
}

/* ---- nodes ------------------------------------------------------------------------ */

static yaml_node_t *node_at(const yr_t *r, int id) {
    return yaml_document_get_node((yaml_document_t *)&r->doc, id);
}
int yr_line(const yaml_node_t *n) { return (int)n->start_mark.line + 1; }
const char *yr_text(const yaml_node_t *n) { return (const char *)n->data.scalar.value; }
size_t yr_text_len(const yaml_node_t *n) { return n->data.scalar.length; }
int yr_is_plain(const yaml_node_t *n) {
    return n->type == YAML_SCALAR_NODE && n->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
}

int yr_is_null(const yaml_node_t *n) {
    if (!yr_is_plain(n)) return 0;
    const char *s = yr_text(n);
    return yr_text_len(n) == 0 || !strcmp(s, "~") || !strcmp(s, "null") || !strcmp(s, "Null") ||
           !strcmp(s, "NULL");
}

int yr_value_line(const yaml_node_t *n, int keyline) {
    if ((n->type == YAML_SCALAR_NODE && yr_text_len(n) > 0) || keyline <= 0) return yr_line(n);
    return keyline;
}

long yr_seq_len(const yaml_node_t *n) {
    return (long)(n->data.sequence.items.top - n->data.sequence.items.start);
}
const yaml_node_t *yr_seq_item(const yr_t *r, const yaml_node_t *seq, long i) {
    return node_at(r, seq->data.sequence.items.start[i]);
}

void yr_quote(const char *s, size_t len, char *buf, size_t bufsz) {
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

const char *yr_describe(const yaml_node_t *n, char *buf, size_t bufsz) {
    switch (n->type) {
    case YAML_MAPPING_NODE: return "a mapping";
    case YAML_SEQUENCE_NODE:
        return n->data.sequence.items.top == n->data.sequence.items.start ? "an empty list" : "a list";
    case YAML_SCALAR_NODE:
        if (yr_is_null(n)) return yr_text_len(n) == 0 ? "nothing (an empty value)" : "null";
        yr_quote(yr_text(n), yr_text_len(n), buf, bufsz);
        return buf;
    default: return "nothing";
    }
}

const char *yr_fmt_num(double v, char *buf, size_t bufsz) {
    if (isinf(v)) snprintf(buf, bufsz, "%s", v > 0 ? "inf" : "-inf");
    else if (v == floor(v) && fabs(v) < 1e15) snprintf(buf, bufsz, "%.0f", v);
    else snprintf(buf, bufsz, "%.15g", v);
    return buf;
}

void yr_range_text(char *buf, size_t bufsz, int integer, double lo, double hi, int lo_open, int hi_open) {
    char a[40], c[40];
    const char *what = integer ? "an integer" : "a number";
    if (isinf(lo) && isinf(hi)) snprintf(buf, bufsz, "%s", integer ? "an integer" : "a finite number");
    else if (isinf(hi)) snprintf(buf, bufsz, "%s %s %s", what, lo_open ? ">" : ">=", yr_fmt_num(lo, a, sizeof a));
    else if (isinf(lo)) snprintf(buf, bufsz, "%s %s %s", what, hi_open ? "<" : "<=", yr_fmt_num(hi, c, sizeof c));
    else snprintf(buf, bufsz, "%s in %c%s, %s%c", what, lo_open ? '(' : '[', yr_fmt_num(lo, a, sizeof a),
                  yr_fmt_num(hi, c, sizeof c), hi_open ? ')' : ']');
}

/* ---- scalars ---------------------------------------------------------------------- */

/* .inf / .nan in any of YAML's three spellings (after the sign). */
static int scan_special(const char *w, size_t n, int neg, double *v) {
    if (n != 4 || w[0] != '.') return YR_NUM_NONE;
    w++;
    if (!strncmp(w, "inf", 3) || !strncmp(w, "Inf", 3) || !strncmp(w, "INF", 3)) {
        *v = neg ? -INFINITY : INFINITY;
        return YR_NUM_INF;
    }
    if (!strncmp(w, "nan", 3) || !strncmp(w, "NaN", 3) || !strncmp(w, "NAN", 3)) {
        *v = NAN;
        return YR_NUM_NAN;
    }
    return YR_NUM_NONE;
}

int yr_scan_number(const char *s, size_t len, double *v, long long *iv, int *iv_ok) {
    size_t i = 0;
    int neg = 0;
    *iv_ok = 0;
    if (memchr(s, '\0', len)) return YR_NUM_NONE;
    if (i < len && (s[i] == '+' || s[i] == '-')) neg = s[i++] == '-';
    int special = scan_special(s + i, len - i, neg, v);
    if (special != YR_NUM_NONE) return special;
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
    if (nd1 + nd2 == 0) return YR_NUM_NONE;
    if (i < len && (s[i] == 'e' || s[i] == 'E')) {
        integer = 0;
        i++;
        if (i < len && (s[i] == '+' || s[i] == '-')) i++;
        size_t d = i;
        while (i < len && s[i] >= '0' && s[i] <= '9') i++;
        if (i == d) return YR_NUM_NONE;
    }
    if (i != len) return YR_NUM_NONE;
    *v = strtod(s, NULL);
    if (!isfinite(*v)) return YR_NUM_INF; /* 1e400: beyond a double, so infinity to strtod */
    if (!integer) return YR_NUM_REAL;
    if (nd1 > 1 && s[d0] == '0') return YR_NUM_LEADZERO;
    errno = 0;
    *iv = strtoll(s, NULL, 10);
    *iv_ok = errno != ERANGE;
    return YR_NUM_INT;
}

int yr_number(yr_t *r, const yaml_node_t *n, int keyline, const char *expect, double *v,
              long long *iv, int *iv_ok, int *kind) {
    char b[64];
    int line = yr_value_line(n, keyline);
    if (n->type != YAML_SCALAR_NODE || yr_is_null(n))
        return yr_fail(r, line, "expected %s, got %s", expect, yr_describe(n, b, sizeof b));
    *kind = yr_scan_number(yr_text(n), yr_text_len(n), v, iv, iv_ok);
    if (!yr_is_plain(n)) {
        if (*kind != YR_NUM_NONE)
            return yr_fail(r, line, "expected %s, got the string %s (remove the quotes)", expect,
                           yr_describe(n, b, sizeof b));
        return yr_fail(r, line, "expected %s, got %s", expect, yr_describe(n, b, sizeof b));
    }
    switch (*kind) {
    case YR_NUM_INT: case YR_NUM_REAL: return 0;
    case YR_NUM_INF: case YR_NUM_NAN:
        return yr_fail(r, line, "expected %s, got %s (not a finite number)", expect, yr_describe(n, b, sizeof b));
    case YR_NUM_LEADZERO:
        return yr_fail(r, line, "expected %s, got %s (leading zeros are ambiguous in YAML; drop them)",
                       expect, yr_describe(n, b, sizeof b));
    default:
        return yr_fail(r, line, "expected %s, got %s", expect, yr_describe(n, b, sizeof b));
    }
}

int yr_real(yr_t *r, const yaml_node_t *n, int keyline, double lo, double hi, int lo_open,
            int hi_open, double *out) {
    char expect[128], b[64];
    yr_range_text(expect, sizeof expect, 0, lo, hi, lo_open, hi_open);
    double v;
    long long iv;
    int ok, kind;
    if (yr_number(r, n, keyline, expect, &v, &iv, &ok, &kind)) return -1;
    if (v < lo || v > hi || (lo_open && v == lo) || (hi_open && v == hi))
        return yr_fail(r, yr_value_line(n, keyline), "expected %s, got %s", expect, yr_describe(n, b, sizeof b));
    *out = v;
    return 0;
}

int yr_int(yr_t *r, const yaml_node_t *n, int keyline, long long lo, long long hi,
           const char *expect, long long *out) {
    char gen[128], b[64];
    if (!expect) {
        yr_range_text(gen, sizeof gen, 1, (double)lo, hi == LLONG_MAX ? INFINITY : (double)hi, 0, 0);
        expect = gen;
    }
    double v;
    long long iv = 0;
    int ok, kind;
    if (yr_number(r, n, keyline, expect, &v, &iv, &ok, &kind)) return -1;
    int line = yr_value_line(n, keyline);
    if (kind == YR_NUM_REAL) {
        if (v != floor(v))
            return yr_fail(r, line, "expected %s, got %s (not a whole number)", expect, yr_describe(n, b, sizeof b));
        if (fabs(v) > 9007199254740992.0)
            return yr_fail(r, line, "expected %s, got %s (too large to be exact; write all the digits)",
                           expect, yr_describe(n, b, sizeof b));
        iv = (long long)v;
    } else if (!ok) {
        return yr_fail(r, line, "expected %s, got %s (out of range)", expect, yr_describe(n, b, sizeof b));
    }
    if (iv < lo || iv > hi) return yr_fail(r, line, "expected %s, got %s", expect, yr_describe(n, b, sizeof b));
    *out = iv;
    return 0;
}

int yr_int32(yr_t *r, const yaml_node_t *n, int keyline, int lo, int hi, const char *expect, int *out) {
    long long v;
    if (yr_int(r, n, keyline, lo, hi, expect, &v)) return -1;
    *out = (int)v;
    return 0;
}

/* Booleans are exactly true/false (YAML 1.1's yes/no/on/off are refused: the
 * same text would read differently in other tools). */
int yr_bool(yr_t *r, const yaml_node_t *n, int keyline, double *out) {
    char b[64];
    int line = yr_value_line(n, keyline);
    if (yr_is_plain(n) && !yr_is_null(n)) {
        const char *s = yr_text(n);
        if (!strcmp(s, "true") || !strcmp(s, "True") || !strcmp(s, "TRUE")) { *out = 1; return 0; }
        if (!strcmp(s, "false") || !strcmp(s, "False") || !strcmp(s, "FALSE")) { *out = 0; return 0; }
        static const char *const yaml11[] = {"yes", "no", "on", "off", "y", "n", "Yes", "No", "On",
                                             "Off", "YES", "NO", "ON", "OFF", "Y", "N", NULL};
        for (int i = 0; yaml11[i]; i++)
            if (!strcmp(s, yaml11[i]))
                return yr_fail(r, line, "expected true or false, got %s (yes/no/on/off are not accepted)",
                               yr_describe(n, b, sizeof b));
    }
    if (n->type == YAML_SCALAR_NODE && !yr_is_plain(n))
        return yr_fail(r, line, "expected true or false, got the string %s (remove the quotes)",
                       yr_describe(n, b, sizeof b));
    return yr_fail(r, line, "expected true or false, got %s", yr_describe(n, b, sizeof b));
}

int yr_str(yr_t *r, const yaml_node_t *n, int keyline, const char *expect, const char **s, size_t *len) {
    char b[64];
    int line = yr_value_line(n, keyline);
    if (n->type != YAML_SCALAR_NODE || yr_is_null(n) || yr_text_len(n) == 0)
        return yr_fail(r, line, "expected %s, got %s", expect, yr_describe(n, b, sizeof b));
    if (memchr(yr_text(n), '\0', yr_text_len(n)))
        return yr_fail(r, line, "expected %s, got a string with a NUL character", expect);
    *s = yr_text(n);
    *len = yr_text_len(n);
    return 0;
}

/* ---- mappings --------------------------------------------------------------------- */

int yr_edit_distance(const char *a, const char *b) {
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

void yr_join_names(char *buf, size_t bufsz, const char *const *names, int n) {
    size_t o = 0;
    buf[0] = '\0';
    for (int i = 0; i < n && o < bufsz; i++) {
        int k = snprintf(buf + o, bufsz - o, "%s%s", i ? ", " : "", names[i]);
        if (k < 0) break;
        o += (size_t)k;
    }
}

/* A key not in `allowed`: a merge key, a near miss, or just unknown. */
static int unknown_key(yr_t *r, int line, const char *key, const char *const *allowed, int n, const char *what) {
    char list[600];
    yr_join_names(list, sizeof list, allowed, n);
    if (!strcmp(key, "<<"))
        return yr_fail(r, line, "YAML merge keys are not supported (allowed keys of %s: %s)", what, list);
    int best = -1, bestd = 3;
    for (int i = 0; i < n; i++) {
        int d = yr_edit_distance(key, allowed[i]);
        if (d < bestd && d < (int)strlen(allowed[i])) { bestd = d; best = i; }
    }
    if (best >= 0)
        return yr_fail(r, line, "unknown key in %s; did you mean %s? (allowed: %s)", what, allowed[best], list);
    return yr_fail(r, line, "unknown key in %s (allowed: %s)", what, list);
}

int yr_keys(yr_t *r, const yaml_node_t *map, const char *const *allowed, int n, const char *what,
            const yaml_node_t **vals, int *lines) {
    for (int i = 0; i < n; i++) { vals[i] = NULL; lines[i] = 0; }
    for (yaml_node_pair_t *pr = map->data.mapping.pairs.start; pr < map->data.mapping.pairs.top; pr++) {
        const yaml_node_t *k = node_at(r, pr->key), *v = node_at(r, pr->value);
        int kl = yr_line(k);
        char b[64];
        if (k->type != YAML_SCALAR_NODE || memchr(yr_text(k), '\0', yr_text_len(k)))
            return yr_fail(r, kl, "keys must be plain words, got %s as a key of %s", yr_describe(k, b, sizeof b),
                           what);
        const char *key = yr_text(k);
        int idx = -1;
        for (int i = 0; i < n; i++)
            if (!strcmp(key, allowed[i])) { idx = i; break; }
        size_t m = yr_key(r, key);
        if (idx < 0) return unknown_key(r, kl, key, allowed, n, what);
        if (vals[idx])
            return yr_fail(r, kl, "duplicate key (first given on line %d; give each key once)", lines[idx]);
        yr_restore(r, m);
        vals[idx] = v;
        lines[idx] = kl;
    }
    return 0;
}

/* ---- grids: lists of equal-length strings over an alphabet -------------------------- */

/* One row's cells into row[]: 0, or -1 with the first bad cell named. */
static int grid_row_cells(yr_t *r, int line, const yr_grid_t *gs, const char *s, size_t len, char *row) {
    for (size_t c = 0; c < len; c++) {
        char ch = s[c];
        if (!ch || !strchr(gs->alphabet, ch)) {
            char q[32];
            if ((unsigned char)ch >= 128) snprintf(q, sizeof q, "(a non-ASCII character)");
            else yr_quote(&s[c], 1, q, sizeof q);
            return yr_fail(r, line, "bad %s %s at col %zu (expected %s)", gs->cell, q, c, gs->cell_expect);
        }
        row[c] = ch;
    }
    return 0;
}

/* Every alphabet is ASCII: a row holding another character is refused for
 * it (at its column: the characters before it are ASCII, one byte each)
 * before the row is measured, since in bytes such a row looks longer than
 * it is.  0, or -1. */
static int grid_row_ascii(yr_t *r, int line, const yr_grid_t *gs, const char *s, size_t len) {
    for (size_t c = 0; c < len; c++)
        if ((unsigned char)s[c] >= 128)
            return yr_fail(r, line, "bad %s (a non-ASCII character) at col %zu (expected %s)", gs->cell, c,
                           gs->cell_expect);
    return 0;
}

int yr_grid(yr_t *r, const yaml_node_t *n, int keyline, const yr_grid_t *gs, int *rows, int *cols,
            const char *dims_from, char **out) {
    char b[64];
    if (n->type != YAML_SEQUENCE_NODE || yr_seq_len(n) == 0)
        return yr_fail(r, yr_value_line(n, keyline), "expected %s, got %s", gs->expect, yr_describe(n, b, sizeof b));
    long nr = yr_seq_len(n);
    if (*rows >= 0 && nr != *rows)
        return yr_fail(r, keyline, "has %ld rows, expected %d (from %s)", nr, *rows, dims_from);
    if (nr > gs->max_side) return yr_fail(r, keyline, "has %ld rows (at most %d)", nr, gs->max_side);
    int width = *cols, rc = 0;
    const char *width_from = dims_from;
    char *grid = NULL;
    for (long row = 0; row < nr && rc == 0; row++) {
        const yaml_node_t *it = yr_seq_item(r, n, row);
        int line = yr_line(it);
        size_t m = yr_idx(r, row);
        const char *s;
        size_t len;
        if (it->type == YAML_SCALAR_NODE && yr_is_null(it) && yr_text_len(it) == 0) {
            rc = yr_fail(r, line, "empty row (a row that starts with '#' must be quoted, e.g. \"#FF#\")");
            break;
        }
        if ((rc = yr_str(r, it, line, gs->row_expect, &s, &len)) != 0) break;
        if ((rc = grid_row_ascii(r, line, gs, s, len)) != 0) break;
        if (width < 0) {
            if (len > (size_t)gs->max_side) {
                rc = yr_fail(r, line, "row has %zu cells (at most %d)", len, gs->max_side);
                break;
            }
            width = (int)len;
            width_from = "the first row";
        }
        if ((int)len != width || len > (size_t)gs->max_side) {
            rc = yr_fail(r, line, "row %ld has %zu cells, expected %d (from %s)", row, len, width, width_from);
            break;
        }
        if (!grid && !(grid = malloc((size_t)nr * (size_t)width + 1))) {
            rc = yr_fail(r, line, "out of memory");
            break;
        }
        rc = grid_row_cells(r, line, gs, s, len, grid + (size_t)row * (size_t)width);
        if (rc == 0) yr_restore(r, m);
    }
    if (rc) {
        free(grid);
        return -1;
    }
    grid[(size_t)nr * (size_t)width] = '\0';
    *rows = (int)nr;
    *cols = width;
    *out = grid;
    return 0;
}

/* ---- lists ------------------------------------------------------------------------ */

int yr_each_mapping(yr_t *r, const yaml_node_t *value, int keyline, int parent_line,
                    const yr_list_t *list, void *ctx) {
    char b[64];
    size_t m = yr_key(r, list->key);
    if (!value) return yr_fail(r, parent_line, "missing (required: a non-empty list of %s)", list->key);
    if (value->type != YAML_SEQUENCE_NODE || yr_seq_len(value) == 0)
        return yr_fail(r, yr_value_line(value, keyline), "expected a non-empty list of %s, got %s", list->key,
                       yr_describe(value, b, sizeof b));
    long n = yr_seq_len(value);
    if (n > list->max) return yr_fail(r, keyline, "%ld %s (at most %ld)", n, list->key, list->max);
    if (list->begin(ctx, n)) return yr_fail(r, keyline, "out of memory");
    for (long i = 0; i < n; i++) {
        const yaml_node_t *it = yr_seq_item(r, value, i);
        size_t mi = yr_idx(r, i);
        if (it->type != YAML_MAPPING_NODE)
            return yr_fail(r, yr_line(it), "expected a mapping describing %s, got %s", list->item,
                           yr_describe(it, b, sizeof b));
        if (list->each(r, ctx, i, it)) return -1;
        yr_restore(r, mi);
    }
    yr_restore(r, m);
    return 0;
}

typedef struct { int64_t v; long i; } vi_t;

static int vi_cmp(const void *a, const void *b) {
    const vi_t *x = a, *y = b;
    if (x->v != y->v) return x->v < y->v ? -1 : 1;
    return x->i < y->i ? -1 : x->i > y->i;
}

/* Sorting (value, index) pairs keeps long lists cheap: O(n log n). */
int yr_find_duplicate_i64(const int64_t *v, long n, long *first, long *second) {
    if (n < 2) return -1;
    vi_t *t = malloc((size_t)n * sizeof *t);
    if (!t) return -2;
    for (long i = 0; i < n; i++) { t[i].v = v[i]; t[i].i = i; }
    qsort(t, (size_t)n, sizeof *t, vi_cmp);
    int found = -1;
    *second = LONG_MAX;
    for (long i = 1; i < n; i++)
        if (t[i].v == t[i - 1].v && t[i].i < *second) {
            long run0 = i - 1;
            while (run0 > 0 && t[run0 - 1].v == t[i].v) run0--;
            *second = t[i].i;
            *first = t[run0].i;
            found = 0;
        }
    free(t);
    return found;
}

/* Doubles compare through their bits, with -0 as 0 (so 0 and -0 are the same
 * value, as ==  has it; NaN never reaches here: the reader refuses it). */
int yr_find_duplicate(const double *v, long n, long *first, long *second) {
    if (n < 2) return -1;
    int64_t *bits = malloc((size_t)n * sizeof *bits);
    if (!bits) return -2;
    for (long i = 0; i < n; i++) {
        double x = v[i] == 0 ? 0.0 : v[i];
        memcpy(&bits[i], &x, sizeof x);
    }
    int rc = yr_find_duplicate_i64(bits, n, first, second);
    free(bits);
    return rc;
}

/* ---- files ------------------------------------------------------------------------ */

/* All of f into a NUL-terminated buffer, stopping past max_bytes (enough to
 * tell a file over the limit). */
static int slurp(FILE *f, const char *path, size_t max_bytes, char **text, size_t *len, char *err, size_t errlen) {
    size_t cap = 65536, n = 0;
    char *buf = malloc(cap + 1);
    while (buf) {
        if (n == cap) {
            if (cap > max_bytes) break;
            char *nb = realloc(buf, 2 * cap + 1);
            if (!nb) { free(buf); buf = NULL; break; }
            buf = nb;
            cap *= 2;
        }
        size_t k = fread(buf + n, 1, cap - n, f);
        n += k;
        if (k == 0) break;
    }
    int rc = YR_READ_OK;
    if (!buf) {
        snprintf(err, errlen, "cannot read %s: out of memory", path);
        rc = YR_READ_IO;
    } else if (n > max_bytes) {
        snprintf(err, errlen, "%s is larger than %zu bytes (the limit for job files; is it the right file?)", path,
                 max_bytes);
        rc = YR_READ_BAD;
    } else if (ferror(f)) {
        snprintf(err, errlen, "cannot read %s: %s", path, strerror(errno));
        rc = YR_READ_IO;
    }
    if (rc != YR_READ_OK) {
        free(buf);
        return rc;
    }
    buf[n] = '\0';
    *text = buf;
    *len = n;
    return YR_READ_OK;
}

int yr_read_file(const char *path, size_t max_bytes, char **text, size_t *len, char *err, size_t errlen) {
    *text = NULL;
    *len = 0;
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(err, errlen, "cannot open %s: %s", path, strerror(errno));
        return YR_READ_IO;
    }
    struct stat st;
    int rc;
    if (fstat(fileno(f), &st) == 0 && S_ISDIR(st.st_mode)) {
        snprintf(err, errlen, "cannot read %s: %s", path, strerror(EISDIR));
        rc = YR_READ_IO;
    } else {
        rc = slurp(f, path, max_bytes, text, len, err, errlen);
    }
    fclose(f);
    const char *nul = rc == YR_READ_OK ? memchr(*text, '\0', *len) : NULL;
    if (nul) {
        int line = 1;
        for (const char *c = *text; c < nul; c++) line += *c == '\n';
        snprintf(err, errlen, "%s:%d: the file contains a NUL byte (a job file is YAML text, not binary)", path, line);
        free(*text);
        *text = NULL;
        *len = 0;
        rc = YR_READ_BAD;
    }
    return rc;
}

/* ---- the document ----------------------------------------------------------------- */

static int syntax_error(yr_t *r) {
    const yaml_parser_t *yp = &r->parser;
    const char *problem = yp->problem ? yp->problem : "unknown problem";
    if (yp->error == YAML_MEMORY_ERROR) return yr_fail(r, 1, "out of memory reading the YAML");
    if (yp->error == YAML_READER_ERROR) {
        /* Reader errors carry a byte offset, not a mark. */
        int line = 1, col = 1;
        for (size_t i = 0; i < yp->problem_offset && i < r->len; i++) {
            if (r->text[i] == '\n') { line++; col = 1; } else col++;
        }
        if (yp->problem_value >= 0)
            return fail_col(r, line, col, "YAML syntax error: %s (byte 0x%02x; a job file is UTF-8 text)", problem,
                            yp->problem_value & 0xff);
        return fail_col(r, line, col, "YAML syntax error: %s (a job file is UTF-8 text)", problem);
    }
    int line = (int)yp->problem_mark.line + 1, col = (int)yp->problem_mark.column + 1;
    size_t idx = yp->problem_mark.index;
    const char *tab = ((idx < r->len && r->text[idx] == '\t') || strstr(problem, "tab"))
                          ? "indent with spaces, not tabs" : NULL;
    if (yp->context && (int)yp->context_mark.line + 1 != line)
        return fail_col(r, line, col, "YAML syntax error: %s (%s on line %d%s%s)", problem, yp->context,
                        (int)yp->context_mark.line + 1, tab ? "; " : "", tab ? tab : "");
    if (yp->context)
        return fail_col(r, line, col, "YAML syntax error: %s (%s%s%s)", problem, yp->context, tab ? "; " : "",
                        tab ? tab : "");
    if (tab) return fail_col(r, line, col, "YAML syntax error: %s (%s)", problem, tab);
    return fail_col(r, line, col, "YAML syntax error: %s", problem);
}

/* Explicit tags (!!int, !foo) would change how values read; refuse them all. */
static int check_tags(yr_t *r) {
    for (yaml_node_t *n = r->doc.nodes.start; n < r->doc.nodes.top; n++) {
        const char *tag = (const char *)n->tag;
        const char *def = n->type == YAML_SCALAR_NODE   ? YAML_DEFAULT_SCALAR_TAG
                          : n->type == YAML_SEQUENCE_NODE ? YAML_DEFAULT_SEQUENCE_TAG
                                                          : YAML_DEFAULT_MAPPING_TAG;
        if (tag && strcmp(tag, def) != 0) {
            char q[64];
            yr_quote(tag, strlen(tag), q, sizeof q);
            return yr_fail(r, yr_line(n), "YAML tag %s is not supported (remove it; values are typed by the schema)", q);
        }
    }
    return 0;
}

/* Before libyaml sees the text: no NUL byte, and no deeper flow nesting than
 * max_nesting (libyaml's scanner is quadratic in it, so a hostile file could
 * hold a rank for hours; brackets inside strings only make the count higher). */
static int check_text(yr_t *r, int max_nesting) {
    const char *nul = memchr(r->text, '\0', r->len);
    if (nul) {
        int line = 1;
        for (const char *c = r->text; c < nul; c++) line += *c == '\n';
        return yr_fail(r, line, "the file contains a NUL byte (a job file is YAML text)");
    }
    int depth = 0, line = 1;
    for (size_t i = 0; i < r->len; i++) {
        char c = r->text[i];
        if (c == '\n') line++;
        else if (c == '[' || c == '{') {
            if (++depth > max_nesting)
                return yr_fail(r, line, "more than %d nested [ or { (a job file never nests that deep)", max_nesting);
        } else if ((c == ']' || c == '}') && depth > 0) depth--;
    }
    return 0;
}

/* Exactly one document: a second one (even an empty one after ---) is refused. */
static int check_single(yr_t *r) {
    yaml_document_t doc2;
    if (!yaml_parser_load(&r->parser, &doc2)) return syntax_error(r);
    int rc = 0;
    if (yaml_document_get_root_node(&doc2))
        rc = yr_fail(r, (int)doc2.start_mark.line + 1,
                     "a second YAML document starts here (a job file holds exactly one document)");
    yaml_document_delete(&doc2);
    return rc;
}

void yr_init(yr_t *r, const char *path, const char *text, size_t len, char *err, size_t errlen) {
    memset(r, 0, sizeof *r);
    r->path = path;
    r->text = text;
    r->len = len;
    r->err = err;
    r->errlen = errlen;
}

int yr_open(yr_t *r, const char *path, const char *text, size_t len, int max_nesting,
            const yaml_node_t **root, char *err, size_t errlen) {
    yr_init(r, path, text, len, err, errlen);
    *root = NULL;
    int rc = check_text(r, max_nesting);
    if (rc) goto out;
    if (!yaml_parser_initialize(&r->parser)) {
        rc = yr_fail(r, 1, "out of memory starting the YAML parser");
        goto out;
    }
    r->started = 1;
    yaml_parser_set_input_string(&r->parser, (const unsigned char *)text, len);
    if (!yaml_parser_load(&r->parser, &r->doc)) {
        rc = syntax_error(r);
        goto out;
    }
    r->loaded = 1;
    *root = yaml_document_get_root_node(&r->doc);
    if (!*root) goto out; /* empty: the caller says what was expected */
    rc = check_single(r);
    if (rc == 0) rc = check_tags(r);
out:
    if (rc) *root = NULL;
    return rc;
}

void yr_close(yr_t *r) {
    if (r->loaded) yaml_document_delete(&r->doc);
    if (r->started) yaml_parser_delete(&r->parser);
    r->loaded = r->started = 0;
}
