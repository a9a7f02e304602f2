/* polish — watching an inbox: each file, once complete (size and mtime steady over several
 * scans), is recorded in the catalog, ingested, rendered and delivered; a restart resumes from the
 * catalog without redoing or losing a file. */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include "core/internal.h"
#include "workspace/ws.h"

typedef struct seen {
    char *rel;
    int64_t size, mtime_ns, ino;
    int count;  /* scans in a row with this size and mtime */
    int handled; /* done, failed or already in the catalog */
    int present; /* found in this scan */
} seen;

typedef struct watcher {
    pol_workspace *w;
    const pol_watch_spec *spec;
    char *inbox, *outdir;
    dev_t out_dev, meta_dev;
    ino_t out_ino, meta_ino;
    seen *v;
    size_t n, cap;
} watcher;

static seen *find_seen(watcher *x, const char *rel)
{
    for (size_t i = 0; i < x->n; i++)
        if (!strcmp(x->v[i].rel, rel)) return &x->v[i];
    return NULL;
}

static int64_t mtime_ns(const struct stat *st)
{
    return (int64_t)st->st_mtim.tv_sec * 1000000000 + st->st_mtim.tv_nsec;
}

static void scan(watcher *x, const char *rel, int depth)
{
    if (depth > 64) return;
    char *dir = *rel ? ws_fmt("%s/%s", x->inbox, rel) : strdup(x->inbox);
    DIR *d = dir ? opendir(dir) : NULL;
    struct dirent *e;
    while (d && (e = readdir(d))) {
        if (e->d_name[0] == '.') continue; /* hidden: a writer's temporary, .polish */
        char *sub = *rel ? ws_fmt("%s/%s", rel, e->d_name) : strdup(e->d_name);
        char *full = ws_fmt("%s/%s", dir, e->d_name);
        struct stat st;
        if (sub && full && stat(full, &st) == 0) {
            if (S_ISDIR(st.st_mode)) {
                int skip = (st.st_dev == x->out_dev && st.st_ino == x->out_ino) ||
                           (st.st_dev == x->meta_dev && st.st_ino == x->meta_ino);
                if (!skip) scan(x, sub, depth + 1);
            } else if (S_ISREG(st.st_mode)) {
                seen *s = find_seen(x, sub);
                if (!s) {
                    if (POL_GROW(x->v, x->cap, x->n + 1, 16)) goto next;
                    s = &x->v[x->n++];
                    memset(s, 0, sizeof *s);
                    s->rel = sub;
                    sub = NULL;
                    s->count = 0;
                }
                if (s->size == (int64_t)st.st_size && s->mtime_ns == mtime_ns(&st) &&
                    s->ino == (int64_t)st.st_ino && s->count) {
                    s->count++;
                } else {
                    s->size = (int64_t)st.st_size;
                    s->mtime_ns = mtime_ns(&st);
                    s->ino = (int64_t)st.st_ino;
                    s->count = 1;
                    s->handled = 0;
                }
                s->present = 1;
            }
        }
    next:
        free(sub);
        free(full);
    }
    if (d) closedir(d);
    free(dir);
}

/* The catalog's record of this file in this state: its row id, state and item (0 when none). */
static int64_t lookup(watcher *x, const seen *s, char state[16], int64_t *item)
{
    sqlite3_stmt *q;
    pol_err err;
    int64_t id = 0;
    state[0] = '\0';
    *item = 0;
    if (ws_prepare(x->w,
                   "SELECT id, state, item FROM watch WHERE inbox = ? AND rel = ? AND size = ? AND "
                   "mtime_ns = ? AND ino = ?",
                   &q, &err))
        return 0;
    sqlite3_bind_text(q, 1, x->inbox, -1, SQLITE_STATIC);
    sqlite3_bind_text(q, 2, s->rel, -1, SQLITE_STATIC);
    sqlite3_bind_int64(q, 3, s->size);
    sqlite3_bind_int64(q, 4, s->mtime_ns);
    sqlite3_bind_int64(q, 5, s->ino);
    if (sqlite3_step(q) == SQLITE_ROW) {
        id = sqlite3_column_int64(q, 0);
        snprintf(state, 16, "%s", (const char *)sqlite3_column_text(q, 1));
        *item = sqlite3_column_int64(q, 2);
    }
    sqlite3_finalize(q);
    return id;
}

static void set_state(watcher *x, int64_t row, const char *state, int64_t item, const char *error)
{
    sqlite3_stmt *q;
    pol_err err;
    if (ws_prepare(x->w,
                   "UPDATE watch SET state = ?, item = CASE WHEN ? > 0 THEN ? ELSE item END, "
                   "error = ?, time = ? WHERE id = ?",
                   &q, &err))
        return;
    sqlite3_bind_text(q, 1, state, -1, SQLITE_STATIC);
    sqlite3_bind_int64(q, 2, item);
    sqlite3_bind_int64(q, 3, item);
    if (error) sqlite3_bind_text(q, 4, error, -1, SQLITE_STATIC);
    sqlite3_bind_double(q, 5, ws_now());
    sqlite3_bind_int64(q, 6, row);
    sqlite3_step(q);
    sqlite3_finalize(q);
}

/* OUT/[<target>/]<subdir>/<name>, the item's name's stem replaced by this file's (the same
 * content dropped twice under two names is one item, delivered under both names). */
static char *dest_of(watcher *x, const char *out_path, const char *target, const char *item_name,
                     const char *rel)
{
    const char *p = !strncmp(out_path, "out/", 4) ? out_path + 4 : out_path;
    size_t tl = target ? strlen(target) : 0;
    if (target && !strncmp(p, target, tl) && p[tl] == '/') p += tl + 1;
    const char *rslash = strrchr(rel, '/');
    const char *rbase = rslash ? rslash + 1 : rel;
    const char *idot = strrchr(item_name, '.'), *rdot = strrchr(rbase, '.');
    size_t istem = idot && idot != item_name ? (size_t)(idot - item_name) : strlen(item_name);
    size_t rstem = rdot && rdot != rbase ? (size_t)(rdot - rbase) : strlen(rbase);
    const char *pslash = strrchr(p, '/');
    const char *pbase = pslash ? pslash + 1 : p;
    char *base;
    if (!strncmp(pbase, item_name, istem) && (pbase[istem] == '.' || !pbase[istem]))
        base = ws_fmt("%.*s%s", (int)rstem, rbase, pbase + istem);
    else
        base = strdup(pbase);
    char *d = ws_fmt("%s/%s%s%.*s%s%.*s%s%s", x->outdir, target ? target : "", target ? "/" : "",
                     rslash ? (int)(rslash - rel) : 0, rel, rslash ? "/" : "",
                     pslash ? (int)(pslash - p) : 0, p, pslash ? "/" : "", base ? base : pbase);
    free(base);
    return d;
}

static pol_status deliver(watcher *x, int64_t item, const char *rel, pol_err *err)
{
    int64_t ver;
    ws_version v;
    pol_status s = ws_current(x->w, item, &ver, err);
    if (s || (s = ws_load_version(x->w, ver, &v, err))) return s;
    char *name = NULL;
    sqlite3_stmt *q;
    if (!ws_prepare(x->w, "SELECT name FROM items WHERE id = ?", &q, err)) {
        sqlite3_bind_int64(q, 1, item);
        if (sqlite3_step(q) == SQLITE_ROW) name = strdup((const char *)sqlite3_column_text(q, 0));
        sqlite3_finalize(q);
    }
    if (!name || !v.render) {
        free(name);
        ws_version_free(&v);
        return ws_fail(err, POL_ERR_INTERNAL, "item %lld: no render to deliver", (long long)item);
    }
    if ((s = ws_prepare(x->w, "SELECT path, target, sha256 FROM outputs WHERE render = ? ORDER BY "
                              "path",
                        &q, err)) == POL_OK) {
        sqlite3_bind_text(q, 1, v.render, -1, SQLITE_STATIC);
        while (!s && sqlite3_step(q) == SQLITE_ROW) {
            const char *path = (const char *)sqlite3_column_text(q, 0);
            const char *target = (const char *)sqlite3_column_text(q, 1);
            char *src = ws_fmt("%s/renders/%s/%s", x->w->meta, v.render, path);
            char *dst = dest_of(x, path, target, name, rel);
            s = src && dst ? ws_deliver_file(src, (const char *)sqlite3_column_text(q, 2), dst, err)
                           : ws_fail(err, POL_ERR_NOMEM, "out of memory");
            free(src);
            free(dst);
        }
        sqlite3_finalize(q);
    }
    free(name);
    ws_version_free(&v);
    return s;
}

static void emit(watcher *x, pol_watch_event ev, const char *rel, int64_t item, const char *msg)
{
    if (!x->spec->on_event) return;
    char *full = ws_fmt("%s/%s", x->inbox, rel);
    x->spec->on_event(ev, full ? full : rel, item, msg, x->spec->user);
    free(full);
}

/* One complete file: recorded, ingested, rendered, delivered; each step's result kept, so a
 * restart goes on from the last one (the store and the render cache make the others free). */
static pol_status handle(watcher *x, seen *s)
{
    char state[16];
    int64_t item = 0;
    int64_t row = lookup(x, s, state, &item);
    if (row && (!strcmp(state, "done") || !strcmp(state, "failed"))) {
        if (!strcmp(state, "done")) emit(x, POL_WATCH_KNOWN, s->rel, item, NULL);
        s->handled = 1;
        return POL_OK;
    }
    pol_err err;
    if (!row) {
        sqlite3_stmt *q;
        if (ws_prepare(x->w,
                       "INSERT OR IGNORE INTO watch(inbox, rel, size, mtime_ns, ino, state, time) "
                       "VALUES(?,?,?,?,?,'seen',?)",
                       &q, &err))
            return err.code;
        sqlite3_bind_text(q, 1, x->inbox, -1, SQLITE_STATIC);
        sqlite3_bind_text(q, 2, s->rel, -1, SQLITE_STATIC);
        sqlite3_bind_int64(q, 3, s->size);
        sqlite3_bind_int64(q, 4, s->mtime_ns);
        sqlite3_bind_int64(q, 5, s->ino);
        sqlite3_bind_double(q, 6, ws_now());
        int rc = sqlite3_step(q);
        sqlite3_finalize(q);
        if (rc != SQLITE_DONE) return ws_db_error(x->w, &err, "watch");
        row = lookup(x, s, state, &item);
        if (!row) return POL_ERR_INTERNAL;
    }
    char *full = ws_fmt("%s/%s", x->inbox, s->rel);
    if (!full) return POL_ERR_NOMEM;
    pol_status st = POL_OK;
    if (!item) {
        st = pol_workspace_add(x->w, full, NULL, &item, &err);
        if (st == POL_OK) set_state(x, row, "ingested", item, NULL);
    }
    if (!st) st = pol_workspace_fix(x->w, item, x->spec->recipe_text, x->spec->options, NULL, NULL,
                                    &err);
    if (!st) st = deliver(x, item, s->rel, &err);
    free(full);
    if (st == POL_ERR_CANCELLED) return st; /* left as it is: the next start finishes it */
    if (st) {
        set_state(x, row, "failed", item, err.msg);
        emit(x, POL_WATCH_FAILED, s->rel, item, err.msg);
    } else {
        set_state(x, row, "done", item, NULL);
        emit(x, POL_WATCH_DONE, s->rel, item, NULL);
    }
    s->handled = 1;
    return POL_OK;
}

static void nap(double seconds)
{
    for (double left = seconds; left > 0 && !pol_cancelled(); left -= 0.05) {
        struct timespec ts = {0, 50 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
}

pol_status pol_workspace_watch(pol_workspace *w, const pol_watch_spec *spec, pol_err *err)
{
    pol_err_clear(err);
    if (!w || !spec || !spec->inbox || !spec->outdir)
        return ws_fail(err, POL_ERR_ARG, "watch: an inbox and an output folder are needed");
    watcher x = {.w = w, .spec = spec};
    char buf[PATH_MAX];
    struct stat st;
    if (!realpath(spec->inbox, buf) || stat(buf, &st) != 0 || !S_ISDIR(st.st_mode))
        return ws_fail(err, POL_ERR_NOT_FOUND, "%s: not a folder to watch", spec->inbox);
    if (spec->recipe_text) {
        pol_pipeline *p = NULL;
        if (pol_pipeline_parse_recipe(spec->recipe_text, strlen(spec->recipe_text), "recipe", &p,
                                      err))
            return err->code;
        pol_pipeline_free(p);
    }
    x.inbox = strdup(buf);
    if (ws_mkdir_p(spec->outdir) != 0 || !realpath(spec->outdir, buf) || stat(buf, &st) != 0) {
        free(x.inbox);
        return ws_fail(err, POL_ERR_IO, "%s: cannot make the folder: %s", spec->outdir,
                       strerror(errno));
    }
    x.outdir = strdup(buf);
    x.out_dev = st.st_dev;
    x.out_ino = st.st_ino;
    if (stat(w->meta, &st) == 0) {
        x.meta_dev = st.st_dev;
        x.meta_ino = st.st_ino;
    }
    double interval = spec->interval > 0 ? spec->interval : 1.0;
    int settle = spec->settle >= 2 ? spec->settle : 2;
    pol_status s = POL_OK;
    while (!s) {
        if (pol_cancelled()) {
            s = ws_fail(err, POL_ERR_CANCELLED, "watch %s: stopped", x.inbox);
            break;
        }
        for (size_t i = 0; i < x.n; i++) x.v[i].present = 0;
        scan(&x, "", 0);
        size_t waiting = 0;
        for (size_t i = 0; i < x.n && !s; i++) {
            seen *f = &x.v[i];
            if (!f->present || f->handled) continue;
            if (f->count < settle) {
                waiting++;
                continue;
            }
            s = handle(&x, f);
            if (s == POL_ERR_CANCELLED)
                ws_fail(err, s, "watch %s: stopped", x.inbox);
            else if (s)
                ws_fail(err, s, "watch %s: the catalog: %s", x.inbox, sqlite3_errmsg(w->db));
        }
        for (size_t i = 0; i < x.n;) { /* forget what was removed from the inbox */
            if (x.v[i].present) {
                i++;
                continue;
            }
            free(x.v[i].rel);
            x.v[i] = x.v[--x.n];
        }
        if (s || (spec->once && !waiting)) break;
        nap(interval);
    }
    for (size_t i = 0; i < x.n; i++) free(x.v[i].rel);
    free(x.v);
    free(x.inbox);
    free(x.outdir);
    return s;
}
