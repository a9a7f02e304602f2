/* polish — track.stops: stay points (Li et al.: the track stays within --radius of a point for
 * --min-duration or longer), listed with their centre, start and duration; --trim cuts the stop
 * at the start and the one at the end of each track (where a recording starts and ends at home). */
#include <stdlib.h>
#include <string.h>
#include "track/stream.h"

static const pol_param_desc params[] = {
    {"radius", POL_PARAM_NUM, NULL, 1, 10000, NULL,
     "A stop stays within this distance of its first point (default: 4 times the noise, at "
     "least 25 m).",
     .unit = "m"},
    {"min-duration", POL_PARAM_NUM, "120", 1, 1e7, NULL, "Shortest stay that counts as a stop.",
     .unit = "s"},
    {"trim", POL_PARAM_BOOL, "false", 0, -1, NULL,
     "Cut the stop a track starts with and the one it ends with (privacy)."},
};

static pol_status run(pol_run *run, pol_asset *asset, const pol_args *args)
{
    pol__track *t = pol__track_of(asset);
    pol__track_stats s;
    pol__track_analyse(t, &s);
    if (!s.has_time) {
        pol__decline(run, "no timestamps: a stay cannot be told from a place passed");
        return POL_OK;
    }
    double radius = pol__arg_set(args, "radius")
                        ? pol__arg_num(args, "radius")
                        : fmax(25, 4 * (isfinite(s.noise_m) ? s.noise_m : 5));
    double mind = pol__arg_num(args, "min-duration");
    int trim = pol__arg_bool(args, "trim");
    size_t n = t->n;
    size_t *idx = malloc((n + 1) * sizeof *idx), *st = malloc((n + 2) * sizeof *st);
    if (!idx || !st) {
        free(idx), free(st);
        return pol__fail(run, POL_ERR_NOMEM, "out of memory");
    }
    size_t nr = pol__track_runs(t, 0, idx, st);
    pol__jv *list = pol__jv_arr();
    size_t stops = 0, cut = 0;
    double total = 0;
    for (size_t r = 0; r < nr; r++) {
        size_t a = st[r], b = st[r + 1];
        size_t i = a;
        while (i < b) {
            const pol__tpt *p = &t->pt[idx[i]];
            size_t j = i + 1;
            while (j < b && pol__geo_dist(p->lat, p->lon, t->pt[idx[j]].lat, t->pt[idx[j]].lon) <= radius)
                j++;
            double dur = t->pt[idx[j - 1]].t - p->t;
            if (!(dur >= mind)) {
                i++;
                continue;
            }
            double clat = 0, clon = 0;
            for (size_t k = i; k < j; k++) {
                clat += t->pt[idx[k]].lat;
                clon += t->pt[idx[k]].lon;
                t->pt[idx[k]].flags |= POL_TP_STOP;
            }
            clat /= (double)(j - i);
            clon /= (double)(j - i);
            int at_start = i == a, at_end = j == b;
            if (trim && (at_start || at_end)) {
                /* keep the point where the trip leaves (or reaches) the stop */
                size_t k0 = at_start ? i : i + 1, k1 = at_start ? j - 1 : j;
                for (size_t k = k0; k < k1; k++) {
                    t->pt[idx[k]].flags |= POL_TP_DELETED | POL_TP_PRIVATE;
                    cut++;
                }
            }
            char when[40];
            pol__iso_format(p->t, when, sizeof when);
            pol__jv *o = pol__jv_obj();
            pol__jv_set(o, "lat", pol__jv_num_exact(round(clat * 1e6) / 1e6));
            pol__jv_set(o, "lon", pol__jv_num_exact(round(clon * 1e6) / 1e6));
            pol__jv_set(o, "start", pol__jv_str(when));
            pol__jv_set(o, "duration_s", pol__jv_num(dur));
            pol__jv_set(o, "points", pol__jv_int((long long)(j - i)));
            pol__jv_push(list, o);
            stops++;
            total += dur;
            i = j;
        }
    }
    free(idx), free(st);
    pol__measure(run, "radius_m", radius);
    pol__measure_int(run, "stops", (long long)stops);
    pol__measure(run, "stopped_s", total);
    pol__measure_jv(run, "list", list);
    if (trim) pol__measure_int(run, "points_cut", (long long)cut);
    if (!cut) {
        pol__decline(run, trim ? "no stop at the start or end of a track" : "stops listed (--trim cuts the ones at the ends)");
        return pol__track_figure(run, t, "stops");
    }
    pol__decide(run, "cut %zu points of the stops at the ends", cut);
    return pol__track_figure(run, t, "stops");
}

const pol_op_desc pol__track_op_stops = {
    .domain = "track",
    .name = "stops",
    .summary = "Find stay points; optionally cut the stops at the start and end",
    .params = params,
    .n_params = POL_ARRAY_LEN(params),
    .run = run,
    .stream = &pol__track_stream_stops,
};
