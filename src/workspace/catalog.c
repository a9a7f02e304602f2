/* polish — the catalog's decisions (approve, reject, undo) and what it tells: items, versions,
 * history, output and original paths, as JSON for the command line and the web page. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include "workspace/ws.h"

/* ---- decisions ------------------------------------------------------------------------------- */

static pol_status decide(pol_workspace *w, int64_t item, const char *decision, pol_err *err)
{
    pol_err_clear(err);
    if (!w) return ws_fail(err, POL_ERR_ARG, "no workspace");
    pol_status s = ws_begin(w, err);
    if (s) return s;
    int64_t cur;
    ws_version v = {0};
    sqlite3_stmt *q = NULL;
    if ((s = ws_current(w, item, &cur, err)) || (s = ws_load_version(w, cur, &v, err))) goto out;
    if (!strcmp(decision, "approved") && !strcmp(v.run, "failed")) {
        char *e = NULL;
        if (!ws_prepare(w, "SELECT error FROM versions WHERE id = ?", &q, err)) {
            sqlite3_bind_int64(q, 1, cur);
            if (sqlite3_step(q) == SQLITE_ROW && sqlite3_column_text(q, 0))
                e = strdup((const char *)sqlite3_column_text(q, 0));
            sqlite3_finalize(q);
            q = NULL;
        }
        s = ws_fail(err, POL_ERR_ARG,
                    "item %lld: version %lld failed to render (%s); fix it before approving",
                    (long long)item, (long long)v.seq, e ? e : "no message");
        free(e);
        goto out;
    }
    if (!strcmp(v.decision, decision)) { /* already so: nothing to record */
        s = ws_commit(w, err);
        goto out;
    }
    if ((s = ws_prepare(w, "UPDATE versions SET decision = ? WHERE id = ?", &q, err))) goto out;
    sqlite3_bind_text(q, 1, decision, -1, SQLITE_STATIC);
    sqlite3_bind_int64(q, 2, cur);
    if (sqlite3_step(q) != SQLITE_DONE) {
        s = ws_db_error(w, err, decision);
        goto out;
    }
    char detail[96];
    snprintf(detail, sizeof detail, "version %lld: %s -> %s", (long long)v.seq, v.decision,
             decision);
    s = ws_history(w, item, cur, !strcmp(decision, "approved") ? "approve" : "reject", detail, 0,
                   v.decision, 1, err);
    if (!s) s = ws_commit(w, err);
out:
    if (q) sqlite3_finalize(q);
    if (s) ws_rollback(w);
    ws_version_free(&v);
    return s;
}

pol_status pol_workspace_approve(pol_workspace *w, int64_t item_id, pol_err *err)
{
    return decide(w, item_id, "approved", err);
}

pol_status pol_workspace_reject(pol_workspace *w, int64_t item_id, pol_err *err)
{
    return decide(w, item_id, "rejected", err);
}

pol_status pol_workspace_undo(pol_workspace *w, int64_t item, pol_err *err)
{
    pol_err_clear(err);
    if (!w) return ws_fail(err, POL_ERR_ARG, "no workspace");
    pol_status s = ws_begin(w, err);
    if (s) return s;
    int64_t cur;
    sqlite3_stmt *q = NULL;
    char *sql = NULL;
    if ((s = ws_current(w, item, &cur, err))) goto out;
    if ((s = ws_prepare(w,
                        "SELECT id, action, version, prev_current, prev_decision FROM history "
                        "WHERE item = ? AND undoable = 1 AND undone = 0 ORDER BY id DESC LIMIT 1",
                        &q, err)))
        goto out;
    sqlite3_bind_int64(q, 1, item);
    if (sqlite3_step(q) != SQLITE_ROW) {
        s = ws_fail(err, POL_ERR_NOT_FOUND, "item %lld: nothing to undo", (long long)item);
        goto out;
    }
    int64_t hid = sqlite3_column_int64(q, 0);
    char action[16];
    snprintf(action, sizeof action, "%s", (const char *)sqlite3_column_text(q, 1));
    int64_t ver = sqlite3_column_int64(q, 2), prev = sqlite3_column_int64(q, 3);
    char prev_dec[16] = "draft";
    if (sqlite3_column_text(q, 4))
        snprintf(prev_dec, sizeof prev_dec, "%s", (const char *)sqlite3_column_text(q, 4));
    sqlite3_finalize(q);
    q = NULL;
    if (!strcmp(action, "approve") || !strcmp(action, "reject"))
        sql = ws_fmt("UPDATE versions SET decision = '%s' WHERE id = %lld;", prev_dec,
                     (long long)ver);
    else /* a new draft: the item goes back to the version it was made from */
        sql = ws_fmt("UPDATE items SET current = %lld WHERE id = %lld;"
                     "UPDATE versions SET undone = 1 WHERE id = %lld;",
                     (long long)prev, (long long)item, (long long)ver);
    char *mark = ws_fmt("UPDATE history SET undone = 1 WHERE id = %lld", (long long)hid);
    if (!sql || !mark) {
        free(mark);
        s = ws_fail(err, POL_ERR_NOMEM, "out of memory");
        goto out;
    }
    s = ws_exec(w, sql, err);
    if (!s) s = ws_exec(w, mark, err);
    free(mark);
    char detail[64];
    snprintf(detail, sizeof detail, "undid %s (history %lld)", action, (long long)hid);
    if (!s) s = ws_history(w, item, ver, "undo", detail, 0, NULL, 0, err);
    if (!s) s = ws_commit(w, err);
out:
    if (q) sqlite3_finalize(q);
    if (s) ws_rollback(w);
    free(sql);
    return s;
}

/* ---- JSON ------------------------------------------------------------------------------------ */

static json_t *iso_time(double t)
{
    time_t secs = (time_t)t;
    struct tm tm;
    char buf[40];
    gmtime_r(&secs, &tm);
    strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
    return json_string(buf);
}

static json_t *text_or_null(sqlite3_stmt *q, int col)
{
    const unsigned char *t = sqlite3_column_text(q, col);
    return t ? json_string((const char *)t) : json_null();
}

static const char *state_of(const char *decision, const char *run)
{
    if (strcmp(decision, "draft") != 0) return decision;
    return strcmp(run, "none") == 0 ? "draft" : run;
}

static json_t *outputs_json(pol_workspace *w, const char *key)
{
    json_t *arr = json_array();
    sqlite3_stmt *q;
    pol_err err;
    if (!key || ws_prepare(w, "SELECT path, target, sha256, size FROM outputs WHERE render = ? "
                              "ORDER BY path",
                           &q, &err))
        return arr;
    sqlite3_bind_text(q, 1, key, -1, SQLITE_STATIC);
    while (sqlite3_step(q) == SQLITE_ROW) {
        json_t *o = json_object();
        char *p = ws_fmt(".polish/renders/%s/%s", key, (const char *)sqlite3_column_text(q, 0));
        json_object_set_new(o, "path", p ? json_string(p) : json_null());
        free(p);
        json_object_set_new(o, "target", text_or_null(q, 1));
        json_object_set_new(o, "sha256", text_or_null(q, 2));
        json_object_set_new(o, "size", json_integer(sqlite3_column_int64(q, 3)));
        json_array_append_new(arr, o);
    }
    sqlite3_finalize(q);
    return arr;
}

static json_t *item_json(pol_workspace *w, int64_t item, int with_report, pol_err *err)
{
    sqlite3_stmt *q;
    if (ws_prepare(w,
                   "SELECT i.id, i.name, i.domain, i.hash, o.size, i.added, i.current, v.decision, "
                   "v.run, v.error, v.report, i.source FROM items i JOIN originals o ON o.hash = "
                   "i.hash LEFT JOIN versions v ON v.id = i.current WHERE i.id = ?",
                   &q, err))
        return NULL;
    sqlite3_bind_int64(q, 1, item);
    if (sqlite3_step(q) != SQLITE_ROW) {
        sqlite3_finalize(q);
        ws_fail(err, POL_ERR_NOT_FOUND, "%s: no item %lld", w->dir, (long long)item);
        return NULL;
    }
    json_t *j = json_object();
    const char *hash = (const char *)sqlite3_column_text(q, 3);
    json_object_set_new(j, "id", json_integer(sqlite3_column_int64(q, 0)));
    json_object_set_new(j, "name", text_or_null(q, 1));
    json_object_set_new(j, "domain", text_or_null(q, 2));
    json_object_set_new(j, "hash", text_or_null(q, 3));
    json_object_set_new(j, "size", json_integer(sqlite3_column_int64(q, 4)));
    char *orig = ws_fmt(".polish/store/%.2s/%s", hash, hash);
    json_object_set_new(j, "original", orig ? json_string(orig) : json_null());
    free(orig);
    /* the name it was added under (a catalog made before names only were kept may hold a path:
     * its base name only) */
    char *src = sqlite3_column_text(q, 11) ? ws_clean_name((const char *)sqlite3_column_text(q, 11))
                                           : NULL;
    json_object_set_new(j, "source", src ? json_string(src) : json_null());
    free(src);
    json_object_set_new(j, "added", iso_time(sqlite3_column_double(q, 5)));
    const char *dec = (const char *)sqlite3_column_text(q, 7);
    const char *run = (const char *)sqlite3_column_text(q, 8);
    json_object_set_new(j, "state", json_string(dec && run ? state_of(dec, run) : "draft"));
    int64_t current = sqlite3_column_int64(q, 6);
    json_object_set_new(j, "current", json_integer(current));
    json_object_set_new(j, "error", text_or_null(q, 9));
    char *report = sqlite3_column_text(q, 10) ? strdup((const char *)sqlite3_column_text(q, 10))
                                              : NULL;
    sqlite3_finalize(q);
    json_t *vs = json_array();
    if (!ws_prepare(w,
                    "SELECT v.id, v.seq, v.parent, v.decision, v.run, r.text, v.recipe_hash, "
                    "v.render, v.report, v.error, v.created, v.undone FROM versions v JOIN "
                    "recipes r ON r.hash = v.recipe_hash WHERE v.item = ? ORDER BY v.seq",
                    &q, err)) {
        sqlite3_bind_int64(q, 1, item);
        while (sqlite3_step(q) == SQLITE_ROW) {
            json_t *v = json_object();
            int64_t vid = sqlite3_column_int64(q, 0);
            const char *d = (const char *)sqlite3_column_text(q, 3);
            const char *r = (const char *)sqlite3_column_text(q, 4);
            json_object_set_new(v, "id", json_integer(vid));
            json_object_set_new(v, "seq", json_integer(sqlite3_column_int64(q, 1)));
            json_object_set_new(v, "parent", sqlite3_column_type(q, 2) == SQLITE_NULL
                                                 ? json_null()
                                                 : json_integer(sqlite3_column_int64(q, 2)));
            json_object_set_new(v, "state", json_string(state_of(d, r)));
            json_object_set_new(v, "decision", json_string(d));
            json_object_set_new(v, "run", json_string(r));
            json_object_set_new(v, "recipe", text_or_null(q, 5));
            json_object_set_new(v, "recipe_hash", text_or_null(q, 6));
            const char *key = (const char *)sqlite3_column_text(q, 7);
            json_object_set_new(v, "render", text_or_null(q, 7));
            json_object_set_new(v, "outputs", outputs_json(w, !strcmp(r, "done") ? key : NULL));
            json_object_set_new(v, "report", text_or_null(q, 8));
            json_object_set_new(v, "error", text_or_null(q, 9));
            json_object_set_new(v, "created", iso_time(sqlite3_column_double(q, 10)));
            json_object_set_new(v, "current", json_boolean(vid == current));
            json_object_set_new(v, "undone", json_boolean(sqlite3_column_int(q, 11)));
            json_array_append_new(vs, v);
        }
        sqlite3_finalize(q);
    }
    json_object_set_new(j, "versions", vs);
    if (with_report) {
        json_t *rep = NULL;
        char *path = report ? ws_fmt("%s/%s", w->dir, report) : NULL;
        if (path) rep = json_load_file(path, 0, NULL);
        free(path);
        json_object_set_new(j, "report", rep ? rep : json_null());
    }
    free(report);
    return j;
}

static char *dump(json_t *j, pol_err *err)
{
    char *s = j ? json_dumps(j, JSON_INDENT(1) | JSON_PRESERVE_ORDER) : NULL;
    json_decref(j);
    if (!s && j) ws_fail(err, POL_ERR_NOMEM, "out of memory");
    return s;
}

char *pol_workspace_item_json(pol_workspace *w, int64_t item_id, pol_err *err)
{
    pol_err_clear(err);
    if (!w) {
        ws_fail(err, POL_ERR_ARG, "no workspace");
        return NULL;
    }
    return dump(item_json(w, item_id, 1, err), err);
}

char *pol_workspace_list_json(pol_workspace *w, pol_err *err)
{
    pol_err_clear(err);
    if (!w) {
        ws_fail(err, POL_ERR_ARG, "no workspace");
        return NULL;
    }
    sqlite3_stmt *q;
    if (ws_prepare(w, "SELECT id FROM items ORDER BY id", &q, err)) return NULL;
    int64_t *ids = NULL;
    size_t n = 0;
    while (sqlite3_step(q) == SQLITE_ROW) {
        int64_t *nv = realloc(ids, (n + 1) * sizeof *ids);
        if (!nv) break;
        ids = nv;
        ids[n++] = sqlite3_column_int64(q, 0);
    }
    sqlite3_finalize(q);
    json_t *root = json_object(), *items = json_array();
    json_object_set_new(root, "workspace", json_string(w->dir));
    for (size_t i = 0; i < n; i++) {
        json_t *it = item_json(w, ids[i], 0, err);
        if (it) json_array_append_new(items, it);
    }
    free(ids);
    json_object_set_new(root, "items", items);
    return dump(root, err);
}

char *pol_workspace_history_json(pol_workspace *w, int64_t item, pol_err *err)
{
    pol_err_clear(err);
    int64_t cur;
    if (!w || ws_current(w, item, &cur, err)) {
        if (!w) ws_fail(err, POL_ERR_ARG, "no workspace");
        return NULL;
    }
    sqlite3_stmt *q;
    if (ws_prepare(w,
                   "SELECT h.id, h.time, h.action, v.seq, h.detail, h.undone FROM history h LEFT "
                   "JOIN versions v ON v.id = h.version WHERE h.item = ? ORDER BY h.id",
                   &q, err))
        return NULL;
    sqlite3_bind_int64(q, 1, item);
    json_t *root = json_object(), *arr = json_array();
    json_object_set_new(root, "id", json_integer(item));
    while (sqlite3_step(q) == SQLITE_ROW) {
        json_t *h = json_object();
        json_object_set_new(h, "seq", json_integer(sqlite3_column_int64(q, 0)));
        json_object_set_new(h, "time", iso_time(sqlite3_column_double(q, 1)));
        json_object_set_new(h, "action", text_or_null(q, 2));
        json_object_set_new(h, "version", sqlite3_column_type(q, 3) == SQLITE_NULL
                                              ? json_null()
                                              : json_integer(sqlite3_column_int64(q, 3)));
        json_object_set_new(h, "detail", text_or_null(q, 4));
        json_object_set_new(h, "undone", json_boolean(sqlite3_column_int(q, 5)));
        json_array_append_new(arr, h);
    }
    sqlite3_finalize(q);
    json_object_set_new(root, "history", arr);
    return dump(root, err);
}

/* ---- paths ----------------------------------------------------------------------------------- */

pol_status pol_workspace_output_path(pol_workspace *w, int64_t item, const char *target,
                                     char **path, pol_err *err)
{
    pol_err_clear(err);
    *path = NULL;
    if (!w) return ws_fail(err, POL_ERR_ARG, "no workspace");
    int64_t cur;
    ws_version v;
    pol_status s = ws_current(w, item, &cur, err);
    if (s || (s = ws_load_version(w, cur, &v, err))) return s;
    if (strcmp(v.run, "done") != 0 || !v.render) {
        s = ws_fail(err, POL_ERR_NOT_FOUND, "item %lld is not rendered (state %s); fix it first",
                    (long long)item, state_of(v.decision, v.run));
        ws_version_free(&v);
        return s;
    }
    sqlite3_stmt *q;
    /* NULL target: the output of no target first, then the first target's */
    if (!(s = ws_prepare(w,
                         target ? "SELECT path FROM outputs WHERE render = ?1 AND target = ?2 "
                                  "ORDER BY path LIMIT 1"
                                : "SELECT path FROM outputs WHERE render = ?1 ORDER BY target IS "
                                  "NOT NULL, target, path LIMIT 1",
                         &q, err))) {
        sqlite3_bind_text(q, 1, v.render, -1, SQLITE_STATIC);
        if (target) sqlite3_bind_text(q, 2, target, -1, SQLITE_STATIC);
        if (sqlite3_step(q) == SQLITE_ROW)
            *path = ws_fmt("%s/renders/%s/%s", w->meta, v.render,
                           (const char *)sqlite3_column_text(q, 0));
        else
            s = ws_fail(err, POL_ERR_NOT_FOUND, "item %lld has no output%s%s", (long long)item,
                        target ? " for target " : "", target ? target : "");
        sqlite3_finalize(q);
    }
    struct stat st;
    if (!s && (!*path || stat(*path, &st) != 0)) {
        s = ws_fail(err, POL_ERR_NOT_FOUND,
                    "item %lld: its render %s is gone from the cache; 'polish fix %lld' remakes it",
                    (long long)item, v.render, (long long)item);
        free(*path);
        *path = NULL;
    }
    ws_version_free(&v);
    return s;
}

pol_status pol_workspace_original_path(pol_workspace *w, int64_t item, char **path, pol_err *err)
{
    pol_err_clear(err);
    *path = NULL;
    if (!w) return ws_fail(err, POL_ERR_ARG, "no workspace");
    sqlite3_stmt *q;
    pol_status s = ws_prepare(w, "SELECT hash FROM items WHERE id = ?", &q, err);
    if (s) return s;
    sqlite3_bind_int64(q, 1, item);
    if (sqlite3_step(q) == SQLITE_ROW) {
        const char *h = (const char *)sqlite3_column_text(q, 0);
        *path = ws_fmt("%s/store/%.2s/%s", w->meta, h, h);
        if (!*path) s = ws_fail(err, POL_ERR_NOMEM, "out of memory");
    } else {
        s = ws_fail(err, POL_ERR_NOT_FOUND, "%s: no item %lld", w->dir, (long long)item);
    }
    sqlite3_finalize(q);
    return s;
}

pol_status pol_workspace_queued(pol_workspace *w, int64_t **ids, size_t *n, pol_err *err)
{
    pol_err_clear(err);
    *ids = NULL;
    *n = 0;
    if (!w) return ws_fail(err, POL_ERR_ARG, "no workspace");
    sqlite3_stmt *q;
    pol_status s = ws_prepare(w,
                              "SELECT i.id FROM items i JOIN versions v ON v.id = i.current WHERE "
                              "v.run = 'queued' AND v.decision = 'draft' ORDER BY v.id",
                              &q, err);
    if (s) return s;
    while (sqlite3_step(q) == SQLITE_ROW) {
        int64_t *nv = realloc(*ids, (*n + 1) * sizeof **ids);
        if (!nv) {
            s = ws_fail(err, POL_ERR_NOMEM, "out of memory");
            break;
        }
        *ids = nv;
        (*ids)[(*n)++] = sqlite3_column_int64(q, 0);
    }
    sqlite3_finalize(q);
    return s;
}
