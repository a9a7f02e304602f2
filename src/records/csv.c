/* polish — CSV/TSV: delimiter detection, single-pass in-place parsing, guarded writing. */
#include <stdlib.h>
#include "records/io.h"
char pol__csv_sniff_delim(const unsigned char *s, size_t n) { (void)s; (void)n; return ','; }
pol_status pol__csv_parse(pol_run *run, unsigned char *buf, size_t len, char delim, pol_records **out)
{ (void)len; (void)delim; (void)out; free(buf); return pol__fail(run, POL_ERR_UNSUPPORTED, "todo"); }
pol_status pol__csv_load(pol_run *run, const char *path, pol_records **out)
{ (void)path; (void)out; return pol__fail(run, POL_ERR_UNSUPPORTED, "todo"); }
pol_status pol__csv_write(pol_run *run, const pol_table *t, FILE *fp, char delim, const unsigned char *pc)
{ (void)t; (void)fp; (void)delim; (void)pc; return pol__fail(run, POL_ERR_UNSUPPORTED, "todo"); }
int pol__cell_needs_guard(const char *s) { (void)s; return 0; }
int pol__cell_is_number(const char *s) { (void)s; return 0; }
