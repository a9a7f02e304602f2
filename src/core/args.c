/* polish — step arguments: typed values parsed once against an op's declared parameters, and
 * the paths given to its ports. */
#include <assert.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "core/args.h"
#include "core/ports.h"

/* Parses `text` (already checked by pol_param_check) into the typed fields. */
static void parse_value(const pol_param_desc *p, pol__argval *v)
{
    v->num = NAN;
    v->i = 0;
    v->b = 0;
    v->choice = -1;
    if (!v->text) return;
    switch (p->type) {
    case POL_PARAM_BOOL:
        pol__parse_bool(v->text, &v->b);
        break;
    case POL_PARAM_INT:
    case POL_PARAM_NUM:
        v->num = strtod(v->text, NULL);
        v->i = isfinite(v->num) && fabs(v->num) < 9e18 ? (long)llround(v->num) : 0;
        break;
    case POL_PARAM_ENUM:
        v->choice = pol__enum_index(p->choices, v->text);
        break;
    case POL_PARAM_STR:
        break;
    }
}

pol_args *pol__args_new(const pol_op_desc *op)
{
    pol_args *a = calloc(1, sizeof *a);
    if (!a) return NULL;
    a->op = op;
    a->v = calloc(op->n_params ? op->n_params : 1, sizeof *a->v);
    a->given = calloc(op->n_params ? op->n_params : 1, 1);
    a->in = calloc(op->n_inputs ? op->n_inputs : 1, sizeof *a->in);
    a->out = calloc(op->n_outputs ? op->n_outputs : 1, sizeof *a->out);
    if (!a->v || !a->given || !a->in || !a->out) goto oom;
    for (size_t i = 0; i < op->n_params; i++) {
        if (op->params[i].def && !(a->v[i].text = pol__strdup(op->params[i].def))) goto oom;
        parse_value(&op->params[i], &a->v[i]);
    }
    return a;
oom:
    pol__args_free(a);
    return NULL;
}

static void portval_free(pol__portval *pv)
{
    for (size_t k = 0; k < pv->n; k++) free(pv->paths[k]);
    free(pv->paths);
    pv->paths = NULL;
    pv->n = 0;
}

void pol__args_free(pol_args *a)
{
    if (!a) return;
    if (a->v)
        for (size_t i = 0; i < a->op->n_params; i++) free(a->v[i].text);
    if (a->in)
        for (size_t i = 0; i < a->op->n_inputs; i++) portval_free(&a->in[i]);
    if (a->out)
        for (size_t i = 0; i < a->op->n_outputs; i++) portval_free(&a->out[i]);
    free(a->v);
    free(a->given);
    free(a->in);
    free(a->out);
    free(a);
}

static int portval_add(pol__portval *pv, const char *path)
{
    char **p = realloc(pv->paths, (pv->n + 1) * sizeof *p);
    if (!p) return 0;
    pv->paths = p;
    if (!(pv->paths[pv->n] = pol__strdup(path))) return 0;
    pv->n++;
    return 1;
}

pol_args *pol__args_clone(const pol_args *src)
{
    const pol_op_desc *op = src->op;
    pol_args *a = pol__args_new(op);
    if (!a) return NULL;
    for (size_t i = 0; i < op->n_params; i++) {
        free(a->v[i].text);
        a->v[i] = src->v[i];
        a->v[i].text = NULL;
        if (src->v[i].text && !(a->v[i].text = pol__strdup(src->v[i].text))) goto oom;
        a->given[i] = src->given[i];
    }
    for (size_t i = 0; i < op->n_inputs; i++)
        for (size_t k = 0; k < src->in[i].n; k++)
            if (!portval_add(&a->in[i], src->in[i].paths[k])) goto oom;
    for (size_t i = 0; i < op->n_outputs; i++)
        for (size_t k = 0; k < src->out[i].n; k++)
            if (!portval_add(&a->out[i], src->out[i].paths[k])) goto oom;
    return a;
oom:
    pol__args_free(a);
    return NULL;
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
#define TRY(n)                                                                                     \
    do {                                                                                           \
        size_t d_ = edit_distance(name, (n));                                                      \
        if (d_ < best_d) {                                                                         \
            best_d = d_;                                                                           \
            best = (n);                                                                            \
        }                                                                                          \
    } while (0)
    for (size_t i = 0; i < op->n_params; i++) TRY(op->params[i].name);
    for (size_t i = 0; i < op->n_inputs; i++) TRY(op->inputs[i].name);
    for (size_t i = 0; i < op->n_outputs; i++) TRY(op->outputs[i].name);
#undef TRY
    return best;
}

static long find(const pol_op_desc *op, const char *name)
{
    for (size_t i = 0; i < op->n_params; i++)
        if (strcmp(op->params[i].name, name) == 0) return (long)i;
    return -1;
}

static pol_status unknown(const pol_op_desc *op, const char *what, const char *name, pol_err *err)
{
    const char *s = pol__args_suggest(op, name);
    if (s)
        return pol__err_set(err, POL_ERR_ARG, "%s.%s has no %s '%s' (did you mean '%s'?)",
                            op->domain, op->name, what, name, s);
    return pol__err_set(err, POL_ERR_ARG, "%s.%s has no %s '%s'", op->domain, op->name, what,
                        name);
}

pol_status pol__args_set(pol_args *a, const char *name, const char *value, pol_err *err)
{
    long i = find(a->op, name);
    if (i < 0) return unknown(a->op, "parameter", name, err);
    pol_status st = pol_param_check(&a->op->params[i], value, err);
    if (st) return st;
    char *v = pol__strdup(value);
    if (!v) return pol__err_set(err, POL_ERR_NOMEM, "out of memory");
    free(a->v[i].text);
    a->v[i].text = v;
    parse_value(&a->op->params[i], &a->v[i]);
    a->given[i] = 1;
    return POL_OK;
}

pol_status pol__args_set_port(pol_args *a, int out, const char *name, const char *path,
                              pol_err *err)
{
    const pol_port_desc *ports = out ? a->op->outputs : a->op->inputs;
    size_t n = out ? a->op->n_outputs : a->op->n_inputs;
    pol__portval *vals = out ? a->out : a->in;
    for (size_t i = 0; i < n; i++) {
        if (strcmp(ports[i].name, name) != 0) continue;
        if (!path || !*path)
            return pol__err_set(err, POL_ERR_ARG, "--%s: an empty path", name);
        pol_err pe;
        if (out && pol__port_out_check(path, &pe))
            return pol__err_set(err, POL_ERR_ARG, "--%s: %s", name, pe.msg);
        if (vals[i].n && !(ports[i].flags & POL_PORT_MANY))
            return pol__err_set(err, POL_ERR_ARG, "--%s is given twice (it takes one %s)", name,
                                ports[i].kind == POL_PORT_FOLDER ? "folder" : "file");
        if (!portval_add(&vals[i], path)) return pol__err_set(err, POL_ERR_NOMEM, "out of memory");
        return POL_OK;
    }
    return unknown(a->op, out ? "output" : "input", name, err);
}

/* "mode=manual" or "mode=a|b": does the named parameter currently have one of the values? */
static int condition_holds(const pol_args *a, const char *when, char *what, size_t what_size)
{
    const char *eq = strchr(when, '=');
    if (!eq) return 1;
    char name[64];
    size_t n = (size_t)(eq - when);
    if (n >= sizeof name) return 1;
    memcpy(name, when, n);
    name[n] = '\0';
    snprintf(what, what_size, "%s is %s", name, eq + 1);
    long i = find(a->op, name);
    if (i < 0 || !a->v[i].text) return 0;
    return pol__enum_has(eq + 1, a->v[i].text);
}

pol_status pol__args_check(const pol_args *a, const char *where, pol_err *err)
{
    const pol_op_desc *op = a->op;
    const char *sep = where && *where ? ": " : "";
    if (!where) where = "";
    for (size_t i = 0; i < op->n_params; i++) {
        const pol_param_desc *p = &op->params[i];
        if ((p->flags & POL_PARAM_REQUIRED) && !a->v[i].text)
            return pol__err_set(err, POL_ERR_ARG, "%s%s%s.%s needs --%s", where, sep, op->domain,
                                op->name, p->name);
        char what[128];
        if (p->when && a->given[i] && !condition_holds(a, p->when, what, sizeof what))
            return pol__err_set(err, POL_ERR_ARG, "%s%s--%s applies only when %s", where, sep,
                                p->name, what);
    }
    for (size_t i = 0; i < op->n_inputs; i++)
        if ((op->inputs[i].flags & POL_PORT_REQUIRED) && !a->in[i].n)
            return pol__err_set(err, POL_ERR_ARG, "%s%s%s.%s needs --%s FILE (%s)", where, sep,
                                op->domain, op->name, op->inputs[i].name,
                                op->inputs[i].help ? op->inputs[i].help : "an input");
    for (size_t i = 0; i < op->n_outputs; i++)
        if ((op->outputs[i].flags & POL_PORT_REQUIRED) && !a->out[i].n)
            return pol__err_set(err, POL_ERR_ARG, "%s%s%s.%s needs --%s FILE", where, sep,
                                op->domain, op->name, op->outputs[i].name);
    return POL_OK;
}

pol__jv *pol__args_json(const pol_args *a)
{
    pol__jv *o = pol__jv_obj();
    if (!o) return NULL;
    for (size_t i = 0; i < a->op->n_params; i++)
        if (a->given[i]) pol__jv_set(o, a->op->params[i].name, pol__jv_str(a->v[i].text));
    for (int out = 0; out < 2; out++) {
        const pol_port_desc *ports = out ? a->op->outputs : a->op->inputs;
        size_t n = out ? a->op->n_outputs : a->op->n_inputs;
        const pol__portval *vals = out ? a->out : a->in;
        for (size_t i = 0; i < n; i++) {
            if (!vals[i].n) continue;
            if (vals[i].n == 1) {
                pol__jv_set(o, ports[i].name, pol__jv_str(vals[i].paths[0]));
                continue;
            }
            pol__jv *arr = pol__jv_arr_at(o, ports[i].name);
            for (size_t k = 0; k < vals[i].n; k++) pol__jv_push(arr, pol__jv_str(vals[i].paths[k]));
        }
    }
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
    return i >= 0 && a->v[i].text != NULL;
}

const char *pol__arg_str(const pol_args *a, const char *name)
{
    long i = must_find(a, name);
    return i >= 0 ? a->v[i].text : NULL;
}

double pol__arg_num(const pol_args *a, const char *name)
{
    long i = must_find(a, name);
    return i >= 0 ? a->v[i].num : NAN;
}

long pol__arg_int(const pol_args *a, const char *name)
{
    long i = must_find(a, name);
    return i >= 0 ? a->v[i].i : 0;
}

int pol__arg_bool(const pol_args *a, const char *name)
{
    long i = must_find(a, name);
    return i >= 0 ? a->v[i].b : 0;
}

int pol__arg_choice(const pol_args *a, const char *name)
{
    long i = must_find(a, name);
    return i >= 0 ? a->v[i].choice : -1;
}

static const pol__portval *port_find(const pol_args *a, int out, const char *name)
{
    const pol_port_desc *ports = out ? a->op->outputs : a->op->inputs;
    size_t n = out ? a->op->n_outputs : a->op->n_inputs;
    for (size_t i = 0; i < n; i++)
        if (strcmp(ports[i].name, name) == 0) return out ? &a->out[i] : &a->in[i];
    assert(0 && "operation asked for an undeclared port");
    return NULL;
}

size_t pol__input_count(const pol_args *a, const char *name)
{
    const pol__portval *pv = port_find(a, 0, name);
    return pv ? pv->n : 0;
}

const char *pol__input_path(const pol_args *a, const char *name, size_t k)
{
    const pol__portval *pv = port_find(a, 0, name);
    return pv && k < pv->n ? pv->paths[k] : NULL;
}

const char *pol__output_path(const pol_args *a, const char *name)
{
    const pol__portval *pv = port_find(a, 1, name);
    return pv && pv->n ? pv->paths[0] : NULL;
}
