/* polish — what a batch shares between its items: inputs loaded once, outputs written once
 * (internal; the batch runner owns it, ops reach it through their run). */
#ifndef POLISH_CORE_PORTS_H
#define POLISH_CORE_PORTS_H

#include "core/internal.h"

typedef struct pol__batch_state pol__batch_state;

/* `outdir`: the folder outputs go to ("." when none); copied. Per-batch outputs go through the
 * batch's write `gate` (not owned). NULL when out of memory. */
pol__batch_state *pol__batch_state_new(const pol_options *opt, const char *outdir, pol__gate *gate);
/* Commits (commit != 0) or removes the per-batch output files, then frees everything. On a
 * failed commit, `err` says which file. Accepts NULL. */
pol_status pol__batch_state_end(pol__batch_state *bs, int commit, pol_err *err);
/* How many times shared inputs were loaded (tests check "loaded once"). */
size_t pol__batch_state_loads(const pol__batch_state *bs);

/* Checks every output port of the pipeline lands inside `outdir` (before anything runs), and
 * allows each through `gate` (when not NULL): a name given for a port is the user's choice. */
struct pol_pipeline;
pol_status pol__ports_check(const struct pol_pipeline *p, const char *outdir, pol__gate *gate, pol_err *err);
/* An output port's path may not contain "..". */
pol_status pol__port_out_check(const char *path, pol_err *err);
/* Where an output port's path lands: a relative one in the output folder; an absolute one only
 * when inside it. */
char *pol__port_out_path(const pol_run *run, const char *path, pol_err *err);

#endif
