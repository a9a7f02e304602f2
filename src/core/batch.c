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
#include "core/inputs.h"
#include "core/pipeline.h"
#include "core/report.h"

typedef struct item {
    char *path; /* as given or found (owned by the batch's pol__inputs) */
    char *rel;  /* output-relative name: base name, or the path inside a given folder */
    pol_jv *node;
    pol_thumbs thumbs;
    int failed;
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
    size_t next;
    int item_threads;
    int want_thumbs;
    pthread_mutex_t mu;
    size_t done, failed;
    double t0;
} batch_ctx;

static pol_jv *step_node(pol_run *run, const pol_op_desc *op, const pol_args *a)
{
    pol_jv *s = pol_jv_obj();
    if (!s) return NULL;
    char *name = pol__asprintf("%s.%s", op->domain, op->name);
    pol_jv_set(s, "op", pol_jv_str(name));
    free(name);
    pol_jv *args = pol__args_json(a);
    if (args && args->n)
        pol_jv_set(s, "args", args);
    else
        pol_jv_free(args);
    return pol_jv_push(pol_jv_arr_at(run->item, "steps"), s); /* NULL when out of memory */
}

static pol_status run_op(pol_run *run, const pol_op_desc *op, const pol_args *a, pol_asset *asset,
                         const char *target)
{
    pol_jv *s = step_node(run, op, a);
    if (target) pol_jv_set(s, "target", pol_jv_str(target));
    run->step = s;
    run->declined = 0;
    double t = pol__now();
    pol_status st = op->run(run, asset, a);
    pol_jv_set(s, "seconds", pol_jv_num(pol__now() - t));
    pol_jv_set(s, "status", pol_jv_str(st ? "failed" : run->declined ? "declined" : "applied"));
    run->step = NULL;
    return st;
}

/* out/<target>/<rel>, with the extension the domain will write. */
static char *out_path(const batch_ctx *c, const item *x, const char *target, pol_asset *a)
{
    if (c->b->outfile && !target) return pol__strdup(c->b->outfile);
    const char *dir = c->b->outdir ? c->b->outdir : ".";
    char *rel = pol__strdup(x->rel);
    if (!rel) return NULL;
    const char *ext = a && a->domain->out_ext ? a->domain->out_ext(a) : NULL;
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
    pol_jv *secs = pol_jv_obj_at(run->item, "seconds");
    pol_jv *prev = pol_jv_get(secs, "save");
    pol_jv_set(secs, "save", pol_jv_num((prev ? prev->num : 0) + pol__now() - t));
    free(path);
    return st;
}

/* ---- delivery targets in parallel ----------------------------------------------------------- */

typedef struct target_job {
    const batch_ctx *c;
    const item *x;
    const pol_pipeline *p;
    const pol_op_desc *dop;
    pol_asset *asset; /* this target's copy */
    pol_run run;      /* with its own error and report node, merged after */
    pol_err err;
    pol_status st;
} target_job;

typedef struct target_pool {
    target_job *jobs;
    size_t n, next;
} target_pool;

static void *target_worker(void *arg)
{
    target_pool *tp = arg;
    for (;;) {
        size_t i = __atomic_fetch_add(&tp->next, 1, __ATOMIC_RELAXED);
        if (i >= tp->n) return NULL;
        target_job *j = &tp->jobs[i];
        const char *name = j->p->targets[i].name;
        j->st = run_op(&j->run, j->dop, j->p->targets[i].args, j->asset, name);
        if (!j->st) j->st = save_to(&j->run, j->c, j->x, name, j->asset);
    }
}

static void move_children(pol_jv *dst, pol_jv *src)
{
    if (!src) return;
    for (pol_jv *k = src->first, *next; k; k = next) {
        next = k->next;
        pol_jv_push(dst, k);
    }
    src->first = src->last = NULL;
    src->n = 0;
}

/* One decode, several deliveries: each target works on its own copy (pixels are shared until
 * written), and the targets run side by side on the item's threads, so one core encodes while
 * another resizes. Their steps and outputs join the item's report in target order. */
static pol_status deliver_targets(const batch_ctx *c, const item *x, const pol_pipeline *p,
                                  const pol_op_desc *dop, pol_asset *a, pol_run *run)
{
    size_t n = p->n_targets;
    target_job *jobs = calloc(n, sizeof *jobs);
    if (!jobs) return pol__fail(run, POL_ERR_NOMEM, "out of memory");
    size_t workers = run->threads > 1 ? (size_t)run->threads : 1;
    if (workers > n) workers = n;
    int inner = run->threads / (int)workers;
    pol_status st = POL_OK;
    for (size_t i = 0; i < n; i++) {
        target_job *j = &jobs[i];
        *j = (target_job){.c = c, .x = x, .p = p, .dop = dop, .run = *run};
        pol_err_clear(&j->err);
        j->run.err = &j->err;
        j->run.threads = inner > 0 ? inner : 1;
        j->run.item = pol_jv_obj();
        j->asset = pol__asset_clone(a);
        if (!j->asset || !j->run.item) {
            st = pol__fail(run, POL_ERR_NOMEM, "out of memory copying for %s", p->targets[i].name);
            break;
        }
    }
    if (!st) {
        target_pool tp = {jobs, n, 0};
        pthread_t tids[64];
        size_t started = 0;
        for (size_t t = 1; t < workers && t < 64; t++) {
            if (pthread_create(&tids[started], NULL, target_worker, &tp) != 0) break;
            started++;
        }
        target_worker(&tp);
        for (size_t t = 0; t < started; t++) pthread_join(tids[t], NULL);
    }
    pol_jv *secs = pol_jv_obj_at(run->item, "seconds");
    double save = 0;
    for (size_t i = 0; i < n; i++) {
        target_job *j = &jobs[i];
        if (j->run.item) {
            move_children(pol_jv_arr_at(run->item, "steps"), pol_jv_get(j->run.item, "steps"));
            move_children(pol_jv_arr_at(run->item, "outputs"), pol_jv_get(j->run.item, "outputs"));
            pol_jv *js = pol_jv_get(pol_jv_get(j->run.item, "seconds"), "save");
            if (js) save += js->num;
            pol_jv_free(j->run.item);
        }
        if (!st && j->st) {
            st = j->st;
            *run->err = j->err;
        }
        pol__asset_unref(j->asset);
    }
    pol_jv_set(secs, "save", pol_jv_num(save));
    free(jobs);
    return st;
}

/* --skip-existing: every output this item would write is there. Outputs are moved into place only
 * once complete and all together, so one that exists is whole. */
static int outputs_exist(const batch_ctx *c, const item *x, const pol_pipeline *p)
{
    size_t n = p->n_targets ? p->n_targets : 1;
    for (size_t i = 0; i < n; i++) {
        char *op = out_path(c, x, p->n_targets ? p->targets[i].name : NULL, NULL);
        struct stat st;
        int there = op && stat(op, &st) == 0 && S_ISREG(st.st_mode);
        free(op);
        if (!there) return 0;
    }
    return 1;
}

static pol_status process(batch_ctx *c, item *x, pol_run *run)
{
    const pol_domain *want = c->pipe->is_auto ? NULL : c->pipe->domain;
    const pol_domain *d;
    pol_status st = pol__recognise(run, x->path, want, &d);
    if (st) return st;
    pol_jv_set(run->item, "domain", pol_jv_str(d->name));
    const pol_pipeline *p = pol__pipeline_for(c->pipe, d);
    if (!p) return pol__fail(run, POL_ERR_UNSUPPORTED, "no %s recipe", d->name);
    const pol_op_desc *dop = pol_domain_deliver_op(d->name);

    if (c->b->mode == POL_BATCH_INSPECT) {
        if (!d->inspect)
            return pol__fail(run, POL_ERR_UNSUPPORTED, "%s has no inspection", d->name);
        pol_asset *a = NULL;
        double t = pol__now();
        st = d->load(run, x->path, &a);
        pol_jv_set(pol_jv_obj_at(run->item, "seconds"), "load", pol_jv_num(pol__now() - t));
        if (!st) st = d->inspect(run, a);
        pol__asset_unref(a);
        return st;
    }

    int deliver_in_steps = p->n_steps && dop && p->steps[p->n_steps - 1].op == dop;
    if (c->opt.dry_run) {
        pol_jv_set(run->item, "dry_run", pol_jv_bool(1));
        for (size_t i = 0; i < p->n_steps; i++)
            pol_jv_set(step_node(run, p->steps[i].op, p->steps[i].args), "status",
                       pol_jv_str("planned"));
        if (p->n_targets)
            for (size_t i = 0; i < p->n_targets; i++) {
                char *op = out_path(c, x, p->targets[i].name, NULL);
                pol_jv_push(pol_jv_arr_at(run->item, "would_write"), pol_jv_str(op));
                free(op);
            }
        else {
            char *op = out_path(c, x, NULL, NULL);
            pol_jv_push(pol_jv_arr_at(run->item, "would_write"), pol_jv_str(op));
            free(op);
        }
        return POL_OK;
    }

    if (c->opt.skip_existing && outputs_exist(c, x, p)) {
        pol_jv_set(run->item, "skipped", pol_jv_str("its outputs exist (--skip-existing)"));
        return POL_OK;
    }

    /* The plan, for loaders that can decode at reduced scale. */
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
            default_deliver = p->deliver ? pol__args_clone(p->deliver) : pol__args_new(dop);
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

    pol_asset *a = NULL;
    double t = pol__now();
    st = d->load(run, x->path, &a);
    pol_jv *secs = pol_jv_obj_at(run->item, "seconds");
    pol_jv_set(secs, "load", pol_jv_num(pol__now() - t));
    if (!st && c->want_thumbs && d->thumbnail) {
        pol_err ignore;
        pol_run trun = *run;
        trun.err = &ignore;
        trun.item = NULL;
        d->thumbnail(&trun, a, 320, &x->thumbs.before, &x->thumbs.before_len);
    }
    t = pol__now();
    for (size_t i = 0; !st && i < p->n_steps; i++)
        st = run_op(run, p->steps[i].op, p->steps[i].args, a, NULL);
    pol_jv_set(secs, "steps", pol_jv_num(pol__now() - t));
    if (!st && c->want_thumbs && d->thumbnail) {
        pol_err ignore;
        pol_run trun = *run;
        trun.err = &ignore;
        trun.item = NULL;
        d->thumbnail(&trun, a, 320, &x->thumbs.after, &x->thumbs.after_len);
    }
    if (!st) {
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
    pol__args_free(default_deliver);
    free(plan_ops);
    free(plan_args);
    run->plan_ops = NULL;
    run->plan_args = NULL;
    run->plan_n = 0;
    return st;
}

static void *worker(void *arg)
{
    batch_ctx *c = arg;
    for (;;) {
        pthread_mutex_lock(&c->mu);
        size_t i = c->next++;
        pthread_mutex_unlock(&c->mu);
        if (i >= c->it.n) break;
        item *x = &c->it.v[i];
        pol_err err;
        pol_err_clear(&err);
        x->node = pol_jv_obj();
        pol_jv_set(x->node, "input", pol_jv_str(x->path));
        pol_run run = {.err = &err,
                       .opt = &c->opt,
                       .input = x->path,
                       .threads = c->item_threads,
                       .item = x->node,
                       .gate = c->gate,
                       .pending = pol__pending_new()};
        double t = pol__now();
        pol_status st = x->node && run.pending ? process(c, x, &run)
                                               : pol__fail(&run, POL_ERR_NOMEM, "out of memory");
        /* The item's outputs go into place together, or none of them. */
        st = pol__pending_settle(&run, run.pending, st);
        if (x->node) {
            pol_jv_set(pol_jv_obj_at(x->node, "seconds"), "total", pol_jv_num(pol__now() - t));
            pol_jv_set(x->node, "status", pol_jv_str(st ? "failed" : "ok"));
            if (st) {
                if (!err.msg[0]) pol__fail(&run, st, "%s", pol_status_str(st));
                pol_jv *e = pol_jv_obj_at(x->node, "error");
                pol_jv_set(e, "code", pol_jv_str(pol_status_name(st)));
                pol_jv_set(e, "message", pol_jv_str(err.msg));
            }
        }
        x->failed = st != POL_OK;
        pthread_mutex_lock(&c->mu);
        c->done++;
        if (st) c->failed++;
        if (c->b->progress) {
            pol_progress pr = {c->done, c->failed, c->it.n, pol__now() - c->t0};
            c->b->progress(&pr, c->b->progress_user);
        }
        pthread_mutex_unlock(&c->mu);
    }
    return NULL;
}

pol_status pol_batch_run(const pol_pipeline *p, const char *const *inputs, size_t n_inputs,
                         const pol_batch *b, pol_report *report, pol_batch_result *res,
                         pol_err *err)
{
    pol_err_clear(err);
    if (res) memset(res, 0, sizeof *res);
    if (!p || !b || (!inputs && n_inputs))
        return pol__err_set(err, POL_ERR_ARG, "pol_batch_run: missing argument");
    if (n_inputs == 0) return pol__err_set(err, POL_ERR_ARG, "no input files");
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
    const pol_domain *want = p->is_auto ? NULL : p->domain;
    pol_status st = pol__inputs_collect(&in, inputs, n_inputs, writes ? b->outdir : NULL, want, err);
    if (st) return st;
    if (in.n == 0) {
        pol_status rs = in.skipped->n
                            ? pol__err_set(err, POL_ERR_NOT_FOUND,
                                           "no usable files in the given folders (%zu left out, "
                                           "e.g. %s: %s)",
                                           in.skipped->n,
                                           pol_jv_get(in.skipped->first, "path")->str,
                                           pol_jv_get(in.skipped->first, "reason")->str)
                            : pol__err_set(err, POL_ERR_NOT_FOUND,
                                           "no files found in the given folders");
        pol__inputs_free(&in);
        return rs;
    }
    if (b->outfile && in.n > 1) {
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
    if (writes && c.opt.skip_existing) pol__out_remove_stale(b->outdir ? b->outdir : NULL);
    {
        /* inspect and --dry-run get a gate that allows no write at all */
        c.gate = pol__gate_new(&in, writes ? b->outdir : NULL, writes ? b->outfile : NULL, &c.opt);
        if (!c.gate) {
            pol__inputs_free(&in);
            return pol__err_set(err, POL_ERR_NOMEM, "out of memory");
        }
    }
    c.it.v = calloc(in.n, sizeof *c.it.v);
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

    int threads = c.opt.threads > 0 ? c.opt.threads : pol__cpu_count();
    size_t workers = (size_t)threads < c.it.n ? (size_t)threads : c.it.n;
    /* Cores left over when there are fewer items than threads go to the items themselves. */
    c.item_threads = threads / (int)workers;
    if (c.item_threads < 1) c.item_threads = 1;
    pthread_mutex_init(&c.mu, NULL);
    pthread_t *tids = calloc(workers, sizeof *tids);
    size_t started = 0;
    for (size_t i = 1; tids && i < workers; i++) {
        if (pthread_create(&tids[i], NULL, worker, &c) != 0) break;
        started++;
    }
    worker(&c);
    for (size_t i = 1; i <= started; i++) pthread_join(tids[i], NULL);
    free(tids);
    pthread_mutex_destroy(&c.mu);

    size_t failed = 0;
    for (size_t i = 0; i < c.it.n; i++) {
        item *x = &c.it.v[i];
        failed += x->failed;
        if (report)
            pol__report_add_item(report, x->node, &x->thumbs);
        else {
            pol_jv_free(x->node);
            free(x->thumbs.before);
            free(x->thumbs.after);
        }
    }
    if (report && in.skipped->n) {
        pol__report_set_skipped(report, in.skipped);
        in.skipped = NULL;
    }
    if (report)
        pol__report_set_gate(report, c.gate);
    else
        pol__gate_free(c.gate);
    pol__inputs_free(&in);
    if (report) pol__report_set_summary(report, c.it.n, c.it.n - failed, failed, pol__now() - c.t0);
    if (res) {
        res->total = c.it.n;
        res->failed = failed;
        res->ok = c.it.n - failed;
    }
    free(c.it.v);
    if (failed)
        return pol__err_set(err, POL_ERR_PARTIAL, "%zu of %zu items failed", failed, c.it.n);
    return POL_OK;
}
