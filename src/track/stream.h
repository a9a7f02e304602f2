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

#endif
