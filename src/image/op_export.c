/* polish — image.export: the delivery step: format, quality, size presets and metadata policy. */
#include <stdio.h>
#include <string.h>
#include <lcms2.h>
#include "image/image_io.h"

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
     "Delivery preset: web = 2048 px long edge, sRGB; instagram-square 1080x1080, "
     "instagram-portrait 1080x1350, story 1080x1920, google-business 1200x900 (cropped around "
     "the most salient part, sRGB); print-300dpi = full size at 300 dpi, quality 95."},
};

static pol_status run_export(pol_run *run, pol_asset *asset, const pol_args *args);

/* A sized preset needs no more pixels than its output; anything else keeps the full size. */
static void export_hint(const pol_args *a, int w, int h, pol_load_hint *hint)
{
    if (w <= 0 || h <= 0) return; /* asked for reader options only */
    const char *name = pol__arg_str(a, "preset");
    const pol_preset *p = name ? pol__image_preset(name) : NULL;
    int sw, sh, ow, oh;
    if (!p || !pol__resize_geometry(&p->size, w, h, &sw, &sh, &ow, &oh)) {
        hint->full = 1;
        return;
    }
    hint->max_width = sw;
    hint->max_height = sh;
}

const pol_op_desc pol__image_op_export = {
    .domain = "image",
    .name = "export",
    .summary = "Deliver: format, quality, bit depth, metadata policy and size presets",
    .params = params,
    .n_params = POL_ARRAY_LEN(params),
    .run = run_export,
    .flags = POL_OP_DELIVER,
    .hint = export_hint,
};

/* Sizes follow each destination's published recommendations; lossy quality is high where the
 * destination re-encodes anyway (a second generation of artefacts costs more than bytes). */
static const pol_preset presets[] = {
    {"web", {.long_edge = 2048, .fit = POL_FIT_CONTAIN, .upscale = 0}, 82, 0, 1},
    {"instagram-square",
     {.width = 1080, .height = 1080, .fit = POL_FIT_COVER, .upscale = 1},
     90,
     0,
     1},
    {"instagram-portrait",
     {.width = 1080, .height = 1350, .fit = POL_FIT_COVER, .upscale = 1},
     90,
     0,
     1},
    {"story", {.width = 1080, .height = 1920, .fit = POL_FIT_COVER, .upscale = 1}, 90, 0, 1},
    /* Google Business Profile: 4:3, recommended 1200x900 (minimum 720x720) */
    {"google-business",
     {.width = 1200, .height = 900, .fit = POL_FIT_COVER, .upscale = 1},
     90,
     0,
     1},
    {"print-300dpi", {0}, 95, 300, 0},
};

const pol_preset *pol__image_preset(const char *name)
{
    for (size_t i = 0; name && i < POL_ARRAY_LEN(presets); i++)
        if (!strcmp(presets[i].name, name)) return &presets[i];
    return NULL;
}

static int lossy_only_8bit(const char *fmt)
{
    return !strcmp(fmt, "jpeg") || !strcmp(fmt, "webp") || !strcmp(fmt, "heif") ||
           !strcmp(fmt, "avif");
}

static pol_status run_export(pol_run *run, pol_asset *asset, const pol_args *args)
{
    pol_image *im = pol_image_of(asset);
    pol_image_save *s = &im->save;
    const pol_preset *p = pol__image_preset(pol__arg_str(args, "preset"));
    if (p) {
        pol__measure_str(run, "preset", p->name);
        if (p->srgb && !im->srgb) {
            pol_status st = pol__image_to_srgb(run, im, INTENT_PERCEPTUAL, 1, 0);
            if (st) return st;
        }
        int sw, sh, ow, oh;
        if (pol__resize_geometry(&p->size, im->width, im->height, &sw, &sh, &ow, &oh) &&
            (ow != im->width || oh != im->height || sw != im->width || sh != im->height)) {
            pol_status st =
                pol__image_apply_resize(run, im, &p->size, POL_KERNEL_LANCZOS3, p->name);
            if (st) return st;
        }
        s->quality = p->quality;
        if (p->dpi > 0) s->dpi = p->dpi;
    }
    const char *fmt = pol__arg_str(args, "format");
    if (fmt) {
        size_t n = strlen(fmt);
        if (n >= sizeof s->format) n = sizeof s->format - 1;
        memcpy(s->format, fmt, n);
        s->format[n] = '\0';
    }
    if (pol__arg_has(args, "quality")) s->quality = (int)pol__arg_int(args, "quality");
    const char *bd = pol__arg_str(args, "bit-depth");
    if (bd) s->bit_depth = bd[0] == '1' ? 16 : 8;
    const char *meta = pol__arg_str(args, "metadata");
    s->metadata = meta && !strcmp(meta, "keep")        ? POL_META_KEEP
                  : meta && !strcmp(meta, "strip-all") ? POL_META_STRIP_ALL
                                                       : POL_META_STRIP_PRIVATE;
    s->keep_icc = pol__arg_bool(args, "keep-icc");
    s->keep_copyright = pol__arg_bool(args, "keep-copyright");
    s->progressive = pol__arg_bool(args, "progressive");
    s->lossless = pol__arg_bool(args, "lossless");
    if (pol__arg_has(args, "dpi")) s->dpi = pol__arg_num(args, "dpi");
    if (s->bit_depth == 16 && s->format[0] && lossy_only_8bit(s->format)) {
        pol__warn(run, "%s is written with 8 bits per channel; --bit-depth 16 needs PNG or TIFF",
                  s->format);
        s->bit_depth = 8;
    }
    char q[32] = "the format's default";
    if (s->quality) snprintf(q, sizeof q, "%d", s->quality);
    pol__decide(run, "write %s, quality %s, metadata %s%s%s%s",
                s->format[0] ? s->format : "in the output name's format", q,
                meta ? meta : "strip-private", s->keep_icc ? ", colour profile kept" : "",
                s->keep_copyright ? ", copyright kept" : "", s->bit_depth == 16 ? ", 16-bit" : "");
    return POL_OK;
}
