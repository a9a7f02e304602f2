/* polish — the track domain's operation table: one line per operation, NULL last. */
#include "track/track.h"

extern const pol_op_desc pol__track_op_dedupe;
extern const pol_op_desc pol__track_op_despike;
extern const pol_op_desc pol__track_op_smooth;
extern const pol_op_desc pol__track_op_simplify;
extern const pol_op_desc pol__track_op_privacy;
extern const pol_op_desc pol__track_op_elevation;
extern const pol_op_desc pol__track_op_split;
extern const pol_op_desc pol__track_op_stops;
extern const pol_op_desc pol__track_op_stats;
extern const pol_op_desc pol__track_op_export;
extern const pol_op_desc pol__track_op_resample;

const pol_op_desc *const pol__track_ops[] = {
    &pol__track_op_dedupe,  &pol__track_op_despike, &pol__track_op_smooth,
    &pol__track_op_simplify, &pol__track_op_resample, &pol__track_op_privacy, &pol__track_op_elevation,
    &pol__track_op_stops,   &pol__track_op_split,   &pol__track_op_stats,
    &pol__track_op_export,  NULL,
};
