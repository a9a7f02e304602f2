/* polish — a camera path along one axis in the manner of the L1-optimal paths of Grundmann, Kwatra
 * and Essa (CVPR 2011) and Google's AutoFlip: the sum of |x'|, |x''| and |x'''| (which favours
 * segments that hold still, pan at a constant rate or ease in and out) plus a penalty on the subject
 * leaving a dead zone around the window's centre, under hard limits on the window's position, speed
 * and acceleration. The L1 terms are smoothed (sqrt(u^2 + eps^2) - eps) and the limits enter as
 * logarithmic barriers, so the problem is smooth and convex; it is solved by Newton's method on the
 * barrier problem, with the barrier weight lowered in stages. Every term depends on at most four
 * consecutive positions, so the Hessian is banded (three off-diagonals) and each Newton step costs
 * O(n). */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "video/video.h"

#define BW 4 /* stored band: the diagonal and three above it */

static const double D1[2] = {-1, 1}, D2[3] = {1, -2, 1}, D3[4] = {-1, 3, -3, 1};

typedef struct cp {
    const pol__vpath_opts *o;
    const double *r, *w;
    size_t n;
    double eps[3];
} cp;

static double diff(const double *x, size_t i, int k)
{
    const double *c = k == 1 ? D1 : k == 2 ? D2 : D3;
    double u = 0;
    for (int a = 0; a <= k; a++) u += c[a] * x[i + (size_t)a];
    return u;
}

/* The subject's penalty: zero inside the dead zone, then a Huber ramp (quadratic for delta px). */
static const double DELTA = 1.0;
static double zone(double d, double s, double *g1, double *g2)
{
    double e = fabs(d) - s, sg = d < 0 ? -1 : 1;
    if (e <= 0) {
        *g1 = *g2 = 0;
        return 0;
    }
    if (e < DELTA) {
        *g1 = sg * e / DELTA;
        *g2 = 1 / DELTA;
        return e * e / (2 * DELTA);
    }
    *g1 = sg;
    *g2 = 0;
    return e - DELTA / 2;
}

static double soft_abs(double u, double eps, double *g1, double *g2)
{
    double q = sqrt(u * u + eps * eps);
    *g1 = u / q;
    *g2 = eps * eps / (q * q * q);
    return q - eps;
}

/* -mu (log(m - u) + log(m + u)); HUGE_VAL outside (-m, m). */
static double barrier(double u, double m, double mu, double *g1, double *g2)
{
    double a = m - u, b = m + u;
    if (a <= 0 || b <= 0) return HUGE_VAL;
    *g1 = mu / a - mu / b;
    *g2 = mu / (a * a) + mu / (b * b);
    return -mu * (log(a) + log(b));
}

/* The barrier problem's objective at x; with g and h non-NULL also its gradient and banded Hessian
 * (h[i * BW + k] = H(i, i + k)). HUGE_VAL when x breaks a limit. */
static double eval(const cp *c, const double *x, double mu, double *g, double *h)
{
    const pol__vpath_opts *o = c->o;
    size_t n = c->n;
    double f = 0, g1, g2;
    if (g) {
        memset(g, 0, n * sizeof *g);
        memset(h, 0, n * BW * sizeof *h);
    }
    double mid = (o->lo + o->hi) / 2, half = (o->hi - o->lo) / 2;
    for (size_t i = 0; i < n; i++) {
        double t = barrier(x[i] - mid, half, mu, &g1, &g2);
        if (t == HUGE_VAL) return HUGE_VAL;
        f += t;
        double d = x[i] - c->r[i], a1, a2, b1, b2;
        f += c->w[i] * (o->keep * zone(d, o->slack_at ? o->slack_at[i] : o->slack, &a1, &a2) + o->centre * soft_abs(d, c->eps[0], &b1, &b2));
        if (g) {
            g[i] += g1 + c->w[i] * (o->keep * a1 + o->centre * b1);
            h[i * BW] += g2 + c->w[i] * (o->keep * a2 + o->centre * b2);
        }
    }
    for (int k = 1; k <= 3; k++) {
        const double *cf = k == 1 ? D1 : k == 2 ? D2 : D3;
        double lam = k == 1 ? o->lam1 : k == 2 ? o->lam2 : o->lam3, lim = k == 1 ? o->vmax : k == 2 ? o->amax : 0;
        for (size_t i = 0; i + (size_t)k < n; i++) {
            double u = diff(x, i, k), d1 = 0, d2 = 0;
            if (lam > 0) {
                f += lam * soft_abs(u, c->eps[k - 1], &g1, &g2);
                d1 += lam * g1;
                d2 += lam * g2;
            }
            if (lim > 0) {
                double t = barrier(u, lim, mu, &g1, &g2);
                if (t == HUGE_VAL) return HUGE_VAL;
                f += t;
                d1 += g1;
                d2 += g2;
            }
            if (!g) continue;
            for (int a = 0; a <= k; a++) {
                g[i + (size_t)a] += d1 * cf[a];
                for (int b = a; b <= k; b++) h[(i + (size_t)a) * BW + (size_t)(b - a)] += d2 * cf[a] * cf[b];
            }
        }
    }
    return f;
}

/* Solves H d = -g in place of g by a banded Cholesky factorisation (h overwritten by L, stored by
 * rows: h[i * BW + k] = L(i, i - k)). 0 when H is not positive definite. */
static int solve(double *h, double *g, size_t n)
{
    /* h holds the upper band; rewrite it as the lower band by rows first */
    for (size_t i = n; i-- > 0;)
        for (size_t k = BW - 1; k >= 1; k--) h[i * BW + k] = i >= k ? h[(i - k) * BW + k] : 0;
    for (size_t i = 0; i < n; i++) {
        size_t j0 = i >= BW - 1 ? i - (BW - 1) : 0;
        for (size_t j = j0; j <= i; j++) {
            double s = h[i * BW + (i - j)];
            for (size_t k = j0; k < j; k++) /* L(j, k) is in the band for every k >= i - 3 */
                s -= h[i * BW + (i - k)] * h[j * BW + (j - k)];
            if (j == i) {
                if (!(s > 0)) return 0;
                h[i * BW] = sqrt(s);
            } else {
                h[i * BW + (i - j)] = s / h[j * BW];
            }
        }
    }
    for (size_t i = 0; i < n; i++) { /* L y = -g */
        double s = -g[i];
        for (size_t k = 1; k < BW && k <= i; k++) s -= h[i * BW + k] * g[i - k];
        g[i] = s / h[i * BW];
    }
    for (size_t i = n; i-- > 0;) { /* L' d = y */
        double s = g[i];
        for (size_t k = 1; k < BW && i + k < n; k++) s -= h[(i + k) * BW + k] * g[i + k];
        g[i] = s / h[i * BW];
    }
    return 1;
}

int pol__video_camera_path(const double *r, const double *w, size_t n, const pol__vpath_opts *o, double *out,
                           int *newton_steps)
{
    if (newton_steps) *newton_steps = 0;
    if (!n) return 1;
    double mid = (o->lo + o->hi) / 2;
    for (size_t i = 0; i < n; i++) out[i] = mid; /* strictly inside every limit */
    if (o->hi - o->lo < 1e-6 || n < 2) {
        if (n == 1) out[0] = fmin(fmax(r[0], o->lo), o->hi);
        return 1;
    }
    double *g = malloc(n * sizeof *g), *d = malloc(n * sizeof *d), *h = malloc(n * BW * sizeof *h),
           *xn = malloc(n * sizeof *xn);
    int ok = g && d && h && xn;
    cp c = {o, r, w, n, {o->eps, o->eps * 0.25, o->eps * 0.1}};
    int steps = 0;
    /* the barrier's weight from about the penalties' own size down by 10 each stage */
    double mu0 = o->keep > 0 ? o->keep : 1;
    for (double mu = mu0; ok && mu >= mu0 * 1e-5; mu *= 0.1) {
        for (int it = 0; it < 60; it++) {
            double f = eval(&c, out, mu, g, h);
            for (size_t i = 0; i < n; i++) d[i] = g[i];
            if (!solve(h, d, n)) break;
            double dec = 0; /* the Newton decrement: -grad . step */
            for (size_t i = 0; i < n; i++) dec -= g[i] * d[i];
            steps++;
            if (dec < 1e-9 * mu0) break;
            /* backtracking: stay inside the limits and lower the objective enough */
            double t = 1, fn = HUGE_VAL;
            for (int ls = 0; ls < 40; ls++, t *= 0.5) {
                for (size_t i = 0; i < n; i++) xn[i] = out[i] + t * d[i];
                fn = eval(&c, xn, mu, NULL, NULL);
                if (fn <= f - 0.25 * t * dec) break;
            }
            if (!(fn < f)) break;
            memcpy(out, xn, n * sizeof *out);
        }
    }
    free(g);
    free(d);
    free(h);
    free(xn);
    if (newton_steps) *newton_steps = steps;
    return ok;
}
