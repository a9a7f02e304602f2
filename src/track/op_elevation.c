/* polish — track.elevation: the elevation profile smoothed (Kalman + RTS over time, the noise
 * estimated from second differences) and the climb counted with hysteresis, so jitter of a few
 * metres on the flat is not counted as climbing. */
#include <stdlib.h>
#include <string.h>
#include "track/stream.h"

static const pol_param_desc params[] = {
    {"write", POL_PARAM_BOOL, "true", 0, -1, NULL,
     "Write the smoothed elevations into the track (false: only measure gain and loss)."},
    {"threshold", POL_PARAM_NUM, NULL, 0, 1000, NULL,
     "A climb or descent counts once it exceeds this (default: twice the estimated noise, at "
     "least 1 m).",
     .unit = "m"},
};

/* Gain and loss with hysteresis: a turn of the profile counts once it has gone `th` back from
 * the extreme; each confirmed leg adds its full height. */
static void climb(const double *e, size_t m, double th, double *gain, double *loss)
{
    if (!m) return;
    double anchor = e[0], ext = e[0];
    int dir = 0;
    for (size_t i = 1; i < m; i++) {
        double v = e[i];
        if (dir == 0) {
            if (v - anchor >= th) dir = 1, ext = v;
            else if (anchor - v >= th) dir = -1, ext = v;
        } else if (dir > 0) {
            if (v > ext) {
                ext = v;
            } else if (ext - v >= th) {
                *gain += ext - anchor;
                anchor = ext;
                ext = v;
                dir = -1;
            }
        } else {
            if (v < ext) {
                ext = v;
            } else if (v - ext >= th) {
                *loss += anchor - ext;
                anchor = ext;
                ext = v;
                dir = 1;
            }
        }
    }
    if (dir > 0) *gain += ext - anchor;
    if (dir < 0) *loss += anchor - ext;
}

static pol_status run(pol_run *run, pol_asset *asset, const pol_args *args)
{
    pol__track *t = pol__track_of(asset);
    size_t n = t->n;
    size_t *idx = malloc((n + 1) * sizeof *idx), *st = malloc((n + 2) * sizeof *st);
    double *e = malloc((n ? n : 1) * sizeof *e), *tt = malloc((n ? n : 1) * sizeof *tt);
    double *d2 = malloc((n ? n : 1) * sizeof *d2);
    void *work = malloc((n ? n : 1) * pol__track_rts_work());
    if (!idx || !st || !e || !tt || !d2 || !work) {
        free(idx), free(st), free(e), free(tt), free(d2), free(work);
        return pol__fail(run, POL_ERR_NOMEM, "out of memory");
    }
    size_t nr = pol__track_runs(t, 300, idx, st);
    /* Noise: second differences of evenly timed elevations. */
    size_t nd = 0, with_ele = 0, timed = 0;
    for (size_t r = 0; r < nr; r++)
        for (size_t j = st[r] + 1; j + 1 < st[r + 1]; j++) {
            const pol__tpt *a = &t->pt[idx[j - 1]], *b = &t->pt[idx[j]], *c = &t->pt[idx[j + 1]];
            if (isfinite(a->ele) && isfinite(b->ele) && isfinite(c->ele))
                d2[nd++] = fabs(a->ele - 2 * b->ele + c->ele);
        }
    for (size_t i = 0; i < n; i++)
        if (pol__tp_live(t, i)) {
            with_ele += isfinite(t->pt[i].ele) != 0;
            timed += isfinite(t->pt[i].t) != 0;
        }
    double sigma = nd >= 8 ? pol__median(d2, nd) / 0.6745 / sqrt(6.0) : NAN;
    pol_status rs = POL_OK;
    if (with_ele < 3 || timed < 3) {
        free(idx), free(st), free(e), free(tt), free(d2), free(work);
        pol__decline(run, with_ele < 3 ? "no elevations" : "no timestamps");
        return POL_OK;
    }
    double th = pol__arg_set(args, "threshold") ? pol__arg_num(args, "threshold")
                                                : fmax(1, isfinite(sigma) ? 2 * sigma : 1);
    int write = pol__arg_bool(args, "write");
    double g_raw = 0, l_raw = 0, g = 0, l = 0;
    double r2 = isfinite(sigma) ? fmax(sigma * sigma, 0.01) : 1;
    size_t changed = 0;
    for (size_t r = 0; r < nr; r++) {
        size_t m = 0;
        for (size_t j = st[r]; j < st[r + 1]; j++) {
            const pol__tpt *p = &t->pt[idx[j]];
            if (!isfinite(p->ele) || !isfinite(p->t)) continue;
            e[m] = p->ele;
            tt[m] = p->t;
            m++;
        }
        if (m < 3) continue;
        for (size_t j = 1; j < m; j++) {
            double d = e[j] - e[j - 1];
            if (d > 0) g_raw += d;
            else l_raw -= d;
        }
        /* Vertical motion: a slow random acceleration (0.01 m^2/s^3). */
        pol__track_rts(e, tt, m, 0.01, r2, work);
        climb(e, m, th, &g, &l);
        if (write) {
            size_t k = 0;
            for (size_t j = st[r]; j < st[r + 1]; j++) {
                pol__tpt *p = &t->pt[idx[j]];
                if (!isfinite(p->ele) || !isfinite(p->t)) continue;
                p->ele = round(e[k++] * 100) / 100;
                p->flags |= POL_TP_ELE_SET;
                changed++;
            }
        }
    }
    free(idx), free(st), free(e), free(tt), free(d2), free(work);
    if (rs) return rs;
    if (isfinite(sigma)) pol__measure(run, "elevation_noise_m", sigma);
    pol__measure(run, "threshold_m", th);
    pol__measure(run, "gain_raw_m", g_raw);
    pol__measure(run, "loss_raw_m", l_raw);
    pol__measure(run, "gain_m", g);
    pol__measure(run, "loss_m", l);
    if (!write) {
        pol__decline(run, "measured only (--write false)");
        return POL_OK;
    }
    pol__decide(run, "smoothed %zu elevations: gain %.0f m (raw %.0f m), loss %.0f m (raw %.0f m)",
                changed, g, g_raw, l, l_raw);
    pol_status fs = pol__track_figure(run, t, "elevation");
    if (fs) return fs;
    return POL_OK;
}

const pol_op_desc pol__track_op_elevation = {
    .domain = "track",
    .name = "elevation",
    .summary = "Smooth the elevation profile and count gain and loss without the noise",
    .params = params,
    .n_params = POL_ARRAY_LEN(params),
    .run = run,
    .stream = &pol__track_stream_elevation,
};
