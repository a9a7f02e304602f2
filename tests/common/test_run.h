/* polish tests — a run without a batch (error, options, thread budget) and a temporary folder,
 * shared by the domains' unit tests. Include after cmocka.h. */
#ifndef POLISH_TEST_RUN_H
#define POLISH_TEST_RUN_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "core/internal.h"

typedef struct tctx {
    pol_err err;
    pol_options opt;
    pol_run run;
    char dir[64];
} tctx;

static inline void tctx_init(tctx *t)
{
    memset(t, 0, sizeof *t);
    pol_err_clear(&t->err);
    pol_options_default(&t->opt);
    t->opt.overwrite = 1;
    t->run.err = &t->err;
    t->run.opt = &t->opt;
    t->run.input = "test";
    t->run.threads = 2;
    strcpy(t->dir, "/tmp/polish-test-XXXXXX");
    if (!mkdtemp(t->dir)) fail_msg("mkdtemp failed");
}

static inline void tctx_done(tctx *t)
{
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", t->dir);
    if (system(cmd) != 0) fail_msg("cannot remove %s", t->dir);
}

/* A path inside the test's folder (static buffer rotation: up to 4 live at once). */
static inline const char *tpath(const tctx *t, const char *name)
{
    static char buf[4][256];
    static int k;
    k = (k + 1) % 4;
    snprintf(buf[k], sizeof buf[k], "%s/%s", t->dir, name);
    return buf[k];
}

#endif
