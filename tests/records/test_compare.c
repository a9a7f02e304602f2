/* polish — comparators used by matching: published Jaro-Winkler and Soundex values, bounded edit
 * distance, token sets, nicknames, ASCII folding. */
#include "test_csv_util.h"
#include "records/compare.h"

#define JW(a, b) pol__jaro_winkler(a, strlen(a), b, strlen(b))

static void test_jaro_winkler(void **s)
{
    (void)s;
    /* Winkler's classic examples. */
    assert_float_equal(JW("martha", "marhta"), 0.9611, 0.0001);
    assert_float_equal(JW("dwayne", "duane"), 0.84, 0.0001);
    assert_float_equal(JW("dixon", "dicksonx"), 0.8133, 0.0001);
    assert_float_equal(JW("abc", "abc"), 1.0, 1e-12);
    assert_float_equal(JW("abc", "xyz"), 0.0, 1e-12);
    assert_float_equal(JW("", ""), 1.0, 1e-12);
    assert_float_equal(JW("a", ""), 0.0, 1e-12);
    assert_float_equal(JW("dixon", "dicksonx"), JW("dicksonx", "dixon"), 1e-12);
}

static void test_edit_distance(void **s)
{
    (void)s;
    assert_int_equal(pol__edit_distance_bounded("kitten", 6, "sitting", 7, 3), 3);
    assert_int_equal(pol__edit_distance_bounded("kitten", 6, "sitting", 7, 2), 3); /* max + 1 */
    assert_int_equal(pol__edit_distance_bounded("abcd", 4, "abdc", 4, 2), 1);      /* swap */
    assert_int_equal(pol__edit_distance_bounded("19560409", 8, "19560409", 8, 1), 0);
    assert_int_equal(pol__edit_distance_bounded("", 0, "ab", 2, 5), 2);
    assert_int_equal(pol__edit_distance_bounded("a", 1, "abcdef", 6, 2), 3);
}

static void test_phonetic(void **s)
{
    (void)s;
    char c[5];
    struct {
        const char *in, *code;
    } sx[] = {{"robert", "R163"},  {"rupert", "R163"},  {"rubin", "R150"}, {"ashcraft", "A261"},
              {"tymczak", "T522"}, {"pfister", "P236"}, {"lee", "L000"},   {"", ""}};
    for (size_t i = 0; i < sizeof sx / sizeof sx[0]; i++) {
        pol__soundex(sx[i].in, strlen(sx[i].in), c);
        assert_string_equal(c, sx[i].code);
    }
    char a[9], b[9];
    pol__nysiis("macdonald", 9, a);
    pol__nysiis("mcdonald", 8, b);
    assert_string_equal(a, b);
    pol__nysiis("knight", 6, a);
    pol__nysiis("night", 5, b);
    assert_string_equal(a, b);
    assert_true(strlen(a) <= 8 && a[0] == 'N');
}

static void test_token_set(void **s)
{
    (void)s;
    const char *a = "1500 s congress ave", *b = "congress ave 1500 s";
    assert_float_equal(pol__token_set_sim(a, strlen(a), b, strlen(b)), 1.0, 1e-12);
    const char *c = "anderson realty", *d = "anderson realty inc";
    assert_float_equal(pol__token_set_sim(c, strlen(c), d, strlen(d)), 1.0, 1e-12);
    const char *e = "main st", *f = "oak ave";
    assert_float_equal(pol__token_set_sim(e, strlen(e), f, strlen(f)), 0.0, 1e-12);
}

static void test_nicknames(void **s)
{
    (void)s;
    assert_string_equal(pol__nickname_canonical("bob", 3), "robert");
    assert_string_equal(pol__nickname_canonical("liz", 3), "elizabeth");
    assert_string_equal(pol__nickname_canonical("peggy", 5), "margaret");
    assert_string_equal(pol__nickname_canonical("bill", 4), "william");
    assert_null(pol__nickname_canonical("robert", 6));
    assert_null(pol__nickname_canonical("bo", 1)); /* prefix "b" is not a name */
    assert_null(pol__nickname_canonical("zzz", 3));
}

static void test_fold(void **s)
{
    (void)s;
    char out[64];
    const char *in = "  José  O'Brien-Núñez, Jr. ";
    pol__fold_ascii(in, strlen(in), out, sizeof out);
    assert_string_equal(out, "jose obrien nunez jr");
    pol__fold_ascii("STRAßE", strlen("STRAßE"), out, sizeof out);
    assert_string_equal(out, "strasse");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_jaro_winkler), cmocka_unit_test(test_edit_distance),
        cmocka_unit_test(test_phonetic),     cmocka_unit_test(test_token_set),
        cmocka_unit_test(test_nicknames),    cmocka_unit_test(test_fold),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
