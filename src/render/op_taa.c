/* polish — render.aa's temporal mode: when the frame is one of a sequence (the engine runs a
 * sequence's frames in order) and has a motion pass, the previous frame's output is reprojected
 * into this one and blended with it, so edges, thin lines and texture moving by sub-pixel amounts
 * are resolved from many frames' samples instead of one (after Karis 2014, "High Quality Temporal
 * Supersampling", and Salvi 2016, "An Excursion in Temporal Supersampling"):
 *  - each pixel's motion takes it to where it was, and the previous output is read there with a
 *    Catmull-Rom filter (bilinear reads would blur the history a little more every frame); the
 *    motion of the nearest surface of the 3x3 (Karis) measured worse on the test's scene (more
 *    error where a moving disc uncovers background), so a pixel keeps its own;
 *  - disocclusion: where the previous frame's depth at that place is not this surface's (by more
 *    than DISOCC), the surface was hidden then, and the history is not used; nor where the place
 *    was off the frame;
 *  - the history is clipped towards the mean of this frame's 3x3 neighbourhood, to the box of its
 *    mean plus and minus GAMMA standard deviations (variance clipping), in YCoCg of tone-compressed
 *    colour (c / (1 + luma), so a highlight does not widen the box of everything near it), alpha
 *    as a fourth axis;
 *  - exponential blend: the frame's own sample (before any anti-aliasing: the spatial AA's as the
 *    sample measured 1 dB worse) weighs 1/(age + 1) (a pixel's history is the mean of its first
 *    frames), at least 1 - feedback;
 *  - where no history is used (the first frame, after a gap, disocclusion, off the frame) the
 *    pixel is the spatial anti-aliasing's (SMAA or FXAA class, op_aa.c).
 * The history (this output in YCoCg, its depth and each pixel's age) is kept for the next frame
 * with pol__seq_keep: one frame's worth whatever the sequence's length. */
#include <stdlib.h>
#include <string.h>
#include "render/render.h"

#define DISOCC 0.05f /* relative depth difference beyond which the history is another surface */
#define GAMMA 1.0f   /* the variance box: mean +- GAMMA sigma */
#define AGE_MAX 255.0f

typedef struct taa_hist {
    int w, h;
    long long frame;
    float *c;   /* w*h*4: the output, tone-compressed YCoCg and alpha */
    float *z;   /* w*h depth, or NULL */
    float *age; /* w*h frames of history behind each pixel */
} taa_hist;

static void hist_free(void *p)
{
    taa_hist *h = p;
    if (!h) return;
    free(h->c);
    free(h->z);
    free(h->age);
    free(h);
}

/* linear premultiplied RGBA -> tone-compressed YCoCg, alpha */
static inline void to_ycocg(const float *p, float *o)
{
    float l = pol__rn_luma(p);
    float k = 1 / (1 + (l > 0 ? l : 0));
    float r = p[0] * k, g = p[1] * k, b = p[2] * k;
    o[0] = 0.25f * r + 0.5f * g + 0.25f * b;
    o[1] = 0.5f * r - 0.5f * b;
    o[2] = -0.25f * r + 0.5f * g - 0.25f * b;
    o[3] = p[3];
}

static inline void from_ycocg(const float *o, float *p)
{
    float r = o[0] + o[1] - o[2], g = o[0] + o[2], b = o[0] - o[1] - o[2];
    float c[3] = {r, g, b};
    float l = pol__rn_luma(c);
    float k = 1 / (1 - (l < 0.999f ? (l > 0 ? l : 0) : 0.999f));
    p[0] = r * k, p[1] = g * k, p[2] = b * k, p[3] = o[3];
}

typedef struct taa_ctx {
    const pol__render *r;
    const float *raw;     /* this frame before anti-aliasing, tone-compressed YCoCg */
    const float *spatial; /* the spatial AA's result (r->rgba) */
    const float *mv, *z;  /* motion and depth passes (z may be NULL) */
    const taa_hist *h;
    float *out;           /* w*h*4 YCoCg: the new history */
    float *age;           /* w*h */
    float *rgba;          /* the frame's pixels, written */
    float sx, sy;         /* the place in the frame before: (x + sx mv.x, y + sy mv.y) */
    float min_a;          /* 1 - feedback */
    size_t used, offscreen, disocc, clipped;
} taa_ctx;

static inline float cr_w(float t, int k) /* Catmull-Rom weights of taps -1, 0, 1, 2 at t in [0,1) */
{
    float t2 = t * t, t3 = t2 * t;
    switch (k) {
    case 0: return -0.5f * t3 + t2 - 0.5f * t;
    case 1: return 1.5f * t3 - 2.5f * t2 + 1;
    case 2: return -1.5f * t3 + 2 * t2 + 0.5f * t;
    default: return 0.5f * t3 - 0.5f * t2;
    }
}

/* the history at (qx, qy) (pixel units, centres at +0.5), Catmull-Rom, edges clamped */
static void hist_at(const taa_hist *h, float qx, float qy, float *o)
{
    float u = qx - 0.5f, v = qy - 0.5f;
    int i0 = (int)floorf(u), j0 = (int)floorf(v);
    float fu = u - (float)i0, fv = v - (float)j0;
    float wx[4], wy[4];
    for (int k = 0; k < 4; k++) wx[k] = cr_w(fu, k), wy[k] = cr_w(fv, k);
    o[0] = o[1] = o[2] = o[3] = 0;
    for (int j = 0; j < 4; j++) {
        int yy = j0 - 1 + j;
        yy = yy < 0 ? 0 : yy >= h->h ? h->h - 1 : yy;
        float rw[4] = {0, 0, 0, 0};
        for (int i = 0; i < 4; i++) {
            int xx = i0 - 1 + i;
            xx = xx < 0 ? 0 : xx >= h->w ? h->w - 1 : xx;
            const float *p = h->c + ((size_t)yy * h->w + xx) * 4;
            for (int k = 0; k < 4; k++) rw[k] += wx[i] * p[k];
        }
        for (int k = 0; k < 4; k++) o[k] += wy[j] * rw[k];
    }
}

static void taa_rows(void *u, size_t b, size_t e)
{
    taa_ctx *c = u;
    const int w = c->r->w, hh = c->r->h;
    const taa_hist *h = c->h;
    size_t used = 0, off = 0, dis = 0, clip = 0;
    for (int y = (int)b; y < (int)e; y++)
        for (int x = 0; x < w; x++) {
            size_t i = (size_t)y * w + x;
            float qx = (float)x + 0.5f + c->sx * c->mv[2 * i];
            float qy = (float)y + 0.5f + c->sy * c->mv[2 * i + 1];
            float *o = c->out + 4 * i;
            int ok = qx >= 0 && qy >= 0 && qx <= (float)w && qy <= (float)hh;
            if (!ok) off++;
            if (ok && c->z && h->z) {
                /* was this surface there in the frame before? The depth of the pixel holding the
                 * place it was at (not the nearest of the four around: a band uncovered by less
                 * than a pixel would always find one) */
                float zr = c->z[i];
                int px0 = (int)qx, py0 = (int)qy;
                px0 = px0 < 0 ? 0 : px0 >= w ? w - 1 : px0;
                py0 = py0 < 0 ? 0 : py0 >= hh ? hh - 1 : py0;
                if (!(fabsf(h->z[(size_t)py0 * w + px0] - zr) <= DISOCC * zr)) {
                    ok = 0;
                    dis++;
                }
            }
            float *px = c->rgba + 4 * i;
            if (!ok) { /* no history: the spatial AA's pixel (already in the frame) */
                to_ycocg(px, o);
                c->age[i] = 1;
                continue;
            }
            used++;
            /* the neighbourhood's mean and deviation in this frame */
            float m[4] = {0, 0, 0, 0}, m2[4] = {0, 0, 0, 0};
            for (int dy = -1; dy <= 1; dy++)
                for (int dx = -1; dx <= 1; dx++) {
                    int xx = x + dx, yy = y + dy;
                    xx = xx < 0 ? 0 : xx >= w ? w - 1 : xx;
                    yy = yy < 0 ? 0 : yy >= hh ? hh - 1 : yy;
                    const float *p = c->raw + ((size_t)yy * w + xx) * 4;
                    for (int k = 0; k < 4; k++) m[k] += p[k], m2[k] += p[k] * p[k];
                }
            float hv[4], amax = 0, ext[4];
            hist_at(h, qx, qy, hv);
            for (int k = 0; k < 4; k++) {
                m[k] *= 1.0f / 9, m2[k] *= 1.0f / 9;
                float var = m2[k] - m[k] * m[k];
                ext[k] = GAMMA * sqrtf(var > 0 ? var : 0) + 1e-5f;
                float a = fabsf(hv[k] - m[k]) / ext[k];
                amax = a > amax ? a : amax;
            }
            if (amax > 1) { /* clipped towards the mean, onto the box */
                clip++;
                for (int k = 0; k < 4; k++) hv[k] = m[k] + (hv[k] - m[k]) / amax;
            }
            int ax = (int)qx, ay = (int)qy;
            ax = ax < w ? ax : w - 1, ay = ay < hh ? ay : hh - 1;
            float age = h->age[(size_t)ay * w + ax];
            float a = 1 / (age + 1);
            a = a > c->min_a ? a : c->min_a;
            const float *cur = c->raw + 4 * i; /* the frame's own sample, not the spatial AA's */
            for (int k = 0; k < 4; k++) o[k] = hv[k] + a * (cur[k] - hv[k]);
            c->age[i] = age + 1 < AGE_MAX ? age + 1 : AGE_MAX;
            from_ycocg(o, px);
        }
    __atomic_add_fetch(&c->used, used, __ATOMIC_RELAXED);
    __atomic_add_fetch(&c->offscreen, off, __ATOMIC_RELAXED);
    __atomic_add_fetch(&c->disocc, dis, __ATOMIC_RELAXED);
    __atomic_add_fetch(&c->clipped, clip, __ATOMIC_RELAXED);
}

typedef struct raw_ctx {
    const float *src;
    float *dst;
    int w;
} raw_ctx;

static void raw_rows(void *u, size_t b, size_t e)
{
    raw_ctx *c = u;
    for (size_t i = b * c->w; i < e * c->w; i++) to_ycocg(c->src + 4 * i, c->dst + 4 * i);
}

pol_status pol__render_aa_temporal(pol_run *run, pol__render *r, const void *key, int method,
                                   float thr, float subq, int search, float feedback, int blender)
{
    const pol__seq_frame *sq = pol__sequence(run);
    size_t n = (size_t)r->w * r->h;
    pol_status st = pol__mem_reserve(run, n * 4 * (4 + 4 + 1 + 1), "temporal anti-aliasing buffers");
    if (st) return st;
    pol__render_flush(run, r);
    taa_hist *prev = pol__seq_state(run, key);
    const char *why = NULL;
    if (!prev) why = "the first frame of the sequence";
    else if (prev->w != r->w || prev->h != r->h) why = "the frame before has another size";
    else if (prev->frame != sq->frame - 1) why = "the frame before it is missing";
    if (why) prev = NULL;
    taa_hist *nh = calloc(1, sizeof *nh);
    float *raw = prev ? malloc(n * 16) : NULL;
    if (nh) {
        nh->w = r->w, nh->h = r->h, nh->frame = sq->frame;
        nh->c = malloc(n * 16), nh->age = malloc(n * 4);
        nh->z = r->pass[POL_RP_DEPTH] ? malloc(n * 4) : NULL;
    }
    if (!nh || !nh->c || !nh->age || (r->pass[POL_RP_DEPTH] && !nh->z) || (prev && !raw)) {
        hist_free(nh);
        free(raw);
        return pol__fail(run, POL_ERR_NOMEM, "out of memory");
    }
    if (raw) {
        raw_ctx rc = {r->rgba, raw, r->w};
        pol__parallel_blocks(run, (size_t)r->h, 16, raw_rows, &rc);
    }
    size_t edges = 0;
    st = pol__render_aa(run, r, method, thr, subq, search, &edges);
    if (st) {
        hist_free(nh);
        free(raw);
        return st;
    }
    pol__measure(run, "edge_pixel_fraction", (double)edges / (double)n);
    if (nh->z) memcpy(nh->z, r->pass[POL_RP_DEPTH], n * 4);
    if (!prev) {
        raw_ctx rc = {r->rgba, nh->c, r->w};
        pol__parallel_blocks(run, (size_t)r->h, 16, raw_rows, &rc);
        for (size_t i = 0; i < n; i++) nh->age[i] = 1;
        pol__measure(run, "temporal_history_fraction", 0);
        pol__decide(run, "temporal: no history (%s): spatial anti-aliasing (%s class) on %zu edge "
                    "pixels; this output is the next frame's history", why,
                    method == POL_AA_SMAA ? "SMAA" : "FXAA", edges);
    } else {
        taa_ctx c = {.r = r, .raw = raw, .spatial = r->rgba, .mv = r->pass[POL_RP_MOTION],
                     .z = r->pass[POL_RP_DEPTH], .h = prev, .out = nh->c, .age = nh->age,
                     .rgba = r->rgba, .sx = blender ? 1.0f : -1.0f, .sy = -1.0f,
                     .min_a = 1 - feedback};
        pol__parallel_blocks(run, (size_t)r->h, 8, taa_rows, &c);
        double dn = (double)n;
        pol__measure(run, "temporal_history_fraction", (double)c.used / dn);
        pol__measure(run, "disoccluded_fraction", (double)c.disocc / dn);
        pol__measure(run, "offscreen_fraction", (double)c.offscreen / dn);
        pol__measure(run, "clipped_fraction", (double)c.clipped / dn);
        pol__decide(run, "temporal: the frame before reprojected by the motion pass and blended on "
                    "%.1f%% of pixels (%.1f%% of them clipped to this frame's neighbourhood); "
                    "spatial anti-aliasing where no history holds (%.1f%% disoccluded by depth, "
                    "%.1f%% from off the frame)%s",
                    100.0 * (double)c.used / dn, c.used ? 100.0 * (double)c.clipped / (double)c.used : 0,
                    100.0 * (double)c.disocc / dn, 100.0 * (double)c.offscreen / dn,
                    r->pass[POL_RP_DEPTH] ? "" : "; no depth pass, so disocclusion is left to the clip");
    }
    free(raw);
    pol__seq_keep(run, key, nh, hist_free);
    return POL_OK;
}
