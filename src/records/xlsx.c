/* polish — XLSX: streaming read (minizip + expat), write (libxlsxwriter). */
#include <errno.h>
#include <expat.h>
#include <minizip/unzip.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <xlsxwriter.h>
#include "records/io.h"

int pol__xlsx_sniff(const unsigned char *head, size_t n)
{
    /* The first local file header of an Excel-written workbook is "[Content_Types].xml"; other
     * writers put "xl/..." or "docProps/..." early. Any of these in the first 4 KiB will do. */
    if (n < 30 || memcmp(head, "PK\3\4", 4) != 0) return 0;
    static const char *const marks[] = {"[Content_Types].xml", "xl/", "docProps/", "_rels/"};
    for (size_t m = 0; m < sizeof marks / sizeof marks[0]; m++) {
        size_t l = strlen(marks[m]);
        for (size_t i = 30; i + l <= n; i++)
            if (memcmp(head + i, marks[m], l) == 0) return 1;
    }
    return 0;
}

/* ---- reading -------------------------------------------------------------------------------- */

typedef struct strvec {
    char **v;
    size_t n, cap;
} strvec;

typedef struct xreader {
    pol_run *run;
    XML_Parser xp;
    pol__arena *arena;
    /* text being collected */
    char *text;
    size_t tlen, tcap;
    int in_text;
    int failed; /* pol_status when set */
    /* shared strings */
    strvec sst;
    int in_si, in_rph;
    /* styles: which cell formats are dates */
    unsigned char *xf_date;
    size_t n_xf, cap_xf;
    int in_cellxfs;
    struct {
        int id;
        int is_date;
    } numfmt[256];
    int n_numfmt;
    /* sheet */
    pol__records *r;
    const char **cells; /* current row, by column */
    size_t row_cap, row_n;
    long row_num;
    long col;
    int cell_type; /* 's' shared, 'i' inline, 'b' bool, 'e' error, 'n' number, 'd' date */
    int cell_style;
    int in_v, in_is;
    int header_done;
    size_t max_cols, max_field;
    uint64_t max_rows;
    /* workbook: sheet names and relationship ids in order; relationships id -> target */
    strvec wb_names, wb_rids, rel_ids, rel_targets;
} xreader;

static void fail(xreader *x, pol_status st)
{
    if (!x->failed) x->failed = st;
    XML_StopParser(x->xp, XML_FALSE);
}

static void text_add(void *ud, const XML_Char *s, int len)
{
    xreader *x = ud;
    if (!x->in_text || x->in_rph || len <= 0) return;
    if (x->tlen + (size_t)len + 1 > x->tcap) {
        if (x->tlen + (size_t)len > x->max_field) {
            pol__fail(x->run, POL_ERR_LIMIT, "a cell is over the limit of %zu bytes", x->max_field);
            fail(x, POL_ERR_LIMIT);
            return;
        }
        if (POL_GROW(x->text, x->tcap, x->tlen + (size_t)len + 1, 256)) {
            fail(x, POL_ERR_NOMEM);
            return;
        }
    }
    memcpy(x->text + x->tlen, s, (size_t)len);
    x->tlen += (size_t)len;
}

static const char *attr(const XML_Char **a, const char *name)
{
    for (; a && a[0]; a += 2)
        if (strcmp(a[0], name) == 0) return a[1];
    return NULL;
}

/* "x:row" -> "row": some writers use a namespace prefix. */
static const char *local(const char *name)
{
    const char *c = strchr(name, ':');
    return c ? c + 1 : name;
}

static char *text_take(xreader *x)
{
    char *s = pol__arena_strndup(x->arena, x->text ? x->text : "", x->tlen);
    x->tlen = 0;
    if (!s) fail(x, POL_ERR_NOMEM);
    return s;
}

/* -- shared strings -- */

static void sst_start(void *ud, const XML_Char *name, const XML_Char **a)
{
    xreader *x = ud;
    (void)a;
    name = local(name);
    if (strcmp(name, "si") == 0) {
        x->in_si = 1;
        x->tlen = 0;
    } else if (strcmp(name, "rPh") == 0) {
        x->in_rph = 1;
    } else if (strcmp(name, "t") == 0 && x->in_si) {
        x->in_text = 1;
    }
}

static void sst_end(void *ud, const XML_Char *name)
{
    xreader *x = ud;
    name = local(name);
    if (strcmp(name, "t") == 0)
        x->in_text = 0;
    else if (strcmp(name, "rPh") == 0)
        x->in_rph = 0;
    else if (strcmp(name, "si") == 0) {
        x->in_si = 0;
        if (POL_GROW(x->sst.v, x->sst.cap, x->sst.n + 1, 1024)) {
            fail(x, POL_ERR_NOMEM);
            return;
        }
        char *s = text_take(x);
        if (s) x->sst.v[x->sst.n++] = s;
    }
}

/* -- styles -- */

static int builtin_date(int id)
{
    return (id >= 14 && id <= 22) || (id >= 45 && id <= 47);
}

/* A custom number format shows a date when it has d, m or y outside quotes and brackets. */
static int format_is_date(const char *code)
{
    int q = 0, br = 0;
    for (const char *p = code; *p; p++) {
        if (*p == '"')
            q = !q;
        else if (q)
            continue;
        else if (*p == '[')
            br = 1;
        else if (*p == ']')
            br = 0;
        else if (br)
            continue;
        else if (*p == '\\')
            p += p[1] ? 1 : 0;
        else if (strchr("dDmMyY", *p))
            return 1;
    }
    return 0;
}

static void sty_start(void *ud, const XML_Char *name, const XML_Char **a)
{
    xreader *x = ud;
    name = local(name);
    if (strcmp(name, "numFmt") == 0 && x->n_numfmt < 256) {
        const char *id = attr(a, "numFmtId"), *code = attr(a, "formatCode");
        if (id && code) {
            x->numfmt[x->n_numfmt].id = atoi(id);
            x->numfmt[x->n_numfmt++].is_date = format_is_date(code);
        }
    } else if (strcmp(name, "cellXfs") == 0) {
        x->in_cellxfs = 1;
    } else if (strcmp(name, "xf") == 0 && x->in_cellxfs) {
        const char *id = attr(a, "numFmtId");
        int nid = id ? atoi(id) : 0, date = builtin_date(nid);
        for (int i = 0; i < x->n_numfmt; i++)
            if (x->numfmt[i].id == nid) date = x->numfmt[i].is_date;
        if (x->n_xf == x->cap_xf) {
            size_t cap = x->cap_xf ? x->cap_xf * 2 : 64;
            unsigned char *v = realloc(x->xf_date, cap);
            if (!v) {
                fail(x, POL_ERR_NOMEM);
                return;
            }
            x->xf_date = v;
            x->cap_xf = cap;
        }
        x->xf_date[x->n_xf++] = (unsigned char)date;
    }
}

static void sty_end(void *ud, const XML_Char *name)
{
    xreader *x = ud;
    if (strcmp(local(name), "cellXfs") == 0) x->in_cellxfs = 0;
}

/* -- the sheet -- */

/* "BC12" -> column 54 (0-based). */
static long col_of_ref(const char *ref)
{
    long c = 0;
    int any = 0;
    for (; *ref >= 'A' && *ref <= 'Z'; ref++) {
        c = c * 26 + (*ref - 'A' + 1);
        any = 1;
        if (c > 100000000) return -1;
    }
    return any ? c - 1 : -1;
}

/* Excel serial day (1900 system) -> ISO date, with the time when there is a fraction. */
static int serial_to_iso(const char *v, char *out, size_t cap)
{
    char *end;
    double d = strtod(v, &end);
    if (*end || !(d >= 1 && d <= 2958465)) return 0; /* NaN and infinities too */
    long days = (long)d;
    double frac = d - (double)days;
    /* Serial 60 is 1900-02-29, a day that never was (kept for Lotus compatibility). */
    if (days == 60) return 0;
    if (days < 60) days += 1;
    /* Days since 1899-12-30 to a civil date (proleptic Gregorian). */
    long z = days - 25569 + 719468; /* 25569 = serial of 1970-01-01 */
    long era = (z >= 0 ? z : z - 146096) / 146097;
    long doe = z - era * 146097;
    long yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    long y = yoe + era * 400;
    long doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    long mp = (5 * doy + 2) / 153;
    long dd = doy - (153 * mp + 2) / 5 + 1;
    long mm = mp < 10 ? mp + 3 : mp - 9;
    y += mm <= 2;
    long secs = (long)(frac * 86400.0 + 0.5);
    if (secs >= 86400) secs = 86399;
    /* Bounded values (y < 10000, mm <= 12, dd <= 31, ...) as ints keep the sizes known. */
    int Y = (int)(y % 10000), M = (int)(mm % 100), D = (int)(dd % 100);
    int h = (int)(secs / 3600 % 100), mi = (int)(secs / 60 % 60), se = (int)(secs % 60);
    if (secs)
        snprintf(out, cap, "%04d-%02d-%02dT%02d:%02d:%02d", Y, M, D, h, mi, se);
    else
        snprintf(out, cap, "%04d-%02d-%02d", Y, M, D);
    return 1;
}

static void row_flush(xreader *x)
{
    pol__records *r = x->r;
    size_t n = x->row_n;
    while (n && (!x->cells[n - 1] || !x->cells[n - 1][0])) n--;
    if (!x->header_done) {
        pol__table *t = pol__table_new(n);
        if (!t) {
            fail(x, POL_ERR_NOMEM);
            return;
        }
        r->rows = t;
        for (size_t c = 0; c < n; c++) {
            char nm[32];
            const char *h = x->cells[c] && x->cells[c][0] ? x->cells[c] : NULL;
            if (!h) snprintf(nm, sizeof nm, "column_%zu", c + 1);
            if (pol__table_set_name(t, c, h ? h : nm)) fail(x, POL_ERR_NOMEM);
        }
        x->header_done = 1;
    } else if (n) {
        pol__table *t = r->rows;
        while (pol__table_cols(t) < n) {
            /* A value right of the header: a column without a name, not a lost value. */
            char nm[32];
            snprintf(nm, sizeof nm, "column_%zu", pol__table_cols(t) + 1);
            if (pol__table_add_col(t, nm) < 0) {
                fail(x, POL_ERR_NOMEM);
                return;
            }
        }
        if (x->max_rows && pol__table_rows(t) >= x->max_rows) {
            pol__fail(x->run, POL_ERR_LIMIT, "more than %llu rows (--limit rows=N)",
                      (unsigned long long)x->max_rows);
            fail(x, POL_ERR_LIMIT);
            return;
        }
        if (pol__table_add_row_ref(t, x->cells, n, (uint32_t)x->row_num) < 0) {
            fail(x, POL_ERR_NOMEM);
            return;
        }
        r->input_rows++;
    }
    for (size_t c = 0; c < x->row_n; c++) x->cells[c] = NULL;
    x->row_n = 0;
}

static void sheet_start(void *ud, const XML_Char *name, const XML_Char **a)
{
    xreader *x = ud;
    name = local(name);
    if (strcmp(name, "row") == 0) {
        const char *rn = attr(a, "r");
        x->row_num = rn ? atol(rn) : x->row_num + 1;
        x->row_n = 0;
        x->col = -1;
    } else if (strcmp(name, "c") == 0) {
        const char *ref = attr(a, "r"), *t = attr(a, "t"), *s = attr(a, "s");
        x->col = ref ? col_of_ref(ref) : x->col + 1;
        if (x->col < 0 || (size_t)x->col >= x->max_cols) {
            pol__fail(x->run, POL_ERR_LIMIT,
                      "row %ld has a cell in column %ld, over the limit of "
                      "%zu columns (--limit columns=N)",
                      x->row_num, x->col + 1, x->max_cols);
            fail(x, POL_ERR_LIMIT);
            return;
        }
        x->cell_type = !t                            ? 'n'
                       : strcmp(t, "s") == 0         ? 's'
                       : strcmp(t, "inlineStr") == 0 ? 'i'
                       : strcmp(t, "b") == 0         ? 'b'
                       : strcmp(t, "e") == 0         ? 'e'
                       : strcmp(t, "d") == 0         ? 'D'
                       : strcmp(t, "str") == 0       ? 'i'
                                                     : 'n';
        long st = s ? atol(s) : 0;
        if (x->cell_type == 'n' && st > 0 && (size_t)st < x->n_xf && x->xf_date[st])
            x->cell_type = 'd';
        x->tlen = 0;
    } else if (strcmp(name, "v") == 0) {
        x->in_v = x->in_text = 1;
        x->tlen = 0;
    } else if (strcmp(name, "is") == 0) {
        x->in_is = 1;
        x->tlen = 0;
    } else if (strcmp(name, "rPh") == 0) {
        x->in_rph = 1;
    } else if (strcmp(name, "t") == 0 && x->in_is) {
        x->in_text = 1;
    }
}

static void sheet_end(void *ud, const XML_Char *name)
{
    xreader *x = ud;
    name = local(name);
    if (strcmp(name, "t") == 0 || strcmp(name, "v") == 0) {
        x->in_text = 0;
        if (strcmp(name, "v") == 0) x->in_v = 0;
    } else if (strcmp(name, "rPh") == 0) {
        x->in_rph = 0;
    } else if (strcmp(name, "is") == 0) {
        x->in_is = 0;
    } else if (strcmp(name, "c") == 0) {
        if (x->col < 0) return;
        const char *val = NULL;
        if (x->cell_type == 's') {
            char tmp[32];
            snprintf(tmp, sizeof tmp, "%.*s", (int)(x->tlen < 31 ? x->tlen : 31),
                     x->text ? x->text : "");
            x->tlen = 0;
            long i = atol(tmp);
            if (i < 0 || (size_t)i >= x->sst.n) {
                pol__fail(x->run, POL_ERR_CORRUPT, "row %ld: shared string %ld does not exist",
                          x->row_num, i);
                fail(x, POL_ERR_CORRUPT);
                return;
            }
            val = x->sst.v[i];
        } else if (x->cell_type == 'b') {
            val = x->tlen && x->text[0] == '1' ? "TRUE" : "FALSE";
            x->tlen = 0;
        } else if (x->cell_type == 'd') {
            char raw[64], iso[32];
            snprintf(raw, sizeof raw, "%.*s", (int)(x->tlen < 63 ? x->tlen : 63),
                     x->text ? x->text : "");
            if (serial_to_iso(raw, iso, sizeof iso)) {
                x->tlen = 0;
                val = pol__arena_strndup(x->arena, iso, strlen(iso));
            } else {
                val = text_take(x);
            }
        } else {
            val = text_take(x);
        }
        if (!val) return;
        size_t c = (size_t)x->col;
        if (c >= x->row_cap) {
            size_t cap = x->row_cap ? x->row_cap : 32;
            while (cap <= c) cap *= 2;
            const char **v = realloc(x->cells, cap * sizeof *v);
            if (!v) {
                fail(x, POL_ERR_NOMEM);
                return;
            }
            for (size_t i = x->row_cap; i < cap; i++) v[i] = NULL;
            x->cells = v;
            x->row_cap = cap;
        }
        x->cells[c] = val;
        if (c + 1 > x->row_n) x->row_n = c + 1;
    } else if (strcmp(name, "row") == 0) {
        row_flush(x);
    }
}

/* Streams one zip member through an expat parser with the given handlers. */
/* Parses one member of the workbook; `max_inflated` (0: none) caps the bytes it may inflate to,
 * checked from the zip header before anything is read and again while reading (headers lie). */
static pol_status parse_member(xreader *x, unzFile z, const char *member, XML_StartElementHandler s,
                               XML_EndElementHandler e, int required, uint64_t max_inflated)
{
    if (unzLocateFile(z, member, 0) != UNZ_OK) {
        if (!required) return POL_OK;
        return pol__fail(x->run, POL_ERR_CORRUPT, "the workbook has no %s", member);
    }
    unz_file_info64 fi;
    if (max_inflated && unzGetCurrentFileInfo64(z, &fi, NULL, 0, NULL, 0, NULL, 0) == UNZ_OK &&
        fi.uncompressed_size > max_inflated)
        return pol__fail(x->run, POL_ERR_LIMIT,
                         "%s inflates to %llu bytes, over the limit of %llu (--limit bytes=N)",
                         member, (unsigned long long)fi.uncompressed_size,
                         (unsigned long long)max_inflated);
    uint64_t inflated = 0;
    if (unzOpenCurrentFile(z) != UNZ_OK)
        return pol__fail(x->run, POL_ERR_CORRUPT, "cannot open %s in the workbook", member);
    x->xp = XML_ParserCreate(NULL);
    if (!x->xp) {
        unzCloseCurrentFile(z);
        return pol__fail(x->run, POL_ERR_NOMEM, "out of memory");
    }
    XML_SetUserData(x->xp, x);
    XML_SetElementHandler(x->xp, s, e);
    XML_SetCharacterDataHandler(x->xp, text_add);
    enum { CHUNK = 1 << 16 };
    char *b = malloc(CHUNK);
    pol_status st = b ? POL_OK : POL_ERR_NOMEM;
    for (;;) {
        if (st) break;
        int n = unzReadCurrentFile(z, b, CHUNK);
        if (n < 0) {
            st = pol__fail(x->run, POL_ERR_CORRUPT, "%s is damaged (zip error %d)", member, n);
            break;
        }
        inflated += (uint64_t)n;
        if (max_inflated && inflated > max_inflated) {
            st = pol__fail(x->run, POL_ERR_LIMIT,
                           "%s inflates to more than %llu bytes (--limit bytes=N)", member,
                           (unsigned long long)max_inflated);
            break;
        }
        if (XML_Parse(x->xp, b, n, n == 0) != XML_STATUS_OK) {
            if (x->failed)
                st = (pol_status)x->failed;
            else
                st = pol__fail(x->run, POL_ERR_CORRUPT, "%s: %s at line %lu", member,
                               XML_ErrorString(XML_GetErrorCode(x->xp)),
                               (unsigned long)XML_GetCurrentLineNumber(x->xp));
            break;
        }
        if (n == 0) break;
    }
    if (st == POL_ERR_NOMEM && !x->failed) pol__fail(x->run, POL_ERR_NOMEM, "out of memory");
    free(b);
    XML_ParserFree(x->xp);
    x->xp = NULL;
    /* The checksum is checked when the member was read to its end. */
    if (unzCloseCurrentFile(z) == UNZ_CRCERROR && !st)
        st = pol__fail(x->run, POL_ERR_CORRUPT, "%s is damaged (checksum mismatch)", member);
    return st;
}

static const char *lattr(const XML_Char **a, const char *name)
{
    for (; a && a[0]; a += 2)
        if (strcmp(local(a[0]), name) == 0) return a[1];
    return NULL;
}

static void vpush(xreader *x, strvec *v, const char *s)
{
    if (POL_GROW(v->v, v->cap, v->n + 1, 16)) {
        fail(x, POL_ERR_NOMEM);
        return;
    }
    char *c = pol__arena_strndup(x->arena, s ? s : "", s ? strlen(s) : 0);
    if (!c) {
        fail(x, POL_ERR_NOMEM);
        return;
    }
    v->v[v->n++] = c;
}

static void wb_start(void *ud, const XML_Char *name, const XML_Char **a)
{
    xreader *x = ud;
    if (strcmp(local(name), "sheet") != 0) return;
    vpush(x, &x->wb_names, lattr(a, "name"));
    vpush(x, &x->wb_rids, lattr(a, "id"));
}

static void rel_start(void *ud, const XML_Char *name, const XML_Char **a)
{
    xreader *x = ud;
    if (strcmp(local(name), "Relationship") != 0) return;
    vpush(x, &x->rel_ids, lattr(a, "Id"));
    vpush(x, &x->rel_targets, lattr(a, "Target"));
}

static void no_end(void *ud, const XML_Char *name)
{
    (void)ud;
    (void)name;
}

/* The worksheet to read: `want` by name or 1-based number, else the first in the workbook's
 * order; its member path into name[cap]. Returns 1, 0 when there is none, -1 when `want` names
 * no sheet (message set). */
static int pick_sheet(xreader *x, const char *want, char *name, size_t cap, size_t *index)
{
    size_t n = x->wb_names.n, pick = 0;
    *index = 0;
    if (!n || x->wb_rids.n != n) return 0;
    if (want && *want) {
        char *end;
        pick = n;
        for (size_t i = 0; pick == n && i < n; i++) /* a name first: a sheet may be named "2" */
            if (strcasecmp(x->wb_names.v[i], want) == 0) pick = i;
        long k = strtol(want, &end, 10);
        if (pick == n && !*end && k >= 1 && (size_t)k <= n) pick = (size_t)k - 1;
        if (pick == n) {
            char list[400] = "";
            for (size_t i = 0; i < n && strlen(list) < 300; i++)
                snprintf(list + strlen(list), sizeof list - strlen(list), "%s\"%s\"", i ? ", " : "",
                         x->wb_names.v[i]);
            pol__fail(x->run, POL_ERR_ARG, "--sheet %s: no such sheet (the workbook has %s)", want,
                      list);
            return -1;
        }
    }
    for (size_t i = 0; i < x->rel_ids.n; i++)
        if (strcmp(x->rel_ids.v[i], x->wb_rids.v[pick]) == 0) {
            const char *t = x->rel_targets.v[i];
            if (t[0] == '/')
                snprintf(name, cap, "%s", t + 1);
            else
                snprintf(name, cap, "xl/%s", t);
            *index = pick;
            return 1;
        }
    return 0;
}

/* The first worksheet: xl/worksheets/sheet1.xml, else the first one in the archive. */
static int find_sheet(unzFile z, char *name, size_t cap)
{
    if (unzLocateFile(z, "xl/worksheets/sheet1.xml", 0) == UNZ_OK) {
        snprintf(name, cap, "xl/worksheets/sheet1.xml");
        return 1;
    }
    for (int rc = unzGoToFirstFile(z); rc == UNZ_OK; rc = unzGoToNextFile(z)) {
        char fn[512];
        if (unzGetCurrentFileInfo64(z, NULL, fn, sizeof fn, NULL, 0, NULL, 0) != UNZ_OK) break;
        if (strncmp(fn, "xl/worksheets/", 14) == 0 && strstr(fn, ".xml") && !strchr(fn + 14, '/')) {
            snprintf(name, cap, "%s", fn);
            return 1;
        }
    }
    return 0;
}

pol_status pol__xlsx_load(pol_run *run, const char *path, pol__records **out)
{
    *out = NULL;
    unzFile z = unzOpen64(path);
    if (!z) return pol__fail(run, POL_ERR_CORRUPT, "not a readable XLSX (zip) file");
    /* A zip bomb: refuse members that inflate past the input limit times a generous ratio. */
    uint64_t total = 0, maxb = run->opt->limits.max_bytes;
    for (int rc = unzGoToFirstFile(z); rc == UNZ_OK; rc = unzGoToNextFile(z)) {
        unz_file_info64 fi;
        if (unzGetCurrentFileInfo64(z, &fi, NULL, 0, NULL, 0, NULL, 0) != UNZ_OK) break;
        total += fi.uncompressed_size;
    }
    if (maxb && total > maxb * 4) {
        unzClose(z);
        return pol__fail(run, POL_ERR_LIMIT,
                         "the workbook inflates to %llu bytes, over 4x the "
                         "byte limit (--limit bytes=N)",
                         (unsigned long long)total);
    }
    xreader x;
    memset(&x, 0, sizeof x);
    x.run = run;
    x.arena = pol__arena_new();
    x.max_cols = run->opt->limits.max_columns ? (size_t)run->opt->limits.max_columns : SIZE_MAX;
    x.max_field =
        run->opt->limits.max_field_bytes ? (size_t)run->opt->limits.max_field_bytes : SIZE_MAX;
    x.max_rows = run->opt->limits.max_rows;
    x.r = calloc(1, sizeof *x.r);
    pol_status st = x.arena && x.r ? POL_OK : pol__fail(run, POL_ERR_NOMEM, "out of memory");
    char sheet[512];
    /* Shared strings are held whole: at most half the byte limit (an 8 MB workbook can declare
     * gigabytes of them). */
    uint64_t sst_max = maxb ? maxb / 2 : 0;
    if (!st) st = parse_member(&x, z, "xl/sharedStrings.xml", sst_start, sst_end, 0, sst_max);
    if (!st) st = parse_member(&x, z, "xl/styles.xml", sty_start, sty_end, 0, sst_max);
    if (!st) st = parse_member(&x, z, "xl/workbook.xml", wb_start, no_end, 0, sst_max);
    if (!st) st = parse_member(&x, z, "xl/_rels/workbook.xml.rels", rel_start, no_end, 0, sst_max);
    const char *want = run->part ? run->part : pol__plan_load_option(run, "sheet");
    if (!run->part && want && strcasecmp(want, "all") == 0) want = NULL; /* a one-sheet workbook */
    size_t index = 0;
    int picked = st ? 0 : pick_sheet(&x, want, sheet, sizeof sheet, &index);
    if (picked < 0) st = POL_ERR_ARG;
    if (!st && picked > 0 && unzLocateFile(z, sheet, 0) != UNZ_OK) picked = 0;
    if (!st && !picked && want && *want)
        st = pol__fail(run, POL_ERR_CORRUPT, "--sheet %s: the workbook does not say where it is",
                       want);
    if (!st && !picked && !find_sheet(z, sheet, sizeof sheet))
        st = pol__fail(run, POL_ERR_CORRUPT, "the workbook has no worksheet");
    if (!st && x.wb_names.n > 1 && !run->part) {
        /* Never cut silently: say which sheet was read and which were not. */
        char others[400] = "";
        for (size_t i = 0; i < x.wb_names.n && strlen(others) < 300; i++)
            if (i != index)
                snprintf(others + strlen(others), sizeof others - strlen(others), "%s\"%s\"",
                         others[0] ? ", " : "", x.wb_names.v[i]);
        pol__measure_int(run, "sheets", (long long)x.wb_names.n);
        pol__warn(run, "the workbook has %zu sheets; read \"%s\", not %s (--sheet NAME)",
                  x.wb_names.n, x.wb_names.v[index], others);
    }
    if (!st) st = parse_member(&x, z, sheet, sheet_start, sheet_end, 1, maxb ? maxb * 4 : 0);
    /* The sheet's name, written back as the output's (a found-by-path sheet: the first). */
    char sheet_name[128] = "";
    if (!st && x.wb_names.n)
        snprintf(sheet_name, sizeof sheet_name, "%s",
                 x.wb_names.v[picked > 0 && index < x.wb_names.n ? index : 0]);
    unzClose(z);
    free(x.text);
    free(x.sst.v);
    free(x.wb_names.v);
    free(x.wb_rids.v);
    free(x.rel_ids.v);
    free(x.rel_targets.v);
    free(x.xf_date);
    free(x.cells);
    pol__table *rows = x.r ? x.r->rows : NULL;
    if (!st && !rows) st = pol__fail(run, POL_ERR_EMPTY, "the first worksheet is empty");
    if (!st && pol__table_adopt_arena(rows, x.arena)) {
        x.arena = NULL;
        st = pol__fail(run, POL_ERR_NOMEM, "out of memory");
    }
    if (st) {
        pol__arena_free(x.arena);
        pol__table_free(rows);
        free(x.r);
        return st;
    }
    size_t input = x.r->input_rows;
    free(x.r);
    pol__records *r = pol__records_new(rows);
    if (!r) return pol__fail(run, POL_ERR_NOMEM, "out of memory");
    r->input_rows = input;
    if (sheet_name[0] && !(r->dialect.sheet = pol__strdup(sheet_name))) {
        pol__records_free(r);
        return pol__fail(run, POL_ERR_NOMEM, "out of memory");
    }
    snprintf(r->format, sizeof r->format, "xlsx");
    snprintf(r->encoding, sizeof r->encoding, "utf-8");
    if (pol__table_rows(rows) == 0) pol__warn(run, "no data rows, only a header");
    *out = r;
    return POL_OK;
}

pol_status pol__xlsx_sheets(pol_run *run, const char *path, char ***names, size_t *n)
{
    *names = NULL;
    *n = 0;
    unzFile z = unzOpen64(path);
    if (!z) return pol__fail(run, POL_ERR_CORRUPT, "not a readable XLSX (zip) file");
    xreader x;
    memset(&x, 0, sizeof x);
    x.run = run;
    x.arena = pol__arena_new();
    uint64_t maxb = run->opt->limits.max_bytes;
    pol_status st = x.arena ? POL_OK : pol__fail(run, POL_ERR_NOMEM, "out of memory");
    if (!st) st = parse_member(&x, z, "xl/workbook.xml", wb_start, no_end, 0, maxb ? maxb / 2 : 0);
    unzClose(z);
    if (!st && x.wb_names.n && !(*names = calloc(x.wb_names.n, sizeof **names)))
        st = pol__fail(run, POL_ERR_NOMEM, "out of memory");
    for (size_t i = 0; !st && i < x.wb_names.n; i++) {
        if (!((*names)[i] = pol__strdup(x.wb_names.v[i]))) {
            st = pol__fail(run, POL_ERR_NOMEM, "out of memory");
            break;
        }
        (*n)++;
    }
    if (st) {
        for (size_t i = 0; i < *n; i++) free((*names)[i]);
        free(*names);
        *names = NULL;
        *n = 0;
    }
    free(x.text);
    free(x.wb_names.v);
    free(x.wb_rids.v);
    pol__arena_free(x.arena);
    return st;
}

/* ---- writing -------------------------------------------------------------------------------- */

/* "2024-03-04" (optionally with "THH:MM[:SS]") into a date-time; 0 when it is not one. */
static int iso_datetime(const char *s, lxw_datetime *dt)
{
    int y, mo, d, h = 0, mi = 0, n = 0;
    double sec = 0;
    if (sscanf(s, "%4d-%2d-%2d%n", &y, &mo, &d, &n) != 3 || n != 10) return 0;
    if (s[n] == 'T') {
        int m = 0;
        if (sscanf(s + n, "T%2d:%2d%n", &h, &mi, &m) != 2) return 0;
        n += m;
        if (s[n] == ':') {
            if (sscanf(s + n, ":%lf%n", &sec, &m) != 1) return 0;
            n += m;
        }
    }
    if (s[n] || y < 1900 || y > 9999 || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 ||
        sec >= 60)
        return 0;
    *dt = (lxw_datetime){y, mo, d, h, mi, sec};
    return 1;
}

pol_status pol__xlsx_write(pol_run *run, const pol__table *t, const char *path, int guard,
                           const unsigned char *kinds)
{
    return pol__xlsx_write_sheet(run, t, path, guard, kinds, NULL);
}

pol_status pol__xlsx_write_sheet(pol_run *run, const pol__table *t, const char *path, int guard,
                                 const unsigned char *kinds, const char *sheet)
{
    size_t nr = pol__table_rows(t), nc = pol__table_cols(t);
    if (nr + 1 > 1048576 || nc > 16384)
        return pol__fail(run, POL_ERR_LIMIT,
                         "%zu rows x %zu columns do not fit in an XLSX sheet (1,048,576 x 16,384); "
                         "write CSV instead (--format csv)",
                         nr + 1, nc);
    lxw_workbook_options opt = {.constant_memory = LXW_TRUE, .tmpdir = NULL, .use_zip64 = LXW_TRUE};
    lxw_workbook *wb = workbook_new_opt(path, &opt);
    if (!wb) return pol__fail(run, POL_ERR_IO, "cannot create the workbook");
    /* The workbook's creation time (its properties and its zip entries) is the input's
     * modification time, not the clock's: the same input and recipe give the same bytes (the
     * workspace's render cache remakes a render identically). */
    struct stat in_st;
    lxw_doc_properties props = {0};
    if (run && run->input && stat(run->input, &in_st) == 0) {
        props.created = in_st.st_mtime;
        workbook_set_properties(wb, &props);
    }
    /* The input's sheet name when it is one Excel accepts (it came from a workbook). */
    lxw_worksheet *ws = NULL;
    if (sheet && *sheet && workbook_validate_sheet_name(wb, sheet) == LXW_NO_ERROR)
        ws = workbook_add_worksheet(wb, sheet);
    if (!ws) ws = workbook_add_worksheet(wb, NULL);
    lxw_format *bold = workbook_add_format(wb);
    if (!ws || !bold) {
        workbook_close(wb);
        return pol__fail(run, POL_ERR_NOMEM, "out of memory");
    }
    format_set_bold(bold);
    lxw_format *date_fmt = workbook_add_format(wb), *time_fmt = workbook_add_format(wb);
    if (!date_fmt || !time_fmt) {
        workbook_close(wb);
        return pol__fail(run, POL_ERR_NOMEM, "out of memory");
    }
    format_set_num_format(date_fmt, "yyyy-mm-dd");
    format_set_num_format(time_fmt, "yyyy-mm-dd hh:mm:ss");
    lxw_error e = LXW_NO_ERROR;
    char *guarded = NULL;
    size_t gcap = 0;
    for (size_t r = 0; r <= nr && !e; r++) {
        for (size_t c = 0; c < nc && !e; c++) {
            const char *v = r ? pol__table_get(t, r - 1, c) : pol__table_name(t, c);
            if (!*v) continue;
            int kind = kinds && r ? kinds[c] : r ? POL_XCOL_AUTO : POL_XCOL_TEXT;
            if (kind == POL_XCOL_AUTO && pol__cell_is_plain_number(v)) {
                /* A number stays a number: it can be summed, and reads back as written. */
                e = worksheet_write_number(ws, (lxw_row_t)r, (lxw_col_t)c, strtod(v, NULL), NULL);
                continue;
            }
            lxw_datetime dt;
            if (kind == POL_XCOL_DATE && iso_datetime(v, &dt)) {
                e = worksheet_write_datetime(ws, (lxw_row_t)r, (lxw_col_t)c, &dt,
                                             strlen(v) > 10 ? time_fmt : date_fmt);
                continue;
            }
            if (guard && pol__cell_needs_guard(v)) {
                /* Asked for (--guard always): the CSV guard's prefix, for a later "save as CSV". */
                size_t l = strlen(v);
                if (l + 2 > gcap) {
                    char *g = realloc(guarded, l + 2);
                    if (!g) {
                        e = LXW_ERROR_MEMORY_MALLOC_FAILED;
                        break;
                    }
                    guarded = g;
                    gcap = l + 2;
                }
                guarded[0] = '\'';
                memcpy(guarded + 1, v, l + 1);
                v = guarded;
            }
            e = worksheet_write_string(ws, (lxw_row_t)r, (lxw_col_t)c, v, r ? NULL : bold);
            if (e == LXW_ERROR_MAX_STRING_LENGTH_EXCEEDED) {
                free(guarded);
                workbook_close(wb);
                return pol__fail(run, POL_ERR_LIMIT,
                                 "row %zu, column %zu has more than 32,767 characters, which XLSX "
                                 "cannot hold; write CSV instead (--format csv)",
                                 r, c + 1);
            }
        }
    }
    free(guarded);
    errno = 0;
    lxw_error ce = workbook_close(wb);
    int en = errno; /* the system's reason behind the zip error, e.g. no space left */
    if ((e || ce) && (en == ENOSPC || en == EDQUOT || en == EFBIG || en == EIO))
        return pol__fail(run, POL_ERR_IO, "writing the workbook failed: %s", strerror(en));
    if (e || ce)
        return pol__fail(run, POL_ERR_IO, "writing the workbook failed: %s",
                         lxw_strerror(e ? e : ce));
    return POL_OK;
}
