/* polish — BMP read with stb_image (Debian's libstb; Debian packages no other BMP library):
 * 1 to 32 bits a pixel, palettes, bit fields, alpha when the file has it. */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <stb_image.h>
#include "image/image_io.h"

static uint32_t le32(const unsigned char *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

pol_status pol__bmp_load(pol_run *run, const char *path, const pol__image_load_opts *o,
                         pol__image **out)
{
    *out = NULL;
    FILE *fp = fopen(path, "rb");
    if (!fp) return pol__fail(run, POL_ERR_IO, "cannot open");
    struct stat sb;
    if (fstat(fileno(fp), &sb) != 0 || sb.st_size <= 0 || (uint64_t)sb.st_size > INT32_MAX) {
        fclose(fp);
        return pol__fail(run, POL_ERR_LIMIT, "BMP file of %lld bytes cannot be read",
                         (long long)sb.st_size);
    }
    size_t len = (size_t)sb.st_size;
    unsigned char *buf = malloc(len);
    if (!buf) {
        fclose(fp);
        return pol__fail(run, POL_ERR_NOMEM, "out of memory reading %zu bytes", len);
    }
    size_t got = fread(buf, 1, len, fp);
    fclose(fp);
    pol_status st = POL_OK;
    pol__image *im = NULL;
    unsigned char *px = NULL;
    int w = 0, h = 0, comp = 0;
    if (got != len) {
        st = pol__fail(run, POL_ERR_IO, "cannot read the whole file");
        goto done;
    }
    /* The header first: sizes go through the run's limits before anything is decoded. */
    if (!stbi_info_from_memory(buf, (int)len, &w, &h, &comp)) {
        st = pol__fail(run, POL_ERR_CORRUPT, "damaged BMP header: %s", stbi_failure_reason());
        goto done;
    }
    if ((st = pol__image_check_limits(run, o, (uint64_t)w, (uint64_t)h, 1, "BMP"))) goto done;
    /* stb_image reads zeros past the end of the data: a cut uncompressed file (BI_RGB or bit
     * fields, info header of 40 bytes and more) is caught here, from the header's own sizes. */
    if (len >= 34 && le32(buf + 14) >= 40) {
        uint32_t off = le32(buf + 10), comp_kind = le32(buf + 30);
        unsigned bpp = (unsigned)buf[28] | (unsigned)buf[29] << 8;
        uint64_t row = ((uint64_t)w * bpp + 31) / 32 * 4, need = off + row * (uint64_t)h;
        if ((comp_kind == 0 || comp_kind == 3) && need > len &&
            !(o && o->lenient)) {
            st = pol__fail(run, POL_ERR_CORRUPT,
                           "damaged BMP: the pixels need %llu bytes, the file has %zu (use "
                           "--lenient to keep what can be read)",
                           (unsigned long long)need, len);
            goto done;
        }
    }
    px = stbi_load_from_memory(buf, (int)len, &w, &h, &comp, 0);
    if (!px) {
        const char *why = stbi_failure_reason();
        st = pol__fail(run, why && !strcmp(why, "outofmem") ? POL_ERR_NOMEM : POL_ERR_CORRUPT,
                       "damaged BMP: %s", why ? why : "unreadable");
        goto done;
    }
    if (comp < 1 || comp > 4) {
        st = pol__fail(run, POL_ERR_UNSUPPORTED, "BMP with %d channels", comp);
        goto done;
    }
    im = pol__image_new(w, h, comp);
    if (!im) {
        st = pol__fail(run, POL_ERR_NOMEM, "out of memory for %dx%d pixels", w, h);
        goto done;
    }
    for (int y = 0; y < h; y++) {
        float *row = pol__image_row(im, y);
        const unsigned char *s = px + (size_t)y * (size_t)w * (size_t)comp;
        for (size_t i = 0; i < (size_t)w * (size_t)comp; i++) row[i] = pol__u8_to_float[s[i]];
    }
    memcpy(im->format, "bmp", 4);
    im->bit_depth = 8;
    im->orientation = 1;
    im->srgb = 1;
    *out = im;
    im = NULL;
done:
    stbi_image_free(px);
    free(buf);
    pol__image_free(im);
    return st;
}
