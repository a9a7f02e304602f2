/* polish tests — fault injection: an LD_PRELOAD shim that makes writes to polish's temporary
 * outputs (files whose name ends in ".part") fail with ENOSPC once POLISH_ENOSPC_AFTER bytes have
 * been written to them in this process. Streams opened on such files (fdopen, fopen) are rewrapped
 * with fopencookie() so buffered stdio writes reach the budget too; fileno() of a wrapped stream
 * still gives the real descriptor (libtiff writes through it), and write() on it is counted.
 * With POLISH_FSYNC_EIO set, fsync() of a temporary fails with EIO; with POLISH_RENAME_FAIL=N the
 * Nth rename() of a temporary into place fails with EIO. */
#undef _FILE_OFFSET_BITS
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <unistd.h>

static atomic_llong used;
static long long budget = -1;
static pthread_once_t once = PTHREAD_ONCE_INIT;
static ssize_t (*real_write)(int, const void *, size_t);
static FILE *(*real_fdopen)(int, const char *);
static FILE *(*real_fopen)(const char *, const char *);
static FILE *(*real_fopen64)(const char *, const char *);
static int (*real_fileno)(FILE *);

static void init(void)
{
    real_write = (ssize_t(*)(int, const void *, size_t))dlsym(RTLD_NEXT, "write");
    real_fdopen = (FILE * (*)(int, const char *)) dlsym(RTLD_NEXT, "fdopen");
    real_fopen = (FILE * (*)(const char *, const char *)) dlsym(RTLD_NEXT, "fopen");
    real_fopen64 = (FILE * (*)(const char *, const char *)) dlsym(RTLD_NEXT, "fopen64");
    real_fileno = (int (*)(FILE *))dlsym(RTLD_NEXT, "fileno");
    const char *b = getenv("POLISH_ENOSPC_AFTER");
    if (b && *b) budget = atoll(b);
}

static int is_part_path(const char *p)
{
    size_t n = p ? strlen(p) : 0;
    return n > 5 && !strcmp(p + n - 5, ".part");
}

static int is_part_fd(int fd)
{
    char link[64], target[4096];
    snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
    ssize_t n = readlink(link, target, sizeof target - 1);
    if (n <= 0) return 0;
    target[n] = '\0';
    return is_part_path(target);
}

/* Writes at most what the budget allows; then ENOSPC. */
static ssize_t budget_write(int fd, const void *buf, size_t len)
{
    if (budget < 0) return real_write(fd, buf, len);
    long long before = atomic_fetch_add(&used, (long long)len);
    if (before >= budget) {
        errno = ENOSPC;
        return -1;
    }
    if (before + (long long)len > budget) len = (size_t)(budget - before);
    return real_write(fd, buf, len);
}

ssize_t write(int fd, const void *buf, size_t len)
{
    pthread_once(&once, init);
    if (budget >= 0 && is_part_fd(fd)) return budget_write(fd, buf, len);
    return real_write(fd, buf, len);
}

typedef struct wrapped {
    FILE *fp;
    int fd;
    struct wrapped *next;
} wrapped;
static wrapped *streams;
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;

static ssize_t c_write(void *c, const char *buf, size_t len)
{
    int fd = (int)(intptr_t)c;
    size_t done = 0;
    while (done < len) {
        ssize_t w = budget_write(fd, buf + done, len - done);
        if (w < 0) return done ? (ssize_t)done : -1;
        done += (size_t)w;
    }
    return (ssize_t)done;
}

static ssize_t c_read(void *c, char *buf, size_t len)
{
    return read((int)(intptr_t)c, buf, len);
}

static int c_seek(void *c, off64_t *off, int whence)
{
    off_t r = lseek((int)(intptr_t)c, (off_t)*off, whence);
    if (r < 0) return -1;
    *off = r;
    return 0;
}

static int c_close(void *c)
{
    int fd = (int)(intptr_t)c;
    pthread_mutex_lock(&mu);
    for (wrapped **w = &streams; *w; w = &(*w)->next)
        if ((*w)->fd == fd) {
            wrapped *x = *w;
            *w = x->next;
            free(x);
            break;
        }
    pthread_mutex_unlock(&mu);
    return close(fd);
}

static FILE *wrap(int fd, const char *mode)
{
    cookie_io_functions_t f = {c_read, c_write, c_seek, c_close};
    FILE *fp = fopencookie((void *)(intptr_t)fd, mode, f);
    if (!fp) return NULL;
    wrapped *w = malloc(sizeof *w);
    if (w) {
        w->fp = fp;
        w->fd = fd;
        pthread_mutex_lock(&mu);
        w->next = streams;
        streams = w;
        pthread_mutex_unlock(&mu);
    }
    return fp;
}

/* POLISH_FSYNC_EIO: fsync() of a temporary fails with EIO (a disk that cannot make it durable). */
int fsync(int fd)
{
    static int (*real_fsync)(int);
    if (!real_fsync) real_fsync = (int (*)(int))dlsym(RTLD_NEXT, "fsync");
    if (getenv("POLISH_FSYNC_EIO") && is_part_fd(fd)) {
        errno = EIO;
        return -1;
    }
    return real_fsync(fd);
}

FILE *fdopen(int fd, const char *mode)
{
    pthread_once(&once, init);
    if (budget >= 0 && strpbrk(mode, "wa+") && is_part_fd(fd)) return wrap(fd, mode);
    return real_fdopen(fd, mode);
}

static FILE *open_path(FILE *(*real)(const char *, const char *), const char *path,
                       const char *mode)
{
    pthread_once(&once, init);
    if (budget < 0 || !strpbrk(mode, "wa+") || !is_part_path(path)) return real(path, mode);
    int flags = O_CLOEXEC | (strchr(mode, '+') ? O_RDWR : O_WRONLY) | O_CREAT |
                (mode[0] == 'a' ? O_APPEND : mode[0] == 'w' ? O_TRUNC : 0);
    int fd = open(path, flags, 0666);
    if (fd < 0) return NULL;
    FILE *fp = wrap(fd, mode);
    if (!fp) close(fd);
    return fp;
}

FILE *fopen(const char *path, const char *mode)
{
    pthread_once(&once, init);
    return open_path(real_fopen, path, mode);
}

FILE *fopen64(const char *path, const char *mode)
{
    pthread_once(&once, init);
    return open_path(real_fopen64 ? real_fopen64 : real_fopen, path, mode);
}

int fileno(FILE *fp)
{
    pthread_once(&once, init);
    pthread_mutex_lock(&mu);
    for (wrapped *w = streams; w; w = w->next)
        if (w->fp == fp) {
            int fd = w->fd;
            pthread_mutex_unlock(&mu);
            return fd;
        }
    pthread_mutex_unlock(&mu);
    return real_fileno(fp);
}

/* POLISH_RENAME_FAIL=N: the Nth rename() of a temporary into place fails with EIO (a disk error
 * between an item's outputs, after the first ones were moved). */
int rename(const char *from, const char *to)
{
    static int (*real_rename)(const char *, const char *);
    static atomic_int count;
    if (!real_rename) real_rename = (int (*)(const char *, const char *))dlsym(RTLD_NEXT, "rename");
    const char *n = getenv("POLISH_RENAME_FAIL");
    if (n && *n && is_part_path(from) && atomic_fetch_add(&count, 1) + 1 == atoi(n)) {
        errno = EIO;
        return -1;
    }
    return real_rename(from, to);
}
