/* polish — text.leads: a chat export in, a lead list out (a records item: one row per
 * conversation, fields standardised and validated by the records domain's code); text.contacts:
 * the history of each contact across the conversations of an export. */
#include <stdio.h>
#include <stdlib.h>
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

static pol_status run_contacts(pol_run *run, pol_asset *asset, const pol_args *args)
{
    pol__transcripts tr;
    pol__followup f;
    pol_status st = prepare(run, asset, args, &tr, &f);
    if (st) return st;
    pol__records *r = NULL;
    size_t contacts = 0;
    st = pol__contacts_records(run, &f, pol__arg_str(args, "format"), &r, &contacts);
    size_t convos = tr.n;
    pol__followup_free(&f);
    pol__transcripts_free(&tr);
    if (st) return st;
    pol__measure_int(run, "conversations", (long long)convos);
    pol__measure_int(run, "contacts", (long long)contacts);
    pol__decide(run, "%zu contacts from %zu conversations (one per valid e-mail or phone)",
                contacts, convos);
    become_records(asset, r);
    return POL_OK;
}

const pol_op_desc pol__text_op_contacts = {
    .domain = "text",
    .name = "contacts",
    .summary = "One row per contact across the conversations of a chat export (joined on a valid "
               "e-mail or phone): every name, need and timeline, first and last time, tags",
    .params = contact_params,
    .n_params = POL_ARRAY_LEN(contact_params),
    .run = run_contacts,
    .out_domain = "records",
};
