/* polish — forecast: fitting (EMOS, MOS, decaying-average bias) by station, region or globally,
 * per lead time, in rolling windows; applying a model to a table (parameters, quantiles,
 * exceedance probabilities, ECC members); the model as JSON. */
#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "forecast/forecast.h"

static const char *const method_names[] = {"emos", "mos", "bias", "raw"};
static const char *const dist_names[] = {"gaussian", "truncnormal", "clogistic"};
static const char *const scope_names[] = {"local", "regional", "global"};

void fc_model_free(fc_model *m)
{
    if (!m) return;
    for (size_t i = 0; i < m->n_fits; i++) free(m->fits[i].group);
    free(m->fits);
    for (size_t k = 0; k < m->n_pred; k++) free(m->pred_names[k]);
    free((char *)m->set.region_col);
    free((char *)m->set.predictors);
    memset(m, 0, sizeof *m);
}

/* ---- cases: the group each row belongs to ---------------------------------------------------- */

typedef struct view {
    const pol__forecast *f;
    long c_region;
    long c_pred[FC_MAX_PRED];
    size_t n_pred;
    int per_lead;
    fc_scope scope;
} view;

static const char *group_of(const view *v, size_t r, fc_scope scope)
{
    if (scope == FC_SCOPE_GLOBAL) return "*";
    if (scope == FC_SCOPE_REGIONAL) return pol__table_get(v->f->t, r, (size_t)v->c_region);
    return v->f->names[v->f->station[r]];
}

static double lead_of(const view *v, size_t r)
{
    return v->per_lead ? v->f->lead[r] : NAN;
}

static int lead_cmp(double a, double b)
{
    if (isnan(a) || isnan(b)) return isnan(a) - isnan(b);
    return (a > b) - (a < b);
}

typedef struct srt {
    const char *g;
    double lead, init;
    size_t r;
} srt;

static int cmp_srt(const void *a, const void *b)
{
    const srt *x = a, *y = b;
    int c = strcmp(x->g, y->g);
    if (!c) c = lead_cmp(x->lead, y->lead);
    if (!c) c = (x->init > y->init) - (x->init < y->init);
    if (!c) c = (x->r > y->r) - (x->r < y->r);
    return c;
}

static pol_status make_view(pol_run *run, const fc_settings *set, const fc_model *m,
                            const pol__forecast *f, const char *what, view *v)
{
    memset(v, 0, sizeof *v);
    v->f = f;
    v->per_lead = set->per_lead;
    v->scope = set->scope;
    v->c_region = -1;
    if (set->scope == FC_SCOPE_REGIONAL) {
        const char *rc = set->region_col ? set->region_col : "region";
        for (size_t c = 0; c < pol__table_cols(f->t); c++)
            if (strcasecmp(pol__table_name(f->t, c), rc) == 0) v->c_region = (long)c;
        if (v->c_region < 0)
            return pol__fail(run, POL_ERR_ARG, "%s: a regional fit needs a '%s' column", what, rc);
    }
    v->n_pred = m->n_pred;
    for (size_t k = 0; k < m->n_pred; k++) {
        v->c_pred[k] = -1;
        for (size_t c = 0; c < pol__table_cols(f->t); c++)
            if (strcasecmp(pol__table_name(f->t, c), m->pred_names[k]) == 0) v->c_pred[k] = (long)c;
        if (v->c_pred[k] < 0)
            return pol__fail(run, POL_ERR_ARG, "%s: no predictor column '%s'", what,
                             m->pred_names[k]);
    }
    return POL_OK;
}

/* The case's sample; 0 when it cannot be used (no member, a predictor missing). */
static int sample_of(const view *v, size_t r, fc_sample *s)
{
    memset(s, 0, sizeof *s);
    if (pol__forecast_moments(v->f, r, &s->mean, &s->sd) == 0) return 0;
    s->y = v->f->obs[r];
    for (size_t k = 0; k < v->n_pred; k++) {
        double x;
        if (pol__forecast_num(pol__table_get(v->f->t, r, (size_t)v->c_pred[k]), &x) != 1) return 0;
        s->pred[k] = x;
    }
    return 1;
}

/* ---- fitting ---------------------------------------------------------------------------------- */

typedef struct task {
    const srt *cases; /* sorted training cases of the task, by init time */
    size_t n;
    fc_fit *fit;
} task;

typedef struct fit_ctx {
    const fc_settings *set;
    const view *v;
    task *tasks;
    int failed_alloc;
} fit_ctx;

static void fit_one(const fit_ctx *c, task *t)
{
    const fc_settings *set = c->set;
    fc_fit *fit = t->fit;
    fit->method = set->method;
    fit->n = 0;
    if (set->method == FC_M_RAW) return;
    fc_sample *s = malloc((t->n ? t->n : 1) * sizeof *s);
    if (!s) return;
    size_t n = 0;
    for (size_t i = 0; i < t->n; i++)
        if (sample_of(c->v, t->cases[i].r, &s[n])) n++;
    if (n < set->min_train || n < 3) {
        free(s);
        return;
    }
    if (set->method == FC_M_EMOS) {
        if (fc_emos_fit(&fit->emos, set->dist, set->mle, s, n, c->v->n_pred) == 0) fit->n = n;
    } else if (set->method == FC_M_MOS) {
        size_t k = 2 + c->v->n_pred;
        double *X = malloc(n * k * sizeof *X), *y = malloc(n * sizeof *y), beta[FC_MAX_PRED + 2];
        double rsd;
        if (X && y) {
            for (size_t i = 0; i < n; i++) {
                X[i * k] = 1;
                X[i * k + 1] = s[i].mean;
                for (size_t j = 0; j < c->v->n_pred; j++) X[i * k + 2 + j] = s[i].pred[j];
                y[i] = s[i].y;
            }
            if (fc_ols(X, y, n, k, beta, &rsd) == 0 && rsd > 0) {
                memset(&fit->emos, 0, sizeof fit->emos);
                fit->emos.dist = FC_GAUSS;
                fit->emos.n_pred = c->v->n_pred;
                fit->emos.a = beta[0];
                fit->emos.b = beta[1];
                for (size_t j = 0; j < c->v->n_pred; j++) fit->emos.beta[j] = beta[2 + j];
                fit->emos.c = log(rsd);
                fit->emos.n = n;
                fit->emos.converged = 1;
                fit->n = n;
            }
        }
        free(X);
        free(y);
    } else { /* decaying-average bias, in time order; the spread of the corrected errors */
        double b = s[0].mean - s[0].y, ss = 0;
        for (size_t i = 1; i < n; i++) b += set->bias_weight * ((s[i].mean - s[i].y) - b);
        for (size_t i = 0; i < n; i++) {
            double e = s[i].y - (s[i].mean - b);
            ss += e * e;
        }
        memset(&fit->emos, 0, sizeof fit->emos);
        fit->bias = b;
        fit->emos.c = log(sqrt(ss / (double)n) + 1e-12);
        fit->n = n;
    }
    free(s);
}

static void fit_range(void *user, size_t a, size_t b)
{
    fit_ctx *c = user;
    for (size_t i = a; i < b; i++) fit_one(c, &c->tasks[i]);
}

static int cmp_fit(const fc_fit *x, const char *g, double lead, double until)
{
    int c = strcmp(x->group, g);
    if (!c) c = lead_cmp(x->lead, lead);
    if (!c) c = lead_cmp(x->until, until);
    return c;
}

static int cmp_fit_q(const void *a, const void *b)
{
    const fc_fit *y = b;
    return -cmp_fit(y, ((const fc_fit *)a)->group, ((const fc_fit *)a)->lead,
                    ((const fc_fit *)a)->until);
}

static const fc_fit *find_fit(const fc_model *m, const char *g, double lead, double until)
{
    fc_fit key = {.group = (char *)g, .lead = lead, .until = until};
    return bsearch(&key, m->fits, m->n_fits, sizeof *m->fits, cmp_fit_q);
}

/* A kept model with pooled leads serves a lead it has no fit for from the fit of the nearest lead
 * within the pooling window. */
static const fc_fit *find_fit_lead(const fc_model *m, const char *g, double lead, double until)
{
    const fc_fit *f = find_fit(m, g, lead, until);
    if (f || isnan(lead) || !(m->set.lead_window_h > 0) || !isnan(until)) return f;
    const fc_fit *best = NULL;
    for (size_t i = 0; i < m->n_fits; i++) {
        const fc_fit *x = &m->fits[i];
        if (strcmp(x->group, g) != 0 || isnan(x->lead) || !x->n) continue;
        double d = fabs(x->lead - lead);
        if (d <= m->set.lead_window_h && (!best || d < fabs(best->lead - lead))) best = x;
    }
    return best;
}

/* Cases of `tr` (sorted, within [a, b)) whose init time is in [from, to). */
static void window(const srt *tr, size_t a, size_t b, double from, double to, size_t *lo,
                   size_t *hi)
{
    size_t l = a, h = b;
    while (l < h && tr[l].init < from) l++;
    size_t e = l;
    while (e < h && tr[e].init < to) e++;
    *lo = l;
    *hi = e;
}

static pol_status add_task(pol_run *run, task **tasks, size_t *n, size_t *cap, fc_fit **fits,
                           const srt *cases, size_t k, const char *g, double lead, double until)
{
    if (*n == *cap) {
        size_t nc = *cap ? *cap * 2 : 64;
        task *t = realloc(*tasks, nc * sizeof *t);
        if (!t) return pol__fail(run, POL_ERR_NOMEM, "out of memory");
        *tasks = t;
        fc_fit *f = realloc(*fits, nc * sizeof *f);
        if (!f) return pol__fail(run, POL_ERR_NOMEM, "out of memory");
        *fits = f;
        *cap = nc;
    }
    fc_fit *fit = &(*fits)[*n];
    memset(fit, 0, sizeof *fit);
    fit->group = pol__strdup(g);
    if (!fit->group) return pol__fail(run, POL_ERR_NOMEM, "out of memory");
    fit->lead = lead;
    fit->until = until;
    (*tasks)[*n] = (task){cases, k, NULL};
    (*n)++;
    return POL_OK;
}

/* Sorted cases of f by (group, lead, init); rows failing `keep` left out. */
static srt *sorted_cases(const view *v, fc_scope scope, int need_obs, size_t *n)
{
    const pol__forecast *f = v->f;
    srt *s = malloc((f->n ? f->n : 1) * sizeof *s);
    if (!s) return NULL;
    size_t k = 0;
    for (size_t r = 0; r < f->n; r++) {
        if (need_obs && (isnan(f->obs[r]) || f->dup[r])) continue;
        s[k++] = (srt){group_of(v, r, scope), lead_of(v, r), f->init[r], r};
    }
    qsort(s, k, sizeof *s, cmp_srt);
    *n = k;
    return s;
}

/* First index of `s[0..n)` not below key (sorted by cmp_srt). */
static size_t lower_srt(const srt *s, size_t n, const srt *key)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (cmp_srt(&s[mid], key) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

static int cmp_init(const void *a, const void *b)
{
    const srt *x = a, *y = b;
    int c = (x->init > y->init) - (x->init < y->init);
    return c ? c : (x->r > y->r) - (x->r < y->r);
}

typedef struct bufs {
    srt **v;
    size_t n, cap;
} bufs;

/* The tasks of one (group, lead): the training cases tr[a..b) (sorted by init time); rolling
 * windows by the forecasts' init times in ap (sorted), one fit per init. */
static pol_status tasks_of(pol_run *run, const fc_settings *set, const srt *tr, size_t a, size_t b,
                           const char *g, double lead, const srt *ap, size_t nap, task **tasks,
                           size_t *nt, size_t *cap, fc_fit **fits)
{
    double W = set->window_days * 86400.0;
    if (W <= 0) return add_task(run, tasks, nt, cap, fits, tr + a, b - a, g, lead, NAN);
    if (!ap) { /* a model to keep: the last window of the training data */
        size_t lo, hi;
        window(tr, a, b, b > a ? tr[b - 1].init - W : 0, INFINITY, &lo, &hi);
        return add_task(run, tasks, nt, cap, fits, tr + lo, hi - lo, g, lead, NAN);
    }
    size_t j = lower_srt(ap, nap, &(srt){g, lead, -INFINITY, 0});
    double last = NAN, lag = 0; /* past only: the window ends a longest lead before the init */
    for (size_t i = a; set->past_only && i < b; i++)
        if (tr[i].lead * 3600.0 > lag) lag = tr[i].lead * 3600.0;
    pol_status st = POL_OK;
    for (size_t q = j; q < nap && strcmp(ap[q].g, g) == 0 && lead_cmp(ap[q].lead, lead) == 0 && !st;
         q++) {
        if (ap[q].init == last) continue;
        last = ap[q].init;
        size_t lo, hi;
        window(tr, a, b, last - lag - W, last - lag + (set->past_only ? 1 : 0), &lo, &hi);
        st = add_task(run, tasks, nt, cap, fits, tr + lo, hi - lo, g, lead, last);
    }
    return st;
}

/* Pooling neighbouring lead times: the fit for lead L of a group uses its training cases at every
 * lead within L +- H hours, so coefficients change smoothly with lead and each fit has more
 * cases. One fit per lead of the training table and (calibrating) of the forecasts. */
static pol_status plan_pooled(pol_run *run, const fc_settings *set, const srt *tr, size_t ntr,
                              const srt *ap, size_t nap, task **tasks, size_t *nt, size_t *cap,
                              fc_fit **fits, bufs *keep)
{
    double H = set->lead_window_h;
    double *leads = NULL;
    pol_status st = POL_OK;
    for (size_t a = 0; a < ntr && !st;) {
        size_t b = a;
        while (b < ntr && strcmp(tr[b].g, tr[a].g) == 0) b++;
        /* the distinct leads of the group, training and forecast */
        size_t a0 = ap ? lower_srt(ap, nap, &(srt){tr[a].g, -INFINITY, -INFINITY, 0}) : 0, a1 = a0;
        while (ap && a1 < nap && strcmp(ap[a1].g, tr[a].g) == 0) a1++;
        free(leads);
        leads = malloc((b - a + a1 - a0) * sizeof *leads);
        if (!leads) return pol__fail(run, POL_ERR_NOMEM, "out of memory");
        size_t nl = 0;
        for (size_t i = a; i < b; i++)
            if (!nl || leads[nl - 1] != tr[i].lead) leads[nl++] = tr[i].lead;
        size_t ntrl = nl;
        for (size_t i = a0; i < a1; i++) {
            int seen = 0;
            for (size_t k = 0; k < ntrl && !seen; k++) seen = leads[k] == ap[i].lead;
            if (!seen && (nl == ntrl || leads[nl - 1] != ap[i].lead)) leads[nl++] = ap[i].lead;
        }
        for (size_t l = 0; l < nl && !st; l++) {
            double L = leads[l];
            size_t k = 0;
            for (size_t i = a; i < b; i++) k += fabs(tr[i].lead - L) <= H;
            if (!k) continue;
            if (POL_GROW(keep->v, keep->cap, keep->n + 1, 64)) {
                st = pol__fail(run, POL_ERR_NOMEM, "out of memory");
                break;
            }
            srt *c = malloc(k * sizeof *c);
            if (!c) {
                st = pol__fail(run, POL_ERR_NOMEM, "out of memory");
                break;
            }
            keep->v[keep->n++] = c;
            k = 0;
            for (size_t i = a; i < b; i++)
                if (fabs(tr[i].lead - L) <= H) c[k++] = tr[i];
            qsort(c, k, sizeof *c, cmp_init);
            st = tasks_of(run, set, c, 0, k, tr[a].g, L, ap, nap, tasks, nt, cap, fits);
        }
        a = b;
    }
    free(leads);
    return st;
}

static pol_status plan_scope(pol_run *run, const fc_settings *set, const view *tv,
                             const view *av, fc_scope scope, task **tasks, size_t *nt,
                             size_t *cap, fc_fit **fits, srt **keep_tr, srt **keep_ap, bufs *pool)
{
    size_t ntr, nap = 0;
    srt *tr = sorted_cases(tv, scope, 1, &ntr);
    srt *ap = av ? sorted_cases(av, scope, 0, &nap) : NULL;
    if (!tr || (av && !ap)) {
        free(tr);
        free(ap);
        return pol__fail(run, POL_ERR_NOMEM, "out of memory");
    }
    *keep_tr = tr;
    *keep_ap = ap;
    if (set->per_lead && set->lead_window_h > 0)
        return plan_pooled(run, set, tr, ntr, ap, nap, tasks, nt, cap, fits, pool);
    for (size_t a = 0; a < ntr;) {
        size_t b = a;
        while (b < ntr && strcmp(tr[b].g, tr[a].g) == 0 && lead_cmp(tr[b].lead, tr[a].lead) == 0)
            b++;
        pol_status st = tasks_of(run, set, tr, a, b, tr[a].g, tr[a].lead, ap, nap, tasks, nt, cap,
                                 fits);
        if (st) return st;
        a = b;
    }
    return POL_OK;
}

pol_status fc_model_fit(pol_run *run, const fc_settings *set, const pol__forecast *train,
                        const pol__forecast *apply, fc_model *out)
{
    memset(out, 0, sizeof *out);
    out->set = *set;
    out->set.region_col = set->region_col ? pol__strdup(set->region_col) : NULL;
    out->set.predictors = set->predictors ? pol__strdup(set->predictors) : NULL;
    /* predictor names */
    for (const char *p = set->predictors; p && *p;) {
        while (*p == ',' || *p == ' ') p++;
        const char *e = p;
        while (*e && *e != ',') e++;
        const char *te = e;
        while (te > p && te[-1] == ' ') te--;
        if (te > p) {
            if (out->n_pred == FC_MAX_PRED) {
                fc_model_free(out);
                return pol__fail(run, POL_ERR_ARG, "at most %d predictors", FC_MAX_PRED);
            }
            out->pred_names[out->n_pred] = pol__strndup(p, (size_t)(te - p));
            if (!out->pred_names[out->n_pred++]) {
                fc_model_free(out);
                return pol__fail(run, POL_ERR_NOMEM, "out of memory");
            }
        }
        p = e;
    }
    view tv, av;
    pol_status st = make_view(run, set, out, train, "--train", &tv);
    if (!st && apply) st = make_view(run, set, out, apply, "--apply", &av);
    if (st) {
        fc_model_free(out);
        return st;
    }
    size_t used = 0;
    for (size_t r = 0; r < train->n; r++) used += !isnan(train->obs[r]) && !train->dup[r];
    pol__measure_int(run, "training_rows", (long long)train->n);
    pol__measure_int(run, "training_cases", (long long)used);
    if (train->n_missing_obs)
        pol__decide(run, "%zu training rows without an observation left out", train->n_missing_obs);
    if (train->n_dup)
        pol__warn(run, "%zu training rows repeat an earlier (station, init_time, lead_h); the "
                  "first of each kept", train->n_dup);
    if (train->n_nan_members)
        pol__decide(run, "%zu missing (NaN) training members left out of their ensembles",
                    train->n_nan_members);
    if (train->unsorted) pol__decide(run, "training rows are not in time order; sorted");
    if (used == 0 && set->method != FC_M_RAW) {
        fc_model_free(out);
        return pol__fail(run, POL_ERR_EMPTY, "--train: no row has both an observation and members");
    }
    task *tasks = NULL;
    fc_fit *fits = NULL;
    size_t nt = 0, cap = 0;
    srt *keep[4] = {NULL, NULL, NULL, NULL};
    bufs pool = {0};
    st = plan_scope(run, set, &tv, apply ? &av : NULL, set->scope, &tasks, &nt, &cap, &fits,
                    &keep[0], &keep[1], &pool);
    if (!st && set->scope != FC_SCOPE_GLOBAL) /* the fall-back for groups with few cases */
        st = plan_scope(run, set, &tv, apply ? &av : NULL, FC_SCOPE_GLOBAL, &tasks, &nt, &cap,
                        &fits, &keep[2], &keep[3], &pool);
    if (!st) {
        for (size_t i = 0; i < nt; i++) tasks[i].fit = &fits[i];
        fit_ctx c = {set, &tv, tasks, 0};
        pol__parallel_for(run, nt, 4, fit_range, &c);
    }
    for (int i = 0; i < 4; i++) free(keep[i]);
    for (size_t i = 0; i < pool.n; i++) free(pool.v[i]);
    free(pool.v);
    free(tasks);
    out->fits = fits;
    out->n_fits = nt;
    if (st) {
        fc_model_free(out);
        return st;
    }
    /* sorted for lookup; identical keys cannot occur (one task per group, lead, init) */
    qsort(out->fits, out->n_fits, sizeof *out->fits, cmp_fit_q);
    size_t ok = 0, conv = 0;
    for (size_t i = 0; i < nt; i++) {
        ok += fits[i].n > 0;
        conv += fits[i].n > 0 && fits[i].emos.converged;
    }
    pol__measure_int(run, "fits", (long long)nt);
    pol__measure_int(run, "fits_with_enough_cases", (long long)ok);
    if (set->method == FC_M_EMOS) pol__measure_int(run, "fits_converged", (long long)conv);
    char pooled[96] = "";
    if (set->per_lead && set->lead_window_h > 0)
        snprintf(pooled, sizeof pooled, " (pooling the leads within %g h)", set->lead_window_h);
    pol__decide(run, "%s (%s%s) fitted %s%s%s: %zu models", method_names[set->method],
                set->method == FC_M_EMOS ? dist_names[set->dist] : "",
                set->method == FC_M_EMOS ? (set->mle ? ", maximum likelihood" : ", minimum CRPS") : "",
                scope_names[set->scope], set->per_lead ? " per lead time" : "", pooled, ok);
    return POL_OK;
}

/* ---- applying ----------------------------------------------------------------------------- */

static int cmp_dbl(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Empirical quantile (linear interpolation between order statistics) of sorted x[0..k). */
static double emp_quantile(const double *x, size_t k, double p)
{
    if (k == 1) return x[0];
    double h = p * (double)(k - 1);
    size_t i = (size_t)floor(h);
    if (i >= k - 1) return x[k - 1];
    return x[i] + (h - (double)i) * (x[i + 1] - x[i]);
}

static void fmt_num(char *buf, size_t cap, double v)
{
    if (!isfinite(v))
        buf[0] = '\0';
    else
        snprintf(buf, cap, "%.6g", v);
}

typedef struct apply_ctx {
    const fc_model *m;
    pol__forecast *f;
    const view *v;
    const fc_output *o;
    long c_mu, c_q0, c_p0, c_e0, c_dist, c_model, c_flag;
    pol__arena **arenas; /* one per chunk */
    size_t n_chunks, chunk;
    size_t *n_raw, *n_global, *n_none;
} apply_ctx;

static void put(apply_ctx *c, pol__arena *ar, size_t r, long col, const char *s)
{
    char *p = pol__arena_strndup(ar, s, strlen(s));
    pol__table_set_ref(c->f->t, r, (size_t)col, p ? p : "");
}

static void put_num(apply_ctx *c, pol__arena *ar, size_t r, long col, double v)
{
    char buf[40];
    fmt_num(buf, sizeof buf, v);
    put(c, ar, r, col, buf);
}

static void apply_range(void *user, size_t a, size_t b)
{
    apply_ctx *c = user;
    const fc_model *m = c->m;
    pol__forecast *f = c->f;
    size_t ci = a / c->chunk;
    pol__arena *ar = c->arenas[ci];
    double *x = malloc((f->m ? f->m : 1) * 2 * sizeof *x);
    size_t *rk = malloc((f->m ? f->m : 1) * sizeof *rk);
    if (!x || !rk) {
        free(x);
        free(rk);
        return;
    }
    double *q = x + f->m;
    for (size_t r = a; r < b; r++) {
        fc_sample s;
        int usable = sample_of(c->v, r, &s);
        size_t k = pol__forecast_members(f, r, x);
        if (k == 0 || !usable) {
            put(c, ar, r, c->c_model, "none");
            put(c, ar, r, c->c_flag, k == 0 ? "no members" : "a predictor is missing");
            c->n_none[ci]++;
            continue;
        }
        const fc_fit *fit = NULL;
        const char *flag = "";
        const char *src = "raw";
        char why[160];
        if (m->set.method != FC_M_RAW) {
            const char *g = group_of(c->v, r, m->set.scope);
            double lead = lead_of(c->v, r);
            double until = m->set.window_days > 0 && !isnan(m->fits ? m->fits[0].until : NAN)
                               ? f->init[r] : NAN;
            fit = find_fit_lead(m, g, lead, until);
            if (fit && fit->n) {
                src = scope_names[m->set.scope];
            } else if (!fit && m->set.scope == FC_SCOPE_LOCAL) {
                snprintf(why, sizeof why, "no training data for station %.60s%s", g,
                         isnan(lead) ? "" : " at this lead time");
                flag = why;
                fit = NULL;
            } else {
                const fc_fit *gf = find_fit_lead(m, "*", lead, until);
                if (gf && gf->n) {
                    fit = gf;
                    src = "global";
                    snprintf(why, sizeof why, "too few training cases for %.60s: global model", g);
                    flag = why;
                    c->n_global[ci]++;
                } else {
                    fit = NULL;
                    snprintf(why, sizeof why, "no model with enough training cases%s",
                             isnan(lead) ? "" : " at this lead time");
                    flag = why;
                }
            }
        }
        int raw = !fit || !fit->n;
        double mu, sigma;
        fc_dist dist = FC_GAUSS;
        if (raw) {
            if (m->set.method != FC_M_RAW) c->n_raw[ci]++;
            mu = s.mean;
            sigma = s.sd;
        } else if (fit->method == FC_M_BIAS) {
            mu = s.mean - fit->bias;
            sigma = k > 1 ? s.sd : exp(fit->emos.c);
        } else {
            dist = fit->emos.dist;
            fc_emos_predict(&fit->emos, &s, &mu, &sigma);
        }
        put_num(c, ar, r, c->c_mu, mu);
        put_num(c, ar, r, c->c_mu + 1, sigma);
        /* raw (and bias-shifted) ensembles: the members' own quantiles and frequencies */
        int empirical = raw || fit->method == FC_M_BIAS;
        double shift = !raw && fit->method == FC_M_BIAS ? -fit->bias : 0;
        double *sx = q;
        for (size_t i = 0; i < k; i++) sx[i] = x[i] + shift;
        qsort(sx, k, sizeof *sx, cmp_dbl);
        for (size_t i = 0; i < c->o->n_q; i++) {
            double p = c->o->quantiles[i];
            double v = empirical ? emp_quantile(sx, k, p)
                                 : (sigma > 0 ? fc_quantile(dist, mu, sigma, p) : mu);
            put_num(c, ar, r, c->c_q0 + (long)i, v);
        }
        for (size_t i = 0; i < c->o->n_thr; i++) {
            double t = c->o->thresholds[i], p;
            if (empirical) {
                size_t above = 0;
                for (size_t j = 0; j < k; j++) above += sx[j] > t;
                p = (double)above / (double)k;
            } else {
                p = sigma > 0 ? 1 - fc_cdf(dist, mu, sigma, t) : (mu > t);
            }
            put_num(c, ar, r, c->c_p0 + (long)i, p);
        }
        if (c->o->ecc) {
            /* ECC-Q: the calibrated quantiles at levels j/(k+1), in the raw members' rank order */
            if (!empirical)
                for (size_t j = 0; j < k; j++)
                    sx[j] = sigma > 0 ? fc_quantile(dist, mu, sigma, (double)(j + 1) / (double)(k + 1))
                                      : mu;
            for (size_t j = 0; j < f->m; j++) {
                double raw_v = f->ens[r * f->m + j];
                if (isnan(raw_v)) {
                    put(c, ar, r, c->c_e0 + (long)j, "");
                    continue;
                }
                size_t rank = 0;
                for (size_t i = 0; i < f->m; i++) {
                    double o = f->ens[r * f->m + i];
                    if (isnan(o)) continue;
                    rank += o < raw_v || (o == raw_v && i < j);
                }
                put_num(c, ar, r, c->c_e0 + (long)j, sx[rank]);
            }
        }
        put(c, ar, r, c->c_dist, dist_names[dist]);
        put(c, ar, r, c->c_model, raw ? "raw" : src);
        put(c, ar, r, c->c_flag, flag);
    }
    free(x);
    free(rk);
}

static void chunk_range(void *user, size_t a, size_t b)
{
    apply_ctx *c = user;
    for (size_t i = a; i < b; i++) {
        size_t lo = i * c->chunk, hi = lo + c->chunk;
        apply_range(c, lo, hi < c->f->n ? hi : c->f->n);
    }
}

static pol_status add_col(pol_run *run, pol__forecast *f, const char *name, long *col)
{
    for (size_t c = 0; c < pol__table_cols(f->t); c++)
        if (strcasecmp(pol__table_name(f->t, c), name) == 0)
            return pol__fail(run, POL_ERR_ARG,
                             "the table already has a column '%s' (is it calibrated already?)",
                             name);
    *col = pol__table_add_col(f->t, name);
    if (*col < 0) return pol__fail(run, POL_ERR_NOMEM, "out of memory");
    return POL_OK;
}

pol_status fc_model_apply(pol_run *run, const fc_model *m, pol__forecast *f, const fc_output *o)
{
    view v;
    pol_status st = make_view(run, &m->set, m, f, "--apply", &v);
    if (st) return st;
    apply_ctx c = {.m = m, .f = f, .v = &v, .o = o};
    long col = -1;
    st = add_col(run, f, "mu", &c.c_mu);
    if (!st) st = add_col(run, f, "sigma", &col);
    for (size_t i = 0; i < o->n_q && !st; i++) {
        char name[32];
        double pct = o->quantiles[i] * 100;
        if (fabs(pct - round(pct)) < 1e-9)
            snprintf(name, sizeof name, "q%02d", (int)round(pct));
        else
            snprintf(name, sizeof name, "q%g", pct);
        st = add_col(run, f, name, &col);
        if (i == 0) c.c_q0 = col;
    }
    for (size_t i = 0; i < o->n_thr && !st; i++) {
        char name[48];
        snprintf(name, sizeof name, "p_gt_%g", o->thresholds[i]);
        st = add_col(run, f, name, &col);
        if (i == 0) c.c_p0 = col;
    }
    for (size_t j = 0; o->ecc && j < f->m && !st; j++) {
        char name[32];
        snprintf(name, sizeof name, "ecc_%zu", j + 1);
        st = add_col(run, f, name, &col);
        if (j == 0) c.c_e0 = col;
    }
    /* what mu and sigma describe, row by row (verify reads it) */
    if (!st) st = add_col(run, f, "distribution", &c.c_dist);
    if (!st) st = add_col(run, f, "model", &c.c_model);
    if (!st) st = add_col(run, f, "flag", &c.c_flag);
    if (st) return st;
    c.chunk = 4096;
    c.n_chunks = f->n ? (f->n + c.chunk - 1) / c.chunk : 0;
    size_t nc = c.n_chunks ? c.n_chunks : 1;
    c.arenas = calloc(nc, sizeof *c.arenas);
    c.n_raw = calloc(nc, sizeof(size_t));
    c.n_global = calloc(nc, sizeof(size_t));
    c.n_none = calloc(nc, sizeof(size_t));
    if (!c.arenas || !c.n_raw || !c.n_global || !c.n_none) st = pol__fail(run, POL_ERR_NOMEM, "out of memory");
    for (size_t i = 0; i < c.n_chunks && !st; i++)
        if (!(c.arenas[i] = pol__arena_new())) st = pol__fail(run, POL_ERR_NOMEM, "out of memory");
    if (!st) pol__parallel_for(run, c.n_chunks, 1, chunk_range, &c);
    size_t n_raw = 0, n_global = 0, n_none = 0;
    for (size_t i = 0; i < c.n_chunks; i++) {
        n_raw += c.n_raw[i];
        n_global += c.n_global[i];
        n_none += c.n_none[i];
        if (!st && pol__table_adopt_arena(f->t, c.arenas[i]))
            st = pol__fail(run, POL_ERR_NOMEM, "out of memory");
        c.arenas[i] = NULL;
    }
    for (size_t i = 0; i < c.n_chunks && c.arenas; i++) pol__arena_free(c.arenas[i]);
    free(c.arenas);
    free(c.n_raw);
    free(c.n_global);
    free(c.n_none);
    if (st) return st;
    pol__measure_int(run, "rows", (long long)f->n);
    pol__measure_int(run, "rows_raw_passed_through", (long long)n_raw);
    pol__measure_int(run, "rows_global_fallback", (long long)n_global);
    pol__measure_int(run, "rows_without_members", (long long)n_none);
    if (n_raw && m->set.method != FC_M_RAW)
        pol__warn(run, "%zu rows had no model (a station without training data, or too few cases): "
                  "the raw ensemble is passed through, model=raw and the reason in 'flag'", n_raw);
    if (n_global)
        pol__decide(run, "%zu rows of stations with few training cases used the global model",
                    n_global);
    if (n_none) pol__warn(run, "%zu rows have no members: left without a forecast (flag)", n_none);
    if (f->n_dup)
        pol__warn(run, "%zu rows repeat an earlier (station, init_time, lead_h); each is "
                  "calibrated as it stands", f->n_dup);
    return POL_OK;
}

/* ---- the model as JSON ---------------------------------------------------------------------- */

static pol__jv *num_or_null(double v)
{
    return isfinite(v) ? pol__jv_num_exact(v) : pol__jv_null();
}

pol__jv *fc_model_json(const fc_model *m)
{
    pol__jv *d = pol__jv_obj();
    if (!d) return NULL;
    pol__jv_set(d, "format", pol__jv_str("polish-forecast-model"));
    pol__jv_set(d, "version", pol__jv_int(1));
    pol__jv_set(d, "method", pol__jv_str(method_names[m->set.method]));
    pol__jv_set(d, "distribution", pol__jv_str(dist_names[m->set.dist]));
    pol__jv_set(d, "estimator", pol__jv_str(m->set.mle ? "mle" : "crps"));
    pol__jv_set(d, "scope", pol__jv_str(scope_names[m->set.scope]));
    if (m->set.region_col) pol__jv_set(d, "region_column", pol__jv_str(m->set.region_col));
    pol__jv_set(d, "per_lead", pol__jv_bool(m->set.per_lead));
    pol__jv_set(d, "window_days", pol__jv_num_exact(m->set.window_days));
    pol__jv_set(d, "lead_window_h", pol__jv_num_exact(m->set.lead_window_h));
    pol__jv_set(d, "min_train", pol__jv_int((long long)m->set.min_train));
    pol__jv_set(d, "bias_weight", pol__jv_num_exact(m->set.bias_weight));
    pol__jv_set(d, "link", pol__jv_str("loc = a + b*mean + beta.x; log scale = c + d*log(sd)"));
    pol__jv *pr = pol__jv_arr_at(d, "predictors");
    for (size_t k = 0; k < m->n_pred; k++) pol__jv_push(pr, pol__jv_str(m->pred_names[k]));
    pol__jv *fits = pol__jv_arr_at(d, "fits");
    for (size_t i = 0; i < m->n_fits; i++) {
        const fc_fit *f = &m->fits[i];
        pol__jv *o = pol__jv_push(fits, pol__jv_obj());
        if (!o) continue;
        pol__jv_set(o, "group", pol__jv_str(f->group));
        pol__jv_set(o, "lead_h", num_or_null(f->lead));
        pol__jv_set(o, "n", pol__jv_int((long long)f->n));
        if (!f->n) continue;
        if (f->method == FC_M_BIAS) {
            pol__jv_set(o, "bias", pol__jv_num_exact(f->bias));
            pol__jv_set(o, "c", pol__jv_num_exact(f->emos.c));
            continue;
        }
        pol__jv_set(o, "a", pol__jv_num_exact(f->emos.a));
        pol__jv_set(o, "b", pol__jv_num_exact(f->emos.b));
        pol__jv *be = pol__jv_arr_at(o, "beta");
        for (size_t k = 0; k < f->emos.n_pred; k++) pol__jv_push(be, pol__jv_num_exact(f->emos.beta[k]));
        pol__jv_set(o, "c", pol__jv_num_exact(f->emos.c));
        pol__jv_set(o, "d", pol__jv_num_exact(f->emos.d));
        pol__jv_set(o, "use_sd", pol__jv_bool(f->emos.use_sd));
        if (f->method == FC_M_EMOS) {
            pol__jv_set(o, "score", num_or_null(f->emos.score));
            pol__jv_set(o, "converged", pol__jv_bool(f->emos.converged));
        }
    }
    return d;
}

static int name_index(const char *const *names, size_t n, const char *s)
{
    for (size_t i = 0; s && i < n; i++)
        if (strcmp(names[i], s) == 0) return (int)i;
    return -1;
}

static double jnum(json_t *o, const char *k, double def)
{
    json_t *v = json_object_get(o, k);
    return json_is_number(v) ? json_number_value(v) : def;
}

pol_status fc_model_from_json(pol_run *run, const char *text, const char *what, fc_model *out)
{
    memset(out, 0, sizeof *out);
    json_error_t je;
    json_t *root = json_loads(text, 0, &je);
    if (!root) return pol__fail(run, POL_ERR_FORMAT, "%s: not JSON (line %d: %s)", what, je.line, je.text);
    pol_status st = POL_OK;
    const char *fmt = json_string_value(json_object_get(root, "format"));
    int meth = name_index(method_names, 4, json_string_value(json_object_get(root, "method")));
    int dist = name_index(dist_names, 3, json_string_value(json_object_get(root, "distribution")));
    int scope = name_index(scope_names, 3, json_string_value(json_object_get(root, "scope")));
    json_t *fits = json_object_get(root, "fits");
    if (!fmt || strcmp(fmt, "polish-forecast-model") != 0 || meth < 0 || dist < 0 || scope < 0 ||
        !json_is_array(fits)) {
        json_decref(root);
        return pol__fail(run, POL_ERR_FORMAT, "%s: not a polish forecast model (made by "
                         "'polish forecast fit')", what);
    }
    fc_settings *s = &out->set;
    s->method = (fc_method)meth;
    s->dist = (fc_dist)dist;
    s->scope = (fc_scope)scope;
    const char *est = json_string_value(json_object_get(root, "estimator"));
    s->mle = est && strcmp(est, "mle") == 0;
    s->per_lead = json_is_true(json_object_get(root, "per_lead"));
    s->window_days = 0; /* a kept model serves every init time */
    s->lead_window_h = jnum(root, "lead_window_h", 0);
    s->min_train = (size_t)jnum(root, "min_train", 0);
    s->bias_weight = jnum(root, "bias_weight", 0);
    const char *rc = json_string_value(json_object_get(root, "region_column"));
    if (rc) s->region_col = pol__strdup(rc);
    json_t *pr = json_object_get(root, "predictors");
    for (size_t k = 0; json_is_array(pr) && k < json_array_size(pr) && !st; k++) {
        const char *p = json_string_value(json_array_get(pr, k));
        if (!p || k >= FC_MAX_PRED) {
            st = pol__fail(run, POL_ERR_FORMAT, "%s: bad predictor list", what);
            break;
        }
        out->pred_names[out->n_pred++] = pol__strdup(p);
    }
    size_t n = json_array_size(fits);
    out->fits = calloc(n ? n : 1, sizeof *out->fits);
    if (!out->fits && !st) st = pol__fail(run, POL_ERR_NOMEM, "out of memory");
    for (size_t i = 0; i < n && !st; i++) {
        json_t *o = json_array_get(fits, i);
        const char *g = json_string_value(json_object_get(o, "group"));
        fc_fit *f = &out->fits[i];
        if (!g || !(f->group = pol__strdup(g))) {
            st = pol__fail(run, POL_ERR_FORMAT, "%s: fit %zu has no group", what, i + 1);
            break;
        }
        out->n_fits++;
        f->lead = jnum(o, "lead_h", NAN);
        f->until = NAN;
        f->method = s->method;
        double nn = jnum(o, "n", 0);
        f->n = nn > 0 ? (size_t)nn : 0;
        f->bias = jnum(o, "bias", 0);
        f->emos.dist = s->method == FC_M_EMOS ? s->dist : FC_GAUSS;
        f->emos.a = jnum(o, "a", 0);
        f->emos.b = jnum(o, "b", 1);
        f->emos.c = jnum(o, "c", 0);
        f->emos.d = jnum(o, "d", 0);
        f->emos.use_sd = json_is_true(json_object_get(o, "use_sd"));
        f->emos.n_pred = out->n_pred;
        json_t *be = json_object_get(o, "beta");
        for (size_t k = 0; k < out->n_pred; k++) f->emos.beta[k] = json_number_value(json_array_get(be, k));
        if (f->n && (!isfinite(f->emos.a) || !isfinite(f->emos.c)))
            st = pol__fail(run, POL_ERR_FORMAT, "%s: fit %zu has no coefficients", what, i + 1);
    }
    json_decref(root);
    if (!st) qsort(out->fits, out->n_fits, sizeof *out->fits, cmp_fit_q);
    if (st) fc_model_free(out);
    return st;
}
