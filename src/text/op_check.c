/* polish — text.check: each claim of an answer checked against the knowledge base. */
#include "text/check.h"
#include "text/kbport.h"

static const pol_param_desc params[] = {
    {"question", POL_PARAM_STR, NULL, 0, -1, NULL,
     "The visitor's question the answer replies to (helps find the evidence)."},
    {"top-k", POL_PARAM_INT, "5", 1, 16, NULL, "Passages retrieved per claim (BM25)."},
    {"min-coverage", POL_PARAM_NUM, "0.5", 0.1, 1, NULL,
     "Share of a claim's words a passage must hold to count as evidence for it."},
};

static const pol_port_desc inputs[] = {POL_TEXT_KB_PORT};

pol_status pol__text_check_item(pol_run *run, pol_asset *asset, const pol_args *args,
                                pol__check *out)
{
    pol__text *t = pol__text_of(asset);
    if (t->kind == POL_TEXT_KB)
        return pol__fail(run, POL_ERR_FORMAT, "a knowledge base is not an answer");
    pol_asset *ka = NULL;
    pol__kb *kb = NULL;
    pol_status st = pol__text_kb_input(run, args, &ka, &kb);
    if (st) return st;
    pol__check_opts o = {pol__arg_str(args, "question"), (int)pol__arg_int(args, "top-k"),
                         pol__arg_num(args, "min-coverage")};
    st = pol__check_run(kb, t->buf, t->len, &o, out, run->err);
    pol__asset_unref(ka);
    if (st) return pol__fail(run, st, "%s", run->err->msg);
    size_t n[3] = {0, 0, 0};
    double conf = 0;
    for (size_t i = 0; i < out->n; i++) {
        n[out->claims[i].verdict]++;
        conf += out->claims[i].confidence;
    }
    pol__measure_int(run, "sentences", (long long)out->sentences);
    pol__measure_int(run, "claims", (long long)out->n);
    pol__measure_int(run, "supported", (long long)n[0]);
    pol__measure_int(run, "contradicted", (long long)n[1]);
    pol__measure_int(run, "unsupported", (long long)n[2]);
    pol__measure_int(run, "not_claims", (long long)out->skipped);
    if (out->n) pol__confidence(run, conf / (double)out->n);
    return POL_OK;
}

static pol_status run(pol_run *run, pol_asset *asset, const pol_args *args)
{
    pol__check c;
    pol_status st = pol__text_check_item(run, asset, args, &c);
    if (st) return st;
    pol__text *t = pol__text_of(asset);
    pol__jv *doc = pol__check_json(&c, t->buf);
    if (!doc) {
        pol__check_free(&c);
        return pol__fail(run, POL_ERR_NOMEM, "out of memory");
    }
    pol__text_check_figure(run, &c, t->buf, t->len);
    pol__document(run, doc);
    if (c.n == 0) pol__decline(run, "the answer states nothing checkable (greetings, questions)");
    else
        pol__decide(run, "%zu claims checked", c.n);
    pol__check_free(&c);
    return POL_OK;
}

const pol_op_desc pol__text_op_check = {
    .domain = "text",
    .name = "check",
    .summary = "Check each claim of an answer against the knowledge base: supported, "
               "contradicted or unsupported, with evidence",
    .params = params,
    .n_params = POL_ARRAY_LEN(params),
    .run = run,
    .flags = POL_OP_DOCUMENT,
    .inputs = inputs,
    .n_inputs = POL_ARRAY_LEN(inputs),
};
