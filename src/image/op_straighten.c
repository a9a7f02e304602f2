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
    return pol__straighten_apply(run, im, tilt, pol__arg_bool(args, "crop")); /* (rotate.c) */
}

/* Strip by strip: judged on the preview (a given angle needs no look), rotated from a band of
 * rows (rotate.c). */
static pol_status strips_begin(pol_run *r, const pol_args *args, void **state)
{
    return pol__rotate_strips_begin(r, args, run, pol__arg_has(args, "angle"), state);
}

static const pol_op_stream strips = {
    .begin = strips_begin, .apply = pol__rotate_strips_apply, .free = pol__rotate_strips_free};

const pol_op_desc pol__image_op_straighten = {
    .domain = "image",
    .name = "straighten",
    .summary = "Straighten: detect tilt from long straight lines, rotate and crop; skips when unsure",
    .params = params,
    .n_params = POL_ARRAY_LEN(params),
    .stream = &strips,
    .run = run,
    .flags = POL_OP_AUTO,
};
