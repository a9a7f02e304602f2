/* polish — matching, stage 2: candidate pairs from blocking keys. */
#include "records/dedupe_int.h"

/* ---- blocking ------------------------------------------------------------------------------- */

/* 16 bytes: a million rows make eight million of these. */
typedef struct keyrow {
    uint64_t key;
    uint32_t row : 28; /* rows are capped far below 2^28 (see pol__match) */
    uint32_t kind : 4; /* which blocking key (1..8) */
    uint32_t order;    /* secondary sort within large blocks */
} keyrow;

static uint64_t hash_str(uint64_t h, const char *p, size_t n)
{
    for (size_t i = 0; i < n; i++) h = (h ^ (unsigned char)p[i]) * 1099511628211ull;
    return h;
}

static uint64_t key_of(int kind, const char *a, size_t na, const char *b, size_t nb)
{
    uint64_t h = 1469598103934665603ull ^ (uint64_t)kind * 0x9E3779B97F4A7C15ull;
    h = hash_str(h, a, na);
    h = hash_str(h, "\x1f", 1);
    h = hash_str(h, b, nb);
    return h ? h : 1;
}

#define N_KEYS 8

static size_t keys_of(const fstore *s, const feat *f, uint64_t out[N_KEYS], uint8_t kind[N_KEYS])
{
    size_t k = 0;
#define KEY(n, expr) (kind[k] = (n), out[k++] = (expr))
    if (f->len[POL_MF_EMAIL])
        KEY(1, key_of(1, fs(s, f, POL_MF_EMAIL), f->len[POL_MF_EMAIL], "", 0));
    if (f->len[POL_MF_PHONE] >= 7)
        KEY(2, key_of(2, fs(s, f, POL_MF_PHONE), f->len[POL_MF_PHONE], "", 0));
    if (f->len[POL_MF_ID]) KEY(3, key_of(3, fs(s, f, POL_MF_ID), f->len[POL_MF_ID], "", 0));
    if (f->len[POL_MF_DOB] >= 6) KEY(4, key_of(4, fs(s, f, POL_MF_DOB), f->len[POL_MF_DOB], "", 0));
    if (f->sdx_last[0]) {
        char ini = f->canon_len ? s->text[f->canon_first] : '_';
        KEY(5, key_of(5, f->sdx_last, 4, &ini, 1));
    }
    if (f->sdx_last[0] && f->sdx_first[0]) { /* order-free: survives swapped first/last */
        int lt = strcmp(f->sdx_first, f->sdx_last) < 0;
        KEY(6, key_of(6, lt ? f->sdx_first : f->sdx_last, 4, lt ? f->sdx_last : f->sdx_first, 4));
    }
    if (f->len[POL_MF_POST] && f->len[POL_MF_STREETNO])
        KEY(7, key_of(7, fs(s, f, POL_MF_POST), f->len[POL_MF_POST], fs(s, f, POL_MF_STREETNO),
                      f->len[POL_MF_STREETNO]));
    if (f->len[POL_MF_POST] && f->sdx_first[0])
        KEY(8, key_of(8, fs(s, f, POL_MF_POST), f->len[POL_MF_POST], f->sdx_first, 4));
#undef KEY
    return k;
}

static int cmp_keyrow(const void *a, const void *b)
{
    const keyrow *x = a, *y = b;
    if (x->key != y->key) return x->key < y->key ? -1 : 1;
    if (x->order != y->order) return x->order < y->order ? -1 : 1;
    return x->row < y->row ? -1 : x->row > y->row;
}

/* Sorts key rows as cmp_keyrow orders them: a stable LSD radix sort on the key (11-bit digits),
 * then each run of one key, still in the order the rows were added (by row), by its name order
 * (insertion sort: runs are short; large blocks are rare). qsort when the scratch buffer cannot be
 * had. Stable throughout, so the rare equal rows stay as they were added, as qsort (glibc's merge
 * sort) left them. */
static void sort_keyrows(keyrow *v, size_t n)
{
    enum { BITS = 11, BUCKETS = 1 << BITS, DIGITS = (64 + BITS - 1) / BITS };
    if (n < 2) return;
    keyrow *tmp = n >= 256 ? malloc(n * sizeof *tmp) : NULL;
    mt_huge(tmp, n * sizeof *tmp);
    size_t(*count)[BUCKETS] = tmp ? calloc(DIGITS, sizeof *count) : NULL;
    if (!tmp || !count) {
        free(tmp);
        free(count);
        qsort(v, n, sizeof *v, cmp_keyrow);
        return;
    }
    for (size_t i = 0; i < n; i++)
        for (int d = 0; d < DIGITS; d++) count[d][(v[i].key >> (d * BITS)) & (BUCKETS - 1)]++;
    keyrow *src = v, *dst = tmp;
    for (int d = 0; d < DIGITS; d++) {
        size_t *c = count[d];
        int trivial = 0;
        for (size_t k = 0; k < BUCKETS && !trivial; k++) trivial = c[k] == n;
        if (trivial) continue;
        size_t sum = 0;
        for (size_t k = 0; k < BUCKETS; k++) {
            size_t t = c[k];
            c[k] = sum;
            sum += t;
        }
        for (size_t i = 0; i < n; i++) dst[c[(src[i].key >> (d * BITS)) & (BUCKETS - 1)]++] = src[i];
        keyrow *t = src;
        src = dst;
        dst = t;
    }
    if (src != v) memcpy(v, src, n * sizeof *v);
    free(tmp);
    free(count);
    for (size_t b = 0; b < n;) {
        size_t e = b + 1;
        while (e < n && v[e].key == v[b].key) e++;
        if (e - b > 64) {
            qsort(v + b, e - b, sizeof *v, cmp_keyrow); /* glibc: a stable merge sort */
        } else {
            for (size_t i = b + 1; i < e; i++) {
                keyrow x = v[i];
                size_t j = i;
                while (j > b && cmp_keyrow(&v[j - 1], &x) > 0) {
                    v[j] = v[j - 1];
                    j--;
                }
                v[j] = x;
            }
        }
        b = e;
    }
}

typedef struct ksort_job {
    keyrow *v;
    const size_t *start; /* bucket b is v[start[b], start[b + 1]) */
} ksort_job;

static void ksort_range(void *user, size_t b, size_t e)
{
    ksort_job *j = user;
    for (size_t k = b; k < e; k++) sort_keyrows(j->v + j->start[k], j->start[k + 1] - j->start[k]);
}

/* sort_keyrows on the run's threads: the rows dealt (stably) into 256 buckets by the key's top
 * byte, then each bucket sorted on its own. The keys are hashes, so the buckets are even. The
 * order is sort_keyrows's, whatever the number of threads. */
static void sort_keyrows_par(pol_run *run, keyrow *v, size_t n)
{
    keyrow *tmp = n >= (1u << 16) && run && run->threads > 1 ? malloc(n * sizeof *tmp) : NULL;
    if (!tmp) {
        sort_keyrows(v, n);
        return;
    }
    mt_huge(tmp, n * sizeof *tmp);
    size_t start[257] = {0}, at[256];
    for (size_t i = 0; i < n; i++) start[(v[i].key >> 56) + 1]++;
    for (size_t b = 0; b < 256; b++) start[b + 1] += start[b];
    memcpy(at, start, sizeof at);
    for (size_t i = 0; i < n; i++) tmp[at[v[i].key >> 56]++] = v[i];
    memcpy(v, tmp, n * sizeof *v);
    free(tmp);
    ksort_job j = {v, start};
    pol__parallel_for(run, 256, 1, ksort_range, &j);
}

static int cmp_cand(const void *a, const void *b)
{
    uint64_t x = ((const cand *)a)->pair, y = ((const cand *)b)->pair;
    return x < y ? -1 : x > y;
}

/* Sorts candidates by pair: LSD radix on 11-bit digits, skipping the digits every pair shares
 * (a million rows use 20 bits of each half), stable so repeated pairs stay adjacent. qsort when
 * the scratch buffer cannot be had (it would want as much). */
static void sort_cands(cand *v, size_t n)
{
    enum { BITS = 11, BUCKETS = 1 << BITS, DIGITS = (64 + BITS - 1) / BITS };
    if (n < 2) return;
    if (n < 256) {
        qsort(v, n, sizeof *v, cmp_cand);
        return;
    }
    cand *tmp = malloc(n * sizeof *tmp);
    mt_huge(tmp, n * sizeof *tmp);
    size_t(*count)[BUCKETS] = calloc(DIGITS, sizeof *count);
    if (!tmp || !count) {
        free(tmp);
        free(count);
        qsort(v, n, sizeof *v, cmp_cand);
        return;
    }
    for (size_t i = 0; i < n; i++)
        for (int d = 0; d < DIGITS; d++) count[d][(v[i].pair >> (d * BITS)) & (BUCKETS - 1)]++;
    cand *src = v, *dst = tmp;
    for (int d = 0; d < DIGITS; d++) {
        size_t *c = count[d];
        int trivial = 0;
        for (size_t k = 0; k < BUCKETS && !trivial; k++) trivial = c[k] == n;
        if (trivial) continue; /* every pair has the same digit here */
        size_t sum = 0;
        for (size_t k = 0; k < BUCKETS; k++) {
            size_t t = c[k];
            c[k] = sum;
            sum += t;
        }
        for (size_t i = 0; i < n; i++) dst[c[(src[i].pair >> (d * BITS)) & (BUCKETS - 1)]++] = src[i];
        cand *t = src;
        src = dst;
        dst = t;
    }
    if (src != v) memcpy(v, src, n * sizeof *v);
    free(tmp);
    free(count);
}

/* Sorted run [0, n) without repeats: repeated pairs merged into one, OR-ing their masks. */
static size_t dedup_sorted(cand *v, size_t n)
{
    size_t u = 0;
    for (size_t i = 0; i < n; i++) {
        if (u && v[i].pair == v[u - 1].pair)
            v[u - 1].mask |= v[i].mask;
        else
            v[u++] = v[i];
    }
    return u;
}

/* Sorts and merges repeated pairs (several keys propose the same pair), OR-ing their key masks.
 * The part compacted before stays sorted: only what came since is sorted, then the two runs are
 * merged (through a scratch copy of the new run; all at once when that cannot be had). */
static void compact(vec64 *v)
{
    size_t old = v->sorted <= v->n ? v->sorted : 0;
    size_t fresh = v->n - old;
    cand *tail = old && fresh ? malloc(fresh * sizeof *tail) : NULL;
    if (!tail) {
        sort_cands(v->v, v->n);
        v->n = v->sorted = dedup_sorted(v->v, v->n);
        return;
    }
    sort_cands(v->v + old, fresh);
    fresh = dedup_sorted(v->v + old, fresh);
    memcpy(tail, v->v + old, fresh * sizeof *tail);
    /* merge from the back: the result ends at old + fresh, and never overtakes the old run */
    size_t i = old, j = fresh, k = old + fresh;
    while (j > 0) {
        if (i > 0 && v->v[i - 1].pair > tail[j - 1].pair)
            v->v[--k] = v->v[--i];
        else
            v->v[--k] = tail[--j];
    }
    free(tail);
    v->n = v->sorted = dedup_sorted(v->v, old + fresh);
}

static int vpush(vec64 *v, uint64_t x, uint8_t mask)
{
    if (v->n == v->cap) {
        /* Compact before growing: the raw stream repeats most pairs several times, and growing
         * for the repeats is what would set the peak memory of a large match. */
        if (v->cap >= (1u << 20)) compact(v);
        if (v->n * 4 > v->cap * 3 || v->cap < (1u << 20)) {
            size_t cap = v->cap ? v->cap * 2 : 1024;
            cand *p = realloc(v->v, cap * sizeof *p);
            if (!p) return 0;
            v->v = p;
            v->cap = cap;
            mt_huge(p, cap * sizeof *p);
        }
    }
    v->v[v->n++] = (cand){x, mask};
    return 1;
}

static int add_pair(vec64 *pairs, const fstore *s, uint32_t a, uint32_t b, int cross, int kind)
{
    if (a == b) return 1;
    if (cross && s->f[a].source == s->f[b].source) return 1;
    if (a > b) {
        uint32_t t = a;
        a = b;
        b = t;
    }
    return vpush(pairs, (uint64_t)a << 32 | b, (uint8_t)(1u << (kind - 1)));
}

typedef struct blk_job {
    const fstore *s;
    const pol__match_opts *o;
    int cross;
    const keyrow *kr;
    size_t nk;
    const uint32_t *lo; /* part p keeps pairs whose first record is in [lo[p], lo[p + 1]) */
    vec64 *part;
    char *failed; /* per part */
} blk_job;

static void blk_range(void *user, size_t pb, size_t pe)
{
    blk_job *j = user;
    const keyrow *kr = j->kr;
    size_t nk = j->nk;
    for (size_t p = pb; p < pe; p++) {
        vec64 *v = &j->part[p];
        uint32_t lo = j->lo[p], hi = j->lo[p + 1];
        int ok = 1;
        for (size_t b = 0; b < nk && ok;) {
            size_t e = b + 1;
            while (e < nk && kr[e].key == kr[b].key) e++;
            /* all pairs of a small block; neighbours in name order in a large one */
            size_t reach = e - b <= j->o->max_block ? e : 0;
            for (size_t i = b; i < e && ok; i++) {
                size_t end = reach ? reach : (i + 5 < e ? i + 5 : e);
                for (size_t k = i + 1; k < end; k++) {
                    uint32_t a = kr[i].row, c = kr[k].row;
                    uint32_t first = a < c ? a : c;
                    if (first < lo || first >= hi) continue;
                    if (!add_pair(v, j->s, a, c, j->cross, kr[i].kind)) {
                        ok = 0;
                        break;
                    }
                }
            }
            b = e;
        }
        if (ok) compact(v);
        j->failed[p] = !ok;
    }
}

typedef struct keys_job {
    const fstore *s;
    keyrow *kr;
} keys_job;

static void keys_range(void *user, size_t b, size_t e)
{
    keys_job *j = user;
    const fstore *s = j->s;
    for (size_t i = b; i < e; i++) {
        uint64_t keys[N_KEYS];
        uint8_t kinds[N_KEYS];
        const feat *f = &s->f[i];
        size_t k = keys_of(s, f, keys, kinds);
        uint32_t order = (uint32_t)key_of(9, fs(s, f, POL_MF_LAST), f->len[POL_MF_LAST],
                                          s->text + f->canon_first, f->canon_len);
        keyrow *out = j->kr + i * N_KEYS;
        for (size_t m = 0; m < N_KEYS; m++)
            out[m] = m < k ? (keyrow){keys[m], (uint32_t)i, kinds[m], order} : (keyrow){0, 0, 0, 0};
    }
}

/* Stage 2: candidate pairs from eight blocking keys; large blocks by a sorted window. */
int pol__mt_block(pol_run *run, const fstore *s, const pol__match_opts *o, int cross, vec64 *pairs,
                  pol__match_result *res, size_t *blocks_out)
{
    return pol__mt_block_part(run, s, o, cross, pairs, res, blocks_out, 0, 1);
}

size_t pol__mt_key_bucket(uint64_t key, size_t parts)
{
    return parts > 1 ? (size_t)((key * 0x9E3779B97F4A7C15ull) >> 32) % parts : 0;
}

int pol__mt_block_part(pol_run *run, const fstore *s, const pol__match_opts *o, int cross,
                       vec64 *pairs, pol__match_result *res, size_t *blocks_out, size_t bucket,
                       size_t buckets)
{
    size_t n = s->n;
    keyrow *kr = NULL;
    size_t nk = 0;
    kr = malloc((n ? n : 1) * N_KEYS * sizeof *kr);
    if (!kr) return 0;
    mt_huge(kr, n * N_KEYS * sizeof *kr);
    /* N_KEYS slots per row, filled in parallel (key 0: unused; key_of never gives 0), then the
     * used ones closed up in row order. */
    keys_job kj = {s, kr};
    pol__parallel_for(run, n, 16384, keys_range, &kj);
    for (size_t i = 0; i < n * N_KEYS; i++)
        if (kr[i].key && (buckets < 2 || pol__mt_key_bucket(kr[i].key, buckets) == bucket))
            kr[nk++] = kr[i]; /* a block is whole in the one part its key falls in */
    sort_keyrows_par(run, kr, nk);
    size_t blocks = 0;
    for (size_t b = 0; b < nk;) {
        size_t e = b + 1;
        while (e < nk && kr[e].key == kr[b].key) e++;
        blocks += e - b > 1;
        res->blocks_capped += e - b > o->max_block;
        b = e;
    }
    /* Pairs by the range of their first record, one part each (two per thread): every part walks
     * all blocks and keeps its own pairs, sorted and without repeats, so the parts laid end to end
     * are the sorted candidates, whatever the number of parts. */
    enum { MAX_PARTS = 64 };
    size_t PARTS = run && run->threads > 1 ? (size_t)run->threads * 2 : 1;
    if (PARTS > MAX_PARTS) PARTS = MAX_PARTS;
    vec64 part[MAX_PARTS];
    uint32_t lo[MAX_PARTS + 1];
    memset(part, 0, sizeof part);
    for (size_t p = 0; p <= PARTS; p++) lo[p] = (uint32_t)((uint64_t)n * p / PARTS);
    char part_failed[MAX_PARTS] = {0};
    blk_job job = {s, o, cross, kr, nk, lo, part, part_failed};
    pol__parallel_for(run, PARTS, 1, blk_range, &job);
    size_t total = 0;
    int failed = 0;
    for (size_t p = 0; p < PARTS; p++) {
        total += part[p].n;
        failed |= part_failed[p];
    }
    if (!failed) {
        free(pairs->v);
        *pairs = part[0];
        part[0].v = NULL;
        if (pairs->cap < total) {
            cand *v = realloc(pairs->v, (total ? total : 1) * sizeof *v);
            if (v) {
                pairs->v = v;
                pairs->cap = total;
                mt_huge(v, total * sizeof *v);
            } else {
                failed = 1;
            }
        }
        for (size_t p = 1; p < PARTS && !failed; p++) {
            if (part[p].n) memcpy(pairs->v + pairs->n, part[p].v, part[p].n * sizeof *part[p].v);
            pairs->n += part[p].n;
            free(part[p].v);
            part[p].v = NULL;
        }
        pairs->sorted = pairs->n;
    }
    for (size_t p = 0; p < PARTS; p++) free(part[p].v);
    if (failed) {
        free(kr);
        return 0;
    }
    free(kr);
    kr = NULL;
    res->candidates = pairs->n;

    *blocks_out = blocks;
    return 1;
}

int pol__mt_part_rows(pol_run *run, const fstore *s, size_t parts,
                      int (*emit)(void *user, size_t first, const uint64_t *mask), void *user)
{
    size_t n = s->n, nk = 0;
    keyrow *kr = malloc((n ? n : 1) * N_KEYS * sizeof *kr);
    uint64_t *mask = malloc((n ? n : 1) * sizeof *mask);
    if (!kr || !mask) {
        free(kr);
        free(mask);
        return 0;
    }
    mt_huge(kr, n * N_KEYS * sizeof *kr);
    keys_job kj = {s, kr};
    pol__parallel_for(run, n, 16384, keys_range, &kj);
    for (size_t i = 0; i < n * N_KEYS; i++)
        if (kr[i].key) kr[nk++] = kr[i];
    sort_keyrows_par(run, kr, nk);
    int ok = 1;
    /* the parts 64 at a time: bit p - first of mask[row] when a block of part p has the row */
    for (size_t first = 0; first < (parts ? parts : 1) && ok; first += 64) {
        memset(mask, 0, n * sizeof *mask);
        for (size_t b = 0; b < nk;) {
            size_t e = b + 1;
            while (e < nk && kr[e].key == kr[b].key) e++;
            size_t p = pol__mt_key_bucket(kr[b].key, parts);
            if (e - b > 1 && p >= first && p - first < 64)
                for (size_t i = b; i < e; i++) mask[kr[i].row] |= (uint64_t)1 << (p - first);
            b = e;
        }
        ok = emit(user, first, mask);
    }
    free(kr);
    free(mask);
    return ok;
}
