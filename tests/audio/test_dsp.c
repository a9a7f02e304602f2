/* polish tests — audio DSP blocks: the true-peak detector run on blocks (pol__tp_block) gives
 * the per-frame detector's points to the bit, and its skip never hides a point that reaches the
 * floor (signals whose inter-sample peaks sit just above and just below it, with every sample
 * under it), nor does the per-frame detector's (pol__tp_push, inspect's); the K-weighting of
 * channel pairs in vectors gives the one-channel-at-a-time energies to the bit, and shared by the
 * ops of a streamed pass the energies of one meter over the whole signal; the analysis
 * inspect streams gives the same figures whatever the blocks it is fed in. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "audio/audio.h"

static uint32_t rng = 12345;
static float noise(void) /* uniform in [-1, 1) */
{
    rng = rng * 1664525u + 1013904223u;
    return (float)((double)(rng >> 8) / (double)(1u << 23) - 1.0);
}

/* frames of nc channels: channel 0 a quarter-rate sine at 45 degrees (every sample at 0.707 of
 * its peak, the peaks between samples) of amplitude a, the others noise of amplitude b */
static float *signal(size_t n, int nc, float a, float b)
{
    float *x = malloc(n * (size_t)nc * sizeof *x);
    assert_non_null(x);
    for (size_t i = 0; i < n; i++) {
        x[i * (size_t)nc] = a * (float)sin(M_PI / 2 * (double)i + M_PI / 4);
        for (int c = 1; c < nc; c++) x[i * (size_t)nc + (size_t)c] = b * noise();
    }
    return x;
}

/* the per-frame detector interpolating every point: the reference */
static float *reference(const float *x, size_t n, int nc)
{
    pol__truepeak t;
    assert_true(pol__tp_init(&t, nc));
    float *r = malloc(n * sizeof *r);
    assert_non_null(r);
    for (size_t i = 0; i < n; i++) r[i] = pol__tp_push(&t, x + i * (size_t)nc, 0);
    pol__tp_fini(&t);
    return r;
}

/* pol__tp_block over x in calls of the sizes in `cuts` (cycled) */
static float *blocks(const float *x, size_t n, int nc, float floor)
{
    static const size_t cuts[] = {1, 7, 1024, 3, 1500, 16, 2048, 9};
    pol__truepeak t;
    assert_true(pol__tp_init(&t, nc));
    float *p = malloc(n * sizeof *p);
    assert_non_null(p);
    size_t at = 0;
    for (size_t k = 0; at < n; k++) {
        size_t m = cuts[k % POL_ARRAY_LEN(cuts)];
        if (m > n - at) m = n - at;
        pol__tp_block(&t, x + at * (size_t)nc, m, floor, p + at);
        at += m;
    }
    pol__tp_fini(&t);
    return p;
}

/* pol__tp_push frame by frame with `floor` (inspect's detector) */
static float *pushes(const float *x, size_t n, int nc, float floor)
{
    pol__truepeak t;
    assert_true(pol__tp_init(&t, nc));
    float *p = malloc(n * sizeof *p);
    assert_non_null(p);
    for (size_t i = 0; i < n; i++) p[i] = pol__tp_push(&t, x + i * (size_t)nc, floor);
    pol__tp_fini(&t);
    return p;
}

static float sample_peak(const float *f, int nc)
{
    float a = 0;
    for (int c = 0; c < nc; c++) a = fmaxf(a, fabsf(f[c]));
    return a;
}

/* floor 0: nothing is skipped, every frame's value is the per-frame detector's */
static void test_tp_block_exact(void **state)
{
    (void)state;
    for (int nc = 1; nc <= 3; nc++) {
        size_t n = 6000;
        float *x = signal(n, nc, 0.8f, 0.9f);
        for (size_t i = 0; i < n; i++) x[i * (size_t)nc] += 0.1f * noise();
        float *r = reference(x, n, nc), *p = blocks(x, n, nc, 0);
        for (size_t i = 0; i < n; i++) assert_true(p[i] == r[i]);
        free(x);
        free(r);
        free(p);
    }
}

/* Inter-sample peaks just above the floor with every sample well under it (0.72 of it): those
 * frames must be interpolated (a skip decided on the samples alone would give 0.72); just under
 * it, frames may be skipped but never report more than the true value or less than the sample
 * peak. Far under it (no point can reach it by the proven bound), every frame is skipped. */
static void tp_skip(float *(*detect)(const float *, size_t, int, float))
{
    const float floor = 0.3f;
    size_t n = 5000;
    for (int nc = 1; nc <= 2; nc++) {
        float *u = signal(n, nc, 1, 0);
        float *ru = reference(u, n, nc);
        float top = 0;
        for (size_t i = 100; i < n; i++) top = fmaxf(top, ru[i]); /* past the start's ringing */
        free(u);
        free(ru);
        const float scale[] = {1.001f, 0.999f};
        for (int s = 0; s < 2; s++) {
            float a = scale[s] * floor / top;
            float *x = signal(n, nc, a, 0.2f * a);
            float *r = reference(x, n, nc), *p = detect(x, n, nc, floor);
            size_t reached = 0;
            for (size_t i = 0; i < n; i++) {
                const float *f = x + i * (size_t)nc;
                assert_true(sample_peak(f, nc) < 0.75f * floor);
                if (r[i] >= floor) {
                    reached += i >= 100;
                    assert_true(p[i] == r[i]);
                } else {
                    assert_true(p[i] <= r[i] && p[i] >= sample_peak(f, nc));
                }
            }
            if (s == 0) assert_true(reached > n / 4);
            else assert_int_equal(reached, 0);
            free(x);
            free(r);
            free(p);
        }
        /* far under: the bound proves every window safe, so only sample peaks come back */
        float bound = pol__tp_bound();
        assert_true(bound >= 1 && bound < 2);
        float *x = signal(n, nc, 0.99f * floor / bound, 0.5f * floor / bound);
        float *p = detect(x, n, nc, floor);
        for (size_t i = 0; i < n; i++) assert_true(p[i] == sample_peak(x + i * (size_t)nc, nc));
        free(x);
        free(p);
    }
}

static void test_tp_block_skip(void **state)
{
    (void)state;
    tp_skip(blocks);
}

/* inspect's per-frame detector proves its skip the same way (it once looked only at the two
 * middle taps, and the peaks between them went unseen) */
static void test_tp_push_skip(void **state)
{
    (void)state;
    tp_skip(pushes);
}

/* K-weighted energy a frame, one channel after another (the meter's definition) */
static void kw_reference(int nc, double rate, const float *x, size_t n, double *e)
{
    pol__biquad s, h;
    pol__kweight(rate, &s, &h);
    double z[8][4] = {{0}}, w[8];
    for (int c = 0; c < nc; c++) w[c] = 1;
    if (nc == 6) {
        w[3] = 0;
        w[4] = w[5] = 1.41;
    }
    for (size_t i = 0; i < n; i++) {
        e[i] = 0;
        for (int c = 0; c < nc; c++) {
            double v = x[i * (size_t)nc + (size_t)c], *q = z[c];
            double y1 = s.b0 * v + q[0];
            q[0] = s.b1 * v - s.a1 * y1 + q[1];
            q[1] = s.b2 * v - s.a2 * y1;
            double y2 = h.b0 * y1 + q[2];
            q[2] = h.b1 * y1 - h.a1 * y2 + q[3];
            q[3] = h.b2 * y1 - h.a2 * y2;
            e[i] += w[c] * y2 * y2;
        }
    }
}

static void test_kw_block(void **state)
{
    (void)state;
    const int counts[] = {1, 2, 3, 6};
    size_t n = 9000;
    for (size_t t = 0; t < POL_ARRAY_LEN(counts); t++) {
        int nc = counts[t];
        float *x = malloc(n * (size_t)nc * sizeof *x);
        double *r = malloc(n * sizeof *r), *e = malloc(n * sizeof *e);
        assert_true(x && r && e);
        for (size_t i = 0; i < n * (size_t)nc; i++) x[i] = 0.5f * noise();
        kw_reference(nc, 44100, x, n, r);
        pol__loudmeter *m = pol__loud_new(nc, 44100);
        assert_non_null(m);
        size_t at = 0, step = 1;
        while (at < n) { /* blocks of 1, 3, 9, ... frames */
            size_t k = step < n - at ? step : n - at;
            pol__loud_kw_block(m, x + at * (size_t)nc, k, e + at);
            at += k;
            step *= 3;
        }
        for (size_t i = 0; i < n; i++) assert_true(e[i] == r[i]);
        pol__loud_free(m);
        free(x);
        free(r);
        free(e);
    }
}

/* The K-weighting shared by the ops measuring in one streamed pass (pol__chunk_kw): over chunks
 * of several sizes, two ops asking for each chunk in turn both get the energies one meter gives
 * over the whole signal, to the bit (the filters run once, in order, across the chunks); a block
 * without shared filters gives none (the op filters itself); a chunk that skips frames fails. */
static void test_chunk_kw(void **state)
{
    (void)state;
    const int nc = 2, rate = 48000;
    const size_t sizes[] = {4096, 1, 777, 30000, 5};
    size_t n = 0;
    for (size_t k = 0; k < POL_ARRAY_LEN(sizes); k++) n += sizes[k];
    float *x = malloc(n * (size_t)nc * sizeof *x);
    double *r = malloc(n * sizeof *r);
    assert_true(x && r);
    for (size_t i = 0; i < n * (size_t)nc; i++) x[i] = 0.5f * noise();
    pol__loudmeter *m = pol__loud_new(nc, rate);
    assert_non_null(m);
    pol__loud_kw_block(m, x, n, r);
    pol__loud_free(m);
    pol_err err;
    pol_err_clear(&err);
    pol_run run = {.err = &err};
    pol__akw kw = {0};
    size_t at = 0;
    for (size_t k = 0; k < POL_ARRAY_LEN(sizes); k++) {
        /* a block with context around the core, as the reader gives it */
        size_t pre = at < 100 ? at : 100;
        pol__ablock b = {.x = x + (at - pre) * (size_t)nc, .channels = nc, .rate = rate,
                         .total = n, .s0 = at - pre, .len = pre + sizes[k], .kw = &kw};
        pol__chunk c = {.data = &b, .start = at, .n = sizes[k], .pre = pre};
        for (int op = 0; op < 2; op++) {
            const double *e = NULL;
            assert_int_equal(pol__chunk_kw(&run, &c, &e), POL_OK);
            assert_non_null(e);
            for (size_t i = 0; i < sizes[k]; i++) assert_true(e[i] == r[at + i]);
        }
        at += sizes[k];
    }
    /* no shared filters: none given */
    pol__ablock b0 = {.x = x, .channels = nc, .rate = rate, .total = n, .len = 10};
    pol__chunk c0 = {.data = &b0, .start = 0, .n = 10};
    const double *e0 = r;
    assert_int_equal(pol__chunk_kw(&run, &c0, &e0), POL_OK);
    assert_null(e0);
    /* frames skipped: the filters cannot give them */
    pol__ablock b1 = {.x = x, .channels = nc, .rate = rate, .total = n + 50, .s0 = n + 10,
                      .len = 10, .kw = &kw};
    pol__chunk c1 = {.data = &b1, .start = n + 10, .n = 10};
    assert_int_not_equal(pol__chunk_kw(&run, &c1, &e0), POL_OK);
    pol__akw_fini(&kw);
    free(x);
    free(r);
}

/* The analysis fed in blocks of 65536 (what inspect reads), 4093 and 1000 frames gives exactly
 * the figures of one block of the whole signal (what inspecting a loaded item does): bursts of
 * noise with pauses between them, 50 Hz hum with harmonics, a few clipped runs. */
static void analyse_in(const float *x, size_t n, int nc, int rate, size_t block, pol__afindings *f)
{
    pol__aanalysis *a = pol__aan_new(nc, rate, POL_AAN_LOUDNESS);
    assert_non_null(a);
    for (size_t at = 0; at < n; at += block)
        pol__aan_add(a, x + at * (size_t)nc, n - at < block ? n - at : block);
    memset(f, 0, sizeof *f); /* padding too, for the comparison */
    pol__aan_finish(a, f);
    pol__aan_free(a);
}

static void test_analysis_blocks(void **state)
{
    (void)state;
    const int nc = 2, rate = 16000;
    size_t n = (size_t)rate * 40;
    float *x = malloc(n * (size_t)nc * sizeof *x);
    assert_non_null(x);
    for (size_t i = 0; i < n; i++) {
        double t = (double)i / rate;
        int on = (int)(t / 1.3) % 3 != 2; /* 2.6 s of "speech", 1.3 s of pause */
        double env = on ? 0.3 * (0.6 + 0.4 * sin(2 * M_PI * 3 * t)) : 0.003;
        double hum = 0.01 * (sin(2 * M_PI * 50 * t) + 0.5 * sin(2 * M_PI * 150 * t));
        for (int c = 0; c < nc; c++) {
            double v = env * noise() + hum + (c ? 0.001 : 0);
            if (i % 50000 < 4) v = 1.0; /* a clipped run */
            x[i * (size_t)nc + (size_t)c] = (float)v;
        }
    }
    pol__afindings whole, f;
    analyse_in(x, n, nc, rate, n, &whole);
    assert_true(whole.pauses > 5 && whole.hum_hz > 49 && whole.hum_hz < 51 && whole.clipped > 0);
    const size_t blocks[] = {65536, 4093, 1000};
    for (size_t k = 0; k < POL_ARRAY_LEN(blocks); k++) {
        analyse_in(x, n, nc, rate, blocks[k], &f);
        assert_memory_equal(&f, &whole, sizeof f);
    }
    free(x);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tp_block_exact),
        cmocka_unit_test(test_tp_block_skip),
        cmocka_unit_test(test_tp_push_skip),
        cmocka_unit_test(test_kw_block),
        cmocka_unit_test(test_chunk_kw),
        cmocka_unit_test(test_analysis_blocks),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
