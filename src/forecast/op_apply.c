/* polish — forecast.apply: calibrate a forecast table with a fitted model.
 * `polish forecast apply --model model.json F.csv -o out.csv`. */
#include <stdlib.h>
#include "forecast/op_common.h"

static const pol_param_desc params[] = {FC_OUT_PARAMS};

static const pol_port_desc inputs[] = {
    {"model", POL_PORT_FILE, NULL, "json", POL_PORT_REQUIRED,
     "A model made by 'polish forecast fit'."},
};

static pol_status run(pol_run *run, pol_asset *asset, const pol_args *args)
{
    if (pol__forecast_of(asset)->grid)
        return pol__fail(run, POL_ERR_UNSUPPORTED, "a gridded ensemble: '%s' reads station tables "
                         "(use 'forecast calibrate-grid', or 'forecast extract' for stations)", "apply");
    fc_output out;
    double q[64], thr[64];
    pol_status st = fc_output_from_args(run, args, q, thr, &out);
    if (st) return st;
    const char *path = pol__input_path(args, "model", 0);
    unsigned char *text = NULL;
    size_t len;
    st = pol__read_file(run, path, 256u << 20, &text, &len);
    if (st) return st;
    fc_model m;
    st = fc_model_from_json(run, (const char *)text, pol__path_base(path), &m);
    free(text);
    if (st) return st;
    st = fc_model_apply(run, &m, pol__forecast_of(asset), &out);
    fc_model_free(&m);
    return st;
}

const pol_op_desc pol__forecast_op_apply = {
    .domain = "forecast",
    .name = "apply",
    .summary = "Calibrate a forecast table with a model made by fit",
    .params = params,
    .n_params = POL_ARRAY_LEN(params),
    .run = run,
    .inputs = inputs,
    .n_inputs = POL_ARRAY_LEN(inputs),
};
