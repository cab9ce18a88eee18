/* params: the schema of an agent's parameters.
 *
 * Each agent class declares its parameters once, as a table of param_spec_t.
 * The job-file loader validates against that table (type, range, choices), the
 * run expansion sweeps over it, and the results file gets one column per
 * parameter.  A parameter's value is a double: integers and booleans are held
 * exactly, a choice is held as its index into `choices`. */
#ifndef AIF_PARAMS_H
#define AIF_PARAMS_H

typedef enum { PT_INT, PT_REAL, PT_BOOL, PT_CHOICE } param_type_t;

typedef struct {
    const char *name;
    param_type_t type;
    double def;                  /* default value (for PT_CHOICE, index of the default) */
    double lo, hi;               /* inclusive range for PT_INT and PT_REAL */
    const char *const *choices;  /* NULL-terminated, for PT_CHOICE */
    const char *help;            /* one line for --help and the docs */
} param_spec_t;

/* Number of choices of a PT_CHOICE parameter. */
int param_n_choices(const param_spec_t *p);
/* Index of `text` among p's choices, or -1. */
int param_choice_index(const param_spec_t *p, const char *text);
/* Value as text ("0.1", "7", "true", "cosine") into buf. */
void param_format(const param_spec_t *p, double v, char *buf, int buflen);

#endif
