/* polish — video.trim: in and out points, and --cut-pauses: the soundtrack's voice activity (the
 * audio domain's 20 ms frame levels against its noise floor) gives the spans of speech; pauses
 * longer than --min-pause are cut, leaving --margin-before and --margin-after around every word so
 * none is clipped, with a crossfade of the sound at each cut. The cut list is written as JSON or
 * an EDL (CMX 3600) with --cuts. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "audio/audio.h"
#include "core/ports.h"
#include "video/video.h"

static const pol_param_desc params[] = {
    {"in", POL_PARAM_NUM, "0", 0, 1e7, NULL, "Start of the kept part.", .unit = "s"},
    {"out", POL_PARAM_NUM, "0", 0, 1e7, NULL, "End of the kept part; 0 = the end.", .unit = "s"},
    {"cut-pauses", POL_PARAM_BOOL, "false", 0, -1, NULL, "Cut the pauses between speech (voice activity of the soundtrack)."},
    {"min-pause", POL_PARAM_NUM, "0.7", 0.1, 60, NULL, "Pauses shorter than this stay.", .unit = "s"},
    {"margin-before", POL_PARAM_NUM, "0.2", 0, 5, NULL, "Kept before each stretch of speech.", .unit = "s"},
    {"margin-after", POL_PARAM_NUM, "0.3", 0, 5, NULL, "Kept after each stretch of speech.", .unit = "s"},
    {"crossfade", POL_PARAM_NUM, "0.02", 0, 0.5, NULL, "Crossfade of the sound at each cut.", .unit = "s"},
};

static const pol_port_desc outputs[] = {
    {"cuts", POL_PORT_FILE, NULL, "json|edl", 0,
     "Writes the cut list: JSON (kept and removed spans, source and output times) or an EDL (CMX 3600)."},
};

static void tc(double t, double fps, char *b, size_t n)
{
    int f = (int)lround(fps);
    if (f < 1) f = 25;
    long fr = lround(t * f);
    snprintf(b, n, "%02ld:%02ld:%02ld:%02ld", fr / (3600L * f), fr / (60L * f) % 60, fr / f % 60, fr % f);
}

static pol_status write_cuts(pol_run *run, const pol__video *v, const char *given)
{
    pol_err e;
    pol_err_clear(&e);
    char *full = pol__port_out_path(run, given, &e);
    if (!full) return pol__fail(run, e.code, "--cuts: %s", e.msg);
    pol__outfile of;
    pol_status st = pol__out_open(run, full, &of);
    int edl = !strcasecmp(pol__path_ext(full), "edl");
    free(full);
    if (st) return st;
    FILE *f = of.fp;
    double acc = 0;
    if (edl) {
        fprintf(f, "TITLE: %s\nFCM: NON-DROP FRAME\n\n", pol__path_base(v->path));
        for (size_t k = 0; k < v->n_keep; k++) {
            char a[64], b[64], c[64], d[64];
            double len = v->keep[k].t1 - v->keep[k].t0;
            tc(v->keep[k].t0, v->in.fps, a, sizeof a);
            tc(v->keep[k].t1, v->in.fps, b, sizeof b);
            tc(acc, v->in.fps, c, sizeof c);
            tc(acc + len, v->in.fps, d, sizeof d);
            fprintf(f, "%03zu  AX       AA/V  C        %s %s %s %s\n", k + 1, a, b, c, d);
            acc += len;
        }
    } else {
        fprintf(f, "{\"source\": \"%s\", \"duration_s\": %.3f, \"kept\": [", pol__path_base(v->path), v->in.duration);
        for (size_t k = 0; k < v->n_keep; k++) {
            double len = v->keep[k].t1 - v->keep[k].t0;
            fprintf(f, "%s\n  {\"source_in\": %.3f, \"source_out\": %.3f, \"out_in\": %.3f, \"out_out\": %.3f}",
                    k ? "," : "", v->keep[k].t0, v->keep[k].t1, acc, acc + len);
            acc += len;
        }
        fprintf(f, "\n], \"removed\": [");
        double prev = 0;
        int first = 1;
        for (size_t k = 0; k <= v->n_keep; k++) {
            double s = k < v->n_keep ? v->keep[k].t0 : v->in.duration;
            if (s - prev > 1e-3) {
                fprintf(f, "%s\n  {\"source_in\": %.3f, \"source_out\": %.3f}", first ? "" : ",", prev, s);
                first = 0;
            }
            if (k < v->n_keep) prev = v->keep[k].t1;
        }
        fprintf(f, "\n], \"output_duration_s\": %.3f}\n", acc);
    }
    if (ferror(f)) {
        pol__out_abort(&of);
        return pol__fail(run, POL_ERR_IO, "writing the cut list failed");
    }
    return pol__out_commit(run, &of);
}

static pol_status run(pol_run *run, pol_asset *asset, const pol_args *args)
{
    pol__video *v = pol__video_of(asset);
    double t_in = pol__arg_num(args, "in"), t_out = pol__arg_num(args, "out"), D = v->in.duration;
    if (t_out <= 0 || t_out > D) t_out = D;
    if (t_in >= t_out) return pol__fail(run, POL_ERR_ARG, "--in %.3f s is not before the out point %.3f s", t_in, t_out);
    double xf = pol__arg_num(args, "crossfade");
    pol__vseg *seg = NULL;
    size_t ns = 0;
    if (pol__arg_bool(args, "cut-pauses")) {
        if (!v->in.has_audio) {
            pol__decline(run, "no soundtrack: no voice activity to find pauses in");
        } else {
            pol__afindings f;
            unsigned char *act = NULL;
            size_t na = 0;
            pol_status st = pol__video_sound(run, v, &f, &act, &na);
            if (st) return st;
            pol__measure(run, "noise_floor_dbfs", round(f.noise_floor_db * 10) / 10);
            pol__measure(run, "speech_level_dbfs", round(f.speech_level_db * 10) / 10);
            pol__measure(run, "speech_fraction", round(f.speech_fraction * 1000) / 1000);
            if (f.snr_db < 6 || f.speech_fraction <= 0) {
                pol__decline(run, "the sound has no speech standing above its floor (SNR %.1f dB): no pauses to cut", f.snr_db);
            } else {
                double mb = pol__arg_num(args, "margin-before"), ma = pol__arg_num(args, "margin-after"),
                       mp = pol__arg_num(args, "min-pause");
                /* spans of activity, widened by the margins, joined across short pauses */
                seg = malloc((na / 2 + 2) * sizeof *seg);
                if (!seg) {
                    free(act);
                    return pol__fail(run, POL_ERR_NOMEM, "out of memory");
                }
                for (size_t i = 0; i < na;) {
                    if (!act[i]) {
                        i++;
                        continue;
                    }
                    size_t j = i;
                    while (j < na && act[j]) j++;
                    double a = i * 0.02 - mb, b = j * 0.02 + ma;
                    if (a < t_in) a = t_in;
                    if (b > t_out) b = t_out;
                    if (b > a) {
                        if (ns && a - seg[ns - 1].t1 < fmax(mp - mb - ma, xf * 1.01)) seg[ns - 1].t1 = b;
                        else seg[ns++] = (pol__vseg){a, b};
                    }
                    i = j;
                }
                /* spans shorter than a crossfade go */
                size_t w = 0;
                for (size_t k = 0; k < ns; k++)
                    if (seg[k].t1 - seg[k].t0 >= 2 * xf + 0.04) seg[w++] = seg[k];
                ns = w;
            }
            free(act);
        }
    }
    if (!seg && (t_in > 0 || t_out < D)) {
        seg = malloc(sizeof *seg);
        if (!seg) return pol__fail(run, POL_ERR_NOMEM, "out of memory");
        seg[0] = (pol__vseg){t_in, t_out};
        ns = 1;
    }
    if (!seg) {
        if (!pol__arg_bool(args, "cut-pauses")) pol__decline(run, "no in or out point: nothing to cut");
        return POL_OK;
    }
    if (!ns) {
        free(seg);
        return pol__fail(run, POL_ERR_EMPTY, "nothing would be left after cutting");
    }
    /* an earlier trim: keep only what both keep */
    if (v->keep) {
        pol__vseg *m = malloc((ns + v->n_keep) * sizeof *m);
        size_t nm = 0;
        if (!m) {
            free(seg);
            return pol__fail(run, POL_ERR_NOMEM, "out of memory");
        }
        for (size_t i = 0; i < ns; i++)
            for (size_t j = 0; j < v->n_keep; j++) {
                double a = fmax(seg[i].t0, v->keep[j].t0), b = fmin(seg[i].t1, v->keep[j].t1);
                if (b - a > 2 * xf + 0.04) m[nm++] = (pol__vseg){a, b};
            }
        free(seg);
        seg = m;
        ns = nm;
        if (!ns) {
            free(seg);
            return pol__fail(run, POL_ERR_EMPTY, "nothing would be left after cutting");
        }
    }
    free(v->keep);
    v->keep = seg;
    v->n_keep = ns;
    v->xfade = xf;
    double kept = pol__video_out_duration(v);
    pol__measure_int(run, "spans_kept", (long long)ns);
    pol__measure(run, "kept_s", round(kept * 1000) / 1000);
    pol__measure(run, "removed_s", round((D - kept) * 1000) / 1000);
    pol__decide(run, "%zu span%s kept: %.2f s of %.2f s, %zu cut%s with %.0f ms crossfades", ns, ns == 1 ? "" : "s", kept, D,
                ns ? ns - 1 : 0, ns == 2 ? "" : "s", xf * 1000);
    const char *cuts = pol__output_path(args, "cuts");
    if (cuts) return write_cuts(run, v, cuts);
    return POL_OK;
}

const pol_op_desc pol__video_op_trim = {
    .domain = "video",
    .name = "trim",
    .summary = "Cut to in/out points and cut the pauses between speech, with margins and crossfades",
    .params = params,
    .n_params = POL_ARRAY_LEN(params),
    .run = run,
    .outputs = outputs,
    .n_outputs = POL_ARRAY_LEN(outputs),
};
