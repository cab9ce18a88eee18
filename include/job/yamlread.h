/* yamlread: a strict YAML reader for schema code (libyaml's document API).
 *
 * The reader owns the parsed document, the file's name and the key path of
 * what is being read (e.g. agents[1].params.alpha), and reports the first
 * error on one line:
 *   PATH:LINE: KEY.PATH: what is wrong (what is expected)
 * Every yr_* function that can fail writes that line into the caller's err
 * buffer and returns -1; 0 means success.
 *
 * Strictness: plain scalars are typed by their text (YAML 1.2 core-schema
 * numbers, true/false), quoted scalars are always strings, and whatever YAML
 * 1.1 and 1.2 read differently is refused rather than guessed: yes/no/on/off,
 * integers with leading zeros, explicit tags, merge keys.  Keys of a mapping
 * are checked against a fixed list, each at most once.
 *
 * The schema (which keys exist, their ranges, what they build) is the
 * caller's: jobspec.c for job files. */
#ifndef AIF_YAMLREAD_H
#define AIF_YAMLREAD_H
#include <stddef.h>
#include <stdint.h>
#include <yaml.h>

typedef struct {
    const char *path;          /* the file, for messages */
    const char *text;
    size_t len;
    yaml_parser_t parser;
    yaml_document_t doc;
    int started;               /* 1: parser initialised (yr_close deletes it) */
    int loaded;                /* 1: doc holds a document (yr_close deletes it) */
    char *err;
    size_t errlen;
    char kp[320];              /* key path of what is being read */
    size_t kpn;
} yr_t;

/* ---- the document ---------------------------------------------------------------- */

/* A reader for messages only (no document): yr_fail and the key path work. */
void yr_init(yr_t *r, const char *path, const char *text, size_t len, char *err, size_t errlen);
/* Parse text as exactly one YAML document: no NUL byte, at most max_nesting
 * nested [ or {, valid syntax (PATH:LINE:COL: messages), no second document,
 * no explicit tags.  *root is NULL for an empty document (the caller says what
 * was expected).  0 or -1; yr_close in either case. */
int  yr_open(yr_t *r, const char *path, const char *text, size_t len, int max_nesting,
             const yaml_node_t **root, char *err, size_t errlen);
void yr_close(yr_t *r);

/* Writes `PATH:LINE: KEYPATH: message` (without the key path when it is
 * empty) into the reader's err, on one line, and returns -1. */
int  yr_fail(yr_t *r, int line, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* Key path: append ".key" ("key" at the top) or "[i]"; both return the old
 * length, for yr_restore. */
size_t yr_key(yr_t *r, const char *key);
size_t yr_idx(yr_t *r, long i);
void   yr_restore(yr_t *r, size_t n);

/* ---- nodes ----------------------------------------------------------------------- */

int  yr_line(const yaml_node_t *n);
/* The line to blame for a value: its own, unless it is empty (then keyline). */
int  yr_value_line(const yaml_node_t *n, int keyline);
const char *yr_text(const yaml_node_t *n);     /* a scalar's text */
size_t yr_text_len(const yaml_node_t *n);
int  yr_is_plain(const yaml_node_t *n);        /* an unquoted scalar */
int  yr_is_null(const yaml_node_t *n);         /* empty, ~ or null (plain) */
long yr_seq_len(const yaml_node_t *n);
const yaml_node_t *yr_seq_item(const yr_t *r, const yaml_node_t *seq, long i);

/* For "got ...": "a mapping", "an empty list", "null", or the scalar quoted. */
const char *yr_describe(const yaml_node_t *n, char *buf, size_t bufsz);
/* Text quoted for messages: control characters escaped, cut after 40 bytes. */
void yr_quote(const char *s, size_t len, char *buf, size_t bufsz);
/* Numbers for messages: integers without exponent, others in %.15g. */
const char *yr_fmt_num(double v, char *buf, size_t bufsz);
/* "an integer in [1, 10]", "a number >= 0", "a finite number", ... */
void yr_range_text(char *buf, size_t bufsz, int integer, double lo, double hi, int lo_open, int hi_open);

/* ---- scalars --------------------------------------------------------------------- */

enum { YR_NUM_NONE, YR_NUM_INT, YR_NUM_REAL, YR_NUM_INF, YR_NUM_NAN, YR_NUM_LEADZERO };

/* YAML 1.2 core-schema number syntax (plus exponents without a dot, 1e-3);
 * one of YR_NUM_*.  *v gets the value; for YR_NUM_INT also *iv, with *iv_ok 0
 * when it does not fit a long long. */
int yr_scan_number(const char *s, size_t len, double *v, long long *iv, int *iv_ok);
/* A finite number from a plain scalar; *kind is YR_NUM_INT or YR_NUM_REAL.
 * `expect` says what was wanted ("a number in [0, 1)") for the message. */
int yr_number(yr_t *r, const yaml_node_t *n, int keyline, const char *expect, double *v,
              long long *iv, int *iv_ok, int *kind);
/* A number in the range (open ends where lo_open / hi_open; infinite ends for none). */
int yr_real(yr_t *r, const yaml_node_t *n, int keyline, double lo, double hi, int lo_open,
            int hi_open, double *out);
/* An integer in [lo, hi]; 3.0 and 1e6 count (integral), 2.5 does not.
 * `expect` overrides the generated description when non-NULL. */
int yr_int(yr_t *r, const yaml_node_t *n, int keyline, long long lo, long long hi,
           const char *expect, long long *out);
int yr_int32(yr_t *r, const yaml_node_t *n, int keyline, int lo, int hi, const char *expect, int *out);
/* Exactly true or false (1 or 0). */
int yr_bool(yr_t *r, const yaml_node_t *n, int keyline, double *out);
/* A non-empty string scalar (quoted or plain) without NUL characters. */
int yr_str(yr_t *r, const yaml_node_t *n, int keyline, const char *expect, const char **s, size_t *len);

/* ---- mappings and lists ---------------------------------------------------------- */

/* Levenshtein distance, capped (for "did you mean"). */
int  yr_edit_distance(const char *a, const char *b);
/* "a, b, c" into buf. */
void yr_join_names(char *buf, size_t bufsz, const char *const *names, int n);

/* Checks a mapping's keys against `allowed` (n of them): every key a known
 * scalar (else "unknown key ... did you mean"), none twice (else "duplicate
 * key (first given on line N ...)").  vals[i] / lines[i] get the value node
 * and key line of allowed[i] (NULL / 0 if absent).  `what` names the mapping
 * in messages ("an environment"). */
int yr_keys(yr_t *r, const yaml_node_t *map, const char *const *allowed, int n, const char *what,
            const yaml_node_t **vals, int *lines);

/* A required, non-empty list of mappings under `key` of a mapping that starts
 * on parent_line.  Refuses a missing key, a value that is not a non-empty
 * list, more than max items, and an item that is not a mapping ("expected a
 * mapping describing <item>"); calls begin(ctx, n) once (0, or -1: out of
 * memory), then each(r, ctx, i, item) with the key path at KEY[i]. */
typedef struct {
    const char *key;           /* "environments"; also the plural in messages */
    const char *item;          /* "an environment (name: ..., size: ...)" */
    long max;
    int (*begin)(void *ctx, long n);
    int (*each)(yr_t *r, void *ctx, long i, const yaml_node_t *item);
} yr_list_t;

int yr_each_mapping(yr_t *r, const yaml_node_t *value, int keyline, int parent_line,
                    const yr_list_t *list, void *ctx);

/* A grid: a non-empty list of rows, each a string of the same length over an
 * alphabet ("S F H G #" map rows, digit rows).  *rows / *cols < 0 means "not
 * fixed yet: take it from the list" (the first row fixes the width); a fixed
 * size that the list disagrees with is blamed on dims_from ("size: 4").
 * *out: rows * cols cells, row-major, NUL-terminated (the caller frees). */
typedef struct {
    const char *expect;        /* the whole value, for "expected ..." */
    const char *row_expect;    /* one row */
    const char *alphabet;      /* the characters a cell may be */
    const char *cell;          /* "cell": for "bad cell "x" at col 3" */
    const char *cell_expect;   /* "one of S F H G #" */
    int max_side;              /* rows and columns at most */
} yr_grid_t;

int yr_grid(yr_t *r, const yaml_node_t *n, int keyline, const yr_grid_t *gs, int *rows, int *cols,
            const char *dims_from, char **out);

/* Index pair (first, second) of a repeated value in v[0..n), the earliest
 * second occurrence in file order: 0 found, -1 none, -2 out of memory. */
int yr_find_duplicate(const double *v, long n, long *first, long *second);
int yr_find_duplicate_i64(const int64_t *v, long n, long *first, long *second);

/* ---- files ---------------------------------------------------------------------- */

enum { YR_READ_OK = 0, YR_READ_IO, YR_READ_BAD };
/* The whole file at path, NUL-terminated (*text is the caller's to free):
 * YR_READ_OK; YR_READ_IO when it cannot be opened or read (a directory, out
 * of memory); YR_READ_BAD when it is not text to parse (over max_bytes, a NUL
 * byte: PATH:LINE: named).  A message in err for either. */
int yr_read_file(const char *path, size_t max_bytes, char **text, size_t *len, char *err, size_t errlen);

#endif
