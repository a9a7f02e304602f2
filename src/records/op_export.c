/* polish — records.export: output format and CRM column layouts (HubSpot, Salesforce, custom). */
#include "records/records.h"

static const pol_param_desc params[] = {
    {"format", POL_PARAM_ENUM, NULL, 0, -1, "csv|tsv|xlsx",
     "Output format; default: from the output name, else the input's format."},
    {"preset", POL_PARAM_ENUM, NULL, 0, -1, "generic|hubspot|salesforce",
     "CRM import layout: columns renamed and ordered for HubSpot, Salesforce (Lead) or generic."},
    {"mapping", POL_PARAM_STR, NULL, 0, -1, NULL,
     "Custom layout \"Out Col=role_or_column,...\" (replaces the preset's columns)."},
};

static pol_status run(pol_run *run, pol_asset *asset, const pol_args *args)
{
    (void)asset;
    (void)args;
    pol__decline(run, "not implemented yet");
    return POL_OK;
}

const pol_op_desc pol__records_op_export = {
    .domain = "records",
    .name = "export",
    .summary = "Choose the output format and map columns to a CRM import layout",
    .params = params,
    .n_params = POL_ARRAY_LEN(params),
    .run = run,
    .flags = POL_OP_DELIVER,
};
