/* polish — records.merge: one golden record per duplicate cluster, by survivorship rules, each
 * value traceable to the source row it came from. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <ctype.h>
#include <utf8proc.h>
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
     "Add a provenance column: for each field, the source line its value came from. Nothing is "
     "dropped either way: every other distinct email and phone of a cluster gets a column of its "
     "own (Email_2, Phone_2, ...; up to 8, then the alternates column), every other distinct "
     "value of the other columns goes to one alternates column (\"Column: value | ...\"), and "
     "the review file lists each merge with both rows side by side."},
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

/* Filled fields of a row, less one per field validate flagged as invalid (invalid_fields). */
static long filled(const pol__table *t, size_t row, size_t cols, long flag_col)
{
    long k = 0;
    for (size_t c = 0; c < cols; c++)
        if ((long)c != flag_col) k += pol__cell_value(t, row, c)[0] != '\0';
    if (flag_col >= 0) {
        const char *f = pol__table_get(t, row, (size_t)flag_col);
        if (*f) k -= 2; /* a valid field beats a filled but invalid one */
        for (; *f; f++) k -= *f == ';';
    }
    return k;
}

/* 1 when validate named column `c` of the row invalid. */
static int flagged(const pol__table *t, size_t row, size_t c, long flag_col)
{
    if (flag_col < 0) return 0;
    const char *f = pol__table_get(t, row, (size_t)flag_col), *name = pol__table_get(t, row, c);
    if (!*f || !*name) return 0;
    name = pol__table_name(t, c);
    size_t n = strlen(name);
    for (const char *p = f; (p = strstr(p, name)); p += n)
        if ((p == f || p[-1] == ' ') && (p[n] == '\0' || p[n] == ';')) return 1;
    return 0;
}

/* Most frequent non-empty value of column c among the members (ties: member order). */
static size_t mode_of(const pol__table *t, const member *m, size_t n, size_t c)
{
    size_t best = 0, best_count = 0;
    for (size_t i = 0; i < n; i++) {
        const char *v = pol__cell_value(t, m[i].row, c);
        if (!*v) continue;
        size_t count = 0;
        for (size_t j = 0; j < n; j++) count += strcmp(v, pol__cell_value(t, m[j].row, c)) == 0;
        if (count > best_count) {
            best_count = count;
            best = i;
        }
    }
    return best;
}

/* Two values are the same alternate when they differ only in case and white space. */
static int same_value(const char *a, const char *b)
{
    for (;;) {
        while (*a == ' ') a++;
        while (*b == ' ') b++;
        if (!*a || !*b) return !*a && !*b;
        if (tolower((unsigned char)*a) != tolower((unsigned char)*b)) return 0;
        a++, b++;
    }
}

static int has_non_ascii(const char *s)
{
    for (; *s; s++)
        if ((unsigned char)*s >= 0x80) return 1;
    return 0;
}

/* "Müller" and "MULLER" are the same name with and without its diacritics. */
static int same_without_marks(const char *accented, const char *plain)
{
    utf8proc_uint8_t *f = NULL;
    if (utf8proc_map((const utf8proc_uint8_t *)accented, 0, &f,
                     UTF8PROC_NULLTERM | UTF8PROC_STABLE | UTF8PROC_DECOMPOSE | UTF8PROC_STRIPMARK |
                         UTF8PROC_CASEFOLD) < 0)
        return 0;
    int same = same_value((const char *)f, plain);
    free(f);
    return same;
}

static int is_name_role(pol__role r)
{
    return r == POL_ROLE_FIRST_NAME || r == POL_ROLE_LAST_NAME || r == POL_ROLE_FULL_NAME;
}

/* Columns whose every distinct value gets a column of its own (email_2, phone_2, ...). */
static int own_columns(pol__role r)
{
    return r == POL_ROLE_EMAIL || r == POL_ROLE_PHONE;
}

enum { MAX_ALT_COLS = 8 };

/* The cluster's members: rows[first..first+n) of `order`. */
typedef struct cluster_span {
    uint32_t first, n;
} cluster_span;

/* Distinct non-empty values of column c among the members other than the kept one, in member
 * order, into vals (at most cap); returns how many there are in total. */
static size_t others(const pol__table *t, const member *m, size_t n, size_t c, const char *kept,
                     const char **vals, size_t cap)
{
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        const char *v = pol__cell_value(t, m[i].row, c);
        if (!*v || same_value(v, kept)) continue;
        /* "Muller" beside the kept "Müller" is the same name typed without its diacritics. */
        if (has_non_ascii(kept) && !has_non_ascii(v) && same_without_marks(kept, v)) continue;
        int dup = 0;
        for (size_t j = 0; j < i && !dup; j++) {
            const char *w = pol__cell_value(t, m[j].row, c);
            dup = same_value(v, w);
        }
        if (dup) continue;
        if (k < cap) vals[k] = v;
        k++;
    }
    return k;
}

static long role_col(const pol__records *r, pol__role role)
{
    long c = pol__records_col(r, role);
    if (c < 0 && role == POL_ROLE_FIRST_NAME) c = pol__records_col(r, POL_ROLE_FULL_NAME);
    return c;
}

/* The review set lists every merge: the surviving row and each folded row side by side. */
static int review_merge(pol__records *r, const pol__table *t, const member *m, size_t n,
                        long score_col)
{
    if (!r->review || pol__table_cols(r->review) < 13) return 0;
    long fn = role_col(r, POL_ROLE_FIRST_NAME), ln = pol__records_col(r, POL_ROLE_LAST_NAME);
    long ec = pol__records_col(r, POL_ROLE_EMAIL), pc = pol__records_col(r, POL_ROLE_PHONE);
    long sc = pol__records_col(r, POL_ROLE_STREET);
#define GET(c, row) ((c) >= 0 ? pol__table_get(t, (row), (size_t)(c)) : "")
    for (size_t k = 1; k < n; k++) {
        uint32_t a = m[0].row, b = m[k].row;
        char la[16], lb[16], na[256], nb[256], why[64];
        snprintf(la, sizeof la, "%u", pol__table_src_line(t, a));
        snprintf(lb, sizeof lb, "%u", pol__table_src_line(t, b));
        snprintf(na, sizeof na, "%s%s%s", GET(fn, a), ln >= 0 && fn != ln ? " " : "",
                 ln >= 0 && fn != ln ? GET(ln, a) : "");
        snprintf(nb, sizeof nb, "%s%s%s", GET(fn, b), ln >= 0 && fn != ln ? " " : "",
                 ln >= 0 && fn != ln ? GET(ln, b) : "");
        snprintf(why, sizeof why, "line %s folded into line %s", lb, la);
        const char *row[] = {"merged",   GET(score_col, b), la,         lb,         na,
                             nb,         GET(ec, a),        GET(ec, b), GET(pc, a), GET(pc, b),
                             GET(sc, a), GET(sc, b),        why};
        if (pol__table_add_row(r->review, row, 13, 0) < 0) return -1;
    }
#undef GET
    return 0;
}

static pol_status run(pol_run *run, pol_asset *asset, const pol_args *args)
{
    pol__records *r = pol__records_of(asset);
    pol_status st = pol__records_ensure_roles(run, r);
    if (st) return st;
    char why[160];
    if (!pol__records_has_identity(r, why, sizeof why)) {
        /* Rows of measurements that look alike are still different rows. */
        pol__decline(run, "not deduplicated: %s (--role to name the contact columns)", why);
        return POL_OK;
    }
    if (pol__records_quarantine_overflow(run, r) < 0)
        return pol__fail(run, POL_ERR_NOMEM, "out of memory");
    long cc = pol__table_find(r->rows, "cluster_id");
    if (cc < 0) {
        /* Not deduplicated yet: match with the default settings first. */
        pol__match_opts o;
        pol__match_opts_default(&o);
        pol__match_result m;
        if ((st = pol__match(run, r, NULL, &o, &m))) return st;
        st = pol__match_write_columns(run, r, &m);
        if (!st && !r->review) st = pol__match_build_review(run, r, NULL, &m);
        pol__match_result_free(&m);
        if (st) return st;
        cc = pol__table_find(r->rows, "cluster_id");
    }
    const char *rule = pol__arg_str(args, "rule");
    int recent = !strcmp(rule, "most-recent"), frequent = !strcmp(rule, "most-frequent");
    int by_source = !strcmp(rule, "source-priority");
    long date_col = -1, src_col = -1;
    const char *dc = pol__arg_str(args, "date-column"), *sc = pol__arg_str(args, "source-column");
    if (recent) {
        date_col = dc ? pol__table_find(r->rows, dc) : pol__records_col(r, POL_ROLE_DATE);
        if (date_col < 0)
            return pol__fail(run, POL_ERR_ARG, "most-recent needs a date column (--date-column)");
    }
    if (by_source) {
        if (!sc) return pol__fail(run, POL_ERR_ARG, "source-priority needs --source-column");
        src_col = pol__table_find(r->rows, sc);
        if (src_col < 0) return pol__fail(run, POL_ERR_ARG, "no column named '%s'", sc);
    }
    const char *priority = pol__arg_str(args, "priority");
    int prov = pol__arg_bool(args, "provenance");
    pol__table *t = r->rows;
    size_t rows = pol__table_rows(t), cols = pol__table_cols(t);
    long score_col = pol__table_find(t, "match_score");
    long flag_col = pol__table_find(t, "invalid_fields");

    /* Members of each cluster in row order, bucketed once (linear in the rows). */
    uint32_t *cid = malloc((rows ? rows : 1) * sizeof *cid);
    uint32_t *start = calloc(rows + 3, sizeof *start);
    uint32_t *order = malloc((rows ? rows : 1) * sizeof *order);
    member *mem = malloc((rows ? rows : 1) * sizeof *mem);
    size_t *alt_n = calloc(cols ? cols : 1, sizeof *alt_n); /* extra columns per column */
    long *alt_col = malloc((cols ? cols : 1) * sizeof *alt_col);
    const char **vals = malloc((rows + 1) * sizeof *vals);
    char *lines = NULL, *provtxt = NULL, *alttxt = NULL;
    const char **cells = NULL;
    pol__table *out = NULL;
    size_t alt_cap = 0;
    if (!cid || !start || !order || !mem || !alt_n || !alt_col || !vals) goto oom;
    for (size_t i = 0; i < rows; i++) {
        unsigned long v = strtoul(pol__table_get(t, i, (size_t)cc), NULL, 10);
        cid[i] = v > 0 && v <= rows ? (uint32_t)v : (uint32_t)(rows + 1); /* unset: alone */
        start[cid[i] + 1]++;
    }
    for (size_t c = 1; c < rows + 3; c++) start[c] += start[c - 1];
    {
        uint32_t *fill = malloc((rows + 2) * sizeof *fill);
        if (!fill) goto oom;
        memcpy(fill, start, (rows + 2) * sizeof *fill);
        for (size_t i = 0; i < rows; i++) order[fill[cid[i]]++] = (uint32_t)i;
        free(fill);
    }
#define CLUSTER_N(c) ((size_t)(start[(c) + 1] - start[(c)]))

    /* First pass: how many alternates each email and phone column needs. */
    for (size_t i = 0; i < rows; i++) {
        uint32_t c = cid[i];
        if (c > rows || CLUSTER_N(c) <= 1 || order[start[c]] != i) continue;
        size_t n = CLUSTER_N(c);
        for (size_t k = 0; k < n; k++) mem[k] = (member){order[start[c] + k], 0, NULL};
        for (size_t col = 0; col < cols; col++) {
            if (!own_columns(r->roles[col])) continue;
            /* Whatever survives, every other distinct value needs a place: n - 1 at most. */
            size_t d = others(t, mem, n, col, "", vals, rows + 1);
            if (d > 1 && d - 1 > alt_n[col])
                alt_n[col] = d - 1 < MAX_ALT_COLS ? d - 1 : MAX_ALT_COLS;
        }
    }
    out = pol__table_new_like(t);
    if (!out) goto oom;
    size_t extra_cols = 0;
    for (size_t col = 0; col < cols; col++) {
        alt_col[col] = -1;
        for (size_t k = 0; k < alt_n[col]; k++) {
            char name[200];
            snprintf(name, sizeof name, "%.180s_%zu", pol__table_name(t, col), k + 2);
            if (pol__table_find(out, name) >= 0)
                snprintf(name, sizeof name, "%.180s_alt%zu", pol__table_name(t, col), k + 2);
            long nc = pol__table_add_col(out, name);
            if (nc < 0) goto oom;
            if (!k) alt_col[col] = nc;
            extra_cols++;
        }
    }
    long alts_col = pol__table_add_col(
        out, pol__table_find(t, "alternates") < 0 ? "alternates" : "merge_alternates");
    long srows_col = pol__table_add_col(out, "source_rows");
    long prov_col = prov ? pol__table_add_col(out, "provenance") : -1;
    if (alts_col < 0 || srows_col < 0 || (prov && prov_col < 0)) goto oom;
    if (pol__table_reserve(out, rows)) goto oom;
    size_t merged = 0, golden = 0, alternates = 0, accents = 0;
    size_t ocols = pol__table_cols(out);
    cells = malloc((ocols + 1) * sizeof *cells);
    lines = malloc(16 * (rows + 1) + 16);
    provtxt = malloc(64 * (cols + 1) + 16);
    if (!cells || !lines || !provtxt) goto oom;
    for (size_t i = 0; i < rows; i++) {
        uint32_t c = cid[i];
        int alone = c > rows || CLUSTER_N(c) <= 1;
        if (!alone && order[start[c]] != i) continue; /* written with its cluster */
        size_t n = 0;
        if (alone) {
            mem[n++] = (member){(uint32_t)i, 0, NULL};
        } else {
            for (size_t k = 0; k < CLUSTER_N(c); k++)
                mem[n++] = (member){order[start[c] + k], 0, NULL};
        }
        for (size_t k = 0; k < n; k++) {
            member *x = &mem[k];
            x->rank_a = -filled(t, x->row, cols, flag_col); /* fullest first by default */
            if (recent) x->rank_s = pol__table_get(t, x->row, (size_t)date_col);
            if (by_source)
                x->rank_a =
                    priority_of(priority, pol__table_get(t, x->row, (size_t)src_col)) * 100000 +
                    x->rank_a;
        }
        if (n > 1) qsort(mem, n, sizeof *mem, cmp_member);
        size_t lk = 0;
        for (size_t k = 0; k < n; k++)
            lk += (size_t)sprintf(lines + lk, "%s%u", k ? ";" : "",
                                  pol__table_src_line(t, mem[k].row));
        size_t pk = 0, ak = 0, fk = 0;
        char flagtxt[512];
        flagtxt[0] = '\0';
        provtxt[0] = '\0';
        for (size_t col = 0; col < ocols; col++) cells[col] = "";
        if (alttxt) alttxt[0] = '\0';
        for (size_t col = 0; col < cols; col++) {
            size_t pick = 0;
            if ((long)col == cc || (long)col == score_col) {
                cells[col] = pol__table_get(t, mem[0].row, col);
                continue;
            }
            if ((long)col == flag_col) continue; /* rebuilt below from the values kept */
            if (frequent)
                pick = mode_of(t, mem, n, col);
            else
                while (pick + 1 < n && !pol__cell_value(t, mem[pick].row, col)[0]) pick++;
            if (n > 1 && flagged(t, mem[pick].row, col, flag_col))
                /* An invalid phone or email survives only when no member has a valid one. */
                for (size_t k = pick + 1; k < n; k++)
                    if (pol__cell_value(t, mem[k].row, col)[0] &&
                        !flagged(t, mem[k].row, col, flag_col)) {
                        pick = k;
                        break;
                    }
            if (n > 1 && is_name_role(r->roles[col])) {
                /* Keep the diacritics when a duplicate has them ("Müller" over "Muller"). */
                const char *v = pol__cell_value(t, mem[pick].row, col);
                for (size_t k = 0; k < n && *v && !has_non_ascii(v); k++) {
                    const char *w = pol__cell_value(t, mem[k].row, col);
                    if (has_non_ascii(w) && same_without_marks(w, v)) {
                        pick = k;
                        accents++;
                        break;
                    }
                }
            }
            cells[col] = pol__table_get(t, mem[pick].row, col);
            if (flagged(t, mem[pick].row, col, flag_col) &&
                fk + strlen(pol__table_name(t, col)) + 3 < sizeof flagtxt)
                fk += (size_t)snprintf(flagtxt + fk, sizeof flagtxt - fk, "%s%s", fk ? "; " : "",
                                       pol__table_name(t, col));
            if (n > 1 && cells[col][0] && pk < 64 * cols)
                pk += (size_t)snprintf(provtxt + pk, 64 * (cols + 1) + 16 - pk, "%s%.40s=%u",
                                       pk ? ";" : "", pol__table_name(t, col),
                                       pol__table_src_line(t, mem[pick].row));
            if (n < 2) continue;
            /* Nothing is lost: every other distinct value is kept, in a column of its own for
             * emails and phones, else in the alternates column ("Column: value"). */
            size_t d = others(t, mem, n, col, cells[col], vals, rows + 1);
            if (!d) continue;
            alternates += d;
            size_t own = alt_col[col] >= 0 ? alt_n[col] : 0;
            for (size_t k = 0; k < d; k++) {
                if (k < own) {
                    cells[(size_t)alt_col[col] + k] = vals[k];
                    continue;
                }
                size_t need = ak + strlen(pol__table_name(t, col)) + strlen(vals[k]) + 8;
                if (need > alt_cap) {
                    size_t nc2 = need * 2 + 256;
                    char *a2 = realloc(alttxt, nc2);
                    if (!a2) goto oom;
                    if (!alt_cap) a2[0] = '\0';
                    alttxt = a2;
                    alt_cap = nc2;
                }
                ak += (size_t)snprintf(alttxt + ak, alt_cap - ak, "%s%s: %s", ak ? " | " : "",
                                       pol__table_name(t, col), vals[k]);
            }
        }
        cells[alts_col] = ak ? alttxt : "";
        if (flag_col >= 0) cells[flag_col] = flagtxt;
        cells[srows_col] = lines;
        if (prov) cells[prov_col] = n > 1 ? provtxt : "";
        if (pol__table_add_row(out, cells, ocols, pol__table_src_line(t, mem[0].row)) < 0) goto oom;
        if (n > 1 && review_merge(r, t, mem, n, score_col)) goto oom;
        golden++;
        if (n > 1) merged += n - 1;
    }
#undef CLUSTER_N
    (void)extra_cols;
    if (!alternates) pol__table_del_col(out, (size_t)alts_col);
    if (score_col >= 0) pol__table_del_col(out, (size_t)score_col);
    pol__table_free(r->rows);
    r->rows = out;
    out = NULL;
    if (pol__records_sync_cols(r)) goto oom;
    /* The alternate columns carry the role of the column they extend. */
    for (size_t col = 0; col < cols; col++)
        for (size_t k = 0; k < alt_n[col]; k++) {
            size_t oc =
                (size_t)alt_col[col] + k - (score_col >= 0 && score_col < alt_col[col] ? 1 : 0);
            if (oc < r->n_roles) {
                r->roles[oc] = r->roles[col];
                r->role_conf[oc] = r->role_conf[col];
            }
        }
    r->merged_rows += merged;
    pol__measure_int(run, "rows_in", (long long)rows);
    pol__measure_int(run, "rows_out", (long long)golden);
    pol__measure_int(run, "rows_merged", (long long)merged);
    pol__measure_int(run, "alternate_values_kept", (long long)alternates);
    if (accents) pol__measure_int(run, "names_with_diacritics_kept", (long long)accents);
    pol__decide(run,
                "%zu rows became %zu (%zu folded into golden records, rule %s); %zu other values "
                "kept as alternates",
                rows, golden, merged, rule, alternates);
    st = POL_OK;
    goto done;
oom:
    st = pol__fail(run, POL_ERR_NOMEM, "out of memory merging records");
done:
    pol__table_free(out);
    free(cid);
    free(start);
    free(order);
    free(mem);
    free(alt_n);
    free(alt_col);
    free(vals);
    free(cells);
    free(lines);
    free(provtxt);
    free(alttxt);
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
