/* polish — the matcher's parts, shared by its files (dedupe*.c): features, comparison, blocking,
 * estimation, clustering. Internal to the matcher; the rest of the domain uses dedupe.h. */
#ifndef POLISH_RECORDS_DEDUPE_INT_H
#define POLISH_RECORDS_DEDUPE_INT_H

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/mman.h>
#include "records/compare.h"
#include "records/dedupe.h"

#define MAXF 48 /* bytes kept per feature */
/* No real person is entered hundreds of times; a cluster that large is chaining. */
#define MAX_CLUSTER 200
/* Pairs kept for the review set and --explain; past this they are counted, not kept. */
#define MAX_KEPT_PAIRS 200000
#define STR2(x) #x
#define STR(x) STR2(x)

typedef struct feat {
    uint32_t off[POL_MF_COUNT]; /* offset into the feature text, 0 = missing */
    uint8_t len[POL_MF_COUNT];
    uint32_t canon_first; /* offset of the nickname-canonical first name (or the first name) */
    uint8_t canon_len;
    uint8_t gen;    /* generation suffix: 0 none, 1 jr, 2 sr, 3 ii, 4 iii, 5 iv */
    uint8_t source; /* 0: a, 1: b */
    uint8_t email_at; /* length of the email's part before '@' (its length when it has none) */
    char sdx_first[5], sdx_last[5];
} feat;

typedef struct fstore {
    feat *f;
    size_t n;
    char *text;
    size_t text_len, text_cap;
    int oom;
    /* Fields whose text is interned (one offset per distinct string: equal offsets, equal text;
     * comparisons of those fields are remembered by their two offsets). Also the canonical first
     * names. The table is only needed while features are made. */
    unsigned interned;
    int plain; /* set before stage 1: intern nothing (the reference the tests compare with) */
    struct islot {
        uint32_t off, hash;
    } *itab;
    size_t icap, in;
} fstore;

/* Fields interned when there is memory (see fstore.interned): those whose values repeat (not
 * emails, phones, birth dates, ids: nearly one per person, a table of them costs more than it
 * saves). */
#define MT_INTERNED                                                                                \
    ((1u << POL_MF_COUNT) - 1 -                                                                    \
     (1u << POL_MF_EMAIL | 1u << POL_MF_PHONE | 1u << POL_MF_DOB | 1u << POL_MF_ID))

/* Levels of name-like fields remembered by their offsets, for one thread's run of comparisons
 * (direct-mapped; a miss just computes). */
#define MT_MEMO_BITS 16
typedef struct mt_memo_slot {
    uint32_t a, b;
    uint8_t cls, lv; /* cls 0 = empty */
} mt_memo_slot;
typedef struct mt_memo {
    mt_memo_slot slot[1u << MT_MEMO_BITS];
} mt_memo;

static inline const char *fs(const fstore *s, const feat *f, int k)
{
    return s->text + f->off[k];
}

typedef struct cand {
    uint64_t pair; /* a << 32 | b, a < b */
    uint8_t mask;  /* bit kind-1 for each blocking key that proposed it */
} cand;

typedef struct vec64 {
    cand *v;
    size_t n, cap;
    size_t sorted; /* v[0..sorted) is sorted with no repeated pair (compact() keeps it) */
} vec64;

/* Asks for huge pages on a large buffer (>= 4 MiB) when the system gives them on request: the
 * matcher reads its features and text at random, and a million rows span many small pages. Only
 * a hint; nothing changes when it is not taken. */
static inline void mt_huge(void *p, size_t n)
{
#ifdef MADV_HUGEPAGE
    if (!p || n < ((size_t)4 << 20)) return;
    uintptr_t a = ((uintptr_t)p + 4095) & ~(uintptr_t)4095, e = ((uintptr_t)p + n) & ~(uintptr_t)4095;
    if (e > a) (void)madvise((void *)a, e - a, MADV_HUGEPAGE);
#else
    (void)p;
    (void)n;
#endif
}

/* The feature store and the result's cluster and score arrays for n rows, the store's text
 * started with its "missing" NUL (dedupe.c). 0 when out of memory; the caller frees what was
 * made, as on any other failure. */
int pol__mt_alloc(fstore *s, pol__match_result *res, size_t n);

/* Stage 1 (dedupe_features.c): every record's features into s; sets res->used_fields. 0 on OOM. */
int pol__mt_features(pol_run *run, const pol__records *ra, const pol__records *rb, fstore *s,
                     pol__match_result *res);

/* Comparison (dedupe_compare.c): the level of each field for a pair; patterns packed in 64 bits. */
void pol__mt_compare(const fstore *s, const feat *x, const feat *y, uint8_t lv[POL_MF_COUNT]);
/* The same with a memo (NULL: none); the levels are the same either way. */
void pol__mt_compare_memo(const fstore *s, const feat *x, const feat *y, uint8_t lv[POL_MF_COUNT],
                          mt_memo *memo);
/* The comparison pattern (pol__mt_pack) of each pair into pat[0..n): .pair holds the two rows as
 * a << 32 | b, compared as (a, b); in parallel on the run's pool (dedupe_estimate.c). */
void pol__mt_patterns(pol_run *run, const fstore *s, const cand *pairs, size_t n, uint64_t *pat);
uint64_t pol__mt_pack(const uint8_t lv[POL_MF_COUNT]);
void pol__mt_unpack(uint64_t p, uint8_t lv[POL_MF_COUNT]);

/* Stage 2 (dedupe_block.c): candidate pairs, compacted; *blocks = blocks of two or more. */
int pol__mt_block(pol_run *run, const fstore *s, const pol__match_opts *o, int cross, vec64 *pairs,
                  pol__match_result *res, size_t *blocks);

/* The same for the blocks whose key falls in part `part` of `parts` (pol__mt_key_bucket): every
 * block lies whole in one part, so the parts' candidates together are pol__mt_block's. */
int pol__mt_block_part(pol_run *run, const fstore *s, const pol__match_opts *o, int cross,
                       vec64 *pairs, pol__match_result *res, size_t *blocks, size_t part,
                       size_t parts);
size_t pol__mt_key_bucket(uint64_t key, size_t parts);

/* The rows each part's blocks need: a row goes to part p when one of its keys falls in part p
 * and another row has that key (a block of two or more), so pol__mt_block_part on part p's rows
 * alone gives part p's candidates. For parts [first, first + 64) in turn, emit() gets mask[row]
 * with bit p - first set for the parts that need the row. 0 when out of memory or emit() fails. */
int pol__mt_part_rows(pol_run *run, const fstore *s, size_t parts,
                      int (*emit)(void *user, size_t first, const uint64_t *mask), void *user);

/* Stages 3-4 (dedupe_estimate.c): the pairs' patterns and the m/u estimates; the report. */
int pol__mt_estimate(pol_run *run, const fstore *s, const vec64 *pairs, int cross, size_t n_a,
                     pol__match_result *res, uint64_t **patterns, size_t *samples,
                     size_t *n_patterns);
void pol__mt_report(pol_run *run, const pol__match_result *res, size_t n, size_t blocks,
                    size_t samples, size_t n_patterns);
double pol__mt_log2_ratio(const pol__match_result *r, int k, int l);
double pol__mt_pattern_weight(const pol__match_result *r, uint64_t key);
double pol__mt_prob_of(const pol__match_result *r, double w);

/* Stage 5 (dedupe_cluster.c): clusters, scores and kept pairs into res; frees pairs->v. */
int pol__mt_cluster(const fstore *s, const pol__match_opts *o, vec64 *pairs,
                    const uint64_t *patterns, pol__match_result *res);

#endif
