/* polish — image strips: a pipeline streamed strip by strip gives what the same pipeline gives on
 * the whole picture (crop, resize, sharpen, export; TIFF tiled and in strips, 8 and 16 bit, grey,
 * RGB and alpha; JPEG), an unchanged streamed JPEG is its own coefficients again, and the ops that
 * need the whole picture keep the item whole; `polish fix` streamed decides as on the whole
 * picture (exactly up to the preview's size, within stated tolerances beyond), and falls back to
 * the whole picture when a step other than sharpen changes pixels. */
#include <lcms2.h>
#include <tiffio.h>
#include "test_io_util.h"
#include "polish/polish.h"

/* A picture with something for every op: smooth gradients, hard edges, fine texture, and
 * transparency that varies when there is alpha. */
static pol__image *make_picture(int w, int h, int ch, uint64_t seed)
{
    pol__image *im = pol__image_new(w, h, ch);
    assert_non_null(im);
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) {
            float *p = pol__image_row(im, y) + (size_t)x * ch;
            double edge = ((x / 13 + y / 9) & 1) ? 0.25 : 0.0;
            for (int c = 0; c < ch; c++) {
                double v = 0.15 + 0.5 * (x + c * 7) / w + 0.2 * y / h + edge * (c == 1 ? -1 : 1) +
                           0.06 * (trand(&seed) - 0.5);
                p[c] = (float)(v < 0 ? 0 : v > 1 ? 1 : v);
            }
            if (ch == 2 || ch == 4) p[ch - 1] = (float)(0.2 + 0.8 * (double)((x * 7 + y * 3) % 50) / 49);
        }
    return im;
}

/* A tiled TIFF (tile tw x th) of `im` at `bits` per sample, written with libtiff itself. */
static void write_tiled(const char *path, const pol__image *im, int bits, int tw, int th)
{
    TIFF *t = TIFFOpen(path, "w");
    assert_non_null(t);
    int ch = im->channels;
    TIFFSetField(t, TIFFTAG_IMAGEWIDTH, (uint32_t)im->width);
    TIFFSetField(t, TIFFTAG_IMAGELENGTH, (uint32_t)im->height);
    TIFFSetField(t, TIFFTAG_SAMPLESPERPIXEL, (uint16_t)ch);
    TIFFSetField(t, TIFFTAG_BITSPERSAMPLE, (uint16_t)bits);
    TIFFSetField(t, TIFFTAG_PHOTOMETRIC, ch >= 3 ? PHOTOMETRIC_RGB : PHOTOMETRIC_MINISBLACK);
    TIFFSetField(t, TIFFTAG_PLANARCONFIG, PLANARCONFIG_CONTIG);
    TIFFSetField(t, TIFFTAG_COMPRESSION, COMPRESSION_ADOBE_DEFLATE);
    if (ch == 2 || ch == 4) {
        uint16_t ex = EXTRASAMPLE_UNASSALPHA;
        TIFFSetField(t, TIFFTAG_EXTRASAMPLES, 1, &ex);
    }
    TIFFSetField(t, TIFFTAG_TILEWIDTH, (uint32_t)tw);
    TIFFSetField(t, TIFFTAG_TILELENGTH, (uint32_t)th);
    size_t bytes = (size_t)bits / 8, n = (size_t)tw * th * ch;
    unsigned char *buf = calloc(n, bytes);
    for (int ty = 0; ty < im->height; ty += th)
        for (int tx = 0; tx < im->width; tx += tw) {
            memset(buf, 0, n * bytes);
            for (int y = 0; y < th && ty + y < im->height; y++)
                for (int x = 0; x < tw && tx + x < im->width; x++)
                    for (int c = 0; c < ch; c++) {
                        float v = pol__image_row(im, ty + y)[(size_t)(tx + x) * ch + c];
                        size_t at = ((size_t)y * tw + x) * ch + c;
                        if (bits == 16)
                            ((uint16_t *)buf)[at] = pol__float_to_u16(v);
                        else
                            buf[at] = pol__float_to_u8(v);
                    }
            assert_true(TIFFWriteTile(t, buf, (uint32_t)tx, (uint32_t)ty, 0, 0) >= 0);
        }
    free(buf);
    TIFFClose(t);
}

/* Runs the recipe's steps on `in`: streamed (the delivery as default options) into `out`, or
 * whole (a delivery target, which keeps the item whole) into the folder `out`. Returns the item's
 * report as JSON (free it). */
static char *run_recipe(const char *steps, const char *deliver, const char *in, const char *out,
                        int whole)
{
    char text[2048];
    if (whole)
        snprintf(text, sizeof text, "domain: image\nsteps:\n%sdeliver:\n  - name: w\n%s%s", steps,
                 deliver[0] ? "    " : "", deliver);
    else
        snprintf(text, sizeof text, "domain: image\nsteps:\n%s%s%s", steps,
                 deliver[0] ? "  - export: {" : "", deliver[0] ? deliver : "");
    if (!whole && deliver[0]) {
        /* "format: tiff" -> "  - export: {format: tiff}" */
        size_t n = strlen(text);
        while (n && text[n - 1] == '\n') text[--n] = 0;
        strcat(text, "}\n");
    }
    pol_pipeline *p;
    pol_err err;
    if (pol_pipeline_parse_recipe(text, strlen(text), "strips", &p, &err))
        fail_msg("recipe: %s\n%s", err.msg, text);
    pol_options opt;
    pol_options_default(&opt);
    opt.threads = 2;
    opt.overwrite = 1;
    pol_batch b = {.mode = POL_BATCH_PROCESS, .options = &opt};
    if (whole)
        b.outdir = out;
    else
        b.outfile = out;
    pol_report *r = pol_report_new("test");
    pol_batch_result res;
    const char *ins[] = {in};
    pol_status st = pol_batch_run(p, ins, 1, &b, r, &res, &err);
    char *js = pol_report_json(r);
    if (st) fail_msg("batch: %s\n%s", err.msg, js);
    pol_report_free(r);
    pol_pipeline_free(p);
    return js;
}

static int streamed(const char *report)
{
    return strstr(report, "\"streamed\": true") != NULL;
}

static pol__image *load(tctx *t, const char *path)
{
    pol__image *im = NULL;
    if (pol__image_load_path(&t->run, path, &im)) fail_msg("loading %s: %s", path, t->err.msg);
    return im;
}

/* Streams and runs whole the same steps on `in`; the two outputs must agree to `tol`. */
static void same_both_ways(tctx *t, const char *steps, const char *deliver, const char *in,
                           const char *ext, double tol, const char *what)
{
    char out_s[256], dir_w[256], out_w[300];
    snprintf(out_s, sizeof out_s, "%s/s.%s", t->dir, ext);
    snprintf(dir_w, sizeof dir_w, "%s/whole", t->dir);
    const char *base = strrchr(in, '/') ? strrchr(in, '/') + 1 : in;
    snprintf(out_w, sizeof out_w, "%s/w/%s", dir_w, base);
    char *rs = run_recipe(steps, deliver, in, out_s, 0);
    char *rw = run_recipe(steps, deliver, in, dir_w, 1);
    if (!streamed(rs)) fail_msg("%s: not streamed: %s", what, rs);
    assert_false(streamed(rw));
    pol__image *a = load(t, out_s), *b = load(t, out_w);
    double mx = 0, mean = mean_abs_diff(a, b, &mx);
    print_message("  %s: %dx%dx%d, max difference %.3g, mean %.3g\n", what, a->width, a->height,
                  a->channels, mx, mean);
    assert_true(mx <= tol);
    pol__image_free(a);
    pol__image_free(b);
    free(rs);
    free(rw);
}

static const char *const chain =
    "  - crop: {box: \"7,11,301,233\"}\n"
    "  - resize: {scale: 0.71}\n"
    "  - sharpen: {amount: 1.2, radius: 1.3, threshold: 0}\n";

static void test_tiff_tiled_16bit(void **state)
{
    (void)state;
    tctx t;
    tctx_init(&t);
    for (int ch = 1; ch <= 4; ch++) {
        pol__image *im = make_picture(317, 251, ch, 11u + (uint64_t)ch);
        const char *in = tpath(&t, "tiled.tif");
        write_tiled(in, im, 16, 32, 16);
        char what[64];
        snprintf(what, sizeof what, "16-bit tiled TIFF, %d channels", ch);
        /* 16-bit output: equal to within one step of 16 bits (float rounding) */
        same_both_ways(&t, chain, "format: tiff", in, "tif", 1.01 / 65535, what);
        pol__image_free(im);
    }
    tctx_done(&t);
}

static void test_tiff_strips_resamplers(void **state)
{
    (void)state;
    tctx t;
    tctx_init(&t);
    pol__image *im = make_picture(403, 389, 3, 5);
    const char *in = tpath(&t, "strips.tif");
    im->save.bit_depth = 8;
    assert_int_equal(pol__image_save_path(&t.run, im, in), POL_OK);
    /* strong shrinks need a wide context; enlarging a narrow one; each kernel */
    static const char *const steps[] = {
        "  - resize: {scale: 0.09}\n",
        "  - resize: {scale: 0.37, kernel: lanczos2}\n  - sharpen: {amount: 2, radius: 4}\n",
        "  - resize: {scale: 2.6}\n  - sharpen: {amount: 0.7, radius: 2.2, threshold: 0}\n",
        "  - sharpen: {amount: 0.5, radius: 6}\n  - resize: {scale: 0.5, kernel: linear}\n"
        "  - crop: {box: \"3,70,150,40\"}\n",
        "  - crop: {box: \"0,0,403,389\"}\n  - resize: {scale: 1.0}\n",
    };
    for (size_t i = 0; i < sizeof steps / sizeof *steps; i++) {
        char what[32];
        snprintf(what, sizeof what, "8-bit TIFF in strips, chain %zu", i);
        same_both_ways(&t, steps[i], "format: tiff", in, "tif", 0, what);
    }
    pol__image_free(im);
    tctx_done(&t);
}

static void test_jpeg(void **state)
{
    (void)state;
    tctx t;
    tctx_init(&t);
    pol__image *im = make_picture(500, 333, 3, 9);
    const char *in = tpath(&t, "photo.jpg");
    im->save.quality = 92;
    assert_int_equal(pol__image_save_path(&t.run, im, in), POL_OK);
    same_both_ways(&t, chain, "", in, "jpg", 0, "JPEG through crop, resize, sharpen");
    /* nothing changed: the streamed JPEG is the whole path's lossless copy, byte for byte */
    const char *nothing = "  - resize: {scale: 1}\n";
    char out_s[256], dir_w[256], out_w[300];
    snprintf(out_s, sizeof out_s, "%s/u.jpg", t.dir);
    snprintf(dir_w, sizeof dir_w, "%s/uw", t.dir);
    snprintf(out_w, sizeof out_w, "%s/w/photo.jpg", dir_w);
    char *rs = run_recipe(nothing, "", in, out_s, 0);
    char *rw = run_recipe(nothing, "", in, dir_w, 1);
    assert_true(streamed(rs));
    assert_non_null(strstr(rs, "written from its own DCT coefficients"));
    FILE *fa = fopen(out_s, "rb"), *fb = fopen(out_w, "rb");
    assert_non_null(fa);
    assert_non_null(fb);
    int ca, cb;
    size_t n = 0;
    do {
        ca = fgetc(fa), cb = fgetc(fb), n++;
        assert_int_equal(ca, cb);
    } while (ca != EOF);
    fclose(fa), fclose(fb);
    print_message("  unchanged JPEG: %zu bytes, identical to the whole path's coefficient copy\n", n - 1);
    free(rs);
    free(rw);
    pol__image_free(im);
    tctx_done(&t);
}

/* PNG in strips: read with libspng's row decoder and written row by row, 8 and 16 bit, grey
 * and RGB, alpha kept; the same bits as the whole path. */
static void test_png(void **state)
{
    (void)state;
    tctx t;
    tctx_init(&t);
    static const struct {
        int ch, bits;
    } kinds[] = {{4, 16}, {1, 8}, {3, 8}, {2, 16}};
    for (size_t i = 0; i < sizeof kinds / sizeof *kinds; i++) {
        pol__image *im = make_picture(317, 245, kinds[i].ch, 60 + i);
        im->bit_depth = kinds[i].bits;
        const char *in = tpath(&t, "p.png");
        assert_int_equal(pol__image_save_path(&t.run, im, in), POL_OK);
        char what[96];
        snprintf(what, sizeof what, "PNG %d-bit, %d channels, through crop, resize, sharpen",
                 kinds[i].bits, kinds[i].ch);
        same_both_ways(&t, chain, "", in, "png", 0, what);
        pol__image *o = load(&t, tpath(&t, "s.png"));
        assert_int_equal(o->channels, kinds[i].ch);
        assert_int_equal(o->bit_depth, kinds[i].bits);
        pol__image_free(o);
        pol__image_free(im);
    }
    tctx_done(&t);
}

/* A PNG whose first strips no step changes (a flat top that sharpen leaves as it is): its
 * encoder starts only with the first changed strip, the rows held back decoded again and encoded
 * first; the same bits as the whole path. */
static void test_png_held_rows(void **state)
{
    (void)state;
    tctx t;
    tctx_init(&t);
    pol__image *im = make_picture(203, 180, 3, 17);
    for (int y = 0; y < 100; y++)
        for (int x = 0; x < 203 * 3; x++) pol__image_row(im, y)[x] = 0.4f;
    const char *in = tpath(&t, "flat-top.png");
    assert_int_equal(pol__image_save_path(&t.run, im, in), POL_OK);
    same_both_ways(&t, "  - sharpen: {amount: 1, radius: 1, threshold: 0}\n", "", in, "png", 0,
                   "PNG, first strips unchanged by sharpen");
    pol__image_free(im);
    tctx_done(&t);
}

/* What cannot stream stays whole: a size known only from the whole picture (resize to a width),
 * a preset, a format change, a turned picture. */
static void test_whole_when_needed(void **state)
{
    (void)state;
    tctx t;
    tctx_init(&t);
    pol__image *im = make_picture(120, 90, 3, 3);
    const char *in = tpath(&t, "p.tif");
    assert_int_equal(pol__image_save_path(&t.run, im, in), POL_OK);
    char out[256];
    snprintf(out, sizeof out, "%s/o.tif", t.dir);
    char *r = run_recipe("  - resize: {width: 60}\n", "", in, out, 0);
    assert_false(streamed(r));
    free(r);
    r = run_recipe("  - sharpen: {radius: 1}\n", "", in, out, 0); /* automatic: judged as whole */
    assert_true(streamed(r));
    free(r);
    r = run_recipe("  - crop: {aspect: \"1:1\"}\n", "", in, out, 0);
    assert_false(streamed(r));
    free(r);
    snprintf(out, sizeof out, "%s/o.png", t.dir);
    r = run_recipe("  - resize: {scale: 0.5}\n", "", in, out, 0);
    assert_false(streamed(r));
    free(r);
    r = run_recipe("  - resize: {scale: 0.5}\n", "", in, out, 0); /* (checked twice: no state) */
    assert_false(streamed(r));
    free(r);
    snprintf(out, sizeof out, "%s/o2.tif", t.dir);
    r = run_recipe("  - resize: {scale: 0.5}\n", "", in, out, 0);
    assert_true(streamed(r));
    free(r);
    pol__image_free(im);
    tctx_done(&t);
}

/* ---- polish fix, streamed: the automatic steps judge on the preview (strip.c) ----------------- */

/* `polish fix` (the automatic pipeline) on `in` into `out` (its extension picks the format).
 * Returns the report's JSON (free it). */
/* The same under `--limit memory` (0: none); *failed: the items that failed. */
static char *fix_run_mem(const char *in, const char *out, uint64_t max_memory, size_t *failed)
{
    pol_pipeline *p;
    pol_err err;
    if (pol_pipeline_new_auto(&p, &err)) fail_msg("auto: %s", err.msg);
    pol_options opt;
    pol_options_default(&opt);
    opt.threads = 2;
    opt.overwrite = 1;
    opt.limits.max_memory = max_memory;
    pol_batch b = {.mode = POL_BATCH_PROCESS, .options = &opt, .outfile = out};
    pol_report *r = pol_report_new("test");
    pol_batch_result res;
    const char *ins[] = {in};
    pol_status st = pol_batch_run(p, ins, 1, &b, r, &res, &err);
    char *js = pol_report_json(r);
    *failed = res.failed;
    if (st && st != POL_ERR_PARTIAL) fail_msg("fix: %s\n%s", err.msg, js);
    pol_report_free(r);
    pol_pipeline_free(p);
    return js;
}

static char *fix_run(const char *in, const char *out)
{
    size_t failed;
    char *js = fix_run_mem(in, out, 0, &failed);
    if (failed) fail_msg("fix failed:\n%s", js);
    return js;
}

/* The report's automatic steps as text, without what differs by path alone (timings, the
 * "streamed" flag): from the first step to the delivery step. Free it. */
static char *steps_of(const char *report)
{
    const char *a = strstr(report, "\"op\": \"image.orient\"");
    const char *b = strstr(report, "\"op\": \"image.export\"");
    assert_non_null(a);
    assert_non_null(b);
    char *out = calloc((size_t)(b - a) + 1, 1);
    size_t n = 0;
    for (const char *l = a; l < b;) {
        const char *e = memchr(l, '\n', (size_t)(b - l));
        e = e ? e + 1 : b;
        size_t len = (size_t)(e - l);
        char line[512];
        snprintf(line, sizeof line, "%.*s", (int)(len < sizeof line - 1 ? len : sizeof line - 1), l);
        if (!strstr(line, "\"seconds\"") && !strstr(line, "\"streamed\"")) {
            memcpy(out + n, l, len);
            n += len;
        }
        l = e;
    }
    return out;
}

/* The figure `key` in the report of step `op`; NAN when absent. */
static double figure(const char *report, const char *op, const char *key)
{
    char k[128];
    snprintf(k, sizeof k, "\"op\": \"image.%s\"", op);
    const char *s = strstr(report, k);
    if (!s) return NAN;
    const char *next = strstr(s + 1, "\"op\": ");
    snprintf(k, sizeof k, "\"%s\": ", key);
    const char *f = strstr(s, k);
    return f && (!next || f < next) ? strtod(f + strlen(k), NULL) : NAN;
}

/* A status of step `op` ("applied" or "declined"). */
static int applied(const char *report, const char *op)
{
    char k[128];
    snprintf(k, sizeof k, "\"op\": \"image.%s\"", op);
    const char *s = strstr(report, k);
    assert_non_null(s);
    const char *st = strstr(s, "\"status\": \"");
    assert_non_null(st);
    return !strncmp(st + 11, "applied", 7);
}

/* A real photo made soft (scaled down 3x and up again to w x h), so image.sharpen applies. */
static pol__image *soft_photo(tctx *t, const char *name, int w, int h)
{
    pol__image *ph = load_photo(t, name);
    float *px = pol__resample(NULL, ph, ph->width / 3, ph->height / 3, POL_KERNEL_LANCZOS3);
    assert_non_null(px);
    pol__image small = *ph;
    small.px = px, small.width = ph->width / 3, small.height = ph->height / 3;
    pol__image *im = pol__image_new(w, h, ph->channels);
    float *up = pol__resample(NULL, &small, w, h, POL_KERNEL_LANCZOS3);
    assert_non_null(up);
    pol__image_replace_px(im, up, w, h, ph->channels);
    pol__image_free_px(px);
    pol__image_free(ph);
    return im;
}

/* Streamed (TIFF in, TIFF out) and whole (TIFF in, PNG out: a format change keeps it whole) fix
 * of `im`; returns both reports and the largest pixel difference. */
static double fix_both_ways(tctx *t, const pol__image *im, const char *name, char **rs, char **rw)
{
    char in[256], out_s[256], out_w[256];
    snprintf(in, sizeof in, "%s/%s.tif", t->dir, name);
    snprintf(out_s, sizeof out_s, "%s/%s-s.tif", t->dir, name);
    snprintf(out_w, sizeof out_w, "%s/%s-w.png", t->dir, name);
    pol__image *c = pol__image_clone(im);
    assert_int_equal(pol__image_save_path(&t->run, c, in), POL_OK);
    pol__image_free(c);
    *rs = fix_run(in, out_s);
    *rw = fix_run(in, out_w);
    assert_false(streamed(*rw));
    pol__image *a = load(t, out_s), *b = load(t, out_w);
    assert_int_equal(a->width, b->width);
    assert_int_equal(a->height, b->height);
    double mx = 0;
    mean_abs_diff(a, b, &mx);
    pol__image_free(a);
    pol__image_free(b);
    return mx;
}

/* Up to the preview's size the preview is the picture: every step decides on the same pixels,
 * the report is the whole path's figure for figure, and sharpen (streamed with its halo) gives
 * the same pixels. */
static void test_fix_exact(void **state)
{
    (void)state;
    tctx t;
    tctx_init(&t);
    pol__image *im = soft_photo(&t, "coffee.png", 900, 600);
    char *rs, *rw;
    double mx = fix_both_ways(&t, im, "soft", &rs, &rw);
    assert_true(streamed(rs));
    assert_null(strstr(rs, "streamed_fallback"));
    assert_true(applied(rs, "sharpen"));
    char *a = steps_of(rs), *b = steps_of(rw);
    if (strcmp(a, b)) fail_msg("streamed steps differ:\n%s\nwhole:\n%s", a, b);
    print_message("  soft photo 900x600: streamed, sharpen amount %.3f, steps as whole, max "
                  "difference %g\n", figure(rs, "sharpen", "amount"), mx);
    assert_true(mx == 0);
    free(a), free(b), free(rs), free(rw);
    pol__image_free(im);
    tctx_done(&t);
}

/* `fix` of a photo that steps change, streamed and whole: what they judge on the preview (the
 * picture itself at this size) is the whole path's, applied strip by strip (the point steps'
 * curves and colour's transform fused, denoise with its halo) it gives the same bits, and the
 * steps after them measure the picture as they leave it. */
static void points_exact(tctx *t, pol__image *im, const char *name, const char *must_apply)
{
    char *rs, *rw;
    double mx = fix_both_ways(t, im, name, &rs, &rw);
    const char *why = strstr(rs, "streamed_fallback");
    if (!streamed(rs) || why) fail_msg("%s: not streamed: %.200s", name, why ? why : "");
    assert_true(applied(rs, must_apply));
    char *a = steps_of(rs), *b = steps_of(rw);
    if (strcmp(a, b)) fail_msg("streamed steps differ:\n%s\nwhole:\n%s", a, b);
    print_message("  %s: streamed, %s%s%s%s%s%s%s applied, steps as whole, max difference %g\n",
                  name, applied(rs, "colour") ? "colour " : "", applied(rs, "denoise") ? "denoise " : "",
                  applied(rs, "white-balance") ? "white balance " : "",
                  applied(rs, "exposure") ? "exposure " : "", applied(rs, "tone") ? "tone " : "",
                  applied(rs, "sharpen") ? "sharpen " : "",
                  applied(rs, "straighten") ? "straighten " : "", mx);
    assert_true(mx == 0);
    free(a), free(b), free(rs), free(rw);
}

/* A colour cast: white balance's gains stream. */
static void test_fix_points_cast(void **state)
{
    (void)state;
    tctx t;
    tctx_init(&t);
    pol__image *im = load_photo(&t, "astronaut.png"); /* under a yellow light */
    for (size_t i = 0; i < (size_t)im->width * im->height; i++) im->px[i * 3 + 2] *= 0.75f;
    points_exact(&t, im, "cast", "white-balance");
    pol__image_free(im);
    tctx_done(&t);
}

/* The RGB photo `im` as taken under a light of colour `g` with the exposure `ev` (linear). */
static void light(pol__image *im, float ev, const float g[3])
{
    for (size_t i = 0; i < (size_t)im->width * im->height * 3; i++)
        im->px[i] = pol__linear_to_srgb(pol__srgb_to_linear(im->px[i]) * ev * g[i % 3]);
}

/* An exposure error (1.3 stops under, in linear light) under a cast: white balance and exposure,
 * fused in one pass over each strip. */
static void test_fix_points_fused(void **state)
{
    (void)state;
    tctx t;
    tctx_init(&t);
    pol__image *im = load_photo(&t, "astronaut.png");
    light(im, 0.4f, (const float[3]){1, 0.92f, 0.72f});
    points_exact(&t, im, "dark-cast", "white-balance");
    pol__image_free(im);
    tctx_done(&t);
}

/* A soft photo 1.5 stops under: exposure streams, and sharpen after it judges the detail measured
 * at full resolution on the source through exposure's curve, as the whole path measures it. */
static void test_fix_points_then_sharpen(void **state)
{
    (void)state;
    tctx t;
    tctx_init(&t);
    pol__image *im = soft_photo(&t, "coffee.png", 900, 600);
    light(im, 0.35f, (const float[3]){1, 0.9f, 0.7f});
    points_exact(&t, im, "dark-soft", "sharpen");
    pol__image_free(im);
    tctx_done(&t);
}

/* A photo with an Adobe RGB-like profile: colour's lcms transform, decided on the preview,
 * streams fused with the curves after it (one transform per item, shared by the threads); the
 * output carries the sRGB profile and equals the whole path's bit for bit. */
static pol__image *with_wide_profile(pol__image *im)
{
    cmsCIExyY white = {0.3127, 0.3290, 1};
    cmsCIExyYTRIPLE prim = {{0.64, 0.33, 1}, {0.21, 0.71, 1}, {0.15, 0.06, 1}};
    cmsToneCurve *g = cmsBuildGamma(NULL, 2.2);
    cmsToneCurve *curves[3] = {g, g, g};
    cmsHPROFILE h = cmsCreateRGBProfile(&white, &prim, curves);
    cmsUInt32Number len = 0;
    cmsSaveProfileToMem(h, NULL, &len);
    free(im->icc);
    im->icc = malloc(len);
    cmsSaveProfileToMem(h, im->icc, &len);
    im->icc_len = len;
    cmsCloseProfile(h);
    cmsFreeToneCurve(g);
    return im;
}

static void test_fix_colour_streams(void **state)
{
    (void)state;
    tctx t;
    tctx_init(&t);
    pol__image *im = with_wide_profile(load_photo(&t, "astronaut.png"));
    light(im, 0.5f, (const float[3]){1, 0.95f, 0.8f}); /* and the point steps after it act */
    points_exact(&t, im, "adobe", "colour");
    pol__image *o = load(&t, tpath(&t, "adobe-s.tif"));
    assert_non_null(o->icc);
    assert_true(pol__icc_is_srgb(o->icc, o->icc_len));
    pol__image_free(o);
    pol__image_free(im);
    tctx_done(&t);
}

/* Colour's matrix-shaper transform (tables for the curves and the sRGB encoding, one matrix)
 * against lcms2's float pipeline for the same profiles: 8-bit codes and other values, within a
 * 16-bit step; the report says which transform converted. */
static void test_colour_matrix_shaper(void **state)
{
    (void)state;
    tctx t;
    tctx_init(&t);
    pol__image *im = with_wide_profile(pol__image_new(256, 64, 3));
    uint64_t seed = 5;
    for (size_t i = 0; i < (size_t)256 * 64 * 3; i++)
        im->px[i] = i < (size_t)256 * 32 * 3 ? pol__u8_to_float[(int)(trand(&seed) * 256) & 255]
                                           : (float)trand(&seed);
    cmsHPROFILE in = cmsOpenProfileFromMem(im->icc, (cmsUInt32Number)im->icc_len);
    cmsHPROFILE out = cmsCreate_sRGBProfile();
    cmsHTRANSFORM xf = cmsCreateTransform(in, TYPE_RGB_FLT, out, TYPE_RGB_FLT, INTENT_PERCEPTUAL,
                                          cmsFLAGS_NOCACHE | cmsFLAGS_BLACKPOINTCOMPENSATION);
    assert_non_null(xf);
    size_t n = (size_t)im->width * im->height;
    float *want = malloc(n * 3 * sizeof(float));
    cmsDoTransform(xf, im->px, want, (cmsUInt32Number)n);
    cmsDeleteTransform(xf);
    cmsCloseProfile(in);
    cmsCloseProfile(out);
    const char *path = tpath(&t, "wide.tif");
    assert_int_equal(pol__image_save_path(&t.run, im, path), POL_OK);
    assert_int_equal(pol__image_to_srgb(&t.run, im, INTENT_PERCEPTUAL, 1, 1), POL_OK);
    double mx = 0;
    for (size_t i = 0; i < n * 3; i++) {
        float w = want[i] < 0 ? 0 : want[i] > 1 ? 1 : want[i];
        mx = fmax(mx, fabs((double)im->px[i] - w));
    }
    char out_dir[256];
    snprintf(out_dir, sizeof out_dir, "%s/cw", t.dir);
    char *r = run_recipe("  - colour: {}\n", "", path, out_dir, 1);
    print_message("  matrix-shaper against lcms2: max difference %.2g\n", mx);
    assert_non_null(strstr(r, "matrix-shaper tables"));
    assert_true(mx <= 1.0 / 65535);
    free(r);
    free(want);
    pol__image_free(im);
    tctx_done(&t);
}

/* Gaussian noise of `sigma` 8-bit levels on every colour sample (Box-Muller). */
static void add_noise(pol__image *im, double sigma, uint64_t seed)
{
    size_t n = (size_t)im->width * im->height * im->channels;
    for (size_t i = 0; i < n; i++) {
        double u = trand(&seed) * 0.999 + 0.0005, v = trand(&seed);
        double g = sqrt(-2 * log(u)) * cos(6.283185307179586 * v);
        double x = im->px[i] + g * sigma / 255;
        im->px[i] = (float)(x < 0 ? 0 : x > 1 ? 1 : x);
    }
}

/* A noisy photo: denoise decides on the preview (noise measured in its flat areas at full
 * resolution), then filters strip by strip with its halo; sharpen after it judges the detail
 * measured again on the source through denoise. Bit for bit the whole path's. */
static void test_fix_denoise_streams(void **state)
{
    (void)state;
    tctx t;
    tctx_init(&t);
    pol__image *im = load_photo(&t, "coffee.png");
    add_noise(im, 7, 11);
    points_exact(&t, im, "noisy", "denoise");
    pol__image_free(im);
    tctx_done(&t);
}

/* Denoise at a given sigma after a crop that starts on an odd row (the strips then start on odd
 * rows of the picture denoise sees), 8 and 16 bit, grey and RGB with alpha. */
static void test_denoise_strips_odd_rows(void **state)
{
    (void)state;
    tctx t;
    tctx_init(&t);
    static const int chans[] = {1, 4, 3};
    for (int i = 0; i < 3; i++) {
        pol__image *im = make_picture(173, 301, chans[i], 40 + (uint64_t)i);
        add_noise(im, 9, 5 + (uint64_t)i);
        const char *in = tpath(&t, i == 2 ? "n16.tif" : "n.tif");
        write_tiled(in, im, i == 2 ? 16 : 8, 64, 48);
        char what[64];
        snprintf(what, sizeof what, "denoise after a crop at row 7, %d channels", chans[i]);
        same_both_ways(&t, "  - crop: {box: \"3,7,160,280\"}\n  - denoise: {sigma: 9}\n",
                       "format: tiff", in, "tif", 0, what);
        same_both_ways(&t, "  - denoise: {sigma: 14, strength: 0.8}\n", "format: tiff", in, "tif",
                       0, "denoise at sigma 14 (7x7 window)");
        pol__image_free(im);
    }
    tctx_done(&t);
}

/* Beyond the preview's size the point steps judge a box-reduced preview; their working copies
 * average the same blocks of source pixels as the whole path's (pol__qsmall_make counts its box
 * in the picture's pixels, a multiple of the preview's reduction), so their figures agree to the
 * preview's rounding (tolerances below), while the kind of picture, noise and detail are measured
 * at full resolution and agree exactly, and so does every decision and every pixel. */
static void test_fix_reduced(void **state)
{
    (void)state;
    tctx t;
    tctx_init(&t);
    pol__image *im = soft_photo(&t, "astronaut.png", 2600, 700);
    char *rs, *rw;
    double mx = fix_both_ways(&t, im, "big", &rs, &rw);
    assert_true(streamed(rs));
    assert_null(strstr(rs, "streamed_fallback"));
    static const char *const ops[] = {"white-balance", "exposure", "tone", "denoise", "sharpen",
                                      "straighten"};
    for (size_t i = 0; i < sizeof ops / sizeof *ops; i++)
        assert_int_equal(applied(rs, ops[i]), applied(rw, ops[i]));
    static const struct {
        const char *op, *key;
        double tol;
    } figs[] = {
        {"denoise", "noise_sigma", 0},       {"denoise", "texture_ratio", 0},
        {"sharpen", "detail_ratio", 0},      {"sharpen", "amount", 0},
        {"white-balance", "cast_a", 0.001},  {"white-balance", "cast_b", 0.001},
        {"exposure", "mean_lightness", 0.01}, {"exposure", "white_point", 0.01},
        {"tone", "white_point", 0.01},       {"tone", "black_point", 0.01},
    };
    for (size_t i = 0; i < sizeof figs / sizeof *figs; i++) {
        double a = figure(rs, figs[i].op, figs[i].key), b = figure(rw, figs[i].op, figs[i].key);
        print_message("  %s %s: streamed %.6g, whole %.6g\n", figs[i].op, figs[i].key, a, b);
        assert_false(isnan(a) || isnan(b));
        assert_true(fabs(a - b) <= figs[i].tol);
    }
    print_message("  soft photo 2600x700: max difference %g\n", mx);
    assert_true(mx == 0);
    free(rs), free(rw);
    pol__image_free(im);
    tctx_done(&t);
}

/* Straighten's rotation strip by strip (rotate.c): each output strip made from the band of rows
 * it reads, kept as the strips come; a given angle needs no look at the picture. Equal to the
 * whole picture's rotation, cropped or not (the corners then read the edge rows), grey, grey and
 * alpha, RGB, RGBA at 16 bit, with a crop before it and steps after it that need context
 * (sharpen's halo, a resize), and a band wider than the picture is tall. */
static void test_rotate_strips(void **state)
{
    (void)state;
    tctx t;
    tctx_init(&t);
    static const int chans[] = {1, 2, 3, 4};
    for (int i = 0; i < 4; i++) {
        pol__image *im = make_picture(900, 397, chans[i], 70 + (uint64_t)i);
        const char *in = tpath(&t, i == 3 ? "r16.tif" : "r.tif");
        write_tiled(in, im, i == 3 ? 16 : 8, 64, 48);
        char what[96];
        snprintf(what, sizeof what, "rotated 4.5 deg and cropped, %d channels", chans[i]);
        same_both_ways(&t, "  - straighten: {angle: 4.5}\n", "format: tiff", in, "tif", 0, what);
        snprintf(what, sizeof what, "rotated -2.3 deg, not cropped, %d channels", chans[i]);
        same_both_ways(&t, "  - straighten: {angle: -2.3, crop: false}\n", "format: tiff", in,
                       "tif", 0, what);
        same_both_ways(&t,
                       "  - crop: {box: \"5,9,870,380\"}\n"
                       "  - straighten: {angle: -6}\n"
                       "  - sharpen: {amount: 1.5, radius: 2, threshold: 0}\n"
                       "  - resize: {scale: 0.55}\n",
                       "format: tiff", in, "tif", 0, "crop, rotate, sharpen, resize");
        same_both_ways(&t, "  - crop: {box: \"0,40,900,250\"}\n  - straighten: {angle: 3}\n",
                       "format: tiff", in, "tif", 0, "a crop that ends above the last strips, rotate");
        pol__image_free(im);
    }
    pol__image *im = make_picture(600, 150, 3, 99);
    const char *in = tpath(&t, "wide.tif");
    write_tiled(in, im, 8, 64, 48);
    same_both_ways(&t, "  - straighten: {angle: 30, crop: false}\n  - sharpen: {amount: 1, radius: 1, threshold: 0}\n",
                   "format: tiff", in, "tif", 0, "rotated 30 deg: a band taller than the picture");
    pol__image_free(im);
    tctx_done(&t);
}

/* A tilted photo through fix: straighten judges the preview (the picture itself at this size)
 * and rotates strip by strip: the whole path's angle, crop, report and pixels, in far less
 * memory; a step after the rotation that judges the picture sends the item whole. */
static void test_fix_straighten_streams(void **state)
{
    (void)state;
    tctx t;
    tctx_init(&t);
    pol__image *im = load_photo(&t, "camera.png"); /* a level horizon and a tripod */
    assert_int_equal(pol__straighten_apply(&t.run, im, -3, 1), POL_OK);
    points_exact(&t, im, "tilted", "straighten");
    const char *in = tpath(&t, "tilted.tif");
    char out[256];
    snprintf(out, sizeof out, "%s/o.tif", t.dir);
    char *r = run_recipe("  - straighten: {angle: 2}\n  - sharpen: {radius: 1}\n", "", in, out, 0);
    assert_false(streamed(r));
    assert_non_null(strstr(r, "after straighten rotated it"));
    free(r);
    pol__image_free(im);
    tctx_done(&t);
}

/* An unchanged JPEG through fix streams and is its own entropy-coded data again: the same
 * pixels, no encoder in between. */
static void test_fix_jpeg_unchanged(void **state)
{
    (void)state;
    tctx t;
    tctx_init(&t);
    pol__image *im = load_photo(&t, "chelsea.png");
    const char *in = tpath(&t, "cat.jpg");
    im->save.quality = 92;
    assert_int_equal(pol__image_save_path(&t.run, im, in), POL_OK);
    char out[256];
    snprintf(out, sizeof out, "%s/cat-out.jpg", t.dir);
    char *r = fix_run(in, out);
    assert_true(streamed(r));
    for (size_t i = 0; i < 6; i++)
        assert_false(applied(r, (const char *[]){"white-balance", "exposure", "tone", "denoise",
                                                 "sharpen", "straighten"}[i]));
    assert_non_null(strstr(r, "written from its own DCT coefficients"));
    pol__image *a = load(&t, in), *b = load(&t, out);
    double mx = 0;
    mean_abs_diff(a, b, &mx);
    print_message("  unchanged JPEG through fix: streamed, copied, max difference %g\n", mx);
    assert_true(mx == 0);
    pol__image_free(a), pol__image_free(b);
    free(r);
    pol__image_free(im);
    tctx_done(&t);
}

/* An unchanged PNG through fix streams, and its own chunks are written again byte for byte (a
 * logo with transparency: every photographic step declines on it). */
static void test_fix_png_unchanged(void **state)
{
    (void)state;
    tctx t;
    tctx_init(&t);
    const char *in = "/usr/lib/python3/dist-packages/skimage/data/logo.png";
    char out[256];
    snprintf(out, sizeof out, "%s/logo-out.png", t.dir);
    char *r = fix_run(in, out);
    assert_true(streamed(r));
    assert_non_null(strstr(r, "the PNG's own image data was written again"));
    FILE *a = fopen(in, "rb"), *b = fopen(out, "rb");
    assert_non_null(a);
    assert_non_null(b);
    int ca, cb, same = 1;
    long n = 0;
    do {
        ca = fgetc(a), cb = fgetc(b), n++;
        same = ca == cb;
    } while (same && ca != EOF);
    fclose(a), fclose(b);
    print_message("  unchanged PNG through fix: streamed, %s after %ld bytes\n",
                  same ? "byte for byte" : "differs", n);
    assert_true(same);
    free(r);
    tctx_done(&t);
}

/* Under `--limit memory` a streamed item reserves what the stream holds, once: a 2600x1000 JPEG
 * (41.6 MB as a whole float picture, reserved by the whole path; the stream holds about 20 MB)
 * streams under a 32 MB limit that refuses it whole. */
static void test_fix_memory_limit(void **state)
{
    (void)state;
    tctx t;
    tctx_init(&t);
    pol__image *im = soft_photo(&t, "astronaut.png", 2600, 1000);
    const char *in = tpath(&t, "wide.jpg");
    assert_int_equal(pol__image_save_path(&t.run, im, in), POL_OK);
    char out[256];
    size_t failed;
    snprintf(out, sizeof out, "%s/wide-s.jpg", t.dir);
    char *r = fix_run_mem(in, out, 32u << 20, &failed);
    const char *why = strstr(r, "streamed_fallback");
    if (!why) why = strstr(r, "\"error");
    if (failed || !streamed(r)) fail_msg("not streamed under 32 MB: %.600s", why ? why : "");
    free(r);
    snprintf(out, sizeof out, "%s/wide-w.png", t.dir); /* a format change: loaded whole */
    r = fix_run_mem(in, out, 32u << 20, &failed);
    assert_int_equal(failed, 1);
    assert_non_null(strstr(r, "limit"));
    free(r);
    /* the same picture as a PNG (written as PNG: it streams too) */
    const char *png = tpath(&t, "wide.png");
    assert_int_equal(pol__image_save_path(&t.run, im, png), POL_OK);
    snprintf(out, sizeof out, "%s/wide-s.png", t.dir);
    r = fix_run_mem(png, out, 32u << 20, &failed);
    why = strstr(r, "streamed_fallback");
    if (!why) why = strstr(r, "\"error");
    if (failed || !streamed(r)) fail_msg("PNG not streamed under 32 MB: %.600s", why ? why : "");
    print_message("  2600x1000 JPEG and PNG under --limit memory=32M: streamed, and refused whole\n");
    free(r);
    pol__image_free(im);
    tctx_done(&t);
}

int main(int argc, char **argv)
{
    if (argc > 1) cmocka_set_test_filter(argv[1]); /* one test by name (a glob) */
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tiff_tiled_16bit),
        cmocka_unit_test(test_tiff_strips_resamplers),
        cmocka_unit_test(test_jpeg),
        cmocka_unit_test(test_png),
        cmocka_unit_test(test_png_held_rows),
        cmocka_unit_test(test_whole_when_needed),
        cmocka_unit_test(test_fix_exact),
        cmocka_unit_test(test_fix_points_cast),
        cmocka_unit_test(test_fix_points_fused),
        cmocka_unit_test(test_fix_points_then_sharpen),
        cmocka_unit_test(test_fix_colour_streams),
        cmocka_unit_test(test_colour_matrix_shaper),
        cmocka_unit_test(test_fix_denoise_streams),
        cmocka_unit_test(test_denoise_strips_odd_rows),
        cmocka_unit_test(test_fix_reduced),
        cmocka_unit_test(test_fix_jpeg_unchanged),
        cmocka_unit_test(test_fix_png_unchanged),
        cmocka_unit_test(test_fix_memory_limit),
        cmocka_unit_test(test_rotate_strips),
        cmocka_unit_test(test_fix_straighten_streams),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
