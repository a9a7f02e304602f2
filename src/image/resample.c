/* polish — separable resampling (Lanczos-3/2, linear) in linear light with premultiplied alpha,
 * threaded; plus fast sRGB transfer curves and the geometry of resize requests. */
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include "image/image_io.h"

/* ---- sRGB transfer curves by table ---------------------------------------------------------- */

#define LUT_N 8192
static float s2l_lut[LUT_N + 2], l2s_lut[LUT_N + 2];
static pthread_once_t lut_once = PTHREAD_ONCE_INIT;

static double s2l_exact(double v)
{
    return v <= 0.04045 ? v / 12.92 : pow((v + 0.055) / 1.055, 2.4);
}

static double l2s_exact(double v)
{
    return v <= 0.0031308 ? v * 12.92 : 1.055 * pow(v, 1 / 2.4) - 0.055;
}

static void lut_init(void)
{
    for (int i = 0; i <= LUT_N + 1; i++) {
        double v = (double)i / LUT_N;
        s2l_lut[i] = (float)s2l_exact(v);
        l2s_lut[i] = (float)l2s_exact(v);
    }
}

static inline float lut_eval(const float *lut, float v, double (*exact)(double))
{
    if (!(v >= 0.0f && v <= 1.0f)) /* out of range (or NaN): rare, do it properly */
        return v != v ? 0.0f : v < 0.0f ? -(float)exact(-v) : (float)exact(v);
    float f = v * LUT_N;
    int i = (int)f;
    float t = f - (float)i;
    return lut[i] + (lut[i + 1] - lut[i]) * t;
}

void pol__srgb_to_linear_n(const float *in, float *out, size_t n)
{
    pthread_once(&lut_once, lut_init);
    for (size_t i = 0; i < n; i++) out[i] = lut_eval(s2l_lut, in[i], s2l_exact);
}

void pol__linear_to_srgb_n(const float *in, float *out, size_t n)
{
    pthread_once(&lut_once, lut_init);
    for (size_t i = 0; i < n; i++) out[i] = lut_eval(l2s_lut, in[i], l2s_exact);
}

/* ---- filter weights ------------------------------------------------------------------------- */

typedef struct wtab {
    int *start; /* first source index of each output sample */
    int *n;     /* taps of each output sample */
    float *w;   /* weights, `stride` per output sample */
    int stride;
} wtab;

static double kernel_support(pol_kernel k)
{
    return k == POL_KERNEL_LANCZOS3 ? 3 : k == POL_KERNEL_LANCZOS2 ? 2 : 1;
}

static double kernel_eval(pol_kernel k, double x)
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
static int wtab_build(wtab *t, int in_size, double x0, double span, int out, pol_kernel k)
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

/* ---- the two passes ------------------------------------------------------------------------- */

typedef struct rs {
    const pol_image *src;
    int ch, alpha; /* alpha: index of the alpha channel, or -1 */
    int x_off;     /* first source column read (horizontal taps start from here) */
    int in_w;      /* source columns read */
    int out_w, out_h;
    int ylo;       /* first source row kept in tmp */
    wtab h, v;
    float *tmp; /* out_w x (rows) x ch, linear premultiplied */
    float *dst;
    int failed;
} rs;

/* Source row -> linear premultiplied values (alpha itself stays as it is). */
static void to_linear(const rs *r, const float *src, float *out, size_t n_px)
{
    int ch = r->ch;
    pol__srgb_to_linear_n(src, out, n_px * (size_t)ch);
    if (r->alpha < 0) return;
    for (size_t i = 0; i < n_px; i++) {
        float *p = out + i * (size_t)ch;
        float a = src[i * (size_t)ch + (size_t)r->alpha];
        p[r->alpha] = a;
        for (int c = 0; c < ch - 1; c++) p[c] *= a;
    }
}

static void pass_h(void *user, size_t begin, size_t end)
{
    rs *r = user;
    int ch = r->ch;
    float *lin = malloc((size_t)r->in_w * (size_t)ch * sizeof *lin);
    if (!lin) {
        r->failed = 1;
        return;
    }
    for (size_t yy = begin; yy < end; yy++) {
        const float *srow = pol_image_row(r->src, r->ylo + (int)yy) + (size_t)r->x_off * (size_t)ch;
        to_linear(r, srow, lin, (size_t)r->in_w);
        float *o = r->tmp + yy * (size_t)r->out_w * (size_t)ch;
        const int *start = r->h.start, *nt = r->h.n;
        const float *wt = r->h.w;
        int stride = r->h.stride;
        if (ch == 3) {
            for (int x = 0; x < r->out_w; x++) {
                const float *s = lin + (size_t)(start[x] - r->x_off) * 3;
                const float *w = wt + (size_t)x * (size_t)stride;
                float a0 = 0, a1 = 0, a2 = 0;
                for (int k = 0; k < nt[x]; k++, s += 3) {
                    a0 += w[k] * s[0];
                    a1 += w[k] * s[1];
                    a2 += w[k] * s[2];
                }
                o[0] = a0, o[1] = a1, o[2] = a2;
                o += 3;
            }
        } else {
            for (int x = 0; x < r->out_w; x++) {
                const float *s = lin + (size_t)(start[x] - r->x_off) * (size_t)ch;
                const float *w = wt + (size_t)x * (size_t)stride;
                float acc[4] = {0, 0, 0, 0};
                for (int k = 0; k < nt[x]; k++, s += ch)
                    for (int c = 0; c < ch; c++) acc[c] += w[k] * s[c];
                for (int c = 0; c < ch; c++) o[c] = acc[c];
                o += ch;
            }
        }
    }
    free(lin);
}

static void pass_v(void *user, size_t begin, size_t end)
{
    rs *r = user;
    int ch = r->ch;
    size_t rowlen = (size_t)r->out_w * (size_t)ch;
    float *acc = malloc(rowlen * sizeof *acc);
    if (!acc) {
        r->failed = 1;
        return;
    }
    for (size_t y = begin; y < end; y++) {
        const float *w = r->v.w + y * (size_t)r->v.stride;
        int s = r->v.start[y] - r->ylo, n = r->v.n[y];
        const float *row0 = r->tmp + (size_t)s * rowlen;
        for (size_t i = 0; i < rowlen; i++) acc[i] = w[0] * row0[i];
        for (int k = 1; k < n; k++) {
            const float *rk = r->tmp + (size_t)(s + k) * rowlen;
            float wk = w[k];
            for (size_t i = 0; i < rowlen; i++) acc[i] += wk * rk[i];
        }
        /* Lanczos lobes overshoot: clamp, un-premultiply, back to the encoded curve */
        if (r->alpha >= 0) {
            for (int x = 0; x < r->out_w; x++) {
                float *p = acc + (size_t)x * (size_t)ch;
                float a = p[r->alpha];
                a = a < 0 ? 0 : a > 1 ? 1 : a;
                float inv = a > 1e-6f ? 1.0f / a : 0.0f;
                for (int c = 0; c < ch - 1; c++) {
                    float v = p[c] * inv;
                    p[c] = v < 0 ? 0 : v > 1 ? 1 : v;
                }
                p[r->alpha] = a; /* alpha is not a colour: copied back after the curve */
            }
        } else {
            for (size_t i = 0; i < rowlen; i++) acc[i] = acc[i] < 0 ? 0 : acc[i] > 1 ? 1 : acc[i];
        }
        float *o = r->dst + y * rowlen;
        pol__linear_to_srgb_n(acc, o, rowlen);
        if (r->alpha >= 0)
            for (int x = 0; x < r->out_w; x++) {
                size_t i = (size_t)x * (size_t)ch + (size_t)r->alpha;
                o[i] = acc[i];
            }
    }
    free(acc);
}

float *pol__resample_rect(const pol_run *run, const pol_image *src, double x0, double y0,
                          double cw, double ch_, int out_w, int out_h, pol_kernel k)
{
    if (out_w <= 0 || out_h <= 0 || cw <= 0 || ch_ <= 0) return NULL;
    int ch = src->channels;
    float *dst = pol_image_alloc_px(out_w, out_h, ch);
    if (!dst) return NULL;
    /* Whole-pixel crop without scaling: a copy. */
    if (cw == out_w && ch_ == out_h && x0 == floor(x0) && y0 == floor(y0) && x0 >= 0 && y0 >= 0 &&
        x0 + cw <= src->width && y0 + ch_ <= src->height) {
        size_t rowlen = (size_t)out_w * (size_t)ch;
        for (int y = 0; y < out_h; y++)
            memcpy(dst + (size_t)y * rowlen,
                   pol_image_row(src, (int)y0 + y) + (size_t)x0 * (size_t)ch, rowlen * sizeof *dst);
        return dst;
    }
    rs r;
    memset(&r, 0, sizeof r);
    r.src = src;
    r.ch = ch;
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
    r.ylo = r.v.start[0];
    int y_end = 0;
    for (int i = 0; i < out_h; i++) {
        if (r.v.start[i] < r.ylo) r.ylo = r.v.start[i];
        if (r.v.start[i] + r.v.n[i] > y_end) y_end = r.v.start[i] + r.v.n[i];
    }
    int rows = y_end - r.ylo;
    size_t n;
    if (pol__mul_ok((size_t)out_w * (size_t)ch, (size_t)rows, &n) &&
        pol__mul_ok(n, sizeof(float), &n))
        r.tmp = malloc(n);
    if (!r.tmp) {
        wtab_free(&r.h);
        wtab_free(&r.v);
        free(dst);
        return NULL;
    }
    pol__parallel_for(run, (size_t)rows, 16, pass_h, &r);
    if (!r.failed) pol__parallel_for(run, (size_t)out_h, 16, pass_v, &r);
    free(r.tmp);
    wtab_free(&r.h);
    wtab_free(&r.v);
    if (r.failed) {
        free(dst);
        return NULL;
    }
    return dst;
}

float *pol__resample(const pol_run *run, const pol_image *src, int out_w, int out_h, pol_kernel k)
{
    return pol__resample_rect(run, src, 0, 0, src->width, src->height, out_w, out_h, k);
}

/* ---- geometry ------------------------------------------------------------------------------- */

static int round_pos(double v)
{
    long r = lround(v);
    return r < 1 ? 1 : r > 1000000 ? 1000000 : (int)r;
}

int pol__resize_geometry(const pol_resize_req *q, int w, int h, int *sw, int *sh, int *ow, int *oh)
{
    double sx, sy;
    if (q->width && q->height) {
        sx = (double)q->width / w;
        sy = (double)q->height / h;
        if (q->fit == POL_FIT_CONTAIN) sx = sy = sx < sy ? sx : sy;
        else if (q->fit == POL_FIT_COVER) sx = sy = sx > sy ? sx : sy;
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

int pol__resize_req_from_args(const pol_args *a, pol_resize_req *q)
{
    memset(q, 0, sizeof *q);
    if (pol__arg_has(a, "width")) q->width = (int)pol__arg_int(a, "width");
    if (pol__arg_has(a, "height")) q->height = (int)pol__arg_int(a, "height");
    if (pol__arg_has(a, "long-edge")) q->long_edge = (int)pol__arg_int(a, "long-edge");
    if (pol__arg_has(a, "scale")) q->scale = pol__arg_num(a, "scale");
    const char *fit = pol__arg_str(a, "fit");
    q->fit = fit && !strcmp(fit, "cover") ? POL_FIT_COVER
             : fit && !strcmp(fit, "fill") ? POL_FIT_FILL
                                           : POL_FIT_CONTAIN;
    q->upscale = pol__arg_bool(a, "upscale");
    return q->width || q->height || q->long_edge || q->scale > 0;
}
