/* polish — .cube LUTs (Iridas and Resolve forms): a 1D table, a 3D table, or a 1D shaper followed
 * by a 3D table; input ranges from DOMAIN_MIN/MAX or LUT_xD_INPUT_RANGE. Applied as OpenColorIO
 * does: values mapped as they are, clamped to the input range; 3D by tetrahedral or trilinear
 * interpolation. */
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "render/cube.h"

void pol__cube_free(pol__cube *c)
{
    if (!c) return;
    free(c->t1);
    free(c->t3);
    free(c);
}

static int kw(const char *line, const char *k)
{
    size_t n = strlen(k);
    return !strncmp(line, k, n) && (line[n] == ' ' || line[n] == '\t');
}

pol__cube *pol__cube_parse(const char *text, size_t len, char *err, size_t errcap)
{
    pol__cube *c = calloc(1, sizeof *c);
    if (!c) {
        snprintf(err, errcap, "out of memory");
        return NULL;
    }
    for (int k = 0; k < 3; k++) c->min1[k] = c->min3[k] = 0, c->max1[k] = c->max3[k] = 1;
    size_t n1 = 0, n3 = 0, need1 = 0, need3 = 0;
    int line_no = 0, bad = 0;
    const char *p = text, *end = text + len;
    char line[512];
    while (p < end && !bad) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t L = nl ? (size_t)(nl - p) : (size_t)(end - p);
        line_no++;
        if (L >= sizeof line) {
            snprintf(err, errcap, "line %d is too long", line_no);
            bad = 1;
            break;
        }
        memcpy(line, p, L);
        line[L] = '\0';
        p = nl ? nl + 1 : end;
        char *s = line;
        while (*s == ' ' || *s == '\t') s++;
        size_t sl = strlen(s);
        while (sl && (s[sl - 1] == '\r' || s[sl - 1] == ' ' || s[sl - 1] == '\t')) s[--sl] = '\0';
        if (!*s || *s == '#') continue;
        if (isalpha((unsigned char)*s)) {
            if (n1 || n3) {
                snprintf(err, errcap, "line %d: keyword after the table entries began", line_no);
                bad = 1;
            } else if (kw(s, "TITLE")) {
            } else if (kw(s, "LUT_1D_SIZE")) {
                long v = strtol(s + 11, NULL, 10);
                if (v < 2 || v > 65536) {
                    snprintf(err, errcap, "line %d: LUT_1D_SIZE %ld is outside 2..65536", line_no, v);
                    bad = 1;
                }
                c->size1 = (int)v, need1 = (size_t)v;
            } else if (kw(s, "LUT_3D_SIZE")) {
                long v = strtol(s + 11, NULL, 10);
                if (v < 2 || v > 256) {
                    snprintf(err, errcap, "line %d: LUT_3D_SIZE %ld is outside 2..256", line_no, v);
                    bad = 1;
                }
                c->size3 = (int)v, need3 = (size_t)v * v * v;
            } else if (kw(s, "DOMAIN_MIN") || kw(s, "DOMAIN_MAX")) {
                float v[3];
                if (sscanf(s + 10, "%f %f %f", &v[0], &v[1], &v[2]) != 3) {
                    snprintf(err, errcap, "line %d: %.10s needs three numbers", line_no, s);
                    bad = 1;
                }
                for (int k = 0; k < 3 && !bad; k++) {
                    if (s[7] == 'M' && s[8] == 'I') c->min1[k] = c->min3[k] = v[k];
                    else c->max1[k] = c->max3[k] = v[k];
                }
            } else if (kw(s, "LUT_1D_INPUT_RANGE") || kw(s, "LUT_3D_INPUT_RANGE")) {
                float lo, hi;
                if (sscanf(s + 18, "%f %f", &lo, &hi) != 2) {
                    snprintf(err, errcap, "line %d: %.18s needs two numbers", line_no, s);
                    bad = 1;
                }
                for (int k = 0; k < 3 && !bad; k++) {
                    if (s[4] == '1') c->min1[k] = lo, c->max1[k] = hi;
                    else c->min3[k] = lo, c->max3[k] = hi;
                }
            } else {
                snprintf(err, errcap, "line %d: unknown keyword '%.40s'", line_no, s);
                bad = 1;
            }
            continue;
        }
        if (!need1 && !need3) {
            snprintf(err, errcap, "line %d: table entries before LUT_1D_SIZE or LUT_3D_SIZE", line_no);
            bad = 1;
            break;
        }
        if (!c->t1 && need1 && !(c->t1 = malloc(need1 * 3 * sizeof(float)))) bad = 2;
        if (!c->t3 && need3 && !(c->t3 = malloc(need3 * 3 * sizeof(float)))) bad = 2;
        if (bad) {
            snprintf(err, errcap, "out of memory");
            break;
        }
        float v[3];
        char *q = s, *e2;
        for (int k = 0; k < 3; k++) {
            v[k] = strtof(q, &e2);
            if (e2 == q || !isfinite(v[k])) {
                snprintf(err, errcap, "line %d: an entry needs three numbers", line_no);
                bad = 1;
                break;
            }
            q = e2;
        }
        while (!bad && (*q == ' ' || *q == '\t')) q++;
        if (!bad && *q) {
            snprintf(err, errcap, "line %d: an entry has more than three numbers", line_no);
            bad = 1;
        }
        if (bad) break;
        if (n1 < need1) memcpy(c->t1 + 3 * n1++, v, sizeof v);
        else if (n3 < need3) memcpy(c->t3 + 3 * n3++, v, sizeof v);
        else {
            snprintf(err, errcap, "wrong entry count: more entries than LUT_%s_SIZE %d gives (%zu "
                     "expected; extra at line %d)", need3 ? "3D" : "1D", need3 ? c->size3 : c->size1,
                     need1 + need3, line_no);
            bad = 1;
        }
    }
    if (!bad && !need1 && !need3) {
        snprintf(err, errcap, "no LUT_1D_SIZE or LUT_3D_SIZE: not a .cube LUT");
        bad = 1;
    }
    if (!bad && (n1 != need1 || n3 != need3)) {
        snprintf(err, errcap, "wrong entry count: LUT_%s_SIZE %d needs %zu entries, the file has %zu",
                 need3 ? "3D" : "1D", need3 ? c->size3 : c->size1, need3 ? need3 : need1,
                 need3 ? n3 : n1);
        bad = 1;
    }
    for (int k = 0; k < 3 && !bad; k++)
        if (!(c->max1[k] > c->min1[k]) || !(c->max3[k] > c->min3[k])) {
            snprintf(err, errcap, "the input range is empty (min >= max)");
            bad = 1;
        }
    if (bad) {
        pol__cube_free(c);
        return NULL;
    }
    return c;
}

static inline float lut1(const pol__cube *c, int k, float x)
{
    float t = (x - c->min1[k]) / (c->max1[k] - c->min1[k]) * (float)(c->size1 - 1);
    if (!(t > 0)) t = 0;
    if (t > (float)(c->size1 - 1)) t = (float)(c->size1 - 1);
    int i = (int)t;
    if (i >= c->size1 - 1) i = c->size1 - 2;
    float f = t - (float)i;
    return c->t1[3 * i + k] + f * (c->t1[3 * (i + 1) + k] - c->t1[3 * i + k]);
}

void pol__cube_apply(const pol__cube *c, float *rgb, int tetra)
{
    if (c->t1)
        for (int k = 0; k < 3; k++) rgb[k] = lut1(c, k, rgb[k]);
    if (!c->t3) return;
    int N = c->size3;
    float t[3];
    int i0[3], i1[3];
    float f[3];
    for (int k = 0; k < 3; k++) {
        t[k] = (rgb[k] - c->min3[k]) / (c->max3[k] - c->min3[k]) * (float)(N - 1);
        if (!(t[k] > 0)) t[k] = 0;
        if (t[k] > (float)(N - 1)) t[k] = (float)(N - 1);
        i0[k] = (int)t[k];
        if (i0[k] > N - 2) i0[k] = N - 2;
        f[k] = t[k] - (float)i0[k];
        i1[k] = i0[k] + 1;
    }
#define V(r, g, b) (c->t3 + 3 * ((size_t)(r) + (size_t)N * ((size_t)(g) + (size_t)N * (size_t)(b))))
    const float *c000 = V(i0[0], i0[1], i0[2]), *c111 = V(i1[0], i1[1], i1[2]);
    float fr = f[0], fg = f[1], fb = f[2];
    if (!tetra) {
        const float *c100 = V(i1[0], i0[1], i0[2]), *c010 = V(i0[0], i1[1], i0[2]),
                    *c110 = V(i1[0], i1[1], i0[2]), *c001 = V(i0[0], i0[1], i1[2]),
                    *c101 = V(i1[0], i0[1], i1[2]), *c011 = V(i0[0], i1[1], i1[2]);
        for (int k = 0; k < 3; k++) {
            float a = c000[k] + fr * (c100[k] - c000[k]), b = c010[k] + fr * (c110[k] - c010[k]);
            float d = c001[k] + fr * (c101[k] - c001[k]), e = c011[k] + fr * (c111[k] - c011[k]);
            float g0 = a + fg * (b - a), g1 = d + fg * (e - d);
            rgb[k] = g0 + fb * (g1 - g0);
        }
        return;
    }
    /* tetrahedral: the cell is cut into six tetrahedra by the order of the fractions */
    const float *A, *B;
    float w0, w1, w2, w3;
    if (fr > fg) {
        if (fg > fb) { /* r > g > b */
            A = V(i1[0], i0[1], i0[2]), B = V(i1[0], i1[1], i0[2]);
            w0 = 1 - fr, w1 = fr - fg, w2 = fg - fb, w3 = fb;
        } else if (fr > fb) { /* r > b >= g */
            A = V(i1[0], i0[1], i0[2]), B = V(i1[0], i0[1], i1[2]);
            w0 = 1 - fr, w1 = fr - fb, w2 = fb - fg, w3 = fg;
        } else { /* b >= r > g */
            A = V(i0[0], i0[1], i1[2]), B = V(i1[0], i0[1], i1[2]);
            w0 = 1 - fb, w1 = fb - fr, w2 = fr - fg, w3 = fg;
        }
    } else {
        if (fb > fg) { /* b > g >= r */
            A = V(i0[0], i0[1], i1[2]), B = V(i0[0], i1[1], i1[2]);
            w0 = 1 - fb, w1 = fb - fg, w2 = fg - fr, w3 = fr;
        } else if (fb > fr) { /* g >= b > r */
            A = V(i0[0], i1[1], i0[2]), B = V(i0[0], i1[1], i1[2]);
            w0 = 1 - fg, w1 = fg - fb, w2 = fb - fr, w3 = fr;
        } else { /* g >= r >= b */
            A = V(i0[0], i1[1], i0[2]), B = V(i1[0], i1[1], i0[2]);
            w0 = 1 - fg, w1 = fg - fr, w2 = fr - fb, w3 = fb;
        }
    }
    for (int k = 0; k < 3; k++) rgb[k] = w0 * c000[k] + w1 * A[k] + w2 * B[k] + w3 * c111[k];
#undef V
}
