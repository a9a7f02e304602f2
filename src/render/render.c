/* polish — the render frame: allocation, copies, NaN/Inf repair, the display transform used for
 * 8/16-bit output, report figures. */
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include "image/image.h"
#include "image/image_io.h"
#include "render/render.h"

void *pol__rn_alloc(size_t bytes, int zeroed)
{
    void *p = zeroed ? calloc(1, bytes ? bytes : 1) : malloc(bytes ? bytes : 1);
#ifdef MADV_HUGEPAGE
    const uintptr_t hp = (uintptr_t)2 << 20;
    if (p && bytes >= 2 * hp) {
        uintptr_t a = ((uintptr_t)p + hp - 1) & ~(hp - 1), e = ((uintptr_t)p + bytes) & ~(hp - 1);
        if (e > a) madvise((void *)a, e - a, MADV_HUGEPAGE); /* advice: its failure changes nothing */
    }
#endif
    return p;
}

pol__render *pol__render_new(int w, int h)
{
    size_t n;
    if (w <= 0 || h <= 0 || !pol__mul_ok((size_t)w, (size_t)h, &n) || !pol__mul_ok(n, 16, &n))
        return NULL;
    pol__render *r = calloc(1, sizeof *r);
    if (!r) return NULL;
    r->w = w, r->h = h;
    r->save_float = -1;
    if (!(r->rgba = pol__rn_alloc(n, 0))) {
        free(r);
        return NULL;
    }
    return r;
}

void pol__render_free(void *p)
{
    pol__render *r = p;
    if (!r) return;
    for (int i = 0; i < r->nstage; i++)
        if (r->stage[i].ctx_free) r->stage[i].ctx_free(r->stage[i].ctx);
    free(r->rgba);
    for (int i = 0; i < 3; i++) free(r->scratch[i]);
    for (int i = 0; i < POL_RP_COUNT; i++) free(r->pass[i]);
    free(r->before);
    free(r);
}

static float *dup_floats(const float *p, size_t n)
{
    if (!p) return NULL;
    float *q = pol__rn_alloc(n * sizeof *q, 0);
    if (q) memcpy(q, p, n * sizeof *q);
    return q;
}

void *pol__render_clone(const void *p)
{
    const pol__render *s = p;
    if (s->nstage) pol__render_flush(NULL, (pol__render *)s); /* the same frame, made concrete */
    pol__render *r = malloc(sizeof *r);
    if (!r) return NULL;
    *r = *s;
    memset(r->scratch, 0, sizeof r->scratch);
    memset(r->scratch_n, 0, sizeof r->scratch_n);
    size_t n = (size_t)s->w * s->h;
    r->rgba = dup_floats(s->rgba, n * 4);
    int ok = r->rgba != NULL;
    for (int i = 0; i < POL_RP_COUNT; i++) {
        r->pass[i] = dup_floats(s->pass[i], n * pol__rp_channels(i));
        if (s->pass[i] && !r->pass[i]) ok = 0;
    }
    r->before = dup_floats(s->before, (size_t)s->before_w * s->before_h * 4);
    if (!ok) {
        pol__render_free(r);
        return NULL;
    }
    return r;
}

void *pol__render_scratch(pol__render *r, int slot, size_t bytes)
{
    if (slot < 0 || slot > 2) return NULL;
    if (r->scratch_n[slot] < bytes) {
        free(r->scratch[slot]);
        r->scratch_n[slot] = 0;
        if (!(r->scratch[slot] = pol__rn_alloc(bytes, 0))) return NULL;
        r->scratch_n[slot] = bytes;
    }
    return r->scratch[slot];
}

int pol__render_add_pass(pol__render *r, int p)
{
    if (r->pass[p]) return 1;
    r->pass[p] = pol__rn_alloc((size_t)r->w * r->h * pol__rp_channels(p) * sizeof(float), 1);
    return r->pass[p] != NULL;
}

pol_status pol__render_check_size(pol_run *run, uint64_t w, uint64_t h, int channels, const char *what)
{
    const pol_limits *l = run && run->opt ? &run->opt->limits : NULL;
    if (w == 0 || h == 0)
        return pol__fail(run, POL_ERR_CORRUPT, "%s header gives an empty image (%llux%llu)", what,
                         (unsigned long long)w, (unsigned long long)h);
    if (w > INT32_MAX / 16 || h > INT32_MAX / 16)
        return pol__fail(run, POL_ERR_LIMIT, "%s header claims %llux%llu pixels, beyond what can "
                         "be processed", what, (unsigned long long)w, (unsigned long long)h);
    if (l && l->max_pixels && w * h > l->max_pixels)
        return pol__fail(run, POL_ERR_LIMIT, "%s header claims %llux%llu = %llu pixels, over the "
                         "limit of %llu (--limit pixels=N)", what, (unsigned long long)w,
                         (unsigned long long)h, (unsigned long long)(w * h),
                         (unsigned long long)l->max_pixels);
    if (l && l->max_dimension && (w > l->max_dimension || h > l->max_dimension))
        return pol__fail(run, POL_ERR_LIMIT, "%s header claims %llux%llu pixels: a side over the "
                         "limit of %llu (--limit dimension=N)", what, (unsigned long long)w,
                         (unsigned long long)h, (unsigned long long)l->max_dimension);
    char msg[96];
    snprintf(msg, sizeof msg, "decoding the %llux%llu %s", (unsigned long long)w,
             (unsigned long long)h, what);
    return pol__mem_reserve(run, w * h * (uint64_t)channels * sizeof(float), msg);
}

/* ---- parallel loops --------------------------------------------------------------------------- */

size_t pol__rn_blocks(size_t n, size_t grain)
{
    return grain ? (n + grain - 1) / grain : n;
}

/* ---- deferred pointwise steps ---------------------------------------------------------------- */

#define TILE POL_RN_TILE

typedef pol__v4f v4f;
typedef pol__v4i v4i;
#define SEL4(m, a, b) ((v4f)(((m) & (v4i)(a)) | (~(m) & (v4i)(b))))

/* What the pass divides by and multiplies back: alpha where it is strictly between 1e-6 and 1,
 * else 1 (opaque, or too transparent to divide by). */
static inline v4f unit_alpha4(v4f a)
{
    return SEL4((a > 1e-6f) & (a < 1), a, ((v4f){1, 1, 1, 1}));
}

/* One row of the frame (at p, w pixels, row y) through the deferred steps: each tile
 * unpremultiplied into three planes, through the stages, and premultiplied back. Four pixels at
 * a time are transposed between RGBA and the planes in vectors (the same division and products
 * as one pixel alone, so the same numbers). */
static void stage_row(const pol__render *r, float *p, int y)
{
    float R[TILE] __attribute__((aligned(16))), G[TILE] __attribute__((aligned(16))),
        B[TILE] __attribute__((aligned(16)));
    const v4i lo = {0, 4, 1, 5}, hi = {2, 6, 3, 7}, first = {0, 1, 4, 5}, second = {2, 3, 6, 7};
    for (int x0 = 0; x0 < r->w; x0 += TILE, p += 4 * TILE) {
        int n = r->w - x0 < TILE ? r->w - x0 : TILE, i = 0;
        for (; i + 4 <= n; i += 4) {
            v4f vr, vg, vb, va;
            pol__rn_rgba4(p + 4 * i, &vr, &vg, &vb, &va);
            v4f k = 1.0f / unit_alpha4(va);
            vr *= k, vg *= k, vb *= k;
            memcpy(R + i, &vr, 16), memcpy(G + i, &vg, 16), memcpy(B + i, &vb, 16);
        }
        for (; i < n; i++) {
            float a = p[4 * i + 3], k = a > 1e-6f && a < 1 ? 1 / a : 1;
            R[i] = p[4 * i] * k, G[i] = p[4 * i + 1] * k, B[i] = p[4 * i + 2] * k;
        }
        for (int s = 0; s < r->nstage; s++) r->stage[s].fn(r->stage[s].ctx, R, G, B, p, n, x0, y);
        for (i = 0; i + 4 <= n; i += 4) {
            v4f q1, q3, vr, vg, vb;
            memcpy(&q1, p + 4 * i, 16), memcpy(&q3, p + 4 * i + 4, 16);
            v4f a = __builtin_shuffle(q1, q3, (v4i){3, 7, 0, 0});
            memcpy(&q1, p + 4 * i + 8, 16), memcpy(&q3, p + 4 * i + 12, 16);
            a = __builtin_shuffle(a, __builtin_shuffle(q1, q3, (v4i){3, 7, 0, 0}), first);
            v4f m = unit_alpha4(a);
            memcpy(&vr, R + i, 16), memcpy(&vg, G + i, 16), memcpy(&vb, B + i, 16);
            vr *= m, vg *= m, vb *= m;
            v4f u0 = __builtin_shuffle(vr, vg, lo), u1 = __builtin_shuffle(vr, vg, hi);
            v4f u2 = __builtin_shuffle(vb, a, lo), u3 = __builtin_shuffle(vb, a, hi);
            v4f o0 = __builtin_shuffle(u0, u2, first), o1 = __builtin_shuffle(u0, u2, second);
            v4f o2 = __builtin_shuffle(u1, u3, first), o3 = __builtin_shuffle(u1, u3, second);
            memcpy(p + 4 * i, &o0, 16), memcpy(p + 4 * i + 4, &o1, 16);
            memcpy(p + 4 * i + 8, &o2, 16), memcpy(p + 4 * i + 12, &o3, 16);
        }
        for (; i < n; i++) {
            float a = p[4 * i + 3], m = a > 1e-6f && a < 1 ? a : 1;
            p[4 * i] = R[i] * m, p[4 * i + 1] = G[i] * m, p[4 * i + 2] = B[i] * m;
        }
    }
}

static void flush_rows(void *u, size_t b, size_t e)
{
    pol__render *r = u;
    for (size_t y = b; y < e; y++) stage_row(r, r->rgba + y * r->w * 4, (int)y);
}

void pol__render_peek_row(const pol__render *r, int y, float *dst)
{
    memcpy(dst, r->rgba + (size_t)y * r->w * 4, (size_t)r->w * 4 * sizeof *dst);
    if (r->nstage) stage_row(r, dst, y);
}

void pol__render_flush(const pol_run *run, pol__render *r)
{
    if (!r->nstage) return;
    pol__parallel_blocks(run, (size_t)r->h, 8, flush_rows, r);
    for (int i = 0; i < r->nstage; i++)
        if (r->stage[i].ctx_free) r->stage[i].ctx_free(r->stage[i].ctx);
    r->nstage = 0;
}

typedef struct pass_ctx {
    pol__render *r;
    void (*fn)(void *user, size_t b, size_t e);
    void *user;
} pass_ctx;

static void pass_rows(void *u, size_t b, size_t e)
{
    pass_ctx *c = u;
    if (c->r->nstage) flush_rows(c->r, b, e);
    c->fn(c->user, b, e);
}

void pol__render_pass(const pol_run *run, pol__render *r, size_t grain,
                      void (*fn)(void *user, size_t b, size_t e), void *user)
{
    pass_ctx c = {r, fn, user};
    pol__parallel_blocks(run, (size_t)r->h, grain, pass_rows, &c);
    for (int i = 0; i < r->nstage; i++)
        if (r->stage[i].ctx_free) r->stage[i].ctx_free(r->stage[i].ctx);
    r->nstage = 0;
}

int pol__render_defer(const pol_run *run, pol__render *r, pol__rn_stage_fn fn, void *ctx,
                      void (*ctx_free)(void *ctx))
{
    if (!ctx) return 0;
    if (r->nstage == (int)(sizeof r->stage / sizeof r->stage[0])) pol__render_flush(run, r);
    r->stage[r->nstage].fn = fn, r->stage[r->nstage].ctx = ctx, r->stage[r->nstage].ctx_free = ctx_free;
    r->nstage++;
    return 1;
}

/* ---- NaN / Inf ------------------------------------------------------------------------------ */

typedef struct rep_ctx {
    float *v;
    int w, h, ch;
    const unsigned char *bad; /* per pixel */
} rep_ctx;

static void repair_rows(void *u, size_t b, size_t e)
{
    rep_ctx *c = u;
    for (size_t y = b; y < e; y++)
        for (int x = 0; x < c->w; x++) {
            size_t i = y * (size_t)c->w + (size_t)x;
            if (!c->bad[i]) continue;
            for (int k = 0; k < c->ch; k++) {
                float s = 0;
                int n = 0;
                static const int dx[4] = {-1, 1, 0, 0}, dy[4] = {0, 0, -1, 1};
                for (int d = 0; d < 4; d++) {
                    long xx = x + dx[d], yy = (long)y + dy[d];
                    if (xx < 0 || yy < 0 || xx >= c->w || yy >= c->h) continue;
                    size_t j = (size_t)yy * c->w + (size_t)xx;
                    if (c->bad[j]) continue;
                    s += c->v[j * c->ch + k], n++;
                }
                c->v[i * c->ch + k] = n ? s / n : (c->ch == 4 && k == 3 ? 1.0f : 0.0f);
            }
        }
}

static long long repair_plane(const pol_run *run, float *v, int w, int h, int ch, long long *nan,
                              long long *inf)
{
    size_t n = (size_t)w * h;
    unsigned char *bad = NULL;
    long long nb = 0;
    for (size_t i = 0; i < n; i++)
        for (int k = 0; k < ch; k++) {
            float x = v[i * ch + k];
            if (isfinite(x)) continue;
            if (isnan(x)) (*nan)++;
            else (*inf)++;
            if (!bad && !(bad = calloc(n, 1))) return -1;
            if (!bad[i]) nb++;
            bad[i] = 1;
        }
    if (!bad) return 0;
    rep_ctx c = {v, w, h, ch, bad};
    pol__parallel_for(run, (size_t)h, 32, repair_rows, &c);
    free(bad);
    return nb;
}

long long pol__render_repair(const pol_run *run, pol__render *r, long long *nan, long long *inf)
{
    long long t = repair_plane(run, r->rgba, r->w, r->h, 4, nan, inf);
    for (int p = 0; p < POL_RP_COUNT; p++)
        if (r->pass[p]) {
            long long pn = 0, pi = 0;
            repair_plane(run, r->pass[p], r->w, r->h, pol__rp_channels(p), &pn, &pi);
        }
    return t;
}

/* ---- colour --------------------------------------------------------------------------------- */

static void curve_fill(float *t, int lo, int hi, double (*f)(double v, const void *u), const void *u)
{
    for (size_t i = 0; i <= (size_t)(hi - lo) * 1024; i++) {
        uint32_t b = ((uint32_t)(127 + lo) << 23) + ((uint32_t)i << 13);
        float v;
        memcpy(&v, &b, sizeof v);
        t[i] = (float)f(v, u);
    }
}

int pol__rn_curve_build(pol__rn_curve *c, int lo, int hi, double (*f)(double v, const void *u),
                        const void *u)
{
    c->lo = lo, c->hi = hi;
    if (!(c->t = malloc(((size_t)(hi - lo) * 1024 + 1) * sizeof *c->t))) return 0;
    curve_fill(c->t, lo, hi, f, u);
    return 1;
}

void pol__rn_curve_free(pol__rn_curve *c)
{
    free(c->t);
    c->t = NULL;
}

static double srgb_encode_exact(double v, const void *u)
{
    (void)u;
    return v <= 0.0031308 ? 12.92 * v : 1.055 * pow(v, 1 / 2.4) - 0.055;
}

/* The sRGB encoding over [2^-9, 1) as a table, built once; below it is the linear segment. */
static pol__rn_curve srgb_curve;
static float srgb_table[9 * 1024 + 1];
static pthread_once_t srgb_once = PTHREAD_ONCE_INIT;

static void srgb_build(void)
{
    srgb_curve.t = srgb_table, srgb_curve.lo = -9, srgb_curve.hi = 0;
    curve_fill(srgb_table, -9, 0, srgb_encode_exact, NULL);
}

float pol__rn_srgb_encode(float v)
{
    if (!(v > 0)) return 0;
    if (v >= 1) return 1;
    if (v < 1.0f / 512) return 12.92f * v;
    pthread_once(&srgb_once, srgb_build);
    return pol__rn_curve_at(&srgb_curve, v);
}

float pol__rn_srgb_decode(float v)
{
    return v <= 0.04045f ? v / 12.92f : powf((v + 0.055f) / 1.055f, 2.4f);
}

typedef struct disp_ctx {
    const pol__render *r;
    float *out;
    int ch;
} disp_ctx;

static void disp_rows(void *u, size_t b, size_t e)
{
    disp_ctx *c = u;
    const pol__render *r = c->r;
    float lin[3 * 512], enc[3 * 512];
    for (size_t y = b; y < e; y++)
        for (int x0 = 0; x0 < r->w; x0 += 512) {
            int n = r->w - x0 < 512 ? r->w - x0 : 512;
            const float *p = r->rgba + (y * r->w + (size_t)x0) * 4;
            float *o = c->out + (y * r->w + (size_t)x0) * c->ch;
            for (int i = 0; i < n; i++) {
                float a = p[4 * i + 3], k = a > 1e-6f && a < 1 ? 1 / a : 1;
                for (int j = 0; j < 3; j++) lin[3 * i + j] = p[4 * i + j] * k;
            }
            if (r->display) {
                for (int i = 0; i < 3 * n; i++)
                    enc[i] = lin[i] < 0 ? 0 : lin[i] > 1 ? 1 : lin[i];
            } else {
                pol__linear_to_srgb_n(lin, enc, (size_t)3 * n);
            }
            for (int i = 0; i < n; i++) {
                for (int j = 0; j < 3; j++) o[c->ch * i + j] = enc[3 * i + j];
                if (c->ch == 4) {
                    float a = p[4 * i + 3];
                    o[4 * i + 3] = a < 0 ? 0 : a > 1 ? 1 : a;
                }
            }
        }
}

float *pol__render_display(const pol_run *run, const pol__render *r, int *channels)
{
    int ch = r->has_alpha ? 4 : 3;
    float *out = pol__image_alloc_px(r->w, r->h, ch);
    if (!out) return NULL;
    disp_ctx c = {r, out, ch};
    pol__parallel_for(run, (size_t)r->h, 16, disp_rows, &c);
    *channels = ch;
    return out;
}

/* ---- blur ----------------------------------------------------------------------------------- */

typedef struct blur_ctx {
    float *src, *dst;
    int w, h, ch, rad;
    const float *k;
    int vertical;
} blur_ctx;

static void blur_rows(void *u, size_t b, size_t e)
{
    blur_ctx *c = u;
    int w = c->w, h = c->h, ch = c->ch, R = c->rad;
    for (size_t i = b; i < e; i++) {
        if (!c->vertical) {
            const float *s = c->src + i * (size_t)w * ch;
            float *d = c->dst + i * (size_t)w * ch;
            for (int x = 0; x < w; x++)
                for (int k = 0; k < ch; k++) {
                    float acc = 0;
                    for (int t = -R; t <= R; t++) {
                        int xx = x + t < 0 ? 0 : x + t >= w ? w - 1 : x + t;
                        acc += c->k[t + R] * s[(size_t)xx * ch + k];
                    }
                    d[(size_t)x * ch + k] = acc;
                }
        } else {
            int y = (int)i;
            float *d = c->dst + (size_t)y * w * ch;
            for (int x = 0; x < w * ch; x++) d[x] = 0;
            for (int t = -R; t <= R; t++) {
                int yy = y + t < 0 ? 0 : y + t >= h ? h - 1 : y + t;
                const float *s = c->src + (size_t)yy * w * ch;
                float kk = c->k[t + R];
                for (int x = 0; x < w * ch; x++) d[x] += kk * s[x];
            }
        }
    }
}

void pol__rn_gauss(const pol_run *run, float *img, int w, int h, int ch, float sigma, float *tmp)
{
    if (sigma <= 0.05f) return;
    int R = (int)ceilf(sigma * 3);
    if (R > 64) R = 64;
    float k[129], s = 0;
    for (int t = -R; t <= R; t++) s += k[t + R] = expf(-0.5f * t * t / (sigma * sigma));
    for (int t = 0; t <= 2 * R; t++) k[t] /= s;
    blur_ctx c = {img, tmp, w, h, ch, R, k, 0};
    pol__parallel_for(run, (size_t)h, 16, blur_rows, &c);
    blur_ctx v = {tmp, img, w, h, ch, R, k, 1};
    pol__parallel_for(run, (size_t)h, 16, blur_rows, &v);
}

/* ---- figures -------------------------------------------------------------------------------- */

/* A small copy (longest side 320) of the frame, display-encoded, 3 channels 0..1. */
static float *small_display(const pol_run *run, const pol__render *r, int *sw, int *sh)
{
    int ch;
    float *d = pol__render_display(run, r, &ch);
    if (!d) return NULL;
    int m = r->w > r->h ? r->w : r->h;
    int s = m > 320 ? (m + 319) / 320 : 1;
    int w = r->w / s > 0 ? r->w / s : 1, h = r->h / s > 0 ? r->h / s : 1;
    float *o = malloc((size_t)w * h * 3 * sizeof *o);
    if (o)
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
                for (int k = 0; k < 3; k++) {
                    float acc = 0;
                    for (int j = 0; j < s; j++)
                        for (int i = 0; i < s; i++)
                            acc += d[((size_t)(y * s + j) * r->w + (size_t)(x * s + i)) * ch + k];
                    o[((size_t)y * w + x) * 3 + k] = acc / (float)(s * s);
                }
    pol__image_free_px(d);
    *sw = w, *sh = h;
    return o;
}

void pol__render_keep_before(pol_run *run, pol__render *r)
{
    if (!pol__want_figures(run) || r->before) return;
    int w, h;
    float *s = small_display(run, r, &w, &h);
    if (!s) return;
    r->before = s, r->before_w = w, r->before_h = h;
}

void pol__render_figure(pol_run *run, const pol__render *r, const char *title)
{
    if (!pol__want_figures(run)) return;
    int w, h;
    float *after = small_display(run, r, &w, &h);
    if (!after) return;
    int bw = r->before && r->before_w == w && r->before_h == h ? w : 0;
    pol__image *im = pol__image_new(bw ? 2 * w + 4 : w, h, 3);
    if (im) {
        for (int y = 0; y < h; y++)
            for (int x = 0; x < im->width; x++) {
                float *o = pol__image_row(im, y) + 3 * x;
                const float *s = NULL;
                if (bw && x < w) s = r->before + ((size_t)y * w + x) * 3;
                else if (bw && x >= w + 4) s = after + ((size_t)y * w + (x - w - 4)) * 3;
                else if (!bw) s = after + ((size_t)y * w + x) * 3;
                for (int k = 0; k < 3; k++) o[k] = s ? s[k] : 1.0f;
            }
        unsigned char *png = NULL;
        size_t len = 0;
        FILE *mf = open_memstream((char **)&png, &len);
        pol__image_save sv;
        memset(&sv, 0, sizeof sv);
        sv.bit_depth = 8;
        pol__meta_out m;
        memset(&m, 0, sizeof m);
        int ok = mf && !pol__png_save(run, im, &sv, &m, mf);
        if (mf) fclose(mf);
        if (ok) pol__figure(run, bw ? title : "after", "image/png", png, len);
        free(png);
        pol__image_free(im);
    }
    free(after);
}
