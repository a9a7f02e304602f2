/* polish — the records domain's table: rows of text cells with their source line numbers. */
#ifndef POLISH_RECORDS_TABLE_H
#define POLISH_RECORDS_TABLE_H

#include <stddef.h>
#include <stdint.h>

/*
 * A table of UTF-8 text cells. Cells are NUL-terminated strings; an empty cell is "" (never NULL).
 * Cell storage comes from the table's arena; pol_table_set() copies.
 */
typedef struct pol_table pol_table;

pol_table *pol_table_new(size_t n_cols);
void pol_table_free(pol_table *t); /* accepts NULL */
pol_table *pol_table_clone(const pol_table *t);

size_t pol_table_rows(const pol_table *t);
size_t pol_table_cols(const pol_table *t);
const char *pol_table_name(const pol_table *t, size_t col);
int pol_table_set_name(pol_table *t, size_t col, const char *name); /* 0 ok, -1 OOM */
/* Column index by exact name, or -1. */
long pol_table_find(const pol_table *t, const char *name);
/* Appends a column (filled with ""); returns its index or -1 on OOM. */
long pol_table_add_col(pol_table *t, const char *name);

/* Appends a row of n_cols cells (missing cells become ""); returns its index or -1 on OOM. */
long pol_table_add_row(pol_table *t, const char *const *cells, size_t n, uint32_t src_line);
const char *pol_table_get(const pol_table *t, size_t row, size_t col);
int pol_table_set(pol_table *t, size_t row, size_t col, const char *value); /* 0 ok, -1 OOM */
uint32_t pol_table_src_line(const pol_table *t, size_t row);

#endif
