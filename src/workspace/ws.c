/* polish — the workspace: opening and making one, the catalog's schema, recovery after a crash,
 * and the file and hashing helpers its other files share. */
#define _XOPEN_SOURCE 700 /* nftw */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <libavutil/mem.h>
#include <libavutil/sha.h>
#include "polish/polish.h"
#include "workspace/ws.h"

#define WS_SCHEMA_VERSION "1"

static const char *const schema_sql =
    "CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT);"
    "CREATE TABLE IF NOT EXISTS originals(hash TEXT PRIMARY KEY, size INTEGER NOT NULL,"
    "  added REAL NOT NULL);"
    "CREATE TABLE IF NOT EXISTS recipes(hash TEXT PRIMARY KEY, text TEXT);"
    "CREATE TABLE IF NOT EXISTS items(id INTEGER PRIMARY KEY AUTOINCREMENT,"
    "  hash TEXT NOT NULL UNIQUE REFERENCES originals(hash), name TEXT NOT NULL,"
    "  domain TEXT NOT NULL, source TEXT, added REAL NOT NULL, current INTEGER);"
    "CREATE TABLE IF NOT EXISTS versions(id INTEGER PRIMARY KEY AUTOINCREMENT,"
    "  item INTEGER NOT NULL REFERENCES items(id), seq INTEGER NOT NULL, parent INTEGER,"
    "  recipe_hash TEXT NOT NULL REFERENCES recipes(hash),"
    "  decision TEXT NOT NULL DEFAULT 'draft' CHECK(decision IN ('draft','approved','rejected')),"
    "  run TEXT NOT NULL DEFAULT 'none'"
    "    CHECK(run IN ('none','queued','running','done','failed')),"
    "  pid INTEGER, render TEXT, report TEXT, error TEXT, created REAL NOT NULL,"
    "  undone INTEGER NOT NULL DEFAULT 0, UNIQUE(item, seq));"
    "CREATE TABLE IF NOT EXISTS renders(key TEXT PRIMARY KEY, original TEXT NOT NULL,"
    "  recipe_hash TEXT NOT NULL, engine TEXT NOT NULL, created REAL NOT NULL);"
    "CREATE TABLE IF NOT EXISTS outputs(render TEXT NOT NULL REFERENCES renders(key),"
    "  path TEXT NOT NULL, target TEXT, sha256 TEXT NOT NULL, size INTEGER NOT NULL,"
    "  PRIMARY KEY(render, path));"
    "CREATE TABLE IF NOT EXISTS history(id INTEGER PRIMARY KEY AUTOINCREMENT,"
    "  item INTEGER NOT NULL, version INTEGER, action TEXT NOT NULL, detail TEXT,"
    "  prev_current INTEGER, prev_decision TEXT, undoable INTEGER NOT NULL DEFAULT 0,"
    "  undone INTEGER NOT NULL DEFAULT 0, time REAL NOT NULL);"
    "CREATE INDEX IF NOT EXISTS history_item ON history(item, id);"
    "CREATE TABLE IF NOT EXISTS watch(id INTEGER PRIMARY KEY AUTOINCREMENT,"
    "  inbox TEXT NOT NULL, rel TEXT NOT NULL, size INTEGER NOT NULL, mtime_ns INTEGER NOT NULL,"
    "  ino INTEGER NOT NULL, hash TEXT, item INTEGER, state TEXT NOT NULL, error TEXT,"
    "  time REAL NOT NULL, UNIQUE(inbox, rel, size, mtime_ns, ino));"
    /* side files (a LUT, privacy zones, subtitles, a knowledge base file) named by recipes as
     * ws:<sha256>; the workspace's knowledge base (its documents by name) and every set of
     * documents a render used (so a knowledge base is remade from the store like a render) */
    "CREATE TABLE IF NOT EXISTS files(hash TEXT PRIMARY KEY, name TEXT NOT NULL,"
    "  size INTEGER NOT NULL, added REAL NOT NULL);"
    "CREATE TABLE IF NOT EXISTS kb(name TEXT PRIMARY KEY, hash TEXT NOT NULL,"
    "  size INTEGER NOT NULL, added REAL NOT NULL);"
    "CREATE TABLE IF NOT EXISTS kb_sets(hash TEXT PRIMARY KEY, docs TEXT NOT NULL,"
    "  created REAL NOT NULL);";

/* ---- errors and strings ---------------------------------------------------------------------- */

pol_status ws_fail(pol_err *err, pol_status code, const char *fmt, ...)
{
    if (!err) return code;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->msg, sizeof err->msg, fmt, ap);
    va_end(ap);
    err->code = code;
    return code;
}

char *ws_fmt(const char *fmt, ...)
{
    va_list ap, aq;
    va_start(ap, fmt);
    va_copy(aq, ap);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    char *s = n < 0 ? NULL : malloc((size_t)n + 1);
    if (s) vsnprintf(s, (size_t)n + 1, fmt, aq);
    va_end(aq);
    return s;
}

double ws_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

char *ws_clean_name(const char *name)
{
    const char *base = name ? name : "";
    for (const char *p = base; *p; p++)
        if (*p == '/' || *p == '\\') base = p + 1;
    while (*base == '.' || *base == ' ') base++;
    size_t n = strlen(base);
    if (n > 200) n = 200;
    char *s = malloc(n + 5);
    if (!s) return NULL;
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)base[i];
        s[k++] = c < 0x20 || c == 0x7f ? '_' : (char)c;
    }
    s[k] = '\0';
    if (!k) strcpy(s, "item");
    return s;
}

/* ---- hashing --------------------------------------------------------------------------------- */

static void to_hex(const uint8_t d[32], char hex[65])
{
    static const char digits[] = "0123456789abcdef";
    for (int i = 0; i < 32; i++) {
        hex[2 * i] = digits[d[i] >> 4];
        hex[2 * i + 1] = digits[d[i] & 15];
    }
    hex[64] = '\0';
}

void ws_hash_mem(const void *data, size_t n, char hex[65])
{
    struct AVSHA *sha = av_sha_alloc();
    uint8_t d[32] = {0};
    if (sha && av_sha_init(sha, 256) == 0) {
        av_sha_update(sha, data, n);
        av_sha_final(sha, d);
    }
    av_free(sha);
    to_hex(d, hex);
}

void ws_recipe_hash(const char *text, char hex[65])
{
    if (!text) text = WS_AUTO_RECIPE;
    ws_hash_mem(text, strlen(text), hex);
}

pol_status ws_hash_file(const char *path, int copy_fd, char hex[65], uint64_t *size, pol_err *err)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0)
        return ws_fail(err, errno == ENOENT ? POL_ERR_NOT_FOUND : POL_ERR_IO, "%s: cannot open: %s",
                       path, strerror(errno));
    struct AVSHA *sha = av_sha_alloc();
    if (!sha || av_sha_init(sha, 256) != 0) {
        close(fd);
        av_free(sha);
        return ws_fail(err, POL_ERR_NOMEM, "%s: out of memory", path);
    }
    enum { CHUNK = 1 << 16 };
    uint8_t *buf = malloc(CHUNK);
    if (!buf) {
        close(fd);
        av_free(sha);
        return ws_fail(err, POL_ERR_NOMEM, "%s: out of memory", path);
    }
    uint64_t total = 0;
    pol_status st = POL_OK;
    for (;;) {
        ssize_t got = read(fd, buf, CHUNK);
        if (got < 0 && errno == EINTR) continue;
        if (got < 0) {
            st = ws_fail(err, POL_ERR_IO, "%s: read error: %s", path, strerror(errno));
            break;
        }
        if (got == 0) break;
        av_sha_update(sha, buf, (size_t)got);
        total += (uint64_t)got;
        for (ssize_t off = 0; copy_fd >= 0 && off < got;) {
            ssize_t put = write(copy_fd, buf + off, (size_t)(got - off));
            if (put < 0 && errno == EINTR) continue;
            if (put <= 0) {
                st = ws_fail(err, POL_ERR_IO, "%s: cannot copy into the store: %s", path,
                             strerror(errno));
                break;
            }
            off += put;
        }
        if (st) break;
    }
    uint8_t d[32];
    av_sha_final(sha, d);
    av_free(sha);
    free(buf);
    close(fd);
    if (st) return st;
    to_hex(d, hex);
    if (size) *size = total;
    return POL_OK;
}

/* ---- files ----------------------------------------------------------------------------------- */

int ws_mkdir_p(const char *path)
{
    char *p = strdup(path);
    if (!p) return -1;
    int rc = 0;
    for (char *s = p + 1; *s && !rc; s++) {
        if (*s != '/') continue;
        *s = '\0';
        if (mkdir(p, 0777) != 0 && errno != EEXIST) rc = -1;
        *s = '/';
    }
    if (!rc && mkdir(p, 0777) != 0 && errno != EEXIST) rc = -1;
    free(p);
    return rc;
}

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)ftw;
    if (flag == FTW_DP) return rmdir(path) == 0 || errno == ENOENT ? 0 : -1;
    return unlink(path) == 0 || errno == ENOENT ? 0 : -1;
}

int ws_rm_rf(const char *path)
{
    struct stat st;
    if (lstat(path, &st) != 0) return errno == ENOENT ? 0 : -1;
    return nftw(path, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

void ws_fsync_dir(const char *dir)
{
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd >= 0) {
        fsync(fd);
        close(fd);
    }
}

char *ws_tmpdir(pol_workspace *w, const char *kind)
{
    char *t = ws_fmt("%s/tmp/%s-%ld-XXXXXX", w->meta, kind, (long)getpid());
    if (t && !mkdtemp(t)) {
        free(t);
        return NULL;
    }
    return t;
}

pol_status ws_deliver_file(const char *src, const char *src_sha, const char *dst, pol_err *err)
{
    struct stat st;
    if (lstat(dst, &st) == 0) {
        char have[65];
        if (!S_ISREG(st.st_mode) || ws_hash_file(dst, -1, have, NULL, NULL) != POL_OK ||
            strcmp(have, src_sha) != 0)
            return ws_fail(err, POL_ERR_EXISTS, "%s exists with other content; not replaced", dst);
        return POL_OK;
    }
    char *slash = strrchr(dst, '/');
    char *dir = slash ? strndup(dst, (size_t)(slash - dst)) : strdup(".");
    const char *base = slash ? slash + 1 : dst;
    char *tmp = dir ? ws_fmt("%s/.%.200s.XXXXXX.part", dir, base) : NULL;
    if (!tmp || ws_mkdir_p(dir) != 0) {
        pol_status s = ws_fail(err, tmp ? POL_ERR_IO : POL_ERR_NOMEM, "%s: cannot make the folder: %s",
                               dst, strerror(errno));
        free(dir);
        free(tmp);
        return s;
    }
    int fd = mkstemps(tmp, 5);
    if (fd < 0) {
        pol_status s = ws_fail(err, POL_ERR_IO, "%s: cannot write: %s", dst, strerror(errno));
        free(dir);
        free(tmp);
        return s;
    }
    char got[65];
    pol_status s = ws_hash_file(src, fd, got, NULL, err);
    if (!s && fsync(fd) != 0) s = ws_fail(err, POL_ERR_IO, "%s: %s", dst, strerror(errno));
    if (close(fd) != 0 && !s) s = ws_fail(err, POL_ERR_IO, "%s: %s", dst, strerror(errno));
    if (!s && strcmp(got, src_sha) != 0)
        s = ws_fail(err, POL_ERR_CORRUPT, "%s: its bytes differ from the catalog's record", src);
    if (!s) chmod(tmp, 0644); /* mkstemps made it 0600 */
    if (!s && link(tmp, dst) != 0) {
        if (errno == EEXIST) { /* someone else put it there meanwhile */
            char have[65];
            if (ws_hash_file(dst, -1, have, NULL, NULL) != POL_OK || strcmp(have, src_sha) != 0)
                s = ws_fail(err, POL_ERR_EXISTS, "%s exists with other content; not replaced", dst);
        } else {
            s = ws_fail(err, POL_ERR_IO, "%s: %s", dst, strerror(errno));
        }
    }
    unlink(tmp);
    if (!s) ws_fsync_dir(dir);
    free(dir);
    free(tmp);
    return s;
}

/* Writes `text` to `path` through a temporary and rename. */
pol_status ws_write_atomic(const char *path, const char *text, pol_err *err)
{
    char *tmp = ws_fmt("%s.XXXXXX", path);
    int fd = tmp ? mkstemp(tmp) : -1;
    if (fd < 0) {
        free(tmp);
        return ws_fail(err, POL_ERR_IO, "%s: %s", path, strerror(errno));
    }
    size_t n = strlen(text), off = 0;
    pol_status s = POL_OK;
    while (off < n) {
        ssize_t put = write(fd, text + off, n - off);
        if (put < 0 && errno == EINTR) continue;
        if (put <= 0) {
            s = ws_fail(err, POL_ERR_IO, "%s: %s", path, strerror(errno));
            break;
        }
        off += (size_t)put;
    }
    if (!s && fsync(fd) != 0) s = ws_fail(err, POL_ERR_IO, "%s: %s", path, strerror(errno));
    if (close(fd) != 0 && !s) s = ws_fail(err, POL_ERR_IO, "%s: %s", path, strerror(errno));
    if (!s) chmod(tmp, 0644);
    if (!s && rename(tmp, path) != 0) s = ws_fail(err, POL_ERR_IO, "%s: %s", path, strerror(errno));
    if (s) unlink(tmp);
    free(tmp);
    return s;
}

/* ---- catalog --------------------------------------------------------------------------------- */

pol_status ws_db_error(pol_workspace *w, pol_err *err, const char *what)
{
    int rc = sqlite3_errcode(w->db);
    return ws_fail(err, rc == SQLITE_FULL || rc == SQLITE_IOERR ? POL_ERR_IO : POL_ERR_INTERNAL,
                   "%s/.polish/catalog.db: %s: %s", w->dir, what, sqlite3_errmsg(w->db));
}

pol_status ws_exec(pol_workspace *w, const char *sql, pol_err *err)
{
    char *msg = NULL;
    if (sqlite3_exec(w->db, sql, NULL, NULL, &msg) != SQLITE_OK) {
        pol_status s = ws_fail(err, POL_ERR_INTERNAL, "%s/.polish/catalog.db: %s", w->dir,
                               msg ? msg : "error");
        sqlite3_free(msg);
        return s;
    }
    return POL_OK;
}

pol_status ws_begin(pol_workspace *w, pol_err *err) { return ws_exec(w, "BEGIN IMMEDIATE", err); }
pol_status ws_commit(pol_workspace *w, pol_err *err) { return ws_exec(w, "COMMIT", err); }
void ws_rollback(pol_workspace *w)
{
    if (!sqlite3_get_autocommit(w->db)) sqlite3_exec(w->db, "ROLLBACK", NULL, NULL, NULL);
}

pol_status ws_prepare(pol_workspace *w, const char *sql, sqlite3_stmt **st, pol_err *err)
{
    if (sqlite3_prepare_v2(w->db, sql, -1, st, NULL) != SQLITE_OK) {
        *st = NULL;
        return ws_db_error(w, err, "prepare");
    }
    return POL_OK;
}

pol_status ws_history(pol_workspace *w, int64_t item, int64_t version, const char *action,
                      const char *detail, int64_t prev_current, const char *prev_decision,
                      int undoable, pol_err *err)
{
    sqlite3_stmt *st;
    if (ws_prepare(w,
                   "INSERT INTO history(item, version, action, detail, prev_current, "
                   "prev_decision, undoable, time) VALUES(?,?,?,?,?,?,?,?)",
                   &st, err))
        return err->code;
    sqlite3_bind_int64(st, 1, item);
    if (version) sqlite3_bind_int64(st, 2, version);
    sqlite3_bind_text(st, 3, action, -1, SQLITE_STATIC);
    if (detail) sqlite3_bind_text(st, 4, detail, -1, SQLITE_STATIC);
    if (prev_current) sqlite3_bind_int64(st, 5, prev_current);
    if (prev_decision) sqlite3_bind_text(st, 6, prev_decision, -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 7, undoable);
    sqlite3_bind_double(st, 8, ws_now());
    int rc = sqlite3_step(st);
    sqlite3_finalize(st);
    return rc == SQLITE_DONE ? POL_OK : ws_db_error(w, err, "history");
}

void ws_version_free(ws_version *v)
{
    free(v->recipe);
    free(v->render);
    v->recipe = v->render = NULL;
}

pol_status ws_load_version(pol_workspace *w, int64_t version, ws_version *v, pol_err *err)
{
    memset(v, 0, sizeof *v);
    sqlite3_stmt *st;
    if (ws_prepare(w,
                   "SELECT v.id, v.item, v.seq, v.parent, v.decision, v.run, v.recipe_hash, "
                   "r.text, v.render, v.pid FROM versions v JOIN recipes r ON r.hash = "
                   "v.recipe_hash WHERE v.id = ?",
                   &st, err))
        return err->code;
    sqlite3_bind_int64(st, 1, version);
    int rc = sqlite3_step(st);
    if (rc != SQLITE_ROW) {
        sqlite3_finalize(st);
        return rc == SQLITE_DONE
                   ? ws_fail(err, POL_ERR_NOT_FOUND, "%s: no version %lld", w->dir, (long long)version)
                   : ws_db_error(w, err, "version");
    }
    v->id = sqlite3_column_int64(st, 0);
    v->item = sqlite3_column_int64(st, 1);
    v->seq = sqlite3_column_int64(st, 2);
    v->parent = sqlite3_column_int64(st, 3);
    snprintf(v->decision, sizeof v->decision, "%s", (const char *)sqlite3_column_text(st, 4));
    snprintf(v->run, sizeof v->run, "%s", (const char *)sqlite3_column_text(st, 5));
    snprintf(v->recipe_hash, sizeof v->recipe_hash, "%s", (const char *)sqlite3_column_text(st, 6));
    if (sqlite3_column_type(st, 7) != SQLITE_NULL)
        v->recipe = strdup((const char *)sqlite3_column_text(st, 7));
    if (sqlite3_column_type(st, 8) != SQLITE_NULL)
        v->render = strdup((const char *)sqlite3_column_text(st, 8));
    v->pid = sqlite3_column_int(st, 9);
    sqlite3_finalize(st);
    return POL_OK;
}

pol_status ws_current(pol_workspace *w, int64_t item, int64_t *version, pol_err *err)
{
    sqlite3_stmt *st;
    if (ws_prepare(w, "SELECT current FROM items WHERE id = ?", &st, err)) return err->code;
    sqlite3_bind_int64(st, 1, item);
    int rc = sqlite3_step(st);
    *version = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
    sqlite3_finalize(st);
    if (rc == SQLITE_ROW) return POL_OK;
    return rc == SQLITE_DONE ? ws_fail(err, POL_ERR_NOT_FOUND, "%s: no item %lld", w->dir,
                                       (long long)item)
                             : ws_db_error(w, err, "item");
}

int ws_render_present(pol_workspace *w, const char *key)
{
    char *m = ws_fmt("%s/renders/%s/manifest.json", w->meta, key);
    struct stat st;
    int ok = m && stat(m, &st) == 0;
    free(m);
    return ok;
}

/* ---- engine version ------------------------------------------------------------------------- */

static char engine_id[96];
static pthread_once_t engine_once = PTHREAD_ONCE_INIT;

static void engine_init(void)
{
    /* The version number alone does not change when an op's defaults do; the registry document
     * (every op, parameter, default and range) does. */
    char *reg = pol_registry_json(NULL);
    char hex[65] = "unknown";
    if (reg) ws_hash_mem(reg, strlen(reg), hex);
    free(reg);
    snprintf(engine_id, sizeof engine_id, "%s+%.12s", pol_version(), hex);
}

const char *pol_workspace_engine(void)
{
    pthread_once(&engine_once, engine_init);
    return engine_id;
}

/* ---- open, init, recovery ------------------------------------------------------------------- */

static char *abs_dir(const char *dir)
{
    char buf[PATH_MAX];
    if (!realpath(dir, buf)) return NULL;
    return strdup(buf);
}

static pol_status open_db(pol_workspace *w, int create, pol_err *err)
{
    char *path = ws_fmt("%s/catalog.db", w->meta);
    if (!path) return ws_fail(err, POL_ERR_NOMEM, "out of memory");
    int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX | (create ? SQLITE_OPEN_CREATE : 0);
    int rc = sqlite3_open_v2(path, &w->db, flags, NULL);
    free(path);
    if (rc != SQLITE_OK) {
        pol_status s = ws_fail(err, POL_ERR_IO, "%s/.polish/catalog.db: cannot open: %s", w->dir,
                               w->db ? sqlite3_errmsg(w->db) : "out of memory");
        sqlite3_close(w->db);
        w->db = NULL;
        return s;
    }
    sqlite3_busy_timeout(w->db, 30000);
    /* WAL with synchronous=NORMAL: a commit survives the process being killed at any moment (the
     * crash the workspace is built for); only an OS crash or power loss may take back the last
     * commits, and the catalog is then consistent at an earlier point (recovery requeues a render
     * whose folder is in place, an original in the store without its item is reused). One fsync
     * per checkpoint instead of one per commit. */
    if (ws_exec(w, "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;",
                err))
        return err->code;
    if (create) {
        if (ws_begin(w, err)) return err->code;
        char *meta = ws_fmt("%s INSERT OR IGNORE INTO meta VALUES('schema', '%s');", schema_sql,
                            WS_SCHEMA_VERSION);
        pol_status s = meta ? ws_exec(w, meta, err) : ws_fail(err, POL_ERR_NOMEM, "out of memory");
        free(meta);
        if (s || ws_commit(w, err)) {
            ws_rollback(w);
            return err->code;
        }
    }
    return POL_OK;
}

pol_status pol_workspace_init(const char *dir, pol_err *err)
{
    pol_err_clear(err);
    if (!dir || !*dir) return ws_fail(err, POL_ERR_ARG, "init: which folder?");
    if (ws_mkdir_p(dir) != 0)
        return ws_fail(err, POL_ERR_IO, "%s: cannot make the folder: %s", dir, strerror(errno));
    pol_workspace w = {0};
    w.dir = abs_dir(dir);
    if (!w.dir) return ws_fail(err, POL_ERR_IO, "%s: %s", dir, strerror(errno));
    w.meta = ws_fmt("%s/.polish", w.dir);
    char *db = ws_fmt("%s/catalog.db", w.meta);
    struct stat st;
    pol_status s = POL_OK;
    if (!w.meta || !db)
        s = ws_fail(err, POL_ERR_NOMEM, "out of memory");
    else if (stat(db, &st) == 0)
        s = ws_fail(err, POL_ERR_EXISTS, "%s is a workspace already", w.dir);
    else {
        const char *subs[] = {"store", "renders", "reports", "tmp", "locks"};
        if (mkdir(w.meta, 0777) != 0 && errno != EEXIST)
            s = ws_fail(err, POL_ERR_IO, "%s: %s", w.meta, strerror(errno));
        for (size_t i = 0; !s && i < sizeof subs / sizeof *subs; i++) {
            char *p = ws_fmt("%s/%s", w.meta, subs[i]);
            if (!p || (mkdir(p, 0777) != 0 && errno != EEXIST))
                s = ws_fail(err, POL_ERR_IO, "%s/%s: %s", w.meta, subs[i], strerror(errno));
            free(p);
        }
        if (!s) s = open_db(&w, 1, err);
    }
    free(db);
    if (w.db) sqlite3_close(w.db);
    free(w.meta);
    free(w.dir);
    return s;
}

static int pid_alive(long pid)
{
    if (pid <= 0) return 0;
    return kill((pid_t)pid, 0) == 0 || errno == EPERM;
}

/* A killed process leaves its work: tmp/<kind>-<pid>-XXXXXX folders and versions "running" under
 * its pid. Its folders go; its renders are queued again (the catalog never said "done"). */
static void recover(pol_workspace *w)
{
    char *tmp = ws_fmt("%s/tmp", w->meta);
    DIR *d = tmp ? opendir(tmp) : NULL;
    struct dirent *e;
    while (d && (e = readdir(d))) {
        const char *dash = strchr(e->d_name, '-');
        if (e->d_name[0] == '.' || !dash) continue;
        long pid = strtol(dash + 1, NULL, 10);
        if (pid_alive(pid)) continue;
        char *p = ws_fmt("%s/%s", tmp, e->d_name);
        if (p) ws_rm_rf(p);
        free(p);
    }
    if (d) closedir(d);
    free(tmp);
    sqlite3_stmt *st;
    pol_err err;
    if (ws_prepare(w, "SELECT id, item, pid FROM versions WHERE run = 'running'", &st, &err))
        return;
    int64_t (*stale)[2] = NULL;
    size_t n = 0;
    while (sqlite3_step(st) == SQLITE_ROW) {
        if (pid_alive(sqlite3_column_int(st, 2))) continue;
        int64_t(*ns)[2] = realloc(stale, (n + 1) * sizeof *stale);
        if (!ns) break;
        stale = ns;
        stale[n][0] = sqlite3_column_int64(st, 0);
        stale[n][1] = sqlite3_column_int64(st, 1);
        n++;
    }
    sqlite3_finalize(st);
    if (n && ws_begin(w, &err) == POL_OK) {
        for (size_t i = 0; i < n; i++) {
            char *sql = ws_fmt("UPDATE versions SET run = 'queued', pid = NULL WHERE id = %lld AND "
                               "run = 'running'",
                               (long long)stale[i][0]);
            if (sql) ws_exec(w, sql, &err);
            free(sql);
            ws_history(w, stale[i][1], stale[i][0], "interrupted",
                       "the render's process ended before it finished; queued again", 0, NULL, 0,
                       &err);
        }
        if (ws_commit(w, &err)) ws_rollback(w);
    }
    free(stale);
}

pol_status pol_workspace_open(const char *dir, pol_workspace **out, pol_err *err)
{
    pol_err_clear(err);
    *out = NULL;
    if (!dir || !*dir) return ws_fail(err, POL_ERR_ARG, "open: which folder?");
    pol_workspace *w = calloc(1, sizeof *w);
    if (!w) return ws_fail(err, POL_ERR_NOMEM, "out of memory");
    w->dir = abs_dir(dir);
    if (!w->dir) {
        pol_status s = ws_fail(err, errno == ENOENT ? POL_ERR_NOT_FOUND : POL_ERR_IO, "%s: %s", dir,
                               strerror(errno));
        free(w);
        return s;
    }
    w->meta = ws_fmt("%s/.polish", w->dir);
    char *db = w->meta ? ws_fmt("%s/catalog.db", w->meta) : NULL;
    struct stat st;
    pol_status s = POL_OK;
    if (!db)
        s = ws_fail(err, POL_ERR_NOMEM, "out of memory");
    else if (stat(db, &st) != 0)
        s = ws_fail(err, POL_ERR_NOT_FOUND,
                    "%s is not a polish workspace (no .polish/catalog.db; make one with 'polish "
                    "init')",
                    w->dir);
    free(db);
    if (!s) s = open_db(w, 0, err);
    if (!s) {
        /* made by an older build without some table: the schema is only ever added to */
        s = ws_exec(w, schema_sql, err);
    }
    if (s) {
        pol_workspace_close(w);
        return s;
    }
    const char *subs[] = {"store", "renders", "reports", "tmp", "locks"};
    for (size_t i = 0; i < sizeof subs / sizeof *subs; i++) {
        char *p = ws_fmt("%s/%s", w->meta, subs[i]);
        if (p) mkdir(p, 0777);
        free(p);
    }
    recover(w);
    *out = w;
    return POL_OK;
}

void pol_workspace_close(pol_workspace *w)
{
    if (!w) return;
    if (w->db) sqlite3_close(w->db);
    free(w->dir);
    free(w->meta);
    free(w);
}

const char *pol_workspace_dir(const pol_workspace *w) { return w ? w->dir : NULL; }

pol_status pol_workspace_find(const char *start, char **dir, pol_err *err)
{
    pol_err_clear(err);
    *dir = NULL;
    char *cur = abs_dir(start && *start ? start : ".");
    if (!cur) return ws_fail(err, POL_ERR_NOT_FOUND, "%s: %s", start, strerror(errno));
    for (;;) {
        char *db = ws_fmt("%s/.polish/catalog.db", strcmp(cur, "/") ? cur : "");
        struct stat st;
        int found = db && stat(db, &st) == 0;
        free(db);
        if (found) {
            *dir = cur;
            return POL_OK;
        }
        char *slash = strrchr(cur, '/');
        if (!slash || slash == cur) {
            if (strcmp(cur, "/") == 0) break;
            cur[1] = '\0'; /* try "/" last */
            continue;
        }
        *slash = '\0';
    }
    free(cur);
    return ws_fail(err, POL_ERR_NOT_FOUND,
                   "no polish workspace here or in a parent folder (make one with 'polish init .')");
}
