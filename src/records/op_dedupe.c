/* polish — records.dedupe: finds duplicate records without labels; keeps every row in order and
 * adds cluster_id and match_score; borderline pairs go to the review set; --explain writes the
 * per-field weights behind every merge and near miss. */
#include <stdlib.h>
#include <string.h>
#include "records/dedupe.h"
#include "records/match_util.h"
#include "records/stages.h"

static const pol_param_desc params[] = {
    {"threshold", POL_PARAM_NUM, "0.5", 0.01, 0.999, NULL,
     "Match probability from which two records are the same (Fellegi-Sunter weights, EM)."},
    {"review-low", POL_PARAM_NUM, "0.05", 0, 0.999, NULL,
     "Pairs from this probability up to the threshold are near misses, listed for review."},
    {"max-block", POL_PARAM_INT, "24", 2, 100000, NULL,
     "Blocks up to this size are compared in full; larger ones by a sorted window."},
    {"model-sample", POL_PARAM_INT, "1000000", 100, 268435455, NULL,
     "In stages across shards (polish plan): rows of the sample the model is learned on."},
};

static const pol_port_desc inputs[] = {
    {"model", POL_PORT_FILE, NULL, "txt", POL_PORT_SHARED,
     "A model (the weights a staged run learned, OUT/.polish-stages/K/1.0) used instead of "
     "estimating one: the same model gives the same clusters in one process or in shards."},
};

static const pol_port_desc outputs[] = {
    {"explain", POL_PORT_FILE, NULL, "csv", POL_PORT_BATCH,
     "Every merge and near miss of every input, with its per-field weights (one CSV file for "
     "the batch, in the output folder)."},
};

typedef struct explain_ctx {
    const pol__records *r;
    const pol__match_result *m;
} explain_ctx;

static pol_status write_explain(pol_run *run, FILE *f, int first, void *user)
{
    const explain_ctx *e = user;
    return pol__match_write_explain(run, f, first, e->r, NULL, e->m);
}

void pol__records_dedupe_opts(const pol_args *args, pol__match_opts *o)
{
    pol__match_opts_default(o);
    o->threshold = pol__arg_num(args, "threshold");
    o->review_low = pol__arg_num(args, "review-low");
    o->max_block = (size_t)pol__arg_int(args, "max-block");
    if (o->review_low > o->threshold) o->review_low = o->threshold;
}

static pol_status run(pol_run *run, pol_asset *asset, const pol_args *args)
{
    pol__records *r = pol__records_of(asset);
    pol_status st = pol__records_ensure_roles(run, r);
    if (st) return st;
    char why[160];
    if (!pol__records_has_identity(r, why, sizeof why)) {
        /* Rows of measurements that look alike are still different rows. */
        pol__decline(run, "not deduplicated: %s (--role to name the contact columns)", why);
        if (run->stage && run->stage->stage < run->stage->n_stages) { /* nothing to pass on */
            st = pol__records_stage_nothing(run);
            run->stage_done = st == POL_OK;
        }
        return st;
    }
    if (pol__records_quarantine_overflow(run, r) < 0)
        return pol__fail(run, POL_ERR_NOMEM, "out of memory");
    pol__match_opts o;
    pol__records_dedupe_opts(args, &o);
    pol__match_result m;
    const char *model = pol__input_path(args, "model", 0);
    if (run->stage || model) { /* in stages across shards, or with a model (stages.c) */
        int stage_done = 0;
        st = pol__match_staged(run, r, &o, model, (size_t)pol__arg_int(args, "model-sample"), &m,
                               &stage_done);
        if (st || stage_done) {
            run->stage_done = stage_done;
            return st;
        }
    } else {
        st = pol__match(run, r, NULL, &o, &m);
    }
    if (st) return st;
    st = pol__match_write_columns(run, r, &m);
    if (!st) st = pol__match_build_review(run, r, NULL, &m);
    explain_ctx ec = {r, &m};
    if (!st) st = pol__batch_output(run, args, "explain", write_explain, &ec);
    if (!st) {
        size_t matches = 0, near = 0, refused = 0;
        for (size_t i = 0; i < m.n_pairs; i++) {
            matches += m.pairs[i].kind == POL_PAIR_MATCH;
            near += m.pairs[i].kind == POL_PAIR_NEAR_MISS;
            refused += m.pairs[i].kind == POL_PAIR_REFUSED;
        }
        pol__measure_int(run, "clusters", (long long)m.n_clusters);
        pol__measure_int(run, "records_in_duplicate_clusters", (long long)m.n_merged_records);
        pol__measure_int(run, "matched_pairs", (long long)matches);
        pol__measure_int(run, "near_misses", (long long)near);
        pol__measure_int(run, "refused_links", (long long)refused);
        if (m.pairs_dropped) pol__measure_int(run, "pairs_not_listed", (long long)m.pairs_dropped);
        pol__decide(run, "%zu records in %zu clusters; %zu duplicates; %zu near misses to review",
                    m.n, m.n_clusters, m.n - m.n_clusters, near + refused);
    }
    pol__match_result_free(&m);
    return st;
}

const pol_op_desc pol__records_op_dedupe = {
    .domain = "records",
    .name = "dedupe",
    .summary = "Find duplicates (Fellegi-Sunter, EM, no labels); add cluster_id and match_score",
    .params = params,
    .n_params = POL_ARRAY_LEN(params),
    .run = run,
    .flags = POL_OP_AUTO,
    .outputs = outputs,
    .n_outputs = POL_ARRAY_LEN(outputs),
    .inputs = inputs,
    .n_inputs = POL_ARRAY_LEN(inputs),
};
