/* polish — text.format: an answer (Markdown or plain) for a channel: plain text, HTML, SMS
 * (160 characters a part, two parts at most by default, split at sentence or word ends), e-mail
 * (lines wrapped at 72), WhatsApp (its own emphasis marks); optionally shortened to a length
 * without cutting a sentence. */
#include <stdio.h>
#include <stdlib.h>
#include <strings.h>
#include "text/textutil.h"
#include "text/text.h"

static const pol_param_desc params[] = {
    {"to", POL_PARAM_ENUM, "plain", 0, -1, "plain|html|sms|email|whatsapp",
     "The channel (with neither --to nor --max-chars the text is left as it is).",
     .choice_help = (const char *const[]){"plain: Markdown marks removed",
                                          "html: paragraphs, lists, emphasis and links as HTML",
                                          "sms: one line, split into parts of 160 characters",
                                          "email: plain text wrapped at 72 characters",
                                          "whatsapp: *bold*, _italic_, links written out", NULL}},
    {"max-chars", POL_PARAM_INT, "0", 0, 100000, NULL,
     "Shorten to at most this many characters, at a sentence end (0: no limit; sms: 320).",
     .unit = "chars"},
    {"sms-parts", POL_PARAM_INT, "2", 1, 10, NULL, "Most SMS parts (160 characters each).",
     .when = "to=sms"},
};

static size_t chars(const char *s, size_t n)
{
    size_t c = 0;
    for (size_t i = 0; i < n; i++) c += ((unsigned char)s[i] & 0xC0) != 0x80;
    return c;
}

/* Byte offset of the `max`-th character (or n). */
static size_t char_off(const char *s, size_t n, size_t max)
{
    size_t c = 0;
    for (size_t i = 0; i < n; i++) {
        if (((unsigned char)s[i] & 0xC0) != 0x80) {
            if (c == max) return i;
            c++;
        }
    }
    return n;
}

/* The longest prefix of at most `max` characters ending at a sentence end; else at a word end
 * with an ellipsis. */
static size_t shorten(const char *s, size_t n, size_t max, int *ellipsis)
{
    *ellipsis = 0;
    if (chars(s, n) <= max) return n;
    size_t lim = char_off(s, n, max);
    pol__span *sp = NULL;
    long ns = pol__sentences(s, n, &sp);
    size_t best = 0;
    for (long i = 0; i < ns; i++)
        if (sp[i].end <= lim) best = sp[i].end;
    free(sp);
    if (best) return best;
    size_t w = char_off(s, n, max > 1 ? max - 1 : 0);
    while (w > 0 && s[w] != ' ') w--;
    *ellipsis = 1;
    return w ? w : char_off(s, n, max > 1 ? max - 1 : 0);
}

/* Markdown inline marks: emphasis to `b0`..`b1` (bold) and `i0`..`i1` (italic), links with
 * `link` ("t (u)" or HTML), HTML escaping when `html`. */
static void inline_md(pol__sbuf *o, const char *s, size_t n, int html, const char *b0, const char *b1,
                      const char *i0, const char *i1)
{
    int bold = 0, ital = 0;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if ((c == '*' || c == '_') && i + 1 < n && s[i + 1] == c) {
            pol__sbuf_puts(o, bold ? b1 : b0);
            bold = !bold;
            i++;
            continue;
        }
        if (c == '*' || (c == '_' && (i == 0 || s[i - 1] == ' ' || ital))) {
            pol__sbuf_puts(o, ital ? i1 : i0);
            ital = !ital;
            continue;
        }
        if (c == '`') continue;
        if (c == '[') {
            const char *close = memchr(s + i, ']', n - i);
            if (close && (size_t)(close - s) + 1 < n && close[1] == '(') {
                const char *rp = memchr(close, ')', (size_t)(s + n - close));
                if (rp) {
                    const char *t = s + i + 1, *u = close + 2;
                    size_t tl = (size_t)(close - t), ul = (size_t)(rp - u);
                    if (html) {
                        pol__sbuf_puts(o, "<a href=\"");
                        pol__sbuf_put(o, u, ul);
                        pol__sbuf_puts(o, "\">");
                        pol__sbuf_put(o, t, tl);
                        pol__sbuf_puts(o, "</a>");
                    } else {
                        pol__sbuf_put(o, t, tl);
                        if (ul && (tl != ul || memcmp(t, u, tl))) {
                            pol__sbuf_puts(o, " (");
                            pol__sbuf_put(o, u, ul);
                            pol__sbuf_puts(o, ")");
                        }
                    }
                    i = (size_t)(rp - s);
                    continue;
                }
            }
        }
        if (html && c == '<') pol__sbuf_puts(o, "&lt;");
        else if (html && c == '>') pol__sbuf_puts(o, "&gt;");
        else if (html && c == '&') pol__sbuf_puts(o, "&amp;");
        else pol__sbuf_put(o, &c, 1);
    }
    if (bold) pol__sbuf_puts(o, b1);
    if (ital) pol__sbuf_puts(o, i1);
}

/* Lines of the Markdown, converted for the channel. */
static void convert(pol__sbuf *o, const char *s, size_t n, int to)
{
    int html = to == 1, in_list = 0, in_p = 0;
    size_t i = 0;
    while (i <= n) {
        const char *e = memchr(s + i, '\n', n - i);
        size_t le = e ? (size_t)(e - s) : n;
        const char *l = s + i;
        size_t ln = le - i;
        while (ln && (l[ln - 1] == '\r' || l[ln - 1] == ' ')) ln--;
        size_t k = 0;
        while (k < ln && l[k] == ' ') k++;
        int heading = 0, bullet = 0;
        while (k < ln && l[k] == '#') k++, heading = 1;
        if (!heading && k + 1 < ln && (l[k] == '-' || l[k] == '*' || l[k] == '+') && l[k + 1] == ' ') {
            bullet = 1;
            k += 2;
        }
        while (k < ln && l[k] == ' ') k++;
        const char *body = l + k;
        size_t bn = ln - k;
        if (html) {
            if (!bullet && in_list) pol__sbuf_puts(o, "</ul>\n"), in_list = 0;
            if ((heading || bullet || !bn) && in_p) pol__sbuf_puts(o, "</p>\n"), in_p = 0;
            if (heading) {
                pol__sbuf_puts(o, "<h3>");
                inline_md(o, body, bn, 1, "<strong>", "</strong>", "<em>", "</em>");
                pol__sbuf_puts(o, "</h3>\n");
            } else if (bullet) {
                if (!in_list) pol__sbuf_puts(o, "<ul>\n"), in_list = 1;
                pol__sbuf_puts(o, "<li>");
                inline_md(o, body, bn, 1, "<strong>", "</strong>", "<em>", "</em>");
                pol__sbuf_puts(o, "</li>\n");
            } else if (bn) {
                pol__sbuf_puts(o, in_p ? "<br>\n" : "<p>");
                in_p = 1;
                inline_md(o, body, bn, 1, "<strong>", "</strong>", "<em>", "</em>");
            }
        } else if (to == 4) { /* WhatsApp */
            if (heading) pol__sbuf_puts(o, "*");
            if (bullet) pol__sbuf_puts(o, "• ");
            inline_md(o, body, bn, 0, heading ? "" : "*", heading ? "" : "*", "_", "_");
            if (heading) pol__sbuf_puts(o, "*");
            pol__sbuf_puts(o, "\n");
        } else {
            if (bullet) pol__sbuf_puts(o, "- ");
            inline_md(o, body, bn, 0, "", "", "", "");
            pol__sbuf_puts(o, "\n");
        }
        if (!e) break;
        i = le + 1;
    }
    if (html && in_p) pol__sbuf_puts(o, "</p>\n");
    if (html && in_list) pol__sbuf_puts(o, "</ul>\n");
}

static void wrap72(pol__sbuf *o, const char *s, size_t n)
{
    size_t i = 0;
    while (i < n) {
        const char *e = memchr(s + i, '\n', n - i);
        size_t le = e ? (size_t)(e - s) : n, col = 0, ls = i;
        while (ls < le) {
            size_t we = ls;
            while (we < le && s[we] != ' ') we++;
            size_t wl = chars(s + ls, we - ls);
            if (col && col + 1 + wl > 72) {
                pol__sbuf_puts(o, "\n");
                col = 0;
            } else if (col) {
                pol__sbuf_puts(o, " ");
                col++;
            }
            pol__sbuf_put(o, s + ls, we - ls);
            col += wl;
            ls = we;
            while (ls < le && s[ls] == ' ') ls++;
        }
        pol__sbuf_puts(o, "\n");
        i = le + 1;
    }
}

static pol_status run(pol_run *run, pol_asset *asset, const pol_args *args)
{
    pol__text *t = pol__text_of(asset);
    if (t->kind != POL_TEXT_PLAIN && t->kind != POL_TEXT_MARKDOWN) {
        pol__decline(run, "format applies to an answer (plain text or Markdown), not a %s: left "
                          "as it is", pol__text_kind_name(t->kind));
        return POL_OK;
    }
    if (!pol__arg_set(args, "to") && !pol__arg_set(args, "max-chars")) {
        /* no channel and no length asked for (as in `polish fix` without --to): nothing to do */
        pol__decline(run, "no channel (--to) or length (--max-chars) given: left as it is");
        return POL_OK;
    }
    int to = pol__arg_choice(args, "to");
    size_t max = (size_t)pol__arg_int(args, "max-chars");
    size_t parts = (size_t)pol__arg_int(args, "sms-parts");
    pol__sbuf o = {0};
    convert(&o, t->buf, t->len, to);
    pol__sbuf_put(&o, "", 0);
    if (o.oom) {
        free(o.p);
        return pol__fail(run, POL_ERR_NOMEM, "out of memory");
    }
    pol__sbuf r = {0};
    if (to == 2) { /* SMS: one line, shortened to the parts, split */
        pol__sbuf one = {0};
        int sp = 1, line_start = 1;
        for (size_t i = 0; i < o.n; i++) {
            char c = o.p[i];
            if (c == '\n') {
                /* a line that ends without punctuation (a heading, a list item) gets a full stop */
                if (one.n && !strchr(".!?:;, ", one.p[one.n - 1])) pol__sbuf_put(&one, ".", 1);
                line_start = 1;
                c = ' ';
            } else if (line_start && c == '-' && i + 1 < o.n && o.p[i + 1] == ' ') {
                i++; /* list marks are dropped */
                continue;
            } else if (c != ' ') {
                line_start = 0;
            }
            if (c == '\t') c = ' ';
            if (c == ' ' && sp) continue;
            sp = c == ' ';
            pol__sbuf_put(&one, &c, 1);
        }
        while (one.n && one.p[one.n - 1] == ' ') one.p[--one.n] = '\0';
        size_t lim = max ? max : 160 * parts;
        if (lim > 160 * parts) lim = 160 * parts;
        if (parts > 1 && lim > 160 && lim > 153 * parts) lim = 153 * parts;
        int ell;
        size_t keep, total, np;
        size_t at = 0, idx = 0;
        /* parts of at most 153 characters (room for "(1/2) "), cut at word ends; shortened
         * further while word ends make more parts than allowed */
        for (;;) {
            keep = one.n ? shorten(one.p, one.n, lim, &ell) : 0;
            total = chars(one.p, keep);
            np = total <= 160 ? 1 : 0;
            if (np == 1 || lim <= 160) break;
            size_t count = 0;
            at = 0;
            while (at < keep) {
                size_t end = char_off(one.p + at, keep - at, 153) + at;
                if (end < keep) {
                    size_t w = end;
                    while (w > at && one.p[w] != ' ') w--;
                    if (w > at) end = w;
                }
                count++;
                at = end;
                while (at < keep && one.p[at] == ' ') at++;
            }
            if (count <= parts) break;
            lim -= 10;
        }
        at = 0;
        if (np == 1) {
            pol__sbuf_put(&r, one.p, keep);
            if (ell) pol__sbuf_puts(&r, "…");
            pol__sbuf_puts(&r, "\n");
        } else {
            size_t cuts[16], nc = 0;
            while (at < keep && nc < 16) {
                size_t end = char_off(one.p + at, keep - at, 153) + at;
                if (end < keep) {
                    size_t w = end;
                    while (w > at && one.p[w] != ' ') w--;
                    if (w > at) end = w;
                }
                cuts[nc++] = end;
                at = end;
                while (at < keep && one.p[at] == ' ') at++;
            }
            at = 0;
            for (idx = 0; idx < nc; idx++) {
                char hdr[48];
                snprintf(hdr, sizeof hdr, "(%zu/%zu) ", idx + 1, nc);
                pol__sbuf_puts(&r, hdr);
                pol__sbuf_put(&r, one.p + at, cuts[idx] - at);
                if (ell && idx + 1 == nc) pol__sbuf_puts(&r, "…");
                pol__sbuf_puts(&r, "\n");
                at = cuts[idx];
                while (at < keep && one.p[at] == ' ') at++;
            }
        }
        pol__measure_int(run, "sms_parts", (long long)(np == 1 ? 1 : idx));
        free(one.p);
    } else {
        size_t keep = o.n;
        int ell = 0;
        if (max) keep = shorten(o.p, o.n, max, &ell);
        if (to == 3) wrap72(&r, o.p, keep);
        else pol__sbuf_put(&r, o.p, keep);
        if (ell) pol__sbuf_puts(&r, "…");
        if (keep < o.n && (!r.n || r.p[r.n - 1] != '\n')) pol__sbuf_puts(&r, "\n");
        if (keep < o.n) pol__decide(run, "shortened to %zu characters at a sentence end", chars(r.p, r.n));
    }
    free(o.p);
    if (r.oom || pol__text_set(t, r.p ? r.p : "", r.n)) {
        free(r.p);
        return pol__fail(run, POL_ERR_NOMEM, "out of memory");
    }
    pol__measure_int(run, "characters", (long long)chars(r.p ? r.p : "", r.n));
    free(r.p);
    /* written under the extension of what it now is (out/answer.md becomes out/answer.html) */
    if (to == 1) snprintf(t->ext, sizeof t->ext, "html");
    else if (t->kind == POL_TEXT_MARKDOWN) snprintf(t->ext, sizeof t->ext, "txt");
    t->kind = to == 1 ? POL_TEXT_HTML : POL_TEXT_PLAIN;
    return POL_OK;
}

const pol_op_desc pol__text_op_format = {
    .domain = "text",
    .name = "format",
    .summary = "Format an answer for a channel: plain, HTML, SMS (split cleanly), e-mail, "
               "WhatsApp; shorten without cutting a sentence",
    .params = params,
    .n_params = POL_ARRAY_LEN(params),
    .run = run,
    .flags = POL_OP_AUTO,
};
