/* polish — render.grain: film grain, Gaussian and stronger in the mid-tones, from a hash of the
 * pixel position and a seed (the same frame and seed give the same grain). */
#include <stdint.h>
#include "render/render.h"

static const pol_param_desc params[] = {
    {"amount", POL_PARAM_NUM, "0.04", 0, 0.5, NULL, "Grain strength (relative, at mid-grey)."},
    {"seed", POL_PARAM_INT, "1", 0, 2147483647, NULL, "Grain pattern: change it per frame of a sequence."},
};

typedef struct gr_ctx { pol__render *r; float amount; uint32_t seed; } gr_ctx;

static inline uint32_t hash32(uint32_t x)
{
    x ^= x >> 16, x *= 0x7feb352dU, x ^= x >> 15, x *= 0x846ca68bU, x ^= x >> 16;
    return x;
}

static void rows(void *u, size_t b, size_t e)
{
    gr_ctx *c = u;
    pol__render *r = c->r;
    for (size_t y = b; y < e; y++)
        for (int x = 0; x < r->w; x++) {
            uint32_t s = hash32((uint32_t)(y * (size_t)r->w + (size_t)x) ^ hash32(c->seed));
            float u1 = ((s & 0xffff) + 0.5f) / 65536.0f, u2 = ((s >> 16) + 0.5f) / 65536.0f;
            float g = sqrtf(-2 * logf(u1)) * cosf(6.2831853f * u2);
            float *p = r->rgba + ((size_t)y * r->w + x) * 4;
            float L = pol__rn_luma(p);
            float lc = L > 0 ? L / (1 + L) : 0;
            float m = 1 + c->amount * g * 4 * lc * (1 - lc) / (L > 1e-4f ? 1 : 1);
            for (int k = 0; k < 3; k++) p[k] *= m > 0 ? m : 0;
        }
}

static pol_status run(pol_run *run, pol_asset *asset, const pol_args *args)
{
    pol__render *r = pol__render_of(asset);
    gr_ctx c = {r, (float)pol__arg_num(args, "amount"), (uint32_t)pol__arg_int(args, "seed")};
    if (c.amount <= 0) {
        pol__decline(run, "amount 0");
        return POL_OK;
    }
    pol__parallel_for(run, (size_t)r->h, 16, rows, &c);
    pol__decide(run, "grain at %.3f (seed %u)", c.amount, c.seed);
    return POL_OK;
}

const pol_op_desc pol__render_op_grain = {
    .domain = "render", .name = "grain", .summary = "Film grain (deterministic, strongest in mid-tones)",
    .params = params, .n_params = POL_ARRAY_LEN(params), .run = run,
};
