/* polish — dates: many input forms to ISO 8601 with a region-dependent day/month order. */
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include "records/std.h"

pol__date_order pol__date_order_of(const char *region)
{
    /* Month first: the US and a few places that follow it; year first: East Asia. */
    static const char *const mdy[] = {"US", "PH", "PR", "GU", "AS", "MP",
                                      "VI", "UM", "FM", "PW", "MH", "BZ"};
    static const char *const ymd[] = {"CN", "JP", "KR", "TW", "HU", "LT", "MN", "IR"};
    if (!region || !*region) return POL_DATE_MDY;
    for (size_t i = 0; i < sizeof mdy / sizeof mdy[0]; i++)
        if (strcasecmp(region, mdy[i]) == 0) return POL_DATE_MDY;
    for (size_t i = 0; i < sizeof ymd / sizeof ymd[0]; i++)
        if (strcasecmp(region, ymd[i]) == 0) return POL_DATE_YMD;
    return POL_DATE_DMY;
}

/* Two digits of 0..99. */
static char *put2(char *o, int v)
{
    o[0] = (char)('0' + (v / 10) % 10);
    o[1] = (char)('0' + v % 10);
    return o + 2;
}

/* "YYYY-MM-DD" + tail into out[32]; y, m, d already validated. */
static void put_date(char *out, int y, int m, int d, const char *tail)
{
    char *o = out;
    o = put2(o, y / 100);
    o = put2(o, y % 100);
    *o++ = '-';
    o = put2(o, m);
    *o++ = '-';
    o = put2(o, d);
    size_t tl = strlen(tail);
    if (tl > 20) tl = 20;
    memcpy(o, tail, tl);
    o[tl] = '\0';
}

static int leap(int y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int valid_ymd(int y, int m, int d)
{
    static const int days[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (y < 1000 || y > 2999 || m < 1 || m > 12 || d < 1) return 0;
    return d <= days[m - 1] + (m == 2 && leap(y));
}

/* Two-digit years: 00-29 are this century, 30-99 the last (birth dates and sign-ups both fit). */
static int full_year(int y, int digits)
{
    return digits == 2 ? (y <= 29 ? 2000 + y : 1900 + y) : y;
}

static int month_of(const char *s, size_t n)
{
    static const char *const names[12][4] = {
        {"january", "jan", "janvier", "januar"},
        {"february", "feb", "fevrier", "februar"},
        {"march", "mar", "mars", "marz"},
        {"april", "apr", "avril", "abril"},
        {"may", "mai", "mayo", ""},
        {"june", "jun", "juin", "juni"},
        {"july", "jul", "juillet", "juli"},
        {"august", "aug", "aout", "agosto"},
        {"september", "sep", "sept", "septembre"},
        {"october", "oct", "octobre", "oktober"},
        {"november", "nov", "novembre", ""},
        {"december", "dec", "decembre", "dezember"},
    };
    char b[16];
    if (n >= sizeof b) return 0;
    for (size_t i = 0; i < n; i++) b[i] = (char)tolower((unsigned char)s[i]);
    b[n] = '\0';
    if (n > 0 && b[n - 1] == '.') b[--n] = '\0';
    for (int m = 0; m < 12; m++)
        for (int k = 0; k < 4; k++)
            if (names[m][k][0] && strcmp(b, names[m][k]) == 0) return m + 1;
    return 0;
}

typedef struct tok {
    int num;    /* value when digits */
    int digits; /* number of digits, 0 for a word */
    int month;  /* month number when a month name */
    const char *s;
    size_t n;
} tok;

static int is_weekday(const char *s, size_t n)
{
    static const char *const days[] = {
        "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday", "mon", "tue",
        "tues",   "wed",     "thu",       "thur",     "thurs",  "fri",      "sat",    "sun"};
    char b[16];
    if (n >= sizeof b) return 0;
    for (size_t i = 0; i < n; i++) b[i] = (char)tolower((unsigned char)s[i]);
    b[n] = '\0';
    if (n && b[n - 1] == '.') b[n - 1] = '\0';
    for (size_t i = 0; i < sizeof days / sizeof days[0]; i++)
        if (strcmp(b, days[i]) == 0) return 1;
    return 0;
}

/* Time of day after the date ("13:45", "1:45 PM", "T13:45:10Z", "13:45:10+02:00"): normalised
 * into out as "THH:MM[:SS]" plus the zone. Returns 1 when the rest is a time (or empty). */
static int read_time(const char *s, size_t n, char *out, size_t cap)
{
    size_t i = 0;
    out[0] = '\0';
    while (i < n && (s[i] == ' ' || s[i] == 'T' || s[i] == 't' || s[i] == ',')) i++;
    if (i == n) return 1;
    int v[3] = {0, 0, -1}, k = 0;
    while (k < 3 && i < n && isdigit((unsigned char)s[i])) {
        int d = 0, x = 0;
        while (i < n && isdigit((unsigned char)s[i]) && d < 2) x = x * 10 + (s[i++] - '0'), d++;
        v[k++] = x;
        if (i < n && s[i] == ':')
            i++;
        else
            break;
    }
    if (k < 2) return 0;
    if (i < n && s[i] == '.') { /* fractional seconds are dropped */
        i++;
        while (i < n && isdigit((unsigned char)s[i])) i++;
    }
    while (i < n && s[i] == ' ') i++;
    if (i + 1 < n && (s[i] == 'p' || s[i] == 'P') && (s[i + 1] == 'm' || s[i + 1] == 'M')) {
        if (v[0] < 12) v[0] += 12;
        i += 2;
    } else if (i + 1 < n && (s[i] == 'a' || s[i] == 'A') && (s[i + 1] == 'm' || s[i + 1] == 'M')) {
        if (v[0] == 12) v[0] = 0;
        i += 2;
    }
    if (v[0] > 23 || v[1] > 59 || v[2] > 60) return 0;
    while (i < n && s[i] == ' ') i++;
    char zone[8] = "";
    if (i < n && (s[i] == 'Z' || s[i] == 'z') && i + 1 == n) {
        snprintf(zone, sizeof zone, "Z");
        i++;
    } else if (i < n && (s[i] == '+' || s[i] == '-')) {
        char sign = s[i++];
        int z[2] = {0, 0}, zk = 0, d = 0;
        while (i < n && zk < 2) {
            if (isdigit((unsigned char)s[i])) {
                z[zk] = z[zk] * 10 + (s[i] - '0');
                if (++d == 2) zk++, d = 0;
            } else if (s[i] != ':') {
                return 0;
            }
            i++;
        }
        if (z[0] > 14 || z[1] > 59) return 0;
        zone[0] = sign;
        put2(zone + 1, z[0]);
        zone[3] = ':';
        put2(zone + 4, z[1]);
        zone[6] = '\0';
    }
    if (i != n) return 0;
    char *o = out;
    (void)cap; /* "THH:MM:SS+HH:MM" is 15 bytes; callers give 24 */
    *o++ = 'T';
    o = put2(o, v[0]);
    *o++ = ':';
    o = put2(o, v[1]);
    if (v[2] >= 0) {
        *o++ = ':';
        o = put2(o, v[2]);
    }
    memcpy(o, zone, strlen(zone) + 1);
    return 1;
}

int pol__date_iso(const char *in, size_t n, pol__date_order order, char out[32])
{
    out[0] = '\0';
    while (n && (unsigned char)in[n - 1] <= ' ') n--;
    while (n && (unsigned char)*in <= ' ') in++, n--;
    if (n < 6 || n > 64) return 0;
    /* Compact digits: 20200304 or FEBRL's 19081209; DDMMYYYY/MMDDYYYY when that is no year. */
    size_t nd = 0;
    while (nd < n && isdigit((unsigned char)in[nd])) nd++;
    if (nd == n && n == 8) {
        int a = (in[0] - '0') * 1000 + (in[1] - '0') * 100 + (in[2] - '0') * 10 + (in[3] - '0');
        int b = (in[4] - '0') * 10 + (in[5] - '0'), c = (in[6] - '0') * 10 + (in[7] - '0');
        if (valid_ymd(a, b, c)) {
            put_date(out, a, b, c, "");
            return 1;
        }
        int p = (in[0] - '0') * 10 + (in[1] - '0'), q = (in[2] - '0') * 10 + (in[3] - '0');
        int y = (in[4] - '0') * 1000 + (in[5] - '0') * 100 + (in[6] - '0') * 10 + (in[7] - '0');
        int m = order == POL_DATE_MDY ? p : q, d = order == POL_DATE_MDY ? q : p;
        if (valid_ymd(y, m, d)) {
            put_date(out, y, m, d, "");
            return valid_ymd(y, d, m) && d != m ? 2 : 1;
        }
        if (valid_ymd(y, d, m)) {
            put_date(out, y, d, m, "");
            return 1;
        }
        return 0;
    }
    if (nd == n) return 0;
    /* Tokens: numbers and words, separated by / - . , and spaces; stop at a time part. */
    tok t[4];
    int nt = 0;
    size_t i = 0;
    size_t rest = n;
    while (i < n) {
        while (i < n &&
               (in[i] == ' ' || in[i] == '/' || in[i] == '-' || in[i] == '.' || in[i] == ','))
            i++;
        if (i >= n) break;
        size_t s = i;
        if (isdigit((unsigned char)in[i])) {
            int v = 0, d = 0;
            while (i < n && isdigit((unsigned char)in[i])) {
                if (d < 5) v = v * 10 + (in[i] - '0');
                d++;
                i++;
            }
            /* "4th", "21st" */
            if (i + 1 < n && isalpha((unsigned char)in[i]) && isalpha((unsigned char)in[i + 1]) &&
                (i + 2 == n || !isalpha((unsigned char)in[i + 2])) && d <= 2) {
                i += 2;
            }
            if (i < n && in[i] == ':') {
                /* A time follows (the previous number was the hour). */
                rest = s;
                break;
            }
            if (nt == 3 && (in[s - 1] == 'T' || in[s - 1] == ' ')) {
                rest = s;
                break;
            }
            if (nt == 4) return 0;
            t[nt++] = (tok){v, d, 0, in + s, i - s};
        } else if (isalpha((unsigned char)in[i])) {
            while (i < n && (isalpha((unsigned char)in[i]) || in[i] == '.')) i++;
            if (nt == 3 && (in[s] == 'T' || in[s] == 't') && i - s == 1) {
                rest = s;
                break;
            }
            int m = month_of(in + s, i - s);
            if (!m) {
                if (is_weekday(in + s, i - s) && nt == 0) continue;
                if ((i - s == 2 || i - s == 3) && nt == 3) { /* "Jan 4 2020 at" -> no */
                    return 0;
                }
                return 0;
            }
            if (nt == 4) return 0;
            t[nt++] = (tok){0, 0, m, in + s, i - s};
        } else if (in[i] == 'T' && nt == 3) {
            rest = i;
            break;
        } else {
            return 0;
        }
        if (in[s] == 'T' && nt == 3) {
            rest = i;
            break;
        }
    }
    if (nt != 3) return 0;
    char tm[24];
    if (!read_time(in + rest, n - rest, tm, sizeof tm)) return 0;
    int y = 0, m = 0, d = 0, ambiguous = 0;
    int word = t[0].month ? 0 : t[1].month ? 1 : t[2].month ? 2 : -1;
    if (word >= 0) {
        m = t[word].month;
        /* "March 4, 2020", "4 March 2020", "2020 March 4" */
        int a = (word + 1) % 3, b = (word + 2) % 3;
        if (word == 0)
            a = 1, b = 2;
        else if (word == 1)
            a = 0, b = 2;
        else
            a = 0, b = 1;
        tok x = t[a], z = t[b];
        if (x.digits == 4 || x.num > 31) {
            y = full_year(x.num, x.digits);
            d = z.num;
        } else {
            d = x.num;
            y = full_year(z.num, z.digits);
            if (z.digits != 2 && z.digits != 4) return 0;
        }
    } else {
        tok a = t[0], b = t[1], c = t[2];
        if (a.digits == 4) {
            y = a.num;
            m = b.num;
            d = c.num;
        } else if (c.digits == 4 || c.digits == 2) {
            y = full_year(c.num, c.digits);
            if (a.digits > 2 || b.digits > 2) return 0;
            int p = a.num, q = b.num;
            if (p > 12 && q <= 12) {
                d = p;
                m = q;
            } else if (q > 12 && p <= 12) {
                m = p;
                d = q;
            } else if (order == POL_DATE_DMY) {
                d = p;
                m = q;
                ambiguous = p != q;
            } else {
                m = p;
                d = q;
                ambiguous = p != q;
            }
            if (order == POL_DATE_YMD && c.digits == 2 && a.digits == 2) {
                /* 20/03/04 in a year-first region. */
                int yy = full_year(a.num, 2);
                if (valid_ymd(yy, b.num, c.num)) {
                    y = yy;
                    m = b.num;
                    d = c.num;
                    ambiguous = 1;
                }
            }
        } else {
            return 0;
        }
    }
    if (!valid_ymd(y, m, d)) return 0;
    put_date(out, y, m, d, tm);
    return ambiguous ? 2 : 1;
}
