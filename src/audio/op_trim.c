/* polish — audio.trim: cuts silence at the head and tail, keeping a margin before the first and
 * after the last sound, with 10 ms fades at the cuts. The threshold follows the measured noise
 * floor unless given. Works on the whole item (it changes the length). */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "audio/audio.h"

static const pol_param_desc params[] = {
    {"threshold", POL_PARAM_NUM, NULL, -100, 0, NULL,
     "Level (20 ms frames) below which the head and tail count as silence; default 10 dB above "
     "the measured noise floor, at most -40 dBFS.", .unit = "dBFS"},
    {"margin", POL_PARAM_NUM, "0.3", 0, 10, NULL, "Kept before the first and after the last sound.",
     .unit = "s"},
};

static pol_status run_op(pol_run *run, pol_asset *asset, const pol_args *args)
{
    pol__audio *a = pol__audio_of(asset);
    size_t nc = (size_t)a->channels, fl = (size_t)(a->rate / 50);
    if (fl < 1) fl = 1;
    double thr;
    if (pol__arg_has(args, "threshold")) {
        thr = pol__arg_num(args, "threshold");
    } else {
        pol__afindings f;
        pol_status st = pol__aan_whole(run, a, 0, &f);
        if (st) return st;
        thr = fmin(f.noise_floor_db + 10, -40);
        pol__measure(run, "noise_floor_dbfs", round(f.noise_floor_db * 10) / 10);
    }
    pol__measure(run, "threshold_dbfs", round(thr * 10) / 10);
    uint64_t nfr = a->frames / fl, first = nfr, last = 0;
    for (uint64_t k = 0; k < nfr; k++) {
        double e = 0;
        const float *x = a->x + (size_t)(k * fl) * nc;
        for (size_t i = 0; i < fl * nc; i++) e += (double)x[i] * x[i];
        if (pol__db(e / (double)(fl * nc)) > thr) {
            if (first == nfr) first = k;
            last = k;
        }
    }
    if (first == nfr) {
        pol__decline(run, "nothing rises above %.1f dBFS: not trimming everything away", thr);
        return POL_OK;
    }
    uint64_t margin = (uint64_t)(pol__arg_num(args, "margin") * a->rate);
    uint64_t s = first * fl > margin ? first * fl - margin : 0;
    uint64_t e = (last + 1) * fl + margin;
    if (e > a->frames) e = a->frames;
    double cut = (double)(s + a->frames - e) / a->rate;
    if (cut < 0.05) {
        pol__decline(run, "head and tail silences are shorter than the %.2f s margin",
                     pol__arg_num(args, "margin"));
        return POL_OK;
    }
    uint64_t orig = a->frames;
    memmove(a->x, a->x + (size_t)s * nc, (size_t)(e - s) * nc * sizeof *a->x);
    a->frames = e - s;
    size_t nf = (size_t)(0.01 * a->rate);
    if (nf * 2 > a->frames) nf = (size_t)a->frames / 2;
    for (size_t i = 0; i < nf; i++) {
        float g = (float)i / (float)nf;
        for (size_t c = 0; c < nc; c++) {
            if (s > 0) a->x[i * nc + c] *= g;
            if (e < orig) a->x[((size_t)a->frames - 1 - i) * nc + c] *= g;
        }
    }
    pol__measure(run, "head_cut_s", round((double)s / a->rate * 1000) / 1000);
    pol__measure(run, "tail_cut_s", round((double)(orig - e) / a->rate * 1000) / 1000);
    pol__decide(run, "trimmed %.2f s of silence (head %.2f s, tail %.2f s)", cut, (double)s / a->rate,
                (double)(orig - e) / a->rate);
    return POL_OK;
}

const pol_op_desc pol__audio_op_trim = {
    .domain = "audio",
    .name = "trim",
    .summary = "Cut silence at the head and tail",
    .params = params,
    .n_params = POL_ARRAY_LEN(params),
    .run = run_op,
};
