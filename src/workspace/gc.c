/* polish — the render cache's size: evicting renders nothing pins (least recently made first),
 * and knowledge bases no longer current. A render is remade from its original and recipe when a
 * version needs it again. */
#define _XOPEN_SOURCE 700 /* nftw */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>
#include "core/internal.h"
#include "workspace/ws.h"

static __thread uint64_t walk_bytes;

static int add_size(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)path, (void)ftw;
    if (flag == FTW_F) walk_bytes += (uint64_t)st->st_blocks * 512u;
    return 0;
}

static uint64_t tree_bytes(const char *path)
{
    walk_bytes = 0;
    nftw(path, add_size, 16, FTW_PHYS);
    return walk_bytes;
}

typedef struct gc_entry {
    char key[65];
    double made;
    uint64_t bytes;
    int pinned;
} gc_entry;

static int by_age(const void *a, const void *b)
{
    const gc_entry *x = a, *y = b;
    return x->made < y->made ? -1 : x->made > y->made;
}

static int is_pinned(sqlite3_stmt *pin, const char *key)
{
    sqlite3_reset(pin);
    sqlite3_bind_text(pin, 1, key, -1, SQLITE_STATIC);
    return sqlite3_step(pin) == SQLITE_ROW;
}

/* Removes renders/<key>: under its lock (skipped when a render of it is being made), renamed
 * into tmp/ first so no reader ever sees half a render folder. */
static int evict(pol_workspace *w, const char *key)
{
    char *lock = ws_fmt("%s/locks/%s.lock", w->meta, key);
    int fd = lock ? open(lock, O_RDWR | O_CREAT | O_CLOEXEC, 0644) : -1;
    int done = 0;
    if (fd >= 0 && flock(fd, LOCK_EX | LOCK_NB) == 0) {
        char *src = ws_fmt("%s/renders/%s", w->meta, key);
        char *tmpd = ws_tmpdir(w, "gc");
        char *dst = tmpd ? ws_fmt("%s/%s", tmpd, key) : NULL;
        if (src && dst && rename(src, dst) == 0) done = 1;
        if (tmpd) ws_rm_rf(tmpd);
        free(src);
        free(tmpd);
        free(dst);
    }
    if (fd >= 0) close(fd);
    free(lock);
    return done;
}

pol_status pol_workspace_gc(pol_workspace *w, uint64_t max_bytes, pol_workspace_gc_result *res,
                            pol_err *err)
{
    pol_err_clear(err);
    pol_workspace_gc_result r = {0};
    if (!w) return ws_fail(err, POL_ERR_ARG, "gc: no workspace");
    char *rdir = ws_fmt("%s/renders", w->meta);
    DIR *d = rdir ? opendir(rdir) : NULL;
    if (!d) {
        pol_status s = ws_fail(err, POL_ERR_IO, "%s/renders: %s", w->meta, strerror(errno));
        free(rdir);
        return s;
    }
    /* pinned: the render of each item's current version and of every approved version */
    sqlite3_stmt *pin = NULL, *made = NULL;
    pol_status s = ws_prepare(w,
                              "SELECT 1 FROM versions v WHERE v.render = ?1 AND (v.decision = "
                              "'approved' OR v.id IN (SELECT current FROM items)) LIMIT 1",
                              &pin, err);
    if (!s) s = ws_prepare(w, "SELECT created FROM renders WHERE key = ?", &made, err);
    gc_entry *e = NULL;
    size_t n = 0, cap = 0;
    struct dirent *de;
    while (!s && (de = readdir(d))) {
        if (strlen(de->d_name) != 64) continue;
        if (POL_GROW(e, cap, n + 1, 64)) {
            s = ws_fail(err, POL_ERR_NOMEM, "out of memory");
            break;
        }
        gc_entry *x = &e[n++];
        snprintf(x->key, sizeof x->key, "%.64s", de->d_name);
        char *path = ws_fmt("%s/%s", rdir, de->d_name);
        struct stat st;
        x->made = path && stat(path, &st) == 0 ? (double)st.st_mtime : 0;
        sqlite3_reset(made);
        sqlite3_bind_text(made, 1, x->key, -1, SQLITE_STATIC);
        if (sqlite3_step(made) == SQLITE_ROW) x->made = sqlite3_column_double(made, 0);
        x->bytes = path ? tree_bytes(path) : 0;
        x->pinned = is_pinned(pin, x->key);
        free(path);
    }
    closedir(d);
    uint64_t total = 0;
    for (size_t i = 0; i < n; i++) total += e[i].bytes;
    if (!s) qsort(e, n, sizeof *e, by_age);
    for (size_t i = 0; !s && i < n; i++) {
        if (e[i].pinned) {
            r.pinned++;
        } else if (total > max_bytes && evict(w, e[i].key)) {
            total -= e[i].bytes;
            r.removed++;
            r.removed_bytes += e[i].bytes;
            continue;
        }
        r.kept++;
        r.kept_bytes += e[i].bytes;
    }
    /* knowledge bases: the current set's stays; the others are remade from their documents */
    char cur[65] = "";
    if (!s) s = ws_kb_current(w, cur, err);
    char *kdir = ws_fmt("%s/kb", w->meta);
    DIR *kd = !s && kdir ? opendir(kdir) : NULL;
    while (kd && (de = readdir(kd))) {
        size_t l = strlen(de->d_name);
        if (l != 67 || strcmp(de->d_name + 64, ".db") || !strncmp(de->d_name, cur, 64)) continue;
        char *lock = ws_fmt("%s/locks/kb-%.64s.lock", w->meta, de->d_name);
        int fd = lock ? open(lock, O_RDWR | O_CREAT | O_CLOEXEC, 0644) : -1;
        if (fd >= 0 && flock(fd, LOCK_EX | LOCK_NB) == 0) {
            char *p = ws_fmt("%s/%s", kdir, de->d_name);
            if (p) unlink(p);
            free(p);
        }
        if (fd >= 0) close(fd);
        free(lock);
    }
    if (kd) closedir(kd);
    free(kdir);
    if (pin) sqlite3_finalize(pin);
    if (made) sqlite3_finalize(made);
    free(e);
    free(rdir);
    if (res) *res = r;
    if (!s && r.removed) {
        ws_fsync_dir(w->meta);
    }
    return s;
}
