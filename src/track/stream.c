/* polish — streaming tracks: any format is read (source.c) and written (sink.c) as a stream of
 * points in chunks, so a file of millions of points takes the memory of one chunk and its
 * context. The GPX reader keeps the source's bytes around every point (pol__track.exact), so an
 * unchanged point is written as the source wrote it. Ops whose effect on a point depends on a bounded neighbourhood (dedupe,
 * despike, smooth, simplify) run their whole-track code on each chunk through one adapter, which
 * sums what they did over the chunks' cores; privacy decides on its own (held points, see
 * wr_write), or after its own measuring pass when it is not the last step. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "core/args.h"
#include "core/stream.h"
#include "track/stream.h"

/* Core points per chunk. */
#define CHUNK_POINTS 16384

/* ---- reading ---- */

typedef struct treader {
    pol_run *run;
    char *path;
    pol__tsrc *g;
    pol__track *buf;   /* fresh points [buf0, buf0 + buf->n) as read */
    uint64_t buf0;
    uint64_t next;     /* stream index of the next chunk's core */
    int eof;
    size_t back;       /* time going backwards, over the cores */
    double last_t;
    uint32_t last_seg;
    pol_asset *cur;    /* the chunk handed out */
    pol__chunk c;
} treader;

static pol_status rd_open(pol_run *run, const char *path, void **out)
{
    *out = NULL;
    treader *r = calloc(1, sizeof *r);
    if (!r) return pol__fail(run, POL_ERR_NOMEM, "out of memory");
    r->run = run;
    r->path = pol__strdup(path);
    r->buf = pol__track_new();
    r->last_t = NAN;
    r->last_seg = UINT32_MAX;
    unsigned char head[4096];
    size_t got = 0;
    FILE *fp = fopen(path, "rb");
    if (fp) {
        got = fread(head, 1, sizeof head, fp);
        fclose(fp);
    }
    pol_status st = !r->path || !r->buf ? pol__fail(run, POL_ERR_NOMEM, "out of memory")
                                        : pol__tsrc_open(run, path, pol__track_sniff_format(head, got),
                                                         r->buf, &r->g);
    if (st) {
        pol__track_free(r->buf);
        free(r->path);
        free(r);
        return st;
    }
    *out = r;
    return POL_OK;
}

/* Checks the core's points as every reader does (range), counts time going backwards. */
static pol_status check_core(treader *r, const pol__track *t, size_t from, size_t to)
{
    for (size_t i = from; i < to; i++) {
        const pol__tpt *p = &t->pt[i];
        if (!(p->lat >= -90 && p->lat <= 90) || !(p->lon >= -180 && p->lon <= 180))
            return pol__fail(r->run, POL_ERR_FORMAT,
                             "point %llu has latitude %g, longitude %g: outside -90..90, "
                             "-180..180",
                             (unsigned long long)(r->next + (i - from) + 1), p->lat, p->lon);
        uint32_t seg = p->seg; /* the chunk renumbers segments: compare times only within one */
        if (i > from && seg == t->pt[i - 1].seg && p->t < t->pt[i - 1].t) r->back++;
        (void)seg;
    }
    return POL_OK;
}

static pol_status rd_read(pol_run *run, void *p, size_t halo, pol__chunk **out)
{
    treader *r = p;
    *out = NULL;
    pol__asset_unref(r->cur);
    r->cur = NULL;
    if (r->next == 0) {
        /* The points read ahead and a chunk with its context, at about 300 bytes a point with
         * their text, plus the ops' work arrays. */
        pol_status ms = pol__mem_reserve(run, (uint64_t)(CHUNK_POINTS + 2 * halo) * 3 * 300,
                                         "a chunk of track points");
        if (ms) return ms;
    }
    uint64_t want = r->next + CHUNK_POINTS + halo;
    pol_status st = pol__tsrc_fill(r->g, (size_t)(want - r->buf0), &r->eof);
    if (st) return st;
    uint64_t have = r->buf0 + r->buf->n;
    if (r->next >= have) {
        if (r->next == 0) return pol__fail(run, POL_ERR_FORMAT, "no points: nothing to work on");
        return POL_OK; /* the end */
    }
    size_t n = (size_t)(have - r->next < CHUNK_POINTS ? have - r->next : CHUNK_POINTS);
    size_t pre = (size_t)(r->next - r->buf0 < halo ? r->next - r->buf0 : halo);
    size_t after = (size_t)(have - r->next - n);
    size_t post = after < halo ? after : halo;
    size_t b = (size_t)(r->next - r->buf0);
    pol__track *t = pol__track_slice(r->buf, b - pre, b + n + post);
    if (!t) return pol__fail(run, POL_ERR_NOMEM, "out of memory");
    int last = r->eof && r->next + n == have;
    if (last && r->buf->tail) {
        const char *tail = pol__track_txt(r->buf, r->buf->tail);
        t->tail = pol__track_str(t, tail, strlen(tail));
        if (!t->tail) {
            pol__track_free(t);
            return pol__fail(run, POL_ERR_NOMEM, "out of memory");
        }
    }
    st = check_core(r, t, pre, pre + n);
    if (st) {
        pol__track_free(t);
        return st;
    }
    t->input_points = t->n;
    /* One chunk is the whole track: the report's pictures can show it before and after. */
    if (r->next == 0 && last && pol__want_figures(run)) pol__track_keep_original(t);
    r->cur = pol__asset_new(&pol__track_domain, t, r->path);
    if (!r->cur) {
        pol__track_free(t);
        return pol__fail(run, POL_ERR_NOMEM, "out of memory");
    }
    r->c = (pol__chunk){.data = r->cur, .start = r->next, .n = n, .pre = pre, .post = post,
                        .last = last};
    r->next += n;
    /* Keep only the context the next chunk needs before its core. */
    uint64_t keep = r->next > halo ? r->next - halo : 0;
    if (keep > r->buf0) {
        if (pol__tsrc_drop(r->g, (size_t)(keep - r->buf0)))
            return pol__fail(run, POL_ERR_NOMEM, "out of memory");
        r->buf0 = keep;
    }
    if (last) {
        pol__jv *keep_step = run->step;
        run->step = NULL; /* on the item */
        pol__measure_int(run, "points", (long long)pol__tsrc_points(r->g));
        if (r->back)
            pol__warn(run,
                      "time goes backwards %zu times: those points are kept as they are, and "
                      "ops that need time order treat them as separate runs",
                      r->back);
        run->step = keep_step;
        r->back = 0;
    }
    *out = &r->c;
    return POL_OK;
}

static void rd_close(void *p)
{
    treader *r = p;
    if (!r) return;
    pol__asset_unref(r->cur);
    pol__tsrc_close(r->g);
    pol__track_free(r->buf);
    free(r->path);
    free(r);
}

/* ---- writing ---- */

/* The format a streamed item is written in: the export op's, else the output name's, else the
 * input's (NMEA as GPX); -1 when the output name says another track format than that. */
static int out_format(pol_run *run, int in_fmt, const char *out)
{
    const char *f = pol__plan_load_option(run, "format");
    int fmt = f ? pol__tfmt_from_name(f) : -1;
    int named = out ? pol__tfmt_from_name(pol__path_ext(out)) : -1;
    if (named == POL_TF_NMEA) named = -1;
    if (fmt < 0) fmt = named >= 0 ? named : in_fmt == POL_TF_NMEA ? POL_TF_GPX : in_fmt;
    return fmt;
}

typedef struct twriter {
    int scratch;       /* the runner's scratch copy, not the output */
    FILE *f;
    size_t in;
    int fmt, in_fmt;
    int changed;       /* a point was removed, moved or given an elevation */
    char *src;         /* the source file's path */
    pol__tsink *sink;
    int begun, saw_start, saw_last; /* chunks seen; the first started the stream; the last */
    uint64_t next;     /* stream index after the last point written */
    const pol__tskel *skel; /* a part of a split GPX: the structure around its points */
    FILE *held;        /* points held back, not decided yet (pol__track.hold_from), in order */
    size_t n_held;
} twriter;

/* The output's name is the temporary's: ".NAME.XXXXXX.part". */
static pol_status wr_begin_path(pol_run *run, void *reader, const char *tmp, FILE *f, void **out)
{
    treader *r = reader;
    twriter *w = calloc(1, sizeof *w);
    if (!w) return pol__fail(run, POL_ERR_NOMEM, "out of memory");
    char name[256] = "";
    const char *b = strrchr(tmp, '/');
    b = b ? b + 1 : tmp;
    if (*b == '.') b++;
    size_t l = strlen(b);
    if (l > 12 && l - 12 < sizeof name) snprintf(name, sizeof name, "%.*s", (int)(l - 12), b);
    w->f = f;
    w->in_fmt = (int)r->buf->format;
    w->src = pol__strdup(r->path); /* NULL when out of memory: then the writer's own text */
    w->fmt = out_format(run, w->in_fmt, name[0] ? name : NULL);
    pol_status st = pol__tsink_begin(run, w->fmt, f, &w->sink);
    if (st) {
        free(w->src);
        free(w);
        return st;
    }
    *out = w;
    return POL_OK;
}

/* Points [from, to) of t to the points held back. */
static pol_status hold_back(pol_run *run, twriter *w, const pol__track *t, size_t from, size_t to)
{
    if (from >= to) return POL_OK;
    if (!w->held && !(w->held = pol__temp_file("held")))
        return pol__fail(run, POL_ERR_IO, "cannot make a temporary file for the points held back");
    if (pol__tscratch_write(w->held, t, from, to, 0))
        return pol__fail(run, POL_ERR_IO, "cannot write the points held back");
    w->n_held += to - from;
    return POL_OK;
}

/* The points held back, decided: written in order, a chunk at a time, the held ones kept or
 * cut as `fate` says. `like`: a chunk of the same stream (its header fields). */
static pol_status release_held(pol_run *run, twriter *w, const pol__track *like, int fate)
{
    if (pol__tscratch_write(w->held, like, 0, 0, 1) || fflush(w->held) ||
        fseek(w->held, 0, SEEK_SET))
        return pol__fail(run, POL_ERR_IO, "cannot read back the points held back");
    pol__track *h = pol__track_new();
    pol__tsrc *g = NULL;
    pol_status st = !h || pol__track_copy_head(h, like)
                        ? pol__fail(run, POL_ERR_NOMEM, "out of memory")
                        : pol__tsrc_open_stretch(run, w->held, h, &g);
    int eof = 0;
    while (!st && !eof) {
        st = pol__tsrc_fill(g, CHUNK_POINTS, &eof);
        for (size_t i = 0; !st && i < h->n; i++) {
            pol__tpt *q = &h->pt[i];
            if (!(q->flags & POL_TP_HELD)) continue;
            q->flags &= ~(uint32_t)POL_TP_HELD;
            if (fate == POL_HOLD_CUT) q->flags |= POL_TP_DELETED | POL_TP_PRIVATE;
        }
        if (!st && fate == POL_HOLD_CUT) w->changed = 1;
        if (!st) st = pol__tsink_points(w->sink, h, 0, h->n, 0);
        if (!st && pol__tsrc_drop(g, h->n)) st = pol__fail(run, POL_ERR_NOMEM, "out of memory");
    }
    pol__tsrc_close(g);
    pol__track_free(h);
    w->n_held = 0;
    if (!st && (fseek(w->held, 0, SEEK_SET) || ftruncate(fileno(w->held), 0)))
        st = pol__fail(run, POL_ERR_IO, "cannot empty the points held back");
    return st;
}

static pol_status wr_write(pol_run *run, void *p, const pol__chunk *c)
{
    twriter *w = p;
    const pol__track *t = pol__track_of(c->data);
    if (w->scratch)
        return pol__tscratch_write(w->f, t, c->pre, c->pre + c->n, c->last)
                   ? pol__fail(run, POL_ERR_IO, "cannot write the scratch copy")
                   : POL_OK;
    int exact = w->fmt == POL_TF_GPX && t->format == POL_TF_GPX && t->exact;
    if (!w->begun) {
        /* A part of a split item (a trip): the structure before its first point first. */
        w->begun = 1;
        w->saw_start = c->start == 0;
        w->skel = exact ? t->skel : NULL;
        if (w->skel && c->start > 0 && pol__tskel_put(w->skel, 0, c->start, 0, w->f))
            return pol__fail(run, POL_ERR_IO, "write error");
    }
    w->next = c->start + c->n;
    w->saw_last |= c->last;
    w->in += c->n;
    for (size_t i = c->pre; i < c->pre + c->n && !w->changed; i++)
        w->changed = (t->pt[i].flags & (POL_TP_DELETED | POL_TP_MOVED | POL_TP_ELE_SET)) != 0;
    size_t lo = c->pre, hi = c->pre + c->n;
    if (w->n_held) {
        /* what an op holds back stays in order behind it until decided */
        if (!t->release) return hold_back(run, w, t, lo, hi);
        pol_status st = release_held(run, w, t, t->release);
        if (st) return st;
    }
    size_t end = t->hold_from && t->hold_from - 1 < hi ? t->hold_from - 1 : hi;
    if (end < lo) end = lo;
    pol_status st = pol__tsink_points(w->sink, t, lo, end, c->last && end == hi);
    if (!st) st = hold_back(run, w, t, end, hi);
    return st;
}

/* Nothing changed and the format stays: the output becomes the source's own bytes, exactly (the
 * writer's text would be the same track in its own dialect: quoting, number format, spacing). */
static pol_status same_bytes(pol_run *run, twriter *w)
{
    FILE *in = fopen(w->src, "rb");
    if (!in) return pol__fail(run, POL_ERR_IO, "cannot reopen %s", w->src);
    pol_status st = POL_OK;
    if (fflush(w->f) || ftruncate(fileno(w->f), 0) || fseek(w->f, 0, SEEK_SET))
        st = pol__fail(run, POL_ERR_IO, "cannot rewrite the output: %s", strerror(errno));
    char buf[1 << 16];
    size_t n;
    while (!st && (n = fread(buf, 1, sizeof buf, in)) > 0)
        if (fwrite(buf, 1, n, w->f) != n) st = pol__fail(run, POL_ERR_IO, "write error");
    if (!st && ferror(in)) st = pol__fail(run, POL_ERR_IO, "read error on %s", w->src);
    fclose(in);
    return st;
}

static pol_status wr_end(pol_run *run, void *p)
{
    twriter *w = p;
    if (w->scratch) {
        free(w);
        return POL_OK;
    }
    size_t written = pol__tsink_written(w->sink);
    pol_status st = POL_OK;
    if (w->n_held) st = pol__fail(run, POL_ERR_INTERNAL, "%zu points held back were never decided",
                                  w->n_held);
    if (w->held) fclose(w->held);
    /* A part that ends before the stream does: the structure after its last point. */
    if (w->skel && !w->saw_last && pol__tskel_put(w->skel, w->next, UINT64_MAX, 1, w->f))
        st = pol__fail(run, POL_ERR_IO, "write error");
    if (!st) st = pol__tsink_end(w->sink);
    else pol__tsink_abort(w->sink);
    /* the source's bytes only when this writer saw all of it unchanged (not a part of it) */
    if (!st && !w->changed && w->saw_start && w->saw_last && w->fmt == w->in_fmt &&
        w->fmt != POL_TF_GPX && w->src)
        st = same_bytes(run, w);
    if (!st && (fflush(w->f) || ferror(w->f))) st = pol__fail(run, POL_ERR_IO, "write error");
    if (!st && run->item) {
        pol__jv *o = pol__jv_obj();
        pol__jv_set(o, "input", pol__jv_int((long long)w->in));
        pol__jv_set(o, "written", pol__jv_int((long long)written));
        pol__jv_set(o, "removed", pol__jv_int((long long)(w->in - written)));
        pol__jv_set(o, "format", pol__jv_str(pol__tfmt_ext(w->fmt)));
        pol__jv_set(run->item, "points", o);
    }
    free(w->src);
    free(w);
    return st;
}

static void wr_abort(void *p)
{
    twriter *w = p;
    if (!w) return;
    if (w->scratch) {
        free(w);
        return;
    }
    pol__tsink_abort(w->sink);
    if (w->held) fclose(w->held);
    free(w->src);
    free(w);
}

/* The scratch copy: every point of each core as the steps before a measuring one left it (the
 * removed ones too, flagged, so points keep their stream index), with its texts. */
static pol_status scratch_begin(pol_run *run, FILE *f, void **out)
{
    twriter *w = calloc(1, sizeof *w);
    if (!w) return pol__fail(run, POL_ERR_NOMEM, "out of memory");
    w->scratch = 1;
    w->f = f;
    *out = w;
    return POL_OK;
}

/* Read back like the source: the header fields (format, dialect, GPX exactness) from the reader
 * of the pass that wrote it. */
static pol_status scratch_open(pol_run *run, FILE *f, void *like, void **out)
{
    *out = NULL;
    const treader *lr = like;
    treader *r = calloc(1, sizeof *r);
    if (!r) return pol__fail(run, POL_ERR_NOMEM, "out of memory");
    r->run = run;
    r->path = pol__strdup(lr->path);
    r->buf = pol__track_new();
    r->last_t = NAN;
    r->last_seg = UINT32_MAX;
    pol_status st = POL_OK;
    if (!r->path || !r->buf) {
        st = pol__fail(run, POL_ERR_NOMEM, "out of memory");
    } else {
        if (pol__track_copy_head(r->buf, lr->buf))
            st = pol__fail(run, POL_ERR_NOMEM, "out of memory");
        if (!st) st = pol__tsrc_open_scratch(run, f, r->buf, &r->g);
    }
    if (st) {
        pol__track_free(r->buf);
        free(r->path);
        free(r);
        return st;
    }
    *out = r;
    return POL_OK;
}

static int sniff_file(const char *in)
{
    unsigned char head[4096];
    FILE *fp = fopen(in, "rb");
    if (!fp) return -1;
    size_t got = fread(head, 1, sizeof head, fp);
    fclose(fp);
    return pol__track_sniff_format(head, got);
}

/* Every format streams in and out; an item is loaded whole only when the output's name says
 * another format than the one it will be written in. `out` NULL: nothing is written (stats). */
static int accept(pol_run *run, const char *in, const char *out)
{
    int in_fmt = sniff_file(in);
    if (in_fmt < 0 || !pol__tsrc_streams(in_fmt)) return 0;
    if (!out) return 1;
    int fmt = out_format(run, in_fmt, out);
    int named = pol__tfmt_from_name(pol__path_ext(out));
    return named == fmt || (named < 0 && fmt == in_fmt);
}

/* In an output folder the item takes the extension of the format it is converted to (as a
 * track loaded whole does: the export op's format, NMEA as GPX). */
static const char *stream_out_ext(pol_run *run, const char *in, const pol_args *deliver)
{
    (void)deliver; /* the plan's format option is read instead: an export step may set it too */
    const char *f = pol__plan_load_option(run, "format");
    int fmt = f ? pol__tfmt_from_name(f) : -1;
    if (fmt >= 0) return pol__tfmt_ext(fmt);
    return sniff_file(in) == POL_TF_NMEA ? "gpx" : NULL;
}

const pol__stream_io pol__track_stream_io = {
    .chunk_units = CHUNK_POINTS,
    .open = rd_open,
    .read = rd_read,
    .close = rd_close,
    .write_begin_path = wr_begin_path,
    .write = wr_write,
    .write_end = wr_end,
    .write_abort = wr_abort,
    .scratch_begin = scratch_begin,
    .scratch_open = scratch_open,
    .accept = accept,
    .out_ext = stream_out_ext,
};

/* ---- ops on chunks ---- */

typedef struct tstate {
    const pol_op_desc *op;
    const pol_args *args;
    int core_only;
    size_t chunks, points, removed, moved;
    double moved_sum, moved_max;
    pol__jv *agg;   /* measurements summed (counts) or kept (the first chunk's parameters) */
    pol__jv *whole; /* the one chunk's report, when the input was one chunk */
    pol__jv *warnings;
    char decline[256];
    int any_applied;
    double *save; /* the core's positions before the op (lat, lon) */
    uint32_t *flags;
    size_t save_cap;
} tstate;

static pol_status ts_begin(pol_run *run, const pol_args *args, void **out)
{
    tstate *s = calloc(1, sizeof *s);
    if (!s) return pol__fail(run, POL_ERR_NOMEM, "out of memory");
    s->op = args->op;
    s->args = args;
    s->core_only = !strcmp(s->op->name, "simplify");
    s->agg = pol__jv_obj();
    s->warnings = pol__jv_arr();
    if (!s->agg || !s->warnings) {
        pol__jv_free(s->agg);
        pol__jv_free(s->warnings);
        free(s);
        return pol__fail(run, POL_ERR_NOMEM, "out of memory");
    }
    *out = s;
    return POL_OK;
}

static int has_max(const char *k)
{
    return strstr(k, "max") != NULL;
}

/* Adds one chunk's measurements to the running ones. */
static void merge_measured(tstate *s, const pol__jv *m)
{
    for (const pol__jv *c = m ? m->first : NULL; c; c = c->next) {
        pol__jv *a = pol__jv_get(s->agg, c->key);
        if (!a) {
            pol__jv_set(s->agg, c->key, pol__jv_clone(c));
        } else if (c->type == POL_JV_INT && a->type == POL_JV_INT) {
            a->i += c->i;
        } else if (c->type == POL_JV_NUM && a->type == POL_JV_NUM && has_max(c->key)) {
            if (c->num > a->num) a->num = c->num;
        }
    }
}

static pol_status ts_apply(pol_run *run, void *state, pol__chunk *c)
{
    tstate *s = state;
    if (c->start == 0) {
        /* A new pass over the input (a later op's measuring pass, or the applying one). */
        s->chunks = s->points = s->removed = s->moved = 0;
        s->moved_sum = s->moved_max = 0;
        s->decline[0] = '\0';
        s->any_applied = 0;
        pol__jv_free(s->whole);
        s->whole = NULL;
        pol__jv_free(s->agg);
        pol__jv_free(s->warnings);
        s->agg = pol__jv_obj();
        s->warnings = pol__jv_arr();
        if (!s->agg || !s->warnings) return pol__fail(run, POL_ERR_NOMEM, "out of memory");
    }
    pol_asset *a = c->data;
    pol__track *t = pol__track_of(a);
    size_t lo = c->pre, hi = c->pre + c->n;
    if (s->save_cap < c->n) {
        free(s->save);
        free(s->flags);
        s->save = malloc(c->n * 2 * sizeof *s->save);
        s->flags = malloc(c->n * sizeof *s->flags);
        if (!s->save || !s->flags) {
            s->save_cap = 0;
            return pol__fail(run, POL_ERR_NOMEM, "out of memory");
        }
        s->save_cap = c->n;
    }
    for (size_t i = lo; i < hi; i++) {
        s->save[2 * (i - lo)] = t->pt[i].lat;
        s->save[2 * (i - lo) + 1] = t->pt[i].lon;
        s->flags[i - lo] = t->pt[i].flags;
    }
    /* An op that must keep the core's ends (simplify, so the largest deviation stays true across
     * chunks) sees the core only: the context is hidden from it for this call. */
    uint32_t hide = 1u << 31;
    if (s->core_only)
        for (size_t i = 0; i < t->n; i++)
            if ((i < lo || i >= hi) && !(t->pt[i].flags & POL_TP_DELETED))
                t->pt[i].flags |= POL_TP_DELETED | hide;
    pol__jv *scratch = pol__jv_obj();
    if (!scratch) return pol__fail(run, POL_ERR_NOMEM, "out of memory");
    pol__jv *node = run->step;
    int figs = run->want_figures;
    int whole = c->start == 0 && c->last;
    run->step = scratch;
    run->declined = 0;
    if (!whole) run->want_figures = 0; /* a picture of one chunk would mislead */
    pol_status st = s->op->run(run, a, s->args);
    run->want_figures = figs;
    run->step = node;
    if (s->core_only)
        for (size_t i = 0; i < t->n; i++)
            if (t->pt[i].flags & hide) t->pt[i].flags &= ~(POL_TP_DELETED | hide);
    if (st) {
        pol__jv_free(scratch);
        return st;
    }
    s->chunks++;
    /* Shifts are metres: small, so a flat frame at the chunk's latitude is exact enough. */
    double ky = POL_EARTH_R * M_PI / 180, kx = ky * cos(t->n ? t->pt[lo].lat * M_PI / 180 : 0);
    for (size_t i = lo; i < hi; i++) {
        const pol__tpt *p = &t->pt[i];
        if (s->flags[i - lo] & POL_TP_DELETED) continue;
        s->points++;
        if (p->flags & POL_TP_DELETED) {
            s->removed++;
        } else if (p->lat != s->save[2 * (i - lo)] || p->lon != s->save[2 * (i - lo) + 1]) {
            double d = hypot((p->lat - s->save[2 * (i - lo)]) * ky,
                             (p->lon - s->save[2 * (i - lo) + 1]) * kx);
            s->moved++;
            s->moved_sum += d;
            if (d > s->moved_max) s->moved_max = d;
        }
    }
    if (whole) {
        s->whole = scratch;
        return POL_OK;
    }
    const pol__jv *dec = pol__jv_get(scratch, "declined");
    if (dec && dec->type == POL_JV_STR) {
        if (!s->decline[0]) snprintf(s->decline, sizeof s->decline, "%s", dec->str);
    } else {
        s->any_applied = 1;
    }
    merge_measured(s, pol__jv_get(scratch, "measured"));
    const pol__jv *w = pol__jv_get(scratch, "warnings");
    for (const pol__jv *x = w ? w->first : NULL; x && s->warnings->n < 5; x = x->next)
        pol__jv_push(s->warnings, pol__jv_clone(x));
    pol__jv_free(scratch);
    return POL_OK;
}

static pol_status ts_end(pol_run *run, void *state)
{
    tstate *s = state;
    pol__jv *node = run->step;
    if (!node) return POL_OK;
    if (s->whole) {
        /* The input was one chunk: the op's own report, as for a track loaded whole. */
        for (pol__jv *c = s->whole->first; c; c = c->next)
            pol__jv_set(node, c->key, pol__jv_clone(c));
        return POL_OK;
    }
    /* Counts over the cores (the op's own counts would include the chunks' context twice). */
    static const char *const removed_keys[] = {"duplicates_removed", "spikes_removed", NULL};
    for (int k = 0; removed_keys[k]; k++)
        if (pol__jv_get(s->agg, removed_keys[k]))
            pol__jv_set(s->agg, removed_keys[k], pol__jv_int((long long)s->removed));
    if (pol__jv_get(s->agg, "points_moved"))
        pol__jv_set(s->agg, "points_moved", pol__jv_int((long long)s->moved));
    if (pol__jv_get(s->agg, "points_before"))
        pol__jv_set(s->agg, "points_before", pol__jv_int((long long)s->points));
    if (pol__jv_get(s->agg, "points_after"))
        pol__jv_set(s->agg, "points_after", pol__jv_int((long long)(s->points - s->removed)));
    if (pol__jv_get(s->agg, "moved_mean_m") && s->moved)
        pol__jv_set(s->agg, "moved_mean_m", pol__jv_num(s->moved_sum / (double)s->moved));
    if (pol__jv_get(s->agg, "moved_max_m"))
        pol__jv_set(s->agg, "moved_max_m", pol__jv_num(s->moved_max));
    pol__jv_set(s->agg, "chunks", pol__jv_int((long long)s->chunks));
    for (pol__jv *c = s->agg->first; c; c = c->next) pol__measure_jv(run, c->key, pol__jv_clone(c));
    for (pol__jv *x = s->warnings->first; x; x = x->next)
        if (x->type == POL_JV_STR) pol__warn(run, "%s", x->str);
    if (!s->any_applied || (!s->removed && !s->moved && strcmp(s->op->name, "export"))) {
        pol__decline(run, "%s", s->decline[0] ? s->decline : "nothing to change");
        return POL_OK;
    }
    if (s->moved)
        pol__decide(run, "moved %zu of %zu points (%.2f m on average, %.2f m at most) and removed "
                         "%zu, in %zu streamed chunks",
                    s->moved, s->points, s->moved_sum / (double)s->moved, s->moved_max,
                    s->removed, s->chunks);
    else
        pol__decide(run, "removed %zu of %zu points, in %zu streamed chunks", s->removed,
                    s->points, s->chunks);
    return POL_OK;
}

static void ts_free(void *state)
{
    tstate *s = state;
    if (!s) return;
    pol__jv_free(s->agg);
    pol__jv_free(s->whole);
    pol__jv_free(s->warnings);
    free(s->save);
    free(s->flags);
    free(s);
}

#define TRACK_STREAM(name, halo_pts)                                                               \
    const pol_op_stream name = {                                                                   \
        .halo = halo_pts,                                                                          \
        .begin = ts_begin,                                                                         \
        .apply = ts_apply,                                                                         \
        .end = ts_end,                                                                             \
        .free = ts_free,                                                                           \
    }

/* Context each op needs on each side of a point for the chunked result to be the whole one's:
 * dedupe looks at the run of repeats before a point; despike at six steps on each side, over
 * up to eight passes; the RTS smoother's gain on a point 400 fixes away is negligible (its
 * correlation decays within tens of fixes at GPS noise); simplify keeps each core's ends. */
TRACK_STREAM(pol__track_stream_dedupe, 16);
TRACK_STREAM(pol__track_stream_despike, 64);
TRACK_STREAM(pol__track_stream_smooth, 400);
TRACK_STREAM(pol__track_stream_simplify, 0);
TRACK_STREAM(pol__track_stream_export, 0);
