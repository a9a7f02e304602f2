/* polish — audio.denoise: removes steady background noise with no profile given. Short-time
 * spectra (sqrt-Hann, 64 ms, 75% overlap, KISS FFT); the noise power per bin is learnt from the signal by
 * minimum statistics (the minimum of the smoothed power over ~1.5 s, bias-corrected), averaged
 * with the whole input's estimate from the measuring pass; the gain per bin is the log-spectral-amplitude (log-MMSE) estimator with
 * decision-directed a-priori SNR (its recursive smoothing keeps musical noise down) and a floor
 * set by the strength. The measuring pass also decides whether there is noise worth removing:
 * it declines on clean recordings and on input whose "noise" is tonal (music, test tones). */
#include <kiss_fftr.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "audio/audio.h"

static const pol_param_desc params[] = {
    {"strength", POL_PARAM_NUM, "0.7", 0, 1, NULL,
     "How far noise is pushed down: the gain floor goes from -6 dB (0) to -30 dB (1)."},
    {"when", POL_PARAM_ENUM, "auto", 0, -1, "auto|always",
     "auto: only when the measured SNR is below --max-snr and the noise is not tonal; always.",
     .choice_help = (const char *const[]){"auto: measure first, decline on clean or tonal input",
                                          "always: denoise regardless", NULL}},
    {"max-snr", POL_PARAM_NUM, "12", 0, 80, NULL,
     "auto: above this estimated SNR the input is left as it is.", .unit = "dB"},
};

#define SUBWIN 8    /* minimum statistics: sub-windows */
#define ALPHA_S 0.8 /* power smoothing */
#define BIAS 1.5    /* minimum of the smoothed power to the noise power (tuned on speech) */
#define DD 0.98     /* decision-directed weight: the smoothing against musical noise */
#define XIMIN 0.003 /* a-priori SNR floor, -25 dB */
#define BLEND 0.7   /* applying: the whole input's noise estimate against the tracked one */

typedef struct chan {
    float *in;    /* the last N samples (frame buffer) */
    float *ola;   /* overlap-add, N */
    float *outq;  /* the R final samples being output */
    double *ps;   /* smoothed power */
    double *pmin, *sub_min, *subs; /* current min, running sub-window min, SUBWIN past mins */
    double *past_min; /* the minimum of the past sub-windows, updated when one completes */
    double *lambda;
    double *prev_s2; /* |S|^2 of the previous frame */
    double *g;
} chan;

typedef struct nstate {
    double strength, max_snr;
    int always, off;
    int channels, rate;
    size_t N, R, nb;
    size_t V; /* frames per sub-window */
    float *win;
    float *fin;
    kiss_fft_cpx *fx;
    kiss_fftr_cfg fwd, inv;
    chan *ch;
    size_t frame_no, sub_fill, sub_idx;
    uint64_t t;
    double gmin;
    double *lambda0; /* primed noise from the measuring pass (per bin) */
    /* measuring */
    double *m_lambda_sum, *m_p_sum;
    size_t m_frames, m_lambda_frames;
    int measuring;
    pol__aproc proc;
    double removed_db_num, removed_db_den;
} nstate;

static size_t pow2_near(double x)
{
    size_t n = 1;
    while ((double)n * 1.41421356 < x) n <<= 1;
    return n < 128 ? 128 : n > 8192 ? 8192 : n;
}

static void chan_free(chan *c)
{
    free(c->in);
    free(c->ola);
    free(c->outq);
    free(c->ps);
    free(c->pmin);
    free(c->sub_min);
    free(c->past_min);
    free(c->subs);
    free(c->lambda);
    free(c->prev_s2);
    free(c->g);
}

static void nfree(void *p)
{
    nstate *s = p;
    if (!s) return;
    if (s->ch)
        for (int c = 0; c < s->channels; c++) chan_free(&s->ch[c]);
    free(s->ch);
    kiss_fftr_free(s->fwd);
    kiss_fftr_free(s->inv);
    free(s->fin);
    free(s->fx);
    free(s->win);
    free(s->lambda0);
    free(s->m_lambda_sum);
    free(s->m_p_sum);
    pol__aproc_fini(&s->proc);
    pol__afig_free(s->proc.fig);
    free(s);
}

static pol_status begin(pol_run *run, const pol_args *args, void **out)
{
    nstate *s = calloc(1, sizeof *s);
    if (!s) return pol__fail(run, POL_ERR_NOMEM, "out of memory");
    s->strength = pol__arg_num(args, "strength");
    s->always = pol__arg_choice(args, "when") == 1;
    s->max_snr = pol__arg_num(args, "max-snr");
    s->gmin = pow(10, -(6 + 24 * s->strength) / 20);
    *out = s;
    return POL_OK;
}

static pol_status setup(pol_run *run, nstate *s, int channels, int rate)
{
    s->channels = channels;
    s->rate = rate;
    s->N = pow2_near(0.064 * rate);
    s->R = s->N / 4;
    s->nb = s->N / 2 + 1;
    s->V = (size_t)(1.5 * rate / (double)s->R / SUBWIN) + 1;
    s->win = malloc(s->N * sizeof *s->win);
    s->fin = malloc(s->N * sizeof *s->fin);
    s->fx = malloc(s->nb * sizeof *s->fx);
    s->ch = calloc((size_t)channels, sizeof *s->ch);
    s->lambda0 = calloc(s->nb, sizeof *s->lambda0);
    s->m_lambda_sum = calloc(s->nb, sizeof *s->m_lambda_sum);
    s->m_p_sum = calloc(s->nb, sizeof *s->m_p_sum);
    if (!s->win || !s->fin || !s->fx || !s->ch || !s->lambda0 || !s->m_lambda_sum || !s->m_p_sum)
        return pol__fail(run, POL_ERR_NOMEM, "out of memory");
    for (size_t i = 0; i < s->N; i++)
        s->win[i] = (float)sqrt(0.5 - 0.5 * cos(2 * M_PI * (double)i / (double)s->N));
    for (int c = 0; c < channels; c++) {
        chan *h = &s->ch[c];
        h->in = calloc(s->N, sizeof *h->in);
        h->ola = calloc(s->N, sizeof *h->ola);
        h->outq = calloc(s->R, sizeof *h->outq);
        h->ps = calloc(s->nb, sizeof *h->ps);
        h->pmin = calloc(s->nb, sizeof *h->pmin);
        h->sub_min = calloc(s->nb, sizeof *h->sub_min);
        h->past_min = calloc(s->nb, sizeof *h->past_min);
        h->subs = calloc(s->nb * SUBWIN, sizeof *h->subs);
        h->lambda = calloc(s->nb, sizeof *h->lambda);
        h->prev_s2 = calloc(s->nb, sizeof *h->prev_s2);
        h->g = calloc(s->nb, sizeof *h->g);
        if (!h->in || !h->ola || !h->outq || !h->ps || !h->pmin || !h->sub_min || !h->past_min || !h->subs || !h->lambda ||
            !h->prev_s2 || !h->g)
            return pol__fail(run, POL_ERR_NOMEM, "out of memory");
    }
    s->fwd = kiss_fftr_alloc((int)s->N, 0, NULL, NULL);
    s->inv = kiss_fftr_alloc((int)s->N, 1, NULL, NULL);
    if (!s->fwd || !s->inv) return pol__fail(run, POL_ERR_INTERNAL, "no FFT plan");
    return POL_OK;
}

static void nreset(void *p)
{
    nstate *s = p;
    for (int c = 0; c < s->channels; c++) {
        chan *h = &s->ch[c];
        memset(h->in, 0, s->N * sizeof *h->in);
        memset(h->ola, 0, s->N * sizeof *h->ola);
        memset(h->outq, 0, s->R * sizeof *h->outq);
        memset(h->prev_s2, 0, s->nb * sizeof *h->prev_s2);
        for (size_t k = 0; k < s->nb; k++) {
            double l0 = s->lambda0[k];
            h->lambda[k] = l0;
            h->ps[k] = l0;
            double m = l0 > 0 ? l0 / BIAS : HUGE_VAL;
            h->pmin[k] = h->sub_min[k] = h->past_min[k] = m;
            for (int u = 0; u < SUBWIN; u++) h->subs[k * SUBWIN + (size_t)u] = m;
            h->g[k] = 1;
        }
    }
    s->frame_no = s->sub_fill = s->sub_idx = 0;
    s->t = 0;
}

/* exp(E1(x) / 2) for the log-spectral-amplitude gain, E1 the exponential integral, by a fast
 * piecewise approximation (within a few percent, which the gain floor and smoothing absorb). */
static double half_e1_exp(double x)
{
    float e, xf = (float)x;
    if (xf < 0.1f)
        e = -2.31f * log10f(xf) - 0.6f;
    else if (xf <= 1)
        e = -1.544f * log10f(xf) + 0.166f;
    else
        e = exp2f(3.321928f * (-0.52f * xf - 0.26f));
    return expf(0.5f * e);
}

/* One frame of channel c: its last N samples are in h->in. Updates the noise estimate; when
 * `out` is set, computes the gains and overlap-adds the cleaned frame. */
static void frame(nstate *s, chan *h, int apply_gain)
{
    size_t N = s->N, nb = s->nb;
    for (size_t i = 0; i < N; i++) s->fin[i] = h->in[i] * s->win[i];
    kiss_fftr(s->fwd, s->fin, s->fx);
    int new_sub = s->sub_fill + 1 == s->V;
    for (size_t k = 0; k < nb; k++) {
        double re = s->fx[k].r, im = s->fx[k].i;
        double p = re * re + im * im;
        h->ps[k] = ALPHA_S * h->ps[k] + (1 - ALPHA_S) * p;
        if (h->ps[k] < h->sub_min[k]) h->sub_min[k] = h->ps[k];
        double m = h->sub_min[k] < h->past_min[k] ? h->sub_min[k] : h->past_min[k];
        h->pmin[k] = m;
        if (new_sub) {
            double *sb = h->subs + k * SUBWIN;
            sb[s->sub_idx] = h->sub_min[k];
            h->sub_min[k] = HUGE_VAL;
            double pm = sb[0];
            for (int u = 1; u < SUBWIN; u++) pm = sb[u] < pm ? sb[u] : pm;
            h->past_min[k] = pm;
        }
        double lam = BIAS * m;
        if (!isfinite(lam)) lam = h->ps[k];
        /* applying: mostly the whole input's estimate (steadier), partly the tracked one */
        if (!s->measuring) lam = BLEND * s->lambda0[k] + (1 - BLEND) * lam;
        h->lambda[k] = lam > 1e-20 ? lam : 1e-20;
        if (s->measuring) {
            if (s->frame_no >= s->V * SUBWIN) s->m_lambda_sum[k] += h->lambda[k];
            s->m_p_sum[k] += p;
        }
        if (!apply_gain) continue;
        double gamma = p / h->lambda[k];
        double xi = DD * h->prev_s2[k] / h->lambda[k] + (1 - DD) * fmax(gamma - 1, 0);
        if (xi < XIMIN) xi = XIMIN;
        double v = xi * gamma / (1 + xi);
        double g = xi / (1 + xi) * half_e1_exp(v > 1e-8 ? v : 1e-8);
        if (g > 1) g = 1;
        h->g[k] = g;
        h->prev_s2[k] = g * g * p;
    }
    if (!apply_gain) return;
    /* the floor */
    for (size_t k = 0; k < nb; k++) {
        double g = h->g[k] < s->gmin ? s->gmin : h->g[k];
        s->fx[k].r *= (float)g;
        s->fx[k].i *= (float)g;
        s->removed_db_num += (1 - g * g) * h->ps[k];
        s->removed_db_den += h->ps[k];
    }
    kiss_fftri(s->inv, s->fx, s->fin);
    float norm = 1.0f / (float)N * (2.0f * (float)s->R / (float)N);
    for (size_t i = 0; i < N; i++) h->ola[i] += s->fin[i] * s->win[i] * norm;
}

static void nprocess(void *p, const float *in, float *out, size_t n)
{
    nstate *s = p;
    size_t nc = (size_t)s->channels, N = s->N, R = s->R;
    /* frame positions: the buffer holds frames [t+1-N, t+1); a frame every R */
    for (size_t i = 0; i < n; i++) {
        size_t pos = (size_t)(s->t % R); /* index within the hop */
        for (size_t c = 0; c < nc; c++) {
            chan *h = &s->ch[c];
            /* output: the oldest sample of the overlap-add, final when it leaves */
            out[i * nc + c] = h->outq[pos];
            h->in[N - R + pos] = in[i * nc + c];
        }
        if (pos == R - 1) {
            for (size_t c = 0; c < nc; c++) {
                chan *h = &s->ch[c];
                frame(s, h, 1);
                /* the first R outputs are final: queued for the next R frames */
                memcpy(h->outq, h->ola, R * sizeof *h->outq);
                memmove(h->ola, h->ola + R, (N - R) * sizeof *h->ola);
                memset(h->ola + N - R, 0, R * sizeof *h->ola);
                memmove(h->in, h->in + R, (N - R) * sizeof *h->in);
            }
            if (++s->sub_fill == s->V) {
                s->sub_fill = 0;
                s->sub_idx = (s->sub_idx + 1) % SUBWIN;
            }
            s->frame_no++;
        }
        s->t++;
    }
}

static pol_status measure(pol_run *run, void *p, const pol__chunk *c)
{
    nstate *s = p;
    const pol__ablock *b = pol__ablock_of(c);
    if (!s->ch) {
        pol_status st = setup(run, s, b->channels, b->rate);
        if (st) return st;
        nreset(s);
    }
    s->measuring = 1;
    const float *x = pol__chunk_core(c);
    size_t nc = (size_t)s->channels, N = s->N, R = s->R;
    for (size_t i = 0; i < c->n; i++) {
        size_t pos = (size_t)(s->t % R);
        for (size_t ch = 0; ch < nc; ch++) s->ch[ch].in[N - R + pos] = x[i * nc + ch];
        if (pos == R - 1) {
            for (size_t ch = 0; ch < nc; ch++) {
                frame(s, &s->ch[ch], 0);
                memmove(s->ch[ch].in, s->ch[ch].in + R, (N - R) * sizeof(float));
            }
            if (s->frame_no >= s->V * SUBWIN) s->m_lambda_frames++;
            s->m_frames++;
            if (++s->sub_fill == s->V) {
                s->sub_fill = 0;
                s->sub_idx = (s->sub_idx + 1) % SUBWIN;
            }
            s->frame_no++;
        }
        s->t++;
    }
    return POL_OK;
}

static pol_status decide(pol_run *run, void *p)
{
    nstate *s = p;
    s->measuring = 0;
    if (!s->ch) return POL_OK;
    size_t nb = s->nb;
    double noise = 0, total = 0;
    if (s->m_lambda_frames) {
        for (size_t k = 0; k < nb; k++) s->lambda0[k] = s->m_lambda_sum[k] / (double)s->m_lambda_frames / s->channels;
    } else {
        /* shorter than the tracking window: the quietest bins' power stands for the noise */
        for (size_t k = 0; k < nb; k++) s->lambda0[k] = 0;
        for (int c = 0; c < s->channels; c++)
            for (size_t k = 0; k < nb; k++) s->lambda0[k] += BIAS * s->ch[c].pmin[k] / s->channels;
    }
    for (size_t k = 1; k < nb; k++) {
        noise += s->lambda0[k];
        total += s->m_frames ? s->m_p_sum[k] / (double)s->m_frames / s->channels : 0;
    }
    double snr = noise > 0 && total > noise ? 10 * log10((total - noise) / noise) : 0;
    if (!(noise > 0)) snr = 200;
    /* tonal "noise": the share of the noise power in narrow peaks */
    double peaky = 0;
    for (size_t k = 3; k + 3 < nb; k++) {
        double nbm = (s->lambda0[k - 3] + s->lambda0[k + 3]) / 2;
        if (s->lambda0[k] > 30 * nbm) peaky += s->lambda0[k];
    }
    double tonal = noise > 0 ? peaky / noise : 0;
    /* noise is broadband: the spectral flatness of the estimate (100 Hz up) of white noise is
     * near 1, pink about 0.6; a held chord's is far lower */
    double lsum = 0, asum = 0;
    size_t nflat = 0;
    for (size_t k = 0; k < nb; k++) {
        double fk = (double)k * s->rate / (double)s->N;
        if (fk < 100 || fk > 0.45 * s->rate) continue;
        lsum += log(s->lambda0[k] + 1e-30);
        asum += s->lambda0[k];
        nflat++;
    }
    double flat = nflat && asum > 0 ? exp(lsum / (double)nflat) / (asum / (double)nflat) : 0;
    /* noise level in dBFS: power per sample of the estimated noise */
    double noise_db = pol__db(noise * 2 / ((double)s->N * s->N / 2) + 1e-30);
    pol__measure(run, "snr_db", round(fmin(snr, 120) * 10) / 10);
    pol__measure(run, "noise_dbfs", round(noise_db * 10) / 10);
    pol__measure(run, "tonal_share", round(tonal * 1000) / 1000);
    pol__measure(run, "noise_flatness", round(flat * 1000) / 1000);
    if (!s->always) {
        if (noise_db < -85) {
            s->off = 1;
            pol__decline(run, "no noise to remove: the noise floor is %.0f dBFS", noise_db);
            return POL_OK;
        }
        if (snr > s->max_snr) {
            s->off = 1;
            pol__decline(run, "clean: estimated SNR %.1f dB is above %.0f dB", snr, s->max_snr);
            return POL_OK;
        }
        if (tonal > 0.5 || flat < 0.1) {
            s->off = 1;
            pol__decline(run, "what stays steady is tonal (%.0f%% in narrow lines, flatness %.2f: "
                              "music or test tones), not noise", tonal * 100, flat);
            return POL_OK;
        }
    }
    pol__decide(run, "noise learnt from the signal (minimum statistics), SNR %.1f dB: log-MMSE "
                     "gains, floor %.0f dB", snr, 20 * log10(s->gmin));
    pol__confidence(run, snr < s->max_snr - 10 ? 0.9 : 0.6);
    return POL_OK;
}

static pol_status apply(pol_run *run, void *p, pol__chunk *c)
{
    nstate *s = p;
    if (s->off) return POL_OK;
    pol__ablock *b = pol__ablock_of(c);
    if (!s->ch) {
        pol_status st = setup(run, s, b->channels, b->rate);
        if (st) return st;
    }
    if (!s->proc.process)
        s->proc = (pol__aproc){.latency = s->N, .channels = b->channels, .st = s,
                               .process = nprocess, .reset = nreset};
    if (!s->proc.fig && pol__want_figures(run)) /* pictures only for a report */
        s->proc.fig = pol__afig_new(b->total, b->channels, b->rate);
    return pol__aproc_block(run, &s->proc, b, c);
}

static pol_status end(pol_run *run, void *p)
{
    nstate *s = p;
    if (s->off || !s->proc.process) return POL_OK;
    if (s->proc.fig) pol__afig_attach(run, s->proc.fig, "denoise: before (left) and after (right): waveform, and spectrogram 50 Hz - 8 kHz (log frequency, 70 dB)");
    if (s->removed_db_den > 0)
        pol__measure(run, "removed_db", round(pol__db(1 - s->removed_db_num / s->removed_db_den) * -100) / 100);
    return POL_OK;
}

static const pol_op_stream stream = {
    .halo = 8192,
    .measure_first = 1,
    .begin = begin,
    .measure = measure,
    .decide = decide,
    .apply = apply,
    .end = end,
    .free = nfree,
};

static pol_status run_whole(pol_run *run, pol_asset *a, const pol_args *args)
{
    return pol__audio_run_stream(run, a, args, &stream);
}

const pol_op_desc pol__audio_op_denoise = {
    .domain = "audio",
    .name = "denoise",
    .summary = "Remove steady background noise, learnt from the signal itself",
    .params = params,
    .n_params = POL_ARRAY_LEN(params),
    .run = run_whole,
    .flags = POL_OP_AUTO,
    .stream = &stream,
};
