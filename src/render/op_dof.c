/* polish — render.dof: depth of field from the depth pass. Each pixel's circle of confusion comes
 * from a thin-lens model (aperture x |z - focus| / z); a gather over a disk takes a neighbour only
 * when its own circle reaches this pixel (scatter as gather), so sharp foreground does not bleed
 * and blurred foreground spreads over what is behind it. */
#include <stdlib.h>
#include <string.h>
#include "render/render.h"

static const pol_param_desc params[] = {
    {"focus", POL_PARAM_NUM, NULL, 0, 1e9, NULL, "Focus distance; unset: the depth at the frame's centre."},
    {"aperture", POL_PARAM_NUM, "8", 0, 64, NULL, "Largest blur radius, for things far from focus.", .unit = "px"},
};

typedef struct df_ctx {
    const pol__render *r;
    const float *src, *coc;
    float *dst;
    float maxr;
} df_ctx;

static void rows(void *u, size_t b, size_t e)
{
    df_ctx *c = u;
    const int w = c->r->w, h = c->r->h;
    int R = (int)ceilf(c->maxr);
    for (int y = (int)b; y < (int)e; y++)
        for (int x = 0; x < w; x++) {
            size_t i = (size_t)y * w + x;
            float cp = c->coc[i];
            if (cp < 0.5f && R < 1) continue;
            float acc[4] = {0, 0, 0, 0}, ws = 0;
            for (int j = -R; j <= R; j++) {
                int yy = y + j;
                if (yy < 0 || yy >= h) continue;
                for (int t = -R; t <= R; t++) {
                    int xx = x + t;
                    if (xx < 0 || xx >= w) continue;
                    float d = sqrtf((float)(j * j + t * t));
                    size_t q = (size_t)yy * w + xx;
                    float cq = c->coc[q];
                    /* q's circle covers p; and q behind a sharp p does not bleed onto it */
                    float r = fminf(cq, cp + 1.0f > cq ? cq : cp + 1.0f) ;
                    if (c->r->pass[POL_RP_DEPTH][q] > c->r->pass[POL_RP_DEPTH][i]) r = fminf(cq, cp);
                    if (d > r + 0.5f) continue;
                    float wgt = 1 / (1 + r * r);
                    for (int k = 0; k < 4; k++) acc[k] += wgt * c->src[4 * q + k];
                    ws += wgt;
                }
            }
            if (ws > 0)
                for (int k = 0; k < 4; k++) c->dst[4 * i + k] = acc[k] / ws;
        }
}

static pol_status run(pol_run *run, pol_asset *asset, const pol_args *args)
{
    pol__render *r = pol__render_get(run, asset);
    if (!r->pass[POL_RP_DEPTH]) {
        pol__decline(run, "no depth pass: depth of field needs the distance of each pixel");
        return POL_OK;
    }
    const float *Z = r->pass[POL_RP_DEPTH];
    float ap = (float)pol__arg_num(args, "aperture");
    float focus = pol__arg_has(args, "focus") ? (float)pol__arg_num(args, "focus")
                                              : Z[(size_t)(r->h / 2) * r->w + r->w / 2];
    if (!(focus > 0) || focus >= 1e9f) focus = 1;
    if (ap < 0.5f) {
        pol__decline(run, "aperture %.2f px blurs nothing", ap);
        return POL_OK;
    }
    size_t n = (size_t)r->w * r->h;
    pol_status st = pol__mem_reserve(run, n * 20, "depth of field buffers");
    if (st) return st;
    float *src = malloc(n * 16), *coc = malloc(n * 4);
    if (!src || !coc) {
        free(src), free(coc);
        return pol__fail(run, POL_ERR_NOMEM, "out of memory");
    }
    memcpy(src, r->rgba, n * 16);
    for (size_t i = 0; i < n; i++) {
        float z = Z[i] > 1e-6f ? Z[i] : 1e-6f;
        float v = ap * fabsf(z - focus) / z;
        coc[i] = v > ap ? ap : v;
    }
    df_ctx c = {r, src, coc, r->rgba, ap};
    pol__parallel_for(run, (size_t)r->h, 4, rows, &c);
    free(src), free(coc);
    pol__measure(run, "focus", focus);
    pol__decide(run, "depth of field focused at %.3g, blur up to %.1f px", focus, ap);
    pol__render_figure(run, r, "before | after (depth of field)");
    return POL_OK;
}

const pol_op_desc pol__render_op_dof = {
    .domain = "render", .name = "dof", .summary = "Depth of field from the depth pass",
    .params = params, .n_params = POL_ARRAY_LEN(params), .run = run,
};
