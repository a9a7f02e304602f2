/* polish — the library's internal contract: runs, assets, domains, notes, output files, threads. */
#ifndef POLISH_CORE_INTERNAL_H
#define POLISH_CORE_INTERNAL_H

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include "polish/polish.h"
#include "core/json.h"

#if defined(__GNUC__)
#define POL_PRINTF(a, b) __attribute__((format(printf, a, b)))
#else
#define POL_PRINTF(a, b)
#endif

#define POL_ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* ---- domains -------------------------------------------------------------------------------- */

typedef struct pol__domain pol__domain;

/* A limit key: the core declares pixels, bytes, frames, rows, columns, field-bytes, duration;
 * a domain adds its own (`limits` in its pol__domain). */
enum { POL_LIMIT_BYTES = 1, POL_LIMIT_SECONDS = 2 };
typedef struct pol__limit_key {
    const char *key; /* lower-case, dash-separated */
    uint64_t def;    /* default; 0 = no limit */
    unsigned flags;  /* POL_LIMIT_BYTES: binary suffixes (10M = 10 MiB); POL_LIMIT_SECONDS */
    const char *unit;
    const char *help;
} pol__limit_key;

size_t pol__limit_count(void);
const pol__limit_key *pol__limit_desc(size_t k);
/* The run's limit for `key` (0 = no limit). */
uint64_t pol__limit(const pol_run *run, const char *key);

/*
 * A domain: its operations (one table), how to recognise, load, save, inspect and thumbnail its
 * items, and the steps of its automatic recipe. One static const instance per domain, listed in
 * src/core/domains.c.
 */
struct pol__domain {
    const char *name;
    const char *summary;
    const pol_op_desc *const *ops; /* NULL-terminated, in listing order */
    /* File extensions of this domain's formats (lower case, no dot), NULL-terminated. */
    const char *const *extensions;
    /* Confidence 0..100 that `head` (the first `n` bytes, n <= 4096) is this domain's content. */
    int (*sniff)(const unsigned char *head, size_t n, const char *path);
    /* Loads `path`; checks run->opt->limits from the header before decoding. */
    pol_status (*load)(pol_run *run, const char *path, pol_asset **out);
    /* Writes the asset to `path` (and any sidecar files) through pol__out_open/commit. */
    pol_status (*save)(pol_run *run, pol_asset *a, const char *path);
    /* Records what is wrong, in numbers, with pol__measure()/pol__decide(). Optional. */
    pol_status (*inspect)(pol_run *run, pol_asset *a);
    /* Optional: the same inspection of a file read as a stream, never held whole; used instead
     * of load + inspect for an item of one file. */
    pol_status (*inspect_path)(pol_run *run, const char *path);
    /* Small JPEG of the asset for HTML reports; optional. *jpeg is malloc'ed. */
    pol_status (*thumbnail)(pol_run *run, pol_asset *a, int max_dim, unsigned char **jpeg,
                            size_t *len);
    /* Frees / deep-copies the domain data held by an asset. */
    void (*data_free)(void *data);
    void *(*data_clone)(const void *data);
    /* Op names (without domain) of the automatic recipe, NULL-terminated. */
    const char *const *auto_steps;
    /* Optional: the file extension (no dot) the asset will be written as when that differs from
     * its input's (e.g. after export --format webp), so outputs in a folder are named right.
     * NULL (or a NULL result) keeps the input's name. */
    const char *(*out_ext)(pol_asset *a);
    /* Optional: the limits this domain adds to the table, ending with {NULL}. */
    const pol__limit_key *limits;
    /* Optional: loads a group of files as one item (a render's passes, an ensemble's members);
     * `paths` are in the group's order. */
    pol_status (*load_group)(pol_run *run, const char *const *paths, size_t n, pol_asset **out);
    /* Optional: reading and writing chunk by chunk (src/core/stream.h). */
    const struct pol__stream_io *stream;
    /* Optional: the parts of a file that the plan asks to process as items of their own (every
     * sheet of a workbook with --sheet all): *names (malloc'ed, each malloc'ed) and *n; *n = 0 for
     * one item as usual. The runner then loads each part with run->part set. */
    pol_status (*parts)(pol_run *run, const char *path, char ***names, size_t *n);
    /* Optional: the stages in which an item of pipeline `p` runs across `shards` shards (polish
     * plan): up to `max` names and the parts of each (0: one per shard). Returns their number; 0
     * or 1 for an item run whole in one stage. A stage runs the item's pipeline with run->stage
     * set: the op that does a stage's work writes run->stage->out and sets run->stage_done (a
     * stage before the last), which ends the item there; the last stage delivers as usual. */
    size_t (*plan_stages)(const struct pol_pipeline *p, size_t shards, const char **names,
                          size_t *parts, size_t max);
    /* Optional: a stage before the last that the domain does itself, without the engine
     * recognising or loading the item (records' score shards read only their part's rows, written
     * by the model stage; a forecast grid's tiles read only their bands). Returns 1 when it did
     * the stage (*st its status; run->stage->out written), 0 when the item must be loaded. */
    int (*stage_unloaded)(pol_run *run, const struct pol_pipeline *p, pol_status *st);
    /* Items of this domain numbered as frames of one sequence (shot.0001.exr, shot.0002.exr, or
     * groups of pass files frame.0001.*) run in frame order, one after another, and their steps
     * may keep state from frame to frame (pol__seq_keep). 0: numbered items are items like any. */
    int sequences;
    /* Optional: 1 when the parts of stage `stage` (1-based) of a plan over `shards` shards must
     * exchange data while they run (a model fitted over a whole grid): the plan says so, and its
     * shards then run only as the ranks of one MPI job (src/core/comm.h, docs/SCALE.md). */
    int (*stage_talks)(const struct pol_pipeline *p, size_t stage, size_t shards);
    /* Optional: checks, when the plan is made, that the file at `path` can run through the stages
     * plan_stages gave (a forecast grid's tiles need a GRIB or NetCDF grid), so a file that would
     * be refused by every shard is refused by the plan instead. 0, or an error naming the file. */
    pol_status (*plan_input)(const struct pol_pipeline *p, const char *path, pol_err *err);
};
typedef struct pol__stream_io pol__stream_io;

/* Every domain: the built-in ones (src/core/domains.c), then those registered at run time. */
#define POL_MAX_DOMAINS 32
extern const pol__domain *pol__domains[POL_MAX_DOMAINS];
extern size_t pol__n_domains;

const pol__domain *pol__domain_find(const char *name);
/* Adds a domain (a test's synthetic one, a plug-in). Not thread-safe: call before any batch.
 * POL_ERR_ARG when the name is taken or the table is full. */
pol_status pol__domain_register(const pol__domain *d, pol_err *err);
/* Removes a domain registered at run time (tests). */
void pol__domain_unregister(const pol__domain *d);

/* ---- assets --------------------------------------------------------------------------------- */

/* A loaded item of a domain, reference-counted. `data` is the domain's own struct. */
struct pol_asset {
    int refs;
    const pol__domain *domain;
    void *data;
    char *source_path; /* owned */
};

/* Takes ownership of `data`. Returns NULL (and frees `data`) when out of memory. */
pol_asset *pol__asset_new(const pol__domain *d, void *data, const char *source_path);
pol_asset *pol__asset_ref(pol_asset *a);
void pol__asset_unref(pol_asset *a); /* accepts NULL */
/* Deep copy with one reference; NULL when out of memory. */
pol_asset *pol__asset_clone(const pol_asset *a);

/* ---- arguments ------------------------------------------------------------------------------ */

/*
 * The arguments of one step, resolved against the op's declaration: every declared parameter has
 * its default unless set. Accessors take the parameter's declared name; asking for an undeclared
 * name is a programming error (asserts).
 */
int pol__arg_set(const pol_args *a, const char *name); /* given explicitly (CLI or recipe)? */
int pol__arg_has(const pol_args *a, const char *name); /* has a value (given or default)? */
double pol__arg_num(const pol_args *a, const char *name);
long pol__arg_int(const pol_args *a, const char *name);
int pol__arg_bool(const pol_args *a, const char *name);
int pol__arg_choice(const pol_args *a, const char *name);    /* ENUM: index, -1 when unset */
const char *pol__arg_str(const pol_args *a, const char *name); /* NULL when no value */

/* "true"/"yes"/"on"/"1" and their opposites; returns 0 when `s` is neither. */
int pol__parse_bool(const char *s, int *out);

/* Ports: the paths given to an extra input (k-th of a MANY port) or output of the step. */
size_t pol__input_count(const pol_args *a, const char *name);
const char *pol__input_path(const pol_args *a, const char *name, size_t k);
const char *pol__output_path(const pol_args *a, const char *name);

/* ---- runs: one item going through a pipeline ------------------------------------------------ */

struct pol__batch_state;
struct pol__pool;

/* ---- sequences: numbered frames run in order (src/core/sequence.c) -------------------------- */

typedef struct pol__seq_slot {
    const void *key;
    void *state;
    void (*free_fn)(void *);
} pol__seq_slot;
typedef struct pol__seq_store {
    pol__seq_slot slot[8];
    int n;
} pol__seq_store;

/* The frame of a sequence an item is (pol__sequence). */
typedef struct pol__seq_frame {
    const char *name;          /* the sequence: its items' name with the number as '#'s */
    long long frame;           /* this frame's number */
    size_t index, count;       /* its place in the sequence (0-based) and the sequence's length */
    long long missing_before;  /* frames missing between the one before and this one (a gap) */
    pol__seq_store *store;     /* the state steps keep from frame to frame */
} pol__seq_frame;

/* The frame of a sequence the item is, or NULL when it is not one (its domain runs no sequences,
 * or no other item is numbered alike). */
const pol__seq_frame *pol__sequence(const pol_run *run);
/* The state a step left under `key` (use the step's args: one per step of the pipeline) when an
 * earlier frame of the sequence ran it, or NULL. Check what it says it is (the frame it came
 * from): a frame may have failed or been skipped in between. */
void *pol__seq_state(const pol_run *run, const void *key);
/* Keeps `state` for the next frame of the sequence under `key`, freeing the one kept before
 * (free_fn frees it when replaced, when a frame fails and when the sequence ends). Outside a
 * sequence it is freed at once; returns 0 then. */
int pol__seq_keep(pol_run *run, const void *key, void *state, void (*free_fn)(void *));

struct pol_run {
    pol_err *err;
    const pol_options *opt; /* options with the recipe's limits applied */
    const char *input;      /* the input path, for messages */
    int threads;            /* threads an op may use for this item (>= 1) */
    pol__jv *item;           /* the report node of this item */
    pol__jv *step;           /* the report node of the running step, or NULL */
    int declined;           /* set by pol__decline() during a step */
    /* The whole plan of this item: its steps then its delivery (export) step, so a loader can
     * decode at reduced scale when every output is smaller. */
    const pol_op_desc *const *plan_ops;
    const pol_args *const *plan_args;
    size_t plan_n;
    struct pol__pool *pool;         /* the batch's thread pool (NULL: loops run serially) */
    struct pol__batch_state *batch; /* shared inputs and per-batch outputs (NULL outside) */
    const char *outdir;            /* where output ports land ("." when none) */
    struct pol__emitted *emitted;   /* extra outputs handed over by pol__emit() */
    /* The batch's write gate (NULL outside a batch) and this item's outputs waiting to be committed
     * together (NULL: each output is committed at once). See output.c. */
    struct pol__gate *gate;
    struct pol__pending *pending;
    const char *part; /* the part of a file being loaded (pol__domain.parts), or NULL */
    int want_figures; /* a report file is written (--report): pol__figure() keeps pictures */
    int automatic;    /* the item runs its domain's automatic recipe (polish fix), not named steps */
    const pol_stage *stage; /* the stage of a staged item (pol__domain.plan_stages), or NULL */
    int stage_done;         /* set by the op that did a (non-final) stage's work: the item ends */
    /* Set by pol__stream_want_whole(): a streamed item found (before writing anything) that it must
     * be loaded whole after all; the runner starts the item again on the whole path. */
    int stream_whole;
    const pol__seq_frame *seq; /* the frame of a sequence this item is (pol__sequence), or NULL */
};

/* The file that part `part` of stage `stage` (1-based) of a staged item writes, in its stage
 * folder (malloc'ed; NULL when out of memory). A later stage reads the earlier ones' files. */
char *pol__stage_file(const pol_stage *s, size_t stage, size_t part);

/* One item in, several out: hands the runner another output of this item, saved by its domain
 * as <stem>.<name>.<ext> next to the item's own output. Takes a reference to `a`. When the op is
 * flagged POL_OP_SPLIT, what it emits replaces the item's own output. */
pol_status pol__emit(pol_run *run, pol_asset *a, const char *name);

/* Attaches a figure (copied) to the running step's report node: `mime` is "image/png",
 * "image/jpeg" or "image/svg+xml". The JSON report keeps {"title", "mime", "base64"} under the
 * step's "figures"; the HTML report shows it under the step. Only when a report file is written
 * (run->want_figures, --report): otherwise it does nothing, so an op asks pol__want_figures()
 * before it spends time drawing. */
int pol__want_figures(const pol_run *run);
pol_status pol__figure(pol_run *run, const char *title, const char *mime, const void *data,
                       size_t len);
/* Sets the item's result document (a JSON object; ownership taken), kept under the running step's
 * "result": what a POL_OP_DOCUMENT op produces. A later call replaces it. */
void pol__document(pol_run *run, pol__jv *doc);

/* Load hints: what the item's whole plan needs from a loader of a w x h source. Each op's hint
 * (or its POL_OP_SCALE_SAFE flag) is combined up to the first op that resizes; max_width x
 * max_height stays 0 x 0 when some op needs the full size. A loader obeys it (JPEG decodes at
 * reduced scale); no loader reads another op's arguments. */
void pol__plan_hint(const pol_run *run, int w, int h, pol_load_hint *out);
/* A reader option some op of the plan passes to the loader through its hint ("sheet"), or
 * NULL. The loader asks; it never reads the op's arguments. */
const char *pol__plan_load_option(const pol_run *run, const char *name);
/* The first step's own hint (for fusing a resize into decoding); 0 when it gives none. */
int pol__plan_first_hint(const pol_run *run, int w, int h, pol_load_hint *out);

/* Has the batch been cancelled (pol_cancel, SIGINT)? Long loops check it between chunks and
 * return pol__fail(run, POL_ERR_CANCELLED, ...). */
int pol__cancelled(const pol_run *run);

/* ---- ports: the op's extra inputs and outputs ----------------------------------------------- */

/* The k-th asset given to input port `name`, loaded by the port's domain. A POL_PORT_SHARED port
 * is loaded once per batch and shared read-only: do not modify it. Release with
 * pol__asset_unref(). */
pol_status pol__input_asset(pol_run *run, const pol_args *args, const char *name, size_t k,
                            pol_asset **out);

/* Adds this item's part to a POL_PORT_BATCH output: `fn` writes to `f` while the batch's file is
 * locked for this item (`first` is 1 for the first writer, which writes any header). Nothing
 * happens when the port was not given. The file is committed when the batch ends. */
typedef pol_status (*pol__batch_write_fn)(pol_run *run, FILE *f, int first, void *user);
pol_status pol__batch_output(pol_run *run, const pol_args *args, const char *name,
                             pol__batch_write_fn fn, void *user);

/* Appends a step's report node ({op, args}) to the item's steps and returns it. */
pol__jv *pol__step_node(pol_run *run, const pol_op_desc *op, const pol_args *a);

/* Sets run->err to "<input>: <message>" and returns `code`. */
pol_status pol__fail(pol_run *run, pol_status code, const char *fmt, ...) POL_PRINTF(3, 4);
/* Same, for code without a run (message used verbatim). */
pol_status pol__err_set(pol_err *err, pol_status code, const char *fmt, ...) POL_PRINTF(3, 4);

/* Explaining: what was measured, what was decided, how sure. Recorded into the current step (or
 * into the item's "inspect" section during inspection). Cheap; safe to call from the op's thread.
 */
void pol__measure(pol_run *run, const char *key, double value);
void pol__measure_int(pol_run *run, const char *key, long long value);
void pol__measure_str(pol_run *run, const char *key, const char *value);
void pol__measure_bool(pol_run *run, const char *key, int value);
/* A structured value (object/array) built with json.h; ownership passes to the report. */
void pol__measure_jv(pol_run *run, const char *key, pol__jv *value);
void pol__decide(pol_run *run, const char *fmt, ...) POL_PRINTF(2, 3);
void pol__confidence(pol_run *run, double c); /* 0..1 */
/* The step made no change, and why ("tilt 0.2 deg below 0.3 deg"). */
void pol__decline(pol_run *run, const char *fmt, ...) POL_PRINTF(2, 3);
/* A non-fatal problem worth the user's attention. */
void pol__warn(pol_run *run, const char *fmt, ...) POL_PRINTF(2, 3);

/* ---- threads -------------------------------------------------------------------------------- */

/* Calls fn(user, begin, end) over [0, n) split into at most run->threads contiguous chunks of at
 * least `grain` items, in parallel; returns when all are done. */
void pol__parallel_for(const pol_run *run, size_t n, size_t grain,
                       void (*fn)(void *user, size_t begin, size_t end), void *user);
/* Calls fn(user, b, e) over [0, n) in blocks of `grain` items that the run's threads take from
 * a shared counter as they come free (threads.c says why); the blocks' order and which thread
 * runs which are not fixed, so fn must not depend on how [0, n) is cut. */
void pol__parallel_blocks(const pol_run *run, size_t n, size_t grain,
                          void (*fn)(void *user, size_t b, size_t e), void *user);

int pol__cpu_count(void);

/* ---- safe output ---------------------------------------------------------------------------- */

/*
 * Every output goes to a temporary file in the target folder and is renamed into place by
 * pol__out_commit(). pol__out_abort() removes the temporary; nothing half-written is ever left.
 * An existing final file is refused (POL_ERR_EXISTS) unless run->opt->overwrite.
 */
typedef struct pol__outfile {
    char *final_path;
    char *tmp_path;
    FILE *fp; /* open for writing ("wb") */
    int fd;   /* fileno(fp) */
} pol__outfile;

pol_status pol__out_open(pol_run *run, const char *final_path, pol__outfile *of);
pol_status pol__out_commit(pol_run *run, pol__outfile *of); /* closes; renames; reports the path */
void pol__out_abort(pol__outfile *of);                      /* accepts a never-opened outfile */
/* Gives up the batch's claim on `final_path` this item made by opening it (an output aborted
 * before it was written, which the item will open again). */
void pol__out_release(pol_run *run, const char *final_path);

/*
 * The write gate of a batch: every output inside the output folder (or the one named output file
 * and its declared sidecars "STEM.*" beside it); never onto an input (device and inode), a FIFO,
 * device or folder; never twice in one batch (two inputs with the same output name); never onto
 * an existing file unless --overwrite. pol__out_open() asks it when run->gate is set.
 */
typedef struct pol__gate pol__gate;
struct pol__inputs;
pol__gate *pol__gate_new(const struct pol__inputs *in, const char *outdir, const char *outfile,
                         const pol_options *opt);
void pol__gate_free(pol__gate *g); /* accepts NULL */
/* Allows writing `path`, a file the command line named for an output port (already checked to lie
 * in the output folder), beside an output file that allows only itself and its "STEM.*" sidecars. */
pol_status pol__gate_allow(pol__gate *g, const char *path);
/* Refuses `path` as a place for the report: an input, an output of this batch, not a regular file,
 * or an existing file that is not a polish report (unless --overwrite). g may be NULL. */
pol_status pol__gate_report(const pol__gate *g, const char *path, pol_err *err);

/*
 * An item's outputs, committed together: pol__out_commit() only finishes the temporary (flush,
 * fsync with --fsync, close, every error checked) and queues it; pol__pending_settle() then moves
 * every queued temporary into place when the item succeeded, or removes them all when it failed
 * (and undoes the ones already placed when a move fails). Thread-safe (delivery targets).
 */
typedef struct pol__pending pol__pending;
pol__pending *pol__pending_new(void);
pol_status pol__pending_settle(pol_run *run, pol__pending *p, pol_status st); /* frees p */

/*
 * Memory an item is about to allocate because of its input or parameters (decoded pixels, a tile,
 * an operation's result), checked against --limit memory before the allocation. In a batch the
 * reservations of all workers together stay under the limit: the item's first reservation waits
 * while other items hold memory; everything is given back when the item ends. `what` names the
 * allocation in the error ("a 30000x30000 TIFF tile").
 */
pol_status pol__mem_reserve(pol_run *run, uint64_t bytes, const char *what);

/* Removes stale temporaries (".NAME.XXXXXX.part") polish left in `dir` and below (a killed run). */
size_t pol__out_remove_stale(const char *dir);

/* Writes a whole buffer to `path` safely (open, write, commit). */
pol_status pol__write_file(pol_run *run, const char *path, const void *data, size_t len);

/* Reads a whole file, refusing more than `max_bytes` (0 = no limit). *data is malloc'ed and
 * NUL-terminated (not counted in *len). */
pol_status pol__read_file(pol_run *run, const char *path, uint64_t max_bytes, unsigned char **data,
                          size_t *len);

/* ---- small helpers -------------------------------------------------------------------------- */

/* A temporary file for scratch data in $TMPDIR (else /tmp), opened "w+b" and already removed,
 * so it is gone when closed, even after a crash. `tag` names it while it exists
 * (".polish-TAG.XXXXXX"). NULL with errno set when it cannot be made. */
FILE *pol__temp_file(const char *tag);
char *pol__strdup(const char *s);
char *pol__strndup(const char *s, size_t n);
char *pol__asprintf(const char *fmt, ...) POL_PRINTF(1, 2);
/* `n` bytes as base64 (RFC 4648, padded), NUL-terminated and malloc'ed; NULL when out of memory. */
char *pol__base64(const void *data, size_t n);
/* Extension without the dot, as written ("JPG"), or "" — points into `path`; compare with
 * strcasecmp(). */
const char *pol__path_ext(const char *path);
/* Final path component — points into `path`. */
const char *pol__path_base(const char *path);
double pol__now(void); /* monotonic seconds */

/* Overflow-checked multiplication of sizes; returns 0 on overflow (and leaves *out unchanged). */
static inline int pol__mul_ok(size_t a, size_t b, size_t *out)
{
    if (a && b > SIZE_MAX / a) return 0;
    *out = a * b;
    return 1;
}

/* Makes room for at least `need` elements of `elem` bytes in the malloc'ed array whose address is
 * `arrp` (a T **, passed as void *) and whose capacity is *cap: the capacity doubles, from
 * `first` when it is 0, until it holds `need`; the new elements are not initialised. Returns 0,
 * or -1 (out of memory, or the size would overflow) with the array and *cap as they were.
 * Use POL_GROW(v, cap, need, first) for an array `T *v` and a `size_t cap`. */
int pol__grow(void *arrp, size_t *cap, size_t need, size_t elem, size_t first);
#define POL_GROW(arr, cap, need, first) pol__grow(&(arr), &(cap), (need), sizeof *(arr), (first))

/* The k-th smallest (from 0) of v[0..n), k < n, in expected linear time (Hoare's selection, not a
 * sort); reorders v so that v[k] is that value, nothing before it larger, nothing after it smaller. */
double pol__select_k(double *v, size_t n, size_t k);
/* The median of n doubles (the mean of the middle two when n is even; NAN when n is 0); reorders v. */
double pol__median(double *v, size_t n);

#endif
