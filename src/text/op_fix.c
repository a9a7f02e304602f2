/* polish — text.fix: contradicted values replaced with the knowledge base's, where unambiguous. */
#include "text/check.h"
#include "text/kbport.h"
#include "text/rewrite.h"
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
    {"rewrite", POL_PARAM_BOOL, "false", 0, -1, NULL,
     "Off by default. Ask an OpenAI-compatible chat endpoint to rewrite an answer that still has "
     "a contradicted claim after the fix (unsupported claims alone are not sent); the rewrite is "
     "checked against the knowledge base and kept only when it contradicts nothing and invents "
     "no value, else the un-rewritten result is kept and the report says why."},
    {"rewrite-url", POL_PARAM_STR, NULL, 0, -1, NULL,
     "The endpoint (\"http://host:port/v1\" or the full \".../chat/completions\"); default: "
     "$POLISH_REWRITE_URL."},
    {"rewrite-model", POL_PARAM_STR, NULL, 0, -1, NULL,
     "The model name sent to the endpoint; default: $POLISH_REWRITE_MODEL, else \"default\"."},
    {"rewrite-key-env", POL_PARAM_STR, "POLISH_REWRITE_KEY", 0, -1, NULL,
     "The environment variable holding the endpoint's API key (sent as a Bearer token; none "
     "when unset). The key itself is never a flag."},
    {"rewrite-timeout", POL_PARAM_NUM, "20", 0.1, 600, NULL,
     "Seconds the whole request may take before the un-rewritten result is kept.", .unit = "s"},
};

static const pol_port_desc inputs[] = {POL_TEXT_KB_PORT};

pol_status pol__text_check_item(pol_run *run, pol_asset *asset, const pol_args *args,
                                pol__check *out);

/* The optional rewrite: asked only when a claim is still flagged (contradicted without a
 * replacement, or unsupported); kept only when it passes the knowledge base. *fixed is replaced
 * by the rewrite when it is kept; any failure keeps it and says why. */
static pol_status rewrite(pol_run *run, const pol_args *args, const pol__check *c,
                          const pol__text *t, char **fixed, size_t *len)
{
    /* only a claim the knowledge base contradicts and the fix could not mend is worth a
     * rewrite: claims it merely does not hold (a document of notes, a remark) stay as written,
     * as --unsupported says */
    size_t flagged = 0;
    for (size_t i = 0; i < c->n; i++)
        flagged += c->claims[i].verdict == POL_VERDICT_CONTRADICTED && !c->claims[i].fixable;
    pol__jv *rep = pol__jv_obj();
    const char *url = pol__arg_str(args, "rewrite-url");
    if (!url || !url[0]) url = getenv("POLISH_REWRITE_URL");
    const char *model = pol__arg_str(args, "rewrite-model");
    if (!model || !model[0]) model = getenv("POLISH_REWRITE_MODEL");
    const char *key_env = pol__arg_str(args, "rewrite-key-env");
    pol__rewrite_cfg cfg = {url, model && model[0] ? model : "default",
                            key_env && key_env[0] ? getenv(key_env) : NULL,
                            pol__arg_num(args, "rewrite-timeout"), 0};
    pol__jv_set(rep, "flagged_claims", pol__jv_int((long long)flagged));
    pol__jv_set(rep, "model", pol__jv_str(cfg.model));
    if (!flagged) {
        pol__jv_set(rep, "status", pol__jv_str("not needed"));
        pol__jv_set(rep, "reason", pol__jv_str("no contradicted claim is left after the fix"));
        pol__measure_jv(run, "rewrite", rep);
        return POL_OK;
    }
    char why[400] = "";
    char *rw = NULL;
    char *orig = pol__strndup(t->buf, t->len);
    if (!orig) return pol__fail(run, POL_ERR_NOMEM, "out of memory");
    const char *status = "failed";
    if (pol__rewrite_ask(&cfg, orig, c, *fixed, *len, &rw, why, sizeof why) == 0) {
        pol_asset *ka = NULL;
        pol__kb *kb = NULL;
        pol_status st = pol__text_kb_input(run, args, &ka, &kb);
        if (st) {
            free(rw);
            free(orig);
            return st;
        }
        pol__check_opts o = {pol__arg_str(args, "question"), (int)pol__arg_int(args, "top-k"),
                             pol__arg_num(args, "min-coverage")};
        int ok = pol__rewrite_accept(kb, &o, orig, c, *fixed, *len, rw, strlen(rw), why,
                                     sizeof why, run->err);
        pol__asset_unref(ka);
        if (ok < 0) {
            free(rw);
            free(orig);
            return pol__fail(run, run->err->code, "%s", run->err->msg);
        }
        if (ok) {
            status = "applied";
            size_t rn = strlen(rw);
            /* the answer's last line break kept */
            int nl = t->len && t->buf[t->len - 1] == '\n';
            char *p = malloc(rn + 2);
            if (!p) {
                free(rw);
                free(orig);
                return pol__fail(run, POL_ERR_NOMEM, "out of memory");
            }
            memcpy(p, rw, rn);
            if (nl) p[rn++] = '\n';
            p[rn] = '\0';
            free(*fixed);
            *fixed = p;
            *len = rn;
            snprintf(why, sizeof why, "the rewrite contradicts nothing and invents no value");
        } else {
            status = "rejected";
        }
    }
    pol__jv_set(rep, "status", pol__jv_str(status));
    pol__jv_set(rep, "reason", pol__jv_str(why));
    if (rw) pol__jv_set(rep, "text", pol__jv_str(rw));
    pol__measure_jv(run, "rewrite", rep);
    if (!strcmp(status, "applied"))
        pol__decide(run, "rewritten by the endpoint (%s): %s", cfg.model, why);
    else
        pol__warn(run, "rewrite %s: %s; the un-rewritten result is kept", status, why);
    free(rw);
    free(orig);
    return POL_OK;
}

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
    if (pol__arg_bool(args, "rewrite")) {
        st = rewrite(run, args, &c, t, &fixed, &len);
        if (st) {
            free(fixed);
            pol__check_free(&c);
            return st;
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
