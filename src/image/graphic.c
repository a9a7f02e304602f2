/* polish — telling graphics (logos, screenshots, diagrams, text) from photos, so the photographic
 * steps leave them alone. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "image/quality.h"

/*
 * A photo is a continuous-tone record of light: sensor noise and texture make neighbouring pixels
 * differ and spread its colours over hundreds of distinct values. A graphic is drawn: areas filled
 * with one exact colour (neighbours equal to the 8-bit level), few colours in all, or a page of
 * dark marks on a light ground. Measured on a grid of at most ~250,000 full-resolution pixels
 * (never on a reduced copy: averaging would invent smooth tones), transparent pixels left out.
 */

typedef struct kind_stats {
    long n;          /* opaque samples */
    long n_all;      /* all samples */
    long mid;        /* samples neither near-white nor near-black */
    long flat_mid;   /* of those, exactly equal (8-bit) to the right and lower neighbours */
    long light;      /* every channel >= 0.8 */
    long dark;       /* every channel <= 0.35 */
    long chromatic;  /* max - min channel > 0.12 */
    int bins95;      /* colour bins (5 bits a channel) holding 95% of the samples */
} kind_stats;

static void px_u8(const float *p, int ch, unsigned char q[3])
{
    float rgb[3];
    pol__px_rgb(p, ch, rgb);
    for (int k = 0; k < 3; k++) {
        float v = rgb[k] * 255.0f + 0.5f;
        q[k] = v <= 0 ? 0 : v >= 255 ? 255 : (unsigned char)v;
    }
}

static int cmp_long_desc(const void *a, const void *b)
{
    long x = *(const long *)a, y = *(const long *)b;
    return x < y ? 1 : x > y ? -1 : 0;
}

struct pol__kind_acc {
    kind_stats st;
    long *hist;
    int w, ch, alpha, step, ok;
};

enum { NBIN = 32 * 32 * 32 };

pol__kind_acc *pol__kind_acc_new(int w, int h, int ch)
{
    pol__kind_acc *a = calloc(1, sizeof *a);
    if (!a) return NULL;
    a->w = w, a->ch = ch, a->alpha = ch == 2 || ch == 4;
    a->ok = w >= 4 && h >= 4;
    double area = (double)w * h;
    a->step = (int)floor(sqrt(area / 250000.0));
    if (a->step < 1) a->step = 1;
    a->hist = a->ok ? calloc(NBIN, sizeof(long)) : NULL;
    if (a->ok && !a->hist) {
        free(a);
        return NULL;
    }
    return a;
}

int pol__kind_acc_step(const pol__kind_acc *a) { return a->step; }

void pol__kind_acc_row(pol__kind_acc *a, const float *row, const float *below)
{
    if (!a->ok) return;
    kind_stats *st = &a->st;
    int w = a->w, ch = a->ch, step = a->step;
    long *hist = a->hist;
    for (int x = 0; x + 1 < w; x += step) {
        const float *p = row + (size_t)x * ch;
        st->n_all++;
        if (a->alpha && p[ch - 1] < 0.5f) continue;
        unsigned char q[3], r[3], d[3];
        px_u8(p, ch, q);
        st->n++;
        /* neutral pixels by their 8-bit level (a grey photo has only 32 bins of 5 bits) */
        if (q[0] == q[1] && q[1] == q[2])
            hist[q[0]]++;
        else
            hist[(q[0] >> 3) << 10 | (q[1] >> 3) << 5 | q[2] >> 3]++;
        int mx = q[0] > q[1] ? q[0] : q[1], mn = q[0] < q[1] ? q[0] : q[1];
        mx = mx > q[2] ? mx : q[2];
        mn = mn < q[2] ? mn : q[2];
        st->light += mn >= 204;
        st->dark += mx <= 89;
        st->chromatic += mx - mn > 31;
        if (mn >= 250 || mx <= 5) continue;
        st->mid++;
        px_u8(p + ch, ch, r);
        px_u8(below + (size_t)x * ch, ch, d);
        st->flat_mid += !memcmp(q, r, 3) && !memcmp(q, d, 3);
    }
}

/* The statistics gathered; frees the accumulator. 0 when too few pixels to judge. */
static int kind_acc_end(pol__kind_acc *a, kind_stats *st)
{
    *st = a->st;
    int ok = a->ok;
    if (ok && st->n > 0) {
        qsort(a->hist, NBIN, sizeof(long), cmp_long_desc);
        long acc = 0, want = (long)ceil(0.95 * (double)st->n);
        int b = 0;
        while (b < NBIN && acc < want) acc += a->hist[b++];
        st->bins95 = b;
    }
    free(a->hist);
    free(a);
    return ok && st->n >= 256;
}

static int measure(const pol__image *im, kind_stats *st)
{
    memset(st, 0, sizeof *st);
    int w = im->width, h = im->height;
    pol__kind_acc *a = pol__kind_acc_new(w, h, im->channels);
    if (!a) return 0;
    for (int y = 0; y + 1 < h && a->ok; y += a->step)
        pol__kind_acc_row(a, pol__image_row(im, y), pol__image_row(im, y + 1));
    return kind_acc_end(a, st);
}

static void judge(const pol_run *run, pol__image *im, int ok, const kind_stats *stp);

void pol__kind_acc_finish(pol__kind_acc *a, pol__image *im)
{
    kind_stats st;
    int ok = kind_acc_end(a, &st);
    judge(NULL, im, ok, &st);
}

int pol__image_kind(const pol_run *run, pol__image *im)
{
    if (im->kind) return im->kind;
    kind_stats st;
    judge(run, im, measure(im, &st), &st);
    return im->kind;
}

/* Flat-tone share from which a picture without sensor noise (not a JPEG) is taken for a render,
 * and the noise (in 8-bit levels, measured in the flattest blocks) below which it has none. The photos of the
 * evaluation set, reduced to 384 px (which averages noise away), measure 0.33 and more; rendered
 * wallpapers with smooth gradients (Plasma's Kokkini 0.10, GNOME's adwaita-d 0.18) less. */
#define RENDER_FLAT 0.2
#define RENDER_NOISE 0.2

static void judge(const pol_run *run, pol__image *im, int ok, const kind_stats *stp)
{
    kind_stats st = *stp;
    im->kind = 1;
    im->kind_why[0] = '\0';
    if (!ok) return;
    double n = (double)st.n, flat = st.mid ? (double)st.flat_mid / (double)st.mid : 0;
    double light = st.light / n, dark = st.dark / n, chroma = st.chromatic / n;
    double clear = st.n_all ? 1.0 - (double)st.n / (double)st.n_all : 0;
    if (clear >= 0.05) {
        im->kind = 2;
        snprintf(im->kind_why, sizeof im->kind_why,
                 "%.0f%% of it is transparent: a logo, icon or cut-out, not a photo to correct",
                 100 * clear);
    } else if ((st.bins95 <= 32 || (st.bins95 <= 40 && flat >= 0.1)) && chroma >= 0.02) {
        im->kind = 2;
        snprintf(im->kind_why, sizeof im->kind_why,
                 "a flat-colour graphic (logo, diagram, screenshot): 95%% of it in %d colours, "
                 "%.0f%% of its tones in areas of one exact colour",
                 st.bins95, 100 * flat);
    } else if (flat >= 0.6 && st.bins95 <= 2500) {
        im->kind = 2;
        snprintf(im->kind_why, sizeof im->kind_why,
                 "a drawn picture (screenshot, diagram, illustration): %.0f%% of its tones in areas "
                 "of one exact colour (a photo's noise and texture leave almost none)",
                 100 * flat);
    } else if (flat >= 0.45 && dark >= 0.5) {
        /* A dark photo is noisiest in its shadows (shot and read noise over little light), so
         * its dark tones almost never repeat one exact value across neighbours (the dark photos
         * of the evaluation set: at most 11%); a rendered dark wallpaper's do, half of them. */
        im->kind = 2;
        snprintf(im->kind_why, sizeof im->kind_why,
                 "a rendered dark picture: %.0f%% of it dark, %.0f%% of its tones in areas of one "
                 "exact colour (a dark photo's shadows are noisy)",
                 100 * dark, 100 * flat);
    } else if (light >= 0.3 && light + dark >= 0.45 && chroma < 0.02 && st.bins95 <= 40) {
        im->kind = 2;
        snprintf(im->kind_why, sizeof im->kind_why,
                 "a page of text or line art: %.0f%% light ground, %.0f%% dark marks, 95%% of it in "
                 "%d grey levels",
                 100 * light, 100 * dark, st.bins95);
    } else if (flat >= RENDER_FLAT && im->format[0] && strcmp(im->format, "jpeg") != 0) {
        /* A render: smooth gradients and areas of one exact colour, and none of the noise every
         * camera leaves (the streamed path's preview carries the full-resolution measure). Not
         * for a JPEG: its compression flattens a photo's smooth areas into blocks of one colour
         * and takes the noise with them (mate's Aqua.jpg: 53% flat, 0.04 of a level). Nor for a
         * picture made in memory (no source format): a photo reduced or rotated in float has
         * lost its noise too (ColdRipple at half size, tilted). */
        double conf, sigma = pol__noise_sigma2(run, im, &conf, NULL) * 255;
        if (conf > 0 && sigma < RENDER_NOISE) {
            im->kind = 2;
            snprintf(im->kind_why, sizeof im->kind_why,
                     "a rendered picture: %.0f%% of its tones in areas of one exact colour and no "
                     "sensor noise (%.2f of an 8-bit level; photos show 0.3 and more)",
                     100 * flat, sigma);
        }
    }
}

int pol__image_graphic_declines(pol_run *run, pol__image *im)
{
    if (pol__image_kind(run, im) != 2) return 0;
    pol__measure_str(run, "picture_kind", "graphic");
    pol__decline(run, "%s: photographic corrections would harm it", im->kind_why);
    return 1;
}

void pol__image_kind_measure(pol_run *run, const pol__image *im)
{
    kind_stats st;
    if (!measure(im, &st)) return;
    pol__measure(run, "flat_tone_share", st.mid ? (double)st.flat_mid / (double)st.mid : 0);
    pol__measure_int(run, "colours_95pct", st.bins95);
    pol__measure(run, "light_share", (double)st.light / (double)st.n);
    pol__measure(run, "dark_share", (double)st.dark / (double)st.n);
    pol__measure(run, "chromatic_share", (double)st.chromatic / (double)st.n);
}
