/* polish — track.stats: distance, duration, speeds, elevation, sampling — measured, nothing
 * changed. */
#include "track/track.h"

static pol_status run(pol_run *run, pol_asset *asset, const pol_args *args)
{
    (void)args;
    pol__track_stats s;
    pol__track_analyse(pol__track_of(asset), &s);
    pol__track_measure(run, &s);
    pol__decline(run, "statistics only");
    return POL_OK;
}

const pol_op_desc pol__track_op_stats = {
    .domain = "track",
    .name = "stats",
    .summary = "Distance, duration, speeds, elevation and sampling of the track",
    .run = run,
};
