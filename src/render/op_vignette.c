/* polish — render.vignette: a cos^4-style darkening towards the corners, in linear light. */
#include <stdlib.h>
#include "render/render.h"

static const pol_param_desc params[] = {
    {"amount", POL_PARAM_NUM, "0.3", 0, 1, NULL, "Darkening at the corners (0..1)."},
    {"roundness", POL_PARAM_NUM, "1", 0, 1, NULL, "1: a circle; 0: follows the frame's aspect."},
};

typedef struct vg_ctx { float amount, cx, cy, sx, sy; } vg_ctx;

/* n unpremultiplied pixels (a deferred step, run in the frame's fused pointwise pass) */
static void vg_px(void *u, float *R, float *G, float *B, const float *rgba, int n, int x0, int y)
{
    const vg_ctx *c = u;
    (void)rgba;
    float dy = ((float)y + 0.5f - c->cy) / c->sy;
    for (int i = 0; i < n; i++) {
        float dx = ((float)(x0 + i) + 0.5f - c->cx) / c->sx;
        float t = dx * dx + dy * dy; /* 1 at the corners */
        float cs = 1 / (1 + t), f = cs * cs; /* cos^4 of a lens with the corner at 45 deg */
        float m = 1 - c->amount * (1 - f) / (1 - 0.25f);
        m = m < 0 ? 0 : m;
        R[i] *= m, G[i] *= m, B[i] *= m;
    }
}

static pol_status run(pol_run *run, pol_asset *asset, const pol_args *args)
{
    pol__render *r = pol__render_of(asset); /* pixels not read here: runs with the other deferred steps */
    float amount = (float)pol__arg_num(args, "amount"), round = (float)pol__arg_num(args, "roundness");
    if (amount < 0.005f) {
        pol__decline(run, "amount %.3f is too small to matter", amount);
        return POL_OK;
    }
    vg_ctx *c = malloc(sizeof *c);
    if (!c) return pol__fail(run, POL_ERR_NOMEM, "out of memory");
    float cx = 0.5f * r->w, cy = 0.5f * r->h, d = sqrtf(cx * cx + cy * cy);
    *c = (vg_ctx){amount, cx, cy, round * d + (1 - round) * cx * 1.41421356f,
                  round * d + (1 - round) * cy * 1.41421356f};
    pol__render_defer(run, r, vg_px, c, free);
    pol__decide(run, "corners darkened by %.0f%%", 100 * amount);
    return POL_OK;
}

const pol_op_desc pol__render_op_vignette = {
    .domain = "render", .name = "vignette", .summary = "Darken the corners (lens falloff)",
    .params = params, .n_params = POL_ARRAY_LEN(params), .run = run, .flags = POL_OP_SCALE_SAFE,
};
