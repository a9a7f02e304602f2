/* polish — streaming: items read, processed and written chunk by chunk, so memory does not grow
 * with the length of the input (audio blocks, video frames, image strips, batches of rows).
 * (internal) */
#ifndef POLISH_CORE_STREAM_H
#define POLISH_CORE_STREAM_H

#include "core/internal.h"

struct pol_pipeline;

/* A chunk of a streamed item. `data` is the domain's own payload; it covers `pre` units of
 * context before the core, the `n` units of the core, then `post` units after it. Ops process
 * the whole chunk in place; only the core is written, so an op that looks `halo` units around a
 * unit sees real neighbours there. */
typedef struct pol__chunk {
    void *data;
    uint64_t start; /* index in the stream of the core's first unit */
    size_t n;       /* units in the core */
    size_t pre, post;
    int last; /* the stream's final chunk */
    /* Set by the runner before each op's apply: the context the ops after it need on each side of
     * the core (pol_op_stream.context). An op that makes its output units itself, from units it
     * keeps across chunks (a rotation from a band of rows), makes that many around its core. */
    size_t after;
    /* Set by an op that splits its item into several outputs (pol_op_stream.splits), reset by
     * the runner before each chunk's steps: a new output, <stem>.<name>.<ext> beside the item's
     * own, begins at core unit cut_at[i] (increasing) and takes the units up to the next cut.
     * Units before the first cut go to the item's own output, which is made only when it gets
     * one. The arrays belong to the op until its next apply. */
    size_t n_cuts;
    const size_t *cut_at;
    const char *const *cut_name;
} pol__chunk;

/* A domain's chunked reading and writing (pol__domain.stream). */
typedef struct pol__stream_io {
    size_t chunk_units; /* core units per chunk */
    /* Opens `path`, checking limits from its header. */
    pol_status (*open)(pol_run *run, const char *path, void **reader);
    /* The next chunk with `halo` units of context on each side (fewer at the ends), owned by the
     * reader until the next call; *out = NULL after the last one. */
    pol_status (*read)(pol_run *run, void *reader, size_t halo, pol__chunk **out);
    void (*close)(void *reader);
    /* Writes the cores of the chunks, in order, to `f` in the input's format: units [pre, pre + n)
     * of each chunk's data. An item split into several outputs (pol__chunk.cut_at) gives each
     * writer the same chunks narrowed to that output's units (pre and post widened): a writer
     * has seen the whole stream only when its first chunk starts at 0 and its last is `last`. */
    pol_status (*write_begin)(pol_run *run, void *reader, FILE *f, void **writer);
    pol_status (*write)(pol_run *run, void *writer, const pol__chunk *c);
    pol_status (*write_end)(pol_run *run, void *writer); /* also frees the writer */
    void (*write_abort)(void *writer);
    /* Optional: a lossless scratch copy. During a measuring pass the runner writes the cores the
     * steps before the measuring one gave (scratch_begin, then write/write_end/write_abort), and
     * the later passes read it back (scratch_open, from f's start) instead of applying those steps
     * again. `reader` is the reader of the pass that wrote it: what its chunks carry about the
     * item (a delivery format an op set) carries over. */
    pol_status (*scratch_begin)(pol_run *run, FILE *f, void **writer);
    pol_status (*scratch_open)(pol_run *run, FILE *f, void *reader, void **out);
    /* Optional, instead of write_begin: for a writer whose library opens files by name (netcdf-c),
     * the temporary's path too; it writes there itself (`f` stays open on the same file). */
    pol_status (*write_begin_path)(pol_run *run, void *reader, const char *tmp_path, FILE *f,
                                   void **writer);
    /* Optional: may this item stream, read from `in` and written to `out`? 0 loads it whole
     * (a format the domain only reads or writes whole). NULL: every item streams. `out` NULL:
     * nothing is written (a pipeline ending in a document op). */
    int (*accept)(pol_run *run, const char *in, const char *out);
    /* Optional: the extension a streamed output is named with (NULL: the input's), from the
     * delivery op's arguments (`deliver`, NULL when there is no delivery op) — what the domain's
     * out_ext says of an item loaded whole, known before the item is read. */
    const char *(*out_ext)(pol_run *run, const char *in, const pol_args *deliver);
    /* Optional: the stream's units a second (audio: the sample rate), from an open reader, for
     * ops whose context is a time (pol_op_stream.halo_at). 0: not known. */
    double (*units_per_second)(void *reader);
} pol__stream_io;

/* An op's chunk-by-chunk form (pol_op_desc.stream). */
struct pol_op_stream {
    size_t halo; /* units of context the op needs on each side of a unit */
    /* Optional, for an op whose context is a time: the units of context it needs at this many
     * units a second (pol__stream_io.units_per_second), used instead of `halo` when the domain's
     * reader tells it (halo stays the most it can be, for when it does not). */
    size_t (*halo_at)(double units_per_second);
    /* Optional, for an op whose context depends on its arguments or that changes the number of
     * units (a resampler): the units of context it needs on each side of its input so that
     * `after` units of context on each side of its output are still right. NULL: halo + after. */
    size_t (*context)(const pol_args *args, size_t after);
    /* Optional: can the op, with these arguments, work chunk by chunk? 0: the item is loaded
     * whole (a size known only once the whole item is seen). NULL: always. */
    int (*can)(const pol_args *args);
    /* Set when the op measures the whole stream before changing anything (a loudness target, a
     * global white point): the runner makes a measuring pass, calls decide(), then applies. */
    int measure_first;
    /* Measuring passes the op asks for (0 or 1: one). Each pass calls measure() on every chunk,
     * then decide(): an op that needs what one pass found to measure the next (a limiter's effect
     * at the gain the first pass chose) counts its passes itself. */
    int measure_passes;
    /* Set when the op's first measuring pass is cheap and records nothing (begin and measure only
     * keep state): the runner may make that pass inside the pass before it, on a second state
     * from begin(), and keeps it when the op before declines (it then saw the same input),
     * saving a pass over the item; otherwise that state is dropped and the pass made as usual. */
    int measure_ahead;
    /* Optional, with measure_ahead: when the op before did not decline, its pass fed this op's
     * first measuring pass that op's input, not its output. Return 1 when this op has turned what
     * it measured into what it would have measured of that op's output (it knows what the op
     * does to it: audio's dehum measures a spectrum and highpass is a known linear filter), so
     * the pass is kept; 0 drops it and the pass is made as usual. `before` and `before_state`:
     * the op before, after its decide. */
    int (*measure_through)(pol_run *run, void *state, const pol_op_desc *before, void *before_state);
    /* Set when the op, as the last step (the delivery op may follow), can do without its
     * measuring pass: its applying pass marks what it cannot decide yet and the domain's writer
     * holds that back until a later chunk decides it (a privacy trim's cut at a track's end). The
     * runner then makes no measuring pass for it; the op knows it when apply() comes before any
     * measure(). Elsewhere in a pipeline it measures first as usual. */
    int decides_when_last;
    /* Set when the op's applying pass changes which units are written (a cut: units dropped or
     * joined), which the domain's writer learns from the chunk: the op streams only as the last
     * step (the domain's delivery op, which sets the format only, may follow), otherwise the item
     * is loaded whole. */
    int rewrites_output;
    /* Set when the op's applying pass splits the item into several outputs (pol__chunk.cut_at),
     * streamed in order, one output open at a time, committed together with the item. Like
     * rewrites_output, the op streams only as the last step. */
    int splits;
    pol_status (*begin)(pol_run *run, const pol_args *args, void **state);
    pol_status (*measure)(pol_run *run, void *state, const pol__chunk *c); /* the core only */
    pol_status (*decide)(pol_run *run, void *state);
    pol_status (*apply)(pol_run *run, void *state, pol__chunk *c);
    pol_status (*end)(pol_run *run, void *state); /* last explanations */
    void (*free)(void *state);
};

/* Can this item stream? Only when the domain reads and writes chunks and every step (and the
 * delivery op `dop`, when there is one) has a chunked form and there are no delivery targets.
 * A pipeline ending in a document op (POL_OP_DOCUMENT) streams too: pass dop = NULL. */
int pol__stream_possible(const pol__domain *d, const struct pol_pipeline *p,
                         const pol_op_desc *dop);

/* For a stream op that finds, while the item streams, that it needs the whole item after all (a
 * measured decision the chunked form cannot apply: a rotation): fails the pass with `why`, and the
 * runner, when nothing was written yet, runs the item again loaded whole (its report starts
 * again, with "streamed_fallback": why). Returns the failing status to pass on. */
pol_status pol__stream_want_whole(pol_run *run, const char *why);

/* Streams `in` through the pipeline's steps to `out` (written through pol__out_open/commit).
 * `out` NULL: nothing is written and no delivery op runs (a pipeline ending in a document op,
 * whose stream form hands its document over in end()); the applying pass still runs every step
 * on every chunk. */
pol_status pol__stream_run(pol_run *run, const pol__domain *d, const char *in,
                           const struct pol_pipeline *p, const char *out);

#endif
