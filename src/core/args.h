/* polish — step arguments: typed values parsed once against an op's declaration, and the paths
 * given to its extra input and output ports (internal). */
#ifndef POLISH_CORE_ARGS_H
#define POLISH_CORE_ARGS_H

#include "core/internal.h"

/* One parameter's value, parsed once when set: ops read the typed field, reports the text. */
typedef struct pol__argval {
    char *text;  /* as written (given, or the default), NULL when unset */
    double num;  /* NUM and INT */
    long i;      /* INT */
    int b;       /* BOOL */
    int choice;  /* ENUM: index into the choices, -1 when unset */
} pol__argval;

/* The paths given to one port (several when the port is POL_PORT_MANY). */
typedef struct pol__portval {
    char **paths;
    size_t n;
} pol__portval;

struct pol_args {
    const pol_op_desc *op;
    pol__argval *v;        /* per param */
    unsigned char *given; /* per param: set explicitly */
    pol__portval *in;      /* per declared input port */
    pol__portval *out;     /* per declared output port */
};

pol_args *pol__args_new(const pol_op_desc *op); /* NULL when out of memory */
pol_args *pol__args_clone(const pol_args *a);
void pol__args_free(pol_args *a);
/* Sets a value after checking it; err names the parameter. */
pol_status pol__args_set(pol_args *a, const char *name, const char *value, pol_err *err);
/* Adds a path to an input (out = 0) or output (out = 1) port. */
pol_status pol__args_set_port(pol_args *a, int out, const char *name, const char *path,
                              pol_err *err);
/* Checks what can only be checked once every value is in: required parameters and ports, and
 * conditions ("temperature only with mode: manual"). `where` prefixes messages ("step 2"). */
pol_status pol__args_check(const pol_args *a, const char *where, pol_err *err);
/* The explicitly given arguments (and ports) as a JSON object (for reports). */
pol__jv *pol__args_json(const pol_args *a);

int pol__enum_has(const char *choices, const char *value);
/* Index of `value` among '|'-separated `choices`, or -1. */
int pol__enum_index(const char *choices, const char *value);

/* Closest parameter or port name to `name` (edit distance <= 2), or NULL — for "did you mean". */
const char *pol__args_suggest(const pol_op_desc *op, const char *name);

#endif
