/* polish — image.denoise: edge-preserving noise reduction on luminance and chroma, strength from the estimated noise. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "image/image_io.h"
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
 * fooled by the noise; then the texture it mistook for noise comes back (a Wiener share of the
 * removed residual, where that residual is locally stronger than the noise). Chroma: colour noise
 * is coarse and the eye forgives soft colour edges, so it is filtered at half resolution with a
 * wider reach, guided by luma so colour does not bleed across edges.
 *
 * The planes are padded (mirrored) so the inner loops run over whole rows without bounds checks,
 * one neighbour offset at a time: that shape vectorises.
 */

#define PAD 4

typedef struct plane {
    int w, h, stride; /* stride = w + 2 PAD */
    float *buf;       /* (h + 2 PAD) * stride */
} plane;

static inline float *prow(const plane *p, int y) { return p->buf + (size_t)(y + PAD) * p->stride + PAD; }

static int plane_new(plane *p, int w, int h)
{
    p->w = w;
    p->h = h;
    p->stride = w + 2 * PAD;
    p->buf = malloc(sizeof(float) * (size_t)p->stride * (size_t)(h + 2 * PAD));
    return p->buf != NULL;
}

/* Mirrors the border (without repeating the edge) into the padding; needs w, h > PAD. */
static void plane_pad(plane *p)
{
    for (int y = 0; y < p->h; y++) {
        float *r = prow(p, y);
        for (int k = 1; k <= PAD; k++) {
            r[-k] = r[k < p->w ? k : p->w - 1];
            r[p->w - 1 + k] = r[p->w - 1 - k >= 0 ? p->w - 1 - k : 0];
        }
    }
    for (int k = 1; k <= PAD; k++) {
        int a = k < p->h ? k : p->h - 1, b = p->h - 1 - k >= 0 ? p->h - 1 - k : 0;
        memcpy(prow(p, -k) - PAD, prow(p, a) - PAD, sizeof(float) * p->stride);
        memcpy(prow(p, p->h - 1 + k) - PAD, prow(p, b) - PAD, sizeof(float) * p->stride);
    }
}

typedef struct dn_ctx {
    int w, h, ch;
    int par; /* the half-resolution grid pairs rows par + 2k, par + 2k + 1 (a strip starting on an
                odd row of the picture skips its first row, so the pairs are the picture's) */
    pol__image *im;
    plane y, gy, yo, r2;  /* luma, its 3x3 guide, filtered luma, squared residual (row sums) */
    plane cb, cr, hy;     /* half-resolution chroma and luma guide */
    float *cbo, *cro;     /* filtered half-resolution chroma */
    int cw, chh;
    int ry, rc;           /* radii */
    float inv_y, inv_g, inv_c; /* 1/(range sigma)^2: luma guide, chroma guide, chroma */
    float sws[PAD + 1][PAD + 1], swc[PAD + 1][PAD + 1];
    float nres2;  /* variance of the chroma residual's noise */
    float nres_y; /* variance of the luma noise */
} dn_ctx;

/* Range weight for t = d^2 / sigma^2: (1 - t/16)^8, within a few percent of exp(-t/2) where it
 * matters and exactly 0 beyond 4 sigma; branch-free, so it vectorises. */
static inline float range_w(float t)
{
    float a = 1 - t * (1.0f / 16);
    a = (a + fabsf(a)) * 0.5f; /* max(a, 0) without a branch */
    a *= a;
    a *= a;
    return a * a;
}

static void split_rows(void *user, size_t begin, size_t end)
{
    dn_ctx *c = user;
    for (size_t y = begin; y < end; y++) {
        const float *p = pol__image_row(c->im, (int)y);
        float *o = prow(&c->y, (int)y);
        for (int x = 0; x < c->w; x++, p += c->ch)
            o[x] = c->ch >= 3 ? 0.299f * p[0] + 0.587f * p[1] + 0.114f * p[2] : p[0];
    }
}

static void guide_rows(void *user, size_t begin, size_t end)
{
    dn_ctx *c = user;
    for (size_t yy = begin; yy < end; yy++) {
        int y = (int)yy;
        const float *a = prow(&c->y, y - 1), *m = prow(&c->y, y), *b = prow(&c->y, y + 1);
        float *o = prow(&c->gy, y);
        for (int x = 0; x < c->w; x++)
            o[x] = (a[x - 1] + a[x] + a[x + 1] + m[x - 1] + m[x] + m[x + 1] + b[x - 1] + b[x] +
                    b[x + 1]) *
                   (1.0f / 9);
    }
}

static void luma_rows(void *user, size_t begin, size_t end)
{
    dn_ctx *c = user;
    int w = c->w, r = c->ry;
    float *sw = malloc(sizeof(float) * (size_t)w * 2), *sv = sw ? sw + w : NULL;
    for (size_t yy = begin; yy < end; yy++) {
        int y = (int)yy;
        float *out = prow(&c->yo, y);
        if (!sw) { /* out of memory for one row: leave the row as it was */
            memcpy(out, prow(&c->y, y), sizeof(float) * w);
            continue;
        }
        const float *g0 = prow(&c->gy, y);
        memset(sw, 0, sizeof(float) * (size_t)w * 2);
        for (int dy = -r; dy <= r; dy++) {
            const float *gq = prow(&c->gy, y + dy), *vq = prow(&c->y, y + dy);
            for (int dx = -r; dx <= r; dx++) {
                float ws = c->sws[dy < 0 ? -dy : dy][dx < 0 ? -dx : dx], inv = c->inv_y;
                const float *g = gq + dx, *v = vq + dx;
                for (int x = 0; x < w; x++) {
                    float d = g[x] - g0[x];
                    float wt = ws * range_w(d * d * inv);
                    sw[x] += wt;
                    sv[x] += wt * v[x];
                }
            }
        }
        for (int x = 0; x < w; x++) out[x] = sv[x] / sw[x];
    }
    free(sw);
}

/* Squared residual, summed over 5 columns (the rows are summed in restore_rows). */
static void residual_rows(void *user, size_t begin, size_t end)
{
    dn_ctx *c = user;
    int w = c->w;
    float *tmp = malloc(sizeof(float) * (size_t)(w + 4));
    for (size_t yy = begin; yy < end; yy++) {
        int y = (int)yy;
        const float *a = prow(&c->y, y), *b = prow(&c->yo, y);
        float *o = prow(&c->r2, y);
        if (!tmp) {
            for (int x = 0; x < w; x++) o[x] = 0;
            continue;
        }
        for (int x = -2; x < w + 2; x++) {
            int xx = x < 0 ? -x : x >= w ? 2 * w - 2 - x : x;
            float d = a[xx] - b[xx];
            tmp[x + 2] = d * d;
        }
        for (int x = 0; x < w; x++) o[x] = tmp[x] + tmp[x + 1] + tmp[x + 2] + tmp[x + 3] + tmp[x + 4];
    }
    free(tmp);
}

static void restore_rows(void *user, size_t begin, size_t end)
{
    dn_ctx *c = user;
    int w = c->w;
    for (size_t yy = begin; yy < end; yy++) {
        int y = (int)yy;
        const float *r0 = prow(&c->r2, y - 2), *r1 = prow(&c->r2, y - 1), *r2 = prow(&c->r2, y),
                    *r3 = prow(&c->r2, y + 1), *r4 = prow(&c->r2, y + 2);
        const float *a = prow(&c->y, y);
        float *o = prow(&c->yo, y);
        for (int x = 0; x < w; x++) {
            float e = (r0[x] + r1[x] + r2[x] + r3[x] + r4[x]) * (1.0f / 25);
            float keep = e > c->nres_y ? 1 - c->nres_y / e : 0;
            o[x] += keep * (a[x] - o[x]);
        }
    }
}

/* Half-resolution chroma (2x2 means) and luma guide. */
static void half_rows(void *user, size_t begin, size_t end)
{
    dn_ctx *c = user;
    int ch = c->ch;
    for (size_t hy = begin; hy < end; hy++) {
        float *ob = prow(&c->cb, (int)hy), *orr = prow(&c->cr, (int)hy), *og = prow(&c->hy, (int)hy);
        for (int hx = 0; hx < c->cw; hx++) {
            float sb = 0, sr = 0, sy = 0;
            int n = 0;
            for (int dy = 0; dy < 2; dy++) {
                int y = c->par + (int)hy * 2 + dy;
                if (y >= c->h) continue;
                const float *yr = prow(&c->y, y), *gr = prow(&c->gy, y);
                for (int dx = 0; dx < 2; dx++) {
                    int x = hx * 2 + dx;
                    if (x >= c->w) continue;
                    const float *p = pol__image_row(c->im, y) + (size_t)x * ch;
                    sb += p[2] - yr[x];
                    sr += p[0] - yr[x];
                    sy += gr[x];
                    n++;
                }
            }
            ob[hx] = sb / n;
            orr[hx] = sr / n;
            og[hx] = sy / n;
        }
    }
}

static void chroma_rows(void *user, size_t begin, size_t end)
{
    dn_ctx *c = user;
    int w = c->cw, r = c->rc;
    float *sw = malloc(sizeof(float) * (size_t)w * 3), *sb = sw ? sw + w : NULL,
          *sr = sw ? sw + 2 * w : NULL;
    for (size_t yy = begin; yy < end; yy++) {
        int y = (int)yy;
        float *ob = c->cbo + (size_t)y * w, *orr = c->cro + (size_t)y * w;
        const float *g0 = prow(&c->hy, y), *b0 = prow(&c->cb, y), *r0 = prow(&c->cr, y);
        if (!sw) {
            memcpy(ob, b0, sizeof(float) * w);
            memcpy(orr, r0, sizeof(float) * w);
            continue;
        }
        memset(sw, 0, sizeof(float) * (size_t)w * 3);
        for (int dy = -r; dy <= r; dy++) {
            const float *gq = prow(&c->hy, y + dy), *bq = prow(&c->cb, y + dy),
                        *rq = prow(&c->cr, y + dy);
            for (int dx = -r; dx <= r; dx++) {
                float ws = c->swc[dy < 0 ? -dy : dy][dx < 0 ? -dx : dx];
                float ig = c->inv_g, ic = c->inv_c;
                const float *g = gq + dx, *b = bq + dx, *rr = rq + dx;
                for (int x = 0; x < w; x++) {
                    float dg = g[x] - g0[x], db = b[x] - b0[x], dr = rr[x] - r0[x];
                    float wt = ws * range_w(dg * dg * ig + (db * db + dr * dr) * ic);
                    sw[x] += wt;
                    sb[x] += wt * b[x];
                    sr[x] += wt * rr[x];
                }
            }
        }
        for (int x = 0; x < w; x++) {
            ob[x] = sb[x] / sw[x];
            orr[x] = sr[x] / sw[x];
        }
    }
    free(sw);
}

/* Recombine: filtered luma, plus chroma from the filtered half-resolution planes (upsampled
 * bilinearly) and the full-resolution chroma detail that stands out from the noise (a Wiener-like
 * shrink of the residual), so sharp colour edges keep most of their detail. */
static void merge_rows(void *user, size_t begin, size_t end)
{
    dn_ctx *c = user;
    int ch = c->ch, w = c->w;
    /* Horizontal interpolation positions are the same for every row. */
    int *xa = malloc(sizeof(int) * (size_t)w * 2), *xb = xa ? xa + w : NULL;
    float *buf = malloc(sizeof(float) * (size_t)w * 5);
    float *tx = buf, *ucb = buf ? buf + w : NULL, *ucr = buf ? buf + 2 * w : NULL,
          *ocb = buf ? buf + 3 * w : NULL, *ocr = buf ? buf + 4 * w : NULL;
    int ok = xa && buf;
    if (ok)
        for (int x = 0; x < w; x++) {
            float fx = (x + 0.5f) / 2 - 0.5f;
            int x0 = (int)floorf(fx);
            tx[x] = fx - x0;
            xa[x] = x0 < 0 ? 0 : x0 >= c->cw ? c->cw - 1 : x0;
            xb[x] = x0 + 1 >= c->cw ? c->cw - 1 : x0 + 1;
        }
    for (size_t yy = begin; yy < end; yy++) {
        int y = (int)yy;
        float *p = pol__image_row(c->im, y);
        const float *yo = prow(&c->yo, y), *yi = prow(&c->y, y);
        if (ch < 3 || !ok) {
            /* Grey, or no memory for the chroma rows: luma only (chroma left as it was). */
            for (int x = 0; x < w; x++, p += ch) {
                if (ch < 3) {
                    p[0] = pol__clampf(yo[x], 0, 1);
                } else {
                    float d = yo[x] - yi[x];
                    for (int k = 0; k < 3; k++) p[k] = pol__clampf(p[k] + d, 0, 1);
                }
            }
            continue;
        }
        float fy = (y - c->par + 0.5f) / 2 - 0.5f;
        int y0 = (int)floorf(fy);
        float ty = fy - y0;
        int ya = y0 < 0 ? 0 : y0 >= c->chh ? c->chh - 1 : y0, yb = y0 + 1 >= c->chh ? c->chh - 1 : y0 + 1;
        const float *rows[8] = {c->cbo + (size_t)ya * c->cw, c->cbo + (size_t)yb * c->cw,
                                c->cro + (size_t)ya * c->cw, c->cro + (size_t)yb * c->cw,
                                prow(&c->cb, ya), prow(&c->cb, yb), prow(&c->cr, ya),
                                prow(&c->cr, yb)};
        float *dst[4] = {ucb, ucr, ocb, ocr};
        for (int k = 0; k < 4; k++) {
            const float *A = rows[2 * k], *B = rows[2 * k + 1];
            float *d = dst[k];
            for (int x = 0; x < w; x++) {
                float a = A[xa[x]] + tx[x] * (A[xb[x]] - A[xa[x]]);
                float b = B[xa[x]] + tx[x] * (B[xb[x]] - B[xa[x]]);
                d[x] = a + ty * (b - a);
            }
        }
        float n2 = c->nres2;
        for (int x = 0; x < w; x++, p += ch) {
            float Y = yo[x], Y0 = yi[x];
            float rb = p[2] - Y0 - ocb[x], rr = p[0] - Y0 - ocr[x];
            float cb = ucb[x] + rb * (rb * rb / (rb * rb + n2));
            float cr = ucr[x] + rr * (rr * rr / (rr * rr + n2));
            float R = Y + cr, B = Y + cb, G = (Y - 0.299f * R - 0.114f * B) * (1 / 0.587f);
            p[0] = pol__clampf(R, 0, 1);
            p[1] = pol__clampf(G, 0, 1);
            p[2] = pol__clampf(B, 0, 1);
        }
    }
    free(xa);
    free(buf);
}

/* pol__parallel_for over rows [a, b) only. */
typedef struct range_job {
    void (*fn)(void *user, size_t begin, size_t end);
    void *user;
    size_t off;
} range_job;

static void range_rows(void *user, size_t begin, size_t end)
{
    const range_job *j = user;
    j->fn(j->user, begin + j->off, end + j->off);
}

static void range_for(const pol_run *run, size_t a, size_t b, size_t grain,
                      void (*fn)(void *user, size_t begin, size_t end), void *user)
{
    if (b <= a) return;
    range_job j = {fn, user, a};
    pol__parallel_for(run, b - a, grain, range_rows, &j);
}

/* What denoise does, decided once: the noise it removes and how strongly. */
typedef struct dn_plan {
    double sigma; /* 8-bit levels, per channel */
    double strength, chroma;
} dn_plan;

/* Decides on `im` (the picture, or a streamed item's preview with its full-resolution noise
 * measure): 1 with the plan when denoise applies, 0 when it declined (recorded). */
static int decide(pol_run *run, pol__image *im, const pol_args *args, dn_plan *p)
{
    double sigma; /* in 8-bit levels, per channel */
    double strength_scale = 1;
    if (pol__arg_has(args, "sigma")) {
        sigma = pol__arg_num(args, "sigma");
    } else {
        if (pol__image_graphic_declines(run, im)) return 0;
        double conf, texture;
        sigma = pol__noise_sigma2(run, im, &conf, &texture) * 255;
        pol__measure(run, "noise_sigma", sigma);
        pol__measure(run, "texture_ratio", texture);
        /* Texture is not noise: what the flattest blocks show must be white (halving at half
         * resolution, ratio near 1); above 1.5 it is fur, grass or gravel, and nothing is done. */
        double white = isnan(texture) ? 0 : (1.5 - texture) / 0.3;
        white = white < 0 ? 0 : white > 1 ? 1 : white;
        conf *= white;
        pol__confidence(run, conf);
        if (sigma >= pol__arg_num(args, "min-sigma") && white <= 0) {
            pol__decline(run, "what the flattest areas show (%.1f levels) is texture, not noise: "
                              "it keeps %.0f%% of its strength at half resolution where noise "
                              "keeps 50%%",
                         sigma, 50 * texture);
            return 0;
        }
        strength_scale = white;
        double mins = pol__arg_num(args, "min-sigma");
        if (sigma < mins) {
            pol__decline(run, "noise sigma %.2f levels is below %.2f: nothing worth removing",
                         sigma, mins);
            return 0;
        }
    }
    p->sigma = sigma;
    p->strength = pol__arg_num(args, "strength") * strength_scale;
    p->chroma = pol__arg_num(args, "chroma");
    if (sigma <= 0 || p->strength <= 0) {
        pol__decline(run, "zero strength");
        return 0;
    }
    if ((im->width + 1) / 2 <= PAD || (im->height + 1) / 2 <= PAD) {
        pol__decline(run, "image too small to denoise (%dx%d)", im->width, im->height);
        return 0;
    }
    return 1;
}

static void report(pol_run *run, const dn_plan *p)
{
    pol__measure(run, "sigma_used", p->sigma);
    pol__decide(run, "edge-preserving smoothing for noise sigma %.1f levels (strength %.2f)",
                p->sigma, p->strength);
}

/* Rows before a from a plane's start, and rows from b to its end, zeroed: a stage made only the
 * rows the output needs, and the mirrored padding must not copy undefined values. */
static void plane_clear_outside(plane *p, int a, int b)
{
    for (int y = 0; y < p->h; y++)
        if (y < a || y >= b) memset(prow(p, y), 0, sizeof(float) * (size_t)p->w);
}

/* Denoises rows [a, b) of `im` as the whole picture's rows a0 + [a, b) come out, where `im` holds
 * rows [a0, a0 + im->height) of a picture `height` rows high: rows at the picture's top and
 * bottom are mirrored as on the whole picture, and rows [a, b) lie at least DN_HALO rows inside
 * `im` where it does not end with the picture. The other rows are left as they were (the
 * expensive stages make only what rows [a, b) need). */
static pol_status denoise_rows(pol_run *run, pol__image *im, const dn_plan *p, int a0, int a,
                               int b)
{
    double sigma = p->sigma, strength = p->strength, chroma = p->chroma;
    dn_ctx c;
    memset(&c, 0, sizeof c);
    c.im = im;
    c.w = im->width;
    c.h = im->height;
    c.ch = im->channels;
    c.par = a0 & 1;
    c.cw = (c.w + 1) / 2;
    c.chh = (c.h - c.par + 1) / 2;
    /* Luma noise of independent per-channel noise is 0.67 sigma; the 3x3 guide divides it by 3.
     * The range sigma spans the guide's noise comfortably while staying below real edges. */
    double sy = sigma / 255 * (c.ch >= 3 ? 0.668 : 1.0);
    double sry = sy * strength + 1e-4;
    double src = sigma / 255 * 1.6 * chroma * strength + 1e-4;
    c.inv_y = (float)(1 / (sry * sry));
    c.inv_g = c.inv_y;
    c.inv_c = (float)(1 / (src * src));
    /* Wiener share of the residual: keep 1 - sigma^2 / E[r^2] of it where it is locally larger
     * than the noise, none where it is noise alone. */
    c.nres_y = (float)(sy * sy * strength * strength + 1e-12);
    /* Chroma noise of B-Y, R-Y is ~1.1 sigma; its within-2x2 part carries 3/4 of the variance.
     * Shrinking against twice that keeps only residuals well above the noise. */
    double sc1 = sigma / 255 * 1.1 * chroma * strength;
    c.nres2 = (float)(4 * 0.75 * sc1 * sc1 + 1e-12);
    c.ry = sigma > 12 ? 3 : 2;
    c.rc = 2;
    double ss = c.ry * 0.5 * (strength < 1 ? strength : 1) + 0.3, sc = 1.6;
    for (int i = 0; i <= PAD; i++)
        for (int j = 0; j <= PAD; j++) {
            c.sws[i][j] = (float)exp(-(i * i + j * j) / (2 * ss * ss));
            c.swc[i][j] = (float)exp(-(i * i + j * j) / (2 * sc * sc));
        }
    int colour = c.ch >= 3;
    int ok = plane_new(&c.y, c.w, c.h) && plane_new(&c.gy, c.w, c.h) &&
             plane_new(&c.yo, c.w, c.h) && plane_new(&c.r2, c.w, c.h);
    if (ok && colour) {
        size_t nh = (size_t)c.cw * c.chh;
        ok = plane_new(&c.cb, c.cw, c.chh) && plane_new(&c.cr, c.cw, c.chh) &&
             plane_new(&c.hy, c.cw, c.chh) && (c.cbo = malloc(nh * sizeof(float))) != NULL &&
             (c.cro = malloc(nh * sizeof(float))) != NULL;
    }
    pol_status st = POL_OK;
    if (!ok) {
        st = pol__fail(run, POL_ERR_NOMEM, "out of memory denoising a %dx%d image", c.w, c.h);
        goto done;
    }
    /* the filtered luma rows the restore step reads (2 rows each side), and the half-resolution
     * chroma rows the merge interpolates (one each side of the rows' centres) */
    int la = a - 2 > 0 ? a - 2 : 0, lb = b + 2 < c.h ? b + 2 : c.h;
    int ca = (a - c.par) / 2 - 2, cb = (b - c.par) / 2 + 2;
    ca = ca > 0 ? ca : 0, cb = cb < c.chh ? cb : c.chh;
    pol__parallel_for(run, (size_t)c.h, 16, split_rows, &c);
    plane_pad(&c.y);
    pol__parallel_for(run, (size_t)c.h, 16, guide_rows, &c);
    plane_pad(&c.gy);
    range_for(run, (size_t)la, (size_t)lb, 8, luma_rows, &c);
    if (colour) {
        pol__parallel_for(run, (size_t)c.chh, 8, half_rows, &c);
        plane_pad(&c.cb);
        plane_pad(&c.cr);
        plane_pad(&c.hy);
        range_for(run, (size_t)ca, (size_t)cb, 8, chroma_rows, &c);
    }
    range_for(run, (size_t)la, (size_t)lb, 16, residual_rows, &c);
    plane_clear_outside(&c.r2, la, lb);
    plane_pad(&c.r2);
    range_for(run, (size_t)a, (size_t)b, 16, restore_rows, &c);
    range_for(run, (size_t)a, (size_t)b, 16, merge_rows, &c);
done:
    free(c.y.buf);
    free(c.gy.buf);
    free(c.yo.buf);
    free(c.r2.buf);
    free(c.cb.buf);
    free(c.cr.buf);
    free(c.hy.buf);
    free(c.cbo);
    free(c.cro);
    return st;
}

static pol_status run(pol_run *run, pol_asset *asset, const pol_args *args)
{
    pol__image *im = pol__image_of(asset);
    dn_plan p;
    if (!decide(run, im, args, &p)) return POL_OK;
    pol_status st = denoise_rows(run, im, &p, 0, 0, im->height);
    if (!st) report(run, &p);
    return st;
}

/* ---- strip by strip ------------------------------------------------------------------------- */

/* Rows of context a strip needs each side: the restore step reads filtered luma 2 rows away,
 * which reads the guide 3 rows away (the 7x7 luma window), which reads luma 1 row away: 6; the
 * merge interpolates half-resolution chroma rows filtered over 2 half rows (5 rows) after a
 * 2x2 reduction: 8; one more for a strip that starts on an odd row (its first row is not
 * paired). Even, so strips of the reader's 32 rows start on even rows. */
#define DN_HALO 10

typedef struct dn_stream {
    const pol_args *args;
    int judged, on;
    dn_plan plan;
} dn_stream;

static pol_status dn_rows(pol_run *run, const void *self, pol__image *rows, int y0, int a, int b)
{
    return denoise_rows(run, rows, self, y0, a, b);
}

static pol_status dn_begin(pol_run *run, const pol_args *args, void **state)
{
    dn_stream *s = calloc(1, sizeof *s);
    if (!s) return pol__fail(run, POL_ERR_NOMEM, "out of memory");
    s->args = args;
    *state = s;
    return POL_OK;
}

/* Decided with the first strip on the item's preview (its noise measured at full resolution on
 * the picture as the steps before leave it), then every strip filtered with its halo. */
static pol_status dn_apply(pol_run *run, void *state, pol__chunk *c)
{
    dn_stream *s = state;
    if (s->judged) return s->on ? pol__strip_filter(run, c, DN_HALO, dn_rows, &s->plan) : POL_OK;
    s->judged = 1;
    const pol__strip *sp = pol__strip_of(c);
    pol_status st;
    if (pol__arg_has(s->args, "sigma")) { /* a given sigma: nothing to judge but the size */
        pol__image size = {.width = sp->width, .height = sp->height, .channels = sp->channels};
        if (!decide(run, &size, s->args, &s->plan)) return POL_OK;
        s->on = 1;
        if ((st = pol__strip_filter(run, c, DN_HALO, dn_rows, &s->plan))) return st;
        report(run, &s->plan);
        return POL_OK; /* the preview does not follow: a step judging it sends the item whole */
    }
    pol__image *pv;
    if ((st = pol__strip_preview(run, c, POL__FULL_RES_NOISE, &pv))) return st;
    if (!decide(run, pv, s->args, &s->plan)) return POL_OK;
    s->on = 1;
    /* the steps after it judge the preview as denoised when it is the picture itself; a reduced
     * preview (2x or more) keeps little of the noise and is left as it is */
    if (pv->width == sp->width && pv->height == sp->height &&
        (st = denoise_rows(run, pv, &s->plan, 0, 0, pv->height)))
        return st;
    if ((st = pol__strip_filter(run, c, DN_HALO, dn_rows, &s->plan))) return st;
    report(run, &s->plan);
    dn_plan *rec = malloc(sizeof *rec);
    if (!rec) return pol__fail(run, POL_ERR_NOMEM, "out of memory");
    *rec = s->plan;
    return pol__strip_filter_record(run, c, DN_HALO, dn_rows, rec);
}

static const pol_op_stream denoise_stream = {
    .halo = DN_HALO, .begin = dn_begin, .apply = dn_apply, .free = free};

const pol_op_desc pol__image_op_denoise = {
    .domain = "image",
    .name = "denoise",
    .summary = "Reduce noise, edge-preserving; strength from the estimated noise sigma (declines on clean photos)",
    .params = params,
    .n_params = POL_ARRAY_LEN(params),
    .stream = &denoise_stream,
    .run = run,
    .flags = POL_OP_AUTO,
};
