/* polish — CSV/TSV: delimiter detection, single-pass in-place parsing, guarded writing. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "records/io.h"
#include "records/std.h"

/* ---- delimiter detection -------------------------------------------------------------------- */

char pol__csv_sniff_delim(const unsigned char *s, size_t n)
{
    static const char cand[4] = {',', ';', '\t', '|'};
    enum { LINES = 30 };
    int count[4][LINES] = {{0}};
    int lines = 0, inq = 0;
    size_t lim = n < 65536 ? n : 65536;
    for (size_t i = 0; i < lim && lines < LINES; i++) {
        unsigned char c = s[i];
        if (c == '"')
            inq = !inq;
        else if (!inq && c == '\n')
            lines++;
        else if (!inq)
            for (int k = 0; k < 4; k++)
                if (c == (unsigned char)cand[k]) count[k][lines]++;
    }
    if (lines < LINES && lim == n) lines++; /* the last line has no newline */
    if (lines > LINES) lines = LINES;
    /* The delimiter appears the same number of times on most lines, at least once. */
    double best = 0;
    char pick = ',';
    for (int k = 0; k < 4; k++) {
        int first = count[k][0];
        if (first == 0) continue;
        int same = 0;
        for (int l = 0; l < lines; l++) same += count[k][l] == first;
        double score = (double)same / lines * (1.0 + 0.01 * first);
        if (score > best) {
            best = score;
            pick = cand[k];
        }
    }
    return pick;
}

/* ---- parsing -------------------------------------------------------------------------------- */

typedef struct parser {
    pol_run *run;
    unsigned char *p, *end; /* cursor and end of the text (end[0] is a spare byte) */
    char delim;
    uint32_t line;      /* physical line of the cursor, 1-based */
    const char **cells; /* the current row's fields */
    size_t n, cap;
    size_t max_cols; /* fields beyond this are counted, not stored */
    size_t extra;    /* fields counted beyond max_cols */
    size_t max_field;
    int too_big;             /* a field exceeded max_field */
    int unterminated;        /* the row has a quoted field with no closing quote */
    unsigned char stop[256]; /* bytes that end an unquoted field */
} parser;

static int push(parser *ps, const char *cell)
{
    if (ps->n >= ps->max_cols) {
        ps->extra++;
        return 0;
    }
    if (POL_GROW(ps->cells, ps->cap, ps->n + 1, 64)) return -1;
    ps->cells[ps->n++] = cell;
    return 0;
}

/* Finds the closing quote of the quoted field whose text starts at `s` without changing
 * anything, so an unterminated quote can be taken back. Returns it, or NULL at the end. */
static unsigned char *closing_quote(unsigned char *s, unsigned char *end)
{
    for (;;) {
        unsigned char *q = memchr(s, '"', (size_t)(end - s));
        if (!q) return NULL;
        if (q + 1 < end && q[1] == '"') {
            s = q + 2;
            continue;
        }
        return q;
    }
}

/* The number of fields of the record at ps->p, without changing anything (0 at the end). */
static size_t peek_fields(const parser *ps)
{
    unsigned char *p = ps->p, *end = ps->end;
    size_t n = 0;
    if (p >= end) return 0;
    for (;;) {
        n++;
        if (*p == '"') {
            unsigned char *q = closing_quote(p + 1, end);
            if (!q) return n;
            p = q + 1;
        }
        while (p < end && !ps->stop[*p]) p++;
        if (p >= end || *p != (unsigned char)ps->delim) return n;
        p++;
    }
}

/* Parses one record starting at ps->p. Returns 1 when a record was read, 0 at the end, -1 OOM. */
static int read_record(parser *ps)
{
    ps->n = 0;
    ps->extra = 0;
    ps->too_big = 0;
    ps->unterminated = 0;
    unsigned char *p = ps->p, *end = ps->end;
    if (p >= end) return 0;
    for (;;) {
        unsigned char *start = p;
        unsigned char *w; /* where the field's text ends (the NUL goes there) */
        if (*p == '"') {
            unsigned char *q = closing_quote(p + 1, end);
            /* A quote that pairs with one far away across lines, followed by junk, is a
             * missing closing quote too ("a,"b\n c,"d",e" reads b\n c, then d). */
            if (q && q + 1 < end && q[1] != (unsigned char)ps->delim && q[1] != '\n' &&
                q[1] != '\r' && memchr(p, '\n', (size_t)(q - p)))
                q = NULL;
            if (!q) {
                ps->unterminated = 1;
                /* Take the rest of this physical line as the record's last field. */
                unsigned char *nl = memchr(p, '\n', (size_t)(end - p));
                unsigned char *e = nl ? nl : end;
                w = e;
                if (w > p && w[-1] == '\r') w--;
                *w = '\0';
                if ((size_t)(w - start) > ps->max_field) ps->too_big = 1;
                if (push(ps, (const char *)start)) return -1;
                p = nl ? nl + 1 : end;
                ps->line++;
                break;
            }
            /* Unescape "" in place, counting newlines for line numbers. */
            unsigned char *r = p + 1;
            w = p;
            while (r < q) {
                unsigned char *nq = memchr(r, '"', (size_t)(q - r));
                unsigned char *seg_end = nq ? nq : q;
                size_t len = (size_t)(seg_end - r);
                for (unsigned char *x = memchr(r, '\n', len); x;
                     x = memchr(x + 1, '\n', (size_t)(seg_end - x - 1)))
                    ps->line++;
                memmove(w, r, len);
                w += len;
                if (!nq) break;
                *w++ = '"';
                r = nq + 2;
            }
            p = q + 1;
            /* Text after the closing quote ("abc"def) is kept, as spreadsheets do. */
            if (p < end && *p != (unsigned char)ps->delim && *p != '\n' && *p != '\r') {
                while (p < end && !ps->stop[*p]) *w++ = *p++;
            }
        } else {
            while (p < end && !ps->stop[*p]) p++;
            w = p;
        }
        unsigned char term = p < end ? *p : '\n';
        *w = '\0';
        if ((size_t)(w - start) > ps->max_field) ps->too_big = 1;
        if (push(ps, (const char *)start)) return -1;
        if (p >= end) break;
        if (term == (unsigned char)ps->delim) {
            p++;
            continue;
        }
        /* End of line: \n, \r\n or a lone \r. */
        if (term == '\r' && p + 1 < end && p[1] == '\n') p++;
        p++;
        ps->line++;
        break;
    }
    ps->p = p;
    return 1;
}

static int all_empty(const char *const *c, size_t from, size_t n)
{
    for (size_t i = from; i < n; i++)
        if (c[i][0]) return 0;
    return 1;
}

static uint64_t hash_str(const char *s)
{
    uint64_t h = 1469598103934665603ull;
    for (; *s; s++) h = (h ^ (unsigned char)*s) * 1099511628211ull;
    return h;
}

/* Header names made unique and non-empty, so columns can be addressed by name. A hash set keeps
 * this linear: exports with 100,000 columns exist. */
static int fix_header(pol__table *t)
{
    size_t n = pol__table_cols(t), cap = 16;
    while (cap < n * 2 + 2) cap *= 2;
    long *set = malloc(cap * sizeof *set);
    if (!set) return -1;
    for (size_t i = 0; i < cap; i++) set[i] = -1;
    int rc = 0;
    for (size_t c = 0; c < n && !rc; c++) {
        char *orig = pol__strdup(pol__table_name(t, c));
        if (!orig) {
            rc = -1;
            break;
        }
        /* "name", then "name_7" (its column number), then "name_7_2" ...; "column_7" if empty. */
        for (int attempt = 0; attempt < 1000 && !rc; attempt++) {
            if (attempt || !*orig) {
                const char *base = *orig ? orig : "column";
                char *nm = attempt <= 1 ? pol__asprintf("%s_%zu", base, c + 1)
                                        : pol__asprintf("%s_%zu_%d", base, c + 1, attempt);
                if (!nm || pol__table_set_name(t, c, nm)) rc = -1;
                free(nm);
                if (rc) break;
            }
            const char *h = pol__table_name(t, c);
            size_t j = (size_t)hash_str(h) & (cap - 1);
            int dup = 0;
            while (set[j] >= 0) {
                if (strcmp(pol__table_name(t, (size_t)set[j]), h) == 0) {
                    dup = 1;
                    break;
                }
                j = (j + 1) & (cap - 1);
            }
            if (!dup) {
                set[j] = (long)c;
                break;
            }
        }
        free(orig);
    }
    free(set);
    return rc;
}

typedef struct ragged {
    size_t count;
    char lines[200]; /* the first few line numbers, for the report */
} ragged;

static void note_line(ragged *r, uint32_t line)
{
    size_t l = strlen(r->lines);
    if (r->count < 15 && l + 12 < sizeof r->lines)
        snprintf(r->lines + l, sizeof r->lines - l, "%s%u", l ? ", " : "", (unsigned)line);
    r->count++;
}

/* Kinds of field, for quoting: a column quotes each kind the way its input did. */
enum {
    POL__QUOTE_TEXT = 1,
    POL__QUOTE_NUMBER = 2,
    POL__QUOTE_NULL = 4, /* a null token: NA, N/A, NULL ... */
    POL__QUOTE_EMPTY = 8,
    POL__QUOTE_ALL = 15,
};

/* A number as a writer that leaves numbers bare writes one: "-12", "3.5", "1e-3"; not "02134"
 * (a leading zero makes text: a postcode, an id). */
static int plain_number(const unsigned char *s, size_t n)
{
    size_t i = 0, digits = 0;
    if (i < n && (s[i] == '-' || s[i] == '+')) i++;
    if (i + 1 < n && s[i] == '0' && s[i + 1] >= '0' && s[i + 1] <= '9') return 0;
    while (i < n && s[i] >= '0' && s[i] <= '9') i++, digits++;
    if (i < n && s[i] == '.')
        for (i++; i < n && s[i] >= '0' && s[i] <= '9'; i++) digits++;
    if (!digits) return 0;
    if (i < n && (s[i] == 'e' || s[i] == 'E')) {
        i++;
        if (i < n && (s[i] == '-' || s[i] == '+')) i++;
        size_t d = i;
        while (i < n && s[i] >= '0' && s[i] <= '9') i++;
        if (i == d) return 0;
    }
    return i == n;
}

static unsigned field_kind(const unsigned char *s, size_t n)
{
    if (!n) return POL__QUOTE_EMPTY;
    if (n < 8) {
        char tok[8];
        memcpy(tok, s, n);
        tok[n] = '\0';
        if (pol__is_null_token(tok)) return POL__QUOTE_NULL;
    }
    return plain_number(s, n) ? POL__QUOTE_NUMBER : POL__QUOTE_TEXT;
}

/* How the first lines quote their fields: per column, the kinds of field that were quoted every
 * time they were seen (q[c], POL__QUOTE_* bits). R quotes text and row names and leaves numbers
 * and NA bare; Python's QUOTE_NONNUMERIC quotes text, "" and "02134" but not numbers; QUOTE_ALL
 * quotes everything; a spreadsheet quotes only what needs it (then no bit is set). A column whose
 * text is quoted and that showed no number quotes numbers too (a text column stays quoted).
 * *header_quoted when every header field was. At most `cap` columns are looked at. */
static void sniff_quoting(const unsigned char *s, size_t n, char delim, unsigned char *q,
                          size_t cap, int *header_quoted)
{
    enum { LINES = 50, COLS = 4096 };
    unsigned char *seen = calloc(2, COLS); /* kinds seen quoted [0..COLS), bare [COLS..) */
    memset(q, 0, cap);
    *header_quoted = 0;
    if (!seen) return;
    if (cap > COLS) cap = COLS;
    size_t i = 0, col = 0, line = 0;
    int hq = 1;
    while (i < n && line < LINES) {
        int quoted = 0;
        size_t b = i;
        if (s[i] == '"') {
            quoted = 1;
            i++;
            while (i < n) {
                if (s[i] == '"') {
                    if (i + 1 < n && s[i + 1] == '"') {
                        i += 2;
                        continue;
                    }
                    break;
                }
                i++;
            }
            i++;
        }
        size_t fb = i;
        while (i < n && s[i] != (unsigned char)delim && s[i] != '\n' && s[i] != '\r') i++;
        if (line == 0) {
            hq &= quoted;
        } else if (col < cap) {
            unsigned k = quoted ? field_kind(s + b + 1, fb >= b + 2 ? fb - b - 2 : 0)
                                : field_kind(s + fb, i - fb);
            seen[(quoted ? 0 : COLS) + col] |= (unsigned char)k;
        }
        if (i < n && s[i] == (unsigned char)delim) {
            i++;
            col++;
            continue;
        }
        while (i < n && s[i] != '\n') i++;
        i++;
        line++;
        col = 0;
    }
    for (size_t c = 0; c < cap; c++) {
        unsigned yes = seen[c], no = seen[COLS + c];
        unsigned m = yes & ~no & POL__QUOTE_ALL;
        if ((m & POL__QUOTE_TEXT) && !((yes | no) & POL__QUOTE_NUMBER)) m |= POL__QUOTE_NUMBER;
        q[c] = (unsigned char)m;
    }
    *header_quoted = hq && n;
    free(seen);
}

/* Length of the line at `p` including its end of line. */
static size_t line_len(const unsigned char *p, const unsigned char *end)
{
    const unsigned char *q = memchr(p, '\n', (size_t)(end - p));
    return q ? (size_t)(q - p) + 1 : (size_t)(end - p);
}

static size_t count_byte(const unsigned char *p, size_t n, char c)
{
    size_t k = 0;
    for (size_t i = 0; i < n; i++) k += p[i] == (unsigned char)c;
    return k;
}

/* A first record that is data, not a header: it holds an email, a phone number, a date or a
 * decimal number (header names hold none of these; years such as "2019" are allowed). */
static int looks_like_data(const char *const *cells, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        const char *v = cells[i];
        size_t len = strlen(v);
        if (!len) continue;
        const char *at = strchr(v, '@');
        if (at && at != v && strchr(at, '.') && !strchr(v, ' ')) return 1;
        char iso[32];
        if (pol__date_iso(v, len, POL_DATE_MDY, iso) && !pol__cell_is_plain_number(v)) return 1;
        if (pol__cell_is_number(v) && strchr(v, '.')) return 1;
        int digits = 0, other = 0;
        for (const char *p = v; *p; p++) {
            if (*p >= '0' && *p <= '9')
                digits++;
            else if (!strchr(" ()+-.", *p))
                other++;
        }
        if (digits >= 7 && !other) return 1;
    }
    return 0;
}

pol_status pol__csv_parse(pol_run *run, unsigned char *buf, size_t len, char delim,
                          pol__records **out)
{
    *out = NULL;
    const pol_limits *lim = &run->opt->limits;
    parser ps;
    memset(&ps, 0, sizeof ps);
    ps.run = run;
    ps.p = buf;
    ps.end = buf + len;
    ps.line = 1;
    /* Lines before the header: Excel's "sep=;" line and comment lines are kept to be written
     * back, never taken for the header. */
    const char *hv = pol__plan_load_option(run, "header");
    int header = -1;
    if (hv && !pol__parse_bool(hv, &header)) header = -1;
    const char *comment = pol__plan_load_option(run, "comment");
    if (comment && !*comment) comment = NULL;
    size_t pre = 0, comments = 0;
    char sep_delim = 0;
    if (len >= 6 && strncasecmp((const char *)buf, "sep=", 4) == 0 &&
        (buf[5] == '\n' || buf[5] == '\r')) {
        sep_delim = (char)buf[4];
        pre = line_len(buf, buf + len);
    }
    for (;;) {
        const unsigned char *p = buf + pre;
        size_t l = line_len(p, buf + len);
        if (!l) break;
        int is_comment = 0;
        if (comment)
            is_comment = strncmp((const char *)p, comment, strlen(comment)) == 0;
        else if (*p == '#') {
            /* A leading '#' line is a comment when it is not shaped like the next line. */
            const unsigned char *next = p + l;
            size_t nl = line_len(next, buf + len);
            char d = sep_delim ? sep_delim : delim ? delim : pol__csv_sniff_delim(next, nl);
            is_comment = !nl || count_byte(p, l, d) != count_byte(next, nl, d);
        }
        if (!is_comment) break;
        pre += l;
        comments++;
    }
    char *preamble = pre ? strndup((const char *)buf, pre) : NULL;
    if (pre && !preamble) {
        free(buf);
        return pol__fail(run, POL_ERR_NOMEM, "out of memory");
    }
    ps.p = buf + pre;
    ps.line = 1 + (uint32_t)count_byte(buf, pre, '\n');
    ps.delim = sep_delim ? sep_delim : delim ? delim : pol__csv_sniff_delim(ps.p, len - pre);
    int crlf = 0;
    {
        size_t l = line_len(ps.p, ps.end);
        crlf = l >= 2 && ps.p[l - 1] == '\n' && ps.p[l - 2] == '\r';
    }
    unsigned char qcols[4096];
    int header_quoted = 0;
    sniff_quoting(ps.p, len - pre, ps.delim, qcols, sizeof qcols, &header_quoted);
    ps.max_cols = lim->max_columns ? (size_t)lim->max_columns : SIZE_MAX;
    ps.max_field = lim->max_field_bytes ? (size_t)lim->max_field_bytes : SIZE_MAX;
    ps.stop[(unsigned char)ps.delim] = ps.stop['\n'] = ps.stop['\r'] = 1;
    pol_status st = POL_OK;
    pol__records *r = NULL;

    /* Header. */
    uint32_t first_line = ps.line;
    int got = read_record(&ps);
    if (got < 0) goto oom;
    if (got == 0) {
        free(buf);
        free(preamble);
        return pol__fail(run, POL_ERR_EMPTY, "no header line");
    }
    if (ps.extra) {
        size_t cols = ps.n + ps.extra;
        free(ps.cells);
        free(buf);
        free(preamble);
        return pol__fail(run, POL_ERR_LIMIT,
                         "the header has %zu columns, over the limit of %llu (--limit columns=N)",
                         cols, (unsigned long long)lim->max_columns);
    }
    if (ps.too_big || ps.unterminated) {
        free(ps.cells);
        free(buf);
        free(preamble);
        return pol__fail(run, POL_ERR_CORRUPT, "%s in the header line",
                         ps.unterminated ? "unterminated quoted field" : "oversized field");
    }
    int headerless = header == 0 || (header < 0 && looks_like_data(ps.cells, ps.n));
    /* A header one field short of the first row (R's write.table: row names, no field for them
     * in the header): the first column is unnamed, as R reads it, and stays so when written. */
    size_t shift = !headerless && ps.n + 1 <= ps.max_cols && peek_fields(&ps) == ps.n + 1;
    size_t ncols = ps.n + shift;
    pol__table *t = pol__table_new(ncols);
    if (!t) goto oom;
    r = pol__records_new(t);
    if (!r) goto oom;
    size_t blanks = 0;
    for (size_t c = 0; c < ncols; c++) {
        const char *h = headerless || c < shift ? "" : ps.cells[c - shift];
        if (pol__table_set_name(t, c, h)) goto oom;
        blanks += !headerless && c >= shift && !h[0];
    }
    if (fix_header(t)) goto oom;
    if (shift) {
        if (!(r->dialect.unnamed_first = pol__strdup(pol__table_name(t, 0)))) goto oom;
        pol__decide(run, "the header is one field short of the rows (R's row names): the first "
                         "column is unnamed (\"%s\"), written back without a header field",
                    r->dialect.unnamed_first);
    }
    if (blanks) {
        size_t l = 2;
        for (size_t c = shift; c < ncols; c++)
            if (!ps.cells[c - shift][0]) l += strlen(pol__table_name(t, c)) + 1;
        char *b = malloc(l);
        if (!b) goto oom;
        size_t k = 0;
        b[k++] = '\n';
        for (size_t c = shift; c < ncols; c++)
            if (!ps.cells[c - shift][0]) {
                size_t nl = strlen(pol__table_name(t, c));
                memcpy(b + k, pol__table_name(t, c), nl);
                k += nl;
                b[k++] = '\n';
            }
        b[k] = '\0';
        r->dialect.blank_names = b;
    }
    r->delim = ps.delim;
    r->dialect.crlf = crlf;
    r->dialect.quote = header_quoted;
    {
        /* How each column was quoted, by name, so it stays so whatever columns come and go:
         * "\n" + a letter ('A' + its POL__QUOTE_* bits) + the name, a line each. */
        size_t l = 2, any = 0;
        for (size_t c = 0; c < ncols && c < sizeof qcols; c++)
            if (qcols[c]) l += strlen(pol__table_name(t, c)) + 2, any++;
        if (any) {
            char *b = malloc(l);
            if (!b) goto oom;
            size_t k = 0;
            b[k++] = '\n';
            for (size_t c = 0; c < ncols && c < sizeof qcols; c++)
                if (qcols[c]) {
                    size_t nl = strlen(pol__table_name(t, c));
                    b[k++] = (char)('A' + qcols[c]);
                    memcpy(b + k, pol__table_name(t, c), nl);
                    k += nl;
                    b[k++] = '\n';
                }
            b[k] = '\0';
            r->dialect.quoted_names = b;
        }
    }
    r->dialect.headerless = headerless;
    r->dialect.preamble = preamble;
    preamble = NULL;
    if (pre) {
        pol__measure_int(run, "lines_before_header", (long long)(comments + (sep_delim != 0)));
        pol__decide(run, "%s%s%zu comment line%s before the header kept aside and written back",
                    sep_delim ? "a \"sep=\" line (delimiter honoured), " : "", "", comments,
                    comments == 1 ? "" : "s");
    }
    if (headerless)
        pol__decide(run, header == 0
                             ? "no header line (--no-header): columns named column_1 ..."
                             : "the first line is data (emails, numbers, dates), not a header: "
                               "columns named column_1 ... (--header to read it as one)");
    snprintf(r->format, sizeof r->format, "%s", ps.delim == '\t' ? "tsv" : "csv");
    {
        /* Room for the rows, estimated from the first lines, so columns rarely move. */
        size_t sample = (size_t)(ps.p - buf);
        size_t est = sample ? len / sample : 1;
        if (est > 64 && est < 100000000 && pol__table_reserve(t, est + est / 8)) goto oom;
    }
    /* The buffer holds the cells from here on. */
    if (pol__table_adopt_buffer(t, buf)) {
        buf = NULL;
        goto oom;
    }
    buf = NULL;
    if (headerless) {
        if (pol__table_add_row_ref(t, ps.cells, ps.n, first_line) < 0) goto oom;
        r->input_rows++;
    }

    ragged shorter = {0}, longer = {0}, unterminated = {0}, oversized = {0}, overflow = {0};
    size_t blank = 0;
    uint64_t max_rows = lim->max_rows;
    for (;;) {
        uint32_t line = ps.line;
        got = read_record(&ps);
        if (got < 0) goto oom;
        if (got == 0) break;
        if (ps.n == 1 && !ps.cells[0][0] && !ps.unterminated) {
            blank++;
            continue;
        }
        if (comment && ps.n && strncmp(ps.cells[0], comment, strlen(comment)) == 0) {
            /* A comment line among the rows (--comment): kept with the lines before the header. */
            size_t l = 0;
            for (size_t i = 0; i < ps.n; i++) l += strlen(ps.cells[i]) + 1;
            size_t old = r->dialect.preamble ? strlen(r->dialect.preamble) : 0;
            char *np = realloc(r->dialect.preamble, old + l + 2);
            if (!np) goto oom;
            r->dialect.preamble = np;
            for (size_t i = 0; i < ps.n; i++) {
                size_t cl = strlen(ps.cells[i]);
                memcpy(np + old, ps.cells[i], cl);
                old += cl;
                np[old++] = i + 1 < ps.n ? ps.delim : '\n';
            }
            np[old] = '\0';
            comments++;
            continue;
        }
        const char *reason = NULL;
        char why[96];
        if (ps.unterminated) {
            note_line(&unterminated, line);
            reason = "unterminated quoted field";
        } else if (ps.too_big) {
            note_line(&oversized, line);
            snprintf(why, sizeof why, "a field is over the limit of %llu bytes",
                     (unsigned long long)lim->max_field_bytes);
            reason = why;
        } else if (ps.n > ncols && ps.extra) {
            /* Past the columns limit: not kept whole, so quarantined with its fields. */
            note_line(&longer, line);
            snprintf(why, sizeof why, "%zu fields where the header has %zu", ps.n + ps.extra,
                     ncols);
            reason = why;
        } else if (ps.n > ncols && !all_empty(ps.cells, ncols, ps.n)) {
            /* More fields than the header: kept whole, the extra fields in unnamed columns after
             * the last (written back only in the rows that have them, so the row reads as it
             * did). A contact list quarantines such rows when it deduplicates or validates
             * (pol__records_quarantine_overflow): its fields may have shifted. */
            note_line(&overflow, line);
            while (pol__table_cols(t) < ps.n) {
                char nm[48];
                size_t k = pol__table_cols(t) - ncols + 1;
                snprintf(nm, sizeof nm, "%s%zu", POL__OVERFLOW_PREFIX, k);
                while (pol__table_find(t, nm) >= 0 && strlen(nm) + 2 < sizeof nm)
                    strcat(nm, "_");
                if (pol__table_add_col(t, nm) < 0) goto oom;
                size_t ol = r->dialect.overflow ? strlen(r->dialect.overflow) : 1;
                char *o = realloc(r->dialect.overflow, ol + strlen(nm) + 2);
                if (!o) goto oom;
                if (!r->dialect.overflow) o[0] = '\n';
                memcpy(o + ol, nm, strlen(nm));
                o[ol + strlen(nm)] = '\n';
                o[ol + strlen(nm) + 1] = '\0';
                r->dialect.overflow = o;
            }
        } else if (ps.n < ncols) {
            /* Exporters often drop trailing empty cells: pad and keep, but report. */
            note_line(&shorter, line);
            if (r->dialect.n_short % 256 == 0) {
                uint32_t *sr = realloc(r->dialect.short_rows,
                                       (r->dialect.n_short + 256) * 2 * sizeof *sr);
                if (!sr) goto oom;
                r->dialect.short_rows = sr;
            }
            r->dialect.short_rows[2 * r->dialect.n_short] = line;
            r->dialect.short_rows[2 * r->dialect.n_short++ + 1] = (uint32_t)ps.n;
        }
        if (reason) {
            r->input_rows++;
            if (pol__records_quarantine_cells(r, ps.cells, ps.n, line, reason)) goto oom;
            continue;
        }
        if (max_rows && pol__table_rows(t) >= max_rows) {
            st = pol__fail(run, POL_ERR_LIMIT,
                           "more than %llu rows (line %u; --limit rows=N raises the limit)",
                           (unsigned long long)max_rows, (unsigned)line);
            goto fail;
        }
        if (pol__table_add_row_ref(t, ps.cells, ps.n, line) < 0) goto oom;
        r->input_rows++;
    }
    free(ps.cells);
    ps.cells = NULL;
    if (blank) pol__measure_int(run, "blank_lines", (long long)blank);
    if (shorter.count) {
        pol__measure_int(run, "short_rows", (long long)shorter.count);
        pol__warn(run, "%zu rows have fewer fields than the header (padded), lines %s%s",
                  shorter.count, shorter.lines, shorter.count > 15 ? ", ..." : "");
    }
    if (overflow.count) {
        pol__measure_int(run, "long_rows", (long long)overflow.count);
        pol__warn(run,
                  "%zu rows have more fields than the header (kept whole: the extra fields in "
                  "unnamed columns after the last, written back as they were), lines %s%s",
                  overflow.count, overflow.lines, overflow.count > 15 ? ", ..." : "");
    }
    if (longer.count)
        pol__warn(run,
                  "%zu rows have more fields than the columns limit (quarantined), lines %s%s",
                  longer.count, longer.lines, longer.count > 15 ? ", ..." : "");
    if (unterminated.count)
        pol__warn(run, "%zu rows have an unterminated quoted field (quarantined), lines %s%s",
                  unterminated.count, unterminated.lines, unterminated.count > 15 ? ", ..." : "");
    if (oversized.count)
        pol__warn(run, "%zu rows have a field over %llu bytes (quarantined), lines %s%s",
                  oversized.count, (unsigned long long)lim->max_field_bytes, oversized.lines,
                  oversized.count > 15 ? ", ..." : "");
    if (pol__table_rows(t) == 0 && !r->quarantine) pol__warn(run, "no data rows, only a header");
    *out = r;
    return POL_OK;
oom:
    st = pol__fail(run, POL_ERR_NOMEM, "out of memory reading the table");
fail:
    free(ps.cells);
    free(buf);
    free(preamble);
    pol__records_free(r);
    return st;
}

pol_status pol__csv_load(pol_run *run, const char *path, pol__records **out)
{
    *out = NULL;
    unsigned char *data;
    size_t len;
    pol_status st = pol__read_file(run, path, run->opt->limits.max_bytes, &data, &len);
    if (st) return st;
    if (len == 0) {
        free(data);
        return pol__fail(run, POL_ERR_EMPTY, "the file is empty");
    }
    size_t head = len < 65536 ? len : 65536;
    if (pol__looks_binary(data, head)) {
        free(data);
        return pol__fail(run, POL_ERR_FORMAT, "binary data, not delimited text");
    }
    unsigned char *u8;
    size_t off, n;
    char enc[16];
    st = pol__to_utf8(run, data, len, &u8, &off, &n, enc);
    if (st) return st;
    const char *ext = pol__path_ext(path);
    char delim = strcasecmp(ext, "tsv") == 0 ? '\t' : 0;
    pol__records *r;
    if (off) memmove(u8, u8 + off, n + 1); /* the BOM goes; cells must start in the buffer */
    st = pol__csv_parse(run, u8, n, delim, &r);
    if (st) return st;
    snprintf(r->encoding, sizeof r->encoding, "%s", enc);
    r->dialect.bom = off != 0 || strncmp(enc, "utf-16", 6) == 0;
    if (strcmp(enc, "utf-8") != 0 && strcmp(enc, "utf-8-bom") != 0)
        pol__decide(run, "read as %s, converted to UTF-8", enc);
    *out = r;
    return POL_OK;
}

/* ---- writing -------------------------------------------------------------------------------- */

int pol__cell_is_number(const char *s)
{
    const char *p = s;
    if (*p == '-' || *p == '+') p++;
    int digits = 0;
    while (*p >= '0' && *p <= '9') p++, digits++;
    if (*p == '.') {
        p++;
        while (*p >= '0' && *p <= '9') p++, digits++;
    }
    if (!digits) return 0;
    if (*p == 'e' || *p == 'E') {
        p++;
        if (*p == '-' || *p == '+') p++;
        if (!(*p >= '0' && *p <= '9')) return 0;
        while (*p >= '0' && *p <= '9') p++;
    }
    return *p == '\0';
}

int pol__cell_is_plain_number(const char *s)
{
    const char *p = s;
    if (*p == '-') p++;
    if (!(*p >= '0' && *p <= '9')) return 0;
    if (*p == '0' && p[1] >= '0' && p[1] <= '9') return 0; /* "007", "02134" */
    int digits = 0;
    while (*p >= '0' && *p <= '9') p++, digits++;
    if (*p == '.') {
        p++;
        const char *f = p;
        while (*p >= '0' && *p <= '9') p++, digits++;
        if (p == f || p[-1] == '0') return 0; /* "3." "3.90" would read back as 3, 3.9 */
    }
    if (*p) return 0;
    if (s[0] == '-' && strcmp(s, "-0") == 0) return 0;
    return digits <= 15;
}

/* The rest of a cell after its leading + or -: a phone number in any common style ("44 20 7946
 * 0958", "1-617-555-0199", "1 (617) 555.0199 x12", "12025550143;ext=7"): digits and the usual
 * separators only, at least six digits. Nothing a spreadsheet could call or link. */
static int is_phone_like(const char *p)
{
    int digits = 0;
    for (; *p; p++) {
        unsigned char c = (unsigned char)*p;
        if (c >= '0' && c <= '9')
            digits++;
        else if (c == ' ' || c == '-' || c == '.' || c == '(' || c == ')' || c == '/')
            continue;
        else if (digits >= 6 && (strncasecmp(p, ";ext=", 5) == 0 || strncasecmp(p, "ext", 3) == 0 ||
                                 c == 'x' || c == 'X' || c == '#')) {
            /* An extension: only digits (and spacing) after it. */
            while (*p && !(*p >= '0' && *p <= '9')) {
                if (!strchr(";extEXT=. #:", *p)) return 0;
                p++;
            }
            const char *d = p;
            while (*p >= '0' && *p <= '9') p++;
            return p > d && *p == '\0';
        } else
            return 0;
    }
    return digits >= 6;
}

int pol__cell_needs_guard(const char *s)
{
    switch (s[0]) {
    case '=':
    case '@':
    case '\t':
    case '\r':
        return 1;
    case '+':
    case '-': {
        if (pol__cell_is_number(s) || is_phone_like(s + 1)) return 0;
        const char *p = s;
        while (*p == '-') p++;
        return *p != '\0'; /* "-", "--": a placeholder, not a formula */
    }
    default:
        return 0;
    }
}

typedef struct wbuf {
    FILE *fp;
    char *b;
    size_t n, cap;
    int err;
} wbuf;

static void wflush(wbuf *w)
{
    if (w->n && fwrite(w->b, 1, w->n, w->fp) != w->n) w->err = errno ? errno : EIO;
    w->n = 0;
}

static void wput(wbuf *w, const char *s, size_t n)
{
    if (w->n + n > w->cap) {
        wflush(w);
        if (n > w->cap) {
            if (fwrite(s, 1, n, w->fp) != n) w->err = errno ? errno : EIO;
            return;
        }
    }
    memcpy(w->b + w->n, s, n);
    w->n += n;
}

static inline void wputc(wbuf *w, char c)
{
    if (w->n == w->cap) wflush(w);
    w->b[w->n++] = c;
}

/* quote_kinds: the POL__QUOTE_* bits of the kinds of field this column quotes, on top of the
 * fields that must be quoted. */
static void write_cell(wbuf *w, const char *s, unsigned char *special, char delim, int guard_on,
                       unsigned quote_kinds)
{
    int guard = guard_on &&
                (s[0] == '=' || s[0] == '+' || s[0] == '-' || s[0] == '@' || s[0] == '\t' ||
                 s[0] == '\r') &&
                pol__cell_needs_guard(s);
    const char *p = s;
    int quote = 0;
    size_t len = 0;
    for (; *p; p++)
        if (special[(unsigned char)*p]) quote = 1;
    len = (size_t)(p - s);
    /* TSV has no quoting convention everyone agrees on; quote like CSV when needed. */
    (void)delim;
    if (quote_kinds & field_kind((const unsigned char *)s, len)) quote = 1;
    if (!quote) {
        if (guard) wputc(w, '\'');
        wput(w, s, len);
        return;
    }
    wputc(w, '"');
    if (guard) wputc(w, '\'');
    const char *q = s;
    for (;;) {
        const char *dq = strchr(q, '"');
        if (!dq) {
            wput(w, q, (size_t)(s + len - q));
            break;
        }
        wput(w, q, (size_t)(dq - q) + 1);
        wputc(w, '"');
        q = dq + 1;
    }
    wputc(w, '"');
}

pol_status pol__csv_write(pol_run *run, const pol__table *t, FILE *fp, char delim, int guard)
{
    pol__csv_style st = {delim, guard, 0, 0, 0, 1, NULL, NULL, NULL, NULL, NULL, NULL, 0};
    return pol__csv_write_style(run, t, fp, &st);
}

pol_status pol__csv_write_style(pol_run *run, const pol__table *t, FILE *fp,
                                const pol__csv_style *sty)
{
    char delim = sty->delim;
    int guard = sty->guard, q = sty->quote;
    unsigned char *qc = calloc(pol__table_cols(t) + 1, 1);
    if (!qc) return pol__fail(run, POL_ERR_NOMEM, "out of memory");
    for (size_t c = 0; sty->quoted_names && c < pol__table_cols(t); c++) {
        const char *h = pol__table_name(t, c);
        size_t hl = strlen(h);
        for (const char *f = hl ? strstr(sty->quoted_names, h) : NULL; f; f = strstr(f + 1, h))
            if (f >= sty->quoted_names + 2 && f[-2] == '\n' && f[-1] >= 'A' && f[-1] <= 'A' + 15 &&
                f[hl] == '\n') {
                qc[c] = (unsigned char)(f[-1] - 'A');
                break;
            }
    }
    /* Overflow columns (fields of rows longer than the header): qc bit 0x80. */
    int any_ov = 0;
    for (size_t c = 0; sty->overflow && c < pol__table_cols(t); c++) {
        const char *h = pol__table_name(t, c);
        size_t hl = strlen(h);
        for (const char *f = hl ? strstr(sty->overflow, h) : NULL; f; f = strstr(f + 1, h))
            if (f[-1] == '\n' && f[hl] == '\n') {
                qc[c] |= 0x80;
                any_ov = 1;
                break;
            }
    }
    wbuf w = {fp, malloc(1 << 20), 0, 1 << 20, 0};
    if (!w.b) {
        free(qc);
        return pol__fail(run, POL_ERR_NOMEM, "out of memory");
    }
    unsigned char special[256] = {0};
    special[(unsigned char)delim] = special['"'] = special['\n'] = special['\r'] = 1;
    size_t nc = pol__table_cols(t), nr = pol__table_rows(t);
    const char *eol = sty->crlf ? "\r\n" : "\n";
    size_t eoln = sty->crlf ? 2 : 1;
    if (sty->bom) wput(&w, "\xEF\xBB\xBF", 3);
    if (sty->preamble) wput(&w, sty->preamble, strlen(sty->preamble));
    if (sty->header) {
        /* R's write.table row names: the header has no field for the first column. */
        size_t c0 = nc > 1 && sty->unnamed_first && !strcmp(pol__table_name(t, 0), sty->unnamed_first);
        int first = 1;
        for (size_t c = c0; c < nc; c++) {
            if (qc[c] & 0x80) continue; /* the header had no field for the extra fields */
            if (!first) wputc(&w, delim);
            first = 0;
            const char *h = pol__table_name(t, c);
            if (sty->blank_names) {
                /* A header that was empty in the input ("" before R's row names) stays empty. */
                const char *f = strstr(sty->blank_names, h);
                size_t hl = strlen(h);
                if (f && f[-1] == '\n' && f[hl] == '\n') h = "";
            }
            write_cell(&w, h, special, delim, guard, q ? POL__QUOTE_ALL : 0);
        }
        wput(&w, eol, eoln);
    }
    for (size_t r = 0; r < nr && !w.err; r++) {
        /* The last filled overflow column of this row: later ones are not written. */
        size_t last_ov = 0;
        for (size_t c = 0; any_ov && c < nc; c++)
            if ((qc[c] & 0x80) && *pol__table_get(t, r, c)) last_ov = c + 1;
        /* A row that came short of the header goes back as short (its missing cells still empty). */
        size_t upto = nc;
        if (sty->n_short) {
            uint32_t line = pol__table_src_line(t, r);
            size_t lo = 0, hi = sty->n_short;
            while (lo < hi) {
                size_t mid = (lo + hi) / 2;
                if (sty->short_rows[2 * mid] < line)
                    lo = mid + 1;
                else
                    hi = mid;
            }
            if (lo < sty->n_short && sty->short_rows[2 * lo] == line) {
                size_t k = sty->short_rows[2 * lo + 1], seen = 0;
                upto = 0;
                for (size_t c = 0; c < nc; c++) {
                    if (qc[c] & 0x80) continue;
                    if (seen++ >= k && *pol__table_get(t, r, c)) upto = nc; /* filled since */
                    if (seen == k && upto != nc) upto = c + 1;
                }
            }
        }
        int first = 1;
        /* The named columns, then the row's extra fields (whatever columns came after them). */
        for (int pass = 0; pass < 1 + any_ov; pass++)
            for (size_t c = 0; c < nc; c++) {
                if (!(qc[c] & 0x80) != !pass || (pass && c >= last_ov) || (!pass && c >= upto))
                    continue;
                if (!first) wputc(&w, delim);
                first = 0;
                const char *v = pol__table_get(t, r, c);
                write_cell(&w, v, special, delim, guard, qc[c] & 0x7f);
            }
        wput(&w, eol, eoln);
    }
    wflush(&w);
    free(w.b);
    free(qc);
    if (w.err) return pol__fail(run, POL_ERR_IO, "writing failed: %s", strerror(w.err));
    return POL_OK;
}
