/* polish — the video analysis pass: every frame decoded once at small size (grey, 160 px on the
 * long side, upright) and measured: luma, shot cuts (histogram distance), black and frozen frames,
 * global translation (shake), the moving subject's centroid (frame difference), a saliency
 * centroid twice a second (the image domain's saliency map) and the colour of the light and the
 * key twice a second (the image domain's estimators). The soundtrack is measured with the audio
 * domain's analysis. */
#include <libavcodec/avcodec.h>
#include <libavutil/pixdesc.h>
#include <libswscale/swscale.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "audio/audio.h"
#include "image/quality.h"
#include "image/saliency.h"
#include "video/video.h"

#define SMALL 160
#define CSMALL 192

/* Rotates a w x h plane of `bpp`-byte pixels clockwise by rot degrees into dst (upright). */
void pol__video_rotate_plane(const uint8_t *src, int w, int h, int bpp, int rot, uint8_t *dst)
{
    int W = rot % 180 ? h : w;
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) {
            int X, Y;
            if (rot == 90) { X = h - 1 - y; Y = x; }
            else if (rot == 180) { X = w - 1 - x; Y = h - 1 - y; }
            else if (rot == 270) { X = y; Y = w - 1 - x; }
            else { X = x; Y = y; }
            memcpy(dst + ((size_t)Y * W + X) * bpp, src + ((size_t)y * w + x) * bpp, (size_t)bpp);
        }
}

/* Global translation of b against a (both w x h grey): each block of a 4x3 grid with texture
 * searches its own shift (SAD, +-6 px, with a parabola for the fraction); the median of the
 * textured blocks is the camera's. A frame with fewer than 3 textured blocks (a flat backdrop)
 * gives no evidence: 0, so a subject moving over a plain wall is not taken for shake. When asked
 * (rot), the rotation and log scale about the centre: the robust similarity fit of the blocks'
 * shifts (motion.c), when at least 6 blocks agree on it; else 0. */
static double bsad(const uint8_t *a, const uint8_t *b, int w, int x0, int y0, int bw, int bh, int dx, int dy)
{
    long s = 0, n = 0;
    for (int y = y0; y < y0 + bh; y += 2)
        for (int x = x0; x < x0 + bw; x += 2) {
            int d = (int)b[(size_t)y * w + x] - (int)a[(size_t)(y + dy) * w + x + dx];
            s += d < 0 ? -d : d;
            n++;
        }
    return n ? (double)s / (double)n : 0;
}

static int cmp_dbl(const void *x, const void *y)
{
    double a = *(const double *)x, b = *(const double *)y;
    return a < b ? -1 : a > b;
}

static void translation(const uint8_t *a, const uint8_t *b, int w, int h, double *ox, double *oy, double *rot)
{
    const int M = 7, GX = 4, GY = 3;
    int bw = (w - 2 * M) / GX, bh = (h - 2 * M) / GY;
    double vx[12], vy[12], qx[12], qy[12];
    int nv = 0;
    *ox = *oy = 0;
    if (rot) rot[0] = rot[1] = 0;
    if (bw < 4 || bh < 4) return;
    for (int gy = 0; gy < GY; gy++)
        for (int gx = 0; gx < GX; gx++) {
            int x0 = M + gx * bw, y0 = M + gy * bh;
            /* texture: mean absolute gradient */
            long g = 0, n = 0;
            for (int y = y0; y < y0 + bh - 1; y += 2)
                for (int x = x0; x < x0 + bw - 1; x += 2) {
                    const uint8_t *p = b + (size_t)y * w + x;
                    g += abs(p[1] - p[0]) + abs(p[w] - p[0]);
                    n++;
                }
            if (!n || (double)g / n < 4) continue;
            int bx = 0, by = 0;
            double best = bsad(a, b, w, x0, y0, bw, bh, 0, 0);
            for (int dy = -6; dy <= 6; dy++)
                for (int dx = -6; dx <= 6; dx++) {
                    double s = bsad(a, b, w, x0, y0, bw, bh, dx, dy);
                    if (s < best - 1e-9) { best = s; bx = dx; by = dy; }
                }
            double fx = bx, fy = by;
            if (abs(bx) < 6) {
                double l = bsad(a, b, w, x0, y0, bw, bh, bx - 1, by), r = bsad(a, b, w, x0, y0, bw, bh, bx + 1, by), d = l + r - 2 * best;
                if (d > 1e-9) fx += 0.5 * (l - r) / d;
            }
            if (abs(by) < 6) {
                double u = bsad(a, b, w, x0, y0, bw, bh, bx, by - 1), o = bsad(a, b, w, x0, y0, bw, bh, bx, by + 1), d = u + o - 2 * best;
                if (d > 1e-9) fy += 0.5 * (u - o) / d;
            }
            vx[nv] = fx;
            vy[nv] = fy;
            qx[nv] = x0 + (bw - 1) / 2.0 - (w - 1) / 2.0;
            qy[nv] = y0 + (bh - 1) / 2.0 - (h - 1) / 2.0;
            nv++;
        }
    if (nv < 3) return;
    pol__vsim sim;
    if (rot && nv >= 6 && pol__video_fit_similarity(qx, qy, vx, vy, nv, 0.6, 0.25 * (w < h ? w : h), &sim) >= 6) {
        rot[0] = atan2(sim.b, sim.a);
        rot[1] = log(hypot(sim.a, sim.b));
    }
    qsort(vx, (size_t)nv, sizeof *vx, cmp_dbl);
    qsort(vy, (size_t)nv, sizeof *vy, cmp_dbl);
    *ox = nv % 2 ? vx[nv / 2] : 0.5 * (vx[nv / 2 - 1] + vx[nv / 2]);
    *oy = nv % 2 ? vy[nv / 2] : 0.5 * (vy[nv / 2 - 1] + vy[nv / 2]);
}

typedef struct actx {
    struct SwsContext *sg, *sc;
    int cw, ch;      /* coded small sizes */
    int ccw, cch;
    uint8_t *g0, *g1, *tmp, *rgb, *rgbu;
    uint8_t *gref; /* the last frame that was not frozen: a frozen run must not drift from it */
    int have_prev;
    float hist_prev[32];
} actx;

pol_status pol__video_analyse(pol_run *run, pol__video *v)
{
    if (v->ana) return POL_OK;
    const pol__vinfo *in = &v->in;
    double k = (double)SMALL / (in->coded_w > in->coded_h ? in->coded_w : in->coded_h);
    if (k > 1) k = 1;
    actx c = {0};
    c.cw = (int)lround(in->coded_w * k) & ~1;
    c.ch = (int)lround(in->coded_h * k) & ~1;
    if (c.cw < 16) c.cw = 16;
    if (c.ch < 16) c.ch = 16;
    double kc = (double)CSMALL / (in->coded_w > in->coded_h ? in->coded_w : in->coded_h);
    if (kc > 1) kc = 1;
    c.ccw = (int)lround(in->coded_w * kc);
    c.cch = (int)lround(in->coded_h * kc);
    if (c.ccw < 8) c.ccw = 8;
    if (c.cch < 8) c.cch = 8;
    int sw = in->rotation % 180 ? c.ch : c.cw, sh = in->rotation % 180 ? c.cw : c.ch;
    int csw = in->rotation % 180 ? c.cch : c.ccw, csh = in->rotation % 180 ? c.ccw : c.cch;
    size_t np = (size_t)c.cw * c.ch;
    pol__vanalysis *a = calloc(1, sizeof *a);
    c.g0 = malloc(np);
    c.g1 = malloc(np);
    c.gref = malloc(np);
    c.tmp = malloc(np);
    c.rgb = malloc((size_t)c.ccw * c.cch * 3);
    c.rgbu = malloc((size_t)c.ccw * c.cch * 3);
    pol__vdec *d = NULL;
    pol_status st = POL_OK;
    if (!a || !c.g0 || !c.g1 || !c.gref || !c.tmp || !c.rgb || !c.rgbu) st = pol__fail(run, POL_ERR_NOMEM, "out of memory");
    if (!st) st = pol__vdec_open(run, v->path, POL_VDEC_VIDEO, &d);
    a = a ? a : NULL;
    if (a) {
        a->sw = sw;
        a->sh = sh;
    }
    size_t cap = 0;
    int sal_every = (int)lround(in->fps / 2) > 0 ? (int)lround(in->fps / 2) : 1;
    double scale_x = (double)in->width / sw, scale_y = (double)in->height / sh;
    double last_cut_t = -1;
    pol__colour_init();
    while (!st) {
        pol__vdec_out o;
        st = pol__vdec_next(run, d, &o);
        if (st || !o.kind) break;
        if (o.kind != POL_VDEC_VIDEO) continue;
        AVFrame *f = o.frame;
        if (f->width != in->coded_w || f->height != in->coded_h) {
            st = pol__fail(run, POL_ERR_UNSUPPORTED, "the picture size changes mid-stream (%dx%d to %dx%d)",
                           in->coded_w, in->coded_h, f->width, f->height);
            break;
        }
        c.sg = sws_getCachedContext(c.sg, f->width, f->height, f->format, c.cw, c.ch, AV_PIX_FMT_GRAY8,
                                    SWS_AREA, NULL, NULL, NULL);
        if (!c.sg) {
            st = pol__fail(run, POL_ERR_UNSUPPORTED, "cannot convert %s pictures", av_get_pix_fmt_name(f->format));
            break;
        }
        uint8_t *dst[1] = {in->rotation ? c.tmp : c.g1};
        int ls[1] = {c.cw};
        sws_scale(c.sg, (const uint8_t *const *)f->data, f->linesize, 0, f->height, dst, ls);
        if (in->rotation) pol__video_rotate_plane(c.tmp, c.cw, c.ch, 1, in->rotation, c.g1);
        if (a->n == cap) {
            size_t nc = cap ? cap * 2 : 1024;
            pol__vframe *nf = realloc(a->f, nc * sizeof *nf);
            if (!nf) {
                st = pol__fail(run, POL_ERR_NOMEM, "out of memory");
                break;
            }
            a->f = nf;
            cap = nc;
        }
        pol__vframe *fr = &a->f[a->n];
        memset(fr, 0, sizeof *fr);
        fr->t = o.t;
        fr->wb_conf = -1;
        /* luma, histogram */
        double s = 0, s2 = 0;
        float hist[32] = {0};
        for (size_t i = 0; i < np; i++) {
            double y = c.g1[i] / 255.0;
            s += y;
            s2 += y * y;
            hist[c.g1[i] >> 3] += 1.0f / (float)np;
        }
        fr->luma = (float)(s / np);
        fr->sd = (float)sqrt(fmax(0, s2 / np - (s / np) * (s / np)));
        fr->black = fr->luma < 0.07f && fr->sd < 0.03f;
        if (c.have_prev) {
            double hd = 0, dsum = 0;
            for (int b = 0; b < 32; b++) hd += fabsf(hist[b] - c.hist_prev[b]);
            fr->hdiff = (float)(hd / 2);
            /* motion: difference to the previous frame, after the global translation */
            double tx, ty, rot[2];
            translation(c.g0, c.g1, sw, sh, &tx, &ty, rot);
            fr->dx = (float)(tx * scale_x);
            fr->dy = (float)(ty * scale_y);
            fr->da = (float)rot[0];
            fr->ds = (float)rot[1];
            int ix = (int)lround(tx), iy = (int)lround(ty);
            double wsum = 0, xs = 0, ys = 0;
            long nd = 0, changed = 0;
            for (int y = 8; y < sh - 8; y++)
                for (int x = 8; x < sw - 8; x++) {
                    int dd = abs((int)c.g1[(size_t)y * sw + x] - (int)c.g0[(size_t)(y + iy) * sw + x + ix]);
                    dsum += dd;
                    nd++;
                    changed += dd > 6;
                    if (dd > 14) {
                        double wgt = dd - 14;
                        wsum += wgt;
                        xs += wgt * x;
                        ys += wgt * y;
                    }
                }
            fr->diff = nd ? (float)(dsum / nd / 255.0) : 0;
            /* frozen: no change at all. The picture equals the previous one and the last frame
             * that was not frozen, without shifting either (a slow pan over a plain scene changes
             * little from frame to frame, but it drifts from the reference), and no motion. */
            int still = changed * 2000 < nd && !fr->black && fabs(tx) < 0.05 && fabs(ty) < 0.05;
            if (still) {
                long big = 0, bigr = 0;
                double sr = 0;
                for (size_t q = 0; q < np; q++) {
                    int d0 = abs((int)c.g1[q] - (int)c.g0[q]), d1 = abs((int)c.g1[q] - (int)c.gref[q]);
                    big += d0 > 3;
                    bigr += d1 > 3;
                    sr += d1;
                }
                still = big * 2000 < (long)np && bigr * 2000 < (long)np && sr / (double)np < 0.5;
            }
            if (still) {
                double rx, ry;
                translation(c.gref, c.g1, sw, sh, &rx, &ry, NULL);
                still = fabs(rx) < 0.1 && fabs(ry) < 0.1;
            }
            fr->frozen = (unsigned char)still;
            if (!still) memcpy(c.gref, c.g1, np);
            if (wsum > 0) {
                fr->mx = (float)((xs / wsum + 0.5) / sw);
                fr->my = (float)((ys / wsum + 0.5) / sh);
                fr->mw = (float)(wsum / ((double)sw * sh));
            }
            int cut = fr->hdiff > 0.35f || (fr->hdiff > 0.2f && fr->diff > 0.12f);
            if (cut && (last_cut_t < 0 || o.t - last_cut_t > 0.3)) {
                fr->cut = 1;
                last_cut_t = o.t;
            }
        } else {
            fr->cut = 1;
            last_cut_t = o.t;
            memcpy(c.gref, c.g1, np);
        }
        memcpy(c.hist_prev, hist, sizeof hist);
        /* colour and saliency twice a second */
        if (a->n % (size_t)sal_every == 0) {
            c.sc = sws_getCachedContext(c.sc, f->width, f->height, f->format, c.ccw, c.cch, AV_PIX_FMT_RGB24,
                                        SWS_AREA, NULL, NULL, NULL);
            if (c.sc) {
                uint8_t *cd[1] = {in->rotation ? c.rgb : c.rgbu};
                int cl[1] = {c.ccw * 3};
                sws_scale(c.sc, (const uint8_t *const *)f->data, f->linesize, 0, f->height, cd, cl);
                if (in->rotation) pol__video_rotate_plane(c.rgb, c.ccw, c.cch, 3, in->rotation, c.rgbu);
                pol__image *im = pol__image_new(csw, csh, 3);
                if (im) {
                    for (size_t i = 0; i < (size_t)csw * csh * 3; i++) im->px[i] = c.rgbu[i] / 255.0f;
                    im->srgb = 1;
                    fr->graphic = pol__image_kind(run, im) == 2;
                    pol__qsmall q;
                    if (pol__qsmall_make(run, im, CSMALL, &q) == POL_OK) {
                        pol__wb_guess g;
                        int ok = pol__wb_estimate(&q, &g);
                        if (!ok || !g.plausible) g.confidence = 0; /* the scene's own colour */
                        pol__tone_summary t;
                        pol__tone_stats(&q, 0.5, &t);
                        fr->wb_u = (float)g.u;
                        fr->wb_v = (float)g.v;
                        fr->wb_conf = (float)g.confidence;
                        fr->key = (float)t.median_y;
                        pol__qsmall_free(&q);
                    }
                    int mw, mh, fac;
                    float *sal = pol__image_saliency_map(im, CSMALL, &mw, &mh, &fac);
                    if (sal) {
                        double ws = 0, xs = 0, ys = 0;
                        for (int y = 0; y < mh; y++)
                            for (int x = 0; x < mw; x++) {
                                double q2 = (double)sal[(size_t)y * mw + x];
                                q2 *= q2;
                                ws += q2;
                                xs += q2 * (x + 0.5);
                                ys += q2 * (y + 0.5);
                            }
                        if (ws > 0) {
                            fr->sx = (float)(xs / ws / mw);
                            fr->sy = (float)(ys / ws / mh);
                            fr->sw = 1;
                        }
                        free(sal);
                    }
                    pol__image_free(im);
                }
            }
        }
        uint8_t *t = c.g0;
        c.g0 = c.g1;
        c.g1 = t;
        c.have_prev = 1;
        a->n++;
    }
    pol__vdec_close(d);
    sws_freeContext(c.sg);
    sws_freeContext(c.sc);
    free(c.g0);
    free(c.g1);
    free(c.gref);
    free(c.tmp);
    free(c.rgb);
    free(c.rgbu);
    if (!st && a->n == 0) st = pol__fail(run, POL_ERR_CORRUPT, "no video frame could be decoded");
    if (st) {
        if (a) free(a->f);
        free(a);
        return st;
    }
    v->ana = a;
    return POL_OK;
}

size_t *pol__video_shots(const pol__vanalysis *a, size_t *n)
{
    size_t k = 0;
    for (size_t i = 0; i < a->n; i++) k += a->f[i].cut || i == 0;
    size_t *s = malloc((k ? k : 1) * sizeof *s);
    if (!s) {
        *n = 0;
        return NULL;
    }
    k = 0;
    for (size_t i = 0; i < a->n; i++)
        if (a->f[i].cut || i == 0) s[k++] = i;
    *n = k;
    return s;
}

pol_status pol__video_sound(pol_run *run, pol__video *v, pol__afindings *f, unsigned char **act,
                            size_t *n_act)
{
    if (act) *act = NULL;
    if (n_act) *n_act = 0;
    if (!v->in.has_audio) return pol__fail(run, POL_ERR_UNSUPPORTED, "the video has no soundtrack");
    pol__vdec *d = NULL;
    pol_status st = pol__vdec_open(run, v->path, POL_VDEC_AUDIO, &d);
    if (st) return st;
    pol__aanalysis *an = pol__aan_new(pol__vdec_achannels(d), pol__vdec_arate(d), 1);
    if (!an) st = pol__fail(run, POL_ERR_NOMEM, "out of memory");
    while (!st) {
        pol__vdec_out o;
        st = pol__vdec_next(run, d, &o);
        if (st || !o.kind) break;
        if (o.kind == POL_VDEC_AUDIO) pol__aan_add(an, o.samples, o.n);
    }
    if (!st) {
        pol__aan_finish(an, f);
        if (act) {
            size_t n = pol__aan_activity(an, f, NULL, 0);
            *act = malloc(n ? n : 1);
            if (!*act) st = pol__fail(run, POL_ERR_NOMEM, "out of memory");
            else pol__aan_activity(an, f, *act, n);
            if (n_act) *n_act = n;
        }
    }
    if (an) pol__aan_free(an);
    pol__vdec_close(d);
    return st;
}

double pol__video_shake(const pol__vanalysis *a, double fps, int width, int height)
{
    /* the frame-to-frame motion minus its average over 1 s (pans and walks are not shake), RMS; a
     * rotation by what it moves the corners */
    double s2 = 0, r = 0.5 * hypot(width, height);
    size_t m = 0;
    int h = (int)lround(fps / 2);
    for (size_t i = 1; i < a->n; i++) {
        if (a->f[i].cut) continue;
        double mx = 0, my = 0, ma = 0;
        int c = 0;
        for (long j = (long)i - h; j <= (long)i + h; j++)
            if (j >= 1 && j < (long)a->n && !a->f[j].cut) {
                mx += a->f[j].dx;
                my += a->f[j].dy;
                ma += a->f[j].da;
                c++;
            }
        double ex = a->f[i].dx - mx / c, ey = a->f[i].dy - my / c, ea = (a->f[i].da - ma / c) * r;
        s2 += ex * ex + ey * ey + ea * ea;
        m++;
    }
    return m ? sqrt(s2 / m) : 0;
}
