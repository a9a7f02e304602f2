/* polish — track.smooth: a constant-velocity Kalman filter with a Rauch-Tung-Striebel smoother,
 * per axis in a local east/north frame (metres). The measurement noise is the track's own white
 * jitter (from second differences, so slowly varying error that no smoother can remove is not
 * mistaken for it); the process noise (random acceleration) follows the mode: walking, cycling
 * or driving. A time gap longer than --gap starts a new run: nothing is smoothed across it. */
#include <stdlib.h>
#include <string.h>
#include "track/stream.h"

static const pol_param_desc params[] = {
    {"mode", POL_PARAM_ENUM, "auto", 0, -1, "auto|walk|cycle|drive",
     "How the track moves, which sets how sharply it may turn or speed up; auto: from its "
     "typical speed."},
    {"noise", POL_PARAM_NUM, NULL, 0.1, 1000, NULL,
     "Position noise (1 sigma); default: estimated from the track.", .unit = "m"},
    {"gap", POL_PARAM_NUM, NULL, 1, 1e7, NULL,
     "A pause longer than this starts a new run (default: 10 sampling intervals, at least 30 s).",
     .unit = "s"},
    {"hold-stops", POL_PARAM_BOOL, "true", 0, -1, NULL,
     "Where the smoothed track stays within a few metres for 20 s or more (a stop), its points "
     "are set to the stop's centre, so jitter at rest is not counted as distance."},
    {"min-noise", POL_PARAM_NUM, "1", 0, 1000, NULL,
     "A track whose estimated noise is below this, and below a tenth of its typical step between "
     "fixes, with under 1% of its length in steps no longer than 3 times the noise (at rest), "
     "is already smooth and left alone.", .unit = "m"},
};

/* White-acceleration spectral density (m^2/s^3) per mode. */
static double mode_q(const char *mode)
{
    return mode[0] == 'd' ? 1.0 : mode[0] == 'c' ? 0.25 : 0.05;
}

typedef struct kf {
    double x, v;         /* filtered state */
    double pxx, pxv, pvv; /* filtered covariance */
} kf;

/* Stay points on the smoothed run: from point i, the longest stretch within `radius` of it; when
 * it lasts `minsec` or more, every point of it goes to the stretch's centre. Returns points held. */
static size_t hold_stops(double *zx, double *zy, const double *tt, size_t m, double radius,
                         double minsec, size_t *stops, unsigned char *in_stop)
{
    size_t held = 0, i = 0;
    while (i < m) {
        size_t j = i + 1;
        while (j < m && (zx[j] - zx[i]) * (zx[j] - zx[i]) + (zy[j] - zy[i]) * (zy[j] - zy[i]) < radius * radius)
            j++;
        if (tt[j - 1] - tt[i] >= minsec && j - i >= 3) {
            double cx = 0, cy = 0;
            for (size_t k = i; k < j; k++) cx += zx[k], cy += zy[k];
            cx /= (double)(j - i);
            cy /= (double)(j - i);
            for (size_t k = i; k < j; k++) zx[k] = cx, zy[k] = cy, in_stop[k] = 1;
            held += j - i;
            (*stops)++;
            i = j;
        } else {
            i++;
        }
    }
    return held;
}

/* Smooths z[0..m) at times tt (seconds) in place. */
static void smooth_axis(double *z, const double *tt, size_t m, double q, double r, kf *k)
{
    if (!m) return;
    k[0] = (kf){z[0], 0, r, 0, 100};
    for (size_t i = 1; i < m; i++) {
        double dt = tt[i] - tt[i - 1];
        if (!(dt > 0)) dt = 1e-3;
        const kf *a = &k[i - 1];
        /* predict */
        double x = a->x + dt * a->v, v = a->v;
        double pxx = a->pxx + 2 * dt * a->pxv + dt * dt * a->pvv + q * dt * dt * dt / 3;
        double pxv = a->pxv + dt * a->pvv + q * dt * dt / 2;
        double pvv = a->pvv + q * dt;
        /* update */
        double s = pxx + r;
        double kx = pxx / s, kv = pxv / s;
        double y = z[i] - x;
        k[i].x = x + kx * y;
        k[i].v = v + kv * y;
        k[i].pxx = (1 - kx) * pxx;
        k[i].pxv = (1 - kx) * pxv;
        k[i].pvv = pvv - kv * pxv;
    }
    /* RTS backward pass. */
    double sx = k[m - 1].x, sv = k[m - 1].v;
    double sxx = k[m - 1].pxx, sxv = k[m - 1].pxv, svv = k[m - 1].pvv;
    z[m - 1] = sx;
    for (size_t i = m - 1; i-- > 0;) {
        double dt = tt[i + 1] - tt[i];
        if (!(dt > 0)) dt = 1e-3;
        const kf *a = &k[i];
        double xp = a->x + dt * a->v, vp = a->v;
        double pxx = a->pxx + 2 * dt * a->pxv + dt * dt * a->pvv + q * dt * dt * dt / 3;
        double pxv = a->pxv + dt * a->pvv + q * dt * dt / 2;
        double pvv = a->pvv + q * dt;
        /* C = P_f F' Pp^-1 */
        double fxx = a->pxx + dt * a->pxv, fxv = a->pxv; /* (P_f F')[0][*] */
        double fvx = a->pxv + dt * a->pvv, fvv = a->pvv; /* (P_f F')[1][*] */
        double det = pxx * pvv - pxv * pxv;
        if (!(fabs(det) > 1e-300)) det = 1e-300;
        double ixx = pvv / det, ixv = -pxv / det, ivv = pxx / det;
        double cxx = fxx * ixx + fxv * ixv, cxv = fxx * ixv + fxv * ivv;
        double cvx = fvx * ixx + fvv * ixv, cvv = fvx * ixv + fvv * ivv;
        double dx = sx - xp, dv = sv - vp;
        double nx = a->x + cxx * dx + cxv * dv;
        double nv = a->v + cvx * dx + cvv * dv;
        /* P_s = P_f + C (P_s' - Pp) C' */
        double exx = sxx - pxx, exv = sxv - pxv, evv = svv - pvv;
        double t00 = cxx * exx + cxv * exv, t01 = cxx * exv + cxv * evv;
        double t10 = cvx * exx + cvv * exv, t11 = cvx * exv + cvv * evv;
        sxx = a->pxx + t00 * cxx + t01 * cxv;
        sxv = a->pxv + t00 * cvx + t01 * cvv;
        svv = a->pvv + t10 * cvx + t11 * cvv;
        (void)t10;
        sx = nx;
        sv = nv;
        z[i] = sx;
    }
}

static pol_status run(pol_run *run, pol_asset *asset, const pol_args *args)
{
    pol__track *t = pol__track_of(asset);
    pol__track_stats s;
    pol__track_analyse(t, &s);
    if (s.points < 3) {
        pol__decline(run, "fewer than 3 track points");
        return POL_OK;
    }
    if (!s.has_time) {
        pol__decline(run, "no timestamps: the path's own shape cannot be told from GPS noise "
                          "without them");
        return POL_OK;
    }
    double sigma = pol__arg_set(args, "noise") ? pol__arg_num(args, "noise") : s.noise_m;
    if (!isfinite(sigma)) {
        pol__decline(run, "too few evenly spaced points to estimate the noise");
        return POL_OK;
    }
    pol__measure(run, "position_noise_m", sigma);
    /* Already smooth: noise under --min-noise and under a tenth of the typical step between
     * fixes (jitter of sigma adds about (sigma / step)^2 to the distance: 1% at a tenth; a
     * walker's 1.4 m steps are lengthened by 20% by 0.6 m of jitter). */
    double typ = pol__track_typical_speed(t);
    double step = typ * (isfinite(s.interval_median) ? s.interval_median : 1);
    double min_noise = pol__arg_num(args, "min-noise");
    if (isfinite(step) && step > 0 && 0.1 * step < min_noise) min_noise = 0.1 * step;
    /* ... and little of its length made of steps no longer than the jitter itself (at rest or
     * creeping: a car waiting at lights with 0.6 m of jitter adds about a metre a second, which
     * the typical moving step does not show) */
    double rest = 0;
    long prev = -1;
    for (size_t i = 0; i < t->n; i++) {
        if (!pol__tp_live(t, i)) continue;
        const pol__tpt *p = &t->pt[i];
        if (prev >= 0 && t->pt[prev].seg == p->seg) {
            double d = pol__geo_dist(t->pt[prev].lat, t->pt[prev].lon, p->lat, p->lon);
            if (d <= 3 * sigma) rest += d;
        }
        prev = (long)i;
    }
    double rest_share = s.distance > 0 ? rest / s.distance : 0;
    pol__measure(run, "length_share_at_jitter_scale", rest_share);
    if (rest_share > 0.01) min_noise = 0; /* smoothing changes the distance: never skip */
    if (!pol__arg_set(args, "noise") && sigma < min_noise) {
        pol__decline(run, "estimated noise %.2f m is below %.2f m: already smooth", sigma,
                     min_noise);
        return POL_OK;
    }
    const char *mode = pol__arg_str(args, "mode");
    if (strcmp(mode, "auto") == 0) mode = pol__track_mode_of(typ);
    snprintf(t->mode, sizeof t->mode, "%s", mode);
    double q = mode_q(mode);
    double gap = pol__arg_set(args, "gap") ? pol__arg_num(args, "gap")
                                           : fmax(30, 10 * (isfinite(s.interval_median)
                                                               ? s.interval_median : 1));
    size_t n = t->n;
    size_t *idx = malloc((n + 1) * sizeof *idx), *st = malloc((n + 2) * sizeof *st);
    double *zx = malloc((n ? n : 1) * sizeof *zx), *zy = malloc((n ? n : 1) * sizeof *zy);
    double *tt = malloc((n ? n : 1) * sizeof *tt);
    kf *k = malloc((n ? n : 1) * sizeof *k);
    unsigned char *in_stop = malloc(n ? n : 1);
    if (!idx || !st || !zx || !zy || !tt || !k || !in_stop) {
        free(idx), free(st), free(zx), free(zy), free(tt), free(k), free(in_stop);
        return pol__fail(run, POL_ERR_NOMEM, "out of memory");
    }
    size_t nr = pol__track_runs(t, gap, idx, st);
    double moved_sum = 0, moved_max = 0;
    size_t moved_n = 0, runs_used = 0;
    double r = sigma * sigma;
    int hold = pol__arg_bool(args, "hold-stops");
    size_t held = 0, n_stops = 0;
    for (size_t ri = 0; ri < nr; ri++) {
        size_t a = st[ri], m = st[ri + 1] - st[ri];
        if (m < 3) continue;
        runs_used++;
        double lat0 = 0, lon0 = t->pt[idx[a]].lon;
        for (size_t j = 0; j < m; j++) lat0 += t->pt[idx[a + j]].lat;
        lat0 /= (double)m;
        pol__enu f;
        pol__enu_init(&f, lat0, lon0);
        for (size_t j = 0; j < m; j++) {
            const pol__tpt *p = &t->pt[idx[a + j]];
            pol__enu_fwd(&f, p->lat, p->lon, &zx[j], &zy[j]);
            tt[j] = p->t;
        }
        smooth_axis(zx, tt, m, q, r, k);
        smooth_axis(zy, tt, m, q, r, k);
        memset(in_stop, 0, m);
        if (hold) held += hold_stops(zx, zy, tt, m, fmax(3, 2 * sigma), 20, &n_stops, in_stop);
        for (size_t j = 0; j < m; j++) {
            pol__tpt *p = &t->pt[idx[a + j]];
            double la, lo;
            pol__enu_inv(&f, zx[j], zy[j], &la, &lo);
            double d = pol__geo_dist(p->lat, p->lon, la, lo);
            moved_sum += d;
            if (d > moved_max) moved_max = d;
            moved_n++;
            p->lat = la;
            p->lon = lo;
            p->flags |= POL_TP_MOVED | (in_stop[j] ? POL_TP_STOP : 0);
        }
        if (pol__cancelled(run)) break;
    }
    free(idx), free(st), free(zx), free(zy), free(tt), free(k), free(in_stop);
    if (pol__cancelled(run)) return pol__fail(run, POL_ERR_CANCELLED, "cancelled");
    pol__measure_str(run, "mode", mode);
    pol__measure(run, "process_noise_m2_s3", q);
    pol__measure(run, "gap_s", gap);
    pol__measure_int(run, "runs", (long long)runs_used);
    pol__measure_int(run, "points_moved", (long long)moved_n);
    if (!moved_n) {
        pol__decline(run, "no run of 3 or more points between gaps");
        return POL_OK;
    }
    if (hold) {
        pol__measure_int(run, "stops_held", (long long)n_stops);
        pol__measure_int(run, "points_in_stops", (long long)held);
    }
    pol__measure(run, "moved_mean_m", moved_sum / (double)moved_n);
    pol__measure(run, "moved_max_m", moved_max);
    pol__measure(run, "distance_before_m", s.distance);
    pol__measure(run, "distance_after_m", pol__track_distance(t));
    pol__decide(run, "smoothed %zu points (%s, noise %.1f m): moved %.1f m on average, %.1f m at "
                "most",
                moved_n, mode, sigma, moved_sum / (double)moved_n, moved_max);
    pol__confidence(run, 0.8);
    return pol__track_figure(run, t, "smooth");
}

void pol__track_rts(double *z, const double *tt, size_t m, double q, double r, void *work)
{
    smooth_axis(z, tt, m, q, r, work);
}

size_t pol__track_rts_work(void)
{
    return sizeof(kf);
}

const pol_op_desc pol__track_op_smooth = {
    .domain = "track",
    .name = "smooth",
    .summary = "Kalman + RTS smoothing of GPS jitter, gaps respected",
    .params = params,
    .n_params = POL_ARRAY_LEN(params),
    .run = run,
    .flags = POL_OP_AUTO,
    .stream = &pol__track_stream_smooth,
};
