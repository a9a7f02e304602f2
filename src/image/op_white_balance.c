/* polish — image.white-balance: removes colour casts (automatic estimate with a confidence check, or manual temperature/tint). */
#include <math.h>
#include <string.h>
#include "image/image_io.h"
#include "image/quality.h"

static const pol_param_desc params[] = {
    {"mode", POL_PARAM_ENUM, "auto", 0, -1, "auto|gray-world|gray-edge|white-patch|manual",
     "How the light colour is estimated; manual uses --temperature and --tint.",
     .choice_help = (const char *const[]){
         "auto: the estimators together, applied only when they agree",
         "gray-world: the average colour is taken as neutral",
         "gray-edge: the average colour of edges is taken as neutral",
         "white-patch: the brightest pixels are taken as white",
         "manual: the light you give with --temperature and --tint", NULL}},
    {"temperature", POL_PARAM_NUM, NULL, 1500, 15000, NULL,
     "Manual: colour temperature in kelvin of the light the photo was taken under.",
     .unit = "K"},
    {"tint", POL_PARAM_NUM, "0", -100, 100, NULL,
     "Manual: tint of the light, green (-) to magenta (+), in arbitrary units."},
    {"strength", POL_PARAM_NUM, "1", 0, 1, NULL, "Fraction of the correction applied."},
    {"min-confidence", POL_PARAM_NUM, "0.4", 0, 1, NULL,
     "Automatic: decline when the estimate is less certain than this."},
};

/* Manual tint units (-100..100) to log-chromaticity distance from the locus. */
#define TINT_SCALE 0.003
/* Automatic: casts smaller than this (a*b* units on mid-grey) are left alone. */
#define MIN_CAST 3.0
/* Spread of a*, b* once corrected: at or below NONE the light is the scene's and is kept; from
 * FULL up the photo has colours enough for the light to be a cast. */
#define VARIETY_NONE 7.0
#define VARIETY_FULL 12.0

/* Standard deviation of the colours (sqrt(var a* + var b*)) of the working copy's mid-tones once
 * the light (u, v) is divided out. */
static double corrected_variety(const pol__qsmall *s, double u, double v)
{
    double g[3] = {exp(-u), 1, exp(-v)};
    double sa = 0, sb = 0, saa = 0, sbb = 0;
    long n = 0;
    for (size_t i = 0; i < (size_t)s->w * s->h; i++) {
        if (!s->use[i] || s->y[i] < 0.02f || s->y[i] > 0.9f) continue;
        const float *p = s->rgb + i * 3;
        float c[3], lab[3];
        for (int k = 0; k < 3; k++) c[k] = pol__clampf((float)(p[k] * g[k]), 0, 1);
        pol__linear_to_lab_fast(c, lab);
        sa += lab[1];
        sb += lab[2];
        saa += (double)lab[1] * lab[1];
        sbb += (double)lab[2] * lab[2];
        n++;
    }
    if (n < 16) return VARIETY_FULL;
    double ma = sa / n, mb = sb / n;
    double var = saa / n - ma * ma + sbb / n - mb * mb;
    return var > 0 ? sqrt(var) : 0;
}

/*
 * Gray-pixel evidence (after Yang et al. 2015 and Qian et al. 2019: under the right light many
 * surfaces of a scene are grey): the share of the mid-tones that is near neutral (chroma weighted
 * by exp(-C^2 / 2 5^2)) once the light (u, v) is divided out as image.white-balance would. A
 * correction that does not make more of the picture neutral does not clearly improve it.
 */
static double neutral_share(const pol__qsmall *s, double u, double v)
{
    double e3[3] = {exp(u), 1, exp(v)}, g[3];
    double le = 0.2126 * e3[0] + 0.7152 * e3[1] + 0.0722 * e3[2];
    for (int k = 0; k < 3; k++) g[k] = le / e3[k];
    double sum = 0;
    long n = 0;
    for (size_t i = 0; i < (size_t)s->w * s->h; i++) {
        if (!s->use[i] || s->y[i] < 0.03f || s->y[i] > 0.9f) continue;
        const float *p = s->rgb + i * 3;
        if (p[0] >= 0.95f || p[1] >= 0.95f || p[2] >= 0.95f) continue;
        float c[3], lab[3];
        for (int k = 0; k < 3; k++) c[k] = pol__clampf((float)(p[k] * g[k]), 0, 1);
        pol__linear_to_lab_fast(c, lab);
        double c2 = (double)lab[1] * lab[1] + (double)lab[2] * lab[2];
        sum += exp(-c2 / 50.0);
        n++;
    }
    return n ? sum / (double)n : 0;
}

/* Steps along the estimate tried by the gray-pixel check, and the gain in neutral share the best
 * of them must bring over leaving the photo as it is. */
#define NEUTRAL_STEPS 8
#define NEUTRAL_GAIN 0.03

static pol_status run(pol_run *run, pol_asset *asset, const pol_args *args)
{
    pol__image *im = pol__image_of(asset);
    const char *mode = pol__arg_str(args, "mode");
    double strength = pol__arg_num(args, "strength");
    int manual = !strcmp(mode, "manual") || pol__arg_set(args, "temperature");
    if (im->channels < 3) {
        pol__decline(run, "a grey image has no colour cast");
        return POL_OK;
    }
    double u, v;
    if (manual) {
        if (!pol__arg_has(args, "temperature"))
            return pol__fail(run, POL_ERR_ARG,
                             "white-balance --mode manual needs --temperature (kelvin)");
        double t = pol__arg_num(args, "temperature"), tint = pol__arg_num(args, "tint");
        pol__light_uv(t, tint * TINT_SCALE, &u, &v);
        pol__measure(run, "temperature_k", t);
        pol__measure(run, "tint", tint);
    } else {
        if (pol__image_graphic_declines(run, im)) return POL_OK;
        pol__qsmall s;
        if (pol__qsmall_make(run, im, 384, &s) != POL_OK)
            return pol__fail(run, POL_ERR_NOMEM, "out of memory measuring the light");
        pol__wb_guess e;
        int ok = pol__wb_estimate(&s, &e);
        if (!ok) {
            pol__qsmall_free(&s);
            pol__decline(run, "too few usable pixels to estimate the light (%ld)", e.n_used);
            return POL_OK;
        }
        double ca, cb;
        pol__light_cast_ab(e.raw_u, e.raw_v, &ca, &cb);
        pol__measure(run, "cast_a", ca);
        pol__measure(run, "cast_b", cb);
        pol__measure(run, "light_temperature_k", e.temp_k);
        pol__measure(run, "light_tint", e.tint / TINT_SCALE);
        pol__measure(run, "estimator_spread", e.spread);
        pol__confidence(run, e.confidence);
        if (!strcmp(mode, "auto")) {
            if (!e.plausible) {
                pol__qsmall_free(&s);
                pol__decline(run,
                             "the colour bias (%.0f K, tint %+.0f) is not a plausible light: "
                             "it is the scene's own colour",
                             e.temp_k, e.tint / TINT_SCALE);
                return POL_OK;
            }
            double minc = pol__arg_num(args, "min-confidence");
            if (e.confidence < minc) {
                pol__qsmall_free(&s);
                pol__decline(run, "estimators disagree (confidence %.2f below %.2f)", e.confidence,
                             minc);
                return POL_OK;
            }
            u = e.u;
            v = e.v;
            double pa, pb;
            pol__light_cast_ab(u, v, &pa, &pb);
            /* A small bias is as likely the scene's own colour as a cast: not clearly needed. */
            if (hypot(pa, pb) < MIN_CAST) {
                pol__qsmall_free(&s);
                pol__decline(run, "a cast of %.1f a*b* units (%+.1f a*, %+.1f b*) is too small to "
                                  "tell from the scene's own colour (below %.0f)",
                             hypot(pa, pb), pa, pb, MIN_CAST);
                return POL_OK;
            }
            /* Strength follows confidence: none at the threshold, all from 0.65. */
            double sc = (e.confidence - minc) / (0.65 - minc);
            sc = sc < 0 ? 0 : sc > 1 ? 1 : sc;
            /* Light that is the scene (a storm, underwater, blue hour, candle, a sunset): taking
             * it out leaves a picture of almost one neutral colour. A photo under a wrong white
             * balance keeps its variety of colours once corrected. */
            double sd = corrected_variety(&s, u, v);
            double keep = (VARIETY_FULL - sd) / (VARIETY_FULL - VARIETY_NONE);
            keep = keep < 0 ? 0 : keep > 1 ? 1 : keep;
            pol__measure(run, "colour_variety_corrected", sd);
            pol__measure(run, "ambience_kept", keep);
            /* The gray-pixel check: how far along the estimate the picture is most neutral. */
            double n0 = neutral_share(&s, 0, 0), nbest = n0, tbest = 0;
            for (int k = 1; k <= NEUTRAL_STEPS; k++) {
                double t = (double)k / NEUTRAL_STEPS, nk = neutral_share(&s, u * t, v * t);
                if (nk > nbest + 1e-6) {
                    nbest = nk;
                    tbest = t;
                }
            }
            pol__measure(run, "neutral_share_before", n0);
            pol__measure(run, "neutral_share_best", nbest);
            pol__measure(run, "neutral_best_at", tbest);
            if (nbest - n0 < NEUTRAL_GAIN) {
                pol__qsmall_free(&s);
                pol__decline(run,
                             "removing the estimated cast would not make more of the picture "
                             "neutral (gray share %.0f%% at best %.0f%%): its colour is the scene's",
                             100 * n0, 100 * nbest);
                return POL_OK;
            }
            strength *= (sc > tbest ? tbest : sc) * (1 - keep);
            if (strength < 0.1) {
                pol__qsmall_free(&s);
                pol__decline(run,
                             keep > 0.5 ? "the light's colour is the scene's (removing it would "
                                          "leave colours of only %.1f units of variety): kept"
                                        : "the estimate is too uncertain to act on (variety %.1f)",
                             sd);
                return POL_OK;
            }
        } else {
            int k = !strcmp(mode, "gray-world") ? POL_WB_GW
                    : !strcmp(mode, "gray-edge") ? POL_WB_GE6
                                                 : POL_WB_WP;
            u = e.est[k][0];
            v = e.est[k][1];
        }
        pol__qsmall_free(&s);
        /* Below ~1 a*b* unit of cast the change would be invisible; leave the photo as it is. */
        if (hypot(u, v) < 0.04) {
            pol__decline(run, "no significant cast (%.1f a*, %.1f b*)", ca, cb);
            return POL_OK;
        }
    }
    /* Divide out the light, keeping the luminance of neutral surfaces: a wrong estimate then
     * shifts colours without also brightening the photo, and exposure/tone set the levels. */
    double e3[3] = {exp(u * strength), 1, exp(v * strength)}, g[3];
    double le = 0.2126 * e3[0] + 0.7152 * e3[1] + 0.0722 * e3[2];
    for (int k = 0; k < 3; k++) g[k] = le / e3[k];
    pol__apply_gains(run, im, g);
    double ca, cb;
    pol__light_cast_ab(u, v, &ca, &cb);
    pol__measure(run, "gain_r", g[0]);
    pol__measure(run, "gain_g", g[1]);
    pol__measure(run, "gain_b", g[2]);
    pol__decide(run, "removed a cast of %+.1f a* %+.1f b*: gains R %.2f G %.2f B %.2f", ca, cb,
                g[0], g[1], g[2]);
    return POL_OK;
}

POL__POINT_STREAM(preview_stream, run, "white balance corrects a cast other than by curves: the item is loaded whole");

const pol_op_desc pol__image_op_white_balance = {
    .domain = "image",
    .name = "white-balance",
    .summary = "Remove a colour cast: automatic (gray-edge and white-patch estimators with plausibility and agreement checks) or manual temperature/tint",
    .params = params,
    .n_params = POL_ARRAY_LEN(params),
    .stream = &preview_stream,
    .run = run,
    .flags = POL_OP_AUTO | POL_OP_SCALE_SAFE,
};
