/* polish tests — CSV/TSV reading and writing: encodings, quoting, ragged and hostile input. */
#include "test_csv_util.h"

static pol__records *load(rctx *t, const char *name, const void *data, size_t n, pol_status want)
{
    const char *p = rpath(t, name);
    write_bytes(p, data, n);
    pol__records *r = NULL;
    pol_err_clear(&t->err);
    pol_status st = pol__csv_load(&t->run, p, &r);
    if (st != want) fail_msg("%s: status %d, expected %d (%s)", name, st, want, t->err.msg);
    return r;
}

#define LOAD_OK(t, name, lit) load((t), (name), (lit), sizeof(lit) - 1, POL_OK)

static size_t qrows(const pol__records *r)
{
    return r->quarantine ? pol__table_rows(r->quarantine) : 0;
}

/* Every row read is either kept or quarantined: nothing is lost. */
static void assert_accounted(const pol__records *r)
{
    assert_int_equal(pol__table_rows(r->rows) + qrows(r), r->input_rows);
}

static void test_bom_crlf_quotes(void **state)
{
    (void)state;
    rctx t;
    rctx_init(&t);
    pol__records *r = LOAD_OK(&t, "a.csv",
                             "\xEF\xBB\xBFname,note\r\n\"Smith, J\",\"say \"\"hi\"\"\"\r\n"
                             "Ann,\"two\r\nlines\"\r\nBob,x\r\n");
    assert_string_equal(r->encoding, "utf-8-bom");
    assert_string_equal(pol__table_name(r->rows, 0), "name");
    assert_int_equal(pol__table_rows(r->rows), 3);
    assert_string_equal(pol__table_get(r->rows, 0, 0), "Smith, J");
    assert_string_equal(pol__table_get(r->rows, 0, 1), "say \"hi\"");
    assert_string_equal(pol__table_get(r->rows, 1, 1), "two\r\nlines");
    /* Bob starts on physical line 5: the quoted newline counts. */
    assert_int_equal(pol__table_src_line(r->rows, 2), 5);
    assert_accounted(r);
    pol__records_free(r);
    rctx_done(&t);
}

static void utf16(const char *ascii_and_utf8, int be, unsigned char *out, size_t *n)
{
    /* Encodes UTF-8 text (BMP only) as UTF-16 with a BOM. */
    size_t k = 0;
    out[k++] = be ? 0xFE : 0xFF;
    out[k++] = be ? 0xFF : 0xFE;
    const unsigned char *s = (const unsigned char *)ascii_and_utf8;
    while (*s) {
        unsigned cp;
        if (*s < 0x80)
            cp = *s++;
        else if ((*s & 0xE0) == 0xC0)
            cp = (unsigned)(s[0] & 0x1F) << 6 | (s[1] & 0x3F), s += 2;
        else
            cp = (unsigned)(s[0] & 0x0F) << 12 | (unsigned)(s[1] & 0x3F) << 6 | (s[2] & 0x3F),
            s += 3;
        out[k++] = (unsigned char)(be ? cp >> 8 : cp & 0xFF);
        out[k++] = (unsigned char)(be ? cp & 0xFF : cp >> 8);
    }
    *n = k;
}

static void test_utf16(void **state)
{
    (void)state;
    rctx t;
    rctx_init(&t);
    const char *text = "name\tcity\nJos\xC3\xA9\tM\xC3\xA1laga\nZo\xC3\xAB\t\xE2\x82\xAC"
                       "city\n";
    for (int be = 0; be < 2; be++) {
        unsigned char buf[256];
        size_t n;
        utf16(text, be, buf, &n);
        pol__records *r = load(&t, be ? "be.tsv" : "le.tsv", buf, n, POL_OK);
        assert_string_equal(r->encoding, be ? "utf-16be" : "utf-16le");
        assert_int_equal(r->delim, '\t');
        assert_int_equal(pol__table_rows(r->rows), 2);
        assert_string_equal(pol__table_get(r->rows, 0, 0), "Jos\xC3\xA9");
        assert_string_equal(pol__table_get(r->rows, 1, 1), "\xE2\x82\xAC"
                                                          "city");
        pol__records_free(r);
    }
    rctx_done(&t);
}

static void test_windows1252_stray_quote(void **state)
{
    (void)state;
    rctx t;
    rctx_init(&t);
    /* Latin-1/Windows-1252 bytes (é = E9, “ = 93) and a quote inside an unquoted field. */
    pol__records *r = LOAD_OK(&t, "w.csv",
                             "name;city\nJos\xE9 \"Pepe\" Garc\xED"
                             "a;M\xE1laga\n"
                             "\x93Quoted\x94;Z\xFCrich\n");
    assert_string_equal(r->encoding, "windows-1252");
    assert_int_equal(r->delim, ';');
    assert_int_equal(pol__table_rows(r->rows), 2);
    assert_string_equal(pol__table_get(r->rows, 0, 0), "Jos\xC3\xA9 \"Pepe\" Garc\xC3\xAD"
                                                      "a");
    assert_string_equal(pol__table_get(r->rows, 1, 0), "\xE2\x80\x9CQuoted\xE2\x80\x9D");
    assert_string_equal(pol__table_get(r->rows, 1, 1), "Z\xC3\xBCrich");
    assert_accounted(r);
    pol__records_free(r);
    rctx_done(&t);
}

static void test_ragged_rows(void **state)
{
    (void)state;
    rctx t;
    rctx_init(&t);
    pol__records *r = LOAD_OK(&t, "r.csv", "a,b,c\n1,2,3\n4,5\n6,7,8,9\n10,11,12,,\n\n13,14,15\n");
    /* Short row padded and kept; long row with a value beyond the header kept whole, its extra
     * field in an unnamed column after the last (any table keeps every row); trailing empty
     * fields dropped; blank line skipped. */
    assert_int_equal(pol__table_rows(r->rows), 5);
    assert_string_equal(pol__table_get(r->rows, 1, 2), "");
    assert_int_equal(qrows(r), 0);
    assert_int_equal(pol__table_cols(r->rows), 4);
    assert_true(pol__records_is_overflow(r, 3));
    assert_false(pol__records_is_overflow(r, 2));
    assert_string_equal(pol__table_get(r->rows, 2, 3), "9");
    assert_true(pol__records_row_is_long(r, 2));
    assert_false(pol__records_row_is_long(r, 3));
    /* Written back as it came: no header field for it, only the long row has it. */
    char *text = NULL;
    size_t tl = 0;
    FILE *fp = open_memstream(&text, &tl);
    pol__csv_style sty = {',', 1, 0, 0, 0, 1, NULL, NULL, NULL, NULL, r->dialect.overflow,
                          NULL, 0};
    assert_int_equal(pol__csv_write_style(&t.run, r->rows, fp, &sty), POL_OK);
    fclose(fp);
    assert_string_equal(text, "a,b,c\n1,2,3\n4,5,\n6,7,8,9\n10,11,12\n13,14,15\n");
    free(text);
    /* With the short rows' lengths (as save does), the short row goes back short too. */
    fp = open_memstream(&text, &tl);
    sty.short_rows = r->dialect.short_rows;
    sty.n_short = r->dialect.n_short;
    assert_int_equal(pol__csv_write_style(&t.run, r->rows, fp, &sty), POL_OK);
    fclose(fp);
    assert_string_equal(text, "a,b,c\n1,2,3\n4,5\n6,7,8,9\n10,11,12\n13,14,15\n");
    free(text);
    /* A contact list (as dedupe/validate do it): the long row goes to the quarantine whole, with
     * its line and reason, and the extra column goes. */
    assert_int_equal(pol__records_quarantine_overflow(&t.run, r), 1);
    assert_int_equal(pol__table_rows(r->rows), 4);
    assert_int_equal(pol__table_cols(r->rows), 3);
    assert_int_equal(qrows(r), 1);
    size_t qc = pol__table_cols(r->quarantine);
    assert_string_equal(pol__table_name(r->quarantine, qc - 1), "source_line");
    assert_string_equal(pol__table_get(r->quarantine, 0, qc - 1), "4");
    assert_non_null(strstr(pol__table_get(r->quarantine, 0, qc - 2), "4 fields"));
    /* Nothing lost: the extra value is kept in the quarantined row. */
    assert_string_equal(pol__table_get(r->quarantine, 0, 3), "9");
    assert_accounted(r);
    pol__records_free(r);
    rctx_done(&t);
}

static void test_unterminated_quote(void **state)
{
    (void)state;
    rctx t;
    rctx_init(&t);
    pol__records *r = LOAD_OK(&t, "u.csv", "a,b,c\n1,\"open,3\n4,\"x\",6\n7,8,9\n");
    assert_int_equal(qrows(r), 1);
    size_t qc = pol__table_cols(r->quarantine);
    assert_string_equal(pol__table_get(r->quarantine, 0, qc - 1), "2");
    assert_non_null(strstr(pol__table_get(r->quarantine, 0, qc - 2), "unterminated"));
    /* The rows after it survive. */
    assert_int_equal(pol__table_rows(r->rows), 2);
    assert_string_equal(pol__table_get(r->rows, 0, 1), "x");
    assert_string_equal(pol__table_get(r->rows, 1, 2), "9");
    assert_accounted(r);
    pol__records_free(r);
    /* At the very end of the file too. */
    r = LOAD_OK(&t, "u2.csv", "a,b\n1,2\n3,\"never closed\n");
    assert_int_equal(pol__table_rows(r->rows), 1);
    assert_int_equal(qrows(r), 1);
    assert_accounted(r);
    pol__records_free(r);
    rctx_done(&t);
}

static void test_binary_refused(void **state)
{
    (void)state;
    rctx t;
    rctx_init(&t);
    unsigned char bin[4096];
    uint64_t s = 7;
    for (size_t i = 0; i < sizeof bin; i++) bin[i] = (unsigned char)rnd32(&s);
    pol__records *r = load(&t, "b.csv", bin, sizeof bin, POL_ERR_FORMAT);
    assert_null(r);
    assert_non_null(strstr(t.err.msg, "binary"));
    rctx_done(&t);
}

static void test_invalid_utf8_kept(void **state)
{
    (void)state;
    rctx t;
    rctx_init(&t);
    /* Mostly UTF-8 with one broken sequence: read as Windows-1252, every byte kept. */
    pol__records *r = LOAD_OK(&t, "i.csv", "name\nCaf\xC3\xA9\nbad \xC3\x28 byte\n");
    assert_string_equal(r->encoding, "windows-1252");
    assert_int_equal(pol__table_rows(r->rows), 2);
    assert_string_equal(pol__table_get(r->rows, 1, 0), "bad \xC3\x83( byte");
    pol__records_free(r);
    rctx_done(&t);
}

static void test_big_field(void **state)
{
    (void)state;
    rctx t;
    rctx_init(&t);
    size_t big = 10u << 20;
    char *data = malloc(big + 64);
    assert_non_null(data);
    static const char head[] = "id,blob\n1,\"", tail[] = "\"\n2,small\n";
    memcpy(data, head, sizeof head - 1);
    size_t k = sizeof head - 1;
    memset(data + k, 'x', big);
    k += big;
    memcpy(data + k, tail, sizeof tail - 1);
    k += sizeof tail - 1;
    /* Default limit (1 MiB): quarantined with a reason, the rest read. */
    pol__records *r = load(&t, "big.csv", data, k, POL_OK);
    assert_int_equal(pol__table_rows(r->rows), 1);
    assert_int_equal(qrows(r), 1);
    assert_int_equal(strlen(pol__table_get(r->quarantine, 0, 1)), big);
    assert_accounted(r);
    pol__records_free(r);
    /* Raised limit: kept whole. */
    t.opt.limits.max_field_bytes = 32u << 20;
    r = load(&t, "big2.csv", data, k, POL_OK);
    assert_int_equal(pol__table_rows(r->rows), 2);
    assert_int_equal(strlen(pol__table_get(r->rows, 0, 1)), big);
    pol__records_free(r);
    free(data);
    rctx_done(&t);
}

static void test_header_only_and_empty(void **state)
{
    (void)state;
    rctx t;
    rctx_init(&t);
    pol__records *r = LOAD_OK(&t, "h.csv", "first,last,email\n");
    assert_int_equal(pol__table_rows(r->rows), 0);
    assert_int_equal(pol__table_cols(r->rows), 3);
    pol__records_free(r);
    r = load(&t, "e.csv", "", 0, POL_ERR_EMPTY);
    assert_null(r);
    rctx_done(&t);
}

static void test_many_columns(void **state)
{
    (void)state;
    rctx t;
    rctx_init(&t);
    size_t cols = 100000;
    char *data = malloc(cols * 16 + 64);
    assert_non_null(data);
    size_t k = 0;
    for (size_t c = 0; c < cols; c++) k += (size_t)sprintf(data + k, "%sc%zu", c ? "," : "", c);
    data[k++] = '\n';
    for (size_t c = 0; c < cols; c++) k += (size_t)sprintf(data + k, "%s%zu", c ? "," : "", c);
    data[k++] = '\n';
    /* Over the default column limit: a clear error naming it. */
    pol__records *r = load(&t, "wide.csv", data, k, POL_ERR_LIMIT);
    assert_null(r);
    assert_non_null(strstr(t.err.msg, "100000 columns"));
    /* Allowed: read whole. */
    t.opt.limits.max_columns = 200000;
    r = load(&t, "wide2.csv", data, k, POL_OK);
    assert_int_equal(pol__table_cols(r->rows), cols);
    assert_string_equal(pol__table_get(r->rows, 0, cols - 1), "99999");
    pol__records_free(r);
    free(data);
    rctx_done(&t);
}

static void test_row_limit(void **state)
{
    (void)state;
    rctx t;
    rctx_init(&t);
    t.opt.limits.max_rows = 2;
    pol__records *r = load(&t, "rows.csv", "a\n1\n2\n3\n", 8, POL_ERR_LIMIT);
    assert_null(r);
    assert_non_null(strstr(t.err.msg, "rows"));
    rctx_done(&t);
}

static void test_delimiters(void **state)
{
    (void)state;
    const struct {
        const char *text;
        char delim;
    } cases[] = {
        {"a,b,c\n1,2,3\n", ','},
        {"a;b;c\n1;\"2;x\";3\n", ';'},
        {"a\tb\tc\n1\t2,5\t3\n", '\t'},
        {"a|b|c\n1|2|3\n", '|'},
        {"name,note\n\"x;y;z\",1\n\"p;q\",2\n", ','},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        assert_int_equal(
            pol__csv_sniff_delim((const unsigned char *)cases[i].text, strlen(cases[i].text)),
            cases[i].delim);
}

static void test_round_trip_and_guard(void **state)
{
    (void)state;
    rctx t;
    rctx_init(&t);
    const char *vals[] = {"plain",
                          "with,comma",
                          "with \"quotes\"",
                          "multi\nline",
                          "=1+1",
                          "@SUM(A1)",
                          "+1 202 555",
                          "-12.5",
                          "+12025550143",
                          "+12025550143;ext=7",
                          "-",
                          "+44 20 7946 0958",
                          "+1-617-555-0199",
                          "+1 (617) 555.0199 x12",
                          "-2+3",
                          "+SUM(A1:A9)",
                          "-HYPERLINK(\"http://x\")",
                          "\tTab",
                          "caf\xC3\xA9",
                          ""};
    size_t n = sizeof vals / sizeof vals[0];
    pol__table *tab = pol__table_new(1);
    assert_non_null(tab);
    pol__table_set_name(tab, 0, "v");
    for (size_t i = 0; i < n; i++) pol__table_add_row(tab, &vals[i], 1, (uint32_t)i + 2);
    const char *p = rpath(&t, "rt.csv");
    FILE *f = fopen(p, "wb");
    assert_int_equal(pol__csv_write(&t.run, tab, f, ',', 1), POL_OK);
    fclose(f);
    pol__records *r = NULL;
    assert_int_equal(pol__csv_load(&t.run, p, &r), POL_OK);
    assert_int_equal(pol__table_rows(r->rows) + 1, n); /* the empty last value is a blank line */
    for (size_t i = 0; i + 1 < n; i++) {
        const char *got = pol__table_get(r->rows, i, 0);
        if (pol__cell_needs_guard(vals[i])) {
            assert_int_equal(got[0], '\'');
            assert_string_equal(got + 1, vals[i]);
        } else {
            assert_string_equal(got, vals[i]);
        }
    }
    /* Which ones were guarded: formulas yes; numbers, phone numbers in every style and lone
     * dashes no (OWASP CSV injection: only what a spreadsheet would run). */
    assert_true(pol__cell_needs_guard("=1+1"));
    assert_true(pol__cell_needs_guard("@SUM(A1)"));
    assert_true(pol__cell_needs_guard("\tTab"));
    assert_true(pol__cell_needs_guard("-2+3"));
    assert_true(pol__cell_needs_guard("+SUM(A1:A9)"));
    assert_true(pol__cell_needs_guard("-HYPERLINK(\"http://x\")"));
    assert_true(pol__cell_needs_guard("+1 202 555 x"));
    assert_false(pol__cell_needs_guard("+1 202 555"));
    assert_false(pol__cell_needs_guard("+44 20 7946 0958"));
    assert_false(pol__cell_needs_guard("+1-617-555-0199"));
    assert_false(pol__cell_needs_guard("+1 (617) 555.0199 x12"));
    assert_false(pol__cell_needs_guard("+49 (0)30 1234567"));
    assert_false(pol__cell_needs_guard("-"));
    assert_false(pol__cell_needs_guard("--"));
    assert_false(pol__cell_needs_guard("-12.5"));
    assert_false(pol__cell_needs_guard("+3"));
    assert_false(pol__cell_needs_guard("+12025550143"));
    assert_false(pol__cell_needs_guard("+12025550143;ext=7"));
    assert_false(pol__cell_needs_guard("plain"));
    pol__records_free(r);
    pol__table_free(tab);
    rctx_done(&t);
}

/* Random tables with every awkward character survive a write/read cycle unchanged. */
static void test_random_round_trip(void **state)
{
    (void)state;
    rctx t;
    rctx_init(&t);
    uint64_t s = 42;
    const char alphabet[] = "ab ,;\"\n\r\t|xyz09";
    for (int trial = 0; trial < 20; trial++) {
        size_t cols = 1 + rnd32(&s) % 6, rows = 1 + rnd32(&s) % 40;
        pol__table *tab = pol__table_new(cols);
        for (size_t c = 0; c < cols; c++) {
            char nm[16];
            snprintf(nm, sizeof nm, "h%zu", c);
            pol__table_set_name(tab, c, nm);
        }
        for (size_t r = 0; r < rows; r++) {
            char cells[8][32];
            const char *ptr[8];
            for (size_t c = 0; c < cols; c++) {
                size_t len = 1 + rnd32(&s) % 12;
                /* A first character that needs no guard, so the cycle must be exact. */
                cells[c][0] = 'k';
                for (size_t i = 1; i < len; i++)
                    cells[c][i] = alphabet[rnd32(&s) % (sizeof alphabet - 1)];
                cells[c][len] = '\0';
                ptr[c] = cells[c];
            }
            pol__table_add_row(tab, ptr, cols, (uint32_t)r + 2);
        }
        char delim = (trial & 1) ? '\t' : ',';
        const char *p = rpath(&t, delim == '\t' ? "rr.tsv" : "rr.csv");
        FILE *f = fopen(p, "wb");
        assert_int_equal(pol__csv_write(&t.run, tab, f, delim, 1), POL_OK);
        fclose(f);
        pol__records *r = NULL;
        assert_int_equal(pol__csv_load(&t.run, p, &r), POL_OK);
        assert_int_equal(pol__table_rows(r->rows), rows);
        assert_int_equal(pol__table_cols(r->rows), cols);
        for (size_t i = 0; i < rows; i++)
            for (size_t c = 0; c < cols; c++)
                assert_string_equal(pol__table_get(r->rows, i, c), pol__table_get(tab, i, c));
        pol__records_free(r);
        pol__table_free(tab);
    }
    rctx_done(&t);
}

/* Mutated inputs (quotes, delimiters, newlines, NULs, broken UTF-8 spliced in) through the parser
 * and every standardiser: no crash, and every row read is kept or quarantined. */
static void test_mutations(void **state)
{
    (void)state;
    rctx t;
    rctx_init(&t);
    t.opt.limits.max_field_bytes = 64;
    t.opt.limits.max_columns = 50;
    t.opt.limits.max_rows = 100;
    static const char *const seeds[] = {"a,b,c\n1,\"2\",3\r\n\"x\"\"y\",,\n",
                                        "name;email\n\"a\nb\";c@d.com\n", "q\tw\n1\t2\n"};
    static const char pool[] = ",;\t|\"\n\r\0\xC3\xA9\x80 ab";
    uint64_t s = 99;
    size_t parsed = 0;
    for (int it = 0; it < 20000; it++) {
        const char *sd = seeds[it % 3];
        size_t n = strlen(sd);
        unsigned char *b = malloc(n + 16);
        assert_non_null(b);
        memcpy(b, sd, n);
        for (int m = 1 + (int)(rnd32(&s) % 6); m > 0; m--) {
            size_t pos = rnd32(&s) % n;
            unsigned op = rnd32(&s) % 3;
            if (op == 0)
                b[pos] = (unsigned char)pool[rnd32(&s) % (sizeof pool - 1)];
            else if (op == 1) {
                memmove(b + pos + 1, b + pos, n - pos);
                b[pos] = (unsigned char)pool[rnd32(&s) % (sizeof pool - 1)];
                n++;
            } else if (n > 1) {
                memmove(b + pos, b + pos + 1, n - pos - 1);
                n--;
            }
        }
        char out[1024], d[32];
        const char *typo;
        pol__phone ph;
        pol__phone_parse((char *)b, n, "US", &ph);
        pol__name_std((char *)b, n, out, sizeof out);
        pol__street_std((char *)b, n, out, sizeof out);
        pol__unit_std((char *)b, n, out, sizeof out);
        pol__city_std((char *)b, n, out, sizeof out);
        pol__email_std((char *)b, n, out, sizeof out, &typo);
        pol__date_iso((char *)b, n, POL_DATE_MDY, d);
        pol__text_clean((char *)b, n, out, sizeof out, 1);
        pol__state_code((char *)b, n, "US");
        pol__postcode_std((char *)b, n, "GB", out, sizeof out);
        b[n] = 0;
        unsigned char *u8;
        size_t off, len;
        char enc[16];
        if (pol__to_utf8(&t.run, b, n, &u8, &off, &len, enc)) continue;
        if (off) memmove(u8, u8 + off, len + 1);
        pol__records *r = NULL;
        if (pol__csv_parse(&t.run, u8, len, 0, &r) == POL_OK) {
            assert_accounted(r);
            parsed++;
            pol__records_free(r);
        }
    }
    /* Most mutants still parse (some exceed the row/column limits or lose their header). */
    assert_true(parsed > 10000);
    rctx_done(&t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bom_crlf_quotes),
        cmocka_unit_test(test_utf16),
        cmocka_unit_test(test_windows1252_stray_quote),
        cmocka_unit_test(test_ragged_rows),
        cmocka_unit_test(test_unterminated_quote),
        cmocka_unit_test(test_binary_refused),
        cmocka_unit_test(test_invalid_utf8_kept),
        cmocka_unit_test(test_big_field),
        cmocka_unit_test(test_header_only_and_empty),
        cmocka_unit_test(test_many_columns),
        cmocka_unit_test(test_row_limit),
        cmocka_unit_test(test_delimiters),
        cmocka_unit_test(test_round_trip_and_guard),
        cmocka_unit_test(test_random_round_trip),
        cmocka_unit_test(test_mutations),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
