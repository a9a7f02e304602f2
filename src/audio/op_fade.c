/* polish — audio.fade: fade in at the start and out at the end (equal-power or linear). Keeps
 * the length. */
#include <math.h>
#include <stdlib.h>
#include "audio/audio.h"

static const pol_param_desc params[] = {
    {"in", POL_PARAM_NUM, "0", 0, 600, NULL, "Fade-in length.", .unit = "s"},
    {"out", POL_PARAM_NUM, "0", 0, 600, NULL, "Fade-out length.", .unit = "s"},
    {"shape", POL_PARAM_ENUM, "cosine", 0, -1, "cosine|linear", "Gain curve of the fades."},
};

typedef struct fstate {
    double in_s, out_s;
    int cosine;
    uint64_t total, t, nin, nout;
    int channels;
    pol__aproc proc;
} fstate;

static pol_status begin(pol_run *run, const pol_args *args, void **out)
{
    fstate *s = calloc(1, sizeof *s);
    if (!s) return pol__fail(run, POL_ERR_NOMEM, "out of memory");
    s->in_s = pol__arg_num(args, "in");
    s->out_s = pol__arg_num(args, "out");
    s->cosine = pol__arg_choice(args, "shape") != 1;
    *out = s;
    return POL_OK;
}

static double curve(const fstate *s, double x)
{
    return s->cosine ? sin(x * M_PI / 2) : x;
}

static void fprocess(void *p, const float *in, float *out, size_t n)
{
    fstate *s = p;
    size_t nc = (size_t)s->channels;
    for (size_t i = 0; i < n; i++, s->t++) {
        double g = 1;
        if (s->t < s->nin) g *= curve(s, (double)s->t / (double)s->nin);
        if (s->total - s->t <= s->nout) g *= curve(s, (double)(s->total - 1 - s->t) / (double)s->nout);
        for (size_t c = 0; c < nc; c++) out[i * nc + c] = (float)(in[i * nc + c] * g);
    }
}

static void freset(void *p) { ((fstate *)p)->t = 0; }

static pol_status apply(pol_run *run, void *p, pol__chunk *c)
{
    fstate *s = p;
    pol__ablock *b = pol__ablock_of(c);
    if (!s->proc.process) {
        s->channels = b->channels;
        s->total = b->total;
        s->nin = (uint64_t)(s->in_s * b->rate);
        s->nout = (uint64_t)(s->out_s * b->rate);
        if (s->nin > s->total) s->nin = s->total;
        if (s->nout > s->total) s->nout = s->total;
        if (!s->nin && !s->nout) {
            pol__decline(run, "no fade asked for (--in and --out are 0)");
            s->proc.process = fprocess; /* nothing more to do */
            s->proc.latency = (size_t)-1;
            return POL_OK;
        }
        pol__decide(run, "fade in %.2f s, out %.2f s (%s)", (double)s->nin / b->rate,
                    (double)s->nout / b->rate, s->cosine ? "equal power" : "linear");
        s->proc = (pol__aproc){.latency = 0, .channels = b->channels, .st = s,
                               .process = fprocess, .reset = freset};
    }
    if (s->proc.latency == (size_t)-1) return POL_OK;
    return pol__aproc_block(run, &s->proc, b, c);
}

static void ffree(void *p)
{
    fstate *s = p;
    if (s && s->proc.latency != (size_t)-1) pol__aproc_fini(&s->proc);
    free(s);
}

static const pol_op_stream stream = {.begin = begin, .apply = apply, .free = ffree};

static pol_status run_whole(pol_run *run, pol_asset *a, const pol_args *args)
{
    return pol__audio_run_stream(run, a, args, &stream);
}

const pol_op_desc pol__audio_op_fade = {
    .domain = "audio",
    .name = "fade",
    .summary = "Fade in at the start, out at the end",
    .params = params,
    .n_params = POL_ARRAY_LEN(params),
    .run = run_whole,
    .stream = &stream,
};
