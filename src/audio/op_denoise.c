/* polish — audio.denoise: removes steady background noise with no profile given. Short-time
 * spectra (sqrt-Hann, 64 ms, 75% overlap, libavutil's real FFT); the noise power per bin is learnt from the signal by
 * minimum statistics (the minimum of the smoothed power over ~1.5 s, bias-corrected), averaged
 * with the whole input's estimate from the measuring pass (which analyses every other hop); the gain per bin is the log-spectral-amplitude (log-MMSE) estimator with
 * decision-directed a-priori SNR (its recursive smoothing keeps musical noise down) and a floor
 * set by the strength. The measuring pass also decides whether there is noise worth removing:
 * it declines on clean recordings and on input whose "noise" is tonal (music, test tones). */
/* The per-bin loops are written as selects of values computed either way; GCC turns them into
 * vector code only when it need not keep floating-point traps exact. */
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC optimize("no-trapping-math")
#endif
#include <float.h>
#include <math.h>
#include <pthread.h>
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
#ifndef MSKIP
#define MSKIP 2 /* measuring: one hop in MSKIP analysed (its smoothing and windows scaled to match) */
#endif
#define BIAS 1.5    /* minimum of the smoothed power to the noise power (tuned on speech) */
#define DD 0.98     /* decision-directed weight: the smoothing against musical noise */
#define XIMIN 0.003 /* a-priori SNR floor, -25 dB */
#define BLEND 0.7   /* applying: the whole input's noise estimate against the tracked one */

/* Per channel, per bin arrays are floats in loops the compiler vectorises (no branches, no
 * libm calls inside them). */
#define SLACK 8 /* the frame and overlap-add buffers hold N + SLACK hops: shifted once in SLACK hops */
typedef struct chan {
    float *in;    /* the last N samples (frame buffer): a window sliding along in_base */
    float *ola;   /* overlap-add, N: a window sliding along ola_base */
    float *in_base, *ola_base;
    float *outq;  /* the R final samples being output */
    float *ps;    /* smoothed power */
    float *pmin, *sub_min, *subs; /* current min, running sub-window min, SUBWIN past mins (sub-window
                                   * u's bins at subs + u nb, so the minimum over them is a vector loop) */
    float *past_min; /* the minimum of the past sub-windows, updated when one completes */
    float *lambda;
    float *prev_s2; /* |S|^2 of the previous frame */
    float *g;
} chan;

typedef struct nstate {
    double strength, max_snr;
    int always, off;
    int channels, rate;
    size_t N, R, nb;
    size_t V; /* frames per sub-window */
    size_t V_apply, V_meas; /* applying: every hop; measuring: every MSKIP-th */
    float alpha; /* power smoothing per analysed frame */
    size_t skip_pos;
    float *win;
    float *fin;
    float *pw; /* this frame's power per bin */
    float *vv, *wf; /* applying, per bin: the LSA gain's argument v, and xi / (1 + xi) */
    pol__cpx *fx;
    pol__rfft *fwd, *inv;
    chan *ch;
    size_t frame_no, sub_fill, sub_idx;
    uint64_t t;
    size_t pos; /* t % R */
    double gmin;
    float *lambda0; /* primed noise from the measuring pass (per bin) */
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
    free(c->in_base);
    free(c->ola_base);
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
    pol__rfft_free(s->fwd);
    pol__rfft_free(s->inv);
    pol__fft_free(s->fin);
    free(s->pw);
    free(s->vv);
    free(s->wf);
    pol__fft_free(s->fx);
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

static void e1t_init(void);

static pol_status setup(pol_run *run, nstate *s, int channels, int rate)
{
    e1t_init();
    s->channels = channels;
    s->rate = rate;
    s->N = pow2_near(0.064 * rate);
    s->R = s->N / 4;
    s->nb = s->N / 2 + 1;
    s->V = s->V_apply = (size_t)(1.5 * rate / (double)s->R / SUBWIN) + 1;
    s->V_meas = (size_t)(1.5 * rate / (double)(s->R * MSKIP) / SUBWIN) + 1;
    s->alpha = (float)ALPHA_S;
    s->win = malloc(s->N * sizeof *s->win);
    s->fin = pol__fft_alloc(s->N * sizeof *s->fin);
    s->pw = malloc(s->nb * sizeof *s->pw);
    s->vv = malloc(s->nb * sizeof *s->vv);
    s->wf = malloc(s->nb * sizeof *s->wf);
    s->fx = pol__fft_alloc(s->nb * sizeof *s->fx);
    s->ch = calloc((size_t)channels, sizeof *s->ch);
    s->lambda0 = calloc(s->nb, sizeof *s->lambda0);
    s->m_lambda_sum = calloc(s->nb, sizeof *s->m_lambda_sum);
    s->m_p_sum = calloc(s->nb, sizeof *s->m_p_sum);
    if (!s->win || !s->fin || !s->pw || !s->vv || !s->wf || !s->fx || !s->ch || !s->lambda0 || !s->m_lambda_sum || !s->m_p_sum)
        return pol__fail(run, POL_ERR_NOMEM, "out of memory");
    for (size_t i = 0; i < s->N; i++)
        s->win[i] = (float)sqrt(0.5 - 0.5 * cos(2 * M_PI * (double)i / (double)s->N));
    for (int c = 0; c < channels; c++) {
        chan *h = &s->ch[c];
        h->in = h->in_base = calloc(s->N + SLACK * s->R, sizeof *h->in);
        h->ola = h->ola_base = calloc(s->N + SLACK * s->R, sizeof *h->ola);
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
    s->fwd = pol__rfft_new(s->N, 0);
    s->inv = pol__rfft_new(s->N, 1);
    if (!s->fwd || !s->inv) return pol__fail(run, POL_ERR_INTERNAL, "no FFT plan");
    return POL_OK;
}

static void nreset(void *p)
{
    nstate *s = p;
    for (int c = 0; c < s->channels; c++) {
        chan *h = &s->ch[c];
        h->in = h->in_base;
        h->ola = h->ola_base;
        memset(h->in_base, 0, (s->N + SLACK * s->R) * sizeof *h->in);
        memset(h->ola_base, 0, (s->N + SLACK * s->R) * sizeof *h->ola);
        memset(h->outq, 0, s->R * sizeof *h->outq);
        memset(h->prev_s2, 0, s->nb * sizeof *h->prev_s2);
        for (size_t k = 0; k < s->nb; k++) {
            float l0 = s->lambda0[k];
            h->lambda[k] = l0;
            h->ps[k] = l0;
            float m = l0 > 0 ? l0 / (float)BIAS : HUGE_VALF;
            h->pmin[k] = h->sub_min[k] = h->past_min[k] = m;
            for (int u = 0; u < SUBWIN; u++) h->subs[(size_t)u * s->nb + k] = m;
            h->g[k] = 1;
        }
    }
    s->frame_no = s->sub_fill = s->sub_idx = 0;
    s->t = 0;
    s->pos = 0;
}

/* log2 and exp2 of floats without libm, in plain arithmetic the compiler vectorises: log2 from
 * the exponent and an odd series in (m - 1) / (m + 1) of the mantissa (error under 2e-5); exp2
 * from the exponent bits and a Taylor polynomial on [-0.5, 0.5] (relative error under 2e-7). */
static inline float fast_log2(float x) /* x > 0, normal */
{
    uint32_t i;
    memcpy(&i, &x, sizeof i);
    float e = (float)((int32_t)(i >> 23) - 127);
    uint32_t mi = (i & 0x007fffffu) | 0x3f800000u;
    float m;
    memcpy(&m, &mi, sizeof m);
    float t = (m - 1) / (m + 1), t2 = t * t;
    float ser = t * (2.0f + t2 * (2.0f / 3 + t2 * (2.0f / 5 + t2 * (2.0f / 7))));
    return e + ser * 1.44269504f;
}

static inline float fast_exp2(float y)
{
    y = y < -126 ? -126 : y > 126 ? 126 : y;
    float k = (float)(int32_t)(y + 0.5f);
    k = k > y + 0.5f ? k - 1 : k; /* floor(y + 0.5) */
    float f = (y - k) * 0.69314718f; /* 2^(y-k) = e^f, |f| <= ln2 / 2 */
    float p = 1 + f * (1 + f * (0.5f + f * (1.0f / 6 + f * (1.0f / 24 + f * (1.0f / 120 + f * (1.0f / 720))))));
    uint32_t bits = (uint32_t)((int32_t)k + 127) << 23;
    float two_k;
    memcpy(&two_k, &bits, sizeof two_k);
    return two_k * p;
}

/* exp(E1(x) / 2) for the log-spectral-amplitude gain, E1 the exponential integral, by a piecewise
 * approximation (within a few percent, which the gain floor and smoothing absorb):
 * E1(x) ~ -2.31 log10 x - 0.6 under 0.1, -1.544 log10 x + 0.166 up to 1, 10^(-0.52 x - 0.26)
 * above; written as powers of two so the branches become selects. */
static inline float half_e1_exp(float x)
{
    float l2 = fast_log2(x);
    /* below 1: exp(E1/2) = c x^a; in log2: a log2 x + log2 c */
    float y12 = x < 0.1f ? -0.50161f * l2 - 0.43280851f : -0.33527609f * l2 + 0.11974369f;
    float e3 = fast_exp2(3.32192809f * (-0.52f * x - 0.26f)); /* 10^(-0.52 x - 0.26) */
    float y = x > 1 ? 0.72134752f * e3 : y12;                 /* exp(e/2) = 2^(e log2(e) / 2) */
    return fast_exp2(y);
}

/* half_e1_exp from a table: its values at 64 points an octave from 2^-27 (under the 1e-8 its
 * argument is held above) to 2^7 (where it is 1 to float precision), joined by straight lines
 * (within 2e-5 of the formula, far inside its own few percent). The argument's float bits give
 * the cell: exponent and the mantissa's top six bits, the rest the place in it. */
#define E1T_BITS 17                     /* 23 - 6: 64 cells an octave */
#define E1T_CELLS (34u << 6)
#define E1T_LO 0x32000000u              /* 2^-27 */
static float e1t[E1T_CELLS + 1];
static pthread_once_t e1t_once = PTHREAD_ONCE_INIT;

static void e1t_make(void)
{
    for (uint32_t i = 0; i <= E1T_CELLS; i++) {
        uint32_t b = E1T_LO + (i << E1T_BITS);
        float x;
        memcpy(&x, &b, sizeof x);
        e1t[i] = half_e1_exp(x);
    }
}

static void e1t_init(void) { pthread_once(&e1t_once, e1t_make); }

static inline float half_e1_exp_t(float x) /* x >= 2^-27 */
{
    uint32_t b;
    memcpy(&b, &x, sizeof b);
    uint32_t d = b - E1T_LO;
    d = d < (E1T_CELLS << E1T_BITS) ? d : (E1T_CELLS << E1T_BITS) - 1;
    uint32_t i = d >> E1T_BITS;
    float f = (float)(d & ((1u << E1T_BITS) - 1)) * (1.0f / (float)(1u << E1T_BITS));
    return e1t[i] + f * (e1t[i + 1] - e1t[i]);
}

/* One frame of channel c: its last N samples are in h->in. Updates the noise estimate; with
 * `apply_gain`, computes the gains and overlap-adds the cleaned frame. */
static void frame(nstate *s, chan *h, int apply_gain)
{
    size_t N = s->N, nb = s->nb;
    float *restrict fin = s->fin, *restrict p = s->pw;
    const float *restrict win = s->win, *restrict in = h->in;
    for (size_t i = 0; i < N; i++) fin[i] = in[i] * win[i];
    pol__rfft_fwd(s->fwd, fin, s->fx);
    const pol__cpx *fx = s->fx;
    for (size_t k = 0; k < nb; k++) p[k] = fx[k].r * fx[k].r + fx[k].i * fx[k].i;
    float *restrict ps = h->ps, *restrict smin = h->sub_min, *restrict past = h->past_min;
    float *restrict pmin = h->pmin, *restrict lam = h->lambda;
    for (size_t k = 0; k < nb; k++) {
        float v = s->alpha * ps[k] + (1 - s->alpha) * p[k];
        ps[k] = v;
        float sm = v < smin[k] ? v : smin[k];
        smin[k] = sm;
        pmin[k] = sm < past[k] ? sm : past[k];
    }
    if (s->sub_fill + 1 == s->V) { /* a sub-window completes */
        float *restrict cur = h->subs + s->sub_idx * nb;
        for (size_t k = 0; k < nb; k++) {
            cur[k] = smin[k];
            smin[k] = HUGE_VALF;
        }
        const float *restrict sb0 = h->subs;
        for (size_t k = 0; k < nb; k++) past[k] = sb0[k];
        for (int u = 1; u < SUBWIN; u++) {
            const float *restrict sb = h->subs + (size_t)u * nb;
            for (size_t k = 0; k < nb; k++) past[k] = sb[k] < past[k] ? sb[k] : past[k];
        }
    }
    /* applying: mostly the whole input's estimate (steadier), partly the tracked one */
    float bl = s->measuring ? 0 : (float)BLEND;
    const float *restrict l0 = s->lambda0;
    for (size_t k = 0; k < nb; k++) {
        float a = (float)BIAS * pmin[k], b = ps[k];
        float l = bl * l0[k] + (1 - bl) * (a < FLT_MAX ? a : b);
        lam[k] = l > 1e-20f ? l : 1e-20f;
    }
    if (s->measuring) {
        if (s->frame_no >= s->V * SUBWIN)
            for (size_t k = 0; k < nb; k++) s->m_lambda_sum[k] += lam[k];
        for (size_t k = 0; k < nb; k++) s->m_p_sum[k] += p[k];
    }
    if (!apply_gain) return;
    float *restrict prev = h->prev_s2, *restrict gg = h->g;
    float *restrict vv = s->vv, *restrict wf = s->wf;
    const float gmin = (float)s->gmin;
    /* in three loops: the vector arithmetic, the table (scalar), the vector arithmetic */
    for (size_t k = 0; k < nb; k++) {
        float inv = 1.0f / lam[k];
        float gamma = p[k] * inv, gm1 = gamma - 1;
        float xi = (float)DD * prev[k] * inv + (float)(1 - DD) * (gm1 > 0 ? gm1 : 0);
        xi = xi < (float)XIMIN ? (float)XIMIN : xi;
        float w = xi / (1 + xi);
        float v = w * gamma;
        vv[k] = v > 1e-8f ? v : 1e-8f;
        wf[k] = w;
    }
    for (size_t k = 0; k < nb; k++) vv[k] = half_e1_exp_t(vv[k]);
    for (size_t k = 0; k < nb; k++) {
        float g = wf[k] * vv[k];
        g = g > 1 ? 1 : g;
        prev[k] = g * g * p[k];
        gg[k] = g < gmin ? gmin : g; /* the floor */
    }
    float num[4] = {0}, den[4] = {0};
    size_t k = 0;
    for (; k + 4 <= nb; k += 4)
        for (int q = 0; q < 4; q++) {
            num[q] += (1 - gg[k + q] * gg[k + q]) * ps[k + q];
            den[q] += ps[k + q];
        }
    for (; k < nb; k++) {
        num[0] += (1 - gg[k] * gg[k]) * ps[k];
        den[0] += ps[k];
    }
    s->removed_db_num += (double)num[0] + num[1] + num[2] + num[3];
    s->removed_db_den += (double)den[0] + den[1] + den[2] + den[3];
    pol__cpx *fy = s->fx;
    for (k = 0; k < nb; k++) {
        fy[k].r *= gg[k];
        fy[k].i *= gg[k];
    }
    pol__rfft_inv(s->inv, s->fx, fin);
    float norm = 1.0f / (float)N * (2.0f * (float)s->R / (float)N);
    float *restrict ola = h->ola;
    for (size_t i = 0; i < N; i++) ola[i] += fin[i] * win[i] * norm;
}

/* After a frame of every channel: the sub-window counters. */
static void frame_done(nstate *s)
{
    if (++s->sub_fill == s->V) {
        s->sub_fill = 0;
        s->sub_idx = (s->sub_idx + 1) % SUBWIN;
    }
    s->frame_no++;
}

/* Slides the frame buffer on by a hop (its last R samples are then the next ones to fill). */
static void in_advance(const nstate *s, chan *h)
{
    size_t N = s->N, R = s->R;
    if (h->in + R + N > h->in_base + N + SLACK * R) {
        memmove(h->in_base, h->in + R, (N - R) * sizeof *h->in);
        h->in = h->in_base;
    } else {
        h->in += R;
    }
}

/* Slides the overlap-add on by a hop: its last R samples start at zero. */
static void ola_advance(const nstate *s, chan *h)
{
    size_t N = s->N, R = s->R;
    if (h->ola + R + N > h->ola_base + N + SLACK * R) {
        memmove(h->ola_base, h->ola + R, (N - R) * sizeof *h->ola);
        h->ola = h->ola_base;
    } else {
        h->ola += R;
    }
    memset(h->ola + N - R, 0, R * sizeof *h->ola);
}

static void nprocess(void *p, const float *in, float *out, size_t n)
{
    nstate *s = p;
    size_t nc = (size_t)s->channels, N = s->N, R = s->R;
    /* the buffer holds frames [t+1-N, t+1); a frame every R */
    for (size_t i = 0; i < n;) {
        size_t pos = s->pos, m = R - pos < n - i ? R - pos : n - i;
        for (size_t c = 0; c < nc; c++) {
            chan *h = &s->ch[c];
            /* output: the oldest samples of the overlap-add, final when they leave */
            const float *q = h->outq + pos;
            float *dst = h->in + N - R + pos;
            for (size_t j = 0; j < m; j++) {
                out[(i + j) * nc + c] = q[j];
                dst[j] = in[(i + j) * nc + c];
            }
        }
        i += m;
        s->t += m;
        s->pos = pos + m;
        if (s->pos < R) continue;
        s->pos = 0;
        for (size_t c = 0; c < nc; c++) {
            chan *h = &s->ch[c];
            frame(s, h, 1);
            /* the first R outputs are final: queued for the next R frames */
            memcpy(h->outq, h->ola, R * sizeof *h->outq);
            ola_advance(s, h);
            in_advance(s, h);
        }
        frame_done(s);
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
        /* the noise is learnt from one hop in MSKIP: the smoothing per analysed frame and the
         * sub-windows in analysed frames span the same time as when applying */
        s->V = s->V_meas;
        s->alpha = (float)pow(ALPHA_S, MSKIP);
    }
    s->measuring = 1;
    const float *x = pol__chunk_core(c);
    size_t nc = (size_t)s->channels, N = s->N, R = s->R;
    for (size_t i = 0; i < c->n;) {
        size_t pos = s->pos, m = R - pos < c->n - i ? R - pos : c->n - i;
        for (size_t ch = 0; ch < nc; ch++) {
            float *dst = s->ch[ch].in + N - R + pos;
            for (size_t j = 0; j < m; j++) dst[j] = x[(i + j) * nc + ch];
        }
        i += m;
        s->t += m;
        s->pos = pos + m;
        if (s->pos < R) continue;
        s->pos = 0;
        int skip = s->skip_pos++ % MSKIP != 0;
        for (size_t ch = 0; ch < nc; ch++) {
            if (!skip) frame(s, &s->ch[ch], 0);
            in_advance(s, &s->ch[ch]);
        }
        if (skip) continue;
        if (s->frame_no >= s->V * SUBWIN) s->m_lambda_frames++;
        s->m_frames++;
        frame_done(s);
    }
    return POL_OK;
}

static pol_status decide(pol_run *run, void *p)
{
    nstate *s = p;
    s->measuring = 0;
    if (!s->ch) return POL_OK;
    s->V = s->V_apply;
    s->alpha = (float)ALPHA_S;
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
