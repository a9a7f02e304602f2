/* polish — an unchanged PNG written again from its own chunks.
 *
 * When no step changed a pixel, re-encoding a PNG loses nothing but often makes the file larger
 * (an optimised PNG compressed better than libspng's defaults grew 3x). So its image data (IHDR,
 * PLTE, tRNS and the IDAT stream) and the chunks that say how to show it (gAMA, cHRM, sRGB, sBIT,
 * bKGD, ...) are copied byte for byte, and the metadata policy decides the rest: the ICC profile,
 * EXIF and XMP are kept where the policy kept them unchanged, replaced where it changed them
 * (GPS removed from EXIF, a new DPI) and dropped where it removed them; text, time and unknown
 * ancillary chunks stay only under --metadata keep. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>
#include "core/internal.h"
#include "image/image.h"
#include "image/image_io.h"

typedef struct {
    unsigned char *p;
    size_t n, cap;
} obuf;

static int put(obuf *o, const void *d, size_t n)
{
    if (POL_GROW(o->p, o->cap, o->n + n, 4096)) return -1;
    memcpy(o->p + o->n, d, n);
    o->n += n;
    return 0;
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
static int put_chunk(obuf *o, const char type[4], const void *d1, size_t n1, const void *d2,
                     size_t n2)
{
    if (n1 + n2 > 0x7fffffffu) return -1;
    unsigned char h[8];
    be32(h, (uint32_t)(n1 + n2));
    memcpy(h + 4, type, 4);
    uLong crc = crc32(0L, h + 4, 4);
    if (n1) crc = crc32(crc, d1, (uInt)n1);
    if (n2) crc = crc32(crc, d2, (uInt)n2);
    unsigned char c[4];
    be32(c, (uint32_t)crc);
    return put(o, h, 8) || (n1 && put(o, d1, n1)) || (n2 && put(o, d2, n2)) || put(o, c, 4)
               ? -1
               : 0;
}

/* pHYs: `dpi` as pixels per metre, both axes. */
static int put_phys(obuf *o, double dpi)
{
    unsigned char ph[9];
    uint32_t ppm = (uint32_t)(dpi / 0.0254 + 0.5);
    be32(ph, ppm);
    be32(ph + 4, ppm);
    ph[8] = 1; /* the unit is the metre */
    return put_chunk(o, "pHYs", ph, 9, NULL, 0);
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

pol_status pol__png_copy(pol_run *run, const pol__image *im, const pol__meta_out *m, int keep_other,
                         FILE *fp, int *copied)
{
    *copied = 0;
    static const unsigned char sig[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
    unsigned char *src = NULL;
    size_t len = 0;
    pol_status st = pol__read_file(run, im->src_path, 0, &src, &len);
    if (st) return st;
    obuf o = {0};
    int oom = 0, bad = 0, ended = 0, phys_done = 0;
    /* the source's own ICC, EXIF and XMP are kept in place when the policy left them unchanged */
    int icc_same = m->icc && im->icc && m->icc_len == im->icc_len &&
                   !memcmp(m->icc, im->icc, m->icc_len);
    int exif_same = m->exif && im->exif && m->exif_len == im->exif_len &&
                    !memcmp(m->exif, im->exif, m->exif_len);
    int xmp_same = m->xmp && im->xmp && m->xmp_len == im->xmp_len &&
                   !memcmp(m->xmp, im->xmp, m->xmp_len);
    int dpi_same = m->dpi == im->dpi;
    if (len < 8 || memcmp(src, sig, 8) || (m->icc && !icc_same) || (m->xmp && !xmp_same)) {
        bad = 1; /* a profile or XMP that is not the source's: the encoder writes it */
        goto done;
    }
    oom = put(&o, sig, 8) != 0;
    for (size_t at = 8; !oom && !bad && !ended;) {
        if (len - at < 12) {
            bad = 1;
            break;
        }
        uint32_t n = rd32(src + at);
        const unsigned char *t = src + at + 4, *d = src + at + 8;
        if (n > 0x7fffffffu || n > len - at - 12) {
            bad = 1;
            break;
        }
        size_t whole = (size_t)n + 12;
        if ((uint32_t)crc32(crc32(0L, t, 4), d, n) != rd32(d + n) || is(t, "acTL")) {
            bad = 1; /* damaged (read leniently), or animated: encoded again instead */
            break;
        }
        int copy;
        if (is(t, "iCCP"))
            copy = icc_same;
        else if (is(t, "eXIf")) {
            copy = exif_same;
            if (!copy && m->exif) oom = put_chunk(&o, "eXIf", m->exif, m->exif_len, NULL, 0) != 0;
        } else if (is(t, "iTXt") && is_xmp(d, n))
            copy = xmp_same;
        else if (is(t, "pHYs")) {
            copy = dpi_same || m->dpi <= 0;
            phys_done = 1;
            if (!copy) oom = put_phys(&o, m->dpi) != 0;
        } else if (is(t, "IDAT") && !phys_done && m->dpi > 0 && !dpi_same) {
            /* a DPI the source did not have (a print preset): before the image data */
            oom = put_phys(&o, m->dpi) != 0;
            phys_done = 1;
            copy = 1;
        } else
            copy = rendering_chunk(t) || keep_other;
        if (!oom && copy) oom = put(&o, src + at, whole) != 0;
        ended = is(t, "IEND");
        at += whole;
    }
    if (!oom && !ended) bad = 1;
    if (!oom && !bad) {
        if (fwrite(o.p, 1, o.n, fp) != o.n)
            st = pol__fail(run, POL_ERR_IO, "writing PNG failed");
        else
            *copied = 1;
    }
done: /* bad: not copied, and nothing written; the caller encodes the pixels instead */
    if (oom) st = pol__fail(run, POL_ERR_NOMEM, "out of memory");
    free(o.p);
    free(src);
    return st;
}
