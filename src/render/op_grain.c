/* polish — render.grain: film grain, Gaussian and stronger in the mid-tones, from a hash of the
 * pixel position and a seed (the same frame and seed give the same grain). */
#include <stdint.h>
#include <stdlib.h>
#include "render/render.h"

static const pol_param_desc params[] = {
    {"amount", POL_PARAM_NUM, "0.04", 0, 0.5, NULL, "Grain strength (relative, at mid-grey)."},
    {"seed", POL_PARAM_INT, "1", 0, 2147483647, NULL, "Grain pattern: change it per frame of a sequence."},
};

typedef struct gr_ctx { float amount; uint32_t seed; int w; } gr_ctx;

static inline uint32_t hash32(uint32_t x)
{
    x ^= x >> 16, x *= 0x7feb352dU, x ^= x >> 15, x *= 0x846ca68bU, x ^= x >> 16;
    return x;
}

/* n unpremultiplied pixels (a deferred step, run in the frame's fused pointwise pass) */
static void gn_px(void *u, float *R, float *G, float *B, const float *rgba, int n, int x0, int y)
{
    const gr_ctx *c = u;
    uint32_t hs = hash32(c->seed);
    for (int i = 0; i < n; i++) {
        int x = x0 + i;
        uint32_t s = hash32((uint32_t)((size_t)y * (size_t)c->w + (size_t)x) ^ hs);
        float u1 = ((s & 0xffff) + 0.5f) / 65536.0f, u2 = ((s >> 16) + 0.5f) / 65536.0f;
        float g = sqrtf(-2 * logf(u1)) * cosf(6.2831853f * u2);
        float a = rgba[4 * i + 3]; /* alpha (the earlier stages of the pass leave it) */
        float v[3] = {R[i], G[i], B[i]};
        float L = pol__rn_luma(v) * (a > 1e-6f && a < 1 ? a : 1); /* premultiplied */
        float lc = L > 0 ? L / (1 + L) : 0;
        float m = 1 + c->amount * g * 4 * lc * (1 - lc);
        m = m > 0 ? m : 0;
        R[i] *= m, G[i] *= m, B[i] *= m;
    }
}

static pol_status run(pol_run *run, pol_asset *asset, const pol_args *args)
{
    pol__render *r = pol__render_of(asset); /* runs with the other deferred steps */
    float amount = (float)pol__arg_num(args, "amount");
    uint32_t seed = (uint32_t)pol__arg_int(args, "seed");
    if (amount <= 0) {
        pol__decline(run, "amount 0");
        return POL_OK;
    }
    gr_ctx *c = malloc(sizeof *c);
    if (!c) return pol__fail(run, POL_ERR_NOMEM, "out of memory");
    *c = (gr_ctx){amount, seed, r->w};
    pol__render_defer(run, r, gn_px, c, free);
    pol__decide(run, "grain at %.3f (seed %u)", amount, seed);
    return POL_OK;
}

const pol_op_desc pol__render_op_grain = {
    .domain = "render", .name = "grain", .summary = "Film grain (deterministic, strongest in mid-tones)",
    .params = params, .n_params = POL_ARRAY_LEN(params), .run = run,
};
