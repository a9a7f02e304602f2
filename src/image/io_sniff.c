/* polish — recognising image formats by their first bytes, and mapping extensions to formats. */
#include <string.h>
#include <strings.h>
#include "image/image_io.h"

/* ISO-BMFF brands: the major brand, then the compatible ones, decide HEIF versus AVIF. */
static const char *bmff_format(const unsigned char *h, size_t n)
{
    if (n < 16 || memcmp(h + 4, "ftyp", 4) != 0) return NULL;
    size_t box = (size_t)h[0] << 24 | (size_t)h[1] << 16 | (size_t)h[2] << 8 | h[3];
    if (box < 16 || box > n) box = n;
    const char *fmt = NULL;
    for (size_t at = 8; at + 4 <= box; at += at == 8 ? 8 : 4) {
        const unsigned char *b = h + at;
        if (!memcmp(b, "avif", 4) || !memcmp(b, "avis", 4)) return "avif";
        if (!memcmp(b, "heic", 4) || !memcmp(b, "heix", 4) || !memcmp(b, "hevc", 4) ||
            !memcmp(b, "hevx", 4) || !memcmp(b, "heim", 4) || !memcmp(b, "heis", 4))
            fmt = "heif";
        if (!fmt && (!memcmp(b, "mif1", 4) || !memcmp(b, "msf1", 4))) fmt = "heif";
    }
    return fmt;
}

const char *pol__image_sniff_format(const unsigned char *h, size_t n)
{
    if (n >= 3 && h[0] == 0xFF && h[1] == 0xD8 && h[2] == 0xFF) return "jpeg";
    if (n >= 8 && !memcmp(h, "\x89PNG\r\n\x1a\n", 8)) return "png";
    if (n >= 12 && !memcmp(h, "RIFF", 4) && !memcmp(h + 8, "WEBP", 4)) return "webp";
    if (n >= 4 && (!memcmp(h, "II*\0", 4) || !memcmp(h, "MM\0*", 4) || !memcmp(h, "II+\0", 4) ||
                   !memcmp(h, "MM\0+", 4)))
        return "tiff";
    if (n >= 6 && (!memcmp(h, "GIF87a", 6) || !memcmp(h, "GIF89a", 6))) return "gif";
    /* BMP: "BM", then the size of the info header at offset 14 (one of the known versions). */
    if (n >= 18 && h[0] == 'B' && h[1] == 'M') {
        unsigned hs = (unsigned)h[14] | (unsigned)h[15] << 8 | (unsigned)h[16] << 16 |
                      (unsigned)h[17] << 24;
        if (hs == 12 || hs == 16 || hs == 40 || hs == 52 || hs == 56 || hs == 64 || hs == 108 ||
            hs == 124)
            return "bmp";
    }
    return bmff_format(h, n);
}

static const struct {
    const char *ext, *format;
} ext_map[] = {
    {"jpg", "jpeg"},  {"jpeg", "jpeg"}, {"jpe", "jpeg"}, {"jfif", "jpeg"},
    {"png", "png"},   {"webp", "webp"}, {"tif", "tiff"}, {"tiff", "tiff"},
    {"heic", "heif"}, {"heif", "heif"}, {"hif", "heif"}, {"avif", "avif"},
    {"gif", "gif"},   {"bmp", "bmp"},   {"dib", "bmp"},
};

const char *pol__image_format_of_ext(const char *ext)
{
    if (!ext) return NULL;
    for (size_t i = 0; i < POL_ARRAY_LEN(ext_map); i++)
        if (strcasecmp(ext, ext_map[i].ext) == 0) return ext_map[i].format;
    return NULL;
}

const char *pol__image_ext_of_format(const char *format)
{
    if (!strcmp(format, "jpeg")) return "jpg";
    if (!strcmp(format, "tiff")) return "tif";
    if (!strcmp(format, "heif")) return "heic";
    return format;
}
