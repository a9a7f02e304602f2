/* polish — inputs shared by a batch's items (a master list, a reference photo: loaded once,
 * read-only, reference-counted) and outputs that collect every item's contribution (one
 * explanation file per batch), written to a temporary file and committed when the batch ends. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include "core/args.h"
#include "core/ports.h"

typedef struct shared_in {
    char *path;
    const pol_domain *domain;
    int loading, loaded;
    pol_asset *asset;
    pol_status st;
    char msg[sizeof(((pol_err *)0)->msg)];
    struct shared_in *next;
} shared_in;

typedef struct batch_out {
    char *path; /* resolved */
    pol_outfile of;
    int open;
    size_t writes;
    struct batch_out *next;
} batch_out;

struct pol_batch_state {
    pthread_mutex_t mu;
    pthread_cond_t loaded;
    const pol_options *opt;
    char *outdir;
    shared_in *ins;
    batch_out *outs;
    size_t loads;
};

pol_batch_state *pol__batch_state_new(const pol_options *opt, const char *outdir)
{
    pol_batch_state *bs = calloc(1, sizeof *bs);
    if (!bs) return NULL;
    if (!(bs->outdir = pol__strdup(outdir && *outdir ? outdir : "."))) {
        free(bs);
        return NULL;
    }
    bs->opt = opt;
    pthread_mutex_init(&bs->mu, NULL);
    pthread_cond_init(&bs->loaded, NULL);
    return bs;
}

size_t pol__batch_state_loads(const pol_batch_state *bs)
{
    return bs ? bs->loads : 0;
}

pol_status pol__batch_state_end(pol_batch_state *bs, int commit, pol_err *err)
{
    if (!bs) return POL_OK;
    pol_status st = POL_OK;
    for (batch_out *o = bs->outs, *next; o; o = next) {
        next = o->next;
        if (o->open) {
            if (commit && !st) {
                pol_run run = {.err = err, .opt = bs->opt, .input = o->path};
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

static const pol_port_desc *in_port(const pol_args *args, const char *name)
{
    return pol_op_input(args->op, name);
}

/* Loads `path` with `d` under the given run's options; errors name the file. */
static pol_status load_one(pol_run *run, const pol_domain *d, const char *path, pol_asset **out,
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
    const pol_port_desc *pd = in_port(args, name);
    const char *path = pol__input_path(args, name, k);
    if (!pd || !path) return pol__fail(run, POL_ERR_ARG, "no --%s given", name);
    const pol_domain *d = pd->kind == POL_PORT_ASSET ? pol__domain_find(pd->domain) : NULL;
    if (!d) return pol__fail(run, POL_ERR_INTERNAL, "--%s is not an asset input", name);
    pol_batch_state *bs = run->batch;
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
    if (path[0] == '/')
        return pol__err_set(err, POL_ERR_ARG,
                            "%s: outputs are written inside the output folder; give a name "
                            "relative to it",
                            path);
    for (const char *c = path; *c;) { /* no ".." component */
        const char *slash = strchr(c, '/');
        size_t n = slash ? (size_t)(slash - c) : strlen(c);
        if (n == 2 && c[0] == '.' && c[1] == '.')
            return pol__err_set(err, POL_ERR_ARG, "%s: an output may not leave the output folder",
                                path);
        c = slash ? slash + 1 : c + n;
    }
    return POL_OK;
}

char *pol__port_out_path(const pol_run *run, const char *path, pol_err *err)
{
    if (pol__port_out_check(path, err)) return NULL;
    const char *dir = run && run->outdir ? run->outdir : ".";
    char *p = strcmp(dir, ".") ? pol__asprintf("%s/%s", dir, path) : pol__strdup(path);
    if (!p) pol__err_set(err, POL_ERR_NOMEM, "out of memory");
    return p;
}

pol_status pol__batch_output(pol_run *run, const pol_args *args, const char *name,
                             pol_batch_write_fn fn, void *user)
{
    const char *given = pol__output_path(args, name);
    if (!given) return POL_OK; /* not asked for */
    pol_batch_state *bs = run->batch;
    pol_err e;
    pol_err_clear(&e);
    char *path = pol__port_out_path(run, given, &e);
    if (!path) return pol__fail(run, e.code, "--%s: %s", name, e.msg);
    if (!bs) { /* outside a batch: a file of its own */
        pol_outfile of;
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
        st = pol__out_open(run, o->path, &o->of);
        o->open = st == POL_OK;
    }
    free(path);
    if (!st && !o->open) st = pol__fail(run, POL_ERR_IO, "--%s: %s could not be opened", name, o->path);
    if (!st) {
        st = fn(run, o->of.fp, o->writes == 0, user);
        o->writes++;
        if (!st && ferror(o->of.fp))
            st = pol__fail(run, POL_ERR_IO, "--%s: writing %s failed", name, o->path);
        if (!st) pol_jv_push(pol_jv_arr_at(run->item, "outputs"), pol_jv_str(o->path));
    }
    pthread_mutex_unlock(&bs->mu);
    return st;
}
