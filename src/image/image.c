/* polish — the in-memory image: aligned, overflow-checked pixel buffers and deep copies. */
#include <stdlib.h>
#include <string.h>
#include "image/image.h"

float *pol_image_alloc_px(int width, int height, int channels)
{
    if (width <= 0 || height <= 0 || channels <= 0 || channels > 4) return NULL;
    size_t n, bytes;
    if (!pol__mul_ok((size_t)width, (size_t)height, &n) || !pol__mul_ok(n, (size_t)channels, &n) ||
        !pol__mul_ok(n, sizeof(float), &bytes))
        return NULL;
    /* aligned_alloc wants a multiple of the alignment; SIMD loops may read to the end of a line */
    if (bytes > SIZE_MAX - 63) return NULL;
    bytes = (bytes + 63) & ~(size_t)63;
    return aligned_alloc(64, bytes);
}

void pol_image_free_px(float *px) { free(px); }

pol_image *pol_image_new(int width, int height, int channels)
{
    pol_image *im = calloc(1, sizeof *im);
    if (!im) return NULL;
    im->px = pol_image_alloc_px(width, height, channels);
    if (!im->px) {
        free(im);
        return NULL;
    }
    im->width = width;
    im->height = height;
    im->channels = channels;
    im->bit_depth = 8;
    im->orientation = 1;
    im->save.keep_icc = 1;
    return im;
}

void pol_image_free(pol_image *im)
{
    if (!im) return;
    free(im->px);
    free(im->icc);
    free(im->exif);
    free(im->xmp);
    free(im);
}

static int dup_blob(unsigned char **dst, const unsigned char *src, size_t len)
{
    *dst = NULL;
    if (!src || !len) return 1;
    *dst = malloc(len);
    if (!*dst) return 0;
    memcpy(*dst, src, len);
    return 1;
}

pol_image *pol_image_clone(const pol_image *src)
{
    if (!src) return NULL;
    pol_image *im = malloc(sizeof *im);
    if (!im) return NULL;
    *im = *src;
    im->px = NULL;
    im->icc = im->exif = im->xmp = NULL;
    size_t n = (size_t)src->width * (size_t)src->height * (size_t)src->channels;
    int ok = (im->px = pol_image_alloc_px(src->width, src->height, src->channels)) != NULL;
    if (ok) memcpy(im->px, src->px, n * sizeof(float));
    ok = ok && dup_blob(&im->icc, src->icc, src->icc_len);
    ok = ok && dup_blob(&im->exif, src->exif, src->exif_len);
    ok = ok && dup_blob(&im->xmp, src->xmp, src->xmp_len);
    if (!ok) {
        pol_image_free(im);
        return NULL;
    }
    return im;
}

void pol_image_replace_px(pol_image *im, float *px, int width, int height, int channels)
{
    if (im->px != px) free(im->px);
    im->px = px;
    im->width = width;
    im->height = height;
    im->channels = channels;
}
