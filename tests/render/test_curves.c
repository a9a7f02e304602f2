/* polish tests — render: the octave tables that replace per-pixel transcendental functions
 * (sRGB encoding, the AgX curves) stay within a display code value's fraction of the exact
 * function over their whole range, octave edges included. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_srgb_encode),
        cmocka_unit_test(test_curve),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
