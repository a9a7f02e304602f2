/* polish — the light's colour from several cues (gray world, shades of gray, gray-edge of orders
 * 1 and 2, white patch, bright-and-dark PCA, gray pixels), for fitting their combination on labelled
 * photos that the benchmark does not score (bench/image/wbfit.py). A bench tool's code, linked into
 * quality_score only. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "wb_cues.h"

/* Pixels the cues trust: not clipped (the true colour is lost) and not near black (the
 * chromaticity is mostly noise). */
static int trusted(const float *p)
{
    return p[0] < 0.95f && p[1] < 0.95f && p[2] < 0.95f && p[0] > 0.004f && p[1] > 0.004f &&
           p[2] > 0.004f;
}

static int to_uv(const double c[3], double out[2])
{
    if (!(c[0] > 0 && c[1] > 0 && c[2] > 0)) return 0;
    out[0] = log(c[0] / c[1]);
    out[1] = log(c[2] / c[1]);
    return 1;
}

static int cmp_float(const void *a, const void *b)
{
    float x = *(const float *)a, y = *(const float *)b;
    return x < y ? -1 : x > y;
}

/* The value below which a share `q` of the n values lies (the values are reordered). */
static float quantile(float *v, size_t n, double q)
{
    if (n == 0) return 0;
    qsort(v, n, sizeof *v, cmp_float);
    size_t k = (size_t)(q * (double)(n - 1));
    return v[k];
}

/* Colour derivatives of a lightly blurred copy (3x3 binomial), Sobel for order 1 and the
 * 4-neighbour Laplacian for order 2, accumulated as Minkowski norms. */
static void gray_edge(const pol__qsmall *s, const float *b, const unsigned char *ok, double n1[3],
                      double n2[3], double n6[3], double l2[3])
{
    int w = s->w, h = s->h;
    for (int k = 0; k < 3; k++) n1[k] = n2[k] = n6[k] = l2[k] = 0;
    ptrdiff_t W = (ptrdiff_t)w * 3;
    for (int y = 1; y < h - 1; y++)
        for (int x = 1; x < w - 1; x++) {
            size_t i = (size_t)y * w + x;
            if (!ok[i] || !ok[i - 1] || !ok[i + 1] || !ok[i - w] || !ok[i + w]) continue;
            for (int k = 0; k < 3; k++) {
                const float *p = b + i * 3 + k;
                double gx = (p[3 - W] + 2 * p[3] + p[3 + W]) - (p[-3 - W] + 2 * p[-3] + p[-3 + W]);
                double gy = (p[W - 3] + 2 * p[W] + p[W + 3]) - (p[-W - 3] + 2 * p[-W] + p[-W + 3]);
                double g2 = (gx * gx + gy * gy) / 64;
                double lap = p[3] + p[-3] + p[W] + p[-W] - 4 * p[0];
                n1[k] += sqrt(g2);
                n2[k] += g2;
                n6[k] += g2 * g2 * g2;
                l2[k] += lap * lap;
            }
        }
}

/* Cheng, Prasad and Brown (2014): the pixels at both ends of the colour distribution along its
 * mean direction (the darkest and brightest 3.5%) span a line through black whose direction is the
 * light; it is the first principal component of those pixels, taken about the origin. */
static int pca_light(const pol__qsmall *s, const unsigned char *ok, double out[3])
{
    size_t n = (size_t)s->w * s->h, m = 0;
    double mean[3] = {0, 0, 0};
    for (size_t i = 0; i < n; i++)
        if (ok[i]) {
            for (int k = 0; k < 3; k++) mean[k] += s->rgb[i * 3 + k];
            m++;
        }
    if (m < 64) return 0;
    double ml = sqrt(mean[0] * mean[0] + mean[1] * mean[1] + mean[2] * mean[2]);
    if (ml <= 0) return 0;
    for (int k = 0; k < 3; k++) mean[k] /= ml;
    float *d = malloc(m * sizeof *d), *dd = malloc(m * sizeof *dd);
    if (!d || !dd) {
        free(d);
        free(dd);
        return 0;
    }
    size_t j = 0;
    for (size_t i = 0; i < n; i++)
        if (ok[i]) {
            const float *p = s->rgb + i * 3;
            d[j++] = (float)(p[0] * mean[0] + p[1] * mean[1] + p[2] * mean[2]);
        }
    memcpy(dd, d, m * sizeof *d);
    float lo = quantile(dd, m, 0.035), hi = quantile(dd, m, 0.965);
    free(dd);
    double c[3][3] = {{0}};
    j = 0;
    long used = 0;
    for (size_t i = 0; i < n; i++) {
        if (!ok[i]) continue;
        float t = d[j++];
        if (t > lo && t < hi) continue;
        const float *p = s->rgb + i * 3;
        double l = sqrt((double)p[0] * p[0] + (double)p[1] * p[1] + (double)p[2] * p[2]);
        if (l <= 0) continue;
        double q[3] = {p[0] / l, p[1] / l, p[2] / l};
        for (int a = 0; a < 3; a++)
            for (int bb = 0; bb < 3; bb++) c[a][bb] += q[a] * q[bb];
        used++;
    }
    free(d);
    if (used < 16) return 0;
    /* Power iteration from the mean direction: the scatter matrix is positive semi-definite. */
    double v[3] = {mean[0], mean[1], mean[2]};
    for (int it = 0; it < 60; it++) {
        double nv[3];
        for (int a = 0; a < 3; a++) nv[a] = c[a][0] * v[0] + c[a][1] * v[1] + c[a][2] * v[2];
        double l = sqrt(nv[0] * nv[0] + nv[1] * nv[1] + nv[2] * nv[2]);
        if (l <= 0) return 0;
        for (int a = 0; a < 3; a++) v[a] = nv[a] / l;
    }
    for (int k = 0; k < 3; k++) out[k] = fabs(v[k]);
    return 1;
}

/* Gray pixels (after Yang, Gao and Li 2015): where the local contrasts of log R, log G and log B
 * are equal, the surface is grey (or the contrast is shading alone); the mean colour of the
 * grayest 1% of pixels with some contrast. */
static int gray_pixels(const pol__qsmall *s, const unsigned char *ok, double out[3])
{
    int w = s->w, h = s->h;
    size_t n = (size_t)w * h;
    float *gi = malloc(n * sizeof *gi), *tmp = malloc(n * sizeof *tmp);
    if (!gi || !tmp) {
        free(gi);
        free(tmp);
        return 0;
    }
    size_t m = 0;
    for (int y = 1; y < h - 1; y++)
        for (int x = 1; x < w - 1; x++) {
            size_t i = (size_t)y * w + x;
            gi[i] = -1;
            if (!ok[i] || !ok[i - 1] || !ok[i + 1] || !ok[i - w] || !ok[i + w]) continue;
            double c[3], mc = 0;
            for (int k = 0; k < 3; k++) {
                const float *p = s->rgb + i * 3 + k;
                double l0 = log(p[0]);
                c[k] = fabs(log(p[3]) + log(p[-3]) + log(p[(ptrdiff_t)w * 3]) +
                            log(p[-(ptrdiff_t)w * 3]) - 4 * l0);
                mc += c[k] / 3;
            }
            if (mc < 0.02) continue;
            double sd = sqrt(((c[0] - mc) * (c[0] - mc) + (c[1] - mc) * (c[1] - mc) +
                              (c[2] - mc) * (c[2] - mc)) / 3);
            gi[i] = (float)(sd / mc);
            tmp[m++] = gi[i];
        }
    for (int x = 0; x < w; x++) gi[x] = gi[(size_t)(h - 1) * w + x] = -1;
    for (int y = 0; y < h; y++) gi[(size_t)y * w] = gi[(size_t)y * w + w - 1] = -1;
    if (m < 64) {
        free(gi);
        free(tmp);
        return 0;
    }
    float thr = quantile(tmp, m, 0.01);
    free(tmp);
    double acc[3] = {0, 0, 0};
    long k = 0;
    for (size_t i = 0; i < n; i++) {
        if (gi[i] < 0 || gi[i] > thr) continue;
        const float *p = s->rgb + i * 3;
        double y = pol__luma(p);
        for (int c = 0; c < 3; c++) acc[c] += p[c] / y;
        k++;
    }
    free(gi);
    if (k < 4) return 0;
    for (int c = 0; c < 3; c++) out[c] = acc[c];
    return 1;
}

const char *const pol__wb_cue_names[POL_WB_NCUES] = {
    "gray_world", "shades_of_gray_p4", "gray_edge_p1", "gray_edge_p2", "gray_edge_p6",
    "gray_edge2_p2", "white_patch", "pca_ends", "gray_pixels",
};

int pol__wb_cues(const pol__qsmall *s, double cue[POL_WB_NCUES][2])
{
    memset(cue, 0, sizeof(double) * 2 * POL_WB_NCUES);
    int w = s->w, h = s->h;
    if (w < 8 || h < 8) return 0;
    size_t n = (size_t)w * h;
    float *b = malloc(n * 3 * sizeof(float));
    unsigned char *ok = malloc(n);
    float *br = malloc(n * sizeof(float));
    if (!b || !ok || !br) {
        free(b);
        free(ok);
        free(br);
        return 0;
    }
    double gw[3] = {0, 0, 0}, sg[3] = {0, 0, 0};
    size_t m = 0;
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) {
            int x0 = x > 0 ? x - 1 : x, x1 = x < w - 1 ? x + 1 : x;
            int y0 = y > 0 ? y - 1 : y, y1 = y < h - 1 ? y + 1 : y;
            const float *r0 = s->rgb + (size_t)y0 * w * 3, *r1 = s->rgb + (size_t)y * w * 3,
                        *r2 = s->rgb + (size_t)y1 * w * 3;
            size_t i = (size_t)y * w + x;
            for (int k = 0; k < 3; k++) {
                float v = r0[x0 * 3 + k] + 2 * r0[x * 3 + k] + r0[x1 * 3 + k] +
                          2 * (r1[x0 * 3 + k] + 2 * r1[x * 3 + k] + r1[x1 * 3 + k]) +
                          r2[x0 * 3 + k] + 2 * r2[x * 3 + k] + r2[x1 * 3 + k];
                b[i * 3 + k] = v / 16;
            }
            ok[i] = (unsigned char)(s->use[i] && trusted(s->rgb + i * 3));
            if (!ok[i]) continue;
            const float *p = s->rgb + i * 3;
            for (int k = 0; k < 3; k++) {
                gw[k] += p[k];
                double q = (double)p[k] * p[k];
                sg[k] += q * q;
            }
            br[m++] = p[0] + p[1] + p[2];
        }
    int got = 0;
    if (m >= 64) {
        double n1[3], n2[3], n6[3], l2[3];
        gray_edge(s, b, ok, n1, n2, n6, l2);
        for (int k = 0; k < 3; k++) {
            sg[k] = pow(sg[k], 0.25);
            n2[k] = sqrt(n2[k]);
            n6[k] = pow(n6[k], 1.0 / 6);
            l2[k] = sqrt(l2[k]);
        }
        float thr = quantile(br, m, 0.99);
        double wp[3] = {0, 0, 0};
        for (size_t i = 0; i < n; i++) {
            const float *p = s->rgb + i * 3;
            if (ok[i] && p[0] + p[1] + p[2] >= thr)
                for (int k = 0; k < 3; k++) wp[k] += p[k];
        }
        double pca[3] = {1, 1, 1}, gp[3] = {1, 1, 1};
        int have_pca = pca_light(s, ok, pca), have_gp = gray_pixels(s, ok, gp);
        got = to_uv(gw, cue[POL_WB_C_GW]) && to_uv(sg, cue[POL_WB_C_SOG]) &&
              to_uv(n1, cue[POL_WB_C_GE1]) && to_uv(n2, cue[POL_WB_C_GE2]) &&
              to_uv(n6, cue[POL_WB_C_GE6]) && to_uv(l2, cue[POL_WB_C_GE2O]) &&
              to_uv(wp, cue[POL_WB_C_WP]);
        /* Cues that found nothing to go on fall back to gray world. */
        if (!have_pca || !to_uv(pca, cue[POL_WB_C_PCA]))
            memcpy(cue[POL_WB_C_PCA], cue[POL_WB_C_GW], sizeof cue[0]);
        if (!have_gp || !to_uv(gp, cue[POL_WB_C_GP]))
            memcpy(cue[POL_WB_C_GP], cue[POL_WB_C_GW], sizeof cue[0]);
    }
    free(b);
    free(ok);
    free(br);
    return got;
}
