/* polish — audio.level: a speech leveler that evens out speakers (one quiet, one loud). The
 * measuring pass finds the speech (100 ms blocks within 20 LU of the loudest part) and how much
 * its short-term loudness spreads; the applying pass looks 1.5 s ahead and behind, brings the
 * speech loudness of that window to the whole item's, with the gain limited, glided between
 * blocks and held through pauses (so room noise is not pumped up). Delay-compensated. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "audio/audio.h"

static const pol_param_desc params[] = {
    {"max-gain", POL_PARAM_NUM, "10", 0, 24, NULL, "Largest boost or cut.", .unit = "dB"},
    {"when", POL_PARAM_ENUM, "auto", 0, -1, "auto|always",
     "auto: only when the speech loudness spreads more than --spread; always.",
     .choice_help = (const char *const[]){"auto: measure first, decline when speakers are even",
                                          "always: level regardless", NULL}},
    {"spread", POL_PARAM_NUM, "8", 1, 40, NULL,
     "auto: the spread (P90 - P10 of 3 s speech loudness) above which levels differ.", .unit = "LU"},
};

#define SUB_S 0.1
#define WIN 15 /* sub-blocks each side: 1.5 s */
#define NS (2 * WIN + 1)
#define HIST 600 /* 0.1 LU bins from -70 */

typedef struct lvstate {
    double max_gain, spread_thr;
    int always, off, channels, rate;
    pol__loudmeter *km; /* K-weighting */
    size_t sub_len, fill;
    double sub_e;
    /* measuring */
    double *subs; /* all sub-block energies? no: a short ring, and histograms */
    double ring[30];
    size_t nsub;
    uint64_t st_hist[HIST];
    double top_e; /* loudest 3 s */
    double sum_e_active;
    uint64_t n_active;
    double whole_lufs, gate_lufs;
    /* applying */
    double win_e[NS];
    int win_on[NS];
    size_t wfill;
    float *delay; /* (WIN + 1) * sub_len frames */
    size_t dlen;
    uint64_t t;
    double g_prev, g_next; /* dB at the current sub-block's start and end */
    double lin_prev, lin_next;
    double g_min, g_max;
    pol__aproc proc;
} lvstate;

static void lvfree(void *p)
{
    lvstate *s = p;
    if (!s) return;
    pol__loud_free(s->km);
    free(s->delay);
    pol__aproc_fini(&s->proc);
    pol__afig_free(s->proc.fig);
    free(s);
}

static pol_status begin(pol_run *run, const pol_args *args, void **out)
{
    lvstate *s = calloc(1, sizeof *s);
    if (!s) return pol__fail(run, POL_ERR_NOMEM, "out of memory");
    s->max_gain = pol__arg_num(args, "max-gain");
    s->always = pol__arg_choice(args, "when") == 1;
    s->spread_thr = pol__arg_num(args, "spread");
    *out = s;
    return POL_OK;
}

static pol_status setup(pol_run *run, lvstate *s, const pol__ablock *b)
{
    s->channels = b->channels;
    s->rate = b->rate;
    s->sub_len = (size_t)(SUB_S * b->rate);
    if (s->sub_len < 1) s->sub_len = 1;
    if (!(s->km = pol__loud_new(b->channels, b->rate))) return pol__fail(run, POL_ERR_NOMEM, "oom");
    return POL_OK;
}

static double lufs(double e) { return -0.691 + pol__db(e); }

/* Adds energies eb[i, m) up to the end of the current sub-block (in a register, in order: the
 * same sums as one at a time); at its end, the sub-block's figures. Returns where it stopped. */
static size_t sub_run(lvstate *s, const double *eb, size_t i, size_t m)
{
    size_t k = s->sub_len - s->fill < m - i ? s->sub_len - s->fill : m - i;
    double se = s->sub_e;
    for (size_t j = i; j < i + k; j++) se += eb[j];
    s->sub_e = se;
    s->fill += k;
    i += k;
    if (s->fill == s->sub_len) {
        double e = s->sub_e / (double)s->sub_len;
        s->sub_e = 0;
        s->fill = 0;
        memmove(s->ring, s->ring + 1, 29 * sizeof *s->ring);
        s->ring[29] = e;
        s->nsub++;
        if (lufs(e) > -70) {
            s->sum_e_active += e;
            s->n_active++;
        }
        if (s->nsub >= 30) {
            double z = 0;
            for (int r = 0; r < 30; r++) z += s->ring[r];
            z /= 30;
            if (z > s->top_e) s->top_e = z;
            int bin = (int)((lufs(z) + 70) * 10);
            if (bin >= 0) s->st_hist[bin < HIST ? bin : HIST - 1]++;
        }
    }
    return i;
}

static pol_status measure(pol_run *run, void *p, const pol__chunk *c)
{
    lvstate *s = p;
    if (!s->km) {
        pol_status st = setup(run, s, pol__ablock_of(c));
        if (st) return st;
    }
    const double *ek;
    pol_status st = pol__chunk_kw(run, c, &ek); /* the pass's, shared with loudness's */
    if (st) return st;
    if (ek) {
        for (size_t i = 0; i < c->n;) i = sub_run(s, ek, i, c->n);
        return POL_OK;
    }
    const float *x = pol__chunk_core(c);
    double eb[512];
    for (size_t i0 = 0; i0 < c->n; i0 += 512) {
        size_t m = c->n - i0 < 512 ? c->n - i0 : 512;
        /* the K-weighted energies of the next 512 frames at once */
        pol__loud_kw_block(s->km, x + i0 * (size_t)s->channels, m, eb);
        for (size_t i = 0; i < m;)
            i = sub_run(s, eb, i, m);
    }
    return POL_OK;
}

static pol_status decide(pol_run *run, void *p)
{
    lvstate *s = p;
    if (!s->km) return POL_OK;
    s->whole_lufs = s->n_active ? lufs(s->sum_e_active / (double)s->n_active) : -HUGE_VAL;
    s->gate_lufs = lufs(s->top_e) - 20; /* speech: within 20 LU of the loudest 3 s */
    uint64_t tot = 0;
    int lo_b = (int)((s->gate_lufs + 70) * 10);
    if (lo_b < 0) lo_b = 0;
    for (int b = lo_b; b < HIST; b++) tot += s->st_hist[b];
    double p10 = 0, p90 = 0;
    uint64_t acc = 0;
    int got = 0;
    for (int b = lo_b; b < HIST && tot; b++) {
        acc += s->st_hist[b];
        if (!got && (double)acc >= 0.1 * (double)tot) {
            p10 = -70 + b / 10.0;
            got = 1;
        }
        if ((double)acc >= 0.9 * (double)tot) {
            p90 = -70 + b / 10.0;
            break;
        }
    }
    double spread = p90 - p10;
    pol__measure(run, "speech_spread_lu", round(spread * 10) / 10);
    if (!tot || !isfinite(s->whole_lufs)) {
        s->off = 1;
        pol__decline(run, "no speech long enough to level (under 3 s above the gate)");
        return POL_OK;
    }
    if (!s->always && spread < s->spread_thr) {
        s->off = 1;
        pol__decline(run, "speakers are even: speech loudness spreads %.1f LU (under %.0f)", spread,
                     s->spread_thr);
        return POL_OK;
    }
    /* the level to bring each window to: the speech's own, louder parts weighing as they do */
    s->whole_lufs = (p10 + p90) / 2;
    pol__decide(run, "speech loudness spreads %.1f LU: windows of 3 s brought to %.1f LUFS "
                     "(at most +-%.0f dB)", spread, s->whole_lufs, s->max_gain);
    pol__confidence(run, spread > s->spread_thr + 4 ? 0.85 : 0.6);
    return POL_OK;
}

static void lvreset(void *p)
{
    lvstate *s = p;
    pol__loud_reset(s->km);
    memset(s->delay, 0, s->dlen * (size_t)s->channels * sizeof *s->delay);
    memset(s->win_e, 0, sizeof s->win_e);
    memset(s->win_on, 0, sizeof s->win_on);
    s->wfill = 0;
    s->fill = 0;
    s->sub_e = 0;
    s->t = 0;
    s->g_prev = s->g_next = 0;
    s->lin_prev = s->lin_next = 1;
    s->g_min = s->g_max = 0;
}

/* The gain for the sub-block at the window's centre, from the speech in the window. */
static double window_gain(lvstate *s)
{
    double e = 0;
    int n = 0;
    for (int k = 0; k < NS; k++)
        if (s->win_on[k]) {
            e += s->win_e[k];
            n++;
        }
    if (n < 5) return s->g_next; /* a pause: hold */
    double g = s->whole_lufs - lufs(e / n);
    if (g > s->max_gain) g = s->max_gain;
    if (g < -s->max_gain) g = -s->max_gain;
    return g;
}

static void lvprocess(void *p, const float *in, float *out, size_t n)
{
    lvstate *s = p;
    size_t nc = (size_t)s->channels, L = s->sub_len;
    for (size_t i = 0; i < n; i++) {
        /* the delayed frame, gain glided across its sub-block */
        size_t slot = (size_t)(s->t % s->dlen);
        double frac = (double)(s->t % L) / (double)L;
        double g = s->lin_prev + (s->lin_next - s->lin_prev) * frac; /* glide, linear */
        for (size_t c = 0; c < nc; c++) {
            out[i * nc + c] = (float)(s->delay[slot * nc + c] * g);
            s->delay[slot * nc + c] = in[i * nc + c];
        }
        s->sub_e += pol__loud_kw(s->km, in + i * nc);
        s->t++;
        if (++s->fill == L) {
            double e = s->sub_e / (double)L;
            s->sub_e = 0;
            s->fill = 0;
            memmove(s->win_e, s->win_e + 1, (NS - 1) * sizeof *s->win_e);
            memmove(s->win_on, s->win_on + 1, (NS - 1) * sizeof *s->win_on);
            s->win_e[NS - 1] = e;
            s->win_on[NS - 1] = lufs(e) > s->gate_lufs;
            s->g_prev = s->g_next;
            s->g_next = window_gain(s);
            s->lin_prev = s->lin_next;
            s->lin_next = pow(10, s->g_next / 20);
            if (s->g_next < s->g_min) s->g_min = s->g_next;
            if (s->g_next > s->g_max) s->g_max = s->g_next;
        }
    }
}

static pol_status apply(pol_run *run, void *p, pol__chunk *c)
{
    lvstate *s = p;
    if (s->off) return POL_OK;
    pol__ablock *b = pol__ablock_of(c);
    if (!s->km) {
        pol_status st = setup(run, s, b);
        if (st) return st;
    }
    if (!s->delay) {
        s->dlen = (WIN + 1) * s->sub_len;
        if (!(s->delay = calloc(s->dlen * (size_t)s->channels, sizeof *s->delay)))
            return pol__fail(run, POL_ERR_NOMEM, "out of memory");
        s->proc = (pol__aproc){.latency = s->dlen, .channels = s->channels, .st = s,
                               .process = lvprocess, .reset = lvreset};
        if (!s->proc.fig && pol__want_figures(run)) /* pictures only for a report */
            s->proc.fig = pol__afig_new(b->total, b->channels, b->rate);
    }
    return pol__aproc_block(run, &s->proc, b, c);
}

static pol_status end(pol_run *run, void *p)
{
    lvstate *s = p;
    if (s->off || !s->delay) return POL_OK;
    if (s->proc.fig) pol__afig_attach(run, s->proc.fig, "level: before (left) and after (right): waveform, and spectrogram 50 Hz - 8 kHz (log frequency, 70 dB)");
    pol__measure(run, "gain_min_db", round(s->g_min * 10) / 10);
    pol__measure(run, "gain_max_db", round(s->g_max * 10) / 10);
    return POL_OK;
}

/* The applying pass's delay: WIN + 1 sub-blocks at the rate. */
static size_t halo_at(double rate) { return (WIN + 1) * (size_t)(SUB_S * rate) + 2; }

static const pol_op_stream stream = {
    .halo = (size_t)((WIN + 1) * SUB_S * 192000) + 2,
    .halo_at = halo_at,
    .measure_first = 1,
    .measure_ahead = 1, /* a cheap first measuring pass: made in the one before when it can */
    .begin = begin,
    .measure = measure,
    .decide = decide,
    .apply = apply,
    .end = end,
    .free = lvfree,
};

static pol_status run_whole(pol_run *run, pol_asset *a, const pol_args *args)
{
    return pol__audio_run_stream(run, a, args, &stream);
}

const pol_op_desc pol__audio_op_level = {
    .domain = "audio",
    .name = "level",
    .summary = "Even out speakers: bring each stretch of speech to one loudness",
    .params = params,
    .n_params = POL_ARRAY_LEN(params),
    .run = run_whole,
    .flags = POL_OP_AUTO,
    .stream = &stream,
};
