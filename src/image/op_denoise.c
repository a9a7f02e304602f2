/* polish — image.denoise: edge-preserving noise reduction on luminance and chroma, strength from the estimated noise. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "image/quality.h"

static const pol_param_desc params[] = {
    {"sigma", POL_PARAM_NUM, NULL, 0, 100, NULL,
     "Noise standard deviation in 8-bit levels; unset means estimated from the photo."},
    {"strength", POL_PARAM_NUM, "1", 0, 3, NULL, "Multiplier of the smoothing strength."},
    {"chroma", POL_PARAM_NUM, "1.5", 0, 4, NULL, "Extra smoothing of colour noise relative to luminance."},
    {"min-sigma", POL_PARAM_NUM, "2", 0, 50, NULL,
     "Automatic: decline when the estimated sigma (8-bit levels) is below this."},
};

/*
 * Edge-preserving smoothing in a luma/chroma split. Luma: a bilateral filter (5x5, or 7x7 for
 * heavy noise) whose range weights compare a 3x3-smoothed guide, so the weights themselves are not
 * fooled by the noise. Chroma: colour noise is coarse and the eye forgives soft colour edges, so
 * it is filtered at half resolution with a wider reach, guided by luma so colour does not bleed
 * across edges, then brought back with bilinear interpolation.
 */

#define RW_N 1024   /* range-weight table: exp(-x/2) for x = d^2/sigma^2 in [0, 16) */
#define RW_MAX 16.0

typedef struct dn_ctx {
    int w, h, ch;
    pol_image *im;
    float *y, *gy;     /* full-resolution luma and its 3x3 guide */
    int cw, chh;       /* half-resolution chroma size */
    float *cb, *cr;    /* half-resolution chroma (in), filtered in place via out buffers */
    float *cbo, *cro;
    float *hy;         /* half-resolution luma guide */
    float *yo;         /* filtered luma */
    int ry, rc;        /* radii */
    float sry, src;    /* range sigmas (luma guide, chroma) */
    float sws[8][8];   /* spatial weights by |dx|,|dy| for luma */
    float swc[8][8];
    float rw[RW_N + 1];
    float nres2; /* variance of the chroma residual's noise */
    float nres_y; /* variance of the luma noise */
    float *yo2;
} dn_ctx;

static inline float range_w(const dn_ctx *c, float d2)
{
    if (d2 >= (float)RW_MAX) return 0;
    return c->rw[(int)(d2 * (RW_N / RW_MAX))];
}

static void split_rows(void *user, size_t begin, size_t end)
{
    dn_ctx *c = user;
    for (size_t y = begin; y < end; y++) {
        const float *p = pol_image_row(c->im, (int)y);
        float *o = c->y + y * c->w;
        for (int x = 0; x < c->w; x++, p += c->ch)
            o[x] = c->ch >= 3 ? 0.299f * p[0] + 0.587f * p[1] + 0.114f * p[2] : p[0];
    }
}

static void guide_rows(void *user, size_t begin, size_t end)
{
    dn_ctx *c = user;
    int w = c->w, h = c->h;
    for (size_t y = begin; y < end; y++) {
        int y0 = y > 0 ? (int)y - 1 : 0, y2 = (int)y < h - 1 ? (int)y + 1 : h - 1;
        const float *a = c->y + (size_t)y0 * w, *m = c->y + y * w, *b = c->y + (size_t)y2 * w;
        float *o = c->gy + y * w;
        for (int x = 0; x < w; x++) {
            int x0 = x > 0 ? x - 1 : 0, x2 = x < w - 1 ? x + 1 : w - 1;
            o[x] = (a[x0] + a[x] + a[x2] + m[x0] + m[x] + m[x2] + b[x0] + b[x] + b[x2]) / 9;
        }
    }
}

static void luma_rows(void *user, size_t begin, size_t end)
{
    dn_ctx *c = user;
    int w = c->w, h = c->h, r = c->ry;
    float inv = 1 / (c->sry * c->sry);
    for (size_t yy = begin; yy < end; yy++) {
        int y = (int)yy;
        for (int x = 0; x < w; x++) {
            float g0 = c->gy[(size_t)y * w + x], sw = 0, sv = 0;
            for (int dy = -r; dy <= r; dy++) {
                int qy = y + dy < 0 ? -(y + dy) : y + dy >= h ? 2 * h - 2 - (y + dy) : y + dy;
                const float *gr = c->gy + (size_t)qy * w, *yr = c->y + (size_t)qy * w;
                for (int dx = -r; dx <= r; dx++) {
                    int qx = x + dx < 0 ? -(x + dx) : x + dx >= w ? 2 * w - 2 - (x + dx) : x + dx;
                    float d = gr[qx] - g0;
                    float wt = c->sws[dy < 0 ? -dy : dy][dx < 0 ? -dx : dx] * range_w(c, d * d * inv);
                    sw += wt;
                    sv += wt * yr[qx];
                }
            }
            c->yo[(size_t)y * w + x] = sv / sw;
        }
    }
}

/* Texture the bilateral filter mistook for noise comes back: where the removed residual is
 * locally (5x5) much stronger than the noise, a Wiener-like share of it is restored. The guide
 * plane is free by now and holds the residual. */
static void residual_rows(void *user, size_t begin, size_t end)
{
    dn_ctx *c = user;
    for (size_t i = begin * c->w; i < end * c->w; i++) c->gy[i] = c->y[i] - c->yo[i];
}

static void restore_rows(void *user, size_t begin, size_t end)
{
    dn_ctx *c = user;
    int w = c->w, h = c->h;
    for (size_t yy = begin; yy < end; yy++) {
        int y = (int)yy;
        for (int x = 0; x < w; x++) {
            float e = 0;
            int n = 0;
            for (int dy = -2; dy <= 2; dy++) {
                int qy = y + dy;
                if (qy < 0 || qy >= h) continue;
                const float *r = c->gy + (size_t)qy * w;
                for (int dx = -2; dx <= 2; dx++) {
                    int qx = x + dx;
                    if (qx < 0 || qx >= w) continue;
                    e += r[qx] * r[qx];
                    n++;
                }
            }
            e /= n;
            float keep = e > c->nres_y ? 1 - c->nres_y / e : 0;
            c->yo2[(size_t)y * w + x] = c->yo[(size_t)y * w + x] + keep * c->gy[(size_t)y * w + x];
        }
    }
}

/* Half-resolution chroma (2x2 means) and luma guide. */
static void half_rows(void *user, size_t begin, size_t end)
{
    dn_ctx *c = user;
    int ch = c->ch;
    for (size_t hy = begin; hy < end; hy++) {
        for (int hx = 0; hx < c->cw; hx++) {
            float sb = 0, sr = 0, sy = 0;
            int n = 0;
            for (int dy = 0; dy < 2; dy++) {
                int y = (int)hy * 2 + dy;
                if (y >= c->h) continue;
                for (int dx = 0; dx < 2; dx++) {
                    int x = hx * 2 + dx;
                    if (x >= c->w) continue;
                    const float *p = pol_image_row(c->im, y) + (size_t)x * ch;
                    float Y = c->y[(size_t)y * c->w + x];
                    sb += p[2] - Y;
                    sr += p[0] - Y;
                    sy += c->gy[(size_t)y * c->w + x];
                    n++;
                }
            }
            size_t i = hy * c->cw + hx;
            c->cb[i] = sb / n;
            c->cr[i] = sr / n;
            c->hy[i] = sy / n;
        }
    }
}

static void chroma_rows(void *user, size_t begin, size_t end)
{
    dn_ctx *c = user;
    int w = c->cw, h = c->chh, r = c->rc;
    float invy = 1 / (c->sry * c->sry), invc = 1 / (c->src * c->src);
    for (size_t yy = begin; yy < end; yy++) {
        int y = (int)yy;
        for (int x = 0; x < w; x++) {
            size_t i0 = (size_t)y * w + x;
            float g0 = c->hy[i0], b0 = c->cb[i0], r0 = c->cr[i0];
            float sw = 0, sb = 0, sr = 0;
            for (int dy = -r; dy <= r; dy++) {
                int qy = y + dy < 0 ? -(y + dy) : y + dy >= h ? 2 * h - 2 - (y + dy) : y + dy;
                if (qy < 0) qy = 0;
                for (int dx = -r; dx <= r; dx++) {
                    int qx = x + dx < 0 ? -(x + dx) : x + dx >= w ? 2 * w - 2 - (x + dx) : x + dx;
                    if (qx < 0) qx = 0;
                    size_t q = (size_t)qy * w + qx;
                    float dg = c->hy[q] - g0, db = c->cb[q] - b0, dr = c->cr[q] - r0;
                    float wt = c->swc[dy < 0 ? -dy : dy][dx < 0 ? -dx : dx] *
                               range_w(c, dg * dg * invy + (db * db + dr * dr) * invc);
                    sw += wt;
                    sb += wt * c->cb[q];
                    sr += wt * c->cr[q];
                }
            }
            c->cbo[i0] = sb / sw;
            c->cro[i0] = sr / sw;
        }
    }
}

/* Recombine: filtered luma, plus chroma from the filtered half-resolution planes (upsampled
 * bilinearly) and the full-resolution chroma detail that stands out from the noise (a Wiener-like
 * shrink of the residual), so sharp colour edges keep most of their detail. */
static void merge_rows(void *user, size_t begin, size_t end)
{
    dn_ctx *c = user;
    int ch = c->ch;
    for (size_t yy = begin; yy < end; yy++) {
        int y = (int)yy;
        float *p = pol_image_row(c->im, y);
        float fy = (y + 0.5f) / 2 - 0.5f;
        int y0 = (int)floorf(fy);
        float ty = fy - y0;
        int ya = y0 < 0 ? 0 : y0, yb = y0 + 1 >= c->chh ? c->chh - 1 : y0 + 1;
        if (ya >= c->chh) ya = c->chh - 1;
        for (int x = 0; x < c->w; x++, p += ch) {
            float Y = c->yo[(size_t)y * c->w + x];
            if (ch < 3) {
                p[0] = pol__clampf(Y, 0, 1);
                continue;
            }
            float fx = (x + 0.5f) / 2 - 0.5f;
            int x0 = (int)floorf(fx);
            float tx = fx - x0;
            int xa = x0 < 0 ? 0 : x0, xb = x0 + 1 >= c->cw ? c->cw - 1 : x0 + 1;
            if (xa >= c->cw) xa = c->cw - 1;
            size_t a = (size_t)ya * c->cw, b = (size_t)yb * c->cw;
            float ucb = (1 - ty) * ((1 - tx) * c->cbo[a + xa] + tx * c->cbo[a + xb]) +
                        ty * ((1 - tx) * c->cbo[b + xa] + tx * c->cbo[b + xb]);
            float ucr = (1 - ty) * ((1 - tx) * c->cro[a + xa] + tx * c->cro[a + xb]) +
                        ty * ((1 - tx) * c->cro[b + xa] + tx * c->cro[b + xb]);
            float ocb = (1 - ty) * ((1 - tx) * c->cb[a + xa] + tx * c->cb[a + xb]) +
                        ty * ((1 - tx) * c->cb[b + xa] + tx * c->cb[b + xb]);
            float ocr = (1 - ty) * ((1 - tx) * c->cr[a + xa] + tx * c->cr[a + xb]) +
                        ty * ((1 - tx) * c->cr[b + xa] + tx * c->cr[b + xb]);
            float Y0 = c->y[(size_t)y * c->w + x];
            float rb = p[2] - Y0 - ocb, rr = p[0] - Y0 - ocr;
            float cb = ucb + rb * (rb * rb / (rb * rb + c->nres2));
            float cr = ucr + rr * (rr * rr / (rr * rr + c->nres2));
            float R = Y + cr, B = Y + cb, G = (Y - 0.299f * R - 0.114f * B) / 0.587f;
            p[0] = pol__clampf(R, 0, 1);
            p[1] = pol__clampf(G, 0, 1);
            p[2] = pol__clampf(B, 0, 1);
        }
    }
}

static pol_status run(pol_run *run, pol_asset *asset, const pol_args *args)
{
    pol_image *im = pol_image_of(asset);
    double sigma; /* in 8-bit levels, per channel */
    if (pol__arg_has(args, "sigma")) {
        sigma = pol__arg_num(args, "sigma");
    } else {
        double conf;
        sigma = pol__noise_sigma(run, im, &conf) * 255;
        pol__measure(run, "noise_sigma", sigma);
        pol__confidence(run, conf);
        double mins = pol__arg_num(args, "min-sigma");
        if (sigma < mins) {
            pol__decline(run, "noise sigma %.2f levels is below %.2f: nothing worth removing",
                         sigma, mins);
            return POL_OK;
        }
    }
    double strength = pol__arg_num(args, "strength"), chroma = pol__arg_num(args, "chroma");
    if (sigma <= 0 || strength <= 0) {
        pol__decline(run, "zero strength");
        return POL_OK;
    }
    dn_ctx c;
    memset(&c, 0, sizeof c);
    c.im = im;
    c.w = im->width;
    c.h = im->height;
    c.ch = im->channels;
    c.cw = (c.w + 1) / 2;
    c.chh = (c.h + 1) / 2;
    /* Luma noise of independent per-channel noise is 0.67 sigma; the 3x3 guide divides by 3. The
     * range sigma spans the guide's noise comfortably while staying below real edges. */
    double sy = sigma / 255 * (c.ch >= 3 ? 0.668 : 1.0);
    c.sry = (float)(sy * 1.6 * strength + 1e-4);
    c.src = (float)(sigma / 255 * 1.6 * chroma * strength + 1e-4);
    /* Chroma noise of B-Y, R-Y is ~1.1 sigma; its within-2x2 part carries 3/4 of the variance.
     * Shrinking against twice that keeps only residuals well above the noise. */
    {
        double sc1 = sigma / 255 * 1.1 * chroma * strength;
        c.nres2 = (float)(4 * 0.75 * sc1 * sc1 + 1e-12);
    }
    /* Wiener share of the residual: keep 1 - sigma^2 / E[r^2] of it where it is locally larger
     * than the noise, none where it is noise alone. */
    c.nres_y = (float)(sy * sy * strength * strength + 1e-12);
    c.ry = sigma > 12 ? 3 : 2;
    c.rc = 2;
    double ss = c.ry * 0.5 * (strength < 1 ? strength : 1) + 0.3, sc = 1.6;
    for (int a = 0; a < 8; a++)
        for (int b = 0; b < 8; b++) {
            c.sws[a][b] = (float)exp(-(a * a + b * b) / (2 * ss * ss));
            c.swc[a][b] = (float)exp(-(a * a + b * b) / (2 * sc * sc));
        }
    for (int i = 0; i <= RW_N; i++) c.rw[i] = (float)exp(-0.5 * RW_MAX * i / RW_N);
    size_t n = (size_t)c.w * c.h, nh = (size_t)c.cw * c.chh;
    c.y = malloc(n * sizeof(float));
    c.gy = malloc(n * sizeof(float));
    c.yo = malloc(n * sizeof(float));
    c.yo2 = malloc(n * sizeof(float));
    int colour = c.ch >= 3;
    if (colour) {
        c.cb = malloc(nh * sizeof(float));
        c.cr = malloc(nh * sizeof(float));
        c.cbo = malloc(nh * sizeof(float));
        c.cro = malloc(nh * sizeof(float));
        c.hy = malloc(nh * sizeof(float));
    }
    pol_status st = POL_OK;
    if (!c.y || !c.gy || !c.yo || !c.yo2 || (colour && (!c.cb || !c.cr || !c.cbo || !c.cro || !c.hy))) {
        st = pol__fail(run, POL_ERR_NOMEM, "out of memory denoising a %dx%d image", c.w, c.h);
        goto done;
    }
    pol__parallel_for(run, (size_t)c.h, 16, split_rows, &c);
    pol__parallel_for(run, (size_t)c.h, 16, guide_rows, &c);
    pol__parallel_for(run, (size_t)c.h, 8, luma_rows, &c);
    if (colour) {
        pol__parallel_for(run, (size_t)c.chh, 8, half_rows, &c);
        pol__parallel_for(run, (size_t)c.chh, 8, chroma_rows, &c);
    }
    pol__parallel_for(run, (size_t)c.h, 16, residual_rows, &c);
    pol__parallel_for(run, (size_t)c.h, 8, restore_rows, &c);
    {
        float *t = c.yo;
        c.yo = c.yo2;
        c.yo2 = t;
    }
    pol__parallel_for(run, (size_t)c.h, 16, merge_rows, &c);
    pol__measure(run, "sigma_used", sigma);
    pol__decide(run, "edge-preserving smoothing for noise sigma %.1f levels (strength %.2f)", sigma,
                strength);
done:
    free(c.y);
    free(c.gy);
    free(c.yo);
    free(c.yo2);
    free(c.cb);
    free(c.cr);
    free(c.cbo);
    free(c.cro);
    free(c.hy);
    return st;
}

const pol_op_desc pol__image_op_denoise = {
    .domain = "image",
    .name = "denoise",
    .summary = "Reduce noise, edge-preserving; strength from the estimated noise sigma (declines on clean photos)",
    .params = params,
    .n_params = POL_ARRAY_LEN(params),
    .run = run,
    .flags = POL_OP_AUTO,
};
