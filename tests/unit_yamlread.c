/* unit_yamlread: the strict YAML reader on its own (no job schema): number
 * scanning at its edges, duplicate and unknown keys with their lines, key paths
 * in messages, the list-of-mappings helper, grids, whole-document checks and
 * file reading.  Messages are compared whole where users read them. */
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "unit.h"
#include "job/yamlread.h"

/* ---- numbers ---------------------------------------------------------------------- */

static int scan(const char *s, double *v, long long *iv, int *ok) {
    return yr_scan_number(s, strlen(s), v, iv, ok);
}

static void scan_number_edges(void) {
    double v = 0;
    long long iv = 0;
    int ok = 0;
    CHECK(scan("1e3", &v, &iv, &ok) == YR_NUM_REAL && v == 1000); /* exponent without a dot */
    CHECK(scan("1E+3", &v, &iv, &ok) == YR_NUM_REAL && v == 1000);
    CHECK(scan("-0", &v, &iv, &ok) == YR_NUM_INT && iv == 0 && ok && v == 0);
    CHECK(scan("-0.0", &v, &iv, &ok) == YR_NUM_REAL && v == 0 && signbit(v));
    CHECK(scan("0", &v, &iv, &ok) == YR_NUM_INT && iv == 0);
    CHECK(scan("+7", &v, &iv, &ok) == YR_NUM_INT && iv == 7);
    CHECK(scan(".5", &v, &iv, &ok) == YR_NUM_REAL && v == 0.5);
    CHECK(scan("5.", &v, &iv, &ok) == YR_NUM_REAL && v == 5);
    CHECK(scan("007", &v, &iv, &ok) == YR_NUM_LEADZERO);
    CHECK(scan("0.7", &v, &iv, &ok) == YR_NUM_REAL); /* a leading zero before a dot is fine */
    CHECK(scan(".inf", &v, &iv, &ok) == YR_NUM_INF && v > 0 && isinf(v));
    CHECK(scan("-.Inf", &v, &iv, &ok) == YR_NUM_INF && v < 0 && isinf(v));
    CHECK(scan(".NaN", &v, &iv, &ok) == YR_NUM_NAN && isnan(v));
    /* Not numbers in YAML 1.2's core schema, whatever strtod would say. */
    static const char *const not_numbers[] = {"inf", "Infinity", "nan", "0x1F", "0o17", "1_000", "1e", "e3",
                                              ".", "-", "+", "", "1.2.3", " 1", "1 ", "--1", ".infx", NULL};
    for (int i = 0; not_numbers[i]; i++)
        CHECK_MSG(scan(not_numbers[i], &v, &iv, &ok) == YR_NUM_NONE, "\"%s\" scanned as a number", not_numbers[i]);
    /* An embedded NUL never reads as a number. */
    CHECK(yr_scan_number("1\0002", 3, &v, &iv, &ok) == YR_NUM_NONE);
    /* Integers past long long: an integer, but not an exact one. */
    CHECK(scan("9223372036854775807", &v, &iv, &ok) == YR_NUM_INT && ok && iv == LLONG_MAX);
    CHECK(scan("9223372036854775808", &v, &iv, &ok) == YR_NUM_INT && !ok);
    CHECK(scan("-99999999999999999999", &v, &iv, &ok) == YR_NUM_INT && !ok);
}

/* ---- a document in memory -------------------------------------------------------- */

typedef struct {
    yr_t r;
    const yaml_node_t *root;
    char err[1024];
} doc_t;

static int open_doc(doc_t *d, const char *text) {
    d->err[0] = '\0';
    return yr_open(&d->r, "t.yaml", text, strlen(text), 10, &d->root, d->err, sizeof d->err);
}

/* The value of top-level key `key` (a mapping root), or NULL. */
static const yaml_node_t *value_of(doc_t *d, const char *key, int *line) {
    for (yaml_node_pair_t *p = d->root->data.mapping.pairs.start; p < d->root->data.mapping.pairs.top; p++) {
        const yaml_node_t *k = yaml_document_get_node(&d->r.doc, p->key);
        if (!strcmp(yr_text(k), key)) {
            *line = yr_line(k);
            return yaml_document_get_node(&d->r.doc, p->value);
        }
    }
    return NULL;
}

static void numbers_in_messages(void) {
    doc_t d;
    const yaml_node_t *n;
    int line = 0;
    CHECK(open_doc(&d, "a: 99999999999999999999\nb: \"3\"\nc: 1e400\nd: 2.5\ne: 0x10\nf: -.inf\n") == 0 && d.root);
    long long iv;
    double x;
    size_t m = yr_key(&d.r, "a");
    n = value_of(&d, "a", &line);
    CHECK(yr_int(&d.r, n, line, 0, LLONG_MAX, NULL, &iv) != 0);
    CHECK_MSG(!strcmp(d.err, "t.yaml:1: a: expected an integer >= 0, got \"99999999999999999999\" (out of range)"),
              "%s", d.err);
    yr_restore(&d.r, m);
    m = yr_key(&d.r, "b");
    n = value_of(&d, "b", &line);
    CHECK(yr_int(&d.r, n, line, 0, 10, NULL, &iv) != 0);
    CHECK_MSG(!strcmp(d.err, "t.yaml:2: b: expected an integer in [0, 10], got the string \"3\" (remove the quotes)"),
              "%s", d.err);
    yr_restore(&d.r, m);
    /* 1e400 is beyond a double: refused as not finite, like .inf. */
    n = value_of(&d, "c", &line);
    CHECK(yr_int(&d.r, n, line, 0, LLONG_MAX, NULL, &iv) != 0);
    CHECK_MSG(strstr(d.err, "t.yaml:3: expected an integer >= 0, got \"1e400\" (not a finite number)"), "%s", d.err);
    n = value_of(&d, "d", &line);
    CHECK(yr_int(&d.r, n, line, 0, 10, NULL, &iv) != 0);
    CHECK_MSG(strstr(d.err, "got \"2.5\" (not a whole number)"), "%s", d.err);
    n = value_of(&d, "e", &line);
    CHECK(yr_real(&d.r, n, line, 0, 100, 0, 0, &x) != 0);
    CHECK_MSG(!strcmp(d.err, "t.yaml:5: expected a number in [0, 100], got \"0x10\""), "%s", d.err);
    n = value_of(&d, "f", &line);
    CHECK(yr_real(&d.r, n, line, -INFINITY, INFINITY, 0, 0, &x) != 0);
    CHECK_MSG(strstr(d.err, "got \"-.inf\" (not a finite number)"), "%s", d.err);
    /* Open ends of a range. */
    n = value_of(&d, "d", &line);
    CHECK(yr_real(&d.r, n, line, 0, 2.5, 0, 1, &x) != 0);
    CHECK_MSG(!strcmp(d.err, "t.yaml:4: expected a number in [0, 2.5), got \"2.5\""), "%s", d.err);
    n = value_of(&d, "d", &line);
    CHECK(yr_real(&d.r, n, line, 0, 2.5, 0, 0, &x) == 0 && x == 2.5);
    yr_close(&d.r);
}

static void booleans_and_strings(void) {
    doc_t d;
    const yaml_node_t *n;
    int line = 0;
    CHECK(open_doc(&d, "a: yes\nb: 'true'\nc: False\nd: ''\n") == 0);
    double x = -1;
    n = value_of(&d, "a", &line);
    CHECK(yr_bool(&d.r, n, line, &x) != 0);
    CHECK_MSG(strstr(d.err, "t.yaml:1: expected true or false, got \"yes\" (yes/no/on/off are not accepted)"), "%s",
              d.err);
    n = value_of(&d, "b", &line);
    CHECK(yr_bool(&d.r, n, line, &x) != 0);
    CHECK_MSG(strstr(d.err, "got the string \"true\" (remove the quotes)"), "%s", d.err);
    n = value_of(&d, "c", &line);
    CHECK(yr_bool(&d.r, n, line, &x) == 0 && x == 0);
    const char *s;
    size_t len;
    n = value_of(&d, "d", &line);
    CHECK(yr_str(&d.r, n, line, "a name", &s, &len) != 0);
    CHECK_MSG(!strcmp(d.err, "t.yaml:4: expected a name, got \"\""), "%s", d.err);
    yr_close(&d.r);
}

/* ---- mappings ---------------------------------------------------------------------- */

static const char *const ab[] = {"alpha", "beta"};

static void duplicate_key_with_its_line(void) {
    doc_t d;
    CHECK(open_doc(&d, "# a comment\nalpha: 1\nbeta: 2\n\nalpha: 3\n") == 0);
    const yaml_node_t *v[2];
    int kl[2];
    CHECK(yr_keys(&d.r, d.root, ab, 2, "the test", v, kl) != 0);
    CHECK_MSG(!strcmp(d.err, "t.yaml:5: alpha: duplicate key (first given on line 2; give each key once)"), "%s",
              d.err);
    yr_close(&d.r);

    /* Without duplicates: values and key lines; absent keys NULL. */
    CHECK(open_doc(&d, "beta: [1, 2]\n") == 0);
    CHECK(yr_keys(&d.r, d.root, ab, 2, "the test", v, kl) == 0);
    CHECK(v[0] == NULL && kl[0] == 0 && v[1] && v[1]->type == YAML_SEQUENCE_NODE && kl[1] == 1);
    CHECK(d.r.kpn == 0); /* the key path is back where it was */
    yr_close(&d.r);
}

static void unknown_keys(void) {
    doc_t d;
    const yaml_node_t *v[2];
    int kl[2];
    CHECK(open_doc(&d, "alpha: 1\nbeat: 2\n") == 0);
    CHECK(yr_keys(&d.r, d.root, ab, 2, "the test", v, kl) != 0);
    CHECK_MSG(!strcmp(d.err, "t.yaml:2: beat: unknown key in the test; did you mean beta? (allowed: alpha, beta)"),
              "%s", d.err);
    yr_close(&d.r);
    CHECK(open_doc(&d, "gamma: 1\n") == 0);
    CHECK(yr_keys(&d.r, d.root, ab, 2, "the test", v, kl) != 0);
    CHECK_MSG(!strcmp(d.err, "t.yaml:1: gamma: unknown key in the test (allowed: alpha, beta)"), "%s", d.err);
    yr_close(&d.r);
    CHECK(open_doc(&d, "base: &b {alpha: 1}\nx:\n  <<: *b\n") == 0);
    int line;
    const yaml_node_t *x = value_of(&d, "x", &line);
    CHECK(yr_keys(&d.r, x, ab, 2, "the test", v, kl) != 0);
    CHECK_MSG(strstr(d.err, "t.yaml:3: <<: YAML merge keys are not supported"), "%s", d.err);
    yr_close(&d.r);
}

static void key_path_in_messages(void) {
    char err[512];
    yr_t r;
    yr_init(&r, "k.yaml", NULL, 0, err, sizeof err);
    size_t m0 = yr_key(&r, "agents");
    yr_idx(&r, 1);
    size_t m1 = yr_key(&r, "params");
    yr_key(&r, "alpha");
    CHECK(yr_fail(&r, 12, "expected a number, got %s", "\"fast\"") == -1);
    CHECK_MSG(!strcmp(err, "k.yaml:12: agents[1].params.alpha: expected a number, got \"fast\""), "%s", err);
    yr_restore(&r, m1);
    yr_idx(&r, 0);
    yr_fail(&r, 3, "x");
    CHECK_MSG(!strcmp(err, "k.yaml:3: agents[1][0]: x"), "%s", err); /* back to agents[1], then [0] */
    yr_restore(&r, m0);
    yr_fail(&r, 1, "top\nlevel");    /* one line, whatever the message holds */
    CHECK_MSG(!strcmp(err, "k.yaml:1: top level"), "%s", err);
    /* Control characters in a key stay printable in the path. */
    yr_key(&r, "a\tb\nc");
    yr_fail(&r, 2, "y");
    CHECK_MSG(!strcmp(err, "k.yaml:2: a?b\\nc: y"), "%s", err);
    /* A reader without an err buffer still fails, silently. */
    yr_init(&r, "k.yaml", NULL, 0, NULL, 0);
    CHECK(yr_fail(&r, 1, "nobody reads this") == -1);
}

/* ---- lists of mappings --------------------------------------------------------------- */

typedef struct {
    long begun, seen[8];
    int lines[8];
    char paths[8][32];
    int fail_begin, fail_at;
} list_ctx_t;

static int t_begin(void *ctx, long n) {
    list_ctx_t *c = ctx;
    c->begun = n;
    return c->fail_begin ? -1 : 0;
}

static int t_each(yr_t *r, void *ctx, long i, const yaml_node_t *item) {
    list_ctx_t *c = ctx;
    c->seen[i] = 1;
    c->lines[i] = yr_line(item);
    snprintf(c->paths[i], sizeof c->paths[i], "%s", r->kp);
    if (c->fail_at == i) return yr_fail(r, yr_line(item), "refused");
    return 0;
}

static const yr_list_t things = {"things", "a thing (id: ...)", 3, t_begin, t_each};

/* Runs the helper on key `things` of text; 0 or -1. */
static int each_thing(const char *text, list_ctx_t *c, char *err, size_t errlen) {
    doc_t d;
    if (open_doc(&d, text) != 0 || !d.root) {
        snprintf(err, errlen, "%s", d.err);
        yr_close(&d.r);
        return -2;
    }
    int line = 0;
    const yaml_node_t *v = value_of(&d, "things", &line);
    int rc = yr_each_mapping(&d.r, v, line, yr_line(d.root), &things, c);
    snprintf(err, errlen, "%s", d.err);
    if (rc == 0 && d.r.kpn != 0) rc = -3; /* the key path must be back where it was */
    yr_close(&d.r);
    return rc;
}

static void list_of_mappings(void) {
    char err[512];
    list_ctx_t c = {.fail_at = -1};
    CHECK_MSG(each_thing("things:\n  - id: 1\n  - {id: 2}\n", &c, err, sizeof err) == 0, "%s", err);
    CHECK(c.begun == 2 && c.seen[0] && c.seen[1] && c.lines[0] == 2 && c.lines[1] == 3);
    CHECK(!strcmp(c.paths[0], "things[0]") && !strcmp(c.paths[1], "things[1]"));

    /* On what is not a list of mappings. */
    static const struct { const char *text, *want; } bad[] = {
        {"other: 1\n", "t.yaml:1: things: missing (required: a non-empty list of things)"},
        {"things: 7\n", "t.yaml:1: things: expected a non-empty list of things, got \"7\""},
        {"things: {id: 1}\n", "t.yaml:1: things: expected a non-empty list of things, got a mapping"},
        {"things: []\n", "t.yaml:1: things: expected a non-empty list of things, got an empty list"},
        {"things:\n", "t.yaml:1: things: expected a non-empty list of things, got nothing (an empty value)"},
        {"things:\n  - id: 1\n  - [1, 2]\n",
         "t.yaml:3: things[1]: expected a mapping describing a thing (id: ...), got a list"},
        {"things:\n  - plain\n", "t.yaml:2: things[0]: expected a mapping describing a thing (id: ...), got \"plain\""},
        {"things: [{}, {}, {}, {}]\n", "t.yaml:1: things: 4 things (at most 3)"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        list_ctx_t b = {.fail_at = -1};
        CHECK_MSG(each_thing(bad[i].text, &b, err, sizeof err) == -1, "accepted: %s", bad[i].text);
        CHECK_MSG(!strcmp(err, bad[i].want), "\n  want: %s\n  got:  %s", bad[i].want, err);
    }
    /* A mapping that is not the first is never reached once one fails. */
    list_ctx_t f = {.fail_at = 0};
    CHECK(each_thing("things: [{id: 1}, {id: 2}]\n", &f, err, sizeof err) == -1);
    CHECK(f.seen[0] && !f.seen[1]);
    CHECK_MSG(!strcmp(err, "t.yaml:1: things[0]: refused"), "%s", err);
    list_ctx_t o = {.fail_at = -1, .fail_begin = 1};
    CHECK(each_thing("things: [{id: 1}]\n", &o, err, sizeof err) == -1 && !o.seen[0]);
    CHECK_MSG(!strcmp(err, "t.yaml:1: things: out of memory"), "%s", err);
}

/* ---- grids and duplicates ---------------------------------------------------------- */

static const yr_grid_t abc = {"rows of a b c", "a row of a b c", "abc", "cell", "one of a b c", 4};

static void grids(void) {
    doc_t d;
    const yaml_node_t *n;
    int line = 0;
    CHECK(open_doc(&d, "g: [abc, cab]\nh: [ab, abc]\ni: [ax]\nj: [aaaaa]\n") == 0);
    int rows = -1, cols = -1;
    char *grid = NULL;
    n = value_of(&d, "g", &line);
    CHECK(yr_grid(&d.r, n, line, &abc, &rows, &cols, NULL, &grid) == 0);
    CHECK(rows == 2 && cols == 3 && grid && !strcmp(grid, "abccab"));
    free(grid);
    rows = cols = -1;
    n = value_of(&d, "h", &line);
    CHECK(yr_grid(&d.r, n, line, &abc, &rows, &cols, NULL, &grid) != 0);
    CHECK_MSG(!strcmp(d.err, "t.yaml:2: [1]: row 1 has 3 cells, expected 2 (from the first row)"), "%s", d.err);
    yr_restore(&d.r, 0);
    rows = cols = -1;
    n = value_of(&d, "i", &line);
    CHECK(yr_grid(&d.r, n, line, &abc, &rows, &cols, NULL, &grid) != 0);
    CHECK_MSG(!strcmp(d.err, "t.yaml:3: [0]: bad cell \"x\" at col 1 (expected one of a b c)"), "%s", d.err);
    yr_restore(&d.r, 0);
    rows = 2, cols = 3;
    n = value_of(&d, "i", &line);
    CHECK(yr_grid(&d.r, n, line, &abc, &rows, &cols, "size: 2x3", &grid) != 0);
    CHECK_MSG(!strcmp(d.err, "t.yaml:3: has 1 rows, expected 2 (from size: 2x3)"), "%s", d.err);
    rows = cols = -1;
    n = value_of(&d, "j", &line);
    CHECK(yr_grid(&d.r, n, line, &abc, &rows, &cols, NULL, &grid) != 0);
    CHECK_MSG(strstr(d.err, "row has 5 cells (at most 4)"), "%s", d.err);
    yr_close(&d.r);
}

static void duplicates_in_lists(void) {
    long f = -1, s = -1;
    const double v[] = {3, 1, 2, 1, 3};
    CHECK(yr_find_duplicate(v, 5, &f, &s) == 0 && f == 1 && s == 3); /* the earliest second occurrence */
    const double z[] = {0.0, 1, -0.0};
    CHECK(yr_find_duplicate(z, 3, &f, &s) == 0 && f == 0 && s == 2);  /* -0 is 0 */
    const double u[] = {0.1, 0.2, 0.30000000000000004, 0.3};
    CHECK(yr_find_duplicate(u, 4, &f, &s) == -1);
    CHECK(yr_find_duplicate(u, 1, &f, &s) == -1 && yr_find_duplicate(u, 0, &f, &s) == -1);
    /* Seeds past 2^53 differ by one: as doubles they would be equal. */
    const int64_t big[] = {9007199254740993LL, 9007199254740992LL, 5};
    CHECK(yr_find_duplicate_i64(big, 3, &f, &s) == -1);
    const int64_t rep[] = {5, 7, 9, 7, 5};
    CHECK(yr_find_duplicate_i64(rep, 5, &f, &s) == 0 && f == 1 && s == 3);
}

/* ---- whole documents and files --------------------------------------------------------- */

static void document_checks(void) {
    doc_t d;
    CHECK(open_doc(&d, "") == 0 && d.root == NULL); /* empty: the caller says what it expected */
    yr_close(&d.r);
    CHECK(open_doc(&d, "a: 1\n---\nb: 2\n") != 0);
    CHECK_MSG(!strcmp(d.err, "t.yaml:2: a second YAML document starts here (a job file holds exactly one document)"),
              "%s", d.err);
    yr_close(&d.r);
    CHECK(open_doc(&d, "a: !!int 1\n") != 0);
    CHECK_MSG(strstr(d.err, "t.yaml:1: YAML tag \"tag:yaml.org,2002:int\" is not supported"), "%s", d.err);
    yr_close(&d.r);
    CHECK(open_doc(&d, "a: [[[[[[[[[[[1]]]]]]]]]]]\n") != 0);
    CHECK_MSG(!strcmp(d.err, "t.yaml:1: more than 10 nested [ or { (a job file never nests that deep)"), "%s", d.err);
    yr_close(&d.r);
    CHECK(open_doc(&d, "a: 1\n\tb: 2\n") != 0);
    CHECK_MSG(strstr(d.err, "t.yaml:2:") == d.err && strstr(d.err, "YAML syntax error") &&
              strstr(d.err, "indent with spaces, not tabs"), "%s", d.err);
    yr_close(&d.r);
    const char nul[] = "a: 1\nb: \0\n";
    CHECK(yr_open(&d.r, "t.yaml", nul, sizeof nul - 1, 10, &d.root, d.err, sizeof d.err) != 0);
    CHECK_MSG(!strcmp(d.err, "t.yaml:2: the file contains a NUL byte (a job file is YAML text)"), "%s", d.err);
    yr_close(&d.r);
    yr_close(&d.r); /* twice is harmless */
}

static void read_file_kinds(void) {
    char err[512], *text = (char *)1;
    size_t len = 9;
    CHECK(yr_read_file("/nonexistent/x.yaml", 1024, &text, &len, err, sizeof err) == YR_READ_IO);
    CHECK(text == NULL && len == 0 && strstr(err, "cannot open /nonexistent/x.yaml"));
    CHECK(yr_read_file("/tmp", 1024, &text, &len, err, sizeof err) == YR_READ_IO);
    char path[] = "/tmp/unit_yamlread_XXXXXX";
    int fd = mkstemp(path);
    CHECK(fd >= 0);
    CHECK(write(fd, "a: 1\n", 5) == 5);
    close(fd);
    CHECK(yr_read_file(path, 1024, &text, &len, err, sizeof err) == YR_READ_OK);
    CHECK(len == 5 && !strcmp(text, "a: 1\n"));
    free(text);
    /* Over the limit (here 4 MB, with a 4 MB + 1 file). */
    fd = open(path, O_WRONLY | O_TRUNC);
    CHECK(fd >= 0);
    CHECK(ftruncate(fd, 4 * 1024 * 1024 + 1) == 0);
    close(fd);
    int rc = yr_read_file(path, 4u << 20, &text, &len, err, sizeof err);
    unlink(path);
    CHECK(rc == YR_READ_BAD && text == NULL);
    CHECK_MSG(strstr(err, "is larger than 4194304 bytes"), "%s", err);
}

static const unit_test_t tests[] = {
    {"scan_number_edges", scan_number_edges},
    {"numbers_in_messages", numbers_in_messages},
    {"booleans_and_strings", booleans_and_strings},
    {"duplicate_key_with_its_line", duplicate_key_with_its_line},
    {"unknown_keys", unknown_keys},
    {"key_path_in_messages", key_path_in_messages},
    {"list_of_mappings", list_of_mappings},
    {"grids", grids},
    {"duplicates_in_lists", duplicates_in_lists},
    {"document_checks", document_checks},
    {"read_file_kinds", read_file_kinds},
    {0, 0},
};

int main(int argc, char **argv) { return unit_main(argc, argv, tests); }
