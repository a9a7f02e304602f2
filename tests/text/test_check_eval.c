/* polish — tests: claim-level precision and recall of text.check for flagging wrong claims, and
 * how many planted errors text.fix repairs, on the generated evaluation set (gen_check.h). A
 * correct answer must come out of fix byte for byte. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <unistd.h>
#include "gen_check.h"
#include "text/check.h"
#include "text/textutil.h"
#include "text/text.h"

static char dir[256];

static pol__kb *make_kb(const gc_business *B, int b)
{
    const char *ext = "txt";
    char *doc = gc_document(B, &ext);
    assert_non_null(doc);
    char path[320], kbp[320];
    snprintf(path, sizeof path, "%s/business%d.%s", dir, b, ext);
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    fputs(doc, f);
    fclose(f);
    int kind = pol__text_sniff_kind((const unsigned char *)doc, strlen(doc) < 4096 ? strlen(doc) : 4096, path);
    int bb = b % 10;
    assert_int_equal(kind, bb == 0 ? POL_TEXT_MARKDOWN : bb == 1 ? POL_TEXT_HTML : bb == 2 ? POL_TEXT_PLAIN : POL_TEXT_FAQ_CSV);
    pol__chunk_list c;
    assert_int_equal(pol__text_chunk((pol__text_kind)kind, doc, strlen(doc), 600, &c), 0);
    assert_true(c.n > 0);
    pol_err e;
    pol_err_clear(&e);
    pol_run run = {.err = &e};
    snprintf(kbp, sizeof kbp, "%s/kb%d.db", dir, b);
    long added, removed;
    int same;
    assert_int_equal(pol__kb_add(&run, kbp, path, &c, &added, &removed, &same), POL_OK);
    assert_int_equal(added, (long)c.n);
    pol__chunks_free(&c);
    free(doc);
    pol__kb *kb = NULL;
    assert_int_equal(pol__kb_open(kbp, &kb, &e), POL_OK);
    return kb;
}

static int overlaps(const pol__claim *c, const gc_sent *s)
{
    return c->start < s->end && s->start < c->end;
}

/* A sentence with each typed value replaced by its meaning, so "$20" and "$20.00" compare
 * equal: a repair is right when the values mean the knowledge base's and the words are the
 * same. */
static void normalise(const char *s, size_t n, char *out, size_t cap)
{
    pol__vals v;
    pol__values(s, n, &v);
    size_t at = 0, k = 0;
    for (size_t i = 0; i <= v.n && k + 1 < cap; i++) {
        size_t end = i < v.n ? v.v[i].start : n;
        for (size_t j = at; j < end && k + 1 < cap; j++) out[k++] = s[j];
        if (i == v.n) break;
        const pol__val *x = &v.v[i];
        int w = snprintf(out + k, cap - k, "<%d:%.4f:%s>", (int)x->type,
                         x->type == POL_V_DATE ? (double)((long)x->num % 10000) : x->num,
                         x->type == POL_V_PHONE || x->type == POL_V_EMAIL || x->type == POL_V_URL ||
                                 x->type == POL_V_ENTITY ? x->str : "");
        if (w > 0) k += (size_t)w < cap - k ? (size_t)w : cap - k - 1;
        at = x->end;
    }
    out[k] = '\0';
    pol__vals_free(&v);
}

static int repaired_as(const char *out, size_t out_len, int idx, int n_sent, const char *want)
{
    pol__span *sp = NULL;
    long ns = pol__sentences(out, out_len, &sp);
    int ok = 0;
    if (ns == n_sent) {
        char a[1024], b[1024];
        normalise(out + sp[idx].start, sp[idx].end - sp[idx].start, a, sizeof a);
        normalise(want, strlen(want), b, sizeof b);
        ok = !strcmp(a, b);
    } else {
        ok = strstr(out, want) != NULL;
    }
    free(sp);
    return ok;
}

static void test_eval(void **state)
{
    (void)state;
    snprintf(dir, sizeof dir, "/tmp/polish-text-eval-XXXXXX");
    assert_non_null(mkdtemp(dir));
    long tp = 0, fp = 0, fn = 0, wrong = 0, fixable = 0, repaired = 0, correct_answers = 0,
         correct_changed = 0, correct_sent_altered = 0, claims = 0, chatter_flagged = 0;
    long kind_n[16] = {0}, kind_hit[16] = {0};
    const char *kinds[16] = {0};
    int nk = 0;
    for (int seed = 1; seed <= 2; seed++) {
        for (int b = 0; b < 4; b++) {
            gc_rng r = {(uint64_t)seed * 7919 + (uint64_t)b};
            gc_business B;
            gc_business_make(&B, b, &r);
            pol__kb *kb = make_kb(&B, b + 10 * seed);
            for (int a = 0; a < 40; a++) {
                gc_answer A;
                gc_answer_make(&A, &B, b, &r, 40);
                pol__check c;
                pol_err e;
                pol_err_clear(&e);
                assert_int_equal(pol__check_run(kb, A.text, A.len, NULL, &c, &e), POL_OK);
                claims += (long)c.n;
                for (int i = 0; i < A.n; i++) {
                    const gc_sent *s = &A.s[i];
                    int flagged = 0;
                    for (size_t k = 0; k < c.n; k++)
                        if (overlaps(&c.claims[k], s) && c.claims[k].verdict != POL_VERDICT_SUPPORTED)
                            flagged = 1;
                    if (s->wrong) {
                        wrong++;
                        int ki = 0;
                        while (ki < nk && strcmp(kinds[ki], s->kind)) ki++;
                        if (ki == nk) kinds[nk++] = s->kind;
                        kind_n[ki]++;
                        kind_hit[ki] += flagged;
                        if (flagged) tp++;
                        else {
                            fn++;
                            print_message("missed (%s): %.*s\n", s->kind, (int)(s->end - s->start), A.text + s->start);
                        }
                    } else if (flagged) {
                        fp++;
                        chatter_flagged += !s->claim;
                        print_message("false alarm: %.*s\n", (int)(s->end - s->start), A.text + s->start);
                    }
                }
                size_t len;
                int changed;
                char *out = pol__check_apply(&c, A.text, A.len, &len, &changed);
                assert_non_null(out);
                if (A.all_correct) {
                    correct_answers++;
                    correct_changed += len != A.len || memcmp(out, A.text, len) != 0;
                }
                for (int i = 0; i < A.n; i++) {
                    const gc_sent *s = &A.s[i];
                    if (!s->wrong) {
                        char sent[GC_S];
                        snprintf(sent, sizeof sent, "%.*s", (int)(s->end - s->start), A.text + s->start);
                        if (!strstr(out, sent)) correct_sent_altered++;
                        continue;
                    }
                    if (!s->fixed[0]) continue;
                    fixable++;
                    if (repaired_as(out, len, i, A.n, s->fixed)) repaired++;
                    else
                        print_message("not repaired (%s): %.*s -> %s\n", s->kind,
                                      (int)(s->end - s->start), A.text + s->start, out);
                }
                free(out);
                pol__check_free(&c);
            }
            pol__kb_close(kb);
        }
    }
    double precision = tp + fp ? (double)tp / (double)(tp + fp) : 0;
    double recall = wrong ? (double)tp / (double)wrong : 0;
    print_message("claims checked %ld; wrong sentences %ld: flagged %ld, missed %ld; false alarms "
                  "%ld (greetings among them %ld)\n",
                  claims, wrong, tp, fn, fp, chatter_flagged);
    print_message("precision %.3f recall %.3f\n", precision, recall);
    for (int k = 0; k < nk; k++)
        print_message("  %-12s recall %.3f (%ld)\n", kinds[k], (double)kind_hit[k] / (double)kind_n[k], kind_n[k]);
    print_message("fix: %ld of %ld repairable errors repaired (%.3f); correct answers %ld, changed "
                  "%ld; correct sentences altered %ld\n",
                  repaired, fixable, fixable ? (double)repaired / (double)fixable : 0,
                  correct_answers, correct_changed, correct_sent_altered);
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    assert_int_equal(system(cmd), 0);
    assert_true(wrong >= 100);
    assert_true(recall >= 0.95);
    assert_true(precision >= 0.90);
    assert_int_equal(correct_changed, 0);
    assert_int_equal(correct_sent_altered, 0);
    assert_true(correct_answers >= 20);
    assert_true(fixable >= 50);
    assert_true((double)repaired / (double)fixable >= 0.85);
    for (int k = 0; k < nk; k++) assert_true((double)kind_hit[k] / (double)kind_n[k] >= 0.8);
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_eval)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
