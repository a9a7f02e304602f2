/* polish tests — render: the octave tables that replace per-pixel transcendental functions
 * (sRGB encoding, the AgX curves) stay within a display code value's fraction of the exact
 * function over their whole range, octave edges included. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>
#include "render/cube.h"
#include "render/render.h"

static double srgb_exact(double v)
{
    if (!(v > 0)) return 0;
    if (v >= 1) return 1;
    return v <= 0.0031308 ? 12.92 * v : 1.055 * pow(v, 1 / 2.4) - 0.055;
}

/* every 97th float from 1e-6 to 1.5, plus the values on and next to every octave edge */
static void test_srgb_encode(void **state)
{
    (void)state;
    double worst = 0, at = 0;
    for (float v = 1e-6f; v < 1.5f; v = nextafterf(v, 2) + v * 3e-5f) {
        double d = fabs(pol__rn_srgb_encode(v) - srgb_exact(v));
        if (d > worst) worst = d, at = v;
    }
    for (int e = -12; e <= 1; e++) {
        float v = ldexpf(1, e);
        float vs[3] = {nextafterf(v, 0), v, nextafterf(v, 2)};
        for (int k = 0; k < 3; k++) {
            double d = fabs(pol__rn_srgb_encode(vs[k]) - srgb_exact(vs[k]));
            if (d > worst) worst = d, at = vs[k];
        }
    }
    print_message("sRGB encode: worst error %.3g at %.6g\n", worst, at);
    assert_true(worst < 2e-6); /* a 16-bit code value is 1.5e-5 */
    assert_true(pol__rn_srgb_encode(-1) == 0 && pol__rn_srgb_encode(NAN) == 0);
    assert_true(pol__rn_srgb_encode(7) == 1);
}

static double cube_root(double v, const void *u)
{
    (void)u;
    return cbrt(v);
}

/* a generic table: relative error over [2^-20, 2^8), at the last point of the table too */
static void test_curve(void **state)
{
    (void)state;
    pol__rn_curve c;
    assert_true(pol__rn_curve_build(&c, -20, 8, cube_root, NULL));
    double worst = 0;
    for (float v = ldexpf(1, -20); v < 256; v = v * 1.000713f) {
        double r = fabs(pol__rn_curve_at(&c, v) / cbrt(v) - 1);
        if (r > worst) worst = r;
    }
    float last = nextafterf(256, 0);
    double r = fabs(pol__rn_curve_at(&c, last) / cbrt(last) - 1);
    if (r > worst) worst = r;
    print_message("cube-root table: worst relative error %.3g\n", worst);
    assert_true(worst < 1e-6);
    pol__rn_curve_free(&c);
    assert_null(c.t);
}

/* The tetrahedral 3D LUT, as the .cube rule says, one pixel at a time in the order of products
 * and sums pol__cube_apply documents: the reference its vector paths must equal bit for bit. */
static void tetra_ref(const pol__cube *c, const float *in, float *out)
{
    const int N = c->size3;
    float f[3];
    int ix[3];
    for (int k = 0; k < 3; k++) {
        float t = (in[k] - c->min3[k]) * c->sc3[k];
        t = t > 0 ? t : 0;
        t = t < (float)(N - 1) ? t : (float)(N - 1);
        ix[k] = (int)t < N - 2 ? (int)t : N - 2;
        f[k] = t - (float)ix[k];
    }
    int amax = f[0] >= f[1] && f[0] >= f[2] ? 0 : f[1] >= f[2] ? 1 : 2;
    int amin = f[0] < f[1] && f[0] < f[2] ? 0 : f[1] < f[2] ? 1 : 2;
    if (amin == amax) amin = (amax + 1) % 3;
    int amid = 3 - amax - amin;
    int c0[3] = {ix[0], ix[1], ix[2]}, cA[3], cB[3], c1[3] = {ix[0] + 1, ix[1] + 1, ix[2] + 1};
    memcpy(cA, c0, sizeof cA), memcpy(cB, c1, sizeof cB);
    cA[amax]++, cB[amin]--;
    const int *cs[4] = {c0, cA, cB, c1};
    float w[4] = {1 - f[amax], f[amax] - f[amid], f[amid] - f[amin], f[amin]};
    for (int k = 0; k < 3; k++) {
        float o = 0;
        for (int j = 0; j < 4; j++) {
            const int *q = cs[j];
            float v = c->t3[3 * (((size_t)q[2] * N + (size_t)q[1]) * N + (size_t)q[0]) + k];
            o = j ? o + w[j] * v : w[j] * v;
        }
        out[k] = o;
    }
}

/* pol__cube_apply (tetrahedral; with AVX2 8 pixels at a time, else one by one) against
 * tetra_ref on a non-separable 6^3 table: random colours, colours on the grid and on cell faces
 * (ties between fractions, which pick the tetrahedron), outside the input range, NaN and
 * infinities, in runs of every length from 1 to 40 (the vector body and its tail) */
static void test_lut_tetra_exact(void **state)
{
    (void)state;
    const int N = 6;
    size_t cap = 64 + (size_t)N * N * N * 40;
    char *txt = malloc(cap);
    assert_non_null(txt);
    size_t len = (size_t)snprintf(txt, cap, "LUT_3D_SIZE %d\nDOMAIN_MIN -0.1 0 0\nDOMAIN_MAX 1 1.5 1\n", N);
    for (int b = 0; b < N; b++)
        for (int g = 0; g < N; g++)
            for (int r = 0; r < N; r++) {
                double x = r / (N - 1.0), y = g / (N - 1.0), z = b / (N - 1.0);
                len += (size_t)snprintf(txt + len, cap - len, "%.6f %.6f %.6f\n", x * x + 0.2 * y * z,
                                        sqrt(y) * (1 - 0.3 * x), z + 0.25 * sin(6 * x * y));
            }
    char err[200];
    pol__cube *c = pol__cube_parse(txt, len, err, sizeof err);
    free(txt);
    assert_non_null(c);
    enum { NPX = 4000 };
    static float R[NPX], G[NPX], B[NPX], in[NPX][3];
    uint32_t seed = 12345;
    for (int i = 0; i < NPX; i++) {
        for (int k = 0; k < 3; k++) {
            seed = seed * 1664525u + 1013904223u;
            float u = (float)(seed >> 8) / 16777216.0f;
            int kind = (int)(seed & 7);
            in[i][k] = kind == 0 ? (float)(int)(u * N) / (N - 1) * (c->max3[k] - c->min3[k]) + c->min3[k]
                       : kind == 1 ? -0.5f + 2.5f * u : u;
        }
        if (i % 5 == 1) in[i][1] = in[i][0]; /* equal fractions */
        if (i % 7 == 2) in[i][2] = in[i][0], in[i][1] = in[i][0];
    }
    in[3][0] = NAN, in[11][1] = INFINITY, in[19][2] = -INFINITY;
    for (int i = 0; i < NPX; i++) R[i] = in[i][0], G[i] = in[i][1], B[i] = in[i][2];
    for (int at = 0, run = 1; at < NPX; at += run, run = run % 40 + 1) {
        int n = NPX - at < run ? NPX - at : run;
        pol__cube_apply(c, R + at, G + at, B + at, n, 1);
    }
    int bad = 0;
    for (int i = 0; i < NPX; i++) {
        float ref[3], got[3] = {R[i], G[i], B[i]};
        tetra_ref(c, in[i], ref);
        if (memcmp(ref, got, sizeof ref)) {
            if (bad++ < 5)
                print_error("pixel %d (%g %g %g): %.9g %.9g %.9g, expected %.9g %.9g %.9g\n", i, in[i][0],
                            in[i][1], in[i][2], got[0], got[1], got[2], ref[0], ref[1], ref[2]);
        }
    }
    pol__cube_free(c);
    assert_int_equal(bad, 0);
}

/* AO's AVX2 path (ao_px8, 8 pixels a vector) against the portable one (POLISH_RENDER_NO_AVX2 set),
 * bit for bit: a depth of a tilted floor, a box, a sphere and sky, odd sizes (the rows' last
 * pixels go one by one), quarter and half resolution, 1 and 3 slices, 4 and 7 steps, the radius
 * automatic and given. On a CPU without AVX2 both runs are the portable code. */
static void test_ao_avx2_exact(void **state)
{
    (void)state;
    const int W = 203, H = 121;
    pol__render *r = pol__render_new(W, H);
    assert_non_null(r);
    assert_true(pol__render_add_pass(r, POL_RP_DEPTH));
    float *Z = r->pass[POL_RP_DEPTH];
    for (int y = 0; y < H; y++)
        for (int x = 0; x < W; x++) {
            float z = y < H / 4 ? 0 : 40.0f / (1 + 0.05f * (float)(y - H / 4)); /* sky, then floor */
            if (x > 30 && x < 80 && y > 40 && y < 100) z = fminf(z, 6 + 0.01f * (float)x); /* box */
            float dx = (float)x - 140, dy = (float)y - 70;
            if (dx * dx + dy * dy < 900) z = fminf(z, 5 - sqrtf(900 - dx * dx - dy * dy) / 30);
            Z[(size_t)y * W + x] = z;
        }
    for (size_t i = 0; i < (size_t)W * H * 4; i++) r->rgba[i] = 0.5f;
    pol_err e;
    pol_err_clear(&e);
    pol_run run = {.err = &e, .threads = 1};
    static const int cfg[][4] = {{4, 1, 4, 0}, {2, 1, 4, 0}, {4, 3, 7, 1}, {2, 3, 4, 1}};
    int bad = 0;
    for (size_t k = 0; k < sizeof cfg / sizeof cfg[0]; k++) {
        float *out[2];
        double rad[2], mean[2];
        for (int portable = 0; portable < 2; portable++) {
            if (portable) setenv("POLISH_RENDER_NO_AVX2", "1", 1);
            else unsetenv("POLISH_RENDER_NO_AVX2");
            assert_int_equal(pol__render_ao(&run, r, cfg[k][3] ? 0.8 : 0, 39.6, cfg[k][1], cfg[k][2],
                                            cfg[k][0], -1, &out[portable], &rad[portable], &mean[portable]),
                             POL_OK);
            assert_non_null(out[portable]);
        }
        unsetenv("POLISH_RENDER_NO_AVX2");
        size_t diff = 0, occluded = 0;
        for (size_t i = 0; i < (size_t)W * H; i++) {
            diff += memcmp(&out[0][i], &out[1][i], sizeof(float)) != 0;
            occluded += out[1][i] < 0.99f;
        }
        print_message("ao config %zu: %zu of %d pixels differ, %zu occluded\n", k, diff, W * H, occluded);
        bad += diff > 0 || rad[0] != rad[1] || mean[0] != mean[1];
        assert_true(occluded > 100); /* the scene does occlude: the comparison is not of 1s */
        free(out[0]), free(out[1]);
    }
    pol__render_free(r);
    assert_int_equal(bad, 0);
}

/* writes a 2^3 LUT whose every entry is (v, v, v) */
static void write_cube(const char *path, const char *v)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fprintf(f, "LUT_3D_SIZE 2\n");
    for (int i = 0; i < 8; i++) fprintf(f, "%s %s %s\n", v, v, v);
    fclose(f);
}

/* The LUT of a sequence's frames is parsed once: a second load of the same file gives the same
 * tables (held twice); the file rewritten in place with other numbers of the same length, or
 * replaced by another file, is read again; each holder's free drops only its own reference. */
static void test_cube_cache(void **state)
{
    (void)state;
    char dir[] = "/tmp/polish-cube-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char path[64], other[64];
    snprintf(path, sizeof path, "%s/a.cube", dir);
    snprintf(other, sizeof other, "%s/b.cube", dir);
    pol_err e;
    pol_err_clear(&e);
    pol_run run = {.err = &e};
    write_cube(path, "0.25");
    pol__cube *a = NULL, *b = NULL, *c = NULL, *d = NULL;
    assert_int_equal(pol__render_load_cube(&run, path, &a), POL_OK);
    assert_int_equal(pol__render_load_cube(&run, path, &b), POL_OK);
    assert_ptr_equal(a, b);
    pol__cube_free(a); /* b still holds it */
    assert_true(b->t3[0] == 0.25f);
    struct timespec pause = {0, 20 * 1000 * 1000};
    nanosleep(&pause, NULL); /* a later modification time, whatever the file system's grain */
    write_cube(path, "0.75"); /* the same size, other numbers */
    assert_int_equal(pol__render_load_cube(&run, path, &c), POL_OK);
    assert_true(c != b);
    assert_true(c->t3[0] == 0.75f);
    assert_true(b->t3[0] == 0.25f); /* the frame that holds the old one keeps it */
    pol__cube_free(b);
    write_cube(other, "0.5");
    assert_int_equal(rename(other, path), 0); /* replaced by another file */
    assert_int_equal(pol__render_load_cube(&run, path, &d), POL_OK);
    assert_true(d->t3[0] == 0.5f);
    pol__cube_free(c), pol__cube_free(d);
    remove(path);
    rmdir(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_srgb_encode),
        cmocka_unit_test(test_curve),
        cmocka_unit_test(test_lut_tetra_exact),
        cmocka_unit_test(test_cube_cache),
        cmocka_unit_test(test_ao_avx2_exact),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
