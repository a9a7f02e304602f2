/* polish — the forecast domain's operation table: one line per operation, NULL last. */
#include "forecast/forecast.h"

extern const pol_op_desc pol__forecast_op_calibrate;
extern const pol_op_desc pol__forecast_op_fit;
extern const pol_op_desc pol__forecast_op_apply;
extern const pol_op_desc pol__forecast_op_verify;
extern const pol_op_desc pol__forecast_op_testbed;
extern const pol_op_desc pol__forecast_op_extract;
extern const pol_op_desc pol__forecast_op_calibrate_grid;
extern const pol_op_desc pol__forecast_op_self_calibrate;

const pol_op_desc *const pol__forecast_ops[] = {
    &pol__forecast_op_calibrate, &pol__forecast_op_fit,     &pol__forecast_op_apply,
    &pol__forecast_op_verify,    &pol__forecast_op_testbed, &pol__forecast_op_extract,
    &pol__forecast_op_calibrate_grid, &pol__forecast_op_self_calibrate, NULL,
};
