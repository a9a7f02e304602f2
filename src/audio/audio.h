/* polish — the audio domain: float samples of any rate and channel count, read and written with
 * libsndfile, streamed in blocks. Every op is a causal processor with a fixed latency that the
 * domain compensates, so ops that do not cut time keep the exact length and alignment. */
#ifndef POLISH_AUDIO_H
#define POLISH_AUDIO_H

#include <stddef.h>
#include <stdint.h>
#include "core/internal.h"
#include "core/stream.h"

/* How the item will be written: container/codec, sample format, rate, channels. */
typedef struct pol__audio_fmt {
    int sf_format; /* libsndfile major|subtype */
    int rate;      /* 0 = as the signal */
    int channels;  /* 0 = as the signal */
    double quality; /* lossy codecs: 0..1 (libsndfile's compression level is 1 - quality) */
    char ext[8];   /* extension the output is named with */
} pol__audio_fmt;

/* The asset: interleaved float samples. */
typedef struct pol__audio {
    float *x;
    uint64_t frames;
    int channels;
    int rate;
    pol__audio_fmt out; /* starts as the input's format */
} pol__audio;

/* K-weighted energies shared by the ops that measure in one streamed pass (level, loudness: the
 * same frames weighed the same way): the reader's, whose BS.1770 filters run once over the pass's
 * cores in order however many ops ask (pol__chunk_kw). */
typedef struct pol__akw {
    struct pol__loudmeter *m; /* its filters (made on the first request) */
    double *e;                /* the energies of the core [start, start + n) */
    size_t cap, n;
    uint64_t start, next;     /* next: the frame the filters have reached */
    int have;
} pol__akw;
void pol__akw_fini(pol__akw *k);

/* A streamed block (pol__chunk.data): frames [s0, s0 + len) of the stream, interleaved; the core
 * is [chunk.start, chunk.start + chunk.n). `valid_end`: input to the next op is exact below it
 * (each op with latency L leaves its last L frames of a non-final block as they were; the runner's
 * halos make sure the core stays exact). */
typedef struct pol__ablock {
    float *x;
    int channels, rate;
    uint64_t total; /* frames in the stream */
    uint64_t s0;
    size_t len;
    uint64_t valid_end;
    size_t halo;
    pol__audio_fmt *out; /* where the export op tells the writer what to write */
    /* A cutting op (pol_op_stream.rewrites_output: trim, shorten-pauses) sets these: the writer
     * writes the emit_n frames at `emit` instead of the core. */
    int emit_set;
    const float *emit;
    size_t emit_n;
    /* The pass's shared K-weighting (NULL: none, as for an item loaded whole: each op filters). */
    pol__akw *kw;
} pol__ablock;

extern const pol__domain pol__audio_domain;
extern const pol_op_desc *const pol__audio_ops[];
extern const pol_op_desc pol__audio_op_highpass;
/* highpass's power response |H(f)|^2 at `hz`, from its state after decide (its cutoff) and the
 * stream's rate: what an op measuring a spectrum ahead of it multiplies by (measure_through). */
typedef struct pol__hp_response {
    const void *state;
    int rate;
} pol__hp_response;
double pol__highpass_power(const void *response, double hz);

static inline pol__audio *pol__audio_of(pol_asset *a) { return (pol__audio *)a->data; }
void pol__audio_free(void *d);
/* A new asset of `frames` zeroed frames (memory reserved against --limit memory). */
pol_status pol__audio_alloc(pol_run *run, uint64_t frames, int channels, int rate,
                            pol__audio **out);
/* The extension export's --format names (NULL when not given). */
const char *pol__audio_export_ext(const pol_args *args);
/* Format helpers (io.c). */
int pol__audio_format_for_ext(const char *ext, int *sf_format);
const char *pol__audio_ext_for_format(int sf_format);

/* ---- processors: the one code path for whole items and streams ----------------------------- */

/* Before/after pictures of an op (figure.c): waveform and spectrogram of what its processor
 * takes in and gives out, in fixed memory; attached to the step's report as a PNG. */
typedef struct pol__afig pol__afig;
pol__afig *pol__afig_new(uint64_t total, int channels, int rate);
void pol__afig_free(pol__afig *f);
void pol__afig_reset(pol__afig *f);
void pol__afig_add(pol__afig *f, int which, uint64_t frame_index, const float *frame);
pol_status pol__afig_attach(pol_run *run, pol__afig *f, const char *title);

/* A causal processor: consumes n input frames, gives n output frames delayed by `latency`. */
typedef struct pol__aproc {
    size_t latency;
    int channels;
    void *st;
    void (*process)(void *st, const float *in, float *out, size_t n);
    void (*reset)(void *st);
    pol__afig *fig; /* optional: before/after pictures (owned by the op) */
    /* the adapter's own state */
    uint64_t fed, produced;
    float *hist; /* the last outputs (a ring of hist_cap frames), for the next block's context */
    size_t hist_cap;
    float *tmp;
    int begun, flushed;
} pol__aproc;

/* Applies the processor to a streamed block (see pol__ablock). */
pol_status pol__aproc_block(pol_run *run, pol__aproc *p, pol__ablock *b, const pol__chunk *c);
/* Applies it to a whole signal in place. */
pol_status pol__aproc_whole(pol_run *run, pol__aproc *p, float *x, uint64_t frames);
void pol__aproc_fini(pol__aproc *p);

/* Runs an op's stream form over a whole asset (the op's .run): begin, a measuring pass when it
 * asks for one, decide, apply, end. */
pol_status pol__audio_run_stream(pol_run *run, pol_asset *asset, const pol_args *args,
                                 const pol_op_stream *s);
/* The block of a chunk, and the chunk of a whole asset's frames [from, from+n). */
static inline pol__ablock *pol__ablock_of(const pol__chunk *c) { return (pol__ablock *)c->data; }
/* The core's samples of a chunk (c->n frames, interleaved). */
static inline const float *pol__chunk_core(const pol__chunk *c)
{
    const pol__ablock *b = pol__ablock_of(c);
    return b->x + (size_t)(c->start - b->s0) * (size_t)b->channels;
}

/* ---- DSP (dsp.c) ---------------------------------------------------------------------------- */

typedef struct pol__biquad {
    double b0, b1, b2, a1, a2;
} pol__biquad;

/* The two stages of BS.1770's K-weighting at rate fs. */
void pol__kweight(double fs, pol__biquad *shelf, pol__biquad *hp);

/* An oversampling (4x) true-peak detector. */
#define POL_TP_PHASES 4
#define POL_TP_TAPS 12
typedef struct pol__truepeak {
    int channels;
    int pos;     /* where the next frame goes in each channel's ring */
    float *hist; /* channels x 2 POL_TP_TAPS: each frame written twice (pos and pos + TAPS) so
                  * the last TAPS are always contiguous at pos + 1 */
} pol__truepeak;
int pol__tp_init(pol__truepeak *t, int channels);
void pol__tp_fini(pol__truepeak *t);
void pol__tp_reset(pol__truepeak *t);
/* Pushes one frame; returns the largest |value| of the 4 interpolated points between the previous
 * frame and this one (and the frame itself) over all channels. `floor`: when the largest |sample|
 * in a channel's filter window times pol__tp_bound() is below it (so no interpolated point can
 * reach it), that channel's interpolation is skipped and its sample peak counts. */
float pol__tp_push(pol__truepeak *t, const float *frame, float floor);
/* n frames at once: peak[i] is frame i's value as pol__tp_push gives it with every point
 * interpolated, except where a run of frames can be proven to stay under `floor`: when the largest
 * |sample| in their filter windows times pol__tp_bound() is below it, no interpolated point can
 * reach it, and those frames get their sample peak. */
void pol__tp_block(pol__truepeak *t, const float *x, size_t n, float floor, float *peak);
/* No interpolated point exceeds this times the largest |sample| of its filter window (the largest
 * sum of |coefficient| over the phases, rounded up). */
float pol__tp_bound(void);

/* BS.1770-4 / EBU R128 meter: integrated loudness (gated), loudness range, with memory that does
 * not grow with duration (block loudness histograms). */
typedef struct pol__loudmeter pol__loudmeter;
pol__loudmeter *pol__loud_new(int channels, double rate);
void pol__loud_free(pol__loudmeter *m);
void pol__loud_reset(pol__loudmeter *m);
/* Adds frames; `gain` (linear) applied before measuring. */
void pol__loud_add(pol__loudmeter *m, const float *x, size_t frames, const float *gain_per_frame);
/* One frame at a time: the K-weighted, channel-weighted energy of a frame (advances this meter's
 * filters), and adding a frame's energy to the gating blocks. */
double pol__loud_kw(pol__loudmeter *m, const float *frame);
/* The same for n frames: e_out[i] is frame i's energy (channel pairs filtered in vectors). */
void pol__loud_kw_block(pol__loudmeter *m, const float *x, size_t n, double *e_out);
void pol__loud_push(pol__loudmeter *m, double e);
/* The K-weighted energies of the chunk's core, *e = e[0, c->n), from its block's shared filters
 * (pol__ablock.kw): made once per chunk whoever asks first, so ops measuring in the same pass
 * filter the frames once. *e = NULL when the block has none: the op filters with its own meter.
 * An op that takes them takes them for every chunk of its pass, in order: a chunk that skips
 * frames the filters have not seen fails. */
pol_status pol__chunk_kw(pol_run *run, const pol__chunk *c, const double **e);
/* n frames' energies, as n pol__loud_push calls would add them. */
void pol__loud_push_block(pol__loudmeter *m, const double *e, size_t n);
/* The summed energy of n frames at once, n not past the end of the current 100 ms sub-block
 * (pol__loud_sub_len frames from the reset), as n pol__loud_push calls would add it. */
void pol__loud_push_sum(pol__loudmeter *m, double e_sum, size_t n);
size_t pol__loud_sub_len(const pol__loudmeter *m);
double pol__loud_integrated(const pol__loudmeter *m); /* LUFS, -HUGE_VAL when all gated */
double pol__loud_range(const pol__loudmeter *m);      /* LU */

/* A lock for FFT plans (held while a plan is made). */
void pol__fft_lock(void);
void pol__fft_unlock(void);

/* Real FFTs of power-of-two length n (libavutil's av_tx, SIMD): forward takes n floats to n/2 + 1
 * bins, inverse n/2 + 1 bins (overwritten) to n floats, unnormalised (inverse(forward(x)) = n x).
 * Buffers given to them must come from pol__fft_alloc (aligned for the SIMD code). */
typedef struct pol__cpx {
    float r, i;
} pol__cpx;
typedef struct pol__rfft pol__rfft;
pol__rfft *pol__rfft_new(size_t n, int inverse);
void pol__rfft_free(pol__rfft *f);
void pol__rfft_fwd(pol__rfft *f, float *in, pol__cpx *out);
void pol__rfft_inv(pol__rfft *f, pol__cpx *in, float *out);
void *pol__fft_alloc(size_t bytes); /* zeroed */
void pol__fft_free(void *p);

/* ---- analysis (analyse.c): what inspect and the auto steps measure ------------------------- */

typedef struct pol__aanalysis pol__aanalysis;
/* what: POL_AAN_LOUDNESS adds the loudness meter; POL_AAN_SPECTRUM measures only the long-window
 * spectrum (hum, rumble: what highpass and dehum decide on), skipping peaks, levels and clipping. */
#define POL_AAN_LOUDNESS 1
#define POL_AAN_SPECTRUM 2
pol__aanalysis *pol__aan_new(int channels, int rate, int what);
void pol__aan_free(pol__aanalysis *a);
void pol__aan_add(pol__aanalysis *a, const float *x, size_t frames);
/* Multiplies the long-window spectrum measured so far by power(ctx, hz), bin by bin: what it
 * would have measured of the signal through a linear filter of that power response (exact but
 * for the filter's response varying within a bin, and its start-up). */
void pol__aan_weigh(pol__aanalysis *a, double (*power)(const void *ctx, double hz), const void *ctx);

typedef struct pol__afindings {
    double seconds;
    double loudness, lra, true_peak_db, sample_peak_db;
    double noise_floor_db, speech_level_db, snr_db;
    double hum_hz;  /* 0 = none */
    int hum_harmonics[32]; /* 1 where harmonic k+1 stands out */
    int n_hum;      /* harmonics found */
    double hum_db;  /* the strongest harmonic above its neighbourhood */
    double rumble_db; /* power density 15-60 Hz against 150-600 Hz, dB */
    double rumble_flatness; /* spectral flatness of 15-60 Hz (lines: low; rumble: high) */
    double dc[8];
    double dc_max;
    uint64_t clipped; /* samples in runs of >= 3 at full scale */
    double clipped_fraction;
    int pauses;
    double pause_total, pause_longest, pause_mean;
    double speech_fraction;
} pol__afindings;
void pol__aan_finish(pol__aanalysis *a, pol__afindings *f);
/* Records the findings with pol__measure. */
void pol__aan_report(pol_run *run, const pol__afindings *f);
/* The findings of a whole in-memory audio item (loudness too when want_loudness). */
pol_status pol__aan_whole(pol_run *run, const pol__audio *a, int want_loudness,
                          pol__afindings *f);

/* Voice activity of each 20 ms frame (1 = above the threshold the pause statistics use; all 0
 * when nothing stands 6 dB above the floor), after pol__aan_finish: fills act[0..cap) and returns
 * the number of frames (call with act = NULL to size it). */
size_t pol__aan_activity(const pol__aanalysis *a, const pol__afindings *f, unsigned char *act,
                         size_t cap);

/* Speech-frame levels of 20 ms frames: which frames are active (VAD), for level and pauses. */
double pol__db(double power);

#endif
