/* polish — image.crop: crops to an aspect ratio with saliency-based placement, or to a box. */
#include "image/image.h"

static const pol_param_desc params[] = {
    {"aspect", POL_PARAM_STR, NULL, 0, -1, NULL, "Aspect ratio W:H, e.g. 4:5 or 1.91:1."},
    {"box", POL_PARAM_STR, NULL, 0, -1, NULL, "Explicit box x,y,w,h in pixels."},
    {"placement", POL_PARAM_ENUM, "saliency", 0, -1, "saliency|center",
     "Where an aspect crop goes: on the most salient region, or centred."},
};

static pol_status run(pol_run *run, pol_asset *asset, const pol_args *args)
{
    (void)asset;
    (void)args;
    pol__decline(run, "not implemented yet");
    return POL_OK;
}

const pol_op_desc pol__image_op_crop = {
    .domain = "image",
    .name = "crop",
    .summary = "Crop to an aspect ratio (window placed on the most salient part) or to a box",
    .params = params,
    .n_params = POL_ARRAY_LEN(params),
    .run = run,
    .flags = 0,
};
