/* polish tests — helpers shared by the records tests: a run without a batch, temp files, RNG. */
#ifndef POLISH_TEST_CSV_UTIL_H
#define POLISH_TEST_CSV_UTIL_H

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "records/io.h"
#include "records/std.h"

typedef struct rctx {
    pol_err err;
    pol_options opt;
    pol_run run;
    char dir[64];
} rctx;

static inline void rctx_init(rctx *t)
{
    memset(t, 0, sizeof *t);
    pol_err_clear(&t->err);
    pol_options_default(&t->opt);
    t->opt.overwrite = 1;
    t->run.err = &t->err;
    t->run.opt = &t->opt;
    t->run.input = "test.csv";
    t->run.threads = 2;
    strcpy(t->dir, "/tmp/polish-rec-XXXXXX");
    if (!mkdtemp(t->dir)) fail_msg("mkdtemp failed");
}

static inline void rctx_done(rctx *t)
{
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", t->dir);
    if (system(cmd) != 0) fail_msg("cannot remove %s", t->dir);
}

static inline const char *rpath(const rctx *t, const char *name)
{
    static char buf[4][256];
    static int k;
    k = (k + 1) % 4;
    snprintf(buf[k], sizeof buf[k], "%s/%s", t->dir, name);
    return buf[k];
}

static inline void write_bytes(const char *path, const void *data, size_t n)
{
    FILE *f = fopen(path, "wb");
    if (!f) fail_msg("cannot write %s", path);
    if (n && fwrite(data, 1, n, f) != n) fail_msg("short write %s", path);
    fclose(f);
}

static inline char *read_text(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *b = malloc((size_t)n + 1);
    if (b && fread(b, 1, (size_t)n, f) != (size_t)n) n = 0;
    if (b) b[n] = '\0';
    fclose(f);
    return b;
}

/* Deterministic xorshift so failures reproduce. */
static inline uint32_t rnd32(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return (uint32_t)(*s >> 11);
}

#endif
