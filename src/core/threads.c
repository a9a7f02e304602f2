/* polish — fork-join parallel loops for operations, bounded by the item's thread budget. */
#include <pthread.h>
#include <stdlib.h>
#include <unistd.h>
#include <signal.h>
#include "core/internal.h"
#include "core/pool.h"

/* Cancellation: one flag for the process, set from a signal handler or another thread. */
static volatile sig_atomic_t cancel_flag;

void pol_cancel(void)
{
    cancel_flag = 1;
}

void pol_cancel_reset(void)
{
    cancel_flag = 0;
}

int pol_cancelled(void)
{
    return cancel_flag != 0;
}

int pol__cancelled(const pol_run *run)
{
    (void)run;
    return cancel_flag != 0;
}

int pol__cpu_count(void)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    if (n < 1) n = 1;
    if (n > 256) n = 256;
    return (int)n;
}

typedef struct chunk {
    void (*fn)(void *user, size_t begin, size_t end);
    void *user;
    size_t begin, end;
} chunk;

static void *chunk_main(void *p)
{
    chunk *c = p;
    c->fn(c->user, c->begin, c->end);
    return NULL;
}

static void chunk_task(void *p)
{
    chunk *c = p;
    c->fn(c->user, c->begin, c->end);
}

void pol__parallel_for(const pol_run *run, size_t n, size_t grain,
                       void (*fn)(void *user, size_t begin, size_t end), void *user)
{
    if (n == 0) return;
    if (grain < 1) grain = 1;
    size_t threads = run && run->threads > 1 ? (size_t)run->threads : 1;
    size_t max_by_grain = (n + grain - 1) / grain;
    if (threads > max_by_grain) threads = max_by_grain;
    if (threads > 64) threads = 64;
    if (threads <= 1) {
        fn(user, 0, n);
        return;
    }
    if (run->pool) { /* the batch's pool: chunks go before queued items; this thread helps */
        chunk chunks[64];
        pol__task_group g = {0};
        size_t per = n / threads, extra = n % threads, at = 0;
        for (size_t t = 0; t < threads; t++) {
            size_t len = per + (t < extra ? 1 : 0);
            chunks[t] = (chunk){fn, user, at, at + len};
            at += len;
        }
        for (size_t t = 1; t < threads; t++) pol__pool_submit(run->pool, &g, chunk_task, &chunks[t], 1);
        chunk_task(&chunks[0]);
        pol__pool_wait(run->pool, &g);
        return;
    }
    chunk chunks[64];
    pthread_t tids[64];
    int started[64] = {0};
    size_t per = n / threads, extra = n % threads, at = 0;
    for (size_t t = 0; t < threads; t++) {
        size_t len = per + (t < extra ? 1 : 0);
        chunks[t] = (chunk){fn, user, at, at + len};
        at += len;
    }
    /* Chunk 0 runs on this thread; if a thread cannot start, its chunk runs here too. */
    for (size_t t = 1; t < threads; t++)
        started[t] = pthread_create(&tids[t], NULL, chunk_main, &chunks[t]) == 0;
    chunk_main(&chunks[0]);
    for (size_t t = 1; t < threads; t++) {
        if (started[t])
            pthread_join(tids[t], NULL);
        else
            chunk_main(&chunks[t]);
    }
}

/* Loops that hand out blocks of `grain` items from a shared counter instead of one fixed
 * half per thread: on a loaded machine a worker is often woken only after the calling thread has
 * done its own half, and with fixed halves the caller then runs the other half too (the pool's
 * waiter runs its group's queued tasks) while the worker, once awake, has nothing left. With
 * blocks, whichever thread is running takes the next one, so the work splits by the CPU time each
 * thread gets. */
typedef struct pull_ctx {
    size_t next; /* the next item to hand out (atomic) */
    size_t n, grain;
    void (*fn)(void *user, size_t b, size_t e);
    void *user;
} pull_ctx;

static void pull_blocks(void *u, size_t b, size_t e)
{
    pull_ctx *c = u;
    (void)b, (void)e;
    for (;;) {
        size_t i = __atomic_fetch_add(&c->next, c->grain, __ATOMIC_RELAXED);
        if (i >= c->n) break;
        c->fn(c->user, i, c->n - i < c->grain ? c->n : i + c->grain);
    }
}

void pol__parallel_blocks(const pol_run *run, size_t n, size_t grain,
                          void (*fn)(void *user, size_t b, size_t e), void *user)
{
    if (n == 0) return;
    if (grain < 1) grain = 1;
    size_t threads = run && run->threads > 1 ? (size_t)run->threads : 1;
    if (threads <= 1 || n <= grain) {
        fn(user, 0, n);
        return;
    }
    pull_ctx c = {0, n, grain, fn, user};
    pol__parallel_for(run, threads, 1, pull_blocks, &c);
}
