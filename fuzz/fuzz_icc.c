/* polish — fuzz target: an embedded ICC profile. What inspection asks of it (description, is it
 * sRGB) and what image.colour does with it (open, build a transform to sRGB, convert a few
 * pixels) for an RGB and a grey image, as lcms2 is given it by every loader. */
#include "fuzz.h"
#include "image/image_io.h"

static void convert(fuzz_ctx *c, const uint8_t *data, size_t size, int channels)
{
    pol__image *im = pol__image_new(4, 3, channels);
    if (!im) return;
    size_t n = (size_t)im->width * im->height * channels;
    for (size_t i = 0; i < n; i++) im->px[i] = (float)(i % 7) / 6.0f;
    im->icc = malloc(size ? size : 1);
    if (im->icc) {
        memcpy(im->icc, data, size);
        im->icc_len = size;
        pol__image_to_srgb(&c->run, im, 0, 1, 1);
        if (im->icc) pol__icc_is_srgb(im->icc, im->icc_len); /* the profile written after */
    }
    pol__image_free(im);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char desc[256];
    pol__icc_describe(data, size, desc, sizeof desc);
    pol__icc_is_srgb(data, size);
    fuzz_ctx c;
    fuzz_ctx_init(&c, "fuzz.icc");
    convert(&c, data, size, 3);
    convert(&c, data, size, 1);
    fuzz_ctx_free(&c);
    return 0;
}
