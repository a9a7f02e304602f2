/* polish — image.straighten's rotation by a small angle about the centre, then its crop: on the
 * whole picture, or strip by strip from a sliding band of the rows before it (same pixels). */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "image/image_io.h"
#include "image/quality.h"

/*
 * Rotation with a Catmull-Rom bicubic kernel (sharp, no ringing worth noticing at these small
 * angles), then an axis-aligned crop: the largest rectangle of the original aspect ratio that fits
 * inside the rotated frame, so no corner is left empty. Output row y reads the source rows its
 * pixels land on: a band (W/2)·|sin θ| rows each side of its centre line, plus the kernel's reach,
 * which is what a strip keeps of the rows before it.
 */
typedef struct rot_geom {
    int w, h, ch;  /* the source */
    int dw, dh;    /* the result */
    double cs, sn; /* rotation by -tilt: the output samples the source counter-clockwise */
    double ox, oy; /* the output centre in source coordinates */
} rot_geom;

/* The size the rotation by `deg` (clockwise) leaves, cropped or not; 0 when nothing is left. */
static int rot_setup(rot_geom *g, int w, int h, int ch, double deg, int crop)
{
    double t = deg * M_PI / 180, cs = cos(t), sn = sin(t), as = fabs(sn);
    int dw = w, dh = h;
    if (crop) {
        double k = fmin(w / (w * cs + h * as), h / (w * as + h * cs));
        dw = (int)floor(w * k);
        dh = (int)floor(h * k);
    }
    *g = (rot_geom){w, h, ch, dw, dh, cs, -sn, (w - 1) / 2.0, (h - 1) / 2.0};
    return dw >= 1 && dh >= 1;
}

/* Source rows [*lo, *hi) that output rows [a, b) read: the centre line of each output row spans
 * |sn|·(dw - 1)/2 rows each side; two rows of margin above for the kernel and rounding, four below
 * (the kernel reads rows y0 - 1 .. y0 + 2, y0 the floor of a float position). */
static void rot_span(const rot_geom *g, int a, int b, int *lo, int *hi)
{
    double hx = fabs(g->sn) * (g->dw - 1) / 2.0, mid = (g->dh - 1) / 2.0;
    double top = g->cs * (a - mid) + g->oy - hx, bottom = g->cs * (b - 1 - mid) + g->oy + hx;
    double l = floor(top) - 2, h = floor(bottom) + 4;
    *lo = l < 0 ? 0 : l > g->h - 1 ? g->h - 1 : (int)l;
    *hi = h > g->h ? g->h : h < *lo + 1 ? *lo + 1 : (int)h;
}

typedef struct rot_ctx {
    const rot_geom *g;
    const float *const *rows; /* source row first + i at rows[i] */
    int first;
    float *dst; /* output rows [y_at, ...), made by the calls for [0, ...) */
    int y_at;
} rot_ctx;

static inline void cubic_w(float t, float w[4])
{
    float t2 = t * t, t3 = t2 * t;
    w[0] = -0.5f * t3 + t2 - 0.5f * t;
    w[1] = 1.5f * t3 - 2.5f * t2 + 1;
    w[2] = -1.5f * t3 + 2 * t2 + 0.5f * t;
    w[3] = 0.5f * t3 - 0.5f * t2;
}

static void rot_rows(void *user, size_t begin, size_t end)
{
    const rot_ctx *c = user;
    const rot_geom *g = c->g;
    int ch = g->ch, W = g->w, H = g->h;
    for (size_t i = begin; i < end; i++) {
        float *o = c->dst + i * (size_t)g->dw * ch;
        double dy = (double)(i + (size_t)c->y_at) - (g->dh - 1) / 2.0;
        for (int x = 0; x < g->dw; x++, o += ch) {
            double dx = x - (g->dw - 1) / 2.0;
            /* Output pixel -> source position (y grows downwards). */
            double sx = g->cs * dx - g->sn * dy + g->ox, sy = g->sn * dx + g->cs * dy + g->oy;
            int x0 = (int)floorf((float)sx), y0 = (int)floorf((float)sy);
            float wx[4], wy[4];
            cubic_w((float)(sx - x0), wx);
            cubic_w((float)(sy - y0), wy);
            if (ch == 3 && x0 >= 1 && y0 >= 1 && x0 + 2 < W && y0 + 2 < H) {
                /* Interior, RGB: no clamping, channels in registers. */
                float r = 0, gg = 0, b = 0;
                for (int j = 0; j < 4; j++) {
                    const float *q = c->rows[y0 - 1 + j - c->first] + (size_t)(x0 - 1) * 3;
                    float rr = wx[0] * q[0] + wx[1] * q[3] + wx[2] * q[6] + wx[3] * q[9];
                    float g2 = wx[0] * q[1] + wx[1] * q[4] + wx[2] * q[7] + wx[3] * q[10];
                    float bb = wx[0] * q[2] + wx[1] * q[5] + wx[2] * q[8] + wx[3] * q[11];
                    r += wy[j] * rr;
                    gg += wy[j] * g2;
                    b += wy[j] * bb;
                }
                o[0] = pol__clampf(r, 0, 1);
                o[1] = pol__clampf(gg, 0, 1);
                o[2] = pol__clampf(b, 0, 1);
                continue;
            }
            float acc[4] = {0, 0, 0, 0};
            for (int j = 0; j < 4; j++) {
                int py = y0 - 1 + j;
                py = py < 0 ? 0 : py >= H ? H - 1 : py;
                const float *row = c->rows[py - c->first];
                float rowacc[4] = {0, 0, 0, 0};
                for (int i = 0; i < 4; i++) {
                    int px = x0 - 1 + i;
                    px = px < 0 ? 0 : px >= W ? W - 1 : px;
                    const float *p = row + (size_t)px * ch;
                    for (int k = 0; k < ch; k++) rowacc[k] += wx[i] * p[k];
                }
                for (int k = 0; k < ch; k++) acc[k] += wy[j] * rowacc[k];
            }
            for (int k = 0; k < ch; k++) o[k] = pol__clampf(acc[k], 0, 1);
        }
    }
}

static void report(pol_run *run, double tilt, int crop, int w, int h, int dw, int dh)
{
    pol__measure(run, "rotation_deg", -tilt);
    pol__decide(run, "rotated %.2f deg %s%s", fabs(tilt), tilt > 0 ? "clockwise" : "counter-clockwise",
                crop ? "" : " (corners filled from the edges)");
    if (crop) pol__decide(run, "cropped %dx%d -> %dx%d to the largest inscribed rectangle", w, h, dw, dh);
}

pol_status pol__straighten_apply(pol_run *run, pol__image *im, double tilt, int crop)
{
    if (im->points) { /* a streamed item's preview: the strips are rotated (pol__rotate_strips) */
        pol__points_record_rotation(im->points, tilt, crop);
        return POL_OK;
    }
    rot_geom g;
    int W = im->width, H = im->height;
    if (!rot_setup(&g, W, H, im->channels, tilt, crop)) {
        pol__decline(run, "a %dx%d image is too small to rotate and crop", W, H);
        return POL_OK;
    }
    float *px = pol__image_alloc_px(g.dw, g.dh, im->channels);
    const float **rows = malloc((size_t)H * sizeof *rows);
    if (!px || !rows) {
        pol__image_free_px(px);
        free(rows);
        return pol__fail(run, POL_ERR_NOMEM, "out of memory rotating a %dx%d image", W, H);
    }
    for (int y = 0; y < H; y++) rows[y] = pol__image_row(im, y);
    rot_ctx c = {&g, rows, 0, px, 0};
    pol__parallel_for(run, (size_t)g.dh, 8, rot_rows, &c);
    free(rows);
    pol__image_replace_px(im, px, g.dw, g.dh, im->channels);
    report(run, tilt, crop, W, H, g.dw, g.dh);
    return POL_OK;
}

/* ---- strip by strip ------------------------------------------------------------------------- */

typedef struct rot_strips {
    const pol_args *args;
    pol__image_run_fn judge;
    int meta_only; /* the step decides from its arguments alone (a given angle) */
    int judged, active;
    rot_geom g;
    /* the rows before the rotation, [have - cap, have) of them kept, row y at (y % cap) */
    float *ring;
    int cap, have;
    const float **ptrs;
    int next; /* the first output row not yet written */
    float *spare;
} rot_strips;

pol_status pol__rotate_strips_begin(pol_run *run, const pol_args *args, pol__image_run_fn judge,
                                    int meta_only, void **state)
{
    rot_strips *s = calloc(1, sizeof *s);
    if (!s) return pol__fail(run, POL_ERR_NOMEM, "out of memory");
    s->args = args;
    s->judge = judge;
    s->meta_only = meta_only;
    *state = s;
    return POL_OK;
}

void pol__rotate_strips_free(void *state)
{
    rot_strips *s = state;
    if (!s) return;
    free(s->ring);
    free(s->ptrs);
    pol__image_free_px(s->spare);
    free(s);
}

/* Room in the ring for rows [keep, upto): a larger ring, the kept rows moved to their places. */
static pol_status ring_room(pol_run *run, rot_strips *s, int keep, int upto)
{
    if (upto - keep <= s->cap) return POL_OK;
    int cap = upto - keep + 16;
    size_t rowlen = (size_t)s->g.w * (size_t)s->g.ch;
    char what[96];
    snprintf(what, sizeof what, "rotating a %dx%d picture in strips", s->g.w, s->g.h);
    pol_status st = pol__mem_reserve(run, (uint64_t)(cap - s->cap) * rowlen * sizeof(float), what);
    if (st) return st;
    float *ring = malloc((size_t)cap * rowlen * sizeof(float));
    const float **ptrs = malloc((size_t)cap * sizeof *ptrs);
    if (!ring || !ptrs) {
        free(ring);
        free(ptrs);
        return pol__fail(run, POL_ERR_NOMEM, "out of memory %s", what);
    }
    for (int y = keep; y < s->have; y++)
        memcpy(ring + (size_t)(y % cap) * rowlen, s->ring + (size_t)(y % s->cap) * rowlen,
               rowlen * sizeof(float));
    free(s->ring);
    free(s->ptrs);
    s->ring = ring, s->ptrs = ptrs, s->cap = cap;
    return POL_OK;
}

/* With the first strip: the step judges (on the preview, or from its arguments alone); a
 * rotation it recorded is set up for the picture's size at this point of the pipeline. */
static pol_status judge(pol_run *run, rot_strips *s, pol__chunk *c)
{
    const pol__strip *sp = pol__strip_of(c);
    double tilt;
    int crop;
    pol_status st = pol__strip_judge_rotation(run, c, s->meta_only, s->judge, s->args, &tilt, &crop);
    if (st || run->declined) return st;
    if (!rot_setup(&s->g, sp->width, sp->height, sp->channels, tilt, crop)) {
        pol__decline(run, "a %dx%d image is too small to rotate and crop", sp->width, sp->height);
        return POL_OK;
    }
    s->active = 1;
    report(run, tilt, crop, sp->width, sp->height, s->g.dw, s->g.dh);
    return POL_OK;
}

pol_status pol__rotate_strips_apply(pol_run *run, void *state, pol__chunk *c)
{
    rot_strips *s = state;
    pol_status st;
    if (!s->judged) {
        s->judged = 1;
        if ((st = judge(run, s, c))) return st;
    }
    if (!s->active) return POL_OK;
    pol__strip *sp = pol__strip_of(c);
    const rot_geom *g = &s->g;
    /* (an empty core may carry any start: a crop's rows past its box) */
    if ((c->n && (int)c->start != s->have) || sp->width != g->w || sp->height != g->h ||
        sp->channels != g->ch)
        return pol__fail(run, POL_ERR_INTERNAL, "rotating strips: rows %d-%d came after row %d",
                         (int)c->start, (int)(c->start + c->n), s->have);
    int after = (int)c->after, lo, hi;
    /* the rows the next output rows read from on: the rest is no longer needed */
    rot_span(g, s->next > after ? s->next - after : 0, s->next + 1, &lo, &hi);
    int keep = lo < s->have ? lo : s->have, in_end = s->have + (int)c->n;
    if (!s->cap) {
        /* what the ring holds at most: the band of the first output row not yet made, with the
         * context around it, and the strip that came in (all output rows it completed are made) */
        int m = g->dh / 2, l2, h2;
        rot_span(g, m - after, m + after + 1, &l2, &h2);
        if ((st = ring_room(run, s, 0, h2 - l2 + (int)c->n))) return st;
    }
    if ((st = ring_room(run, s, keep, in_end))) return st;
    size_t rowlen = (size_t)g->w * (size_t)g->ch;
    for (int y = s->have; y < in_end; y++)
        memcpy(s->ring + (size_t)(y % s->cap) * rowlen, sp->px + (size_t)(c->pre + (size_t)(y - s->have)) * rowlen,
               rowlen * sizeof(float));
    s->have = in_end;
    /* the output rows whose band (and the context the steps after need) has come in */
    int y1 = g->dh;
    if (s->have < g->h) {
        int a = s->next, b = g->dh; /* the first row that is not ready */
        while (a < b) {
            int m = a + (b - a) / 2, e = m + 1 + after < g->dh ? m + 1 + after : g->dh;
            rot_span(g, m, e, &lo, &hi);
            if (hi <= s->have)
                a = m + 1;
            else
                b = m;
        }
        y1 = a;
    }
    if (y1 <= s->next) { /* nothing to write yet */
        pol__strip_replace(c, sp->px, g->dw, g->dh, (uint64_t)s->next, 0, 0, 0);
        return POL_OK;
    }
    int a = s->next > after ? s->next - after : 0, b = y1 + after < g->dh ? y1 + after : g->dh;
    rot_span(g, a, b, &lo, &hi);
    if (lo < s->have - s->cap || hi > s->have)
        return pol__fail(run, POL_ERR_INTERNAL, "rotating strips: rows %d-%d need rows %d-%d, %d-%d "
                         "are kept", a, b, lo, hi, s->have - s->cap, s->have);
    for (int y = lo; y < hi; y++) s->ptrs[y - lo] = s->ring + (size_t)(y % s->cap) * rowlen;
    float *px = pol__strip_buffer(&s->spare, (size_t)g->dw * (size_t)(b - a) * (size_t)g->ch);
    if (!px) return pol__fail(run, POL_ERR_NOMEM, "out of memory rotating a %dx%d image", g->w, g->h);
    rot_ctx rc = {g, s->ptrs, lo, px, a};
    pol__parallel_for(run, (size_t)(b - a), 8, rot_rows, &rc);
    pol__strip_swap(c, px, &s->spare);
    pol__strip_replace(c, px, g->dw, g->dh, (uint64_t)s->next, (size_t)(s->next - a),
                       (size_t)(y1 - s->next), (size_t)(b - y1));
    s->next = y1;
    return POL_OK;
}
