/* polish — ingesting an original into the workspace: recognised by content, copied into the
 * content-addressed store (read-only), catalogued with its first draft. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "core/inputs.h"
#include "core/internal.h"
#include "workspace/ws.h"

/* The domain of `path` by content, through every domain's sniff (the batch runner's own test). */
static pol_status recognise(const char *path, const char **domain, pol_err *err)
{
    pol_options opt;
    pol_options_default(&opt);
    pol_run run = {.err = err, .opt = &opt, .input = path};
    const pol__domain *d = NULL;
    pol_status s = pol__recognise(&run, path, NULL, &d);
    if (s) return s;
    *domain = d->name;
    return POL_OK;
}

/* Copies `path` into store/ab/<sha256> (through tmp/ and link(), so a killed copy leaves no file
 * in the store); *hex gets the hash. */
pol_status ws_store_copy(pol_workspace *w, const char *path, char hex[65], uint64_t *size,
                        pol_err *err)
{
    char *tmpd = ws_tmpdir(w, "ingest");
    if (!tmpd) return ws_fail(err, POL_ERR_IO, "%s/tmp: %s", w->meta, strerror(errno));
    char *tmp = ws_fmt("%s/original", tmpd);
    int fd = tmp ? open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0444) : -1;
    pol_status s = POL_OK;
    if (fd < 0) s = ws_fail(err, POL_ERR_IO, "%s: cannot write: %s", tmpd, strerror(errno));
    if (!s) {
        s = ws_hash_file(path, fd, hex, size, err);
        if (!s && fsync(fd) != 0)
            s = ws_fail(err, POL_ERR_IO, "%s: cannot flush the copy: %s", path, strerror(errno));
        if (close(fd) != 0 && !s)
            s = ws_fail(err, POL_ERR_IO, "%s: cannot write the copy: %s", path, strerror(errno));
    }
    char *sub = s ? NULL : ws_fmt("%s/store/%.2s", w->meta, hex);
    char *dst = sub ? ws_fmt("%s/%s", sub, hex) : NULL;
    if (!s && !dst) s = ws_fail(err, POL_ERR_NOMEM, "out of memory");
    if (!s && mkdir(sub, 0777) != 0 && errno != EEXIST)
        s = ws_fail(err, POL_ERR_IO, "%s: %s", sub, strerror(errno));
    /* link() never replaces: a name that exists holds these bytes already (the name is their
     * hash, and only a complete, hashed copy is ever linked there) */
    if (!s && link(tmp, dst) != 0 && errno != EEXIST)
        s = ws_fail(err, POL_ERR_IO, "%s: cannot store: %s", dst, strerror(errno));
    if (!s) ws_fsync_dir(sub);
    if (tmp) unlink(tmp);
    rmdir(tmpd);
    free(tmpd);
    free(tmp);
    free(sub);
    free(dst);
    return s;
}

pol_status ws_record_original(pol_workspace *w, const char hex[65], uint64_t size, double now,
                              const char *what, pol_err *err)
{
    sqlite3_stmt *q = NULL;
    pol_status s = ws_prepare(w, "INSERT OR IGNORE INTO originals(hash, size, added) VALUES(?,?,?)",
                              &q, err);
    if (s) return s;
    sqlite3_bind_text(q, 1, hex, -1, SQLITE_STATIC);
    sqlite3_bind_int64(q, 2, (sqlite3_int64)size);
    sqlite3_bind_double(q, 3, now);
    if (sqlite3_step(q) != SQLITE_DONE) s = ws_db_error(w, err, what);
    sqlite3_finalize(q);
    return s;
}

pol_status pol_workspace_add(pol_workspace *w, const char *path, const char *display_name,
                             int64_t *item_id, pol_err *err)
{
    pol_err_clear(err);
    if (item_id) *item_id = 0;
    if (!w || !path || !*path) return ws_fail(err, POL_ERR_ARG, "add: which file?");
    struct stat st;
    if (stat(path, &st) != 0)
        return ws_fail(err, errno == ENOENT ? POL_ERR_NOT_FOUND : POL_ERR_IO, "%s: %s", path,
                       strerror(errno));
    if (S_ISDIR(st.st_mode))
        return ws_fail(err, POL_ERR_ARG, "%s: a folder; add its files (the command line walks it)",
                       path);
    const char *domain = NULL;
    pol_status s = recognise(path, &domain, err);
    if (s) return s;
    char hex[65];
    uint64_t size = 0;
    if ((s = ws_store_copy(w, path, hex, &size, err))) return s;
    char *name = ws_clean_name(display_name ? display_name : path);
    char auto_hash[65];
    ws_recipe_hash(NULL, auto_hash);
    if (!name) return ws_fail(err, POL_ERR_NOMEM, "out of memory");
    int64_t id = 0;
    sqlite3_stmt *q = NULL;
    if ((s = ws_begin(w, err))) goto out;
    double now = ws_now();
    if ((s = ws_record_original(w, hex, size, now, "add", err))) goto out;
    if ((s = ws_prepare(w, "SELECT id FROM items WHERE hash = ?", &q, err))) goto out;
    sqlite3_bind_text(q, 1, hex, -1, SQLITE_STATIC);
    if (sqlite3_step(q) == SQLITE_ROW) id = sqlite3_column_int64(q, 0);
    sqlite3_finalize(q);
    q = NULL;
    if (id) { /* the same content: the same item */
        s = ws_commit(w, err);
        goto out;
    }
    if ((s = ws_prepare(w, "INSERT OR IGNORE INTO recipes(hash, text) VALUES(?, NULL)", &q, err)))
        goto out;
    sqlite3_bind_text(q, 1, auto_hash, -1, SQLITE_STATIC);
    if (sqlite3_step(q) != SQLITE_DONE) {
        s = ws_db_error(w, err, "add");
        goto out;
    }
    sqlite3_finalize(q);
    if ((s = ws_prepare(w,
                        "INSERT INTO items(hash, name, domain, source, added) VALUES(?,?,?,?,?)",
                        &q, err)))
        goto out;
    sqlite3_bind_text(q, 1, hex, -1, SQLITE_STATIC);
    sqlite3_bind_text(q, 2, name, -1, SQLITE_STATIC);
    sqlite3_bind_text(q, 3, domain, -1, SQLITE_STATIC);
    /* only the name it came under: an absolute path (a server's temporary upload, the user's
     * folders) would leak into the API and the history */
    sqlite3_bind_text(q, 4, name, -1, SQLITE_STATIC);
    sqlite3_bind_double(q, 5, now);
    if (sqlite3_step(q) != SQLITE_DONE) {
        s = ws_db_error(w, err, "add");
        goto out;
    }
    sqlite3_finalize(q);
    id = sqlite3_last_insert_rowid(w->db);
    if ((s = ws_prepare(w,
                        "INSERT INTO versions(item, seq, recipe_hash, created) VALUES(?, 1, ?, ?)",
                        &q, err)))
        goto out;
    sqlite3_bind_int64(q, 1, id);
    sqlite3_bind_text(q, 2, auto_hash, -1, SQLITE_STATIC);
    sqlite3_bind_double(q, 3, now);
    if (sqlite3_step(q) != SQLITE_DONE) {
        s = ws_db_error(w, err, "add");
        goto out;
    }
    sqlite3_finalize(q);
    q = NULL;
    int64_t ver = sqlite3_last_insert_rowid(w->db);
    char *sql = ws_fmt("UPDATE items SET current = %lld WHERE id = %lld", (long long)ver,
                       (long long)id);
    s = sql ? ws_exec(w, sql, err) : ws_fail(err, POL_ERR_NOMEM, "out of memory");
    free(sql);
    char *detail = ws_fmt("%s (%s, %llu bytes, sha256 %s)", name, domain,
                          (unsigned long long)size, hex);
    if (!s) s = ws_history(w, id, ver, "add", detail, 0, NULL, 0, err);
    free(detail);
    if (!s) s = ws_commit(w, err);
out:
    if (q) sqlite3_finalize(q);
    if (s) {
        ws_rollback(w);
        id = 0;
    }
    free(name);
    if (item_id) *item_id = id;
    return s;
}
