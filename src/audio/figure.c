/* polish — before/after pictures for the report: the waveform (min/max per column) and a
 * spectrogram (a 512-point spectrum per column, log frequency up to 8 kHz), of an op's input and
 * output, side by side (left before, right after; no text, so no fonts are loaded: the step's
 * title says what is shown), drawn with cairo into a PNG. Memory is fixed (COLS columns), whatever the
 * duration; the samples are taken as the op's processor sees them. */
#include <cairo.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "audio/audio.h"

#define COLS 360
#define WIN 512
#define ROWS 96

struct pol__afig {
    uint64_t total;
    int channels, rate;
    float mn[2][COLS], mx[2][COLS];
    float snap[2][COLS][WIN]; /* the first WIN mono samples of each column */
    int fill[2][COLS];
    int seen[2][COLS];
};

pol__afig *pol__afig_new(uint64_t total, int channels, int rate)
{
    pol__afig *f = calloc(1, sizeof *f);
    if (!f) return NULL;
    f->total = total ? total : 1;
    f->channels = channels;
    f->rate = rate;
    return f;
}

void pol__afig_free(pol__afig *f) { free(f); }

void pol__afig_reset(pol__afig *f)
{
    uint64_t t = f->total;
    int c = f->channels, r = f->rate;
    memset(f, 0, sizeof *f);
    f->total = t;
    f->channels = c;
    f->rate = r;
}

void pol__afig_add(pol__afig *f, int which, uint64_t g, const float *frame)
{
    if (g >= f->total) return;
    size_t col = (size_t)(g * COLS / f->total);
    float m = 0;
    for (int c = 0; c < f->channels; c++) m += frame[c];
    m /= (float)f->channels;
    if (!f->seen[which][col] || m < f->mn[which][col]) f->mn[which][col] = m;
    if (!f->seen[which][col] || m > f->mx[which][col]) f->mx[which][col] = m;
    f->seen[which][col] = 1;
    if (f->fill[which][col] < WIN) f->snap[which][col][f->fill[which][col]++] = m;
}

static cairo_status_t to_buf(void *closure, const unsigned char *data, unsigned int len)
{
    unsigned char **b = closure;
    size_t *n = (size_t *)(b + 1);
    unsigned char *p = realloc(b[0], *n + len);
    if (!p) return CAIRO_STATUS_NO_MEMORY;
    memcpy(p + *n, data, len);
    b[0] = p;
    *n += len;
    return CAIRO_STATUS_SUCCESS;
}

static void colour(double v, double *r, double *g, double *b) /* v 0..1: dark blue to yellow */
{
    v = v < 0 ? 0 : v > 1 ? 1 : v;
    *r = v < 0.5 ? v * 1.2 : 0.6 + (v - 0.5) * 0.8;
    *g = v < 0.3 ? 0 : (v - 0.3) * 1.4;
    *b = v < 0.5 ? 0.3 + v * 0.8 : 0.7 - (v - 0.5) * 1.4;
    if (*g > 1) *g = 1;
    if (*b < 0) *b = 0;
}

pol_status pol__afig_attach(pol_run *run, pol__afig *f, const char *title)
{
    const int pad = 24, W = COLS, H = 90, SH = ROWS * 2;
    int width = 2 * W + 3 * pad, height = pad * 2 + H + pad + SH + pad / 2;
    cairo_surface_t *sf = cairo_image_surface_create(CAIRO_FORMAT_RGB24, width, height);
    cairo_t *cr = cairo_create(sf);
    cairo_set_source_rgb(cr, 1, 1, 1);
    cairo_paint(cr);
    float *in = pol__fft_alloc(WIN * sizeof *in);
    pol__cpx *out = pol__fft_alloc((WIN / 2 + 1) * sizeof *out);
    pol__rfft *plan = in && out ? pol__rfft_new(WIN, 0) : NULL;
    /* one spectrogram scale for both panels */
    double top = -200;
    double (*spec)[COLS][ROWS] = calloc(2, sizeof *spec);
    pol__rfft *made = plan;
    if (!spec) plan = NULL;
    double ftop = fmin(8000, f->rate / 2.0), fmin_ = 50;
    for (int w = 0; w < 2 && plan; w++)
        for (int c = 0; c < COLS; c++) {
            for (int i = 0; i < WIN; i++)
                in[i] = f->snap[w][c][i] * (float)(0.5 - 0.5 * cos(2 * M_PI * i / WIN));
            pol__rfft_fwd(plan, in, out);
            for (int r = 0; r < ROWS; r++) {
                double fr = fmin_ * pow(ftop / fmin_, (r + 0.5) / ROWS);
                int k = (int)(fr * WIN / f->rate);
                if (k > WIN / 2) k = WIN / 2;
                double p = (double)out[k].r * out[k].r + (double)out[k].i * out[k].i;
                spec[w][c][r] = pol__db(p + 1e-20);
                if (spec[w][c][r] > top) top = spec[w][c][r];
            }
        }
    double peak = 1e-9;
    for (int w = 0; w < 2; w++)
        for (int c = 0; c < COLS; c++) peak = fmax(peak, fmax(fabs(f->mn[w][c]), fabs(f->mx[w][c])));
    for (int w = 0; w < 2; w++) {
        int x0 = pad + w * (W + pad);
        /* waveform */
        int y0 = pad, mid = y0 + H / 2;
        cairo_set_source_rgb(cr, 0.93, 0.93, 0.95);
        cairo_rectangle(cr, x0, y0, W, H);
        cairo_fill(cr);
        cairo_set_source_rgb(cr, 0.15, 0.35, 0.7);
        cairo_set_line_width(cr, 1);
        for (int c = 0; c < COLS; c++) {
            double a = f->mn[w][c] / peak * (H / 2 - 1), b = f->mx[w][c] / peak * (H / 2 - 1);
            cairo_move_to(cr, x0 + c + 0.5, mid - b);
            cairo_line_to(cr, x0 + c + 0.5, mid - a + 0.5);
        }
        cairo_stroke(cr);
        /* spectrogram: 2 pixels a row, 70 dB of range */
        int ys = y0 + H + pad;
        for (int c = 0; c < COLS && plan; c++)
            for (int r = 0; r < ROWS; r++) {
                double rr, gg, bb;
                colour((spec[w][c][r] - (top - 70)) / 70, &rr, &gg, &bb);
                cairo_set_source_rgb(cr, rr, gg, bb);
                cairo_rectangle(cr, x0 + c, ys + SH - 2 * (r + 1), 1, 2);
                cairo_fill(cr);
            }
    }
    cairo_destroy(cr);
    pol__rfft_free(made);
    pol__fft_free(in);
    pol__fft_free(out);
    free(spec);
    struct {
        unsigned char *data;
        size_t len;
    } buf = {NULL, 0};
    cairo_status_t cs = cairo_surface_write_to_png_stream(sf, to_buf, &buf);
    cairo_surface_destroy(sf);
    pol_status st = POL_OK;
    if (cs == CAIRO_STATUS_SUCCESS && buf.data)
        st = pol__figure(run, title, "image/png", buf.data, buf.len);
    free(buf.data);
    return st;
}
