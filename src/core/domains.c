/* polish — the list of domains. Adding a domain: one line here, one subdir in meson.build. */
#include "core/internal.h"
#include "image/image.h"
#include "records/records.h"

const pol_domain *const pol__domains[] = {
    &pol__image_domain,
    &pol__records_domain,
};
const size_t pol__n_domains = POL_ARRAY_LEN(pol__domains);
