/* polish — the camera's motion between frames as a similarity (translation, rotation, scale),
 * refined to a fraction of a source pixel, for `stabilise`: the analysis pass measured it on 160 px
 * frames (a step there is several source pixels); here every frame is decoded again in grey at up
 * to 960 px on the long side and each pair's similarity is refined from that coarse estimate over a
 * three-level pyramid: on each level every block of an 8x6 grid finds its shift around the current
 * similarity by Lucas-Kanade (Gauss-Newton on the sum of squared differences, bilinear sampling),
 * blocks without texture in both directions are skipped, and a robust fit of the blocks' shifts
 * (every pair of blocks proposes a similarity, the one most blocks agree with wins, then
 * reweighted least squares) is the camera's: a walker's blocks disagree and drop out. */
#include <libavcodec/avcodec.h>
#include <libavutil/pixdesc.h>
#include <libswscale/swscale.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "video/video.h"

#define FINE 960
#define LEVELS 3
#define GX 8
#define GY 6

typedef struct pyr {
    float *p[LEVELS];
    int w[LEVELS], h[LEVELS];
} pyr;

static int pyr_alloc(pyr *q, int w, int h)
{
    for (int l = 0; l < LEVELS; l++) {
        q->w[l] = w;
        q->h[l] = h;
        q->p[l] = malloc((size_t)w * h * sizeof(float));
        if (!q->p[l]) return 0;
        w = w / 2 > 1 ? w / 2 : 1;
        h = h / 2 > 1 ? h / 2 : 1;
    }
    return 1;
}

static void pyr_free(pyr *q)
{
    for (int l = 0; l < LEVELS; l++) free(q->p[l]);
}

static void pyr_build(pyr *q, const uint8_t *g)
{
    for (size_t i = 0; i < (size_t)q->w[0] * q->h[0]; i++) q->p[0][i] = g[i];
    for (int l = 1; l < LEVELS; l++) {
        const float *s = q->p[l - 1];
        int sw = q->w[l - 1], sh = q->h[l - 1];
        for (int y = 0; y < q->h[l]; y++)
            for (int x = 0; x < q->w[l]; x++) {
                int x0 = 2 * x, y0 = 2 * y, x1 = x0 + 1 < sw ? x0 + 1 : x0, y1 = y0 + 1 < sh ? y0 + 1 : y0;
                q->p[l][(size_t)y * q->w[l] + x] =
                    0.25f * (s[(size_t)y0 * sw + x0] + s[(size_t)y0 * sw + x1] + s[(size_t)y1 * sw + x0] + s[(size_t)y1 * sw + x1]);
            }
    }
}

/* ---- the similarity fit ----------------------------------------------------------------------- */

/* Least squares over the points with weight w[k] > 0: the similarity taking q[k] to r[k] = q[k] + d[k]
 * (complex form: r = a q + t, a = s e^{i theta}); translation only (a = 1) when the points are too
 * close together to tell a rotation (spread under min_spread). 0 when no weight. */
static int ls_similarity(const double *qx, const double *qy, const double *dx, const double *dy, const double *w,
                         int n, double min_spread, pol__vsim *o)
{
    double sw = 0, mqx = 0, mqy = 0, mrx = 0, mry = 0;
    for (int k = 0; k < n; k++) {
        if (w[k] <= 0) continue;
        sw += w[k];
        mqx += w[k] * qx[k];
        mqy += w[k] * qy[k];
        mrx += w[k] * (qx[k] + dx[k]);
        mry += w[k] * (qy[k] + dy[k]);
    }
    if (sw <= 0) return 0;
    mqx /= sw; mqy /= sw; mrx /= sw; mry /= sw;
    double re = 0, im = 0, den = 0;
    for (int k = 0; k < n; k++) {
        if (w[k] <= 0) continue;
        double ax = qx[k] - mqx, ay = qy[k] - mqy, bx = qx[k] + dx[k] - mrx, by = qy[k] + dy[k] - mry;
        re += w[k] * (ax * bx + ay * by);
        im += w[k] * (ax * by - ay * bx);
        den += w[k] * (ax * ax + ay * ay);
    }
    if (den / sw < min_spread * min_spread) {
        o->a = 1;
        o->b = 0;
    } else {
        o->a = re / den;
        o->b = im / den;
    }
    o->tx = mrx - (o->a * mqx - o->b * mqy);
    o->ty = mry - (o->b * mqx + o->a * mqy);
    return 1;
}

static double sim_resid(const pol__vsim *s, double qx, double qy, double dx, double dy)
{
    double ex = s->a * qx - s->b * qy + s->tx - (qx + dx), ey = s->b * qx + s->a * qy + s->ty - (qy + dy);
    return hypot(ex, ey);
}

int pol__video_fit_similarity(const double *qx, const double *qy, const double *dx, const double *dy, int n,
                              double tol, double min_spread, pol__vsim *out)
{
    if (n < 2 || n > POL__VSIM_MAX) return 0;
    double w[POL__VSIM_MAX];
    /* every pair proposes the similarity through its two points; the one most blocks agree with
     * (within tol) wins: the background, as long as it holds more of the picture than the movers */
    int best = 0;
    pol__vsim bs = {1, 0, 0, 0};
    for (int i = 0; i < n; i++)
        for (int j = i + 1; j < n; j++) {
            double ux = qx[j] - qx[i], uy = qy[j] - qy[i], L = ux * ux + uy * uy;
            if (L < min_spread * min_spread) continue;
            double vx = ux + dx[j] - dx[i], vy = uy + dy[j] - dy[i];
            pol__vsim s = {(vx * ux + vy * uy) / L, (vy * ux - vx * uy) / L, 0, 0};
            double m = hypot(s.a, s.b);
            if (m < 0.8 || m > 1.25) continue;
            s.tx = qx[i] + dx[i] - (s.a * qx[i] - s.b * qy[i]);
            s.ty = qy[i] + dy[i] - (s.b * qx[i] + s.a * qy[i]);
            int c = 0;
            for (int k = 0; k < n; k++) c += sim_resid(&s, qx[k], qy[k], dx[k], dy[k]) < tol;
            if (c > best) {
                best = c;
                bs = s;
            }
        }
    /* a translation alone, when no pair is spread enough or agrees with more */
    for (int i = 0; i < n; i++) {
        pol__vsim s = {1, 0, dx[i], dy[i]};
        int c = 0;
        for (int k = 0; k < n; k++) c += sim_resid(&s, qx[k], qy[k], dx[k], dy[k]) < tol;
        if (c > best) {
            best = c;
            bs = s;
        }
    }
    if (best < 2) return 0;
    /* least squares over the agreeing blocks, then reweighted (Tukey's biweight at 2 tol) */
    for (int k = 0; k < n; k++) w[k] = sim_resid(&bs, qx[k], qy[k], dx[k], dy[k]) < tol;
    pol__vsim s = bs;
    for (int it = 0; it < 4; it++) {
        if (!ls_similarity(qx, qy, dx, dy, w, n, min_spread, &s)) return 0;
        for (int k = 0; k < n; k++) {
            double u = sim_resid(&s, qx[k], qy[k], dx[k], dy[k]) / (2 * tol);
            w[k] = u < 1 ? (1 - u * u) * (1 - u * u) : 0;
        }
    }
    int in = 0;
    for (int k = 0; k < n; k++) in += sim_resid(&s, qx[k], qy[k], dx[k], dy[k]) < tol;
    *out = s;
    return in;
}

/* ---- Lucas-Kanade on blocks, around a similarity ------------------------------------------------ */

/* Refines the shift d of the block [x0, x0+bw) x [y0, y0+bh) of one level (w x h): b(x) ~ a(S(x) + d),
 * S the similarity s about the level's centre (cx, cy). 0 when the block has too little texture
 * or the estimate runs away. */
static int lk_block(const float *a, const float *b, int w, int h, int x0, int y0, int bw, int bh,
                    const pol__vsim *s, double cx, double cy, double *dx, double *dy, int iters)
{
    for (int it = 0; it < iters; it++) {
        double hxx = 0, hxy = 0, hyy = 0, ex = 0, ey = 0;
        long n = 0;
        for (int y = y0; y < y0 + bh; y++) {
            if (y < 1 || y >= h - 1) continue;
            double qy = y - cy;
            for (int x = x0; x < x0 + bw; x++) {
                if (x < 1 || x >= w - 1) continue;
                double qx = x - cx;
                double sx = cx + s->a * qx - s->b * qy + s->tx + *dx, sy = cy + s->b * qx + s->a * qy + s->ty + *dy;
                double fx = floor(sx), fy = floor(sy);
                int ix = (int)fx, iy = (int)fy;
                if (ix < 0 || iy < 0 || ix >= w - 1 || iy >= h - 1) continue;
                double ax = sx - fx, ay = sy - fy;
                const float *p = a + (size_t)iy * w + ix;
                double v = (1 - ay) * ((1 - ax) * p[0] + ax * p[1]) + ay * ((1 - ax) * p[w] + ax * p[w + 1]);
                const float *q = b + (size_t)y * w + x;
                double gx = 0.5 * (q[1] - q[-1]), gy = 0.5 * (q[w] - q[-w]), e = v - q[0];
                hxx += gx * gx;
                hxy += gx * gy;
                hyy += gy * gy;
                ex += gx * e;
                ey += gy * e;
                n++;
            }
        }
        if (n < 64) return 0;
        double det = hxx * hyy - hxy * hxy, tr = hxx + hyy;
        /* the smaller eigenvalue per pixel: texture in both directions */
        double lmin = 0.5 * (tr - sqrt(fmax(0, tr * tr - 4 * det)));
        if (lmin / (double)n < 2.0 || det <= 0) return 0;
        double ux = (hyy * ex - hxy * ey) / det, uy = (hxx * ey - hxy * ex) / det;
        *dx -= ux;
        *dy -= uy;
        if (fabs(*dx) > w / 8.0 || fabs(*dy) > h / 8.0) return 0;
        if (fabs(ux) < 0.005 && fabs(uy) < 0.005) break;
    }
    return 1;
}

/* The camera's similarity between b and a (b(x) ~ a(S(x)), level-0 pixels about the frame's centre),
 * from the prior *s: per pyramid level, each block of the grid refines its shift around the
 * current similarity, and the robust fit of the blocks gives the next; the finest level is fitted
 * twice. 0 when too few blocks agree (then *s is left as given). */
static int refine(const pyr *A, const pyr *B, pol__vsim *s, int *inliers)
{
    double qx[GX * GY], qy[GX * GY], vx[GX * GY], vy[GX * GY];
    int W = A->w[0], H = A->h[0], mx = W / 12, my = H / 12;
    int bw = (W - 2 * mx) / GX, bh = (H - 2 * my) / GY;
    if (bw < 8 || bh < 8) return 0;
    pol__vsim cur = *s;
    int ok = 0;
    for (int pass = LEVELS; pass >= 0; pass--) {
        int l = pass > 0 ? pass - 1 : 0, sc = 1 << l;
        int lw = A->w[l], lh = A->h[l];
        double cx = (lw - 1) / 2.0, cy = (lh - 1) / 2.0;
        pol__vsim ls = {cur.a, cur.b, cur.tx / sc, cur.ty / sc};
        int nv = 0;
        for (int gy = 0; gy < GY; gy++)
            for (int gx = 0; gx < GX; gx++) {
                int x0 = (mx + gx * bw) / sc, y0 = (my + gy * bh) / sc, w = bw / sc, h = bh / sc;
                if (w < 6 || h < 6) continue; /* too small at this level */
                double dx = 0, dy = 0;
                if (!lk_block(A->p[l], B->p[l], lw, lh, x0, y0, w, h, &ls, cx, cy, &dx, &dy, l ? 8 : 12)) continue;
                /* the block's centre and where it lands, as a shift at level 0 */
                double px = x0 + (w - 1) / 2.0 - cx, py = y0 + (h - 1) / 2.0 - cy;
                qx[nv] = px * sc;
                qy[nv] = py * sc;
                vx[nv] = (ls.a * px - ls.b * py + ls.tx + dx - px) * sc;
                vy[nv] = (ls.b * px + ls.a * py + ls.ty + dy - py) * sc;
                nv++;
            }
        if (nv < 4) continue;
        pol__vsim f;
        /* agreement within half a pixel of the level (a walker's block disagrees by more) */
        int in = pol__video_fit_similarity(qx, qy, vx, vy, nv, 0.5 * sc, 0.25 * (W < H ? W : H), &f);
        if (in < 4 || in * 2 < nv) continue;
        cur = f;
        if (l == 0) {
            ok = 1;
            *inliers = in;
        }
    }
    if (ok) *s = cur;
    return ok;
}

pol_status pol__video_next_grey(pol_run *run, pol__vdec *d, int rotation, int cw, int ch, void **sc, uint8_t *tmp,
                                uint8_t *out, int *got)
{
    *got = 0;
    for (;;) {
        pol__vdec_out o;
        pol_status st = pol__vdec_next(run, d, &o);
        if (st || !o.kind) return st;
        if (o.kind != POL_VDEC_VIDEO) continue;
        AVFrame *f = o.frame;
        *sc = sws_getCachedContext(*sc, f->width, f->height, f->format, cw, ch, AV_PIX_FMT_GRAY8, SWS_AREA, NULL,
                                   NULL, NULL);
        if (!*sc)
            return pol__fail(run, POL_ERR_UNSUPPORTED, "cannot convert %s pictures", av_get_pix_fmt_name(f->format));
        uint8_t *dst[1] = {rotation ? tmp : out};
        int ls[1] = {cw};
        sws_scale(*sc, (const uint8_t *const *)f->data, f->linesize, 0, f->height, dst, ls);
        if (rotation) pol__video_rotate_plane(tmp, cw, ch, 1, rotation, out);
        *got = 1;
        return POL_OK;
    }
}

pol_status pol__video_fine_motion(pol_run *run, pol__video *v, pol__vsim *m, size_t *refined)
{
    const pol__vinfo *in = &v->in;
    const pol__vanalysis *an = v->ana;
    size_t n = an->n;
    for (size_t i = 0; i < n; i++) {
        double e = exp(an->f[i].ds);
        m[i] = (pol__vsim){e * cos(an->f[i].da), e * sin(an->f[i].da), an->f[i].dx, an->f[i].dy};
    }
    m[0] = (pol__vsim){1, 0, 0, 0};
    *refined = 0;
    double k = (double)FINE / (in->coded_w > in->coded_h ? in->coded_w : in->coded_h);
    if (k > 1) k = 1;
    int cw = (int)lround(in->coded_w * k), ch = (int)lround(in->coded_h * k);
    if (cw < 32 || ch < 32) return POL_OK; /* too small to refine */
    int uw = in->rotation % 180 ? ch : cw, uh = in->rotation % 180 ? cw : ch;
    double kx = (double)in->width / uw, ky = (double)in->height / uh; /* fine px -> source px */
    uint8_t *g = malloc((size_t)cw * ch), *gu = malloc((size_t)cw * ch);
    pyr P[2] = {0};
    pol__vdec *d = NULL;
    struct SwsContext *sc = NULL;
    pol_status st = POL_OK;
    if (!g || !gu || !pyr_alloc(&P[0], uw, uh) || !pyr_alloc(&P[1], uw, uh))
        st = pol__fail(run, POL_ERR_NOMEM, "out of memory");
    if (!st) st = pol__vdec_open(run, v->path, POL_VDEC_VIDEO, &d);
    size_t i = 0;
    int cur = 0;
    while (!st) {
        int got = 0;
        st = pol__video_next_grey(run, d, in->rotation, cw, ch, (void **)&sc, g, gu, &got);
        if (st || !got || i >= n) break;
        pyr_build(&P[cur], gu);
        if (i > 0 && !an->f[i].cut) {
            pol__vsim s = {m[i].a, m[i].b, m[i].tx / kx, m[i].ty / ky};
            int inl = 0;
            if (refine(&P[1 - cur], &P[cur], &s, &inl)) {
                m[i] = (pol__vsim){s.a, s.b, s.tx * kx, s.ty * ky};
                (*refined)++;
            }
        }
        cur = 1 - cur;
        i++;
    }
    pol__vdec_close(d);
    sws_freeContext(sc);
    pyr_free(&P[0]);
    pyr_free(&P[1]);
    free(g);
    free(gu);
    return st;
}
