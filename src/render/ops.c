/* polish — the render domain's operation table: one line per operation, NULL last. */
#include "render/render.h"

extern const pol_op_desc pol__render_op_ao;
extern const pol_op_desc pol__render_op_aa;
extern const pol_op_desc pol__render_op_bloom;
extern const pol_op_desc pol__render_op_tonemap;
extern const pol_op_desc pol__render_op_grade;
extern const pol_op_desc pol__render_op_denoise;
extern const pol_op_desc pol__render_op_sharpen;
extern const pol_op_desc pol__render_op_vignette;
extern const pol_op_desc pol__render_op_grain;
extern const pol_op_desc pol__render_op_fog;
extern const pol_op_desc pol__render_op_dof;
extern const pol_op_desc pol__render_op_export;

const pol_op_desc *const pol__render_ops[] = {
    &pol__render_op_ao,      &pol__render_op_aa,       &pol__render_op_bloom,
    &pol__render_op_tonemap, &pol__render_op_grade,    &pol__render_op_denoise,
    &pol__render_op_sharpen, &pol__render_op_vignette, &pol__render_op_grain,
    &pol__render_op_fog,     &pol__render_op_dof,      &pol__render_op_export,
    NULL,
};
