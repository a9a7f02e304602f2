/* polish — HEIF/HEIC and AVIF read/write with libheif: 8/10/12-bit, alpha, ICC or nclx colour,
 * EXIF and XMP; writing needs libheif's HEVC (x265) or AV1 (aom) encoder. */
#include <stdlib.h>
#include <string.h>
#include <lcms2.h>
#include <libheif/heif.h>
#include "image/image_io.h"

/* An ICC profile equivalent to an nclx description with non-sRGB primaries (phones: Display P3),
 * so image.colour can convert it like any embedded profile. */
static unsigned char *icc_from_nclx(const struct heif_color_profile_nclx *n, size_t *len)
{
    *len = 0;
    cmsCIExyY white = {n->color_primary_white_x, n->color_primary_white_y, 1.0};
    cmsCIExyYTRIPLE prim = {{n->color_primary_red_x, n->color_primary_red_y, 1.0},
                            {n->color_primary_green_x, n->color_primary_green_y, 1.0},
                            {n->color_primary_blue_x, n->color_primary_blue_y, 1.0}};
    cmsFloat64Number p[5] = {2.4, 1 / 1.055, 0.055 / 1.055, 1 / 12.92, 0.04045};
    cmsToneCurve *c = cmsBuildParametricToneCurve(NULL, 4, p);
    if (!c) return NULL;
    cmsToneCurve *curves[3] = {c, c, c};
    cmsHPROFILE h = cmsCreateRGBProfile(&white, &prim, curves);
    cmsFreeToneCurve(c);
    if (!h) return NULL;
    cmsMLU *desc = cmsMLUalloc(NULL, 1);
    if (desc) {
        cmsMLUsetASCII(desc, "en", "US",
                       n->color_primaries == heif_color_primaries_SMPTE_EG_432_1
                           ? "Display P3 (nclx)"
                           : "RGB (nclx)");
        cmsWriteTag(h, cmsSigProfileDescriptionTag, desc);
        cmsMLUfree(desc);
    }
    cmsUInt32Number sz = 0;
    unsigned char *buf = NULL;
    if (cmsSaveProfileToMem(h, NULL, &sz) && sz && (buf = malloc(sz)) &&
        !cmsSaveProfileToMem(h, buf, &sz)) {
        free(buf);
        buf = NULL;
    }
    cmsCloseProfile(h);
    if (buf) *len = sz;
    return buf;
}

static void read_colour(pol_run *run, const struct heif_image_handle *hd, pol__image *im)
{
    enum heif_color_profile_type t = heif_image_handle_get_color_profile_type(hd);
    if (t == heif_color_profile_type_prof || t == heif_color_profile_type_rICC) {
        size_t n = heif_image_handle_get_raw_color_profile_size(hd);
        if (n && (im->icc = malloc(n))) {
            if (heif_image_handle_get_raw_color_profile(hd, im->icc).code == heif_error_Ok) {
                im->icc_len = n;
            } else {
                free(im->icc);
                im->icc = NULL;
            }
        }
    }
    struct heif_color_profile_nclx *nclx = NULL;
    struct heif_error e = {heif_error_Ok, heif_suberror_Unspecified, ""};
    if (!im->icc) e = heif_image_handle_get_nclx_color_profile(hd, &nclx);
    if (e.code == heif_error_Ok && nclx) {
        int p = nclx->color_primaries;
        if (p != heif_color_primaries_ITU_R_BT_709_5 && p != heif_color_primaries_unspecified)
            im->icc = icc_from_nclx(nclx, &im->icc_len);
        int tc = nclx->transfer_characteristics;
        if (tc == heif_transfer_characteristic_ITU_R_BT_2100_0_PQ ||
            tc == heif_transfer_characteristic_ITU_R_BT_2100_0_HLG)
            pol__warn(run, "HDR transfer curve (nclx %d) read as if it were sRGB", tc);
    }
    /* libheif 1.15 can hand out a profile together with an error: free it either way */
    if (nclx) heif_nclx_color_profile_free(nclx);
    im->srgb = !im->icc || pol__icc_is_srgb(im->icc, im->icc_len);
}

static int read_metadata(const struct heif_image_handle *hd, pol__image *im)
{
    heif_item_id ids[16];
    int n = heif_image_handle_get_list_of_metadata_block_IDs(hd, NULL, ids, 16);
    for (int i = 0; i < n; i++) {
        const char *type = heif_image_handle_get_metadata_type(hd, ids[i]);
        const char *ctype = heif_image_handle_get_metadata_content_type(hd, ids[i]);
        size_t size = heif_image_handle_get_metadata_size(hd, ids[i]);
        if (!size || size > (64u << 20)) continue;
        int is_exif = type && !strcmp(type, "Exif") && !im->exif;
        int is_xmp = ctype && !strcmp(ctype, "application/rdf+xml") && !im->xmp;
        if (!is_exif && !is_xmp) continue;
        unsigned char *buf = malloc(size);
        if (!buf) return 0;
        if (heif_image_handle_get_metadata(hd, ids[i], buf).code != heif_error_Ok) {
            free(buf);
            continue;
        }
        if (is_exif) {
            /* a 4-byte big-endian offset to the TIFF header comes first */
            size_t off =
                size >= 4
                    ? ((size_t)buf[0] << 24 | (size_t)buf[1] << 16 | (size_t)buf[2] << 8 | buf[3]) +
                          4
                    : size;
            if (off < size) {
                memmove(buf, buf + off, size - off);
                im->exif = buf;
                im->exif_len = size - off;
            } else {
                free(buf);
            }
        } else {
            im->xmp = buf;
            im->xmp_len = size;
        }
    }
    return 1;
}

pol_status pol__heif_load(pol_run *run, const char *path, const pol__image_load_opts *o,
                          pol__image **out)
{
    *out = NULL;
    struct heif_context *ctx = heif_context_alloc();
    if (!ctx) return pol__fail(run, POL_ERR_NOMEM, "out of memory");
    struct heif_image_handle *hd = NULL;
    struct heif_image *img = NULL;
    pol__image *im = NULL;
    pol_status st = POL_OK;
    const pol_limits *lim = o && o->limits ? o->limits : NULL;
    if (lim && lim->max_pixels) {
        /* libheif's own guard against absurd sizes in the container */
        uint64_t side = lim->max_pixels > 0x7fffffffull ? 0x7fffffffull : lim->max_pixels;
        heif_context_set_maximum_image_size_limit(ctx, (int)side);
    }
    struct heif_error e = heif_context_read_from_file(ctx, path, NULL);
    if (e.code != heif_error_Ok) {
        st = pol__fail(run,
                       e.code == heif_error_Memory_allocation_error ? POL_ERR_NOMEM
                       : e.code == heif_error_Unsupported_feature   ? POL_ERR_UNSUPPORTED
                                                                    : POL_ERR_CORRUPT,
                       "damaged or unsupported HEIF/AVIF: %s", e.message);
        goto done;
    }
    e = heif_context_get_primary_image_handle(ctx, &hd);
    if (e.code != heif_error_Ok) {
        st = pol__fail(run, POL_ERR_CORRUPT, "HEIF/AVIF without a primary image: %s", e.message);
        goto done;
    }
    int w = heif_image_handle_get_width(hd), h = heif_image_handle_get_height(hd);
    int frames = heif_context_get_number_of_top_level_images(ctx);
    if ((st = pol__image_check_limits(run, o, (uint64_t)(w > 0 ? w : 0), (uint64_t)(h > 0 ? h : 0),
                                      (uint64_t)(frames > 0 ? frames : 1), "HEIF/AVIF")))
        goto done;
    {
        /* A grid may claim far more than the image's own size, and libheif checks its limit per
         * side: decode no side larger than the checked size allows (tiles pad a little). */
        uint64_t side = (uint64_t)(w > h ? w : h) * 2 + 1024;
        if (side > 0x7fffffffull) side = 0x7fffffffull;
        heif_context_set_maximum_image_size_limit(ctx, (int)side);
    }
    int alpha = heif_image_handle_has_alpha_channel(hd);
    int bits = heif_image_handle_get_luma_bits_per_pixel(hd);
    int deep = bits > 8;
    enum heif_chroma chroma =
        deep ? (alpha ? heif_chroma_interleaved_RRGGBBAA_LE : heif_chroma_interleaved_RRGGBB_LE)
             : (alpha ? heif_chroma_interleaved_RGBA : heif_chroma_interleaved_RGB);
    e = heif_decode_image(hd, &img, heif_colorspace_RGB, chroma, NULL);
    if (e.code != heif_error_Ok) {
        st = pol__fail(
            run, e.code == heif_error_Memory_allocation_error ? POL_ERR_NOMEM : POL_ERR_CORRUPT,
            "cannot decode HEIF/AVIF: %s", e.message);
        goto done;
    }
    /* transformations (irot/imir) are applied by libheif: the pixels come out upright */
    w = heif_image_get_width(img, heif_channel_interleaved);
    h = heif_image_get_height(img, heif_channel_interleaved);
    int stride = 0;
    const uint8_t *pl = heif_image_get_plane_readonly(img, heif_channel_interleaved, &stride);
    int ch = alpha ? 4 : 3;
    im = pl && w > 0 && h > 0 ? pol__image_new(w, h, ch) : NULL;
    if (!im) {
        st = pol__fail(run, pl ? POL_ERR_NOMEM : POL_ERR_CORRUPT, "cannot decode HEIF/AVIF pixels");
        goto done;
    }
    int dbits = deep ? heif_image_get_bits_per_pixel_range(img, heif_channel_interleaved) : 8;
    float scale = deep ? 1.0f / (float)((1 << dbits) - 1) : 0;
    for (int y = 0; y < h; y++) {
        const uint8_t *s = pl + (size_t)y * (size_t)stride;
        float *d = pol__image_row(im, y);
        size_t n = (size_t)w * (size_t)ch;
        if (deep)
            for (size_t i = 0; i < n; i++) d[i] = (float)(s[2 * i] | s[2 * i + 1] << 8) * scale;
        else
            for (size_t i = 0; i < n; i++) d[i] = pol__u8_to_float[s[i]];
    }
    /* AVIF or HEIC: the container brand says */
    unsigned char head[64];
    FILE *fp = fopen(path, "rb");
    size_t got = fp ? fread(head, 1, sizeof head, fp) : 0;
    if (fp) fclose(fp);
    const char *fmt = pol__image_sniff_format(head, got);
    if (!fmt || (strcmp(fmt, "avif") && strcmp(fmt, "heif"))) fmt = "heif";
    memcpy(im->format, fmt, strlen(fmt) + 1);
    im->bit_depth = deep ? 16 : 8;
    im->orientation = 1;
    read_colour(run, hd, im);
    if (!read_metadata(hd, im)) {
        st = pol__fail(run, POL_ERR_NOMEM, "out of memory");
        goto done;
    }
    if (im->exif) im->dpi = pol__exif_dpi(im->exif, im->exif_len);
    if (frames > 1) pol__warn(run, "%d images in the file; only the primary one is used", frames);
    *out = im;
    im = NULL;
done:
    if (img) heif_image_release(img);
    if (hd) heif_image_handle_release(hd);
    heif_context_free(ctx);
    pol__image_free(im);
    return st;
}

static struct heif_error write_fp(struct heif_context *ctx, const void *data, size_t size,
                                  void *user)
{
    (void)ctx;
    struct heif_error ok = {heif_error_Ok, heif_suberror_Unspecified, "ok"};
    struct heif_error bad = {heif_error_Encoding_error, heif_suberror_Cannot_write_output_data,
                             "write failed"};
    return fwrite(data, 1, size, (FILE *)user) == size ? ok : bad;
}

static pol_status heif_encode(pol_run *run, const pol__image *im, const pol__image_save *s,
                              const pol__meta_out *m, FILE *fp, int alpha,
                              enum heif_compression_format cf, int bits);

pol_status pol__heif_save(pol_run *run, const pol__image *im, const pol__image_save *s,
                          const pol__meta_out *m, FILE *fp)
{
    int avif = !strcmp(s->format, "avif");
    enum heif_compression_format cf = avif ? heif_compression_AV1 : heif_compression_HEVC;
    if (!heif_have_encoder_for_format(cf))
        return pol__fail(run, POL_ERR_UNSUPPORTED,
                         "no %s encoder in this libheif build; "
                         "write JPEG, PNG, WebP or TIFF instead",
                         avif ? "AV1 (AVIF)" : "HEVC (HEIC)");
    int alpha = im->channels == 2 || im->channels == 4;
    /* Deep colour where asked, or from a 16-bit source (10 bits, which every decoder reads). */
    int bits = s->bit_depth ? s->bit_depth : im->bit_depth > 8 ? 10 : 8;
    bits = bits <= 8 ? 8 : bits >= 12 ? 12 : 10;
    /* Debian 12's libaom aborts the process on 10-bit input through libheif 1.15 (4:2:0 and 4:4:4
     * alike); 12-bit 4:4:4 (AV1 professional profile) works: deep AVIF is written at 12. */
    if (avif && bits == 10) bits = 12;
    pol_status st = heif_encode(run, im, s, m, fp, alpha, cf, bits);
    if (st == POL_ERR_UNSUPPORTED && bits > 8) {
        pol__warn(run, "this libheif encoder cannot write %d bits; written with 8", bits);
        pol_err_clear(run->err);
        st = heif_encode(run, im, s, m, fp, alpha, cf, 8);
    } else if (!st && bits > 8) {
        pol__decide(run, "%s written with %d bits per channel", avif ? "AVIF" : "HEIF", bits);
    }
    return st;
}

static pol_status heif_encode(pol_run *run, const pol__image *im, const pol__image_save *s,
                              const pol__meta_out *m, FILE *fp, int alpha,
                              enum heif_compression_format cf, int bits)
{
    const pol__image *src = pol__image_with_channels(im, alpha ? 4 : 3);
    if (!src) return pol__fail(run, POL_ERR_NOMEM, "out of memory");
    struct heif_context *ctx = heif_context_alloc();
    struct heif_encoder *enc = NULL;
    struct heif_image *img = NULL;
    struct heif_image_handle *hd = NULL;
    pol_status st = POL_OK;
    struct heif_error e = {heif_error_Ok, heif_suberror_Unspecified, ""};
    if (!ctx) {
        st = pol__fail(run, POL_ERR_NOMEM, "out of memory");
        goto done;
    }
    e = heif_context_get_encoder_for_format(ctx, cf, &enc);
    int deep = bits > 8;
    if (e.code == heif_error_Ok)
        e = heif_image_create(
            src->width, src->height, heif_colorspace_RGB,
            deep ? (alpha ? heif_chroma_interleaved_RRGGBBAA_LE : heif_chroma_interleaved_RRGGBB_LE)
                 : (alpha ? heif_chroma_interleaved_RGBA : heif_chroma_interleaved_RGB),
            &img);
    if (e.code == heif_error_Ok)
        e = heif_image_add_plane(img, heif_channel_interleaved, src->width, src->height, bits);
    if (e.code != heif_error_Ok) {
        st = pol__fail(run, POL_ERR_INTERNAL, "HEIF/AVIF encoder set-up failed: %s", e.message);
        goto done;
    }
    int stride = 0;
    uint8_t *pl = heif_image_get_plane(img, heif_channel_interleaved, &stride);
    for (int y = 0; pl && y < src->height; y++) {
        const float *r = pol__image_row(src, y);
        uint8_t *d = pl + (size_t)y * (size_t)stride;
        size_t n = (size_t)src->width * (size_t)src->channels;
        if (!deep) {
            for (size_t i = 0; i < n; i++) d[i] = pol__float_to_u8(r[i]);
            continue;
        }
        float top = (float)((1 << bits) - 1);
        for (size_t i = 0; i < n; i++) { /* little-endian samples of `bits` bits */
            float v = r[i] * top + 0.5f;
            unsigned q = v <= 0 ? 0 : v >= top ? (unsigned)top : (unsigned)v;
            d[2 * i] = (uint8_t)(q & 255);
            d[2 * i + 1] = (uint8_t)(q >> 8);
        }
    }
    if (m->icc) heif_image_set_raw_color_profile(img, "prof", m->icc, m->icc_len);
    heif_encoder_set_lossy_quality(enc, s->quality > 0 ? s->quality : 60);
    /* deep AV1 (12 bits) goes as 4:4:4: libaom asserts on 4:2:0 at that depth */
    if (deep && cf == heif_compression_AV1) heif_encoder_set_parameter(enc, "chroma", "444");
    e = heif_context_encode_image(ctx, img, enc, NULL, &hd);
    if (e.code != heif_error_Ok && deep) {
        st = pol__fail(run, POL_ERR_UNSUPPORTED, "HEIF/AVIF encoding at %d bits failed: %s", bits,
                       e.message);
        goto done;
    }
    if (e.code == heif_error_Ok && m->exif)
        e = heif_context_add_exif_metadata(ctx, hd, m->exif, (int)m->exif_len);
    if (e.code == heif_error_Ok && m->xmp)
        e = heif_context_add_XMP_metadata(ctx, hd, m->xmp, (int)m->xmp_len);
    if (e.code != heif_error_Ok) {
        st = pol__fail(run, POL_ERR_INTERNAL, "HEIF/AVIF encoding failed: %s", e.message);
        goto done;
    }
    struct heif_writer w = {1, write_fp};
    e = heif_context_write(ctx, &w, fp);
    if (e.code != heif_error_Ok)
        st = pol__fail(run, POL_ERR_IO, "writing HEIF/AVIF: %s", e.message);
done:
    if (hd) heif_image_handle_release(hd);
    if (img) heif_image_release(img);
    if (enc) heif_encoder_release(enc);
    if (ctx) heif_context_free(ctx);
    if (src != im) pol__image_free((pol__image *)src);
    return st;
}
