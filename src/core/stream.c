/* polish — the streaming runner: a measuring pass per op that asks for one (through the ops
 * before it, read back from a scratch copy of what they gave when the domain can make one), then
 * one pass that applies every op not yet applied to each chunk and writes its core. Memory is a
 * chunk plus its context, whatever the length of the input. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "core/pipeline.h"
#include "core/stream.h"

int pol__stream_possible(const pol__domain *d, const pol_pipeline *p, const pol_op_desc *dop)
{
    if (!d->stream || p->n_targets) return 0;
    if (!p->n_steps && !dop) return 0; /* nothing to do chunk by chunk: loaded and saved whole */
    const pol_op_desc *deliver = pol_domain_deliver_op(d->name);
    for (size_t i = 0; i < p->n_steps; i++) {
        const pol_op_stream *os = p->steps[i].op->stream;
        if (!os || p->steps[i].op->out_domain) return 0;
        if (os->can && !os->can(p->steps[i].args)) return 0;
        /* an op that rewrites what is written, or splits it, streams only as the last step (the
         * delivery op may follow it) */
        if (os->rewrites_output || os->splits)
            for (size_t j = i + 1; j < p->n_steps; j++)
                if (p->steps[j].op != deliver) return 0;
    }
    if (dop && dop->stream && dop->stream->can && p->deliver && p->deliver->op == dop &&
        !dop->stream->can(p->deliver))
        return 0;
    return !dop || dop->stream != NULL;
}

pol_status pol__stream_want_whole(pol_run *run, const char *why)
{
    run->stream_whole = 1;
    return pol__fail(run, POL_ERR_UNSUPPORTED, "%s", why);
}

typedef struct stage {
    const pol_op_desc *op;
    const pol_args *args;
    void *state;
    pol__jv *node;
    int begun;
} stage;


/* The context a chunk needs on each side so that stages [from, upto) leave its core right:
 * worked out from the last stage back (a resampler scales what the stages after it need). A
 * stage that measured and declined changes nothing, so it needs none. `ups`: the stream's units
 * a second (0: not known), for stages whose context is a time (halo_at). */
static size_t context_of(const stage *st, size_t from, size_t upto, double ups)
{
    size_t need = 0;
    for (size_t i = upto; i-- > from;) {
        const pol_op_stream *os = st[i].op->stream;
        if (st[i].node && pol__jv_get(st[i].node, "declined")) continue;
        size_t halo = os->halo_at && ups > 0 ? os->halo_at(ups) : os->halo;
        need = os->context ? os->context(st[i].args, need) : need + halo;
    }
    return need;
}

/* Runs `fn` with the report pointing at stage s. */
#define IN_STAGE(run, s, expr)                                                                     \
    ((run)->step = (s)->node, (run)->declined = 0, (expr))

/* Where a pass reads: the input, or a scratch copy of what stages [0, from) made of it. */
typedef struct source {
    FILE *scratch; /* NULL: the input */
    size_t from;
} source;

static pol_status source_open(pol_run *run, const pol__domain *d, const char *in, const source *src,
                              void *like, void **rd)
{
    if (!src->scratch) return d->stream->open(run, in, rd);
    if (fseek(src->scratch, 0, SEEK_SET) != 0)
        return pol__fail(run, POL_ERR_IO, "cannot rewind the scratch copy");
    return d->stream->scratch_open(run, src->scratch, like, rd);
}

/* Where the applying pass writes: the item's output, or, once an op cuts the stream
 * (pol__chunk.cut_at), one part after another, each committed before the next opens. */
typedef struct outputs {
    const pol__domain *d;
    const char *in, *out;
    int open;          /* of/w hold the current output */
    int made;          /* outputs opened so far */
    pol__outfile of;
    void *w;
} outputs;

/* <stem>.<name>.<ext> beside `out`, as a loaded item's emitted parts are named. */
static char *part_path(const char *out, const char *name)
{
    const char *slash = strrchr(out, '/'), *dot = strrchr(out, '.');
    if (dot && (!slash || dot > slash))
        return pol__asprintf("%.*s.%s%s", (int)(dot - out), out, name, dot);
    return pol__asprintf("%s.%s", out, name);
}

static pol_status outs_open(pol_run *run, outputs *o, const char *name)
{
    char *path = name ? part_path(o->out, name) : pol__strdup(o->out);
    if (!path) return pol__fail(run, POL_ERR_NOMEM, "out of memory");
    const pol__stream_io *io = o->d->stream;
    pol_status s = pol__out_open(run, path, &o->of);
    free(path);
    if (s) return s;
    void *rd = NULL;
    s = io->open(run, o->in, &rd); /* the writer takes the input's header from a reader */
    if (!s)
        s = io->write_begin_path ? io->write_begin_path(run, rd, o->of.tmp_path, o->of.fp, &o->w)
                                 : io->write_begin(run, rd, o->of.fp, &o->w);
    if (rd) io->close(rd);
    if (s) {
        pol__out_abort(&o->of);
        return s;
    }
    o->open = 1;
    o->made++;
    return POL_OK;
}

static pol_status outs_close(pol_run *run, outputs *o, pol_status s)
{
    if (!o->open) return s;
    const pol__stream_io *io = o->d->stream;
    o->open = 0;
    if (!s)
        s = io->write_end(run, o->w);
    else if (io->write_abort)
        io->write_abort(o->w);
    o->w = NULL;
    if (!s) return pol__out_commit(run, &o->of);
    pol__out_abort(&o->of);
    return s;
}

/* The core's units [from, to) to the current output (the item's own when none is open). */
static pol_status outs_slice(pol_run *run, outputs *o, const pol__chunk *c, size_t from, size_t to)
{
    if (!o->open) {
        pol_status s = outs_open(run, o, NULL);
        if (s) return s;
    }
    if (from == 0 && to == c->n && !c->n_cuts) return o->d->stream->write(run, o->w, c);
    pol__chunk part = *c;
    part.start = c->start + from;
    part.n = to - from;
    part.pre = c->pre + from;
    part.post = c->post + (c->n - to);
    part.last = c->last && to == c->n;
    part.n_cuts = 0;
    part.cut_at = NULL;
    part.cut_name = NULL;
    return o->d->stream->write(run, o->w, &part);
}

static pol_status outs_write(pol_run *run, outputs *o, const pol__chunk *c)
{
    size_t pos = 0;
    pol_status s = POL_OK;
    for (size_t i = 0; !s && i < c->n_cuts; i++) {
        size_t at = c->cut_at[i];
        if (at < pos || at > c->n) return pol__fail(run, POL_ERR_INTERNAL, "a cut out of order");
        if (at > pos) s = outs_slice(run, o, c, pos, at);
        if (!s) s = outs_close(run, o, POL_OK);
        if (!s) s = outs_open(run, o, c->cut_name[i]);
        pos = at;
    }
    if (!s && (c->n > pos || c->last)) s = outs_slice(run, o, c, pos, c->n);
    return s;
}

/* One pass over the source: ops [src->from, upto) applied to each chunk; then either op `upto`
 * measures (measuring pass) or the cores are written (w != NULL). With `spill`, the cores as ops
 * [0, upto) leave them are also written there, and *next becomes the reader of that copy. */
static pol_status pass(pol_run *run, const pol__domain *d, const char *in, const source *src,
                       stage *st, size_t upto, int measure, outputs *w, FILE *spill,
                       void *like, void **next, void *ahead)
{
    const pol__stream_io *io = d->stream;
    void *rd = NULL, *sw = NULL;
    pol_status s = source_open(run, d, in, src, like, &rd);
    if (s) return s;
    double ups = io->units_per_second ? io->units_per_second(rd) : 0;
    size_t halo = context_of(st, src->from, upto, ups);
    /* what the ops after each one need (pol__chunk.after), as the pass starts */
    size_t *after = malloc((upto + 1) * sizeof *after);
    if (!after) s = pol__fail(run, POL_ERR_NOMEM, "out of memory");
    for (size_t k = src->from; !s && k < upto; k++) after[k] = context_of(st, k + 1, upto, ups);
    if (!s && spill) s = io->scratch_begin(run, spill, &sw);
    pol__chunk *c;
    while (!s && !(s = io->read(run, rd, halo, &c)) && c) {
        if (pol__cancelled(run)) {
            s = pol__fail(run, POL_ERR_CANCELLED, "cancelled");
            break;
        }
        c->n_cuts = 0;
        c->cut_at = NULL;
        c->cut_name = NULL;
        for (size_t k = src->from; !s && k < upto; k++) {
            c->after = after[k];
            s = IN_STAGE(run, &st[k], st[k].op->stream->apply(run, st[k].state, c));
        }
        run->step = NULL;
        if (!s && sw) s = io->write(run, sw, c);
        if (!s && measure)
            s = IN_STAGE(run, &st[upto], st[upto].op->stream->measure(run, st[upto].state, c));
        /* the next op's first measuring pass, on the same input (see pol_op_stream.measure_ahead) */
        if (!s && ahead)
            s = IN_STAGE(run, &st[upto + 1], st[upto + 1].op->stream->measure(run, ahead, c));
        if (!s && w) s = outs_write(run, w, c);
        if (s) break;
    }
    run->step = NULL;
    free(after);
    if (sw) {
        if (!s)
            s = io->write_end(run, sw);
        else if (io->write_abort)
            io->write_abort(sw);
        if (!s && fflush(spill) != 0) s = pol__fail(run, POL_ERR_IO, "writing the scratch copy failed");
        if (!s) s = source_open(run, d, in, &(source){spill, upto}, rd, next);
    }
    io->close(rd);
    return s;
}

pol_status pol__stream_run(pol_run *run, const pol__domain *d, const char *in, const pol_pipeline *p,
                           const char *out)
{
    const pol__stream_io *io = d->stream;
    const pol_op_desc *dop = pol_domain_deliver_op(d->name);
    int with_deliver = out && dop && !(p->n_steps && p->steps[p->n_steps - 1].op == dop);
    size_t n = p->n_steps + (with_deliver ? 1 : 0);
    stage *st = calloc(n ? n : 1, sizeof *st);
    pol_args *dargs = NULL;
    if (!st) return pol__fail(run, POL_ERR_NOMEM, "out of memory");
    pol_status s = POL_OK;
    for (size_t i = 0; i < p->n_steps; i++) st[i] = (stage){p->steps[i].op, p->steps[i].args};
    if (with_deliver) {
        dargs = p->deliver && p->deliver->op == dop ? pol__args_clone(p->deliver) : pol__args_new(dop);
        if (!dargs) s = pol__fail(run, POL_ERR_NOMEM, "out of memory");
        st[n - 1] = (stage){dop, dargs};
    }
    for (size_t i = 0; !s && i < n; i++) {
        st[i].node = pol__step_node(run, st[i].op, st[i].args);
        pol__jv_set(st[i].node, "streamed", pol__jv_bool(1));
        s = IN_STAGE(run, &st[i], st[i].op->stream->begin(run, st[i].args, &st[i].state));
        st[i].begun = !s;
    }
    run->step = NULL;
    /* Measuring passes: op k sees its input as the ops before it leave it. What they leave is
     * kept in a scratch copy when the domain can make one and one of them changed something, so
     * no op is applied twice. */
    source src = {NULL, 0};
    void *like = NULL; /* the reader of the pass that wrote src.scratch */
    size_t passes = 0;
    void *ahead = NULL; /* op ahead_of's state whose first measuring pass was made in the op's before */
    size_t ahead_of = 0;
    for (size_t k = 0; !s && k < n; k++) {
        const pol_op_stream *os = st[k].op->stream;
        int np = os->measure_passes > 1 ? os->measure_passes : 1;
        int m0 = 0;
        if (os->decides_when_last) {
            size_t j = k + 1;
            while (j < n && st[j].op == dop) j++;
            if (j == n) np = 0; /* decided in the applying pass (pol_op_stream.decides_when_last) */
        }
        if (ahead) {
            /* kept when op k - 1 changed nothing (op k measured the input it gets), or when op k
             * can carry what it measured through what op k - 1 does */
            int keep = pol__jv_get(st[k - 1].node, "declined") != NULL;
            if (!keep && os->measure_through) {
                keep = IN_STAGE(run, &st[k], os->measure_through(run, ahead, st[k - 1].op, st[k - 1].state));
                run->step = NULL;
            }
            if (keep) {
                if (os->free) os->free(st[k].state);
                st[k].state = ahead;
                m0 = 1;
                if (os->decide) s = IN_STAGE(run, &st[k], os->decide(run, st[k].state));
                run->step = NULL;
            } else if (os->free) {
                os->free(ahead);
            }
            ahead = NULL;
        }
        for (int m = m0; !s && m < np && os->measure_first && os->measure; m++) {
            int changes = 0;
            for (size_t i = src.from; i < k; i++)
                if (!pol__jv_get(st[i].node, "declined")) changes = 1;
            FILE *spill = NULL;
            void *next = NULL;
            if (changes && io->scratch_begin && io->scratch_open && !(spill = pol__temp_file("scratch")))
                s = pol__fail(run, POL_ERR_IO, "cannot make a scratch file in %s",
                              getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
            /* the next op's first measuring pass alongside this op's first, when it may */
            const pol_op_stream *nx = k + 1 < n ? st[k + 1].op->stream : NULL;
            if (!s && m == 0 && nx && nx->measure_ahead && nx->measure_first && nx->measure) {
                s = IN_STAGE(run, &st[k + 1], nx->begin(run, st[k + 1].args, &ahead));
                run->step = NULL;
                ahead_of = k + 1;
            }
            if (!s) s = pass(run, d, in, &src, st, k, 1, NULL, spill, like, &next, ahead);
            passes++;
            if (spill && !s) {
                if (src.scratch) fclose(src.scratch);
                if (like) io->close(like);
                src = (source){spill, k};
                like = next;
            } else if (spill) {
                fclose(spill);
            }
            if (!s && os->decide) s = IN_STAGE(run, &st[k], os->decide(run, st[k].state));
            run->step = NULL;
        }
    }
    if (ahead && st[ahead_of].op->stream->free) st[ahead_of].op->stream->free(ahead); /* a pass failed */
    /* The applying pass, written as it goes (or only applied: a document op's pipeline). */
    if (!s && !out) {
        s = pass(run, d, in, &src, st, n, 0, NULL, NULL, like, NULL, NULL);
        passes++;
    } else if (!s) {
        outputs o = {.d = d, .in = in, .out = out};
        s = pass(run, d, in, &src, st, n, 0, &o, NULL, like, NULL, NULL);
        if (!s && !o.made) s = outs_open(run, &o, NULL); /* an input of no units */
        s = outs_close(run, &o, s);
        passes++;
    }
    for (size_t i = 0; i < n; i++) {
        if (st[i].begun && st[i].op->stream->end && !s)
            s = IN_STAGE(run, &st[i], st[i].op->stream->end(run, st[i].state));
        run->step = NULL;
        if (st[i].node)
            pol__jv_set(st[i].node, "status",
                       pol__jv_str(s ? "failed" : pol__jv_get(st[i].node, "declined") ? "declined"
                                                                                  : "applied"));
        if (st[i].begun && st[i].op->stream->free) st[i].op->stream->free(st[i].state);
    }
    if (src.scratch) fclose(src.scratch);
    if (like) io->close(like);
    pol__jv_set(run->item, "passes", pol__jv_int((long long)passes));
    pol__args_free(dargs);
    free(st);
    return s;
}
