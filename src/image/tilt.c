/* polish — tilt from long straight segments; receding lines set aside; optional vanishing point. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "image/quality.h"

/*
 * Straight segments are found as in a line-segment detector: pixels with a strong gradient whose
 * edge direction is near horizontal or vertical are grown into regions of consistent direction;
 * a region that is long and thin is a segment, and a least-squares fit over its pixels gives its
 * angle to a small fraction of a degree. Each segment votes with its length for its deviation from
 * the nearest axis; the tilt is the mode of those votes. Texture and foliage produce short or
 * disagreeing segments, which is what the confidence measures. Near-level lines that fan out to
 * a vanishing point near the picture (receding in depth) are set aside first; with perspective,
 * converging verticals give the roll as the direction from the centre to their vanishing point.
 */

#define TILT_DIM 1024
#define SEG_TOL_DEG 5.0 /* edge-direction tolerance while growing a region */
#define RECEDE_DEG 10.0 /* near-level lines looked at beyond the largest tilt */

typedef struct seg {
    double dev; /* deviation from the axis, degrees (positive: counter-clockwise) */
    double len; /* pixels of the working copy */
    int vertical;
    double x, y; /* midpoint, centred, y up, in half-diagonals */
} seg;

/* Grey working copy (encoded luminance), area-averaged to at most TILT_DIM on the long side. */
static float *grey_small(const pol__image *im, int *ow, int *oh)
{
    int longer = im->width > im->height ? im->width : im->height;
    int f = (longer + TILT_DIM - 1) / TILT_DIM;
    if (f < 1) f = 1;
    int w = im->width / f, h = im->height / f, ch = im->channels;
    if (w < 1 || h < 1) return NULL;
    float *g = calloc((size_t)w * h, sizeof(float));
    if (!g) return NULL;
    float inv = 1.0f / (float)(f * f);
    for (int y = 0; y < h; y++) {
        float *o = g + (size_t)y * w;
        for (int dy = 0; dy < f; dy++) {
            const float *row = pol__image_row(im, y * f + dy);
            for (int x = 0; x < w; x++) {
                const float *p = row + (size_t)x * f * ch;
                float acc = 0;
                for (int dx = 0; dx < f; dx++, p += ch)
                    acc += ch >= 3 ? 0.299f * p[0] + 0.587f * p[1] + 0.114f * p[2] : p[0];
                o[x] += acc;
            }
        }
        for (int x = 0; x < w; x++) o[x] *= inv;
    }
    *ow = w;
    *oh = h;
    return g;
}

/* Angle difference folded into [-90, 90). */
static double angdiff(double a, double b)
{
    double d = fmod(a - b + 90.0, 180.0);
    if (d < 0) d += 180;
    return d - 90;
}

/* The deviation from vertical, degrees, that a vertical line through s has when the verticals
 * meet at the vanishing point of roll r (degrees) and inverse distance q (in half-diagonals; 0:
 * parallel, positive: above the centre): the direction from s towards (-sin r, cos r) / q. */
static double pred_dev(const seg *s, double r, double q)
{
    if (q == 0) return r;
    double rr = r * M_PI / 180;
    return atan2(sin(rr) + q * s->x, cos(rr) - q * s->y) * 180 / M_PI;
}

/* Length-weighted vote of the vertical segments for a vanishing point (roll, inverse distance)
 * under a biweight kernel of width sig degrees. */
static double conv_score(const seg *segs, size_t nseg, double r, double q, double sig)
{
    double v = 0;
    for (size_t k = 0; k < nseg; k++) {
        if (segs[k].vertical != 1) continue;
        double d = (segs[k].dev - pred_dev(&segs[k], r, q)) / sig;
        if (fabs(d) < 2) {
            double t = 1 - d * d / 4;
            v += segs[k].len * t * t;
        }
    }
    return v;
}

/* The best vanishing point of the verticals: a coarse grid over the roll and the inverse distance
 * (a vanishing point at least one diagonal away), then a fine one around the best. Returns its
 * score on the same scale as the parallel mode's (a 0.3 degree kernel). */
static double converging_fit(const seg *segs, size_t nseg, double max_deg, double *r_out, double *q_out)
{
    double br = 0, bq = 0, bv = -1;
    for (double q = -0.5; q <= 0.5 + 1e-9; q += 0.0125)
        for (double r = -max_deg; r <= max_deg + 1e-9; r += 0.1) {
            double v = conv_score(segs, nseg, r, q, 0.8);
            if (v > bv) {
                bv = v;
                br = r;
                bq = q;
            }
        }
    double fr = br, fq = bq;
    bv = -1;
    for (double q = fq - 0.015; q <= fq + 0.015 + 1e-9; q += 0.001)
        for (double r = fr - 0.15; r <= fr + 0.15 + 1e-9; r += 0.01) {
            double v = conv_score(segs, nseg, r, q, 0.3);
            if (v > bv) {
                bv = v;
                br = r;
                bq = q;
            }
        }
    *r_out = br;
    *q_out = bq;
    /* the parallel mode's kernel is a Gaussian of 0.3: bring the biweight to the same scale */
    double g = 0;
    for (size_t k = 0; k < nseg; k++) {
        if (segs[k].vertical != 1) continue;
        double d = (segs[k].dev - pred_dev(&segs[k], br, bq)) / 0.3;
        if (fabs(d) < 4) g += segs[k].len * exp(-0.5 * d * d);
    }
    return g;
}

/* The deviation from horizontal, degrees, of a line through s towards the point (cos phi, sin phi)
 * / q (phi in degrees, q in inverse half-diagonals, 0: parallel at phi). */
static double pred_hdev(const seg *s, double phi, double q)
{
    double pr = phi * M_PI / 180;
    return angdiff(atan2(sin(pr) - q * s->y, cos(pr) - q * s->x) * 180 / M_PI, 0);
}

static double recede_score(const seg *segs, size_t nseg, double phi, double q, double sig)
{
    double v = 0;
    for (size_t k = 0; k < nseg; k++) {
        if (segs[k].vertical != 0) continue;
        double d = (segs[k].dev - pred_hdev(&segs[k], phi, q)) / sig;
        if (fabs(d) < 2) {
            double t = 1 - d * d / 4;
            v += segs[k].len * t * t;
        }
    }
    return v;
}

/*
 * Lines that recede in depth (a pier's planks, a table's edge, rails seen at an angle) look nearly
 * level but fan out towards a vanishing point on the horizon, near the picture: parallel and level
 * they are not, and read as one family they give the angle of the fan. The best such point is
 * searched (its direction from the centre within 30 degrees of the horizontal, within eight
 * half-diagonals); when it explains the near-level lines clearly better than any one angle does
 * and its lines fan over a degree or more, those lines are set aside (vertical = -1) and the
 * others decide. Returns how many were set aside.
 */
static int set_aside_receding(seg *segs, size_t nseg, double max_deg)
{
    double bv = -1, bp = 0, bq = 0, par = 0;
    for (double t = -max_deg - RECEDE_DEG; t <= max_deg + RECEDE_DEG + 1e-9; t += 0.05) {
        double v = recede_score(segs, nseg, t, 0, 0.3);
        if (v > par) par = v;
    }
    if (par <= 0) return 0;
    for (double q = -1; q <= 1 + 1e-9; q += 0.0125) {
        if (fabs(q) < 0.12) continue;
        for (double phi = -30; phi <= 30 + 1e-9; phi += 0.5) {
            double v = recede_score(segs, nseg, phi, q, 0.6);
            if (v > bv) {
                bv = v;
                bp = phi;
                bq = q;
            }
        }
    }
    double fp = bp, fq = bq;
    bv = -1;
    for (double q = fq - 0.0125; q <= fq + 0.0125 + 1e-9; q += 0.001)
        for (double phi = fp - 0.5; phi <= fp + 0.5 + 1e-9; phi += 0.05) {
            double v = recede_score(segs, nseg, phi, q, 0.3);
            if (v > bv) {
                bv = v;
                bp = phi;
                bq = q;
            }
        }
    if (bv < 1.3 * par) return 0;
    /* Collinear pieces of one line (a horizon broken by trees) fit any point on that line: the
     * set aside lines must really fan out, their angles spread by 0.75 degree or more. */
    double sw = 0, sd = 0, sdd = 0;
    int n = 0;
    for (size_t k = 0; k < nseg; k++)
        if (segs[k].vertical == 0 && fabs(segs[k].dev - pred_hdev(&segs[k], bp, bq)) <= 0.6) {
            n++;
            sw += segs[k].len;
            sd += segs[k].len * segs[k].dev;
            sdd += segs[k].len * segs[k].dev * segs[k].dev;
        }
    if (n < 3 || sdd / sw - (sd / sw) * (sd / sw) < 0.75 * 0.75) return 0;
    for (size_t k = 0; k < nseg; k++)
        if (segs[k].vertical == 0 && fabs(segs[k].dev - pred_hdev(&segs[k], bp, bq)) <= 0.6)
            segs[k].vertical = -1;
    return n;
}

/*
 * The readings, weighed by agreement. Each cue reads the roll from different evidence: the
 * segments (least squares over each line's pixels: the most precise where lines are level or
 * vertical), the vanishing points (lines of every direction: converging verticals, receding
 * walls), the horizon test (a boundary between two regions, no line needed), and the dense edge
 * field's level edges and verticals. Two candidates may decide:
 *   - the segments, at their own confidence (which already counts the dense cue's agreement),
 *     plus AGREE_BONUS when the horizon test reads the same within AGREE_DEG;
 *   - the vanishing points, when the verticals' point and the horizon through the horizontal
 *     points agree within VP_AGREE_DEG (a Manhattan scene read twice over), at VP_OWN plus
 *     AGREE_BONUS for every other cue that agrees (segments, horizon test, dense cues).
 *   - the horizon test alone, at HZ_OWN, when its line is a sky line: a clear boundary (score
 *     at least HZ_MIN_SCORE) under an all but textureless region (the mean texture above it at
 *     most HZ_MAX_SKY: open sky, fog or a storm's cloud, not trees, a shore or a room). Both
 *     thresholds were fitted on one half of the labelled photos and scored on the other, both
 *     ways round (bench/RESULTS.md, straighten session 11): a sunset's sloping ridge under a
 *     sky of texture 0.009 is the nearest wrong line, so the bound is tight.
 * The more confident decides, and its value is the estimate (not a mean: the cues differ in
 * precision); on a tie the segments. The vanishing points do not decide alone, and the
 * verticals' point does not vote for the segments: on the labelled set (bench/RESULTS.md,
 * session 10) each of those, fitted on one half of the photos, rotated more photos wrongly on
 * the other half (untilted ones among them) and found no more tilts. When no cue gives a
 * reading there is no estimate, not a tilt of 0.
 */
#define AGREE_DEG 0.35
#define AGREE_BONUS 0.3
#define VP_AGREE_DEG 0.3
#define VP_OWN 0.5
#define HZ_OWN 0.7
#define HZ_MIN_SCORE 20.0
#define HZ_MAX_SKY 0.008

enum { CUE_SEG, CUE_VPV, CUE_VPH, CUE_HORIZON, CUE_DENSE_LEVEL, CUE_DENSE_VERT, CUE_N };

/* The cues in `voters` (bit k: cue k) that read v within AGREE_DEG. */
static unsigned agreeing(const double *val, const int *ok, unsigned voters, double v)
{
    unsigned a = 0;
    for (int k = 0; k < CUE_N; k++)
        if (ok[k] && (voters >> k & 1) && fabs(val[k] - v) <= AGREE_DEG) a |= 1u << k;
    return a;
}

static int popcount(unsigned m)
{
    int n = 0;
    for (; m; m &= m - 1) n++;
    return n;
}

static int decide(pol__tilt_info *info, int longer, double *deg, double *confidence)
{
    double val[CUE_N] = {0};
    int ok[CUE_N] = {0};
    if (info->seg_ok) {
        ok[CUE_SEG] = 1;
        val[CUE_SEG] = info->seg_deg;
    }
    if (info->vp_ok && info->vp.v_ok) {
        ok[CUE_VPV] = 1;
        val[CUE_VPV] = info->vp.v_deg;
    }
    if (info->vp_ok && info->vp.h_ok) {
        ok[CUE_VPH] = 1;
        val[CUE_VPH] = info->vp.h_deg;
    }
    if (info->horizon_ok) {
        ok[CUE_HORIZON] = 1;
        val[CUE_HORIZON] = info->horizon.deg;
    }
    if (info->dense_ok) {
        const pol__tilt_dense *d = &info->dense;
        int conv = d->v_peak > 1.15 * d->v_par_peak;
        if (d->h_prom >= 1.2) {
            ok[CUE_DENSE_LEVEL] = 1;
            val[CUE_DENSE_LEVEL] = d->h_deg;
        }
        if ((conv ? d->v_prom : d->v_par_prom) >= 1.5) {
            ok[CUE_DENSE_VERT] = 1;
            val[CUE_DENSE_VERT] = conv ? d->v_deg : d->v_par_deg;
        }
    }
    int best = 0;
    double est = 0, conf = -1;
    unsigned agree = 0;
    if (ok[CUE_SEG]) {
        unsigned a = agreeing(val, ok, 1u << CUE_HORIZON, val[CUE_SEG]);
        best = 1;
        est = val[CUE_SEG];
        conf = fmin(1, info->seg_final + AGREE_BONUS * popcount(a));
        agree = a;
    }
    if (ok[CUE_VPV] && ok[CUE_VPH] && fabs(val[CUE_VPV] - val[CUE_VPH]) <= VP_AGREE_DEG) {
        double v = 0.5 * (val[CUE_VPV] + val[CUE_VPH]);
        unsigned a = agreeing(val, ok,
                              1u << CUE_SEG | 1u << CUE_HORIZON | 1u << CUE_DENSE_LEVEL |
                                  1u << CUE_DENSE_VERT,
                              v);
        double c = fmin(1, VP_OWN + AGREE_BONUS * popcount(a));
        if (c > conf) {
            best = 2;
            est = v;
            conf = c;
            agree = a | 1u << CUE_VPV | 1u << CUE_VPH;
        }
    }
    if (ok[CUE_HORIZON] && info->horizon.score >= HZ_MIN_SCORE && info->horizon.sky <= HZ_MAX_SKY &&
        HZ_OWN > conf) {
        best = 3;
        est = val[CUE_HORIZON];
        conf = HZ_OWN;
        agree = agreeing(val, ok,
                         1u << CUE_SEG | 1u << CUE_DENSE_LEVEL | 1u << CUE_DENSE_VERT |
                             1u << CUE_VPV | 1u << CUE_VPH,
                         est) |
                1u << CUE_HORIZON;
    }
    info->decided_by = best;
    info->agreeing_cues = agree;
    if (!best) return 0;
    /* Below ~500 pixels a handful of short edges decides; such thumbnails are not trusted. */
    conf *= pol__clampf((float)(longer - 256) / 256.0f, 0, 1);
    *deg = est;
    *confidence = conf;
    return 1;
}

int pol__tilt_estimate(const pol_run *run, const pol__image *im, double max_deg, double *deg,
                       double *confidence)
{
    pol__tilt_info info;
    return pol__tilt_estimate_info(run, im, max_deg, deg, confidence, &info);
}

int pol__tilt_estimate_info(const pol_run *run, const pol__image *im, double max_deg, double *deg,
                            double *confidence, pol__tilt_info *info)
{
    return pol__tilt_estimate_persp(run, im, max_deg, 0, deg, confidence, info);
}

int pol__tilt_estimate_persp(const pol_run *run, const pol__image *im, double max_deg,
                             int perspective, double *deg, double *confidence, pol__tilt_info *info)
{
    memset(info, 0, sizeof *info);
    (void)run;
    *deg = 0;
    *confidence = 0;
    int w, h;
    float *g = grey_small(im, &w, &h);
    if (!g) return 0;
    info->dense_ok = pol__tilt_dense_measure(g, w, h, max_deg, &info->dense);
    info->horizon_ok = pol__tilt_horizon(im, max_deg, &info->horizon);
    size_t n = (size_t)w * h;
    float *mag = w >= 32 && h >= 32 ? malloc(n * sizeof(float)) : NULL;
    float *dir = mag ? malloc(n * sizeof(float)) : NULL;   /* edge direction, degrees [0,180) */
    int *stack = dir ? malloc(n * sizeof(int)) : NULL;
    unsigned char *used = stack ? calloc(n, 1) : NULL;
    size_t cap = 256, nseg = 0;
    seg *segs = used ? malloc(cap * sizeof(seg)) : NULL;
    if (!segs) {
        free(g);
        free(mag);
        free(dir);
        free(stack);
        free(used);
        return 0;
    }
    /* Gradients of a 3x3-smoothed copy, so the direction is not pixel-grid noise. */
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) {
            size_t i = (size_t)y * w + x;
            mag[i] = 0;
            dir[i] = 0;
            if (y < 2 || x < 2 || y >= h - 2 || x >= w - 2) continue;
            const float *p = g + i;
            float gx = (p[1 - w] + 2 * p[1] + p[1 + w]) - (p[-1 - w] + 2 * p[-1] + p[-1 + w]);
            float gy = (p[w - 1] + 2 * p[w] + p[w + 1]) - (p[-w - 1] + 2 * p[-w] + p[-w + 1]);
            mag[i] = sqrtf(gx * gx + gy * gy);
            /* Edge direction in a y-up frame: a horizontal line rising to the right is positive. */
            double a = atan2(gy, gx) * 180 / M_PI + 90;
            a = fmod(a + 360, 180);
            dir[i] = (float)a;
        }
    free(g);
    /* A Sobel response of 0.1 is a step of ~2.5% of full scale: below that, noise and compression
     * artefacts dominate the direction. */
    const float thr = 0.1f;
    /* Near-level lines are collected RECEDE_DEG further than the largest tilt, to see whether
     * they fan out (set_aside_receding); only those within max_deg vote. */
    const double range = max_deg + RECEDE_DEG + SEG_TOL_DEG;
    double min_len = (w > h ? w : h) * 0.03;
    if (min_len < 16) min_len = 16;
    /* Seeds strongest first (bucketed by magnitude), as a line-segment detector does: a region
     * grown from the crisp middle of an edge follows it better than one grown from a faint end. */
    enum { NBK = 256 };
    float mmax = 0;
    size_t nseed = 0;
    for (size_t i = 0; i < n; i++)
        if (mag[i] > mmax) mmax = mag[i];
    size_t *bstart = calloc(NBK + 1, sizeof(size_t));
    int *order = NULL;
    if (bstart) {
        for (size_t i = 0; i < n; i++)
            if (mag[i] >= thr) bstart[NBK - 1 - (int)(mag[i] / (mmax + 1e-9f) * (NBK - 1))]++;
        size_t acc = 0;
        for (int b = 0; b <= NBK; b++) {
            size_t c = b < NBK ? bstart[b] : 0;
            bstart[b] = acc;
            acc += c;
        }
        nseed = acc;
        order = malloc((nseed ? nseed : 1) * sizeof(int));
        if (order) {
            for (size_t i = 0; i < n; i++)
                if (mag[i] >= thr) order[bstart[NBK - 1 - (int)(mag[i] / (mmax + 1e-9f) * (NBK - 1))]++] = (int)i;
        } else {
            nseed = 0;
        }
    }
    free(bstart);
    size_t lcap = 256, nline = 0;
    pol__tilt_line *lines = malloc(lcap * sizeof *lines);
    double hd = hypot(w, h) / 2;
    for (int pass = 0; pass < 2; pass++)
    for (size_t si = 0; si < nseed; si++) {
        size_t s0 = (size_t)order[si];
        if (used[s0]) continue;
        double a0 = dir[s0];
        double dh = angdiff(a0, 0), dv = angdiff(a0, 90);
        /* lines of every direction are grown for the vanishing points (tilt_vp.c); the near-axis
         * ones first, as before, so that the segments of the two families are the same */
        if (pass == 0 && fabs(dh) > range && fabs(dv) > range - RECEDE_DEG) continue;
        if (pass == 1 && !(fabs(dh) > range && fabs(dv) > range - RECEDE_DEG)) continue;
        /* Grow a region of pixels whose direction stays within the tolerance of the region's
         * running mean direction (averaged on doubled angles, which wrap at 180 degrees). */
        size_t sp = 0, cnt = 0;
        double sw = 0, sx = 0, sy = 0, sxx = 0, syy = 0, sxy = 0;
        double dc = cos(2 * a0 * M_PI / 180), ds = sin(2 * a0 * M_PI / 180), amean = a0;
        stack[sp++] = (int)s0;
        used[s0] = 1;
        while (sp) {
            int i = stack[--sp];
            int x = i % w, y = i / w;
            double wt = mag[i];
            sw += wt;
            sx += wt * x;
            sy += wt * y;
            sxx += wt * x * x;
            syy += wt * y * y;
            sxy += wt * x * y;
            cnt++;
            if (cnt > 1) {
                dc += cos(2 * dir[i] * M_PI / 180);
                ds += sin(2 * dir[i] * M_PI / 180);
                amean = atan2(ds, dc) * 90 / M_PI;
            }
            for (int dy = -1; dy <= 1; dy++)
                for (int dx = -1; dx <= 1; dx++) {
                    int xx = x + dx, yy = y + dy;
                    if ((!dx && !dy) || xx < 0 || yy < 0 || xx >= w || yy >= h) continue;
                    size_t j = (size_t)yy * w + xx;
                    if (used[j] || mag[j] < thr) continue;
                    if (fabs(angdiff(dir[j], amean)) > SEG_TOL_DEG) continue;
                    used[j] = 1;
                    stack[sp++] = (int)j;
                }
        }
        if (cnt < 10) continue;
        /* Principal axis of the region (weighted by gradient magnitude). */
        double mx = sx / sw, my = sy / sw;
        double cxx = sxx / sw - mx * mx, cyy = syy / sw - my * my, cxy = sxy / sw - mx * my;
        double tr = cxx + cyy, det = cxx * cyy - cxy * cxy;
        double disc = sqrt(fmax(tr * tr / 4 - det, 0));
        double l1 = tr / 2 + disc, l2 = tr / 2 - disc;
        double len = sqrt(12 * fmax(l1, 0)), wid = sqrt(12 * fmax(l2, 0));
        if (len < min_len || len < 8 * (wid + 1)) continue;
        /* Axis angle in the y-up frame (the image's y grows downwards). */
        double ang = atan2(-(l1 - cxx), cxy) * 180 / M_PI;
        if (fabs(cxy) < 1e-12) ang = cxx >= cyy ? 0 : 90;
        ang = fmod(ang + 360, 180);
        if (lines && nline == lcap) {
            pol__tilt_line *nl = realloc(lines, lcap * 2 * sizeof *lines);
            if (nl) {
                lines = nl;
                lcap *= 2;
            }
        }
        if (lines && nline < lcap) {
            double ar = ang * M_PI / 180;
            lines[nline++] = (pol__tilt_line){(mx - (w - 1) / 2.0) / hd, ((h - 1) / 2.0 - my) / hd,
                                              ang, cos(ar), sin(ar), len / hd};
        }
        if (pass == 1) continue;
        double ddh = angdiff(ang, 0), ddv = angdiff(ang, 90);
        int vert = fabs(ddv) < fabs(ddh);
        double dev = vert ? ddv : ddh;
        if (fabs(dev) > max_deg + (vert ? 0 : RECEDE_DEG)) continue;
        if (nseg == cap) {
            seg *ns = realloc(segs, cap * 2 * sizeof(seg));
            if (!ns) break;
            segs = ns;
            cap *= 2;
        }
        segs[nseg++] = (seg){dev, len, vert, (mx - (w - 1) / 2.0) / hd, ((h - 1) / 2.0 - my) / hd};
    }
    free(order);
    free(mag);
    free(dir);
    free(stack);
    free(used);
    if (lines) info->vp_ok = pol__tilt_vp(lines, nline, max_deg, &info->vp);
    free(lines);
    int longer = w > h ? w : h;
    if (nseg < 2) {
        free(segs);
        return decide(info, longer, deg, confidence);
    }
    /* Each family (near-horizontal, near-vertical) gets its own mode: the length-weighted
     * deviations under a 0.3 degree Gaussian kernel, searched every 0.02 degree, then refined as
     * the mean of the segments within 0.6 degree of it. */
    int receding = set_aside_receding(segs, nseg, max_deg);
    for (size_t k = 0; k < nseg; k++)
        if (segs[k].vertical == 0 && fabs(segs[k].dev) > max_deg) segs[k].vertical = -1;
    double mode[2] = {0, 0}, support[2] = {0, 0}, total[2] = {0, 0};
    int members[2] = {0, 0};
    double spread[2] = {0, 0}; /* length-weighted deviation of the cluster around its mean */
    double extrap = 1;          /* a vanishing point's roll is extrapolated to the centre: the
                                 * standard error grows by sqrt(1 + mean(x)^2 / var(x)) */
    double longest[2] = {0, 0}; /* the longest agreeing segment */
    double conv = 0;            /* the verticals' vanishing point, inverse distance (0: parallel) */
    int skip_conv = 0;
    for (int fam = 0; fam < 2; fam++) {
        double best = 0, bestv = 0, q = 0;
        for (size_t k = 0; k < nseg; k++)
            if (segs[k].vertical == fam) total[fam] += segs[k].len;
        if (total[fam] <= 0) continue;
        for (double t = -max_deg; t <= max_deg + 1e-9; t += 0.02) {
            double v = 0;
            for (size_t k = 0; k < nseg; k++) {
                if (segs[k].vertical != fam) continue;
                double d = (segs[k].dev - t) / 0.3;
                if (fabs(d) < 4) v += segs[k].len * exp(-0.5 * d * d);
            }
            if (v > bestv) {
                bestv = v;
                best = t;
            }
        }
        /* Verticals converge when the camera is pitched (looking up at a building): they meet at
         * a vanishing point on the picture's vertical axis, turned by the roll. The model is a
         * roll and a vanishing point; it replaces the parallel one only when clearly better
         * (its one more parameter fits chance alignments too). */
        if (fam == 1 && perspective && !skip_conv) {
            double cr, cq, cv = converging_fit(segs, nseg, max_deg, &cr, &cq);
            if (cv > 1.2 * bestv && fabs(cq) > 0.005) {
                best = cr;
                q = cq;
            }
        }
        double sw = 0, sd = 0, sx = 0, sxx = 0;
        for (size_t k = 0; k < nseg; k++) {
            if (segs[k].vertical != fam) continue;
            double res = segs[k].dev - pred_dev(&segs[k], best, q);
            if (fabs(res) <= 0.6) {
                double wk = segs[k].len * segs[k].len;
                sd += wk * res;
                sw += wk;
                sx += wk * segs[k].x;
                sxx += wk * segs[k].x * segs[k].x;
                support[fam] += segs[k].len;
                members[fam]++;
                if (segs[k].len > longest[fam]) longest[fam] = segs[k].len;
            }
        }
        mode[fam] = best + (sw > 0 ? sd / sw : 0);
        /* A vanishing point needs agreeing lines on both sides of the picture and more of them
         * than two; otherwise the parallel reading stands. */
        if (q != 0 && (members[fam] < 4 || sw <= 0 || sxx / sw - (sx / sw) * (sx / sw) < 0.15 * 0.15)) {
            q = 0;
            fam--; /* redo this family as parallel */
            support[1] = 0;
            members[1] = 0;
            longest[1] = 0;
            total[1] = 0;
            skip_conv = 1;
            continue;
        }
        double sv = 0;
        for (size_t k = 0; k < nseg; k++) {
            if (segs[k].vertical != fam) continue;
            double res0 = segs[k].dev - pred_dev(&segs[k], best, q);
            if (fabs(res0) <= 0.6) {
                double res = segs[k].dev - pred_dev(&segs[k], mode[fam], q);
                sv += segs[k].len * segs[k].len * res * res;
            }
        }
        spread[fam] = sw > 0 ? sqrt(sv / sw) : 1;
        if (fam == 1) conv = q;
        if (q != 0) {
            double m = sx / sw, v = sxx / sw - m * m;
            extrap = sqrt(1 + m * m / v);
        }
    }
    /* Horizontal edges recede in perspective unless they are at eye level, while verticals stay
     * vertical when the camera is not pitched: verticals decide whenever there are some (a tenth
     * of the diagonal agreeing); otherwise the horizon does. When both agree, both are used. */
    double diag = hypot(w, h);
    int fam = support[1] >= 0.1 * diag ? 1 : 0;
    if (support[fam] <= 0 && support[1 - fam] > 0) fam = 1 - fam;
    double est = mode[fam], sup = support[fam], tot = total[fam];
    int mem = members[fam];
    double spr = spread[fam], lng = longest[fam];
    if (support[0] > 0 && support[1] > 0 && fabs(mode[0] - mode[1]) <= 0.5) {
        est = (mode[0] * support[0] + mode[1] * support[1]) / (support[0] + support[1]);
        sup = support[0] + support[1];
        tot = total[0] + total[1];
        mem = members[0] + members[1];
        spr = fmax(spread[0], spread[1]);
        lng = fmax(longest[0], longest[1]);
    }
    /* Evidence: the agreeing lines' share of all near-axis lines of the family (foliage and
     * clutter give many disagreeing ones), their total length (a quarter of the diagonal is
     * plenty), that they are several independent segments or one long line (a horizon across
     * half the frame), and how precisely they fix the angle: the standard error of their mean,
     * spread / sqrt(segments) (a pier's twenty planks spread 0.3 degree each but agree on their
     * mean within 0.07; two chance alignments 0.2 apart fix nothing). */
    double share = sup / (tot + 1e-9);
    /* a vanishing point is one more parameter fitted: one segment fewer counts as evidence */
    int used_conv = conv != 0 && fam != 0;
    int dof = used_conv ? 2 : 1;
    double se = spr / sqrt((double)(mem > dof ? mem - dof + 1 : 1)) * (used_conv ? extrap : 1);
    double conf = pol__clampf((float)((share - 0.45) / 0.3), 0, 1) *
                  pol__clampf((float)(sup / (0.25 * diag)), 0, 1) *
                  pol__clampf((float)fmax((mem - dof) / 1.5, lng / (0.45 * diag)), 0, 1) *
                  pol__clampf((float)((0.2 - se) / 0.1), 0, 1);
    info->seg_deg = est;
    info->seg_conf = conf;
    /* no segment agreeing with the mode: est is the search's starting value, not a reading */
    info->seg_ok = sup > 0;
    /* A second, independent reading: the dense field of edge directions (tilt_dense.c), which
     * does not need a segment to stay straight and crisp. When its level edges (a clear peak,
     * 1.2 times the mean) or its verticals (at their vanishing point when that explains them
     * 1.15 times better than parallel lines; a peak of 1.5) agree with the segments within 0.4
     * degree, the confidence rises by 0.3; the estimate stays the segments' (a least-squares fit
     * over each line's pixels is the more precise: averaged with the dense reading, camera.png's
     * tilts came back up to 0.25 degree off instead of 0.08, at the same benchmark figures).
     * Alone the dense reading decides nothing: on the benchmark set (bench/RESULTS.md, session 9)
     * its peaks on texture and receding lines are as high as on horizons. */
    if (info->dense_ok) {
        const pol__tilt_dense *d = &info->dense;
        int conv = d->v_peak > 1.15 * d->v_par_peak;
        double v = conv ? d->v_deg : d->v_par_deg, vp = conv ? d->v_prom : d->v_par_prom;
        if (d->h_prom >= 1.2 && fabs(d->h_deg - est) <= 0.4)
            info->dense_agrees = 1;
        else if (vp >= 1.5 && fabs(v - est) <= 0.4)
            info->dense_agrees = 2;
        if (info->dense_agrees) conf = fmin(1, conf + 0.3);
    }
    info->seg_final = conf;
    info->share = share;
    info->support = sup / (0.25 * diag);
    info->members = mem;
    info->spread = spr;
    info->family = (support[0] > 0 && support[1] > 0 && fabs(mode[0] - mode[1]) <= 0.5) ? 2 : fam;
    info->segments = (int)nseg;
    info->receding = receding;
    info->vanishing = used_conv ? 1 / conv / 2 : 0;
    free(segs);
    return decide(info, longer, deg, confidence);
}
