/* polish — matching, stage 5: scored pairs clustered best first, with an average-linkage check
 * and hard conflicts (Jr./Sr., households, namesakes). */
#include "records/dedupe_int.h"

/* ---- clustering ----------------------------------------------------------------------------- */

typedef struct cl {
    uint32_t *parent, *size, *next, *last; /* union-find with member lists */
} cl;

static uint32_t find(cl *c, uint32_t x)
{
    while (c->parent[x] != x) {
        c->parent[x] = c->parent[c->parent[x]];
        x = c->parent[x];
    }
    return x;
}

/* Facts that make two records two people whatever the weights say: father and son (Jr./Sr., or
 * a suffix on one side only when the emails differ),
 * or two given names that are not variants of each other (nor swapped with the surname) while
 * both records give different email addresses, as two people of one household do. */
static const char *conflict_of(const fstore *s, const feat *x, const feat *y,
                               const uint8_t lv[POL_MF_COUNT])
{
    if (x->gen && y->gen && x->gen != y->gen) return "generation suffixes differ (Jr./Sr./II/III)";
    /* Father and son at one address: a suffix on one side only, and each has his own email. */
    if ((x->gen != 0) != (y->gen != 0) && lv[POL_MF_EMAIL] == POL_LV_DIFF)
        return "a generation suffix on one side and different emails";
    if (lv[POL_MF_FIRST] == POL_LV_DIFF && lv[POL_MF_EMAIL] == POL_LV_DIFF) {
        int swapped = x->len[POL_MF_FIRST] == y->len[POL_MF_LAST] &&
                      !memcmp(fs(s, x, POL_MF_FIRST), fs(s, y, POL_MF_LAST), x->len[POL_MF_FIRST]);
        if (!swapped) return "different given names and different emails";
    }
    /* Namesakes: nothing that reaches a person (email, phone, address, birth date, id) is shared,
     * and at least two of them are known on both sides and differ. */
    static const int contact[] = {POL_MF_EMAIL, POL_MF_PHONE, POL_MF_STREET, POL_MF_DOB, POL_MF_ID};
    int differ = 0;
    for (size_t i = 0; i < sizeof contact / sizeof contact[0]; i++) {
        int l = lv[contact[i]];
        if (l == POL_LV_EXACT || l == POL_LV_CLOSE) return NULL;
        differ += l == POL_LV_DIFF || l == POL_LV_LOOSE;
    }
    if (lv[POL_MF_STREETNO] == POL_LV_EXACT) return NULL;
    if (differ >= 2) return "no email, phone, address, birth date or id in common";
    return NULL;
}

static double pair_prob(const fstore *s, const pol__match_result *r, uint32_t a, uint32_t b,
                        const char **conflict, mt_memo *memo)
{
    const feat *x = &s->f[a], *y = &s->f[b];
    uint8_t lv[POL_MF_COUNT];
    pol__mt_compare_memo(s, x, y, lv, memo);
    if ((*conflict = conflict_of(s, x, y, lv))) return 0;
    return pol__mt_prob_of(r, pol__mt_pattern_weight(r, pol__mt_pack(lv)));
}

/* Average probability over all cross pairs of two clusters (sampled beyond 256 pairs). */
static double linkage(const fstore *s, const pol__match_result *r, cl *c, uint32_t ra, uint32_t rb,
                      const char **conflict, mt_memo *memo)
{
    double sum = 0;
    size_t n = 0;
    size_t total = (size_t)c->size[ra] * c->size[rb];
    size_t stride = total > 256 ? total / 256 : 1, idx = 0;
    for (uint32_t a = ra; a != UINT32_MAX; a = c->next[a])
        for (uint32_t b = rb; b != UINT32_MAX; b = c->next[b], idx++) {
            if (idx % stride) continue;
            sum += pair_prob(s, r, a, b, conflict, memo);
            n++;
            if (*conflict) return 0;
        }
    return n ? sum / (double)n : 0;
}

typedef struct scored {
    uint64_t pair;
    float prob;
    uint32_t idx; /* into the patterns */
} scored;

static int cmp_scored(const void *a, const void *b)
{
    const scored *x = a, *y = b;
    if (x->prob != y->prob) return x->prob > y->prob ? -1 : 1;
    return x->pair < y->pair ? -1 : x->pair > y->pair;
}

/* Probabilities by pattern: an open-addressed table filled as patterns come (a few thousand). */
typedef struct wslot {
    uint64_t key; /* pattern + 1, 0 = empty */
    float prob;
} wslot;

typedef struct wcache {
    wslot *t;
    size_t cap, n;
} wcache;

static int wcache_init(wcache *c)
{
    c->cap = 4096;
    c->n = 0;
    c->t = calloc(c->cap, sizeof *c->t);
    return c->t != NULL;
}

static void wcache_free(wcache *c)
{
    free(c->t);
    c->t = NULL;
}

static float wcache_prob(wcache *c, const pol__match_result *r, uint64_t pattern)
{
    uint64_t key = pattern + 1;
    size_t j = (size_t)((key * 0x9E3779B97F4A7C15ull) >> 40) & (c->cap - 1);
    while (c->t[j].key && c->t[j].key != key) j = (j + 1) & (c->cap - 1);
    if (c->t[j].key) return c->t[j].prob;
    float prob = (float)pol__mt_prob_of(r, pol__mt_pattern_weight(r, pattern));
    if ((c->n + 1) * 2 > c->cap) { /* full enough: grow (or, without memory, just answer) */
        wslot *t = calloc(c->cap * 2, sizeof *t);
        if (!t) return prob;
        size_t cap = c->cap * 2;
        for (size_t i = 0; i < c->cap; i++) {
            if (!c->t[i].key) continue;
            size_t k = (size_t)((c->t[i].key * 0x9E3779B97F4A7C15ull) >> 40) & (cap - 1);
            while (t[k].key) k = (k + 1) & (cap - 1);
            t[k] = c->t[i];
        }
        free(c->t);
        c->t = t;
        c->cap = cap;
        j = (size_t)((key * 0x9E3779B97F4A7C15ull) >> 40) & (cap - 1);
        while (c->t[j].key) j = (j + 1) & (cap - 1);
    }
    c->t[j] = (wslot){key, prob};
    c->n++;
    return prob;
}

/* Stage 5: score, then cluster best first with an average-linkage check and hard conflicts. */
int pol__mt_cluster(const fstore *s, const pol__match_opts *o, vec64 *pairs,
                    const uint64_t *patterns, pol__match_result *res)
{
    size_t n = s->n, u = pairs->n;
    scored *sc = NULL;
    mt_memo *memo = NULL;
    cl c = {0};
    int ok = 0;
    sc = malloc((u ? u : 1) * sizeof *sc);
    mt_huge(sc, u * sizeof *sc);
    c.parent = malloc(n * sizeof *c.parent);
    c.size = malloc(n * sizeof *c.size);
    c.next = malloc(n * sizeof *c.next);
    c.last = malloc(n * sizeof *c.last);
    if (!sc || !c.parent || !c.size || !c.next || !c.last) goto out;
    /* Every pair's probability, through its pattern's (a million pairs share a few thousand
     * patterns); pairs under review_low are never looked at again, so they are not sorted. */
    wcache wc;
    if (!wcache_init(&wc)) goto out;
    memo = calloc(1, sizeof *memo); /* NULL: compare without */
    size_t ns = 0;
    for (size_t i = 0; i < u; i++) {
        float prob = wcache_prob(&wc, res, patterns[i]);
        if (prob >= o->review_low) sc[ns++] = (scored){pairs->v[i].pair, prob, (uint32_t)i};
    }
    wcache_free(&wc);
    free(pairs->v);
    pairs->v = NULL;
    u = ns;
    qsort(sc, u, sizeof *sc, cmp_scored);
    for (size_t i = 0; i < n; i++) {
        c.parent[i] = c.last[i] = (uint32_t)i;
        c.size[i] = 1;
        c.next[i] = UINT32_MAX;
    }
    size_t kept_cap = 0;
    for (size_t i = 0; i < u; i++) {
        if (sc[i].prob < o->review_low) break;
        uint32_t a = (uint32_t)(sc[i].pair >> 32), b = (uint32_t)sc[i].pair;
        pol__pair_kind kind = POL_PAIR_NEAR_MISS;
        const char *note = NULL;
        if (sc[i].prob >= o->threshold) {
            const char *conflict = NULL;
            uint32_t x = find(&c, a), y = find(&c, b);
            if (x == y) {
                kind = POL_PAIR_MATCH;
            } else {
                /* The pair itself first: most refusals are decided there, cheaply. */
                uint8_t plv[POL_MF_COUNT];
                pol__mt_unpack(patterns[sc[i].idx], plv);
                conflict = conflict_of(s, &s->f[a], &s->f[b], plv);
                double link = 0;
                if (!conflict && c.size[x] + c.size[y] <= MAX_CLUSTER)
                    link = c.size[x] == 1 && c.size[y] == 1 ? sc[i].prob
                                                            : linkage(s, res, &c, x, y, &conflict, memo);
                if (conflict) {
                    kind = POL_PAIR_REFUSED;
                    note = conflict;
                } else if (c.size[x] + c.size[y] > MAX_CLUSTER) {
                    kind = POL_PAIR_REFUSED;
                    note = "the cluster would exceed " STR(MAX_CLUSTER) " records";
                } else if (link < o->threshold) {
                    kind = POL_PAIR_REFUSED;
                    note = "the two groups do not hold together on average";
                } else {
                    kind = POL_PAIR_MATCH;
                    if (c.size[x] < c.size[y]) {
                        uint32_t t = x;
                        x = y;
                        y = t;
                    }
                    c.parent[y] = x;
                    c.next[c.last[x]] = y;
                    c.last[x] = c.last[y];
                    c.size[x] += c.size[y];
                }
            }
            if (kind == POL_PAIR_MATCH) {
                if (sc[i].prob > res->score[a]) res->score[a] = sc[i].prob;
                if (sc[i].prob > res->score[b]) res->score[b] = sc[i].prob;
            }
        }
        if (!o->keep_pairs || res->n_pairs >= MAX_KEPT_PAIRS) {
            res->pairs_dropped += o->keep_pairs != 0;
            continue;
        }
        if (res->n_pairs == kept_cap) {
            kept_cap = kept_cap ? kept_cap * 2 : 256;
            pol__match_pair *p = realloc(res->pairs, kept_cap * sizeof *p);
            if (!p) goto out;
            res->pairs = p;
        }
        pol__match_pair *p = &res->pairs[res->n_pairs++];
        memset(p, 0, sizeof *p);
        p->a = a;
        p->b = b;
        p->prob = sc[i].prob;
        p->weight = (float)pol__mt_pattern_weight(res, patterns[sc[i].idx]);
        p->kind = kind;
        p->note = note;
        pol__mt_unpack(patterns[sc[i].idx], p->level);
        for (int k = 0; k < POL_MF_COUNT; k++)
            p->fw[k] = p->level[k] ? (float)pol__mt_log2_ratio(res, k, p->level[k]) : 0.0f;
    }
    /* Dense cluster ids in order of each cluster's first record. */
    uint32_t *id_of_root = calloc(n, sizeof *id_of_root);
    if (!id_of_root) goto out;
    uint32_t next_id = 0;
    for (size_t i = 0; i < n; i++) {
        uint32_t r0 = find(&c, (uint32_t)i);
        if (!id_of_root[r0]) id_of_root[r0] = ++next_id;
        res->cluster[i] = id_of_root[r0];
        if (c.size[r0] > 1) res->n_merged_records++;
    }
    free(id_of_root);
    res->n_clusters = next_id;
    /* A record in a cluster of several is "merged"; count clusters minus one per cluster. */
    ok = 1;
out:
    free(memo);
    free(c.parent);
    free(c.size);
    free(c.next);
    free(c.last);
    free(sc);
    return ok;
}
