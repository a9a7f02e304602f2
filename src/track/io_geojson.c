/* polish — GeoJSON tracks read as a stream of events (yajl), so a LineString of millions of
 * positions is read in the memory of a block: Point (a waypoint), LineString, MultiPoint
 * (waypoints), MultiLineString (a segment per line), GeometryCollection, as a bare geometry, a
 * Feature or a FeatureCollection. A feature's times (properties.coordTimes or .times, one per
 * position, nested like the lines; properties.time for a Point) may come before or after its
 * coordinates: a second parser of the same file walks to them and hands each position its time,
 * so neither array is held whole. A geometry whose "type" follows its "coordinates" is read by
 * the nesting of its positions (a flat list is a LineString). */
#include <stdlib.h>
#include <string.h>
#include <yajl/yajl_parse.h>
#include "track/track.h"

#define GJ_DEPTH 64
#define GJ_BLK (1 << 16)

enum { K_OTHER, K_FEATURES, K_GEOMETRY, K_GEOMETRIES, K_COORDS, K_PROPS, K_TIMES, K_TIME, K_TYPE };
enum { T_NONE, T_FC, T_FEATURE, T_POINT, T_LINE, T_MPOINT, T_MLINE, T_GC, T_OTHER };

typedef struct frame {
    char arr;     /* an array (else an object) */
    char key;     /* K_*: the key this container is the value of */
    char type;    /* object: its "type" so far (T_*) */
    char geom;    /* object: a geometry (root, a feature's, a collection's member) */
    char feature; /* object: a feature (or the root) */
    char cur;     /* object: the key whose value comes next */
    long idx;     /* array: elements begun so far */
} frame;

/* Where the parser is: the containers open, the features begun. Both parsers keep one. */
typedef struct gpath {
    frame f[GJ_DEPTH];
    int depth;
    uint64_t feat;
    int too_deep;
} gpath;

static int key_of(const unsigned char *k, size_t n)
{
    static const struct {
        const char *s;
        int k;
    } keys[] = {{"features", K_FEATURES},     {"geometry", K_GEOMETRY}, {"geometries", K_GEOMETRIES},
                {"coordinates", K_COORDS},    {"properties", K_PROPS},  {"coordTimes", K_TIMES},
                {"times", K_TIMES},           {"time", K_TIME},         {"type", K_TYPE}};
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
        if (strlen(keys[i].s) == n && memcmp(keys[i].s, k, n) == 0) return keys[i].k;
    return K_OTHER;
}

static int type_of(const unsigned char *s, size_t n)
{
    static const struct {
        const char *s;
        int t;
    } types[] = {{"FeatureCollection", T_FC}, {"Feature", T_FEATURE},       {"Point", T_POINT},
                 {"LineString", T_LINE},     {"MultiPoint", T_MPOINT},     {"MultiLineString", T_MLINE},
                 {"GeometryCollection", T_GC}};
    for (size_t i = 0; i < sizeof types / sizeof types[0]; i++)
        if (strlen(types[i].s) == n && memcmp(types[i].s, s, n) == 0) return types[i].t;
    return T_OTHER;
}

/* A value begins: its slot in the parent. Returns the parent frame (NULL at the root). */
static frame *gp_value(gpath *p)
{
    if (!p->depth) return NULL;
    frame *u = &p->f[p->depth - 1];
    if (u->arr) u->idx++;
    return u;
}

/* A container opens; returns it, NULL when nested too deep. */
static frame *gp_open(gpath *p, int arr)
{
    frame *u = gp_value(p);
    if (p->depth >= GJ_DEPTH) {
        p->too_deep = 1;
        return NULL;
    }
    frame *f = &p->f[p->depth++];
    memset(f, 0, sizeof *f);
    f->arr = (char)arr;
    f->key = u && !u->arr ? u->cur : K_OTHER;
    if (!arr) {
        /* the root; a feature of a collection; a feature's geometry; a collection's member */
        f->feature = !u || (u->arr && u->key == K_FEATURES && p->depth == 3);
        f->geom = !u || (!u->arr && u->cur == K_GEOMETRY && u->feature) ||
                  (u->arr && u->key == K_GEOMETRIES);
        if (f->feature) p->feat++;
    }
    return f;
}

/* ---- the times' parser ---- */

typedef struct gtime {
    uint64_t f;
    long l, k;
    double t;
    char txt[48]; /* "" for a number */
} gtime;

typedef struct gj_times {
    gpath p;
    yajl_handle h;
    FILE *fp;
    int eof;
    gtime *q;
    size_t head, n, cap;
    int oom;
    int in_times;   /* depth of the open times array, 0 none */
    uint64_t tfeat; /* the feature whose properties are open */
} gj_times;

static int tq_push(gj_times *b, long l, long k, const unsigned char *s, size_t n, double v)
{
    void *q = b->q;
    int ok = pol__tsrc_queue_room(&q, sizeof *b->q, &b->head, &b->n, &b->cap);
    b->q = q;
    if (!ok) {
        b->oom = 1;
        return 0;
    }
    gtime *g = &b->q[b->n++];
    g->f = b->p.feat;
    g->l = l;
    g->k = k;
    g->t = v;
    g->txt[0] = '\0';
    if (s) {
        size_t c = n < sizeof g->txt - 1 ? n : sizeof g->txt - 1;
        memcpy(g->txt, s, c);
        g->txt[c] = '\0';
        g->t = pol__iso_time(g->txt);
    }
    return 1;
}

/* A scalar in the times' parser: a time when it sits in an open feature's properties. */
static int tb_scalar(gj_times *b, const unsigned char *s, size_t n, double v)
{
    frame *u = gp_value(&b->p);
    if (!u) return 1;
    int d = b->p.depth;
    /* properties.time: the object at depth d is the properties of a feature */
    if (!u->arr && u->cur == K_TIME && u->key == K_PROPS && d >= 2 && b->p.f[d - 2].feature)
        return tq_push(b, 0, 0, s, n, v);
    if (b->in_times && u->arr) {
        if (d == b->in_times) return tq_push(b, 0, u->idx - 1, s, n, v);
        if (d == b->in_times + 1) return tq_push(b, b->p.f[d - 2].idx - 1, u->idx - 1, s, n, v);
    }
    return 1;
}

static int tb_null(void *ctx)
{
    gp_value(&((gj_times *)ctx)->p);
    return 1;
}

static int tb_bool(void *ctx, int v)
{
    (void)v;
    return tb_null(ctx);
}

static int tb_number(void *ctx, const char *s, size_t n)
{
    char tmp[64];
    size_t c = n < sizeof tmp - 1 ? n : sizeof tmp - 1;
    memcpy(tmp, s, c);
    tmp[c] = '\0';
    double v = strtod(tmp, NULL);
    return tb_scalar(ctx, NULL, 0, v > 1e11 ? v / 1000 : v);
}

static int tb_string(void *ctx, const unsigned char *s, size_t n)
{
    return tb_scalar(ctx, s, n, NAN);
}

static int tb_start_map(void *ctx)
{
    gj_times *b = ctx;
    return gp_open(&b->p, 0) != NULL;
}

static int tb_key(void *ctx, const unsigned char *k, size_t n)
{
    gj_times *b = ctx;
    b->p.f[b->p.depth - 1].cur = (char)key_of(k, n);
    return 1;
}

static int tb_start_array(void *ctx)
{
    gj_times *b = ctx;
    frame *f = gp_open(&b->p, 1);
    if (!f) return 0;
    int d = b->p.depth;
    if (f->key == K_TIMES && d >= 3 && b->p.f[d - 2].key == K_PROPS && b->p.f[d - 3].feature)
        b->in_times = d;
    return 1;
}

static int tb_end(void *ctx)
{
    gj_times *b = ctx;
    if (b->in_times == b->p.depth) b->in_times = 0;
    b->p.depth--;
    return 1;
}

static const yajl_callbacks tb_cb = {
    .yajl_null = tb_null,
    .yajl_boolean = tb_bool,
    .yajl_number = tb_number,
    .yajl_string = tb_string,
    .yajl_start_map = tb_start_map,
    .yajl_map_key = tb_key,
    .yajl_end_map = tb_end,
    .yajl_start_array = tb_start_array,
    .yajl_end_array = tb_end,
};

static void tb_free(gj_times *b)
{
    if (!b) return;
    if (b->h) yajl_free(b->h);
    if (b->fp) fclose(b->fp);
    free(b->q);
    free(b);
}

static gj_times *tb_open(const char *path)
{
    gj_times *b = calloc(1, sizeof *b);
    if (!b) return NULL;
    b->fp = fopen(path, "rb");
    b->h = yajl_alloc(&tb_cb, NULL, b);
    if (!b->fp || !b->h) {
        tb_free(b);
        return NULL;
    }
    return b;
}

static int key_cmp(uint64_t f1, long l1, long k1, uint64_t f2, long l2, long k2)
{
    if (f1 != f2) return f1 < f2 ? -1 : 1;
    if (l1 != l2) return l1 < l2 ? -1 : 1;
    if (k1 != k2) return k1 < k2 ? -1 : 1;
    return 0;
}

/* The time of position (f, l, k): 1 found, 0 none, -1 out of memory or unreadable. */
static int tb_get(gj_times *b, uint64_t f, long l, long k, gtime *out)
{
    for (;;) {
        while (b->head < b->n) {
            gtime *g = &b->q[b->head];
            int c = key_cmp(g->f, g->l, g->k, f, l, k);
            if (c < 0) {
                b->head++; /* a time without its position */
                continue;
            }
            if (c > 0) return 0;
            *out = *g;
            b->head++;
            return 1;
        }
        b->head = b->n = 0;
        if (b->eof) return 0;
        unsigned char buf[GJ_BLK];
        size_t got = fread(buf, 1, sizeof buf, b->fp);
        if (ferror(b->fp)) return -1;
        yajl_status ys = got ? yajl_parse(b->h, buf, got) : yajl_complete_parse(b->h);
        if (!got) b->eof = 1;
        if (ys != yajl_status_ok) {
            if (b->oom) return -1;
            b->eof = 1; /* broken: the main parser says where */
        }
    }
}

/* ---- the positions' parser ---- */

struct pol__gj_stream {
    pol_run *run;
    pol__track *t;
    gpath p;
    yajl_handle h;
    FILE *fp;
    gj_times *tb;
    int eof;
    pol_status st;
    char err[200];
    uint64_t total, lim;
    uint32_t track;
    /* the coordinates being read */
    int coords;      /* depth of the coordinates array, 0 outside */
    int gtype;       /* the geometry's type (T_*), T_NONE when not yet known */
    int in_gc;       /* inside a GeometryCollection's member */
    uint64_t gfeat;  /* the feature holding it */
    long seg;        /* its current segment */
    long seg_line;   /* the line that segment belongs to (MultiLineString) */
    double v[3];
    int nv, bad;
    int root_typed; /* the root object has a "type" */
};

static int gj_fail(pol__gj_stream *g, pol_status st, const char *msg)
{
    if (!g->st) {
        g->st = st;
        snprintf(g->err, sizeof g->err, "%s", msg);
    }
    return 0;
}

static int gj_emit(pol__gj_stream *g, int level)
{
    frame *pos = &g->p.f[g->p.depth - 1];
    if (g->nv < 2 || g->bad) return gj_fail(g, POL_ERR_FORMAT, "a position is not [lon, lat(, ele)]");
    int type = g->gtype;
    if (type == T_NONE) type = level == 0 ? T_POINT : level == 1 ? T_LINE : T_MLINE;
    long line = level == 2 ? g->p.f[g->coords - 1].idx - 1 : 0;
    long k = level == 0 ? 0 : pos[-1].idx - 1;
    if (level > 2 || (type == T_MLINE) != (level == 2) || (type == T_POINT) != (level == 0))
        return gj_fail(g, POL_ERR_FORMAT, "a position is not [lon, lat(, ele)]");
    if (g->seg < 0 || type == T_POINT || (type == T_MLINE && line != g->seg_line)) {
        int kind = type == T_POINT || type == T_MPOINT ? POL_SEG_WPT : POL_SEG_TRK;
        g->seg = pol__track_seg(g->t, (uint32_t)kind, g->track);
        g->seg_line = line;
        if (g->seg < 0) return gj_fail(g, POL_ERR_NOMEM, "out of memory");
    }
    pol__tpt p;
    memset(&p, 0, sizeof p);
    p.lon = g->v[0];
    p.lat = g->v[1];
    p.ele = g->nv >= 3 ? g->v[2] : NAN;
    p.t = NAN;
    p.hdop = NAN;
    p.seg = (uint32_t)g->seg;
    gtime tm;
    int got = g->in_gc || !g->tb ? 0 : tb_get(g->tb, g->gfeat, line, k, &tm);
    if (got < 0) return gj_fail(g, POL_ERR_NOMEM, "out of memory reading the times");
    if (got > 0) {
        p.t = tm.t;
        if (tm.txt[0]) {
            p.time_txt = pol__track_str(g->t, tm.txt, strlen(tm.txt));
            if (!p.time_txt) return gj_fail(g, POL_ERR_NOMEM, "out of memory");
        }
    }
    if (g->lim && g->total >= g->lim) {
        char m[120];
        snprintf(m, sizeof m, "more than %llu points (limit track-points)",
                 (unsigned long long)g->lim);
        return gj_fail(g, POL_ERR_LIMIT, m);
    }
    if (pol__track_push(g->t, &p)) return gj_fail(g, POL_ERR_NOMEM, "out of memory");
    g->total++;
    return 1;
}

static int gs_scalar(pol__gj_stream *g, const unsigned char *s, size_t n, int num, double v)
{
    frame *u = gp_value(&g->p);
    if (u && !u->arr && u->cur == K_TYPE && s) {
        u->type = (char)type_of(s, n);
        if (u == &g->p.f[0]) g->root_typed = 1;
    }
    if (g->coords && g->p.depth >= g->coords) {
        if (!num) {
            g->bad = 1;
        } else if (g->nv < 3) {
            g->v[g->nv++] = v;
        }
    }
    return 1;
}

static int gs_null(void *ctx)
{
    return gs_scalar(ctx, NULL, 0, 0, 0);
}

static int gs_bool(void *ctx, int v)
{
    (void)v;
    return gs_scalar(ctx, NULL, 0, 0, 0);
}

static int gs_number(void *ctx, const char *s, size_t n)
{
    char tmp[64];
    size_t c = n < sizeof tmp - 1 ? n : sizeof tmp - 1;
    memcpy(tmp, s, c);
    tmp[c] = '\0';
    return gs_scalar(ctx, NULL, 0, 1, strtod(tmp, NULL));
}

static int gs_string(void *ctx, const unsigned char *s, size_t n)
{
    return gs_scalar(ctx, s, n, 0, 0);
}

static int gs_start_map(void *ctx)
{
    pol__gj_stream *g = ctx;
    if (g->coords) g->bad = 1;
    if (!gp_open(&g->p, 0)) return gj_fail(g, POL_ERR_FORMAT, "JSON nested more than 64 deep");
    return 1;
}

static int gs_key(void *ctx, const unsigned char *k, size_t n)
{
    pol__gj_stream *g = ctx;
    g->p.f[g->p.depth - 1].cur = (char)key_of(k, n);
    return 1;
}

static int gs_start_array(void *ctx)
{
    pol__gj_stream *g = ctx;
    frame *f = gp_open(&g->p, 1);
    if (!f) return gj_fail(g, POL_ERR_FORMAT, "JSON nested more than 64 deep");
    int d = g->p.depth;
    if (!g->coords && f->key == K_COORDS && d >= 2 && g->p.f[d - 2].geom) {
        frame *geo = &g->p.f[d - 2];
        int ty = geo->type;
        if (ty == T_OTHER || ty == T_GC || ty == T_FC || ty == T_FEATURE) return 1; /* polygons */
        g->coords = d;
        g->gtype = ty;
        g->in_gc = d >= 3 && g->p.f[d - 3].key == K_GEOMETRIES;
        g->gfeat = g->p.feat;
        g->seg = -1;
        g->track++;
    }
    if (g->coords) {
        g->nv = 0;
        g->bad = 0;
    }
    return 1;
}

static int gs_end_array(void *ctx)
{
    pol__gj_stream *g = ctx;
    int d = g->p.depth;
    int r = 1;
    if (g->coords && d >= g->coords) {
        /* an array of numbers is a position */
        if (g->nv > 0 || g->bad) r = gj_emit(g, d - g->coords);
        g->nv = 0;
        g->bad = 0;
        if (d == g->coords) g->coords = 0;
    }
    g->p.depth--;
    return r;
}

static int gs_end_map(void *ctx)
{
    pol__gj_stream *g = ctx;
    g->p.depth--;
    return 1;
}

static const yajl_callbacks gs_cb = {
    .yajl_null = gs_null,
    .yajl_boolean = gs_bool,
    .yajl_number = gs_number,
    .yajl_string = gs_string,
    .yajl_start_map = gs_start_map,
    .yajl_map_key = gs_key,
    .yajl_end_map = gs_end_map,
    .yajl_start_array = gs_start_array,
    .yajl_end_array = gs_end_array,
};

void pol__gj_stream_close(pol__gj_stream *g)
{
    if (!g) return;
    if (g->h) yajl_free(g->h);
    if (g->fp) fclose(g->fp);
    tb_free(g->tb);
    free(g);
}

pol_status pol__gj_stream_open(pol_run *run, const char *path, pol__track *t,
                               pol__gj_stream **out)
{
    *out = NULL;
    pol__gj_stream *g = calloc(1, sizeof *g);
    if (!g) return pol__fail(run, POL_ERR_NOMEM, "out of memory");
    g->run = run;
    g->t = t;
    g->lim = pol__limit(run, "track-points");
    g->fp = fopen(path, "rb");
    g->h = yajl_alloc(&gs_cb, NULL, g);
    g->tb = tb_open(path);
    if (!g->fp || !g->h || !g->tb) {
        pol__gj_stream_close(g);
        return pol__fail(run, POL_ERR_IO, "cannot open %s", path);
    }
    t->format = POL_TF_GEOJSON;
    *out = g;
    return POL_OK;
}

pol_status pol__gj_stream_fill(pol__gj_stream *g, size_t want, int *eof)
{
    pol_run *run = g->run;
    unsigned char *buf = NULL;
    while (!g->eof && g->t->n < want) {
        if (!buf && !(buf = malloc(GJ_BLK))) return pol__fail(run, POL_ERR_NOMEM, "out of memory");
        size_t got = fread(buf, 1, GJ_BLK, g->fp);
        if (ferror(g->fp)) {
            free(buf);
            return pol__fail(run, POL_ERR_IO, "read error");
        }
        yajl_status ys = got ? yajl_parse(g->h, buf, got) : yajl_complete_parse(g->h);
        if (!got) g->eof = 1;
        if (g->st) {
            free(buf);
            return pol__fail(run, g->st, "%s", g->err);
        }
        if (ys != yajl_status_ok) {
            unsigned char *m = yajl_get_error(g->h, 0, buf, got);
            pol_status st = pol__fail(run, POL_ERR_FORMAT, "broken JSON near byte %llu: %s",
                                      (unsigned long long)(ftello(g->fp) - (off_t)got +
                                                           (off_t)yajl_get_bytes_consumed(g->h)),
                                      m ? (const char *)m : "unreadable");
            if (m) yajl_free_error(g->h, m);
            free(buf);
            return st;
        }
        if (pol__cancelled(run)) {
            free(buf);
            return pol__fail(run, POL_ERR_CANCELLED, "cancelled");
        }
    }
    free(buf);
    if (g->eof && !g->root_typed)
        return pol__fail(run, POL_ERR_FORMAT, "not GeoJSON: no \"type\"");
    *eof = g->eof;
    return POL_OK;
}

int pol__gj_stream_drop(pol__gj_stream *g, size_t from)
{
    return pol__track_drop_front(g->t, from, NULL, 0);
}

uint64_t pol__gj_stream_points(const pol__gj_stream *g)
{
    return g->total;
}
