/* polish — the subject-following crop path: where the subject is in each frame (the moving
 * region's centroid; the saliency centroid where nothing moves), held per shot, smoothed over
 * time (a Gaussian of smooth_s seconds, forward and back), then pulled so the subject stays
 * inside the window with a margin, smoothed lightly again and kept inside the frame. Shots are
 * smoothed independently: the window may jump at a cut, never inside a shot. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "video/video.h"

static void gauss(const double *in, double *out, size_t n, double sigma)
{
    if (sigma < 0.5) {
        memcpy(out, in, n * sizeof *in);
        return;
    }
    int r = (int)ceil(3 * sigma);
    for (size_t i = 0; i < n; i++) {
        double s = 0, w = 0;
        for (int k = -r; k <= r; k++) {
            long j = (long)i + k;
            if (j < 0) j = 0; /* hold the ends */
            if (j >= (long)n) j = (long)n - 1;
            double g = exp(-0.5 * k * k / (sigma * sigma));
            s += g * in[j];
            w += g;
        }
        out[i] = s / w;
    }
}

/* The subject's position along one axis (0..1) for each frame of [b, e): the moving region's
 * centroid where something moves; between such frames (up to 1 s apart) interpolated; where
 * nothing moves nearby, the nearest saliency sample; else held. */
static void subject(const pol__vanalysis *a, size_t b, size_t e, int axis, double fps, double *raw)
{
    size_t n = e - b, gap = (size_t)(fps > 1 ? fps : 1);
    for (size_t i = b; i < e; i++) {
        const pol__vframe *f = &a->f[i];
        raw[i - b] = f->mw > 0.0015f && !f->cut ? (axis ? f->my : f->mx) : -1;
    }
    /* gaps in the motion: interpolate across short ones, reach out from the ends */
    for (size_t i = 0; i < n;) {
        if (raw[i] >= 0) {
            i++;
            continue;
        }
        size_t j = i;
        while (j < n && raw[j] < 0) j++;
        int left = i > 0, right = j < n;
        if (j - i <= gap || (!left || !right)) {
            if (left && right)
                for (size_t k = i; k < j; k++)
                    raw[k] = raw[i - 1] + (raw[j] - raw[i - 1]) * (double)(k - i + 1) / (double)(j - i + 1);
            else if (left && j - i <= gap)
                for (size_t k = i; k < j; k++) raw[k] = raw[i - 1];
            else if (right && j - i <= gap)
                for (size_t k = i; k < j; k++) raw[k] = raw[j];
        }
        i = j;
    }
    /* still unknown: the nearest saliency sample within the shot */
    for (size_t i = 0; i < n; i++) {
        if (raw[i] >= 0) continue;
        for (size_t d = 0; d < n && raw[i] < 0; d++) {
            if (i >= d && a->f[b + i - d].sw > 0) raw[i] = axis ? a->f[b + i - d].sy : a->f[b + i - d].sx;
            else if (i + d < n && a->f[b + i + d].sw > 0) raw[i] = axis ? a->f[b + i + d].sy : a->f[b + i + d].sx;
        }
    }
    double last = 0.5;
    for (size_t i = 0; i < n; i++) {
        if (raw[i] < 0) raw[i] = last;
        last = raw[i];
    }
    /* a median of 5 removes single-frame outliers */
    if (n >= 5) {
        double *tmp = malloc(n * sizeof *tmp);
        if (tmp) {
            memcpy(tmp, raw, n * sizeof *tmp);
            for (size_t i = 2; i + 2 < n; i++) {
                double w[5];
                memcpy(w, tmp + i - 2, sizeof w);
                for (int p = 1; p < 5; p++)
                    for (int q = p; q > 0 && w[q] < w[q - 1]; q--) {
                        double t = w[q];
                        w[q] = w[q - 1];
                        w[q - 1] = t;
                    }
                raw[i] = w[2];
            }
            free(tmp);
        }
    }
}

/* One axis of the path, in window-centre units (0..1 of the frame), for the shot [b, e). */
static void axis_path(const pol__vanalysis *a, size_t b, size_t e, int axis, double half, double sigma,
                      double fps, double *out)
{
    size_t n = e - b;
    double *raw = malloc(n * sizeof *raw), *s1 = malloc(n * sizeof *s1);
    if (!raw || !s1) {
        for (size_t i = 0; i < n; i++) out[i] = 0.5;
        free(raw);
        free(s1);
        return;
    }
    subject(a, b, e, axis, fps, raw);
    gauss(raw, s1, n, sigma);
    /* the subject inside the window with a margin (40% of the half window): pulled, smoothed
     * again, eight times, then held inside for certain (the last pull moves the window at most as
     * fast as the subject) */
    double slack = half * 0.6;
    for (int it = 0; it < 8; it++) {
        for (size_t i = 0; i < n; i++) {
            if (raw[i] > s1[i] + slack) s1[i] = raw[i] - slack;
            if (raw[i] < s1[i] - slack) s1[i] = raw[i] + slack;
        }
        gauss(s1, out, n, sigma / 3);
        memcpy(s1, out, n * sizeof *s1);
    }
    for (size_t i = 0; i < n; i++) {
        if (raw[i] > out[i] + slack) out[i] = raw[i] - slack;
        if (raw[i] < out[i] - slack) out[i] = raw[i] + slack;
    }
    for (size_t i = 0; i < n; i++) {
        if (out[i] < half) out[i] = half;
        if (out[i] > 1 - half) out[i] = 1 - half;
    }
    free(raw);
    free(s1);
}

pol_status pol__video_reframe_path(pol_run *run, pol__video *v, int cw, int ch, double smooth_s)
{
    pol_status st = pol__video_analyse(run, v);
    if (st) return st;
    const pol__vanalysis *a = v->ana;
    float *px = malloc(a->n * sizeof *px), *py = malloc(a->n * sizeof *py);
    double *tx = malloc(a->n * sizeof *tx), *ty = malloc(a->n * sizeof *ty);
    size_t ns = 0, *shots = pol__video_shots(a, &ns);
    if (!px || !py || !tx || !ty || !shots) {
        free(px);
        free(py);
        free(tx);
        free(ty);
        free(shots);
        return pol__fail(run, POL_ERR_NOMEM, "out of memory");
    }
    double sigma = smooth_s * v->in.fps;
    double hx = (double)cw / v->in.width / 2, hy = (double)ch / v->in.height / 2;
    for (size_t s = 0; s < ns; s++) {
        size_t b = shots[s], e = s + 1 < ns ? shots[s + 1] : a->n;
        if (cw < v->in.width) axis_path(a, b, e, 0, hx, sigma, v->in.fps, tx + b);
        else for (size_t i = b; i < e; i++) tx[i] = 0.5;
        if (ch < v->in.height) axis_path(a, b, e, 1, hy, sigma, v->in.fps, ty + b);
        else for (size_t i = b; i < e; i++) ty[i] = 0.5;
    }
    for (size_t i = 0; i < a->n; i++) {
        px[i] = (float)(tx[i] * v->in.width - cw / 2.0);
        py[i] = (float)(ty[i] * v->in.height - ch / 2.0);
    }
    free(tx);
    free(ty);
    free(shots);
    free(v->crop_x);
    free(v->crop_y);
    v->crop_x = px;
    v->crop_y = py;
    v->n_crop = a->n;
    v->crop_w = cw;
    v->crop_h = ch;
    return POL_OK;
}
