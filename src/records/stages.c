/* polish — records deduplicated in stages across shards (polish plan, docs/SCALE.md).
 *
 * Stage 1 "model": the Fellegi-Sunter model (prior, m and u per field and level) learned once, on
 * a sample of the rows (all of them up to model-sample rows), or the model file given to dedupe.
 * Stage 1 also deals the rows into one file per score part: a blocking key falls in one part (a
 * hash of the key), and a row goes to every part in which one of its keys is shared by another
 * row. Stage 2 "score", one part per shard, reads only its part's rows, never the list; each
 * block lies whole in one part and is paired exactly as one process pairs it; its candidate pairs
 * are compared and scored with the model, and those that clustering looks at (probability from
 * review-low up) are written with their comparison pattern. Stage 3 "join": the parts' pairs are
 * merged (a pair proposed by keys in two parts is kept once) and clustered over all rows as one
 * process clusters them; then the rest of the recipe runs and the list is delivered. With the
 * same model, the clusters, scores and review set are those of a single-process run: `dedupe`
 * with `model: FILE` is that run. */
#include <errno.h>
#include <stdio.h>
#include "core/internal.h"
#include "core/pipeline.h"
#include "records/dedupe_int.h"
#include "records/stages.h"

#define MODEL_MAGIC "polish-records-model 1"
#define PAIRS_MAGIC "polish-records-pairs 1\n"

extern const pol_op_desc pol__records_op_dedupe;

size_t pol__records_plan_stages(const pol_pipeline *p, size_t shards, const char **names,
                                size_t *parts, size_t max)
{
    (void)shards;
    size_t n_dedupe = 0;
    for (size_t i = 0; i < p->n_steps; i++) n_dedupe += p->steps[i].op == &pol__records_op_dedupe;
    if (n_dedupe != 1 || max < 3) return 0; /* nothing to stage (or two matches: run whole) */
    names[0] = "model";
    parts[0] = 1;
    names[1] = "score";
    parts[1] = 0; /* one per shard */
    names[2] = "join";
    parts[2] = 1;
    return 3;
}

/* ---- the model file: the prior, then m and u of every field and level, exactly (hex floats) -- */

static pol_status model_write(pol_run *run, const char *path, const pol__match_result *r,
                              int declined)
{
    pol__outfile of = {0};
    pol_status st = pol__out_open(run, path, &of);
    if (st) return st;
    fprintf(of.fp, "%s\n", MODEL_MAGIC);
    if (declined) {
        fprintf(of.fp, "declined\n");
    } else {
        fprintf(of.fp, "prior %a\n", r->prior);
        for (int k = 0; k < POL_MF_COUNT; k++)
            for (int l = 1; l < POL_LV_COUNT; l++)
                fprintf(of.fp, "%s %d %a %a\n", pol__mfield_name((pol__mfield)k), l, r->m[k][l],
                        r->u[k][l]);
    }
    if (ferror(of.fp)) {
        pol__out_abort(&of);
        return pol__fail(run, POL_ERR_IO, "cannot write %s", path);
    }
    return pol__out_commit(run, &of);
}

/* Reads a model file into r (prior, m, u); every field and level must be there, probabilities in
 * (0, 1]. */
static pol_status model_read(pol_run *run, const char *path, pol__match_result *r)
{
    FILE *f = fopen(path, "r");
    if (!f) return pol__fail(run, POL_ERR_NOT_FOUND, "model %s: %s", path, strerror(errno));
    char line[256];
    pol_status st = POL_OK;
    unsigned seen[POL_MF_COUNT] = {0};
    int have_prior = 0, lineno = 0;
    if (!fgets(line, sizeof line, f) || strncmp(line, MODEL_MAGIC, strlen(MODEL_MAGIC)) != 0) {
        fclose(f);
        return pol__fail(run, POL_ERR_FORMAT, "%s: not a polish records model (first line is not "
                                              "\"" MODEL_MAGIC "\")", path);
    }
    while (!st && fgets(line, sizeof line, f)) {
        lineno++;
        char name[64];
        int l;
        double a, b;
        if (!strcmp(line, "declined\n")) {
            st = pol__fail(run, POL_ERR_FORMAT, "%s: the model's list had nothing to match on",
                           path);
        } else if (sscanf(line, "prior %lf", &a) == 1) {
            if (!(a > 0 && a < 1))
                st = pol__fail(run, POL_ERR_FORMAT, "%s:%d: prior %g is not in (0, 1)", path,
                               lineno + 1, a);
            r->prior = a;
            have_prior = 1;
        } else if (sscanf(line, "%63s %d %lf %lf", name, &l, &a, &b) == 4) {
            int k = 0;
            while (k < POL_MF_COUNT && strcmp(pol__mfield_name((pol__mfield)k), name)) k++;
            if (k == POL_MF_COUNT || l < 1 || l >= POL_LV_COUNT || !(a > 0 && a <= 1) ||
                !(b > 0 && b <= 1))
                st = pol__fail(run, POL_ERR_FORMAT, "%s:%d: not a field, level, m and u", path,
                               lineno + 1);
            else {
                r->m[k][l] = a;
                r->u[k][l] = b;
                seen[k] |= 1u << l;
            }
        } else if (line[0] != '\n') {
            st = pol__fail(run, POL_ERR_FORMAT, "%s:%d: not a model line", path, lineno + 1);
        }
    }
    fclose(f);
    for (int k = 0; !st && k < POL_MF_COUNT; k++)
        if (seen[k] != ((1u << POL_LV_COUNT) - 2))
            st = pol__fail(run, POL_ERR_FORMAT, "%s: field %s lacks some of its levels", path,
                           pol__mfield_name((pol__mfield)k));
    if (!st && !have_prior) st = pol__fail(run, POL_ERR_FORMAT, "%s: no prior", path);
    return st;
}

/* ---- scored pairs: the pair (a << 32 | b) and its comparison pattern, sorted by pair -------- */

typedef struct spair {
    uint64_t pair, pattern;
} spair;

static pol_status pairs_write(pol_run *run, const char *path, const spair *v, size_t n)
{
    pol__outfile of = {0};
    pol_status st = pol__out_open(run, path, &of);
    if (st) return st;
    uint64_t n64 = n;
    fwrite(PAIRS_MAGIC, 1, strlen(PAIRS_MAGIC), of.fp);
    fwrite(&n64, sizeof n64, 1, of.fp);
    if (n) fwrite(v, sizeof *v, n, of.fp);
    if (ferror(of.fp)) {
        pol__out_abort(&of);
        return pol__fail(run, POL_ERR_IO, "cannot write %s", path);
    }
    return pol__out_commit(run, &of);
}

/* Appends the pairs of `path` to *v (grown as needed). */
static pol_status pairs_read(pol_run *run, const char *path, size_t n_rows, spair **v, size_t *n,
                             size_t *cap)
{
    FILE *f = fopen(path, "rb");
    if (!f) return pol__fail(run, POL_ERR_NOT_FOUND, "%s: %s (its score stage has not run)", path,
                             strerror(errno));
    char magic[sizeof PAIRS_MAGIC];
    uint64_t k = 0;
    pol_status st = POL_OK;
    if (fread(magic, 1, strlen(PAIRS_MAGIC), f) != strlen(PAIRS_MAGIC) ||
        memcmp(magic, PAIRS_MAGIC, strlen(PAIRS_MAGIC)) || fread(&k, sizeof k, 1, f) != 1 ||
        k > ((uint64_t)1 << 40))
        st = pol__fail(run, POL_ERR_FORMAT, "%s: not a polish pairs file", path);
    if (!st && *n + k > *cap) {
        size_t nc = (*n + (size_t)k) * 2;
        spair *nv = realloc(*v, (nc ? nc : 1) * sizeof *nv);
        if (!nv) st = pol__fail(run, POL_ERR_NOMEM, "out of memory reading %s", path);
        else {
            *v = nv;
            *cap = nc;
        }
    }
    if (!st && k && fread(*v + *n, sizeof **v, (size_t)k, f) != k)
        st = pol__fail(run, POL_ERR_FORMAT, "%s: cut short", path);
    for (size_t i = 0; !st && i < k; i++) {
        uint64_t p = (*v)[*n + i].pair;
        if ((p >> 32) >= (uint32_t)p || (uint32_t)p >= n_rows)
            st = pol__fail(run, POL_ERR_FORMAT, "%s: a pair of rows not in this list (was it "
                                                "made from another?)", path);
    }
    fclose(f);
    if (!st) *n += (size_t)k;
    return st;
}

static int by_pair(const void *a, const void *b)
{
    uint64_t x = ((const spair *)a)->pair, y = ((const spair *)b)->pair;
    return x < y ? -1 : x > y;
}

/* ---- the rows of each score part: written once by the model stage, read by its score shard ----
 *
 * OUT/.polish-stages/K/1.rows.P holds the rows part P's blocks need (pol__mt_part_rows): for each
 * its row number in the list and its features, then the features' text. Strings of interned
 * fields are written once per distinct (offset, length), so equal offsets still mean equal text
 * and the comparisons' memo works as in one process. A row whose keys fall in several parts is
 * written to each of them. */

#define ROWS_MAGIC "polish-records-rows 1\n"

typedef struct rows_head {
    uint64_t feat_size, list_rows, rows, text_len, interned;
} rows_head;

static char *rows_path(const pol_stage *sg, size_t part)
{
    return pol__asprintf("%s/1.rows.%zu", sg->dir, part);
}

typedef struct rows_w {
    pol_run *run;
    const pol_stage *sg;
    const fstore *s; /* NULL: no rows (a list with nothing to match on) */
    size_t parts;
    char *text;
    size_t text_len, text_cap;
    uint64_t *key; /* (offset << 8 | length) + 1 of an interned string; 0: empty */
    uint32_t *val; /* its offset in this part's text */
    size_t cap, used;
    size_t dealt; /* rows written, over all parts */
    pol_status st;
} rows_w;

/* Appends p[0, n) and a NUL to the part's text: *off its offset. 0 when out of memory. */
static int text_put(rows_w *w, const char *p, size_t n, uint32_t *off)
{
    if (w->text_len + n + 1 > w->text_cap) {
        size_t cap = (w->text_len + n + 1) * 2;
        char *t = cap < UINT32_MAX ? realloc(w->text, cap) : NULL;
        if (!t) return 0;
        w->text = t;
        w->text_cap = cap;
    }
    *off = (uint32_t)w->text_len;
    memcpy(w->text + w->text_len, p, n);
    w->text[w->text_len + n] = '\0';
    w->text_len += n + 1;
    return 1;
}

/* The part's offset of the interned string at `off` (length n) of the list's text. */
static int text_interned(rows_w *w, uint32_t off, size_t n, uint32_t *out)
{
    if (w->used * 2 >= w->cap) {
        size_t cap = w->cap ? w->cap * 2 : 4096;
        uint64_t *key = calloc(cap, sizeof *key);
        uint32_t *val = malloc(cap * sizeof *val);
        if (!key || !val) {
            free(key);
            free(val);
            return 0;
        }
        for (size_t i = 0; i < w->cap; i++)
            if (w->key[i]) {
                size_t h = (size_t)((w->key[i] * 0x9E3779B97F4A7C15ull) >> 20) & (cap - 1);
                while (key[h]) h = (h + 1) & (cap - 1);
                key[h] = w->key[i];
                val[h] = w->val[i];
            }
        free(w->key);
        free(w->val);
        w->key = key;
        w->val = val;
        w->cap = cap;
    }
    uint64_t k = ((uint64_t)off << 8 | n) + 1;
    size_t h = (size_t)((k * 0x9E3779B97F4A7C15ull) >> 20) & (w->cap - 1);
    while (w->key[h] && w->key[h] != k) h = (h + 1) & (w->cap - 1);
    if (w->key[h]) {
        *out = w->val[h];
        return 1;
    }
    if (!text_put(w, w->s->text + off, n, out)) return 0;
    w->key[h] = k;
    w->val[h] = *out;
    w->used++;
    return 1;
}

/* Part `part`'s file: the rows whose bit is set in mask (every row's bit when mask is NULL). */
static pol_status rows_write_part(rows_w *w, size_t part, const uint64_t *mask, unsigned bit)
{
    char *path = rows_path(w->sg, part);
    if (!path) return pol__fail(w->run, POL_ERR_NOMEM, "out of memory");
    pol__outfile of = {0};
    pol_status st = pol__out_open(w->run, path, &of);
    const fstore *s = w->s;
    rows_head h = {sizeof(feat), s ? s->n : 0, 0, 0, s ? s->interned : 0};
    w->text_len = 0;
    w->used = 0;
    if (w->key) memset(w->key, 0, w->cap * sizeof *w->key);
    uint32_t nul = 0;
    int ok = !st && text_put(w, "", 0, &nul); /* offset 0: the empty string, as in the list */
    if (!st) fwrite(ROWS_MAGIC, 1, strlen(ROWS_MAGIC), of.fp);
    if (!st) fwrite(&h, sizeof h, 1, of.fp);
    for (size_t i = 0; ok && !st && s && i < s->n; i++) {
        if (mask && !(mask[i] >> bit & 1)) continue;
        feat g = s->f[i];
        for (int k = 0; k < POL_MF_COUNT && ok; k++) {
            if (!g.len[k]) g.off[k] = 0;
            else if (s->interned >> k & 1) ok = text_interned(w, g.off[k], g.len[k], &g.off[k]);
            else ok = text_put(w, s->text + g.off[k], g.len[k], &g.off[k]);
        }
        if (ok && (s->interned >> POL_MF_FIRST & 1)) /* equal offsets, equal names */
            ok = text_interned(w, g.canon_first, g.canon_len, &g.canon_first);
        else if (ok)
            ok = text_put(w, s->text + g.canon_first, g.canon_len, &g.canon_first);
        uint32_t row = (uint32_t)i;
        fwrite(&row, sizeof row, 1, of.fp);
        fwrite(&g, sizeof g, 1, of.fp);
        h.rows++;
    }
    h.text_len = w->text_len;
    if (!st && ok) {
        fwrite(w->text, 1, w->text_len, of.fp);
        if (fseek(of.fp, (long)strlen(ROWS_MAGIC), SEEK_SET) == 0) fwrite(&h, sizeof h, 1, of.fp);
        else ok = 0;
    }
    if (!st && (!ok || ferror(of.fp))) {
        pol__out_abort(&of);
        st = pol__fail(w->run, ok ? POL_ERR_IO : POL_ERR_NOMEM, "cannot write %s", path);
    }
    if (!st) st = pol__out_commit(w->run, &of);
    w->dealt += h.rows;
    free(path);
    return st;
}

static int rows_emit(void *user, size_t first, const uint64_t *mask)
{
    rows_w *w = user;
    for (size_t p = first; p < w->parts && p < first + 64 && !w->st; p++)
        w->st = rows_write_part(w, p, mask, (unsigned)(p - first));
    return !w->st;
}

/* Every score part's rows from the model stage (s NULL: none). */
static pol_status rows_write(pol_run *run, const fstore *s)
{
    const pol_stage *sg = run->stage;
    rows_w w = {.run = run, .sg = sg, .s = s, .parts = sg->shards ? sg->shards : 1};
    pol_status st = POL_OK;
    if (!s || s->n == 0) {
        for (size_t p = 0; p < w.parts && !st; p++) st = rows_write_part(&w, p, NULL, 0);
    } else if (w.parts == 1) {
        st = rows_write_part(&w, 0, NULL, 0);
    } else if (!pol__mt_part_rows(run, s, w.parts, rows_emit, &w)) {
        st = w.st ? w.st : pol__fail(run, POL_ERR_NOMEM, "out of memory parting %zu records", s->n);
    }
    if (!st) pol__measure_int(run, "part_rows_written", (long long)w.dealt);
    if (!st && s && s->n)
        pol__decide(run, "%zu rows dealt to %zu score parts (%.2f a row): each part reads only "
                         "its own", w.dealt, w.parts, (double)w.dealt / (double)s->n);
    free(w.text);
    free(w.key);
    free(w.val);
    return st;
}

/* Reads part `part`'s rows: s (features and text), *rows their row numbers in the list,
 * *list_rows the list's. */
static pol_status rows_read(pol_run *run, const char *path, fstore *s, uint32_t **rows,
                            size_t *list_rows)
{
    FILE *f = fopen(path, "rb");
    if (!f) return pol__fail(run, POL_ERR_NOT_FOUND, "%s: %s (its model stage has not run)", path,
                             strerror(errno));
    char magic[sizeof ROWS_MAGIC];
    rows_head h;
    pol_status st = POL_OK;
    if (fread(magic, 1, strlen(ROWS_MAGIC), f) != strlen(ROWS_MAGIC) ||
        memcmp(magic, ROWS_MAGIC, strlen(ROWS_MAGIC)) || fread(&h, sizeof h, 1, f) != 1 ||
        h.feat_size != sizeof(feat) || h.rows > h.list_rows || h.list_rows >= (1u << 28) ||
        h.text_len == 0 || h.text_len >= UINT32_MAX) {
        fclose(f);
        return pol__fail(run, POL_ERR_FORMAT, "%s: not a polish rows file (of this build)", path);
    }
    s->n = (size_t)h.rows;
    s->interned = (unsigned)h.interned;
    s->text_len = s->text_cap = (size_t)h.text_len;
    s->f = malloc((s->n ? s->n : 1) * sizeof *s->f);
    s->text = malloc(s->text_len);
    *rows = malloc((s->n ? s->n : 1) * sizeof **rows);
    if (!s->f || !s->text || !*rows) st = pol__fail(run, POL_ERR_NOMEM, "out of memory reading %s", path);
    mt_huge(s->f, s->n * sizeof *s->f);
    for (size_t i = 0; !st && i < s->n; i++) {
        if (fread(*rows + i, sizeof **rows, 1, f) != 1 || fread(s->f + i, sizeof *s->f, 1, f) != 1)
            st = pol__fail(run, POL_ERR_FORMAT, "%s: cut short", path);
        else if ((*rows)[i] >= h.list_rows || (i && (*rows)[i] <= (*rows)[i - 1]))
            st = pol__fail(run, POL_ERR_FORMAT, "%s: rows out of order", path);
        for (int k = 0; !st && k < POL_MF_COUNT; k++)
            if ((uint64_t)s->f[i].off[k] + s->f[i].len[k] >= h.text_len)
                st = pol__fail(run, POL_ERR_FORMAT, "%s: a feature outside its text", path);
        if (!st && (uint64_t)s->f[i].canon_first + s->f[i].canon_len >= h.text_len)
            st = pol__fail(run, POL_ERR_FORMAT, "%s: a feature outside its text", path);
    }
    if (!st && fread(s->text, 1, s->text_len, f) != s->text_len)
        st = pol__fail(run, POL_ERR_FORMAT, "%s: cut short", path);
    fclose(f);
    *list_rows = (size_t)h.list_rows;
    return st;
}

/* ---- the stages ------------------------------------------------------------------------------ */

/* The comparison patterns of the candidates (in parallel). NULL when out of memory. */
static uint64_t *patterns_of(pol_run *run, const fstore *s, const vec64 *pairs)
{
    uint64_t *pat = malloc((pairs->n ? pairs->n : 1) * sizeof *pat);
    if (!pat) return NULL;
    mt_huge(pat, pairs->n * sizeof *pat);
    pol__mt_patterns(run, s, pairs->v, pairs->n, pat);
    return pat;
}

/* The row a sample keeps: all rows of one surname sound (or email, or row), so that the sample's
 * duplicates are mostly sampled together. */
static uint64_t sample_key(const fstore *s, const feat *f, size_t row)
{
    uint64_t h = 1469598103934665603ull;
    const char *p = NULL;
    size_t n = 0;
    if (f->sdx_last[0]) {
        p = f->sdx_last;
        n = 4;
    } else if (f->len[POL_MF_EMAIL]) {
        p = fs(s, f, POL_MF_EMAIL);
        n = f->len[POL_MF_EMAIL];
    }
    if (!p) return row * 0x9E3779B97F4A7C15ull;
    for (size_t i = 0; i < n; i++) h = (h ^ (unsigned char)p[i]) * 1099511628211ull;
    return h * 0x9E3779B97F4A7C15ull;
}

/* Stage 1: m, u and the prior estimated as one process estimates them, on the rows of the
 * sample (every row when there are at most `sample` of them). */
static int learn(pol_run *run, const fstore *s, const pol__match_opts *o, size_t sample,
                 pol__match_result *res)
{
    fstore sub = *s;
    size_t k = sample && s->n > sample ? (s->n + sample - 1) / sample : 1;
    if (k > 1) {
        sub.f = malloc(s->n / k * 2 * sizeof *sub.f + sizeof *sub.f);
        if (!sub.f) return 0;
        size_t m = 0, cap = s->n / k * 2 + 1;
        for (size_t i = 0; i < s->n && m < cap; i++)
            if (sample_key(s, &s->f[i], i) % k == 0) sub.f[m++] = s->f[i];
        sub.n = m;
        pol__measure_int(run, "model_sample_rows", (long long)m);
    }
    vec64 pairs = {0};
    uint64_t *patterns = NULL;
    size_t blocks = 0, samples = 0, n_patterns = 0;
    int ok = pol__mt_block(run, &sub, o, 0, &pairs, res, &blocks) &&
             pol__mt_estimate(run, &sub, &pairs, 0, sub.n, res, &patterns, &samples, &n_patterns);
    if (ok) pol__mt_report(run, res, sub.n, blocks, samples, n_patterns);
    free(patterns);
    free(pairs.v);
    if (sub.f != s->f) free(sub.f);
    return ok;
}

pol_status pol__records_stage_nothing(pol_run *run)
{
    pol__match_result none;
    memset(&none, 0, sizeof none);
    if (strcmp(run->stage->name, "model")) return pairs_write(run, run->stage->out, NULL, 0);
    pol_status st = rows_write(run, NULL);
    return st ? st : model_write(run, run->stage->out, &none, 1);
}

static int by_float_prob_ok(const pol__match_result *m, const pol__match_opts *o, uint64_t pattern)
{
    float prob = (float)pol__mt_prob_of(m, pol__mt_pattern_weight(m, pattern));
    return prob >= o->review_low; /* what clustering looks at, in its own precision */
}

pol_status pol__match_staged(pol_run *run, const pol__records *r, const pol__match_opts *o,
                             const char *model, size_t sample, pol__match_result *res,
                             int *stage_done)
{
    *stage_done = 0;
    memset(res, 0, sizeof *res);
    const pol_stage *sg = run->stage;
    const char *mode = sg ? sg->name : "whole";
    size_t n = pol__table_rows(r->rows);
    if (n >= (1u << 28)) return pol__fail(run, POL_ERR_LIMIT, "too many rows to match (%zu)", n);
    pol_status st = POL_OK;
    fstore s = {0};
    vec64 pairs = {0};
    uint64_t *patterns = NULL;
    spair *sp = NULL;
    size_t n_sp = 0, cap_sp = 0;
    char *path = NULL;
    if (!pol__mt_alloc(&s, res, n)) goto oom;
    if (!pol__mt_features(run, r, NULL, &s, res)) goto oom;
    int identity = (res->used_fields & ((1u << POL_MF_FIRST) | (1u << POL_MF_LAST) |
                                        (1u << POL_MF_EMAIL) | (1u << POL_MF_PHONE) |
                                        (1u << POL_MF_ID))) != 0;
    if (!strcmp(mode, "model")) {
        /* the model, learned here or taken from the file given */
        /* each score part's rows first, the model file last: it marks the stage done */
        if (!identity) {
            pol__decline(run, "no name, email, phone or id column to match on");
            st = rows_write(run, NULL);
            if (!st) st = model_write(run, sg->out, res, 1);
        } else if (model) {
            st = model_read(run, model, res);
            if (!st) pol__decide(run, "the model of %s is used", model);
            if (!st) st = rows_write(run, &s);
            if (!st) st = model_write(run, sg->out, res, 0);
        } else if (!learn(run, &s, o, sample, res)) {
            goto oom;
        } else {
            st = rows_write(run, &s);
            if (!st) st = model_write(run, sg->out, res, 0);
        }
        if (!st) *stage_done = 1;
        goto done;
    }
    if (!identity) { /* every record its own cluster, as one process leaves them */
        for (size_t i = 0; i < n; i++) res->cluster[i] = (uint32_t)i + 1;
        res->n_clusters = n;
        pol__decline(run, "no name, email, phone or id column to match on");
        if (sg && sg->stage < sg->n_stages) {
            st = pairs_write(run, sg->out, NULL, 0);
            if (!st) *stage_done = 1;
        }
        goto done;
    }
    /* the model: the file given (one process), or stage 1's */
    if (sg) {
        path = pol__stage_file(sg, 1, 0);
        if (!path) goto oom;
        model = path;
    }
    if ((st = model_read(run, model, res))) goto done;
    size_t blocks = 0;
    if (!strcmp(mode, "join")) {
        /* every part's pairs, each pair once (several keys in several parts may propose it) */
        size_t parts = sg->shards ? sg->shards : 1;
        for (size_t p = 0; p < parts && !st; p++) {
            char *pf = pol__stage_file(sg, 2, p);
            if (!pf) goto oom;
            st = pairs_read(run, pf, n, &sp, &n_sp, &cap_sp);
            free(pf);
        }
        if (st) goto done;
        qsort(sp, n_sp, sizeof *sp, by_pair);
        size_t u = 0;
        for (size_t i = 0; i < n_sp; i++)
            if (!u || sp[i].pair != sp[u - 1].pair) sp[u++] = sp[i];
        pairs.v = malloc((u ? u : 1) * sizeof *pairs.v);
        patterns = malloc((u ? u : 1) * sizeof *patterns);
        if (!pairs.v || !patterns) goto oom;
        for (size_t i = 0; i < u; i++) {
            pairs.v[i] = (cand){sp[i].pair, 0};
            patterns[i] = sp[i].pattern;
        }
        pairs.n = pairs.cap = pairs.sorted = u;
        res->candidates = u;
        pol__measure_int(run, "records", (long long)n);
        pol__measure_int(run, "pairs_joined", (long long)u);
        pol__decide(run, "%zu scored pairs from %zu parts joined over %zu records", u, parts, n);
    } else {
        /* one process with a model file: every block, scored with that model */
        if (!pol__mt_block(run, &s, o, 0, &pairs, res, &blocks)) goto oom;
        if (!(patterns = patterns_of(run, &s, &pairs))) goto oom;
        pol__mt_report(run, res, n, blocks, 0, 0);
        pol__decide(run, "the model of %s is used (not estimated)", model);
    }
    if (!pol__mt_cluster(&s, o, &pairs, patterns, res)) goto oom;
    goto done;
oom:
    st = pol__fail(run, POL_ERR_NOMEM, "out of memory while matching %zu records", n);
done:
    if (st || *stage_done) pol__match_result_free(res);
    free(path);
    free(sp);
    free(patterns);
    free(pairs.v);
    free(s.f);
    free(s.text);
    return st;
}

/* Stage 2 from the model stage's files alone: part P's rows (not the list), their candidate
 * pairs in the blocks of part P, compared and scored with the model; the pairs kept (from
 * review-low up) are written with the list's row numbers. */
static pol_status score_part(pol_run *run, const pol_args *args)
{
    const pol_stage *sg = run->stage;
    pol__match_opts o;
    pol__records_dedupe_opts(args, &o);
    pol__match_result res;
    memset(&res, 0, sizeof res);
    fstore s = {0};
    uint32_t *rows = NULL;
    vec64 pairs = {0};
    uint64_t *patterns = NULL;
    spair *sp = NULL;
    size_t n_sp = 0, list_rows = 0, blocks = 0;
    char *rp = rows_path(sg, sg->part), *mp = pol__stage_file(sg, 1, 0);
    pol_status st = rp && mp ? POL_OK : pol__fail(run, POL_ERR_NOMEM, "out of memory");
    if (!st) st = rows_read(run, rp, &s, &rows, &list_rows);
    if (!st && s.n && !(st = model_read(run, mp, &res))) {
        if (!pol__mt_block_part(run, &s, &o, 0, &pairs, &res, &blocks, sg->part, sg->parts) ||
            !(patterns = patterns_of(run, &s, &pairs)) ||
            !(sp = malloc((pairs.n ? pairs.n : 1) * sizeof *sp)))
            st = pol__fail(run, POL_ERR_NOMEM, "out of memory scoring %zu records", s.n);
        for (size_t i = 0; !st && i < pairs.n; i++) /* a monotone map: still sorted */
            if (by_float_prob_ok(&res, &o, patterns[i]))
                sp[n_sp++] = (spair){(uint64_t)rows[pairs.v[i].pair >> 32] << 32 |
                                         rows[(uint32_t)pairs.v[i].pair],
                                     patterns[i]};
    }
    if (!st) {
        pol__measure_int(run, "records", (long long)list_rows);
        pol__measure_int(run, "part_rows", (long long)s.n);
        pol__measure_int(run, "blocks", (long long)blocks);
        pol__measure_int(run, "candidate_pairs", (long long)pairs.n);
        pol__measure_int(run, "pairs_kept", (long long)n_sp);
        pol__decide(run, "part %zu of %zu: %zu of %zu records, %zu blocks, %zu candidate pairs, "
                         "%zu scored from review-low up",
                    sg->part + 1, sg->parts, s.n, list_rows, blocks, pairs.n, n_sp);
        st = pairs_write(run, sg->out, sp, n_sp);
    }
    free(rp);
    free(mp);
    free(rows);
    free(s.f);
    free(s.text);
    free(pairs.v);
    free(patterns);
    free(sp);
    return st;
}

int pol__records_stage_unloaded(pol_run *run, const pol_pipeline *p, pol_status *st)
{
    if (!run->stage || strcmp(run->stage->name, "score")) return 0;
    for (size_t i = 0; i < p->n_steps; i++)
        if (p->steps[i].op == &pol__records_op_dedupe) {
            /* reported as the dedupe step, as when the stage ran through the item's steps */
            pol__jv *node = pol__step_node(run, p->steps[i].op, p->steps[i].args);
            double t = pol__now();
            run->step = node;
            *st = score_part(run, p->steps[i].args);
            run->step = NULL;
            pol__jv_set(node, "seconds", pol__jv_num(pol__now() - t));
            pol__jv_set(node, "status", pol__jv_str(*st ? "failed" : "applied"));
            return 1;
        }
    return 0;
}
