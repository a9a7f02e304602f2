/* polish — shards: a deterministic plan of a batch (its items, their outputs, their shard), one
 * shard of it run at a time by any scheduler, and the shards' report streams merged back. The
 * plan is what makes shards safe: every item belongs to exactly one shard, no two items write
 * the same file, and a shard run again skips what it finished (docs/SCALE.md). */
#include <dirent.h>
#include <errno.h>
#include <jansson.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "core/comm.h"
#include "core/internal.h"
#include "core/pipeline.h"
#include "core/report.h"
#include "core/sbuf.h"

#define PLAN_SCHEMA 1

/* The absolute form of `p` (which need not exist yet), without a trailing slash. */
static char *abs_path(const char *p)
{
    char buf[PATH_MAX];
    char *r;
    if (realpath(p, buf))
        r = pol__strdup(buf);
    else if (p[0] == '/')
        r = pol__strdup(p);
    else if (getcwd(buf, sizeof buf))
        r = pol__asprintf("%s/%s", buf, p);
    else
        return NULL;
    size_t n = r ? strlen(r) : 0;
    while (n > 1 && r[n - 1] == '/') r[--n] = '\0';
    return r;
}

static int mkdirs(const char *path)
{
    char *d = pol__strdup(path);
    if (!d) return -1;
    for (char *q = d + 1; *q; q++)
        if (*q == '/') {
            *q = '\0';
            if (mkdir(d, 0777) != 0 && errno != EEXIST) {
                free(d);
                return -1;
            }
            *q = '/';
        }
    int rc = mkdir(d, 0777) != 0 && errno != EEXIST ? -1 : 0;
    free(d);
    return rc;
}

static char *read_text(const char *path, size_t *len, pol_err *err)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        pol__err_set(err, errno == ENOENT ? POL_ERR_NOT_FOUND : POL_ERR_IO, "%s: %s", path,
                     strerror(errno));
        return NULL;
    }
    size_t cap = 4096, n = 0;
    char *buf = malloc(cap);
    size_t got;
    while (buf && (got = fread(buf + n, 1, cap - n, f)) > 0) {
        n += got;
        if (n == cap && n < (64u << 20)) {
            char *nb = realloc(buf, cap *= 2);
            if (!nb) free(buf);
            buf = nb;
        } else if (n == cap) {
            break;
        }
    }
    fclose(f);
    if (!buf) {
        pol__err_set(err, POL_ERR_NOMEM, "out of memory reading %s", path);
        return NULL;
    }
    *len = n;
    return buf;
}

/* Writes `j` to `path` through a temporary file in the same folder and a rename. */
static pol_status write_json(json_t *j, const char *path, pol_err *err)
{
    char *tmp = pol__asprintf("%s.%ld.part", path, (long)getpid());
    if (!tmp) return pol__err_set(err, POL_ERR_NOMEM, "out of memory");
    pol_status st = POL_OK;
    if (json_dump_file(j, tmp, JSON_INDENT(1) | JSON_PRESERVE_ORDER) != 0)
        st = pol__err_set(err, POL_ERR_IO, "cannot write %s", tmp);
    else if (rename(tmp, path) != 0)
        st = pol__err_set(err, POL_ERR_IO, "cannot move %s into place: %s", path, strerror(errno));
    if (st) unlink(tmp);
    free(tmp);
    return st;
}

static const char *group_name(pol_group_rule g)
{
    switch (g) {
    case POL_GROUP_STEM: return "stem";
    case POL_GROUP_FOLDER: return "folder";
    case POL_GROUP_ALL: return "all";
    default: return "none";
    }
}

static pol_group_rule group_rule(const char *s)
{
    if (!s) return POL_GROUP_NONE;
    if (!strcmp(s, "stem")) return POL_GROUP_STEM;
    if (!strcmp(s, "folder")) return POL_GROUP_FOLDER;
    if (!strcmp(s, "all")) return POL_GROUP_ALL;
    return POL_GROUP_NONE;
}

static long long file_bytes(const char *p)
{
    struct stat st;
    return stat(p, &st) == 0 ? (long long)st.st_size : 0;
}

typedef struct pitem {
    json_t *obj;
    long long bytes;
    size_t index;
    char *stem;   /* first output without its extension */
    const char *seq; /* the sequence it is a frame of (the report's), or NULL */
    size_t group; /* items with one stem, or of one sequence, share a shard */
} pitem;

typedef struct pgroup {
    long long bytes;
    size_t first; /* position of its first item in stem order: ties broken by it */
    long long shard;
} pgroup;

static int by_stem(const void *a, const void *b)
{
    const pitem *x = *(pitem *const *)a, *y = *(pitem *const *)b;
    int c = strcmp(x->stem, y->stem);
    if (c) return c;
    return x->index < y->index ? -1 : x->index > y->index;
}

static int by_bytes_desc(const void *a, const void *b)
{
    const pgroup *x = *(pgroup *const *)a, *y = *(pgroup *const *)b;
    if (x->bytes != y->bytes) return x->bytes > y->bytes ? -1 : 1;
    return x->first < y->first ? -1 : x->first > y->first;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static int by_seq(const void *a, const void *b)
{
    const pitem *x = *(pitem *const *)a, *y = *(pitem *const *)b;
    if (!x->seq || !y->seq) return !x->seq - !y->seq;
    int c = strcmp(x->seq, y->seq);
    return c ? c : x->index < y->index ? -1 : x->index > y->index;
}

/* union-find over the items: the root of k's set */
static size_t uf_root(size_t *up, size_t k)
{
    while (up[k] != k) k = up[k] = up[up[k]];
    return k;
}

char *pol__stage_file(const pol_stage *s, size_t stage, size_t part)
{
    return pol__asprintf("%s/%zu.%zu", s->dir, stage, part);
}

/* The stages of a plan whose items run in stages: every item in every stage, each part of a
 * stage an item of its own. A stage before the last writes one file per part in the item's stage
 * folder (OUT/.polish-stages/<item>/<stage>.<part>); the last delivers the item's outputs. A
 * stage of one part per item puts item k in shard k mod N; one of a part per shard puts part i in
 * shard i. */
static pol_status staged_stages(json_t *items, const char *out, size_t shards,
                                const char *const *names, const size_t *parts, size_t n_st,
                                json_t *stages)
{
    for (size_t k = 0; k < n_st; k++) {
        json_t *stage = json_object(), *sitems = json_array();
        if (!stage || !sitems) {
            json_decref(stage);
            json_decref(sitems);
            return POL_ERR_NOMEM;
        }
        size_t np = parts[k] ? parts[k] : shards;
        size_t j;
        json_t *it;
        json_array_foreach(items, j, it)
        {
            char *dir = pol__asprintf("%s/.polish-stages/%zu", out, j);
            for (size_t part = 0; dir && part < np; part++) {
                json_t *o1 = json_deep_copy(it);
                if (!o1) break;
                json_object_set_new(o1, "part", json_integer((json_int_t)part));
                json_object_set_new(o1, "parts", json_integer((json_int_t)np));
                json_object_set_new(o1, "dir", json_string(dir));
                if (k + 1 < n_st) {
                    char *f = pol__asprintf("%s/%zu.%zu", dir, k + 1, part);
                    json_t *outs = json_array();
                    json_array_append_new(outs, json_string(f ? f : ""));
                    json_object_set_new(o1, "outputs", outs);
                    free(f);
                }
                json_object_set_new(o1, "shard",
                                    json_integer((json_int_t)(np == shards ? part : j % shards)));
                json_array_append_new(sitems, o1);
            }
            free(dir);
        }
        json_object_set_new(stage, "stage", json_integer((json_int_t)(k + 1)));
        json_object_set_new(stage, "name", json_string(names[k] ? names[k] : "stage"));
        json_object_set_new(stage, "parts", json_integer((json_int_t)np));
        json_object_set_new(stage, "items", sitems);
        json_array_append_new(stages, stage);
    }
    return POL_OK;
}

pol_status pol_plan_make(const pol_plan_spec *s, char **plan_path, pol_err *err)
{
    if (plan_path) *plan_path = NULL;
    if (!s || !s->recipe || !s->outdir || !s->n_inputs)
        return pol__err_set(err, POL_ERR_ARG, "a plan needs a recipe, inputs and an output folder");
    if (s->shards < 1 || s->shards > 100000)
        return pol__err_set(err, POL_ERR_ARG, "--shards must be 1..100000, not %zu", s->shards);
    size_t rlen = 0;
    char *rtext = read_text(s->recipe, &rlen, err);
    if (!rtext) return err->code;
    pol_pipeline *p = NULL;
    pol_status st = pol_pipeline_parse_recipe(rtext, rlen, s->recipe, &p, err);
    if (st) {
        free(rtext);
        return st;
    }
    char *out = abs_path(s->outdir);
    char **ins = calloc(s->n_inputs, sizeof *ins);
    json_t *plan = json_object(), *jin = json_array(), *items = json_array();
    pitem *pv = NULL, **order = NULL;
    pgroup *groups = NULL;
    size_t n = 0;
    pol_report *r = NULL;
    char *path = NULL;
    if (!out || !ins || !plan || !jin || !items) goto oom;
    for (size_t i = 0; i < s->n_inputs; i++) {
        if (!(ins[i] = abs_path(s->inputs[i]))) goto oom;
        json_array_append_new(jin, json_string(ins[i]));
    }
    /* The items and their outputs, exactly as a single-process run would see them: a dry run. */
    pol_options o;
    if (s->options)
        o = *s->options;
    else
        pol_options_default(&o);
    o.dry_run = 1;
    o.threads = 1; /* the report lists the items in input order */
    pol_batch b = {.mode = POL_BATCH_PROCESS, .options = &o, .outdir = out, .group = s->group};
    r = pol_report_new("plan");
    if (!r) goto oom;
    pol_batch_result res;
    st = pol_batch_run(p, (const char *const *)ins, s->n_inputs, &b, r, &res, err);
    if (st) goto done;
    n = r->items ? r->items->n : 0;
    pv = calloc(n ? n : 1, sizeof *pv);
    order = calloc(n ? n : 1, sizeof *order);
    groups = calloc(n ? n : 1, sizeof *groups);
    if (!pv || !order || !groups) goto oom;
    size_t k = 0, n_out = 0;
    for (const pol__jv *it = r->items ? r->items->first : NULL; it; it = it->next, k++) {
        const pol__jv *in = pol__jv_get(it, "input"), *ww = pol__jv_get(it, "would_write");
        const pol__jv *mem = pol__jv_get(it, "members");
        json_t *o1 = json_object(), *outs = json_array();
        if (!o1 || !outs) goto oom;
        json_object_set_new(o1, "input", json_string(in && in->str ? in->str : ""));
        long long bytes = 0;
        if (mem && mem->n) {
            json_t *jm = json_array();
            for (const pol__jv *m = mem->first; m; m = m->next) {
                json_array_append_new(jm, json_string(m->str));
                bytes += file_bytes(m->str);
            }
            json_object_set_new(o1, "members", jm);
        } else if (in && in->str) {
            bytes = file_bytes(in->str);
        }
        for (const pol__jv *w = ww ? ww->first : NULL; w; w = w->next, n_out++)
            json_array_append_new(outs, json_string(w->str));
        json_object_set_new(o1, "bytes", json_integer(bytes));
        json_object_set_new(o1, "outputs", outs);
        const pol__jv *sqn = pol__jv_get(pol__jv_get(it, "sequence"), "name");
        pv[k] = (pitem){o1, bytes, k, NULL, sqn && sqn->str ? sqn->str : NULL, 0};
        if (pv[k].seq) json_object_set_new(o1, "sequence", json_string(pv[k].seq));
        order[k] = &pv[k];
    }
    /* No two items may write the same file: two shards would race for it. */
    const char **all = calloc(n_out ? n_out : 1, sizeof *all);
    if (!all) goto oom;
    size_t na = 0;
    for (k = 0; k < n; k++) {
        json_t *outs = json_object_get(pv[k].obj, "outputs"), *w;
        size_t wi;
        json_array_foreach(outs, wi, w) all[na++] = json_string_value(w);
    }
    qsort(all, na, sizeof *all, cmp_str);
    for (size_t i = 1; i < na; i++)
        if (!strcmp(all[i], all[i - 1])) {
            st = pol__err_set(err, POL_ERR_ARG,
                              "two items would write %s; rename one input or use targets", all[i]);
            free(all);
            goto done;
        }
    free(all);
    /* Items whose outputs differ only in extension (a.jpg and a.png both delivered as WebP) go
     * to one shard, where the batch resolves them as a single process would; no two shards can
     * then race for a file. So do a sequence's frames (shot.####.exr): the batch runs them in
     * frame order as one task, a step keeping state from frame to frame (temporal AA), which a
     * shard holding only some of them would break. Balance by size: the largest group first,
     * each to the shard with the least so far (ties: the lower shard), so the plan is the same
     * every time it is made. */
    for (k = 0; k < n; k++) {
        json_t *outs = json_object_get(pv[k].obj, "outputs");
        const char *o0 = json_array_size(outs) ? json_string_value(json_array_get(outs, 0))
                                                : json_string_value(json_object_get(pv[k].obj, "input"));
        const char *slash = strrchr(o0, '/'), *dot = strrchr(o0, '.');
        pv[k].stem = pol__strndup(o0, dot && (!slash || dot > slash + 1) ? (size_t)(dot - o0)
                                                                          : strlen(o0));
        if (!pv[k].stem) goto oom;
    }
    size_t *up = malloc((n ? n : 1) * sizeof *up), *gof = malloc((n ? n : 1) * sizeof *gof);
    if (!up || !gof) {
        free(up);
        free(gof);
        goto oom;
    }
    for (k = 0; k < n; k++) up[k] = k;
    qsort(order, n, sizeof *order, by_seq);
    for (k = 1; k < n && order[k]->seq; k++)
        if (!strcmp(order[k]->seq, order[k - 1]->seq))
            up[uf_root(up, order[k]->index)] = uf_root(up, order[k - 1]->index);
    qsort(order, n, sizeof *order, by_stem);
    for (k = 1; k < n; k++)
        if (!strcmp(order[k]->stem, order[k - 1]->stem))
            up[uf_root(up, order[k]->index)] = uf_root(up, order[k - 1]->index);
    /* one group per set, numbered (and its ties broken) by its first item in stem order */
    size_t ng = 0;
    for (k = 0; k < n; k++) gof[k] = SIZE_MAX;
    for (k = 0; k < n; k++) {
        size_t root = uf_root(up, order[k]->index);
        if (gof[root] == SIZE_MAX) {
            groups[ng] = (pgroup){0, k, -1};
            gof[root] = ng++;
        }
        order[k]->group = gof[root];
        groups[order[k]->group].bytes += order[k]->bytes + 1;
    }
    free(up);
    free(gof);
    pgroup **gorder = calloc(ng ? ng : 1, sizeof *gorder);
    long long *load = calloc(s->shards, sizeof *load);
    if (!gorder || !load) {
        free(gorder);
        free(load);
        goto oom;
    }
    for (size_t g = 0; g < ng; g++) gorder[g] = &groups[g];
    qsort(gorder, ng, sizeof *gorder, by_bytes_desc);
    for (size_t g = 0; g < ng; g++) {
        size_t best = 0;
        for (size_t sh = 1; sh < s->shards; sh++)
            if (load[sh] < load[best]) best = sh;
        load[best] += gorder[g]->bytes;
        gorder[g]->shard = (long long)best;
    }
    free(gorder);
    free(load);
    for (k = 0; k < n; k++)
        json_object_set_new(pv[k].obj, "shard", json_integer((json_int_t)groups[pv[k].group].shard));
    for (k = 0; k < n; k++) {
        json_array_append_new(items, pv[k].obj);
        pv[k].obj = NULL;
    }
    json_t *stages = json_array();
    /* A domain may run each item in stages across the shards (records: learn the model once,
     * score the blocks in parts, join the clusters). */
    enum { MAX_STAGES = 8 };
    const char *snames[MAX_STAGES] = {0};
    size_t sparts[MAX_STAGES] = {0};
    size_t n_st = !p->is_auto && p->domain && p->domain->plan_stages
                      ? p->domain->plan_stages(p, s->shards, snames, sparts, MAX_STAGES)
                      : 0;
    if (n_st > MAX_STAGES) n_st = MAX_STAGES;
    if (n_st >= 2) {
        for (k = 0; k < n && p->domain->plan_input; k++) {
            const char *in = json_string_value(json_object_get(json_array_get(items, k), "input"));
            if ((st = p->domain->plan_input(p, in ? in : "", err))) {
                json_decref(stages);
                goto done;
            }
        }
        if (staged_stages(items, out, s->shards, snames, sparts, n_st, stages)) goto oom;
        for (size_t k = 0; k < n_st && p->domain->stage_talks; k++) {
            if (!p->domain->stage_talks(p, k + 1, s->shards)) continue;
            /* its parts run as the ranks of one MPI job, one item at a time for all of them */
            if (n > 1) {
                st = pol__err_set(err, POL_ERR_ARG, "stage %zu (%s) of this recipe must communicate "
                                  "between its %zu parts (an MPI job): plan one input at a time, not "
                                  "%zu", k + 1, snames[k] ? snames[k] : "stage", s->shards, n);
                json_decref(stages);
                goto done;
            }
            json_object_set_new(json_array_get(stages, k), "communicates", json_true());
        }
        goto staged;
    }
    json_t *stage = json_object();
    json_object_set_new(stage, "stage", json_integer(1));
    json_object_set_new(stage, "name", json_string("items"));
    json_object_set_new(stage, "items", items);
    items = NULL;
    json_array_append_new(stages, stage);
staged:
    json_object_set_new(plan, "polish_plan", json_integer(PLAN_SCHEMA));
    json_object_set_new(plan, "recipe", json_string(s->recipe));
    json_object_set_new(plan, "recipe_text", json_stringn(rtext, rlen));
    json_object_set_new(plan, "inputs", jin);
    jin = NULL;
    json_object_set_new(plan, "output", json_string(out));
    json_object_set_new(plan, "group", json_string(group_name(s->group)));
    json_object_set_new(plan, "shards", json_integer((json_int_t)s->shards));
    json_object_set_new(plan, "stages", stages);
    if (mkdirs(out) != 0) {
        st = pol__err_set(err, POL_ERR_IO, "cannot make %s: %s", out, strerror(errno));
        goto done;
    }
    path = pol__asprintf("%s/plan.json", out);
    if (!path) goto oom;
    st = write_json(plan, path, err);
    if (!st && plan_path) {
        *plan_path = path;
        path = NULL;
    }
    goto done;
oom:
    st = pol__err_set(err, POL_ERR_NOMEM, "out of memory making the plan");
done:
    for (k = 0; pv && k < n; k++) {
        json_decref(pv[k].obj);
        free(pv[k].stem);
    }
    free(pv);
    free(groups);
    free(order);
    json_decref(items);
    json_decref(jin);
    json_decref(plan);
    pol_report_free(r);
    for (size_t i = 0; ins && i < s->n_inputs; i++) free(ins[i]);
    free(ins);
    free(out);
    free(path);
    free(rtext);
    pol_pipeline_free(p);
    return st;
}

/* ---- reading a plan ---------------------------------------------------------------------------- */

typedef struct plan {
    json_t *root;
    json_t *stages;
    const char *out;
    size_t shards;
} plan;

static pol_status plan_load(const char *path, plan *pl, pol_err *err)
{
    memset(pl, 0, sizeof *pl);
    json_error_t je;
    pl->root = json_load_file(path, 0, &je);
    if (!pl->root) {
        struct stat st;
        if (stat(path, &st) != 0)
            return pol__err_set(err, POL_ERR_NOT_FOUND, "%s: %s", path, strerror(errno));
        return pol__err_set(err, POL_ERR_FORMAT, "%s:%d: not a plan (%s)", path, je.line, je.text);
    }
    json_t *v = json_object_get(pl->root, "polish_plan");
    pl->stages = json_object_get(pl->root, "stages");
    pl->out = json_string_value(json_object_get(pl->root, "output"));
    json_int_t sh = json_integer_value(json_object_get(pl->root, "shards"));
    if (!json_is_integer(v) || !json_is_array(pl->stages) || !pl->out || sh < 1 ||
        !json_is_string(json_object_get(pl->root, "recipe_text"))) {
        json_decref(pl->root);
        pl->root = NULL;
        return pol__err_set(err, POL_ERR_FORMAT, "%s: not a polish plan", path);
    }
    if (json_integer_value(v) > PLAN_SCHEMA) {
        json_decref(pl->root);
        pl->root = NULL;
        return pol__err_set(err, POL_ERR_FORMAT, "%s: plan schema %lld is newer than %d", path,
                            (long long)json_integer_value(v), PLAN_SCHEMA);
    }
    pl->shards = (size_t)sh;
    return POL_OK;
}

size_t pol_plan_stages(const char *plan_path, pol_err *err)
{
    plan pl;
    if (plan_load(plan_path, &pl, err)) return 0;
    size_t n = json_array_size(pl.stages);
    json_decref(pl.root);
    return n;
}

static char *shard_stream(const plan *pl, size_t stage, size_t shard)
{
    return pol__asprintf("%s/.polish-shards/stage-%zu.shard-%zu.jsonl", pl->out, stage, shard);
}

typedef struct sel_item {
    const char *input; /* first: compared as a string by cmp_str */
    pol_stage stage;
} sel_item;

typedef struct selection {
    sel_item *inputs; /* sorted by input */
    size_t n;
    int staged;
} selection;

static int selected(const char *input, void *user)
{
    const selection *s = user;
    return bsearch(&input, s->inputs, s->n, sizeof *s->inputs, cmp_str) != NULL;
}

static const pol_stage *stage_of(const char *input, void *user)
{
    const selection *s = user;
    sel_item *x = bsearch(&input, s->inputs, s->n, sizeof *s->inputs, cmp_str);
    return x && s->staged ? &x->stage : NULL;
}

pol_status pol_plan_run(const char *plan_path, size_t stage, size_t shard, const pol_options *opt,
                        pol_report *report, pol_batch_result *res, pol_err *err)
{
    plan pl;
    pol_status st = plan_load(plan_path, &pl, err);
    if (st) return st;
    size_t n_stages = json_array_size(pl.stages);
    pol_pipeline *p = NULL;
    selection sel = {0};
    const char **ins = NULL;
    char *stream = NULL;
    if (stage == 0 && n_stages == 1) stage = 1;
    if (stage < 1 || stage > n_stages) {
        st = stage == 0 ? pol__err_set(err, POL_ERR_ARG,
                                       "the plan has %zu stages: say which with --stage", n_stages)
                        : pol__err_set(err, POL_ERR_ARG, "the plan has no stage %zu (1..%zu)",
                                       stage, n_stages);
        goto done;
    }
    if (shard >= pl.shards) {
        st = pol__err_set(err, POL_ERR_ARG, "the plan has no shard %zu (0..%zu)", shard,
                          pl.shards - 1);
        goto done;
    }
    /* an MPI job (src/core/comm.h): one rank a shard, all of them */
    size_t ranks = pol__comm_size();
    if (ranks > 1 && (ranks != pl.shards || shard != pol__comm_rank())) {
        st = pol__err_set(err, POL_ERR_ARG, "the plan has %zu shards: run it as %zu MPI ranks "
                          "(mpirun -np %zu), each its own shard, not %zu", pl.shards, pl.shards,
                          pl.shards, ranks);
        goto done;
    }
    int talks = json_is_true(json_object_get(json_array_get(pl.stages, stage - 1), "communicates"));
    if (talks && ranks == 1) {
        st = pol__err_set(err, POL_ERR_ARG, "stage %zu of %s must communicate between its %zu "
                          "shards: run it as one MPI job, mpirun -np %zu polish run --plan %s "
                          "--stage %zu --mpi (docs/SCALE.md)", stage, plan_path, pl.shards,
                          pl.shards, plan_path, stage);
        goto done;
    }
    const char *rtext = json_string_value(json_object_get(pl.root, "recipe_text"));
    const char *rname = json_string_value(json_object_get(pl.root, "recipe"));
    st = pol_pipeline_parse_recipe(rtext, strlen(rtext), rname ? rname : "recipe", &p, err);
    if (st) goto done;
    json_t *items = json_object_get(json_array_get(pl.stages, stage - 1), "items");
    json_t *jin = json_object_get(pl.root, "inputs");
    size_t n_items = json_array_size(items), n_in = json_array_size(jin);
    sel.inputs = calloc(n_items ? n_items : 1, sizeof *sel.inputs);
    ins = calloc(n_in ? n_in : 1, sizeof *ins);
    if (!sel.inputs || !ins) {
        st = pol__err_set(err, POL_ERR_NOMEM, "out of memory");
        goto done;
    }
    size_t i, talks_done = 0;
    json_t *it;
    json_t *jst = json_array_get(pl.stages, stage - 1);
    sel.staged = json_object_get(jst, "parts") != NULL;
    const char *sname = json_string_value(json_object_get(jst, "name"));
    json_array_foreach(items, i, it)
    {
        if ((size_t)json_integer_value(json_object_get(it, "shard")) != shard) continue;
        const char *in = json_string_value(json_object_get(it, "input"));
        if (!in) continue;
        sel_item *x = &sel.inputs[sel.n];
        x->input = in;
        if (sel.staged) {
            const char *o0 = json_string_value(json_array_get(json_object_get(it, "outputs"), 0));
            x->stage = (pol_stage){.stage = stage,
                                   .n_stages = n_stages,
                                   .name = sname ? sname : "stage",
                                   .part = (size_t)json_integer_value(json_object_get(it, "part")),
                                   .parts = (size_t)json_integer_value(json_object_get(it, "parts")),
                                   .shards = pl.shards,
                                   .dir = json_string_value(json_object_get(it, "dir")),
                                   .out = stage < n_stages ? o0 : NULL};
            struct stat sb;
            if (!x->stage.dir || x->stage.parts < 1 || (stage < n_stages && !o0)) {
                st = pol__err_set(err, POL_ERR_FORMAT, "%s: a staged item without its folder",
                                  plan_path);
                goto done;
            }
            if (stage < n_stages && stat(o0, &sb) == 0) {
                talks_done++;
                if (!talks) continue; /* done before */
            }
            if (mkdirs(x->stage.dir) != 0) {
                st = pol__err_set(err, POL_ERR_IO, "cannot make %s: %s", x->stage.dir,
                                  strerror(errno));
                goto done;
            }
        }
        sel.n++;
    }
    if (talks) {
        /* the ranks run the stage together or not at all: skipped when every rank's parts are
         * done, else all of them take part (a rank whose part is done writes nothing) */
        long long all_done = talks_done == sel.n;
        pol_err e;
        st = pol__comm_agree(POL_OK, NULL, &all_done, &e);
        if (st) {
            *err = e;
            goto done;
        }
        if (all_done) sel.n = 0;
    }
    qsort(sel.inputs, sel.n, sizeof *sel.inputs, cmp_str);
    json_array_foreach(jin, i, it) ins[i] = json_string_value(it);
    stream = shard_stream(&pl, stage, shard);
    struct stat sb;
    if (sel.staged && stage < n_stages && sel.n == 0 && stream && stat(stream, &sb) == 0) {
        /* every part of this shard was done before: its stream says how, keep it */
        if (res) memset(res, 0, sizeof *res);
        goto done;
    }
    char *sdir = stream ? pol__asprintf("%s/.polish-shards", pl.out) : NULL;
    int made = sdir && mkdirs(sdir) == 0;
    free(sdir);
    if (!made) {
        st = pol__err_set(err, POL_ERR_IO, "cannot make %s/.polish-shards", pl.out);
        goto done;
    }
    if (report && (st = pol_report_stream(report, stream, 1, err))) goto done;
    pol_options o;
    if (opt)
        o = *opt;
    else
        pol_options_default(&o);
    o.skip_existing = 1; /* a shard run again finishes what is missing, nothing twice */
    o.overwrite = 0;
    if (sel.staged && stage < n_stages) o.skip_existing = 0; /* its stage files were looked at */
    pol_batch b = {.mode = POL_BATCH_PROCESS,
                   .options = &o,
                   .outdir = pl.out,
                   .group = group_rule(json_string_value(json_object_get(pl.root, "group"))),
                   .select = selected,
                   .select_user = &sel,
                   .stage = sel.staged ? stage_of : NULL};
    if (sel.n == 0) { /* nothing planned for this shard: a finished, empty stream */
        if (res) memset(res, 0, sizeof *res);
        if (report) pol__report_stream_end(report);
        goto done;
    }
    st = pol_batch_run(p, ins, n_in, &b, report, res, err);
done:
    free(stream);
    free(sel.inputs);
    free(ins);
    pol_pipeline_free(p);
    json_decref(pl.root);
    return st;
}

/* ---- merging ------------------------------------------------------------------------------------ */

/* The output at `path`, or under another extension (a delivery that changes the format: the
 * plan names a.jpg, the shard wrote a.webp). */
static int output_present(const char *path)
{
    struct stat sb;
    if (stat(path, &sb) == 0) return 1;
    const char *slash = strrchr(path, '/'), *base = slash ? slash + 1 : path;
    const char *dot = strrchr(base, '.');
    if (!dot || dot == base) return 0;
    char *dir = slash ? pol__strndup(path, (size_t)(slash - path) + (slash == path)) : pol__strdup(".");
    DIR *d = dir ? opendir(dir) : NULL;
    int found = 0;
    size_t stem = (size_t)(dot - base) + 1; /* with the dot */
    for (struct dirent *e; d && !found && (e = readdir(d));)
        found = !strncmp(e->d_name, base, stem) && !strchr(e->d_name + stem, '.') &&
                e->d_name[stem] && e->d_type != DT_DIR;
    if (d) closedir(d);
    free(dir);
    return found;
}

static int item_done(const pol__jv *it)
{
    const pol__jv *s = pol__jv_get(it, "status");
    return s && s->str && !strcmp(s->str, "ok");
}

pol_status pol_plan_merge(const char *plan_path, char **missing, pol_err *err)
{
    if (missing) *missing = NULL;
    plan pl;
    pol_status st = plan_load(plan_path, &pl, err);
    if (st) return st;
    pol_report *all = pol_report_new("merge");
    pol__sbuf miss = {0};
    size_t n_missing = 0;
    if (!all) {
        json_decref(pl.root);
        return pol__err_set(err, POL_ERR_NOMEM, "out of memory");
    }
    size_t n_stages = json_array_size(pl.stages);
    int staged = json_object_get(json_array_get(pl.stages, 0), "parts") != NULL;
    for (size_t s = 1; s <= n_stages && !st; s++) {
        /* the shards' streams: a missing one means that shard never ran */
        for (size_t sh = 0; sh < pl.shards && !st; sh++) {
            char *path = shard_stream(&pl, s, sh);
            pol_report *one = NULL;
            pol_err e;
            if (!path) {
                st = pol__err_set(err, POL_ERR_NOMEM, "out of memory");
            } else if (pol_report_read(path, &one, &e) == POL_OK) {
                st = pol_report_merge(all, one, err);
            } else if (e.code != POL_ERR_NOT_FOUND) {
                pol__sbuf_printf(&miss, "stage %zu shard %zu: %s\n", s, sh, e.msg);
            }
            pol_report_free(one);
            free(path);
        }
        /* every planned item: done in some shard's stream, its outputs in place */
        json_t *items = json_object_get(json_array_get(pl.stages, s - 1), "items"), *it;
        size_t i;
        json_array_foreach(items, i, it)
        {
            const char *in = json_string_value(json_object_get(it, "input"));
            /* a stage before the last is done when its file is in place (written whole, by a
             * rename); a shard run again does not run it twice, so its stream may not list it */
            int done = staged && s < n_stages;
            for (const pol__jv *x = all->items ? all->items->first : NULL; x && !done; x = x->next) {
                const pol__jv *xi = pol__jv_get(x, "input"), *xs = pol__jv_get(x, "stage");
                done = xi && xi->str && in && !strcmp(xi->str, in) && item_done(x) &&
                       (!xs || (size_t)(xs->type == POL_JV_INT ? xs->i : (long long)xs->num) == s);
            }
            json_t *w;
            size_t wi;
            const char *absent = NULL;
            json_array_foreach(json_object_get(it, "outputs"), wi, w)
            {
                struct stat sb;
                const char *wp = json_string_value(w);
                if (!absent && !(staged && s < n_stages ? stat(wp, &sb) == 0 : output_present(wp)))
                    absent = wp; /* a stage's file is named exactly: no other extension */
            }
            if (!done || absent) {
                n_missing++;
                pol__sbuf_printf(&miss, "stage %zu shard %lld: %s: %s%s\n", s,
                                 (long long)json_integer_value(json_object_get(it, "shard")),
                                 in ? in : "?", done ? "output missing: " : "not done",
                                 done ? absent : "");
            }
        }
    }
    if (!st) {
        char *rj = pol__asprintf("%s/report.json", pl.out), *rh = pol__asprintf("%s/report.html", pl.out);
        if (!rj || !rh)
            st = pol__err_set(err, POL_ERR_NOMEM, "out of memory");
        else if (!(st = pol_report_write(all, rj, err)))
            st = pol_report_write(all, rh, err);
        free(rj);
        free(rh);
    }
    if (!st && n_missing == 0) pol__out_remove_stale(pl.out); /* temporaries of killed shards */
    if (!st && (n_missing || miss.n)) {
        st = pol__err_set(err, POL_ERR_PARTIAL, "%zu of the planned items are not done", n_missing);
        if (missing) *missing = pol__sbuf_take(&miss);
    }
    free(pol__sbuf_take(&miss));
    pol_report_free(all);
    json_decref(pl.root);
    return st;
}
