/* polish — a small ordered JSON tree for reports: build, append, serialise. */
#ifndef POLISH_CORE_JSON_H
#define POLISH_CORE_JSON_H

#include <stddef.h>

typedef enum pol_jv_type {
    POL_JV_NULL,
    POL_JV_BOOL,
    POL_JV_NUM,
    POL_JV_INT,
    POL_JV_STR,
    POL_JV_ARR,
    POL_JV_OBJ,
} pol_jv_type;

typedef struct pol_jv pol_jv;
struct pol_jv {
    pol_jv_type type;
    char *key;     /* member name when inside an object */
    double num;    /* NUM (i = 1: printed exactly) */
    long long i;   /* INT, BOOL */
    char *str;     /* STR */
    pol_jv *first; /* ARR/OBJ children */
    pol_jv *last;
    pol_jv *next;
    size_t n;
};

/* Constructors return NULL when out of memory. Strings are copied. */
pol_jv *pol_jv_null(void);
pol_jv *pol_jv_bool(int b);
pol_jv *pol_jv_num(double v); /* non-finite numbers serialise as null */
/* A number printed exactly as the shortest text that reads back the same ("0.2"); for
 * declarations, where pol_jv_num's 6 significant digits would lose precision. */
pol_jv *pol_jv_num_exact(double v);
pol_jv *pol_jv_int(long long v);
pol_jv *pol_jv_str(const char *s); /* NULL s gives a JSON null */
pol_jv *pol_jv_arr(void);
pol_jv *pol_jv_obj(void);
void pol_jv_free(pol_jv *v); /* accepts NULL */

/* Appends `child` (ownership passes, also when `arr` is NULL: then the child is freed and NULL
 * returned; a NULL child is ignored). Returns child. */
pol_jv *pol_jv_push(pol_jv *arr, pol_jv *child);
/* Sets obj[key] = child, replacing an existing member. Returns child. */
pol_jv *pol_jv_set(pol_jv *obj, const char *key, pol_jv *child);
/* Member lookup; NULL when absent. */
pol_jv *pol_jv_get(const pol_jv *obj, const char *key);
/* obj[key] as an object/array, created when absent. */
pol_jv *pol_jv_obj_at(pol_jv *obj, const char *key);
pol_jv *pol_jv_arr_at(pol_jv *obj, const char *key);

/* Serialises (pretty when indent > 0). Returns a malloc'ed string, or NULL when out of memory. */
char *pol_jv_dump(const pol_jv *v, int indent);

#endif
