/* polish — helpers shared by the image I/O and geometry tests: runs, temp folders, test images. */
#ifndef POLISH_TEST_IO_UTIL_H
#define POLISH_TEST_IO_UTIL_H

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "image/image_io.h"
#include "core/args.h"
#include "../common/test_run.h"

#define SKIMAGE "/usr/lib/python3/dist-packages/skimage/data/"

/* Deterministic pseudo-random numbers (xorshift) so failures reproduce. */
static inline double trand(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return (double)(*s >> 11) / 9007199254740992.0;
}

/* A photo from python3-skimage (RGB, 8-bit), loaded with our PNG reader. */
static inline pol__image *load_photo(tctx *t, const char *name)
{
    char path[256];
    snprintf(path, sizeof path, SKIMAGE "%s", name);
    pol__image *im = NULL;
    pol_status st = pol__image_load_path(&t->run, path, &im);
    if (st) fail_msg("loading %s: %s", path, t->err.msg);
    return im;
}

/* Mean and max absolute difference over all samples of two same-shaped images. */
static inline double mean_abs_diff(const pol__image *a, const pol__image *b, double *max)
{
    assert_int_equal(a->width, b->width);
    assert_int_equal(a->height, b->height);
    assert_int_equal(a->channels, b->channels);
    size_t n = (size_t)a->width * a->height * a->channels;
    double sum = 0, mx = 0;
    for (size_t i = 0; i < n; i++) {
        double d = fabs((double)a->px[i] - b->px[i]);
        sum += d;
        if (d > mx) mx = d;
    }
    if (max) *max = mx;
    return sum / (double)n;
}

static inline double srgb_to_lin(double v)
{
    return v <= 0.04045 ? v / 12.92 : pow((v + 0.055) / 1.055, 2.4);
}

static inline double lin_to_srgb(double v)
{
    return v <= 0.0031308 ? v * 12.92 : 1.055 * pow(v, 1 / 2.4) - 0.055;
}

/* A minimal little-endian EXIF block: IFD0 with Orientation (and optionally identity tags),
 * an Exif IFD with a body serial number and a GPS IFD with a latitude. */
typedef struct exif_builder {
    unsigned char b[1024];
    size_t n;
} exif_builder;

static inline void eb16(unsigned char *p, unsigned v)
{
    p[0] = v & 255, p[1] = (v >> 8) & 255;
}
static inline void eb32(unsigned char *p, uint32_t v)
{
    for (int i = 0; i < 4; i++) p[i] = (v >> (8 * i)) & 255;
}

/* Appends bytes, returning their offset. */
static inline uint32_t eb_data(exif_builder *e, const void *d, size_t len)
{
    uint32_t at = (uint32_t)e->n;
    memcpy(e->b + e->n, d, len);
    e->n += len + (len & 1);
    return at;
}

static inline size_t make_exif(unsigned char *out, int orientation, int with_private)
{
    exif_builder e;
    memset(&e, 0, sizeof e);
    memcpy(e.b, "II*\0", 4);
    eb32(e.b + 4, 8);
    int n0 = with_private ? 5 : 1;
    size_t ifd0 = 8, ifd0_len = 2 + (size_t)n0 * 12 + 4;
    size_t exif_ifd = ifd0 + ifd0_len, exif_len = 2 + 12 + 4;
    size_t gps_ifd = exif_ifd + exif_len, gps_len = 2 + 2 * 12 + 4;
    e.n = with_private ? gps_ifd + gps_len : ifd0 + ifd0_len;
    unsigned char *p = e.b + ifd0;
    eb16(p, (unsigned)n0);
    p += 2;
    eb16(p, 0x0112), eb16(p + 2, 3), eb32(p + 4, 1), eb16(p + 8, (unsigned)orientation);
    p += 12;
    if (with_private) {
        uint32_t artist = eb_data(&e, "Jane Doe", 9), copy = eb_data(&e, "(c) Jane Doe 2024", 18);
        uint32_t serial = eb_data(&e, "SERIAL123456", 13);
        uint32_t lat_at = (uint32_t)e.n;
        uint32_t lat[6] = {48, 1, 51, 1, 30, 1};
        for (int i = 0; i < 6; i++) eb32(e.b + e.n + 4 * i, lat[i]);
        e.n += 24;
        eb16(p, 0x013b), eb16(p + 2, 2), eb32(p + 4, 9), eb32(p + 8, artist);
        p += 12;
        eb16(p, 0x8298), eb16(p + 2, 2), eb32(p + 4, 18), eb32(p + 8, copy);
        p += 12;
        eb16(p, 0x8769), eb16(p + 2, 4), eb32(p + 4, 1), eb32(p + 8, (uint32_t)exif_ifd);
        p += 12;
        eb16(p, 0x8825), eb16(p + 2, 4), eb32(p + 4, 1), eb32(p + 8, (uint32_t)gps_ifd);
        p += 12;
        eb32(p, 0);
        p = e.b + exif_ifd;
        eb16(p, 1);
        eb16(p + 2, 0xa431), eb16(p + 4, 2), eb32(p + 6, 13), eb32(p + 10, serial);
        eb32(p + 14, 0);
        p = e.b + gps_ifd;
        eb16(p, 2);
        p += 2;
        eb16(p, 0x0001), eb16(p + 2, 2), eb32(p + 4, 2), memcpy(p + 8, "N\0\0\0", 4);
        p += 12;
        eb16(p, 0x0002), eb16(p + 2, 5), eb32(p + 4, 3), eb32(p + 8, lat_at);
        p += 12;
        eb32(p, 0);
    } else {
        eb32(p, 0);
    }
    memcpy(out, e.b, e.n);
    return e.n;
}

static inline int mem_has(const unsigned char *hay, size_t n, const char *needle)
{
    size_t k = strlen(needle);
    for (size_t i = 0; hay && i + k <= n; i++)
        if (!memcmp(hay + i, needle, k)) return 1;
    return 0;
}

#endif
