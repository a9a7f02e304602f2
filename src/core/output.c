/* polish — safe output: write to a temporary file beside the target, then rename into place. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "core/internal.h"

static mode_t file_mode = 0644;
static pthread_once_t mode_once = PTHREAD_ONCE_INIT;

/* mkstemp() makes 0600 files; outputs should get the user's usual permissions. umask() can only
 * be read by setting it, so do that once, before any worker thread writes. */
static void read_umask(void)
{
    mode_t m = umask(022);
    umask(m);
    file_mode = 0666 & ~m;
}

pol_status pol__out_open(pol_run *run, const char *final_path, pol_outfile *of)
{
    memset(of, 0, sizeof *of);
    of->fd = -1;
    pthread_once(&mode_once, read_umask);
    int overwrite = run && run->opt && run->opt->overwrite;
    struct stat st;
    if (!overwrite && lstat(final_path, &st) == 0)
        return pol__fail(run, POL_ERR_EXISTS, "output %s exists (use --overwrite to replace it)",
                         final_path);
    const char *base = pol__path_base(final_path);
    size_t dir_len = (size_t)(base - final_path);
    of->final_path = pol__strdup(final_path);
    of->tmp_path = pol__asprintf("%.*s.%s.XXXXXX.part", (int)dir_len, final_path, base);
    if (!of->final_path || !of->tmp_path) {
        pol__out_abort(of);
        return pol__fail(run, POL_ERR_NOMEM, "out of memory");
    }
    int fd = mkstemps(of->tmp_path, 5);
    if (fd < 0) {
        int e = errno;
        pol__out_abort(of);
        return pol__fail(run, POL_ERR_IO, "cannot write output %s: %s", final_path, strerror(e));
    }
    of->fp = fdopen(fd, "wb");
    if (!of->fp) {
        int e = errno;
        close(fd);
        unlink(of->tmp_path);
        pol__out_abort(of);
        return pol__fail(run, POL_ERR_IO, "cannot write output %s: %s", final_path, strerror(e));
    }
    of->fd = fd;
    return POL_OK;
}

void pol__out_abort(pol_outfile *of)
{
    if (!of) return;
    if (of->fp) fclose(of->fp);
    if (of->tmp_path && (of->fp || of->fd >= 0)) unlink(of->tmp_path);
    free(of->tmp_path);
    free(of->final_path);
    memset(of, 0, sizeof *of);
    of->fd = -1;
}

pol_status pol__out_commit(pol_run *run, pol_outfile *of)
{
    if (!of->fp) return pol__fail(run, POL_ERR_INTERNAL, "output file not open");
    int bad = ferror(of->fp);
    int e = 0;
    if (fflush(of->fp) != 0) {
        bad = 1;
        e = errno;
    }
    fchmod(of->fd, file_mode);
    if (fclose(of->fp) != 0 && !bad) {
        bad = 1;
        e = errno;
    }
    of->fp = NULL;
    if (bad) {
        unlink(of->tmp_path);
        pol_status st = pol__fail(run, POL_ERR_IO, "writing %s failed: %s", of->final_path,
                                  e ? strerror(e) : "write error");
        pol__out_abort(of);
        return st;
    }
    int overwrite = run && run->opt && run->opt->overwrite;
    int rc;
    if (overwrite) {
        rc = rename(of->tmp_path, of->final_path);
    } else {
        /* link() refuses an existing target atomically, so two workers never clobber each other. */
        rc = link(of->tmp_path, of->final_path);
        if (rc == 0)
            unlink(of->tmp_path);
        else if (errno == EPERM || errno == ENOTSUP || errno == EXDEV) {
            struct stat st;
            if (lstat(of->final_path, &st) == 0)
                errno = EEXIST;
            else
                rc = rename(of->tmp_path, of->final_path);
        }
    }
    if (rc != 0) {
        int err = errno;
        unlink(of->tmp_path);
        pol_status st =
            err == EEXIST
                ? pol__fail(run, POL_ERR_EXISTS, "output %s exists (use --overwrite to replace it)",
                            of->final_path)
                : pol__fail(run, POL_ERR_IO, "cannot move output into place at %s: %s",
                            of->final_path, strerror(err));
        of->fd = -1;
        pol__out_abort(of);
        return st;
    }
    if (run && run->item)
        pol_jv_push(pol_jv_arr_at(run->item, "outputs"), pol_jv_str(of->final_path));
    free(of->tmp_path);
    free(of->final_path);
    memset(of, 0, sizeof *of);
    of->fd = -1;
    return POL_OK;
}

pol_status pol__write_file(pol_run *run, const char *path, const void *data, size_t len)
{
    pol_outfile of;
    pol_status st = pol__out_open(run, path, &of);
    if (st) return st;
    if (len && fwrite(data, 1, len, of.fp) != len) {
        int e = errno;
        pol__out_abort(&of);
        return pol__fail(run, POL_ERR_IO, "writing %s failed: %s", path, strerror(e));
    }
    return pol__out_commit(run, &of);
}

pol_status pol__read_file(pol_run *run, const char *path, uint64_t max_bytes, unsigned char **data,
                          size_t *len)
{
    *data = NULL;
    *len = 0;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        int e = errno;
        return pol__fail(run, e == ENOENT ? POL_ERR_NOT_FOUND : POL_ERR_IO, "cannot open %s: %s",
                         path, strerror(e));
    }
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        close(fd);
        return pol__fail(run, POL_ERR_IO, "%s is not a regular file", path);
    }
    if (max_bytes && (uint64_t)st.st_size > max_bytes) {
        close(fd);
        return pol__fail(run, POL_ERR_LIMIT, "%s is %lld bytes, over the limit of %llu bytes", path,
                         (long long)st.st_size, (unsigned long long)max_bytes);
    }
    size_t cap = (size_t)st.st_size;
    unsigned char *buf = malloc(cap + 1);
    if (!buf) {
        close(fd);
        return pol__fail(run, POL_ERR_NOMEM, "out of memory reading %s", path);
    }
    size_t got = 0;
    while (got < cap) {
        ssize_t r = read(fd, buf + got, cap - got);
        if (r < 0 && errno == EINTR) continue;
        if (r < 0) {
            int e = errno;
            free(buf);
            close(fd);
            return pol__fail(run, POL_ERR_IO, "reading %s failed: %s", path, strerror(e));
        }
        if (r == 0) break; /* the file shrank while we read it */
        got += (size_t)r;
    }
    close(fd);
    buf[got] = '\0';
    *data = buf;
    *len = got;
    return POL_OK;
}
