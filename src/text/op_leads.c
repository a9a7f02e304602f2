/* polish — text.leads: a chat export in, a lead list out (a records item: one row per
 * conversation, fields standardised and validated by the records domain's code); text.contacts:
 * the history of each contact across the conversations of an export. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "records/records.h"
#include "text/transcript.h"

#define REGION_PARAM                                                                               \
    {"region", POL_PARAM_STR, "US", 0, -1, NULL,                                                   \
     "Default country of phone numbers written without one (ISO code)."}
#define RULES_PARAM                                                                                \
    {"rules", POL_PARAM_STR, NULL, 0, -1, NULL,                                                    \
     "Routing rules (YAML: each tag maps to a list of phrases, \"sales: [price, quote]\"); "       \
     "default: built-in sales, booking, billing, support, complaint and urgent rules.",            \
     .flags = POL_PARAM_PATH}
#define FORMAT_PARAM                                                                               \
    {"format", POL_PARAM_ENUM, "csv", 0, -1, "csv|xlsx", "The spreadsheet written.",               \
     .choice_help = (const char *const[]){"csv: comma-separated text", "xlsx: an Excel workbook",  \
                                          NULL}}

static const pol_param_desc params[] = {
    REGION_PARAM,
    {"all", POL_PARAM_BOOL, "false", 0, -1, NULL,
     "Keep conversations that left no e-mail or phone (default: only reachable leads)."},
    RULES_PARAM,
    FORMAT_PARAM,
};

/* Parses the export and extracts every conversation's lead and tags. */
static pol_status prepare(pol_run *run, pol_asset *asset, const pol_args *args,
                          pol__transcripts *tr, pol__followup *f)
{
    pol__text *t = pol__text_of(asset);
    if (t->kind == POL_TEXT_KB) return pol__fail(run, POL_ERR_FORMAT, "a knowledge base is not a chat export");
    return pol__followup_prepare(run, t, args, tr, f);
}

/* The item leaves as a records item (out_domain). */
static void become_records(pol_asset *asset, pol__records *r)
{
    if (asset->domain->data_free) asset->domain->data_free(asset->data);
    asset->domain = &pol__records_domain;
    asset->data = r;
}

static pol_status run(pol_run *run, pol_asset *asset, const pol_args *args)
{
    pol__transcripts tr;
    pol__followup f;
    pol_status st = prepare(run, asset, args, &tr, &f);
    if (st) return st;
    int all = pol__arg_bool(args, "all");
    pol__records *r = NULL;
    size_t leads = 0, verified = 0, no_contact = 0;
    st = pol__leads_records(run, &f, all, pol__arg_str(args, "format"), &r, &leads, &verified,
                            &no_contact);
    size_t convos = tr.n, empty = tr.empty;
    pol__followup_free(&f);
    pol__transcripts_free(&tr);
    if (st) return st;
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
    become_records(asset, r);
    return POL_OK;
}

const pol_op_desc pol__text_op_leads = {
    .domain = "text",
    .name = "leads",
    .summary = "Turn a chat export (JSON, CSV, User:/Bot: text) into a lead list: name, e-mail, "
               "phone, company, need, timeline, tags, validated with the records domain",
    .params = params,
    .n_params = POL_ARRAY_LEN(params),
    .run = run,
    .out_domain = "records",
};

static const pol_param_desc contact_params[] = {REGION_PARAM, RULES_PARAM, FORMAT_PARAM};

static const pol_port_desc contact_inputs[] = {
    {"with", POL_PORT_ASSET, "text", "json|csv|txt", POL_PORT_MANY | POL_PORT_SHARED,
     "Other chat exports (earlier or other channels' files) whose conversations join this one's: "
     "one row per contact across all of them, each conversation id named by its export "
     "(repeatable; loaded once for the batch)."},
};

/* Several exports as one: conversations, leads and tags side by side (shallow copies: the
 * parts keep owning their strings), each conversation named by its export's file name. */
typedef struct joined {
    size_t n, ready; /* exports; those parsed (to free) */
    pol__transcripts *tr;
    pol__followup *f;
    pol_asset **a;
    pol__transcripts all;
    pol__followup fall;
} joined;

static void joined_free(joined *j)
{
    for (size_t k = 0; k < j->n; k++) {
        if (k < j->ready) {
            pol__followup_free(&j->f[k]);
            pol__transcripts_free(&j->tr[k]);
        }
        if (j->a) pol__asset_unref(j->a[k]);
    }
    free(j->tr);
    free(j->f);
    free(j->a);
    free(j->all.c);
    pol__followup_free(&j->fall);
}

static pol_status join_exports(pol_run *run, const pol_args *args, pol_asset *asset,
                               pol__transcripts *tr0, pol__followup *f0, joined *j)
{
    memset(j, 0, sizeof *j);
    size_t extra = pol__input_count(args, "with");
    j->n = extra + 1;
    j->tr = calloc(j->n, sizeof *j->tr);
    j->f = calloc(j->n, sizeof *j->f);
    j->a = calloc(j->n, sizeof *j->a);
    if (!j->tr || !j->f || !j->a) return pol__fail(run, POL_ERR_NOMEM, "out of memory");
    pol_status st = POL_OK;
    size_t total = tr0->n;
    for (size_t k = 0; k < extra && !st; k++) {
        st = pol__input_asset(run, args, "with", k, &j->a[k]);
        if (!st) st = prepare(run, j->a[k], args, &j->tr[k], &j->f[k]);
        if (!st) total += j->tr[k].n, j->ready = k + 1;
    }
    if (st) return st;
    j->all.c = calloc(total + 1, sizeof *j->all.c);
    j->fall.lead = calloc(total + 1, sizeof *j->fall.lead);
    j->fall.tags = calloc(total + 1, sizeof *j->fall.tags);
    j->fall.source = calloc(total + 1, sizeof *j->fall.source);
    if (!j->all.c || !j->fall.lead || !j->fall.tags || !j->fall.source)
        return pol__fail(run, POL_ERR_NOMEM, "out of memory");
    /* the other exports first (usually the earlier ones), then this one */
    for (size_t k = 0; k <= extra; k++) {
        const pol__transcripts *t = k < extra ? &j->tr[k] : tr0;
        const pol__followup *f = k < extra ? &j->f[k] : f0;
        const pol_asset *a = k < extra ? j->a[k] : asset;
        const char *name = pol__path_base(a->source_path ? a->source_path : "export");
        for (size_t i = 0; i < t->n; i++) {
            size_t at = j->all.n++;
            j->all.c[at] = t->c[i];
            j->fall.lead[at] = f->lead[i];
            memcpy(j->fall.tags[at], f->tags[i], sizeof j->fall.tags[at]);
            j->fall.source[at] = name;
        }
        j->all.empty += t->empty;
    }
    j->fall.tr = &j->all;
    return POL_OK;
}

static pol_status run_contacts(pol_run *run, pol_asset *asset, const pol_args *args)
{
    pol__transcripts tr;
    pol__followup f;
    pol_status st = prepare(run, asset, args, &tr, &f);
    if (st) return st;
    pol__records *r = NULL;
    size_t contacts = 0, convos = tr.n, exports = 1;
    joined j;
    int several = pol__input_count(args, "with") > 0;
    if (several) {
        st = join_exports(run, args, asset, &tr, &f, &j);
        if (!st) st = pol__contacts_records(run, &j.fall, pol__arg_str(args, "format"), &r, &contacts);
        convos = j.all.n;
        exports = j.n;
        joined_free(&j);
    } else {
        st = pol__contacts_records(run, &f, pol__arg_str(args, "format"), &r, &contacts);
    }
    pol__followup_free(&f);
    pol__transcripts_free(&tr);
    if (st) return st;
    pol__measure_int(run, "conversations", (long long)convos);
    pol__measure_int(run, "exports", (long long)exports);
    pol__measure_int(run, "contacts", (long long)contacts);
    pol__decide(run, "%zu contacts from %zu conversations in %zu export%s (one per valid e-mail or "
                "phone)", contacts, convos, exports, exports == 1 ? "" : "s");
    become_records(asset, r);
    return POL_OK;
}

const pol_op_desc pol__text_op_contacts = {
    .domain = "text",
    .name = "contacts",
    .summary = "One row per contact across the conversations of one or several chat exports "
               "(joined on a valid e-mail or phone): every name, need and timeline, first and last "
               "time, tags",
    .inputs = contact_inputs,
    .n_inputs = POL_ARRAY_LEN(contact_inputs),
    .params = contact_params,
    .n_params = POL_ARRAY_LEN(contact_params),
    .run = run_contacts,
    .out_domain = "records",
};
