/* polish — the image domain: recognising, loading, saving, inspecting and thumbnailing photos. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include "image/image_io.h"

typedef struct codec {
    const char *format;
    pol__image_load_fn load;
    pol__image_save_fn save;
    int default_quality;
} codec;

static const codec codecs[] = {
    {"jpeg", pol__jpeg_load, pol__jpeg_save, 85}, {"png", pol__png_load, pol__png_save, 0},
    {"webp", pol__webp_load, pol__webp_save, 82}, {"tiff", pol__tiff_load, pol__tiff_save, 0},
    {"heif", pol__heif_load, pol__heif_save, 60}, {"avif", pol__heif_load, pol__heif_save, 60},
    {"gif", pol__gif_load, NULL, 0},              {"bmp", pol__bmp_load, NULL, 0},
};

static const codec *codec_of(const char *format)
{
    for (size_t i = 0; format && i < POL_ARRAY_LEN(codecs); i++)
        if (!strcmp(codecs[i].format, format)) return &codecs[i];
    return NULL;
}

/* ---- reduced-scale decoding from the plan's load hints ------------------------------------- */

/* The final resize step is left at least this much reduction, so the decoder's block filter
 * never decides the final pixels. */
#define SHRINK_MARGIN 2.0

int pol__image_plan_shrink(pol_run *run, int w, int h, int orientation)
{
    if (!run || w <= 0 || h <= 0) return 1;
    if (orientation >= 5) { /* the plan's sizes refer to the upright picture */
        int t = w;
        w = h;
        h = t;
    }
    pol_load_hint hint;
    pol__plan_hint(run, w, h, &hint);
    int need_w = hint.max_width, need_h = hint.max_height;
    if (need_w <= 0 || need_h <= 0) return 1;
    int s = 1;
    while (s < 8 && (w + 2 * s - 1) / (2 * s) >= SHRINK_MARGIN * need_w &&
           (h + 2 * s - 1) / (2 * s) >= SHRINK_MARGIN * need_h)
        s *= 2;
    if (s > 1)
        pol__decide(run,
                    "decoded at 1/%d scale (%dx%d of %dx%d): every output is at most %dx%d, "
                    "leaving at least %.0fx for the final Lanczos step",
                    s, (w + s - 1) / s, (h + s - 1) / s, w, h, need_w, need_h, SHRINK_MARGIN);
    return s;
}

int pol__image_plan_fused(pol_run *run, int w, int h, int orientation, int *out_w, int *out_h,
                          pol__kernel *k)
{
    if (orientation > 1) return 0;
    pol_load_hint hint;
    if (!pol__plan_first_hint(run, w, h, &hint) || !hint.fusable) return 0;
    const char *kn = hint.kernel;
    *k = kn && !strcmp(kn, "lanczos2") ? POL_KERNEL_LANCZOS2
         : kn && !strcmp(kn, "linear") ? POL_KERNEL_LINEAR
                                       : POL_KERNEL_LANCZOS3;
    *out_w = hint.max_width;
    *out_h = hint.max_height;
    return 1;
}

/* ---- the domain's entry points -------------------------------------------------------------- */

static int sniff(const unsigned char *head, size_t n, const char *path)
{
    (void)path;
    return pol__image_sniff_format(head, n) ? 90 : 0;
}

static pol_status read_head(pol_run *run, const char *path, unsigned char *head, size_t *n)
{
    FILE *fp = fopen(path, "rb");
    if (!fp) {
        int e = errno;
        return pol__fail(run, e == ENOENT ? POL_ERR_NOT_FOUND : POL_ERR_IO, "cannot open: %s",
                         strerror(e));
    }
    struct stat st;
    if (fstat(fileno(fp), &st) != 0 || !S_ISREG(st.st_mode)) {
        fclose(fp);
        return pol__fail(run, POL_ERR_IO, "not a regular file");
    }
    uint64_t max = run && run->opt ? run->opt->limits.max_bytes : 0;
    if (max && (uint64_t)st.st_size > max) {
        fclose(fp);
        return pol__fail(run, POL_ERR_LIMIT,
                         "%lld bytes is over the limit of %llu bytes "
                         "(--limit bytes=N)",
                         (long long)st.st_size, (unsigned long long)max);
    }
    *n = fread(head, 1, *n, fp);
    fclose(fp);
    if (st.st_size == 0) return pol__fail(run, POL_ERR_EMPTY, "the file is empty (0 bytes)");
    return POL_OK;
}

pol_status pol__image_load_path(pol_run *run, const char *path, pol__image **out)
{
    *out = NULL;
    unsigned char head[64];
    size_t n = sizeof head;
    pol_status st = read_head(run, path, head, &n);
    if (st) return st;
    const char *fmt = pol__image_sniff_format(head, n);
    const codec *c = codec_of(fmt);
    if (!c)
        return pol__fail(run, POL_ERR_FORMAT,
                         "not a JPEG, PNG, WebP, TIFF, HEIF, AVIF, GIF or BMP image");
    pol__image_load_opts o = {0, run && run->opt ? run->opt->lenient : 0,
                             run && run->opt ? &run->opt->limits : NULL};
    return c->load(run, path, &o, out);
}

static pol_status load(pol_run *run, const char *path, pol_asset **out)
{
    *out = NULL;
    pol__image *im;
    pol_status st = pol__image_load_path(run, path, &im);
    if (st) return st;
    *out = pol__asset_new(&pol__image_domain, im, path);
    return *out ? POL_OK : pol__fail(run, POL_ERR_NOMEM, "out of memory");
}

/* A format polish reads but does not write (GIF, BMP) is written as PNG, without loss. */
static const char *writable(const char *format)
{
    const codec *c = codec_of(format);
    return c && c->save ? format : "png";
}

static const char *save_format(const pol__image *im, const char *path)
{
    if (im->save.format[0]) return im->save.format;
    const char *f = path ? pol__image_format_of_ext(pol__path_ext(path)) : NULL;
    return writable(f ? f : im->format);
}

void pol__image_save_settings(pol_run *run, const pol__image *im, const char *fmt, int lossless,
                              pol__image_save *s)
{
    const codec *c = codec_of(fmt);
    int jpeg_out = !strcmp(fmt, "jpeg"), from_jpeg = !strcmp(im->format, "jpeg");
    if (jpeg_out && from_jpeg && !s->quality && !lossless && im->jpeg_quality) {
        /* Changed pixels: written like the source (its quality and chroma resolution). */
        s->quality = im->jpeg_quality;
        s->sub_h = im->jpeg_sub_h;
        s->sub_v = im->jpeg_sub_v;
        pol__decide(run, "JPEG written at the source's quality %d%s", s->quality,
                    s->sub_h == 1 && s->sub_v == 1   ? " and 4:4:4 chroma"
                    : s->sub_h == 2 && s->sub_v == 2 ? " and 4:2:0 chroma"
                    : s->sub_h == 2 && s->sub_v == 1 ? " and 4:2:2 chroma"
                                                     : "");
    }
    if (!s->quality && c) s->quality = c->default_quality;
    size_t n = strlen(fmt);
    if (n >= sizeof s->format) n = sizeof s->format - 1;
    memcpy(s->format, fmt, n);
    s->format[n] = '\0';
}

const char *pol__image_writable(const char *format)
{
    const codec *c = codec_of(format);
    return c && c->save ? format : "png";
}

pol_status pol__image_save_path(pol_run *run, pol__image *im, const char *path)
{
    const char *fmt = save_format(im, path);
    /* A name that says one format and data of another would mislead every program that opens
     * it: -o story.png with a preset that writes JPEG is refused with the way out. */
    const char *named = path ? pol__image_format_of_ext(pol__path_ext(path)) : NULL;
    if (named && fmt && strcmp(named, fmt) != 0 &&
        !((!strcmp(named, "heif") || !strcmp(named, "avif")) &&
          (!strcmp(fmt, "heif") || !strcmp(fmt, "avif"))))
        return pol__fail(run, POL_ERR_ARG,
                         "%s is named .%s but the delivery writes %s; name it ."
                         "%s or give --format %s",
                         path, pol__path_ext(path), fmt, pol__image_ext_of_format(fmt), named);
    const codec *c = codec_of(fmt);
    if (!c || !c->save) return pol__fail(run, POL_ERR_UNSUPPORTED, "cannot write format '%s'", fmt);
    pol__image_save s = im->save;
    int jpeg_out = !strcmp(c->format, "jpeg"), from_jpeg = !strcmp(im->format, "jpeg");
    int webp_same = !strcmp(c->format, "webp") && !strcmp(im->format, "webp") && !s.lossless;
    int png_same = !strcmp(c->format, "png") && !strcmp(im->format, "png") &&
                   (!s.bit_depth || s.bit_depth == im->bit_depth);
    /* Unchanged pixels of a JPEG (or a still WebP or PNG), and no quality asked for: its own DCT
     * coefficients (its own bitstream, its own chunks) are written again, so nothing is lost. */
    int unchanged = !s.quality && im->src_path && im->src_hash &&
                    ((jpeg_out && from_jpeg) || webp_same || png_same) &&
                    pol__image_px_hash(run, im) == im->src_hash;
    int lossless = unchanged && jpeg_out;
    pol__image_save_settings(run, im, c->format, lossless, &s);
    pol__meta_out m;
    pol_status st = pol__image_meta_prepare(run, im, &m);
    if (st) return st;
    pol__outfile of;
    st = pol__out_open(run, path, &of);
    if (!st) {
        errno = 0;
        if (lossless) {
            st = pol__jpeg_transcode(run, im->src_path, &s, &m, of.fp);
            if (!st)
                pol__decide(run, "no step changed the pixels: the JPEG was written from its own "
                                 "DCT coefficients, without loss");
        } else if (unchanged && webp_same) {
            st = pol__webp_remux(run, im->src_path, &m, of.fp);
            if (!st)
                pol__decide(run, "no step changed the pixels: the WebP's own image data was "
                                 "written again, without loss");
        } else {
            int copied = 0;
            if (unchanged && png_same) {
                st = pol__png_copy(run, im, &m, s.metadata == POL_META_KEEP, of.fp, &copied);
                if (copied)
                    pol__decide(run, "no step changed the pixels: the PNG's own image data was "
                                     "written again, byte for byte");
            }
            if (!st && !copied) st = c->save(run, im, &s, &m, of.fp);
        }
        int e = errno; /* what the last failed write said, before the codec's own wording */
        if (st && st != POL_ERR_NOMEM &&
            (e == ENOSPC || e == EDQUOT || e == EFBIG || e == EIO || ferror(of.fp)))
            st = pol__fail(run, POL_ERR_IO, "cannot write %s: %s", path,
                           strerror(e ? e : EIO));
        else if (!st && (fflush(of.fp) != 0 || ferror(of.fp)))
            st = pol__fail(run, POL_ERR_IO, "cannot write %s: %s", path, strerror(errno));
        if (st)
            pol__out_abort(&of);
        else
            st = pol__out_commit(run, &of);
    }
    pol__image_meta_release(&m);
    return st;
}

static pol_status save(pol_run *run, pol_asset *a, const char *path)
{
    return pol__image_save_path(run, pol__image_of(a), path);
}

static const char *out_ext(pol_asset *a)
{
    const pol__image *im = pol__image_of(a);
    const char *f = im->save.format[0] ? im->save.format : writable(im->format);
    if (!strcmp(f, im->format)) return NULL;
    return pol__image_ext_of_format(f);
}

static pol_status inspect(pol_run *run, pol_asset *a)
{
    const pol__image *im = pol__image_of(a);
    pol__measure_int(run, "width", im->width);
    pol__measure_int(run, "height", im->height);
    pol__measure_str(run, "format", im->format);
    pol__measure_int(run, "bit_depth", im->bit_depth);
    pol__measure_int(run, "channels", im->channels);
    pol__measure_bool(run, "alpha", im->channels == 2 || im->channels == 4);
    pol__measure_int(run, "orientation", im->orientation);
    pol__measure_bool(run, "icc", im->icc != NULL);
    if (im->icc) {
        char desc[256];
        if (pol__icc_describe(im->icc, im->icc_len, desc, sizeof desc))
            pol__measure_str(run, "icc_description", desc);
        pol__measure_bool(run, "icc_is_srgb", pol__icc_is_srgb(im->icc, im->icc_len));
    }
    pol__measure_bool(run, "gps",
                      pol__exif_has_gps(im->exif, im->exif_len) ||
                          pol__xmp_has_gps(im->xmp, im->xmp_len));
    pol__measure_bool(run, "exif", im->exif != NULL);
    pol__measure_bool(run, "xmp", im->xmp != NULL);
    if (im->dpi > 0) pol__measure(run, "dpi", im->dpi);
    return pol__image_analyse(run, im);
}

static pol_status thumbnail(pol_run *run, pol_asset *a, int max_dim, unsigned char **jpeg,
                            size_t *len)
{
    const pol__image *im = pol__image_of(a);
    pol__resize_req q = {.long_edge = max_dim, .upscale = 0};
    int sw, sh, ow, oh;
    pol__resize_geometry(&q, im->width, im->height, &sw, &sh, &ow, &oh);
    float *px = pol__resample(run, im, ow, oh, POL_KERNEL_LANCZOS3);
    if (!px) return pol__fail(run, POL_ERR_NOMEM, "out of memory");
    pol__image small = {.width = ow, .height = oh, .channels = im->channels, .px = px};
    pol_status st = pol__jpeg_encode_mem(run, &small, 80, jpeg, len);
    pol__image_free_px(px);
    return st;
}

static void data_free(void *d)
{
    pol__image_free(d);
}
/* Only deliveries run on these copies (see image_io.h): they share the pixels. */
static void *data_clone(const void *d)
{
    return pol__image_clone_shared(d);
}

static const char *const extensions[] = {"jpg",  "jpeg", "jpe",  "jfif", "png",  "webp", "tif",
                                         "tiff", "heic", "heif", "hif",  "avif", "gif",  "bmp",  "dib",  NULL};
static const char *const auto_steps[] = {"orient",  "colour",  "white-balance", "exposure", "tone",
                                         "denoise", "sharpen", "straighten",    NULL};

const pol__domain pol__image_domain = {
    .name = "image",
    .summary = "Photos and pictures: JPEG, PNG, WebP, TIFF, HEIC/AVIF; GIF and BMP read",
    .ops = pol__image_ops,
    .extensions = extensions,
    .sniff = sniff,
    .load = load,
    .save = save,
    .inspect = inspect,
    .thumbnail = thumbnail,
    .data_free = data_free,
    .data_clone = data_clone,
    .auto_steps = auto_steps,
    .out_ext = out_ext,
    .stream = &pol__image_stream_io,
};
