/* polish — track.split: one track per trip, cut where the recording pauses longer than --gap
 * (or at segment breaks with --segments). Each trip is written as <name>.trip-N.<ext>. */
#include <stdlib.h>
#include <string.h>
#include "track/track.h"

static const pol_param_desc params[] = {
    {"gap", POL_PARAM_NUM, "600", 1, 1e9, NULL, "A pause longer than this ends a trip.",
     .unit = "s"},
    {"segments", POL_PARAM_BOOL, "false", 0, -1, NULL, "Also cut at every segment break."},
    {"min-points", POL_PARAM_INT, "2", 1, 1e9, NULL, "Trips with fewer points are left out."},
};

static pol_status run(pol_run *run, pol_asset *asset, const pol_args *args)
{
    pol__track *t = pol__track_of(asset);
    double gap = pol__arg_num(args, "gap");
    int by_seg = pol__arg_bool(args, "segments");
    size_t min_pts = (size_t)pol__arg_int(args, "min-points");
    /* Trip k of each live track point. */
    size_t *trip = malloc((t->n ? t->n : 1) * sizeof *trip);
    if (!trip) return pol__fail(run, POL_ERR_NOMEM, "out of memory");
    size_t trips = 0;
    long prev = -1;
    for (size_t i = 0; i < t->n; i++) {
        trip[i] = SIZE_MAX;
        if (!pol__tp_live(t, i)) continue;
        const pol__tpt *p = &t->pt[i];
        int cut = prev < 0;
        if (!cut) {
            const pol__tpt *q = &t->pt[prev];
            double dt = p->t - q->t;
            cut = (isfinite(dt) && dt > gap) || t->seg[p->seg].track != t->seg[q->seg].track ||
                  (by_seg && p->seg != q->seg);
        }
        if (cut) trips++;
        trip[i] = trips - 1;
        prev = (long)i;
    }
    pol__measure_int(run, "trips", (long long)trips);
    if (trips < 2) {
        free(trip);
        pol__decline(run, "one trip: no pause longer than %.0f s", gap);
        return POL_OK;
    }
    pol_status st = POL_OK;
    size_t written = 0;
    for (size_t k = 0; k < trips && !st; k++) {
        size_t cnt = 0;
        for (size_t i = 0; i < t->n; i++) cnt += trip[i] == k;
        if (cnt < min_pts) continue;
        pol__track *c = pol__track_clone(t);
        if (!c) {
            st = pol__fail(run, POL_ERR_NOMEM, "out of memory");
            break;
        }
        /* Waypoints and routes go with the first trip written. */
        for (size_t i = 0; i < c->n; i++) {
            int trk = c->seg[c->pt[i].seg].kind == POL_SEG_TRK;
            if ((trk && trip[i] != k) || (!trk && written > 0)) c->pt[i].flags |= POL_TP_DELETED;
        }
        c->input_points = cnt;
        pol_asset *a = pol__asset_new(asset->domain, c, asset->source_path);
        if (!a) {
            st = pol__fail(run, POL_ERR_NOMEM, "out of memory");
            break;
        }
        char name[32];
        snprintf(name, sizeof name, "trip-%zu", written + 1);
        st = pol__emit(run, a, name);
        pol__asset_unref(a);
        written++;
    }
    free(trip);
    if (st) return st;
    pol__decide(run, "split into %zu trips at pauses over %.0f s", written, gap);
    return POL_OK;
}

const pol_op_desc pol__track_op_split = {
    .domain = "track",
    .name = "split",
    .summary = "One track per trip, cut at long pauses",
    .params = params,
    .n_params = POL_ARRAY_LEN(params),
    .run = run,
    .flags = POL_OP_SPLIT,
};
