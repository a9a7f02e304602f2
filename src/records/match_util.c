/* polish — output helpers shared by records.dedupe, records.against and records.merge. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "records/match_util.h"

long pol__match_ensure_col(pol__records *r, const char *name)
{
    long c = pol__table_find(r->rows, name);
    if (c >= 0) return c;
    c = pol__table_add_col(r->rows, name);
    if (c < 0 || pol__records_sync_cols(r)) return -1;
    return c;
}

pol_status pol__match_write_columns(pol_run *run, pol__records *r, const pol__match_result *m)
{
    long cc = pol__match_ensure_col(r, "cluster_id"), sc = pol__match_ensure_col(r, "match_score");
    if (cc < 0 || sc < 0) return pol__fail(run, POL_ERR_NOMEM, "out of memory adding columns");
    size_t rows = pol__table_rows(r->rows);
    char buf[32];
    for (size_t i = 0; i < rows && i < m->n; i++) {
        snprintf(buf, sizeof buf, "%u", m->cluster[i]);
        if (pol__table_set(r->rows, i, (size_t)cc, buf)) goto oom;
        snprintf(buf, sizeof buf, "%.3f", (double)m->score[i]);
        if (pol__table_set(r->rows, i, (size_t)sc, buf)) goto oom;
    }
    return POL_OK;
oom:
    return pol__fail(run, POL_ERR_NOMEM, "out of memory writing match columns");
}

uint32_t pol__match_line(const pol__records *r, const pol__records *b, uint32_t i)
{
    size_t na = pol__table_rows(r->rows);
    if (i < na) return pol__table_src_line(r->rows, i);
    return b ? pol__table_src_line(b->rows, i - na) : 0;
}

static const char *cell(const pol__records *r, const pol__records *b, uint32_t i, pol__role role)
{
    size_t na = pol__table_rows(r->rows);
    const pol__records *t = i < na ? r : b;
    size_t row = i < na ? i : i - na;
    long c = t ? pol__records_col(t, role) : -1;
    if (c < 0 && role == POL_ROLE_FIRST_NAME && t) c = pol__records_col(t, POL_ROLE_FULL_NAME);
    return c >= 0 ? pol__table_get(t->rows, row, (size_t)c) : "";
}

static const char *kind_name(pol__pair_kind k)
{
    return k == POL_PAIR_MATCH ? "merge" : k == POL_PAIR_NEAR_MISS ? "near miss" : "refused link";
}

static void weights_text(const pol__match_pair *p, unsigned used, char *out, size_t cap)
{
    static const char *const lvn[] = {"missing", "exact", "close", "loose", "different"};
    size_t k = 0;
    out[0] = '\0';
    for (int f = 0; f < POL_MF_COUNT && k < cap; f++) {
        if (!(used & (1u << f)) || !p->level[f]) continue;
        int w = snprintf(out + k, cap - k, "%s%s %s %+.1f", k ? "; " : "",
                         pol__mfield_name((pol__mfield)f), lvn[p->level[f]], (double)p->fw[f]);
        if (w < 0) break;
        k += (size_t)w;
    }
    if (p->note && k < cap) snprintf(out + k, cap - k, "%s%s", k ? "; " : "", p->note);
}

pol_status pol__match_build_review(pol_run *run, pol__records *r, const pol__records *b,
                                   const pol__match_result *m)
{
    static const char *const cols[] = {"decision", "probability", "line_a",  "line_b",  "name_a",
                                       "name_b",   "email_a",     "email_b", "phone_a", "phone_b",
                                       "street_a", "street_b",    "why"};
    pol__table *t = pol__table_new(POL_ARRAY_LEN(cols));
    if (!t) return pol__fail(run, POL_ERR_NOMEM, "out of memory");
    for (size_t i = 0; i < POL_ARRAY_LEN(cols); i++)
        if (pol__table_set_name(t, i, cols[i])) goto oom;
    for (size_t i = 0; i < m->n_pairs; i++) {
        const pol__match_pair *p = &m->pairs[i];
        if (p->kind == POL_PAIR_MATCH) continue;
        char prob[16], la[16], lb[16], why[600], na[160], nb[160];
        snprintf(prob, sizeof prob, "%.3f", (double)p->prob);
        snprintf(la, sizeof la, "%u", pol__match_line(r, b, p->a));
        snprintf(lb, sizeof lb, "%u", pol__match_line(r, b, p->b));
        snprintf(na, sizeof na, "%s %s", cell(r, b, p->a, POL_ROLE_FIRST_NAME),
                 cell(r, b, p->a, POL_ROLE_LAST_NAME));
        snprintf(nb, sizeof nb, "%s %s", cell(r, b, p->b, POL_ROLE_FIRST_NAME),
                 cell(r, b, p->b, POL_ROLE_LAST_NAME));
        weights_text(p, m->used_fields, why, sizeof why);
        const char *row[] = {kind_name(p->kind),
                             prob,
                             la,
                             lb,
                             na,
                             nb,
                             cell(r, b, p->a, POL_ROLE_EMAIL),
                             cell(r, b, p->b, POL_ROLE_EMAIL),
                             cell(r, b, p->a, POL_ROLE_PHONE),
                             cell(r, b, p->b, POL_ROLE_PHONE),
                             cell(r, b, p->a, POL_ROLE_STREET),
                             cell(r, b, p->b, POL_ROLE_STREET),
                             why};
        if (pol__table_add_row(t, row, POL_ARRAY_LEN(row), 0) < 0) goto oom;
    }
    pol__table_free(r->review);
    r->review = t;
    return POL_OK;
oom:
    pol__table_free(t);
    return pol__fail(run, POL_ERR_NOMEM, "out of memory building the review set");
}

static void csv_field(FILE *f, const char *s)
{
    /* Always quoted; formula starters neutralised: the file is meant for a spreadsheet. */
    fputc('"', f);
    if (strchr("=+-@\t\r", s[0]) && s[0]) fputc('\'', f);
    for (; *s; s++) {
        if (*s == '"') fputc('"', f);
        fputc(*s, f);
    }
    fputc('"', f);
}

pol_status pol__match_write_explain(pol_run *run, FILE *f, int header, const pol__records *r,
                                    const pol__records *b, const pol__match_result *m)
{
    /* One file for the batch: every row names its input, so the items' parts can share it. The
     * columns are every matching field, so items with other fields still line up. */
    if (header) {
        fputs("input,decision,probability,weight,line_a,line_b", f);
        for (int k = 0; k < POL_MF_COUNT; k++) fprintf(f, ",%s", pol__mfield_name((pol__mfield)k));
        fputs(",note\n", f);
    }
    static const char *const lvn[] = {"missing", "exact", "close", "loose", "different"};
    for (size_t i = 0; i < m->n_pairs; i++) {
        const pol__match_pair *p = &m->pairs[i];
        csv_field(f, run->input ? run->input : "");
        fprintf(f, ",%s,%.4f,%.2f,%u,%u", kind_name(p->kind), (double)p->prob, (double)p->weight,
                pol__match_line(r, b, p->a), pol__match_line(r, b, p->b));
        for (int k = 0; k < POL_MF_COUNT; k++) {
            fputc(',', f);
            if (m->used_fields & (1u << k))
                fprintf(f, "%s %+.2f", lvn[p->level[k]], (double)p->fw[k]);
        }
        fputc(',', f);
        csv_field(f, p->note ? p->note : "");
        fputc('\n', f);
    }
    return ferror(f) ? pol__fail(run, POL_ERR_IO, "writing the explanation failed") : POL_OK;
}

size_t pol__records_estimate_duplicates(pol_run *run, const pol__records *r)
{
    pol__match_opts o;
    pol__match_opts_default(&o);
    o.keep_pairs = 0;
    pol__match_result m;
    /* Inspection measures; the matcher's own measurements would clutter it, so it runs without
     * a report node. */
    pol_run quiet = *run;
    quiet.item = NULL;
    quiet.step = NULL;
    if (pol__match(&quiet, r, NULL, &o, &m) != POL_OK) return 0;
    size_t dups = m.n - m.n_clusters;
    pol__match_result_free(&m);
    return dups;
}
