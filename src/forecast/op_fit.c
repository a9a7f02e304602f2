/* polish — forecast.fit: fit a model to a training table; the model is a JSON document.
 * `polish forecast fit --train T.csv -o model.json`. */
#include "forecast/op_common.h"

static const pol_param_desc params[] = {FC_FIT_PARAMS};

static const pol_port_desc inputs[] = {
    {"train", POL_PORT_ASSET, "forecast", "csv|tsv", POL_PORT_REQUIRED | POL_PORT_SHARED,
     "Training table: forecasts with their observations."},
};

static pol_status run(pol_run *run, pol_asset *asset, const pol_args *args)
{
    (void)asset;
    fc_settings set;
    pol_status st = fc_settings_from_args(run, args, &set);
    if (st) return st;
    if (set.window_days > 0)
        pol__decide(run, "rolling window: the model is fitted to the last %g days of training",
                    set.window_days);
    pol_asset *ta = NULL;
    st = pol__input_asset(run, args, "train", 0, &ta);
    if (st) return st;
    fc_model m;
    st = fc_model_fit(run, &set, pol__forecast_of(ta), NULL, &m);
    pol__asset_unref(ta);
    if (st) return st;
    pol__jv *doc = fc_model_json(&m);
    fc_model_free(&m);
    if (!doc) return pol__fail(run, POL_ERR_NOMEM, "out of memory");
    pol__document(run, doc);
    return POL_OK;
}

const pol_op_desc pol__forecast_op_fit = {
    .domain = "forecast",
    .name = "fit",
    .summary = "Fit a calibration model to --train; the model is written as JSON",
    .params = params,
    .n_params = POL_ARRAY_LEN(params),
    .run = run,
    .flags = POL_OP_NO_INPUT | POL_OP_DOCUMENT,
    .inputs = inputs,
    .n_inputs = POL_ARRAY_LEN(inputs),
};
