/* polish — the records domain's asset: the table, its column roles, quarantine and review sets. */
#ifndef POLISH_RECORDS_RECORDS_H
#define POLISH_RECORDS_RECORDS_H

#include "core/internal.h"
#include "records/table.h"

#define POL_ROLE_LIST(X)                                                                           \
    X(UNKNOWN, "unknown")                                                                          \
    X(FIRST_NAME, "first_name")                                                                    \
    X(LAST_NAME, "last_name")                                                                      \
    X(FULL_NAME, "full_name")                                                                      \
    X(EMAIL, "email")                                                                              \
    X(PHONE, "phone")                                                                              \
    X(STREET, "street")                                                                            \
    X(STREET_NUMBER, "street_number")                                                              \
    X(ADDRESS2, "address2")                                                                        \
    X(CITY, "city")                                                                                \
    X(STATE, "state")                                                                              \
    X(POSTCODE, "postcode")                                                                        \
    X(COUNTRY, "country")                                                                          \
    X(COMPANY, "company")                                                                          \
    X(DATE, "date")                                                                                \
    X(ID, "id")                                                                                    \
    X(TEXT, "text")

typedef enum pol__role {
#define POL_X_ROLE(name, str) POL_ROLE_##name,
    POL_ROLE_LIST(POL_X_ROLE)
#undef POL_X_ROLE
        POL_ROLE_COUNT
} pol__role;

const char *pol__role_name(pol__role r);
pol__role pol__role_from_name(const char *s); /* POL_ROLE_UNKNOWN when not a role name */

/* How the records are written (set by records.export). */
typedef struct pol__records_save {
    char format[8];  /* "csv" "tsv" "xlsx"; "" = from the output path, else the source format */
    char preset[16]; /* "" | "generic" | "hubspot" | "salesforce" */
    char guard[8];   /* formula guard: "off" | "csv" (default: CSV/TSV only) | "always" */
    char delim;      /* 0: the input's; else the delimiter to write */
    signed char bom, crlf; /* -1: as the input; 0 no; 1 yes */
} pol__records_save;

/* How a delimited input was written, so the output can be written the same way. */
typedef struct pol__records_dialect {
    int bom;           /* the input started with a byte-order mark */
    int crlf;          /* its lines ended with CR LF */
    int quote;         /* the header line was quoted */
    int headerless;    /* it had no header line (columns named column_1 ...) */
    char *preamble;    /* lines before the header (a "sep=;" line, comments), written back; owned */
    char *blank_names; /* "\ncolumn_1\n...": names given to columns whose header was empty, written
                          back empty; owned */
    char *quoted_names; /* "\nName\n...": columns whose every field was quoted (R's text and row
                           names); they are written quoted; owned */
    char *unnamed_first; /* the name given to a first column the header had no field for (R's
                            write.table row names: the header one field short); written back
                            without a header field; owned */
    char *overflow; /* "\nextra_field_1\n...": columns made for rows with more fields than the
                       header (POL__OVERFLOW_PREFIX); no header field, and each row writes them
                       only up to its last filled one, so the row reads as it did; owned */
    uint32_t *short_rows; /* line, fields: pairs for rows with fewer fields than the header,
                             written back as short as they came (when still empty there); owned */
    size_t n_short;       /* pairs in short_rows */
    char *sheet; /* the worksheet's name when read from XLSX, given to the written sheet; owned */
} pol__records_dialect;

/* Names of the columns that hold the fields of rows longer than the header. */
#define POL__OVERFLOW_PREFIX "extra_field_"

typedef struct pol__records {
    pol__table *rows;       /* the current rows, in input order */
    pol__role *roles;       /* one per column of `rows` (UNKNOWN until records.roles runs) */
    pol__table *quarantine; /* rows taken out, with a reason column; NULL until validate runs */
    pol__table *review;     /* borderline duplicate pairs for a person; NULL until dedupe runs */
    size_t input_rows;     /* rows read from the input */
    char format[8];        /* source format: "csv" "tsv" "xlsx" */
    char delim;            /* source delimiter for csv/tsv */
    char encoding[16];     /* source encoding as detected: "utf-8" "utf-16le" "windows-1252" ... */
    pol__records_save save;
    pol__records_dialect dialect;
    float *role_conf;   /* per column, 0..1, confidence of roles[] */
    size_t n_roles;     /* entries in roles[]/role_conf[] (pol__records_sync_cols) */
    int roles_done;     /* roles inferred (or mapped) for the current columns */
    size_t merged_rows; /* rows folded into golden records (set by records.merge) */
} pol__records;

static inline pol__records *pol__records_of(pol_asset *a)
{
    return (pol__records *)a->data;
}

extern const pol__domain pol__records_domain;

/* ---- shared helpers (domain.c, roles.c) ------------------------------------------------------ */

/* A new, empty records set around `rows` (taken over). NULL on OOM (rows freed). */
pol__records *pol__records_new(pol__table *rows);
void pol__records_free(void *data);

/* Infers column roles unless done already (records.roles runs this with its options). */
pol_status pol__records_ensure_roles(pol_run *run, pol__records *r);
/* Infers roles from header names and content (first `sample` rows; 0 = all), then applies `map`
 * ("col=role,col2=role"; NULL = none). Records per-column role and confidence. */
pol_status pol__roles_infer(pol_run *run, pol__records *r, const char *map, size_t sample);
/* The country most rows belong to, from a country column, else from state/province names and
 * postcode shapes: "US", "CA", "AU", "GB" ... into out[3]; returns the share of rows that
 * support it (0 when nothing tells). */
double pol__records_guess_region(const pol__records *r, char out[3]);
/* A role is sure enough to rewrite the column's values when header and values agree (or the user
 * named it with --role); below this the role is used for matching only. */
#define POL_ROLE_SURE 0.5f
static inline int pol__role_sure(pol__role role, float conf)
{
    return role != POL_ROLE_UNKNOWN && role != POL_ROLE_TEXT && conf >= POL_ROLE_SURE;
}
/* The table identifies people: a sure email or phone column, or a sure name column with a street
 * or postcode. Without one, records are cleaned but never deduplicated or merged. Writes the
 * reason into why[cap] when it returns 0. */
int pol__records_has_identity(const pol__records *r, char *why, size_t cap);
/* 1 when a cell is a null token: a way of writing "no value" ("N/A", "n/a", "NA", "NULL",
 * "none", "-", "--", "?", "#N/A", "nil"), with surrounding spaces. Null tokens are empty for
 * matching, completeness and standardising, and are kept as written in the output. */
int pol__is_null_token(const char *s);
/* The cell, or "" when it is empty or a null token. */
static inline const char *pol__cell_value(const pol__table *t, size_t row, size_t col)
{
    const char *v = pol__table_get(t, row, col);
    return pol__is_null_token(v) ? "" : v;
}
/* First column with `role`, or -1. */
long pol__records_col(const pol__records *r, pol__role role);
/* Keeps roles[]/role_conf[] in step after pol__table_add_col() on r->rows. 0 ok, -1 OOM. */
int pol__records_sync_cols(pol__records *r);

/*
 * Moves the rows whose reason[row] is not NULL from r->rows to r->quarantine (created on first
 * use: the row's columns plus "quarantine_reason" and "source_line"), keeping order. 0 ok, -1 OOM.
 */
int pol__records_quarantine_rows(pol__records *r, const char *const *reason);
/* Adds one raw row (e.g. unreadable at load) to the quarantine. 0 ok, -1 OOM. */
int pol__records_quarantine_cells(pol__records *r, const char *const *cells, size_t n,
                                  uint32_t src_line, const char *reason);

/* A contact list's rows with more fields than the header (their fields may have shifted, so an
 * email may sit in the phone column) go to the quarantine with their fields, and the overflow
 * columns are removed. Run before validating or matching a table that has identity columns; a
 * table that is not a contact list keeps them whole. Returns the rows moved, or -1 on OOM. */
long pol__records_quarantine_overflow(pol_run *run, pol__records *r);
/* 1 when column `col` of r->rows holds extra fields of long rows (dialect.overflow). */
int pol__records_is_overflow(const pol__records *r, size_t col);
/* 1 when row `row` has a filled extra field: a long row (its fields may have shifted). */
int pol__records_row_is_long(const pol__records *r, size_t row);

/* Estimated duplicate rows, from the matching code when linked in (weak), for inspect. */
size_t pol__records_estimate_duplicates(pol_run *run, const pol__records *r) __attribute__((weak));
extern const pol_op_desc *const pol__records_ops[];

#endif
