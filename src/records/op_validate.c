/* polish — records.validate: required fields, invalid contacts, junk and test entries to quarantine. */
#include "records/records.h"
#include "records/std.h"

static const pol_param_desc params[] = {
    {"require", POL_PARAM_STR, "contact", 0, -1, NULL,
     "Fields every row needs, comma-separated roles (email, phone, first_name, ...); \"contact\" = "
     "a valid email or phone; \"none\" = nothing."},
    {"invalid", POL_PARAM_ENUM, "quarantine", 0, -1, "quarantine|keep",
     "Rows with an invalid email or phone: move them to the quarantine, or keep them (counted)."},
    {"junk", POL_PARAM_BOOL, "true", 0, -1, NULL,
     "Quarantine test and junk entries (asdf, test test, test@test.com, example.com, 555-01xx)."},
    {"region", POL_PARAM_STR, "US", 0, -1, NULL, "Default country for national phone numbers."},
};

static pol_status run(pol_run *run, pol_asset *asset, const pol_args *args)
{
    (void)asset;
    (void)args;
    pol__decline(run, "not implemented yet");
    return POL_OK;
}

const pol_op_desc pol__records_op_validate = {
    .domain = "records",
    .name = "validate",
    .summary = "Move rows without a valid contact, with invalid values or test/junk entries to quarantine",
    .params = params,
    .n_params = POL_ARRAY_LEN(params),
    .run = run,
    .flags = POL_OP_AUTO,
};
