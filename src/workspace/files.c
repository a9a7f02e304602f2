/* polish — side files and the knowledge base of a workspace: files a recipe names (a LUT,
 * privacy zones, subtitles) are stored by hash and named ws:<sha256>, never by a path; the
 * knowledge base is the workspace's approved documents, built into a text knowledge base per set
 * of documents (kb/<set>.db), remade from the store whenever it is missing. */
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>
#include "core/args.h"
#include "core/pipeline.h"
#include "workspace/ws.h"

/* ---- recipe directives ----------------------------------------------------------------------- */

#define DIRECTIVE "# polish: "

static int is_hex64(const char *s)
{
    for (int i = 0; i < 64; i++)
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f'))) return 0;
    return 1;
}

void ws_parse_directives(const char *text, ws_directives *d)
{
    memset(d, 0, sizeof *d);
    if (!text) {
        d->automatic = 1;
        return;
    }
    const char *p = text;
    while (!strncmp(p, DIRECTIVE, strlen(DIRECTIVE))) {
        const char *v = p + strlen(DIRECTIVE);
        const char *nl = strchr(v, '\n');
        size_t n = nl ? (size_t)(nl - v) : strlen(v);
        if (n == 9 && !strncmp(v, "automatic", 9))
            d->automatic = 1;
        else if (n == 7 && !strncmp(v, "lenient", 7))
            d->lenient = 1;
        else if (n == 6 + 64 && !strncmp(v, "kb ws:", 6) && is_hex64(v + 6))
            snprintf(d->kb, sizeof d->kb, "%.64s", v + 6);
        else
            break; /* not ours: the recipe's own comment */
        p = nl ? nl + 1 : v + n;
    }
    d->body = d->automatic ? NULL : p;
}

pol_status ws_compose_recipe(const ws_directives *d, char **text, pol_err *err)
{
    *text = NULL;
    if (d->automatic && !d->lenient && !d->kb[0]) return POL_OK;
    *text = ws_fmt("%s%s%s%s%s%s", d->automatic ? DIRECTIVE "automatic\n" : "",
                   d->kb[0] ? DIRECTIVE "kb ws:" : "", d->kb, d->kb[0] ? "\n" : "",
                   d->lenient ? DIRECTIVE "lenient\n" : "", d->automatic ? "" : d->body ? d->body : "");
    return *text ? POL_OK : ws_fail(err, POL_ERR_NOMEM, "out of memory");
}

/* ---- side files ------------------------------------------------------------------------------ */

/* Stores `path` and records it (originals and `table`: files, or kb by name). */
static pol_status store_and_record(pol_workspace *w, const char *path, const char *display_name,
                                   int kb, char hex[65], char **name_out, pol_err *err)
{
    struct stat st;
    if (!path || stat(path, &st) != 0)
        return ws_fail(err, POL_ERR_NOT_FOUND, "%s: %s", path ? path : "(none)", strerror(errno));
    if (!S_ISREG(st.st_mode)) return ws_fail(err, POL_ERR_ARG, "%s: not a regular file", path);
    uint64_t size = 0;
    pol_status s = ws_store_copy(w, path, hex, &size, err);
    if (s) return s;
    char *name = ws_clean_name(display_name ? display_name : path);
    if (!name) return ws_fail(err, POL_ERR_NOMEM, "out of memory");
    sqlite3_stmt *q = NULL;
    double now = ws_now();
    if ((s = ws_begin(w, err))) goto out;
    if ((s = ws_record_original(w, hex, size, now, "side file", err))) goto out;
    if ((s = ws_prepare(w,
                        kb ? "INSERT OR REPLACE INTO kb(name, hash, size, added) VALUES(?2,?1,?3,?4)"
                           : "INSERT OR IGNORE INTO files(hash, name, size, added) VALUES(?,?,?,?)",
                        &q, err)))
        goto out;
    sqlite3_bind_text(q, 1, hex, -1, SQLITE_STATIC);
    sqlite3_bind_text(q, 2, name, -1, SQLITE_STATIC);
    sqlite3_bind_int64(q, 3, (sqlite3_int64)size);
    sqlite3_bind_double(q, 4, now);
    if (sqlite3_step(q) != SQLITE_DONE) {
        s = ws_db_error(w, err, "side file");
        goto out;
    }
    s = ws_commit(w, err);
out:
    if (q) sqlite3_finalize(q);
    if (s) ws_rollback(w);
    if (!s && name_out)
        *name_out = name;
    else
        free(name);
    return s;
}

pol_status pol_workspace_attach(pol_workspace *w, const char *path, const char *display_name,
                                char ref[72], pol_err *err)
{
    pol_err_clear(err);
    if (ref) ref[0] = '\0';
    if (!w) return ws_fail(err, POL_ERR_ARG, "attach: no workspace");
    char hex[65];
    pol_status s = store_and_record(w, path, display_name, 0, hex, NULL, err);
    if (!s && ref) snprintf(ref, 72, "ws:%s", hex);
    return s;
}

/* ---- the knowledge base ---------------------------------------------------------------------- */

/* The current documents as "name\thash\n" lines sorted by name (the set's identity). */
static pol_status kb_listing(pol_workspace *w, char **out, pol_err *err)
{
    *out = NULL;
    sqlite3_stmt *q;
    pol_status s = ws_prepare(w, "SELECT name, hash FROM kb ORDER BY name", &q, err);
    if (s) return s;
    size_t len = 0;
    char *buf = strdup("");
    while (buf && sqlite3_step(q) == SQLITE_ROW) {
        const char *n = (const char *)sqlite3_column_text(q, 0);
        const char *h = (const char *)sqlite3_column_text(q, 1);
        size_t add = strlen(n) + strlen(h) + 2;
        char *nb = realloc(buf, len + add + 1);
        if (!nb) {
            free(buf);
            buf = NULL;
            break;
        }
        buf = nb;
        snprintf(buf + len, add + 1, "%s\t%s\n", n, h);
        len += add;
    }
    sqlite3_finalize(q);
    if (!buf) return ws_fail(err, POL_ERR_NOMEM, "out of memory");
    *out = buf;
    return POL_OK;
}

pol_status ws_kb_current(pol_workspace *w, char hex[65], pol_err *err)
{
    hex[0] = '\0';
    char *list;
    pol_status s = kb_listing(w, &list, err);
    if (s) return s;
    if (*list) {
        char *t = ws_fmt("polish-kb\n%s", list);
        if (t) ws_hash_mem(t, strlen(t), hex);
        free(t);
        if (!t) s = ws_fail(err, POL_ERR_NOMEM, "out of memory");
    }
    free(list);
    return s;
}

/* Records the current set in kb_sets (so a render that uses it can be remade later). */
static pol_status kb_record_set(pol_workspace *w, char hex[65], pol_err *err)
{
    char *list;
    pol_status s = kb_listing(w, &list, err);
    if (s) return s;
    hex[0] = '\0';
    if (*list) {
        char *t = ws_fmt("polish-kb\n%s", list);
        if (!t) {
            free(list);
            return ws_fail(err, POL_ERR_NOMEM, "out of memory");
        }
        ws_hash_mem(t, strlen(t), hex);
        free(t);
        sqlite3_stmt *q;
        if (!(s = ws_prepare(w, "INSERT OR IGNORE INTO kb_sets(hash, docs, created) VALUES(?,?,?)",
                             &q, err))) {
            sqlite3_bind_text(q, 1, hex, -1, SQLITE_STATIC);
            sqlite3_bind_text(q, 2, list, -1, SQLITE_STATIC);
            sqlite3_bind_double(q, 3, ws_now());
            if (sqlite3_step(q) != SQLITE_DONE) s = ws_db_error(w, err, "knowledge base");
            sqlite3_finalize(q);
        }
    }
    free(list);
    return s;
}

/* Builds kb/<set>.db from the set's documents: each linked under its name into tmp/, added by
 * the text domain's kb-add (one batch, one thread: one writer), the passages' sources made the
 * documents' names (not the temporary folder's paths), then renamed into place. */
static pol_status kb_build(pol_workspace *w, const char *set, const char *final, pol_err *err)
{
    sqlite3_stmt *q;
    pol_status s = ws_prepare(w, "SELECT docs FROM kb_sets WHERE hash = ?", &q, err);
    if (s) return s;
    sqlite3_bind_text(q, 1, set, -1, SQLITE_STATIC);
    char *docs = sqlite3_step(q) == SQLITE_ROW ? strdup((const char *)sqlite3_column_text(q, 0))
                                               : NULL;
    sqlite3_finalize(q);
    if (!docs)
        return ws_fail(err, POL_ERR_NOT_FOUND, "%s: no knowledge base ws:%.12s… in this workspace",
                       w->dir, set);
    char *tmpd = ws_tmpdir(w, "kb");
    char *docdir = tmpd ? ws_fmt("%s/docs", tmpd) : NULL;
    char *db = tmpd ? ws_fmt("%s/kb.db", tmpd) : NULL;
    char *outd = tmpd ? ws_fmt("%s/out", tmpd) : NULL;
    const char **inputs = NULL;
    char **paths = NULL;
    size_t n = 0;
    pol_pipeline *p = NULL;
    pol_report *r = NULL;
    if (!tmpd || !docdir || !db || !outd || mkdir(docdir, 0777) || mkdir(outd, 0777)) {
        s = ws_fail(err, POL_ERR_IO, "%s/tmp: %s", w->meta, strerror(errno));
        goto out;
    }
    for (char *line = docs; *line;) {
        char *nl = strchr(line, '\n');
        if (!nl) break;
        *nl = '\0';
        char *tab = strchr(line, '\t');
        if (tab) {
            *tab = '\0';
            char **np = realloc(paths, (n + 1) * sizeof *np);
            if (!np) {
                s = ws_fail(err, POL_ERR_NOMEM, "out of memory");
                goto out;
            }
            paths = np;
            paths[n] = ws_fmt("%s/%s", docdir, line);
            char *store = ws_fmt("%s/store/%.2s/%s", w->meta, tab + 1, tab + 1);
            if (!paths[n] || !store || (link(store, paths[n]) != 0 && symlink(store, paths[n]) != 0)) {
                s = ws_fail(err, POL_ERR_IO, "knowledge base document %s: %s", line,
                            strerror(errno));
                free(store);
                n += paths[n] != NULL;
                goto out;
            }
            free(store);
            n++;
        }
        line = nl + 1;
    }
    inputs = calloc(n ? n : 1, sizeof *inputs);
    if (!inputs) {
        s = ws_fail(err, POL_ERR_NOMEM, "out of memory");
        goto out;
    }
    for (size_t i = 0; i < n; i++) inputs[i] = paths[i];
    size_t step;
    if ((s = pol_pipeline_new("text", &p, err)) || (s = pol_pipeline_add_step(p, "kb-add", &step, err)) ||
        (s = pol_pipeline_set_port(p, step, "kb", db, err)))
        goto out;
    pol_options o;
    pol_options_default(&o);
    o.threads = 1;
    pol_batch b = {.mode = POL_BATCH_PROCESS, .options = &o, .outdir = outd};
    r = pol_report_new("knowledge base");
    pol_batch_result res = {0};
    pol_err berr;
    pol_err_clear(&berr);
    pol_status bs = r ? pol_batch_run(p, inputs, n, &b, r, &res, &berr) : POL_ERR_NOMEM;
    if (bs || res.ok != n) {
        char *e = r ? pol_report_errors(r) : NULL;
        const char *msg = e && *e ? e : berr.msg[0] ? berr.msg : "not built";
        /* the temporary folder means nothing to the reader */
        char *at = e ? strstr(e, docdir) : NULL;
        if (at) memmove(at, at + strlen(docdir) + 1, strlen(at + strlen(docdir) + 1) + 1);
        s = ws_fail(err, bs && bs != POL_ERR_PARTIAL ? bs : POL_ERR_FORMAT,
                    "the knowledge base: %s", msg);
        free(e);
        goto out;
    }
    /* the passages cite their document by name, wherever the workspace or its tmp/ is */
    sqlite3 *k = NULL;
    if (sqlite3_open_v2(db, &k, SQLITE_OPEN_READWRITE, NULL) == SQLITE_OK) {
        char *sql = sqlite3_mprintf(
            "UPDATE docs SET source = substr(source, %d) WHERE source LIKE '%q/%%';"
            "UPDATE chunks SET source = substr(source, %d) WHERE source LIKE '%q/%%';",
            (int)strlen(docdir) + 2, docdir, (int)strlen(docdir) + 2, docdir);
        if (!sql || sqlite3_exec(k, sql, NULL, NULL, NULL) != SQLITE_OK)
            s = ws_fail(err, POL_ERR_IO, "the knowledge base: %s", sqlite3_errmsg(k));
        sqlite3_free(sql);
    } else {
        s = ws_fail(err, POL_ERR_IO, "the knowledge base: cannot open what was built");
    }
    sqlite3_close(k);
    if (s) goto out;
    chmod(db, 0444);
    char *kdir = ws_fmt("%s/kb", w->meta);
    if (kdir) mkdir(kdir, 0777);
    if (rename(db, final) != 0)
        s = ws_fail(err, POL_ERR_IO, "%s: %s", final, strerror(errno));
    else if (kdir)
        ws_fsync_dir(kdir);
    free(kdir);
out:
    if (tmpd) ws_rm_rf(tmpd);
    pol_report_free(r);
    pol_pipeline_free(p);
    for (size_t i = 0; i < n; i++) free(paths[i]);
    free(paths);
    free(inputs);
    free(docs);
    free(tmpd);
    free(docdir);
    free(db);
    free(outd);
    return s;
}

pol_status ws_kb_path(pol_workspace *w, const char *set, char **path, pol_err *err)
{
    *path = ws_fmt("%s/kb/%s.db", w->meta, set);
    if (!*path) return ws_fail(err, POL_ERR_NOMEM, "out of memory");
    struct stat st;
    if (stat(*path, &st) == 0) return POL_OK;
    /* one build of a set at a time, across threads and processes */
    char *lock = ws_fmt("%s/locks/kb-%s.lock", w->meta, set);
    int fd = lock ? open(lock, O_RDWR | O_CREAT | O_CLOEXEC, 0644) : -1;
    free(lock);
    pol_status s = POL_OK;
    if (fd < 0 || flock(fd, LOCK_EX) != 0)
        s = ws_fail(err, POL_ERR_IO, "%s/locks: %s", w->meta, strerror(errno));
    else if (stat(*path, &st) != 0)
        s = kb_build(w, set, *path, err);
    if (fd >= 0) close(fd);
    if (s) {
        free(*path);
        *path = NULL;
    }
    return s;
}

pol_status pol_workspace_kb_add(pol_workspace *w, const char *path, const char *display_name,
                                pol_err *err)
{
    pol_err_clear(err);
    if (!w) return ws_fail(err, POL_ERR_ARG, "kb add: no workspace");
    char hex[65], set[65];
    char *name = NULL, *old = NULL;
    pol_status s = POL_OK;
    /* the document it replaces (same name), to put back when the new one cannot be read */
    sqlite3_stmt *q;
    char *want = ws_clean_name(display_name ? display_name : path);
    if (!want) return ws_fail(err, POL_ERR_NOMEM, "out of memory");
    if (!(s = ws_prepare(w, "SELECT hash, size, added FROM kb WHERE name = ?", &q, err))) {
        sqlite3_bind_text(q, 1, want, -1, SQLITE_STATIC);
        if (sqlite3_step(q) == SQLITE_ROW)
            old = ws_fmt("%s\t%lld\t%.6f", (const char *)sqlite3_column_text(q, 0),
                         (long long)sqlite3_column_int64(q, 1), sqlite3_column_double(q, 2));
        sqlite3_finalize(q);
    }
    free(want);
    if (s) return s;
    if ((s = store_and_record(w, path, display_name, 1, hex, &name, err))) goto out;
    if (!(s = ws_begin(w, err))) {
        s = kb_record_set(w, set, err);
        if (!s) s = ws_commit(w, err);
        if (s) ws_rollback(w);
    }
    char *kbp = NULL;
    if (!s) s = ws_kb_path(w, set, &kbp, err); /* built now: a document it cannot read is refused */
    free(kbp);
    if (s) { /* put the knowledge base back as it was */
        pol_err e2;
        char *sql = old ? NULL : sqlite3_mprintf("DELETE FROM kb WHERE name = %Q", name);
        if (old) {
            char h[65];
            long long sz;
            double t;
            if (sscanf(old, "%64[0-9a-f]\t%lld\t%lf", h, &sz, &t) == 3)
                sql = sqlite3_mprintf("UPDATE kb SET hash = %Q, size = %lld, added = %.6f WHERE "
                                      "name = %Q",
                                      h, sz, t, name);
        }
        if (sql) ws_exec(w, sql, &e2);
        sqlite3_free(sql);
    }
out:
    free(name);
    free(old);
    return s;
}

pol_status pol_workspace_kb_remove(pol_workspace *w, const char *name, pol_err *err)
{
    pol_err_clear(err);
    if (!w || !name) return ws_fail(err, POL_ERR_ARG, "kb remove: which document?");
    sqlite3_stmt *q;
    pol_status s = ws_begin(w, err);
    if (s) return s;
    if ((s = ws_prepare(w, "DELETE FROM kb WHERE name = ?", &q, err))) goto out;
    sqlite3_bind_text(q, 1, name, -1, SQLITE_STATIC);
    sqlite3_step(q);
    sqlite3_finalize(q);
    if (!sqlite3_changes(w->db)) {
        s = ws_fail(err, POL_ERR_NOT_FOUND, "the knowledge base has no document %s", name);
        goto out;
    }
    char set[65];
    if (!(s = kb_record_set(w, set, err))) s = ws_commit(w, err);
out:
    if (s) ws_rollback(w);
    return s;
}

char *pol_workspace_kb_json(pol_workspace *w, pol_err *err)
{
    pol_err_clear(err);
    if (!w) {
        ws_fail(err, POL_ERR_ARG, "kb: no workspace");
        return NULL;
    }
    char set[65];
    if (ws_kb_current(w, set, err)) return NULL;
    json_t *j = json_object();
    json_object_set_new(j, "kb", set[0] ? json_sprintf("ws:%s", set) : json_null());
    json_t *docs = json_array();
    sqlite3_stmt *q;
    if (!ws_prepare(w, "SELECT name, hash, size, added FROM kb ORDER BY name", &q, err)) {
        while (sqlite3_step(q) == SQLITE_ROW) {
            json_t *d = json_object();
            json_object_set_new(d, "name", json_string((const char *)sqlite3_column_text(q, 0)));
            json_object_set_new(d, "sha256", json_string((const char *)sqlite3_column_text(q, 1)));
            json_object_set_new(d, "size", json_integer(sqlite3_column_int64(q, 2)));
            json_array_append_new(docs, d);
        }
        sqlite3_finalize(q);
    }
    json_object_set_new(j, "documents", docs);
    char *out = json_dumps(j, JSON_INDENT(1) | JSON_PRESERVE_ORDER);
    json_decref(j);
    if (!out) ws_fail(err, POL_ERR_NOMEM, "out of memory");
    return out;
}

void pol_workspace_confine(pol_workspace *w, int on)
{
    if (w) w->confined = on;
}

/* ---- files a recipe names -------------------------------------------------------------------- */

/* A copy of `src` as side_dir/<hash>/<name> for one render (a copy, not a link: an op that writes
 * to the file it was given never reaches the store). */
static pol_status side_copy(const char *side_dir, const char *hash, const char *name,
                            const char *src, const char *what, char **out, pol_err *err)
{
    char *dir = ws_fmt("%s/%s", side_dir, hash);
    char *dst = dir ? ws_fmt("%s/%s", dir, name) : NULL;
    pol_status s = POL_OK;
    struct stat st;
    if (!dst) {
        s = ws_fail(err, POL_ERR_NOMEM, "out of memory");
    } else if (lstat(dst, &st) != 0) {
        int fd = ws_mkdir_p(dir) == 0 ? open(dst, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644)
                                      : -1;
        char hex[65];
        if (fd < 0)
            s = ws_fail(err, POL_ERR_IO, "%s: %s: %s", what, dst, strerror(errno));
        else
            s = ws_hash_file(src, fd, hex, NULL, err);
        if (fd >= 0 && close(fd) != 0 && !s)
            s = ws_fail(err, POL_ERR_IO, "%s: %s: %s", what, dst, strerror(errno));
    }
    free(dir);
    if (!s)
        *out = dst;
    else
        free(dst);
    return s;
}

/* One path a recipe gave: checked, or replaced by the file it stands for. */
static pol_status resolve_one(pol_workspace *w, const char *what, const char *value,
                              const char *side_dir, char **out, pol_err *err)
{
    *out = NULL;
    if (strncmp(value, "ws:", 3) != 0) {
        if (w->confined)
            return ws_fail(err, POL_ERR_ARG,
                           "%s: a file is named by uploading it (ws:<sha256>), never by a path",
                           what);
        return POL_OK; /* the command line's own path: used as it is */
    }
    const char *h = value + 3;
    if (strlen(h) != 64 || !is_hex64(h))
        return ws_fail(err, POL_ERR_ARG, "%s: %s is not ws:<sha256>", what, value);
    sqlite3_stmt *q;
    pol_status s = ws_prepare(w, "SELECT name FROM files WHERE hash = ?", &q, err);
    if (s) return s;
    sqlite3_bind_text(q, 1, h, -1, SQLITE_STATIC);
    char *name = sqlite3_step(q) == SQLITE_ROW ? strdup((const char *)sqlite3_column_text(q, 0))
                                               : NULL;
    sqlite3_finalize(q);
    if (name) {
        char *store = ws_fmt("%s/store/%.2s/%s", w->meta, h, h);
        if (side_dir && store) s = side_copy(side_dir, h, name, store, what, out, err);
        else if (!store) s = ws_fail(err, POL_ERR_NOMEM, "out of memory");
        free(store);
        free(name);
        return s;
    }
    if ((s = ws_prepare(w, "SELECT 1 FROM kb_sets WHERE hash = ?", &q, err))) return s;
    sqlite3_bind_text(q, 1, h, -1, SQLITE_STATIC);
    int is_kb = sqlite3_step(q) == SQLITE_ROW;
    sqlite3_finalize(q);
    if (!is_kb)
        return ws_fail(err, POL_ERR_NOT_FOUND, "%s: no file %.15s… in this workspace (upload it)",
                       what, value);
    if (!side_dir) return POL_OK;
    char *kbp = NULL;
    if ((s = ws_kb_path(w, h, &kbp, err))) return s;
    s = side_copy(side_dir, h, "kb.db", kbp, what, out, err);
    free(kbp);
    return s;
}

static pol_status resolve_args(pol_workspace *w, pol_args *a, const char *where,
                               const char *side_dir, pol_err *err)
{
    if (!a || !a->op) return POL_OK;
    const pol_op_desc *op = a->op;
    char what[256];
    for (size_t i = 0; i < op->n_inputs; i++)
        for (size_t k = 0; k < a->in[i].n; k++) {
            snprintf(what, sizeof what, "%s (%s.%s) %s", where, op->domain, op->name,
                     op->inputs[i].name);
            char *r = NULL;
            pol_status s = resolve_one(w, what, a->in[i].paths[k], side_dir, &r, err);
            if (s) return s;
            if (r) {
                free(a->in[i].paths[k]);
                a->in[i].paths[k] = r;
            }
        }
    for (size_t i = 0; i < op->n_outputs; i++)
        for (size_t k = 0; k < a->out[i].n; k++) {
            const char *v = a->out[i].paths[k];
            /* an output port's file lands inside the render's folder: a plain name only */
            if (w->confined && (strchr(v, '/') || v[0] == '.' || !*v))
                return ws_fail(err, POL_ERR_ARG, "%s (%s.%s) %s: an output is named by a plain "
                                                 "file name",
                               where, op->domain, op->name, op->outputs[i].name);
        }
    for (size_t i = 0; i < op->n_params; i++) {
        if (!(op->params[i].flags & POL_PARAM_PATH) || !a->given[i] || !a->v[i].text) continue;
        snprintf(what, sizeof what, "%s (%s.%s) %s", where, op->domain, op->name,
                 op->params[i].name);
        char *r = NULL;
        pol_status s = resolve_one(w, what, a->v[i].text, side_dir, &r, err);
        if (!s && r) s = pol__args_set(a, op->params[i].name, r, err);
        free(r);
        if (s) return s;
    }
    return POL_OK;
}

pol_status ws_resolve_pipeline(pol_workspace *w, pol_pipeline *p, const char *side_dir,
                               pol_err *err)
{
    pol_status s = POL_OK;
    char where[64];
    for (size_t i = 0; !s && i < p->n_steps; i++) {
        snprintf(where, sizeof where, "step %zu", i + 1);
        s = resolve_args(w, p->steps[i].args, where, side_dir, err);
    }
    for (size_t i = 0; !s && i < p->n_targets; i++)
        s = resolve_args(w, p->targets[i].args, "target", side_dir, err);
    if (!s) s = resolve_args(w, p->deliver, "delivery", side_dir, err);
    return s;
}
