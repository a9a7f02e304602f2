/* polish — column roles: names, header synonyms, content patterns, --map overrides. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "records/records.h"
#include "records/std.h"

static const char *const role_names[] = {
#define POL_X_ROLE(name, str) str,
    POL_ROLE_LIST(POL_X_ROLE)
#undef POL_X_ROLE
};

const char *pol__role_name(pol__role r)
{
    return (unsigned)r < POL_ROLE_COUNT ? role_names[r] : "unknown";
}

pol__role pol__role_from_name(const char *s)
{
    if (!s) return POL_ROLE_UNKNOWN;
    for (int i = 0; i < POL_ROLE_COUNT; i++)
        if (strcasecmp(s, role_names[i]) == 0) return (pol__role)i;
    /* A few spellings people type in --map. */
    static const struct {
        const char *s;
        pol__role r;
    } alias[] = {
        {"first", POL_ROLE_FIRST_NAME},     {"given_name", POL_ROLE_FIRST_NAME},
        {"last", POL_ROLE_LAST_NAME},       {"surname", POL_ROLE_LAST_NAME},
        {"name", POL_ROLE_FULL_NAME},       {"zip", POL_ROLE_POSTCODE},
        {"postal_code", POL_ROLE_POSTCODE}, {"address", POL_ROLE_STREET},
        {"organisation", POL_ROLE_COMPANY}, {"organization", POL_ROLE_COMPANY},
        {"mobile", POL_ROLE_PHONE},         {"tel", POL_ROLE_PHONE},
        {"province", POL_ROLE_STATE},       {"notes", POL_ROLE_TEXT},
        {"ignore", POL_ROLE_UNKNOWN},
    };
    for (size_t i = 0; i < POL_ARRAY_LEN(alias); i++)
        if (strcasecmp(s, alias[i].s) == 0) return alias[i].r;
    return POL_ROLE_UNKNOWN;
}

int pol__is_null_token(const char *s)
{
    while (*s == ' ') s++;
    switch (*s) { /* most cells fail here */
    case 'n':
    case 'N':
    case '-':
    case '?':
    case '#':
        break;
    default:
        return 0;
    }
    size_t n = strlen(s);
    while (n && s[n - 1] == ' ') n--;
    if (n > 4) return 0;
    static const char *const tokens[] = {"n/a", "na",  "null", "none", "nil", "-",
                                         "--",  "---", "?",    "??",   "#n/a"};
    for (size_t i = 0; i < POL_ARRAY_LEN(tokens); i++)
        if (strlen(tokens[i]) == n && strncasecmp(s, tokens[i], n) == 0) return 1;
    return 0;
}

/* ---- header names --------------------------------------------------------------------------- */

/* Header names reduced to lower-case letters and digits ("E-Mail Address" -> "emailaddress").
 * Exact matches are strong evidence; English plus the spellings common in exports from Spanish,
 * French and German CRMs and FEBRL's names. */
static const struct {
    pol__role role;
    const char *names;
} synonyms[] = {
    {POL_ROLE_FIRST_NAME, "firstname fname first givenname given forename forenames christianname "
                          "prenom vorname nombre namefirst contactfirstname leadfirstname "
                          "customerfirstname firstnames yourfirstname primero"},
    {POL_ROLE_LAST_NAME, "lastname lname last surname familyname family nachname apellido "
                         "apellidos nom namelast contactlastname leadlastname customerlastname "
                         "yourlastname secondname"},
    {POL_ROLE_FULL_NAME, "name fullname contactname contact customername customer person "
                         "clientname client leadname yourname nombrecompleto nomcomplet "
                         "displayname attendee member membername"},
    {POL_ROLE_EMAIL, "email emailaddress mail email1 email2 emailaddr emails correo "
                     "correoelectronico courriel workemail personalemail contactemail "
                     "primaryemail businessemail youremail emailid mailaddress"},
    {POL_ROLE_PHONE, "phone phonenumber telephone telephonenumber tel telefon telefono "
                     "telephone1 mobile mobilephone mobilenumber cell cellphone cellnumber "
                     "homephone workphone businessphone phone1 phone2 contactnumber mobileno "
                     "phoneno ph landline fax handy portable numero yourphone "
                     "primaryphone daytimephone"},
    {POL_ROLE_STREET, "address street streetaddress address1 addressline1 addr1 addr street1 "
                      "mailingaddress mailingstreet billingstreet billingaddress line1 strasse "
                      "direccion adresse streetline1 homeaddress postaladdress streetname "
                      "physicaladdress"},
    {POL_ROLE_STREET_NUMBER, "streetnumber housenumber streetno houseno hausnummer "
                             "streetnum buildingnumber"},
    {POL_ROLE_ADDRESS2, "address2 addressline2 addr2 street2 line2 apt suite unit apartment "
                        "aptsuite streetline2 address3 addressline3"},
    {POL_ROLE_CITY, "city town suburb locality municipality stadt ort ciudad ville billingcity "
                    "mailingcity citytown towncity suburbcity cityname"},
    {POL_ROLE_STATE, "state province region stateprovince stateregion st territory bundesland "
                     "billingstate mailingstate provincestate stateorprovince county statecode "
                     "provincia"},
    {POL_ROLE_POSTCODE, "zip zipcode postcode postalcode postal plz cp codigopostal codepostal "
                        "billingpostalcode mailingpostalcode zip4 pincode zippostalcode "
                        "postalzip postcodezip"},
    {POL_ROLE_COUNTRY, "country countrycode nation land pais pays countryregion countryname "
                       "billingcountry mailingcountry"},
    {POL_ROLE_COMPANY, "company companyname organization organisation org employer business "
                       "businessname account accountname firm firma empresa societe "
                       "entreprise unternehmen workplace"},
    {POL_ROLE_DATE, "date dob dateofbirth birthdate birthday createdat created createddate "
                    "signupdate dateadded timestamp submitted submittedat submissiondate "
                    "lastmodified modified updatedat datecreated fecha datum"},
    {POL_ROLE_ID, "id recid recordid customerid leadid contactid socsecid ssn uuid key "
                  "clientid memberid accountid externalid uid"},
    {POL_ROLE_TEXT, "notes note comments comment message description remarks source "
                    "leadsource details info memo"},
};

/* Words that, inside a longer header, point at a role ("billing_email_2", "Home Phone #"). */
static const struct {
    pol__role role;
    const char *word;
} contains[] = {
    {POL_ROLE_EMAIL, "email"},       {POL_ROLE_EMAIL, "mail"},
    {POL_ROLE_PHONE, "phone"},       {POL_ROLE_PHONE, "mobile"},
    {POL_ROLE_PHONE, "tel"},         {POL_ROLE_PHONE, "cell"},
    {POL_ROLE_FIRST_NAME, "first"},  {POL_ROLE_FIRST_NAME, "given"},
    {POL_ROLE_LAST_NAME, "last"},    {POL_ROLE_LAST_NAME, "surname"},
    {POL_ROLE_POSTCODE, "zip"},      {POL_ROLE_POSTCODE, "postal"},
    {POL_ROLE_POSTCODE, "postcode"}, {POL_ROLE_CITY, "city"},
    {POL_ROLE_STATE, "state"},       {POL_ROLE_COUNTRY, "country"},
    {POL_ROLE_COMPANY, "company"},   {POL_ROLE_STREET, "street"},
    {POL_ROLE_STREET, "address"},    {POL_ROLE_DATE, "date"},
    {POL_ROLE_DATE, "birth"},        {POL_ROLE_ID, "id"},
    {POL_ROLE_FULL_NAME, "name"},
};

static void norm_header(const char *h, char *out, size_t cap)
{
    size_t k = 0;
    for (; *h && k + 1 < cap; h++) {
        unsigned char c = (unsigned char)*h;
        if (isalnum(c))
            out[k++] = (char)tolower(c);
        else if (c == 0xC3 && h[1]) {
            /* Latin-1 letters in UTF-8 (é, ñ, ü): keep the base letter so "Teléfono" matches. */
            unsigned char d = (unsigned char)h[1];
            static const char map[] = "aaaaaaaceeeeiiiidnooooo/ouuuuyby";
            if (d >= 0xA0 && d <= 0xBF)
                out[k++] = map[d - 0xA0];
            else if (d >= 0x80 && d <= 0x9F)
                out[k++] = map[d - 0x80];
            h++;
        }
    }
    out[k] = '\0';
}

static int word_in(const char *list, const char *w)
{
    size_t n = strlen(w);
    if (!n) return 0;
    for (const char *p = list; *p;) {
        const char *e = strchr(p, ' ');
        size_t len = e ? (size_t)(e - p) : strlen(p);
        if (len == n && memcmp(p, w, n) == 0) return 1;
        if (!e) break;
        p = e + 1;
    }
    return 0;
}

/* Role from the header alone; *conf 0.9 for an exact synonym, 0.6 for a contained word. */
static pol__role role_of_header(const char *h, double *conf)
{
    char n[128];
    norm_header(h, n, sizeof n);
    *conf = 0;
    if (!*n) return POL_ROLE_UNKNOWN;
    for (size_t i = 0; i < POL_ARRAY_LEN(synonyms); i++)
        if (word_in(synonyms[i].names, n)) {
            *conf = 0.9;
            return synonyms[i].role;
        }
    /* Trailing digits ("phone2", "email_3") do not change the role. */
    char t[128];
    snprintf(t, sizeof t, "%s", n);
    size_t l = strlen(t);
    while (l > 1 && isdigit((unsigned char)t[l - 1])) t[--l] = '\0';
    for (size_t i = 0; i < POL_ARRAY_LEN(synonyms); i++)
        if (word_in(synonyms[i].names, t)) {
            *conf = 0.85;
            return synonyms[i].role;
        }
    for (size_t i = 0; i < POL_ARRAY_LEN(contains); i++) {
        const char *w = contains[i].word;
        const char *p = strstr(n, w);
        if (!p) continue;
        /* "id" only as a suffix ("customer_id"), never inside a word ("video", "provider"). */
        if (contains[i].role == POL_ROLE_ID && p[strlen(w)] != '\0') continue;
        if (contains[i].role == POL_ROLE_PHONE && strcmp(w, "tel") == 0 && p != n) continue;
        if (contains[i].role == POL_ROLE_EMAIL && strcmp(w, "mail") == 0 && strstr(n, "mailing"))
            continue;
        *conf = 0.6;
        return contains[i].role;
    }
    return POL_ROLE_UNKNOWN;
}

/* ---- content -------------------------------------------------------------------------------- */

enum {
    K_EMAIL,
    K_PHONE,
    K_DATE,
    K_POSTCODE,      /* postcode-shaped: US ZIP (5 digits with a leading zero, or ZIP+4), GB, CA */
    K_POSTCODE_WEAK, /* could be a postcode (4-5 digits) but also a plain number */
    K_DATE_DIGITS,   /* a date only as compact digits (19081209): also a plain number */
    K_DECIMAL,       /* a number with a decimal point or sign: a measurement, never a code */
    K_STATE,
    K_COUNTRY,
    K_STREET,
    K_NAME1,
    K_NAME2,
    K_WORDS, /* only words (a name of any length, a city) */
    K_ZIP5,  /* five plain digits: a US ZIP code, or a count */
    K_NUMBER,
    K_TEXT,
    K_N
};

static int is_email_like(const char *s)
{
    const char *at = strchr(s, '@');
    return at && at != s && strchr(at, '.') && !strchr(s, ' ');
}

/* 2 when the value is shaped like a postcode and like nothing else (ZIP+4, "02134", GB, CA),
 * 1 when it could be one but is also a plain number (4 or 5 digits), 0 otherwise. A decimal
 * point, a sign or a length of 1-3 digits is a measurement or a count, never a postcode. */
static int postcode_shape(const char *s, size_t n)
{
    char out[32];
    if (n < 4 || n > 10) return 0;
    size_t digits = 0, alpha = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '.' || c == ',' || c == '+') return 0;
        digits += isdigit(c) != 0;
        alpha += isalpha(c) != 0;
    }
    if (alpha)
        return pol__postcode_std(s, n, "GB", out, sizeof out) ||
                       pol__postcode_std(s, n, "CA", out, sizeof out)
                   ? 2
                   : 0;
    if (digits == n && (n == 4 || n == 5)) return n == 5 && s[0] == '0' ? 2 : 1;
    if (n == 10 && s[5] == '-' && digits == 9) return 2; /* ZIP+4 */
    /* Other countries' codes: "00-950" (PL), "1000-001" (PT), "123 45" (SE): digits around
     * one dash or space. */
    const char *sep = strpbrk(s, "- ");
    if (sep && sep > s && digits + 1 == n && digits >= 5 && !strpbrk(sep + 1, "- ")) return 1;
    return 0;
}

/* A number written with a decimal point, a sign or an exponent ("21.2", "-3", "1e5"). */
static int is_decimal(const char *s, size_t n)
{
    char *end;
    if (!n) return 0;
    int plain = 1;
    for (size_t i = 0; i < n; i++) plain &= isdigit((unsigned char)s[i]) != 0;
    if (plain) return 0;
    if (!isdigit((unsigned char)s[0]) && s[0] != '-' && s[0] != '+' && s[0] != '.') return 0;
    strtod(s, &end);
    return end == s + n;
}

static int is_street_like(const char *s)
{
    /* "12 Main St", "PO Box 4", "Flat 3, ..." */
    if (isdigit((unsigned char)s[0])) {
        const char *p = s;
        while (isdigit((unsigned char)*p)) p++;
        if (*p && isalpha((unsigned char)p[*p == ' ' ? 1 : 0])) return 1;
    }
    return strncasecmp(s, "po box", 6) == 0 || strncasecmp(s, "p.o. box", 8) == 0;
}

/* Letters (any script), apostrophes, hyphens, dots, spaces; returns the number of words, 0 when
 * something else is present. */
static int name_words(const char *s)
{
    int words = 0, in = 0;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (isalpha(*p) || *p >= 0x80 || *p == '\'' || *p == '-' || *p == '.') {
            if (!in) words++;
            in = 1;
        } else if (*p == ' ' || *p == ',') {
            in = 0;
        } else {
            return 0;
        }
    }
    return words;
}

static void classify(const char *raw, const char *region, int k[K_N])
{
    /* Judged as trimmed: exports pad fields (" 4011"). */
    while (*raw == ' ' || *raw == '\t') raw++;
    size_t n = strlen(raw);
    while (n && (raw[n - 1] == ' ' || raw[n - 1] == '\t')) n--;
    char tv[256];
    if (n >= sizeof tv) n = sizeof tv - 1;
    memcpy(tv, raw, n);
    tv[n] = '\0';
    const char *s = tv;
    char buf[32];
    if (is_email_like(s)) {
        k[K_EMAIL]++;
        return;
    }
    int digits_only = n > 0;
    for (size_t i = 0; i < n; i++) digits_only &= isdigit((unsigned char)s[i]) != 0;
    int date = pol__date_iso(s, n, pol__date_order_of(region), buf) != 0;
    int decimal = is_decimal(s, n);
    if (date) k[digits_only ? K_DATE_DIGITS : K_DATE]++;
    if (decimal) k[K_DECIMAL]++;
    int digits = 0, other = 0, alpha = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (isdigit(c))
            digits++;
        else if (isalpha(c))
            alpha++;
        else if (!strchr(" ()+-.x/#", c))
            other++;
    }
    if (digits >= 7 && !other && alpha <= 4 && !date && !decimal) {
        pol__phone ph;
        if (pol__phone_parse(s, n, region, &ph) == POL_PHONE_VALID) k[K_PHONE]++;
    }
    if (digits == (int)n && n > 0) k[K_NUMBER]++;
    int pc = postcode_shape(s, n);
    if (pc == 2) k[K_POSTCODE]++;
    if (pc == 1) k[K_POSTCODE_WEAK]++;
    if (pc && n == 5 && digits_only) k[K_ZIP5]++;
    if (n <= 24 && pol__state_code(s, n, region)) k[K_STATE]++;
    if (n <= 40 && pol__country_code(s, n)) k[K_COUNTRY]++;
    if (is_street_like(s)) k[K_STREET]++;
    int w = name_words(s);
    if (w == 1)
        k[K_NAME1]++;
    else if (w >= 2 && w <= 4)
        k[K_NAME2]++;
    if (w >= 1) k[K_WORDS]++;
    if (n > 40 && strchr(s, ' ')) k[K_TEXT]++;
}

/* Role suggested by content alone, with the share of values that support it. */
static pol__role role_of_content(const int k[K_N], size_t filled, size_t distinct_hint, double *rate)
{
    *rate = 0;
    if (!filled) return POL_ROLE_UNKNOWN;
    double f = (double)filled;
    struct {
        int kind;
        pol__role role;
    } order[] = {
        {K_EMAIL, POL_ROLE_EMAIL},       {K_PHONE, POL_ROLE_PHONE},     {K_DATE, POL_ROLE_DATE},
        {K_STATE, POL_ROLE_STATE},       {K_COUNTRY, POL_ROLE_COUNTRY}, {K_STREET, POL_ROLE_STREET},
        {K_POSTCODE, POL_ROLE_POSTCODE}, {K_TEXT, POL_ROLE_TEXT},
    };
    for (size_t i = 0; i < POL_ARRAY_LEN(order); i++) {
        double r = k[order[i].kind] / f;
        if (r >= 0.7) {
            *rate = r;
            return order[i].role;
        }
    }
    /* Five-digit values with a leading zero among them (02134) and no measurement: US ZIP codes;
     * five-digit values alone are as likely counts. */
    double zip = (k[K_POSTCODE] + k[K_ZIP5]) / f;
    if (zip >= 0.9 && k[K_POSTCODE] && !k[K_DECIMAL]) {
        *rate = zip;
        return POL_ROLE_POSTCODE;
    }
    double n2 = k[K_NAME2] / f;
    if (n2 >= 0.7) {
        *rate = n2 * 0.7; /* "John Smith" and "Acme Plumbing" look alike */
        return POL_ROLE_FULL_NAME;
    }
    double num = k[K_NUMBER] / f;
    if (num >= 0.9 && distinct_hint) {
        *rate = num * 0.7;
        return POL_ROLE_ID;
    }
    return POL_ROLE_UNKNOWN;
}

/* Which content kind confirms a header role (-1: content cannot tell). */
static int kind_of_role(pol__role r)
{
    switch (r) {
    case POL_ROLE_EMAIL:
        return K_EMAIL;
    case POL_ROLE_PHONE:
        return K_PHONE;
    case POL_ROLE_DATE:
        return K_DATE;
    case POL_ROLE_POSTCODE:
        return K_POSTCODE;
    case POL_ROLE_STATE:
        return K_STATE;
    case POL_ROLE_COUNTRY:
        return K_COUNTRY;
    case POL_ROLE_STREET:
        return K_STREET;
    default:
        return -1;
    }
}

/* Share of values that look like the role's kind. */
static double support_of(pol__role r, const int k[K_N], size_t filled)
{
    if (!filled) return 0;
    double f = (double)filled;
    switch (r) {
    case POL_ROLE_POSTCODE:
        /* One measurement ("21.2") among the values and the column is not a postcode column. */
        return k[K_DECIMAL] ? 0 : (k[K_POSTCODE] + k[K_POSTCODE_WEAK]) / f;
    case POL_ROLE_DATE:
        return (k[K_DATE] + k[K_DATE_DIGITS]) / f;
    case POL_ROLE_FIRST_NAME:
    case POL_ROLE_LAST_NAME:
    case POL_ROLE_FULL_NAME:
    case POL_ROLE_CITY:
        return k[K_WORDS] / f;
    default: {
        int kind = kind_of_role(r);
        return kind >= 0 ? k[kind] / f : 1;
    }
    }
}

/*
 * A column's role from what its header says (hr, hconf) and what its values look like (cr,
 * crate). A role is only as sure as the evidence: when header and values agree the column may be
 * rewritten (confidence >= POL_ROLE_SURE); a role from the values alone, or from a word inside a
 * longer header, is used for matching but the values are never rewritten; a header that the
 * values contradict (a "zip" column of measurements) gives no role at all.
 */
static void decide_role(pol__role hr, double hconf, pol__role cr, double crate, const int k[K_N],
                        size_t filled, pol__role *role, double *conf, char *why, size_t cap)
{
    *role = hr;
    *conf = hconf;
    snprintf(why, cap, "header");
    if (hr == POL_ROLE_UNKNOWN) {
        if (cr == POL_ROLE_UNKNOWN) return;
        *role = cr;
        if (cr == POL_ROLE_EMAIL || cr == POL_ROLE_PHONE || cr == POL_ROLE_DATE) {
            /* An email or a phone number is unmistakable; so is a written date. */
            *conf = crate * 0.85;
            snprintf(why, cap, "content");
        } else {
            *conf = crate * 0.45 < 0.45 ? crate * 0.45 : 0.45;
            snprintf(why, cap,
                     "content only (no header says so): used for matching, not rewritten");
        }
        return;
    }
    if (!filled) return;
    double support = support_of(hr, k, filled);
    int strong_header = hconf >= 0.85;
    switch (hr) {
    case POL_ROLE_EMAIL:
    case POL_ROLE_PHONE:
    case POL_ROLE_STREET:
        if (support < 0.2 && cr != POL_ROLE_UNKNOWN && cr != hr && crate >= 0.8) {
            /* The header says phone but the values are emails: trust the values. */
            *role = cr;
            *conf = crate * 0.9;
            snprintf(why, cap, "content (header disagreed)");
        } else {
            *conf = hconf * (0.6 + 0.4 * support);
            snprintf(why, cap, "header+content (%.0f%% of values fit)", 100 * support);
        }
        return;
    case POL_ROLE_POSTCODE:
    case POL_ROLE_STATE:
    case POL_ROLE_COUNTRY:
    case POL_ROLE_DATE:
        if (support < 0.5) {
            if (cr == POL_ROLE_EMAIL || cr == POL_ROLE_PHONE) {
                *role = cr;
                *conf = crate * 0.9;
                snprintf(why, cap, "content (header disagreed)");
                return;
            }
            *role = POL_ROLE_TEXT;
            *conf = 0.3;
            snprintf(why, cap,
                     "header says %s but only %.0f%% of values look like one%s: left as text",
                     pol__role_name(hr), 100 * support,
                     hr == POL_ROLE_POSTCODE && k[K_DECIMAL] ? " (some are measurements)" : "");
            return;
        }
        *conf = hconf * (0.6 + 0.4 * support);
        if (!strong_header && *conf >= 0.5) *conf = 0.45;
        snprintf(why, cap, "header+content (%.0f%% of values fit)%s", 100 * support,
                 strong_header ? "" : "; header only contains the word: not rewritten");
        return;
    case POL_ROLE_FIRST_NAME:
    case POL_ROLE_LAST_NAME:
    case POL_ROLE_FULL_NAME:
    case POL_ROLE_CITY:
        if (cr == POL_ROLE_EMAIL || cr == POL_ROLE_PHONE || cr == POL_ROLE_DATE) {
            /* Names and cities should be words; a column of emails under "name" is not. */
            *role = cr;
            *conf = crate * 0.9;
            snprintf(why, cap, "content (header disagreed)");
            return;
        }
        if (support < 0.5) {
            *role = POL_ROLE_TEXT;
            *conf = 0.3;
            snprintf(why, cap, "header says %s but only %.0f%% of values are words: left as text",
                     pol__role_name(hr), 100 * support);
            return;
        }
        *conf = hconf * (0.7 + 0.3 * support);
        if (!strong_header && *conf >= 0.5) *conf = 0.45;
        snprintf(why, cap, "header+content (%.0f%% of values are words)%s", 100 * support,
                 strong_header ? "" : "; header only contains the word: not rewritten");
        return;
    default:
        return;
    }
}

/* ---- inference ------------------------------------------------------------------------------ */

int pol__records_sync_cols(pol__records *r)
{
    size_t n = pol__table_cols(r->rows);
    pol__role *roles = realloc(r->roles, (n ? n : 1) * sizeof *roles);
    if (!roles) return -1;
    r->roles = roles;
    float *conf = realloc(r->role_conf, (n ? n : 1) * sizeof *conf);
    if (!conf) return -1;
    r->role_conf = conf;
    /* New columns (cluster_id, ...) start unknown; the caller sets what it knows. */
    for (size_t c = r->n_roles; c < n; c++) {
        roles[c] = POL_ROLE_UNKNOWN;
        conf[c] = 0;
    }
    r->n_roles = n;
    return 0;
}

long pol__records_col(const pol__records *r, pol__role role)
{
    size_t n = pol__table_cols(r->rows);
    for (size_t c = 0; c < n; c++)
        if (r->roles[c] == role) return (long)c;
    return -1;
}

int pol__records_has_identity(const pol__records *r, char *why, size_t cap)
{
    size_t n = pol__table_cols(r->rows);
    int contact = 0, name = 0, place = 0;
    for (size_t c = 0; c < n && c < r->n_roles; c++) {
        if (!pol__role_sure(r->roles[c], r->role_conf[c])) continue;
        switch (r->roles[c]) {
        case POL_ROLE_EMAIL:
        case POL_ROLE_PHONE:
            contact = 1;
            break;
        case POL_ROLE_FIRST_NAME:
        case POL_ROLE_LAST_NAME:
        case POL_ROLE_FULL_NAME:
            name = 1;
            break;
        case POL_ROLE_STREET:
        case POL_ROLE_POSTCODE:
            place = 1;
            break;
        default:
            break;
        }
    }
    if (contact || (name && place)) return 1;
    if (why)
        snprintf(why, cap, "%s",
                 name ? "a name column but no email, phone, street or postcode column"
                      : "no email, phone, or name-with-address column");
    return 0;
}

static long find_col(const pol__table *t, const char *name, size_t len)
{
    size_t n = pol__table_cols(t);
    for (size_t c = 0; c < n; c++) {
        const char *h = pol__table_name(t, c);
        if (strlen(h) == len && memcmp(h, name, len) == 0) return (long)c;
    }
    for (size_t c = 0; c < n; c++) {
        const char *h = pol__table_name(t, c);
        if (strlen(h) == len && strncasecmp(h, name, len) == 0) return (long)c;
    }
    return -1;
}

static pol_status apply_map(pol_run *run, pol__records *r, const char *map, unsigned char *mapped)
{
    const char *p = map;
    while (*p) {
        while (*p == ' ' || *p == ',') p++;
        if (!*p) break;
        const char *e = p;
        while (*e && *e != ',') e++;
        const char *eq = memchr(p, '=', (size_t)(e - p));
        if (!eq)
            return pol__fail(run, POL_ERR_ARG, "--role: \"%.*s\" is not column=role", (int)(e - p),
                             p);
        const char *ce = eq;
        while (ce > p && ce[-1] == ' ') ce--;
        const char *rs = eq + 1;
        while (rs < e && *rs == ' ') rs++;
        const char *re = e;
        while (re > rs && re[-1] == ' ') re--;
        long col = find_col(r->rows, p, (size_t)(ce - p));
        if (col < 0)
            return pol__fail(run, POL_ERR_ARG, "--role: no column named \"%.*s\"", (int)(ce - p),
                             p);
        char rn[32];
        snprintf(rn, sizeof rn, "%.*s", (int)(re - rs), rs);
        pol__role role = pol__role_from_name(rn);
        if (role == POL_ROLE_UNKNOWN && strcasecmp(rn, "unknown") && strcasecmp(rn, "ignore"))
            return pol__fail(run, POL_ERR_ARG,
                             "--role: \"%s\" is not a role (first_name last_name full_name email "
                             "phone street street_number address2 city state postcode country "
                             "company date id text unknown)",
                             rn);
        r->roles[col] = role;
        r->role_conf[col] = 1.0f;
        mapped[col] = 1;
        p = e;
    }
    return POL_OK;
}

pol_status pol__roles_infer(pol_run *run, pol__records *r, const char *map, size_t sample)
{
    size_t nc = pol__table_cols(r->rows), nr = pol__table_rows(r->rows);
    if (pol__records_sync_cols(r)) return pol__fail(run, POL_ERR_NOMEM, "out of memory");
    unsigned char *mapped = calloc(nc ? nc : 1, 1);
    if (!mapped) return pol__fail(run, POL_ERR_NOMEM, "out of memory");
    size_t lim = sample && sample < nr ? sample : nr;
    /* Spread the sample over the file: exports are often sorted by source or date. */
    size_t stride = lim && nr > lim ? nr / lim : 1;
    pol__jv *cols = pol__jv_arr();
    for (size_t c = 0; c < nc; c++) {
        double hconf, conf_out;
        pol__role role_out;
        pol__role hr = role_of_header(pol__table_name(r->rows, c), &hconf);
        int k[K_N] = {0};
        size_t filled = 0;
        for (size_t i = 0, row = 0; i < lim && row < nr; i++, row += stride) {
            const char *v = pol__cell_value(r->rows, row, c);
            if (!*v) continue;
            filled++;
            classify(v, "US", k);
        }
        double crate;
        pol__role cr = role_of_content(k, filled, 1, &crate);
        char why[160];
        decide_role(hr, hconf, cr, crate, k, filled, &role_out, &conf_out, why, sizeof why);
        pol__role role = role_out;
        double conf = conf_out;
        if (pol__records_is_overflow(r, c)) {
            /* The extra fields of long rows: shifted values of other columns, no role. */
            role = POL_ROLE_TEXT;
            conf = 0;
            snprintf(why, sizeof why, "extra fields of rows longer than the header");
        }
        r->roles[c] = role;
        r->role_conf[c] = (float)conf;
        pol__jv *o = pol__jv_obj();
        pol__jv_set(o, "column", pol__jv_str(pol__table_name(r->rows, c)));
        pol__jv_set(o, "role", pol__jv_str(pol__role_name(role)));
        pol__jv_set(o, "confidence", pol__jv_num((double)(float)conf));
        pol__jv_set(o, "from", pol__jv_str(role == POL_ROLE_UNKNOWN ? "none" : why));
        pol__jv_set(o, "rewrite", pol__jv_bool(pol__role_sure(role, (float)conf)));
        pol__jv_push(cols, o);
    }
    pol_status st = POL_OK;
    if (map && *map) {
        st = apply_map(run, r, map, mapped);
        if (!st) {
            size_t i = 0;
            for (pol__jv *o = cols ? cols->first : NULL; o; o = o->next, i++)
                if (mapped[i]) {
                    pol__jv_set(o, "role", pol__jv_str(pol__role_name(r->roles[i])));
                    pol__jv_set(o, "confidence", pol__jv_num(1.0));
                    pol__jv_set(o, "from", pol__jv_str("map"));
                    pol__jv_set(o, "rewrite", pol__jv_bool(r->roles[i] != POL_ROLE_UNKNOWN));
                }
        }
    }
    free(mapped);
    if (st) {
        pol__jv_free(cols);
        return st;
    }
    double sum = 0;
    size_t known = 0;
    for (size_t c = 0; c < nc; c++)
        if (r->roles[c] != POL_ROLE_UNKNOWN) {
            sum += r->role_conf[c];
            known++;
        }
    pol__measure_jv(run, "columns", cols);
    pol__measure_int(run, "columns_with_role", (long long)known);
    pol__measure_int(run, "rows_sampled", (long long)lim);
    if (known) pol__confidence(run, sum / (double)known);
    if (pol__records_col(r, POL_ROLE_EMAIL) < 0 && pol__records_col(r, POL_ROLE_PHONE) < 0)
        pol__warn(run, "no email or phone column found (use --role \"column=email\")");
    r->roles_done = 1;
    return POL_OK;
}

pol_status pol__records_ensure_roles(pol_run *run, pol__records *r)
{
    if (r->roles_done && r->roles) return POL_OK;
    const char *map = pol__plan_load_option(run, "role"); /* --role on any records op */
    return pol__roles_infer(run, r, map && *map ? map : NULL, 2000);
}

/* ---- region --------------------------------------------------------------------------------- */

double pol__records_guess_region(const pol__records *r, char out[3])
{
    size_t nr = pol__table_rows(r->rows), lim = nr < 5000 ? nr : 5000;
    long cc = pol__records_col(r, POL_ROLE_COUNTRY), sc = pol__records_col(r, POL_ROLE_STATE),
         pc = pol__records_col(r, POL_ROLE_POSTCODE);
    static const char *const regions[] = {"US", "CA", "AU", "GB"};
    size_t votes[4] = {0}, seen = 0;
    out[0] = '\0';
    for (size_t i = 0; i < lim; i++) {
        int vote = -1;
        if (cc >= 0) {
            const char *v = pol__table_get(r->rows, i, (size_t)cc);
            const char *code = *v ? pol__country_code(v, strlen(v)) : NULL;
            for (int k = 0; code && k < 4; k++)
                if (strcmp(code, regions[k]) == 0) vote = k;
            if (code && vote < 0) vote = 4; /* another country: no vote for these four */
        }
        if (vote < 0 && sc >= 0) {
            /* A state only one region has ("NSW" in AU, "ON" in CA, "TX" in the US). */
            const char *v = pol__table_get(r->rows, i, (size_t)sc);
            while (*v == ' ') v++;
            if (*v) {
                const char *us = pol__state_code(v, strlen(v), "US");
                const char *au = pol__state_code(v, strlen(v), "AU");
                const char *ca = pol__state_code(v, strlen(v), "CA");
                int in_au = au && strlen(au) == 3; /* NSW VIC QLD TAS ACT */
                static const char *const prov[] = {"ON", "QC", "BC", "AB", "MB", "SK",
                                                   "NS", "NB", "PE", "YT", "NU", "NL"};
                int in_ca = 0;
                for (size_t k = 0; ca && k < sizeof prov / sizeof prov[0]; k++)
                    in_ca |= strcmp(ca, prov[k]) == 0;
                if (in_au)
                    vote = 2;
                else if (in_ca)
                    vote = 1;
                /* WA and NT are Australian too; they decide nothing. */
                else if (us && strcmp(us, "WA") != 0 && strcmp(us, "NT") != 0)
                    vote = 0;
            }
        }
        if (vote < 0 && pc >= 0) {
            const char *v = pol__table_get(r->rows, i, (size_t)pc);
            while (*v == ' ') v++;
            char buf[32];
            size_t n = strlen(v);
            if (n && n < 12) {
                if (pol__postcode_std(v, n, "GB", buf, sizeof buf))
                    vote = 3;
                else if (pol__postcode_std(v, n, "CA", buf, sizeof buf))
                    vote = 1;
            }
        }
        if (vote >= 0) seen++;
        if (vote >= 0 && vote < 4) votes[vote]++;
    }
    int best = 0;
    for (int k = 1; k < 4; k++)
        if (votes[k] > votes[best]) best = k;
    if (!seen || !votes[best]) return 0;
    memcpy(out, regions[best], 3);
    return (double)votes[best] / (double)seen;
}
