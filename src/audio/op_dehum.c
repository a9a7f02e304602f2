/* polish — audio.dehum: removes mains hum. A measuring pass finds the fundamental (50 or 60 Hz,
 * refined to a fraction of a hertz) and which harmonics stand out; the applying pass is a comb of
 * very narrow notches made by subtraction: in overlapping Hann blocks it fits each found harmonic
 * as a sinusoid of slowly varying amplitude and phase, subtracts the fit (overlap-added), and
 * tracks drift of the fundamental from the phase advance between blocks. Each harmonic's fit is
 * shrunk by how much of it is noise (speech at that frequency: the power of the fits' innovations
 * against the power of the averaged fit), so a weak harmonic under the speech takes little speech
 * with it. Nothing else in the signal is touched; the block delay is compensated, so length and
 * alignment are exact. */
#include <complex.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "audio/audio.h"

static const pol_param_desc params[] = {
    {"freq", POL_PARAM_ENUM, "auto", 0, -1, "auto|50|60",
     "Mains frequency; auto detects it (and its exact value) from the signal."},
    {"harmonics", POL_PARAM_INT, "0", 0, 40, NULL,
     "Harmonics to remove (1 = the fundamental only); 0 = those that stand out of the spectrum."},
    {"when", POL_PARAM_ENUM, "auto", 0, -1, "auto|always",
     "auto: only when hum is found; always: remove --freq (50 Hz when auto finds none).",
     .choice_help = (const char *const[]){"auto: measure first, decline without hum",
                                          "always: remove hum regardless", NULL}},
};

#define KG 0.5 /* the tracked frequency moves by this share of each block's measured error */
#define VS 0.9 /* smoothing of the fits' innovation power, per half block */
#define SK 1.0 /* shrinkage: the estimate's noise power counted against its power this many times */
#define BLOCK_S 0.7 /* seconds: longer blocks make narrower notches (less speech taken) */
#define MAX_RATE 192000
#define MAX_H 40
#define SMOOTH 0.85 /* per half block */

typedef struct dstate {
    int freq_choice, always, nharm_arg;
    int off, channels, rate;
    double f0;
    int harm[MAX_H]; /* harmonic numbers to remove */
    int nh;
    pol__aanalysis *an;
    /* processor */
    size_t T, H;
    float *win;
    float *xin; /* ring of T frames */
    double *ola; /* ring of T frames: hum estimate being overlap-added */
    double complex *prev; /* channels x nh: last block's fits */
    double phase[MAX_H];
    double complex *raw;  /* channels x nh: this block's fits */
    float *tab; /* the fundamental's oscillator (2 x T), windowed signal (channels x T): floats,
                 * eight to a vector (the fits and sums stay in double) */
    float *acc;   /* the fits' partial sums (MAX_H x channels x 16) */
    double *fsum; /* the fits' sums (MAX_H x channels x 2) */
    double complex *csm;  /* channels x nh: the fits averaged over blocks (coherent with the
                           * tracked oscillators, so speech averages out and hum stays) */  /* each harmonic's oscillator phase at the block's start */
    int have_prev;
    double drift_f; /* tracked fundamental */
    double *var, *wsh; /* channels x MAX_H: the fits' innovation power; the share subtracted */
    double fmin_seen, fmax_seen;
    uint64_t t;
    size_t slot, hop_fill; /* t % T, t % H */
    pol__aproc proc;
} dstate;

static void dfree(void *p)
{
    dstate *s = p;
    if (!s) return;
    pol__aan_free(s->an);
    free(s->win);
    free(s->xin);
    free(s->ola);
    free(s->prev);
    free(s->csm);
    free(s->raw);
    free(s->var);
    free(s->wsh);
    free(s->tab);
    pol__fft_free(s->acc);
    free(s->fsum);
    pol__aproc_fini(&s->proc);
    pol__afig_free(s->proc.fig);
    free(s);
}

static pol_status begin(pol_run *run, const pol_args *args, void **out)
{
    dstate *s = calloc(1, sizeof *s);
    if (!s) return pol__fail(run, POL_ERR_NOMEM, "out of memory");
    s->freq_choice = pol__arg_choice(args, "freq");
    s->always = pol__arg_choice(args, "when") == 1;
    s->nharm_arg = (int)pol__arg_int(args, "harmonics");
    *out = s;
    return POL_OK;
}

static pol_status measure(pol_run *run, void *p, const pol__chunk *c)
{
    dstate *s = p;
    const pol__ablock *b = pol__ablock_of(c);
    if (!s->an && !(s->an = pol__aan_new(b->channels, b->rate, POL_AAN_SPECTRUM)))
        return pol__fail(run, POL_ERR_NOMEM, "out of memory");
    s->rate = b->rate;
    s->channels = b->channels;
    pol__aan_add(s->an, pol__chunk_core(c), c->n);
    return POL_OK;
}

static pol_status decide(pol_run *run, void *p)
{
    dstate *s = p;
    if (!s->an) return POL_OK;
    pol__afindings f;
    pol__aan_finish(s->an, &f);
    int forced = s->freq_choice == 1 ? 50 : s->freq_choice == 2 ? 60 : 0;
    if (f.hum_hz > 0) {
        pol__measure(run, "hum_hz", round(f.hum_hz * 100) / 100);
        pol__measure(run, "hum_peak_db", round(f.hum_db * 10) / 10);
        pol__measure_int(run, "harmonics_found", f.n_hum);
    }
    if (f.hum_hz <= 0 && !s->always) {
        s->off = 1;
        pol__decline(run, "no hum: no line at 50 or 60 Hz and its harmonics stands out of the spectrum");
        return POL_OK;
    }
    if (forced && (f.hum_hz <= 0 || fabs(f.hum_hz - forced) > 2)) {
        s->f0 = forced;
        for (int h = 1; h <= 8; h++) s->harm[s->nh++] = h;
    } else if (f.hum_hz > 0) {
        s->f0 = f.hum_hz;
        /* mains hum carries every harmonic up to the highest that stands out, some of them
         * under the speech: fill the gaps */
        int top = 0;
        for (int h = 1; h <= 32; h++)
            if (f.hum_harmonics[h - 1]) top = h;
        for (int h = 1; h <= top && s->nh < MAX_H; h++) s->harm[s->nh++] = h;
    } else {
        s->f0 = 50;
        for (int h = 1; h <= 8; h++) s->harm[s->nh++] = h;
    }
    if (s->nharm_arg > 0) {
        s->nh = 0;
        for (int h = 1; h <= s->nharm_arg && h < MAX_H; h++) s->harm[s->nh++] = h;
    }
    /* no harmonic above Nyquist */
    int k = 0;
    for (int i = 0; i < s->nh; i++)
        if (s->harm[i] * s->f0 < 0.45 * s->rate) s->harm[k++] = s->harm[i];
    s->nh = k;
    char list[200] = "";
    for (int i = 0; i < s->nh; i++) {
        size_t l = strlen(list);
        snprintf(list + l, sizeof list - l, "%s%d", i ? "," : "", s->harm[i]);
    }
    pol__decide(run, "hum at %.2f Hz: removing harmonics %s with a tracking notch comb", s->f0, list);
    pol__confidence(run, f.hum_hz > 0 ? fmin(0.95, 0.6 + f.hum_db / 100) : 0.5);
    return POL_OK;
}

/* Measured ahead, alongside highpass's measuring pass, on highpass's input: highpass is a known
 * linear filter, so its output's spectrum is this one times its power response. Any other op
 * before: not known, measured again. */
static int through(pol_run *run, void *p, const pol_op_desc *before, void *before_state)
{
    (void)run;
    dstate *s = p;
    if (before != &pol__audio_op_highpass || !s->an) return 0;
    pol__hp_response r = {before_state, s->rate};
    pol__aan_weigh(s->an, pol__highpass_power, &r);
    return 1;
}

static void dreset(void *p)
{
    dstate *s = p;
    memset(s->xin, 0, s->T * (size_t)s->channels * sizeof *s->xin);
    memset(s->ola, 0, s->T * (size_t)s->channels * sizeof *s->ola);
    if (s->var) memset(s->var, 0, (size_t)s->channels * MAX_H * sizeof *s->var);
    s->have_prev = 0;
    memset(s->phase, 0, sizeof s->phase);
    s->drift_f = s->f0;
    s->fmin_seen = s->fmax_seen = s->f0;
    s->t = 0;
    s->slot = s->hop_fill = 0;
}

/* cos and sin of h times the fundamental's phase come from the fundamental's by the Chebyshev
 * recurrence x_h = 2 cos(phi) x_{h-1} - x_{h-2} (from x_0 = cos 0, sin 0), eight samples at a time
 * in registers: every harmonic of every channel is fitted (and, below, synthesised) in one sweep
 * over the block, which stays in the first-level cache. */
#define LANES 8
#define RUN 512 /* frames whose float partial sums are added up in double */
typedef float v4 __attribute__((vector_size(16)));
static inline v4 v4_load(const float *p)
{
    v4 v;
    memcpy(&v, p, sizeof v);
    return v;
}

/* From harmonic h (cc, sc) and h - 1 (cp, sp) to h + 1 and h; k1 = cos of the fundamental. */
static inline void cheb_next(v4 k1, v4 *cp, v4 *sp, v4 *cc, v4 *sc)
{
    v4 cn = 2 * k1 * *cc - *cp, sn = 2 * k1 * *sc - *sp;
    *cp = *cc;
    *sp = *sc;
    *cc = cn;
    *sc = sn;
}

/* Eight frames' oscillators, lanes 0-3 (a) and 4-7 (b): harmonic h's cos (cc) and sin (sc), and
 * h - 1's (cp, sp), from the fundamental's cos c1 and sin s1. The fit and the hum's synthesis
 * both walk the harmonics with it. */
typedef struct osc8 {
    v4 k1a, k1b, cca, ccb, sca, scb, cpa, cpb, spa, spb;
} osc8;

static inline osc8 osc8_start(const float *c1, const float *s1)
{
    osc8 o;
    o.k1a = o.cca = v4_load(c1);
    o.k1b = o.ccb = v4_load(c1 + 4);
    o.sca = v4_load(s1);
    o.scb = v4_load(s1 + 4);
    o.cpa = o.cpb = (v4){1, 1, 1, 1};
    o.spa = o.spb = (v4){0, 0, 0, 0};
    return o;
}

/* On to harmonic h (from h - 1; h = 1 is where it starts); its index among the wanted ones, -1
 * when it is not wanted. */
static inline int osc8_harm(osc8 *o, int h, const int *want)
{
    if (h > 1) {
        cheb_next(o->k1a, &o->cpa, &o->spa, &o->cca, &o->sca);
        cheb_next(o->k1b, &o->cpb, &o->spb, &o->ccb, &o->scb);
    }
    return want[h] - 1;
}

/* Each wanted harmonic's fit to every channel's windowed block wv: s->raw. */
static void fit_all(dstate *s, int top, const int *want, const float *c1, const float *s1,
                    const float *wv, double wsum)
{
    size_t nc = (size_t)s->channels, T = s->T, nh = (size_t)s->nh;
    float *acc = s->acc; /* nh x nc x (LANES re, LANES im) */
    double *sum = s->fsum; /* nh x nc x (re, im) */
    memset(sum, 0, nh * nc * 2 * sizeof *sum);
    for (size_t m = 0; m < T; m += RUN) {
        size_t e = m + RUN < T ? m + RUN : T, j = m;
        memset(acc, 0, nh * nc * 2 * LANES * sizeof *acc);
        for (; j + LANES <= e; j += LANES) {
            osc8 q = osc8_start(c1 + j, s1 + j);
            for (int h = 1; h <= top; h++) {
                int hi = osc8_harm(&q, h, want);
                if (hi < 0) continue;
                for (size_t c = 0; c < nc; c++) {
                    const float *o = wv + c * T + j;
                    v4 *a = (v4 *)(acc + ((size_t)hi * nc + c) * 2 * LANES);
                    v4 oa = v4_load(o), ob = v4_load(o + 4);
                    a[0] += oa * q.cca;
                    a[1] += ob * q.ccb;
                    a[2] += oa * q.sca;
                    a[3] += ob * q.scb;
                }
            }
        }
        for (; j < e; j++) { /* the run's last frames, one at a time into the first lane */
            float k1 = c1[j], cp = 1, sp = 0, cc = c1[j], sc = s1[j];
            for (int h = 1; h <= top; h++) {
                if (h > 1) {
                    float cn = 2 * k1 * cc - cp, sn = 2 * k1 * sc - sp;
                    cp = cc;
                    sp = sc;
                    cc = cn;
                    sc = sn;
                }
                int hi = want[h] - 1;
                if (hi < 0) continue;
                for (size_t c = 0; c < nc; c++) {
                    float *a = acc + ((size_t)hi * nc + c) * 2 * LANES;
                    a[0] += wv[c * T + j] * cc;
                    a[LANES] += wv[c * T + j] * sc;
                }
            }
        }
        for (size_t k = 0; k < nh * nc; k++)
            for (int q = 0; q < LANES; q++) {
                sum[2 * k] += acc[k * 2 * LANES + (size_t)q];
                sum[2 * k + 1] -= acc[k * 2 * LANES + LANES + (size_t)q];
            }
    }
    for (size_t hi = 0; hi < nh; hi++)
        for (size_t c = 0; c < nc; c++) {
            const double *r = sum + 2 * (hi * nc + c);
            s->raw[c * MAX_H + hi] = wsum > 0 ? 2 * (r[0] + I * r[1]) / wsum : 0;
        }
}

/* The block's hum from the averaged fits (shrunk), windowed and overlap-added into s->ola from
 * frame m0 on (slot0: the ring slot of the block's first frame). */
static void hum_all(dstate *s, int top, const int *want, const float *c1, const float *s1,
                    size_t slot0, size_t m0)
{
    size_t nc = (size_t)s->channels, T = s->T, nh = (size_t)s->nh;
    float *amp = s->acc; /* nh x nc x (re, im) */
    float *hc = amp + ((nh * nc * 2 + 3) & ~(size_t)3); /* nc x LANES, vector-aligned */
    for (size_t hi = 0; hi < nh; hi++)
        for (size_t c = 0; c < nc; c++) {
            double complex a = s->csm[c * MAX_H + hi] * s->wsh[c * MAX_H + hi];
            amp[2 * (hi * nc + c)] = (float)creal(a);
            amp[2 * (hi * nc + c) + 1] = (float)cimag(a);
        }
    size_t slot = slot0; /* of frame j */
    v4 *hv = (v4 *)hc; /* per channel: lanes 0-3, 4-7 */
    for (size_t j = 0; j < T; j += LANES) {
        size_t n = T - j < LANES ? T - j : LANES;
        float k1[LANES] = {0}, s1j[LANES] = {0};
        memcpy(k1, c1 + j, n * sizeof *k1);
        memcpy(s1j, s1 + j, n * sizeof *s1j);
        osc8 q = osc8_start(k1, s1j);
        for (size_t c = 0; c < 2 * nc; c++) hv[c] = (v4){0, 0, 0, 0};
        for (int h = 1; h <= top; h++) {
            int hi = osc8_harm(&q, h, want);
            if (hi < 0) continue;
            for (size_t c = 0; c < nc; c++) {
                float ar = amp[2 * ((size_t)hi * nc + c)], ai = amp[2 * ((size_t)hi * nc + c) + 1];
                hv[2 * c] += ar * q.cca - ai * q.sca;
                hv[2 * c + 1] += ar * q.ccb - ai * q.scb;
            }
        }
        for (size_t q = 0; q < n; q++) {
            size_t m = j + q;
            if (m >= m0)
                for (size_t c = 0; c < nc; c++) s->ola[slot * nc + c] += s->win[m] * hc[c * LANES + q];
            if (++slot == T) slot = 0;
        }
    }
}

/* Fits and subtracts one block: frames [t+1-T, t+1), ending at the current frame. Each harmonic
 * is fitted against its oscillator; the frequency error shows as the fits' phase advance from the
 * last block (harmonics 1-3); the averaged fit is turned by that advance before the new fit is
 * averaged in, so the average stays coherent while the mains frequency drifts. The harmonics'
 * oscillators come from the fundamental's by the Chebyshev recurrence (cos hA = 2 cos A cos (h-1)A
 * - cos (h-2)A), so a block costs a few multiply-adds per sample and harmonic, in loops the
 * compiler vectorises. */
static void block(dstate *s)
{
    size_t nc = (size_t)s->channels, T = s->T;
    int64_t bs = (int64_t)s->t + 1 - (int64_t)T;
    size_t m0 = bs < 0 ? (size_t)(-bs) : 0; /* frames before the stream's start are not fitted */
    /* the ring slot of the block's first frame (bs mod T; bs >= -T) */
    size_t slot0 = bs < 0 ? (size_t)(bs + (int64_t)T) : (size_t)((uint64_t)bs % T);
    double w1 = 2 * M_PI * s->drift_f / s->rate, ph1 = s->phase[0];
    float *c1 = s->tab, *s1 = c1 + T;
    float *wv = s1 + T; /* nc x T: window x signal */
    /* the fundamental's oscillator: a rotation, renormalised now and then */
    double complex rot = cexp(I * ph1), step = cexp(I * w1);
    for (size_t m = 0; m < T; m++) {
        c1[m] = (float)creal(rot);
        s1[m] = (float)cimag(rot);
        rot *= step;
        if ((m & 1023) == 1023) rot /= cabs(rot);
    }
    double wsum = 0;
    for (size_t m = m0; m < T; m++) wsum += s->win[m];
    for (size_t c = 0; c < nc; c++) {
        float *o = wv + c * T;
        for (size_t m = 0; m < m0; m++) o[m] = 0;
        size_t slot = (slot0 + m0) % T;
        for (size_t m = m0; m < T; m++) {
            o[m] = s->win[m] * s->xin[slot * nc + c];
            if (++slot == T) slot = 0;
        }
    }
    /* the fits: harmonic by harmonic up to the highest, each from the two before */
    int top = s->harm[s->nh - 1];
    int want[MAX_H + 1] = {0};
    for (int hi = 0; hi < s->nh; hi++) {
        want[s->harm[hi]] = hi + 1;
        s->phase[hi] = fmod(s->harm[hi] * ph1, 2 * M_PI);
    }
    fit_all(s, top, want, c1, s1, wv, wsum);
    /* the frequency error, Hz */
    double num = 0, den = 0;
    for (int hi = 0; hi < s->nh && s->have_prev; hi++) {
        int h = s->harm[hi];
        if (h > 3) continue;
        for (size_t c = 0; c < nc; c++) {
            double complex r = s->raw[c * MAX_H + (size_t)hi], q = s->prev[c * MAX_H + (size_t)hi];
            double wgt = cabs(r * conj(q));
            num += wgt * carg(r * conj(q)) / (2 * M_PI * h * (double)s->H / s->rate);
            den += wgt;
        }
    }
    double d = den > 0 ? num / den : 0;
    if (d > 0.5) d = 0.5;
    if (d < -0.5) d = -0.5;
    for (int hi = 0; hi < s->nh; hi++) {
        double complex turn = cexp(I * 2 * M_PI * s->harm[hi] * d * (double)s->H / s->rate);
        for (size_t c = 0; c < nc; c++) {
            double complex raw = s->raw[c * MAX_H + (size_t)hi];
            double complex *sm = &s->csm[c * MAX_H + (size_t)hi];
            double *var = &s->var[c * MAX_H + (size_t)hi];
            if (s->have_prev) {
                double complex pred = *sm * turn;
                double in2 = creal(raw - pred) * creal(raw - pred) + cimag(raw - pred) * cimag(raw - pred);
                *var = VS * *var + (1 - VS) * in2;
            }
            *sm = s->have_prev ? SMOOTH * *sm * turn + (1 - SMOOTH) * raw : raw;
            double pw = creal(*sm) * creal(*sm) + cimag(*sm) * cimag(*sm);
            double sig = *var * (1 - SMOOTH) / (1 + SMOOTH);
            double w = pw > 0 ? 1 - SK * sig / pw : 0;
            s->wsh[c * MAX_H + (size_t)hi] = w < 0 ? 0 : w;
            s->prev[c * MAX_H + (size_t)hi] = raw;
        }
    }
    /* the hum of the block, every channel at once: the harmonics again, windowed and
     * overlap-added */
    hum_all(s, top, want, c1, s1, slot0, m0);
    /* the oscillators go on from the block's end */
    s->phase[0] = fmod(ph1 + w1 * (double)s->H, 2 * M_PI);
    if (s->have_prev) {
        s->drift_f += KG * d;
        /* the fits so far were against the old frequency: turn them to the new one */
        for (int hi = 0; hi < s->nh; hi++) {
            double complex turn = cexp(-I * 2 * M_PI * s->harm[hi] * KG * d * (double)s->H / s->rate);
            for (size_t c = 0; c < nc; c++) {
                s->csm[c * MAX_H + (size_t)hi] *= turn;
                s->prev[c * MAX_H + (size_t)hi] *= turn;
            }
        }
        if (s->drift_f > s->f0 + 2) s->drift_f = s->f0 + 2;
        if (s->drift_f < s->f0 - 2) s->drift_f = s->f0 - 2;
        if (s->drift_f < s->fmin_seen) s->fmin_seen = s->drift_f;
        if (s->drift_f > s->fmax_seen) s->fmax_seen = s->drift_f;
    }
    s->have_prev = 1;
}

static void dprocess(void *p, const float *in, float *out, size_t n)
{
    dstate *s = p;
    size_t nc = (size_t)s->channels, T = s->T;
    for (size_t i = 0; i < n;) {
        /* up to the next block's end: frames leave the ring (final) as new ones come in */
        size_t m = s->H - s->hop_fill < n - i ? s->H - s->hop_fill : n - i;
        for (size_t j = 0; j < m; j++) {
            size_t slot = s->slot;
            float *o = out + (i + j) * nc;
            const float *x = in + (i + j) * nc;
            float *xr = s->xin + slot * nc;
            double *olr = s->ola + slot * nc;
            for (size_t c = 0; c < nc; c++) {
                o[c] = (float)(xr[c] - olr[c]);
                olr[c] = 0;
                xr[c] = x[c];
            }
            s->slot = slot + 1 == T ? 0 : slot + 1;
        }
        i += m;
        s->hop_fill += m;
        s->t += m;
        if (s->hop_fill == s->H) {
            s->t--; /* block() fits the frames up to and including the current one */
            block(s);
            s->t++;
            s->hop_fill = 0;
        }
    }
}

static pol_status apply(pol_run *run, void *p, pol__chunk *c)
{
    dstate *s = p;
    if (s->off || !s->nh) return POL_OK;
    pol__ablock *b = pol__ablock_of(c);
    if (!s->win) {
        s->channels = b->channels;
        s->rate = b->rate;
        s->H = (size_t)(BLOCK_S / 2 * (b->rate < MAX_RATE ? b->rate : MAX_RATE));
        s->T = 2 * s->H;
        size_t nc = (size_t)b->channels;
        s->win = malloc(s->T * sizeof *s->win);
        s->xin = calloc(s->T * nc, sizeof *s->xin);
        s->ola = calloc(s->T * nc, sizeof *s->ola);
        s->prev = calloc(nc * MAX_H, sizeof *s->prev);
        s->csm = calloc(nc * MAX_H, sizeof *s->csm);
        s->raw = calloc(nc * MAX_H, sizeof *s->raw);
        s->var = calloc(nc * MAX_H, sizeof *s->var);
        s->wsh = calloc(nc * MAX_H, sizeof *s->wsh);
        s->tab = malloc((2 + nc) * s->T * sizeof *s->tab);
        s->acc = pol__fft_alloc(MAX_H * nc * 2 * LANES * sizeof *s->acc); /* aligned vectors */
        s->fsum = malloc(MAX_H * nc * 2 * sizeof *s->fsum);
        if (!s->win || !s->xin || !s->ola || !s->prev || !s->csm || !s->raw || !s->var || !s->wsh ||
            !s->tab || !s->acc || !s->fsum)
            return pol__fail(run, POL_ERR_NOMEM, "oom");
        for (size_t m = 0; m < s->T; m++)
            s->win[m] = (float)(0.5 - 0.5 * cos(2 * M_PI * (double)m / (double)s->T));
        s->proc = (pol__aproc){.latency = s->T, .channels = b->channels, .st = s,
                               .process = dprocess, .reset = dreset};
        if (!s->proc.fig && pol__want_figures(run)) /* pictures only for a report */
            s->proc.fig = pol__afig_new(b->total, b->channels, b->rate);
    }
    return pol__aproc_block(run, &s->proc, b, c);
}

static pol_status end(pol_run *run, void *p)
{
    dstate *s = p;
    if (s->off || !s->nh || !s->win) return POL_OK;
    if (s->proc.fig) pol__afig_attach(run, s->proc.fig, "dehum: before (left) and after (right): waveform, and spectrogram 50 Hz - 8 kHz (log frequency, 70 dB)");
    pol__measure(run, "tracked_hz_min", round(s->fmin_seen * 100) / 100);
    pol__measure(run, "tracked_hz_max", round(s->fmax_seen * 100) / 100);
    return POL_OK;
}

/* The applying pass's delay is its block, BLOCK_S at the rate (the rate capped at MAX_RATE). */
static size_t halo_at(double rate) { return (size_t)(BLOCK_S * (rate < MAX_RATE ? rate : MAX_RATE)) + 2; }

static const pol_op_stream stream = {
    .halo = (size_t)(BLOCK_S * MAX_RATE) + 2,
    .halo_at = halo_at,
    .measure_first = 1,
    .measure_ahead = 1, /* a cheap first measuring pass: made in the one before when it can */
    .measure_through = through,
    .begin = begin,
    .measure = measure,
    .decide = decide,
    .apply = apply,
    .end = end,
    .free = dfree,
};

static pol_status run_whole(pol_run *run, pol_asset *a, const pol_args *args)
{
    return pol__audio_run_stream(run, a, args, &stream);
}

const pol_op_desc pol__audio_op_dehum = {
    .domain = "audio",
    .name = "dehum",
    .summary = "Remove mains hum (50/60 Hz and harmonics, found and tracked)",
    .params = params,
    .n_params = POL_ARRAY_LEN(params),
    .run = run_whole,
    .flags = POL_OP_AUTO,
    .stream = &stream,
};
