/* polish — the video domain: a recording (MP4/MOV/MKV/WebM/AVI through FFmpeg's libraries) held
 * as its probed description plus an edit plan (crop path, kept segments, colour per frame,
 * captions, the soundtrack's audio chain, delivery format). Ops measure (analysis passes decode
 * the file at small size, or only its soundtrack) and fill the plan; saving renders the plan in
 * one streaming pass, decode -> crop/scale -> colour -> captions -> encode, with bounded memory. */
#ifndef POLISH_VIDEO_H
#define POLISH_VIDEO_H

#include <stddef.h>
#include <stdint.h>
#include "core/internal.h"

/* What probing found. Sizes are upright (after the rotation metadata). */
typedef struct pol__vinfo {
    int coded_w, coded_h; /* as stored */
    int width, height;    /* upright */
    int rotation;         /* clockwise degrees the stored picture is turned for display: 0/90/180/270 */
    double fps;           /* average frame rate */
    int vfr;              /* the container's rates disagree: variable frame rate */
    double duration;      /* seconds */
    int64_t frames;       /* frames (counted by the container, or duration x fps) */
    int has_audio, arate, achannels;
    char vcodec[32], acodec[32], container[64];
    int n_streams;
} pol__vinfo;

/* A kept span of source time [t0, t1). */
typedef struct pol__vseg {
    double t0, t1;
} pol__vseg;

/* A caption cue in output time. */
typedef struct pol__vcue {
    double t0, t1;
    char *text; /* UTF-8, lines separated by '\n' */
} pol__vcue;

/* Per source frame, from the analysis pass (analyse.c). */
typedef struct pol__vframe {
    double t;         /* presentation time, s */
    float luma;       /* mean luma 0..1 */
    float sd;         /* luma standard deviation */
    float diff;       /* mean |difference| to the previous frame, 0..1 */
    float hdiff;      /* histogram difference to the previous frame, 0..1 */
    float mx, my, mw; /* motion centroid (0..1 of the upright frame) and weight */
    float sx, sy;     /* saliency centroid (0..1), when sampled (sw > 0) */
    float sw;
    float dx, dy;     /* global translation to the previous frame, upright source pixels */
    float da, ds;     /* and its rotation (radians) and log scale, about the frame's centre */
    float wb_u, wb_v, wb_conf, key; /* colour samples (wb_conf < 0: not sampled) */
    unsigned char cut; /* a shot starts here */
    unsigned char black, frozen;
    unsigned char graphic; /* a sampled frame the image domain judges a graphic (slides, screen) */
} pol__vframe;

typedef struct pol__vanalysis {
    pol__vframe *f;
    size_t n;
    int sw, sh; /* size of the small frames measured */
} pol__vanalysis;

typedef struct pol__vaudio pol__vaudio; /* the soundtrack's audio chain (vaudio.c) */

/* A title card (centred) and a lower third (bottom left), each shown over [t0, t1) of output
 * time; text NULL = none. */
typedef struct pol__vtitle {
    char *text, *lower;
    double t0, t1, lt0, lt1;
    char *font;
    uint32_t rgb;  /* text colour 0xRRGGBB */
    double size;   /* relative to the default (title 9%, lower third 5% of the shorter side) */
    double box;    /* opacity of the box behind the text, 0..1 */
    char *logo;    /* a PNG (alpha kept) shown with the title card (centred above it) and the
                    * lower third (bottom right); NULL = none */
    double logo_size; /* its height, a share of the shorter side */
} pol__vtitle;

/* Delivery (export). */
typedef struct pol__vexport {
    char container[8]; /* "mp4" "mov" "mkv" "webm"; "" = from the output's extension */
    int width, height; /* 0 = as the plan gives */
    int crf;           /* 0 = default (20; VP9 32) */
    char preset[16];   /* x264 preset; "" = veryfast */
    int abitrate;      /* kbit/s, 0 = 128 */
    double max_fps;    /* 0 = keep */
    int vp9;           /* VP9 + Opus instead of H.264 + AAC */
} pol__vexport;

typedef struct pol__video {
    char *path;
    pol__vinfo in;
    pol__vanalysis *ana; /* NULL until an op needs it */
    /* --- the plan --- */
    int crop_w, crop_h;   /* crop window (upright source pixels); 0 = the whole frame */
    float *crop_x, *crop_y; /* per source frame: the window's top-left corner; NULL = centred */
    size_t n_crop;
    int out_w, out_h;     /* the picture's size after crop and scale; 0 = the crop's */
    pol__vseg *keep;      /* kept spans of source time; NULL = everything */
    size_t n_keep;
    double xfade;         /* audio crossfade at each cut, s */
    float *gain;          /* per source frame: R, G, B gains in linear light; NULL = none */
    size_t n_gain;
    float *stab;          /* per source frame: the similarity a, b, tx, ty taking a point q of the
                           * window (upright px about the window's centre) to the source point
                           * (a q - b q_y, b q_x + a q_y) + t about it (pol__vsim); NULL = none */
    size_t n_stab;
    pol__vcue *cues;
    size_t n_cues;
    int burn;             /* 1 burn in with libass, 0 soft subtitles */
    char *font;           /* font family for burned captions */
    double font_scale;
    pol__vaudio *audio;   /* NULL = the soundtrack is copied through the encoder unchanged */
    pol__vexport ex;
    pol__vtitle title; /* title card and lower third, burned in with the captions' libass */
    /* the soundtrack's chain as asked (the audio domain's op names, comma-separated): a delivery
     * target's copy plans its own chain from it, so every target gets the same cleaned sound */
    char *audio_steps;
} pol__video;

extern const pol__domain pol__video_domain;
extern const pol_op_desc *const pol__video_ops[];

static inline pol__video *pol__video_of(pol_asset *a) { return (pol__video *)a->data; }

/* ---- probing and decoding (decode.c) -------------------------------------------------------- */

/* Opens and checks `path` (limits, streams, codecs) and fills *info. */
pol_status pol__video_probe(pol_run *run, const char *path, pol__vinfo *info);

/* A decoder of the video and/or audio stream of a file. */
typedef struct pol__vdec pol__vdec;
enum { POL_VDEC_VIDEO = 1, POL_VDEC_AUDIO = 2 };
pol_status pol__vdec_open(pol_run *run, const char *path, unsigned what, pol__vdec **out);
void pol__vdec_close(pol__vdec *d);
/* The next decoded frame: *kind is POL_VDEC_VIDEO (a struct AVFrame * in *frame, owned by the
 * decoder until the next call) or POL_VDEC_AUDIO (interleaved float samples at the source rate
 * and channel count: *samples, *n frames), or 0 at the end. */
typedef struct pol__vdec_out {
    int kind;
    void *frame;       /* AVFrame * (video) */
    double t;          /* presentation time, s */
    int64_t index;     /* video frame index */
    const float *samples;
    size_t n;
} pol__vdec_out;
pol_status pol__vdec_next(pol_run *run, pol__vdec *d, pol__vdec_out *o);
/* Audio parameters of an open decoder (0 when it has none). */
int pol__vdec_arate(const pol__vdec *d);
int pol__vdec_achannels(const pol__vdec *d);
void *pol__vdec_vctx(pol__vdec *d); /* AVCodecContext * of the video decoder */
void *pol__vdec_vstream(pol__vdec *d); /* AVStream * */
void *pol__vdec_astream(pol__vdec *d);
void *pol__vdec_fmt(pol__vdec *d); /* AVFormatContext * */

/* ---- analysis (analyse.c) ------------------------------------------------------------------- */

/* Decodes every frame at small size once and measures it (cached in v->ana). */
pol_status pol__video_analyse(pol_run *run, pol__video *v);
/* Rotates a w x h plane of `bpp`-byte pixels clockwise by rot degrees into dst (upright). */
void pol__video_rotate_plane(const uint8_t *src, int w, int h, int bpp, int rot, uint8_t *dst);
/* A similarity in complex form: q -> (a + ib) q + (tx + i ty) on centred coordinates. */
typedef struct pol__vsim {
    double a, b, tx, ty;
} pol__vsim;
#define POL__VSIM_MAX 64
/* Robust fit of the similarity taking the points q[k] to q[k] + d[k] (n <= POL__VSIM_MAX): the
 * pair of points (at least min_spread apart) or single shift most points agree with within tol,
 * then reweighted least squares; translation only when the agreeing points are too close together.
 * Returns how many points agree (0: no fit). motion.c. */
int pol__video_fit_similarity(const double *qx, const double *qy, const double *dx, const double *dy, int n,
                              double tol, double min_spread, pol__vsim *out);
/* The camera's motion between consecutive frames: m[i] takes a point of frame i to frame i-1
 * (upright source pixels about the frame's centre), refined to a fraction of a pixel on frames of
 * up to 960 px (motion.c); needs v->ana. m: v->ana->n; *refined: how many pairs the refinement
 * measured (the others keep the analysis pass's coarse estimate). */
pol_status pol__video_fine_motion(pol_run *run, pol__video *v, pol__vsim *m, size_t *refined);
/* The next video frame of d as upright grey, scaled to cw x ch as coded, into out (tmp: as large,
 * for a rotation): *got 1, or 0 at the end. *sc is the cached scaler (struct SwsContext *;
 * sws_freeContext it). */
pol_status pol__video_next_grey(pol_run *run, pol__vdec *d, int rotation, int cw, int ch, void **sc, uint8_t *tmp,
                                uint8_t *out, int *got);
/* Shake: RMS of the frame-to-frame camera motion minus its 1 s average (upright pixels; a rotation
 * counts by what it moves the frame's corners). */
double pol__video_shake(const pol__vanalysis *a, double fps, int width, int height);
/* Shot boundaries: indices of frames starting shots, 0 first; *n shots. malloc'ed. */
size_t *pol__video_shots(const pol__vanalysis *a, size_t *n);

/* Soundtrack analysis: the audio domain's findings and the 20 ms activity of the (source) audio.
 * *act is malloc'ed (1 = speech), *n_act 20 ms frames. */
typedef struct pol__afindings pol__afindings;
pol_status pol__video_sound(pol_run *run, pol__video *v, pol__afindings *f, unsigned char **act,
                            size_t *n_act);

/* ---- the plan's time map -------------------------------------------------------------------- */

/* Output time of source time t; < 0 when t is cut. */
double pol__video_out_time(const pol__video *v, double t);
double pol__video_out_duration(const pol__video *v);

/* ---- reframing (reframe.c) ------------------------------------------------------------------ */

/* A subject-following crop of cw x ch over the whole clip into v->crop_x/crop_y: per shot, the
 * smooth camera path below; speed and acceleration limits in frame sizes per second (squared). */
pol_status pol__video_reframe_path(pol_run *run, pol__video *v, int cw, int ch, double smooth_s, double max_speed,
                                   double max_accel);
#define POL__VIDEO_SMOOTH "0.6"    /* reframe's defaults: smoothness, s */
#define POL__VIDEO_MAX_SPEED "0.5" /* frame sizes per second */
#define POL__VIDEO_MAX_ACCEL "1"   /* frame sizes per second squared */

/* A smooth camera path along one axis (campath.c): positions x[0..n) minimising
 *   keep * sum w[i] max(0, |x[i] - r[i]| - slack)   (the subject leaving the dead zone)
 * + centre * sum w[i] |x[i] - r[i]|  + lam1 sum |x'| + lam2 sum |x''| + lam3 sum |x'''|
 * under lo <= x <= hi, |x'| <= vmax, |x''| <= amax (differences per frame; the L1 terms smoothed
 * by about eps). Returns 0 when out of memory (out then holds the middle of [lo, hi]). */
typedef struct pol__vpath_opts {
    double lo, hi, slack, vmax, amax;
    double keep, centre, lam1, lam2, lam3;
    double eps;
    const double *slack_at; /* per frame, in place of slack; NULL = slack throughout */
} pol__vpath_opts;
int pol__video_camera_path(const double *r, const double *w, size_t n, const pol__vpath_opts *o, double *out,
                           int *newton_steps);

/* ---- captions (subs.c) ---------------------------------------------------------------------- */

/* Reads SRT or WebVTT into cues (source time). */
pol_status pol__subs_read(pol_run *run, const char *path, pol__vcue **cues, size_t *n);
void pol__subs_free(pol__vcue *c, size_t n);
/* The layout rules: at most `lines` lines of `chars` characters, at least min_s on screen, at
 * most cps characters per second where the gap to the next cue allows. Applying them rewraps,
 * splits cues of too many lines (time shared by characters) and extends short ones. */
typedef struct pol__subs_rules {
    int lines, chars;
    double min_s, cps;
} pol__subs_rules;
pol_status pol__subs_apply_rules(pol_run *run, pol__vcue **cues, size_t *n, const pol__subs_rules *r,
                                 int *changed, int broken[4]);
/* broken[]: cues over the lines, over the characters per line, under the time, over the speed. */
/* Cues from a plain transcript (align.c): its words aligned to the soundtrack with pocketsphinx
 * (acoustic model directory `model`, dictionary `dict`), or, without the model or when nothing
 * aligns, spread over the detected speech or evenly; the report says which and how many words
 * aligned. A new cue at a pause longer than `pause` s (once the cue has lasted min_s s, or at any
 * pause over twice that) or before the text wraps to more than
 * `lines` lines of `chars` characters. Times
 * are source times. */
typedef struct pol__align_opts {
    const char *model, *dict;
    double pause, min_s;
    int lines, chars;
} pol__align_opts;
pol_status pol__video_transcript_cues(pol_run *run, pol__video *v, const char *path, const pol__align_opts *o,
                                      pol__vcue **cues, size_t *n);
/* Burned-in captions: a libass renderer for w x h frames. */
typedef struct pol__subs_burn pol__subs_burn;
pol_status pol__subs_burn_new(pol_run *run, const pol__video *v, int w, int h, pol__subs_burn **out);
void pol__subs_burn_free(pol__subs_burn *b);
/* Blends what shows at output time t onto a YUV 4:2:0 frame (struct AVFrame *). */
void pol__subs_burn_frame(pol__subs_burn *b, void *frame, double t);

/* ---- the soundtrack's audio chain (vaudio.c) ------------------------------------------------ */

/* Builds the chain of audio ops `names` (audio domain op names, NULL-terminated), runs their
 * measuring passes over the decoded soundtrack, and keeps the ones that apply. */
pol_status pol__vaudio_plan(pol_run *run, pol__video *v, const char *const *names,
                            const char *const *opts);
/* The same from a comma-separated list, remembered in v->audio_steps for delivery targets. */
pol_status pol__vaudio_plan_list(pol_run *run, pol__video *v, const char *list);
void pol__vaudio_free(pol__vaudio *a);
/* Streams source audio through the chain: push decoded frames, pull processed ones. */
pol_status pol__vaudio_start(pol_run *run, pol__vaudio *a);
pol_status pol__vaudio_push(pol_run *run, pol__vaudio *a, const float *x, size_t n, int last,
                            pol_status (*sink)(pol_run *, void *, const float *, size_t),
                            void *user);
/* After the render: each op's last explanations and its step's status. */
pol_status pol__vaudio_end(pol_run *run, pol__vaudio *a);

/* ---- rendering (render.c) ------------------------------------------------------------------- */

pol_status pol__video_render(pol_run *run, pol__video *v, const char *out_path);

/* ---- small helpers -------------------------------------------------------------------------- */
int pol__video_ext_container(const char *ext, char out[8]);

#endif
