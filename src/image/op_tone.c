/* polish — image.tone: stretches levels and sets a midtone curve, protecting highlights. */
#include "image/image.h"

static const pol_param_desc params[] = {
    {"mode", POL_PARAM_ENUM, "auto", 0, -1, "auto|manual",
     "auto measures levels and midtones; manual uses --black, --white and --gamma."},
    {"black", POL_PARAM_NUM, "0", 0, 0.5, NULL, "Manual: input level mapped to black (0..1)."},
    {"white", POL_PARAM_NUM, "1", 0.5, 1, NULL, "Manual: input level mapped to white (0..1)."},
    {"gamma", POL_PARAM_NUM, "1", 0.2, 5, NULL, "Manual: midtone gamma (above 1 brightens)."},
    {"clip", POL_PARAM_NUM, "0.1", 0, 5, NULL,
     "Automatic: percent of pixels allowed to clip at each end."},
    {"strength", POL_PARAM_NUM, "1", 0, 1, NULL, "Fraction of the correction applied."},
};

static pol_status run(pol_run *run, pol_asset *asset, const pol_args *args)
{
    (void)asset;
    (void)args;
    pol__decline(run, "not implemented yet");
    return POL_OK;
}

const pol_op_desc pol__image_op_tone = {
    .domain = "image",
    .name = "tone",
    .summary = "Tone: automatic levels and midtone curve with highlight protection, or manual black/white/gamma",
    .params = params,
    .n_params = POL_ARRAY_LEN(params),
    .run = run,
    .flags = POL_OP_AUTO,
};
