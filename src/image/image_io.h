/* polish — private contract between the image domain, its codecs, metadata policy and resampler. */
#ifndef POLISH_IMAGE_IMAGE_IO_H
#define POLISH_IMAGE_IMAGE_IO_H

#include <stdio.h>
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
pol_status pol__tiff_load(pol_run *run, const char *path, const pol__image_load_opts *o,
                          pol__image **out);
pol_status pol__tiff_save(pol_run *run, const pol__image *im, const pol__image_save *s,
                          const pol__meta_out *m, FILE *fp);
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

/* Refuses an image of w x h (and `frames`) over the run's limits before anything is decoded. */
pol_status pol__image_check_limits(pol_run *run, const pol__image_load_opts *o, uint64_t w,
                                   uint64_t h, uint64_t frames, const char *format);
/* An operation's result of w x h pixels checked like a decoded image (pixels, dimension, memory)
 * before it is allocated: a parameter must not walk around a limit an input could not. */
pol_status pol__image_check_result(pol_run *run, uint64_t w, uint64_t h, const char *what);

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
