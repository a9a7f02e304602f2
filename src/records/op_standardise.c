/* polish — records.standardise: names, emails, phones, addresses, dates and text made uniform. */
#include "records/records.h"
#include "records/std.h"

static const pol_param_desc params[] = {
    {"region", POL_PARAM_STR, "US", 0, -1, NULL,
     "Default country (ISO 3166 alpha-2) for national phone numbers, postcodes and date order."},
    {"names", POL_PARAM_BOOL, "true", 0, -1, NULL,
     "Case names (McDonald, O'Brien, van der Berg, Jr., III) and collapse white space."},
    {"emails", POL_PARAM_BOOL, "true", 0, -1, NULL, "Trim and lowercase emails, check syntax."},
    {"email-typos", POL_PARAM_ENUM, "fix", 0, -1, "fix|suggest|off",
     "Known domain misspellings (gmial.com): correct them, or only report the suggestion."},
    {"phones", POL_PARAM_BOOL, "true", 0, -1, NULL,
     "Write valid phone numbers in E.164 (+12025550143); invalid ones are flagged, not changed."},
    {"extensions", POL_PARAM_ENUM, "keep", 0, -1, "keep|drop",
     "Phone extensions: keep as \";ext=123\" after the E.164 number, or drop them."},
    {"addresses", POL_PARAM_BOOL, "true", 0, -1, NULL,
     "Streets in USPS Publication 28 form (Main St, N, Apt), state codes, ZIP/ZIP+4, countries."},
    {"dates", POL_PARAM_BOOL, "true", 0, -1, NULL, "Dates to ISO 8601 (YYYY-MM-DD)."},
    {"date-order", POL_PARAM_ENUM, "auto", 0, -1, "auto|mdy|dmy|ymd",
     "How to read ambiguous numeric dates such as 03/04/2020; auto follows --region."},
    {"text", POL_PARAM_BOOL, "true", 0, -1, NULL,
     "Every cell: Unicode NFC, non-breaking/zero-width spaces, runs of white space, trimming."},
};

static pol_status run(pol_run *run, pol_asset *asset, const pol_args *args)
{
    (void)asset;
    (void)args;
    pol__decline(run, "not implemented yet");
    return POL_OK;
}

const pol_op_desc pol__records_op_standardise = {
    .domain = "records",
    .name = "standardise",
    .summary = "Standardise names, emails, phones (E.164), addresses (USPS), dates (ISO 8601), text",
    .params = params,
    .n_params = POL_ARRAY_LEN(params),
    .run = run,
    .flags = POL_OP_AUTO,
};
