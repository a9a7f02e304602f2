/* polish — the table of domains: the built-in ones, then those registered at run time. Adding a
 * built-in domain: one line in BUILTIN, one subdir in meson.build. */
#include <string.h>
#include "core/internal.h"
#include "image/image.h"
#include "records/records.h"
#include "audio/audio.h"
#include "forecast/forecast.h"
#include "text/text.h"
#include "track/track.h"
#include "render/render.h"
#include "video/video.h"

#define BUILTIN                                                                                    \
    &pol__image_domain, &pol__records_domain, &pol__audio_domain, &pol__text_domain,              \
        &pol__forecast_domain, &pol__track_domain, &pol__render_domain, &pol__video_domain

const pol__domain *pol__domains[POL_MAX_DOMAINS] = {BUILTIN};
size_t pol__n_domains = sizeof((const pol__domain *[]){BUILTIN}) / sizeof(const pol__domain *);

pol_status pol__domain_register(const pol__domain *d, pol_err *err)
{
    if (!d || !d->name) return pol__err_set(err, POL_ERR_ARG, "a domain needs a name");
    if (pol__domain_find(d->name))
        return pol__err_set(err, POL_ERR_ARG, "domain '%s' is already registered", d->name);
    if (pol__n_domains == POL_MAX_DOMAINS)
        return pol__err_set(err, POL_ERR_ARG, "no room for domain '%s'", d->name);
    pol__domains[pol__n_domains++] = d;
    return POL_OK;
}

void pol__domain_unregister(const pol__domain *d)
{
    for (size_t i = 0; i < pol__n_domains; i++) {
        if (pol__domains[i] != d) continue;
        memmove(&pol__domains[i], &pol__domains[i + 1],
                (pol__n_domains - i - 1) * sizeof pol__domains[0]);
        pol__domains[--pol__n_domains] = NULL;
        return;
    }
}
