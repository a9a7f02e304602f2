/* polish — render.ao: ground-truth-style ambient occlusion (GTAO class) from the depth pass. View
 * positions come from depth and the field of view; for a few screen-space slices per pixel the
 * horizon on each side is found by marching the depth (every sample nearer than the radius counts
 * in full, so the radius is a ray-traced AO's distance, Cycles' included), and the cosine-weighted
 * visible arc of the hemisphere around the normal (reconstructed from depth, in view space) is
 * integrated in closed form. Computed at quarter (or half) resolution, one slice a pixel at an
 * angle and step offset from interleaved gradient noise (Jimenez 2014: no temporal accumulation
 * needed, and a 4x4 block sees 16 well-spread directions), then a depth-aware 4x4 blur; the
 * depth-aware (bilateral) upsample and the multiply into the beauty are a deferred pointwise
 * stage, so they run inside the next pass over the frame instead of a pass of their own. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include "render/render.h"

static const pol_param_desc params[] = {
    {"radius", POL_PARAM_NUM, NULL, 0, 1e9, NULL,
     "Occlusion distance in scene units, as Cycles' AO distance (an occluder nearer than it "
     "counts in full); unset: 5% of the median depth."},
    {"strength", POL_PARAM_NUM, "0.6", 0, 1, NULL, "How much of the occlusion darkens the beauty."},
    {"fov", POL_PARAM_NUM, "39.6", 5, 170, NULL,
     "Horizontal field of view of the camera (Blender's 50 mm lens: 39.6).", .unit = "deg"},
    {"slices", POL_PARAM_INT, "1", 1, 8, NULL,
     "Directions searched per pixel (x16 over the 4x4 block the blur averages)."},
    {"steps", POL_PARAM_INT, "4", 2, 32, NULL, "Depth samples per direction and side."},
    {"resolution", POL_PARAM_ENUM, "auto", 0, -1, "auto|half|quarter",
     "Where occlusion is computed (then a depth-aware upsample): quarter is about 4x faster; auto "
     "takes quarter when the frame's shorter side is 720 pixels or more, else half."},
};

extern const pol_op_desc pol__render_op_export;

#define SKY 1e9f

typedef struct ao_ctx {
    const float *z; /* half-res depth */
    int w, h;       /* half-res size */
    float f;        /* focal length in half-res pixels */
    float R;
    int slices, steps;
    float *ao, *tmp;
    int W, H, s;           /* full size; s: the reduction (2 or 4) */
    float off;             /* where a low-res sample sits in its pixel: 0.5 / s */
    int avx2;              /* ao_px8 may run (the CPU has AVX2) */
} ao_ctx;

/* the half circle of slice directions, tabulated (cos, sin) */
#define NDIR 256
static float dirs[NDIR][2];
static pthread_once_t dirs_once = PTHREAD_ONCE_INIT;
static void dirs_build(void)
{
    for (int i = 0; i < NDIR; i++)
        dirs[i][0] = (float)cos((i + 0.5) * M_PI / NDIR), dirs[i][1] = (float)sin((i + 0.5) * M_PI / NDIR);
}

/* interleaved gradient noise (Jimenez 2014) in [0, 1): neighbouring pixels get well-spread
 * values, so a small blur averages them as it would many samples */
static inline float ign(float x, float y)
{
    float t = 0.06711056f * x + 0.00583715f * y;
    t = 52.9829189f * (t - floorf(t));
    return t - floorf(t);
}

static inline float zat(const ao_ctx *c, int x, int y)
{
    x = x < 0 ? 0 : x >= c->w ? c->w - 1 : x;
    y = y < 0 ? 0 : y >= c->h ? c->h - 1 : y;
    return c->z[(size_t)y * c->w + x];
}

/* acos within 7e-5 rad: sqrt(1 - |x|) times a cubic in |x| (Abramowitz & Stegun 4.4.45). */
static inline float fast_acos(float x)
{
    float a = fabsf(x);
    a = a > 1 ? 1 : a;
    float r = sqrtf(1 - a) * (1.5707288f + a * (-0.2121144f + a * (0.0742610f - 0.0187293f * a)));
    return x < 0 ? 3.14159265f - r : r;
}

/* rounds half away from zero, so that an offset and its negative land on mirrored pixels */
static inline int rnd(float v) { return (int)(v + (v >= 0 ? 0.5f : -0.5f)); }

/* One side's term of the visible arc: h the horizon angle (cos ch, sine sn), clamped to gam +-
 * pi/2; returns -cos(2h - gam) + cos(gam) + 2 h sin(gam) without a trigonometric call. */
static inline float arc(float h, float ch, float sn, float gam, float cg, float sg, int lower)
{
    const float hp = 1.5707963f;
    if (lower ? h - gam < -hp : h - gam > hp) { /* clamped: 2h - gam = gam -+ pi */
        h = lower ? gam - hp : gam + hp;
        return cg + cg + 2 * h * sg;
    }
    float c2 = 2 * ch * ch - 1, s2 = 2 * sn * ch;
    return -(c2 * cg + s2 * sg) + cg + 2 * h * sg;
}

/* One low-res pixel's visibility (1: nothing occludes, or no surface to occlude). */
static inline float ao_px(const ao_ctx *c, int x, int y, float invf, float cx, float cy, float R2)
{
    float z = c->z[(size_t)y * c->w + x];
    if (!(z > 0) || z >= SKY) return 1;
    float P[3], V[3], N[3];
    /* view position from depth, with 1/f precomputed (dividing by c->f made 20 divisions
     * a pixel: the compiler cannot keep c->f in a register across the float stores) */
#define POS(px, py, pz, o)                                                                         \
    ((o)[0] = ((float)(px) - cx) * invf * (pz), (o)[1] = ((float)(py) - cy) * invf * (pz),           \
     (o)[2] = (pz))
    POS(x, y, z, P);
    float il = 1 / sqrtf(P[0] * P[0] + P[1] * P[1] + P[2] * P[2]);
    for (int k = 0; k < 3; k++) V[k] = -P[k] * il;
    /* normal: the smaller one-sided differences (no smearing across silhouettes) */
    float A[3], B[3], Q[3], dx[3], dy[3];
    float za = zat(c, x + 1, y), zb = zat(c, x - 1, y);
    POS(x + 1, y, za, A);
    POS(x - 1, y, zb, B);
    for (int k = 0; k < 3; k++) dx[k] = fabsf(A[2] - z) < fabsf(z - B[2]) ? A[k] - P[k] : P[k] - B[k];
    za = zat(c, x, y + 1), zb = zat(c, x, y - 1);
    POS(x, y + 1, za, A);
    POS(x, y - 1, zb, Q);
    for (int k = 0; k < 3; k++) dy[k] = fabsf(A[2] - z) < fabsf(z - Q[2]) ? A[k] - P[k] : P[k] - Q[k];
    N[0] = dx[1] * dy[2] - dx[2] * dy[1];
    N[1] = dx[2] * dy[0] - dx[0] * dy[2];
    N[2] = dx[0] * dy[1] - dx[1] * dy[0];
    float nl = sqrtf(N[0] * N[0] + N[1] * N[1] + N[2] * N[2]);
    if (!(nl > 0)) return 1;
    float s = (N[0] * V[0] + N[1] * V[1] + N[2] * V[2]) < 0 ? -1.0f / nl : 1.0f / nl;
    for (int k = 0; k < 3; k++) N[k] *= s;
    float rpx = c->R * c->f / z;
    if (rpx < 1) return 1;
    if (rpx > 48) rpx = 48;
    /* slice angle and step offset from interleaved gradient noise (the second from the
     * transposed pattern, so the two do not move together) */
    float na = ign((float)x, (float)y), sj = ign((float)y + 0.5f, (float)x + 0.5f);
    float tstep = (rpx - 1) / (float)c->steps; /* from 1 pixel out to the radius */
    float vis = 0;
    for (int sl = 0; sl < c->slices; sl++) {
        int di = (int)(((float)sl + na) / (float)c->slices * NDIR);
        di = di < NDIR ? di : NDIR - 1;
        float d2[2] = {dirs[di][0], dirs[di][1]};
        float dv = d2[0] * V[0] + d2[1] * V[1];
        float T[3] = {d2[0] - dv * V[0], d2[1] - dv * V[1], -dv * V[2]}; /* ortho to V */
        float it = 1 / sqrtf(T[0] * T[0] + T[1] * T[1] + T[2] * T[2]);
        for (int k = 0; k < 3; k++) T[k] *= it;
        float ax[3] = {T[1] * V[2] - T[2] * V[1], T[2] * V[0] - T[0] * V[2], T[0] * V[1] - T[1] * V[0]};
        float nax = N[0] * ax[0] + N[1] * ax[1] + N[2] * ax[2];
        float pn[3] = {N[0] - nax * ax[0], N[1] - nax * ax[1], N[2] - nax * ax[2]};
        float pnl = sqrtf(pn[0] * pn[0] + pn[1] * pn[1] + pn[2] * pn[2]);
        if (!(pnl > 1e-6f)) continue;
        float cg = (pn[0] * V[0] + pn[1] * V[1] + pn[2] * V[2]) / pnl;
        cg = cg > 1 ? 1 : cg < -1 ? -1 : cg;
        float sgn = (pn[0] * T[0] + pn[1] * T[1] + pn[2] * T[2]) < 0 ? -1.0f : 1.0f;
        float gam = sgn * fast_acos(cg), sg = sgn * sqrtf(1 - cg * cg);
        /* each side's highest horizon, kept as its cosine times its absolute value
         * (the same order as the cosine, without a square root per sample) */
        float hq[2] = {-1, -1};
        for (int j = 0; j < c->steps; j++) {
            float t = 1 + ((float)j + sj) * tstep;
            int ox = rnd(d2[0] * t), oy = rnd(d2[1] * t);
            if (!ox && !oy) continue;
            for (int side = 0; side < 2; side++) { /* side 0 goes the -T way */
                int sx = side ? x + ox : x - ox, sy = side ? y + oy : y - oy;
                float zs = zat(c, sx, sy);
                if (!(zs > 0) || zs >= SKY) continue;
                float dd[3] = {((float)sx - cx) * invf * zs - P[0],
                               ((float)sy - cy) * invf * zs - P[1], zs - P[2]};
                float l2 = dd[0] * dd[0] + dd[1] * dd[1] + dd[2] * dd[2];
                /* every occluder nearer than R counts in full, as a ray-traced AO's
                 * hit within its distance does (a falloff to R made R act as a third
                 * to a half of Cycles' distance) */
                if (!(l2 > 1e-12f) || l2 >= R2) continue;
                float dv2 = dd[0] * V[0] + dd[1] * V[1] + dd[2] * V[2];
                float q = dv2 * fabsf(dv2) / l2;
                if (q > hq[side]) hq[side] = q;
            }
        }
        float c1 = hq[0] < 0 ? -sqrtf(-hq[0]) : sqrtf(hq[0]);
        float c2 = hq[1] < 0 ? -sqrtf(-hq[1]) : sqrtf(hq[1]);
        c1 = c1 > 1 ? 1 : c1, c2 = c2 > 1 ? 1 : c2;
        float h1 = -fast_acos(c1), h2 = fast_acos(c2);
        float a1 = arc(h1, c1, -sqrtf(1 - c1 * c1), gam, cg, sg, 1);
        float a2 = arc(h2, c2, sqrtf(1 - c2 * c2), gam, cg, sg, 0);
        vis += pnl * 0.25f * (a1 + a2);
    }
    /* not clamped to 1 here: one slice's estimate of an open surface is above 1 for some
     * directions and below for others (only their mean is 1), so clamping before the
     * blur averages them would darken open ground */
    float v = vis / (float)c->slices;
    return v < 0 ? 0 : v;
#undef POS
}

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#define AO_AVX2 1

/* ao_px on 8 pixels of a row (x .. x+7, all inside it) with AVX2: every lane does the same
 * operations in the same order as ao_px (no FMA: the target is avx2 alone), what ao_px skips
 * with a branch is masked, so each lane's result is ao_px's to the bit. The depth samples are
 * gathered. */
__attribute__((target("avx2"))) static void ao_px8(const ao_ctx *c, int x, int y, float invf,
                                                   float cx, float cy, float R2, float *o)
{
#define V8 __m256
#define ADD _mm256_add_ps
#define SUB _mm256_sub_ps
#define MUL _mm256_mul_ps
#define DIV _mm256_div_ps
#define SET _mm256_set1_ps
#define SEL(m, a, b) _mm256_blendv_ps((b), (a), (m)) /* m ? a : b */
#define LT(a, b) _mm256_cmp_ps((a), (b), _CMP_LT_OQ)
#define GT(a, b) _mm256_cmp_ps((a), (b), _CMP_GT_OQ)
#define GE(a, b) _mm256_cmp_ps((a), (b), _CMP_GE_OQ)
#define AND _mm256_and_ps
#define ABS(a) _mm256_andnot_ps(SET(-0.0f), (a))
    const __m256i iw = _mm256_set1_epi32(c->w), wmax = _mm256_set1_epi32(c->w - 1),
                  hmax = _mm256_set1_epi32(c->h - 1), izero = _mm256_setzero_si256();
    const __m256i lane = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
    const __m256i X = _mm256_add_epi32(_mm256_set1_epi32(x), lane), Y = _mm256_set1_epi32(y);
    const V8 one = SET(1), zero = _mm256_setzero_ps(), sky = SET(SKY), vinvf = SET(invf),
             vcx = SET(cx), vcy = SET(cy);
    const V8 fx = _mm256_cvtepi32_ps(X), fy = _mm256_cvtepi32_ps(Y);
    /* zat at integer coordinates (clamped into the frame) */
#define ZAT(ix, iy)                                                                                \
    _mm256_i32gather_ps(c->z,                                                                      \
                        _mm256_add_epi32(_mm256_mullo_epi32(_mm256_min_epi32(_mm256_max_epi32((iy), izero), hmax), iw), \
                                         _mm256_min_epi32(_mm256_max_epi32((ix), izero), wmax)),   \
                        4)
    V8 z = _mm256_loadu_ps(c->z + (size_t)y * c->w + x);
    V8 ok = AND(GT(z, zero), LT(z, sky));
    V8 P[3], V[3], N[3];
#define POS8(pxf, pyf, pz, o)                                                                      \
    ((o)[0] = MUL(MUL(SUB((pxf), vcx), vinvf), (pz)), (o)[1] = MUL(MUL(SUB((pyf), vcy), vinvf), (pz)), \
     (o)[2] = (pz))
    POS8(fx, fy, z, P);
    V8 il = DIV(one, _mm256_sqrt_ps(ADD(ADD(MUL(P[0], P[0]), MUL(P[1], P[1])), MUL(P[2], P[2]))));
    for (int k = 0; k < 3; k++) V[k] = MUL(_mm256_xor_ps(P[k], SET(-0.0f)), il);
    V8 A[3], B[3], Q[3], dx[3], dy[3];
    const __m256i i1 = _mm256_set1_epi32(1);
    V8 za = ZAT(_mm256_add_epi32(X, i1), Y), zb = ZAT(_mm256_sub_epi32(X, i1), Y);
    POS8(ADD(fx, one), fy, za, A); /* (float)(x + 1): exact for these sizes */
    POS8(SUB(fx, one), fy, zb, B);
    V8 m = LT(ABS(SUB(A[2], z)), ABS(SUB(z, B[2])));
    for (int k = 0; k < 3; k++) dx[k] = SEL(m, SUB(A[k], P[k]), SUB(P[k], B[k]));
    za = ZAT(X, _mm256_add_epi32(Y, i1)), zb = ZAT(X, _mm256_sub_epi32(Y, i1));
    POS8(fx, ADD(fy, one), za, A);
    POS8(fx, SUB(fy, one), zb, Q);
    m = LT(ABS(SUB(A[2], z)), ABS(SUB(z, Q[2])));
    for (int k = 0; k < 3; k++) dy[k] = SEL(m, SUB(A[k], P[k]), SUB(P[k], Q[k]));
    N[0] = SUB(MUL(dx[1], dy[2]), MUL(dx[2], dy[1]));
    N[1] = SUB(MUL(dx[2], dy[0]), MUL(dx[0], dy[2]));
    N[2] = SUB(MUL(dx[0], dy[1]), MUL(dx[1], dy[0]));
    V8 nl = _mm256_sqrt_ps(ADD(ADD(MUL(N[0], N[0]), MUL(N[1], N[1])), MUL(N[2], N[2])));
    ok = AND(ok, GT(nl, zero));
    V8 ndv = ADD(ADD(MUL(N[0], V[0]), MUL(N[1], V[1])), MUL(N[2], V[2]));
    V8 s = SEL(LT(ndv, zero), DIV(SET(-1.0f), nl), DIV(one, nl));
    for (int k = 0; k < 3; k++) N[k] = MUL(N[k], s);
    V8 rpx = DIV(SET(c->R * c->f), z);
    ok = AND(ok, _mm256_cmp_ps(rpx, one, _CMP_NLT_UQ)); /* !(rpx < 1) */
    rpx = SEL(GT(rpx, SET(48)), SET(48), rpx);
    /* ign(x, y) and ign(y + 0.5, x + 0.5): positive arguments, so floor as ign's floorf */
#define IGN(a, b, out)                                                                             \
    do {                                                                                           \
        V8 t_ = ADD(MUL(SET(0.06711056f), (a)), MUL(SET(0.00583715f), (b)));                       \
        t_ = MUL(SET(52.9829189f), SUB(t_, _mm256_floor_ps(t_)));                                  \
        (out) = SUB(t_, _mm256_floor_ps(t_));                                                      \
    } while (0)
    V8 na, sj;
    IGN(fx, fy, na);
    IGN(ADD(fy, SET(0.5f)), ADD(fx, SET(0.5f)), sj);
    V8 tstep = DIV(SUB(rpx, one), SET((float)c->steps));
    V8 vis = zero;
    const V8 vR2 = SET(R2), hp = SET(1.5707963f), pi = SET(3.14159265f);
    /* fast_acos, lane by lane the same operations */
#define ACOS(xv, out)                                                                              \
    do {                                                                                           \
        V8 a_ = ABS(xv);                                                                           \
        a_ = SEL(GT(a_, one), one, a_);                                                            \
        V8 r_ = MUL(_mm256_sqrt_ps(SUB(one, a_)),                                                  \
                    ADD(SET(1.5707288f),                                                           \
                        MUL(a_, ADD(SET(-0.2121144f), MUL(a_, SUB(SET(0.0742610f), MUL(SET(0.0187293f), a_))))))); \
        (out) = SEL(LT((xv), zero), SUB(pi, r_), r_);                                              \
    } while (0)
    for (int sl = 0; sl < c->slices; sl++) {
        __m256i di = _mm256_cvttps_epi32(MUL(DIV(ADD(SET((float)sl), na), SET((float)c->slices)), SET(NDIR)));
        di = _mm256_min_epi32(di, _mm256_set1_epi32(NDIR - 1));
        __m256i d2i = _mm256_slli_epi32(di, 1);
        V8 d0 = _mm256_i32gather_ps(&dirs[0][0], d2i, 4), d1 = _mm256_i32gather_ps(&dirs[0][1], d2i, 4);
        V8 dv = ADD(MUL(d0, V[0]), MUL(d1, V[1]));
        V8 T[3] = {SUB(d0, MUL(dv, V[0])), SUB(d1, MUL(dv, V[1])), MUL(_mm256_xor_ps(dv, SET(-0.0f)), V[2])};
        V8 it = DIV(one, _mm256_sqrt_ps(ADD(ADD(MUL(T[0], T[0]), MUL(T[1], T[1])), MUL(T[2], T[2]))));
        for (int k = 0; k < 3; k++) T[k] = MUL(T[k], it);
        V8 ax[3] = {SUB(MUL(T[1], V[2]), MUL(T[2], V[1])), SUB(MUL(T[2], V[0]), MUL(T[0], V[2])),
                    SUB(MUL(T[0], V[1]), MUL(T[1], V[0]))};
        V8 nax = ADD(ADD(MUL(N[0], ax[0]), MUL(N[1], ax[1])), MUL(N[2], ax[2]));
        V8 pn[3] = {SUB(N[0], MUL(nax, ax[0])), SUB(N[1], MUL(nax, ax[1])), SUB(N[2], MUL(nax, ax[2]))};
        V8 pnl = _mm256_sqrt_ps(ADD(ADD(MUL(pn[0], pn[0]), MUL(pn[1], pn[1])), MUL(pn[2], pn[2])));
        V8 sok = GT(pnl, SET(1e-6f));
        V8 cg = DIV(ADD(ADD(MUL(pn[0], V[0]), MUL(pn[1], V[1])), MUL(pn[2], V[2])), pnl);
        cg = SEL(GT(cg, one), one, SEL(LT(cg, SET(-1)), SET(-1), cg));
        V8 sgn = SEL(LT(ADD(ADD(MUL(pn[0], T[0]), MUL(pn[1], T[1])), MUL(pn[2], T[2])), zero), SET(-1), one);
        V8 acg;
        ACOS(cg, acg);
        V8 gam = MUL(sgn, acg), sg = MUL(sgn, _mm256_sqrt_ps(SUB(one, MUL(cg, cg))));
        V8 hq[2] = {SET(-1), SET(-1)};
        for (int j = 0; j < c->steps; j++) {
            V8 t = ADD(one, MUL(ADD(SET((float)j), sj), tstep));
            V8 u0 = MUL(d0, t), u1 = MUL(d1, t);
            /* rnd: half away from zero, truncated */
            __m256i ox = _mm256_cvttps_epi32(ADD(u0, SEL(GE(u0, zero), SET(0.5f), SET(-0.5f))));
            __m256i oy = _mm256_cvttps_epi32(ADD(u1, SEL(GE(u1, zero), SET(0.5f), SET(-0.5f))));
            V8 moved = _mm256_castsi256_ps(_mm256_andnot_si256(
                _mm256_and_si256(_mm256_cmpeq_epi32(ox, izero), _mm256_cmpeq_epi32(oy, izero)),
                _mm256_set1_epi32(-1)));
            for (int side = 0; side < 2; side++) {
                __m256i sx = side ? _mm256_add_epi32(X, ox) : _mm256_sub_epi32(X, ox);
                __m256i sy = side ? _mm256_add_epi32(Y, oy) : _mm256_sub_epi32(Y, oy);
                V8 zs = ZAT(sx, sy);
                V8 use = AND(moved, AND(GT(zs, zero), LT(zs, sky)));
                V8 dd0 = SUB(MUL(MUL(SUB(_mm256_cvtepi32_ps(sx), vcx), vinvf), zs), P[0]);
                V8 dd1 = SUB(MUL(MUL(SUB(_mm256_cvtepi32_ps(sy), vcy), vinvf), zs), P[1]);
                V8 dd2 = SUB(zs, P[2]);
                V8 l2 = ADD(ADD(MUL(dd0, dd0), MUL(dd1, dd1)), MUL(dd2, dd2));
                use = AND(use, AND(GT(l2, SET(1e-12f)), LT(l2, vR2)));
                V8 dv2 = ADD(ADD(MUL(dd0, V[0]), MUL(dd1, V[1])), MUL(dd2, V[2]));
                V8 q = DIV(MUL(dv2, ABS(dv2)), l2);
                hq[side] = SEL(AND(use, GT(q, hq[side])), q, hq[side]);
            }
        }
        V8 cc[2], sn[2], h[2];
        for (int k = 0; k < 2; k++) {
            V8 neg = LT(hq[k], zero);
            V8 r = _mm256_sqrt_ps(SEL(neg, _mm256_xor_ps(hq[k], SET(-0.0f)), hq[k]));
            cc[k] = SEL(neg, _mm256_xor_ps(r, SET(-0.0f)), r);
            cc[k] = SEL(GT(cc[k], one), one, cc[k]);
            ACOS(cc[k], h[k]);
            sn[k] = _mm256_sqrt_ps(SUB(one, MUL(cc[k], cc[k])));
        }
        h[0] = _mm256_xor_ps(h[0], SET(-0.0f));
        sn[0] = _mm256_xor_ps(sn[0], SET(-0.0f));
        V8 a[2];
        for (int k = 0; k < 2; k++) { /* arc(): k 0 the lower side */
            V8 d = SUB(h[k], gam);
            V8 clamp = k == 0 ? LT(d, _mm256_xor_ps(hp, SET(-0.0f))) : GT(d, hp);
            V8 hc = k == 0 ? SUB(gam, hp) : ADD(gam, hp);
            V8 ac = ADD(ADD(cg, cg), MUL(MUL(SET(2), hc), sg));
            V8 c2 = SUB(MUL(MUL(SET(2), cc[k]), cc[k]), one), s2 = MUL(MUL(SET(2), sn[k]), cc[k]);
            V8 an = ADD(ADD(_mm256_xor_ps(ADD(MUL(c2, cg), MUL(s2, sg)), SET(-0.0f)), cg),
                        MUL(MUL(SET(2), h[k]), sg));
            a[k] = SEL(clamp, ac, an);
        }
        vis = SEL(sok, ADD(vis, MUL(MUL(pnl, SET(0.25f)), ADD(a[0], a[1]))), vis);
    }
    V8 v = DIV(vis, SET((float)c->slices));
    v = SEL(LT(v, zero), zero, v);
    _mm256_storeu_ps(o, SEL(ok, v, one));
#undef ACOS
#undef IGN
#undef POS8
#undef ZAT
#undef V8
#undef ADD
#undef SUB
#undef MUL
#undef DIV
#undef SET
#undef SEL
#undef LT
#undef GT
#undef GE
#undef AND
#undef ABS
}
#endif

static void ao_rows(void *u, size_t b, size_t e)
{
    const ao_ctx *c = u;
    const float invf = 1 / c->f, cx = 0.5f * (float)c->W / (float)c->s - c->off,
                cy = 0.5f * (float)c->H / (float)c->s - c->off;
    const float R2 = c->R * c->R;
    for (int y = (int)b; y < (int)e; y++) {
        float *o = c->ao + (size_t)y * c->w;
        int x = 0;
#ifdef AO_AVX2
        if (c->avx2)
            for (; x + 8 <= c->w; x += 8) ao_px8(c, x, y, invf, cx, cy, R2, o + x);
#endif
        for (; x < c->w; x++) o[x] = ao_px(c, x, y, invf, cx, cy, R2);
    }
}

/* depth-aware 4x4 box: averages only neighbours on the same surface */
static void blur_rows(void *u, size_t b, size_t e)
{
    ao_ctx *c = u;
    for (int y = (int)b; y < (int)e; y++)
        for (int x = 0; x < c->w; x++) {
            float z = zat(c, x, y), s = 0, wsum = 0;
            for (int j = -2; j <= 1; j++)
                for (int i = -2; i <= 1; i++) {
                    int xx = x + i, yy = y + j;
                    if (xx < 0 || yy < 0 || xx >= c->w || yy >= c->h) continue;
                    float zz = c->z[(size_t)yy * c->w + xx];
                    float wgt = fabsf(zz - z) < 0.05f * z ? 1.0f : 0.0f;
                    s += wgt * c->ao[(size_t)yy * c->w + xx], wsum += wgt;
                }
            float v = wsum > 0 ? s / wsum : 1;
            c->tmp[(size_t)y * c->w + x] = v < 1 ? v : 1;
        }
}

/* The depth-aware upsample of the low-res result (the blurred `ao`), owned by a deferred stage:
 * of the four nearest low-res samples (sample i sits on full-res pixel s i), bilinear where all
 * four lie on the pixel's surface, else weighted by how well their depth matches. */
typedef struct up_ctx {
    float *z, *ao;     /* low-res depth and blurred occlusion (owned) */
    int w, h, s;       /* low-res size, reduction */
    const float *zfull; /* the frame's depth pass */
    int W;
    float k;           /* strength: the beauty is multiplied by 1 - k + k ao */
} up_ctx;

static void up_free(void *u)
{
    up_ctx *c = u;
    free(c->z);
    free(c);
}

typedef float v4f __attribute__((vector_size(16)));
typedef int v4i __attribute__((vector_size(16)));

static inline v4f v4_abs(v4f v)
{
    v4i m = (v4i)v & 0x7fffffff;
    return (v4f)m;
}

static inline v4f v4_max(v4f a, v4f b)
{
    v4i m = a > b;
    return (v4f)((m & (v4i)a) | (~m & (v4i)b));
}

typedef float v8f __attribute__((vector_size(32)));
typedef int v8i __attribute__((vector_size(32)));

/* as v4_abs and v4_max (macros: a function returning a 32-byte vector needs AVX at its call) */
#define V8_ABS(v) ((v8f)((v8i)(v) & 0x7fffffff))
#define V8_MAX(a, b) ((v8f)((((a) > (b)) & (v8i)(a)) | (~((a) > (b)) & (v8i)(b))))

/* One full-res pixel: the four nearest low-res samples (rows a and b, columns xa and xb; ax, ay
 * the fractions), bilinear where all four lie on the pixel's surface, else weighted by how well
 * their depth matches. */
static inline float up_one(const float *za, const float *zb, const float *ta, const float *tb,
                           int xa, int xb, float ax, float ay, float z)
{
    float iz = 1 / (z > 1e-6f ? z : 1e-6f);
    float d00 = fabsf(za[xa] - z), d10 = fabsf(za[xb] - z), d01 = fabsf(zb[xa] - z),
          d11 = fabsf(zb[xb] - z);
    if (fmaxf(fmaxf(d00, d10), fmaxf(d01, d11)) * iz < 0.002f) { /* one surface: bilinear */
        float t0 = ta[xa] + ax * (ta[xb] - ta[xa]), t1 = tb[xa] + ax * (tb[xb] - tb[xa]);
        return t0 + ay * (t1 - t0);
    }
    float w00 = (1 - ax) * (1 - ay) / (1e-3f + d00 * iz) + 1e-6f;
    float w10 = ax * (1 - ay) / (1e-3f + d10 * iz) + 1e-6f;
    float w01 = (1 - ax) * ay / (1e-3f + d01 * iz) + 1e-6f;
    float w11 = ax * ay / (1e-3f + d11 * iz) + 1e-6f;
    return (w00 * ta[xa] + w10 * ta[xb] + w01 * tb[xa] + w11 * tb[xb]) / (w00 + w10 + w01 + w11);
}

/* n pixels of full-res row y from x0: the upsampled occlusion into v. At quarter resolution the
 * four pixels of a low-res cell share its four samples and go as one vector (the same operations
 * as up_one, lane by lane); a cell with a pixel off the surface goes pixel by pixel. */
__attribute__((target_clones("avx2", "default"))) static void up_row(const up_ctx *c, int y, int x0, int n, float *v)
{
    const float inv_s = 1.0f / (float)c->s;
    float fy = (float)y * inv_s;
    int y0 = (int)fy;
    float ay = fy - (float)y0;
    int ya = y0 < c->h ? y0 : c->h - 1, yb = y0 + 1 < c->h ? y0 + 1 : c->h - 1;
    const float *za = c->z + (size_t)ya * c->w, *zb = c->z + (size_t)yb * c->w;
    const float *ta = c->ao + (size_t)ya * c->w, *tb = c->ao + (size_t)yb * c->w;
    const float *zrow = c->zfull + (size_t)y * c->W;
    int i = 0;
    if (c->s == 4 && !(x0 & 3)) { /* two cells at a time: lanes 0-3 one cell, 4-7 the next */
        const v8f axv = {0.0f, 0.25f, 0.5f, 0.75f, 0.0f, 0.25f, 0.5f, 0.75f};
        for (; i + 8 <= n; i += 8) {
            int xl = (x0 + i) >> 2;
            int xa = xl < c->w ? xl : c->w - 1, xb = xl + 1 < c->w ? xl + 1 : c->w - 1;
            int xc = xb, xd = xl + 2 < c->w ? xl + 2 : c->w - 1; /* the second cell's a and b */
#define PAIR(p, i0, i1) ((v8f){p[i0], p[i0], p[i0], p[i0], p[i1], p[i1], p[i1], p[i1]})
            v8f zA = PAIR(za, xa, xc), zB = PAIR(za, xb, xd), zC = PAIR(zb, xa, xc), zD = PAIR(zb, xb, xd);
            v8f tA = PAIR(ta, xa, xc), tB = PAIR(ta, xb, xd), tC = PAIR(tb, xa, xc), tD = PAIR(tb, xb, xd);
#undef PAIR
            v8f z;
            memcpy(&z, zrow + x0 + i, sizeof z);
            v8f zc = z;
            v8i lo = zc > 1e-6f;
            zc = (v8f)((lo & (v8i)zc) | (~lo & (v8i)(v8f){1e-6f, 1e-6f, 1e-6f, 1e-6f, 1e-6f, 1e-6f, 1e-6f, 1e-6f}));
            v8f iz = 1 / zc;
            v8f d00 = V8_ABS(zA - z), d10 = V8_ABS(zB - z), d01 = V8_ABS(zC - z), d11 = V8_ABS(zD - z);
            v8f dm0 = V8_MAX(d00, d10), dm1 = V8_MAX(d01, d11);
            v8i one = V8_MAX(dm0, dm1) * iz < 0.002f;
            v8f t0 = tA + axv * (tB - tA), t1 = tC + axv * (tD - tC);
            v8f o = t0 + ay * (t1 - t0);
            int all = 1;
            for (int k = 0; k < 8; k++) all &= one[k] != 0;
            if (!all) {
                v8f w00 = (1 - axv) * (1 - ay) / (1e-3f + d00 * iz) + 1e-6f;
                v8f w10 = axv * (1 - ay) / (1e-3f + d10 * iz) + 1e-6f;
                v8f w01 = (1 - axv) * ay / (1e-3f + d01 * iz) + 1e-6f;
                v8f w11 = axv * ay / (1e-3f + d11 * iz) + 1e-6f;
                v8f ow = (w00 * tA + w10 * tB + w01 * tC + w11 * tD) / (w00 + w10 + w01 + w11);
                o = (v8f)((one & (v8i)o) | (~one & (v8i)ow));
            }
            memcpy(v + i, &o, sizeof o);
        }
    }
    if (c->s == 4) {
        const v4f axv = {0.0f, 0.25f, 0.5f, 0.75f};
        for (; i + 4 <= n; i += 4) {
            int x = x0 + i;
            if (x & 3) break;
            int xl = x >> 2;
            int xa = xl < c->w ? xl : c->w - 1, xb = xl + 1 < c->w ? xl + 1 : c->w - 1;
            v4f z;
            memcpy(&z, zrow + x, sizeof z);
            v4f zc = z;
            v4i lo = zc > 1e-6f;
            zc = (v4f)((lo & (v4i)zc) | (~lo & (v4i)(v4f){1e-6f, 1e-6f, 1e-6f, 1e-6f}));
            v4f iz = 1 / zc;
            v4f d00 = v4_abs(za[xa] - z), d10 = v4_abs(za[xb] - z), d01 = v4_abs(zb[xa] - z),
                d11 = v4_abs(zb[xb] - z);
            v4i one = v4_max(v4_max(d00, d10), v4_max(d01, d11)) * iz < 0.002f;
            v4f t0 = ta[xa] + axv * (ta[xb] - ta[xa]), t1 = tb[xa] + axv * (tb[xb] - tb[xa]);
            v4f o = t0 + ay * (t1 - t0);
            if (!(one[0] & one[1] & one[2] & one[3])) {
                v4f w00 = (1 - axv) * (1 - ay) / (1e-3f + d00 * iz) + 1e-6f;
                v4f w10 = axv * (1 - ay) / (1e-3f + d10 * iz) + 1e-6f;
                v4f w01 = (1 - axv) * ay / (1e-3f + d01 * iz) + 1e-6f;
                v4f w11 = axv * ay / (1e-3f + d11 * iz) + 1e-6f;
                v4f ow = (w00 * ta[xa] + w10 * ta[xb] + w01 * tb[xa] + w11 * tb[xb]) / (w00 + w10 + w01 + w11);
                o = (v4f)((one & (v4i)o) | (~one & (v4i)ow));
            }
            memcpy(v + i, &o, sizeof o);
        }
    }
    for (; i < n; i++) {
        int x = x0 + i;
        float fx = (float)x * inv_s;
        int xl = (int)fx;
        int xa = xl < c->w ? xl : c->w - 1, xb = xl + 1 < c->w ? xl + 1 : c->w - 1;
        v[i] = up_one(za, zb, ta, tb, xa, xb, fx - (float)xl, ay, zrow[x]);
    }
}

/* the deferred stage: multiplies the pixels' colour by 1 - k + k ao */
static void up_px(void *u, float *R, float *G, float *B, const float *rgba, int n, int x0, int y)
{
    const up_ctx *c = u;
    (void)rgba;
    float v[POL_RN_TILE];
    for (int b = 0; b < n; b += POL_RN_TILE) {
        int m = n - b < POL_RN_TILE ? n - b : POL_RN_TILE;
        up_row(c, y, x0 + b, m, v);
        for (int i = 0; i < m; i++) {
            float f = 1 - c->k + c->k * v[i];
            R[b + i] *= f, G[b + i] *= f, B[b + i] *= f;
        }
    }
}

typedef struct full_ctx {
    const up_ctx *u;
    float *out;
} full_ctx;

static void full_rows(void *p, size_t b, size_t e)
{
    const full_ctx *c = p;
    for (size_t y = b; y < e; y++) up_row(c->u, (int)y, 0, c->u->W, c->out + y * (size_t)c->u->W);
}

/* Ambient occlusion from the depth pass, computed at 1/scale resolution (scale 2 or 4) and
 * upsampled depth-aware; radius <= 0: automatic. With apply_k >= 0 the beauty's multiply by
 * 1 - k + k ao is deferred (pol__render_defer: it runs in the next pass over the frame); with out,
 * the full-res ao (w*h floats, malloc'ed) is made now. *mean: the mean of the low-res result. */
pol_status pol__render_ao(pol_run *run, pol__render *r, double radius, double fov_deg, int slices,
                          int steps, int scale, float apply_k, float **out, double *radius_used,
                          double *mean)
{
    if (out) *out = NULL;
    const float *Z = r->pass[POL_RP_DEPTH];
    int S = scale == 4 ? 4 : 2;
    int w = (r->w + S - 1) / S, h = (r->h + S - 1) / S;
    size_t nh = (size_t)w * h, nf = (size_t)r->w * r->h;
    pol_status st = pol__mem_reserve(run, (nh * 3 + (out ? nf : 0)) * 4, "ambient occlusion buffers");
    if (st) return st;
    up_ctx *u = calloc(1, sizeof *u);
    float *z = malloc(nh * 12), *o = out ? malloc(nf * 4) : NULL;
    if (!u || !z || (out && !o)) {
        free(u), free(z), free(o);
        return pol__fail(run, POL_ERR_NOMEM, "out of memory");
    }
    *u = (up_ctx){z, z + 2 * nh, w, h, S, Z, r->w, apply_k};
    float *ao = z + nh, *tmp = z + 2 * nh;
    /* low-res depth: the top-left pixel of each SxS block, placed at that pixel's centre (POS),
     * so a plane stays a plane (a min or mean would bend it and occlude open ground) */
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) {
            float v = Z[(size_t)(S * y) * r->w + (size_t)(S * x)];
            z[(size_t)y * w + x] = v > 0 && v < SKY ? v : SKY;
        }
    if (!(radius > 0)) { /* 5% of the median finite depth (of every 5th sample), by selection */
        double *d = malloc((nh / 5 + 1) * sizeof *d);
        if (!d) {
            free(u), free(z), free(o);
            return pol__fail(run, POL_ERR_NOMEM, "out of memory");
        }
        size_t k = 0;
        for (size_t i = 0; i < nh; i += 5)
            if (z[i] < SKY) d[k++] = z[i];
        radius = k ? 0.05 * (float)pol__select_k(d, k, k / 2) : 1;
        free(d);
    }
    *radius_used = radius;
    pthread_once(&dirs_once, dirs_build);
    ao_ctx c = {z, w, h, (float)(0.5 * r->w / S / tan(fov_deg * M_PI / 360)), (float)radius, slices,
                steps, ao, tmp, r->w, r->h, S, 0.5f / (float)S, 0};
#ifdef AO_AVX2
    c.avx2 = __builtin_cpu_supports("avx2") && !getenv("POLISH_RENDER_NO_AVX2");
#endif
    pol__parallel_blocks(run, (size_t)h, 4, ao_rows, &c);
    pol__parallel_blocks(run, (size_t)h, 8, blur_rows, &c);
    double m = 0;
    for (size_t i = 0; i < nh; i++) m += tmp[i];
    *mean = m / (double)nh;
    if (o) {
        full_ctx fc = {u, o};
        pol__parallel_for(run, (size_t)r->h, 8, full_rows, &fc);
        *out = o;
    }
    if (apply_k < 0) up_free(u);
    else if (!pol__render_defer(run, r, up_px, u, up_free))
        return pol__fail(run, POL_ERR_NOMEM, "out of memory");
    return POL_OK;
}

/* Does the item's delivery write an EXR with its passes (render.export --passes true)? */
static int plan_writes_passes(const pol_run *run)
{
    for (size_t i = 0; i < run->plan_n; i++)
        if (run->plan_ops[i] == &pol__render_op_export && pol__arg_bool(run->plan_args[i], "passes"))
            return 1;
    return 0;
}

static pol_status run(pol_run *run, pol_asset *asset, const pol_args *args)
{
    pol__render *r = pol__render_get(run, asset);
    if (!r->pass[POL_RP_DEPTH]) {
        pol__decline(run, "no depth pass (name a Depth/Z channel, or group NAME.depth.exr with the "
                     "beauty): ambient occlusion needs depth");
        return POL_OK;
    }
    double rad = pol__arg_has(args, "radius") ? pol__arg_num(args, "radius") : 0, used = 0, mean = 1;
    float *ao = NULL;
    float k = (float)pol__arg_num(args, "strength");
    /* the result becomes the frame's AO pass when it has none and the delivery writes passes */
    int keep = !r->pass[POL_RP_AO] && plan_writes_passes(run);
    int res = pol__arg_choice(args, "resolution");
    int scale = res == 1 ? 2 : res == 2 ? 4 : (r->w < r->h ? r->w : r->h) >= 720 ? 4 : 2;
    pol_status st = pol__render_ao(run, r, rad, pol__arg_num(args, "fov"), (int)pol__arg_int(args, "slices"),
                                   (int)pol__arg_int(args, "steps"), scale, k, keep ? &ao : NULL,
                                   &used, &mean);
    if (st) return st;
    pol__measure(run, "radius", used);
    pol__measure(run, "mean_occlusion", 1 - mean);
    if (ao) {
        r->pass[POL_RP_AO] = ao;
        snprintf(r->pass_src[POL_RP_AO], sizeof r->pass_src[POL_RP_AO], "render.ao");
    }
    pol__decide(run, "ambient occlusion from depth at %s resolution (radius %.3g, mean occlusion "
                "%.1f%%) applied at strength %.2f", scale == 2 ? "half" : "quarter", used,
                100 * (1 - mean), k);
    if (pol__want_figures(run)) {
        pol__render_flush(run, r);
        pol__render_figure(run, r, "before | after (ambient occlusion)");
    }
    return POL_OK;
}

const pol_op_desc pol__render_op_ao = {
    .domain = "render",
    .name = "ao",
    .summary = "Ambient occlusion from the depth pass (GTAO class)",
    .params = params,
    .n_params = POL_ARRAY_LEN(params),
    .run = run,
    .flags = POL_OP_AUTO,
};
