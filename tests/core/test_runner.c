/* polish — the batch runner at the C level, with synthetic domains registered by the test:
 * streaming whose memory stays flat as the input grows, a measure-then-apply op, a two-input op
 * with a shared input loaded once, a one-to-many op, a cross-domain output, cancellation. */
#include <dirent.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include "core/internal.h"
#include "core/ports.h"
#include "core/stream.h"

/* ---- the "synth" domain: a header "SYN1", a uint32 count, then float samples ----------------- */

typedef struct synth {
    float *v;
    size_t n;
} synth;

static int whole_loads; /* how many times an item was loaded whole */

static void synth_free(void *d)
{
    synth *s = d;
    if (s) free(s->v);
    free(s);
}

static void *synth_clone(const void *d)
{
    const synth *s = d;
    synth *c = calloc(1, sizeof *c);
    if (!c) return NULL;
    c->n = s->n;
    c->v = malloc((s->n ? s->n : 1) * sizeof *c->v);
    if (!c->v) {
        free(c);
        return NULL;
    }
    memcpy(c->v, s->v, s->n * sizeof *c->v);
    return c;
}

static int synth_sniff(const unsigned char *h, size_t n, const char *path)
{
    (void)path;
    return n >= 4 && !memcmp(h, "SYN1", 4) ? 95 : 0;
}

static pol_status read_header(pol_run *run, FILE *f, uint32_t *n)
{
    char magic[4];
    if (fread(magic, 1, 4, f) != 4 || memcmp(magic, "SYN1", 4) || fread(n, 4, 1, f) != 1)
        return pol__fail(run, POL_ERR_CORRUPT, "not a synth file");
    return POL_OK;
}

static pol_status synth_load(pol_run *run, const char *path, pol_asset **out)
{
    FILE *f = fopen(path, "rb");
    if (!f) return pol__fail(run, POL_ERR_IO, "cannot open");
    uint32_t n;
    pol_status st = read_header(run, f, &n);
    synth *s = st ? NULL : calloc(1, sizeof *s);
    if (s) {
        s->n = n;
        s->v = malloc((n ? n : 1) * sizeof *s->v);
        if (!s->v || fread(s->v, sizeof *s->v, n, f) != n) st = pol__fail(run, POL_ERR_CORRUPT, "short");
    } else if (!st) {
        st = pol__fail(run, POL_ERR_NOMEM, "oom");
    }
    fclose(f);
    if (st) {
        synth_free(s);
        return st;
    }
    __atomic_add_fetch(&whole_loads, 1, __ATOMIC_RELAXED);
    *out = pol__asset_new(pol__domain_find("synth"), s, path);
    return *out ? POL_OK : pol__fail(run, POL_ERR_NOMEM, "oom");
}

/* A group: the members' samples one after the other. */
static pol_status synth_load_group(pol_run *run, const char *const *paths, size_t n,
                                   pol_asset **out)
{
    synth *all = calloc(1, sizeof *all);
    if (!all) return pol__fail(run, POL_ERR_NOMEM, "oom");
    for (size_t k = 0; k < n; k++) {
        pol_asset *a;
        pol_status st = synth_load(run, paths[k], &a);
        if (st) {
            synth_free(all);
            return st;
        }
        const synth *m = a->data;
        float *v = realloc(all->v, (all->n + m->n + 1) * sizeof *v);
        if (!v) {
            pol__asset_unref(a);
            synth_free(all);
            return pol__fail(run, POL_ERR_NOMEM, "oom");
        }
        memcpy(v + all->n, m->v, m->n * sizeof *v);
        all->v = v;
        all->n += m->n;
        pol__asset_unref(a);
    }
    *out = pol__asset_new(pol__domain_find("synth"), all, paths[0]);
    return *out ? POL_OK : pol__fail(run, POL_ERR_NOMEM, "oom");
}

static pol_status synth_save(pol_run *run, pol_asset *a, const char *path)
{
    const synth *s = a->data;
    pol__outfile of;
    pol_status st = pol__out_open(run, path, &of);
    if (st) return st;
    uint32_t n = (uint32_t)s->n;
    fwrite("SYN1", 1, 4, of.fp);
    fwrite(&n, 4, 1, of.fp);
    fwrite(s->v, sizeof *s->v, s->n, of.fp);
    return pol__out_commit(run, &of);
}

/* Streaming: a reader keeps one buffer of core + 2 halos, refilled by sliding. */
typedef struct reader {
    FILE *f;
    uint32_t total;
    uint64_t next; /* index of the next core's first sample */
    float *buf;
    size_t cap;
    pol__chunk c;
} reader;

#define CHUNK 4096

static pol_status rd_open(pol_run *run, const char *path, void **out)
{
    reader *r = calloc(1, sizeof *r);
    if (!r) return pol__fail(run, POL_ERR_NOMEM, "oom");
    r->f = fopen(path, "rb");
    if (!r->f) {
        free(r);
        return pol__fail(run, POL_ERR_IO, "cannot open");
    }
    pol_status st = read_header(run, r->f, &r->total);
    if (st) {
        fclose(r->f);
        free(r);
        return st;
    }
    *out = r;
    return POL_OK;
}

static pol_status rd_read(pol_run *run, void *p, size_t halo, pol__chunk **out)
{
    reader *r = p;
    *out = NULL;
    if (r->next >= r->total) return POL_OK;
    size_t core = r->total - r->next < CHUNK ? (size_t)(r->total - r->next) : CHUNK;
    size_t pre = r->next < halo ? (size_t)r->next : halo;
    size_t post_avail = (size_t)(r->total - r->next - core);
    size_t post = post_avail < halo ? post_avail : halo;
    size_t need = pre + core + post;
    if (need > r->cap) {
        float *b = realloc(r->buf, need * sizeof *b);
        if (!b) return pol__fail(run, POL_ERR_NOMEM, "oom");
        r->buf = b;
        r->cap = need;
    }
    /* read the span from the file directly (simple; the point is bounded memory) */
    if (fseek(r->f, 8 + (long)((r->next - pre) * sizeof(float)), SEEK_SET) != 0 ||
        fread(r->buf, sizeof(float), need, r->f) != need)
        return pol__fail(run, POL_ERR_CORRUPT, "short read");
    r->c = (pol__chunk){r->buf, r->next, core, pre, post, r->next + core >= r->total};
    r->next += core;
    *out = &r->c;
    return POL_OK;
}

static void rd_close(void *p)
{
    reader *r = p;
    if (!r) return;
    fclose(r->f);
    free(r->buf);
    free(r);
}

typedef struct writer {
    FILE *f;
} writer;

static pol_status wr_begin(pol_run *run, void *rd, FILE *f, void **out)
{
    reader *r = rd;
    writer *w = calloc(1, sizeof *w);
    if (!w) return pol__fail(run, POL_ERR_NOMEM, "oom");
    w->f = f;
    fwrite("SYN1", 1, 4, f);
    fwrite(&r->total, 4, 1, f);
    *out = w;
    return POL_OK;
}

static pol_status wr_write(pol_run *run, void *p, const pol__chunk *c)
{
    writer *w = p;
    const float *v = c->data;
    if (fwrite(v + c->pre, sizeof *v, c->n, w->f) != c->n)
        return pol__fail(run, POL_ERR_IO, "write failed");
    return POL_OK;
}

static pol_status wr_end(pol_run *run, void *p)
{
    (void)run;
    free(p);
    return POL_OK;
}

static void wr_abort(void *p)
{
    free(p);
}

static const pol__stream_io synth_stream = {CHUNK, rd_open, rd_read, rd_close,
                                           wr_begin, wr_write, wr_end, wr_abort};

/* synth.smooth: a 3-tap mean (needs one neighbour on each side). */
static void smooth(float *v, size_t n)
{
    if (n < 3) return;
    float prev = v[0];
    for (size_t i = 1; i + 1 < n; i++) {
        float cur = v[i];
        v[i] = (prev + cur + v[i + 1]) / 3.0f;
        prev = cur;
    }
}

static pol_status smooth_run(pol_run *run, pol_asset *a, const pol_args *args)
{
    (void)run;
    (void)args;
    synth *s = a->data;
    smooth(s->v, s->n);
    return POL_OK;
}

static pol_status st_begin(pol_run *run, const pol_args *args, void **state)
{
    (void)run;
    (void)args;
    *state = NULL;
    return POL_OK;
}

static pol_status smooth_apply(pol_run *run, void *state, pol__chunk *c)
{
    (void)run;
    (void)state;
    smooth(c->data, c->pre + c->n + c->post);
    return POL_OK;
}

static const pol_op_stream smooth_stream = {.halo = 1, .begin = st_begin, .apply = smooth_apply};

static const pol_op_desc op_smooth = {.domain = "synth",
                                      .name = "smooth",
                                      .summary = "3-tap mean",
                                      .run = smooth_run,
                                      .stream = &smooth_stream};

/* synth.normalise: measures the peak of the whole stream, then scales it to 1. */
typedef struct norm {
    float peak;
} norm;

static pol_status norm_begin(pol_run *run, const pol_args *args, void **state)
{
    (void)args;
    norm *n = calloc(1, sizeof *n);
    if (!n) return pol__fail(run, POL_ERR_NOMEM, "oom");
    *state = n;
    return POL_OK;
}

static pol_status norm_measure(pol_run *run, void *state, const pol__chunk *c)
{
    (void)run;
    norm *n = state;
    const float *v = (const float *)c->data + c->pre;
    for (size_t i = 0; i < c->n; i++)
        if (fabsf(v[i]) > n->peak) n->peak = fabsf(v[i]);
    return POL_OK;
}

static pol_status norm_decide(pol_run *run, void *state)
{
    norm *n = state;
    pol__measure(run, "peak", n->peak);
    pol__decide(run, "gain %.3f", n->peak > 0 ? 1.0 / n->peak : 1.0);
    return POL_OK;
}

static pol_status norm_apply(pol_run *run, void *state, pol__chunk *c)
{
    (void)run;
    norm *n = state;
    float g = n->peak > 0 ? 1.0f / n->peak : 1.0f;
    float *v = c->data;
    for (size_t i = 0; i < c->pre + c->n + c->post; i++) v[i] *= g;
    return POL_OK;
}

static pol_status norm_run(pol_run *run, pol_asset *a, const pol_args *args)
{
    (void)args;
    synth *s = a->data;
    float peak = 0;
    for (size_t i = 0; i < s->n; i++)
        if (fabsf(s->v[i]) > peak) peak = fabsf(s->v[i]);
    for (size_t i = 0; peak > 0 && i < s->n; i++) s->v[i] /= peak;
    pol__measure(run, "peak", peak);
    return POL_OK;
}

static const pol_op_stream norm_stream = {.measure_first = 1,
                                          .begin = norm_begin,
                                          .measure = norm_measure,
                                          .decide = norm_decide,
                                          .apply = norm_apply,
                                          .free = free};

static const pol_op_desc op_norm = {.domain = "synth",
                                    .name = "normalise",
                                    .summary = "peak to 1",
                                    .run = norm_run,
                                    .stream = &norm_stream};

/* synth.subtract: two inputs: subtracts a shared reference's mean (loaded once per batch). */
static const pol_port_desc sub_inputs[] = {
    {"reference", POL_PORT_ASSET, "synth", NULL, POL_PORT_REQUIRED | POL_PORT_SHARED,
     "The reference whose mean is subtracted."},
};

static pol_status sub_run(pol_run *run, pol_asset *a, const pol_args *args)
{
    pol_asset *ref = NULL;
    pol_status st = pol__input_asset(run, args, "reference", 0, &ref);
    if (st) return st;
    const synth *r = ref->data;
    double mean = 0;
    for (size_t i = 0; i < r->n; i++) mean += r->v[i];
    mean /= r->n ? (double)r->n : 1.0;
    synth *s = a->data;
    for (size_t i = 0; i < s->n; i++) s->v[i] -= (float)mean;
    pol__asset_unref(ref);
    return POL_OK;
}

static const pol_op_desc op_sub = {.domain = "synth",
                                   .name = "subtract",
                                   .summary = "minus a reference's mean",
                                   .run = sub_run,
                                   .inputs = sub_inputs,
                                   .n_inputs = 1};

/* synth.halves: one in, two out. */
static pol_status halves_run(pol_run *run, pol_asset *a, const pol_args *args)
{
    (void)args;
    const synth *s = a->data;
    for (int h = 0; h < 2; h++) {
        synth *part = calloc(1, sizeof *part);
        size_t from = h ? s->n / 2 : 0, to = h ? s->n : s->n / 2;
        if (!part || !(part->v = malloc((to - from + 1) * sizeof *part->v))) {
            synth_free(part);
            return pol__fail(run, POL_ERR_NOMEM, "oom");
        }
        part->n = to - from;
        memcpy(part->v, s->v + from, part->n * sizeof *part->v);
        pol_asset *pa = pol__asset_new(a->domain, part, a->source_path);
        if (!pa) return pol__fail(run, POL_ERR_NOMEM, "oom");
        pol_status st = pol__emit(run, pa, h ? "second" : "first");
        pol__asset_unref(pa);
        if (st) return st;
    }
    return POL_OK;
}

static const pol_op_desc op_halves = {.domain = "synth",
                                      .name = "halves",
                                      .summary = "split in two",
                                      .run = halves_run,
                                      .flags = POL_OP_SPLIT};

/* synth.tally: synth in, tally out (another domain). */
typedef struct tally {
    size_t n;
    double sum;
} tally;

static pol_status tally_run(pol_run *run, pol_asset *a, const pol_args *args)
{
    (void)args;
    const synth *s = a->data;
    tally *t = calloc(1, sizeof *t);
    if (!t) return pol__fail(run, POL_ERR_NOMEM, "oom");
    t->n = s->n;
    for (size_t i = 0; i < s->n; i++) t->sum += s->v[i];
    synth_free(a->data);
    a->data = t;
    a->domain = pol__domain_find("tally");
    return POL_OK;
}

static const pol_op_desc op_tally = {.domain = "synth",
                                     .name = "tally",
                                     .summary = "count and sum",
                                     .run = tally_run,
                                     .out_domain = "tally"};

/* synth.slow: sleeps, checking for cancellation. */
static pol_status slow_run(pol_run *run, pol_asset *a, const pol_args *args)
{
    (void)a;
    (void)args;
    for (int i = 0; i < 20; i++) {
        if (pol__cancelled(run)) return pol__fail(run, POL_ERR_CANCELLED, "cancelled");
        usleep(5000);
    }
    return POL_OK;
}

static const pol_op_desc op_slow = {
    .domain = "synth", .name = "slow", .summary = "takes a while", .run = slow_run};

/* synth.make: makes an item of 100 samples from nothing (POL_OP_NO_INPUT). */
static synth *ramp(size_t n)
{
    synth *s = calloc(1, sizeof *s);
    if (s && !(s->v = malloc(n * sizeof *s->v))) {
        free(s);
        return NULL;
    }
    if (s) {
        s->n = n;
        for (size_t i = 0; i < n; i++) s->v[i] = (float)i;
    }
    return s;
}

static pol_status make_run(pol_run *run, pol_asset *a, const pol_args *args)
{
    (void)args;
    if (a->data) return pol__fail(run, POL_ERR_INTERNAL, "a made item starts empty");
    if (!(a->data = ramp(100))) return pol__fail(run, POL_ERR_NOMEM, "oom");
    return POL_OK;
}

static const pol_op_desc op_make = {.domain = "synth",
                                    .name = "make",
                                    .summary = "a ramp from nothing",
                                    .run = make_run,
                                    .flags = POL_OP_NO_INPUT};

/* synth.make-parts: two items from nothing, emitted by name. */
static pol_status make_parts_run(pol_run *run, pol_asset *a, const pol_args *args)
{
    (void)args;
    (void)a;
    for (int k = 0; k < 2; k++) {
        pol_asset *pa = pol__asset_new(pol__domain_find("synth"), ramp(k ? 20 : 10), NULL);
        if (!pa || !pa->data) {
            pol__asset_unref(pa);
            return pol__fail(run, POL_ERR_NOMEM, "oom");
        }
        pol_status st = pol__emit(run, pa, k ? "test" : "train");
        pol__asset_unref(pa);
        if (st) return st;
    }
    return POL_OK;
}

static const pol_op_desc op_make_parts = {.domain = "synth",
                                          .name = "make-parts",
                                          .summary = "two ramps from nothing",
                                          .run = make_parts_run,
                                          .flags = POL_OP_NO_INPUT | POL_OP_SPLIT};

/* synth.stats: a document (count and mean) and a figure, not a changed item. */
static pol_status stats_run(pol_run *run, pol_asset *a, const pol_args *args)
{
    (void)args;
    const synth *s = a->data;
    double sum = 0;
    for (size_t i = 0; i < s->n; i++) sum += s->v[i];
    static const unsigned char fig[] = {0x89, 'P', 'N', 'G', 1, 2, 3};
    pol_status st = pol__figure(run, "samples", "image/png", fig, sizeof fig);
    if (st) return st;
    pol__jv *doc = pol__jv_obj();
    pol__jv_set(doc, "n", pol__jv_int((long long)s->n));
    pol__jv_set(doc, "mean", pol__jv_num(s->n ? sum / (double)s->n : 0));
    pol__document(run, doc);
    return POL_OK;
}

static const pol_op_desc op_stats = {.domain = "synth",
                                     .name = "stats",
                                     .summary = "count and mean, as a document",
                                     .run = stats_run,
                                     .flags = POL_OP_DOCUMENT};

static const pol_op_desc *const synth_ops[] = {&op_smooth, &op_norm,       &op_sub,
                                               &op_halves, &op_tally,      &op_slow,
                                               &op_make,   &op_make_parts, &op_stats,
                                               NULL};
static const char *const synth_ext[] = {"syn", NULL};
static const pol__limit_key synth_limits[] = {
    {"samples", 1u << 30, 0, NULL, "samples of one synth item"}, {NULL}};

static const char *const synth_auto[] = {"smooth", "subtract", NULL};

static pol__domain synth_domain = {.name = "synth",
                                  .summary = "synthetic test domain",
                                  .ops = synth_ops,
                                  .auto_steps = synth_auto,
                                  .extensions = synth_ext,
                                  .sniff = synth_sniff,
                                  .load = synth_load,
                                  .save = synth_save,
                                  .data_free = synth_free,
                                  .data_clone = synth_clone,
                                  .limits = synth_limits,
                                  .load_group = synth_load_group,
                                  .stream = &synth_stream};

static pol_status tally_save(pol_run *run, pol_asset *a, const char *path)
{
    const tally *t = a->data;
    char buf[128];
    int n = snprintf(buf, sizeof buf, "%zu,%.3f\n", t->n, t->sum);
    return pol__write_file(run, path, buf, (size_t)n);
}

static const char *tally_ext(pol_asset *a)
{
    (void)a;
    return "txt";
}

static const pol_op_desc *const tally_ops[] = {NULL};
static const pol__domain tally_domain = {.name = "tally",
                                        .summary = "a count and a sum",
                                        .ops = tally_ops,
                                        .save = tally_save,
                                        .data_free = free,
                                        .out_ext = tally_ext};

/* ---- helpers ---------------------------------------------------------------------------------- */

static char dir[64];

static const char *path_in(const char *name)
{
    static char buf[4][4096];
    static int k;
    k = (k + 1) % 4;
    if (snprintf(buf[k], sizeof buf[k], "%s/%s", dir, name) >= (int)sizeof buf[k]) fail();
    return buf[k];
}

/* sample i: a ramp plus a square wave */
static float sample(size_t i)
{
    return (float)(i % 1000) / 1000.0f + ((i / 7) % 2 ? 0.5f : -0.5f);
}

static void write_synth(const char *path, size_t n)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    uint32_t n32 = (uint32_t)n;
    fwrite("SYN1", 1, 4, f);
    fwrite(&n32, 4, 1, f);
    float buf[4096];
    for (size_t i = 0; i < n;) {
        size_t k = 0;
        for (; k < 4096 && i < n; k++, i++) buf[k] = sample(i);
        fwrite(buf, sizeof *buf, k, f);
    }
    fclose(f);
}

static float *read_synth(const char *path, size_t *n)
{
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    char magic[4];
    uint32_t n32 = 0;
    if (fread(magic, 1, 4, f) != 4 || fread(&n32, 4, 1, f) != 1) {
        fclose(f);
        return NULL;
    }
    float *v = malloc((n32 ? n32 : 1) * sizeof *v);
    size_t got = fread(v, sizeof *v, n32, f);
    fclose(f);
    if (got != n32) {
        free(v);
        return NULL;
    }
    *n = n32;
    return v;
}

static int want_pictures; /* the next run_pipeline's report shows pictures (an HTML report) */

static pol_status run_pipeline(const char *const *steps, size_t n_steps, const char *const *in,
                               size_t n_in, const char *outdir, const char *outfile,
                               pol_batch_result *res, pol_report **rep, int threads)
{
    pol_pipeline *p;
    pol_err err;
    assert_int_equal(pol_pipeline_new("synth", &p, &err), POL_OK);
    for (size_t i = 0; i < n_steps; i++) {
        size_t idx;
        char name[64];
        const char *eq = strchr(steps[i], '=');
        snprintf(name, sizeof name, "%.*s", (int)(eq ? (size_t)(eq - steps[i]) : strlen(steps[i])),
                 steps[i]);
        assert_int_equal(pol_pipeline_add_step(p, name, &idx, &err), POL_OK);
        if (eq) assert_int_equal(pol_pipeline_set_port(p, idx, "reference", eq + 1, &err), POL_OK);
    }
    pol_options opt;
    pol_options_default(&opt);
    opt.threads = threads;
    pol_batch b = {.mode = POL_BATCH_PROCESS, .options = &opt, .outdir = outdir,
                   .outfile = outfile};
    pol_report *r = pol_report_new("test");
    pol_report_want_thumbnails(r, want_pictures);
    pol_status st = pol_batch_run(p, in, n_in, &b, r, res, &err);
    if (st && st != POL_ERR_CANCELLED) {
        char *e = pol_report_errors(r);
        print_message("batch: %s\n%s", err.msg, e ? e : "");
        free(e);
    }
    pol_pipeline_free(p);
    if (rep)
        *rep = r;
    else
        pol_report_free(r);
    return st;
}

/* ---- tests ------------------------------------------------------------------------------------ */

static int setup(void **state)
{
    (void)state;
    strcpy(dir, "/tmp/polish-runner-XXXXXX");
    if (!mkdtemp(dir)) return -1;
    pol_err err;
    if (pol__domain_register(&synth_domain, &err) || pol__domain_register(&tally_domain, &err))
        return -1;
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    pol__domain_unregister(&tally_domain);
    pol__domain_unregister(&synth_domain);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    return system(cmd) == 0 ? 0 : -1;
}

static void test_registered(void **state)
{
    (void)state;
    assert_non_null(pol_op_find("synth", "smooth"));
    char *doc = pol_registry_json(NULL);
    assert_non_null(doc);
    assert_non_null(strstr(doc, "\"synth.subtract\""));
    assert_non_null(strstr(doc, "\"samples\"")); /* the domain's limit joins the table */
    free(doc);
    pol_limits l;
    pol_limits_default(&l);
    assert_true(pol_limits_get(&l, "samples") == (1u << 30));
    pol_err err;
    assert_int_equal(pol_limits_set(&l, "SAMPLES=5k", &err), POL_OK); /* keys read the same */
    assert_true(pol_limits_get(&l, "samples") == 5000);
    pol_err e2;
    assert_int_not_equal(pol__domain_register(&synth_domain, &e2), POL_OK); /* taken */
}

/* Streams smooth + normalise and compares with the whole-asset result, sample by sample. */
static void test_stream_matches_whole(void **state)
{
    (void)state;
    size_t n = 3 * CHUNK + 123;
    write_synth(path_in("a.syn"), n);
    const char *steps[] = {"smooth", "normalise", "smooth"};
    const char *in[] = {path_in("a.syn")};
    pol_batch_result res;
    whole_loads = 0;
    pol_report *rep;
    assert_int_equal(run_pipeline(steps, 3, in, 1, NULL, path_in("streamed.syn"), &res, &rep, 1),
                     POL_OK);
    assert_int_equal(whole_loads, 0); /* never held whole */
    char *j = pol_report_json(rep);
    assert_non_null(strstr(j, "\"passes\": 2")); /* a measuring pass, then the applying pass */
    assert_non_null(strstr(j, "\"peak\""));
    free(j);
    pol_report_free(rep);
    synth_domain.stream = NULL;
    assert_int_equal(run_pipeline(steps, 3, in, 1, NULL, path_in("whole.syn"), &res, NULL, 1),
                     POL_OK);
    synth_domain.stream = &synth_stream;
    assert_int_equal(whole_loads, 1);
    size_t ns, nw;
    float *s = read_synth(path_in("streamed.syn"), &ns);
    float *w = read_synth(path_in("whole.syn"), &nw);
    assert_non_null(s);
    assert_non_null(w);
    assert_int_equal(ns, n);
    assert_int_equal(nw, n);
    for (size_t i = 0; i < n; i++)
        if (fabsf(s[i] - w[i]) > 1e-6f) fail_msg("sample %zu: streamed %g, whole %g", i, s[i], w[i]);
    free(s);
    free(w);
}

/* Peak memory of a streamed run in a child process, in KiB. */
static long child_peak_kib(size_t n, int streaming)
{
    char name[64];
    snprintf(name, sizeof name, "mem-%zu.syn", n);
    write_synth(path_in(name), n);
    int fd[2];
    assert_int_equal(pipe(fd), 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        close(fd[0]);
        if (!streaming) synth_domain.stream = NULL;
        const char *steps[] = {"smooth", "normalise"};
        const char *in[] = {path_in(name)};
        pol_batch_result res;
        char out[64];
        snprintf(out, sizeof out, "out-%zu-%d.syn", n, streaming);
        pol_status st = run_pipeline(steps, 2, in, 1, NULL, path_in(out), &res, NULL, 1);
        struct rusage ru;
        getrusage(RUSAGE_SELF, &ru);
        long v = st == POL_OK ? ru.ru_maxrss : -1;
        if (write(fd[1], &v, sizeof v) != sizeof v) _exit(2);
        _exit(0);
    }
    close(fd[1]);
    long v = -1;
    if (read(fd[0], &v, sizeof v) != sizeof v) v = -1;
    close(fd[0]);
    int status;
    waitpid(pid, &status, 0);
    unlink(path_in(name));
    return v;
}

/* The contract: memory of a streamed run does not grow with the length of the input. 10x the
 * samples (40 MB more input) within 10% of the peak at 1x; the same runs loaded whole grow. */
static void test_stream_memory_flat(void **state)
{
    (void)state;
    size_t n1 = 1000000, n10 = 10000000;
    long s1 = child_peak_kib(n1, 1), s10 = child_peak_kib(n10, 1);
    assert_true(s1 > 0 && s10 > 0);
    print_message("streamed peak: %ld KiB at %zu samples, %ld KiB at %zu\n", s1, n1, s10, n10);
    if ((double)s10 > 1.10 * (double)s1)
        fail_msg("streamed peak grew from %ld to %ld KiB with 10x the input", s1, s10);
    long w1 = child_peak_kib(n1, 0), w10 = child_peak_kib(n10, 0);
    print_message("whole peak: %ld KiB at %zu samples, %ld KiB at %zu\n", w1, n1, w10, n10);
    /* the measurement can tell: loading whole grows by at least the samples' size */
    assert_true(w10 - w1 > 30000);
}

/* Two inputs: the reference is loaded once for the whole batch, whatever the item count. */
static void test_shared_input_loaded_once(void **state)
{
    (void)state;
    write_synth(path_in("ref.syn"), 1000);
    const char *names[] = {"i0.syn", "i1.syn", "i2.syn", "i3.syn", "i4.syn", "i5.syn"};
    const char *in[6];
    for (int i = 0; i < 6; i++) {
        write_synth(path_in(names[i]), 500 + (size_t)i);
        in[i] = strdup(path_in(names[i])); /* path_in's buffers rotate */
    }
    char step[300];
    snprintf(step, sizeof step, "subtract=%s", path_in("ref.syn"));
    const char *steps[] = {step};
    whole_loads = 0;
    pol_batch_result res;
    mkdir(path_in("two"), 0777);
    assert_int_equal(run_pipeline(steps, 1, in, 6, path_in("two"), NULL, &res, NULL, 3), POL_OK);
    assert_int_equal(res.ok, 6);
    assert_int_equal(whole_loads, 6 + 1); /* six items, one reference */
    /* the reference's mean was subtracted */
    double mean = 0;
    for (size_t i = 0; i < 1000; i++) mean += sample(i);
    mean /= 1000;
    size_t n;
    float *v = read_synth(path_in("two/i3.syn"), &n);
    assert_non_null(v);
    assert_int_equal(n, 503);
    assert_true(fabs(v[10] - (sample(10) - mean)) < 1e-5);
    free(v);
    for (int i = 1; i < 6; i++) free((char *)in[i]);
    /* a missing required input is an argument error before anything runs */
    pol_pipeline *p;
    pol_err err;
    assert_int_equal(pol_pipeline_new("synth", &p, &err), POL_OK);
    assert_int_equal(pol_pipeline_add_step(p, "subtract", NULL, &err), POL_OK);
    assert_int_equal(pol_pipeline_check(p, &err), POL_ERR_ARG);
    assert_non_null(strstr(err.msg, "--reference"));
    pol_batch b = {.mode = POL_BATCH_PROCESS, .outdir = path_in("none")};
    assert_int_equal(pol_batch_run(p, in, 1, &b, NULL, &res, &err), POL_ERR_ARG);
    struct stat st;
    assert_int_not_equal(stat(path_in("none"), &st), 0); /* nothing was written */
    pol_pipeline_free(p);
    free((char *)in[0]);
}

/* `polish fix` options: an automatic step that needs a port waits (declined, saying which
 * option runs it) until the option gives it; OP.NAME targets one op; unknown names are refused. */
static void test_fix_options(void **state)
{
    (void)state;
    write_synth(path_in("f.syn"), 700);
    write_synth(path_in("fref.syn"), 300);
    const char *in[] = {strdup(path_in("f.syn"))};
    pol_err err;
    pol_options opt;
    pol_options_default(&opt);
    opt.threads = 1;
    for (int with = 0; with < 3; with++) {
        pol_pipeline *p;
        assert_int_equal(pol_pipeline_new_auto(&p, &err), POL_OK);
        assert_int_equal(pol_pipeline_auto_option_kind(p, "reference"), 2);
        assert_int_equal(pol_pipeline_auto_option_kind(p, "subtract.reference"), 2);
        assert_int_equal(pol_pipeline_auto_option_kind(p, "smooth.reference"), 0);
        assert_int_equal(pol_pipeline_auto_option_kind(p, "nope"), 0);
        assert_int_equal(pol_pipeline_set_auto_option(p, "nope", "1", &err), POL_ERR_ARG);
        assert_non_null(strstr(err.msg, "--nope"));
        if (with == 1)
            assert_int_equal(pol_pipeline_set_auto_option(p, "reference", path_in("fref.syn"), &err),
                             POL_OK);
        if (with == 2)
            assert_int_equal(pol_pipeline_set_auto_option(p, "synth.subtract.reference",
                                                          path_in("fref.syn"), &err),
                             POL_OK);
        assert_int_equal(pol_pipeline_check(p, &err), POL_OK);
        char out[64];
        snprintf(out, sizeof out, "fix%d.syn", with);
        pol_batch b = {.mode = POL_BATCH_PROCESS, .options = &opt, .outfile = path_in(out)};
        pol_report *r = pol_report_new("test");
        pol_batch_result res;
        assert_int_equal(pol_batch_run(p, in, 1, &b, r, &res, &err), POL_OK);
        assert_int_equal(res.ok, 1);
        char *j = pol_report_json(r);
        assert_non_null(j);
        if (with == 0)
            assert_non_null(strstr(j, "it needs --reference"));
        else
            assert_null(strstr(j, "it needs --reference"));
        free(j);
        pol_report_free(r);
        pol_pipeline_free(p);
        size_t n;
        float *v = read_synth(path_in(out), &n);
        assert_non_null(v);
        assert_int_equal(n, 700);
        /* smooth ran every time (a 3-tap mean keeps the mean); the reference's mean was taken
         * away only when it was given */
        double mean = 0, m_in = 0, m_ref = 0;
        for (size_t i = 0; i < n; i++) mean += v[i], m_in += sample(i);
        for (size_t i = 0; i < 300; i++) m_ref += sample(i);
        mean /= (double)n;
        m_in /= (double)n;
        m_ref /= 300.0;
        double want = with == 0 ? m_in : m_in - m_ref;
        assert_true(fabs(mean - want) < 0.01);
        assert_true(fabs(v[100] - (sample(99) + sample(100) + sample(101)) / 3.0 -
                         (want - m_in)) < 1e-4);
        free(v);
    }
    free((char *)in[0]);
}

/* One in, many out; and an item that leaves as another domain. */
static void test_split_and_cross_domain(void **state)
{
    (void)state;
    write_synth(path_in("s.syn"), 1001);
    char *s_path = strdup(path_in("s.syn"));
    const char *in[] = {s_path};
    const char *split[] = {"halves"};
    pol_batch_result res;
    mkdir(path_in("parts"), 0777);
    assert_int_equal(run_pipeline(split, 1, in, 1, path_in("parts"), NULL, &res, NULL, 1), POL_OK);
    size_t n1, n2;
    float *a = read_synth(path_in("parts/s.first.syn"), &n1);
    float *b = read_synth(path_in("parts/s.second.syn"), &n2);
    assert_non_null(a);
    assert_non_null(b);
    assert_int_equal(n1 + n2, 1001);
    assert_true(b[0] == sample(500));
    free(a);
    free(b);
    struct stat st;
    assert_int_not_equal(stat(path_in("parts/s.syn"), &st), 0); /* the parts replace it */

    const char *cross[] = {"smooth", "tally"};
    mkdir(path_in("cross"), 0777);
    assert_int_equal(run_pipeline(cross, 2, in, 1, path_in("cross"), NULL, &res, NULL, 1), POL_OK);
    FILE *f = fopen(path_in("cross/s.txt"), "r");
    assert_non_null(f);
    size_t count = 0;
    double sum = 0;
    assert_int_equal(fscanf(f, "%zu,%lf", &count, &sum), 2);
    fclose(f);
    assert_int_equal(count, 1001);
    free(s_path);
}

/* An op that makes its item runs once with no input: -o FILE is its output, -o DIR gets its
 * emitted parts by name. */
static void test_no_input(void **state)
{
    (void)state;
    const char *make[] = {"make"};
    pol_batch_result res;
    mkdir(path_in("made"), 0777);
    assert_int_equal(run_pipeline(make, 1, NULL, 0, NULL, path_in("made/gen.syn"), &res, NULL, 1),
                     POL_OK);
    assert_int_equal(res.ok, 1);
    size_t n;
    float *v = read_synth(path_in("made/gen.syn"), &n);
    assert_non_null(v);
    assert_int_equal(n, 100);
    assert_true(v[99] == 99.0f);
    free(v);
    const char *parts[] = {"make-parts"};
    mkdir(path_in("made2"), 0777);
    assert_int_equal(run_pipeline(parts, 1, NULL, 0, path_in("made2"), NULL, &res, NULL, 2),
                     POL_OK);
    float *tr = read_synth(path_in("made2/train"), &n);
    assert_non_null(tr);
    assert_int_equal(n, 10);
    free(tr);
    float *te = read_synth(path_in("made2/test"), &n);
    assert_non_null(te);
    assert_int_equal(n, 20);
    free(te);
    /* an op that needs an input still refuses to run without one */
    const char *smooth[] = {"smooth"};
    assert_int_equal(run_pipeline(smooth, 1, NULL, 0, path_in("made3"), NULL, &res, NULL, 1),
                     POL_ERR_ARG);
}

/* A document op gives its document (to -o, or to the caller through the report), keeps its
 * figure in the report, and does not save the item. */
static void test_document(void **state)
{
    (void)state;
    write_synth(path_in("d1.syn"), 4); /* samples 0..3 of sample() */
    write_synth(path_in("d2.syn"), 8);
    char *p1 = strdup(path_in("d1.syn")), *p2 = strdup(path_in("d2.syn"));
    const char *in[] = {p1, p2};
    const char *stats[] = {"stats"};
    pol_batch_result res;
    pol_report *r = NULL;
    /* a report without pictures keeps no figure */
    assert_int_equal(run_pipeline(stats, 1, in, 1, NULL, NULL, &res, &r, 1), POL_OK);
    char *json = pol_report_json(r);
    assert_non_null(json);
    assert_null(strstr(json, "\"figures\""));
    free(json);
    pol_report_free(r);
    want_pictures = 1;
    assert_int_equal(run_pipeline(stats, 1, in, 1, NULL, NULL, &res, &r, 1), POL_OK);
    want_pictures = 0;
    char *doc = pol_report_documents(r);
    assert_non_null(doc);
    assert_non_null(strstr(doc, "\"n\": 4"));
    assert_null(strstr(doc, "\"items\"")); /* one item: the document itself */
    free(doc);
    char *html_path = strdup(path_in("doc.html"));
    pol_err err;
    assert_int_equal(pol_report_write(r, html_path, &err), POL_OK);
    FILE *f = fopen(html_path, "r");
    assert_non_null(f);
    char page[65536];
    size_t got = fread(page, 1, sizeof page - 1, f);
    page[got] = '\0';
    fclose(f);
    assert_non_null(strstr(page, "src=\"data:image/png;base64,iVBORwECAw==\""));
    pol_report_free(r);
    free(html_path);

    mkdir(path_in("docs"), 0777);
    assert_int_equal(run_pipeline(stats, 1, in, 2, path_in("docs"), NULL, &res, &r, 2), POL_OK);
    doc = pol_report_documents(r);
    assert_non_null(doc);
    assert_non_null(strstr(doc, "\"items\""));
    assert_non_null(strstr(doc, "\"n\": 8"));
    free(doc);
    pol_report_free(r);
    struct stat st;
    assert_int_equal(stat(path_in("docs/d2.json"), &st), 0);
    assert_int_not_equal(stat(path_in("docs/d2.syn"), &st), 0); /* the item itself is not saved */
    free(p1);
    free(p2);
}

/* Cancelling stops the batch: not every item runs, none is left half-written, the result and the
 * report say so. */
/* Cancels once an item has finished (its output is in the folder), however loaded the machine. */
static void *cancel_later(void *arg)
{
    const char *folder = arg;
    for (int waited = 0; waited < 60000; waited += 2) {
        DIR *d = opendir(folder);
        struct dirent *e;
        int done = 0;
        while (d && (e = readdir(d)) && !done) done = strstr(e->d_name, ".syn") && e->d_name[0] != '.';
        if (d) closedir(d);
        if (done) break;
        usleep(2000);
    }
    pol_cancel();
    return NULL;
}

static void test_cancel(void **state)
{
    (void)state;
    enum { N = 60 };
    const char *in[N];
    static char names[N][32];
    for (int i = 0; i < N; i++) {
        snprintf(names[i], sizeof names[i], "c%02d.syn", i);
        write_synth(path_in(names[i]), 100);
        in[i] = strdup(path_in(names[i]));
    }
    const char *steps[] = {"slow"};
    mkdir(path_in("cancel"), 0777);
    pthread_t t;
    pol_cancel_reset();
    char *folder = strdup(path_in("cancel"));
    assert_int_equal(pthread_create(&t, NULL, cancel_later, folder), 0);
    pol_batch_result res;
    pol_report *rep;
    pol_status st = run_pipeline(steps, 1, in, N, path_in("cancel"), NULL, &res, &rep, 2);
    pthread_join(t, NULL);
    free(folder);
    pol_cancel_reset();
    for (int i = 0; i < N; i++) free((char *)in[i]);
    assert_int_equal(st, POL_ERR_CANCELLED);
    assert_true(res.ok > 0 && res.ok < N);
    assert_int_equal(res.ok + res.failed + res.cancelled, N);
    char *j = pol_report_json(rep);
    assert_non_null(strstr(j, "\"cancelled\": true"));
    free(j);
    pol_report_free(rep);
    /* exactly the finished items have outputs, and no temporary file is left */
    char cmd[512];
    snprintf(cmd, sizeof cmd, "ls '%s' | grep -c '\\.syn$'", path_in("cancel"));
    FILE *p = popen(cmd, "r");
    int files = -1;
    assert_int_equal(fscanf(p, "%d", &files), 1);
    pclose(p);
    assert_int_equal((size_t)files, res.ok);
    snprintf(cmd, sizeof cmd, "ls -a '%s' | grep -q '\\.part$'", path_in("cancel"));
    assert_int_not_equal(system(cmd), 0);
}

/* Items that are groups of files: by the stem rule (frame.0001.a + frame.0001.b) and by an
 * explicit list; a domain that cannot load groups says so. */
static void test_groups(void **state)
{
    (void)state;
    mkdir(path_in("g"), 0777);
    const char *names[] = {"f.0001.a.syn", "f.0001.b.syn", "f.0002.a.syn", "f.0002.b.syn",
                           "lone.syn"};
    size_t sizes[] = {100, 50, 70, 30, 10};
    for (int i = 0; i < 5; i++) {
        char rel[64];
        snprintf(rel, sizeof rel, "g/%s", names[i]);
        write_synth(path_in(rel), sizes[i]);
    }
    pol_pipeline *p;
    pol_err err;
    assert_int_equal(pol_pipeline_new("synth", &p, &err), POL_OK);
    assert_int_equal(pol_pipeline_add_step(p, "smooth", NULL, &err), POL_OK);
    pol_options opt;
    pol_options_default(&opt);
    opt.threads = 2;
    char *in_dir = strdup(path_in("g")), *out_dir = strdup(path_in("gout"));
    const char *in[] = {in_dir};
    pol_batch b = {.mode = POL_BATCH_PROCESS, .options = &opt, .outdir = out_dir,
                   .group = POL_GROUP_STEM};
    pol_batch_result res;
    whole_loads = 0;
    assert_int_equal(pol_batch_run(p, in, 1, &b, NULL, &res, &err), POL_OK);
    assert_int_equal(res.total, 3); /* two frames, one lone file */
    assert_int_equal(whole_loads, 4); /* the groups loaded whole; the lone file streamed */
    size_t n;
    float *v = read_synth(path_in("gout/f.0001.syn"), &n);
    assert_non_null(v);
    assert_int_equal(n, 150);
    free(v);
    v = read_synth(path_in("gout/f.0002.syn"), &n);
    assert_non_null(v);
    assert_int_equal(n, 100);
    free(v);
    v = read_synth(path_in("gout/lone.syn"), &n);
    assert_non_null(v);
    assert_int_equal(n, 10);
    free(v);

    /* an explicit list: lone + f.0002.a as one item */
    char *m0 = strdup(path_in("g/lone.syn")), *m1 = strdup(path_in("g/f.0002.a.syn"));
    const char *g0[] = {m0, m1, NULL};
    const char *const *groups[] = {g0};
    char *out2 = strdup(path_in("gout2"));
    pol_batch b2 = {.mode = POL_BATCH_PROCESS, .options = &opt, .outdir = out2,
                    .group = POL_GROUP_LIST, .groups = groups, .n_groups = 1};
    assert_int_equal(pol_batch_run(p, NULL, 0, &b2, NULL, &res, &err), POL_OK);
    assert_int_equal(res.total, 1);
    v = read_synth(path_in("gout2/group-0.syn"), &n);
    assert_non_null(v);
    assert_int_equal(n, 80);
    free(v);

    /* a domain without load_group: the group fails with the reason, nothing half-done */
    synth_domain.load_group = NULL;
    char *out3 = strdup(path_in("gout3"));
    b.outdir = out3;
    assert_int_equal(pol_batch_run(p, in, 1, &b, NULL, &res, &err), POL_ERR_PARTIAL);
    assert_int_equal(res.failed, 2);
    assert_int_equal(res.ok, 1);
    synth_domain.load_group = synth_load_group;
    pol_pipeline_free(p);
    free(in_dir);
    free(out_dir);
    free(m0);
    free(m1);
    free(out2);
    free(out3);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_registered),
        cmocka_unit_test(test_stream_matches_whole),
        cmocka_unit_test(test_stream_memory_flat),
        cmocka_unit_test(test_shared_input_loaded_once),
        cmocka_unit_test(test_fix_options),
        cmocka_unit_test(test_split_and_cross_domain),
        cmocka_unit_test(test_cancel),
        cmocka_unit_test(test_groups),
        cmocka_unit_test(test_no_input),
        cmocka_unit_test(test_document),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
