/* polish — audio.loudness: hits an integrated loudness target (BS.1770-4 / EBU R128) under a
 * true-peak ceiling. Pass 1 measures the input's loudness; pass 2 measures, for gains around the
 * one pass 1 implies, the loudness the look-ahead true-peak limiter would leave (its envelope does
 * not depend on the gain, so one pass serves every candidate, and it is kept for the applying
 * pass in a scratch file); the gain that lands on the target is then applied, limited where that
 * envelope says, with no delay, so the length and alignment are exact. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "audio/audio.h"

static const pol_param_desc params[] = {
    {"preset", POL_PARAM_ENUM, NULL, 0, -1, "podcast|streaming|broadcast",
     "Target by use: podcast -16 LUFS (stereo) / -19 (mono), streaming -14, broadcast -23 (EBU "
     "R128); --target overrides it.", .choice_help = (const char *const[]){
         "podcast: -16 LUFS stereo, -19 LUFS mono", "streaming: -14 LUFS",
         "broadcast: -23 LUFS (EBU R128)", NULL}},
    {"target", POL_PARAM_NUM, "-16", -40, -5, NULL,
     "Integrated loudness to reach.", .unit = "LUFS"},
    {"ceiling", POL_PARAM_NUM, "-1", -12, 0, NULL,
     "True-peak ceiling (4x oversampled), enforced by a look-ahead limiter.", .unit = "dBTP"},
    {"limiting", POL_PARAM_ENUM, "auto", 0, -1, "auto|full|gentle",
     "How hard the limiter may work to reach the target: full reaches it whatever the peaks; "
     "gentle stops below the target rather than change the signal by more than --max-change; "
     "auto is gentle in polish fix (no harm to clean speech) and full when loudness is asked for.",
     .choice_help = (const char *const[]){"auto: gentle in polish fix, full otherwise",
                                          "full: the target exactly, limiting as needed",
                                          "gentle: at most --max-change of limiting", NULL}},
    {"max-change", POL_PARAM_NUM, "-28", -60, -10, NULL,
     "gentle: the most the limiter may change, as the energy of the change against the signal's.",
     .unit = "dB"},
};

#define MARGIN_DB 0.15 /* kept under the ceiling: true-peak meters differ by about this much */
#define LOOK_MS 2.0
#define RELEASE_MS 50.0
#define LBLK 1024 /* frames the limiter takes at a time */

static const double full_offsets[] = {0,   0.05, 0.1, 0.2, 0.35, 0.5, 0.75, 1,
                                      1.5, 2,    3,   4,   6,    9,   12};
/* gentle: gains under the unlimited one too, where the limiter may work less */
static const double gentle_offsets[] = {-12, -10, -8,  -7,  -6,  -5,   -4.5, -4,  -3.5, -3,
                                        -2.5, -2, -1.5, -1, -0.5, -0.25, 0,   0.1, 0.2,  0.35,
                                        0.5, 0.75, 1,   2,  3,    6,    12};
#define NCAND POL_ARRAY_LEN(gentle_offsets)
#define GSEARCH 32 /* a power of two over NCAND */
_Static_assert(NCAND < GSEARCH, "the candidates' search table holds them all");

/* The limiter's envelope E(u) >= the true peak around u: a sliding maximum of the true peak over
 * +-L, held with an exponential release, averaged over +-L (so the gain ramps in over 2L). The
 * gain min(1, c/E) keeps g * true peak under c at every gain g. E(u) is known 2L = D frames after
 * frame u. It is computed once, in the second measuring pass, and kept in a scratch file where it
 * can limit (runs of doubles, see lstate.envf); the applying pass reads it back, so it needs no
 * look-ahead. */
typedef struct lenv {
    int nc;
    size_t L, W, D;
    pol__truepeak tp;
    float floor;
    /* the true peaks: the last W - 1 frames', then a block's; the sliding maximum over W from
     * maxima within segments of W (forward and backward), so the loops have no data-dependent
     * branch */
    float *tpb, *fwd, *bwd;
    float *mr; /* the last W released maxima */
    double msum;
    uint64_t t, n_mr;
    size_t mpos; /* n_mr mod W */
    double prev, decay;
    float *tpv;   /* LBLK floats, free for the applying pass's meter */
    float *zeros; /* LBLK zero frames, for more than 8 channels */
} lenv;

static int lenv_init(lenv *e, int nc, int rate)
{
    memset(e, 0, sizeof *e);
    e->nc = nc;
    e->L = (size_t)(LOOK_MS * 1e-3 * rate) + POL_TP_TAPS;
    e->W = 2 * e->L + 1;
    e->D = 2 * e->L;
    e->decay = exp(-1.0 / (RELEASE_MS * 1e-3 * rate));
    if (!pol__tp_init(&e->tp, nc)) return 0;
    e->tpb = calloc(e->W - 1 + LBLK, sizeof *e->tpb);
    e->fwd = malloc((e->W - 1 + LBLK) * sizeof *e->fwd);
    e->bwd = malloc((e->W - 1 + LBLK) * sizeof *e->bwd);
    e->mr = calloc(e->W, sizeof *e->mr);
    e->tpv = malloc(LBLK * sizeof *e->tpv);
    e->zeros = nc > 8 ? calloc(LBLK * (size_t)nc, sizeof *e->zeros) : NULL;
    return e->tpb && e->fwd && e->bwd && e->mr && e->tpv && (nc <= 8 || e->zeros);
}

static void lenv_fini(lenv *e)
{
    pol__tp_fini(&e->tp);
    free(e->tpb);
    free(e->fwd);
    free(e->bwd);
    free(e->mr);
    free(e->tpv);
    free(e->zeros);
}

static void lenv_reset(lenv *e)
{
    pol__tp_reset(&e->tp);
    memset(e->mr, 0, e->W * sizeof *e->mr);
    memset(e->tpb, 0, (e->W - 1) * sizeof *e->tpb); /* true peaks are >= 0: zeros before the start
                                                      * leave every maximum as it is */
    e->msum = 0;
    e->t = e->n_mr = 0;
    e->mpos = 0;
    e->prev = 0;
}

/* Pushes n <= LBLK frames (NULL: zeros). Each frame that completes an envelope (that of the frame
 * D earlier, once there is one) writes it to env, in order; returns how many did (the last ones of
 * the n). The true peaks of the n frames are found first, together (pol__tp_block: interpolated
 * only where a peak can reach the floor), then their sliding maxima. The ring's position is kept
 * as a counter that wraps (no division per frame). */
static size_t lenv_block(lenv *e, const float *x, size_t n, double *env)
{
    static const float zeros[LBLK * 8];
    size_t nc = (size_t)e->nc, W = e->W, made = 0, len = W - 1 + n;
    if (!x) x = nc <= 8 ? zeros : e->zeros;
    float *tb = e->tpb, *fw = e->fwd, *bw = e->bwd;
    pol__tp_block(&e->tp, x, n, e->floor, tb + W - 1);
    /* frame i's window is tb[i, i + W): it ends one segment of W in and starts in that segment
     * or the one before, so its maximum is bw[i] (from i to its segment's end) against
     * fw[i + W - 1] (from that segment's start) */
    for (size_t a = 0; a < len; a += W) {
        size_t z = a + W < len ? a + W : len;
        fw[a] = tb[a];
        for (size_t p = a + 1; p < z; p++) fw[p] = fw[p - 1] > tb[p] ? fw[p - 1] : tb[p];
        bw[z - 1] = tb[z - 1];
        for (size_t p = z - 1; p-- > a;) bw[p] = bw[p + 1] > tb[p] ? bw[p + 1] : tb[p];
    }
    for (size_t i = 0; i < n; i++) {
        uint64_t t = e->t++;
        float mxf = bw[i] > fw[i + W - 1] ? bw[i] : fw[i + W - 1];
        if (t < e->L) continue;
        /* Mx(s) for s = t - L, released */
        double mx = mxf;
        double rel = mx > e->prev * e->decay ? mx : e->prev * e->decay;
        e->prev = rel;
        size_t slot = e->mpos; /* n_mr mod W */
        if (e->n_mr >= W) e->msum -= e->mr[slot];
        e->mr[slot] = (float)rel;
        e->msum += rel;
        e->n_mr++;
        e->mpos = slot + 1 == W ? 0 : slot + 1;
        if (t < e->D) continue;
        uint64_t cnt = e->n_mr < W ? e->n_mr : W;
        env[made++] = e->msum / (double)cnt;
    }
    memmove(tb, tb + n, (W - 1) * sizeof *tb); /* the last W - 1 true peaks, for the next block */
    return made;
}

typedef struct lstate {
    double target, ceiling, ceil_lin;
    int pass, off, channels, rate;
    int gentle;
    double max_change; /* dB */
    const double *offsets;
    size_t ncand;
    double sig_e, chg_e[NCAND]; /* gentle: the signal's energy, the limiter's change at each gain */
    /* pass 2, per sub-block: sums by the first candidate the limiter touches (see measure) */
    double acc_plain[NCAND + 1], acc_lim[NCAND + 1];
    double acc_pe[NCAND + 1], acc_pe_r[NCAND + 1], acc_pe_r2[NCAND + 1];
    double tmp_plain[NCAND];
    size_t fill;
    double in_lufs, gain_db, predicted;
    pol__loudmeter *meter;               /* pass 1; then the output meter */
    pol__loudmeter *cand[NCAND];
    double cand_gain[NCAND];
    double gsearch[GSEARCH]; /* the candidates' gains, then infinities */
    lenv env;
    int env_ok;
    pol__aproc proc;
    double gain;
    float out_tp;
    pol__truepeak otp;
    /* pass 2: the K-weighted energy (and, gentle, the plain energy) of each frame whose envelope
     * is not known yet, oldest first (at most D + LBLK) */
    double *qe, *qp;
    size_t qn;
    double *envb;      /* LBLK envelopes */
    /* The envelope where it can limit, written by pass 2 and read by the apply: runs of frames
     * (a run_hdr, then its envelopes) whose envelope times the largest candidate gain (gtop) is
     * over the ceiling, or could be after rounding; at every other frame the applied gain, which
     * is at most gtop, is under the ceiling, so the apply needs no envelope there. Short gaps are
     * kept inside a run (a header costs two doubles). */
    FILE *envf;
    double gtop;       /* the largest candidate gain, widened for rounding */
    uint64_t env_t;    /* pass 2: envelopes made so far (the frame of the next) */
    uint64_t env_kept; /* pass 2: envelopes written */
    /* the apply: the run being read (frames [rs, rs + rn)), the next frame's index, how many of
     * the run's envelopes are read into envb (from frame rb) */
    uint64_t rs, rn, rb, at;
    size_t rlen;
    int rend;          /* no run left */
    int env_err;       /* the apply could not read it back */
} lstate;

typedef struct run_hdr {
    uint64_t start, n;
} run_hdr;
#define GAP_KEPT 8 /* a gap of fewer frames between two runs is written as envelopes */

static void lfree(void *p)
{
    lstate *s = p;
    if (!s) return;
    pol__loud_free(s->meter);
    for (size_t k = 0; k < NCAND; k++) pol__loud_free(s->cand[k]);
    if (s->env_ok) lenv_fini(&s->env);
    pol__tp_fini(&s->otp);
    pol__afig_free(s->proc.fig);
    pol__aproc_fini(&s->proc);
    free(s->qe);
    free(s->qp);
    free(s->envb);
    if (s->envf) fclose(s->envf);
    free(s);
}

static pol_status begin(pol_run *run, const pol_args *args, void **out)
{
    lstate *s = calloc(1, sizeof *s);
    if (!s) return pol__fail(run, POL_ERR_NOMEM, "out of memory");
    s->target = pol__arg_num(args, "target");
    s->ceiling = pol__arg_num(args, "ceiling");
    int preset = pol__arg_choice(args, "preset");
    if (preset >= 0 && !pol__arg_set(args, "target")) s->target = preset == 0 ? -16 : preset == 1 ? -14 : -23;
    s->pass = preset == 0 && !pol__arg_set(args, "target") ? -1 : 0; /* -1: podcast, mono rule */
    int lim = pol__arg_choice(args, "limiting");
    s->gentle = lim == 2 || (lim <= 0 && run->automatic);
    s->max_change = pol__arg_num(args, "max-change");
    s->offsets = s->gentle ? gentle_offsets : full_offsets;
    s->ncand = s->gentle ? POL_ARRAY_LEN(gentle_offsets) : POL_ARRAY_LEN(full_offsets);
    *out = s;
    return POL_OK;
}

static pol_status setup(pol_run *run, lstate *s, const pol__ablock *b)
{
    s->channels = b->channels;
    s->rate = b->rate;
    if (s->pass == -1) {
        if (b->channels == 1) s->target = -19;
        s->pass = 0;
    }
    if (!(s->meter = pol__loud_new(b->channels, b->rate)))
        return pol__fail(run, POL_ERR_NOMEM, "out of memory");
    return POL_OK;
}

/* Pass 2, at the end of a 100 ms sub-block: candidate k gets e g_k^2 from frames whose first
 * limited candidate kf is above k, e c^2/env^2 from those with kf <= k (see account). */
static void sub_flush(lstate *s)
{
    size_t nk = s->ncand;
    double plain = 0;
    for (size_t k = nk; k-- > 0;) {
        plain += s->acc_plain[k + 1];
        s->tmp_plain[k] = plain;
    }
    memset(s->acc_plain, 0, sizeof s->acc_plain);
    double lim = 0, ape = 0, aper = 0, aper2 = 0;
    for (size_t k = 0; k < nk; k++) {
        lim += s->acc_lim[k];
        double g = s->cand_gain[k];
        pol__loud_push_sum(s->cand[k], s->tmp_plain[k] * g * g + lim, s->fill);
        if (s->gentle) {
            ape += s->acc_pe[k];
            aper += s->acc_pe_r[k];
            aper2 += s->acc_pe_r2[k];
            s->chg_e[k] += ape - 2 * aper / g + aper2 / (g * g);
        }
    }
    memset(s->acc_lim, 0, sizeof s->acc_lim);
    memset(s->acc_pe, 0, sizeof s->acc_pe);
    memset(s->acc_pe_r, 0, sizeof s->acc_pe_r);
    memset(s->acc_pe_r2, 0, sizeof s->acc_pe_r2);
    s->fill = 0;
}

/* Pass 2: the `made` envelopes in s->envb belong to the oldest queued frames. At a frame of
 * K-weighted energy e and envelope env, candidate k (gains ascending) is limited when
 * env g_k > c, to r_k = c / (env g_k): every candidate from the first limited one, kf, gets
 * e c^2 / env^2 whatever its gain, every one below it e g_k^2. So a frame adds to two sums kept at
 * kf, and each candidate's energy is a prefix or suffix sum of them at the sub-block's end: two
 * additions a frame instead of one per candidate. The limiter's change (gentle),
 * pe (1 - r_k)^2 = pe - 2 pe c / (env g_k) + pe c^2 / (env^2 g_k^2), the same way. The envelopes
 * that can limit at some candidate go to the scratch file for the applying pass, as runs. */
static pol_status account(pol_run *run, lstate *s, size_t made)
{
    const double *envb = s->envb;
    double cl = s->ceil_lin;
    size_t nk = s->ncand, sub = pol__loud_sub_len(s->cand[0]);
    /* the runs where the envelope can limit: [a, b) of this block's, gaps under GAP_KEPT kept */
    for (size_t j = 0; j < made;) {
        if (!(envb[j] * s->gtop > cl)) {
            j++;
            continue;
        }
        size_t a = j, b = j + 1, gap = 0;
        for (j++; j < made && gap < GAP_KEPT; j++) {
            if (envb[j] * s->gtop > cl) {
                b = j + 1;
                gap = 0;
            } else {
                gap++;
            }
        }
        j = b;
        run_hdr h = {s->env_t + a, b - a};
        if (fwrite(&h, sizeof h, 1, s->envf) != 1 ||
            fwrite(envb + a, sizeof *envb, b - a, s->envf) != b - a)
            return pol__fail(run, POL_ERR_IO, "writing the limiter's scratch file failed (disk full?)");
        s->env_kept += b - a;
    }
    s->env_t += made;
    /* a sub-block's run at a time, the frames no candidate limits (most) summed in a register
     * (the same additions, in the same order, as slot nk of acc_plain gets them one by one) */
    const double *gs = s->gsearch;
    double gnk = gs[nk - 1];
    for (size_t j = 0; j < made;) {
        size_t k = sub - s->fill < made - j ? sub - s->fill : made - j;
        double none = s->acc_plain[nk], sig = s->sig_e;
        for (size_t i = j; i < j + k; i++) {
            double e = s->qe[i], env = envb[i];
            double pe = s->gentle ? s->qp[i] : 0;
            sig += pe;
            double t = env > 0 ? cl / env : HUGE_VAL;
            if (gnk <= t) { /* no candidate limited here */
                none += e;
                continue;
            }
            /* kf: the first candidate with env g_k > c: the gains ascend, so it is the count of
             * gains <= c / env, found by halving without a branch (the table past the candidates
             * holds infinities) */
            size_t lo = 0;
            for (size_t step = GSEARCH / 2; step; step /= 2) lo += gs[lo + step - 1] <= t ? step : 0;
            double q = cl / env;
            s->acc_plain[lo] += e;
            s->acc_lim[lo] += e * q * q;
            if (s->gentle) {
                s->acc_pe[lo] += pe;
                s->acc_pe_r[lo] += pe * q;
                s->acc_pe_r2[lo] += pe * q * q;
            }
        }
        s->acc_plain[nk] = none;
        s->sig_e = sig;
        s->fill += k;
        j += k;
        if (s->fill == sub) sub_flush(s);
    }
    s->qn -= made;
    memmove(s->qe, s->qe + made, s->qn * sizeof *s->qe);
    if (s->gentle) memmove(s->qp, s->qp + made, s->qn * sizeof *s->qp);
    return POL_OK;
}

static pol_status measure(pol_run *run, void *p, const pol__chunk *c)
{
    lstate *s = p;
    const pol__ablock *b = pol__ablock_of(c);
    if (!s->meter) {
        pol_status st = setup(run, s, b);
        if (st) return st;
    }
    const float *x = pol__chunk_core(c);
    if (s->pass == 0) {
        const double *e; /* the pass's K-weighting, shared with level's measuring */
        pol_status st = pol__chunk_kw(run, c, &e);
        if (st) return st;
        if (e)
            pol__loud_push_block(s->meter, e, c->n);
        else
            pol__loud_add(s->meter, x, c->n, NULL);
        return POL_OK;
    }
    if (s->off) return POL_OK;
    /* pass 2: every candidate gain through the limiter's envelope */
    if (c->start == 0) {
        lenv_reset(&s->env);
        pol__loud_reset(s->meter);
        for (size_t k = 0; k < s->ncand; k++) pol__loud_reset(s->cand[k]);
        s->sig_e = 0;
        memset(s->chg_e, 0, sizeof s->chg_e);
        s->fill = 0;
        s->qn = 0;
        memset(s->acc_plain, 0, sizeof s->acc_plain);
        memset(s->acc_lim, 0, sizeof s->acc_lim);
        memset(s->acc_pe, 0, sizeof s->acc_pe);
        memset(s->acc_pe_r, 0, sizeof s->acc_pe_r);
        memset(s->acc_pe_r2, 0, sizeof s->acc_pe_r2);
        s->env_t = s->env_kept = 0;
        if (fflush(s->envf) != 0 || ftruncate(fileno(s->envf), 0) != 0 || fseek(s->envf, 0, SEEK_SET) != 0)
            return pol__fail(run, POL_ERR_IO, "cannot rewind the limiter's scratch file");
    }
    size_t nc = (size_t)s->channels;
    for (size_t i0 = 0; i0 < c->n; i0 += LBLK) {
        size_t m = c->n - i0 < LBLK ? c->n - i0 : LBLK;
        const float *f = x + i0 * nc;
        /* a frame's energies do not depend on the envelope: made now, used when its envelope
         * comes out of the limiter D frames later */
        pol__loud_kw_block(s->meter, f, m, s->qe + s->qn);
        if (s->gentle)
            for (size_t j = 0; j < m; j++) {
                double pe = 0;
                for (size_t ch = 0; ch < nc; ch++) pe += (double)f[j * nc + ch] * f[j * nc + ch];
                s->qp[s->qn + j] = pe;
            }
        s->qn += m;
        pol_status st = account(run, s, lenv_block(&s->env, f, m, s->envb));
        if (st) return st;
    }
    if (c->last) /* zeros through the limiter bring out the last D envelopes */
        for (size_t i0 = 0; i0 < s->env.D; i0 += LBLK) {
            size_t m = s->env.D - i0 < LBLK ? s->env.D - i0 : LBLK;
            pol_status st = account(run, s, lenv_block(&s->env, NULL, m, s->envb));
            if (st) return st;
        }
    if (c->last && s->fill) sub_flush(s);
    return POL_OK;
}

static pol_status decide(pol_run *run, void *p)
{
    lstate *s = p;
    if (!s->meter) return POL_OK;
    if (s->pass == 0) {
        s->pass = 1;
        s->in_lufs = pol__loud_integrated(s->meter);
        pol__measure(run, "input_lufs", isfinite(s->in_lufs) ? round(s->in_lufs * 100) / 100 : -999);
        if (!isfinite(s->in_lufs)) {
            s->off = 1;
            pol__decline(run, "the input is silent (every 400 ms block below -70 LUFS): no gain");
            return POL_OK;
        }
        if (s->channels > 64) return pol__fail(run, POL_ERR_UNSUPPORTED, "too many channels");
        s->gain_db = s->target - s->in_lufs;
        s->ceil_lin = pow(10, (s->ceiling - MARGIN_DB) / 20);
        if (!lenv_init(&s->env, s->channels, s->rate)) return pol__fail(run, POL_ERR_NOMEM, "oom");
        s->env_ok = 1;
        double gmax = pow(10, (s->gain_db + s->offsets[s->ncand - 1]) / 20);
        s->env.floor = (float)(0.5 * s->ceil_lin / gmax);
        s->qe = malloc((s->env.D + LBLK) * sizeof *s->qe);
        s->qp = malloc((s->env.D + LBLK) * sizeof *s->qp);
        s->envb = malloc(LBLK * sizeof *s->envb);
        if (!s->qe || !s->qp || !s->envb) return pol__fail(run, POL_ERR_NOMEM, "oom");
        if (!(s->envf = pol__temp_file("limiter")))
            return pol__fail(run, POL_ERR_IO, "cannot make the limiter's scratch file in %s",
                             getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
        for (size_t k = 0; k < GSEARCH; k++) s->gsearch[k] = HUGE_VAL;
        for (size_t k = 0; k < s->ncand; k++) {
            s->cand_gain[k] = s->gsearch[k] = pow(10, (s->gain_db + s->offsets[k]) / 20);
            if (!(s->cand[k] = pol__loud_new(s->channels, s->rate)))
                return pol__fail(run, POL_ERR_NOMEM, "out of memory");
        }
        s->gtop = s->cand_gain[s->ncand - 1] * (1 + 1e-9);
        return POL_OK;
    }
    if (s->off) return POL_OK;
    /* pass 2: the gain whose limited loudness is the target */
    const double *offsets = s->offsets;
    size_t nk = s->ncand;
    double l[NCAND];
    for (size_t k = 0; k < nk; k++) l[k] = pol__loud_integrated(s->cand[k]);
    double gdb = s->gain_db + offsets[nk - 1];
    size_t at = nk - 1; /* the candidate at or above the chosen gain */
    s->predicted = l[nk - 1];
    for (size_t k = 0; k < nk; k++) {
        if (l[k] < s->target) continue;
        if (k == 0 || offsets[k] <= 0) {
            gdb = s->gain_db + offsets[k] + (s->target - l[k]); /* no limiting here: exact */
        } else {
            double f = (s->target - l[k - 1]) / (l[k] - l[k - 1]);
            gdb = s->gain_db + offsets[k - 1] + f * (offsets[k] - offsets[k - 1]);
        }
        s->predicted = s->target;
        at = k;
        break;
    }
    int stopped = 0;
    if (s->gentle && s->sig_e > 0) {
        /* the limiter's change at the chosen gain, against the signal (an upper bound: the
         * candidate at or above it) */
        double chg = pol__db(s->chg_e[at] / s->sig_e + 1e-30);
        pol__measure(run, "limiter_change_db", round(fmax(chg, -120) * 10) / 10);
        if (chg > s->max_change) {
            size_t k = 0; /* the loudest candidate the limiter changes little enough */
            for (size_t j = 0; j < at; j++)
                if (pol__db(s->chg_e[j] / s->sig_e + 1e-30) <= s->max_change) k = j;
            double want = s->predicted;
            gdb = s->gain_db + offsets[k];
            s->predicted = l[k];
            stopped = 1;
            pol__warn(run,
                      "stopped at %.2f LUFS, under the %.1f target: reaching it under the %.1f dBTP "
                      "ceiling would limit the peaks (a change of %.1f dB against the signal, more "
                      "than --max-change %.0f dB); --limiting full reaches it",
                      s->predicted, want, s->ceiling, chg, s->max_change);
        }
    }
    if (!stopped && s->predicted < s->target - 0.05)
        pol__warn(run,
                  "the %.1f dBTP ceiling holds the loudness at %.2f LUFS, below the %.1f target "
                  "(limiting more would distort)", s->ceiling, s->predicted, s->target);
    s->gain = pow(10, gdb / 20);
    if (s->gain > s->gtop) /* cannot happen: the gain is chosen among the candidates' */
        return pol__fail(run, POL_ERR_INTERNAL, "loudness: gain %.6f dB over the largest candidate's", gdb);
    /* frames whose envelope could reach the ceiling at the largest gain tried (kept for the apply) */
    pol__measure_int(run, "frames_near_ceiling", (long long)s->env_kept);
    pol__measure(run, "target_lufs", s->target);
    pol__measure(run, "ceiling_dbtp", s->ceiling);
    pol__measure(run, "gain_db", round(gdb * 100) / 100);
    pol__measure(run, "limiting_db", round((gdb - s->gain_db) * 100) / 100);
    pol__measure_str(run, "limiting", s->gentle ? "gentle" : "full");
    pol__decide(run, "gain %+.2f dB to reach %.2f LUFS, true peaks held under %.1f dBTP", gdb,
                s->predicted, s->ceiling);
    pol__confidence(run, 0.95);
    return POL_OK;
}

/* The apply: the next run of kept envelopes (s->rend when none is left). */
static void next_run(lstate *s)
{
    run_hdr h;
    if (fread(&h, sizeof h, 1, s->envf) != 1) {
        s->rend = 1;
        if (ferror(s->envf)) s->env_err = 1;
        return;
    }
    if (h.start < s->rs + s->rn || h.n == 0) s->env_err = 1; /* out of order: not ours */
    s->rs = h.start;
    s->rn = h.n;
    s->rb = h.start;
    s->rlen = 0;
}

/* The applying processor: the gain, limited where the envelope pass 2 kept says so; the output
 * metered on the way out. No look-ahead: the kept envelopes are read back, in order. */
static void lprocess(void *p, const float *in, float *out, size_t n)
{
    lstate *s = p;
    size_t nc = (size_t)s->channels;
    double *envb = s->envb;
    float *tpv = s->env.tpv; /* free: the limiter's envelope is not computed here */
    for (size_t i0 = 0; i0 < n; i0 += LBLK) {
        size_t m = n - i0 < LBLK ? n - i0 : LBLK;
        const float *x = in + i0 * nc;
        float *o = out + i0 * nc;
        for (size_t j = 0; j < m;) {
            uint64_t t = s->at + j;
            while (!s->rend && t >= s->rs + s->rn) next_run(s);
            if (s->rend || t < s->rs) { /* no envelope kept here: the gain, unlimited */
                size_t k = s->rend || s->rs - t > m - j ? m - j : (size_t)(s->rs - t);
                double g = s->gain;
                for (size_t q = j * nc; q < (j + k) * nc; q++) o[q] = (float)(x[q] * g);
                j += k;
                continue;
            }
            if (t >= s->rb + s->rlen) { /* the run's next envelopes */
                uint64_t left = s->rs + s->rn - t;
                size_t want = left < LBLK ? (size_t)left : LBLK;
                if (fread(envb, sizeof *envb, want, s->envf) != want) {
                    s->env_err = 1; /* apply() fails the step */
                    memset(envb, 0, want * sizeof *envb);
                }
                s->rb = t;
                s->rlen = want;
            }
            size_t k = (size_t)(s->rb + s->rlen - t);
            if (k > m - j) k = m - j;
            const double *ev = envb + (t - s->rb);
            for (size_t q = 0; q < k; q++) {
                double g = s->gain;
                if (ev[q] * g > s->ceil_lin) g = s->ceil_lin / ev[q];
                for (size_t c = 0; c < nc; c++) o[(j + q) * nc + c] = (float)(x[(j + q) * nc + c] * g);
            }
            j += k;
        }
        s->at += m;
        pol__loud_add(s->meter, o, m, NULL);
        /* only the largest point is wanted: frames whose points provably stay under it so far
         * cannot change it */
        pol__tp_block(&s->otp, o, m, s->out_tp, tpv);
        for (size_t j = 0; j < m; j++)
            if (tpv[j] > s->out_tp) s->out_tp = tpv[j];
    }
}

static void lreset(void *p)
{
    lstate *s = p;
    if (fseek(s->envf, 0, SEEK_SET) != 0) s->env_err = 1;
    s->rs = s->rn = s->rb = s->at = 0;
    s->rlen = 0;
    s->rend = 0;
    pol__loud_reset(s->meter);
    pol__tp_reset(&s->otp);
    s->out_tp = 0;
}

static pol_status apply(pol_run *run, void *p, pol__chunk *c)
{
    lstate *s = p;
    if (s->off || !s->env_ok) return POL_OK;
    if (!s->proc.process) {
        if (!pol__tp_init(&s->otp, s->channels)) return pol__fail(run, POL_ERR_NOMEM, "oom");
        if (fflush(s->envf) != 0)
            return pol__fail(run, POL_ERR_IO, "writing the limiter's scratch file failed (disk full?)");
        s->proc.latency = 0;
        s->proc.channels = s->channels;
        s->proc.st = s;
        s->proc.process = lprocess;
        s->proc.reset = lreset;
        const pol__ablock *b = pol__ablock_of(c);
        if (pol__want_figures(run)) /* pictures only for a report */
            s->proc.fig = pol__afig_new(b->total, b->channels, b->rate);
    }
    pol_status st = pol__aproc_block(run, &s->proc, pol__ablock_of(c), c);
    if (!st && s->env_err)
        return pol__fail(run, POL_ERR_IO, "the limiter's scratch file could not be read back");
    return st;
}

static pol_status end(pol_run *run, void *p)
{
    lstate *s = p;
    if (s->off || !s->proc.process) return POL_OK;
    double l = pol__loud_integrated(s->meter);
    if (isfinite(l)) pol__measure(run, "output_lufs", round(l * 100) / 100);
    pol__measure(run, "output_true_peak_dbtp", round(20 * log10(fmax(s->out_tp, 1e-9)) * 100) / 100);
    if (s->proc.fig)
        pol__afig_attach(run, s->proc.fig, "loudness: before (left) and after (right): waveform, "
                         "and spectrogram 50 Hz - 8 kHz (log frequency, 70 dB)");
    return POL_OK;
}

static const pol_op_stream stream = {
    .halo = 0, /* the applying pass reads the envelope pass 2 made: no look-ahead */
    .measure_first = 1,
    .measure_ahead = 1, /* a cheap first measuring pass: made in the one before when it can */
    .measure_passes = 2,
    .begin = begin,
    .measure = measure,
    .decide = decide,
    .apply = apply,
    .end = end,
    .free = lfree,
};

static pol_status run_whole(pol_run *run, pol_asset *a, const pol_args *args)
{
    return pol__audio_run_stream(run, a, args, &stream);
}

const pol_op_desc pol__audio_op_loudness = {
    .domain = "audio",
    .name = "loudness",
    .summary = "Reach a loudness target (LUFS) under a true-peak ceiling",
    .params = params,
    .n_params = POL_ARRAY_LEN(params),
    .run = run_whole,
    .flags = POL_OP_AUTO,
    .stream = &stream,
};
