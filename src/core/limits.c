/* polish — the limits table: the core's keys and those each domain declares, their defaults,
 * and "--limit key=value" specs that read the same on the command line and in recipes. */
#include <errno.h>
#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "core/internal.h"

/* The core's keys, each stored in a named field of pol_limits. */
static const pol__limit_key core_limits[] = {
    {"pixels", 178956970ull, 0, "px", "width x height of one image (~13377 x 13377)"},
    {"bytes", 2ull << 30, POL_LIMIT_BYTES, "B", "size of one input file"},
    {"frames", 1000, 0, NULL, "frames or pages of one input"},
    {"rows", 50000000ull, 0, NULL, "rows of one table"},
    {"columns", 10000, 0, NULL, "columns of one table"},
    {"field-bytes", 1ull << 20, POL_LIMIT_BYTES, "B", "bytes in one table cell"},
    {"duration", 6 * 3600, POL_LIMIT_SECONDS, "s", "seconds of audio or video"},
    {"memory", 4ull << 30, POL_LIMIT_BYTES, "B",
     "decoded bytes held at once by the whole batch (all -j workers together)"},
    {"scans", 1000, 0, NULL, "scans of one progressive JPEG (a photo has about 10)"},
    {"dimension", 1000000, 0, "px", "width or height of one image (libpng's default)"},
};
/* Where each core key lives in pol_limits (duration, a double, is handled apart). */
#define DURATION_KEY 6
static const size_t core_offsets[] = {
    offsetof(pol_limits, max_pixels),      offsetof(pol_limits, max_bytes),
    offsetof(pol_limits, max_frames),      offsetof(pol_limits, max_rows),
    offsetof(pol_limits, max_columns),     offsetof(pol_limits, max_field_bytes),
    offsetof(pol_limits, max_duration),    offsetof(pol_limits, max_memory),
    offsetof(pol_limits, max_scans),       offsetof(pol_limits, max_dimension),
};
_Static_assert(POL_ARRAY_LEN(core_offsets) == POL_ARRAY_LEN(core_limits),
               "every core limit has a field");
#define N_CORE POL_ARRAY_LEN(core_limits)

/* Key k of the table: the core's first, then every domain's in registry order. */
static const pol__limit_key *limit_at(size_t k)
{
    if (k < N_CORE) return &core_limits[k];
    k -= N_CORE;
    for (size_t i = 0; i < pol__n_domains; i++)
        for (const pol__limit_key *d = pol__domains[i]->limits; d && d->key; d++)
            if (k-- == 0) return d;
    return NULL;
}

size_t pol__limit_count(void)
{
    size_t n = 0;
    while (limit_at(n)) n++;
    return n;
}

const pol__limit_key *pol__limit_desc(size_t k)
{
    return limit_at(k);
}

static long limit_find(const char *key, size_t n)
{
    const pol__limit_key *d;
    for (size_t k = 0; (d = limit_at(k)); k++)
        if (strlen(d->key) == n && strncasecmp(d->key, key, n) == 0) return (long)k;
    return -1;
}

static uint64_t *slot(pol_limits *l, size_t k)
{
    if (k == DURATION_KEY) return NULL; /* a double; see get/put */
    if (k < N_CORE) return (uint64_t *)(void *)((char *)l + core_offsets[k]);
    if (k - N_CORE < POL_LIMITS_EXTRA) return &l->extra[k - N_CORE];
    return NULL;
}

static uint64_t get(const pol_limits *l, size_t k)
{
    if (k == DURATION_KEY) return l->max_duration > 0 ? (uint64_t)ceil(l->max_duration) : 0;
    uint64_t *s = slot((pol_limits *)l, k);
    return s ? *s : 0;
}

static void put(pol_limits *l, size_t k, double v)
{
    if (k == DURATION_KEY) {
        l->max_duration = v;
        return;
    }
    uint64_t *s = slot(l, k);
    if (s) *s = (uint64_t)v;
}

void pol_limits_default(pol_limits *l)
{
    memset(l, 0, sizeof *l);
    const pol__limit_key *d;
    for (size_t k = 0; (d = limit_at(k)); k++) put(l, k, (double)d->def);
}

void pol_options_default(pol_options *o)
{
    memset(o, 0, sizeof *o);
    pol_limits_default(&o->limits);
}

uint64_t pol_limits_get(const pol_limits *l, const char *key)
{
    long k = key ? limit_find(key, strlen(key)) : -1;
    return k < 0 ? 0 : get(l, (size_t)k);
}

void pol_limits_tighten(pol_limits *base, const pol_limits *over)
{
    const pol__limit_key *d;
    for (size_t k = 0; (d = limit_at(k)) && k < 64; k++) {
        if (!(over->set >> k & 1)) continue;
        if (k == DURATION_KEY) {
            double b = base->max_duration, o = over->max_duration;
            if (o > 0 && (b <= 0 || o < b)) base->max_duration = o;
        } else {
            uint64_t b = get(base, k), o = get(over, k);
            if (o && (!b || o < b)) put(base, k, (double)o);
        }
    }
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
    long k = limit_find(spec, kn);
    if (k < 0) {
        char keys[512] = "";
        size_t used = 0;
        const pol__limit_key *d;
        for (size_t i = 0; (d = limit_at(i)) && used < sizeof keys; i++)
            used += (size_t)snprintf(keys + used, sizeof keys - used, "%s%s", i ? ", " : "",
                                     d->key);
        return pol__err_set(err, POL_ERR_ARG, "--limit: unknown key '%.*s' (%s)", (int)kn, spec,
                            keys);
    }
    const pol__limit_key *d = limit_at((size_t)k);
    double v;
    if (!parse_amount(val, d->flags & POL_LIMIT_BYTES, &v) || v > 1.8e19)
        return pol__err_set(err, POL_ERR_ARG, "--limit %s: '%s' is not %s", d->key, val,
                            d->flags & POL_LIMIT_SECONDS ? "seconds" : "an amount");
    if (!(d->flags & POL_LIMIT_SECONDS)) v = floor(v);
    put(l, (size_t)k, v);
    if (k < 64) l->set |= 1ull << k;
    return POL_OK;
}

uint64_t pol__limit(const pol_run *run, const char *key)
{
    return run && run->opt ? pol_limits_get(&run->opt->limits, key) : 0;
}
