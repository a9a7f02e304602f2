/* polish — the camera's motion refined to a fraction of a source pixel, for `stabilise`: the
 * analysis pass measured the translation between frames on 160 px frames (a step there is several
 * source pixels); here every frame is decoded again in grey at up to 960 px on the long side and
 * each pair's translation is refined from that coarse estimate by Lucas-Kanade (Gauss-Newton on
 * the sum of squared differences, bilinear sampling) over a three-level pyramid, on a 6x4 grid of
 * blocks; blocks without texture in both directions are skipped, and the camera's translation is
 * the mean of the blocks that agree with their median (a walker in one block is an outlier). */
#include <libavcodec/avcodec.h>
#include <libavutil/pixdesc.h>
#include <libswscale/swscale.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "video/video.h"

#define FINE 960
#define LEVELS 3
#define GX 6
#define GY 4

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

/* Refines d (b(x) ~ a(x + d)) over the block [x0, x0+bw) x [y0, y0+bh) of one level; 0 when the
 * block has too little texture or the estimate runs away. */
static int lk_block(const float *a, const float *b, int w, int h, int x0, int y0, int bw, int bh,
                    double *dx, double *dy, int iters)
{
    for (int it = 0; it < iters; it++) {
        double hxx = 0, hxy = 0, hyy = 0, ex = 0, ey = 0;
        long n = 0;
        double fx = floor(*dx), fy = floor(*dy), ax = *dx - fx, ay = *dy - fy;
        int ix = (int)fx, iy = (int)fy;
        for (int y = y0; y < y0 + bh; y++) {
            int sy = y + iy;
            if (y < 1 || y >= h - 1 || sy < 0 || sy >= h - 1) continue;
            for (int x = x0; x < x0 + bw; x++) {
                int sx = x + ix;
                if (x < 1 || x >= w - 1 || sx < 0 || sx >= w - 1) continue;
                const float *p = a + (size_t)sy * w + sx;
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
        if (fabs(*dx) > w / 4.0 || fabs(*dy) > h / 4.0) return 0;
        if (fabs(ux) < 0.005 && fabs(uy) < 0.005) break;
    }
    return 1;
}

static int cmp_dbl(const void *x, const void *y)
{
    double a = *(const double *)x, b = *(const double *)y;
    return a < b ? -1 : a > b;
}

/* The camera's translation b against a at level 0 of the pyramids, starting from (cx, cy). */
static int refine(const pyr *A, const pyr *B, double cx, double cy, double *ox, double *oy)
{
    double vx[GX * GY], vy[GX * GY];
    int nv = 0;
    int W = A->w[0], H = A->h[0], mx = W / 10, my = H / 10;
    int bw = (W - 2 * mx) / GX, bh = (H - 2 * my) / GY;
    if (bw < 8 || bh < 8) return 0;
    for (int gy = 0; gy < GY; gy++)
        for (int gx = 0; gx < GX; gx++) {
            double dx = cx / (1 << (LEVELS - 1)), dy = cy / (1 << (LEVELS - 1));
            int ok = 1;
            for (int l = LEVELS - 1; l >= 0 && ok; l--) {
                int s = 1 << l;
                int x0 = (mx + gx * bw) / s, y0 = (my + gy * bh) / s, w = bw / s, h = bh / s;
                if (w < 4 || h < 4) continue; /* too small at this level: start finer */
                ok = lk_block(A->p[l], B->p[l], A->w[l], A->h[l], x0, y0, w, h, &dx, &dy, l ? 8 : 12);
                if (l) {
                    dx *= 2;
                    dy *= 2;
                }
            }
            if (!ok) continue;
            vx[nv] = dx;
            vy[nv] = dy;
            nv++;
        }
    if (nv < 3) return 0;
    double sx[GX * GY], sy[GX * GY];
    memcpy(sx, vx, sizeof(double) * (size_t)nv);
    memcpy(sy, vy, sizeof(double) * (size_t)nv);
    qsort(sx, (size_t)nv, sizeof *sx, cmp_dbl);
    qsort(sy, (size_t)nv, sizeof *sy, cmp_dbl);
    double medx = nv % 2 ? sx[nv / 2] : 0.5 * (sx[nv / 2 - 1] + sx[nv / 2]);
    double medy = nv % 2 ? sy[nv / 2] : 0.5 * (sy[nv / 2 - 1] + sy[nv / 2]);
    double tx = 0, ty = 0;
    int k = 0;
    for (int i = 0; i < nv; i++)
        if (fabs(vx[i] - medx) < 0.5 && fabs(vy[i] - medy) < 0.5) {
            tx += vx[i];
            ty += vy[i];
            k++;
        }
    if (k * 2 < nv || k < 2) return 0; /* no agreement: the blocks see different motions */
    *ox = tx / k;
    *oy = ty / k;
    return 1;
}

pol_status pol__video_fine_motion(pol_run *run, pol__video *v, float *dx, float *dy, size_t *refined)
{
    const pol__vinfo *in = &v->in;
    const pol__vanalysis *an = v->ana;
    size_t n = an->n;
    for (size_t i = 0; i < n; i++) {
        dx[i] = an->f[i].dx;
        dy[i] = an->f[i].dy;
    }
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
        pol__vdec_out o;
        st = pol__vdec_next(run, d, &o);
        if (st || !o.kind) break;
        if (o.kind != POL_VDEC_VIDEO) continue;
        if (i >= n) break;
        AVFrame *f = o.frame;
        sc = sws_getCachedContext(sc, f->width, f->height, f->format, cw, ch, AV_PIX_FMT_GRAY8, SWS_AREA, NULL, NULL, NULL);
        if (!sc) {
            st = pol__fail(run, POL_ERR_UNSUPPORTED, "cannot convert %s pictures", av_get_pix_fmt_name(f->format));
            break;
        }
        uint8_t *dst[1] = {in->rotation ? g : gu};
        int ls[1] = {cw};
        sws_scale(sc, (const uint8_t *const *)f->data, f->linesize, 0, f->height, dst, ls);
        if (in->rotation) pol__video_rotate_plane(g, cw, ch, 1, in->rotation, gu);
        pyr_build(&P[cur], gu);
        if (i > 0 && !an->f[i].cut) {
            double rx, ry;
            if (refine(&P[1 - cur], &P[cur], dx[i] / kx, dy[i] / ky, &rx, &ry)) {
                dx[i] = (float)(rx * kx);
                dy[i] = (float)(ry * ky);
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
