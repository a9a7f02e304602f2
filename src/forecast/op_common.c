/* polish — forecast: reading the shared fitting and output parameters. */
#include "forecast/op_common.h"

pol_status fc_settings_from_args(pol_run *run, const pol_args *args, fc_settings *s)
{
    (void)run;
    memset(s, 0, sizeof *s);
    s->method = (fc_method)pol__arg_choice(args, "method");
    int d = pol__arg_choice(args, "distribution");
    s->dist = d > 0 ? (fc_dist)d : FC_GAUSS;
    s->mle = pol__arg_choice(args, "estimator") == 1;
    s->scope = (fc_scope)pol__arg_choice(args, "scope");
    s->region_col = pol__arg_str(args, "region-column");
    s->per_lead = pol__arg_bool(args, "per-lead");
    s->window_days = pol__arg_num(args, "window-days");
    s->lead_window_h = pol__arg_num(args, "lead-window");
    s->min_train = (size_t)pol__arg_int(args, "min-train");
    s->bias_weight = pol__arg_num(args, "bias-weight");
    s->predictors = pol__arg_str(args, "predictors");
    return POL_OK;
}

pol_status fc_output_from_args(pol_run *run, const pol_args *args, double *q, double *thr,
                               fc_output *o)
{
    memset(o, 0, sizeof *o);
    int nq = pol__forecast_list(pol__arg_str(args, "quantiles"), q, 64);
    if (nq < 0) return pol__fail(run, POL_ERR_ARG, "--quantiles: a comma-separated list of levels");
    for (int i = 0; i < nq; i++)
        if (!(q[i] > 0 && q[i] < 1))
            return pol__fail(run, POL_ERR_ARG, "--quantiles: %g is not in (0, 1)", q[i]);
    int nt = pol__forecast_list(pol__arg_str(args, "thresholds"), thr, 64);
    if (nt < 0) return pol__fail(run, POL_ERR_ARG, "--thresholds: a comma-separated list of numbers");
    o->quantiles = q;
    o->n_q = (size_t)nq;
    o->thresholds = thr;
    o->n_thr = (size_t)nt;
    o->ecc = pol__arg_bool(args, "ecc");
    return POL_OK;
}
