/* polish — forecast: closed-form CRPS and likelihoods of the EMOS distributions with their
 * gradients; quantiles; the ensemble CRPS. */
#include <math.h>
#include <stdlib.h>
#include "forecast/stats.h"

#define INV_SQRT_PI 0.56418958354775628695
#define INV_SQRT_2PI 0.39894228040143267794

double fc_norm_pdf(double z)
{
    return INV_SQRT_2PI * exp(-0.5 * z * z);
}

double fc_norm_cdf(double z)
{
    return 0.5 * erfc(-z * M_SQRT1_2);
}

/* Acklam's rational approximation, then one Halley step on erfc for full precision. */
double fc_norm_quantile(double p)
{
    if (!(p > 0)) return -INFINITY;
    if (!(p < 1)) return INFINITY;
    static const double a[] = {-3.969683028665376e+01, 2.209460984245205e+02,
                               -2.759285104469687e+02, 1.383577518672690e+02,
                               -3.066479806614716e+01, 2.506628277459239e+00};
    static const double b[] = {-5.447609879822406e+01, 1.615858368580409e+02,
                               -1.556989798598866e+02, 6.680131188771972e+01,
                               -1.328068155288572e+01};
    static const double c[] = {-7.784894002430293e-03, -3.223964580411365e-01,
                               -2.400758277161838e+00, -2.549732539343734e+00,
                               4.374664141464968e+00,  2.938163982698783e+00};
    static const double d[] = {7.784695709041462e-03, 3.224671290700398e-01,
                               2.445134137142996e+00, 3.754408661907416e+00};
    double x, q, r;
    if (p < 0.02425) {
        q = sqrt(-2 * log(p));
        x = (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) /
            ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
    } else if (p > 1 - 0.02425) {
        q = sqrt(-2 * log(1 - p));
        x = -(((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) /
            ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
    } else {
        q = p - 0.5;
        r = q * q;
        x = (((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q /
            (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1);
    }
    double e = fc_norm_cdf(x) - p;
    double u = e * sqrt(2 * M_PI) * exp(x * x / 2);
    return x - u / (1 + x * u / 2);
}

static double logistic(double t)
{
    return t >= 0 ? 1 / (1 + exp(-t)) : exp(t) / (1 + exp(t));
}

static double softplus(double t) /* log(1 + e^t) */
{
    return t > 0 ? t + log1p(exp(-t)) : log1p(exp(t));
}

/* ---- CRPS ------------------------------------------------------------------------------------- */

static double crps_gauss(double mu, double s, double y, double *dmu, double *ds)
{
    double z = (y - mu) / s;
    double P = fc_norm_cdf(z), p = fc_norm_pdf(z);
    if (dmu) *dmu = -(2 * P - 1);
    if (ds) *ds = 2 * p - INV_SQRT_PI;
    return s * (z * (2 * P - 1) + 2 * p - INV_SQRT_PI);
}

/* ---- the normal truncated to [0, inf), in a form that stays accurate far into the tail ------- */

/* erfcx(x) = exp(x^2) erfc(x) for x >= 0: erfc times the exponential of x^2 split exactly into
 * two parts below 10, the continued fraction above. */
static double erfcx_pos(double x)
{
    if (x < 10) {
        double xh = (double)(float)x, xl = x - xh; /* x^2 = xh^2 + xl (x + xh), nearly exact */
        return exp(xh * xh) * exp(xl * (x + xh)) * erfc(x);
    }
    /* erfcx(x) = 1/sqrt(pi) * 1/(x + (1/2)/(x + 1/(x + (3/2)/(x + 2/(x + ...))))) */
    double f = x;
    for (int k = 60; k >= 1; k--) f = x + (k / 2.0) / f;
    return INV_SQRT_PI / f;
}

/* Upper tail Q(t) = 1 - Phi(t), its logarithm, and the hazard (inverse Mills ratio)
 * m(t) = phi(t) / Q(t), all without underflow or cancellation for large t. */
static double log_q(double t)
{
    if (t < 0) return log(0.5 * erfc(t * M_SQRT1_2));
    return log(0.5 * erfcx_pos(t * M_SQRT1_2)) - 0.5 * t * t;
}

static double hazard(double t)
{
    if (t < 0) return fc_norm_pdf(t) / (0.5 * erfc(t * M_SQRT1_2));
    return 2 * INV_SQRT_2PI / erfcx_pos(t * M_SQRT1_2);
}

/* h(a) = erfc(a) / erfc(a/sqrt2)^2 (= erfcx(a) / erfcx(a/sqrt2)^2) and its derivative. */
static double h_ratio(double a, double *dh)
{
    double r;
    if (a <= 0) {
        double e1 = erfc(a), e2 = erfc(a * M_SQRT1_2);
        r = e1 / (e2 * e2);
        if (dh)
            *dh = 2 * INV_SQRT_PI * (-exp(-a * a) / (e2 * e2) +
                                     M_SQRT2 * e1 * exp(-0.5 * a * a) / (e2 * e2 * e2));
    } else {
        double x1 = erfcx_pos(a), x2 = erfcx_pos(a * M_SQRT1_2);
        r = x1 / (x2 * x2);
        if (dh) *dh = 2 * INV_SQRT_PI * (-1 / (x2 * x2) + M_SQRT2 * x1 / (x2 * x2 * x2));
    }
    return r;
}

/* T = (phi(z) - z Q(z)) / Q(a) for z >= a (the integral of the truncated survival function from
 * z to infinity), from ratios that neither underflow nor cancel. */
static double tail_int(double z, double a)
{
    if (z <= 0) /* then a <= z <= 0: every term is moderate and positive */
        return (fc_norm_pdf(z) - z * 0.5 * erfc(z * M_SQRT1_2)) / (0.5 * erfc(a * M_SQRT1_2));
    /* phi(z) - z Q(z) = phi(z) (1 - z / m(z)) */
    double g = 1 - z / hazard(z);
    if (a > 0) return hazard(a) * exp(-0.5 * (z - a) * (z + a)) * g;
    return fc_norm_pdf(z) * g / (0.5 * erfc(a * M_SQRT1_2));
}

/* CRPS = s * G(z, a), z = (y-mu)/s, a = -mu/s (the truncation point, standardised):
 * G = z + 2 T(z, a) - (2/sqrt(pi)) h(a). With a -> -inf this is the normal's CRPS. Derivatives:
 * dG/dz = 1 - 2 Q(z)/Q(a), dG/da = 2 T m(a) - (2/sqrt(pi)) h'(a). */
static double crps_truncnorm(double mu, double s, double y, double *dmu, double *ds)
{
    double z = (y - mu) / s, a = -mu / s;
    if (z < a) z = a; /* y below 0 is outside the support: scored at 0 */
    double dh, h = h_ratio(a, &dh);
    double T = tail_int(z, a);
    double G = z + 2 * T - 2 * INV_SQRT_PI * h;
    if (dmu || ds) {
        double R = a > 0 ? exp(log_q(z) - log_q(a)) : 0.5 * erfc(z * M_SQRT1_2) /
                                                         (0.5 * erfc(a * M_SQRT1_2));
        double Gz = 1 - 2 * R;
        double Ga = 2 * T * hazard(a) - 2 * INV_SQRT_PI * dh;
        if (dmu) *dmu = -Gz - Ga;
        if (ds) *ds = G - z * Gz - a * Ga;
    }
    return s * G;
}

/* Logistic left-censored at 0: CRPS = s * [t + 2 softplus(-t) - 1 - softplus(t0) + L(t0)],
 * t = (y-mu)/s, t0 = -mu/s, L the logistic cdf. */
static double crps_clogis(double mu, double s, double y, double *dmu, double *ds)
{
    double t = (y - mu) / s, t0 = -mu / s;
    double L0 = logistic(t0);
    double G = t + 2 * softplus(-t) - 1 - softplus(t0) + L0;
    if (dmu || ds) {
        double Gt = 2 * logistic(t) - 1, G0 = -L0 * L0;
        if (dmu) *dmu = -Gt - G0;
        if (ds) *ds = G - t * Gt - t0 * G0;
    }
    return s * G;
}

double fc_crps(fc_dist d, double loc, double scale, double y, double *dloc, double *dscale)
{
    switch (d) {
    case FC_TRUNCNORM: return crps_truncnorm(loc, scale, y, dloc, dscale);
    case FC_CLOGIS: return crps_clogis(loc, scale, y, dloc, dscale);
    default: return crps_gauss(loc, scale, y, dloc, dscale);
    }
}

/* ---- likelihoods ------------------------------------------------------------------------------ */

double fc_nll(fc_dist d, double mu, double s, double y, double *dmu, double *ds)
{
    double z = (y - mu) / s;
    double f, gz, g0 = 0, w = mu / s;
    switch (d) {
    case FC_TRUNCNORM: {
        /* -log phi(z) + log s + log Phi(w); Phi(w) = Q(-w) and phi(w)/Phi(w) = m(-w) */
        double r = hazard(-w);
        f = 0.5 * z * z + log(s) + log_q(-w) + 0.5 * log(2 * M_PI);
        if (dmu) *dmu = -z / s + r / s;
        if (ds) *ds = 1 / s - z * z / s - r * w / s;
        return f;
    }
    case FC_CLOGIS: {
        if (y <= 0) {
            double t0 = -w; /* P(Y = 0) = L(t0); nll = softplus(-t0) */
            g0 = -logistic(-t0);
            if (dmu) *dmu = g0 * (-1 / s);
            if (ds) *ds = g0 * (-t0 / s);
            return softplus(-t0);
        }
        gz = 2 * logistic(z) - 1;
        if (dmu) *dmu = -gz / s;
        if (ds) *ds = 1 / s - gz * z / s;
        return log(s) + z + 2 * softplus(-z);
    }
    default:
        if (dmu) *dmu = -z / s;
        if (ds) *ds = 1 / s - z * z / s;
        return 0.5 * z * z + log(s) + 0.5 * log(2 * M_PI);
    }
}

double fc_cdf(fc_dist d, double mu, double s, double x)
{
    switch (d) {
    case FC_TRUNCNORM: {
        if (x < 0) return 0;
        double a = -mu / s, z = (x - mu) / s, v;
        if (a > 0) /* 1 - Q(z)/Q(a), the ratio in logs (both tails may underflow) */
            v = -expm1(log_q(z) - log_q(a));
        else
            v = (fc_norm_cdf(z) - fc_norm_cdf(a)) / fc_norm_cdf(-a);
        return v < 0 ? 0 : v > 1 ? 1 : v;
    }
    case FC_CLOGIS: return x < 0 ? 0 : logistic((x - mu) / s);
    default: return fc_norm_cdf((x - mu) / s);
    }
}

double fc_quantile(fc_dist d, double mu, double s, double p)
{
    switch (d) {
    case FC_TRUNCNORM: {
        double a = -mu / s;
        if (a <= 0) {
            double x = mu + s * fc_norm_quantile(fc_norm_cdf(a) + p * fc_norm_cdf(-a));
            return x < 0 ? 0 : x;
        }
        /* far in the tail: solve log Q(z) = log(1-p) + log Q(a) by Newton's method (log Q is
         * concave and decreasing, so the steps from the exponential approximation converge) */
        double target = log1p(-p) + log_q(a);
        double z = a - log1p(-p) / hazard(a);
        for (int it = 0; it < 60; it++) {
            double step = (log_q(z) - target) / hazard(z);
            z += step;
            if (z < a) z = a;
            if (fabs(step) <= 1e-15 * (fabs(z) + 1e-300)) break;
        }
        double x = mu + s * z;
        return x < 0 ? 0 : x;
    }
    case FC_CLOGIS: {
        double P0 = logistic(-mu / s);
        if (p <= P0) return 0;
        return mu + s * log(p / (1 - p));
    }
    default: return mu + s * fc_norm_quantile(p);
    }
}

double fc_mean(fc_dist d, double mu, double s)
{
    switch (d) {
    case FC_TRUNCNORM: {
        double a = -mu / s;
        if (a > 0) /* mu + s m(a) = s (m(a) - a): use m(a) - a = 1/(a + ...) form */
            return s * (hazard(a) - a);
        return mu + s * hazard(a);
    }
    case FC_CLOGIS: return s * softplus(mu / s);
    default: return mu;
    }
}

/* ---- ensembles -------------------------------------------------------------------------------- */

static int cmp_dbl(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* sum_i |x_i - y| and sum_{i,j} |x_i - x_j| (sorted: 2 sum_i (2i - m + 1) x_(i)). */
static void ens_sums(double *x, size_t m, double y, double *s1, double *s2)
{
    qsort(x, m, sizeof *x, cmp_dbl);
    double a = 0, b = 0;
    for (size_t i = 0; i < m; i++) {
        a += fabs(x[i] - y);
        b += (2.0 * (double)i - (double)m + 1) * x[i];
    }
    *s1 = a;
    *s2 = 2 * b;
}

double fc_crps_ens_fair(double *x, size_t m, double y)
{
    if (m == 0) return NAN;
    double s1, s2;
    ens_sums(x, m, y, &s1, &s2);
    if (m == 1) return s1;
    return s1 / (double)m - s2 / (2.0 * (double)m * (double)(m - 1));
}

double fc_crps_ens(double *x, size_t m, double y)
{
    if (m == 0) return NAN;
    double s1, s2;
    ens_sums(x, m, y, &s1, &s2);
    return s1 / (double)m - s2 / (2.0 * (double)m * (double)m);
}
