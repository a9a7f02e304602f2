/* polish — the operation registry: domains, their op tables, lookups and parameter checks. */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "core/internal.h"
#include "core/args.h"

/* Op tables end with NULL, so adding an operation is one line in the table and nothing else. */
static size_t n_ops(const pol__domain *d)
{
    size_t n = 0;
    while (d->ops && d->ops[n]) n++;
    return n;
}

const pol__domain *pol__domain_find(const char *name)
{
    if (!name) return NULL;
    for (size_t i = 0; i < pol__n_domains; i++)
        if (strcmp(pol__domains[i]->name, name) == 0) return pol__domains[i];
    return NULL;
}

size_t pol_domain_count(void)
{
    return pol__n_domains;
}
const char *pol_domain_name(size_t i)
{
    return i < pol__n_domains ? pol__domains[i]->name : NULL;
}
const char *pol_domain_summary(size_t i)
{
    return i < pol__n_domains ? pol__domains[i]->summary : NULL;
}

size_t pol_op_count(const char *domain)
{
    size_t n = 0;
    for (size_t i = 0; i < pol__n_domains; i++)
        if (!domain || strcmp(domain, pol__domains[i]->name) == 0) n += n_ops(pol__domains[i]);
    return n;
}

const pol_op_desc *pol_op_at(const char *domain, size_t idx)
{
    for (size_t i = 0; i < pol__n_domains; i++) {
        const pol__domain *d = pol__domains[i];
        if (domain && strcmp(domain, d->name) != 0) continue;
        if (idx < n_ops(d)) return d->ops[idx];
        idx -= n_ops(d);
    }
    return NULL;
}

const pol_op_desc *pol_op_find(const char *domain, const char *name)
{
    const pol__domain *d = pol__domain_find(domain);
    if (!d || !name) return NULL;
    for (size_t i = 0; i < n_ops(d); i++)
        if (strcmp(d->ops[i]->name, name) == 0) return d->ops[i];
    return NULL;
}

const pol_op_desc *pol_op_find_full(const char *full)
{
    if (!full) return NULL;
    const char *dot = strchr(full, '.');
    if (!dot || dot == full) return NULL;
    char dom[64];
    size_t n = (size_t)(dot - full);
    if (n >= sizeof dom) return NULL;
    memcpy(dom, full, n);
    dom[n] = '\0';
    return pol_op_find(dom, dot + 1);
}

const pol_param_desc *pol_op_param(const pol_op_desc *op, const char *name)
{
    if (!op || !name) return NULL;
    for (size_t i = 0; i < op->n_params; i++)
        if (strcmp(op->params[i].name, name) == 0) return &op->params[i];
    return NULL;
}

const pol_op_desc *pol_domain_deliver_op(const char *domain)
{
    const pol__domain *d = pol__domain_find(domain);
    if (!d) return NULL;
    for (size_t i = 0; i < n_ops(d); i++)
        if (d->ops[i]->flags & POL_OP_DELIVER) return d->ops[i];
    return NULL;
}

int pol__parse_bool(const char *s, int *out)
{
    static const char *const yes[] = {"1", "true", "yes", "on", "y"};
    static const char *const no[] = {"0", "false", "no", "off", "n"};
    for (size_t i = 0; i < POL_ARRAY_LEN(yes); i++) {
        if (strcasecmp(s, yes[i]) == 0) {
            *out = 1;
            return 1;
        }
        if (strcasecmp(s, no[i]) == 0) {
            *out = 0;
            return 1;
        }
    }
    return 0;
}

int pol__enum_has(const char *choices, const char *value)
{
    size_t vn = strlen(value);
    const char *p = choices;
    while (p && *p) {
        const char *bar = strchr(p, '|');
        size_t n = bar ? (size_t)(bar - p) : strlen(p);
        if (n == vn && strncmp(p, value, n) == 0) return 1;
        p = bar ? bar + 1 : NULL;
    }
    return 0;
}

pol_status pol_param_check(const pol_param_desc *p, const char *value, pol_err *err)
{
    if (!p || !value) return pol__err_set(err, POL_ERR_ARG, "missing value");
    char *end = NULL;
    switch (p->type) {
    case POL_PARAM_BOOL: {
        int b;
        if (!pol__parse_bool(value, &b))
            return pol__err_set(err, POL_ERR_ARG, "--%s: '%s' is not true or false", p->name,
                                value);
        return POL_OK;
    }
    case POL_PARAM_INT:
    case POL_PARAM_NUM: {
        errno = 0;
        double v = strtod(value, &end);
        if (end == value || *end != '\0' || errno == ERANGE || !isfinite(v))
            return pol__err_set(err, POL_ERR_ARG, "--%s: '%s' is not a number", p->name, value);
        if (p->type == POL_PARAM_INT && v != floor(v))
            return pol__err_set(err, POL_ERR_ARG, "--%s: '%s' is not a whole number", p->name,
                                value);
        if (p->min <= p->max) {
            if (v < p->min)
                return pol__err_set(err, POL_ERR_ARG, "--%s: %s is below the minimum %g", p->name,
                                    value, p->min);
            if (v > p->max)
                return pol__err_set(err, POL_ERR_ARG, "--%s: %s is above the maximum %g", p->name,
                                    value, p->max);
        }
        return POL_OK;
    }
    case POL_PARAM_ENUM:
        if (!pol__enum_has(p->choices, value))
            return pol__err_set(err, POL_ERR_ARG, "--%s: '%s' is not one of %s", p->name, value,
                                p->choices);
        return POL_OK;
    case POL_PARAM_STR:
        return POL_OK;
    }
    return pol__err_set(err, POL_ERR_INTERNAL, "--%s: unknown parameter type", p->name);
}

int pol__enum_index(const char *choices, const char *value)
{
    size_t vn = strlen(value);
    const char *p = choices;
    for (int i = 0; p && *p; i++) {
        const char *bar = strchr(p, '|');
        size_t n = bar ? (size_t)(bar - p) : strlen(p);
        if (n == vn && strncmp(p, value, n) == 0) return i;
        p = bar ? bar + 1 : NULL;
    }
    return -1;
}

static const pol_port_desc *port_find(const pol_port_desc *ports, size_t n, const char *name)
{
    for (size_t i = 0; name && i < n; i++)
        if (strcmp(ports[i].name, name) == 0) return &ports[i];
    return NULL;
}

const pol_port_desc *pol_op_input(const pol_op_desc *op, const char *name)
{
    return op ? port_find(op->inputs, op->n_inputs, name) : NULL;
}

const pol_port_desc *pol_op_output(const pol_op_desc *op, const char *name)
{
    return op ? port_find(op->outputs, op->n_outputs, name) : NULL;
}

const char *pol_num_str(double v, char *buf, size_t size)
{
    if (!isfinite(v)) {
        snprintf(buf, size, "null");
        return buf;
    }
    if (v == floor(v) && fabs(v) < 1e17) { /* whole numbers as whole numbers: 178956970 */
        snprintf(buf, size, "%.0f", v);
        return buf;
    }
    for (int prec = 1; prec <= 17; prec++) {
        snprintf(buf, size, "%.*g", prec, v);
        if (strtod(buf, NULL) == v) break;
    }
    return buf;
}

/* ---- the registry document (`polish ops --json`) -------------------------------------------- */

static const char *const type_names[] = {"bool", "int", "number", "string", "enum"};

/* A declared number (default, bound) as a JSON number printed as written. */
static pol__jv *num_text(const char *text)
{
    return pol__jv_num_exact(strtod(text, NULL));
}

static pol__jv *param_json(const pol_param_desc *p)
{
    pol__jv *o = pol__jv_obj();
    pol__jv_set(o, "name", pol__jv_str(p->name));
    pol__jv_set(o, "type", pol__jv_str(type_names[p->type]));
    if (!p->def)
        pol__jv_set(o, "default", pol__jv_null());
    else if (p->type == POL_PARAM_INT || p->type == POL_PARAM_NUM)
        pol__jv_set(o, "default", num_text(p->def));
    else if (p->type == POL_PARAM_BOOL) {
        int b = 0;
        pol__parse_bool(p->def, &b);
        pol__jv_set(o, "default", pol__jv_bool(b));
    } else
        pol__jv_set(o, "default", pol__jv_str(p->def));
    if ((p->type == POL_PARAM_INT || p->type == POL_PARAM_NUM) && p->min <= p->max) {
        pol__jv_set(o, "min", pol__jv_num_exact(p->min));
        pol__jv_set(o, "max", pol__jv_num_exact(p->max));
    }
    if (p->type == POL_PARAM_ENUM && p->choices) {
        pol__jv *arr = pol__jv_arr_at(o, "choices");
        const char *c = p->choices;
        for (size_t i = 0; c && *c; i++) {
            const char *bar = strchr(c, '|');
            size_t n = bar ? (size_t)(bar - c) : strlen(c);
            pol__jv *ch = pol__jv_obj();
            char *v = pol__strndup(c, n);
            pol__jv_set(ch, "value", pol__jv_str(v));
            free(v);
            /* "value: what it does" -> the help after the colon */
            const char *h = NULL;
            for (size_t k = 0; p->choice_help && p->choice_help[k]; k++)
                if (!strncmp(p->choice_help[k], c, n) && p->choice_help[k][n] == ':') {
                    h = p->choice_help[k] + n + 1;
                    while (*h == ' ') h++;
                }
            if (h) pol__jv_set(ch, "help", pol__jv_str(h));
            pol__jv_push(arr, ch);
            c = bar ? bar + 1 : NULL;
        }
    }
    if (p->unit) pol__jv_set(o, "unit", pol__jv_str(p->unit));
    pol__jv_set(o, "required", pol__jv_bool((p->flags & POL_PARAM_REQUIRED) != 0));
    if (p->flags & POL_PARAM_PATH) pol__jv_set(o, "path", pol__jv_bool(1));
    if (p->when) {
        const char *eq = strchr(p->when, '=');
        pol__jv *w = pol__jv_obj_at(o, "when");
        if (eq) {
            char *k = pol__strndup(p->when, (size_t)(eq - p->when));
            pol__jv_set(w, "param", pol__jv_str(k));
            free(k);
            pol__jv *vals = pol__jv_arr_at(w, "values");
            for (const char *c = eq + 1; c && *c;) {
                const char *bar = strchr(c, '|');
                char *v = pol__strndup(c, bar ? (size_t)(bar - c) : strlen(c));
                pol__jv_push(vals, pol__jv_str(v));
                free(v);
                c = bar ? bar + 1 : NULL;
            }
        }
    }
    pol__jv_set(o, "help", pol__jv_str(p->help ? p->help : ""));
    return o;
}

static const char *const port_kinds[] = {"asset", "file", "folder"};

static pol__jv *port_json(const char *name, pol_port_kind kind, const char *domain,
                         const char *types, unsigned flags, const char *help, int implicit)
{
    pol__jv *o = pol__jv_obj();
    pol__jv_set(o, "name", pol__jv_str(name));
    pol__jv_set(o, "kind", pol__jv_str(port_kinds[kind]));
    if (domain) pol__jv_set(o, "domain", pol__jv_str(domain));
    if (types) {
        pol__jv *arr = pol__jv_arr_at(o, "types");
        for (const char *c = types; c && *c;) {
            const char *bar = strchr(c, '|');
            char *v = pol__strndup(c, bar ? (size_t)(bar - c) : strlen(c));
            pol__jv_push(arr, pol__jv_str(v));
            free(v);
            c = bar ? bar + 1 : NULL;
        }
    }
    pol__jv_set(o, "required", pol__jv_bool((flags & POL_PORT_REQUIRED) != 0));
    pol__jv_set(o, "many", pol__jv_bool((flags & POL_PORT_MANY) != 0));
    pol__jv_set(o, "shared", pol__jv_bool((flags & POL_PORT_SHARED) != 0));
    pol__jv_set(o, "per_batch", pol__jv_bool((flags & POL_PORT_BATCH) != 0));
    pol__jv_set(o, "item", pol__jv_bool(implicit));
    pol__jv_set(o, "help", pol__jv_str(help ? help : ""));
    return o;
}

static pol__jv *op_json(const pol_op_desc *op)
{
    pol__jv *o = pol__jv_obj();
    char full[160];
    snprintf(full, sizeof full, "%s.%s", op->domain, op->name);
    pol__jv_set(o, "name", pol__jv_str(full));
    pol__jv_set(o, "domain", pol__jv_str(op->domain));
    pol__jv_set(o, "summary", pol__jv_str(op->summary));
    pol__jv_set(o, "delivery", pol__jv_bool((op->flags & POL_OP_DELIVER) != 0));
    pol__jv_set(o, "automatic", pol__jv_bool((op->flags & POL_OP_AUTO) != 0));
    pol__jv_set(o, "streaming", pol__jv_bool(op->stream != NULL));
    pol__jv_set(o, "document", pol__jv_bool((op->flags & POL_OP_DOCUMENT) != 0));
    pol__jv *ins = pol__jv_arr_at(o, "inputs");
    if (!(op->flags & POL_OP_NO_INPUT)) /* one that makes its item has none */
        pol__jv_push(ins, port_json("in", POL_PORT_ASSET, op->domain, NULL, POL_PORT_REQUIRED,
                                   "The item being processed.", 1));
    for (size_t i = 0; i < op->n_inputs; i++) {
        const pol_port_desc *p = &op->inputs[i];
        pol__jv_push(ins, port_json(p->name, p->kind, p->domain, p->types, p->flags, p->help, 0));
    }
    pol__jv *outs = pol__jv_arr_at(o, "outputs");
    if (op->flags & POL_OP_DOCUMENT)
        pol__jv_push(outs, port_json("out", POL_PORT_FILE, NULL, "json", 0,
                                    "The result document (standard output without -o).", 1));
    else
        pol__jv_push(outs, port_json("out", POL_PORT_ASSET,
                                    op->out_domain ? op->out_domain : op->domain, NULL,
                                    (op->flags & POL_OP_SPLIT) ? POL_PORT_MANY : 0,
                                    "The item after this step.", 1));
    for (size_t i = 0; i < op->n_outputs; i++) {
        const pol_port_desc *p = &op->outputs[i];
        pol__jv_push(outs, port_json(p->name, p->kind, p->domain, p->types, p->flags, p->help, 0));
    }
    pol__jv *params = pol__jv_arr_at(o, "params");
    for (size_t i = 0; i < op->n_params; i++) pol__jv_push(params, param_json(&op->params[i]));
    return o;
}

char *pol_registry_json(const char *domain)
{
    pol__jv *root = pol__jv_obj();
    if (!root) return NULL;
    pol__jv_set(root, "version", pol__jv_int(POL_REGISTRY_VERSION));
    pol__jv_set(root, "polish", pol__jv_str(pol_version()));
    pol__jv *doms = pol__jv_arr_at(root, "domains");
    for (size_t i = 0; i < pol__n_domains; i++) {
        const pol__domain *d = pol__domains[i];
        if (domain && strcmp(domain, d->name) != 0) continue;
        pol__jv *o = pol__jv_obj();
        pol__jv_set(o, "name", pol__jv_str(d->name));
        pol__jv_set(o, "summary", pol__jv_str(d->summary));
        pol__jv *ext = pol__jv_arr_at(o, "extensions");
        for (const char *const *e = d->extensions; e && *e; e++) pol__jv_push(ext, pol__jv_str(*e));
        pol__jv *auto_steps = pol__jv_arr_at(o, "automatic_steps");
        for (const char *const *s = d->auto_steps; s && *s; s++)
            pol__jv_push(auto_steps, pol__jv_str(*s));
        pol__jv_set(o, "streaming", pol__jv_bool(d->stream != NULL));
        pol__jv_set(o, "groups", pol__jv_bool(d->load_group != NULL));
        pol__jv_push(doms, o);
    }
    pol__jv *lims = pol__jv_arr_at(root, "limits");
    for (size_t k = 0; k < pol__limit_count(); k++) {
        const pol__limit_key *l = pol__limit_desc(k);
        pol__jv *o = pol__jv_obj();
        pol__jv_set(o, "key", pol__jv_str(l->key));
        pol__jv_set(o, "default", pol__jv_num_exact((double)l->def));
        if (l->unit) pol__jv_set(o, "unit", pol__jv_str(l->unit));
        pol__jv_set(o, "help", pol__jv_str(l->help ? l->help : ""));
        pol__jv_push(lims, o);
    }
    pol__jv *ops = pol__jv_arr_at(root, "ops");
    for (size_t i = 0; i < pol__n_domains; i++) {
        const pol__domain *d = pol__domains[i];
        if (domain && strcmp(domain, d->name) != 0) continue;
        for (size_t k = 0; d->ops && d->ops[k]; k++) pol__jv_push(ops, op_json(d->ops[k]));
    }
    char *s = pol__jv_dump(root, 2);
    pol__jv_free(root);
    return s;
}
