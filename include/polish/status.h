/* polish — status codes and the error carrier shared by every public function. */
#ifndef POLISH_STATUS_H
#define POLISH_STATUS_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/*
 * One X-macro list: code name, stable number, short message. Numbers never change; new codes are
 * appended. The command line maps them to exit codes (see docs/cli.md).
 */
#define POL_STATUS_LIST(X)                                                                         \
    X(OK, 0, "success")                                                                            \
    X(ERR_NOMEM, 1, "out of memory")                                                               \
    X(ERR_IO, 2, "input/output error")                                                             \
    X(ERR_NOT_FOUND, 3, "not found")                                                               \
    X(ERR_FORMAT, 4, "unsupported or unrecognised format")                                         \
    X(ERR_CORRUPT, 5, "corrupt or truncated data")                                                 \
    X(ERR_LIMIT, 6, "input exceeds a configured limit")                                            \
    X(ERR_ARG, 7, "invalid argument")                                                              \
    X(ERR_RECIPE, 8, "invalid recipe")                                                             \
    X(ERR_EXISTS, 9, "output exists")                                                              \
    X(ERR_UNSUPPORTED, 10, "operation not supported for this input")                               \
    X(ERR_INTERNAL, 11, "internal error")                                                          \
    X(ERR_EMPTY, 12, "input is empty")                                                             \
    X(ERR_CANCELLED, 13, "cancelled")                                                              \
    X(ERR_PARTIAL, 14, "some items failed")                                                        \
    X(ERR_REFUSED, 15, "refused to write there")

typedef enum pol_status {
#define POL_X_ENUM(name, num, msg) POL_##name = num,
    POL_STATUS_LIST(POL_X_ENUM)
#undef POL_X_ENUM
} pol_status;

/* Short, static text for a status ("corrupt or truncated data"). Never NULL. */
const char *pol_status_str(pol_status s);
/* Stable identifier of a status ("ERR_CORRUPT"). Never NULL. */
const char *pol_status_name(pol_status s);

/*
 * The detailed message of a failed call. The caller owns it (usually on the stack) and passes it as
 * the last argument; the failing function sets `code` and writes a message that names the input and
 * the problem, e.g. "photo.jpg: premature end of JPEG data at row 812 of 3000".
 */
typedef struct pol_err {
    pol_status code;
    char msg[1024];
} pol_err;

/* Clears an error carrier. */
void pol_err_clear(pol_err *err);

#ifdef __cplusplus
}
#endif
#endif
