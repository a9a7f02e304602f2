/* polish — GPX 1.0/1.1 and KML through expat, read as a stream of 64 KiB blocks. GPX keeps
 * everything that is not a point as the XML text written before the next point, and each point's
 * other children (hdop, extensions ...) as XML, so a GPX written back is the same document with
 * only the changed points rewritten. Entity declarations are refused (no billion laughs). */
#include <expat.h>
#include <stdlib.h>
#include <string.h>
#include "core/sbuf.h"
#include "track/track.h"

#define MAX_DEPTH 256
#define MAX_RAW (1u << 20) /* bytes of kept XML per point */

typedef struct xr {
    pol_run *run;
    pol__track *t;
    XML_Parser xp;
    int kml;
    int depth;
    pol_status st;
    char err[256];
    uint64_t max_points;
    /* GPX */
    pol__sbuf structure; /* XML outside points, waiting for the next point */
    int in_pt;           /* depth of the point element, 0 outside */
    pol__tpt cur;
    pol__sbuf raw;       /* the point's other children */
    int child;           /* 1 ele, 2 time, 3 hdop (capturing text), 4 other (raw) */
    int child_depth;
    pol__sbuf text;
    uint32_t track_no;
    long seg;          /* current segment, -1 none */
    int seg_kind;
    int in_trk;
    /* KML */
    int kml_coords, kml_when;
    int in_gxtrack;          /* inside <gx:Track> */
    uint64_t gx_k;           /* gx:Track elements begun */
    struct kml_coords *kb;   /* the second reader of the file, giving each <when> its <gx:coord> */
    /* Streamed GPX (exact): the source's bytes from the end of the last point on, so each
     * point keeps its element's bytes and the structure before it as written. */
    int exact;
    pol__sbuf bytes;      /* file bytes [bytes_at, bytes_at + bytes.n) */
    uint64_t bytes_at;
    uint64_t last_end;    /* file offset just after the last point's element */
    uint64_t pt_start, pt_start_end; /* the open point's start tag */
    uint64_t total;       /* points read */
} xr;

static void stop(xr *x, pol_status st, const char *msg)
{
    if (x->st) return;
    x->st = st;
    snprintf(x->err, sizeof x->err, "%s", msg);
    XML_StopParser(x->xp, XML_FALSE);
}

static void esc(pol__sbuf *b, const char *s, size_t n, int attr)
{
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        const char *r = NULL;
        switch (s[i]) {
        case '&': r = "&amp;"; break;
        case '<': r = "&lt;"; break;
        case '>': r = "&gt;"; break;
        case '"': r = attr ? "&quot;" : NULL; break;
        case '\r': r = "&#13;"; break;
        default: break;
        }
        if (!r) continue;
        pol__sbuf_put(b, s + k, i - k);
        pol__sbuf_puts(b, r);
        k = i + 1;
    }
    pol__sbuf_put(b, s + k, n - k);
}

static void put_start(pol__sbuf *b, const XML_Char *name, const XML_Char **atts)
{
    pol__sbuf_puts(b, "<");
    pol__sbuf_puts(b, name);
    for (int i = 0; atts[i]; i += 2) {
        pol__sbuf_puts(b, " ");
        pol__sbuf_puts(b, atts[i]);
        pol__sbuf_puts(b, "=\"");
        esc(b, atts[i + 1], strlen(atts[i + 1]), 1);
        pol__sbuf_puts(b, "\"");
    }
    pol__sbuf_puts(b, ">");
}

static const char *local(const char *name)
{
    const char *c = strrchr(name, ':');
    return c ? c + 1 : name;
}

static const char *att(const XML_Char **atts, const char *k)
{
    for (int i = 0; atts[i]; i += 2)
        if (strcmp(atts[i], k) == 0) return atts[i + 1];
    return NULL;
}

static int parse_num(const char *s, double *v)
{
    if (!s) return 0;
    char *e;
    *v = strtod(s, &e);
    while (*e == ' ' || *e == '\t' || *e == '\n' || *e == '\r') e++;
    return e != s && !*e && isfinite(*v);
}

static void new_seg(xr *x, int kind)
{
    long s = pol__track_seg(x->t, (uint32_t)kind, x->track_no);
    if (s < 0) stop(x, POL_ERR_NOMEM, "out of memory");
    x->seg = s;
    x->seg_kind = kind;
}

static void add_point(xr *x)
{
    if (x->total >= x->max_points) {
        char m[160];
        snprintf(m, sizeof m, "more than %llu points (limit track-points; raise it with --limit "
                 "track-points=N)", (unsigned long long)x->max_points);
        stop(x, POL_ERR_LIMIT, m);
        return;
    }
    if (pol__track_push(x->t, &x->cur)) stop(x, POL_ERR_NOMEM, "out of memory");
    x->total++;
}

/* The source's bytes [a, b) as a string of the pool (exact mode). */
static uint64_t src_bytes(xr *x, uint64_t a, uint64_t b)
{
    if (a < x->bytes_at || b < a || b > x->bytes_at + x->bytes.n) {
        stop(x, POL_ERR_FORMAT, "a point's bytes could not be located in the file");
        return 0;
    }
    uint64_t r = pol__track_str(x->t, x->bytes.p + (a - x->bytes_at), (size_t)(b - a));
    if (!r) stop(x, POL_ERR_NOMEM, "out of memory");
    return r;
}

/* ---- GPX ---- */

static void XMLCALL gpx_start(void *u, const XML_Char *name, const XML_Char **atts)
{
    xr *x = u;
    if (++x->depth > MAX_DEPTH) {
        stop(x, POL_ERR_FORMAT, "elements nested more than 256 deep");
        return;
    }
    const char *ln = local(name);
    if (x->depth == 1) {
        if (strcmp(ln, "gpx") != 0) {
            stop(x, POL_ERR_FORMAT, "the root element is not <gpx>");
            return;
        }
        const char *v = att(atts, "version");
        x->t->gpx_version = v && strcmp(v, "1.0") == 0 ? 10 : 11;
    }
    if (x->in_pt) {
        if (x->child == 4 || x->depth > x->in_pt + 1) {
            put_start(&x->raw, name, atts);
            return;
        }
        x->child_depth = x->depth;
        x->text.n = 0;
        if (x->text.p) x->text.p[0] = '\0';
        if (strcmp(ln, "ele") == 0) {
            x->child = 1;
        } else if (strcmp(ln, "time") == 0) {
            x->child = 2;
        } else {
            x->child = strcmp(ln, "hdop") == 0 ? 3 : 4;
            put_start(&x->raw, name, atts);
        }
        return;
    }
    int kind = -1;
    if (strcmp(ln, "trkpt") == 0) kind = POL_SEG_TRK;
    if (strcmp(ln, "rtept") == 0) kind = POL_SEG_RTE;
    if (strcmp(ln, "wpt") == 0) kind = POL_SEG_WPT;
    if (kind >= 0 && x->depth >= 2) {
        if (kind == POL_SEG_WPT && (x->seg < 0 || x->seg_kind != POL_SEG_WPT)) new_seg(x, kind);
        if (kind == POL_SEG_TRK && (x->seg < 0 || x->seg_kind != POL_SEG_TRK)) new_seg(x, kind);
        if (kind == POL_SEG_RTE && (x->seg < 0 || x->seg_kind != POL_SEG_RTE)) new_seg(x, kind);
        memset(&x->cur, 0, sizeof x->cur);
        x->cur.ele = x->cur.t = NAN;
        x->cur.hdop = NAN;
        x->cur.seg = (uint32_t)(x->seg < 0 ? 0 : x->seg);
        const char *la = att(atts, "lat"), *lo = att(atts, "lon");
        if (!parse_num(la, &x->cur.lat) || !parse_num(lo, &x->cur.lon)) {
            char m[200];
            snprintf(m, sizeof m, "a <%s> without a numeric lat and lon (line %lu)", ln,
                     (unsigned long)XML_GetCurrentLineNumber(x->xp));
            stop(x, POL_ERR_FORMAT, m);
            return;
        }
        x->cur.line = (uint32_t)XML_GetCurrentLineNumber(x->xp);
        /* The structure since the last point, and any other attributes, stay with it. */
        if (x->exact) {
            x->pt_start = (uint64_t)XML_GetCurrentByteIndex(x->xp);
            x->pt_start_end = x->pt_start + (uint64_t)XML_GetCurrentByteCount(x->xp);
        } else {
            x->cur.pre =
                pol__track_str(x->t, x->structure.p ? x->structure.p : "", x->structure.n);
        }
        x->structure.n = 0;
        x->in_pt = x->depth;
        x->child = 0;
        x->raw.n = 0;
        if (x->raw.p) x->raw.p[0] = '\0';
        for (int i = 0; atts[i]; i += 2) {
            if (strcmp(atts[i], "lat") == 0 || strcmp(atts[i], "lon") == 0) continue;
            /* Other attributes (rare): kept as a comment-free marker in raw is not valid XML;
             * they are dropped with the count in the report. */
        }
        return;
    }
    if (strcmp(ln, "trk") == 0 && x->depth == 2) {
        x->track_no++;
        x->in_trk = 1;
        x->seg = -1;
    } else if (strcmp(ln, "rte") == 0 && x->depth == 2) {
        x->track_no++;
        new_seg(x, POL_SEG_RTE);
    } else if (strcmp(ln, "trkseg") == 0) {
        new_seg(x, POL_SEG_TRK);
    }
    put_start(&x->structure, name, atts);
}

static void XMLCALL gpx_end(void *u, const XML_Char *name)
{
    xr *x = u;
    if (x->in_pt) {
        if (x->depth == x->in_pt) {
            if (x->raw.n > MAX_RAW) {
                stop(x, POL_ERR_LIMIT, "a point carries more than 1 MiB of extensions");
                x->depth--;
                return;
            }
            x->cur.raw = x->raw.n ? pol__track_str(x->t, x->raw.p, x->raw.n) : 0;
            if (x->exact) {
                int cnt = XML_GetCurrentByteCount(x->xp);
                uint64_t end = cnt > 0 ? (uint64_t)XML_GetCurrentByteIndex(x->xp) + (uint64_t)cnt
                                       : x->pt_start_end; /* <trkpt .../> */
                x->cur.pre = src_bytes(x, x->last_end, x->pt_start);
                x->cur.src = src_bytes(x, x->pt_start, end);
                x->last_end = end;
            }
            add_point(x);
            x->in_pt = 0;
        } else if (x->depth == x->child_depth && x->child && x->child != 4) {
            const char *s = x->text.p ? x->text.p : "";
            if (x->child == 1) {
                double v;
                if (parse_num(s, &v)) x->cur.ele = v;
                x->cur.ele_txt = pol__track_str(x->t, s, x->text.n);
            } else if (x->child == 2) {
                x->cur.t = pol__iso_time(s);
                x->cur.time_txt = pol__track_str(x->t, s, x->text.n);
            } else {
                double v;
                if (parse_num(s, &v)) x->cur.hdop = (float)v;
                esc(&x->raw, s, x->text.n, 0);
                pol__sbuf_puts(&x->raw, "</");
                pol__sbuf_puts(&x->raw, name);
                pol__sbuf_puts(&x->raw, ">");
            }
            x->child = 0;
        } else {
            pol__sbuf_puts(&x->raw, "</");
            pol__sbuf_puts(&x->raw, name);
            pol__sbuf_puts(&x->raw, ">");
            if (x->depth == x->child_depth) x->child = 0;
        }
        x->depth--;
        return;
    }
    if (strcmp(local(name), "trk") == 0 && x->depth == 2) x->in_trk = 0;
    pol__sbuf_puts(&x->structure, "</");
    pol__sbuf_puts(&x->structure, name);
    pol__sbuf_puts(&x->structure, ">");
    x->depth--;
}

static void XMLCALL gpx_text(void *u, const XML_Char *s, int len)
{
    xr *x = u;
    if (x->in_pt) {
        if (x->child >= 1 && x->child <= 3 && x->depth == x->child_depth) {
            if (x->text.n + (size_t)len > 4096) {
                stop(x, POL_ERR_LIMIT, "a point's value is longer than 4 KiB");
                return;
            }
            pol__sbuf_put(&x->text, s, (size_t)len);
        } else if (x->child == 4 || x->depth > x->in_pt) {
            esc(&x->raw, s, (size_t)len, 0);
        }
        return;
    }
    if (x->structure.n > (64u << 20)) {
        stop(x, POL_ERR_LIMIT, "more than 64 MiB of XML between two points");
        return;
    }
    esc(&x->structure, s, (size_t)len, 0);
}

static void XMLCALL on_comment(void *u, const XML_Char *s)
{
    xr *x = u;
    pol__sbuf *b = x->in_pt ? &x->raw : &x->structure;
    if (x->kml || x->depth == 0) return; /* comments before the root are not kept */
    pol__sbuf_puts(b, "<!--");
    pol__sbuf_puts(b, s);
    pol__sbuf_puts(b, "-->");
}

static void XMLCALL on_entity(void *u, const XML_Char *name, int pe, const XML_Char *v, int vl,
                              const XML_Char *base, const XML_Char *sys, const XML_Char *pub,
                              const XML_Char *notation)
{
    (void)name, (void)pe, (void)v, (void)vl, (void)base, (void)sys, (void)pub, (void)notation;
    stop(u, POL_ERR_FORMAT,
         "the document declares XML entities, which are refused (an entity-expansion attack "
         "such as billion laughs, or an external file reference)");
}

/* ---- KML ---- */

/* A gx:Track lists its <when>s and its <gx:coord>s in two runs (all times, then all positions, in
 * Google Earth's files) or interleaved: a second parser of the same file walks ahead to the
 * <gx:coord>s and hands each <when> its position, so neither run is held whole. */
typedef struct kcoord {
    uint64_t k; /* the gx:Track (1-based) */
    double v[3];
    int n;      /* values read (2 or 3; 0: not "lon lat [alt]") */
} kcoord;

typedef struct kml_coords {
    XML_Parser xp;
    FILE *fp;
    int eof, in_coord, depth;
    uint64_t k;
    pol__sbuf text;
    kcoord *q;
    size_t head, n, cap;
    int oom;
} kml_coords;

static void XMLCALL kb_start(void *u, const XML_Char *name, const XML_Char **atts)
{
    kml_coords *b = u;
    (void)atts;
    const char *ln = local(name);
    if (strcmp(ln, "Track") == 0) b->k++;
    else if (strcmp(ln, "coord") == 0 && b->k) {
        b->in_coord = 1;
        b->text.n = 0;
    }
}

static void XMLCALL kb_end(void *u, const XML_Char *name)
{
    kml_coords *b = u;
    if (!b->in_coord || strcmp(local(name), "coord") != 0) return;
    b->in_coord = 0;
    pol__sbuf_put(&b->text, "", 0);
    void *q = b->q;
    int ok = pol__tsrc_queue_room(&q, sizeof *b->q, &b->head, &b->n, &b->cap);
    b->q = q;
    if (!ok) {
        b->oom = 1;
        XML_StopParser(b->xp, XML_FALSE);
        return;
    }
    kcoord *c = &b->q[b->n++];
    c->k = b->k;
    c->n = b->text.p ? sscanf(b->text.p, "%lf %lf %lf", &c->v[0], &c->v[1], &c->v[2]) : 0;
    if (c->n < 2) c->n = 0;
}

static void XMLCALL kb_text(void *u, const XML_Char *s, int len)
{
    kml_coords *b = u;
    if (b->in_coord && b->text.n < 4096) pol__sbuf_put(&b->text, s, (size_t)len);
}

static void XMLCALL kb_entity(void *u, const XML_Char *name, int pe, const XML_Char *v, int vl,
                              const XML_Char *base, const XML_Char *sys, const XML_Char *pub,
                              const XML_Char *notation)
{
    (void)name, (void)pe, (void)v, (void)vl, (void)base, (void)sys, (void)pub, (void)notation;
    XML_StopParser(((kml_coords *)u)->xp, XML_FALSE); /* refused: the main parser says why */
}

static void kb_free(kml_coords *b)
{
    if (!b) return;
    if (b->xp) XML_ParserFree(b->xp);
    if (b->fp) fclose(b->fp);
    free(b->text.p);
    free(b->q);
    free(b);
}

static kml_coords *kb_open(const char *path)
{
    kml_coords *b = calloc(1, sizeof *b);
    if (!b) return NULL;
    b->fp = fopen(path, "rb");
    b->xp = XML_ParserCreate(NULL);
    if (!b->fp || !b->xp) {
        kb_free(b);
        return NULL;
    }
    XML_SetUserData(b->xp, b);
    XML_SetEntityDeclHandler(b->xp, kb_entity);
    XML_SetParamEntityParsing(b->xp, XML_PARAM_ENTITY_PARSING_NEVER);
    XML_SetElementHandler(b->xp, kb_start, kb_end);
    XML_SetCharacterDataHandler(b->xp, kb_text);
    return b;
}

/* The next <gx:coord> of gx:Track k; 0 when there is none, -1 when one of an earlier track was
 * left without its <when>, -2 when out of memory or unreadable. */
static int kb_next(kml_coords *b, uint64_t k, kcoord *out)
{
    enum { BLK = 1 << 16 };
    for (;;) {
        if (b->head < b->n) {
            kcoord *c = &b->q[b->head];
            if (c->k < k) return -1;
            if (c->k > k) return 0;
            *out = *c;
            b->head++;
            return 1;
        }
        b->head = b->n = 0;
        if (b->eof) return 0;
        void *buf = XML_GetBuffer(b->xp, BLK);
        if (!buf) return -2;
        size_t got = fread(buf, 1, BLK, b->fp);
        if (ferror(b->fp)) return -2;
        b->eof = got < BLK;
        if (XML_ParseBuffer(b->xp, (int)got, b->eof) == XML_STATUS_ERROR) {
            if (b->oom) return -2;
            b->eof = 1; /* the main parser reports the broken XML */
        }
    }
}

static void kml_point(xr *x, double lon, double lat, double ele, int has_ele)
{
    memset(&x->cur, 0, sizeof x->cur);
    x->cur.lat = lat;
    x->cur.lon = lon;
    x->cur.ele = has_ele ? ele : NAN;
    x->cur.t = NAN;
    x->cur.hdop = NAN;
    x->cur.seg = (uint32_t)x->seg;
    add_point(x);
}

/* Parses the complete "lon,lat[,alt]" entries of s[0, n); returns the bytes used (an entry cut
 * by the end of `s` is left unless `final`). */
static size_t kml_entries(xr *x, const char *s, size_t n, int final)
{
    size_t i = 0;
    for (;;) {
        while (i < n && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r')) i++;
        if (i >= n) return i;
        size_t e = i;
        while (e < n && s[e] != ' ' && s[e] != '\t' && s[e] != '\n' && s[e] != '\r') e++;
        if (e == n && !final) return i;
        char tok[256];
        if (e - i >= sizeof tok) {
            stop(x, POL_ERR_FORMAT, "a <coordinates> entry is not lon,lat[,alt]");
            return n;
        }
        memcpy(tok, s + i, e - i);
        tok[e - i] = '\0';
        double v[3];
        int k = 0;
        const char *p = tok;
        char *end;
        for (; k < 3; k++) {
            v[k] = strtod(p, &end);
            if (end == p) break;
            p = end;
            if (*p != ',') {
                k++;
                break;
            }
            p++;
        }
        if (k < 2) {
            stop(x, POL_ERR_FORMAT, "a <coordinates> entry is not lon,lat[,alt]");
            return n;
        }
        kml_point(x, v[0], v[1], v[2], k >= 3);
        if (x->st) return n;
        i = e;
    }
}

static void XMLCALL kml_start(void *u, const XML_Char *name, const XML_Char **atts)
{
    xr *x = u;
    (void)atts;
    if (++x->depth > MAX_DEPTH) {
        stop(x, POL_ERR_FORMAT, "elements nested more than 256 deep");
        return;
    }
    const char *ln = local(name);
    if (x->depth == 1 && strcmp(ln, "kml") != 0) {
        stop(x, POL_ERR_FORMAT, "the root element is not <kml>");
        return;
    }
    x->text.n = 0;
    if (x->text.p) x->text.p[0] = '\0';
    if (strcmp(ln, "Placemark") == 0) {
        x->track_no++;
    } else if (strcmp(ln, "LineString") == 0 || strcmp(ln, "LinearRing") == 0) {
        new_seg(x, POL_SEG_TRK);
    } else if (strcmp(ln, "Track") == 0) {
        new_seg(x, POL_SEG_TRK);
        x->gx_k++;
        x->in_gxtrack = 1;
    } else if (strcmp(ln, "Point") == 0) {
        new_seg(x, POL_SEG_WPT);
    } else if (strcmp(ln, "coordinates") == 0) {
        x->kml_coords = 1;
    } else if (strcmp(ln, "when") == 0 && x->in_gxtrack) {
        x->kml_when = 1;
    }
}

static void XMLCALL kml_end(void *u, const XML_Char *name)
{
    xr *x = u;
    const char *ln = local(name);
    const char *s = x->text.p ? x->text.p : "";
    if (x->kml_coords && strcmp(ln, "coordinates") == 0) {
        if (x->seg >= 0) kml_entries(x, s, x->text.n, 1);
        x->kml_coords = 0;
    } else if (x->kml_when && strcmp(ln, "when") == 0) {
        x->kml_when = 0;
        kcoord c;
        int got = x->kb ? kb_next(x->kb, x->gx_k, &c) : -2;
        if (got == -2) {
            stop(x, POL_ERR_NOMEM, "out of memory reading the <gx:coord>s");
        } else if (got <= 0 || c.n == 0) {
            stop(x, POL_ERR_FORMAT, got < 0 ? "a <gx:coord> without its <when>"
                                            : c.n == 0 && got > 0
                                                  ? "a <gx:coord> is not \"lon lat [alt]\""
                                                  : "a <when> without its <gx:coord>");
        } else {
            kml_point(x, c.v[0], c.v[1], c.v[2], c.n >= 3);
            if (!x->st) {
                pol__tpt *p = &x->t->pt[x->t->n - 1];
                p->t = pol__iso_time(s);
                p->time_txt = pol__track_str(x->t, s, x->text.n);
            }
        }
    } else if (strcmp(ln, "Track") == 0) {
        x->in_gxtrack = 0;
    }
    x->text.n = 0;
    if (x->text.p) x->text.p[0] = '\0';
    x->depth--;
}

static void XMLCALL kml_text(void *u, const XML_Char *s, int len)
{
    xr *x = u;
    if (!x->kml_coords && !x->kml_when) return;
    if (x->kml_when && x->text.n + (size_t)len > 4096) {
        stop(x, POL_ERR_LIMIT, "a <when> longer than 4 KiB");
        return;
    }
    pol__sbuf_put(&x->text, s, (size_t)len);
    /* Coordinates are read as they come: only an entry cut by the block's end waits. */
    if (x->kml_coords && x->seg >= 0 && x->text.n > 4096) {
        size_t used = kml_entries(x, x->text.p, x->text.n, 0);
        if (x->st) return;
        memmove(x->text.p, x->text.p + used, x->text.n - used);
        x->text.n -= used;
        x->text.p[x->text.n] = '\0';
        if (x->text.n > 4096) stop(x, POL_ERR_FORMAT, "a <coordinates> entry is not lon,lat[,alt]");
    }
}

/* ---- streamed GPX ---- */

struct pol__gpx_stream {
    xr x;
    FILE *fp;
    int eof;
};

/* A GPX loaded whole: read as the stream is, to the end, so each point keeps its element's bytes
 * and the structure around it as the source wrote them, and an unchanged point is written back
 * byte for byte (lat and lon as written, not in shortest form). */
pol_status pol__gpx_read(pol_run *run, const char *path, pol__track *t)
{
    pol__gpx_stream *g;
    pol_status st = pol__gpx_stream_open(run, path, t, &g);
    if (st) return st;
    /* Room for the points a file of this size holds (about 90 bytes each, which the pool holds
     * again as the points' own bytes), so growing does not copy a million points over and over. */
    if (fseeko(g->fp, 0, SEEK_END) == 0) {
        off_t sz = ftello(g->fp);
        uint64_t want = sz > 0 ? (uint64_t)sz / 90 + 16 : 0;
        if (want > g->x.max_points) want = g->x.max_points;
        if (want > t->cap && want < ((uint64_t)1 << 31)) {
            pol__tpt *np = realloc(t->pt, (size_t)want * sizeof *np);
            if (np) {
                t->pt = np;
                t->cap = (size_t)want;
            }
            char *pp = realloc(t->pool, (size_t)sz + (size_t)want * 40);
            if (pp) {
                t->pool = pp;
                t->pool_cap = (size_t)sz + (size_t)want * 40;
            }
        }
        rewind(g->fp);
    }
    int eof = 0;
    while (!st && !eof) {
        st = pol__gpx_stream_fill(g, t->n + 65536, &eof);
        if (!st && !eof && pol__cancelled(run)) st = pol__fail(run, POL_ERR_CANCELLED, "cancelled");
    }
    pol__gpx_stream_close(g);
    return st;
}


pol_status pol__gpx_stream_open(pol_run *run, const char *path, pol__track *t,
                                pol__gpx_stream **out)
{
    *out = NULL;
    pol__gpx_stream *g = calloc(1, sizeof *g);
    if (!g) return pol__fail(run, POL_ERR_NOMEM, "out of memory");
    g->fp = fopen(path, "rb");
    if (!g->fp) {
        free(g);
        return pol__fail(run, POL_ERR_IO, "cannot open %s", path);
    }
    xr *x = &g->x;
    x->run = run;
    x->t = t;
    x->seg = -1;
    x->exact = 1;
    x->max_points = pol__limit(run, "track-points");
    if (!x->max_points) x->max_points = UINT64_MAX;
    x->xp = XML_ParserCreate(NULL);
    if (!x->xp) {
        fclose(g->fp);
        free(g);
        return pol__fail(run, POL_ERR_NOMEM, "out of memory");
    }
    XML_SetUserData(x->xp, x);
    XML_SetEntityDeclHandler(x->xp, on_entity);
    XML_SetParamEntityParsing(x->xp, XML_PARAM_ENTITY_PARSING_NEVER);
    XML_SetElementHandler(x->xp, gpx_start, gpx_end);
    XML_SetCharacterDataHandler(x->xp, gpx_text);
    XML_SetCommentHandler(x->xp, on_comment);
    t->format = POL_TF_GPX;
    t->exact = 1;
    *out = g;
    return POL_OK;
}

pol_status pol__gpx_stream_fill(pol__gpx_stream *g, size_t want, int *eof)
{
    xr *x = &g->x;
    pol_run *run = x->run;
    enum { BLK = 1 << 16 };
    while (!g->eof && x->t->n < want) {
        /* Keep the bytes from the end of the last point on; read the next block after them. */
        if (x->last_end > x->bytes_at) {
            size_t drop = (size_t)(x->last_end - x->bytes_at);
            if (drop > x->bytes.n) drop = x->bytes.n;
            memmove(x->bytes.p, x->bytes.p + drop, x->bytes.n - drop);
            x->bytes.n -= drop;
            x->bytes_at += drop;
        }
        size_t at = x->bytes.n;
        if (x->bytes.cap < at + BLK + 1) {
            size_t nc = x->bytes.cap ? x->bytes.cap : BLK + 1;
            while (nc < at + BLK + 1) nc *= 2;
            char *np = realloc(x->bytes.p, nc);
            if (!np) return pol__fail(run, POL_ERR_NOMEM, "out of memory");
            x->bytes.p = np;
            x->bytes.cap = nc;
        }
        size_t got = fread(x->bytes.p + at, 1, BLK, g->fp);
        if (ferror(g->fp)) return pol__fail(run, POL_ERR_IO, "read error");
        x->bytes.n = at + got;
        int fin = got < BLK;
        if (XML_Parse(x->xp, x->bytes.p + at, (int)got, fin) == XML_STATUS_ERROR) {
            if (x->st) return pol__fail(run, x->st, "%s", x->err);
            return pol__fail(run, POL_ERR_FORMAT, "broken XML at line %lu, column %lu: %s",
                             (unsigned long)XML_GetCurrentLineNumber(x->xp),
                             (unsigned long)XML_GetCurrentColumnNumber(x->xp),
                             XML_ErrorString(XML_GetErrorCode(x->xp)));
        }
        if (x->st) return pol__fail(run, x->st, "%s", x->err);
        if (x->structure.oom || x->bytes.oom) return pol__fail(run, POL_ERR_NOMEM, "out of memory");
        if (x->bytes.n - (size_t)(x->last_end - x->bytes_at) > (64u << 20))
            return pol__fail(run, POL_ERR_LIMIT, "more than 64 MiB of XML between two points");
        if (fin) {
            g->eof = 1;
            x->t->tail = pol__track_str(x->t, x->bytes.p + (x->last_end - x->bytes_at),
                                        (size_t)(x->bytes_at + x->bytes.n - x->last_end));
            if (!x->t->tail) return pol__fail(run, POL_ERR_NOMEM, "out of memory");
        }
    }
    *eof = g->eof;
    return POL_OK;
}

int pol__gpx_stream_drop(pol__gpx_stream *g, size_t from)
{
    xr *x = &g->x;
    /* the open point's text already in the pool moves with it */
    uint64_t *keep[] = {&x->cur.time_txt, &x->cur.ele_txt};
    if (!x->in_pt) x->cur.time_txt = x->cur.ele_txt = 0;
    return pol__track_drop_front(x->t, from, keep, 2);
}

uint64_t pol__gpx_stream_points(const pol__gpx_stream *g)
{
    return g->x.total;
}

void pol__gpx_stream_close(pol__gpx_stream *g)
{
    if (!g) return;
    if (g->x.xp) XML_ParserFree(g->x.xp);
    if (g->fp) fclose(g->fp);
    free(g->x.structure.p);
    free(g->x.raw.p);
    free(g->x.text.p);
    free(g->x.bytes.p);
    free(g);
}

/* ---- streamed KML ---- */

struct pol__kml_stream {
    xr x;
    const char *path;
    FILE *fp;
    int eof;
};

pol_status pol__kml_stream_open(pol_run *run, const char *path, pol__track *t,
                                pol__kml_stream **out)
{
    *out = NULL;
    pol__kml_stream *g = calloc(1, sizeof *g);
    if (!g) return pol__fail(run, POL_ERR_NOMEM, "out of memory");
    g->fp = fopen(path, "rb");
    xr *x = &g->x;
    x->xp = XML_ParserCreate(NULL);
    x->kb = kb_open(path);
    if (!g->fp || !x->xp || !x->kb) {
        pol__kml_stream_close(g);
        return pol__fail(run, POL_ERR_IO, "cannot open %s", path);
    }
    x->run = run;
    x->t = t;
    x->kml = 1;
    x->seg = -1;
    x->max_points = pol__limit(run, "track-points");
    if (!x->max_points) x->max_points = UINT64_MAX;
    XML_SetUserData(x->xp, x);
    XML_SetEntityDeclHandler(x->xp, on_entity);
    XML_SetParamEntityParsing(x->xp, XML_PARAM_ENTITY_PARSING_NEVER);
    XML_SetElementHandler(x->xp, kml_start, kml_end);
    XML_SetCharacterDataHandler(x->xp, kml_text);
    t->format = POL_TF_KML;
    *out = g;
    return POL_OK;
}

pol_status pol__kml_stream_fill(pol__kml_stream *g, size_t want, int *eof)
{
    xr *x = &g->x;
    pol_run *run = x->run;
    enum { BLK = 1 << 16 };
    while (!g->eof && x->t->n < want) {
        void *buf = XML_GetBuffer(x->xp, BLK);
        if (!buf) return pol__fail(run, POL_ERR_NOMEM, "out of memory");
        size_t got = fread(buf, 1, BLK, g->fp);
        if (ferror(g->fp)) return pol__fail(run, POL_ERR_IO, "read error");
        int fin = got < BLK;
        if (XML_ParseBuffer(x->xp, (int)got, fin) == XML_STATUS_ERROR) {
            if (x->st) return pol__fail(run, x->st, "%s", x->err);
            return pol__fail(run, POL_ERR_FORMAT, "broken XML at line %lu, column %lu: %s",
                             (unsigned long)XML_GetCurrentLineNumber(x->xp),
                             (unsigned long)XML_GetCurrentColumnNumber(x->xp),
                             XML_ErrorString(XML_GetErrorCode(x->xp)));
        }
        if (x->st) return pol__fail(run, x->st, "%s", x->err);
        if (x->text.oom) return pol__fail(run, POL_ERR_NOMEM, "out of memory");
        if (fin) g->eof = 1;
        if (pol__cancelled(run)) return pol__fail(run, POL_ERR_CANCELLED, "cancelled");
    }
    *eof = g->eof;
    return POL_OK;
}

int pol__kml_stream_drop(pol__kml_stream *g, size_t from)
{
    return pol__track_drop_front(g->x.t, from, NULL, 0);
}

uint64_t pol__kml_stream_points(const pol__kml_stream *g)
{
    return g->x.total;
}

void pol__kml_stream_close(pol__kml_stream *g)
{
    if (!g) return;
    if (g->x.xp) XML_ParserFree(g->x.xp);
    kb_free(g->x.kb);
    if (g->fp) fclose(g->fp);
    free(g->x.text.p);
    free(g);
}

/* ---- writing ---- */

/* A string to a file only this thread writes (the hot path of writing millions of points). */
static void xput(const char *s, FILE *f)
{
    fwrite_unlocked(s, 1, strlen(s), f);
}

/* The shortest text that reads back as the same double. */
static void num(char *buf, size_t cap, double v)
{
    for (int prec = 7; prec <= 17; prec++) {
        snprintf(buf, cap, "%.*g", prec, v);
        if (strtod(buf, NULL) == v) return;
    }
}

static void coord(const pol__track *t, const pol__tpt *p, int lat, char *buf, size_t cap)
{
    (void)t;
    pol__track_coord(p, lat, buf, cap);
}

void pol__track_time_text(const pol__track *t, const pol__tpt *p, char *buf, size_t cap)
{
    const char *s = pol__track_txt(t, p->time_txt);
    size_t n = s ? strlen(s) : 0;
    if (s && cap && isfinite(pol__iso_time(s))) {
        if (n >= cap) n = cap - 1;
        memcpy(buf, s, n);
        buf[n] = '\0';
    } else
        pol__iso_format(p->t, buf, cap);
}

static void ele_text(const pol__track *t, const pol__tpt *p, char *buf, size_t cap)
{
    const char *s = pol__track_txt(t, p->ele_txt);
    size_t n = s ? strlen(s) : 0;
    if (s && !(p->flags & POL_TP_ELE_SET) && cap) {
        if (n >= cap) n = cap - 1;
        memcpy(buf, s, n);
        buf[n] = '\0';
    }
    else
        num(buf, cap, round(p->ele * 1000) / 1000);
}

void pol__gpx_write_pt(const pol__track *t, const pol__tpt *p, const char *el, FILE *f, int gpx)
{
    char la[48], lo[48], tb[64], eb[48];
    coord(t, p, 1, la, sizeof la);
    coord(t, p, 0, lo, sizeof lo);
    /* pieces by fputs: the hot path of writing a smoothed track */
    fputc_unlocked('<', f), xput(el, f), xput(" lat=\"", f), xput(la, f), xput("\" lon=\"", f);
    xput(lo, f), xput("\">", f);
    if (isfinite(p->ele)) {
        ele_text(t, p, eb, sizeof eb);
        xput("<ele>", f), xput(eb, f), xput("</ele>", f);
    }
    if (isfinite(p->t) || p->time_txt) {
        pol__track_time_text(t, p, tb, sizeof tb);
        if (tb[0]) xput("<time>", f), xput(tb, f), xput("</time>", f);
    }
    if (gpx && p->raw) xput(pol__track_txt(t, p->raw), f);
    else if (!gpx && isfinite(p->hdop)) fprintf(f, "<hdop>%g</hdop>", (double)p->hdop);
    xput("</", f), xput(el, f), fputc_unlocked('>', f);
}

/* What comes before a point: a removed point's is left out when it is only the line break and
 * indentation before it (so removed points leave no blank lines), kept when it holds structure
 * or comments. */
static void put_pre(const pol__track *t, const pol__tpt *p, FILE *f)
{
    const char *s = pol__track_txt(t, p->pre);
    if (!s) return;
    if (p->flags & POL_TP_DELETED) {
        const char *c = s;
        while (*c == ' ' || *c == '\t' || *c == '\n' || *c == '\r') c++;
        if (!*c) return;
    }
    xput(s, f);
}

/* A GPX loaded whole, written as GPX: its own structure around the points (the source's bytes,
 * and each unchanged point's, when it was read exactly). */
pol_status pol__gpx_write(pol_run *run, const pol__track *t, FILE *f)
{
    static const char *const el[] = {"trkpt", "rtept", "wpt"};
    if (t->exact) {
        size_t written = 0;
        return pol__gpx_write_exact(run, t, 0, t->n, 1, f, &written);
    }
    xput("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n", f);
    for (size_t i = 0; i < t->n; i++) {
        const pol__tpt *p = &t->pt[i];
        put_pre(t, p, f);
        if (p->flags & POL_TP_DELETED) continue;
        pol__gpx_write_pt(t, p, el[t->seg[p->seg].kind], f, 1);
    }
    if (t->tail) xput(pol__track_txt(t, t->tail), f);
    xput("\n", f);
    if (ferror(f)) return pol__fail(run, POL_ERR_IO, "write error");
    return POL_OK;
}

pol_status pol__gpx_write_exact(pol_run *run, const pol__track *t, size_t from, size_t to,
                                int last, FILE *f, size_t *written)
{
    static const char *const el[] = {"trkpt", "rtept", "wpt"};
    for (size_t i = from; i < to; i++) {
        const pol__tpt *p = &t->pt[i];
        put_pre(t, p, f);
        if (p->flags & POL_TP_DELETED) continue;
        if (!(p->flags & (POL_TP_MOVED | POL_TP_ELE_SET)) && p->src)
            xput(pol__track_txt(t, p->src), f);
        else
            pol__gpx_write_pt(t, p, el[t->seg[p->seg].kind], f, 1);
        ++*written;
    }
    if (last && t->tail) xput(pol__track_txt(t, t->tail), f);
    if (ferror(f)) return pol__fail(run, POL_ERR_IO, "write error");
    return POL_OK;
}

