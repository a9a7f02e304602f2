/* polish — the report stream: a JSON-lines file written as items finish (a header line, one line
 * per item, a summary line; docs/report.md), so a killed batch keeps what finished, a page can
 * follow a batch live, and two reports can be merged. Thumbnails go to files beside it. */
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "core/report.h"
#include "core/sbuf.h"

/* One stream line (no newline): `obj`'s members after {"type":TYPE}. malloc'ed, or NULL. */
static char *typed_line(const char *type, const pol__jv *obj)
{
    char *s = obj ? pol__jv_dump(obj, 0) : NULL;
    char *line = pol__asprintf("{\"type\":\"%s\"%s%s", type, s && strlen(s) > 2 ? "," : "}",
                               s && strlen(s) > 2 ? s + 1 : "");
    free(s);
    return line;
}

static char *header_text(const pol_report *r)
{
    pol__jv *h = pol__jv_obj();
    pol__jv_set(h, "schema", pol__jv_int(POL_REPORT_SCHEMA));
    for (const char *k = "polish\0command\0started\0"; *k; k += strlen(k) + 1) {
        const pol__jv *v = pol__jv_get(r->root, k);
        if (v && v->str) pol__jv_set(h, k, pol__jv_str(v->str));
    }
    char *line = typed_line("header", h);
    pol__jv_free(h);
    return line;
}

static void put_line(pol_report *r, char *line)
{
    if (line) {
        fputs(line, r->stream);
        fputc('\n', r->stream);
        fflush(r->stream);
    }
    free(line);
}

char *pol__report_lines(const pol_report *r)
{
    pol__sbuf b = {0};
    char *line = header_text(r);
    if (line) pol__sbuf_printf(&b, "%s\n", line);
    free(line);
    for (const pol__jv *it = r->items->first; it; it = it->next) {
        line = typed_line("item", it);
        if (line) pol__sbuf_printf(&b, "%s\n", line);
        free(line);
    }
    line = typed_line("summary", pol__jv_get(r->root, "summary"));
    if (line) pol__sbuf_puts(&b, line); /* pol_report_write adds the last newline */
    free(line);
    return pol__sbuf_take(&b);
}

pol_status pol_report_stream(pol_report *r, const char *path, int overwrite, pol_err *err)
{
    if (!r || !path) return pol__err_set(err, POL_ERR_ARG, "no report stream path");
    if (r->stream) return pol__err_set(err, POL_ERR_ARG, "the report already streams");
    /* An earlier stream of polish's own is replaced; any other file only with `overwrite`. */
    if (!overwrite) {
        FILE *old = fopen(path, "r");
        char head[32] = "";
        if (old) {
            size_t n = fread(head, 1, sizeof head - 1, old);
            head[n] = '\0';
            fclose(old);
            static const char mark[] = "{\"type\":\"header\"";
            overwrite = !strncmp(head, mark, sizeof mark - 1);
        }
    }
    int fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC | O_NONBLOCK | (overwrite ? O_TRUNC : O_EXCL),
                  0666);
    if (fd < 0) {
        int e = errno;
        return pol__err_set(err, e == EEXIST ? POL_ERR_EXISTS : POL_ERR_IO, "%s: %s%s", path,
                            strerror(e), e == EEXIST ? " (use --overwrite to replace it)" : "");
    }
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        close(fd);
        return pol__err_set(err, POL_ERR_IO, "%s: not a regular file", path);
    }
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
    r->stream = fdopen(fd, "w");
    if (!r->stream) {
        close(fd);
        return pol__err_set(err, POL_ERR_NOMEM, "out of memory");
    }
    const char *slash = strrchr(path, '/');
    r->dir = slash ? pol__strndup(path, slash == path ? 1 : (size_t)(slash - path)) : pol__strdup(".");
    const char *base = pol__path_base(path);
    const char *dot = strrchr(base, '.');
    r->thumb_dir = pol__asprintf("%.*s.thumbs", (int)(dot && dot != base ? (size_t)(dot - base) : strlen(base)),
                                 base);
    if (!r->dir || !r->thumb_dir) return pol__err_set(err, POL_ERR_NOMEM, "out of memory");
    put_line(r, header_text(r));
    return ferror(r->stream) ? pol__err_set(err, POL_ERR_IO, "%s: write failed", path) : POL_OK;
}

static char *thumb_file(const pol_report *r, size_t index, const char *which, int full)
{
    return full ? pol__asprintf("%s/%s/%zu-%s.jpg", r->dir, r->thumb_dir, index, which)
                : pol__asprintf("%s/%zu-%s.jpg", r->thumb_dir, index, which);
}

static void save_thumb(pol_report *r, size_t index, const char *which, unsigned char **jpeg,
                       size_t len, pol__jv *refs)
{
    if (!*jpeg) return;
    char *dir = pol__asprintf("%s/%s", r->dir, r->thumb_dir);
    char *full = thumb_file(r, index, which, 1), *rel = thumb_file(r, index, which, 0);
    if (dir && full && rel && (mkdir(dir, 0777) == 0 || errno == EEXIST)) {
        pol_options o;
        pol_options_default(&o);
        o.overwrite = 1; /* the report's own files */
        pol_err e;
        pol_run run = {.err = &e, .opt = &o};
        if (pol__write_file(&run, full, *jpeg, len) == POL_OK) {
            pol__jv_set(refs, which, pol__jv_str(rel));
            free(*jpeg);
            *jpeg = NULL;
        }
    }
    free(dir);
    free(full);
    free(rel);
}

void pol__report_item_done(pol_report *r, size_t index, pol__jv *item, pol__thumbs *thumbs)
{
    if (!r || !r->stream || !item) return;
    pthread_mutex_lock(&r->mu);
    pol__jv_set(item, "index", pol__jv_int((long long)index));
    if (thumbs && (thumbs->before || thumbs->after)) {
        pol__jv *refs = pol__jv_obj_at(item, "thumbs");
        save_thumb(r, index, "before", &thumbs->before, thumbs->before_len, refs);
        save_thumb(r, index, "after", &thumbs->after, thumbs->after_len, refs);
    }
    put_line(r, typed_line("item", item));
    pthread_mutex_unlock(&r->mu);
}

void pol__report_stream_end(pol_report *r)
{
    if (!r || !r->stream) return;
    put_line(r, typed_line("summary", pol__jv_get(r->root, "summary")));
    fclose(r->stream);
    r->stream = NULL;
}

int pol__report_thumb(const pol_report *r, size_t idx, const pol__jv *item, int after,
                      const unsigned char **jpeg, size_t *len, unsigned char **owned)
{
    *owned = NULL;
    if (idx < r->n_thumbs) {
        *jpeg = after ? r->thumbs[idx].after : r->thumbs[idx].before;
        *len = after ? r->thumbs[idx].after_len : r->thumbs[idx].before_len;
        if (*jpeg) return 1;
    }
    const pol__jv *t = pol__jv_get(pol__jv_get(item, "thumbs"), after ? "after" : "before");
    /* only the report's own thumbnail files: <stem>.thumbs/<n>-before.jpg */
    if (!t || !t->str || !r->dir || strstr(t->str, "..") || !strstr(t->str, ".thumbs/") ||
        strcmp(pol__path_ext(t->str), "jpg") != 0)
        return 0;
    char *full = t->str[0] == '/' ? pol__strdup(t->str) : pol__asprintf("%s/%s", r->dir, t->str);
    if (!full) return 0;
    pol_err e;
    pol_run run = {.err = &e};
    unsigned char *data;
    size_t n;
    int ok = pol__read_file(&run, full, 8u << 20, &data, &n) == POL_OK;
    free(full);
    if (!ok) return 0;
    *jpeg = *owned = data;
    *len = n;
    return 1;
}

/* ---- reading a stream back, merging ---------------------------------------------------------- */

static pol__jv *from_jansson(const json_t *j)
{
    switch (json_typeof(j)) {
    case JSON_OBJECT: {
        pol__jv *o = pol__jv_obj();
        const char *k;
        json_t *v;
        json_object_foreach((json_t *)j, k, v) pol__jv_set(o, k, from_jansson(v));
        return o;
    }
    case JSON_ARRAY: {
        pol__jv *a = pol__jv_arr();
        size_t i;
        json_t *v;
        json_array_foreach(j, i, v) pol__jv_push(a, from_jansson(v));
        return a;
    }
    case JSON_STRING:
        return pol__jv_str(json_string_value(j));
    case JSON_INTEGER:
        return pol__jv_int(json_integer_value(j));
    case JSON_REAL:
        return pol__jv_num(json_real_value(j));
    case JSON_TRUE:
        return pol__jv_bool(1);
    case JSON_FALSE:
        return pol__jv_bool(0);
    case JSON_NULL:
        break;
    }
    return pol__jv_null();
}

static void summarise(pol_report *r)
{
    size_t ok = 0, failed = 0, n = 0;
    double secs = 0;
    for (const pol__jv *it = r->items->first; it; it = it->next, n++) {
        const pol__jv *st = pol__jv_get(it, "status");
        if (st && st->str && !strcmp(st->str, "ok"))
            ok++;
        else if (!(st && st->str && !strcmp(st->str, "cancelled")))
            failed++;
        const pol__jv *t = pol__jv_get(pol__jv_get(it, "seconds"), "total");
        if (t) secs += t->type == POL_JV_INT ? (double)t->i : t->num;
    }
    pol__jv *s = pol__jv_obj_at(r->root, "summary");
    pol__jv *total = pol__jv_get(s, "items");
    size_t declared = total && total->type == POL_JV_INT ? (size_t)total->i : n;
    pol__report_set_summary(r, declared > n ? declared : n, ok, failed, secs);
}

pol_status pol_report_read(const char *path, pol_report **out, pol_err *err)
{
    *out = NULL;
    FILE *f = fopen(path, "r");
    if (!f) return pol__err_set(err, errno == ENOENT ? POL_ERR_NOT_FOUND : POL_ERR_IO, "%s: %s", path,
                                strerror(errno));
    pol_report *r = pol_report_new("");
    if (!r) {
        fclose(f);
        return pol__err_set(err, POL_ERR_NOMEM, "out of memory");
    }
    const char *slash = strrchr(path, '/');
    r->dir = slash ? pol__strndup(path, slash == path ? 1 : (size_t)(slash - path)) : pol__strdup(".");
    char *line = NULL;
    size_t cap = 0;
    ssize_t len;
    long lineno = 0;
    pol_status st = POL_OK;
    int have_header = 0, have_summary = 0;
    while ((len = getline(&line, &cap, f)) > 0) {
        lineno++;
        if (len == 1 && line[0] == '\n') continue;
        json_error_t je;
        json_t *j = json_loadb(line, (size_t)len, 0, &je);
        if (!j || !json_is_object(j)) {
            json_decref(j);
            /* a killed batch may leave its last line half-written: what came before stands */
            if (line[len - 1] != '\n') break;
            st = pol__err_set(err, POL_ERR_CORRUPT, "%s:%ld: not a report line (%s)", path, lineno,
                              je.text);
            break;
        }
        const char *type = json_string_value(json_object_get(j, "type"));
        if (type && !strcmp(type, "header")) {
            json_int_t schema = json_integer_value(json_object_get(j, "schema"));
            if (schema > POL_REPORT_SCHEMA) {
                json_decref(j);
                st = pol__err_set(err, POL_ERR_FORMAT, "%s: report schema %lld is newer than %d",
                                  path, (long long)schema, POL_REPORT_SCHEMA);
                break;
            }
            for (const char *k = "polish\0command\0started\0"; *k; k += strlen(k) + 1) {
                const char *v = json_string_value(json_object_get(j, k));
                if (v) pol__jv_set(r->root, k, pol__jv_str(v));
            }
            have_header = 1;
        } else if (type && !strcmp(type, "item")) {
            json_object_del(j, "type");
            pol__report_add_item(r, from_jansson(j), NULL);
        } else if (type && !strcmp(type, "summary")) {
            json_object_del(j, "type");
            pol__jv_set(r->root, "summary", from_jansson(j));
            have_summary = 1;
        }
        json_decref(j);
    }
    free(line);
    fclose(f);
    if (!st && !have_header)
        st = pol__err_set(err, POL_ERR_FORMAT, "%s: not a polish report stream (no header line)", path);
    if (st) {
        pol_report_free(r);
        return st;
    }
    if (!have_summary) { /* a killed batch: count what finished */
        summarise(r);
        pol__jv_set(pol__jv_obj_at(r->root, "summary"), "incomplete", pol__jv_bool(1));
    }
    *out = r;
    return POL_OK;
}

pol_status pol_report_merge(pol_report *dst, const pol_report *src, pol_err *err)
{
    if (!dst || !src) return pol__err_set(err, POL_ERR_ARG, "nothing to merge");
    for (const pol__jv *it = src->items->first; it; it = it->next) {
        char *s = pol__jv_dump(it, 0);
        json_t *j = s ? json_loads(s, 0, NULL) : NULL;
        free(s);
        if (!j) return pol__err_set(err, POL_ERR_NOMEM, "out of memory merging reports");
        pol__jv *copy = from_jansson(j);
        json_decref(j);
        /* thumbnails of the other report stay where its stream put them */
        pol__jv *t = pol__jv_get(copy, "thumbs");
        for (pol__jv *k = t ? t->first : NULL; k && src->dir && dst->dir && strcmp(src->dir, dst->dir); k = k->next) {
            char *abs = k->str && k->str[0] != '/' ? pol__asprintf("%s/%s", src->dir, k->str) : NULL;
            if (abs) {
                free(k->str);
                k->str = abs;
            }
        }
        pol__report_add_item(dst, copy, NULL);
    }
    summarise(dst);
    return POL_OK;
}
