/* polish — image.crop: crops to an aspect ratio with saliency-based placement, or to a box. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
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

const pol_op_desc pol__image_op_crop = {
    .domain = "image",
    .name = "crop",
    .summary = "Crop to an aspect ratio (window placed on the most salient part) or to a box",
    .params = params,
    .n_params = POL_ARRAY_LEN(params),
    .run = run,
    .flags = 0,
};
