/* polish — the reframe's subject found by tracking moving people (track.c), for reframe.c. */
#ifndef POLISH_VIDEO_TRACK_H
#define POLISH_VIDEO_TRACK_H

#include "video/video.h"

/* The subject in one frame: its box's centre and half extent (0..1 of the upright frame);
 * kind 1 = seen in this frame, 2 = between two sightings (interpolated), 0 = none here (x, y < 0),
 * -1 = not tracked (the camera moves, or the frames are too small). */
typedef struct pol__vsubject {
    double x, y, hw, hh;
    int kind;
    int32_t id; /* the track followed (kind > 0), so that a change of subject can be seen; else -1 */
} pol__vsubject;

typedef struct pol__vtrack_stats {
    size_t shots, moving_shots; /* shots, and those left to the motion centroid (the camera moves) */
    size_t tracks;              /* moving regions followed */
    size_t switches;            /* changes of the chosen subject inside shots */
    size_t frames_with_blobs, frames_with_subject;
} pol__vtrack_stats;

/* Finds, tracks and chooses the subject of every frame of v (v->ana must be there; a second decode
 * pass at up to 192 px), for a window `win_w` source pixels wide: s[0..v->ana->n). Shots whose
 * camera moves are not tracked (kind -1). */
pol_status pol__video_track_subject(pol_run *run, pol__video *v, double win_w, pol__vsubject *s,
                                    pol__vtrack_stats *st);

/* pol__video_reframe_path (reframe.c), and when subject_x is not NULL the followed subject's x per
 * frame (0..1; < 0 where none was measured) in *subject_x, malloc'ed (NULL when out of memory). */
pol_status pol__video_reframe_path_subject(pol_run *run, pol__video *v, int cw, int ch, double smooth_s,
                                           double max_speed, double max_accel, float **subject_x);

#endif
