/* polish — private contract between the image domain, its codecs, metadata policy and resampler. */
#ifndef POLISH_IMAGE_IMAGE_IO_H
#define POLISH_IMAGE_IMAGE_IO_H

#include <stdio.h>
#include "core/stream.h"
#include "image/image.h"

/* ---- formats and sniffing (io_sniff.c) ------------------------------------------------------ */

/* "jpeg", "png", "webp", "tiff", "heif", "avif", "gif", "bmp" from the first bytes, or NULL. */
const char *pol__image_sniff_format(const unsigned char *head, size_t n);
/* Canonical format name for a file extension ("JPG" -> "jpeg"), or NULL. */
const char *pol__image_format_of_ext(const char *ext);
/* The usual extension of a format ("jpeg" -> "jpg"). */
const char *pol__image_ext_of_format(const char *format);

/* ---- whole files (domain.c) ----------------------------------------------------------------- */

/* Loads any supported image (format by content; limits, lenient and DCT scaling from `run`). */
pol_status pol__image_load_path(pol_run *run, const char *path, pol__image **out);
/* Writes `im` as its save settings say (format from them, else the extension, else the source),
 * safely (temporary file + rename). */
pol_status pol__image_save_path(pol_run *run, pol__image *im, const char *path);

/* The save settings a write of `im` as `fmt` uses: a changed JPEG like its source (quality and
 * chroma resolution, unless asked otherwise), else the format's default quality. */
void pol__image_save_settings(pol_run *run, const pol__image *im, const char *fmt, int lossless,
                              pol__image_save *s);
/* `format` when polish writes it, else "png" (GIF, BMP). */
const char *pol__image_writable(const char *format);

/* ---- codecs (io_*.c) ------------------------------------------------------------------------ */

/* What goes into the output file besides pixels, already filtered by the metadata policy. */
typedef struct pol__meta_out {
    const unsigned char *icc;
    size_t icc_len;
    unsigned char *exif; /* from the TIFF header on; owned */
    size_t exif_len;
    const unsigned char *xmp;
    size_t xmp_len;
    double dpi; /* 0: none */
} pol__meta_out;

typedef pol_status (*pol__image_load_fn)(pol_run *run, const char *path,
                                        const pol__image_load_opts *o, pol__image **out);
/* Encodes `im` with settings `s` (format already resolved) into the open file `fp`. */
typedef pol_status (*pol__image_save_fn)(pol_run *run, const pol__image *im, const pol__image_save *s,
                                        const pol__meta_out *m, FILE *fp);

pol_status pol__jpeg_load(pol_run *run, const char *path, const pol__image_load_opts *o,
                          pol__image **out);
pol_status pol__jpeg_save(pol_run *run, const pol__image *im, const pol__image_save *s,
                          const pol__meta_out *m, FILE *fp);
/* Writes the JPEG at `src_path` again from its DCT coefficients (no loss), with the markers of
 * `m` (the metadata policy applied) and progressive coding when `s` asks for it. */
pol_status pol__jpeg_transcode(pol_run *run, const char *src_path, const pol__image_save *s,
                               const pol__meta_out *m, FILE *fp);
/* Encodes an 8-bit RGB or grey image to memory (thumbnails). *jpeg is malloc'ed. */
pol_status pol__jpeg_encode_mem(pol_run *run, const pol__image *im, int quality,
                                unsigned char **jpeg, size_t *len);

pol_status pol__png_load(pol_run *run, const char *path, const pol__image_load_opts *o,
                         pol__image **out);
pol_status pol__png_save(pol_run *run, const pol__image *im, const pol__image_save *s,
                         const pol__meta_out *m, FILE *fp);
pol_status pol__webp_load(pol_run *run, const char *path, const pol__image_load_opts *o,
                          pol__image **out);
pol_status pol__webp_save(pol_run *run, const pol__image *im, const pol__image_save *s,
                          const pol__meta_out *m, FILE *fp);
/* Writes the still WebP at `src_path` again without decoding it (its VP8/VP8L and alpha chunks as
 * they are), with the metadata chunks of `m` (the policy applied). */
/* Writes the PNG `im` was read from (im->src_path) again with its own image data and rendering
 * chunks byte for byte, the metadata of `m` in place of its own, and its text, time and unknown
 * chunks when `keep_other`. *copied is 0, with nothing written, when the file cannot be copied
 * (damaged, animated, or metadata the source does not hold): encode the pixels instead. */
pol_status pol__png_copy(pol_run *run, const pol__image *im, const pol__meta_out *m, int keep_other,
                         FILE *fp, int *copied);
pol_status pol__webp_remux(pol_run *run, const char *src_path, const pol__meta_out *m, FILE *fp);
pol_status pol__tiff_load(pol_run *run, const char *path, const pol__image_load_opts *o,
                          pol__image **out);
pol_status pol__tiff_save(pol_run *run, const pol__image *im, const pol__image_save *s,
                          const pol__meta_out *m, FILE *fp);
/* TIFF row by row (strips): the direct layouts (8/16-bit grey or RGB, alpha, contiguous samples,
 * upright, one page) are read in order a tile row or strip at a time; *meta gets the picture's
 * size and metadata without pixels. Any TIFF is written row by row. */
typedef struct pol__tiff_rows pol__tiff_rows;
pol_status pol__tiff_rows_open(pol_run *run, const char *path, pol__image **meta,
                               pol__tiff_rows **out);
pol_status pol__tiff_rows_read(pol_run *run, pol__tiff_rows *r, float *dst, int n);
void pol__tiff_rows_close(pol__tiff_rows *r);
typedef struct pol__tiff_writer pol__tiff_writer;
/* `im` gives the size, channels, depth and orientation (its pixels are not read). */
pol_status pol__tiff_write_begin(pol_run *run, const pol__image *im, const pol__image_save *s,
                                 const pol__meta_out *m, FILE *fp, pol__tiff_writer **out);
pol_status pol__tiff_write_rows(pol_run *run, pol__tiff_writer *w, const float *px, int rows);
pol_status pol__tiff_write_end(pol_run *run, pol__tiff_writer *w); /* frees w */
void pol__tiff_write_abort(pol__tiff_writer *w);

/* JPEG row by row (strips): grey or RGB, upright; *meta as for TIFF, with the source's quality,
 * chroma resolution and path (dropped when decoding warned). Written row by row (grey or RGB). */
typedef struct pol__jpeg_rows pol__jpeg_rows;
pol_status pol__jpeg_rows_open(pol_run *run, const char *path, pol__image **meta,
                               pol__jpeg_rows **out);
pol_status pol__jpeg_rows_read(pol_run *run, pol__jpeg_rows *r, float *dst, int n);
void pol__jpeg_rows_close(pol__jpeg_rows *r);
typedef struct pol__jpeg_writer pol__jpeg_writer;
pol_status pol__jpeg_write_begin(pol_run *run, const pol__image *im, const pol__image_save *s,
                                 const pol__meta_out *m, FILE *fp, pol__jpeg_writer **out);
pol_status pol__jpeg_write_rows(pol_run *run, pol__jpeg_writer *w, const float *px, int rows);
pol_status pol__jpeg_write_end(pol_run *run, pol__jpeg_writer *w); /* frees w */
void pol__jpeg_write_abort(pol__jpeg_writer *w);

/* PNG row by row (strips): non-interlaced, still, upright, its metadata before its pixels; *meta
 * as for TIFF. Written row by row (8 or 16 bit, grey or RGB, alpha). */
typedef struct pol__png_rows pol__png_rows;
pol_status pol__png_rows_open(pol_run *run, const char *path, pol__image **meta,
                              pol__png_rows **out);
pol_status pol__png_rows_read(pol_run *run, pol__png_rows *r, float *dst, int n);
void pol__png_rows_close(pol__png_rows *r);
typedef struct pol__png_writer pol__png_writer;
pol_status pol__png_write_begin(pol_run *run, const pol__image *im, const pol__image_save *s,
                                const pol__meta_out *m, FILE *fp, pol__png_writer **out);
pol_status pol__png_write_rows(pol_run *run, pol__png_writer *w, const float *px, int rows);
pol_status pol__png_write_end(pol_run *run, pol__png_writer *w); /* frees w */
void pol__png_write_abort(pol__png_writer *w);

/* Read only: GIF (the first frame) and BMP are written as PNG. */
pol_status pol__gif_load(pol_run *run, const char *path, const pol__image_load_opts *o,
                         pol__image **out);
pol_status pol__bmp_load(pol_run *run, const char *path, const pol__image_load_opts *o,
                         pol__image **out);
pol_status pol__heif_load(pol_run *run, const char *path, const pol__image_load_opts *o,
                          pol__image **out);
pol_status pol__heif_save(pol_run *run, const pol__image *im, const pol__image_save *s,
                          const pol__meta_out *m, FILE *fp);

/* The power-of-two reduction (1, 2, 4, 8) a decoder may apply to a w x h source with EXIF
 * `orientation`, judged from the run's plan: > 1 only when every output is smaller and no step
 * before the first resize depends on full resolution. Records the decision. (domain.c) */
int pol__image_plan_shrink(pol_run *run, int w, int h, int orientation);

/* The same checks of size and frames, without reserving memory: for a reader that holds only
 * rows (strip.c reserves what the stream holds, once per item). */
pol_status pol__image_check_size(pol_run *run, const pol__image_load_opts *o, uint64_t w,
                                 uint64_t h, uint64_t frames, const char *format);
/* Refuses an image of w x h (and `frames`) over the run's limits before anything is decoded, and
 * reserves the decoded picture's memory (pol__mem_reserve). */
pol_status pol__image_check_limits(pol_run *run, const pol__image_load_opts *o, uint64_t w,
                                   uint64_t h, uint64_t frames, const char *format);
/* An operation's result of w x h pixels checked like a decoded image (pixels, dimension, memory)
 * before it is allocated: a parameter must not walk around a limit an input could not. */
pol_status pol__image_check_result(pol_run *run, uint64_t w, uint64_t h, const char *what);

/* ---- strips (strip.c): the image domain's chunks when an item streams ------------------------- */

/* A chunk's payload: rows [c->start - c->pre, c->start + c->n + c->post) of the picture as it is
 * at this point of the pipeline (an op that changes the size changes width/height and the
 * chunk's counts). Pixels as in pol__image (float, interleaved, 0..1). */
typedef struct pol__strip {
    int width, height, channels; /* the whole picture at this point */
    float *px;                   /* the rows (pol__image_alloc_px) */
    pol__image *item;            /* metadata and save settings (no pixels), shared by the chunks */
    /* The rows as decoded (same layout as px), until the chunk's size changes; the writer
     * compares them to know whether any step changed a pixel (an unchanged JPEG is written from
     * its DCT coefficients). */
    const float *src_px;
    void *reader; /* the reader that made the chunk (strip.c) */
} pol__strip;

/* The item's preview, for the automatic steps of a streamed item to judge on (the picture
 * box-reduced to about 1280 px, the kind of picture judged, and the full-resolution measures of
 * pol__measured): gathered in one pass over the source the first time a step asks. Valid only
 * while no step before changed a pixel: otherwise a pol__stream_want_whole() failure (the item is
 * loaded whole). Owned by the reader. */
pol_status pol__strip_preview(pol_run *run, const pol__chunk *c, int full_res, pol__image **out);
/* What `full_res` asks for: the noise estimate (pol__noise_sigma2), sharpen's detail ratio. */
#define POL__FULL_RES_NOISE 1
#define POL__FULL_RES_DETAIL 2
/* For a step that changed the chunk's pixels and made the same change to the preview (so the
 * steps after it may still judge the preview, though not its full-resolution measures, which
 * `full_res` asks for): called on the first chunk, after the change. */
pol_status pol__strip_preview_follows(pol_run *run, const pol__chunk *c);

/* The chunked form of an automatic step that applies only whole: with the first strip it runs
 * `fn` on the item's preview; when the step declines the item streams on unchanged, otherwise it
 * is loaded whole (pol__stream_want_whole). `full_res`: the step reads the preview's
 * full-resolution measures. begin/free for such a step's pol_op_stream. */
typedef pol_status (*pol__image_run_fn)(pol_run *run, pol_asset *asset, const pol_args *args);
pol_status pol__preview_begin(pol_run *run, const pol_args *args, void **state);
pol_status pol__preview_apply(pol_run *run, void *state, pol__chunk *c, pol__image_run_fn fn,
                              const char *name, int full_res);
void pol__preview_free(void *state);
#define POL__PREVIEW_STREAM(var, fn, name, full_res)                                                         \
    static pol_status var##_apply(pol_run *run_, void *state_, pol__chunk *c_)                    \
    {                                                                                              \
        return pol__preview_apply(run_, state_, c_, fn, name, full_res);                           \
    }                                                                                              \
    static const pol_op_stream var = {                                                             \
        .begin = pol__preview_begin, .apply = var##_apply, .free = pol__preview_free}

/* The chunked form of a point step (white balance, exposure, tone), whose every change of pixels
 * is a curve of pol__apply_curves: judged with the first strip on the preview as pol__preview_
 * apply does; when it applies, the curves it recorded on the preview are applied to every strip,
 * those of consecutive point steps fused into one pass; a step that changed the preview otherwise
 * sends the item whole. */
pol_status pol__point_begin(pol_run *run, const pol_args *args, void **state);
pol_status pol__point_apply(pol_run *run, void *state, pol__chunk *c, pol__image_run_fn fn,
                            const char *name);
#define POL__POINT_STREAM(var, fn, name)                                                           \
    static pol_status var##_apply(pol_run *run_, void *state_, pol__chunk *c_)                    \
    {                                                                                              \
        return pol__point_apply(run_, state_, c_, fn, name);                                       \
    }                                                                                              \
    static const pol_op_stream var = {                                                             \
        .begin = pol__point_begin, .apply = var##_apply, .free = pol__preview_free}

/* A step that needs neighbours (denoise), in strips: makes rows [a, b) of `rows` (rows
 * [y0, y0 + rows->height) of the picture as the steps before left them) as the whole picture's
 * rows y0 + [a, b) come out, reading at most its halo of rows around them; where `rows` ends with
 * the picture, the picture's border treatment applies. The other rows may be left anything.
 * `self` is the step's plan. */
typedef pol_status (*pol__rows_filter_fn)(pol_run *run, const void *self, pol__image *rows, int y0,
                                          int a, int b);
/* Applies such a step to chunk `c`, whose context is at least `halo` rows where it does not end
 * with the picture: the rows it can make right are made. */
pol_status pol__strip_filter(pol_run *run, pol__chunk *c, size_t halo, pol__rows_filter_fn fn,
                             const void *self);
/* Called on the first chunk after pol__strip_filter: the steps after it may judge the preview
 * (which the step changed the same way, or left as it was when it is reduced), and their
 * full-resolution measures are taken again of the source through the recorded steps, this one
 * with its halo. `self` (malloc'ed) is taken. */
pol_status pol__strip_filter_record(pol_run *run, const pol__chunk *c, size_t halo,
                                    pol__rows_filter_fn fn, void *self);

/* The same for a point step that decides from the item's metadata alone (colour: the profile):
 * judged before the preview is made when it is the first to judge, so the preview and the
 * full-resolution measures are taken of the picture through its change in their one pass. */
pol_status pol__point_apply_meta(pol_run *run, void *state, pol__chunk *c, pol__image_run_fn fn,
                                 const char *name);
#define POL__POINT_STREAM_META(var, fn, name)                                                      \
    static pol_status var##_apply(pol_run *run_, void *state_, pol__chunk *c_)                    \
    {                                                                                              \
        return pol__point_apply_meta(run_, state_, c_, fn, name);                                  \
    }                                                                                              \
    static const pol_op_stream var = {                                                             \
        .begin = pol__point_begin, .apply = var##_apply, .free = pol__preview_free}

static inline pol__strip *pol__strip_of(const pol__chunk *c) { return (pol__strip *)c->data; }
/* The chunk's rows as an image (width x rows of the chunk, metadata of the item, no ownership). */
pol__image pol__strip_view(const pol__chunk *c);
/* Replaces the strip's rows by `px` (pol__image_alloc_px, taken) of `width` x (pre + n + post)
 * rows and sets the chunk's counts (a new size: src_px no longer applies). */
void pol__strip_replace(pol__chunk *c, float *px, int width, int height, uint64_t start,
                        size_t pre, size_t n, size_t post);
/* Strip-sized scratch kept from chunk to chunk (allocating and freeing one per chunk leaves
 * glibc's arenas holding the freed memory): *spare when it holds `floats`, else a new buffer;
 * *spare is taken (NULL after). pol__strip_swap puts `px` in the strip and its rows in *spare. */
float *pol__strip_buffer(float **spare, size_t floats);
void pol__strip_swap(pol__chunk *c, float *px, float **spare);
/* The domain's chunked reading and writing (pol__domain.stream). */
extern const pol__stream_io pol__image_stream_io;

/* ---- straighten's rotation (rotate.c) ------------------------------------------------------- */

/* Rotates `im` clockwise by `tilt` degrees (counter-clockwise when negative) about its centre
 * and, with `crop`, cuts it to the largest inscribed rectangle of its aspect ratio (else the
 * corners repeat the edges); reports the rotation, or declines when nothing would be left. On a
 * streamed item's preview (im->points) it only records the rotation, for the strips. */
pol_status pol__straighten_apply(pol_run *run, pol__image *im, double tilt, int crop);
/* The chunked form of straighten: with the first strip `judge` (the step's run) runs on the
 * preview, or with `meta_only` (a given angle) on a pixel of the item's metadata; a rotation it
 * records is applied strip by strip, each output strip made from the band of earlier rows it
 * reads (about (width/2)·|sin θ| rows each side), kept as the strips come. Output rows come
 * later than the rows they read: the first strips give empty cores. */
pol_status pol__rotate_strips_begin(pol_run *run, const pol_args *args, pol__image_run_fn judge,
                                    int meta_only, void **state);
pol_status pol__rotate_strips_apply(pol_run *run, void *state, pol__chunk *c);
void pol__rotate_strips_free(void *state);
/* strip.c's side of it: runs `fn` (straighten's run) as said above; when it neither declines nor
 * records a rotation the item is loaded whole. *tilt, *crop: the rotation recorded. */
pol_status pol__strip_judge_rotation(pol_run *run, const pol__chunk *c, int meta_only,
                                     pol__image_run_fn fn, const pol_args *args, double *tilt,
                                     int *crop);
/* Records the rotation pol__straighten_apply was asked for on a streamed item's preview. */
void pol__points_record_rotation(struct pol__points *p, double tilt, int crop);

/* ---- copy-on-write pixels (image.c) -------------------------------------------------------- */

/* The delivery copies the batch runner makes (one per target, via the domain's data_clone) share
 * the pixels of the processed image: image.export replaces pixels (resize, orient) rather than
 * writing them, and saving only reads. Code that writes pixels in place on an image that may be
 * such a copy calls pol__image_own_px() first (0 when out of memory). pol__image_clone() still
 * makes a full copy. */
pol__image *pol__image_clone_shared(const pol__image *src);
int pol__image_own_px(pol__image *im);

/* ---- sample conversion (image.c) ------------------------------------------------------------ */

/* 8-bit sample -> float 0..1 (exact division by 255, as a table). */
extern const float pol__u8_to_float[256];
static inline unsigned char pol__float_to_u8(float v)
{
    v = v * 255.0f + 0.5f;
    return v <= 0.0f ? 0 : v >= 255.0f ? 255 : (unsigned char)v;
}
static inline unsigned short pol__float_to_u16(float v)
{
    v = v * 65535.0f + 0.5f;
    return v <= 0.0f ? 0 : v >= 65535.0f ? 65535 : (unsigned short)v;
}
/* A copy of `im` with `channels` channels (alpha composited over white when dropped, grey
 * expanded or RGB converted to luma), or `im` itself when it already has them. */
pol__image *pol__image_with_channels(const pol__image *im, int channels);

/* ---- metadata (metadata.c) ------------------------------------------------------------------ */

/* EXIF facts from a raw TIFF-header EXIF block (bounds-checked; 0 when absent). */
int pol__exif_orientation(const unsigned char *exif, size_t len);
int pol__exif_has_gps(const unsigned char *exif, size_t len);
double pol__exif_dpi(const unsigned char *exif, size_t len);
/* XMP that mentions a location. */
int pol__xmp_has_gps(const unsigned char *xmp, size_t len);

/* Applies the save policy of `im` (metadata, keep_icc, keep_copyright, dpi) to what is written. */
pol_status pol__image_meta_prepare(pol_run *run, const pol__image *im, pol__meta_out *m);
void pol__image_meta_release(pol__meta_out *m);

/* An embedded ICC profile opened for lcms2 (a cmsHPROFILE, or NULL), in a context that refuses
 * outsized allocations a damaged profile asks for. Every embedded profile is opened this way. */
void *pol__icc_open(const unsigned char *icc, size_t len);
/* ICC profile facts via lcms2: description (into buf), colour space; returns 0 when unreadable. */
int pol__icc_describe(const unsigned char *icc, size_t len, char *buf, size_t buflen);
/* The profile is sRGB (by description or by matching colorants and curves). */
int pol__icc_is_srgb(const unsigned char *icc, size_t len);
/* A freshly made sRGB ICC profile (malloc'ed), for embedding after conversion. */
unsigned char *pol__icc_srgb(size_t *len);

/* Turns the pixels upright as im->orientation says and sets it to 1 (op_orient.c). */
pol_status pol__image_orient(pol_run *run, pol__image *im);

/* Converts the pixels from their embedded profile to sRGB (op_colour.c). When there is no
 * profile or it is sRGB already nothing changes: the step declines (as_step) or, for another
 * step's sake, notes why. `intent` is an lcms2 INTENT_* value. */
pol_status pol__image_to_srgb(pol_run *run, pol__image *im, int intent, int black_point,
                              int as_step);

/* ---- resampling (resample.c) ---------------------------------------------------------------- */

typedef enum pol__kernel { POL_KERNEL_LANCZOS3, POL_KERNEL_LANCZOS2, POL_KERNEL_LINEAR } pol__kernel;

/* Resamples `src` to out_w x out_h in linear light (alpha-premultiplied), threaded. Returns the
 * new pixels (pol__image_alloc_px) or NULL when out of memory. */
float *pol__resample(const pol_run *run, const pol__image *src, int out_w, int out_h, pol__kernel k);
/* Same, for the sub-rectangle (x0, y0, cw, ch) of src: crop and resize in one pass. */
float *pol__resample_rect(const pol_run *run, const pol__image *src, double x0, double y0, double cw,
                          double ch, int out_w, int out_h, pol__kernel k);

/* Resizing while decoding: rows of an in_w x in_h source (ch channels, encoded) go in one at a
 * time and out_w x out_h rows appear in `dst` (pol__image_alloc_px) as soon as they can be made;
 * same filter and result as pol__resample. Single-threaded; memory: a few taps of rows. */
typedef struct pol__rs_stream pol__rs_stream;
pol__rs_stream *pol__rs_stream_new(int in_w, int in_h, int ch, int out_w, int out_h, pol__kernel k,
                                  float *dst);
void pol__rs_stream_push(pol__rs_stream *s, const float *row);
int pol__rs_stream_done(const pol__rs_stream *s); /* every output row was made */
void pol__rs_stream_free(pol__rs_stream *s);

/* Resizing strip by strip (the resize op's chunked form): the out_w x out_h resample of a whole
 * in_w x in_h picture, made a band of output rows at a time from the source rows it needs; same
 * filter and result as pol__resample. */
typedef struct pol__rs_rows pol__rs_rows;
pol__rs_rows *pol__rs_rows_new(int in_w, int in_h, int ch, int out_w, int out_h, pol__kernel k);
void pol__rs_rows_free(pol__rs_rows *s);
/* The source row output row y is centred on (each output row belongs to one source row's strip). */
int pol__rs_rows_anchor(const pol__rs_rows *s, int y);
/* The output rows [*o0, *o1) whose taps all lie in source rows [s0, s1). */
void pol__rs_rows_range(const pol__rs_rows *s, int s0, int s1, int *o0, int *o1);
/* Makes output rows [o0, o1) into dst (o1 - o0 rows of out_w) from `rows` source rows starting at
 * picture row s0 (threaded). 0 when out of memory or a tap lies outside the rows given. */
int pol__rs_rows_make(const pol_run *run, pol__rs_rows *s, const float *src, int s0, int rows,
                      int o0, int o1, float *dst);

/* Whether a decoder may resize while decoding: the plan starts with an absolute-size resize that
 * needs no crop, of a picture that is upright (orientation 1). Fills out_w x out_h (for the
 * full w x h source) and the kernel; records the decision. (domain.c) */
int pol__image_plan_fused(pol_run *run, int w, int h, int orientation, int *out_w, int *out_h,
                          pol__kernel *k);

/* Fast sRGB transfer curves (table + interpolation, error < 2e-5) for bulk work; input clamped
 * to 0..1. */
void pol__srgb_to_linear_n(const float *in, float *out, size_t n);
void pol__linear_to_srgb_n(const float *in, float *out, size_t n);

/* Geometry of a resize request, shared by image.resize, presets and the loader's DCT scaling. */
typedef enum pol__fit { POL_FIT_CONTAIN, POL_FIT_COVER, POL_FIT_FILL } pol__fit;
typedef struct pol__resize_req {
    int width, height, long_edge; /* 0 = unset */
    double scale;                 /* 0 = unset */
    pol__fit fit;
    int upscale;
} pol__resize_req;
/* Works out the scaled size (sw x sh, before any cover crop) and the final size (ow x oh) for a
 * w x h source. Returns 0 when the request gives no size. */
int pol__resize_geometry(const pol__resize_req *r, int w, int h, int *sw, int *sh, int *ow, int *oh);
/* Fills `r` from image.resize arguments; returns 0 when none of the size arguments is set. */
int pol__resize_req_from_args(const pol_args *a, pol__resize_req *r);

/* Resizes `im` as `q` asks (cover fits crop around the most salient region, else the centre);
 * records the change under `what`, or declines when there is nothing to do. (op_resize.c) */
pol_status pol__image_apply_resize(pol_run *run, pol__image *im, const pol__resize_req *q,
                                   pol__kernel k, const char *what);

/* ---- delivery presets (op_export.c) --------------------------------------------------------- */

typedef struct pol__preset {
    const char *name;
    pol__resize_req size; /* all zero: keep the size */
    int quality;
    double dpi;
    int srgb; /* convert to sRGB */
} pol__preset;
const pol__preset *pol__image_preset(const char *name);

#endif
