/* polish — track.privacy: the start and end of each track inside a privacy zone (home, work)
 * are cut, so the recording does not lead to the door. Zones are a declared input: a CSV of
 * "lat,lon[,radius_m]" lines (a header line is allowed) or GeoJSON (Points with an optional
 * "radius" property, Polygons and MultiPolygons). Streamed as the last step, one pass: a track's
 * points are cut while it has not left the zones; after that, points inside are held back by the
 * writer until the track leaves again (kept) or ends (cut). Elsewhere in a pipeline a measuring
 * pass finds each track's first and last point outside the zones, then the applying pass cuts
 * around them. */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include "track/stream.h"

static const pol_param_desc params[] = {
    {"radius", POL_PARAM_NUM, "200", 1, 100000, NULL,
     "Radius of a zone whose line gives none.", .unit = "m"},
};

static const pol_port_desc inputs[] = {
    {"zones", POL_PORT_FILE, NULL, "csv|txt|geojson|json", POL_PORT_SHARED | POL_PORT_REQUIRED,
     "Places to hide: a CSV of lat,lon[,radius_m] lines, or GeoJSON Points (property \"radius\" "
     "in metres) and Polygons. `polish fix` runs this step only when it is given (--zones)."},
};

typedef struct zone {
    double lat, lon, r;
    double *ring; /* a polygon's outer ring (lon, lat pairs), or NULL for a circle */
    size_t n_ring;
} zone;

static void zones_free(zone *z, size_t n)
{
    for (size_t k = 0; z && k < n; k++) free(z[k].ring);
    free(z);
}

static int zone_push(zone **z, size_t *n, size_t *cap, zone v)
{
    if (*n == *cap) {
        size_t nc = *cap ? *cap * 2 : 8;
        zone *nz = realloc(*z, nc * sizeof *nz);
        if (!nz) return -1;
        *z = nz;
        *cap = nc;
    }
    (*z)[(*n)++] = v;
    return 0;
}

static int gj_num(json_t *v, double *out)
{
    if (!json_is_number(v)) return 0;
    *out = json_number_value(v);
    return isfinite(*out);
}

/* One geometry; 1 when it gave zones, 0 when not a zone's shape, -1 broken or out of memory. */
static int gj_zone(json_t *geom, double radius, zone **z, size_t *n, size_t *cap)
{
    const char *type = json_string_value(json_object_get(geom, "type"));
    json_t *co = json_object_get(geom, "coordinates");
    if (!type || !json_is_array(co)) return 0;
    if (!strcmp(type, "Point")) {
        double lon, lat;
        if (!gj_num(json_array_get(co, 0), &lon) || !gj_num(json_array_get(co, 1), &lat) ||
            !(lat >= -90 && lat <= 90) || !(lon >= -180 && lon <= 180))
            return -1;
        return zone_push(z, n, cap, (zone){lat, lon, radius, NULL, 0}) ? -1 : 1;
    }
    int multi = !strcmp(type, "MultiPolygon");
    if (!multi && strcmp(type, "Polygon")) return 0;
    size_t np = multi ? json_array_size(co) : 1;
    for (size_t k = 0; k < np; k++) {
        json_t *poly = multi ? json_array_get(co, k) : co;
        json_t *ring = json_array_get(poly, 0); /* holes are not zones' business */
        size_t m = json_array_size(ring);
        if (m < 3) return -1;
        double *r = malloc(m * 2 * sizeof *r);
        if (!r) return -1;
        for (size_t i = 0; i < m; i++) {
            json_t *pt = json_array_get(ring, i);
            if (!gj_num(json_array_get(pt, 0), &r[2 * i]) ||
                !gj_num(json_array_get(pt, 1), &r[2 * i + 1])) {
                free(r);
                return -1;
            }
        }
        if (zone_push(z, n, cap, (zone){r[1], r[0], 0, r, m})) {
            free(r);
            return -1;
        }
    }
    return 1;
}

static pol_status read_geojson_zones(pol_run *run, const char *path, double radius, zone **out,
                                     size_t *n)
{
    json_error_t e;
    json_t *root = json_load_file(path, JSON_REJECT_DUPLICATES, &e);
    if (!root)
        return pol__fail(run, POL_ERR_FORMAT, "--zones %s line %d: %s", path, e.line, e.text);
    size_t cap = 0;
    int bad = 0;
    json_t *feats = json_object_get(root, "features");
    if (json_is_array(feats)) {
        for (size_t k = 0; k < json_array_size(feats) && !bad; k++) {
            json_t *f = json_array_get(feats, k);
            double r = radius, v;
            json_t *props = json_object_get(f, "properties");
            if (gj_num(json_object_get(props, "radius"), &v) && v > 0) r = v;
            else if (gj_num(json_object_get(props, "radius_m"), &v) && v > 0) r = v;
            bad = gj_zone(json_object_get(f, "geometry"), r, out, n, &cap) < 0;
        }
    } else if (json_object_get(root, "geometry")) {
        bad = gj_zone(json_object_get(root, "geometry"), radius, out, n, &cap) < 0;
    } else {
        bad = gj_zone(root, radius, out, n, &cap) < 0;
    }
    json_decref(root);
    if (bad) {
        zones_free(*out, *n);
        *out = NULL;
        *n = 0;
        return pol__fail(run, POL_ERR_FORMAT,
                         "--zones %s: a Point or Polygon whose coordinates are not [lon, lat]",
                         path);
    }
    if (!*n)
        return pol__fail(run, POL_ERR_FORMAT, "--zones %s holds no Point or Polygon", path);
    return POL_OK;
}

static pol_status read_zones(pol_run *run, const char *path, double radius, zone **out, size_t *n)
{
    *out = NULL;
    *n = 0;
    FILE *f = fopen(path, "rb");
    if (!f) return pol__fail(run, POL_ERR_IO, "--zones: cannot open %s", path);
    int c0 = fgetc(f);
    while (c0 == ' ' || c0 == '\n' || c0 == '\r' || c0 == '\t') c0 = fgetc(f);
    if (c0 == '{') {
        fclose(f);
        return read_geojson_zones(run, path, radius, out, n);
    }
    rewind(f);
    char line[512];
    size_t cap = 0, ln = 0;
    pol_status st = POL_OK;
    while (fgets(line, sizeof line, f)) {
        ln++;
        char *p = line;
        while (*p == ' ' || *p == '\t') p++;
        if (!*p || *p == '\n' || *p == '\r' || *p == '#') continue;
        double la, lo, r = radius;
        char *e;
        la = strtod(p, &e);
        if (e == p) {
            if (ln == 1) continue; /* a header */
            st = pol__fail(run, POL_ERR_FORMAT, "--zones %s line %zu: not lat,lon[,radius]", path, ln);
            break;
        }
        p = e;
        while (*p == ' ' || *p == ',' || *p == ';' || *p == '\t') p++;
        lo = strtod(p, &e);
        if (e == p || !(la >= -90 && la <= 90) || !(lo >= -180 && lo <= 180)) {
            st = pol__fail(run, POL_ERR_FORMAT, "--zones %s line %zu: not lat,lon[,radius]", path, ln);
            break;
        }
        p = e;
        while (*p == ' ' || *p == ',' || *p == ';' || *p == '\t') p++;
        double rv = strtod(p, &e);
        if (e != p && rv > 0) r = rv;
        if (*n == cap) {
            cap = cap ? cap * 2 : 8;
            zone *nz = realloc(*out, cap * sizeof *nz);
            if (!nz) {
                st = pol__fail(run, POL_ERR_NOMEM, "out of memory");
                break;
            }
            *out = nz;
        }
        (*out)[(*n)++] = (zone){la, lo, r, NULL, 0};
    }
    fclose(f);
    if (!st && !*n) st = pol__fail(run, POL_ERR_FORMAT, "--zones %s holds no zone", path);
    if (st) {
        free(*out);
        *out = NULL;
    }
    return st;
}

/* Even-odd rule on the ring in lon/lat (zones are small: a plane is close enough). */
static int in_ring(const double *r, size_t m, double lat, double lon)
{
    int in = 0;
    for (size_t i = 0, j = m - 1; i < m; j = i++) {
        double xi = r[2 * i], yi = r[2 * i + 1], xj = r[2 * j], yj = r[2 * j + 1];
        if ((yi > lat) != (yj > lat) && lon < (xj - xi) * (lat - yi) / (yj - yi) + xi) in = !in;
    }
    return in;
}

static int inside(const zone *z, size_t nz, const pol__tpt *p)
{
    for (size_t k = 0; k < nz; k++) {
        if (z[k].ring ? in_ring(z[k].ring, z[k].n_ring, p->lat, p->lon)
                      : pol__geo_dist(z[k].lat, z[k].lon, p->lat, p->lon) <= z[k].r)
            return 1;
    }
    return 0;
}

static pol_status run(pol_run *run, pol_asset *asset, const pol_args *args)
{
    pol__track *t = pol__track_of(asset);
    if (!pol__input_count(args, "zones")) {
        pol__decline(run, "no privacy zones given (--zones)");
        return POL_OK;
    }
    zone *z;
    size_t nz;
    pol_status st = read_zones(run, pol__input_path(args, "zones", 0), pol__arg_num(args, "radius"),
                               &z, &nz);
    if (st) return st;
    pol__measure_int(run, "zones", (long long)nz);
    size_t cut = 0, tracks = 0;
    /* Per track: from the start while inside, from the end while inside. */
    size_t i = 0;
    while (i < t->n) {
        if (t->seg[t->pt[i].seg].kind != POL_SEG_TRK) {
            i++;
            continue;
        }
        uint32_t trk = t->seg[t->pt[i].seg].track;
        size_t end = i;
        while (end < t->n && t->seg[t->pt[end].seg].track == trk &&
               t->seg[t->pt[end].seg].kind == POL_SEG_TRK)
            end++;
        size_t c0 = cut;
        for (size_t k = i; k < end; k++) {
            if (!pol__tp_live(t, k)) continue;
            if (!inside(z, nz, &t->pt[k])) break;
            t->pt[k].flags |= POL_TP_DELETED | POL_TP_PRIVATE;
            cut++;
        }
        for (size_t k = end; k-- > i;) {
            if (!pol__tp_live(t, k)) continue;
            if (!inside(z, nz, &t->pt[k])) break;
            t->pt[k].flags |= POL_TP_DELETED | POL_TP_PRIVATE;
            cut++;
        }
        tracks += cut > c0;
        i = end;
    }
    zones_free(z, nz);
    pol__measure_int(run, "points_cut", (long long)cut);
    if (!cut) {
        pol__decline(run, "no track starts or ends inside a zone");
        return POL_OK;
    }
    pol__decide(run, "cut %zu points inside privacy zones at the ends of %zu tracks", cut, tracks);
    pol_status fs = pol__track_figure(run, t, "privacy");
    if (fs) return fs;
    return POL_OK;
}

/* ---- streamed: one pass as the last step (ps_apply_one), else measured, then cut ---- */

#define NONE UINT64_MAX

typedef struct pstate {
    zone *z;
    size_t nz;
    uint64_t *first, *last; /* per track number: first and last point outside the zones */
    unsigned char *cut_any;
    size_t n_trk;
    size_t cut;
    int measured; /* a measuring pass was made; otherwise one pass decides (ps_apply_one) */
    /* one pass: the track being read, whether it has left the zones, its points held back */
    int in_trk, left;
    uint32_t trk;
    size_t pending;
} pstate;

static pol_status ps_begin(pol_run *run, const pol_args *args, void **out)
{
    pstate *s = calloc(1, sizeof *s);
    if (!s) return pol__fail(run, POL_ERR_NOMEM, "out of memory");
    *out = s;
    if (!pol__input_count(args, "zones")) return POL_OK;
    return read_zones(run, pol__input_path(args, "zones", 0), pol__arg_num(args, "radius"), &s->z,
                      &s->nz);
}

static int ps_grow(pstate *s, uint32_t k)
{
    if (k < s->n_trk) return 0;
    size_t nn = (size_t)k + 1 > s->n_trk * 2 ? (size_t)k + 1 : s->n_trk * 2;
    uint64_t *f = realloc(s->first, nn * sizeof *f);
    if (!f) return -1;
    s->first = f;
    uint64_t *l = realloc(s->last, nn * sizeof *l);
    if (!l) return -1;
    s->last = l;
    unsigned char *c = realloc(s->cut_any, nn);
    if (!c) return -1;
    s->cut_any = c;
    for (size_t i = s->n_trk; i < nn; i++) {
        s->first[i] = s->last[i] = NONE;
        s->cut_any[i] = 0;
    }
    s->n_trk = nn;
    return 0;
}

static pol_status ps_measure(pol_run *run, void *state, const pol__chunk *c)
{
    pstate *s = state;
    s->measured = 1;
    if (!s->nz) return POL_OK;
    const pol__track *t = pol__track_of(c->data);
    for (size_t i = c->pre; i < c->pre + c->n; i++) {
        if (!pol__tp_live(t, i)) continue;
        uint32_t k = t->seg[t->pt[i].seg].track;
        if (ps_grow(s, k)) return pol__fail(run, POL_ERR_NOMEM, "out of memory");
        if (inside(s->z, s->nz, &t->pt[i])) continue;
        uint64_t g = c->start + (i - c->pre);
        if (s->first[k] == NONE) s->first[k] = g;
        s->last[k] = g;
    }
    return POL_OK;
}

/* One pass: the points held back since `from` (of this chunk's core; the whole core before `to`
 * and t->release when they began in an earlier chunk) kept or cut. */
static void settle(pstate *s, pol__track *t, size_t from, size_t to, int fate)
{
    for (size_t j = from; j < to; j++) {
        if (!(t->pt[j].flags & POL_TP_HELD)) continue;
        t->pt[j].flags &= ~(uint32_t)POL_TP_HELD;
        if (fate == POL_HOLD_CUT) t->pt[j].flags |= POL_TP_DELETED | POL_TP_PRIVATE;
    }
    if (fate == POL_HOLD_CUT) {
        s->cut += s->pending;
        s->cut_any[s->trk] = 1;
    }
    s->pending = 0;
}

/* The applying pass without a measuring one (the last step): the same cut as the measured one,
 * each track's points before its first outside the zones and after its last. */
static pol_status ps_apply_one(pol_run *run, pstate *s, pol__chunk *c)
{
    pol__track *t = pol__track_of(c->data);
    size_t lo = c->pre, hi = c->pre + c->n;
    size_t held = SIZE_MAX; /* where this chunk's points held back begin; MAX: before it */
    for (size_t i = lo; i < hi; i++) {
        if (!pol__tp_live(t, i)) continue;
        uint32_t k = t->seg[t->pt[i].seg].track;
        if (!s->in_trk || k != s->trk) {
            if (s->pending) {
                if (held == SIZE_MAX) t->release = POL_HOLD_CUT;
                settle(s, t, held == SIZE_MAX ? lo : held, i, POL_HOLD_CUT);
                held = SIZE_MAX;
            }
            if (ps_grow(s, k)) return pol__fail(run, POL_ERR_NOMEM, "out of memory");
            s->in_trk = 1;
            s->trk = k;
            s->left = 0;
        }
        int in = inside(s->z, s->nz, &t->pt[i]);
        if (!s->left) {
            if (!in) {
                s->left = 1;
                continue;
            }
            t->pt[i].flags |= POL_TP_DELETED | POL_TP_PRIVATE;
            s->cut++;
            s->cut_any[k] = 1;
        } else if (in) {
            if (!s->pending) held = i;
            t->pt[i].flags |= POL_TP_HELD;
            s->pending++;
        } else if (s->pending) {
            if (held == SIZE_MAX) t->release = POL_HOLD_KEEP;
            settle(s, t, held == SIZE_MAX ? lo : held, i, POL_HOLD_KEEP);
            held = SIZE_MAX;
        }
    }
    if (s->pending && c->last) {
        if (held == SIZE_MAX) t->release = POL_HOLD_CUT;
        settle(s, t, held == SIZE_MAX ? lo : held, hi, POL_HOLD_CUT);
    }
    if (s->pending) t->hold_from = 1 + (held == SIZE_MAX ? lo : held);
    if (c->start == 0 && c->last && s->cut) return pol__track_figure(run, t, "privacy");
    return POL_OK;
}

static pol_status ps_apply(pol_run *run, void *state, pol__chunk *c)
{
    pstate *s = state;
    if (!s->nz) return POL_OK;
    if (!s->measured) return ps_apply_one(run, s, c);
    pol__track *t = pol__track_of(c->data);
    for (size_t i = 0; i < t->n; i++) {
        if (!pol__tp_live(t, i)) continue;
        uint32_t k = t->seg[t->pt[i].seg].track;
        if (ps_grow(s, k)) return pol__fail(run, POL_ERR_NOMEM, "out of memory");
        uint64_t g = c->start + i - c->pre; /* wraps below 0 in the context before: not cut */
        if (i < c->pre) continue;
        if (s->first[k] != NONE && g >= s->first[k] && g <= s->last[k]) continue;
        t->pt[i].flags |= POL_TP_DELETED | POL_TP_PRIVATE;
        if (i < c->pre + c->n) {
            s->cut++;
            s->cut_any[k] = 1;
        }
    }
    if (c->start == 0 && c->last && s->cut) return pol__track_figure(run, t, "privacy");
    return POL_OK;
}

static pol_status ps_end(pol_run *run, void *state)
{
    pstate *s = state;
    if (!s->nz) {
        pol__decline(run, "no privacy zones given (--zones)");
        return POL_OK;
    }
    pol__measure_int(run, "zones", (long long)s->nz);
    pol__measure_int(run, "points_cut", (long long)s->cut);
    if (!s->cut) {
        pol__decline(run, "no track starts or ends inside a zone");
        return POL_OK;
    }
    size_t tracks = 0;
    for (size_t k = 0; k < s->n_trk; k++) tracks += s->cut_any[k];
    pol__decide(run, "cut %zu points inside privacy zones at the ends of %zu tracks", s->cut,
                tracks);
    return POL_OK;
}

static void ps_free(void *state)
{
    pstate *s = state;
    if (!s) return;
    zones_free(s->z, s->nz);
    free(s->first);
    free(s->last);
    free(s->cut_any);
    free(s);
}

const pol_op_stream pol__track_stream_privacy = {
    .measure_first = 1,
    .decides_when_last = 1,
    .begin = ps_begin,
    .measure = ps_measure,
    .decide = NULL,
    .apply = ps_apply,
    .end = ps_end,
    .free = ps_free,
};

const pol_op_desc pol__track_op_privacy = {
    .domain = "track",
    .name = "privacy",
    .summary = "Cut the start and end of tracks inside privacy zones",
    .params = params,
    .n_params = POL_ARRAY_LEN(params),
    .run = run,
    .flags = POL_OP_AUTO,
    .inputs = inputs,
    .n_inputs = POL_ARRAY_LEN(inputs),
    .stream = &pol__track_stream_privacy,
};
