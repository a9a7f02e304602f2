/* polish — the ordered JSON tree used by reports: construction and serialisation. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "core/internal.h"
#include "core/sbuf.h"

static pol__jv *jv_new(pol__jv_type t)
{
    pol__jv *v = calloc(1, sizeof *v);
    if (v) v->type = t;
    return v;
}

pol__jv *pol__jv_null(void)
{
    return jv_new(POL_JV_NULL);
}
pol__jv *pol__jv_arr(void)
{
    return jv_new(POL_JV_ARR);
}
pol__jv *pol__jv_obj(void)
{
    return jv_new(POL_JV_OBJ);
}

pol__jv *pol__jv_bool(int b)
{
    pol__jv *v = jv_new(POL_JV_BOOL);
    if (v) v->i = b != 0;
    return v;
}

pol__jv *pol__jv_num(double d)
{
    pol__jv *v = jv_new(POL_JV_NUM);
    if (v) v->num = d;
    return v;
}

pol__jv *pol__jv_num_exact(double d)
{
    pol__jv *v = jv_new(POL_JV_NUM);
    if (v) {
        v->num = d;
        v->i = 1;
    }
    return v;
}

pol__jv *pol__jv_int(long long i)
{
    pol__jv *v = jv_new(POL_JV_INT);
    if (v) v->i = i;
    return v;
}

pol__jv *pol__jv_str(const char *s)
{
    if (!s) return pol__jv_null();
    pol__jv *v = jv_new(POL_JV_STR);
    if (!v) return NULL;
    v->str = pol__strdup(s);
    if (!v->str) {
        free(v);
        return NULL;
    }
    return v;
}

void pol__jv_free(pol__jv *v)
{
    while (v) {
        pol__jv *next = v->next;
        pol__jv_free(v->first);
        free(v->key);
        free(v->str);
        free(v);
        v = next;
    }
}

pol__jv *pol__jv_push(pol__jv *arr, pol__jv *child)
{
    if (!child) return NULL;
    child->next = NULL;
    if (!arr) { /* no array (out of memory making it): ownership still passes */
        pol__jv_free(child);
        return NULL;
    }
    if (arr->last)
        arr->last->next = child;
    else
        arr->first = child;
    arr->last = child;
    arr->n++;
    return child;
}

pol__jv *pol__jv_clone(const pol__jv *v)
{
    if (!v) return NULL;
    pol__jv *c = jv_new(v->type);
    if (!c) return NULL;
    c->num = v->num;
    c->i = v->i;
    if (v->str && !(c->str = pol__strdup(v->str))) goto fail;
    for (const pol__jv *k = v->first; k; k = k->next) {
        pol__jv *kc = pol__jv_clone(k);
        if (!kc) goto fail;
        if (k->key && !(kc->key = pol__strdup(k->key))) {
            pol__jv_free(kc);
            goto fail;
        }
        pol__jv_push(c, kc);
    }
    return c;
fail:
    pol__jv_free(c);
    return NULL;
}

pol__jv *pol__jv_get(const pol__jv *obj, const char *key)
{
    if (!obj || obj->type != POL_JV_OBJ) return NULL;
    for (pol__jv *c = obj->first; c; c = c->next)
        if (c->key && strcmp(c->key, key) == 0) return c;
    return NULL;
}

pol__jv *pol__jv_set(pol__jv *obj, const char *key, pol__jv *child)
{
    if (!obj || !child) {
        pol__jv_free(child);
        return NULL;
    }
    char *k = pol__strdup(key);
    if (!k) {
        pol__jv_free(child);
        return NULL;
    }
    child->key = k;
    /* Replace in place to keep member order stable. */
    pol__jv *prev = NULL;
    for (pol__jv *c = obj->first; c; prev = c, c = c->next) {
        if (c->key && strcmp(c->key, key) == 0) {
            child->next = c->next;
            if (prev)
                prev->next = child;
            else
                obj->first = child;
            if (obj->last == c) obj->last = child;
            c->next = NULL;
            pol__jv_free(c);
            return child;
        }
    }
    return pol__jv_push(obj, child);
}

pol__jv *pol__jv_obj_at(pol__jv *obj, const char *key)
{
    pol__jv *c = pol__jv_get(obj, key);
    if (c && c->type == POL_JV_OBJ) return c;
    return pol__jv_set(obj, key, pol__jv_obj());
}

pol__jv *pol__jv_arr_at(pol__jv *obj, const char *key)
{
    pol__jv *c = pol__jv_get(obj, key);
    if (c && c->type == POL_JV_ARR) return c;
    return pol__jv_set(obj, key, pol__jv_arr());
}

/* Short names keep the serialiser readable. */
typedef pol__sbuf buf;
#define put pol__sbuf_put
#define puts_ pol__sbuf_puts

static void put_str(buf *b, const char *s)
{
    put(b, "\"", 1);
    const unsigned char *u = (const unsigned char *)s;
    size_t run = 0;
    for (size_t i = 0;; i++) {
        unsigned char c = u[i];
        if (c == 0 || c == '"' || c == '\\' || c < 0x20) {
            put(b, s + i - run, run);
            run = 0;
            if (c == 0) break;
            char esc[8];
            switch (c) {
            case '"':
                puts_(b, "\\\"");
                break;
            case '\\':
                puts_(b, "\\\\");
                break;
            case '\n':
                puts_(b, "\\n");
                break;
            case '\r':
                puts_(b, "\\r");
                break;
            case '\t':
                puts_(b, "\\t");
                break;
            default:
                snprintf(esc, sizeof esc, "\\u%04x", c);
                puts_(b, esc);
            }
        } else {
            run++;
        }
    }
    put(b, "\"", 1);
}

static void newline(buf *b, int indent, int depth)
{
    if (indent <= 0) return;
    put(b, "\n", 1);
    for (int i = 0; i < indent * depth; i++) put(b, " ", 1);
}

static void dump(buf *b, const pol__jv *v, int indent, int depth)
{
    char tmp[64];
    switch (v->type) {
    case POL_JV_NULL:
        puts_(b, "null");
        break;
    case POL_JV_BOOL:
        puts_(b, v->i ? "true" : "false");
        break;
    case POL_JV_INT:
        snprintf(tmp, sizeof tmp, "%lld", v->i);
        puts_(b, tmp);
        break;
    case POL_JV_NUM:
        if (!isfinite(v->num)) {
            puts_(b, "null");
        } else if (v->i) { /* exact: the shortest text that reads back as the same double */
            puts_(b, pol_num_str(v->num, tmp, sizeof tmp));
        } else {
            /* Shortest form that reads back well for reports: up to 6 significant digits. */
            snprintf(tmp, sizeof tmp, "%.6g", v->num);
            puts_(b, tmp);
        }
        break;
    case POL_JV_STR:
        put_str(b, v->str);
        break;
    case POL_JV_ARR:
    case POL_JV_OBJ: {
        int obj = v->type == POL_JV_OBJ;
        put(b, obj ? "{" : "[", 1);
        if (!v->first) {
            put(b, obj ? "}" : "]", 1);
            break;
        }
        for (const pol__jv *c = v->first; c; c = c->next) {
            newline(b, indent, depth + 1);
            if (obj) {
                put_str(b, c->key ? c->key : "");
                puts_(b, indent > 0 ? ": " : ":");
            }
            dump(b, c, indent, depth + 1);
            if (c->next) put(b, ",", 1);
        }
        newline(b, indent, depth);
        put(b, obj ? "}" : "]", 1);
        break;
    }
    }
}

char *pol__jv_dump(const pol__jv *v, int indent)
{
    buf b = {0};
    if (v)
        dump(&b, v, indent, 0);
    else
        puts_(&b, "null");
    return pol__sbuf_take(&b);
}
