/* polish — audio.trim: cuts silence at the head and tail, keeping a margin before the first and
 * after the last sound, with 10 ms fades at the cuts. The threshold follows the measured noise
 * floor unless given. Streams: a measuring pass finds the noise floor, a second the first and last
 * frames above the threshold, and the applying pass writes what lies between (with the margins
 * and fades); the whole-item form (run_op) is the reference it matches sample for sample. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "audio/audio.h"

static const pol_param_desc params[] = {
    {"threshold", POL_PARAM_NUM, NULL, -100, 0, NULL,
     "Level (20 ms frames) below which the head and tail count as silence; default 10 dB above "
     "the measured noise floor, at most -40 dBFS.", .unit = "dBFS"},
    {"margin", POL_PARAM_NUM, "0.3", 0, 10, NULL, "Kept before the first and after the last sound.",
     .unit = "s"},
};

static pol_status run_op(pol_run *run, pol_asset *asset, const pol_args *args)
{
    pol__audio *a = pol__audio_of(asset);
    size_t nc = (size_t)a->channels, fl = (size_t)(a->rate / 50);
    if (fl < 1) fl = 1;
    double thr;
    if (pol__arg_has(args, "threshold")) {
        thr = pol__arg_num(args, "threshold");
    } else {
        pol__afindings f;
        pol_status st = pol__aan_whole(run, a, 0, &f);
        if (st) return st;
        thr = fmin(f.noise_floor_db + 10, -40);
        pol__measure(run, "noise_floor_dbfs", round(f.noise_floor_db * 10) / 10);
    }
    pol__measure(run, "threshold_dbfs", round(thr * 10) / 10);
    uint64_t nfr = a->frames / fl, first = nfr, last = 0;
    for (uint64_t k = 0; k < nfr; k++) {
        double e = 0;
        const float *x = a->x + (size_t)(k * fl) * nc;
        for (size_t i = 0; i < fl * nc; i++) e += (double)x[i] * x[i];
        if (pol__db(e / (double)(fl * nc)) > thr) {
            if (first == nfr) first = k;
            last = k;
        }
    }
    if (first == nfr) {
        pol__decline(run, "nothing rises above %.1f dBFS: not trimming everything away", thr);
        return POL_OK;
    }
    uint64_t margin = (uint64_t)(pol__arg_num(args, "margin") * a->rate);
    uint64_t s = first * fl > margin ? first * fl - margin : 0;
    uint64_t e = (last + 1) * fl + margin;
    if (e > a->frames) e = a->frames;
    double cut = (double)(s + a->frames - e) / a->rate;
    if (cut < 0.05) {
        pol__decline(run, "head and tail silences are shorter than the %.2f s margin",
                     pol__arg_num(args, "margin"));
        return POL_OK;
    }
    uint64_t orig = a->frames;
    memmove(a->x, a->x + (size_t)s * nc, (size_t)(e - s) * nc * sizeof *a->x);
    a->frames = e - s;
    size_t nf = (size_t)(0.01 * a->rate);
    if (nf * 2 > a->frames) nf = (size_t)a->frames / 2;
    for (size_t i = 0; i < nf; i++) {
        float g = (float)i / (float)nf;
        for (size_t c = 0; c < nc; c++) {
            if (s > 0) a->x[i * nc + c] *= g;
            if (e < orig) a->x[((size_t)a->frames - 1 - i) * nc + c] *= g;
        }
    }
    pol__measure(run, "head_cut_s", round((double)s / a->rate * 1000) / 1000);
    pol__measure(run, "tail_cut_s", round((double)(orig - e) / a->rate * 1000) / 1000);
    pol__decide(run, "trimmed %.2f s of silence (head %.2f s, tail %.2f s)", cut, (double)s / a->rate,
                (double)(orig - e) / a->rate);
    return POL_OK;
}

/* ---- streamed ------------------------------------------------------------------------------ */

typedef struct tstate {
    const pol_args *args;
    double thr;
    int have_thr, pass, off;
    size_t nc, fl, nf;
    int rate;
    uint64_t total, nfr, k, first, last, s, e, out_n;
    size_t fill;
    double fe;
    pol__aanalysis *an;
    float *emit;
    size_t emit_cap;
} tstate;

static void tfree(void *p)
{
    tstate *t = p;
    if (!t) return;
    pol__aan_free(t->an);
    free(t->emit);
    free(t);
}

static pol_status tbegin(pol_run *run, const pol_args *args, void **out)
{
    tstate *t = calloc(1, sizeof *t);
    if (!t) return pol__fail(run, POL_ERR_NOMEM, "out of memory");
    t->args = args;
    t->have_thr = pol__arg_has(args, "threshold");
    if (t->have_thr) t->thr = pol__arg_num(args, "threshold");
    *out = t;
    return POL_OK;
}

static pol_status tmeasure(pol_run *run, void *p, const pol__chunk *c)
{
    tstate *t = p;
    const pol__ablock *b = pol__ablock_of(c);
    if (!t->fl) {
        t->nc = (size_t)b->channels;
        t->rate = b->rate;
        t->total = b->total;
        t->fl = (size_t)(b->rate / 50);
        if (t->fl < 1) t->fl = 1;
        t->nfr = t->total / t->fl;
        t->first = t->nfr;
        if (!t->have_thr && !(t->an = pol__aan_new(b->channels, b->rate, 0)))
            return pol__fail(run, POL_ERR_NOMEM, "out of memory");
    }
    const float *x = pol__chunk_core(c);
    if (t->pass == 0) {
        if (t->an) pol__aan_add(t->an, x, c->n);
        return POL_OK;
    }
    size_t nc = t->nc;
    for (size_t i = 0; i < c->n && t->k < t->nfr; i++) {
        for (size_t ch = 0; ch < nc; ch++) t->fe += (double)x[i * nc + ch] * x[i * nc + ch];
        if (++t->fill < t->fl) continue;
        if (pol__db(t->fe / (double)(t->fl * nc)) > t->thr) {
            if (t->first == t->nfr) t->first = t->k;
            t->last = t->k;
        }
        t->k++;
        t->fe = 0;
        t->fill = 0;
    }
    return POL_OK;
}

static pol_status tdecide(pol_run *run, void *p)
{
    tstate *t = p;
    if (!t->fl || t->off) return POL_OK;
    if (t->pass == 0) {
        t->pass = 1;
        if (!t->have_thr) {
            pol__afindings f;
            pol__aan_finish(t->an, &f);
            pol__aan_free(t->an);
            t->an = NULL;
            t->thr = fmin(f.noise_floor_db + 10, -40);
            pol__measure(run, "noise_floor_dbfs", round(f.noise_floor_db * 10) / 10);
        }
        pol__measure(run, "threshold_dbfs", round(t->thr * 10) / 10);
        return POL_OK;
    }
    if (t->first == t->nfr) {
        t->off = 1;
        pol__decline(run, "nothing rises above %.1f dBFS: not trimming everything away", t->thr);
        return POL_OK;
    }
    uint64_t margin = (uint64_t)(pol__arg_num(t->args, "margin") * t->rate);
    t->s = t->first * t->fl > margin ? t->first * t->fl - margin : 0;
    t->e = (t->last + 1) * t->fl + margin;
    if (t->e > t->total) t->e = t->total;
    double cut = (double)(t->s + t->total - t->e) / t->rate;
    if (cut < 0.05) {
        t->off = 1;
        pol__decline(run, "head and tail silences are shorter than the %.2f s margin",
                     pol__arg_num(t->args, "margin"));
        return POL_OK;
    }
    t->out_n = t->e - t->s;
    t->nf = (size_t)(0.01 * t->rate);
    if (t->nf * 2 > t->out_n) t->nf = (size_t)t->out_n / 2;
    pol__measure(run, "head_cut_s", round((double)t->s / t->rate * 1000) / 1000);
    pol__measure(run, "tail_cut_s", round((double)(t->total - t->e) / t->rate * 1000) / 1000);
    pol__decide(run, "trimmed %.2f s of silence (head %.2f s, tail %.2f s)", cut,
                (double)t->s / t->rate, (double)(t->total - t->e) / t->rate);
    return POL_OK;
}

/* The core's frames inside [s, e), faded in over the first nf and out over the last nf. */
static pol_status tapply(pol_run *run, void *p, pol__chunk *c)
{
    tstate *t = p;
    if (t->off || !t->out_n) return POL_OK;
    pol__ablock *b = pol__ablock_of(c);
    size_t nc = t->nc;
    uint64_t a = c->start > t->s ? c->start : t->s;
    uint64_t z = c->start + c->n < t->e ? c->start + c->n : t->e;
    size_t n = a < z ? (size_t)(z - a) : 0;
    if (n > t->emit_cap) {
        pol_status r = pol__mem_reserve(run, (n - t->emit_cap) * nc * sizeof(float), "an audio block");
        if (r) return r;
        float *e = realloc(t->emit, n * nc * sizeof *e);
        if (!e) return pol__fail(run, POL_ERR_NOMEM, "out of memory");
        t->emit = e;
        t->emit_cap = n;
    }
    if (n) memcpy(t->emit, pol__chunk_core(c) + (size_t)(a - c->start) * nc, n * nc * sizeof(float));
    for (size_t j = 0; j < n; j++) {
        uint64_t o = a + j - t->s; /* the output frame */
        float *f = t->emit + j * nc;
        if (t->s > 0 && o < t->nf) {
            float g = (float)o / (float)t->nf;
            for (size_t ch = 0; ch < nc; ch++) f[ch] *= g;
        }
        if (t->e < t->total && o + t->nf >= t->out_n) {
            float g = (float)(t->out_n - 1 - o) / (float)t->nf;
            for (size_t ch = 0; ch < nc; ch++) f[ch] *= g;
        }
    }
    b->emit_set = 1;
    b->emit = t->emit;
    b->emit_n = n;
    return POL_OK;
}

static const pol_op_stream stream = {
    .measure_first = 1,
    .measure_passes = 2,
    .rewrites_output = 1,
    .begin = tbegin,
    .measure = tmeasure,
    .decide = tdecide,
    .apply = tapply,
    .free = tfree,
};

const pol_op_desc pol__audio_op_trim = {
    .domain = "audio",
    .name = "trim",
    .summary = "Cut silence at the head and tail",
    .params = params,
    .n_params = POL_ARRAY_LEN(params),
    .run = run_op,
    .stream = &stream,
};
