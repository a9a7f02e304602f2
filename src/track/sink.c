/* polish — tracks written as a stream of points in any format (GPX from another format, CSV,
 * GeoJSON, KML): the same code writes a track loaded whole (one chunk) and a streamed one (chunk
 * by chunk), so a conversion of a million points holds one chunk. Segments are told apart across
 * chunks by their stream index (pol__track.seg0 + index). What a format wants in another order
 * than the points come waits in a temporary file (routes and tracks after a GPX's waypoints; a
 * GeoJSON feature's times after its coordinates). */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "track/track.h"

struct pol__tsink {
    pol_run *run;
    FILE *f;
    int fmt;
    int started;
    size_t written;
    size_t with_raw;  /* points of a GPX source with extensions a non-GPX format drops */
    int csv_other;    /* a CSV source's other columns were dropped */
    int src_fmt;
    /* GPX from another format: routes and tracks wait in spool[0], spool[1]. */
    FILE *spool[2];
    uint64_t open_seg[2];   /* + 1; 0 none */
    uint64_t open_trk;      /* + 1 */
    /* GeoJSON: the open feature (its times wait in spool[0]); KML: the open placemark. */
    int feat_open, feat_kind, first_feature, first_in_seg, timed;
    uint32_t feat_trk;
    uint64_t cur_seg; /* + 1 */
    long spool_len;
};

/* Appends the first `n` bytes of `sp` to `f`. */
static int copy_spool(FILE *sp, long n, FILE *f)
{
    if (fflush(sp) != 0 || fseek(sp, 0, SEEK_SET) != 0) return -1;
    char buf[1 << 16];
    while (n > 0) {
        size_t want = n < (long)sizeof buf ? (size_t)n : sizeof buf;
        size_t got = fread(buf, 1, want, sp);
        if (got == 0) return -1;
        if (fwrite(buf, 1, got, f) != got) return -1;
        n -= (long)got;
    }
    return 0;
}

pol_status pol__tsink_begin(pol_run *run, int fmt, FILE *f, pol__tsink **out)
{
    *out = NULL;
    pol__tsink *w = calloc(1, sizeof *w);
    if (!w) return pol__fail(run, POL_ERR_NOMEM, "out of memory");
    w->run = run;
    w->f = f;
    w->fmt = fmt == POL_TF_NMEA ? POL_TF_GPX : fmt;
    w->first_feature = 1;
    *out = w;
    return POL_OK;
}

size_t pol__tsink_written(const pol__tsink *w)
{
    return w->written;
}

static uint64_t gseg(const pol__track *t, const pol__tpt *p)
{
    return t->seg0 + p->seg + 1;
}

/* ---- GPX ---- */

static const char *const gpx_el[] = {"trkpt", "rtept", "wpt"};

static pol_status gpx_points(pol__tsink *w, const pol__track *t, size_t from, size_t to, int last)
{
    if (t->format == POL_TF_GPX && t->exact)
        return pol__gpx_write_exact(w->run, t, from, to, last, w->f, &w->written);
    FILE *f = w->f;
    if (!w->started)
        fputs("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<gpx version=\"1.1\" creator=\"polish\" "
              "xmlns=\"http://www.topografix.com/GPX/1/1\">\n",
              f);
    for (size_t i = from; i < to; i++) {
        const pol__tpt *p = &t->pt[i];
        if (p->flags & POL_TP_DELETED) continue;
        int kind = (int)t->seg[p->seg].kind;
        FILE *o = f;
        if (kind != POL_SEG_WPT) {
            int k = kind == POL_SEG_RTE ? 0 : 1;
            if (!w->spool[k] && !(w->spool[k] = pol__temp_file("track")))
                return pol__fail(w->run, POL_ERR_IO, "cannot make a temporary file");
            o = w->spool[k];
            uint64_t s = gseg(t, p);
            if (s != w->open_seg[k]) {
                if (kind == POL_SEG_TRK) {
                    uint64_t trk = (uint64_t)t->seg[p->seg].track + 1;
                    if (w->open_seg[k]) fputs("</trkseg>\n", o);
                    if (trk != w->open_trk) {
                        if (w->open_trk) fputs("</trk>\n", o);
                        fputs("<trk>\n", o);
                        w->open_trk = trk;
                    }
                    fputs("<trkseg>\n", o);
                } else {
                    if (w->open_seg[k]) fputs("</rte>\n", o);
                    fputs("<rte>\n", o);
                }
                w->open_seg[k] = s;
            }
        }
        pol__gpx_write_pt(t, p, gpx_el[kind], o, 0);
        fputs("\n", o);
        w->written++;
        if (ferror(o)) return pol__fail(w->run, POL_ERR_IO, "write error");
    }
    return POL_OK;
}

static pol_status gpx_end(pol__tsink *w)
{
    if (w->open_seg[0]) fputs("</rte>\n", w->spool[0]);
    if (w->open_seg[1]) fputs("</trkseg>\n</trk>\n", w->spool[1]);
    for (int k = 0; k < 2; k++)
        if (w->spool[k] && copy_spool(w->spool[k], ftell(w->spool[k]), w->f))
            return pol__fail(w->run, POL_ERR_IO, "write error");
    fputs("</gpx>\n", w->f);
    return POL_OK;
}

/* ---- CSV ---- */

static pol_status csv_points(pol__tsink *w, const pol__track *t, size_t from, size_t to)
{
    FILE *f = w->f;
    int own = t->format == POL_TF_CSV && t->csv_names;
    char d = t->format == POL_TF_CSV ? t->csv_delim : ',';
    if (!w->started) {
        if (own) {
            const char *nm = pol__track_txt(t, t->csv_names);
            for (const char *p = nm; *p; p++) {
                if (*p == '\x1f') fputc(d, f);
                else pol__track_csv_field(f, p, 1, d);
            }
            fputc('\n', f);
        } else {
            fprintf(f, "lat%clon%cele%ctime%csegment%ctype\n", d, d, d, d, d);
        }
    }
    static const char *const kinds[] = {"track", "route", "waypoint"};
    for (size_t i = from; i < to; i++) {
        const pol__tpt *p = &t->pt[i];
        if (p->flags & POL_TP_DELETED) continue;
        char la[48], lo[48], tb[64] = "", eb[48] = "";
        pol__track_coord(p, 1, la, sizeof la);
        pol__track_coord(p, 0, lo, sizeof lo);
        if (p->time_txt) snprintf(tb, sizeof tb, "%s", pol__track_txt(t, p->time_txt));
        else if (isfinite(p->t)) pol__iso_format(p->t, tb, sizeof tb);
        if (p->ele_txt && !(p->flags & POL_TP_ELE_SET))
            snprintf(eb, sizeof eb, "%s", pol__track_txt(t, p->ele_txt));
        else if (isfinite(p->ele))
            snprintf(eb, sizeof eb, "%.3f", p->ele);
        if (own) {
            const char *r = p->raw ? pol__track_txt(t, p->raw) : "";
            for (int c = 0; c < t->csv_cols; c++) {
                if (c) fputc(d, f);
                if (c == t->csv_lat) fputs(la, f);
                else if (c == t->csv_lon) fputs(lo, f);
                else if (c == t->csv_time) pol__track_csv_field(f, tb, strlen(tb), d);
                else if (c == t->csv_ele) fputs(eb, f);
                else {
                    const char *e = strchr(r, '\x1f');
                    size_t l = e ? (size_t)(e - r) : strlen(r);
                    pol__track_csv_field(f, r, l, d);
                    r = e ? e + 1 : r + l;
                }
            }
            fputc('\n', f);
        } else {
            fprintf(f, "%s%c%s%c%s%c", la, d, lo, d, eb, d);
            pol__track_csv_field(f, tb, strlen(tb), d);
            fprintf(f, "%c%llu%c%s\n", d, (unsigned long long)(gseg(t, p) - 1), d,
                    kinds[t->seg[p->seg].kind]);
        }
        w->written++;
    }
    return POL_OK;
}

/* ---- GeoJSON: one feature per track (a MultiLineString of its segments), per waypoint ---- */

static pol_status gj_close(pol__tsink *w)
{
    if (!w->feat_open) return POL_OK;
    FILE *f = w->f, *sp = w->spool[0];
    if (w->cur_seg) {
        fputs("]", f);
        fputs("]", sp);
    }
    fprintf(f, "]},\"properties\":{\"kind\":\"%s\",\"coordTimes\":[",
            w->feat_kind == POL_SEG_RTE ? "route" : "track");
    if (copy_spool(sp, ftell(sp), f)) return pol__fail(w->run, POL_ERR_IO, "write error");
    if (fseek(sp, 0, SEEK_SET) != 0) return pol__fail(w->run, POL_ERR_IO, "write error");
    fputs("]}}", f);
    w->feat_open = 0;
    w->cur_seg = 0;
    return POL_OK;
}

static pol_status gj_points(pol__tsink *w, const pol__track *t, size_t from, size_t to)
{
    FILE *f = w->f;
    if (!w->started) fputs("{\"type\":\"FeatureCollection\",\"features\":[", f);
    for (size_t i = from; i < to; i++) {
        const pol__tpt *p = &t->pt[i];
        if (p->flags & POL_TP_DELETED) continue;
        int kind = (int)t->seg[p->seg].kind;
        uint32_t trk = t->seg[p->seg].track;
        w->written++;
        if (kind == POL_SEG_WPT) {
            pol_status st = gj_close(w);
            if (st) return st;
            if (!w->first_feature) fputs(",\n", f);
            w->first_feature = 0;
            fputs("{\"type\":\"Feature\",\"properties\":{\"kind\":\"waypoint\"", f);
            if (isfinite(p->t) || p->time_txt) {
                fputs(",\"time\":", f);
                pol__gj_time(t, p, f);
            }
            fputs("},\"geometry\":{\"type\":\"Point\",\"coordinates\":", f);
            pol__gj_coord(t, p, f);
            fputs("}}", f);
            continue;
        }
        if (!w->feat_open || trk != w->feat_trk || kind != w->feat_kind) {
            pol_status st = gj_close(w);
            if (st) return st;
            if (!w->spool[0] && !(w->spool[0] = pol__temp_file("track")))
                return pol__fail(w->run, POL_ERR_IO, "cannot make a temporary file");
            if (!w->first_feature) fputs(",\n", f);
            w->first_feature = 0;
            fputs("{\"type\":\"Feature\",\"geometry\":{\"type\":\"MultiLineString\","
                  "\"coordinates\":[",
                  f);
            w->feat_open = 1;
            w->feat_trk = trk;
            w->feat_kind = kind;
            w->cur_seg = 0;
        }
        FILE *sp = w->spool[0];
        uint64_t s = gseg(t, p);
        if (s != w->cur_seg) {
            if (w->cur_seg) {
                fputs("]", f);
                fputs("]", sp);
            }
            fputs(w->cur_seg ? ",[" : "[", f);
            fputs(w->cur_seg ? ",[" : "[", sp);
            w->cur_seg = s;
            w->first_in_seg = 1;
        }
        if (!w->first_in_seg) {
            fputs(",", f);
            fputs(",", sp);
        }
        w->first_in_seg = 0;
        pol__gj_coord(t, p, f);
        pol__gj_time(t, p, sp);
        if (ferror(sp)) return pol__fail(w->run, POL_ERR_IO, "write error (temporary file)");
    }
    return POL_OK;
}

static pol_status gj_end(pol__tsink *w)
{
    pol_status st = gj_close(w);
    if (st) return st;
    if (!w->started) fputs("{\"type\":\"FeatureCollection\",\"features\":[", w->f);
    fputs("]}\n", w->f);
    return POL_OK;
}

/* ---- KML ---- */

static const char *kml_close(int timed)
{
    return timed ? "</gx:Track></Placemark>\n" : "</coordinates></LineString></Placemark>\n";
}

static pol_status kml_points(pol__tsink *w, const pol__track *t, size_t from, size_t to)
{
    FILE *f = w->f;
    if (!w->started)
        fputs("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
              "<kml xmlns=\"http://www.opengis.net/kml/2.2\" "
              "xmlns:gx=\"http://www.google.com/kml/ext/2.2\">\n<Document>\n",
              f);
    for (size_t i = from; i < to; i++) {
        const pol__tpt *p = &t->pt[i];
        if (p->flags & POL_TP_DELETED) continue;
        char la[48], lo[48], tb[64];
        pol__track_coord(p, 1, la, sizeof la);
        pol__track_coord(p, 0, lo, sizeof lo);
        w->written++;
        if (t->seg[p->seg].kind == POL_SEG_WPT) {
            if (w->cur_seg) fputs(kml_close(w->timed), f);
            w->cur_seg = 0;
            fprintf(f, "<Placemark><Point><coordinates>%s,%s", lo, la);
            if (isfinite(p->ele)) fprintf(f, ",%.3f", p->ele);
            fputs("</coordinates></Point></Placemark>\n", f);
            continue;
        }
        if (gseg(t, p) != w->cur_seg) {
            if (w->cur_seg) fputs(kml_close(w->timed), f);
            w->timed = isfinite(p->t) != 0;
            fputs(w->timed ? "<Placemark><gx:Track>\n" : "<Placemark><LineString><coordinates>\n",
                  f);
            w->cur_seg = gseg(t, p);
        }
        if (w->timed) {
            pol__track_time_text(t, p, tb, sizeof tb);
            fprintf(f, "<when>%s</when><gx:coord>%s %s", tb, lo, la);
            if (isfinite(p->ele)) fprintf(f, " %.3f", p->ele);
            fputs("</gx:coord>\n", f);
        } else {
            fprintf(f, "%s,%s", lo, la);
            if (isfinite(p->ele)) fprintf(f, ",%.3f", p->ele);
            fputs("\n", f);
        }
    }
    return POL_OK;
}

static pol_status kml_end(pol__tsink *w)
{
    if (!w->started)
        fputs("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
              "<kml xmlns=\"http://www.opengis.net/kml/2.2\" "
              "xmlns:gx=\"http://www.google.com/kml/ext/2.2\">\n<Document>\n",
              w->f);
    if (w->cur_seg) fputs(kml_close(w->timed), w->f);
    fputs("</Document>\n</kml>\n", w->f);
    return POL_OK;
}

/* ---- dispatch ---- */

pol_status pol__tsink_points(pol__tsink *w, const pol__track *t, size_t from, size_t to, int last)
{
    pol_status st;
    if (!w->started) w->src_fmt = (int)t->format;
    for (size_t i = from; i < to; i++)
        if (!(t->pt[i].flags & POL_TP_DELETED) && t->pt[i].raw) w->with_raw++;
    if (t->format == POL_TF_CSV && t->csv_cols > 4) w->csv_other = 1;
    switch (w->fmt) {
    case POL_TF_CSV: st = csv_points(w, t, from, to); break;
    case POL_TF_GEOJSON: st = gj_points(w, t, from, to); break;
    case POL_TF_KML: st = kml_points(w, t, from, to); break;
    default: st = gpx_points(w, t, from, to, last); break;
    }
    w->started = 1;
    if (!st && ferror(w->f)) st = pol__fail(w->run, POL_ERR_IO, "write error");
    return st;
}

void pol__tsink_abort(pol__tsink *w)
{
    if (!w) return;
    for (int k = 0; k < 2; k++)
        if (w->spool[k]) fclose(w->spool[k]);
    free(w);
}

pol_status pol__tsink_end(pol__tsink *w)
{
    pol_status st = POL_OK;
    switch (w->fmt) {
    case POL_TF_CSV:
        if (!w->started) fputs("lat,lon,ele,time,segment,type\n", w->f);
        break;
    case POL_TF_GEOJSON: st = gj_end(w); break;
    case POL_TF_KML: st = kml_end(w); break;
    default:
        if (!(w->src_fmt == POL_TF_GPX && w->started)) {
            if (!w->started)
                fputs("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<gpx version=\"1.1\" "
                      "creator=\"polish\" xmlns=\"http://www.topografix.com/GPX/1/1\">\n",
                      w->f);
            st = gpx_end(w);
        }
        break;
    }
    if (!st && ferror(w->f)) st = pol__fail(w->run, POL_ERR_IO, "write error");
    pol_run *run = w->run;
    if (!st && run->item) {
        if (w->src_fmt == POL_TF_GPX && w->fmt != POL_TF_GPX && w->with_raw)
            pol__warn(run, "%zu points carry GPX extensions or other children that %s cannot "
                      "hold; the GPX keeps them", w->with_raw, pol__tfmt_ext(w->fmt));
        if (w->src_fmt == POL_TF_CSV && w->fmt != POL_TF_CSV && w->csv_other)
            pol__warn(run, "the CSV's other columns are not carried into %s",
                      pol__tfmt_ext(w->fmt));
    }
    pol__tsink_abort(w);
    return st;
}

pol_status pol__tsink_whole(pol_run *run, int fmt, const pol__track *t, FILE *f)
{
    pol__tsink *w;
    pol_status st = pol__tsink_begin(run, fmt, f, &w);
    if (st) return st;
    st = pol__tsink_points(w, t, 0, t->n, 1);
    if (st) {
        pol__tsink_abort(w);
        return st;
    }
    return pol__tsink_end(w);
}
