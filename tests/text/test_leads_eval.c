/* polish — tests: field-level accuracy of text.leads on generated transcripts with known fields
 * (gen_chat.h), and the transcript readers on bad input. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include "gen_chat.h"
#include "text/transcript.h"

static void test_fields(void **state)
{
    (void)state;
    gc_rng r = {424242};
    const int N = 400;
    size_t cap = (size_t)N * 4096 + 64, n = 0;
    char *buf = malloc(cap);
    gt_convo *gold = calloc((size_t)N, sizeof *gold);
    assert_non_null(buf);
    assert_non_null(gold);
    n += (size_t)snprintf(buf, cap, "{\"conversations\": [\n");
    for (int i = 0; i < N; i++) {
        gt_make(&gold[i], &r, i);
        n += (size_t)snprintf(buf + n, cap - n, "%s%s\n", i ? "," : "", gold[i].json);
    }
    n += (size_t)snprintf(buf + n, cap - n, "]}\n");
    pol__text *t = pol__text_new(POL_TEXT_CHAT_JSON, buf, n);
    assert_non_null(t);
    pol__transcripts tr;
    pol_err e;
    pol_err_clear(&e);
    assert_int_equal(pol__transcripts_parse(t, &tr, &e), POL_OK);
    assert_int_equal(tr.n, (size_t)N);
    int ok[5] = {0};
    const char *names[5] = {"name", "email", "phone", "company", "timeline"};
    for (int i = 0; i < N; i++) {
        pol__lead L;
        pol__lead_extract(&tr.c[i], "US", &L);
        const gt_convo *g = &gold[i];
        int f[5] = {!strcmp(L.name, g->name), !strcmp(L.email, g->email),
                    !strcmp(L.phone, g->phone_e164), !strcmp(L.company, g->company),
                    !strcmp(L.timeline, g->timeline)};
        for (int k = 0; k < 5; k++) {
            ok[k] += f[k];
            if (!f[k])
                print_message("%s: got '%s' want '%s' in %s\n", names[k],
                              k == 0 ? L.name : k == 1 ? L.email : k == 2 ? L.phone : k == 3 ? L.company : L.timeline,
                              k == 0 ? g->name : k == 1 ? g->email : k == 2 ? g->phone_e164 : k == 3 ? g->company : g->timeline,
                              g->json);
        }
        /* the bot's own number and address are never the visitor's */
        assert_null(strstr(L.phone, "2125550100"));
        assert_null(strstr(L.email, "brightside"));
    }
    for (int k = 0; k < 5; k++) {
        print_message("%-9s accuracy %.4f (%d of %d)\n", names[k], (double)ok[k] / N, ok[k], N);
        assert_true((double)ok[k] / N >= 0.95);
    }
    pol__transcripts_free(&tr);
    pol__text_free(t);
    free(gold);
    free(buf);
}

static pol_status parse(const char *s, pol__text_kind k, pol_err *e)
{
    pol__text *t = pol__text_new(k, s, strlen(s));
    pol__transcripts tr;
    pol_err_clear(e);
    pol_status st = pol__transcripts_parse(t, &tr, e);
    if (!st) pol__transcripts_free(&tr);
    pol__text_free(t);
    return st;
}

static void test_bad(void **state)
{
    (void)state;
    pol_err e;
    assert_int_equal(parse("{\"messages\": [", POL_TEXT_CHAT_JSON, &e), POL_ERR_FORMAT);
    assert_non_null(strstr(e.msg, "malformed JSON at line 1"));
    assert_int_equal(parse("{\"conversations\": [{\"id\": 1, \"messages\": []}]}", POL_TEXT_CHAT_JSON, &e), POL_ERR_EMPTY);
    assert_non_null(strstr(e.msg, "no messages"));
    assert_int_equal(parse("[]", POL_TEXT_CHAT_JSON, &e), POL_ERR_EMPTY);
    assert_int_equal(parse("role,message\n", POL_TEXT_CHAT_CSV, &e), POL_ERR_EMPTY);
    assert_int_equal(parse("who,when\nuser,now\n", POL_TEXT_CHAT_CSV, &e), POL_ERR_FORMAT);
    /* the three forms read */
    assert_int_equal(parse("[{\"role\":\"user\",\"content\":\"hi\"}]", POL_TEXT_CHAT_JSON, &e), POL_OK);
    assert_int_equal(parse("chat_id,role,message\n1,user,hi\n1,bot,hello\n2,user,\"yes, \"\"please\"\"\"\n", POL_TEXT_CHAT_CSV, &e), POL_OK);
    assert_int_equal(parse("User: hi\nBot: hello\n---\nUser: again\n", POL_TEXT_CHAT_TEXT, &e), POL_OK);
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_fields), cmocka_unit_test(test_bad)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
