/* polish — video.reframe: a new aspect ratio (9:16, 1:1, 4:5, 16:9 ...) by a crop window that
 * follows the subject on a smoothed path (reframe.c), never letterboxed; or along a given path. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "core/ports.h"
#include "video/track.h"

static const pol_param_desc params[] = {
    {"aspect", POL_PARAM_STR, "9:16", 0, -1, NULL, "Aspect ratio of the result, W:H (9:16, 1:1, 4:5, 16:9)."},
    {"smooth", POL_PARAM_NUM, POL__VIDEO_SMOOTH, 0, 10, NULL,
     "How calmly the window follows the subject: moving the window a pixel costs as much as the "
     "subject a pixel outside its zone for a fifteenth of this; 0 follows as closely as the limits allow.", .unit = "s"},
    {"max-speed", POL_PARAM_NUM, POL__VIDEO_MAX_SPEED, 0.01, 10, NULL,
     "The window's fastest pan, in frame widths (heights) per second.", .unit = "widths/s"},
    {"max-accel", POL_PARAM_NUM, POL__VIDEO_MAX_ACCEL, 0.01, 100, NULL,
     "The window's largest acceleration, in frame widths (heights) per second squared.", .unit = "widths/s^2"},
};

static const pol_port_desc inputs[] = {
    {"path", POL_PORT_FILE, NULL, "csv", 0,
     "A crop path to follow instead of finding the subject: CSV rows time_s,cx,cy (the window's "
     "centre as a share 0..1 of the frame), interpolated per frame."},
};

static const pol_port_desc outputs[] = {
    {"save-path", POL_PORT_FILE, NULL, "csv", 0,
     "Writes the crop path used: frame,time_s,x,y,w,h (the window in source pixels)."},
};

int pol__video_parse_aspect(const char *s, double *out);
int pol__video_parse_aspect(const char *s, double *out)
{
    double a, b;
    char c;
    if (!s || sscanf(s, "%lf%c%lf", &a, &c, &b) != 3 || (c != ':' && c != 'x' && c != '/') || a <= 0 || b <= 0 ||
        a / b > 20 || b / a > 20)
        return 0;
    *out = a / b;
    return 1;
}

/* The largest window of aspect `r` inside the frame, even sizes. */
void pol__video_window(const pol__video *v, double r, int *cw, int *ch);
void pol__video_window(const pol__video *v, double r, int *cw, int *ch)
{
    int W = v->in.width, H = v->in.height;
    double w = H * r, h = H;
    if (w > W) {
        w = W;
        h = W / r;
    }
    *cw = (int)floor(w) & ~1;
    *ch = (int)floor(h) & ~1;
}

static pol_status read_path(pol_run *run, pol__video *v, const char *path, int cw, int ch)
{
    unsigned char *data = NULL;
    size_t len;
    pol_status st = pol__read_file(run, path, 64u << 20, &data, &len);
    if (st) return st;
    size_t n = 0, cap = 0;
    double *pt = NULL;
    long line = 0;
    for (char *p = (char *)data; *p && !st;) {
        char *nl = strchr(p, '\n');
        line++;
        double t, x, y;
        if (sscanf(p, "%lf,%lf,%lf", &t, &x, &y) == 3) {
            if (x < 0 || x > 1 || y < 0 || y > 1 || (n && t < pt[3 * (n - 1)]))
                st = pol__fail(run, POL_ERR_CORRUPT, "%s line %ld: the centre must be 0..1 and times rising", path, line);
            else {
                if (n == cap) {
                    cap = cap ? cap * 2 : 256;
                    double *np = realloc(pt, cap * 3 * sizeof *np);
                    if (!np) {
                        st = pol__fail(run, POL_ERR_NOMEM, "out of memory");
                        break;
                    }
                    pt = np;
                }
                pt[3 * n] = t;
                pt[3 * n + 1] = x;
                pt[3 * n + 2] = y;
                n++;
            }
        }
        p = nl ? nl + 1 : p + strlen(p);
    }
    free(data);
    if (!st && !n) st = pol__fail(run, POL_ERR_EMPTY, "%s: no rows time_s,cx,cy", path);
    if (!st) st = pol__video_analyse(run, v); /* the frames' times */
    if (st) {
        free(pt);
        return st;
    }
    const pol__vanalysis *a = v->ana;
    float *px = malloc(a->n * sizeof *px), *py = malloc(a->n * sizeof *py);
    if (!px || !py) {
        free(pt);
        free(px);
        free(py);
        return pol__fail(run, POL_ERR_NOMEM, "out of memory");
    }
    size_t j = 0;
    for (size_t i = 0; i < a->n; i++) {
        double t = a->f[i].t, x, y;
        while (j + 1 < n && pt[3 * (j + 1)] <= t) j++;
        if (j + 1 < n && t > pt[3 * j]) {
            double w = (t - pt[3 * j]) / (pt[3 * (j + 1)] - pt[3 * j]);
            x = pt[3 * j + 1] + w * (pt[3 * (j + 1) + 1] - pt[3 * j + 1]);
            y = pt[3 * j + 2] + w * (pt[3 * (j + 1) + 2] - pt[3 * j + 2]);
        } else {
            x = pt[3 * j + 1];
            y = pt[3 * j + 2];
        }
        px[i] = (float)(x * v->in.width - cw / 2.0);
        py[i] = (float)(y * v->in.height - ch / 2.0);
    }
    free(pt);
    free(v->crop_x);
    free(v->crop_y);
    v->crop_x = px;
    v->crop_y = py;
    v->n_crop = a->n;
    v->crop_w = cw;
    v->crop_h = ch;
    return POL_OK;
}

typedef struct pctx {
    const pol__video *v;
} pctx;

static pol_status write_path(pol_run *run, FILE *f, int first, void *u)
{
    (void)run;
    (void)first;
    const pol__video *v = ((pctx *)u)->v;
    fprintf(f, "frame,time_s,x,y,w,h\n");
    for (size_t i = 0; i < v->n_crop; i++)
        fprintf(f, "%zu,%.4f,%.1f,%.1f,%d,%d\n", i, v->ana ? v->ana->f[i].t : 0, v->crop_x[i], v->crop_y[i],
                v->crop_w, v->crop_h);
    return ferror(f) ? POL_ERR_IO : POL_OK;
}

/* The crop path over time as an SVG: the window's centre (blue band: its extent) and the subject it
 * follows (grey dots: one tracked moving thing, or the motion's centroid where it was not tracked;
 * sx NULL: the motion's centroid throughout), shots as vertical lines. */
/* Appends to s[0..cap) while there is room; o passing cap marks the figure as cut short. */
#define APPEND(...) (o = o < cap ? o + (size_t)snprintf(s + o, cap - o, __VA_ARGS__) : o)

static void figure(pol_run *run, const pol__video *v, const float *sx)
{
    const pol__vanalysis *a = v->ana;
    if (!a || !a->n) return;
    int W = 720, H = 240;
    size_t cap = 4096 + a->n * 256;
    char *s = malloc(cap);
    if (!s) return;
    size_t o = 0;
    APPEND(
                                "<svg xmlns='http://www.w3.org/2000/svg' width='%d' height='%d' font-family='sans-serif' font-size='11'>"
                                "<rect width='%d' height='%d' fill='white'/>"
                                "<text x='6' y='14'>crop window across the frame (x, blue) and the subject followed (grey) over time</text>",
                                W, H, W, H);
    double T = a->f[a->n - 1].t > 0 ? a->f[a->n - 1].t : 1;
    size_t step = a->n > 600 ? a->n / 600 : 1;
    for (size_t i = 0; i < a->n; i++)
        if (a->f[i].cut && i)
            APPEND( "<line x1='%.1f' y1='20' x2='%.1f' y2='%d' stroke='#c33'/>",
                                  a->f[i].t / T * W, a->f[i].t / T * W, H);
    APPEND( "<path fill='#9bd' fill-opacity='0.5' d='");
    for (size_t i = 0; i < a->n; i += step)
        APPEND( "%s%.1f %.1f", i ? "L" : "M", a->f[i].t / T * W,
                              20 + (H - 20) * (double)v->crop_x[i] / v->in.width);
    for (size_t i = (a->n - 1) / step * step + 1; i-- > 0;)
        if (i % step == 0)
            APPEND( "L%.1f %.1f", a->f[i].t / T * W,
                                  20 + (H - 20) * (double)(v->crop_x[i] + v->crop_w) / v->in.width);
    APPEND( "Z'/>");
    for (size_t i = 0; i < a->n; i += step) {
        double x = sx ? sx[i] : a->f[i].mw > 0.0015f ? a->f[i].mx : -1;
        if (x >= 0) APPEND("<circle cx='%.1f' cy='%.1f' r='1.5' fill='#555'/>", a->f[i].t / T * W, 20 + (H - 20) * x);
    }
    APPEND( "</svg>");
    if (o < cap) pol__figure(run, "crop path", "image/svg+xml", s, o);
    free(s);
}

static pol_status run(pol_run *run, pol_asset *asset, const pol_args *args)
{
    pol__video *v = pol__video_of(asset);
    double r;
    if (!pol__video_parse_aspect(pol__arg_str(args, "aspect"), &r))
        return pol__fail(run, POL_ERR_ARG, "--aspect '%s' is not W:H (9:16, 1:1, 4:5)", pol__arg_str(args, "aspect"));
    int cw, ch;
    pol__video_window(v, r, &cw, &ch);
    double src = (double)v->in.width / v->in.height;
    pol__measure(run, "source_aspect", round(src * 1000) / 1000);
    pol__measure(run, "target_aspect", round(r * 1000) / 1000);
    if (fabs(src - r) / r < 0.01) {
        pol__decline(run, "the picture is already %.3f:1", src);
        return POL_OK;
    }
    const char *given = pol__input_path(args, "path", 0);
    float *sx = NULL;
    pol_status st = given ? read_path(run, v, given, cw, ch)
                          : pol__video_reframe_path_subject(run, v, cw, ch, pol__arg_num(args, "smooth"),
                                                            pol__arg_num(args, "max-speed"),
                                                            pol__arg_num(args, "max-accel"), &sx);
    if (st) return st;
    if (pol__want_figures(run)) figure(run, v, sx);
    free(sx);
    v->out_w = v->out_h = 0;
    /* path statistics inside shots: the largest frame-to-frame move, the mean, the largest change of
     * move (px a frame^2) */
    double maxstep = 0, sum = 0, maxacc = 0;
    size_t m = 0;
    for (size_t i = 1; i < v->n_crop; i++) {
        if (v->ana->f[i].cut) continue;
        double d = hypot(v->crop_x[i] - v->crop_x[i - 1], v->crop_y[i] - v->crop_y[i - 1]);
        if (d > maxstep) maxstep = d;
        sum += d;
        m++;
        if (i >= 2 && !v->ana->f[i - 1].cut)
            maxacc = fmax(maxacc, hypot(v->crop_x[i] - 2 * v->crop_x[i - 1] + v->crop_x[i - 2],
                                        v->crop_y[i] - 2 * v->crop_y[i - 1] + v->crop_y[i - 2]));
    }
    pol__measure_int(run, "window_width", cw);
    pol__measure_int(run, "window_height", ch);
    pol__measure(run, "path_max_step_px", round(maxstep * 100) / 100);
    pol__measure(run, "path_mean_step_px", m ? round(sum / m * 1000) / 1000 : 0);
    pol__measure(run, "path_max_accel_px", round(maxacc * 100) / 100);
    size_t ns = 0;
    free(pol__video_shots(v->ana, &ns));
    pol__measure_int(run, "shots", (long long)ns);
    pol__decide(run, "%dx%d window %s, %zu shots", cw, ch, given ? "along the given path" : "following the subject", ns);
    pctx c = {v};
    const char *sp = pol__output_path(args, "save-path");
    if (sp) {
        pol_err e;
        pol_err_clear(&e);
        char *full = pol__port_out_path(run, sp, &e);
        if (!full) return pol__fail(run, e.code, "--save-path: %s", e.msg);
        pol__outfile of;
        st = pol__out_open(run, full, &of);
        free(full);
        if (!st) {
            st = write_path(run, of.fp, 1, &c);
            if (!st) st = pol__out_commit(run, &of);
            else pol__out_abort(&of);
        }
        if (st) return st;
    }
    return POL_OK;
}

const pol_op_desc pol__video_op_reframe = {
    .domain = "video",
    .name = "reframe",
    .summary = "New aspect ratio following the subject on a smoothed path, never letterboxed",
    .params = params,
    .n_params = POL_ARRAY_LEN(params),
    .run = run,
    .inputs = inputs,
    .n_inputs = POL_ARRAY_LEN(inputs),
    .outputs = outputs,
    .n_outputs = POL_ARRAY_LEN(outputs),
};
