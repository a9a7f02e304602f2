/* polish — per-item run context: errors that name the input, and the op's explanations. */
#include <stdlib.h>
#include <string.h>
#include "core/args.h"

pol_status pol__fail(pol_run *run, pol_status code, const char *fmt, ...)
{
    if (!run || !run->err) return code;
    char msg[sizeof run->err->msg - 200];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    run->err->code = code;
    if (run->input)
        snprintf(run->err->msg, sizeof run->err->msg, "%.180s: %s", run->input, msg);
    else
        snprintf(run->err->msg, sizeof run->err->msg, "%s", msg);
    return code;
}

pol__jv *pol__step_node(pol_run *run, const pol_op_desc *op, const pol_args *a)
{
    pol__jv *s = pol__jv_obj();
    if (!s) return NULL;
    char *name = pol__asprintf("%s.%s", op->domain, op->name);
    pol__jv_set(s, "op", pol__jv_str(name));
    free(name);
    pol__jv *args = pol__args_json(a);
    if (args && args->n)
        pol__jv_set(s, "args", args);
    else
        pol__jv_free(args);
    return pol__jv_push(pol__jv_arr_at(run->item, "steps"), s); /* NULL when out of memory */
}

/* Where explanations go: the running step, or the item's inspection section. */
static pol__jv *target(pol_run *run)
{
    if (!run) return NULL;
    if (run->step) return run->step;
    if (run->item) return pol__jv_obj_at(run->item, "inspect");
    return NULL;
}

static pol__jv *measured(pol_run *run)
{
    pol__jv *t = target(run);
    if (!t) return NULL;
    return run->step ? pol__jv_obj_at(t, "measured") : t;
}

void pol__measure(pol_run *run, const char *key, double value)
{
    pol__jv *m = measured(run);
    if (m) pol__jv_set(m, key, pol__jv_num(value));
}

void pol__measure_int(pol_run *run, const char *key, long long value)
{
    pol__jv *m = measured(run);
    if (m) pol__jv_set(m, key, pol__jv_int(value));
}

void pol__measure_str(pol_run *run, const char *key, const char *value)
{
    pol__jv *m = measured(run);
    if (m) pol__jv_set(m, key, pol__jv_str(value));
}

void pol__measure_bool(pol_run *run, const char *key, int value)
{
    pol__jv *m = measured(run);
    if (m) pol__jv_set(m, key, pol__jv_bool(value));
}

void pol__measure_jv(pol_run *run, const char *key, pol__jv *value)
{
    pol__jv *m = measured(run);
    if (m)
        pol__jv_set(m, key, value);
    else
        pol__jv_free(value);
}

static void add_text(pol_run *run, const char *list, const char *fmt, va_list ap)
{
    pol__jv *t = run && run->step ? run->step : (run && run->item ? run->item : NULL);
    if (!t) return;
    char msg[512];
    vsnprintf(msg, sizeof msg, fmt, ap);
    pol__jv_push(pol__jv_arr_at(t, list), pol__jv_str(msg));
}

void pol__decide(pol_run *run, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    add_text(run, "decisions", fmt, ap);
    va_end(ap);
}

void pol__warn(pol_run *run, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    add_text(run, "warnings", fmt, ap);
    va_end(ap);
}

void pol__confidence(pol_run *run, double c)
{
    pol__jv *t = target(run);
    if (t && run->step) pol__jv_set(t, "confidence", pol__jv_num(c));
}

void pol__decline(pol_run *run, const char *fmt, ...)
{
    if (!run) return;
    run->declined = 1;
    if (!run->step) return;
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    pol__jv_set(run->step, "declined", pol__jv_str(msg));
}

pol_status pol__figure(pol_run *run, const char *title, const char *mime, const void *data,
                       size_t len)
{
    static const char *const allowed[] = {"image/png", "image/jpeg", "image/svg+xml"};
    int ok = 0;
    for (size_t i = 0; mime && i < POL_ARRAY_LEN(allowed); i++) ok |= !strcmp(mime, allowed[i]);
    if (!ok) return pol__fail(run, POL_ERR_INTERNAL, "a figure of type %s", mime ? mime : "(none)");
    pol__jv *t = run ? (run->step ? run->step : run->item) : NULL;
    if (!t) return POL_OK; /* no report to attach it to */
    char *b64 = pol__base64(data, len);
    pol__jv *f = pol__jv_obj();
    if (!b64 || !f) {
        free(b64);
        pol__jv_free(f);
        return pol__fail(run, POL_ERR_NOMEM, "out of memory keeping a figure");
    }
    pol__jv_set(f, "title", pol__jv_str(title ? title : ""));
    pol__jv_set(f, "mime", pol__jv_str(mime));
    pol__jv_set(f, "base64", pol__jv_str(b64));
    free(b64);
    if (!pol__jv_push(pol__jv_arr_at(t, "figures"), f))
        return pol__fail(run, POL_ERR_NOMEM, "out of memory keeping a figure");
    return POL_OK;
}

void pol__document(pol_run *run, pol__jv *doc)
{
    pol__jv *t = run ? (run->step ? run->step : run->item) : NULL;
    if (!t || !doc) {
        pol__jv_free(doc);
        return;
    }
    pol__jv_set(t, "result", doc);
}

/* ---- load hints: what the plan needs from the loader ---------------------------------------- */

void pol__plan_hint(const pol_run *run, int w, int h, pol_load_hint *out)
{
    memset(out, 0, sizeof *out);
    if (!run || !run->plan_n || w <= 0 || h <= 0) return;
    int need_w = 0, need_h = 0, sized = 0;
    for (size_t i = 0; i < run->plan_n; i++) {
        const pol_op_desc *op = run->plan_ops[i];
        if (!op) return;
        if (op->hint) {
            pol_load_hint hint;
            memset(&hint, 0, sizeof hint);
            op->hint(run->plan_args[i], w, h, &hint);
            if (hint.full) return;                                    /* full size needed */
            if (!hint.max_width && !hint.max_height && !hint.resizes) continue; /* no change */
            if (!hint.max_width || !hint.max_height) return;
            if (hint.max_width > need_w) need_w = hint.max_width;
            if (hint.max_height > need_h) need_h = hint.max_height;
            sized = 1;
            if (hint.resizes) break; /* what follows works on this op's output */
        } else if (op->flags & POL_OP_SCALE_SAFE) {
            continue;
        } else {
            return; /* an op that says nothing may need every pixel */
        }
    }
    if (!sized) return;
    out->max_width = need_w;
    out->max_height = need_h;
}

int pol__plan_first_hint(const pol_run *run, int w, int h, pol_load_hint *out)
{
    memset(out, 0, sizeof *out);
    if (!run || !run->plan_n || !run->plan_ops[0] || !run->plan_ops[0]->hint) return 0;
    run->plan_ops[0]->hint(run->plan_args[0], w, h, out);
    return 1;
}

const char *pol__plan_load_option(const pol_run *run, const char *name)
{
    for (size_t i = 0; run && i < run->plan_n; i++) {
        const pol_op_desc *op = run->plan_ops[i];
        if (!op || !op->hint) continue;
        pol_load_hint hint;
        memset(&hint, 0, sizeof hint);
        op->hint(run->plan_args[i], 0, 0, &hint);
        for (size_t k = 0; k < POL_ARRAY_LEN(hint.options) && hint.options[k].name; k++)
            if (!strcmp(hint.options[k].name, name)) return hint.options[k].value;
    }
    return NULL;
}
