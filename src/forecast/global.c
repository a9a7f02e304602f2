/* polish — one EMOS model pooled over the cases of many blocks (the bands of a grid), by minimum
 * CRPS or maximum likelihood. The blocks may be spread over the ranks of an MPI job: each sum the
 * fit needs (the start's least squares, the objective and its gradient at every step of BFGS) is
 * taken per block, every block's sums are gathered to every rank, and they are added in block
 * order. So every rank walks the same path to the same model, bit for bit the one a single
 * process finds holding every block, whatever the number of ranks (MPI_Allreduce would add in an
 * order that depends on the ranks). */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "forecast/stats.h"

enum { NP = 4 }; /* a, b, c, d */

typedef struct ctx {
    const fc_blocks *b;
    const fc_emos *m;
    double *buf;  /* per block: the sums of this pass */
    size_t per;
    const double *theta;
    double a, bb;  /* the start's line (residual pass) */
    int pass;      /* 0 moments, 1 residuals, 2 objective */
} ctx;

static void block_sums(void *u, size_t i0, size_t i1)
{
    ctx *x = u;
    const fc_blocks *b = x->b;
    for (size_t i = i0; i < i1; i++) {
        const fc_block *bl = &b->own[i];
        double *o = x->buf + (b->b0 + i) * x->per;
        memset(o, 0, x->per * sizeof *o);
        if (x->pass == 0) {
            o[0] = (double)bl->n;
            o[1] = bl->any_sd;
            for (size_t k = 0; k < bl->n; k++) {
                double v = bl->c[k].mean, y = bl->c[k].y;
                o[2] += v;
                o[3] += y;
                o[4] += v * v;
                o[5] += v * y;
            }
        } else if (x->pass == 1) {
            for (size_t k = 0; k < bl->n; k++) {
                double r = bl->c[k].y - x->a - x->bb * bl->c[k].mean;
                o[0] += r * r;
            }
        } else {
            const fc_emos *m = x->m;
            double a = x->theta[0], bb = x->theta[1], c = x->theta[2], d = m->use_sd ? x->theta[3] : 0;
            for (size_t k = 0; k < bl->n; k++) {
                double mean = bl->c[k].mean, l = m->use_sd ? bl->c[k].lsd : 0;
                double mu = a + bb * mean, sc = exp(c + d * l), dmu, dsc;
                double v = m->mle ? fc_nll(m->dist, mu, sc, bl->c[k].y, &dmu, &dsc)
                                  : fc_crps(m->dist, mu, sc, bl->c[k].y, &dmu, &dsc);
                o[0] += v;
                o[1] += dmu;
                o[2] += dmu * mean;
                o[3] += dsc * sc;
                o[4] += dsc * sc * l;
            }
        }
    }
}

/* Every block's sums of pass `pass`, added in block order into tot[per]. */
static int sums(ctx *x, int pass, double *tot)
{
    const fc_blocks *b = x->b;
    x->pass = pass;
    x->per = pass == 0 ? 6 : pass == 1 ? 1 : 1 + NP;
    size_t own = b->b1 - b->b0;
    if (own) {
        if (b->each) b->each(own, block_sums, x, b->user);
        else block_sums(x, 0, own);
    }
    if (b->gather && b->gather(x->buf, x->per, b->user)) return -1;
    memset(tot, 0, x->per * sizeof *tot);
    for (size_t i = 0; i < b->n_blocks; i++)
        for (size_t k = 0; k < x->per; k++) tot[k] += x->buf[i * x->per + k];
    return 0;
}

typedef struct fctx {
    ctx *x;
    double n;
    int failed;
} fctx;

static double objective(const double *theta, double *g, size_t n, void *user)
{
    fctx *f = user;
    double t[1 + NP];
    f->x->theta = theta;
    if (sums(f->x, 2, t)) {
        f->failed = 1;
        return NAN;
    }
    if (g) {
        g[0] = t[1] / f->n;
        g[1] = t[2] / f->n;
        g[2] = t[3] / f->n;
        if (n > 3) g[3] = t[4] / f->n;
    }
    return t[0] / f->n;
}

int fc_emos_fit_blocks(fc_emos *m, fc_dist dist, int mle, const fc_blocks *b)
{
    memset(m, 0, sizeof *m);
    m->dist = dist;
    m->mle = mle;
    ctx x = {.b = b, .m = m};
    x.buf = malloc((b->n_blocks ? b->n_blocks : 1) * (1 + NP + 1) * sizeof *x.buf);
    if (!x.buf) return -1;
    double t[6];
    int rc = 0;
    if (sums(&x, 0, t)) {
        rc = -2;
        goto done;
    }
    double n = t[0];
    m->use_sd = t[1] > 0;
    size_t np = fc_emos_nparam(m);
    m->n = (size_t)n;
    if (n < (double)(np + 2)) {
        rc = -1;
        goto done;
    }
    /* start: least squares for the mean (or the mean of y when the forecasts are constant), the
     * residual spread for the scale */
    double sxx = t[4] - t[2] * t[2] / n, sxy = t[5] - t[2] * t[3] / n;
    int line = sxx > 1e-12 * (t[4] > 0 ? t[4] : 1);
    x.bb = line ? sxy / sxx : 0;
    x.a = (t[3] - x.bb * t[2]) / n;
    if (sums(&x, 1, t)) {
        rc = -2;
        goto done;
    }
    double rsd = sqrt(t[0] / (line ? n - 2 : n));
    if (!(rsd > 0)) rsd = 1e-3;
    if (dist == FC_CLOGIS) rsd *= sqrt(3.0) / M_PI;
    double theta[NP] = {x.a, x.bb, log(rsd), 0};
    fctx f = {&x, n, 0};
    fc_min_result r = fc_bfgs(objective, theta, np, &f, 500, 1e-10);
    if (f.failed) {
        rc = -2;
        goto done;
    }
    m->a = theta[0];
    m->b = theta[1];
    m->c = theta[2];
    m->d = m->use_sd ? theta[3] : 0;
    m->score = r.f;
    m->iterations = r.iterations;
    m->converged = r.converged;
    rc = isfinite(r.f) ? 0 : -1;
done:
    free(x.buf);
    return rc;
}
