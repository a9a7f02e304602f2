/* polish — a batch's inputs: files and folders expanded into items, each recognised by content.
 * Nothing here may block or loop: FIFOs and devices are never opened for reading, folders are
 * tracked by device and inode, depth is bounded, and what is left out is said. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>
#include "core/inputs.h"
#include "core/sequence.h"

#define MAX_DEPTH 64

static int add_id(pol__inputs *in, dev_t dev, ino_t ino)
{
    if (in->n_ids == in->cap_ids) {
        size_t cap = in->cap_ids ? in->cap_ids * 2 : 64;
        pol__fileid *v = realloc(in->ids, cap * sizeof *v);
        if (!v) return 0;
        in->ids = v;
        in->cap_ids = cap;
    }
    in->ids[in->n_ids++] = (pol__fileid){dev, ino};
    return 1;
}

static int has_id(const pol__fileid *v, size_t n, dev_t dev, ino_t ino)
{
    for (size_t i = 0; i < n; i++)
        if (v[i].dev == dev && v[i].ino == ino) return 1;
    return 0;
}

static int cmp_id(const void *a, const void *b)
{
    const pol__fileid *x = a, *y = b;
    if (x->dev != y->dev) return x->dev < y->dev ? -1 : 1;
    if (x->ino != y->ino) return x->ino < y->ino ? -1 : 1;
    return 0;
}

int pol__inputs_has(const pol__inputs *in, dev_t dev, ino_t ino)
{
    pol__fileid key = {dev, ino};
    return in && in->n_ids && bsearch(&key, in->ids, in->n_ids, sizeof key, cmp_id) != NULL;
}

static int add_item(pol__inputs *in, const char *path, const char *rel, int named)
{
    if (POL_GROW(in->v, in->cap, in->n + 1, 64)) return 0;
    pol__input *x = &in->v[in->n];
    x->path = pol__strdup(path);
    x->rel = pol__strdup(rel);
    x->named = named;
    if (!x->path || !x->rel) {
        free(x->path);
        free(x->rel);
        return 0;
    }
    in->n++;
    return 1;
}

static int note(pol__inputs *in, const char *path, const char *reason)
{
    pol__jv *o = pol__jv_obj();
    if (!o) return 0;
    pol__jv_set(o, "path", pol__jv_str(path));
    pol__jv_set(o, "reason", pol__jv_str(reason));
    pol__jv_push(in->skipped, o);
    return 1;
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

static int is_texty(const unsigned char *h, size_t n)
{
    size_t bad = 0;
    for (size_t i = 0; i < n; i++)
        if (h[i] == 0 || (h[i] < 0x20 && h[i] != '\n' && h[i] != '\r' && h[i] != '\t')) bad++;
    return n && bad * 100 < n;
}

/* The domain an extension names. Several domains may claim one (.csv: records, forecast): then
 * `prefer` (the domain the content was recognised as) when it is one of them, else the first. */
static const pol__domain *domain_of_ext(const char *path, const pol__domain *prefer)
{
    const char *ext = pol__path_ext(path);
    if (!*ext) return NULL;
    for (const char *const *e = prefer ? prefer->extensions : NULL; e && *e; e++)
        if (strcasecmp(*e, ext) == 0) return prefer;
    for (size_t i = 0; i < pol__n_domains; i++)
        for (const char *const *e = pol__domains[i]->extensions; e && *e; e++)
            if (strcasecmp(*e, ext) == 0) return pol__domains[i];
    return NULL;
}

static const pol__domain *sniff_all(const unsigned char *head, size_t n, const char *path)
{
    const pol__domain *best = NULL;
    int best_score = 0;
    for (size_t i = 0; i < pol__n_domains; i++) {
        const pol__domain *d = pol__domains[i];
        int s = d->sniff ? d->sniff(head, n, path) : 0;
        if (s > best_score) {
            best_score = s;
            best = d;
        }
    }
    return best;
}

/* Opens without blocking (O_NONBLOCK: a FIFO with no writer would wait forever), checks the type on
 * the open descriptor, then reads the head. Returns the descriptor's fstat in *st. -1 and errno on
 * failure; -2 when it is not a regular file (st says what it is). */
static ssize_t read_head(const char *path, unsigned char *head, size_t cap, struct stat *st)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
    if (fd < 0) return -1;
    if (fstat(fd, st) != 0) {
        int e = errno;
        close(fd);
        errno = e;
        return -1;
    }
    if (!S_ISREG(st->st_mode)) {
        close(fd);
        return -2;
    }
    ssize_t got = 0;
    while (got < (ssize_t)cap) {
        ssize_t r = read(fd, head + got, cap - (size_t)got);
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) break;
        got += r;
    }
    close(fd);
    return got;
}

/* A file found in a folder: taken when some domain (the wanted one, if any) will claim it. Files
 * that are nobody's (README, Thumbs.db) are left out with a note; a file whose extension claims a
 * domain is taken even when its content disagrees, so the damage is reported. */
static int consider_file(pol__inputs *in, const char *full, const char *rel, const pol__domain *want)
{
    unsigned char head[4096];
    struct stat st;
    ssize_t got = read_head(full, head, sizeof head, &st);
    if (got == -2) return note(in, full, kind_of(st.st_mode));
    if (got < 0) return add_item(in, full, rel, 0); /* unreadable: reported when processed */
    const pol__domain *best = got > 0 ? sniff_all(head, (size_t)got, full) : NULL;
    const pol__domain *by_ext = domain_of_ext(full, best);
    if (!best && !by_ext) return note(in, full, "not a format polish reads");
    if (want && !by_ext && best != want) {
        char *why = pol__asprintf("%s data; this pipeline is for %s", best->name, want->name);
        int ok = why && note(in, full, why);
        free(why);
        return ok;
    }
    if (want && by_ext && by_ext != want && best == by_ext) {
        char *why = pol__asprintf("%s data; this pipeline is for %s", best->name, want->name);
        int ok = why && note(in, full, why);
        free(why);
        return ok;
    }
    if (!add_id(in, st.st_dev, st.st_ino)) return 0;
    return add_item(in, full, rel, 0);
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

typedef struct walk_ctx {
    pol__inputs *in;
    const pol__domain *want;
    int have_out;
    dev_t out_dev;
    ino_t out_ino;
    pol__fileid *seen; /* folders walked */
    size_t n_seen, cap_seen;
} walk_ctx;

static int walk(walk_ctx *w, const char *dir, const char *rel_prefix, int depth)
{
    pol__inputs *in = w->in;
    struct stat dst;
    if (stat(dir, &dst) != 0) return add_item(in, dir, rel_prefix, 0);
    if (w->have_out && dst.st_dev == w->out_dev && dst.st_ino == w->out_ino)
        return note(in, dir, "the output folder (never read as input)");
    if (has_id(w->seen, w->n_seen, dst.st_dev, dst.st_ino))
        return note(in, dir, "a folder already walked (a link back to it)");
    if (depth > MAX_DEPTH) return note(in, dir, "more than 64 folders deep (not walked)");
    if (w->n_seen == w->cap_seen) {
        size_t cap = w->cap_seen ? w->cap_seen * 2 : 64;
        pol__fileid *v = realloc(w->seen, cap * sizeof *v);
        if (!v) return 0;
        w->seen = v;
        w->cap_seen = cap;
    }
    w->seen[w->n_seen++] = (pol__fileid){dst.st_dev, dst.st_ino};
    if (!add_id(in, dst.st_dev, dst.st_ino)) return 0;
    DIR *d = opendir(dir);
    if (!d) return add_item(in, dir, rel_prefix[0] ? rel_prefix : pol__path_base(dir), 0);
    char **names = NULL;
    size_t n = 0, cap = 0;
    struct dirent *e;
    int ok = 1;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.') continue;
        if (POL_GROW(names, cap, n + 1, 64)) {
            ok = 0;
            break;
        }
        if (!(names[n] = pol__strdup(e->d_name))) {
            ok = 0;
            break;
        }
        n++;
    }
    closedir(d);
    if (n) qsort(names, n, sizeof *names, cmp_str);
    for (size_t i = 0; i < n && ok; i++) {
        char *full = pol__asprintf("%s/%s", dir, names[i]);
        char *rel =
            rel_prefix[0] ? pol__asprintf("%s/%s", rel_prefix, names[i]) : pol__strdup(names[i]);
        struct stat st;
        if (!full || !rel)
            ok = 0;
        else if (stat(full, &st) != 0)
            ok = note(in, full, "cannot be read (a broken link?)");
        else if (S_ISDIR(st.st_mode))
            ok = walk(w, full, rel, depth + 1);
        else if (!S_ISREG(st.st_mode))
            ok = note(in, full, kind_of(st.st_mode));
        else
            ok = consider_file(in, full, rel, w->want);
        free(full);
        free(rel);
    }
    for (size_t i = 0; i < n; i++) free(names[i]);
    free(names);
    return ok;
}

pol_status pol__inputs_collect(pol__inputs *in, const char *const *paths, size_t n,
                               const char *outdir, const pol__domain *want, pol_err *err)
{
    memset(in, 0, sizeof *in);
    in->skipped = pol__jv_arr();
    if (!in->skipped) return pol__err_set(err, POL_ERR_NOMEM, "out of memory listing the inputs");
    walk_ctx w = {.in = in, .want = want};
    struct stat ost;
    if (outdir && *outdir && stat(outdir, &ost) == 0 && S_ISDIR(ost.st_mode)) {
        w.have_out = 1;
        w.out_dev = ost.st_dev;
        w.out_ino = ost.st_ino;
    }
    int ok = 1;
    for (size_t i = 0; i < n && ok; i++) {
        struct stat st;
        if (stat(paths[i], &st) == 0 && S_ISDIR(st.st_mode)) {
            /* "photos/" -> "photos" so joined paths read well */
            char *dir = pol__strdup(paths[i]);
            if (!dir) {
                ok = 0;
                break;
            }
            size_t len = strlen(dir);
            while (len > 1 && dir[len - 1] == '/') dir[--len] = '\0';
            ok = walk(&w, dir, "", 0);
            free(dir);
        } else if (stat(paths[i], &st) != 0 && pol_path_is_frame_pattern(paths[i])) {
            /* "shot.####.exr": the frames it names, in frame order */
            char **fp = NULL;
            size_t nf = 0;
            pol_status st2 = pol__frame_expand(paths[i], &fp, &nf, err);
            for (size_t k = 0; k < nf; k++) {
                struct stat fst;
                if (ok && stat(fp[k], &fst) == 0 && !add_id(in, fst.st_dev, fst.st_ino)) ok = 0;
                if (ok) ok = add_item(in, fp[k], pol__path_base(fp[k]), 1);
                free(fp[k]);
            }
            free(fp);
            if (st2) {
                free(w.seen);
                pol__inputs_free(in);
                return st2;
            }
        } else {
            if (stat(paths[i], &st) == 0 && !add_id(in, st.st_dev, st.st_ino)) ok = 0;
            if (ok) ok = add_item(in, paths[i], pol__path_base(paths[i]), 1);
        }
    }
    free(w.seen);
    if (in->n_ids) qsort(in->ids, in->n_ids, sizeof *in->ids, cmp_id);
    if (!ok) {
        pol__inputs_free(in);
        return pol__err_set(err, POL_ERR_NOMEM, "out of memory listing the inputs");
    }
    return POL_OK;
}

void pol__inputs_free(pol__inputs *in)
{
    if (!in) return;
    for (size_t i = 0; i < in->n; i++) {
        free(in->v[i].path);
        free(in->v[i].rel);
    }
    free(in->v);
    free(in->ids);
    pol__jv_free(in->skipped);
    memset(in, 0, sizeof *in);
}

const pol__domain *pol__sniff_domain(const char *path)
{
    unsigned char head[4096];
    struct stat st;
    ssize_t got = read_head(path, head, sizeof head, &st);
    const pol__domain *best = got > 0 ? sniff_all(head, (size_t)got, path) : NULL;
    const pol__domain *by_ext = domain_of_ext(path, best);
    return best ? best : by_ext;
}

pol_status pol__recognise(pol_run *run, const char *path, const pol__domain *want,
                          const pol__domain **out)
{
    *out = NULL;
    unsigned char head[4096];
    struct stat st;
    ssize_t got = read_head(path, head, sizeof head, &st);
    if (got == -2)
        return pol__fail(run, POL_ERR_IO, "not a regular file (%s)", kind_of(st.st_mode));
    if (got < 0) {
        int e = errno;
        return pol__fail(run, e == ENOENT ? POL_ERR_NOT_FOUND : POL_ERR_IO, "cannot open: %s",
                         strerror(e));
    }
    if (st.st_size == 0) return pol__fail(run, POL_ERR_EMPTY, "the file is empty (0 bytes)");
    uint64_t max = run->opt->limits.max_bytes;
    if (max && (uint64_t)st.st_size > max)
        return pol__fail(run, POL_ERR_LIMIT,
                         "%lld bytes is over the limit of %llu bytes "
                         "(--limit bytes=N)",
                         (long long)st.st_size, (unsigned long long)max);
    const pol__domain *best = sniff_all(head, (size_t)got, path);
    const pol__domain *by_ext = domain_of_ext(path, best);
    const char *ext = pol__path_ext(path);
    if (!best) {
        if (by_ext)
            return pol__fail(run, POL_ERR_FORMAT, "named .%s but the content is not %s data%s", ext,
                             by_ext->name, is_texty(head, (size_t)got) ? " (it is text)" : "");
        return pol__fail(run, POL_ERR_FORMAT, "not a recognised format%s",
                         is_texty(head, (size_t)got) ? " (it is text)" : "");
    }
    /* An op of one domain named a file that domain also reads (records standardise on a CSV of
     * places with lat/lon columns, which track would take): the op's domain has it. */
    if (want && best != want && want->sniff && want->sniff(head, (size_t)got, path) > 0 &&
        (!by_ext || domain_of_ext(path, want) == want)) {
        *out = want;
        return POL_OK;
    }
    if (by_ext && by_ext != best)
        return pol__fail(run, POL_ERR_FORMAT, "named .%s but the content is %s data, not %s", ext,
                         best->name, by_ext->name);
    if (want && best != want)
        return pol__fail(run, POL_ERR_FORMAT, "the content is %s data; this pipeline is for %s",
                         best->name, want->name);
    *out = best;
    return POL_OK;
}
