/* polish — running pipelines over batches of files: options, recipes, reports, progress. */
#ifndef POLISH_ENGINE_H
#define POLISH_ENGINE_H

#include <stddef.h>
#include <stdint.h>
#include "polish/status.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Limits checked before decoding (from headers where the format allows). 0 means "no limit".
 * One table (`polish ops --json` lists it): the core's keys below plus the keys each domain
 * declares (grid points, ...), kept in `extra`; every key reads the same on the command line
 * (--limit KEY=VALUE), in a recipe (limits:) and in the registry. */
#define POL_LIMITS_EXTRA 16
typedef struct pol_limits {
    uint64_t max_pixels;      /* pixels: width x height of one image; default 178,956,970 */
    uint64_t max_bytes;       /* bytes: size of one input file; default 2 GiB */
    uint64_t max_frames;      /* frames: frames/pages of one input; default 1000 */
    uint64_t max_rows;        /* rows: rows of one table; default 50,000,000 */
    uint64_t max_columns;     /* columns: columns of one table; default 10,000 */
    uint64_t max_field_bytes; /* field-bytes: bytes in one table cell; default 1 MiB */
    double max_duration;      /* duration: seconds of audio/video; default 6 h */
    uint64_t max_memory;      /* memory: decoded bytes held at once by the whole batch (all -j
                                 workers together; one item alone may not exceed it); 4 GiB */
    uint64_t max_scans;       /* scans: scans of one progressive JPEG; default 1000 */
    uint64_t max_dimension;   /* dimension: width or height of one image; default 1,000,000 */
    uint64_t extra[POL_LIMITS_EXTRA]; /* domains' keys, in registry order */
    uint64_t set;                     /* bit k: key k was given explicitly */
} pol_limits;

/* Fills `l` with the safe defaults of every key. */
void pol_limits_default(pol_limits *l);

/* Applies "pixels=1e8", "bytes=10M", "rows=1000" ... to `l`. Returns POL_ERR_ARG on a bad spec. */
pol_status pol_limits_set(pol_limits *l, const char *spec, pol_err *err);

/* A limit by key (as a count, bytes or whole seconds); 0 = no limit or unknown key. */
uint64_t pol_limits_get(const pol_limits *l, const char *key);

/* Tightens `base` with every key set in `over`: the smaller wins, "no limit" (0) never loosens. */
void pol_limits_tighten(pol_limits *base, const pol_limits *over);

/* Cancels every running batch of this process: items not yet started are skipped, running items
 * stop at their next check, temporary files are removed and the report keeps what finished.
 * Async-signal-safe (a SIGINT handler may call it). */
void pol_cancel(void);
/* Clears a cancellation, so that a later batch runs. */
void pol_cancel_reset(void);
int pol_cancelled(void);

/* How a batch runs. Plain data owned by the caller; pol_options_default() fills it. */
typedef struct pol_options {
    pol_limits limits;
    int threads;   /* worker threads; 0 = all cores */
    int overwrite; /* replace existing outputs */
    int lenient;   /* salvage what can be read from damaged input instead of failing */
    int dry_run;   /* plan only: nothing is read or written */
    int skip_existing; /* keep outputs that exist (complete by construction); remove stale temps */
    int fsync;         /* fsync each output (and its folder) before it is moved into place */
} pol_options;

void pol_options_default(pol_options *o);

/* Is `path` a frame pattern (its file name holds a run of '#' or a printf %d / %04d: "shot.####.exr")?
 * As an input it names every file of that folder numbered so, read as one sequence in frame order;
 * as the output file, each frame is written under the pattern with its number. */
int pol_path_is_frame_pattern(const char *path);

/* ---- pipelines ------------------------------------------------------------------------------ */

/*
 * A pipeline: for one domain, an ordered list of steps (op + arguments) and delivery targets; or
 * the automatic pipeline (`polish fix`), which picks each item's domain recipe at run time.
 * Owned by the caller: free with pol_pipeline_free() (accepts NULL).
 */
typedef struct pol_pipeline pol_pipeline;

/* Loads and validates a YAML recipe against the registry. On error *out is NULL and `err` points
 * at the line: "recipe.yml:7: step 2 (image.resize): unknown parameter 'widht'". */
pol_status pol_pipeline_load_recipe(const char *path, pol_pipeline **out, pol_err *err);
pol_status pol_pipeline_parse_recipe(const char *text, size_t len, const char *name,
                                     pol_pipeline **out, pol_err *err);

/* The automatic pipeline: each item gets its domain's automatic recipe. */
pol_status pol_pipeline_new_auto(pol_pipeline **out, pol_err *err);

/* Options of the automatic pipeline (`polish fix --kb kb.db`): sets parameter or port `name` on
 * every automatic step whose op declares it, and on each domain's default delivery whose
 * delivery op declares it (`--format`, `--sheet`); "OP.NAME" only on that op's steps,
 * "DOMAIN.OP.NAME" only in that domain. POL_ERR_ARG when no automatic step declares it or the value is invalid.
 * An automatic step whose required port is never given is skipped, each item saying so. */
pol_status pol_pipeline_set_auto_option(pol_pipeline *p, const char *name, const char *value,
                                        pol_err *err);
/* 0: no automatic step takes `name`; 1: it is a boolean (its value may be left out); 2: it
 * takes a value. */
int pol_pipeline_auto_option_kind(const pol_pipeline *p, const char *name);

/* An empty pipeline of one domain, to be filled with steps. */
pol_status pol_pipeline_new(const char *domain, pol_pipeline **out, pol_err *err);

/* Appends a step running `op` ("resize" or "image.resize"); returns its index in *index. */
pol_status pol_pipeline_add_step(pol_pipeline *p, const char *op, size_t *index, pol_err *err);

/* Sets an argument of step `index`, checked against the op's declaration. */
pol_status pol_pipeline_set_arg(pol_pipeline *p, size_t index, const char *name, const char *value,
                                pol_err *err);

/* Gives a path to an input or output port of step `index` ("master", "explain"). */
pol_status pol_pipeline_set_port(pol_pipeline *p, size_t index, const char *name, const char *path,
                                 pol_err *err);

/* Checks what needs every value in place: required parameters and ports, conditions between
 * parameters. POL_ERR_ARG names the step and what is missing. pol_batch_run checks it too. */
pol_status pol_pipeline_check(const pol_pipeline *p, pol_err *err);

/* Sets an option of the default delivery (the domain's export op) used when writing outputs. */
pol_status pol_pipeline_set_deliver_arg(pol_pipeline *p, const char *name, const char *value,
                                        pol_err *err);

/* Adds a named delivery target (e.g. preset "web"); returns its index. */
pol_status pol_pipeline_add_target(pol_pipeline *p, const char *name, size_t *index, pol_err *err);
pol_status pol_pipeline_set_target_arg(pol_pipeline *p, size_t index, const char *name,
                                       const char *value, pol_err *err);

/* Limits set by the recipe, applied on top of the caller's options. */
const pol_limits *pol_pipeline_limits(const pol_pipeline *p);

/* A human-readable plan (for --dry-run). Caller frees with free(). */
char *pol_pipeline_describe(const pol_pipeline *p);

void pol_pipeline_free(pol_pipeline *p);

/* ---- reports -------------------------------------------------------------------------------- */

/* The run report: per item, each step's measurements, decisions, confidence, outputs, timings and
 * errors. Owned by the caller; pol_report_free() accepts NULL. */
typedef struct pol_report pol_report;

pol_report *pol_report_new(const char *command);
void pol_report_free(pol_report *r);

/* Asks the batch runner to keep before/after thumbnails for the HTML report (off by default). */
void pol_report_want_thumbnails(pol_report *r, int on);

/* Writes the report atomically: HTML when `path` ends in .html/.htm, stream lines for .jsonl,
 * JSON otherwise. */
pol_status pol_report_write(const pol_report *r, const char *path, pol_err *err);

/* Streams the report to a JSON-lines file as items finish (docs/report.md): a header line, one
 * line per finished item (in the order they finish, each with its input `index`), a summary line
 * when the batch ends. A killed batch keeps the lines of what finished. Thumbnails, when wanted,
 * are written to files in <stem>.thumbs/ beside it instead of held in memory. The file is
 * created anew; an existing one is refused unless `overwrite`. */
pol_status pol_report_stream(pol_report *r, const char *path, int overwrite, pol_err *err);

/* Reads a report stream back (also one cut short by a killed batch: its summary then counts
 * what finished and says "incomplete"). Free with pol_report_free(). */
pol_status pol_report_read(const char *path, pol_report **out, pol_err *err);

/* Appends the items of `src` to `dst` and recounts the summary. */
pol_status pol_report_merge(pol_report *dst, const pol_report *src, pol_err *err);

/* The report as JSON / as short human text. Caller frees with free(); NULL when out of memory. */
char *pol_report_json(const pol_report *r);
char *pol_report_text(const pol_report *r);
/* One line "INPUT: message" per failed item; "" when none. Caller frees with free(). */
char *pol_report_errors(const pol_report *r);
/* One line per note worth the user's eye: entries left out of a batch ("skipped PATH: why"),
 * items kept by --skip-existing, warnings (first frame of an animation). "" when none. */
char *pol_report_notes(const pol_report *r);

/* The result documents of POL_OP_DOCUMENT ops as JSON: one item's document itself, or for several
 * items {"items": [{"input": PATH, ...its document's members}]} (a failed item gives "error").
 * NULL when no item has one. Caller frees with free(). */
char *pol_report_documents(const pol_report *r);

/* ---- batches -------------------------------------------------------------------------------- */

typedef struct pol_progress {
    size_t done, failed, total;
    double elapsed; /* seconds since start */
} pol_progress;

/* Called from worker threads, serialised by the library, after each item. */
typedef void (*pol_progress_fn)(const pol_progress *p, void *user);

typedef enum pol_batch_mode {
    POL_BATCH_PROCESS, /* run the pipeline, write outputs */
    POL_BATCH_INSPECT, /* load and measure only; nothing is written */
} pol_batch_mode;

typedef enum pol_group_rule {
    POL_GROUP_NONE,   /* one file, one item */
    POL_GROUP_STEM,   /* same name up to its last two dots: frame.0001.beauty.exr +
                         frame.0001.depth.exr -> item frame.0001 */
    POL_GROUP_FOLDER, /* every file of one folder */
    POL_GROUP_ALL,    /* every input, one item (an ensemble's members) */
    POL_GROUP_LIST,   /* the explicit groups of pol_batch.groups */
} pol_group_rule;

/* One stage of an item that its domain runs in stages across shards (polish plan, docs/SCALE.md):
 * e.g. records learn a model once, score their blocks in parts, then join the clusters. */
typedef struct pol_stage {
    size_t stage, n_stages; /* 1-based */
    const char *name;       /* the domain's name for it ("model", "score", "join") */
    size_t part, parts;     /* this part of the stage (0-based) and how many there are */
    size_t shards;          /* the plan's shards (a stage of one part per shard has this many) */
    const char *dir;        /* the item's folder for the files passed between its stages */
    const char *out;        /* where a stage before the last writes its one file (atomically) */
} pol_stage;

typedef struct pol_batch {
    pol_batch_mode mode;
    const pol_options *options;
    const char *outdir;  /* outputs keep their input's name (and relative path inside a folder) */
    const char *outfile; /* or: the exact output path, for a single input */
    const char *report_path; /* where the caller will write the report (checked before running:
                                never an input); NULL when none */
    pol_progress_fn progress;
    void *progress_user;
    /* Items that are groups of files (a render's passes, an ensemble's members), loaded together
     * by the domain's load_group. POL_GROUP_NONE: one file, one item. */
    pol_group_rule group;
    /* POL_GROUP_LIST: the groups, each a NULL-terminated list of paths (the files named here
     * are the inputs; `inputs` of pol_batch_run is then ignored). */
    const char *const *const *groups;
    size_t n_groups;
    /* One shard of a batch (pol_plan_run): when set, only the items for which select() is true
     * are run and reported (`input` is the item's path as the report names it); the others are
     * left alone. Stale temporaries are then not swept (other shards may be writing). */
    int (*select)(const char *input, void *user);
    void *select_user;
    /* Items run in stages across shards (pol_plan_run): the stage of the item at `input` (with
     * select_user), or NULL for an item run whole. NULL outside staged plans. */
    const struct pol_stage *(*stage)(const char *input, void *user);
} pol_batch;

typedef struct pol_batch_result {
    size_t total, ok, failed;
    size_t cancelled; /* never started, or stopped, because the batch was cancelled */
} pol_batch_result;

/*
 * Runs `p` over files and folders (folders are walked recursively, hidden entries skipped). One bad
 * item is recorded in the report and skipped; the others finish. Returns POL_OK when every item
 * succeeded, POL_ERR_PARTIAL when some failed (see `res`), POL_ERR_CANCELLED after pol_cancel()
 * (the report then holds the items that finished; temporary files are removed), or another error
 * when nothing could run (then `err` says why). A pipeline missing a required parameter or port
 * is POL_ERR_ARG before anything runs.
 */
pol_status pol_batch_run(const pol_pipeline *p, const char *const *inputs, size_t n_inputs,
                         const pol_batch *b, pol_report *report, pol_batch_result *res,
                         pol_err *err);

/* ---- shards (docs/SCALE.md) ------------------------------------------------------------------- */

typedef struct pol_plan_spec {
    const char *recipe; /* recipe file; its text is kept in the plan, so every shard runs it */
    const char *const *inputs;
    size_t n_inputs;
    const char *outdir; /* the plan is written to OUTDIR/plan.json, the outputs land in OUTDIR */
    size_t shards;
    const pol_options *options; /* limits and the like, as for pol_batch_run */
    pol_group_rule group;
} pol_plan_spec;

/* Writes OUTDIR/plan.json and nothing else: the batch's items in input order, each with its
 * outputs (as a single-process run would write them) and its shard, items balanced across
 * shards by size; the same inputs always give the same plan. Refuses a plan in which two items
 * would write one file. *plan_path (may be NULL) gets the plan's path; free it. */
pol_status pol_plan_make(const pol_plan_spec *spec, char **plan_path, pol_err *err);

/* Number of stages of a plan, 0 on error. */
size_t pol_plan_stages(const char *plan_path, pol_err *err);

/* Runs one shard of one stage (stage 1..; 0 for a one-stage plan) into the plan's output folder,
 * its report streamed to OUTDIR/.polish-shards/stage-S.shard-I.jsonl (and into `report`, which
 * may be NULL). Items whose outputs exist are skipped, so a killed shard run again finishes
 * without doing anything twice. */
pol_status pol_plan_run(const char *plan_path, size_t stage, size_t shard, const pol_options *opt,
                        pol_report *report, pol_batch_result *res, pol_err *err);

/* Merges the shards' report streams into OUTDIR/report.json and report.html. POL_OK only when
 * every planned item of every stage is done with its outputs in place; otherwise
 * POL_ERR_PARTIAL and *missing (may be NULL; free it) lists what is not, one line each. */
pol_status pol_plan_merge(const char *plan_path, char **missing, pol_err *err);

/* ---- MPI: the shards of a plan as the ranks of one MPI job (docs/SCALE.md) ------------------- */

/* 1 when this polish was built with MPI (meson -Dmpi=enabled). */
int pol_mpi_built(void);
/* Starts MPI for a process that is one rank of an MPI job (`mpirun -np N polish run --plan P
 * --mpi`): *rank and *size say which. From then on pol_plan_run's shard should be the rank, and
 * a stage whose parts must communicate (pol_plan_run refuses it otherwise) exchanges what it needs
 * with the other ranks. POL_ERR_UNSUPPORTED in a build without MPI. */
pol_status pol_mpi_begin(int *argc, char ***argv, size_t *rank, size_t *size, pol_err *err);
/* Every rank calls it at the same point with its own outcome (`st`; its message in `err` when
 * st != POL_OK). POL_OK when no rank failed; otherwise every rank gets the first failing rank's
 * status and "rank R of N failed: message" in `err`. Without an MPI job: returns `st`. */
pol_status pol_mpi_agree(pol_status st, pol_err *err);
/* Ends MPI (every rank, after its last pol_mpi_agree). */
void pol_mpi_end(void);

#ifdef __cplusplus
}
#endif
#endif
