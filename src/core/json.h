/* polish — a small ordered JSON tree for reports: build, append, serialise. */
#ifndef POLISH_CORE_JSON_H
#define POLISH_CORE_JSON_H

#include <stddef.h>

typedef enum pol__jv_type {
    POL_JV_NULL,
    POL_JV_BOOL,
    POL_JV_NUM,
    POL_JV_INT,
    POL_JV_STR,
    POL_JV_ARR,
    POL_JV_OBJ,
} pol__jv_type;

typedef struct pol__jv pol__jv;
struct pol__jv {
    pol__jv_type type;
    char *key;     /* member name when inside an object */
    double num;    /* NUM (i = 1: printed exactly) */
    long long i;   /* INT, BOOL */
    char *str;     /* STR */
    pol__jv *first; /* ARR/OBJ children */
    pol__jv *last;
    pol__jv *next;
    size_t n;
};

/* Constructors return NULL when out of memory. Strings are copied. */
pol__jv *pol__jv_null(void);
pol__jv *pol__jv_bool(int b);
pol__jv *pol__jv_num(double v); /* non-finite numbers serialise as null */
/* A number printed exactly as the shortest text that reads back the same ("0.2"); for
 * declarations, where pol__jv_num's 6 significant digits would lose precision. */
pol__jv *pol__jv_num_exact(double v);
pol__jv *pol__jv_int(long long v);
pol__jv *pol__jv_str(const char *s); /* NULL s gives a JSON null */
pol__jv *pol__jv_arr(void);
pol__jv *pol__jv_obj(void);
void pol__jv_free(pol__jv *v); /* accepts NULL */

/* Appends `child` (ownership passes, also when `arr` is NULL: then the child is freed and NULL
 * returned; a NULL child is ignored). Returns child. */
pol__jv *pol__jv_push(pol__jv *arr, pol__jv *child);
/* Sets obj[key] = child, replacing an existing member. Returns child. */
pol__jv *pol__jv_set(pol__jv *obj, const char *key, pol__jv *child);
/* Deep copy (without the member name); NULL when out of memory. */
pol__jv *pol__jv_clone(const pol__jv *v);
/* Member lookup; NULL when absent. */
pol__jv *pol__jv_get(const pol__jv *obj, const char *key);
/* obj[key] as an object/array, created when absent. */
pol__jv *pol__jv_obj_at(pol__jv *obj, const char *key);
pol__jv *pol__jv_arr_at(pol__jv *obj, const char *key);

/* Serialises (pretty when indent > 0). Returns a malloc'ed string, or NULL when out of memory. */
char *pol__jv_dump(const pol__jv *v, int indent);

#endif
