/* polish — geometry and delivery tests: EXIF orientation, Lanczos resize in linear light, reduced
 * JPEG decoding from the plan, presets, sharpening, ICC conversion. */
#include <lcms2.h>
#include "test_io_util.h"

extern const pol_op_desc pol__image_op_resize, pol__image_op_export, pol__image_op_sharpen,
    pol__image_op_denoise, pol__image_op_orient;

/* ---- orientation ---------------------------------------------------------------------------- */

static pol__image *flip_h(const pol__image *s)
{
    pol__image *d = pol__image_clone(s);
    for (int y = 0; y < s->height; y++)
        for (int x = 0; x < s->width; x++)
            memcpy(pol__image_row(d, y) + (size_t)x * s->channels,
                   pol__image_row(s, y) + (size_t)(s->width - 1 - x) * s->channels,
                   (size_t)s->channels * sizeof(float));
    return d;
}

static pol__image *flip_v(const pol__image *s)
{
    pol__image *d = pol__image_clone(s);
    for (int y = 0; y < s->height; y++)
        memcpy(pol__image_row(d, y), pol__image_row(s, s->height - 1 - y),
               (size_t)s->width * s->channels * sizeof(float));
    return d;
}

static pol__image *transpose(const pol__image *s)
{
    pol__image *d = pol__image_clone(s);
    float *px = pol__image_alloc_px(s->height, s->width, s->channels);
    for (int y = 0; y < s->height; y++)
        for (int x = 0; x < s->width; x++)
            memcpy(px + ((size_t)x * s->height + y) * s->channels,
                   pol__image_row(s, y) + (size_t)x * s->channels,
                   (size_t)s->channels * sizeof(float));
    pol__image_replace_px(d, px, s->height, s->width, s->channels);
    return d;
}

/* Applies a sequence of primitive steps ('h' mirror, 'v' flip, 't' transpose) in order. */
static pol__image *apply_seq(const pol__image *s, const char *seq)
{
    pol__image *cur = pol__image_clone(s);
    for (const char *c = seq; *c; c++) {
        pol__image *n = *c == 'h' ? flip_h(cur) : *c == 'v' ? flip_v(cur) : transpose(cur);
        pol__image_free(cur);
        cur = n;
    }
    return cur;
}

static void test_orientation_all_eight(void **state)
{
    (void)state;
    tctx t;
    tctx_init(&t);
    /* The stored picture for EXIF orientation o is the upright one put through the inverse of
     * what the viewer does: the viewer's steps (TIFF 6.0 / EXIF 2.3 definitions) are, per o,
     * 2 mirror, 3 rotate 180 (mirror+flip), 4 flip, 5 transpose, 6 rotate 90 cw (transpose then
     * mirror), 7 transverse (transpose, mirror, flip), 8 rotate 90 ccw (transpose then flip).
     * The primitives are their own inverses, so the stored picture applies them in reverse. */
    static const char *inverse[9] = {"", "", "h", "vh", "v", "t", "ht", "vht", "vt"};
    pol__image *upright = pol__image_new(5, 3, 3);
    for (int i = 0; i < 5 * 3 * 3; i++) upright->px[i] = (float)(i * 5) / 255.0f;
    for (int o = 1; o <= 8; o++) {
        pol__image *stored = apply_seq(upright, inverse[o]);
        unsigned char exif[64];
        stored->exif_len = make_exif(exif, o, 0);
        stored->exif = malloc(stored->exif_len);
        memcpy(stored->exif, exif, stored->exif_len);
        stored->orientation = o;
        stored->save.metadata = POL_META_KEEP;
        char name[32];
        snprintf(name, sizeof name, "o%d.png", o);
        const char *p = tpath(&t, name);
        assert_int_equal(pol__image_save_path(&t.run, stored, p), POL_OK);
        pol__image *im = NULL;
        assert_int_equal(pol__image_load_path(&t.run, p, &im), POL_OK);
        assert_int_equal(im->orientation, o);
        assert_int_equal(pol__image_orient(&t.run, im), POL_OK);
        assert_int_equal(im->orientation, 1);
        double mx;
        mean_abs_diff(upright, im, &mx);
        if (mx > 1e-6) fail_msg("orientation %d: pixels not upright (max diff %g)", o, mx);
        /* the written file says 1 now, so no viewer turns it twice */
        im->save.metadata = POL_META_KEEP;
        snprintf(name, sizeof name, "u%d.jpg", o);
        p = tpath(&t, name);
        assert_int_equal(pol__image_save_path(&t.run, im, p), POL_OK);
        pol__image *again = NULL;
        assert_int_equal(pol__image_load_path(&t.run, p, &again), POL_OK);
        assert_int_equal(again->orientation, 1);
        assert_non_null(again->exif);
        pol__image_free(again);
        pol__image_free(im);
        pol__image_free(stored);
    }
    pol__image_free(upright);
    tctx_done(&t);
}

/* ---- resize --------------------------------------------------------------------------------- */

static pol__image *resized(tctx *t, const pol__image *src, int w, int h)
{
    pol__image *im = pol__image_clone(src);
    pol__resize_req q = {.width = w, .height = h, .fit = POL_FIT_FILL, .upscale = 1};
    assert_int_equal(pol__image_apply_resize(&t->run, im, &q, POL_KERNEL_LANCZOS3, "test"), POL_OK);
    assert_int_equal(im->width, w);
    assert_int_equal(im->height, h);
    return im;
}

/* A band-limited pattern defined in linear light, sampled at pixel centres of a w x h grid that
 * spans the unit square. */
static double pattern(double u, double v)
{
    return 0.45 + 0.3 * sin(2 * M_PI * 2.5 * u + 0.3) * cos(2 * M_PI * 1.5 * v) + 0.1 * u;
}

static pol__image *sample_pattern(int w, int h)
{
    pol__image *im = pol__image_new(w, h, 3);
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++)
            for (int c = 0; c < 3; c++)
                pol__image_row(im, y)[x * 3 + c] =
                    (float)lin_to_srgb(pattern((x + 0.5) / w, (y + 0.5) / h) * (1 - 0.2 * c));
    return im;
}

static void test_resize_accuracy(void **state)
{
    (void)state;
    tctx t;
    tctx_init(&t);
    pol__image *src = sample_pattern(480, 360);
    int sizes[][2] = {{120, 90}, {157, 101}, {960, 720}, {481, 361}};
    for (size_t i = 0; i < 4; i++) {
        int w = sizes[i][0], h = sizes[i][1];
        pol__image *out = resized(&t, src, w, h);
        pol__image *ref = sample_pattern(w, h);
        double mx, mean = mean_abs_diff(out, ref, &mx);
        if (mean > 0.002 || mx > 0.01)
            fail_msg("%dx%d: mean error %g, max %g against the exact pattern", w, h, mean, mx);
        pol__image_free(out);
        pol__image_free(ref);
    }
    /* half a pixel of misalignment would show: the bound is tight enough to catch it */
    pol__image *ref = sample_pattern(120, 90);
    pol__image *shifted = pol__image_clone(ref);
    for (int y = 0; y < 90; y++)
        for (int x = 0; x < 120; x++)
            for (int c = 0; c < 3; c++)
                pol__image_row(shifted, y)[x * 3 + c] =
                    (float)lin_to_srgb(pattern((x + 1.0) / 120, (y + 0.5) / 90) * (1 - 0.2 * c));
    double mx;
    assert_true(mean_abs_diff(shifted, ref, &mx) > 0.002 || mx > 0.01);
    pol__image_free(shifted);
    pol__image_free(ref);
    pol__image_free(src);
    tctx_done(&t);
}

static void test_resize_linear_light(void **state)
{
    (void)state;
    tctx t;
    tctx_init(&t);
    /* black and white one-pixel stripes: halving must give the grey that emits half the light
     * (sRGB 0.735), not the encoded average 0.5 a gamma-space resize gives */
    pol__image *stripes = pol__image_new(256, 64, 1);
    for (int y = 0; y < 64; y++)
        for (int x = 0; x < 256; x++) pol__image_row(stripes, y)[x] = (float)(x & 1);
    for (int f = 2; f <= 8; f *= 2) {
        pol__image *out = resized(&t, stripes, 256 / f, 64 / f);
        double want = lin_to_srgb(0.5), worst = 0;
        for (int y = 2; y < out->height - 2; y++)
            for (int x = 2; x < out->width - 2; x++) {
                double d = fabs(pol__image_row(out, y)[x] - want);
                if (d > worst) worst = d;
            }
        if (worst > 0.01) fail_msg("1/%d: stripes off the half-light grey by %g", f, worst);
        pol__image_free(out);
    }
    assert_true(fabs(0.5 - lin_to_srgb(0.5)) > 0.01); /* the gamma-space answer fails the bound */
    /* light is preserved on a real photo: mean linear luminance within 0.5 % */
    pol__image *photo = load_photo(&t, "coffee.png");
    pol__image *small = resized(&t, photo, 150, 100);
    double m[2] = {0, 0};
    const pol__image *ims[2] = {photo, small};
    for (int k = 0; k < 2; k++) {
        size_t n = (size_t)ims[k]->width * ims[k]->height * 3;
        for (size_t i = 0; i < n; i++) m[k] += srgb_to_lin(ims[k]->px[i]);
        m[k] /= (double)n;
    }
    assert_true(fabs(m[1] / m[0] - 1) < 0.005);
    pol__image_free(small);
    pol__image_free(photo);
    pol__image_free(stripes);
    tctx_done(&t);
}

static void test_resize_alpha_weighted(void **state)
{
    (void)state;
    tctx t;
    tctx_init(&t);
    /* left half invisible (alpha 0) but green underneath; right half opaque blue */
    pol__image *im = pol__image_new(64, 16, 4);
    for (int y = 0; y < 16; y++)
        for (int x = 0; x < 64; x++) {
            float *p = pol__image_row(im, y) + x * 4;
            int vis = x >= 32;
            p[0] = 0, p[1] = vis ? 0 : 1, p[2] = vis ? 1 : 0, p[3] = vis ? 1 : 0;
        }
    for (int w = 13; w <= 128; w += 115) {
        pol__image *out = resized(&t, im, w, 16);
        for (int y = 0; y < 16; y++)
            for (int x = 0; x < w; x++) {
                const float *p = pol__image_row(out, y) + x * 4;
                if (p[3] > 0.02f && p[1] > 0.02f)
                    fail_msg("width %d x %d: invisible green leaked (g %g at alpha %g)", w, x, p[1],
                             p[3]);
            }
        pol__image_free(out);
    }
    pol__image_free(im);
    tctx_done(&t);
}

static void test_resize_turns_upright(void **state)
{
    (void)state;
    tctx t;
    tctx_init(&t);
    /* stored 40x20 with "rotate 90 cw" (6): seen as 20x40, so --width 10 means 10x20 upright */
    pol__image *im = pol__image_new(40, 20, 3);
    for (int i = 0; i < 40 * 20 * 3; i++) im->px[i] = (float)(i % 7) / 7.0f;
    im->orientation = 6;
    pol__resize_req q = {.width = 10, .upscale = 1};
    assert_int_equal(pol__image_apply_resize(&t.run, im, &q, POL_KERNEL_LANCZOS3, "t"), POL_OK);
    assert_int_equal(im->orientation, 1);
    assert_int_equal(im->width, 10);
    assert_int_equal(im->height, 20);
    pol__image_free(im);
    tctx_done(&t);
}

static void test_resize_geometry(void **state)
{
    (void)state;
    int sw, sh, ow, oh;
    pol__resize_req q = {.width = 1080, .upscale = 1};
    assert_true(pol__resize_geometry(&q, 5120, 2880, &sw, &sh, &ow, &oh));
    assert_int_equal(ow, 1080);
    assert_int_equal(oh, 608);
    q = (pol__resize_req){.width = 1080, .height = 1350, .fit = POL_FIT_COVER, .upscale = 1};
    pol__resize_geometry(&q, 4000, 3000, &sw, &sh, &ow, &oh);
    assert_int_equal(ow, 1080);
    assert_int_equal(oh, 1350);
    assert_int_equal(sh, 1350);
    assert_int_equal(sw, 1800);
    q.fit = POL_FIT_CONTAIN;
    pol__resize_geometry(&q, 4000, 3000, &sw, &sh, &ow, &oh);
    assert_int_equal(ow, 1080);
    assert_int_equal(oh, 810);
    q = (pol__resize_req){.long_edge = 2048, .upscale = 0};
    pol__resize_geometry(&q, 1000, 800, &sw, &sh, &ow, &oh);
    assert_int_equal(ow, 1000); /* never enlarged */
    pol__resize_geometry(&q, 3000, 4000, &sw, &sh, &ow, &oh);
    assert_int_equal(oh, 2048);
    assert_int_equal(ow, 1536);
    q = (pol__resize_req){0};
    assert_false(pol__resize_geometry(&q, 10, 10, &sw, &sh, &ow, &oh));
}

/* ---- reduced-scale decoding ----------------------------------------------------------------- */

static pol_args *args_of(const pol_op_desc *op, const char *const *kv)
{
    pol_args *a = pol__args_new(op);
    pol_err e;
    for (; kv && kv[0]; kv += 2)
        if (pol__args_set(a, kv[0], kv[1], &e)) fail_msg("%s: %s", kv[0], e.msg);
    return a;
}

static int plan_shrink(tctx *t, const pol_op_desc *const *ops, const char *const *const *kvs,
                       size_t n, int w, int h, int orientation)
{
    pol_args *args[8];
    for (size_t i = 0; i < n; i++) args[i] = args_of(ops[i], kvs[i]);
    t->run.plan_ops = ops;
    t->run.plan_args = (const pol_args *const *)args;
    t->run.plan_n = n;
    int s = pol__image_plan_shrink(&t->run, w, h, orientation);
    for (size_t i = 0; i < n; i++) pol__args_free(args[i]);
    t->run.plan_n = 0;
    return s;
}

static void test_plan_shrink(void **state)
{
    (void)state;
    tctx t;
    tctx_init(&t);
    static const char *const w1080[] = {"width", "1080", NULL};
    static const char *const none[] = {NULL};
    static const char *const web[] = {"preset", "web", NULL};
    static const char *const story[] = {"preset", "story", NULL};
    const pol_op_desc *resize_export[] = {&pol__image_op_resize, &pol__image_op_export};
    const char *const *a1[] = {w1080, none};
    /* 5120 wide to 1080: 1/2 leaves 2560 >= 2 x 1080; 1/4 (1280) would not */
    assert_int_equal(plan_shrink(&t, resize_export, a1, 2, 5120, 2880, 1), 2);
    assert_int_equal(plan_shrink(&t, resize_export, a1, 2, 9000, 6000, 1), 4);
    /* turned upright the picture is 2880 wide: no room for a 2x margin at 1/2 */
    assert_int_equal(plan_shrink(&t, resize_export, a1, 2, 5120, 2880, 6), 1);
    /* denoising first needs the full-resolution noise */
    const pol_op_desc *den[] = {&pol__image_op_denoise, &pol__image_op_resize,
                                &pol__image_op_export};
    const char *const *a2[] = {none, w1080, none};
    assert_int_equal(plan_shrink(&t, den, a2, 3, 5120, 2880, 1), 1);
    /* orient is safe before the resize */
    const pol_op_desc *ori[] = {&pol__image_op_orient, &pol__image_op_resize,
                                &pol__image_op_export};
    assert_int_equal(plan_shrink(&t, ori, a2, 3, 5120, 2880, 1), 2);
    /* deliveries only: the largest one decides; one full-size output forbids shrinking */
    const pol_op_desc *two[] = {&pol__image_op_export, &pol__image_op_export};
    const char *const *a3[] = {web, story};
    assert_int_equal(plan_shrink(&t, two, a3, 2, 12000, 8000, 1), 2);
    const char *const *a4[] = {web, none};
    assert_int_equal(plan_shrink(&t, two, a4, 2, 12000, 8000, 1), 1);

    /* end to end: the JPEG decoder honours it */
    pol__image *photo = load_photo(&t, "coffee.png"); /* 600x400 */
    const char *p = tpath(&t, "c.jpg");
    assert_int_equal(pol__image_save_path(&t.run, photo, p), POL_OK);
    static const char *const w100[] = {"width", "100", NULL};
    pol_args *args[3] = {args_of(&pol__image_op_orient, none), args_of(&pol__image_op_resize, w100),
                         args_of(&pol__image_op_export, none)};
    t.run.plan_ops = ori;
    t.run.plan_args = (const pol_args *const *)args;
    t.run.plan_n = 3;
    pol__image *im = NULL;
    assert_int_equal(pol__image_load_path(&t.run, p, &im), POL_OK);
    assert_int_equal(im->width, 300); /* 1/4 would be 150 < 200 */
    pol__image_free(im);
    /* a plan that starts with the resize: resized while decoding, same pixels as decoding at
     * 1/2 and then resizing */
    t.run.plan_ops = resize_export;
    t.run.plan_args = (const pol_args *const *)args + 1;
    t.run.plan_n = 2;
    assert_int_equal(pol__image_load_path(&t.run, p, &im), POL_OK);
    assert_int_equal(im->width, 100);
    assert_int_equal(im->height, 67);
    t.run.plan_n = 0;
    pol__image_load_opts o = {2, 0, &t.opt.limits};
    pol__image *ref = NULL;
    assert_int_equal(pol__jpeg_load(&t.run, p, &o, &ref), POL_OK);
    pol__resize_req q = {.width = 100, .upscale = 1};
    assert_int_equal(pol__image_apply_resize(&t.run, ref, &q, POL_KERNEL_LANCZOS3, "t"), POL_OK);
    double mx;
    mean_abs_diff(ref, im, &mx);
    if (mx > 1e-5) fail_msg("resizing while decoding differs by %g", mx);
    /* and the resize step then has nothing left to do */
    pol_asset *a = pol__asset_new(&pol__image_domain, im, p);
    t.run.declined = 0;
    assert_int_equal(pol__image_op_resize.run(&t.run, a, args[1]), POL_OK);
    assert_true(t.run.declined);
    pol__asset_unref(a);
    pol__image_free(ref);
    for (int i = 0; i < 3; i++) pol__args_free(args[i]);
    pol__image_free(photo);
    tctx_done(&t);
}

/* Decoding at 1/2 scale and resizing gives what decoding in full and resizing gives. */
static pol__image *decode_resized(tctx *t, const char *path, int shrink, int width)
{
    pol__image_load_opts o = {shrink, 0, &t->opt.limits};
    pol__image *im = NULL;
    if (pol__jpeg_load(&t->run, path, &o, &im)) fail_msg("%s: %s", path, t->err.msg);
    pol__resize_req q = {.width = width, .upscale = 1};
    assert_int_equal(pol__image_apply_resize(&t->run, im, &q, POL_KERNEL_LANCZOS3, "t"), POL_OK);
    return im;
}

static void test_reduced_decode_quality(void **state)
{
    (void)state;
    tctx t;
    tctx_init(&t);
    const char *p = "/usr/share/backgrounds/mate/nature/LadyBird.jpg"; /* 2560x1600 */
    pol__image *full = decode_resized(&t, p, 1, 600);
    pol__image *half = decode_resized(&t, p, 2, 600);   /* what the plan picks: 1280 >= 2 x 600 */
    pol__image *eighth = decode_resized(&t, p, 8, 600); /* DC only, then upscaled: too coarse */
    double mx, d_half = mean_abs_diff(full, half, &mx), d_eighth = mean_abs_diff(full, eighth, &mx);
    if (d_half > 1.0 / 255) fail_msg("1/2-scale decode differs by %g (mean)", d_half);
    assert_true(d_eighth > 1.0 / 255); /* the bound tells a good shortcut from a bad one */
    pol__image_free(full);
    pol__image_free(half);
    pol__image_free(eighth);
    tctx_done(&t);
}

/* ---- export presets ------------------------------------------------------------------------- */

static void test_presets(void **state)
{
    (void)state;
    tctx t;
    tctx_init(&t);
    struct {
        const char *preset;
        int w, h;
    } cases[] = {{"instagram-square", 1080, 1080},
                 {"instagram-portrait", 1080, 1350},
                 {"story", 1080, 1920},
                 {"google-business", 1200, 900},
                 {"web", 600, 400},
                 {"print-300dpi", 600, 400}};
    pol__image *photo = load_photo(&t, "coffee.png");
    for (size_t i = 0; i < 6; i++) {
        pol__image *im = pol__image_clone(photo);
        pol_asset *a = pol__asset_new(&pol__image_domain, im, "coffee.png");
        const char *kv[] = {"preset", cases[i].preset, NULL};
        pol_args *args = args_of(&pol__image_op_export, kv);
        assert_int_equal(pol__image_op_export.run(&t.run, a, args), POL_OK);
        assert_int_equal(im->width, cases[i].w);
        assert_int_equal(im->height, cases[i].h);
        if (!strcmp(cases[i].preset, "print-300dpi")) {
            assert_true(im->save.dpi == 300);
            assert_int_equal(im->save.quality, 95);
        }
        pol__args_free(args);
        pol__asset_unref(a);
    }
    pol__image_free(photo);
    tctx_done(&t);
}

/* ---- sharpen -------------------------------------------------------------------------------- */

static pol__image *blurred_photo(tctx *t, double sigma)
{
    pol__image *photo = load_photo(t, "chelsea.png");
    if (sigma <= 0) return photo;
    /* blur by a downscale and upscale pair: soft, like a missed focus */
    int w = photo->width, h = photo->height;
    pol__image *small = resized(t, photo, (int)(w / sigma / 1.5), (int)(h / sigma / 1.5));
    pol__image *back = resized(t, small, w, h);
    pol__image_free(small);
    pol__image_free(photo);
    return back;
}

static double edge_energy(const pol__image *im)
{
    double e = 0;
    for (int y = 1; y < im->height; y++)
        for (int x = 1; x < im->width; x++) {
            const float *p = pol__image_row(im, y) + x * 3, *l = p - 3,
                        *u = pol__image_row(im, y - 1) + x * 3;
            double yl = 0.2126 * p[0] + 0.7152 * p[1] + 0.0722 * p[2];
            double gx = yl - (0.2126 * l[0] + 0.7152 * l[1] + 0.0722 * l[2]);
            double gy = yl - (0.2126 * u[0] + 0.7152 * u[1] + 0.0722 * u[2]);
            e += gx * gx + gy * gy;
        }
    return e;
}

static void test_sharpen(void **state)
{
    (void)state;
    tctx t;
    tctx_init(&t);
    pol__image *soft = blurred_photo(&t, 2.0);
    pol__image *orig = pol__image_clone(soft);
    pol_asset *a = pol__asset_new(&pol__image_domain, soft, "soft");
    static const char *const kv[] = {"amount", "1.0", "radius", "1.5", "threshold", "0", NULL};
    pol_args *args = args_of(&pol__image_op_sharpen, kv);
    assert_int_equal(pol__image_op_sharpen.run(&t.run, a, args), POL_OK);
    /* more edge energy... */
    assert_true(edge_energy(soft) > 1.3 * edge_energy(orig));
    /* ...and only in luminance: the colour differences stay where nothing clipped */
    double worst = 0;
    size_t n = (size_t)soft->width * soft->height;
    for (size_t i = 0; i < n; i++) {
        const float *p = soft->px + i * 3, *q = orig->px + i * 3;
        int clipped = 0;
        for (int c = 0; c < 3; c++) clipped |= p[c] <= 0.0f || p[c] >= 1.0f;
        if (clipped) continue;
        double d = fabs((p[0] - p[1]) - (q[0] - q[1])) + fabs((p[2] - p[1]) - (q[2] - q[1]));
        if (d > worst) worst = d;
    }
    assert_true(worst < 1e-5);
    pol__args_free(args);
    pol__asset_unref(a);
    pol__image_free(orig);

    /* automatic strength: a soft picture is sharpened, a crisp one is left alone */
    args = args_of(&pol__image_op_sharpen, NULL);
    pol__image *crisp = blurred_photo(&t, 0);
    pol__image *crisp0 = pol__image_clone(crisp);
    a = pol__asset_new(&pol__image_domain, crisp, "crisp");
    t.run.declined = 0;
    assert_int_equal(pol__image_op_sharpen.run(&t.run, a, args), POL_OK);
    assert_true(t.run.declined);
    double mx;
    assert_true(mean_abs_diff(crisp, crisp0, &mx) == 0);
    pol__asset_unref(a);
    pol__image_free(crisp0);
    pol__image *soft2 = blurred_photo(&t, 2.0);
    pol__image *soft20 = pol__image_clone(soft2);
    a = pol__asset_new(&pol__image_domain, soft2, "soft");
    t.run.declined = 0;
    assert_int_equal(pol__image_op_sharpen.run(&t.run, a, args), POL_OK);
    assert_false(t.run.declined);
    if (!(edge_energy(soft2) > 1.1 * edge_energy(soft20)))
        fail_msg("auto sharpen gain %g", edge_energy(soft2) / edge_energy(soft20));
    pol__asset_unref(a);
    pol__image_free(soft20);
    pol__args_free(args);
    tctx_done(&t);
}

/* ---- colour --------------------------------------------------------------------------------- */

/* Adobe RGB (1998) -> sRGB by the published matrices (both D65), independent of lcms2. */
static void adobe_to_srgb(const double in[3], double out[3])
{
    static const double a2x[3][3] = {{0.5767309, 0.1855540, 0.1881852},
                                     {0.2973769, 0.6273491, 0.0752741},
                                     {0.0270343, 0.0706872, 0.9911085}};
    static const double x2s[3][3] = {{3.2404542, -1.5371385, -0.4985314},
                                     {-0.9692660, 1.8760108, 0.0415560},
                                     {0.0556434, -0.2040259, 1.0572252}};
    double lin[3], xyz[3];
    for (int i = 0; i < 3; i++) lin[i] = pow(in[i], 563.0 / 256.0);
    for (int i = 0; i < 3; i++)
        xyz[i] = a2x[i][0] * lin[0] + a2x[i][1] * lin[1] + a2x[i][2] * lin[2];
    for (int i = 0; i < 3; i++) {
        double v = x2s[i][0] * xyz[0] + x2s[i][1] * xyz[1] + x2s[i][2] * xyz[2];
        out[i] = lin_to_srgb(v < 0 ? 0 : v > 1 ? 1 : v);
    }
}

static void test_colour_to_srgb(void **state)
{
    (void)state;
    tctx t;
    tctx_init(&t);
    cmsCIExyY white = {0.3127, 0.3290, 1.0};
    cmsCIExyYTRIPLE prim = {{0.64, 0.33, 1.0}, {0.21, 0.71, 1.0}, {0.15, 0.06, 1.0}};
    cmsToneCurve *g = cmsBuildGamma(NULL, 563.0 / 256.0);
    cmsToneCurve *curves[3] = {g, g, g};
    cmsHPROFILE h = cmsCreateRGBProfile(&white, &prim, curves);
    cmsFreeToneCurve(g);
    cmsUInt32Number len = 0;
    cmsSaveProfileToMem(h, NULL, &len);
    unsigned char *icc = malloc(len);
    cmsSaveProfileToMem(h, icc, &len);
    cmsCloseProfile(h);

    static const double cols[4][3] = {
        {0.2, 0.6, 0.3}, {0.7, 0.3, 0.2}, {0.5, 0.5, 0.5}, {0.1, 0.2, 0.6}};
    pol__image *im = pol__image_new(4, 1, 4);
    for (int i = 0; i < 4; i++) {
        for (int c = 0; c < 3; c++) im->px[i * 4 + c] = (float)cols[i][c];
        im->px[i * 4 + 3] = 0.25f * (float)i;
    }
    im->icc = icc;
    im->icc_len = len;
    pol__image *before = pol__image_clone(im);
    assert_false(pol__icc_is_srgb(icc, len));
    t.run.declined = 0;
    assert_int_equal(pol__image_to_srgb(&t.run, im, INTENT_RELATIVE_COLORIMETRIC, 0, 1), POL_OK);
    assert_false(t.run.declined);
    assert_true(im->srgb);
    assert_true(pol__icc_is_srgb(im->icc, im->icc_len));
    double worst = 0, moved = 0;
    for (int i = 0; i < 4; i++) {
        double want[3];
        adobe_to_srgb(cols[i], want);
        for (int c = 0; c < 3; c++) {
            worst = fmax(worst, fabs(im->px[i * 4 + c] - want[c]));
            moved = fmax(moved, fabs(before->px[i * 4 + c] - want[c]));
        }
        assert_true(im->px[i * 4 + 3] == 0.25f * (float)i); /* alpha untouched */
    }
    if (worst > 0.006) fail_msg("Adobe RGB -> sRGB off by %g", worst);
    assert_true(moved > 0.05); /* doing nothing would fail */
    /* converting again declines: it is sRGB now */
    t.run.declined = 0;
    assert_int_equal(pol__image_to_srgb(&t.run, im, INTENT_PERCEPTUAL, 1, 1), POL_OK);
    assert_true(t.run.declined);
    pol__image_free(before);
    pol__image_free(im);
    tctx_done(&t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_orientation_all_eight),
        cmocka_unit_test(test_resize_geometry),
        cmocka_unit_test(test_resize_turns_upright),
        cmocka_unit_test(test_resize_accuracy),
        cmocka_unit_test(test_resize_linear_light),
        cmocka_unit_test(test_resize_alpha_weighted),
        cmocka_unit_test(test_plan_shrink),
        cmocka_unit_test(test_reduced_decode_quality),
        cmocka_unit_test(test_presets),
        cmocka_unit_test(test_sharpen),
        cmocka_unit_test(test_colour_to_srgb),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
