/* polish — the subject-following crop path: where the subject is in each frame (the moving
 * region's centroid; the saliency centroid where nothing moves), then per shot and axis the
 * L1-smooth camera path of campath.c: it holds still, pans at a constant rate or eases between
 * them, with bounded speed and acceleration, keeping the subject inside the window's inner part
 * where it can. The subject's measured position may jump (someone enters the frame); the window
 * never does. Shots are planned independently: the window may jump at a cut, never inside a shot. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "video/track.h"

#define SWITCH_PAN_S 3.0 /* a change of subject: seconds per window width panned to the new one */
#define SWITCH_MAX_S 1.5 /* and at most this long */

/* Whether frame i's subject position is measured: the tracked subject where the shot was tracked
 * (kind >= 0), else the motion centroid. */
static int measured(const pol__vanalysis *a, const pol__vsubject *s, size_t i)
{
    return s[i].kind >= 0 ? s[i].kind > 0 : a->f[i].mw > 0.0015f && !a->f[i].cut;
}

/* The subject's position along one axis (0..1) for each frame of [b, e): the tracked subject, or
 * where the shot was not tracked the moving region's centroid; between such frames (up to 1 s
 * apart) interpolated; where nothing moves nearby, the nearest saliency sample; else held. */
static void subject(const pol__vanalysis *a, const pol__vsubject *s, size_t b, size_t e, int axis, double fps,
                    double *raw)
{
    size_t n = e - b, gap = (size_t)(fps > 1 ? fps : 1);
    for (size_t i = b; i < e; i++) {
        const pol__vframe *f = &a->f[i];
        raw[i - b] = !measured(a, s, i) ? -1 : s[i].kind > 0 ? (axis ? s[i].y : s[i].x) : axis ? f->my : f->mx;
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

/* One axis of the path, in window-centre units (0..1 of the frame), for the shot [b, e): the
 * L1-smooth camera path (campath.c) that keeps the subject inside the window's inner 40% where it
 * can, the window inside the frame always, its speed under max_speed and its acceleration under
 * max_accel (frame sizes per second, per second squared). `len` is the frame's size along the axis
 * in pixels, the unit the path is planned in. The smoothness weights grow with `smooth` (s): moving
 * the window a pixel costs what the subject a pixel outside the zone for smooth/15 s costs (so
 * the window does not give up on a subject near a shot's end), a change of speed or acceleration
 * in proportion. A small pull towards the subject recentres it when it rests off centre. */
typedef struct axis_opts {
    double half, smooth, fps, len, max_speed, max_accel;
} axis_opts;

static int axis_path(const pol__vanalysis *a, const pol__vsubject *s, size_t b, size_t e, int axis,
                     const axis_opts *ao, double *out, int *steps)
{
    size_t n = e - b;
    double *raw = malloc(n * sizeof *raw), *w = malloc(n * sizeof *w), *x = malloc(n * sizeof *x),
           *sl = malloc(n * sizeof *sl);
    int ok = raw && w && x && sl;
    if (ok) {
        subject(a, s, b, e, axis, ao->fps, raw);
        double fps = ao->fps > 1 ? ao->fps : 1, L = ao->len, tau = ao->smooth, half = ao->half * L;
        for (size_t i = 0; i < n; i++) {
            raw[i] *= L;
            /* a measured position counts fully, one between sightings less, a filled-in one least */
            w[i] = s[b + i].kind == 2 ? 0.6 : measured(a, s, b + i) ? 1 : 0.3;
            /* the dead zone: the inner 40% of the window, less for a subject too wide to keep whole */
            double ext = s[b + i].kind > 0 ? (axis ? s[b + i].hh : s[b + i].hw) * L : 0;
            sl[i] = fmin(0.4 * half, fmax(0.05 * half, 0.9 * half - ext));
        }
        /* a change of subject: the new one is reached by a pan of about a window width per
         * SWITCH_PAN_S seconds (at most SWITCH_MAX_S), not as fast as the limits allow: its pull
         * grows from nothing over that time. Frames before the change keep the old subject's. */
        for (size_t i = 1, last = 0; i < n; i++) {
            const pol__vsubject *p = &s[b + i], *q = &s[b + last];
            if (p->kind <= 0) continue;
            if (q->kind > 0 && p->id != q->id) {
                double d = fabs(raw[i] - raw[last]) - sl[i];
                size_t r = d > 0 ? (size_t)ceil(fmin(SWITCH_PAN_S * d / (2 * half), SWITCH_MAX_S) * fps) : 0;
                for (size_t k = 0; k < r && i + k < n; k++) w[i + k] *= (double)(k + 1) / (double)(r + 1);
            }
            last = i;
        }
        pol__vpath_opts o = {
            .lo = ao->half * L,
            .hi = (1 - ao->half) * L,
            .slack = 0.4 * ao->half * L,
            .vmax = ao->max_speed * L / fps,
            .amax = ao->max_accel * L / (fps * fps),
            .keep = 5 / fps,
            .centre = 0.03 / fps,
            .lam1 = tau / 3,
            .lam2 = tau * tau / 9 * fps,
            .lam3 = tau * tau * tau / 9 * fps * fps,
            .eps = 0.02,
            .slack_at = sl,
        };
        ok = pol__video_camera_path(raw, w, n, &o, x, steps);
        for (size_t i = 0; i < n; i++) out[i] = x[i] / L;
    }
    if (!ok)
        for (size_t i = 0; i < n; i++) out[i] = 0.5;
    free(raw);
    free(w);
    free(x);
    free(sl);
    return ok;
}

pol_status pol__video_reframe_path(pol_run *run, pol__video *v, int cw, int ch, double smooth_s, double max_speed,
                                   double max_accel)
{
    return pol__video_reframe_path_subject(run, v, cw, ch, smooth_s, max_speed, max_accel, NULL);
}

pol_status pol__video_reframe_path_subject(pol_run *run, pol__video *v, int cw, int ch, double smooth_s,
                                           double max_speed, double max_accel, float **subject_x)
{
    if (subject_x) *subject_x = NULL;
    pol_status st = pol__video_analyse(run, v);
    if (st) return st;
    const pol__vanalysis *a = v->ana;
    pol__vsubject *subj = malloc(a->n * sizeof *subj);
    if (!subj) return pol__fail(run, POL_ERR_NOMEM, "out of memory");
    pol__vtrack_stats ts;
    st = pol__video_track_subject(run, v, cw < v->in.width ? cw : ch * (double)v->in.width / v->in.height, subj, &ts);
    if (st) {
        free(subj);
        return st;
    }
    pol__measure_int(run, "subject_tracks", (long long)ts.tracks);
    pol__measure_int(run, "subject_changes", (long long)ts.switches);
    pol__measure_int(run, "frames_with_tracked_subject", (long long)ts.frames_with_subject);
    pol__measure_int(run, "shots_moving_camera", (long long)ts.moving_shots);
    if (ts.tracks)
        pol__decide(run, "the subject: one tracked moving region at a time (%zu regions tracked, %zu changes of subject "
                         "inside shots, %zu of %zu frames with one)", ts.tracks, ts.switches, ts.frames_with_subject, a->n);
    else
        pol__decide(run, "the subject: the motion's centroid (%zu of %zu shots with a moving camera; nothing tracked)",
                    ts.moving_shots, ts.shots);
    float *px = malloc(a->n * sizeof *px), *py = malloc(a->n * sizeof *py);
    double *tx = malloc(a->n * sizeof *tx), *ty = malloc(a->n * sizeof *ty);
    size_t ns = 0, *shots = pol__video_shots(a, &ns);
    axis_opts ox = {(double)cw / v->in.width / 2, smooth_s, v->in.fps, v->in.width, max_speed, max_accel},
              oy = {(double)ch / v->in.height / 2, smooth_s, v->in.fps, v->in.height, max_speed, max_accel};
    int ok = px && py && tx && ty && shots, steps = 0, st1 = 0;
    for (size_t s = 0; s < ns && ok; s++) {
        size_t b = shots[s], e = s + 1 < ns ? shots[s + 1] : a->n;
        if (cw < v->in.width) {
            ok = axis_path(a, subj, b, e, 0, &ox, tx + b, &st1);
            steps += st1;
        } else for (size_t i = b; i < e; i++) tx[i] = 0.5;
        if (ok && ch < v->in.height) {
            ok = axis_path(a, subj, b, e, 1, &oy, ty + b, &st1);
            steps += st1;
        } else for (size_t i = b; i < e; i++) ty[i] = 0.5;
    }
    if (ok && subject_x && (*subject_x = malloc(a->n * sizeof **subject_x)))
        for (size_t i = 0; i < a->n; i++)
            (*subject_x)[i] = subj[i].kind > 0 ? (float)subj[i].x : measured(a, subj, i) ? a->f[i].mx : -1;
    free(subj);
    if (!ok) {
        free(px);
        free(py);
        free(tx);
        free(ty);
        free(shots);
        return pol__fail(run, POL_ERR_NOMEM, "out of memory");
    }
    pol__measure_int(run, "path_newton_steps", steps);
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
