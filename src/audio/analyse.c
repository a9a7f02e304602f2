/* polish — what inspect and the automatic steps measure, in one pass whose memory does not grow
 * with duration (a level byte per 20 ms frame apart): BS.1770-4 loudness and range, true peak,
 * sample peak, DC offset, clipping, frame levels (noise floor, speech level, SNR, pauses), and a
 * long-window average spectrum (hum fundamental and harmonics, rumble). */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "audio/audio.h"

#define LEV_BINS 260 /* frame level histogram, 0.5 dB bins from -130 dBFS */
#define LEV_LO (-130.0)

struct pol__aanalysis {
    int channels, rate;
    int spectrum_only;
    uint64_t frames;
    pol__loudmeter *lm;
    pol__truepeak tp;
    float tp_max, sp_max;
    double dc[8];
    uint64_t *clip_run; /* per channel: current run at full scale */
    uint64_t clipped;
    /* 20 ms frames */
    size_t fr_len, fr_fill;
    double fr_e;
    uint64_t lev_hist[LEV_BINS];
    unsigned char *levels;
    size_t n_levels, levels_cap;
    /* average spectrum */
    size_t nfft, fill;
    float *in, *win, *tmp;
    pol__cpx *out;
    pol__rfft *plan;
    double *psd;
    size_t n_spec;
};

pol__aanalysis *pol__aan_new(int channels, int rate, int what)
{
    pol__aanalysis *a = calloc(1, sizeof *a);
    if (!a) return NULL;
    a->channels = channels;
    a->rate = rate;
    a->spectrum_only = (what & POL_AAN_SPECTRUM) != 0;
    if ((what & POL_AAN_LOUDNESS) && !(a->lm = pol__loud_new(channels, rate))) goto fail;
    if (!pol__tp_init(&a->tp, channels)) goto fail;
    if (!(a->clip_run = calloc((size_t)channels, sizeof *a->clip_run))) goto fail;
    a->fr_len = (size_t)(rate / 50);
    if (a->fr_len < 1) a->fr_len = 1;
    a->nfft = 16; /* the FFT's smallest size here (rates under 11 Hz) */
    while (a->nfft < (size_t)(1.5 * rate) && a->nfft < (1u << 18)) a->nfft <<= 1;
    a->in = pol__fft_alloc(a->nfft * sizeof *a->in);
    a->win = malloc(a->nfft * sizeof *a->win);
    a->tmp = malloc(a->nfft * sizeof *a->tmp);
    a->out = pol__fft_alloc((a->nfft / 2 + 1) * sizeof *a->out);
    a->psd = calloc(a->nfft / 2 + 1, sizeof *a->psd);
    if (!a->in || !a->win || !a->tmp || !a->out || !a->psd) goto fail;
    for (size_t i = 0; i < a->nfft; i++)
        a->win[i] = (float)(0.5 - 0.5 * cos(2 * M_PI * (double)i / (double)a->nfft));
    a->plan = pol__rfft_new(a->nfft, 0);
    if (!a->plan) goto fail;
    return a;
fail:
    pol__aan_free(a);
    return NULL;
}

void pol__aan_free(pol__aanalysis *a)
{
    if (!a) return;
    pol__loud_free(a->lm);
    pol__tp_fini(&a->tp);
    free(a->clip_run);
    free(a->levels);
    pol__rfft_free(a->plan);
    pol__fft_free(a->in);
    pol__fft_free(a->out);
    free(a->win);
    free(a->tmp);
    free(a->psd);
    free(a);
}

static void spectrum_frame(pol__aanalysis *a)
{
    /* the buffer holds nfft samples; window a copy into the plan's input */
    float *tmp = a->tmp;
    memcpy(tmp, a->in, a->nfft * sizeof *tmp);
    for (size_t i = 0; i < a->nfft; i++) a->in[i] *= a->win[i];
    pol__rfft_fwd(a->plan, a->in, a->out);
    for (size_t k = 0; k <= a->nfft / 2; k++) {
        float re = a->out[k].r, im = a->out[k].i;
        a->psd[k] += (double)re * re + (double)im * im;
    }
    a->n_spec++;
    /* hop half a window */
    memcpy(a->in, tmp + a->nfft / 2, a->nfft / 2 * sizeof *tmp);
    a->fill = a->nfft / 2;
}

void pol__aan_add(pol__aanalysis *a, const float *x, size_t frames)
{
    int nc = a->channels;
    if (a->spectrum_only) {
        for (size_t i = 0; i < frames;) {
            size_t m = a->nfft - a->fill < frames - i ? a->nfft - a->fill : frames - i;
            float *dst = a->in + a->fill;
            const float *f = x + i * (size_t)nc;
            if (nc == 1) {
                memcpy(dst, f, m * sizeof *dst);
            } else {
                for (size_t j = 0; j < m; j++) {
                    double sum = 0;
                    for (int c = 0; c < nc; c++) sum += f[j * (size_t)nc + (size_t)c];
                    dst[j] = (float)(sum / nc);
                }
            }
            a->fill += m;
            i += m;
            if (a->fill == a->nfft) spectrum_frame(a);
        }
        a->frames += frames;
        return;
    }
    if (a->lm) pol__loud_add(a->lm, x, frames, NULL);
    for (size_t i = 0; i < frames; i++) {
        const float *f = x + i * (size_t)nc;
        /* only the largest point is kept: a frame whose points provably stay under it so far
         * cannot change it */
        float t = pol__tp_push(&a->tp, f, a->tp_max);
        if (t > a->tp_max) a->tp_max = t;
        double mono = 0, e = 0;
        for (int c = 0; c < nc; c++) {
            float v = f[c], av = fabsf(v);
            if (av > a->sp_max) a->sp_max = av;
            if (c < 8) a->dc[c] += v;
            if (av >= 0.999f) {
                if (++a->clip_run[c] == 3) a->clipped += 3;
                else if (a->clip_run[c] > 3) a->clipped++;
            } else {
                a->clip_run[c] = 0;
            }
            mono += v;
            e += (double)v * v;
        }
        a->fr_e += e / nc;
        if (++a->fr_fill == a->fr_len) {
            double l = pol__db(a->fr_e / (double)a->fr_len);
            int b = (int)floor((l - LEV_LO) * 2);
            if (b < 0) b = 0;
            if (b >= LEV_BINS) b = LEV_BINS - 1;
            a->lev_hist[b]++;
            if (a->n_levels == a->levels_cap) {
                size_t cap = a->levels_cap ? 2 * a->levels_cap : 4096;
                unsigned char *p = realloc(a->levels, cap);
                if (p) {
                    a->levels = p;
                    a->levels_cap = cap;
                }
            }
            if (a->n_levels < a->levels_cap) a->levels[a->n_levels++] = (unsigned char)(b / 2 < 255 ? b / 2 : 255);
            a->fr_e = 0;
            a->fr_fill = 0;
        }
        a->in[a->fill++] = (float)(mono / nc);
        if (a->fill == a->nfft) spectrum_frame(a);
    }
    a->frames += frames;
}

void pol__aan_weigh(pol__aanalysis *a, double (*power)(const void *ctx, double hz), const void *ctx)
{
    double df = (double)a->rate / (double)a->nfft;
    for (size_t k = 0; k <= a->nfft / 2; k++) a->psd[k] *= power(ctx, (double)k * df);
}

static double percentile(const uint64_t *h, int n, double q)
{
    uint64_t tot = 0;
    for (int i = 0; i < n; i++) tot += h[i];
    if (!tot) return LEV_LO;
    uint64_t acc = 0;
    for (int i = 0; i < n; i++) {
        acc += h[i];
        if ((double)acc >= q * (double)tot) return LEV_LO + (i + 0.5) / 2;
    }
    return LEV_LO + n / 2.0;
}

static int cmp_d(const void *x, const void *y)
{
    double a = *(const double *)x, b = *(const double *)y;
    return a < b ? -1 : a > b;
}

/* Peak power near f (within +-tol Hz) against the median power of its neighbourhood. */
static double line_excess(const pol__aanalysis *a, double f, double tol, double *where)
{
    double df = (double)a->rate / (double)a->nfft;
    size_t nb = a->nfft / 2 + 1;
    long lo = (long)floor((f - tol) / df), hi = (long)ceil((f + tol) / df);
    if (lo < 1) lo = 1;
    if (hi >= (long)nb - 1) return 0;
    long best = lo;
    for (long k = lo; k <= hi; k++)
        if (a->psd[k] > a->psd[best]) best = k;
    /* a line is a local maximum inside the window, not the skirt of something beside it */
    if (best == lo || best == hi) return 0;
    double nbuf[512];
    int m = 0;
    long span = (long)ceil(15 / df), guard = (long)ceil(4 / df) + 1;
    for (long k = best - span; k <= best + span && m < 512; k++)
        if (k >= 1 && k < (long)nb && labs(k - best) > guard) nbuf[m++] = a->psd[k];
    if (m < 4) return 0;
    qsort(nbuf, (size_t)m, sizeof *nbuf, cmp_d);
    double med = nbuf[m / 2];
    /* parabolic interpolation of the peak's position */
    double y0 = a->psd[best - 1], y1 = a->psd[best], y2 = a->psd[best + 1];
    double d = (y0 - 2 * y1 + y2) != 0 ? 0.5 * (y0 - y2) / (y0 - 2 * y1 + y2) : 0;
    if (where) *where = ((double)best + d) * df;
    return pol__db(y1) - pol__db(med > 1e-30 ? med : 1e-30);
}

void pol__aan_finish(pol__aanalysis *a, pol__afindings *f)
{
    memset(f, 0, sizeof *f);
    f->seconds = (double)a->frames / a->rate;
    f->loudness = a->lm ? pol__loud_integrated(a->lm) : -HUGE_VAL;
    f->lra = a->lm ? pol__loud_range(a->lm) : 0;
    f->true_peak_db = 20 * log10(a->tp_max > 1e-15f ? a->tp_max : 1e-15);
    f->sample_peak_db = 20 * log10(a->sp_max > 1e-15f ? a->sp_max : 1e-15);
    for (int c = 0; c < a->channels && c < 8; c++) {
        f->dc[c] = a->frames ? a->dc[c] / (double)a->frames : 0;
        if (fabs(f->dc[c]) > fabs(f->dc_max)) f->dc_max = f->dc[c];
    }
    f->clipped = a->clipped;
    f->clipped_fraction = a->frames ? (double)a->clipped / ((double)a->frames * a->channels) : 0;
    /* levels */
    f->noise_floor_db = percentile(a->lev_hist, LEV_BINS, 0.10);
    f->speech_level_db = percentile(a->lev_hist, LEV_BINS, 0.95);
    f->snr_db = f->speech_level_db - f->noise_floor_db;
    /* pauses: runs of >= 0.3 s below the threshold, between the first and last active frame */
    double thr = f->noise_floor_db + fmax(6, fmin(15, f->snr_db / 3));
    size_t first = a->n_levels, last = 0, active = 0;
    for (size_t i = 0; i < a->n_levels; i++) {
        double l = LEV_LO + a->levels[i];
        if (l > thr) {
            if (first == a->n_levels) first = i;
            last = i;
            active++;
        }
    }
    f->speech_fraction = a->n_levels ? (double)active / (double)a->n_levels : 0;
    if (f->snr_db < 6) f->speech_fraction = 0; /* flat level: nothing stands above the floor */
    size_t run = 0;
    for (size_t i = first; i <= last && i < a->n_levels; i++) {
        double l = LEV_LO + a->levels[i];
        if (l <= thr) {
            run++;
            continue;
        }
        if (run * 20 >= 300) {
            double s = (double)run * 0.02;
            f->pauses++;
            f->pause_total += s;
            if (s > f->pause_longest) f->pause_longest = s;
        }
        run = 0;
    }
    f->pause_mean = f->pauses ? f->pause_total / f->pauses : 0;
    /* flush a partial spectrum window when the input was shorter than one */
    if (!a->n_spec && a->fill > a->nfft / 4) {
        memset(a->in + a->fill, 0, (a->nfft - a->fill) * sizeof *a->in);
        spectrum_frame(a);
    }
    if (!a->n_spec) return;
    /* hum: 50 or 60 Hz and its harmonics */
    double best_score = 0;
    for (int base = 50; base <= 60; base += 10) {
        double score = 0, wsum = 0, fsum = 0, strongest = 0;
        int found = 0, harm[32] = {0};
        double fund = line_excess(a, base, 1.5, NULL);
        for (int h = 1; h <= 24 && h * base < 2000 && h * base < a->rate / 2 - 50; h++) {
            double where = 0;
            double ex = line_excess(a, h * base, fmax(1.5, 0.01 * h * base), &where);
            if (ex >= 10) {
                found++;
                harm[h - 1] = 1;
                score += ex;
                wsum += ex;
                fsum += ex * where / h;
                if (ex > strongest) strongest = ex;
            }
        }
        /* lines between the harmonics too (at fifths, thirds and halves of the base) mean a comb of
         * another period: a synthetic tone's, music's; not mains hum */
        int alien = 0;
        for (int h = 0; h <= 12 && (h + 1) * base < a->rate / 2 - 50; h++) {
            static const double frac[] = {0.2, 1.0 / 3, 0.4, 0.5, 0.6, 2.0 / 3, 0.8};
            for (size_t k = 0; k < POL_ARRAY_LEN(frac); k++)
                if (line_excess(a, (h + frac[k]) * base, 1.5, NULL) >= 10) {
                    alien++;
                    break;
                }
        }
        int hum = ((found >= 2 && score >= 25) || fund >= 20) && alien * 2 < found + 1;
        if (hum && score > best_score) {
            best_score = score;
            f->hum_hz = wsum > 0 ? fsum / wsum : base;
            f->n_hum = found;
            f->hum_db = strongest;
            memcpy(f->hum_harmonics, harm, sizeof harm);
        }
    }
    /* rumble: the power density from 15 to 60 Hz (hum lines left out) against that from 150 to
     * 600 Hz, counted only when the low band is noise-like (flat), not the lines of bass notes */
    double df = (double)a->rate / (double)a->nfft, low = 0, mid = 0, lsum = 0;
    size_t nlow = 0, nmid = 0;
    for (size_t k = 1; k <= a->nfft / 2; k++) {
        double fk = (double)k * df;
        if (fk >= 15 && fk < 60 && fabs(fk - 50) > 3 && (f->hum_hz <= 0 || fabs(fk - f->hum_hz) > 3)) {
            low += a->psd[k];
            lsum += log(a->psd[k] + 1e-30);
            nlow++;
        }
        if (fk >= 150 && fk < 600) {
            mid += a->psd[k];
            nmid++;
        }
    }
    f->rumble_db = nlow && nmid && mid > 0 ? pol__db((low / nlow) / (mid / nmid)) : -300;
    f->rumble_flatness = nlow && low > 0 ? exp(lsum / nlow) / (low / nlow) : 0;
}

pol_status pol__aan_whole(pol_run *run, const pol__audio *a, int want_loudness,
                          pol__afindings *f)
{
    pol__aanalysis *an = pol__aan_new(a->channels, a->rate, want_loudness ? POL_AAN_LOUDNESS : 0);
    if (!an) return pol__fail(run, POL_ERR_NOMEM, "out of memory");
    pol__aan_add(an, a->x, (size_t)a->frames);
    pol__aan_finish(an, f);
    pol__aan_free(an);
    return POL_OK;
}

void pol__aan_report(pol_run *run, const pol__afindings *f)
{
    pol__measure(run, "seconds", round(f->seconds * 1000) / 1000);
    if (isfinite(f->loudness)) pol__measure(run, "loudness_lufs", round(f->loudness * 100) / 100);
    else pol__measure_str(run, "loudness_lufs", "silent (every block below the -70 LUFS gate)");
    pol__measure(run, "loudness_range_lu", round(f->lra * 10) / 10);
    pol__measure(run, "true_peak_dbtp", round(f->true_peak_db * 100) / 100);
    pol__measure(run, "sample_peak_dbfs", round(f->sample_peak_db * 100) / 100);
    pol__measure(run, "noise_floor_dbfs", round(f->noise_floor_db * 10) / 10);
    pol__measure(run, "speech_level_dbfs", round(f->speech_level_db * 10) / 10);
    pol__measure(run, "snr_db", round(f->snr_db * 10) / 10);
    if (f->hum_hz > 0) {
        pol__measure(run, "hum_hz", round(f->hum_hz * 100) / 100);
        pol__jv *h = pol__jv_arr();
        for (int k = 0; k < 32; k++)
            if (f->hum_harmonics[k]) pol__jv_push(h, pol__jv_int(k + 1));
        pol__measure_jv(run, "hum_harmonics", h);
        pol__measure(run, "hum_peak_db", round(f->hum_db * 10) / 10);
    } else {
        pol__measure_bool(run, "hum", 0);
    }
    pol__measure(run, "rumble_db", round(f->rumble_db * 10) / 10);
    pol__measure(run, "rumble_flatness", round(f->rumble_flatness * 1000) / 1000);
    pol__measure(run, "dc_offset", round(f->dc_max * 1e6) / 1e6);
    pol__measure_int(run, "clipped_samples", (long long)f->clipped);
    pol__measure_int(run, "pauses", f->pauses);
    pol__measure(run, "pause_seconds_total", round(f->pause_total * 100) / 100);
    pol__measure(run, "pause_longest_s", round(f->pause_longest * 100) / 100);
    pol__measure(run, "pause_mean_s", round(f->pause_mean * 100) / 100);
    pol__measure(run, "speech_fraction", round(f->speech_fraction * 1000) / 1000);
}

size_t pol__aan_activity(const pol__aanalysis *a, const pol__afindings *f, unsigned char *act,
                         size_t cap)
{
    /* the threshold the pause statistics use */
    double thr = f->noise_floor_db + fmax(6, fmin(15, f->snr_db / 3));
    size_t n = a->n_levels < cap ? a->n_levels : cap;
    for (size_t i = 0; act && i < n; i++)
        act[i] = f->snr_db >= 6 && LEV_LO + a->levels[i] > thr;
    return a->n_levels;
}
