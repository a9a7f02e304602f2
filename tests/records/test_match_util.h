/* polish tests — matching helpers: run ops on records, pairwise precision/recall/F1. */
#ifndef POLISH_TEST_MATCH_UTIL_H
#define POLISH_TEST_MATCH_UTIL_H

#include "test_csv_util.h"
#include "core/args.h"
#include "records/dedupe.h"

extern const pol_op_desc pol__records_op_standardise;
extern const pol_op_desc pol__records_op_dedupe;

/* Runs one op with its default arguments (plus name=value pairs) on an asset. */
static inline pol_status run_op(rctx *t, pol_asset *a, const pol_op_desc *op, ...)
{
    pol_args *args = pol__args_new(op);
    va_list ap;
    va_start(ap, op);
    const char *k;
    while ((k = va_arg(ap, const char *))) {
        const char *v = va_arg(ap, const char *);
        if (pol__args_set(args, k, v, &t->err)) fail_msg("%s", t->err.msg);
    }
    va_end(ap);
    pol_status st = op->run(&t->run, a, args);
    pol__args_free(args);
    return st;
}

typedef struct prf {
    double p, r, f1;
    size_t tp, pred, truth;
} prf;

/* Pairwise scores of predicted clusters against true entity ids (both per record). */
static inline prf pairwise(const uint32_t *pred, const uint32_t *truth, size_t n)
{
    prf s = {0};
    /* Pairs within predicted clusters and within true entities, by counting over sorted groups:
     * n is small enough in tests for the quadratic pass over each predicted cluster. */
    size_t *order = malloc(n * sizeof *order);
    for (size_t i = 0; i < n; i++) order[i] = i;
    for (size_t i = 1; i < n; i++) { /* insertion sort by pred: clusters are mostly in order */
        size_t x = order[i], j = i;
        while (j > 0 && pred[order[j - 1]] > pred[x]) {
            order[j] = order[j - 1];
            j--;
        }
        order[j] = x;
    }
    for (size_t b = 0; b < n;) {
        size_t e = b + 1;
        while (e < n && pred[order[e]] == pred[order[b]]) e++;
        for (size_t i = b; i < e; i++)
            for (size_t j = i + 1; j < e; j++) {
                s.pred++;
                s.tp += truth[order[i]] == truth[order[j]];
            }
        b = e;
    }
    for (size_t i = 0; i < n; i++) order[i] = i;
    for (size_t i = 1; i < n; i++) {
        size_t x = order[i], j = i;
        while (j > 0 && truth[order[j - 1]] > truth[x]) {
            order[j] = order[j - 1];
            j--;
        }
        order[j] = x;
    }
    for (size_t b = 0; b < n;) {
        size_t e = b + 1;
        while (e < n && truth[order[e]] == truth[order[b]]) e++;
        s.truth += (e - b) * (e - b - 1) / 2;
        b = e;
    }
    free(order);
    s.p = s.pred ? (double)s.tp / (double)s.pred : 0;
    s.r = s.truth ? (double)s.tp / (double)s.truth : 0;
    s.f1 = s.p + s.r > 0 ? 2 * s.p * s.r / (s.p + s.r) : 0;
    return s;
}

#endif
