/* polish — the track domain's streamed reading and writing, and its ops' chunked forms. */
#ifndef POLISH_TRACK_STREAM_H
#define POLISH_TRACK_STREAM_H

#include "core/stream.h"
#include "track/track.h"

extern const pol__stream_io pol__track_stream_io;
extern const pol_op_stream pol__track_stream_dedupe;
extern const pol_op_stream pol__track_stream_despike;
extern const pol_op_stream pol__track_stream_smooth;
extern const pol_op_stream pol__track_stream_simplify;
extern const pol_op_stream pol__track_stream_export;
extern const pol_op_stream pol__track_stream_privacy;
extern const pol_op_stream pol__track_stream_stats;
extern const pol_op_stream pol__track_stream_elevation;
extern const pol_op_stream pol__track_stream_stops;
/* The stats as measurements and as the step's document. */
void pol__track_stats_document(pol_run *run, const pol__track_stats *s);
/* inspect, reading the file as a stream (pol__domain.inspect_path). */
pol_status pol__track_inspect_path(pol_run *run, const char *path);

#endif
