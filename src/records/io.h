/* polish — records readers and writers: CSV/TSV, XLSX, encodings, the formula-injection guard. */
#ifndef POLISH_RECORDS_IO_H
#define POLISH_RECORDS_IO_H

#include <stdio.h>
#include "records/records.h"

/* ---- encodings (encoding.c) ----------------------------------------------------------------- */

/*
 * Converts a whole file image to UTF-8: a UTF-8 BOM is dropped, UTF-16 LE/BE with a BOM is
 * transcoded, and text that is not valid UTF-8 is read as Windows-1252. On success *out is either
 * `buf` itself (already UTF-8, BOM skipped via *out_off) or a new malloc'ed buffer (then `buf` is
 * freed); *out has one spare byte after *out_len. `name` receives "utf-8", "utf-8-bom",
 * "utf-16le", "utf-16be" or "windows-1252". Returns POL_OK, POL_ERR_NOMEM, or POL_ERR_CORRUPT for
 * broken UTF-16 (message in run).
 */
pol_status pol__to_utf8(pol_run *run, unsigned char *buf, size_t len, unsigned char **out,
                        size_t *out_off, size_t *out_len, char name[16]);

/* 1 when buf[0..n) is valid UTF-8. */
int pol__utf8_valid(const unsigned char *s, size_t n);

/* 1 when the bytes look like binary data (NULs, many control bytes) rather than text. */
int pol__looks_binary(const unsigned char *s, size_t n);

/* ---- CSV (csv.c) ---------------------------------------------------------------------------- */

/* Delimiter guessed from the first lines: ',' ';' '\t' or '|'. */
char pol__csv_sniff_delim(const unsigned char *s, size_t n);

/*
 * Parses UTF-8 CSV text in place (`buf` must have one spare byte after `len`; the records take it
 * over on success and on failure it is freed). `delim` 0 = detect. Rows with the wrong number of
 * fields and an unterminated quoted field go to the quarantine with their line numbers (in
 * lenient mode a ragged row is padded/kept instead). Limits from run->opt->limits.
 */
pol_status pol__csv_parse(pol_run *run, unsigned char *buf, size_t len, char delim,
                          pol__records **out);

/* Reads a CSV/TSV file (any supported encoding). */
pol_status pol__csv_load(pol_run *run, const char *path, pol__records **out);

/* Writes `t` as RFC 4180 CSV (or TSV when delim is '\t') to `fp`; with `guard`, cells a
 * spreadsheet would evaluate as a formula get a leading apostrophe (pol__cell_needs_guard). */
pol_status pol__csv_write(pol_run *run, const pol__table *t, FILE *fp, char delim, int guard);

/* The dialect of a written file. */
typedef struct pol__csv_style {
    char delim;
    int guard;                /* the formula guard */
    int crlf;                 /* CR LF line ends */
    int bom;                  /* a UTF-8 byte-order mark first */
    int quote;                /* the header line quoted */
    int header;               /* write the header line */
    const char *preamble;     /* written first as it is (NULL: none) */
    const char *blank_names;  /* "\nname\n...": header names written as "" (NULL: none) */
    const char *quoted_names; /* "\nname\n...": columns whose fields are all quoted */
    const char *unnamed_first; /* a first column of this name gets no header field (NULL: none) */
    const char *overflow;      /* "\nname\n...": columns of extra fields: no header field, and
                                  each row writes them up to its last filled one (NULL: none) */
    const uint32_t *short_rows; /* line, fields pairs (by line): a row of that source line whose
                                   cells from `fields` on are empty is written with `fields` */
    size_t n_short;
} pol__csv_style;
pol_status pol__csv_write_style(pol_run *run, const pol__table *t, FILE *fp, const pol__csv_style *s);

/* ---- XLSX (xlsx.c) -------------------------------------------------------------------------- */

/* 1 when the zip at `path` looks like an XLSX workbook. */
int pol__xlsx_sniff(const unsigned char *head, size_t n);
pol_status pol__xlsx_load(pol_run *run, const char *path, pol__records **out);
/* The workbook's sheet names, in its order (*names and each name malloc'ed). */
pol_status pol__xlsx_sheets(pol_run *run, const char *path, char ***names, size_t *n);
/* How a column is written to XLSX. */
enum {
    POL_XCOL_AUTO = 0, /* a number when the text is a number that reads back the same, else text */
    POL_XCOL_TEXT = 1, /* always text (phones, postcodes, ids: "02134" must keep its zero) */
    POL_XCOL_DATE = 2, /* YYYY-MM-DD as a date cell, anything else as text */
};
/* Writes `t` as the first sheet of a workbook to `path` (a temporary from pol__out_open). Text
 * is written as text cells, never as formulas, so no guard is needed; `guard` adds the CSV
 * guard's apostrophe anyway (for files that are later saved as CSV). `kinds` (may be NULL: all
 * AUTO) gives each column's POL_XCOL_*. */
pol_status pol__xlsx_write(pol_run *run, const pol__table *t, const char *path, int guard,
                           const unsigned char *kinds);
/* The same, naming the sheet `sheet` (the input workbook's sheet name; NULL: "Sheet1"). */
pol_status pol__xlsx_write_sheet(pol_run *run, const pol__table *t, const char *path, int guard,
                                 const unsigned char *kinds, const char *sheet);
/* 1 when `s` is a number that a spreadsheet stores without changing its text: "-12", "3.9",
 * "0.25" (not "+3", "007", "3.90", "1e5" or more than 15 digits). */
int pol__cell_is_plain_number(const char *s);

/* ---- formula guard -------------------------------------------------------------------------- */

/* 1 when a text cell must be neutralised: it starts with = @ TAB or CR, or with + or - followed
 * by something that is not a number, a phone number in any style ("+44 20 7946 0958",
 * "+1-617-555-0199", "-12.5") or more dashes ("-", "--"). */
int pol__cell_needs_guard(const char *s);
/* 1 when the cell is a plain decimal number ("-12", "3.5e4"), 0 otherwise. */
int pol__cell_is_number(const char *s);

#endif
