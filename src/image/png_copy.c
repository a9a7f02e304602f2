/* polish — an unchanged PNG written again from its own chunks.
 *
 * When no step changed a pixel, re-encoding a PNG loses nothing but often makes the file larger
 * (an optimised PNG compressed better than libspng's defaults grew 3x). So its image data (IHDR,
 * PLTE, tRNS and the IDAT stream) and the chunks that say how to show it (gAMA, cHRM, sRGB, sBIT,
 * bKGD, ...) are copied byte for byte, and the metadata policy decides the rest: the ICC profile,
 * EXIF and XMP are kept where the policy kept them unchanged, replaced where it changed them
 * (GPS removed from EXIF, a new DPI) and dropped where it removed them; text, time and unknown
 * ancillary chunks stay only under --metadata keep. The file is read twice (its CRCs checked
 * first, then copied) through one 64 KB buffer, so a large PNG is never held. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>
#include "core/internal.h"
#include "image/image.h"
#include "image/image_io.h"

typedef struct {
    FILE *f;
    int failed; /* a write failed */
} sink;

static void put(sink *o, const void *d, size_t n)
{
    if (!o->failed && n && fwrite(d, 1, n, o->f) != n) o->failed = 1;
}

static void be32(unsigned char *b, uint32_t v)
{
    b[0] = (unsigned char)(v >> 24);
    b[1] = (unsigned char)(v >> 16);
    b[2] = (unsigned char)(v >> 8);
    b[3] = (unsigned char)v;
}

static uint32_t rd32(const unsigned char *b)
{
    return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
}

/* A new chunk: length, type, data, CRC over type and data. */
static void put_chunk(sink *o, const char type[4], const void *d, size_t n)
{
    if (n > 0x7fffffffu) {
        o->failed = 1;
        return;
    }
    unsigned char h[8], c[4];
    be32(h, (uint32_t)n);
    memcpy(h + 4, type, 4);
    uLong crc = crc32(0L, h + 4, 4);
    if (n) crc = crc32(crc, d, (uInt)n);
    be32(c, (uint32_t)crc);
    put(o, h, 8);
    put(o, d, n);
    put(o, c, 4);
}

/* pHYs: `dpi` as pixels per metre, both axes. */
static void put_phys(sink *o, double dpi)
{
    unsigned char ph[9];
    uint32_t ppm = (uint32_t)(dpi / 0.0254 + 0.5);
    be32(ph, ppm);
    be32(ph + 4, ppm);
    ph[8] = 1; /* the unit is the metre */
    put_chunk(o, "pHYs", ph, 9);
}

static int is(const unsigned char *t, const char *name) { return !memcmp(t, name, 4); }

/* Chunks that are the picture or say how to show it: copied whatever the policy. */
static int rendering_chunk(const unsigned char *t)
{
    static const char *const keep[] = {"IHDR", "PLTE", "IDAT", "IEND", "tRNS", "gAMA", "cHRM",
                                       "sRGB", "sBIT", "bKGD", "hIST", "sPLT", "cICP", "mDCv",
                                       "cLLi", "oFFs", "sCAL", "pCAL"};
    for (size_t i = 0; i < sizeof keep / sizeof *keep; i++)
        if (is(t, keep[i])) return 1;
    return 0;
}

static const char xmp_key[] = "XML:com.adobe.xmp";

static int is_xmp(const unsigned char *d, uint32_t n)
{
    return n > sizeof xmp_key && !memcmp(d, xmp_key, sizeof xmp_key); /* keyword and its NUL */
}

enum { BUF = 1 << 16 };

/* The first pass: a signature, chunks whose CRCs hold up to an IEND, no animation. Nothing is held
 * but one buffer: the file is read again to be copied. */
static int copyable(FILE *in, unsigned char *buf)
{
    static const unsigned char sig[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
    unsigned char h[8];
    if (fread(h, 1, 8, in) != 8 || memcmp(h, sig, 8)) return 0;
    for (;;) {
        if (fread(h, 1, 8, in) != 8) return 0;
        uint32_t n = rd32(h);
        if (n > 0x7fffffffu || is(h + 4, "acTL")) return 0; /* animated: encoded again instead */
        uLong crc = crc32(0L, h + 4, 4);
        for (uint32_t left = n; left;) {
            size_t k = left < BUF ? left : BUF;
            if (fread(buf, 1, k, in) != k) return 0;
            crc = crc32(crc, buf, (uInt)k);
            left -= (uint32_t)k;
        }
        if (fread(buf, 1, 4, in) != 4 || rd32(buf) != (uint32_t)crc) return 0; /* damaged */
        if (is(h + 4, "IEND")) return 1;
    }
}

pol_status pol__png_copy(pol_run *run, const pol__image *im, const pol__meta_out *m, int keep_other,
                         FILE *fp, int *copied)
{
    *copied = 0;
    /* the source's own ICC, EXIF and XMP are kept in place when the policy left them unchanged */
    int icc_same = m->icc && im->icc && m->icc_len == im->icc_len &&
                   !memcmp(m->icc, im->icc, m->icc_len);
    int exif_same = m->exif && im->exif && m->exif_len == im->exif_len &&
                    !memcmp(m->exif, im->exif, m->exif_len);
    int xmp_same = m->xmp && im->xmp && m->xmp_len == im->xmp_len &&
                   !memcmp(m->xmp, im->xmp, m->xmp_len);
    int dpi_same = m->dpi == im->dpi;
    if ((m->icc && !icc_same) || (m->xmp && !xmp_same))
        return POL_OK; /* a profile or XMP that is not the source's: the encoder writes it */
    FILE *in = fopen(im->src_path, "rb");
    if (!in) return pol__fail(run, POL_ERR_IO, "cannot reopen %s to copy it: %s", im->src_path,
                              strerror(errno));
    unsigned char *buf = malloc(BUF);
    pol_status st = POL_OK;
    if (!buf) {
        st = pol__fail(run, POL_ERR_NOMEM, "out of memory");
    } else if (copyable(in, buf) && fseek(in, 8, SEEK_SET) == 0) {
        /* bad: not copied, and nothing written; the caller encodes the pixels instead */
        sink o = {fp, 0};
        int ended = 0, phys_done = 0, bad = 0;
        put(&o, "\x89PNG\r\n\x1a\n", 8);
        while (!o.failed && !bad && !ended) {
            unsigned char h[8], peek[sizeof xmp_key];
            if (fread(h, 1, 8, in) != 8) {
                bad = 1;
                break;
            }
            const unsigned char *t = h + 4;
            uint32_t n = rd32(h);
            int copy, xmp = 0;
            if (is(t, "iTXt") && n > sizeof xmp_key) { /* XMP? its keyword, then back */
                long at = ftell(in);
                xmp = fread(peek, 1, sizeof peek, in) == sizeof peek && is_xmp(peek, n);
                if (at < 0 || fseek(in, at, SEEK_SET) != 0) bad = 1;
            }
            if (is(t, "iCCP"))
                copy = icc_same;
            else if (is(t, "eXIf")) {
                copy = exif_same;
                if (!copy && m->exif) put_chunk(&o, "eXIf", m->exif, m->exif_len);
            } else if (xmp)
                copy = xmp_same;
            else if (is(t, "pHYs")) {
                copy = dpi_same || m->dpi <= 0;
                phys_done = 1;
                if (!copy) put_phys(&o, m->dpi);
            } else if (is(t, "IDAT") && !phys_done && m->dpi > 0 && !dpi_same) {
                put_phys(&o, m->dpi); /* a DPI the source did not have: before the image data */
                phys_done = 1;
                copy = 1;
            } else
                copy = rendering_chunk(t) || keep_other;
            if (copy) {
                put(&o, h, 8);
                for (uint64_t left = (uint64_t)n + 4; left && !bad && !o.failed;) {
                    size_t k = left < BUF ? (size_t)left : BUF;
                    if (fread(buf, 1, k, in) != k) bad = 1;
                    put(&o, buf, k);
                    left -= k;
                }
            } else if (fseek(in, (long)n + 4, SEEK_CUR) != 0) {
                bad = 1;
            }
            ended = is(t, "IEND");
        }
        if (o.failed)
            st = pol__fail(run, POL_ERR_IO, "writing PNG failed");
        else if (bad) /* the file changed under us after the first pass */
            st = pol__fail(run, POL_ERR_IO, "%s changed while it was being copied", im->src_path);
        else
            *copied = 1;
    }
    free(buf);
    fclose(in);
    return st;
}
