/* polish — fuzz target: a whole domain on arbitrary bytes, as `polish inspect` meets a file:
 * recognised by content, loaded, then inspected (image: every codec, then the photo analysis).
 * Built once per domain with -DFUZZ_DOMAIN=image. Must fail cleanly, never crash, leak or hang. */
#include "fuzz.h"

#define STR2(x) #x
#define STR(x) STR2(x)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const pol__domain *d = pol__domain_find(STR(FUZZ_DOMAIN));
    if (!d) abort();
    char path[256];
    if (!fuzz_tmpfile(data, size, "", path, sizeof path)) return 0;
    fuzz_ctx c;
    fuzz_ctx_init(&c, path);
    pol_asset *a = NULL;
    if (d->load(&c.run, path, &a) == POL_OK && d->inspect) d->inspect(&c.run, a);
    pol__asset_unref(a);
    fuzz_ctx_free(&c);
    unlink(path);
    return 0;
}
