/* polish — record matching engine (see dedupe.h).
 *
 * Records are reduced to normalised features by column role. Candidate pairs come from several
 * blocking keys (email, phone, id, birth date, phonetic names, postcode with street number or
 * first name), all pairs in small blocks and a sorted window in large ones. Each pair gets a
 * comparison level per field; the m and u probabilities of each level are estimated without
 * labels (u from random pairs, m and the match prior by EM over the candidate patterns), giving
 * Fellegi-Sunter weights log2(m/u). Pairs over the threshold are merged greedily, best first, and
 * two clusters are joined only if the average probability over all their cross pairs stays over
 * the threshold, so a chain of near matches never links unrelated people. */
#include "records/dedupe_int.h"

const char *pol__mfield_name(pol__mfield f)
{
    static const char *const names[] = {
#define POL_X_MFN(name, str) str,
        POL_MATCH_FIELDS(POL_X_MFN)
#undef POL_X_MFN
    };
    return f < POL_MF_COUNT ? names[f] : "?";
}

void pol__match_opts_default(pol__match_opts *o)
{
    o->threshold = 0.5;
    o->review_low = 0.05;
    o->keep_pairs = 1;
    o->max_block = 24;
}

void pol__match_result_free(pol__match_result *r)
{
    if (!r) return;
    free(r->cluster);
    free(r->score);
    free(r->pairs);
    memset(r, 0, sizeof *r);
}

/* ---- the whole match ------------------------------------------------------------------------ */

int pol__mt_alloc(fstore *s, pol__match_result *res, size_t n)
{
    res->n = n;
    s->f = calloc(n ? n : 1, sizeof *s->f);
    mt_huge(s->f, n * sizeof *s->f);
    res->cluster = calloc(n ? n : 1, sizeof *res->cluster);
    res->score = calloc(n ? n : 1, sizeof *res->score);
    /* The text store starts with its "missing" NUL, so s->text + off is valid with no text. */
    s->text = malloc(s->text_cap = 64);
    if (!s->f || !res->cluster || !res->score || !s->text) return 0;
    s->text[s->text_len++] = '\0';
    s->n = n;
    return 1;
}

pol_status pol__match(pol_run *run, const pol__records *ra, const pol__records *rb,
                      const pol__match_opts *o, pol__match_result *res)
{
    memset(res, 0, sizeof *res);
    size_t n_a = pol__table_rows(ra->rows), n_b = rb ? pol__table_rows(rb->rows) : 0;
    size_t n = n_a + n_b;
    if (n >= (1u << 28)) return pol__fail(run, POL_ERR_LIMIT, "too many rows to match (%zu)", n);
    int cross = rb != NULL;
    pol_status st = POL_OK;
    fstore s = {0};
    vec64 pairs = {0};
    uint64_t *patterns = NULL;
    if (!pol__mt_alloc(&s, res, n)) goto oom;
    if (!pol__mt_features(run, ra, rb, &s, res)) goto oom;
    if (!(res->used_fields & ((1u << POL_MF_FIRST) | (1u << POL_MF_LAST) | (1u << POL_MF_EMAIL) |
                              (1u << POL_MF_PHONE) | (1u << POL_MF_ID)))) {
        /* Nothing that identifies a person or a company: every record is its own cluster. */
        for (size_t i = 0; i < n; i++) res->cluster[i] = (uint32_t)i + 1;
        res->n_clusters = n;
        pol__decline(run, "no name, email, phone or id column to match on");
        free(s.f);
        free(s.text);
        return POL_OK;
    }

    size_t blocks = 0, samples = 0, n_patterns = 0;
    if (!pol__mt_block(run, &s, o, cross, &pairs, res, &blocks)) goto oom;
    if (!pol__mt_estimate(run, &s, &pairs, cross, n_a, res, &patterns, &samples, &n_patterns))
        goto oom;
    pol__mt_report(run, res, n, blocks, samples, n_patterns);
    if (!pol__mt_cluster(&s, o, &pairs, patterns, res)) goto oom;
    goto done;
oom:
    st = pol__fail(run, POL_ERR_NOMEM, "out of memory while matching %zu records", n);
    pol__match_result_free(res);
done:
    free(patterns);
    free(pairs.v);
    free(s.f);
    free(s.text);
    return st;
}
