/* polish — the records domain's table: rows of text cells with their source line numbers. */
#ifndef POLISH_RECORDS_TABLE_H
#define POLISH_RECORDS_TABLE_H

#include <stddef.h>
#include <stdint.h>

/*
 * A table of UTF-8 text cells. Cells are NUL-terminated strings; an empty cell is "" (never NULL).
 * Cell storage comes from the table's arena; pol__table_set() copies.
 */
typedef struct pol__table pol__table;

pol__table *pol__table_new(size_t n_cols);
void pol__table_free(pol__table *t); /* accepts NULL */
pol__table *pol__table_clone(const pol__table *t);

size_t pol__table_rows(const pol__table *t);
size_t pol__table_cols(const pol__table *t);
const char *pol__table_name(const pol__table *t, size_t col);
int pol__table_set_name(pol__table *t, size_t col, const char *name); /* 0 ok, -1 OOM */
/* Column index by exact name, or -1. */
long pol__table_find(const pol__table *t, const char *name);
/* Appends a column (filled with ""); returns its index or -1 on OOM. */
long pol__table_add_col(pol__table *t, const char *name);

/* Appends a row of n_cols cells (missing cells become ""); returns its index or -1 on OOM. */
long pol__table_add_row(pol__table *t, const char *const *cells, size_t n, uint32_t src_line);
const char *pol__table_get(const pol__table *t, size_t row, size_t col);
int pol__table_set(pol__table *t, size_t row, size_t col, const char *value); /* 0 ok, -1 OOM */
uint32_t pol__table_src_line(const pol__table *t, size_t row);

/* ---- fast paths (readers, parallel standardisation) ----------------------------------------- */

/*
 * A bump allocator: many small strings, freed at once. Not thread-safe; give each thread its own
 * and hand it to the table with pol__table_adopt_arena() when done.
 */
typedef struct pol__arena pol__arena;

pol__arena *pol__arena_new(void);
void pol__arena_free(pol__arena *a);             /* accepts NULL */
void *pol__arena_alloc(pol__arena *a, size_t n); /* 8-byte aligned; NULL on OOM */
char *pol__arena_strndup(pol__arena *a, const char *s, size_t n);
size_t pol__arena_bytes(const pol__arena *a); /* bytes held */

/* The table's own arena (for strings later stored with pol__table_set_ref()). */
pol__arena *pol__table_arena(pol__table *t);
/* The table takes ownership of `a` (freed with the table). 0 ok, -1 OOM (then `a` is freed). */
int pol__table_adopt_arena(pol__table *t, pol__arena *a);
/* The table takes ownership of a malloc'ed buffer that cells point into (freed with the table).
 * 0 ok, -1 OOM (then `buf` is freed). */
int pol__table_adopt_buffer(pol__table *t, void *buf);

/* Like pol__table_add_row() but stores the pointers as they are: they must live as long as the
 * table (in its arena, an adopted arena or buffer, or static). */
long pol__table_add_row_ref(pol__table *t, const char *const *cells, size_t n, uint32_t src_line);
/* Stores `value` without copying (same lifetime rule). Distinct cells may be set from distinct
 * threads at once. */
void pol__table_set_ref(pol__table *t, size_t row, size_t col, const char *value);
/* Makes room for `rows` rows in total so that appending does not reallocate. 0 ok, -1 OOM. */
int pol__table_reserve(pol__table *t, size_t rows);

/* An empty table with the same column names. */
pol__table *pol__table_new_like(const pol__table *t);
/* Appends row `row` of `src` (copied; extra or missing columns by position). Index or -1. */
long pol__table_copy_row(pol__table *dst, const pol__table *src, size_t row);
/* Keeps the rows whose keep[r] is non-zero, in order. */
void pol__table_keep_rows(pol__table *t, const unsigned char *keep);
/* Removes column `col`. */
void pol__table_del_col(pol__table *t, size_t col);
/* Reorders/selects columns: the result has n columns, column i is old column map[i] (or empty when
 * map[i] < 0) named names[i]. 0 ok, -1 OOM. */
int pol__table_project(pol__table *t, const long *map, const char *const *names, size_t n);

#endif
