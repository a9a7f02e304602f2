/* polish — the audio domain: recognise (WAV, FLAC, Ogg Vorbis/Opus, MP3, AIFF by their magic),
 * load and save with libsndfile (float samples, any rate and channel count, exact length),
 * streamed reading and writing in blocks, limits, inspect. Resampling on export with libsoxr. */
#include <math.h>
#include <sndfile.h>
#include <soxr.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include "audio/audio.h"

/* ---- formats -------------------------------------------------------------------------------- */

static const struct {
    const char *ext;
    int fmt;
} formats[] = {
    {"wav", SF_FORMAT_WAV | SF_FORMAT_PCM_16},   {"flac", SF_FORMAT_FLAC | SF_FORMAT_PCM_16},
    {"ogg", SF_FORMAT_OGG | SF_FORMAT_VORBIS},    {"opus", SF_FORMAT_OGG | SF_FORMAT_OPUS},
    {"mp3", SF_FORMAT_MPEG | SF_FORMAT_MPEG_LAYER_III},
    {"aiff", SF_FORMAT_AIFF | SF_FORMAT_PCM_16}, {"aif", SF_FORMAT_AIFF | SF_FORMAT_PCM_16},
};

int pol__audio_format_for_ext(const char *ext, int *sf_format)
{
    for (size_t i = 0; i < POL_ARRAY_LEN(formats); i++)
        if (!strcasecmp(ext, formats[i].ext)) {
            *sf_format = formats[i].fmt;
            return 1;
        }
    return 0;
}

const char *pol__audio_ext_for_format(int f)
{
    switch (f & SF_FORMAT_TYPEMASK) {
    case SF_FORMAT_WAV:
    case SF_FORMAT_WAVEX:
    case SF_FORMAT_RF64: return "wav";
    case SF_FORMAT_FLAC: return "flac";
    case SF_FORMAT_OGG: return (f & SF_FORMAT_SUBMASK) == SF_FORMAT_OPUS ? "opus" : "ogg";
    case SF_FORMAT_MPEG: return "mp3";
    case SF_FORMAT_AIFF: return "aiff";
    default: return "wav";
    }
}

/* The format an input is written back in: same container; lossless PCM keeps its sample size;
 * a lossy input is written as the same codec. */
static void fmt_from_input(const SF_INFO *in, pol__audio_fmt *o)
{
    memset(o, 0, sizeof *o);
    int major = in->format & SF_FORMAT_TYPEMASK, sub = in->format & SF_FORMAT_SUBMASK;
    if (major == SF_FORMAT_MPEG) sub = SF_FORMAT_MPEG_LAYER_III; /* libsndfile writes layer III */
    o->sf_format = major | sub;
    SF_INFO probe = {.samplerate = in->samplerate, .channels = in->channels, .format = o->sf_format};
    if (!sf_format_check(&probe)) o->sf_format = SF_FORMAT_WAV | SF_FORMAT_PCM_16;
    o->quality = 0.6;
    snprintf(o->ext, sizeof o->ext, "%s", pol__audio_ext_for_format(o->sf_format));
}

/* ---- the asset ------------------------------------------------------------------------------ */

void pol__audio_free(void *d)
{
    pol__audio *a = d;
    if (a) free(a->x);
    free(a);
}

static void *audio_clone(const void *d)
{
    const pol__audio *s = d;
    pol__audio *c = malloc(sizeof *c);
    if (!c) return NULL;
    *c = *s;
    size_t n = (size_t)s->frames * (size_t)s->channels;
    c->x = malloc((n ? n : 1) * sizeof *c->x);
    if (!c->x) {
        free(c);
        return NULL;
    }
    memcpy(c->x, s->x, n * sizeof *c->x);
    return c;
}

pol_status pol__audio_alloc(pol_run *run, uint64_t frames, int channels, int rate, pol__audio **out)
{
    size_t n;
    if (!pol__mul_ok((size_t)frames, (size_t)channels, &n) || n > SIZE_MAX / sizeof(float))
        return pol__fail(run, POL_ERR_LIMIT, "%llu frames of %d channels do not fit in memory",
                         (unsigned long long)frames, channels);
    pol_status st = pol__mem_reserve(run, n * sizeof(float), "the decoded samples");
    if (st) return st;
    pol__audio *a = calloc(1, sizeof *a);
    if (!a || !(a->x = calloc(n ? n : 1, sizeof *a->x))) {
        free(a);
        return pol__fail(run, POL_ERR_NOMEM, "out of memory for %llu frames",
                         (unsigned long long)frames);
    }
    a->frames = frames;
    a->channels = channels;
    a->rate = rate;
    *out = a;
    return POL_OK;
}

/* ---- recognising ---------------------------------------------------------------------------- */

static int sniff(const unsigned char *h, size_t n, const char *path)
{
    (void)path;
    if (n >= 12 && (!memcmp(h, "RIFF", 4) || !memcmp(h, "RF64", 4) || !memcmp(h, "BW64", 4)) &&
        !memcmp(h + 8, "WAVE", 4))
        return 95;
    if (n >= 12 && !memcmp(h, "FORM", 4) && (!memcmp(h + 8, "AIFF", 4) || !memcmp(h + 8, "AIFC", 4)))
        return 95;
    if (n >= 4 && !memcmp(h, "fLaC", 4)) return 95;
    if (n >= 36 && !memcmp(h, "OggS", 4)) {
        /* the first page holds the codec's identification header */
        for (size_t i = 26; i + 8 <= n && i < 128; i++)
            if (!memcmp(h + i, "\x01vorbis", 7) || !memcmp(h + i, "OpusHead", 8) ||
                !memcmp(h + i, "\x7f" "FLAC", 5))
                return 95;
        return 0;
    }
    if (n >= 10 && !memcmp(h, "ID3", 3) && h[3] < 5) return 80; /* an ID3v2 tag: MP3 */
    if (n >= 4 && h[0] == 0xFF && (h[1] & 0xE0) == 0xE0) {
        int version = (h[1] >> 3) & 3, layer = (h[1] >> 1) & 3, rate = (h[2] >> 2) & 3,
            bitrate = h[2] >> 4;
        /* MPEG audio layer III frame header with sane fields */
        if (version != 1 && layer == 1 && rate != 3 && bitrate != 15 && bitrate != 0) return 70;
    }
    return 0;
}

static const char *const extensions[] = {"wav", "flac", "ogg", "oga", "opus", "mp3", "aiff", "aif",
                                         NULL};

/* ---- opening, with every check from the header --------------------------------------------- */

typedef struct opened {
    SNDFILE *sf;
    SF_INFO info;
} opened;

static pol_status sf_fail(pol_run *run, const char *path)
{
    FILE *f = fopen(path, "rb");
    unsigned char head[64];
    size_t n = f ? fread(head, 1, sizeof head, f) : 0;
    if (f) fclose(f);
    const char *why = sf_strerror(NULL);
    if (n == 0) return pol__fail(run, POL_ERR_EMPTY, "empty file: no audio header");
    if (sniff(head, n, path))
        return pol__fail(run, POL_ERR_CORRUPT, "corrupt audio header (%s)", why);
    return pol__fail(run, POL_ERR_FORMAT,
                     "unsupported audio format (WAV, FLAC, Ogg Vorbis/Opus, MP3 and AIFF are read): %s",
                     why);
}

/* The data a PCM WAV's header promises, against what the file holds: a file cut mid-frame or
 * mid-data is refused rather than silently shortened. */
static pol_status check_wav_length(pol_run *run, const char *path, const SF_INFO *info)
{
    int major = info->format & SF_FORMAT_TYPEMASK;
    if (major != SF_FORMAT_WAV && major != SF_FORMAT_WAVEX) return POL_OK;
    FILE *f = fopen(path, "rb");
    if (!f) return pol__fail(run, POL_ERR_IO, "cannot open");
    unsigned char h[12];
    pol_status st = POL_OK;
    if (fread(h, 1, 12, f) == 12) {
        unsigned char ck[8];
        while (fread(ck, 1, 8, f) == 8) {
            uint32_t size = (uint32_t)ck[4] | (uint32_t)ck[5] << 8 | (uint32_t)ck[6] << 16 |
                            (uint32_t)ck[7] << 24;
            if (!memcmp(ck, "data", 4)) {
                long pos = ftell(f);
                struct stat sb;
                if (pos >= 0 && fstat(fileno(f), &sb) == 0 && size != 0xFFFFFFFFu) {
                    uint64_t have = (uint64_t)sb.st_size - (uint64_t)pos;
                    if (have < size)
                        st = pol__fail(run, POL_ERR_CORRUPT,
                                       "truncated: the header promises %u bytes of samples, the file "
                                       "holds %llu (it ends mid-%s)",
                                       size, (unsigned long long)have,
                                       (have % (uint64_t)(info->channels *
                                                          ((info->format & SF_FORMAT_SUBMASK) ==
                                                                   SF_FORMAT_PCM_24
                                                               ? 3
                                                               : 2))) ? "frame" : "data");
                }
                break;
            }
            if (fseek(f, (long)(size + (size & 1)), SEEK_CUR) != 0) break;
        }
    }
    fclose(f);
    return st;
}

static pol_status open_checked(pol_run *run, const char *path, opened *o)
{
    memset(o, 0, sizeof *o);
    o->sf = sf_open(path, SFM_READ, &o->info);
    if (!o->sf) return sf_fail(run, path);
    pol_status st = POL_OK;
    if (o->info.channels < 1 || o->info.channels > 64 || o->info.samplerate < 1000 ||
        o->info.samplerate > 768000)
        st = pol__fail(run, POL_ERR_CORRUPT, "implausible header: %d channels at %d Hz",
                       o->info.channels, o->info.samplerate);
    else if (o->info.frames <= 0)
        st = pol__fail(run, POL_ERR_EMPTY, "no samples (the file holds a header and no audio)");
    if (!st) {
        double secs = (double)o->info.frames / o->info.samplerate;
        uint64_t lim = pol__limit(run, "duration");
        if (lim && secs > (double)lim)
            st = pol__fail(run, POL_ERR_LIMIT,
                           "%.0f s of audio is over the duration limit of %llu s (--limit duration=...)",
                           secs, (unsigned long long)lim);
    }
    if (!st) st = check_wav_length(run, path, &o->info);
    if (st) {
        sf_close(o->sf);
        o->sf = NULL;
    }
    return st;
}

static pol_status load(pol_run *run, const char *path, pol_asset **out)
{
    opened o;
    pol_status st = open_checked(run, path, &o);
    if (st) return st;
    pol__audio *a = NULL;
    st = pol__audio_alloc(run, (uint64_t)o.info.frames, o.info.channels, o.info.samplerate, &a);
    if (!st) {
        sf_count_t got = sf_readf_float(o.sf, a->x, o.info.frames);
        if (got != o.info.frames)
            st = pol__fail(run, POL_ERR_CORRUPT, "truncated: %lld of %lld frames could be read",
                           (long long)got, (long long)o.info.frames);
    }
    if (!st) fmt_from_input(&o.info, &a->out);
    sf_close(o.sf);
    if (st) {
        pol__audio_free(a);
        return st;
    }
    *out = pol__asset_new(&pol__audio_domain, a, path);
    return *out ? POL_OK : pol__fail(run, POL_ERR_NOMEM, "out of memory");
}

/* ---- writing: channel mapping, resampling, encoding ---------------------------------------- */

typedef struct awriter {
    FILE *raw; /* a scratch copy: the cores as native floats */
    SNDFILE *sf;
    int fd;
    int in_ch, out_ch, in_rate, out_rate;
    soxr_t rs;
    float *map, *rsbuf;
    size_t map_cap, rs_cap;
    int opened;
} awriter;

static pol_status w_open(pol_run *run, awriter *w, const pol__audio_fmt *f, int ch, int rate)
{
    w->in_ch = ch;
    w->in_rate = rate;
    w->out_ch = f->channels > 0 ? f->channels : ch;
    w->out_rate = f->rate > 0 ? f->rate : rate;
    SF_INFO info = {.samplerate = w->out_rate, .channels = w->out_ch, .format = f->sf_format};
    if (!sf_format_check(&info))
        return pol__fail(run, POL_ERR_UNSUPPORTED, "cannot write %s with %d channels at %d Hz",
                         f->ext, w->out_ch, w->out_rate);
    w->sf = sf_open_fd(w->fd, SFM_WRITE, &info, 0);
    if (!w->sf) return pol__fail(run, POL_ERR_IO, "cannot start writing: %s", sf_strerror(NULL));
    sf_command(w->sf, SFC_SET_CLIPPING, NULL, SF_TRUE);
    int major = f->sf_format & SF_FORMAT_TYPEMASK;
    if (major == SF_FORMAT_OGG || major == SF_FORMAT_MPEG) {
        double level = 1 - f->quality;
        sf_command(w->sf, SFC_SET_COMPRESSION_LEVEL, &level, sizeof level);
    }
    if (w->out_rate != w->in_rate) {
        soxr_error_t e;
        soxr_io_spec_t io = soxr_io_spec(SOXR_FLOAT32_I, SOXR_FLOAT32_I);
        soxr_quality_spec_t q = soxr_quality_spec(SOXR_HQ, 0);
        w->rs = soxr_create(w->in_rate, w->out_rate, (unsigned)w->out_ch, &e, &io, &q, NULL);
        if (!w->rs) return pol__fail(run, POL_ERR_INTERNAL, "resampler: %s", e);
    }
    w->opened = 1;
    return POL_OK;
}

static int grow(float **b, size_t *cap, size_t n)
{
    if (n <= *cap) return 1;
    float *p = realloc(*b, n * sizeof *p);
    if (!p) return 0;
    *b = p;
    *cap = n;
    return 1;
}

static pol_status w_put(pol_run *run, awriter *w, const float *x, size_t n)
{
    const float *src = x;
    if (w->out_ch != w->in_ch) {
        if (!grow(&w->map, &w->map_cap, n * (size_t)w->out_ch))
            return pol__fail(run, POL_ERR_NOMEM, "out of memory");
        for (size_t i = 0; i < n; i++) {
            const float *f = x + i * (size_t)w->in_ch;
            float *o = w->map + i * (size_t)w->out_ch;
            if (w->out_ch == 1) { /* down-mix: the mean */
                float s = 0;
                for (int c = 0; c < w->in_ch; c++) s += f[c];
                o[0] = s / (float)w->in_ch;
            } else {
                for (int c = 0; c < w->out_ch; c++) o[c] = w->in_ch == 1 ? f[0] : c < w->in_ch ? f[c] : 0;
            }
        }
        src = w->map;
    }
    if (w->rs) {
        size_t olen = (size_t)((double)n * w->out_rate / w->in_rate) + 64;
        if (!grow(&w->rsbuf, &w->rs_cap, olen * (size_t)w->out_ch))
            return pol__fail(run, POL_ERR_NOMEM, "out of memory");
        size_t idone = 0, odone = 0;
        soxr_error_t e = soxr_process(w->rs, src, n, &idone, w->rsbuf, olen, &odone);
        if (e) return pol__fail(run, POL_ERR_INTERNAL, "resampler: %s", e);
        src = w->rsbuf;
        n = odone;
    }
    if (n && sf_writef_float(w->sf, src, (sf_count_t)n) != (sf_count_t)n)
        return pol__fail(run, POL_ERR_IO, "write failed: %s", sf_strerror(w->sf));
    return POL_OK;
}

static pol_status w_finish(pol_run *run, awriter *w)
{
    pol_status st = POL_OK;
    if (w->rs) {
        size_t olen = 4096, odone;
        if (!grow(&w->rsbuf, &w->rs_cap, olen * (size_t)w->out_ch))
            st = pol__fail(run, POL_ERR_NOMEM, "out of memory");
        do {
            odone = 0;
            if (st) break;
            soxr_error_t e = soxr_process(w->rs, NULL, 0, NULL, w->rsbuf, olen, &odone);
            if (e) st = pol__fail(run, POL_ERR_INTERNAL, "resampler: %s", e);
            else if (odone && sf_writef_float(w->sf, w->rsbuf, (sf_count_t)odone) != (sf_count_t)odone)
                st = pol__fail(run, POL_ERR_IO, "write failed");
        } while (!st && odone);
    }
    if (w->sf && sf_close(w->sf) != 0 && !st) st = pol__fail(run, POL_ERR_IO, "finishing the file failed");
    w->sf = NULL;
    if (w->rs) soxr_delete(w->rs);
    w->rs = NULL;
    free(w->map);
    free(w->rsbuf);
    w->map = w->rsbuf = NULL;
    return st;
}

static pol_status save(pol_run *run, pol_asset *asset, const char *path)
{
    pol__audio *a = pol__audio_of(asset);
    pol__outfile of;
    pol_status st = pol__out_open(run, path, &of);
    if (st) return st;
    fflush(of.fp);
    awriter w = {.fd = of.fd};
    st = w_open(run, &w, &a->out, a->channels, a->rate);
    for (uint64_t i = 0; !st && i < a->frames; i += 65536) {
        size_t n = a->frames - i < 65536 ? (size_t)(a->frames - i) : 65536;
        st = w_put(run, &w, a->x + (size_t)i * (size_t)a->channels, n);
    }
    pol_status fs = w_finish(run, &w);
    if (!st) st = fs;
    if (st) {
        pol__out_abort(&of);
        return st;
    }
    return pol__out_commit(run, &of);
}

static const char *out_ext(pol_asset *asset)
{
    pol__audio *a = pol__audio_of(asset);
    return a->out.ext[0] ? a->out.ext : NULL;
}

/* ---- streaming ------------------------------------------------------------------------------ */

#define CHUNK_FRAMES 524288

typedef struct areader {
    opened o;
    float *buf; /* frames [buf_s0, buf_s0 + buf_len) */
    size_t cap; /* frames */
    uint64_t buf_s0;
    size_t buf_len;
    uint64_t next, read_to;
    pol__ablock blk;
    pol__chunk c;
    pol__audio_fmt fmt;
    FILE *raw; /* a scratch copy (native floats) instead of the file */
    pol__akw kw; /* the pass's shared K-weighting */
} areader;

static pol_status rd_open(pol_run *run, const char *path, void **out)
{
    areader *r = calloc(1, sizeof *r);
    if (!r) return pol__fail(run, POL_ERR_NOMEM, "out of memory");
    pol_status st = open_checked(run, path, &r->o);
    if (st) {
        free(r);
        return st;
    }
    fmt_from_input(&r->o.info, &r->fmt);
    *out = r;
    return POL_OK;
}

static pol_status rd_read(pol_run *run, void *p, size_t halo, pol__chunk **out)
{
    areader *r = p;
    *out = NULL;
    uint64_t total = (uint64_t)r->o.info.frames;
    if (r->next >= total) return POL_OK;
    size_t nc = (size_t)r->o.info.channels;
    size_t core = total - r->next < CHUNK_FRAMES ? (size_t)(total - r->next) : CHUNK_FRAMES;
    uint64_t s0 = r->next > halo ? r->next - halo : 0;
    uint64_t s1 = r->next + core + halo;
    if (s1 > total) s1 = total;
    /* drop what is before s0, keep the rest, read up to s1 */
    if (r->buf_len && s0 > r->buf_s0) {
        size_t drop = (size_t)(s0 - r->buf_s0);
        if (drop > r->buf_len) drop = r->buf_len;
        memmove(r->buf, r->buf + drop * nc, (r->buf_len - drop) * nc * sizeof *r->buf);
        r->buf_len -= drop;
        r->buf_s0 += drop;
    }
    if (!r->buf_len) r->buf_s0 = r->read_to;
    size_t need = (size_t)(s1 - r->buf_s0);
    if (need > r->cap) {
        pol_status st = pol__mem_reserve(run, (need - r->cap) * nc * sizeof(float), "an audio block");
        if (st) return st;
        float *b = realloc(r->buf, need * nc * sizeof *b);
        if (!b) return pol__fail(run, POL_ERR_NOMEM, "out of memory");
        r->buf = b;
        r->cap = need;
    }
    if (r->read_to < s1) {
        size_t want = (size_t)(s1 - r->read_to);
        sf_count_t got = r->raw ? (sf_count_t)fread(r->buf + r->buf_len * nc, nc * sizeof(float), want, r->raw)
                                : sf_readf_float(r->o.sf, r->buf + r->buf_len * nc, (sf_count_t)want);
        if (got != (sf_count_t)want)
            return pol__fail(run, POL_ERR_CORRUPT, "truncated: frames end at %llu of %llu",
                             (unsigned long long)(r->read_to + (uint64_t)(got > 0 ? got : 0)),
                             (unsigned long long)total);
        r->read_to = s1;
        r->buf_len += want;
    }
    size_t off = (size_t)(s0 - r->buf_s0);
    r->blk = (pol__ablock){.x = r->buf + off * nc, .channels = (int)nc,
                           .rate = r->o.info.samplerate, .total = total, .s0 = s0,
                           .len = (size_t)(s1 - s0), .valid_end = s1, .halo = halo, .out = &r->fmt,
                           .kw = &r->kw};
    r->c = (pol__chunk){.data = &r->blk, .start = r->next, .n = core,
                        .pre = (size_t)(r->next - s0), .post = (size_t)(s1 - r->next - core),
                        .last = r->next + core >= total};
    r->next += core;
    *out = &r->c;
    return POL_OK;
}

static void rd_close(void *p)
{
    areader *r = p;
    if (!r) return;
    if (r->o.sf) sf_close(r->o.sf);
    pol__akw_fini(&r->kw);
    free(r->buf);
    free(r);
}

static pol_status wr_begin(pol_run *run, void *reader, FILE *f, void **out)
{
    (void)reader;
    awriter *w = calloc(1, sizeof *w);
    if (!w) return pol__fail(run, POL_ERR_NOMEM, "out of memory");
    fflush(f);
    w->fd = fileno(f);
    *out = w;
    return POL_OK;
}

static pol_status wr_write(pol_run *run, void *p, const pol__chunk *c)
{
    awriter *w = p;
    const pol__ablock *b = pol__ablock_of(c);
    /* what a cutting op kept of the core, or the core */
    const float *x = b->emit_set ? b->emit : pol__chunk_core(c);
    size_t n = b->emit_set ? b->emit_n : c->n;
    if (w->raw) {
        if (n && fwrite(x, (size_t)b->channels * sizeof(float), n, w->raw) != n)
            return pol__fail(run, POL_ERR_IO, "writing the scratch copy failed (disk full?)");
        return POL_OK;
    }
    if (!w->opened) {
        pol_status st = w_open(run, w, b->out, b->channels, b->rate);
        if (st) return st;
    }
    return n ? w_put(run, w, x, n) : POL_OK;
}

static pol_status wr_end(pol_run *run, void *p)
{
    awriter *w = p;
    pol_status st = w->opened ? w_finish(run, w) : POL_OK;
    free(w);
    return st;
}

static void wr_abort(void *p)
{
    awriter *w = p;
    if (!w) return;
    if (w->sf) sf_close(w->sf);
    if (w->rs) soxr_delete(w->rs);
    free(w->map);
    free(w->rsbuf);
    free(w);
}

/* The scratch copy between passes: the cores as native floats, exact and quick to write. */
static pol_status scratch_begin(pol_run *run, FILE *f, void **out)
{
    awriter *w = calloc(1, sizeof *w);
    if (!w) return pol__fail(run, POL_ERR_NOMEM, "out of memory");
    w->raw = f;
    *out = w;
    return POL_OK;
}

static pol_status scratch_open(pol_run *run, FILE *f, void *like, void **out)
{
    const areader *l = like;
    areader *r = calloc(1, sizeof *r);
    if (!r) return pol__fail(run, POL_ERR_NOMEM, "out of memory");
    r->o.info = l->o.info;
    r->fmt = l->fmt; /* what the ops before set about the delivery */
    r->raw = f;
    *out = r;
    return POL_OK;
}

/* A streamed output is named by the format export will write (the input's when not given). */
static const char *stream_out_ext(pol_run *run, const char *in, const pol_args *deliver)
{
    (void)run;
    (void)in;
    return pol__audio_export_ext(deliver);
}

static double rd_rate(void *p) { return ((const areader *)p)->o.info.samplerate; }

static const pol__stream_io stream_io = {
    .chunk_units = CHUNK_FRAMES,
    .open = rd_open,
    .read = rd_read,
    .close = rd_close,
    .write_begin = wr_begin,
    .write = wr_write,
    .write_end = wr_end,
    .write_abort = wr_abort,
    .scratch_begin = scratch_begin,
    .scratch_open = scratch_open,
    .out_ext = stream_out_ext,
    .units_per_second = rd_rate,
};

/* ---- inspect -------------------------------------------------------------------------------- */

static pol_status inspect(pol_run *run, pol_asset *asset)
{
    pol__audio *a = pol__audio_of(asset);
    pol__afindings f;
    pol_status st = pol__aan_whole(run, a, 1, &f);
    if (st) return st;
    pol__measure_int(run, "rate", a->rate);
    pol__measure_int(run, "channels", a->channels);
    pol__measure_int(run, "frames", (long long)a->frames);
    pol__measure_str(run, "format", a->out.ext);
    pol__aan_report(run, &f);
    return POL_OK;
}

/* inspect read as a stream: the same analysis fed block by block, so memory does not grow with
 * duration (the analysis keeps a byte per 20 ms for the pause statistics). The figures do not
 * depend on the blocks: tests/audio/test_dsp.c feeds the analysis in several block sizes and in
 * one block of the whole signal, which is what inspecting the loaded item does. */
static pol_status inspect_path(pol_run *run, const char *path)
{
    opened o;
    pol_status st = open_checked(run, path, &o);
    if (st) return st;
    size_t nc = (size_t)o.info.channels, block = CHUNK_FRAMES / 8;
    pol__aanalysis *an = NULL;
    float *buf = NULL;
    st = pol__mem_reserve(run, block * nc * sizeof *buf, "an audio block");
    if (!st && !(buf = malloc(block * nc * sizeof *buf)))
        st = pol__fail(run, POL_ERR_NOMEM, "out of memory");
    if (!st && !(an = pol__aan_new(o.info.channels, o.info.samplerate, POL_AAN_LOUDNESS)))
        st = pol__fail(run, POL_ERR_NOMEM, "out of memory");
    uint64_t done = 0, total = (uint64_t)o.info.frames;
    while (!st && done < total) {
        size_t want = total - done < block ? (size_t)(total - done) : block;
        sf_count_t got = sf_readf_float(o.sf, buf, (sf_count_t)want);
        if (got != (sf_count_t)want) {
            st = pol__fail(run, POL_ERR_CORRUPT, "truncated: %llu of %llu frames could be read",
                           (unsigned long long)(done + (uint64_t)(got > 0 ? got : 0)),
                           (unsigned long long)total);
            break;
        }
        pol__aan_add(an, buf, want);
        done += want;
    }
    if (!st) {
        pol__afindings f;
        pol__aan_finish(an, &f);
        pol__audio_fmt fmt;
        fmt_from_input(&o.info, &fmt);
        pol__measure_int(run, "rate", o.info.samplerate);
        pol__measure_int(run, "channels", o.info.channels);
        pol__measure_int(run, "frames", (long long)total);
        pol__measure_str(run, "format", fmt.ext);
        pol__aan_report(run, &f);
    }
    pol__aan_free(an);
    free(buf);
    sf_close(o.sf);
    return st;
}

static const char *const auto_steps[] = {"highpass", "dehum", "denoise", "level", "loudness", NULL};

const pol__domain pol__audio_domain = {
    .name = "audio",
    .summary = "spoken audio (WAV, FLAC, Ogg, MP3): clean hum, noise and rumble, level, loudness",
    .ops = pol__audio_ops,
    .extensions = extensions,
    .sniff = sniff,
    .load = load,
    .save = save,
    .inspect = inspect,
    .inspect_path = inspect_path,
    .data_free = pol__audio_free,
    .data_clone = audio_clone,
    .auto_steps = auto_steps,
    .out_ext = out_ext,
    .stream = &stream_io,
};
