/* polish — image.sharpen: unsharp mask on luminance only, so edges sharpen without colour fringes.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "image/image_io.h"
#include "image/quality.h"

static const pol_param_desc params[] = {
    {"amount", POL_PARAM_NUM, NULL, 0, 5, NULL,
     "Strength (0.5 adds half the detail again); unset: chosen from the measured sharpness."},
    {"radius", POL_PARAM_NUM, "1.0", 0.3, 20, NULL, "Gaussian radius (sigma) in pixels."},
    {"threshold", POL_PARAM_NUM, "0.004", 0, 0.5, NULL,
     "Luminance differences below this (0..1) are left alone, so noise is not amplified."},
};

static pol_status run_sharpen(pol_run *run, pol_asset *asset, const pol_args *args);
static const pol_op_stream sharpen_stream;

const pol_op_desc pol__image_op_sharpen = {
    .domain = "image",
    .name = "sharpen",
    .summary = "Unsharp mask on luminance (amount, radius, threshold); auto strength when unset",
    .params = params,
    .n_params = POL_ARRAY_LEN(params),
    .run = run_sharpen,
    .flags = POL_OP_AUTO,
    .stream = &sharpen_stream,
};

#define BAND 64  /* rows per work unit: the luma scratch stays small and cache-warm */
#define MAX_R 64 /* kernel half-width cap (sigma 20 -> 60) */

typedef struct gauss {
    float w[MAX_R + 1];
    int r;
} gauss;

static void gauss_init(gauss *g, double sigma)
{
    g->r = (int)ceil(3 * sigma);
    if (g->r < 1) g->r = 1;
    if (g->r > MAX_R) g->r = MAX_R;
    double sum = 0;
    for (int i = 0; i <= g->r; i++) {
        g->w[i] = (float)exp(-0.5 * i * i / (sigma * sigma));
        sum += i ? 2 * g->w[i] : g->w[i];
    }
    for (int i = 0; i <= g->r; i++) g->w[i] = (float)(g->w[i] / sum);
}

static inline float luma_of(const float *p, int ch)
{
    return ch <= 2 ? p[0] : 0.2126f * p[0] + 0.7152f * p[1] + 0.0722f * p[2];
}

/* Horizontally blurred luma of rows [y0, y1) (clamped at the edges) into out (w per row). */
static void hblur_rows(const pol__image *im, const gauss *g, int y0, int y1, float *luma, float *out)
{
    int w = im->width, ch = im->channels, r = g->r;
    for (int y = y0; y < y1; y++) {
        int sy = y < 0 ? 0 : y >= im->height ? im->height - 1 : y;
        const float *row = pol__image_row(im, sy);
        for (int x = 0; x < w; x++) luma[x] = luma_of(row + (size_t)x * (size_t)ch, ch);
        float *o = out + (size_t)(y - y0) * (size_t)w;
        for (int x = 0; x < w; x++) {
            float acc = g->w[0] * luma[x];
            if (x >= r && x + r < w) {
                for (int k = 1; k <= r; k++) acc += g->w[k] * (luma[x - k] + luma[x + k]);
            } else {
                for (int k = 1; k <= r; k++) {
                    int a = x - k < 0 ? 0 : x - k, b = x + k >= w ? w - 1 : x + k;
                    acc += g->w[k] * (luma[a] + luma[b]);
                }
            }
            o[x] = acc;
        }
    }
}

/* Blurred luma of rows [y0, y1) from horizontally blurred rows starting at y0 - r. */
static void vblur_row(const gauss *g, const float *hb, int w, int yrel, float *out)
{
    int r = g->r;
    const float *c = hb + (size_t)(yrel + r) * (size_t)w;
    for (int x = 0; x < w; x++) out[x] = g->w[0] * c[x];
    for (int k = 1; k <= r; k++) {
        const float *up = c - (size_t)k * (size_t)w, *dn = c + (size_t)k * (size_t)w;
        float wk = g->w[k];
        for (int x = 0; x < w; x++) out[x] += wk * (up[x] + dn[x]);
    }
}

typedef struct usm_job {
    pol__image *src; /* read */
    float *dst;     /* written, same layout */
    gauss g;
    float amount, threshold;
    int failed;
    int band; /* rows per work unit (BAND) */
} usm_job;

static void usm_bands(void *user, size_t begin, size_t end)
{
    usm_job *j = user;
    const pol__image *im = j->src;
    int w = im->width, ch = im->channels, r = j->g.r;
    float *hb = malloc((size_t)(j->band + 2 * r) * (size_t)w * sizeof *hb);
    float *luma = malloc((size_t)w * sizeof *luma);
    float *blur = malloc((size_t)w * sizeof *blur);
    if (!hb || !luma || !blur) {
        j->failed = 1;
        free(hb), free(luma), free(blur);
        return;
    }
    for (size_t band = begin; band < end; band++) {
        int y0 = (int)band * j->band, y1 = y0 + j->band > im->height ? im->height : y0 + j->band;
        hblur_rows(im, &j->g, y0 - r, y1 + r, luma, hb);
        for (int y = y0; y < y1; y++) {
            vblur_row(&j->g, hb, w, y - y0, blur);
            const float *s = pol__image_row(im, y);
            float *d = j->dst + (size_t)y * (size_t)w * (size_t)ch;
            float t = j->threshold, a = j->amount;
            for (int x = 0; x < w; x++, s += ch, d += ch) {
                float detail = luma_of(s, ch) - blur[x];
                /* soft threshold: small differences (noise) are left alone, without a step */
                float m = fabsf(detail) - t;
                float delta = m > 0 ? a * copysignf(m, detail) : 0.0f;
                int colours = ch == 2 || ch == 4 ? ch - 1 : ch;
                for (int c = 0; c < colours; c++) {
                    float v = s[c] + delta;
                    d[c] = v < 0 ? 0 : v > 1 ? 1 : v;
                }
                if (colours < ch) d[ch - 1] = s[ch - 1];
            }
        }
    }
    free(hb), free(luma), free(blur);
}

/* Fine-detail ratio: mean |Y - G1 Y| over mean |G1 Y - G2 Y|, on bands spread over the image.
 * Soft pictures have lost the finest octave (low ratio); crisp or noisy ones have not. The next
 * octave's ratio, mean |G1 Y - G2 Y| over mean |G2 Y - G4 Y|, tells a soft picture from a
 * pattern whose detail lies in one octave (fine stripes rendered smooth): blur takes detail from
 * the finest octave down, so the next ratio falls too. */
#define DETAIL_BANDS 12
#define DETAIL_ROWS 32

typedef struct detail_sums {
    double fine, coarse, coarse2;
} detail_sums;

/* Adds the band of rows [y0, y0 + DETAIL_ROWS) of `im` (which holds rows y0 - r .. y0 + rows + r,
 * r = g4's half-width) to the sums. hb1, hb2, hb4: (rows + 2r) * w floats; luma, b1, b2, b4: w. */
static void detail_band(const pol__image *im, const gauss *g, int y0, float *const hb[3],
                        float *luma, float *const b[3], detail_sums *sum)
{
    int w = im->width, r = g[2].r, rows = DETAIL_ROWS;
    for (int k = 0; k < 3; k++) hblur_rows(im, &g[k], y0 - r, y0 + rows + r, luma, hb[k]);
    int r2 = g[1].r;
    for (int y = y0; y < y0 + rows; y++) {
        /* each blur reads from y0 - r; a narrower window starts r - g.r rows later */
        for (int k = 0; k < 3; k++)
            vblur_row(&g[k], hb[k] + (size_t)(r - g[k].r) * (size_t)w, w, y - y0, b[k]);
        const float *s = pol__image_row(im, y);
        for (int x = r2; x < w - r2; x++) {
            float yv = luma_of(s + (size_t)x * (size_t)im->channels, im->channels);
            sum->fine += fabsf(yv - b[0][x]);
            sum->coarse += fabsf(b[0][x] - b[1][x]);
        }
        for (int x = r; x < w - r; x++) sum->coarse2 += fabsf(b[1][x] - b[2][x]);
    }
}

static int detail_band_y0(int h, int r, int b)
{
    return r + (int)((long)(h - DETAIL_ROWS - 2 * r) * b / (DETAIL_BANDS - 1));
}

static void detail_gauss(gauss g[3])
{
    gauss_init(&g[0], 1.0);
    gauss_init(&g[1], 2.0);
    gauss_init(&g[2], 4.0);
}

/* The ratios from the sums of every band: -1 where the picture was too small. */
static double detail_finish(const detail_sums *s, double n, double *fine_out, double *next_out)
{
    *fine_out = s->fine / n;
    *next_out = s->coarse2 > 0 ? s->coarse / s->coarse2 : -1;
    return s->coarse > 0 ? s->fine / s->coarse : -1;
}

static double detail_ratio(const pol__image *im, double *fine_out, double *next_out)
{
    *next_out = -1;
    if (im->measured) { /* taken at full resolution before the pixels were reduced */
        *fine_out = im->measured->detail_fine;
        *next_out = im->measured->detail_next;
        return im->measured->detail_ratio;
    }
    gauss g[3];
    detail_gauss(g);
    int w = im->width, r = g[2].r, rows = DETAIL_ROWS;
    if (im->height < rows + 2 * r || w < 4 * r) return -1;
    size_t nh = (size_t)(rows + 2 * r) * (size_t)w;
    float *hb[3], *b[3], *luma = malloc((size_t)w * sizeof(float));
    int ok = luma != NULL;
    for (int k = 0; k < 3; k++) {
        hb[k] = malloc(nh * sizeof(float));
        b[k] = malloc((size_t)w * sizeof(float));
        ok = ok && hb[k] && b[k];
    }
    detail_sums sum = {0, 0, 0};
    if (ok) {
        for (int i = 0; i < DETAIL_BANDS; i++)
            detail_band(im, g, detail_band_y0(im->height, r, i), hb, luma, b, &sum);
    }
    for (int k = 0; k < 3; k++) free(hb[k]), free(b[k]);
    free(luma);
    double n = (double)DETAIL_BANDS * rows * (w - 2 * g[1].r);
    return detail_finish(&sum, n, fine_out, next_out);
}

/* Row by row: each band's rows are gathered in a small image of their own, then measured as the
 * whole picture's band is (same order of additions, so the same figure). */
struct pol__detail_acc {
    gauss g[3];
    int w, h, ch, y, ok, next; /* next: the band being gathered */
    pol__image band;           /* rows y0 - r .. y0 + rows + r of band `next` */
    float *hb[3], *luma, *b[3];
    detail_sums sum;
};

pol__detail_acc *pol__detail_acc_new(int w, int h, int ch)
{
    pol__detail_acc *a = calloc(1, sizeof *a);
    if (!a) return NULL;
    detail_gauss(a->g);
    int r = a->g[2].r, rows = DETAIL_ROWS;
    a->w = w, a->h = h, a->ch = ch;
    a->ok = !(h < rows + 2 * r || w < 4 * r);
    if (!a->ok) return a;
    size_t n = (size_t)(rows + 2 * r) * (size_t)w;
    a->band = (pol__image){.width = w, .height = rows + 2 * r, .channels = ch};
    a->band.px = malloc(n * (size_t)ch * sizeof(float));
    a->luma = malloc((size_t)w * sizeof(float));
    int ok = a->band.px && a->luma;
    for (int k = 0; k < 3; k++) {
        a->hb[k] = malloc(n * sizeof(float));
        a->b[k] = malloc((size_t)w * sizeof(float));
        ok = ok && a->hb[k] && a->b[k];
    }
    if (!ok) a->ok = -1;
    return a;
}

void pol__detail_acc_row(pol__detail_acc *a, const float *row)
{
    int y = a->y++, r = a->g[2].r;
    size_t rowlen = (size_t)a->w * (size_t)a->ch;
    /* bands may overlap on a short picture: a row can serve several, one after the other */
    while (a->ok == 1 && a->next < DETAIL_BANDS) {
        int lo = detail_band_y0(a->h, r, a->next) - r, hi = lo + DETAIL_ROWS + 2 * r;
        if (y < lo || y >= hi) return;
        memcpy(a->band.px + (size_t)(y - lo) * rowlen, row, rowlen * sizeof(float));
        if (y != hi - 1) return;
        detail_band(&a->band, a->g, r, a->hb, a->luma, a->b, &a->sum);
        a->next++;
        /* the next band may start at or before this row: its earlier rows are in this band's */
        int nlo = a->next < DETAIL_BANDS ? detail_band_y0(a->h, r, a->next) - r : hi;
        if (nlo < y) {
            int keep = y - nlo; /* rows nlo .. y - 1, at band offsets nlo - lo .. */
            memmove(a->band.px, a->band.px + (size_t)(nlo - lo) * rowlen, (size_t)keep * rowlen * sizeof(float));
        }
    }
}

int pol__detail_acc_reads(const pol__detail_acc *a, int y0, int y1)
{
    int r = a->g[2].r;
    for (int b = a->next; a->ok == 1 && b < DETAIL_BANDS; b++) {
        int lo = detail_band_y0(a->h, r, b) - r, hi = lo + DETAIL_ROWS + 2 * r;
        if (lo < y1 && hi > y0) return 1;
    }
    return 0;
}

double pol__detail_acc_finish(pol__detail_acc *a, double *fine_out, double *next_out)
{
    double ratio = -1;
    *fine_out = 0;
    *next_out = -1;
    if (a->ok == 1 && a->next == DETAIL_BANDS) {
        double n = (double)DETAIL_BANDS * DETAIL_ROWS * (a->w - 2 * a->g[1].r);
        ratio = detail_finish(&a->sum, n, fine_out, next_out);
    }
    free(a->band.px), free(a->luma);
    for (int k = 0; k < 3; k++) free(a->hb[k]), free(a->b[k]);
    free(a);
    return ratio;
}

/* Calibrated on Debian sample photos (python3-skimage, mate-backgrounds): in focus they measure
 * 1.0-2.5; after a 1.5x down-and-up resample 0.8-1.3; after 3x 0.54-0.64; after 4.5x 0.44-0.50. */
#define CRISP_RATIO 0.8
/* Blur lowers the next octave's ratio too: the 60 photos of the broad set measure at most 1.0 once
 * softened by a 1.5-4.5x resample (as they are, up to 1.8, always with a crisp detail ratio),
 * where GNOME's "pixels" wallpapers (fine stripes rendered smooth, detail ratio 0.73) measure
 * 2.2-2.4. */
#define PATTERN_NEXT_RATIO 1.45
#define MAX_AUTO_AMOUNT 0.8

/* The automatic amount, judged on the picture's detail ratio: 0 when the step declines (said). */
static int auto_amount(pol_run *run, pol__image *im, double *amount)
{
    *amount = 0;
    if (pol__image_graphic_declines(run, im)) return 0;
    double fine = 0, next = -1, ratio = detail_ratio(im, &fine, &next);
    pol__measure(run, "detail_ratio", ratio);
    pol__measure(run, "next_octave_ratio", next);
    pol__measure(run, "fine_detail", fine);
    if (ratio < 0) {
        pol__decline(run, "image too small to judge its sharpness");
        return 0;
    }
    if (ratio >= CRISP_RATIO) {
        pol__decline(run, "already crisp (detail ratio %.2f >= %.2f)", ratio, CRISP_RATIO);
        return 0;
    }
    if (next > PATTERN_NEXT_RATIO) {
        pol__decline(run, "the finest octave is weak but the next is strong (ratio %.2f > %.2f): "
                          "a pattern of smooth fine detail, not blur",
                     next, PATTERN_NEXT_RATIO);
        return 0;
    }
    *amount = 2.0 * (CRISP_RATIO - ratio) / CRISP_RATIO;
    if (*amount > MAX_AUTO_AMOUNT) *amount = MAX_AUTO_AMOUNT;
    pol__confidence(run, 0.7);
    pol__decide(run, "soft picture (detail ratio %.2f < %.2f): amount %.2f", ratio, CRISP_RATIO,
                *amount);
    return 1;
}

/* The unsharp mask on the whole picture, in place. */
static pol_status usm_whole(pol_run *run, pol__image *im, double amount, double radius,
                            double threshold)
{
    usm_job j;
    memset(&j, 0, sizeof j);
    j.src = im;
    j.amount = (float)amount;
    j.threshold = (float)threshold;
    gauss_init(&j.g, radius);
    j.dst = pol__image_alloc_px(im->width, im->height, im->channels);
    if (!j.dst) return pol__fail(run, POL_ERR_NOMEM, "out of memory");
    j.band = BAND;
    size_t bands = ((size_t)im->height + BAND - 1) / BAND;
    pol__parallel_for(run, bands, 1, usm_bands, &j);
    if (j.failed) {
        pol__image_free_px(j.dst);
        return pol__fail(run, POL_ERR_NOMEM, "out of memory");
    }
    pol__image_replace_px(im, j.dst, im->width, im->height, im->channels);
    return POL_OK;
}

static pol_status run_sharpen(pol_run *run, pol_asset *asset, const pol_args *args)
{
    pol__image *im = pol__image_of(asset);
    double radius = pol__arg_num(args, "radius");
    double threshold = pol__arg_num(args, "threshold");
    double amount;
    if (pol__arg_has(args, "amount")) {
        amount = pol__arg_num(args, "amount");
    } else if (!auto_amount(run, im, &amount)) {
        return POL_OK;
    }
    if (amount <= 0) {
        pol__decline(run, "amount 0");
        return POL_OK;
    }
    pol_status st = usm_whole(run, im, amount, radius, threshold);
    if (st) return st;
    pol__measure(run, "amount", amount);
    pol__measure(run, "radius", radius);
    pol__measure(run, "threshold", threshold);
    pol__decide(run, "unsharp mask on luminance: amount %.2f, radius %.2f, threshold %.3f", amount,
                radius, threshold);
    return POL_OK;
}

/* ---- strip by strip (a given amount: the automatic one is judged on the whole picture) ------- */

typedef struct sh_state {
    usm_job j;
    float *spare; /* the last strip's rows, reused for the next one's result */
    int pending;  /* automatic amount, not judged yet */
    double radius, threshold;
} sh_state;


static size_t sh_context(const pol_args *args, size_t after)
{
    gauss g;
    gauss_init(&g, pol__arg_num(args, "radius"));
    return after + (size_t)g.r;
}

static pol_status sh_begin(pol_run *run, const pol_args *args, void **state)
{
    sh_state *s = calloc(1, sizeof *s);
    if (!s) return pol__fail(run, POL_ERR_NOMEM, "out of memory");
    *state = s;
    double radius = pol__arg_num(args, "radius"), threshold = pol__arg_num(args, "threshold");
    s->j.threshold = (float)threshold;
    gauss_init(&s->j.g, radius);
    if (!pol__arg_has(args, "amount")) { /* automatic: judged with the first strip */
        s->pending = 1;
        s->radius = radius;
        s->threshold = threshold;
        return POL_OK;
    }
    double amount = pol__arg_num(args, "amount");
    s->j.amount = (float)amount;
    if (amount <= 0) {
        pol__decline(run, "amount 0");
        return POL_OK;
    }
    pol__measure(run, "amount", amount);
    pol__measure(run, "radius", radius);
    pol__measure(run, "threshold", threshold);
    pol__decide(run, "unsharp mask on luminance: amount %.2f, radius %.2f, threshold %.3f", amount,
                radius, threshold);
    return POL_OK;
}

/* The strip's rows sharpened as the whole picture's are: at the picture's top and bottom the
 * strip ends where the picture does (the same clamping); elsewhere the context rows, which the
 * blur reads, are real neighbours, and only they come out wrong. */
static pol_status sh_apply(pol_run *run, void *state, pol__chunk *c)
{
    sh_state *s = state;
    pol__image *pv = NULL;
    if (s->pending) {
        /* judged on the item's preview, which carries the detail ratio measured at full
         * resolution on the picture as the steps before leave it (strip.c) */
        s->pending = 0;
        pol_status st = pol__strip_preview(run, c, POL__FULL_RES_DETAIL, &pv);
        if (st) return st;
        double amount;
        if (!auto_amount(run, pv, &amount)) return POL_OK;
        s->j.amount = (float)amount;
        pol__measure(run, "amount", amount);
        pol__measure(run, "radius", s->radius);
        pol__measure(run, "threshold", s->threshold);
        pol__decide(run, "unsharp mask on luminance: amount %.2f, radius %.2f, threshold %.3f",
                    amount, s->radius, s->threshold);
    }
    if (s->j.amount <= 0 || !(c->pre + c->n + c->post)) return POL_OK;
    pol__strip *st = pol__strip_of(c);
    pol__image view = pol__strip_view(c);
    usm_job j = s->j;
    j.src = &view;
    j.failed = 0;
    j.dst = pol__strip_buffer(&s->spare, (size_t)view.width * view.height * view.channels);
    if (!j.dst) return pol__fail(run, POL_ERR_NOMEM, "out of memory");
    j.band = (view.height + 3) / 4 > 8 ? (view.height + 3) / 4 : 8; /* for the item's threads */
    pol__parallel_for(run, ((size_t)view.height + (size_t)j.band - 1) / (size_t)j.band, 1, usm_bands, &j);
    if (j.failed) {
        pol__image_free_px(j.dst);
        return pol__fail(run, POL_ERR_NOMEM, "out of memory");
    }
    (void)st;
    pol__strip_swap(c, j.dst, &s->spare); /* same size: the decoded rows still compare */
    if (pv) {
        /* the steps after it judge the preview as sharpened: exactly when the preview is the
         * picture itself; a reduced preview is left as it is (a box reduction of 2x or more
         * keeps little of what an unsharp mask of radius ~1 adds) */
        if (pv->width == view.width) {
            pol_status e = usm_whole(run, pv, s->j.amount, s->radius, s->threshold);
            if (e) return e;
        }
        return pol__strip_preview_follows(run, c);
    }
    return POL_OK;
}

static void sh_free(void *state)
{
    sh_state *s = state;
    if (s) pol__image_free_px(s->spare);
    free(s);
}

static const pol_op_stream sharpen_stream = {.context = sh_context,
                                             .begin = sh_begin,
                                             .apply = sh_apply,
                                             .free = sh_free};
