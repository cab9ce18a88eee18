#include "core/params.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int param_n_choices(const param_spec_t *p) {
    int n = 0;
    if (p->choices) while (p->choices[n]) n++;
    return n;
}

int param_choice_index(const param_spec_t *p, const char *text) {
    for (int i = 0; p->choices && p->choices[i]; i++)
        if (strcmp(p->choices[i], text) == 0) return i;
    return -1;
}

void param_format(const param_spec_t *p, double v, char *buf, int buflen) {
    switch (p->type) {
    case PT_INT: snprintf(buf, (size_t)buflen, "%lld", (long long)v); break;
    case PT_BOOL: snprintf(buf, (size_t)buflen, "%s", v != 0 ? "true" : "false"); break;
    case PT_CHOICE: {
        int i = (int)v;
        snprintf(buf, (size_t)buflen, "%s", (i >= 0 && i < param_n_choices(p)) ? p->choices[i] : "?");
        break;
    }
    default:
        /* The shortest form that reads back as the same double. */
        for (int prec = 6; prec <= 17; prec++) {
            snprintf(buf, (size_t)buflen, "%.*g", prec, v);
            if (strtod(buf, NULL) == v) break;
        }
        break;
    }
}
