/* polish — image.white-balance: removes colour casts (automatic estimate with a confidence check, or manual temperature/tint). */
#include "image/image.h"

static const pol_param_desc params[] = {
    {"mode", POL_PARAM_ENUM, "auto", 0, -1, "auto|gray-world|gray-edge|white-patch|manual",
     "How the light colour is estimated; manual uses --temperature and --tint."},
    {"temperature", POL_PARAM_NUM, NULL, 1500, 15000, NULL,
     "Manual: colour temperature in kelvin of the light the photo was taken under."},
    {"tint", POL_PARAM_NUM, "0", -100, 100, NULL,
     "Manual: green (-) to magenta (+) correction of the light, in arbitrary units."},
    {"strength", POL_PARAM_NUM, "1", 0, 1, NULL, "Fraction of the correction applied."},
    {"min-confidence", POL_PARAM_NUM, "0.4", 0, 1, NULL,
     "Automatic: decline when the estimate is less certain than this."},
};

static pol_status run(pol_run *run, pol_asset *asset, const pol_args *args)
{
    (void)asset;
    (void)args;
    pol__decline(run, "not implemented yet");
    return POL_OK;
}

const pol_op_desc pol__image_op_white_balance = {
    .domain = "image",
    .name = "white-balance",
    .summary = "Remove a colour cast: automatic (gray-edge/gray-pixel/white-patch with a confidence check) or manual temperature/tint",
    .params = params,
    .n_params = POL_ARRAY_LEN(params),
    .run = run,
    .flags = POL_OP_AUTO,
};
