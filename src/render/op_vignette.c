/* polish — render.vignette: a cos^4-style darkening towards the corners, in linear light. */
#include "render/render.h"

static const pol_param_desc params[] = {
    {"amount", POL_PARAM_NUM, "0.3", 0, 1, NULL, "Darkening at the corners (0..1)."},
    {"roundness", POL_PARAM_NUM, "1", 0, 1, NULL, "1: a circle; 0: follows the frame's aspect."},
};

typedef struct vg_ctx { pol__render *r; float amount, round; } vg_ctx;

static void rows(void *u, size_t b, size_t e)
{
    vg_ctx *c = u;
    pol__render *r = c->r;
    float cx = 0.5f * r->w, cy = 0.5f * r->h, d = sqrtf(cx * cx + cy * cy);
    float sx = c->round * d + (1 - c->round) * cx * 1.41421356f, sy = c->round * d + (1 - c->round) * cy * 1.41421356f;
    for (size_t y = b; y < e; y++)
        for (int x = 0; x < r->w; x++) {
            float dx = ((float)x + 0.5f - cx) / sx, dy = ((float)y + 0.5f - cy) / sy;
            float t = dx * dx + dy * dy; /* 1 at the corners */
            float cs = 1 / (1 + t), f = cs * cs; /* cos^4 of a lens with the corner at 45 deg */
            float m = 1 - c->amount * (1 - f) / (1 - 0.25f);
            float *p = r->rgba + ((size_t)y * r->w + x) * 4;
            for (int k = 0; k < 3; k++) p[k] *= m < 0 ? 0 : m;
        }
}

static pol_status run(pol_run *run, pol_asset *asset, const pol_args *args)
{
    pol__render *r = pol__render_of(asset);
    vg_ctx c = {r, (float)pol__arg_num(args, "amount"), (float)pol__arg_num(args, "roundness")};
    if (c.amount < 0.005f) {
        pol__decline(run, "amount %.3f is too small to matter", c.amount);
        return POL_OK;
    }
    pol__parallel_for(run, (size_t)r->h, 16, rows, &c);
    pol__decide(run, "corners darkened by %.0f%%", 100 * c.amount);
    return POL_OK;
}

const pol_op_desc pol__render_op_vignette = {
    .domain = "render", .name = "vignette", .summary = "Darken the corners (lens falloff)",
    .params = params, .n_params = POL_ARRAY_LEN(params), .run = run, .flags = POL_OP_SCALE_SAFE,
};
