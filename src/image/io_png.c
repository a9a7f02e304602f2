/* polish — PNG read/write with libspng: 8/16-bit, grey/RGB, alpha, ICC, eXIf, XMP, pHYs. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <spng.h>
#include "image/image_io.h"

static const char xmp_key[] = "XML:com.adobe.xmp";

/* Our channel count for a PNG colour type (transparency chunk adds alpha). */
static int png_channels(const struct spng_ihdr *h, int has_trns)
{
    switch (h->color_type) {
    case SPNG_COLOR_TYPE_GRAYSCALE:
        return has_trns ? 2 : 1;
    case SPNG_COLOR_TYPE_GRAYSCALE_ALPHA:
        return 2;
    case SPNG_COLOR_TYPE_TRUECOLOR_ALPHA:
        return 4;
    default:
        return has_trns ? 4 : 3; /* truecolour, indexed */
    }
}

/* RGBA8/RGBA16 decoded row -> our channels. */
static void convert_row(const void *src, float *dst, int w, int ch, int sixteen)
{
    for (int x = 0; x < w; x++, dst += ch) {
        float v[4];
        if (sixteen) {
            const uint16_t *s = (const uint16_t *)src + (size_t)x * 4;
            for (int k = 0; k < 4; k++) v[k] = s[k] * (1.0f / 65535.0f);
        } else {
            const uint8_t *s = (const uint8_t *)src + (size_t)x * 4;
            for (int k = 0; k < 4; k++) v[k] = pol__u8_to_float[s[k]];
        }
        switch (ch) {
        case 1:
            dst[0] = v[0];
            break;
        case 2:
            dst[0] = v[0], dst[1] = v[3];
            break;
        case 3:
            dst[0] = v[0], dst[1] = v[1], dst[2] = v[2];
            break;
        default:
            dst[0] = v[0], dst[1] = v[1], dst[2] = v[2], dst[3] = v[3];
            break;
        }
    }
}

static int dup_to(unsigned char **dst, size_t *dlen, const void *src, size_t len)
{
    if (!src || !len) return 1;
    *dst = malloc(len);
    if (!*dst) return 0;
    memcpy(*dst, src, len);
    *dlen = len;
    return 1;
}

static pol_status read_meta(pol_run *run, spng_ctx *ctx, pol__image *im)
{
    int ok = 1;
    struct spng_iccp iccp;
    if (spng_get_iccp(ctx, &iccp) == 0)
        ok = ok && dup_to(&im->icc, &im->icc_len, iccp.profile, iccp.profile_len);
    struct spng_exif exif;
    if (spng_get_exif(ctx, &exif) == 0)
        ok = ok && dup_to(&im->exif, &im->exif_len, exif.data, exif.length);
    uint32_t n_text = 0;
    if (spng_get_text(ctx, NULL, &n_text) == 0 && n_text > 0 && n_text < 100000) {
        struct spng_text *t = calloc(n_text, sizeof *t);
        if (t && spng_get_text(ctx, t, &n_text) == 0)
            for (uint32_t i = 0; i < n_text; i++)
                if (!im->xmp && !strcmp(t[i].keyword, xmp_key))
                    ok = ok && dup_to(&im->xmp, &im->xmp_len, t[i].text, t[i].length);
        free(t);
    }
    struct spng_phys phys;
    if (spng_get_phys(ctx, &phys) == 0 && phys.unit_specifier == 1 && phys.ppu_x > 0)
        im->dpi = lround(phys.ppu_x * 0.254) / 10.0; /* pixels per metre: 300 dpi is 11811 */
    if (im->exif) im->orientation = pol__exif_orientation(im->exif, im->exif_len);
    uint8_t rendering_intent;
    int has_srgb_chunk = spng_get_srgb(ctx, &rendering_intent) == 0;
    im->srgb = has_srgb_chunk || !im->icc || pol__icc_is_srgb(im->icc, im->icc_len);
    return ok ? POL_OK : pol__fail(run, POL_ERR_NOMEM, "out of memory");
}

/* Frames of an animated PNG (the acTL chunk before the first IDAT), or 0 for a still PNG. libspng
 * reads only the default image, which is the first frame. */
static uint32_t apng_frames(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f) return 0;
    unsigned char h[12];
    uint32_t frames = 0;
    if (fseek(f, 8, SEEK_SET) == 0)
        for (int i = 0; i < 256 && fread(h, 1, 8, f) == 8; i++) {
            uint32_t len = (uint32_t)h[0] << 24 | (uint32_t)h[1] << 16 | (uint32_t)h[2] << 8 | h[3];
            if (!memcmp(h + 4, "IDAT", 4) || len > 0x7fffffffu) break;
            if (!memcmp(h + 4, "acTL", 4) && len >= 8 && fread(h, 1, 4, f) == 4) {
                frames = (uint32_t)h[0] << 24 | (uint32_t)h[1] << 16 | (uint32_t)h[2] << 8 | h[3];
                break;
            }
            if (fseek(f, (long)len + 4, SEEK_CUR) != 0) break;
        }
    fclose(f);
    return frames;
}

pol_status pol__png_load(pol_run *run, const char *path, const pol__image_load_opts *o,
                         pol__image **out)
{
    *out = NULL;
    FILE *fp = fopen(path, "rb");
    if (!fp) return pol__fail(run, POL_ERR_IO, "cannot open");
    spng_ctx *ctx = spng_ctx_new(0);
    pol__image *im = NULL;
    void *buf = NULL;
    pol_status st = POL_OK;
    int lenient = o && o->lenient;
    if (!ctx) {
        st = pol__fail(run, POL_ERR_NOMEM, "out of memory");
        goto done;
    }
    /* ancillary chunks (text, ICC, EXIF) are held in memory: cap them. They come from the file,
     * so the cap is near its size (a 759-byte file declaring a 64 MB eXIf chunk made spng
     * allocate 64 MB); the 16 MB slack is for decompressed text and ICC. spng ignores limits
     * where the chunk size is over the cache size. */
    size_t cache_max = 256u << 20;
    struct stat sb;
    if (fstat(fileno(fp), &sb) == 0 && sb.st_size >= 0 &&
        (uint64_t)sb.st_size < cache_max - (16u << 20))
        cache_max = (size_t)sb.st_size + (16u << 20);
    spng_set_chunk_limits(ctx, cache_max < (64u << 20) ? cache_max : 64u << 20, cache_max);
    if (lenient) spng_set_crc_action(ctx, SPNG_CRC_USE, SPNG_CRC_USE);
    spng_set_png_file(ctx, fp);
    struct spng_ihdr ihdr;
    int rc = spng_get_ihdr(ctx, &ihdr);
    if (rc) {
        st = pol__fail(run, POL_ERR_CORRUPT, "damaged PNG header: %s", spng_strerror(rc));
        goto done;
    }
    uint32_t frames = apng_frames(path);
    if ((st = pol__image_check_limits(run, o, ihdr.width, ihdr.height, frames ? frames : 1, "PNG")))
        goto done;
    if (frames > 1)
        pol__warn(run, "animated PNG with %u frames; only the first is read (the animation is not "
                       "in the output)",
                  frames);
    struct spng_trns trns;
    int has_trns = spng_get_trns(ctx, &trns) == 0;
    int ch = png_channels(&ihdr, has_trns);
    int sixteen = ihdr.bit_depth == 16;
    int fmt = sixteen ? SPNG_FMT_RGBA16 : SPNG_FMT_RGBA8;
    int w = (int)ihdr.width, h = (int)ihdr.height;
    im = pol__image_new(w, h, ch);
    if (!im) {
        st = pol__fail(run, POL_ERR_NOMEM, "out of memory for %dx%d pixels", w, h);
        goto done;
    }
    size_t rowbytes = (size_t)w * (sixteen ? 8 : 4);
    int decoded_rows = 0;
    if (!ihdr.interlace_method) {
        buf = malloc(rowbytes);
        rc = buf ? spng_decode_image(ctx, NULL, 0, fmt, SPNG_DECODE_TRNS | SPNG_DECODE_PROGRESSIVE)
                 : SPNG_EMEM;
        for (int y = 0; !rc && y < h; y++) {
            rc = spng_decode_row(ctx, buf, rowbytes);
            if (rc && rc != SPNG_EOI) break;
            convert_row(buf, pol__image_row(im, y), w, ch, sixteen);
            decoded_rows = y + 1;
            if (rc == SPNG_EOI) break;
        }
        if (rc == SPNG_EOI) rc = 0;
    } else {
        size_t size = 0;
        rc = spng_decoded_image_size(ctx, fmt, &size);
        if (!rc) rc = (buf = malloc(size)) ? 0 : SPNG_EMEM;
        if (!rc) rc = spng_decode_image(ctx, buf, size, fmt, SPNG_DECODE_TRNS);
        if (!rc)
            for (int y = 0; y < h; y++)
                convert_row((char *)buf + (size_t)y * rowbytes, pol__image_row(im, y), w, ch,
                            sixteen);
        if (!rc) decoded_rows = h;
    }
    if (rc == SPNG_EMEM) {
        st = pol__fail(run, POL_ERR_NOMEM, "out of memory decoding PNG");
        goto done;
    }
    if (rc || decoded_rows < h) {
        if (!lenient || decoded_rows == 0) {
            st = pol__fail(run, POL_ERR_CORRUPT, "damaged PNG: %s at row %d of %d%s",
                           rc ? spng_strerror(rc) : "missing rows", decoded_rows, h,
                           lenient ? "" : " (use --lenient to keep what can be read)");
            goto done;
        }
        for (int y = decoded_rows; y < h; y++)
            memset(pol__image_row(im, y), 0, (size_t)w * (size_t)ch * sizeof(float));
        pol__warn(run, "PNG: %s after row %d of %d; the rest left black (--lenient)",
                  rc ? spng_strerror(rc) : "missing rows", decoded_rows, h);
    }
    memcpy(im->format, "png", 4);
    im->bit_depth = sixteen ? 16 : 8;
    if ((st = read_meta(run, ctx, im))) goto done;
    if (!rc && decoded_rows == h && frames <= 1) { /* whole and still: can be copied if unchanged */
        im->src_path = strdup(path);
        im->src_hash = im->src_path ? pol__image_px_hash(run, im) : 0;
    }
    *out = im;
    im = NULL;
done:
    spng_ctx_free(ctx);
    fclose(fp);
    free(buf);
    pol__image_free(im);
    return st;
}

pol_status pol__png_save(pol_run *run, const pol__image *im, const pol__image_save *s,
                         const pol__meta_out *m, FILE *fp)
{
    int sixteen = (s->bit_depth ? s->bit_depth : im->bit_depth) > 8;
    spng_ctx *ctx = spng_ctx_new(SPNG_CTX_ENCODER);
    if (!ctx) return pol__fail(run, POL_ERR_NOMEM, "out of memory");
    pol_status st = POL_OK;
    int ch = im->channels;
    size_t rowbytes = (size_t)im->width * (size_t)ch * (sixteen ? 2 : 1);
    unsigned char *row = malloc(rowbytes);
    int rc = row ? spng_set_png_file(ctx, fp) : SPNG_EMEM;
    static const uint8_t types[5] = {0, SPNG_COLOR_TYPE_GRAYSCALE, SPNG_COLOR_TYPE_GRAYSCALE_ALPHA,
                                     SPNG_COLOR_TYPE_TRUECOLOR, SPNG_COLOR_TYPE_TRUECOLOR_ALPHA};
    struct spng_ihdr ihdr = {
        (uint32_t)im->width, (uint32_t)im->height, (uint8_t)(sixteen ? 16 : 8), types[ch], 0, 0, 0};
    if (!rc) rc = spng_set_ihdr(ctx, &ihdr);
    if (!rc && m->icc) {
        struct spng_iccp iccp;
        memset(&iccp, 0, sizeof iccp);
        strcpy(iccp.profile_name, "ICC profile");
        iccp.profile = (char *)m->icc;
        iccp.profile_len = m->icc_len;
        rc = spng_set_iccp(ctx, &iccp);
    }
    if (!rc && m->exif) {
        struct spng_exif exif = {m->exif_len, (char *)m->exif};
        if (spng_set_exif(ctx, &exif))
            pol__warn(run, "EXIF rejected by the PNG encoder; not written");
    }
    char *xmp = NULL; /* libspng wants NUL-terminated text */
    if (!rc && m->xmp && (xmp = malloc(m->xmp_len + 1))) {
        memcpy(xmp, m->xmp, m->xmp_len);
        xmp[m->xmp_len] = '\0';
        struct spng_text t;
        memset(&t, 0, sizeof t);
        strcpy(t.keyword, xmp_key);
        t.type = SPNG_ITXT;
        t.length = m->xmp_len;
        t.text = xmp;
        t.language_tag = (char *)"";
        t.translated_keyword = (char *)"";
        if (spng_set_text(ctx, &t, 1))
            pol__warn(run, "XMP rejected by the PNG encoder; not written");
    }
    if (!rc && m->dpi > 0) {
        struct spng_phys phys = {(uint32_t)(m->dpi / 0.0254 + 0.5),
                                 (uint32_t)(m->dpi / 0.0254 + 0.5), 1};
        rc = spng_set_phys(ctx, &phys);
    }
    if (!rc)
        rc = spng_encode_image(ctx, NULL, 0, SPNG_FMT_PNG,
                               SPNG_ENCODE_PROGRESSIVE | SPNG_ENCODE_FINALIZE);
    size_t n = (size_t)im->width * (size_t)ch;
    for (int y = 0; !rc && y < im->height; y++) {
        const float *src = pol__image_row(im, y);
        if (sixteen)
            for (size_t i = 0; i < n; i++) ((uint16_t *)row)[i] = pol__float_to_u16(src[i]);
        else
            for (size_t i = 0; i < n; i++) row[i] = pol__float_to_u8(src[i]);
        rc = spng_encode_row(ctx, row, rowbytes);
        if (rc == SPNG_EOI) {
            rc = 0;
            break;
        }
    }
    if (rc)
        st = pol__fail(run, rc == SPNG_EMEM ? POL_ERR_NOMEM : POL_ERR_IO, "writing PNG: %s",
                       spng_strerror(rc));
    free(row);
    spng_ctx_free(ctx);
    free(xmp);
    return st;
}
