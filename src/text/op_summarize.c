/* polish — text.summarize: per conversation of a chat export, the visitor's intent in their own
 * words, the key facts they gave, the outcome, the next action and a priority (a document). */
#include <stdio.h>
#include <strings.h>
#include "text/textutil.h"
#include "text/transcript.h"

static const pol_param_desc params[] = {
    {"region", POL_PARAM_STR, "US", 0, -1, NULL,
     "Default country of phone numbers written without one (ISO code)."},
};

static int has_word(const char *t, const char *w)
{
    size_t m = strlen(w), n = strlen(t);
    for (size_t i = 0; i + m <= n; i++)
        if (!strncasecmp(t + i, w, m) && (i == 0 || !((t[i - 1] | 32) >= 'a' && (t[i - 1] | 32) <= 'z')))
            return 1;
    return 0;
}

/* What the conversation came to, from the bot's side (and who spoke last). */
static const char *outcome_of(const pol__convo *c)
{
    static const char *const booked[] = {"booked", "confirmed", "is scheduled", "you're all set",
                                         "appointment is", "reservation is", NULL};
    static const char *const handed[] = {"be in touch", "get back to you", "will contact",
                                         "will call", "will email", "follow up", "a colleague",
                                         "our team will", "human agent", "transfer", NULL};
    int b = 0, h = 0;
    for (size_t i = 0; i < c->n; i++) {
        if (c->m[i].visitor) continue;
        for (int k = 0; booked[k]; k++) b |= has_word(c->m[i].text, booked[k]);
        for (int k = 0; handed[k]; k++) h |= has_word(c->m[i].text, handed[k]);
    }
    const pol__msg *last = &c->m[c->n - 1];
    if (b) return "booked";
    if (h) return "handed over";
    if (last->visitor && strchr(last->text, '?')) return "unanswered";
    return "answered";
}

static int soon(const char *timeline)
{
    static const char *const w[] = {"asap", "as soon as", "urgent", "right away", "today",
                                    "tomorrow", "this week", "by friday", "by monday", "days", NULL};
    for (int k = 0; w[k]; k++)
        if (has_word(timeline, w[k])) return 1;
    return 0;
}

static pol_status run(pol_run *run, pol_asset *asset, const pol_args *args)
{
    pol__text *t = pol__text_of(asset);
    if (t->kind == POL_TEXT_KB) return pol__fail(run, POL_ERR_FORMAT, "a knowledge base is not a chat export");
    pol__transcripts tr;
    pol_status st = pol__transcripts_parse(t, &tr, run->err);
    if (st) return pol__fail(run, st, "%s", run->err->msg);
    const char *region = pol__arg_str(args, "region");
    pol__jv *doc = pol__jv_obj();
    pol__jv *arr = pol__jv_arr_at(doc, "conversations");
    size_t pri[3] = {0, 0, 0};
    for (size_t i = 0; i < tr.n; i++) {
        const pol__convo *c = &tr.c[i];
        pol__lead L;
        pol__lead_extract(c, region, &L);
        pol__jv *o = pol__jv_obj();
        pol__jv_set(o, "conversation", pol__jv_str(c->id));
        pol__jv_set(o, "messages", pol__jv_int((long long)c->n));
        pol__jv_set(o, "intent", pol__jv_str(L.need));
        /* key facts: the visitor's values (dates, amounts, quantities, durations) and contact */
        pol__jv *facts = pol__jv_arr_at(o, "facts");
        int nf = 0;
        for (size_t k = 0; k < c->n && nf < 12; k++) {
            if (!c->m[k].visitor) continue;
            const char *m = c->m[k].text;
            pol__vals v;
            pol__values(m, strlen(m), &v);
            for (size_t j = 0; j < v.n && nf < 12; j++) {
                const pol__val *x = &v.v[j];
                if (x->type == POL_V_ENTITY || x->type == POL_V_EMAIL || x->type == POL_V_PHONE) continue;
                pol__jv *f = pol__jv_obj();
                char val[128];
                snprintf(val, sizeof val, "%.*s", (int)(x->end - x->start), m + x->start);
                pol__jv_set(f, "type", pol__jv_str(pol__vtype_name(x->type)));
                pol__jv_set(f, "value", pol__jv_str(val));
                pol__jv_push(facts, f);
                nf++;
            }
            pol__vals_free(&v);
        }
        pol__jv *lead = pol__jv_obj_at(o, "contact");
        if (L.name[0]) pol__jv_set(lead, "name", pol__jv_str(L.name));
        if (L.company[0]) pol__jv_set(lead, "company", pol__jv_str(L.company));
        if (L.email[0]) pol__jv_set(lead, "email", pol__jv_str(L.email));
        if (L.phone[0]) pol__jv_set(lead, "phone", pol__jv_str(L.phone));
        if (L.timeline[0]) pol__jv_set(lead, "timeline", pol__jv_str(L.timeline));
        const char *out = outcome_of(c);
        pol__jv_set(o, "outcome", pol__jv_str(out));
        int reach = L.email_ok || L.phone_ok;
        char next[640];
        if (!strcmp(out, "booked"))
            snprintf(next, sizeof next, "confirm the booking%s%s", reach ? " with " : "",
                     reach ? (L.name[0] ? L.name : "the visitor") : "");
        else if (reach)
            snprintf(next, sizeof next, "follow up with %s by %s%s%s", L.name[0] ? L.name : "the visitor",
                     L.phone_ok ? "phone " : "e-mail ", L.phone_ok ? L.phone : L.email,
                     L.timeline[0] ? " (timeline given)" : "");
        else if (!strcmp(out, "unanswered"))
            snprintf(next, sizeof next, "answer the visitor's last question in the chat");
        else
            snprintf(next, sizeof next, "none: no contact details were given");
        pol__jv_set(o, "next_action", pol__jv_str(next));
        int p = reach && (soon(L.timeline) || !strcmp(out, "booked")) ? 2 : reach ? 1 : 0;
        pri[p]++;
        pol__jv_set(o, "priority", pol__jv_str(p == 2 ? "high" : p == 1 ? "medium" : "low"));
        pol__jv_push(arr, o);
    }
    pol__jv *s = pol__jv_obj_at(doc, "summary");
    pol__jv_set(s, "conversations", pol__jv_int((long long)tr.n));
    pol__jv_set(s, "high", pol__jv_int((long long)pri[2]));
    pol__jv_set(s, "medium", pol__jv_int((long long)pri[1]));
    pol__jv_set(s, "low", pol__jv_int((long long)pri[0]));
    if (tr.empty) pol__jv_set(s, "empty_conversations", pol__jv_int((long long)tr.empty));
    pol__measure_int(run, "conversations", (long long)tr.n);
    pol__measure_int(run, "high_priority", (long long)pri[2]);
    pol__decide(run, "%zu conversations summarised", tr.n);
    pol__transcripts_free(&tr);
    pol__document(run, doc);
    return POL_OK;
}

const pol_op_desc pol__text_op_summarize = {
    .domain = "text",
    .name = "summarize",
    .summary = "Summarise each conversation of a chat export: intent in the visitor's words, key "
               "facts, outcome, next action, priority",
    .params = params,
    .n_params = POL_ARRAY_LEN(params),
    .run = run,
    .flags = POL_OP_DOCUMENT,
};
