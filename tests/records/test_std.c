/* polish tests — standardisers: clean values degraded the way forms and exports do, recovered. */
#include <ctype.h>
#include "test_csv_util.h"

/* ---- degradations --------------------------------------------------------------------------- */

static void casefold(char *s, int upper)
{
    for (; *s; s++) *s = (char)(upper ? toupper((unsigned char)*s) : tolower((unsigned char)*s));
}

/* Random case, doubled and edge spaces: what typing into a web form does. */
static void degrade_text(const char *in, char *out, size_t cap, uint64_t *s)
{
    char tmp[256];
    size_t k = 0;
    if (rnd32(s) % 2) tmp[k++] = ' ';
    for (const char *p = in; *p && k + 3 < sizeof tmp; p++) {
        tmp[k++] = *p;
        if (*p == ' ' && rnd32(s) % 3 == 0) tmp[k++] = ' ';
    }
    if (rnd32(s) % 2) tmp[k++] = ' ';
    tmp[k] = '\0';
    int mode = (int)(rnd32(s) % 3);
    if (mode == 0)
        casefold(tmp, 0);
    else if (mode == 1)
        casefold(tmp, 1);
    else { /* keep the case, but add a non-breaking space */
        size_t l = strlen(tmp);
        char *sp = strchr(tmp + 1, ' ');
        if (sp && l + 2 < sizeof tmp) {
            memmove(sp + 2, sp + 1, strlen(sp + 1) + 1);
            sp[0] = (char)0xC2;
            sp[1] = (char)0xA0;
        }
    }
    snprintf(out, cap, "%s", tmp);
}

/* Text clean then a standardiser, as records.standardise does. */
typedef size_t (*std_fn)(const char *, size_t, char *, size_t);

static void run_std(std_fn fn, const char *in, char *out, size_t cap)
{
    char clean[512];
    size_t k = pol__text_clean(in, strlen(in), clean, sizeof clean, 1);
    assert_true(k != (size_t)-1);
    size_t r = fn(clean, k, out, cap);
    assert_true(r != (size_t)-1);
}

static void report(const char *what, size_t ok, size_t n, size_t base_ok)
{
    print_message("%-10s %zu cases: accuracy %.4f (unchanged input: %.4f)\n", what, n,
                  (double)ok / (double)n, (double)base_ok / (double)n);
}

/* ---- names ---------------------------------------------------------------------------------- */

static void test_names(void **state)
{
    (void)state;
    static const char *const first[] = {"John",      "Mary", "Jean-Luc", "Anne-Marie", "Robert",
                                        "Elizabeth", "José", "Zoë",      "William",    "Patricia"};
    static const char *const last[] = {
        "Smith",  "McDonald", "O'Brien", "MacKenzie",    "D'Angelo",   "Smith-Jones", "McAllister",
        "O'Neil", "Johnson",  "García",  "van der Berg", "de la Cruz", "MacLeod"};
    static const char *const suffix[] = {"", "", "", "", " Jr.", " Sr.", " III", " II"};
    uint64_t s = 11;
    size_t n = 0, ok = 0, base = 0;
    for (int i = 0; i < 2000; i++) {
        char canon[128], deg[256], got[256];
        snprintf(canon, sizeof canon, "%s %s%s", first[rnd32(&s) % 10], last[rnd32(&s) % 13],
                 suffix[rnd32(&s) % 8]);
        /* "de la Cruz" after a given name keeps its particles lower case. */
        degrade_text(canon, deg, sizeof deg, &s);
        run_std(pol__name_std, deg, got, sizeof got);
        n++;
        ok += strcmp(got, canon) == 0;
        base += strcmp(deg, canon) == 0;
        if (strcmp(got, canon) != 0 && n - ok <= 5)
            print_message("  name: \"%s\" -> \"%s\", expected \"%s\"\n", deg, got, canon);
    }
    report("names", ok, n, base);
    assert_true((double)ok / (double)n >= 0.99);
}

/* ---- streets -------------------------------------------------------------------------------- */

static void test_streets(void **state)
{
    (void)state;
    static const struct {
        const char *abbr, *full[3];
    } sfx[] = {
        {"St", {"Street", "Str", "St."}},         {"Ave", {"Avenue", "Av", "Ave."}},
        {"Blvd", {"Boulevard", "Boul", "Blvd."}}, {"Rd", {"Road", "Rd.", "ROAD"}},
        {"Dr", {"Drive", "Drv", "Dr."}},          {"Ln", {"Lane", "Ln.", "LANE"}},
        {"Ct", {"Court", "Crt", "Ct."}},          {"Pl", {"Place", "Pl.", "PLACE"}},
        {"Ter", {"Terrace", "Terr", "Ter."}},     {"Pkwy", {"Parkway", "Pky", "Pkwy."}},
        {"Hwy", {"Highway", "Hiway", "Hwy."}},    {"Cir", {"Circle", "Circ", "Cir."}},
    };
    static const struct {
        const char *abbr, *full;
    } dirs[] = {{"N", "North"}, {"S", "South"},      {"E", "East"},
                {"W", "West"},  {"NE", "Northeast"}, {"SW", "Southwest"}};
    static const char *const names[] = {"Main", "Oak",        "Maple",      "Martin Luther King",
                                        "21st", "Washington", "Cedar Hill", "5th",
                                        "Elm",  "Sunset"};
    static const struct {
        const char *abbr, *full;
    } units[] = {{"Apt", "Apartment"}, {"Ste", "Suite"}, {"Unit", "Unit"},
                 {"Fl", "Floor"},      {"Rm", "Room"},   {"Bldg", "Building"}};
    uint64_t s = 5;
    size_t n = 0, ok = 0, base = 0;
    for (int i = 0; i < 3000; i++) {
        int num = 1 + (int)(rnd32(&s) % 9999);
        int d = (int)(rnd32(&s) % 10), pd = (int)(rnd32(&s) % 12), u = (int)(rnd32(&s) % 10);
        int si = (int)(rnd32(&s) % 12), ni = (int)(rnd32(&s) % 10);
        char unit_no[8];
        snprintf(unit_no, sizeof unit_no, "%d%s", 1 + (int)(rnd32(&s) % 40),
                 rnd32(&s) % 3 ? "" : "B");
        char canon[160], deg[200], got[256];
        snprintf(canon, sizeof canon, "%d %s%s%s %s%s%s%s%s%s", num, d < 6 ? dirs[d].abbr : "",
                 d < 6 ? " " : "", names[ni], sfx[si].abbr, pd < 2 ? " " : "",
                 pd < 2 ? dirs[pd + 2].abbr : "", u < 6 ? " " : "", u < 6 ? units[u].abbr : "", "");
        if (u < 6) {
            size_t l = strlen(canon);
            snprintf(canon + l, sizeof canon - l, " %s", unit_no);
        }
        /* The same address as people write it. */
        const char *full_sfx = sfx[si].full[rnd32(&s) % 3];
        int comma = rnd32(&s) % 2;
        snprintf(deg, sizeof deg, "%d %s%s%s %s%s%s%s%s%s%s", num,
                 d < 6 ? (rnd32(&s) % 2 ? dirs[d].full : dirs[d].abbr) : "", d < 6 ? " " : "",
                 names[ni], full_sfx, pd < 2 ? " " : "", pd < 2 ? dirs[pd + 2].full : "",
                 u < 6 ? (comma ? ", " : " ") : "",
                 u < 6 ? (rnd32(&s) % 2 ? units[u].full : units[u].abbr) : "",
                 u < 6 && rnd32(&s) % 3 == 0 ? "." : "", u < 6 ? " " : "");
        if (u < 6) {
            size_t l = strlen(deg);
            snprintf(deg + l, sizeof deg - l, "%s", unit_no);
        }
        char deg2[256];
        degrade_text(deg, deg2, sizeof deg2, &s);
        run_std(pol__street_std, deg2, got, sizeof got);
        n++;
        ok += strcmp(got, canon) == 0;
        base += strcmp(deg2, canon) == 0;
        if (strcmp(got, canon) != 0 && n - ok <= 5)
            print_message("  street: \"%s\" -> \"%s\", expected \"%s\"\n", deg2, got, canon);
    }
    report("streets", ok, n, base);
    assert_true((double)ok / (double)n >= 0.99);
}

/* ---- states, postcodes, countries ----------------------------------------------------------- */

static void test_states_postcodes(void **state)
{
    (void)state;
    static const struct {
        const char *code, *name, *abbr;
    } st[] = {
        {"CA", "California", "Calif."},
        {"NY", "New York", "N.Y."},
        {"TX", "Texas", "Tex."},
        {"MA", "Massachusetts", "Mass."},
        {"WA", "Washington", "Wash."},
        {"NC", "North Carolina", "N.C."},
        {"PA", "Pennsylvania", "Penn."},
        {"FL", "Florida", "Fla."},
        {"DC", "District of Columbia", "D.C."},
        {"WV", "West Virginia", "W. Va."},
        {"IL", "Illinois", "Ill."},
        {"OR", "Oregon", "Ore."},
    };
    uint64_t s = 3;
    size_t n = 0, ok = 0, base = 0;
    for (int i = 0; i < 1200; i++) {
        int k = (int)(rnd32(&s) % 12);
        const char *forms[4] = {st[k].name, st[k].abbr, st[k].code, st[k].code};
        char in[64];
        snprintf(in, sizeof in, "%s", forms[rnd32(&s) % 4]);
        if (rnd32(&s) % 2) casefold(in, (int)(rnd32(&s) % 2));
        const char *got = pol__state_code(in, strlen(in), "US");
        n++;
        ok += got && strcmp(got, st[k].code) == 0;
        base += strcmp(in, st[k].code) == 0;
    }
    report("states", ok, n, base);
    assert_true(ok == n);

    /* ZIPs lose leading zeros in spreadsheets and dashes in exports. */
    n = ok = base = 0;
    for (int i = 0; i < 1000; i++) {
        int zip = (int)(rnd32(&s) % 100000), plus4 = (int)(rnd32(&s) % 10000);
        int has4 = rnd32(&s) % 2;
        char canon[16], in[32], got[32];
        if (has4)
            snprintf(canon, sizeof canon, "%05d-%04d", zip, plus4);
        else
            snprintf(canon, sizeof canon, "%05d", zip);
        int form = (int)(rnd32(&s) % 3);
        if (form == 0)
            snprintf(in, sizeof in, "%s", canon);
        else if (form == 1 && has4)
            snprintf(in, sizeof in, "%d%04d", zip, plus4);
        else if (form == 1)
            snprintf(in, sizeof in, "%d", zip);
        else
            snprintf(in, sizeof in, " %s ", canon);
        /* A 3-digit number is ambiguous only for real ZIPs 00100-00999; all are padded. */
        size_t k = pol__postcode_std(in, strlen(in), "US", got, sizeof got);
        n++;
        ok += k && strcmp(got, canon) == 0;
        base += strcmp(in, canon) == 0;
    }
    report("zips", ok, n, base);
    assert_true((double)ok / (double)n >= 0.99);

    char got[32];
    assert_true(pol__postcode_std("sw1a1aa", 7, "GB", got, sizeof got));
    assert_string_equal(got, "SW1A 1AA");
    assert_true(pol__postcode_std("k1a0b1", 6, "CA", got, sizeof got));
    assert_string_equal(got, "K1A 0B1");
    assert_false(pol__postcode_std("hello", 5, "US", got, sizeof got));
    assert_string_equal(pol__country_code("U.S.A.", 6), "US");
    assert_string_equal(pol__country_code("united kingdom", 14), "GB");
    assert_null(pol__country_code("united", 6));
}

/* ---- emails --------------------------------------------------------------------------------- */

static void test_emails(void **state)
{
    (void)state;
    static const char *const users[] = {"john.smith", "mary_o", "bob+leads", "a.b.c", "zoe99"};
    static const struct {
        const char *good, *typo;
    } doms[] = {
        {"gmail.com", "gmial.com"},     {"gmail.com", "gmail.con"},    {"yahoo.com", "yaho.com"},
        {"hotmail.com", "hotmial.com"}, {"outlook.com", "outlok.com"}, {"icloud.com", "iclod.com"},
        {"acme-plumbing.com", NULL},    {"example.co.uk", NULL},
    };
    uint64_t s = 9;
    size_t n = 0, ok = 0, base = 0;
    for (int i = 0; i < 1000; i++) {
        int u = (int)(rnd32(&s) % 5), d = (int)(rnd32(&s) % 8);
        char canon[128], in[160], got[160];
        snprintf(canon, sizeof canon, "%s@%s", users[u], doms[d].good);
        const char *dom = doms[d].typo && rnd32(&s) % 2 ? doms[d].typo : doms[d].good;
        snprintf(in, sizeof in, "%s%s@%s%s", rnd32(&s) % 3 == 0 ? " mailto:" : " ", users[u], dom,
                 rnd32(&s) % 2 ? "  " : ".");
        if (rnd32(&s) % 2) casefold(in, 1);
        const char *typo;
        pol__email_status es = pol__email_std(in, strlen(in), got, sizeof got, &typo);
        if (typo) pol__email_fix_domain(got, sizeof got, typo);
        n++;
        ok += es == POL_EMAIL_OK && strcmp(got, canon) == 0;
        base += strcmp(in, canon) == 0;
    }
    report("emails", ok, n, base);
    assert_true((double)ok / (double)n >= 0.99);
    /* Syntax. */
    const char *bad[] = {"bob@",  "@x.com",   "a b@c.com", "a..b@c.com",  "a@b",
                         "a@b.c", "a@@b.com", "a@-b.com",  "plainaddress"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char g[64];
        const char *typo;
        assert_int_equal(pol__email_std(bad[i], strlen(bad[i]), g, sizeof g, &typo),
                         POL_EMAIL_INVALID);
    }
}

/* ---- dates ---------------------------------------------------------------------------------- */

static void test_dates(void **state)
{
    (void)state;
    static const char *const months[] = {"January",   "February", "March",    "April",
                                         "May",       "June",     "July",     "August",
                                         "September", "October",  "November", "December"};
    uint64_t s = 17;
    size_t n = 0, ok = 0, base = 0;
    for (int region = 0; region < 2; region++) {
        pol__date_order order = region ? POL_DATE_DMY : POL_DATE_MDY;
        for (int i = 0; i < 1500; i++) {
            int y = 1930 + (int)(rnd32(&s) % 90), m = 1 + (int)(rnd32(&s) % 12),
                d = 1 + (int)(rnd32(&s) % 28);
            char canon[16], in[48], got[32];
            snprintf(canon, sizeof canon, "%04d-%02d-%02d", y, m, d);
            switch (rnd32(&s) % 7) {
            case 0:
                snprintf(in, sizeof in, "%s", canon);
                break;
            case 1:
                if (region)
                    snprintf(in, sizeof in, "%d/%d/%d", d, m, y);
                else
                    snprintf(in, sizeof in, "%d/%d/%d", m, d, y);
                break;
            case 2:
                if (region)
                    snprintf(in, sizeof in, "%02d.%02d.%04d", d, m, y);
                else
                    snprintf(in, sizeof in, "%02d-%02d-%04d", m, d, y);
                break;
            case 3:
                snprintf(in, sizeof in, "%s %d, %d", months[m - 1], d, y);
                break;
            case 4:
                snprintf(in, sizeof in, "%d %.3s %d", d, months[m - 1], y);
                break;
            case 5:
                snprintf(in, sizeof in, "%04d%02d%02d", y, m, d);
                break; /* FEBRL */
            default:
                snprintf(in, sizeof in, "%04d/%02d/%02d", y, m, d);
                break;
            }
            int r = pol__date_iso(in, strlen(in), order, got);
            n++;
            ok += r && strcmp(got, canon) == 0;
            base += strcmp(in, canon) == 0;
            if (!(r && strcmp(got, canon) == 0) && n - ok <= 5)
                print_message("  date: \"%s\" -> \"%s\", expected %s\n", in, got, canon);
        }
    }
    report("dates", ok, n, base);
    assert_true(ok == n);
    char got[32];
    assert_int_equal(pol__date_iso("19081209", 8, POL_DATE_MDY, got), 1);
    assert_string_equal(got, "1908-12-09");
    assert_int_equal(pol__date_iso("31/02/2020", 10, POL_DATE_DMY, got), 0);
    assert_int_equal(pol__date_iso("3/4/2020", 8, POL_DATE_DMY, got), 2); /* ambiguous */
    assert_string_equal(got, "2020-04-03");
    assert_int_equal(pol__date_iso("2020-03-04 13:45", 16, POL_DATE_MDY, got), 1);
    assert_string_equal(got, "2020-03-04T13:45");
}

/* ---- text ----------------------------------------------------------------------------------- */

static void test_text_clean(void **state)
{
    (void)state;
    const struct {
        const char *in, *out;
    } cases[] = {
        {"  a  b  ", "a b"},
        {"a\xC2\xA0"
         "b",
         "a b"}, /* no-break space */
        {"a\xE2\x80\x8B"
         "b",
         "ab"}, /* zero-width space */
        {"\xEF\xBB\xBF"
         "x",
         "x"},                           /* stray BOM */
        {"Jose\xCC\x81", "Jos\xC3\xA9"}, /* NFC */
        {"line\r\nbreak", "line break"},
        {"tab\there", "tab here"},
        {"ctl\x01"
         "char",
         "ctlchar"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char out[64];
        size_t k = pol__text_clean(cases[i].in, strlen(cases[i].in), out, sizeof out, 1);
        assert_true(k != (size_t)-1);
        assert_string_equal(out, cases[i].out);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_names),
        cmocka_unit_test(test_streets),
        cmocka_unit_test(test_states_postcodes),
        cmocka_unit_test(test_emails),
        cmocka_unit_test(test_dates),
        cmocka_unit_test(test_text_clean),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
