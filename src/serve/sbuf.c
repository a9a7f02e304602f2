/* polish serve — a growing string and JSON string escaping. */
#include "serve/sbuf.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int grow(sv_buf *b, size_t extra)
{
    if (b->oom) return 0;
    if (b->len + extra + 1 <= b->cap) return 1;
    size_t cap = b->cap ? b->cap : 256;
    while (cap < b->len + extra + 1) cap *= 2;
    char *s = realloc(b->s, cap);
    if (!s) {
        b->oom = 1;
        return 0;
    }
    b->s = s;
    b->cap = cap;
    return 1;
}

void sv_putn(sv_buf *b, const char *s, size_t n)
{
    if (!grow(b, n)) return;
    memcpy(b->s + b->len, s, n);
    b->len += n;
    b->s[b->len] = '\0';
}

void sv_put(sv_buf *b, const char *s)
{
    sv_putn(b, s, strlen(s));
}

void sv_fmt(sv_buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char small[256];
    int n = vsnprintf(small, sizeof small, fmt, ap);
    va_end(ap);
    if (n < 0) return;
    if ((size_t)n < sizeof small) {
        sv_putn(b, small, (size_t)n);
        return;
    }
    if (!grow(b, (size_t)n)) return;
    va_start(ap, fmt);
    vsnprintf(b->s + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
}

/* Length of the valid UTF-8 sequence at `s` (1..4), or 0 when it is not one. */
static size_t utf8_len(const unsigned char *s)
{
    unsigned c = s[0];
    size_t n = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
    if (n < 2) return n;
    if (c == 0xc0 || c == 0xc1 || c > 0xf4) return 0;
    for (size_t i = 1; i < n; i++)
        if ((s[i] & 0xc0) != 0x80) return 0;
    if (n == 3 && c == 0xe0 && s[1] < 0xa0) return 0;
    if (n == 3 && c == 0xed && s[1] >= 0xa0) return 0; /* surrogates */
    if (n == 4 && c == 0xf0 && s[1] < 0x90) return 0;
    if (n == 4 && c == 0xf4 && s[1] >= 0x90) return 0;
    return n;
}

void sv_json_str(sv_buf *b, const char *s)
{
    sv_putn(b, "\"", 1);
    const unsigned char *p = (const unsigned char *)(s ? s : "");
    while (*p) {
        if (*p == '"' || *p == '\\') {
            char e[2] = {'\\', (char)*p};
            sv_putn(b, e, 2);
            p++;
        } else if (*p < 0x20) {
            sv_fmt(b, "\\u%04x", *p);
            p++;
        } else {
            size_t n = utf8_len(p);
            if (!n) {
                sv_put(b, "\xef\xbf\xbd");
                p++;
            } else {
                sv_putn(b, (const char *)p, n);
                p += n;
            }
        }
    }
    sv_putn(b, "\"", 1);
}

char *sv_take(sv_buf *b)
{
    char *s = b->oom ? NULL : b->s;
    if (b->oom) free(b->s);
    if (!b->oom && !s) s = calloc(1, 1);
    b->s = NULL;
    b->len = b->cap = 0;
    b->oom = 0;
    return s;
}
