/* polish — forecast.self-calibrate: calibrate a station table that carries its own observations,
 * the way operational EMOS runs: each forecast by a model fitted on the cases of the days before
 * it whose observations were already known at its init time (a rolling window, no look-ahead).
 * It is `polish fix`'s automatic step for forecast tables. It changes nothing unless the
 * calibrated forecasts score clearly better (CRPS) than the raw ensemble on the same cases, which
 * are out of sample by construction; a table without observations, or one already calibrated,
 * passes unchanged with the reason. `polish forecast self-calibrate table.csv -o out.csv`. */
#include <math.h>
#include <stdlib.h>
#include "forecast/op_common.h"

static const pol_param_desc params[] = {
    FC_FIT_PARAMS_HEAD,
    FC_WINDOW_PARAM("40", 1, "Rolling training window: each forecast's model is fitted on the "
                    "cases of the N days before its init time whose observations were known by "
                    "then."),
    FC_FIT_PARAMS_TAIL,
    FC_OUT_PARAMS,
    {"min-skill", POL_PARAM_NUM, "0.02", 0, 1, NULL,
     "Fewest CRPS skill over the raw ensemble (on the table's own observations, out of sample) "
     "for the calibration to be kept; below it the table passes unchanged."},
    {"min-obs", POL_PARAM_INT, "100", 10, 1e9, NULL,
     "Fewest rows with an observation for calibrating at all."},
};

/* A number at a path of the verification document, NaN when absent. */
static double doc_num(const pol__jv *d, const char *a, const char *b, const char *c)
{
    const pol__jv *v = pol__jv_get(d, a);
    if (v && b) v = pol__jv_get(v, b);
    if (v && c) v = pol__jv_get(v, c);
    if (!v) return NAN;
    if (v->type == POL_JV_INT) return (double)v->i;
    return v->type == POL_JV_NUM ? v->num : NAN;
}

static pol_status run(pol_run *run, pol_asset *asset, const pol_args *args)
{
    const pol__forecast *f = pol__forecast_of(asset);
    if (f->grid) {
        pol__decline(run, "a gridded ensemble: it is calibrated with a model by "
                     "'forecast calibrate-grid'");
        return POL_OK;
    }
    size_t n_obs = 0;
    for (size_t r = 0; r < f->n; r++) n_obs += !isnan(f->obs[r]) && !f->dup[r];
    pol__measure_int(run, "rows", (long long)f->n);
    pol__measure_int(run, "rows_with_obs", (long long)n_obs);
    if (f->c_obs < 0 || n_obs < (size_t)pol__arg_int(args, "min-obs")) {
        pol__decline(run, "%s: calibrating needs the table's own observations (%zu rows have one, "
                     "%lld needed), or a training table ('forecast calibrate --train')",
                     f->c_obs < 0 ? "no observation column" : "too few observations", n_obs,
                     (long long)pol__arg_int(args, "min-obs"));
        return POL_OK;
    }
    fc_settings set;
    fc_output out;
    double q[64], thr[64];
    pol_status st = fc_settings_from_args(run, args, &set);
    if (!st) st = fc_output_from_args(run, args, q, thr, &out);
    if (st) return st;
    if (set.method == FC_M_RAW) {
        pol__decline(run, "--method raw: nothing to calibrate");
        return POL_OK;
    }
    if (!set.per_lead)
        return pol__fail(run, POL_ERR_ARG, "--per-lead false: self-calibration keeps each "
                         "model to the cases observed before a forecast's init time, which needs "
                         "the lead time of each model");
    set.past_only = 1;
    pol__forecast *g = pol__forecast_clone(f);
    if (!g) return pol__fail(run, POL_ERR_NOMEM, "out of memory");
    fc_model m;
    st = fc_model_fit(run, &set, f, g, &m);
    if (!st) {
        st = fc_model_apply(run, &m, g, &out);
        fc_model_free(&m);
    }
    pol__jv *doc = NULL;
    fc_fig figs[8];
    size_t nf = 0;
    int plots = pol__want_figures(run);
    if (!st)
        st = fc_verify(run, g, set.method == FC_M_EMOS ? set.dist : FC_GAUSS, NULL, 0,
                       plots ? figs : NULL, plots ? 8 : 0, &nf, &doc);
    if (st) {
        pol__forecast_free(g);
        return st;
    }
    double raw = doc_num(doc, "overall", "raw", "crps");
    double cal = doc_num(doc, "overall", "calibrated", "crps");
    double cases = doc_num(doc, "overall", "cases", NULL);
    double skill = 1 - cal / raw;
    /* fc_verify measured crps_raw, crps_calibrated, crps_skill_vs_raw and cases */
    pol__measure(run, "bias_raw", doc_num(doc, "overall", "raw", "bias"));
    pol__measure(run, "bias_calibrated", doc_num(doc, "overall", "calibrated", "bias"));
    pol__measure(run, "spread_skill_raw", doc_num(doc, "overall", "raw", "spread_skill_ratio"));
    pol__measure(run, "spread_skill_calibrated",
                 doc_num(doc, "overall", "calibrated", "spread_skill_ratio"));
    pol__jv_free(doc);
    double need = pol__arg_num(args, "min-skill");
    if (!(skill >= need)) {
        for (size_t i = 0; i < nf; i++) free(figs[i].png);
        pol__forecast_free(g);
        pol__decline(run, "the calibrated forecasts score %.1f%% CRPS skill over the raw ensemble "
                     "on the table's own %.0f observed cases (under %.1f%%): the ensemble is "
                     "kept as it is", 100 * skill, cases, 100 * need);
        return POL_OK;
    }
    pol__confidence(run, fmin(1, skill / (4 * need)));
    pol__decide(run, "calibrated (%s, a %g-day window before each init time, observations known "
                "by then): CRPS %.4g -> %.4g, %.1f%% skill over the raw ensemble on %.0f cases",
                set.method == FC_M_EMOS ? "EMOS" : set.method == FC_M_MOS ? "MOS" : "bias",
                set.window_days, raw, cal, 100 * skill, cases);
    for (size_t i = 0; i < nf; i++) {
        if (!st) st = pol__figure(run, figs[i].title, "image/png", figs[i].png, figs[i].len);
        free(figs[i].png);
    }
    if (st) {
        pol__forecast_free(g);
        return st;
    }
    pol__forecast_free(asset->data);
    asset->data = g;
    return POL_OK;
}

const pol_op_desc pol__forecast_op_self_calibrate = {
    .domain = "forecast",
    .name = "self-calibrate",
    .summary = "Calibrate a table with its own observations: each forecast by a model of the days "
               "before it (no look-ahead); kept only when CRPS improves",
    .params = params,
    .n_params = POL_ARRAY_LEN(params),
    .run = run,
};
