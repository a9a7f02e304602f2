/* polish — render.bloom: light above a threshold (soft knee) spread by a mip chain (half size, then
 * 2x box downsamples bilinear upsamples mixed by `scatter`), and
 * energy-conserving: the light spread is taken from the pixels it came from, so the frame's total
 * light is unchanged. Work is at half resolution and below; the composite into the frame (its
 * bright part taken, the spread light added) is a deferred pointwise stage, so it runs inside the
 * next pass over the frame (with the tone map and grade when they follow) instead of a pass of
 * its own. */
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

/* the threshold's knee: 0 below k_lo, quadratic to k_hi, linear above */
typedef struct knee {
    float thr, k_lo, k_hi, k_inv4; /* k_inv4: 1/(4 knee), 0 when there is no knee */
} knee;

typedef struct bl_ctx {
    const pol__render *r;
    knee kn;
    float scatter;
    mip *m;
    int lvl;          /* level being made */
    double *row_e;    /* per level-0 row: the luma sum of its source rows */
    double *row_s;    /* per level-0 row: the luma taken from them (the bright part) */
    size_t *row_over; /* per level-0 row: pixels above the threshold */
} bl_ctx;

/* the share of a pixel of luma L that blooms: soft(L)/L, where soft is 0 below the knee, a
 * quadratic across it (thr - knee .. thr + knee) and L - thr above; without branches */
static inline float share(const knee *c, float L)
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
        double acc = 0, taken = 0;
        size_t over = 0;
        int sy0 = (int)(2 * y), sy1 = sy0 + 1 < r->h ? sy0 + 1 : r->h - 1;
        const float *r0 = r->rgba + (size_t)sy0 * r->w * 4, *r1 = r->rgba + (size_t)sy1 * r->w * 4;
        float *o = d->v + (size_t)y * d->w * 3;
        float rs = 0, ts = 0;
        for (int x = 0; x < d->w; x++) {
            int sx0 = 2 * x, sx1 = sx0 + 1 < r->w ? sx0 + 1 : r->w - 1;
            const float *p[4] = {r0 + 4 * sx0, r0 + 4 * sx1, r1 + 4 * sx0, r1 + 4 * sx1};
            float a0 = 0, a1 = 0, a2 = 0;
            for (int j = 0; j < 4; j++) {
                float L = pol__rn_luma(p[j]), sc = share(&c->kn, L);
                a0 += p[j][0] * sc, a1 += p[j][1] * sc, a2 += p[j][2] * sc;
                /* statistics: the clamped duplicates at an odd frame's last column/row not again */
                int real = (j & 1 ? sx1 != sx0 : 1) & (j & 2 ? sy1 != sy0 : 1);
                rs += real ? L : 0, ts += real ? L * sc : 0;
                over += (size_t)(real & (L > c->kn.thr));
            }
            o[3 * x] = a0 * 0.25f, o[3 * x + 1] = a1 * 0.25f, o[3 * x + 2] = a2 * 0.25f;
            if ((x & 63) == 63) acc += rs, taken += ts, rs = ts = 0;
        }
        c->row_e[y] = acc + rs, c->row_s[y] = taken + ts, c->row_over[y] = over;
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

/* The composite, a deferred stage: the frame minus the bright part taken, plus the spread light
 * (level 0 sampled bilinearly at each pixel's centre through column tables made once), on the
 * premultiplied values as the frame holds them. Owns the levels. */
typedef struct bc_ctx {
    float *pool;        /* the levels; level 0 first */
    int w0, h0, W, H;   /* level 0's size, the frame's */
    int *x0, *x1;       /* per column: the left and right level-0 sample (as float offsets) */
    float *ax;          /* per column: the weight of the right one */
    float inten;
    knee kn;
} bc_ctx;

static void bc_free(void *u)
{
    bc_ctx *c = u;
    free(c->pool), free(c->x0), free(c->x1), free(c->ax);
    free(c);
}

/* row y of the frame: its two level-0 rows and the weight of the lower */
static inline void bc_rows(const bc_ctx *c, int y, int *y0, int *y1, float *ay)
{
    float fy = ((float)y + 0.5f) * ((float)c->h0 / c->H) - 0.5f;
    fy = fy < 0 ? 0 : fy;
    int a = (int)fy;
    a = a > c->h0 - 1 ? c->h0 - 1 : a;
    *y0 = a, *y1 = a + 1 < c->h0 ? a + 1 : a;
    float w = fy - (float)a;
    *ay = w > 1 ? 1 : w;
}

static void bc_px(void *u, float *R, float *G, float *B, const float *rgba, int n, int x0, int y)
{
    const bc_ctx *c = u;
    int y0, y1;
    float ay;
    bc_rows(c, y, &y0, &y1, &ay);
    const float *ra = c->pool + (size_t)y0 * c->w0 * 3, *rb = c->pool + (size_t)y1 * c->w0 * 3;
    for (int i = 0; i < n; i++) {
        int x = x0 + i;
        const float *a = ra + c->x0[x], *bb = ra + c->x1[x], *cc = rb + c->x0[x], *d = rb + c->x1[x];
        float ax = c->ax[x], o[3];
        for (int k = 0; k < 3; k++) {
            float t = a[k] + ax * (bb[k] - a[k]), w = cc[k] + ax * (d[k] - cc[k]);
            o[k] = t + ay * (w - t);
        }
        float al = rgba[4 * i + 3], m = al > 1e-6f && al < 1 ? al : 1; /* as the pass premultiplies */
        float p[3] = {R[i] * m, G[i] * m, B[i] * m};
        float sc = share(&c->kn, pol__rn_luma(p));
        for (int k = 0; k < 3; k++) p[k] += c->inten * (o[k] - p[k] * sc);
        if (m != 1) p[0] /= m, p[1] /= m, p[2] /= m;
        R[i] = p[0], G[i] = p[1], B[i] = p[2];
    }
}

/* The luma the composite adds over the whole frame: luma is linear, so it is level 0's luma
 * weighted by how much of each sample the frame's bilinear reads take (made from the same column
 * and row weights, in double). */
static double bc_added(const bc_ctx *c)
{
    double *cw = calloc((size_t)c->w0 + (size_t)c->h0, sizeof *cw), *rw = cw + c->w0;
    if (!cw) return NAN;
    for (int x = 0; x < c->W; x++) cw[c->x0[x] / 3] += 1 - (double)c->ax[x], cw[c->x1[x] / 3] += c->ax[x];
    for (int y = 0; y < c->H; y++) {
        int y0, y1;
        float ay;
        bc_rows(c, y, &y0, &y1, &ay);
        rw[y0] += 1 - (double)ay, rw[y1] += ay;
    }
    double sum = 0;
    for (int i = 0; i < c->h0; i++) {
        if (rw[i] == 0) continue;
        const float *v = c->pool + (size_t)i * c->w0 * 3;
        double rs = 0;
        for (int j = 0; j < c->w0; j++) rs += cw[j] * pol__rn_luma(v + 3 * j);
        sum += rw[i] * rs;
    }
    free(cw);
    return sum;
}

static pol_status run(pol_run *run, pol_asset *asset, const pol_args *args)
{
    pol__render *r = pol__render_get(run, asset);
    float thr = (float)pol__arg_num(args, "threshold"), kw = thr * (float)pol__arg_num(args, "knee");
    knee kn = {thr, thr - kw, thr + kw, kw > 0 ? 1 / (4 * kw) : 0};
    bl_ctx c = {.r = r, .kn = kn, .scatter = (float)pol__arg_num(args, "scatter")};
    float inten = (float)pol__arg_num(args, "intensity");
    if (r->display)
        pol__warn(run, "the frame is display-referred already (%s): bloom works on the values as "
                  "they are", r->view);
    size_t n = (size_t)r->w * r->h, over = 0;
    double energy = 0, taken = 0;
    int levels = (int)pol__arg_int(args, "levels");
    mip m[11];
    memset(m, 0, sizeof m);
    int w = (r->w + 1) / 2, h = (r->h + 1) / 2, nl = 0;
    pol_status st = pol__mem_reserve(run, (uint64_t)w * h * 3 * 4 * 2, "bloom levels");
    if (st) return st;
    size_t total = 0; /* the levels share one buffer, which the composite stage owns */
    for (; nl < levels && w >= 1 && h >= 1; nl++) {
        m[nl].w = w, m[nl].h = h;
        total += (size_t)w * h * 3;
        if (w == 1 && h == 1) {
            nl++;
            break;
        }
        w = (w + 1) / 2, h = (h + 1) / 2;
    }
    bc_ctx *bc = calloc(1, sizeof *bc);
    c.row_e = malloc((size_t)m[0].h * sizeof *c.row_e);
    c.row_s = malloc((size_t)m[0].h * sizeof *c.row_s);
    c.row_over = malloc((size_t)m[0].h * sizeof *c.row_over);
    if (bc) {
        *bc = (bc_ctx){malloc(total * sizeof(float)), m[0].w, m[0].h, r->w, r->h,
                       malloc((size_t)r->w * sizeof(int)), malloc((size_t)r->w * sizeof(int)),
                       malloc((size_t)r->w * sizeof(float)), inten, kn};
    }
    if (!bc || !bc->pool || !bc->x0 || !bc->x1 || !bc->ax || !c.row_e || !c.row_s || !c.row_over) {
        if (bc) bc_free(bc);
        free(c.row_e), free(c.row_s), free(c.row_over);
        return pol__fail(run, POL_ERR_NOMEM, "out of memory");
    }
    for (int i = 0, off = 0; i < nl; off += m[i].w * m[i].h * 3, i++) m[i].v = bc->pool + off;
    /* level 0 and the frame's statistics */
    c.m = m;
    pol__parallel_blocks(run, (size_t)m[0].h, 8, first_rows, &c);
    for (int y = 0; y < m[0].h; y++) energy += c.row_e[y], taken += c.row_s[y], over += c.row_over[y];
    free(c.row_e), free(c.row_s), free(c.row_over);
    pol__measure(run, "above_threshold_fraction", (double)over / (double)n);
    if (!over || inten <= 0) {
        bc_free(bc);
        pol__decline(run, "no light above the threshold %.3g: nothing blooms", thr);
        return POL_OK;
    }
    for (c.lvl = 1; c.lvl < nl; c.lvl++) pol__parallel_blocks(run, (size_t)m[c.lvl].h, 8, down_rows, &c);
    for (c.lvl = nl - 2; c.lvl >= 0; c.lvl--) pol__parallel_blocks(run, (size_t)m[c.lvl].h, 8, up_rows, &c);
    float kx = (float)m[0].w / r->w;
    for (int x = 0; x < r->w; x++) { /* bilinear columns of level 0 (sample() in a table) */
        float fx = ((float)x + 0.5f) * kx - 0.5f;
        fx = fx < 0 ? 0 : fx;
        int x0 = (int)fx;
        x0 = x0 > m[0].w - 1 ? m[0].w - 1 : x0;
        int x1 = x0 + 1 < m[0].w ? x0 + 1 : x0;
        float ax = fx - (float)x0;
        bc->x0[x] = 3 * x0, bc->x1[x] = 3 * x1, bc->ax[x] = ax > 1 ? 1 : ax;
    }
    /* the light after: the light before, minus the bright part taken, plus the spread light */
    double after = energy + inten * (bc_added(bc) - taken);
    pol__measure(run, "energy_change", energy > 0 ? after / energy - 1 : 0);
    pol__decide(run, "%.2f%% of pixels above %.3g bloom through %d levels (intensity %.2f)",
                100.0 * over / n, thr, nl, inten);
    pol__render_defer(run, r, bc_px, bc, bc_free); /* composited in the next pass over the frame */
    if (pol__want_figures(run)) {
        pol__render_flush(run, r);
        pol__render_figure(run, r, "before | after (bloom)");
    }
    return POL_OK;
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
