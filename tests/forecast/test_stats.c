/* polish tests — forecast statistics: closed-form CRPS against numerical integration, gradients
 * against finite differences, the ensemble CRPS, BFGS, EMOS recovering known coefficients. */
#include <math.h>
#include <pthread.h>
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

/* The normal truncated at 0 far into its tail (mu/sigma down to -200), against values computed
 * with mpmath at 60 digits (CRPS by adaptive quadrature of the defining integral, checked
 * against the closed form at 200-30000 digits): mu, sigma, y, CRPS, NLL, mean, median, q95. */
static const double tn_ref[][8] = {
    {-5.5, 1, 0.3, 0.10113424584835200797, -0.040437819420587833207, 0.17141031389730562275, 0.12096329012545782794, 0.50622243877260964193},
    {-8, 1, 0.05, 0.028959191935628134421, -1.6932486267098771314, 0.12136811223611268065, 0.084911007391544102381, 0.36096063034768816063},
    {-15, 2, 0.2, 0.050551007893774807848, -0.5838051891253831492, 0.25793278220753183333, 0.18066211975765622352, 0.76640981397944795463},
    {-40, 1, 0.01, 0.0060064799686928083429, -3.2894534805491154165, 0.024968847207263723245, 0.017314126764651106136, 0.074776778474636238869},
    {-60, 0.5, 0.02, 0.013819411272129602283, -0.67990835573423684495, 0.0041660881637985571206, 0.0028878432433428864474, 0.012480053415401657909},
    {-6, 1, 2.0, 1.7632165376698059354, 12.182169583229967087, 0.15848260454459891728, 0.11156506181343930241, 0.46899208307427315606},
    {-12, 0.3, 0.5, 0.48876518444330846527, 63.162079270680509101, 0.0074906541621791164197, 0.0051942380293953314567, 0.022433033542390870003},
    {-200, 1, 0.003, 0.00098805887220801106755, -4.6983378649857293388, 0.0049997500312442201285, 0.0034656192411089066635, 0.014977726126654754358},
    {2, 1, 1.5, 0.33870016235143973568, 1.0209256238757092533, 2.0552478626789899591, 2.0285169265909174753, 3.6559843567138277974},
    {-1, 2, 0.7, 0.2838881362002287993, 0.79742395217099942344, 1.2821555407361289618, 1.0365910319205582205, 3.3179075351906114265},
};

static void truncnorm_tail(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof tn_ref / sizeof tn_ref[0]; i++) {
        const double *r = tn_ref[i];
        double got[5] = {fc_crps(FC_TRUNCNORM, r[0], r[1], r[2], NULL, NULL),
                         fc_nll(FC_TRUNCNORM, r[0], r[1], r[2], NULL, NULL),
                         fc_mean(FC_TRUNCNORM, r[0], r[1]),
                         fc_quantile(FC_TRUNCNORM, r[0], r[1], 0.5),
                         fc_quantile(FC_TRUNCNORM, r[0], r[1], 0.95)};
        static const char *const what[] = {"crps", "nll", "mean", "median", "q95"};
        for (int k = 0; k < 5; k++) {
            double want = r[3 + k];
            if (!(fabs(got[k] - want) <= 1e-9 * fabs(want) + 1e-15))
                fail_msg("mu %g sigma %g y %g: %s %.17g, want %.17g", r[0], r[1], r[2], what[k],
                         got[k], want);
        }
        /* the cdf at the median is one half */
        double c = fc_cdf(FC_TRUNCNORM, r[0], r[1], got[3]);
        if (!(fabs(c - 0.5) < 1e-9)) fail_msg("mu %g sigma %g: cdf(median) %.12g", r[0], r[1], c);
        /* gradients still agree with finite differences in the tail */
        double dm, ds, h = 1e-4 * r[1]; /* central differences: O(h^2), no round-off at this h */
        fc_crps(FC_TRUNCNORM, r[0], r[1], r[2], &dm, &ds);
        double nm = (fc_crps(FC_TRUNCNORM, r[0] + h, r[1], r[2], NULL, NULL) -
                     fc_crps(FC_TRUNCNORM, r[0] - h, r[1], r[2], NULL, NULL)) / (2 * h);
        double ns = (fc_crps(FC_TRUNCNORM, r[0], r[1] + h, r[2], NULL, NULL) -
                     fc_crps(FC_TRUNCNORM, r[0], r[1] - h, r[2], NULL, NULL)) / (2 * h);
        if (fabs(dm - nm) > 1e-5 * (1e-3 + fabs(nm)) || fabs(ds - ns) > 1e-5 * (1e-3 + fabs(ns)))
            fail_msg("mu %g sigma %g: d/dmu %.10g vs %.10g, d/dsigma %.10g vs %.10g", r[0], r[1], dm,
                     nm, ds, ns);
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

/* One model over blocks of cases that lie on several "ranks" (threads here, MPI ranks in
 * calibrate-grid scope global): each rank holds some blocks, their sums are gathered at every
 * step. The model is the same bit for bit however the blocks are shared out, and it is the
 * per-sample fit's model (cases stored as floats: to 1e-4). */
enum { NB = 10, NR = 3 };
typedef struct share {
    pthread_barrier_t bar;
    double *all; /* every block's sums of the pass */
    size_t first[NR + 1];
    fc_block *bl;
    fc_emos m[NR];
} share;
typedef struct rank_arg {
    share *sh;
    size_t r;
} rank_arg;

static int thread_gather(double *buf, size_t per, void *user)
{
    rank_arg *a = user;
    share *sh = a->sh;
    size_t b0 = sh->first[a->r], b1 = sh->first[a->r + 1];
    memcpy(sh->all + b0 * per, buf + b0 * per, (b1 - b0) * per * sizeof *buf);
    pthread_barrier_wait(&sh->bar);
    memcpy(buf, sh->all, NB * per * sizeof *buf);
    pthread_barrier_wait(&sh->bar); /* all have read before the next pass writes */
    return 0;
}

static void *rank_fit(void *p)
{
    rank_arg *a = p;
    share *sh = a->sh;
    size_t b0 = sh->first[a->r], b1 = sh->first[a->r + 1];
    fc_blocks fb = {.n_blocks = NB, .b0 = b0, .b1 = b1, .own = sh->bl + b0,
                    .gather = thread_gather, .user = a};
    if (fc_emos_fit_blocks(&sh->m[a->r], FC_GAUSS, 0, &fb)) sh->m[a->r].converged = -1;
    return NULL;
}

static void emos_blocks(void **state)
{
    (void)state;
    size_t n = 20000;
    fc_sample *s = calloc(n, sizeof *s);
    fc_case *c = calloc(n, sizeof *c);
    assert_true(s && c);
    for (size_t i = 0; i < n; i++) {
        double mean = 10 * urand() - 5, sd = 0.2 + 1.5 * urand();
        double y = 0.5 + 0.9 * mean + exp(-0.2 + 0.7 * log(sd)) * fc_norm_quantile(urand());
        c[i] = (fc_case){(float)mean, (float)fc_lsd(sd), (float)y};
        s[i].mean = c[i].mean; /* the same values, so the two fits see the same cases */
        s[i].sd = exp(c[i].lsd);
        s[i].y = c[i].y;
    }
    share sh = {.first = {0, 2, 7, NB}};
    fc_block bl[NB];
    for (size_t b = 0, at = 0; b < NB; b++) { /* uneven blocks */
        size_t k = b + 1 < NB ? (b + 1) * 350 : n - at;
        bl[b] = (fc_block){c + at, k, 1};
        at += k;
    }
    sh.bl = bl;
    fc_emos one, ref;
    fc_blocks fb = {.n_blocks = NB, .b0 = 0, .b1 = NB, .own = bl};
    assert_int_equal(fc_emos_fit_blocks(&one, FC_GAUSS, 0, &fb), 0);
    assert_int_equal(fc_emos_fit(&ref, FC_GAUSS, 0, s, n, 0), 0);
    assert_true(one.converged && one.n == n);
    if (fabs(one.a - ref.a) > 1e-4 || fabs(one.b - ref.b) > 1e-4 || fabs(one.c - ref.c) > 1e-4 ||
        fabs(one.d - ref.d) > 1e-4)
        fail_msg("blocks a %.6f b %.6f c %.6f d %.6f, samples a %.6f b %.6f c %.6f d %.6f", one.a,
                 one.b, one.c, one.d, ref.a, ref.b, ref.c, ref.d);
    sh.all = calloc(NB * 8, sizeof *sh.all);
    assert_non_null(sh.all);
    pthread_barrier_init(&sh.bar, NULL, NR);
    pthread_t t[NR];
    rank_arg ra[NR];
    for (size_t r = 0; r < NR; r++) {
        ra[r] = (rank_arg){&sh, r};
        assert_int_equal(pthread_create(&t[r], NULL, rank_fit, &ra[r]), 0);
    }
    for (size_t r = 0; r < NR; r++) pthread_join(t[r], NULL);
    pthread_barrier_destroy(&sh.bar);
    for (size_t r = 0; r < NR; r++) {
        double got[4] = {sh.m[r].a, sh.m[r].b, sh.m[r].c, sh.m[r].d};
        double want[4] = {one.a, one.b, one.c, one.d};
        if (memcmp(got, want, sizeof got) || sh.m[r].converged != one.converged)
            fail_msg("rank %zu: a %.17g b %.17g, one process a %.17g b %.17g", r, got[0], got[1],
                     want[0], want[1]);
    }
    free(sh.all);
    free(s);
    free(c);
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
        cmocka_unit_test(quantiles),         cmocka_unit_test(truncnorm_tail),         cmocka_unit_test(ensemble_crps),
        cmocka_unit_test(bfgs_rosenbrock),   cmocka_unit_test(emos_recovers), cmocka_unit_test(emos_blocks),
        cmocka_unit_test(times),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
