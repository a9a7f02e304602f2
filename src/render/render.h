/* polish — the render domain: rendered frames with their passes, scene-linear float RGBA with
 * premultiplied alpha (values above 1 kept), read from OpenEXR (OpenEXRCore), Radiance HDR and,
 * when an op is named, 8/16-bit PNG/TIFF/JPEG (decoded to linear light). */
#ifndef POLISH_RENDER_RENDER_H
#define POLISH_RENDER_RENDER_H

#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include "core/internal.h"

/* A deferred pointwise step: n pixels of row y from x0 as unpremultiplied planes R, G, B (n
 * floats each, changed in place, as the earlier stages left them; at most POL_RN_TILE pixels,
 * the planes 16-byte aligned) and the frame's rgba they came from (read only its alpha there: its
 * colour is from before the pass). */
#define POL_RN_TILE 256
typedef void (*pol__rn_stage_fn)(void *ctx, float *R, float *G, float *B, const float *rgba, int n,
                                 int x0, int y);

/* Four RGBA pixels (16 floats at p) transposed into R, G, B and A vectors: the fused pass and
 * bloom's full-resolution read work on planes 4 pixels at a time. */
typedef float pol__v4f __attribute__((vector_size(16)));
typedef int32_t pol__v4i __attribute__((vector_size(16)));
static inline void pol__rn_rgba4(const float *p, pol__v4f *r, pol__v4f *g, pol__v4f *b, pol__v4f *a)
{
    const pol__v4i lo = {0, 4, 1, 5}, hi = {2, 6, 3, 7}, first = {0, 1, 4, 5}, second = {2, 3, 6, 7};
    pol__v4f q0, q1, q2, q3;
    memcpy(&q0, p, 16), memcpy(&q1, p + 4, 16), memcpy(&q2, p + 8, 16), memcpy(&q3, p + 12, 16);
    pol__v4f t0 = __builtin_shuffle(q0, q1, lo), t1 = __builtin_shuffle(q0, q1, hi);
    pol__v4f t2 = __builtin_shuffle(q2, q3, lo), t3 = __builtin_shuffle(q2, q3, hi);
    *r = __builtin_shuffle(t0, t2, first), *g = __builtin_shuffle(t0, t2, second);
    *b = __builtin_shuffle(t1, t3, first), *a = __builtin_shuffle(t1, t3, second);
}

/* The passes a frame may carry besides its beauty. */
enum { POL_RP_DEPTH, POL_RP_NORMAL, POL_RP_ALBEDO, POL_RP_MOTION, POL_RP_AO, POL_RP_COUNT };

typedef struct pol__render {
    int w, h;
    float *rgba;                /* w*h*4, premultiplied, scene-linear (or display-encoded) */
    float *pass[POL_RP_COUNT];  /* depth 1, normal 3, albedo 3, motion 2, ao 1 channels; or NULL */
    char pass_src[POL_RP_COUNT][64]; /* the channel prefix each pass came from ("ViewLayer.Depth") */
    char beauty_src[64];
    char ignored[256];          /* passes found but not used, comma-separated */
    int has_alpha;
    int display;                /* values are display-encoded (a view transform or LUT ran) */
    char view[32];              /* the view transform applied ("AgX", "LUT look.cube") */
    char src_format[8];         /* "exr" "hdr" "png" "tiff" "jpeg" */
    int src_half;               /* the EXR's beauty was half float */
    int src_bits;               /* 8/16 for PNG/TIFF/JPEG */
    long long bad_in;           /* NaN/Inf samples found in the beauty on loading (repaired) */
    long long nan_in, inf_in;
    /* delivery: set by render.export; empty/0 = from the path's extension */
    char save_format[8];        /* png jpeg tiff exr hdr */
    int save_bits;              /* 8/16 for PNG/TIFF */
    int save_quality;           /* JPEG */
    int save_float;             /* EXR: 1 float, 0 half, -1 as the source */
    int save_passes;            /* EXR: write the passes as layers too */
    /* pointwise steps not yet applied (render.c: pol__render_defer), run as one pass */
    struct pol__rn_stage {
        pol__rn_stage_fn fn;
        void *ctx;
        void (*ctx_free)(void *ctx);
    } stage[8];
    int nstage;
    /* per-frame scratch buffers (pol__render_scratch), reused from op to op */
    void *scratch[3];
    size_t scratch_n[3];
    /* the frame as loaded (a small copy) for the report's before/after figure, or NULL */
    float *before;
    int before_w, before_h;
} pol__render;

static inline int pol__rp_channels(int p)
{
    static const int c[POL_RP_COUNT] = {1, 3, 3, 2, 1};
    return c[p];
}
static inline const char *pol__rp_name(int p)
{
    static const char *const n[POL_RP_COUNT] = {"depth", "normal", "albedo", "motion", "ao"};
    return n[p];
}

pol__render *pol__render_new(int w, int h); /* rgba allocated (not zeroed); NULL on OOM */
/* malloc (zeroed: calloc) for a frame-sized buffer, freed with free(); from 4 MiB the kernel is
 * asked to back it with 2 MiB pages (madvise MADV_HUGEPAGE), which on a 1080p frame halves the
 * time spent faulting its pages in and the TLB misses of the passes that read it crosswise. */
void *pol__rn_alloc(size_t bytes, int zeroed);
void pol__render_free(void *r);
void *pol__render_clone(const void *r);
/* Allocates pass p (zeroed); 0 when out of memory. */
int pol__render_add_pass(pol__render *r, int p);
static inline pol__render *pol__render_of(pol_asset *a) { return (pol__render *)a->data; }

/* Pointwise steps (AO's upsample and multiply, exposure and tone map, grade and LUT, vignette,
 * grain) are deferred and run together in one threaded pass over the frame, tile by tile, when
 * the next step or the writer needs the pixels (pol__rn_stage_fn says what fn gets). ctx is owned
 * from here on (ctx_free when done, also on failure). 0 when out of memory (nothing deferred
 * then). */
int pol__render_defer(const pol_run *run, pol__render *r, pol__rn_stage_fn fn, void *ctx,
                      void (*ctx_free)(void *ctx));
/* Scratch memory of at least `bytes` kept on the frame and handed to the next op asking for the
 * same slot (0..2), so steps do not each fault in fresh pages; contents undefined, valid until the
 * next call for that slot; freed with the frame. NULL when out of memory. */
void *pol__render_scratch(pol__render *r, int slot, size_t bytes);
/* One threaded pass over the frame's rows that is also the deferred steps' pass: each chunk of
 * rows [b, e) first gets the deferred steps, then fn(user, b, e) reads them. fn may read only the
 * frame's rows in [b, e) (the others may be half-way through the steps); it may write its own
 * buffers. Afterwards no step is deferred. */
void pol__render_pass(const pol_run *run, pol__render *r, size_t grain,
                      void (*fn)(void *user, size_t b, size_t e), void *user);
/* How many blocks pol__parallel_blocks cuts n items into: block k is [k grain, (k+1) grain). */
size_t pol__rn_blocks(size_t n, size_t grain);
/* Row y of the frame as it will be once the deferred steps have run (premultiplied rgba, w*4
 * floats, into dst), without running them on the frame: for statistics of a few rows. */
void pol__render_peek_row(const pol__render *r, int y, float *dst);
/* Applies the deferred steps (a no-op when none). */
void pol__render_flush(const pol_run *run, pol__render *r);
/* The frame of an asset with every deferred step applied: what ops and writers read. */
static inline pol__render *pol__render_get(const pol_run *run, pol_asset *a)
{
    pol__render *r = (pol__render *)a->data;
    if (r->nstage) pol__render_flush(run, r);
    return r;
}

/* Replaces NaN and Inf samples of the beauty (and passes) with the mean of finite neighbours (0
 * when none) so nothing downstream spreads them; counts what it found. Returns samples fixed. */
long long pol__render_repair(const pol_run *run, pol__render *r, long long *nan, long long *inf);

/* Checks w x h against the run's limits and reserves memory for `channels` floats a pixel. */
pol_status pol__render_check_size(pol_run *run, uint64_t w, uint64_t h, int channels,
                                  const char *what);

/* ---- codecs (io_exr.c, io_hdr.c) ------------------------------------------------------------ */
int pol__exr_sniff(const unsigned char *h, size_t n);
int pol__hdr_sniff(const unsigned char *h, size_t n);
/* Reads every part and channel, sorting channels into beauty and passes by their names (Blender's
 * ViewLayer.Combined.R, Depth.Z, Normal.X, DiffCol.R, Vector.X; plain R G B A Z; depth.Z,
 * N.X, albedo.R, motion.X, ...). `want_beauty` 0: a pass file of a group (no beauty needed). */
pol_status pol__exr_read(pol_run *run, const char *path, int want_beauty, pol__render **out);
/* Writes the beauty (and the passes when r->save_passes) to an open output file. */
pol_status pol__exr_write(pol_run *run, const pol__render *r, int fd, int use_float);
pol_status pol__hdr_read(pol_run *run, const char *path, pol__render **out);
pol_status pol__hdr_write(pol_run *run, const pol__render *r, FILE *fp);

/* ---- colour (colour.c) ---------------------------------------------------------------------- */
/* A smooth function of a positive float tabulated per octave, 1024 points an octave, read with
 * linear interpolation on the float's mantissa: within about 1e-7 relative of the function for
 * the curves used here, at the cost of one table read. Covers [2^lo, 2^hi); the caller handles
 * values outside. */
typedef struct pol__rn_curve {
    float *t;
    int lo, hi;
} pol__rn_curve;

/* Tabulates f (computed in double) over [2^lo, 2^hi). 0 when out of memory. */
int pol__rn_curve_build(pol__rn_curve *c, int lo, int hi, double (*f)(double v, const void *u),
                        const void *u);
void pol__rn_curve_free(pol__rn_curve *c);

static inline float pol__rn_curve_at(const pol__rn_curve *c, float v)
{
    uint32_t b;
    memcpy(&b, &v, sizeof b);
    uint32_t off = b - ((uint32_t)(127 + c->lo) << 23), i = off >> 13;
    float fr = (float)(off & 0x1fff) * (1.0f / 8192);
    return c->t[i] + fr * (c->t[i + 1] - c->t[i]);
}

static inline float pol__rn_luma(const float *p) { return 0.2126f * p[0] + 0.7152f * p[1] + 0.0722f * p[2]; }
float pol__rn_srgb_encode(float v); /* linear -> sRGB, clamped to 0..1 */
float pol__rn_srgb_decode(float v);
/* Display-encoded 0..1 RGBA (unpremultiplied) of the frame, as written to PNG/JPEG/TIFF: the
 * values as they are when a view transform or LUT ran, else the sRGB transfer (clamped). */
float *pol__render_display(const pol_run *run, const pol__render *r, int *channels);

/* ---- helpers for ops ------------------------------------------------------------------------ */
/* A blurred copy support: separable box/gauss on planes (blur.c). */
void pol__rn_gauss(const pol_run *run, float *img, int w, int h, int ch, float sigma, float *tmp);
/* Draws a before/after figure (PNG) into the step when figures are wanted. */
void pol__render_figure(pol_run *run, const pol__render *r, const char *title);
/* Keeps a small copy of the beauty as loaded for the report (only when figures are wanted). */
void pol__render_keep_before(pol_run *run, pol__render *r);

/* Shared by ops: SMAA- or FXAA-class AA in place (edges: pixels blended); AO from the depth pass
 * (op_ao.c says how). */
enum { POL_AA_SMAA, POL_AA_FXAA };
pol_status pol__render_aa(pol_run *run, pol__render *r, int method, float thr, float subq,
                          int search, size_t *edges);
/* aa's temporal mode (op_taa.c): the frame of a sequence (pol__sequence) with its motion pass,
 * blended with the previous frame's output kept under `key`; spatial AA (method, thr, subq,
 * search) where there is no history. feedback: the most weight the history keeps. The motion
 * pass: blender 0: how far each pixel moved since the frame before (x right, y down the rows);
 * 1: Blender's Vector pass (where it was in the frame before, relative to here, y up). */
pol_status pol__render_aa_temporal(pol_run *run, pol__render *r, const void *key, int method,
                                   float thr, float subq, int search, float feedback, int blender);
pol_status pol__render_ao(pol_run *run, pol__render *r, double radius, double fov_deg, int slices,
                          int steps, int scale, float apply_k, float **out, double *radius_used,
                          double *mean);
struct pol__cube;
pol_status pol__render_load_cube(pol_run *run, const char *path, struct pol__cube **out);

/* The domain. */
extern const pol__domain pol__render_domain;
extern const pol_op_desc *const pol__render_ops[];

#endif
