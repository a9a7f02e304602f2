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
#include "../common/test_run.h"

/* The records tests' names for the shared run context. */
typedef tctx rctx;
#define rctx_init tctx_init
#define rctx_done tctx_done
#define rpath tpath

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
