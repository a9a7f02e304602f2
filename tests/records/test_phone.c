/* polish tests — the phone parser against libphonenumber on generated, variously written numbers.
 */
#include "test_csv_util.h"
#include "lpn_shim.h"

typedef struct region_case {
    const char *region, *ndd, *idd;
    int cc, min_len, max_len;
} region_case;

static const region_case regions[] = {
    {"US", "1", "011", 1, 10, 10}, {"CA", "1", "011", 1, 10, 10}, {"GB", "0", "00", 44, 9, 10},
    {"AU", "0", "0011", 61, 9, 9}, {"DE", "0", "00", 49, 6, 11},  {"FR", "0", "00", 33, 9, 9},
    {"IN", "0", "00", 91, 10, 10}, {"IE", "0", "00", 353, 7, 9},  {"NZ", "0", "00", 64, 8, 9},
    {"ES", "", "00", 34, 9, 9},    {"IT", "", "00", 39, 6, 11},   {"NL", "0", "00", 31, 9, 9},
    {"MX", "", "00", 52, 10, 10},  {"JP", "0", "010", 81, 9, 10},
};

/* A national significant number: half of them valid according to libphonenumber. */
static void make_nsn(const region_case *rc, uint64_t *s, int want_valid, char *out)
{
    for (int tries = 0; tries < 400; tries++) {
        int len = rc->min_len + (int)(rnd32(s) % (unsigned)(rc->max_len - rc->min_len + 1));
        for (int i = 0; i < len; i++) out[i] = (char)('0' + rnd32(s) % 10);
        if (out[0] == '0' && strcmp(rc->region, "IT") != 0) out[0] = (char)('1' + rnd32(s) % 9);
        if (rc->cc == 1 && out[0] < '2') out[0] = (char)('2' + rnd32(s) % 8);
        out[len] = '\0';
        char num[40], e[40], x[16];
        snprintf(num, sizeof num, "+%d%s", rc->cc, out);
        int v = lpn_parse(num, "ZZ", e, sizeof e, x, sizeof x);
        if ((v == 1) == want_valid) return;
    }
}

/* Writes the number the way people do: grouped, with brackets, dots, dashes, a country code,
 * the trunk or international prefix, an extension. */
static void write_number(const region_case *rc, const char *nsn, uint64_t *s, char *out, size_t cap)
{
    static const char *const seps[] = {" ", "-", ".", "", " "};
    const char *sep = seps[rnd32(s) % 5];
    char grouped[64];
    size_t n = strlen(nsn), k = 0;
    int paren = rnd32(s) % 4 == 0 && n >= 9;
    size_t g1 = rc->cc == 1 ? 3 : 2 + rnd32(s) % 3;
    for (size_t i = 0; i < n; i++) {
        if (i == 0 && paren) grouped[k++] = '(';
        if (paren && i == g1) grouped[k++] = ')';
        if (i && (i == g1 || (i > g1 && (i - g1) % 3 == 0 && n - i >= 2))) {
            size_t l = strlen(sep);
            memcpy(grouped + k, sep, l);
            k += l;
        }
        grouped[k++] = nsn[i];
    }
    grouped[k] = '\0';
    int style = (int)(rnd32(s) % 4);
    const char *ext = "";
    char extbuf[24];
    if (rnd32(s) % 8 == 0) {
        static const char *const marks[] = {" x", " ext. ", " ext ", ";ext=", " #"};
        snprintf(extbuf, sizeof extbuf, "%s%u", marks[rnd32(s) % 5], 1 + rnd32(s) % 9999);
        ext = extbuf;
    }
    if (style == 0)
        snprintf(out, cap, "+%d %s%s", rc->cc, grouped, ext);
    else if (style == 1)
        snprintf(out, cap, "%s%s%s%s", rc->ndd, *rc->ndd ? sep : "", grouped, ext);
    else if (style == 2)
        snprintf(out, cap, "%s%s", grouped, ext);
    else
        snprintf(out, cap, "%s %d %s%s", rc->idd, rc->cc, grouped, ext);
}

static void test_agrees_with_libphonenumber(void **state)
{
    (void)state;
    uint64_t s = 2024;
    size_t total = 0, agree = 0, valid_ref = 0, e164_ok = 0;
    size_t shown = 0;
    for (size_t r = 0; r < sizeof regions / sizeof regions[0]; r++) {
        const region_case *rc = &regions[r];
        for (int i = 0; i < 600; i++) {
            char nsn[32], text[96];
            make_nsn(rc, &s, i % 2 == 0, nsn);
            write_number(rc, nsn, &s, text, sizeof text);
            /* Now and then the number is parsed with another default region. */
            const char *def = rnd32(&s) % 5 == 0 ? regions[rnd32(&s) % 14].region : rc->region;
            char e[40], x[16];
            int v = lpn_parse(text, def, e, sizeof e, x, sizeof x);
            pol__phone ph;
            pol__phone_parse(text, strlen(text), def, &ph);
            int ours = ph.status == POL_PHONE_VALID;
            int ok =
                ours == (v == 1) && (!ours || (strcmp(ph.e164, e) == 0 && strcmp(ph.ext, x) == 0));
            total++;
            agree += ok;
            valid_ref += v == 1;
            e164_ok += v == 1 && ours && strcmp(ph.e164, e) == 0;
            if (!ok && shown++ < 12)
                print_message("  disagree [%s] %-30s ours %s %s ext=%s | libphonenumber %d %s "
                              "ext=%s\n",
                              def, text, ours ? "valid" : "invalid", ph.e164, ph.ext, v, e, x);
        }
    }
    /* Junk must be invalid for both. */
    const char *junk[] = {"asdf",
                          "n/a",
                          "123",
                          "0000000000",
                          "555-1234",
                          "+999 1234 5678",
                          "1-800-FLOWERS-NOW-PLEASE",
                          "(000) 000-0000",
                          "++1 202 555 0143"};
    for (size_t i = 0; i < sizeof junk / sizeof junk[0]; i++) {
        char e[40], x[16];
        int v = lpn_parse(junk[i], "US", e, sizeof e, x, sizeof x);
        pol__phone ph;
        pol__phone_parse(junk[i], strlen(junk[i]), "US", &ph);
        int ok = (ph.status == POL_PHONE_VALID) == (v == 1);
        total++;
        agree += ok;
        if (!ok)
            print_message("  disagree on junk \"%s\": ours %d, libphonenumber %d\n", junk[i],
                          ph.status, v);
    }
    double acc = (double)agree / (double)total;
    print_message("phones: %zu numbers (%zu valid per libphonenumber), agreement %.4f, E.164 of "
                  "valid ones %.4f\n",
                  total, valid_ref, acc, (double)e164_ok / (double)valid_ref);
    /* A parser that only strips punctuation agrees on far fewer (no country code, no prefixes,
     * no validity). */
    assert_true(acc >= 0.99);
}

static void test_nanp_rules(void **state)
{
    (void)state;
    pol__phone ph;
    /* Fictional 555-01xx numbers are valid numbers but flagged. */
    assert_int_equal(pol__phone_parse("(202) 555-0143", 14, "US", &ph), POL_PHONE_VALID);
    assert_true(ph.fictional);
    assert_string_equal(ph.e164, "+12025550143");
    assert_int_equal(pol__phone_parse("(202) 555-0243", 14, "US", &ph), POL_PHONE_VALID);
    assert_false(ph.fictional);
    /* N11 and unassigned area codes, exchange starting with 0/1. */
    assert_int_equal(pol__phone_parse("(911) 234-5678", 14, "US", &ph), POL_PHONE_INVALID);
    assert_int_equal(pol__phone_parse("(202) 123-4567", 14, "US", &ph), POL_PHONE_INVALID);
    /* A Canadian number with a US default keeps its region. */
    assert_int_equal(pol__phone_parse("613-555-0199", 12, "US", &ph), POL_PHONE_VALID);
    assert_string_equal(ph.region, "CA");
    /* Extensions. */
    assert_int_equal(pol__phone_parse("202.555.0243 x123", 17, "US", &ph), POL_PHONE_VALID);
    assert_string_equal(ph.ext, "123");
    assert_int_equal(pol__phone_parse("", 0, "US", &ph), POL_PHONE_EMPTY);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_agrees_with_libphonenumber),
        cmocka_unit_test(test_nanp_rules),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
