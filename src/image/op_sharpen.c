/* polish — image.sharpen: unsharp mask on luminance only, so edges sharpen without colour fringes. */
#include "image/image.h"

static const pol_param_desc params[] = {
    {"amount", POL_PARAM_NUM, NULL, 0, 5, NULL,
     "Strength (0.5 adds half the detail again); unset: chosen from the measured sharpness."},
    {"radius", POL_PARAM_NUM, "1.0", 0.3, 20, NULL, "Gaussian radius (sigma) in pixels."},
    {"threshold", POL_PARAM_NUM, "0.01", 0, 0.5, NULL,
     "Luminance differences below this (0..1) are left alone, so noise is not amplified."},
};

static pol_status run_sharpen(pol_run *run, pol_asset *asset, const pol_args *args);

const pol_op_desc pol__image_op_sharpen = {
    .domain = "image",
    .name = "sharpen",
    .summary = "Unsharp mask on luminance (amount, radius, threshold); auto strength when unset",
    .params = params,
    .n_params = POL_ARRAY_LEN(params),
    .run = run_sharpen,
    .flags = POL_OP_AUTO,
};

static pol_status run_sharpen(pol_run *run, pol_asset *asset, const pol_args *args)
{
    (void)asset;
    (void)args;
    return pol__fail(run, POL_ERR_UNSUPPORTED, "image.sharpen: not implemented yet");
}
