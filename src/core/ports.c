/* polish — inputs shared by a batch's items (a master list, a reference photo: loaded once,
 * read-only, reference-counted) and outputs that collect every item's contribution (one
 * explanation file per batch), written to a temporary file and committed when the batch ends. */
#include <limits.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include "core/args.h"
#include "core/pipeline.h"
#include "core/ports.h"

typedef struct shared_in {
    char *path;
    const pol__domain *domain;
    int loading, loaded;
    pol_asset *asset;
    pol_status st;
    char msg[sizeof(((pol_err *)0)->msg)];
    struct shared_in *next;
} shared_in;

typedef struct batch_out {
    char *path; /* resolved */
    pol__outfile of;
    int open;
    size_t writes;
    struct batch_out *next;
} batch_out;

struct pol__batch_state {
    pol__gate *gate; /* the batch's write gate (not owned) */
    pthread_mutex_t mu;
    pthread_cond_t loaded;
    const pol_options *opt;
    char *outdir;
    shared_in *ins;
    batch_out *outs;
    size_t loads;
};

pol__batch_state *pol__batch_state_new(const pol_options *opt, const char *outdir, pol__gate *gate)
{
    pol__batch_state *bs = calloc(1, sizeof *bs);
    if (!bs) return NULL;
    if (!(bs->outdir = pol__strdup(outdir && *outdir ? outdir : "."))) {
        free(bs);
        return NULL;
    }
    bs->opt = opt;
    bs->gate = gate;
    pthread_mutex_init(&bs->mu, NULL);
    pthread_cond_init(&bs->loaded, NULL);
    return bs;
}

size_t pol__batch_state_loads(const pol__batch_state *bs)
{
    return bs ? bs->loads : 0;
}

pol_status pol__batch_state_end(pol__batch_state *bs, int commit, pol_err *err)
{
    if (!bs) return POL_OK;
    pol_status st = POL_OK;
    for (batch_out *o = bs->outs, *next; o; o = next) {
        next = o->next;
        if (o->open) {
            if (commit && !st) {
                pol_run run = {.err = err, .opt = bs->opt, .input = o->path, .gate = bs->gate};
                st = pol__out_commit(&run, &o->of);
            } else {
                pol__out_abort(&o->of);
            }
        }
        free(o->path);
        free(o);
    }
    for (shared_in *s = bs->ins, *next; s; s = next) {
        next = s->next;
        pol__asset_unref(s->asset);
        free(s->path);
        free(s);
    }
    pthread_cond_destroy(&bs->loaded);
    pthread_mutex_destroy(&bs->mu);
    free(bs->outdir);
    free(bs);
    return st;
}

/* Loads `path` with `d` under the given run's options; errors name the file. */
static pol_status load_one(pol_run *run, const pol__domain *d, const char *path, pol_asset **out,
                           char *msg, size_t msg_size)
{
    pol_err e;
    pol_err_clear(&e);
    pol_run lrun = *run;
    lrun.err = &e;
    lrun.input = path;
    lrun.item = NULL;
    lrun.step = NULL;
    lrun.plan_n = 0; /* the item's plan says nothing about this file */
    pol_status st = d->load ? d->load(&lrun, path, out)
                            : pol__fail(&lrun, POL_ERR_UNSUPPORTED, "%s cannot load", d->name);
    if (st) snprintf(msg, msg_size, "%s", e.msg);
    return st;
}

pol_status pol__input_asset(pol_run *run, const pol_args *args, const char *name, size_t k,
                            pol_asset **out)
{
    *out = NULL;
    const pol_port_desc *pd = pol_op_input(args->op, name);
    const char *path = pol__input_path(args, name, k);
    if (!pd || !path) return pol__fail(run, POL_ERR_ARG, "no --%s given", name);
    const pol__domain *d = pd->kind == POL_PORT_ASSET ? pol__domain_find(pd->domain) : NULL;
    if (!d) return pol__fail(run, POL_ERR_INTERNAL, "--%s is not an asset input", name);
    pol__batch_state *bs = run->batch;
    char msg[sizeof(((pol_err *)0)->msg)];
    if (!(pd->flags & POL_PORT_SHARED) || !bs) {
        pol_status st = load_one(run, d, path, out, msg, sizeof msg);
        return st ? pol__fail(run, st, "--%s: %s", name, msg) : POL_OK;
    }
    pthread_mutex_lock(&bs->mu);
    shared_in *s = bs->ins;
    while (s && !(s->domain == d && !strcmp(s->path, path))) s = s->next;
    if (!s) {
        s = calloc(1, sizeof *s);
        if (!s || !(s->path = pol__strdup(path))) {
            free(s);
            pthread_mutex_unlock(&bs->mu);
            return pol__fail(run, POL_ERR_NOMEM, "out of memory");
        }
        s->domain = d;
        s->next = bs->ins;
        bs->ins = s;
    }
    if (!s->loaded && !s->loading) { /* this item loads it; the others wait for it */
        s->loading = 1;
        pthread_mutex_unlock(&bs->mu);
        pol_asset *a = NULL;
        pol_status st = load_one(run, d, path, &a, msg, sizeof msg);
        pthread_mutex_lock(&bs->mu);
        s->asset = a;
        s->st = st;
        if (st) snprintf(s->msg, sizeof s->msg, "%s", msg);
        s->loading = 0;
        s->loaded = 1;
        bs->loads++;
        pthread_cond_broadcast(&bs->loaded);
    }
    while (!s->loaded) pthread_cond_wait(&bs->loaded, &bs->mu);
    pol_status st = s->st;
    if (!st) *out = pol__asset_ref(s->asset);
    if (st) snprintf(msg, sizeof msg, "%s", s->msg);
    pthread_mutex_unlock(&bs->mu);
    return st ? pol__fail(run, st, "--%s: %s", name, msg) : POL_OK;
}

pol_status pol__port_out_check(const char *path, pol_err *err)
{
    if (!path || !*path) return pol__err_set(err, POL_ERR_ARG, "an empty output path");
    for (const char *c = path; *c;) { /* no ".." component */
        const char *slash = strchr(c, '/');
        size_t n = slash ? (size_t)(slash - c) : strlen(c);
        if (n == 2 && c[0] == '.' && c[1] == '.')
            return pol__err_set(err, POL_ERR_ARG,
                                "%s: an output may not leave the output folder (no '..')", path);
        c = slash ? slash + 1 : c + n;
    }
    return POL_OK;
}

/* Is absolute `path` inside folder `dir` (as given, or as the system resolves it)? */
static int inside(const char *path, const char *dir)
{
    char real[PATH_MAX];
    const char *forms[2] = {dir, realpath(dir, real) ? real : NULL};
    for (int k = 0; k < 2; k++) {
        const char *d = forms[k];
        if (!d || d[0] != '/') continue;
        size_t n = strlen(d);
        while (n > 1 && d[n - 1] == '/') n--;
        if (!strncmp(path, d, n) && (path[n] == '/' || n == 1) && path[n + (n > 1)] != '\0')
            return 1;
    }
    return 0;
}

char *pol__port_out_path(const pol_run *run, const char *path, pol_err *err)
{
    if (pol__port_out_check(path, err)) return NULL;
    const char *dir = run && run->outdir ? run->outdir : ".";
    if (path[0] == '/') {
        if (!inside(path, dir)) {
            pol__err_set(err, POL_ERR_ARG,
                         "%s is outside the output folder %s; give a name inside it", path, dir);
            return NULL;
        }
        char *p = pol__strdup(path);
        if (!p) pol__err_set(err, POL_ERR_NOMEM, "out of memory");
        return p;
    }
    char *p = strcmp(dir, ".") ? pol__asprintf("%s/%s", dir, path) : pol__strdup(path);
    if (!p) pol__err_set(err, POL_ERR_NOMEM, "out of memory");
    return p;
}

pol_status pol__ports_check(const pol_pipeline *p, const char *outdir, pol__gate *gate, pol_err *err)
{
    if (p->is_auto) {
        for (size_t i = 0; i < p->n_per_domain; i++)
            if (p->per_domain[i] && pol__ports_check(p->per_domain[i], outdir, gate, err))
                return err->code;
        return POL_OK;
    }
    pol_run run = {.outdir = outdir};
    for (size_t i = 0; i < p->n_steps; i++) {
        const pol_args *a = p->steps[i].args;
        for (size_t k = 0; k < a->op->n_outputs; k++)
            for (size_t m = 0; m < a->out[k].n; m++) {
                pol_err e;
                char *full = pol__port_out_path(&run, a->out[k].paths[m], &e);
                if (!full)
                    return pol__err_set(err, POL_ERR_ARG, "--%s: %s", a->op->outputs[k].name,
                                        e.msg);
                pol_status st = gate ? pol__gate_allow(gate, full) : POL_OK;
                free(full);
                if (st) return pol__err_set(err, st, "out of memory");
            }
    }
    return POL_OK;
}

pol_status pol__batch_output(pol_run *run, const pol_args *args, const char *name,
                             pol__batch_write_fn fn, void *user)
{
    const char *given = pol__output_path(args, name);
    if (!given) return POL_OK; /* not asked for */
    pol__batch_state *bs = run->batch;
    pol_err e;
    pol_err_clear(&e);
    char *path = pol__port_out_path(run, given, &e);
    if (!path) return pol__fail(run, e.code, "--%s: %s", name, e.msg);
    if (!bs) { /* outside a batch: a file of its own */
        pol__outfile of;
        pol_status st = pol__out_open(run, path, &of);
        if (!st) st = fn(run, of.fp, 1, user);
        if (!st)
            st = pol__out_commit(run, &of);
        else
            pol__out_abort(&of);
        free(path);
        return st;
    }
    pthread_mutex_lock(&bs->mu);
    batch_out *o = bs->outs;
    while (o && strcmp(o->path, path)) o = o->next;
    pol_status st = POL_OK;
    if (!o) {
        o = calloc(1, sizeof *o);
        if (!o) {
            pthread_mutex_unlock(&bs->mu);
            free(path);
            return pol__fail(run, POL_ERR_NOMEM, "out of memory");
        }
        o->path = path;
        path = NULL;
        o->next = bs->outs;
        bs->outs = o;
        /* the batch's file outlives this item: not among the item's pending outputs */
        pol_run orun = *run;
        orun.pending = NULL;
        orun.gate = bs->gate;
        st = pol__out_open(&orun, o->path, &o->of);
        o->open = st == POL_OK;
    }
    free(path);
    if (!st && !o->open) st = pol__fail(run, POL_ERR_IO, "--%s: %s could not be opened", name, o->path);
    if (!st) {
        st = fn(run, o->of.fp, o->writes == 0, user);
        o->writes++;
        if (!st && ferror(o->of.fp))
            st = pol__fail(run, POL_ERR_IO, "--%s: writing %s failed", name, o->path);
        if (!st) pol__jv_push(pol__jv_arr_at(run->item, "outputs"), pol__jv_str(o->path));
    }
    pthread_mutex_unlock(&bs->mu);
    return st;
}
