/* polish — forecast.verify: scores of a forecast table against its observations, as a document,
 * with PIT and rank histograms and reliability diagrams as PNG figures.
 * `polish forecast verify out.csv --json`. */
#include <stdlib.h>
#include "forecast/op_common.h"

static const pol_param_desc params[] = {
    {"distribution", POL_PARAM_ENUM, "gaussian", 0, -1, "gaussian|truncnormal|clogistic",
     "The distribution that mu and sigma describe (default: the table's 'distribution' column, "
     "which calibrate and apply write; gaussian without one)."},
    {"thresholds", POL_PARAM_STR, NULL, 0, -1, NULL,
     "Thresholds for Brier scores and reliability (comma-separated; default: the observations' "
     "10%, 50% and 90% quantiles)."},
    {"plots", POL_PARAM_BOOL, "true", 0, -1, NULL,
     "Attach PIT and rank histograms and reliability diagrams (PNG) to the report."},
};

/* The distribution the table's calibrated rows name in their 'distribution' column (rows passed
 * through raw, model=raw, are scored as their ensemble and not counted): -1 when there is no such
 * column or no row names one, -2 when rows name different ones. */
static int table_dist(pol_run *run, const pol__forecast *f)
{
    static const char *const names[] = {"gaussian", "truncnormal", "clogistic"};
    long cd = pol__table_find(f->t, "distribution"), cm = pol__table_find(f->t, "model");
    if (cd < 0) return -1;
    int found = -1;
    for (size_t r = 0; r < f->n; r++) {
        const char *v = pol__table_get(f->t, r, (size_t)cd);
        if (!v || !*v || (cm >= 0 && !strcmp(pol__table_get(f->t, r, (size_t)cm), "raw"))) continue;
        int d = -1;
        for (int i = 0; i < 3; i++)
            if (!strcmp(v, names[i])) d = i;
        if (d < 0) {
            pol__fail(run, POL_ERR_FORMAT, "line %zu: distribution '%s' is not gaussian, "
                      "truncnormal or clogistic", r + 2, v);
            return -3;
        }
        if (found >= 0 && d != found) {
            pol__fail(run, POL_ERR_ARG, "rows name different distributions (%s, line %zu: %s): "
                      "verify them separately", names[found], r + 2, names[d]);
            return -2;
        }
        found = d;
    }
    return found;
}

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
    int dist = pol__arg_choice(args, "distribution");
    int td = table_dist(run, pol__forecast_of(asset));
    if (td < -1) return run->err->code;
    if (td >= 0 && !pol__arg_set(args, "distribution")) {
        dist = td;
    } else if (td >= 0 && td != dist) {
        static const char *const names[] = {"gaussian", "truncnormal", "clogistic"};
        pol__warn(run, "--distribution %s, while the table's rows were calibrated as %s: mu and "
                  "sigma are scored as %s", names[dist], names[td], names[dist]);
    }
    pol_status st = fc_verify(run, pol__forecast_of(asset), (fc_dist)dist,
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
