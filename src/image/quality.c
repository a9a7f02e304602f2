/* polish — estimators behind analysis and automatic correction: light colour, tone, noise, sharpness. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "image/quality.h"

/* ---- working copy --------------------------------------------------------------------------- */

typedef struct small_ctx {
    const pol__image *im;
    pol__qsmall *s;
} small_ctx;

static void small_rows(void *user, size_t begin, size_t end)
{
    small_ctx *c = user;
    const pol__image *im = c->im;
    pol__qsmall *s = c->s;
    int f = s->factor, ch = im->channels, alpha = ch == 2 || ch == 4;
    for (size_t sy = begin; sy < end; sy++) {
        float *out = s->rgb + sy * (size_t)s->w * 3;
        memset(out, 0, sizeof(float) * 3 * (size_t)s->w);
        float *wsum = s->y + sy * (size_t)s->w; /* alpha sums, until the end of the row */
        memset(wsum, 0, sizeof(float) * (size_t)s->w);
        for (int dy = 0; dy < f; dy++) {
            const float *row = pol__image_row(im, (int)sy * f + dy);
            for (int sx = 0; sx < s->w; sx++) {
                const float *p = row + (size_t)sx * f * ch;
                float acc[3] = {0, 0, 0}, wa = 0;
                for (int dx = 0; dx < f; dx++, p += ch) {
                    float rgb[3], a = alpha ? pol__clampf(p[ch - 1], 0, 1) : 1.0f;
                    if (a <= 0) continue;
                    pol__px_rgb(p, ch, rgb);
                    for (int k = 0; k < 3; k++) acc[k] += a * pol__to_linear_fast(rgb[k]);
                    wa += a;
                }
                for (int k = 0; k < 3; k++) out[sx * 3 + k] += acc[k];
                wsum[sx] += wa;
            }
        }
        float full = (float)(f * f);
        for (int sx = 0; sx < s->w; sx++) {
            float *o = out + sx * 3, wa = wsum[sx];
            size_t i = sy * (size_t)s->w + sx;
            s->use[i] = wa >= 0.5f * full;
            for (int k = 0; k < 3; k++) o[k] = wa > 0 ? pol__clampf(o[k] / wa, 0, 1) : 0;
            s->y[i] = pol__luma(o);
        }
    }
}

pol_status pol__qsmall_make(const pol_run *run, const pol__image *im, int max_dim, pol__qsmall *out)
{
    memset(out, 0, sizeof *out);
    pol__colour_init();
    int longer = im->width > im->height ? im->width : im->height;
    /* The box is counted in the picture's own pixels and made a multiple of its streamed
     * preview's reduction (pol__preview_factor), so the whole picture and that preview (already
     * reduced by it) average the same blocks of pixels: the steps judging either see the same
     * samples, up to the preview's rounding, and decide alike near their thresholds. */
    int pre = im->measured && im->measured->factor > 1 ? im->measured->factor : 1;
    int unit = pre > 1 ? pre : pol__preview_factor(im->width, im->height);
    int whole = longer * pre, per = unit * max_dim;
    int f = unit * ((whole + per - 1) / per) / pre;
    if (f < 1) f = 1;
    out->factor = f;
    out->w = im->width / f;
    out->h = im->height / f;
    if (out->w < 1 || out->h < 1) {
        out->factor = f = 1;
        out->w = im->width;
        out->h = im->height;
    }
    size_t n = (size_t)out->w * (size_t)out->h;
    out->rgb = malloc(n * 3 * sizeof(float));
    out->y = malloc(n * sizeof(float));
    out->use = malloc(n);
    if (!out->rgb || !out->y || !out->use) {
        pol__qsmall_free(out);
        return POL_ERR_NOMEM;
    }
    small_ctx c = {im, out};
    pol__parallel_for(run, (size_t)out->h, 8, small_rows, &c);
    for (size_t i = 0; i < n; i++) out->n_use += out->use[i];
    out->transparent = n ? 1.0 - (double)out->n_use / (double)n : 0;
    return POL_OK;
}

void pol__qsmall_free(pol__qsmall *s)
{
    free(s->rgb);
    free(s->y);
    free(s->use);
    s->rgb = s->y = NULL;
    s->use = NULL;
}

/* A backdrop pixel: near white (every channel above 0.80 linear, about 0.91 encoded) or near black
 * (below 0.004 linear), nearly neutral, and flat against its right and lower neighbours. */
static int backdrop_px(const pol__qsmall *s, int x, int y, int white)
{
    size_t i = (size_t)y * s->w + x;
    if (!s->use[i]) return 0;
    const float *p = s->rgb + i * 3;
    float mx = p[0] > p[1] ? p[0] : p[1], mn = p[0] < p[1] ? p[0] : p[1];
    mx = mx > p[2] ? mx : p[2];
    mn = mn < p[2] ? mn : p[2];
    if (white ? !(mn > 0.80f && mx - mn < 0.15f * mx) : !(mx < 0.004f)) return 0;
    float tol = white ? 0.03f : 0.002f;
    for (int k = 0; k < 2; k++) {
        int nx = x + (k == 0), ny = y + (k == 1);
        if (nx >= s->w || ny >= s->h) continue;
        const float *q = s->rgb + ((size_t)ny * s->w + nx) * 3;
        for (int c = 0; c < 3; c++)
            if (fabsf(q[c] - p[c]) > tol) return 0;
    }
    return 1;
}

/* Marks (in `mark`, zeroed) the backdrop pixels connected to the border; returns their count. */
static long flood_backdrop(const pol__qsmall *s, int white, unsigned char *mark, int *stack)
{
    long cnt = 0;
    size_t sp = 0;
    for (int y = 0; y < s->h; y++)
        for (int x = 0; x < s->w; x++) {
            if (y != 0 && y != s->h - 1 && x != 0 && x != s->w - 1) continue;
            size_t i = (size_t)y * s->w + x;
            if (!mark[i] && backdrop_px(s, x, y, white)) mark[i] = 1, stack[sp++] = (int)i;
        }
    static const int dx[4] = {1, -1, 0, 0}, dy[4] = {0, 0, 1, -1};
    while (sp) {
        int i = stack[--sp], x = i % s->w, y = i / s->w;
        cnt++;
        for (int k = 0; k < 4; k++) {
            int nx = x + dx[k], ny = y + dy[k];
            if (nx < 0 || ny < 0 || nx >= s->w || ny >= s->h) continue;
            size_t j = (size_t)ny * s->w + nx;
            if (!mark[j] && backdrop_px(s, nx, ny, white)) mark[j] = 1, stack[sp++] = (int)j;
        }
    }
    return cnt;
}

double pol__qsmall_mask_backdrop(pol__qsmall *s, double min_share)
{
    s->backdrop = 0;
    size_t n = (size_t)s->w * s->h;
    if (s->w < 8 || s->h < 8 || s->n_use < 64) return 0;
    unsigned char *mark = calloc(n, 1);
    int *stack = malloc(sizeof(int) * n);
    double best = 0;
    int best_white = -1;
    for (int white = 1; white >= 0 && mark && stack; white--) {
        memset(mark, 0, n);
        double share = (double)flood_backdrop(s, white, mark, stack) / (double)s->n_use;
        /* a backdrop leaves a subject: at least a tenth of the picture */
        if (share >= min_share && share <= 0.9 && share > best) {
            best = share;
            best_white = white;
        }
    }
    if (best_white >= 0) {
        memset(mark, 0, n);
        flood_backdrop(s, best_white, mark, stack);
        for (size_t i = 0; i < n; i++)
            if (mark[i] && s->use[i]) {
                s->use[i] = 0;
                s->n_use--;
            }
        s->backdrop = best;
    }
    free(mark);
    free(stack);
    return s->backdrop;
}

/* ---- the illuminant locus ------------------------------------------------------------------- */

/* Chromaticity of a light of temperature T: Planckian (Kim et al. cubic fit) below 4000 K, the
 * CIE daylight locus above, blended across 3500..4500 K so the curve has no step. */
static void planck_xy(double T, double *x, double *y)
{
    double t = 1e3 / T, t2 = t * t, t3 = t2 * t;
    double px = T < 4000 ? -0.2661239 * t3 - 0.2343589 * t2 + 0.8776956 * t + 0.179910
                         : -3.0258469 * t3 + 2.1070379 * t2 + 0.2226347 * t + 0.240390;
    double px2 = px * px, px3 = px2 * px, py;
    if (T < 2222)
        py = -1.1063814 * px3 - 1.34811020 * px2 + 2.18555832 * px - 0.20219683;
    else if (T < 4000)
        py = -0.9549476 * px3 - 1.37418593 * px2 + 2.09137015 * px - 0.16748867;
    else
        py = 3.0817580 * px3 - 5.87338670 * px2 + 3.75112997 * px - 0.37001483;
    *x = px;
    *y = py;
}

static void daylight_xy(double T, double *x, double *y)
{
    double t = 1e3 / T, t2 = t * t, t3 = t2 * t;
    double dx = T <= 7000 ? -4.6070 * t3 + 2.9678 * t2 + 0.09911 * t + 0.244063
                          : -2.0064 * t3 + 1.9018 * t2 + 0.24748 * t + 0.237040;
    *x = dx;
    *y = -3.000 * dx * dx + 2.870 * dx - 0.275;
}

static void locus_uv(double T, double *u, double *v)
{
    double x, y;
    if (T <= 3500) {
        planck_xy(T, &x, &y);
    } else if (T >= 4500) {
        daylight_xy(T, &x, &y);
    } else {
        double x1, y1, x2, y2, w = (T - 3500) / 1000;
        planck_xy(T, &x1, &y1);
        daylight_xy(T, &x2, &y2);
        x = x1 + w * (x2 - x1);
        y = y1 + w * (y2 - y1);
    }
    double X = x / y, Z = (1 - x - y) / y;
    double r = 3.2404542 * X - 1.5371385 - 0.4985314 * Z;
    double g = -0.9692660 * X + 1.8760108 + 0.0415560 * Z;
    double b = 0.0556434 * X - 0.2040259 + 1.0572252 * Z;
    /* The daylight fit passes within 1e-3 of D65; removing that offset makes D65 exactly (0,0). */
    *u = log(r / g) - 0.0021;
    *v = log(b / g) + 0.0004;
}

/* Tabulated in mired (uniform steps in 1/T are close to uniform in chromaticity). */
#define LOCUS_MIN_MIRED 50.0  /* 20000 K */
#define LOCUS_MAX_MIRED 560.0 /* ~1786 K */
#define LOCUS_STEP 2.0
#define LOCUS_N ((int)((LOCUS_MAX_MIRED - LOCUS_MIN_MIRED) / LOCUS_STEP) + 1)

static void locus_at(int i, double *u, double *v)
{
    locus_uv(1e6 / (LOCUS_MIN_MIRED + i * LOCUS_STEP), u, v);
}

/* Unit normal of the locus at index i, pointing to magenta (more R and B relative to G). */
static void locus_normal(int i, double *nu, double *nv)
{
    double u0, v0, u1, v1;
    int a = i > 0 ? i - 1 : i, b = i < LOCUS_N - 1 ? i + 1 : i;
    locus_at(a, &u0, &v0);
    locus_at(b, &u1, &v1);
    double tu = u1 - u0, tv = v1 - v0, len = hypot(tu, tv);
    tu /= len;
    tv /= len;
    /* Two normals; magenta is the one with a positive u + v component. */
    *nu = -tv;
    *nv = tu;
    if (*nu + *nv < 0) {
        *nu = -*nu;
        *nv = -*nv;
    }
}

void pol__light_uv(double temp_k, double tint, double *u, double *v)
{
    if (temp_k < 1e6 / LOCUS_MAX_MIRED) temp_k = 1e6 / LOCUS_MAX_MIRED;
    if (temp_k > 1e6 / LOCUS_MIN_MIRED) temp_k = 1e6 / LOCUS_MIN_MIRED;
    double lu, lv, nu, nv;
    locus_uv(temp_k, &lu, &lv);
    int i = (int)lround((1e6 / temp_k - LOCUS_MIN_MIRED) / LOCUS_STEP);
    locus_normal(i, &nu, &nv);
    *u = lu + tint * nu;
    *v = lv + tint * nv;
}

void pol__light_project(double u, double v, double *temp_k, double *tint)
{
    int best = 0;
    double bd = INFINITY;
    for (int i = 0; i < LOCUS_N; i++) {
        double lu, lv;
        locus_at(i, &lu, &lv);
        double d = (lu - u) * (lu - u) + (lv - v) * (lv - v);
        if (d < bd) {
            bd = d;
            best = i;
        }
    }
    /* Refine along the segment towards the nearer neighbour. */
    double mired = LOCUS_MIN_MIRED + best * LOCUS_STEP;
    double lu, lv, nu, nv;
    locus_at(best, &lu, &lv);
    int nb = best < LOCUS_N - 1 ? best + 1 : best - 1;
    double u2, v2;
    locus_at(nb, &u2, &v2);
    double su = u2 - lu, sv = v2 - lv, s2 = su * su + sv * sv;
    double t = s2 > 0 ? ((u - lu) * su + (v - lv) * sv) / s2 : 0;
    if (t < -1) t = -1;
    if (t > 1) t = 1;
    mired += t * (nb - best) * LOCUS_STEP;
    if (mired < LOCUS_MIN_MIRED) mired = LOCUS_MIN_MIRED;
    if (mired > LOCUS_MAX_MIRED) mired = LOCUS_MAX_MIRED;
    locus_normal(best, &nu, &nv);
    *temp_k = 1e6 / mired;
    *tint = (u - lu) * nu + (v - lv) * nv;
}

void pol__light_cast_ab(double u, double v, double *a, double *b)
{
    /* A mid-grey surface (Y = 0.18) lit by the light, relative to D65. */
    float rgb[3] = {(float)exp(u), 1.0f, (float)exp(v)}, lab[3];
    float y = pol__luma(rgb);
    for (int k = 0; k < 3; k++) rgb[k] *= 0.18f / y;
    pol__linear_rgb_to_lab(rgb, lab);
    *a = lab[1];
    *b = lab[2];
}

/* ---- light estimators ----------------------------------------------------------------------- */

/* Pixels the estimators trust: not clipped (the true colour is lost) and not near black (the
 * chromaticity is mostly noise). */
static int usable(const float *p) { return p[0] < 0.95f && p[1] < 0.95f && p[2] < 0.95f &&
                                           p[0] > 0.004f && p[1] > 0.004f && p[2] > 0.004f; }

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double median3(double a, double b, double c)
{
    double v[3] = {a, b, c};
    qsort(v, 3, sizeof v[0], cmp_double);
    return v[1];
}

int pol__wb_estimate(const pol__qsmall *s, pol__wb_guess *e)
{
    memset(e, 0, sizeof *e);
    e->temp_k = 6504;
    int w = s->w, h = s->h;
    if (w < 8 || h < 8) return 0;
    size_t n = (size_t)w * h;
    /* Gray-edge (van de Weijer et al. 2007): the mean of colour derivatives is achromatic under a
     * white light. Derivatives of a lightly blurred copy, Minkowski norms p = 2 and p = 6. */
    float *b = malloc(n * 3 * sizeof(float));
    unsigned char *ok = malloc(n);
    if (!b || !ok) {
        free(b);
        free(ok);
        return 0;
    }
    for (int y = 0; y < h; y++) {
        for (int x = 0; x < w; x++) {
            int x0 = x > 0 ? x - 1 : x, x1 = x < w - 1 ? x + 1 : x;
            int y0 = y > 0 ? y - 1 : y, y1 = y < h - 1 ? y + 1 : y;
            for (int k = 0; k < 3; k++) {
                const float *r0 = s->rgb + (size_t)y0 * w * 3, *r1 = s->rgb + (size_t)y * w * 3,
                            *r2 = s->rgb + (size_t)y1 * w * 3;
                float v = r0[x0 * 3 + k] + 2 * r0[x * 3 + k] + r0[x1 * 3 + k] +
                          2 * (r1[x0 * 3 + k] + 2 * r1[x * 3 + k] + r1[x1 * 3 + k]) +
                          r2[x0 * 3 + k] + 2 * r2[x * 3 + k] + r2[x1 * 3 + k];
                b[((size_t)y * w + x) * 3 + k] = v / 16;
            }
            ok[(size_t)y * w + x] = (unsigned char)(s->use[(size_t)y * w + x] &&
                                                    usable(s->rgb + ((size_t)y * w + x) * 3));
        }
    }
    double m2[3] = {0, 0, 0}, m6[3] = {0, 0, 0};
    long ne = 0;
    for (int y = 1; y < h - 1; y++) {
        for (int x = 1; x < w - 1; x++) {
            size_t i = (size_t)y * w + x;
            if (!ok[i] || !ok[i - 1] || !ok[i + 1] || !ok[i - w] || !ok[i + w]) continue;
            for (int k = 0; k < 3; k++) {
                const float *p = b + i * 3 + k;
                ptrdiff_t W = (ptrdiff_t)w * 3; /* signed: p[3 - W] must not wrap */
                double gx = (p[3 - W] + 2 * p[3] + p[3 + W]) - (p[-3 - W] + 2 * p[-3] + p[-3 + W]);
                double gy = (p[W - 3] + 2 * p[W] + p[W + 3]) - (p[-W - 3] + 2 * p[-W] + p[-W + 3]);
                double g2 = (gx * gx + gy * gy) / 64;
                m2[k] += g2;
                m6[k] += g2 * g2 * g2;
            }
            ne++;
        }
    }
    /* White patch: the brightest usable surfaces (top 1% by R+G+B) reflect the light's colour. */
    enum { NB = 4096 };
    long *hist = calloc(NB, sizeof(long));
    long nu = 0;
    double wp[3] = {0, 0, 0}, gw[3] = {0, 0, 0};
    if (hist) {
        for (size_t i = 0; i < n; i++) {
            if (!ok[i]) continue;
            const float *p = s->rgb + i * 3;
            int bin = (int)((p[0] + p[1] + p[2]) / 3 * (NB - 1));
            hist[bin < 0 ? 0 : bin >= NB ? NB - 1 : bin]++;
            for (int k = 0; k < 3; k++) gw[k] += p[k];
            nu++;
        }
        long want = nu / 100 + 1, acc = 0;
        int thr = NB - 1;
        while (thr > 0 && acc + hist[thr] < want) acc += hist[thr--];
        for (size_t i = 0; i < n; i++) {
            if (!ok[i]) continue;
            const float *p = s->rgb + i * 3;
            int bin = (int)((p[0] + p[1] + p[2]) / 3 * (NB - 1));
            if (bin >= thr)
                for (int k = 0; k < 3; k++) wp[k] += p[k];
        }
        free(hist);
    }
    free(b);
    free(ok);
    e->n_used = (long)nu;
    if (ne < 64 || nu < 64 || m2[1] <= 0 || m6[1] <= 0 || wp[1] <= 0) return 0;
    for (int k = 0; k < 3; k++) {
        m2[k] = sqrt(m2[k]);
        m6[k] = pow(m6[k], 1.0 / 6);
    }
    if (m2[0] <= 0 || m2[2] <= 0 || m6[0] <= 0 || m6[2] <= 0 || wp[0] <= 0 || wp[2] <= 0 ||
        gw[0] <= 0 || gw[1] <= 0 || gw[2] <= 0)
        return 0;
    const double *src[4] = {m2, m6, wp, gw};
    for (int j = 0; j < 4; j++) {
        e->est[j][0] = log(src[j][0] / src[j][1]);
        e->est[j][1] = log(src[j][2] / src[j][1]);
    }
    /* The median of three estimators that fail on different scenes. */
    e->raw_u = median3(e->est[0][0], e->est[1][0], e->est[2][0]);
    e->raw_v = median3(e->est[0][1], e->est[1][1], e->est[2][1]);
    for (int i = 0; i < 3; i++)
        for (int j = i + 1; j < 3; j++) {
            double d = hypot(e->est[i][0] - e->est[j][0], e->est[i][1] - e->est[j][1]);
            if (d > e->spread) e->spread = d;
        }
    pol__light_project(e->raw_u, e->raw_v, &e->temp_k, &e->tint);
    /* Real lights lie near the locus between candle-light and deep shade; an estimate far from it
     * is the scene's own colour (foliage, a sunset, a red wall), not the light. */
    e->plausible = e->temp_k >= 2000 && e->temp_k <= 15000 && fabs(e->tint) <= 0.3;
    /* Keep half of the tint: green/magenta estimates are the least reliable part. */
    double u0, v0;
    pol__light_uv(e->temp_k, e->tint * 0.5, &u0, &v0);
    e->u = u0;
    e->v = v0;
    double c = 1 - e->spread / 0.6;
    c *= 1 - 0.5 * fabs(e->tint) / 0.3;
    if (!e->plausible) c = 0;
    e->confidence = c < 0 ? 0 : c > 1 ? 1 : c;
    return 1;
}

/* ---- tone statistics ------------------------------------------------------------------------ */

void pol__tone_stats(const pol__qsmall *s, double clip_pct, pol__tone_summary *t)
{
    memset(t, 0, sizeof *t);
    enum { NB = 4096 };
    long *hw = calloc(NB, sizeof(long)), *hb = calloc(NB, sizeof(long)),
         *hy = calloc(NB, sizeof(long));
    size_t npx = (size_t)s->w * s->h, n = (size_t)s->n_use;
    if (!hw || !hb || !hy || n == 0) {
        free(hw);
        free(hb);
        free(hy);
        return;
    }
    double logsum = 0, lsum = 0;
    long clip = 0, clip_all = 0;
    for (size_t i = 0; i < npx; i++) {
        if (!s->use[i]) continue;
        const float *p = s->rgb + i * 3;
        float mx = p[0] > p[1] ? p[0] : p[1], mn = p[0] < p[1] ? p[0] : p[1];
        mx = mx > p[2] ? mx : p[2];
        mn = mn < p[2] ? mn : p[2];
        /* Percentiles of encoded values: finer where the eye is. */
        hw[(int)(pol__to_srgb_fast(mx) * (NB - 1))]++;
        hb[(int)(pol__to_srgb_fast(mn) * (NB - 1))]++;
        hy[(int)(pol__to_srgb_fast(s->y[i]) * (NB - 1))]++;
        logsum += log(s->y[i] + 1e-4);
        float lab[3];
        pol__linear_to_lab_fast(p, lab);
        lsum += lab[0];
        /* Clipped by too much light: a channel at the top and the photo bright there (the middle
         * channel up too, the lowest not black). A saturated colour of a chart or a flower (1, 0, 0),
         * (1, 1, 0) is not. */
        float md = p[0] + p[1] + p[2] - mx - mn;
        clip += mx >= 0.99f && md >= 0.25f && mn >= 0.05f;
        clip_all += mn >= 0.99f;
    }
    long acc = 0, want = (long)(n * clip_pct / 100);
    int i = NB - 1;
    while (i > 0 && acc + hw[i] <= want) acc += hw[i--];
    t->white = pol__srgb_to_linear((float)i / (NB - 1));
    acc = 0;
    i = 0;
    while (i < NB - 1 && acc + hb[i] <= want) acc += hb[i++];
    t->black = pol__srgb_to_linear((float)i / (NB - 1));
    acc = 0;
    i = 0;
    while (i < NB - 1 && acc + hy[i] < (long)(n / 2)) acc += hy[i++];
    t->median_y = pol__srgb_to_linear((float)i / (NB - 1));
    /* A pile-up at the white point: clipped highlights (possibly lowered since). */
    long top = 0;
    int wi = (int)(pol__linear_to_srgb((float)(t->white * 0.99)) * (NB - 1));
    for (int k = wi < 0 ? 0 : wi; k < NB; k++) top += hw[k];
    t->at_white = (double)top / n;
    t->key = exp(logsum / n);
    t->mean_l = lsum / n;
    t->clip_hi = (double)clip / n;
    t->clip_all = (double)clip_all / n;
    free(hw);
    free(hb);
    free(hy);
}

/* ---- noise ---------------------------------------------------------------------------------- */

/*
 * Immerkaer's operator (the difference of two Laplacians) cancels image structure up to second
 * order, leaving mostly noise: for white Gaussian noise its output has standard deviation 6 sigma
 * and E|r| = 6 sigma sqrt(2/pi). Texture still leaks through, so sigma is measured per 16x16 block
 * and read from the flattest blocks.
 */
#define NB_BLOCK 16

typedef struct noise_ctx {
    const pol__image *im;
    int bw, bh;
    float *block; /* bw*bh estimates */
    float *half;  /* the same measured on the block reduced 2x2: noise halves, texture does not */
} noise_ctx;

static float luma_enc(const float *p, int ch)
{
    return ch >= 3 ? 0.299f * p[0] + 0.587f * p[1] + 0.114f * p[2] : p[0];
}

/* Block row `by` from the luma of picture rows by * NB_BLOCK .. by * NB_BLOCK + NB_BLOCK + 1. */
static void noise_block_row(noise_ctx *c, size_t by, float *const rows[NB_BLOCK + 2])
{
    for (int bx = 0; bx < c->bw; bx++) {
        double sum = 0;
        int clipped = 0;
        for (int r = 1; r <= NB_BLOCK; r++) {
            const float *a = rows[r - 1], *m = rows[r], *d = rows[r + 1];
            for (int x = 1 + bx * NB_BLOCK; x <= (bx + 1) * NB_BLOCK; x++) {
                float v = a[x - 1] - 2 * a[x] + a[x + 1] - 2 * (m[x - 1] - 2 * m[x] + m[x + 1]) +
                          d[x - 1] - 2 * d[x] + d[x + 1];
                sum += fabsf(v);
                /* Clipped or black areas look noiseless; keep them out of the statistics. */
                clipped += m[x] >= 0.995f || m[x] <= 0.005f;
            }
        }
        c->block[by * c->bw + bx] =
            clipped > NB_BLOCK * NB_BLOCK / 8
                ? NAN
                : (float)(sum / (NB_BLOCK * NB_BLOCK) * sqrt(M_PI / 2) / 6);
        /* the block at half resolution (2x2 means), the operator on its inner 6x6 */
        float hb[NB_BLOCK / 2][NB_BLOCK / 2];
        for (int r = 0; r < NB_BLOCK / 2; r++)
            for (int q = 0; q < NB_BLOCK / 2; q++) {
                int x = 1 + bx * NB_BLOCK + 2 * q;
                hb[r][q] = 0.25f * (rows[1 + 2 * r][x] + rows[1 + 2 * r][x + 1] +
                                    rows[2 + 2 * r][x] + rows[2 + 2 * r][x + 1]);
            }
        double hsum = 0;
        for (int r = 1; r < NB_BLOCK / 2 - 1; r++)
            for (int q = 1; q < NB_BLOCK / 2 - 1; q++) {
                const float *a = hb[r - 1], *m = hb[r], *d = hb[r + 1];
                float v = a[q - 1] - 2 * a[q] + a[q + 1] - 2 * (m[q - 1] - 2 * m[q] + m[q + 1]) +
                          d[q - 1] - 2 * d[q] + d[q + 1];
                hsum += fabsf(v);
            }
        int hn = (NB_BLOCK / 2 - 2) * (NB_BLOCK / 2 - 2);
        c->half[by * c->bw + bx] = (float)(hsum / hn * sqrt(M_PI / 2) / 6);
    }
}

static void noise_rows(void *user, size_t begin, size_t end)
{
    noise_ctx *c = user;
    const pol__image *im = c->im;
    int ch = im->channels;
    float *rows[NB_BLOCK + 2];
    float *buf = malloc(sizeof(float) * (size_t)im->width * (NB_BLOCK + 2));
    if (!buf) {
        for (size_t by = begin; by < end; by++)
            for (int bx = 0; bx < c->bw; bx++)
                c->block[by * c->bw + bx] = c->half[by * c->bw + bx] = NAN;
        return;
    }
    for (size_t by = begin; by < end; by++) {
        int y0 = 1 + (int)by * NB_BLOCK - 1;
        for (int r = 0; r < NB_BLOCK + 2; r++) {
            rows[r] = buf + (size_t)r * im->width;
            const float *src = pol__image_row(im, y0 + r);
            for (int x = 0; x < im->width; x++) rows[r][x] = luma_enc(src + (size_t)x * ch, ch);
        }
        noise_block_row(c, by, rows);
    }
    free(buf);
}

static int cmp_float(const void *a, const void *b)
{
    float x = *(const float *)a, y = *(const float *)b;
    return x < y ? -1 : x > y;
}

typedef struct blk {
    float s, half;
} blk;

static int cmp_blk(const void *a, const void *b)
{
    float x = ((const blk *)a)->s, y = ((const blk *)b)->s;
    return x < y ? -1 : x > y;
}


/* The estimate from the blocks (c->block, c->half filled, m = usable ones counted inside); frees
 * them. */
static double noise_finish(noise_ctx *c, int channels, double *confidence, double *texture)
{
    size_t n = (size_t)c->bw * c->bh;
    blk *b = malloc(n * sizeof(blk));
    if (!b) {
        free(c->block);
        free(c->half);
        return 0;
    }
    size_t m = 0;
    for (size_t i = 0; i < n; i++)
        if (!isnan(c->block[i])) b[m].s = c->block[i], b[m++].half = c->half[i];
    double sigma = 0;
    if (m >= 8) {
        qsort(b, m, sizeof(blk), cmp_blk);
        /* The 10th percentile of blocks: flat enough to be free of texture, while a block's own
         * sampling error (about 6% for 256 pixels) biases it low by ~8%, corrected here. */
        sigma = b[m / 10].s / 0.92;
        /* Independent noise of equal sigma in R, G, B shows in luma as 0.668 sigma. */
        if (channels >= 3) sigma /= 0.668;
        /* Agreement of the flattest quarter says whether a noise floor exists at all. */
        double lo = b[m / 20].s, hi = b[m / 4].s;
        *confidence = hi > 0 ? pol__clampf((float)(lo / hi), 0, 1) : 0;
        if (m < 64) *confidence *= (double)m / 64;
        /* Texture: in the flattest fifth, white noise measured on 2x2 means is half as strong;
         * texture keeps its strength at the coarser scale. Median of 2 x half / full. */
        if (texture) {
            size_t k = m / 5 > 4 ? m / 5 : 4;
            if (k > m) k = m;
            float *r = malloc(k * sizeof(float));
            if (r) {
                for (size_t i = 0; i < k; i++) r[i] = b[i].s > 0 ? 2 * b[i].half / b[i].s : 1;
                qsort(r, k, sizeof(float), cmp_float);
                *texture = r[k / 2];
                free(r);
            }
        }
    }
    free(c->block);
    free(c->half);
    free(b);
    return sigma;
}

double pol__noise_sigma2(const pol_run *run, const pol__image *im, double *confidence,
                         double *texture)
{
    *confidence = 0;
    if (texture) *texture = NAN;
    if (im->measured) { /* taken at full resolution before the pixels were reduced */
        *confidence = im->measured->noise_conf;
        if (texture) *texture = im->measured->noise_texture;
        return im->measured->noise_sigma;
    }
    noise_ctx c = {im, (im->width - 2) / NB_BLOCK, (im->height - 2) / NB_BLOCK, NULL, NULL};
    if (c.bw < 2 || c.bh < 2) return 0;
    size_t n = (size_t)c.bw * c.bh;
    c.block = malloc(n * sizeof(float));
    c.half = malloc(n * sizeof(float));
    if (!c.block || !c.half) {
        free(c.block);
        free(c.half);
        return 0;
    }
    pol__parallel_for(run, (size_t)c.bh, 4, noise_rows, &c);
    return noise_finish(&c, im->channels, confidence, texture);
}

struct pol__noise_acc {
    noise_ctx c;
    int w, ch, y;  /* y: rows fed so far */
    size_t by;     /* the block row being gathered */
    float *buf;    /* NB_BLOCK + 2 luma rows */
    float *rows[NB_BLOCK + 2];
};

pol__noise_acc *pol__noise_acc_new(int w, int h, int ch)
{
    pol__noise_acc *a = calloc(1, sizeof *a);
    if (!a) return NULL;
    a->c = (noise_ctx){NULL, (w - 2) / NB_BLOCK, (h - 2) / NB_BLOCK, NULL, NULL};
    a->w = w, a->ch = ch;
    if (a->c.bw >= 2 && a->c.bh >= 2) {
        size_t n = (size_t)a->c.bw * a->c.bh;
        a->c.block = malloc(n * sizeof(float));
        a->c.half = malloc(n * sizeof(float));
        a->buf = malloc(sizeof(float) * (size_t)w * (NB_BLOCK + 2));
        if (!a->c.block || !a->c.half || !a->buf) {
            free(a->c.block);
            free(a->c.half);
            free(a->buf);
            free(a);
            return NULL;
        }
        for (int r = 0; r < NB_BLOCK + 2; r++) a->rows[r] = a->buf + (size_t)r * w;
    }
    return a;
}

void pol__noise_acc_row(pol__noise_acc *a, const float *src)
{
    int y = a->y++;
    if (!a->buf || a->by >= (size_t)a->c.bh) return;
    int r = y - (int)a->by * NB_BLOCK;
    if (r < 0 || r > NB_BLOCK + 1) return;
    for (int x = 0; x < a->w; x++) a->rows[r][x] = luma_enc(src + (size_t)x * a->ch, a->ch);
    if (r == NB_BLOCK + 1) {
        noise_block_row(&a->c, a->by, a->rows);
        /* the last two rows open the next block row */
        float *t0 = a->rows[0], *t1 = a->rows[1];
        a->rows[0] = a->rows[NB_BLOCK], a->rows[1] = a->rows[NB_BLOCK + 1];
        a->rows[NB_BLOCK] = t0, a->rows[NB_BLOCK + 1] = t1;
        a->by++;
    }
}

double pol__noise_acc_finish(pol__noise_acc *a, double *confidence, double *texture)
{
    *confidence = 0;
    if (texture) *texture = NAN;
    double sigma = 0;
    if (a->buf && a->by == (size_t)a->c.bh)
        sigma = noise_finish(&a->c, a->ch, confidence, texture);
    else {
        free(a->c.block);
        free(a->c.half);
    }
    free(a->buf);
    free(a);
    return sigma;
}

double pol__noise_sigma(const pol_run *run, const pol__image *im, double *confidence)
{
    return pol__noise_sigma2(run, im, confidence, NULL);
}

/* ---- sharpness ------------------------------------------------------------------------------ */

double pol__sharpness(const pol_run *run, const pol__image *im)
{
    (void)run;
    /* On a grid of rows: at the strongest horizontal steps, the share of the step (over 4 pixels)
     * made by the largest single-pixel difference. 1 = a crisp one-pixel edge, 0.25 = a ramp. */
    int ch = im->channels, w = im->width, h = im->height;
    if (w < 16 || h < 16) return 0;
    double sum = 0, wsum = 0;
    int step = h / 256 > 1 ? h / 256 : 1;
    for (int y = 2; y < h - 2; y += step) {
        const float *row = pol__image_row(im, y);
        for (int x = 2; x + 3 < w; x += 2) {
            float v[5];
            for (int k = 0; k < 5; k++) v[k] = luma_enc(row + (size_t)(x - 1 + k) * ch, ch);
            float total = fabsf(v[4] - v[0]);
            if (total < 0.15f) continue;
            float best = 0;
            for (int k = 0; k < 4; k++) {
                float d = fabsf(v[k + 1] - v[k]);
                if (d > best) best = d;
            }
            sum += total * best / total;
            wsum += total;
        }
    }
    return wsum > 0 ? sum / wsum : 0;
}

/* ---- applying gains ------------------------------------------------------------------------ */

void pol__apply_gains(const pol_run *run, pol__image *im, const double gain[3])
{
    /* A gain in linear light is, per channel, a fixed curve of encoded values: tabulate it once
     * and the pixel loop is one interpolation per sample. Channels pushed past white clip, as a
     * camera's highlights do. */
    pol__colour_init();
    float *lut = malloc(sizeof(float) * 3 * (POL_CURVE_N + 1));
    if (!lut) {
        /* Out of memory for 48 KiB: fall back to the direct formula, one channel at a time. */
        size_t n = (size_t)im->width * im->height;
        int ch = im->channels;
        for (size_t i = 0; i < n; i++)
            for (int k = 0; k < (ch >= 3 ? 3 : 1); k++) {
                float *p = im->px + i * ch + k;
                *p = pol__to_srgb_fast(
                    pol__clampf(pol__to_linear_fast(*p) * (float)gain[ch >= 3 ? k : 1], 0, 1));
            }
        return;
    }
    const float *luts[3];
    for (int k = 0; k < 3; k++) {
        float *t = lut + k * (POL_CURVE_N + 1);
        for (int i = 0; i <= POL_CURVE_N; i++) {
            double v = pol__srgb_to_linear((float)i / POL_CURVE_N) * gain[k];
            t[i] = pol__linear_to_srgb((float)(v > 1 ? 1 : v));
        }
        luts[k] = t;
    }
    if (im->channels < 3) luts[0] = luts[1];
    pol__apply_curves(run, im, luts, POL_CURVE_N);
    free(lut);
}

/* ---- applying a tone curve ------------------------------------------------------------------ */

typedef struct curve_ctx {
    pol__image *im;
    const float *lut[3];
    int n;
} curve_ctx;

static void curve_rows(void *user, size_t begin, size_t end)
{
    curve_ctx *c = user;
    int ch = c->im->channels, w = c->im->width;
    int colour = ch == 2 || ch == 4 ? ch - 1 : ch;
    for (size_t y = begin; y < end; y++) {
        float *p = pol__image_row(c->im, (int)y);
        for (int x = 0; x < w; x++, p += ch)
            for (int k = 0; k < colour; k++) p[k] = pol__curve_eval(c->lut[k], c->n, p[k]);
    }
}

void pol__apply_curves(const pol_run *run, pol__image *im, const float *const lut[3], int n)
{
    curve_ctx c = {im, {lut[0], lut[1], lut[2]}, n};
    if (im->points) pol__points_record(im->points, lut, n);
    pol__parallel_for(run, (size_t)im->height, 16, curve_rows, &c);
}

void pol__apply_curve(const pol_run *run, pol__image *im, const float *lut, int n)
{
    const float *l3[3] = {lut, lut, lut};
    pol__apply_curves(run, im, l3, n);
}
