/* polish — audio.declip: restores peaks a recorder or converter flattened. The clip level is the
 * sample peak when runs of three or more samples sit at it (or --level); each flattened run of a
 * channel is redrawn by the cubic through the two samples on each side of it (the curve the
 * waveform was following into and out of the run), never below the clip level and with the
 * run's sign, and the whole item is scaled down by the restored headroom only when --headroom
 * asks (by default the peaks may exceed full scale in float and the export clips them back
 * unless the format is float). Works on the whole item. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "audio/audio.h"

static const pol_param_desc params[] = {
    {"level", POL_PARAM_NUM, NULL, 0.01, 1, NULL,
     "The clip level (linear, of full scale); default: the sample peak, when flat runs sit at it."},
    {"min-run", POL_PARAM_INT, "3", 2, 1000, NULL,
     "Samples at the clip level in a row that count as clipped."},
    {"max-run", POL_PARAM_NUM, "4", 0.1, 50, NULL,
     "Longer flat runs than this are left alone (not a clipped peak: a held level).", .unit = "ms"},
    {"headroom", POL_PARAM_BOOL, "true", 0, -1, NULL,
     "Scale the item so the restored peaks fit under full scale."},
};

typedef struct scan {
    uint64_t runs, samples, skipped;
    float new_peak;
} scan;

/* Finds the clipped runs; with `repair`, redraws them. */
static void find_runs(pol__audio *a, double level, size_t min_run, size_t max_run, int repair,
                      scan *r)
{
    size_t nc = (size_t)a->channels, n = (size_t)a->frames;
    float at = (float)(level * 0.9995);
    for (size_t c = 0; c < nc; c++) {
        size_t i = 0;
        while (i < n) {
            if (fabsf(a->x[i * nc + c]) < at) {
                i++;
                continue;
            }
            size_t s = i;
            int sign = a->x[i * nc + c] > 0;
            while (i < n && fabsf(a->x[i * nc + c]) >= at && (a->x[i * nc + c] > 0) == sign) i++;
            size_t len = i - s;
            if (len < min_run) continue;
            if (len > max_run || s < 2 || i + 2 > n) {
                r->skipped++;
                continue;
            }
            r->runs++;
            r->samples += len;
            if (!repair) continue;
            /* the cubic through (s-2, s-1) and (i, i+1), evaluated across the run */
            double t[4] = {-2, -1, (double)len, (double)len + 1};
            double y[4] = {a->x[(s - 2) * nc + c], a->x[(s - 1) * nc + c], a->x[i * nc + c],
                           a->x[(i + 1) * nc + c]};
            for (size_t k = 0; k < len; k++) {
                double u = (double)k, v = 0;
                for (int p = 0; p < 4; p++) {
                    double w = y[p];
                    for (int q = 0; q < 4; q++)
                        if (q != p) w *= (u - t[q]) / (t[p] - t[q]);
                    v += w;
                }
                double mag = fmax(fabs(v), level);
                if (mag > 4 * level) mag = 4 * level; /* a runaway cubic: bounded */
                float o = (float)(sign ? mag : -mag);
                a->x[(s + k) * nc + c] = o;
                r->new_peak = fmaxf(r->new_peak, fabsf(o));
            }
        }
    }
}

static pol_status run_op(pol_run *run, pol_asset *asset, const pol_args *args)
{
    pol__audio *a = pol__audio_of(asset);
    size_t nc = (size_t)a->channels, n = (size_t)a->frames;
    float peak = 0;
    for (size_t i = 0; i < n * nc; i++) peak = fmaxf(peak, fabsf(a->x[i]));
    double level = pol__arg_has(args, "level") ? pol__arg_num(args, "level") : peak;
    size_t min_run = (size_t)pol__arg_int(args, "min-run");
    size_t max_run = (size_t)(pol__arg_num(args, "max-run") * 1e-3 * a->rate) + 1;
    pol__measure(run, "clip_level", round(level * 1e4) / 1e4);
    if (level <= 0) {
        pol__decline(run, "silent: nothing to restore");
        return POL_OK;
    }
    scan r = {0, 0, 0, peak};
    find_runs(a, level, min_run, max_run, 0, &r);
    uint64_t runs = r.runs, samples = r.samples, skipped = r.skipped;
    pol__measure_int(run, "clipped_runs", (long long)runs);
    pol__measure_int(run, "clipped_samples", (long long)samples);
    if (skipped) pol__measure_int(run, "flat_runs_left", (long long)skipped);
    /* a few runs are chance (a peak landing on the maximum twice); clipping leaves many */
    if (runs < 3 || (double)samples < 1e-5 * (double)(n * nc)) {
        pol__decline(run, "no clipping: %llu flat runs at the peak (%.4f)", (unsigned long long)runs,
                     level);
        return POL_OK;
    }
    r = (scan){0, 0, 0, peak};
    find_runs(a, level, min_run, max_run, 1, &r);
    float new_peak = r.new_peak;
    double scale = 1;
    if (pol__arg_bool(args, "headroom") && new_peak > 1) {
        scale = 0.999 / new_peak;
        for (size_t i = 0; i < n * nc; i++) a->x[i] = (float)(a->x[i] * scale);
    }
    pol__measure(run, "restored_peak_db", round(20 * log10(new_peak / level) * 100) / 100);
    pol__decide(run, "restored %llu clipped runs (%llu samples) above the clip level %.4f%s",
                (unsigned long long)runs, (unsigned long long)samples, level,
                scale < 1 ? "; scaled down to fit under full scale" : "");
    pol__confidence(run, runs > 20 ? 0.8 : 0.6);
    return POL_OK;
}

const pol_op_desc pol__audio_op_declip = {
    .domain = "audio",
    .name = "declip",
    .summary = "Restore clipped peaks (cubic through the samples around each flat run)",
    .params = params,
    .n_params = POL_ARRAY_LEN(params),
    .run = run_op,
};
