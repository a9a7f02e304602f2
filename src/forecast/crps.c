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

/* Normal truncated to [0, inf): CRPS = s * G(z, w), z = (y-mu)/s, w = mu/s, P = Phi(w):
 * G = [z P (2 Phi(z) + P - 2) + 2 phi(z) P - Phi(sqrt2 w)/sqrt(pi)] / P^2. */
static double crps_truncnorm(double mu, double s, double y, double *dmu, double *ds)
{
    double z = (y - mu) / s, w = mu / s;
    double P = fc_norm_cdf(w), pw = fc_norm_pdf(w);
    double Pz = fc_norm_cdf(z), pz = fc_norm_pdf(z);
    double r2w = M_SQRT2 * w;
    double N = z * P * (2 * Pz + P - 2) + 2 * pz * P - fc_norm_cdf(r2w) * INV_SQRT_PI;
    double G = N / (P * P);
    if (dmu || ds) {
        double Gz = (2 * Pz + P - 2) / P;
        double Nw = z * pw * (2 * Pz + P - 2) + z * P * pw + 2 * pz * pw -
                    M_SQRT2 * fc_norm_pdf(r2w) * INV_SQRT_PI;
        double Gw = Nw / (P * P) - 2 * N * pw / (P * P * P);
        if (dmu) *dmu = -Gz + Gw;
        if (ds) *ds = G - z * Gz - w * Gw;
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
        /* -log phi(z) + log s + log Phi(w) */
        double P = fc_norm_cdf(w), r = fc_norm_pdf(w) / P;
        f = 0.5 * z * z + log(s) + log(P) + 0.5 * log(2 * M_PI);
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
        double P = fc_norm_cdf(mu / s);
        double v = (fc_norm_cdf((x - mu) / s) - fc_norm_cdf(-mu / s)) / P;
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
        double P0 = fc_norm_cdf(-mu / s), P = fc_norm_cdf(mu / s);
        double x = mu + s * fc_norm_quantile(P0 + p * P);
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
        double w = mu / s;
        return mu + s * fc_norm_pdf(w) / fc_norm_cdf(w);
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
