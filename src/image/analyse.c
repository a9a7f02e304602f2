/* polish — measuring a photo for `polish inspect`: brightness, clipping, cast, noise, sharpness, tilt. */
#include <math.h>
#include <stdlib.h>
#include "image/quality.h"

typedef struct clip_ctx {
    const pol__image *im;
    long *lo, *hi; /* per row */
} clip_ctx;

static void clip_rows(void *user, size_t begin, size_t end)
{
    clip_ctx *c = user;
    int ch = c->im->channels, colour = ch == 2 || ch == 4 ? ch - 1 : ch;
    for (size_t y = begin; y < end; y++) {
        const float *p = pol__image_row(c->im, (int)y);
        long lo = 0, hi = 0;
        for (int x = 0; x < c->im->width; x++, p += ch) {
            float mx = p[0], mn = p[0];
            for (int k = 1; k < colour; k++) {
                mx = p[k] > mx ? p[k] : mx;
                mn = p[k] < mn ? p[k] : mn;
            }
            /* Within half an 8-bit level of the ends: detail there is gone. */
            hi += mx >= 254.5f / 255;
            lo += mx <= 0.5f / 255;
        }
        c->lo[y] = lo;
        c->hi[y] = hi;
    }
}

pol_status pol__image_analyse(pol_run *run, const pol__image *im)
{
    pol__qsmall s;
    if (pol__qsmall_make(run, im, 512, &s) != POL_OK)
        return pol__fail(run, POL_ERR_NOMEM, "out of memory analysing the image");
    pol__image_kind_measure(run, im);
    {
        pol__image tmp = *im; /* judged on a shallow copy: inspect does not change the image */
        tmp.kind = 0;
        pol__measure_str(run, "picture_kind", pol__image_kind(run, &tmp) == 2 ? "graphic" : "photo");
        if (tmp.kind == 2) pol__measure_str(run, "picture_kind_why", tmp.kind_why);
    }
    if (pol__qsmall_mask_backdrop(&s, 0.1) > 0) pol__measure(run, "backdrop_pct", 100 * s.backdrop);
    if (s.transparent > 0) pol__measure(run, "transparent_pct", 100 * s.transparent);
    pol__tone_summary t;
    pol__tone_stats(&s, 0.5, &t);
    pol__measure(run, "mean_lightness", t.mean_l);
    pol__measure(run, "white_point", pol__linear_to_srgb((float)t.white));
    pol__measure(run, "black_point", pol__linear_to_srgb((float)t.black));
    clip_ctx c = {im, calloc((size_t)im->height, sizeof(long)),
                  calloc((size_t)im->height, sizeof(long))};
    if (c.lo && c.hi) {
        pol__parallel_for(run, (size_t)im->height, 32, clip_rows, &c);
        long lo = 0, hi = 0;
        for (int y = 0; y < im->height; y++) {
            lo += c.lo[y];
            hi += c.hi[y];
        }
        double n = (double)im->width * im->height;
        pol__measure(run, "clipped_shadows_pct", 100 * lo / n);
        pol__measure(run, "clipped_highlights_pct", 100 * hi / n);
    }
    free(c.lo);
    free(c.hi);
    if (im->channels >= 3) {
        pol__wb_guess e;
        if (pol__wb_estimate(&s, &e)) {
            double a, b;
            pol__light_cast_ab(e.raw_u, e.raw_v, &a, &b);
            pol__measure(run, "cast_a", a);
            pol__measure(run, "cast_b", b);
            pol__measure(run, "cast_confidence", e.confidence);
            pol__measure(run, "light_temperature_k", e.temp_k);
            pol__measure_bool(run, "cast_plausible_light", e.plausible);
        }
    } else {
        pol__measure(run, "cast_a", 0);
        pol__measure(run, "cast_b", 0);
    }
    pol__qsmall_free(&s);
    double nconf;
    double sigma = pol__noise_sigma(run, im, &nconf);
    pol__measure(run, "noise_sigma", sigma * 255);
    pol__measure(run, "noise_confidence", nconf);
    pol__measure(run, "sharpness", pol__sharpness(run, im));
    double tilt, tconf;
    if (pol__tilt_estimate(run, im, 10, &tilt, &tconf)) {
        pol__measure(run, "tilt_deg", tilt);
        pol__measure(run, "tilt_confidence", tconf);
    } else {
        pol__measure(run, "tilt_confidence", 0);
    }
    return POL_OK;
}
