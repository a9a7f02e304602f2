/* polish — image.straighten: levels a tilted horizon from long straight lines, then crops to the largest inscribed rectangle. */
#include "image/image.h"

static const pol_param_desc params[] = {
    {"angle", POL_PARAM_NUM, NULL, -45, 45, NULL,
     "Manual: rotate counter-clockwise by this many degrees; unset means detected."},
    {"max-angle", POL_PARAM_NUM, "6", 0.5, 20, NULL, "Automatic: largest tilt corrected, in degrees."},
    {"min-angle", POL_PARAM_NUM, "0.25", 0, 5, NULL,
     "Automatic: smaller tilts are left alone."},
    {"min-confidence", POL_PARAM_NUM, "0.5", 0, 1, NULL,
     "Automatic: decline when the detection is less certain than this."},
    {"crop", POL_PARAM_BOOL, "true", 0, -1, NULL,
     "Crop to the largest inscribed rectangle of the same aspect ratio."},
};

static pol_status run(pol_run *run, pol_asset *asset, const pol_args *args)
{
    (void)asset;
    (void)args;
    pol__decline(run, "not implemented yet");
    return POL_OK;
}

const pol_op_desc pol__image_op_straighten = {
    .domain = "image",
    .name = "straighten",
    .summary = "Straighten: detect tilt from long straight lines, rotate and crop; skips when unsure",
    .params = params,
    .n_params = POL_ARRAY_LEN(params),
    .run = run,
    .flags = POL_OP_AUTO,
};
