/* polish — render.export: the delivery format. PNG/JPEG/TIFF are display-referred (the frame's
 * view transform, or the sRGB transfer when none ran); EXR and HDR keep scene-referred values. */
#include <string.h>
#include "render/render.h"

static const pol_param_desc params[] = {
    {"format", POL_PARAM_ENUM, NULL, 0, -1, "png|jpeg|tiff|exr|hdr",
     "Output format; unset: from the output name (PNG when a view transform ran)."},
    {"bits", POL_PARAM_INT, NULL, 8, 16, NULL, "PNG/TIFF bits per sample (8 or 16); unset: 8, or "
     "16 for a 16-bit source."},
    {"quality", POL_PARAM_INT, "92", 1, 100, NULL, "JPEG quality."},
    {"float", POL_PARAM_BOOL, NULL, 0, -1, NULL, "EXR: 32-bit float samples (else half); unset: "
     "as the source."},
    {"passes", POL_PARAM_BOOL, "false", 0, -1, NULL, "EXR: write the passes too, as layers named "
     "as Blender names them (Depth.Z, Normal.X, DiffCol.R, Vector.X, AO.R)."},
};

static pol_status run(pol_run *run, pol_asset *asset, const pol_args *args)
{
    pol__render *r = pol__render_get(run, asset);
    static const char *const fmts[] = {"png", "jpeg", "tiff", "exr", "hdr"};
    int f = pol__arg_choice(args, "format");
    if (f >= 0) snprintf(r->save_format, sizeof r->save_format, "%s", fmts[f]);
    if (pol__arg_has(args, "bits")) {
        long b = pol__arg_int(args, "bits");
        if (b != 8 && b != 16) return pol__fail(run, POL_ERR_ARG, "--bits takes 8 or 16");
        r->save_bits = (int)b;
    }
    r->save_quality = (int)pol__arg_int(args, "quality");
    if (pol__arg_has(args, "float")) r->save_float = pol__arg_bool(args, "float");
    r->save_passes = pol__arg_bool(args, "passes");
    if (f >= 0) pol__decide(run, "written as %s", fmts[f]);
    if (f >= 0 && f < 3 && !r->display)
        pol__warn(run, "no view transform ran: %s gets the sRGB transfer and values above 1 clip "
                  "(add render.tonemap)", fmts[f]);
    return POL_OK;
}

const pol_op_desc pol__render_op_export = {
    .domain = "render",
    .name = "export",
    .summary = "Delivery: PNG/JPEG/TIFF (display-referred) or EXR/HDR (scene-referred)",
    .params = params,
    .n_params = POL_ARRAY_LEN(params),
    .run = run,
    .flags = POL_OP_DELIVER,
};
