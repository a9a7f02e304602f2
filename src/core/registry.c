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
static size_t n_ops(const pol_domain *d)
{
    size_t n = 0;
    while (d->ops && d->ops[n]) n++;
    return n;
}

const pol_domain *pol__domain_find(const char *name)
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
        const pol_domain *d = pol__domains[i];
        if (domain && strcmp(domain, d->name) != 0) continue;
        if (idx < n_ops(d)) return d->ops[idx];
        idx -= n_ops(d);
    }
    return NULL;
}

const pol_op_desc *pol_op_find(const char *domain, const char *name)
{
    const pol_domain *d = pol__domain_find(domain);
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
    const pol_domain *d = pol__domain_find(domain);
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
