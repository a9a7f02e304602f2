/* polish — the image domain's in-memory image, delivery options and shared entry points. */
#ifndef POLISH_IMAGE_IMAGE_H
#define POLISH_IMAGE_IMAGE_H

#include <stddef.h>
#include <stdint.h>
#include "core/internal.h"

typedef enum pol__meta_policy {
    POL_META_STRIP_PRIVATE = 0, /* default: drop GPS, serial numbers, maker notes, owner names */
    POL_META_KEEP,              /* keep EXIF/XMP as read (orientation reset to 1 when applied) */
    POL_META_STRIP_ALL,         /* nothing but (optionally) the ICC profile */
} pol__meta_policy;

/* How the image is written. Set by image.export (and delivery presets); zeroes mean defaults. */
typedef struct pol__image_save {
    char format[8];    /* "jpeg" "png" "webp" "tiff" "heif" "avif"; "" = from the output path's
                          extension, else the source format */
    int quality;       /* 1..100; 0 = the format's default (JPEG 85, WebP 82, HEIF 60) */
    int bit_depth;     /* 8 or 16; 0 = the source depth where the format allows */
    int progressive;   /* JPEG */
    int lossless;      /* WebP */
    pol__meta_policy metadata;
    int keep_icc;      /* embed the ICC profile (sRGB after image.colour) — default on */
    int keep_copyright;
    double dpi;        /* 0 = keep */
    int sub_h, sub_v;  /* JPEG luma sampling factors (2,2 = 4:2:0); 0 = by quality */
} pol__image_save;

/*
 * Pixels are float, interleaved, row-major, 0..1, alpha unpremultiplied, in the image's current
 * (encoded, non-linear) colour space: the source's until image.colour converts to sRGB.
 * channels: 1 grey, 2 grey+alpha, 3 RGB, 4 RGBA.
 */
typedef struct pol__image {
    int width, height, channels;
    float *px; /* width * height * channels floats, 64-byte aligned */
    int bit_depth;   /* precision of the source: 8 or 16 */
    char format[8];  /* source format, as in pol__image_save.format */
    int orientation; /* EXIF orientation 1..8; 1 once applied */
    unsigned char *icc;  size_t icc_len;  /* embedded ICC profile or NULL */
    unsigned char *exif; size_t exif_len; /* raw EXIF from the TIFF header on, or NULL */
    unsigned char *xmp;  size_t xmp_len;
    double dpi;      /* 0 when unknown */
    int srgb;        /* pixels are known to be sRGB (no profile, or converted) */
    pol__image_save save;
    /* What the decoder knew of the source, so an unchanged image is written without loss and a
     * changed one like its source (pol__jpeg_load; copied by clones). */
    char *src_path;              /* the file decoded at full size, or NULL */
    uint64_t src_hash;           /* pol__image_px_hash of the pixels as decoded; 0 = unknown */
    int jpeg_quality;            /* estimated from the luminance quantisation table; 0 = unknown */
    int jpeg_sub_h, jpeg_sub_v;  /* luma sampling factors: 2,2 = 4:2:0, 1,1 = 4:4:4; 0 = unknown */
    /* The kind of picture, judged once by pol__image_kind() (graphic.c). */
    int kind;                    /* 0 not judged, 1 photo, 2 graphic */
    char kind_why[200];
    /* Full-resolution measures taken before the pixels were reduced (a streamed item's preview,
     * strip.c): what pol__noise_sigma2 and the sharpen op's detail ratio give, or NULL. */
    const struct pol__measured *measured;
    /* A streamed item's preview: the curves the point steps apply to it are recorded here, so the
     * strips get the same (strip.c); NULL otherwise. Clones do not copy it. */
    struct pol__points *points;
} pol__image;

typedef struct pol__measured {
    double noise_sigma, noise_conf, noise_texture; /* pol__noise_sigma2 */
    double detail_ratio, detail_fine, detail_next; /* image.sharpen's detail ratios */
    int factor; /* the preview's box reduction of the picture (pol__preview_factor) */
} pol__measured;

/* The box reduction of a w x h picture's streamed preview (strip.c): its long side over 1280,
 * rounded down; 1 below 2560 px (the preview is the picture). */
static inline int pol__preview_factor(int w, int h)
{
    int longer = w > h ? w : h;
    return longer / 1280 > 1 ? longer / 1280 : 1;
}

/* Allocation. pol__image_new returns NULL when out of memory or when w*h*c overflows. */
pol__image *pol__image_new(int width, int height, int channels);
void pol__image_free(pol__image *im); /* accepts NULL */
/* A copy that shares the pixels copy-on-write (delivery targets work on such copies). Code that
 * writes pixels in place must first call pol__image_own_px() (image_io.h), which makes the
 * buffer its own; replacing the pixels with pol__image_replace_px() needs nothing. */
pol__image *pol__image_clone(const pol__image *im);
/* Replaces pixels/geometry, keeping metadata: takes `px` (allocated by pol__image_alloc_px). */
void pol__image_replace_px(pol__image *im, float *px, int width, int height, int channels);
/* NULL on overflow/OOM. The buffer is NOT zeroed (it may come from the pool of freed buffers). */
float *pol__image_alloc_px(int width, int height, int channels);
void pol__image_free_px(float *px);
static inline float *pol__image_row(const pol__image *im, int y)
{
    return im->px + (size_t)y * (size_t)im->width * (size_t)im->channels;
}

/* A 64-bit hash of the pixels and geometry (threaded): equal hashes mean unchanged pixels. */
uint64_t pol__image_px_hash(const pol_run *run, const pol__image *im);

/* The image held by an image asset. */
static inline pol__image *pol__image_of(pol_asset *a) { return (pol__image *)a->data; }

/* ---- colour helpers (colour.c) -------------------------------------------------------------- */
float pol__srgb_to_linear(float v);
float pol__linear_to_srgb(float v);
/* sRGB (encoded, 0..1) to CIE L*a*b* (D65), and back. */
void pol__srgb_to_lab(const float rgb[3], float lab[3]);
void pol__lab_to_srgb(const float lab[3], float rgb[3]);
/* CIEDE2000 colour difference (Sharma et al. 2005). */
double pol__ciede2000(const float lab1[3], const float lab2[3]);
/* Mean CIEDE2000 between two RGB images of equal size (alpha ignored). */
double pol__image_mean_de2000(const pol__image *a, const pol__image *b);
/* Mean CIEDE2000 over the visible pixels of `a` (weighted by its alpha: fully transparent pixels
 * do not count), and in *alpha_diff the largest change of alpha (0..1). */
double pol__image_de2000_visible(const pol__image *a, const pol__image *b, double *alpha_diff);

/* ---- the domain ----------------------------------------------------------------------------- */
extern const pol__domain pol__image_domain;
extern const pol_op_desc *const pol__image_ops[];

/* Measures a photo for `polish inspect` (analyse.c): mean L*, clipping, cast, noise, sharpness,
 * tilt. Records with pol__measure(). */
pol_status pol__image_analyse(pol_run *run, const pol__image *im);

/* Codecs (io_*.c): decode from a file, encode to an open output file. `shrink` is a power-of-two
 * reduction the decoder may apply (JPEG DCT scaling); 1 = full size; <= 0 = decide from the
 * run's plan (run->plan_ops). */
typedef struct pol__image_load_opts {
    int shrink;
    int lenient;
    const pol_limits *limits;
} pol__image_load_opts;

#endif
