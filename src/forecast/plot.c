/* polish — forecast: PNG plots for forecasters (histograms, reliability diagrams) with cairo. */
#include <cairo.h>
#include <stdlib.h>
#include <string.h>
#include "forecast/forecast.h"

typedef struct pngbuf {
    unsigned char *p;
    size_t n, cap;
    int failed;
} pngbuf;

static cairo_status_t write_fn(void *user, const unsigned char *data, unsigned int len)
{
    pngbuf *b = user;
    if (POL_GROW(b->p, b->cap, b->n + len, 65536)) {
        b->failed = 1;
        return CAIRO_STATUS_WRITE_ERROR;
    }
    memcpy(b->p + b->n, data, len);
    b->n += len;
    return CAIRO_STATUS_SUCCESS;
}

enum { W = 480, H = 360, L = 56, R = 16, T = 36, B = 44 };

static cairo_t *begin(cairo_surface_t **s, const char *title)
{
    *s = cairo_image_surface_create(CAIRO_FORMAT_RGB24, W, H);
    cairo_t *cr = cairo_create(*s);
    cairo_set_source_rgb(cr, 1, 1, 1);
    cairo_paint(cr);
    cairo_select_font_face(cr, "sans-serif", CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_BOLD);
    cairo_set_font_size(cr, 14);
    cairo_set_source_rgb(cr, 0.1, 0.1, 0.1);
    cairo_move_to(cr, L, 22);
    cairo_show_text(cr, title);
    cairo_select_font_face(cr, "sans-serif", CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_NORMAL);
    cairo_set_font_size(cr, 11);
    /* axes */
    cairo_set_line_width(cr, 1);
    cairo_move_to(cr, L, T);
    cairo_line_to(cr, L, H - B);
    cairo_line_to(cr, W - R, H - B);
    cairo_stroke(cr);
    return cr;
}

static int finish(cairo_surface_t *s, cairo_t *cr, unsigned char **png, size_t *len)
{
    cairo_destroy(cr);
    pngbuf b = {0};
    cairo_status_t st = cairo_surface_write_to_png_stream(s, write_fn, &b);
    cairo_surface_destroy(s);
    if (st != CAIRO_STATUS_SUCCESS || b.failed) {
        free(b.p);
        return -1;
    }
    *png = b.p;
    *len = b.n;
    return 0;
}

static void label(cairo_t *cr, double x, double y, const char *s, int centre)
{
    cairo_text_extents_t e;
    cairo_text_extents(cr, s, &e);
    cairo_move_to(cr, centre ? x - e.width / 2 : x - e.width - 4, y);
    cairo_show_text(cr, s);
}

int fc_plot_hist(const char *title, const double *v, size_t n, double ref, unsigned char **png,
                 size_t *len)
{
    if (n == 0) return -1;
    cairo_surface_t *s;
    cairo_t *cr = begin(&s, title);
    double top = ref;
    for (size_t i = 0; i < n; i++)
        if (v[i] > top) top = v[i];
    if (!(top > 0)) top = 1;
    top *= 1.1;
    double pw = W - L - R, ph = H - T - B, bw = pw / (double)n;
    cairo_set_source_rgb(cr, 0.27, 0.51, 0.71);
    for (size_t i = 0; i < n; i++) {
        double h = ph * v[i] / top;
        cairo_rectangle(cr, L + bw * (double)i + 1, H - B - h, bw - 2, h);
    }
    cairo_fill(cr);
    /* the flat line a calibrated forecast gives */
    cairo_set_source_rgb(cr, 0.8, 0.1, 0.1);
    cairo_set_dash(cr, (double[]){5, 3}, 2, 0);
    double y = H - B - ph * ref / top;
    cairo_move_to(cr, L, y);
    cairo_line_to(cr, W - R, y);
    cairo_stroke(cr);
    cairo_set_dash(cr, NULL, 0, 0);
    cairo_set_source_rgb(cr, 0.1, 0.1, 0.1);
    char buf[32];
    snprintf(buf, sizeof buf, "%.2f", top);
    label(cr, L, T + 8, buf, 0);
    label(cr, L, H - B, "0", 0);
    label(cr, L + pw / 2, H - 12, n > 12 ? "rank of the observation" : "PIT", 1);
    return finish(s, cr, png, len);
}

int fc_plot_reliability(const char *title, const double *fp, const double *of, const size_t *cnt,
                        size_t n, unsigned char **png, size_t *len)
{
    cairo_surface_t *s;
    cairo_t *cr = begin(&s, title);
    double pw = W - L - R, ph = H - T - B;
    cairo_set_source_rgb(cr, 0.6, 0.6, 0.6);
    cairo_set_dash(cr, (double[]){5, 3}, 2, 0);
    cairo_move_to(cr, L, H - B);
    cairo_line_to(cr, W - R, T);
    cairo_stroke(cr);
    cairo_set_dash(cr, NULL, 0, 0);
    cairo_set_source_rgb(cr, 0.27, 0.51, 0.71);
    cairo_set_line_width(cr, 2);
    int started = 0;
    for (size_t i = 0; i < n; i++) {
        if (!cnt[i]) continue;
        double x = L + pw * fp[i], y = H - B - ph * of[i];
        if (started)
            cairo_line_to(cr, x, y);
        else
            cairo_move_to(cr, x, y);
        started = 1;
    }
    cairo_stroke(cr);
    for (size_t i = 0; i < n; i++) {
        if (!cnt[i]) continue;
        cairo_arc(cr, L + pw * fp[i], H - B - ph * of[i], 3.5, 0, 6.2832);
        cairo_fill(cr);
    }
    cairo_set_source_rgb(cr, 0.1, 0.1, 0.1);
    label(cr, L, T + 8, "1", 0);
    label(cr, L, H - B, "0", 0);
    label(cr, W - R, H - B + 14, "1", 1);
    label(cr, L + pw / 2, H - 12, "forecast probability", 1);
    cairo_save(cr);
    cairo_move_to(cr, 16, T + ph / 2 + 50);
    cairo_rotate(cr, -1.5708);
    cairo_show_text(cr, "observed frequency");
    cairo_restore(cr);
    return finish(s, cr, png, len);
}
