/* polish — render.fog: exponential distance fog from the depth pass. */
#include <stdio.h>
#include "render/render.h"

static const pol_param_desc params[] = {
    {"density", POL_PARAM_NUM, NULL, 0, 1e6, NULL,
     "Extinction per scene unit; unset: half the light is lost at the median depth."},
    {"colour", POL_PARAM_STR, "0.6,0.65,0.7", 0, -1, NULL, "Fog colour, linear R,G,B."},
    {"start", POL_PARAM_NUM, "0", 0, 1e9, NULL, "Distance before which there is no fog.", .unit = "units"},
};

typedef struct fg_ctx { pol__render *r; float dens, start, col[3]; } fg_ctx;

static void rows(void *u, size_t b, size_t e)
{
    fg_ctx *c = u;
    pol__render *r = c->r;
    const float *Z = r->pass[POL_RP_DEPTH];
    for (size_t i = b * r->w; i < e * r->w; i++) {
        float z = Z[i] - c->start;
        if (!(z > 0)) continue;
        float t = expf(-c->dens * (z < 1e9f ? z : 1e9f));
        float *p = r->rgba + 4 * i;
        for (int k = 0; k < 3; k++) p[k] = p[k] * t + c->col[k] * p[3] * (1 - t);
    }
}

static pol_status run(pol_run *run, pol_asset *asset, const pol_args *args)
{
    pol__render *r = pol__render_get(run, asset);
    if (!r->pass[POL_RP_DEPTH]) {
        pol__decline(run, "no depth pass: fog needs the distance of each pixel");
        return POL_OK;
    }
    fg_ctx c = {r, 0, (float)pol__arg_num(args, "start"), {0}};
    if (sscanf(pol__arg_str(args, "colour"), "%f , %f , %f", &c.col[0], &c.col[1], &c.col[2]) != 3)
        return pol__fail(run, POL_ERR_ARG, "--colour takes three numbers R,G,B");
    if (pol__arg_has(args, "density")) {
        c.dens = (float)pol__arg_num(args, "density");
    } else {
        double s = 0;
        size_t n = 0, N = (size_t)r->w * r->h;
        for (size_t i = 0; i < N; i += 11)
            if (r->pass[POL_RP_DEPTH][i] < 1e9f) s += r->pass[POL_RP_DEPTH][i], n++;
        double mean = n ? s / (double)n - c.start : 1;
        c.dens = (float)(0.6931 / (mean > 1e-6 ? mean : 1));
    }
    pol__measure(run, "density", c.dens);
    pol__parallel_for(run, (size_t)r->h, 16, rows, &c);
    pol__decide(run, "exponential fog, density %.4g per unit", c.dens);
    pol__render_figure(run, r, "before | after (fog)");
    return POL_OK;
}

const pol_op_desc pol__render_op_fog = {
    .domain = "render", .name = "fog", .summary = "Distance fog from the depth pass",
    .params = params, .n_params = POL_ARRAY_LEN(params), .run = run,
};
