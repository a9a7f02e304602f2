/* polish — one thread pool per batch, shared by items, delivery targets and the ops' parallel
 * loops (internal). */
#ifndef POLISH_CORE_POOL_H
#define POLISH_CORE_POOL_H

#include <pthread.h>
#include <stddef.h>

typedef struct pol__pool pol__pool;

/* Tasks submitted together and waited for together. Zero-initialise, then submit. */
typedef struct pol__task_group {
    size_t pending; /* guarded by the pool's lock */
} pol__task_group;

/* A pool of `threads` threads in all: threads - 1 workers plus whoever waits. NULL when out of
 * memory or when no worker could start (callers then run tasks inline). */
pol__pool *pol__pool_new(int threads);
/* Waits for the workers to finish what is queued, then stops them. Accepts NULL. */
void pol__pool_free(pol__pool *p);
int pol__pool_threads(const pol__pool *p);

/* Queues fn(arg) in group g. `urgent` tasks (the parts of work already started: loop chunks,
 * delivery targets) go before the queued ones (new items), so started work finishes first and
 * fewer items are held at once. With a NULL pool, runs fn(arg) at once. */
void pol__pool_submit(pol__pool *p, pol__task_group *g, void (*fn)(void *), void *arg, int urgent);

/* Returns when every task of g has run. The waiting thread runs g's queued tasks itself (never
 * another group's, so an item never nests inside another), then sleeps until the rest finish. */
void pol__pool_wait(pol__pool *p, pol__task_group *g);

#endif
