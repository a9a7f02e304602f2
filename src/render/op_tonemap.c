/* polish — render.tonemap: exposure, then a view transform from scene-linear to display-encoded
 * sRGB: AgX (log2 encoding with an inset/outset matrix and a sigmoid fitted to Blender's AgX
 * base), ACES (the fitted RRT+ODT), a filmic curve (Hable), Reinhard (extended, on luminance). */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include "image/image_io.h"
#include "render/render.h"

enum { TM_AGX, TM_ACES, TM_FILMIC, TM_REINHARD, TM_NONE };

static const pol_param_desc params[] = {
    {"curve", POL_PARAM_ENUM, "agx", 0, -1, "agx|aces|filmic|reinhard|none",
     "The view transform: scene-linear light to a display picture.",
     .choice_help = (const char *const[]){
         "agx: Blender 4's default: smooth highlight roll-off, hues desaturate to white",
         "aces: the ACES RRT+ODT (fitted): punchy contrast",
         "filmic: a filmic S-curve (Hable) with a white point of 11.2",
         "reinhard: extended Reinhard on luminance with a white point",
         "none: only exposure and the sRGB transfer (values above 1 clip)", NULL}},
    {"exposure", POL_PARAM_NUM, "0", -16, 16, NULL, "Exposure change before the curve.", .unit = "EV"},
    {"white", POL_PARAM_NUM, "8", 1, 1000, NULL, "Reinhard: the scene value that maps to white.",
     .when = "curve=reinhard"},
};


/* AgX, per channel after the inset matrix: the log2 encoding between lo and hi stops, clamped,
 * through the sigmoid fitted to Blender's AgX base. */
#define AGX_LO (-12.47393)
#define AGX_HI 4.026069

static double agx_sigmoid(double x)
{
    double x2 = x * x, x4 = x2 * x2;
    return 15.5 * x4 * x2 - 40.14 * x4 * x + 31.96 * x4 - 6.868 * x2 * x + 0.4298 * x2 + 0.1191 * x -
           0.00232;
}

static double agx_in(double v, const void *u)
{
    (void)u;
    double x = (log2(v > 1e-10 ? v : 1e-10) - AGX_LO) / (AGX_HI - AGX_LO);
    return agx_sigmoid(x < 0 ? 0 : x > 1 ? 1 : x);
}

/* after the outset matrix: the sigmoid's output is gamma 2.2; to linear, then sRGB-encoded */
static double agx_out(double v, const void *u)
{
    (void)u;
    double l = pow(v, 2.2);
    return l >= 1 ? 1 : l <= 0.0031308 ? 12.92 * l : 1.055 * pow(l, 1 / 2.4) - 0.055;
}

/* the tables of agx_in over [2^-13, 2^5) (constant beyond: the log encoding clamps inside) and
 * agx_out over [2^-16, 2) (1 above; below, the few values left are computed) */
typedef struct agx_tables {
    pol__rn_curve in, out;
    float in_lo, in_hi;
} agx_tables;

/* the table of curve c (from 2^lo) at x clamped to [lo, hi]: no branch, so loops over a plane
 * vectorise */
static inline float curve_clamped(const pol__rn_curve *c, float x, float lo, float hi)
{
    x = x > lo ? x : lo; /* NaN too */
    x = x < hi ? x : hi;
    return pol__rn_curve_at(c, x);
}

static const float agx_inm[9] = {0.842479062253094f, 0.0784335999999992f, 0.0792237451477643f,
                                 0.0423282422610123f, 0.878468636469772f, 0.0791661274605434f,
                                 0.0423756549057051f, 0.0784336f, 0.879142973793104f};
static const float agx_outm[9] = {1.19687900512017f, -0.0980208811401368f, -0.0990297440797205f,
                                  -0.0528968517574562f, 1.15190312990417f, -0.0989611768448433f,
                                  -0.0529716355144438f, -0.0980434501171241f, 1.15107367264116f};

/* AgX on n pixels in planes, in place. Per channel after the inset matrix: at or below 2^-13 the
 * log encoding's clamp gives the table's first entry (in_lo), at 32 and above its last (in_hi),
 * so clamping x into the table gives those values exactly. After the outset matrix: 0 at or
 * below 0, 1 from 2 up, the table in between; the few values below the table's 2^-16 (rare:
 * near-black) are computed afterwards. */
static void agx_planes(const agx_tables *t, float *R, float *G, float *B, int n)
{
    float V[3][POL_RN_TILE];
    const float ilo = 1.0f / 8192, ihi = nextafterf(32, 0), olo = 1.0f / 65536, ohi = nextafterf(2, 0);
    for (int k = 0; k < 3; k++) {
        const float *m = agx_inm + 3 * k;
        float *v = V[k];
        for (int i = 0; i < n; i++)
            v[i] = curve_clamped(&t->in, m[0] * R[i] + m[1] * G[i] + m[2] * B[i], ilo, ihi);
    }
    float X[POL_RN_TILE];
    for (int k = 0; k < 3; k++) {
        const float *m = agx_outm + 3 * k;
        float *o = k == 0 ? R : k == 1 ? G : B;
        for (int i = 0; i < n; i++) X[i] = m[0] * V[0][i] + m[1] * V[1][i] + m[2] * V[2][i];
        int small = 0;
        for (int i = 0; i < n; i++) o[i] = curve_clamped(&t->out, X[i], olo, ohi);
        for (int i = 0; i < n; i++) o[i] = X[i] >= 2 ? 1.0f : X[i] > 0 ? o[i] : 0.0f;
        for (int i = 0; i < n; i++) small |= (X[i] > 0) & (X[i] < olo);
        if (small)
            for (int i = 0; i < n; i++)
                if (X[i] > 0 && X[i] < olo) o[i] = (float)agx_out(X[i], NULL);
    }
}

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#define AGX_AVX2 1
static int agx_use_avx2; /* set with the tables (agx_build), read after */

/* pol__rn_curve_at on 8 values already clamped into the table: the same integer steps on the
 * float's bits, the two entries gathered, the same interpolation */
__attribute__((target("avx2"))) static inline __m256 curve8(const pol__rn_curve *c, __m256 v)
{
    __m256i off = _mm256_sub_epi32(_mm256_castps_si256(v), _mm256_set1_epi32((int)((uint32_t)(127 + c->lo) << 23)));
    __m256i i = _mm256_srli_epi32(off, 13);
    __m256 fr = _mm256_mul_ps(_mm256_cvtepi32_ps(_mm256_and_si256(off, _mm256_set1_epi32(0x1fff))),
                              _mm256_set1_ps(1.0f / 8192));
    /* entries i and i + 1 are adjacent: gathered as 4 + 4 pairs (8-byte elements: half the
     * element loads of two 8-float gathers), then split */
    __m256 lo = _mm256_castpd_ps(_mm256_i32gather_pd((const double *)(const void *)c->t, _mm256_castsi256_si128(i), 4));
    __m256 hi = _mm256_castpd_ps(_mm256_i32gather_pd((const double *)(const void *)c->t, _mm256_extracti128_si256(i, 1), 4));
    __m256 a = _mm256_castpd_ps(_mm256_permute4x64_pd(_mm256_castps_pd(_mm256_shuffle_ps(lo, hi, _MM_SHUFFLE(2, 0, 2, 0))), _MM_SHUFFLE(3, 1, 2, 0)));
    __m256 b = _mm256_castpd_ps(_mm256_permute4x64_pd(_mm256_castps_pd(_mm256_shuffle_ps(lo, hi, _MM_SHUFFLE(3, 1, 3, 1))), _MM_SHUFFLE(3, 1, 2, 0)));
    return _mm256_add_ps(a, _mm256_mul_ps(fr, _mm256_sub_ps(b, a)));
}

/* clamped as curve_clamped does: below lo (or NaN) lo, above hi hi */
__attribute__((target("avx2"))) static inline __m256 clamp8(__m256 x, __m256 lo, __m256 hi)
{
    x = _mm256_blendv_ps(lo, x, _mm256_cmp_ps(x, lo, _CMP_GT_OQ));
    return _mm256_blendv_ps(hi, x, _mm256_cmp_ps(x, hi, _CMP_LT_OQ));
}

/* agx_planes on 8 pixels at a time with AVX2 gathers (the same operations lane by lane, no FMA);
 * returns how many pixels it did (a multiple of 8) */
__attribute__((target("avx2"))) static int agx_avx2(const agx_tables *t, float *R, float *G, float *B, int n)
{
    const __m256 ilo = _mm256_set1_ps(1.0f / 8192), ihi = _mm256_set1_ps(nextafterf(32, 0)),
                 olo = _mm256_set1_ps(1.0f / 65536), ohi = _mm256_set1_ps(nextafterf(2, 0)),
                 zero = _mm256_setzero_ps(), one = _mm256_set1_ps(1), two = _mm256_set1_ps(2);
    float *P[3] = {R, G, B};
    int i = 0;
    for (; i + 8 <= n; i += 8) {
        __m256 r = _mm256_loadu_ps(R + i), g = _mm256_loadu_ps(G + i), b = _mm256_loadu_ps(B + i), V[3];
        for (int k = 0; k < 3; k++) {
            const float *m = agx_inm + 3 * k;
            __m256 x = _mm256_add_ps(_mm256_add_ps(_mm256_mul_ps(_mm256_set1_ps(m[0]), r),
                                                   _mm256_mul_ps(_mm256_set1_ps(m[1]), g)),
                                     _mm256_mul_ps(_mm256_set1_ps(m[2]), b));
            V[k] = curve8(&t->in, clamp8(x, ilo, ihi));
        }
        for (int k = 0; k < 3; k++) {
            const float *m = agx_outm + 3 * k;
            __m256 X = _mm256_add_ps(_mm256_add_ps(_mm256_mul_ps(_mm256_set1_ps(m[0]), V[0]),
                                                   _mm256_mul_ps(_mm256_set1_ps(m[1]), V[1])),
                                     _mm256_mul_ps(_mm256_set1_ps(m[2]), V[2]));
            __m256 o = curve8(&t->out, clamp8(X, olo, ohi));
            __m256 pos = _mm256_cmp_ps(X, zero, _CMP_GT_OQ);
            o = _mm256_blendv_ps(zero, o, pos);
            o = _mm256_blendv_ps(o, one, _mm256_cmp_ps(X, two, _CMP_GE_OQ));
            int small = _mm256_movemask_ps(_mm256_and_ps(pos, _mm256_cmp_ps(X, olo, _CMP_LT_OQ)));
            _mm256_storeu_ps(P[k] + i, o);
            if (small) { /* near black, below the table: computed */
                float xs[8];
                _mm256_storeu_ps(xs, X);
                for (int l = 0; l < 8; l++)
                    if (small >> l & 1) P[k][i + l] = (float)agx_out(xs[l], NULL);
            }
        }
    }
    return i;
}
#endif

static void aces(float *c)
{
    static const float in[9] = {0.59719f, 0.35458f, 0.04823f, 0.07600f, 0.90834f,
                                0.01566f, 0.02840f, 0.13383f, 0.83777f};
    static const float outm[9] = {1.60475f, -0.53108f, -0.07367f, -0.10208f, 1.10813f,
                                  -0.00605f, -0.00327f, -0.07276f, 1.07602f};
    float v[3];
    for (int i = 0; i < 3; i++) {
        float x = in[3 * i] * c[0] + in[3 * i + 1] * c[1] + in[3 * i + 2] * c[2];
        float a = x * (x + 0.0245786f) - 0.000090537f, b = x * (0.983729f * x + 0.4329510f) + 0.238081f;
        v[i] = a / b;
    }
    for (int i = 0; i < 3; i++)
        c[i] = pol__rn_srgb_encode(outm[3 * i] * v[0] + outm[3 * i + 1] * v[1] + outm[3 * i + 2] * v[2]);
}

static float hable(float x)
{
    const float A = 0.15f, B = 0.50f, C = 0.10f, D = 0.20f, E = 0.02f, F = 0.30f;
    return ((x * (A * x + C * B) + D * E) / (x * (A * x + B) + D * F)) - E / F;
}

/* the AgX tables depend on nothing but the curves: made once for the process */
static agx_tables agx_tab;
static int agx_ok;
static pthread_once_t agx_once = PTHREAD_ONCE_INIT;

static void agx_build(void)
{
    agx_ok = pol__rn_curve_build(&agx_tab.in, -13, 5, agx_in, NULL) &&
             pol__rn_curve_build(&agx_tab.out, -16, 1, agx_out, NULL);
    agx_tab.in_lo = (float)agx_sigmoid(0), agx_tab.in_hi = (float)agx_sigmoid(1);
#ifdef AGX_AVX2
    agx_use_avx2 = __builtin_cpu_supports("avx2");
#endif
}

typedef struct tm_ctx {
    const agx_tables *agx;
    int curve;
    float gain, white2, hable_w;
} tm_ctx;

static void tm_free(void *u)
{
    free(u);
}

/* n unpremultiplied pixels in planes (a deferred step, run in the frame's fused pointwise pass) */
static void tm_px(void *u, float *R, float *G, float *B, const float *rgba, int n, int x0, int y)
{
    const tm_ctx *c = u;
    (void)rgba, (void)x0, (void)y;
    float *P[3] = {R, G, B};
    for (int k = 0; k < 3; k++)
        for (int i = 0; i < n; i++) {
            float x = P[k][i] * c->gain;
            P[k][i] = x > 0 ? x : 0;
        }
    switch (c->curve) {
    case TM_AGX:
    {
        int done = 0;
#ifdef AGX_AVX2
        if (agx_use_avx2) done = agx_avx2(c->agx, R, G, B, n);
#endif
        if (done < n) agx_planes(c->agx, R + done, G + done, B + done, n - done);
    }
        break;
    case TM_ACES:
        for (int i = 0; i < n; i++) {
            float v[3] = {R[i], G[i], B[i]};
            aces(v);
            R[i] = v[0], G[i] = v[1], B[i] = v[2];
        }
        break;
    case TM_FILMIC:
        for (int k = 0; k < 3; k++)
            for (int i = 0; i < n; i++) P[k][i] = pol__rn_srgb_encode(hable(2 * P[k][i]) / c->hable_w);
        break;
    case TM_REINHARD:
        for (int i = 0; i < n; i++) {
            float v[3] = {R[i], G[i], B[i]};
            float L = pol__rn_luma(v), Ln = L * (1 + L / c->white2) / (1 + L);
            float s = L > 1e-9f ? Ln / L : 0;
            R[i] = pol__rn_srgb_encode(v[0] * s), G[i] = pol__rn_srgb_encode(v[1] * s);
            B[i] = pol__rn_srgb_encode(v[2] * s);
        }
        break;
    default:
        for (int k = 0; k < 3; k++)
            for (int i = 0; i < n; i++) P[k][i] = pol__rn_srgb_encode(P[k][i]);
    }
}

/* tonemap's statistics: rows 3, 10, 17, ... as the deferred steps will leave them; per sampled
 * row k its log-luminance sum (in float, along the row) and the pixels above 1 */
typedef struct st_ctx {
    const pol__render *r;
    float *rs;
    size_t *over;
    int nomem;
} st_ctx;

static void stat_rows(void *u, size_t b, size_t e)
{
    st_ctx *c = u;
    const pol__render *r = c->r;
    float *row = malloc((size_t)r->w * 4 * sizeof *row);
    if (!row) {
        __atomic_store_n(&c->nomem, 1, __ATOMIC_RELAXED);
        return;
    }
    for (size_t k = b; k < e; k++) {
        pol__render_peek_row(r, 3 + 7 * (int)k, row);
        float rs = 0;
        size_t over = 0;
        for (int x = 0; x < r->w; x++) {
            float L = pol__rn_luma(row + 4 * x);
            over += L > 1;
            rs += logf(1e-4f + (L > 0 ? L : 0));
        }
        c->rs[k] = rs, c->over[k] = over;
    }
    free(row);
}

static pol_status run(pol_run *run, pol_asset *asset, const pol_args *args)
{
    pol__render *r = pol__render_of(asset); /* deferred steps stay deferred: the statistics
                                                below read their rows as the steps will leave them */
    if (r->display) {
        pol__decline(run, "the frame is display-referred already (%s): a second view transform "
                     "would darken and flatten it", r->view);
        return POL_OK;
    }
    int curve = pol__arg_choice(args, "curve");
    double ev = pol__arg_num(args, "exposure");
    size_t n = (size_t)r->w * r->h, over = 0;
    double lsum = 0;
    /* every 7th row (a seventh of the frame, read in whole cache lines: every 7th pixel read
     * as many lines as the whole frame), the rows shared by the threads, summed in row order */
    size_t ns = 0, nrows = r->h > 3 ? (size_t)(r->h - 4) / 7 + 1 : 0;
    st_ctx sc = {r, calloc(nrows + 1, sizeof *sc.rs), calloc(nrows + 1, sizeof *sc.over), 0};
    float *row = malloc((size_t)r->w * 4 * sizeof *row);
    if (!row || !sc.rs || !sc.over) {
        free(row), free(sc.rs), free(sc.over);
        return pol__fail(run, POL_ERR_NOMEM, "out of memory");
    }
    pol__parallel_blocks(run, nrows, 4, stat_rows, &sc);
    if (sc.nomem) {
        free(row), free(sc.rs), free(sc.over);
        return pol__fail(run, POL_ERR_NOMEM, "out of memory");
    }
    for (size_t k = 0; k < nrows; k++) lsum += sc.rs[k], over += sc.over[k], ns += (size_t)r->w;
    free(sc.rs), free(sc.over);
    for (int y = 0; !ns && y < r->h; y++) { /* fewer than 4 rows: all of them */
        pol__render_peek_row(r, y, row);
        for (int x = 0; x < r->w; x++) {
            float L = pol__rn_luma(row + 4 * x);
            over += L > 1;
            lsum += logf(1e-4f + (L > 0 ? L : 0));
        }
        ns += y + 1 == r->h ? n : 0;
    }
    free(row);
    pol__measure(run, "above_1_fraction", (double)over / (double)ns);
    pol__measure(run, "log_average_luminance", exp(lsum / (double)ns) - 1e-4);
    tm_ctx *c = calloc(1, sizeof *c);
    if (!c) return pol__fail(run, POL_ERR_NOMEM, "out of memory");
    *c = (tm_ctx){.curve = curve, .gain = (float)exp2(ev), .hable_w = hable(2 * 11.2f)};
    float w = (float)pol__arg_num(args, "white");
    c->white2 = w * w;
    if (curve == TM_AGX) {
        pthread_once(&agx_once, agx_build);
        if (!agx_ok) {
            tm_free(c);
            return pol__fail(run, POL_ERR_NOMEM, "out of memory");
        }
        c->agx = &agx_tab;
    }
    pol__render_defer(run, r, tm_px, c, tm_free); /* applied with the next pointwise steps */
    if (pol__want_figures(run)) pol__render_flush(run, r);
    static const char *const names[] = {"AgX", "ACES (fitted RRT+ODT)", "filmic (Hable)",
                                        "Reinhard (extended)", "sRGB transfer"};
    r->display = 1;
    snprintf(r->view, sizeof r->view, "%s", names[curve]);
    pol__decide(run, "%s view transform, exposure %+.2f EV, display-encoded sRGB", names[curve], ev);
    pol__render_figure(run, r, "before | after (tone map)");
    return POL_OK;
}

const pol_op_desc pol__render_op_tonemap = {
    .domain = "render",
    .name = "tonemap",
    .summary = "Tone map scene-linear light to a display picture (AgX, ACES, filmic, Reinhard)",
    .params = params,
    .n_params = POL_ARRAY_LEN(params),
    .run = run,
    .flags = POL_OP_AUTO | POL_OP_SCALE_SAFE,
};
