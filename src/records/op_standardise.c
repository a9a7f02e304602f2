/* polish — records.standardise: names, emails, phones, addresses, dates and text made uniform. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "records/records.h"
#include "records/std.h"

static const pol_param_desc params[] = {
    {"region", POL_PARAM_STR, "US", 0, -1, NULL,
     "Default country (ISO 3166 alpha-2) for national phone numbers, postcodes and date order."},
    {"names", POL_PARAM_BOOL, "true", 0, -1, NULL,
     "Case names (McDonald, O'Brien, van der Berg, Jr., III) and collapse white space."},
    {"emails", POL_PARAM_BOOL, "true", 0, -1, NULL, "Trim and lowercase emails, check syntax."},
    {"email-typos", POL_PARAM_ENUM, "fix", 0, -1, "fix|suggest|off",
     "Known domain misspellings (gmial.com): correct them, or only report the suggestion."},
    {"phones", POL_PARAM_BOOL, "true", 0, -1, NULL,
     "Write valid phone numbers in E.164 (+12025550143); invalid ones are flagged, not changed."},
    {"extensions", POL_PARAM_ENUM, "keep", 0, -1, "keep|drop",
     "Phone extensions: keep as \";ext=123\" after the E.164 number, or drop them."},
    {"addresses", POL_PARAM_BOOL, "true", 0, -1, NULL,
     "Streets in USPS Publication 28 form (Main St, N, Apt), ZIP/ZIP+4, countries; a column "
     "whose header and values show it holds states or provinces gets the region's code "
     "(New York, ny -> NY: the one place a value's case changes outside names; reported with "
     "examples). Any other column keeps its case."},
    {"dates", POL_PARAM_BOOL, "true", 0, -1, NULL, "Dates to ISO 8601 (YYYY-MM-DD)."},
    {"date-order", POL_PARAM_ENUM, "auto", 0, -1, "auto|mdy|dmy|ymd",
     "How to read ambiguous numeric dates such as 03/04/2020. auto: per column, from evidence "
     "(a 13-31 in the first place means day first, in the second month first), else dotted "
     "dates (04.03.2024) day first, else --region's order. mdy/dmy: a date only the other order "
     "can read (13.03.2024 under mdy) is read so, and the report warns that the column "
     "contradicts the order given."},
    {"text", POL_PARAM_BOOL, "true", 0, -1, NULL,
     "Every cell: Unicode NFC, non-breaking/zero-width spaces, runs of white space, trimming."},
};

enum {
    F_TEXT,
    F_NAME,
    F_EMAIL,
    F_PHONE,
    F_STREET,
    F_UNIT,
    F_CITY,
    F_STATE,
    F_POSTCODE,
    F_COUNTRY,
    F_DATE,
    F_N
};
static const char *const field_names[F_N] = {"text",      "names",     "emails", "phones",
                                             "streets",   "units",     "cities", "states",
                                             "postcodes", "countries", "dates"};

typedef struct stats {
    size_t changed[F_N], invalid[F_N], values[F_N];
    size_t typo_fixed, typo_suggested, fictional, ambiguous_dates, extensions, serial_dates;
} stats;

typedef struct job {
    pol__records *r;
    const char *region;
    pol__date_order order;
    pol__date_order *col_order; /* per column: the order of that column's dates */
    int typos;                 /* 0 off, 1 suggest, 2 fix */
    int keep_ext;
    int text;
    int *field; /* per column: F_* to apply, or -1 for none */
    long country_col;
    pthread_mutex_t mu;
    stats total;
    char examples[5][160];
    int n_examples;
    /* Per column, the first few values changed: "before -> after", for the report. */
    char (*col_ex)[3][200];
    unsigned char *n_col_ex;
    int oom;
} job;

static int field_of(pol__role role, const pol_args *a)
{
    switch (role) {
    case POL_ROLE_FIRST_NAME:
    case POL_ROLE_LAST_NAME:
    case POL_ROLE_FULL_NAME:
        return pol__arg_bool(a, "names") ? F_NAME : -1;
    case POL_ROLE_EMAIL:
        return pol__arg_bool(a, "emails") ? F_EMAIL : -1;
    case POL_ROLE_PHONE:
        return pol__arg_bool(a, "phones") ? F_PHONE : -1;
    case POL_ROLE_STREET:
        return pol__arg_bool(a, "addresses") ? F_STREET : -1;
    case POL_ROLE_ADDRESS2:
        return pol__arg_bool(a, "addresses") ? F_UNIT : -1;
    case POL_ROLE_CITY:
        return pol__arg_bool(a, "addresses") ? F_CITY : -1;
    case POL_ROLE_STATE:
        return pol__arg_bool(a, "addresses") ? F_STATE : -1;
    case POL_ROLE_POSTCODE:
        return pol__arg_bool(a, "addresses") ? F_POSTCODE : -1;
    case POL_ROLE_COUNTRY:
        return pol__arg_bool(a, "addresses") ? F_COUNTRY : -1;
    case POL_ROLE_DATE:
        return pol__arg_bool(a, "dates") ? F_DATE : -1;
    default:
        return -1;
    }
}

/* An Excel serial date ("45355", "45355.5" with a time of day) in a date column: days since
 * 1899-12-30. Only 5-digit serials (1927-2173), so years and counts are not taken for one. */
static int excel_serial(const char *s, size_t n, char out[32])
{
    size_t i = 0;
    while (i < n && s[i] >= '0' && s[i] <= '9') i++;
    if (i != 5 || s[0] == '0') return 0;
    double frac = 0;
    if (i < n) {
        if (s[i] != '.' || i + 1 == n) return 0;
        char *end;
        char tmp[32];
        if (n >= sizeof tmp) return 0;
        memcpy(tmp, s + i, n - i);
        tmp[n - i] = '\0';
        frac = strtod(tmp, &end);
        if (*end) return 0;
    }
    long days = strtol(s, NULL, 10) - 25569; /* days since 1970-01-01 */
    /* Civil date from days (H. Hinnant's algorithm). */
    long z = days + 719468, era = (z >= 0 ? z : z - 146096) / 146097;
    long doe = z - era * 146097, yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    long y = yoe + era * 400, doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    long mp = (5 * doy + 2) / 153, d = doy - (153 * mp + 2) / 5 + 1, m = mp < 10 ? mp + 3 : mp - 9;
    y += m <= 2;
    int secs = (int)(frac * 86400 + 0.5);
    if (secs >= 86400) secs = 86399;
    int yy = (int)(y % 10000), mm = (int)(m % 100), dd = (int)(d % 100); /* 1927..2173 */
    if (secs)
        snprintf(out, 32, "%04d-%02d-%02dT%02d:%02d:%02d", yy, mm, dd, secs / 3600 % 24,
                 secs / 60 % 60, secs % 60);
    else
        snprintf(out, 32, "%04d-%02d-%02d", yy, mm, dd);
    return 1;
}

/* A numeric date's first two numbers: 1-2 digits, a separator of / . or -, 1-2 digits and the
 * same separator again ("13.03.2024" gives 13, 3, '.'); 0 when `v` does not start that way. */
static int numeric_date_head(const char *v, long *a, long *b, char *sep)
{
    while (*v == ' ') v++;
    char *e1, *e2;
    *a = strtol(v, &e1, 10);
    if (e1 == v || e1 - v > 2 || !*e1 || !strchr("/.-", *e1)) return 0; /* strchr finds the NUL */
    *b = strtol(e1 + 1, &e2, 10);
    if (e2 == e1 + 1 || e2 - e1 - 1 > 2 || *e2 != *e1) return 0;
    *sep = *e1;
    return 1;
}

/* The day/month order of a column's numeric dates, from the column itself: a first number of
 * 13-31 can only be a day (day first), a second one only a day (month first); dotted dates with
 * no such evidence are day first (German, Polish, Russian ... usage); else `fallback`. */
static pol__date_order column_order(const pol__table *t, size_t c, pol__date_order fallback,
                                   const char **why)
{
    size_t nr = pol__table_rows(t), lim = nr < 20000 ? nr : 20000;
    size_t day_first = 0, month_first = 0, dotted = 0, numeric = 0;
    for (size_t i = 0; i < lim; i++) {
        long a, b;
        char sep;
        if (!numeric_date_head(pol__cell_value(t, i, c), &a, &b, &sep)) continue;
        numeric++;
        dotted += sep == '.';
        if (a > 12 && a <= 31 && b <= 12) day_first++;
        if (b > 12 && b <= 31 && a <= 12) month_first++;
    }
    if (day_first && !month_first) {
        *why = "a first number of 13-31 in the column";
        return POL_DATE_DMY;
    }
    if (month_first && !day_first) {
        *why = "a second number of 13-31 in the column";
        return POL_DATE_MDY;
    }
    if (!day_first && numeric && dotted * 2 > numeric) {
        *why = "dotted dates are day first";
        return POL_DATE_DMY;
    }
    *why = day_first ? "the column mixes both orders; the region's order" : "the region's order";
    return fallback;
}

/* With --date-order mdy or dmy: the numeric dates of column `c` that can only be read the other
 * way (13.03.2024 under mdy); the first into ex[cap]. */
static size_t against_order(const pol__table *t, size_t c, pol__date_order order, char *ex,
                            size_t cap)
{
    size_t nr = pol__table_rows(t), n = 0;
    ex[0] = '\0';
    for (size_t i = 0; i < nr; i++) {
        const char *v = pol__cell_value(t, i, c);
        long a, b;
        char sep;
        if (!numeric_date_head(v, &a, &b, &sep)) continue;
        while (*v == ' ') v++;
        int only_dmy = a > 12 && a <= 31 && b <= 12, only_mdy = b > 12 && b <= 31 && a <= 12;
        if ((order == POL_DATE_MDY && only_dmy) || (order == POL_DATE_DMY && only_mdy)) {
            if (!n++) snprintf(ex, cap, "%.60s", v);
        }
    }
    return n;
}

/* Values are never recased outside person-name columns: every word of `out` that is a word of
 * `in` in another case ("MAIN" -> "Main") takes back the spelling of the input; new words (the
 * USPS "St" for "street") stay. */
static void keep_case(const char *in, size_t n, char *out)
{
    for (char *w = out; *w;) {
        while (*w == ' ') w++;
        char *we = w;
        while (*we && *we != ' ') we++;
        size_t wl = (size_t)(we - w);
        for (size_t i = 0; wl && i + wl <= n; i++) {
            if ((i && in[i - 1] != ' ') || (i + wl < n && in[i + wl] != ' ')) continue;
            if (strncasecmp(in + i, w, wl) == 0) {
                memcpy(w, in + i, wl);
                break;
            }
        }
        w = we;
    }
}

/* Standardises one value (already text-cleaned) from `buf` into `tmp` (both `cap` bytes).
 * Returns the new length, or (size_t)-1 to keep `buf`; sets *bad when the value is invalid for
 * its field. */
static size_t apply(job *j, int f, size_t col, const char *buf, size_t len, size_t cap, char *tmp,
                    const char *region, stats *st, int *bad)
{
    *bad = 0;
    size_t k;
    switch (f) {
    case F_NAME:
        k = pol__name_std(buf, len, tmp, cap);
        break;
    case F_EMAIL: {
        const char *typo;
        pol__email_status es = pol__email_std(buf, len, tmp, cap, &typo);
        if (es == POL_EMAIL_INVALID) {
            *bad = 1;
            return (size_t)-1;
        }
        k = strlen(tmp);
        if (typo && j->typos == 2 && pol__email_fix_domain(tmp, cap, typo) == 0) {
            k = strlen(tmp);
            st->typo_fixed++;
        } else if (typo && j->typos) {
            st->typo_suggested++;
            if (j->n_examples < 5) {
                pthread_mutex_lock(&j->mu);
                if (j->n_examples < 5)
                    snprintf(j->examples[j->n_examples++], sizeof j->examples[0],
                             "%.100s: did you mean %s?", tmp, typo);
                pthread_mutex_unlock(&j->mu);
            }
        }
        break;
    }
    case F_PHONE: {
        pol__phone ph;
        if (pol__phone_parse(buf, len, region, &ph) != POL_PHONE_VALID) {
            *bad = 1;
            return (size_t)-1;
        }
        st->fictional += ph.fictional;
        if (ph.ext[0]) st->extensions++;
        k = strlen(ph.e164);
        memcpy(tmp, ph.e164, k + 1);
        if (ph.ext[0] && j->keep_ext) {
            size_t el = strlen(ph.ext);
            if (k + 5 + el + 1 > cap) return (size_t)-1;
            memcpy(tmp + k, ";ext=", 5);
            memcpy(tmp + k + 5, ph.ext, el + 1);
            k += 5 + el;
        }
        break;
    }
    case F_STREET:
        /* USPS Publication 28 is the US's: "ul. Marszałkowska" is not abbreviated. */
        if (strcasecmp(region, "US") != 0) return (size_t)-1;
        k = pol__street_std(buf, len, tmp, cap);
        if (k != (size_t)-1 && k < cap) keep_case(buf, len, tmp);
        break;
    case F_UNIT:
        if (strcasecmp(region, "US") != 0) return (size_t)-1;
        k = pol__unit_std(buf, len, tmp, cap);
        if (k != (size_t)-1 && k < cap) keep_case(buf, len, tmp);
        break;
    case F_CITY:
        k = pol__city_std(buf, len, tmp, cap);
        if (k != (size_t)-1 && k < cap) keep_case(buf, len, tmp);
        break;
    case F_STATE: {
        const char *code = pol__state_code(buf, len, region);
        if (!code) {
            *bad = 1;
            return (size_t)-1;
        }
        k = strlen(code);
        memcpy(tmp, code, k + 1);
        break;
    }
    case F_POSTCODE:
        k = pol__postcode_std(buf, len, region, tmp, cap);
        if (!k) {
            /* Regions without postcode rules are left as typed; others are flagged. */
            static const char *const known[] = {"US", "CA", "GB", "AU", "NZ", "AT",
                                                "BE", "CH", "DK", "NO", "DE", "FR",
                                                "ES", "IT", "FI", "MX", "IN", "NL"};
            for (size_t i = 0; i < sizeof known / sizeof known[0]; i++)
                if (strcasecmp(region, known[i]) == 0) *bad = 1;
            return (size_t)-1;
        }
        break;
    case F_COUNTRY: {
        const char *code = pol__country_code(buf, len);
        if (!code) {
            *bad = 1;
            return (size_t)-1;
        }
        k = (size_t)snprintf(tmp, cap, "%s", code);
        break;
    }
    case F_DATE: {
        char d[32];
        int r = pol__date_iso(buf, len, j->col_order ? j->col_order[col] : j->order, d);
        if (!r && excel_serial(buf, len, d)) {
            st->serial_dates++;
            r = 1;
        }
        if (!r) {
            *bad = 1;
            return (size_t)-1;
        }
        st->ambiguous_dates += r == 2;
        k = strlen(d);
        memcpy(tmp, d, k + 1);
        break;
    }
    default:
        return (size_t)-1;
    }
    return k < cap ? k : (size_t)-1;
}

static void work(void *user, size_t begin, size_t end)
{
    job *j = user;
    pol__table *t = j->r->rows;
    size_t nc = pol__table_cols(t);
    pol__arena *arena = pol__arena_new();
    stats st;
    memset(&st, 0, sizeof st);
    size_t cap = 4096;
    char *buf = malloc(cap), *tmp = malloc(cap);
    if (!arena || !buf || !tmp) goto oom;
    for (size_t row = begin; row < end; row++) {
        const char *region = j->region;
        char rc[3];
        if (j->country_col >= 0) {
            /* A row's own country decides its phone and postcode rules. */
            const char *cv = pol__table_get(t, row, (size_t)j->country_col);
            const char *code = *cv ? pol__country_code(cv, strlen(cv)) : NULL;
            if (code) {
                memcpy(rc, code, 3);
                region = rc;
            }
        }
        /* A row longer than the header is left as it was: its fields may have shifted. */
        if (j->r->dialect.overflow && pol__records_row_is_long(j->r, row)) continue;
        for (size_t c = 0; c < nc; c++) {
            int f = j->field[c];
            if (f < 0 && !j->text) continue;
            const char *v = pol__table_get(t, row, c);
            if (!*v || pol__is_null_token(v)) continue; /* "N/A" stays as written */
            size_t len = strlen(v);
            if (3 * len + 64 > cap) {
                size_t nc2 = 3 * len + 64;
                char *b2 = realloc(buf, nc2), *t2;
                if (!b2) goto oom;
                buf = b2;
                t2 = realloc(tmp, nc2);
                if (!t2) goto oom;
                tmp = t2;
                cap = nc2;
            }
            size_t k;
            if (j->text) {
                k = pol__text_clean(v, len, buf, cap, f != -1 || j->r->roles[c] != POL_ROLE_TEXT);
                if (k == (size_t)-1) continue;
                if (k != len || memcmp(buf, v, len) != 0) st.changed[F_TEXT]++;
            } else {
                memcpy(buf, v, len + 1);
                k = len;
            }
            const char *res = buf;
            if (f >= 0 && k) {
                int bad;
                st.values[f]++;
                size_t nk = apply(j, f, c, buf, k, cap, tmp, region, &st, &bad);
                if (bad) st.invalid[f]++;
                if (nk != (size_t)-1 && (nk != k || memcmp(tmp, buf, k) != 0)) {
                    st.changed[f]++;
                    res = tmp;
                    k = nk;
                }
            }
            if (k == len && memcmp(res, v, len) == 0) continue;
            char *nv = pol__arena_strndup(arena, res, k);
            if (!nv) goto oom;
            if (j->col_ex && j->n_col_ex[c] < 3) {
                pthread_mutex_lock(&j->mu);
                /* Examples of different changes: a new one only if its "before" is new. */
                int dup = 0;
                for (int e = 0; e < j->n_col_ex[c]; e++)
                    dup |= strncmp(j->col_ex[c][e], v, len) == 0 && j->col_ex[c][e][len] == ' ';
                if (j->n_col_ex[c] < 3 && !dup)
                    snprintf(j->col_ex[c][j->n_col_ex[c]++], sizeof j->col_ex[c][0],
                             "%.90s -> %.90s", v, nv);
                pthread_mutex_unlock(&j->mu);
            }
            pol__table_set_ref(t, row, c, nv);
        }
    }
    free(buf);
    free(tmp);
    pthread_mutex_lock(&j->mu);
    for (int f = 0; f < F_N; f++) {
        j->total.changed[f] += st.changed[f];
        j->total.invalid[f] += st.invalid[f];
        j->total.values[f] += st.values[f];
    }
    j->total.typo_fixed += st.typo_fixed;
    j->total.typo_suggested += st.typo_suggested;
    j->total.fictional += st.fictional;
    j->total.ambiguous_dates += st.ambiguous_dates;
    j->total.extensions += st.extensions;
    j->total.serial_dates += st.serial_dates;
    if (pol__table_adopt_arena(t, arena)) j->oom = 1;
    pthread_mutex_unlock(&j->mu);
    return;
oom:
    free(buf);
    free(tmp);
    pthread_mutex_lock(&j->mu);
    /* Values already stored point into the arena: keep it alive with the table. */
    if (!arena || pol__table_adopt_arena(t, arena)) j->oom = 1;
    j->oom = 1;
    pthread_mutex_unlock(&j->mu);
}

static pol_status run(pol_run *run, pol_asset *asset, const pol_args *args)
{
    pol__records *r = pol__records_of(asset);
    pol_status st = pol__records_ensure_roles(run, r);
    if (st) return st;
    job j;
    memset(&j, 0, sizeof j);
    j.r = r;
    j.region = pol__arg_str(args, "region");
    char guessed[3];
    if (!pol__arg_set(args, "region")) {
        /* Not told: an Australian list (NSW, 4-digit postcodes) must not get US rules. */
        double share = pol__records_guess_region(r, guessed);
        if (share >= 0.6 && strcmp(guessed, j.region) != 0) {
            pol__decide(run,
                        "region %s: %.0f%% of rows name it through their state, country or "
                        "postcode (--region to choose)",
                        guessed, 100 * share);
            j.region = guessed;
        }
    }
    if (!j.region || strlen(j.region) != 2)
        return pol__fail(run, POL_ERR_ARG, "--region: \"%s\" is not a two-letter country code",
                         j.region ? j.region : "");
    if (!pol__phone_region_cc(j.region))
        pol__warn(run, "region %s has no phone rules: national numbers are left as they are",
                  j.region);
    const char *order = pol__arg_str(args, "date-order");
    j.order = strcmp(order, "mdy") == 0   ? POL_DATE_MDY
              : strcmp(order, "dmy") == 0 ? POL_DATE_DMY
              : strcmp(order, "ymd") == 0 ? POL_DATE_YMD
                                          : pol__date_order_of(j.region);
    const char *typos = pol__arg_str(args, "email-typos");
    j.typos = strcmp(typos, "fix") == 0 ? 2 : strcmp(typos, "suggest") == 0 ? 1 : 0;
    j.keep_ext = strcmp(pol__arg_str(args, "extensions"), "keep") == 0;
    j.text = pol__arg_bool(args, "text");
    size_t nc = pol__table_cols(r->rows);
    j.field = malloc((nc ? nc : 1) * sizeof *j.field);
    if (!j.field) return pol__fail(run, POL_ERR_NOMEM, "out of memory");
    int any = j.text;
    char why_not[160];
    int identity = pol__records_has_identity(r, why_not, sizeof why_not);
    if (!identity)
        pol__decide(run,
                    "not a contact list (%s): only white space and invisible characters cleaned; "
                    "columns named with --role are standardised",
                    why_not);
    pol__jv *kept = pol__jv_arr();
    for (size_t c = 0; c < nc; c++) {
        j.field[c] = field_of(r->roles[c], args);
        if (j.field[c] >= 0 && !identity && r->role_conf[c] < 1.0f) {
            j.field[c] = -1;
            continue;
        }
        if (j.field[c] >= 0 && !pol__role_sure(r->roles[c], r->role_conf[c])) {
            /* The values alone suggested the role (or the header only contains the word): it
             * helps matching, but nothing proves the column is what it looks like. */
            j.field[c] = -1;
            pol__jv_push(kept, pol__jv_str(pol__table_name(r->rows, c)));
        }
        any |= j.field[c] >= 0;
    }
    if (kept && kept->first)
        pol__measure_jv(run, "columns_not_rewritten", kept);
    else
        pol__jv_free(kept);
    j.country_col = pol__records_col(r, POL_ROLE_COUNTRY);
    if (strcmp(order, "auto") == 0) {
        j.col_order = malloc((nc ? nc : 1) * sizeof *j.col_order);
        if (!j.col_order) {
            free(j.field);
            free(j.col_order);
            return pol__fail(run, POL_ERR_NOMEM, "out of memory");
        }
        for (size_t c = 0; c < nc; c++) {
            j.col_order[c] = j.order;
            if (j.field[c] != F_DATE) continue;
            const char *why = NULL;
            j.col_order[c] = column_order(r->rows, c, j.order, &why);
            if (j.col_order[c] != j.order)
                pol__decide(run, "column %s: dates read %s (%s; --date-order to choose)",
                            pol__table_name(r->rows, c),
                            j.col_order[c] == POL_DATE_DMY ? "day first" : "month first", why);
        }
    }
    if (strcmp(order, "mdy") == 0 || strcmp(order, "dmy") == 0) {
        /* The order given is used where a date allows it; a date it cannot fit (13.03.2024
         * month first) has one reading, the other order: taken, and the contradiction said. */
        for (size_t c = 0; c < nc; c++) {
            if (j.field[c] != F_DATE) continue;
            char ex[64];
            size_t n = against_order(r->rows, c, j.order, ex, sizeof ex);
            if (!n) continue;
            char key[160];
            snprintf(key, sizeof key, "dates_against_order %.120s", pol__table_name(r->rows, c));
            pol__measure_int(run, key, (long long)n);
            pol__warn(run,
                      "column %s contradicts --date-order %s: %zu date%s can only be read %s "
                      "(\"%s\"), and %s read so; check the column's other dates",
                      pol__table_name(r->rows, c), order, n, n == 1 ? "" : "s",
                      j.order == POL_DATE_MDY ? "day first" : "month first", ex,
                      n == 1 ? "it is" : "they are");
        }
    }
    if (!any) {
        free(j.field);
        free(j.col_order);
        pol__decline(run, "nothing to standardise: no column has a role that is switched on");
        return POL_OK;
    }
    j.col_ex = calloc(nc ? nc : 1, sizeof *j.col_ex);
    j.n_col_ex = calloc(nc ? nc : 1, 1);
    if (!j.col_ex || !j.n_col_ex) {
        free(j.col_ex);
        free(j.n_col_ex);
        j.col_ex = NULL;
        j.n_col_ex = NULL;
    }
    pthread_mutex_init(&j.mu, NULL);
    pol__parallel_for(run, pol__table_rows(r->rows), 4096, work, &j);
    pthread_mutex_destroy(&j.mu);
    for (size_t c = 0; j.col_ex && c < nc; c++) {
        if (!j.n_col_ex[c]) continue;
        /* One line per column a person can read: which values changed, and how. */
        char line[700];
        size_t lk = 0;
        line[0] = '\0';
        for (int e = 0; e < j.n_col_ex[c]; e++)
            lk += (size_t)snprintf(line + lk, sizeof line - lk, "%s%s", e ? "; " : "",
                                   j.col_ex[c][e]);
        char key[160];
        snprintf(key, sizeof key, "changed %.140s", pol__table_name(r->rows, c));
        pol__measure_str(run, key, line);
    }
    free(j.col_ex);
    free(j.n_col_ex);
    free(j.field);
    free(j.col_order);
    if (j.oom) return pol__fail(run, POL_ERR_NOMEM, "out of memory standardising");

    size_t changed = 0, values = 0, invalid = 0;
    for (int f = 0; f < F_N; f++) {
        if (!j.total.values[f] && !j.total.changed[f]) continue;
        pol__jv *o = pol__jv_obj();
        if (f != F_TEXT) pol__jv_set(o, "values", pol__jv_int((long long)j.total.values[f]));
        pol__jv_set(o, "changed", pol__jv_int((long long)j.total.changed[f]));
        if (f != F_TEXT) pol__jv_set(o, "invalid", pol__jv_int((long long)j.total.invalid[f]));
        pol__measure_jv(run, field_names[f], o);
        changed += j.total.changed[f];
        if (f != F_TEXT) {
            values += j.total.values[f];
            invalid += j.total.invalid[f];
        }
    }
    if (j.total.typo_fixed) {
        pol__measure_int(run, "email_typos_fixed", (long long)j.total.typo_fixed);
        pol__decide(run,
                    "corrected %zu misspelt email domains (--email-typos suggest to only "
                    "report them)",
                    j.total.typo_fixed);
    }
    if (j.total.typo_suggested) {
        pol__measure_int(run, "email_typos_suggested", (long long)j.total.typo_suggested);
        pol__jv *ex = pol__jv_arr();
        for (int i = 0; i < j.n_examples; i++) pol__jv_push(ex, pol__jv_str(j.examples[i]));
        pol__measure_jv(run, "email_typo_examples", ex);
    }
    if (j.total.serial_dates) {
        pol__measure_int(run, "excel_serial_dates", (long long)j.total.serial_dates);
        pol__decide(run, "%zu Excel serial numbers in date columns written as dates",
                    j.total.serial_dates);
    }
    if (j.total.fictional) pol__measure_int(run, "fictional_phones", (long long)j.total.fictional);
    if (j.total.extensions)
        pol__measure_int(run, "phone_extensions", (long long)j.total.extensions);
    if (j.total.ambiguous_dates) {
        pol__measure_int(run, "ambiguous_dates", (long long)j.total.ambiguous_dates);
        pol__decide(run, "%zu dates could be day/month or month/day; read as %s (--date-order)",
                    j.total.ambiguous_dates,
                    j.order == POL_DATE_MDY   ? "month/day"
                    : j.order == POL_DATE_DMY ? "day/month"
                                              : "year first");
    }
    pol__measure_str(run, "region", j.region);
    if (values) pol__confidence(run, 1.0 - (double)invalid / (double)values);
    if (!changed)
        pol__decline(run, "every value was already standard");
    else
        pol__decide(run, "changed %zu values; %zu invalid values left as they were and flagged",
                    changed, invalid);
    return POL_OK;
}

const pol_op_desc pol__records_op_standardise = {
    .domain = "records",
    .name = "standardise",
    .summary =
        "Standardise names, emails, phones (E.164), addresses (USPS), dates (ISO 8601), text",
    .params = params,
    .n_params = POL_ARRAY_LEN(params),
    .run = run,
    .flags = POL_OP_AUTO,
};
