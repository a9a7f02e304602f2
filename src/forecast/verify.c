/* polish — forecast: verification. CRPS (closed form for the calibrated distribution, the fair
 * ensemble CRPS for the raw members and, as the literature scores them, the CRPS of the members'
 * empirical distribution; the station's observed climatology as reference), skill,
 * MAE, RMSE, bias, spread-skill, PIT and rank histograms, reliability and Brier scores. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "forecast/forecast.h"

enum { PIT_BINS = 10, REL_BINS = 10, MAX_THR = 16 };

typedef struct acc {
    size_t n, n_cal;
    double crps_raw, crps_raw_edf, crps_cal, crps_clim;
    double ae_raw, se_raw, e_raw, var_raw;
    double ae_cal, se_cal, e_cal, var_cal;
} acc;

static void acc_add(acc *a, const acc *b)
{
    a->n += b->n;
    a->n_cal += b->n_cal;
    a->crps_raw += b->crps_raw;
    a->crps_raw_edf += b->crps_raw_edf;
    a->crps_cal += b->crps_cal;
    a->crps_clim += b->crps_clim;
    a->ae_raw += b->ae_raw;
    a->se_raw += b->se_raw;
    a->e_raw += b->e_raw;
    a->var_raw += b->var_raw;
    a->ae_cal += b->ae_cal;
    a->se_cal += b->se_cal;
    a->e_cal += b->e_cal;
    a->var_cal += b->var_cal;
}

static pol__jv *num(double v)
{
    return pol__jv_num(v);
}

static pol__jv *acc_json(const acc *a, size_t m)
{
    pol__jv *o = pol__jv_obj();
    double n = (double)a->n, nc = (double)a->n_cal;
    pol__jv_set(o, "cases", pol__jv_int((long long)a->n));
    double raw = a->crps_raw / n, clim = a->crps_clim / n;
    pol__jv *r = pol__jv_obj_at(o, "raw");
    pol__jv_set(r, "crps", num(raw));
    /* the members' empirical distribution as it stands (the literature's raw reference; the
     * fair CRPS above estimates an ensemble of infinite size and is lower) */
    pol__jv_set(r, "crps_ensemble_edf", num(a->crps_raw_edf / n));
    pol__jv_set(r, "crps_skill_vs_climatology", num(1 - raw / clim));
    pol__jv_set(r, "mae", num(a->ae_raw / n));
    pol__jv_set(r, "rmse", num(sqrt(a->se_raw / n)));
    pol__jv_set(r, "bias", num(a->e_raw / n));
    double spread = sqrt(a->var_raw / n);
    pol__jv_set(r, "spread", num(spread));
    /* a calibrated m-member ensemble has RMSE = spread * sqrt((m+1)/m) */
    pol__jv_set(r, "spread_skill_ratio",
                num(spread * sqrt(((double)m + 1) / (double)m) / sqrt(a->se_raw / n)));
    pol__jv_set(o, "climatology_crps", num(clim));
    if (a->n_cal) {
        double cal = a->crps_cal / nc;
        pol__jv *c = pol__jv_obj_at(o, "calibrated");
        pol__jv_set(c, "crps", num(cal));
        pol__jv_set(c, "crps_skill_vs_raw", num(1 - cal / raw));
        pol__jv_set(c, "crps_skill_vs_raw_edf", num(1 - cal / (a->crps_raw_edf / n)));
        pol__jv_set(c, "crps_skill_vs_climatology", num(1 - cal / clim));
        pol__jv_set(c, "mae", num(a->ae_cal / nc));
        pol__jv_set(c, "rmse", num(sqrt(a->se_cal / nc)));
        pol__jv_set(c, "bias", num(a->e_cal / nc));
        double sp = sqrt(a->var_cal / nc);
        pol__jv_set(c, "spread", num(sp));
        pol__jv_set(c, "spread_skill_ratio", num(sp / sqrt(a->se_cal / nc)));
    }
    return o;
}

static int cmp_dbl(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Climatology of one station: its sorted observations with prefix sums. */
typedef struct clim {
    double *x, *pre;
    size_t n;
    double half_pairs; /* sum_{i,j} |x_i - x_j| / (2 n^2) */
} clim;

static double clim_crps(const clim *c, double y)
{
    if (c->n == 0) return NAN;
    size_t lo = 0, hi = c->n;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (c->x[mid] < y) lo = mid + 1;
        else hi = mid;
    }
    double below = (double)lo * y - c->pre[lo];
    double above = (c->pre[c->n] - c->pre[lo]) - (double)(c->n - lo) * y;
    return (below + above) / (double)c->n - c->half_pairs;
}

static int cmp_lead(const void *a, const void *b)
{
    return cmp_dbl(a, b);
}

pol_status fc_verify(pol_run *run, const pol__forecast *f, fc_dist dist, const double *thr_in,
                     size_t n_thr, fc_fig *figs, size_t max_figs, size_t *n_figs, pol__jv **doc)
{
    *doc = NULL;
    if (n_figs) *n_figs = 0;
    long c_mu = -1, c_sigma = -1, c_model = -1;
    for (size_t c = 0; c < pol__table_cols(f->t); c++) {
        if (strcasecmp(pol__table_name(f->t, c), "model") == 0) c_model = (long)c;
        if (strcasecmp(pol__table_name(f->t, c), "mu") == 0) c_mu = (long)c;
        if (strcasecmp(pol__table_name(f->t, c), "sigma") == 0) c_sigma = (long)c;
    }
    int cal = c_mu >= 0 && c_sigma >= 0;
    size_t n = f->n, m = f->m;
    size_t n_obs = 0;
    for (size_t r = 0; r < n; r++) n_obs += !isnan(f->obs[r]) && !f->dup[r];
    if (n_obs == 0)
        return pol__fail(run, POL_ERR_EMPTY, "no row has an observation (obs): nothing to verify");
    if (n_thr > MAX_THR) n_thr = MAX_THR;
    pol_status st = POL_OK;
    double thr[MAX_THR];
    double *leads = malloc(n * sizeof *leads), *x = malloc((m + 1) * sizeof *x);
    double *allobs = malloc(n_obs * sizeof *allobs);
    clim *cl = calloc(f->n_names ? f->n_names : 1, sizeof *cl);
    size_t *rank = calloc(m + 1, sizeof *rank);
    if (!leads || !x || !allobs || !cl || !rank) {
        st = pol__fail(run, POL_ERR_NOMEM, "out of memory");
        goto done;
    }
    /* climatologies per station, and thresholds (default: the 10%, 50%, 90% of the obs) */
    {
        size_t k = 0;
        for (size_t r = 0; r < n; r++)
            if (!isnan(f->obs[r]) && !f->dup[r]) allobs[k++] = f->obs[r];
        qsort(allobs, k, sizeof *allobs, cmp_dbl);
        if (n_thr)
            memcpy(thr, thr_in, n_thr * sizeof *thr);
        else {
            const double ps[] = {0.1, 0.5, 0.9};
            for (int i = 0; i < 3; i++) {
                double v = allobs[(size_t)(ps[i] * (double)(k - 1))];
                thr[i] = round(v * 100) / 100;
            }
            n_thr = 3;
        }
        for (size_t r = 0; r < n; r++)
            if (!isnan(f->obs[r]) && !f->dup[r]) cl[f->station[r]].n++;
        for (size_t s = 0; s < f->n_names; s++) {
            cl[s].x = malloc((cl[s].n + 1) * sizeof(double));
            cl[s].pre = malloc((cl[s].n + 1) * sizeof(double));
            if (!cl[s].x || !cl[s].pre) {
                st = pol__fail(run, POL_ERR_NOMEM, "out of memory");
                goto done;
            }
            cl[s].n = 0;
        }
        for (size_t r = 0; r < n; r++)
            if (!isnan(f->obs[r]) && !f->dup[r]) {
                clim *c = &cl[f->station[r]];
                c->x[c->n++] = f->obs[r];
            }
        for (size_t s = 0; s < f->n_names; s++) {
            clim *c = &cl[s];
            qsort(c->x, c->n, sizeof(double), cmp_dbl);
            c->pre[0] = 0;
            double pairs = 0;
            for (size_t i = 0; i < c->n; i++) {
                c->pre[i + 1] = c->pre[i] + c->x[i];
                pairs += (2.0 * (double)i - (double)c->n + 1) * c->x[i];
            }
            c->half_pairs = c->n ? pairs / ((double)c->n * (double)c->n) : 0;
        }
    }
    /* lead times */
    size_t nl = 0;
    memcpy(leads, f->lead, n * sizeof *leads);
    qsort(leads, n, sizeof *leads, cmp_lead);
    for (size_t i = 0; i < n; i++)
        if (!nl || leads[nl - 1] != leads[i]) leads[nl++] = leads[i];
    acc *by_lead = calloc(nl ? nl : 1, sizeof *by_lead);
    double pit[PIT_BINS] = {0};
    double rel_p[MAX_THR][REL_BINS], rel_o[MAX_THR][REL_BINS];
    size_t rel_n[MAX_THR][REL_BINS];
    double brier[MAX_THR] = {0}, base[MAX_THR] = {0};
    memset(rel_p, 0, sizeof rel_p);
    memset(rel_o, 0, sizeof rel_o);
    memset(rel_n, 0, sizeof rel_n);
    size_t n_prob = 0, bad_cells = 0, n_cal = 0;
    if (!by_lead) {
        st = pol__fail(run, POL_ERR_NOMEM, "out of memory");
        goto done;
    }
    unsigned long long rs = 0x9E3779B97F4A7C15ULL;
    for (size_t r = 0; r < n; r++) {
        double y = f->obs[r];
        if (isnan(y) || f->dup[r]) continue;
        size_t k = pol__forecast_members(f, r, x);
        if (k == 0) continue;
        double mean, sd;
        pol__forecast_moments(f, r, &mean, &sd);
        size_t li = 0;
        while (li < nl && leads[li] != f->lead[r]) li++;
        acc *a = &by_lead[li];
        /* rank of the observation among the members; ties split at random */
        size_t below = 0, ties = 0;
        for (size_t j = 0; j < k; j++) {
            below += x[j] < y;
            ties += x[j] == y;
        }
        rs ^= rs << 13;
        rs ^= rs >> 7;
        rs ^= rs << 17;
        size_t rk = below + (ties ? (size_t)(rs % (ties + 1)) : 0);
        if (k == m) rank[rk]++;
        double cr = fc_crps_ens_fair(x, k, y);
        a->n++;
        a->crps_raw += cr;
        a->crps_raw_edf += fc_crps_ens(x, k, y);
        a->crps_clim += clim_crps(&cl[f->station[r]], y);
        a->ae_raw += fabs(mean - y);
        a->se_raw += (mean - y) * (mean - y);
        a->e_raw += mean - y;
        a->var_raw += sd * sd;
        /* the calibrated distribution, else the raw ensemble, gives the probabilities */
        double mu = NAN, sigma = NAN;
        /* a row calibrate passed through raw (model=raw) is scored as its ensemble */
        int passed_raw = c_model >= 0 && strcmp(pol__table_get(f->t, r, (size_t)c_model), "raw") == 0;
        if (cal && !passed_raw) {
            int okm = pol__forecast_num(pol__table_get(f->t, r, (size_t)c_mu), &mu) == 1;
            int oks = pol__forecast_num(pol__table_get(f->t, r, (size_t)c_sigma), &sigma) == 1;
            if (!okm || !oks || !(sigma > 0)) {
                bad_cells++;
                mu = sigma = NAN;
            }
        }
        if (!isnan(mu)) {
            double yy = dist != FC_GAUSS && y < 0 ? 0 : y;
            double cc = fc_crps(dist, mu, sigma, yy, NULL, NULL);
            double mean_c = fc_mean(dist, mu, sigma);
            double var_c = dist == FC_GAUSS ? sigma * sigma
                         : dist == FC_CLOGIS ? sigma * sigma * M_PI * M_PI / 3 : sigma * sigma;
            a->n_cal++;
            n_cal++;
            a->crps_cal += cc;
            a->ae_cal += fabs(mean_c - y);
            a->se_cal += (mean_c - y) * (mean_c - y);
            a->e_cal += mean_c - y;
            a->var_cal += var_c;
            double u = fc_cdf(dist, mu, sigma, yy);
            if (yy <= 0 && dist != FC_GAUSS) { /* the point mass at 0: a random PIT below F(0) */
                rs ^= rs << 13;
                rs ^= rs >> 7;
                rs ^= rs << 17;
                u *= (double)(rs >> 11) / 9007199254740992.0;
            }
            int b = (int)(u * PIT_BINS);
            pit[b < 0 ? 0 : b >= PIT_BINS ? PIT_BINS - 1 : b]++;
        } else if (cal) {
            a->crps_cal += cr; /* passed through raw: scored as its ensemble */
            a->n_cal++;
            n_cal++;
            a->ae_cal += fabs(mean - y);
            a->se_cal += (mean - y) * (mean - y);
            a->e_cal += mean - y;
            a->var_cal += sd * sd;
        }
        n_prob++;
        for (size_t t = 0; t < n_thr; t++) {
            double p;
            if (!isnan(mu))
                p = 1 - fc_cdf(dist, mu, sigma, thr[t]);
            else {
                size_t above = 0;
                for (size_t j = 0; j < k; j++) above += x[j] > thr[t];
                p = (double)above / (double)k;
            }
            double o = y > thr[t];
            brier[t] += (p - o) * (p - o);
            base[t] += o;
            int b = (int)(p * REL_BINS);
            if (b >= REL_BINS) b = REL_BINS - 1;
            if (b < 0) b = 0;
            rel_p[t][b] += p;
            rel_o[t][b] += o;
            rel_n[t][b]++;
        }
    }
    pol__jv *d = pol__jv_obj();
    acc all = {0};
    for (size_t i = 0; i < nl; i++) acc_add(&all, &by_lead[i]);
    pol__jv_set(d, "rows", pol__jv_int((long long)n));
    pol__jv_set(d, "members", pol__jv_int((long long)m));
    pol__jv_set(d, "calibrated", pol__jv_bool(cal));
    if (cal) {
        static const char *const dn[] = {"gaussian", "truncnormal", "clogistic"};
        pol__jv_set(d, "distribution", pol__jv_str(dn[dist]));
    }
    pol__jv_set(d, "rows_without_obs", pol__jv_int((long long)f->n_missing_obs));
    pol__jv_set(d, "duplicate_rows_skipped", pol__jv_int((long long)f->n_dup));
    if (bad_cells) pol__jv_set(d, "rows_scored_raw", pol__jv_int((long long)bad_cells));
    pol__jv_set(d, "overall", acc_json(&all, m));
    pol__jv *pl = pol__jv_arr_at(d, "by_lead");
    for (size_t i = 0; i < nl; i++) {
        if (!by_lead[i].n) continue;
        pol__jv *o = acc_json(&by_lead[i], m);
        pol__jv_set(o, "lead_h", pol__jv_num(leads[i]));
        pol__jv_push(pl, o);
    }
    pol__jv *rh = pol__jv_arr_at(d, "rank_histogram");
    size_t rtot = 0;
    for (size_t i = 0; i <= m; i++) rtot += rank[i];
    for (size_t i = 0; i <= m; i++) pol__jv_push(rh, pol__jv_int((long long)rank[i]));
    if (n_cal) {
        pol__jv *ph = pol__jv_arr_at(d, "pit_histogram");
        for (int i = 0; i < PIT_BINS; i++) pol__jv_push(ph, pol__jv_int((long long)pit[i]));
    }
    pol__jv *th = pol__jv_arr_at(d, "thresholds");
    for (size_t t = 0; t < n_thr; t++) {
        pol__jv *o = pol__jv_push(th, pol__jv_obj());
        double bs = brier[t] / (double)n_prob, br = base[t] / (double)n_prob;
        pol__jv_set(o, "threshold", pol__jv_num(thr[t]));
        pol__jv_set(o, "base_rate", pol__jv_num(br));
        pol__jv_set(o, "brier", pol__jv_num(bs));
        pol__jv_set(o, "brier_skill_vs_climatology", pol__jv_num(br > 0 && br < 1 ? 1 - bs / (br * (1 - br)) : NAN));
        pol__jv *rel = pol__jv_arr_at(o, "reliability");
        for (int b = 0; b < REL_BINS; b++) {
            if (!rel_n[t][b]) continue;
            pol__jv *e = pol__jv_push(rel, pol__jv_obj());
            pol__jv_set(e, "forecast", pol__jv_num(rel_p[t][b] / (double)rel_n[t][b]));
            pol__jv_set(e, "observed", pol__jv_num(rel_o[t][b] / (double)rel_n[t][b]));
            pol__jv_set(e, "count", pol__jv_int((long long)rel_n[t][b]));
        }
    }
    *doc = d;
    pol__measure(run, "crps_raw", all.crps_raw / (double)all.n);
    if (all.n_cal) {
        pol__measure(run, "crps_calibrated", all.crps_cal / (double)all.n_cal);
        pol__measure(run, "crps_skill_vs_raw", 1 - (all.crps_cal / (double)all.n_cal) / (all.crps_raw / (double)all.n));
        pol__measure(run, "crps_skill_vs_raw_edf",
                     1 - (all.crps_cal / (double)all.n_cal) / (all.crps_raw_edf / (double)all.n));
    }
    pol__measure_int(run, "cases", (long long)all.n);
    /* plots */
    size_t nf = 0;
    if (figs && max_figs) {
        double v[1025];
        if (n_cal && nf < max_figs) {
            double tot = 0;
            for (int i = 0; i < PIT_BINS; i++) tot += pit[i];
            for (int i = 0; i < PIT_BINS; i++) v[i] = tot ? pit[i] / tot : 0;
            snprintf(figs[nf].title, sizeof figs[nf].title, "PIT histogram (calibrated)");
            if (!fc_plot_hist(figs[nf].title, v, PIT_BINS, 1.0 / PIT_BINS, &figs[nf].png, &figs[nf].len)) nf++;
        }
        if (m + 1 <= 1024 && rtot && nf < max_figs) {
            for (size_t i = 0; i <= m; i++) v[i] = (double)rank[i] / (double)rtot;
            snprintf(figs[nf].title, sizeof figs[nf].title, "Rank histogram (raw ensemble)");
            if (!fc_plot_hist(figs[nf].title, v, m + 1, 1.0 / (double)(m + 1), &figs[nf].png, &figs[nf].len)) nf++;
        }
        for (size_t t = 0; t < n_thr && nf < max_figs; t++) {
            double fp[REL_BINS], of[REL_BINS];
            for (int b = 0; b < REL_BINS; b++) {
                fp[b] = rel_n[t][b] ? rel_p[t][b] / (double)rel_n[t][b] : 0;
                of[b] = rel_n[t][b] ? rel_o[t][b] / (double)rel_n[t][b] : 0;
            }
            snprintf(figs[nf].title, sizeof figs[nf].title, "Reliability, P(obs > %g)", thr[t]);
            if (!fc_plot_reliability(figs[nf].title, fp, of, rel_n[t], REL_BINS, &figs[nf].png, &figs[nf].len)) nf++;
        }
        *n_figs = nf;
    }
    free(by_lead);
done:
    free(leads);
    free(x);
    free(allobs);
    for (size_t s = 0; cl && s < f->n_names; s++) {
        free(cl[s].x);
        free(cl[s].pre);
    }
    free(cl);
    free(rank);
    return st;
}
