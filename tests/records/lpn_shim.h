/* polish tests — a C view of libphonenumber (reference only; never linked into polish). */
#ifndef POLISH_TESTS_LPN_SHIM_H
#define POLISH_TESTS_LPN_SHIM_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Parses `s` with default region `region`. Returns -1 when libphonenumber cannot parse it, else
 * 1 when it says the number is valid, 0 when parsed but invalid; `e164` gets its E.164 form
 * (even when invalid) and `ext` the extension. */
int lpn_parse(const char *s, const char *region, char *e164, size_t cap, char *ext, size_t ext_cap);

/* Region (ISO 3166 alpha-2) libphonenumber assigns to a valid number given in E.164, or "". */
void lpn_region(const char *e164, char out[3]);

/* Country calling code of a region (44 for "GB"), 0 when unknown; its national (trunk) prefix. */
int lpn_country_code(const char *region);
void lpn_ndd(const char *region, char *out, size_t cap);

#ifdef __cplusplus
}
#endif
#endif
