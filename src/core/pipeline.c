/* polish — pipelines: steps, delivery options and targets, built in code or from a recipe. */
#include <stdlib.h>
#include <string.h>
#include "core/pipeline.h"
#include "core/sbuf.h"

pol_status pol_pipeline_new(const char *domain, pol_pipeline **out, pol_err *err)
{
    *out = NULL;
    const pol__domain *d = pol__domain_find(domain);
    if (!d) return pol__err_set(err, POL_ERR_ARG, "unknown domain '%s'", domain ? domain : "");
    pol_pipeline *p = calloc(1, sizeof *p);
    if (!p) return pol__err_set(err, POL_ERR_NOMEM, "out of memory");
    p->domain = d;
    *out = p;
    return POL_OK;
}

static pol_status auto_settle(pol_pipeline *d, pol_err *err);

pol_status pol_pipeline_new_auto(pol_pipeline **out, pol_err *err)
{
    *out = NULL;
    pol_pipeline *p = calloc(1, sizeof *p);
    if (!p) return pol__err_set(err, POL_ERR_NOMEM, "out of memory");
    p->is_auto = 1;
    p->per_domain = calloc(pol__n_domains, sizeof *p->per_domain);
    p->n_per_domain = pol__n_domains;
    if (!p->per_domain) {
        free(p);
        return pol__err_set(err, POL_ERR_NOMEM, "out of memory");
    }
    for (size_t i = 0; i < pol__n_domains; i++) {
        const pol__domain *d = pol__domains[i];
        pol_status st = pol_pipeline_new(d->name, &p->per_domain[i], err);
        for (size_t k = 0; !st && d->auto_steps && d->auto_steps[k]; k++)
            st = pol_pipeline_add_step(p->per_domain[i], d->auto_steps[k], NULL, err);
        if (!st) st = auto_settle(p->per_domain[i], err);
        if (st) {
            pol_pipeline_free(p);
            return st;
        }
    }
    *out = p;
    return POL_OK;
}

const char *pol__args_missing_port(const pol_args *a)
{
    for (size_t k = 0; k < a->op->n_inputs; k++)
        if ((a->op->inputs[k].flags & POL_PORT_REQUIRED) && !a->in[k].n)
            return a->op->inputs[k].name;
    for (size_t k = 0; k < a->op->n_outputs; k++)
        if ((a->op->outputs[k].flags & POL_PORT_REQUIRED) && !a->out[k].n)
            return a->op->outputs[k].name;
    return NULL;
}

/* Splits a domain's automatic recipe into the steps that can run (`steps`) and those waiting for
 * a required port no option gave (`waiting`). The first call takes ownership of the steps. */
static pol_status auto_settle(pol_pipeline *d, pol_err *err)
{
    if (!d->waiting) { /* first call */
        d->all = d->steps;
        d->n_all = d->n_steps;
        d->steps = NULL;
        d->n_steps = d->cap_steps = 0;
    }
    free(d->steps);
    free(d->waiting);
    d->steps = calloc(d->n_all + 1, sizeof *d->steps);
    d->waiting = calloc(d->n_all + 1, sizeof *d->waiting);
    d->n_steps = d->n_waiting = 0;
    d->cap_steps = d->n_all;
    if (!d->steps || !d->waiting) return pol__err_set(err, POL_ERR_NOMEM, "out of memory");
    for (size_t k = 0; k < d->n_all; k++) {
        if (pol__args_missing_port(d->all[k].args))
            d->waiting[d->n_waiting++] = d->all[k];
        else
            d->steps[d->n_steps++] = d->all[k];
    }
    return POL_OK;
}

/* Which auto steps an option names: "NAME" any step, "OP.NAME" steps of that op, and
 * "DOMAIN.OP.NAME" that op of that domain. Calls fn for each step declaring NAME. */
typedef pol_status (*auto_fn)(pol__step *s, const char *name, const char *value, pol_err *err);

static pol_status auto_each(pol_pipeline *p, const char *option, const char *value, auto_fn fn,
                            size_t *hits, pol_err *err)
{
    *hits = 0;
    char buf[256];
    if (!p->is_auto) return pol__err_set(err, POL_ERR_ARG, "not the automatic pipeline");
    if (strlen(option) >= sizeof buf)
        return pol__err_set(err, POL_ERR_ARG, "option --%.40s... is too long", option);
    strcpy(buf, option);
    const char *dom = NULL, *opn = NULL, *name = buf;
    char *dot = strrchr(buf, '.');
    if (dot) {
        *dot = '\0';
        name = dot + 1;
        char *dot2 = strchr(buf, '.');
        if (dot2) {
            *dot2 = '\0';
            dom = buf;
            opn = dot2 + 1;
        } else {
            opn = buf;
        }
    }
    for (size_t i = 0; i < p->n_per_domain; i++) {
        pol_pipeline *d = p->per_domain[i];
        if (!d || (dom && strcmp(d->domain->name, dom) != 0)) continue;
        for (size_t k = 0; k < d->n_all; k++) {
            const pol_op_desc *op = d->all[k].op;
            if (opn && strcmp(op->name, opn) != 0) continue;
            if (!pol_op_param(op, name) && !pol_op_input(op, name) && !pol_op_output(op, name))
                continue;
            (*hits)++;
            if (fn) {
                pol_status st = fn(&d->all[k], name, value, err);
                if (st) return st;
            }
        }
        /* The domain's delivery options (`polish fix --format xlsx`, `--guard off`, and the
         * reading options a delivery op passes to its loader, `--sheet all`) go to the default
         * delivery, as `polish DOMAIN OP` takes them. */
        const pol_op_desc *dop = d->domain ? pol_domain_deliver_op(d->domain->name) : NULL;
        if (dop && (!opn || !strcmp(dop->name, opn)) && pol_op_param(dop, name)) {
            (*hits)++;
            if (fn) {
                pol_status st = pol_pipeline_set_deliver_arg(d, name, value, err);
                if (st) return st;
            }
        }
        if (fn) {
            pol_status st = auto_settle(d, err);
            if (st) return st;
        }
    }
    return POL_OK;
}

static pol_status auto_set(pol__step *s, const char *name, const char *value, pol_err *err)
{
    if (pol_op_param(s->op, name)) return pol__args_set(s->args, name, value, err);
    return pol__args_set_port(s->args, pol_op_input(s->op, name) ? 0 : 1, name, value, err);
}

pol_status pol_pipeline_set_auto_option(pol_pipeline *p, const char *name, const char *value,
                                        pol_err *err)
{
    size_t hits;
    pol_status st = auto_each(p, name, value, auto_set, &hits, err);
    if (st) return st;
    if (!hits)
        return pol__err_set(err, POL_ERR_ARG,
                            "no step of an automatic recipe takes --%s (see 'polish help fix')",
                            name);
    return POL_OK;
}

int pol_pipeline_auto_option_kind(const pol_pipeline *p, const char *name)
{
    size_t hits;
    pol_err e;
    /* auto_each only reads when fn is NULL */
    if (auto_each((pol_pipeline *)p, name, NULL, NULL, &hits, &e) || !hits) return 0;
    const char *dot = strrchr(name, '.');
    const char *bare = dot ? dot + 1 : name;
    for (size_t i = 0; i < p->n_per_domain; i++) {
        const pol_pipeline *d = p->per_domain[i];
        for (size_t k = 0; d && k < d->n_all; k++) {
            const pol_param_desc *pd = pol_op_param(d->all[k].op, bare);
            if (pd && pd->type == POL_PARAM_BOOL) return 1;
        }
        const pol_op_desc *dop = d && d->domain ? pol_domain_deliver_op(d->domain->name) : NULL;
        const pol_param_desc *pd = dop ? pol_op_param(dop, bare) : NULL;
        if (pd && pd->type == POL_PARAM_BOOL) return 1;
    }
    return 2;
}

void pol_pipeline_free(pol_pipeline *p)
{
    if (!p) return;
    if (p->all || p->waiting) { /* a domain's automatic recipe: steps, waiting borrow from all */
        for (size_t i = 0; i < p->n_all; i++) pol__args_free(p->all[i].args);
        free(p->all);
        free(p->waiting);
    } else {
        for (size_t i = 0; i < p->n_steps; i++) pol__args_free(p->steps[i].args);
    }
    free(p->steps);
    pol__args_free(p->deliver);
    for (size_t i = 0; i < p->n_targets; i++) {
        free(p->targets[i].name);
        pol__args_free(p->targets[i].args);
    }
    free(p->targets);
    if (p->per_domain)
        for (size_t i = 0; i < p->n_per_domain; i++) pol_pipeline_free(p->per_domain[i]);
    free(p->per_domain);
    free(p->name);
    free(p->source);
    free(p);
}

const pol_pipeline *pol__pipeline_for(const pol_pipeline *p, const pol__domain *d)
{
    if (!p->is_auto) return p->domain == d ? p : NULL;
    for (size_t i = 0; i < pol__n_domains && i < p->n_per_domain; i++)
        if (pol__domains[i] == d) return p->per_domain[i];
    return NULL;
}

static pol_status need_domain(pol_pipeline *p, pol_err *err)
{
    if (p->is_auto || !p->domain)
        return pol__err_set(err, POL_ERR_ARG, "the automatic pipeline takes no explicit steps");
    return POL_OK;
}

pol_status pol_pipeline_add_step(pol_pipeline *p, const char *name, size_t *index, pol_err *err)
{
    pol_status st = need_domain(p, err);
    if (st) return st;
    const pol_op_desc *op =
        strchr(name, '.') ? pol_op_find_full(name) : pol_op_find(p->domain->name, name);
    if (!op || strcmp(op->domain, p->domain->name) != 0)
        return pol__err_set(err, POL_ERR_ARG,
                            "unknown operation '%s' in domain %s "
                            "(see 'polish ops %s')",
                            name, p->domain->name, p->domain->name);
    if (p->n_steps == p->cap_steps) {
        size_t cap = p->cap_steps ? p->cap_steps * 2 : 8;
        pol__step *s = realloc(p->steps, cap * sizeof *s);
        if (!s) return pol__err_set(err, POL_ERR_NOMEM, "out of memory");
        p->steps = s;
        p->cap_steps = cap;
    }
    pol_args *a = pol__args_new(op);
    if (!a) return pol__err_set(err, POL_ERR_NOMEM, "out of memory");
    p->steps[p->n_steps] = (pol__step){op, a, 0};
    if (index) *index = p->n_steps;
    p->n_steps++;
    return POL_OK;
}

pol_status pol_pipeline_set_arg(pol_pipeline *p, size_t index, const char *name, const char *value,
                                pol_err *err)
{
    if (index >= p->n_steps) return pol__err_set(err, POL_ERR_ARG, "no step %zu", index);
    return pol__args_set(p->steps[index].args, name, value, err);
}

pol_status pol_pipeline_set_port(pol_pipeline *p, size_t index, const char *name, const char *path,
                                 pol_err *err)
{
    if (index >= p->n_steps) return pol__err_set(err, POL_ERR_ARG, "no step %zu", index);
    const pol_op_desc *op = p->steps[index].op;
    return pol__args_set_port(p->steps[index].args, pol_op_input(op, name) ? 0 : 1, name, path,
                              err);
}

pol_status pol_pipeline_check(const pol_pipeline *p, pol_err *err)
{
    if (!p) return pol__err_set(err, POL_ERR_ARG, "no pipeline");
    if (p->is_auto) {
        for (size_t i = 0; i < pol__n_domains; i++) {
            pol_status st = p->per_domain && i < p->n_per_domain && p->per_domain[i]
                                ? pol_pipeline_check(p->per_domain[i], err)
                                : POL_OK;
            if (st) return st;
        }
        return POL_OK;
    }
    for (size_t i = 0; i < p->n_steps; i++) {
        char where[160];
        if (p->steps[i].line)
            snprintf(where, sizeof where, "%s:%d: step %zu", p->source ? p->source : "recipe",
                     p->steps[i].line, i + 1);
        else
            where[0] = '\0';
        pol_status st = pol__args_check(p->steps[i].args, where, err);
        if (st) return st;
    }
    if (p->deliver) {
        pol_status st = pol__args_check(p->deliver, "delivery", err);
        if (st) return st;
    }
    for (size_t i = 0; i < p->n_targets; i++) {
        char where[160];
        snprintf(where, sizeof where, "delivery target '%s'", p->targets[i].name);
        pol_status st = pol__args_check(p->targets[i].args, where, err);
        if (st) return st;
    }
    return POL_OK;
}

static pol_status deliver_args(pol_pipeline *p, pol_args **out, pol_err *err)
{
    pol_status st = need_domain(p, err);
    if (st) return st;
    const pol_op_desc *op = pol_domain_deliver_op(p->domain->name);
    if (!op)
        return pol__err_set(err, POL_ERR_ARG, "domain %s has no delivery options", p->domain->name);
    *out = pol__args_new(op);
    return *out ? POL_OK : pol__err_set(err, POL_ERR_NOMEM, "out of memory");
}

pol_status pol_pipeline_set_deliver_arg(pol_pipeline *p, const char *name, const char *value,
                                        pol_err *err)
{
    if (!p->deliver) {
        pol_status st = deliver_args(p, &p->deliver, err);
        if (st) return st;
    }
    return pol__args_set(p->deliver, name, value, err);
}

pol_status pol_pipeline_add_target(pol_pipeline *p, const char *name, size_t *index, pol_err *err)
{
    if (!name || !*name || strchr(name, '/') || strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
        return pol__err_set(err, POL_ERR_ARG, "target name '%s' is not a plain folder name",
                            name ? name : "");
    for (size_t i = 0; i < p->n_targets; i++)
        if (strcmp(p->targets[i].name, name) == 0)
            return pol__err_set(err, POL_ERR_ARG, "two delivery targets are named '%s'", name);
    pol_args *a;
    pol_status st = deliver_args(p, &a, err);
    if (st) return st;
    pol__target *t = realloc(p->targets, (p->n_targets + 1) * sizeof *t);
    char *n = pol__strdup(name);
    if (!t || !n) {
        if (t) p->targets = t;
        free(n);
        pol__args_free(a);
        return pol__err_set(err, POL_ERR_NOMEM, "out of memory");
    }
    p->targets = t;
    p->targets[p->n_targets] = (pol__target){n, a};
    if (index) *index = p->n_targets;
    p->n_targets++;
    return POL_OK;
}

pol_status pol_pipeline_set_target_arg(pol_pipeline *p, size_t index, const char *name,
                                       const char *value, pol_err *err)
{
    if (index >= p->n_targets) return pol__err_set(err, POL_ERR_ARG, "no target %zu", index);
    return pol__args_set(p->targets[index].args, name, value, err);
}

const pol_limits *pol_pipeline_limits(const pol_pipeline *p)
{
    return &p->limits;
}

void pol__pipeline_apply_limits(const pol_pipeline *p, pol_limits *b)
{
    pol_limits_tighten(b, &p->limits);
}

static void describe_args(pol__sbuf *b, const pol_args *a)
{
    for (size_t i = 0; i < a->op->n_params; i++)
        if (a->given[i]) pol__sbuf_printf(b, " --%s %s", a->op->params[i].name, a->v[i].text);
    for (size_t i = 0; i < a->op->n_inputs; i++)
        for (size_t k = 0; k < a->in[i].n; k++)
            pol__sbuf_printf(b, " --%s %s", a->op->inputs[i].name, a->in[i].paths[k]);
    for (size_t i = 0; i < a->op->n_outputs; i++)
        for (size_t k = 0; k < a->out[i].n; k++)
            pol__sbuf_printf(b, " --%s %s", a->op->outputs[i].name, a->out[i].paths[k]);
}

static void describe_one(pol__sbuf *b, const pol_pipeline *p)
{
    for (size_t i = 0; i < p->n_steps; i++) {
        pol__sbuf_printf(b, "  %zu. %s.%s", i + 1, p->steps[i].op->domain, p->steps[i].op->name);
        describe_args(b, p->steps[i].args);
        pol__sbuf_puts(b, "\n");
    }
    const pol_op_desc *dop = p->domain ? pol_domain_deliver_op(p->domain->name) : NULL;
    if (p->n_targets == 0 && dop) {
        pol__sbuf_printf(b, "  deliver: %s.%s", dop->domain, dop->name);
        if (p->deliver) describe_args(b, p->deliver);
        pol__sbuf_puts(b, "\n");
    }
    for (size_t i = 0; i < p->n_targets; i++) {
        pol__sbuf_printf(b, "  deliver to %s/:", p->targets[i].name);
        describe_args(b, p->targets[i].args);
        pol__sbuf_puts(b, "\n");
    }
}

char *pol_pipeline_describe(const pol_pipeline *p)
{
    pol__sbuf b = {0};
    if (!p->is_auto) {
        pol__sbuf_printf(&b, "%s pipeline%s%s:\n", p->domain->name, p->name ? " " : "",
                         p->name ? p->name : "");
        describe_one(&b, p);
    } else {
        for (size_t i = 0; i < pol__n_domains; i++) {
            pol__sbuf_printf(&b, "automatic %s recipe:\n", pol__domains[i]->name);
            describe_one(&b, p->per_domain[i]);
        }
    }
    return pol__sbuf_take(&b);
}
