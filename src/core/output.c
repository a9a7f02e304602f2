/* polish — safe output: write to a temporary file beside the target, then rename into place. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "core/inputs.h"

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

/* ---- the write gate ------------------------------------------------------------------------ */

typedef struct claim {
    char *path;       /* canonical: realpath(folder) + "/" + name */
    char *owner_copy; /* the input that claimed it */
} claim;

struct pol__gate {
    pthread_mutex_t mu;
    pol__fileid *inputs; /* sorted */
    size_t n_inputs;
    char *outdir;  /* canonical, or NULL */
    char *outfile; /* as given, or NULL */
    char **named;  /* canonical: files the command line named for output ports (pol__gate_allow) */
    size_t n_named;
    int overwrite;
    claim *claims;
    size_t n_claims, cap_claims;
    /* memory reserved by the items running now (pol__mem_reserve) */
    pthread_cond_t mem_cv;
    uint64_t mem_used;
};

/* realpath() of the folder part joined with the name; NULL (errno set) when the folder is missing. */
static char *canonical(const char *path)
{
    const char *base = pol__path_base(path);
    size_t dl = (size_t)(base - path);
    char *dir = dl ? pol__strndup(path, dl) : pol__strdup(".");
    if (!dir) return NULL;
    char *real = realpath(dir, NULL);
    free(dir);
    if (!real) return NULL;
    char *c = pol__asprintf("%s%s%s", real, strcmp(real, "/") ? "/" : "", base);
    free(real);
    return c;
}

static int is_input(const pol__gate *g, dev_t dev, ino_t ino)
{
    if (!g) return 0;
    size_t lo = 0, hi = g->n_inputs;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        const pol__fileid *x = &g->inputs[mid];
        if (x->dev == dev && x->ino == ino) return 1;
        if (x->dev < dev || (x->dev == dev && x->ino < ino))
            lo = mid + 1;
        else
            hi = mid;
    }
    return 0;
}

pol__gate *pol__gate_new(const pol__inputs *in, const char *outdir, const char *outfile,
                         const pol_options *opt)
{
    pol__gate *g = calloc(1, sizeof *g);
    if (!g) return NULL;
    pthread_mutex_init(&g->mu, NULL);
    pthread_cond_init(&g->mem_cv, NULL);
    g->overwrite = opt && opt->overwrite;
    if (in && in->n_ids) {
        g->inputs = malloc(in->n_ids * sizeof *g->inputs);
        if (!g->inputs) goto fail;
        memcpy(g->inputs, in->ids, in->n_ids * sizeof *g->inputs);
        g->n_inputs = in->n_ids;
    }
    /* A folder that does not resolve allows nothing (its items fail when they make it). */
    if (outdir && !(g->outdir = realpath(outdir, NULL)) && errno == ENOMEM) goto fail;
    if (outfile && !(g->outfile = pol__strdup(outfile))) goto fail;
    return g;
fail:
    pol__gate_free(g);
    return NULL;
}

void pol__gate_free(pol__gate *g)
{
    if (!g) return;
    for (size_t i = 0; i < g->n_claims; i++) {
        free(g->claims[i].path);
        free(g->claims[i].owner_copy);
    }
    free(g->claims);
    for (size_t i = 0; i < g->n_named; i++) free(g->named[i]);
    free(g->named);
    free(g->inputs);
    free(g->outdir);
    free(g->outfile);
    pthread_mutex_destroy(&g->mu);
    pthread_cond_destroy(&g->mem_cv);
    free(g);
}

static const char *kind_of(mode_t m)
{
    if (S_ISFIFO(m)) return "a FIFO";
    if (S_ISSOCK(m)) return "a socket";
    if (S_ISCHR(m)) return "a character device";
    if (S_ISBLK(m)) return "a block device";
    if (S_ISDIR(m)) return "a folder";
    return "not a regular file";
}

pol_status pol__gate_allow(pol__gate *g, const char *path)
{
    char *c = canonical(path);
    if (!c) return errno == ENOMEM ? POL_ERR_NOMEM : POL_OK; /* a folder not there: its write fails */
    char **v = realloc(g->named, (g->n_named + 1) * sizeof *v);
    if (!v) {
        free(c);
        return POL_ERR_NOMEM;
    }
    g->named = v;
    g->named[g->n_named++] = c;
    return POL_OK;
}

/* Inside the output folder, or the named output file or a sidecar "STEM.*" beside it, or a file
 * the command line named for an output port. */
static int allowed_place(const pol__gate *g, const char *canon)
{
    for (size_t i = 0; i < g->n_named; i++)
        if (!strcmp(g->named[i], canon)) return 1;
    if (g->outdir) {
        size_t n = strlen(g->outdir);
        if (!strncmp(canon, g->outdir, n) && (canon[n] == '/' || !strcmp(g->outdir, "/")))
            return 1;
    }
    if (g->outfile) {
        char *want = canonical(g->outfile);
        if (!want) return 0;
        int ok = !strcmp(want, canon);
        if (!ok) {
            const char *wb = pol__path_base(want), *cb = pol__path_base(canon);
            const char *dot = strrchr(wb, '.');
            size_t stem = dot && dot != wb ? (size_t)(dot - wb) : strlen(wb);
            ok = (size_t)(wb - want) == (size_t)(cb - canon) && !strncmp(want, canon, (size_t)(wb - want)) &&
                 !strncmp(wb, cb, stem) && cb[stem] == '.';
        }
        free(want);
        return ok;
    }
    return 0;
}

/* Every check on a place to write, then the claim (so a second input cannot take the same name). */
static pol_status gate_check(pol_run *run, const char *final_path)
{
    const char *base = pol__path_base(final_path);
    if (!*base || !strcmp(base, ".") || !strcmp(base, ".."))
        return pol__fail(run, POL_ERR_REFUSED, "'%s' is not a file name to write", final_path);
    pol__gate *g = run ? run->gate : NULL;
    int overwrite = run && run->opt && run->opt->overwrite;
    struct stat st;
    int exists = lstat(final_path, &st) == 0;
    if (exists && !S_ISREG(st.st_mode) && !S_ISLNK(st.st_mode))
        return pol__fail(run, POL_ERR_REFUSED, "refusing to write %s: it is %s, not a regular file",
                         final_path, kind_of(st.st_mode));
    struct stat fst;
    if (exists && stat(final_path, &fst) == 0) {
        if (!S_ISREG(fst.st_mode))
            return pol__fail(run, POL_ERR_REFUSED,
                             "refusing to write %s: it leads to %s, not a regular file", final_path,
                             kind_of(fst.st_mode));
        if (is_input(g, fst.st_dev, fst.st_ino))
            return pol__fail(run, POL_ERR_REFUSED,
                             "refusing to write %s: it is an input of this batch (inputs are never "
                             "written, even with --overwrite)",
                             final_path);
    }
    if (!g) {
        if (exists && !overwrite)
            return pol__fail(run, POL_ERR_EXISTS, "output %s exists (use --overwrite to replace it)",
                             final_path);
        return POL_OK;
    }
    char *canon = canonical(final_path);
    if (!canon) {
        int e = errno;
        return pol__fail(run, e == ENOMEM ? POL_ERR_NOMEM : POL_ERR_IO,
                         "cannot resolve the folder of %s: %s", final_path, strerror(e));
    }
    if (!allowed_place(g, canon)) {
        pol_status s = pol__fail(run, POL_ERR_REFUSED, "refusing to write %s: outside the output %s %s",
                                 final_path, g->outdir ? "folder" : "file",
                                 g->outdir ? g->outdir : g->outfile);
        free(canon);
        return s;
    }
    pthread_mutex_lock(&g->mu);
    for (size_t i = 0; i < g->n_claims; i++) {
        if (strcmp(g->claims[i].path, canon) != 0) continue;
        pol_status s = pol__fail(run, POL_ERR_REFUSED,
                                 "%s is also the output of %s: two inputs of this batch give the "
                                 "same output name",
                                 final_path, g->claims[i].owner_copy ? g->claims[i].owner_copy : "another step");
        pthread_mutex_unlock(&g->mu);
        free(canon);
        return s;
    }
    if (exists && !overwrite) {
        pthread_mutex_unlock(&g->mu);
        free(canon);
        return pol__fail(run, POL_ERR_EXISTS, "output %s exists (use --overwrite to replace it)",
                         final_path);
    }
    if (g->n_claims == g->cap_claims) {
        size_t cap = g->cap_claims ? g->cap_claims * 2 : 64;
        claim *v = realloc(g->claims, cap * sizeof *v);
        if (!v) {
            pthread_mutex_unlock(&g->mu);
            free(canon);
            return pol__fail(run, POL_ERR_NOMEM, "out of memory");
        }
        g->claims = v;
        g->cap_claims = cap;
    }
    g->claims[g->n_claims++] =
        (claim){canon, run->input ? pol__strdup(run->input) : NULL};
    pthread_mutex_unlock(&g->mu);
    return POL_OK;
}

void pol__out_release(pol_run *run, const char *final_path)
{
    pol__gate *g = run ? run->gate : NULL;
    if (!g || !final_path) return;
    char *canon = canonical(final_path);
    if (!canon) return;
    pthread_mutex_lock(&g->mu);
    for (size_t i = 0; i < g->n_claims; i++) {
        claim *c = &g->claims[i];
        if (strcmp(c->path, canon) != 0) continue;
        if (!c->owner_copy || !run->input || strcmp(c->owner_copy, run->input) != 0) break;
        free(c->path);
        free(c->owner_copy);
        g->claims[i] = g->claims[--g->n_claims];
        break;
    }
    pthread_mutex_unlock(&g->mu);
    free(canon);
}

/* A file polish wrote as a report: JSON starting {"polish": or the HTML page's title. */
static int looks_like_report(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f) return 0;
    char head[512];
    size_t n = fread(head, 1, sizeof head - 1, f);
    fclose(f);
    head[n] = '\0';
    return (head[0] == '{' && strstr(head, "\"polish\"")) ||
           (!strncmp(head, "<!doctype html>", 15) && strstr(head, "polish"));
}

pol_status pol__gate_report(const pol__gate *g, const char *path, pol_err *err)
{
    const char *base = pol__path_base(path);
    if (!*base || !strcmp(base, ".") || !strcmp(base, ".."))
        return pol__err_set(err, POL_ERR_REFUSED, "'%s' is not a file name for the report", path);
    struct stat st;
    if (lstat(path, &st) != 0) return POL_OK;
    if (!S_ISREG(st.st_mode) && !S_ISLNK(st.st_mode))
        return pol__err_set(err, POL_ERR_REFUSED, "refusing to write the report to %s: it is %s",
                            path, kind_of(st.st_mode));
    if (stat(path, &st) == 0 && !S_ISREG(st.st_mode))
        return pol__err_set(err, POL_ERR_REFUSED, "refusing to write the report to %s: it is %s",
                            path, kind_of(st.st_mode));
    if (is_input(g, st.st_dev, st.st_ino))
        return pol__err_set(err, POL_ERR_REFUSED,
                            "refusing to write the report to %s: it is an input of this batch", path);
    if (g) {
        char *canon = canonical(path);
        int taken = 0;
        pthread_mutex_lock((pthread_mutex_t *)&g->mu);
        for (size_t i = 0; canon && i < g->n_claims; i++) taken |= !strcmp(g->claims[i].path, canon);
        pthread_mutex_unlock((pthread_mutex_t *)&g->mu);
        free(canon);
        if (taken)
            return pol__err_set(err, POL_ERR_REFUSED,
                                "refusing to write the report to %s: it is an output of this batch",
                                path);
    }
    if (!(g && g->overwrite) && !looks_like_report(path))
        return pol__err_set(err, POL_ERR_EXISTS,
                            "%s exists and is not a polish report (use --overwrite to replace it)",
                            path);
    return POL_OK;
}

/* ---- temporaries and commits ---------------------------------------------------------------- */

pol_status pol__out_open(pol_run *run, const char *final_path, pol__outfile *of)
{
    memset(of, 0, sizeof *of);
    of->fd = -1;
    pthread_once(&mode_once, read_umask);
    pol_status gst = gate_check(run, final_path);
    if (gst) return gst;
    const char *base = pol__path_base(final_path);
    size_t dir_len = (size_t)(base - final_path);
    of->final_path = pol__strdup(final_path);
    /* ".NAME.XXXXXX.part" must fit in NAME_MAX (255) even for a 255-byte NAME: cut the copy. */
    of->tmp_path = pol__asprintf("%.*s.%.200s.XXXXXX.part", (int)dir_len, final_path, base);
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

void pol__out_abort(pol__outfile *of)
{
    if (!of) return;
    if (of->fp) fclose(of->fp);
    if (of->tmp_path && (of->fp || of->fd >= 0)) unlink(of->tmp_path);
    free(of->tmp_path);
    free(of->final_path);
    memset(of, 0, sizeof *of);
    of->fd = -1;
}

/* Flush, fsync (when asked), close: every error checked, the temporary removed on failure. */
static pol_status finish(pol_run *run, pol__outfile *of)
{
    if (!of->fp) return pol__fail(run, POL_ERR_INTERNAL, "output file not open");
    int bad = ferror(of->fp);
    int e = bad ? errno : 0;
    if (fflush(of->fp) != 0) {
        bad = 1;
        e = errno;
    }
    if (!bad && run && run->opt && run->opt->fsync && fsync(of->fd) != 0) {
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
        pol_status st = pol__fail(run, POL_ERR_IO,
                                  "writing %s failed: %s", of->final_path,
                                  e ? strerror(e) : "write error");
        pol__out_abort(of);
        return st;
    }
    return POL_OK;
}

static void fsync_dir_of(const char *path)
{
    const char *base = pol__path_base(path);
    char *dir = base > path ? pol__strndup(path, (size_t)(base - path)) : pol__strdup(".");
    if (!dir) return;
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd >= 0) {
        fsync(fd);
        close(fd);
    }
    free(dir);
}

/* Moves a finished temporary into place. *created says the final name did not exist before (so
 * undoing is removing it). The temporary is gone afterwards either way. */
/* With --overwrite, a second name for the file about to be replaced (".NAME.XXXXXX.old", a hard
 * link), so a failure later in the item can put the old content back. NULL when the file system
 * has no hard links (then only new files can be undone). */
static char *keep_old(const char *final)
{
    const char *base = pol__path_base(final);
    char *bak = pol__asprintf("%.*s.%.200s.XXXXXX.old", (int)(base - final), final, base);
    if (!bak) return NULL;
    for (int tries = 0; tries < 8; tries++) {
        strcpy(bak + strlen(bak) - 10, "XXXXXX.old");
        int fd = mkstemps(bak, 4);
        if (fd < 0) break;
        close(fd);
        unlink(bak);
        if (link(final, bak) == 0) return bak;
        if (errno != EEXIST) break;
    }
    free(bak);
    return NULL;
}

static pol_status place(pol_run *run, const char *tmp, const char *final, int *created,
                        char **backup)
{
    int overwrite = run && run->opt && run->opt->overwrite;
    struct stat st;
    *created = lstat(final, &st) != 0;
    if (backup) *backup = NULL;
    if (!*created && stat(final, &st) == 0 && is_input(run ? run->gate : NULL, st.st_dev, st.st_ino)) {
        unlink(tmp);
        return pol__fail(run, POL_ERR_REFUSED, "refusing to write %s: it is an input of this batch",
                         final);
    }
    int rc;
    if (overwrite) {
        if (backup && !*created && S_ISREG(st.st_mode)) *backup = keep_old(final);
        rc = rename(tmp, final);
    } else {
        /* link() refuses an existing target atomically, so two workers never clobber each other. */
        rc = link(tmp, final);
        if (rc == 0)
            unlink(tmp);
        else if (errno == EPERM || errno == ENOTSUP || errno == EXDEV) {
            if (lstat(final, &st) == 0)
                errno = EEXIST;
            else
                rc = rename(tmp, final);
        }
    }
    if (rc != 0) {
        int err = errno;
        unlink(tmp);
        *created = 0;
        if (backup && *backup) { /* nothing was replaced */
            unlink(*backup);
            free(*backup);
            *backup = NULL;
        }
        return err == EEXIST
                   ? pol__fail(run, POL_ERR_EXISTS, "output %s exists (use --overwrite to replace it)",
                               final)
                   : pol__fail(run, POL_ERR_IO, "cannot move output into place at %s: %s", final,
                               strerror(err));
    }
    if (run && run->opt && run->opt->fsync) fsync_dir_of(final);
    if (run && run->item) pol__jv_push(pol__jv_arr_at(run->item, "outputs"), pol__jv_str(final));
    return POL_OK;
}

typedef struct pending_file {
    char *tmp, *final;
} pending_file;

struct pol__pending {
    pthread_mutex_t mu;
    pending_file *v;
    size_t n, cap;
    uint64_t mem;        /* reserved by this item (pol__mem_reserve) */
    pol__gate *mem_gate; /* where it was reserved */
    double mem_wait;     /* seconds spent waiting for other items to give memory back */
};

static void fmt_bytes(char *buf, size_t n, uint64_t b)
{
    if (b >= (1ull << 30))
        snprintf(buf, n, "%.1f GiB", (double)b / (double)(1ull << 30));
    else if (b >= (1ull << 20))
        snprintf(buf, n, "%.1f MiB", (double)b / (double)(1ull << 20));
    else if (b >= 1024)
        snprintf(buf, n, "%.1f KiB", (double)b / 1024.0);
    else
        snprintf(buf, n, "%llu bytes", (unsigned long long)b);
}

pol_status pol__mem_reserve(pol_run *run, uint64_t bytes, const char *what)
{
    uint64_t limit = run && run->opt ? run->opt->limits.max_memory : 0;
    if (!limit) return POL_OK;
    pol__pending *p = run->pending;
    uint64_t mine = p ? p->mem : 0;
    if (bytes > limit || mine + bytes > limit) {
        char need[32], lim[32];
        fmt_bytes(need, sizeof need, mine + bytes);
        fmt_bytes(lim, sizeof lim, limit);
        return pol__fail(run, POL_ERR_LIMIT,
                         "%s needs about %s of memory, over the limit of %s (--limit memory=N)",
                         what, need, lim);
    }
    pol__gate *g = run->gate;
    if (!g || !p) return POL_OK;
    pthread_mutex_lock(&g->mu);
    /* Only an item that holds nothing waits, so two items can never wait for each other. */
    double t0 = pol__now(), waited = 0;
    while (!mine && g->mem_used && g->mem_used + bytes > limit) {
        pthread_cond_wait(&g->mem_cv, &g->mu);
        waited = pol__now() - t0;
    }
    g->mem_used += bytes;
    pthread_mutex_unlock(&g->mu);
    pthread_mutex_lock(&p->mu);
    p->mem += bytes;
    p->mem_wait += waited;
    p->mem_gate = g;
    pthread_mutex_unlock(&p->mu);
    return POL_OK;
}

pol__pending *pol__pending_new(void)
{
    pol__pending *p = calloc(1, sizeof *p);
    if (p) pthread_mutex_init(&p->mu, NULL);
    return p;
}

pol_status pol__out_commit(pol_run *run, pol__outfile *of)
{
    pol_status st = finish(run, of);
    if (st) return st;
    pol__pending *p = run ? run->pending : NULL;
    if (p) {
        pthread_mutex_lock(&p->mu);
        if (POL_GROW(p->v, p->cap, p->n + 1, 4)) {
            pthread_mutex_unlock(&p->mu);
            unlink(of->tmp_path);
            pol__out_abort(of);
            return pol__fail(run, POL_ERR_NOMEM, "out of memory");
        }
        p->v[p->n++] = (pending_file){of->tmp_path, of->final_path};
        pthread_mutex_unlock(&p->mu);
    } else {
        int created;
        st = place(run, of->tmp_path, of->final_path, &created, NULL);
        free(of->tmp_path);
        free(of->final_path);
    }
    memset(of, 0, sizeof *of);
    of->fd = -1;
    return st;
}

pol_status pol__pending_settle(pol_run *run, pol__pending *p, pol_status st)
{
    if (!p) return st;
    size_t placed = 0;
    int *created = calloc(p->n ? p->n : 1, sizeof *created);
    char **old = calloc(p->n ? p->n : 1, sizeof *old);
    if ((!created || !old) && !st) st = pol__fail(run, POL_ERR_NOMEM, "out of memory");
    for (size_t i = 0; !st && i < p->n; i++) {
        st = place(run, p->v[i].tmp, p->v[i].final, &created[i], p->n > 1 ? &old[i] : NULL);
        if (!st) placed = i + 1;
    }
    if (st) {
        /* All or none: remove the temporaries not moved and the outputs this item created, and put
         * back what --overwrite replaced. */
        for (size_t i = placed; i < p->n; i++) unlink(p->v[i].tmp);
        for (size_t i = 0; i < placed; i++) {
            if (created[i])
                unlink(p->v[i].final);
            else if (old && old[i] && rename(old[i], p->v[i].final) != 0)
                pol__warn(run, "could not put back the earlier %s (kept as %s)", p->v[i].final,
                          old[i]);
        }
        if (placed && run && run->item) pol__jv_set(run->item, "outputs", pol__jv_arr());
    } else {
        for (size_t i = 0; old && i < p->n; i++)
            if (old[i]) unlink(old[i]);
    }
    for (size_t i = 0; old && i < p->n; i++) free(old[i]);
    free(old);
    for (size_t i = 0; i < p->n; i++) {
        free(p->v[i].tmp);
        free(p->v[i].final);
    }
    if (p->mem && run && run->item) {
        pol__jv *m = pol__jv_obj_at(run->item, "memory");
        pol__jv_set(m, "reserved_bytes", pol__jv_int((long long)p->mem));
        pol__jv_set(m, "waited_seconds", pol__jv_num(p->mem_wait));
    }
    if (p->mem_gate) {
        pthread_mutex_lock(&p->mem_gate->mu);
        p->mem_gate->mem_used -= p->mem;
        pthread_cond_broadcast(&p->mem_gate->mem_cv);
        pthread_mutex_unlock(&p->mem_gate->mu);
    }
    free(created);
    free(p->v);
    pthread_mutex_destroy(&p->mu);
    free(p);
    return st;
}

/* ".NAME.XXXXXX.part" as made by pol__out_open(), or ".NAME.XXXXXX.old" kept by place(). */
static int is_stale_temp(const char *name)
{
    size_t n = strlen(name);
    size_t sfx = n >= 4 && !strcmp(name + n - 4, ".old") ? 4 : 5;
    if (name[0] != '.' || n < 9 + sfx || (sfx == 5 && strcmp(name + n - 5, ".part") != 0)) return 0;
    if (name[n - sfx - 7] != '.') return 0;
    for (size_t i = n - sfx - 6; i < n - sfx; i++)
        if (!((name[i] >= 'a' && name[i] <= 'z') || (name[i] >= 'A' && name[i] <= 'Z') ||
              (name[i] >= '0' && name[i] <= '9')))
            return 0;
    return 1;
}

static size_t remove_stale(const char *dir, int depth)
{
    if (depth > 64) return 0;
    DIR *d = opendir(dir);
    if (!d) return 0;
    size_t removed = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
        char *full = pol__asprintf("%s/%s", dir, e->d_name);
        if (!full) break;
        struct stat st;
        if (lstat(full, &st) == 0) {
            if (S_ISDIR(st.st_mode))
                removed += remove_stale(full, depth + 1);
            else if (S_ISREG(st.st_mode) && is_stale_temp(e->d_name) && unlink(full) == 0)
                removed++;
        }
        free(full);
    }
    closedir(d);
    return removed;
}

size_t pol__out_remove_stale(const char *dir)
{
    return dir ? remove_stale(dir, 0) : 0;
}

pol_status pol__write_file(pol_run *run, const char *path, const void *data, size_t len)
{
    pol__outfile of;
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
