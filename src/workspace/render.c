/* polish — rendering a version: new drafts, the render cache keyed by (original hash, recipe
 * hash, engine version), made in tmp/ and moved into renders/<key>/ whole, with its report and a
 * manifest that ties every output back to its original and recipe. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>
#include "core/pipeline.h"
#include "core/internal.h"
#include "workspace/ws.h"

/* ---- new drafts ------------------------------------------------------------------------------ */

/* Checks a recipe against the registry, the item's domain and the files it names (ws:<sha256>
 * present; no other path on a confined handle) before the catalog changes. */
static pol_status check_recipe(pol_workspace *w, int64_t item, const char *text, pol_err *err)
{
    ws_directives d;
    ws_parse_directives(text, &d);
    if (d.automatic) return POL_OK;
    pol_pipeline *p = NULL;
    if (pol_pipeline_parse_recipe(d.body, strlen(d.body), "recipe", &p, err)) return err->code;
    sqlite3_stmt *q;
    pol_status s = ws_prepare(w, "SELECT domain, name FROM items WHERE id = ?", &q, err);
    if (!s) {
        sqlite3_bind_int64(q, 1, item);
        if (sqlite3_step(q) != SQLITE_ROW)
            s = ws_fail(err, POL_ERR_NOT_FOUND, "%s: no item %lld", w->dir, (long long)item);
        else if (p->domain && strcmp(p->domain->name, (const char *)sqlite3_column_text(q, 0)))
            s = ws_fail(err, POL_ERR_RECIPE, "item %lld (%s) is %s; the recipe is for %s",
                        (long long)item, (const char *)sqlite3_column_text(q, 1),
                        (const char *)sqlite3_column_text(q, 0), p->domain->name);
        sqlite3_finalize(q);
    }
    if (!s) s = ws_resolve_pipeline(w, p, NULL, err);
    pol_pipeline_free(p);
    return s;
}

/* The version's recipe text for a fix: `recipe_text` with the workspace's directives — the
 * knowledge base for an automatic recipe of a text item (when the knowledge base holds
 * documents), lenient when asked. *out NULL: the plain automatic recipe. */
static pol_status effective_recipe(pol_workspace *w, int64_t item, const char *recipe_text,
                                   int lenient, char **out, pol_err *err)
{
    *out = NULL;
    ws_directives d;
    ws_parse_directives(recipe_text, &d);
    if (lenient) d.lenient = 1;
    if (d.automatic && !d.kb[0]) {
        sqlite3_stmt *q;
        pol_status s = ws_prepare(w, "SELECT domain FROM items WHERE id = ?", &q, err);
        if (s) return s;
        sqlite3_bind_int64(q, 1, item);
        int text = sqlite3_step(q) == SQLITE_ROW &&
                   !strcmp((const char *)sqlite3_column_text(q, 0), "text");
        sqlite3_finalize(q);
        if (text && (s = ws_kb_current(w, d.kb, err))) return s;
    }
    return ws_compose_recipe(&d, out, err);
}

/* The draft that `recipe_text` is rendered in: the current version when it is a draft with that
 * recipe, otherwise a new draft whose parent is the current version. `queue` marks it queued. */
static pol_status draft_for(pol_workspace *w, int64_t item, const char *given, int lenient,
                            int queue, int64_t *out, pol_err *err)
{
    *out = 0;
    char *recipe_text = NULL;
    pol_status s = effective_recipe(w, item, given, lenient, &recipe_text, err);
    if (!s) s = check_recipe(w, item, recipe_text, err);
    if (s) {
        free(recipe_text);
        return s;
    }
    char rh[65];
    ws_recipe_hash(recipe_text, rh);
    if ((s = ws_begin(w, err))) return s;
    int64_t cur;
    ws_version v = {0};
    sqlite3_stmt *q = NULL;
    if ((s = ws_current(w, item, &cur, err)) || (s = ws_load_version(w, cur, &v, err))) goto out;
    int64_t ver = cur;
    if (!queue && !strcmp(v.decision, "draft") && !strcmp(v.recipe_hash, rh)) {
        /* the current draft already has this recipe (a server's worker after the queue): nothing
         * to write, so no commit (and no sync) */
        ws_rollback(w);
        *out = ver;
        goto out;
    }
    if (strcmp(v.decision, "draft") != 0 || strcmp(v.recipe_hash, rh) != 0) {
        if ((s = ws_prepare(w, "INSERT OR IGNORE INTO recipes(hash, text) VALUES(?, ?)", &q, err)))
            goto out;
        sqlite3_bind_text(q, 1, rh, -1, SQLITE_STATIC);
        if (recipe_text) sqlite3_bind_text(q, 2, recipe_text, -1, SQLITE_STATIC);
        if (sqlite3_step(q) != SQLITE_DONE) {
            s = ws_db_error(w, err, "recipe");
            goto out;
        }
        sqlite3_finalize(q);
        if ((s = ws_prepare(w,
                            "INSERT INTO versions(item, seq, parent, recipe_hash, created) "
                            "VALUES(?1, (SELECT MAX(seq) + 1 FROM versions WHERE item = ?1), ?2, "
                            "?3, ?4)",
                            &q, err)))
            goto out;
        sqlite3_bind_int64(q, 1, item);
        sqlite3_bind_int64(q, 2, cur);
        sqlite3_bind_text(q, 3, rh, -1, SQLITE_STATIC);
        sqlite3_bind_double(q, 4, ws_now());
        if (sqlite3_step(q) != SQLITE_DONE) {
            s = ws_db_error(w, err, "new draft");
            goto out;
        }
        sqlite3_finalize(q);
        q = NULL;
        ver = sqlite3_last_insert_rowid(w->db);
        char *sql = ws_fmt("UPDATE items SET current = %lld WHERE id = %lld", (long long)ver,
                           (long long)item);
        s = sql ? ws_exec(w, sql, err) : ws_fail(err, POL_ERR_NOMEM, "out of memory");
        free(sql);
        int forked = strcmp(v.decision, "draft") != 0;
        ws_directives dd;
        ws_parse_directives(recipe_text, &dd);
        char *detail = ws_fmt("%s version %lld; recipe %.12s%s%s%s", forked ? "forked from" : "after",
                              (long long)v.seq, rh, dd.automatic ? " (automatic)" : "",
                              dd.kb[0] ? " with the knowledge base" : "",
                              dd.lenient ? " (lenient)" : "");
        if (!s)
            s = ws_history(w, item, ver, forked ? "fork" : "edit", detail, cur, NULL, 1, err);
        free(detail);
        if (s) goto out;
    }
    if (queue) {
        char *sql = ws_fmt("UPDATE versions SET run = 'queued' WHERE id = %lld AND run <> "
                           "'running'",
                           (long long)ver);
        s = sql ? ws_exec(w, sql, err) : ws_fail(err, POL_ERR_NOMEM, "out of memory");
        free(sql);
        if (!s) s = ws_history(w, item, ver, "queue", NULL, 0, NULL, 0, err);
        if (s) goto out;
    }
    s = ws_commit(w, err);
    if (!s) *out = ver;
out:
    if (q) sqlite3_finalize(q);
    if (s) ws_rollback(w);
    ws_version_free(&v);
    free(recipe_text);
    return s;
}

/* ---- the render cache ------------------------------------------------------------------------ */

typedef struct ws_out {
    char *path; /* relative to the render folder: out/[target/]name */
    char *target;
    char sha[65];
    uint64_t size;
} ws_out;

typedef struct ws_outs {
    ws_out *v;
    size_t n, cap;
} ws_outs;

static void outs_free(ws_outs *o)
{
    for (size_t i = 0; i < o->n; i++) {
        free(o->v[i].path);
        free(o->v[i].target);
    }
    free(o->v);
    memset(o, 0, sizeof *o);
}

static int out_cmp(const void *a, const void *b)
{
    return strcmp(((const ws_out *)a)->path, ((const ws_out *)b)->path);
}

/* Every regular file under root/rel, as out/... paths (hidden temporaries excluded). */
/* The next free entry of `o`, zeroed (not yet counted in o->n); NULL when out of memory. */
static ws_out *outs_next(ws_outs *o)
{
    if (POL_GROW(o->v, o->cap, o->n + 1, 8)) return NULL;
    ws_out *x = &o->v[o->n];
    memset(x, 0, sizeof *x);
    return x;
}

static pol_status walk_outputs(const char *root, const char *rel, ws_outs *o, pol_err *err)
{
    char *dir = ws_fmt("%s/%s", root, rel);
    DIR *d = dir ? opendir(dir) : NULL;
    if (!d) {
        pol_status s = ws_fail(err, POL_ERR_IO, "%s: %s", dir ? dir : root, strerror(errno));
        free(dir);
        return s;
    }
    struct dirent *e;
    pol_status s = POL_OK;
    while (!s && (e = readdir(d))) {
        if (e->d_name[0] == '.') continue;
        char *sub = ws_fmt("%s/%s", rel, e->d_name);
        char *full = ws_fmt("%s/%s", dir, e->d_name);
        struct stat st;
        if (!sub || !full)
            s = ws_fail(err, POL_ERR_NOMEM, "out of memory");
        else if (lstat(full, &st) != 0)
            s = ws_fail(err, POL_ERR_IO, "%s: %s", full, strerror(errno));
        else if (S_ISDIR(st.st_mode))
            s = walk_outputs(root, sub, o, err);
        else if (S_ISREG(st.st_mode)) {
            ws_out *x = outs_next(o);
            s = x ? ws_hash_file(full, -1, x->sha, &x->size, err)
                  : ws_fail(err, POL_ERR_NOMEM, "out of memory");
            if (!s) {
                x->path = sub;
                sub = NULL;
                o->n++;
                chmod(full, 0444);
            }
        }
        free(sub);
        free(full);
    }
    closedir(d);
    free(dir);
    return s;
}

/* Replaces the temporary folder's paths in the engine's report with the workspace's. */
static void rewrite_paths(json_t *j, const char *tmp_in, const char *tmp_out, const char *final_out,
                          const char *ws_dir, const char *tmp_side)
{
    if (json_is_object(j)) {
        const char *k;
        json_t *v;
        json_object_foreach(j, k, v) rewrite_paths(v, tmp_in, tmp_out, final_out, ws_dir, tmp_side);
    } else if (json_is_array(j)) {
        size_t i;
        json_t *v;
        json_array_foreach(j, i, v) rewrite_paths(v, tmp_in, tmp_out, final_out, ws_dir, tmp_side);
    } else if (json_is_string(j)) {
        const char *s = json_string_value(j);
        size_t li = strlen(tmp_in), lo = strlen(tmp_out), lw = strlen(ws_dir);
        char *n = NULL;
        if (!strncmp(s, tmp_out, lo))
            n = ws_fmt("%s%s", final_out, s + lo);
        else if (!strncmp(s, tmp_in, li))
            n = strdup(s + li);
        else if (!strncmp(s, tmp_side, strlen(tmp_side))) /* a side file: ws:<sha256>/name */
            n = ws_fmt("ws:%s", s + strlen(tmp_side));
        else if (!strncmp(s, ws_dir, lw) && s[lw] == '/') /* the workspace's own files */
            n = strdup(s + lw + 1);
        if (n) json_string_set(j, n);
        free(n);
    }
}

/* Reads renders/<key>/manifest.json; every output must be there with its size. */
static pol_status read_manifest(pol_workspace *w, const char *key, ws_outs *o, pol_err *err)
{
    char *path = ws_fmt("%s/renders/%s/manifest.json", w->meta, key);
    json_error_t je;
    json_t *m = path ? json_load_file(path, 0, &je) : NULL;
    pol_status s = POL_OK;
    json_t *outs = m ? json_object_get(m, "outputs") : NULL;
    if (!json_is_array(outs)) s = ws_fail(err, POL_ERR_CORRUPT, "%s: unreadable", path ? path : key);
    size_t i;
    json_t *x;
    json_array_foreach(outs, i, x)
    {
        if (s) break;
        const char *p = json_string_value(json_object_get(x, "path"));
        const char *t = json_string_value(json_object_get(x, "target"));
        const char *h = json_string_value(json_object_get(x, "sha256"));
        json_int_t size = json_integer_value(json_object_get(x, "size"));
        if (!p || !h || strlen(h) != 64 || strstr(p, "..")) {
            s = ws_fail(err, POL_ERR_CORRUPT, "%s: output %zu unreadable", path, i);
            break;
        }
        char *full = ws_fmt("%s/renders/%s/%s", w->meta, key, p);
        struct stat st;
        if (!full || stat(full, &st) != 0 || (json_int_t)st.st_size != size)
            s = ws_fail(err, POL_ERR_CORRUPT, "%s: %s is missing or changed", path, p);
        free(full);
        if (s) break;
        ws_out *y = outs_next(o);
        if (!y) {
            s = ws_fail(err, POL_ERR_NOMEM, "out of memory");
            break;
        }
        o->n++;
        y->path = strdup(p);
        y->target = t ? strdup(t) : NULL;
        snprintf(y->sha, sizeof y->sha, "%s", h);
        y->size = (uint64_t)size;
    }
    json_decref(m);
    free(path);
    if (s) outs_free(o);
    return s;
}

/* Records the render `key` (its outputs) and version `ver` as rendered by it, in one transaction.
 * `fresh`: the render was made now (compared with an earlier record of the same key). */
static pol_status record_render(pol_workspace *w, const ws_version *v, const char *key,
                                const char *orig, const ws_outs *o, int fresh, pol_err *err)
{
    pol_status s = ws_begin(w, err);
    if (s) return s;
    sqlite3_stmt *q = NULL;
    char *detail = NULL;
    /* an earlier record of this key (its folder was removed): the remade bytes must match */
    size_t before = 0, differ = 0;
    if ((s = ws_prepare(w, "SELECT path, sha256 FROM outputs WHERE render = ?", &q, err))) goto out;
    sqlite3_bind_text(q, 1, key, -1, SQLITE_STATIC);
    while (sqlite3_step(q) == SQLITE_ROW) {
        before++;
        const char *p = (const char *)sqlite3_column_text(q, 0);
        const char *h = (const char *)sqlite3_column_text(q, 1);
        int same = 0;
        for (size_t i = 0; i < o->n; i++)
            if (!strcmp(o->v[i].path, p)) same = !strcmp(o->v[i].sha, h);
        differ += !same;
    }
    sqlite3_finalize(q);
    q = NULL;
    if (before && before != o->n) differ++;
    if (!fresh)
        detail = ws_fmt("from the cache (%s; %zu output%s)", key, o->n, o->n == 1 ? "" : "s");
    else if (before)
        detail = ws_fmt("remade %s: %s (%zu output%s)", key,
                        differ ? "bytes DIFFER from the earlier render" : "identical bytes", o->n,
                        o->n == 1 ? "" : "s");
    else
        detail = ws_fmt("made %s (%zu output%s)", key, o->n, o->n == 1 ? "" : "s");
    if ((s = ws_prepare(w,
                        "INSERT OR IGNORE INTO renders(key, original, recipe_hash, engine, created) "
                        "VALUES(?,?,?,?,?)",
                        &q, err)))
        goto out;
    sqlite3_bind_text(q, 1, key, -1, SQLITE_STATIC);
    sqlite3_bind_text(q, 2, orig, -1, SQLITE_STATIC);
    sqlite3_bind_text(q, 3, v->recipe_hash, -1, SQLITE_STATIC);
    sqlite3_bind_text(q, 4, pol_workspace_engine(), -1, SQLITE_STATIC);
    sqlite3_bind_double(q, 5, ws_now());
    if (sqlite3_step(q) != SQLITE_DONE) {
        s = ws_db_error(w, err, "render");
        goto out;
    }
    sqlite3_finalize(q);
    q = NULL;
    if ((s = ws_prepare(w, "DELETE FROM outputs WHERE render = ?", &q, err))) goto out;
    sqlite3_bind_text(q, 1, key, -1, SQLITE_STATIC);
    sqlite3_step(q);
    sqlite3_finalize(q);
    q = NULL;
    if ((s = ws_prepare(w,
                        "INSERT INTO outputs(render, path, target, sha256, size) VALUES(?,?,?,?,?)",
                        &q, err)))
        goto out;
    for (size_t i = 0; i < o->n; i++) {
        sqlite3_reset(q);
        sqlite3_bind_text(q, 1, key, -1, SQLITE_STATIC);
        sqlite3_bind_text(q, 2, o->v[i].path, -1, SQLITE_STATIC);
        if (o->v[i].target)
            sqlite3_bind_text(q, 3, o->v[i].target, -1, SQLITE_STATIC);
        else
            sqlite3_bind_null(q, 3);
        sqlite3_bind_text(q, 4, o->v[i].sha, -1, SQLITE_STATIC);
        sqlite3_bind_int64(q, 5, (sqlite3_int64)o->v[i].size);
        if (sqlite3_step(q) != SQLITE_DONE) {
            s = ws_db_error(w, err, "outputs");
            goto out;
        }
    }
    sqlite3_finalize(q);
    q = NULL;
    if ((s = ws_prepare(w,
                        "UPDATE versions SET run = 'done', pid = NULL, render = ?1, report = "
                        "'.polish/renders/' || ?1 || '/report.json', error = NULL WHERE id = ?2",
                        &q, err)))
        goto out;
    sqlite3_bind_text(q, 1, key, -1, SQLITE_STATIC);
    sqlite3_bind_int64(q, 2, v->id);
    if (sqlite3_step(q) != SQLITE_DONE) {
        s = ws_db_error(w, err, "version");
        goto out;
    }
    sqlite3_finalize(q);
    q = NULL;
    if ((s = ws_history(w, v->item, v->id, "render", detail, 0, NULL, 0, err))) goto out;
    s = ws_commit(w, err);
out:
    if (q) sqlite3_finalize(q);
    if (s) ws_rollback(w);
    free(detail);
    return s;
}

static pol_status set_run(pol_workspace *w, const ws_version *v, const char *run,
                          const char *error, const char *report, const char *action, pol_err *err)
{
    pol_status s = ws_begin(w, err);
    if (s) return s;
    sqlite3_stmt *q;
    if (!(s = ws_prepare(w,
                         "UPDATE versions SET run = ?1, pid = CASE WHEN ?1 = 'running' THEN ?2 "
                         "ELSE NULL END, error = ?3, report = COALESCE(?4, report) WHERE id = ?5",
                         &q, err))) {
        sqlite3_bind_text(q, 1, run, -1, SQLITE_STATIC);
        sqlite3_bind_int64(q, 2, (sqlite3_int64)getpid());
        if (error) sqlite3_bind_text(q, 3, error, -1, SQLITE_STATIC);
        if (report) sqlite3_bind_text(q, 4, report, -1, SQLITE_STATIC);
        sqlite3_bind_int64(q, 5, v->id);
        if (sqlite3_step(q) != SQLITE_DONE) s = ws_db_error(w, err, "version");
        sqlite3_finalize(q);
    }
    if (!s && action) s = ws_history(w, v->item, v->id, action, error, 0, NULL, 0, err);
    if (!s) s = ws_commit(w, err);
    if (s) ws_rollback(w);
    return s;
}

/* The render itself: the original linked into tmp/.../in/ under the item's name, the batch run
 * into tmp/.../out/, the report and manifest written, the folder moved to renders/<key>. */
static pol_status make_render(pol_workspace *w, const ws_version *v, const char *key,
                              const char *name, const char *orig, const pol_options *opt,
                              pol_progress_fn progress, void *user, pol_err *err)
{
    char *tmpd = ws_tmpdir(w, "render");
    if (!tmpd) return ws_fail(err, POL_ERR_IO, "%s/tmp: %s", w->meta, strerror(errno));
    char *in_dir = ws_fmt("%s/in", tmpd), *out_dir = ws_fmt("%s/out", tmpd);
    char *in = ws_fmt("%s/in/%s", tmpd, name);
    char *store = ws_fmt("%s/store/%.2s/%s", w->meta, orig, orig);
    char *report_path = ws_fmt("%s/report.json", tmpd);
    char *final = ws_fmt("%s/renders/%s", w->meta, key);
    char *final_out = ws_fmt(".polish/renders/%s/out/", key);
    char *tin = ws_fmt("%s/in/", tmpd), *tout = ws_fmt("%s/out/", tmpd);
    pol_pipeline *p = NULL;
    pol_report *r = NULL;
    ws_outs o = {0};
    char *report_json = NULL, *failed_report = NULL, *side = NULL;
    pol_status s = POL_OK;
    if (!in_dir || !out_dir || !in || !store || !report_path || !final || !final_out || !tin ||
        !tout) {
        s = ws_fail(err, POL_ERR_NOMEM, "out of memory");
        goto out;
    }
    if (mkdir(in_dir, 0777) != 0 || mkdir(out_dir, 0777) != 0) {
        s = ws_fail(err, POL_ERR_IO, "%s: %s", tmpd, strerror(errno));
        goto out;
    }
    if (link(store, in) != 0 && symlink(store, in) != 0) {
        s = ws_fail(err, errno == ENOENT ? POL_ERR_NOT_FOUND : POL_ERR_IO,
                    "item %lld: the stored original %s: %s", (long long)v->item, store,
                    strerror(errno));
        goto out;
    }
    ws_directives dv;
    ws_parse_directives(v->recipe, &dv);
    s = dv.automatic ? pol_pipeline_new_auto(&p, err)
                     : pol_pipeline_parse_recipe(dv.body, strlen(dv.body), "recipe", &p, err);
    if (s) goto out;
    /* the files the recipe names (ws:<sha256>), linked under their names; the knowledge base */
    side = ws_fmt("%s/side", tmpd);
    if (!side) {
        s = ws_fail(err, POL_ERR_NOMEM, "out of memory");
        goto out;
    }
    if (dv.automatic && dv.kb[0]) {
        char *kbp = NULL;
        if (!(s = ws_kb_path(w, dv.kb, &kbp, err))) s = pol_pipeline_set_auto_option(p, "kb", kbp, err);
        free(kbp);
    } else if (!dv.automatic) {
        s = ws_resolve_pipeline(w, p, side, err);
    }
    if (s) goto out;
    pol_options o2;
    if (opt)
        o2 = *opt;
    else
        pol_options_default(&o2);
    o2.overwrite = o2.dry_run = o2.skip_existing = 0;
    /* from the recipe's directive only: part of the key, so every render of a key is made alike */
    o2.lenient = dv.lenient;
    const char *inputs[] = {in};
    pol_batch b = {.mode = POL_BATCH_PROCESS,
                   .options = &o2,
                   .outdir = out_dir,
                   .report_path = report_path,
                   .progress = progress,
                   .progress_user = user};
    r = pol_report_new("workspace fix");
    if (!r) {
        s = ws_fail(err, POL_ERR_NOMEM, "out of memory");
        goto out;
    }
    if ((s = set_run(w, v, "running", NULL, NULL, NULL, err))) goto out;
    pol_batch_result res = {0};
    pol_err berr;
    pol_err_clear(&berr);
    pol_status bs = pol_batch_run(p, inputs, 1, &b, r, &res, &berr);
    /* the report, with the workspace's paths instead of the temporary folder's */
    char *raw = pol_report_json(r);
    json_t *j = raw ? json_loads(raw, 0, NULL) : NULL;
    free(raw);
    if (j) {
        char *tside = ws_fmt("%s/", side);
        rewrite_paths(j, tin, tout, final_out, w->dir, tside ? tside : tout);
        free(tside);
        report_json = json_dumps(j, JSON_INDENT(1) | JSON_PRESERVE_ORDER);
        json_decref(j);
    }
    if (bs || res.ok != 1) {
        char *e = pol_report_errors(r);
        const char *msg = e && *e ? e : berr.msg[0] ? berr.msg : "the item was not rendered";
        char *clean = strdup(msg);
        if (clean) {
            size_t l = strlen(clean);
            while (l && clean[l - 1] == '\n') clean[--l] = '\0';
            /* the temporary folder's path means nothing to the reader */
            char *at = strstr(clean, tin);
            if (at) memmove(at, at + strlen(tin), strlen(at + strlen(tin)) + 1);
        }
        s = ws_fail(err, bs == POL_ERR_CANCELLED ? POL_ERR_CANCELLED
                         : bs && bs != POL_ERR_PARTIAL ? bs
                         : berr.code && berr.code != POL_ERR_PARTIAL ? berr.code
                                                                     : POL_ERR_UNSUPPORTED,
                    "item %lld (%s): %s", (long long)v->item, name, clean ? clean : msg);
        free(clean);
        free(e);
        if (report_json) {
            failed_report = ws_fmt(".polish/reports/version-%lld.json", (long long)v->id);
            char *full = failed_report ? ws_fmt("%s/%s", w->dir, failed_report) : NULL;
            pol_err ignore;
            if (!full || ws_write_atomic(full, report_json, &ignore)) {
                free(failed_report);
                failed_report = NULL;
            }
            free(full);
        }
        if (s == POL_ERR_CANCELLED)
            set_run(w, v, "queued", "cancelled before it finished", failed_report, "cancelled",
                    &berr);
        else
            set_run(w, v, "failed", err->msg, failed_report, "render failed", &berr);
        goto out;
    }
    if ((s = walk_outputs(tmpd, "out", &o, err))) goto out;
    qsort(o.v, o.n, sizeof *o.v, out_cmp);
    for (size_t i = 0; i < o.n; i++) { /* out/<target>/... belongs to that delivery target */
        const char *rest = o.v[i].path + 4;
        for (size_t t = 0; t < p->n_targets; t++) {
            size_t tl = strlen(p->targets[t].name);
            if (!strncmp(rest, p->targets[t].name, tl) && rest[tl] == '/')
                o.v[i].target = strdup(p->targets[t].name);
        }
    }
    /* the manifest: lineage from every output back to its original and recipe */
    json_t *m = json_object();
    json_object_set_new(m, "key", json_string(key));
    json_object_set_new(m, "item", json_integer(v->item));
    json_object_set_new(m, "name", json_string(name));
    json_object_set_new(m, "original", json_string(orig));
    json_object_set_new(m, "recipe_hash", json_string(v->recipe_hash));
    json_object_set_new(m, "recipe", v->recipe ? json_string(v->recipe) : json_null());
    json_object_set_new(m, "engine", json_string(pol_workspace_engine()));
    json_t *arr = json_array();
    for (size_t i = 0; i < o.n; i++) {
        json_t *x = json_object();
        json_object_set_new(x, "path", json_string(o.v[i].path));
        json_object_set_new(x, "target", o.v[i].target ? json_string(o.v[i].target) : json_null());
        json_object_set_new(x, "sha256", json_string(o.v[i].sha));
        json_object_set_new(x, "size", json_integer((json_int_t)o.v[i].size));
        json_array_append_new(arr, x);
    }
    json_object_set_new(m, "outputs", arr);
    char *mtext = json_dumps(m, JSON_INDENT(1) | JSON_PRESERVE_ORDER);
    json_decref(m);
    char *mpath = ws_fmt("%s/manifest.json", tmpd);
    if (!mtext || !mpath)
        s = ws_fail(err, POL_ERR_NOMEM, "out of memory");
    else if (!(s = ws_write_atomic(report_path, report_json ? report_json : "{}", err)))
        s = ws_write_atomic(mpath, mtext, err); /* written last: a folder with it is complete */
    free(mtext);
    free(mpath);
    if (s) goto out;
    unlink(in); /* the original's link: the render folder holds the render only */
    rmdir(in_dir);
    ws_rm_rf(side); /* the side files' links too */
    ws_fsync_dir(tmpd);
    ws_fsync_dir(out_dir);
    /* a folder without a manifest (made by hand, half removed) is not a render: replace it */
    if (rename(tmpd, final) != 0) {
        if ((errno == ENOTEMPTY || errno == EEXIST) && ws_rm_rf(final) == 0 &&
            rename(tmpd, final) == 0) {
        } else {
            s = ws_fail(err, POL_ERR_IO, "%s: %s", final, strerror(errno));
            goto out;
        }
    }
    char *rdir = ws_fmt("%s/renders", w->meta);
    if (rdir) ws_fsync_dir(rdir);
    free(rdir);
    s = record_render(w, v, key, orig, &o, 1, err);
out:
    if (tmpd) ws_rm_rf(tmpd); /* gone already when it was moved into place */
    pol_report_free(r);
    pol_pipeline_free(p);
    outs_free(&o);
    free(report_json);
    free(failed_report);
    free(side);
    free(tmpd);
    free(in_dir);
    free(out_dir);
    free(in);
    free(store);
    free(report_path);
    free(final);
    free(final_out);
    free(tin);
    free(tout);
    return s;
}

pol_status ws_render_version(pol_workspace *w, int64_t version, const pol_options *opt,
                             pol_progress_fn progress, void *user, char *key_out, pol_err *err)
{
    ws_version v;
    pol_status s = ws_load_version(w, version, &v, err);
    if (s) return s;
    char orig[65] = "", key[65];
    char *name = NULL;
    sqlite3_stmt *q;
    if (!(s = ws_prepare(w, "SELECT hash, name FROM items WHERE id = ?", &q, err))) {
        sqlite3_bind_int64(q, 1, v.item);
        if (sqlite3_step(q) == SQLITE_ROW) {
            snprintf(orig, sizeof orig, "%s", (const char *)sqlite3_column_text(q, 0));
            name = strdup((const char *)sqlite3_column_text(q, 1));
        }
        sqlite3_finalize(q);
        if (!name) s = ws_fail(err, POL_ERR_NOT_FOUND, "no item %lld", (long long)v.item);
    }
    if (s) {
        ws_version_free(&v);
        return s;
    }
    char *keytext = ws_fmt("polish-render\noriginal %s\nrecipe %s\nengine %s\n", orig,
                           v.recipe_hash, pol_workspace_engine());
    ws_hash_mem(keytext ? keytext : "", keytext ? strlen(keytext) : 0, key);
    free(keytext);
    if (key_out) memcpy(key_out, key, 65);
    /* One render of a key at a time, across threads and processes; the lock goes with the
     * process, so a killed renderer never blocks the next one. */
    char *lock = ws_fmt("%s/locks/%s.lock", w->meta, key);
    int lfd = lock ? open(lock, O_RDWR | O_CREAT | O_CLOEXEC, 0644) : -1;
    free(lock);
    if (lfd < 0 || flock(lfd, LOCK_EX) != 0) {
        s = ws_fail(err, POL_ERR_IO, "%s/locks: %s", w->meta, strerror(errno));
    } else {
        ws_outs o = {0};
        pol_err merr;
        if (ws_render_present(w, key) && read_manifest(w, key, &o, &merr) == POL_OK) {
            s = record_render(w, &v, key, orig, &o, 0, err);
            outs_free(&o);
        } else {
            s = make_render(w, &v, key, name, orig, opt, progress, user, err);
        }
    }
    if (lfd >= 0) close(lfd);
    free(name);
    ws_version_free(&v);
    return s;
}

pol_status pol_workspace_fix(pol_workspace *w, int64_t item_id, const char *recipe_text,
                             const pol_options *opt, pol_progress_fn progress, void *user,
                             pol_err *err)
{
    pol_err_clear(err);
    if (!w) return ws_fail(err, POL_ERR_ARG, "fix: no workspace");
    int64_t ver;
    pol_status s = draft_for(w, item_id, recipe_text, opt && opt->lenient, 0, &ver, err);
    if (s) return s;
    return ws_render_version(w, ver, opt, progress, user, NULL, err);
}

pol_status pol_workspace_queue(pol_workspace *w, int64_t item_id, const char *recipe_text,
                               pol_err *err)
{
    pol_err_clear(err);
    if (!w) return ws_fail(err, POL_ERR_ARG, "queue: no workspace");
    int64_t ver;
    return draft_for(w, item_id, recipe_text, 0, 1, &ver, err);
}

pol_status pol_workspace_render(pol_workspace *w, int64_t item_id, const pol_options *opt,
                                pol_progress_fn progress, void *user, pol_err *err)
{
    pol_err_clear(err);
    if (!w) return ws_fail(err, POL_ERR_ARG, "render: no workspace");
    int64_t ver;
    pol_status s = ws_current(w, item_id, &ver, err);
    if (s) return s;
    return ws_render_version(w, ver, opt, progress, user, NULL, err);
}
