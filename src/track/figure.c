/* polish — the report's figure of a track: the path before (grey) and after (blue) a step, the
 * spikes it removed (red), the stops it found (orange), and the elevation profile below. SVG,
 * at most a few thousand points per line (thinned evenly), attached with pol__figure. */
#include <stdlib.h>
#include <string.h>
#include "core/sbuf.h"
#include "track/track.h"

#define W 640
#define HM 420
#define HE 140

void pol__track_keep_original(pol__track *t)
{
    free(t->orig_xy);
    t->orig_xy = malloc((t->n ? t->n : 1) * 2 * sizeof(float));
    t->n_orig = t->orig_xy ? t->n : 0;
    for (size_t i = 0; i < t->n_orig; i++) {
        t->orig_xy[2 * i] = (float)t->pt[i].lat;
        t->orig_xy[2 * i + 1] = (float)t->pt[i].lon;
    }
}

typedef struct view {
    double lat0, lon0, kx, s, ox, oy;
} view;

static void px(const view *v, double lat, double lon, double *x, double *y)
{
    *x = v->ox + (lon - v->lon0) * v->kx * v->s;
    *y = v->oy - (lat - v->lat0) * v->s;
}

static void line(pol__sbuf *b, const pol__track *t, const view *v, int orig, size_t stride,
                 const char *style)
{
    long seg = -1;
    size_t k = 0;
    for (size_t i = 0; i < t->n; i++) {
        const pol__tpt *p = &t->pt[i];
        if (t->seg[p->seg].kind == POL_SEG_WPT) continue;
        if (!orig && (p->flags & POL_TP_DELETED)) continue;
        if (orig && i >= t->n_orig) break;
        int brk = (long)p->seg != seg;
        if (!brk && k++ % stride) continue;
        double lat = orig ? t->orig_xy[2 * i] : p->lat, lon = orig ? t->orig_xy[2 * i + 1] : p->lon;
        double x, y;
        px(v, lat, lon, &x, &y);
        if (brk) {
            if (seg >= 0) pol__sbuf_puts(b, "\"/>\n");
            pol__sbuf_printf(b, "<polyline fill=\"none\" %s points=\"", style);
            seg = (long)p->seg;
            k = 1;
        }
        pol__sbuf_printf(b, "%.1f,%.1f ", x, y);
    }
    if (seg >= 0) pol__sbuf_puts(b, "\"/>\n");
}

pol_status pol__track_figure(pol_run *run, const pol__track *t, const char *title)
{
    if (!run->step || !pol__want_figures(run)) return POL_OK; /* no report to show it */
    double la0 = 90, la1 = -90, lo0 = 180, lo1 = -180;
    size_t live = 0;
    for (size_t i = 0; i < t->n; i++) {
        double lat[2] = {t->pt[i].lat, i < t->n_orig ? t->orig_xy[2 * i] : t->pt[i].lat};
        double lon[2] = {t->pt[i].lon, i < t->n_orig ? t->orig_xy[2 * i + 1] : t->pt[i].lon};
        for (int k = 0; k < 2; k++) {
            /* spikes do not set the view: they are marked at its edge */
            if (k == 0 && (t->pt[i].flags & POL_TP_DELETED)) continue;
            if (k == 1 && (t->pt[i].flags & POL_TP_SPIKE)) continue;
            la0 = fmin(la0, lat[k]), la1 = fmax(la1, lat[k]);
            lo0 = fmin(lo0, lon[k]), lo1 = fmax(lo1, lon[k]);
        }
        live += !(t->pt[i].flags & POL_TP_DELETED);
    }
    if (!live) return POL_OK;
    view v;
    v.lat0 = (la0 + la1) / 2;
    v.lon0 = (lo0 + lo1) / 2;
    v.kx = cos(v.lat0 * M_PI / 180);
    double wd = (lo1 - lo0) * v.kx, ht = la1 - la0;
    double sx = wd > 0 ? (W - 40) / wd : 1e9, sy = ht > 0 ? (HM - 40) / ht : 1e9;
    v.s = fmin(sx, sy);
    if (!(v.s < 1e9)) v.s = 1e5;
    v.ox = W / 2.0;
    v.oy = HM / 2.0;
    size_t stride = t->n / 4000 + 1;
    pol__sbuf b = {0};
    pol__sbuf_printf(&b,
                     "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
                     "viewBox=\"0 0 %d %d\" font-family=\"sans-serif\" font-size=\"11\">\n"
                     "<rect width=\"100%%\" height=\"100%%\" fill=\"#fff\"/>\n",
                     W, HM + HE, W, HM + HE);
    double metres = (lo1 - lo0) * v.kx * 111195.0;
    pol__sbuf_printf(&b, "<text x=\"8\" y=\"14\">%s — %.0f m across; grey: input, blue: result, "
                         "red: spikes removed, orange: stops</text>\n",
                     title, metres);
    if (t->n_orig) line(&b, t, &v, 1, stride, "stroke=\"#bbb\" stroke-width=\"1\"");
    line(&b, t, &v, 0, stride, "stroke=\"#1f6feb\" stroke-width=\"1.5\"");
    size_t marks = 0;
    for (size_t i = 0; i < t->n && marks < 2000; i++) {
        const pol__tpt *p = &t->pt[i];
        double x, y;
        if (p->flags & POL_TP_SPIKE) {
            px(&v, p->lat, p->lon, &x, &y);
            x = fmin(fmax(x, 4), W - 4), y = fmin(fmax(y, 4), HM - 4); /* far ones at the edge */
            pol__sbuf_printf(&b, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"3\" fill=\"none\" "
                                 "stroke=\"#d00\"/>\n", x, y);
            marks++;
        } else if ((p->flags & POL_TP_STOP) && !(p->flags & POL_TP_DELETED) &&
                   (i == 0 || !(t->pt[i - 1].flags & POL_TP_STOP))) {
            px(&v, p->lat, p->lon, &x, &y);
            pol__sbuf_printf(&b, "<rect x=\"%.1f\" y=\"%.1f\" width=\"7\" height=\"7\" "
                                 "fill=\"#f90\"/>\n", x - 3.5, y - 3.5);
            marks++;
        }
    }
    /* Elevation against distance (the result). */
    double dist = 0, e0 = 1e9, e1 = -1e9;
    long prev = -1;
    for (size_t i = 0; i < t->n; i++) {
        if (!pol__tp_live(t, i)) continue;
        const pol__tpt *p = &t->pt[i];
        if (prev >= 0 && t->pt[prev].seg == p->seg)
            dist += pol__geo_dist(t->pt[prev].lat, t->pt[prev].lon, p->lat, p->lon);
        if (isfinite(p->ele)) e0 = fmin(e0, p->ele), e1 = fmax(e1, p->ele);
        prev = (long)i;
    }
    if (e1 >= e0 && dist > 0) {
        double top = HM + 20, h = HE - 36;
        double span = e1 - e0 > 1 ? e1 - e0 : 1;
        pol__sbuf_printf(&b, "<text x=\"8\" y=\"%.0f\">elevation %.0f–%.0f m over %.1f km</text>\n",
                         top - 4, e0, e1, dist / 1000);
        pol__sbuf_puts(&b, "<polyline fill=\"none\" stroke=\"#2a2\" stroke-width=\"1.2\" points=\"");
        double d = 0;
        prev = -1;
        size_t k = 0;
        for (size_t i = 0; i < t->n; i++) {
            if (!pol__tp_live(t, i)) continue;
            const pol__tpt *p = &t->pt[i];
            if (prev >= 0 && t->pt[prev].seg == p->seg)
                d += pol__geo_dist(t->pt[prev].lat, t->pt[prev].lon, p->lat, p->lon);
            prev = (long)i;
            if (!isfinite(p->ele) || k++ % stride) continue;
            pol__sbuf_printf(&b, "%.1f,%.1f ", 20 + d / dist * (W - 40),
                             top + h - (p->ele - e0) / span * h);
        }
        pol__sbuf_puts(&b, "\"/>\n");
    }
    pol__sbuf_puts(&b, "</svg>\n");
    if (b.oom) {
        free(b.p);
        return POL_OK; /* a figure is not worth failing for */
    }
    pol_status st = pol__figure(run, title, "image/svg+xml", b.p, b.n);
    free(b.p);
    return st;
}
