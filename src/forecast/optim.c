/* polish — forecast: BFGS with a Wolfe line search, least squares, the EMOS fit, Lorenz-96. */
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "forecast/stats.h"

#define NMAX 32

static double dot(const double *a, const double *b, size_t n)
{
    double s = 0;
    for (size_t i = 0; i < n; i++) s += a[i] * b[i];
    return s;
}

typedef struct ls_ctx {
    fc_objective f;
    void *user;
    size_t n;
    const double *x0, *p;
    double xt[NMAX], gt[NMAX];
    int evals;
} ls_ctx;

/* phi(alpha) = f(x0 + alpha p), with phi'(alpha) = g . p; xt/gt hold the last point. */
static double phi(ls_ctx *c, double alpha, double *dphi)
{
    for (size_t i = 0; i < c->n; i++) c->xt[i] = c->x0[i] + alpha * c->p[i];
    double v = c->f(c->xt, c->gt, c->n, c->user);
    c->evals++;
    *dphi = dot(c->gt, c->p, c->n);
    if (!isfinite(v) || !isfinite(*dphi)) return INFINITY;
    return v;
}

/* Cubic/bisection step in [lo, hi] from the two end values; bisection when the cubic fails. */
static double interp(double a, double fa, double da, double b, double fb, double db)
{
    double d1 = da + db - 3 * (fa - fb) / (a - b);
    double r = d1 * d1 - da * db;
    if (r >= 0 && isfinite(fa) && isfinite(fb)) {
        double d2 = copysign(sqrt(r), b - a);
        double t = b - (b - a) * (db + d2 - d1) / (db - da + 2 * d2);
        double lo = fmin(a, b), hi = fmax(a, b), w = hi - lo;
        if (t > lo + 0.1 * w && t < hi - 0.1 * w) return t;
    }
    return 0.5 * (a + b);
}

/* Strong Wolfe line search (Nocedal & Wright, algorithms 3.5 and 3.6). Returns the step or 0. */
static double wolfe(ls_ctx *c, double f0, double d0, double *fout)
{
    const double c1 = 1e-4, c2 = 0.9;
    double a_prev = 0, f_prev = f0, d_prev = d0, a = 1;
    for (int it = 0; it < 40; it++) {
        double da, fa = phi(c, a, &da);
        if (!isfinite(fa)) { /* left the domain: shrink */
            a = 0.5 * (a_prev + a);
            continue;
        }
        double lo, flo, dlo, hi, fhi, dhi;
        if (fa > f0 + c1 * a * d0 || (it > 0 && fa >= f_prev)) {
            lo = a_prev, flo = f_prev, dlo = d_prev, hi = a, fhi = fa, dhi = da;
        } else if (fabs(da) <= -c2 * d0) {
            *fout = fa;
            return a;
        } else if (da >= 0) {
            lo = a, flo = fa, dlo = da, hi = a_prev, fhi = f_prev, dhi = d_prev;
        } else {
            a_prev = a, f_prev = fa, d_prev = da;
            a *= 2;
            continue;
        }
        for (int z = 0; z < 20; z++) { /* zoom */
            double aj = interp(lo, flo, dlo, hi, fhi, dhi);
            double dj, fj = phi(c, aj, &dj);
            if (!isfinite(fj) || fj > f0 + c1 * aj * d0 || fj >= flo) {
                hi = aj, fhi = isfinite(fj) ? fj : INFINITY, dhi = isfinite(fj) ? dj : 0;
            } else {
                if (fabs(dj) <= -c2 * d0) {
                    *fout = fj;
                    return aj;
                }
                if (dj * (hi - lo) >= 0) hi = lo, fhi = flo, dhi = dlo;
                lo = aj, flo = fj, dlo = dj;
            }
            if (fabs(hi - lo) < 1e-14 * fmax(1, fabs(lo)) ||
                fabs(fhi - flo) <= 1e-15 * (fabs(flo) + 1e-300))
                break;
        }
        if (flo < f0 && lo > 0) { /* sufficient decrease without curvature: take it */
            phi(c, lo, &dlo);
            *fout = flo;
            return lo;
        }
        return 0;
    }
    return 0;
}

fc_min_result fc_bfgs(fc_objective f, double *x, size_t n, void *user, int max_iter, double gtol)
{
    fc_min_result r = {0};
    if (n == 0 || n > NMAX) return r;
    double H[NMAX * NMAX], g[NMAX], p[NMAX], s[NMAX], yv[NMAX], Hy[NMAX];
    memset(H, 0, sizeof H);
    for (size_t i = 0; i < n; i++) H[i * n + i] = 1;
    double fx = f(x, g, n, user);
    r.evaluations = 1;
    int scaled = 0;
    ls_ctx c = {.f = f, .user = user, .n = n, .x0 = x, .p = p};
    for (r.iterations = 0; r.iterations < max_iter; r.iterations++) {
        double gn = sqrt(dot(g, g, n));
        if (!isfinite(fx) || gn <= gtol) break;
        for (size_t i = 0; i < n; i++) p[i] = -dot(&H[i * n], g, n);
        double d0 = dot(g, p, n);
        if (!(d0 < 0)) { /* not a descent direction: restart from steepest descent */
            memset(H, 0, sizeof H);
            for (size_t i = 0; i < n; i++) H[i * n + i] = 1, p[i] = -g[i];
            d0 = -gn * gn;
            scaled = 0;
        }
        double fnew;
        double a = wolfe(&c, fx, d0, &fnew);
        if (a == 0) break;
        for (size_t i = 0; i < n; i++) {
            s[i] = a * p[i];
            yv[i] = c.gt[i] - g[i];
        }
        double sy = dot(s, yv, n);
        double df = fx - fnew;
        memcpy(x, c.xt, n * sizeof *x);
        memcpy(g, c.gt, n * sizeof *g);
        fx = fnew;
        /* no relative progress beyond rounding (as R's reltol): done */
        if (df <= 1e-13 * (fabs(fx) + 1e-13)) break;
        if (sy <= 1e-12 * sqrt(dot(s, s, n) * dot(yv, yv, n))) continue;
        if (!scaled) { /* scale the first inverse Hessian (N&W 6.20) */
            double k = sy / dot(yv, yv, n);
            for (size_t i = 0; i < n * n; i++) H[i] *= k;
            scaled = 1;
        }
        for (size_t i = 0; i < n; i++) Hy[i] = dot(&H[i * n], yv, n);
        double yHy = dot(yv, Hy, n), rho = 1 / sy;
        for (size_t i = 0; i < n; i++)
            for (size_t j = 0; j < n; j++)
                H[i * n + j] += rho * ((1 + rho * yHy) * s[i] * s[j] - Hy[i] * s[j] - s[i] * Hy[j]);
    }
    r.evaluations += c.evals;
    r.f = fx;
    r.gnorm = sqrt(dot(g, g, n));
    r.converged = isfinite(fx) && r.gnorm <= fmax(gtol, 1e-6 * (1 + fabs(fx)));
    return r;
}

/* ---- least squares (normal equations with Cholesky; the designs here are small) ------------- */

int fc_ols(const double *X, const double *y, size_t n, size_t k, double *beta, double *resid_sd)
{
    if (k == 0 || k > NMAX || n < k) return -1;
    double A[NMAX * NMAX] = {0}, b[NMAX] = {0};
    for (size_t r = 0; r < n; r++) {
        const double *x = &X[r * k];
        for (size_t i = 0; i < k; i++) {
            b[i] += x[i] * y[r];
            for (size_t j = 0; j <= i; j++) A[i * k + j] += x[i] * x[j];
        }
    }
    /* Cholesky A = L L^T in place (lower triangle) */
    for (size_t j = 0; j < k; j++) {
        double dsum = A[j * k + j];
        for (size_t m = 0; m < j; m++) dsum -= A[j * k + m] * A[j * k + m];
        if (!(dsum > 1e-12 * (fabs(A[j * k + j]) + 1e-300))) return -1;
        double l = sqrt(dsum);
        A[j * k + j] = l;
        for (size_t i = j + 1; i < k; i++) {
            double v = A[i * k + j];
            for (size_t m = 0; m < j; m++) v -= A[i * k + m] * A[j * k + m];
            A[i * k + j] = v / l;
        }
    }
    double z[NMAX];
    for (size_t i = 0; i < k; i++) {
        double v = b[i];
        for (size_t m = 0; m < i; m++) v -= A[i * k + m] * z[m];
        z[i] = v / A[i * k + i];
    }
    for (size_t i = k; i-- > 0;) {
        double v = z[i];
        for (size_t m = i + 1; m < k; m++) v -= A[m * k + i] * beta[m];
        beta[i] = v / A[i * k + i];
    }
    if (resid_sd) {
        double ss = 0;
        for (size_t r = 0; r < n; r++) {
            double e = y[r] - dot(&X[r * k], beta, k);
            ss += e * e;
        }
        *resid_sd = n > k ? sqrt(ss / (double)(n - k)) : 0;
    }
    return 0;
}

/* ---- EMOS --------------------------------------------------------------------------------- */

size_t fc_emos_nparam(const fc_emos *m)
{
    return 3 + m->n_pred + (m->use_sd ? 1 : 0);
}

static void unpack(const fc_emos *m, const double *t, double *a, double *b, const double **beta,
                   double *c, double *d)
{
    *a = t[0];
    *b = t[1];
    *beta = t + 2;
    *c = t[2 + m->n_pred];
    *d = m->use_sd ? t[3 + m->n_pred] : 0;
}

double fc_lsd(double sd)
{
    return log(sd > 1e-9 ? sd : 1e-9);
}

/* The objective; `ls` (may be NULL) holds log(sd) of each sample, computed once per fit. */
static double objective(const fc_emos *m, const fc_sample *s, const double *ls, size_t n,
                        const double *theta, double *grad)
{
    double a, b, c, d;
    const double *beta;
    unpack(m, theta, &a, &b, &beta, &c, &d);
    size_t np = fc_emos_nparam(m);
    double G[NMAX] = {0};
    double total = 0;
    for (size_t i = 0; i < n; i++) {
        double mu = a + b * s[i].mean;
        for (size_t k = 0; k < m->n_pred; k++) mu += beta[k] * s[i].pred[k];
        double l = m->use_sd ? (ls ? ls[i] : fc_lsd(s[i].sd)) : 0;
        double sc = exp(c + d * l);
        double y = s[i].y;
        if (m->dist != FC_GAUSS && y < 0) y = 0;
        double dmu, dsc;
        double v = m->mle ? fc_nll(m->dist, mu, sc, y, &dmu, &dsc)
                          : fc_crps(m->dist, mu, sc, y, &dmu, &dsc);
        total += v;
        G[0] += dmu;
        G[1] += dmu * s[i].mean;
        for (size_t k = 0; k < m->n_pred; k++) G[2 + k] += dmu * s[i].pred[k];
        G[2 + m->n_pred] += dsc * sc;
        if (m->use_sd) G[3 + m->n_pred] += dsc * sc * l;
    }
    double inv = 1.0 / (double)n;
    if (grad)
        for (size_t k = 0; k < np; k++) grad[k] = G[k] * inv;
    return total * inv;
}

double fc_emos_objective(const fc_emos *m, const fc_sample *s, size_t n, const double *theta,
                         double *grad)
{
    return objective(m, s, NULL, n, theta, grad);
}

typedef struct emos_ctx {
    const fc_emos *m;
    const fc_sample *s;
    const double *ls;
    size_t n;
} emos_ctx;

static double emos_f(const double *x, double *g, size_t n, void *user)
{
    (void)n;
    emos_ctx *c = user;
    return objective(c->m, c->s, c->ls, c->n, x, g);
}

int fc_emos_fit(fc_emos *m, fc_dist dist, int mle, const fc_sample *s, size_t n, size_t n_pred)
{
    memset(m, 0, sizeof *m);
    m->dist = dist;
    m->mle = mle;
    m->n_pred = n_pred > FC_MAX_PRED ? FC_MAX_PRED : n_pred;
    for (size_t i = 0; i < n; i++)
        if (s[i].sd > 0) m->use_sd = 1;
    size_t np = fc_emos_nparam(m);
    if (n < np + 2) return -1;
    /* start: least squares for the mean, the residual spread for the scale */
    size_t k = 2 + m->n_pred;
    double *X = malloc(n * k * sizeof *X), *y = malloc(n * sizeof *y);
    if (!X || !y) {
        free(X);
        free(y);
        return -1;
    }
    for (size_t i = 0; i < n; i++) {
        X[i * k] = 1;
        X[i * k + 1] = s[i].mean;
        for (size_t j = 0; j < m->n_pred; j++) X[i * k + 2 + j] = s[i].pred[j];
        y[i] = s[i].y;
    }
    double theta[NMAX] = {0}, rsd = 1;
    if (fc_ols(X, y, n, k, theta, &rsd)) {
        /* collinear (constant forecasts): the climatological mean */
        double mean = 0;
        for (size_t i = 0; i < n; i++) mean += y[i];
        memset(theta, 0, sizeof theta);
        theta[0] = mean / (double)n;
        double v = 0;
        for (size_t i = 0; i < n; i++) v += (y[i] - theta[0]) * (y[i] - theta[0]);
        rsd = sqrt(v / (double)n);
    }
    free(X);
    free(y);
    if (!(rsd > 0)) rsd = 1e-3;
    if (dist == FC_CLOGIS) rsd *= sqrt(3.0) / M_PI;
    theta[2 + m->n_pred] = log(rsd);
    double *ls = m->use_sd ? malloc(n * sizeof *ls) : NULL;
    for (size_t i = 0; ls && i < n; i++) ls[i] = fc_lsd(s[i].sd);
    emos_ctx c = {m, s, ls, n};
    fc_min_result r = fc_bfgs(emos_f, theta, np, &c, 500, 1e-10);
    free(ls);
    unpack(m, theta, &m->a, &m->b, &(const double *){NULL}, &m->c, &m->d);
    for (size_t j = 0; j < m->n_pred; j++) m->beta[j] = theta[2 + j];
    m->score = r.f;
    m->n = n;
    m->iterations = r.iterations;
    m->converged = r.converged;
    return isfinite(r.f) ? 0 : -1;
}

void fc_emos_predict(const fc_emos *m, const fc_sample *s, double *loc, double *scale)
{
    double mu = m->a + m->b * s->mean;
    for (size_t k = 0; k < m->n_pred; k++) mu += m->beta[k] * s->pred[k];
    *loc = mu;
    *scale = exp(m->c + (m->use_sd ? m->d * fc_lsd(s->sd) : 0));
}

/* ---- Lorenz-96 ---------------------------------------------------------------------------- */

static void l96_rhs(const double *x, size_t K, double F, double *dx)
{
    for (size_t k = 0; k < K; k++) {
        double xp1 = x[(k + 1) % K], xm1 = x[(k + K - 1) % K], xm2 = x[(k + K - 2) % K];
        dx[k] = (xp1 - xm2) * xm1 - x[k] + F;
    }
}

void fc_l96_step(double *x, size_t K, double F, double dt, double *w)
{
    double *k1 = w, *k2 = w + K, *k3 = w + 2 * K, *k4 = w + 3 * K;
    double tmp[256];
    double *t = K <= 256 ? tmp : NULL;
    if (!t) return;
    l96_rhs(x, K, F, k1);
    for (size_t k = 0; k < K; k++) t[k] = x[k] + 0.5 * dt * k1[k];
    l96_rhs(t, K, F, k2);
    for (size_t k = 0; k < K; k++) t[k] = x[k] + 0.5 * dt * k2[k];
    l96_rhs(t, K, F, k3);
    for (size_t k = 0; k < K; k++) t[k] = x[k] + dt * k3[k];
    l96_rhs(t, K, F, k4);
    for (size_t k = 0; k < K; k++) x[k] += dt / 6 * (k1[k] + 2 * k2[k] + 2 * k3[k] + k4[k]);
}
