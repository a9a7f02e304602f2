/* polish — step arguments: creation and checking against an op's parameter table (internal). */
#ifndef POLISH_CORE_ARGS_H
#define POLISH_CORE_ARGS_H

#include "core/internal.h"

struct pol_args {
    const pol_op_desc *op;
    char **values;        /* per param: the given value, else a copy of the default, else NULL */
    unsigned char *given; /* per param: set explicitly */
};

pol_args *pol__args_new(const pol_op_desc *op); /* NULL when out of memory */
pol_args *pol__args_clone(const pol_args *a);
void pol__args_free(pol_args *a);
/* Sets a value after checking it; err names the parameter. */
pol_status pol__args_set(pol_args *a, const char *name, const char *value, pol_err *err);
/* The explicitly given arguments as a JSON object (for reports). */
pol_jv *pol__args_json(const pol_args *a);

int pol__parse_bool(const char *s, int *out);
int pol__enum_has(const char *choices, const char *value);

/* Closest parameter name to `name` (edit distance <= 2), or NULL — for "did you mean". */
const char *pol__args_suggest(const pol_op_desc *op, const char *name);

#endif
