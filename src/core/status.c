/* polish — status names and messages from the X-macro table. */
#include <string.h>
#include "core/internal.h"

const char *pol_status_str(pol_status s)
{
    switch (s) {
#define POL_X_STR(name, num, msg)                                                                  \
    case POL_##name:                                                                               \
        return msg;
        POL_STATUS_LIST(POL_X_STR)
#undef POL_X_STR
    }
    return "unknown status";
}

const char *pol_status_name(pol_status s)
{
    switch (s) {
#define POL_X_NAME(name, num, msg)                                                                 \
    case POL_##name:                                                                               \
        return #name;
        POL_STATUS_LIST(POL_X_NAME)
#undef POL_X_NAME
    }
    return "UNKNOWN";
}

void pol_err_clear(pol_err *err)
{
    if (!err) return;
    err->code = POL_OK;
    err->msg[0] = '\0';
}

pol_status pol__err_set(pol_err *err, pol_status code, const char *fmt, ...)
{
    if (!err) return code;
    err->code = code;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->msg, sizeof err->msg, fmt, ap);
    va_end(ap);
    return code;
}
