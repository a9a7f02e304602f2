/* polish — records deduplicated in stages across shards (stages.c, docs/SCALE.md). */
#ifndef POLISH_RECORDS_STAGES_H
#define POLISH_RECORDS_STAGES_H

#include "records/dedupe.h"

struct pol_pipeline;

/* pol__domain.plan_stages: a recipe with one dedupe step runs in three stages, "model" (one
 * part), "score" (one part per shard) and "join" (one part). */
size_t pol__records_plan_stages(const struct pol_pipeline *p, size_t shards, const char **names,
                                size_t *parts, size_t max);

/*
 * pol__match in a stage of a staged run (run->stage) or, outside one, with the model file
 * `model`: "model" learns the model on a sample of at most `sample` rows (or reads `model`) and
 * writes it; "score" writes the scored pairs of its part's blocks; both set *stage_done. "join",
 * and one process with a model file, fill `res` as pol__match does, with the model's weights.
 */
pol_status pol__match_staged(pol_run *run, const pol__records *r, const pol__match_opts *o,
                             const char *model, size_t sample, pol__match_result *res,
                             int *stage_done);

/* A stage before the last with nothing to match: its file says so ("declined", no pairs). */
pol_status pol__records_stage_nothing(pol_run *run);

/* pol__domain.stage_unloaded: a score part from its rows file (written by the model stage) and
 * the model, without the list. */
int pol__records_stage_unloaded(pol_run *run, const struct pol_pipeline *p, pol_status *st);

/* dedupe's options from its arguments. */
void pol__records_dedupe_opts(const pol_args *args, pol__match_opts *o);

#endif
