/* polish — audio.shorten-pauses: shortens long pauses between words. Voice activity from 20 ms
 * frame levels against the measured noise floor, with a hangover on each side of every active
 * frame (so word onsets and tails are never cut); a pause longer than --max keeps --keep of its
 * length, half from each end, joined by an equal-power crossfade; optionally the kept pause is
 * room tone (the quietest stretch of the recording) rather than what was there. The cut list is in
 * the report and, with --cuts, written as JSON. Works on the whole item (it changes the length). */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "audio/audio.h"
#include "core/ports.h"

static const pol_param_desc params[] = {
    {"max", POL_PARAM_NUM, "1", 0.2, 60, NULL, "Pauses longer than this are shortened.", .unit = "s"},
    {"keep", POL_PARAM_NUM, "0.5", 0.05, 30, NULL, "What is left of a shortened pause.", .unit = "s"},
    {"hangover", POL_PARAM_NUM, "0.15", 0, 2, NULL,
     "Time kept as speech before and after every active frame, so words are never clipped.",
     .unit = "s"},
    {"crossfade", POL_PARAM_NUM, "20", 1, 200, NULL, "Equal-power crossfade at each cut.", .unit = "ms"},
    {"threshold", POL_PARAM_NUM, NULL, -100, 0, NULL,
     "Level (20 ms frames) under which a frame is a pause; default from the measured noise floor "
     "and speech level.", .unit = "dBFS"},
    {"room-tone", POL_PARAM_BOOL, "false", 0, -1, NULL,
     "Fill each shortened pause with the recording's quietest stretch (its room tone)."},
};

static const pol_port_desc outputs[] = {
    {"cuts", POL_PORT_FILE, NULL, "json", 0,
     "The cut list as JSON: for each cut, where it is in the input and the output, and how much "
     "was removed."},
};

typedef struct cut {
    uint64_t a, b; /* frames [a, b) of the input are removed (centre of the pause) */
} cut;

static pol_status write_cuts(pol_run *run, const char *given, const cut *cuts, size_t n, int rate,
                             uint64_t in_frames, uint64_t out_frames)
{
    pol_err e;
    char *path = pol__port_out_path(run, given, &e);
    if (!path) return pol__fail(run, e.code, "--cuts: %s", e.msg);
    pol__outfile of;
    pol_status st = pol__out_open(run, path, &of);
    free(path);
    if (st) return st;
    fprintf(of.fp, "{\"rate\": %d, \"input_seconds\": %.6f, \"output_seconds\": %.6f, \"cuts\": [",
            rate, (double)in_frames / rate, (double)out_frames / rate);
    uint64_t removed = 0;
    for (size_t k = 0; k < n; k++) {
        fprintf(of.fp,
                "%s\n  {\"input_from_s\": %.6f, \"input_to_s\": %.6f, \"output_at_s\": %.6f, "
                "\"removed_s\": %.6f}",
                k ? "," : "", (double)cuts[k].a / rate, (double)cuts[k].b / rate,
                (double)(cuts[k].a - removed) / rate, (double)(cuts[k].b - cuts[k].a) / rate);
        removed += cuts[k].b - cuts[k].a;
    }
    fprintf(of.fp, "\n]}\n");
    return pol__out_commit(run, &of);
}

static pol_status run_op(pol_run *run, pol_asset *asset, const pol_args *args)
{
    pol__audio *a = pol__audio_of(asset);
    size_t nc = (size_t)a->channels, fl = (size_t)(a->rate / 50);
    if (fl < 1) fl = 1;
    uint64_t nfr = a->frames / fl;
    double thr;
    if (pol__arg_has(args, "threshold")) {
        thr = pol__arg_num(args, "threshold");
    } else {
        pol__afindings f;
        pol_status st = pol__aan_whole(run, a, 0, &f);
        if (st) return st;
        pol__measure(run, "noise_floor_dbfs", round(f.noise_floor_db * 10) / 10);
        pol__measure(run, "speech_level_dbfs", round(f.speech_level_db * 10) / 10);
        if (f.snr_db < 10) {
            pol__decline(run, "speech does not stand out of the background (%.1f dB): pauses "
                              "cannot be told from words", f.snr_db);
            return POL_OK;
        }
        thr = f.noise_floor_db + fmax(6, fmin(15, f.snr_db / 3));
    }
    pol__measure(run, "threshold_dbfs", round(thr * 10) / 10);
    /* active frames, widened by the hangover */
    unsigned char *act = calloc(nfr ? nfr : 1, 1);
    if (!act) return pol__fail(run, POL_ERR_NOMEM, "out of memory");
    long hang = (long)ceil(pol__arg_num(args, "hangover") * 50);
    uint64_t quiet_at = 0;
    double quiet_e = HUGE_VAL;
    for (uint64_t k = 0; k < nfr; k++) {
        double e = 0;
        const float *x = a->x + (size_t)(k * fl) * nc;
        for (size_t i = 0; i < fl * nc; i++) e += (double)x[i] * x[i];
        double l = pol__db(e / (double)(fl * nc));
        if (l > thr) {
            long lo = (long)k - hang, hi = (long)k + hang;
            for (long j = lo < 0 ? 0 : lo; j <= hi && j < (long)nfr; j++) act[j] = 1;
        }
        if (l < quiet_e && l > -200) { /* digital silence is not room tone */
            quiet_e = l;
            quiet_at = k;
        }
    }
    double maxp = pol__arg_num(args, "max"), keep = pol__arg_num(args, "keep");
    if (keep > maxp) keep = maxp;
    uint64_t keep_f = (uint64_t)(keep * a->rate);
    size_t xf = (size_t)(pol__arg_num(args, "crossfade") * 1e-3 * a->rate);
    if (xf < 1) xf = 1;
    if (xf * 2 > keep_f) xf = (size_t)(keep_f / 2);
    /* pauses: inactive runs between the first and the last active frame */
    cut *cuts = NULL;
    size_t n_cuts = 0, cap = 0;
    uint64_t first = nfr, last = 0;
    for (uint64_t k = 0; k < nfr; k++)
        if (act[k]) {
            if (first == nfr) first = k;
            last = k;
        }
    int pauses = 0;
    double longest = 0;
    for (uint64_t k = first; k <= last && k < nfr;) {
        if (act[k]) {
            k++;
            continue;
        }
        uint64_t s = k;
        while (k < nfr && !act[k]) k++;
        double len = (double)(k - s) * fl / a->rate;
        pauses++;
        if (len > longest) longest = len;
        if (len <= maxp) continue;
        uint64_t ps = s * fl, pe = k * fl, plen = pe - ps;
        /* keep keep_f frames: half at each end, the two halves overlapping by xf */
        uint64_t head = (keep_f + xf) / 2, tail = keep_f + xf - head;
        if (n_cuts == cap) {
            cap = cap ? 2 * cap : 64;
            cut *p = realloc(cuts, cap * sizeof *p);
            if (!p) {
                free(act);
                free(cuts);
                return pol__fail(run, POL_ERR_NOMEM, "out of memory");
            }
            cuts = p;
        }
        cuts[n_cuts++] = (cut){ps + head - xf, pe - tail + 0}; /* removed span (xf overlapped) */
        (void)plen;
    }
    free(act);
    pol__measure_int(run, "pauses", pauses);
    pol__measure(run, "pause_longest_s", round(longest * 100) / 100);
    if (!n_cuts) {
        free(cuts);
        pol__decline(run, "no pause longer than %.2f s (longest %.2f s)", maxp, longest);
        return POL_OK;
    }
    /* room tone: the quietest 20 ms frame's neighbourhood, as long as a kept pause */
    int fill = pol__arg_bool(args, "room-tone");
    uint64_t tone_s = quiet_at * fl > keep_f / 2 ? quiet_at * fl - keep_f / 2 : 0;
    if (tone_s + keep_f > a->frames) fill = 0;
    float *tone = NULL;
    if (fill) {
        if (!(tone = malloc((size_t)keep_f * nc * sizeof *tone))) {
            free(cuts);
            return pol__fail(run, POL_ERR_NOMEM, "out of memory");
        }
        memcpy(tone, a->x + (size_t)tone_s * nc, (size_t)keep_f * nc * sizeof *tone);
        pol__measure(run, "room_tone_at_s", round((double)tone_s / a->rate * 1000) / 1000);
    }
    /* build the output in place: copy kept spans forward, crossfading at each cut */
    uint64_t w = 0, r = 0, removed = 0;
    float *x = a->x;
    pol__jv *list = pol__jv_arr();
    for (size_t k = 0; k < n_cuts; k++) {
        uint64_t ca = cuts[k].a, cb = cuts[k].b; /* [ca, ca + xf) fades out, [cb, cb + xf) in */
        if (r < ca) {
            memmove(x + (size_t)w * nc, x + (size_t)r * nc, (size_t)(ca - r) * nc * sizeof *x);
            w += ca - r;
        }
        for (size_t i = 0; i < xf; i++) {
            double t = ((double)i + 0.5) / (double)xf;
            float go = (float)cos(t * M_PI / 2), gi = (float)sin(t * M_PI / 2);
            for (size_t c = 0; c < nc; c++)
                x[(size_t)(w + i) * nc + c] = x[(size_t)(ca + i) * nc + c] * go +
                                              x[(size_t)(cb + i) * nc + c] * gi;
        }
        w += xf;
        r = cb + xf;
        uint64_t before = removed;
        removed += cb - ca;
        pol__jv *o = pol__jv_obj();
        pol__jv_set(o, "input_from_s", pol__jv_num(round((double)ca / a->rate * 1000) / 1000));
        pol__jv_set(o, "input_to_s", pol__jv_num(round((double)cb / a->rate * 1000) / 1000));
        pol__jv_set(o, "output_at_s", pol__jv_num(round((double)(ca - before) / a->rate * 1000) / 1000));
        pol__jv_set(o, "removed_s", pol__jv_num(round((double)(cb - ca) / a->rate * 1000) / 1000));
        pol__jv_push(list, o);
    }
    if (r < a->frames) {
        memmove(x + (size_t)w * nc, x + (size_t)r * nc, (size_t)(a->frames - r) * nc * sizeof *x);
        w += a->frames - r;
    }
    if (fill) {
        /* replace each kept pause (the crossfade's surroundings, pause ends faded) with room tone */
        uint64_t shift = 0;
        for (size_t k = 0; k < n_cuts; k++) {
            uint64_t at = cuts[k].a - shift; /* the join in the output */
            uint64_t from = at + xf > (keep_f + xf) / 2 ? at + xf - (keep_f + xf) / 2 : 0;
            uint64_t to = from + keep_f;
            if (to > w) to = w;
            for (uint64_t i = from; i < to; i++) {
                double t = (double)(i - from);
                double gw = fmin(1, fmin(t, (double)(to - 1 - i)) / (double)xf); /* tone weight */
                for (size_t c = 0; c < nc; c++) {
                    float tv = tone[(size_t)(i - from) * nc + c];
                    x[(size_t)i * nc + c] = (float)(x[(size_t)i * nc + c] * (1 - gw) + tv * gw);
                }
            }
            shift += cuts[k].b - cuts[k].a;
        }
    }
    free(tone);
    uint64_t in_frames = a->frames;
    a->frames = w;
    pol__measure_int(run, "cuts", (long long)n_cuts);
    pol__measure(run, "removed_s", round((double)removed / a->rate * 1000) / 1000);
    pol__measure_jv(run, "cut_list", list);
    pol__decide(run, "shortened %zu pauses longer than %.2f s to %.2f s (%.2f s removed%s)", n_cuts,
                maxp, keep, (double)removed / a->rate, fill ? ", room tone filled" : "");
    pol__confidence(run, 0.8);
    pol_status st = POL_OK;
    const char *cp = pol__output_path(args, "cuts");
    if (cp) st = write_cuts(run, cp, cuts, n_cuts, a->rate, in_frames, w);
    free(cuts);
    return st;
}

const pol_op_desc pol__audio_op_shorten_pauses = {
    .domain = "audio",
    .name = "shorten-pauses",
    .summary = "Shorten long pauses (voice activity with hangover, crossfaded cuts, cut list)",
    .params = params,
    .n_params = POL_ARRAY_LEN(params),
    .outputs = outputs,
    .n_outputs = POL_ARRAY_LEN(outputs),
    .run = run_op,
};
