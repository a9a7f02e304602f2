/* polish — what every fuzz target shares: the input as a temporary file (the loaders read paths),
 * a run with small limits, and its cleanup. Each target defines LLVMFuzzerTestOneInput; the same
 * source links either with libFuzzer (-Dfuzz=true, clang) or with replay.c (every build). */
#ifndef POLISH_FUZZ_FUZZ_H
#define POLISH_FUZZ_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "core/internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Writes data to a new temporary file named ...<suffix> (e.g. ".csv"); fills path (>= 64 bytes).
 * Returns 0 when the file cannot be made (the input is then skipped). */
static inline int fuzz_tmpfile(const uint8_t *data, size_t size, const char *suffix, char *path,
                               size_t cap)
{
    const char *dir = getenv("TMPDIR");
    if (!dir || !*dir) dir = "/tmp";
    int n = snprintf(path, cap, "%s/polish-fuzz-XXXXXX%s", dir, suffix);
    if (n < 0 || (size_t)n >= cap) return 0;
    int fd = mkstemps(path, (int)strlen(suffix));
    if (fd < 0) return 0;
    size_t done = 0;
    while (done < size) {
        ssize_t w = write(fd, data + done, size - done);
        if (w <= 0) {
            close(fd);
            unlink(path);
            return 0;
        }
        done += (size_t)w;
    }
    close(fd);
    return 1;
}

/* One item's run: small limits keep each execution fast (the limits are under test too). */
typedef struct fuzz_ctx {
    pol_options opt;
    pol_err err;
    pol_run run;
} fuzz_ctx;

static inline void fuzz_ctx_init(fuzz_ctx *c, const char *path)
{
    memset(c, 0, sizeof *c);
    pol_options_default(&c->opt);
    c->opt.limits.max_pixels = 1u << 18; /* 512 x 512: a decode stays in milliseconds */
    c->opt.limits.max_rows = 100000;
    c->opt.limits.max_bytes = 16u << 20;
    c->run.err = &c->err;
    c->run.opt = &c->opt;
    c->run.input = path;
    c->run.threads = 1;
    c->run.item = pol__jv_obj();
}

static inline void fuzz_ctx_free(fuzz_ctx *c)
{
    pol__jv_free(c->run.item);
    c->run.item = NULL;
}

#endif
