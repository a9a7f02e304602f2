/* polish — step arguments resolved against an op's declared parameters. */
#include <assert.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "core/args.h"

pol_args *pol__args_new(const pol_op_desc *op)
{
    pol_args *a = calloc(1, sizeof *a);
    if (!a) return NULL;
    a->op = op;
    size_t n = op->n_params ? op->n_params : 1;
    a->values = calloc(n, sizeof *a->values);
    a->given = calloc(n, 1);
    if (!a->values || !a->given) goto oom;
    for (size_t i = 0; i < op->n_params; i++) {
        if (op->params[i].def) {
            a->values[i] = pol__strdup(op->params[i].def);
            if (!a->values[i]) goto oom;
        }
    }
    return a;
oom:
    pol__args_free(a);
    return NULL;
}

void pol__args_free(pol_args *a)
{
    if (!a) return;
    if (a->values)
        for (size_t i = 0; i < a->op->n_params; i++) free(a->values[i]);
    free(a->values);
    free(a->given);
    free(a);
}

pol_args *pol__args_clone(const pol_args *src)
{
    pol_args *a = pol__args_new(src->op);
    if (!a) return NULL;
    for (size_t i = 0; i < src->op->n_params; i++) {
        free(a->values[i]);
        a->values[i] = NULL;
        if (src->values[i] && !(a->values[i] = pol__strdup(src->values[i]))) {
            pol__args_free(a);
            return NULL;
        }
        a->given[i] = src->given[i];
    }
    return a;
}

static size_t edit_distance(const char *a, const char *b)
{
    size_t na = strlen(a), nb = strlen(b);
    if (na > 63 || nb > 63) return 99;
    size_t row[64];
    for (size_t j = 0; j <= nb; j++) row[j] = j;
    for (size_t i = 1; i <= na; i++) {
        size_t diag = row[0];
        row[0] = i;
        for (size_t j = 1; j <= nb; j++) {
            size_t up = row[j];
            size_t best = diag + (a[i - 1] != b[j - 1]);
            if (up + 1 < best) best = up + 1;
            if (row[j - 1] + 1 < best) best = row[j - 1] + 1;
            row[j] = best;
            diag = up;
        }
    }
    return row[nb];
}

const char *pol__args_suggest(const pol_op_desc *op, const char *name)
{
    const char *best = NULL;
    size_t best_d = 3;
    for (size_t i = 0; i < op->n_params; i++) {
        size_t d = edit_distance(name, op->params[i].name);
        if (d < best_d) {
            best_d = d;
            best = op->params[i].name;
        }
    }
    return best;
}

static long find(const pol_op_desc *op, const char *name)
{
    for (size_t i = 0; i < op->n_params; i++)
        if (strcmp(op->params[i].name, name) == 0) return (long)i;
    return -1;
}

pol_status pol__args_set(pol_args *a, const char *name, const char *value, pol_err *err)
{
    long i = find(a->op, name);
    if (i < 0) {
        const char *s = pol__args_suggest(a->op, name);
        if (s)
            return pol__err_set(err, POL_ERR_ARG,
                                "%s.%s has no parameter '%s' (did you mean '%s'?)", a->op->domain,
                                a->op->name, name, s);
        return pol__err_set(err, POL_ERR_ARG, "%s.%s has no parameter '%s'", a->op->domain,
                            a->op->name, name);
    }
    pol_status st = pol_param_check(&a->op->params[i], value, err);
    if (st) return st;
    char *v = pol__strdup(value);
    if (!v) return pol__err_set(err, POL_ERR_NOMEM, "out of memory");
    free(a->values[i]);
    a->values[i] = v;
    a->given[i] = 1;
    return POL_OK;
}

pol_jv *pol__args_json(const pol_args *a)
{
    pol_jv *o = pol_jv_obj();
    if (!o) return NULL;
    for (size_t i = 0; i < a->op->n_params; i++)
        if (a->given[i]) pol_jv_set(o, a->op->params[i].name, pol_jv_str(a->values[i]));
    return o;
}

/* Accessors: an undeclared name is a bug in the op, so it asserts; in release it reads as unset. */
static long must_find(const pol_args *a, const char *name)
{
    long i = find(a->op, name);
    assert(i >= 0 && "operation asked for an undeclared parameter");
    return i;
}

int pol__arg_set(const pol_args *a, const char *name)
{
    long i = must_find(a, name);
    return i >= 0 && a->given[i];
}

int pol__arg_has(const pol_args *a, const char *name)
{
    long i = must_find(a, name);
    return i >= 0 && a->values[i] != NULL;
}

const char *pol__arg_str(const pol_args *a, const char *name)
{
    long i = must_find(a, name);
    return i >= 0 ? a->values[i] : NULL;
}

double pol__arg_num(const pol_args *a, const char *name)
{
    const char *v = pol__arg_str(a, name);
    return v ? strtod(v, NULL) : NAN;
}

long pol__arg_int(const pol_args *a, const char *name)
{
    const char *v = pol__arg_str(a, name);
    return v ? (long)llround(strtod(v, NULL)) : 0;
}

int pol__arg_bool(const pol_args *a, const char *name)
{
    const char *v = pol__arg_str(a, name);
    int b = 0;
    if (v) pol__parse_bool(v, &b);
    return b;
}
