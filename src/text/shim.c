/* polish — TEMPORARY until the core's document/figure calls land on main: keeps the result in the
 * step's report node. Removed at the merge. */
#include "text/text.h"

__attribute__((weak)) void pol__document(pol_run *run, pol__jv *doc)
{
    if (run && run->step)
        pol__jv_set(run->step, "result", doc);
    else
        pol__jv_free(doc);
}

__attribute__((weak)) pol_status pol__figure(pol_run *run, const char *title, const char *mime,
                                             const void *data, size_t len)
{
    (void)run, (void)title, (void)mime, (void)data, (void)len;
    return POL_OK;
}
