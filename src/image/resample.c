/* polish — separable resampling (Lanczos-3/2, linear) in linear light with premultiplied alpha,
 * threaded; plus fast sRGB transfer curves and the geometry of resize requests. */
#include <math.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif
#include <stdlib.h>
#include <string.h>
#include "image/image_io.h"

/* ---- sRGB transfer curves, vectorisable ---------------------------------------------------- */

/* Least-squares polynomials (Chebyshev-node fits, coefficients rounded to float): the power
 * segment of sRGB -> linear in v on [0.04045, 1] (max error 2.3e-6), and linear -> sRGB in
 * t = v^(1/4) on [0.0031308, 1] (max error 1.8e-6). No tables and no branches, so the compiler
 * turns both loops into SIMD code; pixels are 0..1 by contract, anything else is clamped. */
static const float s2l_c[8] = {0.05604371f, -0.25523970f, 0.51184464f, -0.63937211f,
                               0.79521704f, 0.49614000f,  0.03449250f, 0.00087511f};
static const float l2s_c[7] = {0.06487297f, -0.30603567f, 0.63876748f, -0.83896381f,
                               1.36022496f, 0.14077690f,  -0.05964176f};

static inline float poly(const float *c, int n, float x)
{
    float p = c[0];
    for (int k = 1; k < n; k++) p = p * x + c[k];
    return p;
}

static inline float clamp01(float v)
{
    v = v > 0.0f ? v : 0.0f; /* also NaN */
    return v < 1.0f ? v : 1.0f;
}

#ifdef __SSE2__
static inline __m128 s2l_ps(__m128 v)
{
    v = _mm_min_ps(_mm_max_ps(v, _mm_setzero_ps()), _mm_set1_ps(1.0f)); /* NaN -> 0 */
    __m128 p = _mm_set1_ps(s2l_c[0]);
    for (int k = 1; k < 8; k++) p = _mm_add_ps(_mm_mul_ps(p, v), _mm_set1_ps(s2l_c[k]));
    __m128 lin = _mm_mul_ps(v, _mm_set1_ps(1.0f / 12.92f));
    __m128 low = _mm_cmple_ps(v, _mm_set1_ps(0.04045f));
    return _mm_or_ps(_mm_and_ps(low, lin), _mm_andnot_ps(low, p));
}

static inline __m128 l2s_ps(__m128 v)
{
    v = _mm_min_ps(_mm_max_ps(v, _mm_setzero_ps()), _mm_set1_ps(1.0f));
    __m128 t = _mm_sqrt_ps(_mm_sqrt_ps(v));
    __m128 p = _mm_set1_ps(l2s_c[0]);
    for (int k = 1; k < 7; k++) p = _mm_add_ps(_mm_mul_ps(p, t), _mm_set1_ps(l2s_c[k]));
    __m128 lin = _mm_mul_ps(v, _mm_set1_ps(12.92f));
    __m128 low = _mm_cmple_ps(v, _mm_set1_ps(0.0031308f));
    return _mm_or_ps(_mm_and_ps(low, lin), _mm_andnot_ps(low, p));
}
#endif

void pol__srgb_to_linear_n(const float *in, float *out, size_t n)
{
    size_t i = 0;
#ifdef __SSE2__
    for (; i + 4 <= n; i += 4) _mm_storeu_ps(out + i, s2l_ps(_mm_loadu_ps(in + i)));
#endif
    for (; i < n; i++) {
        float v = clamp01(in[i]);
        out[i] = v <= 0.04045f ? v * (1.0f / 12.92f) : poly(s2l_c, 8, v);
    }
}

void pol__linear_to_srgb_n(const float *in, float *out, size_t n)
{
    size_t i = 0;
#ifdef __SSE2__
    for (; i + 4 <= n; i += 4) _mm_storeu_ps(out + i, l2s_ps(_mm_loadu_ps(in + i)));
#endif
    for (; i < n; i++) {
        float v = clamp01(in[i]);
        out[i] = v <= 0.0031308f ? v * 12.92f : poly(l2s_c, 7, sqrtf(sqrtf(v)));
    }
}

/* ---- filter weights ------------------------------------------------------------------------- */

typedef struct wtab {
    int *start; /* first source index of each output sample */
    int *n;     /* taps of each output sample */
    float *w;   /* weights, `stride` per output sample */
    int stride;
} wtab;

static double kernel_support(pol__kernel k)
{
    return k == POL_KERNEL_LANCZOS3 ? 3 : k == POL_KERNEL_LANCZOS2 ? 2 : 1;
}

static double kernel_eval(pol__kernel k, double x)
{
    x = fabs(x);
    if (k == POL_KERNEL_LINEAR) return x < 1 ? 1 - x : 0;
    double a = kernel_support(k);
    if (x < 1e-9) return 1;
    if (x >= a) return 0;
    double px = M_PI * x;
    return a * sin(px) * sin(px / a) / (px * px);
}

static void wtab_free(wtab *t)
{
    free(t->start);
    free(t->n);
    free(t->w);
}

/* Output sample i covers source [x0 + i*span/out, x0 + (i+1)*span/out). Taps beyond the edges
 * fold onto the edge sample (edge replication), so flat borders stay flat. */
static int wtab_build(wtab *t, int in_size, double x0, double span, int out, pol__kernel k)
{
    memset(t, 0, sizeof *t);
    double scale = span / out;
    double fs = scale > 1 ? scale : 1; /* widen the kernel when shrinking: anti-aliasing */
    double support = kernel_support(k) * fs;
    t->stride = (int)ceil(2 * support) + 2;
    if (t->stride > in_size) t->stride = in_size;
    t->start = malloc((size_t)out * sizeof *t->start);
    t->n = malloc((size_t)out * sizeof *t->n);
    t->w = calloc((size_t)out * (size_t)t->stride, sizeof *t->w);
    if (!t->start || !t->n || !t->w) {
        wtab_free(t);
        return 0;
    }
    for (int i = 0; i < out; i++) {
        double c = x0 + (i + 0.5) * scale - 0.5;
        int lo = (int)ceil(c - support), hi = (int)floor(c + support);
        int s = lo < 0 ? 0 : lo, e = hi > in_size - 1 ? in_size - 1 : hi;
        if (s > in_size - 1) s = in_size - 1;
        if (e < 0) e = 0;
        if (e < s) e = s;
        if (e - s + 1 > t->stride) e = s + t->stride - 1; /* cannot happen; keeps writes in range */
        float *w = t->w + (size_t)i * (size_t)t->stride;
        double sum = 0;
        for (int j = lo; j <= hi; j++) {
            double v = kernel_eval(k, (j - c) / fs);
            int jj = j < s ? s : j > e ? e : j;
            w[jj - s] += (float)v;
            sum += v;
        }
        if (fabs(sum) < 1e-12) { /* degenerate: nearest sample */
            int jj = (int)floor(c + 0.5);
            jj = jj < s ? s : jj > e ? e : jj;
            memset(w, 0, (size_t)t->stride * sizeof *w);
            w[jj - s] = 1;
            sum = 1;
        }
        for (int j = 0; j <= e - s; j++) w[j] = (float)(w[j] / sum);
        t->start[i] = s;
        t->n[i] = e - s + 1;
    }
    return 1;
}

/* ---- the passes, band by band -------------------------------------------------------------- */

/* Output rows are done in bands: each band filters just the source rows it needs horizontally
 * into a small scratch buffer, then vertically. Memory stays at a few MB per thread, and the
 * scratch stays in cache. Colour pixels are padded to 4 floats so a tap is one vector op. */
#define RS_BAND 64

typedef float v4f __attribute__((vector_size(16)));

typedef struct rs {
    const pol__image *src;
    int ch, cp; /* channels in the image; channels in scratch (3 -> 4, padded) */
    int alpha;  /* index of the alpha channel, or -1 */
    int x_off;  /* first source column read */
    int in_w;   /* source columns read */
    int out_w, out_h;
    wtab h, v;
    float *dst;
    int failed;
    int src_y0;    /* picture row of the source's first row (a strip's) */
    int o0, o1;    /* output rows made: [o0, o1); dst holds them from its first row */
    int band;      /* output rows per work unit (RS_BAND) */
} rs;

/* Source row -> linear light, premultiplied, padded to cp channels. */
static void to_linear(const rs *r, const float *src, float *lin, float *out, int n_px)
{
    int ch = r->ch, cp = r->cp;
    pol__srgb_to_linear_n(src, lin, (size_t)n_px * (size_t)ch);
    /* (the general loop below would become a memcpy and a memset call per pixel) */
    if (ch == 3) {
        for (int i = 0; i < n_px; i++, lin += 3, out += 4)
            out[0] = lin[0], out[1] = lin[1], out[2] = lin[2], out[3] = 0.0f;
        return;
    }
    if (ch == 4) {
        for (int i = 0; i < n_px; i++, lin += 4, out += 4) {
            float a = src[(size_t)i * 4 + 3];
            out[0] = lin[0] * a, out[1] = lin[1] * a, out[2] = lin[2] * a, out[3] = a;
        }
        return;
    }
    for (int i = 0; i < n_px; i++) {
        const float *l = lin + (size_t)i * (size_t)ch;
        float *o = out + (size_t)i * (size_t)cp;
        if (r->alpha < 0) {
            for (int c = 0; c < ch; c++) o[c] = l[c];
            for (int c = ch; c < cp; c++) o[c] = 0;
        } else {
            float a = src[(size_t)i * (size_t)ch + (size_t)r->alpha];
            for (int c = 0; c < ch - 1; c++) o[c] = l[c] * a;
            o[cp - 1] = a; /* alpha last, also when padded */
            for (int c = ch - 1; c < cp - 1; c++) o[c] = 0;
        }
    }
}

static void hfilter(const rs *r, const float *lin, float *o)
{
    const int *start = r->h.start, *nt = r->h.n;
    const float *wt = r->h.w;
    int stride = r->h.stride, cp = r->cp;
    if (cp == 4) {
        for (int x = 0; x < r->out_w; x++) {
            const v4f *s = (const v4f *)(lin + (size_t)(start[x] - r->x_off) * 4);
            const float *w = wt + (size_t)x * (size_t)stride;
            v4f acc = {0, 0, 0, 0};
            for (int k = 0; k < nt[x]; k++) acc += w[k] * s[k];
            *(v4f *)(o + (size_t)x * 4) = acc;
        }
        return;
    }
    for (int x = 0; x < r->out_w; x++) {
        const float *s = lin + (size_t)(start[x] - r->x_off) * (size_t)cp;
        const float *w = wt + (size_t)x * (size_t)stride;
        float acc[2] = {0, 0};
        for (int k = 0; k < nt[x]; k++, s += cp)
            for (int c = 0; c < cp; c++) acc[c] += w[k] * s[c];
        for (int c = 0; c < cp; c++) o[(size_t)x * (size_t)cp + (size_t)c] = acc[c];
    }
}

/* Clamp (Lanczos lobes overshoot), un-premultiply, back to the encoded curve, drop padding. */
static void finish_row(const rs *r, float *acc, float *enc, float *out)
{
    int ch = r->ch, cp = r->cp, w = r->out_w;
    if (ch == 3) {
        for (int x = 0; x < w; x++) {
            const float *p = acc + (size_t)x * 4;
            float *q = enc + (size_t)x * 3;
            q[0] = p[0], q[1] = p[1], q[2] = p[2];
        }
        pol__linear_to_srgb_n(enc, out, (size_t)w * 3);
        return;
    }
    for (int x = 0; x < w; x++) {
        float *p = acc + (size_t)x * (size_t)cp;
        float *q = enc + (size_t)x * (size_t)ch;
        if (r->alpha < 0) {
            for (int c = 0; c < ch; c++) q[c] = p[c];
        } else {
            float a = p[cp - 1];
            a = a < 0 ? 0 : a > 1 ? 1 : a;
            float inv = a > 1e-6f ? 1.0f / a : 0.0f;
            for (int c = 0; c < ch - 1; c++) q[c] = p[c] * inv;
            q[ch - 1] = a;
        }
    }
    size_t n = (size_t)w * (size_t)ch;
    pol__linear_to_srgb_n(enc, out, n);
    if (r->alpha >= 0)
        for (int x = 0; x < w; x++) {
            size_t i = (size_t)x * (size_t)ch + (size_t)r->alpha;
            out[i] = enc[i];
        }
}

static void do_bands(void *user, size_t begin, size_t end)
{
    rs *r = user;
    int cp = r->cp, ch = r->ch;
    size_t rowlen = (size_t)r->out_w * (size_t)cp;
    int max_rows = 0;
    for (size_t b = begin; b < end; b++) {
        int y0 = r->o0 + (int)b * r->band, y1 = y0 + r->band > r->o1 ? r->o1 : y0 + r->band;
        int lo = r->v.start[y0], hi = 0;
        for (int y = y0; y < y1; y++) {
            if (r->v.start[y] < lo) lo = r->v.start[y];
            if (r->v.start[y] + r->v.n[y] > hi) hi = r->v.start[y] + r->v.n[y];
        }
        if (hi - lo > max_rows) max_rows = hi - lo;
    }
    size_t in_len = (size_t)r->in_w * (size_t)(cp > ch ? cp : ch);
    float *tmp = aligned_alloc(64, ((size_t)max_rows * rowlen * sizeof(float) + 63) & ~(size_t)63);
    float *lin = aligned_alloc(64, (in_len * sizeof(float) + 63) & ~(size_t)63);
    float *pad = aligned_alloc(64, (in_len * sizeof(float) + 63) & ~(size_t)63);
    float *acc = aligned_alloc(64, (rowlen * sizeof(float) + 63) & ~(size_t)63);
    float *enc = aligned_alloc(64, (rowlen * sizeof(float) + 63) & ~(size_t)63);
    if (!tmp || !lin || !pad || !acc || !enc) {
        r->failed = 1;
        goto done;
    }
    for (size_t b = begin; b < end; b++) {
        int y0 = r->o0 + (int)b * r->band, y1 = y0 + r->band > r->o1 ? r->o1 : y0 + r->band;
        int lo = r->v.start[y0], hi = 0;
        for (int y = y0; y < y1; y++) {
            if (r->v.start[y] < lo) lo = r->v.start[y];
            if (r->v.start[y] + r->v.n[y] > hi) hi = r->v.start[y] + r->v.n[y];
        }
        for (int sy = lo; sy < hi; sy++) {
            const float *srow =
                pol__image_row(r->src, sy - r->src_y0) + (size_t)r->x_off * (size_t)ch;
            to_linear(r, srow, lin, pad, r->in_w);
            hfilter(r, pad, tmp + (size_t)(sy - lo) * rowlen);
        }
        for (int y = y0; y < y1; y++) {
            const float *w = r->v.w + (size_t)y * (size_t)r->v.stride;
            int s = r->v.start[y] - lo, n = r->v.n[y];
            const float *row0 = tmp + (size_t)s * rowlen;
            for (size_t i = 0; i < rowlen; i++) acc[i] = w[0] * row0[i];
            for (int k = 1; k < n; k++) {
                const float *rk = tmp + (size_t)(s + k) * rowlen;
                float wk = w[k];
                for (size_t i = 0; i < rowlen; i++) acc[i] += wk * rk[i];
            }
            finish_row(r, acc, enc, r->dst + (size_t)(y - r->o0) * (size_t)r->out_w * (size_t)ch);
        }
    }
done:
    free(tmp), free(lin), free(pad), free(acc), free(enc);
}

float *pol__resample_rect(const pol_run *run, const pol__image *src, double x0, double y0, double cw,
                          double ch_, int out_w, int out_h, pol__kernel k)
{
    if (out_w <= 0 || out_h <= 0 || cw <= 0 || ch_ <= 0) return NULL;
    int ch = src->channels;
    float *dst = pol__image_alloc_px(out_w, out_h, ch);
    if (!dst) return NULL;
    /* Whole-pixel crop without scaling: a copy. */
    if (cw == out_w && ch_ == out_h && x0 == floor(x0) && y0 == floor(y0) && x0 >= 0 && y0 >= 0 &&
        x0 + cw <= src->width && y0 + ch_ <= src->height) {
        size_t rowlen = (size_t)out_w * (size_t)ch;
        for (int y = 0; y < out_h; y++)
            memcpy(dst + (size_t)y * rowlen,
                   pol__image_row(src, (int)y0 + y) + (size_t)x0 * (size_t)ch, rowlen * sizeof *dst);
        return dst;
    }
    rs r;
    memset(&r, 0, sizeof r);
    r.src = src;
    r.ch = ch;
    r.cp = ch == 3 ? 4 : ch;
    r.alpha = ch == 2 || ch == 4 ? ch - 1 : -1;
    r.out_w = out_w;
    r.out_h = out_h;
    r.dst = dst;
    if (!wtab_build(&r.h, src->width, x0, cw, out_w, k) ||
        !wtab_build(&r.v, src->height, y0, ch_, out_h, k)) {
        wtab_free(&r.h);
        wtab_free(&r.v);
        free(dst);
        return NULL;
    }
    r.x_off = r.h.start[0];
    int x_end = 0;
    for (int i = 0; i < out_w; i++) {
        if (r.h.start[i] < r.x_off) r.x_off = r.h.start[i];
        if (r.h.start[i] + r.h.n[i] > x_end) x_end = r.h.start[i] + r.h.n[i];
    }
    r.in_w = x_end - r.x_off;
    r.o0 = 0;
    r.o1 = out_h;
    r.band = RS_BAND;
    size_t bands = ((size_t)out_h + RS_BAND - 1) / RS_BAND;
    pol__parallel_for(run, bands, 1, do_bands, &r);
    wtab_free(&r.h);
    wtab_free(&r.v);
    if (r.failed) {
        free(dst);
        return NULL;
    }
    return dst;
}

float *pol__resample(const pol_run *run, const pol__image *src, int out_w, int out_h, pol__kernel k)
{
    return pol__resample_rect(run, src, 0, 0, src->width, src->height, out_w, out_h, k);
}

/* ---- strips: output rows made from a band of source rows ---------------------------------- */

struct pol__rs_rows {
    rs r;
    double ratio; /* source rows per output row */
    int in_width;
};

pol__rs_rows *pol__rs_rows_new(int in_w, int in_h, int ch, int out_w, int out_h, pol__kernel k)
{
    pol__rs_rows *s = calloc(1, sizeof *s);
    if (!s) return NULL;
    rs *r = &s->r;
    r->ch = ch;
    r->cp = ch == 3 ? 4 : ch;
    r->alpha = ch == 2 || ch == 4 ? ch - 1 : -1;
    r->out_w = out_w;
    r->out_h = out_h;
    if (!wtab_build(&r->h, in_w, 0, in_w, out_w, k) || !wtab_build(&r->v, in_h, 0, in_h, out_h, k)) {
        pol__rs_rows_free(s);
        return NULL;
    }
    int x_end = 0;
    r->x_off = r->h.start[0];
    for (int i = 0; i < out_w; i++) {
        if (r->h.start[i] < r->x_off) r->x_off = r->h.start[i];
        if (r->h.start[i] + r->h.n[i] > x_end) x_end = r->h.start[i] + r->h.n[i];
    }
    r->in_w = x_end - r->x_off;
    s->ratio = (double)in_h / out_h;
    s->in_width = in_w;
    return s;
}

void pol__rs_rows_free(pol__rs_rows *s)
{
    if (!s) return;
    wtab_free(&s->r.h);
    wtab_free(&s->r.v);
    free(s);
}

int pol__rs_rows_anchor(const pol__rs_rows *s, int y)
{
    int a = (int)floor((y + 0.5) * s->ratio);
    return a < 0 ? 0 : a;
}

void pol__rs_rows_range(const pol__rs_rows *s, int s0, int s1, int *o0, int *o1)
{
    const rs *r = &s->r;
    int a = 0, b;
    while (a < r->out_h && r->v.start[a] < s0) a++;
    b = a;
    while (b < r->out_h && r->v.start[b] + r->v.n[b] <= s1) b++;
    *o0 = a;
    *o1 = b;
}

int pol__rs_rows_make(const pol_run *run, pol__rs_rows *s, const float *src, int s0, int rows,
                      int o0, int o1, float *dst)
{
    rs *r = &s->r;
    if (o1 <= o0) return 1;
    if (r->v.start[o0] < s0 || r->v.start[o1 - 1] + r->v.n[o1 - 1] > s0 + rows) return 0;
    pol__image view = {.width = s->in_width, .height = rows, .channels = r->ch, .px = (float *)src};
    r->src = &view;
    r->src_y0 = s0;
    r->o0 = o0;
    r->o1 = o1;
    r->dst = dst;
    r->failed = 0;
    /* a strip is a few dozen rows: split for the item's threads */
    r->band = (o1 - o0 + 3) / 4 > 8 ? (o1 - o0 + 3) / 4 : 8;
    size_t bands = ((size_t)(o1 - o0) + (size_t)r->band - 1) / (size_t)r->band;
    pol__parallel_for(run, bands, 1, do_bands, r);
    r->src = NULL;
    return !r->failed;
}

/* ---- streaming: resize while a decoder delivers rows ------------------------------------- */

/* The same filters as above, fed one source row at a time: horizontally filtered rows wait in a
 * ring just deep enough for the vertical taps, and each output row is made as soon as its last
 * source row has arrived. The full-size picture never exists in memory. */
struct pol__rs_stream {
    rs r;
    int next_in, next_out, cap;
    size_t rowlen;
    float *ring, *lin, *pad, *acc, *enc;
};

void pol__rs_stream_free(pol__rs_stream *s)
{
    if (!s) return;
    wtab_free(&s->r.h);
    wtab_free(&s->r.v);
    free(s->ring), free(s->lin), free(s->pad), free(s->acc), free(s->enc);
    free(s);
}

static float *falloc(size_t n)
{
    return aligned_alloc(64, (n * sizeof(float) + 63) & ~(size_t)63);
}

pol__rs_stream *pol__rs_stream_new(int in_w, int in_h, int ch, int out_w, int out_h, pol__kernel k,
                                  float *dst)
{
    pol__rs_stream *s = calloc(1, sizeof *s);
    if (!s) return NULL;
    rs *r = &s->r;
    r->ch = ch;
    r->cp = ch == 3 ? 4 : ch;
    r->alpha = ch == 2 || ch == 4 ? ch - 1 : -1;
    r->out_w = out_w;
    r->out_h = out_h;
    r->dst = dst;
    if (!wtab_build(&r->h, in_w, 0, in_w, out_w, k) ||
        !wtab_build(&r->v, in_h, 0, in_h, out_h, k)) {
        pol__rs_stream_free(s);
        return NULL;
    }
    r->x_off = 0; /* every source column is read: taps start at their own index */
    r->in_w = in_w;
    s->cap = r->v.stride;
    s->rowlen = (size_t)out_w * (size_t)r->cp;
    size_t in_len = (size_t)in_w * (size_t)(r->cp > ch ? r->cp : ch);
    s->ring = falloc((size_t)s->cap * s->rowlen);
    s->lin = falloc(in_len);
    s->pad = falloc(in_len);
    s->acc = falloc(s->rowlen);
    s->enc = falloc(s->rowlen);
    if (!s->ring || !s->lin || !s->pad || !s->acc || !s->enc) {
        pol__rs_stream_free(s);
        return NULL;
    }
    return s;
}

void pol__rs_stream_push(pol__rs_stream *s, const float *row)
{
    rs *r = &s->r;
    if (s->next_in >= r->v.start[r->out_h - 1] + r->v.n[r->out_h - 1]) return; /* not needed */
    to_linear(r, row, s->lin, s->pad, r->in_w);
    hfilter(r, s->pad, s->ring + (size_t)(s->next_in % s->cap) * s->rowlen);
    s->next_in++;
    while (s->next_out < r->out_h && r->v.start[s->next_out] + r->v.n[s->next_out] <= s->next_in) {
        int y = s->next_out++;
        const float *w = r->v.w + (size_t)y * (size_t)r->v.stride;
        int st = r->v.start[y], n = r->v.n[y];
        const float *row0 = s->ring + (size_t)(st % s->cap) * s->rowlen;
        for (size_t i = 0; i < s->rowlen; i++) s->acc[i] = w[0] * row0[i];
        for (int k = 1; k < n; k++) {
            const float *rk = s->ring + (size_t)((st + k) % s->cap) * s->rowlen;
            float wk = w[k];
            for (size_t i = 0; i < s->rowlen; i++) s->acc[i] += wk * rk[i];
        }
        finish_row(r, s->acc, s->enc, r->dst + (size_t)y * (size_t)r->out_w * (size_t)r->ch);
    }
}

int pol__rs_stream_done(const pol__rs_stream *s)
{
    return s->next_out == s->r.out_h;
}

/* ---- geometry ------------------------------------------------------------------------------- */

static int round_pos(double v)
{
    long r = lround(v);
    return r < 1 ? 1 : r > 1000000 ? 1000000 : (int)r;
}

int pol__resize_geometry(const pol__resize_req *q, int w, int h, int *sw, int *sh, int *ow, int *oh)
{
    double sx, sy;
    if (q->width && q->height) {
        sx = (double)q->width / w;
        sy = (double)q->height / h;
        if (q->fit == POL_FIT_CONTAIN)
            sx = sy = sx < sy ? sx : sy;
        else if (q->fit == POL_FIT_COVER)
            sx = sy = sx > sy ? sx : sy;
    } else if (q->width) {
        sx = sy = (double)q->width / w;
    } else if (q->height) {
        sx = sy = (double)q->height / h;
    } else if (q->long_edge) {
        sx = sy = (double)q->long_edge / (w > h ? w : h);
    } else if (q->scale > 0) {
        sx = sy = q->scale;
    } else {
        return 0;
    }
    if (!q->upscale && (sx > 1 || sy > 1)) {
        /* keep the aspect the request asked for, but never enlarge */
        double m = sx > sy ? sx : sy;
        sx /= m;
        sy /= m;
        if (q->fit != POL_FIT_FILL || !(q->width && q->height)) sx = sy = sx < sy ? sx : sy;
    }
    *sw = round_pos(w * sx);
    *sh = round_pos(h * sy);
    /* exact requested sides where they were asked for (rounding must not give 1079) */
    if (q->width && !q->height && q->upscale) *sw = q->width;
    if (q->height && !q->width && q->upscale) *sh = q->height;
    *ow = *sw;
    *oh = *sh;
    if (q->width && q->height && q->fit == POL_FIT_COVER) {
        *ow = *sw < q->width ? *sw : q->width;
        *oh = *sh < q->height ? *sh : q->height;
    }
    return 1;
}

int pol__resize_req_from_args(const pol_args *a, pol__resize_req *q)
{
    memset(q, 0, sizeof *q);
    if (pol__arg_has(a, "width")) q->width = (int)pol__arg_int(a, "width");
    if (pol__arg_has(a, "height")) q->height = (int)pol__arg_int(a, "height");
    if (pol__arg_has(a, "long-edge")) q->long_edge = (int)pol__arg_int(a, "long-edge");
    if (pol__arg_has(a, "scale")) q->scale = pol__arg_num(a, "scale");
    const char *fit = pol__arg_str(a, "fit");
    q->fit = fit && !strcmp(fit, "cover")  ? POL_FIT_COVER
             : fit && !strcmp(fit, "fill") ? POL_FIT_FILL
                                           : POL_FIT_CONTAIN;
    q->upscale = pol__arg_bool(a, "upscale");
    return q->width || q->height || q->long_edge || q->scale > 0;
}
