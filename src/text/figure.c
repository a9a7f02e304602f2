/* polish — the HTML report's picture of a check: the answer's claims coloured by verdict, with
 * the evidence beside each (SVG). */
#include <stdio.h>
#include "text/check.h"
#include "text/textutil.h"

static void esc(pol__sbuf *o, const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (c == '<') pol__sbuf_puts(o, "&lt;");
        else if (c == '>') pol__sbuf_puts(o, "&gt;");
        else if (c == '&') pol__sbuf_puts(o, "&amp;");
        else if (c == '"') pol__sbuf_puts(o, "&quot;");
        else if (c == '\n' || c == '\r' || c == '\t') pol__sbuf_put(o, " ", 1);
        else pol__sbuf_put(o, &c, 1);
    }
}

/* Cuts at a character boundary at most `max` bytes in. */
static size_t cut_utf8(const char *s, size_t n, size_t max)
{
    if (n <= max) return n;
    size_t k = max;
    while (k > 0 && ((unsigned char)s[k] & 0xC0) == 0x80) k--;
    return k;
}

void pol__text_check_figure(pol_run *run, const pol__check *c, const char *text, size_t n)
{
    (void)n;
    if (!c->n || !pol__want_figures(run)) return; /* no report to show it */
    static const char *const fill[] = {"#d9f2d9", "#f9d0d0", "#fff0c2"};
    static const char *const edge[] = {"#2e7d32", "#c62828", "#a67c00"};
    size_t rows = c->n > 40 ? 40 : c->n;
    int row_h = 46, w = 1100;
    pol__sbuf o = {0};
    char buf[256];
    snprintf(buf, sizeof buf,
             "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%zu\" "
             "font-family=\"sans-serif\" font-size=\"12\">",
             w, rows * (size_t)row_h + 30);
    pol__sbuf_puts(&o, buf);
    pol__sbuf_puts(&o, "<text x=\"8\" y=\"18\" font-weight=\"bold\">claim</text>"
                    "<text x=\"560\" y=\"18\" font-weight=\"bold\">evidence (source)</text>");
    for (size_t i = 0; i < rows; i++) {
        const pol__claim *cl = &c->claims[i];
        int y = 26 + (int)i * row_h;
        snprintf(buf, sizeof buf,
                 "<rect x=\"4\" y=\"%d\" width=\"%d\" height=\"%d\" rx=\"4\" fill=\"%s\" "
                 "stroke=\"%s\"/>",
                 y, w - 8, row_h - 4, fill[cl->verdict], edge[cl->verdict]);
        pol__sbuf_puts(&o, buf);
        snprintf(buf, sizeof buf, "<text x=\"10\" y=\"%d\" fill=\"%s\" font-weight=\"bold\">%s</text>",
                 y + 14, edge[cl->verdict], pol__verdict_name(cl->verdict));
        pol__sbuf_puts(&o, buf);
        snprintf(buf, sizeof buf, "<text x=\"10\" y=\"%d\">", y + 32);
        pol__sbuf_puts(&o, buf);
        size_t cl_n = cut_utf8(text + cl->start, cl->end - cl->start, 88);
        esc(&o, text + cl->start, cl_n);
        if (cl_n < cl->end - cl->start) pol__sbuf_puts(&o, "…");
        pol__sbuf_puts(&o, "</text>");
        snprintf(buf, sizeof buf, "<text x=\"560\" y=\"%d\">", y + 14);
        pol__sbuf_puts(&o, buf);
        const char *ev = cl->evidence ? cl->evidence : "(no evidence)";
        size_t en = cut_utf8(ev, strlen(ev), 88);
        esc(&o, ev, en);
        if (en < strlen(ev)) pol__sbuf_puts(&o, "…");
        pol__sbuf_puts(&o, "</text>");
        snprintf(buf, sizeof buf, "<text x=\"560\" y=\"%d\" fill=\"#555\">", y + 32);
        pol__sbuf_puts(&o, buf);
        if (cl->source) {
            esc(&o, cl->source, strlen(cl->source));
            snprintf(buf, sizeof buf, " #%ld", cl->position);
            pol__sbuf_puts(&o, buf);
        }
        if (cl->reason[0] && cl->verdict != POL_VERDICT_SUPPORTED) {
            pol__sbuf_puts(&o, " — ");
            esc(&o, cl->reason, cut_utf8(cl->reason, strlen(cl->reason), 70));
        }
        pol__sbuf_puts(&o, "</text>");
    }
    pol__sbuf_puts(&o, "</svg>");
    if (!o.oom) pol__figure(run, "claims by verdict", "image/svg+xml", o.p, o.n);
    free(o.p);
}
