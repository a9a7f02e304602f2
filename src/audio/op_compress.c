/* polish — audio.compress: a feed-forward compressor with a soft knee: the level (RMS over 10 ms,
 * the loudest channel) above the threshold is reduced by the ratio, with attack and release
 * smoothing in dB and an optional make-up gain. A point-wise gain, no delay. */
#include <math.h>
#include <stdlib.h>
#include "audio/audio.h"

static const pol_param_desc params[] = {
    {"threshold", POL_PARAM_NUM, "-24", -60, 0, NULL, "Level where compression starts.", .unit = "dBFS"},
    {"ratio", POL_PARAM_NUM, "3", 1, 20, NULL, "Input dB above the threshold per output dB."},
    {"attack", POL_PARAM_NUM, "10", 0.1, 200, NULL, "Time to react to a louder level.", .unit = "ms"},
    {"release", POL_PARAM_NUM, "150", 5, 3000, NULL, "Time to recover after it.", .unit = "ms"},
    {"knee", POL_PARAM_NUM, "6", 0, 24, NULL, "Width of the soft knee.", .unit = "dB"},
    {"makeup", POL_PARAM_NUM, "0", 0, 24, NULL, "Gain added after compression.", .unit = "dB"},
};

typedef struct cstate {
    double thr, ratio, knee, makeup, a_att, a_rel, a_rms;
    int channels;
    double rms, gr; /* mean square, gain reduction in dB (<= 0) */
    double max_gr;
    pol__aproc proc;
} cstate;

static pol_status begin(pol_run *run, const pol_args *args, void **out)
{
    cstate *s = calloc(1, sizeof *s);
    if (!s) return pol__fail(run, POL_ERR_NOMEM, "out of memory");
    s->thr = pol__arg_num(args, "threshold");
    s->ratio = pol__arg_num(args, "ratio");
    s->knee = pol__arg_num(args, "knee");
    s->makeup = pol__arg_num(args, "makeup");
    s->a_att = pol__arg_num(args, "attack");  /* ms, turned into coefficients at the rate */
    s->a_rel = pol__arg_num(args, "release");
    *out = s;
    return POL_OK;
}

static double curve(const cstate *s, double in_db) /* gain reduction, dB <= 0 */
{
    double over = in_db - s->thr, k = s->knee / 2, slope = 1 / s->ratio - 1;
    if (over <= -k) return 0;
    if (over >= k || k == 0) return slope * over;
    return slope * (over + k) * (over + k) / (4 * k);
}

static void cprocess(void *p, const float *in, float *out, size_t n)
{
    cstate *s = p;
    size_t nc = (size_t)s->channels;
    double mk = pow(10, s->makeup / 20);
    for (size_t i = 0; i < n; i++) {
        double peak = 0;
        for (size_t c = 0; c < nc; c++) {
            double v = in[i * nc + c];
            if (v * v > peak) peak = v * v;
        }
        s->rms = s->a_rms * s->rms + (1 - s->a_rms) * peak;
        double target = curve(s, 10 * log10(s->rms + 1e-20));
        double a = target < s->gr ? s->a_att : s->a_rel;
        s->gr = a * s->gr + (1 - a) * target;
        if (s->gr < s->max_gr) s->max_gr = s->gr;
        double g = pow(10, s->gr / 20) * mk;
        for (size_t c = 0; c < nc; c++) out[i * nc + c] = (float)(in[i * nc + c] * g);
    }
}

static void creset(void *p)
{
    cstate *s = p;
    s->rms = 0;
    s->gr = 0;
    s->max_gr = 0;
}

static pol_status apply(pol_run *run, void *p, pol__chunk *c)
{
    cstate *s = p;
    pol__ablock *b = pol__ablock_of(c);
    if (!s->proc.process) {
        s->channels = b->channels;
        s->a_att = exp(-1.0 / (s->a_att * 1e-3 * b->rate));
        s->a_rel = exp(-1.0 / (s->a_rel * 1e-3 * b->rate));
        s->a_rms = exp(-1.0 / (0.010 * b->rate));
        s->proc = (pol__aproc){.latency = 0, .channels = b->channels, .st = s,
                               .process = cprocess, .reset = creset};
    }
    return pol__aproc_block(run, &s->proc, b, c);
}

static pol_status end(pol_run *run, void *p)
{
    cstate *s = p;
    pol__measure(run, "max_reduction_db", round(-s->max_gr * 10) / 10);
    pol__decide(run, "compressed %.0f:1 above %.0f dBFS (at most %.1f dB)", s->ratio, s->thr, -s->max_gr);
    return POL_OK;
}

static void cfree(void *p)
{
    cstate *s = p;
    if (s) pol__aproc_fini(&s->proc);
    free(s);
}

static const pol_op_stream stream = {.begin = begin, .apply = apply, .end = end, .free = cfree};

static pol_status run_whole(pol_run *run, pol_asset *a, const pol_args *args)
{
    return pol__audio_run_stream(run, a, args, &stream);
}

const pol_op_desc pol__audio_op_compress = {
    .domain = "audio",
    .name = "compress",
    .summary = "Compress dynamics above a threshold (soft knee, attack, release)",
    .params = params,
    .n_params = POL_ARRAY_LEN(params),
    .run = run_whole,
    .stream = &stream,
};
