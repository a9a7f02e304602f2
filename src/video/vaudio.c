/* polish — the soundtrack through the audio domain's operations, block by block: the same chunked
 * form (pol_op_stream) the audio domain's streaming runner uses, fed from the video's decoder.
 * Planning runs each op's measuring passes over the decoded soundtrack (through the ops before
 * it); rendering applies them all to blocks with the context (halo) they declare. Each audio op
 * gets its own step in the report. */
#include <stdlib.h>
#include <string.h>
#include "audio/audio.h"
#include "core/args.h"
#include "video/video.h"

#define VA_MAX 12
#define VA_CHUNK 131072

struct pol__vaudio {
    size_t n;
    const pol_op_desc *op[VA_MAX];
    pol_args *args[VA_MAX];
    void *state[VA_MAX];
    int begun[VA_MAX];
    pol__jv *node[VA_MAX];
    size_t halo;
    int channels, rate;
    uint64_t total;
    /* the block buffer */
    float *buf;
    size_t cap;
    uint64_t buf_s0, next;
    size_t buf_len;
    pol__audio_fmt fmt;
    /* the pass: ops [0, upto) applied; `measure` >= 0: that op measures */
    size_t upto;
    int measure;
};

void pol__vaudio_free(pol__vaudio *a)
{
    if (!a) return;
    for (size_t i = 0; i < a->n; i++) {
        if (a->begun[i] && a->op[i]->stream->free) a->op[i]->stream->free(a->state[i]);
        pol__args_free(a->args[i]);
    }
    free(a->buf);
    free(a);
}

static void reset_stream(pol__vaudio *a)
{
    a->buf_len = 0;
    a->buf_s0 = 0;
    a->next = 0;
}

typedef pol_status (*sink_fn)(pol_run *, void *, const float *, size_t);

/* Emits every chunk the buffer can give (all of them when `final`). */
static pol_status emit(pol_run *run, pol__vaudio *a, int final, sink_fn sink, void *user)
{
    size_t nc = (size_t)a->channels;
    pol__jv *saved = run->step;
    pol_status st = POL_OK;
    for (;;) {
        uint64_t have = a->buf_s0 + a->buf_len;
        if (final) a->total = have; /* the decoder's count is the truth */
        if (a->next >= a->total) break;
        size_t core = a->total - a->next < VA_CHUNK ? (size_t)(a->total - a->next) : VA_CHUNK;
        uint64_t s0 = a->next > a->halo ? a->next - a->halo : 0;
        uint64_t s1 = a->next + core + a->halo;
        if (s1 > a->total) s1 = a->total;
        if (have < s1) {
            if (!final) break;
            s1 = have;
            if (a->next + core > s1) core = (size_t)(s1 - a->next);
        }
        if (s0 < a->buf_s0) s0 = a->buf_s0;
        size_t off = (size_t)(s0 - a->buf_s0);
        pol__ablock b = {.x = a->buf + off * nc, .channels = a->channels, .rate = a->rate,
                         .total = a->total, .s0 = s0, .len = (size_t)(s1 - s0), .valid_end = s1,
                         .halo = a->halo, .out = &a->fmt};
        pol__chunk c = {.data = &b, .start = a->next, .n = core, .pre = (size_t)(a->next - s0),
                        .post = (size_t)(s1 - a->next - core), .last = a->next + core >= a->total};
        for (size_t k = 0; !st && k < a->upto; k++) {
            run->step = a->node[k];
            st = a->op[k]->stream->apply(run, a->state[k], &c);
        }
        if (!st && a->measure >= 0) {
            run->step = a->node[a->measure];
            st = a->op[a->measure]->stream->measure(run, a->state[a->measure], &c);
        }
        run->step = saved;
        if (!st && sink) st = sink(run, user, b.x + (size_t)(c.start - s0) * nc, c.n);
        if (st) break;
        a->next += core;
        /* drop what the next chunk's context no longer needs */
        uint64_t keep_from = a->next > a->halo ? a->next - a->halo : 0;
        if (keep_from > a->buf_s0) {
            size_t drop = (size_t)(keep_from - a->buf_s0);
            if (drop > a->buf_len) drop = a->buf_len;
            memmove(a->buf, a->buf + drop * nc, (a->buf_len - drop) * nc * sizeof *a->buf);
            a->buf_len -= drop;
            a->buf_s0 += drop;
        }
    }
    return st;
}

pol_status pol__vaudio_push(pol_run *run, pol__vaudio *a, const float *x, size_t n, int last,
                            sink_fn sink, void *user)
{
    size_t nc = (size_t)a->channels;
    if (n) {
        if (a->buf_len + n > a->cap) {
            size_t cap = a->cap ? a->cap : VA_CHUNK;
            while (cap < a->buf_len + n) cap *= 2;
            pol_status st = pol__mem_reserve(run, (cap - a->cap) * nc * sizeof(float), "a soundtrack block");
            if (st) return st;
            float *b = realloc(a->buf, cap * nc * sizeof *b);
            if (!b) return pol__fail(run, POL_ERR_NOMEM, "out of memory");
            a->buf = b;
            a->cap = cap;
        }
        memcpy(a->buf + a->buf_len * nc, x, n * nc * sizeof *x);
        a->buf_len += n;
    }
    return emit(run, a, last, sink, user);
}

pol_status pol__vaudio_start(pol_run *run, pol__vaudio *a)
{
    (void)run;
    reset_stream(a);
    a->upto = a->n;
    a->measure = -1;
    return POL_OK;
}

/* One pass over the soundtrack: ops [0, upto) applied, op `measure` measuring. */
static pol_status pass(pol_run *run, pol__video *v, pol__vaudio *a, size_t upto, int measure)
{
    pol__vdec *d = NULL;
    pol_status st = pol__vdec_open(run, v->path, POL_VDEC_AUDIO, &d);
    if (st) return st;
    reset_stream(a);
    a->upto = upto;
    a->measure = measure;
    while (!st) {
        pol__vdec_out o;
        st = pol__vdec_next(run, d, &o);
        if (st || !o.kind) break;
        if (o.kind == POL_VDEC_AUDIO) st = pol__vaudio_push(run, a, o.samples, o.n, 0, NULL, NULL);
    }
    if (!st) st = pol__vaudio_push(run, a, NULL, 0, 1, NULL, NULL);
    pol__vdec_close(d);
    return st;
}

static pol_status count_pass(pol_run *run, pol__video *v, pol__vaudio *a)
{
    pol__vdec *d = NULL;
    pol_status st = pol__vdec_open(run, v->path, POL_VDEC_AUDIO, &d);
    if (st) return st;
    a->channels = pol__vdec_achannels(d);
    a->rate = pol__vdec_arate(d);
    uint64_t n = 0;
    while (!st) {
        pol__vdec_out o;
        st = pol__vdec_next(run, d, &o);
        if (st || !o.kind) break;
        if (o.kind == POL_VDEC_AUDIO) n += o.n;
    }
    pol__vdec_close(d);
    a->total = n;
    if (!st && !n) st = pol__fail(run, POL_ERR_EMPTY, "the soundtrack holds no samples");
    return st;
}

pol_status pol__vaudio_plan(pol_run *run, pol__video *v, const char *const *names,
                            const char *const *opts)
{
    (void)opts;
    if (!v->in.has_audio) return POL_OK;
    pol__vaudio *a = calloc(1, sizeof *a);
    if (!a) return pol__fail(run, POL_ERR_NOMEM, "out of memory");
    pol_status st = count_pass(run, v, a);
    pol__jv *parent = run->step;
    for (size_t i = 0; !st && names[i] && a->n < VA_MAX; i++) {
        const pol_op_desc *op = pol_op_find("audio", names[i]);
        if (!op || !op->stream) continue;
        size_t k = a->n++;
        a->op[k] = op;
        a->args[k] = pol__args_new(op);
        if (!a->args[k]) {
            st = pol__fail(run, POL_ERR_NOMEM, "out of memory");
            break;
        }
        /* A video's soundtrack is delivered at the web's loudness: the target exactly, limited
         * under the ceiling as needed (inside `polish fix` the audio domain would otherwise stop
         * short of the target rather than limit). */
        if (!strcmp(op->name, "loudness") && pol_op_param(op, "limiting") &&
            (st = pol__args_set(a->args[k], "limiting", "full", run->err)))
            break;
        a->node[k] = pol__step_node(run, op, a->args[k]);
        if (a->node[k]) pol__jv_set(a->node[k], "on", pol__jv_str("soundtrack"));
        run->step = a->node[k];
        run->declined = 0;
        st = op->stream->begin(run, a->args[k], &a->state[k]);
        a->begun[k] = !st;
        a->halo += op->stream->halo;
        run->step = parent;
    }
    /* measuring passes, each through the ops before it */
    for (size_t k = 0; !st && k < a->n; k++) {
        const pol_op_stream *os = a->op[k]->stream;
        int np = os->measure_passes > 1 ? os->measure_passes : 1;
        for (int m = 0; !st && m < np && os->measure_first && os->measure; m++) {
            st = pass(run, v, a, k, (int)k);
            if (!st && os->decide) {
                run->step = a->node[k];
                run->declined = 0;
                st = os->decide(run, a->state[k]);
                run->step = parent;
            }
        }
    }
    run->declined = 0;
    /* planned; the render that applies the chain says applied or declined */
    for (size_t k = 0; !st && k < a->n; k++)
        if (a->node[k]) pol__jv_set(a->node[k], "status", pol__jv_str("planned"));
    if (st) {
        for (size_t k = 0; k < a->n; k++)
            if (a->node[k]) pol__jv_set(a->node[k], "status", pol__jv_str("failed"));
        pol__vaudio_free(a);
        return st;
    }
    pol__vaudio_free(v->audio);
    v->audio = a;
    return POL_OK;
}

pol_status pol__vaudio_end(pol_run *run, pol__vaudio *a)
{
    pol__jv *saved = run->step;
    pol_status st = POL_OK;
    for (size_t k = 0; !st && k < a->n; k++) {
        run->step = a->node[k];
        if (a->op[k]->stream->end) st = a->op[k]->stream->end(run, a->state[k]);
        if (a->node[k])
            pol__jv_set(a->node[k], "status",
                        pol__jv_str(st ? "failed" : pol__jv_get(a->node[k], "declined") ? "declined" : "applied"));
    }
    run->step = saved;
    return st;
}

pol_status pol__vaudio_plan_list(pol_run *run, pol__video *v, const char *list)
{
    char *copy = pol__strdup(list), *keep = pol__strdup(list);
    if (!copy || !keep) {
        free(copy);
        free(keep);
        return pol__fail(run, POL_ERR_NOMEM, "out of memory");
    }
    const char *names[VA_MAX + 1];
    size_t n = 0;
    for (char *s = strtok(copy, ", "); s && n < VA_MAX; s = strtok(NULL, ", ")) names[n++] = s;
    names[n] = NULL;
    pol_status st = pol__vaudio_plan(run, v, names, NULL);
    free(copy);
    if (st) {
        free(keep);
        return st;
    }
    free(v->audio_steps);
    v->audio_steps = keep;
    return POL_OK;
}
