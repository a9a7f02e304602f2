/* polish — fuzz target: one image codec's loader on arbitrary bytes, without the sniffing in
 * front (-DFUZZ_CODEC=jpeg|png|webp|tiff|heif). A load that fails strictly is tried again as
 * --lenient does; a loaded image then goes through what saving does with its metadata (the EXIF
 * filter, libexif) and what inspection asks of its ICC profile (lcms2). JPEG is also decoded at
 * 1/8 scale (the DCT scaling path). Must fail cleanly, never crash, leak or hang. */
#include "fuzz.h"
#include "image/image_io.h"

#define CAT2(a, b, c) a##b##c
#define CAT(a, b, c) CAT2(a, b, c)
#define LOADER CAT(pol__, FUZZ_CODEC, _load)
#define STR2(x) #x
#define STR(x) STR2(x)

static void after_load(fuzz_ctx *c, pol__image *im)
{
    if (im->icc) {
        char desc[256];
        pol__icc_describe(im->icc, im->icc_len, desc, sizeof desc);
        pol__icc_is_srgb(im->icc, im->icc_len);
    }
    pol__exif_has_gps(im->exif, im->exif_len);
    pol__xmp_has_gps(im->xmp, im->xmp_len);
    pol__meta_out m;
    if (pol__image_meta_prepare(&c->run, im, &m) == POL_OK) pol__image_meta_release(&m);
}

static void load(const char *path, int lenient, int shrink, int *status)
{
    fuzz_ctx c;
    fuzz_ctx_init(&c, path);
    c.opt.lenient = lenient;
    pol__image_load_opts o = {shrink, lenient, &c.opt.limits};
    pol__image *im = NULL;
    *status = LOADER(&c.run, path, &o, &im);
    if (*status == POL_OK) {
        if (!im || im->width <= 0 || im->height <= 0 || !im->px) abort(); /* OK means an image */
        after_load(&c, im);
    }
    pol__image_free(im);
    fuzz_ctx_free(&c);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char path[256];
    if (!fuzz_tmpfile(data, size, "", path, sizeof path)) return 0;
    int st;
    load(path, 0, 1, &st);
    if (st == POL_ERR_CORRUPT || st == POL_ERR_FORMAT) load(path, 1, 1, &st);
    if (st == POL_OK && !strcmp(STR(FUZZ_CODEC), "jpeg")) load(path, 0, 8, &st);
    unlink(path);
    return 0;
}
