/* polish — tilt from a horizon or water line: a long straight boundary between two colour regions. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "image/quality.h"

/*
 * A sea, a lake, a plain or fog meet the sky along a boundary that is level, yet often too soft,
 * too broken (grass in front) or too faint for the line segments or the dense edge field to
 * trust. Here the boundary is found as what it is: a line across the picture along which the
 * colour changes the same way everywhere (sky above, water below). Three steps on a colour copy
 * of at most HZ_DIM pixels (luminance and two opponent channels):
 *   1. every tilted line (angle step 0.2 degree, every row) sums the signed vertical colour
 *      change of the pixels it crosses; texture (grass, waves, foliage) changes sign and cancels,
 *      a boundary between two regions adds up. The strongest few (angle, row) are candidates;
 *   2. for each candidate, every column finds the boundary near the line (the sharpest change in
 *      the candidate's colour direction within a few pixels, to a fraction of a pixel) and a
 *      robust straight line is fitted through those points, so grass that hides part of the sea
 *      line and a wave crest do not bend it;
 *   3. the fit gives the angle, its standard error, how much of the width it covers, and the two
 *      sides' colour contrast and texture (a sky or calm water is smooth on at least one side);
 *   4. of the refined lines that score at least HZ_UPPER_SHARE of the best, the uppermost is the
 *      horizon: the first boundary under the sky, not a sharper rail, shore or pier edge below.
 */

#define HZ_DIM 640
#define HZ_STEP 0.2 /* degrees, the coarse search */
#define HZ_CAND POL_HZ_CAND
#define HZ_UPPER_SHARE 0.4 /* bench/RESULTS.md, session 11 */

typedef struct cand {
    double deg, r, score;
} cand;

/* 3x3 box, twice (approximately Gaussian of sigma 1), on one plane. */
static void blur(float *p, float *tmp, int w, int h)
{
    for (int pass = 0; pass < 2; pass++) {
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++) {
                int x0 = x > 0 ? x - 1 : 0, x1 = x < w - 1 ? x + 1 : w - 1;
                const float *r = p + (size_t)y * w;
                tmp[(size_t)y * w + x] = (r[x0] + r[x] + r[x1]) / 3;
            }
        for (int y = 0; y < h; y++) {
            int y0 = y > 0 ? y - 1 : 0, y1 = y < h - 1 ? y + 1 : h - 1;
            for (int x = 0; x < w; x++)
                p[(size_t)y * w + x] = (tmp[(size_t)y0 * w + x] + tmp[(size_t)y * w + x] +
                                        tmp[(size_t)y1 * w + x]) / 3;
        }
    }
}

/* The row (image y, down) of a line of tilt deg (positive: rising to the right) that crosses the
 * centre column at row r, at column x. */
static inline double line_y(double r, double deg, double x, double cx)
{
    return r - (x - cx) * tan(deg * M_PI / 180);
}

int pol__tilt_horizon(const pol__image *im, double max_deg, pol__tilt_horizon_info *out)
{
    memset(out, 0, sizeof *out);
    int longer = im->width > im->height ? im->width : im->height;
    int f = (longer + HZ_DIM - 1) / HZ_DIM;
    if (f < 1) f = 1;
    int w = im->width / f, h = im->height / f, ch = im->channels;
    if (w < 64 || h < 64) return 0;
    size_t n = (size_t)w * h;
    /* planes: 3 colour, tmp, texture */
    float *buf = calloc(n * 5, sizeof(float));
    if (!buf) return 0;
    float *c[3] = {buf, buf + n, buf + 2 * n}, *tmp = buf + 3 * n, *tex = buf + 4 * n;
    float inv = 1.0f / (float)(f * f);
    for (int y = 0; y < h; y++)
        for (int dy = 0; dy < f; dy++) {
            const float *row = pol__image_row(im, y * f + dy);
            for (int x = 0; x < w; x++) {
                const float *p = row + (size_t)x * f * ch;
                float l = 0, a = 0, b = 0;
                for (int dx = 0; dx < f; dx++, p += ch) {
                    if (ch >= 3) {
                        l += 0.299f * p[0] + 0.587f * p[1] + 0.114f * p[2];
                        a += p[0] - p[1];
                        b += 0.5f * (p[0] + p[1]) - p[2];
                    } else {
                        l += p[0];
                    }
                }
                size_t i = (size_t)y * w + x;
                c[0][i] += l * inv;
                c[1][i] += 0.5f * a * inv;
                c[2][i] += 0.5f * b * inv;
            }
        }
    for (int k = 0; k < 3; k++) blur(c[k], tmp, w, h);
    /* texture: the local mean of the colour gradient's size (5x5) */
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) {
            size_t i = (size_t)y * w + x;
            int xl = x > 0 ? -1 : 0, xr = x < w - 1 ? 1 : 0;
            size_t up = y > 0 ? i - w : i, dn = y < h - 1 ? i + w : i;
            float g = 0;
            for (int k = 0; k < 3; k++) {
                float gx = c[k][i + xr] - c[k][i + xl], gy = c[k][dn] - c[k][up];
                g += gx * gx + gy * gy;
            }
            tex[i] = sqrtf(g);
        }
    blur(tex, tmp, w, h);
    double cx = (w - 1) / 2.0;
    int margin = 4;
    /* 1. coarse search: the signed change down the rows, summed along each tilted line */
    int nang = (int)floor(max_deg / HZ_STEP) * 2 + 1;
    int nr = h;
    double *acc = calloc((size_t)nang * nr * 3, sizeof(double));
    int *cnt = calloc((size_t)nang * nr, sizeof(int));
    if (!acc || !cnt) {
        free(acc);
        free(cnt);
        free(buf);
        return 0;
    }
    for (int ai = 0; ai < nang; ai++) {
        double deg = (ai - nang / 2) * HZ_STEP, t = tan(deg * M_PI / 180);
        double *A = acc + (size_t)ai * nr * 3;
        int *C = cnt + (size_t)ai * nr;
        for (int x = margin; x < w - margin; x += 2) {
            /* the line through centre row r crosses column x at row r - (x - cx) t */
            int off = (int)lround(-(x - cx) * t);
            for (int r = 0; r < nr; r++) {
                int y = r + off;
                if (y < margin || y >= h - margin) continue;
                size_t i = (size_t)y * w + x;
                for (int k = 0; k < 3; k++) A[r * 3 + k] += c[k][i + w] - c[k][i - w];
                C[r]++;
            }
        }
    }
    cand cs[HZ_CAND];
    int nc = 0;
    for (int pick = 0; pick < HZ_CAND; pick++) {
        double best = 0;
        int ba = -1, br = -1;
        for (int ai = 0; ai < nang; ai++)
            for (int r = 0; r < nr; r++) {
                int C = cnt[(size_t)ai * nr + r];
                /* a horizon crosses most of the width */
                if (C < (w - 2 * margin) / 2 * 0.6) continue;
                const double *A = acc + ((size_t)ai * nr + r) * 3;
                double s = sqrt(A[0] * A[0] + A[1] * A[1] + A[2] * A[2]) / C;
                int near = 0;
                for (int k = 0; k < nc; k++)
                    if (fabs(cs[k].r - r) < 0.04 * h) near = 1;
                if (near) continue;
                if (s > best) {
                    best = s;
                    ba = ai;
                    br = r;
                }
            }
        if (ba < 0) break;
        cs[nc++] = (cand){(ba - nang / 2) * HZ_STEP, br, best};
    }
    free(acc);
    free(cnt);
    /* 2-3. each candidate: the boundary column by column, a robust line through it */
    int ncol = w - 2 * margin;
    double *px = malloc((size_t)ncol * sizeof(double)), *py = malloc((size_t)ncol * sizeof(double));
    int found = 0;
    for (int k = 0; k < nc && px && py; k++) {
        /* the candidate's colour direction (its mean change, normalised) */
        double u[3] = {0, 0, 0}, un = 0;
        {
            for (int x = margin; x < w - margin; x += 2) {
                int y = (int)lround(line_y(cs[k].r, cs[k].deg, x, cx));
                if (y < margin || y >= h - margin) continue;
                size_t i = (size_t)y * w + x;
                for (int q = 0; q < 3; q++) u[q] += c[q][i + w] - c[q][i - w];
            }
            un = sqrt(u[0] * u[0] + u[1] * u[1] + u[2] * u[2]);
            if (un <= 0) continue;
            for (int q = 0; q < 3; q++) u[q] /= un;
        }
        int np = 0, win = 5 + (int)ceil(HZ_STEP / 180 * M_PI * w);
        for (int x = margin; x < w - margin; x++) {
            double yp = line_y(cs[k].r, cs[k].deg, x, cx);
            int y0 = (int)floor(yp) - win, y1 = (int)ceil(yp) + win;
            if (y0 < margin + 1 || y1 >= h - margin - 1) continue;
            double bv = -1;
            int by = -1;
            for (int y = y0; y <= y1; y++) {
                size_t i = (size_t)y * w + x;
                double s = 0;
                for (int q = 0; q < 3; q++) s += u[q] * (c[q][i + w] - c[q][i - w]);
                if (s > bv) {
                    bv = s;
                    by = y;
                }
            }
            if (by <= y0 || by >= y1 || bv <= 0) continue;
            /* sub-pixel: a parabola through the peak and its neighbours */
            double sm = 0, sp = 0;
            for (int q = 0; q < 3; q++) {
                size_t i = (size_t)by * w + x;
                sm += u[q] * (c[q][i] - c[q][i - 2 * w]);
                sp += u[q] * (c[q][i + 2 * w] - c[q][i]);
            }
            double den = sm - 2 * bv + sp, off = den < 0 ? 0.5 * (sm - sp) / den : 0;
            px[np] = x;
            py[np] = by + fmax(-0.5, fmin(0.5, off));
            np++;
        }
        if (np < ncol / 4) continue;
        /* robust line: least squares, then points beyond 2.5 robust sigmas dropped, three times */
        double m = 0, b = 0, sig = 1e9;
        int ni = np;
        unsigned char *in = malloc((size_t)np);
        if (!in) break;
        memset(in, 1, (size_t)np);
        for (int it = 0; it < 4; it++) {
            double sw = 0, sx = 0, sy = 0, sxx = 0, sxy = 0;
            for (int i = 0; i < np; i++)
                if (in[i]) {
                    sw++;
                    sx += px[i];
                    sy += py[i];
                    sxx += px[i] * px[i];
                    sxy += px[i] * py[i];
                }
            if (sw < 10) break;
            double vx = sxx - sx * sx / sw;
            if (vx <= 0) break;
            m = (sxy - sx * sy / sw) / vx;
            b = (sy - m * sx) / sw;
            /* robust sigma: the median absolute residual of all points */
            double *res = malloc((size_t)np * sizeof(double));
            if (!res) break;
            for (int i = 0; i < np; i++) res[i] = fabs(py[i] - (m * px[i] + b));
            /* nth element by partial selection (np is a few hundred) */
            int mid = np / 2;
            for (int i = 0; i <= mid; i++)
                for (int j = i + 1; j < np; j++)
                    if (res[j] < res[i]) {
                        double t = res[i];
                        res[i] = res[j];
                        res[j] = t;
                    }
            sig = fmax(0.35, 1.4826 * res[mid]);
            free(res);
            ni = 0;
            for (int i = 0; i < np; i++) {
                in[i] = fabs(py[i] - (m * px[i] + b)) <= 2.5 * sig;
                ni += in[i];
            }
        }
        /* the fit's precision from the inliers' residuals */
        double sw = 0, sx = 0, sxx = 0, rr = 0, xmin = w, xmax = 0;
        int left = 0, right = 0;
        for (int i = 0; i < np; i++)
            if (in[i]) {
                double r = py[i] - (m * px[i] + b);
                sw++;
                sx += px[i];
                sxx += px[i] * px[i];
                rr += r * r;
                if (px[i] < xmin) xmin = px[i];
                if (px[i] > xmax) xmax = px[i];
                if (px[i] < cx) left++; else right++;
            }
        free(in);
        if (sw < 10) continue;
        double rms = sqrt(rr / fmax(sw - 2, 1)), vx = sxx - sx * sx / sw;
        /* neighbouring columns are not independent (the copy is blurred over ~3 pixels) */
        double se_m = rms / sqrt(vx) * sqrt(3.0);
        double deg = -atan(m) * 180 / M_PI;
        if (fabs(deg) > max_deg) continue;
        double cover = sw / ncol;
        /* the two sides: colour contrast and the smoother side's texture (bands 3..15 px) */
        double ma[3] = {0, 0, 0}, mb[3] = {0, 0, 0}, ta = 0, tb = 0;
        int na = 0, nb = 0;
        for (int x = margin; x < w - margin; x += 2) {
            double yl = m * x + b;
            for (int d = 3; d <= 15; d += 2) {
                int ya = (int)lround(yl - d), yb = (int)lround(yl + d);
                if (ya >= 0 && ya < h) {
                    size_t i = (size_t)ya * w + x;
                    for (int q = 0; q < 3; q++) ma[q] += c[q][i];
                    ta += tex[i];
                    na++;
                }
                if (yb >= 0 && yb < h) {
                    size_t i = (size_t)yb * w + x;
                    for (int q = 0; q < 3; q++) mb[q] += c[q][i];
                    tb += tex[i];
                    nb++;
                }
            }
        }
        if (!na || !nb) continue;
        double con = 0;
        for (int q = 0; q < 3; q++) {
            double d = ma[q] / na - mb[q] / nb;
            con += d * d;
        }
        con = sqrt(con);
        double smooth = fmin(ta / na, tb / nb);
        /* the whole region above the line: a sky (or fog) is smooth; above a pier's edge or a
         * guard rail there is more of the scene */
        double tup = 0;
        int nup = 0;
        for (int x = margin; x < w - margin; x += 4) {
            int yl = (int)lround(m * x + b) - 3;
            for (int y = margin; y < yl && y < h; y += 2) {
                tup += tex[(size_t)y * w + x];
                nup++;
            }
        }
        tup = nup ? tup / nup : 1;
        /* score: the contrast over the sky's texture, times the covered width */
        double score = cover * con / (tup + 0.01) / (se_m * 180 / M_PI + 0.05);
        if (out->ncand < HZ_CAND) {
            pol__tilt_horizon_cand *q = &out->cand[out->ncand++];
            q->deg = deg;
            q->se_deg = se_m * 180 / M_PI;
            q->cover = cover;
            q->span = (xmax - xmin) / ncol;
            q->contrast = con;
            q->smooth = smooth;
            q->sky = tup;
            q->rms_px = rms;
            q->row = (b + m * cx) / h;
            q->score = score;
            q->balanced = left >= sw / 5 && right >= sw / 5;
        }
    }
    /* The horizon is the first boundary from the top: of the candidates that score at least
     * HZ_UPPER_SHARE of the best, the uppermost. A guard rail, a shore or a pier's edge can be
     * a sharper boundary than the sky line above it (Storm's rail scores twice its sky line). */
    double best_score = 0;
    for (int k = 0; k < out->ncand; k++)
        if (out->cand[k].score > best_score) best_score = out->cand[k].score;
    int pick = -1;
    for (int k = 0; k < out->ncand; k++)
        if (out->cand[k].score > 0 && out->cand[k].score >= HZ_UPPER_SHARE * best_score &&
            (pick < 0 || out->cand[k].row < out->cand[pick].row))
            pick = k;
    if (pick >= 0) {
        const pol__tilt_horizon_cand *p = &out->cand[pick];
        found = 1;
        out->chosen = pick;
        out->deg = p->deg;
        out->se_deg = p->se_deg;
        out->cover = p->cover;
        out->span = p->span;
        out->contrast = p->contrast;
        out->smooth = p->smooth;
        out->sky = p->sky;
        out->rms_px = p->rms_px;
        out->row = p->row;
        out->score = p->score;
        out->balanced = p->balanced;
    }
    free(px);
    free(py);
    free(buf);
    if (!found) return 0;
    return 1;
}
