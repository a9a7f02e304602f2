/* polish — the batch runner: inputs in, a thread pool over items, one bad item never stops the
 * rest, outputs written safely, everything recorded in the report. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>
#if defined(__GLIBC__)
#include <malloc.h>
#endif
#include "core/inputs.h"
#include "core/pipeline.h"
#include "core/pool.h"
#include "core/ports.h"
#include "core/report.h"
#include "core/sequence.h"
#include "core/stream.h"

typedef struct item {
    const char *part; /* the part of the file being processed (pol__domain.parts), or NULL */
    char *path; /* as given or found (owned by the batch's pol__inputs) */
    char *rel;  /* output-relative name: base name, or the path inside a given folder */
    pol__jv *node;
    pol__thumbs thumbs;
    int failed;
    int ran; /* 0: never started (the batch was cancelled first) */
    /* a group of files loaded as one item (pol_batch.group); path/rel are the first member's */
    const char **members;
    size_t n_members;
    char *group_rel; /* owned: the group's output name */
    int made;        /* made by a POL_OP_NO_INPUT op: no input file, `path` is the op's name */
    /* a frame of a sequence (pol__domain.sequences), run in order by the sequence's first frame */
    pol__seq_frame seq; /* seq.store NULL: not a frame of a sequence */
    size_t seq_run;     /* the sequence's first frame: how many frames its task runs; else 0 */
    long long frame;    /* the number in the item's name (has_frame) */
    int has_frame;
} item;

typedef struct items {
    item *v;
    size_t n;
} items;

static int mkdir_p(const char *path)
{
    char *p = pol__strdup(path);
    if (!p) return -1;
    for (char *s = p + 1; *s; s++) {
        if (*s != '/') continue;
        *s = '\0';
        if (mkdir(p, 0777) != 0 && errno != EEXIST) {
            free(p);
            return -1;
        }
        *s = '/';
    }
    int rc = mkdir(p, 0777) != 0 && errno != EEXIST ? -1 : 0;
    free(p);
    return rc;
}

static int mkdir_parent(const char *path)
{
    const char *slash = strrchr(path, '/');
    if (!slash || slash == path) return 0;
    char *dir = pol__strndup(path, (size_t)(slash - path));
    if (!dir) return -1;
    int rc = mkdir_p(dir);
    free(dir);
    return rc;
}

/* ---- running one item ----------------------------------------------------------------------- */

typedef struct batch_ctx {
    const pol_pipeline *pipe;
    const pol_batch *b;
    pol_options opt; /* with the recipe's limits */
    items it;
    pol__gate *gate; /* every write of the batch goes through it (output.c) */
    int threads;
    int want_thumbs;
    pol__pool *pool;
    pol__batch_state *bs;
    pol_report *report;
    char *outdir; /* where output ports land */
    pthread_mutex_t mu;
    size_t done, failed;
    double t0;
    /* sequences of numbered frames: each one's name and the state its steps keep */
    char **seq_names;
    pol__seq_store *seq_stores;
    size_t n_seqs;
    int out_pattern; /* -o is a frame pattern: each frame written under it with its number */
} batch_ctx;


static pol_status run_op(pol_run *run, const pol_op_desc *op, const pol_args *a, pol_asset *asset,
                         const char *target)
{
    if (pol__cancelled(run)) return pol__fail(run, POL_ERR_CANCELLED, "cancelled");
    pol__jv *s = pol__step_node(run, op, a);
    if (target) pol__jv_set(s, "target", pol__jv_str(target));
    run->step = s;
    run->declined = 0;
    double t = pol__now();
    pol_status st = op->run(run, asset, a);
    if (!st && op->out_domain && strcmp(asset->domain->name, op->out_domain) != 0)
        st = pol__fail(run, POL_ERR_INTERNAL, "%s.%s must give a %s item", op->domain, op->name,
                       op->out_domain);
    pol__jv_set(s, "seconds", pol__jv_num(pol__now() - t));
    pol__jv_set(s, "status", pol__jv_str(st ? "failed" : run->declined ? "declined" : "applied"));
    run->step = NULL;
    return st;
}

/* "book.xlsx" + part "Q1 sales" -> "book.Q1 sales.xlsx" ('/' and a leading '.' of the part
 * become '_', so a part never names a path). */
static char *with_part(char *rel, const char *part)
{
    if (!rel || !part) return rel;
    char *dot = strrchr(rel, '.'), *slash = strrchr(rel, '/');
    size_t stem = dot && (!slash || dot > slash + 1) ? (size_t)(dot - rel) : strlen(rel);
    char *r = pol__asprintf("%.*s.%s%s", (int)stem, rel, part, rel + stem);
    free(rel);
    if (!r) return NULL;
    for (char *q = r + stem + 1; *q && q < r + stem + 1 + strlen(part); q++)
        if (*q == '/' || (q == r + stem + 1 && *q == '.')) *q = '_';
    return r;
}

/* out/<target>/<rel>, with the extension the domain will write. */
/* The output's path; `ext` (NULL: the input's) replaces the extension. */
static char *out_path_ext(const batch_ctx *c, const item *x, const char *target, const char *ext)
{
    if (c->b->outfile && !target)
        return with_part(c->out_pattern ? pol__frame_path(c->b->outfile, x->frame)
                                        : pol__strdup(c->b->outfile), x->part);
    const char *dir = c->b->outdir ? c->b->outdir : ".";
    char *rel = with_part(pol__strdup(x->rel), x->part);
    if (!rel) return NULL;
    if (ext) {
        char *dot = strrchr(rel, '.');
        char *slash = strrchr(rel, '/');
        if (dot && (!slash || dot > slash)) *dot = '\0';
        char *r2 = pol__asprintf("%s.%s", rel, ext);
        free(rel);
        rel = r2;
        if (!rel) return NULL;
    }
    size_t dl = strlen(dir);
    while (dl > 1 && dir[dl - 1] == '/') dl--;
    char *p = target ? pol__asprintf("%.*s/%s/%s", (int)dl, dir, target, rel)
                     : pol__asprintf("%.*s/%s", (int)dl, dir, rel);
    free(rel);
    return p;
}

static char *out_path(const batch_ctx *c, const item *x, const char *target, pol_asset *a)
{
    return out_path_ext(c, x, target, a && a->domain->out_ext ? a->domain->out_ext(a) : NULL);
}

static pol_status save_to(pol_run *run, const batch_ctx *c, const item *x, const char *target,
                          pol_asset *a)
{
    char *path = out_path(c, x, target, a);
    if (!path) return pol__fail(run, POL_ERR_NOMEM, "out of memory");
    if (mkdir_parent(path) != 0) {
        int e = errno;
        pol_status st =
            pol__fail(run, POL_ERR_IO, "cannot create the folder for %s: %s", path, strerror(e));
        free(path);
        return st;
    }
    double t = pol__now();
    pol_status st = a->domain->save(run, a, path);
    pol__jv *secs = pol__jv_obj_at(run->item, "seconds");
    pol__jv *prev = pol__jv_get(secs, "save");
    pol__jv_set(secs, "save", pol__jv_num((prev ? prev->num : 0) + pol__now() - t));
    free(path);
    return st;
}

/* The pipeline's last step when it is a POL_OP_DOCUMENT op: the item gives a document, not
 * itself. */
static const pol_op_desc *document_op(const pol_pipeline *p)
{
    if (!p || !p->n_steps) return NULL;
    const pol_op_desc *op = p->steps[p->n_steps - 1].op;
    return op->flags & POL_OP_DOCUMENT ? op : NULL;
}

/* Where a document goes: -o FILE, or <stem>.json in -o DIR; NULL when there is no -o. */
static char *document_path(const batch_ctx *c, const item *x)
{
    if (c->b->outfile)
        return with_part(c->out_pattern ? pol__frame_path(c->b->outfile, x->frame)
                                        : pol__strdup(c->b->outfile), x->part);
    if (!c->b->outdir) return NULL;
    char *rel = with_part(pol__strdup(x->rel), x->part);
    if (!rel) return NULL;
    char *dot = strrchr(rel, '.'), *slash = strrchr(rel, '/');
    if (dot && (!slash || dot > slash) && dot != rel && (!slash || dot > slash + 1)) *dot = '\0';
    size_t dl = strlen(c->b->outdir);
    while (dl > 1 && c->b->outdir[dl - 1] == '/') dl--;
    char *p = pol__asprintf("%.*s/%s.json", (int)dl, c->b->outdir, rel);
    free(rel);
    return p;
}

/* Writes the item's document (the last step's "result") to `path` as JSON. */
static pol_status save_document(pol_run *run, const char *path)
{
    const pol__jv *steps = pol__jv_get(run->item, "steps");
    const pol__jv *doc = steps && steps->last ? pol__jv_get(steps->last, "result") : NULL;
    if (!doc) return pol__fail(run, POL_ERR_INTERNAL, "the operation gave no result document");
    char *text = pol__jv_dump(doc, 2);
    if (!text) return pol__fail(run, POL_ERR_NOMEM, "out of memory");
    if (mkdir_parent(path) != 0) {
        free(text);
        return pol__fail(run, POL_ERR_IO, "cannot create the folder for %s", path);
    }
    pol__outfile of;
    pol_status st = pol__out_open(run, path, &of);
    if (!st) {
        size_t n = strlen(text);
        if (fwrite(text, 1, n, of.fp) != n || fputc('\n', of.fp) == EOF) {
            int e = errno;
            pol__out_abort(&of);
            st = pol__fail(run, POL_ERR_IO, "cannot write %s: %s", path, strerror(e));
        } else {
            st = pol__out_commit(run, &of);
        }
    }
    free(text);
    return st;
}

/* ---- one item, several outputs ------------------------------------------------------------- */

typedef struct pol__emitted {
    pol_asset *asset;
    char *name;
    struct pol__emitted *next;
} pol__emitted;

pol_status pol__emit(pol_run *run, pol_asset *a, const char *name)
{
    for (const char *c = name; c && *c; c++)
        if (*c == '/' || (c == name && *c == '.'))
            return pol__fail(run, POL_ERR_INTERNAL, "an emitted output's name '%s' is a path", name);
    pol__emitted *e = calloc(1, sizeof *e);
    if (!e || !(e->name = pol__strdup(name ? name : "part"))) {
        free(e);
        return pol__fail(run, POL_ERR_NOMEM, "out of memory");
    }
    e->asset = pol__asset_ref(a);
    pol__emitted **tail = &run->emitted;
    while (*tail) tail = &(*tail)->next;
    *tail = e;
    return POL_OK;
}

static void emitted_free(pol_run *run)
{
    for (pol__emitted *e = run->emitted, *next; e; e = next) {
        next = e->next;
        pol__asset_unref(e->asset);
        free(e->name);
        free(e);
    }
    run->emitted = NULL;
}

/* <stem>.<name>.<ext> beside the item's own output. */
static pol_status save_emitted(pol_run *run, const batch_ctx *c, const item *x)
{
    pol_status st = POL_OK;
    for (pol__emitted *e = run->emitted; e && !st; e = e->next) {
        char *base = out_path(c, x, NULL, e->asset);
        if (!base) return pol__fail(run, POL_ERR_NOMEM, "out of memory");
        char *dot = strrchr(base, '.'), *slash = strrchr(base, '/');
        char *path;
        if (x->made) { /* no input to name it after: <name>.<ext> */
            const char *ext = dot && (!slash || dot > slash) ? dot + 1 : NULL;
            if (slash) slash[1] = '\0';
            path = pol__asprintf("%s%s%s%s", slash ? base : "", e->name, ext ? "." : "",
                                 ext ? ext : "");
        } else if (dot && (!slash || dot > slash)) {
            *dot = '\0';
            path = pol__asprintf("%s.%s.%s", base, e->name, dot + 1);
        } else {
            path = pol__asprintf("%s.%s", base, e->name);
        }
        free(base);
        if (!path) return pol__fail(run, POL_ERR_NOMEM, "out of memory");
        if (mkdir_parent(path) != 0)
            st = pol__fail(run, POL_ERR_IO, "cannot create the folder for %s", path);
        else
            st = e->asset->domain->save(run, e->asset, path);
        free(path);
    }
    return st;
}

/* ---- delivery targets in parallel ----------------------------------------------------------- */

typedef struct target_job {
    const batch_ctx *c;
    const item *x;
    const pol_pipeline *p;
    const pol_op_desc *dop;
    size_t index;
    pol_asset *asset; /* this target's copy */
    pol_run run;      /* with its own error and report node, merged after */
    pol_err err;
    pol_status st;
} target_job;

static void target_task(void *arg)
{
    target_job *j = arg;
    const char *name = j->p->targets[j->index].name;
    j->st = run_op(&j->run, j->dop, j->p->targets[j->index].args, j->asset, name);
    if (!j->st) j->st = save_to(&j->run, j->c, j->x, name, j->asset);
}

static void move_children(pol__jv *dst, pol__jv *src)
{
    if (!src) return;
    for (pol__jv *k = src->first, *next; k; k = next) {
        next = k->next;
        pol__jv_push(dst, k);
    }
    src->first = src->last = NULL;
    src->n = 0;
}

/* One decode, several deliveries: each target works on its own copy (pixels are shared until
 * written); the targets are tasks of the batch's pool, so one core encodes while another
 * resizes. Their steps and outputs join the item's report in target order. */
static pol_status deliver_targets(const batch_ctx *c, const item *x, const pol_pipeline *p,
                                  const pol_op_desc *dop, pol_asset *a, pol_run *run)
{
    size_t n = p->n_targets;
    target_job *jobs = calloc(n, sizeof *jobs);
    if (!jobs) return pol__fail(run, POL_ERR_NOMEM, "out of memory");
    pol_status st = POL_OK;
    /* As many targets at once as the item has threads; each target's loops get the rest. */
    size_t at_once = run->threads > 1 ? (size_t)run->threads : 1;
    if (at_once > n) at_once = n;
    int inner = run->threads / (int)at_once;
    for (size_t i = 0; i < n; i++) {
        target_job *j = &jobs[i];
        *j = (target_job){.c = c, .x = x, .p = p, .dop = dop, .index = i, .run = *run};
        pol_err_clear(&j->err);
        j->run.err = &j->err;
        j->run.threads = inner > 0 ? inner : 1;
        j->run.item = pol__jv_obj();
        j->asset = pol__asset_clone(a);
        if (!j->asset || !j->run.item) {
            st = pol__fail(run, POL_ERR_NOMEM, "out of memory copying for %s", p->targets[i].name);
            break;
        }
    }
    if (!st) {
        pol__task_group g = {0};
        /* queued in reverse at the front, so they are taken in target order */
        for (size_t i = n; i-- > 1;) pol__pool_submit(c->pool, &g, target_task, &jobs[i], 1);
        target_task(&jobs[0]);
        pol__pool_wait(c->pool, &g);
    }
    pol__jv *secs = pol__jv_obj_at(run->item, "seconds");
    double save = 0;
    for (size_t i = 0; i < n; i++) {
        target_job *j = &jobs[i];
        if (j->run.item) {
            move_children(pol__jv_arr_at(run->item, "steps"), pol__jv_get(j->run.item, "steps"));
            move_children(pol__jv_arr_at(run->item, "outputs"), pol__jv_get(j->run.item, "outputs"));
            pol__jv *js = pol__jv_get(pol__jv_get(j->run.item, "seconds"), "save");
            if (js) save += js->num;
            pol__jv_free(j->run.item);
        }
        if (!st && j->st) {
            st = j->st;
            *run->err = j->err;
        }
        pol__asset_unref(j->asset);
    }
    pol__jv_set(secs, "save", pol__jv_num(save));
    free(jobs);
    return st;
}

/* --dry-run: the steps as planned and every file the item would write, its outputs and the
 * files its steps' output ports name. */
static pol_status plan_only(const batch_ctx *c, const item *x, const pol_pipeline *p,
                            pol_run *run)
{
    pol__jv_set(run->item, "dry_run", pol__jv_bool(1));
    pol__jv *would = pol__jv_arr_at(run->item, "would_write");
    for (size_t i = 0; i < p->n_steps; i++) {
        const pol_args *a = p->steps[i].args;
        pol__jv_set(pol__step_node(run, p->steps[i].op, a), "status", pol__jv_str("planned"));
        for (size_t k = 0; k < a->op->n_outputs; k++) {
            if (!a->out[k].n) continue;
            pol_err e;
            char *op = pol__port_out_path(run, a->out[k].paths[0], &e);
            if (!op) return pol__fail(run, e.code, "--%s: %s", a->op->outputs[k].name, e.msg);
            pol__jv_push(would, pol__jv_str(op));
            free(op);
        }
    }
    if (document_op(p)) {
        char *dp = document_path(c, x);
        if (dp) pol__jv_push(would, pol__jv_str(dp));
        free(dp);
    } else if (p->n_targets)
        for (size_t i = 0; i < p->n_targets; i++) {
            char *op = out_path(c, x, p->targets[i].name, NULL);
            pol__jv_push(would, pol__jv_str(op));
            free(op);
        }
    else {
        char *op = out_path(c, x, NULL, NULL);
        pol__jv_push(would, pol__jv_str(op));
        free(op);
    }
    return POL_OK;
}

static void thumb(const batch_ctx *c, const pol__domain *d, pol_run *run, pol_asset *a,
                  unsigned char **jpeg, size_t *len)
{
    if (!c->want_thumbs || !d->thumbnail || !a || a->domain != d) return;
    pol_err ignore;
    pol_run trun = *run;
    trun.err = &ignore;
    trun.item = NULL;
    d->thumbnail(&trun, a, 320, jpeg, len);
}

static pol_status load_item(pol_run *run, const pol__domain *d, const item *x, pol_asset **a);

/* A regular file at `path`, or at the same name with another extension of domain `od` (an item
 * whose format the delivery changes: "a.jpg" delivered as "a.webp"). */
static int output_there(const char *path, const pol__domain *od)
{
    struct stat st;
    if (stat(path, &st) == 0 && S_ISREG(st.st_mode)) return 1;
    const char *base = pol__path_base(path), *dot = strrchr(base, '.');
    size_t stem = dot && dot != base ? (size_t)(dot - path) : strlen(path);
    for (const char *const *e = od && od->extensions ? od->extensions : NULL; e && *e; e++) {
        char *alt = pol__asprintf("%.*s.%s", (int)stem, path, *e);
        int there = alt && stat(alt, &st) == 0 && S_ISREG(st.st_mode);
        free(alt);
        if (there) return 1;
    }
    return 0;
}

/* --skip-existing: every output this item would write is there. Outputs are moved into place only
 * once complete and all together, so one that exists is whole. */
static int outputs_exist(const batch_ctx *c, const item *x, const pol_pipeline *p,
                         const pol__domain *d)
{
    if (document_op(p)) {
        char *dp = document_path(c, x);
        struct stat st;
        int there = dp && stat(dp, &st) == 0 && S_ISREG(st.st_mode);
        free(dp);
        return there;
    }
    const pol__domain *od = d; /* the domain the item leaves as */
    for (size_t i = 0; i < p->n_steps; i++)
        if (p->steps[i].op->out_domain) od = pol__domain_find(p->steps[i].op->out_domain);
    size_t n = p->n_targets ? p->n_targets : 1;
    for (size_t i = 0; i < n; i++) {
        char *op = out_path(c, x, p->n_targets ? p->targets[i].name : NULL, NULL);
        int there = op && output_there(op, od);
        free(op);
        if (!there) return 0;
    }
    return 1;
}

/* Loads (or makes) the item, runs its steps and delivers it. */
static pol_status run_item(batch_ctx *c, item *x, const pol_pipeline *p, const pol__domain *d,
                           const pol_op_desc *dop, pol_args *default_deliver, int deliver_in_steps,
                           const pol_op_desc *docop, pol_run *run)
{
    pol_status st = POL_OK;
    pol__jv *secs = pol__jv_obj_at(run->item, "seconds");
    pol_asset *a = NULL;
    double t = pol__now();
    if (x->made) { /* the op makes the item: it starts with no data, of the op's domain */
        const pol_op_desc *op0 = p->steps[0].op;
        const pol__domain *md = op0->out_domain ? pol__domain_find(op0->out_domain) : d;
        a = md ? pol__asset_new(md, NULL, NULL) : NULL;
        if (!a) st = pol__fail(run, POL_ERR_NOMEM, "out of memory");
    } else {
        st = load_item(run, d, x, &a);
        pol__jv_set(secs, "load", pol__jv_num(pol__now() - t));
        if (!st) thumb(c, d, run, a, &x->thumbs.before, &x->thumbs.before_len);
    }
    t = pol__now();
    for (size_t i = 0; !st && !run->stage_done && i < p->n_steps; i++)
        st = run_op(run, p->steps[i].op, p->steps[i].args, a, NULL);
    pol__jv_set(secs, "steps", pol__jv_num(pol__now() - t));
    if (!st && run->stage && run->stage->stage < run->stage->n_stages) {
        /* a stage before the last delivers nothing: its op wrote the stage's file */
        if (!run->stage_done)
            st = pol__fail(run, POL_ERR_INTERNAL, "no step did stage %zu (%s)", run->stage->stage,
                           run->stage->name);
        pol__asset_unref(a);
        emitted_free(run);
        return st;
    }
    if (!st && a->data && !docop) thumb(c, d, run, a, &x->thumbs.after, &x->thumbs.after_len);
    if (!st && pol__cancelled(run)) st = pol__fail(run, POL_ERR_CANCELLED, "cancelled");
    int split = 0;
    for (size_t i = 0; i < p->n_steps; i++) split |= (p->steps[i].op->flags & POL_OP_SPLIT) != 0;
    if (!st && run->emitted) st = save_emitted(run, c, x);
    if (!st && split && run->emitted) {
        /* the parts replace the item */
    } else if (!st && docop) {
        /* the item gives its document: to -o when there is one (else the caller prints it) */
        char *dp = document_path(c, x);
        if (dp) st = save_document(run, dp);
        free(dp);
    } else if (!st && !a->data) {
        st = pol__fail(run, POL_ERR_INTERNAL, "%s.%s made no item", p->steps[0].op->domain,
                       p->steps[0].op->name);
    } else if (!st) {
        if (deliver_in_steps || !dop) {
            st = save_to(run, c, x, NULL, a);
        } else if (p->n_targets == 0) {
            st = run_op(run, dop, default_deliver, a, NULL);
            if (!st) st = save_to(run, c, x, NULL, a);
        } else {
            st = deliver_targets(c, x, p, dop, a, run);
        }
    }
    pol__asset_unref(a);
    emitted_free(run);
    return st;
}

static pol_status process(batch_ctx *c, item *x, pol_run *run)
{
    const pol__domain *want = c->pipe->is_auto ? NULL : c->pipe->domain;
    const pol__domain *d = want;
    pol_status st = POL_OK;
    if (run->stage && run->stage->stage < run->stage->n_stages && want && want->stage_unloaded) {
        /* a stage its domain does itself (pol__domain.stage_unloaded): nothing loaded here */
        const pol_pipeline *p = pol__pipeline_for(c->pipe, want);
        if (p && want->stage_unloaded(run, p, &st)) {
            pol__jv_set(run->item, "domain", pol__jv_str(want->name));
            run->stage_done = st == POL_OK;
            return st;
        }
    }
    if (!x->made) st = pol__recognise(run, x->path, want, &d);
    if (st) return st;
    pol__jv_set(run->item, "domain", pol__jv_str(d->name));
    const pol_pipeline *p = pol__pipeline_for(c->pipe, d);
    if (!p) return pol__fail(run, POL_ERR_UNSUPPORTED, "no %s recipe", d->name);

    if (c->b->mode == POL_BATCH_INSPECT) {
        if (d->inspect_path && !x->made && x->n_members < 2) {
            double t = pol__now();
            st = d->inspect_path(run, x->path); /* read as a stream, never held whole */
            pol__jv_set(pol__jv_obj_at(run->item, "seconds"), "stream", pol__jv_num(pol__now() - t));
            return st;
        }
        if (!d->inspect)
            return pol__fail(run, POL_ERR_UNSUPPORTED, "%s has no inspection", d->name);
        pol_asset *a = NULL;
        double t = pol__now();
        st = load_item(run, d, x, &a);
        pol__jv_set(pol__jv_obj_at(run->item, "seconds"), "load", pol__jv_num(pol__now() - t));
        if (!st) st = d->inspect(run, a);
        pol__asset_unref(a);
        return st;
    }
    /* automatic steps waiting for a port no option gave: skipped, and the item says which */
    for (size_t i = 0; i < p->n_waiting; i++) {
        const pol__step *w = &p->waiting[i];
        pol__jv *s = pol__step_node(run, w->op, w->args);
        const char *port = pol__args_missing_port(w->args);
        pol__jv_set(s, "status", pol__jv_str("declined"));
        char why[256];
        snprintf(why, sizeof why, "not run: it needs --%s (polish fix ... --%s PATH)", port, port);
        pol__jv_set(s, "declined", pol__jv_str(why));
    }
    if (c->opt.dry_run) return plan_only(c, x, p, run);
    if (c->opt.skip_existing && outputs_exist(c, x, p, d)) {
        pol__jv_set(run->item, "skipped", pol__jv_str("its outputs exist (--skip-existing)"));
        return POL_OK;
    }

    /* The last step's domain decides how the item is delivered (text in, records out). */
    const pol__domain *od = d;
    for (size_t i = 0; i < p->n_steps; i++)
        if (p->steps[i].op->out_domain) od = pol__domain_find(p->steps[i].op->out_domain);
    if (!od) return pol__fail(run, POL_ERR_INTERNAL, "unknown output domain");
    const pol_op_desc *dop = pol_domain_deliver_op(od->name);
    int deliver_in_steps = p->n_steps && dop && p->steps[p->n_steps - 1].op == dop;

    /* The plan: the steps, then the delivery; loaders take their hints from it. */
    size_t plan_cap = p->n_steps + p->n_targets + 1;
    const pol_op_desc **plan_ops = calloc(plan_cap, sizeof *plan_ops);
    const pol_args **plan_args = calloc(plan_cap, sizeof *plan_args);
    pol_args *default_deliver = NULL;
    if (!plan_ops || !plan_args) {
        free(plan_ops);
        free(plan_args);
        return pol__fail(run, POL_ERR_NOMEM, "out of memory");
    }
    size_t pn = 0;
    for (size_t i = 0; i < p->n_steps; i++) {
        plan_ops[pn] = p->steps[i].op;
        plan_args[pn++] = p->steps[i].args;
    }
    if (dop && !deliver_in_steps) {
        if (p->n_targets) {
            for (size_t i = 0; i < p->n_targets; i++) {
                plan_ops[pn] = dop;
                plan_args[pn++] = p->targets[i].args;
            }
        } else {
            default_deliver = p->deliver && p->deliver->op == dop ? pol__args_clone(p->deliver)
                                                                   : pol__args_new(dop);
            if (!default_deliver) {
                free(plan_ops);
                free(plan_args);
                return pol__fail(run, POL_ERR_NOMEM, "out of memory");
            }
            plan_ops[pn] = dop;
            plan_args[pn++] = default_deliver;
        }
    }
    run->plan_ops = plan_ops;
    run->plan_args = plan_args;
    run->plan_n = pn;

    const pol_op_desc *docop = document_op(p);
    pol__jv *secs = pol__jv_obj_at(run->item, "seconds");
    if (x->n_members < 2 && !x->made &&
        pol__stream_possible(d, p, docop || deliver_in_steps ? NULL : dop) && !c->want_thumbs) {
        /* Every step works chunk by chunk: the item is never held whole (unless the domain
         * reads or writes this file only whole). A document op's pipeline writes no item: its
         * document goes where a loaded item's would. */
        if (docop) {
            if (d->stream->accept && !d->stream->accept(run, x->path, NULL)) goto whole;
            double t = pol__now();
            st = pol__stream_run(run, d, x->path, p, NULL);
            pol__jv_set(secs, "stream", pol__jv_num(pol__now() - t));
            char *dp = st ? NULL : document_path(c, x);
            if (dp) st = save_document(run, dp);
            free(dp);
            goto done;
        }
        /* named as a whole item would be: the extension the delivery settles on */
        const pol_args *dargs = pn && plan_ops[pn - 1] == dop ? plan_args[pn - 1] : NULL;
        char *path = out_path_ext(c, x, NULL,
                                  d->stream->out_ext ? d->stream->out_ext(run, x->path, dargs) : NULL);
        if (path && d->stream->accept && !d->stream->accept(run, x->path, path)) {
            free(path);
            goto whole;
        }
        if (!path) {
            st = pol__fail(run, POL_ERR_NOMEM, "out of memory");
        } else if (mkdir_parent(path) != 0) {
            st = pol__fail(run, POL_ERR_IO, "cannot create the folder for %s", path);
        } else {
            double t = pol__now();
            run->stream_whole = 0;
            st = pol__stream_run(run, d, x->path, p, path);
            pol__jv_set(secs, "stream", pol__jv_num(pol__now() - t));
        }
        if (st && run->stream_whole) pol__out_release(run, path);
        free(path);
        if (st && run->stream_whole) {
            /* a step found it needs the whole item (nothing was written): start again whole */
            run->stream_whole = 0;
            pol__jv_set(run->item, "streamed_fallback", pol__jv_str(run->err ? run->err->msg : ""));
            pol__jv_set(run->item, "steps", pol__jv_arr());
            pol__jv_set(run->item, "passes", pol__jv_null());
            if (run->err) {
                run->err->code = POL_OK;
                run->err->msg[0] = '\0';
            }
            st = POL_OK;
            goto whole;
        }
        goto done;
    }
whole:

    if (d->parts && !x->made && x->n_members < 2) {
        /* A file of several parts the plan asks for one by one (every sheet of a workbook): each
         * is loaded, processed and written as <stem>.<part>.<ext>; the item's outputs still go
         * into place together. */
        char **names = NULL;
        size_t np = 0;
        st = d->parts(run, x->path, &names, &np);
        pol__jv *item_node = run->item;
        pol__jv *parts = np ? pol__jv_arr_at(item_node, "parts") : NULL;
        for (size_t i = 0; !st && i < np; i++) {
            pol__jv *node = pol__jv_push(parts, pol__jv_obj());
            if (!node) {
                st = pol__fail(run, POL_ERR_NOMEM, "out of memory");
                break;
            }
            pol__jv_set(node, "part", pol__jv_str(names[i]));
            run->item = node;
            run->part = x->part = names[i];
            st = run_item(c, x, p, d, dop, default_deliver, deliver_in_steps, docop, run);
            run->item = item_node;
            run->part = x->part = NULL;
            if (st) pol__jv_set(node, "status", pol__jv_str("failed"));
            /* the parts' outputs are the item's */
            pol__jv *outs = pol__jv_get(node, "outputs");
            if (outs) move_children(pol__jv_arr_at(item_node, "outputs"), outs);
        }
        for (size_t i = 0; i < np; i++) free(names[i]);
        free(names);
        if (st || np) goto done;
    }
    st = run_item(c, x, p, d, dop, default_deliver, deliver_in_steps, docop, run);
done:
    pol__args_free(default_deliver);
    free(plan_ops);
    free(plan_args);
    run->plan_ops = NULL;
    run->plan_args = NULL;
    run->plan_n = 0;
    return st;
}

typedef struct item_job {
    batch_ctx *c;
    size_t index;
} item_job;

/* Gives freed memory back to the system once a lot of it has piled up. glibc keeps what an item
 * freed inside its heaps, and an item's large buffers (a decoded photo, a spectrogram) land
 * between small blocks that live on (the item's report), so the holes are not always reused and
 * the resident size of a long batch grew with its length: 10,000 photos of 640x480 at -j 4 peaked
 * at 18.8 GB. A trim costs page faults on the next items' buffers (one at 64 MB of free memory cut
 * 300 photos at -j 1 from 435 to 101 MB but added 80% CPU), so it happens only when over 1 GB lies
 * free: a cap on what a long batch keeps (1,000 photos at -j 4: 1.38 GB before, 1.10 GB after),
 * not a cost on ordinary ones. */
#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define POL_ASAN 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__)
#define POL_ASAN 1
#endif
static void release_free_memory(void)
{
/* Under AddressSanitizer the allocator is ASan's, not glibc's: glibc's heaps hold nothing of the
 * items, and mallinfo2() walking them crashed once in a test run (SEGV in int_mallinfo). */
#if defined(__GLIBC__) && (__GLIBC__ > 2 || __GLIBC_MINOR__ >= 33) && !defined(POL_ASAN)
    struct mallinfo2 mi = mallinfo2();
    if (mi.fordblks > ((size_t)1 << 30)) malloc_trim(0);
#endif
}

static void item_task(void *arg)
{
    item_job *j = arg;
    batch_ctx *c = j->c;
    item *x = &c->it.v[j->index];
    if (pol_cancelled()) return; /* never started: not in the report */
    x->ran = 1;
    pol_err err;
    pol_err_clear(&err);
    x->node = pol__jv_obj();
    pol__jv_set(x->node, "input", pol__jv_str(x->path));
    if (x->n_members > 1) {
        pol__jv *m = pol__jv_arr_at(x->node, "members");
        for (size_t k = 0; k < x->n_members; k++) pol__jv_push(m, pol__jv_str(x->members[k]));
    }
    pol_run run = {.err = &err,
                   .opt = &c->opt,
                   .input = x->path,
                   .threads = c->threads,
                   .item = x->node,
                   .pool = c->pool,
                   .batch = c->bs,
                   .outdir = c->outdir,
                   .gate = c->gate,
                   .pending = pol__pending_new(),
                   .want_figures = c->want_thumbs || c->b->report_path != NULL,
                   .automatic = c->pipe->is_auto,
                   .stage = c->b->stage ? c->b->stage(x->path, c->b->select_user) : NULL,
                   .seq = x->seq.store ? &x->seq : NULL};
    if (x->node && run.stage) {
        pol__jv_set(x->node, "stage", pol__jv_int((long long)run.stage->stage));
        pol__jv_set(x->node, "stage_name", pol__jv_str(run.stage->name));
        pol__jv_set(x->node, "part", pol__jv_int((long long)run.stage->part));
    }
    if (x->node && run.seq) {
        pol__jv *sq = pol__jv_obj_at(x->node, "sequence");
        pol__jv_set(sq, "name", pol__jv_str(x->seq.name));
        pol__jv_set(sq, "frame", pol__jv_int(x->seq.frame));
        pol__jv_set(sq, "index", pol__jv_int((long long)x->seq.index));
        pol__jv_set(sq, "frames", pol__jv_int((long long)x->seq.count));
        if (x->seq.missing_before > 0) {
            pol__jv_set(sq, "missing_before", pol__jv_int(x->seq.missing_before));
            if (x->seq.missing_before == 1)
                pol__warn(&run, "a gap in the sequence %s: frame %lld is missing before frame %lld",
                          x->seq.name, x->seq.frame - 1, x->seq.frame);
            else
                pol__warn(&run, "a gap in the sequence %s: frames %lld to %lld (%lld) are missing "
                          "before frame %lld", x->seq.name, x->seq.frame - x->seq.missing_before,
                          x->seq.frame - 1, x->seq.missing_before, x->seq.frame);
        }
    }
    double t = pol__now();
    pol_status st = x->node && run.pending ? process(c, x, &run)
                                           : pol__fail(&run, POL_ERR_NOMEM, "out of memory");
    /* The item's outputs go into place together, or none of them. */
    st = pol__pending_settle(&run, run.pending, st);
    if (x->node) {
        pol__jv_set(pol__jv_obj_at(x->node, "seconds"), "total", pol__jv_num(pol__now() - t));
        pol__jv_set(x->node, "status",
                   pol__jv_str(st == POL_ERR_CANCELLED ? "cancelled" : st ? "failed" : "ok"));
        if (st) {
            if (!err.msg[0]) pol__fail(&run, st, "%s", pol_status_str(st));
            pol__jv *e = pol__jv_obj_at(x->node, "error");
            pol__jv_set(e, "code", pol__jv_str(pol_status_name(st)));
            pol__jv_set(e, "message", pol__jv_str(err.msg));
        }
    }
    x->failed = st != POL_OK;
    release_free_memory();
    pol__report_item_done(c->report, j->index, x->node, &x->thumbs);
    pthread_mutex_lock(&c->mu);
    c->done++;
    if (st) c->failed++;
    if (c->b->progress) {
        pol_progress pr = {c->done, c->failed, c->it.n, pol__now() - c->t0};
        c->b->progress(&pr, c->b->progress_user);
    }
    pthread_mutex_unlock(&c->mu);
}

/* A sequence's frames, in frame order, one after another (each an item of its own): what a step
 * keeps from a frame is there for the next. A frame that fails takes the kept state with it. */
static void seq_task(void *arg)
{
    item_job *j = arg;
    batch_ctx *c = j->c;
    item *first = &c->it.v[j->index];
    for (size_t k = 0; k < first->seq_run; k++) {
        item *x = &c->it.v[j->index + k];
        item_task(j + k);
        if (x->failed || !x->ran) pol__seq_store_clear(x->seq.store);
    }
    pol__seq_store_clear(first->seq.store);
}

/* ---- sequences of numbered frames ----------------------------------------------------------- */

static void seqs_free(batch_ctx *c)
{
    for (size_t s = 0; s < c->n_seqs; s++) {
        pol__seq_store_clear(&c->seq_stores[s]);
        free(c->seq_names[s]);
    }
    free(c->seq_names);
    free(c->seq_stores);
    c->seq_names = NULL, c->seq_stores = NULL, c->n_seqs = 0;
}

typedef struct seq_key {
    char *key;
    size_t i;
} seq_key;

static int cmp_seq_key(const void *a, const void *b)
{
    const seq_key *x = a, *y = b;
    int k = strcmp(x->key, y->key);
    return k ? k : x->i < y->i ? -1 : x->i > y->i;
}

/* Items numbered alike ("shot.0001.exr", "shot.0002.exr"; grouped "frame.0001.exr") of a domain
 * that runs sequences become one sequence: placed where its first item was, in frame order, gaps
 * in the numbering counted. Every item gets the number in its name (for an output pattern). */
static pol_status find_sequences(batch_ctx *c, pol_err *err)
{
    size_t n = c->it.n;
    seq_key *k = calloc(n ? n : 1, sizeof *k);
    item *v = calloc(n ? n : 1, sizeof *v);
    size_t *seq_of = calloc(n ? n : 1, sizeof *seq_of);
    pol_status st = k && v && seq_of ? POL_OK : POL_ERR_NOMEM;
    size_t nk = 0;
    for (size_t i = 0; i < n && !st; i++) {
        item *x = &c->it.v[i];
        seq_of[i] = SIZE_MAX;
        if (x->made) continue;
        char *key = NULL;
        int r = pol__frame_number(x->rel, &x->frame, &key, NULL);
        if (r < 0) st = POL_ERR_NOMEM;
        if (r <= 0) continue;
        x->has_frame = 1;
        k[nk++] = (seq_key){key, i};
    }
    /* items of one key, in frame order (then input order) */
    if (!st && nk) qsort(k, nk, sizeof *k, cmp_seq_key);
    const pol__domain *want = c->pipe->is_auto ? NULL : c->pipe->domain;
    for (size_t a = 0, b; a < nk && !st; a = b) {
        for (b = a + 1; b < nk && !strcmp(k[a].key, k[b].key); b++) {}
        if (b - a < 2) continue;
        /* frame order within the run (the key sorted them by input order) */
        for (size_t p = a + 1; p < b; p++)
            for (size_t q = p; q > a && c->it.v[k[q - 1].i].frame > c->it.v[k[q].i].frame; q--) {
                seq_key t = k[q];
                k[q] = k[q - 1], k[q - 1] = t;
            }
        const pol__domain *d = want ? want : pol__sniff_domain(c->it.v[k[a].i].path);
        if (!d || !d->sequences) continue;
        char **nn = realloc(c->seq_names, (c->n_seqs + 1) * sizeof *nn);
        pol__seq_store *ns = nn ? realloc(c->seq_stores, (c->n_seqs + 1) * sizeof *ns) : NULL;
        if (nn) c->seq_names = nn;
        if (ns) c->seq_stores = ns;
        char *name = NULL;
        long long fr;
        if (!nn || !ns || pol__frame_number(c->it.v[k[a].i].rel, &fr, NULL, &name) < 0) {
            st = POL_ERR_NOMEM;
            break;
        }
        size_t s = c->n_seqs++;
        c->seq_names[s] = name;
        memset(&c->seq_stores[s], 0, sizeof c->seq_stores[s]);
        for (size_t p = a; p < b; p++) {
            item *x = &c->it.v[k[p].i];
            long long prev = p > a ? c->it.v[k[p - 1].i].frame : x->frame - 1;
            x->seq = (pol__seq_frame){name, x->frame, p - a, b - a,
                                      x->frame - prev > 1 ? x->frame - prev - 1 : 0,
                                      NULL};
            seq_of[k[p].i] = s;
        }
    }
    /* the stores moved as sequences were added */
    for (size_t i = 0; i < n && !st; i++)
        if (seq_of[i] != SIZE_MAX) c->it.v[i].seq.store = &c->seq_stores[seq_of[i]];
    /* the new order: each sequence whole, in frame order, where its first item in input order
     * was (k lists each sequence's frames together, in frame order) */
    unsigned char *placed = st ? NULL : calloc(c->n_seqs ? c->n_seqs : 1, 1);
    if (!st && !placed) st = POL_ERR_NOMEM;
    size_t m = 0;
    for (size_t i = 0; i < n && !st; i++) {
        size_t s = seq_of[i];
        if (s == SIZE_MAX) {
            v[m++] = c->it.v[i];
            continue;
        }
        if (placed[s]) continue;
        placed[s] = 1;
        size_t head = m;
        for (size_t p = 0; p < nk; p++)
            if (seq_of[k[p].i] == s) v[m++] = c->it.v[k[p].i];
        v[head].seq_run = m - head;
    }
    free(placed);
    for (size_t p = 0; p < nk; p++) free(k[p].key);
    free(k);
    free(seq_of);
    if (st) {
        free(v);
        return pol__err_set(err, st, "out of memory finding sequences");
    }
    free(c->it.v);
    c->it.v = v;
    return POL_OK;
}

/* ---- items that are groups of files --------------------------------------------------------- */

/* The key a file joins a group by: "frame.0001.beauty.exr" -> "frame.0001.exr" (stem rule),
 * "shots/a.exr" -> "shots" (folder rule), "all" (all rule). */
static char *group_key(pol_group_rule rule, const char *rel)
{
    if (rule == POL_GROUP_ALL) return pol__strdup("all");
    const char *slash = strrchr(rel, '/');
    if (rule == POL_GROUP_FOLDER)
        return slash ? pol__strndup(rel, (size_t)(slash - rel)) : pol__strdup(".");
    const char *base = slash ? slash + 1 : rel;
    const char *last = strrchr(base, '.');
    if (!last || last == base) return pol__strdup(rel);
    const char *prev = last - 1;
    while (prev > base && *prev != '.') prev--;
    if (prev == base) return pol__strdup(rel); /* one dot: a group of its own */
    return pol__asprintf("%.*s%s", (int)(prev - rel), rel, last);
}

static int in_list(const char *const *list, const char *path)
{
    for (; list && *list; list++)
        if (!strcmp(*list, path)) return 1;
    return 0;
}

/* Folds c->it into groups (in order of each group's first member). */
static pol_status group_items(batch_ctx *c, const pol_batch *b, pol_err *err)
{
    size_t n = c->it.n, ng = 0;
    item *g = calloc(n ? n : 1, sizeof *g);
    char **keys = calloc(n ? n : 1, sizeof *keys);
    if (!g || !keys) goto oom;
    for (size_t i = 0; i < n; i++) {
        const item *x = &c->it.v[i];
        char *key = NULL;
        if (b->group == POL_GROUP_LIST) {
            for (size_t k = 0; k < b->n_groups && !key; k++)
                if (in_list(b->groups[k], x->path)) key = pol__asprintf("#%zu", k);
            if (!key) key = pol__asprintf("=%s", x->path); /* not listed: alone */
        } else {
            key = group_key(b->group, x->rel);
        }
        if (!key) goto oom;
        size_t k = 0;
        while (k < ng && strcmp(keys[k], key)) k++;
        if (k == ng) {
            keys[ng] = key;
            g[ng].path = x->path;
            g[ng].rel = x->rel;
            ng++;
        } else {
            free(key);
        }
        const char **m = realloc(g[k].members, (g[k].n_members + 1) * sizeof *m);
        if (!m) goto oom;
        g[k].members = m;
        g[k].members[g[k].n_members++] = x->path;
    }
    for (size_t k = 0; k < ng; k++) {
        if (g[k].n_members < 2) continue;
        /* the group's output: its key, with the first member's extension */
        const char *key = keys[k];
        if (key[0] == '#' || key[0] == '=' || b->group == POL_GROUP_FOLDER ||
            b->group == POL_GROUP_ALL) {
            const char *ext = pol__path_ext(g[k].rel);
            g[k].group_rel = key[0] == '#' ? pol__asprintf("group-%s.%s", key + 1, ext)
                                           : pol__asprintf("%s.%s", key[0] == '.' ? "all" : key, ext);
        } else {
            g[k].group_rel = pol__strdup(key);
        }
        if (!g[k].group_rel) goto oom;
        g[k].rel = g[k].group_rel;
    }
    for (size_t k = 0; k < ng; k++) free(keys[k]);
    free(keys);
    free(c->it.v);
    c->it.v = g;
    c->it.n = ng;
    return POL_OK;
oom:
    if (g)
        for (size_t k = 0; k < n; k++) {
            free(g[k].members);
            free(g[k].group_rel);
        }
    if (keys)
        for (size_t k = 0; k < n; k++) free(keys[k]);
    free(g);
    free(keys);
    return pol__err_set(err, POL_ERR_NOMEM, "out of memory grouping the inputs");
}

/* Loads an item: one file through the domain's load, a group through its load_group. */
static pol_status load_item(pol_run *run, const pol__domain *d, const item *x, pol_asset **a)
{
    if (x->n_members < 2) return d->load(run, x->path, a);
    if (!d->load_group)
        return pol__fail(run, POL_ERR_UNSUPPORTED, "the %s domain does not load groups of files",
                         d->name);
    for (size_t i = 1; i < x->n_members; i++) { /* every member is of the item's domain */
        const pol__domain *md;
        pol_status st = pol__recognise(run, x->members[i], d, &md);
        if (st) return st;
    }
    return d->load_group(run, x->members, x->n_members, a);
}

/* The folder output ports land in: -o's folder, or the folder of the one output file. */
static char *ports_dir(const pol_batch *b)
{
    if (b->outdir) return pol__strdup(b->outdir);
    if (b->outfile) {
        const char *slash = strrchr(b->outfile, '/');
        if (slash) return pol__strndup(b->outfile, slash == b->outfile ? 1 : (size_t)(slash - b->outfile));
    }
    return pol__strdup(".");
}

static pol_status batch_run(const pol_pipeline *p, const char *const *inputs, size_t n_inputs,
                            const pol_batch *b, pol_report *report, pol_batch_result *res,
                            pol_err *err);

pol_status pol_batch_run(const pol_pipeline *p, const char *const *inputs, size_t n_inputs,
                         const pol_batch *b, pol_report *report, pol_batch_result *res,
                         pol_err *err)
{
    pol_err_clear(err);
    if (res) memset(res, 0, sizeof *res);
    if (!p || !b || (!inputs && n_inputs))
        return pol__err_set(err, POL_ERR_ARG, "pol_batch_run: missing argument");
    if (b->group == POL_GROUP_LIST) { /* the groups name the inputs */
        size_t n = 0;
        for (size_t k = 0; k < b->n_groups; k++)
            for (const char *const *m = b->groups[k]; m && *m; m++) n++;
        const char **flat = calloc(n ? n : 1, sizeof *flat);
        if (!flat) return pol__err_set(err, POL_ERR_NOMEM, "out of memory");
        n = 0;
        for (size_t k = 0; k < b->n_groups; k++)
            for (const char *const *m = b->groups[k]; m && *m; m++) flat[n++] = *m;
        pol_batch b2 = *b;
        b2.group = POL_GROUP_LIST;
        b2.groups = b->groups;
        pol_status st = POL_ERR_ARG;
        if (n) {
            b2.n_groups = b->n_groups;
            st = batch_run(p, flat, n, &b2, report, res, err);
        } else {
            pol__err_set(err, POL_ERR_ARG, "no groups of files given");
        }
        free(flat);
        return st;
    }
    return batch_run(p, inputs, n_inputs, b, report, res, err);
}

static pol_status batch_run(const pol_pipeline *p, const char *const *inputs, size_t n_inputs,
                            const pol_batch *b, pol_report *report, pol_batch_result *res,
                            pol_err *err)
{
    /* An op that makes its item (a generator, or one that reads only its ports) runs once. */
    int made = n_inputs == 0 && !p->is_auto && p->n_steps &&
               (p->steps[0].op->flags & POL_OP_NO_INPUT) && b->group == POL_GROUP_NONE;
    if (n_inputs == 0 && !made) return pol__err_set(err, POL_ERR_ARG, "no input files");
    if (b->mode == POL_BATCH_PROCESS) {
        pol_status st = pol_pipeline_check(p, err);
        if (st) return st;
    }
    batch_ctx c;
    memset(&c, 0, sizeof c);
    c.pipe = p;
    c.b = b;
    if (b->options)
        c.opt = *b->options;
    else
        pol_options_default(&c.opt);
    pol__pipeline_apply_limits(p, &c.opt.limits);
    c.want_thumbs = report && report->want_thumbs;
    c.report = report;
    c.t0 = pol__now();
    if ((b->outdir && !*b->outdir) || (b->outfile && !*b->outfile))
        return pol__err_set(err, POL_ERR_ARG, "the output path is empty");
    if (b->outdir && b->outfile)
        return pol__err_set(err, POL_ERR_ARG, "an output folder or an output file, not both");
    int writes = b->mode == POL_BATCH_PROCESS && !c.opt.dry_run;
    struct stat ost;
    const char *outp = b->outdir ? b->outdir : b->outfile;
    for (size_t i = 0; writes && outp && i < n_inputs && stat(outp, &ost) == 0; i++) {
        struct stat ist;
        if (stat(inputs[i], &ist) == 0 && ist.st_dev == ost.st_dev && ist.st_ino == ost.st_ino)
            return pol__err_set(err, POL_ERR_ARG,
                                "the output %s is the input %s; polish never writes over its "
                                "inputs, even with --overwrite",
                                outp, inputs[i]);
    }
    pol__inputs in;
    const pol__domain *want = p->is_auto ? NULL : p->domain;
    pol_status st = pol__inputs_collect(&in, inputs, n_inputs, writes ? b->outdir : NULL, want, err);
    if (st) return st;
    if (in.n == 0 && !made) {
        pol_status rs = in.skipped->n
                            ? pol__err_set(err, POL_ERR_NOT_FOUND,
                                           "no usable files in the given folders (%zu left out, "
                                           "e.g. %s: %s)",
                                           in.skipped->n,
                                           pol__jv_get(in.skipped->first, "path")->str,
                                           pol__jv_get(in.skipped->first, "reason")->str)
                            : pol__err_set(err, POL_ERR_NOT_FOUND,
                                           "no files found in the given folders");
        pol__inputs_free(&in);
        return rs;
    }
    c.out_pattern = b->outfile && pol_path_is_frame_pattern(b->outfile);
    if (b->outfile && in.n > 1 && b->group == POL_GROUP_NONE && !c.out_pattern) {
        pol__inputs_free(&in);
        return pol__err_set(err, POL_ERR_ARG, "several inputs need an output folder, not a file");
    }
    /* Refusals that need no item: the output or the report is an input (or an input folder). */
    if (writes && outp && stat(outp, &ost) == 0 && pol__inputs_has(&in, ost.st_dev, ost.st_ino)) {
        pol__inputs_free(&in);
        return pol__err_set(err, POL_ERR_ARG,
                            "the output %s is an input (or an input folder); polish never writes "
                            "over its inputs, even with --overwrite",
                            outp);
    }
    if (b->report_path && stat(b->report_path, &ost) == 0 &&
        (pol__inputs_has(&in, ost.st_dev, ost.st_ino) || !S_ISREG(ost.st_mode))) {
        pol__inputs_free(&in);
        return pol__err_set(err, POL_ERR_ARG,
                            "the report %s would replace %s; name another report file",
                            b->report_path, S_ISREG(ost.st_mode) ? "an input" : "a non-file");
    }
    if (b->report_path && !c.opt.overwrite) {
        pol_err rerr;
        pol_err_clear(&rerr);
        if (pol__gate_report(NULL, b->report_path, &rerr)) {
            pol__inputs_free(&in);
            return pol__err_set(err, POL_ERR_ARG, "%s", rerr.msg);
        }
    }
    /* A folder that cannot be made fails each item with the reason (save_to). */
    if (writes && b->outdir) mkdir_p(b->outdir);
    if (writes && c.opt.skip_existing && !b->select)
        pol__out_remove_stale(b->outdir ? b->outdir : NULL);
    /* inspect and --dry-run get a gate that allows no write at all */
    /* A document op without -o writes nothing of its own; the files its ports name stay in the
     * current folder. */
    const char *gate_dir = b->outdir;
    if (!b->outdir && !b->outfile && document_op(p)) gate_dir = ".";
    char *pattern_dir = NULL; /* -o shot.####.png: the frames go into its folder */
    if (c.out_pattern) {
        const char *slash = strrchr(b->outfile, '/');
        pattern_dir = slash ? pol__strndup(b->outfile, slash == b->outfile ? 1 : (size_t)(slash - b->outfile))
                            : pol__strdup(".");
        if (pattern_dir && writes) mkdir_p(pattern_dir);
    }
    c.gate = c.out_pattern ? (pattern_dir ? pol__gate_new(&in, writes ? pattern_dir : NULL, NULL, &c.opt) : NULL)
                           : pol__gate_new(&in, writes ? gate_dir : NULL, writes ? b->outfile : NULL, &c.opt);
    free(pattern_dir);
    c.it.v = c.gate ? calloc(made ? 1 : in.n, sizeof *c.it.v) : NULL;
    if (!c.it.v) {
        pol__gate_free(c.gate);
        pol__inputs_free(&in);
        return pol__err_set(err, POL_ERR_NOMEM, "out of memory listing the inputs");
    }
    c.it.n = in.n;
    for (size_t i = 0; i < in.n; i++) {
        c.it.v[i].path = in.v[i].path;
        c.it.v[i].rel = in.v[i].rel;
    }
    if (made) {
        const pol_op_desc *op0 = p->steps[0].op;
        item *x = &c.it.v[0];
        x->made = 1;
        x->path = pol__asprintf("%s.%s", op0->domain, op0->name); /* freed with the items */
        x->rel = x->path ? strchr(x->path, '.') + 1 : NULL;
        if (!x->path) {
            free(c.it.v);
            pol__gate_free(c.gate);
            pol__inputs_free(&in);
            return pol__err_set(err, POL_ERR_NOMEM, "out of memory");
        }
        c.it.n = 1;
    }
    if (b->group != POL_GROUP_NONE && (st = group_items(&c, b, err))) {
        free(c.it.v);
        pol__gate_free(c.gate);
        pol__inputs_free(&in);
        return st;
    }
    if (b->outfile && c.it.n > 1 && !c.out_pattern)
        st = pol__err_set(err, POL_ERR_ARG, "several items need an output folder, not a file");
    if (!st && b->select) { /* one shard: only its items */
        size_t keep = 0;
        for (size_t i = 0; i < c.it.n; i++) {
            if (b->select(c.it.v[i].path, b->select_user)) {
                c.it.v[keep++] = c.it.v[i];
            } else {
                free(c.it.v[i].members);
                free(c.it.v[i].group_rel);
            }
        }
        c.it.n = keep;
    }
    if (!st) st = find_sequences(&c, err);
    for (size_t i = 0; !st && c.out_pattern && i < c.it.n; i++)
        if (!c.it.v[i].has_frame)
            st = pol__err_set(err, POL_ERR_ARG, "-o %s numbers its outputs, but %s has no frame "
                              "number in its name", b->outfile, c.it.v[i].path);
    if (st) {
        for (size_t i = 0; i < c.it.n; i++) {
            free(c.it.v[i].members);
            free(c.it.v[i].group_rel);
        }
        free(c.it.v);
        pol__gate_free(c.gate);
        pol__inputs_free(&in);
        seqs_free(&c);
        return st;
    }
    c.threads = c.opt.threads > 0 ? c.opt.threads : pol__cpu_count();
    c.outdir = ports_dir(b);
    if (c.outdir && writes && pol__ports_check(p, c.outdir, c.gate, err)) {
        seqs_free(&c);
        free(c.outdir);
        free(c.it.v);
        pol__gate_free(c.gate);
        pol__inputs_free(&in);
        return POL_ERR_ARG;
    }
    c.bs = pol__batch_state_new(&c.opt, c.outdir, c.gate);
    c.pool = c.threads > 1 ? pol__pool_new(c.threads) : NULL;
    item_job *jobs = calloc(c.it.n, sizeof *jobs);
    if (!c.outdir || !c.bs || !jobs || (c.threads > 1 && !c.pool)) {
        pol__pool_free(c.pool);
        pol__batch_state_end(c.bs, 0, err);
        seqs_free(&c);
        free(c.outdir);
        free(jobs);
        free(c.it.v);
        pol__gate_free(c.gate);
        pol__inputs_free(&in);
        return pol__err_set(err, POL_ERR_NOMEM, "out of memory starting the batch");
    }
    pthread_mutex_init(&c.mu, NULL);
    /* Every item is a task of the one pool; the ops' loops and the delivery targets queue their
     * parts on the same pool, ahead of items not yet started. */
    pol__task_group g = {0};
    for (size_t i = 0; i < c.it.n; i++) jobs[i] = (item_job){&c, i};
    for (size_t i = 0; i < c.it.n; i++) {
        if (c.it.v[i].seq_run) /* a sequence: its frames in order, one task */
            pol__pool_submit(c.pool, &g, seq_task, &jobs[i], 0);
        else if (!c.it.v[i].seq.store)
            pol__pool_submit(c.pool, &g, item_task, &jobs[i], 0);
    }
    pol__pool_wait(c.pool, &g);
    pol__pool_free(c.pool);
    pthread_mutex_destroy(&c.mu);
    free(jobs);
    seqs_free(&c);
    int cancelled = pol_cancelled();
    pol_err berr;
    pol_err_clear(&berr);
    /* Per-batch outputs hold what finished items wrote: kept on cancel too, like the report. */
    pol_status bst = pol__batch_state_end(c.bs, 1, &berr);
    free(c.outdir);

    size_t failed = 0, ran = 0, interrupted = 0;
    for (size_t i = 0; i < c.it.n; i++) {
        item *x = &c.it.v[i];
        if (x->ran) {
            ran++;
            failed += x->failed;
            pol__jv *stn = pol__jv_get(x->node, "status");
            interrupted += stn && stn->str && !strcmp(stn->str, "cancelled");
        }
        if (report && x->ran)
            pol__report_add_item(report, x->node, &x->thumbs);
        else {
            pol__jv_free(x->node);
            free(x->thumbs.before);
            free(x->thumbs.after);
        }
        free(x->members);
        free(x->group_rel);
        if (x->made) free(x->path);
    }
    size_t total = c.it.n;
    free(c.it.v);
    if (report && in.skipped->n) {
        pol__report_set_skipped(report, in.skipped);
        in.skipped = NULL;
    }
    if (report)
        pol__report_set_gate(report, c.gate);
    else
        pol__gate_free(c.gate);
    pol__inputs_free(&in);
    if (report) {
        pol__report_set_summary(report, total, ran - failed, failed - interrupted,
                                pol__now() - c.t0);
        if (cancelled) pol__report_set_cancelled(report, total - ran + interrupted);
        pol__report_stream_end(report);
    }
    if (res) {
        res->total = total;
        res->failed = failed - interrupted;
        res->ok = ran - failed;
        res->cancelled = total - ran + interrupted;
    }
    if (bst) {
        *err = berr;
        return bst;
    }
    if (cancelled)
        return pol__err_set(err, POL_ERR_CANCELLED, "cancelled: %zu of %zu items finished",
                            ran - interrupted, total);
    if (failed)
        return pol__err_set(err, POL_ERR_PARTIAL, "%zu of %zu items failed", failed, total);
    return POL_OK;
}
