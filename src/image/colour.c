/* polish — colour science for measuring and correcting photos: sRGB transfer, CIELAB (D65), CIEDE2000. */
#include <math.h>
#include <pthread.h>
#include "image/image.h"
#include "image/quality.h"

/* D65 reference white (CIE 1931 2 degree observer), Y = 1. */
#define XN 0.95047
#define YN 1.0
#define ZN 1.08883

float pol__srgb_to_linear(float v)
{
    if (v <= 0.04045f) return v / 12.92f;
    return powf((v + 0.055f) / 1.055f, 2.4f);
}

float pol__linear_to_srgb(float v)
{
    if (v <= 0.0031308f) return v * 12.92f;
    return 1.055f * powf(v, 1.0f / 2.4f) - 0.055f;
}

/* CIELAB's companding function and its inverse (CIE 15:2004). */
static double lab_f(double t)
{
    const double d = 6.0 / 29.0;
    return t > d * d * d ? cbrt(t) : t / (3 * d * d) + 4.0 / 29.0;
}

static double lab_finv(double f)
{
    const double d = 6.0 / 29.0;
    return f > d ? f * f * f : 3 * d * d * (f - 4.0 / 29.0);
}

void pol__linear_rgb_to_lab(const float rgb[3], float lab[3])
{
    double r = rgb[0], g = rgb[1], b = rgb[2];
    double x = (0.4124564 * r + 0.3575761 * g + 0.1804375 * b) / XN;
    double y = (0.2126729 * r + 0.7151522 * g + 0.0721750 * b) / YN;
    double z = (0.0193339 * r + 0.1191920 * g + 0.9503041 * b) / ZN;
    double fx = lab_f(x), fy = lab_f(y), fz = lab_f(z);
    lab[0] = (float)(116 * fy - 16);
    lab[1] = (float)(500 * (fx - fy));
    lab[2] = (float)(200 * (fy - fz));
}

void pol__lab_to_linear_rgb(const float lab[3], float rgb[3])
{
    double fy = (lab[0] + 16) / 116.0;
    double fx = fy + lab[1] / 500.0, fz = fy - lab[2] / 200.0;
    double x = lab_finv(fx) * XN, y = lab_finv(fy) * YN, z = lab_finv(fz) * ZN;
    rgb[0] = (float)(3.2404542 * x - 1.5371385 * y - 0.4985314 * z);
    rgb[1] = (float)(-0.9692660 * x + 1.8760108 * y + 0.0415560 * z);
    rgb[2] = (float)(0.0556434 * x - 0.2040259 * y + 1.0572252 * z);
}

void pol__srgb_to_lab(const float rgb[3], float lab[3])
{
    float lin[3] = {pol__srgb_to_linear(rgb[0]), pol__srgb_to_linear(rgb[1]),
                    pol__srgb_to_linear(rgb[2])};
    pol__linear_rgb_to_lab(lin, lab);
}

void pol__lab_to_srgb(const float lab[3], float rgb[3])
{
    float lin[3];
    pol__lab_to_linear_rgb(lab, lin);
    for (int c = 0; c < 3; c++) rgb[c] = pol__linear_to_srgb(lin[c]);
}

static double deg(double rad) { return rad * (180.0 / M_PI); }
static double rad(double deg) { return deg * (M_PI / 180.0); }

/* Hue angle in degrees, 0..360; 0 for an achromatic colour as the formula requires. */
static double hue(double b, double a)
{
    if (a == 0 && b == 0) return 0;
    double h = deg(atan2(b, a));
    return h < 0 ? h + 360 : h;
}

double pol__ciede2000(const float lab1[3], const float lab2[3])
{
    const double L1 = lab1[0], a1 = lab1[1], b1 = lab1[2];
    const double L2 = lab2[0], a2 = lab2[1], b2 = lab2[2];
    /* Step 1: a' rescaled by G so that neutral colours keep their hue behaviour. */
    double C1 = hypot(a1, b1), C2 = hypot(a2, b2);
    double Cm = (C1 + C2) / 2, Cm7 = pow(Cm, 7);
    double G = 0.5 * (1 - sqrt(Cm7 / (Cm7 + 6103515625.0))); /* 25^7 */
    double a1p = (1 + G) * a1, a2p = (1 + G) * a2;
    double C1p = hypot(a1p, b1), C2p = hypot(a2p, b2);
    double h1p = hue(b1, a1p), h2p = hue(b2, a2p);
    /* Step 2: differences. */
    double dLp = L2 - L1, dCp = C2p - C1p, dhp;
    if (C1p * C2p == 0)
        dhp = 0;
    else if (fabs(h2p - h1p) <= 180)
        dhp = h2p - h1p;
    else if (h2p - h1p > 180)
        dhp = h2p - h1p - 360;
    else
        dhp = h2p - h1p + 360;
    double dHp = 2 * sqrt(C1p * C2p) * sin(rad(dhp / 2));
    /* Step 3: weighting functions. */
    double Lpm = (L1 + L2) / 2, Cpm = (C1p + C2p) / 2, hpm;
    if (C1p * C2p == 0)
        hpm = h1p + h2p;
    else if (fabs(h1p - h2p) <= 180)
        hpm = (h1p + h2p) / 2;
    else if (h1p + h2p < 360)
        hpm = (h1p + h2p + 360) / 2;
    else
        hpm = (h1p + h2p - 360) / 2;
    double T = 1 - 0.17 * cos(rad(hpm - 30)) + 0.24 * cos(rad(2 * hpm)) +
               0.32 * cos(rad(3 * hpm + 6)) - 0.20 * cos(rad(4 * hpm - 63));
    double dtheta = 30 * exp(-((hpm - 275) / 25) * ((hpm - 275) / 25));
    double Cpm7 = pow(Cpm, 7);
    double RC = 2 * sqrt(Cpm7 / (Cpm7 + 6103515625.0));
    double Lm50 = (Lpm - 50) * (Lpm - 50);
    double SL = 1 + 0.015 * Lm50 / sqrt(20 + Lm50);
    double SC = 1 + 0.045 * Cpm;
    double SH = 1 + 0.015 * Cpm * T;
    double RT = -sin(rad(2 * dtheta)) * RC;
    double tL = dLp / SL, tC = dCp / SC, tH = dHp / SH;
    return sqrt(tL * tL + tC * tC + tH * tH + RT * tC * tH);
}

/* ---- fast paths: lookup tables with linear interpolation ----------------------------------- */

float pol__lut_to_lin[POL_LUT_N + 2], pol__lut_to_srgb[POL_LUT_N + 2], pol__lut_labf[POL_LUT_N + 2];
static pthread_once_t lut_once = PTHREAD_ONCE_INIT;

static void lut_init(void)
{
    for (int i = 0; i <= POL_LUT_N + 1; i++) {
        double v = (double)i / POL_LUT_N;
        pol__lut_to_lin[i] = pol__srgb_to_linear((float)v);
        pol__lut_to_srgb[i] = pol__linear_to_srgb((float)v);
        pol__lut_labf[i] = (float)lab_f(v);
    }
}

void pol__colour_init(void) { pthread_once(&lut_once, lut_init); }

static inline float labf_fast(float t)
{
    if (!(t > 0)) return (float)(t / (3 * (6.0 / 29) * (6.0 / 29)) + 4.0 / 29);
    if (t >= 1) return (float)lab_f(t);
    return pol__lut_eval(pol__lut_labf, t);
}

void pol__linear_to_lab_fast(const float lin[3], float lab[3])
{
    float x = (float)((0.4124564 * lin[0] + 0.3575761 * lin[1] + 0.1804375 * lin[2]) / XN);
    float y = 0.2126729f * lin[0] + 0.7151522f * lin[1] + 0.0721750f * lin[2];
    float z = (float)((0.0193339 * lin[0] + 0.1191920 * lin[1] + 0.9503041 * lin[2]) / ZN);
    float fx = labf_fast(x), fy = labf_fast(y), fz = labf_fast(z);
    lab[0] = 116 * fy - 16;
    lab[1] = 500 * (fx - fy);
    lab[2] = 200 * (fy - fz);
}

/* ---- image comparison ----------------------------------------------------------------------- */

static void pixel_lab(const pol__image *im, const float *p, float lab[3])
{
    float rgb[3];
    if (im->channels >= 3) {
        rgb[0] = p[0];
        rgb[1] = p[1];
        rgb[2] = p[2];
    } else {
        rgb[0] = rgb[1] = rgb[2] = p[0];
    }
    for (int c = 0; c < 3; c++) rgb[c] = pol__to_linear_fast(rgb[c] < 0 ? 0 : rgb[c] > 1 ? 1 : rgb[c]);
    pol__linear_to_lab_fast(rgb, lab);
}

double pol__image_mean_de2000(const pol__image *a, const pol__image *b)
{
    if (!a || !b || a->width != b->width || a->height != b->height || a->width <= 0 ||
        a->height <= 0)
        return NAN;
    pol__colour_init();
    double sum = 0;
    for (int y = 0; y < a->height; y++) {
        const float *ra = pol__image_row(a, y), *rb = pol__image_row(b, y);
        double row = 0;
        for (int x = 0; x < a->width; x++) {
            float la[3], lb[3];
            pixel_lab(a, ra + (size_t)x * a->channels, la);
            pixel_lab(b, rb + (size_t)x * b->channels, lb);
            row += pol__ciede2000(la, lb);
        }
        sum += row;
    }
    return sum / ((double)a->width * a->height);
}

double pol__image_de2000_visible(const pol__image *a, const pol__image *b, double *alpha_diff)
{
    *alpha_diff = NAN;
    if (!a || !b || a->width != b->width || a->height != b->height || a->width <= 0 ||
        a->height <= 0)
        return NAN;
    pol__colour_init();
    int aa = a->channels == 2 || a->channels == 4, ba = b->channels == 2 || b->channels == 4;
    double sum = 0, n = 0, worst = 0;
    for (int y = 0; y < a->height; y++) {
        const float *ra = pol__image_row(a, y), *rb = pol__image_row(b, y);
        for (int x = 0; x < a->width; x++) {
            const float *pa = ra + (size_t)x * a->channels, *pb = rb + (size_t)x * b->channels;
            float al = aa ? pa[a->channels - 1] : 1, bl = ba ? pb[b->channels - 1] : 1;
            double d = fabs((double)al - bl);
            if (d > worst) worst = d;
            if (al <= 0) continue; /* invisible: its colour does not matter */
            float la[3], lb[3];
            pixel_lab(a, pa, la);
            pixel_lab(b, pb, lb);
            sum += al * pol__ciede2000(la, lb);
            n += al;
        }
    }
    *alpha_diff = worst;
    return n > 0 ? sum / n : 0;
}
