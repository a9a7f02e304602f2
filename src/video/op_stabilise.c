/* polish — video.stabilise: the camera's path from the global translation between frames, smoothed
 * per shot (a Gaussian), and a crop window that moves with the shake so the picture holds still;
 * the window is the frame zoomed by the largest correction (at most --max-crop). Skipped when the
 * clip is steady. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "video/video.h"

static const pol_param_desc params[] = {
    {"smooth", POL_PARAM_NUM, "1.5", 0.2, 10, NULL, "Smoothing of the camera path.", .unit = "s"},
    {"min-shake", POL_PARAM_NUM, "0.15", 0, 10, NULL, "Shake (RMS, % of the width) below which the clip counts as steady.", .unit = "%"},
    {"max-crop", POL_PARAM_NUM, "8", 1, 20, NULL, "Most of each side given up to the correction.", .unit = "%"},
};

static pol_status run(pol_run *run, pol_asset *asset, const pol_args *args)
{
    pol__video *v = pol__video_of(asset);
    pol_status st = pol__video_analyse(run, v);
    if (st) return st;
    const pol__vanalysis *a = v->ana;
    double shake = pol__video_shake(a, v->in.fps), pct = shake / v->in.width * 100;
    pol__measure(run, "shake_px", round(shake * 100) / 100);
    pol__measure(run, "shake_pct_of_width", round(pct * 1000) / 1000);
    if (pct < pol__arg_num(args, "min-shake")) {
        pol__decline(run, "steady: shake %.3f%% of the width is below %.3f%%", pct, pol__arg_num(args, "min-shake"));
        return POL_OK;
    }
    size_t n = a->n, ns = 0, *shots = pol__video_shots(a, &ns), refined = 0;
    float *mdx = malloc(n * sizeof *mdx), *mdy = malloc(n * sizeof *mdy);
    double *px = malloc(n * sizeof *px), *py = malloc(n * sizeof *py), *sx = malloc(n * sizeof *sx),
           *sy = malloc(n * sizeof *sy);
    pol_status st2s = POL_OK;
    if (!px || !py || !sx || !sy || !shots || !mdx || !mdy) st2s = pol__fail(run, POL_ERR_NOMEM, "out of memory");
    /* the motion refined to a fraction of a source pixel on larger frames */
    if (!st2s) st2s = pol__video_fine_motion(run, v, mdx, mdy, &refined);
    if (st2s) {
        free(px); free(py); free(sx); free(sy); free(shots); free(mdx); free(mdy);
        return st2s;
    }
    pol__measure(run, "pairs_refined", (double)refined);
    double sigma = pol__arg_num(args, "smooth") * v->in.fps, e2 = 0, maxc = 0;
    int r = (int)ceil(3 * sigma);
    for (size_t s = 0; s < ns; s++) {
        size_t b = shots[s], e = s + 1 < ns ? shots[s + 1] : n;
        px[b] = py[b] = 0;
        for (size_t i = b + 1; i < e; i++) { /* where the content is, relative to the shot's start */
            px[i] = px[i - 1] - mdx[i];
            py[i] = py[i - 1] - mdy[i];
        }
        for (size_t i = b; i < e; i++) {
            double x = 0, y = 0, w = 0;
            for (int k = -r; k <= r; k++) {
                long j = (long)i + k;
                if (j < (long)b) j = (long)b;
                if (j >= (long)e) j = (long)e - 1;
                double g = exp(-0.5 * k * k / (sigma * sigma));
                x += g * px[j];
                y += g * py[j];
                w += g;
            }
            sx[i] = px[i] - x / w;
            sy[i] = py[i] - y / w;
            e2 += sx[i] * sx[i] + sy[i] * sy[i];
        }
    }
    free(shots);
    free(mdx);
    free(mdy);
    (void)e2;
    for (size_t i = 0; i < n; i++) maxc = fmax(maxc, fmax(fabs(sx[i]) / v->in.width, fabs(sy[i]) / v->in.height));
    double m = fmin(maxc * 1.05, pol__arg_num(args, "max-crop") / 100);
    float *st2 = malloc(n * 2 * sizeof *st2);
    if (!st2) {
        free(px); free(py); free(sx); free(sy);
        return pol__fail(run, POL_ERR_NOMEM, "out of memory");
    }
    for (size_t i = 0; i < n; i++) {
        st2[2 * i] = (float)sx[i];
        st2[2 * i + 1] = (float)sy[i];
    }
    free(px); free(py); free(sx); free(sy);
    int W = v->in.width, H = v->in.height;
    if (!v->crop_w) { /* zoom in by the margin, back to the frame's size */
        v->crop_w = (int)(W * (1 - 2 * m)) & ~1;
        v->crop_h = (int)(H * (1 - 2 * m)) & ~1;
        if (!v->out_w) {
            v->out_w = W & ~1;
            v->out_h = H & ~1;
        }
    }
    free(v->stab);
    v->stab = st2;
    v->n_stab = n;
    pol__measure(run, "crop_pct_each_side", round(m * 1000) / 10);
    pol__decide(run, "stabilised: shake %.2f px, window %dx%d", shake, v->crop_w, v->crop_h);
    return POL_OK;
}

const pol_op_desc pol__video_op_stabilise = {
    .domain = "video",
    .name = "stabilise",
    .summary = "Steady a shaky clip: smoothed camera path, moving crop; skipped when steady",
    .params = params,
    .n_params = POL_ARRAY_LEN(params),
    .run = run,
    .flags = POL_OP_AUTO,
};
