/* Unit tests for efe_params: the EFE parameter block every active-inference
 * agent shares (efe.h).  Its names in order and its defaults decoded, every
 * field of a non-default block landing in its place, the two choices decoded
 * by name, and both EFE agents' tables holding the block exactly as
 * efe_param_specs gives it, in one contiguous piece; and the same for the
 * planning block (planner, tail_steps: planner.h). */
#include <string.h>
#include "interface/agents.h"
#include "aif/efe.h"
#include "core/params.h"
#include "aif/planner.h"
#include "unit.h"

/* The shared EFE block: its names in order, and one decoding of every value
 * (selection by name: "sample" is EFE_SELECT_SAMPLE whatever the enum's order). */
static void test_param_block(void) {
    static const char *const names[EFE_N_PARAMS] = {"gamma",  "w_risk", "w_ambiguity",  "risk_term", "preference",
                                                    "lambda", "c_goal", "hole_penalty", "selection"};
    for (int i = 0; i < EFE_N_PARAMS; i++) CHECK_MSG(!strcmp(efe_param_specs[i].name, names[i]), "%d", i);
    double pv[EFE_N_PARAMS];
    for (int i = 0; i < EFE_N_PARAMS; i++) pv[i] = efe_param_specs[i].def;
    efe_params_t ep;
    efe_params_read(pv, &ep);
    CHECK(ep.gamma == 16.0 && ep.w.w_risk == 1.0 && ep.w.w_ambiguity == 1.0 && ep.w.risk == EFE_RISK_KL);
    CHECK(ep.pref.kind == EFE_PREF_GOAL && ep.pref.c_goal == 8.0 && ep.pref.hole_penalty == 10.0);
    CHECK(ep.sel == EFE_SELECT_ARGMAX);
    pv[EFE_P_SELECTION] = param_choice_index(&efe_param_specs[EFE_P_SELECTION], "sample");
    pv[EFE_P_PREF] = param_choice_index(&efe_param_specs[EFE_P_PREF], "manhattan");
    pv[EFE_P_LAMBDA] = 0.5;
    pv[EFE_P_GAMMA] = 3.0;
    efe_params_read(pv, &ep);
    CHECK(ep.sel == EFE_SELECT_SAMPLE);
    CHECK(ep.pref.kind == EFE_PREF_MANHATTAN && ep.pref.lambda == 0.5 && ep.gamma == 3.0);
}

/* Each spec is well formed: defaults inside their range, choices with their
 * default among them, every entry with help text. */
static void specs_well_formed(void) {
    for (int i = 0; i < EFE_N_PARAMS; i++) {
        const param_spec_t *s = &efe_param_specs[i];
        CHECK_MSG(s->help && s->help[0], "%s: no help", s->name);
        if (s->type == PT_CHOICE) {
            CHECK_MSG(s->choices != NULL, "%s", s->name);
            int n = param_n_choices(s);
            CHECK_MSG(s->def >= 0 && s->def < n && s->def == (int)s->def, "%s: default %g of %d", s->name, s->def, n);
        } else {
            CHECK_MSG(s->type == PT_REAL && s->choices == NULL, "%s", s->name);
            CHECK_MSG(s->lo <= s->def && s->def <= s->hi, "%s: %g not in [%g, %g]", s->name, s->def, s->lo, s->hi);
        }
    }
    CHECK(efe_param_specs[EFE_P_PREF].type == PT_CHOICE && efe_param_specs[EFE_P_SELECTION].type == PT_CHOICE);
}

/* Every field from its own slot: distinct values that no other slot holds, so
 * a field read from the wrong position shows. */
static void read_every_field(void) {
    double pv[EFE_N_PARAMS];
    pv[EFE_P_GAMMA] = 2.5;
    pv[EFE_P_W_RISK] = 0.75;
    pv[EFE_P_W_AMB] = 3.25;
    pv[EFE_P_RISK_TERM] = param_choice_index(&efe_param_specs[EFE_P_RISK_TERM], "expected-cost");
    pv[EFE_P_PREF] = param_choice_index(&efe_param_specs[EFE_P_PREF], "oracle-distance");
    pv[EFE_P_LAMBDA] = 0.125;
    pv[EFE_P_C_GOAL] = 42.0;
    pv[EFE_P_HOLE] = 6.5;
    pv[EFE_P_SELECTION] = param_choice_index(&efe_param_specs[EFE_P_SELECTION], "sample");
    CHECK(pv[EFE_P_PREF] >= 0 && pv[EFE_P_SELECTION] >= 0 && pv[EFE_P_RISK_TERM] == 1);
    efe_params_t ep;
    memset(&ep, 0xA5, sizeof ep);   /* nothing left over from before */
    efe_params_read(pv, &ep);
    CHECK(ep.gamma == 2.5);
    CHECK(ep.w.w_risk == 0.75 && ep.w.w_ambiguity == 3.25 && ep.w.risk == EFE_RISK_COST);
    CHECK(ep.pref.kind == EFE_PREF_ORACLE);
    CHECK(ep.pref.lambda == 0.125 && ep.pref.c_goal == 42.0 && ep.pref.hole_penalty == 6.5);
    CHECK(ep.sel == EFE_SELECT_SAMPLE);
    /* The block is read where pv points: an agent passes pv + its block's start. */
    double padded[EFE_N_PARAMS + 3] = {-1, -2, -3};
    memcpy(padded + 3, pv, sizeof pv);
    efe_params_t ep2;
    efe_params_read(padded + 3, &ep2);
    CHECK(ep2.gamma == 2.5 && ep2.w.w_ambiguity == 3.25 && ep2.pref.kind == EFE_PREF_ORACLE &&
          ep2.pref.hole_penalty == 6.5 && ep2.sel == EFE_SELECT_SAMPLE);
}

/* Every choice of `preference`, `selection` and `risk_term` by its name (as the job file
 * gives it), against the meaning the name has, written here independently of
 * the enums' order. */
static void choices_by_name(void) {
    static const struct { const char *name; efe_pref_kind_t kind; } prefs[] = {
        {"goal", EFE_PREF_GOAL}, {"manhattan", EFE_PREF_MANHATTAN}, {"oracle-distance", EFE_PREF_ORACLE},
    };
    static const struct { const char *name; efe_select_t sel; } sels[] = {
        {"argmax", EFE_SELECT_ARGMAX}, {"sample", EFE_SELECT_SAMPLE},
    };
    const param_spec_t *ps = &efe_param_specs[EFE_P_PREF], *ss = &efe_param_specs[EFE_P_SELECTION];
    CHECK(param_n_choices(ps) == 3 && param_n_choices(ss) == 2);
    CHECK(!strcmp(ps->choices[(int)ps->def], "goal"));
    CHECK(!strcmp(ss->choices[(int)ss->def], "argmax"));
    double pv[EFE_N_PARAMS];
    for (int i = 0; i < EFE_N_PARAMS; i++) pv[i] = efe_param_specs[i].def;
    for (int p = 0; p < 3; p++)
        for (int s = 0; s < 2; s++) {
            int pi = param_choice_index(ps, prefs[p].name), si = param_choice_index(ss, sels[s].name);
            CHECK_MSG(pi >= 0 && si >= 0, "%s %s", prefs[p].name, sels[s].name);
            pv[EFE_P_PREF] = pi;
            pv[EFE_P_SELECTION] = si;
            efe_params_t ep;
            efe_params_read(pv, &ep);
            CHECK_MSG(ep.pref.kind == prefs[p].kind, "preference %s -> %d", prefs[p].name, (int)ep.pref.kind);
            CHECK_MSG(ep.sel == sels[s].sel, "selection %s -> %d", sels[s].name, (int)ep.sel);
        }
    /* risk_term: kl (the default) and expected-cost */
    const param_spec_t *rs = &efe_param_specs[EFE_P_RISK_TERM];
    CHECK(param_n_choices(rs) == 2 && !strcmp(rs->choices[(int)rs->def], "kl"));
    static const struct { const char *name; efe_risk_kind_t kind; } risks[] = {
        {"kl", EFE_RISK_KL}, {"expected-cost", EFE_RISK_COST},
    };
    for (int k = 0; k < 2; k++) {
        pv[EFE_P_RISK_TERM] = param_choice_index(rs, risks[k].name);
        efe_params_t ep;
        efe_params_read(pv, &ep);
        CHECK_MSG(ep.w.risk == risks[k].kind, "risk_term %s -> %d", risks[k].name, (int)ep.w.risk);
    }
}

static int same_spec(const param_spec_t *a, const param_spec_t *b) {
    return !strcmp(a->name, b->name) && a->type == b->type && a->def == b->def && a->lo == b->lo &&
           a->hi == b->hi && a->choices == b->choices && (a->help == b->help || !strcmp(a->help, b->help));
}

/* Both EFE agents splice the block in whole: at some position g, entries g ..
 * g+8 are efe_param_specs in order, and no block name appears elsewhere. */
static void agents_hold_the_block(void) {
    const agent_class_t *classes[] = {&agent_exact_aif, &agent_diffusion_aif};
    for (int c = 0; c < 2; c++) {
        const agent_class_t *k = classes[c];
        int g = agent_param_index(k, "gamma");
        CHECK_MSG(g >= 0, "%s: no gamma", k->name);
        CHECK_MSG(g + EFE_N_PARAMS <= k->n_params, "%s: block runs off the table", k->name);
        for (int i = 0; i < EFE_N_PARAMS; i++)
            CHECK_MSG(same_spec(&k->params[g + i], &efe_param_specs[i]), "%s: entry %d (%s) differs from %s",
                      k->name, g + i, k->params[g + i].name, efe_param_specs[i].name);
        for (int j = 0; j < k->n_params; j++) {
            if (j >= g && j < g + EFE_N_PARAMS) continue;
            for (int i = 0; i < EFE_N_PARAMS; i++)
                CHECK_MSG(strcmp(k->params[j].name, efe_param_specs[i].name) != 0, "%s: %s again at %d", k->name,
                          efe_param_specs[i].name, j);
        }
        /* Each block name is found where the block puts it. */
        for (int i = 0; i < EFE_N_PARAMS; i++) CHECK(agent_param_index(k, efe_param_specs[i].name) == g + i);
    }
}

/* The planning block (planner.h): both agents hold `planner` then
 * `tail_steps` as PLANNER_PARAM_SPECS gives them, the same entries in both
 * (one help text), and planner_params_read / planner_tail_steps decode them: no tail for the tree,
 * tail_steps, or max_steps for tail_steps 0. */
static void agents_hold_the_planner_block(void) {
    static const param_spec_t block[] = {PLANNER_PARAM_SPECS};
    CHECK(sizeof block / sizeof block[0] == 2 && !strcmp(block[0].name, "planner") &&
          !strcmp(block[1].name, "tail_steps"));
    const agent_class_t *classes[] = {&agent_exact_aif, &agent_diffusion_aif};
    for (int c = 0; c < 2; c++) {
        const agent_class_t *k = classes[c];
        int g = agent_param_index(k, "planner");
        CHECK_MSG(g >= 0 && agent_param_index(k, "tail_steps") == g + 1, "%s", k->name);
        for (int i = 0; i < 2; i++)
            CHECK_MSG(same_spec(&k->params[g + i], &block[i]), "%s: %s differs from the block", k->name, block[i].name);
        CHECK(!strcmp(k->params[g].choices[(int)k->params[g].def], "induction"));
    }
    const param_spec_t *kind = &block[0];
    double pv[2] = {param_choice_index(kind, "induction"), 0};
    planner_params_t pp;
    planner_params_read(pv, &pp);
    CHECK(pp.kind == PLANNER_INDUCTION && planner_tail_steps(&pp, 200) == 200);
    pv[1] = 7;
    planner_params_read(pv, &pp);
    CHECK(pp.tail_steps == 7 && planner_tail_steps(&pp, 200) == 7);
    pv[0] = param_choice_index(kind, "tree");
    planner_params_read(pv, &pp);
    CHECK(pv[0] >= 0 && pp.kind == PLANNER_TREE && planner_tail_steps(&pp, 200) == 0);
}

static const unit_test_t tests[] = {
    {"param_block", test_param_block},
    {"agents_hold_the_planner_block", agents_hold_the_planner_block},
    {"specs_well_formed", specs_well_formed},
    {"read_every_field", read_every_field},
    {"choices_by_name", choices_by_name},
    {"agents_hold_the_block", agents_hold_the_block},
    {0, 0},
};

int main(int argc, char **argv) { return unit_main(argc, argv, tests); }
