/* polish — the image domain: recognising, loading, saving, inspecting and thumbnailing photos. */
#include "image/image.h"

static void data_free(void *d) { pol_image_free(d); }
static void *data_clone(const void *d) { return pol_image_clone(d); }

static const char *const extensions[] = {"jpg", "jpeg", "jpe", "png", "webp", "tif", "tiff",
                                         "heic", "heif", "avif", NULL};
static const char *const auto_steps[] = {"orient", "colour", "white-balance", "exposure", "tone",
                                         "denoise", "sharpen", "straighten", NULL};

const pol_domain pol__image_domain = {
    .name = "image",
    .summary = "Photos and pictures: JPEG, PNG, WebP, TIFF, HEIC/AVIF",
    .ops = pol__image_ops,
    /* ops.c's table length, which is not a constant expression here; test_io_domain checks it */
    .n_ops = 12,
    .extensions = extensions,
    .auto_steps = auto_steps,
    .data_free = data_free,
    .data_clone = data_clone,
};
