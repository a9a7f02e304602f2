/* polish — WebP read/write with libwebp (+ mux for ICC/EXIF/XMP): lossy or lossless, alpha. */
#include <stdlib.h>
#include <string.h>
#include <webp/decode.h>
#include <webp/demux.h>
#include <webp/encode.h>
#include <webp/mux.h>
#include "image/image_io.h"

static int get_chunk(WebPMux *mux, const char *fourcc, unsigned char **dst, size_t *len)
{
    WebPData d;
    if (WebPMuxGetChunk(mux, fourcc, &d) != WEBP_MUX_OK || !d.size) return 1;
    const unsigned char *p = d.bytes;
    size_t n = d.size;
    /* some writers keep the JPEG "Exif\0\0" prefix */
    if (!strcmp(fourcc, "EXIF") && n > 6 && !memcmp(p, "Exif\0\0", 6)) p += 6, n -= 6;
    *dst = malloc(n);
    if (!*dst) return 0;
    memcpy(*dst, p, n);
    *len = n;
    return 1;
}

pol_status pol__webp_load(pol_run *run, const char *path, const pol__image_load_opts *o,
                          pol__image **out)
{
    *out = NULL;
    unsigned char *data = NULL;
    size_t len = 0;
    const pol_limits *lim = o && o->limits ? o->limits : NULL;
    pol_status st = pol__read_file(run, path, lim ? lim->max_bytes : 0, &data, &len);
    if (st) return st;
    pol__image *im = NULL;
    uint8_t *buf = NULL;
    WebPMux *mux = NULL;
    WebPDemuxer *demux = NULL; /* an animation's frames (more forgiving than the mux parser) */
    WebPBitstreamFeatures f;
    VP8StatusCode vs = WebPGetFeatures(data, len, &f);
    if (vs != VP8_STATUS_OK) {
        st = pol__fail(run, vs == VP8_STATUS_NOT_ENOUGH_DATA ? POL_ERR_CORRUPT : POL_ERR_CORRUPT,
                       "damaged WebP header (libwebp status %d)", (int)vs);
        goto done;
    }
    WebPData wd = {data, len};
    mux = WebPMuxCreate(&wd, 0);
    int frames = 1;
    if (f.has_animation && (demux = WebPDemux(&wd)))
        frames = (int)WebPDemuxGetI(demux, WEBP_FF_FRAME_COUNT);
    else if (mux && f.has_animation)
        WebPMuxNumChunks(mux, WEBP_CHUNK_ANMF, &frames);
    if ((st = pol__image_check_limits(run, o, (uint64_t)f.width, (uint64_t)f.height,
                                      (uint64_t)frames, "WebP")))
        goto done;
    /* An animation: its first frame, on the canvas, with a warning (never a silent cut). */
    const uint8_t *bits = data;
    size_t bits_len = len;
    int fx = 0, fy = 0;
    if (f.has_animation) {
        WebPIterator it;
        memset(&it, 0, sizeof it);
        WebPBitstreamFeatures ff;
        if (!demux || !WebPDemuxGetFrame(demux, 1, &it) ||
            WebPGetFeatures(it.fragment.bytes, it.fragment.size, &ff) != VP8_STATUS_OK ||
            it.x_offset < 0 || it.y_offset < 0 || ff.width > f.width - it.x_offset ||
            ff.height > f.height - it.y_offset) {
            if (demux) WebPDemuxReleaseIterator(&it);
            st = pol__fail(run, POL_ERR_CORRUPT, "damaged animated WebP: no readable first frame");
            goto done;
        }
        bits = it.fragment.bytes; /* points into `data` */
        bits_len = it.fragment.size;
        fx = it.x_offset;
        fy = it.y_offset;
        WebPDemuxReleaseIterator(&it);
        f.has_alpha = 1; /* the canvas around a smaller frame is transparent */
        pol__warn(run, "animated WebP with %d frames; only the first is read (the animation is "
                       "not in the output)",
                  frames);
    }
    int ch = f.has_alpha ? 4 : 3, w = f.width, h = f.height;
    size_t stride = (size_t)w * (size_t)ch, size = stride * (size_t)h;
    im = pol__image_new(w, h, ch);
    buf = im ? malloc(size) : NULL;
    if (!buf) {
        st = pol__fail(run, POL_ERR_NOMEM, "out of memory for %dx%d pixels", w, h);
        goto done;
    }
    uint8_t *ok;
    if (f.has_animation) {
        memset(buf, 0, size);
        uint8_t *at = buf + (size_t)fy * stride + (size_t)fx * 4;
        ok = WebPDecodeRGBAInto(bits, bits_len, at, size - (size_t)(at - buf), (int)stride);
    } else {
        ok = ch == 4 ? WebPDecodeRGBAInto(bits, bits_len, buf, size, (int)stride)
                     : WebPDecodeRGBInto(bits, bits_len, buf, size, (int)stride);
    }
    if (!ok) {
        st = pol__fail(run, POL_ERR_CORRUPT, "damaged WebP image data");
        goto done;
    }
    for (size_t i = 0; i < size; i++) im->px[i] = pol__u8_to_float[buf[i]];
    memcpy(im->format, "webp", 5);
    im->bit_depth = 8;
    if (!f.has_animation) { /* unchanged pixels can be written again from this bitstream */
        im->src_path = strdup(path);
        im->src_hash = im->src_path ? pol__image_px_hash(run, im) : 0;
    }
    if (mux && (!get_chunk(mux, "ICCP", &im->icc, &im->icc_len) ||
                !get_chunk(mux, "EXIF", &im->exif, &im->exif_len) ||
                !get_chunk(mux, "XMP ", &im->xmp, &im->xmp_len))) {
        st = pol__fail(run, POL_ERR_NOMEM, "out of memory");
        goto done;
    }
    if (im->exif) {
        im->orientation = pol__exif_orientation(im->exif, im->exif_len);
        im->dpi = pol__exif_dpi(im->exif, im->exif_len);
    }
    im->srgb = !im->icc || pol__icc_is_srgb(im->icc, im->icc_len);
    *out = im;
    im = NULL;
done:
    WebPDemuxDelete(demux);
    WebPMuxDelete(mux);
    pol__image_free(im);
    free(buf);
    free(data);
    return st;
}

static int writer(const uint8_t *data, size_t size, const WebPPicture *pic)
{
    return fwrite(data, 1, size, (FILE *)pic->custom_ptr) == size;
}

static int mem_writer(const uint8_t *data, size_t size, const WebPPicture *pic)
{
    return WebPMemoryWrite(data, size, pic);
}

/* The image `img` (a bitstream or a one-image WebP file) in a VP8X container with the metadata
 * chunks of `m`, written to fp. */
static pol_status write_with_meta(pol_run *run, const WebPData *img, const pol__meta_out *m,
                                  FILE *fp)
{
    pol_status st = POL_OK;
    WebPMux *mux = WebPMuxNew();
    WebPData outd = {NULL, 0};
    int ok = mux && WebPMuxSetImage(mux, img, 0) == WEBP_MUX_OK;
    if (ok && m->icc) {
        WebPData c = {m->icc, m->icc_len};
        ok = WebPMuxSetChunk(mux, "ICCP", &c, 0) == WEBP_MUX_OK;
    }
    if (ok && m->exif) {
        WebPData c = {m->exif, m->exif_len};
        ok = WebPMuxSetChunk(mux, "EXIF", &c, 0) == WEBP_MUX_OK;
    }
    if (ok && m->xmp) {
        WebPData c = {m->xmp, m->xmp_len};
        ok = WebPMuxSetChunk(mux, "XMP ", &c, 0) == WEBP_MUX_OK;
    }
    ok = ok && WebPMuxAssemble(mux, &outd) == WEBP_MUX_OK;
    if (ok && fwrite(outd.bytes, 1, outd.size, fp) != outd.size)
        st = pol__fail(run, POL_ERR_IO, "writing WebP failed");
    else if (!ok)
        st = pol__fail(run, POL_ERR_INTERNAL, "cannot add metadata to the WebP file");
    WebPDataClear(&outd);
    WebPMuxDelete(mux);
    return st;
}

pol_status pol__webp_remux(pol_run *run, const char *src_path, const pol__meta_out *m, FILE *fp)
{
    unsigned char *data = NULL;
    size_t len = 0;
    pol_status st = pol__read_file(run, src_path, 0, &data, &len);
    if (st) return st;
    WebPData wd = {data, len};
    WebPMux *mux = WebPMuxCreate(&wd, 0);
    WebPMuxFrameInfo fr;
    memset(&fr, 0, sizeof fr);
    if (!mux || WebPMuxGetFrame(mux, 1, &fr) != WEBP_MUX_OK)
        st = pol__fail(run, POL_ERR_CORRUPT, "%s: cannot take its image out of the WebP file",
                       src_path);
    else
        st = write_with_meta(run, &fr.bitstream, m, fp);
    WebPDataClear(&fr.bitstream);
    WebPMuxDelete(mux);
    free(data);
    return st;
}

pol_status pol__webp_save(pol_run *run, const pol__image *im, const pol__image_save *s,
                          const pol__meta_out *m, FILE *fp)
{
    if (im->width > WEBP_MAX_DIMENSION || im->height > WEBP_MAX_DIMENSION)
        return pol__fail(run, POL_ERR_UNSUPPORTED, "WebP cannot hold %dx%d (max %d per side)",
                         im->width, im->height, WEBP_MAX_DIMENSION);
    int alpha = im->channels == 2 || im->channels == 4;
    const pol__image *src = pol__image_with_channels(im, alpha ? 4 : 3);
    if (!src) return pol__fail(run, POL_ERR_NOMEM, "out of memory");
    pol_status st = POL_OK;
    WebPConfig cfg;
    WebPPicture pic;
    WebPMemoryWriter mw;
    WebPMemoryWriterInit(&mw);
    int have_pic = 0;
    size_t n = (size_t)src->width * (size_t)src->height * (size_t)src->channels;
    uint8_t *buf = malloc(n);
    if (!buf || !WebPConfigPreset(&cfg, WEBP_PRESET_PHOTO, (float)(s->quality ? s->quality : 82)) ||
        !WebPPictureInit(&pic)) {
        st = pol__fail(run, POL_ERR_NOMEM, "out of memory");
        goto done;
    }
    have_pic = 1;
    for (size_t i = 0; i < n; i++) buf[i] = pol__float_to_u8(src->px[i]);
    cfg.lossless = s->lossless;
    cfg.method = 4;
    cfg.thread_level = 1;
    pic.use_argb = s->lossless;
    pic.width = src->width;
    pic.height = src->height;
    int stride = src->width * src->channels;
    if (!(alpha ? WebPPictureImportRGBA(&pic, buf, stride)
                : WebPPictureImportRGB(&pic, buf, stride))) {
        st = pol__fail(run, POL_ERR_NOMEM, "out of memory");
        goto done;
    }
    free(buf);
    buf = NULL;
    int meta = m->icc || m->exif || m->xmp;
    pic.writer = meta ? mem_writer : writer;
    pic.custom_ptr = meta ? (void *)&mw : (void *)fp;
    if (!WebPEncode(&cfg, &pic)) {
        st = pol__fail(run,
                       pic.error_code == VP8_ENC_ERROR_BAD_WRITE ? POL_ERR_IO : POL_ERR_INTERNAL,
                       "WebP encoding failed (libwebp error %d)", (int)pic.error_code);
        goto done;
    }
    if (meta) {
        WebPData img = {mw.mem, mw.size};
        st = write_with_meta(run, &img, m, fp);
    }
done:
    if (have_pic) WebPPictureFree(&pic);
    WebPMemoryWriterClear(&mw);
    free(buf);
    if (src != im) pol__image_free((pol__image *)src);
    return st;
}
