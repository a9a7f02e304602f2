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
    float *v; /* 3 planes of w*h: R, G, B */
} mip;

static inline float *plane(const mip *m, int k) { return m->v + (size_t)k * m->w * m->h; }

/* the threshold's knee: 0 below k_lo, quadratic to k_hi, linear above */
typedef struct knee {
    float thr, k_lo, k_hi, k_inv4; /* k_inv4: 1/(4 knee), 0 when there is no knee */
} knee;

/* Bilinear reads of a level at the pixel centres of a level (or frame) about twice its size, as
 * tables made once: per column (or row) the left and right sample and the right one's weight.
 * Pixel x of the larger sits at (x + 0.5) src_n / n - 0.5 on the smaller, clamped to its first and
 * last samples. */
typedef struct axis {
    int *i0, *i1;
    float *a;
    int n;
    int twice; /* n = 2 src_n: columns 2j and 2j+1 read src j-1, j at 3/4 and j, j+1 at 1/4 */
} axis;

static int axis_make(axis *t, int n, int src_n)
{
    t->i0 = malloc((size_t)n * sizeof *t->i0), t->i1 = malloc((size_t)n * sizeof *t->i1);
    t->a = malloc((size_t)n * sizeof *t->a);
    if (!t->i0 || !t->i1 || !t->a) return 0;
    float k = (float)src_n / (float)n;
    t->n = n;
    for (int x = 0; x < n; x++) {
        float f = ((float)x + 0.5f) * k - 0.5f;
        f = f < 0 ? 0 : f;
        int i0 = (int)f;
        i0 = i0 > src_n - 1 ? src_n - 1 : i0;
        t->i0[x] = i0, t->i1[x] = i0 + 1 < src_n ? i0 + 1 : i0;
        float a = f - (float)i0;
        t->a[x] = a > 1 ? 1 : a;
    }
    /* the pattern of an exact halving, checked on the table itself (lerp_cols relies on it) */
    t->twice = n == 2 * src_n && n >= 4;
    for (int x = 2; x + 2 < n && t->twice; x++) {
        int j = x / 2, e = !(x & 1);
        t->twice = t->i0[x] == j - e && t->i1[x] == j + 1 - e && t->a[x] == (e ? 0.75f : 0.25f);
    }
    return 1;
}

static void axis_free(axis *t)
{
    free(t->i0), free(t->i1), free(t->a);
    t->i0 = t->i1 = NULL, t->a = NULL;
}

typedef struct bl_ctx {
    const pol__render *r;
    knee kn;
    float scatter;
    mip *m;
    int lvl;          /* level being made */
    axis cx, cy;      /* up_rows: level lvl + 1 read at level lvl's columns and rows */
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

typedef pol__v4f v4f;
typedef pol__v4i v4i;
#define SEL4(m, a, b) ((v4f)(((m) & (v4i)(a)) | (~(m) & (v4i)(b))))

/* n pixels of a frame row (premultiplied RGBA): their luma L, L times their bright share, and
 * their colour times that share, 4 pixels at a time (transposed in vectors; each lane the same
 * operations as share() and pol__rn_luma()) */
static void bright_px(const knee *kn, const float *p, int n, float *L, float *T, float *PR, float *PG, float *PB)
{
    const v4f zero = {0, 0, 0, 0}, one = {1, 1, 1, 1};
    int i = 0;
    for (; i + 4 <= n; i += 4) {
        v4f r, g, b, a;
        pol__rn_rgba4(p + 4 * i, &r, &g, &b, &a);
        v4f l = 0.2126f * r + 0.7152f * g + 0.0722f * b;
        v4f qq = l - kn->k_lo, lin = l - kn->thr;
        v4f sv = SEL4(l >= kn->k_hi, SEL4(lin > 0, lin, zero), qq * qq * kn->k_inv4);
        sv = SEL4(l <= kn->k_lo, zero, sv);
        v4f sc = SEL4(l > 1e-9f, sv / SEL4(l > 1e-9f, l, one), zero);
        v4f tt = l * sc, pr = r * sc, pg = g * sc, pb = b * sc;
        memcpy(L + i, &l, 16), memcpy(T + i, &tt, 16);
        memcpy(PR + i, &pr, 16), memcpy(PG + i, &pg, 16), memcpy(PB + i, &pb, 16);
    }
    for (; i < n; i++) {
        const float *q = p + 4 * i;
        float l = pol__rn_luma(q), sc = share(kn, l);
        L[i] = l, T[i] = l * sc, PR[i] = q[0] * sc, PG[i] = q[1] * sc, PB[i] = q[2] * sc;
    }
}

/* The bright part of the full frame reduced to half size (a plain 2x2 mean, so energy is kept),
 * and the frame's statistics on the way: per half-size row, the luma sum and the pixels above
 * the threshold of its source rows (each pixel counted once). The pixels' terms are made a piece
 * of two rows at a time (bright_px); the sums then add them in the order of one pixel at a time:
 * per output pixel its four sources left to right, top row first, and the statistics' float sums
 * handed to double every 64 output pixels. */
#define PIECE 256
static void first_rows(void *u, size_t b, size_t e)
{
    bl_ctx *c = u;
    const pol__render *r = c->r;
    mip *d = &c->m[0];
    float *o0 = plane(d, 0), *o1 = plane(d, 1), *o2 = plane(d, 2);
    float L[2][PIECE + 1], T[2][PIECE + 1], P[2][3][PIECE + 1];
    for (size_t y = b; y < e; y++) {
        double acc = 0, taken = 0;
        size_t over = 0;
        int sy0 = (int)(2 * y), sy1 = sy0 + 1 < r->h ? sy0 + 1 : r->h - 1, ry = sy1 != sy0;
        const float *r0 = r->rgba + (size_t)sy0 * r->w * 4, *r1 = r->rgba + (size_t)sy1 * r->w * 4;
        size_t row = y * (size_t)d->w;
        float rs = 0, ts = 0;
        for (int c0 = 0; c0 < r->w; c0 += PIECE) {
            int nin = r->w - c0 < PIECE ? r->w - c0 : PIECE, nout = (nin + 1) / 2;
            for (int k = 0; k < 2; k++)
                bright_px(&c->kn, (k ? r1 : r0) + 4 * (size_t)c0, nin, L[k], T[k], P[k][0], P[k][1], P[k][2]);
            if (nin & 1) /* an odd frame's last column: its own right neighbour (not counted twice) */
                for (int k = 0; k < 2; k++) {
                    L[k][nin] = L[k][nin - 1], T[k][nin] = T[k][nin - 1];
                    for (int j = 0; j < 3; j++) P[k][j][nin] = P[k][j][nin - 1];
                }
            for (int j = 0; j < 3; j++) {
                float *o = (j == 0 ? o0 : j == 1 ? o1 : o2) + row + c0 / 2;
                const float *a = P[0][j], *bb = P[1][j];
                for (int x = 0; x < nout; x++)
                    o[x] = (0.0f + a[2 * x] + a[2 * x + 1] + bb[2 * x] + bb[2 * x + 1]) * 0.25f;
            }
            for (int xo = 0; xo < nout; xo++) {
                int x = c0 / 2 + xo, rx = 2 * x + 1 < r->w;
                for (int j = 0; j < 4; j++) {
                    int k = j >> 1, i = 2 * xo + (j & 1);
                    int real = (j & 1 ? rx : 1) & (j & 2 ? ry : 1);
                    float l = L[k][i];
                    rs += real ? l : 0, ts += real ? T[k][i] : 0;
                    over += (size_t)(real & (l > c->kn.thr));
                }
                if ((x & 63) == 63) acc += rs, taken += ts, rs = ts = 0;
            }
        }
        c->row_e[y] = acc + rs, c->row_s[y] = taken + ts, c->row_over[y] = over;
    }
}

/* a 2x2 mean of level lvl - 1, plane by plane (the last column and row clamped on odd sizes) */
static void down_rows(void *u, size_t b, size_t e)
{
    bl_ctx *c = u;
    const mip *s = &c->m[c->lvl - 1];
    mip *d = &c->m[c->lvl];
    for (int k = 0; k < 3; k++)
        for (size_t y = b; y < e; y++) {
            int sy0 = (int)(2 * y), sy1 = sy0 + 1 < s->h ? sy0 + 1 : s->h - 1;
            const float *a = plane(s, k) + (size_t)sy0 * s->w, *bb = plane(s, k) + (size_t)sy1 * s->w;
            float *o = plane(d, k) + y * (size_t)d->w;
            int x = 0;
            for (; x < d->w && 2 * x + 1 < s->w; x++)
                o[x] = 0.25f * (0.0f + a[2 * x] + a[2 * x + 1] + bb[2 * x] + bb[2 * x + 1]);
            for (; x < d->w; x++) {
                int x0 = 2 * x < s->w ? 2 * x : s->w - 1, x1 = 2 * x + 1 < s->w ? 2 * x + 1 : s->w - 1;
                o[x] = 0.25f * (0.0f + a[x0] + a[x1] + bb[x0] + bb[x1]);
            }
        }
}

typedef float v8f __attribute__((vector_size(32)));
typedef int32_t v8i __attribute__((vector_size(32)));
#define SEL8(m, a, b) ((v8f)(((m) & (v8i)(a)) | (~(m) & (v8i)(b))))

/* src row read at the columns of t (n of them from x0): out[x] = src[i0] + a (src[i1] - src[i0]).
 * On an exact halving the interior goes 16 columns at a time: the even ones from src j-1, j, the
 * odd ones from src j, j+1, interleaved (the same operations on the same numbers as the table's). */
__attribute__((target_clones("avx2", "default"))) static void lerp_cols(const axis *t, const float *restrict src, float *restrict out, int x0, int n)
{
    const int *i0 = t->i0, *i1 = t->i1;
    const float *a = t->a;
    int x = x0, end = x0 + n;
    if (t->twice) {
        const int stop = (end < t->n - 2 ? end : t->n - 2) - 16; /* the last block's end: x + 16 */
        for (; x < end && (x < 2 || (x & 1)); x++) out[x - x0] = src[i0[x]] + a[x] * (src[i1[x]] - src[i0[x]]);
        for (; x <= stop; x += 16) {
            const float *p = src + x / 2;
            v8f sm, s0, s1;
            memcpy(&sm, p - 1, sizeof sm), memcpy(&s0, p, sizeof s0), memcpy(&s1, p + 1, sizeof s1);
            v8f ev = sm + 0.75f * (s0 - sm), od = s0 + 0.25f * (s1 - s0);
            v8f lo = __builtin_shuffle(ev, od, (v8i){0, 8, 1, 9, 2, 10, 3, 11});
            v8f hi = __builtin_shuffle(ev, od, (v8i){4, 12, 5, 13, 6, 14, 7, 15});
            memcpy(out + (x - x0), &lo, sizeof lo), memcpy(out + (x - x0) + 8, &hi, sizeof hi);
        }
    }
    for (; x < end; x++) out[x - x0] = src[i0[x]] + a[x] * (src[i1[x]] - src[i0[x]]);
}

/* level lvl (in place) = (1 - scatter) * itself + scatter * level lvl + 1 read bilinearly at its
 * pixel centres */
#define CHUNK 256
static void up_rows(void *u, size_t b, size_t e)
{
    bl_ctx *c = u;
    mip *d = &c->m[c->lvl];
    const mip *s = &c->m[c->lvl + 1];
    float t[CHUNK], w[CHUNK];
    const float sc = c->scatter, keep = 1 - sc;
    for (size_t y = b; y < e; y++) {
        int ya = c->cy.i0[y], yb = c->cy.i1[y];
        float ay = c->cy.a[y];
        for (int k = 0; k < 3; k++) {
            const float *sa = plane(s, k) + (size_t)ya * s->w, *sb = plane(s, k) + (size_t)yb * s->w;
            float *p = plane(d, k) + y * (size_t)d->w;
            for (int x0 = 0; x0 < d->w; x0 += CHUNK) {
                int n = d->w - x0 < CHUNK ? d->w - x0 : CHUNK;
                lerp_cols(&c->cx, sa, t, x0, n);
                lerp_cols(&c->cx, sb, w, x0, n);
                for (int i = 0; i < n; i++) {
                    float o = t[i] + ay * (w[i] - t[i]);
                    p[x0 + i] = keep * p[x0 + i] + sc * o;
                }
            }
        }
    }
}

/* The composite, a deferred stage: the frame minus the bright part taken, plus the spread light
 * (level 0 read bilinearly at each pixel's centre: along its two rows, then between them), on the
 * premultiplied values as the frame holds them. Owns the levels. */
typedef struct bc_ctx {
    float *pool;        /* the levels, planar; level 0 first */
    int w0, h0, W, H;   /* level 0's size, the frame's */
    axis fx, fy;        /* the frame's columns and rows on level 0 */
    float inten;
    knee kn;
} bc_ctx;

static void bc_free(void *u)
{
    bc_ctx *c = u;
    free(c->pool);
    axis_free(&c->fx), axis_free(&c->fy);
    free(c);
}

/* n pixels from column x0 of row y; 8 at a time in vectors (each lane the same operations as
 * one pixel alone), the rest one by one */
__attribute__((target_clones("avx2", "default"))) static void bc_mix(const bc_ctx *c, float *R, float *G, float *B, const float *rgba, int n, int x0, int y)
{
    const size_t pl = (size_t)c->w0 * c->h0;
    const float *la = c->pool + (size_t)c->fy.i0[y] * c->w0, *lb = c->pool + (size_t)c->fy.i1[y] * c->w0;
    float ha[3][CHUNK], hb[3][CHUNK]; /* the two level-0 rows at these columns */
    for (int k = 0; k < 3; k++) {
        lerp_cols(&c->fx, la + k * pl, ha[k], x0, n);
        lerp_cols(&c->fx, lb + k * pl, hb[k], x0, n);
    }
    const float ay = c->fy.a[y], inten = c->inten;
    const knee kn = c->kn;
    int i = 0;
    const v8f zero = {0}, one = zero + 1;
    for (; i + 8 <= n; i += 8) {
        v8f o[3], p[3], t, u;
        for (int k = 0; k < 3; k++) {
            memcpy(&t, ha[k] + i, sizeof t), memcpy(&u, hb[k] + i, sizeof u);
            o[k] = t + ay * (u - t);
        }
        const float *q = rgba + 4 * i;
        v8f al = {q[3], q[7], q[11], q[15], q[19], q[23], q[27], q[31]};
        v8f m = SEL8((al > 1e-6f) & (al < 1), al, one);
        memcpy(&p[0], R + i, sizeof t), memcpy(&p[1], G + i, sizeof t), memcpy(&p[2], B + i, sizeof t);
        for (int k = 0; k < 3; k++) p[k] *= m;
        v8f L = 0.2126f * p[0] + 0.7152f * p[1] + 0.0722f * p[2];
        v8f qq = L - kn.k_lo, lin = L - kn.thr;
        v8f s = SEL8(L >= kn.k_hi, SEL8(lin > 0, lin, zero), qq * qq * kn.k_inv4);
        s = SEL8(L <= kn.k_lo, zero, s);
        v8f sc = SEL8(L > 1e-9f, s / SEL8(L > 1e-9f, L, one), zero);
        for (int k = 0; k < 3; k++) p[k] = (p[k] + inten * (o[k] - p[k] * sc)) / m;
        memcpy(R + i, &p[0], sizeof t), memcpy(G + i, &p[1], sizeof t), memcpy(B + i, &p[2], sizeof t);
    }
    for (; i < n; i++) {
        float o0 = ha[0][i] + ay * (hb[0][i] - ha[0][i]), o1 = ha[1][i] + ay * (hb[1][i] - ha[1][i]),
              o2 = ha[2][i] + ay * (hb[2][i] - ha[2][i]);
        float al = rgba[4 * i + 3], m = al > 1e-6f && al < 1 ? al : 1; /* as the pass premultiplies */
        float p0 = R[i] * m, p1 = G[i] * m, p2 = B[i] * m;
        float sc = share(&kn, 0.2126f * p0 + 0.7152f * p1 + 0.0722f * p2);
        p0 += inten * (o0 - p0 * sc), p1 += inten * (o1 - p1 * sc), p2 += inten * (o2 - p2 * sc);
        R[i] = p0 / m, G[i] = p1 / m, B[i] = p2 / m; /* m is 1 for opaque pixels: exact */
    }
}

static void bc_px(void *u, float *R, float *G, float *B, const float *rgba, int n, int x0, int y)
{
    for (int b = 0; b < n; b += CHUNK) /* the pass hands at most POL_RN_TILE pixels */
        bc_mix(u, R + b, G + b, B + b, rgba + 4 * b, n - b < CHUNK ? n - b : CHUNK, x0 + b, y);
}

/* The luma the composite adds over the whole frame: luma is linear, so it is level 0's luma
 * weighted by how much of each sample the frame's bilinear reads take (made from the same column
 * and row weights, in double). Each level-0 row's column-weighted sum is made by the threads,
 * then the rows are added in their order (the same sums as one row after another). */
typedef struct added_ctx {
    const bc_ctx *c;
    const double *cw, *rw;
    double *row;
} added_ctx;

static void added_rows(void *u, size_t b, size_t e)
{
    const added_ctx *a = u;
    const bc_ctx *c = a->c;
    const size_t pl = (size_t)c->w0 * c->h0;
    for (size_t i = b; i < e; i++) {
        if (a->rw[i] == 0) continue;
        const float *v = c->pool + i * c->w0;
        double rs = 0;
        for (int j = 0; j < c->w0; j++) {
            float px[3] = {v[j], v[pl + j], v[2 * pl + j]};
            rs += a->cw[j] * pol__rn_luma(px);
        }
        a->row[i] = rs;
    }
}

static double bc_added(const pol_run *run, const bc_ctx *c)
{
    double *cw = calloc((size_t)c->w0 + 2 * (size_t)c->h0, sizeof *cw), *rw = cw + c->w0; /* and the rows' sums */
    if (!cw) return NAN;
    for (int x = 0; x < c->W; x++) cw[c->fx.i0[x]] += 1 - (double)c->fx.a[x], cw[c->fx.i1[x]] += c->fx.a[x];
    for (int y = 0; y < c->H; y++) rw[c->fy.i0[y]] += 1 - (double)c->fy.a[y], rw[c->fy.i1[y]] += c->fy.a[y];
    added_ctx a = {c, cw, rw, rw + c->h0};
    pol__parallel_blocks(run, (size_t)c->h0, 16, added_rows, &a);
    double sum = 0;
    for (int i = 0; i < c->h0; i++)
        if (rw[i] != 0) sum += rw[i] * a.row[i];
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
    int ok = bc && c.row_e && c.row_s && c.row_over;
    if (ok) {
        *bc = (bc_ctx){.pool = pol__rn_alloc(total * sizeof(float), 0), .w0 = m[0].w, .h0 = m[0].h,
                       .W = r->w, .H = r->h, .inten = inten, .kn = kn};
        ok = bc->pool && axis_make(&bc->fx, r->w, m[0].w) && axis_make(&bc->fy, r->h, m[0].h);
    }
    if (!ok) {
        if (bc) bc_free(bc);
        free(c.row_e), free(c.row_s), free(c.row_over);
        return pol__fail(run, POL_ERR_NOMEM, "out of memory");
    }
    size_t off = 0;
    for (int i = 0; i < nl; off += (size_t)m[i].w * m[i].h * 3, i++) m[i].v = bc->pool + off;
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
    for (c.lvl = nl - 2; c.lvl >= 0; c.lvl--) {
        if (!axis_make(&c.cx, m[c.lvl].w, m[c.lvl + 1].w) || !axis_make(&c.cy, m[c.lvl].h, m[c.lvl + 1].h)) {
            axis_free(&c.cx), axis_free(&c.cy), bc_free(bc);
            return pol__fail(run, POL_ERR_NOMEM, "out of memory");
        }
        pol__parallel_blocks(run, (size_t)m[c.lvl].h, 8, up_rows, &c);
        axis_free(&c.cx), axis_free(&c.cy);
    }
    /* the light after: the light before, minus the bright part taken, plus the spread light */
    double after = energy + inten * (bc_added(run, bc) - taken);
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
