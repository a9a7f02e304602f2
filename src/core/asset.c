/* polish — reference-counted assets wrapping a domain's loaded item. */
#include <stdlib.h>
#include "core/internal.h"

pol_asset *pol__asset_new(const pol__domain *d, void *data, const char *source_path)
{
    pol_asset *a = calloc(1, sizeof *a);
    if (!a || (source_path && !(a->source_path = pol__strdup(source_path)))) {
        free(a);
        if (d && d->data_free) d->data_free(data);
        return NULL;
    }
    a->refs = 1;
    a->domain = d;
    a->data = data;
    return a;
}

pol_asset *pol__asset_ref(pol_asset *a)
{
    if (a) __atomic_add_fetch(&a->refs, 1, __ATOMIC_RELAXED);
    return a;
}

void pol__asset_unref(pol_asset *a)
{
    if (!a) return;
    if (__atomic_sub_fetch(&a->refs, 1, __ATOMIC_ACQ_REL) != 0) return;
    if (a->domain && a->domain->data_free) a->domain->data_free(a->data);
    free(a->source_path);
    free(a);
}

pol_asset *pol__asset_clone(const pol_asset *a)
{
    if (!a || !a->domain || !a->domain->data_clone) return NULL;
    void *data = a->domain->data_clone(a->data);
    if (!data) return NULL;
    return pol__asset_new(a->domain, data, a->source_path);
}
