/* polish — track.split: one track per trip, cut where the recording pauses longer than --gap
 * (or at segment breaks with --segments). Each trip is written as <name>.trip-N.<ext>: the
 * document with the other trips' points left out. A trip's file runs from its first point to the
 * next written trip's first one, so waypoints and routes go with the trip they are recorded
 * among (those before the first trip with the first). Streamed, a measuring pass counts each
 * trip's points (and spools a GPX's structure); the applying pass cuts the stream where each
 * written trip begins, so the trips are written one after the other in the memory of a chunk. */
#include <stdlib.h>
#include <string.h>
#include "core/stream.h"
#include "track/stream.h"

static const pol_param_desc params[] = {
    {"gap", POL_PARAM_NUM, "600", 1, 1e9, NULL, "A pause longer than this ends a trip.",
     .unit = "s"},
    {"segments", POL_PARAM_BOOL, "false", 0, -1, NULL, "Also cut at every segment break."},
    {"min-points", POL_PARAM_INT, "2", 1, 1e9, NULL, "Trips with fewer points are left out."},
};

/* ---- the structure of a GPX around a part's points ---- */

void pol__tskel_add(pol__tskel *k, uint64_t idx, const char *text)
{
    if (!text || !k->f) return;
    const char *c = text;
    while (*c == ' ' || *c == '\t' || *c == '\n' || *c == '\r') c++;
    if (!*c && idx != UINT64_MAX) return;
    uint64_t len = strlen(text);
    if (fwrite(&idx, sizeof idx, 1, k->f) != 1 || fwrite(&len, sizeof len, 1, k->f) != 1 ||
        fwrite(text, 1, (size_t)len, k->f) != len)
        k->bad = 1;
}

int pol__tskel_put(const pol__tskel *k, uint64_t from, uint64_t to, int tail, FILE *out)
{
    if (k->bad || fflush(k->f) != 0 || fseek(k->f, 0, SEEK_SET) != 0) return -1;
    uint64_t idx, len;
    char buf[1 << 14];
    while (fread(&idx, sizeof idx, 1, k->f) == 1) {
        if (fread(&len, sizeof len, 1, k->f) != 1) return -1;
        int want = idx == UINT64_MAX ? tail : idx >= from && idx < to;
        if (!want) {
            if (fseek(k->f, (long)len, SEEK_CUR) != 0) return -1;
            continue;
        }
        while (len > 0) {
            size_t n = len < sizeof buf ? (size_t)len : sizeof buf;
            if (fread(buf, 1, n, k->f) != n || fwrite(buf, 1, n, out) != n) return -1;
            len -= n;
        }
    }
    if (ferror(k->f) || fseek(k->f, 0, SEEK_END) != 0) return -1;
    return ferror(out) ? -1 : 0;
}

/* ---- trips ---- */

/* Where trips begin, followed point by point across chunks. */
typedef struct tripper {
    double gap;
    int by_seg;
    int have;          /* a live track point seen */
    double t;          /* the last one's time, segment (stream-wide) and track */
    uint64_t seg;
    uint32_t track;
    size_t trips;
} tripper;

/* The trip (from 1) of live track point i, starting a new one where the pause, track or segment
 * says so. */
static size_t trip_of(tripper *r, const pol__track *t, size_t i)
{
    const pol__tpt *p = &t->pt[i];
    uint64_t seg = t->seg0 + p->seg;
    uint32_t track = t->seg[p->seg].track;
    int cut = !r->have;
    if (!cut) {
        double dt = p->t - r->t;
        cut = (isfinite(dt) && dt > r->gap) || track != r->track || (r->by_seg && seg != r->seg);
    }
    if (cut) r->trips++;
    r->have = 1;
    r->t = p->t, r->seg = seg, r->track = track;
    return r->trips;
}

static tripper tripper_new(const pol_args *args)
{
    return (tripper){.gap = pol__arg_num(args, "gap"), .by_seg = pol__arg_bool(args, "segments")};
}

/* Which trips are written: *written of them, each kept trip's number from 1 in `name` (0: left
 * out). Declines (returns 0) when there is one trip or none is long enough. */
static int choose(pol_run *run, const size_t *count, size_t trips, size_t min_pts, double gap,
                  size_t *name, size_t *written)
{
    *written = 0;
    pol__measure_int(run, "trips", (long long)trips);
    if (trips < 2) {
        pol__decline(run, "one trip: no pause longer than %.0f s", gap);
        return 0;
    }
    for (size_t k = 0; k < trips; k++) name[k] = count[k] >= min_pts ? ++*written : 0;
    pol__measure_int(run, "trips_written", (long long)*written);
    if (!*written) {
        pol__decline(run, "%zu trips, none of %zu points or more", trips, min_pts);
        return 0;
    }
    pol__decide(run, "split into %zu trips at pauses over %.0f s", *written, gap);
    return 1;
}

/* ---- loaded whole ---- */

static pol_status run(pol_run *run, pol_asset *asset, const pol_args *args)
{
    pol__track *t = pol__track_of(asset);
    size_t min_pts = (size_t)pol__arg_int(args, "min-points");
    tripper r = tripper_new(args);
    /* Trip (from 1) of each live track point, 0 for the others. */
    size_t *trip = calloc(t->n ? t->n : 1, sizeof *trip);
    size_t *count = NULL, *name = NULL;
    if (!trip) return pol__fail(run, POL_ERR_NOMEM, "out of memory");
    for (size_t i = 0; i < t->n; i++)
        if (pol__tp_live(t, i)) trip[i] = trip_of(&r, t, i);
    count = calloc(r.trips + 1, sizeof *count);
    name = calloc(r.trips + 1, sizeof *name);
    if (!count || !name) {
        free(trip);
        free(count);
        free(name);
        return pol__fail(run, POL_ERR_NOMEM, "out of memory");
    }
    for (size_t i = 0; i < t->n; i++)
        if (trip[i]) count[trip[i] - 1]++;
    size_t written;
    pol_status st = POL_OK;
    if (choose(run, count, r.trips, min_pts, r.gap, name, &written)) {
        /* Written trip j's file holds the points from its first one (the stream's first for the
         * first trip) to the next written trip's first one. */
        size_t *begin = calloc(written + 1, sizeof *begin);
        if (!begin) st = pol__fail(run, POL_ERR_NOMEM, "out of memory");
        size_t seen = 0;
        for (size_t i = 0; !st && i < t->n; i++)
            if (trip[i] && name[trip[i] - 1] > seen) {
                begin[seen] = seen ? i : 0;
                seen++;
            }
        if (!st) begin[written] = t->n;
        for (size_t j = 0; !st && j < written; j++) {
            pol__track *c = pol__track_clone(t);
            if (!c) {
                st = pol__fail(run, POL_ERR_NOMEM, "out of memory");
                break;
            }
            size_t kept = 0;
            for (size_t i = 0; i < c->n; i++) {
                int in = i >= begin[j] && i < begin[j + 1] && (!trip[i] || name[trip[i] - 1]);
                if (!in) c->pt[i].flags |= POL_TP_DELETED;
                else kept += !(c->pt[i].flags & POL_TP_DELETED);
            }
            c->input_points = kept;
            pol_asset *a = pol__asset_new(asset->domain, c, asset->source_path);
            if (!a) {
                st = pol__fail(run, POL_ERR_NOMEM, "out of memory");
                break;
            }
            char nm[32];
            snprintf(nm, sizeof nm, "trip-%zu", j + 1);
            st = pol__emit(run, a, nm);
            pol__asset_unref(a);
        }
        free(begin);
    }
    free(trip);
    free(count);
    free(name);
    return st;
}

/* ---- streamed ---- */

typedef struct sstate {
    const pol_args *args;
    size_t min_pts;
    tripper r;
    size_t *count, cap; /* points of each trip */
    size_t *name;       /* after decide: each trip's file number, 0 left out */
    size_t written;
    int split;          /* decided to split */
    size_t next_name;   /* the next written trip to begin */
    pol__tskel skel;
    int gpx;            /* the structure is spooled */
    size_t *cut_at, cut_cap;
    char (*cut_name)[32];
    const char **cut_ptr;
} sstate;

static pol_status ss_begin(pol_run *run, const pol_args *args, void **out)
{
    sstate *s = calloc(1, sizeof *s);
    if (!s) return pol__fail(run, POL_ERR_NOMEM, "out of memory");
    s->args = args;
    s->min_pts = (size_t)pol__arg_int(args, "min-points");
    *out = s;
    return POL_OK;
}

static pol_status ss_measure(pol_run *run, void *state, const pol__chunk *c)
{
    sstate *s = state;
    const pol__track *t = pol__track_of(c->data);
    if (c->start == 0) {
        s->r = tripper_new(s->args);
        s->gpx = t->format == POL_TF_GPX && t->exact;
        if (s->gpx && !s->skel.f && !(s->skel.f = pol__temp_file("trips")))
            return pol__fail(run, POL_ERR_IO, "cannot make a temporary file");
    }
    for (size_t i = c->pre; i < c->pre + c->n; i++) {
        if (s->gpx) pol__tskel_add(&s->skel, c->start + (i - c->pre), pol__track_txt(t, t->pt[i].pre));
        if (!pol__tp_live(t, i)) continue;
        size_t k = trip_of(&s->r, t, i);
        if (k > s->cap) {
            size_t cap = s->cap ? 2 * s->cap : 64;
            size_t *v = realloc(s->count, cap * sizeof *v);
            if (!v) return pol__fail(run, POL_ERR_NOMEM, "out of memory");
            memset(v + s->cap, 0, (cap - s->cap) * sizeof *v);
            s->count = v;
            s->cap = cap;
        }
        s->count[k - 1]++;
    }
    if (c->last && s->gpx) pol__tskel_add(&s->skel, UINT64_MAX, t->tail ? pol__track_txt(t, t->tail) : "");
    if (s->skel.bad) return pol__fail(run, POL_ERR_IO, "cannot write a temporary file");
    return POL_OK;
}

static pol_status ss_decide(pol_run *run, void *state)
{
    sstate *s = state;
    s->name = calloc(s->r.trips + 1, sizeof *s->name);
    if (!s->name) return pol__fail(run, POL_ERR_NOMEM, "out of memory");
    s->split = choose(run, s->count, s->r.trips, s->min_pts, s->r.gap, s->name, &s->written);
    return POL_OK;
}

static pol_status ss_apply(pol_run *run, void *state, pol__chunk *c)
{
    sstate *s = state;
    if (!s->split) return POL_OK;
    pol__track *t = pol__track_of(c->data);
    if (c->start == 0) {
        s->r = tripper_new(s->args);
        s->next_name = 1;
    }
    if (s->gpx) t->skel = &s->skel;
    size_t nc = 0;
    for (size_t i = c->pre; i < c->pre + c->n; i++) {
        size_t at = i - c->pre, k = 0;
        if (pol__tp_live(t, i)) k = trip_of(&s->r, t, i);
        if (k && !s->name[k - 1]) t->pt[i].flags |= POL_TP_DELETED; /* a trip left out */
        size_t label = 0; /* the file that begins here */
        if (c->start == 0 && at == 0) label = 1; /* the first file begins with the stream */
        if (k && s->name[k - 1] == s->next_name) {
            if (s->next_name > 1) label = s->next_name; /* a later written trip's first point */
            s->next_name++;
        }
        int cut = label > 0;
        if (!cut) continue;
        if (nc == s->cut_cap) {
            size_t cap = s->cut_cap ? 2 * s->cut_cap : 16;
            size_t *a = realloc(s->cut_at, cap * sizeof *a);
            if (a) s->cut_at = a;
            char(*nm)[32] = a ? realloc(s->cut_name, cap * sizeof *nm) : NULL;
            if (nm) s->cut_name = nm;
            const char **pp = nm ? realloc(s->cut_ptr, cap * sizeof *pp) : NULL;
            if (!pp) return pol__fail(run, POL_ERR_NOMEM, "out of memory");
            s->cut_ptr = pp;
            s->cut_cap = cap;
        }
        s->cut_at[nc] = at;
        snprintf(s->cut_name[nc], sizeof s->cut_name[nc], "trip-%zu", label);
        nc++;
    }
    for (size_t j = 0; j < nc; j++) s->cut_ptr[j] = s->cut_name[j];
    c->n_cuts = nc;
    c->cut_at = s->cut_at;
    c->cut_name = s->cut_ptr;
    return POL_OK;
}

static void ss_free(void *state)
{
    sstate *s = state;
    if (!s) return;
    if (s->skel.f) fclose(s->skel.f);
    free(s->count);
    free(s->name);
    free(s->cut_at);
    free(s->cut_name);
    free(s->cut_ptr);
    free(s);
}

static const pol_op_stream split_stream = {
    .measure_first = 1,
    .splits = 1,
    .begin = ss_begin,
    .measure = ss_measure,
    .decide = ss_decide,
    .apply = ss_apply,
    .free = ss_free,
};

const pol_op_desc pol__track_op_split = {
    .domain = "track",
    .name = "split",
    .summary = "One track per trip, cut at long pauses",
    .params = params,
    .n_params = POL_ARRAY_LEN(params),
    .run = run,
    .flags = POL_OP_SPLIT,
    .stream = &split_stream,
};
