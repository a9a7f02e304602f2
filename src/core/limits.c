/* polish — default limits and parsing of "--limit key=value" specs. */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "core/internal.h"

void pol_limits_default(pol_limits *l)
{
    l->max_pixels = 178956970ull; /* ~ 13377 x 13377, libvips' and ImageMagick-safe default */
    l->max_bytes = 2ull << 30;
    l->max_frames = 1000;
    l->max_rows = 50000000ull;
    l->max_columns = 10000;
    l->max_field_bytes = 1ull << 20;
    l->max_duration = 6 * 3600.0;
    l->max_memory = 4ull << 30;
    l->max_dimension = 1000000; /* libpng's default user limit */
    l->max_scans = 1000; /* a photo has about 10; thousands only make decoding slow */
}

void pol_options_default(pol_options *o)
{
    memset(o, 0, sizeof *o);
    pol_limits_default(&o->limits);
}

/* "10M", "2G", "1e8", "5000" -> value; suffixes are binary for bytes, decimal otherwise. */
static int parse_amount(const char *s, int binary, double *out)
{
    errno = 0;
    char *end;
    double v = strtod(s, &end);
    if (end == s || errno || !isfinite(v) || v < 0) return 0;
    double k = binary ? 1024.0 : 1000.0;
    if (*end) {
        switch (*end) {
        case 'k':
        case 'K':
            v *= k;
            break;
        case 'm':
        case 'M':
            v *= k * k;
            break;
        case 'g':
        case 'G':
            v *= k * k * k;
            break;
        default:
            return 0;
        }
        end++;
        if (binary && (*end == 'B' || *end == 'b')) end++;
        if (*end) return 0;
    }
    *out = v;
    return 1;
}

pol_status pol_limits_set(pol_limits *l, const char *spec, pol_err *err)
{
    const char *eq = strchr(spec, '=');
    if (!eq) return pol__err_set(err, POL_ERR_ARG, "--limit %s: expected KEY=VALUE", spec);
    size_t kn = (size_t)(eq - spec);
    const char *val = eq + 1;
    struct {
        const char *key;
        uint64_t *field;
        int binary;
    } keys[] = {
        {"pixels", &l->max_pixels, 0},   {"bytes", &l->max_bytes, 1},
        {"frames", &l->max_frames, 0},   {"rows", &l->max_rows, 0},
        {"columns", &l->max_columns, 0}, {"field-bytes", &l->max_field_bytes, 1},
        {"memory", &l->max_memory, 1},   {"scans", &l->max_scans, 0},
        {"dimension", &l->max_dimension, 0},
    };
    double v;
    for (size_t i = 0; i < POL_ARRAY_LEN(keys); i++) {
        if (strlen(keys[i].key) == kn && strncasecmp(spec, keys[i].key, kn) == 0) {
            if (!parse_amount(val, keys[i].binary, &v) || v > 1.8e19)
                return pol__err_set(err, POL_ERR_ARG, "--limit %s: '%s' is not an amount",
                                    keys[i].key, val);
            *keys[i].field = (uint64_t)v;
            return POL_OK;
        }
    }
    if (kn == 8 && strncasecmp(spec, "duration", 8) == 0) {
        if (!parse_amount(val, 0, &v))
            return pol__err_set(err, POL_ERR_ARG, "--limit duration: '%s' is not seconds", val);
        l->max_duration = v;
        return POL_OK;
    }
    return pol__err_set(err, POL_ERR_ARG,
                        "--limit: unknown key '%.*s' (pixels, bytes, frames, rows, columns, "
                        "field-bytes, duration, memory, scans, dimension)",
                        (int)kn, spec);
}
