/* polish — image.export: the delivery step: format, quality, size presets and metadata policy. */
#include "image/image.h"

static const pol_param_desc params[] = {
    {"format", POL_PARAM_ENUM, NULL, 1, 0, "jpeg|png|webp|tiff|heif|avif",
     "Output format; unset: from the output file's extension, else the input's format."},
    {"quality", POL_PARAM_INT, NULL, 1, 100, NULL,
     "Lossy quality 1..100; unset: the format's default (JPEG 85, WebP 82, HEIF/AVIF 60)."},
    {"bit-depth", POL_PARAM_ENUM, NULL, 1, 0, "8|16",
     "Bits per channel; unset: the source depth where the format allows it."},
    {"metadata", POL_PARAM_ENUM, "strip-private", 1, 0, "strip-private|keep|strip-all",
     "strip-private drops GPS, serial numbers, maker notes and owner names; keep; strip-all."},
    {"keep-icc", POL_PARAM_BOOL, "true", 1, 0, NULL, "Embed the colour profile."},
    {"keep-copyright", POL_PARAM_BOOL, "false", 1, 0, NULL,
     "Keep the Artist and Copyright tags when stripping private metadata."},
    {"progressive", POL_PARAM_BOOL, "false", 1, 0, NULL, "Write a progressive JPEG."},
    {"lossless", POL_PARAM_BOOL, "false", 1, 0, NULL, "Lossless WebP."},
    {"dpi", POL_PARAM_NUM, NULL, 1, 10000, NULL, "Resolution to record in the file."},
    {"preset", POL_PARAM_ENUM, NULL, 1, 0,
     "web|instagram-square|instagram-portrait|story|google-business|print-300dpi",
     "Delivery preset: size, crop and format settings for a destination."},
};

static pol_status run_export(pol_run *run, pol_asset *asset, const pol_args *args);

const pol_op_desc pol__image_op_export = {
    .domain = "image",
    .name = "export",
    .summary = "Deliver: format, quality, bit depth, metadata policy and size presets",
    .params = params,
    .n_params = POL_ARRAY_LEN(params),
    .run = run_export,
    .flags = POL_OP_DELIVER,
};

static pol_status run_export(pol_run *run, pol_asset *asset, const pol_args *args)
{
    (void)asset;
    (void)args;
    return pol__fail(run, POL_ERR_UNSUPPORTED, "image.export: not implemented yet");
}
