/* polish — checking an answer against the knowledge base: claims, evidence, verdicts, fixes. */
#ifndef POLISH_TEXT_CHECK_H
#define POLISH_TEXT_CHECK_H

#include "text/text.h"

typedef enum pol__verdict {
    POL_VERDICT_SUPPORTED,
    POL_VERDICT_CONTRADICTED,
    POL_VERDICT_UNSUPPORTED,
} pol__verdict;

const char *pol__verdict_name(pol__verdict v);

typedef struct pol__fixpart {
    size_t start, end; /* the answer's bytes to replace */
    char text[96];     /* the knowledge base's value, written like the answer's */
    char type[16];
} pol__fixpart;

typedef struct pol__claim {
    size_t start, end; /* the claim's span in the answer */
    pol__verdict verdict;
    double confidence;
    char *evidence; /* the evidence sentence (owned, NULL when none) */
    char *passage;  /* the whole chunk it came from */
    char *source;   /* "file" */
    long position;  /* chunk number in the source */
    char reason[200];
    pol__fixpart fix[4];
    int n_fix;  /* replacements that are unambiguous */
    int fixable; /* every mismatch of the claim has a replacement */
} pol__claim;

typedef struct pol__check {
    pol__claim *claims;
    size_t n, cap;
    size_t sentences, skipped; /* sentences seen; not claims (greetings, questions, offers) */
} pol__check;

typedef struct pol__check_opts {
    const char *question; /* the visitor's question, helps retrieval (NULL) */
    int top_k;            /* chunks retrieved per claim (default 5) */
    double min_coverage;  /* share of a claim's words the evidence must hold (default 0.5) */
} pol__check_opts;

/* Checks text[0..n) against the knowledge base. 0 ok, else err filled. */
pol_status pol__check_run(pol__kb *kb, const char *text, size_t n, const pol__check_opts *o,
                          pol__check *out, pol_err *err);
void pol__check_free(pol__check *c);
/* The JSON document: {"claims": [...], "summary": {...}}. */
pol__jv *pol__check_json(const pol__check *c, const char *text);
/* The answer with every unambiguous contradicted value replaced; *changed counts replacements.
 * NULL on OOM. A claim's replacements are applied only when all its mismatches have one. */
char *pol__check_apply(const pol__check *c, const char *text, size_t n, size_t *out_len,
                       int *changed);

/* Attaches the SVG of the claims by verdict to the running step (the HTML report shows it). */
void pol__text_check_figure(pol_run *run, const pol__check *c, const char *text, size_t n);

#endif
