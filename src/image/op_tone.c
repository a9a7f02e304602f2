/* polish — image.tone: stretches levels and sets a midtone curve, protecting highlights. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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
    double x = pol_srgb_to_linear((float)x_enc);
    x = (x - c->black) / (c->white - c->black);
    x = x < 0 ? 0 : x > 1 ? 1 : x;
    double e = pol_linear_to_srgb((float)x);
    return (float)pow(e, c->gamma);
}

/*
 * Automatic levels: the white point goes to near-white when the brightest 0.5% fall short of it
 * (a dull or darkened photo); blacks are pulled down only when they are lifted a little (haze),
 * never on a deliberately light, low-contrast scene. The midtone gamma acts only when the median
 * is far from the usual range. Each part has a dead zone so a good photo is left alone.
 */
static int auto_curve(const pol_tone_stats *t, tone_curve *c, char *why, size_t n)
{
    c->black = 0;
    c->white = 1;
    c->gamma = 1;
    int changed = 0;
    size_t len = 0;
    why[0] = 0;
    double white_enc = pol_linear_to_srgb((float)t->white);
    /* A pile-up at the top (over 5% of the photo within 1% of the white point) is clipped
     * highlights, perhaps lowered by exposure: stretching them would undo that. */
    if (white_enc < 0.96 && t->white > 0.05 && t->at_white < 0.05) {
        /* Map the white point to 0.95 linear (0.977 encoded), fully when the brightest tones are
         * clearly short of white (below 0.86 encoded), less as they approach it; at most x2. */
        double a = (0.96 - white_enc) / 0.10;
        a = a > 1 ? 1 : a;
        double f = pow(0.95 / t->white, a);
        f = f > 2 ? 2 : f;
        c->white = 1 / f;
        changed = 1;
        len += (size_t)snprintf(why + len, n - len, "white point %.2f -> %.2f; ", white_enc,
                                pol_linear_to_srgb((float)(t->white * f)));
    }
    if (t->black > 0.003 && t->black < 0.03) {
        c->black = t->black * 0.5;
        changed = 1;
        if (len < n)
            len += (size_t)snprintf(why + len, n - len, "black point %.3f -> %.3f; ",
                                    pol_linear_to_srgb((float)t->black),
                                    pol_linear_to_srgb((float)(t->black - c->black)));
    }
    /* Median after the levels above, encoded. */
    double med = (t->median_y - c->black) / (c->white - c->black);
    double med_enc = pol_linear_to_srgb((float)(med < 1e-4 ? 1e-4 : med > 1 ? 1 : med));
    if (med_enc < 0.2 || med_enc > 0.8) {
        double target = med_enc < 0.2 ? 0.25 : 0.7;
        double g = log(target) / log(med_enc);
        g = g < 0.6 ? 0.6 : g > 1.4 ? 1.4 : g;
        c->gamma = g;
        changed = 1;
        if (len < n)
            snprintf(why + len, n - len, "median %.2f -> %.2f", med_enc, pow(med_enc, g));
    }
    return changed;
}

static pol_status run(pol_run *run, pol_asset *asset, const pol_args *args)
{
    pol_image *im = pol_image_of(asset);
    double strength = pol__arg_num(args, "strength");
    tone_curve c;
    char why[256] = "";
    pol__colour_init();
    if (!strcmp(pol__arg_str(args, "mode"), "manual")) {
        double b = pol__arg_num(args, "black"), w = pol__arg_num(args, "white");
        if (w <= b) return pol__fail(run, POL_ERR_ARG, "tone: --white must be above --black");
        c.black = pol_srgb_to_linear((float)b);
        c.white = pol_srgb_to_linear((float)w);
        c.gamma = 1 / pol__arg_num(args, "gamma");
        snprintf(why, sizeof why, "levels %.3f..%.3f, gamma %.2f", b, w, 1 / c.gamma);
    } else {
        pol_qsmall s;
        if (pol__qsmall_make(run, im, 512, &s) != POL_OK)
            return pol__fail(run, POL_ERR_NOMEM, "out of memory measuring tones");
        pol_tone_stats t;
        pol__tone_stats(&s, pol__arg_num(args, "clip"), &t);
        pol__qsmall_free(&s);
        pol__measure(run, "white_point", pol_linear_to_srgb((float)t.white));
        pol__measure(run, "black_point", pol_linear_to_srgb((float)t.black));
        pol__measure(run, "median", pol_linear_to_srgb((float)t.median_y));
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
    pol__measure(run, "black", pol_linear_to_srgb((float)c.black));
    pol__measure(run, "white", pol_linear_to_srgb((float)(c.white > 1 ? 1 : c.white)));
    pol__measure(run, "gamma", 1 / c.gamma);
    pol__decide(run, "%s", why);
    return POL_OK;
}

const pol_op_desc pol__image_op_tone = {
    .domain = "image",
    .name = "tone",
    .summary = "Tone: automatic levels and midtone curve with highlight protection, or manual black/white/gamma",
    .params = params,
    .n_params = POL_ARRAY_LEN(params),
    .run = run,
    .flags = POL_OP_AUTO | POL_OP_SCALE_SAFE,
};
