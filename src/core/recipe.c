/* polish — YAML recipes: parsed with libyaml into a small line-numbered tree, then validated
 * against the registry before anything runs. Aliases are refused; depth and size are capped. */
#include <stdlib.h>
#include <string.h>
#include <yaml.h>
#include "core/pipeline.h"

#define RECIPE_MAX_BYTES (1u << 20)
#define RECIPE_MAX_DEPTH 16
#define RECIPE_MAX_NODES 100000

typedef enum { N_SCALAR, N_SEQ, N_MAP } ntype;

typedef struct node node;
struct node {
    ntype type;
    int line;
    char *text;  /* scalar value */
    node **kids; /* seq items, or map key,value pairs flattened */
    size_t n, cap;
};

static void node_free(node *n)
{
    if (!n) return;
    for (size_t i = 0; i < n->n; i++) node_free(n->kids[i]);
    free(n->kids);
    free(n->text);
    free(n);
}

static int node_add(node *parent, node *kid)
{
    if (POL_GROW(parent->kids, parent->cap, parent->n + 1, 8)) return 0;
    parent->kids[parent->n++] = kid;
    return 1;
}

typedef struct parser {
    yaml_parser_t yp;
    const char *name;
    pol_err *err;
    size_t nodes;
} parser;

static pol_status perr(parser *P, int line, const char *fmt, ...) POL_PRINTF(3, 4);
static pol_status perr(parser *P, int line, const char *fmt, ...)
{
    char msg[768];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (line > 0) return pol__err_set(P->err, POL_ERR_RECIPE, "%s:%d: %s", P->name, line, msg);
    return pol__err_set(P->err, POL_ERR_RECIPE, "%s: %s", P->name, msg);
}

static pol_status next_event(parser *P, yaml_event_t *ev)
{
    if (!yaml_parser_parse(&P->yp, ev)) {
        int line = (int)P->yp.problem_mark.line + 1;
        return perr(P, line, "YAML syntax error: %s", P->yp.problem ? P->yp.problem : "unknown");
    }
    return POL_OK;
}

/* Parses the node that starts with `ev` (already read). */
static pol_status parse_node(parser *P, yaml_event_t *ev, int depth, node **out)
{
    *out = NULL;
    int line = (int)ev->start_mark.line + 1;
    if (depth > RECIPE_MAX_DEPTH) return perr(P, line, "nesting deeper than %d", RECIPE_MAX_DEPTH);
    if (++P->nodes > RECIPE_MAX_NODES) return perr(P, line, "more than %d nodes", RECIPE_MAX_NODES);
    if (ev->type == YAML_ALIAS_EVENT)
        return perr(P, line, "YAML aliases (*name) are not allowed in recipes");
    node *n = calloc(1, sizeof *n);
    if (!n) return pol__err_set(P->err, POL_ERR_NOMEM, "out of memory");
    n->line = line;
    if (ev->type == YAML_SCALAR_EVENT) {
        n->type = N_SCALAR;
        n->text = pol__strndup((const char *)ev->data.scalar.value, ev->data.scalar.length);
        if (!n->text) {
            free(n);
            return pol__err_set(P->err, POL_ERR_NOMEM, "out of memory");
        }
        *out = n;
        return POL_OK;
    }
    yaml_event_type_t end;
    if (ev->type == YAML_SEQUENCE_START_EVENT) {
        n->type = N_SEQ;
        end = YAML_SEQUENCE_END_EVENT;
    } else if (ev->type == YAML_MAPPING_START_EVENT) {
        n->type = N_MAP;
        end = YAML_MAPPING_END_EVENT;
    } else {
        free(n);
        return perr(P, line, "unexpected YAML content");
    }
    for (;;) {
        yaml_event_t e;
        pol_status st = next_event(P, &e);
        if (st) {
            node_free(n);
            return st;
        }
        if (e.type == end) {
            yaml_event_delete(&e);
            break;
        }
        node *kid;
        st = parse_node(P, &e, depth + 1, &kid);
        yaml_event_delete(&e);
        if (st) {
            node_free(n);
            return st;
        }
        if (!node_add(n, kid)) {
            node_free(kid);
            node_free(n);
            return pol__err_set(P->err, POL_ERR_NOMEM, "out of memory");
        }
    }
    if (n->type == N_MAP) {
        for (size_t i = 0; i < n->n; i += 2) {
            if (n->kids[i]->type != N_SCALAR) {
                int l = n->kids[i]->line;
                node_free(n);
                return perr(P, l, "mapping keys must be plain words");
            }
        }
    }
    *out = n;
    return POL_OK;
}

static pol_status parse_yaml(parser *P, const char *text, size_t len, node **root)
{
    *root = NULL;
    if (!yaml_parser_initialize(&P->yp))
        return pol__err_set(P->err, POL_ERR_NOMEM, "out of memory");
    yaml_parser_set_input_string(&P->yp, (const unsigned char *)text, len);
    pol_status st = POL_OK;
    node *doc = NULL;
    for (;;) {
        yaml_event_t e;
        if ((st = next_event(P, &e))) break;
        yaml_event_type_t t = e.type;
        if (t == YAML_STREAM_END_EVENT) {
            yaml_event_delete(&e);
            break;
        }
        if (t == YAML_SCALAR_EVENT || t == YAML_SEQUENCE_START_EVENT ||
            t == YAML_MAPPING_START_EVENT || t == YAML_ALIAS_EVENT) {
            if (doc) {
                st = perr(P, (int)e.start_mark.line + 1, "a recipe is one YAML document");
                yaml_event_delete(&e);
                break;
            }
            st = parse_node(P, &e, 0, &doc);
            yaml_event_delete(&e);
            if (st) break;
            continue;
        }
        yaml_event_delete(&e);
    }
    yaml_parser_delete(&P->yp);
    if (st) {
        node_free(doc);
        return st;
    }
    if (!doc) return perr(P, 0, "the recipe is empty");
    *root = doc;
    return POL_OK;
}

static node *map_get(const node *m, const char *key)
{
    for (size_t i = 0; m && m->type == N_MAP && i + 1 < m->n; i += 2)
        if (strcmp(m->kids[i]->text, key) == 0) return m->kids[i + 1];
    return NULL;
}

static const char *type_name(ntype t)
{
    return t == N_SCALAR ? "a value" : t == N_SEQ ? "a list" : "a mapping";
}

/* A port's value: a path, or a list of paths for a port that takes several. */
static pol_status set_port(parser *P, pol_args *a, int out, const char *key, const node *v,
                           const char *where)
{
    pol_err e;
    pol_err_clear(&e);
    if (v->type == N_SCALAR) {
        if (pol__args_set_port(a, out, key, v->text, &e))
            return perr(P, v->line, "%s: %s", where, e.msg);
        return POL_OK;
    }
    if (v->type != N_SEQ)
        return perr(P, v->line, "%s: '%s' must be a path or a list of paths", where, key);
    for (size_t k = 0; k < v->n; k++) {
        if (v->kids[k]->type != N_SCALAR)
            return perr(P, v->kids[k]->line, "%s: '%s' must list paths", where, key);
        if (pol__args_set_port(a, out, key, v->kids[k]->text, &e))
            return perr(P, v->kids[k]->line, "%s: %s", where, e.msg);
    }
    return POL_OK;
}

/* `inputs: {master: m.csv}` / `outputs: {explain: ex.csv}`: ports named by role. */
static pol_status set_ports(parser *P, pol_args *a, int out, const node *m, const char *where)
{
    if (m->type != N_MAP)
        return perr(P, m->line, "%s: '%s' must be a mapping of names to paths", where,
                    out ? "outputs" : "inputs");
    for (size_t i = 0; i + 1 < m->n; i += 2) {
        pol_status st = set_port(P, a, out, m->kids[i]->text, m->kids[i + 1], where);
        if (st) return st;
    }
    return POL_OK;
}

/* Sets arguments from a mapping's members, skipping `skip` keys; errors point at the line. A
 * port may be named directly too (`master: m.csv`). */
static pol_status set_args(parser *P, pol_args *a, const node *m, const char *const *skip,
                           const char *where)
{
    for (size_t i = 0; i + 1 < m->n; i += 2) {
        const char *key = m->kids[i]->text;
        int skipped = 0;
        for (size_t s = 0; skip && skip[s]; s++) skipped |= strcmp(key, skip[s]) == 0;
        if (skipped) continue;
        const node *v = m->kids[i + 1];
        pol_status st = POL_OK;
        if (!strcmp(key, "inputs") || !strcmp(key, "outputs")) {
            st = set_ports(P, a, key[0] == 'o', v, where);
        } else if (pol_op_input(a->op, key) || pol_op_output(a->op, key)) {
            st = set_port(P, a, pol_op_input(a->op, key) ? 0 : 1, key, v, where);
        } else {
            if (v->type != N_SCALAR)
                return perr(P, v->line, "%s: '%s' must be a value, not %s", where, key,
                            type_name(v->type));
            pol_err e;
            pol_err_clear(&e);
            if (pol__args_set(a, key, v->text, &e))
                return perr(P, m->kids[i]->line, "%s: %s", where, e.msg);
        }
        if (st) return st;
    }
    return POL_OK;
}

static pol_status load_steps(parser *P, pol_pipeline *p, const node *steps)
{
    if (steps->type != N_SEQ) return perr(P, steps->line, "'steps' must be a list");
    for (size_t i = 0; i < steps->n; i++) {
        const node *s = steps->kids[i];
        const char *opname = NULL;
        const node *params = NULL;
        int line = s->line;
        static const char *const skip_op[] = {"op", NULL};
        const char *const *skip = NULL;
        if (s->type == N_SCALAR) { /* - white-balance */
            opname = s->text;
        } else if (s->type == N_MAP && map_get(s, "op")) { /* - op: resize \n width: 1080 */
            const node *o = map_get(s, "op");
            if (o->type != N_SCALAR)
                return perr(P, o->line, "step %zu: 'op' must be a name", i + 1);
            opname = o->text;
            params = s;
            skip = skip_op;
        } else if (s->type == N_MAP && s->n == 2) { /* - resize: {width: 1080} */
            opname = s->kids[0]->text;
            params = s->kids[1];
            if (params->type == N_SCALAR && params->text[0] == '\0')
                params = NULL;
            else if (params->type != N_MAP)
                return perr(P, params->line, "step %zu (%s): parameters must be a mapping", i + 1,
                            opname);
        } else {
            return perr(P, line, "step %zu: expected an operation name or 'op: NAME'", i + 1);
        }
        size_t idx;
        pol_err e;
        pol_err_clear(&e);
        if (pol_pipeline_add_step(p, opname, &idx, &e))
            return perr(P, line, "step %zu: %s", i + 1, e.msg);
        p->steps[idx].line = line;
        if (params) {
            char where[160];
            snprintf(where, sizeof where, "step %zu (%s.%s)", i + 1, p->domain->name,
                     p->steps[idx].op->name);
            pol_status st = set_args(P, p->steps[idx].args, params, skip, where);
            if (st) return st;
        }
    }
    return POL_OK;
}

static pol_status load_targets(parser *P, pol_pipeline *p, const node *deliver)
{
    if (deliver->type != N_SEQ) return perr(P, deliver->line, "'deliver' must be a list");
    static const char *const skip[] = {"name", NULL};
    for (size_t i = 0; i < deliver->n; i++) {
        const node *t = deliver->kids[i];
        const char *name = NULL;
        const node *params = NULL;
        if (t->type == N_SCALAR) { /* - web  (a preset name) */
            name = t->text;
        } else if (t->type == N_MAP) {
            const node *n = map_get(t, "name");
            const node *preset = map_get(t, "preset");
            const node *fmt = map_get(t, "format");
            if (n && n->type == N_SCALAR)
                name = n->text;
            else if (preset && preset->type == N_SCALAR)
                name = preset->text;
            else if (fmt && fmt->type == N_SCALAR)
                name = fmt->text;
            params = t;
        }
        if (!name) return perr(P, t->line, "delivery target %zu needs a name or a preset", i + 1);
        size_t idx;
        pol_err e;
        pol_err_clear(&e);
        if (pol_pipeline_add_target(p, name, &idx, &e))
            return perr(P, t->line, "delivery target %zu: %s", i + 1, e.msg);
        if (t->type == N_SCALAR) {
            const pol_op_desc *dop = p->targets[idx].args->op;
            if (pol_op_param(dop, "preset") &&
                pol__args_set(p->targets[idx].args, "preset", name, &e))
                return perr(P, t->line, "delivery target %zu: %s", i + 1, e.msg);
        }
        if (params) {
            char where[160];
            snprintf(where, sizeof where, "delivery target '%s'", name);
            pol_status st = set_args(P, p->targets[idx].args, params, skip, where);
            if (st) return st;
        }
    }
    return POL_OK;
}

static pol_status load_limits(parser *P, pol_pipeline *p, const node *lim)
{
    if (lim->type != N_MAP) return perr(P, lim->line, "'limits' must be a mapping");
    for (size_t i = 0; i + 1 < lim->n; i += 2) {
        const node *k = lim->kids[i], *v = lim->kids[i + 1];
        if (v->type != N_SCALAR) return perr(P, v->line, "limits.%s must be a value", k->text);
        char spec[256];
        snprintf(spec, sizeof spec, "%s=%s", k->text, v->text);
        pol_err e;
        pol_err_clear(&e);
        if (pol_limits_set(&p->limits, spec, &e)) return perr(P, k->line, "%s", e.msg);
    }
    return POL_OK;
}

pol_status pol_pipeline_parse_recipe(const char *text, size_t len, const char *name,
                                     pol_pipeline **out, pol_err *err)
{
    *out = NULL;
    parser P = {.name = name ? name : "recipe", .err = err};
    if (len > RECIPE_MAX_BYTES) return perr(&P, 0, "larger than %u bytes", RECIPE_MAX_BYTES);
    node *root;
    pol_status st = parse_yaml(&P, text, len, &root);
    if (st) return st;
    pol_pipeline *p = NULL;
    if (root->type != N_MAP) {
        st = perr(&P, root->line, "a recipe is a mapping with 'domain', 'steps' and 'deliver'");
        goto done;
    }
    static const char *const known[] = {"polish", "domain",  "name",   "description",
                                        "steps",  "deliver", "limits", NULL};
    for (size_t i = 0; i + 1 < root->n; i += 2) {
        int ok = 0;
        for (size_t k = 0; known[k]; k++) ok |= strcmp(root->kids[i]->text, known[k]) == 0;
        if (!ok) {
            st = perr(&P, root->kids[i]->line,
                      "unknown key '%s' (expected domain, steps, "
                      "deliver, limits, name, description)",
                      root->kids[i]->text);
            goto done;
        }
    }
    const node *dom = map_get(root, "domain");
    if (!dom || dom->type != N_SCALAR) {
        st = perr(&P, dom ? dom->line : root->line,
                  "'domain' is required (one of the domains "
                  "listed by 'polish ops')");
        goto done;
    }
    pol_err e;
    pol_err_clear(&e);
    if (pol_pipeline_new(dom->text, &p, &e)) {
        st = perr(&P, dom->line, "%s", e.msg);
        goto done;
    }
    const node *nm = map_get(root, "name");
    if (nm && nm->type == N_SCALAR) p->name = pol__strdup(nm->text);
    p->source = pol__strdup(P.name);
    pol_limits_default(&p->limits);
    const node *n;
    if ((n = map_get(root, "limits")) && (st = load_limits(&P, p, n))) goto done;
    if ((n = map_get(root, "steps")) && (st = load_steps(&P, p, n))) goto done;
    if ((n = map_get(root, "deliver")) && (st = load_targets(&P, p, n))) goto done;
    if (p->n_steps == 0 && p->n_targets == 0) {
        st = perr(&P, root->line, "the recipe has no steps and no delivery targets");
        goto done;
    }
    /* Required parameters and ports, conditions: named by the step's line. */
    if (pol_pipeline_check(p, &e)) {
        st = pol__err_set(err, POL_ERR_RECIPE, "%s", e.msg);
        goto done;
    }
done:
    node_free(root);
    if (st) {
        pol_pipeline_free(p);
        return st;
    }
    *out = p;
    return POL_OK;
}

pol_status pol_pipeline_load_recipe(const char *path, pol_pipeline **out, pol_err *err)
{
    *out = NULL;
    pol_err_clear(err);
    pol_run run = {.err = err};
    unsigned char *text;
    size_t len;
    pol_status st = pol__read_file(&run, path, RECIPE_MAX_BYTES, &text, &len);
    if (st) {
        if (st == POL_ERR_LIMIT)
            return pol__err_set(err, POL_ERR_RECIPE, "%s: recipe larger than %u bytes", path,
                                RECIPE_MAX_BYTES);
        return st;
    }
    st = pol_pipeline_parse_recipe((const char *)text, len, path, out, err);
    free(text);
    return st;
}
