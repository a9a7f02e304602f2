/* polish — JPEG read/write with libjpeg-turbo: errors by longjmp, damaged data fails unless
 * lenient, DCT-domain downscaling when every output is smaller, ICC/EXIF/XMP/DPI kept. */
#include <errno.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <jpeglib.h>
#include <jerror.h>
#include <lcms2.h>
#include "image/image_io.h"

static const char xmp_sig[] = "http://ns.adobe.com/xap/1.0/"; /* followed by a NUL */

typedef struct jerr {
    struct jpeg_error_mgr pub;
    jmp_buf jb;
    pol_run *run;
    int lenient;
    int warned;
    char msg[JMSG_LENGTH_MAX];
} jerr;

static void on_error(j_common_ptr c)
{
    jerr *e = (jerr *)c->err;
    c->err->format_message(c, e->msg);
    longjmp(e->jb, 1);
}

/* Warnings that mean pixels were lost or invented; the others (stray bytes between markers, an
 * unknown JFIF version, trailing data) leave the image intact. */
static int loses_data(int code)
{
    switch (code) {
    case JWRN_ARITH_BAD_CODE:
    case JWRN_BOGUS_PROGRESSION:
    case JWRN_HIT_MARKER:
    case JWRN_HUFF_BAD_CODE:
    case JWRN_JPEG_EOF:
    case JWRN_MUST_RESYNC:
    case JWRN_NOT_SEQUENTIAL:
        return 1;
    default:
        return 0;
    }
}

static void on_message(j_common_ptr c, int level)
{
    if (level >= 0) return; /* trace messages */
    jerr *e = (jerr *)c->err;
    char buf[JMSG_LENGTH_MAX];
    c->err->format_message(c, buf);
    if (loses_data(c->err->msg_code) && !e->lenient) {
        memcpy(e->msg, buf, sizeof buf);
        longjmp(e->jb, 2);
    }
    if (e->warned++ == 0 && e->run)
        pol__warn(e->run, "JPEG: %s%s", buf,
                  loses_data(c->err->msg_code) ? " (kept what could be read: --lenient)" : "");
}

static void init_err(jerr *e, pol_run *run, int lenient)
{
    memset(e, 0, sizeof *e);
    jpeg_std_error(&e->pub);
    e->pub.error_exit = on_error;
    e->pub.emit_message = on_message;
    e->run = run;
    e->lenient = lenient;
}

/* The image's EXIF orientation, read from the saved APP1 marker. */
static int marker_orientation(j_decompress_ptr d)
{
    for (jpeg_saved_marker_ptr m = d->marker_list; m; m = m->next)
        if (m->marker == JPEG_APP0 + 1 && m->data_length > 6 && !memcmp(m->data, "Exif\0\0", 6))
            return pol__exif_orientation(m->data + 6, m->data_length - 6);
    return 1;
}

static int copy_blob(unsigned char **dst, size_t *dlen, const unsigned char *src, size_t len)
{
    if (*dst || !len) return 1; /* first one wins */
    *dst = malloc(len);
    if (!*dst) return 0;
    memcpy(*dst, src, len);
    *dlen = len;
    return 1;
}

/* Adobe CMYK JPEGs store inverted ink values; without a profile this naive conversion is the
 * best available, and the result is marked sRGB. */
static void cmyk_row(const JSAMPLE *in, float *out, int w, int inverted)
{
    for (int x = 0; x < w; x++, in += 4, out += 3) {
        float c = pol__u8_to_float[in[0]], m = pol__u8_to_float[in[1]];
        float y = pol__u8_to_float[in[2]], k = pol__u8_to_float[in[3]];
        if (!inverted) c = 1 - c, m = 1 - m, y = 1 - y, k = 1 - k;
        out[0] = c * k;
        out[1] = m * k;
        out[2] = y * k;
    }
}

/* A transform from the JPEG's embedded CMYK profile to 16-bit sRGB (lcms2 does not mix 8-bit
 * input with float output), or NULL. */
static cmsHTRANSFORM cmyk_transform(j_decompress_ptr d, int inverted, char *desc, size_t desc_len)
{
    JOCTET *icc = NULL;
    unsigned len = 0;
    cmsHTRANSFORM xf = NULL;
    if (!jpeg_read_icc_profile(d, &icc, &len) || !icc) return NULL;
    cmsHPROFILE in = pol__icc_open(icc, len);
    if (in && cmsGetColorSpace(in) == cmsSigCmykData) {
        cmsHPROFILE out = cmsCreate_sRGBProfile();
        /* Adobe writers store inverted ink values (255 = no ink) */
        if (out)
            xf = cmsCreateTransform(in, inverted ? TYPE_CMYK_8_REV : TYPE_CMYK_8, out, TYPE_RGB_16,
                                    INTENT_PERCEPTUAL, cmsFLAGS_BLACKPOINTCOMPENSATION);
        if (out) cmsCloseProfile(out);
        cmsGetProfileInfoASCII(in, cmsInfoDescription, "en", "US", desc, (cmsUInt32Number)desc_len);
    }
    if (in) cmsCloseProfile(in);
    free(icc);
    return xf;
}

/* The scan limit: a progressive JPEG can hold thousands of tiny scans, each a full pass over the
 * coefficients (libjpeg-turbo's advice: a progress monitor that stops after N scans). */
typedef struct jscans {
    struct jpeg_progress_mgr pub;
    jerr *e;
    uint64_t max_scans;
    int over;
} jscans;

static void on_progress(j_common_ptr c)
{
    jscans *p = (jscans *)c->progress;
    if (!c->is_decompressor || !p->max_scans) return;
    j_decompress_ptr d = (j_decompress_ptr)c;
    if ((uint64_t)d->input_scan_number > p->max_scans) {
        p->over = 1;
        longjmp(p->e->jb, 3); /* never salvaged, even with --lenient */
    }
}

/* The IJG quality (1..100) whose scaled standard luminance table is nearest to the file's: what
 * the writer most likely asked for (cameras' own tables land on their nearest equivalent). */
static int estimate_quality(j_decompress_ptr d)
{
    static const unsigned short std_lum[64] = {
        16, 11, 10, 16, 24,  40,  51,  61,  12, 12, 14, 19, 26,  58,  60,  55,
        14, 13, 16, 24, 40,  57,  69,  56,  14, 17, 22, 29, 51,  87,  80,  62,
        18, 22, 37, 56, 68,  109, 103, 77,  24, 35, 55, 64, 81,  104, 113, 92,
        49, 64, 78, 87, 103, 121, 120, 101, 72, 92, 95, 98, 112, 100, 103, 99};
    const JQUANT_TBL *t = d->quant_tbl_ptrs[0];
    if (!t) return 0;
    int best = 0;
    double best_err = 1e30;
    for (int q = 1; q <= 100; q++) {
        long scale = q < 50 ? 5000 / q : 200 - 2 * q;
        double err = 0;
        for (int i = 0; i < 64; i++) {
            long v = ((long)std_lum[i] * scale + 50) / 100;
            v = v < 1 ? 1 : v > 255 ? 255 : v;
            double dv = (double)t->quantval[i] - (double)v;
            err += dv * dv;
        }
        if (err < best_err) {
            best_err = err;
            best = q;
        }
    }
    return best;
}

/* ICC (unless CMYK), EXIF, XMP and resolution from the saved markers; 0 when out of memory. */
static int read_meta(j_decompress_ptr d, pol__image *im, int cmyk)
{
    JOCTET *icc = NULL;
    unsigned icc_len = 0;
    if (!cmyk && jpeg_read_icc_profile(d, &icc, &icc_len) && icc) {
        im->icc = icc; /* malloc'ed by libjpeg-turbo */
        im->icc_len = icc_len;
    } else {
        free(icc);
    }
    for (jpeg_saved_marker_ptr m = d->marker_list; m; m = m->next) {
        if (m->marker != JPEG_APP0 + 1) continue;
        int ok = 1;
        if (m->data_length > 6 && !memcmp(m->data, "Exif\0\0", 6))
            ok = copy_blob(&im->exif, &im->exif_len, m->data + 6, m->data_length - 6);
        else if (m->data_length > sizeof xmp_sig && !memcmp(m->data, xmp_sig, sizeof xmp_sig))
            ok = copy_blob(&im->xmp, &im->xmp_len, m->data + sizeof xmp_sig,
                           m->data_length - sizeof xmp_sig);
        if (!ok) return 0;
    }
    if (d->saw_JFIF_marker && d->density_unit == 1 && d->X_density > 1)
        im->dpi = d->X_density;
    else if (d->saw_JFIF_marker && d->density_unit == 2 && d->X_density > 1)
        im->dpi = d->X_density * 2.54;
    else if (im->exif)
        im->dpi = pol__exif_dpi(im->exif, im->exif_len);
    return 1;
}

typedef struct jload {
    struct jpeg_decompress_struct d;
    jerr e;
    jscans scans;
    FILE *fp;
    JSAMPLE *rows;
    pol__image *im;
    float *rowf; /* one decoded row, when resizing while decoding */
    pol__rs_stream *stream;
    cmsHTRANSFORM cmyk_xf; /* CMYK through its embedded profile to sRGB */
    uint16_t *rgb16;       /* its output row */
} jload;

pol_status pol__jpeg_load(pol_run *run, const char *path, const pol__image_load_opts *o,
                          pol__image **out)
{
    *out = NULL;
    /* volatile: these are read after a longjmp */
    jload *volatile L = calloc(1, sizeof *L);
    if (!L) return pol__fail(run, POL_ERR_NOMEM, "out of memory");
    pol_status st = POL_OK;
    init_err(&L->e, run, o && o->lenient);
    L->d.err = &L->e.pub;
    if (setjmp(L->e.jb)) {
        if (L->scans.over)
            st = pol__fail(run, POL_ERR_LIMIT,
                           "progressive JPEG with more than %llu scans (--limit scans=N)",
                           (unsigned long long)L->scans.max_scans);
        else if (L->im && L->d.output_height)
            st = pol__fail(run, POL_ERR_CORRUPT, "damaged JPEG: %s at row %u of %u%s", L->e.msg,
                           L->d.output_scanline, L->d.output_height,
                           L->e.lenient ? "" : " (use --lenient to keep what can be read)");
        else
            st = pol__fail(run, POL_ERR_CORRUPT, "damaged JPEG: %s", L->e.msg);
        goto done;
    }
    jpeg_create_decompress(&L->d);
    {
        const pol_limits *lim = o && o->limits ? o->limits : run && run->opt ? &run->opt->limits : NULL;
        L->scans.pub.progress_monitor = on_progress;
        L->scans.e = &L->e;
        L->scans.max_scans = lim ? lim->max_scans : 0;
        L->d.progress = &L->scans.pub;
    }
    L->fp = fopen(path, "rb");
    if (!L->fp) {
        st = pol__fail(run, POL_ERR_IO, "cannot open");
        goto done;
    }
    jpeg_stdio_src(&L->d, L->fp);
    jpeg_save_markers(&L->d, JPEG_APP0 + 1, 0xFFFF);
    jpeg_save_markers(&L->d, JPEG_APP0 + 2, 0xFFFF);
    jpeg_read_header(&L->d, TRUE);
    if ((st = pol__image_check_limits(run, o, L->d.image_width, L->d.image_height, 1, "JPEG")))
        goto done;

    int orientation = marker_orientation(&L->d);
    int shrink = o ? o->shrink : 1;
    if (shrink <= 0)
        shrink =
            pol__image_plan_shrink(run, (int)L->d.image_width, (int)L->d.image_height, orientation);
    if (shrink != 2 && shrink != 4 && shrink != 8) shrink = 1;
    L->d.scale_num = 1;
    L->d.scale_denom = (unsigned)shrink;
    int cmyk = L->d.jpeg_color_space == JCS_CMYK || L->d.jpeg_color_space == JCS_YCCK;
    int grey = L->d.jpeg_color_space == JCS_GRAYSCALE;
    L->d.out_color_space = cmyk ? JCS_CMYK : grey ? JCS_GRAYSCALE : JCS_RGB;
    jpeg_start_decompress(&L->d);

    int inverted = L->d.saw_Adobe_marker;
    char cmyk_desc[256] = "";
    if (cmyk) L->cmyk_xf = cmyk_transform(&L->d, inverted, cmyk_desc, sizeof cmyk_desc);
    int w = (int)L->d.output_width, h = (int)L->d.output_height;
    int nc = L->d.output_components, oc = cmyk ? 3 : nc;
    int fw = w, fh = h;
    pol__kernel fk = POL_KERNEL_LANCZOS3;
    int fused = !cmyk && pol__image_plan_fused(run, (int)L->d.image_width, (int)L->d.image_height,
                                               orientation, &fw, &fh, &fk);
    if (fused && (fw > w || fh > h)) fused = 0;
    L->im = pol__image_new(fw, fh, oc);
    size_t rowbytes = (size_t)w * (size_t)nc;
    int batch = L->d.rec_outbuf_height > 0 ? L->d.rec_outbuf_height : 1;
    L->rows = L->im ? malloc(rowbytes * (size_t)batch) : NULL;
    if (L->rows && fused) {
        L->rowf = malloc((size_t)w * (size_t)oc * sizeof(float));
        L->stream = pol__rs_stream_new(w, h, oc, fw, fh, fk, L->im->px);
    }
    if (L->rows && L->cmyk_xf) L->rgb16 = malloc((size_t)w * 3 * sizeof *L->rgb16);
    if (!L->rows || (fused && (!L->rowf || !L->stream)) || (L->cmyk_xf && !L->rgb16)) {
        st = pol__fail(run, POL_ERR_NOMEM, "out of memory for %dx%d pixels", w, h);
        goto done;
    }
    JSAMPROW ptrs[16];
    for (int i = 0; i < batch && i < 16; i++) ptrs[i] = L->rows + (size_t)i * rowbytes;
    while (L->d.output_scanline < L->d.output_height) {
        unsigned y0 = L->d.output_scanline;
        unsigned got = jpeg_read_scanlines(&L->d, ptrs, (JDIMENSION)(batch < 16 ? batch : 16));
        for (unsigned r = 0; r < got; r++) {
            float *dst = fused ? L->rowf : pol__image_row(L->im, (int)(y0 + r));
            const JSAMPLE *src = ptrs[r];
            if (L->cmyk_xf) {
                cmsDoTransform(L->cmyk_xf, src, L->rgb16, (cmsUInt32Number)w);
                for (int i = 0; i < w * 3; i++) dst[i] = L->rgb16[i] * (1.0f / 65535.0f);
            } else if (cmyk) {
                cmyk_row(src, dst, w, inverted);
            } else
                for (size_t i = 0; i < rowbytes; i++) dst[i] = pol__u8_to_float[src[i]];
            if (fused) pol__rs_stream_push(L->stream, dst);
        }
    }
    if (fused) {
        if (!pol__rs_stream_done(L->stream)) {
            st = pol__fail(run, POL_ERR_INTERNAL, "resizing while decoding left rows unmade");
            goto done;
        }
        pol__decide(run,
                    "resized to %dx%d while decoding the %dx%d JPEG (%s, in linear light): "
                    "the full-size pixels were never held in memory",
                    fw, fh, w, h,
                    fk == POL_KERNEL_LANCZOS3   ? "Lanczos-3"
                    : fk == POL_KERNEL_LANCZOS2 ? "Lanczos-2"
                                                : "linear");
    }

    pol__image *im = L->im;
    im->bit_depth = 8;
    memcpy(im->format, "jpeg", 5);
    im->orientation = orientation;
    if (!read_meta(&L->d, im, cmyk)) {
        st = pol__fail(run, POL_ERR_NOMEM, "out of memory");
        goto done;
    }
    im->srgb = cmyk || !im->icc || pol__icc_is_srgb(im->icc, im->icc_len);
    if (cmyk && L->cmyk_xf) {
        im->icc = pol__icc_srgb(&im->icc_len);
        pol__decide(run, "CMYK JPEG converted to sRGB through its embedded profile '%s'",
                    cmyk_desc);
    } else if (cmyk) {
        pol__warn(run, "CMYK JPEG without a usable CMYK profile converted to RGB naively");
    }
    if (shrink == 1 && !fused && !cmyk && !L->e.warned) {
        /* Full-size pixels exactly as decoded (from undamaged data): remembered, so that an image
         * no step changed is written from its DCT coefficients and a changed one like its
         * source. */
        im->jpeg_quality = estimate_quality(&L->d);
        if (L->d.num_components == 3 && L->d.comp_info[1].h_samp_factor == 1 &&
            L->d.comp_info[1].v_samp_factor == 1 && L->d.comp_info[2].h_samp_factor == 1 &&
            L->d.comp_info[2].v_samp_factor == 1) {
            im->jpeg_sub_h = L->d.comp_info[0].h_samp_factor;
            im->jpeg_sub_v = L->d.comp_info[0].v_samp_factor;
        }
        im->src_path = strdup(path);
        im->src_hash = im->src_path ? pol__image_px_hash(run, im) : 0;
    }
    jpeg_finish_decompress(&L->d);
    *out = L->im;
    L->im = NULL;
done:
    jpeg_destroy_decompress(&L->d);
    if (L->fp) fclose(L->fp);
    free(L->rows);
    free(L->rowf);
    pol__rs_stream_free(L->stream);
    if (L->cmyk_xf) cmsDeleteTransform(L->cmyk_xf);
    free(L->rgb16);
    pol__image_free(L->im);
    free(L);
    return st;
}

/* ---- writing -------------------------------------------------------------------------------- */

static void write_markers(pol_run *run, j_compress_ptr c, const pol__meta_out *m);

typedef struct jsave {
    struct jpeg_compress_struct c;
    jerr e;
    JSAMPLE *row;
    pol__image *conv;       /* channel-converted copy, when needed */
    unsigned char *membuf; /* memory destination (libjpeg mallocs it; ours to free) */
    unsigned long memsize;
} jsave;

static void write_pixels(jsave *S, const pol__image *im)
{
    size_t n = (size_t)im->width * (size_t)im->channels;
    JSAMPROW rp[1] = {S->row};
    for (int y = 0; y < im->height; y++) {
        const float *src = pol__image_row(im, y);
        for (size_t i = 0; i < n; i++) S->row[i] = pol__float_to_u8(src[i]);
        jpeg_write_scanlines(&S->c, rp, 1);
    }
}

/* Common set-up for file and memory destinations. Returns the image to write (grey or RGB). */
static const pol__image *prepare(pol_run *run, jsave *S, const pol__image *im, int quality,
                                int progressive, int sub_h, int sub_v, pol_status *st)
{
    *st = POL_OK;
    const pol__image *src = im;
    if (im->channels == 2 || im->channels == 4) {
        /* JPEG has no alpha: flatten onto white rather than silently drop it */
        S->conv = pol__image_with_channels(im, im->channels - 1);
        if (!S->conv) {
            *st = pol__fail(run, POL_ERR_NOMEM, "out of memory");
            return NULL;
        }
        src = S->conv;
        pol__warn(run, "JPEG has no transparency: alpha flattened onto white");
    }
    S->row = malloc((size_t)src->width * (size_t)src->channels);
    if (!S->row) {
        *st = pol__fail(run, POL_ERR_NOMEM, "out of memory");
        return NULL;
    }
    S->c.image_width = (JDIMENSION)src->width;
    S->c.image_height = (JDIMENSION)src->height;
    S->c.input_components = src->channels;
    S->c.in_color_space = src->channels == 1 ? JCS_GRAYSCALE : JCS_RGB;
    jpeg_set_defaults(&S->c);
    jpeg_set_quality(&S->c, quality, TRUE);
    if (src->channels == 3 && sub_h >= 1 && sub_h <= 2 && sub_v >= 1 && sub_v <= 2) {
        /* the source's chroma resolution */
        S->c.comp_info[0].h_samp_factor = sub_h;
        S->c.comp_info[0].v_samp_factor = sub_v;
        for (int i = 1; i < 3; i++) S->c.comp_info[i].h_samp_factor = 1;
        for (int i = 1; i < 3; i++) S->c.comp_info[i].v_samp_factor = 1;
    } else if (src->channels == 3 && quality >= 90) {
        /* high quality: keep full colour resolution (4:4:4) */
        for (int i = 0; i < 3; i++) S->c.comp_info[i].h_samp_factor = 1;
        for (int i = 0; i < 3; i++) S->c.comp_info[i].v_samp_factor = 1;
    }
    if (progressive) jpeg_simple_progression(&S->c);
    S->c.optimize_coding = progressive ? TRUE : FALSE;
    return src;
}

pol_status pol__jpeg_save(pol_run *run, const pol__image *im, const pol__image_save *s,
                          const pol__meta_out *m, FILE *fp)
{
    jsave *volatile S = calloc(1, sizeof *S);
    if (!S) return pol__fail(run, POL_ERR_NOMEM, "out of memory");
    volatile pol_status st = POL_OK;
    init_err(&S->e, run, 0);
    S->c.err = &S->e.pub;
    if (setjmp(S->e.jb)) {
        st = pol__fail(run, POL_ERR_IO, "writing JPEG: %s", S->e.msg);
        goto done;
    }
    jpeg_create_compress(&S->c);
    jpeg_stdio_dest(&S->c, fp);
    pol_status pst;
    const pol__image *src =
        prepare(run, S, im, s->quality > 0 ? s->quality : 85, s->progressive, s->sub_h, s->sub_v,
                &pst);
    if (!src) {
        st = pst;
        goto done;
    }
    if (m->dpi > 0) {
        S->c.density_unit = 1;
        S->c.X_density = S->c.Y_density = (UINT16)(m->dpi + 0.5);
    }
    jpeg_start_compress(&S->c, TRUE);
    write_markers(run, &S->c, m);
    write_pixels(S, src);
    jpeg_finish_compress(&S->c);
done:
    jpeg_destroy_compress(&S->c);
    free(S->row);
    pol__image_free(S->conv);
    free(S);
    return st;
}

static void write_markers(pol_run *run, j_compress_ptr c, const pol__meta_out *m)
{
    if (m->exif && m->exif_len + 6 <= 65533) {
        unsigned char *buf = malloc(m->exif_len + 6);
        if (buf) {
            memcpy(buf, "Exif\0\0", 6);
            memcpy(buf + 6, m->exif, m->exif_len);
            jpeg_write_marker(c, JPEG_APP0 + 1, buf, (unsigned)(m->exif_len + 6));
            free(buf);
        }
    } else if (m->exif) {
        pol__warn(run, "EXIF block of %zu bytes too large for JPEG; not written", m->exif_len);
    }
    if (m->icc) jpeg_write_icc_profile(c, m->icc, (unsigned)m->icc_len);
    if (m->xmp && m->xmp_len + sizeof xmp_sig <= 65533) {
        unsigned char *buf = malloc(m->xmp_len + sizeof xmp_sig);
        if (buf) {
            memcpy(buf, xmp_sig, sizeof xmp_sig);
            memcpy(buf + sizeof xmp_sig, m->xmp, m->xmp_len);
            jpeg_write_marker(c, JPEG_APP0 + 1, buf, (unsigned)(m->xmp_len + sizeof xmp_sig));
            free(buf);
        }
    }
}

typedef struct jcopy {
    struct jpeg_decompress_struct d;
    struct jpeg_compress_struct c;
    jerr e; /* one error manager for both: either failing jumps to the same place */
    FILE *in;
} jcopy;

/* ---- the unchanged JPEG, copied: its headers and entropy-coded data byte for byte, with the
 * metadata policy's markers in place of the source's APPn/COM markers. Nothing is decoded, so
 * memory stays flat (reading the coefficients held all of them: 88 MB for a 5120x2880 4:4:4
 * photo). 1: written; 0: a layout this copy does not handle (nothing written yet); -1: failed. */

static int put_segment(FILE *fp, int marker, const unsigned char *a, size_t na,
                       const unsigned char *b, size_t nb)
{
    size_t len = na + nb + 2;
    if (len > 65535) return 0;
    unsigned char h[4] = {0xFF, (unsigned char)marker, (unsigned char)(len >> 8), (unsigned char)len};
    return fwrite(h, 1, 4, fp) == 4 && (!na || fwrite(a, 1, na, fp) == na) &&
           (!nb || fwrite(b, 1, nb, fp) == nb);
}

static int copy_jpeg(pol_run *run, FILE *in, const pol__meta_out *m, FILE *fp)
{
    unsigned char head[2];
    if (fread(head, 1, 2, in) != 2 || head[0] != 0xFF || head[1] != 0xD8) return 0;
    /* the segments kept (tables, frame, restart interval), in order, until the first scan */
    unsigned char *keep = NULL;
    size_t nkeep = 0, cap = 0;
    int jfif = 0, comps = 0, ids_ycc = 1, ok = 1;
    unsigned char jfif_ver[2] = {1, 1}, unit = 0, dens[4] = {0, 1, 0, 1};
    for (;;) {
        int c = fgetc(in);
        if (c != 0xFF) {
            ok = 0;
            break;
        }
        while ((c = fgetc(in)) == 0xFF) {
        }
        if (c == EOF || c == 0xD9 || (c >= 0xD0 && c <= 0xD7) || c == 0x01 || c == 0) {
            ok = 0;
            break;
        }
        int hi = fgetc(in), lo = fgetc(in);
        if (hi == EOF || lo == EOF || (hi << 8 | lo) < 2) {
            ok = 0;
            break;
        }
        size_t len = (size_t)(hi << 8 | lo) - 2;
        if (nkeep + len + 4 > cap) {
            cap = (nkeep + len + 4) * 2;
            unsigned char *k = realloc(keep, cap);
            if (!k) {
                free(keep);
                return -1;
            }
            keep = k;
        }
        unsigned char *seg = keep + nkeep;
        seg[0] = 0xFF, seg[1] = (unsigned char)c, seg[2] = (unsigned char)hi, seg[3] = (unsigned char)lo;
        if (fread(seg + 4, 1, len, in) != len) {
            ok = 0;
            break;
        }
        const unsigned char *p = seg + 4;
        if (c == 0xDA) { /* the first scan: from here on everything is copied as it is */
            nkeep += len + 4;
            break;
        }
        if (c == 0xE0 && len >= 14 && !memcmp(p, "JFIF", 5)) {
            jfif = 1;
            if (p[5] == 1) jfif_ver[0] = p[5], jfif_ver[1] = p[6];
            unit = p[7];
            memcpy(dens, p + 8, 4);
            continue;
        }
        if (c == 0xEE) { /* an Adobe marker says how the colours are stored: decoded, not copied */
            ok = 0;
            break;
        }
        if ((c >= 0xE0 && c <= 0xEF) || c == 0xFE) continue; /* metadata: the policy's own */
        if (c >= 0xC0 && c <= 0xCF && c != 0xC4 && c != 0xC8 && c != 0xCC && len >= 6) {
            comps = p[5];
            if (comps == 3 && len >= 6 + 9)
                ids_ycc = p[6] == 1 && p[9] == 2 && p[12] == 3;
        }
        nkeep += len + 4;
    }
    /* a JFIF marker is written (as libjpeg does for grey and YCbCr): only where it says true */
    if (ok && !(comps == 1 || (comps == 3 && (jfif || ids_ycc)))) ok = 0;
    if (!ok) {
        free(keep);
        return 0;
    }
    if (m->dpi > 0) {
        unsigned d = (unsigned)(m->dpi + 0.5);
        d = d > 65535 ? 65535 : d;
        unit = 1;
        dens[0] = dens[2] = (unsigned char)(d >> 8);
        dens[1] = dens[3] = (unsigned char)d;
    }
    unsigned char app0[14] = {'J', 'F', 'I', 'F', 0, jfif_ver[0], jfif_ver[1], unit,
                              dens[0], dens[1], dens[2], dens[3], 0, 0};
    int w = fwrite("\xFF\xD8", 1, 2, fp) == 2 && put_segment(fp, 0xE0, app0, 14, NULL, 0);
    if (w && m->exif && m->exif_len + 6 <= 65533)
        w = put_segment(fp, 0xE1, (const unsigned char *)"Exif\0\0", 6, m->exif, m->exif_len);
    else if (m->exif)
        pol__warn(run, "EXIF block of %zu bytes too large for JPEG; not written", m->exif_len);
    if (w && m->icc) {
        enum { MAXD = 65519 }; /* as jpeg_write_icc_profile: 65533 less the 14 of the header */
        size_t nm = (m->icc_len + MAXD - 1) / MAXD;
        for (size_t i = 0; w && i < nm; i++) {
            size_t off = i * MAXD, n = m->icc_len - off < MAXD ? m->icc_len - off : MAXD;
            unsigned char h[14] = {'I', 'C', 'C', '_', 'P', 'R', 'O', 'F', 'I', 'L', 'E', 0,
                                   (unsigned char)(i + 1), (unsigned char)nm};
            w = put_segment(fp, 0xE2, h, 14, m->icc + off, n);
        }
    }
    if (w && m->xmp && m->xmp_len + sizeof xmp_sig <= 65533)
        w = put_segment(fp, 0xE1, (const unsigned char *)xmp_sig, sizeof xmp_sig, m->xmp, m->xmp_len);
    if (w) w = fwrite(keep, 1, nkeep, fp) == nkeep;
    free(keep);
    unsigned char buf[65536];
    size_t n;
    while (w && (n = fread(buf, 1, sizeof buf, in)) > 0) w = fwrite(buf, 1, n, fp) == n;
    if (w && ferror(in)) w = 0;
    return w ? 1 : -1;
}

pol_status pol__jpeg_transcode(pol_run *run, const char *src_path, const pol__image_save *s,
                               const pol__meta_out *m, FILE *fp)
{
    if (!s->progressive) {
        FILE *in = fopen(src_path, "rb");
        if (!in) return pol__fail(run, POL_ERR_IO, "cannot reopen %s to copy it losslessly", src_path);
        long start = ftell(fp);
        int r = copy_jpeg(run, in, m, fp);
        fclose(in);
        if (r > 0) return POL_OK;
        if (r < 0) return pol__fail(run, POL_ERR_IO, "copying %s: %s", src_path, strerror(errno ? errno : EIO));
        if (start < 0 || fseek(fp, start, SEEK_SET) != 0)
            return pol__fail(run, POL_ERR_IO, "cannot rewind the output");
    }
    jcopy *volatile J = calloc(1, sizeof *J);
    if (!J) return pol__fail(run, POL_ERR_NOMEM, "out of memory");
    volatile pol_status st = POL_OK;
    init_err(&J->e, run, 0);
    J->d.err = &J->e.pub;
    J->c.err = &J->e.pub;
    if (setjmp(J->e.jb)) {
        st = pol__fail(run, POL_ERR_IO, "copying the JPEG's coefficients: %s", J->e.msg);
        goto done;
    }
    jpeg_create_decompress(&J->d);
    jpeg_create_compress(&J->c);
    J->in = fopen(src_path, "rb");
    if (!J->in) {
        st = pol__fail(run, POL_ERR_IO, "cannot reopen %s to copy it losslessly", src_path);
        goto done;
    }
    jpeg_stdio_src(&J->d, J->in);
    jpeg_read_header(&J->d, TRUE);
    jvirt_barray_ptr *coef = jpeg_read_coefficients(&J->d);
    jpeg_copy_critical_parameters(&J->d, &J->c);
    if (m->dpi > 0) {
        J->c.write_JFIF_header = TRUE;
        J->c.density_unit = 1;
        J->c.X_density = J->c.Y_density = (UINT16)(m->dpi + 0.5);
    }
    J->c.optimize_coding = TRUE;
    if (s->progressive) jpeg_simple_progression(&J->c);
    jpeg_stdio_dest(&J->c, fp);
    jpeg_write_coefficients(&J->c, coef);
    write_markers(run, &J->c, m);
    jpeg_finish_compress(&J->c);
    jpeg_finish_decompress(&J->d);
done:
    jpeg_destroy_compress(&J->c);
    jpeg_destroy_decompress(&J->d);
    if (J->in) fclose(J->in);
    free(J);
    return st;
}

pol_status pol__jpeg_encode_mem(pol_run *run, const pol__image *im, int quality,
                                unsigned char **jpeg, size_t *len)
{
    *jpeg = NULL;
    *len = 0;
    jsave *volatile S = calloc(1, sizeof *S);
    if (!S) return pol__fail(run, POL_ERR_NOMEM, "out of memory");
    volatile pol_status st = POL_OK;
    init_err(&S->e, NULL, 0);
    S->c.err = &S->e.pub;
    if (setjmp(S->e.jb)) {
        st = pol__fail(run, POL_ERR_INTERNAL, "encoding JPEG: %s", S->e.msg);
        free(S->membuf);
        goto done;
    }
    jpeg_create_compress(&S->c);
    jpeg_mem_dest(&S->c, &S->membuf, &S->memsize);
    pol_status pst;
    const pol__image *src = prepare(NULL, S, im, quality, 0, 0, 0, &pst);
    if (!src) {
        st = pst;
        free(S->membuf);
        goto done;
    }
    jpeg_start_compress(&S->c, TRUE);
    write_pixels(S, src);
    jpeg_finish_compress(&S->c);
    *jpeg = S->membuf;
    *len = S->memsize;
done:
    jpeg_destroy_compress(&S->c);
    free(S->row);
    pol__image_free(S->conv);
    free(S);
    return st;
}

/* ---- row by row (strips) -------------------------------------------------------------------- */

struct pol__jpeg_rows {
    struct jpeg_decompress_struct d;
    jerr e;
    jscans scans;
    FILE *fp;
    JSAMPLE *row;
    pol__image *meta;
    int created;
};

void pol__jpeg_rows_close(pol__jpeg_rows *R)
{
    if (!R) return;
    if (R->created) jpeg_destroy_decompress(&R->d);
    if (R->fp) fclose(R->fp);
    free(R->row);
    free(R);
}

pol_status pol__jpeg_rows_open(pol_run *run, const char *path, pol__image **meta,
                               pol__jpeg_rows **out)
{
    *out = NULL;
    *meta = NULL;
    pol__jpeg_rows *volatile R = calloc(1, sizeof *R);
    if (!R) return pol__fail(run, POL_ERR_NOMEM, "out of memory");
    pol__image *volatile im = NULL;
    pol_status st = POL_OK;
    init_err(&R->e, run, run && run->opt ? run->opt->lenient : 0);
    R->d.err = &R->e.pub;
    if (setjmp(R->e.jb)) {
        st = R->scans.over ? pol__fail(run, POL_ERR_LIMIT,
                                       "progressive JPEG with more than %llu scans (--limit scans=N)",
                                       (unsigned long long)R->scans.max_scans)
                           : pol__fail(run, POL_ERR_CORRUPT, "damaged JPEG: %s", R->e.msg);
        goto fail;
    }
    jpeg_create_decompress(&R->d);
    R->created = 1;
    R->scans.pub.progress_monitor = on_progress;
    R->scans.e = &R->e;
    R->scans.max_scans = run && run->opt ? run->opt->limits.max_scans : 0;
    R->d.progress = &R->scans.pub;
    if (!(R->fp = fopen(path, "rb"))) {
        st = pol__fail(run, POL_ERR_IO, "cannot open");
        goto fail;
    }
    jpeg_stdio_src(&R->d, R->fp);
    jpeg_save_markers(&R->d, JPEG_APP0 + 1, 0xFFFF);
    jpeg_save_markers(&R->d, JPEG_APP0 + 2, 0xFFFF);
    jpeg_read_header(&R->d, TRUE);
    if ((st = pol__image_check_size(run, NULL, R->d.image_width, R->d.image_height, 1, "JPEG")))
        goto fail;
    int grey = R->d.jpeg_color_space == JCS_GRAYSCALE;
    if (R->d.jpeg_color_space == JCS_CMYK || R->d.jpeg_color_space == JCS_YCCK ||
        marker_orientation(&R->d) > 1) {
        st = pol__fail(run, POL_ERR_UNSUPPORTED, "CMYK or turned JPEG: not read row by row");
        goto fail;
    }
    R->d.out_color_space = grey ? JCS_GRAYSCALE : JCS_RGB;
    jpeg_start_decompress(&R->d);
    im = calloc(1, sizeof *im);
    R->row = malloc((size_t)R->d.output_width * (size_t)R->d.output_components);
    if (!im || !R->row || !read_meta(&R->d, im, 0)) {
        st = pol__fail(run, POL_ERR_NOMEM, "out of memory");
        goto fail;
    }
    im->width = (int)R->d.output_width;
    im->height = (int)R->d.output_height;
    im->channels = R->d.output_components;
    im->bit_depth = 8;
    im->orientation = 1;
    im->save.keep_icc = 1;
    memcpy(im->format, "jpeg", 5);
    im->srgb = !im->icc || pol__icc_is_srgb(im->icc, im->icc_len);
    /* as pol__jpeg_load at full size: written like its source when changed, and from its own
     * coefficients when not (unless decoding warned: then src_path is dropped) */
    im->jpeg_quality = estimate_quality(&R->d);
    if (R->d.num_components == 3 && R->d.comp_info[1].h_samp_factor == 1 &&
        R->d.comp_info[1].v_samp_factor == 1 && R->d.comp_info[2].h_samp_factor == 1 &&
        R->d.comp_info[2].v_samp_factor == 1) {
        im->jpeg_sub_h = R->d.comp_info[0].h_samp_factor;
        im->jpeg_sub_v = R->d.comp_info[0].v_samp_factor;
    }
    im->src_path = R->e.warned ? NULL : strdup(path);
    R->meta = im;
    *meta = im;
    *out = R;
    return POL_OK;
fail:
    pol__image_free(im);
    pol__jpeg_rows_close(R);
    return st;
}

pol_status pol__jpeg_rows_read(pol_run *run, pol__jpeg_rows *R, float *dst, int n)
{
    if (setjmp(R->e.jb))
        return pol__fail(run, POL_ERR_CORRUPT, "damaged JPEG: %s at row %u of %u%s", R->e.msg,
                         R->d.output_scanline, R->d.output_height,
                         R->e.lenient ? "" : " (use --lenient to keep what can be read)");
    size_t len = (size_t)R->d.output_width * (size_t)R->d.output_components;
    JSAMPROW rp[1] = {R->row};
    for (int i = 0; i < n; i++) {
        if (R->d.output_scanline >= R->d.output_height)
            return pol__fail(run, POL_ERR_INTERNAL, "JPEG read past its end");
        jpeg_read_scanlines(&R->d, rp, 1);
        float *d = dst + (size_t)i * len;
        for (size_t k = 0; k < len; k++) d[k] = pol__u8_to_float[R->row[k]];
    }
    if (R->e.warned && R->meta->src_path) { /* not the source's own pixels any more */
        free(R->meta->src_path);
        R->meta->src_path = NULL;
    }
    return POL_OK;
}

struct pol__jpeg_writer {
    jsave S;
    int created;
};

void pol__jpeg_write_abort(pol__jpeg_writer *W)
{
    if (!W) return;
    if (W->created) jpeg_destroy_compress(&W->S.c);
    free(W->S.row);
    pol__image_free(W->S.conv);
    free(W);
}

pol_status pol__jpeg_write_begin(pol_run *run, const pol__image *im, const pol__image_save *s,
                                 const pol__meta_out *m, FILE *fp, pol__jpeg_writer **out)
{
    *out = NULL;
    if (im->channels != 1 && im->channels != 3)
        return pol__fail(run, POL_ERR_UNSUPPORTED, "JPEG rows are grey or RGB");
    pol__jpeg_writer *volatile W = calloc(1, sizeof *W);
    if (!W) return pol__fail(run, POL_ERR_NOMEM, "out of memory");
    init_err(&W->S.e, run, 0);
    W->S.c.err = &W->S.e.pub;
    if (setjmp(W->S.e.jb)) {
        pol_status st = pol__fail(run, POL_ERR_IO, "writing JPEG: %s", W->S.e.msg);
        pol__jpeg_write_abort(W);
        return st;
    }
    jpeg_create_compress(&W->S.c);
    W->created = 1;
    jpeg_stdio_dest(&W->S.c, fp);
    pol_status pst;
    if (!prepare(run, &W->S, im, s->quality > 0 ? s->quality : 85, s->progressive, s->sub_h,
                 s->sub_v, &pst)) {
        pol__jpeg_write_abort(W);
        return pst;
    }
    if (m->dpi > 0) {
        W->S.c.density_unit = 1;
        W->S.c.X_density = W->S.c.Y_density = (UINT16)(m->dpi + 0.5);
    }
    jpeg_start_compress(&W->S.c, TRUE);
    write_markers(run, &W->S.c, m);
    *out = W;
    return POL_OK;
}

pol_status pol__jpeg_write_rows(pol_run *run, pol__jpeg_writer *W, const float *px, int rows)
{
    if (setjmp(W->S.e.jb)) return pol__fail(run, POL_ERR_IO, "writing JPEG: %s", W->S.e.msg);
    size_t n = (size_t)W->S.c.image_width * (size_t)W->S.c.input_components;
    JSAMPROW rp[1] = {W->S.row};
    for (int y = 0; y < rows; y++) {
        if (W->S.c.next_scanline >= W->S.c.image_height)
            return pol__fail(run, POL_ERR_INTERNAL, "JPEG writer given too many rows");
        const float *src = px + (size_t)y * n;
        for (size_t i = 0; i < n; i++) W->S.row[i] = pol__float_to_u8(src[i]);
        jpeg_write_scanlines(&W->S.c, rp, 1);
    }
    return POL_OK;
}

pol_status pol__jpeg_write_end(pol_run *run, pol__jpeg_writer *W)
{
    if (setjmp(W->S.e.jb)) {
        pol_status st = pol__fail(run, POL_ERR_IO, "writing JPEG: %s", W->S.e.msg);
        pol__jpeg_write_abort(W);
        return st;
    }
    jpeg_finish_compress(&W->S.c);
    pol__jpeg_write_abort(W);
    return POL_OK;
}
