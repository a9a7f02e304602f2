/* polish — probabilistic record matching: features by role, blocking, Fellegi-Sunter weights
 * estimated by EM without labels, and clustering that does not chain unrelated records. */
#ifndef POLISH_RECORDS_DEDUPE_H
#define POLISH_RECORDS_DEDUPE_H

#include "records/records.h"

/* Compared fields. */
#define POL_MATCH_FIELDS(X)                                                                        \
    X(FIRST, "first_name")                                                                         \
    X(LAST, "last_name")                                                                           \
    X(EMAIL, "email")                                                                              \
    X(PHONE, "phone")                                                                              \
    X(STREETNO, "street_number")                                                                   \
    X(STREET, "street")                                                                            \
    X(ADDR2, "address2")                                                                           \
    X(CITY, "city")                                                                                \
    X(STATE, "state")                                                                              \
    X(POST, "postcode")                                                                            \
    X(DOB, "birth_date")                                                                           \
    X(ID, "id")                                                                                    \
    X(COMPANY, "company")

typedef enum pol__mfield {
#define POL_X_MF(name, str) POL_MF_##name,
    POL_MATCH_FIELDS(POL_X_MF)
#undef POL_X_MF
        POL_MF_COUNT
} pol__mfield;

/* Comparison levels of one field: missing on either side, exact, close, loose, different. */
enum { POL_LV_MISSING = 0, POL_LV_EXACT, POL_LV_CLOSE, POL_LV_LOOSE, POL_LV_DIFF, POL_LV_COUNT };

typedef struct pol__match_opts {
    double threshold;  /* posterior match probability that merges a pair (default 0.5) */
    double review_low; /* pairs from here up to threshold are near misses (default 0.05) */
    int keep_pairs;    /* keep decided pairs (merges and near misses) with their field weights */
    size_t max_block;  /* all pairs within a block up to this size; sorted window beyond */
} pol__match_opts;

void pol__match_opts_default(pol__match_opts *o);

typedef enum pol__pair_kind {
    POL_PAIR_MATCH,     /* merged */
    POL_PAIR_NEAR_MISS, /* probability between review_low and threshold */
    POL_PAIR_REFUSED,   /* over threshold but its clusters did not hold together, or a conflict */
} pol__pair_kind;

typedef struct pol__match_pair {
    uint32_t a, b; /* record indices, a < b */
    float prob, weight;
    pol__pair_kind kind;
    uint8_t level[POL_MF_COUNT];
    float fw[POL_MF_COUNT]; /* per-field weight (log2 m/u), 0 when missing */
    const char *note;       /* static text for refusals, or NULL */
} pol__match_pair;

typedef struct pol__match_result {
    size_t n;
    uint32_t *cluster; /* 1-based dense cluster id per record, in order of first record */
    float *score;      /* best match probability within its cluster; 0 for singletons */
    pol__match_pair *pairs;
    size_t n_pairs;
    size_t pairs_dropped; /* decided pairs not kept (over the keeping limit) */
    size_t n_clusters, n_merged_records;
    /* statistics */
    size_t candidates, blocks_capped, em_iterations;
    double prior; /* estimated share of candidate pairs that match */
    double m[POL_MF_COUNT][POL_LV_COUNT], u[POL_MF_COUNT][POL_LV_COUNT];
    unsigned used_fields; /* bit per field present in the data */
} pol__match_result;

void pol__match_result_free(pol__match_result *r);

/*
 * Matches the rows of `a` among themselves (b == NULL), or the rows of `a` against the rows of
 * `b` (records of `b` come after those of `a` in the result: index n_a + row). Roles must be
 * known (pol__records_ensure_roles). Records measurements into the run's current step.
 */
pol_status pol__match(pol_run *run, const pol__records *a, const pol__records *b,
                      const pol__match_opts *o, pol__match_result *res);

const char *pol__mfield_name(pol__mfield f);

#endif
