/* polish — tilt from the dense field of edge orientations (structure tensor), at two scales. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "image/quality.h"

/*
 * Segments need an edge that stays straight and crisp for dozens of pixels; a sea line behind
 * grass, a horizon in fog or the trunks of a forest give none, yet their edges, taken pixel by
 * pixel, lean the same way. Here every pixel votes: the gradient's structure tensor (Gaussian
 * derivatives of scale 1, averaged over a Gaussian window of 2 pixels) gives a direction and a
 * coherence; the vote is the anisotropic energy sqrt(l1 - l2) times the coherence squared, so
 * texture (grass, gravel, foliage: incoherent) votes little and an edge much. Both the working
 * copy and its half vote, so soft edges (fog) count too.
 *
 * Near-level directions go into a histogram of their deviation from the horizontal (0.05 degree
 * bins). Near-vertical ones are voted into vanishing points: a pitched camera makes verticals
 * converge, the one through the centre keeping the roll, so each vertical votes for the roll r
 * that a vanishing point of inverse distance q (in half-diagonals, above the centre when
 * positive) would give it, r = dev - atan(q x / (1 - q y)), on a grid of q; the best (r, q) wins.
 * Prominence is the peak of the smoothed histogram over its mean across +-max_deg.
 */

#define BIN 0.05
#define KER 0.3 /* Gaussian kernel of the modes, degrees */

/* Separable convolution: kx along the rows, then ky down the columns (radius r, edges
 * repeated). in and out may be the same buffer; tmp may not. */
static void conv_sep(const float *in, float *out, float *tmp, int w, int h, const float *kx,
                     const float *ky, int r)
{
    for (int y = 0; y < h; y++) {
        const float *row = in + (size_t)y * w;
        float *o = tmp + (size_t)y * w;
        for (int x = 0; x < w; x++) {
            float a = 0;
            if (x >= r && x < w - r)
                for (int i = -r; i <= r; i++) a += kx[i + r] * row[x + i];
            else
                for (int i = -r; i <= r; i++) {
                    int xx = x + i < 0 ? 0 : x + i >= w ? w - 1 : x + i;
                    a += kx[i + r] * row[xx];
                }
            o[x] = a;
        }
    }
    for (int y = 0; y < h; y++) {
        float *o = out + (size_t)y * w;
        for (int x = 0; x < w; x++) o[x] = 0;
        for (int i = -r; i <= r; i++) {
            int yy = y + i < 0 ? 0 : y + i >= h ? h - 1 : y + i;
            const float *t = tmp + (size_t)yy * w;
            float k = ky[i + r];
            for (int x = 0; x < w; x++) o[x] += k * t[x];
        }
    }
}

/* Sampled Gaussian of sigma (sum 1) and its derivative (sum of i * k[i] = 1), radius 3 sigma.
 * The derivative is taken from the sampled Gaussian's derivative, not by central differences
 * of a blurred copy: a difference of neighbours answers sin(w) to a frequency w, which leans
 * every direction away from the axes (about 11% of the angle at sigma 1), so a rotated photo
 * would read tilted by more than it is. */
static int gauss_kernels(double sigma, float *g, float *dg)
{
    int r = (int)ceil(3 * sigma);
    if (r > 15) r = 15;
    double s = 0, sd = 0;
    for (int i = -r; i <= r; i++) {
        double v = exp(-0.5 * i * i / (sigma * sigma));
        g[i + r] = (float)v;
        s += v;
        sd += (double)i * i * v;
    }
    for (int i = -r; i <= r; i++) {
        double v = g[i + r];
        g[i + r] = (float)(v / s);
        dg[i + r] = (float)(i * v / sd);
    }
    return r;
}

typedef struct vvote {
    float dev, w, x, y;
} vvote;

typedef struct dense_acc {
    double *hist; /* near-level deviations */
    int nb;
    double max_deg;
    vvote *vv;
    size_t nv, cap;
} dense_acc;

static void add_bin(double *hist, int nb, double max_deg, double dev, double wt)
{
    double p = (dev + max_deg) / BIN;
    int i = (int)floor(p);
    double f = p - i;
    if (i >= 0 && i < nb) hist[i] += wt * (1 - f);
    if (i + 1 >= 0 && i + 1 < nb) hist[i + 1] += wt * f;
}

/* One scale: g is w x h; its pixels' coordinates are scaled by `s` to the working copy's. */
static int vote_scale(const float *g, int w, int h, int s, double hd, double cw, double ch,
                      dense_acc *acc)
{
    size_t n = (size_t)w * h;
    float *buf = calloc(n * 5, sizeof(float));
    if (!buf) return 0;
    float *tmp = buf, *gx = buf + n, *gy = buf + 2 * n, *jyy = buf + 3 * n, *jxy = buf + 4 * n;
    float *jxx = gx; /* overwritten in place */
    float k1[32], d1[32], k2[32], d2k[32];
    int r1 = gauss_kernels(1.0, k1, d1), r2 = gauss_kernels(2.0, k2, d2k);
    conv_sep(g, gx, tmp, w, h, d1, k1, r1);
    conv_sep(g, gy, tmp, w, h, k1, d1, r1);
    for (size_t i = 0; i < n; i++) {
        float a = gx[i], b = gy[i];
        jyy[i] = b * b;
        jxy[i] = a * b;
        jxx[i] = a * a;
    }
    conv_sep(jxx, jxx, tmp, w, h, k2, k2, r2);
    conv_sep(jyy, jyy, tmp, w, h, k2, k2, r2);
    conv_sep(jxy, jxy, tmp, w, h, k2, k2, r2);
    int b = 10; /* the windows' reach: the frame's own edge never votes */
    double vr = acc->max_deg + 6;
    for (int y = b; y < h - b; y++)
        for (int x = b; x < w - b; x++) {
            size_t i = (size_t)y * w + x;
            double a = jxx[i], c = jyy[i], d2 = jxy[i];
            double tr = a + c;
            if (tr <= 1e-12) continue;
            double d = sqrt((a - c) * (a - c) + 4 * d2 * d2);
            double coh = d / tr, wt = sqrt(d) * coh * coh;
            if (wt < 1e-4) continue;
            /* gradient direction (image y down); the edge is across it; y up for the angle */
            double th = 0.5 * atan2(2 * d2, a - c) * 180 / M_PI;
            double e = fmod(-th + 90 + 360, 180); /* edge direction, degrees, y up */
            double dh = e >= 90 ? e - 180 : e;
            if (fabs(dh) <= acc->max_deg) {
                add_bin(acc->hist, acc->nb, acc->max_deg, dh, wt);
                continue;
            }
            double dv = e - 90;
            if (fabs(dv) > vr || wt < 0.004) continue;
            /* the vanishing-point search costs per vote: at full scale every other pixel (the
             * structure tensor is smooth over its 2-pixel window), counted twice */
            if (s == 1) {
                if ((x + y) & 1) continue;
                wt *= 2;
            }
            if (acc->nv == acc->cap) {
                size_t nc = acc->cap ? acc->cap * 2 : 4096;
                vvote *nvv = realloc(acc->vv, nc * sizeof(vvote));
                if (!nvv) {
                    free(buf);
                    return 0;
                }
                acc->vv = nvv;
                acc->cap = nc;
            }
            acc->vv[acc->nv++] = (vvote){(float)dv, (float)wt, (float)(((x + 0.5) * s - 0.5 - cw) / hd),
                                         (float)((ch - ((y + 0.5) * s - 0.5)) / hd)};
        }
    free(buf);
    return 1;
}

/* Smoothed histogram's peak (interpolated) and its prominence (peak over mean). */
static double hist_peak(const double *hist, int nb, double max_deg, double *prom, double *peakv)
{
    enum { R = (int)(4 * KER / BIN + 0.999) };
    double k[2 * R + 1];
    for (int j = -R; j <= R; j++) k[j + R] = exp(-0.5 * (j * BIN / KER) * (j * BIN / KER));
    double mean = 0, best = -1, prev = 0, next = 0;
    int bi = 0;
    double *sm = calloc((size_t)nb, sizeof(double));
    if (!sm) return 0;
    for (int i = 0; i < nb; i++) {
        double a = 0;
        int j0 = i - R < 0 ? -i : -R, j1 = i + R >= nb ? nb - 1 - i : R;
        for (int j = j0; j <= j1; j++) a += hist[i + j] * k[j + R];
        sm[i] = a;
        mean += a;
        if (a > best) {
            best = a;
            bi = i;
        }
    }
    mean /= nb;
    double off = 0;
    if (bi > 0 && bi < nb - 1) {
        prev = sm[bi - 1];
        next = sm[bi + 1];
        double den = prev - 2 * sm[bi] + next;
        if (den < 0) off = 0.5 * (prev - next) / den;
    }
    *prom = mean > 0 ? sm[bi] / mean : 0;
    *peakv = sm[bi];
    free(sm);
    return (bi + off) * BIN - max_deg;
}

/* The verticals' histogram of roll for a vanishing point of inverse distance q (|q| < 1, so
 * 1 - q y stays positive inside the picture). */
static void roll_hist(const dense_acc *acc, double q, double *hist, int nb)
{
    memset(hist, 0, (size_t)nb * sizeof(double));
    const float qf = (float)q, md = (float)acc->max_deg, k = (float)(180 / M_PI);
    for (size_t i = 0; i < acc->nv; i++) {
        const vvote *v = &acc->vv[i];
        float r = v->dev;
        if (qf != 0) r -= atanf(qf * v->x / (1 - qf * v->y)) * k;
        if (fabsf(r) <= md) add_bin(hist, nb, acc->max_deg, r, v->w);
    }
}

int pol__tilt_dense_measure(const float *g, int w, int h, double max_deg, pol__tilt_dense *out)
{
    memset(out, 0, sizeof *out);
    if (w < 64 || h < 64) return 0;
    dense_acc acc = {0};
    acc.max_deg = max_deg;
    acc.nb = (int)floor(2 * max_deg / BIN) + 1;
    acc.hist = calloc((size_t)acc.nb, sizeof(double));
    double *vh = calloc((size_t)acc.nb, sizeof(double));
    int w2 = w / 2, h2 = h / 2;
    float *half = malloc((size_t)w2 * h2 * sizeof(float));
    int ok = acc.hist && vh && half;
    double hd = hypot(w, h) / 2, cw = (w - 1) / 2.0, chh = (h - 1) / 2.0;
    if (ok) ok = vote_scale(g, w, h, 1, hd, cw, chh, &acc);
    if (ok) {
        for (int y = 0; y < h2; y++)
            for (int x = 0; x < w2; x++) {
                const float *p = g + (size_t)(2 * y) * w + 2 * x;
                half[(size_t)y * w2 + x] = 0.25f * (p[0] + p[1] + p[w] + p[w + 1]);
            }
        ok = vote_scale(half, w2, h2, 2, hd, cw, chh, &acc);
    }
    if (ok) {
        double pv;
        out->h_deg = hist_peak(acc.hist, acc.nb, max_deg, &out->h_prom, &pv);
        /* parallel verticals, then vanishing points on a coarse grid of q and a fine one */
        roll_hist(&acc, 0, vh, acc.nb);
        out->v_par_deg = hist_peak(vh, acc.nb, max_deg, &out->v_par_prom, &out->v_par_peak);
        double bq = 0, bv = out->v_par_peak, br = out->v_par_deg, bp = out->v_par_prom;
        for (int pass = 0; pass < 2; pass++) {
            double q0 = pass ? bq - 0.025 : -0.5, step = pass ? 0.0025 : 0.025;
            int nq = pass ? 21 : 41;
            for (int k = 0; k < nq; k++) {
                double q = q0 + k * step, prom, peak;
                if (fabs(q) < 1e-9) continue;
                roll_hist(&acc, q, vh, acc.nb);
                double r = hist_peak(vh, acc.nb, max_deg, &prom, &peak);
                if (peak > bv) {
                    bv = peak;
                    bq = q;
                    br = r;
                    bp = prom;
                }
            }
        }
        out->v_deg = br;
        out->v_q = bq;
        out->v_prom = bp;
        out->v_peak = bv;
        out->votes_v = (int)acc.nv;
    }
    free(acc.hist);
    free(acc.vv);
    free(vh);
    free(half);
    return ok;
}
