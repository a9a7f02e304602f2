/* polish — column-major table of arena-held UTF-8 cells (no allocation per cell). */
#include <stdlib.h>
#include <string.h>
#include "records/table.h"

/* ---- arena ---------------------------------------------------------------------------------- */

typedef struct block {
    struct block *next;
    size_t size, used;
    /* The data follows, 8-byte aligned. */
    max_align_t data[];
} block;

struct pol__arena {
    block *head;
    size_t next_size; /* grows so a big table needs few blocks */
    size_t bytes;
};

pol__arena *pol__arena_new(void)
{
    pol__arena *a = calloc(1, sizeof *a);
    if (a) a->next_size = 64 * 1024;
    return a;
}

void pol__arena_free(pol__arena *a)
{
    if (!a) return;
    for (block *b = a->head, *n; b; b = n) {
        n = b->next;
        free(b);
    }
    free(a);
}

void *pol__arena_alloc(pol__arena *a, size_t n)
{
    n = (n + 7) & ~(size_t)7;
    block *b = a->head;
    if (!b || b->size - b->used < n) {
        size_t sz = a->next_size;
        if (a->next_size < 4u * 1024 * 1024) a->next_size *= 2;
        if (n > sz / 4) {
            /* A big string gets its own block behind the current one, which stays in use. */
            block *big = malloc(sizeof *big + n);
            if (!big) return NULL;
            big->size = big->used = n;
            a->bytes += n;
            if (b) {
                big->next = b->next;
                b->next = big;
            } else {
                big->next = NULL;
                a->head = big;
            }
            return big->data;
        }
        b = malloc(sizeof *b + sz);
        if (!b) return NULL;
        b->size = sz;
        b->used = 0;
        b->next = a->head;
        a->head = b;
        a->bytes += sz;
    }
    void *p = (char *)b->data + b->used;
    b->used += n;
    return p;
}

char *pol__arena_strndup(pol__arena *a, const char *s, size_t n)
{
    if (n == 0) return (char *)"";
    char *p = pol__arena_alloc(a, n + 1);
    if (!p) return NULL;
    memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

size_t pol__arena_bytes(const pol__arena *a)
{
    return a ? a->bytes : 0;
}

/* ---- table ---------------------------------------------------------------------------------- */

struct pol__table {
    size_t n_cols, n_rows, cap_rows;
    const char ***cols; /* cols[c][r] */
    char **names;       /* in the arena */
    uint32_t *lines;
    pol__arena *arena;
    void **adopted; /* pol__arena * */
    size_t n_adopted, cap_adopted;
    void **buffers;
    size_t n_buffers, cap_buffers;
};

static const char empty[] = "";

pol__table *pol__table_new(size_t n_cols)
{
    pol__table *t = calloc(1, sizeof *t);
    if (!t) return NULL;
    t->arena = pol__arena_new();
    t->cols = calloc(n_cols ? n_cols : 1, sizeof *t->cols);
    t->names = calloc(n_cols ? n_cols : 1, sizeof *t->names);
    if (!t->arena || !t->cols || !t->names) {
        pol__table_free(t);
        return NULL;
    }
    t->n_cols = n_cols;
    for (size_t c = 0; c < n_cols; c++) t->names[c] = (char *)empty;
    return t;
}

void pol__table_free(pol__table *t)
{
    if (!t) return;
    if (t->cols)
        for (size_t c = 0; c < t->n_cols; c++) free(t->cols[c]);
    free(t->cols);
    free(t->names);
    free(t->lines);
    pol__arena_free(t->arena);
    for (size_t i = 0; i < t->n_adopted; i++) pol__arena_free(t->adopted[i]);
    free(t->adopted);
    for (size_t i = 0; i < t->n_buffers; i++) free(t->buffers[i]);
    free(t->buffers);
    free(t);
}

size_t pol__table_rows(const pol__table *t)
{
    return t ? t->n_rows : 0;
}
size_t pol__table_cols(const pol__table *t)
{
    return t ? t->n_cols : 0;
}

const char *pol__table_name(const pol__table *t, size_t col)
{
    return col < t->n_cols ? t->names[col] : empty;
}

int pol__table_set_name(pol__table *t, size_t col, const char *name)
{
    if (col >= t->n_cols) return -1;
    char *p = pol__arena_strndup(t->arena, name ? name : "", name ? strlen(name) : 0);
    if (!p) return -1;
    t->names[col] = p;
    return 0;
}

long pol__table_find(const pol__table *t, const char *name)
{
    for (size_t c = 0; c < t->n_cols; c++)
        if (strcmp(t->names[c], name) == 0) return (long)c;
    return -1;
}

static int grow_rows(pol__table *t, size_t need)
{
    if (need <= t->cap_rows) return 0;
    size_t cap = t->cap_rows ? t->cap_rows : 64;
    while (cap < need) {
        if (cap > SIZE_MAX / 2 / sizeof(void *)) return -1;
        cap *= 2;
    }
    for (size_t c = 0; c < t->n_cols; c++) {
        const char **p = realloc(t->cols[c], cap * sizeof *p);
        if (!p) return -1;
        t->cols[c] = p;
    }
    uint32_t *l = realloc(t->lines, cap * sizeof *l);
    if (!l) return -1;
    t->lines = l;
    t->cap_rows = cap;
    return 0;
}

int pol__table_reserve(pol__table *t, size_t rows)
{
    return grow_rows(t, rows);
}

long pol__table_add_col(pol__table *t, const char *name)
{
    const char ***cols = realloc(t->cols, (t->n_cols + 1) * sizeof *cols);
    if (!cols) return -1;
    t->cols = cols;
    char **names = realloc(t->names, (t->n_cols + 1) * sizeof *names);
    if (!names) return -1;
    t->names = names;
    const char **col = NULL;
    if (t->cap_rows) {
        col = malloc(t->cap_rows * sizeof *col);
        if (!col) return -1;
        for (size_t r = 0; r < t->n_rows; r++) col[r] = empty;
    }
    char *nm = pol__arena_strndup(t->arena, name ? name : "", name ? strlen(name) : 0);
    if (!nm) {
        free(col);
        return -1;
    }
    t->cols[t->n_cols] = col;
    t->names[t->n_cols] = nm;
    return (long)t->n_cols++;
}

long pol__table_add_row_ref(pol__table *t, const char *const *cells, size_t n, uint32_t src_line)
{
    if (grow_rows(t, t->n_rows + 1)) return -1;
    size_t r = t->n_rows;
    size_t k = n < t->n_cols ? n : t->n_cols;
    for (size_t c = 0; c < k; c++) t->cols[c][r] = cells[c] ? cells[c] : empty;
    for (size_t c = k; c < t->n_cols; c++) t->cols[c][r] = empty;
    t->lines[r] = src_line;
    t->n_rows++;
    return (long)r;
}

long pol__table_add_row(pol__table *t, const char *const *cells, size_t n, uint32_t src_line)
{
    if (grow_rows(t, t->n_rows + 1)) return -1;
    size_t r = t->n_rows;
    size_t k = n < t->n_cols ? n : t->n_cols;
    for (size_t c = 0; c < k; c++) {
        const char *v = cells[c];
        if (!v || !*v) {
            t->cols[c][r] = empty;
            continue;
        }
        char *p = pol__arena_strndup(t->arena, v, strlen(v));
        if (!p) return -1;
        t->cols[c][r] = p;
    }
    for (size_t c = k; c < t->n_cols; c++) t->cols[c][r] = empty;
    t->lines[r] = src_line;
    t->n_rows++;
    return (long)r;
}

const char *pol__table_get(const pol__table *t, size_t row, size_t col)
{
    if (row >= t->n_rows || col >= t->n_cols) return empty;
    return t->cols[col][row];
}

int pol__table_set(pol__table *t, size_t row, size_t col, const char *value)
{
    if (row >= t->n_rows || col >= t->n_cols) return -1;
    if (!value || !*value) {
        t->cols[col][row] = empty;
        return 0;
    }
    if (strcmp(value, t->cols[col][row]) == 0) return 0;
    char *p = pol__arena_strndup(t->arena, value, strlen(value));
    if (!p) return -1;
    t->cols[col][row] = p;
    return 0;
}

void pol__table_set_ref(pol__table *t, size_t row, size_t col, const char *value)
{
    if (row < t->n_rows && col < t->n_cols) t->cols[col][row] = value ? value : empty;
}

uint32_t pol__table_src_line(const pol__table *t, size_t row)
{
    return row < t->n_rows ? t->lines[row] : 0;
}

pol__arena *pol__table_arena(pol__table *t)
{
    return t->arena;
}

/* Appends p to a growing array of pointers; -1 on OOM. */
static int push_ptr(void ***arr, size_t *n, size_t *cap, void *p)
{
    if (*n == *cap) {
        size_t c = *cap ? *cap * 2 : 4;
        void **v = realloc(*arr, c * sizeof *v);
        if (!v) return -1;
        *arr = v;
        *cap = c;
    }
    (*arr)[(*n)++] = p;
    return 0;
}

int pol__table_adopt_arena(pol__table *t, pol__arena *a)
{
    if (!a) return 0;
    if (push_ptr(&t->adopted, &t->n_adopted, &t->cap_adopted, a)) {
        pol__arena_free(a);
        return -1;
    }
    return 0;
}

int pol__table_adopt_buffer(pol__table *t, void *buf)
{
    if (!buf) return 0;
    if (push_ptr(&t->buffers, &t->n_buffers, &t->cap_buffers, buf)) {
        free(buf);
        return -1;
    }
    return 0;
}

pol__table *pol__table_new_like(const pol__table *t)
{
    pol__table *n = pol__table_new(t->n_cols);
    if (!n) return NULL;
    for (size_t c = 0; c < t->n_cols; c++)
        if (pol__table_set_name(n, c, t->names[c])) {
            pol__table_free(n);
            return NULL;
        }
    return n;
}

long pol__table_copy_row(pol__table *dst, const pol__table *src, size_t row)
{
    if (row >= src->n_rows) return -1;
    if (grow_rows(dst, dst->n_rows + 1)) return -1;
    size_t r = dst->n_rows;
    for (size_t c = 0; c < dst->n_cols; c++) {
        const char *v = c < src->n_cols ? src->cols[c][row] : empty;
        if (*v) {
            v = pol__arena_strndup(dst->arena, v, strlen(v));
            if (!v) return -1;
        } else {
            v = empty; /* an empty cell may point into the source's buffer */
        }
        dst->cols[c][r] = v;
    }
    dst->lines[r] = src->lines[row];
    dst->n_rows++;
    return (long)r;
}

pol__table *pol__table_clone(const pol__table *t)
{
    pol__table *n = pol__table_new_like(t);
    if (!n || grow_rows(n, t->n_rows)) {
        pol__table_free(n);
        return NULL;
    }
    for (size_t r = 0; r < t->n_rows; r++)
        if (pol__table_copy_row(n, t, r) < 0) {
            pol__table_free(n);
            return NULL;
        }
    return n;
}

void pol__table_keep_rows(pol__table *t, const unsigned char *keep)
{
    size_t w = 0;
    for (size_t r = 0; r < t->n_rows; r++) {
        if (!keep[r]) continue;
        if (w != r) {
            for (size_t c = 0; c < t->n_cols; c++) t->cols[c][w] = t->cols[c][r];
            t->lines[w] = t->lines[r];
        }
        w++;
    }
    t->n_rows = w;
}

void pol__table_del_col(pol__table *t, size_t col)
{
    if (col >= t->n_cols) return;
    free(t->cols[col]);
    memmove(t->cols + col, t->cols + col + 1, (t->n_cols - col - 1) * sizeof *t->cols);
    memmove(t->names + col, t->names + col + 1, (t->n_cols - col - 1) * sizeof *t->names);
    t->n_cols--;
}

int pol__table_project(pol__table *t, const long *map, const char *const *names, size_t n)
{
    const char ***cols = calloc(n ? n : 1, sizeof *cols);
    char **nm = calloc(n ? n : 1, sizeof *nm);
    unsigned char *used = calloc(t->n_cols ? t->n_cols : 1, 1);
    if (!cols || !nm || !used) goto oom;
    for (size_t i = 0; i < n; i++) {
        nm[i] = pol__arena_strndup(t->arena, names[i], strlen(names[i]));
        if (!nm[i]) goto oom;
        long m = map[i];
        if (m >= 0 && (size_t)m < t->n_cols && !used[m]) {
            cols[i] = t->cols[m]; /* moved */
            used[m] = 1;
            continue;
        }
        if (t->cap_rows) {
            cols[i] = malloc(t->cap_rows * sizeof **cols);
            if (!cols[i]) goto oom;
            for (size_t r = 0; r < t->n_rows; r++)
                cols[i][r] = m >= 0 && (size_t)m < t->n_cols ? t->cols[m][r] : empty;
        }
    }
    for (size_t c = 0; c < t->n_cols; c++)
        if (!used[c]) free(t->cols[c]);
    free(t->cols);
    free(t->names);
    free(used);
    t->cols = cols;
    t->names = nm;
    t->n_cols = n;
    return 0;
oom:
    if (cols)
        for (size_t i = 0; i < n; i++) {
            long m = map[i];
            int moved = m >= 0 && (size_t)m < t->n_cols && cols[i] == t->cols[m];
            if (!moved) free(cols[i]);
        }
    free(cols);
    free(nm);
    free(used);
    return -1;
}
