/* polish — the text domain's operation table: one line per operation, NULL last. */
#include "text/text.h"

extern const pol_op_desc pol__text_op_kb_add;
extern const pol_op_desc pol__text_op_check;
extern const pol_op_desc pol__text_op_fix;
extern const pol_op_desc pol__text_op_redact;
extern const pol_op_desc pol__text_op_leads;
extern const pol_op_desc pol__text_op_summarize;
extern const pol_op_desc pol__text_op_format;
extern const pol_op_desc pol__text_op_policy;
extern const pol_op_desc pol__text_op_contacts;
extern const pol_op_desc pol__text_op_followup;

const pol_op_desc *const pol__text_ops[] = {
    &pol__text_op_kb_add,
    &pol__text_op_check,
    &pol__text_op_fix,
    &pol__text_op_redact,
    &pol__text_op_leads,
    &pol__text_op_summarize,
    &pol__text_op_format,
    &pol__text_op_policy,
    &pol__text_op_contacts,
    &pol__text_op_followup,
    NULL,
};
