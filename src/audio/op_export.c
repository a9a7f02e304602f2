/* polish — audio.export: the delivery format: container and codec, sample size, rate (libsoxr),
 * channels, lossy quality. Streamed: the writer reads these from the block as it opens. */
#include <math.h>
#include <sndfile.h>
#include <stdlib.h>
#include <string.h>
#include "audio/audio.h"

static const pol_param_desc params[] = {
    {"format", POL_PARAM_ENUM, NULL, 0, -1, "wav|flac|ogg|opus|mp3|aiff",
     "Output format; default the input's (an MP3 is written as MP3)."},
    {"bits", POL_PARAM_ENUM, NULL, 0, -1, "16|24|32f",
     "Sample format of WAV, FLAC and AIFF (32f: 32-bit float, WAV and AIFF); default the input's."},
    {"rate", POL_PARAM_INT, "0", 0, 384000, NULL,
     "Sample rate to resample to with libsoxr (high quality); 0 keeps the input's.", .unit = "Hz"},
    {"channels", POL_PARAM_INT, "0", 0, 2, NULL,
     "1 mixes down to mono (the mean of the channels), 2 makes stereo; 0 keeps the input's."},
    {"bitrate", POL_PARAM_INT, "0", 0, 320, NULL,
     "MP3 and Ogg: approximate bit rate, mapped to the encoder's compression level; 0 = "
     "libsndfile's default quality.", .unit = "kbit/s"},
};

typedef struct estate {
    int format, bits;
    long rate, channels, bitrate;
} estate;

static const char *const names[] = {"wav", "flac", "ogg", "opus", "mp3", "aiff"};

const char *pol__audio_export_ext(const pol_args *args)
{
    int f = args ? pol__arg_choice(args, "format") : -1;
    return f >= 0 && f < (int)POL_ARRAY_LEN(names) ? names[f] : NULL;
}

static void set_fmt(const estate *e, pol__audio_fmt *o)
{
    int major = o->sf_format & SF_FORMAT_TYPEMASK, sub = o->sf_format & SF_FORMAT_SUBMASK;
    if (e->format >= 0) {
        int f = 0;
        pol__audio_format_for_ext(names[e->format], &f);
        int nmajor = f & SF_FORMAT_TYPEMASK;
        if (nmajor != major) {
            /* keep a PCM input's sample size in another lossless container */
            int pcm = sub == SF_FORMAT_PCM_16 || sub == SF_FORMAT_PCM_24;
            if (pcm && (nmajor == SF_FORMAT_WAV || nmajor == SF_FORMAT_FLAC || nmajor == SF_FORMAT_AIFF))
                f = nmajor | sub;
            o->sf_format = f;
        }
        snprintf(o->ext, sizeof o->ext, "%s", names[e->format]);
    }
    major = o->sf_format & SF_FORMAT_TYPEMASK;
    if (e->bits >= 0 && (major == SF_FORMAT_WAV || major == SF_FORMAT_FLAC || major == SF_FORMAT_AIFF)) {
        int sub2 = e->bits == 0 ? SF_FORMAT_PCM_16 : e->bits == 1 ? SF_FORMAT_PCM_24 : SF_FORMAT_FLOAT;
        if (major == SF_FORMAT_FLAC && sub2 == SF_FORMAT_FLOAT) sub2 = SF_FORMAT_PCM_24;
        o->sf_format = major | sub2;
    }
    if (e->rate > 0) o->rate = (int)e->rate;
    if (e->channels > 0) o->channels = (int)e->channels;
    if (e->bitrate > 0) {
        double q = (double)(e->bitrate - 32) / (320 - 32);
        o->quality = q < 0 ? 0 : q > 1 ? 1 : q;
    }
}

static pol_status begin(pol_run *run, const pol_args *args, void **out)
{
    estate *e = calloc(1, sizeof *e);
    if (!e) return pol__fail(run, POL_ERR_NOMEM, "out of memory");
    e->format = pol__arg_choice(args, "format");
    e->bits = pol__arg_choice(args, "bits");
    e->rate = pol__arg_int(args, "rate");
    e->channels = pol__arg_int(args, "channels");
    e->bitrate = pol__arg_int(args, "bitrate");
    if (e->rate > 0 && e->rate < 1000) {
        long r = e->rate;
        free(e);
        return pol__fail(run, POL_ERR_ARG, "--rate %ld is below 1000 Hz", r);
    }
    *out = e;
    return POL_OK;
}

static pol_status apply(pol_run *run, void *p, pol__chunk *c)
{
    (void)run;
    pol__ablock *b = pol__ablock_of(c);
    if (b->out) set_fmt(p, b->out);
    return POL_OK;
}

static pol_status end(pol_run *run, void *p)
{
    const estate *e = p;
    if (e->format >= 0 || e->bits >= 0 || e->rate > 0 || e->channels > 0 || e->bitrate > 0)
        pol__decide(run, "delivery format set");
    else
        pol__decline(run, "the input's format, rate and channels are kept");
    return POL_OK;
}

static const pol_op_stream stream = {.begin = begin, .apply = apply, .end = end, .free = free};

static pol_status run_whole(pol_run *run, pol_asset *a, const pol_args *args)
{
    return pol__audio_run_stream(run, a, args, &stream);
}

const pol_op_desc pol__audio_op_export = {
    .domain = "audio",
    .name = "export",
    .summary = "Delivery format: codec, sample size, rate, channels, bit rate",
    .params = params,
    .n_params = POL_ARRAY_LEN(params),
    .run = run_whole,
    .flags = POL_OP_DELIVER,
    .stream = &stream,
};
