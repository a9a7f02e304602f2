/* polish — captions from a plain transcript: the soundtrack decoded to 16 kHz mono as the
 * alignment needs it (one piece up to 60 s, else windows of about 30 s, samples before a window
 * dropped: memory does not grow with length), the transcript's words aligned to it with
 * pocketsphinx (a finite-state grammar of the word sequence, silences and fillers allowed between
 * words), and each placed word checked against the sound (its acoustic score against every
 * senone's): words the sound does not match are rejected. Words the dictionary lacks or the sound
 * rejects are kept, timed between their aligned neighbours. Without the model, or when under half
 * the words align, the words are spread over the detected speech (voice activity) or evenly over
 * the duration; the report says which and why. Aligned words become cues at pauses and line limits. */
#include <ctype.h>
#include <libavformat/avformat.h>
#include <libavutil/channel_layout.h>
#include <libavutil/opt.h>
#include <libswresample/swresample.h>
#include <math.h>
#include <ckd_alloc.h>
#include <fsg_model.h>
#include <pocketsphinx.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "audio/audio.h"
#include "video/video.h"

#define AL_RATE 16000
#define AL_FPS 100.0      /* pocketsphinx frames per second */
#define AL_WINDOW 30.0    /* s of audio per alignment window on long recordings */
#define AL_WHOLE 60.0     /* recordings up to this long are aligned in one piece */
#define AL_SETTLE 5.0     /* words ending this close to a window's end wait for the next window */
#define AL_MAX_WORDS 500000
/* A placed word is believed when the acoustic score of it and its two neighbours on each side
 * (every senone scored, so a frame's score is relative to its best senone anywhere) averages at
 * least this per frame, in pocketsphinx's scaled log units (about -6.1 nats). Read speech placed
 * on its own transcript scores -17 to -93 a word and -26 to -47 so averaged; another text, music
 * or noise forced onto it -26 to -202 a word and -67 to -122 averaged (bench/RESULTS.md, session 9). */
#define AL_MIN_SCORE (-60.0)
#define AL_SCORE_SPAN 2

typedef struct al_word {
    char *text; /* as written */
    char *key;  /* lower case, no punctuation; NULL when nothing is left */
    double t0, t1;
    int in_dict, aligned;
    double ascr; /* the decoder's acoustic score of the word and its frames (align_window) */
    int frames;
} al_word;

static void words_free(al_word *w, size_t n)
{
    for (size_t i = 0; w && i < n; i++) {
        free(w[i].text);
        free(w[i].key);
    }
    free(w);
}

/* The dictionary's form of a token: ASCII letters lower-cased, digits and inner apostrophes kept,
 * inner hyphens made spaces (the parts of "ill-disposed" are words of the dictionary), other
 * punctuation dropped. */
static char *normalise(const char *s, size_t n)
{
    char *k = malloc(n + 1);
    if (!k) return NULL;
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (isalnum(c) || c >= 0x80) k[o++] = (char)tolower(c);
        else if (c == '\'' && o && i + 1 < n && isalpha((unsigned char)s[i + 1])) k[o++] = '\'';
        else if (c == '-' && o && k[o - 1] != ' ' && i + 1 < n && isalnum((unsigned char)s[i + 1])) k[o++] = ' ';
    }
    k[o] = 0;
    return k;
}

static pol_status read_words(pol_run *run, const char *path, al_word **out, size_t *nout)
{
    unsigned char *data = NULL;
    size_t len = 0;
    pol_status st = pol__read_file(run, path, 16u << 20, &data, &len);
    if (st) return st;
    const char *p = (const char *)data, *end = p + len;
    if (len >= 3 && !memcmp(p, "\xEF\xBB\xBF", 3)) p += 3;
    al_word *w = NULL;
    size_t n = 0, cap = 0;
    while (!st) {
        while (p < end && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r' || *p == '\f' || *p == '\v')) p++;
        if (p >= end) break;
        if (!*p) {
            st = pol__fail(run, POL_ERR_CORRUPT, "%s: not a text file (a NUL byte)", path);
            break;
        }
        const char *s = p;
        while (p < end && *p && *p != ' ' && *p != '\t' && *p != '\n' && *p != '\r' && *p != '\f' && *p != '\v') p++;
        if (n == cap) {
            size_t nc = cap ? cap * 2 : 256;
            if (nc > AL_MAX_WORDS) nc = AL_MAX_WORDS;
            if (n == nc) {
                st = pol__fail(run, POL_ERR_LIMIT, "%s: more than %d words", path, AL_MAX_WORDS);
                break;
            }
            al_word *nw = realloc(w, nc * sizeof *nw);
            if (!nw) {
                st = pol__fail(run, POL_ERR_NOMEM, "out of memory");
                break;
            }
            w = nw;
            cap = nc;
        }
        al_word x = {pol__strndup(s, (size_t)(p - s)), normalise(s, (size_t)(p - s)), 0, 0, 0, 0, 0, 0};
        if (!x.text || !x.key) {
            free(x.text);
            free(x.key);
            st = pol__fail(run, POL_ERR_NOMEM, "out of memory");
            break;
        }
        if (!x.key[0]) {
            free(x.key);
            x.key = NULL;
        }
        w[n++] = x;
    }
    free(data);
    if (!st && !n) st = pol__fail(run, POL_ERR_EMPTY, "%s: no words", path);
    if (st) {
        words_free(w, n);
        return st;
    }
    *out = w;
    *nout = n;
    return POL_OK;
}

/* The soundtrack as 16 kHz mono 16-bit samples, decoded as the alignment asks for it: only
 * samples [base, base + n) are held, and samples before the next window are dropped, so memory
 * stays flat however long the recording is (about 2 MB: one whole short recording or one window
 * and what a decoded frame adds). */
typedef struct al_audio {
    const char *path;
    pol__vdec *d;
    SwrContext *swr;
    AVChannelLayout in;
    int16_t *x;
    size_t base, n, cap; /* x[0..n) are samples base..base+n of the soundtrack */
    size_t peak;         /* most samples held at once */
    int eof;
    double est_dur;      /* the audio stream's length from the container, s (0: unknown) */
} al_audio;

static void al_close(al_audio *a)
{
    swr_free(&a->swr);
    av_channel_layout_uninit(&a->in);
    pol__vdec_close(a->d);
    free(a->x);
    memset(a, 0, sizeof *a);
}

static pol_status al_open(pol_run *run, pol__video *v, al_audio *a)
{
    memset(a, 0, sizeof *a);
    a->path = v->path;
    pol_status st = pol__vdec_open(run, v->path, POL_VDEC_AUDIO, &a->d);
    if (st) return st;
    int ch = pol__vdec_achannels(a->d), rate = pol__vdec_arate(a->d);
    const AVStream *as = pol__vdec_astream(a->d);
    if (as && as->duration > 0 && as->duration != AV_NOPTS_VALUE) a->est_dur = (double)as->duration * av_q2d(as->time_base);
    if (a->est_dur <= 0) a->est_dur = v->in.duration;
    a->cap = (size_t)((AL_WHOLE + 2) * AL_RATE);
    st = pol__mem_reserve(run, a->cap * sizeof(int16_t), "the soundtrack at 16 kHz for alignment");
    if (!st && !(a->x = malloc(a->cap * sizeof *a->x))) st = pol__fail(run, POL_ERR_NOMEM, "out of memory");
    AVChannelLayout mono = AV_CHANNEL_LAYOUT_MONO;
    av_channel_layout_default(&a->in, ch);
    if (!st && (swr_alloc_set_opts2(&a->swr, &mono, AV_SAMPLE_FMT_S16, AL_RATE, &a->in, AV_SAMPLE_FMT_FLT, rate, 0,
                                    NULL) < 0 || swr_init(a->swr) < 0))
        st = pol__fail(run, POL_ERR_UNSUPPORTED, "%s: cannot resample the soundtrack to 16 kHz", v->path);
    if (st) al_close(a);
    return st;
}

/* Samples before `from` are not needed again. */
static void al_drop(al_audio *a, size_t from)
{
    if (from <= a->base) return;
    size_t k = from - a->base < a->n ? from - a->base : a->n;
    memmove(a->x, a->x + k, (a->n - k) * sizeof *a->x);
    a->base += k;
    a->n -= k;
}

/* Decodes until samples up to `upto` are held or the soundtrack ends (a->eof). */
static pol_status al_fill(pol_run *run, al_audio *a, size_t upto)
{
    pol_status st = POL_OK;
    while (!st && !a->eof && a->base + a->n < upto) {
        pol__vdec_out o;
        st = pol__vdec_next(run, a->d, &o);
        if (st) break;
        int last = !o.kind;
        if (!last && o.kind != POL_VDEC_AUDIO) continue;
        a->eof = last;
        int want = swr_get_out_samples(a->swr, last ? 0 : (int)o.n);
        if (want <= 0) continue;
        if (a->n + (size_t)want > a->cap) {
            size_t nc = a->n + (size_t)want + AL_RATE;
            st = pol__mem_reserve(run, (nc - a->cap) * sizeof *a->x, "the soundtrack at 16 kHz for alignment");
            int16_t *nx = st ? NULL : realloc(a->x, nc * sizeof *nx);
            if (!st && !nx) st = pol__fail(run, POL_ERR_NOMEM, "out of memory");
            if (st) break;
            a->x = nx;
            a->cap = nc;
        }
        uint8_t *op[1] = {(uint8_t *)(a->x + a->n)};
        const uint8_t *ip[1] = {(const uint8_t *)o.samples};
        int got = swr_convert(a->swr, op, want, last ? NULL : ip, last ? 0 : (int)o.n);
        if (got < 0) st = pol__fail(run, POL_ERR_CORRUPT, "%s: resampling the soundtrack failed", a->path);
        else a->n += (size_t)got;
        if (a->n > a->peak) a->peak = a->n;
    }
    return st;
}

/* ---- pocketsphinx --------------------------------------------------------------------------- */

static int file_exists(const char *p)
{
    struct stat s;
    return stat(p, &s) == 0;
}

/* The space-separated parts of a key. */
static size_t n_parts(const char *key)
{
    size_t n = 1;
    for (; *key; key++) n += *key == ' ';
    return n;
}

static void get_part(const char *key, size_t q, char *out, size_t cap)
{
    while (q && (key = strchr(key, ' ')) != NULL) {
        key++;
        q--;
    }
    size_t l = key ? strcspn(key, " ") : 0;
    if (l >= cap) l = cap - 1;
    if (l) memcpy(out, key, l);
    out[l] = 0;
}

/* In the dictionary when every part is. */
static int in_dict(ps_decoder_t *ps, const char *key)
{
    char part[256];
    for (size_t q = 0, np = n_parts(key); q < np; q++) {
        get_part(key, q, part, sizeof part);
        char *pr = part[0] ? ps_lookup_word(ps, part) : NULL;
        if (!pr) return 0;
        ckd_free(pr);
    }
    return 1;
}

/* Aligns dictionary words idx[0..m) to samples x[0..n) starting at time t_start; `prefix`: the
 * grammar may end after any word (a window that holds only part of them). Returns how many of
 * the first words were aligned (their times set), or -1 when the decoder failed. */
static long align_window(ps_decoder_t *ps, al_word *w, const size_t *idx, size_t m, const int16_t *x, size_t n,
                         double t_start, int prefix)
{
    size_t parts = 0;
    for (size_t k = 0; k < m; k++) parts += n_parts(w[idx[k]].key);
    float32 lw = cmd_ln_float32_r(ps_get_config(ps), "-lw");
    fsg_model_t *fsg = fsg_model_init("align", ps_get_logmath(ps), lw, (int32)parts + 1);
    if (!fsg) return -1;
    fsg->start_state = 0;
    fsg->final_state = (int32)parts;
    int32 st = 0;
    char part[256];
    for (size_t k = 0; k < m; k++) {
        if (prefix && k) fsg_model_null_trans_add(fsg, st, (int32)parts, 0);
        for (size_t q = 0, np = n_parts(w[idx[k]].key); q < np; q++, st++) {
            get_part(w[idx[k]].key, q, part, sizeof part);
            fsg_model_trans_add(fsg, st, st + 1, 0, fsg_model_word_add(fsg, part));
        }
    }
    int bad = ps_set_fsg(ps, "align", fsg) < 0 || ps_set_search(ps, "align") < 0;
    fsg_model_free(fsg); /* the search keeps its own reference */
    if (bad) return -1;
    if (ps_start_utt(ps) < 0) return -1;
    int frames = ps_process_raw(ps, x, n, FALSE, TRUE);
    if (ps_end_utt(ps) < 0 || frames < 0) return -1;
    if (!ps_get_hyp(ps, NULL)) return 0;
    size_t k = 0, q = 0;
    for (ps_seg_t *s = ps_seg_iter(ps); s; s = ps_seg_next(s)) {
        const char *word = ps_seg_word(s);
        if (!word || word[0] == '<' || word[0] == '[' || word[0] == '+') continue;
        size_t wl = strcspn(word, "(");
        if (k < m) get_part(w[idx[k]].key, q, part, sizeof part);
        if (k >= m || strlen(part) != wl || strncmp(part, word, wl)) {
            ps_seg_free(s); /* not the grammar's next word: trust nothing after it */
            break;
        }
        int sf, ef;
        int32 ascr, lscr, lback;
        ps_seg_frames(s, &sf, &ef);
        ps_seg_prob(s, &ascr, &lscr, &lback);
        if (!q) {
            w[idx[k]].t0 = t_start + sf / AL_FPS;
            w[idx[k]].ascr = 0;
            w[idx[k]].frames = 0;
        }
        w[idx[k]].ascr += ascr;
        w[idx[k]].frames += ef - sf + 1;
        w[idx[k]].t1 = t_start + (ef + 1) / AL_FPS;
        if (++q == n_parts(w[idx[k]].key)) {
            q = 0;
            k++;
        }
    }
    return (long)k;
}

/* Whether each of the k words idx[0..k) just placed is believed (ok[j]): the frame-weighted mean
 * of its and its neighbours' acoustic scores per frame against AL_MIN_SCORE. */
static void verify(const al_word *w, const size_t *idx, size_t k, unsigned char *ok)
{
    for (size_t j = 0; j < k; j++) {
        double sc = 0, fr = 0;
        size_t a = j > AL_SCORE_SPAN ? j - AL_SCORE_SPAN : 0, b = j + AL_SCORE_SPAN + 1 < k ? j + AL_SCORE_SPAN + 1 : k;
        for (size_t q = a; q < b; q++) {
            sc += w[idx[q]].ascr;
            fr += w[idx[q]].frames;
        }
        ok[j] = fr > 0 && sc / fr >= AL_MIN_SCORE;
    }
}

typedef struct al_result {
    size_t aligned, missing, rejected, windows, held; /* held: most samples held at once */
    const char *why;
} al_result;

/* Aligns what it can of the soundtrack `a` (decoded as the windows need it); aligned words get
 * times. Words the decoder placed where the sound does not match them (verify) are counted in
 * r->rejected and get none. Returns a failure only for memory or decoding. */
static pol_status align_ps(pol_run *run, const char *model, const char *dict, al_word *w, size_t nw, al_audio *au,
                           al_result *r)
{
    memset(r, 0, sizeof *r);
    char mdef[4096];
    snprintf(mdef, sizeof mdef, "%s/mdef", model);
    if (!file_exists(mdef) || !file_exists(dict)) {
        r->why = "the acoustic model or dictionary is missing (package pocketsphinx-en-us)";
        return POL_OK;
    }
    cmd_ln_t *cfg = cmd_ln_init(NULL, ps_args(), TRUE, "-hmm", model, "-dict", dict, "-logfn", "/dev/null",
                                "-samprate", "16000",
                                /* frame numbers must count every frame: no silence removed */
                                "-remove_silence", "no",
                                /* every senone scored: a word's acoustic score is then relative to
                                 * the best the model has for each frame (verify) */
                                "-compallsen", "yes", NULL);
    ps_decoder_t *ps = cfg ? ps_init(cfg) : NULL;
    if (!ps) {
        if (cfg) cmd_ln_free_r(cfg);
        r->why = "pocketsphinx cannot load the model";
        return POL_OK;
    }
    size_t *idx = malloc(nw * sizeof *idx), m = 0;
    unsigned char *ok = malloc(nw ? nw : 1);
    if (!idx || !ok) {
        free(idx);
        free(ok);
        ps_free(ps);
        cmd_ln_free_r(cfg);
        return pol__fail(run, POL_ERR_NOMEM, "out of memory");
    }
    for (size_t i = 0; i < nw; i++) {
        w[i].in_dict = w[i].key && strlen(w[i].key) < 256 && in_dict(ps, w[i].key);
        if (w[i].in_dict) idx[m++] = i;
        else r->missing++;
    }
    /* up to AL_WHOLE s: one piece; the first sample past it says the recording is longer */
    size_t whole = (size_t)(AL_WHOLE * AL_RATE);
    pol_status st = al_fill(run, au, whole + 1);
    if (!st && au->eof && au->n <= whole) {
        long k = m ? align_window(ps, w, idx, m, au->x, au->n, 0, 0) : 0;
        r->windows = m != 0;
        if (k < 0) r->why = "the decoder failed";
        if (k > 0) {
            verify(w, idx, (size_t)k, ok);
            for (size_t j = 0; j < (size_t)k; j++) {
                w[idx[j]].aligned = ok[j];
                r->aligned += ok[j];
            }
        }
    } else if (!st) {
        /* windows of AL_WINDOW s from the end of the last word taken; each offers the words
         * expected there at the transcript's average rate (over the soundtrack's length as the
         * container gives it), with room to spare. Only the window is held: samples before it
         * are dropped, the next ones decoded as the window reaches them. */
        double rate = m / fmax(au->est_dur, AL_WHOLE);
        size_t i = 0;
        double ta = 0;
        while (!st && i < m) {
            al_drop(au, (size_t)(ta * AL_RATE));
            st = al_fill(run, au, (size_t)ceil((ta + AL_WINDOW) * AL_RATE) + 2);
            if (st) break;
            /* the length is known once the end is decoded; before that it lies past the window */
            double dur = au->eof ? (double)(au->base + au->n) / AL_RATE : ta + AL_WINDOW + 1;
            if (ta >= dur - 0.5) break;
            double tb = fmin(dur, ta + AL_WINDOW);
            int last = tb >= dur - 1e-9;
            size_t want = last ? m - i : (size_t)ceil(rate * AL_WINDOW * 1.5) + 10;
            if (want > m - i) want = m - i;
            size_t s0 = (size_t)(ta * AL_RATE), s1 = (size_t)(tb * AL_RATE);
            if (s1 > au->base + au->n) s1 = au->base + au->n;
            long k = align_window(ps, w, idx + i, want, au->x + (s0 - au->base), s1 - s0, ta, !last);
            r->windows++;
            if (k < 0) {
                r->why = "the decoder failed";
                break;
            }
            verify(w, idx + i, (size_t)k, ok);
            /* taken: the words up to the last believed one that has settled */
            size_t take = 0;
            for (long j = 0; j < k; j++)
                if (ok[j] && (last || w[idx[i + j]].t1 < tb - AL_SETTLE)) take = (size_t)j + 1;
            for (size_t j = take; j < (size_t)k; j++) w[idx[i + j]].t0 = w[idx[i + j]].t1 = 0;
            if (!take) {
                ta += AL_WINDOW / 2; /* nothing settled here: move on, the words wait */
                continue;
            }
            for (size_t j = 0; j < take; j++) {
                w[idx[i + j]].aligned = ok[j];
                r->aligned += ok[j];
                if (!ok[j]) w[idx[i + j]].t0 = w[idx[i + j]].t1 = 0;
            }
            ta = w[idx[i + take - 1]].t1;
            i += take;
        }
    }
    r->held = au->peak;
    for (size_t j = 0; j < m; j++) r->rejected += w[idx[j]].frames > 0 && !w[idx[j]].aligned;
    if (!r->aligned && !r->why)
        r->why = !m ? "no transcript word is in the dictionary"
                 : r->rejected ? "no word the decoder placed matches the sound" : "no word aligned";
    free(idx);
    free(ok);
    ps_free(ps);
    cmd_ln_free_r(cfg);
    return st;
}

/* Words without times get them between their aligned neighbours, shared by characters. */
static void interpolate(al_word *w, size_t nw, double dur)
{
    size_t i = 0;
    while (i < nw) {
        if (w[i].aligned) {
            i++;
            continue;
        }
        size_t j = i;
        while (j < nw && !w[j].aligned) j++;
        double a = i ? w[i - 1].t1 : -1, b = j < nw ? w[j].t0 : -1;
        double chars = 0;
        for (size_t k = i; k < j; k++) chars += strlen(w[k].text) + 1;
        /* an open end: about 15 characters per second of speech beside the known word */
        if (a < 0) a = fmax(0, (b < 0 ? 0 : b) - chars / 15);
        if (b < 0) b = fmin(dur, a + chars / 15);
        if (b < a) b = a;
        double acc = 0;
        for (size_t k = i; k < j; k++) {
            w[k].t0 = a + (b - a) * acc / chars;
            acc += strlen(w[k].text) + 1;
            w[k].t1 = a + (b - a) * (acc - 1) / chars;
        }
        i = j;
    }
}

/* Spreads words by characters over the spans where act[] (20 ms frames) is 1, or over [0, dur]. */
static void spread(al_word *w, size_t nw, const unsigned char *act, size_t na, double dur)
{
    double total = 0, chars = 0;
    for (size_t i = 0; i < na; i++) total += act[i] ? 0.02 : 0;
    for (size_t i = 0; i < nw; i++) chars += strlen(w[i].text) + 1;
    int speech = total > 0.5;
    if (!speech) total = dur;
    /* speech time -> clip time */
    double acc = 0;
    size_t f = 0;
    double seen = 0;
    for (size_t i = 0; i < nw; i++) {
        double span[2] = {acc / chars * total, (acc + strlen(w[i].text)) / chars * total};
        acc += strlen(w[i].text) + 1;
        double t[2];
        for (int e = 0; e < 2; e++) {
            if (!speech) {
                t[e] = span[e];
                continue;
            }
            while (f < na && (!act[f] || seen + 0.02 < span[e])) {
                if (act[f]) seen += 0.02;
                f++;
            }
            t[e] = f < na ? f * 0.02 + (span[e] - seen) : na * 0.02;
        }
        if (speech) {
            /* a word ends with the speech it starts in, not across the pause after it */
            size_t g = (size_t)(t[0] / 0.02);
            while (g < na && act[g]) g++;
            if (t[1] > g * 0.02) t[1] = g * 0.02;
        }
        w[i].t0 = t[0];
        w[i].t1 = fmax(t[1], t[0]);
    }
}

/* Words to cues (*loose: how many hold no aligned word; *loose_t: the first one's start): a new cue at a pause (once the cue has lasted min_s, or a long one), when the
 * text would wrap to more than `lines` lines of `chars`, or after a sentence's end once the cue
 * holds half of that. */
static pol_status to_cues(pol_run *run, const al_word *w, size_t nw, double pause, double min_s, int lines,
                          int chars, pol__vcue **out, size_t *nout, size_t *loose, double *loose_t)
{
    pol__vcue *c = malloc(nw * sizeof *c);
    if (!c) return pol__fail(run, POL_ERR_NOMEM, "out of memory");
    size_t n = 0, i = 0;
    while (i < nw) {
        size_t j = i + 1, len = strlen(w[i].text), line = len, max_chars = (size_t)(lines * chars);
        int used = 1; /* lines the greedy wrap of the layout rules will give (bytes: never fewer) */
        while (j < nw) {
            size_t l = strlen(w[j].text);
            int more = line + 1 + l > (size_t)chars;
            char endc = w[j - 1].text[strlen(w[j - 1].text) - 1];
            double gap = w[j].t0 - w[j - 1].t1;
            /* a short pause ends a cue only once it has been up for min_s (no one-word orphans) */
            if ((gap > pause && (w[j - 1].t1 - w[i].t0 >= min_s || gap > 2 * pause)) || used + more > lines ||
                ((endc == '.' || endc == '?' || endc == '!') && len >= max_chars / 2))
                break;
            len += 1 + l;
            line = more ? l : line + 1 + l;
            used += more;
            j++;
        }
        char *t = malloc(len + 1);
        if (!t) {
            pol__subs_free(c, n);
            return pol__fail(run, POL_ERR_NOMEM, "out of memory");
        }
        size_t o = 0;
        for (size_t k = i; k < j; k++) {
            if (k > i) t[o++] = ' ';
            size_t l = strlen(w[k].text);
            memcpy(t + o, w[k].text, l);
            o += l;
        }
        t[o] = 0;
        int any = 0;
        for (size_t k = i; k < j; k++) any |= w[k].aligned;
        if (!any && !(*loose)++) *loose_t = w[i].t0;
        c[n++] = (pol__vcue){w[i].t0, fmax(w[j - 1].t1, w[i].t0 + 0.1), t};
        i = j;
    }
    *out = c;
    *nout = n;
    return POL_OK;
}

pol_status pol__video_transcript_cues(pol_run *run, pol__video *v, const char *path, const pol__align_opts *o,
                                      pol__vcue **cues, size_t *n)
{
    al_word *w = NULL;
    size_t nw = 0;
    pol_status st = read_words(run, path, &w, &nw);
    if (st) return st;
    double dur = v->in.duration;
    al_result r = {0};
    char whybuf[200];
    const char *method = NULL;
    if (!v->in.has_audio) {
        r.why = "the video has no soundtrack";
    } else {
        al_audio au;
        st = al_open(run, v, &au);
        if (!st) {
            st = align_ps(run, o->model, o->dict, w, nw, &au, &r);
            al_close(&au);
        }
    }
    size_t believed = r.aligned, dict_words = nw - r.missing;
    if (!st && r.aligned && r.aligned * 2 < dict_words) {
        /* most words did not match the sound: a few chance matches are no alignment */
        snprintf(whybuf, sizeof whybuf,
                 "only %zu of %zu dictionary words matched the speech (a transcript of other speech, or no speech)",
                 r.aligned, dict_words);
        r.why = whybuf;
        for (size_t i = 0; i < nw; i++) w[i].aligned = 0;
        r.aligned = 0;
    }
    if (!st && r.aligned) {
        method = "pocketsphinx";
        interpolate(w, nw, dur);
    } else if (!st) {
        unsigned char *act = NULL;
        size_t na = 0;
        if (v->in.has_audio) {
            pol__afindings f;
            st = pol__video_sound(run, v, &f, &act, &na);
            if (!st && (f.snr_db < 6 || f.speech_fraction <= 0)) na = 0;
        }
        if (!st) {
            spread(w, nw, act, na, dur);
            method = na ? "voice-activity" : "even";
        }
        free(act);
        if (!st) pol__warn(run, "%s: captions spread %s, not aligned", r.why,
                           na ? "over the detected speech" : "evenly over the duration");
    }
    size_t loose = 0;
    double loose_t = 0;
    if (!st) {
        pol__measure_str(run, "alignment", method);
        pol__measure_int(run, "words", (long long)nw);
        pol__measure_int(run, "words_aligned", (long long)r.aligned);
        pol__measure_int(run, "words_matching_speech", (long long)believed);
        pol__measure_int(run, "words_rejected", (long long)r.rejected);
        pol__measure_int(run, "words_not_in_dictionary", (long long)r.missing);
        if (r.windows) {
            pol__measure_int(run, "alignment_windows", (long long)r.windows);
            pol__measure(run, "alignment_audio_held_s", round((double)r.held / AL_RATE * 100) / 100);
        }
        if (r.aligned && r.aligned < dict_words)
            pol__warn(run, "%zu of %zu dictionary words could not be aligned (%zu placed where the sound does not "
                      "match them): timed between their neighbours",
                      dict_words - r.aligned, dict_words, r.rejected);
        pol__decide(run, "%zu of %zu words timed by %s", method[0] == 'p' ? r.aligned : nw, nw, method);
        st = to_cues(run, w, nw, o->pause, o->min_s, o->lines, o->chars, cues, n, &loose, &loose_t);
    }
    if (!st && method[0] == 'p') {
        /* a cue none of whose words aligned is timed by its neighbours only: say so */
        pol__measure_int(run, "cues_without_aligned_word", (long long)loose);
        if (loose)
            pol__warn(run, "%zu cue%s from %.1f s hold%s no aligned word: timed between aligned neighbours", loose,
                      loose == 1 ? "" : "s", loose_t, loose == 1 ? "s" : "");
    }
    words_free(w, nw);
    return st;
}
