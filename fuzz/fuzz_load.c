/* polish — fuzz target: a domain's loader (and inspection) on arbitrary bytes. Built once per
 * domain with -DFUZZ_DOMAIN=image|records. Must fail cleanly, never crash, leak or hang. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "core/internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define STR2(x) #x
#define STR(x) STR2(x)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const pol_domain *d = pol__domain_find(STR(FUZZ_DOMAIN));
    if (!d) abort();
    char path[] = "/tmp/polish-fuzz-XXXXXX";
    int fd = mkstemp(path);
    if (fd < 0) return 0;
    if (size && write(fd, data, size) != (ssize_t)size) {
        close(fd);
        unlink(path);
        return 0;
    }
    close(fd);
    pol_options opt;
    pol_options_default(&opt);
    /* Small limits keep each run fast; the limits themselves are under test too. */
    opt.limits.max_pixels = 4000000;
    opt.limits.max_rows = 100000;
    pol_err err;
    pol_jv *item = pol_jv_obj();
    pol_run run = {.err = &err, .opt = &opt, .input = path, .threads = 1, .item = item};
    pol_asset *a = NULL;
    if (d->load(&run, path, &a) == POL_OK && d->inspect) d->inspect(&run, a);
    pol__asset_unref(a);
    pol_jv_free(item);
    unlink(path);
    return 0;
}
