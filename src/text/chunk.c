/* polish — documents to passages: Markdown, HTML and plain text to lines and paragraphs, FAQ CSV
 * rows to "question answer" pairs, grouped into chunks under their heading. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "text/text.h"
#include "text/textutil.h"
#include "text/transcript.h"

void pol__chunks_free(pol__chunk_list *c)
{
    for (size_t i = 0; i < c->n; i++) free(c->text[i]);
    free(c->text);
    memset(c, 0, sizeof *c);
}

static int push(pol__chunk_list *c, const char *s, size_t n)
{
    while (n && (s[n - 1] == ' ' || s[n - 1] == '\n')) n--;
    while (n && (*s == ' ' || *s == '\n')) s++, n--;
    if (!n) return 0;
    if (POL_GROW(c->text, c->cap, c->n + 1, 16)) return -1;
    if (!(c->text[c->n] = pol__strndup(s, n))) return -1;
    c->n++;
    return 0;
}

/* ---- HTML to lines -------------------------------------------------------------------------- */

static int block_tag(const char *t, size_t n)
{
    static const char *const tags[] = {"p", "br", "li", "div", "tr", "h1", "h2", "h3", "h4",
                                       "h5", "h6", "ul", "ol", "table", "section", "article",
                                       "dt", "dd", "td", "th", "hr", "header", "footer", NULL};
    for (int i = 0; tags[i]; i++)
        if (strlen(tags[i]) == n && strncasecmp(t, tags[i], n) == 0) return 1 + (t[0] == 'h' && n == 2);
    return 0;
}

/* Appends the UTF-8 of code point cp. */
static void put_cp(pol__sbuf *o, unsigned cp)
{
    char b[4];
    size_t n;
    if (cp < 0x80) b[0] = (char)cp, n = 1;
    else if (cp < 0x800) b[0] = (char)(0xC0 | cp >> 6), b[1] = (char)(0x80 | (cp & 63)), n = 2;
    else if (cp < 0x10000 && (cp < 0xD800 || cp > 0xDFFF))
        b[0] = (char)(0xE0 | cp >> 12), b[1] = (char)(0x80 | ((cp >> 6) & 63)),
        b[2] = (char)(0x80 | (cp & 63)), n = 3;
    else if (cp >= 0x10000 && cp <= 0x10FFFF)
        b[0] = (char)(0xF0 | cp >> 18), b[1] = (char)(0x80 | ((cp >> 12) & 63)),
        b[2] = (char)(0x80 | ((cp >> 6) & 63)), b[3] = (char)(0x80 | (cp & 63)), n = 4;
    else
        b[0] = '?', n = 1;
    pol__sbuf_put(o, b, n);
}

static void html_to_text(const char *s, size_t n, pol__sbuf *o)
{
    size_t i = 0;
    while (i < n) {
        if (s[i] == '<') {
            size_t j = i + 1;
            if (n - i >= 4 && strncmp(s + i, "<!--", 4) == 0) {
                const char *e = pol__memmem(s + i + 4, n - i - 4, "-->", 3);
                i = e ? (size_t)(e - s) + 3 : n;
                continue;
            }
            int closing = j < n && s[j] == '/';
            if (closing) j++;
            size_t t0 = j;
            while (j < n && ((s[j] >= 'a' && s[j] <= 'z') || (s[j] >= 'A' && s[j] <= 'Z') ||
                             (s[j] >= '0' && s[j] <= '9')))
                j++;
            size_t tl = j - t0;
            const char *gt = memchr(s + j, '>', n - j);
            size_t end = gt ? (size_t)(gt - s) + 1 : n;
            if (!closing && ((tl == 6 && !strncasecmp(s + t0, "script", 6)) ||
                             (tl == 5 && !strncasecmp(s + t0, "style", 5)))) {
                char close[10];
                snprintf(close, sizeof close, "</%.*s", (int)tl, s + t0);
                size_t k = end;
                while (k < n && !(s[k] == '<' && n - k >= tl + 2 && !strncasecmp(s + k, close, tl + 2))) k++;
                const char *gt2 = k < n ? memchr(s + k, '>', n - k) : NULL;
                i = gt2 ? (size_t)(gt2 - s) + 1 : n;
                continue;
            }
            int b = block_tag(s + t0, tl);
            if (b == 2) pol__sbuf_put(o, "\n\n", 2); /* headings start a paragraph */
            else if (b) pol__sbuf_put(o, "\n", 1);
            if (!closing && tl == 2 && !strncasecmp(s + t0, "li", 2)) pol__sbuf_put(o, "- ", 2);
            if (!closing && tl == 1 && (s[t0] == 'p' || s[t0] == 'P')) pol__sbuf_put(o, "\n", 1);
            i = end;
            continue;
        }
        if (s[i] == '&') {
            size_t j = i + 1;
            while (j < n && j - i < 10 && s[j] != ';' && s[j] != ' ' && s[j] != '<') j++;
            if (j < n && s[j] == ';') {
                const char *e = s + i + 1;
                size_t el = j - i - 1;
                unsigned cp = 0;
                if (el > 1 && e[0] == '#') {
                    cp = (unsigned)strtoul(e[1] == 'x' || e[1] == 'X' ? e + 2 : e + 1, NULL,
                                           e[1] == 'x' || e[1] == 'X' ? 16 : 10);
                } else if (el == 3 && !strncmp(e, "amp", 3)) cp = '&';
                else if (el == 2 && !strncmp(e, "lt", 2)) cp = '<';
                else if (el == 2 && !strncmp(e, "gt", 2)) cp = '>';
                else if (el == 4 && !strncmp(e, "quot", 4)) cp = '"';
                else if (el == 4 && !strncmp(e, "apos", 4)) cp = '\'';
                else if (el == 4 && !strncmp(e, "nbsp", 4)) cp = ' ';
                else if (el == 5 && !strncmp(e, "ndash", 5)) cp = 0x2013;
                else if (el == 5 && !strncmp(e, "mdash", 5)) cp = 0x2014;
                else if (el == 4 && !strncmp(e, "euro", 4)) cp = 0x20AC;
                else if (el == 5 && !strncmp(e, "pound", 5)) cp = 0xA3;
                if (cp) {
                    put_cp(o, cp);
                    i = j + 1;
                    continue;
                }
            }
        }
        char c = s[i] == '\r' || s[i] == '\t' || s[i] == '\n' ? ' ' : s[i];
        pol__sbuf_put(o, &c, 1);
        i++;
    }
}

/* ---- Markdown to lines ---------------------------------------------------------------------- */

static void markdown_to_text(const char *s, size_t n, pol__sbuf *o)
{
    size_t i = 0;
    int fence = 0;
    while (i < n) {
        size_t e = i;
        while (e < n && s[e] != '\n') e++;
        const char *l = s + i;
        size_t ln = e - i;
        if (ln >= 3 && (!strncmp(l, "```", 3) || !strncmp(l, "~~~", 3))) {
            fence = !fence;
            i = e + 1;
            continue;
        }
        size_t k = 0;
        while (k < ln && l[k] == ' ') k++;
        int heading = 0;
        if (!fence) {
            while (k < ln && l[k] == '#') k++, heading = 1;
            if (k < ln && l[k] == '>') k++;
            if (k + 1 < ln && (l[k] == '-' || l[k] == '*' || l[k] == '+') && l[k + 1] == ' ') {
                pol__sbuf_put(o, "- ", 2);
                k += 2;
            }
            while (k < ln && l[k] == ' ') k++;
        }
        if (heading) pol__sbuf_put(o, "\n", 1);
        /* inline: links [t](u) -> "t (u)", emphasis and code marks dropped */
        for (size_t j = k; j < ln; j++) {
            char c = l[j];
            if (!fence && (c == '*' || c == '`' || (c == '_' && (j + 1 < ln && l[j + 1] == '_'))))
                continue;
            if (!fence && c == '!' && j + 1 < ln && l[j + 1] == '[') continue;
            if (!fence && c == '[') {
                const char *close = memchr(l + j, ']', ln - j);
                if (close && (size_t)(close - l) + 1 < ln && close[1] == '(') {
                    const char *rp = memchr(close, ')', (size_t)(l + ln - close));
                    if (rp) {
                        pol__sbuf_put(o, l + j + 1, (size_t)(close - l - (long)j - 1));
                        const char *u = close + 2;
                        if (rp > u && strncmp(u, "#", 1)) {
                            pol__sbuf_put(o, " (", 2);
                            pol__sbuf_put(o, u, (size_t)(rp - u));
                            pol__sbuf_put(o, ")", 1);
                        }
                        j = (size_t)(rp - l);
                        continue;
                    }
                }
            }
            if (c == '|' && !fence) c = ' ';
            pol__sbuf_put(o, &c, 1);
        }
        pol__sbuf_put(o, "\n", 1);
        if (heading) pol__sbuf_put(o, "\n", 1);
        i = e + 1;
    }
}

/* ---- CSV of questions and answers ----------------------------------------------------------- */

/* Reads one CSV field at *p (quotes handled); returns 1 when the record goes on. */
int pol__csv_field(const char **p, const char *end, pol__sbuf *f, char delim)
{
    const char *s = *p;
    f->n = 0;
    if (s < end && *s == '"') {
        s++;
        while (s < end) {
            if (*s == '"') {
                if (s + 1 < end && s[1] == '"') {
                    pol__sbuf_put(f, "\"", 1);
                    s += 2;
                    continue;
                }
                s++;
                break;
            }
            pol__sbuf_put(f, s, 1);
            s++;
        }
        while (s < end && *s != delim && *s != '\n') s++;
    } else {
        const char *b = s;
        while (s < end && *s != delim && *s != '\n') s++;
        const char *t = s;
        if (t > b && t[-1] == '\r') t--;
        pol__sbuf_put(f, b, (size_t)(t - b));
    }
    int more = s < end && *s == delim;
    *p = s < end ? s + 1 : end;
    return more;
}

static int faq_rows(const char *s, size_t n, pol__chunk_list *out)
{
    const char *p = s, *end = s + n;
    if (n >= 3 && (unsigned char)s[0] == 0xEF) p += 3;
    char delim = ',';
    const char *nl = memchr(p, '\n', (size_t)(end - p));
    size_t hl = nl ? (size_t)(nl - p) : (size_t)(end - p);
    if (memchr(p, ';', hl) && !memchr(p, ',', hl)) delim = ';';
    if (memchr(p, '\t', hl)) delim = '\t';
    pol__sbuf f = {0}, row = {0};
    int qcol = -1, acol = -1, col = 0, header = 1, rc = 0;
    while (p < end && !rc) {
        int more = pol__csv_field(&p, end, &f, delim);
        pol__sbuf_put(&f, "", 0);
        if (header) {
            char *v = f.p ? f.p : (char *)"";
            for (char *c = v; *c; c++) *c = (char)(*c >= 'A' && *c <= 'Z' ? *c + 32 : *c);
            while (*v == ' ') v++;
            if (qcol < 0 && (!strncmp(v, "question", 8) || !strcmp(v, "q") || !strcmp(v, "faq")))
                qcol = col;
            else if (acol < 0 && (!strncmp(v, "answer", 6) || !strcmp(v, "a") || !strncmp(v, "response", 8)))
                acol = col;
        } else if (col == qcol || col == acol) {
            if (col == qcol && f.n) {
                pol__sbuf_put(&row, f.p, f.n);
                pol__sbuf_put(&row, "\n", 1);
            } else if (f.n) {
                pol__sbuf_put(&row, f.p, f.n);
                pol__sbuf_put(&row, "\n", 1);
            }
        }
        col++;
        if (!more) {
            if (!header && row.n) rc = push(out, row.p, row.n);
            row.n = 0;
            header = 0;
            col = 0;
        }
    }
    if (!row.oom && row.n && !rc) rc = push(out, row.p, row.n);
    rc = rc || f.oom || row.oom ? -1 : 0;
    free(f.p);
    free(row.p);
    return rc;
}

/* ---- paragraphs to chunks ------------------------------------------------------------------- */

int pol__text_chunk(pol__text_kind kind, const char *buf, size_t len, size_t max_chars,
                    pol__chunk_list *out)
{
    memset(out, 0, sizeof *out);
    if (kind == POL_TEXT_FAQ_CSV) return faq_rows(buf, len, out);
    pol__sbuf t = {0};
    if (kind == POL_TEXT_HTML)
        html_to_text(buf, len, &t);
    else if (kind == POL_TEXT_MARKDOWN)
        markdown_to_text(buf, len, &t);
    else
        pol__sbuf_put(&t, buf, len);
    pol__sbuf_put(&t, "", 0);
    if (t.oom) {
        free(t.p);
        return -1;
    }
    /* Paragraphs: separated by blank lines. A paragraph that is only a heading line (short, no
     * sentence end) is kept as the start of the next chunk. Chunks hold whole paragraphs up to
     * max_chars; a longer paragraph is cut at a line or sentence end. */
    pol__sbuf cur = {0};
    int rc = 0;
    const char *s = t.p, *end = t.p + t.n;
    while (s < end && !rc) {
        /* skip blank lines */
        while (s < end && (*s == '\n' || *s == ' ' || *s == '\r')) s++;
        if (s >= end) break;
        const char *p = s;
        while (p < end) {
            const char *nl = memchr(p, '\n', (size_t)(end - p));
            if (!nl) {
                p = end;
                break;
            }
            const char *q = nl + 1;
            while (q < end && (*q == ' ' || *q == '\r' || *q == '\t')) q++;
            if (q >= end || *q == '\n') {
                p = nl;
                break;
            }
            p = nl + 1;
        }
        size_t pl = (size_t)(p - s);
        int heading_only = pl < 80 && !memchr(s, '\n', pl) && !memchr(s, '.', pl) &&
                           !memchr(s, ':', pl) && !memchr(s, '$', pl);
        if (cur.n && cur.n + pl > max_chars) {
            rc = push(out, cur.p, cur.n);
            cur.n = 0;
        }
        /* a long paragraph: lines go in one by one */
        const char *ls = s;
        while (ls < p && !rc) {
            const char *le = memchr(ls, '\n', (size_t)(p - ls));
            if (!le) le = p;
            size_t ll = (size_t)(le - ls);
            if (cur.n && cur.n + ll > max_chars) {
                rc = push(out, cur.p, cur.n);
                cur.n = 0;
            }
            pol__sbuf_put(&cur, ls, ll);
            pol__sbuf_put(&cur, "\n", 1);
            ls = le + 1;
        }
        if (!heading_only && cur.n >= max_chars / 2) {
            rc = rc ? rc : push(out, cur.p, cur.n);
            cur.n = 0;
        } else if (!heading_only) {
            /* a short paragraph closes its chunk: passages stay on one topic */
            rc = rc ? rc : push(out, cur.p, cur.n);
            cur.n = 0;
        }
        s = p;
    }
    if (!rc && cur.n) rc = push(out, cur.p, cur.n);
    if (cur.oom) rc = -1;
    free(cur.p);
    free(t.p);
    if (rc) pol__chunks_free(out);
    return rc;
}
