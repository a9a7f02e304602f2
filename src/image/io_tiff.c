/* polish — TIFF read/write with libtiff: strips and tiles, 8/16-bit, grey/RGB, alpha, ICC, XMP,
 * resolution, EXIF (IFD0 text tags and an EXIF sub-IFD); other layouts (palette, CMYK, YCbCr, 1-bit) through libtiff's RGBA reader. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <lcms2.h>
#include <libexif/exif-data.h>
#include <tiffio.h>
#include "image/image_io.h"

typedef struct tmsg {
    char err[400];
    int n_err;
} tmsg;

/* libtiff would print to stderr; keep its first error for our message instead. */
static int on_error(TIFF *t, void *user, const char *module, const char *fmt, va_list ap)
{
    (void)t;
    (void)module;
    tmsg *m = user;
    if (m->n_err++ == 0) vsnprintf(m->err, sizeof m->err, fmt, ap);
    return 1;
}

static int on_warning(TIFF *t, void *user, const char *module, const char *fmt, va_list ap)
{
    (void)t, (void)user, (void)module, (void)fmt, (void)ap; /* unknown tags and the like */
    return 1;
}

static TIFFOpenOptions *open_options(tmsg *m)
{
    TIFFOpenOptions *o = TIFFOpenOptionsAlloc();
    if (!o) return NULL;
    TIFFOpenOptionsSetErrorHandlerExtR(o, on_error, m);
    TIFFOpenOptionsSetWarningHandlerExtR(o, on_warning, m);
    return o;
}

typedef struct layout {
    int w, h, spp, bps, colours, ch, alpha, assoc, invert, planar;
} layout;

/* A tile or strip's samples (contiguous: all spp; separate: the one plane) into the float image.
 * Returns 0 when the block's data ran out before its pixels did (a short, damaged block). */
static int put_samples(const layout *L, pol__image *im, const unsigned char *buf, int x0, int y0,
                       int bw, int bh, int plane, tmsize_t buflen)
{
    int per_px = L->planar == PLANARCONFIG_SEPARATE ? 1 : L->spp;
    size_t bytes = (size_t)L->bps / 8;
    if (per_px == L->ch && !L->invert) { /* the usual layout: whole rows of samples */
        int w = bw < L->w - x0 ? bw : L->w - x0;
        size_t n = (size_t)w * (size_t)per_px, rowbytes = (size_t)bw * (size_t)per_px * bytes;
        for (int y = 0; y < bh && y0 + y < L->h; y++) {
            if ((tmsize_t)((size_t)y * rowbytes + n * bytes) > buflen) return 0;
            const unsigned char *src = buf + (size_t)y * rowbytes;
            float *d = pol__image_row(im, y0 + y) + (size_t)x0 * (size_t)L->ch;
            if (bytes == 2)
                for (size_t i = 0; i < n; i++)
                    d[i] = ((const uint16_t *)src)[i] * (1.0f / 65535.0f);
            else
                for (size_t i = 0; i < n; i++) d[i] = pol__u8_to_float[src[i]];
        }
        return 1;
    }
    for (int y = 0; y < bh && y0 + y < L->h; y++) {
        float *row = pol__image_row(im, y0 + y);
        for (int x = 0; x < bw && x0 + x < L->w; x++) {
            size_t at = ((size_t)y * (size_t)bw + (size_t)x) * (size_t)per_px * bytes;
            for (int s = 0; s < per_px; s++) {
                int sample = L->planar == PLANARCONFIG_SEPARATE ? plane : s;
                int c = sample < L->colours                ? sample
                        : sample == L->colours && L->alpha ? L->ch - 1
                                                           : -1;
                if (c < 0) continue;
                size_t off = at + (size_t)s * bytes;
                if ((tmsize_t)(off + bytes) > buflen) return 0;
                float v = bytes == 2 ? *(const uint16_t *)(buf + off) * (1.0f / 65535.0f)
                                     : pol__u8_to_float[buf[off]];
                if (L->invert && c < L->colours) v = 1.0f - v;
                row[(size_t)(x0 + x) * (size_t)L->ch + (size_t)c] = v;
            }
        }
    }
    return 1;
}

static pol_status read_direct(pol_run *run, TIFF *t, const layout *L, pol__image *im, tmsg *m,
                              int lenient)
{
    int planes = L->planar == PLANARCONFIG_SEPARATE ? L->spp : 1;
    int bad = 0;
    if (TIFFIsTiled(t)) {
        uint32_t tw = 0, th = 0;
        TIFFGetField(t, TIFFTAG_TILEWIDTH, &tw);
        TIFFGetField(t, TIFFTAG_TILELENGTH, &th);
        tmsize_t size = TIFFTileSize(t);
        if (!tw || !th || size <= 0) return pol__fail(run, POL_ERR_CORRUPT, "damaged TIFF tiles");
        unsigned char *buf = malloc((size_t)size);
        if (!buf) return pol__fail(run, POL_ERR_NOMEM, "out of memory");
        for (int p = 0; p < planes; p++)
            for (uint32_t y = 0; y < (uint32_t)L->h; y += th)
                for (uint32_t x = 0; x < (uint32_t)L->w; x += tw) {
                    tmsize_t got = TIFFReadTile(t, buf, x, y, 0, (uint16_t)p);
                    if (got < 0) {
                        bad++;
                        continue;
                    }
                    if (!put_samples(L, im, buf, (int)x, (int)y, (int)tw, (int)th, p, got)) bad++;
                }
        free(buf);
    } else {
        uint32_t rps = 0;
        if (!TIFFGetField(t, TIFFTAG_ROWSPERSTRIP, &rps) || rps == 0 || rps > (uint32_t)L->h)
            rps = (uint32_t)L->h;
        tmsize_t size = TIFFStripSize(t);
        if (size <= 0) return pol__fail(run, POL_ERR_CORRUPT, "damaged TIFF strips");
        unsigned char *buf = malloc((size_t)size);
        if (!buf) return pol__fail(run, POL_ERR_NOMEM, "out of memory");
        uint32_t per_plane = ((uint32_t)L->h + rps - 1) / rps;
        for (int p = 0; p < planes; p++)
            for (uint32_t s = 0; s < per_plane; s++) {
                tmsize_t got = TIFFReadEncodedStrip(t, (uint32_t)p * per_plane + s, buf, size);
                if (got < 0) {
                    bad++;
                    continue;
                }
                if (!put_samples(L, im, buf, 0, (int)(s * rps), L->w, (int)rps, p, got)) bad++;
            }
        free(buf);
    }
    if (bad && !lenient)
        return pol__fail(run, POL_ERR_CORRUPT,
                         "damaged TIFF: %s (%d blocks unreadable; use "
                         "--lenient to keep what can be read)",
                         m->err[0] ? m->err : "bad data", bad);
    if (bad) pol__warn(run, "TIFF: %d blocks unreadable, left black (--lenient)", bad);
    if (L->alpha && L->assoc) { /* our pixels are un-premultiplied */
        size_t n = (size_t)L->w * (size_t)L->h;
        for (size_t i = 0; i < n; i++) {
            float *p = im->px + i * (size_t)L->ch, a = p[L->ch - 1];
            if (a > 0)
                for (int c = 0; c < L->colours; c++) p[c] = p[c] / a > 1 ? 1 : p[c] / a;
        }
    }
    return POL_OK;
}

static pol_status read_rgba(pol_run *run, TIFF *t, const layout *L, pol__image **out, tmsg *m,
                            int lenient)
{
    char emsg[1024];
    if (!TIFFRGBAImageOK(t, emsg))
        return pol__fail(run, POL_ERR_UNSUPPORTED, "TIFF layout not supported: %s", emsg);
    int ch = L->alpha ? 4 : 3;
    pol__image *im = pol__image_new(L->w, L->h, ch);
    uint32_t *raster = im ? calloc((size_t)L->w * (size_t)L->h, 4) : NULL; /* lenient: zeros */
    if (!raster) {
        pol__image_free(im);
        return pol__fail(run, POL_ERR_NOMEM, "out of memory for %dx%d pixels", L->w, L->h);
    }
    int ok = TIFFReadRGBAImageOriented(t, (uint32_t)L->w, (uint32_t)L->h, raster,
                                       ORIENTATION_TOPLEFT, 0);
    if (!ok && !lenient) {
        free(raster);
        pol__image_free(im);
        return pol__fail(run, POL_ERR_CORRUPT, "damaged TIFF: %s", m->err[0] ? m->err : "bad data");
    }
    size_t n = (size_t)L->w * (size_t)L->h;
    for (size_t i = 0; i < n; i++) {
        uint32_t v = raster[i];
        float *p = im->px + i * (size_t)ch;
        p[0] = pol__u8_to_float[TIFFGetR(v)];
        p[1] = pol__u8_to_float[TIFFGetG(v)];
        p[2] = pol__u8_to_float[TIFFGetB(v)];
        if (ch == 4) {
            float a = pol__u8_to_float[TIFFGetA(v)];
            p[3] = a;
            /* the RGBA reader premultiplies */
            if (a > 0)
                for (int c = 0; c < 3; c++) p[c] = p[c] / a > 1 ? 1 : p[c] / a;
        }
    }
    free(raster);
    im->bit_depth = 8;
    *out = im;
    return POL_OK;
}

/* CMYK ink (0 = none, 1 = full; alpha after it when there is one) to RGB: through the file's CMYK
 * profile when it has one, else the naive (1-C)(1-K). The result is sRGB and carries no profile;
 * the report says which way it went. */
static pol_status cmyk_to_rgb(pol_run *run, pol__image *im, int alpha)
{
    int ch = alpha ? 4 : 3;
    size_t n = (size_t)im->width * (size_t)im->height;
    float *px = pol__image_alloc_px(im->width, im->height, ch);
    if (!px) return pol__fail(run, POL_ERR_NOMEM, "out of memory converting CMYK");
    cmsHTRANSFORM xf = NULL;
    char desc[256] = "";
    if (im->icc) {
        cmsHPROFILE in = pol__icc_open(im->icc, im->icc_len);
        if (in && cmsGetColorSpace(in) == cmsSigCmykData) {
            cmsHPROFILE out = cmsCreate_sRGBProfile();
            if (out)
                xf = cmsCreateTransform(in, TYPE_CMYK_FLT, out, TYPE_RGB_FLT, INTENT_PERCEPTUAL,
                                        cmsFLAGS_BLACKPOINTCOMPENSATION);
            if (out) cmsCloseProfile(out);
            cmsGetProfileInfoASCII(in, cmsInfoDescription, "en", "US", desc, sizeof desc);
        }
        if (in) cmsCloseProfile(in);
    }
    const float *src = im->px;
    int sch = im->channels;
    float ink[4 * 256], rgb[3 * 256];
    for (size_t i0 = 0; i0 < n; i0 += 256) {
        size_t m = n - i0 < 256 ? n - i0 : 256;
        for (size_t k = 0; k < m; k++) {
            const float *p = src + (i0 + k) * (size_t)sch;
            float *o = px + (i0 + k) * (size_t)ch;
            if (xf) {
                for (int c = 0; c < 4; c++) ink[k * 4 + (size_t)c] = p[c] * 100.0f; /* lcms: 0..100 */
            } else {
                float kk = 1 - p[3];
                for (int c = 0; c < 3; c++) o[c] = (1 - p[c]) * kk;
            }
            if (alpha) o[3] = p[4];
        }
        if (xf) {
            cmsDoTransform(xf, ink, rgb, (cmsUInt32Number)m);
            for (size_t k = 0; k < m; k++)
                for (int c = 0; c < 3; c++) {
                    float v = rgb[k * 3 + (size_t)c];
                    px[(i0 + k) * (size_t)ch + (size_t)c] = v < 0 ? 0 : v > 1 ? 1 : v;
                }
        }
    }
    if (xf) cmsDeleteTransform(xf);
    pol__image_replace_px(im, px, im->width, im->height, ch);
    free(im->icc);
    im->icc = NULL;
    im->icc_len = 0;
    im->srgb = 1;
    if (desc[0])
        pol__decide(run, "CMYK converted to sRGB through the file's profile (%s)", desc);
    else
        pol__decide(run, "CMYK converted to sRGB without a profile (naive; the file has none)");
    return POL_OK;
}

/* Tiles and strips are read whole into one buffer: check their size before libtiff or we allocate
 * it. A tile may pad the image to a multiple of 16, or be a fixed size up to 4096 on a small
 * image; anything bigger is a file built to exhaust memory. */
static pol_status check_blocks(pol_run *run, TIFF *t, uint32_t w, uint32_t h)
{
    uint64_t bytes;
    char what[96];
    if (TIFFIsTiled(t)) {
        uint32_t tw = 0, th = 0;
        TIFFGetField(t, TIFFTAG_TILEWIDTH, &tw);
        TIFFGetField(t, TIFFTAG_TILELENGTH, &th);
        uint64_t mw = ((uint64_t)w + 15) / 16 * 16, mh = ((uint64_t)h + 15) / 16 * 16;
        if (mw < 4096) mw = 4096;
        if (mh < 4096) mh = 4096;
        if (tw > mw || th > mh)
            return pol__fail(run, POL_ERR_LIMIT,
                             "TIFF tiles of %ux%u pixels for a %ux%u image: refused before "
                             "allocating them",
                             tw, th, w, h);
        bytes = TIFFTileSize64(t);
        snprintf(what, sizeof what, "a %ux%u TIFF tile", tw, th);
    } else {
        bytes = TIFFStripSize64(t);
        snprintf(what, sizeof what, "a TIFF strip of %llu bytes", (unsigned long long)bytes);
    }
    return pol__mem_reserve(run, bytes, what);
}

pol_status pol__tiff_load(pol_run *run, const char *path, const pol__image_load_opts *o,
                          pol__image **out)
{
    *out = NULL;
    tmsg m = {{0}, 0};
    TIFFOpenOptions *opts = open_options(&m);
    if (!opts) return pol__fail(run, POL_ERR_NOMEM, "out of memory");
    TIFF *t = TIFFOpenExt(path, "r", opts);
    TIFFOpenOptionsFree(opts);
    if (!t)
        return pol__fail(run, POL_ERR_CORRUPT, "damaged TIFF: %s", m.err[0] ? m.err : "unreadable");
    pol_status st = POL_OK;
    pol__image *im = NULL;
    int lenient = o && o->lenient;
    layout L;
    memset(&L, 0, sizeof L);
    uint32_t w = 0, h = 0;
    uint16_t spp = 1, bps = 1, photo = PHOTOMETRIC_MINISBLACK, planar = PLANARCONFIG_CONTIG,
             fmt = SAMPLEFORMAT_UINT, compression = COMPRESSION_NONE, orient = 1;
    TIFFGetField(t, TIFFTAG_IMAGEWIDTH, &w);
    TIFFGetField(t, TIFFTAG_IMAGELENGTH, &h);
    uint64_t frames = TIFFNumberOfDirectories(t);
    if ((st = pol__image_check_limits(run, o, w, h, frames, "TIFF"))) goto done;
    if ((st = check_blocks(run, t, w, h))) goto done;
    TIFFGetFieldDefaulted(t, TIFFTAG_SAMPLESPERPIXEL, &spp);
    TIFFGetFieldDefaulted(t, TIFFTAG_BITSPERSAMPLE, &bps);
    TIFFGetFieldDefaulted(t, TIFFTAG_PLANARCONFIG, &planar);
    TIFFGetFieldDefaulted(t, TIFFTAG_SAMPLEFORMAT, &fmt);
    TIFFGetFieldDefaulted(t, TIFFTAG_COMPRESSION, &compression);
    TIFFGetField(t, TIFFTAG_PHOTOMETRIC, &photo);
    TIFFGetFieldDefaulted(t, TIFFTAG_ORIENTATION, &orient);
    if (photo == PHOTOMETRIC_YCBCR && compression == COMPRESSION_JPEG) {
        TIFFSetField(t, TIFFTAG_JPEGCOLORMODE, JPEGCOLORMODE_RGB); /* libjpeg converts */
        photo = PHOTOMETRIC_RGB;
    }
    L.w = (int)w, L.h = (int)h, L.spp = spp, L.bps = bps, L.planar = planar;
    uint16_t inkset = INKSET_CMYK;
    TIFFGetFieldDefaulted(t, TIFFTAG_INKSET, &inkset);
    int cmyk = photo == PHOTOMETRIC_SEPARATED && inkset == INKSET_CMYK && spp >= 4;
    L.colours = photo == PHOTOMETRIC_RGB ? 3 : cmyk ? 4 : 1;
    uint16_t n_extra = 0, *extra = NULL;
    TIFFGetField(t, TIFFTAG_EXTRASAMPLES, &n_extra, &extra);
    L.alpha = spp > L.colours &&
              (n_extra == 0 || extra[0] != EXTRASAMPLE_UNSPECIFIED || spp == L.colours + 1);
    L.assoc = L.alpha && n_extra && extra[0] == EXTRASAMPLE_ASSOCALPHA;
    L.ch = L.colours + (L.alpha ? 1 : 0);
    L.invert = photo == PHOTOMETRIC_MINISWHITE;
    int direct = (bps == 8 || bps == 16) && fmt == SAMPLEFORMAT_UINT && spp >= L.colours &&
                 (photo == PHOTOMETRIC_RGB || photo == PHOTOMETRIC_MINISBLACK ||
                  photo == PHOTOMETRIC_MINISWHITE || cmyk);
    if (direct) {
        im = pol__image_new(L.w, L.h, L.ch);
        if (!im) {
            st = pol__fail(run, POL_ERR_NOMEM, "out of memory for %ux%u pixels", w, h);
            goto done;
        }
        if (lenient) /* unreadable blocks are left black; otherwise every pixel is written */
            memset(im->px, 0, (size_t)L.w * (size_t)L.h * (size_t)L.ch * sizeof(float));
        if ((st = read_direct(run, t, &L, im, &m, lenient))) goto done;
        im->bit_depth = bps;
        im->orientation = orient >= 1 && orient <= 8 ? orient : 1;
    } else {
        if (fmt == SAMPLEFORMAT_IEEEFP) {
            st = pol__fail(run, POL_ERR_UNSUPPORTED, "floating-point TIFF is not supported");
            goto done;
        }
        if ((st = read_rgba(run, t, &L, &im, &m, lenient))) goto done;
        im->orientation = 1; /* the RGBA reader has applied it */
    }
    memcpy(im->format, "tiff", 5);
    uint32_t len = 0;
    void *data = NULL;
    if (TIFFGetField(t, TIFFTAG_ICCPROFILE, &len, &data) && len && data &&
        (im->icc = malloc(len))) {
        memcpy(im->icc, data, len);
        im->icc_len = len;
    }
    if (TIFFGetField(t, TIFFTAG_XMLPACKET, &len, &data) && len && data && (im->xmp = malloc(len))) {
        memcpy(im->xmp, data, len);
        im->xmp_len = len;
    }
    if (cmyk && direct && (st = cmyk_to_rgb(run, im, L.alpha))) goto done;
    float xres = 0;
    uint16_t unit = RESUNIT_INCH;
    TIFFGetFieldDefaulted(t, TIFFTAG_RESOLUTIONUNIT, &unit);
    if (TIFFGetField(t, TIFFTAG_XRESOLUTION, &xres) && xres > 1) {
        if (unit == RESUNIT_INCH)
            im->dpi = xres;
        else if (unit == RESUNIT_CENTIMETER)
            im->dpi = xres * 2.54;
    }
    im->srgb = !im->icc || pol__icc_is_srgb(im->icc, im->icc_len);
    if (frames > 1)
        pol__warn(run, "TIFF has %llu pages; only the first is used", (unsigned long long)frames);
    *out = im;
    im = NULL;
done:
    TIFFClose(t);
    pol__image_free(im);
    return st;
}

/* ---- EXIF into TIFF -------------------------------------------------------------------------- */

/*
 * A TIFF holds EXIF where a camera's TIFF does: the descriptive text tags (Make, Model, DateTime,
 * Software, Artist, Copyright, ImageDescription) in IFD0 beside the image's own tags, the rest in
 * an EXIF sub-IFD that IFD0's ExifIFD tag points to. The block `m->exif` is already filtered by
 * the metadata policy (private tags gone, orientation and size made true). Resolution and
 * orientation come from the image itself (written with the image's tags), never from the block.
 */
static ExifData *exif_parse(const pol__meta_out *m)
{
    if (!m->exif || m->exif_len < 8 || m->exif_len > 16u << 20) return NULL;
    unsigned char *in = malloc(m->exif_len + 6);
    if (!in) return NULL;
    memcpy(in, "Exif\0\0", 6);
    memcpy(in + 6, m->exif, m->exif_len);
    ExifData *ed = exif_data_new();
    if (ed) {
        exif_data_unset_option(ed, EXIF_DATA_OPTION_FOLLOW_SPECIFICATION);
        exif_data_load_data(ed, in, (unsigned)(m->exif_len + 6));
    }
    free(in);
    return ed;
}

/* An ASCII entry as a NUL-terminated string (NULL when empty or not text). */
static const char *exif_text(const ExifEntry *e, char *buf, size_t n)
{
    if (!e || e->format != EXIF_FORMAT_ASCII || !e->data || !e->size) return NULL;
    size_t len = e->size < n - 1 ? e->size : n - 1;
    memcpy(buf, e->data, len);
    buf[len] = '\0';
    return buf[0] ? buf : NULL;
}

static void exif_ifd0_text(TIFF *t, ExifData *ed)
{
    static const struct { ExifTag tag; ttag_t tiff; } text[] = {
        {EXIF_TAG_IMAGE_DESCRIPTION, TIFFTAG_IMAGEDESCRIPTION}, {EXIF_TAG_MAKE, TIFFTAG_MAKE},
        {EXIF_TAG_MODEL, TIFFTAG_MODEL}, {EXIF_TAG_SOFTWARE, TIFFTAG_SOFTWARE},
        {EXIF_TAG_DATE_TIME, TIFFTAG_DATETIME}, {EXIF_TAG_ARTIST, TIFFTAG_ARTIST},
        {EXIF_TAG_COPYRIGHT, TIFFTAG_COPYRIGHT},
    };
    char buf[2048];
    for (size_t i = 0; i < sizeof text / sizeof text[0]; i++) {
        const char *v = exif_text(exif_content_get_entry(ed->ifd[EXIF_IFD_0], text[i].tag), buf, sizeof buf);
        if (v) TIFFSetField(t, text[i].tiff, v);
    }
}

/* Sets one entry of the EXIF IFD in libtiff's EXIF directory, in the form libtiff declares for
 * the tag; returns 1 when set. Tags libtiff does not know, and forms it does not take, are left. */
static int exif_set_entry(TIFF *t, ExifData *ed, const ExifEntry *e)
{
    const TIFFField *f = TIFFFindField(t, (uint32_t)e->tag, TIFF_ANY);
    if (!f || !e->data || !e->components) return 0;
    /* sub-IFD pointers and the interoperability IFD are structure, not values */
    if (e->tag == EXIF_TAG_INTEROPERABILITY_IFD_POINTER) return 0;
    ExifByteOrder o = exif_data_get_byte_order(ed);
    int pass = TIFFFieldPassCount(f), wc = TIFFFieldWriteCount(f);
    TIFFDataType dt = TIFFFieldDataType(f);
    char buf[2048];
    switch (e->format) {
    case EXIF_FORMAT_ASCII:
        if (dt != TIFF_ASCII || !exif_text(e, buf, sizeof buf)) return 0;
        return TIFFSetField(t, e->tag, buf);
    case EXIF_FORMAT_SHORT:
        if (dt != TIFF_SHORT) return 0;
        if (!pass && wc == 1 && e->components == 1)
            return TIFFSetField(t, e->tag, (int)exif_get_short(e->data, o));
        if (pass && e->components <= 64) {
            uint16_t v[64];
            for (unsigned i = 0; i < e->components; i++) v[i] = exif_get_short(e->data + 2 * i, o);
            return wc == TIFF_VARIABLE2 ? TIFFSetField(t, e->tag, (uint32_t)e->components, v)
                                        : TIFFSetField(t, e->tag, (int)e->components, v);
        }
        return 0;
    case EXIF_FORMAT_LONG:
        if (dt != TIFF_LONG || pass || wc != 1 || e->components != 1) return 0;
        return TIFFSetField(t, e->tag, (uint32_t)exif_get_long(e->data, o));
    case EXIF_FORMAT_RATIONAL:
    case EXIF_FORMAT_SRATIONAL: {
        if ((dt != TIFF_RATIONAL && dt != TIFF_SRATIONAL) || pass || wc != 1 || e->components != 1)
            return 0;
        double v;
        if (e->format == EXIF_FORMAT_RATIONAL) {
            ExifRational r = exif_get_rational(e->data, o);
            if (!r.denominator) return 0;
            v = (double)r.numerator / r.denominator;
        } else {
            ExifSRational r = exif_get_srational(e->data, o);
            if (!r.denominator) return 0;
            v = (double)r.numerator / r.denominator;
        }
        /* libtiff takes EXIF rationals as double or float, as its field says */
        if (TIFFFieldSetGetSize(f) == 4) return TIFFSetField(t, e->tag, (float)v);
        return TIFFSetField(t, e->tag, v);
    }
    case EXIF_FORMAT_UNDEFINED:
    case EXIF_FORMAT_BYTE:
        if (dt != TIFF_UNDEFINED && dt != TIFF_BYTE) return 0;
        if (!pass && wc == (int)e->components) return TIFFSetField(t, e->tag, e->data);
        if (pass && e->components <= 65535)
            return wc == TIFF_VARIABLE2 ? TIFFSetField(t, e->tag, (uint32_t)e->components, e->data)
                                        : TIFFSetField(t, e->tag, (int)e->components, e->data);
        return 0;
    default:
        return 0;
    }
}

/* Writes the EXIF sub-IFD (before the image's directory, which then points to it). Returns its
 * offset, 0 when there is nothing to write or libtiff refused. */
static uint64_t exif_write_subifd(pol_run *run, TIFF *t, ExifData *ed)
{
    ExifContent *c = ed->ifd[EXIF_IFD_EXIF];
    if (!c || !c->count) return 0;
    if (TIFFCreateEXIFDirectory(t) != 0) return 0;
    int set = 0;
    for (unsigned i = 0; i < c->count; i++) set += exif_set_entry(t, ed, c->entries[i]) == 1;
    uint64_t off = 0;
    if (!set || !TIFFWriteCustomDirectory(t, &off)) off = 0;
    TIFFFreeDirectory(t);
    TIFFCreateDirectory(t);
    if (set < (int)c->count)
        pol__decide(run, "EXIF: %d of %u camera tags written to the TIFF (the others have no TIFF form "
                         "libtiff knows)", off ? set : 0, c->count);
    return off;
}

/* ---- writing, row by row ------------------------------------------------------------------- */

struct pol__tiff_writer {
    TIFF *t;
    tmsg msg;
    int sixteen, width, height, channels, next;
    void *row;
};

pol_status pol__tiff_write_begin(pol_run *run, const pol__image *im, const pol__image_save *s,
                                 const pol__meta_out *m, FILE *fp, pol__tiff_writer **out)
{
    *out = NULL;
    pol__tiff_writer *W = calloc(1, sizeof *W);
    if (!W) return pol__fail(run, POL_ERR_NOMEM, "out of memory");
    int sixteen = (s->bit_depth ? s->bit_depth : im->bit_depth) > 8;
    W->sixteen = sixteen;
    W->width = im->width, W->height = im->height, W->channels = im->channels;
    fflush(fp);
    int fd = dup(fileno(fp)); /* TIFFClose closes its descriptor; the caller closes fp */
    if (fd < 0) {
        free(W);
        return pol__fail(run, POL_ERR_IO, "cannot write TIFF");
    }
    TIFFOpenOptions *opts = open_options(&W->msg);
    uint64_t bytes =
        (uint64_t)im->width * (uint64_t)im->height * (uint64_t)im->channels * (sixteen ? 2u : 1u);
    TIFF *t = opts ? TIFFFdOpenExt(fd, "output", bytes > 3500000000ull ? "w8" : "w", opts) : NULL;
    TIFFOpenOptionsFree(opts);
    if (!t) {
        close(fd);
        pol_status st = pol__fail(run, POL_ERR_IO, "cannot write TIFF: %s", W->msg.err);
        free(W);
        return st;
    }
    W->t = t;
    int ch = im->channels, alpha = ch == 2 || ch == 4;
    ExifData *ed = exif_parse(m);
    if (m->exif && !ed) pol__warn(run, "EXIF could not be parsed; not written to the TIFF");
    uint64_t exif_off = ed ? exif_write_subifd(run, t, ed) : 0;
    TIFFSetField(t, TIFFTAG_IMAGEWIDTH, (uint32_t)im->width);
    TIFFSetField(t, TIFFTAG_IMAGELENGTH, (uint32_t)im->height);
    TIFFSetField(t, TIFFTAG_SAMPLESPERPIXEL, (uint16_t)ch);
    TIFFSetField(t, TIFFTAG_BITSPERSAMPLE, (uint16_t)(sixteen ? 16 : 8));
    TIFFSetField(t, TIFFTAG_PHOTOMETRIC, ch >= 3 ? PHOTOMETRIC_RGB : PHOTOMETRIC_MINISBLACK);
    TIFFSetField(t, TIFFTAG_PLANARCONFIG, PLANARCONFIG_CONTIG);
    TIFFSetField(t, TIFFTAG_COMPRESSION, COMPRESSION_NONE);
    TIFFSetField(t, TIFFTAG_ORIENTATION, (uint16_t)(im->orientation ? im->orientation : 1));
    if (alpha) {
        uint16_t ex = EXTRASAMPLE_UNASSALPHA;
        TIFFSetField(t, TIFFTAG_EXTRASAMPLES, 1, &ex);
    }
    TIFFSetField(t, TIFFTAG_ROWSPERSTRIP, TIFFDefaultStripSize(t, 0));
    if (m->icc) TIFFSetField(t, TIFFTAG_ICCPROFILE, (uint32_t)m->icc_len, m->icc);
    if (m->xmp) TIFFSetField(t, TIFFTAG_XMLPACKET, (uint32_t)m->xmp_len, m->xmp);
    if (m->dpi > 0) {
        TIFFSetField(t, TIFFTAG_XRESOLUTION, (float)m->dpi);
        TIFFSetField(t, TIFFTAG_YRESOLUTION, (float)m->dpi);
        TIFFSetField(t, TIFFTAG_RESOLUTIONUNIT, RESUNIT_INCH);
    }
    if (ed) {
        exif_ifd0_text(t, ed);
        exif_data_unref(ed);
    }
    if (exif_off) TIFFSetField(t, TIFFTAG_EXIFIFD, exif_off);
    W->row = malloc((size_t)im->width * (size_t)ch * (sixteen ? 2 : 1));
    if (!W->row) {
        pol__tiff_write_abort(W);
        return pol__fail(run, POL_ERR_NOMEM, "out of memory");
    }
    *out = W;
    return POL_OK;
}

pol_status pol__tiff_write_rows(pol_run *run, pol__tiff_writer *W, const float *px, int rows)
{
    size_t n = (size_t)W->width * (size_t)W->channels;
    for (int y = 0; y < rows; y++) {
        if (W->next >= W->height)
            return pol__fail(run, POL_ERR_INTERNAL, "TIFF writer given more than %d rows", W->height);
        const float *src = px + (size_t)y * n;
        if (W->sixteen)
            for (size_t i = 0; i < n; i++) ((uint16_t *)W->row)[i] = pol__float_to_u16(src[i]);
        else
            for (size_t i = 0; i < n; i++) ((uint8_t *)W->row)[i] = pol__float_to_u8(src[i]);
        if (TIFFWriteScanline(W->t, W->row, (uint32_t)W->next++, 0) < 0)
            return pol__fail(run, POL_ERR_IO, "writing TIFF: %s",
                             W->msg.err[0] ? W->msg.err : "failed");
    }
    return POL_OK;
}

pol_status pol__tiff_write_end(pol_run *run, pol__tiff_writer *W)
{
    pol_status st = POL_OK;
    if (W->next != W->height)
        st = pol__fail(run, POL_ERR_INTERNAL, "TIFF writer given %d of %d rows", W->next, W->height);
    if (!st && !TIFFFlush(W->t))
        st = pol__fail(run, POL_ERR_IO, "writing TIFF: %s", W->msg.err[0] ? W->msg.err : "failed");
    pol__tiff_write_abort(W);
    return st;
}

void pol__tiff_write_abort(pol__tiff_writer *W)
{
    if (!W) return;
    if (W->t) TIFFClose(W->t);
    free(W->row);
    free(W);
}

pol_status pol__tiff_save(pol_run *run, const pol__image *im, const pol__image_save *s,
                          const pol__meta_out *m, FILE *fp)
{
    pol__tiff_writer *W;
    pol_status st = pol__tiff_write_begin(run, im, s, m, fp, &W);
    if (st) return st;
    st = pol__tiff_write_rows(run, W, im->px, im->height);
    if (st) {
        pol__tiff_write_abort(W);
        return st;
    }
    return pol__tiff_write_end(run, W);
}

/* ---- reading, row by row --------------------------------------------------------------------- */

struct pol__tiff_rows {
    TIFF *t;
    tmsg msg;
    layout L;
    int tiled, lenient, bad;
    uint32_t bw, bh;      /* block (tile or strip) size */
    unsigned char *blk;   /* one tile */
    tmsize_t blk_size;
    unsigned char *band;  /* the samples of rows [band_y, band_y + band_rows), as stored */
    size_t row_bytes;
    int band_y, band_rows, next; /* next: the next row handed out */
};

/* Reads the blocks of rows [y0, y0 + bh) into the band, at the source's depth. */
static pol_status rows_band(pol_run *run, pol__tiff_rows *R, int y0)
{
    const layout *L = &R->L;
    int bh = (int)R->bh, rows = y0 + bh > L->h ? L->h - y0 : bh;
    size_t px_bytes = (size_t)L->spp * (size_t)L->bps / 8;
    R->band_y = y0;
    R->band_rows = rows;
    if (R->tiled) {
        size_t tile_row = (size_t)R->bw * px_bytes;
        for (uint32_t x = 0; x < (uint32_t)L->w; x += R->bw) {
            size_t cols = x + R->bw > (uint32_t)L->w ? (uint32_t)L->w - x : R->bw;
            tmsize_t got = TIFFReadTile(R->t, R->blk, x, (uint32_t)y0, 0, 0);
            int short_tile = 0;
            for (int y = 0; y < rows; y++) {
                unsigned char *d = R->band + (size_t)y * R->row_bytes + x * px_bytes;
                if (got < 0 || (size_t)got < (size_t)y * tile_row + cols * px_bytes) {
                    memset(d, 0, cols * px_bytes); /* a short or unreadable tile: black */
                    short_tile = 1;
                    continue;
                }
                memcpy(d, R->blk + (size_t)y * tile_row, cols * px_bytes);
            }
            R->bad += short_tile;
        }
    } else {
        tmsize_t got = TIFFReadEncodedStrip(R->t, (uint32_t)y0 / R->bh, R->band,
                                            (tmsize_t)(R->row_bytes * R->bh));
        size_t want = R->row_bytes * (size_t)rows;
        if (got < 0 || (size_t)got < want) {
            R->bad++;
            memset(R->band + (got > 0 ? (size_t)got : 0), 0, want - (got > 0 ? (size_t)got : 0));
        }
    }
    if (R->bad && !R->lenient)
        return pol__fail(run, POL_ERR_CORRUPT,
                         "damaged TIFF: %s (blocks unreadable; use --lenient to keep what can be "
                         "read)",
                         R->msg.err[0] ? R->msg.err : "bad data");
    return POL_OK;
}

void pol__tiff_rows_close(pol__tiff_rows *R)
{
    if (!R) return;
    if (R->t) TIFFClose(R->t);
    free(R->blk);
    free(R->band);
    free(R);
}

pol_status pol__tiff_rows_open(pol_run *run, const char *path, pol__image **meta,
                               pol__tiff_rows **out)
{
    *out = NULL;
    *meta = NULL;
    pol__tiff_rows *R = calloc(1, sizeof *R);
    if (!R) return pol__fail(run, POL_ERR_NOMEM, "out of memory");
    TIFFOpenOptions *opts = open_options(&R->msg);
    /* "m": read, not memory-mapped: a mapped file's pages would count against the item's memory
     * as they are touched, the whole file by the end */
    R->t = opts ? TIFFOpenExt(path, "rm", opts) : NULL;
    TIFFOpenOptionsFree(opts);
    pol_status st = POL_OK;
    pol__image *im = NULL;
    if (!R->t) {
        st = pol__fail(run, POL_ERR_CORRUPT, "damaged TIFF: %s",
                       R->msg.err[0] ? R->msg.err : "unreadable");
        goto fail;
    }
    TIFF *t = R->t;
    uint32_t w = 0, h = 0;
    uint16_t spp = 1, bps = 1, photo = PHOTOMETRIC_MINISBLACK, planar = PLANARCONFIG_CONTIG,
             fmt = SAMPLEFORMAT_UINT, orient = 1;
    TIFFGetField(t, TIFFTAG_IMAGEWIDTH, &w);
    TIFFGetField(t, TIFFTAG_IMAGELENGTH, &h);
    if ((st = pol__image_check_size(run, NULL, w, h, TIFFNumberOfDirectories(t), "TIFF")) ||
        (st = check_blocks(run, t, w, h)))
        goto fail;
    TIFFGetFieldDefaulted(t, TIFFTAG_SAMPLESPERPIXEL, &spp);
    TIFFGetFieldDefaulted(t, TIFFTAG_BITSPERSAMPLE, &bps);
    TIFFGetFieldDefaulted(t, TIFFTAG_PLANARCONFIG, &planar);
    TIFFGetFieldDefaulted(t, TIFFTAG_SAMPLEFORMAT, &fmt);
    TIFFGetField(t, TIFFTAG_PHOTOMETRIC, &photo);
    TIFFGetFieldDefaulted(t, TIFFTAG_ORIENTATION, &orient);
    layout *L = &R->L;
    L->w = (int)w, L->h = (int)h, L->spp = spp, L->bps = bps, L->planar = planar;
    L->colours = photo == PHOTOMETRIC_RGB ? 3 : 1;
    uint16_t n_extra = 0, *extra = NULL;
    TIFFGetField(t, TIFFTAG_EXTRASAMPLES, &n_extra, &extra);
    L->alpha = spp > L->colours &&
               (n_extra == 0 || extra[0] != EXTRASAMPLE_UNSPECIFIED || spp == L->colours + 1);
    L->assoc = L->alpha && n_extra && extra[0] == EXTRASAMPLE_ASSOCALPHA;
    L->ch = L->colours + (L->alpha ? 1 : 0);
    L->invert = photo == PHOTOMETRIC_MINISWHITE;
    /* what is read row by row: the direct layouts, one plane, upright, one page */
    if (!((bps == 8 || bps == 16) && fmt == SAMPLEFORMAT_UINT && spp >= L->colours &&
          planar == PLANARCONFIG_CONTIG && orient == 1 && TIFFNumberOfDirectories(t) == 1 &&
          (photo == PHOTOMETRIC_RGB || photo == PHOTOMETRIC_MINISBLACK ||
           photo == PHOTOMETRIC_MINISWHITE))) {
        st = pol__fail(run, POL_ERR_UNSUPPORTED, "this TIFF layout is not read row by row");
        goto fail;
    }
    R->tiled = TIFFIsTiled(t);
    if (R->tiled) {
        TIFFGetField(t, TIFFTAG_TILEWIDTH, &R->bw);
        TIFFGetField(t, TIFFTAG_TILELENGTH, &R->bh);
        R->blk_size = TIFFTileSize(t);
    } else {
        uint32_t rps = 0;
        if (!TIFFGetField(t, TIFFTAG_ROWSPERSTRIP, &rps) || rps == 0 || rps > h) rps = h;
        R->bw = w;
        R->bh = rps;
        R->blk_size = TIFFStripSize(t);
    }
    if (!R->bw || !R->bh || R->blk_size <= 0) {
        st = pol__fail(run, POL_ERR_CORRUPT, "damaged TIFF blocks");
        goto fail;
    }
    R->row_bytes = (size_t)L->w * (size_t)spp * (size_t)bps / 8;
    R->blk = R->tiled ? malloc((size_t)R->blk_size) : NULL;
    R->band = malloc(R->row_bytes * (size_t)R->bh > (size_t)R->blk_size
                         ? R->row_bytes * (size_t)R->bh
                         : (size_t)R->blk_size);
    im = calloc(1, sizeof *im);
    if ((R->tiled && !R->blk) || !R->band || !im) {
        st = pol__fail(run, POL_ERR_NOMEM, "out of memory");
        goto fail;
    }
    R->lenient = run && run->opt ? run->opt->lenient : 0;
    im->width = L->w, im->height = L->h, im->channels = L->ch;
    im->bit_depth = bps;
    im->orientation = 1;
    im->save.keep_icc = 1;
    memcpy(im->format, "tiff", 5);
    uint32_t len = 0;
    void *data = NULL;
    if (TIFFGetField(t, TIFFTAG_ICCPROFILE, &len, &data) && len && data && (im->icc = malloc(len))) {
        memcpy(im->icc, data, len);
        im->icc_len = len;
    }
    if (TIFFGetField(t, TIFFTAG_XMLPACKET, &len, &data) && len && data && (im->xmp = malloc(len))) {
        memcpy(im->xmp, data, len);
        im->xmp_len = len;
    }
    float xres = 0;
    uint16_t unit = RESUNIT_INCH;
    TIFFGetFieldDefaulted(t, TIFFTAG_RESOLUTIONUNIT, &unit);
    if (TIFFGetField(t, TIFFTAG_XRESOLUTION, &xres) && xres > 1)
        im->dpi = unit == RESUNIT_INCH ? xres : unit == RESUNIT_CENTIMETER ? xres * 2.54 : 0;
    im->srgb = !im->icc || pol__icc_is_srgb(im->icc, im->icc_len);
    *meta = im;
    *out = R;
    return POL_OK;
fail:
    pol__image_free(im);
    pol__tiff_rows_close(R);
    return st;
}

pol_status pol__tiff_rows_read(pol_run *run, pol__tiff_rows *R, float *dst, int n)
{
    const layout *L = &R->L;
    size_t rowlen = (size_t)L->w * (size_t)L->ch;
    for (int i = 0; i < n; i++, R->next++) {
        if (R->next >= L->h) return pol__fail(run, POL_ERR_INTERNAL, "TIFF read past its end");
        if (R->next >= R->band_y + R->band_rows) {
            pol_status st = rows_band(run, R, R->next);
            if (st) return st;
        }
        /* one row of samples as a one-row block, through the whole reader's conversion */
        pol__image row = {.width = L->w, .height = 1, .channels = L->ch, .px = dst + (size_t)i * rowlen};
        put_samples(L, &row, R->band + (size_t)(R->next - R->band_y) * R->row_bytes, 0, 0, L->w, 1,
                    0, (tmsize_t)R->row_bytes);
        if (L->alpha && L->assoc) /* our pixels are un-premultiplied */
            for (int x = 0; x < L->w; x++) {
                float *p = row.px + (size_t)x * (size_t)L->ch, a = p[L->ch - 1];
                if (a > 0)
                    for (int c = 0; c < L->colours; c++) p[c] = p[c] / a > 1 ? 1 : p[c] / a;
            }
    }
    return POL_OK;
}

int pol__tiff_rows_warned(const pol__tiff_rows *R)
{
    return R->bad;
}
