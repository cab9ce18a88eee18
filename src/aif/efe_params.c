/* efe_params: the EFE parameter block every active-inference agent shares
 * (efe.h): its specs and its one decoding. */
#include "aif/efe.h"

const char *const efe_select_names[] = {"argmax", "sample", NULL};
const char *const efe_risk_names[] = {"kl", "expected-cost", NULL};

const param_spec_t efe_param_specs[EFE_N_PARAMS] = {EFE_PARAM_SPECS};

/* Choice index (the value of `selection`) -> mode, by name, not by enum order. */
static const efe_select_t select_of_choice[] = {EFE_SELECT_ARGMAX, EFE_SELECT_SAMPLE};
_Static_assert(sizeof select_of_choice / sizeof select_of_choice[0] == 2,
               "one mode per entry of efe_select_names");

void efe_params_read(const double *pv, efe_params_t *out) {
    int sel = (int)pv[EFE_P_SELECTION];
    out->gamma = pv[EFE_P_GAMMA];
    out->w.w_risk = pv[EFE_P_W_RISK];
    out->w.w_ambiguity = pv[EFE_P_W_AMB];
    out->w.risk = (int)pv[EFE_P_RISK_TERM] == 1 ? EFE_RISK_COST : EFE_RISK_KL;
    out->pref = (efe_pref_t){
        .kind = (efe_pref_kind_t)(int)pv[EFE_P_PREF],
        .lambda = pv[EFE_P_LAMBDA], .c_goal = pv[EFE_P_C_GOAL], .hole_penalty = pv[EFE_P_HOLE],
    };
    out->sel = sel >= 0 && sel < 2 ? select_of_choice[sel] : EFE_SELECT_ARGMAX;
}
