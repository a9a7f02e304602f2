/* polish — the records domain's operation table: one line per operation, NULL last. */
#include "records/records.h"

extern const pol_op_desc pol__records_op_roles;
extern const pol_op_desc pol__records_op_standardise;
extern const pol_op_desc pol__records_op_validate;
extern const pol_op_desc pol__records_op_dedupe;
extern const pol_op_desc pol__records_op_merge;
extern const pol_op_desc pol__records_op_against;
extern const pol_op_desc pol__records_op_export;

const pol_op_desc *const pol__records_ops[] = {
    &pol__records_op_roles,  &pol__records_op_standardise, &pol__records_op_validate,
    &pol__records_op_dedupe, &pol__records_op_merge,       &pol__records_op_against,
    &pol__records_op_export, NULL,
};
