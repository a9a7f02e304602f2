/* polish — forecast statistics: predictive distributions, closed-form CRPS with analytic
 * gradients, likelihoods, the fair ensemble CRPS, a quasi-Newton minimiser, EMOS/MOS fits. */
#ifndef POLISH_FORECAST_STATS_H
#define POLISH_FORECAST_STATS_H

#include <stddef.h>

/* Predictive distributions of EMOS. `loc` and `scale` are mu and sigma for the normal and the
 * normal truncated at 0; location and scale of the logistic left-censored at 0. */
typedef enum fc_dist { FC_GAUSS = 0, FC_TRUNCNORM = 1, FC_CLOGIS = 2 } fc_dist;

/* CRPS of the distribution at observation y; the partial derivatives by loc and scale when the
 * pointers are not NULL. For the two distributions on [0, inf) y must be >= 0. */
double fc_crps(fc_dist d, double loc, double scale, double y, double *dloc, double *dscale);
/* Negative log-likelihood (density; the censored logistic's point mass at y = 0), with
 * derivatives. */
double fc_nll(fc_dist d, double loc, double scale, double y, double *dloc, double *dscale);
double fc_cdf(fc_dist d, double loc, double scale, double x);
double fc_quantile(fc_dist d, double loc, double scale, double p);
/* The distribution's mean (a censored or truncated one differs from loc). */
double fc_mean(fc_dist d, double loc, double scale);

double fc_norm_cdf(double z);
double fc_norm_pdf(double z);
double fc_norm_quantile(double p);

/* Fair (unbiased for the ensemble's distribution) ensemble CRPS of m members, and the plain
 * one. `x` is sorted in place. */
double fc_crps_ens_fair(double *x, size_t m, double y);
double fc_crps_ens(double *x, size_t m, double y);

/* ---- minimising ---------------------------------------------------------------------------- */

/* f(x) with its gradient g (n values); returns a non-finite value where undefined. */
typedef double (*fc_objective)(const double *x, double *g, size_t n, void *user);
typedef struct fc_min_result {
    double f;
    double gnorm;
    int iterations;
    int evaluations;
    int converged;
} fc_min_result;
/* BFGS with a line search that keeps the Armijo and curvature (Wolfe) conditions; x is the start
 * and receives the minimum. n <= 32. */
fc_min_result fc_bfgs(fc_objective f, double *x, size_t n, void *user, int max_iter, double gtol);

/* ---- EMOS: mu = a + b*mean (+ coefficients of extra predictors), log scale = c + d*log(sd) -- */

enum { FC_MAX_PRED = 8 };
typedef struct fc_sample {
    double mean, sd, y;
    double pred[FC_MAX_PRED];
} fc_sample;

typedef struct fc_emos {
    fc_dist dist;
    int mle;       /* fitted by maximum likelihood (else minimum CRPS) */
    int use_sd;    /* d is fitted (0 when every training ensemble has no spread: M = 1) */
    size_t n_pred; /* extra predictors */
    double a, b, c, d;
    double beta[FC_MAX_PRED];
    double score;  /* mean CRPS (or NLL) at the optimum */
    size_t n;      /* training samples */
    int iterations, converged;
} fc_emos;

/* Fits by minimum CRPS (or MLE) over `s[0..n)`. Returns 0, or -1 when there are too few samples. */
int fc_emos_fit(fc_emos *m, fc_dist dist, int mle, const fc_sample *s, size_t n, size_t n_pred);
/* The fitted loc and scale for one case. */
void fc_emos_predict(const fc_emos *m, const fc_sample *s, double *loc, double *scale);
/* Mean objective of parameters theta (a, b, beta..., c, d) with gradient, exposed for tests. */
double fc_emos_objective(const fc_emos *m, const fc_sample *s, size_t n, const double *theta,
                         double *grad);
size_t fc_emos_nparam(const fc_emos *m);

/* ---- one EMOS model pooled over many blocks of cases (a whole grid), which may lie on several
 * MPI ranks: every sum is a sum of per-block sums taken in block order, so the model is the same
 * bit for bit whichever rank holds which block, and however many there are (global.c). */
typedef struct fc_case {
    float mean, lsd, y; /* ensemble mean, log of its spread (lsd of optim.c), observation */
} fc_case;
typedef struct fc_block {
    fc_case *c;
    size_t n;
    int any_sd; /* a case with spread > 0 */
} fc_block;
typedef struct fc_blocks {
    size_t n_blocks;   /* all blocks, on every rank */
    size_t b0, b1;     /* this rank's: own[b - b0] for b in b0 .. b1 - 1 */
    const fc_block *own;
    /* fills every block's `per` doubles of buf from the ranks that own them (own ones filled) */
    int (*gather)(double *buf, size_t per, void *user);
    /* runs f(u, a, b) over 0 .. n - 1 in pieces, perhaps on several threads */
    void (*each)(size_t n, void (*f)(void *u, size_t a, size_t b), void *u, void *user);
    void *user;
} fc_blocks;
/* Fits by minimum CRPS (or MLE) over every block's cases. Returns 0; -1 when there are too few
 * cases; -2 when gather failed. */
int fc_emos_fit_blocks(fc_emos *m, fc_dist dist, int mle, const fc_blocks *b);
double fc_lsd(double sd);

/* Ordinary least squares y ~ X (n x k, row-major, with its own intercept column if wanted).
 * Returns 0, or -1 when singular. beta[k]; *resid_sd the residual standard deviation. */
int fc_ols(const double *X, const double *y, size_t n, size_t k, double *beta, double *resid_sd);

/* ---- Lorenz-96 -------------------------------------------------------------------------------- */
/* One RK4 step of dx_k/dt = (x_{k+1} - x_{k-2}) x_{k-1} - x_k + F; `work` holds 4*K doubles. */
void fc_l96_step(double *x, size_t K, double F, double dt, double *work);

#endif
