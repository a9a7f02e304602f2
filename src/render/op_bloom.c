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
    float k_lo, k_hi, k_inv4; /* the knee's ends and 1/(4 knee); k_inv4 0 when there is no knee */
    mip *m;
    int lvl;          /* level being made */
    float *bright_sum;
    double *row_e;    /* per row: the luma sum (before, per level-0 row from first_rows; after,
                         per frame row from final_rows; -1: out of memory) */
    size_t *row_over; /* per level-0 row: pixels above the threshold */
} bl_ctx;

/* the share of a pixel of luma L that blooms: soft(L)/L, where soft is 0 below the knee, a
 * quadratic across it (thr - knee .. thr + knee) and L - thr above; without branches */
static inline float share(const bl_ctx *c, float L)
{
    float q = L - c->k_lo, lin = L - c->thr;
    float s = L >= c->k_hi ? (lin > 0 ? lin : 0) : q * q * c->k_inv4;
    s = L <= c->k_lo ? 0 : s;
    return L > 1e-9f ? s / L : 0;
}

/* The bright part of the full frame reduced to half size (a plain 2x2 mean, so energy is kept),
 * and the frame's statistics on the way: per half-size row, the luma sum and the pixels above
 * the threshold of its source rows (each pixel counted once). */
static void first_rows(void *u, size_t b, size_t e)
{
    bl_ctx *c = u;
    const pol__render *r = c->r;
    mip *d = &c->m[0];
    for (size_t y = b; y < e; y++) {
        double acc = 0;
        size_t over = 0;
        int sy0 = (int)(2 * y), sy1 = sy0 + 1 < r->h ? sy0 + 1 : r->h - 1;
        const float *r0 = r->rgba + (size_t)sy0 * r->w * 4, *r1 = r->rgba + (size_t)sy1 * r->w * 4;
        float *o = d->v + (size_t)y * d->w * 3;
        float rs = 0;
        for (int x = 0; x < d->w; x++) {
            int sx0 = 2 * x, sx1 = sx0 + 1 < r->w ? sx0 + 1 : r->w - 1;
            const float *p[4] = {r0 + 4 * sx0, r0 + 4 * sx1, r1 + 4 * sx0, r1 + 4 * sx1};
            float a0 = 0, a1 = 0, a2 = 0;
            for (int j = 0; j < 4; j++) {
                float L = pol__rn_luma(p[j]), sc = share(c, L);
                a0 += p[j][0] * sc, a1 += p[j][1] * sc, a2 += p[j][2] * sc;
                /* statistics: the clamped duplicates at an odd frame's last column/row not again */
                int real = (j & 1 ? sx1 != sx0 : 1) & (j & 2 ? sy1 != sy0 : 1);
                rs += real ? L : 0;
                over += (size_t)(real & (L > c->thr));
            }
            o[3 * x] = a0 * 0.25f, o[3 * x + 1] = a1 * 0.25f, o[3 * x + 2] = a2 * 0.25f;
            if ((x & 63) == 63) acc += rs, rs = 0;
        }
        c->row_e[y] = acc + rs, c->row_over[y] = over;
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

/* The frame: minus the bright part taken, plus the spread light (level 0 sampled bilinearly at
 * each pixel's centre: the two level rows interpolated along the row first, through column
 * tables made once), and the luma sum after, per row. */
typedef struct fin_ctx {
    bl_ctx *c;
    int *x0;   /* per column: the left level-0 sample (3 floats a sample, so an offset) */
    int *x1;
    float *ax; /* per column: the weight of the right sample */
} fin_ctx;

static void final_rows(void *u, size_t b, size_t e)
{
    const fin_ctx *f = u;
    bl_ctx *c = f->c;
    pol__render *r = (pol__render *)c->r;
    const mip *s = &c->m[0];
    float ky = (float)s->h / r->h;
    float *T = malloc((size_t)r->w * 3 * sizeof *T);
    if (!T) { /* no memory for the row: the same by the slower way */
        for (size_t y = b; y < e; y++) c->row_e[y] = -1;
        return;
    }
    for (size_t y = b; y < e; y++) {
        float fy = ((float)y + 0.5f) * ky - 0.5f;
        fy = fy < 0 ? 0 : fy;
        int y0 = (int)fy;
        y0 = y0 > s->h - 1 ? s->h - 1 : y0;
        int y1 = y0 + 1 < s->h ? y0 + 1 : y0;
        float ay = fy - (float)y0;
        ay = ay > 1 ? 1 : ay;
        const float *ra = s->v + (size_t)y0 * s->w * 3, *rb = s->v + (size_t)y1 * s->w * 3;
        for (int x = 0; x < r->w; x++) {
            const float *a = ra + f->x0[x], *bb = ra + f->x1[x], *cc = rb + f->x0[x], *d = rb + f->x1[x];
            float ax = f->ax[x];
            for (int k = 0; k < 3; k++) {
                float t = a[k] + ax * (bb[k] - a[k]), w = cc[k] + ax * (d[k] - cc[k]);
                T[3 * x + k] = t + ay * (w - t);
            }
        }
        float *p = r->rgba + y * r->w * 4;
        double acc = 0;
        float rs = 0;
        for (int x = 0; x < r->w; x++, p += 4) {
            float sc = share(c, pol__rn_luma(p));
            for (int k = 0; k < 3; k++) p[k] += c->inten * (T[3 * x + k] - p[k] * sc);
            rs += pol__rn_luma(p);
            if ((x & 63) == 63) acc += rs, rs = 0;
        }
        c->row_e[y] = acc + rs;
    }
    free(T);
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
    c.k_lo = c.thr - c.knee, c.k_hi = c.thr + c.knee, c.k_inv4 = c.knee > 0 ? 1 / (4 * c.knee) : 0;
    c.row_e = malloc((size_t)r->h * sizeof *c.row_e);
    c.row_over = malloc((size_t)r->h * sizeof *c.row_over);
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
    fin_ctx fc = {&c, malloc((size_t)r->w * sizeof(int)), malloc((size_t)r->w * sizeof(int)),
                  malloc((size_t)r->w * sizeof(float))};
    if (!st && (!pool || !c.row_e || !c.row_over || !fc.x0 || !fc.x1 || !fc.ax))
        st = pol__fail(run, POL_ERR_NOMEM, "out of memory");
    for (int i = 0, off = 0; !st && i < nl; off += m[i].w * m[i].h * 3, i++) m[i].v = pool + off;
    if (!st) { /* level 0 and the frame's statistics */
        c.m = m;
        pol__rn_parallel(run, (size_t)m[0].h, 8, first_rows, &c);
        for (int y = 0; y < m[0].h; y++) energy += c.row_e[y], over += c.row_over[y];
        pol__measure(run, "above_threshold_fraction", (double)over / (double)n);
    }
    if (!st && (!over || c.inten <= 0)) {
        pol__decline(run, "no light above the threshold %.3g: nothing blooms", c.thr);
        free(c.row_e), free(c.row_over), free(fc.x0), free(fc.x1), free(fc.ax);
        return POL_OK;
    }
    if (!st) {
        for (c.lvl = 1; c.lvl < nl; c.lvl++) pol__rn_parallel(run, (size_t)m[c.lvl].h, 8, down_rows, &c);
        for (c.lvl = nl - 2; c.lvl >= 0; c.lvl--) pol__rn_parallel(run, (size_t)m[c.lvl].h, 8, up_rows, &c);
        float kx = (float)m[0].w / r->w;
        for (int x = 0; x < r->w; x++) { /* bilinear columns of level 0 (sample() in a table) */
            float fx = ((float)x + 0.5f) * kx - 0.5f;
            fx = fx < 0 ? 0 : fx;
            int x0 = (int)fx;
            x0 = x0 > m[0].w - 1 ? m[0].w - 1 : x0;
            int x1 = x0 + 1 < m[0].w ? x0 + 1 : x0;
            float ax = fx - (float)x0;
            fc.x0[x] = 3 * x0, fc.x1[x] = 3 * x1, fc.ax[x] = ax > 1 ? 1 : ax;
        }
        pol__rn_parallel(run, (size_t)r->h, 8, final_rows, &fc);
        int lost = 0;
        for (int y = 0; y < r->h; y++) lost |= c.row_e[y] < 0;
        if (lost) st = pol__fail(run, POL_ERR_NOMEM, "out of memory");
    }
    if (!st) {
        double after = 0;
        for (int y = 0; y < r->h; y++) after += c.row_e[y];
        pol__measure(run, "energy_change", energy > 0 ? after / energy - 1 : 0);
        pol__decide(run, "%.2f%% of pixels above %.3g bloom through %d levels (intensity %.2f)",
                    100.0 * over / n, c.thr, nl, c.inten);
    }
    free(fc.x0), free(fc.x1), free(fc.ax);
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
