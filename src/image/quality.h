/* polish — private estimators and colour fast paths shared by image analysis and the correction ops. */
#ifndef POLISH_IMAGE_QUALITY_H
#define POLISH_IMAGE_QUALITY_H

#include "image/image.h"

/* ---- colour fast paths (colour.c) ----------------------------------------------------------- */

/* Fills the lookup tables of the fast paths below; call once before using them (idempotent). */
void pol__colour_init(void);

/* Tables over [0, 1] in POL_LUT_N steps (plus a guard entry), interpolated linearly: the error
 * stays below 2e-6, far under one 16-bit level. Inline because they run per sample. */
#define POL_LUT_N 16384
extern float pol__lut_to_lin[POL_LUT_N + 2], pol__lut_to_srgb[POL_LUT_N + 2],
    pol__lut_labf[POL_LUT_N + 2];

static inline float pol__lut_eval(const float *t, float v)
{
    float x = v * POL_LUT_N;
    int i = (int)x;
    float f = x - (float)i;
    return t[i] + f * (t[i + 1] - t[i]);
}

/* sRGB transfer through the tables; exact outside 0..1 (NaN and negatives stay on the linear
 * segment). */
static inline float pol__to_linear_fast(float v)
{
    if (!(v > 0)) return v / 12.92f;
    if (v >= 1) return v == 1 ? 1 : pol__srgb_to_linear(v);
    return pol__lut_eval(pol__lut_to_lin, v);
}

static inline float pol__to_srgb_fast(float v)
{
    if (!(v > 0)) return v * 12.92f;
    if (v >= 1) return v == 1 ? 1 : pol__linear_to_srgb(v);
    return pol__lut_eval(pol__lut_to_srgb, v);
}

/* Linear sRGB to CIELAB (D65) with a tabulated cube root. */
void pol__linear_to_lab_fast(const float lin[3], float lab[3]);
/* Exact linear-sRGB <-> CIELAB. */
void pol__linear_rgb_to_lab(const float rgb[3], float lab[3]);
void pol__lab_to_linear_rgb(const float lab[3], float rgb[3]);

/* Reads pixel `p` of an image with `channels` channels as RGB (grey is replicated). */
static inline void pol__px_rgb(const float *p, int channels, float rgb[3])
{
    if (channels >= 3) {
        rgb[0] = p[0];
        rgb[1] = p[1];
        rgb[2] = p[2];
    } else {
        rgb[0] = rgb[1] = rgb[2] = p[0];
    }
}

static inline float pol__clampf(float v, float lo, float hi) { return v < lo ? lo : v > hi ? hi : v; }

/* ---- working copies (quality.c) ------------------------------------------------------------- */

/*
 * A small linear-light RGB copy of a photo for the estimators: each pixel is the mean of an
 * f x f block of the original (f >= 1 chosen so the long side is at most max_dim), so statistics
 * stay those of the scene rather than of the noise.
 */
typedef struct pol__qsmall {
    int w, h;
    int factor; /* original pixels per small pixel, along each axis */
    float *rgb; /* w*h*3 linear sRGB (opaque pixels only, weighted by alpha) */
    float *y;   /* w*h relative luminance */
    unsigned char *use; /* w*h: 1 = measured; 0 = mostly transparent, or a clean backdrop */
    long n_use;
    double transparent; /* share of the picture left out for transparency */
    double backdrop;    /* share left out as a clean white/black backdrop */
} pol__qsmall;

/* Fully transparent pixels never enter it: a small pixel whose block is less than half opaque is
 * marked unused, and colours are averaged with alpha as the weight. */
pol_status pol__qsmall_make(const pol_run *run, const pol__image *im, int max_dim, pol__qsmall *out);
void pol__qsmall_free(pol__qsmall *s);
/* Marks a clean, flat, near-white or near-black area reaching the picture's edge (a studio
 * backdrop, a scanned page's margin) as unused when it covers at least `min_share` of the picture
 * and leaves a subject; returns the share it covers (0 when none). Exposure and tone are then
 * judged on the subject, not on the backdrop. */
double pol__qsmall_mask_backdrop(pol__qsmall *s, double min_share);

/* Luminance of linear sRGB. */
static inline float pol__luma(const float rgb[3])
{
    return 0.2126f * rgb[0] + 0.7152f * rgb[1] + 0.0722f * rgb[2];
}

/* ---- the colour of the light (quality.c) ---------------------------------------------------- */

/*
 * Light colours are handled as log-chromaticities u = ln(R/G), v = ln(B/G) in linear sRGB, where
 * a per-channel cast is a translation. D65 (sRGB white) is (0, 0). The illuminant locus (Planckian
 * below 4000 K, CIE daylight above) runs through it; the signed distance from the locus is the
 * tint (positive magenta, negative green).
 */
void pol__light_uv(double temp_k, double tint, double *u, double *v);
/* Nearest point of the locus: its temperature and the signed tint. */
void pol__light_project(double u, double v, double *temp_k, double *tint);

typedef struct pol__wb_guess {
    double u, v;         /* the light, after the plausibility projection (tint shrunk) */
    double raw_u, raw_v; /* median of the estimators */
    double temp_k, tint; /* of the raw estimate */
    double spread;       /* largest disagreement between estimators (log-chroma units) */
    double confidence;   /* 0..1 */
    int plausible;       /* the estimate could be a real light, not the scene's own colour */
    double est[4][2];    /* (u, v) of gray-edge p=2, gray-edge p=6, white patch, gray world */
    long n_used;         /* pixels that took part */
} pol__wb_guess;

/* Estimates the colour of the light from a working copy. Returns 0 when there is too little to go
 * on (few usable pixels); then `e` holds a neutral estimate with confidence 0. */
int pol__wb_estimate(const pol__qsmall *s, pol__wb_guess *e);
enum { POL_WB_GE2, POL_WB_GE6, POL_WB_WP, POL_WB_GW };

/* Lab a*, b* that a neutral surface takes under the light (u, v): the cast in familiar units. */
void pol__light_cast_ab(double u, double v, double *a, double *b);

/* ---- tone statistics (quality.c) ------------------------------------------------------------ */

typedef struct pol__tone_summary {
    double white;    /* top percentile (clip_pct) of max(R,G,B), linear */
    double black;    /* bottom percentile (clip_pct) of min(R,G,B), linear */
    double median_y; /* median luminance, linear */
    double key;      /* log-average luminance, linear */
    double mean_l;   /* mean L* */
    double clip_hi;  /* fraction of pixels with a channel at the top (working copy) */
    double clip_all; /* fraction with every channel at the top: blown to white */
    double at_white; /* fraction whose brightest channel is within 1% of the white point */
} pol__tone_summary;

/* `clip_pct`: percent of pixels allowed beyond the white and black points (0.5 is typical). */
void pol__tone_stats(const pol__qsmall *s, double clip_pct, pol__tone_summary *t);

/* ---- noise, sharpness, tilt ----------------------------------------------------------------- */

/* Standard deviation of additive noise per channel (assumed independent and equal in R, G, B),
 * in encoded 0..1 units (x255 for 8-bit levels), measured on luma in the flattest blocks of the
 * full-resolution image. `confidence` 0..1. */
double pol__noise_sigma(const pol_run *run, const pol__image *im, double *confidence);
/* The same, and in *texture how much of what was measured in the flattest blocks keeps its
 * strength at half resolution: about 1 for white noise, well above for texture (fur, grass,
 * gravel, stars) that the operator lets through. */
double pol__noise_sigma2(const pol_run *run, const pol__image *im, double *confidence,
                         double *texture);

/* Edge sharpness 0..1: how much of the luminance step at strong edges happens across one pixel. */
double pol__sharpness(const pol_run *run, const pol__image *im);

/* Tilt of the horizon/verticals in degrees (positive: the scene is rotated counter-clockwise, so a
 * clockwise rotation levels it), searched within +-max_deg. Returns 0 when there are too few
 * straight lines to judge; confidence 0..1. (tilt.c) */
int pol__tilt_estimate(const pol_run *run, const pol__image *im, double max_deg, double *deg,
                       double *confidence);
/* The dense cue (tilt_dense.c): every pixel's edge direction from the structure tensor at two
 * scales, weighted by anisotropic energy and coherence. Near-level edges give a mode h_deg; the
 * near-vertical ones the roll v_deg at their best vanishing point (inverse distance v_q in
 * half-diagonals, 0: parallel; v_par_deg: the roll read as parallel). Prominences are the
 * smoothed histogram's peak over its mean across +-max_deg. g is a grey w x h copy. */
typedef struct pol__tilt_dense {
    double h_deg, h_prom;
    double v_deg, v_prom, v_peak, v_q;
    double v_par_deg, v_par_prom, v_par_peak;
    int votes_v;
} pol__tilt_dense;
int pol__tilt_dense_measure(const float *g, int w, int h, double max_deg, pol__tilt_dense *out);
/* A line segment for the vanishing-point model: midpoint (x, y) centred, y up, in half-diagonals;
 * direction ang in degrees [0, 180) (y up) with its cosine and sine; length in half-diagonals. */
typedef struct pol__tilt_line {
    double x, y, ang, ca, sa, len;
} pol__tilt_line;
/* Vanishing points of the lines (tilt_vp.c), up to three. v_deg: the roll from the verticals'
 * point (v_dist its distance in diagonals, positive above, 0 at infinity); h_deg: the angle of
 * the horizon through two horizontal points (focal: the focal length, in half-diagonals, that
 * makes them orthogonal to the verticals). Returns 0 when no point is found. */
typedef struct pol__tilt_vp_info {
    int points, h_points;
    int v_ok, v_members;
    double v_deg, v_dist, v_support;
    int h_ok;
    double h_deg, h_support, focal;
} pol__tilt_vp_info;
int pol__tilt_vp(const pol__tilt_line *ls, size_t n, double max_deg, pol__tilt_vp_info *out);
/* A horizon or water line (tilt_horizon.c): a straight boundary across the picture between two
 * colour regions. deg its tilt, se_deg the fit's standard error, cover the share of the width
 * whose boundary is on the line, contrast the two sides' colour difference, smooth the texture
 * of the smoother side, sky the texture of everything above it, row its height at the centre
 * (0 top, 1 bottom), score its strength. Of the candidates (all in cand), the uppermost of the
 * strong ones is reported. Returns 0 when no such boundary is found. */
typedef struct pol__tilt_horizon_cand {
    double deg, se_deg, cover, span, contrast, smooth, sky, rms_px, row;
    double score; /* cover x contrast / (sky + 0.01) / (se_deg + 0.05) */
    int balanced;
} pol__tilt_horizon_cand;
#define POL_HZ_CAND 6
typedef struct pol__tilt_horizon_info {
    double deg, se_deg, cover, span, contrast, smooth, sky, rms_px, row, score;
    int balanced;
    int ncand;  /* every candidate that was refined to a line, strongest coarse sum first */
    int chosen; /* the one above: the uppermost of the strong ones (tilt_horizon.c) */
    pol__tilt_horizon_cand cand[POL_HZ_CAND];
} pol__tilt_horizon_info;
int pol__tilt_horizon(const pol__image *im, double max_deg, pol__tilt_horizon_info *out);
/* The evidence behind an estimate (for the report). */
typedef struct pol__tilt_info {
    double share;    /* agreeing lines' share of the family's near-axis line length */
    double support;  /* their length over a quarter of the diagonal */
    int members;     /* how many segments agree */
    double spread;   /* their length-weighted spread around the estimate, degrees */
    int family;      /* 0 horizontal lines, 1 verticals, 2 both */
    int segments;    /* near-axis segments found */
    double vanishing; /* verticals converging: their vanishing point's distance from the centre in
                       * diagonals (positive above, negative below); 0 when parallel */
    int receding;     /* near-level lines set aside as receding towards a vanishing point */
    pol__tilt_dense dense; /* the dense cue, when it could be measured */
    int dense_ok;
    pol__tilt_vp_info vp;  /* the vanishing points of lines of every direction */
    int vp_ok;
    pol__tilt_horizon_info horizon; /* a horizon or water line */
    int horizon_ok;
    int dense_agrees; /* 0: it does not confirm the segments; 1: its level edges do; 2: its verticals */
    double seg_deg, seg_conf; /* the segments' own reading, before the dense one is weighed */
    double seg_final;         /* the segments' confidence with the dense cue's agreement */
    int decided_by; /* 0 no reading, 1 the segments, 2 the vanishing points, 3 the horizon test */
    unsigned agreeing_cues;   /* bit k: cue k (tilt.c's CUE_ order) agrees with the estimate */
    int seg_ok;
} pol__tilt_info;
int pol__tilt_estimate_info(const pol_run *run, const pol__image *im, double max_deg, double *deg,
                            double *confidence, pol__tilt_info *info);
/* The same; with `perspective`, verticals may also meet at a vanishing point (a camera pitched up
 * or down), and the roll is the direction from the centre to that point. */
int pol__tilt_estimate_persp(const pol_run *run, const pol__image *im, double max_deg,
                             int perspective, double *deg, double *confidence, pol__tilt_info *info);

/* ---- the kind of picture (graphic.c) -------------------------------------------------------- */

/* 1 photo, 2 graphic (logo, screenshot, diagram, text); judged once and kept in im->kind, with the
 * reason in im->kind_why. */
int pol__image_kind(const pol_run *run, pol__image *im);
/* The same judgement gathered row by row (a streamed item's analysis pass): for every row y with
 * y % step == 0 and y + 1 < height, _row(row y, row y + 1); _finish sets im->kind and frees. */
typedef struct pol__kind_acc pol__kind_acc;
pol__kind_acc *pol__kind_acc_new(int w, int h, int ch);
int pol__kind_acc_step(const pol__kind_acc *a);
void pol__kind_acc_row(pol__kind_acc *a, const float *row, const float *below);
void pol__kind_acc_finish(pol__kind_acc *a, pol__image *im);

/* pol__noise_sigma2 gathered row by row: feed every row of the picture in order (the luma the
 * estimator reads is taken from it), then _finish gives what pol__noise_sigma2 gives on the whole
 * picture, to the bit, and frees. */
typedef struct pol__noise_acc pol__noise_acc;
pol__noise_acc *pol__noise_acc_new(int w, int h, int ch);
void pol__noise_acc_row(pol__noise_acc *a, const float *row);
double pol__noise_acc_finish(pol__noise_acc *a, double *confidence, double *texture);

/* The sharpen op's fine-detail ratio gathered row by row (op_sharpen.c): same contract. */
typedef struct pol__detail_acc pol__detail_acc;
pol__detail_acc *pol__detail_acc_new(int w, int h, int ch);
void pol__detail_acc_row(pol__detail_acc *a, const float *row);
/* *next: the next octave's ratio (-1 when unknown). */
double pol__detail_acc_finish(pol__detail_acc *a, double *fine, double *next);
/* Does the measure read any of rows [y0, y1) (its bands cover a few hundred rows)? */
int pol__detail_acc_reads(const pol__detail_acc *a, int y0, int y1);
/* For an automatic photographic step: on a graphic, records the reason, declines and returns 1. */
int pol__image_graphic_declines(pol_run *run, pol__image *im);
/* Records the measurements behind the judgement (for inspect). */
void pol__image_kind_measure(pol_run *run, const pol__image *im);

/* ---- pixel loops ---------------------------------------------------------------------------- */

/* Applies per-channel gains in linear light to the colour channels (alpha untouched), threaded. */
void pol__apply_gains(const pol_run *run, pol__image *im, const double gain[3]);

/* Maps every colour channel (alpha untouched) through a curve of encoded values: lut[i] is the
 * output for input i/n, linearly interpolated; n + 1 entries. Threaded. */
void pol__apply_curve(const pol_run *run, pol__image *im, const float *lut, int n);
/* The same with one curve per colour channel (grey images use the first). On a streamed item's
 * preview (im->points) the curves are also recorded for the strips (pol__points_record). */
void pol__apply_curves(const pol_run *run, pol__image *im, const float *const lut[3], int n);
#define POL_CURVE_N 4096
/* One encoded value through a curve of n + 1 entries, as pol__apply_curves maps it: the one
 * arithmetic of the whole picture and of the strips, so both give the same bits. */
static inline float pol__curve_eval(const float *t, int n, float v)
{
    float f = pol__clampf(v, 0, 1) * (float)n;
    int i = (int)f;
    if (i >= n) i = n - 1;
    float r = f - (float)i;
    return t[i] + r * (t[i + 1] - t[i]);
}
/* Records a copy of the curves (one per colour channel) applied to a streamed item's preview, for
 * the strips to apply the same (strip.c); on failure to allocate, marks the record unusable. */
void pol__points_record(struct pol__points *p, const float *const lut[3], int n);
/* Records a colour transform (op_colour.c's, of float rows, which the threads may share;
 * taken: freed with the record, or at once on failure) applied to a streamed item's preview, for
 * the strips to apply the same (strip.c). */
void pol__points_record_transform(struct pol__points *p, void *xf);
/* Frees such a transform (NULL accepted). */
void pol__xf_free(void *xf);
/* A row of w pixels (ch channels, float) through the colour transform `xf`, in place, then
 * clamped to 0..1; `m` (NULL: none) remembers colours lcms2 converted before by the same
 * transform, so repeated ones are not computed again: the result is the same bits either way. A
 * memo serves one thread and one transform. */
typedef struct pol__xf_memo pol__xf_memo;
pol__xf_memo *pol__xf_memo_new(void);
void pol__xf_memo_free(pol__xf_memo *m);
void pol__xf_row(void *xf, float *row, size_t w, int ch, pol__xf_memo *m);
/* Clamps n values to 0..1 (a float colour transform's output is unbounded). */
static inline void pol__clamp_unit(float *v, size_t n)
{
    for (size_t i = 0; i < n; i++) v[i] = v[i] < 0 ? 0 : v[i] > 1 ? 1 : v[i];
}

#endif
