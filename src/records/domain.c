/* polish — the records domain: recognise, load, save (clean + quarantine + review), inspect. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "records/io.h"
#include "records/records.h"
#include "records/stages.h"
#include "records/std.h"

/* ---- the asset ------------------------------------------------------------------------------ */

pol__records *pol__records_new(pol__table *rows)
{
    pol__records *r = calloc(1, sizeof *r);
    if (!r) {
        pol__table_free(rows);
        return NULL;
    }
    r->rows = rows;
    if (pol__records_sync_cols(r)) {
        pol__records_free(r);
        return NULL;
    }
    r->input_rows = pol__table_rows(rows);
    r->save.bom = r->save.crlf = -1;
    snprintf(r->format, sizeof r->format, "csv");
    snprintf(r->encoding, sizeof r->encoding, "utf-8");
    r->delim = ',';
    return r;
}

void pol__records_free(void *data)
{
    pol__records *r = data;
    if (!r) return;
    pol__table_free(r->rows);
    pol__table_free(r->quarantine);
    pol__table_free(r->review);
    free(r->roles);
    free(r->role_conf);
    free(r->dialect.preamble);
    free(r->dialect.blank_names);
    free(r->dialect.quoted_names);
    free(r->dialect.unnamed_first);
    free(r->dialect.overflow);
    free(r->dialect.sheet);
    free(r->dialect.short_rows);
    free(r);
}

static void *records_clone(const void *data)
{
    const pol__records *s = data;
    pol__records *r = calloc(1, sizeof *r);
    if (!r) return NULL;
    *r = *s;
    r->rows = r->quarantine = r->review = NULL;
    r->roles = NULL;
    r->role_conf = NULL;
    r->n_roles = 0;
    r->dialect.preamble = r->dialect.blank_names = r->dialect.quoted_names = NULL;
    r->dialect.unnamed_first = NULL;
    r->dialect.overflow = r->dialect.sheet = NULL;
    r->dialect.short_rows = NULL;
    if (s->dialect.n_short) {
        r->dialect.short_rows = malloc(s->dialect.n_short * 2 * sizeof *r->dialect.short_rows);
        if (!r->dialect.short_rows) {
            free(r);
            return NULL;
        }
        memcpy(r->dialect.short_rows, s->dialect.short_rows,
               s->dialect.n_short * 2 * sizeof *r->dialect.short_rows);
    }
    if ((s->dialect.sheet && !(r->dialect.sheet = pol__strdup(s->dialect.sheet))) ||
        (s->dialect.preamble && !(r->dialect.preamble = pol__strdup(s->dialect.preamble))) ||
        (s->dialect.overflow && !(r->dialect.overflow = pol__strdup(s->dialect.overflow))) ||
        (s->dialect.unnamed_first &&
         !(r->dialect.unnamed_first = pol__strdup(s->dialect.unnamed_first))) ||
        (s->dialect.blank_names &&
         !(r->dialect.blank_names = pol__strdup(s->dialect.blank_names))) ||
        (s->dialect.quoted_names &&
         !(r->dialect.quoted_names = pol__strdup(s->dialect.quoted_names)))) {
        free(r->dialect.preamble);
        free(r->dialect.blank_names);
        free(r->dialect.unnamed_first);
        free(r->dialect.overflow);
        free(r->dialect.sheet);
        free(r->dialect.short_rows);
        free(r);
        return NULL;
    }
    r->rows = pol__table_clone(s->rows);
    if (!r->rows || (s->quarantine && !(r->quarantine = pol__table_clone(s->quarantine))) ||
        (s->review && !(r->review = pol__table_clone(s->review))) || pol__records_sync_cols(r)) {
        pol__records_free(r);
        return NULL;
    }
    size_t n = pol__table_cols(r->rows);
    if (n && s->roles) memcpy(r->roles, s->roles, n * sizeof *r->roles);
    if (n && s->role_conf) memcpy(r->role_conf, s->role_conf, n * sizeof *r->role_conf);
    return r;
}

/* ---- quarantine ----------------------------------------------------------------------------- */

static int ensure_quarantine(pol__records *r, size_t n_cols, const pol__table *like)
{
    if (r->quarantine) return 0;
    pol__table *q = like ? pol__table_new_like(like) : pol__table_new(n_cols);
    if (!q) return -1;
    if (pol__table_add_col(q, "quarantine_reason") < 0 || pol__table_add_col(q, "source_line") < 0) {
        pol__table_free(q);
        return -1;
    }
    r->quarantine = q;
    return 0;
}

static int set_tail(pol__records *r, long row, const char *reason, uint32_t line)
{
    size_t nc = pol__table_cols(r->quarantine);
    char num[16];
    snprintf(num, sizeof num, "%u", (unsigned)line);
    if (pol__table_set(r->quarantine, (size_t)row, nc - 2, reason)) return -1;
    return pol__table_set(r->quarantine, (size_t)row, nc - 1, num);
}

int pol__records_quarantine_rows(pol__records *r, const char *const *reason)
{
    size_t nr = pol__table_rows(r->rows);
    size_t moved = 0;
    for (size_t i = 0; i < nr; i++) moved += reason[i] != NULL;
    if (!moved) return 0;
    if (ensure_quarantine(r, 0, r->rows)) return -1;
    unsigned char *keep = malloc(nr);
    if (!keep) return -1;
    size_t qcols = pol__table_cols(r->quarantine) - 2;
    for (size_t i = 0; i < nr; i++) {
        keep[i] = reason[i] == NULL;
        if (keep[i]) continue;
        long q = pol__table_copy_row(r->quarantine, r->rows, i);
        if (q < 0 || set_tail(r, q, reason[i], pol__table_src_line(r->rows, i))) {
            free(keep);
            return -1;
        }
        /* Columns added after the quarantine was created (cluster_id ...) are not carried. */
        (void)qcols;
    }
    pol__table_keep_rows(r->rows, keep);
    free(keep);
    return 0;
}

/* 1 when column `c` of `t` is named in the "\nname\n..." list `list`. */
static int named_in(const char *list, const pol__table *t, size_t c)
{
    const char *h = pol__table_name(t, c);
    size_t hl = strlen(h);
    for (const char *f = hl && list ? strstr(list, h) : NULL; f; f = strstr(f + 1, h))
        if (f[-1] == '\n' && f[hl] == '\n') return 1;
    return 0;
}

int pol__records_is_overflow(const pol__records *r, size_t col)
{
    return r->dialect.overflow && col < pol__table_cols(r->rows) &&
           named_in(r->dialect.overflow, r->rows, col);
}

int pol__records_row_is_long(const pol__records *r, size_t row)
{
    if (!r->dialect.overflow) return 0;
    size_t nc = pol__table_cols(r->rows);
    for (size_t c = nc; c-- > 0;)
        if (*pol__table_get(r->rows, row, c) && named_in(r->dialect.overflow, r->rows, c))
            return 1;
    return 0;
}

long pol__records_quarantine_overflow(pol_run *run, pol__records *r)
{
    if (!r->dialect.overflow) return 0;
    pol__table *t = r->rows;
    size_t nr = pol__table_rows(t), nc = pol__table_cols(t), named = 0;
    unsigned char *ov = calloc(nc ? nc : 1, 1);
    if (!ov) return -1;
    for (size_t c = 0; c < nc; c++) {
        ov[c] = (unsigned char)named_in(r->dialect.overflow, t, c);
        named += !ov[c];
    }
    size_t moved = 0;
    for (size_t i = 0; i < nr; i++)
        for (size_t c = 0; c < nc; c++)
            if (ov[c] && *pol__table_get(t, i, c)) {
                moved++;
                break;
            }
    const char **reason = moved ? calloc(nr, sizeof *reason) : NULL;
    char(*why)[64] = moved ? malloc(moved * sizeof *why) : NULL;
    if (moved && (!reason || !why)) goto oom;
    if (moved && r->quarantine && pol__table_cols(r->quarantine) < nc + 2) {
        /* A quarantine made at load has fewer columns: room for the extra fields first. */
        size_t qn = pol__table_cols(r->quarantine), qd = qn - 2;
        long *map = malloc((nc + 2) * sizeof *map);
        const char **names = malloc((nc + 2) * sizeof *names);
        int bad = !map || !names;
        for (size_t c = 0; !bad && c < nc + 2; c++) {
            map[c] = c < qd ? (long)c : c >= nc ? (long)(qd + c - nc) : -1;
            names[c] = c < nc ? pol__table_name(t, c) : pol__table_name(r->quarantine, qd + c - nc);
        }
        bad = bad || pol__table_project(r->quarantine, map, names, nc + 2);
        free(map);
        free(names);
        if (bad) goto oom;
    }
    for (size_t i = 0, k = 0; moved && i < nr; i++) {
        size_t last = 0;
        for (size_t c = 0; c < nc; c++)
            if (ov[c] && *pol__table_get(t, i, c)) last = c + 1;
        if (!last) continue;
        size_t fields = named;
        for (size_t c = 0; c < last; c++) fields += ov[c];
        snprintf(why[k], sizeof why[k], "%zu fields where the header has %zu", fields, named);
        reason[i] = why[k++];
    }
    if (moved && pol__records_quarantine_rows(r, reason)) goto oom;
    free(reason);
    free(why);
    /* The overflow columns go (the quarantine keeps them for its rows). */
    for (size_t c = nc; c-- > 0;) {
        if (!ov[c]) continue;
        pol__table_del_col(t, c);
        if (c < r->n_roles) {
            memmove(r->roles + c, r->roles + c + 1, (r->n_roles - c - 1) * sizeof *r->roles);
            memmove(r->role_conf + c, r->role_conf + c + 1,
                    (r->n_roles - c - 1) * sizeof *r->role_conf);
            r->n_roles--;
        }
    }
    free(ov);
    free(r->dialect.overflow);
    r->dialect.overflow = NULL;
    if (moved)
        pol__warn(run,
                  "%zu rows with more fields than the header quarantined: in a contact list their "
                  "fields may have shifted (an email under phone)",
                  moved);
    return (long)moved;
oom:
    free(ov);
    free(reason);
    free(why);
    return -1;
}

int pol__records_quarantine_cells(pol__records *r, const char *const *cells, size_t n,
                                  uint32_t src_line, const char *reason)
{
    if (ensure_quarantine(r, 0, r->rows)) return -1;
    size_t qcols = pol__table_cols(r->quarantine) - 2;
    long q = pol__table_add_row(r->quarantine, cells, n < qcols ? n : qcols, src_line);
    if (q < 0) return -1;
    if (n > qcols) {
        /* Extra fields of a ragged row go into the last data column so nothing is lost. */
        size_t len = 0;
        for (size_t i = qcols ? qcols - 1 : 0; i < n; i++) len += strlen(cells[i]) + 1;
        char *joined = pol__arena_alloc(pol__table_arena(r->quarantine), len + 1);
        if (!joined) return -1;
        size_t k = 0;
        for (size_t i = qcols ? qcols - 1 : 0; i < n; i++) {
            size_t l = strlen(cells[i]);
            memcpy(joined + k, cells[i], l);
            k += l;
            if (i + 1 < n) joined[k++] = '|';
        }
        joined[k] = '\0';
        if (qcols) pol__table_set_ref(r->quarantine, (size_t)q, qcols - 1, joined);
    }
    return set_tail(r, q, reason, src_line);
}


/* ---- recognising and loading ---------------------------------------------------------------- */

static const char *const extensions[] = {"csv", "tsv", "txt", "xlsx", NULL};

/* The first (up to 5) complete lines hold the same number, at least one, of some delimiter. */
static int rows_agree(const unsigned char *head, size_t n)
{
    static const char delims[] = {',', ';', '\t', '|'};
    for (size_t d = 0; d < sizeof delims; d++) {
        int lines = 0, count = -1, same = 1;
        size_t i = 0;
        while (i < n && lines < 5 && same) {
            size_t end = i;
            while (end < n && head[end] != '\n') end++;
            if (end == n) break; /* a line cut by the head: not counted */
            int c = 0;
            for (size_t k = i; k < end; k++) c += head[k] == (unsigned char)delims[d];
            if (end > i + (head[end - 1] == '\r')) {
                if (count < 0) count = c;
                same = c == count;
                lines++;
            }
            i = end + 1;
        }
        if (same && lines >= 2 && count > 0) return 1;
    }
    return 0;
}

static int sniff(const unsigned char *head, size_t n, const char *path)
{
    const char *ext = pol__path_ext(path);
    if (n >= 4 && memcmp(head, "PK\3\4", 4) == 0)
        return pol__xlsx_sniff(head, n) ? 90 : (strcasecmp(ext, "xlsx") == 0 ? 60 : 0);
    if (n >= 2 && ((head[0] == 0xFF && head[1] == 0xFE) || (head[0] == 0xFE && head[1] == 0xFF))) {
        /* UTF-16 with a BOM: text, if the code units look like text. */
        return 50;
    }
    if (pol__looks_binary(head, n)) return 0;
    int known = strcasecmp(ext, "csv") == 0 || strcasecmp(ext, "tsv") == 0;
    /* Delimited text: a delimiter on the first line, or a known extension. */
    size_t line = 0;
    while (line < n && head[line] != '\n') line++;
    int delims = 0;
    for (size_t i = 0; i < line; i++)
        delims += head[i] == ',' || head[i] == ';' || head[i] == '\t' || head[i] == '|';
    if (known) return delims ? 80 : 50;
    if (strcasecmp(ext, "txt") == 0) return delims ? 40 : 0;
    /* Another name (a recipe, a README with a comma in its first line): a table only when its
     * first lines agree on the delimiter, as a table's rows do. */
    return delims && rows_agree(head, n) ? 20 : 0;
}

static pol_status load(pol_run *run, const char *path, pol_asset **out)
{
    *out = NULL;
    pol__records *r = NULL;
    pol_status st;
    unsigned char head[8] = {0};
    FILE *fp = fopen(path, "rb");
    if (!fp) return pol__fail(run, POL_ERR_IO, "cannot open %s", path);
    size_t got = fread(head, 1, sizeof head, fp);
    fclose(fp);
    if (got >= 4 && memcmp(head, "PK\3\4", 4) == 0)
        st = pol__xlsx_load(run, path, &r);
    else
        st = pol__csv_load(run, path, &r);
    if (st) return st;
    *out = pol__asset_new(&pol__records_domain, r, path);
    if (!*out) return pol__fail(run, POL_ERR_NOMEM, "out of memory");
    pol__measure_int(run, "rows", (long long)pol__table_rows(r->rows));
    pol__measure_int(run, "columns", (long long)pol__table_cols(r->rows));
    return POL_OK;
}

/* ---- saving --------------------------------------------------------------------------------- */

/* "out/leads.csv" + "quarantine" -> "out/leads.quarantine.csv". */
static char *sidecar(const char *path, const char *what)
{
    const char *base = pol__path_base(path);
    const char *dot = strrchr(base, '.');
    if (!dot || dot == base) return pol__asprintf("%s.%s", path, what);
    return pol__asprintf("%.*s.%s%s", (int)(dot - path), path, what, dot);
}

static const char *format_of(const pol__records *r, const char *path)
{
    if (r->save.format[0]) return r->save.format;
    const char *ext = pol__path_ext(path);
    if (strcasecmp(ext, "xlsx") == 0) return "xlsx";
    if (strcasecmp(ext, "tsv") == 0) return "tsv";
    if (strcasecmp(ext, "csv") == 0) return "csv";
    return r->format[0] ? r->format : "csv";
}

/* How each column of `t` goes into XLSX, from the roles of the rows (sidecars share the leading
 * columns of the rows, matched by name). */
static unsigned char *xlsx_kinds(const pol__records *r, const pol__table *t)
{
    size_t n = pol__table_cols(t);
    unsigned char *m = calloc(n ? n : 1, 1);
    if (!m) return NULL;
    for (size_t c = 0; c < n; c++) {
        long rc = t == r->rows ? (long)c : pol__table_find(r->rows, pol__table_name(t, c));
        pol__role role = rc >= 0 && (size_t)rc < r->n_roles ? r->roles[rc] : POL_ROLE_UNKNOWN;
        switch (role) {
        case POL_ROLE_PHONE:
        case POL_ROLE_POSTCODE:
        case POL_ROLE_ID:
        case POL_ROLE_STREET_NUMBER:
            m[c] = POL_XCOL_TEXT; /* "02134", "+1202...": codes, not quantities */
            break;
        case POL_ROLE_DATE:
            m[c] = POL_XCOL_DATE;
            break;
        default:
            m[c] = POL_XCOL_AUTO;
        }
    }
    return m;
}

static pol_status write_one(pol_run *run, const pol__records *r, const pol__table *t, const char *fmt,
                            pol__outfile *of)
{
    const char *guard = r->save.guard[0] ? r->save.guard : "csv";
    pol_status st;
    if (strcmp(fmt, "xlsx") == 0) {
        if (!r->roles_done) {
            /* Typed cells need the roles (dates, codes); inferred quietly when no step did. */
            pol_run quiet = *run;
            quiet.item = NULL;
            quiet.step = NULL;
            pol_status rs = pol__records_ensure_roles(&quiet, (pol__records *)r);
            if (rs) return rs;
        }
        unsigned char *kinds = xlsx_kinds(r, t);
        if (!kinds) return pol__fail(run, POL_ERR_NOMEM, "out of memory");
        /* libxlsxwriter writes to a file name: release our handle on the temporary first. */
        fclose(of->fp);
        of->fp = NULL;
        st = pol__xlsx_write_sheet(run, t, of->tmp_path, strcmp(guard, "always") == 0, kinds,
                                   strcmp(r->format, "xlsx") == 0 ? r->dialect.sheet : NULL);
        free(kinds);
        if (!st) {
            of->fp = fopen(of->tmp_path, "ab");
            if (!of->fp)
                st = pol__fail(run, POL_ERR_IO, "cannot reopen %s", of->tmp_path);
            else
                of->fd = fileno(of->fp);
        }
    } else {
        /* The input's dialect comes back unless export says otherwise (a CSV read from XLSX,
         * or TSV asked for, gets the plain form). */
        int same = strcmp(r->format, fmt) == 0;
        pol__csv_style sty = {strcmp(fmt, "tsv") == 0 ? '\t' : ',',
                             strcmp(guard, "off") != 0,
                             0,
                             0,
                             0,
                             1,
                             NULL,
                             NULL,
                             NULL,
                             NULL,
                             NULL,
                             NULL,
                             0};
        if (same && r->delim) sty.delim = r->delim;
        if (r->save.delim) sty.delim = r->save.delim;
        sty.bom = r->save.bom >= 0 ? r->save.bom : same && r->dialect.bom;
        sty.crlf = r->save.crlf >= 0 ? r->save.crlf : same && r->dialect.crlf;
        if (same) {
            sty.quote = r->dialect.quote;
            sty.quoted_names = r->dialect.quoted_names;
        }
        if (t == r->rows) {
            sty.header = !r->dialect.headerless;
            sty.blank_names = r->dialect.blank_names;
            sty.unnamed_first = r->dialect.unnamed_first;
            sty.overflow = r->dialect.overflow;
            sty.short_rows = r->dialect.short_rows;
            sty.n_short = r->dialect.n_short;
            if (same) sty.preamble = r->dialect.preamble;
        }
        if (sty.preamble && strncasecmp(sty.preamble, "sep=", 4) == 0 && r->save.delim &&
            r->save.delim != r->delim)
            sty.preamble = strchr(sty.preamble, '\n') ? strchr(sty.preamble, '\n') + 1 : NULL;
        st = pol__csv_write_style(run, t, of->fp, &sty);
    }
    return st;
}

static pol_status save(pol_run *run, pol_asset *a, const char *path)
{
    pol__records *r = pol__records_of(a);
    const char *fmt = format_of(r, path);
    const pol__table *tabs[3] = {r->rows, r->quarantine, r->review};
    const char *what[3] = {NULL, "quarantine", "review"};
    pol__outfile of[3];
    char *paths[3] = {NULL, NULL, NULL};
    for (int i = 0; i < 3; i++) {
        memset(&of[i], 0, sizeof of[i]);
        of[i].fd = -1;
    }
    pol_status st = POL_OK;
    /* Open every output first, so a refusal (exists, no space) leaves nothing half done. */
    for (int i = 0; i < 3 && !st; i++) {
        if (!tabs[i]) continue;
        paths[i] = i ? sidecar(path, what[i]) : pol__strdup(path);
        if (!paths[i])
            st = pol__fail(run, POL_ERR_NOMEM, "out of memory");
        else
            st = pol__out_open(run, paths[i], &of[i]);
    }
    for (int i = 0; i < 3 && !st; i++)
        if (tabs[i]) st = write_one(run, r, tabs[i], fmt, &of[i]);
    for (int i = 0; i < 3 && !st; i++)
        if (tabs[i]) st = pol__out_commit(run, &of[i]);
    for (int i = 0; i < 3; i++) {
        pol__out_abort(&of[i]);
        free(paths[i]);
    }
    if (st) return st;
    size_t clean = pol__table_rows(r->rows);
    size_t quarantined = r->quarantine ? pol__table_rows(r->quarantine) : 0;
    pol__jv *rows = pol__jv_obj();
    pol__jv_set(rows, "input", pol__jv_int((long long)r->input_rows));
    pol__jv_set(rows, "clean", pol__jv_int((long long)clean));
    pol__jv_set(rows, "merged", pol__jv_int((long long)r->merged_rows));
    pol__jv_set(rows, "quarantined", pol__jv_int((long long)quarantined));
    if (r->review)
        pol__jv_set(rows, "review_pairs", pol__jv_int((long long)pol__table_rows(r->review)));
    pol__jv_set(rows, "accounted",
               pol__jv_bool(clean + r->merged_rows + quarantined == r->input_rows));
    if (run->item)
        pol__jv_set(run->item, "rows", rows);
    else
        pol__jv_free(rows);
    return POL_OK;
}

static const char *out_ext(pol_asset *a)
{
    pol__records *r = pol__records_of(a);
    return r->save.format[0] ? r->save.format : NULL;
}

/* ---- inspection ----------------------------------------------------------------------------- */

/* Exact duplicates on a standardised email or phone: what remains when no matcher is linked. */
static size_t exact_duplicates(pol__records *r, const char *region)
{
    size_t nr = pol__table_rows(r->rows);
    long ec = pol__records_col(r, POL_ROLE_EMAIL), pc = pol__records_col(r, POL_ROLE_PHONE);
    if ((ec < 0 && pc < 0) || nr < 2) return 0;
    size_t cap = 16;
    while (cap < nr * 2) cap *= 2;
    uint64_t *set = calloc(cap, sizeof *set);
    if (!set) return 0;
    size_t dups = 0;
    for (size_t i = 0; i < nr; i++) {
        char buf[512];
        const char *key = NULL;
        uint64_t h = 1469598103934665603ull;
        if (ec >= 0) {
            const char *v = pol__table_get(r->rows, i, (size_t)ec);
            const char *typo;
            if (pol__email_std(v, strlen(v), buf, sizeof buf, &typo) == POL_EMAIL_OK) key = buf;
        }
        pol__phone ph;
        if (!key && pc >= 0) {
            const char *v = pol__table_get(r->rows, i, (size_t)pc);
            if (pol__phone_parse(v, strlen(v), region, &ph) == POL_PHONE_VALID) key = ph.e164;
        }
        if (!key) continue;
        for (const char *p = key; *p; p++) h = (h ^ (unsigned char)*p) * 1099511628211ull;
        if (!h) h = 1;
        size_t j = (size_t)h & (cap - 1);
        while (set[j] && set[j] != h) j = (j + 1) & (cap - 1);
        if (set[j])
            dups++;
        else
            set[j] = h;
    }
    free(set);
    return dups;
}

static pol_status inspect(pol_run *run, pol_asset *a)
{
    pol__records *r = pol__records_of(a);
    pol_status st = pol__records_ensure_roles(run, r);
    if (st) return st;
    size_t nr = pol__table_rows(r->rows), nc = pol__table_cols(r->rows);
    pol__measure_str(run, "format", r->format);
    pol__measure_str(run, "encoding", r->encoding);
    pol__measure_int(run, "rows", (long long)nr);
    pol__measure_int(run, "columns", (long long)nc);
    if (r->quarantine)
        pol__measure_int(run, "unreadable_rows", (long long)pol__table_rows(r->quarantine));
    size_t bad_email = 0, bad_phone = 0;
    /* Phones are judged with the list's own country when its rows say which. */
    char region[3] = "US";
    char guessed[3];
    if (pol__records_guess_region(r, guessed) >= 0.6) memcpy(region, guessed, 3);
    pol__measure_str(run, "region", region);
    char why_not[160];
    int identity = pol__records_has_identity(r, why_not, sizeof why_not);
    if (!identity) pol__measure_str(run, "not_deduplicated", why_not);
    pol__jv *cols = pol__jv_arr();
    for (size_t c = 0; c < nc; c++) {
        size_t filled = 0, bad = 0;
        for (size_t i = 0; i < nr; i++) {
            const char *v = pol__cell_value(r->rows, i, c);
            while (*v == ' ' || *v == '\t') v++; /* " " is as empty as "" */
            if (!*v) continue;
            filled++;
            if (r->roles[c] == POL_ROLE_EMAIL) {
                char buf[512];
                const char *typo;
                size_t n = strlen(v);
                if (n >= sizeof buf || pol__email_std(v, n, buf, sizeof buf, &typo) != POL_EMAIL_OK)
                    bad++;
            } else if (r->roles[c] == POL_ROLE_PHONE) {
                pol__phone ph;
                if (pol__phone_parse(v, strlen(v), region, &ph) != POL_PHONE_VALID) bad++;
            }
        }
        if (r->roles[c] == POL_ROLE_EMAIL) bad_email += bad;
        if (r->roles[c] == POL_ROLE_PHONE) bad_phone += bad;
        pol__jv *o = pol__jv_obj();
        pol__jv_set(o, "column", pol__jv_str(pol__table_name(r->rows, c)));
        pol__jv_set(o, "role", pol__jv_str(pol__role_name(r->roles[c])));
        pol__jv_set(o, "confidence", pol__jv_num(r->role_conf[c]));
        pol__jv_set(o, "fill_rate", pol__jv_num(nr ? (double)filled / (double)nr : 0));
        if (r->roles[c] == POL_ROLE_EMAIL || r->roles[c] == POL_ROLE_PHONE)
            pol__jv_set(o, "invalid", pol__jv_int((long long)bad));
        /* Whether standardise may rewrite the column, and why (not). */
        int sure = pol__role_sure(r->roles[c], r->role_conf[c]);
        int rewrite = sure && (identity || r->role_conf[c] >= 1.0f);
        pol__jv_set(o, "rewrite", pol__jv_bool(rewrite));
        pol__jv_set(o, "why", pol__jv_str(rewrite ? "header and values agree"
                                        : !sure ? "role not proven by header and values"
                                                : "not a contact list: only white space"));
        pol__jv_push(cols, o);
    }
    pol__measure_jv(run, "columns", cols);
    pol__measure_int(run, "invalid_emails", (long long)bad_email);
    pol__measure_int(run, "invalid_phones", (long long)bad_phone);
    if (!identity) {
        pol__measure_int(run, "estimated_duplicates", 0);
        pol__measure_str(run, "duplicates_method", "none: not a contact list, never merged");
    } else if (pol__records_estimate_duplicates) {
        pol__measure_int(run, "estimated_duplicates",
                         (long long)pol__records_estimate_duplicates(run, r));
        pol__measure_str(run, "duplicates_method", "matcher");
    } else {
        pol__measure_int(run, "estimated_duplicates", (long long)exact_duplicates(r, region));
        pol__measure_str(run, "duplicates_method", "exact email or phone");
    }
    return POL_OK;
}

/* --sheet all: every sheet of a workbook is an item of its own (<stem>.<sheet>.xlsx). */
static pol_status parts(pol_run *run, const char *path, char ***names, size_t *n)
{
    *names = NULL;
    *n = 0;
    const char *sheet = pol__plan_load_option(run, "sheet");
    if (!sheet || strcasecmp(sheet, "all") != 0) return POL_OK;
    unsigned char head[64];
    FILE *f = fopen(path, "rb");
    size_t got = f ? fread(head, 1, sizeof head, f) : 0;
    if (f) fclose(f);
    if (!pol__xlsx_sniff(head, got)) return POL_OK; /* a CSV has one table */
    pol_status st = pol__xlsx_sheets(run, path, names, n);
    if (!st && *n == 1) { /* one sheet: the item as usual, under its own name */
        free((*names)[0]);
        free(*names);
        *names = NULL;
        *n = 0;
        return POL_OK;
    }
    if (!st) pol__decide(run, "--sheet all: %zu sheet%s, each written as its own file", *n,
                         *n == 1 ? "" : "s");
    return st;
}

static const char *const auto_steps[] = {"roles",  "standardise", "validate",
                                         "dedupe", "merge",       NULL};

const pol__domain pol__records_domain = {
    .name = "records",
    .summary = "contact and lead lists (CSV, TSV, XLSX): clean, standardise, deduplicate, export",
    .ops = pol__records_ops,
    .extensions = extensions,
    .sniff = sniff,
    .load = load,
    .save = save,
    .inspect = inspect,
    .data_free = pol__records_free,
    .data_clone = records_clone,
    .auto_steps = auto_steps,
    .out_ext = out_ext,
    .parts = parts,
    .plan_stages = pol__records_plan_stages,
    .stage_unloaded = pol__records_stage_unloaded,
};
