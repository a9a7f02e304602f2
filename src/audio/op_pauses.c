/* polish — audio.shorten-pauses: shortens long pauses between words. Voice activity from 20 ms
 * frame levels against the measured noise floor, with a hangover on each side of every active
 * frame (so word onsets and tails are never cut); a pause longer than --max keeps --keep of its
 * length, half from each end, joined by an equal-power crossfade; optionally the kept pause is
 * room tone (the quietest stretch of the recording) rather than what was there. The cut list is in
 * the report and, with --cuts, written as JSON. Streams (memory flat with duration): a measuring
 * pass finds the noise floor and the quietest frame, a second the pauses (the voice activity with
 * its hangover decided hangover frames late) and the room tone; the applying pass writes what is
 * kept, holding only the crossfade's fading-out side. The whole-item form (run_op) is the
 * reference the streamed one matches sample for sample. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "audio/audio.h"
#include "core/ports.h"

static const pol_param_desc params[] = {
    {"max", POL_PARAM_NUM, "1", 0.2, 60, NULL, "Pauses longer than this are shortened.", .unit = "s"},
    {"keep", POL_PARAM_NUM, "0.5", 0.05, 30, NULL, "What is left of a shortened pause.", .unit = "s"},
    {"hangover", POL_PARAM_NUM, "0.15", 0, 2, NULL,
     "Time kept as speech before and after every active frame, so words are never clipped.",
     .unit = "s"},
    {"crossfade", POL_PARAM_NUM, "20", 1, 200, NULL, "Equal-power crossfade at each cut.", .unit = "ms"},
    {"threshold", POL_PARAM_NUM, NULL, -100, 0, NULL,
     "Level (20 ms frames) under which a frame is a pause; default from the measured noise floor "
     "and speech level.", .unit = "dBFS"},
    {"room-tone", POL_PARAM_BOOL, "false", 0, -1, NULL,
     "Fill each shortened pause with the recording's quietest stretch (its room tone)."},
};

static const pol_port_desc outputs[] = {
    {"cuts", POL_PORT_FILE, NULL, "json", 0,
     "The cut list as JSON: for each cut, where it is in the input and the output, and how much "
     "was removed."},
};

typedef struct cut {
    uint64_t a, b; /* frames [a, b) of the input are removed (centre of the pause) */
} cut;

static pol_status write_cuts(pol_run *run, const char *given, const cut *cuts, size_t n, int rate,
                             uint64_t in_frames, uint64_t out_frames)
{
    pol_err e;
    char *path = pol__port_out_path(run, given, &e);
    if (!path) return pol__fail(run, e.code, "--cuts: %s", e.msg);
    pol__outfile of;
    pol_status st = pol__out_open(run, path, &of);
    free(path);
    if (st) return st;
    fprintf(of.fp, "{\"rate\": %d, \"input_seconds\": %.6f, \"output_seconds\": %.6f, \"cuts\": [",
            rate, (double)in_frames / rate, (double)out_frames / rate);
    uint64_t removed = 0;
    for (size_t k = 0; k < n; k++) {
        fprintf(of.fp,
                "%s\n  {\"input_from_s\": %.6f, \"input_to_s\": %.6f, \"output_at_s\": %.6f, "
                "\"removed_s\": %.6f}",
                k ? "," : "", (double)cuts[k].a / rate, (double)cuts[k].b / rate,
                (double)(cuts[k].a - removed) / rate, (double)(cuts[k].b - cuts[k].a) / rate);
        removed += cuts[k].b - cuts[k].a;
    }
    fprintf(of.fp, "\n]}\n");
    return pol__out_commit(run, &of);
}

static pol_status run_op(pol_run *run, pol_asset *asset, const pol_args *args)
{
    pol__audio *a = pol__audio_of(asset);
    size_t nc = (size_t)a->channels, fl = (size_t)(a->rate / 50);
    if (fl < 1) fl = 1;
    uint64_t nfr = a->frames / fl;
    double thr;
    if (pol__arg_has(args, "threshold")) {
        thr = pol__arg_num(args, "threshold");
    } else {
        pol__afindings f;
        pol_status st = pol__aan_whole(run, a, 0, &f);
        if (st) return st;
        pol__measure(run, "noise_floor_dbfs", round(f.noise_floor_db * 10) / 10);
        pol__measure(run, "speech_level_dbfs", round(f.speech_level_db * 10) / 10);
        if (f.snr_db < 10) {
            pol__decline(run, "speech does not stand out of the background (%.1f dB): pauses "
                              "cannot be told from words", f.snr_db);
            return POL_OK;
        }
        thr = f.noise_floor_db + fmax(6, fmin(15, f.snr_db / 3));
    }
    pol__measure(run, "threshold_dbfs", round(thr * 10) / 10);
    /* active frames, widened by the hangover */
    unsigned char *act = calloc(nfr ? nfr : 1, 1);
    if (!act) return pol__fail(run, POL_ERR_NOMEM, "out of memory");
    long hang = (long)ceil(pol__arg_num(args, "hangover") * 50);
    uint64_t quiet_at = 0;
    double quiet_e = HUGE_VAL;
    for (uint64_t k = 0; k < nfr; k++) {
        double e = 0;
        const float *x = a->x + (size_t)(k * fl) * nc;
        for (size_t i = 0; i < fl * nc; i++) e += (double)x[i] * x[i];
        double l = pol__db(e / (double)(fl * nc));
        if (l > thr) {
            long lo = (long)k - hang, hi = (long)k + hang;
            for (long j = lo < 0 ? 0 : lo; j <= hi && j < (long)nfr; j++) act[j] = 1;
        }
        if (l < quiet_e && l > -200) { /* digital silence is not room tone */
            quiet_e = l;
            quiet_at = k;
        }
    }
    double maxp = pol__arg_num(args, "max"), keep = pol__arg_num(args, "keep");
    if (keep > maxp) keep = maxp;
    uint64_t keep_f = (uint64_t)(keep * a->rate);
    size_t xf = (size_t)(pol__arg_num(args, "crossfade") * 1e-3 * a->rate);
    if (xf < 1) xf = 1;
    if (xf * 2 > keep_f) xf = (size_t)(keep_f / 2);
    /* pauses: inactive runs between the first and the last active frame */
    cut *cuts = NULL;
    size_t n_cuts = 0, cap = 0;
    uint64_t first = nfr, last = 0;
    for (uint64_t k = 0; k < nfr; k++)
        if (act[k]) {
            if (first == nfr) first = k;
            last = k;
        }
    int pauses = 0;
    double longest = 0;
    for (uint64_t k = first; k <= last && k < nfr;) {
        if (act[k]) {
            k++;
            continue;
        }
        uint64_t s = k;
        while (k < nfr && !act[k]) k++;
        double len = (double)(k - s) * fl / a->rate;
        pauses++;
        if (len > longest) longest = len;
        if (len <= maxp) continue;
        uint64_t ps = s * fl, pe = k * fl, plen = pe - ps;
        /* keep keep_f frames: half at each end, the two halves overlapping by xf */
        uint64_t head = (keep_f + xf) / 2, tail = keep_f + xf - head;
        if (n_cuts == cap) {
            cap = cap ? 2 * cap : 64;
            cut *p = realloc(cuts, cap * sizeof *p);
            if (!p) {
                free(act);
                free(cuts);
                return pol__fail(run, POL_ERR_NOMEM, "out of memory");
            }
            cuts = p;
        }
        cuts[n_cuts++] = (cut){ps + head - xf, pe - tail + 0}; /* removed span (xf overlapped) */
        (void)plen;
    }
    free(act);
    pol__measure_int(run, "pauses", pauses);
    pol__measure(run, "pause_longest_s", round(longest * 100) / 100);
    if (!n_cuts) {
        free(cuts);
        pol__decline(run, "no pause longer than %.2f s (longest %.2f s)", maxp, longest);
        return POL_OK;
    }
    /* room tone: the quietest 20 ms frame's neighbourhood, as long as a kept pause */
    int fill = pol__arg_bool(args, "room-tone");
    uint64_t tone_s = quiet_at * fl > keep_f / 2 ? quiet_at * fl - keep_f / 2 : 0;
    if (tone_s + keep_f > a->frames) fill = 0;
    float *tone = NULL;
    if (fill) {
        if (!(tone = malloc((size_t)keep_f * nc * sizeof *tone))) {
            free(cuts);
            return pol__fail(run, POL_ERR_NOMEM, "out of memory");
        }
        memcpy(tone, a->x + (size_t)tone_s * nc, (size_t)keep_f * nc * sizeof *tone);
        pol__measure(run, "room_tone_at_s", round((double)tone_s / a->rate * 1000) / 1000);
    }
    /* build the output in place: copy kept spans forward, crossfading at each cut */
    uint64_t w = 0, r = 0, removed = 0;
    float *x = a->x;
    pol__jv *list = pol__jv_arr();
    for (size_t k = 0; k < n_cuts; k++) {
        uint64_t ca = cuts[k].a, cb = cuts[k].b; /* [ca, ca + xf) fades out, [cb, cb + xf) in */
        if (r < ca) {
            memmove(x + (size_t)w * nc, x + (size_t)r * nc, (size_t)(ca - r) * nc * sizeof *x);
            w += ca - r;
        }
        for (size_t i = 0; i < xf; i++) {
            double t = ((double)i + 0.5) / (double)xf;
            float go = (float)cos(t * M_PI / 2), gi = (float)sin(t * M_PI / 2);
            for (size_t c = 0; c < nc; c++)
                x[(size_t)(w + i) * nc + c] = x[(size_t)(ca + i) * nc + c] * go +
                                              x[(size_t)(cb + i) * nc + c] * gi;
        }
        w += xf;
        r = cb + xf;
        uint64_t before = removed;
        removed += cb - ca;
        pol__jv *o = pol__jv_obj();
        pol__jv_set(o, "input_from_s", pol__jv_num(round((double)ca / a->rate * 1000) / 1000));
        pol__jv_set(o, "input_to_s", pol__jv_num(round((double)cb / a->rate * 1000) / 1000));
        pol__jv_set(o, "output_at_s", pol__jv_num(round((double)(ca - before) / a->rate * 1000) / 1000));
        pol__jv_set(o, "removed_s", pol__jv_num(round((double)(cb - ca) / a->rate * 1000) / 1000));
        pol__jv_push(list, o);
    }
    if (r < a->frames) {
        memmove(x + (size_t)w * nc, x + (size_t)r * nc, (size_t)(a->frames - r) * nc * sizeof *x);
        w += a->frames - r;
    }
    if (fill) {
        /* replace each kept pause (the crossfade's surroundings, pause ends faded) with room tone */
        uint64_t shift = 0;
        for (size_t k = 0; k < n_cuts; k++) {
            uint64_t at = cuts[k].a - shift; /* the join in the output */
            uint64_t from = at + xf > (keep_f + xf) / 2 ? at + xf - (keep_f + xf) / 2 : 0;
            uint64_t to = from + keep_f;
            if (to > w) to = w;
            for (uint64_t i = from; i < to; i++) {
                double t = (double)(i - from);
                double gw = fmin(1, fmin(t, (double)(to - 1 - i)) / (double)xf); /* tone weight */
                for (size_t c = 0; c < nc; c++) {
                    float tv = tone[(size_t)(i - from) * nc + c];
                    x[(size_t)i * nc + c] = (float)(x[(size_t)i * nc + c] * (1 - gw) + tv * gw);
                }
            }
            shift += cuts[k].b - cuts[k].a;
        }
    }
    free(tone);
    uint64_t in_frames = a->frames;
    a->frames = w;
    pol__measure_int(run, "cuts", (long long)n_cuts);
    pol__measure(run, "removed_s", round((double)removed / a->rate * 1000) / 1000);
    pol__measure_jv(run, "cut_list", list);
    pol__decide(run, "shortened %zu pauses longer than %.2f s to %.2f s (%.2f s removed%s)", n_cuts,
                maxp, keep, (double)removed / a->rate, fill ? ", room tone filled" : "");
    pol__confidence(run, 0.8);
    pol_status st = POL_OK;
    const char *cp = pol__output_path(args, "cuts");
    if (cp) st = write_cuts(run, cp, cuts, n_cuts, a->rate, in_frames, w);
    free(cuts);
    return st;
}

/* ---- streamed ------------------------------------------------------------------------------ */

typedef struct pstate {
    const pol_args *args;
    double maxp, keep, thr;
    int have_thr, want_fill, fill, pass, off;
    int channels, rate;
    size_t nc, fl, xf;
    uint64_t total, keep_f;
    long hang;
    pol__aanalysis *an;
    /* 20 ms frames, in order */
    double fr_e;
    size_t fr_fill;
    uint64_t fr_k;
    uint64_t quiet_at;
    double quiet_e;
    /* pass 2: activity decided hang frames late; pauses between active frames */
    int64_t last_loud;
    uint64_t act_k;
    int seen_active, in_run;
    uint64_t run_s;
    int pauses;
    double longest;
    cut *cuts;
    size_t n_cuts, cap;
    int oom;
    /* room tone */
    uint64_t tone_s;
    float *tone;
    uint64_t *tfrom, *tto; /* each cut's room-tone span in the output */
    /* applying */
    size_t ci, ti;
    float *fade; /* the fading-out side of the current cut, xf frames */
    float *emit;
    size_t emit_cap;
    uint64_t w, removed;
} pstate;

static void pfree(void *p)
{
    pstate *s = p;
    if (!s) return;
    pol__aan_free(s->an);
    free(s->cuts);
    free(s->tone);
    free(s->tfrom);
    free(s->tto);
    free(s->fade);
    free(s->emit);
    free(s);
}

static pol_status pbegin(pol_run *run, const pol_args *args, void **out)
{
    pstate *s = calloc(1, sizeof *s);
    if (!s) return pol__fail(run, POL_ERR_NOMEM, "out of memory");
    s->args = args;
    s->have_thr = pol__arg_has(args, "threshold");
    if (s->have_thr) s->thr = pol__arg_num(args, "threshold");
    s->hang = (long)ceil(pol__arg_num(args, "hangover") * 50);
    s->maxp = pol__arg_num(args, "max");
    s->keep = pol__arg_num(args, "keep");
    if (s->keep > s->maxp) s->keep = s->maxp;
    s->want_fill = pol__arg_bool(args, "room-tone");
    s->quiet_e = HUGE_VAL;
    s->last_loud = INT64_MIN / 2;
    *out = s;
    return POL_OK;
}

static pol_status add_cut(pol_run *run, pstate *s, uint64_t a, uint64_t b)
{
    if (s->n_cuts == s->cap) {
        size_t cap = s->cap ? 2 * s->cap : 64;
        cut *p = realloc(s->cuts, cap * sizeof *p);
        if (!p) return pol__fail(run, POL_ERR_NOMEM, "out of memory");
        s->cuts = p;
        s->cap = cap;
    }
    s->cuts[s->n_cuts++] = (cut){a, b};
    return POL_OK;
}

/* Frame j's activity is known: a pause ends at an active frame after an active one (as run_op's
 * scan between the first and the last active frame). */
static pol_status activity(pol_run *run, pstate *s, uint64_t j, int active)
{
    if (!active) {
        if (s->seen_active && !s->in_run) {
            s->in_run = 1;
            s->run_s = j;
        }
        return POL_OK;
    }
    if (s->seen_active && s->in_run) {
        uint64_t st = s->run_s, k = j;
        double len = (double)(k - st) * s->fl / s->rate;
        s->pauses++;
        if (len > s->longest) s->longest = len;
        if (len > s->maxp) {
            uint64_t ps = st * s->fl, pe = k * s->fl;
            uint64_t head = (s->keep_f + s->xf) / 2, tail = s->keep_f + s->xf - head;
            pol_status r = add_cut(run, s, ps + head - s->xf, pe - tail + 0);
            if (r) return r;
        }
    }
    s->seen_active = 1;
    s->in_run = 0;
    return POL_OK;
}

/* A 20 ms frame's level, as run_op computes it. */
static pol_status frame_level(pol_run *run, pstate *s, double l)
{
    uint64_t k = s->fr_k++;
    if (s->pass == 0) {
        if (l < s->quiet_e && l > -200) { /* digital silence is not room tone */
            s->quiet_e = l;
            s->quiet_at = k;
        }
        return POL_OK;
    }
    if (l > s->thr) s->last_loud = (int64_t)k;
    if (k < (uint64_t)s->hang) return POL_OK;
    uint64_t j = k - (uint64_t)s->hang;
    s->act_k = j + 1;
    return activity(run, s, j, s->last_loud >= (int64_t)j - s->hang);
}

static pol_status pmeasure(pol_run *run, void *p, const pol__chunk *c)
{
    pstate *s = p;
    const pol__ablock *b = pol__ablock_of(c);
    if (!s->fl) {
        s->channels = b->channels;
        s->rate = b->rate;
        s->total = b->total;
        s->nc = (size_t)b->channels;
        s->fl = (size_t)(b->rate / 50);
        if (s->fl < 1) s->fl = 1;
        if (!s->have_thr && !(s->an = pol__aan_new(b->channels, b->rate, 0)))
            return pol__fail(run, POL_ERR_NOMEM, "out of memory");
    }
    if (s->off) return POL_OK;
    const float *x = pol__chunk_core(c);
    size_t nc = s->nc;
    if (s->pass == 0 && s->an) pol__aan_add(s->an, x, c->n);
    uint64_t nfr = s->total / s->fl;
    for (size_t i = 0; i < c->n; i++) {
        if (s->fr_k >= nfr) break; /* the partial frame at the end is not one */
        for (size_t ch = 0; ch < nc; ch++) s->fr_e += (double)x[i * nc + ch] * x[i * nc + ch];
        if (++s->fr_fill == s->fl) {
            pol_status r = frame_level(run, s, pol__db(s->fr_e / (double)(s->fl * nc)));
            if (r) return r;
            s->fr_e = 0;
            s->fr_fill = 0;
        }
    }
    if (s->pass == 1 && s->fill) { /* the room tone's samples */
        uint64_t a = c->start > s->tone_s ? c->start : s->tone_s;
        uint64_t e = c->start + c->n < s->tone_s + s->keep_f ? c->start + c->n : s->tone_s + s->keep_f;
        if (a < e)
            memcpy(s->tone + (size_t)(a - s->tone_s) * nc, x + (size_t)(a - c->start) * nc,
                   (size_t)(e - a) * nc * sizeof *x);
    }
    return POL_OK;
}

static pol_status pdecide(pol_run *run, void *p)
{
    pstate *s = p;
    if (!s->fl || s->off) return POL_OK;
    if (s->pass == 0) {
        s->pass = 1;
        if (!s->have_thr) {
            pol__afindings f;
            pol__aan_finish(s->an, &f);
            pol__aan_free(s->an);
            s->an = NULL;
            pol__measure(run, "noise_floor_dbfs", round(f.noise_floor_db * 10) / 10);
            pol__measure(run, "speech_level_dbfs", round(f.speech_level_db * 10) / 10);
            if (f.snr_db < 10) {
                s->off = 1;
                pol__decline(run, "speech does not stand out of the background (%.1f dB): pauses "
                                  "cannot be told from words", f.snr_db);
                return POL_OK;
            }
            s->thr = f.noise_floor_db + fmax(6, fmin(15, f.snr_db / 3));
        }
        pol__measure(run, "threshold_dbfs", round(s->thr * 10) / 10);
        s->keep_f = (uint64_t)(s->keep * s->rate);
        s->xf = (size_t)(pol__arg_num(s->args, "crossfade") * 1e-3 * s->rate);
        if (s->xf < 1) s->xf = 1;
        if (s->xf * 2 > s->keep_f) s->xf = (size_t)(s->keep_f / 2);
        s->fill = s->want_fill;
        s->tone_s = s->quiet_at * s->fl > s->keep_f / 2 ? s->quiet_at * s->fl - s->keep_f / 2 : 0;
        if (s->tone_s + s->keep_f > s->total) s->fill = 0;
        if (s->fill) {
            pol_status r = pol__mem_reserve(run, (size_t)s->keep_f * s->nc * sizeof(float), "the room tone");
            if (r) return r;
            if (!(s->tone = calloc((size_t)s->keep_f * s->nc, sizeof *s->tone)))
                return pol__fail(run, POL_ERR_NOMEM, "out of memory");
        }
        s->fr_k = 0;
        s->fr_e = 0;
        s->fr_fill = 0;
        return POL_OK;
    }
    /* the frames whose activity waited for the hangover */
    uint64_t nfr = s->total / s->fl;
    for (uint64_t j = s->act_k; j < nfr; j++) {
        pol_status r = activity(run, s, j, s->last_loud >= (int64_t)j - s->hang);
        if (r) return r;
    }
    s->act_k = nfr;
    pol__measure_int(run, "pauses", s->pauses);
    pol__measure(run, "pause_longest_s", round(s->longest * 100) / 100);
    if (!s->n_cuts) {
        s->off = 1;
        pol__decline(run, "no pause longer than %.2f s (longest %.2f s)", s->maxp, s->longest);
        return POL_OK;
    }
    if (s->fill) pol__measure(run, "room_tone_at_s", round((double)s->tone_s / s->rate * 1000) / 1000);
    /* the output, cut by cut: its length, each cut's place and room-tone span */
    uint64_t removed = 0;
    for (size_t k = 0; k < s->n_cuts; k++) removed += s->cuts[k].b - s->cuts[k].a;
    uint64_t w_total = s->total - removed;
    if (!(s->tfrom = malloc(s->n_cuts * sizeof *s->tfrom)) || !(s->tto = malloc(s->n_cuts * sizeof *s->tto)) ||
        !(s->fade = malloc(s->xf * s->nc * sizeof *s->fade)))
        return pol__fail(run, POL_ERR_NOMEM, "out of memory");
    pol__jv *list = pol__jv_arr();
    uint64_t before = 0;
    for (size_t k = 0; k < s->n_cuts; k++) {
        uint64_t ca = s->cuts[k].a, cb = s->cuts[k].b;
        uint64_t at = ca - before, half = (s->keep_f + s->xf) / 2;
        s->tfrom[k] = at + s->xf > half ? at + s->xf - half : 0;
        s->tto[k] = s->tfrom[k] + s->keep_f < w_total ? s->tfrom[k] + s->keep_f : w_total;
        pol__jv *o = pol__jv_obj();
        pol__jv_set(o, "input_from_s", pol__jv_num(round((double)ca / s->rate * 1000) / 1000));
        pol__jv_set(o, "input_to_s", pol__jv_num(round((double)cb / s->rate * 1000) / 1000));
        pol__jv_set(o, "output_at_s", pol__jv_num(round((double)(ca - before) / s->rate * 1000) / 1000));
        pol__jv_set(o, "removed_s", pol__jv_num(round((double)(cb - ca) / s->rate * 1000) / 1000));
        pol__jv_push(list, o);
        before += cb - ca;
    }
    pol__measure_int(run, "cuts", (long long)s->n_cuts);
    pol__measure(run, "removed_s", round((double)removed / s->rate * 1000) / 1000);
    pol__measure_jv(run, "cut_list", list);
    pol__decide(run, "shortened %zu pauses longer than %.2f s to %.2f s (%.2f s removed%s)", s->n_cuts,
                s->maxp, s->keep, (double)removed / s->rate, s->fill ? ", room tone filled" : "");
    pol__confidence(run, 0.8);
    const char *cp = pol__output_path(s->args, "cuts");
    return cp ? write_cuts(run, cp, s->cuts, s->n_cuts, s->rate, s->total, w_total) : POL_OK;
}

/* One output frame, at output index s->w: blended with the room tone inside a cut's span (as
 * run_op does after the joins). */
static void tone_blend(pstate *s, float *o)
{
    uint64_t wo = s->w++;
    if (!s->fill) return;
    while (s->ti < s->n_cuts && wo >= s->tto[s->ti]) s->ti++;
    if (s->ti == s->n_cuts || wo < s->tfrom[s->ti]) return;
    uint64_t from = s->tfrom[s->ti], to = s->tto[s->ti];
    double t = (double)(wo - from);
    double gw = fmin(1, fmin(t, (double)(to - 1 - wo)) / (double)s->xf); /* tone weight */
    for (size_t c = 0; c < s->nc; c++) {
        float tv = s->tone[(size_t)(wo - from) * s->nc + c];
        o[c] = (float)(o[c] * (1 - gw) + tv * gw);
    }
}

/* The core's frames as they are kept: spans between cuts as they were, each cut's fading-out side
 * held until its fading-in side arrives and the two are joined (equal power). */
static pol_status papply(pol_run *run, void *p, pol__chunk *c)
{
    pstate *s = p;
    if (s->off || !s->n_cuts) return POL_OK;
    pol__ablock *b = pol__ablock_of(c);
    size_t nc = s->nc, xf = s->xf;
    if (c->n > s->emit_cap) {
        pol_status r = pol__mem_reserve(run, (c->n - s->emit_cap) * nc * sizeof(float), "an audio block");
        if (r) return r;
        float *e = realloc(s->emit, c->n * nc * sizeof *e);
        if (!e) return pol__fail(run, POL_ERR_NOMEM, "out of memory");
        s->emit = e;
        s->emit_cap = c->n;
    }
    const float *x = pol__chunk_core(c);
    size_t n_out = 0;
    for (size_t i = 0; i < c->n; i++) {
        uint64_t g = c->start + i;
        const float *f = x + i * nc;
        float *o = s->emit + n_out * nc;
        if (s->ci < s->n_cuts) {
            uint64_t ca = s->cuts[s->ci].a, cb = s->cuts[s->ci].b;
            if (g >= ca && g < ca + xf) memcpy(s->fade + (size_t)(g - ca) * nc, f, nc * sizeof *f);
            if (g >= cb) { /* g < cb + xf: the join */
                size_t k = (size_t)(g - cb);
                double t = ((double)k + 0.5) / (double)xf;
                float go = (float)cos(t * M_PI / 2), gi = (float)sin(t * M_PI / 2);
                for (size_t ch = 0; ch < nc; ch++) o[ch] = s->fade[k * nc + ch] * go + f[ch] * gi;
                tone_blend(s, o);
                n_out++;
                if (g + 1 == cb + xf) s->ci++;
                continue;
            }
            if (g >= ca) continue; /* removed, or held for the join */
        }
        memcpy(o, f, nc * sizeof *f);
        tone_blend(s, o);
        n_out++;
    }
    b->emit_set = 1;
    b->emit = s->emit;
    b->emit_n = n_out;
    return POL_OK;
}

static const pol_op_stream stream = {
    .measure_first = 1,
    .measure_passes = 2,
    .rewrites_output = 1,
    .begin = pbegin,
    .measure = pmeasure,
    .decide = pdecide,
    .apply = papply,
    .free = pfree,
};

const pol_op_desc pol__audio_op_shorten_pauses = {
    .domain = "audio",
    .name = "shorten-pauses",
    .summary = "Shorten long pauses (voice activity with hangover, crossfaded cuts, cut list)",
    .params = params,
    .n_params = POL_ARRAY_LEN(params),
    .outputs = outputs,
    .n_outputs = POL_ARRAY_LEN(outputs),
    .run = run_op,
    .stream = &stream,
};
