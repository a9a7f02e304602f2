/* polish — what a batch shares between its items: inputs loaded once, outputs written once
 * (internal; the batch runner owns it, ops reach it through their run). */
#ifndef POLISH_CORE_PORTS_H
#define POLISH_CORE_PORTS_H

#include "core/internal.h"

typedef struct pol_batch_state pol_batch_state;

/* `outdir`: the folder outputs go to ("." when none); copied. NULL when out of memory. */
pol_batch_state *pol__batch_state_new(const pol_options *opt, const char *outdir);
/* Commits (commit != 0) or removes the per-batch output files, then frees everything. On a
 * failed commit, `err` says which file. Accepts NULL. */
pol_status pol__batch_state_end(pol_batch_state *bs, int commit, pol_err *err);
/* How many times shared inputs were loaded (tests check "loaded once"). */
size_t pol__batch_state_loads(const pol_batch_state *bs);

/* An output port's path must stay inside the output folder: relative, no "..". */
pol_status pol__port_out_check(const char *path, pol_err *err);
/* Where an output port's path lands: relative to the output folder, never outside it. */
char *pol__port_out_path(const pol_run *run, const char *path, pol_err *err);

#endif
