/* polish — track.resample: points at a fixed time step (every N seconds) or a fixed distance
 * along the path (every N metres), interpolated linearly (position, elevation, time) between the
 * recorded points of each run. Runs are split at segment breaks, time going backwards and pauses
 * longer than --max-gap, so nothing is invented across a gap. Each run's first and last recorded
 * positions stay; the recorded points are replaced (their GPX structure is kept around the new
 * ones). */
#include <stdlib.h>
#include <string.h>
#include "track/track.h"

static const pol_param_desc params[] = {
    {"by", POL_PARAM_ENUM, "time", 0, -1, "time|distance", "Fixed step in time or in distance.",
     .choice_help = (const char *const[]){"time: a point every --every seconds",
                                          "distance: a point every --every metres along the path",
                                          NULL}},
    {"every", POL_PARAM_NUM, NULL, 0.001, 1e7, NULL,
     "The step: seconds (--by time) or metres (--by distance).", .flags = POL_PARAM_REQUIRED},
    {"max-gap", POL_PARAM_NUM, "60", 0, 1e9, NULL,
     "A pause longer than this between two recorded points is not filled (0: no limit).",
     .unit = "s"},
};

typedef struct sample {
    size_t after; /* index of the recorded point it follows */
    double f;     /* fraction of the way to the next recorded point */
} sample;

static pol_status run(pol_run *run, pol_asset *asset, const pol_args *args)
{
    pol__track *t = pol__track_of(asset);
    int by_time = pol__arg_choice(args, "by") != 1;
    double step = pol__arg_num(args, "every");
    double gap = pol__arg_num(args, "max-gap");
    size_t n = t->n;
    size_t *idx = malloc((n + 1) * sizeof *idx), *st = malloc((n + 2) * sizeof *st);
    double *s = malloc((n ? n : 1) * sizeof *s);
    size_t cap = n + 16, ns = 0;
    sample *smp = malloc(cap * sizeof *smp);
    pol_status ret = POL_OK;
    if (!idx || !st || !s || !smp) {
        ret = pol__fail(run, POL_ERR_NOMEM, "out of memory");
        goto done;
    }
    size_t nr = pol__track_runs(t, gap, idx, st), untimed = 0, before = 0, runs = 0;
    for (size_t r = 0; r < nr && !ret; r++) {
        size_t a = st[r], m = st[r + 1] - st[r];
        before += m;
        /* The run's coordinate along which the steps fall: time, or distance along the path. */
        int ok = 1;
        s[0] = 0;
        for (size_t j = 1; j < m; j++) {
            const pol__tpt *p = &t->pt[idx[a + j]], *q = &t->pt[idx[a + j - 1]];
            double d = by_time ? p->t - q->t : pol__geo_dist(q->lat, q->lon, p->lat, p->lon);
            if (!isfinite(d) || d < 0) ok = 0;
            s[j] = s[j - 1] + (isfinite(d) ? d : 0);
        }
        if (!ok || m < 2) {
            untimed += !ok;
            /* kept as recorded: every point a sample of itself */
            if (ns + m > cap) {
                size_t nc = (ns + m) * 2;
                sample *np = realloc(smp, nc * sizeof *np);
                if (!np) {
                    ret = pol__fail(run, POL_ERR_NOMEM, "out of memory");
                    break;
                }
                smp = np;
                cap = nc;
            }
            for (size_t j = 0; j < m; j++) smp[ns++] = (sample){idx[a + j], 0};
            continue;
        }
        runs++;
        size_t j = 0;
        for (double x = 0;; x += step) {
            int end = x >= s[m - 1];
            if (end) x = s[m - 1]; /* the run's last recorded position */
            while (j + 2 < m && s[j + 1] <= x) j++;
            double span = s[j + 1] - s[j];
            double f = span > 0 ? (x - s[j]) / span : 0;
            if (f >= 1) {
                j++;
                f = 0;
            }
            if (ns == cap) {
                size_t nc = cap * 2;
                sample *np = realloc(smp, nc * sizeof *np);
                if (!np) {
                    ret = pol__fail(run, POL_ERR_NOMEM, "out of memory");
                    break;
                }
                smp = np;
                cap = nc;
            }
            smp[ns++] = (sample){j < m ? idx[a + j] : idx[a + m - 1], f};
            if (end) break;
            if (pol__cancelled(run)) {
                ret = pol__fail(run, POL_ERR_CANCELLED, "cancelled");
                break;
            }
        }
    }
    if (ret) goto done;
    if (!runs) {
        pol__decline(run, by_time ? "no run of two or more timed track points to resample"
                                  : "no run of two or more track points to resample");
        goto done;
    }
    /* The new track: every recorded point stays in place (deleted when a live track point, so
     * its structure is still written), the samples follow the point they lie after. */
    pol__track *o = malloc(sizeof *o);
    if (!o) {
        ret = pol__fail(run, POL_ERR_NOMEM, "out of memory");
        goto done;
    }
    *o = *t;
    o->pt = malloc((n + ns + 1) * sizeof *o->pt);
    if (!o->pt) {
        free(o);
        ret = pol__fail(run, POL_ERR_NOMEM, "out of memory");
        goto done;
    }
    /* next live track point of the same run after each point, for interpolation */
    size_t *next = malloc((n ? n : 1) * sizeof *next);
    if (!next) {
        free(o->pt);
        free(o);
        ret = pol__fail(run, POL_ERR_NOMEM, "out of memory");
        goto done;
    }
    for (size_t i = 0; i < n; i++) next[i] = SIZE_MAX;
    for (size_t r = 0; r < nr; r++)
        for (size_t q = st[r]; q + 1 < st[r + 1]; q++) next[idx[q]] = idx[q + 1];
    size_t on = 0, k = 0, made = 0;
    for (size_t i = 0; i < n; i++) {
        pol__tpt p = t->pt[i];
        int live = pol__tp_live(t, i);
        if (live) p.flags |= POL_TP_DELETED;
        o->pt[on++] = p;
        while (k < ns && smp[k].after == i) {
            const pol__tpt *a = &t->pt[i];
            const pol__tpt *b = next[i] != SIZE_MAX ? &t->pt[next[i]] : a;
            double f = smp[k].f;
            pol__tpt q;
            memset(&q, 0, sizeof q);
            q.seg = a->seg;
            q.lat = a->lat + f * (b->lat - a->lat);
            q.lon = a->lon + f * (b->lon - a->lon);
            if (fabs(b->lon - a->lon) > 180) q.lon = f < 0.5 ? a->lon : b->lon; /* antimeridian */
            q.ele = isfinite(a->ele) && isfinite(b->ele) ? a->ele + f * (b->ele - a->ele) : a->ele;
            q.t = isfinite(a->t) && isfinite(b->t) ? a->t + f * (b->t - a->t) : a->t;
            q.hdop = NAN;
            q.flags = POL_TP_MOVED | POL_TP_ELE_SET;
            if (f == 0) {
                /* a recorded point itself: keep its text (time as written, extensions) */
                q = *a;
                q.pre = 0;
                q.flags &= ~POL_TP_DELETED;
            }
            o->pt[on++] = q;
            made++;
            k++;
        }
    }
    free(next);
    free(t->pt);
    t->pt = o->pt;
    t->n = on;
    t->cap = n + ns + 1;
    free(o);
    pol__measure_str(run, "by", by_time ? "time" : "distance");
    pol__measure(run, by_time ? "every_s" : "every_m", step);
    pol__measure_int(run, "runs", (long long)runs);
    pol__measure_int(run, "points_before", (long long)before);
    pol__measure_int(run, "points_after", (long long)made);
    if (untimed)
        pol__warn(run, "%zu runs kept as recorded: their points have no usable times", untimed);
    pol__decide(run, "%zu track points resampled to %zu, one every %g %s, in %zu runs", before, made,
                step, by_time ? "s" : "m", runs);
    ret = pol__track_figure(run, t, "resample");
done:
    free(idx);
    free(st);
    free(s);
    free(smp);
    return ret;
}

const pol_op_desc pol__track_op_resample = {
    .domain = "track",
    .name = "resample",
    .summary = "Points at a fixed time step or distance along the path",
    .params = params,
    .n_params = POL_ARRAY_LEN(params),
    .run = run,
};
