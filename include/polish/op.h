/* polish — the operation registry: how an operation and its parameters are declared and looked up.
 */
#ifndef POLISH_OP_H
#define POLISH_OP_H

#include <stddef.h>
#include "polish/status.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum pol_param_type {
    POL_PARAM_BOOL, /* true/false, yes/no, on/off, 1/0 */
    POL_PARAM_INT,  /* whole number within [min, max] */
    POL_PARAM_NUM,  /* real number within [min, max] */
    POL_PARAM_STR,  /* free text (a path, a mapping, a colour ...) */
    POL_PARAM_ENUM, /* one of `choices`, a '|'-separated list */
} pol_param_type;

/* One typed parameter of an operation. Declared as static const data next to its operation. */
typedef struct pol_param_desc {
    const char *name; /* lower-case, dash-separated: "strength", "max-width" */
    pol_param_type type;
    const char *def;     /* default as text; NULL means "unset" (the op decides, e.g. auto) */
    double min, max;     /* range for INT and NUM; ignored when min > max */
    const char *choices; /* ENUM only: "auto|manual" */
    const char *help;    /* one sentence */
} pol_param_desc;

/* Opaque types an operation works on; internal to the library. */
typedef struct pol_run pol_run;
typedef struct pol_asset pol_asset;
typedef struct pol_args pol_args;

/* Runs an operation on one asset, in place. Returns POL_OK (applied or declined) or an error. */
typedef pol_status (*pol_op_run_fn)(pol_run *run, pol_asset *asset, const pol_args *args);

enum {
    POL_OP_DELIVER = 1u << 0, /* the domain's export op: its params are also delivery options */
    POL_OP_AUTO = 1u << 1,    /* part of the automatic recipe (`polish fix`) */
};

/* An operation, declared once; the CLI, recipe validation and docs are generated from it. */
typedef struct pol_op_desc {
    const char *domain;  /* "image" */
    const char *name;    /* "white-balance" */
    const char *summary; /* one line */
    const pol_param_desc *params;
    size_t n_params;
    pol_op_run_fn run;
    unsigned flags;
} pol_op_desc;

/* Number of registered domains and their names ("image", "records", ...). */
size_t pol_domain_count(void);
const char *pol_domain_name(size_t i);
const char *pol_domain_summary(size_t i);

/* Iterates every operation of every domain (or of one domain when `domain` is not NULL). */
size_t pol_op_count(const char *domain);
const pol_op_desc *pol_op_at(const char *domain, size_t i);

/* Finds "image.resize" or ("image", "resize"). Returns NULL when unknown. */
const pol_op_desc *pol_op_find(const char *domain, const char *name);
const pol_op_desc *pol_op_find_full(const char *full_name);

/* Finds a parameter of an op by name; NULL when unknown. */
const pol_param_desc *pol_op_param(const pol_op_desc *op, const char *name);

/*
 * Checks a textual value against a parameter's type and range. Returns POL_OK or POL_ERR_ARG with a
 * message such as "--width: 0 is below the minimum 1".
 */
pol_status pol_param_check(const pol_param_desc *p, const char *value, pol_err *err);

/* The domain's delivery (export) op, or NULL. */
const pol_op_desc *pol_domain_deliver_op(const char *domain);

#ifdef __cplusplus
}
#endif
#endif
