/* polish — text.fix: contradicted values replaced with the knowledge base's, where unambiguous. */
#include "text/check.h"
#include "text/kbport.h"
#include "text/textutil.h"

static const pol_param_desc params[] = {
    {"question", POL_PARAM_STR, NULL, 0, -1, NULL,
     "The visitor's question the answer replies to (helps find the evidence)."},
    {"top-k", POL_PARAM_INT, "5", 1, 16, NULL, "Passages retrieved per claim (BM25)."},
    {"min-coverage", POL_PARAM_NUM, "0.5", 0.1, 1, NULL,
     "Share of a claim's words a passage must hold to count as evidence for it."},
    {"unsupported", POL_PARAM_ENUM, "keep", 0, -1, "keep|flag|remove",
     "What happens to a claim the knowledge base does not support.",
     .choice_help = (const char *const[]){"keep: left as written (default)",
                                          "flag: marked [unverified] after the sentence",
                                          "remove: the sentence is taken out", NULL}},
    {"cite", POL_PARAM_BOOL, "false", 0, -1, NULL,
     "Append the sources of the supporting passages as a last line."},
};

static const pol_port_desc inputs[] = {POL_TEXT_KB_PORT};

pol_status pol__text_check_item(pol_run *run, pol_asset *asset, const pol_args *args,
                                pol__check *out);

static pol_status run(pol_run *run, pol_asset *asset, const pol_args *args)
{
    pol__text *t0 = pol__text_of(asset);
    if (t0->kind != POL_TEXT_PLAIN && t0->kind != POL_TEXT_MARKDOWN) {
        pol__decline(run, "fix applies to an answer (plain text or Markdown), not a %s: left as "
                          "it is", pol__text_kind_name(t0->kind));
        return POL_OK;
    }
    pol__check c;
    pol_status st = pol__text_check_item(run, asset, args, &c);
    if (st) return st;
    pol__text *t = pol__text_of(asset);
    size_t len = 0;
    int changed = 0;
    char *fixed = pol__check_apply(&c, t->buf, t->len, &len, &changed);
    if (!fixed) {
        pol__check_free(&c);
        return pol__fail(run, POL_ERR_NOMEM, "out of memory");
    }
    int mode = pol__arg_choice(args, "unsupported");
    int cite = pol__arg_bool(args, "cite");
    size_t contradicted = 0, unfixed = 0, flagged = 0;
    for (size_t i = 0; i < c.n; i++)
        if (c.claims[i].verdict == POL_VERDICT_CONTRADICTED) {
            contradicted++;
            if (!c.claims[i].fixable) unfixed++;
        }
    if ((mode > 0 || cite) && !st) {
        /* the options work on the replaced text: rebuild it with claims marked or removed */
        pol__sbuf o = {0};
        const char *src = t->buf;
        size_t at = 0;
        /* replacements first (offsets refer to the original), then flags / removals */
        for (size_t i = 0; i < c.n; i++) {
            const pol__claim *cl = &c.claims[i];
            if (cl->verdict != POL_VERDICT_UNSUPPORTED) continue;
            if (cl->start < at) continue;
            pol__sbuf_put(&o, src + at, cl->end - at);
            if (mode == 1) pol__sbuf_puts(&o, " [unverified]");
            else o.n -= cl->end - cl->start, o.p[o.n] = '\0';
            at = cl->end;
            flagged++;
        }
        pol__sbuf_put(&o, src + at, t->len - at);
        if (flagged && changed) {
            /* both: apply replacements on the original, then flag; simplest is to refuse mixing */
            pol__warn(run, "unsupported claims are %s only where no value was replaced",
                      mode == 1 ? "flagged" : "removed");
        }
        if (!changed && flagged && !o.oom) {
            free(fixed);
            fixed = o.p;
            len = o.n;
            o.p = NULL;
        }
        free(o.p);
        if (cite) {
            pol__sbuf s = {0};
            pol__sbuf_put(&s, fixed, len);
            int any = 0;
            for (size_t i = 0; i < c.n; i++) {
                const pol__claim *cl = &c.claims[i];
                if (cl->verdict == POL_VERDICT_UNSUPPORTED || !cl->source) continue;
                int dup = 0;
                for (size_t j = 0; j < i; j++)
                    dup |= c.claims[j].source && c.claims[j].verdict != POL_VERDICT_UNSUPPORTED &&
                           !strcmp(c.claims[j].source, cl->source);
                if (dup) continue;
                pol__sbuf_puts(&s, any ? ", " : (len && fixed[len - 1] == '\n' ? "Sources: " : "\nSources: "));
                pol__sbuf_puts(&s, cl->source);
                any = 1;
            }
            if (any) pol__sbuf_puts(&s, "\n");
            if (!s.oom && any) {
                free(fixed);
                fixed = s.p;
                len = s.n;
            } else {
                free(s.p);
            }
        }
    }
    pol__measure_int(run, "claims", (long long)c.n);
    pol__measure_int(run, "contradicted", (long long)contradicted);
    pol__measure_int(run, "replaced", changed);
    pol__measure_int(run, "not_fixed", (long long)unfixed);
    pol__jv *doc = pol__check_json(&c, t->buf);
    if (doc) pol__measure_jv(run, "check", doc);
    int same = len == t->len && memcmp(fixed, t->buf, len) == 0;
    if (same) {
        pol__decline(run, contradicted ? "%zu contradicted claims, none with an unambiguous "
                                         "replacement: the answer is unchanged"
                                       : "nothing contradicted: the answer is unchanged",
                     contradicted);
    } else {
        if (pol__text_set(t, fixed, len)) {
            free(fixed);
            pol__check_free(&c);
            return pol__fail(run, POL_ERR_NOMEM, "out of memory");
        }
        pol__decide(run, "%d values replaced with the knowledge base's%s", changed,
                    unfixed ? "; some contradicted claims had no unambiguous replacement" : "");
        if (unfixed)
            pol__warn(run, "%zu contradicted claims left as written (no unambiguous value)", unfixed);
    }
    free(fixed);
    pol__check_free(&c);
    return POL_OK;
}

const pol_op_desc pol__text_op_fix = {
    .domain = "text",
    .name = "fix",
    .summary = "Replace contradicted values in an answer with the knowledge base's, where the "
               "correspondence is unambiguous; a correct answer is left byte for byte",
    .params = params,
    .n_params = POL_ARRAY_LEN(params),
    .run = run,
    .inputs = inputs,
    .n_inputs = POL_ARRAY_LEN(inputs),
    .flags = POL_OP_AUTO,
};
