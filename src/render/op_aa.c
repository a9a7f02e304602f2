/* polish — render.aa: morphological anti-aliasing, two methods on a perceptual luma of the
 * tone-compressed frame (so HDR highlights do not hide edges), blending in linear light:
 *  - smaa (default), after Jimenez et al. 2012 ("SMAA: Enhanced Subpixel Morphological
 *    Antialiasing"): edges between pixels from luma steps with local contrast adaptation (an edge
 *    much weaker than a neighbouring one is dropped), then for each edge segment a search along
 *    it both ways (up to `search` pixels) for its ends and the crossing edges there, which give
 *    its shape (L, Z, U); the silhouette is re-vectorised as lines from the ends' half-steps to
 *    the segment's middle and each pixel's blending weights are the areas that line cuts off
 *    (a half with no step gets the expected look of an edge of unknown position, see FLAT);
 *    a step counts only where it is a stair of one silhouette (see end_height: crossings of
 *    texture lines, corners, T-junctions and bumps are edges of unknown position instead);
 *    last, each pixel is blended with its neighbours by those weights, along one axis, and
 *    where edges crowd (texture finer than a pixel) softened by a 3x3 tent. No diagonal
 *    pattern search (SMAA's optional part).
 *  - fxaa, of the FXAA 3.11 kind: each edge pixel searches along its edge for the ends and blends
 *    with its neighbour across by the coverage the edge's position gives. */
#include <limits.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include "render/render.h"
#ifdef __SSE__
#include <xmmintrin.h>
#endif

static const pol_param_desc params[] = {
    {"method", POL_PARAM_ENUM, "smaa", 0, -1, "smaa|fxaa", "Which morphological method.",
     .choice_help = (const char *const[]){
         "smaa: edges between pixels, pattern search along each edge, area blending (SMAA 1x class)",
         "fxaa: per-pixel edge direction and end search (FXAA 3.11 class), softens sub-pixel detail",
         NULL}},
    {"search", POL_PARAM_INT, "32", 4, 128, NULL,
     "smaa: how far along an edge its ends are searched, each way (pixels)."},
    {"threshold", POL_PARAM_NUM, "0.063", 0.01, 0.5, NULL,
     "Smallest local contrast (perceptual luma) treated as an edge."},
    {"subpixel", POL_PARAM_NUM, "0.75", 0, 1, NULL,
     "How much sub-pixel detail (thin lines, dots, texture finer than a pixel) is softened."},
    {"temporal", POL_PARAM_ENUM, "auto", 0, -1, "auto|off",
     "Temporal anti-aliasing on the frames of a sequence with a motion pass (op_taa.c).",
     .choice_help = (const char *const[]){
         "auto: on a sequence's frames with a motion pass, the frame before reprojected, clipped "
         "to this frame's neighbourhood and blended; spatial where no history holds",
         "off: each frame on its own (spatial only)", NULL}},
    {"feedback", POL_PARAM_NUM, "0.9", 0, 0.98, NULL,
     "temporal: the most weight the history keeps per frame (a frame's own sample weighs at least "
     "1 - feedback)."},
    {"motion", POL_PARAM_ENUM, "auto", 0, -1, "auto|blender|forward",
     "temporal: how the motion pass's two channels are meant.",
     .choice_help = (const char *const[]){
         "auto: blender for a pass named Vector (Blender's), else forward",
         "blender: where the pixel was in the frame before, relative to here, y up (Blender's "
         "Vector.X, Vector.Y)",
         "forward: how far the pixel moved since the frame before, x right, y down the rows",
         NULL}},
};

/* The frame is anti-aliased in place, in bands of BAND rows: a pixel blends with one neighbour
 * across its edge, so each band keeps the original of the row above the one it is changing, and
 * the rows at band edges (which a neighbouring band may be changing at the same time) are read
 * from copies made before any band starts. */
#define BAND 16

typedef struct aa_ctx {
    const pol__render *r;
    float *edge_rows; /* per band: its first and its last row as they were, w*4 floats each */
    float *dst;
    const float *L;
    float thr, thr_min, subq;
    size_t edges;
    int nomem;
    pol_run *run;
} aa_ctx;

#define LU(x, y) c->L[(size_t)((y) < 0 ? 0 : (y) >= h ? h - 1 : (y)) * w + (size_t)((x) < 0 ? 0 : (x) >= w ? w - 1 : (x))]

static void luma_rows(void *u, size_t b, size_t e)
{
    aa_ctx *c = u;
    const pol__render *r = c->r;
    float *L = (float *)c->L;
    for (size_t i = b * r->w; i < e * r->w; i++) {
        float l = pol__rn_luma(r->rgba + 4 * i);
        l = l > 0 ? l / (1 + l) : 0; /* tone-compressed, then perceptual */
        L[i] = sqrtf(l);
    }
}

/* the original of row yy as band `band` (rows y0..y1-1, now at row y) may read it */
static const float *orig_row(const aa_ctx *c, int yy, int y0, int y1, const float *prev,
                             const float *cur, int y)
{
    const size_t w = (size_t)c->r->w;
    if (yy == y) return cur;
    if (yy == y - 1) return yy < y0 ? c->edge_rows + ((size_t)(yy / BAND) * 2 + 1) * w * 4 : prev;
    if (yy >= y1) return c->edge_rows + (size_t)(yy / BAND) * 2 * w * 4; /* next band's first */
    return c->dst + (size_t)yy * w * 4;                                   /* not changed yet */
}

static void rows(void *u, size_t b, size_t e)
{
    aa_ctx *c = u;
    const int w = c->r->w, h = c->r->h;
    static const int steps[] = {1, 1, 1, 1, 1, 2, 2, 2, 2, 4, 8};
    const int nsteps = (int)(sizeof steps / sizeof steps[0]);
    size_t edges = 0;
    float *buf = malloc((size_t)w * 32); /* the originals of the previous and the current row */
    if (!buf) {
        __atomic_store_n(&c->nomem, 1, __ATOMIC_RELAXED);
        return;
    }
    int y0 = (int)b * BAND, y1 = (int)e * BAND > h ? h : (int)e * BAND;
    float *prev = buf, *cur = buf + (size_t)w * 4;
    for (int y = y0; y < y1; y++) {
        memcpy(cur, c->dst + (size_t)y * w * 4, (size_t)w * 16);
        for (int x = 0; x < w; x++) {
            float M = LU(x, y), N = LU(x, y - 1), S = LU(x, y + 1), E = LU(x + 1, y), W = LU(x - 1, y);
            float mx = fmaxf(fmaxf(fmaxf(N, S), fmaxf(E, W)), M);
            float mn = fminf(fminf(fminf(N, S), fminf(E, W)), M);
            float range = mx - mn;
            if (range < fmaxf(c->thr_min, mx * c->thr)) continue;
            edges++;
            float NW = LU(x - 1, y - 1), NE = LU(x + 1, y - 1), SW = LU(x - 1, y + 1), SE = LU(x + 1, y + 1);
            /* sub-pixel aliasing: how far M stands out of its neighbourhood */
            float avg = (2 * (N + S + E + W) + NW + NE + SW + SE) / 12.0f;
            float sb = fminf(fabsf(avg - M) / range, 1.0f);
            float sc = (-2 * sb + 3) * sb * sb;
            float sub = sc * sc * c->subq;
            float horz = 2 * fabsf(N + S - 2 * M) + fabsf(NE + SE - 2 * E) + fabsf(NW + SW - 2 * W);
            float vert = 2 * fabsf(E + W - 2 * M) + fabsf(NE + NW - 2 * N) + fabsf(SE + SW - 2 * S);
            int hz = horz >= vert; /* a horizontal edge: the neighbour across is N or S */
            float l1 = hz ? N : W, l2 = hz ? S : E;
            float g1 = fabsf(l1 - M), g2 = fabsf(l2 - M);
            int dir = g1 >= g2 ? -1 : 1;
            float ln = dir < 0 ? l1 : l2, grad = fmaxf(g1, g2);
            float mid = 0.5f * (M + ln), gs = 0.25f * grad;
            /* search both ways along the edge for where it ends */
            int ax = hz ? 1 : 0, ay = hz ? 0 : 1; /* along */
            int cx = hz ? 0 : dir, cy = hz ? dir : 0; /* across */
            int dn = 0, dp = 0;
            float en = mid, ep = mid;
            int done_n = 0, done_p = 0;
            for (int s = 0; s < nsteps && !(done_n && done_p); s++) {
                if (!done_n) {
                    dn += steps[s];
                    int px = x - ax * dn, py = y - ay * dn;
                    en = 0.5f * (LU(px, py) + LU(px + cx, py + cy));
                    done_n = fabsf(en - mid) >= gs;
                }
                if (!done_p) {
                    dp += steps[s];
                    int px = x + ax * dp, py = y + ay * dp;
                    ep = 0.5f * (LU(px, py) + LU(px + cx, py + cy));
                    done_p = fabsf(ep - mid) >= gs;
                }
            }
            float dist = (float)(dn < dp ? dn : dp) - 0.5f;
            float span = (float)(dn + dp) - 1.0f;
            float eclose = dn < dp ? en : ep;
            int mneg = (M - mid) < 0;
            int good = ((eclose - mid) < 0) != mneg;
            float off = good ? 0.5f - dist / span : 0.0f;
            if (off < 0) off = 0;
            off = fmaxf(off, sub);
            if (off <= 0) continue;
            int nx = x + cx, ny = y + cy;
            nx = nx < 0 ? 0 : nx >= w ? w - 1 : nx;
            ny = ny < 0 ? 0 : ny >= h ? h - 1 : ny;
            const float *pm = cur + (size_t)x * 4;
            const float *pn = orig_row(c, ny, y0, y1, prev, cur, y) + (size_t)nx * 4;
            float *d = c->dst + ((size_t)y * w + x) * 4;
            for (int k = 0; k < 4; k++) d[k] = pm[k] + off * (pn[k] - pm[k]);
        }
        float *t = prev;
        prev = cur, cur = t;
    }
    free(buf);
    __atomic_add_fetch(&c->edges, edges, __ATOMIC_RELAXED);
}

/* ---- SMAA class ----------------------------------------------------------------------------- */

/* edge bits of a pixel: its left side (between x-1 and x) and its top side (between y-1 and y) */
#define E_LEFT 1
#define E_TOP 2
/* Where an edge has no step at an end, the silhouette's position inside its pixels is unknown:
 * uniformly anywhere between the two pixel centres, the expected share of each pixel the other
 * side covers is 1/8 (MLAA/SMAA leave them as they are). The mean of the light is not the mean
 * of the look: a dark pixel that may hold a sliver of a bright one looks, on average, much less
 * lit than 1/8 of the bright one makes it, and a bright one the other way round. So each side
 * takes the share of the other that gives it the expected perceptual luma (flat_share); FLAT
 * where the two are alike. */
#define FLAT 0.125f
/* an X-junction: the edge resumes this far past its end with the opposite polarity */
#define XJ_GAP 4
/* a stair: the next run along the crossing edge within this many rows */
#define STAIR_RISE 2
/* the sub-pixel softening starts above SUB_LO edges in a 3x3 and is full SUB_SPAN edges later */
#define SUB_LO 3
#define SUB_SPAN 6.0f

/* What one block of rows blended: pixel indices and their new values, written into the frame
 * after every block is done (so every blend reads the originals, with no row copies). */
#define BLEND_GRAIN 16
typedef struct sm_out {
    uint32_t *idx;
    float *px;
    size_t n, cap;
} sm_out;

typedef struct sm_ctx {
    aa_ctx *a;
    uint16_t *L;       /* w*h perceptual luma, 0..65535 */
    unsigned char *e;  /* w*h edge bits */
    int search, thr16;
    sm_out *out;       /* one per block of BLEND_GRAIN rows */
    size_t nout;
} sm_ctx;

/* fused with the deferred steps' pass: perceptual luma of the tone-compressed frame, 16 bits;
 * 4 pixels at a time (transposed in vectors: each lane the same operations as one pixel alone) */
typedef pol__v4f v4f;
typedef pol__v4i v4i;
typedef uint16_t v4u16 __attribute__((vector_size(8)));
static void sm_luma_rows(void *u, size_t b, size_t e)
{
    sm_ctx *s = u;
    const pol__render *r = s->a->r;
    const float *p = r->rgba + b * r->w * 4;
    uint16_t *L = s->L + b * r->w;
    size_t n = (e - b) * r->w, i = 0;
    for (; i + 4 <= n; i += 4) {
        v4f vr, vg, vb, va;
        pol__rn_rgba4(p + 4 * i, &vr, &vg, &vb, &va);
        v4f l = 0.2126f * vr + 0.7152f * vg + 0.0722f * vb;
        v4i pos = l > 0;
        l = (v4f)(pos & (v4i)(l / (1 + l)));
#ifdef __SSE__
        v4f q = (v4f)_mm_sqrt_ps((__m128)l);
#else
        v4f q;
        for (int k = 0; k < 4; k++) q[k] = sqrtf(l[k]);
#endif
        q = q * 65535.0f + 0.5f;
        v4u16 o = __builtin_convertvector(__builtin_convertvector(q, v4i), v4u16);
        memcpy(L + i, &o, sizeof o);
    }
    for (; i < n; i++) {
        float l = 0.2126f * p[4 * i] + 0.7152f * p[4 * i + 1] + 0.0722f * p[4 * i + 2];
        l = l > 0 ? l / (1 + l) : 0;
        L[i] = (uint16_t)(sqrtf(l) * 65535.0f + 0.5f);
    }
}

typedef uint16_t v8u16 __attribute__((vector_size(16)));
typedef int16_t v8i16 __attribute__((vector_size(16)));

static void sm_edge_rows(void *u, size_t b, size_t e)
{
    sm_ctx *s = u;
    const int w = s->a->r->w, h = s->a->r->h, thr = s->thr16;
    for (int y = (int)b; y < (int)e; y++) {
        const uint16_t *r0 = s->L + (size_t)y * w;
        const uint16_t *rt = y > 0 ? r0 - w : r0, *rtt = y > 1 ? r0 - 2 * (size_t)w : rt;
        const uint16_t *rb = y + 1 < h ? r0 + w : r0;
        unsigned char *o = s->e + (size_t)y * w;
        for (int x = 0; x < w; x++) {
            if (x > 0 && x + 8 <= w && thr > 0) {
                /* 8 pixels whose steps to the left and above are all under the threshold have
                 * no edge bits: found in one vector test (the steps as unsigned differences) */
                v8u16 m, l, t;
                memcpy(&m, r0 + x, 16), memcpy(&l, r0 + x - 1, 16), memcpy(&t, rt + x, 16);
                v8u16 gl = (v8u16)(m > l), gt = (v8u16)(m > t);
                v8u16 dl = (gl & (m - l)) | (~gl & (l - m)), dt = (gt & (m - t)) | (~gt & (t - m));
                v8i16 over = (v8i16)((dl >= (uint16_t)thr) | (dt >= (uint16_t)thr));
                uint64_t any[2];
                memcpy(any, &over, 16);
                if (!(any[0] | any[1])) {
                    memset(o + x, 0, 8);
                    x += 7;
                    continue;
                }
            }
            int M = r0[x];
            int dl = x > 0 ? abs(M - r0[x - 1]) : 0, dt = abs(M - rt[x]);
            unsigned char bits = (dl >= thr ? E_LEFT : 0) | (dt >= thr ? E_TOP : 0);
            if (bits) {
                /* local contrast adaptation: an edge less than half as strong as the strongest
                 * step around it is a texture's or a gradient's, not a silhouette's */
                int dr = x + 1 < w ? abs(M - r0[x + 1]) : 0, db = abs(M - rb[x]);
                int dll = x > 1 ? abs(r0[x - 1] - r0[x - 2]) : 0;
                int dtt = abs(rt[x] - rtt[x]);
                int mx = dl > dt ? dl : dt;
                mx = dr > mx ? dr : mx, mx = db > mx ? db : mx;
                mx = dll > mx ? dll : mx, mx = dtt > mx ? dtt : mx;
                if ((bits & E_LEFT) && 2 * dl < mx) bits &= (unsigned char)~E_LEFT;
                if ((bits & E_TOP) && 2 * dt < mx) bits &= (unsigned char)~E_TOP;
            }
            o[x] = bits;
        }
    }
}

/* The integral of the re-vectorised line's height over [a0, a1] of a segment of length L whose
 * ends are at heights h0 (t = 0) and h1 (t = L), each half a line to height 0 at the middle:
 * the part above the edge in *pos, below in *neg. */
static void seg_area(float L, float h0, float h1, float a0, float a1, float fpos, float fneg,
                     float *pos, float *neg)
{
    float m = 0.5f * L;
    *pos = *neg = 0;
    for (int half = 0; half < 2; half++) {
        float lo = half ? fmaxf(a0, m) : a0, hi = half ? a1 : fminf(a1, m);
        float hend = half ? h1 : h0;
        if (hi <= lo) continue;
        if (hend == 0) { /* no step: where the edge lies inside the pixel is unknown */
            *pos += fpos * (hi - lo), *neg += fneg * (hi - lo);
            continue;
        }
        /* height at t: half 0: h0 (1 - t/m); half 1: h1 (t - m)/m */
        float ylo = half ? hend * (lo - m) / m : hend * (1 - lo / m);
        float yhi = half ? hend * (hi - m) / m : hend * (1 - hi / m);
        float area = 0.5f * (ylo + yhi) * (hi - lo);
        if (area > 0) *pos += area;
        else *neg -= area;
    }
}

static inline unsigned char q8(float v)
{
    v = v < 0 ? 0 : v > 1 ? 1 : v;
    return (unsigned char)(v * 255 + 0.5f);
}

/* linear luma from the 16-bit perceptual one and back (l / (1 + l) = p^2) */
static inline float lin_of(float p)
{
    p = fminf(p, 0.9995f);
    return p * p / (1 - p * p);
}
static inline float perc_of(float l) { return l > 0 ? sqrtf(l / (1 + l)) : 0; }

/* The share of neighbour n a pixel m takes across an edge of unknown position (see FLAT): half
 * the time the edge misses m, half the time it covers a uniform 0..1/2 of it (two-point Gauss
 * quadrature); the share whose perceptual luma is that mean. Tabulated over the lumas' top 7
 * bits (16 KB: it stays in the first-level cache), in steps of 1/510 (the weights are kept in 8
 * bits anyway), once for the process. */
#define FT_BITS 7
#define FT_N (1 << FT_BITS)
#define FT(m, n) flat_tab[(m) >> (16 - FT_BITS)][(n) >> (16 - FT_BITS)]
static unsigned char flat_tab[FT_N][FT_N];
static pthread_once_t flat_once = PTHREAD_ONCE_INIT;

static void flat_build(void)
{
    for (int i = 0; i < FT_N; i++)
        for (int j = 0; j < FT_N; j++) {
            float pm = ((float)i + 0.5f) / FT_N, lm = lin_of(pm);
            float d = lin_of(((float)j + 0.5f) / FT_N) - lm, f = FLAT;
            if (fabsf(d) >= 1e-4f) {
                float t = 0.5f * pm +
                          0.25f * (perc_of(lm + 0.10566f * d) + perc_of(lm + 0.39434f * d));
                f = (lin_of(t) - lm) / d;
            }
            flat_tab[i][j] = (unsigned char)(510 * (f < 0 ? 0 : f > 0.5f ? 0.5f : f) + 0.5f);
        }
}

static inline float flat_share(uint16_t m, uint16_t n) { return FT(m, n) * (1 / 510.0f); }

/* The height of the silhouette at one end of a run (+-0.5: a step to the minus or the plus side;
 * 0: unknown), in run coordinates: u along the run, v across (`vert` swaps them to x, y), the
 * edge between rows v-1 and v, e the run's end pixel, cu the column of the crossing edge there,
 * dir the way out of the run (-1, +1). SMAA reads any crossing edge at one side as a step of the
 * silhouette; here it counts only as a stair: the edge must go on along the crossing edge within
 * STAIR_RISE rows, between the same two colours (luma within the threshold), and must not resume
 * on its own line with the opposite polarity within XJ_GAP (a line crossing it: two texture
 * lines, a checker's corner). A corner of a shape, a T-junction of two surfaces and a crossing
 * give an edge of unknown position (FLAT) instead of a triangle from a step that is not one. */
static float end_height(const sm_ctx *s, int vert, int v, int e, int cu, int dir)
{
    const int w = s->a->r->w, U = vert ? s->a->r->h : w, V = vert ? w : s->a->r->h;
    const unsigned char ALONG = vert ? E_LEFT : E_TOP, CROSS = vert ? E_TOP : E_LEFT;
    const unsigned char *E = s->e;
    const uint16_t *L = s->L;
#define AT(uu, vv) ((size_t)(vert ? (uu) : (vv)) * (size_t)w + (size_t)(vert ? (vv) : (uu)))
    if (cu < 0 || cu >= U) return 0;
    int up = (E[AT(cu, v - 1)] & CROSS) != 0, dn = (E[AT(cu, v)] & CROSS) != 0;
    if (up == dn) return 0;
    int pol = L[AT(e, v)] > L[AT(e, v - 1)]; /* brighter on the plus side */
    for (int k = 2; k <= XJ_GAP + 1; k++) {
        int u = e + dir * k;
        if (u < 0 || u >= U) break;
        if ((E[AT(u, v)] & ALONG) && (L[AT(u, v)] > L[AT(u, v - 1)]) != pol) return 0;
    }
    int g = dir > 0 ? cu : cu - 1; /* where the next run would start */
    if (g < 0 || g >= U) return 0;
    for (int j = 1; j <= STAIR_RISE; j++) {
        int rc = up ? v - j : v + j - 1, rn = up ? v - j : v + j;
        if (rc < 0 || rc >= V || rn < 1 || rn >= V || !(E[AT(cu, rc)] & CROSS)) return 0;
        if (E[AT(g, rn)] & ALONG) {
            int same = abs((int)L[AT(g, rn - 1)] - (int)L[AT(e, v - 1)]) < s->thr16 &&
                       abs((int)L[AT(g, rn)] - (int)L[AT(e, v)]) < s->thr16;
            return same ? (up ? 0.5f : -0.5f) : 0;
        }
    }
    return 0;
#undef AT
}

/* The blending weights across one edge of a pixel (o[0]: the plus-side pixel takes from the
 * minus side, o[1]: the other way; lm, lp their lumas) at a of a run of length L whose ends have
 * heights h0, h1. A bump (both ends stepping to the same side, as at a curve's extreme) has its
 * tip at an unknown position too, where SMAA would put a dent. */
static inline void edge_weights(float L, float h0, float h1, float a, uint16_t lm, uint16_t lp,
                                unsigned char *o)
{
    if (h0 * h1 > 0) h0 = h1 = 0;
    if (h0 == 0 && h1 == 0) { /* the whole edge of unknown position (most pixels of long runs) */
        o[0] = (unsigned char)((FT(lp, lm) + 1) >> 1);
        o[1] = (unsigned char)((FT(lm, lp) + 1) >> 1);
        return;
    }
    float fp = FLAT, fn = FLAT, pos, neg;
    if (h0 == 0 || h1 == 0) fp = flat_share(lm, lp), fn = flat_share(lp, lm);
    seg_area(L, h0, h1, a, a + 1, fp, fn, &pos, &neg);
    o[0] = q8(neg), o[1] = q8(pos);
}

/* Column state of vertical edge runs, per chunk: the run through (x, y) spans rows top..bot
 * (top INT_MIN: more than `search` above), with its ends' heights; valid while y <= bot. */
typedef struct vruns {
    int *top, *bot;
    float *h0, *h1;
} vruns;

/* The blending weights of row y (4 bytes a pixel: takes from above, above takes from it, takes
 * from left, left takes from it) for the pixels that have edges; the others get 0. Horizontal
 * edges are followed as runs along the row, each found once; vertical ones through `vr`. */
static void sm_row_weights(const sm_ctx *s, int y, unsigned char *o, vruns *vr)
{
    const int w = s->a->r->w, h = s->a->r->h, S = s->search;
    const unsigned char *E = s->e, *row = E + (size_t)y * w;
#define EB(x, yy) E[(size_t)(yy) * w + (size_t)(x)]
    memset(o, 0, (size_t)w * 4);
    const uint16_t *Lr = s->L + (size_t)y * w;
    int run_s = 0, run_e = -1; /* the horizontal run through x, and its ends' heights */
    float rh0 = 0, rh1 = 0;
    for (int x = 0; x < w; x++) {
        unsigned char bits = row[x];
        if (!bits) {
            uint64_t z8; /* skip 8 pixels at a time where no edge is */
            while (x + 8 < w && (memcpy(&z8, row + x + 1, 8), !z8)) x += 8;
            continue;
        }
        if (bits & E_TOP) { /* a horizontal edge between (x, y-1) above and (x, y) */
            if (x > run_e) {
                run_s = x, run_e = x;
                while (run_e + 1 < w && (row[run_e + 1] & E_TOP)) run_e++;
                /* the silhouette steps up (+) or down (-) at the ends, or is of unknown height */
                rh0 = end_height(s, 0, y, run_s, run_s, -1);
                rh1 = end_height(s, 0, y, run_e, run_e + 1, 1);
            }
            int dl = x - run_s < S ? x - run_s : S, dr = run_e - x < S ? run_e - x : S;
            edge_weights((float)(dl + dr + 1), dl < S ? rh0 : 0, dr < S ? rh1 : 0, (float)dl,
                         Lr[x - (ptrdiff_t)w], Lr[x], o + 4 * x);
        }
        if (bits & E_LEFT) { /* a vertical edge between (x-1, y) left and (x, y) */
            if (vr->bot[x] < y) { /* a run not met yet: its top (within S) and its bottom */
                int du = 0, dd = 0;
                while (du < S && y - du - 1 >= 0 && (EB(x, y - du - 1) & E_LEFT)) du++;
                while (y + dd + 1 < h && (EB(x, y + dd + 1) & E_LEFT)) dd++;
                vr->top[x] = du < S ? y - du : INT_MIN, vr->bot[x] = y + dd;
                /* + towards the left pixel */
                vr->h0[x] = du < S ? end_height(s, 1, x, y - du, y - du, -1) : 0;
                vr->h1[x] = end_height(s, 1, x, y + dd, y + dd + 1, 1);
            }
            int du = vr->top[x] == INT_MIN || y - vr->top[x] > S ? S : y - vr->top[x];
            int dd = vr->bot[x] - y < S ? vr->bot[x] - y : S;
            edge_weights((float)(du + dd + 1), du < S ? vr->h0[x] : 0, dd < S ? vr->h1[x] : 0,
                         (float)du, Lr[x - 1], Lr[x], o + 4 * x + 2);
        }
    }
#undef EB
}

static inline int out_push(sm_out *o, uint32_t i, const void *v)
{
    if (o->n == o->cap) {
        size_t cap = o->cap ? 2 * o->cap : 4096;
        uint32_t *ni = realloc(o->idx, cap * sizeof *ni);
        if (!ni) return 0;
        o->idx = ni;
        float *np = realloc(o->px, cap * 4 * sizeof *np);
        if (!np) return 0;
        o->px = np, o->cap = cap;
    }
    o->idx[o->n] = i;
    memcpy(o->px + 4 * o->n, v, 4 * sizeof(float));
    o->n++;
    return 1;
}

/* Rows [b, e): each pixel near an edge blended with its neighbours by the weights of its row and
 * the row below (computed here, one row ahead), the results kept in the chunk's list. */
static void sm_blend_rows(void *u, size_t b, size_t e)
{
    sm_ctx *s = u;
    aa_ctx *c = s->a;
    const int w = c->r->w, h = c->r->h;
    const float *F = c->r->rgba;
    sm_out *out = &s->out[b / BLEND_GRAIN];
    unsigned char *wbuf = malloc((size_t)w * 8 + (size_t)w + 16);
    int *vbuf = malloc((size_t)w * 2 * sizeof *vbuf);
    float *hbuf = malloc((size_t)w * 2 * sizeof *hbuf);
    if (!wbuf || !vbuf || !hbuf) {
        free(wbuf), free(vbuf), free(hbuf);
        __atomic_store_n(&c->nomem, 1, __ATOMIC_RELAXED);
        return;
    }
    vruns vr = {vbuf, vbuf + w, hbuf, hbuf + w};
    for (int x = 0; x < w; x++) vr.bot[x] = -1;
    unsigned char *W0 = wbuf, *W1 = wbuf + (size_t)w * 4, *col = wbuf + (size_t)w * 8;
    memset(col + w, 0, 16);
    sm_row_weights(s, (int)b, W0, &vr);
    size_t blended = 0;
    for (int y = (int)b; y < (int)e; y++) {
        if (y + 1 < h) sm_row_weights(s, y + 1, W1, &vr);
        /* edges in each column of the 3 rows around */
        const unsigned char *ea = s->e + (size_t)(y > 0 ? y - 1 : y) * w, *em = s->e + (size_t)y * w;
        const unsigned char *eb2 = s->e + (size_t)(y + 1 < h ? y + 1 : y) * w;
        int na = y > 0, nb = y + 1 < h;
        for (int x = 0; x < w; x++)
            col[x] = (unsigned char)((em[x] & 1) + (em[x] >> 1 & 1) + (na ? (ea[x] & 1) + (ea[x] >> 1 & 1) : 0) +
                                     (nb ? (eb2[x] & 1) + (eb2[x] >> 1 & 1) : 0));
        const float *ra = F + (size_t)(y > 0 ? y - 1 : y) * w * 4, *rm = F + (size_t)y * w * 4;
        const float *rb = F + (size_t)(y + 1 < h ? y + 1 : y) * w * 4;
        for (int x = 0; x < w; x++) {
            if (!col[x] && !col[x + 1] && (x == 0 || !col[x - 1])) {
                uint64_t z8; /* skip runs of columns with no edge around: x+1..x+7 too */
                while (x + 9 < w && (memcpy(&z8, col + x + 1, 8), !z8)) x += 7;
                continue;
            }
            float top = W0[4 * x] * (1 / 255.0f), left = W0[4 * x + 2] * (1 / 255.0f);
            float bot = y + 1 < h ? W1[4 * x + 1] * (1 / 255.0f) : 0;
            float right = x + 1 < w ? W0[4 * (x + 1) + 3] * (1 / 255.0f) : 0;
            /* texture gone below a pixel (a checker at the horizon) is edges everywhere, which no
             * line explains: how many edges the 3x3 around has (a straight edge 3, a dot 4, a
             * staircase 5, moire up to 18) sets how much of a small low-pass it gets */
            int cnt = col[x] + (x > 0 ? col[x - 1] : 0) + (x + 1 < w ? col[x + 1] : 0);
            float sub = cnt > SUB_LO ? c->subq * fminf((float)(cnt - SUB_LO) / SUB_SPAN, 1.0f) : 0;
            if (top + bot + left + right <= 0 && sub <= 0) continue;
            blended++;
            /* one pixel's RGBA as a vector: each channel the same operations as alone */
            const float *pm = rm + (size_t)x * 4;
            v4f m, d;
            memcpy(&m, pm, 16);
            /* one axis, the one with the stronger weight (two axes would blend a corner twice) */
            if (fmaxf(top, bot) >= fmaxf(left, right)) {
                v4f pt = m, pb = m;
                if (top > 0) memcpy(&pt, ra + (size_t)x * 4, 16);
                if (bot > 0) memcpy(&pb, rb + (size_t)x * 4, 16);
                d = m + top * (pt - m) + bot * (pb - m);
            } else {
                v4f pl = m, pr = m;
                if (left > 0) memcpy(&pl, pm - 4, 16);
                if (right > 0) memcpy(&pr, pm + 4, 16);
                d = m + left * (pl - m) + right * (pr - m);
            }
            if (sub > 0) { /* the 3x3 tent of the originals */
                int xl = x > 0 ? x - 1 : x, xr = x + 1 < w ? x + 1 : x;
                v4f a0, a1, a2, b0, b1, b2, m0, m2;
                memcpy(&a0, ra + 4 * xl, 16), memcpy(&a1, ra + 4 * x, 16), memcpy(&a2, ra + 4 * xr, 16);
                memcpy(&b0, rb + 4 * xl, 16), memcpy(&b1, rb + 4 * x, 16), memcpy(&b2, rb + 4 * xr, 16);
                memcpy(&m0, rm + 4 * xl, 16), memcpy(&m2, rm + 4 * xr, 16);
                v4f t = 0.25f * m + 0.125f * (a1 + b1 + m0 + m2) + 0.0625f * (a0 + a2 + b0 + b2);
                d += sub * (t - d);
            }
            if (!out_push(out, (uint32_t)((size_t)y * w + (size_t)x), &d)) {
                __atomic_store_n(&c->nomem, 1, __ATOMIC_RELAXED);
                break;
            }
        }
        unsigned char *t = W0;
        W0 = W1, W1 = t;
    }
    free(wbuf);
    free(vbuf);
    free(hbuf);
    __atomic_add_fetch(&c->edges, blended, __ATOMIC_RELAXED);
}

static void sm_commit(void *u, size_t b, size_t e)
{
    sm_ctx *s = u;
    for (size_t k = b; k < e; k++) {
        const sm_out *o = &s->out[k];
        for (size_t i = 0; i < o->n; i++) memcpy(s->a->r->rgba + (size_t)o->idx[i] * 4, o->px + 4 * i, 16);
    }
}

typedef struct fx_luma {
    aa_ctx *c;
} fx_luma;

static void fx_luma_rows(void *u, size_t b, size_t e)
{
    luma_rows(((fx_luma *)u)->c, b, e);
}

pol_status pol__render_aa(pol_run *run, pol__render *r, int method, float thr, float subq,
                          int search, size_t *edges)
{
    size_t n = (size_t)r->w * r->h;
    if (n > UINT32_MAX) return pol__fail(run, POL_ERR_LIMIT, "frame too large to anti-alias");
    if (method == POL_AA_SMAA) {
        pol_status st = pol__mem_reserve(run, n * 3, "anti-aliasing buffers");
        if (st) return st;
        unsigned char *buf = pol__render_scratch(r, 0, n * 3);
        if (!buf) return pol__fail(run, POL_ERR_NOMEM, "out of memory");
        aa_ctx c = {.r = r, .dst = r->rgba, .thr = thr, .subq = subq, .run = run};
        sm_ctx s = {.a = &c, .L = (uint16_t *)buf, .e = buf + 2 * n, .search = search,
                    .thr16 = (int)ceilf(thr * 65535.0f)};
        s.nout = pol__rn_blocks((size_t)r->h, BLEND_GRAIN);
        if (!(s.out = calloc(s.nout, sizeof *s.out))) return pol__fail(run, POL_ERR_NOMEM, "out of memory");
        pthread_once(&flat_once, flat_build);
        pol__render_pass(run, r, 16, sm_luma_rows, &s);
        pol__parallel_blocks(run, (size_t)r->h, 16, sm_edge_rows, &s);
        pol__parallel_blocks(run, (size_t)r->h, BLEND_GRAIN, sm_blend_rows, &s);
        if (!c.nomem) pol__parallel_blocks(run, s.nout, 4, sm_commit, &s);
        for (size_t k = 0; k < s.nout; k++) free(s.out[k].idx), free(s.out[k].px);
        free(s.out);
        if (c.nomem) return pol__fail(run, POL_ERR_NOMEM, "out of memory");
        *edges = c.edges;
        return POL_OK;
    }
    size_t bands = ((size_t)r->h + BAND - 1) / BAND;
    pol_status st = pol__mem_reserve(run, n * 4 + bands * 2 * (size_t)r->w * 16, "anti-aliasing buffers");
    if (st) return st;
    float *rows2 = pol__render_scratch(r, 2, bands * 2 * (size_t)r->w * 16);
    float *L = pol__render_scratch(r, 0, n * 4);
    if (!rows2 || !L) return pol__fail(run, POL_ERR_NOMEM, "out of memory");
    aa_ctx c = {r, rows2, r->rgba, L, thr, 0.0312f, subq, 0, 0, run};
    fx_luma fl = {&c};
    pol__render_pass(run, r, 16, fx_luma_rows, &fl);
    for (size_t k = 0; k < bands; k++) {
        size_t first = k * BAND, last = first + BAND - 1 < (size_t)r->h ? first + BAND - 1 : (size_t)r->h - 1;
        memcpy(rows2 + k * 2 * r->w * 4, r->rgba + first * r->w * 4, (size_t)r->w * 16);
        memcpy(rows2 + (k * 2 + 1) * r->w * 4, r->rgba + last * r->w * 4, (size_t)r->w * 16);
    }
    pol__parallel_for(run, bands, 1, rows, &c);
    if (c.nomem) return pol__fail(run, POL_ERR_NOMEM, "out of memory");
    *edges = c.edges;
    return POL_OK;
}

static pol_status run(pol_run *run, pol_asset *asset, const pol_args *args)
{
    pol__render *r = pol__render_of(asset); /* deferred steps run in its first pass */
    size_t edges = 0;
    int method = pol__arg_choice(args, "method") == 0 ? POL_AA_SMAA : POL_AA_FXAA;
    if (pol__arg_choice(args, "temporal") == 0 && pol__sequence(run) && r->pass[POL_RP_MOTION]) {
        int mc = pol__arg_choice(args, "motion"); /* auto: Blender's for its Vector pass */
        int blender = mc == 1 || (mc == 0 && strstr(r->pass_src[POL_RP_MOTION], "Vector"));
        pol_status ts = pol__render_aa_temporal(
            run, r, args, method, (float)pol__arg_num(args, "threshold"),
            (float)pol__arg_num(args, "subpixel"), (int)pol__arg_int(args, "search"),
            (float)pol__arg_num(args, "feedback"), blender);
        if (!ts) pol__render_figure(run, r, "before | after (temporal anti-aliasing)");
        return ts;
    }
    pol_status st = pol__render_aa(run, r, method, (float)pol__arg_num(args, "threshold"),
                                   (float)pol__arg_num(args, "subpixel"),
                                   (int)pol__arg_int(args, "search"), &edges);
    if (st) return st;
    double frac = (double)edges / ((double)r->w * r->h);
    pol__measure(run, "edge_pixel_fraction", frac);
    if (edges == 0) {
        pol__decline(run, "no aliased edges above the threshold");
        return POL_OK;
    }
    pol__decide(run, "%zu edge pixels (%.1f%%) blended along their edges (%s)", edges, 100 * frac,
                method == POL_AA_SMAA ? "SMAA class" : "FXAA class");
    pol__render_figure(run, r, "before | after (anti-aliasing)");
    return POL_OK;
}

const pol_op_desc pol__render_op_aa = {
    .domain = "render",
    .name = "aa",
    .summary = "Anti-alias edges (morphological: SMAA 1x class, or FXAA 3.11 class)",
    .params = params,
    .n_params = POL_ARRAY_LEN(params),
    .run = run,
    .flags = POL_OP_AUTO,
};
