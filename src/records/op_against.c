/* polish — records.against: matches new leads against an existing master list, without
 * re-deduplicating the master: each new row gets its best master match, its score and a status. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "records/dedupe.h"
#include "records/match_util.h"

static const pol_port_desc inputs[] = {
    {"master", POL_PORT_ASSET, "records", "csv|tsv|xlsx", POL_PORT_REQUIRED | POL_PORT_SHARED,
     "The master list (CSV, TSV or XLSX) to match against, loaded once for the batch."},
};

static const pol_param_desc params[] = {
    {"threshold", POL_PARAM_NUM, "0.5", 0.01, 0.999, NULL,
     "Match probability from which a new row is the master's record."},
    {"review-low", POL_PARAM_NUM, "0.05", 0, 0.999, NULL,
     "New rows whose best match scores from here up to the threshold are marked for review."},
};

static pol_status run(pol_run *run, pol_asset *asset, const pol_args *args)
{
    pol__records *r = pol__records_of(asset);
    pol_status st = pol__records_ensure_roles(run, r);
    if (st) return st;
    /* The master is loaded once for the whole batch, through the records domain with the same
     * limits, and shared read-only by every item; its roles come with it from the loader. */
    pol_asset *ma = NULL;
    st = pol__input_asset(run, args, "master", 0, &ma);
    if (st) return st;
    pol__records *master = pol__records_of(ma);
    /* Its roles are found once, by the first item that gets here; the others read them. */
    static pthread_mutex_t roles_mu = PTHREAD_MUTEX_INITIALIZER;
    pthread_mutex_lock(&roles_mu);
    pol_run mrun = *run;
    mrun.item = NULL;
    mrun.step = NULL;
    st = pol__records_ensure_roles(&mrun, master);
    pthread_mutex_unlock(&roles_mu);
    if (st) {
        pol__asset_unref(ma);
        return st;
    }
    pol__match_opts o;
    pol__match_opts_default(&o);
    o.threshold = pol__arg_num(args, "threshold");
    o.review_low = pol__arg_num(args, "review-low");
    if (o.review_low > o.threshold) o.review_low = o.threshold;
    pol__match_result m;
    st = pol__match(run, r, master, &o, &m);
    if (st) {
        pol__asset_unref(ma);
        return st;
    }
    size_t n_new = pol__table_rows(r->rows);
    uint32_t *best = calloc(n_new ? n_new : 1, sizeof *best);
    float *best_p = calloc(n_new ? n_new : 1, sizeof *best_p);
    unsigned char *is_match = calloc(n_new ? n_new : 1, 1);
    long c_line = pol__match_ensure_col(r, "master_line"),
         c_score = pol__match_ensure_col(r, "match_score");
    long c_status = pol__match_ensure_col(r, "match_status");
    if (!best || !best_p || !is_match || c_line < 0 || c_score < 0 || c_status < 0) {
        st = pol__fail(run, POL_ERR_NOMEM, "out of memory");
        goto done;
    }
    for (size_t i = 0; i < m.n_pairs; i++) {
        const pol__match_pair *p = &m.pairs[i];
        uint32_t a = p->a, b = p->b; /* a < b, so a is the new row */
        if (a >= n_new || b < n_new) continue;
        int better = p->kind == POL_PAIR_MATCH ? (!is_match[a] || p->prob > best_p[a])
                                               : (!is_match[a] && p->prob > best_p[a]);
        if (better) {
            best[a] = b;
            best_p[a] = p->prob;
            is_match[a] = p->kind == POL_PAIR_MATCH;
        }
    }
    size_t matched = 0, review = 0, fresh = 0;
    char buf[32];
    for (size_t i = 0; i < n_new; i++) {
        const char *status;
        if (is_match[i]) {
            status = "matched";
            matched++;
        } else if (best_p[i] > 0) {
            status = "review";
            review++;
        } else {
            status = "new";
            fresh++;
        }
        buf[0] = '\0';
        if (best_p[i] > 0) snprintf(buf, sizeof buf, "%u", pol__match_line(r, master, best[i]));
        if (pol__table_set(r->rows, i, (size_t)c_line, buf)) goto oom;
        snprintf(buf, sizeof buf, "%.3f", (double)best_p[i]);
        if (pol__table_set(r->rows, i, (size_t)c_score, buf)) goto oom;
        if (pol__table_set(r->rows, i, (size_t)c_status, status)) goto oom;
    }
    st = pol__match_build_review(run, r, master, &m);
    pol__measure_int(run, "master_rows", (long long)pol__table_rows(master->rows));
    pol__measure_int(run, "new_rows", (long long)n_new);
    pol__measure_int(run, "matched", (long long)matched);
    pol__measure_int(run, "review", (long long)review);
    pol__measure_int(run, "new", (long long)fresh);
    pol__decide(run, "%zu of %zu rows are already in the master list, %zu to review, %zu new",
                matched, n_new, review, fresh);
    goto done;
oom:
    st = pol__fail(run, POL_ERR_NOMEM, "out of memory");
done:
    free(best);
    free(best_p);
    free(is_match);
    pol__match_result_free(&m);
    pol__asset_unref(ma);
    return st;
}

const pol_op_desc pol__records_op_against = {
    .domain = "records",
    .name = "against",
    .summary = "Match new rows against a master list: master_line, match_score, match_status",
    .params = params,
    .n_params = POL_ARRAY_LEN(params),
    .run = run,
    .inputs = inputs,
    .n_inputs = POL_ARRAY_LEN(inputs),
};
