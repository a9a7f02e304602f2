/* polish tests — fault injection: an LD_PRELOAD shim that makes the Nth memory allocation of the
 * process (malloc, calloc or realloc; N = POLISH_FAIL_ALLOC_AT) return NULL with ENOMEM, once. With
 * POLISH_COUNT_ALLOCS set it prints the number of allocations at exit, to choose N. */
#undef _FILE_OFFSET_BITS
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void *(*real_malloc)(size_t);
static void *(*real_calloc)(size_t, size_t);
static void *(*real_realloc)(void *, size_t);
static atomic_long calls;
static long fail_at = -1;
static int ready, initialising;

/* dlsym() may itself allocate: serve those early calls from a small static arena. */
static _Alignas(16) char arena[8192];
static size_t arena_used;

static void *arena_alloc(size_t n)
{
    n = (n + 15) & ~(size_t)15;
    if (arena_used + n > sizeof arena) return NULL;
    void *p = arena + arena_used;
    arena_used += n;
    return p;
}

static void report(void)
{
    char buf[64];
    int n = snprintf(buf, sizeof buf, "allocations: %ld\n", atomic_load(&calls));
    if (write(2, buf, (size_t)n) < 0) return;
}

static void init(void)
{
    if (ready || initialising) return;
    initialising = 1;
    real_malloc = (void *(*)(size_t))dlsym(RTLD_NEXT, "malloc");
    real_calloc = (void *(*)(size_t, size_t))dlsym(RTLD_NEXT, "calloc");
    real_realloc = (void *(*)(void *, size_t))dlsym(RTLD_NEXT, "realloc");
    initialising = 0;
    ready = 1;
}

/* The environment is read once libc is ready (a constructor); allocations before that count. */
__attribute__((constructor)) static void read_env(void)
{
    const char *n = getenv("POLISH_FAIL_ALLOC_AT");
    if (n && *n) fail_at = atol(n);
    if (getenv("POLISH_COUNT_ALLOCS")) atexit(report);
}

static int should_fail(void)
{
    long k = atomic_fetch_add(&calls, 1) + 1;
    if (k == fail_at) {
        errno = ENOMEM;
        return 1;
    }
    return 0;
}

void *malloc(size_t n)
{
    if (!ready) {
        if (initialising) return arena_alloc(n);
        init();
    }
    return should_fail() ? NULL : real_malloc(n);
}

void *calloc(size_t a, size_t b)
{
    if (!ready) {
        if (initialising) {
            void *p = arena_alloc(a * b);
            if (p) memset(p, 0, a * b);
            return p;
        }
        init();
    }
    return should_fail() ? NULL : real_calloc(a, b);
}

void *realloc(void *p, size_t n)
{
    if (!ready) init();
    if ((char *)p >= arena && (char *)p < arena + sizeof arena) { /* from the arena: move out */
        void *q = real_malloc(n);
        if (q) memcpy(q, p, n < sizeof arena ? n : sizeof arena);
        return q;
    }
    return should_fail() ? NULL : real_realloc(p, n);
}
