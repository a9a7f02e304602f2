/* polish — forecast.calibrate: fit on a training table and calibrate a forecast table in one
 * step. `polish forecast calibrate --train train.csv --apply test.csv -o out.csv`. */
#include "forecast/op_common.h"

static const pol_param_desc params[] = {FC_FIT_PARAMS, FC_OUT_PARAMS};

static const pol_port_desc inputs[] = {
    {"train", POL_PORT_ASSET, "forecast", "csv|tsv", POL_PORT_REQUIRED | POL_PORT_SHARED,
     "Training table: forecasts with their observations."},
    {"apply", POL_PORT_ASSET, "forecast", "csv|tsv", POL_PORT_REQUIRED,
     "The forecasts to calibrate; every row comes out with its columns and the calibrated ones."},
};

static pol_status run(pol_run *run, pol_asset *asset, const pol_args *args)
{
    fc_settings set;
    fc_output out;
    double q[64], thr[64];
    pol_status st = fc_settings_from_args(run, args, &set);
    if (!st) st = fc_output_from_args(run, args, q, thr, &out);
    if (st) return st;
    pol_asset *ta = NULL, *aa = NULL;
    st = pol__input_asset(run, args, "train", 0, &ta);
    if (!st) st = pol__input_asset(run, args, "apply", 0, &aa);
    if (st) {
        pol__asset_unref(ta);
        return st;
    }
    pol__forecast *f = pol__forecast_clone(pol__forecast_of(aa));
    if (!f) st = pol__fail(run, POL_ERR_NOMEM, "out of memory");
    fc_model m;
    if (!st) st = fc_model_fit(run, &set, pol__forecast_of(ta), f, &m);
    if (!st) {
        st = fc_model_apply(run, &m, f, &out);
        fc_model_free(&m);
    }
    pol__asset_unref(ta);
    pol__asset_unref(aa);
    if (st) {
        pol__forecast_free(f);
        return st;
    }
    pol__forecast_free(asset->data);
    asset->data = f;
    return POL_OK;
}

const pol_op_desc pol__forecast_op_calibrate = {
    .domain = "forecast",
    .name = "calibrate",
    .summary = "Fit on --train and calibrate --apply: mu, sigma, quantiles, probabilities, ECC members",
    .params = params,
    .n_params = POL_ARRAY_LEN(params),
    .run = run,
    .flags = POL_OP_NO_INPUT,
    .inputs = inputs,
    .n_inputs = POL_ARRAY_LEN(inputs),
};
