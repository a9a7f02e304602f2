/* polish — image.match: gives a photo the look (colour of light, tonal range) of a reference photo. */
#include <math.h>
#include <stdlib.h>
#include "image/quality.h"

static const pol_port_desc inputs[] = {
    {"reference", POL_PORT_ASSET, "image", NULL, POL_PORT_REQUIRED | POL_PORT_SHARED,
     "The reference photo whose look is given (loaded once for the batch)."},
};

static const pol_param_desc params[] = {
    {"strength", POL_PARAM_NUM, "1", 0, 1, NULL, "Fraction of the change applied."},
};

/*
 * The look of a photo, measured so that it depends as little as possible on what is in it: the
 * colour of its light (the white-balance estimators, which look for what should be neutral) and
 * its tonal range (the encoded luma of its darkest and brightest 0.5%: lifted blacks, softened
 * whites — the output levels a look is usually made with). Plain statistics transfer (matching mean colours or lightness histograms) would carry
 * the reference's *content* over too — a reference full of orange table would turn a blue sky
 * orange — so only these content-free parameters are moved.
 */
typedef struct look {
    double u, v;        /* light (log R/G, log B/G) */
    double black, white; /* encoded luma (0..1) at the 0.5th and 99.5th percentiles */
} look;

static int measure_look(pol_run *run, const pol__image *im, look *lk)
{
    pol__qsmall s;
    if (pol__qsmall_make(run, im, 384, &s) != POL_OK) return -1;
    pol__wb_guess e;
    int ok = pol__wb_estimate(&s, &e);
    lk->u = ok ? e.raw_u : 0;
    lk->v = ok ? e.raw_v : 0;
    enum { NB = 1000 };
    size_t npx = (size_t)s.w * s.h, n = (size_t)s.n_use;
    long hist[NB] = {0};
    for (size_t i = 0; i < npx; i++) {
        if (!s.use[i]) continue; /* transparent */
        const float *p = s.rgb + i * 3;
        float yl = 0.299f * pol__to_srgb_fast(p[0]) + 0.587f * pol__to_srgb_fast(p[1]) +
                   0.114f * pol__to_srgb_fast(p[2]);
        int b = (int)(yl * NB);
        hist[b < 0 ? 0 : b >= NB ? NB - 1 : b]++;
    }
    pol__qsmall_free(&s);
    long acc = 0, want = (long)(n / 200);
    int b = 0;
    while (b < NB - 1 && acc + hist[b] <= want) acc += hist[b++];
    lk->black = (double)b / NB;
    acc = 0;
    b = NB - 1;
    while (b > 0 && acc + hist[b] <= want) acc += hist[b--];
    lk->white = (double)(b + 1) / NB;
    return ok ? 1 : 0;
}

typedef struct match_ctx {
    pol__image *im;
    float gain[3];      /* linear-light gains moving the input's light to the reference's */
    float l0, l1, k;    /* encoded v' = l1 + (v - l0) * k */
} match_ctx;

static void match_rows(void *user, size_t begin, size_t end)
{
    match_ctx *c = user;
    int ch = c->im->channels, w = c->im->width;
    for (size_t y = begin; y < end; y++) {
        float *p = pol__image_row(c->im, (int)y);
        for (int x = 0; x < w; x++, p += ch)
            for (int k = 0; k < 3; k++) {
                float v = pol__to_srgb_fast(
                    pol__clampf(pol__to_linear_fast(pol__clampf(p[k], 0, 1)) * c->gain[k], 0, 1));
                p[k] = pol__clampf(c->l1 + (v - c->l0) * c->k, 0, 1);
            }
    }
}

static pol_status run(pol_run *run, pol_asset *asset, const pol_args *args)
{
    pol__image *im = pol__image_of(asset);
    const char *ref = pol__input_path(args, "reference", 0);
    double strength = pol__arg_num(args, "strength");
    if (im->channels < 3) {
        pol__decline(run, "grey images are not matched to a colour look");
        return POL_OK;
    }
    /* shared by every item of the batch, read-only */
    pol_asset *ra = NULL;
    pol_status st = pol__input_asset(run, args, "reference", 0, &ra);
    if (st != POL_OK) return st;
    look a, b;
    int oka = measure_look(run, im, &a);
    int okb = oka >= 0 ? measure_look(run, pol__image_of(ra), &b) : -1;
    pol__asset_unref(ra);
    if (oka < 0 || okb < 0) return pol__fail(run, POL_ERR_NOMEM, "out of memory measuring the look");
    pol__colour_init();
    match_ctx c = {.im = im};
    /* Colour: move the light, keeping the luminance of neutral surfaces. Without a light
     * estimate on either side the colour is left alone. */
    double du = oka && okb ? (b.u - a.u) * strength : 0, dv = oka && okb ? (b.v - a.v) * strength : 0;
    double g[3] = {exp(du), 1, exp(dv)};
    double y = 0.2126 * g[0] + 0.7152 * g[1] + 0.0722 * g[2];
    for (int k = 0; k < 3; k++) c.gain[k] = (float)(g[k] / y);
    /* Tone: the input's black..white range onto the reference's, as output levels. */
    double sa = a.white - a.black, sb = b.white - b.black;
    double k = sa > 0.05 ? sb / sa : 1;
    k = k < 0.5 ? 0.5 : k > 2 ? 2 : k;
    c.l0 = (float)a.black;
    c.l1 = (float)(a.black + strength * (b.black - a.black));
    c.k = (float)(1 + strength * (k - 1));
    pol__parallel_for(run, (size_t)im->height, 16, match_rows, &c);
    double ca, cb, ra_, rb_;
    pol__light_cast_ab(a.u, a.v, &ca, &cb);
    pol__light_cast_ab(b.u, b.v, &ra_, &rb_);
    pol__measure(run, "cast_a", ca);
    pol__measure(run, "cast_b", cb);
    pol__measure(run, "reference_cast_a", ra_);
    pol__measure(run, "reference_cast_b", rb_);
    pol__measure(run, "black", a.black);
    pol__measure(run, "white", a.white);
    pol__measure(run, "reference_black", b.black);
    pol__measure(run, "reference_white", b.white);
    pol__decide(run,
                "matched to %s: light %+.1f a* %+.1f b* -> %+.1f a* %+.1f b*, levels "
                "%.2f..%.2f -> %.2f..%.2f",
                pol__path_base(ref), ca, cb, ra_, rb_, a.black, a.white, b.black, b.white);
    return POL_OK;
}

const pol_op_desc pol__image_op_match = {
    .domain = "image",
    .name = "match",
    .summary = "Give a photo the look of a reference photo: the colour of its light and its tonal range",
    .params = params,
    .n_params = POL_ARRAY_LEN(params),
    .run = run,
    .flags = POL_OP_SCALE_SAFE,
    .inputs = inputs,
    .n_inputs = POL_ARRAY_LEN(inputs),
};
