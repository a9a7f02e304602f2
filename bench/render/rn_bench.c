/* polish bench — render: the full chain (AO + AA + bloom + AgX tone map + a .cube LUT) on a
 * frame decoded once, so the chain's own cost is timed without the EXR decode and PNG encode.
 *   rn_bench FRAME.exr LUT.cube [REPS [THREADS]]
 * Each repetition clones the decoded frame (not timed), then runs the steps as `polish run` does
 * (the pointwise steps deferred and applied in one pass at the end, as the writer would). Prints,
 * per step and for the chain, the median over the repetitions of the wall milliseconds and of the
 * CPU milliseconds of the process (every thread of the pool), and the chain's least CPU
 * milliseconds (on a loaded machine the least is the steadiest figure). With more than one
 * thread, a second line gives each step's CPU milliseconds per thread (from the threads'
 * /proc/self/task/TID/schedstat, in nanoseconds), summed over the repetitions and divided by
 * their number: how evenly the step's work splits. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "core/args.h"
#include "core/pool.h"
#include "render/render.h"

static double clk(clockid_t id)
{
    struct timespec ts;
    clock_gettime(id, &ts);
    return (double)ts.tv_sec * 1e3 + ts.tv_nsec * 1e-6;
}

static const pol_op_desc *op_named(const char *name)
{
    for (const pol_op_desc *const *o = pol__render_ops; *o; o++)
        if (!strcmp((*o)->name, name)) return *o;
    return NULL;
}

static int cmp_d(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

#define NSTEP 6
#define MAXREP 64
#define MAXTHR 8

/* the CPU nanoseconds of each of the process's threads (up to MAXTHR, in /proc's order) */
static int thread_ns(long long *ns, int *tid)
{
    DIR *d = opendir("/proc/self/task");
    int n = 0;
    struct dirent *e;
    while (d && (e = readdir(d)) && n < MAXTHR) {
        if (e->d_name[0] == '.') continue;
        char path[300];
        snprintf(path, sizeof path, "/proc/self/task/%.255s/schedstat", e->d_name);
        FILE *f = fopen(path, "r");
        if (!f) continue;
        if (fscanf(f, "%lld", &ns[n]) == 1) tid[n++] = atoi(e->d_name);
        fclose(f);
    }
    if (d) closedir(d);
    return n;
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: rn_bench FRAME.exr LUT.cube [REPS [THREADS]]\n");
        return 2;
    }
    int reps = argc > 3 ? atoi(argv[3]) : 5, threads = argc > 4 ? atoi(argv[4]) : 2;
    if (reps < 1) reps = 1;
    if (reps > MAXREP) reps = MAXREP;
    pol_options opt;
    pol_options_default(&opt);
    pol_err err;
    pol_err_clear(&err);
    pol_run run = {.err = &err, .opt = &opt, .input = argv[1], .threads = threads};
    run.pool = threads > 1 ? pol__pool_new(threads) : NULL;
    pol_asset *frame = NULL;
    if (pol__render_domain.load(&run, argv[1], &frame)) {
        fprintf(stderr, "rn_bench: %s: %s\n", argv[1], err.msg);
        return 1;
    }
    static const char *const names[NSTEP] = {"ao", "aa", "bloom", "tonemap", "grade", "flush"};
    pol_args *args[NSTEP - 1];
    for (int s = 0; s < NSTEP - 1; s++) {
        const pol_op_desc *op = op_named(names[s]);
        if (!op || !(args[s] = pol__args_new(op))) return 1;
    }
    if (pol__args_set(args[3], "curve", "agx", &err) || pol__args_set(args[4], "lut", argv[2], &err)) {
        fprintf(stderr, "rn_bench: %s\n", err.msg);
        return 1;
    }
    static double wall[NSTEP + 1][MAXREP], cpu[NSTEP + 1][MAXREP], per[NSTEP + 1][MAXTHR];
    int tids[MAXTHR], nthr = 0;
    for (int k = 0; k < reps; k++) {
        pol_asset *a = pol__asset_clone(frame);
        if (!a) return 1;
        long long t0[MAXTHR], t1[MAXTHR];
        int id0[MAXTHR], id1[MAXTHR];
        int n0 = thread_ns(t0, id0);
        double w0 = clk(CLOCK_MONOTONIC), c0 = clk(CLOCK_PROCESS_CPUTIME_ID), ws = w0, cs = c0;
        for (int s = 0; s < NSTEP; s++) {
            if (s < NSTEP - 1) {
                if (op_named(names[s])->run(&run, a, args[s])) {
                    fprintf(stderr, "rn_bench: %s: %s\n", names[s], err.msg);
                    return 1;
                }
            } else {
                pol__render_flush(&run, pol__render_of(a));
            }
            double w1 = clk(CLOCK_MONOTONIC), c1 = clk(CLOCK_PROCESS_CPUTIME_ID);
            int n1 = thread_ns(t1, id1);
            wall[s][k] = w1 - ws, cpu[s][k] = c1 - cs;
            ws = w1, cs = c1;
            for (int i = 0; i < n1 && n1 == n0; i++) {
                per[s][i] += (double)(t1[i] - t0[i]) * 1e-6 / reps, per[NSTEP][i] += (double)(t1[i] - t0[i]) * 1e-6 / reps;
                tids[i] = id1[i];
            }
            nthr = n1 == n0 ? n1 : nthr;
            n0 = thread_ns(t0, id0); /* the reading itself not counted */
        }
        wall[NSTEP][k] = ws - w0, cpu[NSTEP][k] = cs - c0;
        pol__asset_unref(a);
    }
    printf("%dx%d, %d threads, median of %d runs (wall ms / CPU ms):", pol__render_of(frame)->w,
           pol__render_of(frame)->h, threads, reps);
    for (int s = 0; s <= NSTEP; s++) {
        qsort(wall[s], (size_t)reps, sizeof(double), cmp_d);
        qsort(cpu[s], (size_t)reps, sizeof(double), cmp_d);
        printf(" %s %.1f/%.1f", s < NSTEP ? names[s] : "chain", wall[s][reps / 2], cpu[s][reps / 2]);
    }
    printf(" (least CPU %.1f)\n", cpu[NSTEP][0]);
    if (threads > 1 && nthr > 1) {
        printf("CPU ms per thread (threads");
        for (int i = 0; i < nthr; i++) printf(" %d", tids[i]);
        printf("), mean of %d runs:", reps);
        for (int s = 0; s <= NSTEP; s++) {
            printf(" %s", s < NSTEP ? names[s] : "chain");
            for (int i = 0; i < nthr; i++) printf("%s%.1f", i ? "/" : " ", per[s][i]);
        }
        printf("\n");
    }
    for (int s = 0; s < NSTEP - 1; s++) pol__args_free(args[s]);
    pol__asset_unref(frame);
    pol__pool_free(run.pool);
    return 0;
}
