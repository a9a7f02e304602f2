/* polish — render.sharpen: contrast-adaptive sharpening (CAS class): each pixel is sharpened by its
 * cross neighbours with a weight that falls where the local contrast is already high, so edges do
 * not ring and flat areas stay clean. Amplitudes are judged on tone-compressed values (HDR-safe). */
#include <stdlib.h>
#include <string.h>
#include "render/render.h"

static const pol_param_desc params[] = {
    {"amount", POL_PARAM_NUM, "0.5", 0, 1, NULL, "Sharpening strength."},
};

typedef struct sh_ctx {
    const pol__render *r;
    const float *src;
    float *dst;
    float peak;
} sh_ctx;

static inline float tc(float v) { return v > 0 ? v / (1 + v) : 0; }

static void rows(void *u, size_t b, size_t e)
{
    sh_ctx *c = u;
    const int w = c->r->w, h = c->r->h;
    for (int y = (int)b; y < (int)e; y++)
        for (int x = 0; x < w; x++) {
            const float *m = c->src + ((size_t)y * w + x) * 4;
            const float *nb[4] = {c->src + ((size_t)(y > 0 ? y - 1 : 0) * w + x) * 4,
                                  c->src + ((size_t)(y + 1 < h ? y + 1 : y) * w + x) * 4,
                                  c->src + ((size_t)y * w + (x > 0 ? x - 1 : 0)) * 4,
                                  c->src + ((size_t)y * w + (x + 1 < w ? x + 1 : x)) * 4};
            float *o = c->dst + ((size_t)y * w + x) * 4;
            for (int k = 0; k < 3; k++) {
                float mn = tc(m[k]), mx = mn;
                for (int j = 0; j < 4; j++) {
                    float v = tc(nb[j][k]);
                    mn = v < mn ? v : mn, mx = v > mx ? v : mx;
                }
                float amp = mx > 0 ? fminf(mn, 1 - mx) / mx : 0;
                amp = sqrtf(amp < 0 ? 0 : amp > 1 ? 1 : amp);
                float wgt = -amp * c->peak;
                float s = nb[0][k] + nb[1][k] + nb[2][k] + nb[3][k];
                float v = (s * wgt + m[k]) / (1 + 4 * wgt);
                o[k] = v > 0 || m[k] <= 0 ? v : 0;
            }
            o[3] = m[3];
        }
}

static pol_status run(pol_run *run, pol_asset *asset, const pol_args *args)
{
    pol__render *r = pol__render_get(run, asset);
    float amount = (float)pol__arg_num(args, "amount");
    if (amount <= 0) {
        pol__decline(run, "amount 0");
        return POL_OK;
    }
    size_t n = (size_t)r->w * r->h;
    pol_status st = pol__mem_reserve(run, n * 16, "a sharpening copy");
    if (st) return st;
    float *src = malloc(n * 16);
    if (!src) return pol__fail(run, POL_ERR_NOMEM, "out of memory");
    memcpy(src, r->rgba, n * 16);
    sh_ctx c = {r, src, r->rgba, 1.0f / (8.0f - 3.0f * amount)};
    pol__parallel_for(run, (size_t)r->h, 16, rows, &c);
    free(src);
    pol__decide(run, "contrast-adaptive sharpening at %.2f", amount);
    pol__render_figure(run, r, "before | after (sharpen)");
    return POL_OK;
}

const pol_op_desc pol__render_op_sharpen = {
    .domain = "render", .name = "sharpen",
    .summary = "Contrast-adaptive sharpening (no halos on strong edges)",
    .params = params, .n_params = POL_ARRAY_LEN(params), .run = run,
};
