/* polish — image.exposure: corrects brightness by a change of exposure in linear light, with highlight protection. */
#include "image/image.h"

static const pol_param_desc params[] = {
    {"ev", POL_PARAM_NUM, NULL, -6, 6, NULL,
     "Manual exposure change in stops; unset means automatic."},
    {"max-ev", POL_PARAM_NUM, "1.5", 0, 6, NULL, "Automatic: largest change allowed, in stops."},
    {"min-ev", POL_PARAM_NUM, "0.15", 0, 2, NULL,
     "Automatic: smaller changes are not worth making and are declined."},
    {"protect-highlights", POL_PARAM_BOOL, "true", 0, -1, NULL,
     "Roll off brightened highlights smoothly instead of clipping them."},
};

static pol_status run(pol_run *run, pol_asset *asset, const pol_args *args)
{
    (void)asset;
    (void)args;
    pol__decline(run, "not implemented yet");
    return POL_OK;
}

const pol_op_desc pol__image_op_exposure = {
    .domain = "image",
    .name = "exposure",
    .summary = "Correct brightness: automatic EV from the luminance distribution with highlight protection, or manual --ev",
    .params = params,
    .n_params = POL_ARRAY_LEN(params),
    .run = run,
    .flags = POL_OP_AUTO,
};
