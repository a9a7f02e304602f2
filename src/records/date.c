/* polish — dates: many input forms to ISO 8601 with a region-dependent day/month order. */
#include "records/std.h"
pol_date_order pol__date_order_of(const char *region) { (void)region; return POL_DATE_MDY; }
int pol__date_iso(const char *in, size_t n, pol_date_order order, char out[11]) { (void)in; (void)n; (void)order; out[0] = 0; return 0; }
