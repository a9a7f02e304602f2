/* polish — records.export: output format and CRM column layouts (HubSpot, Salesforce, custom). */
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "records/records.h"

static const pol_param_desc params[] = {
    {"format", POL_PARAM_ENUM, NULL, 0, -1, "csv|tsv|xlsx",
     "Output format; default: from the output name, else the input's format."},
    {"preset", POL_PARAM_ENUM, NULL, 0, -1, "generic|hubspot|salesforce",
     "CRM import layout: columns renamed and ordered for HubSpot, Salesforce (Lead) or generic."},
    {"mapping", POL_PARAM_STR, NULL, 0, -1, NULL,
     "Custom layout \"Out Col=role_or_column,...\" (replaces the preset's columns)."},
    {"guard", POL_PARAM_ENUM, "csv", 0, -1, "off|csv|always",
     "Formula-injection guard (OWASP): cells a spreadsheet would run as a formula (=, @, or + - "
     "followed by text that is not a number or phone number) get a leading apostrophe in CSV and "
     "TSV; XLSX holds them as text cells, which are never run. always: XLSX too; off: never."},
    {"delimiter", POL_PARAM_ENUM, "auto", 0, -1, "auto|comma|semicolon|tab|pipe",
     "CSV delimiter to write; auto keeps the input's (a \";\" file stays \";\")."},
    {"bom", POL_PARAM_ENUM, "auto", 0, -1, "auto|yes|no",
     "UTF-8 byte-order mark at the start of CSV/TSV; auto keeps the input's."},
    {"crlf", POL_PARAM_ENUM, "auto", 0, -1, "auto|yes|no",
     "CR LF line ends in CSV/TSV; auto keeps the input's."},
    {"header", POL_PARAM_BOOL, "true", 0, -1, NULL,
     "Reading: the first line is the header. --no-header for a file without one (detected when "
     "the first line holds emails, phone numbers, dates or decimals); it is written back without."},
    {"comment", POL_PARAM_STR, NULL, 0, -1, NULL,
     "Reading: lines starting with this prefix (e.g. \"#\") are comments, kept aside and written "
     "back before the header. Leading \"#\" lines are recognised without it."},
    {"role", POL_PARAM_STR, NULL, 0, -1, NULL,
     "Reading: roles set yourself for the ops that find them (\"COL=ROLE,...\", as records.roles "
     "--role; \"COL=text\" leaves a column as it is)."},
    {"sheet", POL_PARAM_STR, NULL, 0, -1, NULL,
     "Reading XLSX: the sheet to read, by name or number (1 = first; default the first, with a "
     "warning naming the others), or \"all\": every sheet, each written as <stem>.<sheet>.<ext>."},
};

/* A preset: output header and the role that fills it. */
typedef struct col_spec {
    const char *header;
    pol__role role;
} col_spec;

static const col_spec hubspot[] = {
    {"First Name", POL_ROLE_FIRST_NAME},
    {"Last Name", POL_ROLE_LAST_NAME},
    {"Email", POL_ROLE_EMAIL},
    {"Phone Number", POL_ROLE_PHONE},
    {"Company Name", POL_ROLE_COMPANY},
    {"Street Address", POL_ROLE_STREET},
    {"City", POL_ROLE_CITY},
    {"State/Region", POL_ROLE_STATE},
    {"Postal Code", POL_ROLE_POSTCODE},
    {"Country/Region", POL_ROLE_COUNTRY},
};

static const col_spec salesforce[] = {
    {"FirstName", POL_ROLE_FIRST_NAME},
    {"LastName", POL_ROLE_LAST_NAME},
    {"Email", POL_ROLE_EMAIL},
    {"Phone", POL_ROLE_PHONE},
    {"Company", POL_ROLE_COMPANY},
    {"Street", POL_ROLE_STREET},
    {"City", POL_ROLE_CITY},
    {"State", POL_ROLE_STATE},
    {"PostalCode", POL_ROLE_POSTCODE},
    {"Country", POL_ROLE_COUNTRY},
};

static const col_spec generic[] = {
    {"first_name", POL_ROLE_FIRST_NAME},
    {"last_name", POL_ROLE_LAST_NAME},
    {"email", POL_ROLE_EMAIL},
    {"phone", POL_ROLE_PHONE},
    {"company", POL_ROLE_COMPANY},
    {"street", POL_ROLE_STREET},
    {"city", POL_ROLE_CITY},
    {"state", POL_ROLE_STATE},
    {"postcode", POL_ROLE_POSTCODE},
    {"country", POL_ROLE_COUNTRY},
};

/* Adds a column computed per row; returns its index or -1 on OOM. */
static long add_computed(pol__records *r, const char *name, pol__role role,
                         size_t (*fn)(pol__records *, size_t, char *, size_t))
{
    long c = pol__table_add_col(r->rows, name);
    if (c < 0 || pol__records_sync_cols(r)) return -1;
    r->roles[c] = role;
    r->role_conf[c] = 1;
    pol__arena *a = pol__table_arena(r->rows);
    char buf[2048];
    size_t nr = pol__table_rows(r->rows);
    for (size_t i = 0; i < nr; i++) {
        size_t k = fn(r, i, buf, sizeof buf);
        if (!k) continue;
        char *v = pol__arena_strndup(a, buf, k);
        if (!v) return -1;
        pol__table_set_ref(r->rows, i, (size_t)c, v);
    }
    return c;
}

static const char *cell(pol__records *r, size_t row, pol__role role)
{
    long c = pol__records_col(r, role);
    return c < 0 ? "" : pol__table_get(r->rows, row, (size_t)c);
}

/* Where a full name splits into given names and surname: before the last word that is not a
 * suffix ("Mary Ann Smith Jr." -> "Mary Ann" | "Smith Jr."). */
static size_t split_at(const char *full)
{
    size_t n = strlen(full);
    const char *suffixes[] = {"jr", "jr.", "sr", "sr.", "ii", "iii", "iv", "phd", "md", "esq."};
    size_t end = n;
    for (int pass = 0; pass < 2; pass++) {
        size_t s = end;
        while (s > 0 && full[s - 1] != ' ') s--;
        if (s == 0) return 0;
        int suf = 0;
        for (size_t i = 0; i < sizeof suffixes / sizeof suffixes[0]; i++) {
            size_t l = strlen(suffixes[i]);
            size_t wl = end - s;
            if (full[end - 1] == ',') wl--;
            suf |= wl == l && strncasecmp(full + s, suffixes[i], l) == 0;
        }
        if (!suf) {
            /* Particles belong to the surname ("Ludwig van Beethoven"). */
            size_t p = s - 1;
            while (p > 0) {
                size_t q = p;
                while (q > 0 && full[q - 1] != ' ') q--;
                size_t wl = p - q;
                if (q == 0 ||
                    !((wl == 3 && (!strncmp(full + q, "van", 3) || !strncmp(full + q, "von", 3) ||
                                   !strncmp(full + q, "der", 3) || !strncmp(full + q, "del", 3))) ||
                      (wl == 2 && (!strncmp(full + q, "de", 2) || !strncmp(full + q, "da", 2) ||
                                   !strncmp(full + q, "di", 2) || !strncmp(full + q, "la", 2)))))
                    break;
                s = q;
                p = q - 1;
            }
            return s;
        }
        end = s - 1;
    }
    return 0;
}

static size_t first_of_full(pol__records *r, size_t row, char *out, size_t cap)
{
    const char *f = cell(r, row, POL_ROLE_FULL_NAME);
    size_t at = split_at(f);
    if (!at) return 0;
    return (size_t)snprintf(out, cap, "%.*s", (int)(at - 1), f);
}

static size_t last_of_full(pol__records *r, size_t row, char *out, size_t cap)
{
    const char *f = cell(r, row, POL_ROLE_FULL_NAME);
    return (size_t)snprintf(out, cap, "%s", f + split_at(f));
}

/* Street line for one field: number + street + second line. */
static size_t street_line(pol__records *r, size_t row, char *out, size_t cap)
{
    const char *num = cell(r, row, POL_ROLE_STREET_NUMBER), *st = cell(r, row, POL_ROLE_STREET),
               *a2 = cell(r, row, POL_ROLE_ADDRESS2);
    int k = snprintf(out, cap, "%s%s%s%s%s", num, *num && *st ? " " : "", st,
                     *a2 && (*num || *st) ? " " : "", a2);
    return k < 0 ? 0 : (size_t)k < cap ? (size_t)k : cap - 1;
}

static long find_source(pol__records *r, const char *spec)
{
    long c = pol__table_find(r->rows, spec);
    if (c >= 0) return c;
    size_t nc = pol__table_cols(r->rows);
    for (size_t i = 0; i < nc; i++)
        if (strcasecmp(pol__table_name(r->rows, i), spec) == 0) return (long)i;
    pol__role role = pol__role_from_name(spec);
    if (role != POL_ROLE_UNKNOWN) return pol__records_col(r, role);
    return -2;
}

/* Rebuilds the column set: out column i comes from column map[i] (or is empty). */
static pol_status project(pol_run *run, pol__records *r, const long *map, const char *const *names,
                          const pol__role *roles, size_t n)
{
    if (pol__table_project(r->rows, map, names, n))
        return pol__fail(run, POL_ERR_NOMEM, "out of memory");
    r->n_roles = 0;
    if (pol__records_sync_cols(r)) return pol__fail(run, POL_ERR_NOMEM, "out of memory");
    for (size_t i = 0; i < n; i++) {
        r->roles[i] = roles[i];
        r->role_conf[i] = 1;
    }
    return POL_OK;
}

static pol_status apply_preset(pol_run *run, pol__records *r, const col_spec *spec, size_t n)
{
    /* Fill what the layout needs from what the list has: names split, streets joined. */
    if (pol__records_col(r, POL_ROLE_FULL_NAME) >= 0 &&
        pol__records_col(r, POL_ROLE_LAST_NAME) < 0) {
        if (add_computed(r, "_first", POL_ROLE_FIRST_NAME, first_of_full) < 0 ||
            add_computed(r, "_last", POL_ROLE_LAST_NAME, last_of_full) < 0)
            return pol__fail(run, POL_ERR_NOMEM, "out of memory");
        pol__decide(run, "split full names into first and last names");
    }
    if (pol__records_col(r, POL_ROLE_STREET_NUMBER) >= 0 ||
        pol__records_col(r, POL_ROLE_ADDRESS2) >= 0) {
        long c = add_computed(r, "_street", POL_ROLE_UNKNOWN, street_line);
        if (c < 0) return pol__fail(run, POL_ERR_NOMEM, "out of memory");
        /* The joined line takes the street's place. */
        for (size_t i = 0; i < (size_t)c; i++)
            if (r->roles[i] == POL_ROLE_STREET) r->roles[i] = POL_ROLE_UNKNOWN;
        r->roles[c] = POL_ROLE_STREET;
        pol__decide(run, "joined street number, street and second address line");
    }
    long map[16];
    const char *names[16];
    pol__role roles[16];
    char missing[256] = "";
    for (size_t i = 0; i < n; i++) {
        map[i] = pol__records_col(r, spec[i].role);
        names[i] = spec[i].header;
        roles[i] = spec[i].role;
        if (map[i] < 0) {
            size_t l = strlen(missing);
            snprintf(missing + l, sizeof missing - l, "%s%s", l ? ", " : "", spec[i].header);
        }
    }
    size_t dropped = 0, nc = pol__table_cols(r->rows);
    for (size_t c = 0; c < nc; c++) {
        int used = 0;
        for (size_t i = 0; i < n; i++) used |= map[i] == (long)c;
        dropped += !used && pol__table_name(r->rows, c)[0] != '_';
    }
    if (missing[0]) pol__warn(run, "no column for %s: left empty", missing);
    if (dropped) pol__decide(run, "%zu columns not in the layout were left out", dropped);
    return project(run, r, map, names, roles, n);
}

static pol_status apply_mapping(pol_run *run, pol__records *r, const char *spec)
{
    enum { MAXC = 256 };
    long map[MAXC];
    char *names[MAXC];
    pol__role roles[MAXC];
    size_t n = 0;
    pol_status st = POL_OK;
    const char *p = spec;
    while (*p && !st) {
        while (*p == ' ' || *p == ',') p++;
        if (!*p) break;
        const char *e = p;
        while (*e && *e != ',') e++;
        const char *eq = memchr(p, '=', (size_t)(e - p));
        if (!eq || eq == p || n == MAXC) {
            st =
                pol__fail(run, POL_ERR_ARG, "--mapping: \"%.*s\" is not \"Out Col=role_or_column\"",
                          (int)(e - p), p);
            break;
        }
        const char *ne = eq;
        while (ne > p && ne[-1] == ' ') ne--;
        const char *ss = eq + 1;
        while (ss < e && *ss == ' ') ss++;
        const char *se = e;
        while (se > ss && se[-1] == ' ') se--;
        char src[256];
        snprintf(src, sizeof src, "%.*s", (int)(se - ss), ss);
        long c = find_source(r, src);
        if (c == -2) {
            st = pol__fail(run, POL_ERR_ARG, "--mapping: \"%s\" is neither a column nor a role",
                           src);
            break;
        }
        if (c < 0) pol__warn(run, "--mapping: no column has the role %s; left empty", src);
        names[n] = pol__strndup(p, (size_t)(ne - p));
        if (!names[n]) {
            st = pol__fail(run, POL_ERR_NOMEM, "out of memory");
            break;
        }
        map[n] = c;
        roles[n] = c >= 0 ? r->roles[c] : POL_ROLE_UNKNOWN;
        n++;
        p = e;
    }
    if (!st && n == 0) st = pol__fail(run, POL_ERR_ARG, "--mapping: no columns given");
    if (!st) st = project(run, r, map, (const char *const *)names, roles, n);
    for (size_t i = 0; i < n; i++) free(names[i]);
    return st;
}

static pol_status run(pol_run *run, pol_asset *asset, const pol_args *args)
{
    pol__records *r = pol__records_of(asset);
    const char *format = pol__arg_str(args, "format");
    const char *preset = pol__arg_str(args, "preset");
    const char *mapping = pol__arg_str(args, "mapping");
    if (format) snprintf(r->save.format, sizeof r->save.format, "%s", format);
    snprintf(r->save.guard, sizeof r->save.guard, "%s", pol__arg_str(args, "guard"));
    const char *dl = pol__arg_str(args, "delimiter");
    r->save.delim = strcmp(dl, "comma") == 0       ? ','
                    : strcmp(dl, "semicolon") == 0 ? ';'
                    : strcmp(dl, "tab") == 0       ? '\t'
                    : strcmp(dl, "pipe") == 0      ? '|'
                                                   : 0;
    const char *bom = pol__arg_str(args, "bom"), *crlf = pol__arg_str(args, "crlf");
    r->save.bom = (signed char)(strcmp(bom, "auto") == 0 ? -1 : strcmp(bom, "yes") == 0);
    r->save.crlf = (signed char)(strcmp(crlf, "auto") == 0 ? -1 : strcmp(crlf, "yes") == 0);
    if (!preset && !(mapping && *mapping)) {
        if (!format)
            pol__decline(run, "columns kept as they are (no --preset or --mapping)");
        else
            pol__decide(run, "writing %s", format);
        return POL_OK;
    }
    pol_status st = pol__records_ensure_roles(run, r);
    if (st) return st;
    if (mapping && *mapping) {
        st = apply_mapping(run, r, mapping);
        if (!st) pol__decide(run, "custom layout of %zu columns", pol__table_cols(r->rows));
        return st;
    }
    snprintf(r->save.preset, sizeof r->save.preset, "%s", preset);
    if (strcmp(preset, "hubspot") == 0)
        st = apply_preset(run, r, hubspot, POL_ARRAY_LEN(hubspot));
    else if (strcmp(preset, "salesforce") == 0)
        st = apply_preset(run, r, salesforce, POL_ARRAY_LEN(salesforce));
    else
        st = apply_preset(run, r, generic, POL_ARRAY_LEN(generic));
    if (!st) pol__decide(run, "%s layout", preset);
    return st;
}

/* The reading options travel to the loader through the hint: it never reads these arguments. */
static void export_hint(const pol_args *a, int w, int h, pol_load_hint *hint)
{
    (void)w;
    (void)h;
    size_t k = 0;
    static const char *const names[] = {"header", "comment", "sheet", "role"};
    for (size_t i = 0; i < POL_ARRAY_LEN(names); i++)
        if (pol__arg_set(a, names[i])) hint->options[k++] = (pol_load_option){names[i], pol__arg_str(a, names[i])};
}

const pol_op_desc pol__records_op_export = {
    .domain = "records",
    .name = "export",
    .summary = "Choose the output format and map columns to a CRM import layout",
    .params = params,
    .n_params = POL_ARRAY_LEN(params),
    .run = run,
    .flags = POL_OP_DELIVER,
    .hint = export_hint,
};
