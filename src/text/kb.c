/* polish — the knowledge base: approved passages in SQLite FTS5 (BM25), with source and position. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "text/text.h"

struct pol__kb {
    sqlite3 *db;
    sqlite3_stmt *search;
    pthread_mutex_t mu;
    long chunks;
};

static const char schema[] =
    "CREATE TABLE IF NOT EXISTS polish_kb(key TEXT PRIMARY KEY, value TEXT);"
    "INSERT OR IGNORE INTO polish_kb VALUES('format','polish-kb 1');"
    "CREATE TABLE IF NOT EXISTS docs(source TEXT PRIMARY KEY, hash TEXT NOT NULL, "
    "  chunks INTEGER NOT NULL);"
    "CREATE VIRTUAL TABLE IF NOT EXISTS chunks USING fts5(text, source UNINDEXED, "
    "  position UNINDEXED, tokenize='porter unicode61');";

pol_status pol__kb_open(const char *path, pol__kb **out, pol_err *err)
{
    *out = NULL;
    pol__kb *kb = calloc(1, sizeof *kb);
    if (!kb) return pol__err_set(err, POL_ERR_NOMEM, "out of memory");
    pthread_mutex_init(&kb->mu, NULL);
    int rc = sqlite3_open_v2(path, &kb->db, SQLITE_OPEN_READONLY | SQLITE_OPEN_FULLMUTEX, NULL);
    pol_status st = POL_OK;
    if (rc != SQLITE_OK) {
        st = pol__err_set(err, POL_ERR_IO, "%s: cannot open the knowledge base: %s", path,
                          kb->db ? sqlite3_errmsg(kb->db) : sqlite3_errstr(rc));
        goto fail;
    }
    sqlite3_stmt *q = NULL;
    rc = sqlite3_prepare_v2(kb->db, "SELECT count(*) FROM chunks", -1, &q, NULL);
    if (rc != SQLITE_OK || sqlite3_step(q) != SQLITE_ROW) {
        sqlite3_finalize(q);
        st = pol__err_set(err, POL_ERR_FORMAT,
                          "%s is not a polish knowledge base (%s); make one with "
                          "`polish text kb add DOCS --kb %s`",
                          path, sqlite3_errmsg(kb->db), path);
        goto fail;
    }
    kb->chunks = (long)sqlite3_column_int64(q, 0);
    sqlite3_finalize(q);
    rc = sqlite3_prepare_v3(kb->db,
                            "SELECT rowid, text, source, position, rank FROM chunks WHERE chunks "
                            "MATCH ?1 ORDER BY rank LIMIT ?2",
                            -1, SQLITE_PREPARE_PERSISTENT, &kb->search, NULL);
    if (rc != SQLITE_OK) {
        st = pol__err_set(err, POL_ERR_FORMAT, "%s: %s", path, sqlite3_errmsg(kb->db));
        goto fail;
    }
    *out = kb;
    return POL_OK;
fail:
    pol__kb_close(kb);
    return st;
}

void pol__kb_close(pol__kb *kb)
{
    if (!kb) return;
    sqlite3_finalize(kb->search);
    sqlite3_close(kb->db);
    pthread_mutex_destroy(&kb->mu);
    free(kb);
}

long pol__kb_chunks(pol__kb *kb)
{
    return kb ? kb->chunks : 0;
}

void pol__kb_hits_free(pol__kb_hit *hits, int n)
{
    for (int i = 0; i < n; i++) {
        free(hits[i].text);
        free(hits[i].source);
    }
}

int pol__kb_search(pol__kb *kb, const char *const *words, size_t n_words, int k, pol__kb_hit *hits,
                   pol_err *err)
{
    if (!n_words || k <= 0) return 0;
    /* "w1" OR "w2" ...: each word quoted (quotes doubled) so no word is read as syntax */
    size_t cap = 16;
    for (size_t i = 0; i < n_words; i++) cap += 2 * strlen(words[i]) + 8;
    char *q = malloc(cap);
    if (!q) {
        pol__err_set(err, POL_ERR_NOMEM, "out of memory");
        return -1;
    }
    size_t o = 0;
    for (size_t i = 0; i < n_words; i++) {
        if (i) {
            memcpy(q + o, " OR ", 4);
            o += 4;
        }
        q[o++] = '"';
        for (const char *p = words[i]; *p; p++) {
            if (*p == '"') q[o++] = '"';
            q[o++] = *p;
        }
        q[o++] = '"';
    }
    q[o] = '\0';
    int n = 0;
    pthread_mutex_lock(&kb->mu);
    sqlite3_reset(kb->search);
    sqlite3_bind_text(kb->search, 1, q, (int)o, SQLITE_STATIC);
    sqlite3_bind_int(kb->search, 2, k);
    int rc;
    while (n < k && (rc = sqlite3_step(kb->search)) == SQLITE_ROW) {
        pol__kb_hit *h = &hits[n];
        h->id = (long)sqlite3_column_int64(kb->search, 0);
        h->text = pol__strdup((const char *)sqlite3_column_text(kb->search, 1));
        h->source = pol__strdup((const char *)sqlite3_column_text(kb->search, 2));
        h->position = (long)sqlite3_column_int64(kb->search, 3);
        h->score = -sqlite3_column_double(kb->search, 4);
        n++;
        if (!h->text || !h->source) {
            pol__kb_hits_free(hits, n);
            n = -1;
            pol__err_set(err, POL_ERR_NOMEM, "out of memory");
            break;
        }
    }
    if (n >= 0 && rc != SQLITE_ROW && rc != SQLITE_DONE) {
        pol__kb_hits_free(hits, n);
        pol__err_set(err, POL_ERR_IO, "knowledge base search failed: %s", sqlite3_errmsg(kb->db));
        n = -1;
    }
    sqlite3_reset(kb->search);
    sqlite3_clear_bindings(kb->search);
    pthread_mutex_unlock(&kb->mu);
    free(q);
    return n;
}

/* ---- adding documents ----------------------------------------------------------------------- */

static pthread_mutex_t add_mu = PTHREAD_MUTEX_INITIALIZER;

static int copy_into(int dst, const char *src)
{
    int fd = open(src, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return errno == ENOENT ? 0 : -1;
    char buf[1 << 16];
    ssize_t r;
    int ok = 0;
    while ((r = read(fd, buf, sizeof buf)) != 0) {
        if (r < 0) {
            if (errno == EINTR) continue;
            ok = -1;
            break;
        }
        for (ssize_t w = 0; w < r;) {
            ssize_t k = write(dst, buf + w, (size_t)(r - w));
            if (k < 0) {
                if (errno == EINTR) continue;
                close(fd);
                return -1;
            }
            w += k;
        }
    }
    close(fd);
    return ok;
}

static void hash_hex(const pol__chunk_list *c, char out[17])
{
    uint64_t h = 1469598103934665603ull;
    for (size_t i = 0; i < c->n; i++) {
        for (const char *p = c->text[i]; *p; p++) h = (h ^ (unsigned char)*p) * 1099511628211ull;
        h = (h ^ 0xFF) * 1099511628211ull;
    }
    snprintf(out, 17, "%016llx", (unsigned long long)h);
}

static int exec(sqlite3 *db, const char *sql)
{
    return sqlite3_exec(db, sql, NULL, NULL, NULL) == SQLITE_OK ? 0 : -1;
}

pol_status pol__kb_add(pol_run *run, const char *path, const char *source, const pol__chunk_list *c,
                       long *added, long *removed, int *unchanged)
{
    *added = *removed = 0;
    *unchanged = 0;
    struct stat st;
    if (stat(path, &st) == 0 && !S_ISREG(st.st_mode))
        return pol__fail(run, POL_ERR_IO, "--kb %s is not a regular file", path);
    char *tmp = NULL;
    const char *base = pol__path_base(path);
    tmp = pol__asprintf("%.*s.%.200s.XXXXXX.part", (int)(base - path), path, base);
    if (!tmp) return pol__fail(run, POL_ERR_NOMEM, "out of memory");
    char hash[17];
    hash_hex(c, hash);
    pthread_mutex_lock(&add_mu);
    pol_status ret = POL_OK;
    sqlite3 *db = NULL;
    int fd = mkstemps(tmp, 5);
    if (fd < 0) {
        ret = pol__fail(run, POL_ERR_IO, "--kb %s: cannot make a temporary beside it: %s", path,
                        strerror(errno));
        goto out;
    }
    /* the knowledge base keeps its permissions; a new one is readable by all, like a document */
    (void)fchmod(fd, stat(path, &st) == 0 ? (st.st_mode & 07777) : 0644);
    if (copy_into(fd, path) != 0) {
        ret = pol__fail(run, POL_ERR_IO, "--kb %s: cannot copy it: %s", path, strerror(errno));
        goto out_unlink;
    }
    if (fsync(fd) != 0 && errno != EINVAL) {
        ret = pol__fail(run, POL_ERR_IO, "--kb %s: %s", path, strerror(errno));
        goto out_unlink;
    }
    close(fd);
    fd = -1;
    if (sqlite3_open_v2(tmp, &db, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK ||
        exec(db, "PRAGMA journal_mode=MEMORY; PRAGMA synchronous=FULL;") ||
        exec(db, "BEGIN") || exec(db, schema)) {
        ret = pol__fail(run, POL_ERR_FORMAT,
                        "--kb %s is not a knowledge base polish can add to: %s", path,
                        db ? sqlite3_errmsg(db) : "cannot open");
        goto out_unlink;
    }
    sqlite3_stmt *q = NULL;
    int same = 0;
    if (sqlite3_prepare_v2(db, "SELECT hash FROM docs WHERE source=?1", -1, &q, NULL) == SQLITE_OK) {
        sqlite3_bind_text(q, 1, source, -1, SQLITE_STATIC);
        if (sqlite3_step(q) == SQLITE_ROW)
            same = strcmp((const char *)sqlite3_column_text(q, 0), hash) == 0;
    }
    sqlite3_finalize(q);
    if (same) {
        *unchanged = 1;
        goto out_unlink; /* nothing to write: the kb stays exactly as it was */
    }
    q = NULL;
    if (sqlite3_prepare_v2(db, "DELETE FROM chunks WHERE source=?1", -1, &q, NULL) != SQLITE_OK)
        goto sql_fail;
    sqlite3_bind_text(q, 1, source, -1, SQLITE_STATIC);
    if (sqlite3_step(q) != SQLITE_DONE) goto sql_fail;
    *removed = sqlite3_changes(db);
    sqlite3_finalize(q);
    q = NULL;
    if (sqlite3_prepare_v2(db, "INSERT INTO chunks(text, source, position) VALUES(?1, ?2, ?3)", -1,
                           &q, NULL) != SQLITE_OK)
        goto sql_fail;
    for (size_t i = 0; i < c->n; i++) {
        sqlite3_bind_text(q, 1, c->text[i], -1, SQLITE_STATIC);
        sqlite3_bind_text(q, 2, source, -1, SQLITE_STATIC);
        sqlite3_bind_int64(q, 3, (sqlite3_int64)i + 1);
        if (sqlite3_step(q) != SQLITE_DONE) goto sql_fail;
        sqlite3_reset(q);
        (*added)++;
    }
    sqlite3_finalize(q);
    q = NULL;
    if (sqlite3_prepare_v2(db, "INSERT OR REPLACE INTO docs(source, hash, chunks) VALUES(?1,?2,?3)",
                           -1, &q, NULL) != SQLITE_OK)
        goto sql_fail;
    sqlite3_bind_text(q, 1, source, -1, SQLITE_STATIC);
    sqlite3_bind_text(q, 2, hash, -1, SQLITE_STATIC);
    sqlite3_bind_int64(q, 3, (sqlite3_int64)c->n);
    if (sqlite3_step(q) != SQLITE_DONE) goto sql_fail;
    sqlite3_finalize(q);
    q = NULL;
    if (exec(db, "COMMIT")) goto sql_fail;
    if (sqlite3_close(db) != SQLITE_OK) {
        db = NULL;
        ret = pol__fail(run, POL_ERR_IO, "--kb %s: closing the database failed", path);
        goto out_unlink;
    }
    db = NULL;
    fd = open(tmp, O_RDONLY | O_CLOEXEC);
    if (fd >= 0) {
        (void)fsync(fd);
        close(fd);
        fd = -1;
    }
    if (rename(tmp, path) != 0) {
        ret = pol__fail(run, POL_ERR_IO, "--kb %s: cannot move the new knowledge base into place: %s",
                        path, strerror(errno));
        goto out_unlink;
    }
    goto out;
sql_fail:
    ret = pol__fail(run, POL_ERR_IO, "--kb %s: %s", path, sqlite3_errmsg(db));
    sqlite3_finalize(q);
out_unlink:
    if (db) sqlite3_close(db);
    db = NULL;
    if (fd >= 0) close(fd);
    fd = -1;
    unlink(tmp);
out:
    if (fd >= 0) close(fd);
    pthread_mutex_unlock(&add_mu);
    free(tmp);
    return ret;
}
