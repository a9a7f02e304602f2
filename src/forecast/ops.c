/* polish — the forecast domain's operation table: one line per operation, NULL last. */
#include "forecast/forecast.h"

const pol_op_desc *const pol__forecast_ops[] = {
    NULL,
};
