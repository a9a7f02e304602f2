/* polish — audio DSP shared by the ops: K-weighting, the BS.1770-4 loudness meter, the 4x
 * oversampling true-peak detector, the FFT lock, and the processor adapter that runs a causal
 * processor with latency over whole items or streamed blocks with the latency compensated. */
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <libavutil/mem.h>
#include <libavutil/tx.h>
#include "audio/audio.h"

double pol__db(double power) { return power > 1e-30 ? 10 * log10(power) : -300; }

/* ---- K-weighting (ITU-R BS.1770-4 annex 1), derived for any rate from its analog design ---- */

void pol__kweight(double fs, pol__biquad *shelf, pol__biquad *hp)
{
    /* stage 1: high shelf, +4 dB above ~1.7 kHz */
    double f0 = 1681.974450955533, g = 3.999843853973347, q = 0.7071752369554196;
    double k = tan(M_PI * f0 / fs), vh = pow(10, g / 20), vb = pow(vh, 0.4996667741545416);
    double a0 = 1 + k / q + k * k;
    shelf->b0 = (vh + vb * k / q + k * k) / a0;
    shelf->b1 = 2 * (k * k - vh) / a0;
    shelf->b2 = (vh - vb * k / q + k * k) / a0;
    shelf->a1 = 2 * (k * k - 1) / a0;
    shelf->a2 = (1 - k / q + k * k) / a0;
    /* stage 2: the RLB high-pass */
    f0 = 38.13547087602444;
    q = 0.5003270373238773;
    k = tan(M_PI * f0 / fs);
    a0 = 1 + k / q + k * k;
    hp->b0 = 1;
    hp->b1 = -2;
    hp->b2 = 1;
    hp->a1 = 2 * (k * k - 1) / a0;
    hp->a2 = (1 - k / q + k * k) / a0;
}

/* ---- true peak: 4x polyphase interpolation (BS.1770-4 annex 2) ---------------------------- */

static float tp_coef[POL_TP_PHASES][POL_TP_TAPS];
static float tp_coef_t[POL_TP_TAPS][POL_TP_PHASES]; /* the same, tap by tap: four phases a vector */
static pthread_once_t tp_once = PTHREAD_ONCE_INIT;
static float tp_gain; /* max over phases of the sum of |coefficient|: see pol__tp_bound */
typedef float v4f __attribute__((vector_size(16)));
typedef int32_t v4i __attribute__((vector_size(16)));
static v4f tp_splat[POL_TP_TAPS][POL_TP_PHASES]; /* each coefficient four times */

static void tp_design(void)
{
    int n = POL_TP_PHASES * POL_TP_TAPS;
    double c = (n - 1) / 2.0;
    for (int p = 0; p < POL_TP_PHASES; p++) {
        double sum = 0;
        for (int k = 0; k < POL_TP_TAPS; k++) {
            int i = k * POL_TP_PHASES + p;
            double t = (i - c) / POL_TP_PHASES;
            double s = fabs(t) < 1e-9 ? 1 : sin(M_PI * t) / (M_PI * t);
            /* Blackman-Harris window */
            double w = 2 * M_PI * i / (n - 1);
            double win = 0.35875 - 0.48829 * cos(w) + 0.14128 * cos(2 * w) - 0.01168 * cos(3 * w);
            tp_coef[p][POL_TP_TAPS - 1 - k] = (float)(s * win);
            sum += s * win;
        }
        for (int k = 0; k < POL_TP_TAPS; k++) tp_coef[p][k] = (float)(tp_coef[p][k] / sum);
    }
    for (int p = 0; p < POL_TP_PHASES; p++)
        for (int k = 0; k < POL_TP_TAPS; k++) tp_coef_t[k][p] = tp_coef[p][k];
    for (int k = 0; k < POL_TP_TAPS; k++)
        for (int p = 0; p < POL_TP_PHASES; p++)
            tp_splat[k][p] = (v4f){tp_coef_t[k][p], tp_coef_t[k][p], tp_coef_t[k][p], tp_coef_t[k][p]};
    /* summed in double and rounded up a little, so float rounding in the filter cannot beat it */
    double g = 0;
    for (int p = 0; p < POL_TP_PHASES; p++) {
        double a = 0;
        for (int k = 0; k < POL_TP_TAPS; k++) a += fabs((double)tp_coef[p][k]);
        g = a > g ? a : g;
    }
    tp_gain = (float)(g * (1 + 1e-5));
}

float pol__tp_bound(void)
{
    pthread_once(&tp_once, tp_design);
    return tp_gain;
}

int pol__tp_init(pol__truepeak *t, int channels)
{
    pthread_once(&tp_once, tp_design);
    t->channels = channels;
    t->pos = 0;
    t->hist = calloc((size_t)channels * 2 * POL_TP_TAPS, sizeof *t->hist);
    return t->hist != NULL;
}

void pol__tp_fini(pol__truepeak *t)
{
    free(t->hist);
    t->hist = NULL;
}

void pol__tp_reset(pol__truepeak *t)
{
    if (t->hist) memset(t->hist, 0, (size_t)t->channels * 2 * POL_TP_TAPS * sizeof *t->hist);
    t->pos = 0;
}

float pol__tp_push(pol__truepeak *t, const float *frame, float floor)
{
    float peak = 0;
    int pos = t->pos;
    t->pos = pos + 1 == POL_TP_TAPS ? 0 : pos + 1;
    for (int ch = 0; ch < t->channels; ch++) {
        float *r = t->hist + (size_t)ch * 2 * POL_TP_TAPS;
        r[pos] = r[pos + POL_TP_TAPS] = frame[ch];
        const float *h = r + pos + 1; /* the last TAPS frames, oldest first */
        float a = fabsf(frame[ch]);
        if (a > peak) peak = a;
        /* no interpolated point exceeds the window's largest |sample| times the bound (the
         * middle taps alone prove nothing: the points between them can be larger) */
        float big = 0;
        for (int k = 0; k < POL_TP_TAPS; k++) {
            float v = fabsf(h[k]);
            big = v > big ? v : big;
        }
        if (big * tp_gain < floor) continue;
        float acc[POL_TP_PHASES] = {0};
        for (int k = 0; k < POL_TP_TAPS; k++)
            for (int p = 0; p < POL_TP_PHASES; p++) acc[p] += tp_coef_t[k][p] * h[k];
        for (int p = 0; p < POL_TP_PHASES; p++) {
            float s = fabsf(acc[p]);
            if (s > peak) peak = s;
        }
    }
    return peak;
}

#define TP_RUN 8     /* pol__tp_block: frames a skip is decided for (a multiple of 4) */
static inline v4f v4_abs(v4f a)
{
    v4i b;
    memcpy(&b, &a, sizeof b);
    b &= 0x7fffffff;
    memcpy(&a, &b, sizeof a);
    return a;
}
static inline v4f v4_max(v4f a, v4f b) /* a > b ? a : b, lane by lane */
{
    v4i m = a > b, ai, bi;
    memcpy(&ai, &a, sizeof ai);
    memcpy(&bi, &b, sizeof bi);
    ai = (ai & m) | (bi & ~m);
    memcpy(&a, &ai, sizeof a);
    return a;
}
#define TP_CHUNK 1024 /* frames of one channel laid out together */

void pol__tp_block(pol__truepeak *t, const float *x, size_t n, float floor, float *peak)
{
    size_t nc = (size_t)t->channels;
    /* the sample peaks first; the channels' interpolated points then raise them */
    for (size_t j = 0; j < n; j++) {
        float a = 0;
        for (size_t ch = 0; ch < nc; ch++) {
            float v = fabsf(x[j * nc + ch]);
            a = v > a ? v : a;
        }
        peak[j] = a;
    }
    /* a short last run reads past its end: zeros there (the points it gives are not kept) */
    float buf[POL_TP_TAPS - 1 + TP_CHUNK + TP_RUN];
    for (size_t ch = 0; ch < nc; ch++) {
        float *r = t->hist + ch * 2 * POL_TP_TAPS;
        /* the channel as one run of samples: the TAPS - 1 before the block (from the ring, oldest
         * first), then the block's; frame j's window is buf[j, j + TAPS) */
        for (int k = 0; k < POL_TP_TAPS - 1; k++) buf[k] = r[t->pos + 1 + k];
        for (size_t c0 = 0; c0 < n; c0 += TP_CHUNK) {
            size_t m = n - c0 < TP_CHUNK ? n - c0 : TP_CHUNK;
            if (c0) /* the next chunk: the last TAPS - 1 samples carried over */
                memmove(buf, buf + TP_CHUNK, (POL_TP_TAPS - 1) * sizeof *buf);
            for (size_t j = 0; j < m; j++) buf[POL_TP_TAPS - 1 + j] = x[(c0 + j) * nc + ch];
            memset(buf + POL_TP_TAPS - 1 + m, 0, TP_RUN * sizeof *buf);
            for (size_t j0 = 0; j0 < m; j0 += TP_RUN) {
                size_t q = m - j0 < TP_RUN ? m - j0 : TP_RUN;
                const float *w = buf + j0;
                float big = 0;
                for (size_t k = 0; k < q + POL_TP_TAPS - 1; k++) {
                    float v = fabsf(w[k]);
                    big = v > big ? v : big;
                }
                if (big * tp_gain < floor) continue; /* no interpolated point here reaches it */
                /* each phase over the run's frames, four frames a vector; the taps summed in
                 * the order pol__tp_push sums them, so the points are the same to the bit */
                v4f acc[POL_TP_PHASES][TP_RUN / 4] = {{{0}}};
                for (int k = 0; k < POL_TP_TAPS; k++) {
                    v4f in[TP_RUN / 4];
                    for (int u = 0; u < TP_RUN / 4; u++) memcpy(&in[u], w + k + 4 * u, sizeof in[u]);
                    for (int p = 0; p < POL_TP_PHASES; p++) {
                        v4f cpk = tp_splat[k][p];
                        for (int u = 0; u < TP_RUN / 4; u++) acc[p][u] += cpk * in[u];
                    }
                }
                float *pk = peak + c0 + j0;
                for (int u = 0; u < TP_RUN / 4; u++) {
                    v4f best = v4_abs(acc[0][u]);
                    for (int p = 1; p < POL_TP_PHASES; p++) best = v4_max(best, v4_abs(acc[p][u]));
                    float b4[4];
                    memcpy(b4, &best, sizeof b4);
                    for (int j = 0; j < 4 && (size_t)(4 * u + j) < q; j++)
                        pk[4 * u + j] = b4[j] > pk[4 * u + j] ? b4[j] : pk[4 * u + j];
                }
            }
        }
    }
    /* the rings take the block's last frames */
    size_t from = n > POL_TP_TAPS ? n - POL_TP_TAPS : 0;
    int pos = t->pos;
    for (size_t j = from; j < n; j++) {
        for (size_t ch = 0; ch < nc; ch++) {
            float *r = t->hist + ch * 2 * POL_TP_TAPS;
            r[pos] = r[pos + POL_TP_TAPS] = x[j * nc + ch];
        }
        pos = pos + 1 == POL_TP_TAPS ? 0 : pos + 1;
    }
    t->pos = pos;
}

/* ---- loudness meter ------------------------------------------------------------------------ */

#define HIST_LO (-70.0)
#define HIST_STEP 0.01
#define HIST_N 8000 /* -70 .. +10 LUFS */
#define ST_STEP 0.1
#define ST_N 800

struct pol__loudmeter {
    int channels;
    double rate;
    pol__biquad shelf, hp;
    double *z;     /* channels x 4 filter states */
    double *w;     /* channel weights */
    size_t sub_len, sub_fill; /* 100 ms sub-blocks */
    double sub_e;
    double ring[30];
    size_t n_sub;
    /* gating histograms: block energies summed per 0.01 LU bin */
    uint64_t *cnt;
    double *esum;
    uint64_t *st_cnt; /* short-term (3 s) loudness per 0.1 LU for LRA */
};

pol__loudmeter *pol__loud_new(int channels, double rate)
{
    pol__loudmeter *m = calloc(1, sizeof *m);
    if (!m) return NULL;
    m->channels = channels;
    m->rate = rate;
    pol__kweight(rate, &m->shelf, &m->hp);
    m->z = calloc((size_t)channels * 4, sizeof *m->z);
    m->w = calloc((size_t)channels, sizeof *m->w);
    m->cnt = calloc(HIST_N, sizeof *m->cnt);
    m->esum = calloc(HIST_N, sizeof *m->esum);
    m->st_cnt = calloc(ST_N, sizeof *m->st_cnt);
    if (!m->z || !m->w || !m->cnt || !m->esum || !m->st_cnt) {
        pol__loud_free(m);
        return NULL;
    }
    for (int c = 0; c < channels; c++) m->w[c] = 1;
    if (channels == 6) { /* 5.1: L R C LFE Ls Rs */
        m->w[3] = 0;
        m->w[4] = m->w[5] = 1.41;
    } else if (channels == 5) {
        m->w[3] = m->w[4] = 1.41;
    }
    m->sub_len = (size_t)llround(rate / 10);
    if (m->sub_len < 1) m->sub_len = 1;
    return m;
}

void pol__loud_free(pol__loudmeter *m)
{
    if (!m) return;
    free(m->z);
    free(m->w);
    free(m->cnt);
    free(m->esum);
    free(m->st_cnt);
    free(m);
}

void pol__loud_reset(pol__loudmeter *m)
{
    memset(m->z, 0, (size_t)m->channels * 4 * sizeof *m->z);
    memset(m->cnt, 0, HIST_N * sizeof *m->cnt);
    memset(m->esum, 0, HIST_N * sizeof *m->esum);
    memset(m->st_cnt, 0, ST_N * sizeof *m->st_cnt);
    m->sub_fill = 0;
    m->sub_e = 0;
    m->n_sub = 0;
}

static void sub_done(pol__loudmeter *m)
{
    double e = m->sub_e / (double)m->sub_len;
    memmove(m->ring, m->ring + 1, 29 * sizeof m->ring[0]);
    m->ring[29] = e;
    m->n_sub++;
    m->sub_e = 0;
    m->sub_fill = 0;
    if (m->n_sub >= 4) {
        double z = (m->ring[26] + m->ring[27] + m->ring[28] + m->ring[29]) / 4;
        double l = -0.691 + pol__db(z);
        if (l > HIST_LO) {
            long b = (long)floor((l - HIST_LO) / HIST_STEP);
            if (b >= HIST_N) b = HIST_N - 1;
            m->cnt[b]++;
            m->esum[b] += z;
        }
    }
    if (m->n_sub >= 30) {
        double z = 0;
        for (int i = 0; i < 30; i++) z += m->ring[i];
        double l = -0.691 + pol__db(z / 30);
        if (l > HIST_LO) {
            long b = (long)floor((l - HIST_LO) / ST_STEP);
            if (b >= ST_N) b = ST_N - 1;
            m->st_cnt[b]++;
        }
    }
}

double pol__loud_kw(pol__loudmeter *m, const float *f)
{
    double e;
    pol__loud_kw_block(m, f, 1, &e);
    return e;
}

/* Two channels at once: the same operations in the same order as one channel at a time, so the
 * energies are the same to the bit (x86-64's baseline has no fused multiply-add to change them). */
typedef double v2d __attribute__((vector_size(16)));

void pol__loud_kw_block(pol__loudmeter *m, const float *x, size_t n, double *e_out)
{
    const pol__biquad *s = &m->shelf, *h = &m->hp;
    size_t nc = (size_t)m->channels, c = 0;
    /* channels in pairs, each pair's filters in vectors over the block; the sums per frame are
     * still made channel by channel in order (e = 0 + w0 y0^2 + w1 y1^2 + ...; the first channel
     * stores its term, which is 0 + it, so e_out need not be zeroed first) */
    if (!nc)
        for (size_t i = 0; i < n; i++) e_out[i] = 0;
    for (; c + 2 <= nc; c += 2) {
        double *za = m->z + 4 * c, *zb = za + 4;
        v2d z0 = {za[0], zb[0]}, z1 = {za[1], zb[1]}, z2 = {za[2], zb[2]}, z3 = {za[3], zb[3]};
        const v2d sb0 = {s->b0, s->b0}, sb1 = {s->b1, s->b1}, sb2 = {s->b2, s->b2};
        const v2d sa1 = {s->a1, s->a1}, sa2 = {s->a2, s->a2};
        const v2d hb0 = {h->b0, h->b0}, hb1 = {h->b1, h->b1}, hb2 = {h->b2, h->b2};
        const v2d ha1 = {h->a1, h->a1}, ha2 = {h->a2, h->a2};
        const v2d w = {m->w[c], m->w[c + 1]};
        const float *f = x + c;
        for (size_t i = 0; i < n; i++, f += nc) {
            v2d v = {f[0], f[1]};
            v2d y1 = sb0 * v + z0;
            z0 = sb1 * v - sa1 * y1 + z1;
            z1 = sb2 * v - sa2 * y1;
            v2d y2 = hb0 * y1 + z2;
            z2 = hb1 * y1 - ha1 * y2 + z3;
            z3 = hb2 * y1 - ha2 * y2;
            v2d t = w * y2 * y2;
            double e = c ? e_out[i] + t[0] : t[0];
            e_out[i] = e + t[1];
        }
        za[0] = z0[0], za[1] = z1[0], za[2] = z2[0], za[3] = z3[0];
        zb[0] = z0[1], zb[1] = z1[1], zb[2] = z2[1], zb[3] = z3[1];
    }
    for (; c < nc; c++) {
        double *z = m->z + 4 * c, w = m->w[c];
        const float *f = x + c;
        for (size_t i = 0; i < n; i++, f += nc) {
            double v = *f;
            double y1 = s->b0 * v + z[0];
            z[0] = s->b1 * v - s->a1 * y1 + z[1];
            z[1] = s->b2 * v - s->a2 * y1;
            double y2 = h->b0 * y1 + z[2];
            z[2] = h->b1 * y1 - h->a1 * y2 + z[3];
            z[3] = h->b2 * y1 - h->a2 * y2;
            e_out[i] = c ? e_out[i] + w * y2 * y2 : w * y2 * y2;
        }
    }
}

pol_status pol__chunk_kw(pol_run *run, const pol__chunk *c, const double **e)
{
    const pol__ablock *b = pol__ablock_of(c);
    pol__akw *k = b->kw;
    *e = NULL;
    if (!k) return POL_OK;
    if (k->have && k->start == c->start && k->n == c->n) {
        *e = k->e;
        return POL_OK;
    }
    if (!k->m && !(k->m = pol__loud_new(b->channels, b->rate)))
        return pol__fail(run, POL_ERR_NOMEM, "out of memory");
    if (c->start != k->next)
        return pol__fail(run, POL_ERR_INTERNAL, "shared K-weighting: frames %llu asked for at %llu",
                         (unsigned long long)c->start, (unsigned long long)k->next);
    if (c->n > k->cap) {
        pol_status st = pol__mem_reserve(run, (c->n - k->cap) * sizeof *k->e, "K-weighted energies");
        if (st) return st;
        double *ne = realloc(k->e, c->n * sizeof *ne);
        if (!ne) return pol__fail(run, POL_ERR_NOMEM, "out of memory");
        k->e = ne;
        k->cap = c->n;
    }
    pol__loud_kw_block(k->m, pol__chunk_core(c), c->n, k->e);
    k->start = c->start;
    k->n = c->n;
    k->next = c->start + c->n;
    k->have = 1;
    *e = k->e;
    return POL_OK;
}

void pol__akw_fini(pol__akw *k)
{
    pol__loud_free(k->m);
    free(k->e);
    memset(k, 0, sizeof *k);
}

void pol__loud_push(pol__loudmeter *m, double e)
{
    m->sub_e += e;
    if (++m->sub_fill == m->sub_len) sub_done(m);
}

void pol__loud_push_sum(pol__loudmeter *m, double e_sum, size_t n)
{
    m->sub_e += e_sum;
    m->sub_fill += n;
    if (m->sub_fill >= m->sub_len) sub_done(m);
}

size_t pol__loud_sub_len(const pol__loudmeter *m) { return m->sub_len; }

/* The energies of n frames (each times gain[i]^2 when gain is not NULL) added in order, a
 * sub-block's run at a time in a register: the same sums as one frame at a time. */
static void push_block(pol__loudmeter *m, const double *e, const float *gain, size_t n)
{
    for (size_t i = 0; i < n;) {
        size_t k = m->sub_len - m->sub_fill < n - i ? m->sub_len - m->sub_fill : n - i;
        double se = m->sub_e;
        if (gain)
            for (size_t j = i; j < i + k; j++) se += e[j] * ((double)gain[j] * gain[j]);
        else
            for (size_t j = i; j < i + k; j++) se += e[j];
        m->sub_e = se;
        m->sub_fill += k;
        i += k;
        if (m->sub_fill == m->sub_len) sub_done(m);
    }
}

void pol__loud_push_block(pol__loudmeter *m, const double *e, size_t n) { push_block(m, e, NULL, n); }

void pol__loud_add(pol__loudmeter *m, const float *x, size_t frames, const float *gain)
{
    double e[512];
    size_t nc = (size_t)m->channels;
    for (size_t i0 = 0; i0 < frames; i0 += 512) {
        size_t k = frames - i0 < 512 ? frames - i0 : 512;
        pol__loud_kw_block(m, x + i0 * nc, k, e);
        push_block(m, e, gain ? gain + i0 : NULL, k);
    }
}

double pol__loud_integrated(const pol__loudmeter *m)
{
    double sum = 0;
    uint64_t n = 0;
    for (int b = 0; b < HIST_N; b++) {
        sum += m->esum[b];
        n += m->cnt[b];
    }
    if (!n) return -HUGE_VAL;
    double rel = -0.691 + pol__db(sum / (double)n) - 10;
    sum = 0;
    n = 0;
    for (int b = 0; b < HIST_N; b++) {
        double centre = HIST_LO + (b + 0.5) * HIST_STEP;
        if (centre <= rel) continue;
        sum += m->esum[b];
        n += m->cnt[b];
    }
    if (!n) return -HUGE_VAL;
    return -0.691 + pol__db(sum / (double)n);
}

double pol__loud_range(const pol__loudmeter *m)
{
    /* EBU Tech 3342: short-term loudness, absolute gate -70, relative gate -20 LU, P95 - P10 */
    double esum = 0;
    uint64_t n = 0;
    for (int b = 0; b < ST_N; b++) {
        double l = HIST_LO + (b + 0.5) * ST_STEP;
        esum += (double)m->st_cnt[b] * pow(10, (l + 0.691) / 10);
        n += m->st_cnt[b];
    }
    if (!n) return 0;
    double rel = -0.691 + pol__db(esum / (double)n) - 20;
    uint64_t total = 0;
    int first = 0;
    for (int b = 0; b < ST_N; b++) {
        if (HIST_LO + (b + 0.5) * ST_STEP <= rel) {
            first = b + 1;
            continue;
        }
        total += m->st_cnt[b];
    }
    if (!total) return 0;
    double lo = 0, hi = 0;
    uint64_t acc = 0;
    int got_lo = 0;
    for (int b = first; b < ST_N; b++) {
        acc += m->st_cnt[b];
        double l = HIST_LO + (b + 0.5) * ST_STEP;
        if (!got_lo && (double)acc >= 0.10 * (double)total) {
            lo = l;
            got_lo = 1;
        }
        if ((double)acc >= 0.95 * (double)total) {
            hi = l;
            break;
        }
    }
    return hi - lo;
}

/* ---- FFT plans ----------------------------------------------------------------------------- */

static pthread_mutex_t fft_mu = PTHREAD_MUTEX_INITIALIZER;
void pol__fft_lock(void) { pthread_mutex_lock(&fft_mu); }
void pol__fft_unlock(void) { pthread_mutex_unlock(&fft_mu); }

_Static_assert(sizeof(pol__cpx) == sizeof(AVComplexFloat), "pol__cpx is laid out as AVComplexFloat");

struct pol__rfft {
    AVTXContext *ctx;
    av_tx_fn fn;
};

pol__rfft *pol__rfft_new(size_t n, int inverse)
{
    pol__rfft *f = calloc(1, sizeof *f);
    if (!f || n < 4 || n > (1u << 24)) {
        free(f);
        return NULL;
    }
    float scale = 1.0f;
    pol__fft_lock();
    int r = av_tx_init(&f->ctx, &f->fn, AV_TX_FLOAT_RDFT, inverse, (int)n, &scale, 0);
    pol__fft_unlock();
    if (r < 0) {
        free(f);
        return NULL;
    }
    return f;
}

void pol__rfft_free(pol__rfft *f)
{
    if (!f) return;
    av_tx_uninit(&f->ctx);
    free(f);
}

void pol__rfft_fwd(pol__rfft *f, float *in, pol__cpx *out) { f->fn(f->ctx, out, in, sizeof(float)); }
void pol__rfft_inv(pol__rfft *f, pol__cpx *in, float *out) { f->fn(f->ctx, out, in, sizeof(AVComplexFloat)); }
void *pol__fft_alloc(size_t bytes) { return av_mallocz(bytes ? bytes : 1); }
void pol__fft_free(void *p) { av_free(p); }

/* ---- the processor adapter ----------------------------------------------------------------- */

#define SUB 4096 /* frames fed at a time */

static pol_status adapter_start(pol_run *run, pol__aproc *p, size_t halo)
{
    size_t nc = (size_t)p->channels;
    if (p->reset) p->reset(p->st);
    if (p->fig) pol__afig_reset(p->fig);
    p->fed = p->produced = 0;
    p->flushed = 0;
    size_t cap = 2 * halo + 1;
    if (!p->tmp && !(p->tmp = malloc(SUB * nc * sizeof *p->tmp)))
        return pol__fail(run, POL_ERR_NOMEM, "out of memory");
    if (cap > p->hist_cap || !p->hist) {
        free(p->hist);
        p->hist = malloc(cap * nc * sizeof *p->hist);
        if (!p->hist) return pol__fail(run, POL_ERR_NOMEM, "out of memory");
        p->hist_cap = cap;
    }
    p->begun = 1;
    return POL_OK;
}

/* Feeds `n` frames (NULL: zeros) and places the outputs: frames of the block get them in place,
 * and the ring keeps those the next block's context can ask for: the last hist_cap this call
 * produces (pol__aproc_block restores only frames that recent), not every one. */
static void feed(pol__aproc *p, const float *in, size_t n, float *blk, uint64_t s0, size_t len)
{
    size_t nc = (size_t)p->channels;
    static const float zeros[SUB * 8];
    float *zin = NULL;
    uint64_t end = p->fed + n > p->latency ? p->fed + n - p->latency : 0; /* produced by the end */
    uint64_t keep_from = end > p->hist_cap ? end - p->hist_cap : 0;
    while (n) {
        size_t m = n < SUB ? n : SUB;
        const float *src = in;
        if (!in) {
            if (nc <= 8) {
                src = zeros;
            } else {
                zin = zin ? zin : calloc(SUB * nc, sizeof *zin);
                if (!zin) return;
                src = zin;
            }
        }
        p->process(p->st, src, p->tmp, m);
        if (p->fig && in)
            for (size_t i = 0; i < m; i++) pol__afig_add(p->fig, 0, p->fed + i, src + i * nc);
        /* outputs for frames [fed - L, fed + m - L): the ring and the block get them in runs */
        size_t i0 = p->fed >= p->latency ? 0 : (size_t)(p->latency - p->fed < m ? p->latency - p->fed : m);
        if (i0 < m) {
            uint64_t g0 = p->fed + i0 - p->latency, g1 = p->fed + m - p->latency;
            const float *o = p->tmp + i0 * nc;
            if (p->fig)
                for (uint64_t g = g0; g < g1; g++) pol__afig_add(p->fig, 1, g, o + (size_t)(g - g0) * nc);
            for (uint64_t g = g0 > keep_from ? g0 : keep_from; g < g1;) {
                size_t slot = (size_t)(g % p->hist_cap);
                size_t run = p->hist_cap - slot < g1 - g ? p->hist_cap - slot : (size_t)(g1 - g);
                memcpy(p->hist + slot * nc, o + (size_t)(g - g0) * nc, run * nc * sizeof *o);
                g += run;
            }
            uint64_t a = g0 > s0 ? g0 : s0, z = g1 < s0 + len ? g1 : s0 + len;
            if (a < z)
                memcpy(blk + (size_t)(a - s0) * nc, o + (size_t)(a - g0) * nc,
                       (size_t)(z - a) * nc * sizeof *o);
            p->produced = g1;
        }
        p->fed += m;
        n -= m;
        if (in) in += m * nc;
    }
    free(zin);
}

pol_status pol__aproc_block(pol_run *run, pol__aproc *p, pol__ablock *b, const pol__chunk *c)
{
    size_t nc = (size_t)p->channels;
    if (c->start == 0 || !p->begun) {
        pol_status st = adapter_start(run, p, b->halo);
        if (st) return st;
    }
    uint64_t s1 = b->s0 + b->len;
    if (b->halo && p->latency > b->halo)
        return pol__fail(run, POL_ERR_UNSUPPORTED,
                         "at %d Hz an op needs %zu frames of context, more than the %zu it declared",
                         b->rate, p->latency, b->halo);
    uint64_t produced_before = p->produced;
    /* the context before what this call produces: from the ring */
    for (uint64_t g = b->s0; g < produced_before && g < s1; g++) {
        if (produced_before - g > p->hist_cap) continue; /* older than the ring: left as is */
        memcpy(b->x + (size_t)(g - b->s0) * nc, p->hist + (size_t)(g % p->hist_cap) * nc,
               nc * sizeof(float));
    }
    if (p->fed < b->valid_end) {
        if (p->fed < b->s0) return pol__fail(run, POL_ERR_INTERNAL, "audio block skipped frames");
        /* fed from the block itself: feed() processes SUB frames [f, f + m) into p->tmp before it
         * places their outputs, frames [f - latency, f + m - latency), which lie before the
         * input still to come (f + m on), so no output overwrites input not yet read */
        size_t n = (size_t)(b->valid_end - p->fed);
        feed(p, b->x + (size_t)(p->fed - b->s0) * nc, n, b->x, b->s0, b->len);
    }
    if (c->last || (s1 == b->total && b->valid_end == s1)) {
        /* the block reaches the end of the stream (a short last chunk can leave the one before
         * it with all the remaining input): flush once */
        if (!p->flushed) feed(p, NULL, p->latency, b->x, b->s0, b->len);
        p->flushed = 1;
        b->valid_end = s1;
    } else {
        b->valid_end = p->produced < s1 ? p->produced : s1;
    }
    return POL_OK;
}

pol_status pol__aproc_whole(pol_run *run, pol__aproc *p, float *x, uint64_t frames)
{
    pol__ablock b = {.x = x, .channels = p->channels, .total = frames, .s0 = 0,
                     .len = (size_t)frames, .valid_end = frames, .halo = 0};
    pol__chunk c = {.data = &b, .start = 0, .n = (size_t)frames, .last = 1};
    p->begun = 0;
    return pol__aproc_block(run, p, &b, &c);
}

void pol__aproc_fini(pol__aproc *p)
{
    free(p->hist);
    free(p->tmp);
    p->hist = p->tmp = NULL;
    p->hist_cap = 0;
}

/* ---- an op's stream form over a whole asset ------------------------------------------------ */

pol_status pol__audio_run_stream(pol_run *run, pol_asset *asset, const pol_args *args,
                                 const pol_op_stream *s)
{
    pol__audio *au = pol__audio_of(asset);
    void *state = NULL;
    pol_status st = s->begin(run, args, &state);
    if (st) return st;
    pol__ablock b = {.x = au->x, .channels = au->channels, .rate = au->rate, .total = au->frames,
                     .s0 = 0, .len = (size_t)au->frames, .valid_end = au->frames, .halo = 0,
                     .out = &au->out};
    pol__chunk c = {.data = &b, .start = 0, .n = (size_t)au->frames, .last = 1};
    if (s->measure_first && s->measure) {
        int passes = s->measure_passes > 1 ? s->measure_passes : 1;
        for (int k = 0; !st && k < passes; k++) {
            st = s->measure(run, state, &c);
            if (!st && s->decide) st = s->decide(run, state);
        }
    }
    if (!st && !run->declined) st = s->apply(run, state, &c);
    if (!st && s->end) st = s->end(run, state);
    if (s->free) s->free(state);
    return st;
}
