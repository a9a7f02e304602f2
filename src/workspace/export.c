/* polish — delivering renders out of the workspace: export of approved (or current) versions, and
 * the output placement the inbox watcher shares. */
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "workspace/ws.h"

/* "a.jpg" -> "a-7.jpg" (the item's id before the extension of the base name). */
static char *with_id(const char *rel, int64_t id)
{
    const char *slash = strrchr(rel, '/');
    const char *base = slash ? slash + 1 : rel;
    const char *dot = strrchr(base, '.');
    if (!dot || dot == base) return ws_fmt("%s-%lld", rel, (long long)id);
    return ws_fmt("%.*s-%lld%s", (int)(dot - rel), rel, (long long)id, dot);
}

typedef struct claimed {
    char **v;
    int64_t *owner;
    size_t n;
} claimed;

static int64_t claimed_by(const claimed *c, const char *rel)
{
    for (size_t i = 0; i < c->n; i++)
        if (!strcmp(c->v[i], rel)) return c->owner[i];
    return 0;
}

static int claim(claimed *c, const char *rel, int64_t owner)
{
    char **nv = realloc(c->v, (c->n + 1) * sizeof *nv);
    if (!nv) return -1;
    c->v = nv;
    int64_t *no = realloc(c->owner, (c->n + 1) * sizeof *no);
    if (!no) return -1;
    c->owner = no;
    c->v[c->n] = strdup(rel);
    c->owner[c->n] = owner;
    return c->v[c->n++] ? 0 : -1;
}

/* Makes sure version `ver` has its render in the cache; *key gets its key. */
static pol_status ensure_render(pol_workspace *w, int64_t ver, char key[65], pol_err *err)
{
    ws_version v;
    pol_status s = ws_load_version(w, ver, &v, err);
    if (s) return s;
    if (!strcmp(v.run, "done") && v.render && ws_render_present(w, v.render))
        snprintf(key, 65, "%s", v.render);
    else
        s = ws_render_version(w, ver, NULL, NULL, NULL, key, err);
    ws_version_free(&v);
    return s;
}

pol_status pol_workspace_export(pol_workspace *w, const char *outdir, int approved_only,
                                pol_err *err)
{
    pol_err_clear(err);
    if (!w || !outdir || !*outdir) return ws_fail(err, POL_ERR_ARG, "export: which folder? (-o DIR)");
    if (ws_mkdir_p(outdir) != 0)
        return ws_fail(err, POL_ERR_IO, "%s: cannot make the folder: %s", outdir, strerror(errno));
    sqlite3_stmt *q;
    pol_status s = ws_prepare(
        w,
        approved_only
            ? "SELECT i.id, (SELECT v.id FROM versions v WHERE v.item = i.id AND v.decision = "
              "'approved' AND v.undone = 0 ORDER BY v.seq DESC LIMIT 1) FROM items i ORDER BY i.id"
            : "SELECT i.id, i.current FROM items i ORDER BY i.id",
        &q, err);
    if (s) return s;
    int64_t(*todo)[2] = NULL;
    size_t n = 0;
    while (sqlite3_step(q) == SQLITE_ROW) {
        if (sqlite3_column_type(q, 1) == SQLITE_NULL) continue;
        int64_t(*nv)[2] = realloc(todo, (n + 1) * sizeof *todo);
        if (!nv) break;
        todo = nv;
        todo[n][0] = sqlite3_column_int64(q, 0);
        todo[n][1] = sqlite3_column_int64(q, 1);
        n++;
    }
    sqlite3_finalize(q);
    claimed c = {0};
    json_t *lineage = json_array();
    size_t failed = 0, written = 0;
    char first[sizeof err->msg] = "";
    for (size_t i = 0; i < n; i++) {
        int64_t item = todo[i][0], ver = todo[i][1];
        char key[65];
        pol_err ierr;
        pol_err_clear(&ierr);
        pol_status is = ensure_render(w, ver, key, &ierr);
        ws_version v = {0};
        if (!is) is = ws_load_version(w, ver, &v, &ierr);
        if (!is && ws_prepare(w, "SELECT path, target, sha256 FROM outputs WHERE render = ? ORDER "
                                 "BY path",
                              &q, &ierr))
            is = ierr.code;
        if (!is) {
            sqlite3_bind_text(q, 1, key, -1, SQLITE_STATIC);
            while (!is && sqlite3_step(q) == SQLITE_ROW) {
                const char *path = (const char *)sqlite3_column_text(q, 0);
                const char *sha = (const char *)sqlite3_column_text(q, 2);
                const char *rel = !strncmp(path, "out/", 4) ? path + 4 : path;
                int64_t owner = claimed_by(&c, rel);
                char *dest_rel = owner && owner != item ? with_id(rel, item) : strdup(rel);
                char *src = ws_fmt("%s/renders/%s/%s", w->meta, key, path);
                char *dst = dest_rel ? ws_fmt("%s/%s", outdir, dest_rel) : NULL;
                if (!src || !dst || (!owner && claim(&c, rel, item) != 0))
                    is = ws_fail(&ierr, POL_ERR_NOMEM, "out of memory");
                else
                    is = ws_deliver_file(src, sha, dst, &ierr);
                if (!is) {
                    written++;
                    json_t *l = json_object();
                    json_object_set_new(l, "file", json_string(dest_rel));
                    json_object_set_new(l, "item", json_integer(item));
                    json_object_set_new(l, "version", json_integer(v.seq));
                    json_object_set_new(l, "decision", json_string(v.decision));
                    json_object_set_new(l, "target",
                                        sqlite3_column_text(q, 1)
                                            ? json_string((const char *)sqlite3_column_text(q, 1))
                                            : json_null());
                    json_object_set_new(l, "sha256", json_string(sha));
                    json_object_set_new(l, "render", json_string(key));
                    char *op = ws_fmt(".polish/renders/%s/%s", key, path);
                    json_object_set_new(l, "from", op ? json_string(op) : json_null());
                    free(op);
                    json_object_set_new(l, "recipe_hash", json_string(v.recipe_hash));
                    json_array_append_new(lineage, l);
                }
                free(src);
                free(dst);
                free(dest_rel);
            }
            sqlite3_finalize(q);
        }
        if (!is && !ws_begin(w, &ierr)) {
            char *detail = ws_fmt("version %lld to %s", (long long)v.seq, outdir);
            if (ws_history(w, item, ver, "export", detail, 0, NULL, 0, &ierr) ||
                ws_commit(w, &ierr))
                ws_rollback(w);
            free(detail);
        }
        ws_version_free(&v);
        if (is) {
            failed++;
            if (!first[0]) snprintf(first, sizeof first, "%s", ierr.msg);
        }
    }
    for (size_t i = 0; i < c.n; i++) free(c.v[i]);
    free(c.v);
    free(c.owner);
    free(todo);
    json_t *root = json_object();
    json_object_set_new(root, "workspace", json_string(w->dir));
    json_object_set_new(root, "engine", json_string(pol_workspace_engine()));
    json_object_set_new(root, "approved_only", json_boolean(approved_only));
    json_object_set_new(root, "files", lineage);
    char *text = json_dumps(root, JSON_INDENT(1) | JSON_PRESERVE_ORDER);
    json_decref(root);
    char *lpath = ws_fmt("%s/.polish-lineage.json", outdir);
    pol_err lerr;
    if (!text || !lpath || ws_write_atomic(lpath, text, &lerr)) {
        if (!failed++) snprintf(first, sizeof first, "%s", text && lpath ? lerr.msg : "out of memory");
    }
    free(text);
    free(lpath);
    (void)written;
    if (failed)
        return ws_fail(err, POL_ERR_PARTIAL, "%zu item%s not exported; first: %s", failed,
                       failed == 1 ? "" : "s", first);
    return POL_OK;
}
