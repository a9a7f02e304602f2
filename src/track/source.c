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
};

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
    if (s->g) return pol__gpx_stream_fill(s->g, want, eof);
    if (s->k) return pol__kml_stream_fill(s->k, want, eof);
    if (s->j) return pol__gj_stream_fill(s->j, want, eof);
    return pol__line_stream_fill(s->l, want, eof);
}

int pol__tsrc_drop(pol__tsrc *s, size_t from)
{
    if (s->g) return pol__gpx_stream_drop(s->g, from);
    if (s->k) return pol__kml_stream_drop(s->k, from);
    if (s->j) return pol__gj_stream_drop(s->j, from);
    return pol__line_stream_drop(s->l, from);
}

uint64_t pol__tsrc_points(const pol__tsrc *s)
{
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
