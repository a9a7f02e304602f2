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

/* A decoder on `path` with the chunk caps below, its header read: *fp and *ctx are the caller's
 * (also on failure, NULL when not made). */
static pol_status open_ctx(pol_run *run, const char *path, int lenient, FILE **fp, spng_ctx **ctx,
                           struct spng_ihdr *ihdr)
{
    *ctx = NULL;
    if (!(*fp = fopen(path, "rb"))) return pol__fail(run, POL_ERR_IO, "cannot open");
    if (!(*ctx = spng_ctx_new(0))) return pol__fail(run, POL_ERR_NOMEM, "out of memory");
    /* ancillary chunks (text, ICC, EXIF) are held in memory: cap them. They come from the file,
     * so the cap is near its size (a 759-byte file declaring a 64 MB eXIf chunk made spng
     * allocate 64 MB); the 16 MB slack is for decompressed text and ICC. spng ignores limits
     * where the chunk size is over the cache size. */
    size_t cache_max = 256u << 20;
    struct stat sb;
    if (fstat(fileno(*fp), &sb) == 0 && sb.st_size >= 0 &&
        (uint64_t)sb.st_size < cache_max - (16u << 20))
        cache_max = (size_t)sb.st_size + (16u << 20);
    spng_set_chunk_limits(*ctx, cache_max < (64u << 20) ? cache_max : 64u << 20, cache_max);
    if (lenient) spng_set_crc_action(*ctx, SPNG_CRC_USE, SPNG_CRC_USE);
    spng_set_png_file(*ctx, *fp);
    int rc = spng_get_ihdr(*ctx, ihdr);
    if (rc) return pol__fail(run, POL_ERR_CORRUPT, "damaged PNG header: %s", spng_strerror(rc));
    return POL_OK;
}

pol_status pol__png_load(pol_run *run, const char *path, const pol__image_load_opts *o,
                         pol__image **out)
{
    *out = NULL;
    FILE *fp = NULL;
    spng_ctx *ctx = NULL;
    pol__image *im = NULL;
    void *buf = NULL;
    int lenient = o && o->lenient;
    struct spng_ihdr ihdr;
    pol_status st = open_ctx(run, path, lenient, &fp, &ctx, &ihdr);
    int rc;
    if (st) goto done;
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
    if (fp) fclose(fp);
    free(buf);
    pol__image_free(im);
    return st;
}

/* Does a chunk the metadata is read from (ICC, EXIF, text, resolution) come after the first IDAT
 * (other than as the copy of one before it: libvips writes its eXIf twice)? The row reader reads
 * the metadata before the pixels, so such a file is loaded whole. Unreadable: 1. */
static int meta_after_idat(const char *path)
{
    static const char meta[][5] = {"iCCP", "eXIf", "iTXt", "tEXt", "zTXt", "pHYs"};
    FILE *f = fopen(path, "rb");
    if (!f) return 1;
    unsigned char h[8], crc[4];
    struct {
        unsigned char head[8], crc[4];
    } early[16]; /* the metadata chunks before the pixels: length, type and CRC */
    int n_early = 0, idat = 0, late = 0, end = 0;
    if (fseek(f, 8, SEEK_SET) != 0) late = 1;
    while (!late && !end && fread(h, 1, 8, f) == 8) {
        uint32_t len = (uint32_t)h[0] << 24 | (uint32_t)h[1] << 16 | (uint32_t)h[2] << 8 | h[3];
        int is_meta = 0;
        for (size_t i = 0; i < sizeof meta / sizeof *meta; i++) is_meta |= !memcmp(h + 4, meta[i], 4);
        if (len > 0x7fffffffu || fseek(f, (long)len, SEEK_CUR) != 0 || fread(crc, 1, 4, f) != 4) {
            late = 1;
            break;
        }
        if (!memcmp(h + 4, "IDAT", 4)) idat = 1;
        end = !memcmp(h + 4, "IEND", 4);
        if (!is_meta) continue;
        if (!idat && n_early < 16) {
            memcpy(early[n_early].head, h, 8);
            memcpy(early[n_early++].crc, crc, 4);
        } else if (idat) {
            int copy = 0;
            for (int i = 0; i < n_early; i++)
                copy |= !memcmp(early[i].head, h, 8) && !memcmp(early[i].crc, crc, 4);
            late = !copy;
        }
    }
    fclose(f);
    return late || !end;
}

struct pol__png_rows {
    FILE *fp;
    spng_ctx *ctx;
    void *buf; /* one decoded row, RGBA8 or RGBA16 */
    size_t rowbytes;
    int w, h, ch, sixteen, y;
    int lenient, failed_at; /* --lenient: rows after a damaged one are black, with a warning */
};

void pol__png_rows_close(pol__png_rows *r)
{
    if (!r) return;
    spng_ctx_free(r->ctx);
    if (r->fp) fclose(r->fp);
    free(r->buf);
    free(r);
}

pol_status pol__png_rows_open(pol_run *run, const char *path, pol__image **meta,
                              pol__png_rows **out)
{
    *out = NULL;
    *meta = NULL;
    pol__png_rows *r = calloc(1, sizeof *r);
    if (!r) return pol__fail(run, POL_ERR_NOMEM, "out of memory");
    r->lenient = run && run->opt ? run->opt->lenient : 0;
    r->failed_at = -1;
    struct spng_ihdr ihdr;
    memset(&ihdr, 0, sizeof ihdr);
    pol__image *im = NULL;
    pol_status st = open_ctx(run, path, r->lenient, &r->fp, &r->ctx, &ihdr);
    if (!st && (ihdr.interlace_method || apng_frames(path) > 1 || meta_after_idat(path)))
        st = pol__fail(run, POL_ERR_UNSUPPORTED, "interlaced or animated PNG, or metadata after "
                                                 "the pixels: not read row by row");
    if (!st) st = pol__image_check_size(run, NULL, ihdr.width, ihdr.height, 1, "PNG");
    struct spng_trns trns;
    r->ch = png_channels(&ihdr, spng_get_trns(r->ctx, &trns) == 0);
    r->sixteen = ihdr.bit_depth == 16;
    r->w = (int)ihdr.width, r->h = (int)ihdr.height;
    r->rowbytes = (size_t)r->w * (r->sixteen ? 8 : 4);
    int rc = 0;
    if (!st) {
        rc = (r->buf = malloc(r->rowbytes)) && (im = calloc(1, sizeof *im)) ? 0 : SPNG_EMEM;
        if (!rc)
            rc = spng_decode_image(r->ctx, NULL, 0, r->sixteen ? SPNG_FMT_RGBA16 : SPNG_FMT_RGBA8,
                                   SPNG_DECODE_TRNS | SPNG_DECODE_PROGRESSIVE);
        if (rc)
            st = rc == SPNG_EMEM ? pol__fail(run, POL_ERR_NOMEM, "out of memory")
                                 : pol__fail(run, POL_ERR_CORRUPT, "damaged PNG: %s", spng_strerror(rc));
    }
    if (!st) st = read_meta(run, r->ctx, im);
    if (!st && im->orientation > 1)
        st = pol__fail(run, POL_ERR_UNSUPPORTED, "turned PNG: not read row by row");
    if (st) {
        pol__image_free(im);
        pol__png_rows_close(r);
        return st;
    }
    im->width = r->w;
    im->height = r->h;
    im->channels = r->ch;
    im->bit_depth = r->sixteen ? 16 : 8;
    im->orientation = 1;
    im->save.keep_icc = 1;
    memcpy(im->format, "png", 4);
    im->src_path = strdup(path); /* (the writer copies its chunks when no pixel changed) */
    *meta = im;
    *out = r;
    return POL_OK;
}

pol_status pol__png_rows_read(pol_run *run, pol__png_rows *r, float *dst, int n)
{
    size_t rowlen = (size_t)r->w * (size_t)r->ch;
    for (int i = 0; i < n; i++, r->y++, dst += rowlen) {
        if (r->y >= r->h) return pol__fail(run, POL_ERR_INTERNAL, "PNG rows read past the end");
        int rc = r->failed_at < 0 ? spng_decode_row(r->ctx, r->buf, r->rowbytes) : 0;
        if (r->failed_at < 0 && rc && !(rc == SPNG_EOI && r->y == r->h - 1)) {
            if (rc == SPNG_EMEM) return pol__fail(run, POL_ERR_NOMEM, "out of memory decoding PNG");
            if (!r->lenient || r->y == 0)
                return pol__fail(run, POL_ERR_CORRUPT, "damaged PNG: %s at row %d of %d%s",
                                 spng_strerror(rc), r->y, r->h,
                                 r->lenient ? "" : " (use --lenient to keep what can be read)");
            pol__warn(run, "PNG: %s after row %d of %d; the rest left black (--lenient)",
                      spng_strerror(rc), r->y, r->h);
            r->failed_at = r->y;
        }
        if (r->failed_at >= 0)
            memset(dst, 0, rowlen * sizeof(float));
        else
            convert_row(r->buf, dst, r->w, r->ch, r->sixteen);
    }
    return POL_OK;
}

struct pol__png_writer {
    spng_ctx *ctx;
    unsigned char *row;
    char *xmp; /* libspng wants NUL-terminated text, kept until the end */
    size_t rowbytes;
    int w, h, ch, sixteen, y;
};

void pol__png_write_abort(pol__png_writer *w)
{
    if (!w) return;
    spng_ctx_free(w->ctx);
    free(w->row);
    free(w->xmp);
    free(w);
}

pol_status pol__png_write_begin(pol_run *run, const pol__image *im, const pol__image_save *s,
                                const pol__meta_out *m, FILE *fp, pol__png_writer **out)
{
    *out = NULL;
    pol__png_writer *w = calloc(1, sizeof *w);
    if (!w) return pol__fail(run, POL_ERR_NOMEM, "out of memory");
    w->sixteen = (s->bit_depth ? s->bit_depth : im->bit_depth) > 8;
    w->w = im->width, w->h = im->height, w->ch = im->channels;
    w->rowbytes = (size_t)im->width * (size_t)w->ch * (w->sixteen ? 2 : 1);
    w->ctx = spng_ctx_new(SPNG_CTX_ENCODER);
    w->row = malloc(w->rowbytes);
    int rc = w->ctx && w->row ? spng_set_png_file(w->ctx, fp) : SPNG_EMEM;
    static const uint8_t types[5] = {0, SPNG_COLOR_TYPE_GRAYSCALE, SPNG_COLOR_TYPE_GRAYSCALE_ALPHA,
                                     SPNG_COLOR_TYPE_TRUECOLOR, SPNG_COLOR_TYPE_TRUECOLOR_ALPHA};
    struct spng_ihdr ihdr = {(uint32_t)im->width, (uint32_t)im->height,
                             (uint8_t)(w->sixteen ? 16 : 8), types[w->ch], 0, 0, 0};
    if (!rc) rc = spng_set_ihdr(w->ctx, &ihdr);
    if (!rc && m->icc) {
        struct spng_iccp iccp;
        memset(&iccp, 0, sizeof iccp);
        strcpy(iccp.profile_name, "ICC profile");
        iccp.profile = (char *)m->icc;
        iccp.profile_len = m->icc_len;
        rc = spng_set_iccp(w->ctx, &iccp);
    }
    if (!rc && m->exif) {
        struct spng_exif exif = {m->exif_len, (char *)m->exif};
        if (spng_set_exif(w->ctx, &exif))
            pol__warn(run, "EXIF rejected by the PNG encoder; not written");
    }
    if (!rc && m->xmp && (w->xmp = malloc(m->xmp_len + 1))) {
        memcpy(w->xmp, m->xmp, m->xmp_len);
        w->xmp[m->xmp_len] = '\0';
        struct spng_text t;
        memset(&t, 0, sizeof t);
        strcpy(t.keyword, xmp_key);
        t.type = SPNG_ITXT;
        t.length = m->xmp_len;
        t.text = w->xmp;
        t.language_tag = (char *)"";
        t.translated_keyword = (char *)"";
        if (spng_set_text(w->ctx, &t, 1))
            pol__warn(run, "XMP rejected by the PNG encoder; not written");
    }
    if (!rc && m->dpi > 0) {
        struct spng_phys phys = {(uint32_t)(m->dpi / 0.0254 + 0.5),
                                 (uint32_t)(m->dpi / 0.0254 + 0.5), 1};
        rc = spng_set_phys(w->ctx, &phys);
    }
    if (!rc)
        rc = spng_encode_image(w->ctx, NULL, 0, SPNG_FMT_PNG,
                               SPNG_ENCODE_PROGRESSIVE | SPNG_ENCODE_FINALIZE);
    if (rc) {
        pol__png_write_abort(w);
        return pol__fail(run, rc == SPNG_EMEM ? POL_ERR_NOMEM : POL_ERR_IO, "writing PNG: %s",
                         spng_strerror(rc));
    }
    *out = w;
    return POL_OK;
}

pol_status pol__png_write_rows(pol_run *run, pol__png_writer *w, const float *px, int rows)
{
    size_t n = (size_t)w->w * (size_t)w->ch;
    for (int i = 0; i < rows; i++, w->y++, px += n) {
        if (w->y >= w->h) return pol__fail(run, POL_ERR_INTERNAL, "PNG rows written past the end");
        if (w->sixteen)
            for (size_t k = 0; k < n; k++) ((uint16_t *)w->row)[k] = pol__float_to_u16(px[k]);
        else
            for (size_t k = 0; k < n; k++) w->row[k] = pol__float_to_u8(px[k]);
        int rc = spng_encode_row(w->ctx, w->row, w->rowbytes);
        if (rc && !(rc == SPNG_EOI && w->y == w->h - 1))
            return pol__fail(run, rc == SPNG_EMEM ? POL_ERR_NOMEM : POL_ERR_IO,
                             "writing PNG: %s", spng_strerror(rc));
    }
    return POL_OK;
}

pol_status pol__png_write_end(pol_run *run, pol__png_writer *w)
{
    pol_status st = w->y == w->h ? POL_OK
                                 : pol__fail(run, POL_ERR_INTERNAL, "%d of %d PNG rows written",
                                             w->y, w->h);
    pol__png_write_abort(w);
    return st;
}

pol_status pol__png_save(pol_run *run, const pol__image *im, const pol__image_save *s,
                         const pol__meta_out *m, FILE *fp)
{
    pol__png_writer *w;
    pol_status st = pol__png_write_begin(run, im, s, m, fp, &w);
    if (st) return st;
    if ((st = pol__png_write_rows(run, w, im->px, im->height))) {
        pol__png_write_abort(w);
        return st;
    }
    return pol__png_write_end(run, w);
}
