/* polish — the report as a self-contained HTML page for people (thumbnails inlined). */
#include <stdlib.h>
#include <string.h>
#include "core/report.h"
#include "core/sbuf.h"

typedef pol__sbuf hbuf;
#define hput_n pol__sbuf_put
#define hput pol__sbuf_puts
#define hfmt pol__sbuf_printf

static void hesc(hbuf *b, const char *s)
{
    for (; s && *s; s++) {
        switch (*s) {
        case '<':
            hput(b, "&lt;");
            break;
        case '>':
            hput(b, "&gt;");
            break;
        case '&':
            hput(b, "&amp;");
            break;
        case '"':
            hput(b, "&quot;");
            break;
        default:
            hput_n(b, s, 1);
        }
    }
}

static void base64(hbuf *b, const unsigned char *d, size_t n)
{
    char *t = pol__base64(d, n);
    if (t) hput(b, t);
    free(t);
}

static void value(hbuf *b, const pol__jv *v)
{
    switch (v->type) {
    case POL_JV_NULL:
        hput(b, "&ndash;");
        break;
    case POL_JV_BOOL:
        hput(b, v->i ? "yes" : "no");
        break;
    case POL_JV_INT:
        hfmt(b, "%lld", v->i);
        break;
    case POL_JV_NUM:
        hfmt(b, "%.4g", v->num);
        break;
    case POL_JV_STR:
        hesc(b, v->str);
        break;
    default: {
        char *s = pol__jv_dump(v, 0);
        hesc(b, s);
        free(s);
    }
    }
}

static void kv_list(hbuf *b, const pol__jv *obj)
{
    if (!obj || !obj->first) return;
    hput(b, "<dl>");
    for (const pol__jv *m = obj->first; m; m = m->next) {
        hput(b, "<dt>");
        hesc(b, m->key);
        hput(b, "</dt><dd>");
        value(b, m);
        hput(b, "</dd>");
    }
    hput(b, "</dl>");
}

static void thumb(hbuf *b, const char *label, const unsigned char *jpeg, size_t len)
{
    if (!jpeg) return;
    hfmt(b, "<figure><img alt=\"%s\" src=\"data:image/jpeg;base64,", label);
    base64(b, jpeg, len);
    hfmt(b, "\"><figcaption>%s</figcaption></figure>", label);
}

/* A step's figures (inlined; only image types pol__figure accepts) and its result document. */
static void step_extras(hbuf *b, const pol__jv *s)
{
    const pol__jv *op = pol__jv_get(s, "op");
    const pol__jv *figs = pol__jv_get(s, "figures");
    for (const pol__jv *f = figs ? figs->first : NULL; f; f = f->next) {
        const pol__jv *t = pol__jv_get(f, "title"), *m = pol__jv_get(f, "mime"),
                      *d = pol__jv_get(f, "base64");
        if (!m || !m->str || !d || !d->str) continue;
        if (strcmp(m->str, "image/png") && strcmp(m->str, "image/jpeg") &&
            strcmp(m->str, "image/svg+xml"))
            continue;
        int clean = 1; /* base64 text only, so nothing can leave the attribute */
        for (const char *c = d->str; *c && clean; c++)
            clean = (*c >= 'A' && *c <= 'Z') || (*c >= 'a' && *c <= 'z') ||
                    (*c >= '0' && *c <= '9') || *c == '+' || *c == '/' || *c == '=';
        if (!clean) continue;
        hput(b, "<figure class=\"fig\"><img alt=\"");
        hesc(b, t && t->str ? t->str : "figure");
        hfmt(b, "\" src=\"data:%s;base64,", m->str);
        hput(b, d->str);
        hput(b, "\"><figcaption>");
        hesc(b, op && op->str ? op->str : "");
        if (t && t->str && *t->str) {
            hput(b, ": ");
            hesc(b, t->str);
        }
        hput(b, "</figcaption></figure>\n");
    }
    const pol__jv *res = pol__jv_get(s, "result");
    if (res) {
        char *j = pol__jv_dump(res, 2);
        hput(b, "<details><summary>");
        hesc(b, op && op->str ? op->str : "result");
        hput(b, " result</summary><pre>");
        hesc(b, j ? j : "");
        hput(b, "</pre></details>\n");
        free(j);
    }
}

char *pol__report_html(const pol_report *r)
{
    hbuf b = {0};
    hput(&b, "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
             "<title>polish report</title><style>"
             "body{font:14px/1.4 system-ui,sans-serif;margin:2em;color:#222}"
             "h1{font-size:1.4em}.item{border:1px solid #ddd;border-radius:6px;padding:1em;"
             "margin:1em 0}.ok{color:#176b1a}.failed{color:#b00020}"
             "figure{display:inline-block;margin:0 1em 0 0}img{max-width:320px;"
             "}.fig img{max-width:640px;"
             "border:1px solid #ccc}table{border-collapse:collapse;width:100%}"
             "td,th{border-top:1px solid #eee;padding:4px 8px;text-align:left;vertical-align:top}"
             "dl{display:grid;grid-template-columns:max-content auto;gap:0 1em;margin:0}"
             "dt{color:#666}dd{margin:0}.declined{color:#8a6d00}"
             "</style></head><body>\n<h1>polish report</h1>\n");
    const pol__jv *cmd = pol__jv_get(r->root, "command");
    const pol__jv *started = pol__jv_get(r->root, "started");
    hput(&b, "<p>");
    if (cmd && cmd->str) {
        hput(&b, "<code>");
        hesc(&b, cmd->str);
        hput(&b, "</code> ");
    }
    if (started && started->str) hesc(&b, started->str);
    hput(&b, "</p>\n");
    kv_list(&b, pol__jv_get(r->root, "summary"));
    size_t idx = 0;
    for (const pol__jv *it = r->items->first; it; it = it->next, idx++) {
        const pol__jv *in = pol__jv_get(it, "input"), *st = pol__jv_get(it, "status");
        const char *status = st && st->str ? st->str : "?";
        hput(&b, "<section class=\"item\"><h2>");
        hesc(&b, in && in->str ? in->str : "?");
        hfmt(&b, " <span class=\"%s\">%s</span></h2>\n",
             strcmp(status, "ok") == 0 ? "ok" : "failed", status);
        const pol__jv *e = pol__jv_get(it, "error");
        if (e) {
            hput(&b, "<p class=\"failed\">");
            const pol__jv *m = pol__jv_get(e, "message");
            hesc(&b, m && m->str ? m->str : "failed");
            hput(&b, "</p>");
        }
        for (int after = 0; after < 2; after++) {
            const unsigned char *jpeg;
            size_t len;
            unsigned char *owned;
            if (pol__report_thumb(r, idx, it, after, &jpeg, &len, &owned))
                thumb(&b, after ? "after" : "before", jpeg, len);
            free(owned);
        }
        kv_list(&b, pol__jv_get(it, "inspect"));
        const pol__jv *steps = pol__jv_get(it, "steps");
        if (steps && steps->first) {
            hput(&b, "<table><tr><th>step</th><th>status</th><th>confidence</th>"
                     "<th>decisions</th><th>measured</th></tr>\n");
            for (const pol__jv *s = steps->first; s; s = s->next) {
                const pol__jv *op = pol__jv_get(s, "op"), *ss = pol__jv_get(s, "status");
                const pol__jv *conf = pol__jv_get(s, "confidence"), *why = pol__jv_get(s, "declined");
                hput(&b, "<tr><td>");
                hesc(&b, op && op->str ? op->str : "?");
                hfmt(&b, "</td><td class=\"%s\">", ss && ss->str ? ss->str : "");
                hesc(&b, ss && ss->str ? ss->str : "");
                if (why && why->str) {
                    hput(&b, ": ");
                    hesc(&b, why->str);
                }
                hput(&b, "</td><td>");
                if (conf) value(&b, conf);
                hput(&b, "</td><td>");
                const pol__jv *dec = pol__jv_get(s, "decisions");
                for (const pol__jv *d = dec ? dec->first : NULL; d; d = d->next) {
                    hesc(&b, d->str);
                    hput(&b, "<br>");
                }
                hput(&b, "</td><td>");
                kv_list(&b, pol__jv_get(s, "measured"));
                hput(&b, "</td></tr>\n");
            }
            hput(&b, "</table>\n");
            for (const pol__jv *s = steps->first; s; s = s->next) step_extras(&b, s);
        }
        const pol__jv *outs = pol__jv_get(it, "outputs");
        for (const pol__jv *o = outs ? outs->first : NULL; o; o = o->next) {
            hput(&b, "<p>&rarr; <code>");
            hesc(&b, o->str);
            hput(&b, "</code></p>");
        }
        hput(&b, "</section>\n");
    }
    hput(&b, "</body></html>\n");
    return pol__sbuf_take(&b);
}
