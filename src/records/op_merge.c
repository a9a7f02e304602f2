/* polish — records.merge: one golden record per duplicate cluster, by survivorship rules, each
 * value traceable to the source row it came from. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "records/dedupe.h"
#include "records/match_util.h"

static const pol_param_desc params[] = {
    {"rule", POL_PARAM_ENUM, "most-complete", 0, -1,
     "most-complete|most-recent|most-frequent|source-priority",
     "Which record's values survive: the fullest, the newest, the most common per field, or "
     "the most trusted source."},
    {"date-column", POL_PARAM_STR, NULL, 0, -1, NULL,
     "Column with the record's date for most-recent (default: the first date column)."},
    {"source-column", POL_PARAM_STR, NULL, 0, -1, NULL,
     "Column naming each record's source, for source-priority."},
    {"priority", POL_PARAM_STR, NULL, 0, -1, NULL,
     "Sources from most to least trusted, comma-separated (e.g. \"crm,referral,web form\")."},
    {"provenance", POL_PARAM_BOOL, "true", 0, -1, NULL,
     "Add a provenance column: for each field, the source line its value came from."},
};

typedef struct member {
    uint32_t row;
    long rank_a; /* sort keys, smaller first */
    const char *rank_s;
} member;

static int cmp_member(const void *x, const void *y)
{
    const member *a = x, *b = y;
    if (a->rank_s && b->rank_s) {
        int c = strcmp(b->rank_s, a->rank_s); /* newest (largest ISO date) first */
        if (c) return c;
    }
    if (a->rank_a != b->rank_a) return a->rank_a < b->rank_a ? -1 : 1;
    return a->row < b->row ? -1 : a->row > b->row;
}

static long priority_of(const char *list, const char *src)
{
    if (!list || !*src) return 1000;
    long i = 0;
    const char *p = list;
    size_t n = strlen(src);
    while (*p) {
        while (*p == ' ') p++;
        const char *e = strchr(p, ',');
        size_t len = e ? (size_t)(e - p) : strlen(p);
        while (len && p[len - 1] == ' ') len--;
        if (len == n && !strncasecmp(p, src, n)) return i;
        i++;
        if (!e) break;
        p = e + 1;
    }
    return 1000;
}

static size_t filled(const pol_table *t, size_t row, size_t cols)
{
    size_t k = 0;
    for (size_t c = 0; c < cols; c++) k += pol_table_get(t, row, c)[0] != '\0';
    return k;
}

/* Most frequent non-empty value of column c among the members (ties: member order). */
static size_t mode_of(const pol_table *t, const member *m, size_t n, size_t c)
{
    size_t best = 0, best_count = 0;
    for (size_t i = 0; i < n; i++) {
        const char *v = pol_table_get(t, m[i].row, c);
        if (!*v) continue;
        size_t count = 0;
        for (size_t j = 0; j < n; j++) count += strcmp(v, pol_table_get(t, m[j].row, c)) == 0;
        if (count > best_count) {
            best_count = count;
            best = i;
        }
    }
    return best;
}

static pol_status run(pol_run *run, pol_asset *asset, const pol_args *args)
{
    pol_records *r = pol_records_of(asset);
    pol_status st = pol__records_ensure_roles(run, r);
    if (st) return st;
    char why[160];
    if (!pol__records_has_identity(r, why, sizeof why)) {
        /* Rows of measurements that look alike are still different rows. */
        pol__decline(run, "not deduplicated: %s (--role to name the contact columns)", why);
        return POL_OK;
    }
    long cc = pol_table_find(r->rows, "cluster_id");
    if (cc < 0) {
        /* Not deduplicated yet: match with the default settings first. */
        pol_match_opts o;
        pol__match_opts_default(&o);
        pol_match_result m;
        if ((st = pol__match(run, r, NULL, &o, &m))) return st;
        st = pol__match_write_columns(run, r, &m);
        if (!st && !r->review) st = pol__match_build_review(run, r, NULL, &m);
        pol__match_result_free(&m);
        if (st) return st;
        cc = pol_table_find(r->rows, "cluster_id");
    }
    const char *rule = pol__arg_str(args, "rule");
    int recent = !strcmp(rule, "most-recent"), frequent = !strcmp(rule, "most-frequent");
    int by_source = !strcmp(rule, "source-priority");
    long date_col = -1, src_col = -1;
    const char *dc = pol__arg_str(args, "date-column"), *sc = pol__arg_str(args, "source-column");
    if (recent) {
        date_col = dc ? pol_table_find(r->rows, dc) : pol__records_col(r, POL_ROLE_DATE);
        if (date_col < 0)
            return pol__fail(run, POL_ERR_ARG, "most-recent needs a date column (--date-column)");
    }
    if (by_source) {
        if (!sc) return pol__fail(run, POL_ERR_ARG, "source-priority needs --source-column");
        src_col = pol_table_find(r->rows, sc);
        if (src_col < 0) return pol__fail(run, POL_ERR_ARG, "no column named '%s'", sc);
    }
    const char *priority = pol__arg_str(args, "priority");
    int prov = pol__arg_bool(args, "provenance");
    size_t rows = pol_table_rows(r->rows), cols = pol_table_cols(r->rows);
    long score_col = pol_table_find(r->rows, "match_score");

    /* Members of each cluster, in row order. */
    uint32_t *cid = malloc((rows ? rows : 1) * sizeof *cid);
    uint32_t *first = calloc(rows + 1, sizeof *first); /* first row + 1 of cluster id */
    uint32_t *count = calloc(rows + 2, sizeof *count);
    member *mem = malloc((rows ? rows : 1) * sizeof *mem);
    pol_table *out = pol_table_new_like(r->rows);
    if (!cid || !first || !count || !mem || !out) goto oom;
    for (size_t i = 0; i < rows; i++) {
        unsigned long v = strtoul(pol_table_get(r->rows, i, (size_t)cc), NULL, 10);
        cid[i] = v > 0 && v <= rows ? (uint32_t)v : (uint32_t)(rows + 1); /* unset: alone */
        if (cid[i] <= rows) count[cid[i]]++;
    }
    long srows_col = pol_table_add_col(out, "source_rows");
    long prov_col = prov ? pol_table_add_col(out, "provenance") : -1;
    if (srows_col < 0 || (prov && prov_col < 0)) goto oom;
    size_t merged = 0, golden = 0;
    const char **cells = malloc((cols + 2) * sizeof *cells);
    char *lines = malloc(16 * (rows + 1) + 16), *provtxt = malloc(64 * (cols + 1) + 16);
    if (!cells || !lines || !provtxt) {
        free(cells);
        free(lines);
        free(provtxt);
        goto oom;
    }
    for (size_t i = 0; i < rows; i++) {
        uint32_t c = cid[i];
        int alone = c > rows || count[c] <= 1;
        if (!alone && first[c]) continue; /* written with its cluster */
        size_t n = 0;
        if (alone) {
            mem[n++] = (member){(uint32_t)i, 0, NULL};
        } else {
            first[c] = (uint32_t)i + 1;
            for (size_t j = i; j < rows; j++)
                if (cid[j] == c) mem[n++] = (member){(uint32_t)j, 0, NULL};
        }
        for (size_t k = 0; k < n; k++) {
            member *x = &mem[k];
            x->rank_a = -(long)filled(r->rows, x->row, cols); /* fullest first by default */
            if (recent) x->rank_s = pol_table_get(r->rows, x->row, (size_t)date_col);
            if (by_source)
                x->rank_a = priority_of(priority, pol_table_get(r->rows, x->row, (size_t)src_col)) *
                                100000 +
                            x->rank_a;
        }
        qsort(mem, n, sizeof *mem, cmp_member);
        size_t lk = 0;
        for (size_t k = 0; k < n; k++)
            lk += (size_t)sprintf(lines + lk, "%s%u", k ? ";" : "",
                                  pol_table_src_line(r->rows, mem[k].row));
        size_t pk = 0;
        provtxt[0] = '\0';
        for (size_t col = 0; col < cols; col++) {
            size_t pick = 0;
            if ((long)col == cc || (long)col == score_col) {
                cells[col] = pol_table_get(r->rows, mem[0].row, col);
                continue;
            }
            if (frequent)
                pick = mode_of(r->rows, mem, n, col);
            else
                while (pick + 1 < n && !pol_table_get(r->rows, mem[pick].row, col)[0]) pick++;
            cells[col] = pol_table_get(r->rows, mem[pick].row, col);
            if (n > 1 && cells[col][0] && pk < 64 * cols)
                pk += (size_t)snprintf(provtxt + pk, 64 * (cols + 1) + 16 - pk, "%s%.40s=%u",
                                       pk ? ";" : "", pol_table_name(r->rows, col),
                                       pol_table_src_line(r->rows, mem[pick].row));
        }
        cells[srows_col] = lines;
        if (prov) cells[prov_col] = n > 1 ? provtxt : "";
        if (pol_table_add_row(out, cells, pol_table_cols(out),
                              pol_table_src_line(r->rows, mem[0].row)) < 0) {
            free(cells);
                free(lines);
            free(provtxt);
            goto oom;
        }
        golden++;
        if (n > 1) merged += n - 1;
    }
    free(cells);
    free(lines);
    free(provtxt);
    if (score_col >= 0) pol_table_del_col(out, (size_t)score_col);
    pol_table_free(r->rows);
    r->rows = out;
    out = NULL;
    if (pol__records_sync_cols(r)) goto oom;
    r->merged_rows += merged;
    pol__measure_int(run, "rows_in", (long long)rows);
    pol__measure_int(run, "rows_out", (long long)golden);
    pol__measure_int(run, "rows_merged", (long long)merged);
    pol__decide(run, "%zu rows became %zu (%zu folded into golden records, rule %s)", rows, golden,
                merged, rule);
    st = POL_OK;
    goto done;
oom:
    st = pol__fail(run, POL_ERR_NOMEM, "out of memory merging records");
done:
    pol_table_free(out);
    free(cid);
    free(first);
    free(count);
    free(mem);
    return st;
}

const pol_op_desc pol__records_op_merge = {
    .domain = "records",
    .name = "merge",
    .summary = "Fold each duplicate cluster into one golden record, traceable to its source rows",
    .params = params,
    .n_params = POL_ARRAY_LEN(params),
    .run = run,
    .flags = POL_OP_AUTO,
};
