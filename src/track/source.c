/* polish — tracks read as a stream of points, whatever the format: GPX and KML through expat,
 * CSV and NMEA line by line, GeoJSON through yajl's event parser. A reader adds points to a track
 * until it holds as many as asked (or the file ends) and drops the ones no longer needed, so a
 * file of millions of points is read in the memory of a chunk. A track loaded whole is read by
 * the same readers to the end (GPX loaded whole keeps its structure as parsed instead). */
#include <stdlib.h>
#include <string.h>
#include "track/track.h"

struct pol__tsrc {
    int fmt;
    pol__gpx_stream *g;
    pol__line_stream *l;
    pol__kml_stream *k;
    pol__gj_stream *j;
    /* a scratch copy (pol__tscratch_write's records) */
    pol_run *run;
    FILE *scratch;
    pol__track *t;
    uint64_t read;
    int done;
    int stretch; /* segments numbered from the copy's first (pol__tsrc_open_stretch) */
    char *tmp;
    size_t tmp_cap;
};

/* ---- the scratch copy: what earlier steps made of a stream, kept for the later passes ---- */

/* One point: its numbers, its segment's stream identity, kind and track, and the lengths + 1 of
 * its texts (0: none), which follow. A record with seg = UINT64_MAX ends the copy (its first
 * text: the source's bytes after the last point). */
typedef struct srec {
    double lat, lon, ele, t;
    float hdop;
    uint32_t flags, line, kind, track;
    uint64_t seg;
    uint32_t len[5];
} srec;

int pol__tscratch_write(FILE *f, const pol__track *t, size_t from, size_t to, int last)
{
    for (size_t i = from; i < to; i++) {
        const pol__tpt *p = &t->pt[i];
        srec r;
        memset(&r, 0, sizeof r);
        r.lat = p->lat, r.lon = p->lon, r.ele = p->ele, r.t = p->t, r.hdop = p->hdop;
        r.flags = p->flags, r.line = p->line;
        r.kind = t->seg[p->seg].kind, r.track = t->seg[p->seg].track, r.seg = t->seg0 + p->seg;
        /* what no writer reads is left out: a removed point's texts but the structure before
         * it, a changed point's exact bytes */
        int del = (p->flags & POL_TP_DELETED) != 0;
        const char *x[5] = {del ? NULL : pol__track_txt(t, p->time_txt),
                            del ? NULL : pol__track_txt(t, p->ele_txt),
                            del ? NULL : pol__track_txt(t, p->raw), pol__track_txt(t, p->pre),
                            p->flags & (POL_TP_DELETED | POL_TP_MOVED | POL_TP_ELE_SET)
                                ? NULL
                                : pol__track_txt(t, p->src)};
        size_t len[5];
        for (int k = 0; k < 5; k++) {
            len[k] = x[k] ? strlen(x[k]) : 0;
            r.len[k] = x[k] ? (uint32_t)len[k] + 1 : 0;
        }
        if (fwrite_unlocked(&r, sizeof r, 1, f) != 1) return -1;
        for (int k = 0; k < 5; k++)
            if (len[k] && fwrite_unlocked(x[k], 1, len[k], f) != len[k]) return -1;
    }
    if (last) {
        srec r;
        memset(&r, 0, sizeof r);
        r.seg = UINT64_MAX;
        const char *x = pol__track_txt(t, t->tail);
        size_t n = x ? strlen(x) : 0;
        r.len[0] = x ? (uint32_t)n + 1 : 0;
        if (fwrite_unlocked(&r, sizeof r, 1, f) != 1 || (n && fwrite_unlocked(x, 1, n, f) != n))
            return -1;
    }
    return 0;
}

static uint64_t get_text(pol__tsrc *s, uint32_t len, int *bad)
{
    if (!len || *bad) return 0;
    if (len > s->tmp_cap) {
        char *nb = realloc(s->tmp, len);
        if (!nb) {
            *bad = 1;
            return 0;
        }
        s->tmp = nb;
        s->tmp_cap = len;
    }
    if (len > 1 && fread_unlocked(s->tmp, 1, len - 1, s->scratch) != len - 1) {
        *bad = 1;
        return 0;
    }
    uint64_t off = pol__track_str(s->t, s->tmp, len - 1);
    if (!off) *bad = 1;
    return off;
}

static pol_status scratch_fill(pol__tsrc *s, size_t want, int *eof)
{
    pol__track *t = s->t;
    while (!s->done && t->n < want) {
        srec r;
        int bad = 0;
        if (fread_unlocked(&r, sizeof r, 1, s->scratch) != 1)
            return pol__fail(s->run, POL_ERR_IO, "the scratch copy ends early");
        if (r.seg == UINT64_MAX) {
            t->tail = get_text(s, r.len[0], &bad);
            if (bad) return pol__fail(s->run, POL_ERR_IO, "cannot read the scratch copy");
            s->done = 1;
            break;
        }
        if (s->stretch && !t->n_seg) t->seg0 = r.seg;
        if (r.seg < t->seg0) return pol__fail(s->run, POL_ERR_IO, "cannot read the scratch copy");
        while (!bad && t->seg0 + t->n_seg <= r.seg) /* the source's reader's segment numbers */
            if (pol__track_seg(t, r.kind, r.track) < 0) bad = 1;
        pol__tpt p = {.lat = r.lat, .lon = r.lon, .ele = r.ele, .t = r.t, .hdop = r.hdop,
                      .seg = (uint32_t)(r.seg - t->seg0), .flags = r.flags, .line = r.line};
        p.time_txt = get_text(s, r.len[0], &bad);
        p.ele_txt = get_text(s, r.len[1], &bad);
        p.raw = get_text(s, r.len[2], &bad);
        p.pre = get_text(s, r.len[3], &bad);
        p.src = get_text(s, r.len[4], &bad);
        if (bad || pol__track_push(t, &p) < 0)
            return pol__fail(s->run, POL_ERR_IO, "cannot read the scratch copy");
        s->read++;
    }
    *eof = s->done;
    return POL_OK;
}

pol_status pol__tsrc_open_scratch(pol_run *run, FILE *f, pol__track *t, pol__tsrc **out)
{
    *out = NULL;
    pol__tsrc *s = calloc(1, sizeof *s);
    if (!s) return pol__fail(run, POL_ERR_NOMEM, "out of memory");
    s->fmt = (int)t->format;
    s->run = run;
    s->scratch = f;
    s->t = t;
    *out = s;
    return POL_OK;
}

pol_status pol__tsrc_open_stretch(pol_run *run, FILE *f, pol__track *t, pol__tsrc **out)
{
    pol_status st = pol__tsrc_open_scratch(run, f, t, out);
    if (!st) (*out)->stretch = 1;
    return st;
}

int pol__track_copy_head(pol__track *t, const pol__track *h)
{
    t->format = h->format;
    t->save_format = h->save_format;
    t->gpx_version = h->gpx_version;
    t->exact = h->exact;
    t->csv_lat = h->csv_lat, t->csv_lon = h->csv_lon, t->csv_time = h->csv_time;
    t->csv_ele = h->csv_ele, t->csv_hdop = h->csv_hdop, t->csv_cols = h->csv_cols;
    t->csv_delim = h->csv_delim;
    memcpy(t->mode, h->mode, sizeof t->mode);
    const char *hd = pol__track_txt(h, h->csv_head), *nm = pol__track_txt(h, h->csv_names);
    if ((hd && !(t->csv_head = pol__track_str(t, hd, strlen(hd)))) ||
        (nm && !(t->csv_names = pol__track_str(t, nm, strlen(nm)))))
        return -1;
    return 0;
}

pol_status pol__tsrc_open(pol_run *run, const char *path, int fmt, pol__track *t,
                          pol__tsrc **out)
{
    *out = NULL;
    pol__tsrc *s = calloc(1, sizeof *s);
    if (!s) return pol__fail(run, POL_ERR_NOMEM, "out of memory");
    s->fmt = fmt;
    pol_status st;
    switch (fmt) {
    case POL_TF_GPX: st = pol__gpx_stream_open(run, path, t, &s->g); break;
    case POL_TF_CSV: st = pol__line_stream_open(run, path, t, 0, &s->l); break;
    case POL_TF_NMEA: st = pol__line_stream_open(run, path, t, 1, &s->l); break;
    case POL_TF_KML: st = pol__kml_stream_open(run, path, t, &s->k); break;
    case POL_TF_GEOJSON: st = pol__gj_stream_open(run, path, t, &s->j); break;
    default: st = pol__fail(run, POL_ERR_UNSUPPORTED, "this track format is not read as a stream");
    }
    if (st) {
        free(s);
        return st;
    }
    *out = s;
    return POL_OK;
}

int pol__tsrc_queue_room(void **q, size_t elem, size_t *head, size_t *n, size_t *cap)
{
    if (*n < *cap) return 1;
    if (*head) {
        memmove(*q, (char *)*q + *head * elem, (*n - *head) * elem);
        *n -= *head;
        *head = 0;
        if (*n < *cap) return 1;
    }
    size_t nc = *cap ? *cap * 2 : 1024;
    void *nq = realloc(*q, nc * elem);
    if (!nq) return 0;
    *q = nq;
    *cap = nc;
    return 1;
}

int pol__tsrc_streams(int fmt)
{
    return fmt >= 0 && fmt < POL_TF_COUNT;
}

pol_status pol__tsrc_fill(pol__tsrc *s, size_t want, int *eof)
{
    if (s->scratch) return scratch_fill(s, want, eof);
    if (s->g) return pol__gpx_stream_fill(s->g, want, eof);
    if (s->k) return pol__kml_stream_fill(s->k, want, eof);
    if (s->j) return pol__gj_stream_fill(s->j, want, eof);
    return pol__line_stream_fill(s->l, want, eof);
}

int pol__tsrc_drop(pol__tsrc *s, size_t from)
{
    if (s->scratch) return pol__track_drop_front(s->t, from, NULL, 0);
    if (s->g) return pol__gpx_stream_drop(s->g, from);
    if (s->k) return pol__kml_stream_drop(s->k, from);
    if (s->j) return pol__gj_stream_drop(s->j, from);
    return pol__line_stream_drop(s->l, from);
}

uint64_t pol__tsrc_points(const pol__tsrc *s)
{
    if (s->scratch) return s->read;
    if (s->g) return pol__gpx_stream_points(s->g);
    if (s->k) return pol__kml_stream_points(s->k);
    if (s->j) return pol__gj_stream_points(s->j);
    return pol__line_stream_points(s->l);
}

void pol__tsrc_close(pol__tsrc *s)
{
    if (!s) return;
    pol__gpx_stream_close(s->g);
    pol__line_stream_close(s->l);
    pol__kml_stream_close(s->k);
    pol__gj_stream_close(s->j);
    free(s->tmp);
    free(s);
}

pol_status pol__tsrc_read_all(pol_run *run, const char *path, int fmt, pol__track *t)
{
    pol__tsrc *s;
    pol_status st = pol__tsrc_open(run, path, fmt, t, &s);
    if (st) return st;
    int eof = 0;
    st = pol__tsrc_fill(s, SIZE_MAX, &eof);
    pol__tsrc_close(s);
    return st;
}
