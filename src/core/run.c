/* polish — per-item run context: errors that name the input, and the op's explanations. */
#include <stdlib.h>
#include <string.h>
#include "core/internal.h"

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

/* Where explanations go: the running step, or the item's inspection section. */
static pol_jv *target(pol_run *run)
{
    if (!run) return NULL;
    if (run->step) return run->step;
    if (run->item) return pol_jv_obj_at(run->item, "inspect");
    return NULL;
}

static pol_jv *measured(pol_run *run)
{
    pol_jv *t = target(run);
    if (!t) return NULL;
    return run->step ? pol_jv_obj_at(t, "measured") : t;
}

void pol__measure(pol_run *run, const char *key, double value)
{
    pol_jv *m = measured(run);
    if (m) pol_jv_set(m, key, pol_jv_num(value));
}

void pol__measure_int(pol_run *run, const char *key, long long value)
{
    pol_jv *m = measured(run);
    if (m) pol_jv_set(m, key, pol_jv_int(value));
}

void pol__measure_str(pol_run *run, const char *key, const char *value)
{
    pol_jv *m = measured(run);
    if (m) pol_jv_set(m, key, pol_jv_str(value));
}

void pol__measure_bool(pol_run *run, const char *key, int value)
{
    pol_jv *m = measured(run);
    if (m) pol_jv_set(m, key, pol_jv_bool(value));
}

void pol__measure_jv(pol_run *run, const char *key, pol_jv *value)
{
    pol_jv *m = measured(run);
    if (m)
        pol_jv_set(m, key, value);
    else
        pol_jv_free(value);
}

static void add_text(pol_run *run, const char *list, const char *fmt, va_list ap)
{
    pol_jv *t = run && run->step ? run->step : (run && run->item ? run->item : NULL);
    if (!t) return;
    char msg[512];
    vsnprintf(msg, sizeof msg, fmt, ap);
    pol_jv_push(pol_jv_arr_at(t, list), pol_jv_str(msg));
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
    pol_jv *t = target(run);
    if (t && run->step) pol_jv_set(t, "confidence", pol_jv_num(c));
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
    pol_jv_set(run->step, "declined", pol_jv_str(msg));
}
