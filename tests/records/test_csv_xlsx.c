/* polish tests — XLSX: round trip, shared strings, date styles, formula guard, damaged files. */
#include <xlsxwriter.h>
#include "test_csv_util.h"

static void test_round_trip(void **state)
{
    (void)state;
    rctx t;
    rctx_init(&t);
    const char *vals[][3] = {
        {"Zoë", "O'Brien", "+12025550143"},
        {"=HYPERLINK(\"x\")", "-12.5", "@cmd"},
        {"multi\nline", "", "02134"},
        {"日本語", "a\"quote", "+1 202 555"},
    };
    pol__table *tab = pol__table_new(3);
    pol__table_set_name(tab, 0, "name");
    pol__table_set_name(tab, 1, "other");
    pol__table_set_name(tab, 2, "code");
    for (size_t i = 0; i < 4; i++) pol__table_add_row(tab, vals[i], 3, (uint32_t)i + 2);
    const char *p = rpath(&t, "rt.xlsx");
    assert_int_equal(pol__xlsx_write(&t.run, tab, p, 1, NULL), POL_OK);
    pol__records *r = NULL;
    assert_int_equal(pol__xlsx_load(&t.run, p, &r), POL_OK);
    assert_int_equal(pol__table_rows(r->rows), 4);
    assert_int_equal(pol__table_cols(r->rows), 3);
    assert_string_equal(pol__table_name(r->rows, 2), "code");
    for (size_t i = 0; i < 4; i++)
        for (size_t c = 0; c < 3; c++) {
            const char *got = pol__table_get(r->rows, i, c), *want = vals[i][c];
            /* Formula-like text comes back neutralised; numbers, ZIPs and E.164 unchanged. */
            if (pol__cell_needs_guard(want)) {
                assert_int_equal(got[0], '\'');
                assert_string_equal(got + 1, want);
            } else {
                assert_string_equal(got, want);
            }
        }
    assert_true(pol__cell_needs_guard("=HYPERLINK(\"x\")"));
    assert_false(pol__cell_needs_guard("+12025550143"));
    /* Source lines are the sheet's row numbers. */
    assert_int_equal(pol__table_src_line(r->rows, 0), 2);
    pol__records_free(r);
    pol__table_free(tab);
    rctx_done(&t);
}

/* A workbook as Excel writes it: shared strings, a date style, numbers, booleans. */
static void test_excel_like(void **state)
{
    (void)state;
    rctx t;
    rctx_init(&t);
    const char *p = rpath(&t, "excel.xlsx");
    lxw_workbook *wb = workbook_new(p);
    lxw_worksheet *ws = workbook_add_worksheet(wb, NULL);
    lxw_format *datefmt = workbook_add_format(wb);
    format_set_num_format(datefmt, "mm/dd/yyyy");
    worksheet_write_string(ws, 0, 0, "Name", NULL);
    worksheet_write_string(ws, 0, 1, "Signed up", NULL);
    worksheet_write_string(ws, 0, 2, "Visits", NULL);
    worksheet_write_string(ws, 0, 3, "Active", NULL);
    worksheet_write_string(ws, 1, 0, "Ann", NULL);
    lxw_datetime dt = {2020, 3, 4, 0, 0, 0};
    worksheet_write_datetime(ws, 1, 1, &dt, datefmt);
    worksheet_write_number(ws, 1, 2, 42, NULL);
    worksheet_write_boolean(ws, 1, 3, 1, NULL);
    worksheet_write_string(ws, 2, 0, "Ann", NULL); /* the same shared string twice */
    lxw_datetime dt2 = {1999, 12, 31, 13, 30, 0};
    worksheet_write_datetime(ws, 2, 1, &dt2, datefmt);
    worksheet_write_number(ws, 2, 2, 3.5, NULL);
    worksheet_write_string(ws, 2, 5, "beyond the header", NULL);
    assert_int_equal(workbook_close(wb), LXW_NO_ERROR);

    pol__records *r = NULL;
    assert_int_equal(pol__xlsx_load(&t.run, p, &r), POL_OK);
    assert_int_equal(pol__table_rows(r->rows), 2);
    assert_string_equal(pol__table_get(r->rows, 0, 0), "Ann");
    assert_string_equal(pol__table_get(r->rows, 1, 0), "Ann");
    assert_string_equal(pol__table_get(r->rows, 0, 1), "2020-03-04");
    assert_string_equal(pol__table_get(r->rows, 1, 1), "1999-12-31T13:30:00");
    assert_string_equal(pol__table_get(r->rows, 0, 2), "42");
    assert_string_equal(pol__table_get(r->rows, 1, 2), "3.5");
    assert_string_equal(pol__table_get(r->rows, 0, 3), "TRUE");
    /* A value right of the header gets a column of its own: nothing lost. */
    assert_int_equal(pol__table_cols(r->rows), 6);
    assert_string_equal(pol__table_get(r->rows, 1, 5), "beyond the header");
    assert_string_equal(r->format, "xlsx");
    pol__records_free(r);
    rctx_done(&t);
}

static void test_damaged(void **state)
{
    (void)state;
    rctx t;
    rctx_init(&t);
    /* A zip signature followed by noise, and a truncated real workbook. */
    unsigned char junk[2048] = "PK\3\4";
    uint64_t s = 3;
    for (size_t i = 4; i < sizeof junk; i++) junk[i] = (unsigned char)rnd32(&s);
    const char *p = rpath(&t, "junk.xlsx");
    write_bytes(p, junk, sizeof junk);
    pol__records *r = NULL;
    pol_status st = pol__xlsx_load(&t.run, p, &r);
    assert_true(st == POL_ERR_CORRUPT || st == POL_ERR_FORMAT);
    assert_null(r);
    assert_true(t.err.msg[0] != '\0');

    pol__table *tab = pol__table_new(1);
    pol__table_set_name(tab, 0, "x");
    const char *v = "hello";
    for (int i = 0; i < 200; i++) pol__table_add_row(tab, &v, 1, (uint32_t)i);
    const char *good = rpath(&t, "good.xlsx");
    assert_int_equal(pol__xlsx_write(&t.run, tab, good, 1, NULL), POL_OK);
    char *data = read_text(good);
    assert_non_null(data);
    const char *cut = rpath(&t, "cut.xlsx");
    write_bytes(cut, data, 900); /* the central directory is gone */
    st = pol__xlsx_load(&t.run, cut, &r);
    assert_int_not_equal(st, POL_OK);
    assert_null(r);
    free(data);
    pol__table_free(tab);
    rctx_done(&t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_excel_like),
        cmocka_unit_test(test_damaged),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
