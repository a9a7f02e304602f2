/* polish — records.roles: which column holds names, emails, phones, addresses ... */
#include "records/records.h"

static const pol_param_desc params[] = {
    {"map", POL_PARAM_STR, NULL, 0, -1, NULL,
     "Override inferred roles: \"col=role,col2=role\" (roles: first_name last_name full_name email "
     "phone street street_number address2 city state postcode country company date id text)."},
    {"sample", POL_PARAM_INT, "2000", 0, 1e9, NULL,
     "Rows examined per column to infer its role from the content (0 = all)."},
};

static pol_status run(pol_run *run, pol_asset *asset, const pol_args *args)
{
    pol_records *r = pol_records_of(asset);
    r->roles_done = 0;
    return pol__roles_infer(run, r, pol__arg_str(args, "map"),
                            (size_t)pol__arg_int(args, "sample"));
}

const pol_op_desc pol__records_op_roles = {
    .domain = "records",
    .name = "roles",
    .summary =
        "Infer each column's role (name, email, phone, address, ...) from header and content",
    .params = params,
    .n_params = POL_ARRAY_LEN(params),
    .run = run,
    .flags = POL_OP_AUTO,
};
