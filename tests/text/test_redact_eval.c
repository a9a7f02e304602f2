/* polish — tests: entity-level precision and recall of text.redact per PII type and the leak
 * rate (a PII value still readable in the output), on generated messages with known spans and
 * look-alikes that must be left alone (gen_pii.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include "gen_pii.h"

static void test_eval(void **state)
{
    (void)state;
    long gold[POL_PII_COUNT] = {0}, hit[POL_PII_COUNT] = {0}, pred[POL_PII_COUNT] = {0},
         good[POL_PII_COUNT] = {0}, leaks = 0, decoys = 0, decoys_lost = 0, total = 0, decoys_touched = 0;
    gc_rng r = {20261207};
    for (int i = 0; i < 1500; i++) {
        gp_doc d;
        gp_make(&d, &r);
        pol__pii_found f;
        pol__pii_find(d.text, d.len, (1L << POL_PII_COUNT) - 1, NULL, "US", &f);
        assert_false(f.oom);
        for (int g = 0; g < d.n; g++) {
            gold[d.s[g].type]++;
            total++;
            int found = 0;
            for (size_t k = 0; k < f.n && !found; k++)
                found = f.v[k].type == d.s[g].type && f.v[k].start < d.s[g].end && d.s[g].start < f.v[k].end;
            hit[d.s[g].type] += found;
            if (!found)
                print_message("missed %s: %.*s\n", pol__pii_name(d.s[g].type),
                              (int)(d.s[g].end - d.s[g].start), d.text + d.s[g].start);
        }
        for (size_t k = 0; k < f.n; k++) {
            pred[f.v[k].type]++;
            int ok = 0;
            for (int g = 0; g < d.n && !ok; g++)
                ok = f.v[k].type == d.s[g].type && f.v[k].start < d.s[g].end && d.s[g].start < f.v[k].end;
            good[f.v[k].type] += ok;
            if (!ok) {
                decoys_touched++;
                print_message("false %s: %.*s\n", pol__pii_name(f.v[k].type),
                              (int)(f.v[k].end - f.v[k].start), d.text + f.v[k].start);
            }
        }
        size_t len;
        char *out = pol__redact_apply(d.text, d.len, &f, POL_REDACT_LABEL, NULL, &len);
        assert_non_null(out);
        for (int g = 0; g < d.n; g++) {
            char v[128];
            snprintf(v, sizeof v, "%.*s", (int)(d.s[g].end - d.s[g].start), d.text + d.s[g].start);
            if (strstr(out, v)) leaks++;
        }
        for (int g = 0; g < d.nd; g++) {
            char v[128];
            snprintf(v, sizeof v, "%.*s", (int)(d.decoy[g].end - d.decoy[g].start), d.text + d.decoy[g].start);
            decoys++;
            if (!strstr(out, v)) {
                decoys_lost++;
                print_message("look-alike redacted: %s\n", v);
            }
        }
        free(out);
        pol__pii_free(&f);
    }
    long tp = 0, fp = 0;
    for (int t = 0; t < POL_PII_COUNT; t++) {
        tp += good[t];
        fp += pred[t] - good[t];
        print_message("%-8s recall %.4f (%ld)  precision %.4f (%ld)\n", pol__pii_name((pol__pii)t),
                      gold[t] ? (double)hit[t] / gold[t] : 1.0, gold[t],
                      pred[t] ? (double)good[t] / pred[t] : 1.0, pred[t]);
    }
    print_message("entities %ld, leaked %ld (%.4f); predictions %ld, wrong %ld\n", total, leaks,
                  (double)leaks / total, tp + fp, fp);
    const pol__pii structured[] = {POL_PII_EMAIL, POL_PII_PHONE, POL_PII_CARD, POL_PII_IBAN,
                                   POL_PII_SSN, POL_PII_IP};
    for (size_t k = 0; k < sizeof structured / sizeof *structured; k++) {
        pol__pii t = structured[k];
        assert_true(gold[t] >= 50);
        assert_true((double)hit[t] / gold[t] >= 0.98);
        assert_true((double)good[t] / (pred[t] ? pred[t] : 1) >= 0.95);
    }
    for (int t = POL_PII_ADDRESS; t < POL_PII_COUNT; t++) assert_true((double)hit[t] / gold[t] >= 0.9);
    assert_true((double)tp / (double)(tp + fp) >= 0.95);
    assert_true((double)leaks / total <= 0.02);
    print_message("look-alikes (order/tracking numbers, GUIDs, versions) %ld, redacted %ld\n", decoys, decoys_lost);
    assert_true(decoys >= 500);
    assert_true((double)decoys_lost / decoys <= 0.01);
}

/* Labels, masks and hashes: the shape of each mode, hashes stable for the same value. */
static void test_modes(void **state)
{
    (void)state;
    const char *t = "Mail ann@x.org or ann@x.org, card 4111 1111 1111 1111.";
    pol__pii_found f;
    pol__pii_find(t, strlen(t), (1L << POL_PII_COUNT) - 1, NULL, "US", &f);
    assert_int_equal(f.n, 3);
    size_t n;
    char *o = pol__redact_apply(t, strlen(t), &f, POL_REDACT_LABEL, NULL, &n);
    assert_string_equal(o, "Mail [EMAIL] or [EMAIL], card [CARD].");
    free(o);
    o = pol__redact_apply(t, strlen(t), &f, POL_REDACT_MASK, NULL, &n);
    assert_string_equal(o, "Mail ***@*.*** or ***@*.***, card **** **** **** ****.");
    free(o);
    o = pol__redact_apply(t, strlen(t), &f, POL_REDACT_HASH, "s", &n);
    const char *a = strstr(o, "[EMAIL:"), *b = a ? strstr(a + 1, "[EMAIL:") : NULL;
    assert_non_null(b);
    assert_memory_equal(a, b, 16);
    free(o);
    pol__pii_free(&f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_eval), cmocka_unit_test(test_modes)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
