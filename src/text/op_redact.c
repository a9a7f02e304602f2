/* polish — text.redact: PII masked, labelled or hashed. */
#include <stdlib.h>
#include "text/redact.h"
#include "text/text.h"

static const pol_param_desc params[] = {
    {"mode", POL_PARAM_ENUM, "label", 0, -1, "mask|label|hash", "How PII is replaced.",
     .choice_help = (const char *const[]){"mask: letters and digits become '*', the shape stays",
                                          "label: the type in brackets, [EMAIL]",
                                          "hash: [EMAIL:1a2b3c4d], the same for the same value",
                                          NULL}},
    {"types", POL_PARAM_STR, "all", 0, -1, NULL,
     "Which PII: all, or a comma list of email, phone, card, iban, ssn, ip, address, dob, name."},
    {"names", POL_PARAM_STR, NULL, 0, -1, NULL,
     "A file of names to redact wherever they appear (one per line).", .flags = POL_PARAM_PATH},
    {"salt", POL_PARAM_STR, "", 0, -1, NULL, "Secret mixed into hashes (mode=hash).",
     .when = "mode=hash"},
    {"region", POL_PARAM_STR, "US", 0, -1, NULL,
     "Default country of phone numbers written without one (ISO code)."},
};

static pol_status run(pol_run *run, pol_asset *asset, const pol_args *args)
{
    pol__text *t = pol__text_of(asset);
    if (t->kind == POL_TEXT_KB) return pol__fail(run, POL_ERR_FORMAT, "a knowledge base is not text to redact");
    const char *bad = NULL;
    long mask = pol__pii_mask(pol__arg_str(args, "types"), &bad);
    if (mask < 0)
        return pol__fail(run, POL_ERR_ARG,
                         "--types: unknown type '%s' (email, phone, card, iban, ssn, ip, address, "
                         "dob, name, all)", bad);
    unsigned char *names = NULL;
    size_t nl = 0;
    const char *np = pol__arg_str(args, "names");
    if (np) {
        pol_status st = pol__read_file(run, np, 16u << 20, &names, &nl);
        if (st) return st;
    }
    pol__pii_found f;
    pol__pii_find(t->buf, t->len, mask, (const char *)names, pol__arg_str(args, "region"), &f);
    free(names);
    if (f.oom) {
        pol__pii_free(&f);
        return pol__fail(run, POL_ERR_NOMEM, "out of memory");
    }
    size_t counts[POL_PII_COUNT] = {0};
    for (size_t i = 0; i < f.n; i++) counts[f.v[i].type]++;
    pol__jv *found = pol__jv_obj();
    for (int k = 0; k < POL_PII_COUNT; k++)
        if (counts[k]) pol__jv_set(found, pol__pii_name((pol__pii)k), pol__jv_int((long long)counts[k]));
    pol__measure_jv(run, "found", found);
    pol__measure_int(run, "redacted", (long long)f.n);
    if (!f.n) {
        pol__pii_free(&f);
        pol__decline(run, "no PII found: the text is unchanged");
        return POL_OK;
    }
    size_t len;
    char *o = pol__redact_apply(t->buf, t->len, &f, (pol__redact_mode)pol__arg_choice(args, "mode"),
                                pol__arg_str(args, "salt"), &len);
    pol__pii_free(&f);
    if (!o || pol__text_set(t, o, len)) {
        free(o);
        return pol__fail(run, POL_ERR_NOMEM, "out of memory");
    }
    free(o);
    pol__decide(run, "%zu PII spans replaced", f.n);
    return POL_OK;
}

const pol_op_desc pol__text_op_redact = {
    .domain = "text",
    .name = "redact",
    .summary = "Redact PII (e-mails, phones, cards with Luhn, IBANs with mod-97, SSNs, IPs, "
               "addresses, dates of birth, names) by mask, label or stable hash",
    .params = params,
    .n_params = POL_ARRAY_LEN(params),
    .run = run,
};
