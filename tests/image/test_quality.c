/* polish — image quality tests: colour science, and each automatic correction scored on degraded real photos. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "core/args.h"
#include "image/image.h"
#include "image/quality.h"
#include "image/saliency.h"

#define SK "/usr/lib/python3/dist-packages/skimage/data/"
#define MATE "/usr/share/backgrounds/mate/nature/"

/* ---- helpers -------------------------------------------------------------------------------- */

static pol_options g_opt;

/* Loads a photo through the image domain, as RGB, reduced (area average in linear light) so its
 * long side is at most max_dim: the tests stay quick under the sanitizers. */
static pol__image *load_photo(const char *path, int max_dim)
{
    pol_err e;
    pol_err_clear(&e);
    pol_run run = {.err = &e, .opt = &g_opt, .input = path, .threads = 2};
    pol_asset *a = NULL;
    if (pol__image_domain.load(&run, path, &a) != POL_OK) {
        print_error("cannot load %s: %s (is the Debian package installed? see scripts/setup)\n",
                    path, e.msg);
        fail();
    }
    const pol__image *src = pol__image_of(a);
    int longer = src->width > src->height ? src->width : src->height;
    int f = (longer + max_dim - 1) / max_dim;
    if (f < 1) f = 1;
    int w = src->width / f, h = src->height / f, ch = src->channels;
    pol__image *im = pol__image_new(w, h, 3);
    assert_non_null(im);
    pol__colour_init();
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) {
            double acc[3] = {0, 0, 0};
            for (int dy = 0; dy < f; dy++)
                for (int dx = 0; dx < f; dx++) {
                    const float *p = pol__image_row(src, y * f + dy) + (size_t)(x * f + dx) * ch;
                    float rgb[3];
                    pol__px_rgb(p, ch, rgb);
                    for (int k = 0; k < 3; k++) acc[k] += pol__srgb_to_linear(rgb[k]);
                }
            for (int k = 0; k < 3; k++)
                im->px[((size_t)y * w + x) * 3 + k] = pol__linear_to_srgb((float)(acc[k] / (f * f)));
        }
    pol__asset_unref(a);
    return im;
}

/* A per-channel cast (or exposure change) in linear light, clipped as a camera would. */
static pol__image *degrade_gains(const pol__image *src, double r, double g, double b)
{
    pol__image *im = pol__image_clone(src);
    assert_non_null(im);
    double gain[3] = {r, g, b};
    size_t n = (size_t)im->width * im->height;
    for (size_t i = 0; i < n; i++)
        for (int k = 0; k < 3; k++) {
            double v = pol__srgb_to_linear(im->px[i * 3 + k]) * gain[k];
            im->px[i * 3 + k] = pol__linear_to_srgb((float)(v > 1 ? 1 : v));
        }
    return im;
}

/* Runs one op of the image domain in place; returns 1 when it applied, 0 when it declined.
 * `step` (optional) receives the op's report node (measurements, decisions). */
static int run_op(pol__image **imp, const char *name, const char *const *kv, pol__jv **step)
{
    const pol_op_desc *op = pol_op_find("image", name);
    assert_non_null(op);
    pol_err e;
    pol_err_clear(&e);
    pol_args *args = pol__args_new(op);
    assert_non_null(args);
    for (; kv && kv[0]; kv += 2)
        assert_int_equal(pol_op_input(op, kv[0]) ? pol__args_set_port(args, 0, kv[0], kv[1], &e)
                                                 : pol__args_set(args, kv[0], kv[1], &e),
                         POL_OK);
    pol_asset *a = pol__asset_new(&pol__image_domain, *imp, "photo");
    assert_non_null(a);
    pol__jv *item = pol__jv_obj(), *node = pol__jv_obj();
    pol_run run = {.err = &e, .opt = &g_opt, .input = "photo", .threads = 2, .item = item,
                   .step = node};
    pol_status st = op->run(&run, a, args);
    if (st != POL_OK) print_error("%s: %s\n", name, e.msg);
    assert_int_equal(st, POL_OK);
    *imp = pol__image_of(a);
    a->data = NULL;
    /* Whatever an op does, every pixel stays a finite number in range. */
    for (size_t i = 0; i < (size_t)(*imp)->width * (*imp)->height * (*imp)->channels; i++)
        if (!((*imp)->px[i] >= 0 && (*imp)->px[i] <= 1)) {
            print_error("%s left pixel value %g at %zu\n", name, (*imp)->px[i], i);
            fail();
        }
    pol__asset_unref(a);
    pol__args_free(args);
    pol__jv_free(item);
    if (step)
        *step = node;
    else
        pol__jv_free(node);
    return !run.declined;
}

static double confidence(const pol__jv *step)
{
    const pol__jv *v = pol__jv_get(step, "confidence");
    return v ? v->num : NAN;
}

static double measured(const pol__jv *step, const char *key)
{
    const pol__jv *m = pol__jv_get(step, "measured");
    const pol__jv *v = m ? pol__jv_get(m, key) : NULL;
    return v ? (v->type == POL_JV_INT ? (double)v->i : v->num) : NAN;
}

/* The colour and tone part of `polish fix`, in its order. */
static void colour_chain(pol__image **im)
{
    run_op(im, "white-balance", NULL, NULL);
    run_op(im, "exposure", NULL, NULL);
    run_op(im, "tone", NULL, NULL);
}

/* The whole automatic recipe of the image domain (orient ... straighten), every op with its
 * defaults, as `polish fix` runs it. */
static void auto_chain(pol__image **im)
{
    const char *const *steps = pol__image_domain.auto_steps;
    assert_non_null(steps);
    for (; *steps; steps++) {
        const pol_op_desc *op = pol_op_find("image", *steps);
        assert_non_null(op);
        if (op->flags & POL_OP_DELIVER) continue;
        int w = (*im)->width, h = (*im)->height;
        pol__jv *step;
        if (run_op(im, *steps, NULL, &step) && ((*im)->width != w || (*im)->height != h)) {
            char *js = pol__jv_dump(step, 0);
            print_message("  %s changed the geometry: %s\n", *steps, js);
            free(js);
        }
        pol__jv_free(step);
    }
}

/* ---- colour science ------------------------------------------------------------------------- */

/* Pairs from Table 1 of Sharma, Wu & Dalal (2005), "The CIEDE2000 color-difference formula:
 * implementation notes, supplementary test data, and mathematical observations": they exercise
 * the hue wrap-around, the blue-region rotation term and near-neutral colours. */
static const double sharma[][7] = {
    {50.0000, 2.6772, -79.7751, 50.0000, 0.0000, -82.7485, 2.0425},
    {50.0000, 3.1571, -77.2803, 50.0000, 0.0000, -82.7485, 2.8615},
    {50.0000, 2.8361, -74.0200, 50.0000, 0.0000, -82.7485, 3.4412},
    {50.0000, -1.3802, -84.2814, 50.0000, 0.0000, -82.7485, 1.0000},
    {50.0000, 0.0000, 0.0000, 50.0000, -1.0000, 2.0000, 2.3669},
    {50.0000, 2.4900, -0.0010, 50.0000, -2.4900, 0.0009, 7.1792},
    {50.0000, 2.4900, -0.0010, 50.0000, -2.4900, 0.0011, 7.2195},
    {50.0000, -0.0010, 2.4900, 50.0000, 0.0009, -2.4900, 4.8045},
    {50.0000, -0.0010, 2.4900, 50.0000, 0.0011, -2.4900, 4.7461},
    {50.0000, 2.5000, 0.0000, 50.0000, 0.0000, -2.5000, 4.3065},
    {50.0000, 2.5000, 0.0000, 73.0000, 25.0000, -18.0000, 27.1492},
    {50.0000, 2.5000, 0.0000, 61.0000, -5.0000, 29.0000, 22.8977},
    {50.0000, 2.5000, 0.0000, 56.0000, -27.0000, -3.0000, 31.9030},
    {50.0000, 2.5000, 0.0000, 58.0000, 24.0000, 15.0000, 19.4535},
    {60.2574, -34.0099, 36.2677, 60.4626, -34.1751, 39.4387, 1.2644},
    {22.7233, 20.0904, -46.6940, 23.0331, 14.9730, -42.5619, 2.0373},
    {90.9257, -0.5406, -0.9208, 88.6381, -0.8985, -0.7239, 1.5381},
    {2.0776, 0.0795, -1.1350, 0.9033, -0.0636, -0.5514, 0.9082},
};

static void test_ciede2000_sharma(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof sharma / sizeof sharma[0]; i++) {
        float a[3] = {(float)sharma[i][0], (float)sharma[i][1], (float)sharma[i][2]};
        float b[3] = {(float)sharma[i][3], (float)sharma[i][4], (float)sharma[i][5]};
        double d1 = pol__ciede2000(a, b), d2 = pol__ciede2000(b, a);
        if (fabs(d1 - sharma[i][6]) > 1e-4) print_error("pair %zu: %.5f != %.4f\n", i, d1, sharma[i][6]);
        assert_true(fabs(d1 - sharma[i][6]) <= 1e-4);
        assert_true(fabs(d1 - d2) <= 1e-9); /* symmetric */
    }
}

static void test_srgb_lab(void **state)
{
    (void)state;
    /* Known values: sRGB white is D65 (L* 100, neutral), mid-grey 0.5 has L* 53.39, sRGB red. */
    float white[3] = {1, 1, 1}, grey[3] = {0.5f, 0.5f, 0.5f}, red[3] = {1, 0, 0}, lab[3];
    pol__srgb_to_lab(white, lab);
    assert_true(fabs(lab[0] - 100) < 0.01 && fabs(lab[1]) < 0.01 && fabs(lab[2]) < 0.01);
    pol__srgb_to_lab(grey, lab);
    assert_true(fabs(lab[0] - 53.389) < 0.01);
    pol__srgb_to_lab(red, lab);
    assert_true(fabs(lab[0] - 53.24) < 0.05 && fabs(lab[1] - 80.09) < 0.05 &&
                fabs(lab[2] - 67.20) < 0.05);
    /* Round trips, and the fast paths agree with the exact functions. */
    pol__colour_init();
    double worst = 0;
    for (int i = 0; i <= 1000; i++) {
        float v = i / 1000.0f;
        worst = fmax(worst, fabs(pol__linear_to_srgb(pol__srgb_to_linear(v)) - v));
        worst = fmax(worst, fabs(pol__to_linear_fast(v) - pol__srgb_to_linear(v)));
        worst = fmax(worst, fabs(pol__to_srgb_fast(v) - pol__linear_to_srgb(v)));
    }
    assert_true(worst < 1e-5);
    for (int r = 0; r <= 4; r++)
        for (int g = 0; g <= 4; g++)
            for (int b = 0; b <= 4; b++) {
                float rgb[3] = {r / 4.0f, g / 4.0f, b / 4.0f}, back[3], lin[3], lf[3];
                pol__srgb_to_lab(rgb, lab);
                pol__lab_to_srgb(lab, back);
                for (int k = 0; k < 3; k++) assert_true(fabs(back[k] - rgb[k]) < 1e-4);
                for (int k = 0; k < 3; k++) lin[k] = pol__srgb_to_linear(rgb[k]);
                pol__linear_to_lab_fast(lin, lf);
                for (int k = 0; k < 3; k++) assert_true(fabs(lf[k] - lab[k]) < 0.01);
            }
}

static void test_light_locus(void **state)
{
    (void)state;
    /* D65 is the sRGB white; warmer lights have more red, cooler more blue; temperature and tint
     * survive a round trip through the locus. */
    double u, v, t, tint;
    pol__light_uv(6504, 0, &u, &v);
    assert_true(fabs(u) < 0.01 && fabs(v) < 0.01);
    pol__light_uv(3000, 0, &u, &v);
    assert_true(u > 0.3 && v < -0.5);
    pol__light_uv(10000, 0, &u, &v);
    assert_true(u < 0 && v > 0.2);
    for (double k = 2500; k <= 12000; k *= 1.3) {
        pol__light_uv(k, 0.1, &u, &v);
        pol__light_project(u, v, &t, &tint);
        assert_true(fabs(t - k) / k < 0.02);
        assert_true(fabs(tint - 0.1) < 0.01);
    }
}

/* ---- white balance and tone on real photos -------------------------------------------------- */

/* Photos whose originals are neutrally balanced with some neutral content (the premise of every
 * gray-family estimator), from python3-skimage and mate-backgrounds. */
static const char *const cast_set[] = {
    SK "astronaut.png", SK "coffee.png", SK "motorcycle_left.png", MATE "LadyBird.jpg",
    MATE "TwoWings.jpg",
};
/* Casts in linear light: the (0.80, 0.62, 0.45), tungsten, shade, fluorescent green and a
 * magenta tint. */
static const double casts[][3] = {
    {0.80, 0.62, 0.45}, {1.00, 0.78, 0.52}, {0.70, 0.85, 1.00}, {0.90, 1.00, 0.85},
    {1.00, 0.88, 0.95},
};

/* Casts as an auto-exposing camera records a light (bench/image/broad.sh part 3 since session 7):
 * the gains scaled so the photo keeps its mean linear luminance, so only the colour is wrong. */
static pol__image *cast_keep_y(const pol__image *src, double r, double g, double b)
{
    double y0 = 0, y1 = 0;
    size_t n = (size_t)src->width * src->height;
    for (size_t i = 0; i < n; i++) {
        double l[3];
        for (int k = 0; k < 3; k++) l[k] = pol__srgb_to_linear(src->px[i * 3 + k]);
        y0 += 0.2126 * l[0] + 0.7152 * l[1] + 0.0722 * l[2];
        y1 += 0.2126 * l[0] * r + 0.7152 * l[1] * g + 0.0722 * l[2] * b;
    }
    double f = y1 > 0 ? y0 / y1 : 1;
    return degrade_gains(src, r * f, g * f, b * f);
}

/* The photos of `set` (reduced to max_dim) under each of `casts` (darkening gains, or with their
 * brightness kept), through the colour and tone part of `polish fix`: CIEDE2000 sums to the
 * original, for the first cast alone too, and how many pairs the fix made worse by over 0.5. */
typedef struct cast_sums {
    double fix, none, first_fix, first_none;
    int n, nf, worse;
} cast_sums;

static cast_sums cast_recovery(const char *const *set, size_t np, int max_dim, int keep_y)
{
    cast_sums r = {0};
    for (size_t p = 0; p < np; p++) {
        pol__image *orig = load_photo(set[p], max_dim);
        for (size_t c = 0; c < POL_ARRAY_LEN(casts); c++) {
            const double *g = casts[c];
            pol__image *im = keep_y ? cast_keep_y(orig, g[0], g[1], g[2])
                                    : degrade_gains(orig, g[0], g[1], g[2]);
            double none = pol__image_mean_de2000(im, orig);
            colour_chain(&im);
            double fix = pol__image_mean_de2000(im, orig);
            print_message("%-22s cast (%.2f,%.2f,%.2f)%s: dE00 %5.2f -> %5.2f\n",
                          pol__path_base(set[p]), g[0], g[1], g[2], keep_y ? ", Y kept" : "",
                          none, fix);
            r.fix += fix;
            r.none += none;
            r.worse += fix > none + 0.5;
            r.n++;
            if (c == 0) {
                r.first_fix += fix;
                r.first_none += none;
                r.nf++;
            }
            pol__image_free(im);
        }
        pol__image_free(orig);
    }
    return r;
}

static void test_white_balance_casts(void **state)
{
    (void)state;
    cast_sums r = cast_recovery(cast_set, POL_ARRAY_LEN(cast_set), 256, 0);
    double sum_fix = r.fix, sum_none = r.none, sum_first = r.first_fix,
           sum_first_none = r.first_none;
    int n = r.n, nf = r.nf;
    double mean_fix = sum_fix / n, mean_none = sum_none / n;
    print_message("mean CIEDE2000 over %d photo x cast pairs: %.2f (doing nothing: %.2f); "
                  "(0.80,0.62,0.45) alone: %.2f (nothing: %.2f)\n",
                  n, mean_fix, mean_none, sum_first / nf, sum_first_none / nf);
    /* Since issue 8 the steps put doing no harm first (strength follows confidence, ambience and
     * dim scenes are kept), so a strong cast is only partly removed: at least a quarter of the
     * error goes on the strong first cast (0.85) and over all casts (ImageMagick's auto chain
     * makes it worse: 7.8 on the first cast). Leaving the cast in place fails both bounds.
     * Session 4 (issue 8, no harm on the broad set first): white balance also declines when
     * removing the cast would not make more of the picture neutral (the gray-pixel check), so
     * photos with no neutral surface at all (coffee, LadyBird, TwoWings) keep any cast: over the
     * 25 pairs 4.76 against 5.17 (was 4.34), the first cast 7.68 against 7.93. The bounds say
     * what still holds: some of the error goes, and no cast is made worse on average. */
    assert_true(mean_none > 5);
    assert_true(sum_first_none / nf > 5);
    assert_true(mean_fix < 5);
    assert_true(mean_fix < 0.95 * mean_none);
    assert_true(sum_first / nf < 0.99 * (sum_first_none / nf));
}

/* Real photos from opencv-doc (installed by scripts/setup) that the benchmark does not score:
 * street and building scenes, an interior, objects on a table, each with grey or white surfaces. */
#define OCV "/usr/share/doc/opencv-doc/examples/data/"
static const char *const recovery_set[] = {
    OCV "building.jpg", OCV "home.jpg", OCV "leuvenA.jpg", OCV "stuff.jpg", OCV "board.jpg",
    OCV "aero3.jpg",
};
/* The share of doing nothing's error the fix may leave on them. */
#define RECOVERY_SHARE 0.9

static void test_recovery_from_camera_casts(void **state)
{
    (void)state;
    cast_sums r = cast_recovery(recovery_set, POL_ARRAY_LEN(recovery_set), 384, 1);
    double sum_fix = r.fix, sum_none = r.none;
    int n = r.n, worse = r.worse;
    print_message("recovery from camera casts over %d pairs: %.2f (doing nothing %.2f), %d made "
                  "worse by over 0.5\n", n, sum_fix / n, sum_none / n, worse);
    assert_true(sum_none / n > 4);
    assert_true(sum_fix / n < RECOVERY_SHARE * sum_none / n);
    assert_true(worse <= n / 10);
}

/* Already-good photos: the neutral ones above, plus strongly coloured scenes (flowers, leaves)
 * where a naive gray-world correction does damage. */
static const char *const good_set[] = {
    SK "astronaut.png", SK "coffee.png",  SK "motorcycle_left.png", MATE "LadyBird.jpg",
    MATE "TwoWings.jpg", MATE "FreshFlower.jpg", MATE "Garden.jpg", MATE "YellowFlower.jpg",
};

static void test_good_photos_unchanged(void **state)
{
    (void)state;
    double sum = 0, sum_naive = 0;
    for (size_t p = 0; p < POL_ARRAY_LEN(good_set); p++) {
        pol__image *orig = load_photo(good_set[p], 512);
        pol__image *im = pol__image_clone(orig), *naive = pol__image_clone(orig);
        auto_chain(&im);
        double d = pol__image_mean_de2000(im, orig);
        /* The bound's teeth: an unconditional gray-world balance, what a fix without a
         * confidence check does. */
        static const char *const gw[] = {"mode", "gray-world", NULL};
        run_op(&naive, "white-balance", gw, NULL);
        double dn = pol__image_mean_de2000(naive, orig);
        print_message("%-22s auto chain dE00 %.2f (unconditional gray-world %.2f)\n",
                      pol__path_base(good_set[p]), d, dn);
        sum += d;
        sum_naive += dn;
        pol__image_free(im);
        pol__image_free(naive);
        pol__image_free(orig);
    }
    double n = (double)POL_ARRAY_LEN(good_set);
    print_message("mean CIEDE2000 on good photos: %.2f (unconditional gray-world: %.2f)\n", sum / n,
                  sum_naive / n);
    assert_true(sum_naive / n > 2);
    assert_true(sum / n < 2);
}

static void test_exposure_minus_one_ev(void **state)
{
    (void)state;
    const char *const set[] = {SK "astronaut.png", SK "coffee.png", SK "motorcycle_left.png",
                               MATE "LadyBird.jpg", MATE "TwoWings.jpg", SK "camera.png"};
    double sum_fix = 0, sum_none = 0;
    for (size_t p = 0; p < POL_ARRAY_LEN(set); p++) {
        pol__image *orig = load_photo(set[p], 256);
        pol__image *im = degrade_gains(orig, 0.5, 0.5, 0.5);
        double none = pol__image_mean_de2000(im, orig);
        pol__jv *step;
        assert_true(run_op(&im, "exposure", NULL, &step));
        double ev = measured(step, "ev");
        pol__jv_free(step);
        run_op(&im, "tone", NULL, NULL);
        double fix = pol__image_mean_de2000(im, orig);
        print_message("%-22s -1 EV: estimated %+.2f EV, dE00 %5.2f -> %5.2f\n",
                      pol__path_base(set[p]), ev, none, fix);
        assert_true(ev > 0.5 && ev < 1.5);
        sum_fix += fix;
        sum_none += none;
        pol__image_free(im);
        pol__image_free(orig);
    }
    double n = (double)POL_ARRAY_LEN(set);
    print_message("-1 EV: mean dE00 %.2f (doing nothing: %.2f)\n", sum_fix / n, sum_none / n);
    assert_true(sum_none / n > 5);
    assert_true(sum_fix / n < 5);
}

/* Underexposed photos that the key and the colour of the light could not tell from dark scenes:
 * bright scenes (sand, a meadow, blinds in sun) keep a bright average at -1 EV, and green or
 * yellow scenes read as coloured light. Their brightest pixels end a stop short of white, which a
 * photo exposed for its scene does not: image.exposure brings them back. Untouched, the same
 * photos are left alone, and so is a blue-hour scene (Plasma's DarkestHour) whose highlights end
 * short on purpose: its light is bluer than a day's. */
static void test_exposure_by_highlights(void **state)
{
    (void)state;
    const char *const set[] = {MATE "Dune.jpg", MATE "GreenMeadow.jpg", MATE "Garden.jpg",
                               MATE "Blinds.jpg"};
    for (size_t p = 0; p < POL_ARRAY_LEN(set); p++) {
        pol__image *orig = load_photo(set[p], 384);
        pol__image *im = degrade_gains(orig, 0.5, 0.5, 0.5);
        double none = pol__image_mean_de2000(im, orig);
        pol__jv *step;
        int acted = run_op(&im, "exposure", NULL, &step);
        double ev = measured(step, "ev"), peak = measured(step, "highlight_peak");
        pol__jv_free(step);
        double fix = pol__image_mean_de2000(im, orig);
        print_message("%-22s -1 EV: highlight peak %.3f, %s %+.2f EV, dE00 %5.2f -> %5.2f\n",
                      pol__path_base(set[p]), peak, acted ? "corrected" : "declined", ev, none,
                      fix);
        assert_true(acted);
        assert_true(ev > 0.7 && ev < 1.3);
        assert_true(fix < 0.3 * none);
        pol__image_free(im);
        im = pol__image_clone(orig);
        assert_non_null(im);
        assert_false(run_op(&im, "exposure", NULL, NULL));
        pol__image_free(im);
        pol__image_free(orig);
    }
    pol__image *dusk = load_photo("/usr/share/wallpapers/DarkestHour/contents/images/1920x1080.jpg", 384);
    pol__jv *step;
    int acted = run_op(&dusk, "exposure", NULL, &step);
    print_message("DarkestHour untouched: highlight peak %.3f, %s\n",
                  measured(step, "highlight_peak"), acted ? "brightened" : "left alone");
    pol__jv_free(step);
    assert_false(acted);
    pol__image_free(dusk);
}

static void test_exposure_plus_one_ev(void **state)
{
    (void)state;
    /* +1 EV clips the highlights for good, and a bright scene looks the same as an overexposed
     * one unless much is clipped: the op acts only when a large share is clipped in colour. It
     * must then recover most of the loss, and never do harm otherwise. */
    const char *const set[] = {SK "astronaut.png", SK "coffee.png", SK "motorcycle_left.png",
                               MATE "LadyBird.jpg", MATE "TwoWings.jpg"};
    int recovered = 0;
    for (size_t p = 0; p < POL_ARRAY_LEN(set); p++) {
        pol__image *orig = load_photo(set[p], 256);
        pol__image *im = degrade_gains(orig, 2, 2, 2);
        double none = pol__image_mean_de2000(im, orig);
        int acted = run_op(&im, "exposure", NULL, NULL);
        run_op(&im, "tone", NULL, NULL);
        double fix = pol__image_mean_de2000(im, orig);
        print_message("%-22s +1 EV: %s, dE00 %5.2f -> %5.2f\n", pol__path_base(set[p]),
                      acted ? "corrected" : "declined", none, fix);
        assert_true(none > 8);
        assert_true(fix < none + 0.5);
        if (acted) {
            assert_true(fix < 0.5 * none);
            recovered++;
        }
        pol__image_free(im);
        pol__image_free(orig);
    }
    assert_true(recovered >= 2);
}

static void test_exposure_manual_and_tone_manual(void **state)
{
    (void)state;
    pol__image *orig = load_photo(SK "coffee.png", 128);
    /* -1 EV then +1 EV by hand gives the photo back, except where the rolled-off highlights
     * were. */
    pol__image *im = pol__image_clone(orig);
    static const char *const down[] = {"ev", "-1", NULL};
    static const char *const up[] = {"ev", "1", "protect-highlights", "false", NULL};
    assert_true(run_op(&im, "exposure", down, NULL));
    assert_true(pol__image_mean_de2000(im, orig) > 5);
    assert_true(run_op(&im, "exposure", up, NULL));
    assert_true(pol__image_mean_de2000(im, orig) < 0.5);
    /* Manual levels: black 0.1 and white 0.9 stretch the range. */
    static const char *const lv[] = {"mode", "manual", "black", "0.1", "white", "0.9", NULL};
    pol__image *t = pol__image_clone(orig);
    assert_true(run_op(&t, "tone", lv, NULL));
    float lo = 1, hi = 0;
    for (size_t i = 0; i < (size_t)t->width * t->height * 3; i++) {
        lo = t->px[i] < lo ? t->px[i] : lo;
        hi = t->px[i] > hi ? t->px[i] : hi;
    }
    assert_true(lo < 1e-6 && hi > 1 - 1e-6);
    pol__image_free(t);
    pol__image_free(im);
    pol__image_free(orig);
}

static void test_white_balance_manual(void **state)
{
    (void)state;
    /* A grey card lit by 3200 K light, corrected with --temperature 3200, is grey again. */
    pol__image *im = pol__image_new(16, 16, 3);
    double u, v;
    pol__light_uv(3200, 0, &u, &v);
    double e[3] = {exp(u), 1, exp(v)}, y = 0.2126 * e[0] + 0.7152 * e[1] + 0.0722 * e[2];
    for (int i = 0; i < 256; i++)
        for (int k = 0; k < 3; k++)
            im->px[i * 3 + k] = pol__linear_to_srgb((float)(0.18 * e[k] / y));
    float lab[3];
    pol__srgb_to_lab(im->px, lab);
    assert_true(hypot(lab[1], lab[2]) > 15);
    static const char *const kv[] = {"mode", "manual", "temperature", "3200", NULL};
    assert_true(run_op(&im, "white-balance", kv, NULL));
    pol__srgb_to_lab(im->px, lab);
    assert_true(hypot(lab[1], lab[2]) < 0.5);
    pol__image_free(im);
}

/* ---- denoise -------------------------------------------------------------------------------- */

static double gauss(unsigned *seed)
{
    double u1 = (rand_r(seed) + 1.0) / (RAND_MAX + 2.0), u2 = (rand_r(seed) + 1.0) / (RAND_MAX + 2.0);
    return sqrt(-2 * log(u1)) * cos(2 * M_PI * u2);
}

static double psnr(const pol__image *a, const pol__image *b)
{
    double se = 0;
    size_t n = (size_t)a->width * a->height * 3;
    for (size_t i = 0; i < n; i++) se += (a->px[i] - b->px[i]) * (a->px[i] - b->px[i]);
    return 10 * log10(n / se);
}

/* Mean SSIM (Wang et al. 2004) of luma over 8x8 windows, stride 4. */
static double ssim(const pol__image *a, const pol__image *b)
{
    const double c1 = 0.01 * 0.01, c2 = 0.03 * 0.03;
    double sum = 0;
    int n = 0;
    for (int y = 0; y + 8 <= a->height; y += 4)
        for (int x = 0; x + 8 <= a->width; x += 4) {
            double ma = 0, mb = 0, va = 0, vb = 0, cv = 0;
            for (int j = 0; j < 8; j++)
                for (int i = 0; i < 8; i++) {
                    const float *p = pol__image_row(a, y + j) + (size_t)(x + i) * 3;
                    const float *q = pol__image_row(b, y + j) + (size_t)(x + i) * 3;
                    double la = 0.299 * p[0] + 0.587 * p[1] + 0.114 * p[2];
                    double lb = 0.299 * q[0] + 0.587 * q[1] + 0.114 * q[2];
                    ma += la;
                    mb += lb;
                    va += la * la;
                    vb += lb * lb;
                    cv += la * lb;
                }
            ma /= 64;
            mb /= 64;
            va = va / 64 - ma * ma;
            vb = vb / 64 - mb * mb;
            cv = cv / 64 - ma * mb;
            sum += (2 * ma * mb + c1) * (2 * cv + c2) / ((ma * ma + mb * mb + c1) * (va + vb + c2));
            n++;
        }
    return sum / n;
}

static void test_denoise(void **state)
{
    (void)state;
    const char *const set[] = {SK "astronaut.png", SK "coffee.png", SK "chelsea.png",
                               MATE "LadyBird.jpg"};
    const double sigmas[] = {5, 10, 20};
    double gain_sum = 0, ssim_gain = 0;
    int n = 0;
    for (size_t p = 0; p < POL_ARRAY_LEN(set); p++) {
        pol__image *orig = load_photo(set[p], 320);
        /* A clean photo is left alone. */
        pol__image *clean = pol__image_clone(orig);
        pol__jv *step;
        assert_false(run_op(&clean, "denoise", NULL, &step));
        assert_true(measured(step, "noise_sigma") < 2);
        pol__jv_free(step);
        pol__image_free(clean);
        for (size_t s = 0; s < POL_ARRAY_LEN(sigmas); s++) {
            pol__image *im = pol__image_clone(orig);
            unsigned seed = 1234 + (unsigned)(p * 10 + s);
            size_t m = (size_t)im->width * im->height * 3;
            for (size_t i = 0; i < m; i++) {
                float v = im->px[i] + (float)(gauss(&seed) * sigmas[s] / 255);
                v = roundf(v * 255) / 255; /* stored in 8 bits, as a camera would */
                im->px[i] = v < 0 ? 0 : v > 1 ? 1 : v;
            }
            double p0 = psnr(im, orig), s0 = ssim(im, orig);
            assert_true(run_op(&im, "denoise", NULL, &step));
            double est = measured(step, "noise_sigma");
            pol__jv_free(step);
            double p1 = psnr(im, orig), s1 = ssim(im, orig);
            print_message("%-18s sigma %4.1f (estimated %5.2f): PSNR %.2f -> %.2f dB, SSIM %.3f -> "
                          "%.3f\n",
                          pol__path_base(set[p]), sigmas[s], est, p0, p1, s0, s1);
            /* The estimate drives the strength: within 15%. */
            assert_true(fabs(est - sigmas[s]) < 0.15 * sigmas[s]);
            /* Every photo at every level gets better; noise left in place gains nothing. */
            assert_true(p1 > p0 + 0.5);
            assert_true(s1 > s0);
            gain_sum += p1 - p0;
            ssim_gain += s1 - s0;
            n++;
            pol__image_free(im);
        }
        pol__image_free(orig);
    }
    print_message("denoise: mean PSNR gain %.2f dB, mean SSIM gain %.3f over %d cases\n",
                  gain_sum / n, ssim_gain / n, n);
    assert_true(gain_sum / n > 3);
}

/* ---- straighten ----------------------------------------------------------------------------- */

/* Rotates counter-clockwise by `deg` (bilinear) and crops to the inscribed rectangle of the
 * same aspect, as a tilted shot of the same scene would look. Independent of the op's code. */
static pol__image *tilt_photo(const pol__image *s, double deg)
{
    double t = deg * M_PI / 180, c = cos(t), sn = sin(t), as = fabs(sn);
    int W = s->width, H = s->height;
    double k = fmin(W / (W * c + H * as), H / (W * as + H * c));
    int w = (int)(W * k) - 2, h = (int)(H * k) - 2;
    pol__image *o = pol__image_new(w, h, 3);
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

static void test_straighten(void **state)
{
    (void)state;
    /* camera.png has a level horizon line of buildings and a vertical tripod: every tilt from 1
     * to 5 degrees either way must be found within 0.5 degree and undone. */
    pol__image *orig = load_photo(SK "camera.png", 512);
    double worst = 0;
    for (int sgn = -1; sgn <= 1; sgn += 2)
        for (int d = 1; d <= 5; d++) {
            double th = sgn * d;
            pol__image *im = tilt_photo(orig, th);
            int w0 = im->width, h0 = im->height;
            pol__jv *step;
            assert_true(run_op(&im, "straighten", NULL, &step));
            double est = measured(step, "tilt_deg"), conf = confidence(step);
            pol__jv_free(step);
            double err = fabs(est - th);
            print_message("camera tilted %+.0f deg: detected %+.2f (error %.2f, confidence %.2f), "
                          "%dx%d -> %dx%d\n",
                          th, est, err, conf, w0, h0, im->width, im->height);
            /* Doing nothing leaves an error of |th| >= 1 degree. */
            assert_true(fabs(th) > 0.5);
            assert_true(err < 0.5);
            worst = fmax(worst, err);
            /* The crop keeps the aspect ratio and leaves no empty corner. */
            assert_true(fabs((double)im->width / im->height - (double)w0 / h0) < 0.01);
            pol__image_free(im);
        }
    print_message("straighten: worst error %.2f deg over 10 tilts\n", worst);
    /* The untouched photo is level and left alone. */
    pol__image *lvl = pol__image_clone(orig);
    assert_false(run_op(&lvl, "straighten", NULL, NULL));
    assert_int_equal(lvl->width, orig->width);
    pol__image_free(lvl);
    pol__image_free(orig);
}

static void test_straighten_declines_when_unsure(void **state)
{
    (void)state;
    /* Scenes without reliable straight lines (flowers, foliage, a cat), tilted or not: the op
     * must skip them rather than guess; when it does act, it must be right. */
    const char *const set[] = {SK "chelsea.png", SK "coffee.png", MATE "GreenMeadow.jpg",
                               MATE "Garden.jpg", SK "astronaut.png"};
    int acted = 0, total = 0;
    for (size_t p = 0; p < POL_ARRAY_LEN(set); p++) {
        pol__image *orig = load_photo(set[p], 640);
        for (int d = 0; d <= 3; d += 3) {
            pol__image *im = d ? tilt_photo(orig, d) : pol__image_clone(orig);
            pol__jv *step;
            int did = run_op(&im, "straighten", NULL, &step);
            double est = measured(step, "tilt_deg");
            print_message("%-18s tilted %d: %s (detected %+.2f, confidence %.2f)\n",
                          pol__path_base(set[p]), d, did ? "straightened" : "declined", est,
                          confidence(step));
            if (did) {
                assert_true(fabs(est - d) < 0.5);
                acted++;
            }
            total++;
            pol__jv_free(step);
            pol__image_free(im);
        }
        pol__image_free(orig);
    }
    print_message("straighten acted on %d of %d unsure cases\n", acted, total);
}

/* Draws dark straight lines (1.5 px wide, anti-aliased) on a light, slightly textured grey picture.
 * Line i passes through (px[i], py[i]) (pixels, y down) with direction (dx[i], dy[i]). */
static pol__image *draw_lines(int W, int H, int n, const double *px, const double *py,
                              const double *dx, const double *dy)
{
    pol__image *im = pol__image_new(W, H, 3);
    assert_non_null(im);
    unsigned seed = 11;
    for (int y = 0; y < H; y++)
        for (int x = 0; x < W; x++) {
            double v = 0.75 + gauss(&seed) * 0.01;
            for (int i = 0; i < n; i++) {
                double l = hypot(dx[i], dy[i]);
                double d = fabs((x - px[i]) * dy[i] - (y - py[i]) * dx[i]) / l;
                if (d < 2) v = fmin(v, 0.2 + 0.55 * pol__clampf((float)(d - 0.75), 0, 1));
            }
            for (int k = 0; k < 3; k++) im->px[((size_t)y * W + x) * 3 + k] = (float)v;
        }
    return im;
}

/* Nine verticals of a building seen looking up, mostly right of the centre, meeting `diags`
 * picture diagonals above it, with the camera rolled by `roll` degrees (counter-clockwise). */
static pol__image *looking_up(int W, int H, double roll, double diags)
{
    const double diag = hypot(W, H), cx = (W - 1) / 2.0, cy = (H - 1) / 2.0;
    double t = roll * M_PI / 180;
    /* the vanishing point, y down: up the rolled vertical axis */
    double vx = cx - sin(t) * diags * diag, vy = cy - cos(t) * diags * diag;
    double px[9], py[9], dx[9], dy[9];
    for (int i = 0; i < 9; i++) {
        px[i] = W * (0.42 + 0.065 * i) - 0.3 * W * (i == 0);
        py[i] = H - 1;
        dx[i] = vx - px[i];
        dy[i] = vy - py[i];
    }
    return draw_lines(W, H, 9, px, py, dx, dy);
}

static void test_straighten_converging_verticals(void **state)
{
    (void)state;
    /* A building photographed looking up: its verticals meet at a vanishing point 5 picture
     * diagonals above the centre, and the camera is rolled by `roll` degrees (counter-clockwise).
     * The lines stand mostly right of the centre, so they all lean one way: read as parallel lines
     * their angles spread over 4 degrees and their mode is the right-hand lines' lean, not the
     * roll. The tilt is the direction from the centre to the vanishing point. */
    const int W = 720, H = 540;
    const double rolls[] = {-2.5, 1.5};
    for (size_t r = 0; r < POL_ARRAY_LEN(rolls); r++) {
        pol__image *im = looking_up(W, H, rolls[r], 5);
        pol__jv *step;
        const char *const kv[] = {"perspective", "true", NULL};
        int did = run_op(&im, "straighten", kv, &step);
        double est = measured(step, "tilt_deg"), vp = measured(step, "vertical_vanishing_point_diagonals");
        print_message("verticals meeting 5 diagonals up, roll %+.1f: %s, detected %+.2f "
                      "(confidence %.2f, vanishing point %.2f diagonals)\n",
                      rolls[r], did ? "straightened" : "declined", est, confidence(step), vp);
        assert_true(did);
        assert_true(fabs(est - rolls[r]) <= 0.2);
        assert_true(fabs(vp - 5) < 1);
        pol__jv_free(step);
        pol__image_free(im);
        /* By default (no perspective) the spread of lean is not a tilt it can trust. */
        im = looking_up(W, H, rolls[r], 5);
        did = run_op(&im, "straighten", NULL, &step);
        print_message("  without perspective: %s (detected %+.2f, confidence %.2f)\n",
                      did ? "straightened" : "declined", measured(step, "tilt_deg"), confidence(step));
        assert_true(!did || fabs(measured(step, "tilt_deg") - rolls[r]) <= 0.3);
        pol__jv_free(step);
        pol__image_free(im);
    }
}

static void test_straighten_receding_lines(void **state)
{
    (void)state;
    /* A pier's planks seen at an angle, under a level horizon: the planks recede to a vanishing
     * point on the horizon far to the left, so each leans a little more than the one above it
     * (2.5 to 6.5 degrees, close together: read as parallel lines they agree on a lean of about
     * 5 degrees, which is not the tilt). The scene is rolled by `roll`. The planks must be set
     * aside and must not rotate the picture by their angle; the horizon, a line under an empty
     * sky, is then read by the horizon test, which decides (session 11). */
    const int W = 720, H = 540;
    const double cx = (W - 1) / 2.0, cy = (H - 1) / 2.0, yh = 0.3 * H;
    const double rolls[] = {-2, 1};
    for (size_t r = 0; r < POL_ARRAY_LEN(rolls); r++) {
        double t = rolls[r] * M_PI / 180, c = cos(t), sn = sin(t);
        double px[10], py[10], dx[10], dy[10];
        for (int i = 0; i < 10; i++) {
            /* in the level scene (y down): line 0 the horizon, the others from (-2W, yh) through
             * the right edge, 100 to 245 pixels below the horizon */
            double ax = -2.0 * W, ay = yh, bx = W - 1, by = yh + (i ? 84.0 + 16.0 * i : 0);
            double ddx = bx - ax, ddy = by - ay, qx = bx - cx, qy = by - cy;
            /* rolled counter-clockwise about the centre (y down) */
            px[i] = cx + qx * c + qy * sn;
            py[i] = cy - qx * sn + qy * c;
            dx[i] = ddx * c + ddy * sn;
            dy[i] = -ddx * sn + ddy * c;
        }
        pol__image *im = draw_lines(W, H, 10, px, py, dx, dy);
        pol__jv *step;
        int did = run_op(&im, "straighten", NULL, &step);
        double est = measured(step, "tilt_deg"), aside = measured(step, "receding_segments_set_aside");
        print_message("horizon over receding planks, roll %+.0f: %s, detected %+.2f (confidence %.2f, "
                      "%.0f receding lines set aside)\n",
                      rolls[r], did ? "straightened" : "declined", est, confidence(step), aside);
        assert_true(!did || fabs(est - rolls[r]) <= 0.3);
        assert_true(aside >= 6);
        /* with the planks and the horizon through their point set aside no segment agrees on an
         * angle: the segments give no reading (not a tilt of 0), and the horizon test decides */
        assert_true(isnan(measured(step, "segments_tilt_deg")));
        const pol__jv *m = pol__jv_get(step, "measured");
        const pol__jv *by = m ? pol__jv_get(m, "decided_by") : NULL;
        assert_true(did);
        assert_non_null(by);
        assert_string_equal(by->str, "horizon line (a sky line)");
        pol__jv_free(step);
        pol__image_free(im);
    }
}

/* A generated street scene, level: a textured sky over darker textured ground meeting at a horizon
 * a third of the way up, and five buildings standing on it (vertical sides, a flat roof line,
 * two rows of windows). Independent of the op's code. */
static pol__image *street_scene(int W, int H)
{
    pol__image *im = pol__image_new(W, H, 3);
    assert_non_null(im);
    unsigned seed = 23;
    const int yh = (int)(0.64 * H);
    const double bx0[] = {0.06, 0.24, 0.45, 0.63, 0.82}, bx1[] = {0.18, 0.39, 0.57, 0.76, 0.95};
    const double top[] = {0.30, 0.18, 0.36, 0.24, 0.40}, lum[] = {0.52, 0.44, 0.58, 0.40, 0.50};
    for (int y = 0; y < H; y++)
        for (int x = 0; x < W; x++) {
            double v = y < yh ? 0.78 - 0.1 * y / H : 0.30 + 0.05 * sin(x * 0.21) * sin(y * 0.37);
            for (int b = 0; b < 5; b++) {
                int x0 = (int)(bx0[b] * W), x1 = (int)(bx1[b] * W), y0 = (int)(top[b] * H);
                if (x < x0 || x >= x1 || y < y0 || y >= yh) continue;
                v = lum[b];
                int wx = (x - x0) % 24, wy = (y - y0) % 30;
                if (wx >= 8 && wx < 16 && wy >= 10 && wy < 20 && y < yh - 12) v = 0.2;
            }
            v += gauss(&seed) * 0.015;
            for (int k = 0; k < 3; k++) im->px[((size_t)y * W + x) * 3 + k] = (float)v;
        }
    return im;
}

static void test_straighten_generated_scene(void **state)
{
    (void)state;
    /* The scene rotated by known angles (bilinear, cropped, as a tilted shot looks) comes back
     * within 0.3 degree; level, it is left alone. */
    pol__image *scene = street_scene(960, 640);
    const double angles[] = {-4.5, -2.2, -1.0, 1.4, 3.0, 5.0};
    for (size_t a = 0; a < POL_ARRAY_LEN(angles); a++) {
        pol__image *im = tilt_photo(scene, angles[a]);
        pol__jv *step;
        int did = run_op(&im, "straighten", NULL, &step);
        double est = measured(step, "tilt_deg");
        print_message("street scene rotated %+.1f deg: %s, detected %+.2f (confidence %.2f)\n",
                      angles[a], did ? "straightened" : "declined", est, confidence(step));
        assert_true(did);
        assert_true(fabs(est - angles[a]) <= 0.3);
        assert_true(fabs(measured(step, "rotation_deg") + angles[a]) <= 0.3);
        pol__jv_free(step);
        pol__image_free(im);
    }
    pol__image *lvl = pol__image_clone(scene);
    pol__jv *step;
    int did = run_op(&lvl, "straighten", NULL, &step);
    print_message("street scene level: %s (detected %+.2f)\n", did ? "rotated" : "left alone",
                  measured(step, "tilt_deg"));
    assert_false(did);
    assert_int_equal(lvl->width, scene->width);
    pol__jv_free(step);
    pol__image_free(lvl);
    pol__image_free(scene);
}

static void test_straighten_converging_level(void **state)
{
    (void)state;
    /* A level building shot looking up: eleven verticals meeting 4 diagonals above the centre,
     * most of them right of the centre, so read as parallel lines they lean 0.5 to 4 degrees one
     * way (their mode is not a tilt); a level ground line crosses the bottom. Nothing is tilted:
     * the op must not rotate (by default and with perspective). */
    const int W = 720, H = 540;
    const double diag = hypot(W, H), cx = (W - 1) / 2.0, cy = (H - 1) / 2.0;
    double px[12], py[12], dx[12], dy[12];
    for (int i = 0; i < 11; i++) {
        px[i] = W * (0.44 + 0.05 * i) - 0.3 * W * (i == 0);
        py[i] = H - 1;
        dx[i] = cx - px[i];
        dy[i] = cy - 4 * diag - py[i];
    }
    px[11] = 0;
    py[11] = 0.85 * H;
    dx[11] = 1;
    dy[11] = 0;
    for (int persp = 0; persp <= 1; persp++) {
        pol__image *im = draw_lines(W, H, 12, px, py, dx, dy);
        pol__jv *step;
        const char *const kv[] = {"perspective", "true", NULL};
        int did = run_op(&im, "straighten", persp ? kv : NULL, &step);
        print_message("level converging verticals%s: %s (detected %+.2f, confidence %.2f)\n",
                      persp ? " (perspective)" : "", did ? "rotated" : "left alone",
                      measured(step, "tilt_deg"), confidence(step));
        assert_false(did);
        assert_int_equal(im->width, W);
        pol__jv_free(step);
        pol__image_free(im);
    }
}

/* A building corner seen from below in two-point perspective: a camera of focal length 500 px
 * pitched up 10 degrees, so the horizon is 88 px below the centre and the verticals meet 2836 px
 * above it; the two walls' horizontal edges recede to two points on the horizon (700 px left of
 * the centre and 368 px right of it, orthogonal for that focal length). No edge is level: the
 * horizontal ones lean 4 to 17 degrees, the verticals up to 5. The whole is rolled by `roll`
 * degrees (counter-clockwise) about the centre. Independent of the op's code. */
static pol__image *two_point_scene(int W, int H, double roll)
{
    const double cx = (W - 1) / 2.0, cy = (H - 1) / 2.0, f = 500, pitch = 10 * M_PI / 180;
    const double yh = cy + f * tan(pitch), vvy = cy - f / tan(pitch);
    const double xl = cx - 700, xr = cx + ((yh - cy) * (yh - cy) + f * f) / 700;
    double px[16], py[16], dx[16], dy[16];
    int n = 0;
    for (int i = 0; i < 6; i++, n++) { /* verticals, from the bottom edge towards their point */
        px[n] = W * (0.1 + 0.16 * i);
        py[n] = H - 1;
        dx[n] = cx - px[n];
        dy[n] = vvy - py[n];
    }
    const double ol[] = {-200, -120, -60, 60, 140}, orr[] = {-220, -140, -70, 50, 130};
    for (int i = 0; i < 5; i++, n++) { /* the left wall's edges, to the left point */
        px[n] = xl;
        py[n] = yh;
        dx[n] = W - 1 - xl;
        dy[n] = ol[i];
    }
    for (int i = 0; i < 5; i++, n++) { /* the right wall's edges, to the right point */
        px[n] = xr;
        py[n] = yh;
        dx[n] = -xr;
        dy[n] = orr[i];
    }
    double t = roll * M_PI / 180, c = cos(t), sn = sin(t);
    for (int i = 0; i < n; i++) { /* rolled counter-clockwise about the centre (y down) */
        double qx = px[i] - cx, qy = py[i] - cy, ddx = dx[i], ddy = dy[i];
        px[i] = cx + qx * c + qy * sn;
        py[i] = cy - qx * sn + qy * c;
        dx[i] = ddx * c + ddy * sn;
        dy[i] = -ddx * sn + ddy * c;
    }
    return draw_lines(W, H, n, px, py, dx, dy);
}

static void test_straighten_two_point_perspective(void **state)
{
    (void)state;
    /* The two-point scene rolled by known angles comes back within 0.3 degree: the roll is the
     * angle of the horizon through the walls' vanishing points, and the direction to the
     * verticals' point. Level, with its converging verticals and receding edges, it is not
     * rotated. */
    const int W = 720, H = 540;
    const double rolls[] = {-2.5, 0, 1.5, 3.5};
    for (size_t r = 0; r < POL_ARRAY_LEN(rolls); r++) {
        pol__image *im = two_point_scene(W, H, rolls[r]);
        pol__jv *step;
        int did = run_op(&im, "straighten", NULL, &step);
        double est = measured(step, "tilt_deg");
        print_message("two-point scene rolled %+.1f: %s, detected %+.2f (confidence %.2f; horizon "
                      "through the vanishing points %+.2f, verticals' point %+.2f)\n",
                      rolls[r], did ? "straightened" : "declined", est, confidence(step),
                      measured(step, "vp_horizon_deg"), measured(step, "vp_vertical_deg"));
        if (rolls[r] == 0) {
            assert_false(did);
            assert_int_equal(im->width, W);
        } else {
            assert_true(did);
            assert_true(fabs(est - rolls[r]) <= 0.3);
        }
        pol__jv_free(step);
        pol__image_free(im);
    }
}

/* A generated seascape, level: a smooth sky brightening towards a sea line 45% down, a darker
 * sea with waves below, and dark grass blades (leaning 20 to 70 degrees) in front of a third of
 * the sea line. No straight edge but the sea line. Independent of the op's code. */
static pol__image *seascape(int W, int H)
{
    pol__image *im = pol__image_new(W, H, 3);
    assert_non_null(im);
    unsigned seed = 5;
    const int yh = (int)(0.45 * H);
    for (int y = 0; y < H; y++)
        for (int x = 0; x < W; x++) {
            float *p = im->px + ((size_t)y * W + x) * 3;
            double r, g, b;
            if (y < yh) {
                double t = (double)y / yh;
                r = 0.55 + 0.2 * t;
                g = 0.70 + 0.15 * t;
                b = 0.90 + 0.05 * t;
            } else {
                double wv = 0.03 * sin(x * 0.09 + y * 0.7) * sin(y * 0.31 - x * 0.02);
                r = 0.10 + wv;
                g = 0.30 + wv;
                b = 0.55 + wv;
            }
            /* grass: blades from the bottom, in front of the left third of the sea line */
            for (int k = 0; k < 14; k++) {
                double bx = W * (0.02 + 0.025 * k), lean = (20 + 3.5 * k) * M_PI / 180;
                double dx = x - bx, dy = (H - 1) - y;
                double along = dx * cos(lean) + dy * sin(lean), across = -dx * sin(lean) + dy * cos(lean);
                if (along > 0 && along < 0.75 * H && fabs(across) < 2.5) {
                    r = 0.25;
                    g = 0.35;
                    b = 0.08;
                }
            }
            double n = gauss(&seed) * 0.01;
            p[0] = (float)(r + n);
            p[1] = (float)(g + n);
            p[2] = (float)(b + n);
        }
    return im;
}

static void test_tilt_horizon_seascape(void **state)
{
    (void)state;
    /* The horizon test reads the seascape's rotation from its sea line, partly hidden behind
     * grass, within 0.05 degree at every rotation (the coarse search's 0.2 degree steps alone
     * would be up to 0.1 off), and finds the line across most of the width. */
    pol__image *scene = seascape(960, 640);
    const double angles[] = {-4.0, -1.2, 0, 2.5, 5.0};
    for (size_t a = 0; a < POL_ARRAY_LEN(angles); a++) {
        pol__image *im = tilt_photo(scene, angles[a]);
        pol__tilt_horizon_info h;
        assert_true(pol__tilt_horizon(im, 6, &h));
        print_message("seascape rotated %+.1f: horizon %+.3f (se %.3f, %.0f%% of the width, contrast "
                      "%.2f, row %.2f)\n",
                      angles[a], h.deg, h.se_deg, 100 * h.cover, h.contrast, h.row);
        assert_true(fabs(h.deg - angles[a]) <= 0.05);
        assert_true(h.cover >= 0.6);
        assert_true(fabs(h.row - 0.45) < 0.05);
        pol__image_free(im);
    }
    pol__image_free(scene);
}

/* A generated storm scene, level: a smooth dark sky down to a faint sky line 40% down, a band of
 * dark land, then a guard rail whose bright top edge rises 2 degrees to the right (it recedes
 * in perspective) across the whole width 65% down, a road below. The rail is the sharper
 * boundary; the sky line is the level one. Independent of the op's code. */
static pol__image *storm_scene(int W, int H)
{
    pol__image *im = pol__image_new(W, H, 3);
    assert_non_null(im);
    unsigned seed = 7;
    const double t2 = tan(2.0 * M_PI / 180);
    for (int y = 0; y < H; y++)
        for (int x = 0; x < W; x++) {
            float *p = im->px + ((size_t)y * W + x) * 3;
            double rail = 0.65 * H - (x - W / 2.0) * t2, v[3];
            if (y < 0.40 * H) {
                double t = y / (0.40 * H);
                v[0] = 0.30 + 0.08 * t;
                v[1] = 0.34 + 0.08 * t;
                v[2] = 0.42 + 0.08 * t;
            } else if (y < rail) {
                v[0] = 0.20;
                v[1] = 0.22;
                v[2] = 0.22;
            } else if (y < rail + 0.04 * H) {
                v[0] = v[1] = v[2] = 0.75;
            } else {
                v[0] = v[1] = v[2] = 0.28;
            }
            double n = gauss(&seed) * 0.005;
            for (int c = 0; c < 3; c++) p[c] = (float)(v[c] + n);
        }
    return im;
}

static void test_tilt_horizon_sky_line(void **state)
{
    (void)state;
    /* Of the storm scene's boundaries the horizon test takes the sky line, the first from the
     * top, not the guard rail below it that scores higher (as Storm's rail did, bench/RESULTS.md
     * straighten session 11): within 0.1 degree of the rotation at every rotation. */
    pol__image *scene = storm_scene(960, 640);
    const double angles[] = {-3.0, 0, 1.0, 4.0};
    for (size_t a = 0; a < POL_ARRAY_LEN(angles); a++) {
        pol__image *im = tilt_photo(scene, angles[a]);
        pol__tilt_horizon_info h;
        assert_true(pol__tilt_horizon(im, 6, &h));
        double best = 0;
        int strongest = 0;
        for (int k = 0; k < h.ncand; k++)
            if (h.cand[k].score > best) {
                best = h.cand[k].score;
                strongest = k;
            }
        print_message("storm scene rotated %+.1f: horizon %+.3f at row %.2f (score %.1f, sky "
                      "texture %.4f); the strongest line %+.3f at row %.2f (score %.1f)\n",
                      angles[a], h.deg, h.row, h.score, h.sky, h.cand[strongest].deg,
                      h.cand[strongest].row, best);
        assert_true(fabs(h.deg - angles[a]) <= 0.1);
        assert_true(fabs(h.row - 0.40) < 0.05);
        pol__image_free(im);
    }
    pol__image_free(scene);
}

/* A generated misty lake, level: a smooth sky fading into a soft water line 45% down (a ramp
 * over about 30 pixels, no crisp edge for a line segment), darker water below with faint
 * ripples. With `forest`, the sky is replaced by a textured treeline (noise in blobs): a
 * boundary under texture, as a shore or a hedge is. Independent of the op's code. */
static pol__image *misty_lake(int W, int H, int forest)
{
    pol__image *im = pol__image_new(W, H, 3);
    assert_non_null(im);
    unsigned seed = 11;
    const double yh = 0.45 * H;
    for (int y = 0; y < H; y++)
        for (int x = 0; x < W; x++) {
            float *p = im->px + ((size_t)y * W + x) * 3;
            double s = 1 / (1 + exp(-(y - yh) / 8.0)); /* 0 above, 1 below */
            double up = 0.62 + 0.05 * y / yh;
            if (forest)
                up = 0.22 + 0.05 * sin(x * 0.21) * sin(y * 0.17 + x * 0.05) + 0.02 * gauss(&seed);
            double wv = 0.01 * sin(x * 0.05 + y * 0.9);
            double l = (1 - s) * up + s * (0.42 + wv);
            double n = gauss(&seed) * 0.006;
            p[0] = pol__clampf((float)(l * 0.95 + n), 0, 1);
            p[1] = pol__clampf((float)(l + n), 0, 1);
            p[2] = pol__clampf((float)(l * 1.05 + n), 0, 1);
        }
    return im;
}

static void test_straighten_sky_line(void **state)
{
    (void)state;
    /* The misty lake rotated by known angles: no straight line to speak of, but a sky line
     * under a textureless sky, so the horizon test decides alone and the picture comes back
     * within 0.3 degree; level, it is left alone. Under a textured treeline the same boundary
     * does not decide alone (session 10's guard rails, shores and ridges). */
    const int W = 960, H = 640;
    const double angles[] = {-3.0, 0, 1.5, 4.0};
    for (int forest = 0; forest <= 1; forest++) {
        pol__image *scene = misty_lake(W, H, forest);
        for (size_t a = 0; a < POL_ARRAY_LEN(angles); a++) {
            pol__image *im = tilt_photo(scene, angles[a]);
            pol__jv *step;
            int did = run_op(&im, "straighten", NULL, &step);
            const pol__jv *m = pol__jv_get(step, "measured");
            const pol__jv *by = m ? pol__jv_get(m, "decided_by") : NULL;
            const char *bys = by && by->type == POL_JV_STR ? by->str : "-";
            double est = measured(step, "tilt_deg");
            print_message("%s rotated %+.1f: %s, detected %+.2f by %s (confidence %.2f; horizon "
                          "%+.2f, score %.1f, sky texture %.4f; segments %+.2f)\n",
                          forest ? "treeline lake" : "misty lake", angles[a],
                          did ? "straightened" : "declined", est, bys, confidence(step),
                          measured(step, "horizon_deg"), measured(step, "horizon_score"),
                          measured(step, "horizon_sky_texture"),
                          measured(step, "segments_tilt_deg"));
            if (forest) {
                assert_true(strncmp(bys, "horizon", 7) != 0);
            } else if (angles[a] == 0) {
                assert_false(did);
            } else {
                assert_true(did);
                assert_string_equal(bys, "horizon line (a sky line)");
                assert_true(fabs(est - angles[a]) <= 0.3);
            }
            pol__jv_free(step);
            pol__image_free(im);
        }
        pol__image_free(scene);
    }
}

/* Encoded luminance of an RGB image, as the tilt estimators read it. */
static float *grey_of(const pol__image *im)
{
    float *g = malloc((size_t)im->width * im->height * sizeof(float));
    assert_non_null(g);
    for (size_t i = 0; i < (size_t)im->width * im->height; i++) {
        const float *p = im->px + i * 3;
        g[i] = 0.299f * p[0] + 0.587f * p[1] + 0.114f * p[2];
    }
    return g;
}

static void test_tilt_dense_rotation(void **state)
{
    (void)state;
    /* The dense cue reads the street scene's rotation from its edges' directions: its level
     * edges and its verticals (parallel here) give the angle within 0.15 degree at every
     * rotation. A gradient taken as a difference of neighbours leans directions away from the
     * axes by about a tenth of the angle (0.45 degree at 4.5), which this catches. */
    pol__image *scene = street_scene(960, 640);
    const double angles[] = {-4.5, -1.5, 0, 2.5, 4.5};
    for (size_t a = 0; a < POL_ARRAY_LEN(angles); a++) {
        pol__image *im = tilt_photo(scene, angles[a]);
        float *g = grey_of(im);
        pol__tilt_dense d;
        assert_true(pol__tilt_dense_measure(g, im->width, im->height, 6, &d));
        print_message("dense cue, scene rotated %+.1f: level %+.3f (peak %.1f), verticals %+.3f "
                      "parallel (peak %.1f), %+.3f at q %+.3f\n",
                      angles[a], d.h_deg, d.h_prom, d.v_par_deg, d.v_par_prom, d.v_deg, d.v_q);
        assert_true(fabs(d.h_deg - angles[a]) <= 0.15);
        assert_true(fabs(d.v_par_deg - angles[a]) <= 0.15);
        assert_true(d.h_prom > 2 && d.v_par_prom > 2);
        free(g);
        pol__image_free(im);
    }
    pol__image_free(scene);
}

static void test_tilt_dense_vanishing_point(void **state)
{
    (void)state;
    /* Verticals of a building seen looking up meet 3 diagonals above the centre, the camera
     * rolled by `roll`; the lines stand mostly right of the centre, so read as parallel they lean
     * by more than the roll. The dense cue's vanishing point gives the roll within 0.3 degree,
     * above the centre (q > 0), where the parallel reading is off by 0.4 degree or more. */
    const int W = 720, H = 540;
    const double rolls[] = {-1.5, 2.0};
    for (size_t r = 0; r < POL_ARRAY_LEN(rolls); r++) {
        pol__image *im = looking_up(W, H, rolls[r], 3);
        float *g = grey_of(im);
        pol__tilt_dense d;
        assert_true(pol__tilt_dense_measure(g, W, H, 6, &d));
        print_message("dense cue, verticals meeting 3 diagonals up, roll %+.1f: %+.3f at q %+.3f "
                      "(peak %.2f), parallel %+.3f (peak %.2f)\n",
                      rolls[r], d.v_deg, d.v_q, d.v_peak, d.v_par_deg, d.v_par_peak);
        assert_true(fabs(d.v_deg - rolls[r]) <= 0.3);
        assert_true(d.v_q > 0.1 && d.v_q < 0.25); /* 1/6 of a half-diagonal */
        assert_true(fabs(d.v_par_deg - rolls[r]) > 0.4);
        free(g);
        pol__image_free(im);
    }
}

static void test_straighten_real_photos(void **state)
{
    (void)state;
    /* Real photos with a level reference (a pier's planks and water line in fog; a lake shore at
     * sunset) rotated by known angles must come back within 0.3 degree (bench/image/straighten.sh
     * measures the whole set); photos as shipped, including ones with oblique cables and the
     * converging verticals of an interior, must not be rotated. */
    const char *const tilted[] = {"/usr/share/wallpapers/ColdRipple/contents/images/1920x1080.jpg",
                                  "/usr/share/wallpapers/EveningGlow/contents/images/1920x1080.jpg"};
    const double angles[] = {-2, 1, 3};
    for (size_t p = 0; p < POL_ARRAY_LEN(tilted); p++) {
        pol__image *orig = load_photo(tilted[p], 1024);
        for (size_t a = 0; a < POL_ARRAY_LEN(angles); a++) {
            pol__image *im = tilt_photo(orig, angles[a]);
            pol__jv *step;
            int did = run_op(&im, "straighten", NULL, &step);
            double est = measured(step, "tilt_deg");
            print_message("%-12s rotated %+.0f deg: %s, detected %+.2f (confidence %.2f)\n",
                          p ? "EveningGlow" : "ColdRipple", angles[a],
                          did ? "straightened" : "declined", est, confidence(step));
            assert_true(did);
            assert_true(fabs(est - angles[a]) <= 0.3);
            pol__jv_free(step);
            pol__image_free(im);
        }
        pol__image_free(orig);
    }
    const char *const level[] = {"/usr/share/wallpapers/ColdRipple/contents/images/1920x1080.jpg",
                                 "/usr/share/backgrounds/Bridge_by_Sander_Klootwijk.jpg",
                                 "/usr/share/backgrounds/Wine_by_Jakkub_Mede.jpg"};
    for (size_t p = 0; p < POL_ARRAY_LEN(level); p++) {
        pol__image *im = load_photo(level[p], 1024);
        int w = im->width;
        pol__jv *step;
        int did = run_op(&im, "straighten", NULL, &step);
        print_message("%s as shipped: %s (detected %+.2f, confidence %.2f)\n",
                      pol__path_base(level[p]), did ? "rotated" : "left level",
                      measured(step, "tilt_deg"), confidence(step));
        assert_false(did);
        assert_int_equal(im->width, w);
        pol__jv_free(step);
        pol__image_free(im);
    }
}

/* ---- crop ----------------------------------------------------------------------------------- */

static void test_crop_saliency(void **state)
{
    (void)state;
    /* A red disc on the right of a soft, slightly textured grey scene: a square crop must keep
     * it (a centred crop would cut it off). */
    int W = 600, H = 300;
    pol__image *im = pol__image_new(W, H, 3);
    unsigned seed = 7;
    for (int y = 0; y < H; y++)
        for (int x = 0; x < W; x++) {
            float *p = pol__image_row(im, y) + (size_t)x * 3;
            float g = 0.45f + 0.1f * (float)y / H + (float)(gauss(&seed) * 0.01);
            int in = (x - 510) * (x - 510) + (y - 150) * (y - 150) < 60 * 60;
            p[0] = in ? 0.85f : g;
            p[1] = in ? 0.1f : g;
            p[2] = in ? 0.1f : g;
        }
    int x, y;
    assert_int_equal(pol__image_saliency_crop(im, 300, 300, &x, &y), 0);
    assert_true(x >= 270 && x <= 300); /* the disc spans 450..570 */
    assert_int_equal(y, 0);
    static const char *const sq[] = {"aspect", "1:1", NULL};
    pol__image *c = pol__image_clone(im);
    pol__jv *step;
    assert_true(run_op(&c, "crop", sq, &step));
    assert_int_equal(c->width, 300);
    assert_int_equal(c->height, 300);
    assert_true(measured(step, "x") >= 270);
    /* The disc's centre is in the crop, still red. */
    const float *p = pol__image_row(c, 150) + (size_t)(510 - (int)measured(step, "x")) * 3;
    assert_true(p[0] > 0.8f && p[1] < 0.2f);
    pol__jv_free(step);
    pol__image_free(c);
    /* Centred placement on request, explicit boxes, and clear errors. */
    static const char *const centre[] = {"aspect", "1:1", "placement", "center", NULL};
    c = pol__image_clone(im);
    assert_true(run_op(&c, "crop", centre, &step));
    assert_int_equal((int)measured(step, "x"), 150);
    pol__jv_free(step);
    pol__image_free(c);
    static const char *const box[] = {"box", "10,20,100,50", NULL};
    c = pol__image_clone(im);
    assert_true(run_op(&c, "crop", box, NULL));
    assert_int_equal(c->width, 100);
    assert_int_equal(c->height, 50);
    assert_true(c->px[0] == pol__image_row(im, 20)[30]);
    pol__image_free(c);
    pol__image_free(im);
}

static void test_crop_bad_arguments(void **state)
{
    (void)state;
    const pol_op_desc *op = pol_op_find("image", "crop");
    const char *const bad[][2] = {{"box", "10,20,1000,50"}, {"box", "1,2,3"}, {"aspect", "4:0"},
                                  {"aspect", "wide"}};
    for (size_t i = 0; i < POL_ARRAY_LEN(bad); i++) {
        pol_err e;
        pol_err_clear(&e);
        pol_args *args = pol__args_new(op);
        assert_int_equal(pol__args_set(args, bad[i][0], bad[i][1], &e), POL_OK);
        pol__image *im = pol__image_new(64, 32, 3);
        memset(im->px, 0, sizeof(float) * 64 * 32 * 3);
        pol_asset *a = pol__asset_new(&pol__image_domain, im, "photo.jpg");
        pol_run run = {.err = &e, .opt = &g_opt, .input = "photo.jpg", .threads = 1};
        assert_int_equal(op->run(&run, a, args), POL_ERR_ARG);
        /* The message names the input and the offending option. */
        assert_non_null(strstr(e.msg, "photo.jpg"));
        assert_non_null(strstr(e.msg, bad[i][0]));
        pol__asset_unref(a);
        pol__args_free(args);
    }
}

/* ---- match ---------------------------------------------------------------------------------- */

static void test_match(void **state)
{
    (void)state;
    /* A "house look" (warm, lifted shadows, lower contrast) applied to one half of a photo is the
     * reference; the other half, untouched, must take on that look. Scored against the second
     * half with the look applied directly. */
    pol__image *orig = load_photo(SK "coffee.png", 320);
    int W = orig->width, H = orig->height, hw = W / 2;
    pol__image *left = pol__image_new(hw, H, 3), *right = pol__image_new(hw, H, 3);
    for (int y = 0; y < H; y++) {
        memcpy(pol__image_row(left, y), pol__image_row(orig, y), sizeof(float) * hw * 3);
        memcpy(pol__image_row(right, y), pol__image_row(orig, y) + (size_t)hw * 3,
               sizeof(float) * hw * 3);
    }
    pol__image *ref = degrade_gains(left, 1.0, 0.9, 0.7), *want = degrade_gains(right, 1.0, 0.9, 0.7);
    for (pol__image **p = (pol__image *[]){ref, want, NULL}; *p; p++)
        for (size_t i = 0; i < (size_t)hw * H * 3; i++) (*p)->px[i] = 0.12f + 0.8f * (*p)->px[i];
    char path[] = "/tmp/polish-match-XXXXXX.png";
    int fd = mkstemps(path, 4);
    assert_true(fd >= 0);
    close(fd);
    /* Written as a PNG through the domain's own saver. */
    pol_err e;
    pol_err_clear(&e);
    pol_options o = g_opt;
    o.overwrite = 1;
    pol__jv *item = pol__jv_obj();
    pol_run run = {.err = &e, .opt = &o, .input = path, .threads = 2, .item = item};
    pol_asset *ra = pol__asset_new(&pol__image_domain, pol__image_clone(ref), path);
    strcpy(pol__image_of(ra)->format, "png");
    assert_int_equal(pol__image_domain.save(&run, ra, path), POL_OK);
    pol__asset_unref(ra);
    pol__jv_free(item);
    double none = pol__image_mean_de2000(right, want);
    const char *kv[] = {"reference", path, NULL};
    assert_true(run_op(&right, "match", kv, NULL));
    double fix = pol__image_mean_de2000(right, want);
    print_message("match: dE00 to the wanted look %.2f (doing nothing: %.2f)\n", fix, none);
    assert_true(none > 4);
    assert_true(fix < 2.5);
    unlink(path);
    pol__image_free(left);
    pol__image_free(right);
    pol__image_free(ref);
    pol__image_free(want);
    pol__image_free(orig);
}

/* ---- analysis ------------------------------------------------------------------------------- */

static void test_analyse(void **state)
{
    (void)state;
    pol__image *orig = load_photo(SK "astronaut.png", 512);
    pol__image *warm = degrade_gains(orig, 0.80, 0.62, 0.45);
    pol_err e;
    pol__jv *item = pol__jv_obj();
    pol_run run = {.err = &e, .opt = &g_opt, .input = "x", .threads = 2, .item = item};
    assert_int_equal(pol__image_analyse(&run, orig), POL_OK);
    const pol__jv *m = pol__jv_get(item, "inspect");
    assert_non_null(m);
    const char *keys[] = {"mean_lightness", "clipped_shadows_pct", "clipped_highlights_pct",
                          "cast_a", "cast_b", "noise_sigma", "sharpness", "tilt_confidence"};
    for (size_t i = 0; i < POL_ARRAY_LEN(keys); i++) assert_non_null(pol__jv_get(m, keys[i]));
    double b0 = pol__jv_get(m, "cast_b")->num, l0 = pol__jv_get(m, "mean_lightness")->num;
    pol__jv_free(item);
    item = pol__jv_obj();
    run.item = item;
    assert_int_equal(pol__image_analyse(&run, warm), POL_OK);
    m = pol__jv_get(item, "inspect");
    double b1 = pol__jv_get(m, "cast_b")->num, l1 = pol__jv_get(m, "mean_lightness")->num;
    print_message("analyse: cast b* %.1f -> %.1f, mean L* %.1f -> %.1f after a warm cast\n", b0, b1,
                  l0, l1);
    /* A warm cast shows as a clearly positive b* (a mid-grey under that light has b* +11), and
     * the cast darkens the photo. */
    assert_true(fabs(b0) < 3 && b1 > 8);
    assert_true(l1 < l0 - 5);
    pol__jv_free(item);
    pol__image_free(warm);
    pol__image_free(orig);
}

/* ---- robustness ----------------------------------------------------------------------------- */

static void test_tiny_and_odd_images(void **state)
{
    (void)state;
    /* Every op of this file, with its defaults (and the manual paths), on images from 1x1 up, in
     * grey, grey+alpha, RGB and RGBA: no crash, no out-of-range pixel, alpha untouched. */
    const int sizes[][2] = {{1, 1}, {2, 3}, {7, 5}, {33, 17}, {64, 64}};
    const char *const *kvs[] = {
        (const char *const[]){NULL},
        (const char *const[]){"mode", "manual", "temperature", "4000", NULL},
        (const char *const[]){"ev", "0.7", NULL},
        (const char *const[]){"sigma", "10", NULL},
        (const char *const[]){"angle", "3", NULL},
        (const char *const[]){"aspect", "1:1", NULL},
    };
    const char *ops[] = {"white-balance", "exposure", "tone", "denoise", "straighten", "crop"};
    unsigned seed = 99;
    for (size_t s = 0; s < POL_ARRAY_LEN(sizes); s++)
        for (int ch = 1; ch <= 4; ch++)
            for (size_t o = 0; o < POL_ARRAY_LEN(ops); o++)
                for (int manual = 0; manual < 2; manual++) {
                    const char *const *kv = kvs[0];
                    if (manual) {
                        if (o == 0) kv = kvs[1];
                        else if (o == 1) kv = kvs[2];
                        else if (o == 3) kv = kvs[3];
                        else if (o == 4) kv = kvs[4];
                        else if (o == 5) kv = kvs[5];
                        else continue;
                    }
                    pol__image *im = pol__image_new(sizes[s][0], sizes[s][1], ch);
                    size_t n = (size_t)im->width * im->height * ch;
                    for (size_t i = 0; i < n; i++) im->px[i] = (float)(rand_r(&seed) % 256) / 255;
                    if (ch == 2 || ch == 4)
                        for (size_t i = ch - 1; i < n; i += ch) im->px[i] = 0.5f;
                    run_op(&im, ops[o], kv, NULL);
                    /* Alpha is carried through (a rotation resamples it: equal up to rounding). */
                    if (ch == 2 || ch == 4)
                        for (size_t i = ch - 1; i < (size_t)im->width * im->height * ch; i += ch)
                            if (fabsf(im->px[i] - 0.5f) > 1e-5f) {
                                print_error("%s changed alpha to %g\n", ops[o], im->px[i]);
                                fail();
                            }
                    pol__image_free(im);
                }
    pol_err e;
    pol__jv *item = pol__jv_obj();
    pol_run run = {.err = &e, .opt = &g_opt, .input = "x", .threads = 2, .item = item};
    for (size_t s = 0; s < POL_ARRAY_LEN(sizes); s++) {
        pol__image *im = pol__image_new(sizes[s][0], sizes[s][1], 3);
        memset(im->px, 0, sizeof(float) * (size_t)im->width * im->height * 3);
        assert_int_equal(pol__image_analyse(&run, im), POL_OK);
        int x = -1, y = -1;
        assert_int_equal(pol__image_saliency_crop(im, im->width, 1, &x, &y), 0);
        assert_true(x == 0 && y >= 0 && y < im->height);
        assert_int_equal(pol__image_saliency_crop(im, im->width + 1, 1, &x, &y), -1);
        pol__image_free(im);
    }
    pol__jv_free(item);
}

int main(void)
{
    pol_options_default(&g_opt);
    /* POL_TEST_FILTER=test_straighten* runs only those (while iterating) */
    if (getenv("POL_TEST_FILTER")) cmocka_set_test_filter(getenv("POL_TEST_FILTER"));
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ciede2000_sharma),
        cmocka_unit_test(test_srgb_lab),
        cmocka_unit_test(test_light_locus),
        cmocka_unit_test(test_white_balance_casts),
        cmocka_unit_test(test_recovery_from_camera_casts),
        cmocka_unit_test(test_good_photos_unchanged),
        cmocka_unit_test(test_exposure_minus_one_ev),
        cmocka_unit_test(test_exposure_by_highlights),
        cmocka_unit_test(test_exposure_plus_one_ev),
        cmocka_unit_test(test_exposure_manual_and_tone_manual),
        cmocka_unit_test(test_white_balance_manual),
        cmocka_unit_test(test_denoise),
        cmocka_unit_test(test_straighten),
        cmocka_unit_test(test_straighten_declines_when_unsure),
        cmocka_unit_test(test_straighten_real_photos),
        cmocka_unit_test(test_straighten_converging_verticals),
        cmocka_unit_test(test_straighten_receding_lines),
        cmocka_unit_test(test_straighten_generated_scene),
        cmocka_unit_test(test_straighten_converging_level),
        cmocka_unit_test(test_straighten_two_point_perspective),
        cmocka_unit_test(test_tilt_horizon_seascape),
        cmocka_unit_test(test_tilt_horizon_sky_line),
        cmocka_unit_test(test_straighten_sky_line),
        cmocka_unit_test(test_tilt_dense_rotation),
        cmocka_unit_test(test_tilt_dense_vanishing_point),
        cmocka_unit_test(test_crop_saliency),
        cmocka_unit_test(test_crop_bad_arguments),
        cmocka_unit_test(test_match),
        cmocka_unit_test(test_analyse),
        cmocka_unit_test(test_tiny_and_odd_images),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
