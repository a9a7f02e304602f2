/* polish — rendering the plan in one streaming pass: decode -> (upright) -> crop window of the
 * frame (reframe path + stabilisation shift) scaled to the output size -> colour (per-frame gains
 * as a 3x3 transform in Y'CbCr) -> burned captions (libass) -> libx264/libvpx; the soundtrack
 * decoded -> the audio domain's ops in blocks -> kept spans with crossfades at the cuts -> AAC/Opus.
 * Memory: a few frames, the encoder's lookahead and the audio chain's blocks, whatever the length. */
#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/audio_fifo.h>
#include <libavutil/opt.h>
#include <libavutil/pixdesc.h>
#include <libswresample/swresample.h>
#include <libswscale/swscale.h>
#include <cairo.h>
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "video/video.h"

int pol__video_ext_container(const char *ext, char out[8])
{
    static const char *const m[][2] = {{"mp4", "mp4"}, {"m4v", "mp4"}, {"mov", "mov"},
                                       {"mkv", "mkv"}, {"webm", "webm"}};
    for (size_t i = 0; i < POL_ARRAY_LEN(m); i++)
        if (!strcasecmp(ext, m[i][0])) {
            snprintf(out, 8, "%s", m[i][1]);
            return 1;
        }
    return 0;
}

/* ---- the time map --------------------------------------------------------------------------- */

double pol__video_out_time(const pol__video *v, double t)
{
    if (!v->keep) return t;
    double acc = 0;
    for (size_t k = 0; k < v->n_keep; k++) {
        if (t < v->keep[k].t0) return -1;
        if (t < v->keep[k].t1) return acc + t - v->keep[k].t0;
        acc += v->keep[k].t1 - v->keep[k].t0;
    }
    return -1;
}

double pol__video_out_duration(const pol__video *v)
{
    if (!v->keep) return v->in.duration;
    double acc = 0;
    for (size_t k = 0; k < v->n_keep; k++) acc += v->keep[k].t1 - v->keep[k].t0;
    return acc;
}

/* ---- colour: gains in linear light as a Y'CbCr transform ------------------------------------ */

typedef struct ctx3 {
    float m[3][3];
    int on;
} ctx3;

/* Y'CbCr (normalised: Y 0..1, Cb/Cr -0.5..0.5) -> R'G'B' for Kr, Kb. */
static void ycc_to_rgb_mat(double kr, double kb, double a[3][3])
{
    double kg = 1 - kr - kb;
    a[0][0] = 1; a[0][1] = 0;                            a[0][2] = 2 * (1 - kr);
    a[1][0] = 1; a[1][1] = -2 * (1 - kb) * kb / kg;      a[1][2] = -2 * (1 - kr) * kr / kg;
    a[2][0] = 1; a[2][1] = 2 * (1 - kb);                 a[2][2] = 0;
}

static void inv3(double a[3][3], double o[3][3])
{
    double det = a[0][0] * (a[1][1] * a[2][2] - a[1][2] * a[2][1]) -
                 a[0][1] * (a[1][0] * a[2][2] - a[1][2] * a[2][0]) +
                 a[0][2] * (a[1][0] * a[2][1] - a[1][1] * a[2][0]);
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 3; j++) {
            int i1 = (j + 1) % 3, i2 = (j + 2) % 3, j1 = (i + 1) % 3, j2 = (i + 2) % 3;
            o[i][j] = (a[i1][j1] * a[i2][j2] - a[i1][j2] * a[i2][j1]) / det;
        }
}

static void colour_matrix(const float gain[3], int hd, ctx3 *c)
{
    double kr = hd ? 0.2126 : 0.299, kb = hd ? 0.0722 : 0.114;
    double a[3][3], ai[3][3], d[3];
    ycc_to_rgb_mat(kr, kb, a);
    inv3(a, ai);
    int on = 0;
    for (int i = 0; i < 3; i++) {
        d[i] = pow(gain[i] > 1e-3f ? gain[i] : 1e-3, 1 / 2.2); /* linear gain on encoded values */
        if (fabs(d[i] - 1) > 1e-3) on = 1;
    }
    c->on = on;
    /* T = A^-1 D A */
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 3; j++) {
            double s = 0;
            for (int k = 0; k < 3; k++) s += ai[i][k] * d[k] * a[k][j];
            c->m[i][j] = (float)s;
        }
}

static inline uint8_t clip8(float x) { return x <= 0 ? 0 : x >= 255 ? 255 : (uint8_t)(x + 0.5f); }

typedef struct colour_job {
    AVFrame *f;
    const ctx3 *c;
    int full; /* full range */
} colour_job;

static void colour_rows(void *u, size_t b, size_t e)
{
    colour_job *j = u;
    AVFrame *f = j->f;
    const float(*m)[3] = j->c->m;
    float ys = j->full ? 255.0f : 219.0f, yo = j->full ? 0 : 16, cs = j->full ? 255.0f : 224.0f;
    int cw = (f->width + 1) / 2;
    for (size_t cy = b; cy < e; cy++) {
        uint8_t *up = f->data[1] + cy * (size_t)f->linesize[1], *vp = f->data[2] + cy * (size_t)f->linesize[2];
        for (int cx = 0; cx < cw; cx++) {
            float un = (up[cx] - 128) / cs, vn = (vp[cx] - 128) / cs, ysum = 0;
            int cnt = 0;
            for (int dy = 0; dy < 2; dy++) {
                int y = (int)cy * 2 + dy;
                if (y >= f->height) break;
                uint8_t *yp = f->data[0] + (size_t)y * f->linesize[0];
                for (int dx = 0; dx < 2; dx++) {
                    int x = cx * 2 + dx;
                    if (x >= f->width) break;
                    float yn = (yp[x] - yo) / ys;
                    ysum += yn;
                    cnt++;
                    yp[x] = clip8((m[0][0] * yn + m[0][1] * un + m[0][2] * vn) * ys + yo);
                }
            }
            float ya = cnt ? ysum / cnt : 0;
            up[cx] = clip8((m[1][0] * ya + m[1][1] * un + m[1][2] * vn) * cs + 128);
            vp[cx] = clip8((m[2][0] * ya + m[2][1] * un + m[2][2] * vn) * cs + 128);
        }
    }
}

/* ---- rotation of a YUV 4:2:0 frame ---------------------------------------------------------- */

static void rot_plane(const uint8_t *s, int sls, int w, int h, uint8_t *d, int dls, int rot)
{
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) {
            int X, Y;
            if (rot == 90) { X = h - 1 - y; Y = x; }
            else if (rot == 180) { X = w - 1 - x; Y = h - 1 - y; }
            else { X = y; Y = w - 1 - x; }
            d[(size_t)Y * dls + X] = s[(size_t)y * sls + x];
        }
}

/* ---- the output ----------------------------------------------------------------------------- */

typedef struct rstate {
    pol__video *v;
    AVFormatContext *oc;
    AVCodecContext *venc, *aenc;
    AVStream *vst, *ast;
    AVFrame *yuv, *up, *conv, *aframe;
    AVPacket *pkt;
    struct SwsContext *sws, *sws_up;
    SwrContext *swr;
    AVAudioFifo *fifo;
    int ow, oh, cw, ch;
    int64_t last_vpts;
    int64_t apts; /* samples written */
    int arate_in, ach_in;
    /* the audio cutter */
    uint64_t a_pos;  /* source sample index of the next input sample */
    size_t seg;      /* current kept span */
    size_t xf;       /* crossfade length, samples (even) */
    float *tail;     /* the end of the previous span, for the crossfade */
    size_t tail_n, tail_cap, tail_mix; /* tail_mix: samples of the tail mixed so far */
    float *cut_buf;
    size_t cut_cap;
    pol__subs_burn *burn;
    ctx3 col;
    float last_gain[3];
    int hd, full;
    int venc_flushed;
    int vc, ac; /* the encoders (POL__VC_*, POL__VA_*), resolved against the container */
    int64_t frames_out;
    size_t next_cue;
    struct sheet *sheet; /* the report's contact sheet, when figures are wanted */
    struct vlogo *logo;  /* the title's logo, converted once */
    float *wtmp;         /* the sub-pixel warp's horizontal pass */
    size_t wtmp_n;
    int *widx;           /* its column taps */
    float *wwt;
    size_t widx_n;
} rstate;

static pol_status av_fail(pol_run *run, int e, const char *what)
{
    char msg[128];
    av_strerror(e, msg, sizeof msg);
    return pol__fail(run, POL_ERR_IO, "%s: %s", what, msg);
}

static pol_status write_packets(pol_run *run, rstate *r, AVCodecContext *enc, AVStream *st)
{
    for (;;) {
        int e = avcodec_receive_packet(enc, r->pkt);
        if (e == AVERROR(EAGAIN) || e == AVERROR_EOF) return POL_OK;
        if (e < 0) return av_fail(run, e, "encoding");
        av_packet_rescale_ts(r->pkt, enc->time_base, st->time_base);
        r->pkt->stream_index = st->index;
        e = av_interleaved_write_frame(r->oc, r->pkt);
        if (e < 0) return av_fail(run, e, "writing the output");
    }
}

/* SVT-AV1 prints its settings to stderr unless SVT_LOG says otherwise; the library never prints
 * (a level the user set is kept). */
static pthread_once_t svt_once = PTHREAD_ONCE_INIT;
static void svt_quiet(void) { setenv("SVT_LOG", "-1", 0); }

static const char *const venc_name[] = {"", "libx264", "libvpx-vp9", "libsvtav1"};

static pol_status open_video_enc(pol_run *run, rstate *r)
{
    const pol__vexport *ex = &r->v->ex;
    int vp9 = r->vc == POL__VC_VP9, av1 = r->vc == POL__VC_AV1;
    if (av1 && (r->ow < 64 || r->oh < 64))
        return pol__fail(run, POL_ERR_ARG, "AV1 (SVT-AV1) needs a picture of at least 64x64, not %dx%d", r->ow, r->oh);
    if (av1) pthread_once(&svt_once, svt_quiet);
    const AVCodec *c = avcodec_find_encoder_by_name(venc_name[r->vc]);
    if (!c) return pol__fail(run, POL_ERR_UNSUPPORTED, "libavcodec has no %s encoder", venc_name[r->vc]);
    AVCodecContext *e = r->venc = avcodec_alloc_context3(c);
    if (!e) return pol__fail(run, POL_ERR_NOMEM, "out of memory");
    e->width = r->ow;
    e->height = r->oh;
    e->pix_fmt = AV_PIX_FMT_YUV420P;
    e->time_base = (AVRational){1, 90000};
    e->framerate = av_d2q(r->v->in.fps, 100000);
    e->sample_aspect_ratio = (AVRational){1, 1};
    e->colorspace = r->hd ? AVCOL_SPC_BT709 : AVCOL_SPC_SMPTE170M;
    e->color_range = AVCOL_RANGE_MPEG;
    e->thread_count = run->threads > 1 ? run->threads : 0;
    e->gop_size = (int)lround(r->v->in.fps * 4);
    if (r->oc->oformat->flags & AVFMT_GLOBALHEADER) e->flags |= AV_CODEC_FLAG_GLOBAL_HEADER;
    /* a preset's (or the default) figure is x264's; VP9's and AV1's scales (0-63) reach about the
     * same quality 12 higher (SSIM on vtest.avi: x264 CRF 23 0.981, SVT-AV1 CRF 35 0.982) */
    int q = ex->crf ? ex->crf : 20;
    if (!ex->crf_own && (vp9 || av1)) q += 12;
    if (r->vc == POL__VC_H264 && q > 51) return pol__fail(run, POL_ERR_ARG, "--crf %d: x264's scale ends at 51", q);
    char crf[16];
    snprintf(crf, sizeof crf, "%d", q);
    av_opt_set(e->priv_data, "crf", crf, 0);
    if (vp9) {
        av_opt_set(e->priv_data, "deadline", "realtime", 0);
        av_opt_set(e->priv_data, "cpu-used", "8", 0);
        av_opt_set(e->priv_data, "row-mt", "1", 0);
        e->bit_rate = 0;
    } else if (av1) {
        /* the x264 speed names onto SVT-AV1's presets: veryfast -> 10 (about 3x x264 veryfast's
         * CPU for a third fewer bytes at the same SSIM) */
        static const char *const xp[] = {"ultrafast", "superfast", "veryfast", "faster", "fast", "medium", "slow"};
        int sp = 10;
        for (int i = 0; i < (int)POL_ARRAY_LEN(xp); i++)
            if (!strcmp(ex->preset, xp[i])) sp = 12 - i;
        av_opt_set_int(e->priv_data, "preset", sp, 0);
        e->bit_rate = 0;
    } else {
        av_opt_set(e->priv_data, "preset", ex->preset[0] ? ex->preset : "veryfast", 0);
    }
    int err = avcodec_open2(e, c, NULL);
    if (err < 0) return av_fail(run, err, "opening the video encoder");
    r->vst = avformat_new_stream(r->oc, NULL);
    if (!r->vst) return pol__fail(run, POL_ERR_NOMEM, "out of memory");
    r->vst->time_base = e->time_base;
    avcodec_parameters_from_context(r->vst->codecpar, e);
    r->vst->avg_frame_rate = e->framerate;
    return POL_OK;
}

static pol_status open_audio_enc(pol_run *run, rstate *r, int rate_in, int ch_in)
{
    const pol__vexport *ex = &r->v->ex;
    int opus = r->ac == POL__VA_OPUS;
    const AVCodec *c = avcodec_find_encoder_by_name(opus ? "libopus" : "aac");
    if (!c) return pol__fail(run, POL_ERR_UNSUPPORTED, "libavcodec has no %s encoder", opus ? "libopus" : "aac");
    AVCodecContext *e = r->aenc = avcodec_alloc_context3(c);
    if (!e) return pol__fail(run, POL_ERR_NOMEM, "out of memory");
    int rate = 48000;
    static const int aac_rates[] = {96000, 88200, 64000, 48000, 44100, 32000, 24000, 22050, 16000, 12000, 11025, 8000};
    if (!opus)
        for (size_t i = 0; i < POL_ARRAY_LEN(aac_rates); i++)
            if (aac_rates[i] == rate_in) rate = rate_in;
    int ch = ch_in >= 2 ? 2 : 1;
    e->sample_rate = rate;
    av_channel_layout_default(&e->ch_layout, ch);
    e->sample_fmt = opus ? AV_SAMPLE_FMT_FLT : AV_SAMPLE_FMT_FLTP;
    e->bit_rate = (int64_t)(ex->abitrate ? ex->abitrate : 128) * 1000;
    e->time_base = (AVRational){1, rate};
    if (r->oc->oformat->flags & AVFMT_GLOBALHEADER) e->flags |= AV_CODEC_FLAG_GLOBAL_HEADER;
    int err = avcodec_open2(e, c, NULL);
    if (err < 0) return av_fail(run, err, "opening the audio encoder");
    r->ast = avformat_new_stream(r->oc, NULL);
    if (!r->ast) return pol__fail(run, POL_ERR_NOMEM, "out of memory");
    r->ast->time_base = e->time_base;
    avcodec_parameters_from_context(r->ast->codecpar, e);
    AVChannelLayout in_l;
    av_channel_layout_default(&in_l, ch_in);
    int ok = swr_alloc_set_opts2(&r->swr, &e->ch_layout, e->sample_fmt, rate, &in_l, AV_SAMPLE_FMT_FLT,
                                 rate_in, 0, NULL) >= 0 && swr_init(r->swr) >= 0;
    av_channel_layout_uninit(&in_l);
    if (!ok) return pol__fail(run, POL_ERR_UNSUPPORTED, "cannot convert the soundtrack for the encoder");
    r->fifo = av_audio_fifo_alloc(e->sample_fmt, ch, e->frame_size > 0 ? e->frame_size * 4 : 4096);
    r->aframe = av_frame_alloc();
    if (!r->fifo || !r->aframe) return pol__fail(run, POL_ERR_NOMEM, "out of memory");
    r->arate_in = rate_in;
    r->ach_in = ch_in;
    return POL_OK;
}

/* Encodes whole encoder frames from the FIFO (all that is left at the end). */
static pol_status drain_fifo(pol_run *run, rstate *r, int final)
{
    AVCodecContext *e = r->aenc;
    int fs = e->frame_size > 0 ? e->frame_size : 1024;
    while (av_audio_fifo_size(r->fifo) >= fs || (final && av_audio_fifo_size(r->fifo) > 0)) {
        int n = av_audio_fifo_size(r->fifo) < fs ? av_audio_fifo_size(r->fifo) : fs;
        av_frame_unref(r->aframe);
        r->aframe->nb_samples = n;
        r->aframe->format = e->sample_fmt;
        r->aframe->sample_rate = e->sample_rate;
        av_channel_layout_copy(&r->aframe->ch_layout, &e->ch_layout);
        if (av_frame_get_buffer(r->aframe, 0) < 0) return pol__fail(run, POL_ERR_NOMEM, "out of memory");
        av_audio_fifo_read(r->fifo, (void **)r->aframe->data, n);
        r->aframe->pts = r->apts;
        r->apts += n;
        int err = avcodec_send_frame(e, r->aframe);
        if (err < 0) return av_fail(run, err, "encoding the soundtrack");
        pol_status st = write_packets(run, r, e, r->ast);
        if (st) return st;
    }
    return POL_OK;
}

/* Kept, crossfaded samples go to the resampler and the FIFO. */
static pol_status to_encoder(pol_run *run, rstate *r, const float *x, size_t n)
{
    if (!n) return POL_OK;
    int out_n = swr_get_out_samples(r->swr, (int)n);
    uint8_t **buf = NULL;
    int ls;
    if (av_samples_alloc_array_and_samples(&buf, &ls, r->aenc->ch_layout.nb_channels, out_n + 16,
                                           r->aenc->sample_fmt, 0) < 0)
        return pol__fail(run, POL_ERR_NOMEM, "out of memory");
    const uint8_t *in[1] = {(const uint8_t *)x};
    int got = swr_convert(r->swr, buf, out_n + 16, x ? in : NULL, (int)n);
    pol_status st = POL_OK;
    if (got > 0 && av_audio_fifo_write(r->fifo, (void **)buf, got) < got) st = pol__fail(run, POL_ERR_NOMEM, "out of memory");
    av_freep(&buf[0]);
    av_freep(&buf);
    if (!st) st = drain_fifo(run, r, 0);
    return st;
}

/* The cutter: source samples in order; kept spans pass, a crossfade of r->xf samples centred on
 * each cut joins the end of one span to the start of the next, so the output's length is exactly
 * the sum of the spans (the picture stays in sync). */
static pol_status cut_sink(pol_run *run, void *u, const float *x, size_t n)
{
    rstate *r = u;
    pol__video *v = r->v;
    size_t nc = (size_t)r->ach_in;
    if (!v->keep) {
        r->a_pos += n;
        return to_encoder(run, r, x, n);
    }
    double rate = r->arate_in;
    size_t h = r->xf / 2;
    if (n > r->cut_cap) {
        float *b = realloc(r->cut_buf, n * nc * sizeof *b);
        if (!b) return pol__fail(run, POL_ERR_NOMEM, "out of memory");
        r->cut_buf = b;
        r->cut_cap = n;
    }
    if (r->xf && r->tail_cap < r->xf) {
        float *b = calloc(r->xf * nc, sizeof *b);
        if (!b) return pol__fail(run, POL_ERR_NOMEM, "out of memory");
        free(r->tail);
        r->tail = b;
        r->tail_cap = r->xf;
    }
    size_t out = 0;
    for (size_t i = 0; i < n; i++) {
        uint64_t s = r->a_pos + i;
        const float *f = x + i * nc;
        for (;;) { /* the span this sample belongs to (its crossfade halves included) */
            if (r->seg >= v->n_keep) break;
            uint64_t e1 = (uint64_t)llround(v->keep[r->seg].t1 * rate);
            if (r->seg + 1 < v->n_keep) e1 += h;
            if (s < e1) break;
            r->seg++;
        }
        if (r->seg >= v->n_keep) break;
        size_t k = r->seg;
        int64_t a0 = llround(v->keep[k].t0 * rate), a1 = llround(v->keep[k].t1 * rate);
        int64_t si = (int64_t)s, hh = (int64_t)h;
        float *o = r->cut_buf + out * nc;
        if (k > 0 && si >= a0 - hh && si < a0 + hh) {
            /* the crossfade: this span's head against the previous span's tail */
            size_t j = (size_t)(si - (a0 - hh));
            double w = (j + 0.5) / (double)r->xf, gi = sin(w * M_PI / 2), go = cos(w * M_PI / 2);
            const float *t = r->tail + j * nc;
            for (size_t c = 0; c < nc; c++) o[c] = (float)(gi * f[c] + go * t[c]);
            out++;
        } else if (k + 1 < v->n_keep && si >= a1 - hh && si < a1 + hh) {
            memcpy(r->tail + (size_t)(si - (a1 - hh)) * nc, f, nc * sizeof *f); /* held */
        } else if (si >= (k > 0 ? a0 + hh : a0) && si < a1) {
            memcpy(o, f, nc * sizeof *f);
            out++;
        }
    }
    r->a_pos += n;
    return to_encoder(run, r, r->cut_buf, out);
}

/* The crop window of source frame i (top-left, upright pixels, a fraction), clamped inside the
 * frame; with_shift: moved by the stabilisation's translation (when the frame is not warped). */
static void window_at(const rstate *r, int64_t i, int with_shift, double *ox, double *oy)
{
    const pol__video *v = r->v;
    double fx = (v->in.width - r->cw) / 2.0, fy = (v->in.height - r->ch) / 2.0;
    if (v->crop_x && v->n_crop) {
        size_t k = (size_t)i < v->n_crop ? (size_t)i : v->n_crop - 1;
        fx = v->crop_x[k];
        fy = v->crop_y[k];
    }
    if (with_shift && v->stab && v->n_stab) {
        size_t k = (size_t)i < v->n_stab ? (size_t)i : v->n_stab - 1;
        fx += v->stab[4 * k + 2];
        fy += v->stab[4 * k + 3];
    }
    if (fx < 0) fx = 0;
    if (fy < 0) fy = 0;
    if (fx > v->in.width - r->cw) fx = v->in.width - r->cw;
    if (fy > v->in.height - r->ch) fy = v->in.height - r->ch;
    *ox = fx;
    *oy = fy;
}

/* The same in whole pixels. */
static void window_of(const rstate *r, int64_t i, int *x, int *y)
{
    double fx, fy;
    window_at(r, i, 1, &fx, &fy);
    *x = (int)lround(fx);
    *y = (int)lround(fy);
}

/* ---- the sub-pixel crop and scale (stabilisation): separable Catmull-Rom ------------------- */

typedef struct warp_job {
    const uint8_t *s;
    int sls, sw, sh;
    uint8_t *d;
    int dls, dw, dh;
    double y0, ky;
    float *tmp;      /* sh rows of dw */
    const int *xi;   /* 4 taps per output column */
    const float *xw;
} warp_job;

static void cubic_w(double t, float w[4])
{
    double t2 = t * t, t3 = t2 * t;
    w[0] = (float)(0.5 * (-t3 + 2 * t2 - t));
    w[1] = (float)(0.5 * (3 * t3 - 5 * t2 + 2));
    w[2] = (float)(0.5 * (-3 * t3 + 4 * t2 + t));
    w[3] = (float)(0.5 * (t3 - t2));
}

static void warp_rows_h(void *u, size_t b, size_t e)
{
    const warp_job *j = u;
    for (size_t y = b; y < e; y++) {
        const uint8_t *s = j->s + y * (size_t)j->sls;
        float *t = j->tmp + y * (size_t)j->dw;
        for (int i = 0; i < j->dw; i++) {
            const int *xi = j->xi + 4 * i;
            const float *w = j->xw + 4 * i;
            t[i] = w[0] * s[xi[0]] + w[1] * s[xi[1]] + w[2] * s[xi[2]] + w[3] * s[xi[3]];
        }
    }
}

static void warp_rows_v(void *u, size_t b, size_t e)
{
    const warp_job *j = u;
    for (size_t oy = b; oy < e; oy++) {
        double yy = j->y0 + ((double)oy + 0.5) * j->ky - 0.5, fy = floor(yy);
        float w[4];
        cubic_w(yy - fy, w);
        const float *rows[4];
        for (int k = 0; k < 4; k++) {
            long r = (long)fy - 1 + k;
            if (r < 0) r = 0;
            if (r >= j->sh) r = j->sh - 1;
            rows[k] = j->tmp + (size_t)r * j->dw;
        }
        uint8_t *d = j->d + oy * (size_t)j->dls;
        for (int i = 0; i < j->dw; i++) {
            float v = w[0] * rows[0][i] + w[1] * rows[1][i] + w[2] * rows[2][i] + w[3] * rows[3][i];
            d[i] = (uint8_t)(v < 0 ? 0 : v > 255 ? 255 : v + 0.5f);
        }
    }
}

/* Crops src (8-bit 4:2:0) at the fractional window (fx, fy, cw x ch) and scales it to r->yuv. */
static pol_status warp_frame(pol_run *run, rstate *r, const AVFrame *src, double fx, double fy)
{
    size_t need = (size_t)src->height * (size_t)r->ow;
    if (need > r->wtmp_n) {
        float *t = realloc(r->wtmp, need * sizeof *t);
        if (!t) return pol__fail(run, POL_ERR_NOMEM, "out of memory");
        r->wtmp = t;
        r->wtmp_n = need;
    }
    if ((size_t)r->ow * 4 > r->widx_n) {
        int *xi = realloc(r->widx, (size_t)r->ow * 4 * sizeof *xi);
        if (!xi) return pol__fail(run, POL_ERR_NOMEM, "out of memory");
        r->widx = xi;
        float *xw = realloc(r->wwt, (size_t)r->ow * 4 * sizeof *xw);
        if (!xw) return pol__fail(run, POL_ERR_NOMEM, "out of memory");
        r->wwt = xw;
        r->widx_n = (size_t)r->ow * 4;
    }
    for (int p = 0; p < 3; p++) {
        int c = p > 0;
        warp_job j = {.s = src->data[p], .sls = src->linesize[p],
                      .sw = c ? (src->width + 1) / 2 : src->width, .sh = c ? (src->height + 1) / 2 : src->height,
                      .d = r->yuv->data[p], .dls = r->yuv->linesize[p],
                      .dw = c ? r->ow / 2 : r->ow, .dh = c ? r->oh / 2 : r->oh,
                      .tmp = r->wtmp, .xi = r->widx, .xw = r->wwt};
        double x0 = c ? fx / 2 : fx, kx = (double)r->cw / r->ow;
        j.y0 = c ? fy / 2 : fy;
        j.ky = (double)r->ch / r->oh;
        for (int i = 0; i < j.dw; i++) {
            double xx = x0 + (i + 0.5) * kx - 0.5, f = floor(xx);
            cubic_w(xx - f, r->wwt + 4 * i);
            for (int k = 0; k < 4; k++) {
                long q = (long)f - 1 + k;
                r->widx[4 * i + k] = (int)(q < 0 ? 0 : q >= j.sw ? j.sw - 1 : q);
            }
        }
        pol__parallel_for(run, (size_t)j.sh, 16, warp_rows_h, &j);
        pol__parallel_for(run, (size_t)j.dh, 16, warp_rows_v, &j);
    }
    return POL_OK;
}

/* The stabilisation's similarity warp (rotation, scale): each output pixel of the window taken
 * through the frame's similarity about the window's centre, sampled bicubically (Catmull-Rom,
 * edges held). A point more than a pixel outside the picture is black: stabilise keeps every
 * point inside, and should it fail, that shows rather than a smear. */
typedef struct swarp_job {
    const uint8_t *s;
    int sls, sw, sh;
    uint8_t *d;
    int dls, dw;
    double ox, oy, xx, xy, yx, yy; /* source point of output pixel (i, j): o + i x. + j y. */
    uint8_t fill;                  /* black */
} swarp_job;

static void swarp_rows(void *u, size_t b, size_t e)
{
    const swarp_job *j = u;
    for (size_t oy = b; oy < e; oy++) {
        uint8_t *d = j->d + oy * (size_t)j->dls;
        double bx = j->ox + (double)oy * j->yx, by = j->oy + (double)oy * j->yy;
        for (int i = 0; i < j->dw; i++) {
            double sx = bx + i * j->xx, sy = by + i * j->xy, fx = floor(sx), fy = floor(sy);
            if (sx < -1 || sy < -1 || sx > j->sw || sy > j->sh) {
                d[i] = j->fill;
                continue;
            }
            float wx[4], wy[4];
            cubic_w(sx - fx, wx);
            cubic_w(sy - fy, wy);
            long x0 = (long)fx - 1, y0 = (long)fy - 1;
            float acc = 0;
            if (x0 >= 0 && y0 >= 0 && x0 + 3 < j->sw && y0 + 3 < j->sh) {
                const uint8_t *p = j->s + (size_t)y0 * j->sls + x0;
                for (int k = 0; k < 4; k++, p += j->sls)
                    acc += wy[k] * (wx[0] * p[0] + wx[1] * p[1] + wx[2] * p[2] + wx[3] * p[3]);
            } else {
                int xi[4];
                for (int k = 0; k < 4; k++) {
                    long q = x0 + k;
                    xi[k] = (int)(q < 0 ? 0 : q >= j->sw ? j->sw - 1 : q);
                }
                for (int k = 0; k < 4; k++) {
                    long q = y0 + k;
                    const uint8_t *p = j->s + (size_t)(q < 0 ? 0 : q >= j->sh ? j->sh - 1 : q) * j->sls;
                    acc += wy[k] * (wx[0] * p[xi[0]] + wx[1] * p[xi[1]] + wx[2] * p[xi[2]] + wx[3] * p[xi[3]]);
                }
            }
            d[i] = (uint8_t)(acc < 0 ? 0 : acc > 255 ? 255 : acc + 0.5f);
        }
    }
}

/* Crops src (8-bit 4:2:0) at the window (fx, fy, cw x ch) taken through the similarity g (about
 * the window's centre, upright pixels) and scales it to r->yuv. */
static void warp_similarity(pol_run *run, rstate *r, const AVFrame *src, double fx, double fy, const float g[4])
{
    for (int p = 0; p < 3; p++) {
        int c = p > 0;
        double h = c ? 0.5 : 1; /* plane pixels per luma pixel */
        swarp_job j = {.s = src->data[p], .sls = src->linesize[p],
                       .sw = c ? (src->width + 1) / 2 : src->width, .sh = c ? (src->height + 1) / 2 : src->height,
                       .d = r->yuv->data[p], .dls = r->yuv->linesize[p], .dw = c ? r->ow / 2 : r->ow,
                       .fill = (uint8_t)(c ? 128 : src->format == AV_PIX_FMT_YUVJ420P ? 0 : 16)};
        int dh = c ? r->oh / 2 : r->oh;
        double kx = (double)r->cw / r->ow, ky = (double)r->ch / r->oh;
        /* the window's point of output pixel (i, j), about its centre, in plane pixels */
        double cx = (fx + r->cw / 2.0) * h - 0.5, cy = (fy + r->ch / 2.0) * h - 0.5;
        double qx0 = fx * h + 0.5 * kx - 0.5 - cx, qy0 = fy * h + 0.5 * ky - 0.5 - cy;
        j.ox = cx + g[0] * qx0 - g[1] * qy0 + g[2] * h;
        j.oy = cy + g[1] * qx0 + g[0] * qy0 + g[3] * h;
        j.xx = g[0] * kx;
        j.xy = g[1] * kx;
        j.yx = -g[1] * ky;
        j.yy = g[0] * ky;
        pol__parallel_for(run, (size_t)dh, 8, swarp_rows, &j);
    }
}

/* ---- the contact sheet: before/after frames for the HTML report ------------------------------ */

#define SHEET_N 6
#define SHEET_H 150
typedef struct sheet {
    cairo_surface_t *s;
    int bw, aw; /* widths of a before and an after thumbnail */
    int64_t at[SHEET_N];
    int done;
    struct SwsContext *sb, *sa;
} sheet;

static void sheet_init(sheet *sh, const pol__video *v, int ow, int oh)
{
    memset(sh, 0, sizeof *sh);
    int64_t n = v->ana ? (int64_t)v->ana->n : v->in.frames;
    if (n < SHEET_N) return;
    sh->bw = (int)lround((double)SHEET_H * v->in.width / v->in.height);
    sh->aw = (int)lround((double)SHEET_H * ow / oh);
    sh->s = cairo_image_surface_create(CAIRO_FORMAT_ARGB32, sh->bw + sh->aw + 30, SHEET_N * (SHEET_H + 8) + 8);
    if (cairo_surface_status(sh->s) != CAIRO_STATUS_SUCCESS) {
        cairo_surface_destroy(sh->s);
        sh->s = NULL;
        return;
    }
    cairo_t *c = cairo_create(sh->s);
    cairo_set_source_rgb(c, 1, 1, 1);
    cairo_paint(c);
    cairo_destroy(c);
    for (int k = 0; k < SHEET_N; k++) sh->at[k] = (int64_t)((k + 0.5) * (double)n / SHEET_N);
}

/* Draws `f` (any pixel format) at (x, y) scaled to w x SHEET_H. */
static void sheet_put(sheet *sh, struct SwsContext **sc, const AVFrame *f, int x, int y, int w)
{
    *sc = sws_getCachedContext(*sc, f->width, f->height, f->format, w, SHEET_H, AV_PIX_FMT_BGRA, SWS_BILINEAR, NULL, NULL, NULL);
    if (!*sc) return;
    cairo_surface_flush(sh->s);
    uint8_t *d[1] = {cairo_image_surface_get_data(sh->s) + (size_t)y * cairo_image_surface_get_stride(sh->s) + (size_t)x * 4};
    int ls[1] = {cairo_image_surface_get_stride(sh->s)};
    sws_scale(*sc, (const uint8_t *const *)f->data, f->linesize, 0, f->height, d, ls);
    for (int yy = 0; yy < SHEET_H; yy++) /* opaque */
        for (int xx = 0; xx < w; xx++) d[0][(size_t)yy * ls[0] + (size_t)xx * 4 + 3] = 255;
    cairo_surface_mark_dirty(sh->s);
}

static void sheet_frame(sheet *sh, const pol__video *v, const AVFrame *src, const AVFrame *out, int64_t index,
                        int cx, int cy, int cw, int ch)
{
    if (!sh->s) return;
    for (int k = 0; k < SHEET_N; k++) {
        if (sh->at[k] != index) continue;
        int y = 8 + k * (SHEET_H + 8);
        sheet_put(sh, &sh->sb, src, 8, y, sh->bw);
        sheet_put(sh, &sh->sa, out, 22 + sh->bw, y, sh->aw);
        cairo_t *c = cairo_create(sh->s);
        double kx = (double)sh->bw / v->in.width, ky = (double)SHEET_H / v->in.height;
        cairo_set_source_rgb(c, 1, 0.1, 0.1);
        cairo_set_line_width(c, 2);
        cairo_rectangle(c, 8 + cx * kx, y + cy * ky, cw * kx, ch * ky);
        cairo_stroke(c);
        cairo_destroy(c);
        sh->done++;
    }
}

typedef struct pngbuf {
    unsigned char *d;
    size_t n, cap;
} pngbuf;

static cairo_status_t png_write(void *u, const unsigned char *data, unsigned int len)
{
    pngbuf *b = u;
    if (b->n + len > b->cap) {
        size_t cap = (b->n + len) * 2;
        unsigned char *d = realloc(b->d, cap);
        if (!d) return CAIRO_STATUS_NO_MEMORY;
        b->d = d;
        b->cap = cap;
    }
    memcpy(b->d + b->n, data, len);
    b->n += len;
    return CAIRO_STATUS_SUCCESS;
}

static void sheet_finish(pol_run *run, sheet *sh)
{
    if (run && sh->s && sh->done) {
        pngbuf b = {0};
        if (cairo_surface_write_to_png_stream(sh->s, png_write, &b) == CAIRO_STATUS_SUCCESS)
            pol__figure(run, "contact sheet: before (the crop window in red) and after", "image/png", b.d, b.n);
        free(b.d);
    }
    if (sh->s) cairo_surface_destroy(sh->s);
    sws_freeContext(sh->sb);
    sws_freeContext(sh->sa);
}

/* ---- the title's logo: a PNG with alpha, scaled once, composited in Y'CbCr ------------------ */

typedef struct vlogo {
    int w, h;                 /* even */
    uint8_t *y, *u, *v;       /* y: w x h, u/v: w/2 x h/2 */
    uint8_t *a, *ac;          /* alpha per luma and per chroma sample */
} vlogo;

static void logo_free(vlogo *l)
{
    if (!l) return;
    free(l->y);
    free(l->u);
    free(l->v);
    free(l->a);
    free(l->ac);
    free(l);
}

static pol_status logo_load(pol_run *run, rstate *r, const pol__vtitle *t)
{
    cairo_surface_t *src = cairo_image_surface_create_from_png(t->logo);
    if (cairo_surface_status(src) != CAIRO_STATUS_SUCCESS) {
        cairo_surface_destroy(src);
        return pol__fail(run, POL_ERR_FORMAT, "the logo '%s' cannot be read as a PNG", t->logo);
    }
    int sw = cairo_image_surface_get_width(src), sh = cairo_image_surface_get_height(src);
    int side = r->ow < r->oh ? r->ow : r->oh;
    int h = (int)lround(t->logo_size * side) & ~1, w = (int)lround((double)h * sw / sh) & ~1;
    if (w > r->ow - 4) {
        w = (r->ow - 4) & ~1;
        h = (int)lround((double)w * sh / sw) & ~1;
    }
    if (w < 2 || h < 2) {
        cairo_surface_destroy(src);
        pol__warn(run, "the logo is too small to show at this size");
        return POL_OK;
    }
    cairo_surface_t *dst = cairo_image_surface_create(CAIRO_FORMAT_ARGB32, w, h);
    cairo_t *c = cairo_create(dst);
    cairo_scale(c, (double)w / sw, (double)h / sh);
    cairo_set_source_surface(c, src, 0, 0);
    cairo_pattern_set_filter(cairo_get_source(c), CAIRO_FILTER_GOOD);
    cairo_paint(c);
    cairo_destroy(c);
    cairo_surface_destroy(src);
    cairo_surface_flush(dst);
    vlogo *l = calloc(1, sizeof *l);
    if (l) {
        l->w = w;
        l->h = h;
        l->y = malloc((size_t)w * h);
        l->a = malloc((size_t)w * h);
        l->u = malloc((size_t)w * h / 4);
        l->v = malloc((size_t)w * h / 4);
        l->ac = malloc((size_t)w * h / 4);
    }
    if (!l || !l->y || !l->a || !l->u || !l->v || !l->ac) {
        logo_free(l);
        cairo_surface_destroy(dst);
        return pol__fail(run, POL_ERR_NOMEM, "out of memory");
    }
    double kr = r->hd ? 0.2126 : 0.299, kb = r->hd ? 0.0722 : 0.114, kg = 1 - kr - kb;
    const unsigned char *px = cairo_image_surface_get_data(dst);
    int stride = cairo_image_surface_get_stride(dst);
    for (int cy = 0; cy < h / 2; cy++)
        for (int cx = 0; cx < w / 2; cx++) {
            double sa = 0, su = 0, sv = 0;
            for (int k = 0; k < 4; k++) {
                int x = 2 * cx + (k & 1), y = 2 * cy + (k >> 1);
                uint32_t p = *(const uint32_t *)(px + (size_t)y * stride + (size_t)x * 4);
                double a = (p >> 24) / 255.0;
                /* premultiplied: the colour is the stored value over alpha */
                double R = a > 0 ? ((p >> 16) & 255) / 255.0 / a : 0, G = a > 0 ? ((p >> 8) & 255) / 255.0 / a : 0,
                       B = a > 0 ? (p & 255) / 255.0 / a : 0;
                R = fmin(R, 1);
                G = fmin(G, 1);
                B = fmin(B, 1);
                double Y = kr * R + kg * G + kb * B, U = (B - Y) / (2 * (1 - kb)), V = (R - Y) / (2 * (1 - kr));
                l->y[(size_t)y * w + x] = (uint8_t)lround(16 + 219 * Y);
                l->a[(size_t)y * w + x] = (uint8_t)(p >> 24);
                sa += a;
                su += a * U;
                sv += a * V;
            }
            size_t i = (size_t)cy * (w / 2) + cx;
            l->ac[i] = (uint8_t)lround(sa / 4 * 255);
            l->u[i] = (uint8_t)lround(128 + 224 * (sa > 0 ? su / sa : 0));
            l->v[i] = (uint8_t)lround(128 + 224 * (sa > 0 ? sv / sa : 0));
        }
    cairo_surface_destroy(dst);
    r->logo = l;
    return POL_OK;
}

/* Composites the logo with its top-left corner at (x, y) (even) onto the output frame. */
static void logo_put(const vlogo *l, AVFrame *f, int x, int y)
{
    for (int j = 0; j < l->h; j++) {
        int oy = y + j;
        if (oy < 0 || oy >= f->height) continue;
        uint8_t *d = f->data[0] + (size_t)oy * f->linesize[0];
        for (int i = 0; i < l->w; i++) {
            int ox = x + i;
            if (ox < 0 || ox >= f->width) continue;
            int a = l->a[(size_t)j * l->w + i];
            d[ox] = (uint8_t)((d[ox] * (255 - a) + l->y[(size_t)j * l->w + i] * a + 127) / 255);
        }
    }
    for (int j = 0; j < l->h / 2; j++) {
        int oy = y / 2 + j;
        if (oy < 0 || oy >= f->height / 2) continue;
        uint8_t *du = f->data[1] + (size_t)oy * f->linesize[1], *dv = f->data[2] + (size_t)oy * f->linesize[2];
        for (int i = 0; i < l->w / 2; i++) {
            int ox = x / 2 + i;
            if (ox < 0 || ox >= f->width / 2) continue;
            size_t k = (size_t)j * (l->w / 2) + i;
            int a = l->ac[k];
            du[ox] = (uint8_t)((du[ox] * (255 - a) + l->u[k] * a + 127) / 255);
            dv[ox] = (uint8_t)((dv[ox] * (255 - a) + l->v[k] * a + 127) / 255);
        }
    }
}

static pol_status video_frame(pol_run *run, rstate *r, AVFrame *f, double t, int64_t index)
{
    pol__video *v = r->v;
    double to = pol__video_out_time(v, t);
    if (to < 0) return POL_OK;
    AVFrame *src = f;
    if (v->in.rotation) {
        /* upright: convert to 4:2:0 at the coded size, then turn the planes */
        r->sws_up = sws_getCachedContext(r->sws_up, f->width, f->height, f->format, f->width, f->height,
                                         AV_PIX_FMT_YUV420P, SWS_POINT, NULL, NULL, NULL);
        if (!r->sws_up) return pol__fail(run, POL_ERR_UNSUPPORTED, "cannot convert the pictures");
        if (!r->conv->data[0]) {
            r->conv->format = AV_PIX_FMT_YUV420P;
            r->conv->width = f->width;
            r->conv->height = f->height;
            r->up->format = AV_PIX_FMT_YUV420P;
            r->up->width = v->in.width;
            r->up->height = v->in.height;
            if (av_frame_get_buffer(r->conv, 0) < 0 || av_frame_get_buffer(r->up, 0) < 0)
                return pol__fail(run, POL_ERR_NOMEM, "out of memory");
        }
        sws_scale(r->sws_up, (const uint8_t *const *)f->data, f->linesize, 0, f->height, r->conv->data, r->conv->linesize);
        for (int p = 0; p < 3; p++) {
            int w = p ? (f->width + 1) / 2 : f->width, h = p ? (f->height + 1) / 2 : f->height;
            rot_plane(r->conv->data[p], r->conv->linesize[p], w, h, r->up->data[p], r->up->linesize[p], v->in.rotation);
        }
        src = r->up;
    }
    const AVPixFmtDescriptor *desc = av_pix_fmt_desc_get(src->format);
    if (!desc) return pol__fail(run, POL_ERR_UNSUPPORTED, "unknown pixel format");
    int x, y;
    window_of(r, index, &x, &y);
    if (v->stab && v->n_stab && (src->format == AV_PIX_FMT_YUV420P || src->format == AV_PIX_FMT_YUVJ420P) &&
        r->ow >= r->cw / 2) {
        /* stabilised: the window moves by fractions of a pixel, turns and scales */
        size_t k = (size_t)index < v->n_stab ? (size_t)index : v->n_stab - 1;
        const float *g = v->stab + 4 * k;
        double fx, fy;
        if (av_frame_make_writable(r->yuv) < 0) return pol__fail(run, POL_ERR_NOMEM, "out of memory");
        if (g[0] == 1.0f && g[1] == 0.0f) { /* a shift alone: the separable path */
            window_at(r, index, 1, &fx, &fy);
            pol_status ws = warp_frame(run, r, src, fx, fy);
            if (ws) return ws;
        } else {
            window_at(r, index, 0, &fx, &fy);
            warp_similarity(run, r, src, fx, fy, g);
        }
        goto scaled;
    }
    int ax = 1 << desc->log2_chroma_w, ay = 1 << desc->log2_chroma_h;
    x -= x % ax;
    y -= y % ay;
    const uint8_t *planes[4] = {0};
    int ls[4] = {0};
    for (int p = 0; p < 4 && src->data[p]; p++) {
        int step = 1, chroma = 0;
        for (int c = 0; c < desc->nb_components; c++)
            if (desc->comp[c].plane == p) {
                step = desc->comp[c].step;
                chroma = (c == 1 || c == 2) && !(desc->flags & AV_PIX_FMT_FLAG_RGB);
                break;
            }
        int px = chroma ? x >> desc->log2_chroma_w : x, py = chroma ? y >> desc->log2_chroma_h : y;
        planes[p] = src->data[p] + (ptrdiff_t)py * src->linesize[p] + (ptrdiff_t)px * step;
        ls[p] = src->linesize[p];
    }
    r->sws = sws_getCachedContext(r->sws, r->cw, r->ch, src->format, r->ow, r->oh, AV_PIX_FMT_YUV420P,
                                  SWS_BICUBIC, NULL, NULL, NULL);
    if (!r->sws) return pol__fail(run, POL_ERR_UNSUPPORTED, "cannot scale %s pictures", desc->name);
    if (av_frame_make_writable(r->yuv) < 0) return pol__fail(run, POL_ERR_NOMEM, "out of memory");
    sws_scale(r->sws, planes, ls, 0, r->ch, r->yuv->data, r->yuv->linesize);
scaled:
    /* colour */
    if (v->gain && v->n_gain) {
        size_t k = (size_t)index < v->n_gain ? (size_t)index : v->n_gain - 1;
        const float *g = v->gain + 3 * k;
        if (memcmp(g, r->last_gain, sizeof r->last_gain)) {
            colour_matrix(g, r->hd, &r->col);
            memcpy(r->last_gain, g, sizeof r->last_gain);
        }
        if (r->col.on) {
            colour_job j = {r->yuv, &r->col, 0};
            pol__parallel_for(run, (size_t)(r->oh + 1) / 2, 16, colour_rows, &j);
        }
    }
    if (r->burn) pol__subs_burn_frame(r->burn, r->yuv, to);
    if (r->logo) {
        const pol__vtitle *ti = &v->title;
        if (ti->text && to >= ti->t0 && to < ti->t1) /* centred above the title card */
            logo_put(r->logo, r->yuv, ((r->ow - r->logo->w) / 2) & ~1, (int)lround(0.08 * r->oh) & ~1);
        if (ti->lower && to >= ti->lt0 && to < ti->lt1) /* bottom right, level with the lower third */
            logo_put(r->logo, r->yuv, (r->ow - r->logo->w - (int)lround(0.05 * r->ow)) & ~1,
                     ((int)lround(0.83 * r->oh) - r->logo->h) & ~1);
    }
    if (r->sheet) sheet_frame(r->sheet, v, src, r->yuv, index, x, y, r->cw, r->ch);
    int64_t pts = llround(to * 90000);
    if (pts <= r->last_vpts) pts = r->last_vpts + 1;
    r->last_vpts = pts;
    r->yuv->pts = pts;
    int e = avcodec_send_frame(r->venc, r->yuv);
    if (e < 0) return av_fail(run, e, "encoding a frame");
    r->frames_out++;
    return write_packets(run, r, r->venc, r->vst);
}

static pol_status write_soft_subs(pol_run *run, rstate *r, double upto);


/* Ends the video stream. SVT-AV1 (1.4) waits forever, at the end of the stream or in its close,
 * when it was never given a frame: it is given a black one first (the output is then not kept:
 * no frame written is an error, and so is whatever stopped the render). */
static void venc_end(rstate *r)
{
    r->venc_flushed = 1;
    if (r->vc == POL__VC_AV1 && !r->frames_out && r->yuv && r->yuv->data[0]) {
        for (int p = 0; p < 3; p++)
            memset(r->yuv->data[p], p ? 128 : 16, (size_t)r->yuv->linesize[p] * (p ? (r->oh + 1) / 2 : r->oh));
        r->yuv->pts = 0;
        avcodec_send_frame(r->venc, r->yuv);
    }
    avcodec_send_frame(r->venc, NULL);
}

/* The container must hold the chosen encoders' streams (WebM: VP9/AV1 and Opus only). */
static pol_status check_codecs(pol_run *run, rstate *r, const char *cont)
{
    static const enum AVCodecID vid[] = {AV_CODEC_ID_NONE, AV_CODEC_ID_H264, AV_CODEC_ID_VP9, AV_CODEC_ID_AV1};
    static const char *const vn[] = {"", "H.264", "VP9", "AV1"};
    /* libavformat's MOV writer lists VP9, AV1 and Opus but takes them only in MP4 */
    if (avformat_query_codec(r->oc->oformat, vid[r->vc], FF_COMPLIANCE_NORMAL) == 0 ||
        (!strcmp(cont, "mov") && r->vc != POL__VC_H264))
        return pol__fail(run, POL_ERR_ARG, "a %s file cannot hold %s video: choose another --codec or --format", cont,
                         vn[r->vc]);
    int opus = r->ac == POL__VA_OPUS;
    if (r->v->in.has_audio &&
        (avformat_query_codec(r->oc->oformat, opus ? AV_CODEC_ID_OPUS : AV_CODEC_ID_AAC, FF_COMPLIANCE_NORMAL) == 0 ||
         (!strcmp(cont, "mov") && opus)))
        return pol__fail(run, POL_ERR_ARG, "a %s file cannot hold %s audio: choose another --audio-codec or --format",
                         cont, opus ? "Opus" : "AAC");
    return POL_OK;
}

pol_status pol__video_render(pol_run *run, pol__video *v, const char *out_path)
{
    pol_status st = POL_OK;
    rstate r = {.v = v, .last_vpts = -1};
    r.hd = v->in.height >= 720 || v->in.width >= 1280;
    r.cw = v->crop_w ? v->crop_w : v->in.width;
    r.ch = v->crop_h ? v->crop_h : v->in.height;
    r.ow = v->ex.width ? v->ex.width : v->out_w ? v->out_w : r.cw;
    r.oh = v->ex.height ? v->ex.height : v->out_h ? v->out_h : r.ch;
    r.ow &= ~1;
    r.oh &= ~1;
    if (r.ow < 2 || r.oh < 2) return pol__fail(run, POL_ERR_ARG, "an output of %dx%d pixels is too small", r.ow, r.oh);
    /* a delivery target's copy: the soundtrack's chain planned again, as the default output's */
    if (!v->audio && v->audio_steps && v->in.has_audio) {
        st = pol__vaudio_plan_list(run, v, v->audio_steps);
        if (st) return st;
    }
    char cont[8] = "";
    if (v->ex.container[0]) snprintf(cont, sizeof cont, "%s", v->ex.container);
    else if (!pol__video_ext_container(pol__path_ext(out_path), cont)) snprintf(cont, sizeof cont, "mp4");
    int webm = !strcmp(cont, "webm");
    r.vc = v->ex.codec ? v->ex.codec : webm ? POL__VC_VP9 : POL__VC_H264;
    r.ac = v->ex.acodec ? v->ex.acodec : webm ? POL__VA_OPUS : POL__VA_AAC;
    const char *fmt_name = !strcmp(cont, "mkv") ? "matroska" : cont;
    pol__outfile of;
    st = pol__out_open(run, out_path, &of);
    if (st) return st;
    pol__vdec *d = NULL;
    st = pol__vdec_open(run, v->path, POL_VDEC_VIDEO | (v->in.has_audio ? POL_VDEC_AUDIO : 0), &d);
    if (!st && avformat_alloc_output_context2(&r.oc, NULL, fmt_name, of.tmp_path) < 0)
        st = pol__fail(run, POL_ERR_UNSUPPORTED, "cannot write %s", cont);
    if (!st) st = check_codecs(run, &r, cont);
    r.pkt = av_packet_alloc();
    r.yuv = av_frame_alloc();
    r.up = av_frame_alloc();
    r.conv = av_frame_alloc();
    if (!st && (!r.pkt || !r.yuv || !r.up || !r.conv)) st = pol__fail(run, POL_ERR_NOMEM, "out of memory");
    if (!st) {
        r.yuv->format = AV_PIX_FMT_YUV420P;
        r.yuv->width = r.ow;
        r.yuv->height = r.oh;
        if (av_frame_get_buffer(r.yuv, 0) < 0) st = pol__fail(run, POL_ERR_NOMEM, "out of memory");
    }
    if (!st) st = open_video_enc(run, &r);
    int arate = d ? pol__vdec_arate(d) : 0, ach = d ? pol__vdec_achannels(d) : 0;
    if (!st && arate > 0) st = open_audio_enc(run, &r, arate, ach);
    if (!st && v->xfade > 0 && arate > 0) r.xf = (size_t)(v->xfade * arate) & ~(size_t)1;
    if (!st && v->title.logo && (v->title.text || v->title.lower)) st = logo_load(run, &r, &v->title);
    if (!st && ((v->n_cues && v->burn) || v->title.text || v->title.lower))
        st = pol__subs_burn_new(run, v, r.ow, r.oh, &r.burn);
    AVStream *sst = NULL;
    if (!st && v->n_cues && !v->burn) {
        sst = avformat_new_stream(r.oc, NULL);
        if (!sst) st = pol__fail(run, POL_ERR_NOMEM, "out of memory");
        else {
            sst->codecpar->codec_type = AVMEDIA_TYPE_SUBTITLE;
            sst->codecpar->codec_id = !strcmp(cont, "mkv") ? AV_CODEC_ID_SUBRIP
                                      : !strcmp(cont, "webm") ? AV_CODEC_ID_WEBVTT : AV_CODEC_ID_MOV_TEXT;
            sst->time_base = (AVRational){1, 1000};
            if (sst->codecpar->codec_id == AV_CODEC_ID_MOV_TEXT) {
                /* a tx3g sample description: defaults, white sans text at the bottom */
                static const uint8_t tx3g[] = {0, 0, 0, 0, 1, 0xFF, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
                                               0, 1, 0, 0, 0, 1, 0, 18, 0xFF, 0xFF, 0xFF, 0xFF,
                                               0, 0, 0, 18, 'f', 't', 'a', 'b', 0, 1, 0, 1, 5, 'S', 'e', 'r', 'i', 'f'};
                sst->codecpar->extradata = av_mallocz(sizeof tx3g + AV_INPUT_BUFFER_PADDING_SIZE);
                if (sst->codecpar->extradata) {
                    memcpy(sst->codecpar->extradata, tx3g, sizeof tx3g);
                    sst->codecpar->extradata_size = sizeof tx3g;
                }
            }
            av_dict_set(&sst->metadata, "language", "und", 0);
        }
    }
    if (!st) {
        int e = avio_open(&r.oc->pb, of.tmp_path, AVIO_FLAG_WRITE);
        if (e < 0) st = av_fail(run, e, "opening the output");
    }
    if (!st) {
        AVDictionary *mo = NULL;
        if (!strcmp(cont, "mp4") || !strcmp(cont, "mov")) av_dict_set(&mo, "movflags", "+faststart", 0);
        av_dict_set(&r.oc->metadata, "encoder", "polish", 0);
        int e = avformat_write_header(r.oc, &mo);
        av_dict_free(&mo);
        if (e < 0) st = av_fail(run, e, "writing the output's header");
    }
    if (!st && v->audio) st = pol__vaudio_start(run, v->audio);
    sheet sh;
    if (!st && pol__want_figures(run)) {
        sheet_init(&sh, v, r.ow, r.oh);
        r.sheet = &sh;
    }
    while (!st) {
        pol__vdec_out o;
        st = pol__vdec_next(run, d, &o);
        if (st || !o.kind) break;
        if (o.kind == POL_VDEC_VIDEO) {
            st = video_frame(run, &r, o.frame, o.t, o.index);
            if (!st && sst) st = write_soft_subs(run, &r, (double)r.last_vpts / 90000);
        }
        else if (r.aenc) {
            if (v->audio) st = pol__vaudio_push(run, v->audio, o.samples, o.n, 0, cut_sink, &r);
            else st = cut_sink(run, &r, o.samples, o.n);
        }
    }
    /* flush */
    if (!st && r.aenc && v->audio) st = pol__vaudio_push(run, v->audio, NULL, 0, 1, cut_sink, &r);
    if (!st && r.aenc && v->audio) st = pol__vaudio_end(run, v->audio);
    if (!st && r.aenc) st = to_encoder(run, &r, NULL, 0);
    if (!st && r.aenc) st = drain_fifo(run, &r, 1);
    if (!st && r.aenc) {
        avcodec_send_frame(r.aenc, NULL);
        st = write_packets(run, &r, r.aenc, r.ast);
    }
    if (!st) {
        venc_end(&r);
        st = write_packets(run, &r, r.venc, r.vst);
    }
    if (!st && sst) st = write_soft_subs(run, &r, HUGE_VAL);
    if (!st && r.frames_out == 0) st = pol__fail(run, POL_ERR_CORRUPT, "no frame was kept: nothing to write");
    if (!st) {
        int e = av_write_trailer(r.oc);
        if (e < 0) st = av_fail(run, e, "finishing the output");
    }
    if (r.oc && r.oc->pb) {
        if (avio_closep(&r.oc->pb) < 0 && !st) st = pol__fail(run, POL_ERR_IO, "writing the output failed");
    }
    pol__vdec_close(d);
    if (r.venc && avcodec_is_open(r.venc) && !r.venc_flushed) {
        venc_end(&r);
        while (r.pkt && avcodec_receive_packet(r.venc, r.pkt) >= 0) av_packet_unref(r.pkt);
    }
    avcodec_free_context(&r.venc);
    avcodec_free_context(&r.aenc);
    if (r.oc) avformat_free_context(r.oc);
    av_packet_free(&r.pkt);
    av_frame_free(&r.yuv);
    av_frame_free(&r.up);
    av_frame_free(&r.conv);
    av_frame_free(&r.aframe);
    sws_freeContext(r.sws);
    sws_freeContext(r.sws_up);
    swr_free(&r.swr);
    if (r.fifo) av_audio_fifo_free(r.fifo);
    free(r.tail);
    free(r.cut_buf);
    free(r.wtmp);
    free(r.widx);
    free(r.wwt);
    logo_free(r.logo);
    pol__subs_burn_free(r.burn);
    /* the render's figure and measurement go with the plan's last step */
    pol__jv *saved = run->step, *steps = run->item ? pol__jv_get(run->item, "steps") : NULL;
    if (!run->step && steps && steps->last) run->step = steps->last;
    if (r.sheet) {
        if (!st) sheet_finish(run, r.sheet);
        else sheet_finish(NULL, r.sheet);
    }
    if (!st) {
        pol__measure_int(run, "frames_written", (long long)r.frames_out);
        pol__measure_str(run, "video_encoder", venc_name[r.vc]);
        if (r.aenc) pol__measure_str(run, "audio_encoder", r.ac == POL__VA_OPUS ? "libopus" : "aac");
    }
    run->step = saved;
    if (!st) {
        st = pol__out_commit(run, &of);
    } else {
        pol__out_abort(&of);
    }
    return st;
}

/* Soft subtitles: one packet per cue (UTF-8 text), in output time. */
static pol_status write_soft_subs(pol_run *run, rstate *r, double upto)
{
    const pol__video *v = r->v;
    AVStream *s = NULL;
    for (unsigned i = 0; i < r->oc->nb_streams; i++)
        if (r->oc->streams[i]->codecpar->codec_type == AVMEDIA_TYPE_SUBTITLE) s = r->oc->streams[i];
    if (!s) return POL_OK;
    for (; r->next_cue < v->n_cues && v->cues[r->next_cue].t0 <= upto; r->next_cue++) {
        const pol__vcue *c = &v->cues[r->next_cue];
        size_t len = strlen(c->text);
        int mov = s->codecpar->codec_id == AV_CODEC_ID_MOV_TEXT;
        AVPacket *p = av_packet_alloc();
        if (!p || av_new_packet(p, (int)len + (mov ? 2 : 0)) < 0) {
            av_packet_free(&p);
            return pol__fail(run, POL_ERR_NOMEM, "out of memory");
        }
        if (mov) {
            p->data[0] = (uint8_t)(len >> 8);
            p->data[1] = (uint8_t)len;
        }
        memcpy(p->data + (mov ? 2 : 0), c->text, len);
        p->stream_index = s->index;
        p->pts = p->dts = av_rescale_q(llround(c->t0 * 1000), (AVRational){1, 1000}, s->time_base);
        p->duration = av_rescale_q(llround((c->t1 - c->t0) * 1000), (AVRational){1, 1000}, s->time_base);
        int e = av_interleaved_write_frame(r->oc, p);
        av_packet_free(&p);
        if (e < 0) return av_fail(run, e, "writing subtitles");
    }
    return POL_OK;
}
