/* polish — image.orient: apply the EXIF orientation to the pixels so every viewer shows it upright. */
#include "image/image.h"

static pol_status run_orient(pol_run *run, pol_asset *asset, const pol_args *args);

const pol_op_desc pol__image_op_orient = {
    .domain = "image",
    .name = "orient",
    .summary = "Rotate/flip the pixels as the EXIF orientation tag says, then set it to 1",
    .params = NULL,
    .n_params = 0,
    .run = run_orient,
    .flags = POL_OP_AUTO,
};

static pol_status run_orient(pol_run *run, pol_asset *asset, const pol_args *args)
{
    (void)asset;
    (void)args;
    return pol__fail(run, POL_ERR_UNSUPPORTED, "image.orient: not implemented yet");
}
