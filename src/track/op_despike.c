/* polish — track.despike: points that jump away from the path and back (urban-canyon jumps,
 * multipath) are removed by robust gates:
 *  - position: each point is compared with the path its neighbours give (interpolated in time
 *    between one of the two points before and one of the two after, the closest of the four
 *    pairs, so a jump of two points is seen too); it is a spike when it lies further off than a
 *    true path can at the local speed (a U-turn at most reaches speed x interval), than the
 *    noise (6 sigma) and than --min-jump;
 *  - speed: reaching it and leaving it both need more than the mode's top speed;
 *  - HDOP above --max-hdop when the receiver gave one.
 * A turn is never one point off a straight line by more than the local speed allows, so turns
 * stay. */
#include <stdlib.h>
#include <string.h>
#include "track/stream.h"

static const pol_param_desc params[] = {
    {"min-jump", POL_PARAM_NUM, "30", 1, 100000, NULL,
     "Smallest distance off the path a point must be to count as a spike.", .unit = "m"},
    {"max-speed", POL_PARAM_NUM, NULL, 0.1, 1000, NULL,
     "Top speed: a point reached and left faster is a spike (default by the track's mode: walk "
     "12, cycle 30, drive 70).",
     .unit = "m/s"},
    {"max-hdop", POL_PARAM_NUM, "20", 1, 1000, NULL,
     "Points whose receiver reported a larger horizontal dilution of precision are removed."},
};

typedef struct rp {
    double x, y, t;
} rp;

static double seg_off(const rp *a, const rp *b, const rp *p)
{
    /* Where the path between a and b is at p's time (or halfway by index without time). */
    double f;
    if (isfinite(a->t) && isfinite(b->t) && b->t > a->t && isfinite(p->t))
        f = (p->t - a->t) / (b->t - a->t);
    else
        f = 0.5;
    double x = a->x + f * (b->x - a->x), y = a->y + f * (b->y - a->y);
    double ex = p->x - x, ey = p->y - y;
    return sqrt(ex * ex + ey * ey);
}

/* One pass over the live points; marks spikes; returns their number. */
static size_t pass(pol__track *t, double vmax, double min_jump, double sigma, double max_hdop,
                   uint32_t flag)
{
    size_t n = t->n;
    size_t *idx = malloc((n + 1) * sizeof *idx), *st = malloc((n + 2) * sizeof *st);
    rp *q = malloc((n ? n : 1) * sizeof *q);
    double *sp = malloc((n ? n : 1) * sizeof *sp);
    double *score = malloc((n ? n : 1) * sizeof *score);
    unsigned char *mark = calloc(n ? n : 1, 1);
    size_t found = 0;
    if (!idx || !st || !q || !sp || !mark || !score) goto done;
    size_t nr = pol__track_runs(t, 0, idx, st);
    for (size_t r = 0; r < nr; r++) {
        size_t a = st[r], m = st[r + 1] - st[r];
        if (m < 3) continue;
        const pol__tpt *p0 = &t->pt[idx[a]];
        pol__enu f;
        pol__enu_init(&f, p0->lat, p0->lon);
        for (size_t j = 0; j < m; j++) {
            const pol__tpt *p = &t->pt[idx[a + j]];
            pol__enu_fwd(&f, p->lat, p->lon, &q[j].x, &q[j].y);
            q[j].t = p->t;
        }
        for (size_t j = 0; j + 1 < m; j++) {
            double dt = q[j + 1].t - q[j].t;
            double ddx = q[j + 1].x - q[j].x, ddy = q[j + 1].y - q[j].y;
            double d = sqrt(ddx * ddx + ddy * ddy);
            /* Speed beyond what the noise alone makes (4 sigma of two fixes' error). */
            double dn = d - 4 * sigma;
            if (dn < 0) dn = 0;
            sp[j] = isfinite(dt) && dt > 0 ? dn / dt : isfinite(dt) ? (dn > 0 ? INFINITY : 0) : dn;
        }
        for (size_t j = 0; j < m; j++) {
            const pol__tpt *p = &t->pt[idx[a + j]];
            score[j] = 0;
            if (isfinite(p->hdop) && p->hdop > max_hdop) {
                mark[idx[a + j]] = 1;
                continue;
            }
            /* The local speed: the median of up to 12 steps around, the point's own two left out
             * (a spike makes both of them fast). */
            double w[12];
            int k = 0;
            for (long s = (long)j - 6; s <= (long)j + 5 && k < 12; s++) {
                if (s < 0 || s + 1 >= (long)m || s == (long)j - 1 || s == (long)j) continue;
                if (isfinite(sp[s])) w[k++] = sp[s];
            }
            double vloc = 0;
            if (k) {
                for (int x = 1; x < k; x++) /* insertion sort of at most 12 */
                    for (int y = x; y > 0 && w[y - 1] > w[y]; y--) {
                        double tmp = w[y];
                        w[y] = w[y - 1];
                        w[y - 1] = tmp;
                    }
                vloc = w[k / 2];
            }
            double best = INFINITY, span = 0;
            for (int u = 1; u <= 2; u++)
                for (int v = 1; v <= 2; v++) {
                    if ((long)j - u < 0 || j + (size_t)v >= m) continue;
                    double o = seg_off(&q[j - (size_t)u], &q[j + (size_t)v], &q[j]);
                    if (o < best) {
                        best = o;
                        double d1 = q[j].t - q[j - (size_t)u].t, d2 = q[j + (size_t)v].t - q[j].t;
                        span = isfinite(d1) && isfinite(d2) ? (d1 > d2 ? d1 : d2) : u > v ? u : v;
                    }
                }
            int spike = 0;
            if (isfinite(best)) {
                double lim = vloc * span * 1.2;
                if (lim < min_jump) lim = min_jump;
                if (lim < 6 * sigma) lim = 6 * sigma;
                spike = best > lim;
                if (spike) score[j] = best / lim;
            }
            /* The speed gate (also at the ends of a run). */
            double vin = j > 0 ? sp[j - 1] : NAN, vout = j + 1 < m ? sp[j] : NAN;
            if ((isfinite(vin) || isinf(vin)) && (isfinite(vout) || isinf(vout))) {
                if (vin > vmax && vout > vmax) spike = 1;
            } else if (j == 0 && m > 2 && vout > vmax && sp[1] <= vmax) {
                spike = 1;
            } else if (j + 1 == m && m > 2 && vin > vmax && sp[m - 3] <= vmax) {
                spike = 1;
            }
            if (spike && score[j] < 1) score[j] = 1 + fmin(vin, vout) / vmax;
            if (!spike) score[j] = 0;
        }
        /* Only the worst of neighbouring candidates goes in one pass: beside a jump of two
         * points, good points look off too until the jump is gone. */
        for (size_t j = 0; j < m; j++) {
            if (!(score[j] > 0)) continue;
            int top = 1;
            for (size_t k = j >= 2 ? j - 2 : 0; k <= j + 2 && k < m && top; k++)
                if (k != j && (score[k] > score[j] || (score[k] == score[j] && k < j))) top = 0;
            if (top) mark[idx[a + j]] = 1;
        }
    }
    for (size_t i = 0; i < n; i++)
        if (mark[i]) {
            t->pt[i].flags |= flag;
            found++;
        }
done:
    free(idx);
    free(st);
    free(q);
    free(sp);
    free(mark);
    free(score);
    return found;
}

size_t pol__track_find_spikes(pol__track *t, double max_speed, double min_jump, double max_hdop,
                              uint32_t flag)
{
    pol__track_stats s;
    pol__track_analyse(t, &s);
    double sigma = isfinite(s.noise_m) ? s.noise_m : 3;
    if (sigma < 2) sigma = 2;
    size_t total = 0;
    for (int k = 0; k < 8; k++) {
        size_t f = pass(t, max_speed, min_jump, sigma, max_hdop, flag);
        total += f;
        if (!f || !(flag & POL_TP_DELETED)) break;
    }
    return total;
}

static double mode_speed(const char *mode)
{
    return mode[0] == 'd' ? 70 : mode[0] == 'c' ? 30 : 12;
}

/* For inspect: how many of points [from, to) the default gates would remove (nothing is
 * changed; the points around them are their context). */
size_t pol__track_speed_outliers(const pol__track *t, size_t from, size_t to)
{
    pol__track *c = pol__track_clone(t);
    if (!c) return 0;
    const char *mode = pol__track_mode_of(pol__track_typical_speed(c));
    pol__track_find_spikes(c, mode_speed(mode), 30, 20, POL_TP_DELETED | (1u << 30));
    size_t n = 0;
    for (size_t i = from; i < to && i < c->n; i++) n += (c->pt[i].flags & (1u << 30)) != 0;
    pol__track_free(c);
    return n;
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
    if (!s.has_time && !pol__arg_set(args, "min-jump")) {
        pol__decline(run, "no timestamps: a jump cannot be told from the path without them "
                          "(give --min-jump to judge by distance alone)");
        return POL_OK;
    }
    double typ = pol__track_typical_speed(t);
    const char *mode = pol__track_mode_of(typ);
    double vmax = pol__arg_set(args, "max-speed") ? pol__arg_num(args, "max-speed")
                                                  : mode_speed(mode);
    if (!s.has_time) vmax = INFINITY;
    size_t before = 0;
    for (size_t i = 0; i < t->n; i++) before += pol__tp_live(t, i);
    size_t n = pol__track_find_spikes(t, vmax, pol__arg_num(args, "min-jump"),
                                      pol__arg_num(args, "max-hdop"),
                                      POL_TP_DELETED | POL_TP_SPIKE);
    pol__measure_str(run, "mode", mode);
    if (isfinite(typ)) pol__measure(run, "typical_speed_m_s", typ);
    pol__measure(run, "max_speed_m_s", vmax);
    if (isfinite(s.noise_m)) pol__measure(run, "position_noise_m", s.noise_m);
    pol__measure_int(run, "spikes_removed", (long long)n);
    if (!n) {
        pol__decline(run, "no spikes");
        return POL_OK;
    }
    pol__decide(run, "removed %zu spikes of %zu points", n, before);
    pol_status fs = pol__track_figure(run, t, "despike");
    if (fs) return fs;
    pol__confidence(run, n < before / 20 ? 0.9 : 0.6);
    if (n > before / 10)
        pol__warn(run, "%zu of %zu points were spikes: a very poor recording", n, before);
    return POL_OK;
}

const pol_op_desc pol__track_op_despike = {
    .domain = "track",
    .name = "despike",
    .summary = "Remove points that jump away from the path and back",
    .params = params,
    .n_params = POL_ARRAY_LEN(params),
    .run = run,
    .flags = POL_OP_AUTO,
    .stream = &pol__track_stream_despike,
};
