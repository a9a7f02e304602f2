/* polish — image.resize: Lanczos resampling in linear light to a width, height, long edge or scale. */
#include "image/image.h"

static const pol_param_desc params[] = {
    {"width", POL_PARAM_INT, NULL, 1, 100000, NULL, "Target width in pixels."},
    {"height", POL_PARAM_INT, NULL, 1, 100000, NULL, "Target height in pixels."},
    {"long-edge", POL_PARAM_INT, NULL, 1, 100000, NULL,
     "Target length of the longer side in pixels (aspect ratio kept)."},
    {"scale", POL_PARAM_NUM, NULL, 0.001, 100, NULL, "Scale factor (0.5 halves each side)."},
    {"fit", POL_PARAM_ENUM, "contain", 1, 0, "contain|cover|fill",
     "With width and height: fit inside the box, cover it and crop the overflow, or stretch."},
    {"upscale", POL_PARAM_BOOL, "true", 1, 0, NULL,
     "Allow enlarging; when false a smaller image is left as it is."},
    {"kernel", POL_PARAM_ENUM, "lanczos3", 1, 0, "lanczos3|lanczos2|linear",
     "Resampling filter (Lanczos-3 is sharpest without visible ringing)."},
};

static pol_status run_resize(pol_run *run, pol_asset *asset, const pol_args *args);

const pol_op_desc pol__image_op_resize = {
    .domain = "image",
    .name = "resize",
    .summary = "Resize with a Lanczos kernel in linear light (contain, cover or fill a box)",
    .params = params,
    .n_params = POL_ARRAY_LEN(params),
    .run = run_resize,
    .flags = 0,
};

static pol_status run_resize(pol_run *run, pol_asset *asset, const pol_args *args)
{
    (void)asset;
    (void)args;
    return pol__fail(run, POL_ERR_UNSUPPORTED, "image.resize: not implemented yet");
}
