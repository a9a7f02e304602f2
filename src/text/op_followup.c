/* polish — text.followup: the automatic recipe's step for a chat export. Per export it writes the
 * lead list (CSV and XLSX), the contact history across conversations (CSV), the summaries (JSON)
 * and an e-mail summary (.eml), all beside each other; any other text declines (unchanged). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "records/records.h"
#include "text/transcript.h"

static const pol_param_desc params[] = {
    {"region", POL_PARAM_STR, "US", 0, -1, NULL,
     "Default country of phone numbers written without one (ISO code)."},
    {"rules", POL_PARAM_STR, NULL, 0, -1, NULL,
     "Routing rules (YAML: each tag maps to a list of phrases, \"sales: [price, quote]\"); "
     "default: built-in sales, booking, billing, support, complaint and urgent rules.",
     .flags = POL_PARAM_PATH},
    {"all", POL_PARAM_BOOL, "false", 0, -1, NULL,
     "List conversations that left no e-mail or phone among the leads too."},
    {"mail-from", POL_PARAM_STR, "polish <polish@localhost>", 0, -1, NULL,
     "The e-mail summary's From header."},
    {"mail-to", POL_PARAM_STR, NULL, 0, -1, NULL,
     "The e-mail summary's To header (none: a draft without one)."},
};

/* A text output (JSON, .eml) to emit with its own extension. */
static pol_status emit_text(pol_run *run, pol_asset *src, const char *name, const char *ext,
                            char *buf, size_t len)
{
    pol__text *t = buf ? pol__text_new(POL_TEXT_PLAIN, buf, len) : NULL;
    free(buf);
    if (!t) return pol__fail(run, POL_ERR_NOMEM, "out of memory");
    snprintf(t->ext, sizeof t->ext, "%s", ext);
    pol_asset *a = pol__asset_new(&pol__text_domain, t, src->source_path);
    if (!a) {
        pol__text_free(t);
        return pol__fail(run, POL_ERR_NOMEM, "out of memory");
    }
    pol_status st = pol__emit(run, a, name);
    pol__asset_unref(a);
    return st;
}

static pol_status emit_records(pol_run *run, pol_asset *src, const char *name, pol__records *r)
{
    pol_asset *a = pol__asset_new(&pol__records_domain, r, src->source_path);
    if (!a) {
        pol__records_domain.data_free(r);
        return pol__fail(run, POL_ERR_NOMEM, "out of memory");
    }
    pol_status st = pol__emit(run, a, name);
    pol__asset_unref(a);
    return st;
}

static pol_status run(pol_run *run, pol_asset *asset, const pol_args *args)
{
    pol__text *t = pol__text_of(asset);
    if (t->kind != POL_TEXT_CHAT_JSON && t->kind != POL_TEXT_CHAT_CSV &&
        t->kind != POL_TEXT_CHAT_TEXT) {
        pol__decline(run, "not a chat export (%s): no summaries or leads", pol__text_kind_name(t->kind));
        return POL_OK;
    }
    const char *from = pol__arg_str(args, "mail-from"), *to = pol__arg_str(args, "mail-to");
    if (!pol__mail_header_ok(from) || (to && !pol__mail_header_ok(to)))
        return pol__fail(run, POL_ERR_ARG, "--mail-from/--mail-to: one line without control "
                                           "characters, under 900 bytes");
    pol__transcripts tr;
    pol__followup f;
    pol_status st = pol__followup_prepare(run, t, args, &tr, &f);
    if (st) return st;
    size_t leads = 0, verified = 0, no_contact = 0, contacts = 0, high = 0;
    int all = pol__arg_bool(args, "all");
    for (int k = 0; k < 2 && !st; k++) {
        pol__records *r = NULL;
        st = pol__leads_records(run, &f, all, k ? "xlsx" : "csv", &r, &leads, &verified,
                                &no_contact);
        if (!st) st = emit_records(run, asset, "leads", r);
    }
    if (!st) {
        pol__records *r = NULL;
        st = pol__contacts_records(run, &f, "csv", &r, &contacts);
        if (!st) st = emit_records(run, asset, "contacts", r);
    }
    if (!st) {
        pol__jv *doc = pol__text_summary_doc(&f);
        char *json = doc ? pol__jv_dump(doc, 2) : NULL;
        pol__jv_free(doc);
        size_t n = json ? strlen(json) : 0;
        if (json) {
            char *j2 = realloc(json, n + 2); /* a last new line */
            if (j2) {
                json = j2;
                json[n++] = '\n';
                json[n] = '\0';
            }
        }
        st = emit_text(run, asset, "summary", "json", json, n);
    }
    if (!st) {
        size_t n = 0;
        char *eml = pol__summary_eml(&f, from, to, asset->source_path, &n);
        st = emit_text(run, asset, "summary", "eml", eml, n);
    }
    for (size_t i = 0; i < tr.n; i++) high += pol__convo_priority(&tr.c[i], &f.lead[i]) == 2;
    size_t convos = tr.n;
    pol__followup_free(&f);
    pol__transcripts_free(&tr);
    if (st) return st;
    pol__measure_int(run, "conversations", (long long)convos);
    pol__measure_int(run, "leads", (long long)leads);
    pol__measure_int(run, "verified", (long long)verified);
    pol__measure_int(run, "contacts", (long long)contacts);
    pol__measure_int(run, "high_priority", (long long)high);
    pol__decide(run, "%zu conversations: %zu leads (%zu verified), %zu contacts, summaries and an "
                     "e-mail summary written", convos, leads, verified, contacts);
    return POL_OK;
}

const pol_op_desc pol__text_op_followup = {
    .domain = "text",
    .name = "followup",
    .summary = "After the chat: from a chat export, the leads (CSV and XLSX), the contact history, "
               "the summaries (JSON) and an e-mail summary (.eml); other text is left as it is",
    .params = params,
    .n_params = POL_ARRAY_LEN(params),
    .run = run,
    .flags = POL_OP_AUTO | POL_OP_SPLIT,
};
