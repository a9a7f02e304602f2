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

typedef enum pol_role {
#define POL_X_ROLE(name, str) POL_ROLE_##name,
    POL_ROLE_LIST(POL_X_ROLE)
#undef POL_X_ROLE
        POL_ROLE_COUNT
} pol_role;

const char *pol_role_name(pol_role r);
pol_role pol_role_from_name(const char *s); /* POL_ROLE_UNKNOWN when not a role name */

/* How the records are written (set by records.export). */
typedef struct pol_records_save {
    char format[8]; /* "csv" "tsv" "xlsx"; "" = from the output path, else the source format */
    char preset[16]; /* "" | "generic" | "hubspot" | "salesforce" */
} pol_records_save;

typedef struct pol_records {
    pol_table *rows;       /* the current rows, in input order */
    pol_role *roles;       /* one per column of `rows` (UNKNOWN until records.roles runs) */
    pol_table *quarantine; /* rows taken out, with a reason column; NULL until validate runs */
    pol_table *review;     /* borderline duplicate pairs for a person; NULL until dedupe runs */
    size_t input_rows;     /* rows read from the input */
    char format[8];        /* source format: "csv" "tsv" "xlsx" */
    char delim;            /* source delimiter for csv/tsv */
    char encoding[16];     /* source encoding as detected: "utf-8" "utf-16le" "windows-1252" ... */
    pol_records_save save;
} pol_records;

static inline pol_records *pol_records_of(pol_asset *a) { return (pol_records *)a->data; }

extern const pol_domain pol__records_domain;
extern const pol_op_desc *const pol__records_ops[];
extern const size_t pol__records_n_ops;

#endif
