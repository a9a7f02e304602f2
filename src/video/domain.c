/* polish — the video domain: recognise containers by their magic, load (probe: every check and
 * limit from the headers, nothing decoded), inspect (picture and sound analysis), save (render the
 * plan in one pass). */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "audio/audio.h"
#include "video/video.h"

static int sniff(const unsigned char *h, size_t n, const char *path)
{
    (void)path;
    if (n >= 12 && !memcmp(h + 4, "ftyp", 4)) {
        /* audio-only brands belong to no one here (M4A, M4B) */
        if (!memcmp(h + 8, "M4A ", 4) || !memcmp(h + 8, "M4B ", 4)) return 0;
        return 90;
    }
    if (n >= 8 && (!memcmp(h + 4, "moov", 4) || !memcmp(h + 4, "mdat", 4) || !memcmp(h + 4, "wide", 4)))
        return 70;
    if (n >= 4 && !memcmp(h, "\x1A\x45\xDF\xA3", 4)) return 90; /* Matroska / WebM */
    if (n >= 12 && !memcmp(h, "RIFF", 4) && !memcmp(h + 8, "AVI ", 4)) return 90;
    if (n >= 9 && !memcmp(h, "YUV4MPEG2", 9)) return 90;
    if (n >= 3 && !memcmp(h, "FLV", 3)) return 80;
    if (n >= 4 && !memcmp(h, "\x00\x00\x01\xBA", 4)) return 60; /* MPEG program stream */
    if (n >= 376 && h[0] == 0x47 && h[188] == 0x47) return 60;   /* MPEG transport stream */
    return 0;
}

static const char *const extensions[] = {"mp4", "m4v", "mov", "mkv", "webm", "avi", "y4m", "flv",
                                         "ts", "mts", "mpg", NULL};

static const pol__limit_key limits[] = {
    {"video-pixels", 8192ull * 4320ull, 0, "px",
     "width x height of a video frame (8K); a header claiming more is refused before decoding"},
    {"video-frames", 6ull * 3600 * 60, 0, NULL, "frames of one video (6 hours at 60 fps)"},
    {NULL},
};

static void video_free(void *p)
{
    pol__video *v = p;
    if (!v) return;
    free(v->path);
    if (v->ana) free(v->ana->f);
    free(v->ana);
    free(v->crop_x);
    free(v->crop_y);
    free(v->keep);
    free(v->gain);
    free(v->stab);
    pol__subs_free(v->cues, v->n_cues);
    free(v->font);
    pol__vaudio_free(v->audio);
    free(v->title.text);
    free(v->title.lower);
    free(v->title.font);
    free(v->title.logo);
    free(v->audio_steps);
    free(v);
}

static void *dup_mem(const void *p, size_t n)
{
    if (!p || !n) return NULL;
    void *q = malloc(n);
    if (q) memcpy(q, p, n);
    return q;
}

/* A copy for a delivery target. The soundtrack's audio chain holds the running state of its ops,
 * so it is not shared (targets render at once): the copy keeps the chain's op names and its
 * render plans the same chain again (the same measurements give the same decisions). */
static void *video_clone(const void *p)
{
    const pol__video *s = p;
    pol__video *c = calloc(1, sizeof *c);
    if (!c) return NULL;
    *c = *s;
    c->path = pol__strdup(s->path);
    c->ana = NULL;
    c->crop_x = dup_mem(s->crop_x, s->n_crop * sizeof(float));
    c->crop_y = dup_mem(s->crop_y, s->n_crop * sizeof(float));
    c->keep = dup_mem(s->keep, s->n_keep * sizeof *s->keep);
    c->gain = dup_mem(s->gain, s->n_gain * 3 * sizeof(float));
    c->stab = dup_mem(s->stab, s->n_stab * 4 * sizeof(float));
    c->cues = s->n_cues ? calloc(s->n_cues, sizeof *c->cues) : NULL;
    for (size_t i = 0; i < s->n_cues && c->cues; i++) {
        c->cues[i] = s->cues[i];
        c->cues[i].text = pol__strdup(s->cues[i].text);
    }
    c->font = s->font ? pol__strdup(s->font) : NULL;
    c->audio = NULL;
    c->title.text = s->title.text ? pol__strdup(s->title.text) : NULL;
    c->title.lower = s->title.lower ? pol__strdup(s->title.lower) : NULL;
    c->title.font = s->title.font ? pol__strdup(s->title.font) : NULL;
    c->title.logo = s->title.logo ? pol__strdup(s->title.logo) : NULL;
    c->audio_steps = s->audio_steps ? pol__strdup(s->audio_steps) : NULL;
    if (!c->path || (s->title.text && !c->title.text) || (s->title.lower && !c->title.lower) ||
        (s->title.font && !c->title.font) || (s->title.logo && !c->title.logo) || (s->audio_steps && !c->audio_steps)) {
        video_free(c);
        return NULL;
    }
    return c;
}

static pol_status load(pol_run *run, const char *path, pol_asset **out)
{
    pol__video *v = calloc(1, sizeof *v);
    if (!v) return pol__fail(run, POL_ERR_NOMEM, "out of memory");
    pol_status st = pol__video_probe(run, path, &v->in);
    if (!st && !(v->path = pol__strdup(path))) st = pol__fail(run, POL_ERR_NOMEM, "out of memory");
    if (st) {
        video_free(v);
        return st;
    }
    pol_asset *a = pol__asset_new(&pol__video_domain, v, path);
    if (!a) return pol__fail(run, POL_ERR_NOMEM, "out of memory");
    *out = a;
    return POL_OK;
}

static pol_status save(pol_run *run, pol_asset *a, const char *path)
{
    return pol__video_render(run, pol__video_of(a), path);
}

static const char *out_ext(pol_asset *a)
{
    pol__video *v = pol__video_of(a);
    if (v->ex.container[0]) return v->ex.container;
    char c[8];
    const char *ext = pol__path_ext(v->path);
    if (pol__video_ext_container(ext, c)) return NULL; /* the input's own name */
    return "mp4";
}

static pol_status inspect(pol_run *run, pol_asset *asset)
{
    pol__video *v = pol__video_of(asset);
    const pol__vinfo *in = &v->in;
    pol__measure(run, "duration_s", round(in->duration * 1000) / 1000);
    pol__measure_str(run, "container", in->container);
    pol__measure_int(run, "streams", in->n_streams);
    pol__measure_str(run, "video_codec", in->vcodec);
    pol__measure_int(run, "width", in->width);
    pol__measure_int(run, "height", in->height);
    pol__measure_int(run, "rotation", in->rotation);
    pol__measure(run, "fps", round(in->fps * 1000) / 1000);
    pol__measure_bool(run, "variable_frame_rate", in->vfr);
    pol__measure_bool(run, "audio", in->has_audio);
    if (in->has_audio) {
        pol__measure_str(run, "audio_codec", in->acodec);
        pol__measure_int(run, "audio_rate", in->arate);
        pol__measure_int(run, "audio_channels", in->achannels);
    }
    pol_status st = pol__video_analyse(run, v);
    if (st) return st;
    const pol__vanalysis *a = v->ana;
    pol__measure_int(run, "frames", (long long)a->n);
    size_t ns = 0, *shots = pol__video_shots(a, &ns);
    pol__jv *cuts = pol__jv_arr();
    for (size_t i = 1; i < ns && cuts; i++) pol__jv_push(cuts, pol__jv_num(round(a->f[shots[i]].t * 1000) / 1000));
    free(shots);
    pol__measure_int(run, "shots", (long long)ns);
    pol__measure_jv(run, "scene_cuts_s", cuts);
    /* black and frozen runs (at least 0.5 s) */
    const char *kinds[2] = {"black", "frozen"};
    for (int k = 0; k < 2; k++) {
        pol__jv *runs = pol__jv_arr();
        size_t n = 0, start = 0, in_run = 0;
        for (size_t i = 0; i <= a->n; i++) {
            int on = i < a->n && (k ? a->f[i].frozen : a->f[i].black);
            if (on && !in_run) {
                start = i;
                in_run = 1;
            } else if (!on && in_run) {
                in_run = 0;
                double t0 = a->f[start].t, t1 = i < a->n ? a->f[i].t : a->f[a->n - 1].t + 1 / in->fps;
                if (t1 - t0 >= 0.5) {
                    pol__jv *r = pol__jv_arr();
                    pol__jv_push(r, pol__jv_num(round(t0 * 100) / 100));
                    pol__jv_push(r, pol__jv_num(round(t1 * 100) / 100));
                    pol__jv_push(runs, r);
                    n++;
                }
            }
        }
        char key[32];
        snprintf(key, sizeof key, "%s_spans_s", kinds[k]);
        pol__measure_jv(run, key, runs);
    }
    double shake = pol__video_shake(a, in->fps, in->width, in->height);
    pol__measure(run, "shake_px", round(shake * 100) / 100);
    pol__measure(run, "shake_pct_of_width", round(shake / in->width * 100 * 1000) / 1000);
    if (in->has_audio) {
        pol__afindings f;
        st = pol__video_sound(run, v, &f, NULL, NULL);
        if (st) return st;
        pol__aan_report(run, &f);
    }
    return POL_OK;
}

static const char *const auto_steps[] = {"audio", "colour", "stabilise", NULL};

const pol__domain pol__video_domain = {
    .name = "video",
    .summary = "recordings (MP4, MOV, MKV, WebM, AVI): trim pauses, reframe, colour, steady, clean "
               "sound, captions, platform exports",
    .ops = pol__video_ops,
    .extensions = extensions,
    .sniff = sniff,
    .load = load,
    .save = save,
    .inspect = inspect,
    .data_free = video_free,
    .data_clone = video_clone,
    .auto_steps = auto_steps,
    .out_ext = out_ext,
    .limits = limits,
};
