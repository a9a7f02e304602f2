/* polish — image.colour: convert pixels from the embedded ICC profile to sRGB (lcms2). */
#include "image/image.h"

static const pol_param_desc params[] = {
    {"intent", POL_PARAM_ENUM, "perceptual", 1, 0, "perceptual|relative|saturation|absolute",
     "ICC rendering intent used for the conversion to sRGB."},
    {"black-point", POL_PARAM_BOOL, "true", 1, 0, NULL,
     "Use black point compensation (keeps shadow detail with relative intent)."},
};

static pol_status run_colour(pol_run *run, pol_asset *asset, const pol_args *args);

const pol_op_desc pol__image_op_colour = {
    .domain = "image",
    .name = "colour",
    .summary = "Convert from the embedded ICC colour profile to sRGB; keeps alpha",
    .params = params,
    .n_params = POL_ARRAY_LEN(params),
    .run = run_colour,
    .flags = POL_OP_AUTO,
};

static pol_status run_colour(pol_run *run, pol_asset *asset, const pol_args *args)
{
    (void)asset;
    (void)args;
    return pol__fail(run, POL_ERR_UNSUPPORTED, "image.colour: not implemented yet");
}
