/* polish tests — forecast statistics: closed-form CRPS against numerical integration, gradients
 * against finite differences, the ensemble CRPS, BFGS, EMOS recovering known coefficients. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "forecast/forecast.h"

/* integral of (F(x) - 1{x >= y})^2 by Simpson's rule on each side of y (and of 0, where the
 * censored and truncated distributions have their kink) */
static double simpson(fc_dist d, double mu, double s, double y, double a, double b)
{
    const int n = 20000;
    double h = (b - a) / n, sum = 0;
    for (int i = 0; i <= n; i++) {
        double x = a + i * h;
        double F = fc_cdf(d, mu, s, x), I = x >= y ? 1 : 0;
        if (i == n && b == y) I = 0; /* the left piece ends just below y */
        double v = (F - I) * (F - I);
        sum += v * (i == 0 || i == n ? 1 : (i % 2 ? 4 : 2));
    }
    return sum * h / 3;
}

static double crps_numeric(fc_dist d, double mu, double s, double y)
{
    double lo = (d == FC_GAUSS ? mu - 40 * s : 0), hi = fmax(mu, y) + 40 * s;
    if (d == FC_GAUSS) return simpson(d, mu, s, y, lo, y) + simpson(d, mu, s, y, y, hi);
    return simpson(d, mu, s, y, 0, y) + simpson(d, mu, s, y, y, hi);
}

static const double cases[][3] = {
    {0, 1, 0.3}, {1.5, 2, 0.2}, {-1, 1.5, 2.5}, {3, 0.7, 0}, {-2, 1, 0.1}, {0.5, 3, 4}, {4, 0.5, 3.7},
};

static void crps_closed_forms(void **state)
{
    (void)state;
    for (int d = 0; d < 3; d++)
        for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
            double mu = cases[i][0], s = cases[i][1], y = cases[i][2];
            if (d != FC_GAUSS && y <= 0) y = 0.05;
            double c = fc_crps((fc_dist)d, mu, s, y, NULL, NULL);
            double n = crps_numeric((fc_dist)d, mu, s, y);
            if (fabs(c - n) > 1e-6) fail_msg("dist %d case %zu: closed %.9f numeric %.9f", d, i, c, n);
        }
    /* y = 0 exactly, on the point mass of the censored logistic */
    double c = fc_crps(FC_CLOGIS, 0.4, 1.2, 0, NULL, NULL);
    double n = simpson(FC_CLOGIS, 0.4, 1.2, 0, 0, 60);
    assert_true(fabs(c - n) < 1e-6);
}

static void gradients(void **state)
{
    (void)state;
    const double h = 1e-6;
    for (int d = 0; d < 3; d++)
        for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
            double mu = cases[i][0], s = cases[i][1], y = cases[i][2];
            if (d != FC_GAUSS && y < 0) y = 0;
            for (int mle = 0; mle < 2; mle++) {
                double (*fn)(fc_dist, double, double, double, double *, double *) =
                    mle ? fc_nll : fc_crps;
                double dm, ds;
                fn((fc_dist)d, mu, s, y, &dm, &ds);
                double nm = (fn((fc_dist)d, mu + h, s, y, NULL, NULL) -
                             fn((fc_dist)d, mu - h, s, y, NULL, NULL)) / (2 * h);
                double ns = (fn((fc_dist)d, mu, s + h, y, NULL, NULL) -
                             fn((fc_dist)d, mu, s - h, y, NULL, NULL)) / (2 * h);
                if (fabs(dm - nm) > 1e-6 * (1 + fabs(nm)) || fabs(ds - ns) > 1e-6 * (1 + fabs(ns)))
                    fail_msg("dist %d case %zu %s: d/dmu %.8f vs %.8f, d/dsigma %.8f vs %.8f", d, i,
                             mle ? "nll" : "crps", dm, nm, ds, ns);
            }
        }
}

static void quantiles(void **state)
{
    (void)state;
    for (int d = 0; d < 3; d++)
        for (double p = 0.05; p < 1; p += 0.1) {
            double q = fc_quantile((fc_dist)d, 1.2, 0.8, p);
            if (d == FC_CLOGIS && q == 0) /* inside the point mass at 0 */
                assert_true(fc_cdf(FC_CLOGIS, 1.2, 0.8, 0) >= p);
            else
                assert_true(fabs(fc_cdf((fc_dist)d, 1.2, 0.8, q) - p) < 1e-9);
        }
    assert_true(fabs(fc_norm_quantile(0.975) - 1.959963984540054) < 1e-12);
}

static void ensemble_crps(void **state)
{
    (void)state;
    double x[] = {1, 2, 3, 4, 10};
    /* by the definitions: mean |x - y| - sum |xi - xj| / (2 m (m-1)) (fair) or / (2 m^2) */
    double a = 0, b = 0;
    for (int i = 0; i < 5; i++) {
        a += fabs(x[i] - 2.5);
        for (int j = 0; j < 5; j++) b += fabs(x[i] - x[j]);
    }
    double fair = a / 5 - b / 40, plain = a / 5 - b / 50;
    double c[5];
    memcpy(c, x, sizeof c);
    assert_true(fabs(fc_crps_ens_fair(c, 5, 2.5) - fair) < 1e-12);
    memcpy(c, x, sizeof c);
    assert_true(fabs(fc_crps_ens(c, 5, 2.5) - plain) < 1e-12);
    /* a large sample of N(0,1): the fair CRPS tends to the closed form */
    double big[4000];
    for (int i = 0; i < 4000; i++) big[i] = fc_norm_quantile((i + 0.5) / 4000);
    assert_true(fabs(fc_crps_ens_fair(big, 4000, 0.7) - fc_crps(FC_GAUSS, 0, 1, 0.7, NULL, NULL)) <
                1e-3);
}

static double rosen(const double *x, double *g, size_t n, void *u)
{
    (void)n;
    (void)u;
    double a = 1 - x[0], b = x[1] - x[0] * x[0];
    g[0] = -2 * a - 400 * x[0] * b;
    g[1] = 200 * b;
    return a * a + 100 * b * b;
}

static void bfgs_rosenbrock(void **state)
{
    (void)state;
    double x[2] = {-1.2, 1};
    fc_min_result r = fc_bfgs(rosen, x, 2, NULL, 500, 1e-10);
    assert_true(r.converged);
    assert_true(fabs(x[0] - 1) < 1e-6 && fabs(x[1] - 1) < 1e-6);
}

static unsigned long long rs = 7;
static double urand(void)
{
    rs ^= rs << 13;
    rs ^= rs >> 7;
    rs ^= rs << 17;
    return ((double)(rs >> 11) + 0.5) / 9007199254740992.0;
}

/* Data drawn from the EMOS model itself: both estimators recover a, b, c, d. */
static void emos_recovers(void **state)
{
    (void)state;
    size_t n = 20000;
    fc_sample *s = calloc(n, sizeof *s);
    assert_non_null(s);
    const double a = 0.5, b = 0.9, c = -0.2, d = 0.7;
    for (size_t i = 0; i < n; i++) {
        s[i].mean = 10 * urand() - 5;
        s[i].sd = 0.2 + 1.5 * urand();
        double sig = exp(c + d * log(s[i].sd));
        s[i].y = a + b * s[i].mean + sig * fc_norm_quantile(urand());
    }
    for (int mle = 0; mle < 2; mle++) {
        fc_emos m;
        assert_int_equal(fc_emos_fit(&m, FC_GAUSS, mle, s, n, 0), 0);
        assert_true(m.converged);
        if (fabs(m.a - a) > 0.03 || fabs(m.b - b) > 0.01 || fabs(m.c - c) > 0.03 ||
            fabs(m.d - d) > 0.04)
            fail_msg("%s: a %.3f b %.3f c %.3f d %.3f", mle ? "mle" : "crps", m.a, m.b, m.c, m.d);
        /* the optimum: the gradient of the objective vanishes and moving away costs */
        double th[4] = {m.a, m.b, m.c, m.d}, g[4];
        double f0 = fc_emos_objective(&m, s, n, th, g);
        for (int k = 0; k < 4; k++) assert_true(fabs(g[k]) < 1e-6);
        th[1] += 0.01;
        assert_true(fc_emos_objective(&m, s, n, th, NULL) > f0);
    }
    /* the objective's gradient against finite differences, every distribution; for the two on
     * [0, inf) data of a positive quantity (wind speed, precipitation), some of it 0 */
    for (int dd = 0; dd < 3; dd++) {
        fc_emos m = {.dist = (fc_dist)dd, .use_sd = 1};
        double th[4] = {0.3, 0.8, 0.1, 0.5}, g[4];
        for (size_t i = 0; i < n && dd; i++) {
            s[i].mean = fabs(s[i].mean);
            if (s[i].y < 0) s[i].y = 0;
        }
        fc_emos_objective(&m, s, 2000, th, g);
        for (int k = 0; k < 4; k++) {
            double t1[4], t2[4];
            memcpy(t1, th, sizeof th);
            memcpy(t2, th, sizeof th);
            t1[k] += 1e-6;
            t2[k] -= 1e-6;
            double num = (fc_emos_objective(&m, s, 2000, t1, NULL) -
                          fc_emos_objective(&m, s, 2000, t2, NULL)) / 2e-6;
            if (fabs(num - g[k]) > 1e-6 * (1 + fabs(num)))
                fail_msg("dist %d theta %d: %.9f vs %.9f", dd, k, g[k], num);
        }
    }
    free(s);
}

static void times(void **state)
{
    (void)state;
    int ok;
    double t = pol__forecast_parse_time("2026-01-31T06:00:00Z", &ok);
    assert_true(ok);
    assert_true(t == 1769839200.0);
    assert_true(pol__forecast_parse_time("2026-01-31 08:00+02:00", &ok) == t && ok);
    assert_true(pol__forecast_parse_time("2026-01-31", &ok) == t - 6 * 3600 && ok);
    pol__forecast_parse_time("31/01/2026", &ok);
    assert_false(ok);
    pol__forecast_parse_time("2026-13-01", &ok);
    assert_false(ok);
    char buf[40];
    pol__forecast_format_time(t, buf, sizeof buf);
    assert_string_equal(buf, "2026-01-31T06:00:00Z");
    pol__forecast_format_time(-86400.0 * 365, buf, sizeof buf);
    assert_string_equal(buf, "1969-01-01T00:00:00Z");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(crps_closed_forms), cmocka_unit_test(gradients),
        cmocka_unit_test(quantiles),         cmocka_unit_test(ensemble_crps),
        cmocka_unit_test(bfgs_rosenbrock),   cmocka_unit_test(emos_recovers),
        cmocka_unit_test(times),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
