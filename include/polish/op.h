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

enum {
    POL_PARAM_REQUIRED = 1u << 0, /* must be given (CLI or recipe) */
    POL_PARAM_PATH = 1u << 1,     /* STR that names a file (for forms and docs) */
};

/* One typed parameter of an operation. Declared as static const data next to its operation.
 * The first seven fields are positional in every declaration; the rest are optional (designated
 * or trailing). */
typedef struct pol_param_desc {
    const char *name; /* lower-case, dash-separated: "strength", "max-width" */
    pol_param_type type;
    const char *def;     /* default as text; NULL means "unset" (the op decides, e.g. auto) */
    double min, max;     /* range for INT and NUM; ignored when min > max */
    const char *choices; /* ENUM only: "auto|manual" */
    const char *help;    /* one sentence */
    const char *unit;    /* "px", "EV", "K", "dB", "s", "%" ... or NULL */
    unsigned flags;      /* POL_PARAM_REQUIRED, POL_PARAM_PATH */
    /* ENUM only: one help line per choice, in the order of `choices`, "value: what it does";
     * NULL-terminated, or NULL. */
    const char *const *choice_help;
    /* Only meaningful when another parameter has a value: "mode=manual" or "mode=a|b". Giving this
     * parameter without that condition holding is a usage error. NULL = always. */
    const char *when;
} pol_param_desc;

/* ---- ports: what an operation takes in and gives out, besides its parameters ---------------- */

typedef enum pol_port_kind {
    POL_PORT_ASSET,  /* an item of a domain (`domain`), loaded by that domain */
    POL_PORT_FILE,   /* a file of the given `types` ("csv|tsv|xlsx"), read or written by the op */
    POL_PORT_FOLDER, /* a folder */
} pol_port_kind;

enum {
    POL_PORT_REQUIRED = 1u << 0, /* a missing one is a usage error before anything runs */
    POL_PORT_MANY = 1u << 1,     /* may be given several times */
    /* input: the same for every item of a batch (a master list, a reference photo, a model):
     * loaded once, shared read-only by every item. */
    POL_PORT_SHARED = 1u << 2,
    /* output: one file for the whole batch, which every item adds to; committed when the batch
     * ends. Otherwise an output port is per item, committed with the item's outputs. */
    POL_PORT_BATCH = 1u << 3,
};

/* An extra input or output of an operation. Its name is its CLI flag (--master) and its key in a
 * recipe step's `inputs:` / `outputs:` mapping. The item itself (the op's domain in, the op's
 * `out_domain` out) is implicit and is listed by the registry as port "in" / "out". */
typedef struct pol_port_desc {
    const char *name;
    pol_port_kind kind;
    const char *domain; /* ASSET: the domain that loads it */
    const char *types;  /* FILE: accepted extensions, '|'-separated; NULL = any */
    unsigned flags;     /* POL_PORT_* */
    const char *help;   /* one sentence */
} pol_port_desc;

/* Opaque types an operation works on; internal to the library. */
typedef struct pol_run pol_run;
typedef struct pol_asset pol_asset;
typedef struct pol_args pol_args;

/* Runs an operation on one asset, in place. Returns POL_OK (applied or declined) or an error. */
typedef pol_status (*pol_op_run_fn)(pol_run *run, pol_asset *asset, const pol_args *args);

enum {
    POL_OP_DELIVER = 1u << 0, /* the domain's export op: its params are also delivery options */
    POL_OP_AUTO = 1u << 1,    /* part of the automatic recipe (`polish fix`) */
    /* Its result at reduced size equals its result at full size, reduced (point operations:
     * white balance, exposure, colour ...), so a loader may decode smaller for it. */
    POL_OP_SCALE_SAFE = 1u << 2,
    /* Emits several outputs (pol__emit) in place of the item's own. */
    POL_OP_SPLIT = 1u << 3,
    /* Its product is a JSON document (set with pol__document: a check's claims, a verification's
     * scores, a fitted model), not a changed item: the item itself is not saved. `-o FILE` gets
     * the document; without -o it goes to standard output. */
    POL_OP_DOCUMENT = 1u << 4,
    /* Runs without positional inputs (a generator, or an op that reads only its ports): the
     * command makes one item, named after the op, whose asset starts with no data. */
    POL_OP_NO_INPUT = 1u << 5,
};

/* What an op needs from the loader, given its arguments: the largest size it will use, and
 * whether what follows works on that size. A loader combines the hints of the whole plan and
 * obeys them (JPEG shrink-on-load today); no loader reads another op's arguments. */
/* A reader option an op passes to the loader through its hint ("sheet" = "2"). */
typedef struct pol_load_option {
    const char *name, *value; /* point into the op's arguments; NULL name ends the list */
} pol_load_option;

typedef struct pol_load_hint {
    /* Image-like assets: the op's output is at most this size (0 = unknown or full size). */
    int max_width, max_height;
    int resizes; /* the op resizes: later steps work on its output, not the source */
    int full;    /* the op needs the source at full size (no reduced decode) */
    /* the op is a plain resize to exactly max_width x max_height that a loader may fuse into
     * decoding (JPEG: decode straight to the output size); kernel as the op names it */
    int fusable;
    const char *kernel;
    /* Reader options (records: which sheet, comment lines, a header or not), first op wins. */
    pol_load_option options[8];
} pol_load_hint;

/* Fills `h` for the op's arguments, knowing the source size (w x h, upright; 0 x 0 when the
 * loader asks only for reader options). */
typedef void (*pol_op_hint_fn)(const pol_args *args, int w, int h, pol_load_hint *hint);

typedef struct pol_op_stream pol_op_stream; /* streaming entry points (internal) */

/* An operation, declared once; the CLI, recipe validation and docs are generated from it. */
typedef struct pol_op_desc {
    const char *domain;  /* "image" */
    const char *name;    /* "white-balance" */
    const char *summary; /* one line */
    const pol_param_desc *params;
    size_t n_params;
    pol_op_run_fn run;
    unsigned flags;
    /* Extra inputs and outputs (the item itself is implicit). */
    const pol_port_desc *inputs;
    size_t n_inputs;
    const pol_port_desc *outputs;
    size_t n_outputs;
    /* The domain of the item after this op, when it differs (text in, records out); NULL = same. */
    const char *out_domain;
    pol_op_hint_fn hint;         /* optional: what it needs from the loader */
    const pol_op_stream *stream; /* optional: chunk by chunk (see src/core/stream.h) */
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

/* Finds an extra input (or output) port of an op by name; NULL when unknown. */
const pol_port_desc *pol_op_input(const pol_op_desc *op, const char *name);
const pol_port_desc *pol_op_output(const pol_op_desc *op, const char *name);

/* Version of the registry document (`polish ops --json`); bumped when its shape changes. */
#define POL_REGISTRY_VERSION 2

/* The registry as one JSON document: {"version", "polish", "domains": [...], "limits": [...],
 * "ops": [...]}, every op with its inputs, outputs and parameters (schema: docs/ops.schema.json).
 * `domain` restricts it to one domain (NULL = all). Caller frees with free(); NULL when out of
 * memory. */
char *pol_registry_json(const char *domain);

/* A number as the shortest text that reads back as the same double ("0.2", not
 * "0.20000000000000001"). `buf` holds at least 32 bytes. */
const char *pol_num_str(double v, char *buf, size_t size);

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
