/* polish — image.export: the delivery step: format, quality, size presets and metadata policy. */
#include <math.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <lcms2.h>
#include "image/image_io.h"

static const pol_param_desc params[] = {
    {"format", POL_PARAM_ENUM, NULL, 1, 0, "jpeg|png|webp|tiff|heif|avif",
     "Output format; unset: from the output file's extension, else the input's format."},
    {"quality", POL_PARAM_INT, NULL, 1, 100, NULL,
     "Lossy quality 1..100; unset: the format's default (JPEG 85, WebP 82, HEIF/AVIF 60)."},
    {"bit-depth", POL_PARAM_ENUM, NULL, 1, 0, "8|10|12|16",
     "Bits per channel; unset: the source depth where the format allows it (a 16-bit source "
     "goes to HEIF/AVIF at 10). PNG/TIFF: 8 or 16; HEIF/AVIF: 8, 10 or 12; JPEG/WebP: 8."},
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
    {"fit", POL_PARAM_ENUM, NULL, 1, 0, "cover|contain|pad",
     "With a sized preset: cover crops to fill the frame (the default of the social presets), "
     "contain fits the whole picture inside it, pad fits it inside and fills the rest with "
     "--pad-colour."},
    {"pad-colour", POL_PARAM_STR, "#ffffff", 1, 0, NULL,
     "With --fit pad: the colour around the picture, #rrggbb."},
    {"max-upscale", POL_PARAM_NUM, "8", 1, 16, NULL,
     "Largest enlargement a preset may make; a smaller picture is enlarged this much at most "
     "and delivered smaller than the preset's size. Any enlargement past 2x is warned about."},
};

static pol_status run_export(pol_run *run, pol_asset *asset, const pol_args *args);
static const pol_op_stream export_stream;

/* A sized preset needs no more pixels than its output; anything else keeps the full size. */
static void export_hint(const pol_args *a, int w, int h, pol_load_hint *hint)
{
    if (w <= 0 || h <= 0) return; /* asked for reader options only */
    const char *name = pol__arg_str(a, "preset");
    const pol__preset *p = name ? pol__image_preset(name) : NULL;
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
    .stream = &export_stream,
};

/* Sizes follow each destination's published recommendations; lossy quality is high where the
 * destination re-encodes anyway (a second generation of artefacts costs more than bytes). */
static const pol__preset presets[] = {
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

const pol__preset *pol__image_preset(const char *name)
{
    for (size_t i = 0; name && i < POL_ARRAY_LEN(presets); i++)
        if (!strcmp(presets[i].name, name)) return &presets[i];
    return NULL;
}

static int parse_colour(const char *s, float rgb[3])
{
    if (!s || s[0] != '#' || strlen(s) != 7) return 0;
    for (int k = 0; k < 3; k++) {
        unsigned v;
        char hex[3] = {s[1 + 2 * k], s[2 + 2 * k], 0};
        if (sscanf(hex, "%2x", &v) != 1) return 0;
        rgb[k] = (float)v / 255.0f;
    }
    return 1;
}

/* The picture (already fitted inside w x h) in the middle of a w x h canvas of colour `c`. */
static pol_status pad_to(pol_run *run, pol__image *im, int w, int h, const float c[3])
{
    if (im->width >= w && im->height >= h) return POL_OK;
    int ch = im->channels, x0 = (w - im->width) / 2, y0 = (h - im->height) / 2;
    float *px = pol__image_alloc_px(w, h, ch);
    if (!px) return pol__fail(run, POL_ERR_NOMEM, "out of memory padding to %dx%d", w, h);
    int alpha = ch == 2 || ch == 4, colour = alpha ? ch - 1 : ch;
    for (size_t i = 0; i < (size_t)w * h; i++) {
        float *o = px + i * ch;
        if (colour == 3)
            o[0] = c[0], o[1] = c[1], o[2] = c[2];
        else
            o[0] = 0.2126f * c[0] + 0.7152f * c[1] + 0.0722f * c[2];
        if (alpha) o[ch - 1] = 1;
    }
    for (int y = 0; y < im->height; y++)
        memcpy(px + ((size_t)(y + y0) * w + x0) * ch, pol__image_row(im, y),
               sizeof(float) * (size_t)im->width * ch);
    pol__image_replace_px(im, px, w, h, ch);
    pol__decide(run, "padded to %dx%d with #%02x%02x%02x", w, h, (int)lroundf(c[0] * 255),
                (int)lroundf(c[1] * 255), (int)lroundf(c[2] * 255));
    return POL_OK;
}

static int lossy_only_8bit(const char *fmt)
{
    return !strcmp(fmt, "jpeg") || !strcmp(fmt, "webp");
}

static int is_heif(const char *fmt)
{
    return !strcmp(fmt, "heif") || !strcmp(fmt, "avif");
}

/* The delivery settings the arguments give (besides a preset's). */
static void save_from_args(pol_run *run, const pol_args *args, pol__image_save *s)
{
    const char *fmt = pol__arg_str(args, "format");
    if (fmt) {
        size_t n = strlen(fmt);
        if (n >= sizeof s->format) n = sizeof s->format - 1;
        memcpy(s->format, fmt, n);
        s->format[n] = '\0';
    }
    if (pol__arg_has(args, "quality")) s->quality = (int)pol__arg_int(args, "quality");
    const char *bd = pol__arg_str(args, "bit-depth");
    if (bd) s->bit_depth = atoi(bd);
    const char *meta = pol__arg_str(args, "metadata");
    s->metadata = meta && !strcmp(meta, "keep")        ? POL_META_KEEP
                  : meta && !strcmp(meta, "strip-all") ? POL_META_STRIP_ALL
                                                       : POL_META_STRIP_PRIVATE;
    s->keep_icc = pol__arg_bool(args, "keep-icc");
    s->keep_copyright = pol__arg_bool(args, "keep-copyright");
    s->progressive = pol__arg_bool(args, "progressive");
    s->lossless = pol__arg_bool(args, "lossless");
    if (pol__arg_has(args, "dpi")) s->dpi = pol__arg_num(args, "dpi");
    if (s->bit_depth > 8 && s->format[0] && lossy_only_8bit(s->format)) {
        pol__warn(run, "%s is written with 8 bits per channel; --bit-depth %d needs PNG, TIFF "
                       "(16) or HEIF/AVIF (10, 12)",
                  s->format, s->bit_depth);
        s->bit_depth = 8;
    } else if (s->bit_depth == 16 && s->format[0] && is_heif(s->format)) {
        pol__warn(run, "%s is written with 12 bits per channel, its deepest", s->format);
        s->bit_depth = 12;
    } else if ((s->bit_depth == 10 || s->bit_depth == 12) && s->format[0] &&
               !is_heif(s->format)) {
        pol__decide(run, "%s holds 8 or 16 bits: written with 16", s->format);
        s->bit_depth = 16;
    }
    char q[32] = "the format's default";
    if (s->quality) snprintf(q, sizeof q, "%d", s->quality);
    pol__decide(run, "write %s, quality %s, metadata %s%s%s%s",
                s->format[0] ? s->format : "in the output name's format", q,
                meta ? meta : "strip-private", s->keep_icc ? ", colour profile kept" : "",
                s->keep_copyright ? ", copyright kept" : "", s->bit_depth > 8 ? ", deep colour" : "");
}

static pol_status run_export(pol_run *run, pol_asset *asset, const pol_args *args)
{
    pol__image *im = pol__image_of(asset);
    pol__image_save *s = &im->save;
    const pol__preset *p = pol__image_preset(pol__arg_str(args, "preset"));
    if (p) {
        pol__measure_str(run, "preset", p->name);
        if (p->srgb && !im->srgb) {
            pol_status st = pol__image_to_srgb(run, im, INTENT_PERCEPTUAL, 1, 0);
            if (st) return st;
        }
        pol__resize_req q = p->size;
        const char *fit = pol__arg_str(args, "fit");
        int pad = fit && !strcmp(fit, "pad");
        float padc[3] = {1, 1, 1};
        if (pad && !parse_colour(pol__arg_str(args, "pad-colour"), padc))
            return pol__fail(run, POL_ERR_ARG, "--pad-colour '%s' is not a colour like #ffffff",
                             pol__arg_str(args, "pad-colour"));
        if (fit && q.width && q.height) {
            q.fit = !strcmp(fit, "cover") ? POL_FIT_COVER : POL_FIT_CONTAIN;
            pol__measure_str(run, "fit", fit);
        }
        int sw, sh, ow, oh;
        int have = pol__resize_geometry(&q, im->width, im->height, &sw, &sh, &ow, &oh);
        /* Enlarging invents no detail: at most max-upscale, with a warning; the output is then
         * smaller than the preset's size. */
        double maxup = pol__arg_num(args, "max-upscale");
        double up = have ? (double)sw / im->width : 1;
        if (have && up > 1.01) {
            if (up > maxup) {
                pol__warn(run, "the %dx%d picture would be enlarged %.1fx for %s: capped at %.1fx "
                               "(--max-upscale); delivered smaller than %dx%d",
                          im->width, im->height, up, p->name, maxup, q.width ? q.width : ow,
                          q.height ? q.height : oh);
                q = (pol__resize_req){.scale = maxup, .fit = POL_FIT_CONTAIN, .upscale = 1};
                if (p->size.width && p->size.height && q.fit == POL_FIT_CONTAIN && !pad &&
                    (!fit || !strcmp(fit, "cover"))) {
                    /* keep the preset's frame shape: cover-crop the enlarged picture */
                    double f = maxup;
                    int cw = (int)lround(im->width * f), chh = (int)lround(im->height * f);
                    double ar = (double)p->size.width / p->size.height;
                    if ((double)cw / chh > ar)
                        cw = (int)lround(chh * ar);
                    else
                        chh = (int)lround(cw / ar);
                    q = (pol__resize_req){.width = cw, .height = chh, .fit = POL_FIT_COVER,
                                         .upscale = 1};
                }
            } else if (up > 2) {
                pol__warn(run, "the %dx%d picture is enlarged %.1fx for %s: detail is invented, "
                               "not recovered",
                          im->width, im->height, up, p->name);
            }
            have = pol__resize_geometry(&q, im->width, im->height, &sw, &sh, &ow, &oh);
        }
        if (have && (ow != im->width || oh != im->height || sw != im->width || sh != im->height)) {
            pol_status st = pol__image_apply_resize(run, im, &q, POL_KERNEL_LANCZOS3, p->name);
            if (st) return st;
        }
        if (pad && p->size.width && p->size.height) {
            int pw = p->size.width, ph = p->size.height;
            if (im->width < pw && im->height < ph) { /* capped enlargement: same frame shape */
                double f = (double)im->width / pw > (double)im->height / ph
                               ? (double)im->width / pw
                               : (double)im->height / ph;
                pw = (int)lround(pw * f);
                ph = (int)lround(ph * f);
            }
            pol_status st = pad_to(run, im, pw, ph, padc);
            if (st) return st;
        }
        /* Social presets deliver JPEG (what the destinations store), unless asked otherwise. */
        if (p->size.width && p->size.height && !pol__arg_has(args, "format") &&
            strcmp(im->format, "jpeg") != 0) {
            memcpy(s->format, "jpeg", 5);
            pol__decide(run, "%s is delivered as JPEG", p->name);
        }
        s->quality = p->quality;
        if (p->dpi > 0) s->dpi = p->dpi;
    }
    save_from_args(run, args, s);
    return POL_OK;
}

/* ---- strip by strip: the settings are made once and given to every strip's item ------------- */

static int ex_can(const pol_args *args)
{
    return !pol__arg_str(args, "preset"); /* a preset resizes to a size known from the whole */
}

static pol_status ex_begin(pol_run *run, const pol_args *args, void **state)
{
    pol__image_save *s = calloc(1, sizeof *s);
    if (!s) return pol__fail(run, POL_ERR_NOMEM, "out of memory");
    s->keep_icc = 1;
    save_from_args(run, args, s);
    *state = s;
    return POL_OK;
}

static pol_status ex_apply(pol_run *run, void *state, pol__chunk *c)
{
    (void)run;
    pol__strip_of(c)->item->save = *(const pol__image_save *)state;
    return POL_OK;
}

static const pol_op_stream export_stream = {
    .can = ex_can, .begin = ex_begin, .apply = ex_apply, .free = free};
