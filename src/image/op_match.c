/* polish — image.match: gives a photo the look (tone and colour statistics) of a reference photo. */
#include <math.h>
#include <stdlib.h>
#include "image/quality.h"

static const pol_param_desc params[] = {
    {"reference", POL_PARAM_STR, NULL, 0, -1, NULL, "Path of the reference photo."},
    {"strength", POL_PARAM_NUM, "1", 0, 1, NULL, "Fraction of the change applied."},
};

/*
 * The look of a photo, in CIELAB: the distribution of lightness (its tone curve) and the mean and
 * spread of each colour axis (its colour balance and saturation). Matching maps the lightness
 * distribution onto the reference's (histogram matching with the slope kept within 1/2..2 so no
 * tone is crushed or posterised) and moves a* and b* to the reference's mean and spread.
 */
#define LBINS 512
#define LUT_L 1024

typedef struct look {
    double cdf[LBINS + 1]; /* cumulative share of pixels with L* below bin edge */
    double mean[3], sd[3];
} look;

static pol_status measure_look(pol_run *run, const pol_image *im, look *lk)
{
    pol_qsmall s;
    if (pol__qsmall_make(run, im, 384, &s) != POL_OK) return POL_ERR_NOMEM;
    size_t n = (size_t)s.w * s.h;
    double hist[LBINS] = {0}, sum[3] = {0, 0, 0}, sq[3] = {0, 0, 0};
    for (size_t i = 0; i < n; i++) {
        float lab[3];
        pol__linear_to_lab_fast(s.rgb + i * 3, lab);
        int b = (int)(lab[0] / 100 * LBINS);
        hist[b < 0 ? 0 : b >= LBINS ? LBINS - 1 : b] += 1;
        for (int k = 0; k < 3; k++) {
            sum[k] += lab[k];
            sq[k] += (double)lab[k] * lab[k];
        }
    }
    pol__qsmall_free(&s);
    lk->cdf[0] = 0;
    for (int b = 0; b < LBINS; b++) lk->cdf[b + 1] = lk->cdf[b] + hist[b] / (double)n;
    for (int k = 0; k < 3; k++) {
        lk->mean[k] = sum[k] / (double)n;
        double v = sq[k] / (double)n - lk->mean[k] * lk->mean[k];
        lk->sd[k] = sqrt(v > 0 ? v : 0);
    }
    return POL_OK;
}

/* L* of the reference at cumulative share q. */
static double inv_cdf(const look *lk, double q)
{
    int lo = 0, hi = LBINS;
    while (hi - lo > 1) {
        int mid = (lo + hi) / 2;
        if (lk->cdf[mid] < q)
            lo = mid;
        else
            hi = mid;
    }
    double a = lk->cdf[lo], b = lk->cdf[hi];
    double t = b > a ? (q - a) / (b - a) : 0.5;
    return (lo + t) * 100.0 / LBINS;
}

static double cdf_at(const look *lk, double L)
{
    double f = L / 100 * LBINS;
    if (f <= 0) return 0;
    if (f >= LBINS) return 1;
    int b = (int)f;
    return lk->cdf[b] + (f - b) * (lk->cdf[b + 1] - lk->cdf[b]);
}

typedef struct match_ctx {
    pol_image *im;
    float lmap[LUT_L + 1];
    float ga[2], gb[2]; /* a' = ga[0] * a + ga[1] */
} match_ctx;

static void match_rows(void *user, size_t begin, size_t end)
{
    match_ctx *c = user;
    int ch = c->im->channels, w = c->im->width;
    for (size_t y = begin; y < end; y++) {
        float *p = pol_image_row(c->im, (int)y);
        for (int x = 0; x < w; x++, p += ch) {
            float lin[3], lab[3];
            for (int k = 0; k < 3; k++) lin[k] = pol__to_linear_fast(pol__clampf(p[k], 0, 1));
            pol__linear_to_lab_fast(lin, lab);
            float f = pol__clampf(lab[0], 0, 100) / 100 * LUT_L;
            int i = (int)f;
            if (i >= LUT_L) i = LUT_L - 1;
            lab[0] = c->lmap[i] + (f - i) * (c->lmap[i + 1] - c->lmap[i]);
            lab[1] = c->ga[0] * lab[1] + c->ga[1];
            lab[2] = c->gb[0] * lab[2] + c->gb[1];
            pol_lab_to_linear_rgb(lab, lin);
            for (int k = 0; k < 3; k++) p[k] = pol__to_srgb_fast(pol__clampf(lin[k], 0, 1));
        }
    }
}

static pol_status run(pol_run *run, pol_asset *asset, const pol_args *args)
{
    pol_image *im = pol_image_of(asset);
    const char *ref = pol__arg_str(args, "reference");
    double strength = pol__arg_num(args, "strength");
    if (!ref || !*ref) return pol__fail(run, POL_ERR_ARG, "match needs --reference FILE");
    if (im->channels < 3) {
        pol__decline(run, "grey images are not matched to a colour look");
        return POL_OK;
    }
    pol_asset *ra = NULL;
    pol_status st = pol__image_domain.load(run, ref, &ra);
    if (st != POL_OK) return st;
    look a, b;
    st = measure_look(run, im, &a);
    if (st == POL_OK) st = measure_look(run, pol_image_of(ra), &b);
    pol__asset_unref(ra);
    if (st != POL_OK) return pol__fail(run, st, "out of memory measuring the look");
    pol__colour_init();
    match_ctx *c = malloc(sizeof *c);
    if (!c) return pol__fail(run, POL_ERR_NOMEM, "out of memory");
    c->im = im;
    /* Lightness: histogram matching, slope-limited, blended with the identity by strength. */
    double prev = 0;
    for (int i = 0; i <= LUT_L; i++) {
        double L = 100.0 * i / LUT_L;
        double m = inv_cdf(&b, cdf_at(&a, L));
        if (i > 0) {
            double step = 100.0 / LUT_L, d = m - prev;
            if (d < 0.5 * step) m = prev + 0.5 * step;
            if (d > 2 * step) m = prev + 2 * step;
        } else {
            m = m < 0 ? 0 : m;
        }
        prev = m;
        c->lmap[i] = (float)(L + strength * (m - L));
    }
    /* Colour: means and spreads of a*, b*; the spread ratio bounded so a near-grey photo is not
     * blown up to the reference's saturation. */
    float *g[2] = {c->ga, c->gb};
    for (int k = 1; k <= 2; k++) {
        double r = a.sd[k] > 0.5 ? b.sd[k] / a.sd[k] : 1;
        r = r < 0.5 ? 0.5 : r > 2 ? 2 : r;
        double gain = 1 + strength * (r - 1);
        double off = strength * (b.mean[k] - r * a.mean[k]);
        /* a' = a + s((r a + mean_b - r mean_a) - a) */
        g[k - 1][0] = (float)gain;
        g[k - 1][1] = (float)off;
    }
    pol__parallel_for(run, (size_t)im->height, 16, match_rows, c);
    free(c);
    pol__measure(run, "lightness_mean", a.mean[0]);
    pol__measure(run, "reference_lightness_mean", b.mean[0]);
    pol__measure(run, "a_mean", a.mean[1]);
    pol__measure(run, "b_mean", a.mean[2]);
    pol__measure(run, "reference_a_mean", b.mean[1]);
    pol__measure(run, "reference_b_mean", b.mean[2]);
    pol__decide(run, "matched to %s: L* %.1f -> %.1f, a* %+.1f -> %+.1f, b* %+.1f -> %+.1f",
                pol__path_base(ref), a.mean[0], b.mean[0], a.mean[1], b.mean[1], a.mean[2],
                b.mean[2]);
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
