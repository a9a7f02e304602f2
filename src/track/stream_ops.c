/* polish — the chunked forms of the ops whose result depends on the whole track: stats (a
 * document), elevation (the noise measured over the whole profile, then the climb counted across
 * chunks), stops (the noise, then the stays found point by point, then the points flagged), and
 * inspect read as a stream. Each gives what its whole-track form gives, in the memory of a chunk
 * (a stay's points are held while it lasts). */
#include <stdlib.h>
#include <string.h>
#include "core/args.h"
#include "track/stream.h"

size_t pol__track_speed_outliers(const pol__track *t, size_t from, size_t to);

/* The stream identity of a point's run break: a new segment, time going backwards, or a pause
 * longer than `gap` (0: none) since the previous live point (as pol__track_runs). */
typedef struct runpos {
    uint64_t seg;
    double t;
    int any;
} runpos;

static int run_break(runpos *r, const pol__track *t, const pol__tpt *p, double gap)
{
    uint64_t seg = t->seg0 + p->seg;
    int brk = !r->any || r->seg != seg;
    if (!brk && isfinite(p->t) && isfinite(r->t)) {
        double dt = p->t - r->t;
        brk = dt < 0 || (gap > 0 && dt > gap);
    }
    r->seg = seg;
    r->t = p->t;
    r->any = 1;
    return brk;
}

/* ---- stats ---- */

typedef struct sstate {
    pol__tacc a;
} sstate;

static pol_status st_begin(pol_run *run, const pol_args *args, void **out)
{
    (void)args;
    sstate *s = calloc(1, sizeof *s);
    if (!s) return pol__fail(run, POL_ERR_NOMEM, "out of memory");
    pol__tacc_init(&s->a);
    *out = s;
    return POL_OK;
}

static pol_status st_apply(pol_run *run, void *state, pol__chunk *c)
{
    sstate *s = state;
    if (c->start == 0) { /* a new pass */
        pol__tacc_free(&s->a);
        pol__tacc_init(&s->a);
    }
    const pol__track *t = pol__track_of(c->data);
    for (size_t i = c->pre; i < c->pre + c->n; i++) pol__tacc_add(&s->a, t, i);
    return s->a.oom ? pol__fail(run, POL_ERR_NOMEM, "out of memory") : POL_OK;
}

static pol_status st_end(pol_run *run, void *state)
{
    sstate *s = state;
    pol__track_stats ts;
    pol__tacc_finish(&s->a, &ts);
    pol__track_stats_document(run, &ts);
    return POL_OK;
}

static void st_free(void *state)
{
    sstate *s = state;
    if (!s) return;
    pol__tacc_free(&s->a);
    free(s);
}

const pol_op_stream pol__track_stream_stats = {
    .begin = st_begin, .apply = st_apply, .end = st_end, .free = st_free};

/* ---- elevation ---- */

/* Gain and loss with hysteresis, fed one elevation at a time (see op_elevation.c's climb). */
typedef struct climber {
    double anchor, ext;
    int dir, started;
} climber;

static void climb_feed(climber *c, double v, double th, double *gain, double *loss)
{
    if (!c->started) {
        c->anchor = c->ext = v;
        c->dir = 0;
        c->started = 1;
        return;
    }
    if (c->dir == 0) {
        if (v - c->anchor >= th) c->dir = 1, c->ext = v;
        else if (c->anchor - v >= th) c->dir = -1, c->ext = v;
    } else if (c->dir > 0) {
        if (v > c->ext) {
            c->ext = v;
        } else if (c->ext - v >= th) {
            *gain += c->ext - c->anchor;
            c->anchor = c->ext;
            c->ext = v;
            c->dir = -1;
        }
    } else {
        if (v < c->ext) {
            c->ext = v;
        } else if (v - c->ext >= th) {
            *loss += c->anchor - c->ext;
            c->anchor = c->ext;
            c->ext = v;
            c->dir = 1;
        }
    }
}

static void climb_end(climber *c, double *gain, double *loss)
{
    if (c->started && c->dir > 0) *gain += c->ext - c->anchor;
    if (c->started && c->dir < 0) *loss += c->anchor - c->ext;
    memset(c, 0, sizeof *c);
}

#define ELE_GAP 300 /* seconds: a pause that starts a new profile run */

typedef struct estate {
    int write, skip, measured;
    double th, r2, sigma;
    /* measuring */
    pol__tmed d2;
    size_t with_ele, timed;
    runpos mrun;
    double e1, e2; /* the run's last two live elevations (NAN: none) */
    int ne;
    /* applying */
    runpos arun;
    climber cl;
    double pend_s[2], pend_r[2]; /* a run's first used points, until it has three */
    size_t npend, used;
    double last_raw;
    double g_raw, l_raw, g, l;
    size_t changed;
    /* chunk buffers */
    size_t cap;
    size_t *idx, *st;
    double *e, *tt, *sm, *raw;
    void *work;
} estate;

static pol_status el_begin(pol_run *run, const pol_args *args, void **out)
{
    estate *s = calloc(1, sizeof *s);
    if (!s) return pol__fail(run, POL_ERR_NOMEM, "out of memory");
    s->write = pol__arg_bool(args, "write");
    s->th = pol__arg_set(args, "threshold") ? pol__arg_num(args, "threshold") : NAN;
    s->e1 = s->e2 = NAN;
    *out = s;
    return POL_OK;
}

static pol_status el_measure(pol_run *run, void *state, const pol__chunk *c)
{
    (void)run;
    estate *s = state;
    const pol__track *t = pol__track_of(c->data);
    for (size_t i = c->pre; i < c->pre + c->n; i++) {
        if (!pol__tp_live(t, i)) continue;
        const pol__tpt *p = &t->pt[i];
        if (run_break(&s->mrun, t, p, ELE_GAP)) s->ne = 0;
        s->with_ele += isfinite(p->ele) != 0;
        s->timed += isfinite(p->t) != 0;
        if (s->ne >= 2 && isfinite(s->e1) && isfinite(s->e2) && isfinite(p->ele))
            if (pol__tmed_add(&s->d2, fabs(s->e1 - 2 * s->e2 + p->ele)))
                return pol__fail(run, POL_ERR_NOMEM, "out of memory");
        s->e1 = s->e2;
        s->e2 = p->ele;
        if (s->ne < 2) s->ne++;
    }
    return POL_OK;
}

static pol_status el_decide(pol_run *run, void *state)
{
    estate *s = state;
    s->measured = 1;
    s->sigma = s->d2.total >= 8 ? pol__tmed_median(&s->d2) / 0.6745 / sqrt(6.0) : NAN;
    pol__tmed_free(&s->d2);
    if (s->with_ele < 3 || s->timed < 3) {
        s->skip = 1;
        return POL_OK;
    }
    if (!isfinite(s->th)) s->th = fmax(1, isfinite(s->sigma) ? 2 * s->sigma : 1);
    s->r2 = isfinite(s->sigma) ? fmax(s->sigma * s->sigma, 0.01) : 1;
    (void)run;
    return POL_OK;
}

static int el_room(estate *s, size_t n)
{
    if (s->cap >= n) return 0;
    free(s->idx), free(s->st), free(s->e), free(s->tt), free(s->sm), free(s->raw), free(s->work);
    s->idx = malloc((n + 1) * sizeof *s->idx);
    s->st = malloc((n + 2) * sizeof *s->st);
    s->e = malloc(n * sizeof *s->e);
    s->tt = malloc(n * sizeof *s->tt);
    s->sm = malloc(n * sizeof *s->sm);
    s->raw = malloc(n * sizeof *s->raw);
    s->work = malloc(n * pol__track_rts_work());
    s->cap = s->idx && s->st && s->e && s->tt && s->sm && s->raw && s->work ? n : 0;
    return s->cap ? 0 : -1;
}

/* One used point of the applying pass, in order: raw and smoothed elevation. */
static void el_use(estate *s, double raw, double sm)
{
    if (s->npend < 2 && s->used < 2) {
        s->pend_r[s->npend] = raw;
        s->pend_s[s->npend++] = sm;
        s->used++;
        return;
    }
    for (size_t k = 0; k < s->npend; k++) { /* the run has three: its first two count now */
        if (k > 0) {
            double d = s->pend_r[k] - s->pend_r[k - 1];
            if (d > 0) s->g_raw += d;
            else s->l_raw -= d;
        }
        climb_feed(&s->cl, s->pend_s[k], s->th, &s->g, &s->l);
        s->last_raw = s->pend_r[k];
    }
    s->npend = 0;
    double d = raw - s->last_raw;
    if (d > 0) s->g_raw += d;
    else s->l_raw -= d;
    s->last_raw = raw;
    climb_feed(&s->cl, sm, s->th, &s->g, &s->l);
    s->used++;
}

static void el_run_end(estate *s)
{
    climb_end(&s->cl, &s->g, &s->l);
    s->npend = s->used = 0;
}

static pol_status el_apply(pol_run *run, void *state, pol__chunk *c)
{
    estate *s = state;
    if (!s->measured || s->skip) return POL_OK;
    if (c->start == 0) {
        memset(&s->arun, 0, sizeof s->arun);
        memset(&s->cl, 0, sizeof s->cl);
        s->npend = s->used = 0;
        s->g_raw = s->l_raw = s->g = s->l = 0;
        s->changed = 0;
    }
    pol__track *t = pol__track_of(c->data);
    size_t n = t->n;
    if (el_room(s, n ? n : 1)) return pol__fail(run, POL_ERR_NOMEM, "out of memory");
    for (size_t i = 0; i < n; i++) s->sm[i] = s->raw[i] = NAN;
    /* Smoothed over the chunk with its context: a point's smoothed value hardly depends on fixes
     * more than a few minutes away. */
    size_t nr = pol__track_runs(t, ELE_GAP, s->idx, s->st);
    for (size_t r = 0; r < nr; r++) {
        size_t m = 0;
        for (size_t j = s->st[r]; j < s->st[r + 1]; j++) {
            const pol__tpt *p = &t->pt[s->idx[j]];
            if (!isfinite(p->ele) || !isfinite(p->t)) continue;
            s->e[m] = p->ele;
            s->tt[m++] = p->t;
        }
        if (m < 3) continue;
        pol__track_rts(s->e, s->tt, m, 0.01, s->r2, s->work);
        size_t k = 0;
        for (size_t j = s->st[r]; j < s->st[r + 1]; j++) {
            size_t i = s->idx[j];
            if (!isfinite(t->pt[i].ele) || !isfinite(t->pt[i].t)) continue;
            s->raw[i] = t->pt[i].ele;
            s->sm[i] = s->e[k++];
        }
    }
    /* The climb over the core, in order, carried across chunks. */
    for (size_t i = c->pre; i < c->pre + c->n; i++) {
        if (!pol__tp_live(t, i)) continue;
        pol__tpt *p = &t->pt[i];
        if (run_break(&s->arun, t, p, ELE_GAP)) el_run_end(s);
        if (!isfinite(p->ele) || !isfinite(p->t) || !isfinite(s->sm[i])) continue;
        el_use(s, s->raw[i], s->sm[i]);
        if (s->write) {
            p->ele = round(s->sm[i] * 100) / 100;
            p->flags |= POL_TP_ELE_SET;
            s->changed++;
        }
    }
    if (c->last) el_run_end(s);
    if (c->start == 0 && c->last && s->write) {
        for (size_t i = 0; i < n; i++) /* the context is the core here: the figure's profile */
            if (isfinite(s->sm[i])) t->pt[i].ele = round(s->sm[i] * 100) / 100;
        return pol__track_figure(run, t, "elevation");
    }
    return POL_OK;
}

static pol_status el_end(pol_run *run, void *state)
{
    estate *s = state;
    if (s->skip) {
        pol__decline(run, s->with_ele < 3 ? "no elevations" : "no timestamps");
        return POL_OK;
    }
    if (isfinite(s->sigma)) pol__measure(run, "elevation_noise_m", s->sigma);
    pol__measure(run, "threshold_m", s->th);
    pol__measure(run, "gain_raw_m", s->g_raw);
    pol__measure(run, "loss_raw_m", s->l_raw);
    pol__measure(run, "gain_m", s->g);
    pol__measure(run, "loss_m", s->l);
    if (!s->write) {
        pol__decline(run, "measured only (--write false)");
        return POL_OK;
    }
    pol__decide(run, "smoothed %zu elevations: gain %.0f m (raw %.0f m), loss %.0f m (raw %.0f m)",
                s->changed, s->g, s->g_raw, s->l, s->l_raw);
    return POL_OK;
}

static void el_free(void *state)
{
    estate *s = state;
    if (!s) return;
    pol__tmed_free(&s->d2);
    free(s->idx), free(s->st), free(s->e), free(s->tt), free(s->sm), free(s->raw), free(s->work);
    free(s);
}

/* The RTS smoother's context as for smooth; the climb needs none (it is carried). */
const pol_op_stream pol__track_stream_elevation = {
    .halo = 400, .measure_first = 1, .begin = el_begin, .measure = el_measure,
    .decide = el_decide, .apply = el_apply, .end = el_end, .free = el_free};

/* ---- stops ---- */

typedef struct spt {
    double lat, lon, t;
    uint64_t at; /* stream index */
    int first;   /* the first point of its run */
} spt;

typedef struct stay {
    uint64_t a, b;   /* its points: live track points in [a, b] */
    uint64_t d0, d1; /* cut: [d0, d1) (d0 == d1: none) */
} stay;

typedef struct xstate {
    int pass, skip, trim;
    double radius, mind;
    int radius_set;
    pol__tacc acc;
    /* finding */
    runpos run;
    spt *buf;
    size_t head, n, cap, scan;
    stay *stays;
    size_t n_stays, cap_stays;
    pol__jv *list;
    size_t cut;
    double total;
    /* applying */
    size_t cursor;
    int oom;
} xstate;

static pol_status sp_begin(pol_run *run, const pol_args *args, void **out)
{
    xstate *s = calloc(1, sizeof *s);
    if (!s || !(s->list = pol__jv_arr())) {
        free(s);
        return pol__fail(run, POL_ERR_NOMEM, "out of memory");
    }
    s->radius_set = pol__arg_set(args, "radius");
    s->radius = s->radius_set ? pol__arg_num(args, "radius") : NAN;
    s->mind = pol__arg_num(args, "min-duration");
    s->trim = pol__arg_bool(args, "trim");
    pol__tacc_init(&s->acc);
    *out = s;
    return POL_OK;
}

static void sp_record(xstate *s, size_t j, int at_end)
{
    spt *B = s->buf + s->head;
    if (s->n_stays == s->cap_stays) {
        size_t nc = s->cap_stays ? 2 * s->cap_stays : 64;
        stay *v = realloc(s->stays, nc * sizeof *v);
        if (!v) {
            s->oom = 1;
            return;
        }
        s->stays = v;
        s->cap_stays = nc;
    }
    stay *y = &s->stays[s->n_stays++];
    y->a = B[0].at;
    y->b = B[j - 1].at;
    y->d0 = y->d1 = 0;
    int at_start = B[0].first;
    if (s->trim && (at_start || at_end)) {
        /* keep the point where the trip leaves (or reaches) the stop */
        size_t k0 = at_start ? 0 : 1, k1 = at_start ? j - 1 : j;
        if (k1 > k0) {
            y->d0 = B[k0].at;
            y->d1 = B[k1 - 1].at + 1;
            s->cut += k1 - k0;
        }
    }
    double clat = 0, clon = 0;
    for (size_t k = 0; k < j; k++) clat += B[k].lat, clon += B[k].lon;
    clat /= (double)j;
    clon /= (double)j;
    double dur = B[j - 1].t - B[0].t;
    char when[40];
    pol__iso_format(B[0].t, when, sizeof when);
    pol__jv *o = pol__jv_obj();
    pol__jv_set(o, "lat", pol__jv_num_exact(round(clat * 1e6) / 1e6));
    pol__jv_set(o, "lon", pol__jv_num_exact(round(clon * 1e6) / 1e6));
    pol__jv_set(o, "start", pol__jv_str(when));
    pol__jv_set(o, "duration_s", pol__jv_num(dur));
    pol__jv_set(o, "points", pol__jv_int((long long)j));
    if (!o || !pol__jv_push(s->list, o)) s->oom = 1;
    s->total += dur;
}

/* Finds the stays among the buffered points of one run (op_stops.c's scan, resumable): with
 * `final` the run has ended. */
static void sp_advance(xstate *s, int final)
{
    while (s->n) {
        spt *B = s->buf + s->head;
        size_t j = s->scan > 1 ? s->scan : 1;
        while (j < s->n && pol__geo_dist(B[0].lat, B[0].lon, B[j].lat, B[j].lon) <= s->radius) j++;
        if (j == s->n && !final) {
            s->scan = j; /* the stay may go on: wait for more points */
            return;
        }
        s->scan = 0;
        double dur = B[j - 1].t - B[0].t;
        if (!(dur >= s->mind)) {
            s->head++, s->n--;
            continue;
        }
        sp_record(s, j, j == s->n && final);
        s->head += j, s->n -= j;
    }
    s->head = 0;
}

static pol_status sp_push(xstate *s, const spt *p)
{
    if (s->head && s->head + s->n == s->cap) {
        memmove(s->buf, s->buf + s->head, s->n * sizeof *s->buf);
        s->head = 0;
    }
    if (s->head + s->n == s->cap) {
        size_t nc = s->cap ? 2 * s->cap : 1024;
        spt *v = realloc(s->buf, nc * sizeof *v);
        if (!v) return POL_ERR_NOMEM;
        s->buf = v;
        s->cap = nc;
    }
    s->buf[s->head + s->n++] = *p;
    return POL_OK;
}

static pol_status sp_measure(pol_run *run, void *state, const pol__chunk *c)
{
    xstate *s = state;
    const pol__track *t = pol__track_of(c->data);
    if (s->pass == 0) {
        for (size_t i = c->pre; i < c->pre + c->n; i++) pol__tacc_add(&s->acc, t, i);
        return s->acc.oom ? pol__fail(run, POL_ERR_NOMEM, "out of memory") : POL_OK;
    }
    if (s->skip) return POL_OK;
    for (size_t i = c->pre; i < c->pre + c->n; i++) {
        if (!pol__tp_live(t, i)) continue;
        const pol__tpt *p = &t->pt[i];
        int first = run_break(&s->run, t, p, 0);
        if (first) sp_advance(s, 1);
        spt q = {p->lat, p->lon, p->t, c->start + (i - c->pre), first};
        if (sp_push(s, &q)) return pol__fail(run, POL_ERR_NOMEM, "out of memory");
        sp_advance(s, 0);
    }
    if (c->last) sp_advance(s, 1);
    return s->oom ? pol__fail(run, POL_ERR_NOMEM, "out of memory") : POL_OK;
}

static pol_status sp_decide(pol_run *run, void *state)
{
    xstate *s = state;
    (void)run;
    if (s->pass++ == 0) {
        pol__track_stats ts;
        pol__tacc_finish(&s->acc, &ts);
        pol__tacc_free(&s->acc);
        s->skip = !ts.has_time;
        if (!s->radius_set) s->radius = fmax(25, 4 * (isfinite(ts.noise_m) ? ts.noise_m : 5));
        return POL_OK;
    }
    sp_advance(s, 1);
    free(s->buf);
    s->buf = NULL;
    s->n = s->cap = s->head = 0;
    return POL_OK;
}

static pol_status sp_apply(pol_run *run, void *state, pol__chunk *c)
{
    xstate *s = state;
    if (s->skip) return POL_OK;
    if (c->start == 0) s->cursor = 0;
    pol__track *t = pol__track_of(c->data);
    for (size_t i = c->pre; i < c->pre + c->n; i++) {
        uint64_t at = c->start + (i - c->pre);
        while (s->cursor < s->n_stays && s->stays[s->cursor].b < at) s->cursor++;
        if (s->cursor == s->n_stays) break;
        const stay *y = &s->stays[s->cursor];
        if (at < y->a || !pol__tp_live(t, i)) continue;
        t->pt[i].flags |= POL_TP_STOP;
        if (at >= y->d0 && at < y->d1) t->pt[i].flags |= POL_TP_DELETED | POL_TP_PRIVATE;
    }
    if (c->start == 0 && c->last) return pol__track_figure(run, t, "stops");
    return POL_OK;
}

static pol_status sp_end(pol_run *run, void *state)
{
    xstate *s = state;
    if (s->skip) {
        pol__decline(run, "no timestamps: a stay cannot be told from a place passed");
        return POL_OK;
    }
    pol__measure(run, "radius_m", s->radius);
    pol__measure_int(run, "stops", (long long)s->n_stays);
    pol__measure(run, "stopped_s", s->total);
    pol__measure_jv(run, "list", s->list);
    s->list = NULL;
    if (s->trim) pol__measure_int(run, "points_cut", (long long)s->cut);
    if (!s->cut) {
        pol__decline(run, s->trim ? "no stop at the start or end of a track"
                                  : "stops listed (--trim cuts the ones at the ends)");
        return POL_OK;
    }
    pol__decide(run, "cut %zu points of the stops at the ends", s->cut);
    return POL_OK;
}

static void sp_free(void *state)
{
    xstate *s = state;
    if (!s) return;
    pol__tacc_free(&s->acc);
    pol__jv_free(s->list);
    free(s->buf);
    free(s->stays);
    free(s);
}

/* Two measuring passes: the noise (for the default radius), then the stays. */
const pol_op_stream pol__track_stream_stops = {
    .measure_first = 1, .measure_passes = 2, .begin = sp_begin, .measure = sp_measure,
    .decide = sp_decide, .apply = sp_apply, .end = sp_end, .free = sp_free};

/* ---- inspect, read as a stream ---- */

#define INSPECT_HALO 64 /* the despiker's context, for its speed outliers */

pol_status pol__track_inspect_path(pol_run *run, const char *path)
{
    const pol__stream_io *io = &pol__track_stream_io;
    void *rd = NULL;
    pol_status st = io->open(run, path, &rd);
    if (st) return st;
    pol__tacc a;
    pol__tacc_init(&a);
    size_t outliers = 0;
    int fmt = -1;
    pol__chunk *c;
    while (!(st = io->read(run, rd, INSPECT_HALO, &c)) && c) {
        if (pol__cancelled(run)) {
            st = pol__fail(run, POL_ERR_CANCELLED, "cancelled");
            break;
        }
        const pol__track *t = pol__track_of(c->data);
        fmt = (int)t->format;
        for (size_t i = c->pre; i < c->pre + c->n; i++) pol__tacc_add(&a, t, i);
        outliers += pol__track_speed_outliers(t, c->pre, c->pre + c->n);
        if (a.oom) {
            st = pol__fail(run, POL_ERR_NOMEM, "out of memory");
            break;
        }
    }
    io->close(rd);
    if (!st) {
        pol__track_stats s;
        pol__tacc_finish(&a, &s);
        if (fmt >= 0) pol__measure_str(run, "format", pol__tfmt_ext(fmt));
        pol__track_measure(run, &s);
        if (s.has_time) pol__measure_int(run, "speed_outliers", (long long)outliers);
    }
    pol__tacc_free(&a);
    return st;
}
