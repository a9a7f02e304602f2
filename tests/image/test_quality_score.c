/* polish — quality benchmark helper: degrades photos (linear-light casts, exposure, noise) and scores results with CIEDE2000. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "image/image.h"
#include "image/image_io.h"
#include "image/quality.h"
#include "wb_cues.h"

/*
 * quality_score degrade IN OUT MAXDIM R G B   photo reduced to MAXDIM (area average in linear
 *                                              light), per-channel gains in linear light
 * quality_score cast IN OUT MAXDIM R G B EV   photo reduced to MAXDIM, under a light of colour
 *                                              (R, G, B) as a camera records it: the gains are
 *                                              scaled so the image's mean linear luminance Y is
 *                                              kept (an auto-exposed cast), then an exposure
 *                                              error of EV stops (0: none); prints the gains
 *                                              applied (for `oracle`)
 * quality_score horizon IN                     every candidate of straighten's horizon test, one
 *                                              line each: deg se cover contrast sky row score
 *                                              chosen (1 for the one the test reports)
 * quality_score score A B                      mean CIEDE2000 between two images of equal size
 * quality_score visible A B                    mean CIEDE2000 over A's visible pixels, then the
 *                                              largest change of alpha (0..1); an image with an
 *                                              embedded profile is first converted to sRGB (as
 *                                              image.colour does), so both are compared as seen
 * quality_score tilt IN OUT MAXDIM DEG         photo reduced to MAXDIM, rotated counter-clockwise
 *                                              by DEG (bilinear) and cropped to the inscribed
 *                                              rectangle of the same aspect: a known tilt
 * quality_score oracle DEG ORIG R G B           what the best global correction of a known cast
 *                                              (R, G, B) scores on DEG against ORIG: two mean
 *                                              CIEDE2000s, the exact inverse of the gains (only
 *                                              what clipping lost remains) and the inverse of
 *                                              their chromaticity alone, the luminance of grey
 *                                              kept (what a white balance that leaves brightness
 *                                              to exposure can reach without an exposure step)
 * Used by bench/image/quality.sh; the degradations are the ones tests/image/test_quality.c uses.
 */

static pol__image *load(const char *path)
{
    static pol_options o;
    pol_options_default(&o);
    pol_err e;
    pol_err_clear(&e);
    pol_run run = {.err = &e, .opt = &o, .input = path, .threads = 2};
    pol_asset *a = NULL;
    if (pol__image_domain.load(&run, path, &a) != POL_OK) {
        fprintf(stderr, "%s\n", e.msg);
        return NULL;
    }
    pol__image *im = pol__image_clone(pol__image_of(a));
    pol__asset_unref(a);
    return im;
}

static pol__image *reduce(const pol__image *src, int max_dim)
{
    int longer = src->width > src->height ? src->width : src->height;
    int f = (longer + max_dim - 1) / max_dim;
    if (f < 1) f = 1;
    int w = src->width / f, h = src->height / f, ch = src->channels;
    pol__image *im = pol__image_new(w, h, 3);
    if (!im) return NULL;
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) {
            double acc[3] = {0, 0, 0};
            for (int dy = 0; dy < f; dy++)
                for (int dx = 0; dx < f; dx++) {
                    float rgb[3];
                    pol__px_rgb(pol__image_row(src, y * f + dy) + (size_t)(x * f + dx) * ch, ch, rgb);
                    for (int k = 0; k < 3; k++) acc[k] += pol__srgb_to_linear(rgb[k]);
                }
            for (int k = 0; k < 3; k++)
                im->px[((size_t)y * w + x) * 3 + k] = pol__linear_to_srgb((float)(acc[k] / (f * f)));
        }
    return im;
}

static int save_png(pol__image *im, const char *path)
{
    pol_options o;
    pol_options_default(&o);
    o.overwrite = 1;
    pol_err e;
    pol_err_clear(&e);
    pol_run run = {.err = &e, .opt = &o, .input = path, .threads = 2};
    strcpy(im->format, "png");
    im->bit_depth = 8;
    pol_asset *a = pol__asset_new(&pol__image_domain, im, path);
    pol_status st = a ? pol__image_domain.save(&run, a, path) : POL_ERR_NOMEM;
    if (st != POL_OK) fprintf(stderr, "%s\n", e.msg);
    pol__asset_unref(a);
    return st == POL_OK ? 0 : 1;
}

/* Pixels as a colour-managed viewer shows them: converted from the embedded profile to sRGB. */
static void as_seen(pol__image *im)
{
    pol_options o;
    pol_options_default(&o);
    pol_err e;
    pol_err_clear(&e);
    pol_run run = {.err = &e, .opt = &o, .input = "", .threads = 2};
    if (im->icc && pol__image_to_srgb(&run, im, 0, 1, 0) != POL_OK) fprintf(stderr, "%s\n", e.msg);
}

/* Counter-clockwise rotation by `deg` (bilinear, independent of image.straighten's code) and the
 * largest centred crop of the same aspect that has no empty corner. */
static pol__image *tilt(const pol__image *s, double deg)
{
    double t = deg * M_PI / 180, c = cos(t), sn = sin(t), as = fabs(sn);
    int W = s->width, H = s->height;
    double k = fmin(W / (W * c + H * as), H / (W * as + H * c));
    int w = (int)(W * k) - 2, h = (int)(H * k) - 2;
    pol__image *o = w > 0 && h > 0 ? pol__image_new(w, h, 3) : NULL;
    if (!o) return NULL;
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) {
            double dx = x - w / 2.0 + 0.5, dy = y - h / 2.0 + 0.5;
            double sx = c * dx - sn * dy + W / 2.0 - 0.5, sy = sn * dx + c * dy + H / 2.0 - 0.5;
            int x0 = (int)floor(sx), y0 = (int)floor(sy);
            double fx = sx - x0, fy = sy - y0;
            for (int ch = 0; ch < 3; ch++) {
                double v = 0;
                for (int j = 0; j < 2; j++)
                    for (int i = 0; i < 2; i++) {
                        int xx = x0 + i < 0 ? 0 : x0 + i >= W ? W - 1 : x0 + i;
                        int yy = y0 + j < 0 ? 0 : y0 + j >= H ? H - 1 : y0 + j;
                        v += (i ? fx : 1 - fx) * (j ? fy : 1 - fy) *
                             pol__image_row(s, yy)[(size_t)xx * 3 + ch];
                    }
                o->px[((size_t)y * w + x) * 3 + ch] = (float)v;
            }
        }
    return o;
}

int main(int argc, char **argv)
{
    if (argc == 6 && !strcmp(argv[1], "tilt")) {
        pol__image *src = load(argv[2]);
        if (!src) return 1;
        pol__image *im = reduce(src, atoi(argv[4]));
        pol__image_free(src);
        pol__image *t = im ? tilt(im, atof(argv[5])) : NULL;
        pol__image_free(im);
        if (!t) return 1;
        return save_png(t, argv[3]);
    }
    if (argc == 8 && !strcmp(argv[1], "degrade")) {
        pol__image *src = load(argv[2]);
        if (!src) return 1;
        pol__image *im = reduce(src, atoi(argv[4]));
        pol__image_free(src);
        if (!im) return 1;
        double g[3] = {atof(argv[5]), atof(argv[6]), atof(argv[7])};
        for (size_t i = 0; i < (size_t)im->width * im->height; i++)
            for (int k = 0; k < 3; k++) {
                double v = pol__srgb_to_linear(im->px[i * 3 + k]) * g[k];
                im->px[i * 3 + k] = pol__linear_to_srgb((float)(v > 1 ? 1 : v));
            }
        return save_png(im, argv[3]);
    }
    if (argc == 9 && !strcmp(argv[1], "cast")) {
        pol__image *src = load(argv[2]);
        if (!src) return 1;
        pol__image *im = reduce(src, atoi(argv[4]));
        pol__image_free(src);
        if (!im) return 1;
        double g[3] = {atof(argv[5]), atof(argv[6]), atof(argv[7])};
        size_t n = (size_t)im->width * im->height;
        double y0 = 0, y1 = 0;
        for (size_t i = 0; i < n; i++) {
            double l[3];
            for (int k = 0; k < 3; k++) l[k] = pol__srgb_to_linear(im->px[i * 3 + k]);
            y0 += 0.2126 * l[0] + 0.7152 * l[1] + 0.0722 * l[2];
            y1 += 0.2126 * l[0] * g[0] + 0.7152 * l[1] * g[1] + 0.0722 * l[2] * g[2];
        }
        double f = (y1 > 0 ? y0 / y1 : 1) * exp2(atof(argv[8]));
        for (int k = 0; k < 3; k++) g[k] *= f;
        for (size_t i = 0; i < n; i++)
            for (int k = 0; k < 3; k++) {
                double v = pol__srgb_to_linear(im->px[i * 3 + k]) * g[k];
                im->px[i * 3 + k] = pol__linear_to_srgb((float)(v > 1 ? 1 : v));
            }
        printf("%.6f %.6f %.6f\n", g[0], g[1], g[2]);
        return save_png(im, argv[3]);
    }
    if (argc == 7 && !strcmp(argv[1], "oracle")) {
        pol__image *d = load(argv[2]), *o = load(argv[3]);
        if (!d || !o) return 1;
        if (d->width != o->width || d->height != o->height || d->channels < 3) {
            fprintf(stderr, "%s and %s differ in size or are not colour\n", argv[2], argv[3]);
            return 1;
        }
        double g[3] = {atof(argv[4]), atof(argv[5]), atof(argv[6])};
        double lg = 0.2126 * g[0] + 0.7152 * g[1] + 0.0722 * g[2];
        for (int mode = 0; mode < 2; mode++) {
            pol__image *u = pol__image_clone(d);
            if (!u) return 1;
            int ch = u->channels;
            for (size_t i = 0; i < (size_t)u->width * u->height; i++)
                for (int k = 0; k < 3; k++) {
                    float *p = u->px + i * ch + k;
                    double v = pol__srgb_to_linear(*p) / g[k] * (mode ? lg : 1);
                    *p = pol__linear_to_srgb((float)(v > 1 ? 1 : v));
                }
            printf(mode ? " %.3f\n" : "%.3f", pol__image_mean_de2000(u, o));
            pol__image_free(u);
        }
        pol__image_free(d);
        pol__image_free(o);
        return 0;
    }
    if (argc == 3 && !strcmp(argv[1], "horizon")) {
        /* Every candidate of straighten's horizon test (tilt_horizon.c), for choosing among
         * them on the benchmark's photos (bench/RESULTS.md, straighten session 11). */
        pol__image *im = load(argv[2]);
        if (!im) return 1;
        pol__tilt_horizon_info hi;
        int ok = pol__tilt_horizon(im, 6, &hi);
        pol__image_free(im);
        for (int k = 0; ok && k < hi.ncand; k++) {
            const pol__tilt_horizon_cand *c = &hi.cand[k];
            printf("%.4f %.4f %.4f %.4f %.5f %.4f %.4f %d\n", c->deg, c->se_deg, c->cover,
                   c->contrast, c->sky, c->row, c->score, k == hi.chosen);
        }
        return 0;
    }
    if (argc == 4 && !strcmp(argv[1], "cues")) {
        /* The light's cues (wb_cues.c) on a working copy of at most MAXDIM px: one line of
         * name=u,v pairs, for fitting their weights (bench/image/wbfit.sh). */
        pol__image *im = load(argv[2]);
        if (!im || im->channels < 3) return 1;
        pol_err e;
        pol_err_clear(&e);
        pol_options opt;
        pol_options_default(&opt);
        pol_run run = {.err = &e, .opt = &opt, .input = argv[2], .threads = 1};
        pol__qsmall s;
        if (pol__qsmall_make(&run, im, atoi(argv[3]), &s) != POL_OK) return 1;
        double cue[POL_WB_NCUES][2];
        int ok = pol__wb_cues(&s, cue);
        pol__qsmall_free(&s);
        pol__image_free(im);
        if (!ok) return 1;
        for (int k = 0; k < POL_WB_NCUES; k++)
            printf("%s%.5f %.5f", k ? " " : "", cue[k][0], cue[k][1]);
        printf("\n");
        return 0;
    }
    if (argc == 4 && !strcmp(argv[1], "score")) {
        pol__image *a = load(argv[2]), *b = load(argv[3]);
        if (!a || !b) return 1;
        if (a->width != b->width || a->height != b->height) {
            fprintf(stderr, "%s is %dx%d but %s is %dx%d\n", argv[2], a->width, a->height, argv[3],
                    b->width, b->height);
            return 1;
        }
        printf("%.3f\n", pol__image_mean_de2000(a, b));
        pol__image_free(a);
        pol__image_free(b);
        return 0;
    }
    if (argc == 4 && !strcmp(argv[1], "visible")) {
        pol__image *a = load(argv[2]), *b = load(argv[3]);
        if (!a || !b) return 1;
        if (a->width != b->width || a->height != b->height) {
            fprintf(stderr, "%s is %dx%d but %s is %dx%d\n", argv[2], a->width, a->height, argv[3],
                    b->width, b->height);
            return 1;
        }
        as_seen(a);
        as_seen(b);
        double ad;
        double de = pol__image_de2000_visible(a, b, &ad);
        printf("%.3f %.4f\n", de, ad);
        pol__image_free(a);
        pol__image_free(b);
        return 0;
    }
    fprintf(stderr, "usage: quality_score degrade IN OUT MAXDIM R G B | score A B | visible A B | "
                    "tilt IN OUT MAXDIM DEG | oracle DEG ORIG R G B | cast IN OUT MAXDIM R G B EV\n");
    return 2;
}
