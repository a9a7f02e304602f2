/* polish — image.denoise: edge-preserving noise reduction on luminance and chroma, strength from the estimated noise. */
#include "image/image.h"

static const pol_param_desc params[] = {
    {"sigma", POL_PARAM_NUM, NULL, 0, 100, NULL,
     "Noise standard deviation in 8-bit levels; unset means estimated from the photo."},
    {"strength", POL_PARAM_NUM, "1", 0, 3, NULL, "Multiplier of the smoothing strength."},
    {"chroma", POL_PARAM_NUM, "1.5", 0, 4, NULL, "Extra smoothing of colour noise relative to luminance."},
    {"min-sigma", POL_PARAM_NUM, "2", 0, 50, NULL,
     "Automatic: decline when the estimated sigma (8-bit levels) is below this."},
};

static pol_status run(pol_run *run, pol_asset *asset, const pol_args *args)
{
    (void)asset;
    (void)args;
    pol__decline(run, "not implemented yet");
    return POL_OK;
}

const pol_op_desc pol__image_op_denoise = {
    .domain = "image",
    .name = "denoise",
    .summary = "Reduce noise, edge-preserving; strength from the estimated noise sigma (declines on clean photos)",
    .params = params,
    .n_params = POL_ARRAY_LEN(params),
    .run = run,
    .flags = POL_OP_AUTO,
};
