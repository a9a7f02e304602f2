/* polish — tests: one small case per rule of the answer checker, each on a tiny knowledge base,
 * so a rule that stops working is named by its own test (the evaluation sets only show a drop in
 * recall or precision). Each test was run with its rule disabled and failed. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdio.h>
#include <unistd.h>
#include "text/check.h"
#include "text/textutil.h"
#include "text/text.h"

static char dir[256];
static int n_kb;

/* A knowledge base of one document (Markdown or plain text). */
static pol__kb *kb_of(const char *doc, pol__text_kind kind)
{
    char path[320], kbp[320];
    snprintf(path, sizeof path, "%s/doc%d.%s", dir, n_kb, kind == POL_TEXT_MARKDOWN ? "md" : "txt");
    snprintf(kbp, sizeof kbp, "%s/kb%d.db", dir, n_kb);
    n_kb++;
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    fputs(doc, f);
    fclose(f);
    pol__chunk_list c;
    assert_int_equal(pol__text_chunk(kind, doc, strlen(doc), 600, &c), 0);
    assert_true(c.n > 0);
    pol_err e;
    pol_err_clear(&e);
    pol_run run = {.err = &e};
    long added, removed;
    int same;
    assert_int_equal(pol__kb_add(&run, kbp, path, &c, &added, &removed, &same), POL_OK);
    pol__chunks_free(&c);
    pol__kb *kb = NULL;
    assert_int_equal(pol__kb_open(kbp, &kb, &e), POL_OK);
    return kb;
}

static void check(pol__kb *kb, const char *answer, pol__check *c)
{
    pol_err e;
    pol_err_clear(&e);
    assert_int_equal(pol__check_run(kb, answer, strlen(answer), NULL, c, &e), POL_OK);
    for (size_t i = 0; i < c->n; i++)
        print_message("  claim \"%.*s\": %s (%s)\n", (int)(c->claims[i].end - c->claims[i].start),
                      answer + c->claims[i].start, pol__verdict_name(c->claims[i].verdict),
                      c->claims[i].reason);
}

static int setup(void **state)
{
    (void)state;
    snprintf(dir, sizeof dir, "/tmp/polish-text-rules-XXXXXX");
    return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    return system(cmd) ? -1 : 0;
}

/* Sentences of s as "a|b|c". */
static void sentences(const char *s, char *out, size_t cap)
{
    pol__span *sp = NULL;
    long n = pol__sentences(s, strlen(s), &sp);
    assert_true(n >= 0);
    size_t k = 0;
    out[0] = '\0';
    for (long i = 0; i < n && k + 2 < cap; i++) {
        int w = snprintf(out + k, cap - k, "%s%.*s", i ? "|" : "", (int)(sp[i].end - sp[i].start),
                         s + sp[i].start);
        if (w > 0) k += (size_t)w < cap - k ? (size_t)w : cap - k - 1;
    }
    free(sp);
}

/* A sentence that holds clearly fewer of the claim's words and agrees with it does not outweigh
 * a better one that contradicts it. */
static void test_support_comparable(void **state)
{
    (void)state;
    pol__kb *kb = kb_of("# Config file\n\n"
                        "You do not need to escape the double quotes with a backslash in the "
                        "config file.\n\n"
                        "Escape double quotes inside other files with a backslash.\n",
                        POL_TEXT_MARKDOWN);
    pol__check c;
    check(kb, "You need to escape the double quotes with a backslash in the config file.", &c);
    assert_int_equal(c.n, 1);
    assert_int_equal(c.claims[0].verdict, POL_VERDICT_CONTRADICTED);
    assert_non_null(strstr(c.claims[0].evidence, "do not need"));
    pol__check_free(&c);
    /* the same answer worded like the knowledge base is supported */
    check(kb, "You do not need to escape the double quotes with a backslash in the config file.", &c);
    assert_int_equal(c.claims[0].verdict, POL_VERDICT_SUPPORTED);
    pol__check_free(&c);
    pol__kb_close(kb);
}

/* "No." ends a sentence unless a number follows ("No. 5"). */
static void test_no_sentence(void **state)
{
    (void)state;
    char s[512];
    sentences("Is parking free? No. Parking costs $5 per hour.", s, sizeof s);
    assert_string_equal(s, "Is parking free?|No.|Parking costs $5 per hour.");
    sentences("Ask for form No. 12 at the desk. It is free.", s, sizeof s);
    assert_string_equal(s, "Ask for form No. 12 at the desk.|It is free.");
    /* and through the checker: the price is its own claim, compared with the kb's */
    pol__kb *kb = kb_of("Parking behind the shop costs $4 per hour.\n", POL_TEXT_PLAIN);
    pol__check c;
    check(kb, "Is parking free? No. Parking behind the shop costs $5 per hour.", &c);
    assert_int_equal(c.n, 1);
    assert_int_equal(c.claims[0].verdict, POL_VERDICT_CONTRADICTED);
    assert_int_equal(c.claims[0].n_fix, 1);
    assert_string_equal(c.claims[0].fix[0].text, "$4");
    pol__check_free(&c);
    pol__kb_close(kb);
}

/* "etc." before a capital ends a sentence; inside one it does not. */
static void test_etc_sentence(void **state)
{
    (void)state;
    char s[512];
    sentences("We sell bread, cakes, pies, etc. Delivery costs $5.", s, sizeof s);
    assert_string_equal(s, "We sell bread, cakes, pies, etc.|Delivery costs $5.");
    sentences("We sell bread, cakes, etc. at the market.", s, sizeof s);
    assert_string_equal(s, "We sell bread, cakes, etc. at the market.");
}

/* A "(2)" line is a list item, not the wrapped end of the line before; a first line ending with
 * '!' is a sentence, not a heading. */
static void test_list_items_headings(void **state)
{
    (void)state;
    char s[512];
    sentences("Before you come to the workshop, please read the two rules below\n"
              "(1) bring your own apron\n(2) children under 12 need an adult\n",
              s, sizeof s);
    assert_string_equal(s, "Before you come to the workshop, please read the two rules below|"
                           "(1) bring your own apron|(2) children under 12 need an adult");
    pol__kb *kb = kb_of("Dogs are not allowed inside the bakery!\nThe bakery opens at 7am.\n\n",
                        POL_TEXT_PLAIN);
    pol__check c;
    check(kb, "Dogs are allowed inside the bakery.", &c);
    assert_int_equal(c.n, 1);
    assert_int_equal(c.claims[0].verdict, POL_VERDICT_CONTRADICTED);
    assert_non_null(c.claims[0].evidence);
    assert_string_equal(c.claims[0].evidence, "Dogs are not allowed inside the bakery!");
    pol__check_free(&c);
    pol__kb_close(kb);
}

/* A denial that holds a chatter word ("welcome") states something: it is a claim. */
static void test_denial_is_claim(void **state)
{
    (void)state;
    pol__kb *kb = kb_of("Pets are welcome in the shop.\n", POL_TEXT_PLAIN);
    pol__check c;
    check(kb, "Pets are not welcome in the shop.", &c);
    assert_int_equal(c.n, 1);
    assert_int_equal(c.skipped, 0);
    assert_int_equal(c.claims[0].verdict, POL_VERDICT_CONTRADICTED);
    pol__check_free(&c);
    /* a greeting stays chatter */
    check(kb, "You are welcome!", &c);
    assert_int_equal(c.n, 0);
    assert_int_equal(c.skipped, 1);
    pol__check_free(&c);
    pol__kb_close(kb);
}

/* A lead-in ("According to our website and price list,") is not the claim's words: the claim is
 * still found and compared. */
static void test_lead_in_ignored(void **state)
{
    (void)state;
    pol__kb *kb = kb_of("A croissant costs $3.25.\n", POL_TEXT_PLAIN);
    pol__check c;
    check(kb, "According to our website and price list, a croissant costs $4.", &c);
    assert_int_equal(c.n, 1);
    assert_int_equal(c.claims[0].verdict, POL_VERDICT_CONTRADICTED);
    assert_int_equal(c.claims[0].n_fix, 1);
    assert_string_equal(c.claims[0].fix[0].text, "$3.25");
    pol__check_free(&c);
    pol__kb_close(kb);
}

/* A duration hard-wrapped across two lines ("45\n   minutes") is one value. */
static void test_wrapped_duration(void **state)
{
    (void)state;
    const char *t = "Your order is usually ready to collect about 45\n   minutes after you pay for it.";
    pol__vals v;
    pol__values(t, strlen(t), &v);
    int durations = 0, numbers = 0;
    for (size_t i = 0; i < v.n; i++) {
        durations += v.v[i].type == POL_V_DURATION;
        numbers += v.v[i].type == POL_V_NUMBER;
        if (v.v[i].type == POL_V_DURATION) assert_true(v.v[i].num == 45);
    }
    pol__vals_free(&v);
    assert_int_equal(durations, 1);
    assert_int_equal(numbers, 0);
    /* a blank line between is no wrap */
    t = "Ready in 45\n\nminutes are counted from payment.";
    pol__values(t, strlen(t), &v);
    for (size_t i = 0; i < v.n; i++) assert_int_not_equal(v.v[i].type, POL_V_DURATION);
    pol__vals_free(&v);
    pol__kb *kb = kb_of("Your order is usually ready to collect about 45\n   minutes after you pay for it.\n",
                        POL_TEXT_PLAIN);
    pol__check c;
    check(kb, "Your order is usually ready to collect about 30 minutes after you pay for it.", &c);
    assert_int_equal(c.n, 1);
    assert_int_equal(c.claims[0].verdict, POL_VERDICT_CONTRADICTED);
    assert_int_equal(c.claims[0].n_fix, 1);
    assert_string_equal(c.claims[0].fix[0].text, "45 minutes");
    pol__check_free(&c);
    pol__kb_close(kb);
}

/* Each value of the passage answers one value of the claim: "10 minutes to 10 minutes" is not
 * "10 minutes to 25 minutes". */
static void test_values_one_to_one(void **state)
{
    (void)state;
    pol__kb *kb = kb_of("Boarding the ferry takes from 10 minutes to 25 minutes.\n", POL_TEXT_PLAIN);
    pol__check c;
    check(kb, "Boarding the ferry takes from 10 minutes to 10 minutes.", &c);
    assert_int_equal(c.n, 1);
    assert_int_equal(c.claims[0].verdict, POL_VERDICT_CONTRADICTED);
    pol__check_free(&c);
    check(kb, "Boarding the ferry takes from 10 minutes to 25 minutes.", &c);
    assert_int_equal(c.claims[0].verdict, POL_VERDICT_SUPPORTED);
    pol__check_free(&c);
    pol__kb_close(kb);
}

/* A number after a reference word ("section 4") is compared but never replaced. */
static void test_reference_never_replaced(void **state)
{
    (void)state;
    pol__kb *kb = kb_of("Refunds are described in section 4 of the terms.\n", POL_TEXT_PLAIN);
    const char *a = "Refunds are described in section 7 of the terms.";
    pol__check c;
    check(kb, a, &c);
    assert_int_equal(c.n, 1);
    assert_int_equal(c.claims[0].verdict, POL_VERDICT_CONTRADICTED);
    assert_int_equal(c.claims[0].fixable, 0);
    size_t len;
    int changed;
    char *out = pol__check_apply(&c, a, strlen(a), &len, &changed);
    assert_non_null(out);
    assert_int_equal(changed, 0);
    assert_string_equal(out, a);
    free(out);
    pol__check_free(&c);
    pol__kb_close(kb);
    /* a plain quantity in the same place is replaced */
    kb = kb_of("Refunds are paid within 4 days of the return.\n", POL_TEXT_PLAIN);
    check(kb, "Refunds are paid within 7 days of the return.", &c);
    assert_int_equal(c.claims[0].verdict, POL_VERDICT_CONTRADICTED);
    assert_int_equal(c.claims[0].fixable, 1);
    pol__check_free(&c);
    pol__kb_close(kb);
}

/* The visitor's question (--question) helps find the evidence of a claim that names nothing
 * itself: "It is $9 each." answers "How much is a sourdough loaf?". */
static void test_question_helps(void **state)
{
    (void)state;
    pol__kb *kb = kb_of("# Prices\n\nA croissant costs $3.25 each.\n\n"
                        "A sourdough loaf costs $6.50 each.\n",
                        POL_TEXT_MARKDOWN);
    const char *a = "It is $9 each.";
    pol__check_opts o = {"How much is a sourdough loaf?", 5, 0.5};
    pol__check c;
    pol_err e;
    pol_err_clear(&e);
    assert_int_equal(pol__check_run(kb, a, strlen(a), &o, &c, &e), POL_OK);
    assert_int_equal(c.n, 1);
    print_message("  with the question: %s (%s)\n", pol__verdict_name(c.claims[0].verdict),
                  c.claims[0].reason);
    assert_int_equal(c.claims[0].verdict, POL_VERDICT_CONTRADICTED);
    assert_non_null(strstr(c.claims[0].evidence, "sourdough"));
    assert_int_equal(c.claims[0].n_fix, 1);
    assert_string_equal(c.claims[0].fix[0].text, "$6.50");
    pol__check_free(&c);
    pol__kb_close(kb);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_support_comparable),
        cmocka_unit_test(test_no_sentence),
        cmocka_unit_test(test_etc_sentence),
        cmocka_unit_test(test_list_items_headings),
        cmocka_unit_test(test_denial_is_claim),
        cmocka_unit_test(test_lead_in_ignored),
        cmocka_unit_test(test_wrapped_duration),
        cmocka_unit_test(test_values_one_to_one),
        cmocka_unit_test(test_reference_never_replaced),
        cmocka_unit_test(test_question_helps),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
