/* polish — the text domain: recognise, load (UTF-8 checked, size limited), save, inspect. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "text/text.h"

static const char *const kind_names[] = {"plain", "markdown", "html", "faq-csv",
                                         "chat-json", "chat-csv", "chat-text", "kb"};

const char *pol__text_kind_name(pol__text_kind k)
{
    return (unsigned)k < sizeof kind_names / sizeof kind_names[0] ? kind_names[k] : "?";
}

/* ---- the asset ------------------------------------------------------------------------------ */

pol__text *pol__text_new(pol__text_kind kind, const char *buf, size_t len)
{
    pol__text *t = calloc(1, sizeof *t);
    if (!t) return NULL;
    t->kind = kind;
    if (pol__text_set(t, buf ? buf : "", buf ? len : 0)) {
        free(t);
        return NULL;
    }
    return t;
}

int pol__text_set(pol__text *t, const char *buf, size_t len)
{
    char *b = malloc(len + 1);
    if (!b) return -1;
    if (len) memcpy(b, buf, len);
    b[len] = '\0';
    free(t->buf);
    t->buf = b;
    t->len = len;
    return 0;
}

void pol__text_free(void *data)
{
    pol__text *t = data;
    if (!t) return;
    if (t->kb) pol__kb_close(t->kb);
    free(t->buf);
    free(t);
}

static void *text_clone(const void *data)
{
    const pol__text *s = data;
    if (s->kind == POL_TEXT_KB) return NULL; /* a knowledge base is shared, never copied */
    pol__text *t = pol__text_new(s->kind, s->buf, s->len);
    if (t) memcpy(t->ext, s->ext, sizeof t->ext);
    return t;
}

static const char *out_ext(pol_asset *a)
{
    pol__text *t = pol__text_of(a);
    return t->ext[0] ? t->ext : NULL;
}

/* ---- UTF-8 ---------------------------------------------------------------------------------- */

size_t pol__utf8_invalid_at(const char *str, size_t n)
{
    const unsigned char *s = (const unsigned char *)str;
    size_t i = 0;
    while (i < n) {
        unsigned c = s[i];
        if (c < 0x80) {
            i++;
            continue;
        }
        size_t k;
        unsigned cp, min;
        if (c >= 0xC2 && c <= 0xDF) {
            k = 1;
            cp = c & 0x1F;
            min = 0x80;
        } else if (c >= 0xE0 && c <= 0xEF) {
            k = 2;
            cp = c & 0x0F;
            min = 0x800;
        } else if (c >= 0xF0 && c <= 0xF4) {
            k = 3;
            cp = c & 0x07;
            min = 0x10000;
        } else {
            return i;
        }
        for (size_t j = 1; j <= k; j++) {
            if (i + j >= n || (s[i + j] & 0xC0) != 0x80) return i;
            cp = (cp << 6) | (s[i + j] & 0x3F);
        }
        if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return i;
        i += k + 1;
    }
    return (size_t)-1;
}

/* ---- recognising ---------------------------------------------------------------------------- */

static const char *const extensions[] = {"txt", "md", "markdown", "html", "htm", "json", "csv",
                                         NULL};

static int has_ci(const unsigned char *h, size_t n, const char *needle)
{
    size_t m = strlen(needle);
    for (size_t i = 0; i + m <= n; i++)
        if (strncasecmp((const char *)h + i, needle, m) == 0) return 1;
    return 0;
}

/* The first line (the header of a CSV), lower-cased into out. */
static void first_line(const unsigned char *h, size_t n, char *out, size_t cap)
{
    size_t i = 0;
    if (n >= 3 && h[0] == 0xEF && h[1] == 0xBB && h[2] == 0xBF) i = 3;
    size_t k = 0;
    for (; i < n && h[i] != '\n' && k + 1 < cap; i++)
        out[k++] = (char)(h[i] >= 'A' && h[i] <= 'Z' ? h[i] + 32 : h[i]);
    out[k] = '\0';
}

/* A header cell named exactly one of `names` ('|'-separated), quotes and spaces aside. */
static int header_has(const char *line, const char *names)
{
    const char *p = line;
    while (*p) {
        while (*p == ' ' || *p == '"' || *p == '\'') p++;
        const char *e = p;
        while (*e && *e != ',' && *e != ';' && *e != '\t' && *e != '\r') e++;
        const char *t = e;
        while (t > p && (t[-1] == ' ' || t[-1] == '"' || t[-1] == '\'')) t--;
        size_t len = (size_t)(t - p);
        for (const char *q = names; *q;) {
            const char *bar = strchr(q, '|');
            size_t m = bar ? (size_t)(bar - q) : strlen(q);
            if (m == len && len && strncmp(p, q, m) == 0) return 1;
            q = bar ? bar + 1 : q + m;
        }
        p = *e ? e + 1 : e;
    }
    return 0;
}

/* Lines that start with a speaker label: "User:", "Bot:", "Agent:", "Customer:", "Visitor:" ... */
static int chat_lines(const unsigned char *h, size_t n)
{
    static const char *const who[] = {"user:", "bot:", "assistant:", "agent:", "customer:",
                                      "visitor:", "ai:", "human:", "support:", "client:", NULL};
    int hits = 0;
    size_t i = 0;
    while (i < n) {
        while (i < n && (h[i] == ' ' || h[i] == '\t')) i++;
        /* "[10:02] User:" */
        if (i < n && h[i] == '[') {
            while (i < n && h[i] != ']' && h[i] != '\n') i++;
            if (i < n && h[i] == ']') i++;
            while (i < n && h[i] == ' ') i++;
        }
        for (int k = 0; who[k]; k++) {
            size_t m = strlen(who[k]);
            if (i + m <= n && strncasecmp((const char *)h + i, who[k], m) == 0) {
                hits++;
                break;
            }
        }
        while (i < n && h[i] != '\n') i++;
        i++;
    }
    return hits;
}

/* Lines agreeing on a count of some delimiter: a table, not prose. */
static int tabular(const unsigned char *h, size_t n)
{
    static const char delims[] = {',', ';', '\t', '|'};
    for (size_t d = 0; d < sizeof delims; d++) {
        int lines = 0, count = -1, same = 1;
        size_t i = 0;
        while (i < n && lines < 5 && same) {
            size_t end = i;
            while (end < n && h[end] != '\n') end++;
            if (end == n) break;
            int c = 0;
            for (size_t k = i; k < end; k++) c += h[k] == (unsigned char)delims[d];
            if (end > i && end - (h[end - 1] == '\r') > i) { /* not an empty line */
                if (count < 0) count = c;
                same = c == count;
                lines++;
            }
            i = end + 1;
        }
        if (same && lines >= 3 && count > 0) return 1;
    }
    return 0;
}

int pol__text_sniff_kind(const unsigned char *h, size_t n, const char *path)
{
    const char *ext = path ? pol__path_ext(path) : "";
    if (!n) return -1;
    for (size_t i = 0; i < n; i++)
        if (h[i] == 0) return -1;
    /* valid UTF-8 up to a character the head may have cut */
    size_t bad = pol__utf8_invalid_at((const char *)h, n);
    if (bad != (size_t)-1 && n - bad > 3) {
        /* invalid text: still ours by name, so load can say where */
        if (!strcasecmp(ext, "txt") || !strcasecmp(ext, "md")) return POL_TEXT_PLAIN;
        return -1;
    }
    size_t i = 0;
    if (n >= 3 && h[0] == 0xEF && h[1] == 0xBB && h[2] == 0xBF) i = 3;
    while (i < n && (h[i] == ' ' || h[i] == '\t' || h[i] == '\r' || h[i] == '\n')) i++;
    if (i < n && (h[i] == '{' || h[i] == '[')) {
        if (has_ci(h, n, "\"FeatureCollection\"") || has_ci(h, n, "\"Feature\"") ||
            has_ci(h, n, "\"coordinates\""))
            return -1;
        int role = has_ci(h, n, "\"role\"") || has_ci(h, n, "\"speaker\"") ||
                   has_ci(h, n, "\"sender\"") || has_ci(h, n, "\"author\"");
        int content = has_ci(h, n, "\"content\"") || has_ci(h, n, "\"text\"") ||
                      has_ci(h, n, "\"message\"");
        if (role && content) return POL_TEXT_CHAT_JSON;
        /* "[Digital] The h command ..." in a .txt or .md is prose, not JSON */
        if (strcasecmp(ext, "txt") && strcasecmp(ext, "md") && strcasecmp(ext, "markdown")) return -1;
    }
    if (i < n && h[i] == '<') {
        if (has_ci(h + i, n - i < 512 ? n - i : 512, "<html") ||
            has_ci(h + i, n - i < 64 ? n - i : 64, "<!doctype html"))
            return POL_TEXT_HTML;
        if (!strcasecmp(ext, "html") || !strcasecmp(ext, "htm")) return POL_TEXT_HTML;
        return -1; /* XML: GPX, SVG ... not ours */
    }
    if (!strcasecmp(ext, "csv")) {
        char line[1024];
        first_line(h, n, line, sizeof line);
        if (header_has(line, "question|q|faq") && header_has(line, "answer|a|response"))
            return POL_TEXT_FAQ_CSV;
        if (header_has(line, "role|speaker|sender|author|from|who") &&
            header_has(line, "content|message|text|body"))
            return POL_TEXT_CHAT_CSV;
        return -1;
    }
    if (!strcasecmp(ext, "html") || !strcasecmp(ext, "htm")) return POL_TEXT_HTML;
    if (!strcasecmp(ext, "md") || !strcasecmp(ext, "markdown")) return POL_TEXT_MARKDOWN;
    if (!strcasecmp(ext, "txt") || !*ext) {
        if (chat_lines(h, n) >= 2) return POL_TEXT_CHAT_TEXT;
        if (!*ext) return -1; /* a README, a LICENSE: nobody's */
        if (tabular(h, n)) return -1;
        return POL_TEXT_PLAIN;
    }
    return -1;
}

static int sniff(const unsigned char *head, size_t n, const char *path)
{
    if (n >= 16 && memcmp(head, "SQLite format 3", 16) == 0) return 0; /* a kb: a port only */
    int k = pol__text_sniff_kind(head, n, path);
    if (k < 0 && path && !strcasecmp(pol__path_ext(path), "json") &&
        !has_ci(head, n, "\"FeatureCollection\"") && !has_ci(head, n, "\"coordinates\""))
        return 10; /* a .json nobody else reads: ours, so a broken export gets a clear error */
    switch (k) {
    case POL_TEXT_FAQ_CSV:
    case POL_TEXT_CHAT_CSV:
    case POL_TEXT_CHAT_JSON:
        return 85; /* more specific than a table or a JSON document */
    case POL_TEXT_CHAT_TEXT:
        return 75;
    case POL_TEXT_HTML:
    case POL_TEXT_MARKDOWN:
        return 70;
    case POL_TEXT_PLAIN:
        return 60; /* above a comma-in-the-first-line guess, below a table */
    default:
        return 0;
    }
}

/* ---- loading -------------------------------------------------------------------------------- */

static const pol__limit_key limits[] = {
    {"text-bytes", POL_TEXT_DEFAULT_MAX_BYTES, POL_LIMIT_BYTES, "bytes",
     "Largest text item (answer, document, transcript export) read"},
    {NULL, 0, 0, NULL, NULL},
};

static pol_status load(pol_run *run, const char *path, pol_asset **out)
{
    *out = NULL;
    unsigned char head[64];
    FILE *fp = fopen(path, "rb");
    if (!fp) return pol__fail(run, POL_ERR_IO, "cannot open %s", path);
    size_t got = fread(head, 1, sizeof head, fp);
    fclose(fp);
    pol__text *t = NULL;
    if (got >= 16 && memcmp(head, "SQLite format 3", 16) == 0) {
        pol__kb *kb = NULL;
        pol_err e;
        pol_err_clear(&e);
        pol_status st = pol__kb_open(path, &kb, &e);
        if (st) return pol__fail(run, st, "%s", e.msg);
        t = pol__text_new(POL_TEXT_KB, "", 0);
        if (!t) {
            pol__kb_close(kb);
            return pol__fail(run, POL_ERR_NOMEM, "out of memory");
        }
        t->kb = kb;
    } else {
        uint64_t max = pol__limit(run, "text-bytes");
        if (!run || !run->opt) max = POL_TEXT_DEFAULT_MAX_BYTES;
        unsigned char *data = NULL;
        size_t len = 0;
        pol_status st = pol__read_file(run, path, max, &data, &len);
        if (st == POL_ERR_LIMIT)
            return pol__fail(run, POL_ERR_LIMIT,
                             "%s is larger than the text limit of %llu bytes (--limit "
                             "text-bytes=N); nothing was read",
                             path, (unsigned long long)max);
        if (st) return st;
        if (got >= 2 && ((head[0] == 0xFF && head[1] == 0xFE) || (head[0] == 0xFE && head[1] == 0xFF))) {
            free(data);
            return pol__fail(run, POL_ERR_FORMAT,
                             "%s is UTF-16 text; the text domain reads UTF-8 (convert it with "
                             "iconv -f UTF-16 -t UTF-8)", path);
        }
        size_t bad = pol__utf8_invalid_at((const char *)data, len);
        if (bad != (size_t)-1) {
            size_t line = 1;
            for (size_t i = 0; i < bad; i++) line += data[i] == '\n';
            unsigned b = data[bad];
            free(data);
            return pol__fail(run, POL_ERR_FORMAT,
                             "%s is not valid UTF-8: byte 0x%02X at offset %zu (line %zu); "
                             "nothing was changed", path, b, bad, line);
        }
        if (memchr(data, 0, len)) {
            free(data);
            return pol__fail(run, POL_ERR_FORMAT, "%s holds NUL bytes: not text", path);
        }
        int k = pol__text_sniff_kind(data, len < 4096 ? len : 4096, path);
        if (k < 0 && !strcasecmp(pol__path_ext(path), "json")) k = POL_TEXT_CHAT_JSON;
        t = pol__text_new(k < 0 ? POL_TEXT_PLAIN : (pol__text_kind)k, (const char *)data, len);
        free(data);
        if (!t) return pol__fail(run, POL_ERR_NOMEM, "out of memory");
    }
    *out = pol__asset_new(&pol__text_domain, t, path);
    if (!*out) return pol__fail(run, POL_ERR_NOMEM, "out of memory");
    pol__measure_str(run, "kind", pol__text_kind_name(t->kind));
    return POL_OK;
}

static pol_status save(pol_run *run, pol_asset *a, const char *path)
{
    pol__text *t = pol__text_of(a);
    if (t->kind == POL_TEXT_KB)
        return pol__fail(run, POL_ERR_UNSUPPORTED, "a knowledge base is not saved as an item");
    return pol__write_file(run, path, t->buf, t->len);
}

static pol_status inspect(pol_run *run, pol_asset *a)
{
    pol__text *t = pol__text_of(a);
    pol__measure_str(run, "kind", pol__text_kind_name(t->kind));
    if (t->kind == POL_TEXT_KB) {
        pol__measure_int(run, "chunks", pol__kb_chunks(t->kb));
        return POL_OK;
    }
    size_t words = 0, lines = 0;
    int in = 0;
    for (size_t i = 0; i < t->len; i++) {
        unsigned char c = (unsigned char)t->buf[i];
        int sp = c == ' ' || c == '\n' || c == '\t' || c == '\r';
        if (!sp && !in) words++;
        in = !sp;
        lines += c == '\n';
    }
    pol__measure_int(run, "bytes", (long long)t->len);
    pol__measure_int(run, "words", (long long)words);
    pol__measure_int(run, "lines", (long long)lines);
    return POL_OK;
}

/* `polish fix`: an answer is checked and fixed against --kb, put through --policy and formatted
 * for --to (each declines when its option is not given); a chat export gives its follow-up. */
static const char *const auto_steps[] = {"fix", "policy", "format", "followup", NULL};

const pol__domain pol__text_domain = {
    .name = "text",
    .summary = "answers, documents and chat transcripts (UTF-8): check against a knowledge base, "
               "fix, redact PII, leads",
    .ops = pol__text_ops,
    .extensions = extensions,
    .sniff = sniff,
    .load = load,
    .save = save,
    .inspect = inspect,
    .data_free = pol__text_free,
    .data_clone = text_clone,
    .limits = limits,
    .out_ext = out_ext,
    .auto_steps = auto_steps,
};
