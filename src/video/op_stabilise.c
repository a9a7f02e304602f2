/* polish — video.stabilise: the camera's path from the similarity (translation, rotation, scale)
 * between frames, accumulated per shot and smoothed per parameter (a Gaussian on the angle, the log
 * scale and the translation), and a warp per frame that takes the picture from the shaking camera
 * to the smooth one. The frame is zoomed by the least margin that keeps every warped frame's
 * corners inside the picture (at most --max-crop); where that margin is not enough, the frame's
 * correction is scaled back until it fits, so the border never shows. Skipped when the clip is
 * steady. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "video/video.h"

static const pol_param_desc params[] = {
    {"smooth", POL_PARAM_NUM, "1.5", 0.2, 10, NULL, "Smoothing of the camera path.", .unit = "s"},
    {"min-shake", POL_PARAM_NUM, "0.15", 0, 10, NULL, "Shake (RMS, % of the width; a rotation by what it moves the corners) below which the clip counts as steady.", .unit = "%"},
    {"max-crop", POL_PARAM_NUM, "8", 1, 20, NULL, "Most of each side given up to the correction.", .unit = "%"},
};

/* complex helpers on pol__vsim: (a + ib) q + t */
static pol__vsim compose(pol__vsim f, pol__vsim g) /* f after g */
{
    return (pol__vsim){f.a * g.a - f.b * g.b, f.a * g.b + f.b * g.a, f.a * g.tx - f.b * g.ty + f.tx,
                       f.b * g.tx + f.a * g.ty + f.ty};
}

static pol__vsim inverse(pol__vsim f)
{
    double m = f.a * f.a + f.b * f.b, a = f.a / m, b = -f.b / m;
    return (pol__vsim){a, b, -(a * f.tx - b * f.ty), -(b * f.tx + a * f.ty)};
}

/* The similarity from its parameters: angle, log scale, translation. */
static pol__vsim from_params(double th, double ls, double tx, double ty)
{
    double e = exp(ls);
    return (pol__vsim){e * cos(th), e * sin(th), tx, ty};
}

/* Does the window of half-size hw x hh (about the centre), taken through w, stay inside the frame
 * of half-size HW x HH? */
static int inside(pol__vsim w, double hw, double hh, double HW, double HH)
{
    for (int k = 0; k < 4; k++) {
        double x = k & 1 ? hw : -hw, y = k & 2 ? hh : -hh;
        double sx = w.a * x - w.b * y + w.tx, sy = w.b * x + w.a * y + w.ty;
        if (fabs(sx) > HW + 1e-9 || fabs(sy) > HH + 1e-9) return 0;
    }
    return 1;
}

/* The correction w scaled back by lambda (0: none, 1: all of it). */
static pol__vsim partial(pol__vsim w, double lambda)
{
    return from_params(lambda * atan2(w.b, w.a), lambda * log(hypot(w.a, w.b)), lambda * w.tx, lambda * w.ty);
}

static pol_status run(pol_run *run, pol_asset *asset, const pol_args *args)
{
    pol__video *v = pol__video_of(asset);
    pol_status st = pol__video_analyse(run, v);
    if (st) return st;
    const pol__vanalysis *a = v->ana;
    int W = v->in.width, H = v->in.height;
    double shake = pol__video_shake(a, v->in.fps, W, H), pct = shake / W * 100;
    pol__measure(run, "shake_px", round(shake * 100) / 100);
    pol__measure(run, "shake_pct_of_width", round(pct * 1000) / 1000);
    if (pct < pol__arg_num(args, "min-shake")) {
        pol__decline(run, "steady: shake %.3f%% of the width is below %.3f%%", pct, pol__arg_num(args, "min-shake"));
        return POL_OK;
    }
    size_t n = a->n, ns = 0, *shots = pol__video_shots(a, &ns), refined = 0;
    pol__vsim *m = malloc(n * sizeof *m), *cam = malloc(n * sizeof *cam), *warp = malloc(n * sizeof *warp);
    double *par = malloc(n * 4 * sizeof *par);
    float *out = malloc(n * 4 * sizeof *out);
    if (!m || !cam || !warp || !par || !out || !shots) st = pol__fail(run, POL_ERR_NOMEM, "out of memory");
    /* the motion refined to a fraction of a source pixel on larger frames */
    if (!st) st = pol__video_fine_motion(run, v, m, &refined);
    if (st) {
        free(m); free(cam); free(warp); free(par); free(out); free(shots);
        return st;
    }
    pol__measure(run, "pairs_refined", (double)refined);
    double sigma = pol__arg_num(args, "smooth") * v->in.fps, rot2 = 0, maxrot = 0;
    int r = (int)ceil(3 * sigma);
    for (size_t s = 0; s < ns; s++) {
        size_t b = shots[s], e = s + 1 < ns ? shots[s + 1] : n;
        /* cam[i]: frame i's points in the shot's first frame; its parameters unwrapped */
        cam[b] = (pol__vsim){1, 0, 0, 0};
        for (size_t i = b + 1; i < e; i++) {
            cam[i] = compose(cam[i - 1], m[i]);
            double th = atan2(m[i].b, m[i].a);
            rot2 += th * th;
            maxrot = fmax(maxrot, fabs(th));
        }
        for (size_t i = b; i < e; i++) {
            double th = atan2(cam[i].b, cam[i].a);
            if (i > b) th += 2 * M_PI * round((par[4 * (i - 1)] - th) / (2 * M_PI));
            par[4 * i] = th;
            par[4 * i + 1] = log(hypot(cam[i].a, cam[i].b));
            par[4 * i + 2] = cam[i].tx;
            par[4 * i + 3] = cam[i].ty;
        }
        /* each parameter smoothed (a Gaussian, the shot's ends held); the warp takes the smooth
         * camera's view to the frame: cam^-1 after smooth */
        for (size_t i = b; i < e; i++) {
            double acc[4] = {0}, wsum = 0;
            for (int k = -r; k <= r; k++) {
                long j = (long)i + k;
                if (j < (long)b) j = (long)b;
                if (j >= (long)e) j = (long)e - 1;
                double g = exp(-0.5 * k * k / (sigma * sigma));
                for (int p = 0; p < 4; p++) acc[p] += g * par[4 * j + p];
                wsum += g;
            }
            pol__vsim sm = from_params(acc[0] / wsum, acc[1] / wsum, acc[2] / wsum, acc[3] / wsum);
            warp[i] = compose(inverse(cam[i]), sm);
        }
    }
    free(shots);
    free(m);
    free(cam);
    free(par);
    if (n > 1) {
        pol__measure(run, "rotation_rms_deg", round(sqrt(rot2 / (double)(n - 1)) * 180 / M_PI * 1000) / 1000);
        pol__measure(run, "rotation_max_deg", round(maxrot * 180 / M_PI * 1000) / 1000);
    }
    /* the least zoom that keeps every frame's corners inside, up to max-crop */
    double HW = (W - 1) / 2.0, HH = (H - 1) / 2.0, mmax = pol__arg_num(args, "max-crop") / 100, m0 = 0;
    for (size_t i = 0; i < n; i++) {
        if (inside(warp[i], HW * (1 - 2 * m0), HH * (1 - 2 * m0), HW, HH)) continue;
        double lo = m0, hi = mmax;
        if (!inside(warp[i], HW * (1 - 2 * hi), HH * (1 - 2 * hi), HW, HH)) {
            m0 = mmax;
            break;
        }
        for (int it = 0; it < 30; it++) {
            double mid = 0.5 * (lo + hi);
            if (inside(warp[i], HW * (1 - 2 * mid), HH * (1 - 2 * mid), HW, HH)) hi = mid;
            else lo = mid;
        }
        m0 = hi;
    }
    double mz = fmin(m0 * 1.02 + 0.5 / (W < H ? W : H), mmax);
    int cw = (int)(W * (1 - 2 * mz)) & ~1, ch = (int)(H * (1 - 2 * mz)) & ~1;
    if (v->crop_w) { /* an earlier reframe's window: the correction has to fit around it */
        cw = v->crop_w;
        ch = v->crop_h;
    }
    /* where the margin is not enough, the correction is scaled back until the corners fit */
    size_t limited = 0;
    for (size_t i = 0; i < n; i++) {
        double hw = (cw - 1) / 2.0, hh = (ch - 1) / 2.0, HWx = HW, HHx = HH;
        if (v->crop_x && i < v->n_crop) { /* the window's room about its own centre */
            double cx = v->crop_x[i] + cw / 2.0 - 0.5, cy = v->crop_y[i] + ch / 2.0 - 0.5;
            HWx = fmin(cx, W - 1 - cx);
            HHx = fmin(cy, H - 1 - cy);
        }
        pol__vsim w = warp[i];
        if (!inside(w, hw, hh, HWx, HHx)) {
            double lo = 0, hi = 1;
            for (int it = 0; it < 30; it++) {
                double mid = 0.5 * (lo + hi);
                if (inside(partial(warp[i], mid), hw, hh, HWx, HHx)) lo = mid;
                else hi = mid;
            }
            w = partial(warp[i], lo);
            limited++;
        }
        out[4 * i] = (float)w.a;
        out[4 * i + 1] = (float)w.b;
        out[4 * i + 2] = (float)w.tx;
        out[4 * i + 3] = (float)w.ty;
    }
    free(warp);
    if (!v->crop_w) { /* zoom in by the margin, back to the frame's size */
        v->crop_w = cw;
        v->crop_h = ch;
        if (!v->out_w) {
            v->out_w = W & ~1;
            v->out_h = H & ~1;
        }
    }
    free(v->stab);
    v->stab = out;
    v->n_stab = n;
    pol__measure(run, "crop_pct_each_side", round(mz * 1000) / 10);
    pol__measure_int(run, "frames_correction_limited", (long long)limited);
    pol__decide(run, "stabilised: shake %.2f px, window %dx%d", shake, v->crop_w, v->crop_h);
    return POL_OK;
}

const pol_op_desc pol__video_op_stabilise = {
    .domain = "video",
    .name = "stabilise",
    .summary = "Steady a shaky clip: smoothed camera path (translation, rotation, scale), warped crop; skipped when steady",
    .params = params,
    .n_params = POL_ARRAY_LEN(params),
    .run = run,
    .flags = POL_OP_AUTO,
};
