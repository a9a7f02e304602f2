/* polish — render.aa: morphological anti-aliasing of the FXAA 3.11 kind. Edges are found on a
 * perceptual luma of the tone-compressed frame (so HDR highlights do not hide edges), their
 * direction and ends are searched along the edge, and each edge pixel is blended with its
 * neighbour across the edge by the coverage the edge's position gives (in linear light). */
#include <stdlib.h>
#include <string.h>
#include "render/render.h"

static const pol_param_desc params[] = {
    {"threshold", POL_PARAM_NUM, "0.063", 0.01, 0.5, NULL,
     "Smallest local contrast (perceptual luma) treated as an edge."},
    {"subpixel", POL_PARAM_NUM, "0.75", 0, 1, NULL,
     "How much single-pixel detail (thin lines, dots) is softened."},
};

/* The frame is anti-aliased in place, in bands of BAND rows: a pixel blends with one neighbour
 * across its edge, so each band keeps the original of the row above the one it is changing, and
 * the rows at band edges (which a neighbouring band may be changing at the same time) are read
 * from copies made before any band starts. */
#define BAND 16

typedef struct aa_ctx {
    const pol__render *r;
    float *edge_rows; /* per band: its first and its last row as they were, w*4 floats each */
    float *dst;
    const float *L;
    float thr, thr_min, subq;
    size_t edges;
    int nomem;
    pol_run *run;
} aa_ctx;

#define LU(x, y) c->L[(size_t)((y) < 0 ? 0 : (y) >= h ? h - 1 : (y)) * w + (size_t)((x) < 0 ? 0 : (x) >= w ? w - 1 : (x))]

static void luma_rows(void *u, size_t b, size_t e)
{
    aa_ctx *c = u;
    const pol__render *r = c->r;
    float *L = (float *)c->L;
    for (size_t i = b * r->w; i < e * r->w; i++) {
        float l = pol__rn_luma(r->rgba + 4 * i);
        l = l > 0 ? l / (1 + l) : 0; /* tone-compressed, then perceptual */
        L[i] = sqrtf(l);
    }
}

/* the original of row yy as band `band` (rows y0..y1-1, now at row y) may read it */
static const float *orig_row(const aa_ctx *c, int yy, int y0, int y1, const float *prev,
                             const float *cur, int y)
{
    const size_t w = (size_t)c->r->w;
    if (yy == y) return cur;
    if (yy == y - 1) return yy < y0 ? c->edge_rows + ((size_t)(yy / BAND) * 2 + 1) * w * 4 : prev;
    if (yy >= y1) return c->edge_rows + (size_t)(yy / BAND) * 2 * w * 4; /* next band's first */
    return c->dst + (size_t)yy * w * 4;                                   /* not changed yet */
}

static void rows(void *u, size_t b, size_t e)
{
    aa_ctx *c = u;
    const int w = c->r->w, h = c->r->h;
    static const int steps[] = {1, 1, 1, 1, 1, 2, 2, 2, 2, 4, 8};
    const int nsteps = (int)(sizeof steps / sizeof steps[0]);
    size_t edges = 0;
    float *buf = malloc((size_t)w * 32); /* the originals of the previous and the current row */
    if (!buf) {
        __atomic_store_n(&c->nomem, 1, __ATOMIC_RELAXED);
        return;
    }
    int y0 = (int)b * BAND, y1 = (int)e * BAND > h ? h : (int)e * BAND;
    float *prev = buf, *cur = buf + (size_t)w * 4;
    for (int y = y0; y < y1; y++) {
        memcpy(cur, c->dst + (size_t)y * w * 4, (size_t)w * 16);
        for (int x = 0; x < w; x++) {
            float M = LU(x, y), N = LU(x, y - 1), S = LU(x, y + 1), E = LU(x + 1, y), W = LU(x - 1, y);
            float mx = fmaxf(fmaxf(fmaxf(N, S), fmaxf(E, W)), M);
            float mn = fminf(fminf(fminf(N, S), fminf(E, W)), M);
            float range = mx - mn;
            if (range < fmaxf(c->thr_min, mx * c->thr)) continue;
            edges++;
            float NW = LU(x - 1, y - 1), NE = LU(x + 1, y - 1), SW = LU(x - 1, y + 1), SE = LU(x + 1, y + 1);
            /* sub-pixel aliasing: how far M stands out of its neighbourhood */
            float avg = (2 * (N + S + E + W) + NW + NE + SW + SE) / 12.0f;
            float sb = fminf(fabsf(avg - M) / range, 1.0f);
            float sc = (-2 * sb + 3) * sb * sb;
            float sub = sc * sc * c->subq;
            float horz = 2 * fabsf(N + S - 2 * M) + fabsf(NE + SE - 2 * E) + fabsf(NW + SW - 2 * W);
            float vert = 2 * fabsf(E + W - 2 * M) + fabsf(NE + NW - 2 * N) + fabsf(SE + SW - 2 * S);
            int hz = horz >= vert; /* a horizontal edge: the neighbour across is N or S */
            float l1 = hz ? N : W, l2 = hz ? S : E;
            float g1 = fabsf(l1 - M), g2 = fabsf(l2 - M);
            int dir = g1 >= g2 ? -1 : 1;
            float ln = dir < 0 ? l1 : l2, grad = fmaxf(g1, g2);
            float mid = 0.5f * (M + ln), gs = 0.25f * grad;
            /* search both ways along the edge for where it ends */
            int ax = hz ? 1 : 0, ay = hz ? 0 : 1; /* along */
            int cx = hz ? 0 : dir, cy = hz ? dir : 0; /* across */
            int dn = 0, dp = 0;
            float en = mid, ep = mid;
            int done_n = 0, done_p = 0;
            for (int s = 0; s < nsteps && !(done_n && done_p); s++) {
                if (!done_n) {
                    dn += steps[s];
                    int px = x - ax * dn, py = y - ay * dn;
                    en = 0.5f * (LU(px, py) + LU(px + cx, py + cy));
                    done_n = fabsf(en - mid) >= gs;
                }
                if (!done_p) {
                    dp += steps[s];
                    int px = x + ax * dp, py = y + ay * dp;
                    ep = 0.5f * (LU(px, py) + LU(px + cx, py + cy));
                    done_p = fabsf(ep - mid) >= gs;
                }
            }
            float dist = (float)(dn < dp ? dn : dp) - 0.5f;
            float span = (float)(dn + dp) - 1.0f;
            float eclose = dn < dp ? en : ep;
            int mneg = (M - mid) < 0;
            int good = ((eclose - mid) < 0) != mneg;
            float off = good ? 0.5f - dist / span : 0.0f;
            if (off < 0) off = 0;
            off = fmaxf(off, sub);
            if (off <= 0) continue;
            int nx = x + cx, ny = y + cy;
            nx = nx < 0 ? 0 : nx >= w ? w - 1 : nx;
            ny = ny < 0 ? 0 : ny >= h ? h - 1 : ny;
            const float *pm = cur + (size_t)x * 4;
            const float *pn = orig_row(c, ny, y0, y1, prev, cur, y) + (size_t)nx * 4;
            float *d = c->dst + ((size_t)y * w + x) * 4;
            for (int k = 0; k < 4; k++) d[k] = pm[k] + off * (pn[k] - pm[k]);
        }
        float *t = prev;
        prev = cur, cur = t;
    }
    free(buf);
    __atomic_add_fetch(&c->edges, edges, __ATOMIC_RELAXED);
}

pol_status pol__render_aa(pol_run *run, pol__render *r, float thr, float subq, size_t *edges)
{
    size_t n = (size_t)r->w * r->h, bands = ((size_t)r->h + BAND - 1) / BAND;
    pol_status st = pol__mem_reserve(run, n * 4 + bands * 2 * (size_t)r->w * 16,
                                     "anti-aliasing buffers");
    if (st) return st;
    float *rows2 = malloc(bands * 2 * (size_t)r->w * 16), *L = malloc(n * 4);
    if (!rows2 || !L) {
        free(rows2);
        free(L);
        return pol__fail(run, POL_ERR_NOMEM, "out of memory");
    }
    for (size_t k = 0; k < bands; k++) {
        size_t first = k * BAND, last = first + BAND - 1 < (size_t)r->h ? first + BAND - 1 : (size_t)r->h - 1;
        memcpy(rows2 + k * 2 * r->w * 4, r->rgba + first * r->w * 4, (size_t)r->w * 16);
        memcpy(rows2 + (k * 2 + 1) * r->w * 4, r->rgba + last * r->w * 4, (size_t)r->w * 16);
    }
    aa_ctx c = {r, rows2, r->rgba, L, thr, 0.0312f, subq, 0, 0, run};
    pol__parallel_for(run, (size_t)r->h, 16, luma_rows, &c);
    pol__parallel_for(run, bands, 1, rows, &c);
    free(rows2);
    free(L);
    if (c.nomem) return pol__fail(run, POL_ERR_NOMEM, "out of memory");
    *edges = c.edges;
    return POL_OK;
}

static pol_status run(pol_run *run, pol_asset *asset, const pol_args *args)
{
    pol__render *r = pol__render_of(asset);
    size_t edges = 0;
    pol_status st = pol__render_aa(run, r, (float)pol__arg_num(args, "threshold"),
                                   (float)pol__arg_num(args, "subpixel"), &edges);
    if (st) return st;
    double frac = (double)edges / ((double)r->w * r->h);
    pol__measure(run, "edge_pixel_fraction", frac);
    if (edges == 0) {
        pol__decline(run, "no aliased edges above the threshold");
        return POL_OK;
    }
    pol__decide(run, "%zu edge pixels (%.1f%%) blended along their edges", edges, 100 * frac);
    pol__render_figure(run, r, "before | after (anti-aliasing)");
    return POL_OK;
}

const pol_op_desc pol__render_op_aa = {
    .domain = "render",
    .name = "aa",
    .summary = "Anti-alias edges (morphological, FXAA 3.11 class)",
    .params = params,
    .n_params = POL_ARRAY_LEN(params),
    .run = run,
    .flags = POL_OP_AUTO,
};
