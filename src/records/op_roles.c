/* polish — records.roles: which column holds names, emails, phones, addresses ... */
#include <stdlib.h>
#include "records/records.h"

static const pol_param_desc params[] = {
    {"role", POL_PARAM_STR, NULL, 0, -1, NULL,
     "Set roles yourself: \"COL=ROLE\" or \"col=role,col2=role\"; a named role is always applied "
     "(\"COL=text\" leaves a column as it is). Same roles as --map."},
    {"map", POL_PARAM_STR, NULL, 0, -1, NULL,
     "Override inferred roles: \"col=role,col2=role\" (roles: first_name last_name full_name email "
     "phone street street_number address2 city state postcode country company date id text)."},
    {"sample", POL_PARAM_INT, "2000", 0, 1e9, NULL,
     "Rows examined per column to infer its role from the content (0 = all)."},
};

static pol_status run(pol_run *run, pol_asset *asset, const pol_args *args)
{
    pol__records *r = pol__records_of(asset);
    r->roles_done = 0;
    const char *role = pol__arg_str(args, "role"), *map = pol__arg_str(args, "map");
    char *both = NULL;
    if (role && *role && map && *map) {
        both = pol__asprintf("%s,%s", map, role);
        if (!both) return pol__fail(run, POL_ERR_NOMEM, "out of memory");
    }
    pol_status st = pol__roles_infer(run, r,
                                     both            ? both
                                     : role && *role ? role
                                                     : map,
                                     (size_t)pol__arg_int(args, "sample"));
    free(both);
    return st;
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
