/* polish — the audio domain's operation table: one line per operation, NULL last. */
#include "audio/audio.h"

extern const pol_op_desc pol__audio_op_highpass;
extern const pol_op_desc pol__audio_op_dehum;
extern const pol_op_desc pol__audio_op_denoise;
extern const pol_op_desc pol__audio_op_trim;
extern const pol_op_desc pol__audio_op_declip;
extern const pol_op_desc pol__audio_op_shorten_pauses;
extern const pol_op_desc pol__audio_op_fade;
extern const pol_op_desc pol__audio_op_level;
extern const pol_op_desc pol__audio_op_compress;
extern const pol_op_desc pol__audio_op_loudness;
extern const pol_op_desc pol__audio_op_export;

const pol_op_desc *const pol__audio_ops[] = {
    &pol__audio_op_highpass, &pol__audio_op_dehum,    &pol__audio_op_denoise,
    &pol__audio_op_declip,   &pol__audio_op_trim,     &pol__audio_op_shorten_pauses,
    &pol__audio_op_fade,     &pol__audio_op_level,
    &pol__audio_op_compress, &pol__audio_op_loudness,
    &pol__audio_op_export,   NULL,
};
