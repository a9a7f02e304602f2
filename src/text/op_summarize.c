/* polish — text.summarize: per conversation of a chat export, the visitor's intent in their own
 * words, the key facts they gave, the outcome, the next action, a priority and routing tags (a
 * document). */
#include <stdio.h>
#include "text/textutil.h"
#include "text/transcript.h"

static const pol_param_desc params[] = {
    {"region", POL_PARAM_STR, "US", 0, -1, NULL,
     "Default country of phone numbers written without one (ISO code)."},
    {"rules", POL_PARAM_STR, NULL, 0, -1, NULL,
     "Routing rules (YAML: each tag maps to a list of phrases, \"sales: [price, quote]\"); "
     "default: built-in sales, booking, billing, support, complaint and urgent rules.",
     .flags = POL_PARAM_PATH},
};

pol__jv *pol__text_summary_doc(const pol__followup *f)
{
    pol__jv *doc = pol__jv_obj();
    pol__jv *arr = pol__jv_arr_at(doc, "conversations");
    size_t pri[3] = {0, 0, 0};
    for (size_t i = 0; i < f->tr->n; i++) {
        const pol__convo *c = &f->tr->c[i];
        pri[pol__convo_priority(c, &f->lead[i])]++;
        pol__jv_push(arr, pol__convo_summary(c, &f->lead[i], f->tags[i]));
    }
    pol__jv *s = pol__jv_obj_at(doc, "summary");
    pol__jv_set(s, "conversations", pol__jv_int((long long)f->tr->n));
    pol__jv_set(s, "high", pol__jv_int((long long)pri[2]));
    pol__jv_set(s, "medium", pol__jv_int((long long)pri[1]));
    pol__jv_set(s, "low", pol__jv_int((long long)pri[0]));
    if (f->tr->empty) pol__jv_set(s, "empty_conversations", pol__jv_int((long long)f->tr->empty));
    return doc;
}

/* The routing rules: the file given to `rules`, else the built-in ones. */
pol_status pol__text_rules(pol_run *run, const pol_args *args, pol__tag_rules *r)
{
    const char *path = pol__arg_str(args, "rules");
    if (path) return pol__tag_rules_load(run, path, r);
    if (pol__tag_rules_builtin(r)) return pol__fail(run, POL_ERR_NOMEM, "out of memory");
    return POL_OK;
}

pol_status pol__followup_prepare(pol_run *run, const pol__text *t, const pol_args *args,
                                 pol__transcripts *tr, pol__followup *f)
{
    pol__tag_rules rules;
    pol_status st = pol__text_rules(run, args, &rules);
    if (st) return st;
    st = pol__transcripts_parse(t, tr, run->err);
    if (st) {
        pol__tag_rules_free(&rules);
        return pol__fail(run, st, "%s", run->err->msg);
    }
    st = pol__followup_extract(run, tr, pol__arg_str(args, "region"), &rules, f);
    pol__tag_rules_free(&rules);
    if (st) pol__transcripts_free(tr);
    return st;
}

static pol_status run(pol_run *run, pol_asset *asset, const pol_args *args)
{
    pol__text *t = pol__text_of(asset);
    if (t->kind == POL_TEXT_KB) return pol__fail(run, POL_ERR_FORMAT, "a knowledge base is not a chat export");
    pol__transcripts tr;
    pol__followup f;
    pol_status st = pol__followup_prepare(run, t, args, &tr, &f);
    if (st) return st;
    pol__jv *doc = pol__text_summary_doc(&f);
    size_t high = 0;
    for (size_t i = 0; i < tr.n; i++) high += pol__convo_priority(&tr.c[i], &f.lead[i]) == 2;
    pol__measure_int(run, "conversations", (long long)tr.n);
    pol__measure_int(run, "high_priority", (long long)high);
    pol__decide(run, "%zu conversations summarised", tr.n);
    pol__followup_free(&f);
    pol__transcripts_free(&tr);
    pol__document(run, doc);
    return POL_OK;
}

const pol_op_desc pol__text_op_summarize = {
    .domain = "text",
    .name = "summarize",
    .summary = "Summarise each conversation of a chat export: intent in the visitor's words, key "
               "facts, outcome, next action, priority, routing tags",
    .params = params,
    .n_params = POL_ARRAY_LEN(params),
    .run = run,
    .flags = POL_OP_DOCUMENT,
};
