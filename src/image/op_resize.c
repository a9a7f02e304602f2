/* polish — image.resize: Lanczos resampling in linear light to a width, height, long edge or scale.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "image/image_io.h"
#include "image/saliency.h"

static const pol_param_desc params[] = {
    {"width", POL_PARAM_INT, NULL, 1, 100000, NULL, "Target width in pixels."},
    {"height", POL_PARAM_INT, NULL, 1, 100000, NULL, "Target height in pixels."},
    {"long-edge", POL_PARAM_INT, NULL, 1, 100000, NULL,
     "Target length of the longer side in pixels (aspect ratio kept)."},
    {"scale", POL_PARAM_NUM, NULL, 0.001, 100, NULL, "Scale factor (0.5 halves each side)."},
    {"fit", POL_PARAM_ENUM, "contain", 1, 0, "contain|cover|fill",
     "With width and height: fit inside the box, cover it and crop the overflow, or stretch."},
    {"upscale", POL_PARAM_BOOL, "true", 1, 0, NULL,
     "Allow enlarging; when false a smaller image is left as it is."},
    {"kernel", POL_PARAM_ENUM, "lanczos3", 1, 0, "lanczos3|lanczos2|linear",
     "Resampling filter (Lanczos-3 is sharpest without visible ringing)."},
};

static pol_status run_resize(pol_run *run, pol_asset *asset, const pol_args *args);
static const pol_op_stream resize_stream;

/* The loader may decode at the size this resize starts from; a plain shrink to an exact size may
 * even be done while decoding. */
static void resize_hint(const pol_args *a, int w, int h, pol_load_hint *hint)
{
    pol__resize_req q;
    if (w <= 0 || h <= 0) return; /* asked for reader options only */
    if (!pol__resize_req_from_args(a, &q)) return; /* no size: it changes nothing */
    int sw, sh, ow, oh, sw2, sh2, ow2, oh2;
    if (!pol__resize_geometry(&q, w, h, &sw, &sh, &ow, &oh)) {
        hint->full = 1;
        return;
    }
    hint->max_width = sw;
    hint->max_height = sh;
    hint->resizes = 1;
    /* fusable: no cover crop, a real shrink, and the step run on the result finds nothing left */
    if ((q.width || q.height || q.long_edge) && sw == ow && sh == oh && ow < w && oh < h &&
        pol__resize_geometry(&q, ow, oh, &sw2, &sh2, &ow2, &oh2) && sw2 == ow && sh2 == oh &&
        ow2 == ow && oh2 == oh) {
        hint->fusable = 1;
        hint->kernel = pol__arg_str(a, "kernel");
    }
}

const pol_op_desc pol__image_op_resize = {
    .domain = "image",
    .name = "resize",
    .summary = "Resize with a Lanczos kernel in linear light (contain, cover or fill a box)",
    .params = params,
    .n_params = POL_ARRAY_LEN(params),
    .run = run_resize,
    .flags = 0,
    .hint = resize_hint,
    .stream = &resize_stream,
};

/* Where a cover crop goes: on the most salient part of the picture (saliency.h), else centred. */
static void cover_window(pol_run *run, const pol__image *im, double cw, double ch, double *x0,
                         double *y0)
{
    *x0 = (im->width - cw) / 2;
    *y0 = (im->height - ch) / 2;
    if (cw >= im->width - 0.5 && ch >= im->height - 0.5) return;
    int w = (int)lround(cw), h = (int)lround(ch), x, y;
    w = w < 1 ? 1 : w > im->width ? im->width : w;
    h = h < 1 ? 1 : h > im->height ? im->height : h;
    if (pol__image_saliency_crop(im, w, h, &x, &y) == 0) {
        *x0 = x + (w - cw) / 2;
        *y0 = y + (h - ch) / 2;
        *x0 = *x0 < 0 ? 0 : *x0 > im->width - cw ? im->width - cw : *x0;
        *y0 = *y0 < 0 ? 0 : *y0 > im->height - ch ? im->height - ch : *y0;
        pol__decide(run,
                    "crop window %dx%d placed on the most salient region at %.0f,%.0f "
                    "(centre would be %.0f,%.0f)",
                    w, h, *x0, *y0, (im->width - cw) / 2, (im->height - ch) / 2);
    } else {
        pol__decide(run, "crop window %dx%d centred", w, h);
    }
}

pol_status pol__image_apply_resize(pol_run *run, pol__image *im, const pol__resize_req *q,
                                   pol__kernel k, const char *what)
{
    int sw, sh, ow, oh;
    if (im->orientation > 1 && im->orientation <= 8) {
        /* sizes and crops are meant for the picture as it is seen: turn it upright first */
        pol_status st = pol__image_orient(run, im);
        if (st) return st;
    }
    if (!pol__resize_geometry(q, im->width, im->height, &sw, &sh, &ow, &oh)) {
        pol__decline(run, "%s: no size given", what);
        return POL_OK;
    }
    if (ow == im->width && oh == im->height && sw == im->width && sh == im->height) {
        pol__decline(run, "%s: already %dx%d", what, ow, oh);
        return POL_OK;
    }
    pol_status lst = pol__image_check_result(run, (uint64_t)ow, (uint64_t)oh, what);
    if (!lst && (sw > ow || sh > oh)) lst = pol__image_check_result(run, (uint64_t)sw, (uint64_t)sh, what);
    if (lst) return lst;
    /* Source window of the output: all of it, or for a cover fit the part that survives. */
    double cw = (double)ow * im->width / sw, ch = (double)oh * im->height / sh, x0 = 0, y0 = 0;
    if (cw > im->width) cw = im->width;
    if (ch > im->height) ch = im->height;
    if (!im->srgb)
        pol__decide(run, "pixels are not known to be sRGB; linearised with the sRGB curve "
                         "(run image.colour first for exact results)");
    float *px;
    int cropped = cw < im->width - 0.5 || ch < im->height - 0.5;
    if (cropped && sw < im->width && sh < im->height) {
        /* Shrinking with a crop: resize the whole picture first, then choose the window on the
         * small copy, where judging saliency is cheap; the crop is then an exact copy. */
        float *all = pol__resample(run, im, sw, sh, k);
        if (!all) return pol__fail(run, POL_ERR_NOMEM, "out of memory resizing to %dx%d", sw, sh);
        pol__image small = *im;
        small.px = all;
        small.width = sw;
        small.height = sh;
        double sx0, sy0;
        cover_window(run, &small, ow, oh, &sx0, &sy0);
        px = pol__resample_rect(run, &small, lround(sx0), lround(sy0), ow, oh, ow, oh, k);
        pol__image_free_px(all);
    } else {
        if (cropped) cover_window(run, im, cw, ch, &x0, &y0);
        px = pol__resample_rect(run, im, x0, y0, cw, ch, ow, oh, k);
    }
    if (!px) return pol__fail(run, POL_ERR_NOMEM, "out of memory resizing to %dx%d", ow, oh);
    pol__measure_int(run, "from_width", im->width);
    pol__measure_int(run, "from_height", im->height);
    pol__measure_int(run, "width", ow);
    pol__measure_int(run, "height", oh);
    pol__measure(run, "scale", (double)sw / im->width);
    pol__decide(run, "%s: %dx%d -> %dx%d (%s, in linear light)", what, im->width, im->height, ow,
                oh,
                k == POL_KERNEL_LANCZOS3   ? "Lanczos-3"
                : k == POL_KERNEL_LANCZOS2 ? "Lanczos-2"
                                           : "linear");
    pol__image_replace_px(im, px, ow, oh, im->channels);
    return POL_OK;
}

static pol_status run_resize(pol_run *run, pol_asset *asset, const pol_args *args)
{
    pol__resize_req q;
    if (!pol__resize_req_from_args(args, &q)) {
        pol__decline(run, "no size given (--width, --height, --long-edge or --scale)");
        return POL_OK;
    }
    const char *kn = pol__arg_str(args, "kernel");
    pol__kernel k = !strcmp(kn, "lanczos2") ? POL_KERNEL_LANCZOS2
                   : !strcmp(kn, "linear") ? POL_KERNEL_LINEAR
                                           : POL_KERNEL_LANCZOS3;
    return pol__image_apply_resize(run, pol__image_of(asset), &q, k, "resize");
}

/* ---- strip by strip (a scale: the context a strip needs is known before the size is) -------- */

static pol__kernel kernel_of(const pol_args *args)
{
    const char *kn = pol__arg_str(args, "kernel");
    return !strcmp(kn, "lanczos2") ? POL_KERNEL_LANCZOS2
           : !strcmp(kn, "linear") ? POL_KERNEL_LINEAR
                                   : POL_KERNEL_LANCZOS3;
}

typedef struct rz_state {
    pol__resize_req q;
    pol__kernel k;
    int ready, same; /* same: the size does not change (declined) */
    int in_w, in_h, ow, oh;
    pol__rs_rows *rows;
    float *spare; /* a strip's rows, reused for the next one's result */
} rz_state;

static int rz_can(const pol_args *args)
{
    return pol__arg_has(args, "scale") && !pol__arg_has(args, "width") &&
           !pol__arg_has(args, "height") && !pol__arg_has(args, "long-edge");
}

/* Source rows a strip needs each side of its core so that `after` output rows each side of the
 * output core come out right: the kernel's reach (widened when shrinking) plus `after` output
 * rows in source rows, and a row of slack each for rounding. */
static size_t rz_context(const pol_args *args, size_t after)
{
    double inv = 1.0 / pol__arg_num(args, "scale");
    pol__kernel k = kernel_of(args);
    double support = (k == POL_KERNEL_LANCZOS3 ? 3 : k == POL_KERNEL_LANCZOS2 ? 2 : 1) *
                     (inv > 1 ? inv : 1);
    return (size_t)ceil((double)(after + 1) * inv + support) + 2;
}

static pol_status rz_begin(pol_run *run, const pol_args *args, void **state)
{
    rz_state *s = calloc(1, sizeof *s);
    if (!s) return pol__fail(run, POL_ERR_NOMEM, "out of memory");
    pol__resize_req_from_args(args, &s->q);
    s->k = kernel_of(args);
    *state = s;
    return POL_OK;
}

/* The first output row anchored at or after source row `a`. */
static int first_anchored(const pol__rs_rows *r, int oh, int a)
{
    int lo = 0, hi = oh;
    while (lo < hi) {
        int mid = lo + (hi - lo) / 2;
        if (pol__rs_rows_anchor(r, mid) < a)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

static pol_status rz_apply(pol_run *run, void *state, pol__chunk *c)
{
    rz_state *s = state;
    pol__strip *st = pol__strip_of(c);
    if (!s->ready) { /* the first strip: sized, checked and reported as the whole picture's is */
        int sw, sh;
        s->in_w = st->width, s->in_h = st->height;
        pol__resize_geometry(&s->q, s->in_w, s->in_h, &sw, &sh, &s->ow, &s->oh);
        s->ready = 1;
        if (s->ow == s->in_w && s->oh == s->in_h) {
            s->same = 1;
            pol__decline(run, "resize: already %dx%d", s->ow, s->oh);
            return POL_OK;
        }
        pol_status lst = pol__image_check_result(run, (uint64_t)s->ow, (uint64_t)s->oh, "resize");
        if (lst) return lst;
        if (!st->item->srgb)
            pol__decide(run, "pixels are not known to be sRGB; linearised with the sRGB curve "
                             "(run image.colour first for exact results)");
        s->rows = pol__rs_rows_new(s->in_w, s->in_h, st->channels, s->ow, s->oh, s->k);
        if (!s->rows)
            return pol__fail(run, POL_ERR_NOMEM, "out of memory resizing to %dx%d", s->ow, s->oh);
        pol__measure_int(run, "from_width", s->in_w);
        pol__measure_int(run, "from_height", s->in_h);
        pol__measure_int(run, "width", s->ow);
        pol__measure_int(run, "height", s->oh);
        pol__measure(run, "scale", (double)s->ow / s->in_w);
        pol__decide(run, "resize: %dx%d -> %dx%d (%s, in linear light)", s->in_w, s->in_h, s->ow,
                    s->oh,
                    s->k == POL_KERNEL_LANCZOS3   ? "Lanczos-3"
                    : s->k == POL_KERNEL_LANCZOS2 ? "Lanczos-2"
                                                  : "linear");
    }
    if (s->same) return POL_OK;
    int s0 = (int)(c->start - c->pre), rows = (int)(c->pre + c->n + c->post);
    int y0 = first_anchored(s->rows, s->oh, (int)c->start);
    int y1 = first_anchored(s->rows, s->oh, (int)(c->start + c->n));
    int a = y0, b = y1;
    if (rows) pol__rs_rows_range(s->rows, s0, s0 + rows, &a, &b);
    if (a > y0) a = y0; /* (an empty core) */
    if (b < y1) b = y1;
    if (y1 <= y0) {
        pol__strip_replace(c, NULL, s->ow, s->oh, (uint64_t)y0, 0, 0, 0);
        return POL_OK;
    }
    float *px = pol__strip_buffer(&s->spare, (size_t)s->ow * (size_t)(b - a) * (size_t)st->channels);
    if (!px) return pol__fail(run, POL_ERR_NOMEM, "out of memory resizing to %dx%d", s->ow, s->oh);
    if (!pol__rs_rows_make(run, s->rows, st->px, s0, rows, a, b, px)) {
        pol__image_free_px(px);
        return pol__fail(run, POL_ERR_INTERNAL, "resizing a strip: rows %d-%d need more than rows %d-%d",
                         a, b, s0, s0 + rows);
    }
    pol__strip_swap(c, px, &s->spare);
    pol__strip_replace(c, px, s->ow, s->oh, (uint64_t)y0, (size_t)(y0 - a), (size_t)(y1 - y0),
                       (size_t)(b - y1));
    return POL_OK;
}

static void rz_free(void *state)
{
    rz_state *s = state;
    if (s) pol__rs_rows_free(s->rows);
    if (s) pol__image_free_px(s->spare);
    free(s);
}

static const pol_op_stream resize_stream = {.context = rz_context,
                                            .can = rz_can,
                                            .begin = rz_begin,
                                            .apply = rz_apply,
                                            .free = rz_free};
