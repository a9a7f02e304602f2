/* polish — the batch's thread pool: a queue of tasks in groups; workers take any task, a thread
 * waiting for its group runs that group's tasks, so nested parallelism never deadlocks and never
 * oversubscribes the cores. */
#include <stdlib.h>
#include "core/internal.h"
#include "core/pool.h"

typedef struct task {
    void (*fn)(void *);
    void *arg;
    pol__task_group *g;
    struct task *next, *prev;
} task;

struct pol__pool {
    pthread_mutex_t mu;
    pthread_cond_t work; /* a task was queued, or stopping */
    pthread_cond_t done; /* a task finished */
    task *head, *tail;
    int stopping;
    int n_threads;
    size_t n_workers;
    pthread_t *tids;
};

static void unlink_task(pol__pool *p, task *t)
{
    if (t->prev)
        t->prev->next = t->next;
    else
        p->head = t->next;
    if (t->next)
        t->next->prev = t->prev;
    else
        p->tail = t->prev;
    t->next = t->prev = NULL;
}

/* Runs t without the lock held, then marks it done. Called with the lock held. */
static void run_task(pol__pool *p, task *t)
{
    pthread_mutex_unlock(&p->mu);
    t->fn(t->arg);
    pthread_mutex_lock(&p->mu);
    t->g->pending--;
    free(t);
    pthread_cond_broadcast(&p->done);
}

static void *worker_main(void *arg)
{
    pol__pool *p = arg;
    pthread_mutex_lock(&p->mu);
    for (;;) {
        while (!p->head && !p->stopping) pthread_cond_wait(&p->work, &p->mu);
        if (!p->head) break; /* stopping, and nothing left */
        task *t = p->head;
        unlink_task(p, t);
        run_task(p, t);
    }
    pthread_mutex_unlock(&p->mu);
    return NULL;
}

pol__pool *pol__pool_new(int threads)
{
    if (threads < 1) threads = 1;
    pol__pool *p = calloc(1, sizeof *p);
    if (!p) return NULL;
    p->n_threads = threads;
    pthread_mutex_init(&p->mu, NULL);
    pthread_cond_init(&p->work, NULL);
    pthread_cond_init(&p->done, NULL);
    p->tids = calloc((size_t)threads, sizeof *p->tids);
    if (!p->tids) {
        pol__pool_free(p);
        return NULL;
    }
    for (int i = 1; i < threads; i++) {
        if (pthread_create(&p->tids[p->n_workers], NULL, worker_main, p) != 0) break;
        p->n_workers++;
    }
    p->n_threads = (int)p->n_workers + 1;
    return p;
}

void pol__pool_free(pol__pool *p)
{
    if (!p) return;
    pthread_mutex_lock(&p->mu);
    p->stopping = 1;
    pthread_cond_broadcast(&p->work);
    pthread_mutex_unlock(&p->mu);
    for (size_t i = 0; i < p->n_workers; i++) pthread_join(p->tids[i], NULL);
    free(p->tids);
    pthread_cond_destroy(&p->work);
    pthread_cond_destroy(&p->done);
    pthread_mutex_destroy(&p->mu);
    free(p);
}

int pol__pool_threads(const pol__pool *p)
{
    return p ? p->n_threads : 1;
}

void pol__pool_submit(pol__pool *p, pol__task_group *g, void (*fn)(void *), void *arg, int urgent)
{
    task *t = p ? calloc(1, sizeof *t) : NULL;
    if (!t) { /* no pool, or no memory for the task: run it here */
        fn(arg);
        return;
    }
    t->fn = fn;
    t->arg = arg;
    t->g = g;
    pthread_mutex_lock(&p->mu);
    g->pending++;
    if (urgent) {
        t->next = p->head;
        if (p->head) p->head->prev = t;
        p->head = t;
        if (!p->tail) p->tail = t;
    } else {
        t->prev = p->tail;
        if (p->tail) p->tail->next = t;
        p->tail = t;
        if (!p->head) p->head = t;
    }
    pthread_cond_signal(&p->work);
    pthread_mutex_unlock(&p->mu);
}

void pol__pool_wait(pol__pool *p, pol__task_group *g)
{
    if (!p) return;
    pthread_mutex_lock(&p->mu);
    while (g->pending) {
        task *t = p->head;
        while (t && t->g != g) t = t->next;
        if (t) {
            unlink_task(p, t);
            run_task(p, t);
        } else {
            pthread_cond_wait(&p->done, &p->mu);
        }
    }
    pthread_mutex_unlock(&p->mu);
}
