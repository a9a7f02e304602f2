/* polish — the workspace's internals shared by its files: the handle, the catalog, file helpers. */
#ifndef POLISH_WORKSPACE_WS_H
#define POLISH_WORKSPACE_WS_H

#include <sqlite3.h>
#include <stdint.h>
#include "polish/workspace.h"

struct pol_workspace {
    char *dir;  /* absolute workspace folder */
    char *meta; /* dir/.polish */
    sqlite3 *db;
    int confined; /* recipes may name files only as ws:<sha256> (pol_workspace_confine) */
};

/* The recipe hash of the automatic recipe (a recipe's hash is the SHA-256 of its text). */
#define WS_AUTO_RECIPE "polish:automatic"

/* ---- errors and strings ---- */
pol_status ws_fail(pol_err *err, pol_status code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
char *ws_fmt(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
double ws_now(void);
/* "item.jpg" from any path or client name: base name only, no control characters or leading
 * dots, at most 200 bytes; "item" when nothing is left. */
char *ws_clean_name(const char *name);

/* ---- hashing (SHA-256, lower-case hex) ---- */
void ws_hash_mem(const void *data, size_t n, char hex[65]);
/* Hashes the file at `path`; with copy_fd >= 0 also writes every byte read there. */
pol_status ws_hash_file(const char *path, int copy_fd, char hex[65], uint64_t *size,
                        pol_err *err);
/* The recipe hash of `text` (NULL: the automatic recipe). */
void ws_recipe_hash(const char *text, char hex[65]);

/* ---- files ---- */
int ws_mkdir_p(const char *path);
int ws_rm_rf(const char *path);
void ws_fsync_dir(const char *dir);
/* Copies `src` to `dst` through a temporary beside it and link() (never replacing): POL_OK, or
 * POL_ERR_EXISTS when `dst` exists with other bytes (same bytes: POL_OK, nothing written). */
pol_status ws_deliver_file(const char *src, const char *src_sha, const char *dst, pol_err *err);
/* Writes `text` to `path` through a temporary beside it and rename(). */
pol_status ws_write_atomic(const char *path, const char *text, pol_err *err);
/* A fresh folder tmp/<kind>-<pid>-XXXXXX in the workspace; NULL on failure. */
char *ws_tmpdir(pol_workspace *w, const char *kind);

/* ---- catalog ---- */
pol_status ws_exec(pol_workspace *w, const char *sql, pol_err *err);
pol_status ws_begin(pol_workspace *w, pol_err *err); /* BEGIN IMMEDIATE */
pol_status ws_commit(pol_workspace *w, pol_err *err);
void ws_rollback(pol_workspace *w);
pol_status ws_prepare(pol_workspace *w, const char *sql, sqlite3_stmt **st, pol_err *err);
pol_status ws_db_error(pol_workspace *w, pol_err *err, const char *what);
/* A history line (inside the caller's transaction). */
pol_status ws_history(pol_workspace *w, int64_t item, int64_t version, const char *action,
                      const char *detail, int64_t prev_current, const char *prev_decision,
                      int undoable, pol_err *err);

/* The version a call works on. */
typedef struct ws_version {
    int64_t id, item, seq, parent;
    char decision[16], run[16];
    char recipe_hash[65];
    char *recipe; /* NULL: automatic */
    char *render; /* cache key or NULL */
    int pid;
} ws_version;
void ws_version_free(ws_version *v);
pol_status ws_load_version(pol_workspace *w, int64_t version, ws_version *v, pol_err *err);
/* The item's current version id. */
pol_status ws_current(pol_workspace *w, int64_t item, int64_t *version, pol_err *err);

/* Renders version `version` (no new draft); POL_OK when it is rendered (fresh or cached).
 * `key_out` (65 bytes, may be NULL) gets the render's key. */
pol_status ws_render_version(pol_workspace *w, int64_t version, const pol_options *opt,
                             pol_progress_fn progress, void *user, char *key_out, pol_err *err);

/* Is the render `key` in place (manifest present)? */
int ws_render_present(pol_workspace *w, const char *key);

/* ---- the store, side files, the knowledge base (files.c) ---- */
/* Copies `path` into store/ab/<sha256> through tmp/ and link(); *hex gets the hash. */
pol_status ws_store_copy(pol_workspace *w, const char *path, char hex[65], uint64_t *size,
                         pol_err *err);
/* Inside an open transaction: catalogues a stored original (once per hash); `what` names the
 * caller in an error. */
pol_status ws_record_original(pol_workspace *w, const char hex[65], uint64_t size, double now,
                              const char *what, pol_err *err);

/* A version's recipe text may start with directive lines the workspace adds (YAML comments, so an
 * explicit recipe stays a valid recipe): "# polish: automatic" (the domain's automatic recipe),
 * "# polish: kb ws:<set>" (the knowledge base given to the automatic steps that take one),
 * "# polish: lenient" (damaged input salvaged). They are part of the recipe's hash, so of the
 * render key. */
typedef struct ws_directives {
    int automatic, lenient;
    char kb[65];      /* the knowledge base set's hash, or "" */
    const char *body; /* the recipe after the directives (NULL when automatic) */
} ws_directives;
void ws_parse_directives(const char *text, ws_directives *d);
/* The canonical text: NULL for the plain automatic recipe (no directive at all). *text is the
 * caller's; POL_ERR_NOMEM only. */
pol_status ws_compose_recipe(const ws_directives *d, char **text, pol_err *err);

/* The workspace's current knowledge base set (hash of its documents' names and hashes) in `hex`,
 * "" when it holds no document. */
pol_status ws_kb_current(pol_workspace *w, char hex[65], pol_err *err);

/* Checks (side_dir NULL) or resolves (side_dir: a folder of the render's) every file a pipeline's
 * steps name: input ports and path parameters. "ws:<sha256>" is a side file (linked into
 * side_dir under its name, so its extension is kept) or a knowledge base set (built once into
 * kb/<set>.db); any other path is refused when the handle is confined. */
pol_status ws_resolve_pipeline(pol_workspace *w, pol_pipeline *p, const char *side_dir,
                               pol_err *err);
/* The path of knowledge base set `set`, built from its documents when missing. */
pol_status ws_kb_path(pol_workspace *w, const char *set, char **path, pol_err *err);

#endif
