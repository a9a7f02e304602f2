/* polish — input encodings: UTF-8 (BOM), UTF-16 LE/BE, Windows-1252 fallback, binary detection. */
#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>
#include "records/io.h"
#include "records/std.h"

int pol__utf8_valid(const unsigned char *s, size_t n)
{
    size_t i = 0;
    while (i < n) {
        /* ASCII runs, 8 bytes at a time: most contact lists are mostly ASCII. */
        while (i + 8 <= n) {
            uint64_t w;
            memcpy(&w, s + i, 8);
            if (w & 0x8080808080808080ull) break;
            i += 8;
        }
        if (i >= n) break;
        unsigned char c = s[i];
        if (c < 0x80) {
            i++;
            continue;
        }
        size_t len;
        uint32_t cp;
        if (c >= 0xC2 && c <= 0xDF)
            len = 2, cp = c & 0x1F;
        else if (c >= 0xE0 && c <= 0xEF)
            len = 3, cp = c & 0x0F;
        else if (c >= 0xF0 && c <= 0xF4)
            len = 4, cp = c & 0x07;
        else
            return 0;
        if (i + len > n) return 0;
        for (size_t k = 1; k < len; k++) {
            if ((s[i + k] & 0xC0) != 0x80) return 0;
            cp = (cp << 6) | (s[i + k] & 0x3F);
        }
        /* Overlong forms, surrogates and code points past U+10FFFF are not UTF-8. */
        if ((len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10FFFF)) ||
            (cp >= 0xD800 && cp <= 0xDFFF))
            return 0;
        i += len;
    }
    return 1;
}

int pol__looks_binary(const unsigned char *s, size_t n)
{
    if (n >= 2 && ((s[0] == 0xFF && s[1] == 0xFE) || (s[0] == 0xFE && s[1] == 0xFF))) return 0;
    size_t bad = 0, nul = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = s[i];
        if (c == 0)
            nul++;
        else if (c < 0x20 && c != '\n' && c != '\r' && c != '\t' && c != '\f')
            bad++;
    }
    /* UTF-16 without a BOM has a NUL in every other byte of ASCII text; that is text. */
    if (nul && nul * 3 >= n && nul * 5 <= n * 3) {
        size_t even = 0, odd = 0;
        for (size_t i = 0; i + 1 < n; i += 2) {
            even += s[i] == 0;
            odd += s[i + 1] == 0;
        }
        if (even * 10 < odd || odd * 10 < even) return bad * 20 > n;
    }
    return nul > 0 || bad * 50 > n;
}

static unsigned char *put_cp(unsigned char *o, uint32_t cp)
{
    if (cp < 0x80) {
        *o++ = (unsigned char)cp;
    } else if (cp < 0x800) {
        *o++ = (unsigned char)(0xC0 | (cp >> 6));
        *o++ = (unsigned char)(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
        *o++ = (unsigned char)(0xE0 | (cp >> 12));
        *o++ = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
        *o++ = (unsigned char)(0x80 | (cp & 0x3F));
    } else {
        *o++ = (unsigned char)(0xF0 | (cp >> 18));
        *o++ = (unsigned char)(0x80 | ((cp >> 12) & 0x3F));
        *o++ = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
        *o++ = (unsigned char)(0x80 | (cp & 0x3F));
    }
    return o;
}

/* Windows-1252's 0x80..0x9F; the five undefined bytes keep their C1 code point so nothing is
 * lost. */
static const uint16_t cp1252_high[32] = {
    0x20AC, 0x0081, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021, 0x02C6, 0x2030, 0x0160,
    0x2039, 0x0152, 0x008D, 0x017D, 0x008F, 0x0090, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022,
    0x2013, 0x2014, 0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0x009D, 0x017E, 0x0178,
};

static pol_status from_utf16(pol_run *run, const unsigned char *s, size_t n, int be,
                             unsigned char **out, size_t *out_len)
{
    size_t units = n / 2;
    size_t cap;
    if (!pol__mul_ok(units, 3, &cap) || cap > SIZE_MAX - 2)
        return pol__fail(run, POL_ERR_LIMIT, "UTF-16 input too large");
    unsigned char *buf = malloc(cap + 2);
    if (!buf) return pol__fail(run, POL_ERR_NOMEM, "out of memory converting UTF-16");
    unsigned char *o = buf;
    size_t bad = 0;
    for (size_t i = 0; i < units; i++) {
        uint32_t u = be ? (uint32_t)(s[2 * i] << 8 | s[2 * i + 1])
                        : (uint32_t)(s[2 * i + 1] << 8 | s[2 * i]);
        if (u >= 0xD800 && u <= 0xDBFF && i + 1 < units) {
            uint32_t v = be ? (uint32_t)(s[2 * i + 2] << 8 | s[2 * i + 3])
                            : (uint32_t)(s[2 * i + 3] << 8 | s[2 * i + 2]);
            if (v >= 0xDC00 && v <= 0xDFFF) {
                o = put_cp(o, 0x10000 + ((u - 0xD800) << 10) + (v - 0xDC00));
                i++;
                continue;
            }
        }
        if (u >= 0xD800 && u <= 0xDFFF) {
            u = 0xFFFD;
            bad++;
        }
        if (u == 0) {
            bad++;
            continue;
        }
        o = put_cp(o, u);
    }
    if (bad || (n & 1))
        pol__warn(run, "%zu broken UTF-16 code units replaced or dropped%s", bad,
                  (n & 1) ? "; odd final byte dropped" : "");
    *out = buf;
    *out_len = (size_t)(o - buf);
    buf[*out_len] = '\0';
    return POL_OK;
}

pol_status pol__to_utf8(pol_run *run, unsigned char *buf, size_t len, unsigned char **out,
                        size_t *out_off, size_t *out_len, char name[16])
{
    *out = buf;
    *out_off = 0;
    *out_len = len;
    int le = len >= 2 && buf[0] == 0xFF && buf[1] == 0xFE;
    int be = len >= 2 && buf[0] == 0xFE && buf[1] == 0xFF;
    if (!le && !be && len >= 4 && !(len & 1)) {
        /* UTF-16 without a BOM: ASCII text gives a NUL in every other byte. */
        size_t even = 0, odd = 0, m = len < 4096 ? len : 4096;
        for (size_t i = 0; i + 1 < m; i += 2) {
            even += buf[i] == 0;
            odd += buf[i + 1] == 0;
        }
        if (odd * 3 > m && even == 0)
            le = 2;
        else if (even * 3 > m && odd == 0)
            be = 2;
    }
    if (le || be) {
        size_t skip = (le == 1 || be == 1) ? 2 : 0;
        unsigned char *u8 = NULL;
        size_t n8 = 0;
        pol_status st = from_utf16(run, buf + skip, len - skip, be != 0, &u8, &n8);
        free(buf);
        if (st) {
            *out = NULL;
            return st;
        }
        snprintf(name, 16, "%s", be ? "utf-16be" : "utf-16le");
        *out = u8;
        *out_len = n8;
        return POL_OK;
    }
    size_t off = 0;
    if (len >= 3 && buf[0] == 0xEF && buf[1] == 0xBB && buf[2] == 0xBF) off = 3;
    /* Stray NUL bytes would cut cells short; they carry no text, so they go (and are counted). */
    if (memchr(buf + off, 0, len - off)) {
        size_t w = off, dropped = 0;
        for (size_t i = off; i < len; i++)
            if (buf[i])
                buf[w++] = buf[i];
            else
                dropped++;
        len = w;
        buf[len] = '\0';
        pol__warn(run, "%zu NUL bytes removed", dropped);
    }
    if (pol__utf8_valid(buf + off, len - off)) {
        snprintf(name, 16, "%s", off ? "utf-8-bom" : "utf-8");
        *out_off = off;
        *out_len = len - off;
        return POL_OK;
    }
    /* Not UTF-8: Windows-1252, the usual encoding of spreadsheets saved "as CSV" on Windows. */
    size_t high = 0;
    for (size_t i = off; i < len; i++) high += buf[i] >= 0x80;
    size_t cap = len - off + high * 2;
    unsigned char *u8 = malloc(cap + 2);
    if (!u8) return pol__fail(run, POL_ERR_NOMEM, "out of memory converting Windows-1252");
    unsigned char *o = u8;
    for (size_t i = off; i < len; i++) {
        unsigned char c = buf[i];
        if (c < 0x80)
            *o++ = c;
        else
            o = put_cp(o, c < 0xA0 ? cp1252_high[c - 0x80] : c);
    }
    free(buf);
    *out = u8;
    *out_len = (size_t)(o - u8);
    u8[*out_len] = '\0';
    snprintf(name, 16, "windows-1252");
    return POL_OK;
}

/* ---- cleaning text -------------------------------------------------------------------------- */

/* 1: a space of some kind; 2: an invisible character to drop; 0: keep. */
static int kind_of(utf8proc_int32_t cp)
{
    switch (cp) {
    case 0x00A0:
    case 0x1680:
    case 0x2028:
    case 0x2029:
    case 0x202F:
    case 0x205F:
    case 0x3000:
        return 1;
    case 0x200B:
    case 0x2060:
    case 0xFEFF:
    case 0x00AD:
    case 0x180E:
        return 2;
    default:
        if (cp >= 0x2000 && cp <= 0x200A) return 1;
        if (cp >= 0x80 && cp <= 0x9F) return 2; /* C1 controls */
        return 0;
    }
}

size_t pol__text_clean(const char *in, size_t n, char *out, size_t cap, int collapse)
{
    const unsigned char *s = (const unsigned char *)in;
    size_t o = 0;
    int pending = 0, non_ascii = 0;
    if (cap < n + 1) return (size_t)-1;
    for (size_t i = 0; i < n;) {
        unsigned char c = s[i];
        if (c > 0x20 && c < 0x7F) {
            /* A run of visible ASCII: copied in one go. */
            if (pending && o) out[o++] = ' ';
            pending = 0;
            size_t st = i;
            while (i < n && s[i] > 0x20 && s[i] < 0x7F) i++;
            memcpy(out + o, s + st, i - st);
            o += i - st;
            continue;
        }
        if (c < 0x80) {
            i++;
            if (c == ' ' || c == '\t' ||
                ((c == '\n' || c == '\r' || c == '\v' || c == '\f') && collapse)) {
                pending = 1;
                continue;
            }
            if ((c < 0x20 && c != '\n' && c != '\r') || c == 0x7F) continue;
            if (pending && o) out[o++] = ' ';
            pending = 0;
            out[o++] = (char)c;
            continue;
        }
        utf8proc_int32_t cp;
        utf8proc_ssize_t k = utf8proc_iterate(s + i, (utf8proc_ssize_t)(n - i), &cp);
        if (k <= 0) {
            /* Not UTF-8: keep the byte, nothing is lost. */
            if (pending && o) out[o++] = ' ';
            pending = 0;
            out[o++] = (char)c;
            i++;
            continue;
        }
        int kind = kind_of(cp);
        if (kind == 1) {
            pending = 1;
        } else if (kind == 0) {
            if (pending && o) out[o++] = ' ';
            pending = 0;
            memcpy(out + o, s + i, (size_t)k);
            o += (size_t)k;
            non_ascii = 1;
        }
        i += (size_t)k;
    }
    out[o] = '\0';
    if (!non_ascii) return o;
    /* Compose (NFC) so "é" typed as e + combining accent equals the precomposed one. */
    utf8proc_uint8_t *nfc = NULL;
    utf8proc_ssize_t r = utf8proc_map((const utf8proc_uint8_t *)out, (utf8proc_ssize_t)o, &nfc,
                                      UTF8PROC_STABLE | UTF8PROC_COMPOSE);
    if (r < 0) return o; /* invalid UTF-8 inside: leave it uncomposed */
    if ((size_t)r + 1 > cap) {
        free(nfc);
        return (size_t)-1;
    }
    memcpy(out, nfc, (size_t)r + 1);
    free(nfc);
    return (size_t)r;
}
