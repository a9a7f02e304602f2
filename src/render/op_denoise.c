/* polish — render.denoise: an edge-avoiding a-trous wavelet filter (five passes of a 5x5 B3-spline
 * kernel with holes 1, 2, 4, 8, 16) guided by the albedo and normal passes: the albedo is divided
 * out first (texture is kept sharp, only lighting is filtered), weights drop across normals and
 * albedo edges, and across colour differences large against the measured noise level. */
#include <stdlib.h>
#include <string.h>
#include "render/render.h"

static const pol_param_desc params[] = {
    {"strength", POL_PARAM_NUM, "1", 0.1, 4, NULL, "Colour tolerance in units of the measured noise."},
    {"passes", POL_PARAM_INT, "5", 1, 6, NULL, "Wavelet passes (each doubles the reach)."},
};

typedef struct dn_ctx {
    const pol__render *r;
    const float *in;
    float *out;
    const float *alb, *nrm, *z;
    int step;
    float inv_sc2; /* 1 / sigma_colour^2 */
} dn_ctx;

static void rows(void *u, size_t b, size_t e)
{
    dn_ctx *c = u;
    const int w = c->r->w, h = c->r->h, s = c->step;
    static const float k[5] = {1.0f / 16, 4.0f / 16, 6.0f / 16, 4.0f / 16, 1.0f / 16};
    for (int y = (int)b; y < (int)e; y++)
        for (int x = 0; x < w; x++) {
            size_t i = (size_t)y * w + x;
            const float *p = c->in + 4 * i;
            float acc[4] = {0, 0, 0, 0}, ws = 0;
            for (int j = -2; j <= 2; j++) {
                int yy = y + j * s;
                if (yy < 0 || yy >= h) continue;
                for (int t = -2; t <= 2; t++) {
                    int xx = x + t * s;
                    if (xx < 0 || xx >= w) continue;
                    size_t q = (size_t)yy * w + xx;
                    const float *pq = c->in + 4 * q;
                    float d0 = pq[0] - p[0], d1 = pq[1] - p[1], d2 = pq[2] - p[2];
                    float wgt = k[j + 2] * k[t + 2] * expf(-(d0 * d0 + d1 * d1 + d2 * d2) * c->inv_sc2);
                    if (c->nrm) {
                        const float *a = c->nrm + 3 * i, *bq = c->nrm + 3 * q;
                        float dn = a[0] * bq[0] + a[1] * bq[1] + a[2] * bq[2];
                        dn = dn > 0 ? dn : 0;
                        dn *= dn, dn *= dn, dn *= dn, dn *= dn, dn *= dn; /* ^32 */
                        wgt *= dn;
                    }
                    if (c->alb) {
                        const float *a = c->alb + 3 * i, *bq = c->alb + 3 * q;
                        float da = fabsf(a[0] - bq[0]) + fabsf(a[1] - bq[1]) + fabsf(a[2] - bq[2]);
                        wgt *= expf(-da * 20);
                    }
                    if (c->z) {
                        float za = c->z[i], zb = c->z[q];
                        if (fabsf(za - zb) > 0.03f * (za < zb ? za : zb) * (float)s) wgt = 0;
                    }
                    for (int m = 0; m < 4; m++) acc[m] += wgt * pq[m];
                    ws += wgt;
                }
            }
            float *o = c->out + 4 * i;
            if (ws > 0)
                for (int m = 0; m < 4; m++) o[m] = acc[m] / ws;
            else
                memcpy(o, p, 16);
        }
}

static int cmp_f(const void *a, const void *b)
{
    float x = *(const float *)a, y = *(const float *)b;
    return x < y ? -1 : x > y;
}

/* Noise level: a high percentile of the absolute Laplacian of luminance, as a Gaussian sigma. */
static float noise_sigma(const float *v, int w, int h)
{
    size_t n = 0, cap = (size_t)(w / 3 + 1) * (h / 3 + 1);
    float *d = malloc(cap * sizeof *d);
    if (!d) return 0.05f;
    for (int y = 1; y + 1 < h; y += 3)
        for (int x = 1; x + 1 < w; x += 3) {
            float c = pol__rn_luma(v + 4 * ((size_t)y * w + x));
            float l = 4 * c - pol__rn_luma(v + 4 * ((size_t)y * w + x - 1)) -
                      pol__rn_luma(v + 4 * ((size_t)y * w + x + 1)) -
                      pol__rn_luma(v + 4 * ((size_t)(y - 1) * w + x)) -
                      pol__rn_luma(v + 4 * ((size_t)(y + 1) * w + x));
            if (n < cap) d[n++] = fabsf(l);
        }
    float s = 0.05f;
    if (n) {
        qsort(d, n, sizeof *d, cmp_f);
        /* the 90th percentile: render noise sits where light is partly blocked, so most pixels
         * may have none; for white noise it is 1.645 sigma, and a Laplacian has sqrt(20) sigma */
        s = d[n * 9 / 10] / 1.645f / sqrtf(20.0f);
    }
    free(d);
    return s;
}

static pol_status run(pol_run *run, pol_asset *asset, const pol_args *args)
{
    pol__render *r = pol__render_get(run, asset);
    size_t n = (size_t)r->w * r->h;
    const float *alb = r->pass[POL_RP_ALBEDO];
    pol_status st = pol__mem_reserve(run, n * 32, "denoising buffers");
    if (st) return st;
    float *a = malloc(n * 16), *b = malloc(n * 16), *nrm = NULL;
    if (!a || !b) {
        free(a), free(b);
        return pol__fail(run, POL_ERR_NOMEM, "out of memory");
    }
    /* demodulate by albedo: filter the lighting only */
    for (size_t i = 0; i < n; i++) {
        for (int k = 0; k < 3; k++) {
            float d = alb ? alb[3 * i + k] : 1;
            a[4 * i + k] = r->rgba[4 * i + k] / (d > 0.02f ? d : 0.02f) * (alb ? 1 : 1);
            if (alb && !(d > 0.02f)) a[4 * i + k] = r->rgba[4 * i + k] / 0.02f;
        }
        a[4 * i + 3] = r->rgba[4 * i + 3];
    }
    if (r->pass[POL_RP_NORMAL] && (nrm = malloc(n * 12))) {
        for (size_t i = 0; i < n; i++) {
            const float *v = r->pass[POL_RP_NORMAL] + 3 * i;
            float l = sqrtf(v[0] * v[0] + v[1] * v[1] + v[2] * v[2]);
            for (int k = 0; k < 3; k++) nrm[3 * i + k] = l > 0 ? v[k] / l : 0;
        }
    }
    float sigma = noise_sigma(a, r->w, r->h);
    pol__measure(run, "noise_sigma", sigma);
    if (sigma < 1e-4f) {
        free(a), free(b), free(nrm);
        pol__decline(run, "no measurable noise (sigma %.2g)", sigma);
        return POL_OK;
    }
    /* with guides the colour term can be wide (edges are kept by albedo and normals); on colour
     * alone it must stay near the noise, or texture edges go with it */
    int guided = alb || nrm;
    float sc = (float)pol__arg_num(args, "strength") * sigma * (guided ? 12.0f : 0.4f);
    int passes = (int)pol__arg_int(args, "passes");
    dn_ctx c = {r, a, b, alb, nrm, r->pass[POL_RP_DEPTH], 1, 0};
    for (int it = 0; it < passes; it++) {
        c.step = 1 << it;
        c.inv_sc2 = 1 / (sc * sc);
        pol__parallel_for(run, (size_t)r->h, 4, rows, &c);
        float *t = (float *)c.in;
        c.in = c.out, c.out = t;
        sc *= 0.5f; /* the remaining noise halves, about, with each pass */
        if (pol__cancelled(run)) break;
    }
    const float *res = c.in;
    for (size_t i = 0; i < n; i++)
        for (int k = 0; k < 3; k++) {
            float d = alb ? alb[3 * i + k] : 1;
            r->rgba[4 * i + k] = res[4 * i + k] * (alb ? (d > 0.02f ? d : 0.02f) : 1);
        }
    free(a), free(b), free(nrm);
    char guide[64];
    snprintf(guide, sizeof guide, "%s%s%s", alb ? "albedo " : "", r->pass[POL_RP_NORMAL] ? "normals " : "",
             r->pass[POL_RP_DEPTH] ? "depth" : "");
    pol__decide(run, "%d edge-avoiding wavelet passes, guided by %s", passes, *guide ? guide : "colour only");
    pol__render_figure(run, r, "before | after (denoise)");
    return POL_OK;
}

const pol_op_desc pol__render_op_denoise = {
    .domain = "render",
    .name = "denoise",
    .summary = "Denoise: edge-avoiding wavelet filter guided by the albedo, normal and depth passes",
    .params = params,
    .n_params = POL_ARRAY_LEN(params),
    .run = run,
};
