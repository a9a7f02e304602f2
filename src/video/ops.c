/* polish — the video domain's operation table: one line per operation, NULL last. */
#include "video/video.h"

extern const pol_op_desc pol__video_op_trim;
extern const pol_op_desc pol__video_op_reframe;
extern const pol_op_desc pol__video_op_colour;
extern const pol_op_desc pol__video_op_stabilise;
extern const pol_op_desc pol__video_op_audio;
extern const pol_op_desc pol__video_op_captions;
extern const pol_op_desc pol__video_op_title;
extern const pol_op_desc pol__video_op_export;

const pol_op_desc *const pol__video_ops[] = {
    &pol__video_op_trim,  &pol__video_op_reframe,  &pol__video_op_colour, &pol__video_op_stabilise,
    &pol__video_op_audio, &pol__video_op_captions, &pol__video_op_title,
    &pol__video_op_export, NULL,
};
