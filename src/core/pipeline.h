/* polish — pipeline internals shared by the recipe loader and the batch runner. */
#ifndef POLISH_CORE_PIPELINE_H
#define POLISH_CORE_PIPELINE_H

#include "core/args.h"

typedef struct pol__step {
    const pol_op_desc *op;
    pol_args *args;
    int line; /* recipe line, 0 when built in code */
} pol__step;

typedef struct pol__target {
    char *name;
    pol_args *args; /* arguments of the domain's deliver op */
} pol__target;

struct pol_pipeline {
    int is_auto;
    const pol__domain *domain; /* NULL when automatic */
    pol__step *steps;
    size_t n_steps, cap_steps;
    pol_args *deliver; /* default delivery options; NULL until set */
    pol__target *targets;
    size_t n_targets;
    pol_limits limits; /* recipe limits; the keys in limits.set tighten the caller's */
    char *name;
    char *source; /* the recipe's file name, for messages; NULL when built in code */
    /* automatic: one pipeline per domain, built from its auto_steps */
    pol_pipeline **per_domain;
    size_t n_per_domain;
    /* a domain's automatic recipe: every auto step (owns the args); `steps` borrows those whose
     * required ports are given, `waiting` the others (skipped, each item saying why) */
    pol__step *all;
    size_t n_all;
    pol__step *waiting;
    size_t n_waiting;
};

/* The first required input or output port of `a` that has no path, or NULL. */
const char *pol__args_missing_port(const pol_args *a);

/* The concrete pipeline for an item of domain `d` (itself, or the automatic one for `d`). */
const pol_pipeline *pol__pipeline_for(const pol_pipeline *p, const pol__domain *d);

/* Applies the recipe's limits over `base`: they may tighten it, never loosen it. */
void pol__pipeline_apply_limits(const pol_pipeline *p, pol_limits *base);

#endif
