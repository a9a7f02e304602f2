/* polish — the run report: a JSON tree of items and steps, written as JSON, HTML or text. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include "core/report.h"
#include "core/sbuf.h"

pol_report *pol_report_new(const char *command)
{
    pol_report *r = calloc(1, sizeof *r);
    if (!r) return NULL;
    r->root = pol__jv_obj();
    if (!r->root) {
        free(r);
        return NULL;
    }
    pthread_mutex_init(&r->mu, NULL);
    pol__jv_set(r->root, "polish", pol__jv_str(pol_version()));
    pol__jv_set(r->root, "command", pol__jv_str(command ? command : ""));
    char when[64];
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", &tm);
    pol__jv_set(r->root, "started", pol__jv_str(when));
    pol__jv_obj_at(r->root, "summary");
    r->items = pol__jv_arr_at(r->root, "items");
    if (!r->items) {
        pol__jv_free(r->root);
        free(r);
        return NULL;
    }
    return r;
}

void pol_report_free(pol_report *r)
{
    if (!r) return;
    for (size_t i = 0; i < r->n_thumbs; i++) {
        free(r->thumbs[i].before);
        free(r->thumbs[i].after);
    }
    free(r->thumbs);
    if (r->stream) fclose(r->stream);
    free(r->dir);
    free(r->thumb_dir);
    pthread_mutex_destroy(&r->mu);
    pol__jv_free(r->root);
    pol__gate_free(r->gate);
    free(r);
}

void pol_report_want_thumbnails(pol_report *r, int on)
{
    if (r) r->want_thumbs = on;
}

void pol__report_add_item(pol_report *r, pol__jv *item, pol__thumbs *thumbs)
{
    if (!r || !item) {
        pol__jv_free(item);
        if (thumbs) {
            free(thumbs->before);
            free(thumbs->after);
        }
        return;
    }
    size_t idx = r->items->n;
    pol__jv_push(r->items, item);
    if (!r->want_thumbs) {
        if (thumbs) {
            free(thumbs->before);
            free(thumbs->after);
        }
        return;
    }
    pol__thumbs *t = realloc(r->thumbs, (idx + 1) * sizeof *t);
    if (!t) {
        if (thumbs) {
            free(thumbs->before);
            free(thumbs->after);
        }
        return;
    }
    r->thumbs = t;
    for (size_t i = r->n_thumbs; i <= idx; i++) memset(&r->thumbs[i], 0, sizeof r->thumbs[i]);
    if (thumbs) r->thumbs[idx] = *thumbs;
    r->n_thumbs = idx + 1;
}

void pol__report_set_skipped(pol_report *r, pol__jv *skipped)
{
    pol__jv_set(r->root, "skipped", skipped);
}

void pol__report_set_gate(pol_report *r, struct pol__gate *g)
{
    pol__gate_free(r->gate);
    r->gate = g;
}

void pol__report_set_summary(pol_report *r, size_t total, size_t ok, size_t failed, double seconds)
{
    pol__jv *s = pol__jv_obj_at(r->root, "summary");
    pol__jv_set(s, "items", pol__jv_int((long long)total));
    pol__jv_set(s, "ok", pol__jv_int((long long)ok));
    pol__jv_set(s, "failed", pol__jv_int((long long)failed));
    pol__jv_set(s, "seconds", pol__jv_num(seconds));
}

void pol__report_set_cancelled(pol_report *r, size_t not_finished)
{
    pol__jv *s = pol__jv_obj_at(r->root, "summary");
    pol__jv_set(s, "cancelled", pol__jv_bool(1));
    pol__jv_set(s, "not_finished", pol__jv_int((long long)not_finished));
}

char *pol_report_json(const pol_report *r)
{
    return pol__jv_dump(r->root, 2);
}

/* ---- text ----------------------------------------------------------------------------------- */

typedef pol__sbuf tbuf;
#define tput pol__sbuf_printf

static void scalar_text(tbuf *b, const pol__jv *v)
{
    switch (v->type) {
    case POL_JV_NULL:
        tput(b, "-");
        break;
    case POL_JV_BOOL:
        tput(b, "%s", v->i ? "yes" : "no");
        break;
    case POL_JV_INT:
        tput(b, "%lld", v->i);
        break;
    case POL_JV_NUM:
        tput(b, "%.4g", v->num);
        break;
    case POL_JV_STR:
        tput(b, "%s", v->str);
        break;
    default: {
        char *s = pol__jv_dump(v, 0);
        if (s) tput(b, "%s", s);
        free(s);
    }
    }
}

char *pol_report_text(const pol_report *r)
{
    tbuf b = {0};
    for (const pol__jv *it = r->items->first; it; it = it->next) {
        const pol__jv *in = pol__jv_get(it, "input");
        const pol__jv *st = pol__jv_get(it, "status");
        const pol__jv *dom = pol__jv_get(it, "domain");
        tput(&b, "%s  %s", st && st->str ? st->str : "?", in && in->str ? in->str : "?");
        if (dom && dom->str) tput(&b, "  [%s]", dom->str);
        tput(&b, "\n");
        const pol__jv *e = pol__jv_get(it, "error");
        if (e && pol__jv_get(e, "message"))
            tput(&b, "    error: %s\n", pol__jv_get(e, "message")->str);
        const pol__jv *insp = pol__jv_get(it, "inspect");
        for (const pol__jv *m = insp ? insp->first : NULL; m; m = m->next) {
            tput(&b, "    %-24s ", m->key);
            if (m->type == POL_JV_ARR && m->first && m->first->type == POL_JV_OBJ) {
                /* A list of records (a table's columns): one line each, "key value, ..." */
                tput(&b, "%zu", m->n);
                for (const pol__jv *e = m->first; e; e = e->next) {
                    tput(&b, "\n      ");
                    for (const pol__jv *f = e->type == POL_JV_OBJ ? e->first : NULL; f; f = f->next) {
                        tput(&b, "%s%s ", f == e->first ? "" : ", ", f->key);
                        scalar_text(&b, f);
                    }
                }
            } else {
                scalar_text(&b, m);
            }
            tput(&b, "\n");
        }
        const pol__jv *steps = pol__jv_get(it, "steps");
        for (const pol__jv *s = steps ? steps->first : NULL; s; s = s->next) {
            const pol__jv *op = pol__jv_get(s, "op"), *ss = pol__jv_get(s, "status");
            const pol__jv *why = pol__jv_get(s, "declined");
            tput(&b, "    %-24s %s", op && op->str ? op->str : "?", ss && ss->str ? ss->str : "");
            if (why && why->str) tput(&b, ": %s", why->str);
            const pol__jv *dec = pol__jv_get(s, "decisions");
            for (const pol__jv *d = dec ? dec->first : NULL; d; d = d->next)
                tput(&b, "%s%s", d == dec->first ? ": " : "; ", d->str);
            tput(&b, "\n");
        }
        const pol__jv *outs = pol__jv_get(it, "outputs");
        for (const pol__jv *o = outs ? outs->first : NULL; o; o = o->next)
            tput(&b, "    -> %s\n", o->str);
        const pol__jv *would = pol__jv_get(it, "would_write");
        for (const pol__jv *o = would ? would->first : NULL; o; o = o->next)
            tput(&b, "    -> %s (dry run: not written)\n", o->str);
    }
    const pol__jv *s = pol__jv_get(r->root, "summary");
    const pol__jv *ok = pol__jv_get(s, "ok"), *failed = pol__jv_get(s, "failed");
    const pol__jv *secs = pol__jv_get(s, "seconds");
    if (ok && failed)
        tput(&b, "%lld ok, %lld failed in %.2f s\n", ok->i, failed->i, secs ? secs->num : 0.0);
    return pol__sbuf_take(&b);
}

char *pol_report_errors(const pol_report *r)
{
    tbuf b = {0};
    for (const pol__jv *it = r->items->first; it; it = it->next) {
        const pol__jv *e = pol__jv_get(it, "error");
        const pol__jv *m = e ? pol__jv_get(e, "message") : NULL;
        if (m && m->str) tput(&b, "%s\n", m->str);
    }
    return pol__sbuf_take(&b);
}

/* The item's result document: the last step's that has one. */
static const pol__jv *item_document(const pol__jv *it)
{
    const pol__jv *steps = pol__jv_get(it, "steps"), *doc = pol__jv_get(it, "result");
    for (const pol__jv *s = steps ? steps->first : NULL; s; s = s->next) {
        const pol__jv *d = pol__jv_get(s, "result");
        if (d) doc = d;
    }
    return doc;
}

char *pol_report_documents(const pol_report *r)
{
    size_t n = 0, with = 0;
    const pol__jv *only = NULL;
    for (const pol__jv *it = r->items->first; it; it = it->next, n++)
        if ((only = item_document(it)) != NULL) with++;
    if (!with) return NULL;
    if (n == 1) return pol__jv_dump(only, 2);
    pol__jv *root = pol__jv_obj();
    pol__jv *arr = pol__jv_arr_at(root, "items");
    for (const pol__jv *it = r->items->first; it; it = it->next) {
        pol__jv *o = pol__jv_push(arr, pol__jv_obj());
        const pol__jv *in = pol__jv_get(it, "input"), *doc = item_document(it);
        pol__jv_set(o, "input", pol__jv_str(in ? in->str : NULL));
        if (!doc) {
            const pol__jv *m = pol__jv_get(pol__jv_get(it, "error"), "message");
            pol__jv_set(o, "error", pol__jv_str(m && m->str ? m->str : "no result"));
            continue;
        }
        for (const pol__jv *k = doc->type == POL_JV_OBJ ? doc->first : NULL; k; k = k->next)
            if (strcmp(k->key, "input") != 0) pol__jv_set(o, k->key, pol__jv_clone(k));
    }
    char *out = pol__jv_dump(root, 2);
    pol__jv_free(root);
    return out;
}

char *pol_report_notes(const pol_report *r)
{
    tbuf b = {0};
    const pol__jv *sk = pol__jv_get(r->root, "skipped");
    for (const pol__jv *e = sk ? sk->first : NULL; e; e = e->next) {
        const pol__jv *p = pol__jv_get(e, "path"), *why = pol__jv_get(e, "reason");
        tput(&b, "skipped %s: %s\n", p && p->str ? p->str : "?", why && why->str ? why->str : "");
    }
    for (const pol__jv *it = r->items->first; it; it = it->next) {
        const pol__jv *in = pol__jv_get(it, "input"), *sk2 = pol__jv_get(it, "skipped");
        if (sk2 && sk2->str) tput(&b, "kept %s: %s\n", in && in->str ? in->str : "?", sk2->str);
        const pol__jv *w = pol__jv_get(it, "warnings");
        for (const pol__jv *x = w ? w->first : NULL; x; x = x->next)
            if (x->str) tput(&b, "%s: %s\n", in && in->str ? in->str : "?", x->str);
    }
    return pol__sbuf_take(&b);
}

pol_status pol_report_write(const pol_report *r, const char *path, pol_err *err)
{
    const char *ext = pol__path_ext(path);
    int html = strcasecmp(ext, "html") == 0 || strcasecmp(ext, "htm") == 0;
    char *text = html                            ? pol__report_html(r)
                 : strcasecmp(ext, "jsonl") == 0 ? pol__report_lines(r)
                                                 : pol_report_json(r);
    if (!text) return pol__err_set(err, POL_ERR_NOMEM, "out of memory writing the report");
    pol_status gst = pol__gate_report(r->gate, path, err);
    if (gst) {
        free(text);
        return gst;
    }
    pol_options o;
    pol_options_default(&o);
    o.overwrite = 1; /* checked above: only a polish report is replaced (or with --overwrite) */
    pol_run run = {.err = err, .opt = &o};
    size_t len = strlen(text);
    /* Text files end with a newline; the serialiser leaves room for none, so grow once. */
    char *full = realloc(text, len + 2);
    if (!full) {
        free(text);
        return pol__err_set(err, POL_ERR_NOMEM, "out of memory writing the report");
    }
    full[len++] = '\n';
    full[len] = '\0';
    text = full;
    pol_status st = pol__write_file(&run, path, text, len);
    free(text);
    return st;
}
