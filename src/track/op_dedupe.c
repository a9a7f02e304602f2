/* polish — track.dedupe: repeated points (same place and same time, or same place with no time)
 * are removed; standing still at different times is not a duplicate. */
#include "track/stream.h"

static const pol_param_desc params[] = {
    {"stationary", POL_PARAM_BOOL, "false", 0, -1, NULL,
     "Also remove points that repeat the previous position at a later time (standing still), "
     "keeping the first and last of each run."},
};

static pol_status run(pol_run *run, pol_asset *asset, const pol_args *args)
{
    pol__track *t = pol__track_of(asset);
    int stationary = pol__arg_bool(args, "stationary");
    size_t removed = 0, still = 0;
    long prev = -1;
    for (size_t i = 0; i < t->n; i++) {
        if (!pol__tp_live(t, i)) continue;
        pol__tpt *p = &t->pt[i];
        if (prev >= 0 && t->pt[prev].seg == p->seg) {
            const pol__tpt *q = &t->pt[prev];
            int same_pos = p->lat == q->lat && p->lon == q->lon &&
                           (isnan(p->ele) ? isnan(q->ele) : p->ele == q->ele);
            int same_time = (isnan(p->t) && isnan(q->t)) || p->t == q->t;
            if (same_pos && same_time) {
                p->flags |= POL_TP_DELETED | POL_TP_DUP;
                removed++;
                continue;
            }
            if (stationary && same_pos) {
                /* Keep the last of the run: remove the previous one when it is itself a repeat. */
                long pp = prev - 1;
                while (pp >= 0 && !pol__tp_live(t, (size_t)pp)) pp--;
                if (pp >= 0 && t->pt[pp].seg == p->seg && t->pt[pp].lat == q->lat &&
                    t->pt[pp].lon == q->lon) {
                    t->pt[prev].flags |= POL_TP_DELETED | POL_TP_DUP;
                    still++;
                }
            }
        }
        prev = (long)i;
    }
    pol__measure_int(run, "duplicates_removed", (long long)removed);
    if (stationary) pol__measure_int(run, "stationary_removed", (long long)still);
    if (!removed && !still) {
        pol__decline(run, "no repeated points");
        return POL_OK;
    }
    pol__decide(run, "removed %zu repeated points", removed + still);
    return POL_OK;
}

const pol_op_desc pol__track_op_dedupe = {
    .domain = "track",
    .name = "dedupe",
    .summary = "Remove repeated points",
    .params = params,
    .n_params = POL_ARRAY_LEN(params),
    .run = run,
    .flags = POL_OP_AUTO,
    .stream = &pol__track_stream_dedupe,
};
