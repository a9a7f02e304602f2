/* polish tests — forecast tables (both forms, bad input) and the Lorenz-96 test bed end to end:
 * EMOS must beat the raw ensemble's CRPS by about the published margins. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include "../common/test_run.h"
#include "forecast/forecast.h"

static pol__table *table_of(const char *const *rows, size_t nrows)
{
    /* rows[0] is the header; cells split at commas */
    pol__table *t = NULL;
    for (size_t r = 0; r < nrows; r++) {
        char buf[512];
        snprintf(buf, sizeof buf, "%s", rows[r]);
        const char *cells[64];
        size_t n = 0;
        char *p = buf;
        for (;;) {
            cells[n++] = p;
            char *c = strchr(p, ',');
            if (!c) break;
            *c = '\0';
            p = c + 1;
        }
        if (r == 0) {
            t = pol__table_new(0);
            for (size_t i = 0; i < n; i++) pol__table_add_col(t, cells[i]);
        } else {
            pol__table_add_row(t, cells, n, (uint32_t)(r + 1));
        }
    }
    return t;
}

static void wide_and_long(void **state)
{
    (void)state;
    tctx c;
    tctx_init(&c);
    const char *wide[] = {
        "station,init_time,lead_h,obs,ens_2,ens_1,extra",
        "B,2026-01-02T00:00Z,24,1.5,2,1,x",
        "A,2026-01-01T00:00Z,24,,NaN,3,y",
        "A,2026-01-01T00:00Z,24,2.0,4,3,z",
    };
    pol__forecast *f = NULL;
    assert_int_equal(pol__forecast_from_table(&c.run, table_of(wide, 4), "t", &f), POL_OK);
    assert_int_equal(f->n, 3);
    assert_int_equal(f->m, 2);
    assert_int_equal(f->n_names, 2);
    /* members in member order, not column order */
    assert_true(f->ens[0] == 1 && f->ens[1] == 2);
    assert_true(isnan(f->obs[1]) && f->n_missing_obs == 1);
    assert_int_equal(f->n_nan_members, 1);
    assert_int_equal(f->n_dup, 1);
    assert_true(f->dup[2] && !f->dup[1]);
    assert_true(f->unsorted);
    double mean, sd;
    assert_int_equal(pol__forecast_moments(f, 1, &mean, &sd), 1);
    assert_true(mean == 3 && sd == 0);
    pol__forecast_free(f);

    const char *lng[] = {
        "station,init_time,lead_h,obs,member,value",
        "A,2026-01-01T00:00Z,24,2,2,5.5",
        "A,2026-01-01T00:00Z,24,2,1,4.5",
        "A,2026-01-01T00:00Z,24,2,10,6.5",
        "A,2026-01-01T00:00Z,48,3,1,7",
    };
    assert_int_equal(pol__forecast_from_table(&c.run, table_of(lng, 5), "t", &f), POL_OK);
    assert_true(f->long_form);
    assert_int_equal(f->n, 2);
    assert_int_equal(f->m, 3);
    /* members 1, 2, 10 in numeric order; the 48 h case has only member 1 */
    assert_true(f->ens[0] == 4.5 && f->ens[1] == 5.5 && f->ens[2] == 6.5);
    assert_true(f->ens[3] == 7 && isnan(f->ens[4]));
    pol__forecast_free(f);
    tctx_done(&c);
}

static void bad_tables(void **state)
{
    (void)state;
    tctx c;
    tctx_init(&c);
    struct {
        const char *rows[3];
        const char *says;
    } bad[] = {
        {{"station,init_time,lead_h,obs,ens_1", "A,01/02/2026,24,1,2"}, "line 2: init_time"},
        {{"station,init_time,lead_h,obs,ens_1", "A,2026-01-01,24,1,warm"}, "ens_1 'warm'"},
        {{"station,init_time,lead_h,obs,ens_1", "A,2026-01-01,soon,1,2"}, "lead_h 'soon'"},
        {{"station,init_time,obs,ens_1", "A,2026-01-01,1,2"}, "needs the columns"},
        {{"station,init_time,lead_h,obs", "A,2026-01-01,24,1"}, "no member columns"},
        {{"station,init_time,lead_h,obs,member", "A,2026-01-01,24,1,1"}, "'value' column"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        pol__forecast *f = NULL;
        pol_err_clear(&c.err);
        pol_status st = pol__forecast_from_table(&c.run, table_of(bad[i].rows, 2), "t", &f);
        assert_int_not_equal(st, POL_OK);
        assert_null(f);
        if (!strstr(c.err.msg, bad[i].says)) fail_msg("case %zu: '%s'", i, c.err.msg);
    }
    tctx_done(&c);
}

static const char *cell(const pol__table *t, size_t r, const char *col)
{
    long c = pol__table_find(t, col);
    assert_true(c >= 0);
    return pol__table_get(t, r, (size_t)c);
}

/* The test bed as `polish forecast testbed` makes it (its defaults: K = 40, 20 members, 1000
 * training and 300 test initialisations, seed 1), calibrated as `polish forecast calibrate` does
 * by default (Gaussian EMOS by minimum CRPS, one model per station and lead time): the CRPS skill
 * over the raw ensemble must reach issue 12's figures, 32% at lead 0.2, 29% at 0.5, 22% at 1.0
 * and 21% at 1.5 model time units. The reference is the raw members' empirical distribution, as
 * in the literature the issue cites (Williams, Ferro & Kwasniok 2014); the fair ensemble CRPS,
 * which estimates an ensemble of infinite size, is lower (verify reports both). */
static void testbed_skill(void **state)
{
    (void)state;
    tctx c;
    tctx_init(&c);
    fc_testbed_opt o;
    fc_testbed_defaults(&o);
    assert_int_equal(o.train_inits, 1000);
    assert_int_equal(o.test_inits, 300);
    pol__table *tr = NULL, *te = NULL;
    assert_int_equal(fc_testbed(&c.run, &o, &tr, &te), POL_OK);
    assert_int_equal(pol__table_rows(tr), 1000 * 40 * 4);
    pol__forecast *train = NULL, *test = NULL, *other = NULL;
    assert_int_equal(pol__forecast_from_table(&c.run, tr, "train", &train), POL_OK);
    /* a copy of the test table with an unknown station in the first row */
    pol__table *te2 = pol__table_clone(te);
    pol__table_set(te2, 0, 0, "new-station");
    assert_int_equal(pol__forecast_from_table(&c.run, te, "test", &test), POL_OK);
    assert_int_equal(pol__forecast_from_table(&c.run, te2, "other", &other), POL_OK);
    assert_int_equal(train->m, 20);

    /* calibrate's defaults (src/forecast/op_common.h) */
    fc_settings set = {.method = FC_M_EMOS, .dist = FC_GAUSS, .scope = FC_SCOPE_LOCAL,
                       .per_lead = 1, .min_train = 30};
    fc_model m;
    assert_int_equal(fc_model_fit(&c.run, &set, train, other, &m), POL_OK);
    assert_int_equal(m.n_fits, 40 * 4 + 4); /* per station and lead, and the global fall-backs */
    const double qs[] = {0.05, 0.5, 0.95}, th[] = {0};
    fc_output out = {qs, 3, th, 1, 1};
    assert_int_equal(fc_model_apply(&c.run, &m, test, &out), POL_OK);
    assert_int_equal(fc_model_apply(&c.run, &m, other, &out), POL_OK);
    fc_model_free(&m);
    assert_string_equal(cell(test->t, 1, "model"), "local");
    double q05, q50, q95, e;
    pol__forecast_num(cell(test->t, 1, "q05"), &q05);
    pol__forecast_num(cell(test->t, 1, "q50"), &q50);
    pol__forecast_num(cell(test->t, 1, "q95"), &q95);
    assert_true(q05 < q50 && q50 < q95);
    /* ECC members: inside the calibrated distribution's range, the raw members' order */
    pol__forecast_num(cell(test->t, 1, "ecc_1"), &e);
    assert_true(e > q05 - 3 * (q95 - q05) && e < q95 + 3 * (q95 - q05));
    for (size_t j = 1; j < 20; j++) {
        char a[16], b[16];
        snprintf(a, sizeof a, "ecc_%zu", j);
        snprintf(b, sizeof b, "ecc_%zu", j + 1);
        double ea, eb;
        pol__forecast_num(cell(test->t, 1, a), &ea);
        pol__forecast_num(cell(test->t, 1, b), &eb);
        double ra = test->ens[1 * 20 + j - 1], rb = test->ens[1 * 20 + j];
        assert_true((ra < rb) == (ea < eb) || ra == rb);
    }

    /* the unseen station gets its raw ensemble and a flag */
    assert_string_equal(cell(other->t, 0, "model"), "raw");
    assert_non_null(strstr(cell(other->t, 0, "flag"), "no training data for station new-station"));
    assert_string_equal(cell(other->t, 1, "model"), "local");
    pol__forecast_free(other);

    /* the skill, lead by lead, from the verification document */
    pol__jv *doc = NULL;
    assert_int_equal(fc_verify(&c.run, test, FC_GAUSS, NULL, 0, NULL, 0, NULL, &doc), POL_OK);
    char *js = pol__jv_dump(doc, 0);
    const double want[] = {0.32, 0.29, 0.22, 0.21}, lead_h[] = {24, 60, 120, 180};
    pol__jv *bl = pol__jv_get(doc, "by_lead");
    assert_non_null(bl);
    size_t i = 0;
    for (pol__jv *l = bl->first; l; l = l->next, i++) {
        assert_true(i < 4);
        assert_true(pol__jv_get(l, "lead_h")->num == lead_h[i]);
        pol__jv *calj = pol__jv_get(l, "calibrated");
        double skill = pol__jv_get(calj, "crps_skill_vs_raw_edf")->num;
        double fair = pol__jv_get(calj, "crps_skill_vs_raw")->num;
        print_message("lead %g h: CRPS skill %.2f%% against the members' EDF (%.2f%% against the "
                      "fair CRPS)\n", lead_h[i], 100 * skill, 100 * fair);
        /* the figure itself (no allowance for rounding) */
        if (!(skill >= want[i])) fail_msg("lead %g h: skill %.4f below %.2f (%s)", lead_h[i], skill, want[i], js);
        /* the fair reference is the lower raw CRPS, so its skill is lower, never higher */
        assert_true(fair < skill);
    }
    assert_int_equal(i, 4);
    free(js);
    pol__jv_free(doc);
    pol__forecast_free(train);
    pol__forecast_free(test);
    tctx_done(&c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(wide_and_long),
        cmocka_unit_test(bad_tables),
        cmocka_unit_test(testbed_skill),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
