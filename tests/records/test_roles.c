/* polish tests — column roles from header names and from content alone, and --map overrides. */
#include "test_match_util.h"

static pol__records *table_of(const char *const *headers, size_t nc, const char *const *rows,
                             size_t nr)
{
    pol__table *t = pol__table_new(nc);
    for (size_t c = 0; c < nc; c++) pol__table_set_name(t, c, headers[c]);
    for (size_t r = 0; r < nr; r++) pol__table_add_row(t, rows + r * nc, nc, (uint32_t)r + 2);
    return pol__records_new(t);
}

static void test_header_synonyms(void **state)
{
    (void)state;
    rctx t;
    rctx_init(&t);
    /* Exports from several CRMs and FEBRL; the content is empty, so the header decides. */
    const struct {
        const char *header;
        pol__role role;
    } cases[] = {
        {"First Name", POL_ROLE_FIRST_NAME},
        {"given_name", POL_ROLE_FIRST_NAME},
        {"Vorname", POL_ROLE_FIRST_NAME},
        {"surname", POL_ROLE_LAST_NAME},
        {"LastName", POL_ROLE_LAST_NAME},
        {"Full Name", POL_ROLE_FULL_NAME},
        {"E-Mail Address", POL_ROLE_EMAIL},
        {"email_2", POL_ROLE_EMAIL},
        {"Mobile Phone", POL_ROLE_PHONE},
        {"Teléfono", POL_ROLE_PHONE},
        {"address_1", POL_ROLE_STREET},
        {"Street Address", POL_ROLE_STREET},
        {"address_2", POL_ROLE_ADDRESS2},
        {"street_number", POL_ROLE_STREET_NUMBER},
        {"suburb", POL_ROLE_CITY},
        {"Town/City", POL_ROLE_CITY},
        {"State/Region", POL_ROLE_STATE},
        {"Province", POL_ROLE_STATE},
        {"postcode", POL_ROLE_POSTCODE},
        {"ZIP Code", POL_ROLE_POSTCODE},
        {"Country/Region", POL_ROLE_COUNTRY},
        {"Company Name", POL_ROLE_COMPANY},
        {"date_of_birth", POL_ROLE_DATE},
        {"soc_sec_id", POL_ROLE_ID},
        {"rec_id", POL_ROLE_ID},
        {"Notes", POL_ROLE_TEXT},
        {"Favourite colour", POL_ROLE_UNKNOWN},
    };
    size_t n = sizeof cases / sizeof cases[0];
    const char *headers[32];
    for (size_t i = 0; i < n; i++) headers[i] = cases[i].header;
    pol__records *r = table_of(headers, n, NULL, 0);
    assert_int_equal(pol__roles_infer(&t.run, r, NULL, 0), POL_OK);
    for (size_t i = 0; i < n; i++)
        if (r->roles[i] != cases[i].role)
            fail_msg("\"%s\": %s, expected %s", cases[i].header, pol__role_name(r->roles[i]),
                     pol__role_name(cases[i].role));
    pol__records_free(r);
    rctx_done(&t);
}

/* Columns named col1..col7 in random order: the content alone tells emails, phones, dates,
 * states, postcodes and streets apart. */
static void test_content_only(void **state)
{
    (void)state;
    rctx t;
    rctx_init(&t);
    static const char *const streets[] = {"12 Main St", "400 Oak Avenue", "9 N Elm Rd",
                                          "77 Congress Ave Ste 300", "1200 Lamar Blvd"};
    static const char *const states[] = {"TX", "California", "ny", "FL", "Wash."};
    uint64_t s = 77;
    enum { NR = 300, NC = 6 };
    static char cells[NR][NC][48];
    const char *ptr[NR * NC];
    pol__role expect[NC] = {POL_ROLE_EMAIL, POL_ROLE_PHONE,    POL_ROLE_DATE,
                           POL_ROLE_STATE, POL_ROLE_POSTCODE, POL_ROLE_STREET};
    for (size_t r = 0; r < NR; r++) {
        snprintf(cells[r][0], 48, "user%u@mail%u.com", rnd32(&s) % 1000, rnd32(&s) % 50);
        snprintf(cells[r][1], 48, "(%u) %u-%04u", 202 + rnd32(&s) % 3 * 110, 200 + rnd32(&s) % 700,
                 rnd32(&s) % 10000);
        snprintf(cells[r][2], 48, "%u/%u/%u", 1 + rnd32(&s) % 12, 1 + rnd32(&s) % 28,
                 1950 + rnd32(&s) % 60);
        snprintf(cells[r][3], 48, "%s", states[rnd32(&s) % 5]);
        /* ZIP codes of every region, New England's leading zeros too. */
        snprintf(cells[r][4], 48, "%05u", 1000 + rnd32(&s) % 98999);
        snprintf(cells[r][5], 48, "%s", streets[rnd32(&s) % 5]);
        if (rnd32(&s) % 10 == 0) cells[r][rnd32(&s) % NC][0] = '\0'; /* some gaps */
    }
    /* Shuffle the column order. */
    size_t perm[NC] = {3, 0, 5, 1, 4, 2};
    const char *headers[NC] = {"col1", "col2", "col3", "col4", "col5", "col6"};
    for (size_t r = 0; r < NR; r++)
        for (size_t c = 0; c < NC; c++) ptr[r * NC + c] = cells[r][perm[c]];
    pol__records *rec = table_of(headers, NC, ptr, NR);
    assert_int_equal(pol__roles_infer(&t.run, rec, NULL, 0), POL_OK);
    size_t right = 0;
    for (size_t c = 0; c < NC; c++) {
        right += rec->roles[c] == expect[perm[c]];
        if (rec->roles[c] != expect[perm[c]])
            print_message("  col%zu: %s, expected %s\n", c + 1, pol__role_name(rec->roles[c]),
                          pol__role_name(expect[perm[c]]));
    }
    print_message("roles from content alone: %zu of %d columns\n", right, NC);
    assert_int_equal(right, NC);
    pol__records_free(rec);
    rctx_done(&t);
}

static void test_map_override(void **state)
{
    (void)state;
    rctx t;
    rctx_init(&t);
    const char *headers[] = {"a", "b"};
    const char *rows[] = {"x@y.com", "hello"};
    pol__records *r = table_of(headers, 2, rows, 1);
    assert_int_equal(pol__roles_infer(&t.run, r, "b=company, a = phone", 0), POL_OK);
    assert_int_equal(r->roles[0], POL_ROLE_PHONE);
    assert_int_equal(r->roles[1], POL_ROLE_COMPANY);
    assert_true(r->role_conf[1] == 1.0f);
    assert_int_equal(pol__roles_infer(&t.run, r, "nope=email", 0), POL_ERR_ARG);
    assert_non_null(strstr(t.err.msg, "nope"));
    assert_int_equal(pol__roles_infer(&t.run, r, "a=emial", 0), POL_ERR_ARG);
    assert_non_null(strstr(t.err.msg, "emial"));
    assert_string_equal(pol__role_name(POL_ROLE_POSTCODE), "postcode");
    assert_int_equal(pol__role_from_name("zip"), POL_ROLE_POSTCODE);
    pol__records_free(r);
    rctx_done(&t);
}

/* Which country a list is from, when --region is not given: its states, countries, postcodes. */
static void test_guess_region(void **state)
{
    (void)state;
    rctx t;
    rctx_init(&t);
    const struct {
        const char *states[4], *want;
    } cases[] = {
        {{"nsw", "vic", "wa", "qld"}, "AU"},
        {{"TX", "tx", "California", "NY"}, "US"},
        {{"Ontario", "QC", "bc", "WA"}, "CA"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const char *headers[] = {"name", "state"};
        const char *rows[8];
        for (int k = 0; k < 4; k++) {
            rows[2 * k] = "x";
            rows[2 * k + 1] = cases[i].states[k];
        }
        pol__records *r = table_of(headers, 2, rows, 4);
        assert_int_equal(pol__roles_infer(&t.run, r, NULL, 0), POL_OK);
        char got[3];
        assert_true(pol__records_guess_region(r, got) >= 0.6);
        assert_string_equal(got, cases[i].want);
        pol__records_free(r);
    }
    rctx_done(&t);
}

/* records.export lays the columns out for a CRM from their roles. */
static pol_status run_export(rctx *t, pol__records *r, const char *name, const char *value)
{
    const pol_op_desc *op = pol_op_find("records", "export");
    assert_non_null(op);
    pol_args *a = pol__args_new(op);
    assert_non_null(a);
    pol_err e;
    if (name) assert_int_equal(pol__args_set(a, name, value, &e), POL_OK);
    pol_asset asset = {1, &pol__records_domain, r, NULL};
    pol_status st = op->run(&t->run, &asset, a);
    pol__args_free(a);
    return st;
}

static void test_export_presets(void **state)
{
    (void)state;
    rctx t;
    rctx_init(&t);
    const char *headers[] = {"Name", "E-mail", "Tel", "House Number", "Street", "Apt",
                             "Town", "ST",     "ZIP", "Org",          "Notes"};
    const char *rows[] = {"Mary Ann van der Berg Jr.",
                          "m@x.com",
                          "+12025550143",
                          "12",
                          "Main St",
                          "Apt 4",
                          "Austin",
                          "TX",
                          "78701",
                          "Acme",
                          "call back"};
    pol__records *r = table_of(headers, 11, rows, 1);
    assert_int_equal(run_export(&t, r, "preset", "hubspot"), POL_OK);
    const char *want[] = {"First Name",   "Last Name",      "Email", "Phone Number",
                          "Company Name", "Street Address", "City",  "State/Region",
                          "Postal Code",  "Country/Region"};
    assert_int_equal(pol__table_cols(r->rows), 10);
    for (size_t c = 0; c < 10; c++) assert_string_equal(pol__table_name(r->rows, c), want[c]);
    assert_string_equal(pol__table_get(r->rows, 0, 0), "Mary Ann");
    assert_string_equal(pol__table_get(r->rows, 0, 1), "van der Berg Jr.");
    assert_string_equal(pol__table_get(r->rows, 0, 3), "+12025550143");
    assert_string_equal(pol__table_get(r->rows, 0, 5), "12 Main St Apt 4");
    assert_string_equal(pol__table_get(r->rows, 0, 9), "");
    pol__records_free(r);

    /* Salesforce names, and a custom mapping by role or column name. */
    r = table_of(headers, 11, rows, 1);
    assert_int_equal(run_export(&t, r, "preset", "salesforce"), POL_OK);
    assert_string_equal(pol__table_name(r->rows, 1), "LastName");
    assert_string_equal(pol__table_name(r->rows, 8), "PostalCode");
    pol__records_free(r);
    r = table_of(headers, 11, rows, 1);
    assert_int_equal(run_export(&t, r, "mapping", "Mail=email, Remarks=Notes,Zip=postcode"),
                     POL_OK);
    assert_int_equal(pol__table_cols(r->rows), 3);
    assert_string_equal(pol__table_name(r->rows, 1), "Remarks");
    assert_string_equal(pol__table_get(r->rows, 0, 1), "call back");
    assert_string_equal(pol__table_get(r->rows, 0, 2), "78701");
    pol__records_free(r);
    r = table_of(headers, 11, rows, 1);
    assert_int_equal(run_export(&t, r, "mapping", "X=nonsense"), POL_ERR_ARG);
    assert_non_null(strstr(t.err.msg, "nonsense"));
    /* No preset and no mapping: the columns stay as they are. */
    assert_int_equal(run_export(&t, r, NULL, NULL), POL_OK);
    assert_int_equal(pol__table_cols(r->rows), 11);
    pol__records_free(r);
    rctx_done(&t);
}

/* Roles need evidence: measurements are never postcodes, row labels that happen to be state
 * names are not rewritten, a header the values contradict gives no role, and a table of
 * measurements has no identity (so fix never deduplicates it). --role overrides everything. */
static void test_evidence(void **state)
{
    (void)state;
    rctx t;
    rctx_init(&t);
    const char *headers[] = {"", "Murder", "Assault", "zip", "Year", "Temp"};
    const char *rows[] = {
        "Alabama",    "13.2", "236", "21.2", "1970", "67", /**/
        "Alaska",     "10",   "263", "44.5", "1971", "72", /**/
        "Arizona",    "8.1",  "294", "31",   "1972", "74", /**/
        "Arkansas",   "8.8",  "190", "19.5", "1973", "62", /**/
        "California", "9",    "276", "40.6", "1974", "56", /**/
        "Colorado",   "7.9",  "204", "38.7", "1975", "66",
    };
    pol__records *r = table_of(headers, 6, rows, 6);
    assert_int_equal(pol__roles_infer(&t.run, r, NULL, 0), POL_OK);
    for (size_t c = 1; c < 6; c++) {
        if (r->roles[c] == POL_ROLE_POSTCODE || r->roles[c] == POL_ROLE_DATE ||
            r->roles[c] == POL_ROLE_PHONE)
            fail_msg("column \"%s\" of numbers taken for %s", headers[c],
                     pol__role_name(r->roles[c]));
        assert_false(pol__role_sure(r->roles[c], r->role_conf[c]));
    }
    /* The unnamed column of state names may help matching but is never rewritten. */
    assert_false(pol__role_sure(r->roles[0], r->role_conf[0]));
    char why[160];
    assert_false(pol__records_has_identity(r, why, sizeof why));
    assert_non_null(strstr(why, "no email, phone"));
    pol__records_free(r);

    /* A real ZIP column with a header is sure; --role makes any column sure. */
    const char *h2[] = {"Name", "ZIP", "Street", "Code"};
    const char *r2[] = {"Ann Lee", "02134", "12 Main St", "7", /**/
                        "Bo Diaz", "78701", "9 Elm Rd",   "8"};
    r = table_of(h2, 4, r2, 2);
    assert_int_equal(pol__roles_infer(&t.run, r, "Code=phone", 0), POL_OK);
    assert_int_equal(r->roles[1], POL_ROLE_POSTCODE);
    assert_true(pol__role_sure(r->roles[1], r->role_conf[1]));
    assert_int_equal(r->roles[3], POL_ROLE_PHONE);
    assert_true(r->role_conf[3] >= 1.0f);
    assert_true(pol__records_has_identity(r, why, sizeof why));
    pol__records_free(r);
    rctx_done(&t);
}

/* records.standardise on a contact list from several countries: null tokens stay as written
 * and are not flagged, dotted dates are day first, a 13-31 in the first place decides a column,
 * Excel serials in a date column become dates, postcodes follow the row's country (the Polish
 * 00-950 stays), USPS street forms only for US rows, and cities are never recased. */
static void test_standardise_rules(void **state)
{
    (void)state;
    rctx t;
    rctx_init(&t);
    const char *headers[] = {"Name",     "Email",   "Phone",       "Street",  "City",
                             "Postcode", "Country", "Signup Date", "Birthday"};
    const char *rows[] = {
        "Jan Kowalski",
        "jan@wp.pl",
        "N/A",
        "ul. Marszalkowska 1",
        "WARSZAWA",
        "00-950",
        "Poland",
        "04.03.2024",
        "03/04/1980", /**/
        "Ann Lee",
        "ann@x.org",
        "-",
        "12 main street",
        "boston",
        "2134",
        "USA",
        "45355",
        "25/12/1979", /**/
        "Bo Diaz",
        "bo@y.org",
        "(512) 555-0187",
        "9 Elm Rd",
        "Austin",
        "n/a",
        "United States",
        "13.02.2024",
        "null",
    };
    pol__records *r = table_of(headers, 9, rows, 3);
    pol_asset a = {1, &pol__records_domain, r, NULL};
    assert_int_equal(run_op(&t, &a, &pol__records_op_standardise, NULL), POL_OK);
    const char *want[] = {
        "Jan Kowalski",
        "jan@wp.pl",
        "N/A",
        "ul. Marszalkowska 1",
        "WARSZAWA",
        "00-950",
        "PL",
        "2024-03-04",
        "1980-04-03", /**/
        "Ann Lee",
        "ann@x.org",
        "-",
        "12 main St",
        "boston",
        "02134",
        "US",
        "2024-03-04",
        "1979-12-25", /**/
        "Bo Diaz",
        "bo@y.org",
        "+15125550187",
        "9 Elm Rd",
        "Austin",
        "n/a",
        "US",
        "2024-02-13",
        "null",
    };
    for (size_t i = 0; i < 3; i++)
        for (size_t c = 0; c < 9; c++)
            if (strcmp(pol__table_get(r->rows, i, c), want[i * 9 + c]) != 0)
                fail_msg("row %zu %s: \"%s\", expected \"%s\"", i + 1, headers[c],
                         pol__table_get(r->rows, i, c), want[i * 9 + c]);
    pol__records_free(r);
    /* Dotted dates with no 13-31 to decide: day first, whatever the region; --date-order
     * overrides. */
    const char *h2[] = {"Email", "Date"};
    const char *r2[] = {"a@b.org", "03.04.2024", "c@d.org", "2024-01-02"};
    r = table_of(h2, 2, r2, 2);
    a.data = r;
    assert_int_equal(run_op(&t, &a, &pol__records_op_standardise, NULL), POL_OK);
    assert_string_equal(pol__table_get(r->rows, 0, 1), "2024-04-03");
    pol__records_free(r);
    r = table_of(h2, 2, r2, 2);
    a.data = r;
    assert_int_equal(run_op(&t, &a, &pol__records_op_standardise, "date-order", "mdy", NULL),
                     POL_OK);
    assert_string_equal(pol__table_get(r->rows, 0, 1), "2024-03-04");
    pol__records_free(r);
    rctx_done(&t);
}

/* Father and son at one address, the suffix written on one side only: each has his own email,
 * so they are two people; the same man typed twice (same email) is one. */
static void test_suffix_one_side(void **state)
{
    (void)state;
    rctx t;
    rctx_init(&t);
    const char *headers[] = {"First Name", "Last Name", "Email", "Phone", "Street", "Zip"};
    enum { PEOPLE = 12 };
    static char cells[PEOPLE * 4][6][64];
    const char *ptr[PEOPLE * 4 * 6];
    static const char *const firsts[] = {"Sofia", "Tear", "Richard", "Maria", "Hana",  "Omar",
                                         "Grace", "Ivan", "Leah",    "Owen",  "Mateo", "Nina"};
    static const char *const lasts[] = {"Shysys",    "Gor",    "Mekliman", "Zitraim",
                                        "Lyshourt",  "Baiser", "Pason",    "Stivoul",
                                        "Deastaind", "Taino",  "Kus",      "Treaton"};
    size_t n = 0;
    for (int i = 0; i < PEOPLE; i++) {
        /* The father twice (same email), the son once with "Jr." only on the father's row. */
        for (int k = 0; k < 3; k++) {
            snprintf(cells[n][0], 64, "%s", firsts[i]);
            snprintf(cells[n][1], 64, "%s%s", lasts[i], k < 2 && i % 2 ? " Sr." : "");
            if (k == 2 && i % 2 == 0) snprintf(cells[n][1], 64, "%s Jr.", lasts[i]);
            if (k < 2)
                snprintf(cells[n][2], 64, "%s.%s@mail.com", firsts[i], lasts[i]);
            else
                snprintf(cells[n][2], 64, "%c%s%d@work.example.net", firsts[i][0], lasts[i],
                         70 + i);
            snprintf(cells[n][3], 64, "(512) 3%02d-%04d", i, 1000 + i);
            snprintf(cells[n][4], 64, "%d Main St", 100 + i);
            snprintf(cells[n][5], 64, "787%02d", i);
            n++;
        }
    }
    for (size_t r = 0; r < n; r++)
        for (size_t c = 0; c < 6; c++) ptr[r * 6 + c] = cells[r][c];
    pol__records *r = table_of(headers, 6, ptr, n);
    pol_asset a = {1, &pol__records_domain, r, NULL};
    assert_int_equal(run_op(&t, &a, &pol__records_op_dedupe, NULL), POL_OK);
    long cc = pol__table_find(r->rows, "cluster_id");
    assert_true(cc >= 0);
    for (size_t i = 0; i < n; i += 3) {
        const char *f1 = pol__table_get(r->rows, i, (size_t)cc),
                   *f2 = pol__table_get(r->rows, i + 1, (size_t)cc),
                   *son = pol__table_get(r->rows, i + 2, (size_t)cc);
        if (strcmp(f1, f2) != 0) fail_msg("row %zu: the father typed twice was not merged", i + 2);
        if (strcmp(f1, son) == 0)
            fail_msg("row %zu: father and son (%s / %s) merged", i + 2,
                     pol__table_get(r->rows, i, 1), pol__table_get(r->rows, i + 2, 1));
    }
    pol__records_free(r);
    rctx_done(&t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_header_synonyms),   cmocka_unit_test(test_content_only),
        cmocka_unit_test(test_map_override),      cmocka_unit_test(test_guess_region),
        cmocka_unit_test(test_export_presets),    cmocka_unit_test(test_evidence),
        cmocka_unit_test(test_standardise_rules), cmocka_unit_test(test_suffix_one_side),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
