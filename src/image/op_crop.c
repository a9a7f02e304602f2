/* polish — image.crop: crops to an aspect ratio with saliency-based placement, or to a box. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "image/image_io.h"
#include "image/saliency.h"

static const pol_param_desc params[] = {
    {"aspect", POL_PARAM_STR, NULL, 0, -1, NULL, "Aspect ratio W:H, e.g. 4:5 or 1.91:1."},
    {"box", POL_PARAM_STR, NULL, 0, -1, NULL, "Explicit box x,y,w,h in pixels."},
    {"placement", POL_PARAM_ENUM, "saliency", 0, -1, "saliency|center",
     "Where an aspect crop goes: on the most salient region, or centred."},
};

/* "4:5", "1.91:1", "16/9" or "1.5" -> width/height. */
static int parse_aspect(const char *s, double *out)
{
    char *end;
    double a = strtod(s, &end), b = 1;
    if (end == s || !(a > 0)) return 0;
    if (*end == ':' || *end == '/' || *end == 'x') {
        const char *q = end + 1;
        b = strtod(q, &end);
        if (end == q || !(b > 0)) return 0;
    }
    while (*end == ' ') end++;
    if (*end) return 0;
    *out = a / b;
    return isfinite(*out) && *out > 1e-3 && *out < 1e3;
}

static int parse_box(const char *s, long v[4])
{
    const char *p = s;
    for (int i = 0; i < 4; i++) {
        char *end;
        v[i] = strtol(p, &end, 10);
        if (end == p) return 0;
        while (*end == ' ') end++;
        if (i < 3) {
            if (*end != ',') return 0;
            end++;
        }
        p = end;
    }
    return *p == 0;
}

static pol_status cut(pol_run *run, pol__image *im, int x, int y, int w, int h)
{
    int ch = im->channels;
    float *px = pol__image_alloc_px(w, h, ch);
    if (!px) return pol__fail(run, POL_ERR_NOMEM, "out of memory cropping to %dx%d", w, h);
    for (int r = 0; r < h; r++)
        memcpy(px + (size_t)r * w * ch, pol__image_row(im, y + r) + (size_t)x * ch,
               sizeof(float) * (size_t)w * ch);
    pol__image_replace_px(im, px, w, h, ch);
    return POL_OK;
}

static pol_status run(pol_run *run, pol_asset *asset, const pol_args *args)
{
    pol__image *im = pol__image_of(asset);
    const char *aspect = pol__arg_str(args, "aspect"), *box = pol__arg_str(args, "box");
    int W = im->width, H = im->height, x, y, w, h;
    if (box) {
        long v[4];
        if (!parse_box(box, v))
            return pol__fail(run, POL_ERR_ARG, "crop --box '%s': expected x,y,w,h in pixels", box);
        if (v[0] < 0 || v[1] < 0 || v[2] < 1 || v[3] < 1 || v[0] + v[2] > W || v[1] + v[3] > H)
            return pol__fail(run, POL_ERR_ARG, "crop --box %ld,%ld,%ld,%ld is outside the %dx%d image",
                             v[0], v[1], v[2], v[3], W, H);
        x = (int)v[0];
        y = (int)v[1];
        w = (int)v[2];
        h = (int)v[3];
        pol__decide(run, "cropped to the box %d,%d %dx%d", x, y, w, h);
    } else if (aspect) {
        double a;
        if (!parse_aspect(aspect, &a))
            return pol__fail(run, POL_ERR_ARG, "crop --aspect '%s': expected W:H such as 4:5",
                             aspect);
        /* The largest window of that shape. */
        if ((double)W / H > a) {
            h = H;
            w = (int)lround(H * a);
        } else {
            w = W;
            h = (int)lround(W / a);
        }
        w = w < 1 ? 1 : w > W ? W : w;
        h = h < 1 ? 1 : h > H ? H : h;
        if (w == W && h == H) {
            pol__decline(run, "the image already has the aspect ratio %s", aspect);
            return POL_OK;
        }
        x = (W - w) / 2;
        y = (H - h) / 2;
        if (!strcmp(pol__arg_str(args, "placement"), "saliency")) {
            if (pol__image_saliency_crop(im, w, h, &x, &y) != 0)
                return pol__fail(run, POL_ERR_NOMEM, "out of memory computing saliency");
            pol__decide(run, "kept the most salient %dx%d window at %d,%d (centre would be %d,%d)",
                        w, h, x, y, (W - w) / 2, (H - h) / 2);
        } else {
            pol__decide(run, "kept the centred %dx%d window", w, h);
        }
    } else {
        pol__decline(run, "neither --aspect nor --box given");
        return POL_OK;
    }
    pol__measure_int(run, "x", x);
    pol__measure_int(run, "y", y);
    pol__measure_int(run, "width", w);
    pol__measure_int(run, "height", h);
    return cut(run, im, x, y, w, h);
}

/* ---- strip by strip (a box: the rows and columns kept are known from the size alone) -------- */

typedef struct crop_state {
    const char *box;
    int ready, x, y, w, h;
} crop_state;

static int crop_can(const pol_args *args)
{
    return pol__arg_str(args, "box") != NULL;
}

static pol_status crop_begin(pol_run *run, const pol_args *args, void **state)
{
    crop_state *s = calloc(1, sizeof *s);
    if (!s) return pol__fail(run, POL_ERR_NOMEM, "out of memory");
    s->box = pol__arg_str(args, "box");
    *state = s;
    return POL_OK;
}

static pol_status crop_apply(pol_run *run, void *state, pol__chunk *c)
{
    crop_state *s = state;
    pol__strip *st = pol__strip_of(c);
    if (!s->ready) { /* the first strip: checked and reported as the whole picture's crop is */
        long v[4];
        int W = st->width, H = st->height;
        if (!parse_box(s->box, v))
            return pol__fail(run, POL_ERR_ARG, "crop --box '%s': expected x,y,w,h in pixels", s->box);
        if (v[0] < 0 || v[1] < 0 || v[2] < 1 || v[3] < 1 || v[0] + v[2] > W || v[1] + v[3] > H)
            return pol__fail(run, POL_ERR_ARG, "crop --box %ld,%ld,%ld,%ld is outside the %dx%d image",
                             v[0], v[1], v[2], v[3], W, H);
        s->x = (int)v[0], s->y = (int)v[1], s->w = (int)v[2], s->h = (int)v[3];
        pol__decide(run, "cropped to the box %d,%d %dx%d", s->x, s->y, s->w, s->h);
        pol__measure_int(run, "x", s->x);
        pol__measure_int(run, "y", s->y);
        pol__measure_int(run, "width", s->w);
        pol__measure_int(run, "height", s->h);
        s->ready = 1;
    }
    /* rows of the strip, its core, and the box's rows, in picture rows */
    long s0 = (long)c->start - (long)c->pre, s1 = (long)(c->start + c->n + c->post);
    long k0 = (long)c->start, k1 = (long)(c->start + c->n), b0 = s->y, b1 = (long)s->y + s->h;
    long r0 = s0 > b0 ? s0 : b0, r1 = s1 < b1 ? s1 : b1;
    long q0 = k0 > b0 ? k0 : b0, q1 = k1 < b1 ? k1 : b1;
    int ch = st->channels;
    if (q1 <= q0) { /* no row of the core is kept */
        pol__strip_replace(c, NULL, s->w, s->h, (uint64_t)(q0 > b0 ? q0 - b0 : 0), 0, 0, 0);
        return POL_OK;
    }
    /* in place: each kept row moves to a place at or before its own */
    for (long r = r0; r < r1; r++)
        memmove(st->px + (size_t)(r - r0) * (size_t)s->w * (size_t)ch,
                st->px + ((size_t)(r - s0) * (size_t)st->width + (size_t)s->x) * (size_t)ch,
                sizeof(float) * (size_t)s->w * (size_t)ch);
    st->src_px = NULL;
    st->width = s->w;
    st->height = s->h;
    c->start = (uint64_t)(q0 - b0);
    c->pre = (size_t)(q0 - r0);
    c->n = (size_t)(q1 - q0);
    c->post = (size_t)(r1 - q1);
    return POL_OK;
}

static const pol_op_stream crop_stream = {
    .can = crop_can, .begin = crop_begin, .apply = crop_apply, .free = free};

const pol_op_desc pol__image_op_crop = {
    .domain = "image",
    .name = "crop",
    .summary = "Crop to an aspect ratio (window placed on the most salient part) or to a box",
    .params = params,
    .n_params = POL_ARRAY_LEN(params),
    .run = run,
    .flags = 0,
    .stream = &crop_stream,
};
