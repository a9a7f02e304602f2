/* polish — track.stats: distance, duration, speeds, elevation, sampling — a JSON document
 * (`-o stats.json`, or `--json` on stdout); the track itself is not changed or written. */
#include "track/stream.h"

/* The stats as measurements and as the step's document (a whole track's or a stream's). */
void pol__track_stats_document(pol_run *run, const pol__track_stats *sp)
{
    pol__track_stats s = *sp;
    pol__track_measure(run, &s);
    pol__jv *d = pol__jv_obj();
    pol__jv_set(d, "points", pol__jv_int((long long)s.points));
    pol__jv_set(d, "segments", pol__jv_int((long long)s.segments));
    pol__jv_set(d, "tracks", pol__jv_int((long long)s.tracks));
    pol__jv_set(d, "waypoints", pol__jv_int((long long)s.waypoints));
    pol__jv_set(d, "route_points", pol__jv_int((long long)s.route_points));
    pol__jv_set(d, "distance_m", pol__jv_num(s.distance));
    if (s.has_time) {
        pol__jv_set(d, "duration_s", pol__jv_num(s.duration));
        pol__jv_set(d, "moving_time_s", pol__jv_num(s.moving_time));
        pol__jv_set(d, "sampling_interval_s", pol__jv_num(s.interval_median));
        pol__jv_set(d, "mean_speed_m_s", pol__jv_num(s.mean_speed));
        pol__jv_set(d, "max_speed_m_s", pol__jv_num(s.max_speed));
        pol__jv_set(d, "gaps", pol__jv_int((long long)s.gaps));
    }
    pol__jv_set(d, "duplicates", pol__jv_int((long long)s.duplicates));
    if (isfinite(s.noise_m)) pol__jv_set(d, "position_noise_m", pol__jv_num(s.noise_m));
    if (s.has_ele) {
        pol__jv_set(d, "elevation_gain_raw_m", pol__jv_num(s.ele_gain));
        pol__jv_set(d, "elevation_loss_raw_m", pol__jv_num(s.ele_loss));
    }
    pol__document(run, d);
    pol__decline(run, "statistics only");
}

static pol_status run(pol_run *run, pol_asset *asset, const pol_args *args)
{
    (void)args;
    pol__track_stats s;
    pol__track_analyse(pol__track_of(asset), &s);
    pol__track_stats_document(run, &s);
    return POL_OK;
}

const pol_op_desc pol__track_op_stats = {
    .domain = "track",
    .name = "stats",
    .summary = "Distance, duration, speeds, elevation and sampling of the track (a JSON document)",
    .run = run,
    .flags = POL_OP_DOCUMENT,
    .stream = &pol__track_stream_stats,
};
