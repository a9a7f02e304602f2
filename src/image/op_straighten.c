/* polish — image.straighten: levels a tilted horizon from long straight lines, then crops to the largest inscribed rectangle. */
#include <math.h>
#include <stdio.h>
#include "image/image_io.h"
#include "image/quality.h"

static const pol_param_desc params[] = {
    {"angle", POL_PARAM_NUM, NULL, -45, 45, NULL,
     "Manual: rotate counter-clockwise by this many degrees; unset means detected."},
    {"max-angle", POL_PARAM_NUM, "6", 0.5, 20, NULL, "Automatic: largest tilt corrected, in degrees."},
    {"min-angle", POL_PARAM_NUM, "0.25", 0, 5, NULL,
     "Automatic: smaller tilts are left alone."},
    {"min-confidence", POL_PARAM_NUM, "0.7", 0, 1, NULL,
     "Automatic: decline when the detection is less certain than this."},
    {"perspective", POL_PARAM_BOOL, "false", 0, -1, NULL,
     "Automatic: let converging verticals (a camera pitched up or down) give the roll through their "
     "vanishing point. Off by default: on the benchmark set it finds more tilts but also more wrong "
     "angles (bench/RESULTS.md)."},
    {"crop", POL_PARAM_BOOL, "true", 0, -1, NULL,
     "Crop to the largest inscribed rectangle of the same aspect ratio."},
};

/*
 * Rotation about the centre with a Catmull-Rom bicubic kernel (sharp, no ringing worth noticing
 * at these small angles), then an axis-aligned crop: the largest rectangle of the original aspect
 * ratio that fits inside the rotated frame, so no corner is left empty.
 */
typedef struct rot_ctx {
    const pol__image *src;
    float *dst;
    int dw, dh;
    double cs, sn; /* rotation by -tilt */
    double ox, oy; /* offsets of the output centre in source coordinates */
} rot_ctx;

static inline void cubic_w(float t, float w[4])
{
    float t2 = t * t, t3 = t2 * t;
    w[0] = -0.5f * t3 + t2 - 0.5f * t;
    w[1] = 1.5f * t3 - 2.5f * t2 + 1;
    w[2] = -1.5f * t3 + 2 * t2 + 0.5f * t;
    w[3] = 0.5f * t3 - 0.5f * t2;
}

static void rot_rows(void *user, size_t begin, size_t end)
{
    rot_ctx *c = user;
    const pol__image *s = c->src;
    int ch = s->channels, W = s->width, H = s->height;
    for (size_t yy = begin; yy < end; yy++) {
        float *o = c->dst + yy * (size_t)c->dw * ch;
        double dy = (double)yy - (c->dh - 1) / 2.0;
        for (int x = 0; x < c->dw; x++, o += ch) {
            double dx = x - (c->dw - 1) / 2.0;
            /* Output pixel -> source position (y grows downwards). */
            double sx = c->cs * dx - c->sn * dy + c->ox, sy = c->sn * dx + c->cs * dy + c->oy;
            int x0 = (int)floorf((float)sx), y0 = (int)floorf((float)sy);
            float wx[4], wy[4];
            cubic_w((float)(sx - x0), wx);
            cubic_w((float)(sy - y0), wy);
            if (ch == 3 && x0 >= 1 && y0 >= 1 && x0 + 2 < W && y0 + 2 < H) {
                /* Interior, RGB: no clamping, channels in registers. */
                float r = 0, g = 0, b = 0;
                for (int j = 0; j < 4; j++) {
                    const float *q = pol__image_row(s, y0 - 1 + j) + (size_t)(x0 - 1) * 3;
                    float rr = wx[0] * q[0] + wx[1] * q[3] + wx[2] * q[6] + wx[3] * q[9];
                    float gg = wx[0] * q[1] + wx[1] * q[4] + wx[2] * q[7] + wx[3] * q[10];
                    float bb = wx[0] * q[2] + wx[1] * q[5] + wx[2] * q[8] + wx[3] * q[11];
                    r += wy[j] * rr;
                    g += wy[j] * gg;
                    b += wy[j] * bb;
                }
                o[0] = pol__clampf(r, 0, 1);
                o[1] = pol__clampf(g, 0, 1);
                o[2] = pol__clampf(b, 0, 1);
                continue;
            }
            float acc[4] = {0, 0, 0, 0};
            for (int j = 0; j < 4; j++) {
                int py = y0 - 1 + j;
                py = py < 0 ? 0 : py >= H ? H - 1 : py;
                const float *row = pol__image_row(s, py);
                float rowacc[4] = {0, 0, 0, 0};
                for (int i = 0; i < 4; i++) {
                    int px = x0 - 1 + i;
                    px = px < 0 ? 0 : px >= W ? W - 1 : px;
                    const float *p = row + (size_t)px * ch;
                    for (int k = 0; k < ch; k++) rowacc[k] += wx[i] * p[k];
                }
                for (int k = 0; k < ch; k++) acc[k] += wy[j] * rowacc[k];
            }
            for (int k = 0; k < ch; k++) o[k] = pol__clampf(acc[k], 0, 1);
        }
    }
}

/* Rotates clockwise by `deg` (counter-clockwise when negative) and crops (or keeps the size,
 * repeating the edges into the corners, when crop is 0). */
static pol_status rotate(pol_run *run, pol__image *im, double deg, int crop)
{
    double t = deg * M_PI / 180, cs = cos(t), sn = sin(t), as = fabs(sn);
    int W = im->width, H = im->height, dw = W, dh = H;
    if (crop) {
        double k = fmin(W / (W * cs + H * as), H / (W * as + H * cs));
        dw = (int)floor(W * k);
        dh = (int)floor(H * k);
        if (dw < 1 || dh < 1) {
            pol__decline(run, "a %dx%d image is too small to rotate and crop", W, H);
            return POL_OK;
        }
    }
    float *px = pol__image_alloc_px(dw, dh, im->channels);
    if (!px) return pol__fail(run, POL_ERR_NOMEM, "out of memory rotating a %dx%d image", W, H);
    /* Rotating the content clockwise by t means sampling the source counter-clockwise. */
    rot_ctx c = {im, px, dw, dh, cs, -sn, (W - 1) / 2.0, (H - 1) / 2.0};
    pol__parallel_for(run, (size_t)dh, 8, rot_rows, &c);
    pol__image_replace_px(im, px, dw, dh, im->channels);
    return POL_OK;
}

static pol_status run(pol_run *run, pol_asset *asset, const pol_args *args)
{
    pol__image *im = pol__image_of(asset);
    double tilt;
    if (pol__arg_has(args, "angle")) {
        /* A manual angle rotates counter-clockwise, so it is the negative of a tilt. */
        tilt = -pol__arg_num(args, "angle");
    } else {
        if (pol__image_graphic_declines(run, im)) return POL_OK;
        double maxa = pol__arg_num(args, "max-angle"), mina = pol__arg_num(args, "min-angle");
        double conf;
        pol__tilt_info ti;
        int found = pol__tilt_estimate_persp(run, im, maxa, pol__arg_bool(args, "perspective"),
                                             &tilt, &conf, &ti);
        if (ti.dense_ok) {
            int conv = ti.dense.v_peak > 1.15 * ti.dense.v_par_peak;
            pol__measure(run, "dense_level_deg", ti.dense.h_deg);
            pol__measure(run, "dense_level_peak", ti.dense.h_prom);
            pol__measure(run, "dense_vertical_deg", conv ? ti.dense.v_deg : ti.dense.v_par_deg);
            pol__measure(run, "dense_vertical_peak", conv ? ti.dense.v_prom : ti.dense.v_par_prom);
            if (conv)
                pol__measure(run, "dense_vertical_vanishing_point_diagonals", 1 / ti.dense.v_q / 2);
        }
        if (ti.horizon_ok) {
            pol__measure(run, "horizon_deg", ti.horizon.deg);
            pol__measure(run, "horizon_se_deg", ti.horizon.se_deg);
            pol__measure(run, "horizon_cover", ti.horizon.cover);
            pol__measure(run, "horizon_contrast", ti.horizon.contrast);
            pol__measure(run, "horizon_smooth", ti.horizon.smooth);
            pol__measure(run, "horizon_sky_texture", ti.horizon.sky);
            pol__measure(run, "horizon_row", ti.horizon.row);
            pol__measure(run, "horizon_score", ti.horizon.score);
            pol__measure_int(run, "horizon_balanced", ti.horizon.balanced);
            /* the lines it weighed, and which (strongest first) it took as the uppermost strong */
            pol__measure_int(run, "horizon_candidates", ti.horizon.ncand);
            pol__measure_int(run, "horizon_candidate_taken", ti.horizon.chosen + 1);
        }
        if (ti.vp_ok) {
            pol__measure_int(run, "vanishing_points", ti.vp.points);
            pol__measure_int(run, "horizontal_vanishing_points", ti.vp.h_points);
            if (ti.vp.v_ok) {
                pol__measure(run, "vp_vertical_deg", ti.vp.v_deg);
                pol__measure(run, "vp_vertical_diagonals", ti.vp.v_dist);
                pol__measure(run, "vp_vertical_support", ti.vp.v_support);
                pol__measure_int(run, "vp_vertical_lines", ti.vp.v_members);
            }
            if (ti.vp.h_ok) {
                pol__measure(run, "vp_horizon_deg", ti.vp.h_deg);
                pol__measure(run, "vp_horizon_support", ti.vp.h_support);
                pol__measure(run, "vp_focal_half_diagonals", ti.vp.focal);
            }
        }
        if (ti.seg_ok) {
            pol__measure(run, "segments_tilt_deg", ti.seg_deg);
            pol__measure(run, "segments_confidence", ti.seg_conf);
            pol__measure_str(run, "dense_confirms", ti.dense_agrees == 1   ? "level edges"
                                                    : ti.dense_agrees == 2 ? "verticals"
                                                                           : "no");
        }
        if (ti.receding) pol__measure_int(run, "receding_segments_set_aside", ti.receding);
        if (!found) {
            /* no estimate, not a tilt of 0: tilt_deg is left out of the report */
            pol__decline(run, "no estimate: no straight line, vanishing point or horizon gives a "
                              "reading");
            return POL_OK;
        }
        static const char *const by[] = {"", "segments", "vanishing points",
                                         "horizon line (a sky line)"};
        static const char *const cue[] = {"segments", "vertical vanishing point",
                                          "horizon through vanishing points", "horizon line",
                                          "dense level edges", "dense verticals"};
        char agree[160] = "";
        size_t al = 0;
        for (int k = 0; k < 6; k++)
            if (ti.agreeing_cues >> k & 1)
                al += (size_t)snprintf(agree + al, sizeof agree - al, "%s%s", al ? ", " : "", cue[k]);
        pol__measure_str(run, "decided_by", by[ti.decided_by]);
        pol__measure_str(run, "agreeing_cues", al ? agree : "none");
        pol__measure(run, "tilt_deg", tilt);
        pol__measure_str(run, "lines", ti.family == 2 ? "horizontal and vertical"
                                       : ti.family   ? "vertical"
                                                     : "horizontal");
        pol__measure_int(run, "segments", ti.segments);
        pol__measure_int(run, "agreeing_segments", ti.members);
        pol__measure(run, "agreeing_share", ti.share);
        pol__measure(run, "agreeing_length", ti.support);
        pol__measure(run, "agreeing_spread_deg", ti.spread);
        if (ti.vanishing != 0) pol__measure(run, "vertical_vanishing_point_diagonals", ti.vanishing);
        pol__confidence(run, conf);
        double minc = pol__arg_num(args, "min-confidence");
        if (conf < minc) {
            pol__decline(run, "tilt %+.2f deg, but the lines are not convincing (confidence %.2f "
                              "below %.2f)",
                         tilt, conf, minc);
            return POL_OK;
        }
        if (fabs(tilt) < mina) {
            pol__decline(run, "tilt %+.2f deg is below %.2f deg", tilt, mina);
            return POL_OK;
        }
    }
    if (fabs(tilt) < 1e-6) {
        pol__decline(run, "rotation of 0 degrees");
        return POL_OK;
    }
    int W = im->width, H = im->height, crop = pol__arg_bool(args, "crop");
    pol_status st = rotate(run, im, tilt, crop);
    if (st != POL_OK || run->declined) return st;
    pol__measure(run, "rotation_deg", -tilt);
    pol__decide(run, "rotated %.2f deg %s%s", fabs(tilt),
                tilt > 0 ? "clockwise" : "counter-clockwise",
                crop ? "" : " (corners filled from the edges)");
    if (crop)
        pol__decide(run, "cropped %dx%d -> %dx%d to the largest inscribed rectangle", W, H,
                    im->width, im->height);
    return POL_OK;
}

POL__PREVIEW_STREAM(preview_stream, run, "straighten rotates the picture: the item is loaded whole", 0);

const pol_op_desc pol__image_op_straighten = {
    .domain = "image",
    .name = "straighten",
    .summary = "Straighten: detect tilt from long straight lines, rotate and crop; skips when unsure",
    .params = params,
    .n_params = POL_ARRAY_LEN(params),
    .stream = &preview_stream,
    .run = run,
    .flags = POL_OP_AUTO,
};
