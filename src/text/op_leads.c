/* polish — text.leads: a chat export in, a lead list out (a records item: one row per
 * conversation, fields standardised and validated by the records domain's code). */
#include <stdio.h>
#include <stdlib.h>
#include "records/records.h"
#include "text/transcript.h"

static const pol_param_desc params[] = {
    {"region", POL_PARAM_STR, "US", 0, -1, NULL,
     "Default country of phone numbers written without one (ISO code)."},
    {"all", POL_PARAM_BOOL, "false", 0, -1, NULL,
     "Keep conversations that left no e-mail or phone (default: only reachable leads)."},
};

static const char *const cols[] = {"conversation", "name", "email", "phone", "company", "need",
                                   "timeline", "verified", "email_valid", "phone_valid",
                                   "messages", "first_time", "last_time"};

static pol_status run(pol_run *run, pol_asset *asset, const pol_args *args)
{
    pol__text *t = pol__text_of(asset);
    if (t->kind == POL_TEXT_KB) return pol__fail(run, POL_ERR_FORMAT, "a knowledge base is not a chat export");
    pol__transcripts tr;
    pol_status st = pol__transcripts_parse(t, &tr, run->err);
    if (st) return pol__fail(run, st, "%s", run->err->msg);
    const char *region = pol__arg_str(args, "region");
    int all = pol__arg_bool(args, "all");
    size_t nc = sizeof cols / sizeof *cols;
    pol__table *tab = pol__table_new(nc);
    if (!tab) {
        pol__transcripts_free(&tr);
        return pol__fail(run, POL_ERR_NOMEM, "out of memory");
    }
    for (size_t k = 0; k < nc; k++)
        if (pol__table_set_name(tab, k, cols[k])) st = POL_ERR_NOMEM;
    size_t leads = 0, verified = 0, no_contact = 0;
    for (size_t i = 0; i < tr.n && !st; i++) {
        if ((i & 1023) == 0 && pol__cancelled(run)) {
            st = pol__fail(run, POL_ERR_CANCELLED, "cancelled");
            break;
        }
        pol__lead L;
        pol__lead_extract(&tr.c[i], region, &L);
        if (!L.email[0] && !L.phone[0]) {
            no_contact++;
            if (!all) continue;
        }
        char msgs[24];
        snprintf(msgs, sizeof msgs, "%zu", tr.c[i].n);
        int ver = L.email_ok || L.phone_ok;
        const pol__convo *c = &tr.c[i];
        const char *cells[] = {c->id, L.name, L.email, L.phone, L.company, L.need, L.timeline,
                               ver ? "yes" : "no", L.email[0] ? (L.email_ok ? "yes" : "no") : "",
                               L.phone[0] ? (L.phone_ok ? "yes" : "no") : "", msgs,
                               c->m[0].time ? c->m[0].time : "",
                               c->m[c->n - 1].time ? c->m[c->n - 1].time : ""};
        if (pol__table_add_row(tab, cells, nc, (uint32_t)(i + 1)) < 0) st = POL_ERR_NOMEM;
        leads++;
        verified += ver;
    }
    size_t convos = tr.n, empty = tr.empty;
    pol__transcripts_free(&tr);
    if (st) {
        pol__table_free(tab);
        return st == POL_ERR_NOMEM ? pol__fail(run, st, "out of memory") : st;
    }
    pol__records *r = pol__records_new(tab);
    if (!r) return pol__fail(run, POL_ERR_NOMEM, "out of memory");
    snprintf(r->save.format, sizeof r->save.format, "csv");
    pol__measure_int(run, "conversations", (long long)convos);
    if (empty) pol__measure_int(run, "empty_conversations", (long long)empty);
    pol__measure_int(run, "leads", (long long)leads);
    pol__measure_int(run, "verified", (long long)verified);
    pol__measure_int(run, "without_contact", (long long)no_contact);
    if (!all && no_contact)
        pol__decide(run, "%zu leads from %zu conversations (%zu left no e-mail or phone; --all "
                         "keeps them)", leads, convos, no_contact);
    else
        pol__decide(run, "%zu leads from %zu conversations", leads, convos);
    /* the item leaves as a records item (out_domain) */
    if (asset->domain->data_free) asset->domain->data_free(asset->data);
    asset->domain = &pol__records_domain;
    asset->data = r;
    return POL_OK;
}

const pol_op_desc pol__text_op_leads = {
    .domain = "text",
    .name = "leads",
    .summary = "Turn a chat export (JSON, CSV, User:/Bot: text) into a lead list: name, e-mail, "
               "phone, company, need, timeline, validated with the records domain",
    .params = params,
    .n_params = POL_ARRAY_LEN(params),
    .run = run,
    .out_domain = "records",
};
