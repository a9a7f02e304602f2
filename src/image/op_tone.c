/* polish — image.tone: stretches levels and sets a midtone curve, protecting highlights. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "image/image_io.h"
#include "image/quality.h"

static const pol_param_desc params[] = {
    {"mode", POL_PARAM_ENUM, "auto", 0, -1, "auto|manual",
     "auto measures levels and midtones; manual uses --black, --white and --gamma.",
     .choice_help = (const char *const[]){"auto: levels and midtone from the picture's histogram",
                                          "manual: the levels and gamma you give", NULL}},
    {"black", POL_PARAM_NUM, "0", 0, 0.5, NULL, "Manual: input level mapped to black (0..1).",
     .when = "mode=manual"},
    {"white", POL_PARAM_NUM, "1", 0.5, 1, NULL, "Manual: input level mapped to white (0..1).",
     .when = "mode=manual"},
    {"gamma", POL_PARAM_NUM, "1", 0.2, 5, NULL, "Manual: midtone gamma (above 1 brightens).",
     .when = "mode=manual"},
    {"clip", POL_PARAM_NUM, "0.5", 0, 5, NULL,
     "Automatic: percent of pixels allowed to clip at each end.", .unit = "%",
     .when = "mode=auto"},
    {"strength", POL_PARAM_NUM, "1", 0, 1, NULL, "Fraction of the correction applied."},
};

/* The curve: levels in linear light (black b, white w), then a midtone gamma on encoded values
 * (exponent g < 1 brightens; 0 and 1 stay fixed, so highlights are not clipped). */
typedef struct tone_curve {
    double black, white; /* linear */
    double gamma;
} tone_curve;

static float curve_at(const tone_curve *c, double x_enc)
{
    double x = pol__srgb_to_linear((float)x_enc);
    x = (x - c->black) / (c->white - c->black);
    x = x < 0 ? 0 : x > 1 ? 1 : x;
    double e = pol__linear_to_srgb((float)x);
    return (float)pow(e, c->gamma);
}

/*
 * Automatic levels: the white point goes to near-white only when the brightest 0.5% fall far
 * short of it (a darkened photo) and the tones span a full range; blacks and midtones are not
 * touched. A wide dead zone leaves a good photo, and a dim or low-key one, as it is.
 */
static int auto_curve(const pol__tone_summary *t, tone_curve *c, char *why, size_t n)
{
    c->black = 0;
    c->white = 1;
    c->gamma = 1;
    int changed = 0;
    size_t len = 0;
    why[0] = 0;
    double white_enc = pol__linear_to_srgb((float)t->white);
    /* A pile-up at the top (over 5% of the photo within 1% of the white point) is clipped
     * highlights, perhaps lowered by exposure: stretching them would undo that. */
    /* A picture whose tones span few stops (fog, the moon, a scan, a dim interior) is dim on
     * purpose: the stretch shrinks from 8 stops down and stops at 6. */
    double stops = log2((t->white > 1e-4 ? t->white : 1e-4) / (t->black > 2e-4 ? t->black : 2e-4));
    double c_range = (stops - 6) / 2;
    c_range = c_range < 0 ? 0 : c_range > 1 ? 1 : c_range;
    if (white_enc < 0.62 && t->white > 0.05 && t->at_white < 0.05 && c_range > 0) {
        /* Map the white point to 0.95 linear (0.977 encoded), fully when the brightest tones are
         * far short of white (below 0.50 encoded), less as they approach 0.62: a photo whose
         * highlights stop short (a dim interior, an overcast day, a dark wallpaper at dusk: on
         * the broad set such photos end at 0.68-0.75) is left as it is; a darkened photo is
         * image.exposure's to brighten first. */
        double a = (0.62 - white_enc) / 0.12;
        a = (a > 1 ? 1 : a) * c_range;
        double f = pow(0.95 / t->white, a);
        f = f > 2 ? 2 : f;
        c->white = 1 / f;
        changed = 1;
        len += (size_t)snprintf(why + len, n - len, "white point %.2f -> %.2f; ", white_enc,
                                pol__linear_to_srgb((float)(t->white * f)));
    }
    /* Lifted blacks are left alone: a matte or hazy look is as often chosen as suffered. */
    /* No automatic midtone curve: a dark or light median is a night sky, a low-key portrait or a
     * snow field as often as a failed exposure, which image.exposure judges. */
    return changed;
}

static pol_status run(pol_run *run, pol_asset *asset, const pol_args *args)
{
    pol__image *im = pol__image_of(asset);
    double strength = pol__arg_num(args, "strength");
    tone_curve c;
    char why[256] = "";
    pol__colour_init();
    if (!strcmp(pol__arg_str(args, "mode"), "manual")) {
        double b = pol__arg_num(args, "black"), w = pol__arg_num(args, "white");
        if (w <= b) return pol__fail(run, POL_ERR_ARG, "tone: --white must be above --black");
        c.black = pol__srgb_to_linear((float)b);
        c.white = pol__srgb_to_linear((float)w);
        c.gamma = 1 / pol__arg_num(args, "gamma");
        snprintf(why, sizeof why, "levels %.3f..%.3f, gamma %.2f", b, w, 1 / c.gamma);
    } else {
        if (pol__image_graphic_declines(run, im)) return POL_OK;
        pol__qsmall s;
        if (pol__qsmall_make(run, im, 512, &s) != POL_OK)
            return pol__fail(run, POL_ERR_NOMEM, "out of memory measuring tones");
        if (pol__qsmall_mask_backdrop(&s, 0.1) > 0)
            pol__measure(run, "backdrop_pct", 100 * s.backdrop);
        if (s.transparent > 0) pol__measure(run, "transparent_pct", 100 * s.transparent);
        pol__tone_summary t;
        pol__tone_stats(&s, pol__arg_num(args, "clip"), &t);
        pol__qsmall_free(&s);
        pol__measure(run, "white_point", pol__linear_to_srgb((float)t.white));
        pol__measure(run, "black_point", pol__linear_to_srgb((float)t.black));
        pol__measure(run, "median", pol__linear_to_srgb((float)t.median_y));
        if (!auto_curve(&t, &c, why, sizeof why)) {
            pol__decline(run, "levels and midtones are already in range");
            return POL_OK;
        }
    }
    /* Strength blends the curve with the identity. */
    float *lut = malloc(sizeof(float) * (POL_CURVE_N + 1));
    if (!lut) return pol__fail(run, POL_ERR_NOMEM, "out of memory");
    for (int i = 0; i <= POL_CURVE_N; i++) {
        double x = (double)i / POL_CURVE_N;
        lut[i] = (float)(x + strength * (curve_at(&c, x) - x));
    }
    pol__apply_curve(run, im, lut, POL_CURVE_N);
    free(lut);
    pol__measure(run, "black", pol__linear_to_srgb((float)c.black));
    pol__measure(run, "white", pol__linear_to_srgb((float)(c.white > 1 ? 1 : c.white)));
    pol__measure(run, "gamma", 1 / c.gamma);
    pol__decide(run, "%s", why);
    return POL_OK;
}

POL__POINT_STREAM(preview_stream, run, "tone changes the levels other than by a curve: the item is loaded whole");

const pol_op_desc pol__image_op_tone = {
    .domain = "image",
    .name = "tone",
    .summary = "Tone: automatic levels and midtone curve with highlight protection, or manual black/white/gamma",
    .params = params,
    .n_params = POL_ARRAY_LEN(params),
    .stream = &preview_stream,
    .run = run,
    .flags = POL_OP_AUTO | POL_OP_SCALE_SAFE,
};
