/* polish — video probing (limits and every check from the headers, before decoding) and decoding
 * of the video and audio streams with libavformat/libavcodec; audio is handed over as interleaved
 * float at the source rate (libswresample). */
#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/display.h>
#include <libavutil/opt.h>
#include <libswresample/swresample.h>
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "video/video.h"

/* FFmpeg's libraries print to stderr by default; the library never prints. */
static pthread_once_t quiet_once = PTHREAD_ONCE_INIT;
static void quiet(void) { av_log_set_level(AV_LOG_QUIET); }

static int looks_mp4(const char *path)
{
    FILE *f = fopen(path, "rb");
    unsigned char h[12];
    size_t n = f ? fread(h, 1, sizeof h, f) : 0;
    if (f) fclose(f);
    return n >= 8 && (!memcmp(h + 4, "ftyp", 4) || !memcmp(h + 4, "mdat", 4) ||
                      !memcmp(h + 4, "wide", 4) || !memcmp(h + 4, "free", 4));
}

static int rotation_of(const AVStream *st)
{
    const uint8_t *m = av_stream_get_side_data(st, AV_PKT_DATA_DISPLAYMATRIX, NULL);
    if (!m) return 0;
    double r = -av_display_rotation_get((const int32_t *)m); /* clockwise */
    if (isnan(r)) return 0;
    int k = (int)lround(r / 90.0);
    return ((k % 4) + 4) % 4 * 90;
}

/* Opens the container; explains a failure in the user's terms. */
static pol_status open_fmt(pol_run *run, const char *path, AVFormatContext **out)
{
    pthread_once(&quiet_once, quiet);
    struct stat sb;
    if (stat(path, &sb) != 0) return pol__fail(run, POL_ERR_IO, "cannot read the file");
    if (sb.st_size == 0) return pol__fail(run, POL_ERR_EMPTY, "empty file (0 bytes): no video");
    AVFormatContext *fc = NULL;
    int e = avformat_open_input(&fc, path, NULL, NULL);
    if (e < 0) {
        char msg[128];
        av_strerror(e, msg, sizeof msg);
        if (looks_mp4(path))
            return pol__fail(run, POL_ERR_CORRUPT,
                             "the MP4's index (moov atom) is missing or unreadable: the recording "
                             "was not finished or the file was cut short (%s)", msg);
        return pol__fail(run, POL_ERR_FORMAT, "not a video container libavformat can read (%s)", msg);
    }
    fc->probesize = 5 << 20;
    e = avformat_find_stream_info(fc, NULL);
    if (e < 0) {
        avformat_close_input(&fc);
        return pol__fail(run, POL_ERR_CORRUPT, "cannot read the streams' parameters");
    }
    *out = fc;
    return POL_OK;
}

static pol_status check_streams(pol_run *run, AVFormatContext *fc, int *vi, int *ai)
{
    *vi = av_find_best_stream(fc, AVMEDIA_TYPE_VIDEO, -1, -1, NULL, 0);
    *ai = av_find_best_stream(fc, AVMEDIA_TYPE_AUDIO, -1, -1, NULL, 0);
    if (*vi < 0) {
        /* a stream of pictures libavformat knows but no decoder: name it */
        for (unsigned i = 0; i < fc->nb_streams; i++) {
            const AVCodecParameters *p = fc->streams[i]->codecpar;
            if (p->codec_type == AVMEDIA_TYPE_VIDEO && !(fc->streams[i]->disposition & AV_DISPOSITION_ATTACHED_PIC)) {
                char tag[AV_FOURCC_MAX_STRING_SIZE] = "";
                av_fourcc_make_string(tag, p->codec_tag);
                return pol__fail(run, POL_ERR_UNSUPPORTED,
                                 "unknown video codec (%s, tag '%s'): no decoder for it",
                                 avcodec_get_name(p->codec_id), tag);
            }
        }
        if (*ai >= 0)
            return pol__fail(run, POL_ERR_UNSUPPORTED,
                             "no video stream: an audio-only file (%s); the audio domain takes audio",
                             avcodec_get_name(fc->streams[*ai]->codecpar->codec_id));
        return pol__fail(run, POL_ERR_FORMAT, "no video stream in the file");
    }
    const AVCodecParameters *p = fc->streams[*vi]->codecpar;
    if (!avcodec_find_decoder(p->codec_id)) {
        char tag[AV_FOURCC_MAX_STRING_SIZE] = "";
        av_fourcc_make_string(tag, p->codec_tag);
        return pol__fail(run, POL_ERR_UNSUPPORTED, "unknown video codec (%s, tag '%s'): no decoder for it",
                         avcodec_get_name(p->codec_id), tag);
    }
    if (*ai >= 0 && !avcodec_find_decoder(fc->streams[*ai]->codecpar->codec_id)) *ai = -1;
    return POL_OK;
}

static pol_status fill_info(pol_run *run, AVFormatContext *fc, int vi, int ai, pol__vinfo *in)
{
    memset(in, 0, sizeof *in);
    AVStream *vs = fc->streams[vi];
    const AVCodecParameters *p = vs->codecpar;
    in->coded_w = p->width;
    in->coded_h = p->height;
    in->rotation = rotation_of(vs);
    in->width = in->rotation % 180 ? p->height : p->width;
    in->height = in->rotation % 180 ? p->width : p->height;
    if (p->width <= 0 || p->height <= 0)
        return pol__fail(run, POL_ERR_CORRUPT, "the video stream has no picture size (%dx%d)", p->width,
                         p->height);
    AVRational afr = vs->avg_frame_rate, rfr = vs->r_frame_rate;
    double fa = afr.num > 0 && afr.den > 0 ? av_q2d(afr) : 0, fr = rfr.num > 0 && rfr.den > 0 ? av_q2d(rfr) : 0;
    in->fps = fa > 0 ? fa : fr > 0 ? fr : 25;
    in->vfr = fa > 0 && fr > 0 && fabs(fa - fr) / fr > 0.01;
    double d = 0;
    if (vs->duration > 0 && vs->duration != AV_NOPTS_VALUE) d = (double)vs->duration * av_q2d(vs->time_base);
    if (d <= 0 && fc->duration > 0) d = (double)fc->duration / AV_TIME_BASE;
    in->duration = d;
    in->frames = vs->nb_frames > 0 ? vs->nb_frames : (int64_t)llround(d * in->fps);
    snprintf(in->vcodec, sizeof in->vcodec, "%s", avcodec_get_name(p->codec_id));
    snprintf(in->container, sizeof in->container, "%s", fc->iformat->name);
    in->n_streams = (int)fc->nb_streams;
    if (ai >= 0) {
        const AVCodecParameters *a = fc->streams[ai]->codecpar;
        in->has_audio = a->sample_rate > 0 && a->ch_layout.nb_channels > 0;
        in->arate = a->sample_rate;
        in->achannels = a->ch_layout.nb_channels;
        snprintf(in->acodec, sizeof in->acodec, "%s", avcodec_get_name(a->codec_id));
    }
    /* limits, from the headers */
    uint64_t px = (uint64_t)p->width * (uint64_t)p->height, lp = pol__limit(run, "video-pixels");
    if (lp && px > lp)
        return pol__fail(run, POL_ERR_LIMIT,
                         "%dx%d frames (%.1f megapixels) are over the video-pixels limit of %.1f "
                         "megapixels (--limit video-pixels=...)",
                         p->width, p->height, (double)px / 1e6, (double)lp / 1e6);
    if (p->width > 16384 || p->height > 16384)
        return pol__fail(run, POL_ERR_LIMIT, "%dx%d frames: a side over 16384 pixels", p->width, p->height);
    uint64_t ld = pol__limit(run, "duration");
    if (ld && in->duration > (double)ld)
        return pol__fail(run, POL_ERR_LIMIT, "%.0f s of video is over the duration limit of %llu s "
                         "(--limit duration=...)", in->duration, (unsigned long long)ld);
    uint64_t lf = pol__limit(run, "video-frames");
    if (lf && in->frames > 0 && (uint64_t)in->frames > lf)
        return pol__fail(run, POL_ERR_LIMIT, "%lld frames are over the video-frames limit of %llu "
                         "(--limit video-frames=...)", (long long)in->frames, (unsigned long long)lf);
    return POL_OK;
}

pol_status pol__video_probe(pol_run *run, const char *path, pol__vinfo *info)
{
    AVFormatContext *fc = NULL;
    pol_status st = open_fmt(run, path, &fc);
    if (st) return st;
    int vi, ai;
    st = check_streams(run, fc, &vi, &ai);
    if (!st) st = fill_info(run, fc, vi, ai, info);
    avformat_close_input(&fc);
    return st;
}

/* ---- decoding ------------------------------------------------------------------------------- */

struct pol__vdec {
    AVFormatContext *fc;
    int vi, ai;
    AVCodecContext *vc, *ac;
    SwrContext *swr;
    AVPacket *pkt;
    AVFrame *vf, *af;
    float *abuf;
    size_t acap;
    int64_t vindex;
    int eof, vdone, adone;
    int achannels, arate;
    int64_t bad; /* decode errors skipped */
};

static pol_status open_codec(pol_run *run, AVStream *s, AVCodecContext **out, int threads)
{
    const AVCodec *c = avcodec_find_decoder(s->codecpar->codec_id);
    AVCodecContext *cc = c ? avcodec_alloc_context3(c) : NULL;
    if (!cc) return pol__fail(run, POL_ERR_UNSUPPORTED, "no decoder for %s", avcodec_get_name(s->codecpar->codec_id));
    avcodec_parameters_to_context(cc, s->codecpar);
    cc->pkt_timebase = s->time_base;
    cc->thread_count = threads;
    if (avcodec_open2(cc, c, NULL) < 0) {
        avcodec_free_context(&cc);
        return pol__fail(run, POL_ERR_UNSUPPORTED, "cannot open the %s decoder", c->name);
    }
    *out = cc;
    return POL_OK;
}

pol_status pol__vdec_open(pol_run *run, const char *path, unsigned what, pol__vdec **out)
{
    pol__vdec *d = calloc(1, sizeof *d);
    if (!d) return pol__fail(run, POL_ERR_NOMEM, "out of memory");
    pol_status st = open_fmt(run, path, &d->fc);
    if (!st) st = check_streams(run, d->fc, &d->vi, &d->ai);
    if (!st && !(what & POL_VDEC_VIDEO)) d->vi = -1;
    if (!st && !(what & POL_VDEC_AUDIO)) d->ai = -1;
    if (!st && d->vi >= 0) st = open_codec(run, d->fc->streams[d->vi], &d->vc, run->threads > 1 ? run->threads : 1);
    if (!st && d->ai >= 0) {
        st = open_codec(run, d->fc->streams[d->ai], &d->ac, 1);
        if (!st) {
            d->achannels = d->ac->ch_layout.nb_channels;
            d->arate = d->ac->sample_rate;
            AVChannelLayout lay;
            av_channel_layout_copy(&lay, &d->ac->ch_layout);
            if (swr_alloc_set_opts2(&d->swr, &lay, AV_SAMPLE_FMT_FLT, d->arate, &d->ac->ch_layout,
                                    d->ac->sample_fmt, d->arate, 0, NULL) < 0 || swr_init(d->swr) < 0)
                st = pol__fail(run, POL_ERR_UNSUPPORTED, "cannot convert the audio's samples");
            av_channel_layout_uninit(&lay);
        }
    }
    if (!st) {
        for (unsigned i = 0; i < d->fc->nb_streams; i++)
            if ((int)i != d->vi && (int)i != d->ai) d->fc->streams[i]->discard = AVDISCARD_ALL;
        d->pkt = av_packet_alloc();
        d->vf = av_frame_alloc();
        d->af = av_frame_alloc();
        if (!d->pkt || !d->vf || !d->af) st = pol__fail(run, POL_ERR_NOMEM, "out of memory");
    }
    d->vdone = d->vi < 0;
    d->adone = d->ai < 0;
    if (st) {
        pol__vdec_close(d);
        return st;
    }
    *out = d;
    return POL_OK;
}

void pol__vdec_close(pol__vdec *d)
{
    if (!d) return;
    avcodec_free_context(&d->vc);
    avcodec_free_context(&d->ac);
    swr_free(&d->swr);
    av_packet_free(&d->pkt);
    av_frame_free(&d->vf);
    av_frame_free(&d->af);
    if (d->fc) avformat_close_input(&d->fc);
    free(d->abuf);
    free(d);
}

int pol__vdec_arate(const pol__vdec *d) { return d->ai >= 0 ? d->arate : 0; }
int pol__vdec_achannels(const pol__vdec *d) { return d->ai >= 0 ? d->achannels : 0; }
void *pol__vdec_vctx(pol__vdec *d) { return d->vc; }
void *pol__vdec_vstream(pol__vdec *d) { return d->vi >= 0 ? d->fc->streams[d->vi] : NULL; }
void *pol__vdec_astream(pol__vdec *d) { return d->ai >= 0 ? d->fc->streams[d->ai] : NULL; }
void *pol__vdec_fmt(pol__vdec *d) { return d->fc; }

static double frame_time(const AVFrame *f, AVRational tb, double fallback)
{
    int64_t pts = f->best_effort_timestamp != AV_NOPTS_VALUE ? f->best_effort_timestamp : f->pts;
    return pts != AV_NOPTS_VALUE ? (double)pts * av_q2d(tb) : fallback;
}

/* Tries to take a frame out of the decoders; 1 when *o is filled. */
static int take(pol_run *run, pol__vdec *d, pol__vdec_out *o, pol_status *st)
{
    if (d->vc && !d->vdone) {
        int e = avcodec_receive_frame(d->vc, d->vf);
        if (e == 0) {
            AVStream *s = d->fc->streams[d->vi];
            double fallback = d->vindex / (d->vc->framerate.num > 0 ? av_q2d(d->vc->framerate) : 25.0);
            o->kind = POL_VDEC_VIDEO;
            o->frame = d->vf;
            o->t = frame_time(d->vf, s->time_base, fallback);
            if (s->start_time != AV_NOPTS_VALUE) o->t -= (double)s->start_time * av_q2d(s->time_base);
            o->index = d->vindex++;
            return 1;
        }
        if (e == AVERROR_EOF) d->vdone = 1;
    }
    if (d->ac && !d->adone) {
        int e = avcodec_receive_frame(d->ac, d->af);
        if (e == 0) {
            size_t n = (size_t)swr_get_out_samples(d->swr, d->af->nb_samples);
            size_t need = n * (size_t)d->achannels;
            if (need > d->acap) {
                float *b = realloc(d->abuf, need * sizeof *b);
                if (!b) {
                    *st = pol__fail(run, POL_ERR_NOMEM, "out of memory");
                    return 1;
                }
                d->abuf = b;
                d->acap = need;
            }
            uint8_t *outp[1] = {(uint8_t *)d->abuf};
            int got = swr_convert(d->swr, outp, (int)n, (const uint8_t **)d->af->extended_data,
                                  d->af->nb_samples);
            av_frame_unref(d->af);
            if (got < 0) {
                *st = pol__fail(run, POL_ERR_CORRUPT, "cannot convert decoded audio");
                return 1;
            }
            o->kind = POL_VDEC_AUDIO;
            o->samples = d->abuf;
            o->n = (size_t)got;
            return 1;
        }
        if (e == AVERROR_EOF) d->adone = 1;
    }
    return 0;
}

pol_status pol__vdec_next(pol_run *run, pol__vdec *d, pol__vdec_out *o)
{
    memset(o, 0, sizeof *o);
    pol_status st = POL_OK;
    for (;;) {
        if (take(run, d, o, &st)) return st;
        if (d->vdone && d->adone) return POL_OK; /* the end */
        if (d->eof) { /* flushed and drained: a decoder that gives nothing more is done */
            d->vdone = d->adone = 1;
            return POL_OK;
        }
        if (pol__cancelled(run)) return pol__fail(run, POL_ERR_CANCELLED, "cancelled");
        int e = av_read_frame(d->fc, d->pkt);
        if (e < 0) {
            d->eof = 1;
            if (d->vc) avcodec_send_packet(d->vc, NULL);
            if (d->ac) avcodec_send_packet(d->ac, NULL);
            continue;
        }
        AVCodecContext *cc = d->pkt->stream_index == d->vi ? d->vc : d->pkt->stream_index == d->ai ? d->ac : NULL;
        if (cc) {
            e = avcodec_send_packet(cc, d->pkt);
            if (e < 0 && e != AVERROR(EAGAIN)) d->bad++;
            if (e == AVERROR(EAGAIN)) {
                /* the decoder is full: take a frame first, then resend */
                av_packet_unref(d->pkt);
                continue;
            }
        }
        av_packet_unref(d->pkt);
        if (d->bad > 1000) return pol__fail(run, POL_ERR_CORRUPT, "more than 1000 undecodable packets");
    }
}
