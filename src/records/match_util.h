/* polish — shared output helpers of the matching ops: result columns, review set, explain file. */
#ifndef POLISH_RECORDS_MATCH_UTIL_H
#define POLISH_RECORDS_MATCH_UTIL_H

#include "records/dedupe.h"

/* Index of column `name` of r->rows, added (empty) when absent; -1 when out of memory. */
long pol__match_ensure_col(pol__records *r, const char *name);

/* Sets (adding when absent) the cluster_id and match_score columns of r->rows. */
pol_status pol__match_write_columns(pol_run *run, pol__records *r, const pol__match_result *m);

/* Replaces r->review with the near misses and refused links of `m` (records of `b`, when given,
 * follow those of `r`). */
pol_status pol__match_build_review(pol_run *run, pol__records *r, const pol__records *b,
                                   const pol__match_result *m);

/* Writes every kept pair with its per-field levels and weights as CSV rows to `f`, each naming
 * the item (run->input); `header` writes the column names first. */
pol_status pol__match_write_explain(pol_run *run, FILE *f, int header, const pol__records *r,
                                    const pol__records *b, const pol__match_result *m);

/* Source line of record `i` of a match over r (and b). */
uint32_t pol__match_line(const pol__records *r, const pol__records *b, uint32_t i);

#endif
