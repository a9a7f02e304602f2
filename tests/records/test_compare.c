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

/* The textbook Jaro-Winkler with flag arrays: the reference the bit-mask version must equal
 * exactly (the matcher's levels compare its value with thresholds). */
static double jw_reference(const char *a, size_t na, const char *b, size_t nb)
{
    if (na > 64) na = 64;
    if (nb > 64) nb = 64;
    if (na == 0 || nb == 0) return na == nb ? 1.0 : 0.0;
    if (na == nb && memcmp(a, b, na) == 0) return 1.0;
    size_t window = (na > nb ? na : nb) / 2;
    window = window > 0 ? window - 1 : 0;
    unsigned char ma[64] = {0}, mb[64] = {0};
    size_t matches = 0;
    for (size_t i = 0; i < na; i++)
        for (size_t j = i > window ? i - window : 0; j < nb && j <= i + window; j++)
            if (!mb[j] && a[i] == b[j]) {
                ma[i] = mb[j] = 1;
                matches++;
                break;
            }
    if (!matches) return 0.0;
    size_t k = 0, half = 0;
    for (size_t i = 0; i < na; i++) {
        if (!ma[i]) continue;
        while (!mb[k]) k++;
        half += a[i] != b[k++];
    }
    double m = (double)matches;
    double jaro = (m / (double)na + m / (double)nb + (m - (double)half / 2.0) / m) / 3.0;
    size_t prefix = 0;
    while (prefix < 4 && prefix < na && prefix < nb && a[prefix] == b[prefix]) prefix++;
    return jaro + (double)prefix * 0.1 * (1.0 - jaro);
}

static uint64_t rnd_state = 88172645463325252ull;
static unsigned rnd(unsigned n)
{
    rnd_state ^= rnd_state << 13, rnd_state ^= rnd_state >> 7, rnd_state ^= rnd_state << 17;
    return (unsigned)(rnd_state % n);
}

/* A random string over a few letters, so that matches, repeats and transpositions are common. */
static size_t rnd_str(char *out, size_t max, unsigned letters)
{
    size_t n = rnd((unsigned)max + 1);
    for (size_t i = 0; i < n; i++) out[i] = (char)('a' + rnd(letters));
    return n;
}

/* b = a with one random edit (or none): substitution, insertion, deletion or swap. */
static size_t rnd_edit(const char *a, size_t na, char *b, unsigned letters)
{
    memcpy(b, a, na);
    size_t nb = na, at = na ? rnd((unsigned)na) : 0;
    switch (rnd(5)) {
    case 0:
        if (na) b[at] = (char)('a' + rnd(letters));
        break;
    case 1:
        memmove(b + at + 1, b + at, na - at);
        b[at] = (char)('a' + rnd(letters));
        nb++;
        break;
    case 2:
        if (na) {
            memmove(b + at, b + at + 1, na - at - 1);
            nb--;
        }
        break;
    case 3:
        if (at + 1 < na) {
            char t = b[at];
            b[at] = b[at + 1];
            b[at + 1] = t;
        }
        break;
    default:
        break;
    }
    return nb;
}

static void test_jaro_winkler_reference(void **s)
{
    (void)s;
    char a[80], b[80];
    size_t high = 0;
    for (int t = 0; t < 200000; t++) {
        unsigned letters = 2 + rnd(6);
        size_t na = rnd_str(a, t % 10 == 0 ? 72 : 12, letters);
        size_t nb = t % 2 ? rnd_edit(a, na, b, letters) : rnd_str(b, t % 10 == 0 ? 72 : 12, letters);
        double got = pol__jaro_winkler(a, na, b, nb), want = jw_reference(a, na, b, nb);
        if (got != want) fail_msg("JW(%.*s, %.*s) = %.17g, reference %.17g", (int)na, a, (int)nb, b, got, want);
        high += got >= 0.92;
    }
    assert_true(high > 1000); /* the high-similarity side was exercised */
}

static void test_one_edit(void **s)
{
    (void)s;
    assert_true(pol__within_one_edit("abcd", 4, "abdc", 4));  /* swap */
    assert_true(pol__within_one_edit("abcd", 4, "abd", 3));   /* deletion */
    assert_true(pol__within_one_edit("", 0, "x", 1));
    assert_false(pol__within_one_edit("abcd", 4, "badc", 4)); /* two swaps */
    assert_false(pol__within_one_edit("ab", 2, "abcd", 4));
    char a[40], b[40];
    size_t yes = 0;
    for (int t = 0; t < 300000; t++) {
        unsigned letters = 2 + rnd(4);
        size_t na = rnd_str(a, 9, letters);
        size_t nb = t % 2 ? rnd_edit(a, na, b, letters) : rnd_str(b, 9, letters);
        int want = pol__edit_distance_bounded(a, na, b, nb, 1) <= 1;
        int got = pol__within_one_edit(a, na, b, nb);
        if (got != want) fail_msg("one edit(%.*s, %.*s) = %d, distance says %d", (int)na, a, (int)nb, b, got, want);
        yes += got;
    }
    assert_true(yes > 100000); /* both answers were exercised */
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
        cmocka_unit_test(test_jaro_winkler_reference), cmocka_unit_test(test_one_edit),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
