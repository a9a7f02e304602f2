/* polish — captions from a plain transcript: the soundtrack decoded to 16 kHz mono as the
 * alignment needs it (one piece up to 60 s, else windows of about 30 s, samples before a window
 * dropped: memory does not grow with length), the transcript's words aligned to it with
 * pocketsphinx (a finite-state grammar of the word sequence, silences and fillers allowed between
 * words), and each placed word checked against the sound (its acoustic score against every
 * senone's): words the sound does not match are rejected. Words the dictionary lacks or the sound
 * rejects are kept, timed between their aligned neighbours. A transcript that matches only in part
 * is aligned where it matches: a window whose plain chain of words places a word the sound rejects
 * is decoded again with jumps over words and garbage for speech the transcript lacks (place); the
 * stretches not matched, either way, are reported. Without the model, or when under a quarter of
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
/* A transcript that matches only in part: the grammar may jump forward over words never said
 * (at most AL_MAX_JUMP at once) and take speech the transcript lacks as garbage ([SPEECH], the
 * model's spoken noise), each at a cost; a placed word is believed only inside a run of at least
 * AL_MIN_RUN words placed one after another (a chance match of one or two words on other speech
 * is not). */
#define AL_JUMP_PROB 1e-3
#define AL_GARBAGE_PHONE_PROB 0.1
#define AL_MAX_JUMP 400
#define AL_MIN_RUN 3
#define AL_MIN_EXTRA_S 1.0 /* speech not in the transcript is reported from this long */
#define AL_MAX_OFFER 1000 /* words offered to one decoding at most (the jumps grow with them) */
#define AL_SENSCR_SHIFT 10 /* pocketsphinx's scaling of search scores (not in its public headers) */

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

/* The garbage loop's phones (the en-us model's), each added to the dictionary as a word "_g_<phone>"
 * (a transcript word never has '_'). */
static const char *const garbage_phones[] = {"AA", "AE", "AH", "AO", "AW", "AY", "B",  "CH", "D",  "DH",
                                             "EH", "ER", "EY", "F",  "G",  "HH", "IH", "IY", "JH", "K",
                                             "L",  "M",  "N",  "NG", "OW", "OY", "P",  "R",  "S",  "SH",
                                             "T",  "TH", "UH", "UW", "V",  "W",  "Y",  "Z",  "ZH"};

/* Stretches of speech the decoder took as garbage: speech the transcript does not have. */
typedef struct al_spans {
    double *t; /* start, end pairs */
    size_t n, cap;
} al_spans;

static void spans_add(al_spans *s, double t0, double t1)
{
    if (s->n && t0 - s->t[2 * s->n - 1] < 0.5) { /* joins the last one */
        if (t1 > s->t[2 * s->n - 1]) s->t[2 * s->n - 1] = t1;
        return;
    }
    if (s->n == s->cap) {
        size_t nc = s->cap ? 2 * s->cap : 16;
        double *nt = realloc(s->t, 2 * nc * sizeof *nt);
        if (!nt) return; /* a stretch left out of the report */
        s->t = nt;
        s->cap = nc;
    }
    s->t[2 * s->n] = t0;
    s->t[2 * s->n + 1] = t1;
    s->n++;
}

/* One word part the decoder placed (fillers left out): its name, frames, acoustic score, and
 * whether garbage ([SPEECH]: speech the transcript does not have) came before it. */
typedef struct al_seg {
    char word[64];
    int sf, ef;
    int32 ascr;
    int garbage;
} al_seg;

/* Which transcript part each placed part is (pos[a], -1: none): the monotone assignment of equal
 * names with the fewest jumps over transcript words (a word repeated in the transcript makes the
 * decoder's output ambiguous). part_word[p]/part_q[p]: the word and part index of transcript part
 * p of P; a jump may only leave after a word's last part and land on a word's first part.
 * Returns 0, or -1 when out of memory. */
static int assign_parts(const al_seg *s, size_t ns, char **part, const size_t *part_q, const size_t *part_np,
                        size_t P, int prefix, long *pos)
{
    const double DROP = 3, JUMP = 1, INF = 1e300;
    size_t W = P + 1; /* column 0: nothing assigned yet; column p + 1: last assigned part p */
    double *prev = malloc(W * sizeof *prev), *cur = malloc(W * sizeof *cur);
    unsigned char *how = malloc(ns * W);      /* 0 drop, 1 next part, 2 jump */
    long *from = malloc(ns * W * sizeof *from); /* the jump's source column */
    if (!prev || !cur || !how || !from) {
        free(prev);
        free(cur);
        free(how);
        free(from);
        return -1;
    }
    for (size_t c = 0; c < W; c++) prev[c] = c ? INF : 0;
    for (size_t a = 0; a < ns; a++) {
        /* best column a jump may leave from: nothing yet, or after a word's last part */
        double best = INF;
        long barg = -1;
        for (size_t c = 0; c < W; c++) {
            double v = INF;
            unsigned char h = 0;
            long f = -1;
            if (prev[c] < INF) {
                v = prev[c] + DROP;
            }
            if (c) {
                size_t p = c - 1;
                if (!strcmp(s[a].word, part[p])) {
                    if (prev[c - 1] < v) { /* the next part (or the first one) */
                        v = prev[c - 1];
                        h = 1;
                    }
                    if (!part_q[p] && barg >= 0 && best + JUMP < v && (size_t)barg != c - 1) {
                        v = best + JUMP;
                        h = 2;
                        f = barg;
                    }
                }
            }
            cur[c] = v;
            how[a * W + c] = h;
            from[a * W + c] = f;
            /* columns a jump may come from for later columns (c itself: only for columns > c) */
            if (prev[c] < best && (!c || part_q[c - 1] + 1 == part_np[c - 1])) {
                best = prev[c];
                barg = (long)c;
            }
        }
        double *t = prev;
        prev = cur;
        cur = t;
    }
    /* the end: after a word's last part (or, without `prefix`, a jump over the words left) */
    double best = INF;
    size_t bc = 0;
    for (size_t c = 0; c < W; c++) {
        if (prev[c] >= INF || (c && part_q[c - 1] + 1 != part_np[c - 1])) continue;
        double v = prev[c] + (!prefix && c < W - 1 ? JUMP : 0);
        if (v < best) {
            best = v;
            bc = c;
        }
    }
    for (size_t a = ns; a-- > 0;) {
        unsigned char h = how[a * W + bc];
        if (!h) {
            pos[a] = -1;
            continue;
        }
        pos[a] = (long)bc - 1;
        bc = h == 1 ? bc - 1 : (size_t)from[a * W + bc];
    }
    free(prev);
    free(cur);
    free(how);
    free(from);
    return 0;
}

/* Aligns dictionary words idx[0..m) to samples x[0..n) starting at time t_start. The grammar is
 * the words in order, with silences and noise between them, and two ways out of a mismatch: a
 * jump forward over any number of words (words never said) and garbage ([SPEECH], speech the
 * transcript does not have), each at a cost. `prefix`: the grammar may also end after any word,
 * free (a window that holds only part of them). Placed words get times, scores and a run number
 * (run[k]; -1: not placed): words placed one after another with no jump and no garbage between
 * them share a run. Returns how far the placed words go (the last placed word's k + 1), or -1
 * when the decoder failed. */
static long align_window(ps_decoder_t *ps, al_word *w, const size_t *idx, size_t m, const int16_t *x, size_t n,
                         double t_start, int prefix, int skip, long *run, al_spans *gb)
{
    size_t P = 0;
    for (size_t k = 0; k < m; k++) {
        P += n_parts(w[idx[k]].key);
        w[idx[k]].frames = 0;
        w[idx[k]].ascr = 0;
        run[k] = -1;
    }
    cmd_ln_t *cfg = ps_get_config(ps);
    float32 lw = cmd_ln_float32_r(cfg, "-lw");
    logmath_t *lm = ps_get_logmath(ps);
    char **part = malloc(P * sizeof *part);
    size_t *part_k = malloc(P * sizeof *part_k), *part_q = malloc(P * sizeof *part_q),
           *part_np = malloc(P * sizeof *part_np), *bs = malloc((m + 1) * sizeof *bs);
    char *names = malloc(P * 64);
    fsg_model_t *fsg = part && part_k && part_q && part_np && bs && names
                           ? fsg_model_init("align", lm, lw, (int32)P + 2) : NULL;
    long ret = -1;
    al_seg *seg = NULL;
    long *pos = NULL;
    if (!fsg) goto done;
    fsg->start_state = 0;
    fsg->final_state = (int32)P;
    size_t p = 0;
    for (size_t k = 0; k < m; k++) {
        bs[k] = p;
        for (size_t q = 0, np = n_parts(w[idx[k]].key); q < np; q++, p++) {
            part[p] = names + p * 64;
            get_part(w[idx[k]].key, q, part[p], 64);
            part_k[p] = k;
            part_q[p] = q;
            part_np[p] = np;
            fsg_model_trans_add(fsg, (int32)p, (int32)p + 1, 0, fsg_model_word_add(fsg, part[p]));
        }
    }
    bs[m] = P;
    /* null transitions are applied unscaled by the search, word transitions shifted down by
     * SENSCR_SHIFT: a null transition's log probability is given in the search's units */
    int32 jump = (int32)(logmath_log(lm, AL_JUMP_PROB) * lw);
    for (size_t k = 0; k < m; k++)
        for (size_t k2 = k + 1; k2 <= m && k2 - k <= (skip ? AL_MAX_JUMP : 0); k2++)
            fsg_model_null_trans_add(fsg, (int32)bs[k], (int32)bs[k2], prefix && k && k2 == m ? 0 : jump);
    if (prefix)
        for (size_t k = 1; k < m; k++) fsg_model_null_trans_add(fsg, (int32)bs[k], (int32)P, 0);
    /* garbage: a loop of single phones in state P + 1, entered from and left to any word boundary
     * (one loop: one per stretch of words made the search too wide to find the words) */
    int32 gs = (int32)P + 1, gphone = (int32)(logmath_log(lm, AL_GARBAGE_PHONE_PROB) * lw);
    /* into and out of the garbage: together the cost of a jump */
    int32 half = (int32)(logmath_log(lm, sqrt(AL_JUMP_PROB)) * lw);
    for (size_t k = 0; skip && k <= m; k++) {
        fsg_model_null_trans_add(fsg, (int32)bs[k], gs, half);
        fsg_model_null_trans_add(fsg, gs, (int32)bs[k], half);
    }
    char gname[16];
    for (size_t g = 0; skip && g < sizeof garbage_phones / sizeof *garbage_phones; g++) {
        snprintf(gname, sizeof gname, "_g_%s", garbage_phones[g]);
        char *pr = ps_lookup_word(ps, gname);
        if (!pr) continue;
        ckd_free(pr);
        fsg_model_trans_add(fsg, gs, gs, gphone, fsg_model_word_add(fsg, gname));
    }
    int bad = ps_set_fsg(ps, "align", fsg) < 0 || ps_set_search(ps, "align") < 0;
    fsg_model_free(fsg); /* the search keeps its own reference */
    if (bad || ps_start_utt(ps) < 0) goto done;
    int frames = ps_process_raw(ps, x, n, FALSE, TRUE);
    if (ps_end_utt(ps) < 0 || frames < 0) goto done;
    ret = 0;
    if (!ps_get_hyp(ps, NULL)) goto done;
    size_t ns = 0, cap = 0;
    int garbage = 0;
    for (ps_seg_t *s = ps_seg_iter(ps); s; s = ps_seg_next(s)) {
        const char *word = ps_seg_word(s);
        if (!word) continue;
        /* garbage; or a filler (silence, noise) of 0.1 s or more that does not sound like one: the
         * plain chain's only way over speech it lacks */
        int gs0, ge0;
        ps_seg_frames(s, &gs0, &ge0);
        int is_garbage = !strncmp(word, "_g_", 3);
        if (!is_garbage && (word[0] == '<' || word[0] == '[' || word[0] == '+') && ge0 - gs0 + 1 >= 10) {
            int32 fa, fl, fb;
            ps_seg_prob(s, &fa, &fl, &fb);
            is_garbage = fa < AL_MIN_SCORE * (ge0 - gs0 + 1);
        }
        if (is_garbage) {
            garbage = 1;
            if (gb) spans_add(gb, t_start + gs0 / AL_FPS, t_start + (ge0 + 1) / AL_FPS);
        }
        /* null transitions (jumps) come out as words with no name before "(" */
        if (word[0] == '<' || word[0] == '[' || word[0] == '+' || word[0] == '_' || word[0] == '(' || !word[0]) continue;
        if (ns == cap) {
            cap = cap ? 2 * cap : 64;
            al_seg *ng = realloc(seg, cap * sizeof *ng);
            if (!ng) {
                ps_seg_free(s);
                ret = -1;
                goto done;
            }
            seg = ng;
        }
        al_seg *g = &seg[ns++];
        size_t wl = strcspn(word, "(");
        if (wl >= sizeof g->word) wl = sizeof g->word - 1;
        memcpy(g->word, word, wl);
        g->word[wl] = 0;
        int32 lscr, lback;
        ps_seg_frames(s, &g->sf, &g->ef);
        ps_seg_prob(s, &g->ascr, &lscr, &lback);
        g->garbage = garbage;
        garbage = 0;
    }
    pos = malloc((ns ? ns : 1) * sizeof *pos);
    if (!pos || (ns && assign_parts(seg, ns, part, part_q, part_np, P, prefix, pos) < 0)) {
        ret = -1;
        goto done;
    }
    /* words whose every part was placed, in order; runs broken by jumps, garbage and gaps */
    long nrun = -1, last = -2;
    int pend = 0; /* garbage before words the decoder placed but the assignment dropped */
    for (size_t a = 0; a < ns;) {
        if (pos[a] < 0 || part_q[pos[a]]) {
            pend |= seg[a].garbage;
            a++;
            continue;
        }
        size_t k = part_k[pos[a]], np = part_np[pos[a]], b = a + 1, q = 1;
        int brk = seg[a].garbage | pend;
        pend = 0;
        for (; b < ns && q < np; b++) {
            if (pos[b] < 0) continue;
            if ((size_t)pos[b] != (size_t)pos[a] + q) break;
            brk |= seg[b].garbage;
            q++;
        }
        if (q < np) {
            a = b;
            continue;
        }
        al_word *wk = &w[idx[k]];
        wk->t0 = t_start + seg[a].sf / AL_FPS;
        wk->t1 = t_start + (seg[b - 1].ef + 1) / AL_FPS;
        for (size_t c = a; c < b; c++)
            if (pos[c] >= 0) {
                wk->ascr += seg[c].ascr;
                wk->frames += seg[c].ef - seg[c].sf + 1;
            }
        if (brk || (long)k != last + 1) nrun++;
        run[k] = nrun;
        last = (long)k;
        ret = (long)k + 1;
        a = b;
    }
done:
    free(pos);
    free(seg);
    free(names);
    free(part);
    free(part_k);
    free(part_q);
    free(part_np);
    free(bs);
    return ret;
}

/* Whether each of the words idx[0..k) just placed is believed (ok[j]): it lies in a run of at
 * least AL_MIN_RUN placed words (fewer when fewer were offered), and the frame-weighted mean of
 * its and its run neighbours' acoustic scores per frame reaches AL_MIN_SCORE. */
static void verify(const al_word *w, const size_t *idx, size_t k, const long *run, size_t offered,
                   unsigned char *ok)
{
    size_t min_run = offered < AL_MIN_RUN ? offered : AL_MIN_RUN;
    for (size_t j = 0; j < k; j++) {
        ok[j] = 0;
        if (run[j] < 0) continue;
        size_t a = j, b = j + 1;
        while (a > 0 && run[a - 1] == run[j]) a--;
        while (b < k && run[b] == run[j]) b++;
        if (b - a < min_run) continue;
        /* next to a jump or garbage inside the words placed, a word must match on its own: a
         * word never said next to one said alike ("The" for "He") is placed there at no cost */
        if (((j == a && j > 0) || (j + 1 == b && b < k)) && w[idx[j]].ascr < AL_MIN_SCORE * w[idx[j]].frames) continue;
        double sc = 0, fr = 0;
        size_t lo = j > a + AL_SCORE_SPAN ? j - AL_SCORE_SPAN : a, hi = j + AL_SCORE_SPAN + 1 < b ? j + AL_SCORE_SPAN + 1 : b;
        for (size_t q = lo; q < hi; q++) {
            sc += w[idx[q]].ascr;
            fr += w[idx[q]].frames;
        }
        ok[j] = fr > 0 && sc / fr >= AL_MIN_SCORE;
    }
}

/* A placement kept aside while another is tried (place). */
typedef struct al_saved {
    double t0, t1, ascr;
    int frames;
    long run;
    unsigned char ok;
} al_saved;

static size_t count_ok(const unsigned char *ok, long k)
{
    size_t n = 0;
    for (long j = 0; j < k; j++) n += ok[j];
    return n;
}

/* Places words idx[0..m) (align_window) and checks them (verify, into ok[]): first with the plain
 * chain of words, as a transcript that matches needs; when a placed word is not believed, or
 * (without `prefix`) not every word was placed, again with jumps and garbage, keeping whichever
 * placement has more believed words. `save`: room for m. Returns align_window's value. */
static long place(ps_decoder_t *ps, al_word *w, const size_t *idx, size_t m, const int16_t *x, size_t n,
                  double t_start, int prefix, long *run, unsigned char *ok, al_saved *save, al_spans *gb)
{
    size_t gn = gb->n;
    long k = align_window(ps, w, idx, m, x, n, t_start, prefix, 0, run, gb);
    if (k < 0) return k;
    verify(w, idx, (size_t)k, run, m, ok);
    size_t good = count_ok(ok, k);
    if (good == (size_t)k && (k > 0 || !m) && (prefix || (size_t)k == m)) return k;
    for (size_t j = 0; j < m; j++) {
        const al_word *a = &w[idx[j]];
        save[j] = (al_saved){a->t0, a->t1, a->ascr, a->frames, run[j], j < (size_t)k ? ok[j] : 0};
    }
    gb->n = gn;
    long k2 = align_window(ps, w, idx, m, x, n, t_start, prefix, 1, run, gb);
    if (k2 >= 0) {
        verify(w, idx, (size_t)k2, run, m, ok);
        if (count_ok(ok, k2) > good) return k2;
    }
    gb->n = gn; /* the chain's stretches were written over: none reported for this window */
    for (size_t j = 0; j < m; j++) {
        al_word *a = &w[idx[j]];
        a->t0 = save[j].t0;
        a->t1 = save[j].t1;
        a->ascr = save[j].ascr;
        a->frames = save[j].frames;
        run[j] = save[j].run;
        ok[j] = save[j].ok;
    }
    return k;
}

typedef struct al_result {
    size_t aligned, missing, rejected, skipped, windows, held; /* held: most samples held at once */
    al_spans garbage; /* speech taken as garbage, in time order */
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
    long *runs = malloc((nw ? nw : 1) * sizeof *runs);
    al_saved *save = malloc((nw ? nw : 1) * sizeof *save);
    if (!idx || !ok || !runs || !save) {
        free(idx);
        free(ok);
        free(runs);
        free(save);
        ps_free(ps);
        cmd_ln_free_r(cfg);
        return pol__fail(run, POL_ERR_NOMEM, "out of memory");
    }
    char gname[16];
    for (size_t g = 0; g < sizeof garbage_phones / sizeof *garbage_phones; g++) {
        snprintf(gname, sizeof gname, "_g_%s", garbage_phones[g]);
        ps_add_word(ps, gname, garbage_phones[g], FALSE);
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
        size_t offer = m < AL_MAX_OFFER ? m : AL_MAX_OFFER;
        long k = m ? place(ps, w, idx, offer, au->x, au->n, 0, offer < m, runs, ok, save, &r->garbage) : 0;
        r->windows = m != 0;
        if (k < 0) r->why = "the decoder failed";
        if (k > 0) {
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
        int miss = 0; /* windows in a row that settled nothing: offer more words */
        while (!st && i < m) {
            al_drop(au, (size_t)(ta * AL_RATE));
            st = al_fill(run, au, (size_t)ceil((ta + AL_WINDOW) * AL_RATE) + 2);
            if (st) break;
            /* the length is known once the end is decoded; before that it lies past the window */
            double dur = au->eof ? (double)(au->base + au->n) / AL_RATE : ta + AL_WINDOW + 1;
            if (ta >= dur - 0.5) break;
            double tb = fmin(dur, ta + AL_WINDOW);
            int last = tb >= dur - 1e-9;
            size_t want = last ? m - i : ((size_t)ceil(rate * AL_WINDOW * 1.5) + 10) << miss;
            if (want > m - i) want = m - i;
            if (want > AL_MAX_OFFER) want = AL_MAX_OFFER;
            size_t s0 = (size_t)(ta * AL_RATE), s1 = (size_t)(tb * AL_RATE);
            if (s1 > au->base + au->n) s1 = au->base + au->n;
            size_t gn = r->garbage.n;
            long k = place(ps, w, idx + i, want, au->x + (s0 - au->base), s1 - s0, ta, !last, runs, ok, save,
                           &r->garbage);
            r->windows++;
            if (k < 0) {
                r->why = "the decoder failed";
                break;
            }
            /* taken: the words up to the last believed one that has settled */
            size_t take = 0;
            for (long j = 0; j < k; j++)
                if (ok[j] && (last || w[idx[i + j]].t1 < tb - AL_SETTLE)) take = (size_t)j + 1;
            for (size_t j = take; j < (size_t)k; j++) w[idx[i + j]].t0 = w[idx[i + j]].t1 = 0;
            /* garbage past the words taken is looked at again by the next window */
            double settled = take ? w[idx[i + take - 1]].t1 : ta;
            while (!last && r->garbage.n > gn && r->garbage.t[2 * r->garbage.n - 2] >= settled) r->garbage.n--;
            if (!last && r->garbage.n > gn && r->garbage.t[2 * r->garbage.n - 1] > settled)
                r->garbage.t[2 * r->garbage.n - 1] = settled;
            if (!take) {
                /* nothing settled here: move on; the words wait, and more of them are offered
                 * (the ones offered may all be words never said) */
                ta += AL_WINDOW / 2;
                if (miss < 3) miss++;
                continue;
            }
            miss = 0;
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
    for (size_t j = 0; j < m; j++) {
        r->rejected += w[idx[j]].frames > 0 && !w[idx[j]].aligned;
        r->skipped += !w[idx[j]].frames && !w[idx[j]].aligned;
    }
    if (!r->aligned && !r->why)
        r->why = !m ? "no transcript word is in the dictionary"
                 : r->rejected ? "no word the decoder placed matches the sound" : "no word aligned";
    free(idx);
    free(ok);
    free(runs);
    free(save);
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

/* The transcript's stretches the speech did not match (words never said, or said otherwise): runs
 * of words not aligned that hold a dictionary word, timed by interpolation. Reported with their
 * word numbers, times and opening words; the longest few also as a warning. Returns how many
 * dictionary words they hold. */
static size_t report_unmatched(pol_run *run, const al_word *w, size_t nw)
{
    pol__jv *arr = pol__jv_arr();
    size_t spans = 0, words = 0, top[3] = {0}, topn[3] = {0}, topi[3] = {0};
    for (size_t i = 0; i < nw;) {
        if (w[i].aligned) {
            i++;
            continue;
        }
        size_t j = i, nd = 0;
        while (j < nw && !w[j].aligned) nd += w[j++].in_dict;
        if (nd) {
            char text[80];
            size_t o = 0;
            for (size_t k = i; k < j && o + 2 < sizeof text; k++) {
                int l = snprintf(text + o, sizeof text - o, "%s%s", k > i ? " " : "", w[k].text);
                o = l < 0 || (size_t)l >= sizeof text - o ? sizeof text - 1 : o + (size_t)l;
            }
            if (o >= sizeof text - 1) memcpy(text + sizeof text - 4, "...", 4);
            if (spans < 100) {
                pol__jv *s = pol__jv_push(arr, pol__jv_obj());
                if (s) {
                    pol__jv_set(s, "first_word", pol__jv_int((long long)i + 1));
                    pol__jv_set(s, "last_word", pol__jv_int((long long)j));
                    pol__jv_set(s, "start_s", pol__jv_num(round(w[i].t0 * 100) / 100));
                    pol__jv_set(s, "end_s", pol__jv_num(round(w[j - 1].t1 * 100) / 100));
                    pol__jv_set(s, "text", pol__jv_str(text));
                }
            }
            /* the three longest, in order of length */
            for (int q = 0; q < 3; q++)
                if (j - i > topn[q]) {
                    for (int r = 2; r > q; r--) {
                        top[r] = top[r - 1];
                        topn[r] = topn[r - 1];
                        topi[r] = topi[r - 1];
                    }
                    top[q] = i;
                    topn[q] = j - i;
                    topi[q] = 1;
                    break;
                }
            spans++;
            words += nd;
        }
        i = j;
    }
    pol__measure_int(run, "unmatched_spans_count", (long long)spans);
    pol__measure_int(run, "words_unmatched", (long long)words);
    pol__measure_jv(run, "unmatched_spans", arr);
    if (spans) {
        char list[400];
        size_t o = 0;
        for (int q = 0; q < 3 && topi[q]; q++) {
            const al_word *a = &w[top[q]], *b = &w[top[q] + topn[q] - 1];
            int l = snprintf(list + o, sizeof list - o, "%swords %zu-%zu (\"%.24s%s\") at %.1f-%.1f s", q ? "; " : "",
                             top[q] + 1, top[q] + topn[q], a->text, topn[q] > 1 ? " ..." : "", a->t0, b->t1);
            if (l < 0 || (size_t)l >= sizeof list - o) break;
            o += (size_t)l;
        }
        pol__warn(run, "%zu stretch%s of the transcript (%zu dictionary words) not matched in the speech, timed "
                  "between the matched words around them: %s", spans, spans == 1 ? "" : "es", words,
                  o ? list : "");
    }
    return words;
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
    if (!st && r.aligned && r.aligned * 4 < dict_words) {
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
        pol__measure_int(run, "words_not_found", (long long)r.skipped);
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
        report_unmatched(run, w, nw);
        /* speech the transcript does not have, a second or longer */
        pol__jv *arr = pol__jv_arr();
        size_t ng = 0;
        double gsum = 0, first = 0;
        for (size_t g = 0; g < r.garbage.n; g++) {
            double a = r.garbage.t[2 * g], b = r.garbage.t[2 * g + 1];
            if (b - a < AL_MIN_EXTRA_S) continue;
            if (!ng++) first = a;
            gsum += b - a;
            pol__jv *s = pol__jv_push(arr, pol__jv_obj());
            if (s) {
                pol__jv_set(s, "start_s", pol__jv_num(round(a * 100) / 100));
                pol__jv_set(s, "end_s", pol__jv_num(round(b * 100) / 100));
            }
        }
        pol__measure_jv(run, "speech_not_in_transcript", arr);
        if (ng)
            pol__warn(run, "%zu stretch%s of speech (%.1f s, the first at %.1f s) not in the transcript: no captions there",
                      ng, ng == 1 ? "" : "es", gsum, first);
        /* a cue none of whose words aligned is timed by its neighbours only: say so */
        pol__measure_int(run, "cues_without_aligned_word", (long long)loose);
        if (loose)
            pol__warn(run, "%zu cue%s from %.1f s hold%s no aligned word: timed between aligned neighbours", loose,
                      loose == 1 ? "" : "s", loose_t, loose == 1 ? "s" : "");
    }
    free(r.garbage.t);
    words_free(w, nw);
    return st;
}
