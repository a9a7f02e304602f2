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
#include "text/textutil.h"
#include <math.h>

/* How many passages hold a word, cached: the search leaves out words most passages have
 * (their posting lists cost time and say little) and keeps the rarest. */
typedef struct df_entry {
    char *word;
    long df;
} df_entry;

struct pol__kb {
    sqlite3 *db;
    sqlite3_stmt *search, *fetch, *count;
    pthread_mutex_t mu;
    long chunks;
    df_entry *df;
    size_t df_cap, df_n;
    /* the in-memory index (BM25 over the same passages, on the checker's word stems) */
    struct mem_index *mem;
};

static uint64_t hash_word(const char *w);

/* ---- in-memory BM25 ------------------------------------------------------------------------- */

typedef struct posting {
    uint32_t doc;
    uint16_t tf;
} posting;

typedef struct term {
    char *stem;
    posting *p;
    uint32_t n, cap;
} term;

typedef struct mem_index {
    size_t n_docs;
    long *rowid;
    char **text, **source;
    long *position;
    float *len;
    double avg_len;
    term *terms; /* open addressing on the stem */
    size_t cap, n_terms;
    double *acc; /* scores, one per passage, reset after each search */
    uint32_t *touched;
} mem_index;

static void mem_free(mem_index *m)
{
    if (!m) return;
    for (size_t i = 0; i < m->n_docs; i++) {
        free(m->text[i]);
        free(m->source[i]);
    }
    for (size_t i = 0; i < m->cap; i++) {
        free(m->terms[i].stem);
        free(m->terms[i].p);
    }
    free(m->rowid);
    free(m->text);
    free(m->source);
    free(m->position);
    free(m->len);
    free(m->terms);
    free(m->acc);
    free(m->touched);
    free(m);
}

static term *term_slot(mem_index *m, const char *stem, int create)
{
    if (create && m->n_terms * 2 >= m->cap) {
        size_t cap = m->cap ? m->cap * 2 : 4096;
        term *t = calloc(cap, sizeof *t);
        if (!t) return NULL;
        for (size_t i = 0; i < m->cap; i++) {
            if (!m->terms[i].stem) continue;
            size_t j = hash_word(m->terms[i].stem) & (cap - 1);
            while (t[j].stem) j = (j + 1) & (cap - 1);
            t[j] = m->terms[i];
        }
        free(m->terms);
        m->terms = t;
        m->cap = cap;
    }
    if (!m->cap) return NULL;
    size_t j = hash_word(stem) & (m->cap - 1);
    while (m->terms[j].stem) {
        if (!strcmp(m->terms[j].stem, stem)) return &m->terms[j];
        j = (j + 1) & (m->cap - 1);
    }
    if (!create) return NULL;
    if (!(m->terms[j].stem = pol__strdup(stem))) return NULL;
    m->n_terms++;
    return &m->terms[j];
}

/* Loads every passage and indexes its content words. NULL on OOM (the search then uses FTS5). */
static mem_index *mem_build(sqlite3 *db, long n)
{
    mem_index *m = calloc(1, sizeof *m);
    if (!m) return NULL;
    size_t cap = (size_t)(n > 0 ? n : 1);
    m->rowid = malloc(cap * sizeof *m->rowid);
    m->text = calloc(cap, sizeof *m->text);
    m->source = calloc(cap, sizeof *m->source);
    m->position = malloc(cap * sizeof *m->position);
    m->len = malloc(cap * sizeof *m->len);
    m->acc = calloc(cap, sizeof *m->acc);
    m->touched = malloc(cap * sizeof *m->touched);
    sqlite3_stmt *q = NULL;
    if (!m->rowid || !m->text || !m->source || !m->position || !m->len || !m->acc || !m->touched ||
        sqlite3_prepare_v2(db, "SELECT rowid, text, source, position FROM chunks", -1, &q, NULL) != SQLITE_OK) {
        sqlite3_finalize(q);
        mem_free(m);
        return NULL;
    }
    double total = 0;
    int ok = 1;
    while (ok && m->n_docs < cap && sqlite3_step(q) == SQLITE_ROW) {
        size_t d = m->n_docs;
        const char *t = (const char *)sqlite3_column_text(q, 1);
        const char *src = (const char *)sqlite3_column_text(q, 2);
        m->rowid[d] = (long)sqlite3_column_int64(q, 0);
        m->text[d] = pol__strdup(t ? t : "");
        m->source[d] = pol__strdup(src ? src : "");
        m->position[d] = (long)sqlite3_column_int64(q, 3);
        m->n_docs++;
        if (!m->text[d] || !m->source[d]) {
            ok = 0;
            break;
        }
        pol__word *w = NULL;
        long nw = pol__words(m->text[d], strlen(m->text[d]), &w);
        if (nw < 0) {
            ok = 0;
            break;
        }
        uint32_t len = 0;
        for (long i = 0; i < nw && ok; i++) {
            if (w[i].stop) continue;
            len++;
            term *tm = term_slot(m, w[i].stem, 1);
            if (!tm) {
                ok = 0;
                break;
            }
            if (tm->n && tm->p[tm->n - 1].doc == (uint32_t)d) {
                if (tm->p[tm->n - 1].tf < 65535) tm->p[tm->n - 1].tf++;
                continue;
            }
            if (tm->n == tm->cap) {
                uint32_t c2 = tm->cap ? tm->cap * 2 : 4;
                posting *p = realloc(tm->p, c2 * sizeof *p);
                if (!p) {
                    ok = 0;
                    break;
                }
                tm->p = p;
                tm->cap = c2;
            }
            tm->p[tm->n++] = (posting){(uint32_t)d, 1};
        }
        free(w);
        m->len[d] = (float)len;
        total += len;
    }
    sqlite3_finalize(q);
    if (!ok) {
        mem_free(m);
        return NULL;
    }
    m->avg_len = m->n_docs ? total / (double)m->n_docs : 1;
    if (m->avg_len <= 0) m->avg_len = 1;
    return m;
}

/* BM25 (k1 1.2, b 0.75) over the stems of `words`; the best k passages into hits. */
static int mem_search(mem_index *m, const char *const *words, size_t n_words, int k, pol__kb_hit *hits)
{
    size_t nt = 0;
    const double k1 = 1.2, b = 0.75, N = (double)m->n_docs;
    char seen[64][POL_WORD_MAX];
    size_t ns = 0;
    for (size_t i = 0; i < n_words; i++) {
        pol__word *w = NULL;
        long nw = pol__words(words[i], strlen(words[i]), &w);
        for (long j = 0; j < nw; j++) {
            if (w[j].stop) continue;
            int dup = 0;
            for (size_t q = 0; q < ns && !dup; q++) dup = !strcmp(seen[q], w[j].stem);
            if (dup || ns == 64) continue;
            snprintf(seen[ns++], POL_WORD_MAX, "%s", w[j].stem);
            term *tm = term_slot(m, w[j].stem, 0);
            if (!tm || !tm->n) continue;
            double idf = log(1 + (N - tm->n + 0.5) / (tm->n + 0.5));
            for (uint32_t p = 0; p < tm->n; p++) {
                uint32_t d = tm->p[p].doc;
                double tf = tm->p[p].tf;
                if (m->acc[d] == 0) m->touched[nt++] = d;
                m->acc[d] += idf * tf * (k1 + 1) / (tf + k1 * (1 - b + b * m->len[d] / m->avg_len)) + 1e-12;
            }
        }
        free(w);
    }
    /* the k best, best first */
    int n = 0;
    uint32_t best[16];
    for (size_t i = 0; i < nt; i++) {
        uint32_t d = m->touched[i];
        int at = n < k ? n : k;
        while (at > 0 && (m->acc[best[at - 1]] < m->acc[d] ||
                          (m->acc[best[at - 1]] == m->acc[d] && best[at - 1] > d)))
            at--;
        if (at >= k) continue;
        int last = n < k ? n : k - 1;
        for (int j = last; j > at; j--) best[j] = best[j - 1];
        best[at] = d;
        if (n < k) n++;
    }
    int out = 0;
    for (int i = 0; i < n; i++) {
        uint32_t d = best[i];
        pol__kb_hit *h = &hits[out];
        h->id = m->rowid[d];
        h->score = m->acc[d];
        h->text = pol__strdup(m->text[d]);
        h->source = pol__strdup(m->source[d]);
        h->position = m->position[d];
        out++;
        if (!h->text || !h->source) {
            pol__kb_hits_free(hits, out);
            out = -1;
            break;
        }
    }
    for (size_t i = 0; i < nt; i++) m->acc[m->touched[i]] = 0;
    return out;
}

static uint64_t hash_word(const char *w)
{
    uint64_t h = 1469598103934665603ull;
    for (; *w; w++) h = (h ^ (unsigned char)*w) * 1099511628211ull;
    return h;
}

/* Passages holding `w` (the caller holds kb->mu). -1 on error. */
static long word_df(pol__kb *kb, const char *w, const char *quoted)
{
    if (kb->df_n * 2 >= kb->df_cap) {
        size_t cap = kb->df_cap ? kb->df_cap * 2 : 1024;
        df_entry *t = calloc(cap, sizeof *t);
        if (!t) return -1;
        for (size_t i = 0; i < kb->df_cap; i++) {
            if (!kb->df[i].word) continue;
            size_t j = hash_word(kb->df[i].word) & (cap - 1);
            while (t[j].word) j = (j + 1) & (cap - 1);
            t[j] = kb->df[i];
        }
        free(kb->df);
        kb->df = t;
        kb->df_cap = cap;
    }
    size_t j = hash_word(w) & (kb->df_cap - 1);
    while (kb->df[j].word) {
        if (!strcmp(kb->df[j].word, w)) return kb->df[j].df;
        j = (j + 1) & (kb->df_cap - 1);
    }
    long n = -1;
    sqlite3_reset(kb->count);
    sqlite3_bind_text(kb->count, 1, quoted, -1, SQLITE_STATIC);
    if (sqlite3_step(kb->count) == SQLITE_ROW) n = (long)sqlite3_column_int64(kb->count, 0);
    sqlite3_reset(kb->count);
    if (n < 0) return -1;
    if (!(kb->df[j].word = pol__strdup(w))) return -1;
    kb->df[j].df = n;
    kb->df_n++;
    return n;
}

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
    /* read-only, with SQLite's locks: kb-add changes a knowledge base in place, one document per
     * transaction, so a reader sees it before or after a document, never half-way. */
    char *uri = sqlite3_mprintf("file:%q?mode=ro", path);
    if (!uri) {
        pol__kb_close(kb);
        return pol__err_set(err, POL_ERR_NOMEM, "out of memory");
    }
    for (char *c = uri + 5; *c; c++) /* '?' and '#' in a file name are not URI syntax */
        if ((*c == '?' && strncmp(c, "?mode=ro", 8)) || *c == '#') {
            sqlite3_free(uri);
            uri = NULL;
            break;
        }
    int rc = uri ? sqlite3_open_v2(uri, &kb->db, SQLITE_OPEN_READONLY | SQLITE_OPEN_FULLMUTEX | SQLITE_OPEN_URI, NULL)
                 : sqlite3_open_v2(path, &kb->db, SQLITE_OPEN_READONLY | SQLITE_OPEN_FULLMUTEX, NULL);
    sqlite3_free(uri);
    if (rc == SQLITE_OK) sqlite3_exec(kb->db, "PRAGMA cache_size=-32768; PRAGMA mmap_size=268435456;", NULL, NULL, NULL);
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
    /* the passages in memory for a fast BM25 on the checker's own word forms; FTS5 answers when
     * the knowledge base is too large for that (or POLISH_KB_FTS5 is set: tests compare both) */
    if (kb->chunks <= 2000000 && !getenv("POLISH_KB_FTS5")) kb->mem = mem_build(kb->db, kb->chunks);
    rc = sqlite3_prepare_v3(kb->db,
                            "SELECT rowid, rank FROM chunks WHERE chunks MATCH ?1 ORDER BY rank "
                            "LIMIT ?2",
                            -1, SQLITE_PREPARE_PERSISTENT, &kb->search, NULL);
    if (rc == SQLITE_OK)
        rc = sqlite3_prepare_v3(kb->db, "SELECT text, source, position FROM chunks WHERE rowid=?1",
                                -1, SQLITE_PREPARE_PERSISTENT, &kb->fetch, NULL);
    if (rc == SQLITE_OK)
        rc = sqlite3_prepare_v3(kb->db, "SELECT count(*) FROM chunks WHERE chunks MATCH ?1", -1,
                                SQLITE_PREPARE_PERSISTENT, &kb->count, NULL);
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
    sqlite3_finalize(kb->fetch);
    sqlite3_finalize(kb->count);
    for (size_t i = 0; i < kb->df_cap; i++) free(kb->df[i].word);
    free(kb->df);
    mem_free(kb->mem);
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

typedef struct qword {
    const char *w;
    char *quoted;
    long df;
} qword;

static int cmp_df(const void *a, const void *b)
{
    const qword *x = a, *y = b;
    return x->df < y->df ? -1 : x->df > y->df;
}

int pol__kb_search(pol__kb *kb, const char *const *words, size_t n_words, int k, pol__kb_hit *hits,
                   pol_err *err)
{
    if (!n_words || k <= 0) return 0;
    if (k > 16) k = 16;
    if (kb->mem) {
        pthread_mutex_lock(&kb->mu); /* the score array is shared */
        int n = mem_search(kb->mem, words, n_words, k, hits);
        pthread_mutex_unlock(&kb->mu);
        if (n < 0) pol__err_set(err, POL_ERR_NOMEM, "out of memory");
        return n;
    }
    qword *q = calloc(n_words, sizeof *q);
    if (!q) {
        pol__err_set(err, POL_ERR_NOMEM, "out of memory");
        return -1;
    }
    int n = 0, got = 0;
    size_t nq = 0, cap = 16;
    pthread_mutex_lock(&kb->mu);
    /* each word quoted (quotes doubled) so no word is read as query syntax; duplicates dropped */
    for (size_t i = 0; i < n_words; i++) {
        int dup = 0;
        for (size_t j = 0; j < nq && !dup; j++) dup = !strcmp(q[j].w, words[i]);
        if (dup || !*words[i]) continue;
        size_t l = strlen(words[i]);
        char *qt = malloc(2 * l + 3);
        if (!qt) {
            n = -1;
            break;
        }
        size_t o = 0;
        qt[o++] = '"';
        for (const char *p = words[i]; *p; p++) {
            if (*p == '"') qt[o++] = '"';
            qt[o++] = *p;
        }
        qt[o++] = '"';
        qt[o] = '\0';
        q[nq] = (qword){words[i], qt, word_df(kb, words[i], qt)};
        if (q[nq].df < 0) {
            free(qt);
            n = -1;
            break;
        }
        nq++;
    }
    /* words no passage has add nothing; words most passages have cost much and say little: the
     * query keeps the three rarest words, then (up to eight) those in at most one passage in
     * fifty */
    qsort(q, nq, sizeof *q, cmp_df);
    size_t first = 0;
    while (first < nq && q[first].df == 0) first++;
    size_t keep = 0;
    long common = kb->chunks / 50 > 20 ? kb->chunks / 50 : 20;
    for (size_t i = first; i < nq && keep < 8; i++)
        if (keep < 3 || q[i].df <= common) keep = i - first + 1;
    char *query = NULL;
    if (n == 0 && keep) {
        for (size_t i = first; i < first + keep; i++) cap += strlen(q[i].quoted) + 4;
        query = malloc(cap);
        if (!query) n = -1;
        size_t o = 0;
        for (size_t i = first; query && i < first + keep; i++) {
            if (i > first) {
                memcpy(query + o, " OR ", 4);
                o += 4;
            }
            size_t l = strlen(q[i].quoted);
            memcpy(query + o, q[i].quoted, l);
            o += l;
        }
        if (query) query[o] = '\0';
    }
    if (query) {
        long ids[16];
        double scores[16];
        int found = 0, rc;
        sqlite3_reset(kb->search);
        sqlite3_bind_text(kb->search, 1, query, -1, SQLITE_STATIC);
        sqlite3_bind_int(kb->search, 2, k);
        while (found < k && found < 16 && (rc = sqlite3_step(kb->search)) == SQLITE_ROW) {
            ids[found] = (long)sqlite3_column_int64(kb->search, 0);
            scores[found++] = -sqlite3_column_double(kb->search, 1);
        }
        if (found < k && found < 16 && rc != SQLITE_DONE) n = -2;
        sqlite3_reset(kb->search);
        for (int i = 0; n >= 0 && i < found; i++) {
            sqlite3_reset(kb->fetch);
            sqlite3_bind_int64(kb->fetch, 1, ids[i]);
            if (sqlite3_step(kb->fetch) != SQLITE_ROW) {
                n = -2;
                break;
            }
            pol__kb_hit *h = &hits[n];
            got = n + 1;
            h->id = ids[i];
            h->score = scores[i];
            h->text = pol__strdup((const char *)sqlite3_column_text(kb->fetch, 0));
            h->source = pol__strdup((const char *)sqlite3_column_text(kb->fetch, 1));
            h->position = (long)sqlite3_column_int64(kb->fetch, 2);
            n++;
            if (!h->text || !h->source) {
                pol__kb_hits_free(hits, n);
                n = -1;
            }
        }
        sqlite3_reset(kb->fetch);
    }
    if (n == -2) {
        pol__kb_hits_free(hits, got);
        pol__err_set(err, POL_ERR_IO, "knowledge base search failed: %s", sqlite3_errmsg(kb->db));
        n = -1;
    } else if (n == -1) {
        pol__err_set(err, POL_ERR_NOMEM, "out of memory");
    }
    pthread_mutex_unlock(&kb->mu);
    for (size_t i = 0; i < nq; i++) free(q[i].quoted);
    free(q);
    free(query);
    return n;
}

/* ---- adding documents ----------------------------------------------------------------------- */

static pthread_mutex_t add_mu = PTHREAD_MUTEX_INITIALIZER;


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

/* Adds or replaces one source's passages in place, in one transaction (SQLite's rollback journal:
 * a crash or a failure leaves the knowledge base as it was before this document). A missing
 * knowledge base is first made empty beside its name and renamed into place, so a half-made one
 * never has the name. */
static pol_status kb_create(pol_run *run, const char *path)
{
    const char *base = pol__path_base(path);
    char *tmp = pol__asprintf("%.*s.%.200s.XXXXXX.part", (int)(base - path), path, base);
    if (!tmp) return pol__fail(run, POL_ERR_NOMEM, "out of memory");
    pol_status ret = POL_OK;
    sqlite3 *db = NULL;
    int fd = mkstemps(tmp, 5);
    if (fd < 0) {
        ret = pol__fail(run, POL_ERR_IO, "--kb %s: cannot make a temporary beside it: %s", path,
                        strerror(errno));
        free(tmp);
        return ret;
    }
    (void)fchmod(fd, 0644); /* readable by all, like a document */
    close(fd);
    if (sqlite3_open_v2(tmp, &db, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK ||
        exec(db, "PRAGMA synchronous=FULL; BEGIN") || exec(db, schema) || exec(db, "COMMIT")) {
        ret = pol__fail(run, POL_ERR_IO, "--kb %s: cannot make a knowledge base: %s", path,
                        db ? sqlite3_errmsg(db) : "cannot open");
    } else if (sqlite3_close(db) != SQLITE_OK) {
        ret = pol__fail(run, POL_ERR_IO, "--kb %s: closing the new database failed", path);
    }
    if (ret) sqlite3_close(db);
    db = NULL;
    /* link() refuses a name another process made meanwhile: then that one is added to */
    if (!ret && link(tmp, path) != 0 && errno != EEXIST)
        ret = pol__fail(run, POL_ERR_IO, "--kb %s: cannot create it: %s", path, strerror(errno));
    unlink(tmp);
    free(tmp);
    return ret;
}

pol_status pol__kb_add(pol_run *run, const char *path, const char *source, const pol__chunk_list *c,
                       long *added, long *removed, int *unchanged)
{
    *added = *removed = 0;
    *unchanged = 0;
    struct stat st;
    int exists = stat(path, &st) == 0;
    if (exists && !S_ISREG(st.st_mode))
        return pol__fail(run, POL_ERR_IO, "--kb %s is not a regular file", path);
    char hash[17];
    hash_hex(c, hash);
    pthread_mutex_lock(&add_mu);
    pol_status ret = POL_OK;
    sqlite3 *db = NULL;
    sqlite3_stmt *q = NULL;
    if (!exists && (ret = kb_create(run, path))) goto out;
    if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK ||
        sqlite3_busy_timeout(db, 10000) != SQLITE_OK ||
        exec(db, "PRAGMA journal_mode=DELETE; PRAGMA synchronous=FULL;") ||
        exec(db, "BEGIN IMMEDIATE") || exec(db, schema)) {
        ret = pol__fail(run, POL_ERR_FORMAT,
                        "--kb %s is not a knowledge base polish can add to: %s", path,
                        db ? sqlite3_errmsg(db) : "cannot open");
        goto out;
    }
    int same = 0;
    if (sqlite3_prepare_v2(db, "SELECT hash FROM docs WHERE source=?1", -1, &q, NULL) != SQLITE_OK)
        goto sql_fail;
    sqlite3_bind_text(q, 1, source, -1, SQLITE_STATIC);
    if (sqlite3_step(q) == SQLITE_ROW)
        same = strcmp((const char *)sqlite3_column_text(q, 0), hash) == 0;
    sqlite3_finalize(q);
    q = NULL;
    if (same) {
        *unchanged = 1;
        exec(db, "ROLLBACK"); /* nothing to write: the kb stays exactly as it was */
        goto out;
    }
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
    goto out;
sql_fail:
    ret = pol__fail(run, POL_ERR_IO, "--kb %s: %s; the knowledge base is unchanged", path,
                    sqlite3_errmsg(db));
    sqlite3_finalize(q);
    exec(db, "ROLLBACK");
    *added = *removed = 0;
out:
    if (db && sqlite3_close(db) != SQLITE_OK && !ret)
        ret = pol__fail(run, POL_ERR_IO, "--kb %s: closing the database failed", path);
    pthread_mutex_unlock(&add_mu);
    return ret;
}
