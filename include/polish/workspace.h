/* polish — the workspace: a catalog of originals, their versions (recipes), decisions and renders. */
#ifndef POLISH_WORKSPACE_H
#define POLISH_WORKSPACE_H

#include <stddef.h>
#include <stdint.h>
#include "polish/status.h"
#include "polish/engine.h"

#ifdef __cplusplus
extern "C" {
#endif

/*
 * A workspace is a folder DIR holding DIR/.polish/ (docs/WORKSPACE.md):
 *   catalog.db   SQLite in WAL mode: originals, items, versions, renders, outputs, history, watch
 *   store/       the originals, content-addressed (store/ab/<sha256>), read-only, never modified
 *   renders/     the render cache: renders/<key>/ holds one render's outputs, its report.json and
 *                its manifest.json (lineage: original hash, recipe, engine, outputs with sha256);
 *                key = sha256(original hash, recipe hash, engine version); an output of a delivery
 *                target is renders/<key>/<target>/<name>
 *   tmp/, locks/ work in progress (swept on open when its process is gone)
 *
 * An item is one original (the same content added twice is the same item). It has versions; each
 * version is a recipe (YAML text; NULL = the domain's automatic recipe) applied to the original,
 * with a decision (draft, approved, rejected) and a run state (none, queued, running, done,
 * failed). An approved version is immutable: fixing or editing it forks a new draft. The item's
 * state (pol_workspace_item_json "state") is "approved" or "rejected" for a decided current
 * version, otherwise the current draft's run state: "queued", "running", "done", "failed", or
 * "draft" when it was never rendered.
 *
 * Threads and processes: one handle per thread (a handle is not shared between threads at once).
 * Several handles, in one process or several, may work on one workspace at the same time: SQLite
 * WAL with a busy timeout serialises the writes, and renders of the same cache key are serialised
 * by a lock file (the second one finds the first one's render). A process killed at any moment
 * leaves the catalog consistent and no partial file in store/, renders/ or an export folder; the
 * next open sweeps what it left in tmp/ and puts its interrupted renders back to "queued".
 *
 * Strings returned (char *) are the caller's: free with free(). Every call that can fail returns a
 * status and fills `err` with a message naming the workspace, the item or the file.
 */
typedef struct pol_workspace pol_workspace;

/* Makes DIR/.polish/ (DIR is made when missing): the catalog and the store. POL_ERR_EXISTS when DIR
 * already is a workspace. */
pol_status pol_workspace_init(const char *dir, pol_err *err);

/* Opens the workspace at DIR. *out is the caller's on success (close it with
 * pol_workspace_close), NULL on error; POL_ERR_NOT_FOUND when DIR is not a workspace. */
pol_status pol_workspace_open(const char *dir, pol_workspace **out, pol_err *err);

/* The workspace folder holding `start` (itself or its nearest parent with a .polish/ catalog),
 * as an absolute path in *dir (free it). POL_ERR_NOT_FOUND when there is none. */
pol_status pol_workspace_find(const char *start, char **dir, pol_err *err);

/* Closes the handle (accepts NULL). */
void pol_workspace_close(pol_workspace *w);

/* The workspace's folder (absolute; owned by the handle). */
const char *pol_workspace_dir(const pol_workspace *w);

/* The engine version that renders are keyed by ("0.1.0+<registry hash>"); static. */
const char *pol_workspace_engine(void);

/* Ingests one file: recognised by content (every domain's sniff; POL_ERR_FORMAT when none),
 * copied into the store by its SHA-256 (the original is only read), and given its first version:
 * a draft with the automatic recipe (not rendered yet). The same content again gives the same
 * item (its first name kept). display_name: the item's name (NULL: the file's base name; only its
 * base name is kept). *item_id may be NULL. */
pol_status pol_workspace_add(pol_workspace *w, const char *path, const char *display_name,
                             int64_t *item_id, pol_err *err);

/* Marks the item's draft "queued" for a later pol_workspace_fix (a server's worker); recipe_text
 * as for pol_workspace_fix. */
pol_status pol_workspace_queue(pol_workspace *w, int64_t item_id, const char *recipe_text,
                               pol_err *err);

/*
 * Renders the item's current draft with `recipe_text` (YAML as docs/recipes.md; NULL: the domain's
 * automatic recipe). When the current version is approved or rejected, or its recipe differs, a
 * new draft is made first (its parent the current version; recorded in the history, undoable).
 * The render is looked up in the cache by (original hash, recipe hash, engine version) and made
 * only when missing: into tmp/, then moved into renders/<key>/ whole; its report is kept there.
 * Blocking; `opt` may be NULL (defaults); `progress` may be NULL. Safe from a server worker thread
 * with its own handle. Returns POL_OK when the draft rendered; otherwise the version is "failed"
 * with the error kept (POL_ERR_RECIPE for a bad recipe, the engine's status for a failed item).
 */
pol_status pol_workspace_fix(pol_workspace *w, int64_t item_id, const char *recipe_text,
                             const pol_options *opt, pol_progress_fn progress, void *user,
                             pol_err *err);

/* Renders the item's current version as it is (no new draft; an approved version too: its render
 * is a cache entry, not a change). Used by export; POL_OK when it is rendered. */
pol_status pol_workspace_render(pol_workspace *w, int64_t item_id, const pol_options *opt,
                                pol_progress_fn progress, void *user, pol_err *err);

/* Decisions on the item's current version, each recorded in the history. Approving a version whose
 * last render failed is refused (POL_ERR_ARG). */
pol_status pol_workspace_approve(pol_workspace *w, int64_t item_id, pol_err *err);
pol_status pol_workspace_reject(pol_workspace *w, int64_t item_id, pol_err *err);

/* Undoes the item's last decision or edit (an approval, a rejection, a new draft): the version
 * gets its former decision, or the item its former current version. Several calls walk further
 * back. POL_ERR_NOT_FOUND when there is nothing left to undo. */
pol_status pol_workspace_undo(pol_workspace *w, int64_t item_id, pol_err *err);

/*
 * One item as JSON: {"id", "name", "domain", "hash", "size", "original" (path relative to the
 * workspace), "added", "state", "current" (version id), "error" (or null), "versions": [{"id",
 * "seq", "parent", "state" (as the item's), "decision", "run", "recipe" (text or null),
 * "recipe_hash", "render" (cache key or null), "outputs": [{"path" (relative to the workspace),
 * "target" (or null), "sha256", "size"}], "report" (path or null), "error", "created",
 * "current", "undone"}], "report": the current version's last report (the engine's report JSON
 * of that item, or null)}. NULL on error (err says why: POL_ERR_NOT_FOUND for an unknown id).
 */
char *pol_workspace_item_json(pol_workspace *w, int64_t item_id, pol_err *err);

/* Every item as {"workspace": DIR, "items": [one object per item as pol_workspace_item_json,
 * without "report"]}, in id order. */
char *pol_workspace_list_json(pol_workspace *w, pol_err *err);

/* The item's history (every add, new draft, render, approval, rejection, undo, export) as
 * {"id": ITEM, "history": [{"seq", "time", "action", "version", "detail", "undone"}]}. */
char *pol_workspace_history_json(pol_workspace *w, int64_t item_id, pol_err *err);

/* The absolute path of an output of the item's current version's render: the one of delivery
 * target `target` (NULL: the default output — without targets the item's output, otherwise the
 * first target's). POL_ERR_NOT_FOUND when the version is not rendered or has no such target.
 * *path is the caller's. */
pol_status pol_workspace_output_path(pol_workspace *w, int64_t item_id, const char *target,
                                     char **path, pol_err *err);

/* The absolute path of the item's stored original (read-only). *path is the caller's. */
pol_status pol_workspace_original_path(pol_workspace *w, int64_t item_id, char **path,
                                       pol_err *err);

/* Ids of the items whose current draft is "queued", oldest first. *ids is the caller's. */
pol_status pol_workspace_queued(pol_workspace *w, int64_t **ids, size_t *n, pol_err *err);

/*
 * Writes into `outdir` (made when missing) every delivery target's output of each item's latest
 * approved version (approved_only; otherwise of each item's current version), rendering the ones
 * not rendered yet: OUTDIR/<name> or OUTDIR/<target>/<name>, each through a temporary file and a
 * rename, plus OUTDIR/.polish-lineage.json (each file -> item, version, original hash, recipe
 * hash, render key). Names two items share get "-<id>" before the extension. An existing file
 * with the same bytes is kept; one with other bytes is refused (never replaced). One failed item
 * is reported in `err` and skipped (POL_ERR_PARTIAL); the others are written.
 */
pol_status pol_workspace_export(pol_workspace *w, const char *outdir, int approved_only,
                                pol_err *err);

/* ---- side files and the knowledge base -------------------------------------------------------- */

/*
 * A recipe names the files its steps read (a LUT, privacy zones, subtitles, a knowledge base file:
 * input ports and path parameters) as "ws:<sha256>": a side file stored in the workspace by
 * pol_workspace_attach, or a knowledge base set (pol_workspace_kb_json's "kb"). So a render's
 * key covers its side files' bytes, and a page never gives the server a path.
 */

/* Stores the file at `path` by its SHA-256 (read-only, as originals) under display_name (NULL:
 * the file's base name; only a base name is kept, its extension tells the op the type). `ref`
 * (72 bytes, may be NULL) gets "ws:<sha256>". */
pol_status pol_workspace_attach(pol_workspace *w, const char *path, const char *display_name,
                                char ref[72], pol_err *err);

/*
 * The workspace's knowledge base: approved documents (Markdown, text, HTML, a CSV of questions and
 * answers), one per name — adding a document under a name it holds replaces it (a new price
 * list). The automatic recipe of a text item (an answer) is checked and fixed against the
 * documents the knowledge base holds when it is fixed: the version's recipe records that set
 * ("# polish: kb ws:<set>"), so a later change of the documents makes a new draft at the next
 * fix and a render can always be remade. The set is built into a text knowledge base
 * (.polish/kb/<set>.db) when a document is added: a document it cannot read is refused and the
 * knowledge base stays as it was.
 */
pol_status pol_workspace_kb_add(pol_workspace *w, const char *path, const char *display_name,
                                pol_err *err);
/* Takes document `name` out of the knowledge base (POL_ERR_NOT_FOUND when it holds none). */
pol_status pol_workspace_kb_remove(pol_workspace *w, const char *name, pol_err *err);
/* {"kb": "ws:<set>" or null when empty, "documents": [{"name", "sha256", "size"}]}. */
char *pol_workspace_kb_json(pol_workspace *w, pol_err *err);

/* A confined handle (a server's) takes recipes that name files only as ws:<sha256> and output
 * ports only by a plain file name: any other path is refused (POL_ERR_ARG) before the catalog
 * changes. Off by default (the command line's recipes may name the user's own files). */
void pol_workspace_confine(pol_workspace *w, int on);

/* ---- the render cache's size --------------------------------------------------------------- */

typedef struct pol_workspace_gc_result {
    size_t kept, removed;         /* render folders */
    uint64_t kept_bytes, removed_bytes;
    size_t pinned;                /* kept because a current or approved version uses them */
} pol_workspace_gc_result;

/*
 * Evicts renders from the cache, least recently made first, until what is left takes at most
 * max_bytes (0: every render that may go). Never evicted: the render of an item's current version
 * and of every approved version (pinned, whatever the limit), nor a render being made (its lock
 * held). An evicted render stays in the catalog (key, outputs' SHA-256): the next fix of its
 * version remakes it and checks the bytes. Knowledge bases (kb/<set>.db) other than the current
 * set's go too; they are rebuilt from their documents when used. `res` may be NULL.
 */
pol_status pol_workspace_gc(pol_workspace *w, uint64_t max_bytes, pol_workspace_gc_result *res,
                            pol_err *err);

/* ---- watching an inbox ---------------------------------------------------------------------- */

typedef enum pol_watch_event {
    POL_WATCH_DONE,    /* a file was ingested, rendered and delivered */
    POL_WATCH_KNOWN,   /* a file the catalog had already delivered (after a restart): skipped */
    POL_WATCH_FAILED,  /* a file could not be ingested or rendered (recorded, not retried until
                          it changes) */
} pol_watch_event;

/* Called for each file handled: its path, item id (0 when it could not be ingested), and the
 * error message for POL_WATCH_FAILED (else NULL). */
typedef void (*pol_watch_fn)(pol_watch_event ev, const char *path, int64_t item_id,
                             const char *message, void *user);

typedef struct pol_watch_spec {
    const char *inbox;       /* folder watched (walked recursively, hidden entries skipped) */
    const char *recipe_text; /* YAML recipe; NULL: the automatic recipe */
    const char *outdir;      /* each file's outputs land here as OUT/[<target>/]<subdir>/<name> */
    double interval;         /* seconds between scans (default 1) */
    int settle;              /* a file is complete once its size and mtime held for this many
                                scans in a row (default 2) */
    int once;                /* scan until every file present is complete and handled, then
                                return (no waiting for new files) */
    const pol_options *options;
    pol_watch_fn on_event;
    void *user;
} pol_watch_spec;

/* Watches `spec->inbox` until pol_cancel() (or, with `once`, until it is handled). Each complete
 * file is recorded in the catalog's watch table with its size, mtime and inode, ingested, rendered
 * with the recipe and delivered to the output folder (temporary + rename); a restart skips the
 * files recorded as delivered and finishes the others, the render cache and the store making
 * every step idempotent. Returns POL_OK (POL_ERR_CANCELLED after pol_cancel), or an error when
 * the inbox cannot be read. */
pol_status pol_workspace_watch(pol_workspace *w, const pol_watch_spec *spec, pol_err *err);

#ifdef __cplusplus
}
#endif
#endif
