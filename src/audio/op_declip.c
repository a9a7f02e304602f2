/* polish — audio.declip: restores peaks a recorder or converter flattened. The clip level is the
 * sample peak when runs of three or more samples sit at it (or --level); each flattened run of a
 * channel is redrawn by the cubic through the two samples on each side of it (the curve the
 * waveform was following into and out of the run), never below the clip level and with the
 * run's sign, and the whole item is scaled down by the restored headroom only when --headroom
 * asks (by default the peaks may exceed full scale in float and the export clips them back
 * unless the format is float). Streamed: two measuring passes (the peak; the runs and the
 * restored peak), then the repair as a processor delayed by the longest run. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "audio/audio.h"

#define MAX_RUN_MS 50
#define HALO ((size_t)(MAX_RUN_MS * 1e-3 * 192000) + 32) /* frames of context: any run to 192 kHz */

static const pol_param_desc params[] = {
    {"level", POL_PARAM_NUM, NULL, 0.01, 1, NULL,
     "The clip level (linear, of full scale); default: the sample peak, when flat runs sit at it."},
    {"min-run", POL_PARAM_INT, "3", 2, 1000, NULL,
     "Samples at the clip level in a row that count as clipped."},
    {"max-run", POL_PARAM_NUM, "4", 0.1, MAX_RUN_MS, NULL,
     "Longer flat runs than this are left alone (not a clipped peak: a held level).", .unit = "ms"},
    {"headroom", POL_PARAM_BOOL, "true", 0, -1, NULL,
     "Scale the item so the restored peaks fit under full scale."},
};

/* The op streams: pass 1 measures the peak, pass 2 finds the runs and what repairing them would
 * give (the new peak, for the headroom), and the applying pass repairs them as a causal processor
 * whose delay covers the longest run and the two samples after it. */

typedef struct crun {
    uint64_t start; /* the run being followed (len 0: none) */
    size_t len;
    int sign;
    uint64_t pend_start; /* a run that has ended, waiting for the sample after its end */
    size_t pend_len;
    int pend_sign;
} crun;

typedef struct cstate {
    double level_arg;
    int has_level, headroom;
    size_t min_run, max_run;
    double max_run_ms;
    int pass, off, channels, rate;
    uint64_t total;
    float peak;
    double level;
    float at;
    /* the detector */
    crun *cr;
    float *ring; /* the last `cap` frames, interleaved */
    size_t cap;
    uint64_t t; /* frames pushed */
    uint64_t runs, samples, skipped;
    float new_peak;
    double scale;
    pol__aproc proc;
} cstate;

static void cfree(void *p)
{
    cstate *s = p;
    if (!s) return;
    free(s->cr);
    free(s->ring);
    pol__aproc_fini(&s->proc);
    free(s);
}

static pol_status begin(pol_run *run, const pol_args *args, void **out)
{
    cstate *s = calloc(1, sizeof *s);
    if (!s) return pol__fail(run, POL_ERR_NOMEM, "out of memory");
    s->has_level = pol__arg_has(args, "level");
    s->level_arg = s->has_level ? pol__arg_num(args, "level") : 0;
    s->min_run = (size_t)pol__arg_int(args, "min-run");
    s->max_run_ms = pol__arg_num(args, "max-run");
    s->headroom = pol__arg_bool(args, "headroom");
    s->scale = 1;
    *out = s;
    return POL_OK;
}

static float *at_frame(cstate *s, uint64_t g) { return s->ring + (size_t)(g % s->cap) * (size_t)s->channels; }

static void det_reset(cstate *s)
{
    memset(s->cr, 0, (size_t)s->channels * sizeof *s->cr);
    memset(s->ring, 0, s->cap * (size_t)s->channels * sizeof *s->ring);
    s->t = 0;
    s->runs = s->samples = s->skipped = 0;
    s->new_peak = s->peak;
}

/* A run [st, st + len) of channel c whose next two frames are in: counted, and redrawn by the
 * cubic through (st-2, st-1) and (st+len, st+len+1). */
static void repair(cstate *s, size_t c, uint64_t st, size_t len, int sign)
{
    uint64_t i = st + len;
    if (len < s->min_run) return;
    if (len > s->max_run || st < 2 || i + 2 > s->total) {
        s->skipped++;
        return;
    }
    s->runs++;
    s->samples += len;
    double t[4] = {-2, -1, (double)len, (double)len + 1};
    double y[4] = {at_frame(s, st - 2)[c], at_frame(s, st - 1)[c], at_frame(s, i)[c],
                   at_frame(s, i + 1)[c]};
    for (size_t k = 0; k < len; k++) {
        double u = (double)k, v = 0;
        for (int p = 0; p < 4; p++) {
            double w = y[p];
            for (int q = 0; q < 4; q++)
                if (q != p) w *= (u - t[q]) / (t[p] - t[q]);
            v += w;
        }
        double mag = fmax(fabs(v), s->level);
        if (mag > 4 * s->level) mag = 4 * s->level; /* a runaway cubic: bounded */
        float o = (float)(sign ? mag : -mag);
        at_frame(s, st + k)[c] = o;
        s->new_peak = fmaxf(s->new_peak, fabsf(o));
    }
}

/* Pushes one frame (frames at or past the stream's end are padding: they end runs but are never
 * repaired around). */
static void det_push(cstate *s, const float *f)
{
    size_t nc = (size_t)s->channels;
    uint64_t g = s->t++;
    memcpy(at_frame(s, g), f, nc * sizeof *f);
    for (size_t c = 0; c < nc; c++) {
        crun *r = &s->cr[c];
        /* a run that ended at frame i = g - 1 is repaired once frame i + 1 = g is in */
        if (r->pend_len && r->pend_start + r->pend_len + 1 == g) {
            repair(s, c, r->pend_start, r->pend_len, r->pend_sign);
            r->pend_len = 0;
        }
        float v = g < s->total ? f[c] : 0;
        int on = fabsf(v) >= s->at;
        if (r->len && on && (v > 0) == r->sign) {
            r->len++;
            continue;
        }
        if (r->len) { /* the run ends before g */
            if (r->len >= s->min_run) {
                r->pend_start = r->start;
                r->pend_len = r->len;
                r->pend_sign = r->sign;
            }
            r->len = 0;
        }
        if (on) {
            r->start = g;
            r->len = 1;
            r->sign = v > 0;
        }
    }
}

static pol_status det_setup(pol_run *run, cstate *s, const pol__ablock *b)
{
    s->channels = b->channels;
    s->rate = b->rate;
    s->total = b->total;
    s->max_run = (size_t)(s->max_run_ms * 1e-3 * b->rate) + 1;
    s->cap = s->max_run + 8;
    if (s->cap + 8 > HALO)
        return pol__fail(run, POL_ERR_UNSUPPORTED, "--max-run %.1f ms at %d Hz is longer than declip's %zu-frame context",
                         s->max_run_ms, b->rate, HALO);
    s->cr = calloc((size_t)b->channels, sizeof *s->cr);
    s->ring = calloc(s->cap * (size_t)b->channels, sizeof *s->ring);
    if (!s->cr || !s->ring) return pol__fail(run, POL_ERR_NOMEM, "out of memory");
    return POL_OK;
}

static pol_status measure(pol_run *run, void *p, const pol__chunk *c)
{
    cstate *s = p;
    const pol__ablock *b = pol__ablock_of(c);
    const float *x = pol__chunk_core(c);
    size_t nc = (size_t)b->channels;
    if (!s->cr) {
        pol_status st = det_setup(run, s, b);
        if (st) return st;
    }
    if (s->pass == 0) {
        for (size_t i = 0; i < c->n * nc; i++) s->peak = fmaxf(s->peak, fabsf(x[i]));
        return POL_OK;
    }
    if (s->off) return POL_OK;
    if (c->start == 0) det_reset(s);
    for (size_t i = 0; i < c->n; i++) det_push(s, x + i * nc);
    if (c->last) { /* two frames of padding end and settle the last runs */
        static const float zeros[64];
        float *z = nc <= 64 ? (float *)zeros : calloc(nc, sizeof *z);
        if (!z) return pol__fail(run, POL_ERR_NOMEM, "out of memory");
        det_push(s, z);
        det_push(s, z);
        if (z != zeros) free(z);
    }
    return POL_OK;
}

static pol_status decide(pol_run *run, void *p)
{
    cstate *s = p;
    if (!s->cr) return POL_OK;
    if (s->pass == 0) {
        s->pass = 1;
        s->level = s->has_level ? s->level_arg : s->peak;
        s->at = (float)(s->level * 0.9995);
        pol__measure(run, "clip_level", round(s->level * 1e4) / 1e4);
        if (s->level <= 0) {
            s->off = 1;
            pol__decline(run, "silent: nothing to restore");
        }
        return POL_OK;
    }
    if (s->off) return POL_OK;
    pol__measure_int(run, "clipped_runs", (long long)s->runs);
    pol__measure_int(run, "clipped_samples", (long long)s->samples);
    if (s->skipped) pol__measure_int(run, "flat_runs_left", (long long)s->skipped);
    /* a few runs are chance (a peak landing on the maximum twice); clipping leaves many */
    if (s->runs < 3 || (double)s->samples < 1e-5 * (double)s->total * s->channels) {
        s->off = 1;
        pol__decline(run, "no clipping: %llu flat runs at the peak (%.4f)", (unsigned long long)s->runs,
                     s->level);
        return POL_OK;
    }
    if (s->headroom && s->new_peak > 1) s->scale = 0.999 / s->new_peak;
    pol__measure(run, "restored_peak_db", round(20 * log10(s->new_peak / s->level) * 100) / 100);
    pol__decide(run, "restored %llu clipped runs (%llu samples) above the clip level %.4f%s",
                (unsigned long long)s->runs, (unsigned long long)s->samples, s->level,
                s->scale < 1 ? "; scaled down to fit under full scale" : "");
    pol__confidence(run, s->runs > 20 ? 0.8 : 0.6);
    return POL_OK;
}

/* The applying processor: frames go through the detector's ring and leave `latency` later,
 * repaired, scaled. */
static void cprocess(void *p, const float *in, float *out, size_t n)
{
    cstate *s = p;
    size_t nc = (size_t)s->channels, L = s->proc.latency;
    for (size_t i = 0; i < n; i++) {
        det_push(s, in + i * nc);
        float *o = out + i * nc;
        if (s->t <= L) {
            memset(o, 0, nc * sizeof *o);
            continue;
        }
        const float *f = at_frame(s, s->t - 1 - L);
        for (size_t c = 0; c < nc; c++) o[c] = (float)(f[c] * s->scale);
    }
}

static void creset(void *p)
{
    cstate *s = p;
    float np = s->new_peak;
    uint64_t runs = s->runs, samples = s->samples, skipped = s->skipped;
    det_reset(s);
    s->new_peak = np; /* the measured figures stay */
    s->runs = runs;
    s->samples = samples;
    s->skipped = skipped;
}

static pol_status apply(pol_run *run, void *p, pol__chunk *c)
{
    cstate *s = p;
    if (s->off || !s->cr) return POL_OK;
    if (!s->proc.process)
        s->proc = (pol__aproc){.latency = s->cap - 4, .channels = s->channels, .st = s,
                               .process = cprocess, .reset = creset};
    return pol__aproc_block(run, &s->proc, pol__ablock_of(c), c);
}

static const pol_op_stream stream = {
    .halo = HALO,
    .measure_first = 1,
    .measure_passes = 2,
    .begin = begin,
    .measure = measure,
    .decide = decide,
    .apply = apply,
    .free = cfree,
};

static pol_status run_whole(pol_run *run, pol_asset *a, const pol_args *args)
{
    return pol__audio_run_stream(run, a, args, &stream);
}

const pol_op_desc pol__audio_op_declip = {
    .domain = "audio",
    .name = "declip",
    .summary = "Restore clipped peaks (cubic through the samples around each flat run)",
    .params = params,
    .n_params = POL_ARRAY_LEN(params),
    .run = run_whole,
    .stream = &stream,
};
