/* polish — XLSX: streaming read (minizip + expat), write (libxlsxwriter). */
#include "records/io.h"
int pol__xlsx_sniff(const unsigned char *head, size_t n) { (void)head; (void)n; return 0; }
pol_status pol__xlsx_load(pol_run *run, const char *path, pol_records **out)
{ (void)path; (void)out; return pol__fail(run, POL_ERR_UNSUPPORTED, "todo"); }
pol_status pol__xlsx_write(pol_run *run, const pol_table *t, const char *path, const unsigned char *pc)
{ (void)t; (void)path; (void)pc; return pol__fail(run, POL_ERR_UNSUPPORTED, "todo"); }
