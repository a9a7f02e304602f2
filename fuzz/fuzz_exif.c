/* polish — fuzz target: an EXIF block (from the TIFF header on, as the loaders keep it). The
 * load-time facts (orientation, GPS, DPI: our own bounds-checked reader), then the save-time
 * filter under each metadata policy (libexif parses, edits and re-encodes it). */
#include "fuzz.h"
#include "image/image_io.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    pol__exif_orientation(data, size);
    pol__exif_has_gps(data, size);
    pol__exif_dpi(data, size);
    pol__image *im = pol__image_new(3, 2, 3);
    if (!im) return 0;
    im->exif = malloc(size ? size : 1);
    if (!im->exif) {
        pol__image_free(im);
        return 0;
    }
    memcpy(im->exif, data, size);
    im->exif_len = size;
    im->orientation = pol__exif_orientation(data, size);
    fuzz_ctx c;
    fuzz_ctx_init(&c, "fuzz.exif");
    static const pol__meta_policy policies[] = {POL_META_STRIP_PRIVATE, POL_META_KEEP};
    for (size_t i = 0; i < POL_ARRAY_LEN(policies); i++) {
        im->save.metadata = policies[i];
        im->save.keep_copyright = (int)i;
        pol__meta_out m;
        if (pol__image_meta_prepare(&c.run, im, &m) == POL_OK) {
            /* what is written must read back as the same facts' kind of block */
            if (m.exif) pol__exif_orientation(m.exif, m.exif_len);
            pol__image_meta_release(&m);
        }
    }
    fuzz_ctx_free(&c);
    pol__image_free(im);
    return 0;
}
