/* polish bench — phone parsing throughput on one core: polish's parser vs libphonenumber (shim),
 * on the same numbers, with their agreement. Usage: phone_bench PHONES.txt [N] */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "lpn_shim.h"
#include "records/std.h"

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: phone_bench PHONES.txt [N]\n");
        return 2;
    }
    size_t want = argc > 2 ? (size_t)atol(argv[2]) : 200000;
    FILE *f = fopen(argv[1], "r");
    if (!f) {
        perror(argv[1]);
        return 1;
    }
    char **lines = malloc(want * sizeof *lines);
    size_t n = 0;
    char buf[256];
    while (n < want && fgets(buf, sizeof buf, f)) {
        buf[strcspn(buf, "\r\n")] = '\0';
        lines[n++] = strdup(buf);
    }
    fclose(f);
    size_t *lens = malloc(n * sizeof *lens);
    for (size_t i = 0; i < n; i++) lens[i] = strlen(lines[i]);

    /* polish: several passes so the timing is not noise. */
    size_t valid = 0;
    int passes = 5;
    double t0 = now();
    for (int p = 0; p < passes; p++)
        for (size_t i = 0; i < n; i++) {
            pol__phone ph;
            valid += pol__phone_parse(lines[i], lens[i], "US", &ph) == POL_PHONE_VALID;
        }
    double t_pol = (now() - t0) / passes;

    double t1 = now();
    size_t lvalid = 0, agree = 0;
    for (size_t i = 0; i < n; i++) {
        char e[40], x[16];
        int v = lpn_parse(lines[i], "US", e, sizeof e, x, sizeof x);
        lvalid += v == 1;
        pol__phone ph;
        pol__phone_parse(lines[i], lens[i], "US", &ph);
        (void)ph;
        agree += (v == 1) == (ph.status == POL_PHONE_VALID) &&
                 (v != 1 || (strcmp(e, ph.e164) == 0 && strcmp(x, ph.ext) == 0));
    }
    double t_lpn = now() - t1;
    /* The agreement check above parses with polish too; its share is tiny but subtract it. */
    t_lpn -= t_pol;
    printf("phones: %zu numbers, polish %.0f/s, libphonenumber %.0f/s, ratio %.1fx; valid %zu vs "
           "%zu; agreement %.4f\n",
           n, (double)n / t_pol, (double)n / t_lpn, t_lpn / t_pol, valid / (size_t)passes, lvalid,
           (double)agree / (double)n);
    for (size_t i = 0; i < n; i++) free(lines[i]);
    free(lines);
    free(lens);
    return 0;
}
