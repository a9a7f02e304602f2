/* polish — the optional rewrite of a flagged answer by an OpenAI-compatible chat endpoint
 * (libcurl). Off by default; the checks never depend on it: a rewrite is itself checked against
 * the knowledge base and kept only when it contradicts nothing and invents no value. */
#ifndef POLISH_TEXT_REWRITE_H
#define POLISH_TEXT_REWRITE_H

#include "text/check.h"

typedef struct pol__rewrite_cfg {
    const char *url;     /* base ("http://host/v1") or the full ".../chat/completions" */
    const char *model;   /* sent as "model" */
    const char *key;     /* the API key (from an environment variable), NULL: none sent */
    double timeout_s;    /* the whole request */
    size_t max_reply;    /* bytes of the HTTP reply read at most */
} pol__rewrite_cfg;

/* Asks the endpoint to rewrite `answer` (the un-rewritten result) given the flagged claims of
 * `c` (checked on `orig`). On success *out is the rewritten text (malloc'ed) and 0 is returned;
 * otherwise -1 with the reason in why (no endpoint, timeout, HTTP status, malformed JSON ...).
 * Never prints. */
int pol__rewrite_ask(const pol__rewrite_cfg *cfg, const char *orig, const pol__check *c,
                     const char *answer, size_t n, char **out, char *why, size_t why_cap);

/* Is the rewrite `rw` acceptable? It is checked against the knowledge base: a contradicted claim,
 * or a value (price, time, date, number, phone, name ...) that neither the un-rewritten answer,
 * the evidence shown to the endpoint nor a passage supporting the rewrite holds, rejects it.
 * Returns 1 accepted, 0 rejected (reason in why), -1 on error (err filled). */
int pol__rewrite_accept(pol__kb *kb, const pol__check_opts *o, const char *orig,
                        const pol__check *c, const char *answer, size_t n, const char *rw,
                        size_t rn, char *why, size_t why_cap, pol_err *err);

#endif
