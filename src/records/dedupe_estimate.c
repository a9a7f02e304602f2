/* polish — matching, stages 3-4: Fellegi-Sunter weights without labels (u from random pairs,
 * m and the prior by EM) and what is reported of them. */
#include "records/dedupe_int.h"

/* ---- estimation ----------------------------------------------------------------------------- */

typedef struct pattern {
    uint64_t key;
    double count;
} pattern;

typedef struct pmap {
    pattern *p;
    size_t cap, n;
} pmap;

/* Grows the table when it is half full (as each add first does). 0 on OOM. */
static int pmap_room(pmap *m)
{
    if ((m->n + 1) * 2 > m->cap) {
        size_t cap = m->cap ? m->cap * 2 : 1024;
        pattern *np = calloc(cap, sizeof *np);
        if (!np) return 0;
        for (size_t i = 0; i < m->cap; i++) {
            if (m->p[i].count == 0) continue;
            size_t j = (m->p[i].key * 0x9E3779B97F4A7C15ull) >> 20 & (cap - 1);
            while (np[j].count != 0) j = (j + 1) & (cap - 1);
            np[j] = m->p[i];
        }
        free(m->p);
        m->p = np;
        m->cap = cap;
    }
    return 1;
}

static int pmap_add(pmap *m, uint64_t key, double c)
{
    if (!pmap_room(m)) return 0;
    size_t j = (key * 0x9E3779B97F4A7C15ull) >> 20 & (m->cap - 1);
    while (m->p[j].count != 0 && m->p[j].key != key) j = (j + 1) & (m->cap - 1);
    if (m->p[j].count == 0) {
        m->p[j].key = key;
        m->n++;
    }
    m->p[j].count += c;
    return 1;
}

typedef struct cmp_job {
    const fstore *s;
    const cand *pairs;
    uint64_t *patterns;
} cmp_job;

static void cmp_range(void *user, size_t b, size_t e)
{
    cmp_job *j = user;
    uint8_t lv[POL_MF_COUNT];
    mt_memo *memo = e - b > 4096 ? calloc(1, sizeof *memo) : NULL; /* NULL: compare without */
    for (size_t i = b; i < e; i++) {
        uint32_t x = (uint32_t)(j->pairs[i].pair >> 32), y = (uint32_t)j->pairs[i].pair;
        pol__mt_compare_memo(j->s, &j->s->f[x], &j->s->f[y], lv, memo);
        j->patterns[i] = pol__mt_pack(lv);
    }
    free(memo);
}

double pol__mt_log2_ratio(const pol__match_result *r, int k, int l)
{
    return log2(r->m[k][l] / r->u[k][l]);
}

/* Address parts are far from independent (one street implies its city, state and postcode), so
 * their agreements are not added up: the group counts its strongest agreement once. Their
 * disagreements still add: each is a separate sign of another address. */
static int is_address(int k)
{
    return k == POL_MF_STREETNO || k == POL_MF_STREET || k == POL_MF_ADDR2 || k == POL_MF_CITY ||
           k == POL_MF_STATE || k == POL_MF_POST;
}

double pol__mt_pattern_weight(const pol__match_result *r, uint64_t key)
{
    uint8_t lv[POL_MF_COUNT];
    pol__mt_unpack(key, lv);
    double w = 0, addr_pos = 0;
    for (int k = 0; k < POL_MF_COUNT; k++) {
        if (lv[k] == POL_LV_MISSING) continue;
        double x = pol__mt_log2_ratio(r, k, lv[k]);
        if (!is_address(k) || x < 0)
            w += x;
        else if (x > addr_pos)
            addr_pos = x;
    }
    return w + addr_pos;
}

double pol__mt_prob_of(const pol__match_result *r, double w)
{
    double lo = w + log2(r->prior / (1 - r->prior));
    if (lo > 60) return 1.0;
    if (lo < -60) return 0.0;
    return 1.0 / (1.0 + exp2(-lo));
}

/* Prior belief about m for pairs that match: mostly exact, seldom different. Its weight (in
 * pairs) keeps EM sane on small lists. */
static const double m_prior[POL_LV_COUNT] = {0, 0.80, 0.12, 0.05, 0.03};
#define M_PRIOR_PAIRS 20.0

/* Comparison patterns of a list of pairs, in parallel (ranges of 4096 pairs; a range that large
 * keeps a memo of recent comparisons). */
typedef struct pat_job {
    const fstore *s;
    const cand *pairs;
    uint64_t *patterns;
} pat_job;

static void pat_range(void *user, size_t b, size_t e)
{
    pat_job *j = user;
    uint8_t lv[POL_MF_COUNT];
    mt_memo *memo = e - b > 4096 ? calloc(1, sizeof *memo) : NULL;
    for (size_t i = b; i < e; i++) {
        uint32_t x = (uint32_t)(j->pairs[i].pair >> 32), y = (uint32_t)j->pairs[i].pair;
        pol__mt_compare_memo(j->s, &j->s->f[x], &j->s->f[y], lv, memo);
        j->patterns[i] = pol__mt_pack(lv);
    }
    free(memo);
}

void pol__mt_patterns(pol_run *run, const fstore *s, const cand *pairs, size_t n, uint64_t *pat)
{
    pat_job j = {s, pairs, pat};
    pol__parallel_for(run, n, 4096, pat_range, &j);
}

/* Random pairs for u: drawn in order (one fixed sequence), compared in parallel, counted. */
static size_t random_u(pol_run *run, const fstore *s, int cross, size_t n_a, pol__match_result *r)
{
    double cnt[POL_MF_COUNT][POL_LV_COUNT];
    for (int k = 0; k < POL_MF_COUNT; k++)
        for (int l = 0; l < POL_LV_COUNT; l++) cnt[k][l] = 1.0; /* Laplace */
    size_t n = s->n;
    uint64_t st = 0x2545F4914F6CDD1Dull;
    size_t samples = 0, want = 200000;
    uint8_t lv[POL_MF_COUNT];
    size_t all = cross ? n_a * (n - n_a) : n * (n - 1) / 2;
    cand *p = all > want ? malloc(want * sizeof *p) : NULL;
    uint64_t *pat = p ? malloc(want * sizeof *pat) : NULL;
    if (all <= want) {
        for (size_t a = 0; a < n; a++)
            for (size_t b = cross ? n_a : a + 1; b < n; b++) {
                if (cross && a >= n_a) break;
                pol__mt_compare(s, &s->f[a], &s->f[b], lv);
                for (int k = 0; k < POL_MF_COUNT; k++) cnt[k][lv[k]] += 1;
                samples++;
            }
    } else {
        size_t np = 0;
        for (size_t i = 0; i < want; i++) {
            st ^= st << 13, st ^= st >> 7, st ^= st << 17;
            size_t a = cross ? (size_t)(st % n_a) : (size_t)(st % n);
            st ^= st << 13, st ^= st >> 7, st ^= st << 17;
            size_t b = cross ? n_a + (size_t)(st % (n - n_a)) : (size_t)(st % n);
            if (a == b) continue;
            if (pat) {
                p[np++] = (cand){(uint64_t)a << 32 | (uint32_t)b, 0};
                continue;
            }
            pol__mt_compare(s, &s->f[a], &s->f[b], lv); /* no memory for the list: one by one */
            for (int k = 0; k < POL_MF_COUNT; k++) cnt[k][lv[k]] += 1;
            samples++;
        }
        if (pat) {
            pol__mt_patterns(run, s, p, np, pat);
            for (size_t i = 0; i < np; i++) {
                pol__mt_unpack(pat[i], lv);
                for (int k = 0; k < POL_MF_COUNT; k++) cnt[k][lv[k]] += 1;
            }
            samples = np;
        }
    }
    free(p);
    free(pat);
    for (int k = 0; k < POL_MF_COUNT; k++) {
        double tot = 0;
        for (int l = 1; l < POL_LV_COUNT; l++) tot += cnt[k][l];
        for (int l = 1; l < POL_LV_COUNT; l++) r->u[k][l] = cnt[k][l] / tot;
        r->u[k][0] = 1;
    }
    return samples;
}

/* EM over the patterns of one training rule, with the match prior free and u fixed. Fields the
 * rule blocked on were zeroed out of its patterns (they agree by construction and say nothing). */
static size_t em(const pmap *pm, pol__match_result *r)
{
    for (int k = 0; k < POL_MF_COUNT; k++)
        for (int l = 0; l < POL_LV_COUNT; l++) r->m[k][l] = l ? m_prior[l] : 1;
    r->prior = 0.1;
    double mc[POL_MF_COUNT][POL_LV_COUNT];
    uint8_t lv[POL_MF_COUNT];
    size_t it;
    for (it = 0; it < 100; it++) {
        memset(mc, 0, sizeof mc);
        double gsum = 0, csum = 0;
        for (size_t i = 0; i < pm->cap; i++) {
            const pattern *p = &pm->p[i];
            if (p->count == 0) continue;
            double g = pol__mt_prob_of(r, pol__mt_pattern_weight(r, p->key));
            pol__mt_unpack(p->key, lv);
            for (int k = 0; k < POL_MF_COUNT; k++) mc[k][lv[k]] += g * p->count;
            gsum += g * p->count;
            csum += p->count;
        }
        double change = 0;
        for (int k = 0; k < POL_MF_COUNT; k++) {
            double tot = M_PRIOR_PAIRS;
            for (int l = 1; l < POL_LV_COUNT; l++) tot += mc[k][l];
            for (int l = 1; l < POL_LV_COUNT; l++) {
                double m = (mc[k][l] + M_PRIOR_PAIRS * m_prior[l]) / tot;
                change = fmax(change, fabs(m - r->m[k][l]));
                r->m[k][l] = m;
            }
            /* A match agrees at least as often as a non-match does. */
            if (r->m[k][POL_LV_EXACT] < r->u[k][POL_LV_EXACT])
                for (int l = 1; l < POL_LV_COUNT; l++) r->m[k][l] = r->u[k][l];
        }
        double prior = csum > 0 ? (gsum + 1) / (csum + 2) : 0.1;
        change = fmax(change, fabs(prior - r->prior));
        r->prior = fmin(fmax(prior, 1e-4), 0.999);
        if (change < 1e-6) break;
    }
    return it + 1;
}

/* Training rules: each is a set of blocking keys and the fields those keys fix. A field's m is
 * learnt only from rules that did not block on it (as Splink does), so the way candidates were
 * chosen cannot pass for evidence. */
typedef struct rule {
    unsigned keys;   /* bit (1 << key kind) */
    unsigned fields; /* bit (1 << field) */
} rule;

static const rule rules[] = {
    {1u << 5 | 1u << 6, 1u << POL_MF_FIRST | 1u << POL_MF_LAST},
    {1u << 7 | 1u << 8, 1u << POL_MF_POST | 1u << POL_MF_STREETNO | 1u << POL_MF_STREET |
                            1u << POL_MF_ADDR2 | 1u << POL_MF_CITY | 1u << POL_MF_STATE |
                            1u << POL_MF_FIRST},
    {1u << 1 | 1u << 2, 1u << POL_MF_EMAIL | 1u << POL_MF_PHONE},
    {1u << 3 | 1u << 4, 1u << POL_MF_ID | 1u << POL_MF_DOB},
};
#define N_RULES (sizeof rules / sizeof rules[0])

static uint64_t zero_fields(uint64_t pattern, unsigned fields)
{
    for (int k = 0; k < POL_MF_COUNT; k++)
        if (fields & (1u << k)) pattern &= ~((uint64_t)7 << (3 * k));
    return pattern;
}

/* The candidates' (pattern, key mask) combinations, each once with its count, in the order of
 * their first candidate: what the estimation reads, in the order it would have met them one
 * candidate at a time (so its tables fill in the same order and its sums come out the same),
 * for a few thousand entries instead of millions. */
typedef struct combo {
    uint64_t key; /* pattern | mask << 48 */
    size_t first, last; /* its first and last candidate */
    double count;       /* 0: empty slot */
} combo;

/* Adds the combinations' patterns (through `fields` zeroed, those whose mask meets `keys`; all
 * when keys is 0) to m as one add per candidate would have: the same keys in the same order, and
 * the table's last growth too, which an add of a pattern already held after the last new one
 * would have made. *seen (may be NULL) counts per field the candidates it is present in. */
static int pmap_add_combos(pmap *m, const combo *cb, size_t n, unsigned keys, unsigned fields,
                           double seen[POL_MF_COUNT])
{
    size_t last_new = 0, last_any = 0;
    int any = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned mask = (unsigned)(cb[i].key >> 48);
        if (keys && !(mask << 1 & keys)) continue;
        uint64_t p = zero_fields(cb[i].key & (((uint64_t)1 << 48) - 1), fields);
        size_t before = m->n;
        if (!pmap_add(m, p, cb[i].count)) return 0;
        if (m->n != before) last_new = cb[i].first;
        if (!any || cb[i].last > last_any) last_any = cb[i].last;
        any = 1;
        if (seen)
            for (int k = 0; k < POL_MF_COUNT; k++)
                if ((p >> (3 * k)) & 7) seen[k] += cb[i].count;
    }
    return !any || last_any <= last_new || pmap_room(m);
}

/* Learns m per field from the training rules, then the match prior over all candidates. */
static int estimate(const combo *cb, size_t n, pol__match_result *r, size_t *iterations)
{
    double msum[POL_MF_COUNT][POL_LV_COUNT] = {{0}};
    int runs[POL_MF_COUNT] = {0};
    *iterations = 0;
    for (size_t ri = 0; ri < N_RULES; ri++) {
        pmap pm = {0};
        double seen[POL_MF_COUNT] = {0};
        if (!pmap_add_combos(&pm, cb, n, rules[ri].keys, rules[ri].fields, seen)) {
            free(pm.p);
            return 0;
        }
        if (pm.n == 0) {
            free(pm.p);
            continue;
        }
        *iterations += em(&pm, r);
        free(pm.p);
        for (int k = 0; k < POL_MF_COUNT; k++) {
            if ((rules[ri].fields & (1u << k)) || seen[k] < 10) continue;
            for (int l = 1; l < POL_LV_COUNT; l++) msum[k][l] += r->m[k][l];
            runs[k]++;
        }
    }
    for (int k = 0; k < POL_MF_COUNT; k++)
        for (int l = 1; l < POL_LV_COUNT; l++)
            r->m[k][l] = runs[k] ? msum[k][l] / runs[k] : fmax(m_prior[l], r->u[k][l]);
    /* The prior: EM on p alone, m and u fixed. */
    pmap all = {0};
    if (!pmap_add_combos(&all, cb, n, 0, 0, NULL)) {
        free(all.p);
        return 0;
    }
    r->prior = 0.1;
    for (int it = 0; it < 200; it++) {
        double gsum = 0, csum = 0;
        for (size_t i = 0; i < all.cap; i++) {
            if (all.p[i].count == 0) continue;
            gsum += pol__mt_prob_of(r, pol__mt_pattern_weight(r, all.p[i].key)) * all.p[i].count;
            csum += all.p[i].count;
        }
        double prior = csum > 0 ? (gsum + 1) / (csum + 2) : 0.1;
        prior = fmin(fmax(prior, 1e-4), 0.999);
        int done = fabs(prior - r->prior) < 1e-7;
        r->prior = prior;
        if (done) break;
    }
    free(all.p);
    return 1;
}

static int by_first(const void *a, const void *b)
{
    const combo *x = a, *y = b;
    return x->first < y->first ? -1 : x->first > y->first;
}

static size_t combos_of(const uint64_t *patterns, const cand *pairs, size_t u, combo **out)
{
    size_t cap = 1024, n = 0;
    combo *t = calloc(cap, sizeof *t);
    if (!t) return SIZE_MAX;
    for (size_t i = 0; i < u; i++) {
        uint64_t key = patterns[i] | (uint64_t)pairs[i].mask << 48;
        size_t j = (key * 0x9E3779B97F4A7C15ull) >> 20 & (cap - 1);
        while (t[j].count != 0 && t[j].key != key) j = (j + 1) & (cap - 1);
        if (t[j].count != 0) {
            t[j].count += 1;
            t[j].last = i;
            continue;
        }
        t[j] = (combo){key, i, i, 1};
        if (++n * 2 > cap) {
            size_t nc = cap * 2;
            combo *g = calloc(nc, sizeof *g);
            if (!g) {
                free(t);
                return SIZE_MAX;
            }
            for (size_t k = 0; k < cap; k++) {
                if (t[k].count == 0) continue;
                size_t m = (t[k].key * 0x9E3779B97F4A7C15ull) >> 20 & (nc - 1);
                while (g[m].count != 0) m = (m + 1) & (nc - 1);
                g[m] = t[k];
            }
            free(t);
            t = g;
            cap = nc;
        }
    }
    size_t k = 0;
    for (size_t j = 0; j < cap; j++)
        if (t[j].count != 0) t[k++] = t[j];
    qsort(t, k, sizeof *t, by_first);
    *out = t;
    return k;
}

/* Stage 3: compare the candidates (in parallel), then estimate u (random pairs) and m (EM). */
int pol__mt_estimate(pol_run *run, const fstore *s, const vec64 *pairs, int cross, size_t n_a,
                     pol__match_result *res, uint64_t **patterns_out, size_t *samples_out,
                     size_t *n_patterns)
{
    size_t u = pairs->n;
    uint64_t *patterns = NULL;
    pmap pm = {0};
    combo *cb = NULL;
    int ok = 0;
    patterns = malloc((u ? u : 1) * sizeof *patterns);
    if (!patterns) goto out;
    mt_huge(patterns, u * sizeof *patterns);
    cmp_job job = {s, pairs->v, patterns};
    pol__parallel_for(run, u, 4096, cmp_range, &job);
    size_t samples = random_u(run, s, cross, n_a, res);
    size_t nc = combos_of(patterns, pairs->v, u, &cb);
    if (nc == SIZE_MAX) goto out;
    if (!pmap_add_combos(&pm, cb, nc, 0, 0, NULL)) goto out;
    if (!estimate(cb, nc, res, &res->em_iterations)) goto out;

    *samples_out = samples;
    *n_patterns = pm.n;
    ok = 1;
out:
    free(pm.p);
    free(cb);
    if (ok)
        *patterns_out = patterns;
    else
        free(patterns);
    return ok;
}

/* Stage 4: what was measured, for the report (EM parameters beside the measurements). */
void pol__mt_report(pol_run *run, const pol__match_result *res, size_t n, size_t blocks,
                    size_t samples, size_t n_patterns)
{
    size_t u = res->candidates;
    pol__measure_int(run, "records", (long long)n);
    pol__measure_int(run, "blocks", (long long)blocks);
    pol__measure_int(run, "blocks_capped", (long long)res->blocks_capped);
    pol__measure_int(run, "candidate_pairs", (long long)u);
    pol__measure_int(run, "random_pairs_for_u", (long long)samples);
    pol__measure_int(run, "comparison_patterns", (long long)n_patterns);
    pol__measure_int(run, "em_iterations", (long long)res->em_iterations);
    pol__measure(run, "match_prior", res->prior);
    pol__jv *fields = pol__jv_obj();
    for (int k = 0; k < POL_MF_COUNT; k++) {
        if (!(res->used_fields & (1u << k))) continue;
        pol__jv *fo = pol__jv_obj();
        static const char *const lvn[] = {"", "exact", "close", "loose", "different"};
        for (int l = 1; l < POL_LV_COUNT; l++) {
            pol__jv *lo = pol__jv_obj();
            pol__jv_set(lo, "m", pol__jv_num(res->m[k][l]));
            pol__jv_set(lo, "u", pol__jv_num(res->u[k][l]));
            pol__jv_set(lo, "weight", pol__jv_num(pol__mt_log2_ratio(res, k, l)));
            pol__jv_set(fo, lvn[l], lo);
        }
        pol__jv_set(fields, pol__mfield_name((pol__mfield)k), fo);
    }
    /* The EM parameters are for machines (the JSON report, beside the step's measurements);
     * people get one line of per-field weights. */
    char summary[512];
    size_t sk = 0;
    summary[0] = '\0';
    for (int k = 0; k < POL_MF_COUNT && sk + 40 < sizeof summary; k++)
        if (res->used_fields & (1u << k))
            sk += (size_t)snprintf(summary + sk, sizeof summary - sk, "%s%s %+.1f/%+.1f",
                                   sk ? ", " : "", pol__mfield_name((pol__mfield)k),
                                   pol__mt_log2_ratio(res, k, POL_LV_EXACT),
                                   pol__mt_log2_ratio(res, k, POL_LV_DIFF));
    pol__measure_str(run, "field_weights_same_different", summary);
    if (run->step)
        pol__jv_set(run->step, "em_parameters", fields);
    else
        pol__jv_free(fields);
}
