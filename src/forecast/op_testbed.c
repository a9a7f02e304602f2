/* polish — forecast.testbed: imperfect-model Lorenz-96 ensembles as train and test tables.
 * `polish forecast testbed -o dir/` writes dir/train.csv and dir/test.csv. */
#include "forecast/op_common.h"

static const pol_param_desc params[] = {
    {"train-inits", POL_PARAM_INT, "1000", 10, 1000000, NULL,
     "Initialisations in the training table (1000: enough for one fit per station and lead to "
     "reach the skill of a pooled fit)."},
    {"test-inits", POL_PARAM_INT, "300", 1, 1000000, NULL, "Initialisations in the test table."},
    {"members", POL_PARAM_INT, "20", 1, 1000, NULL, "Ensemble members."},
    {"variables", POL_PARAM_INT, "40", 4, 256, NULL, "Lorenz-96 variables (the stations)."},
    {"forcing-truth", POL_PARAM_NUM, "8", -100, 100, NULL, "Forcing F of the truth."},
    {"forcing-model", POL_PARAM_NUM, "7", -100, 100, NULL, "Forcing F of the forecast model."},
    {"analysis-error", POL_PARAM_NUM, "0.2", 0, 10, NULL, "Standard deviation of the analysis error."},
    {"perturbation", POL_PARAM_NUM, "0.05", 0, 10, NULL,
     "Standard deviation of the members' initial perturbations."},
    {"obs-error", POL_PARAM_NUM, "0", 0, 10, NULL, "Standard deviation of the observation error."},
    {"leads", POL_PARAM_STR, "0.2,0.5,1,1.5", 0, -1, NULL,
     "Lead times in model time units (1 MTU = 120 h), increasing, at most 8."},
    {"spacing", POL_PARAM_NUM, "0.5", 0.005, 100, NULL, "Time between initialisations (MTU)."},
    {"seed", POL_PARAM_INT, "1", 0, 4e18, NULL, "Random seed."},
};

static pol_asset *table_asset(pol_run *run, pol__table *t, const char *name, pol_status *st)
{
    pol__forecast *f = NULL;
    *st = pol__forecast_from_table(run, t, name, &f);
    if (*st) return NULL;
    pol_asset *a = pol__asset_new(&pol__forecast_domain, f, name);
    if (!a) *st = pol__fail(run, POL_ERR_NOMEM, "out of memory");
    return a;
}

static pol_status run(pol_run *run, pol_asset *asset, const pol_args *args)
{
    (void)asset;
    fc_testbed_opt o;
    fc_testbed_defaults(&o);
    o.train_inits = (size_t)pol__arg_int(args, "train-inits");
    o.test_inits = (size_t)pol__arg_int(args, "test-inits");
    o.members = (size_t)pol__arg_int(args, "members");
    o.k = (size_t)pol__arg_int(args, "variables");
    o.f_truth = pol__arg_num(args, "forcing-truth");
    o.f_model = pol__arg_num(args, "forcing-model");
    o.analysis_sd = pol__arg_num(args, "analysis-error");
    o.perturb_sd = pol__arg_num(args, "perturbation");
    o.obs_sd = pol__arg_num(args, "obs-error");
    o.gap_mtu = pol__arg_num(args, "spacing");
    o.seed = (unsigned long long)pol__arg_int(args, "seed");
    int nl = pol__forecast_list(pol__arg_str(args, "leads"), o.leads_mtu, 8);
    if (nl <= 0) return pol__fail(run, POL_ERR_ARG, "--leads: 1 to 8 lead times, comma-separated");
    o.n_leads = (size_t)nl;
    for (int i = 0; i < nl; i++)
        if (!(o.leads_mtu[i] > 0) || (i && o.leads_mtu[i] <= o.leads_mtu[i - 1]))
            return pol__fail(run, POL_ERR_ARG, "--leads: positive and increasing");
    pol__table *tr = NULL, *te = NULL;
    pol_status st = fc_testbed(run, &o, &tr, &te);
    if (st) return st;
    pol__measure_int(run, "train_rows", (long long)pol__table_rows(tr));
    pol__measure_int(run, "test_rows", (long long)pol__table_rows(te));
    pol__decide(run, "Lorenz-96, K=%zu, truth F=%g, model F=%g, %zu members, analysis error %g, "
                "perturbations %g", o.k, o.f_truth, o.f_model, o.members, o.analysis_sd,
                o.perturb_sd);
    pol_asset *a = table_asset(run, tr, "train", &st);
    if (st) {
        pol__table_free(te);
        return st;
    }
    pol_asset *b = table_asset(run, te, "test", &st);
    if (!st) st = pol__emit(run, a, "train");
    if (!st) st = pol__emit(run, b, "test");
    pol__asset_unref(a);
    pol__asset_unref(b);
    return st;
}

const pol_op_desc pol__forecast_op_testbed = {
    .domain = "forecast",
    .name = "testbed",
    .summary = "Write train and test tables from an imperfect-model Lorenz-96 ensemble",
    .params = params,
    .n_params = POL_ARRAY_LEN(params),
    .run = run,
    .flags = POL_OP_NO_INPUT | POL_OP_SPLIT,
};
