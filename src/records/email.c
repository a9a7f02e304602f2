/* polish — email addresses: trim, lowercase, syntax, common domain misspellings. */
#include <ctype.h>
#include <string.h>
#include <strings.h>
#include "records/std.h"

/* Misspellings seen in web-form data, each unambiguous (no real mailbox provider lives there). */
static const struct {
    const char *typo, *fix;
} typos[] = {
    {"gmial.com", "gmail.com"},
    {"gamil.com", "gmail.com"},
    {"gmai.com", "gmail.com"},
    {"gmail.co", "gmail.com"},
    {"gmail.cm", "gmail.com"},
    {"gmaill.com", "gmail.com"},
    {"gmal.com", "gmail.com"},
    {"gnail.com", "gmail.com"},
    {"gmail.con", "gmail.com"},
    {"gmail.om", "gmail.com"},
    {"gmail.cmo", "gmail.com"},
    {"gmali.com", "gmail.com"},
    {"gmsil.com", "gmail.com"},
    {"gmaul.com", "gmail.com"},
    {"gmail.comm", "gmail.com"},
    {"gmailcom", "gmail.com"},
    {"g-mail.com", "gmail.com"},
    {"gmil.com", "gmail.com"},
    {"hotmial.com", "hotmail.com"},
    {"hotmal.com", "hotmail.com"},
    {"hotmai.com", "hotmail.com"},
    {"hotmail.co", "hotmail.com"},
    {"hotmail.con", "hotmail.com"},
    {"hotmil.com", "hotmail.com"},
    {"homail.com", "hotmail.com"},
    {"hotamil.com", "hotmail.com"},
    {"hotmaill.com", "hotmail.com"},
    {"hotnail.com", "hotmail.com"},
    {"yaho.com", "yahoo.com"},
    {"yahooo.com", "yahoo.com"},
    {"yhoo.com", "yahoo.com"},
    {"yahoo.co", "yahoo.com"},
    {"yahoo.con", "yahoo.com"},
    {"yaoo.com", "yahoo.com"},
    {"yahho.com", "yahoo.com"},
    {"yahoo.cm", "yahoo.com"},
    {"uahoo.com", "yahoo.com"},
    {"outlok.com", "outlook.com"},
    {"outloo.com", "outlook.com"},
    {"outlook.co", "outlook.com"},
    {"outllok.com", "outlook.com"},
    {"outlook.con", "outlook.com"},
    {"iclod.com", "icloud.com"},
    {"icloud.co", "icloud.com"},
    {"icoud.com", "icloud.com"},
    {"icloud.con", "icloud.com"},
    {"aol.co", "aol.com"},
    {"aol.con", "aol.com"},
    {"aoll.com", "aol.com"},
    {"comcast.com", "comcast.net"},
    {"comcast.ner", "comcast.net"},
    {"verizon.com", "verizon.net"},
    {"sbcglobal.com", "sbcglobal.net"},
    {"att.com", "att.net"},
};

/* Providers a near-miss (one edit away) is checked against; long names only, so two real short
 * domains one letter apart are never "corrected" into each other. */
static const char *const popular[] = {
    "gmail.com",     "yahoo.com",      "hotmail.com",   "outlook.com",    "icloud.com",
    "comcast.net",   "verizon.net",    "sbcglobal.net", "protonmail.com", "bellsouth.net",
    "charter.net",   "hotmail.co.uk",  "yahoo.co.uk",   "btinternet.com", "googlemail.com",
    "earthlink.net", "optonline.net",  "live.com",      "msn.com",        "aol.com",
    "ymail.com",     "me.com",         "mail.com",      "cox.net",        "att.net",
    "email.com",     "gmx.com",        "gmx.net",       "mac.com",        "zoho.com",
    "fastmail.com",  "yandex.com",     "hotmail.fr",    "yahoo.fr",       "yahoo.ca",
    "live.co.uk",    "rocketmail.com", "hushmail.com",  "inbox.com",      "juno.com",
};

/* Damerau-Levenshtein distance up to 1 (transposition counts as one). */
static int within_one(const char *a, size_t la, const char *b, size_t lb)
{
    if (la > lb + 1 || lb > la + 1) return 0;
    size_t i = 0;
    while (i < la && i < lb && a[i] == b[i]) i++;
    if (i == la && i == lb) return 1;
    if (la == lb) {
        if (strcmp(a + i + 1, b + i + 1) == 0) return 1; /* substitution */
        return i + 1 < la && a[i] == b[i + 1] && a[i + 1] == b[i] &&
               strcmp(a + i + 2, b + i + 2) == 0; /* transposition */
    }
    if (la > lb) return strcmp(a + i + 1, b + i) == 0;
    return strcmp(a + i, b + i + 1) == 0;
}

static const char *typo_fix(const char *domain)
{
    /* Most addresses are at a well-known provider: settle those first. */
    for (size_t i = 0; i < sizeof popular / sizeof popular[0]; i++)
        if (strcmp(domain, popular[i]) == 0) return NULL;
    for (size_t i = 0; i < sizeof typos / sizeof typos[0]; i++)
        if (strcmp(domain, typos[i].typo) == 0) return typos[i].fix;
    size_t l = strlen(domain);
    for (size_t i = 0; i < sizeof popular / sizeof popular[0]; i++) {
        size_t pl = strlen(popular[i]);
        if (pl >= 9 && within_one(domain, l, popular[i], pl)) return popular[i];
    }
    /* ".con", ".cmo", ".ocm" ... are no top-level domains: ".com" was meant. */
    static const char *const bad_tld[] = {".con",  ".cmo",  ".ocm", ".vom", ".xom",
                                          ".comm", ".coom", ".c0m", ".cpm"};
    for (size_t i = 0; i < sizeof bad_tld / sizeof bad_tld[0]; i++) {
        size_t tl = strlen(bad_tld[i]);
        if (l > tl && strcmp(domain + l - tl, bad_tld[i]) == 0) return ".com";
    }
    return NULL;
}

static int local_char(unsigned char c)
{
    return isalnum(c) || c >= 0x80 || (c && strchr("!#$%&'*+/=?^_`{|}~.-", c));
}

/* Dot-separated labels of letters, digits, hyphens (not at either end), a letter TLD. */
static int domain_ok(const char *d, size_t n)
{
    if (n < 3 || n > 253) return 0;
    size_t label = 0, labels = 0, last_start = 0;
    for (size_t i = 0; i <= n; i++) {
        unsigned char c = i < n ? (unsigned char)d[i] : '.';
        if (c == '.') {
            if (label == 0 || label > 63 || d[i - 1] == '-') return 0;
            labels++;
            label = 0;
            last_start = i + 1;
            continue;
        }
        if (!(isalnum(c) || c == '-' || c >= 0x80)) return 0;
        if (label == 0 && c == '-') return 0;
        label++;
    }
    (void)last_start;
    if (labels < 2) return 0;
    /* The top-level domain: letters (or an IDN "xn--" label). */
    const char *tld = strrchr(d, '.');
    size_t tl = n - (size_t)(tld + 1 - d);
    if (tl < 2) return 0;
    if (strncmp(tld + 1, "xn--", 4) == 0) return 1;
    for (size_t i = 1; i <= tl; i++)
        if (!isalpha((unsigned char)tld[i]) && (unsigned char)tld[i] < 0x80) return 0;
    return 1;
}

pol__email_status pol__email_std(const char *in, size_t n, char *out, size_t cap, const char **typo)
{
    *typo = NULL;
    if (cap) out[0] = '\0';
    while (n && (unsigned char)in[n - 1] <= ' ') n--;
    while (n && (unsigned char)*in <= ' ') in++, n--;
    if (n >= 7 && strncasecmp(in, "mailto:", 7) == 0) in += 7, n -= 7;
    /* "John <john@x.com>": the address is inside the brackets. */
    const char *lt = memchr(in, '<', n);
    if (lt) {
        const char *gt = memchr(lt, '>', n - (size_t)(lt - in));
        if (gt) {
            n = (size_t)(gt - lt - 1);
            in = lt + 1;
        }
    }
    if (!n) return POL_EMAIL_EMPTY;
    if (n + 1 > cap) return POL_EMAIL_INVALID;
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)in[i];
        /* Spaces around the '@' are typing slips; elsewhere they make the address invalid. */
        if (c == ' ' && ((i + 1 < n && in[i + 1] == '@') || (o && out[o - 1] == '@'))) continue;
        out[o++] = (char)tolower(c);
    }
    while (o && out[o - 1] == '.') o--; /* "gmail.com." */
    out[o] = '\0';
    char *at = strchr(out, '@');
    if (!at || strchr(at + 1, '@')) return POL_EMAIL_INVALID;
    size_t ll = (size_t)(at - out);
    if (ll == 0 || ll > 64 || out[0] == '.' || at[-1] == '.' || strstr(out, "..")) {
        return POL_EMAIL_INVALID;
    }
    for (size_t i = 0; i < ll; i++)
        if (!local_char((unsigned char)out[i])) return POL_EMAIL_INVALID;
    char *dom = at + 1;
    /* "gmail,com": a comma typed for the dot. */
    for (char *p = dom; *p; p++)
        if (*p == ',') *p = '.';
    *typo = typo_fix(dom);
    if (!domain_ok(dom, strlen(dom))) {
        /* "user@gmailcom": still a fixable typo even though the domain is not valid. */
        return *typo ? POL_EMAIL_OK : POL_EMAIL_INVALID;
    }
    return POL_EMAIL_OK;
}

int pol__email_fix_domain(char *email, size_t cap, const char *domain)
{
    char *at = strchr(email, '@');
    if (!at || !domain) return -1;
    char *dom = at + 1;
    if (domain[0] == '.') {
        /* A top-level domain fix: replace the last label. */
        char *dot = strrchr(dom, '.');
        if (!dot) return -1;
        size_t need = (size_t)(dot - email) + strlen(domain) + 1;
        if (need > cap) return -1;
        memcpy(dot, domain, strlen(domain) + 1);
        return 0;
    }
    size_t need = (size_t)(dom - email) + strlen(domain) + 1;
    if (need > cap) return -1;
    memcpy(dom, domain, strlen(domain) + 1);
    return 0;
}
