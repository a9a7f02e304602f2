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

const char *pol_role_name(pol_role r)
{
    return (unsigned)r < POL_ROLE_COUNT ? role_names[r] : "unknown";
}

pol_role pol_role_from_name(const char *s)
{
    if (!s) return POL_ROLE_UNKNOWN;
    for (int i = 0; i < POL_ROLE_COUNT; i++)
        if (strcasecmp(s, role_names[i]) == 0) return (pol_role)i;
    /* A few spellings people type in --map. */
    static const struct {
        const char *s;
        pol_role r;
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

/* ---- header names --------------------------------------------------------------------------- */

/* Header names reduced to lower-case letters and digits ("E-Mail Address" -> "emailaddress").
 * Exact matches are strong evidence; English plus the spellings common in exports from Spanish,
 * French and German CRMs and FEBRL's names. */
static const struct {
    pol_role role;
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
    pol_role role;
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
static pol_role role_of_header(const char *h, double *conf)
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
    K_POSTCODE,
    K_STATE,
    K_COUNTRY,
    K_STREET,
    K_NAME1,
    K_NAME2,
    K_NUMBER,
    K_TEXT,
    K_N
};

static int is_email_like(const char *s)
{
    const char *at = strchr(s, '@');
    return at && at != s && strchr(at, '.') && !strchr(s, ' ');
}

static int is_postcode_like(const char *s, size_t n)
{
    char out[32];
    if (n > 10) return 0;
    return pol__postcode_std(s, n, "US", out, sizeof out) ||
           pol__postcode_std(s, n, "GB", out, sizeof out) ||
           pol__postcode_std(s, n, "CA", out, sizeof out) ||
           pol__postcode_std(s, n, "AU", out, sizeof out);
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

static void classify(const char *s, const char *region, int k[K_N])
{
    size_t n = strlen(s);
    char buf[32];
    if (is_email_like(s)) {
        k[K_EMAIL]++;
        return;
    }
    if (pol__date_iso(s, n, pol__date_order_of(region), buf)) k[K_DATE]++;
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
    if (digits >= 7 && !other && alpha <= 4 && !k[K_DATE]) {
        pol_phone ph;
        if (pol__phone_parse(s, n, region, &ph) == POL_PHONE_VALID) k[K_PHONE]++;
    }
    if (digits == (int)n && n > 0) k[K_NUMBER]++;
    if (is_postcode_like(s, n)) k[K_POSTCODE]++;
    if (n <= 24 && pol__state_code(s, n, region)) k[K_STATE]++;
    if (n <= 40 && pol__country_code(s, n)) k[K_COUNTRY]++;
    if (is_street_like(s)) k[K_STREET]++;
    int w = name_words(s);
    if (w == 1)
        k[K_NAME1]++;
    else if (w >= 2 && w <= 4)
        k[K_NAME2]++;
    if (n > 40 && strchr(s, ' ')) k[K_TEXT]++;
}

/* Role suggested by content alone, with the share of values that support it. */
static pol_role role_of_content(const int k[K_N], size_t filled, size_t distinct_hint, double *rate)
{
    *rate = 0;
    if (!filled) return POL_ROLE_UNKNOWN;
    double f = (double)filled;
    struct {
        int kind;
        pol_role role;
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
static int kind_of_role(pol_role r)
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

/* ---- inference ------------------------------------------------------------------------------ */

int pol__records_sync_cols(pol_records *r)
{
    size_t n = pol_table_cols(r->rows);
    pol_role *roles = realloc(r->roles, (n ? n : 1) * sizeof *roles);
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

long pol__records_col(const pol_records *r, pol_role role)
{
    size_t n = pol_table_cols(r->rows);
    for (size_t c = 0; c < n; c++)
        if (r->roles[c] == role) return (long)c;
    return -1;
}

static long find_col(const pol_table *t, const char *name, size_t len)
{
    size_t n = pol_table_cols(t);
    for (size_t c = 0; c < n; c++) {
        const char *h = pol_table_name(t, c);
        if (strlen(h) == len && memcmp(h, name, len) == 0) return (long)c;
    }
    for (size_t c = 0; c < n; c++) {
        const char *h = pol_table_name(t, c);
        if (strlen(h) == len && strncasecmp(h, name, len) == 0) return (long)c;
    }
    return -1;
}

static pol_status apply_map(pol_run *run, pol_records *r, const char *map, unsigned char *mapped)
{
    const char *p = map;
    while (*p) {
        while (*p == ' ' || *p == ',') p++;
        if (!*p) break;
        const char *e = p;
        while (*e && *e != ',') e++;
        const char *eq = memchr(p, '=', (size_t)(e - p));
        if (!eq)
            return pol__fail(run, POL_ERR_ARG, "--map: \"%.*s\" is not column=role", (int)(e - p),
                             p);
        const char *ce = eq;
        while (ce > p && ce[-1] == ' ') ce--;
        const char *rs = eq + 1;
        while (rs < e && *rs == ' ') rs++;
        const char *re = e;
        while (re > rs && re[-1] == ' ') re--;
        long col = find_col(r->rows, p, (size_t)(ce - p));
        if (col < 0)
            return pol__fail(run, POL_ERR_ARG, "--map: no column named \"%.*s\"", (int)(ce - p), p);
        char rn[32];
        snprintf(rn, sizeof rn, "%.*s", (int)(re - rs), rs);
        pol_role role = pol_role_from_name(rn);
        if (role == POL_ROLE_UNKNOWN && strcasecmp(rn, "unknown") && strcasecmp(rn, "ignore"))
            return pol__fail(run, POL_ERR_ARG,
                             "--map: \"%s\" is not a role (first_name last_name full_name email "
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

pol_status pol__roles_infer(pol_run *run, pol_records *r, const char *map, size_t sample)
{
    size_t nc = pol_table_cols(r->rows), nr = pol_table_rows(r->rows);
    if (pol__records_sync_cols(r)) return pol__fail(run, POL_ERR_NOMEM, "out of memory");
    unsigned char *mapped = calloc(nc ? nc : 1, 1);
    if (!mapped) return pol__fail(run, POL_ERR_NOMEM, "out of memory");
    size_t lim = sample && sample < nr ? sample : nr;
    /* Spread the sample over the file: exports are often sorted by source or date. */
    size_t stride = lim && nr > lim ? nr / lim : 1;
    pol_jv *cols = pol_jv_arr();
    for (size_t c = 0; c < nc; c++) {
        double hconf;
        pol_role hr = role_of_header(pol_table_name(r->rows, c), &hconf);
        int k[K_N] = {0};
        size_t filled = 0;
        for (size_t i = 0, row = 0; i < lim && row < nr; i++, row += stride) {
            const char *v = pol_table_get(r->rows, row, c);
            if (!*v) continue;
            filled++;
            classify(v, "US", k);
        }
        double crate;
        pol_role cr = role_of_content(k, filled, 1, &crate);
        pol_role role = hr;
        double conf = hconf;
        const char *why = "header";
        int kind = kind_of_role(hr);
        if (hr != POL_ROLE_UNKNOWN && kind >= 0 && filled) {
            double support = k[kind] / (double)filled;
            if (support < 0.2 && cr != POL_ROLE_UNKNOWN && cr != hr && crate >= 0.8) {
                /* The header says phone but the values are emails: trust the values. */
                role = cr;
                conf = crate * 0.9;
                why = "content (header disagreed)";
            } else {
                conf = hconf * (0.6 + 0.4 * support);
                why = "header+content";
            }
        } else if (hr == POL_ROLE_UNKNOWN && cr != POL_ROLE_UNKNOWN) {
            role = cr;
            conf = crate * 0.85;
            why = "content";
        } else if (hr != POL_ROLE_UNKNOWN &&
                   (hr == POL_ROLE_FIRST_NAME || hr == POL_ROLE_LAST_NAME ||
                    hr == POL_ROLE_FULL_NAME || hr == POL_ROLE_CITY) &&
                   filled) {
            /* Names and cities should be words; a column of emails under "name" is not. */
            if (cr == POL_ROLE_EMAIL || cr == POL_ROLE_PHONE || cr == POL_ROLE_DATE) {
                role = cr;
                conf = crate * 0.9;
                why = "content (header disagreed)";
            }
        }
        r->roles[c] = role;
        r->role_conf[c] = (float)conf;
        pol_jv *o = pol_jv_obj();
        pol_jv_set(o, "column", pol_jv_str(pol_table_name(r->rows, c)));
        pol_jv_set(o, "role", pol_jv_str(pol_role_name(role)));
        pol_jv_set(o, "confidence", pol_jv_num((double)(float)conf));
        pol_jv_set(o, "from", pol_jv_str(role == POL_ROLE_UNKNOWN ? "none" : why));
        pol_jv_push(cols, o);
    }
    pol_status st = POL_OK;
    if (map && *map) {
        st = apply_map(run, r, map, mapped);
        if (!st) {
            size_t i = 0;
            for (pol_jv *o = cols ? cols->first : NULL; o; o = o->next, i++)
                if (mapped[i]) {
                    pol_jv_set(o, "role", pol_jv_str(pol_role_name(r->roles[i])));
                    pol_jv_set(o, "confidence", pol_jv_num(1.0));
                    pol_jv_set(o, "from", pol_jv_str("map"));
                }
        }
    }
    free(mapped);
    if (st) {
        pol_jv_free(cols);
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
        pol__warn(run, "no email or phone column found (use --map \"column=email\")");
    r->roles_done = 1;
    return POL_OK;
}

pol_status pol__records_ensure_roles(pol_run *run, pol_records *r)
{
    if (r->roles_done && r->roles) return POL_OK;
    return pol__roles_infer(run, r, NULL, 2000);
}

/* ---- region --------------------------------------------------------------------------------- */

double pol__records_guess_region(const pol_records *r, char out[3])
{
    size_t nr = pol_table_rows(r->rows), lim = nr < 5000 ? nr : 5000;
    long cc = pol__records_col(r, POL_ROLE_COUNTRY), sc = pol__records_col(r, POL_ROLE_STATE),
         pc = pol__records_col(r, POL_ROLE_POSTCODE);
    static const char *const regions[] = {"US", "CA", "AU", "GB"};
    size_t votes[4] = {0}, seen = 0;
    out[0] = '\0';
    for (size_t i = 0; i < lim; i++) {
        int vote = -1;
        if (cc >= 0) {
            const char *v = pol_table_get(r->rows, i, (size_t)cc);
            const char *code = *v ? pol__country_code(v, strlen(v)) : NULL;
            for (int k = 0; code && k < 4; k++)
                if (strcmp(code, regions[k]) == 0) vote = k;
            if (code && vote < 0) vote = 4; /* another country: no vote for these four */
        }
        if (vote < 0 && sc >= 0) {
            /* A state only one region has ("NSW" in AU, "ON" in CA, "TX" in the US). */
            const char *v = pol_table_get(r->rows, i, (size_t)sc);
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
            const char *v = pol_table_get(r->rows, i, (size_t)pc);
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
