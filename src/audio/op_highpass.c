/* polish — audio.highpass: removes rumble below a cutoff with a linear-phase filter whose delay
 * is compensated (zero phase in effect): the signal minus a lowpass made of four cascaded moving
 * averages (symmetric, so every frequency is delayed the same), done twice for 24 dB/octave.
 * Automatic: measures the energy below 60 Hz and declines when there is no rumble. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "audio/audio.h"

static const pol_param_desc params[] = {
    {"freq", POL_PARAM_NUM, "80", 20, 300, NULL, "Cutoff (-3 dB).", .unit = "Hz"},
    {"when", POL_PARAM_ENUM, "auto", 0, -1, "auto|always",
     "auto: only when rumble is measured (energy below 60 Hz above --rumble); always: filter.",
     .choice_help = (const char *const[]){"auto: measure first, decline without rumble",
                                          "always: filter regardless", NULL}},
    {"rumble", POL_PARAM_NUM, "-12", -60, 20, NULL,
     "Power density from 15 to 60 Hz, relative to that from 150 to 600 Hz, above which (when the "
     "low band is noise-like, not the lines of bass notes) rumble is found.", .unit = "dB"},
};

#define BOXES 4
#define STAGES 2
/* the delay at 20 Hz and 192 kHz; faster rates get a shorter filter (a higher low cutoff) */
#define MAX_M ((size_t)(0.477 * 192000 / 20) | 1)
#define HALO (STAGES * BOXES * (MAX_M - 1) / 2)
#define PAIRS(nc) (((nc) + 1) & ~(size_t)1) /* channels in the state: a whole number of pairs */

typedef struct hstate {
    double freq, rumble_thr;
    int always, off, channels, rate;
    size_t M, D1; /* box length, delay of one stage */
    /* box i (stage i / BOXES): its running sums, one a channel, and its ring of M frames of every
     * channel (frame by frame, so a pair of channels is one vector; an odd count gets a channel
     * of zeros) */
    double *sum; /* STAGES x BOXES x channels */
    float *ring; /* STAGES x BOXES x M x channels */
    float *dl;   /* STAGES delay lines of D1 + 1 frames of every channel */
    uint64_t t;
    size_t slot, dslot; /* t mod M, t mod (D1 + 1): kept as wrapping counters, no division a frame */
    pol__aanalysis *an;
    pol__aproc proc;
} hstate;

static void hfree(void *p)
{
    hstate *s = p;
    if (!s) return;
    free(s->sum);
    free(s->ring);
    free(s->dl);
    pol__aan_free(s->an);
    pol__aproc_fini(&s->proc);
    free(s);
}

static pol_status begin(pol_run *run, const pol_args *args, void **out)
{
    hstate *s = calloc(1, sizeof *s);
    if (!s) return pol__fail(run, POL_ERR_NOMEM, "out of memory");
    s->freq = pol__arg_num(args, "freq");
    s->always = pol__arg_choice(args, "when") == 1;
    s->rumble_thr = pol__arg_num(args, "rumble");
    *out = s;
    return POL_OK;
}

static pol_status measure(pol_run *run, void *p, const pol__chunk *c)
{
    hstate *s = p;
    const pol__ablock *b = pol__ablock_of(c);
    if (s->always) return POL_OK;
    if (!s->an && !(s->an = pol__aan_new(b->channels, b->rate, POL_AAN_SPECTRUM)))
        return pol__fail(run, POL_ERR_NOMEM, "out of memory");
    pol__aan_add(s->an, pol__chunk_core(c), c->n);
    return POL_OK;
}

static pol_status decide(pol_run *run, void *p)
{
    hstate *s = p;
    if (s->always || !s->an) return POL_OK;
    pol__afindings f;
    pol__aan_finish(s->an, &f);
    pol__measure(run, "rumble_db", round(f.rumble_db * 10) / 10);
    pol__measure(run, "rumble_flatness", round(f.rumble_flatness * 1000) / 1000);
    if (f.rumble_db < s->rumble_thr) {
        s->off = 1;
        pol__decline(run, "no rumble: 15-60 Hz is %.1f dB against 150-600 Hz (threshold %.0f dB)",
                     f.rumble_db, s->rumble_thr);
        return POL_OK;
    }
    if (f.rumble_flatness < 0.2) {
        s->off = 1;
        pol__decline(run, "the low band holds lines (flatness %.2f: bass notes, tones), not rumble",
                     f.rumble_flatness);
        return POL_OK;
    }
    pol__decide(run, "rumble: 15-60 Hz at %.1f dB against 150-600 Hz: high-pass at %.0f Hz",
                f.rumble_db, s->freq);
    pol__confidence(run, f.rumble_db > s->rumble_thr + 6 ? 0.9 : 0.7);
    return POL_OK;
}

/* The moving average's length at this rate (a faster rate gets a shorter filter). */
static size_t box_len(double freq, int rate)
{
    double fc = fmin(freq, 0.2 * rate);
    size_t M = (size_t)(0.477 * rate / fc) | 1;
    return M > MAX_M ? MAX_M : M;
}

/* Each stage is the input delayed by D1 minus four moving averages of M (each one's response
 * e^{-iw(M-1)/2} A(w), A = sin(wM/2) / (M sin(w/2)), so together e^{-iwD1} A^4): e^{-iwD1}(1 - A^4),
 * and the two stages' power (1 - A^4)^4. */
double pol__highpass_power(const void *response, double hz)
{
    const pol__hp_response *r = response;
    const hstate *s = r->state;
    if (s->off) return 1;
    double M = (double)box_len(s->freq, r->rate), w = 2 * M_PI * hz / r->rate;
    double sh = sin(w / 2), a = fabs(sh) < 1e-12 ? 1 : sin(w * M / 2) / (M * sh);
    double a4 = a * a * a * a, st = 1 - a4;
    return st * st * st * st;
}

static void hreset(void *p)
{
    hstate *s = p;
    size_t nc = PAIRS((size_t)s->channels);
    memset(s->sum, 0, STAGES * BOXES * nc * sizeof *s->sum);
    memset(s->ring, 0, STAGES * BOXES * s->M * nc * sizeof *s->ring);
    memset(s->dl, 0, STAGES * (s->D1 + 1) * nc * sizeof *s->dl);
    s->t = 0;
    s->slot = s->dslot = 0;
}

/* Channels c and c + 1 in vectors of two doubles: the same operations, in the same order, as
 * one channel at a time (x86-64's baseline has no fused multiply-add to change them), so the
 * output is the same to the bit. */
typedef double v2d __attribute__((vector_size(16)));
typedef float v2f __attribute__((vector_size(8)));

static void hprocess(void *p, const float *in, float *out, size_t n)
{
    hstate *s = p;
    size_t nc = (size_t)s->channels, np = PAIRS(nc), M = s->M, DL = s->D1 + 1;
    double inv = 1.0 / (double)M;
    const v2d inv2 = {inv, inv};
    size_t slot = s->slot, dslot = s->dslot;
    /* a pair of channels at a time over the n frames, its running sums held in registers */
    for (size_t c = 0; c < nc; c += 2) { /* an odd count's last channel pairs with zeros */
        int two = c + 1 < nc;
        v2d sum[STAGES * BOXES];
        for (size_t bi = 0; bi < STAGES * BOXES; bi++) memcpy(&sum[bi], s->sum + bi * np + c, sizeof sum[bi]);
        slot = s->slot;
        dslot = s->dslot;
        for (size_t i = 0; i < n; i++) {
            size_t dnext = dslot + 1 == DL ? 0 : dslot + 1;
            const float *x = in + i * nc;
            v2d v = {x[c], two ? x[c + 1] : 0};
            for (size_t st = 0; st < STAGES; st++) {
                v2d lp = v;
                for (size_t k = 0; k < BOXES; k++) {
                    size_t bi = st * BOXES + k;
                    float *rg = s->ring + (bi * M + slot) * np + c;
                    v2d old;
                    v2f r2, l2 = __builtin_convertvector(lp, v2f);
                    memcpy(&r2, rg, sizeof r2);
                    old = __builtin_convertvector(r2, v2d);
                    sum[bi] += lp - old;
                    memcpy(rg, &l2, sizeof l2);
                    lp = sum[bi] * inv2;
                }
                float *d = s->dl + st * DL * np;
                v2f dd, vf = __builtin_convertvector(v, v2f);
                memcpy(&dd, d + dnext * np + c, sizeof dd); /* D1 frames ago */
                memcpy(d + dslot * np + c, &vf, sizeof vf);
                v = __builtin_convertvector(dd, v2d) - lp;
            }
            out[i * nc + c] = (float)v[0];
            if (two) out[i * nc + c + 1] = (float)v[1];
            slot = slot + 1 == M ? 0 : slot + 1;
            dslot = dnext;
        }
        for (size_t bi = 0; bi < STAGES * BOXES; bi++) memcpy(s->sum + bi * np + c, &sum[bi], sizeof sum[bi]);
    }
    s->t += n;
    s->slot = slot;
    s->dslot = dslot;
}

static pol_status apply(pol_run *run, void *p, pol__chunk *c)
{
    hstate *s = p;
    if (s->off) return POL_OK;
    pol__ablock *b = pol__ablock_of(c);
    if (!s->sum) {
        s->channels = b->channels;
        s->rate = b->rate;
        s->M = box_len(s->freq, b->rate);
        s->D1 = BOXES * (s->M - 1) / 2;
        size_t nc = PAIRS((size_t)s->channels);
        s->sum = calloc(STAGES * BOXES * nc, sizeof *s->sum);
        s->ring = calloc(STAGES * BOXES * s->M * nc, sizeof *s->ring);
        s->dl = calloc(STAGES * (s->D1 + 1) * nc, sizeof *s->dl);
        if (!s->sum || !s->ring || !s->dl) return pol__fail(run, POL_ERR_NOMEM, "out of memory");
        s->proc = (pol__aproc){.latency = STAGES * s->D1, .channels = s->channels, .st = s,
                               .process = hprocess, .reset = hreset};
        if (s->always) pol__decide(run, "high-pass at %.0f Hz", s->freq);
    }
    return pol__aproc_block(run, &s->proc, b, c);
}

static const pol_op_stream stream = {
    .halo = HALO,
    .measure_first = 1,
    .begin = begin,
    .measure = measure,
    .decide = decide,
    .apply = apply,
    .free = hfree,
};

static pol_status run_whole(pol_run *run, pol_asset *a, const pol_args *args)
{
    return pol__audio_run_stream(run, a, args, &stream);
}

const pol_op_desc pol__audio_op_highpass = {
    .domain = "audio",
    .name = "highpass",
    .summary = "Remove rumble below a cutoff (linear phase, delay compensated)",
    .params = params,
    .n_params = POL_ARRAY_LEN(params),
    .run = run_whole,
    .flags = POL_OP_AUTO,
    .stream = &stream,
};
