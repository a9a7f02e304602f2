/* polish — video.captions: cues from SRT or WebVTT, or from a plain transcript aligned to the
 * soundtrack (align.c), laid out by the rules (at most two lines of 42
 * characters, at least 1 s on screen, a reading speed limit), every cue checked; burned in with
 * libass inside the safe area, or muxed as soft subtitles (mov_text in MP4, SubRip in MKV, WebVTT
 * in WebM). Times follow an earlier trim. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "video/video.h"

static const pol_param_desc params[] = {
    {"burn", POL_PARAM_BOOL, "false", 0, -1, NULL, "Burn the captions into the picture (libass); otherwise a subtitle track."},
    {"font", POL_PARAM_STR, "DejaVu Sans", 0, -1, NULL, "Font family of burned captions (fontconfig name)."},
    {"size", POL_PARAM_NUM, "1", 0.5, 2, NULL, "Text size relative to the default (5.5% of the shorter side)."},
    {"lines", POL_PARAM_INT, "2", 1, 4, NULL, "Most lines per cue."},
    {"chars", POL_PARAM_INT, "42", 10, 80, NULL, "Most characters per line."},
    {"min-duration", POL_PARAM_NUM, "1", 0.3, 10, NULL, "Least time a cue stays on screen.", .unit = "s"},
    {"cps", POL_PARAM_NUM, "20", 5, 60, NULL, "Fastest reading speed, characters per second."},
    {"model", POL_PARAM_STR, "/usr/share/pocketsphinx/model/en-us/en-us", 0, -1, NULL, "With --transcript: the pocketsphinx acoustic model directory."},
    {"dict", POL_PARAM_STR, "/usr/share/pocketsphinx/model/en-us/cmudict-en-us.dict", 0, -1, NULL, "With --transcript: the pronouncing dictionary."},
    {"pause", POL_PARAM_NUM, "0.5", 0.1, 5, NULL, "With --transcript: a pause this long between words starts a new cue (once the cue has been up for --min-duration; twice as long always does).", .unit = "s"},
};

static const pol_port_desc inputs[] = {
    {"srt", POL_PORT_FILE, NULL, "srt|vtt", 0, "The captions: SubRip (.srt) or WebVTT (.vtt)."},
    {"transcript", POL_PORT_FILE, NULL, NULL, 0, "Or a plain UTF-8 transcript, aligned to the speech (pocketsphinx)."},
};

static pol_status run(pol_run *run, pol_asset *asset, const pol_args *args)
{
    pol__video *v = pol__video_of(asset);
    pol__vcue *c = NULL;
    size_t n = 0;
    const char *srt = pol__input_path(args, "srt", 0), *tr = pol__input_path(args, "transcript", 0);
    if (!srt == !tr)
        return pol__fail(run, POL_ERR_ARG, "give the captions as either --srt or --transcript%s", srt ? ", not both" : "");
    pol_status st;
    if (srt) {
        st = pol__subs_read(run, srt, &c, &n);
    } else {
        pol__align_opts o = {pol__arg_str(args, "model"), pol__arg_str(args, "dict"), pol__arg_num(args, "pause"),
                             pol__arg_num(args, "min-duration"), (int)pol__arg_int(args, "lines"),
                             (int)pol__arg_int(args, "chars")};
        st = pol__video_transcript_cues(run, v, tr, &o, &c, &n);
    }
    if (st) return st;
    pol__measure_int(run, "cues_read", (long long)n);
    /* source time to output time (an earlier trim); cues entirely cut go */
    size_t w = 0, dropped = 0;
    for (size_t k = 0; k < n; k++) {
        double a = pol__video_out_time(v, c[k].t0), b = pol__video_out_time(v, c[k].t1 - 1e-3);
        if (v->keep && (a < 0 || b < 0)) {
            /* clamp a cue that straddles a cut to its kept part */
            double t0 = c[k].t0, t1 = c[k].t1;
            for (size_t s = 0; s < v->n_keep && (a < 0 || b < 0); s++) {
                double x0 = fmax(t0, v->keep[s].t0), x1 = fmin(t1, v->keep[s].t1);
                if (x1 > x0) {
                    a = pol__video_out_time(v, x0);
                    b = pol__video_out_time(v, x1 - 1e-3);
                }
            }
        }
        if (a < 0 || b < 0 || b <= a) {
            free(c[k].text);
            dropped++;
            continue;
        }
        c[w] = c[k];
        c[w].t0 = a;
        c[w].t1 = b + 1e-3;
        w++;
    }
    n = w;
    if (dropped) pol__measure_int(run, "cues_in_cut_parts", (long long)dropped);
    pol__subs_rules r = {(int)pol__arg_int(args, "lines"), (int)pol__arg_int(args, "chars"),
                         pol__arg_num(args, "min-duration"), pol__arg_num(args, "cps")};
    int changed = 0, broken[4];
    st = pol__subs_apply_rules(run, &c, &n, &r, &changed, broken);
    if (st) {
        pol__subs_free(c, n);
        return st;
    }
    pol__measure_int(run, "cues", (long long)n);
    pol__measure_int(run, "cues_relaid", changed);
    pol__measure_int(run, "cues_over_lines", broken[0]);
    pol__measure_int(run, "cues_over_chars", broken[1]);
    pol__measure_int(run, "cues_under_min_duration", broken[2]);
    pol__measure_int(run, "cues_over_reading_speed", broken[3]);
    if (broken[2] || broken[3])
        pol__warn(run, "%d cue%s still too short or too fast: the next cue starts too soon to extend them",
                  broken[2] + broken[3], broken[2] + broken[3] == 1 ? " is" : "s are");
    pol__subs_free(v->cues, v->n_cues);
    v->cues = c;
    v->n_cues = n;
    v->burn = pol__arg_bool(args, "burn");
    free(v->font);
    v->font = pol__strdup(pol__arg_str(args, "font"));
    v->font_scale = pol__arg_num(args, "size");
    pol__decide(run, "%zu cues %s", n, v->burn ? "burned in" : "as a subtitle track");
    return POL_OK;
}

const pol_op_desc pol__video_op_captions = {
    .domain = "video",
    .name = "captions",
    .summary = "Captions from SRT/VTT or an aligned transcript, laid out by the rules; burned in (libass) or a subtitle track",
    .params = params,
    .n_params = POL_ARRAY_LEN(params),
    .run = run,
    .inputs = inputs,
    .n_inputs = POL_ARRAY_LEN(inputs),
};
