/* polish — the image domain's operation table: one line per operation, NULL last. */
#include "image/image.h"

extern const pol_op_desc pol__image_op_orient;
extern const pol_op_desc pol__image_op_colour;
extern const pol_op_desc pol__image_op_white_balance;
extern const pol_op_desc pol__image_op_exposure;
extern const pol_op_desc pol__image_op_tone;
extern const pol_op_desc pol__image_op_denoise;
extern const pol_op_desc pol__image_op_sharpen;
extern const pol_op_desc pol__image_op_straighten;
extern const pol_op_desc pol__image_op_crop;
extern const pol_op_desc pol__image_op_resize;
extern const pol_op_desc pol__image_op_match;
extern const pol_op_desc pol__image_op_export;

const pol_op_desc *const pol__image_ops[] = {
    &pol__image_op_orient,    &pol__image_op_colour,  &pol__image_op_white_balance,
    &pol__image_op_exposure,  &pol__image_op_tone,    &pol__image_op_denoise,
    &pol__image_op_sharpen,   &pol__image_op_straighten, &pol__image_op_crop,
    &pol__image_op_resize,    &pol__image_op_match,   &pol__image_op_export, NULL,
};
