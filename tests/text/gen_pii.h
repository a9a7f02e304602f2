/* polish — tests: generated text with known PII spans (and look-alikes that are not PII: order
 * and tracking numbers, GUIDs, cards failing Luhn, prices, times, version numbers, dates that are
 * not birth dates), for entity-level precision/recall and the leak rate of text.redact. Shared by
 * tests/text/test_redact_eval.c and bench/text. */
#ifndef POLISH_TESTS_GEN_PII_H
#define POLISH_TESTS_GEN_PII_H

#pragma GCC diagnostic ignored "-Wunused-function" /* each user takes what it needs */

#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include "gen_check.h" /* gc_rng */
#include "text/redact.h"

typedef struct gp_span {
    size_t start, end;
    pol__pii type;
} gp_span;

typedef struct gp_doc {
    char text[2048];
    size_t len;
    gp_span s[16];
    int n;
    gp_span decoy[16]; /* look-alikes that must survive redaction */
    int nd;
} gp_doc;

static void gp_lit(gp_doc *d, const char *s)
{
    d->len += (size_t)snprintf(d->text + d->len, sizeof d->text - d->len, "%s", s);
}

static void gp_pii(gp_doc *d, pol__pii t, const char *v)
{
    if (d->n < 16) d->s[d->n++] = (gp_span){d->len, d->len + strlen(v), t};
    gp_lit(d, v);
}

static void gp_decoy(gp_doc *d, const char *v)
{
    if (d->nd < 16) d->decoy[d->nd++] = (gp_span){d->len, d->len + strlen(v), POL_PII_COUNT};
    gp_lit(d, v);
}

static void gp_luhn_complete(char *d, int n) /* d has n-1 digits; appends the check digit */
{
    int sum = 0;
    for (int i = 0; i < n - 1; i++) {
        int v = d[n - 2 - i] - '0';
        if (!(i & 1)) {
            v *= 2;
            if (v > 9) v -= 9;
        }
        sum += v;
    }
    d[n - 1] = (char)('0' + (10 - sum % 10) % 10);
    d[n] = '\0';
}

static void gp_card(gc_rng *r, char *out, int valid)
{
    char d[20];
    int kind = gc_int(r, 0, 2), n = kind == 2 ? 15 : 16;
    if (kind == 0) d[0] = '4';
    else if (kind == 1) d[0] = '5', d[1] = (char)('1' + gc_int(r, 0, 4));
    else d[0] = '3', d[1] = gc_int(r, 0, 1) ? '4' : '7';
    for (int i = kind == 0 ? 1 : 2; i < n - 1; i++) d[i] = (char)('0' + gc_int(r, 0, 9));
    gp_luhn_complete(d, n);
    if (!valid) d[n - 1] = (char)('0' + (d[n - 1] - '0' + 1 + gc_int(r, 0, 8)) % 10);
    int style = gc_int(r, 0, 2);
    size_t k = 0;
    for (int i = 0; i < n; i++) {
        if (style && i && (n == 15 ? (i == 4 || i == 10) : i % 4 == 0)) out[k++] = style == 1 ? ' ' : '-';
        out[k++] = d[i];
    }
    out[k] = '\0';
}

static void gp_iban(gc_rng *r, char *out)
{
    /* GB: GBkk BANK 6 digits sort code + 8 digits account; DE: DEkk 18 digits */
    char bban[40];
    const char *cc = gc_int(r, 0, 1) ? "GB" : "DE";
    size_t k = 0;
    if (cc[0] == 'G') {
        for (int i = 0; i < 4; i++) bban[k++] = (char)('A' + gc_int(r, 0, 25));
        for (int i = 0; i < 14; i++) bban[k++] = (char)('0' + gc_int(r, 0, 9));
    } else {
        for (int i = 0; i < 18; i++) bban[k++] = (char)('0' + gc_int(r, 0, 9));
    }
    bban[k] = '\0';
    /* check digits: 98 - (bban + cc + "00") mod 97 */
    char tmp[64];
    snprintf(tmp, sizeof tmp, "%s%s00", bban, cc);
    int rem = 0;
    for (const char *p = tmp; *p; p++) {
        if (*p >= '0' && *p <= '9') rem = (rem * 10 + (*p - '0')) % 97;
        else rem = (rem * 100 + (*p - 'A' + 10)) % 97;
    }
    int check = 98 - rem;
    char raw[48];
    snprintf(raw, sizeof raw, "%s%02d%s", cc, check, bban);
    int spaced = gc_int(r, 0, 1);
    size_t o = 0;
    for (size_t i = 0; raw[i]; i++) {
        if (spaced && i && i % 4 == 0) out[o++] = ' ';
        out[o++] = raw[i];
    }
    out[o] = '\0';
}

static const char *const gp_first[] = {"Sarah", "James", "Maria", "David", "Aisha", "Tom",
                                       "Priya", "Lukas", "Emma", "Carlos", "Grace", "Omar"};
static const char *const gp_last[] = {"Connor", "Whitfield", "Lopez", "Okafor", "Brennan",
                                      "Kowalski", "Haddad", "Moreau", "Lindqvist", "Reyes"};
static const char *const gp_streets[] = {"Maple", "Oak", "Cedar", "Elm", "Harbor", "Sunset",
                                         "Pine", "Lake View", "Hillcrest", "Main"};
static const char *const gp_stypes[] = {"Street", "Avenue", "Road", "Lane", "Drive", "Blvd",
                                        "St", "Ave", "Court", "Way"};
static const char *const gp_domains[] = {"gmail.com", "example.org", "outlook.com",
                                         "yahoo.co.uk", "acme-corp.io"};
static const char *const gp_months[] = {"January", "February", "March", "April", "May", "June",
                                        "July", "August", "September", "October", "November",
                                        "December"};

/* One message of 3-6 sentences mixing PII and look-alikes. */
static void gp_make(gp_doc *d, gc_rng *r)
{
    memset(d, 0, sizeof *d);
    char v[128];
    int fi = gc_int(r, 0, 11), la = gc_int(r, 0, 9);
    int k = gc_int(r, 3, 6);
    for (int i = 0; i < k; i++) {
        if (i) gp_lit(d, " ");
        switch (gc_int(r, 0, 15)) {
        case 0:
            gp_lit(d, gc_int(r, 0, 1) ? "Hi, my name is " : "Hello, this is ");
            snprintf(v, sizeof v, "%s %s", gp_first[fi], gp_last[la]);
            gp_pii(d, POL_PII_NAME, v);
            gp_lit(d, ".");
            break;
        case 1: {
            const char *fmt = gc_int(r, 0, 1) ? "%s.%s@%s" : "%s%s@%s";
            char a[32], b[32];
            snprintf(a, sizeof a, "%s", gp_first[fi]);
            snprintf(b, sizeof b, "%s", gp_last[la]);
            for (char *p = a; *p; p++) *p = (char)(*p | 32);
            for (char *p = b; *p; p++) *p = (char)(*p | 32);
            snprintf(v, sizeof v, fmt, a, b, gp_domains[gc_int(r, 0, 4)]);
            gp_lit(d, "You can email me at ");
            gp_pii(d, POL_PII_EMAIL, v);
            gp_lit(d, ".");
            break;
        }
        case 2: {
            static const int areas[] = {202, 212, 312, 415, 617, 646, 713, 303, 206, 404};
            int a = areas[gc_int(r, 0, 9)], ex = gc_int(r, 200, 989), ln = gc_int(r, 1000, 9999);
            switch (gc_int(r, 0, 3)) {
            case 0: snprintf(v, sizeof v, "(%d) %d-%04d", a, ex, ln); break;
            case 1: snprintf(v, sizeof v, "%d-%d-%04d", a, ex, ln); break;
            case 2: snprintf(v, sizeof v, "+1 %d %d %04d", a, ex, ln); break;
            default: snprintf(v, sizeof v, "%d.%d.%04d", a, ex, ln);
            }
            gp_lit(d, gc_int(r, 0, 1) ? "Call me on " : "My cell is ");
            gp_pii(d, POL_PII_PHONE, v);
            gp_lit(d, ".");
            break;
        }
        case 3:
            snprintf(v, sizeof v, "+44 20 7946 %04d", gc_int(r, 0, 999));
            gp_lit(d, "From abroad, ring ");
            gp_pii(d, POL_PII_PHONE, v);
            gp_lit(d, ".");
            break;
        case 4:
            gp_card(r, v, 1);
            gp_lit(d, "Please charge my card ");
            gp_pii(d, POL_PII_CARD, v);
            gp_lit(d, ".");
            break;
        case 5:
            gp_iban(r, v);
            gp_lit(d, "Refund to IBAN ");
            gp_pii(d, POL_PII_IBAN, v);
            gp_lit(d, " please.");
            break;
        case 6: {
            int area;
            do area = gc_int(r, 1, 899);
            while (area == 666);
            snprintf(v, sizeof v, "%03d-%02d-%04d", area, gc_int(r, 1, 99), gc_int(r, 1, 9999));
            gp_lit(d, "My SSN is ");
            gp_pii(d, POL_PII_SSN, v);
            gp_lit(d, ".");
            break;
        }
        case 7:
            if (gc_int(r, 0, 3)) {
                snprintf(v, sizeof v, "%d.%d.%d.%d", gc_int(r, 1, 223), gc_int(r, 0, 255),
                         gc_int(r, 0, 255), gc_int(r, 1, 254));
            } else {
                snprintf(v, sizeof v, "2001:db8:%x::%x", gc_int(r, 1, 0xffff), gc_int(r, 1, 0xfff));
            }
            gp_lit(d, "The login came from ");
            gp_pii(d, POL_PII_IP, v);
            gp_lit(d, ".");
            break;
        case 8:
            snprintf(v, sizeof v, "%d %s %s", gc_int(r, 1, 9899), gp_streets[gc_int(r, 0, 9)],
                     gp_stypes[gc_int(r, 0, 9)]);
            gp_lit(d, "Ship it to ");
            gp_pii(d, POL_PII_ADDRESS, v);
            gp_lit(d, ".");
            break;
        case 9:
            if (gc_int(r, 0, 1))
                snprintf(v, sizeof v, "%s %d, %d", gp_months[gc_int(r, 0, 11)], gc_int(r, 1, 28), gc_int(r, 1940, 2005));
            else
                snprintf(v, sizeof v, "%02d/%02d/%d", gc_int(r, 1, 12), gc_int(r, 1, 28), gc_int(r, 1940, 2005));
            gp_lit(d, gc_int(r, 0, 1) ? "I was born on " : "Date of birth: ");
            gp_pii(d, POL_PII_DOB, v);
            gp_lit(d, ".");
            break;
        case 10:
            gp_lit(d, "Thanks, ");
            gp_pii(d, POL_PII_NAME, gp_first[gc_int(r, 0, 11)]);
            break;
        /* look-alikes: none of these is PII */
        case 11: {
            char c[24];
            gp_card(r, c, 1);
            size_t o = 0;
            for (const char *p = c; *p; p++)
                if (*p >= '0' && *p <= '9') v[o++] = *p;
            v[o] = '\0';
            gp_lit(d, "My order #");
            gp_decoy(d, v);
            gp_lit(d, " has not arrived.");
            break;
        }
        case 12:
            snprintf(v, sizeof v, "%08x-%04x-%04x-%04x-%04x%08x", gc_next(r), gc_int(r, 0, 0xffff),
                     gc_int(r, 0, 0xffff), gc_int(r, 0, 0xffff), gc_int(r, 0, 0xffff), gc_next(r));
            gp_lit(d, "The ticket id is ");
            gp_decoy(d, v);
            gp_lit(d, ".");
            break;
        case 13:
            gp_card(r, v, 0);
            gp_lit(d, "Reference ");
            gp_decoy(d, v);
            gp_lit(d, " is on the invoice.");
            break;
        case 14:
            snprintf(v, sizeof v, "The delivery on %s %d costs $%d.%02d and arrives at %d:%02dpm.",
                     gp_months[gc_int(r, 0, 11)], gc_int(r, 1, 28), gc_int(r, 5, 90), gc_int(r, 0, 99),
                     gc_int(r, 1, 11), gc_int(r, 0, 59));
            gp_lit(d, v);
            break;
        default:
            gp_lit(d, "I updated the app to version ");
            snprintf(v, sizeof v, "%d.%d.%d.%d", gc_int(r, 1, 9), gc_int(r, 0, 20), gc_int(r, 0, 9),
                     gc_int(r, 0, 99));
            gp_decoy(d, v);
            gp_lit(d, " and tracking number ");
            snprintf(v, sizeof v, "1Z%06d%010d", gc_int(r, 0, 999999), gc_int(r, 0, 999999999));
            gp_decoy(d, v);
            gp_lit(d, " shows nothing.");
        }
    }
}

#endif
