/* polish — forecast: an imperfect-model Lorenz-96 test bed (truth F=8, model F=7). The truth is
 * integrated; at each initialisation an analysis (truth + analysis error) is perturbed into the
 * members, which the model with the wrong forcing carries to each lead time. One model time unit
 * is taken as 5 days (120 h), as in Lorenz (1996). */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "forecast/forecast.h"

#define HOURS_PER_MTU 120.0

void fc_testbed_defaults(fc_testbed_opt *o)
{
    memset(o, 0, sizeof *o);
    o->k = 40;
    o->members = 20;
    o->train_inits = 1000;
    o->test_inits = 300;
    o->f_truth = 8;
    o->f_model = 7;
    o->analysis_sd = 0.2;
    o->perturb_sd = 0.05;
    o->obs_sd = 0;
    o->gap_mtu = 0.5;
    o->dt = 0.005;
    const double leads[] = {0.2, 0.5, 1.0, 1.5};
    memcpy(o->leads_mtu, leads, sizeof leads);
    o->n_leads = 4;
    o->seed = 1; /* as `polish forecast testbed --seed` by default */
}

typedef struct rng {
    unsigned long long s;
    int have;
    double spare;
} rng;

static double urand(rng *r)
{
    r->s ^= r->s << 13;
    r->s ^= r->s >> 7;
    r->s ^= r->s << 17;
    return ((double)(r->s >> 11) + 0.5) / 9007199254740992.0;
}

static double nrand(rng *r)
{
    if (r->have) {
        r->have = 0;
        return r->spare;
    }
    double u = urand(r), v = urand(r), rad = sqrt(-2 * log(u));
    r->spare = rad * sin(2 * M_PI * v);
    r->have = 1;
    return rad * cos(2 * M_PI * v);
}

static pol__table *new_table(size_t m)
{
    pol__table *t = pol__table_new(0);
    if (!t) return NULL;
    const char *head[] = {"station", "init_time", "lead_h", "obs"};
    for (size_t i = 0; i < 4; i++)
        if (pol__table_add_col(t, head[i]) < 0) goto fail;
    for (size_t j = 0; j < m; j++) {
        char name[32];
        snprintf(name, sizeof name, "ens_%zu", j + 1);
        if (pol__table_add_col(t, name) < 0) goto fail;
    }
    return t;
fail:
    pol__table_free(t);
    return NULL;
}

pol_status fc_testbed(pol_run *run, const fc_testbed_opt *o, pol__table **train, pol__table **test)
{
    *train = *test = NULL;
    size_t K = o->k, M = o->members;
    if (K < 4 || K > 256 || M < 1 || M > 1000 || o->n_leads == 0 || o->dt <= 0)
        return pol__fail(run, POL_ERR_ARG, "test bed: 4..256 variables, 1..1000 members");
    size_t steps_gap = (size_t)llround(o->gap_mtu / o->dt);
    if (steps_gap == 0) steps_gap = 1;
    size_t lead_step[8];
    for (size_t l = 0; l < o->n_leads; l++) {
        lead_step[l] = (size_t)llround(o->leads_mtu[l] / o->dt);
        if (l && lead_step[l] < lead_step[l - 1])
            return pol__fail(run, POL_ERR_ARG, "test bed: lead times must increase");
    }
    double *x = malloc(K * sizeof *x), *w = malloc(4 * K * sizeof *w), *tr = malloc(K * sizeof *tr);
    double *ens = malloc(M * K * sizeof *ens);
    const char **cells = calloc(4 + M, sizeof *cells);
    char *buf = malloc((4 + M) * 32);
    pol__table *tabs[2] = {new_table(M), new_table(M)};
    pol_status st = POL_OK;
    if (!x || !w || !tr || !ens || !cells || !buf || !tabs[0] || !tabs[1]) {
        st = pol__fail(run, POL_ERR_NOMEM, "out of memory");
        goto done;
    }
    rng r = {o->seed ? o->seed * 2654435761ULL + 1 : 88172645463325252ULL, 0, 0};
    for (size_t k = 0; k < K; k++) x[k] = o->f_truth + nrand(&r);
    for (int i = 0; i < 2000; i++) fc_l96_step(x, K, o->f_truth, o->dt, w); /* onto the attractor */
    double t0 = 946684800.0; /* 2000-01-01T00:00Z */
    size_t total = o->train_inits + o->test_inits;
    for (size_t n = 0; n < total && !st; n++) {
        if (pol__cancelled(run)) {
            st = pol__fail(run, POL_ERR_CANCELLED, "cancelled");
            break;
        }
        for (size_t i = 0; i < steps_gap; i++) fc_l96_step(x, K, o->f_truth, o->dt, w);
        double init = t0 + (double)n * o->gap_mtu * HOURS_PER_MTU * 3600.0;
        char init_s[40];
        pol__forecast_format_time(init, init_s, sizeof init_s);
        memcpy(tr, x, K * sizeof *tr);
        for (size_t k = 0; k < K; k++) {
            double an = x[k] + o->analysis_sd * nrand(&r);
            for (size_t j = 0; j < M; j++) ens[j * K + k] = an + o->perturb_sd * nrand(&r);
        }
        size_t step = 0;
        pol__table *t = tabs[n < o->train_inits ? 0 : 1];
        for (size_t l = 0; l < o->n_leads && !st; l++) {
            for (; step < lead_step[l]; step++) {
                fc_l96_step(tr, K, o->f_truth, o->dt, w);
                for (size_t j = 0; j < M; j++) fc_l96_step(ens + j * K, K, o->f_model, o->dt, w);
            }
            char lead_s[32];
            snprintf(lead_s, sizeof lead_s, "%g", o->leads_mtu[l] * HOURS_PER_MTU);
            for (size_t k = 0; k < K && !st; k++) {
                char *b = buf;
                snprintf(b, 32, "x%02zu", k + 1);
                cells[0] = b;
                cells[1] = init_s;
                cells[2] = lead_s;
                b += 32;
                snprintf(b, 32, "%.4f", tr[k] + o->obs_sd * nrand(&r));
                cells[3] = b;
                for (size_t j = 0; j < M; j++) {
                    b += 32;
                    snprintf(b, 32, "%.4f", ens[j * K + k]);
                    cells[4 + j] = b;
                }
                if (pol__table_add_row(t, cells, 4 + M, (uint32_t)(pol__table_rows(t) + 2)) < 0)
                    st = pol__fail(run, POL_ERR_NOMEM, "out of memory");
            }
        }
    }
done:
    free(x);
    free(w);
    free(tr);
    free(ens);
    free(cells);
    free(buf);
    if (st) {
        pol__table_free(tabs[0]);
        pol__table_free(tabs[1]);
        return st;
    }
    *train = tabs[0];
    *test = tabs[1];
    return POL_OK;
}
