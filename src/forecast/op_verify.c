/* polish — forecast.verify: scores of a forecast table against its observations, as a document,
 * with PIT and rank histograms and reliability diagrams as PNG figures.
 * `polish forecast verify out.csv --json`. */
#include <stdlib.h>
#include "forecast/op_common.h"

static const pol_param_desc params[] = {
    {"distribution", POL_PARAM_ENUM, "gaussian", 0, -1, "gaussian|truncnormal|clogistic",
     "The distribution that mu and sigma describe (as calibrated)."},
    {"thresholds", POL_PARAM_STR, NULL, 0, -1, NULL,
     "Thresholds for Brier scores and reliability (comma-separated; default: the observations' "
     "10%, 50% and 90% quantiles)."},
    {"plots", POL_PARAM_BOOL, "true", 0, -1, NULL,
     "Attach PIT and rank histograms and reliability diagrams (PNG) to the report."},
};

static pol_status run(pol_run *run, pol_asset *asset, const pol_args *args)
{
    if (pol__forecast_of(asset)->grid)
        return pol__fail(run, POL_ERR_UNSUPPORTED, "a gridded ensemble: '%s' reads station tables "
                         "(use 'forecast calibrate-grid', or 'forecast extract' for stations)", "verify");
    double thr[64];
    int nt = pol__forecast_list(pol__arg_str(args, "thresholds"), thr, 64);
    if (nt < 0) return pol__fail(run, POL_ERR_ARG, "--thresholds: a comma-separated list of numbers");
    fc_fig figs[8];
    size_t nf = 0;
    pol__jv *doc = NULL;
    int plots = pol__arg_bool(args, "plots") && pol__want_figures(run); /* only for a report */
    pol_status st = fc_verify(run, pol__forecast_of(asset), (fc_dist)pol__arg_choice(args, "distribution"),
                              thr, (size_t)nt, plots ? figs : NULL, plots ? 8 : 0, &nf, &doc);
    if (st) return st;
    for (size_t i = 0; i < nf; i++) {
        if (!st) st = pol__figure(run, figs[i].title, "image/png", figs[i].png, figs[i].len);
        free(figs[i].png);
    }
    if (st) {
        pol__jv_free(doc);
        return st;
    }
    pol__document(run, doc);
    return POL_OK;
}

const pol_op_desc pol__forecast_op_verify = {
    .domain = "forecast",
    .name = "verify",
    .summary = "Verify forecasts: CRPS and skill, MAE, RMSE, bias, spread-skill, PIT/rank histograms, "
               "reliability, Brier",
    .params = params,
    .n_params = POL_ARRAY_LEN(params),
    .run = run,
    .flags = POL_OP_DOCUMENT,
};
