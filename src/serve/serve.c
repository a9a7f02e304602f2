/* polish serve — the web page over a workspace: a token-protected local HTTP server
 * (libmicrohttpd, one thread per connection, idle connections timed out), a JSON API (docs/API.md)
 * and a worker pool that renders fixes, one workspace handle per thread. Public API only. */
#define _XOPEN_SOURCE 700
#include "serve/serve.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <netdb.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <microhttpd.h>
#include <zip.h>

#include "polish/polish.h"
#include "polish/workspace.h"
#include "serve/assets.h"
#include "serve/sbuf.h"

#define DEFAULT_UPLOAD_LIMIT (256ull << 20)
#define EVENT_RING 512

/* ---- server state --------------------------------------------------------------------------- */

typedef struct job {
    int64_t id;
    char *recipe; /* NULL: the automatic recipe */
    struct job *next;
} job;

typedef struct event {
    uint64_t seq;
    char *text; /* one SSE message, "event: ...\ndata: ...\n\n" */
} event;

typedef struct server {
    pol_serve_opts o;
    char token[33];
    char cookie_name[48];
    unsigned port; /* the bound port */
    char tmpdir[4096]; /* uploads in flight and zips being made; removed at stop */
    /* handles for request threads (each borrowed by one thread at a time) */
    pthread_mutex_t hmu;
    pol_workspace **free_handles;
    size_t n_free, cap_free;
    /* the fix queue */
    pthread_mutex_t qmu;
    pthread_cond_t qcv;
    job *qhead, *qtail;
    int stopping;
    pthread_t *workers;
    size_t n_workers;
    /* events for /api/events */
    pthread_mutex_t emu;
    pthread_cond_t ecv;
    event ring[EVENT_RING];
    uint64_t next_seq;
    int threads_per_fix;
} server;

static server *g_srv;
static int stop_pipe[2] = {-1, -1};
static volatile sig_atomic_t stop_requested;

void pol_serve_stop(void)
{
    stop_requested = 1;
    if (stop_pipe[1] >= 0) {
        char c = 's';
        ssize_t r = write(stop_pipe[1], &c, 1);
        (void)r;
    }
}

static void set_err(pol_err *err, pol_status st, const char *fmt, const char *arg)
{
    if (!err) return;
    err->code = st;
    snprintf(err->msg, sizeof err->msg, fmt, arg);
}

/* ---- workspace handles ---------------------------------------------------------------------- */

static pol_workspace *borrow(server *s, pol_err *err)
{
    pthread_mutex_lock(&s->hmu);
    pol_workspace *w = s->n_free ? s->free_handles[--s->n_free] : NULL;
    pthread_mutex_unlock(&s->hmu);
    if (w) return w;
    if (pol_workspace_open(s->o.dir, &w, err)) return NULL;
    pol_workspace_confine(w, 1); /* recipes from the page name files by upload only */
    return w;
}

static void give_back(server *s, pol_workspace *w)
{
    if (!w) return;
    pthread_mutex_lock(&s->hmu);
    if (s->n_free == s->cap_free) {
        size_t cap = s->cap_free ? s->cap_free * 2 : 8;
        pol_workspace **h = realloc(s->free_handles, cap * sizeof *h);
        if (!h) {
            pthread_mutex_unlock(&s->hmu);
            pol_workspace_close(w);
            return;
        }
        s->free_handles = h;
        s->cap_free = cap;
    }
    s->free_handles[s->n_free++] = w;
    pthread_mutex_unlock(&s->hmu);
}

/* ---- events --------------------------------------------------------------------------------- */

static void post_event(server *s, const char *type, const char *data)
{
    sv_buf b = {0};
    sv_fmt(&b, "event: %s\ndata: %s\n\n", type, data);
    char *text = sv_take(&b);
    if (!text) return;
    pthread_mutex_lock(&s->emu);
    event *e = &s->ring[s->next_seq % EVENT_RING];
    free(e->text);
    e->text = text;
    e->seq = s->next_seq++;
    pthread_cond_broadcast(&s->ecv);
    pthread_mutex_unlock(&s->emu);
}

static void item_event(server *s, int64_t id, const char *state, const char *error)
{
    sv_buf b = {0};
    sv_fmt(&b, "{\"id\":%lld,\"state\":\"%s\"", (long long)id, state);
    if (error) {
        sv_put(&b, ",\"error\":");
        sv_json_str(&b, error);
    }
    sv_put(&b, "}");
    char *d = sv_take(&b);
    if (d) post_event(s, "item", d);
    free(d);
}

/* ---- the fix queue and its workers ---------------------------------------------------------- */

static int enqueue(server *s, int64_t id, const char *recipe)
{
    job *j = calloc(1, sizeof *j);
    if (!j) return -1;
    j->id = id;
    if (recipe && !(j->recipe = strdup(recipe))) {
        free(j);
        return -1;
    }
    pthread_mutex_lock(&s->qmu);
    if (s->qtail)
        s->qtail->next = j;
    else
        s->qhead = j;
    s->qtail = j;
    pthread_cond_signal(&s->qcv);
    pthread_mutex_unlock(&s->qmu);
    return 0;
}

typedef struct fix_ctx {
    server *s;
    int64_t id;
} fix_ctx;

static void on_progress(const pol_progress *p, void *user)
{
    fix_ctx *f = user;
    char d[160];
    snprintf(d, sizeof d, "{\"id\":%lld,\"done\":%zu,\"failed\":%zu,\"total\":%zu,\"elapsed\":%.3f}",
             (long long)f->id, p->done, p->failed, p->total, p->elapsed);
    post_event(f->s, "progress", d);
}

static void *worker(void *arg)
{
    server *s = arg;
    pol_err err;
    pol_workspace *w = NULL;
    if (pol_workspace_open(s->o.dir, &w, &err)) w = NULL;
    pol_workspace_confine(w, 1);
    for (;;) {
        pthread_mutex_lock(&s->qmu);
        while (!s->qhead && !s->stopping) pthread_cond_wait(&s->qcv, &s->qmu);
        if (s->stopping) {
            pthread_mutex_unlock(&s->qmu);
            break;
        }
        job *j = s->qhead;
        s->qhead = j->next;
        if (!s->qhead) s->qtail = NULL;
        pthread_mutex_unlock(&s->qmu);
        item_event(s, j->id, "running", NULL);
        pol_options opt;
        pol_options_default(&opt);
        opt.threads = s->threads_per_fix;
        fix_ctx f = {s, j->id};
        pol_status st;
        if (!w) {
            st = POL_ERR_IO;
        } else {
            pol_err_clear(&err);
            st = pol_workspace_fix(w, j->id, j->recipe, &opt, on_progress, &f, &err);
        }
        item_event(s, j->id, st == POL_OK ? "done" : "failed", st == POL_OK ? NULL : err.msg);
        if (w && s->o.cache_limit) {
            pol_err gerr;
            pol_workspace_gc(w, s->o.cache_limit, NULL, &gerr);
        }
        free(j->recipe);
        free(j);
    }
    pol_workspace_close(w);
    return NULL;
}

/* ---- requests ------------------------------------------------------------------------------- */

typedef struct request {
    int checked;        /* host, origin and token checked */
    struct MHD_PostProcessor *pp;
    int upload_fd;      /* the uploaded file's temporary */
    char upload_path[4200];
    char *upload_name;  /* the client's file name: a display name only */
    uint64_t got;       /* body bytes received */
    uint64_t file_bytes; /* bytes of the file written */
    int too_large, bad_body, got_file;
    sv_buf body;        /* a small JSON body (fix) */
    int set_cookie;     /* a valid ?token= visit: the page gets the cookie */
} request;

static const char *mime_of(const char *path)
{
    static const struct {
        const char *ext, *mime;
    } t[] = {{"jpg", "image/jpeg"},      {"jpeg", "image/jpeg"},    {"png", "image/png"},
             {"webp", "image/webp"},     {"gif", "image/gif"},      {"svg", "image/svg+xml"},
             {"tif", "image/tiff"},      {"tiff", "image/tiff"},    {"avif", "image/avif"},
             {"heic", "image/heic"},     {"wav", "audio/wav"},      {"flac", "audio/flac"},
             {"ogg", "audio/ogg"},       {"opus", "audio/ogg"},     {"mp3", "audio/mpeg"},
             {"aif", "audio/aiff"},      {"aiff", "audio/aiff"},    {"csv", "text/csv"},
             {"tsv", "text/tab-separated-values"},                  {"txt", "text/plain"},
             {"md", "text/markdown"},    {"json", "application/json"},
             {"html", "text/plain"},     {"htm", "text/plain"},     {"gpx", "application/gpx+xml"},
             {"kml", "application/vnd.google-earth.kml+xml"},       {"mp4", "video/mp4"},
             {"webm", "video/webm"},     {"xlsx", "application/vnd.openxmlformats-officedocument."
                                                  "spreadsheetml.sheet"},
             {"eml", "message/rfc822"},  {"geojson", "application/geo+json"}};
    const char *dot = strrchr(path, '.'), *slash = strrchr(path, '/');
    if (!dot || (slash && dot < slash)) return "application/octet-stream";
    for (size_t i = 0; i < sizeof t / sizeof *t; i++)
        if (!strcasecmp(dot + 1, t[i].ext)) return t[i].mime;
    return "application/octet-stream";
}

static void common_headers(struct MHD_Response *r)
{
    MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
    MHD_add_response_header(r, "Referrer-Policy", "no-referrer");
    MHD_add_response_header(r, "Cache-Control", "no-store");
    MHD_add_response_header(r, "X-Frame-Options", "DENY");
    MHD_add_response_header(r, "Content-Security-Policy",
                            "default-src 'self'; img-src 'self' data: blob:; media-src 'self' "
                            "blob:; style-src 'self'; script-src 'self'; frame-ancestors 'none'");
}

static enum MHD_Result send_buf(struct MHD_Connection *c, unsigned code, const char *type,
                                const void *data, size_t len, int copy)
{
    struct MHD_Response *r = MHD_create_response_from_buffer(
        len, (void *)data, copy ? MHD_RESPMEM_MUST_COPY : MHD_RESPMEM_PERSISTENT);
    if (!r) return MHD_NO;
    MHD_add_response_header(r, "Content-Type", type);
    common_headers(r);
    enum MHD_Result ret = MHD_queue_response(c, code, r);
    MHD_destroy_response(r);
    return ret;
}

/* Sends `json` (taken: freed here). */
static enum MHD_Result send_json(struct MHD_Connection *c, unsigned code, char *json)
{
    if (!json) return send_buf(c, 500, "application/json", "{\"error\":\"out of memory\"}", 25, 0);
    struct MHD_Response *r =
        MHD_create_response_from_buffer(strlen(json), json, MHD_RESPMEM_MUST_FREE);
    if (!r) {
        free(json);
        return MHD_NO;
    }
    MHD_add_response_header(r, "Content-Type", "application/json; charset=utf-8");
    common_headers(r);
    enum MHD_Result ret = MHD_queue_response(c, code, r);
    MHD_destroy_response(r);
    return ret;
}

static enum MHD_Result send_error(struct MHD_Connection *c, unsigned code, const char *msg)
{
    sv_buf b = {0};
    sv_put(&b, "{\"error\":");
    sv_json_str(&b, msg);
    sv_put(&b, "}");
    return send_json(c, code, sv_take(&b));
}

static unsigned status_http(pol_status st)
{
    switch (st) {
    case POL_ERR_NOT_FOUND:
        return 404;
    case POL_ERR_ARG:
    case POL_ERR_RECIPE:
    case POL_ERR_FORMAT:
    case POL_ERR_EMPTY:
    case POL_ERR_CORRUPT:
    case POL_ERR_UNSUPPORTED:
        return 400;
    case POL_ERR_LIMIT:
        return 413;
    case POL_ERR_EXISTS:
        return 409;
    default:
        return 500;
    }
}

/* Is `host` ("name:port", "[v6]:port") one the server answers to? A DNS name other than localhost
 * is refused (DNS rebinding); an IP literal must be the bound address, or any address when bound
 * to a wildcard; the port must be ours. */
static int host_ok(const server *s, const char *host)
{
    if (!host || !*host || strlen(host) > 300) return 0;
    char name[320];
    const char *colon;
    if (host[0] == '[') {
        const char *close = strchr(host, ']');
        if (!close) return 0;
        snprintf(name, sizeof name, "%.*s", (int)(close - host - 1), host + 1);
        colon = close[1] == ':' ? close + 1 : NULL;
        if (close[1] && !colon) return 0;
    } else {
        colon = strrchr(host, ':');
        snprintf(name, sizeof name, "%.*s", (int)(colon ? (size_t)(colon - host) : strlen(host)),
                 host);
    }
    if (!colon) return 0; /* browsers always send the port of a non-default-port URL */
    char *end;
    errno = 0;
    unsigned long p = strtoul(colon + 1, &end, 10);
    if (errno || *end || end == colon + 1 || p != s->port) return 0;
    if (!strcasecmp(name, "localhost")) return 1;
    unsigned char a[16];
    int is4 = inet_pton(AF_INET, name, a) == 1, is6 = !is4 && inet_pton(AF_INET6, name, a) == 1;
    if (!is4 && !is6) return 0;
    const char *bound = s->o.host;
    if (!strcmp(bound, "0.0.0.0") || !strcmp(bound, "::")) return 1;
    if (!strcmp(name, bound)) return 1;
    if (!strcmp(bound, "localhost") || !strcmp(bound, "127.0.0.1") || !strcmp(bound, "::1"))
        return !strcmp(name, "127.0.0.1") || !strcmp(name, "::1");
    return 0;
}

/* A browser's Origin must be this server as the page sees it: http://HOST where HOST is the
 * request's own (accepted) Host. No Origin header (curl, scripts) is fine. */
static int origin_ok(const server *s, const char *origin, const char *host)
{
    if (!origin) return 1;
    if (strncmp(origin, "http://", 7) != 0) return 0;
    return host && !strcasecmp(origin + 7, host) && host_ok(s, origin + 7);
}

static int token_eq(const server *s, const char *t)
{
    if (!t) return 0;
    size_t n = strlen(s->token);
    if (strlen(t) != n) return 0;
    unsigned char diff = 0;
    for (size_t i = 0; i < n; i++) diff |= (unsigned char)(t[i] ^ s->token[i]);
    return diff == 0;
}

/* The token as `Authorization: Bearer T`, `?token=T` or the page's cookie. */
static int authorised(const server *s, struct MHD_Connection *c, int *via_query)
{
    const char *a = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Authorization");
    if (a && !strncasecmp(a, "Bearer ", 7) && token_eq(s, a + 7)) return 1;
    if (token_eq(s, MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "token"))) {
        *via_query = 1;
        return 1;
    }
    return token_eq(s, MHD_lookup_connection_value(c, MHD_COOKIE_KIND, s->cookie_name));
}

/* Keeps a display name printable: its base name only, no control characters, at most 200 bytes. */
static char *display_name(const char *fname)
{
    if (!fname) return NULL;
    const char *base = fname;
    for (const char *p = fname; *p; p++)
        if (*p == '/' || *p == '\\') base = p + 1;
    char *out = malloc(201);
    if (!out) return NULL;
    size_t n = 0;
    for (const unsigned char *p = (const unsigned char *)base; *p && n < 200; p++)
        if (*p >= 0x20 && *p != 0x7f) out[n++] = (char)*p;
    out[n] = '\0';
    if (!n || !strcmp(out, ".") || !strcmp(out, "..")) {
        free(out);
        return NULL;
    }
    return out;
}

/* The temporary's extension: the client name's, when it is 1..10 letters or digits (the domain
 * sniffers look at content, a few at the extension too); never anything else of the name. */
static void safe_ext(const char *fname, char *ext, size_t size)
{
    ext[0] = '\0';
    const char *dot = fname ? strrchr(fname, '.') : NULL;
    if (!dot) return;
    size_t n = strlen(dot + 1);
    if (n < 1 || n > 10 || n + 2 > size) return;
    for (size_t i = 0; i < n; i++) {
        char ch = dot[1 + i];
        if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9')))
            return;
    }
    snprintf(ext, size, ".%s", dot + 1);
}

static enum MHD_Result post_iter(void *cls, enum MHD_ValueKind kind, const char *key,
                                 const char *filename, const char *content_type,
                                 const char *transfer_encoding, const char *data, uint64_t off,
                                 size_t size)
{
    (void)kind, (void)content_type, (void)transfer_encoding, (void)off;
    request *q = cls;
    if (!key || strcmp(key, "file") != 0) return MHD_YES; /* other fields are ignored */
    if (q->got_file == 2) return MHD_YES; /* only the first file */
    if (q->got_file == 1 && off == 0 && q->file_bytes > 0) { /* a second part named "file" */
        q->got_file = 2;
        return MHD_YES;
    }
    if (q->upload_fd < 0 && !q->got_file) {
        char ext[16];
        safe_ext(filename, ext, sizeof ext);
        snprintf(q->upload_path, sizeof q->upload_path, "%s/upload.XXXXXX%s", g_srv->tmpdir, ext);
        q->upload_fd = mkstemps(q->upload_path, (int)strlen(ext));
        if (q->upload_fd < 0) {
            q->bad_body = 1;
            return MHD_NO;
        }
        q->got_file = 1;
        free(q->upload_name);
        q->upload_name = display_name(filename);
    }
    if (q->upload_fd < 0) return MHD_YES;
    while (size) {
        ssize_t w = write(q->upload_fd, data, size);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) {
            q->bad_body = 1;
            return MHD_NO;
        }
        data += w;
        size -= (size_t)w;
        q->file_bytes += (uint64_t)w;
    }
    return MHD_YES;
}

static void request_done(void *cls, struct MHD_Connection *c, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
    (void)cls, (void)c, (void)toe;
    request *q = *con_cls;
    if (!q) return;
    if (q->pp) MHD_destroy_post_processor(q->pp);
    if (q->upload_fd >= 0) close(q->upload_fd);
    if (q->upload_path[0]) unlink(q->upload_path);
    free(q->upload_name);
    free(q->body.s);
    free(q);
    *con_cls = NULL;
}

/* The paths that take a multipart upload in the field "file". */
static int upload_url(const char *url)
{
    return !strcmp(url, "/api/items") || !strcmp(url, "/api/files") || !strcmp(url, "/api/kb");
}

/* "/api/items/123/fix" → id 123 and rest "fix"; 0 when the path is not an item's. */
static int parse_item(const char *url, int64_t *id, const char **rest)
{
    const char *p = url + strlen("/api/items/");
    char *end;
    if (*p < '1' || *p > '9') return 0;
    errno = 0;
    long long v = strtoll(p, &end, 10);
    if (errno || v <= 0) return 0;
    if (*end && *end != '/') return 0;
    *id = v;
    *rest = *end ? end + 1 : "";
    return 1;
}

static enum MHD_Result serve_asset(server *s, struct MHD_Connection *c, const char *name,
                                   int set_cookie)
{
    const pol_serve_asset *a = pol_serve_asset_find(name);
    if (!a) return send_error(c, 404, "no such page");
    struct MHD_Response *r =
        MHD_create_response_from_buffer(a->size, (void *)a->data, MHD_RESPMEM_PERSISTENT);
    if (!r) return MHD_NO;
    MHD_add_response_header(r, "Content-Type", a->mime);
    common_headers(r);
    if (set_cookie) {
        char cookie[200];
        snprintf(cookie, sizeof cookie, "%s=%s; Path=/; HttpOnly; SameSite=Strict",
                 s->cookie_name, s->token);
        MHD_add_response_header(r, "Set-Cookie", cookie);
    }
    enum MHD_Result ret = MHD_queue_response(c, 200, r);
    MHD_destroy_response(r);
    return ret;
}

static enum MHD_Result serve_file(struct MHD_Connection *c, const char *path, const char *name,
                                  int attachment)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) || !S_ISREG(st.st_mode)) {
        if (fd >= 0) close(fd);
        return send_error(c, 404, "the file is gone");
    }
    struct MHD_Response *r = MHD_create_response_from_fd((uint64_t)st.st_size, fd);
    if (!r) {
        close(fd);
        return MHD_NO;
    }
    MHD_add_response_header(r, "Content-Type", mime_of(name));
    common_headers(r);
    char disp[400];
    char clean[256];
    size_t n = 0;
    for (const char *p = name; *p && n + 1 < sizeof clean; p++)
        if (*p != '"' && *p != '\\' && (unsigned char)*p >= 0x20) clean[n++] = *p;
    clean[n] = '\0';
    snprintf(disp, sizeof disp, "%s; filename=\"%s\"", attachment ? "attachment" : "inline",
             clean);
    MHD_add_response_header(r, "Content-Disposition", disp);
    enum MHD_Result ret = MHD_queue_response(c, 200, r);
    MHD_destroy_response(r);
    return ret;
}

/* ---- server-sent events --------------------------------------------------------------------- */

typedef struct sse {
    server *s;
    uint64_t seq;     /* the next event this reader wants */
    char *pending;    /* an event not yet fully written */
    size_t off;
    int hello;
} sse;

static ssize_t sse_read(void *cls, uint64_t pos, char *buf, size_t max)
{
    (void)pos;
    sse *e = cls;
    server *s = e->s;
    if (!e->hello) {
        e->hello = 1;
        int n = snprintf(buf, max, "retry: 2000\n: polish events\n\n");
        return n < 0 || (size_t)n >= max ? 0 : n;
    }
    if (!e->pending) {
        pthread_mutex_lock(&s->emu);
        struct timespec until;
        clock_gettime(CLOCK_REALTIME, &until);
        unsigned keep = s->o.timeout / 3 ? s->o.timeout / 3 : 1;
        if (keep > 15) keep = 15;
        until.tv_sec += keep;
        while (e->seq >= s->next_seq && !stop_requested) {
            if (pthread_cond_timedwait(&s->ecv, &s->emu, &until) == ETIMEDOUT) break;
        }
        if (stop_requested) {
            pthread_mutex_unlock(&s->emu);
            return MHD_CONTENT_READER_END_OF_STREAM;
        }
        if (e->seq + EVENT_RING < s->next_seq) e->seq = s->next_seq - EVENT_RING; /* fell behind */
        if (e->seq < s->next_seq) {
            e->pending = strdup(s->ring[e->seq % EVENT_RING].text);
            e->seq++;
        }
        pthread_mutex_unlock(&s->emu);
        if (!e->pending) { /* keep-alive comment, so idle timeouts do not end the stream */
            int n = snprintf(buf, max, ": keep-alive\n\n");
            return n < 0 || (size_t)n >= max ? 0 : n;
        }
        e->off = 0;
    }
    size_t left = strlen(e->pending) - e->off;
    size_t n = left < max ? left : max;
    memcpy(buf, e->pending + e->off, n);
    e->off += n;
    if (e->off == strlen(e->pending)) {
        free(e->pending);
        e->pending = NULL;
    }
    return (ssize_t)n;
}

static void sse_free(void *cls)
{
    sse *e = cls;
    free(e->pending);
    free(e);
}

static enum MHD_Result serve_events(server *s, struct MHD_Connection *c)
{
    sse *e = calloc(1, sizeof *e);
    if (!e) return MHD_NO;
    e->s = s;
    pthread_mutex_lock(&s->emu);
    e->seq = s->next_seq; /* only what happens from now on; the page reads the state first */
    pthread_mutex_unlock(&s->emu);
    struct MHD_Response *r = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 4096, sse_read,
                                                               e, sse_free);
    if (!r) {
        free(e);
        return MHD_NO;
    }
    MHD_add_response_header(r, "Content-Type", "text/event-stream");
    common_headers(r);
    enum MHD_Result ret = MHD_queue_response(c, 200, r);
    MHD_destroy_response(r);
    return ret;
}

/* ---- the zip of approved outputs ------------------------------------------------------------ */

static zip_t *zip_cur;
static const char *zip_root;
static int zip_failed;
static pthread_mutex_t zip_mu = PTHREAD_MUTEX_INITIALIZER;

static int zip_walk(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st, (void)ftw;
    if (flag != FTW_F) return 0;
    const char *rel = path + strlen(zip_root) + 1;
    zip_source_t *src = zip_source_file(zip_cur, path, 0, -1);
    if (!src) {
        zip_failed = 1;
        return 1;
    }
    if (zip_file_add(zip_cur, rel, src, ZIP_FL_ENC_UTF_8) < 0) {
        zip_source_free(src);
        zip_failed = 1;
        return 1;
    }
    return 0;
}

static int rm_walk(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st, (void)ftw;
    if (flag == FTW_DP)
        rmdir(path);
    else
        unlink(path);
    return 0;
}

static void remove_tree(const char *dir)
{
    nftw(dir, rm_walk, 16, FTW_DEPTH | FTW_PHYS);
}

static enum MHD_Result serve_zip(server *s, struct MHD_Connection *c, int approved_only)
{
    char dir[4200], zpath[4300];
    snprintf(dir, sizeof dir, "%s/export.XXXXXX", s->tmpdir);
    if (!mkdtemp(dir)) return send_error(c, 500, "cannot make a temporary folder");
    snprintf(zpath, sizeof zpath, "%s.zip", dir);
    pol_err err;
    pol_err_clear(&err);
    pol_workspace *w = borrow(s, &err);
    pol_status st = w ? pol_workspace_export(w, dir, approved_only, &err) : err.code;
    give_back(s, w);
    if (st && st != POL_ERR_PARTIAL) {
        remove_tree(dir);
        return send_error(c, status_http(st), err.msg);
    }
    int zerr = 0;
    pthread_mutex_lock(&zip_mu);
    zip_cur = zip_open(zpath, ZIP_CREATE | ZIP_EXCL, &zerr);
    zip_failed = !zip_cur;
    zip_root = dir;
    if (zip_cur) {
        nftw(dir, zip_walk, 16, FTW_PHYS);
        if (zip_failed) {
            zip_discard(zip_cur);
        } else if (zip_get_num_entries(zip_cur, 0) == 0) {
            /* libzip writes no file for an empty archive: write the empty zip's one record */
            zip_discard(zip_cur);
            static const unsigned char eocd[22] = {0x50, 0x4b, 0x05, 0x06};
            FILE *f = fopen(zpath, "wbx");
            zip_failed = !f || fwrite(eocd, 1, sizeof eocd, f) != sizeof eocd;
            if (f && fclose(f)) zip_failed = 1;
        } else if (zip_close(zip_cur) < 0) {
            zip_discard(zip_cur);
            zip_failed = 1;
        }
    }
    int failed = zip_failed;
    zip_cur = NULL;
    pthread_mutex_unlock(&zip_mu);
    remove_tree(dir);
    if (failed) {
        unlink(zpath);
        return send_error(c, 500, "could not write the zip");
    }
    int fd = open(zpath, O_RDONLY | O_CLOEXEC);
    unlink(zpath); /* the open descriptor keeps it until it is sent */
    struct stat sb;
    if (fd < 0 || fstat(fd, &sb)) {
        if (fd >= 0) close(fd);
        return send_error(c, 500, "could not read the zip back");
    }
    struct MHD_Response *r = MHD_create_response_from_fd((uint64_t)sb.st_size, fd);
    if (!r) {
        close(fd);
        return MHD_NO;
    }
    MHD_add_response_header(r, "Content-Type", "application/zip");
    MHD_add_response_header(r, "Content-Disposition",
                            approved_only ? "attachment; filename=\"polish-approved.zip\""
                                          : "attachment; filename=\"polish-current.zip\"");
    common_headers(r);
    enum MHD_Result ret = MHD_queue_response(c, 200, r);
    MHD_destroy_response(r);
    return ret;
}

/* ---- routes --------------------------------------------------------------------------------- */

/* what an upload becomes: an item, a side file a recipe names, a knowledge base document */
enum upload_kind { UP_ITEM, UP_FILE, UP_KB };

static enum MHD_Result api_upload(server *s, struct MHD_Connection *c, request *q,
                                  enum upload_kind kind)
{
    if (q->too_large) {
        char msg[160];
        snprintf(msg, sizeof msg, "the upload is larger than the limit of %llu bytes",
                 (unsigned long long)s->o.upload_limit);
        return send_error(c, 413, msg);
    }
    if (q->bad_body || !q->got_file || q->upload_fd < 0)
        return send_error(c, 400, "send the file as multipart/form-data in the field 'file'");
    if (close(q->upload_fd)) {
        q->upload_fd = -1;
        return send_error(c, 500, "could not store the upload");
    }
    q->upload_fd = -1;
    pol_err err;
    pol_err_clear(&err);
    pol_workspace *w = borrow(s, &err);
    int64_t id = 0;
    const char *name = q->upload_name ? q->upload_name : "upload";
    char ref[72] = "";
    char *kbj = NULL;
    pol_status st = !w               ? err.code
                    : kind == UP_ITEM ? pol_workspace_add(w, q->upload_path, name, &id, &err)
                    : kind == UP_FILE ? pol_workspace_attach(w, q->upload_path, name, ref, &err)
                                      : pol_workspace_kb_add(w, q->upload_path, name, &err);
    if (!st && kind == UP_KB && !(kbj = pol_workspace_kb_json(w, &err))) st = err.code;
    give_back(s, w);
    unlink(q->upload_path);
    q->upload_path[0] = '\0';
    if (st) {
        /* the message names the temporary; say it of the client's name instead */
        char msg[1400];
        const char *m = err.msg, *tmp = strstr(m, "upload.");
        if (tmp && strchr(tmp, ':')) m = strchr(tmp, ':') + 1;
        while (*m == ' ') m++;
        snprintf(msg, sizeof msg, "%s: %s", name, m);
        return send_error(c, status_http(st), msg);
    }
    if (kind == UP_KB) {
        post_event(s, "kb", "{}");
        return send_json(c, 201, kbj);
    }
    if (kind == UP_FILE) {
        sv_buf b = {0};
        sv_fmt(&b, "{\"ref\": \"%s\", \"name\": ", ref);
        sv_json_str(&b, name);
        sv_put(&b, "}");
        char *out = sv_take(&b);
        if (!out) return send_error(c, 500, "out of memory");
        return send_json(c, 201, out);
    }
    item_event(s, id, "added", NULL);
    char out[64];
    snprintf(out, sizeof out, "{\"id\": %lld}", (long long)id);
    return send_buf(c, 201, "application/json", out, strlen(out), 1);
}

/* POST /api/kb/remove {"name": "prices.md"} */
static enum MHD_Result api_kb_remove(server *s, struct MHD_Connection *c, request *q)
{
    json_t *doc = q->body.len ? json_loadb(q->body.s, q->body.len, 0, NULL) : NULL;
    const char *name = json_string_value(json_object_get(doc, "name"));
    if (!name) {
        json_decref(doc);
        return send_error(c, 400, "send {\"name\": DOCUMENT}");
    }
    pol_err err;
    pol_err_clear(&err);
    pol_workspace *w = borrow(s, &err);
    pol_status st = w ? pol_workspace_kb_remove(w, name, &err) : err.code;
    char *j = !st ? pol_workspace_kb_json(w, &err) : NULL;
    give_back(s, w);
    json_decref(doc);
    if (st || !j) return send_error(c, status_http(err.code), err.msg);
    post_event(s, "kb", "{}");
    return send_json(c, 200, j);
}

/* The fix's recipe: an empty body (the automatic recipe), {"recipe": "YAML"} or the YAML itself. */
static int fix_recipe(request *q, char **recipe, const char **why)
{
    *recipe = NULL;
    if (!q->body.len) return 0;
    const char *p = q->body.s;
    while (*p == ' ' || *p == '\n' || *p == '\r' || *p == '\t') p++;
    if (!*p) return 0;
    if (*p != '{') {
        *recipe = strdup(q->body.s);
        return *recipe ? 0 : -1;
    }
    json_t *doc = json_loadb(q->body.s, q->body.len, 0, NULL);
    json_t *r = doc ? json_object_get(doc, "recipe") : NULL;
    int rc = 0;
    if (!doc) {
        *why = "the body is not valid JSON";
        rc = -1;
    } else if (r && json_is_string(r)) {
        if (!(*recipe = strdup(json_string_value(r)))) rc = -1;
    } else if (r && !json_is_null(r)) {
        *why = "\"recipe\" must be a string (YAML) or null";
        rc = -1;
    }
    json_decref(doc);
    return rc;
}

/* A string member of an item's JSON ("name", "state"), copied; NULL when absent. */
static char *item_field(const char *item_json, const char *key)
{
    json_t *doc = json_loads(item_json, 0, NULL);
    json_t *v = doc ? json_object_get(doc, key) : NULL;
    char *out = v && json_is_string(v) ? strdup(json_string_value(v)) : NULL;
    json_decref(doc);
    return out;
}

/* ---- what inspect found, per item (run on demand on the stored original, kept in memory) ---- */

typedef struct insp {
    int64_t id;
    char *json;
    struct insp *next;
} insp;

static pthread_mutex_t insp_mu = PTHREAD_MUTEX_INITIALIZER;
static insp *insp_cache;

static char *inspect_item(server *s, pol_workspace *w, int64_t id, pol_err *err)
{
    pthread_mutex_lock(&insp_mu);
    for (insp *e = insp_cache; e; e = e->next)
        if (e->id == id) {
            char *j = strdup(e->json);
            pthread_mutex_unlock(&insp_mu);
            return j;
        }
    pthread_mutex_unlock(&insp_mu);
    char *orig = NULL, *ij = NULL, *name = NULL;
    if (pol_workspace_original_path(w, id, &orig, err)) return NULL;
    if (!(ij = pol_workspace_item_json(w, id, err))) {
        free(orig);
        return NULL;
    }
    name = item_field(ij, "name");
    free(ij);
    /* the store names originals by hash: a link named with the item's extension, so the domains
     * that look at the extension too recognise it as they would the file itself */
    char ext[16], link[4300];
    safe_ext(name, ext, sizeof ext);
    free(name);
    snprintf(link, sizeof link, "%s/inspect.%lld%s", s->tmpdir, (long long)id, ext);
    unlink(link);
    if (symlink(orig, link)) {
        free(orig);
        set_err(err, POL_ERR_IO, "cannot link the original into %.900s", s->tmpdir);
        return NULL;
    }
    free(orig);
    pol_pipeline *p = NULL;
    pol_report *r = pol_report_new("inspect");
    char *out = NULL;
    if (r && !pol_pipeline_new_auto(&p, err)) {
        pol_options opt;
        pol_options_default(&opt);
        opt.threads = 1;
        pol_batch b = {.mode = POL_BATCH_INSPECT, .options = &opt};
        const char *in[1] = {link};
        pol_batch_result res = {0};
        pol_status st = pol_batch_run(p, in, 1, &b, r, &res, err);
        if (!st || st == POL_ERR_PARTIAL) out = pol_report_json(r);
    }
    pol_pipeline_free(p);
    pol_report_free(r);
    unlink(link);
    if (!out) return NULL;
    /* keep the item's part only: {"inspect": {...}, "domain": ..., "error": ...} */
    json_t *doc = json_loads(out, 0, NULL);
    free(out);
    json_t *items = doc ? json_object_get(doc, "items") : NULL;
    json_t *it = items ? json_array_get(items, 0) : NULL;
    json_t *keep = json_object();
    if (it && keep) {
        const char *keys[] = {"domain", "status", "inspect", "error", "warnings", "notes"};
        for (size_t i = 0; i < sizeof keys / sizeof *keys; i++) {
            json_t *v = json_object_get(it, keys[i]);
            if (v) json_object_set(keep, keys[i], v);
        }
    }
    char *j = keep ? json_dumps(keep, JSON_COMPACT) : NULL;
    json_decref(keep);
    json_decref(doc);
    if (!j) {
        set_err(err, POL_ERR_NOMEM, "%s", "out of memory");
        return NULL;
    }
    insp *e = calloc(1, sizeof *e);
    if (e && (e->json = strdup(j))) {
        e->id = id;
        pthread_mutex_lock(&insp_mu);
        e->next = insp_cache;
        insp_cache = e;
        pthread_mutex_unlock(&insp_mu);
    } else {
        free(e);
    }
    return j;
}

/* The path of output number `index` of the item's current version, as the item's JSON lists it
 * (only a path the catalog gave is ever opened). */
static pol_status output_by_index(pol_workspace *w, int64_t id, long index, char **path,
                                  pol_err *err)
{
    char *j = pol_workspace_item_json(w, id, err);
    if (!j) return err->code ? err->code : POL_ERR_NOMEM;
    json_t *doc = json_loads(j, 0, NULL);
    free(j);
    json_t *vs = doc ? json_object_get(doc, "versions") : NULL;
    json_t *cur = doc ? json_object_get(doc, "current") : NULL;
    json_t *ver = NULL, *v;
    size_t i;
    json_array_foreach(vs, i, v)
    {
        json_t *vid = json_object_get(v, "id");
        if (cur && vid && json_equal(vid, cur)) ver = v;
    }
    json_t *outs = ver ? json_object_get(ver, "outputs") : NULL;
    json_t *o = outs && index >= 0 ? json_array_get(outs, (size_t)index) : NULL;
    const char *rel = o ? json_string_value(json_object_get(o, "path")) : NULL;
    pol_status st = POL_OK;
    if (!rel || rel[0] == '/' || strstr(rel, "..")) {
        set_err(err, POL_ERR_NOT_FOUND, "item has no output number %s", "requested");
        st = POL_ERR_NOT_FOUND;
    } else {
        sv_buf b = {0};
        sv_fmt(&b, "%s/%s", pol_workspace_dir(w), rel);
        if (!(*path = sv_take(&b))) st = POL_ERR_NOMEM;
    }
    json_decref(doc);
    return st;
}

static enum MHD_Result api_item(server *s, struct MHD_Connection *c, request *q, const char *method,
                                int64_t id, const char *rest)
{
    pol_err err;
    pol_err_clear(&err);
    int post = !strcmp(method, "POST");
    if (!*rest) {
        if (post) return send_error(c, 405, "GET an item");
        pol_workspace *w = borrow(s, &err);
        char *j = w ? pol_workspace_item_json(w, id, &err) : NULL;
        give_back(s, w);
        if (!j) return send_error(c, status_http(err.code), err.msg);
        return send_json(c, 200, j);
    }
    if (!strcmp(rest, "output") || !strcmp(rest, "original")) {
        if (post) return send_error(c, 405, "GET the output");
        const char *target = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "target");
        if (target && !*target) target = NULL;
        pol_workspace *w = borrow(s, &err);
        char *path = NULL;
        const char *index = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "index");
        pol_status st = !w ? err.code
                        : strcmp(rest, "output") ? pol_workspace_original_path(w, id, &path, &err)
                        : index ? output_by_index(w, id, strtol(index, NULL, 10), &path, &err)
                                : pol_workspace_output_path(w, id, target, &path, &err);
        char *name = NULL;
        if (!st && !strcmp(rest, "output")) {
            const char *base = strrchr(path, '/');
            name = strdup(base ? base + 1 : path);
        } else if (!st) { /* the store names originals by hash: the item's name gives the type */
            char *j = pol_workspace_item_json(w, id, &err);
            name = j ? item_field(j, "name") : NULL;
            free(j);
        }
        give_back(s, w);
        if (st) return send_error(c, status_http(st), err.msg);
        const char *dl = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "download");
        enum MHD_Result r = serve_file(c, path, name ? name : "output", dl != NULL);
        free(path);
        free(name);
        return r;
    }
    if (!strcmp(rest, "inspect")) {
        if (post) return send_error(c, 405, "GET what inspect found");
        pol_workspace *w = borrow(s, &err);
        char *j = w ? inspect_item(s, w, id, &err) : NULL;
        give_back(s, w);
        if (!j) return send_error(c, status_http(err.code), err.msg);
        return send_json(c, 200, j);
    }
    if (strcmp(rest, "fix") && strcmp(rest, "approve") && strcmp(rest, "reject") &&
        strcmp(rest, "undo"))
        return send_error(c, 404, "no such item path (see docs/API.md)");
    if (!post) return send_error(c, 405, "POST to act on an item");
    if (!strcmp(rest, "fix")) {
        char *recipe = NULL;
        const char *why = "out of memory";
        if (fix_recipe(q, &recipe, &why)) return send_error(c, 400, why);
        pol_workspace *w = borrow(s, &err);
        pol_status st = w ? pol_workspace_queue(w, id, recipe, &err) : err.code;
        give_back(s, w);
        if (st) {
            free(recipe);
            return send_error(c, status_http(st), err.msg);
        }
        int bad = enqueue(s, id, recipe);
        free(recipe);
        if (bad) return send_error(c, 500, "out of memory");
        item_event(s, id, "queued", NULL);
        char out[80];
        snprintf(out, sizeof out, "{\"id\": %lld, \"state\": \"queued\"}", (long long)id);
        return send_buf(c, 202, "application/json", out, strlen(out), 1);
    }
    pol_status (*act)(pol_workspace *, int64_t, pol_err *) =
        !strcmp(rest, "approve")  ? pol_workspace_approve
        : !strcmp(rest, "reject") ? pol_workspace_reject
        : !strcmp(rest, "undo")   ? pol_workspace_undo
                                  : NULL;
    if (!act) return send_error(c, 404, "no such action (fix, approve, reject, undo)");
    pol_workspace *w = borrow(s, &err);
    pol_status st = w ? act(w, id, &err) : err.code;
    char *j = st ? NULL : pol_workspace_item_json(w, id, &err);
    give_back(s, w);
    if (st) return send_error(c, status_http(st), err.msg);
    if (!j) return send_error(c, status_http(err.code), err.msg);
    char *state = item_field(j, "state"); /* the new state, for the event */
    item_event(s, id, state ? state : "changed", NULL);
    free(state);
    return send_json(c, 200, j);
}

static enum MHD_Result handler(void *cls, struct MHD_Connection *c, const char *url,
                               const char *method, const char *version, const char *upload_data,
                               size_t *upload_data_size, void **con_cls)
{
    (void)version;
    server *s = cls;
    request *q = *con_cls;
    if (!q) {
        q = calloc(1, sizeof *q);
        if (!q) return MHD_NO;
        q->upload_fd = -1;
        *con_cls = q;
        const char *host = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Host");
        if (!host_ok(s, host))
            return send_error(c, 403, "this server answers only to its own address (Host)");
        if (!origin_ok(s, MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Origin"), host))
            return send_error(c, 403, "requests from another site are refused (Origin)");
        int is_static = !strcmp(method, "GET") &&
                        (!strcmp(url, "/app.js") || !strcmp(url, "/app.css") ||
                         !strcmp(url, "/favicon.svg"));
        int via_query = 0;
        if (!is_static && !authorised(s, c, &via_query))
            return send_error(c, 401, "the token is missing or wrong: open the URL that "
                                      "'polish serve' printed");
        q->set_cookie = via_query;
        q->checked = 1;
        if (strcmp(method, "GET") && strcmp(method, "POST") && strcmp(method, "HEAD"))
            return send_error(c, 405, "only GET and POST");
        if (!strcmp(method, "POST") && upload_url(url)) {
            const char *len = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
                                                          MHD_HTTP_HEADER_CONTENT_LENGTH);
            if (len && strtoull(len, NULL, 10) > s->o.upload_limit) {
                q->too_large = 1;
                return api_upload(s, c, q, UP_ITEM); /* refused before the body is read */
            }
            q->pp = MHD_create_post_processor(c, 64 * 1024, post_iter, q);
            if (!q->pp) q->bad_body = 1;
        }
        return MHD_YES;
    }
    if (!q->checked) return MHD_NO;
    if (*upload_data_size) {
        size_t n = *upload_data_size;
        *upload_data_size = 0;
        q->got += n;
        if (!strcmp(method, "POST") && upload_url(url)) {
            if (q->got > s->o.upload_limit) q->too_large = 1;
            if (q->too_large || q->bad_body) return MHD_YES; /* the rest is read and dropped */
            if (!q->pp || MHD_post_process(q->pp, upload_data, n) != MHD_YES) q->bad_body = 1;
        } else if (q->body.len + n <= 1 << 20) {
            sv_putn(&q->body, upload_data, n);
        } else {
            q->too_large = 1;
        }
        return MHD_YES;
    }
    /* the whole request is in */
    if (!strcmp(url, "/") || !strcmp(url, "/index.html"))
        return serve_asset(s, c, "index.html", q->set_cookie);
    if (!strcmp(url, "/app.js") || !strcmp(url, "/app.css") || !strcmp(url, "/favicon.svg"))
        return serve_asset(s, c, url + 1, 0);
    if (strncmp(url, "/api/", 5) != 0) return send_error(c, 404, "no such page");
    int get = !strcmp(method, "GET") || !strcmp(method, "HEAD");
    if (q->too_large && !upload_url(url))
        return send_error(c, 413, "the request body is too large");
    if (!strcmp(url, "/api/ops")) {
        if (!get) return send_error(c, 405, "GET the registry");
        return send_json(c, 200, pol_registry_json(NULL));
    }
    if (!strcmp(url, "/api/files")) {
        if (get) return send_error(c, 405, "POST a file (multipart, field 'file')");
        return api_upload(s, c, q, UP_FILE);
    }
    if (!strcmp(url, "/api/kb")) {
        if (!get) return api_upload(s, c, q, UP_KB);
        pol_err err;
        pol_err_clear(&err);
        pol_workspace *w = borrow(s, &err);
        char *j = w ? pol_workspace_kb_json(w, &err) : NULL;
        give_back(s, w);
        if (!j) return send_error(c, status_http(err.code), err.msg);
        return send_json(c, 200, j);
    }
    if (!strcmp(url, "/api/kb/remove")) {
        if (get) return send_error(c, 405, "POST {\"name\": DOCUMENT}");
        return api_kb_remove(s, c, q);
    }
    if (!strcmp(url, "/api/items")) {
        if (!get) return api_upload(s, c, q, UP_ITEM);
        pol_err err;
        pol_err_clear(&err);
        pol_workspace *w = borrow(s, &err);
        char *j = w ? pol_workspace_list_json(w, &err) : NULL;
        give_back(s, w);
        if (!j) return send_error(c, status_http(err.code), err.msg);
        /* the browser gets the workspace's name, never where it lies on the server's disk */
        json_t *doc = json_loads(j, 0, NULL);
        const char *dir = doc ? json_string_value(json_object_get(doc, "workspace")) : NULL;
        if (dir) {
            const char *slash = strrchr(dir, '/');
            json_object_set_new(doc, "workspace", json_string(slash && slash[1] ? slash + 1 : dir));
            char *k = json_dumps(doc, JSON_COMPACT);
            if (k) {
                free(j);
                j = k;
            }
        }
        json_decref(doc);
        return send_json(c, 200, j);
    }
    if (!strcmp(url, "/api/events")) {
        if (!get) return send_error(c, 405, "GET the events");
        return serve_events(s, c);
    }
    if (!strcmp(url, "/api/export.zip")) {
        if (!get) return send_error(c, 405, "GET the zip");
        const char *all = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "all");
        return serve_zip(s, c, !all);
    }
    int64_t id;
    const char *rest;
    if (!strncmp(url, "/api/items/", 11) && parse_item(url, &id, &rest))
        return api_item(s, c, q, method, id, rest);
    return send_error(c, 404, "no such API path (see docs/API.md)");
}

/* MHD's own messages are dropped: the library does not print. */
static void quiet_log(void *cls, const char *fmt, va_list ap)
{
    (void)cls, (void)fmt, (void)ap;
}

/* ---- start and stop ------------------------------------------------------------------------- */

static int make_token(char *out, size_t n)
{
    static const char alphabet[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    unsigned char raw[64];
    size_t got = 0;
    while (got < n) {
        ssize_t r = getrandom(raw + got, n - got, 0);
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) return -1;
        got += (size_t)r;
    }
    for (size_t i = 0; i < n; i++) out[i] = alphabet[raw[i] & 63];
    out[n] = '\0';
    return 0;
}

pol_status pol_serve_run(const pol_serve_opts *o, pol_serve_ready_fn ready, void *user,
                         pol_err *err)
{
    pol_err_clear(err);
    server *s = calloc(1, sizeof *s);
    if (!s) {
        set_err(err, POL_ERR_NOMEM, "%s", "out of memory");
        return POL_ERR_NOMEM;
    }
    s->o = *o;
    if (!s->o.host) s->o.host = "127.0.0.1";
    if (!s->o.upload_limit) s->o.upload_limit = DEFAULT_UPLOAD_LIMIT;
    if (!s->o.workers) s->o.workers = 2;
    if (!s->o.timeout) s->o.timeout = 30;
    if (!s->o.max_conns) s->o.max_conns = 128;
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    s->threads_per_fix = cores > (long)s->o.workers ? (int)(cores / (long)s->o.workers) : 1;
    pthread_mutex_init(&s->hmu, NULL);
    pthread_mutex_init(&s->qmu, NULL);
    pthread_cond_init(&s->qcv, NULL);
    pthread_mutex_init(&s->emu, NULL);
    pthread_cond_init(&s->ecv, NULL);
    pol_status st = POL_OK;
    struct MHD_Daemon *d = NULL;
    struct addrinfo *ai = NULL;

    pol_workspace *first = NULL;
    if ((st = pol_workspace_open(s->o.dir, &first, err))) goto out;
    pol_workspace_confine(first, 1);
    give_back(s, first);
    if (make_token(s->token, 32)) {
        set_err(err, POL_ERR_IO, "%s", "getrandom failed: no token could be made");
        st = POL_ERR_IO;
        goto out;
    }
    const char *tmp = getenv("TMPDIR");
    snprintf(s->tmpdir, sizeof s->tmpdir, "%s/polish-serve.XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp(s->tmpdir)) {
        set_err(err, POL_ERR_IO, "cannot make a temporary folder in %s", tmp ? tmp : "/tmp");
        s->tmpdir[0] = '\0';
        st = POL_ERR_IO;
        goto out;
    }
    struct addrinfo hints = {.ai_flags = AI_PASSIVE | AI_NUMERICSERV, .ai_socktype = SOCK_STREAM};
    char portstr[16];
    snprintf(portstr, sizeof portstr, "%u", s->o.port);
    if (getaddrinfo(s->o.host, portstr, &hints, &ai) || !ai) {
        set_err(err, POL_ERR_ARG, "--host %s: not an address this machine has", s->o.host);
        st = POL_ERR_ARG;
        goto out;
    }
    if (pipe(stop_pipe)) {
        set_err(err, POL_ERR_IO, "%s", "cannot make a pipe");
        st = POL_ERR_IO;
        goto out;
    }
    fcntl(stop_pipe[0], F_SETFD, FD_CLOEXEC);
    fcntl(stop_pipe[1], F_SETFD, FD_CLOEXEC);
    g_srv = s;
    stop_requested = 0;
    unsigned flags = MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD |
                     MHD_USE_POLL | MHD_USE_ITC;
    if (ai->ai_family == AF_INET6) flags |= MHD_USE_IPv6;
    d = MHD_start_daemon(flags, (uint16_t)s->o.port, NULL, NULL, handler, s,
                         MHD_OPTION_SOCK_ADDR, ai->ai_addr,
                         MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)s->o.timeout,
                         MHD_OPTION_CONNECTION_LIMIT, (unsigned)s->o.max_conns,
                         /* 32 KiB: MHD mmaps a larger pool, so every connection paid an mmap and
                          * an munmap with its TLB shootdown (a third of the server's CPU under 50
                          * clients); an upload streams through it in more, smaller pieces */
                         MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)(32 * 1024),
                         /* 2 MiB stacks: glibc keeps 40 MiB of freed thread stacks for reuse, so
                          * 20 connection threads' stacks are reused instead of mapped anew */
                         MHD_OPTION_THREAD_STACK_SIZE, (size_t)(2 << 20),
                         MHD_OPTION_NOTIFY_COMPLETED, request_done, s,
                         MHD_OPTION_EXTERNAL_LOGGER, quiet_log, NULL, MHD_OPTION_END);
    if (!d) {
        set_err(err, POL_ERR_IO, "cannot listen on %s (the port may be in use)", s->o.host);
        st = POL_ERR_IO;
        goto out;
    }
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);
    s->port = info ? info->port : s->o.port;
    snprintf(s->cookie_name, sizeof s->cookie_name, "polish_token_%u", s->port);

    s->workers = calloc(s->o.workers, sizeof *s->workers);
    if (!s->workers) {
        set_err(err, POL_ERR_NOMEM, "%s", "out of memory");
        st = POL_ERR_NOMEM;
        goto out;
    }
    for (size_t i = 0; i < s->o.workers; i++) {
        if (pthread_create(&s->workers[i], NULL, worker, s)) break;
        s->n_workers++;
    }
    /* drafts a stopped server left queued are rendered now */
    {
        pol_workspace *w = borrow(s, err);
        int64_t *ids = NULL;
        size_t n = 0;
        if (w && !pol_workspace_queued(w, &ids, &n, err))
            for (size_t i = 0; i < n; i++) enqueue(s, ids[i], NULL);
        free(ids);
        give_back(s, w);
    }
    char url[400];
    const char *shown = s->o.host;
    if (!strcmp(shown, "0.0.0.0")) shown = "127.0.0.1";
    if (!strcmp(shown, "::")) shown = "::1";
    if (strchr(shown, ':'))
        snprintf(url, sizeof url, "http://[%s]:%u/?token=%s", shown, s->port, s->token);
    else
        snprintf(url, sizeof url, "http://%s:%u/?token=%s", shown, s->port, s->token);
    if (ready) ready(url, user);

    while (!stop_requested) {
        struct pollfd pfd = {.fd = stop_pipe[0], .events = POLLIN};
        int r = poll(&pfd, 1, -1);
        if (r > 0) break;
        if (r < 0 && errno != EINTR) break;
    }
    stop_requested = 1;

out:
    /* stop: running fixes cancelled, workers joined, connections closed */
    pthread_mutex_lock(&s->qmu);
    s->stopping = 1;
    pthread_cond_broadcast(&s->qcv);
    pthread_mutex_unlock(&s->qmu);
    pthread_mutex_lock(&s->emu);
    pthread_cond_broadcast(&s->ecv);
    pthread_mutex_unlock(&s->emu);
    if (s->n_workers) pol_cancel();
    for (size_t i = 0; i < s->n_workers; i++) pthread_join(s->workers[i], NULL);
    if (s->n_workers) pol_cancel_reset();
    if (d) MHD_stop_daemon(d);
    free(s->workers);
    for (job *j = s->qhead; j;) {
        job *next = j->next;
        free(j->recipe);
        free(j);
        j = next;
    }
    for (size_t i = 0; i < s->n_free; i++) pol_workspace_close(s->free_handles[i]);
    free(s->free_handles);
    for (size_t i = 0; i < EVENT_RING; i++) free(s->ring[i].text);
    pthread_mutex_lock(&insp_mu);
    while (insp_cache) {
        insp *e = insp_cache;
        insp_cache = e->next;
        free(e->json);
        free(e);
    }
    pthread_mutex_unlock(&insp_mu);
    if (s->tmpdir[0]) remove_tree(s->tmpdir);
    if (ai) freeaddrinfo(ai);
    for (int i = 0; i < 2; i++)
        if (stop_pipe[i] >= 0) {
            close(stop_pipe[i]);
            stop_pipe[i] = -1;
        }
    g_srv = NULL;
    pthread_mutex_destroy(&s->hmu);
    pthread_mutex_destroy(&s->qmu);
    pthread_cond_destroy(&s->qcv);
    pthread_mutex_destroy(&s->emu);
    pthread_cond_destroy(&s->ecv);
    free(s);
    return st;
}
