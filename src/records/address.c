/* polish — addresses: USPS Publication 28 streets, states, postcodes, countries, cities. */
#include <string.h>
#include "records/std.h"
size_t pol__street_std(const char *in, size_t n, char *out, size_t cap)
{ if (n + 1 > cap) return (size_t)-1; memcpy(out, in, n); out[n] = 0; return n; }
const char *pol__state_code(const char *in, size_t n, const char *region) { (void)in; (void)n; (void)region; return NULL; }
size_t pol__postcode_std(const char *in, size_t n, const char *region, char *out, size_t cap)
{ (void)in; (void)n; (void)region; (void)out; (void)cap; return 0; }
const char *pol__country_code(const char *in, size_t n) { (void)in; (void)n; return NULL; }
size_t pol__city_std(const char *in, size_t n, char *out, size_t cap)
{ if (n + 1 > cap) return (size_t)-1; memcpy(out, in, n); out[n] = 0; return n; }
