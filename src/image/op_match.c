/* polish — image.match: gives a photo the look (tone and colour statistics) of a reference photo. */
#include "image/image.h"

static const pol_param_desc params[] = {
    {"reference", POL_PARAM_STR, NULL, 0, -1, NULL, "Path of the reference photo."},
    {"strength", POL_PARAM_NUM, "1", 0, 1, NULL, "Fraction of the change applied."},
};

static pol_status run(pol_run *run, pol_asset *asset, const pol_args *args)
{
    (void)asset;
    (void)args;
    pol__decline(run, "not implemented yet");
    return POL_OK;
}

const pol_op_desc pol__image_op_match = {
    .domain = "image",
    .name = "match",
    .summary = "Give a photo the look of a reference photo (tone curve and colour statistics in Lab)",
    .params = params,
    .n_params = POL_ARRAY_LEN(params),
    .run = run,
    .flags = 0,
};
