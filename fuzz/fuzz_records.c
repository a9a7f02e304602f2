/* polish — fuzz target: a records reader on arbitrary bytes (-DFUZZ_FORMAT=csv|xlsx), then what
 * `polish inspect` does with the table (roles, e-mail and phone parsing, duplicate estimate).
 * CSV goes through the encoding detection (UTF-8/16, Windows-1252) and the delimiter sniffing;
 * XLSX through minizip and expat. Must fail cleanly, never crash, leak or hang. */
#include "fuzz.h"
#include "records/io.h"

#define CAT2(a, b, c) a##b##c
#define CAT(a, b, c) CAT2(a, b, c)
#define LOADER CAT(pol__, FUZZ_FORMAT, _load)
#define STR2(x) #x
#define STR(x) STR2(x)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char path[256];
    if (!fuzz_tmpfile(data, size, "." STR(FUZZ_FORMAT), path, sizeof path)) return 0;
    const pol__domain *d = pol__domain_find("records");
    if (!d) abort();
    fuzz_ctx c;
    fuzz_ctx_init(&c, path);
    c.opt.limits.max_rows = 5000;
    pol__records *r = NULL;
    if (LOADER(&c.run, path, &r) == POL_OK) {
        pol_asset *a = pol__asset_new(d, r, path); /* frees r when it fails */
        if (a) d->inspect(&c.run, a);
        pol__asset_unref(a);
    }
    fuzz_ctx_free(&c);
    unlink(path);
    return 0;
}
