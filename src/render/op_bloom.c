/* polish — render.bloom: light above a threshold (soft knee) spread by a mip chain (half size, then
 * 2x box downsamples bilinear upsamples mixed by `scatter`), and
 * energy-conserving: the light spread is taken from the pixels it came from, so the frame's total
 * light is unchanged. Work is at half resolution and below: cost about a third of one pass. */
#include <stdlib.h>
#include <string.h>
#include "render/render.h"

static const pol_param_desc params[] = {
    {"threshold", POL_PARAM_NUM, "1", 0, 1000, NULL, "Luminance above which light blooms (scene-linear)."},
    {"knee", POL_PARAM_NUM, "0.5", 0, 1, NULL, "Softness of the threshold (fraction of it)."},
    {"intensity", POL_PARAM_NUM, "0.5", 0, 1, NULL, "Fraction of the light above the threshold that is spread."},
    {"levels", POL_PARAM_INT, "6", 1, 10, NULL, "Mip levels: more spreads wider."},
    {"scatter", POL_PARAM_NUM, "0.7", 0, 0.95, NULL, "How much of the light goes to the wider levels."},
};

typedef struct mip {
    int w, h;
    float *v; /* 3 channels */
} mip;

typedef struct bl_ctx {
    const pol__render *r;
    float thr, knee, inten, scatter;
    mip *m;
    int lvl;          /* level being made */
    float *bright_sum;
    double *row_e;    /* per row: the luma sum (before; after, from final_rows) */
    size_t *row_over; /* per row: pixels above the threshold */
} bl_ctx;

static inline float soft(float L, float t, float k)
{
    /* quadratic knee between t-k and t+k, linear above */
    if (L <= t - k) return 0;
    if (L >= t + k || k <= 0) return L - t > 0 ? L - t : 0;
    float x = L - t + k;
    return x * x / (4 * k);
}

/* bright part of the full frame, reduced to half size (a plain 2x2 mean, so energy is kept) */
static void first_rows(void *u, size_t b, size_t e)
{
    bl_ctx *c = u;
    const pol__render *r = c->r;
    mip *d = &c->m[0];
    for (size_t y = b; y < e; y++)
        for (int x = 0; x < d->w; x++) {
            float acc[3] = {0, 0, 0}, wsum = 0;
            for (int j = 0; j < 2; j++)
                for (int i = 0; i < 2; i++) {
                    int sx = 2 * x + i, sy = (int)(2 * y) + j;
                    if (sx >= r->w) sx = r->w - 1;
                    if (sy >= r->h) sy = r->h - 1;
                    const float *p = r->rgba + ((size_t)sy * r->w + sx) * 4;
                    float L = pol__rn_luma(p), s = L > 1e-9f ? soft(L, c->thr, c->knee) / L : 0;
                    float wk = 1.0f; /* a plain mean: the light taken is the light spread */
                    for (int k = 0; k < 3; k++) acc[k] += wk * p[k] * s;
                    wsum += wk;
                }
            for (int k = 0; k < 3; k++) d->v[((size_t)y * d->w + x) * 3 + k] = acc[k] / wsum;
        }
}

static void down_rows(void *u, size_t b, size_t e)
{
    bl_ctx *c = u;
    const mip *s = &c->m[c->lvl - 1];
    mip *d = &c->m[c->lvl];
    for (size_t y = b; y < e; y++)
        for (int x = 0; x < d->w; x++)
            for (int k = 0; k < 3; k++) {
                float acc = 0;
                for (int j = 0; j < 2; j++)
                    for (int i = 0; i < 2; i++) {
                        int sx = 2 * x + i < s->w ? 2 * x + i : s->w - 1;
                        int sy = (int)(2 * y) + j < s->h ? (int)(2 * y) + j : s->h - 1;
                        acc += s->v[((size_t)sy * s->w + sx) * 3 + k];
                    }
                d->v[((size_t)y * d->w + x) * 3 + k] = 0.25f * acc;
            }
}

/* bilinear sample of level m at the centre of pixel (x, y) of a level sx, sy times larger */
static inline void sample(const mip *m, float fx, float fy, float *o)
{
    fx -= 0.5f, fy -= 0.5f;
    if (fx < 0) fx = 0;
    if (fy < 0) fy = 0;
    int x0 = (int)fx, y0 = (int)fy;
    if (x0 > m->w - 1) x0 = m->w - 1;
    if (y0 > m->h - 1) y0 = m->h - 1;
    int x1 = x0 + 1 < m->w ? x0 + 1 : x0, y1 = y0 + 1 < m->h ? y0 + 1 : y0;
    float ax = fx - (float)x0, ay = fy - (float)y0;
    if (ax > 1) ax = 1;
    if (ay > 1) ay = 1;
    const float *a = m->v + ((size_t)y0 * m->w + x0) * 3, *bb = m->v + ((size_t)y0 * m->w + x1) * 3,
                *cc = m->v + ((size_t)y1 * m->w + x0) * 3, *d = m->v + ((size_t)y1 * m->w + x1) * 3;
    for (int k = 0; k < 3; k++) {
        float t = a[k] + ax * (bb[k] - a[k]), u = cc[k] + ax * (d[k] - cc[k]);
        o[k] = t + ay * (u - t);
    }
}

/* level lvl (in place) = (1 - scatter) * itself + scatter * upsampled level lvl + 1 */
static void up_rows(void *u, size_t b, size_t e)
{
    bl_ctx *c = u;
    mip *d = &c->m[c->lvl];
    const mip *s = &c->m[c->lvl + 1];
    float kx = (float)s->w / d->w, ky = (float)s->h / d->h;
    for (size_t y = b; y < e; y++)
        for (int x = 0; x < d->w; x++) {
            float o[3];
            sample(s, (x + 0.5f) * kx, (y + 0.5f) * ky, o);
            float *p = d->v + ((size_t)y * d->w + x) * 3;
            for (int k = 0; k < 3; k++) p[k] = (1 - c->scatter) * p[k] + c->scatter * o[k];
        }
}

/* the frame: minus the bright part taken, plus the spread light */
static void final_rows(void *u, size_t b, size_t e)
{
    bl_ctx *c = u;
    pol__render *r = (pol__render *)c->r;
    const mip *s = &c->m[0];
    float kx = (float)s->w / r->w, ky = (float)s->h / r->h;
    for (size_t y = b; y < e; y++) {
        double acc = 0;
        for (int x = 0; x < r->w; x++) {
            float *p = r->rgba + ((size_t)y * r->w + x) * 4, o[3];
            sample(s, (x + 0.5f) * kx, (y + 0.5f) * ky, o);
            float L = pol__rn_luma(p), sc = L > 1e-9f ? soft(L, c->thr, c->knee) / L : 0;
            for (int k = 0; k < 3; k++) p[k] += c->inten * (o[k] - p[k] * sc);
            acc += pol__rn_luma(p);
        }
        c->row_e[y] = acc;
    }
}

static void stat_rows(void *u, size_t b, size_t e)
{
    bl_ctx *c = u;
    const pol__render *r = c->r;
    for (size_t y = b; y < e; y++) {
        double acc = 0;
        size_t over = 0;
        const float *p = r->rgba + y * r->w * 4;
        for (int x = 0; x < r->w; x++) {
            float L = pol__rn_luma(p + 4 * x);
            over += L > c->thr;
            acc += L;
        }
        c->row_e[y] = acc, c->row_over[y] = over;
    }
}

static pol_status run(pol_run *run, pol_asset *asset, const pol_args *args)
{
    pol__render *r = pol__render_get(run, asset);
    bl_ctx c = {.r = r, .thr = (float)pol__arg_num(args, "threshold"),
                .inten = (float)pol__arg_num(args, "intensity"),
                .scatter = (float)pol__arg_num(args, "scatter")};
    c.knee = c.thr * (float)pol__arg_num(args, "knee");
    if (r->display)
        pol__warn(run, "the frame is display-referred already (%s): bloom works on the values as "
                  "they are", r->view);
    size_t n = (size_t)r->w * r->h, over = 0;
    double energy = 0;
    c.row_e = malloc((size_t)r->h * sizeof *c.row_e);
    c.row_over = malloc((size_t)r->h * sizeof *c.row_over);
    if (!c.row_e || !c.row_over) {
        free(c.row_e), free(c.row_over);
        return pol__fail(run, POL_ERR_NOMEM, "out of memory");
    }
    pol__parallel_for(run, (size_t)r->h, 16, stat_rows, &c);
    for (int y = 0; y < r->h; y++) energy += c.row_e[y], over += c.row_over[y];
    pol__measure(run, "above_threshold_fraction", (double)over / (double)n);
    if (!over || c.inten <= 0) {
        pol__decline(run, "no light above the threshold %.3g: nothing blooms", c.thr);
        free(c.row_e), free(c.row_over);
        return POL_OK;
    }
    int levels = (int)pol__arg_int(args, "levels");
    mip m[11];
    memset(m, 0, sizeof m);
    int w = (r->w + 1) / 2, h = (r->h + 1) / 2, nl = 0;
    pol_status st = pol__mem_reserve(run, (uint64_t)w * h * 3 * 4 * 2, "bloom levels");
    size_t total = 0; /* the levels share one scratch buffer of the frame */
    for (; nl < levels && w >= 1 && h >= 1; nl++) {
        m[nl].w = w, m[nl].h = h;
        total += (size_t)w * h * 3;
        if (w == 1 && h == 1) {
            nl++;
            break;
        }
        w = (w + 1) / 2, h = (h + 1) / 2;
    }
    float *pool = st ? NULL : pol__render_scratch(r, 1, total * sizeof(float));
    if (!st && !pool) st = pol__fail(run, POL_ERR_NOMEM, "out of memory");
    for (int i = 0, off = 0; !st && i < nl; off += m[i].w * m[i].h * 3, i++) m[i].v = pool + off;
    if (!st) {
        c.m = m;
        pol__parallel_for(run, (size_t)m[0].h, 8, first_rows, &c);
        for (c.lvl = 1; c.lvl < nl; c.lvl++) pol__parallel_for(run, (size_t)m[c.lvl].h, 8, down_rows, &c);
        for (c.lvl = nl - 2; c.lvl >= 0; c.lvl--) pol__parallel_for(run, (size_t)m[c.lvl].h, 8, up_rows, &c);
        pol__parallel_for(run, (size_t)r->h, 8, final_rows, &c);
        double after = 0;
        for (int y = 0; y < r->h; y++) after += c.row_e[y];
        pol__measure(run, "energy_change", energy > 0 ? after / energy - 1 : 0);
        pol__decide(run, "%.2f%% of pixels above %.3g bloom through %d levels (intensity %.2f)",
                    100.0 * over / n, c.thr, nl, c.inten);
    }
    free(c.row_e), free(c.row_over);
    if (!st) pol__render_figure(run, r, "before | after (bloom)");
    return st;
}

const pol_op_desc pol__render_op_bloom = {
    .domain = "render",
    .name = "bloom",
    .summary = "Bloom: light above a threshold spread by an energy-conserving mip chain",
    .params = params,
    .n_params = POL_ARRAY_LEN(params),
    .run = run,
    .flags = POL_OP_AUTO,
};
