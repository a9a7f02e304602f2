/* polish — image codec tests: round trips of every format at 8/16 bit with alpha, bad input,
 * limits checked from the header, metadata policy on write. */
#include <gif_lib.h>
#include <sys/stat.h>
#include <libheif/heif.h>
#include <stdio.h>
#include <jpeglib.h>
#include <lcms2.h>
#include <libexif/exif-data.h>
#include <tiffio.h>
#include "test_io_util.h"

/* A 96x64 RGBA test picture: a real photo crop for texture, a ramp of transparency, and a few
 * fully transparent pixels; 16-bit values that 8 bits cannot hold. */
static pol__image *make_rgba(tctx *t, int sixteen)
{
    pol__image *photo = load_photo(t, "chelsea.png");
    pol__image *im = pol__image_new(96, 64, 4);
    assert_non_null(im);
    uint64_t seed = 7;
    for (int y = 0; y < 64; y++)
        for (int x = 0; x < 96; x++) {
            const float *s = pol__image_row(photo, y + 100) + (size_t)(x + 150) * 3;
            float *d = pol__image_row(im, y) + (size_t)x * 4;
            for (int c = 0; c < 3; c++) {
                d[c] = s[c];
                if (sixteen)
                    d[c] = (float)(round((s[c] + trand(&seed) / 255.0 * 0.9) * 65535) / 65535.0);
                if (d[c] > 1) d[c] = 1;
            }
            d[3] = x < 8 ? 0.0f : (float)(round((x / 95.0) * 255) / 255.0);
        }
    im->bit_depth = sixteen ? 16 : 8;
    pol__image_free(photo);
    return im;
}

static pol__image *roundtrip(tctx *t, pol__image *im, const char *name)
{
    const char *p = tpath(t, name);
    if (pol__image_save_path(&t->run, im, p)) fail_msg("saving %s: %s", name, t->err.msg);
    pol__image *back = NULL;
    if (pol__image_load_path(&t->run, p, &back)) fail_msg("loading %s: %s", name, t->err.msg);
    return back;
}

/* Colour error only where the pixel is visible (alpha > 0.5): invisible colour is free. */
static double visible_colour_err(const pol__image *a, const pol__image *b, double *max)
{
    double sum = 0, mx = 0;
    size_t n = 0;
    for (int y = 0; y < a->height; y++)
        for (int x = 0; x < a->width; x++) {
            const float *p = pol__image_row(a, y) + (size_t)x * a->channels;
            const float *q = pol__image_row(b, y) + (size_t)x * b->channels;
            if (a->channels == 4 && p[3] <= 0.5f) continue;
            for (int c = 0; c < 3; c++) {
                double d = fabs((double)p[c] - q[c]);
                sum += d;
                if (d > mx) mx = d;
                n++;
            }
        }
    *max = mx;
    return sum / (double)n;
}

static void test_lossless_roundtrips(void **state)
{
    (void)state;
    tctx t;
    tctx_init(&t);
    const char *names[] = {"a.png", "a.tif"};
    for (int sixteen = 0; sixteen <= 1; sixteen++)
        for (int f = 0; f < 2; f++) {
            pol__image *im = make_rgba(&t, sixteen);
            pol__image *back = roundtrip(&t, im, names[f]);
            assert_int_equal(back->channels, 4);
            assert_int_equal(back->bit_depth, sixteen ? 16 : 8);
            double mx;
            mean_abs_diff(im, back, &mx);
            /* exact up to the quantisation of the written depth */
            if (mx > (sixteen ? 0.51 / 65535 : 0.51 / 255))
                fail_msg("%s %d-bit: max error %g", names[f], sixteen ? 16 : 8, mx);
            pol__image_free(im);
            pol__image_free(back);
        }
    /* grey, 16-bit */
    pol__image *g = pol__image_new(40, 30, 1);
    for (int i = 0; i < 1200; i++) g->px[i] = (float)(i * 37 % 65536) / 65535.0f;
    g->bit_depth = 16;
    pol__image *back = roundtrip(&t, g, "g.png");
    assert_int_equal(back->channels, 1);
    double mx;
    mean_abs_diff(g, back, &mx);
    assert_true(mx < 0.51 / 65535);
    pol__image_free(back);
    /* 16-bit asked as 8: quantised to 8 bits */
    g->save.bit_depth = 8;
    back = roundtrip(&t, g, "g8.png");
    assert_int_equal(back->bit_depth, 8);
    mean_abs_diff(g, back, &mx);
    assert_true(mx < 0.51 / 255 && mx > 0.5 / 65535);
    pol__image_free(back);
    pol__image_free(g);
    tctx_done(&t);
}

static void test_lossy_roundtrips(void **state)
{
    (void)state;
    tctx t;
    tctx_init(&t);
    struct {
        const char *name;
        double mean_bound;
        int keeps_alpha;
        int needs_encoder; /* 1 HEVC, 2 AV1 */
    } cases[] = {
        {"a.jpg", 0.012, 0, 0},
        {"a.webp", 0.02, 1, 0},
        {"a.heic", 0.03, 1, 1},
        {"a.avif", 0.03, 1, 2},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        if (cases[i].needs_encoder &&
            !heif_have_encoder_for_format(cases[i].needs_encoder == 1 ? heif_compression_HEVC
                                                                      : heif_compression_AV1)) {
            /* no encoder: a clear refusal instead of a file */
            pol__image *im = make_rgba(&t, 0);
            assert_int_equal(pol__image_save_path(&t.run, im, tpath(&t, cases[i].name)),
                             POL_ERR_UNSUPPORTED);
            pol__image_free(im);
            continue;
        }
        for (int sixteen = 0; sixteen <= 1; sixteen++) {
            pol__image *im = make_rgba(&t, sixteen);
            im->save.quality = 92;
            pol__image *back = roundtrip(&t, im, cases[i].name);
            assert_int_equal(back->channels, cases[i].keeps_alpha ? 4 : 3);
            pol__image *ref = cases[i].keeps_alpha ? im : pol__image_with_channels(im, 3);
            double mx, mean = visible_colour_err(ref, back, &mx);
            if (mean > cases[i].mean_bound)
                fail_msg("%s: mean error %g over %g", cases[i].name, mean, cases[i].mean_bound);
            if (cases[i].keeps_alpha) {
                double amax = 0;
                for (size_t k = 0; k < 96 * 64; k++) {
                    double d = fabs((double)im->px[k * 4 + 3] - back->px[k * 4 + 3]);
                    if (d > amax) amax = d;
                }
                if (amax > 0.02) fail_msg("%s: alpha error %g", cases[i].name, amax);
            }
            /* a different picture must not pass the same bound */
            pol__image *other = make_rgba(&t, sixteen);
            for (size_t k = 0; k < 96 * 64 * 4; k++) other->px[k] = 1.0f - other->px[k] * 0.5f;
            for (size_t k = 0; k < 96 * 64; k++) other->px[k * 4 + 3] = im->px[k * 4 + 3];
            pol__image *oref = cases[i].keeps_alpha ? other : pol__image_with_channels(other, 3);
            assert_true(visible_colour_err(oref, back, &mx) > cases[i].mean_bound);
            if (oref != other) pol__image_free(oref);
            pol__image_free(other);
            if (ref != im) pol__image_free(ref);
            pol__image_free(im);
            pol__image_free(back);
        }
    }
    tctx_done(&t);
}

static void write_bytes(const char *path, const void *data, size_t n)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(data, 1, n, f), n);
    fclose(f);
}

static uint32_t crc32_of(const unsigned char *p, size_t n)
{
    uint32_t c = 0xffffffffu;
    for (size_t i = 0; i < n; i++) {
        c ^= p[i];
        for (int k = 0; k < 8; k++) c = c & 1 ? (c >> 1) ^ 0xedb88320u : c >> 1;
    }
    return c ^ 0xffffffffu;
}

static void be32(unsigned char *p, uint32_t v)
{
    p[0] = v >> 24, p[1] = v >> 16, p[2] = v >> 8, p[3] = (unsigned char)v;
}

static void test_png_header_over_limit(void **state)
{
    (void)state;
    tctx t;
    tctx_init(&t);
    unsigned char png[8 + 25 + 12 + 12];
    memcpy(png, "\x89PNG\r\n\x1a\n", 8);
    unsigned char *c = png + 8;
    be32(c, 13);
    memcpy(c + 4, "IHDR", 4);
    be32(c + 8, 60000);
    be32(c + 12, 60000);
    c[16] = 8, c[17] = 2, c[18] = 0, c[19] = 0, c[20] = 0;
    be32(c + 21, crc32_of(c + 4, 17));
    c += 25;
    be32(c, 0); /* an empty IDAT: the decoder must never get this far */
    memcpy(c + 4, "IDAT", 4);
    be32(c + 8, crc32_of(c + 4, 4));
    c += 12;
    be32(c, 0);
    memcpy(c + 4, "IEND", 4);
    be32(c + 8, crc32_of(c + 4, 4));
    const char *p = tpath(&t, "huge.png");
    write_bytes(p, png, sizeof png);
    pol__image *im = NULL;
    assert_int_equal(pol__image_load_path(&t.run, p, &im), POL_ERR_LIMIT);
    assert_null(im);
    assert_non_null(strstr(t.err.msg, "60000x60000"));
    assert_non_null(strstr(t.err.msg, "limit"));
    /* the same header under a raised limit gets past the check and fails on the data instead */
    t.opt.limits.max_pixels = 3600000001ull;
    pol_err_clear(&t.err);
    be32(png + 8 + 8, 600);
    be32(png + 8 + 12, 600);
    be32(png + 8 + 21, crc32_of(png + 8 + 4, 17));
    write_bytes(p, png, sizeof png);
    assert_int_equal(pol__image_load_path(&t.run, p, &im), POL_ERR_CORRUPT);
    tctx_done(&t);
}

static void test_limits_bytes_and_pixels(void **state)
{
    (void)state;
    tctx t;
    tctx_init(&t);
    pol__image *im = make_rgba(&t, 0);
    const char *p = tpath(&t, "x.jpg");
    assert_int_equal(pol__image_save_path(&t.run, im, p), POL_OK);
    pol__image *back = NULL;
    t.opt.limits.max_pixels = 96 * 64 - 1;
    assert_int_equal(pol__image_load_path(&t.run, p, &back), POL_ERR_LIMIT);
    t.opt.limits.max_pixels = 96 * 64;
    assert_int_equal(pol__image_load_path(&t.run, p, &back), POL_OK);
    pol__image_free(back);
    t.opt.limits.max_bytes = 10;
    assert_int_equal(pol__image_load_path(&t.run, p, &back), POL_ERR_LIMIT);
    pol__image_free(im);
    tctx_done(&t);
}

static void test_truncated_jpeg(void **state)
{
    (void)state;
    tctx t;
    tctx_init(&t);
    pol__image *photo = load_photo(&t, "coffee.png");
    const char *p = tpath(&t, "full.jpg");
    assert_int_equal(pol__image_save_path(&t.run, photo, p), POL_OK);
    FILE *f = fopen(p, "rb");
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    unsigned char *buf = malloc((size_t)n);
    assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
    fclose(f);
    const char *tp = tpath(&t, "cut.jpg");
    write_bytes(tp, buf, (size_t)n * 6 / 10);
    pol__image *im = NULL;
    assert_int_equal(pol__image_load_path(&t.run, tp, &im), POL_ERR_CORRUPT);
    assert_null(im);
    assert_non_null(strstr(t.err.msg, "lenient"));
    /* salvage on request: the top of the picture is what was there */
    t.opt.lenient = 1;
    pol_err_clear(&t.err);
    assert_int_equal(pol__image_load_path(&t.run, tp, &im), POL_OK);
    assert_int_equal(im->width, photo->width);
    double d = 0;
    for (int x = 0; x < photo->width * 3; x++)
        d += fabs((double)pol__image_row(im, 10)[x] - pol__image_row(photo, 10)[x]);
    assert_true(d / (photo->width * 3) < 0.02);
    pol__image_free(im);
    pol__image_free(photo);
    free(buf);
    tctx_done(&t);
}

static void test_truncated_png_and_tiff(void **state)
{
    (void)state;
    tctx t;
    tctx_init(&t);
    pol__image *photo = load_photo(&t, "coffee.png");
    const char *names[] = {"full.png", "full.tif"};
    for (int f = 0; f < 2; f++) {
        const char *p = tpath(&t, names[f]);
        assert_int_equal(pol__image_save_path(&t.run, photo, p), POL_OK);
        FILE *fp = fopen(p, "rb");
        fseek(fp, 0, SEEK_END);
        long n = ftell(fp);
        fseek(fp, 0, SEEK_SET);
        unsigned char *buf = malloc((size_t)n);
        assert_int_equal(fread(buf, 1, (size_t)n, fp), (size_t)n);
        fclose(fp);
        /* PNG loses its last rows; our TIFF writer puts the directory last, so it loses that */
        const char *cut = tpath(&t, f ? "cut.tif" : "cut.png");
        write_bytes(cut, buf, (size_t)n / 2);
        free(buf);
        pol__image *im = NULL;
        t.opt.lenient = 0;
        pol_status st = pol__image_load_path(&t.run, cut, &im);
        if (st != POL_ERR_CORRUPT) fail_msg("%s: status %d (%s)", cut, st, t.err.msg);
        assert_null(im);
    }
    pol__image_free(photo);
    tctx_done(&t);
}

/* A made-up CMYK profile in which ink darkens the opposite way from usual: cyan ink makes red,
 * so a loader that ignores the profile gets the colours wrong. */
static cmsInt32Number odd_cmyk(const cmsUInt16Number in[], cmsUInt16Number out[], void *user)
{
    (void)user;
    double c = in[0] / 65535.0, m = in[1] / 65535.0, y = in[2] / 65535.0, k = in[3] / 65535.0;
    float f[3] = {(float)((1 - y) * (1 - k)), (float)((1 - c) * (1 - k)),
                  (float)((1 - c) * (1 - m) * (1 - k))},
          lab[3];
    pol__srgb_to_lab(f, lab);
    cmsCIELab L = {lab[0], lab[1], lab[2]};
    cmsFloat2LabEncodedV2(out, &L);
    return 1;
}

static unsigned char *make_cmyk_profile(cmsUInt32Number *len)
{
    cmsHPROFILE h = cmsCreateProfilePlaceholder(NULL);
    cmsSetProfileVersion(h, 2.1);
    cmsSetDeviceClass(h, cmsSigOutputClass);
    cmsSetColorSpace(h, cmsSigCmykData);
    cmsSetPCS(h, cmsSigLabData);
    cmsPipeline *p = cmsPipelineAlloc(NULL, 4, 3);
    cmsStage *clut = cmsStageAllocCLut16bit(NULL, 9, 4, 3, NULL);
    cmsStageSampleCLut16bit(clut, odd_cmyk, NULL, 0);
    cmsPipelineInsertStage(p, cmsAT_END, clut);
    cmsWriteTag(h, cmsSigAToB0Tag, p);
    cmsPipelineFree(p);
    cmsMLU *d = cmsMLUalloc(NULL, 1);
    cmsMLUsetASCII(d, "en", "US", "odd test CMYK");
    cmsWriteTag(h, cmsSigProfileDescriptionTag, d);
    cmsMLUfree(d);
    cmsSaveProfileToMem(h, NULL, len);
    unsigned char *buf = malloc(*len);
    cmsSaveProfileToMem(h, buf, len);
    cmsCloseProfile(h);
    return buf;
}

static void test_cmyk_jpeg_profile(void **state)
{
    (void)state;
    tctx t;
    tctx_init(&t);
    cmsUInt32Number icc_len;
    unsigned char *icc = make_cmyk_profile(&icc_len);
    /* 8x8 of pure cyan ink; libjpeg marks CMYK with an Adobe segment, and readers then take the
     * values as Photoshop writes them: inverted (255 = no ink) */
    const char *p = tpath(&t, "cmyk.jpg");
    FILE *f = fopen(p, "wb");
    struct jpeg_compress_struct c;
    struct jpeg_error_mgr e;
    c.err = jpeg_std_error(&e);
    jpeg_create_compress(&c);
    jpeg_stdio_dest(&c, f);
    c.image_width = c.image_height = 8;
    c.input_components = 4;
    c.in_color_space = JCS_CMYK;
    jpeg_set_defaults(&c);
    jpeg_set_quality(&c, 100, TRUE);
    jpeg_start_compress(&c, TRUE);
    jpeg_write_icc_profile(&c, icc, icc_len);
    JSAMPLE row[32];
    for (int i = 0; i < 32; i++) row[i] = i % 4 == 0 ? 0 : 255;
    JSAMPROW rp = row;
    for (int y = 0; y < 8; y++) jpeg_write_scanlines(&c, &rp, 1);
    jpeg_finish_compress(&c);
    jpeg_destroy_compress(&c);
    fclose(f);
    pol__image *im = NULL;
    assert_int_equal(pol__image_load_path(&t.run, p, &im), POL_OK);
    assert_int_equal(im->channels, 3);
    assert_true(im->srgb);
    const float *px = pol__image_row(im, 4) + 4 * 3;
    /* the profile says cyan ink is red (1, 0, 0); the usual reading would be (0, 1, 1) */
    if (!(px[0] > 0.8f && px[1] < 0.2f && px[2] < 0.2f))
        fail_msg("CMYK through the profile gave %g %g %g", px[0], px[1], px[2]);
    pol__image_free(im);
    free(icc);
    tctx_done(&t);
}

static void test_not_images(void **state)
{
    (void)state;
    tctx t;
    tctx_init(&t);
    pol__image *im = NULL;
    const char *empty = tpath(&t, "empty.jpg");
    write_bytes(empty, "", 0);
    assert_int_equal(pol__image_load_path(&t.run, empty, &im), POL_ERR_EMPTY);
    const char *text = tpath(&t, "notes.jpg");
    const char msg[] = "this is a text file, not a photo\n";
    write_bytes(text, msg, sizeof msg - 1);
    assert_int_equal(pol__image_load_path(&t.run, text, &im), POL_ERR_FORMAT);
    assert_int_equal(pol__image_load_path(&t.run, tpath(&t, "missing.png"), &im),
                     POL_ERR_NOT_FOUND);
    /* a JPEG signature followed by garbage */
    unsigned char junk[300] = {0xFF, 0xD8, 0xFF, 0xE0};
    for (int i = 4; i < 300; i++) junk[i] = (unsigned char)(i * 7);
    const char *jp = tpath(&t, "junk.jpg");
    write_bytes(jp, junk, sizeof junk);
    assert_int_equal(pol__image_load_path(&t.run, jp, &im), POL_ERR_CORRUPT);
    assert_null(im);
    tctx_done(&t);
}

/* Inputs the fuzzer found problems with (tests/image/data/fuzz-*): each must load or fail
 * cleanly; the sanitizers catch leaks and bad reads. */
static void test_fuzz_regressions(void **state)
{
    (void)state;
    tctx t;
    tctx_init(&t);
    const char *src = getenv("POLISH_SRC");
    static const char *const files[] = {"fuzz-avif-nclx-leak.avif"};
    for (size_t i = 0; src && i < sizeof files / sizeof files[0]; i++) {
        char path[512];
        snprintf(path, sizeof path, "%s/tests/image/data/%s", src, files[i]);
        pol__image *im = NULL;
        pol_status st = pol__image_load_path(&t.run, path, &im);
        assert_true(st == POL_OK || st == POL_ERR_CORRUPT || st == POL_ERR_UNSUPPORTED);
        assert_true((st == POL_OK) == (im != NULL));
        pol__image_free(im);
    }
    assert_non_null(src); /* run by meson, which sets it */
    tctx_done(&t);
}

static void test_sniffing(void **state)
{
    (void)state;
    assert_string_equal(pol__image_sniff_format((const unsigned char *)"\xFF\xD8\xFF\xE1", 4),
                        "jpeg");
    assert_string_equal(pol__image_sniff_format((const unsigned char *)"\x89PNG\r\n\x1a\n", 8),
                        "png");
    assert_string_equal(pol__image_sniff_format((const unsigned char *)"RIFF\0\0\0\0WEBPVP8 ", 16),
                        "webp");
    assert_string_equal(pol__image_sniff_format((const unsigned char *)"MM\0*\0\0\0\x08", 8),
                        "tiff");
    assert_string_equal(pol__image_sniff_format((const unsigned char *)"\0\0\0\x18"
                                                                       "ftypheic\0\0\0\0mif1heic",
                                                24),
                        "heif");
    assert_string_equal(
        pol__image_sniff_format((const unsigned char *)"\0\0\0\x1c"
                                                       "ftypavif\0\0\0\0avifmif1miaf",
                                28),
        "avif");
    assert_string_equal(pol__image_sniff_format((const unsigned char *)"GIF89a", 6), "gif");
    assert_string_equal(pol__image_sniff_format((const unsigned char *)"GIF87a", 6), "gif");
    assert_null(pol__image_sniff_format((const unsigned char *)"GIF90a", 6));
    assert_string_equal(pol__image_sniff_format((const unsigned char *)"BM\0\0\0\0\0\0\0\0\x36\0"
                                                                       "\0\0\x28\0\0\0",
                                                18),
                        "bmp");
    /* "BM" alone (a text starting so) is not a bitmap */
    assert_null(pol__image_sniff_format((const unsigned char *)"BMW owners club, minutes", 24));
    assert_null(pol__image_sniff_format((const unsigned char *)"RIFF\0\0\0\0WAVE", 12));
    assert_string_equal(pol__image_format_of_ext("JPG"), "jpeg");
    assert_null(pol__image_format_of_ext("txt"));
}

static void test_metadata_policy(void **state)
{
    (void)state;
    tctx t;
    tctx_init(&t);
    unsigned char exif[1024];
    size_t n = make_exif(exif, 1, 1);
    assert_true(pol__exif_has_gps(exif, n));
    static const char xmp[] = "<x:xmpmeta><rdf:RDF><exif:GPSLatitude>48,51N</exif:GPSLatitude>"
                              "</rdf:RDF></x:xmpmeta>";
    const char *fmts[] = {"m.jpg", "m.png", "m.webp"};
    for (int f = 0; f < 3; f++)
        for (int policy = 0; policy < 4; policy++) {
            pol__image *im = make_rgba(&t, 0);
            im->exif = malloc(n);
            memcpy(im->exif, exif, n);
            im->exif_len = n;
            im->xmp = malloc(sizeof xmp - 1);
            memcpy(im->xmp, xmp, sizeof xmp - 1);
            im->xmp_len = sizeof xmp - 1;
            im->save.metadata = policy == 0 || policy == 1 ? POL_META_STRIP_PRIVATE
                                : policy == 2              ? POL_META_KEEP
                                                           : POL_META_STRIP_ALL;
            im->save.keep_copyright = policy == 1;
            pol__image *back = roundtrip(&t, im, fmts[f]);
            int gps = pol__exif_has_gps(back->exif, back->exif_len) ||
                      pol__xmp_has_gps(back->xmp, back->xmp_len);
            int copyright = mem_has(back->exif, back->exif_len, "(c) Jane Doe 2024");
            int serial = mem_has(back->exif, back->exif_len, "SERIAL123456");
            switch (policy) {
            case 0: /* default: private data gone, the rest of EXIF kept */
                assert_false(gps);
                assert_false(serial);
                assert_false(copyright);
                assert_non_null(back->exif);
                break;
            case 1: /* --keep-copyright */
                assert_false(gps);
                assert_false(serial);
                assert_true(copyright);
                assert_true(mem_has(back->exif, back->exif_len, "Jane Doe"));
                break;
            case 2: /* keep */
                assert_true(gps);
                assert_true(serial);
                assert_true(copyright);
                break;
            default:
                assert_null(back->exif);
                assert_null(back->xmp);
                break;
            }
            pol__image_free(im);
            pol__image_free(back);
        }
    tctx_done(&t);
}

/* An EXIF entry of libexif's default form for `tag`, in `ifd`. */
static ExifEntry *exif_put(ExifData *ed, ExifIfd ifd, ExifTag tag)
{
    ExifEntry *e = exif_entry_new();
    exif_content_add_entry(ed->ifd[ifd], e);
    exif_entry_initialize(e, tag);
    exif_entry_unref(e);
    return e;
}

static void exif_put_text(ExifData *ed, ExifIfd ifd, ExifTag tag, const char *v)
{
    ExifEntry *e = exif_entry_new();
    size_t n = strlen(v) + 1;
    e->tag = tag;
    e->format = EXIF_FORMAT_ASCII;
    e->components = n;
    e->size = (unsigned)n;
    e->data = malloc(n); /* freed by exif_entry_unref with the default allocator */
    memcpy(e->data, v, n);
    exif_content_add_entry(ed->ifd[ifd], e);
    exif_entry_unref(e);
}

static void test_exif_in_tiff(void **state)
{
    (void)state;
    tctx t;
    tctx_init(&t);
    /* A camera's EXIF: make and model, a rotated orientation (already applied to the pixels),
     * exposure, aperture, ISO, date taken, and a serial number (private). */
    ExifData *ed = exif_data_new();
    exif_data_set_byte_order(ed, EXIF_BYTE_ORDER_INTEL);
    ExifByteOrder o = EXIF_BYTE_ORDER_INTEL;
    exif_put_text(ed, EXIF_IFD_0, EXIF_TAG_MAKE, "PolishCam");
    exif_put_text(ed, EXIF_IFD_0, EXIF_TAG_MODEL, "PC-1 Mark II");
    exif_set_short(exif_put(ed, EXIF_IFD_0, EXIF_TAG_ORIENTATION)->data, o, 6);
    exif_set_rational(exif_put(ed, EXIF_IFD_0, EXIF_TAG_X_RESOLUTION)->data, o,
                      (ExifRational){72, 1});
    exif_set_rational(exif_put(ed, EXIF_IFD_EXIF, EXIF_TAG_EXPOSURE_TIME)->data, o,
                      (ExifRational){1, 250});
    exif_set_rational(exif_put(ed, EXIF_IFD_EXIF, EXIF_TAG_FNUMBER)->data, o, (ExifRational){56, 10});
    exif_set_short(exif_put(ed, EXIF_IFD_EXIF, EXIF_TAG_ISO_SPEED_RATINGS)->data, o, 200);
    exif_put_text(ed, EXIF_IFD_EXIF, EXIF_TAG_DATE_TIME_ORIGINAL, "2024:05:06 07:08:09");
    exif_put_text(ed, EXIF_IFD_EXIF, (ExifTag)0xa431, "SERIAL123456");
    unsigned char *buf = NULL;
    unsigned len = 0;
    exif_data_save_data(ed, &buf, &len);
    exif_data_unref(ed);
    assert_true(buf && len > 6);
    for (int keep = 0; keep <= 1; keep++) {
        pol__image *im = make_rgba(&t, 0);
        im->exif = malloc(len - 6);
        memcpy(im->exif, buf + 6, len - 6);
        im->exif_len = len - 6;
        im->orientation = 1; /* image.orient applied the rotation */
        im->save.dpi = 300;  /* a print preset */
        im->save.metadata = keep ? POL_META_KEEP : POL_META_STRIP_PRIVATE;
        const char *p = tpath(&t, "e.tif");
        if (pol__image_save_path(&t.run, im, p)) fail_msg("saving e.tif: %s", t.err.msg);
        pol__image_free(im);
        /* Read back with libtiff itself, as any TIFF reader would. */
        TIFF *tf = TIFFOpen(p, "r");
        assert_non_null(tf);
        char *s = NULL;
        assert_true(TIFFGetField(tf, TIFFTAG_MAKE, &s) && !strcmp(s, "PolishCam"));
        assert_true(TIFFGetField(tf, TIFFTAG_MODEL, &s) && !strcmp(s, "PC-1 Mark II"));
        uint16_t orient = 0, unit = 0;
        float xres = 0;
        assert_true(TIFFGetField(tf, TIFFTAG_ORIENTATION, &orient));
        assert_int_equal(orient, 1);
        assert_true(TIFFGetField(tf, TIFFTAG_XRESOLUTION, &xres));
        assert_true(fabs(xres - 300) < 0.01);
        assert_true(TIFFGetField(tf, TIFFTAG_RESOLUTIONUNIT, &unit) && unit == RESUNIT_INCH);
        uint64_t off = 0;
        assert_true(TIFFGetField(tf, TIFFTAG_EXIFIFD, &off) && off > 0);
        assert_true(TIFFReadEXIFDirectory(tf, off));
        /* libtiff 4.5 gives these rationals as float (its field's set/get size) */
        const TIFFField *fe = TIFFFieldWithTag(tf, EXIFTAG_EXPOSURETIME);
        assert_non_null(fe);
        double et = 0, fn = 0;
        if (TIFFFieldSetGetSize(fe) == 4) {
            float a = 0, b = 0;
            assert_true(TIFFGetField(tf, EXIFTAG_EXPOSURETIME, &a));
            assert_true(TIFFGetField(tf, EXIFTAG_FNUMBER, &b));
            et = a, fn = b;
        } else {
            assert_true(TIFFGetField(tf, EXIFTAG_EXPOSURETIME, &et));
            assert_true(TIFFGetField(tf, EXIFTAG_FNUMBER, &fn));
        }
        assert_true(fabs(et - 1.0 / 250) < 1e-6);
        assert_true(fabs(fn - 5.6) < 1e-4);
        uint16_t niso = 0, *iso = NULL;
        assert_true(TIFFGetField(tf, EXIFTAG_ISOSPEEDRATINGS, &niso, &iso));
        assert_true(niso == 1 && iso[0] == 200);
        assert_true(TIFFGetField(tf, EXIFTAG_DATETIMEORIGINAL, &s) &&
                    !strcmp(s, "2024:05:06 07:08:09"));
        /* the serial number goes with the default policy, stays with --metadata keep */
        s = NULL;
        int has_serial = TIFFGetField(tf, 0xa431, &s) && s && !strcmp(s, "SERIAL123456");
        assert_int_equal(has_serial, keep);
        TIFFClose(tf);
        /* and polish reads its own TIFF back: pixels, resolution */
        pol__image *back = NULL;
        if (pol__image_load_path(&t.run, p, &back)) fail_msg("loading e.tif: %s", t.err.msg);
        assert_true(fabs(back->dpi - 300) < 0.1);
        pol__image_free(back);
    }
    free(buf);
    tctx_done(&t);
}

static void test_icc_and_dpi_kept(void **state)
{
    (void)state;
    tctx t;
    tctx_init(&t);
    pol__image *src = load_photo(&t, "astronaut.png"); /* carries an ICC profile */
    assert_non_null(src->icc);
    const char *fmts[] = {"i.jpg", "i.png", "i.webp", "i.tif"};
    for (int f = 0; f < 4; f++) {
        pol__image *im = pol__image_clone(src);
        im->save.dpi = 300;
        pol__image *back = roundtrip(&t, im, fmts[f]);
        assert_int_equal(back->icc_len, src->icc_len);
        assert_memory_equal(back->icc, src->icc, src->icc_len);
        if (f != 2) assert_true(fabs(back->dpi - 300) < 0.1); /* WebP has no resolution field */
        pol__image_free(back);
        im->save.keep_icc = 0;
        back = roundtrip(&t, im, fmts[f]);
        assert_null(back->icc);
        pol__image_free(back);
        pol__image_free(im);
    }
    pol__image_free(src);
    tctx_done(&t);
}

static void test_output_is_atomic(void **state)
{
    (void)state;
    tctx t;
    tctx_init(&t);
    pol__image *im = make_rgba(&t, 0);
    /* an encoder failure leaves nothing behind: WebP refuses sides over 16383 */
    pol__image *wide = pol__image_new(17000, 1, 3);
    memset(wide->px, 0, 17000 * 3 * sizeof(float));
    assert_int_not_equal(pol__image_save_path(&t.run, wide, tpath(&t, "w.webp")), POL_OK);
    struct stat st;
    assert_int_not_equal(stat(tpath(&t, "w.webp"), &st), 0);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "test -z \"$(ls -A '%s')\"", t.dir);
    assert_int_equal(system(cmd), 0); /* no temporary left either */
    /* an existing output is not replaced without overwrite */
    t.opt.overwrite = 0;
    assert_int_equal(pol__image_save_path(&t.run, im, tpath(&t, "o.png")), POL_OK);
    assert_int_equal(pol__image_save_path(&t.run, im, tpath(&t, "o.png")), POL_ERR_EXISTS);
    pol__image_free(wide);
    pol__image_free(im);
    tctx_done(&t);
}

static void test_shared_pixels(void **state)
{
    (void)state;
    pol__image *a = pol__image_new(2048, 1100, 3); /* large enough for the buffer pool too */
    size_t n = (size_t)2048 * 1100 * 3;
    for (size_t i = 0; i < n; i++) a->px[i] = (float)(i % 255) / 255.0f;
    pol__image *b = pol__image_clone_shared(a), *c = pol__image_clone_shared(a);
    assert_ptr_equal(b->px, a->px);
    /* writing needs its own pixels; the others keep theirs */
    assert_true(pol__image_own_px(b));
    assert_ptr_not_equal(b->px, a->px);
    b->px[0] = 0.5f;
    assert_true(a->px[0] == 0.0f && c->px[0] == 0.0f);
    /* the original can go first: the copy still reads valid memory (ASan would say) */
    pol__image_free(a);
    assert_true(c->px[n - 1] == (float)((n - 1) % 255) / 255.0f);
    assert_true(pol__image_own_px(c)); /* sole holder now: nothing to copy, still fine */
    pol__image_free(c);
    pol__image_free(b);
}

/* A 16-bit source goes to HEIC at 10 bits and to AVIF at 12, and reads back deep: a smooth
 * ramp keeps steps finer than 8 bits can hold. */
static void test_heif_deep(void **state)
{
    (void)state;
    tctx t;
    tctx_init(&t);
    pol__image *im = pol__image_new(128, 32, 3);
    assert_non_null(im);
    for (int y = 0; y < 32; y++)
        for (int x = 0; x < 128; x++)
            for (int c = 0; c < 3; c++)
                pol__image_row(im, y)[x * 3 + c] = (float)(0.40 + 0.02 * x / 127.0 + 0.01 * c);
    im->bit_depth = 16;
    static const char *const names[2] = {"d.heic", "d.avif"};
    for (int k = 0; k < 2; k++) {
        const char *fmt = k ? "avif" : "heif";
        if (!heif_have_encoder_for_format(k ? heif_compression_AV1 : heif_compression_HEVC))
            continue;
        (void)fmt;
        pol__image *back = roundtrip(&t, im, names[k]);
        assert_int_equal(back->bit_depth, 16); /* read back as more than 8 bits */
        /* the ramp spans 5 levels of 8 bits: more than 5 distinct values come back */
        int distinct = 0;
        float last = -1;
        for (int x = 0; x < 128; x++) {
            float v = pol__image_row(back, 16)[x * 3 + 1];
            if (fabsf(v - last) > 1e-6f) distinct++;
            last = v;
        }
        print_message("%s: %d distinct values over a ramp of 5 8-bit levels\n", names[k], distinct);
        assert_true(distinct > 12);
        pol__image_free(back);
    }
    pol__image_free(im);
    tctx_done(&t);
}

/* ---- GIF and BMP readers ---- */

/* A 7x5 screen; frame 1 is 5x4 at (1, 1), interlaced, palette index 3 transparent; frame 2
 * covers the screen. Pixel (fx, fy) of frame 1 has index (fx + 2 * fy) % 4. */
static const GifColorType gif_pal[4] = {{200, 10, 20}, {0, 128, 255}, {250, 250, 250}, {9, 9, 9}};

static void write_gif(const char *path, int frames)
{
    int err = 0;
    GifFileType *g = EGifOpenFileName(path, false, &err);
    assert_non_null(g);
    ColorMapObject *map = GifMakeMapObject(4, gif_pal);
    assert_non_null(map);
    EGifSetGifVersion(g, true);
    assert_int_equal(EGifPutScreenDesc(g, 7, 5, 2, 0, map), GIF_OK);
    GraphicsControlBlock gcb = {0, false, 0, 3};
    GifByteType ext[4];
    EGifGCBToExtension(&gcb, ext);
    assert_int_equal(EGifPutExtension(g, GRAPHICS_EXT_FUNC_CODE, 4, ext), GIF_OK);
    assert_int_equal(EGifPutImageDesc(g, 1, 1, 5, 4, true, NULL), GIF_OK);
    /* interlaced: rows in the order 0, then 2 (pass 3), then 1, 3 (pass 4) */
    static const int order[4] = {0, 2, 1, 3};
    for (int r = 0; r < 4; r++) {
        GifPixelType line[5];
        for (int x = 0; x < 5; x++) line[x] = (GifPixelType)((x + 2 * order[r]) % 4);
        assert_int_equal(EGifPutLine(g, line, 5), GIF_OK);
    }
    for (int f = 1; f < frames; f++) {
        assert_int_equal(EGifPutImageDesc(g, 0, 0, 7, 5, false, NULL), GIF_OK);
        GifPixelType line[7] = {1, 1, 1, 1, 1, 1, 1};
        for (int y = 0; y < 5; y++) assert_int_equal(EGifPutLine(g, line, 7), GIF_OK);
    }
    GifFreeMapObject(map);
    assert_int_equal(EGifCloseFile(g, &err), GIF_OK);
}

static void test_gif_first_frame(void **state)
{
    (void)state;
    tctx t;
    tctx_init(&t);
    for (int frames = 1; frames <= 3; frames += 2) {
        const char *p = tpath(&t, "a.gif");
        write_gif(p, frames);
        pol__image *im = NULL;
        if (pol__image_load_path(&t.run, p, &im)) fail_msg("GIF: %s", t.err.msg);
        assert_string_equal(im->format, "gif");
        assert_int_equal(im->width, 7);
        assert_int_equal(im->height, 5);
        assert_int_equal(im->channels, 4); /* transparent index used, and the frame is smaller */
        for (int y = 0; y < 5; y++)
            for (int x = 0; x < 7; x++) {
                const float *q = pol__image_row(im, y) + (size_t)x * 4;
                int fx = x - 1, fy = y - 1;
                int in = fx >= 0 && fy >= 0 && fx < 5 && fy < 4;
                int idx = in ? (fx + 2 * fy) % 4 : -1;
                if (!in || idx == 3) {
                    assert_true(q[3] == 0.0f); /* outside the frame, or transparent */
                    continue;
                }
                assert_true(q[3] == 1.0f);
                assert_int_equal(pol__float_to_u8(q[0]), gif_pal[idx].Red);
                assert_int_equal(pol__float_to_u8(q[1]), gif_pal[idx].Green);
                assert_int_equal(pol__float_to_u8(q[2]), gif_pal[idx].Blue);
            }
        /* written as PNG without loss (no GIF writer) */
        const char *o = tpath(&t, "a.png");
        if (pol__image_save_path(&t.run, im, o)) fail_msg("saving: %s", t.err.msg);
        pol__image *back = NULL;
        if (pol__image_load_path(&t.run, o, &back)) fail_msg("PNG: %s", t.err.msg);
        double mx;
        mean_abs_diff(im, back, &mx);
        assert_true(mx < 1e-6);
        pol__image_free(back);
        pol__image_free(im);
    }
    /* an animation over the frame limit is refused, naming the limit */
    write_gif(tpath(&t, "b.gif"), 3);
    t.opt.limits.max_frames = 2;
    pol__image *im = NULL;
    assert_int_equal(pol__image_load_path(&t.run, tpath(&t, "b.gif"), &im), POL_ERR_LIMIT);
    assert_non_null(strstr(t.err.msg, "frames"));
    t.opt.limits.max_frames = 0;
    /* a truncated GIF is damaged, with no crash */
    FILE *f = fopen(tpath(&t, "a.gif"), "rb");
    unsigned char buf[64];
    size_t n = fread(buf, 1, sizeof buf, f);
    fclose(f);
    assert_true(n > 30);
    write_bytes(tpath(&t, "c.gif"), buf, 30);
    pol_err_clear(&t.err);
    assert_int_equal(pol__image_load_path(&t.run, tpath(&t, "c.gif"), &im), POL_ERR_CORRUPT);
    assert_null(im);
    tctx_done(&t);
}

/* A BMP written by hand: 24-bit bottom-up rows padded to 4 bytes, or 8-bit with a palette. */
static size_t make_bmp(unsigned char *b, int w, int h, int bpp, int x0)
{
    int pal = bpp == 8 ? 256 : 0;
    size_t row = ((size_t)w * (bpp / 8) + 3) & ~(size_t)3, off = 54 + (size_t)pal * 4;
    size_t size = off + row * (size_t)h;
    memset(b, 0, size);
    b[0] = 'B', b[1] = 'M';
    eb32(b + 2, (uint32_t)size);
    eb32(b + 10, (uint32_t)off);
    eb32(b + 14, 40);
    eb32(b + 18, (uint32_t)w);
    eb32(b + 22, (uint32_t)h);
    eb16(b + 26, 1);
    eb16(b + 28, (unsigned)bpp);
    eb32(b + 34, (uint32_t)(row * (size_t)h));
    for (int i = 0; i < pal; i++) { /* B, G, R, 0 */
        b[54 + i * 4] = (unsigned char)(255 - i);
        b[54 + i * 4 + 1] = (unsigned char)i;
        b[54 + i * 4 + 2] = (unsigned char)(i * 7);
    }
    for (int y = 0; y < h; y++) {
        unsigned char *r = b + off + row * (size_t)(h - 1 - y); /* bottom-up */
        for (int x = 0; x < w; x++) {
            int v = (x0 + x * 31 + y * 17) & 255;
            if (bpp == 8) {
                r[x] = (unsigned char)v;
            } else {
                r[x * 3] = (unsigned char)v;           /* B */
                r[x * 3 + 1] = (unsigned char)(v ^ 85); /* G */
                r[x * 3 + 2] = (unsigned char)(255 - v); /* R */
            }
        }
    }
    return size;
}

static void test_bmp_read(void **state)
{
    (void)state;
    tctx t;
    tctx_init(&t);
    static unsigned char b[54 + 1024 + 8 * 5 * 3 + 64];
    for (int bpp = 8; bpp <= 24; bpp += 16) {
        size_t n = make_bmp(b, 5, 3, bpp, 40);
        write_bytes(tpath(&t, "a.bmp"), b, n);
        pol__image *im = NULL;
        if (pol__image_load_path(&t.run, tpath(&t, "a.bmp"), &im)) fail_msg("BMP: %s", t.err.msg);
        assert_string_equal(im->format, "bmp");
        assert_int_equal(im->width, 5);
        assert_int_equal(im->height, 3);
        assert_int_equal(im->channels, 3);
        for (int y = 0; y < 3; y++)
            for (int x = 0; x < 5; x++) {
                const float *q = pol__image_row(im, y) + (size_t)x * 3;
                int v = (40 + x * 31 + y * 17) & 255;
                int r = bpp == 8 ? (v * 7) & 255 : 255 - v, g = bpp == 8 ? v : v ^ 85,
                    bl = bpp == 8 ? 255 - v : v;
                assert_int_equal(pol__float_to_u8(q[0]), r);
                assert_int_equal(pol__float_to_u8(q[1]), g);
                assert_int_equal(pol__float_to_u8(q[2]), bl);
            }
        pol__image_free(im);
    }
    /* over the pixel limit: refused from the header */
    size_t n = make_bmp(b, 5, 3, 24, 0);
    eb32(b + 18, 40000);
    eb32(b + 22, 40000);
    write_bytes(tpath(&t, "big.bmp"), b, n);
    t.opt.limits.max_pixels = 1000000;
    pol__image *im = NULL;
    assert_int_equal(pol__image_load_path(&t.run, tpath(&t, "big.bmp"), &im), POL_ERR_LIMIT);
    /* truncated pixel data: damaged, no crash */
    n = make_bmp(b, 5, 3, 24, 0);
    write_bytes(tpath(&t, "short.bmp"), b, 60);
    pol_err_clear(&t.err);
    assert_int_equal(pol__image_load_path(&t.run, tpath(&t, "short.bmp"), &im), POL_ERR_CORRUPT);
    assert_null(im);
    tctx_done(&t);
}

static void test_domain_table(void **state)
{
    (void)state;
    assert_int_equal(pol_op_count("image"), 12);
    assert_ptr_equal(pol__image_domain.ops, pol__image_ops);
    for (const char *const *s = pol__image_domain.auto_steps; *s; s++)
        assert_non_null(pol_op_find("image", *s));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_domain_table),
        cmocka_unit_test(test_shared_pixels),
        cmocka_unit_test(test_sniffing),
        cmocka_unit_test(test_gif_first_frame),
        cmocka_unit_test(test_heif_deep),
        cmocka_unit_test(test_bmp_read),
        cmocka_unit_test(test_fuzz_regressions),
        cmocka_unit_test(test_lossless_roundtrips),
        cmocka_unit_test(test_lossy_roundtrips),
        cmocka_unit_test(test_png_header_over_limit),
        cmocka_unit_test(test_limits_bytes_and_pixels),
        cmocka_unit_test(test_truncated_jpeg),
        cmocka_unit_test(test_truncated_png_and_tiff),
        cmocka_unit_test(test_cmyk_jpeg_profile),
        cmocka_unit_test(test_not_images),
        cmocka_unit_test(test_metadata_policy),
        cmocka_unit_test(test_icc_and_dpi_kept),
        cmocka_unit_test(test_exif_in_tiff),
        cmocka_unit_test(test_output_is_atomic),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
