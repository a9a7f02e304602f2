/* polish — .cube LUTs (Iridas and Resolve forms): a 1D table, a 3D table, or a 1D shaper followed
 * by a 3D table; input ranges from DOMAIN_MIN/MAX or LUT_xD_INPUT_RANGE. Applied as OpenColorIO
 * does: values mapped as they are, clamped to the input range; 3D by tetrahedral or trilinear
 * interpolation. */
#include <ctype.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "render/cube.h"

void pol__cube_free(pol__cube *c)
{
    if (!c || __atomic_sub_fetch(&c->refs, 1, __ATOMIC_ACQ_REL) > 0) return;
    free(c->t1);
    free(c->t3);
    free(c->t4);
    free(c);
}

/* A number of an entry: plain decimals ("0.123456", "-1", "1.5e-3" goes to strtof) are read
 * here, as the exact ratio of two doubles (at most 15 digits and a power of ten up to 10^22, both
 * exact in a double, so the one division is correctly rounded) then rounded to float; anything
 * else (exponents, more digits, inf, nan) by strtof. A 33^3 LUT has 107,811 numbers: strtof took
 * most of the 9 ms its parse cost a frame. */
static float entry_num(const char *s, char **end)
{
    static const double p10[] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,  1e8,  1e9,  1e10, 1e11,
                                 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};
    const char *p = s;
    while (*p == ' ' || *p == '\t') p++;
    int neg = *p == '-';
    if (*p == '-' || *p == '+') p++;
    uint64_t m = 0;
    int digits = 0, frac = 0, any = 0;
    while (*p >= '0' && *p <= '9') {
        if (m || *p != '0') digits++;
        m = m * 10 + (uint64_t)(*p++ - '0'), any = 1;
        if (digits > 15) return strtof(s, end);
    }
    if (*p == '.') {
        p++;
        while (*p >= '0' && *p <= '9') {
            if (m || *p != '0') digits++;
            m = m * 10 + (uint64_t)(*p++ - '0'), frac++, any = 1;
            if (digits > 15 || frac > 22) return strtof(s, end);
        }
    }
    if (!any || *p == 'e' || *p == 'E' || (*p && *p != ' ' && *p != '\t')) return strtof(s, end);
    *end = (char *)p;
    double v = (double)m / p10[frac];
    return (float)(neg ? -v : v);
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
    c->refs = 1;
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
            v[k] = entry_num(q, &e2);
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
    if (c->t3) { /* padded copy for the interpolation */
        size_t n3 = need3;
        if (posix_memalign((void **)&c->t4, 16, n3 * 4 * sizeof(float))) {
            c->t4 = NULL;
            snprintf(err, errcap, "out of memory");
            pol__cube_free(c);
            return NULL;
        }
        for (size_t i = 0; i < n3; i++) {
            memcpy(c->t4 + 4 * i, c->t3 + 3 * i, 3 * sizeof(float));
            c->t4[4 * i + 3] = 0;
        }
    }
    for (int k = 0; k < 3; k++) { /* the input range to table steps, as a factor */
        c->sc1[k] = c->size1 > 1 ? (float)(c->size1 - 1) / (c->max1[k] - c->min1[k]) : 0;
        c->sc3[k] = c->size3 > 1 ? (float)(c->size3 - 1) / (c->max3[k] - c->min3[k]) : 0;
    }
    return c;
}

static inline float lut1(const pol__cube *c, int k, float x)
{
    float t = (x - c->min1[k]) * c->sc1[k];
    if (!(t > 0)) t = 0;
    if (t > (float)(c->size1 - 1)) t = (float)(c->size1 - 1);
    int i = (int)t;
    if (i >= c->size1 - 1) i = c->size1 - 2;
    float f = t - (float)i;
    return c->t1[3 * i + k] + f * (c->t1[3 * (i + 1) + k] - c->t1[3 * i + k]);
}

typedef float v4f __attribute__((vector_size(16)));

/* One pixel through the 3D table: the corners' RGB are loaded as one vector each and mixed with
 * the weights broadcast, the same products and sums in the same order as channel by channel. */
static inline void apply_one(const pol__cube *c, float *rgb, int tetra, int shaper)
{
    if (c->t1 && shaper)
        for (int k = 0; k < 3; k++) rgb[k] = lut1(c, k, rgb[k]);
    if (!c->t3) return;
    const int N = c->size3;
    const size_t st[3] = {4, 4 * (size_t)N, 4 * (size_t)N * (size_t)N}; /* red fastest */
    float f[3];
    size_t base = 0;
    for (int k = 0; k < 3; k++) {
        float t = (rgb[k] - c->min3[k]) * c->sc3[k];
        t = t > 0 ? t : 0; /* NaN too */
        t = t < (float)(N - 1) ? t : (float)(N - 1);
        int i = (int)t;
        i = i < N - 2 ? i : N - 2;
        f[k] = t - (float)i;
        base += (size_t)i * st[k];
    }
#define LD(p) (*(const v4f *)(const void *)(p))
    const float *c000 = c->t4 + base, *c111 = c000 + st[0] + st[1] + st[2];
    float fr = f[0], fg = f[1], fb = f[2];
    v4f o;
    if (!tetra) {
        const float *c100 = c000 + st[0], *c010 = c000 + st[1], *c110 = c010 + st[0],
                    *c001 = c000 + st[2], *c101 = c001 + st[0], *c011 = c001 + st[1];
        v4f a = LD(c000) + fr * (LD(c100) - LD(c000)), b = LD(c010) + fr * (LD(c110) - LD(c010));
        v4f d = LD(c001) + fr * (LD(c101) - LD(c001)), e = LD(c011) + fr * (LD(c111) - LD(c011));
        v4f g0 = a + fg * (b - a), g1 = d + fg * (e - d);
        o = g0 + fb * (g1 - g0);
    } else {
        /* tetrahedral: the cell is cut into six tetrahedra by the order of the fractions; the
         * path from c000 to c111 steps along the axis of the largest fraction, then the middle
         * one. Chosen without branches (the order changes from pixel to pixel, which branches
         * mispredict). */
        int amax = fr >= fg && fr >= fb ? 0 : fg >= fb ? 1 : 2;
        int amin = fr < fg && fr < fb ? 0 : fg < fb ? 1 : 2;
        amin = amin == amax ? (amax + 1) % 3 : amin; /* all equal: any other axis */
        float fmax = f[amax], fmin = f[amin], fmid = f[3 - amax - amin];
        const float *A = c000 + st[amax], *B = c111 - st[amin];
        float w0 = 1 - fmax, w1 = fmax - fmid, w2 = fmid - fmin, w3 = fmin;
        o = w0 * LD(c000) + w1 * LD(A) + w2 * LD(B) + w3 * LD(c111);
    }
#undef LD
    rgb[0] = o[0], rgb[1] = o[1], rgb[2] = o[2];
}

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#define CUBE_AVX2 1

/* the entries at 8 offsets of the padded table: red and green gathered as pairs (8-byte
 * elements), then split; blue on its own */
__attribute__((target("avx2"))) static inline void corner8(const float *t4, __m256i off, __m256 *q)
{
    const double *t = (const double *)(const void *)t4;
    __m256 lo = _mm256_castpd_ps(_mm256_i32gather_pd(t, _mm256_castsi256_si128(off), 4));
    __m256 hi = _mm256_castpd_ps(_mm256_i32gather_pd(t, _mm256_extracti128_si256(off, 1), 4));
    q[0] = _mm256_castpd_ps(_mm256_permute4x64_pd(_mm256_castps_pd(_mm256_shuffle_ps(lo, hi, _MM_SHUFFLE(2, 0, 2, 0))), _MM_SHUFFLE(3, 1, 2, 0)));
    q[1] = _mm256_castpd_ps(_mm256_permute4x64_pd(_mm256_castps_pd(_mm256_shuffle_ps(lo, hi, _MM_SHUFFLE(3, 1, 3, 1))), _MM_SHUFFLE(3, 1, 2, 0)));
    q[2] = _mm256_i32gather_ps(t4 + 2, off, 4);
}

/* The tetrahedral 3D table on 8 pixels at a time with AVX2 gathers: every lane makes the same
 * choices and the same products and sums, in the same order, as apply_one (no FMA: the target is
 * avx2 alone), so the numbers are the same. */
__attribute__((target("avx2"))) static void tetra8_avx2(const pol__cube *c, float *R, float *G, float *B, int n)
{
    const int N = c->size3;
    const __m256i st0 = _mm256_set1_epi32(4), st1 = _mm256_set1_epi32(4 * N),
                  st2 = _mm256_set1_epi32(4 * N * N), all = _mm256_set1_epi32(4 + 4 * N + 4 * N * N);
    const __m256 zero = _mm256_setzero_ps(), one = _mm256_set1_ps(1), top = _mm256_set1_ps((float)(N - 1));
    const __m256i itop = _mm256_set1_epi32(N - 2), izero = _mm256_setzero_si256(),
                  i1 = _mm256_set1_epi32(1), i2 = _mm256_set1_epi32(2);
    float *P[3] = {R, G, B};
    for (int i = 0; i + 8 <= n; i += 8) {
        __m256 f[3];
        __m256i base = izero;
        for (int k = 0; k < 3; k++) {
            __m256 t = _mm256_mul_ps(_mm256_sub_ps(_mm256_loadu_ps(P[k] + i), _mm256_set1_ps(c->min3[k])),
                                     _mm256_set1_ps(c->sc3[k]));
            t = _mm256_blendv_ps(zero, t, _mm256_cmp_ps(t, zero, _CMP_GT_OQ)); /* NaN too */
            t = _mm256_blendv_ps(top, t, _mm256_cmp_ps(t, top, _CMP_LT_OQ));
            __m256i ix = _mm256_min_epi32(_mm256_cvttps_epi32(t), itop);
            f[k] = _mm256_sub_ps(t, _mm256_cvtepi32_ps(ix));
            base = _mm256_add_epi32(base, _mm256_mullo_epi32(ix, k == 0 ? st0 : k == 1 ? st1 : st2));
        }
        /* amax: 0 when r >= g and r >= b, else 1 when g >= b, else 2; amin alike with < */
        __m256i rmax = _mm256_castps_si256(_mm256_and_ps(_mm256_cmp_ps(f[0], f[1], _CMP_GE_OQ),
                                                         _mm256_cmp_ps(f[0], f[2], _CMP_GE_OQ)));
        __m256i gmax = _mm256_castps_si256(_mm256_cmp_ps(f[1], f[2], _CMP_GE_OQ));
        __m256i amax = _mm256_blendv_epi8(_mm256_blendv_epi8(i2, i1, gmax), izero, rmax);
        __m256i rmin = _mm256_castps_si256(_mm256_and_ps(_mm256_cmp_ps(f[0], f[1], _CMP_LT_OQ),
                                                         _mm256_cmp_ps(f[0], f[2], _CMP_LT_OQ)));
        __m256i gmin = _mm256_castps_si256(_mm256_cmp_ps(f[1], f[2], _CMP_LT_OQ));
        __m256i amin = _mm256_blendv_epi8(_mm256_blendv_epi8(i2, i1, gmin), izero, rmin);
        __m256i next = _mm256_blendv_epi8(_mm256_add_epi32(amax, i1), izero, _mm256_cmpeq_epi32(amax, i2));
        amin = _mm256_blendv_epi8(amin, next, _mm256_cmpeq_epi32(amin, amax));
        __m256i amid = _mm256_sub_epi32(_mm256_sub_epi32(_mm256_set1_epi32(3), amax), amin);
#define PICKF(ix) _mm256_blendv_ps(_mm256_blendv_ps(f[2], f[1], _mm256_castsi256_ps(_mm256_cmpeq_epi32(ix, i1))), \
                                   f[0], _mm256_castsi256_ps(_mm256_cmpeq_epi32(ix, izero)))
#define PICKS(ix) _mm256_blendv_epi8(_mm256_blendv_epi8(st2, st1, _mm256_cmpeq_epi32(ix, i1)), st0, \
                                     _mm256_cmpeq_epi32(ix, izero))
        __m256 fmax = PICKF(amax), fmin = PICKF(amin), fmid = PICKF(amid);
        __m256i oA = _mm256_add_epi32(base, PICKS(amax)), o111 = _mm256_add_epi32(base, all);
        __m256i oB = _mm256_sub_epi32(o111, PICKS(amin));
#undef PICKF
#undef PICKS
        __m256 w0 = _mm256_sub_ps(one, fmax), w1 = _mm256_sub_ps(fmax, fmid), w2 = _mm256_sub_ps(fmid, fmin),
               w3 = fmin;
        __m256 q0[3], qA[3], qB[3], q1[3];
        corner8(c->t4, base, q0), corner8(c->t4, oA, qA), corner8(c->t4, oB, qB), corner8(c->t4, o111, q1);
        for (int k = 0; k < 3; k++) {
            __m256 o = _mm256_mul_ps(w0, q0[k]);
            o = _mm256_add_ps(o, _mm256_mul_ps(w1, qA[k]));
            o = _mm256_add_ps(o, _mm256_mul_ps(w2, qB[k]));
            o = _mm256_add_ps(o, _mm256_mul_ps(w3, q1[k]));
            _mm256_storeu_ps(P[k] + i, o);
        }
    }
}
#endif

void pol__cube_apply(const pol__cube *c, float *R, float *G, float *B, int n, int tetra)
{
    int i = 0;
#ifdef CUBE_AVX2
    static int avx2 = -1; /* any thread finds the same answer */
    int use = __atomic_load_n(&avx2, __ATOMIC_RELAXED);
    if (use < 0) __atomic_store_n(&avx2, use = __builtin_cpu_supports("avx2") ? 1 : 0, __ATOMIC_RELAXED);
    if (use && tetra && c->t3 && n >= 8) {
        if (c->t1)
            for (int j = 0; j < n; j++) R[j] = lut1(c, 0, R[j]), G[j] = lut1(c, 1, G[j]), B[j] = lut1(c, 2, B[j]);
        tetra8_avx2(c, R, G, B, n);
        i = n - n % 8;
        for (; i < n; i++) { /* the shaper is done: the 3D table alone */
            float v[3] = {R[i], G[i], B[i]};
            apply_one(c, v, tetra, 0);
            R[i] = v[0], G[i] = v[1], B[i] = v[2];
        }
        return;
    }
#endif
    for (; i < n; i++) {
        float v[3] = {R[i], G[i], B[i]};
        apply_one(c, v, tetra, 1);
        R[i] = v[0], G[i] = v[1], B[i] = v[2];
    }
}
