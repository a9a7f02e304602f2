/* polish — the workspace commands: init, add, ls, show, fix ID, approve, reject, undo, history,
 * export, watch (docs/WORKSPACE.md). Public API only. */
#include <dirent.h>
#include <errno.h>
#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include "polish/polish.h"
#include "polish/workspace.h"
#include "cli/workspace.h"

enum { EXIT_ALL_OK = 0, EXIT_SOME_FAILED = 1, EXIT_USAGE = 2, EXIT_FATAL = 3 };

const char cli_workspace_usage[] =
    "Workspace (docs/WORKSPACE.md):\n"
    "  init [DIR]                            make a workspace (DIR/.polish/)\n"
    "  add FILE|DIR...                       ingest originals; prints each item's ID\n"
    "  ls [--json]                           items with their state and versions\n"
    "  show ID                               one item as JSON (versions, outputs, report)\n"
    "  fix ID... [--recipe R.yml]            render the item's draft (a new draft when\n"
    "                                        approved); without --recipe: automatic\n"
    "  approve ID... | reject ID... | undo ID...   decide, or take the last step back\n"
    "  history ID [--json]                   every step of an item\n"
    "  export [--approved] -o DIR            every delivery target of each approved version\n"
    "  watch INBOX [--recipe R.yml] -o OUT   process each new file once it is complete\n"
    "  kb add DOC... | kb ls | kb rm NAME    the workspace's knowledge base (approved documents\n"
    "                                        that text items are checked against)\n"
    "  attach FILE...                        store a file a recipe reads; prints ws:<sha256>\n"
    "  gc [--max-size SIZE]                  evict renders no current or approved version uses\n"
    "  (fix, watch: --lenient salvages damaged input; it is part of the version's recipe)\n"
    "  (-w DIR / POLISH_WORKSPACE: the workspace; default: this folder or a parent)\n";

static int usage_error(const char *fmt, const char *a)
{
    fputs("polish: ", stderr);
    fprintf(stderr, fmt, a);
    fputs("\nTry 'polish --help'.\n", stderr);
    return EXIT_USAGE;
}

static int status_exit(pol_status s)
{
    switch (s) {
    case POL_OK:
        return EXIT_ALL_OK;
    case POL_ERR_ARG:
    case POL_ERR_RECIPE:
        return EXIT_USAGE;
    case POL_ERR_NOMEM:
    case POL_ERR_INTERNAL:
        return EXIT_FATAL;
    default:
        return EXIT_SOME_FAILED;
    }
}

typedef struct wsargs {
    const char *workspace, *output, *recipe;
    int json, quiet, approved, once, jobs, settle, lenient;
    const char *max_size;
    double interval;
    char **pos;
    int n_pos;
} wsargs;

/* Options shared by the workspace commands; returns -1 after printing a usage error. */
static int parse(const char *cmd, int argc, char **argv, wsargs *a)
{
    memset(a, 0, sizeof *a);
    a->pos = calloc((size_t)argc + 1, sizeof *a->pos);
    if (!a->pos) return -1;
    for (int i = 0; i < argc; i++) {
        const char *s = argv[i];
        const char **val = NULL;
        if (!strcmp(s, "-w") || !strcmp(s, "--workspace"))
            val = &a->workspace;
        else if (!strcmp(s, "-o") || !strcmp(s, "--output"))
            val = &a->output;
        else if (!strcmp(s, "--recipe"))
            val = &a->recipe;
        else if (!strcmp(s, "--json"))
            a->json = 1;
        else if (!strcmp(s, "-q") || !strcmp(s, "--quiet"))
            a->quiet = 1;
        else if (!strcmp(s, "--approved"))
            a->approved = 1;
        else if (!strcmp(s, "--all"))
            a->approved = 0;
        else if (!strcmp(s, "--once"))
            a->once = 1;
        else if (!strcmp(s, "--lenient"))
            a->lenient = 1;
        else if (!strcmp(s, "--max-size"))
            val = &a->max_size;
        else if (!strcmp(s, "-j") || !strcmp(s, "--jobs") || !strcmp(s, "--settle") ||
                 !strcmp(s, "--interval")) {
            if (i + 1 >= argc) return usage_error("%s needs a value", s), -1;
            char *end;
            double v = strtod(argv[++i], &end);
            if (*end || v < 0 || v > 1e6) return usage_error("%s: not a number", s), -1;
            if (s[1] == 'j' || s[2] == 'j')
                a->jobs = (int)v;
            else if (s[2] == 's')
                a->settle = (int)v;
            else
                a->interval = v;
        } else if (!strcmp(s, "--")) {
            for (i++; i < argc; i++) a->pos[a->n_pos++] = argv[i];
        } else if (s[0] == '-' && s[1]) {
            fprintf(stderr, "polish: %s: unknown option %s\nTry 'polish --help'.\n", cmd, s);
            return -1;
        } else {
            a->pos[a->n_pos++] = argv[i];
        }
        if (val) {
            if (i + 1 >= argc) return usage_error("%s needs a value", s), -1;
            *val = argv[++i];
        }
    }
    return 0;
}

static pol_workspace *open_ws(const wsargs *a)
{
    const char *dir = a->workspace ? a->workspace : getenv("POLISH_WORKSPACE");
    pol_err err;
    char *found = NULL;
    if (!dir || !*dir) {
        if (pol_workspace_find(".", &found, &err)) {
            fprintf(stderr, "polish: %s\n", err.msg);
            return NULL;
        }
        dir = found;
    }
    pol_workspace *w = NULL;
    if (pol_workspace_open(dir, &w, &err)) fprintf(stderr, "polish: %s\n", err.msg);
    free(found);
    return w;
}

static int parse_id(const char *s, int64_t *id)
{
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (!*s || *end || errno || v <= 0) return -1;
    *id = v;
    return 0;
}

static char *read_text(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "polish: --recipe %s: %s\n", path, strerror(errno));
        return NULL;
    }
    size_t cap = 1 << 16, n = 0;
    char *buf = malloc(cap + 1);
    while (buf) {
        size_t got = fread(buf + n, 1, cap - n, f);
        n += got;
        if (got == 0) break;
        if (n == cap) {
            if (cap >= (1u << 20)) { /* recipes are small (the loader caps them at 1 MiB) */
                fprintf(stderr, "polish: --recipe %s: larger than 1 MiB\n", path);
                free(buf);
                buf = NULL;
                break;
            }
            char *nb = realloc(buf, (cap *= 2) + 1);
            if (!nb) {
                free(buf);
                buf = NULL;
            } else
                buf = nb;
        }
    }
    fclose(f);
    if (buf) buf[n] = '\0';
    return buf;
}

/* ---- init, add ------------------------------------------------------------------------------- */

static int cmd_init(wsargs *a)
{
    if (a->n_pos > 1) return usage_error("init: one folder (%s)", a->pos[1]);
    const char *dir = a->n_pos ? a->pos[0] : ".";
    pol_err err;
    pol_status s = pol_workspace_init(dir, &err);
    if (s == POL_ERR_EXISTS) {
        if (!a->quiet) fprintf(stderr, "polish: %s\n", err.msg);
        return EXIT_ALL_OK;
    }
    if (s) {
        fprintf(stderr, "polish: %s\n", err.msg);
        return status_exit(s);
    }
    if (!a->quiet) fprintf(stderr, "polish: made a workspace in %s (its catalog in .polish/)\n", dir);
    return EXIT_ALL_OK;
}

typedef struct add_ctx {
    pol_workspace *w;
    int json, quiet, failed;
    json_t *list;
} add_ctx;

static void add_one(add_ctx *c, const char *path, int named)
{
    pol_err err;
    int64_t id = 0;
    pol_status s = pol_workspace_add(c->w, path, NULL, &id, &err);
    if (s) {
        if (!named && s == POL_ERR_FORMAT) { /* a file of no domain inside a folder */
            if (!c->quiet) fprintf(stderr, "polish: note: skipped %s: %s\n", path, err.msg);
            return;
        }
        fprintf(stderr, "polish: error: %s\n", err.msg);
        c->failed++;
        return;
    }
    if (c->json) {
        json_t *o = json_object();
        json_object_set_new(o, "id", json_integer(id));
        json_object_set_new(o, "path", json_string(path));
        json_array_append_new(c->list, o);
    } else {
        printf("%lld\n", (long long)id);
        if (!c->quiet) fprintf(stderr, "polish: item %lld: %s\n", (long long)id, path);
    }
}

static int by_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void add_dir(add_ctx *c, const char *dir, int depth)
{
    if (depth > 64) return;
    DIR *d = opendir(dir);
    if (!d) {
        fprintf(stderr, "polish: error: %s: %s\n", dir, strerror(errno));
        c->failed++;
        return;
    }
    char **names = NULL;
    size_t n = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.') continue; /* hidden, and the workspace's own .polish */
        char **nv = realloc(names, (n + 1) * sizeof *nv);
        if (!nv) break;
        names = nv;
        names[n++] = strdup(e->d_name);
    }
    closedir(d);
    qsort(names, n, sizeof *names, by_name);
    for (size_t i = 0; i < n; i++) {
        size_t len = strlen(dir) + strlen(names[i]) + 2;
        char *p = malloc(len);
        struct stat st;
        if (p) {
            snprintf(p, len, "%s/%s", dir, names[i]);
            if (lstat(p, &st) == 0 && S_ISDIR(st.st_mode))
                add_dir(c, p, depth + 1);
            else if (lstat(p, &st) == 0 && S_ISREG(st.st_mode))
                add_one(c, p, 0);
        }
        free(p);
        free(names[i]);
    }
    free(names);
}

static int cmd_add(wsargs *a)
{
    if (!a->n_pos) return usage_error("add: which files?%s", "");
    pol_workspace *w = open_ws(a);
    if (!w) return EXIT_SOME_FAILED;
    add_ctx c = {.w = w, .json = a->json, .quiet = a->quiet, .list = json_array()};
    for (int i = 0; i < a->n_pos; i++) {
        struct stat st;
        if (stat(a->pos[i], &st) == 0 && S_ISDIR(st.st_mode))
            add_dir(&c, a->pos[i], 0);
        else
            add_one(&c, a->pos[i], 1);
    }
    if (a->json) {
        char *t = json_dumps(c.list, JSON_INDENT(1));
        if (t) printf("%s\n", t);
        free(t);
    }
    json_decref(c.list);
    pol_workspace_close(w);
    return c.failed ? EXIT_SOME_FAILED : EXIT_ALL_OK;
}

/* ---- ls, show, history ----------------------------------------------------------------------- */

static int cmd_ls(wsargs *a)
{
    pol_workspace *w = open_ws(a);
    if (!w) return EXIT_SOME_FAILED;
    pol_err err;
    char *j = pol_workspace_list_json(w, &err);
    pol_workspace_close(w);
    if (!j) {
        fprintf(stderr, "polish: %s\n", err.msg);
        return EXIT_FATAL;
    }
    if (a->json) {
        printf("%s\n", j);
        free(j);
        return EXIT_ALL_OK;
    }
    json_t *root = json_loads(j, 0, NULL);
    free(j);
    json_t *items = json_object_get(root, "items");
    size_t i;
    json_t *it;
    if (json_array_size(items))
        printf("%-5s %-9s %-9s %-8s %s\n", "ID", "STATE", "DOMAIN", "VERSION", "NAME");
    json_array_foreach(items, i, it)
    {
        json_t *vs = json_object_get(it, "versions");
        long long seq = 0, n = 0;
        size_t k;
        json_t *v;
        json_array_foreach(vs, k, v)
        {
            n += !json_is_true(json_object_get(v, "undone"));
            if (json_is_true(json_object_get(v, "current")))
                seq = json_integer_value(json_object_get(v, "seq"));
        }
        char ver[32];
        snprintf(ver, sizeof ver, "%lld/%lld", seq, n);
        printf("%-5lld %-9s %-9s %-8s %s\n", (long long)json_integer_value(json_object_get(it, "id")),
               json_string_value(json_object_get(it, "state")),
               json_string_value(json_object_get(it, "domain")), ver,
               json_string_value(json_object_get(it, "name")));
    }
    json_decref(root);
    return EXIT_ALL_OK;
}

/* One item's JSON document from `get` (item or history), for `show` and `history`: NULL with
 * *rc set when the arguments are wrong or the item cannot be read. Caller frees it. */
static char *one_item_json(wsargs *a, const char *cmd,
                           char *(*get)(pol_workspace *, int64_t, pol_err *), int *rc)
{
    int64_t id;
    if (a->n_pos != 1 || parse_id(a->pos[0], &id)) {
        *rc = usage_error("%s: one item ID", cmd);
        return NULL;
    }
    pol_workspace *w = open_ws(a);
    if (!w) {
        *rc = EXIT_SOME_FAILED;
        return NULL;
    }
    pol_err err;
    char *j = get(w, id, &err);
    pol_workspace_close(w);
    if (!j) {
        fprintf(stderr, "polish: %s\n", err.msg);
        *rc = status_exit(err.code);
    }
    return j;
}

static int cmd_show(wsargs *a)
{
    int rc = EXIT_ALL_OK;
    char *j = one_item_json(a, "show", pol_workspace_item_json, &rc);
    if (!j) return rc;
    printf("%s\n", j);
    free(j);
    return EXIT_ALL_OK;
}

static int cmd_history(wsargs *a)
{
    int rc = EXIT_ALL_OK;
    char *j = one_item_json(a, "history", pol_workspace_history_json, &rc);
    if (!j) return rc;
    if (a->json) {
        printf("%s\n", j);
        free(j);
        return EXIT_ALL_OK;
    }
    json_t *root = json_loads(j, 0, NULL);
    free(j);
    size_t i;
    json_t *h;
    json_array_foreach(json_object_get(root, "history"), i, h)
    {
        json_t *v = json_object_get(h, "version");
        char ver[24] = "-";
        if (json_is_integer(v)) snprintf(ver, sizeof ver, "v%lld", (long long)json_integer_value(v));
        const char *detail = json_string_value(json_object_get(h, "detail"));
        printf("%s  %-13s %-4s %s%s\n", json_string_value(json_object_get(h, "time")),
               json_string_value(json_object_get(h, "action")), ver, detail ? detail : "",
               json_is_true(json_object_get(h, "undone")) ? "  (undone)" : "");
    }
    json_decref(root);
    return EXIT_ALL_OK;
}

/* ---- fix, decisions -------------------------------------------------------------------------- */

int cli_workspace_fix_wanted(int argc, char **argv)
{
    int ids = 0;
    for (int i = 0; i < argc; i++) {
        const char *s = argv[i];
        if (!strcmp(s, "-o") || !strcmp(s, "--output") || !strncmp(s, "--output=", 9)) return 0;
        if (!strcmp(s, "--recipe") || !strcmp(s, "-w") || !strcmp(s, "--workspace") ||
            !strcmp(s, "-j") || !strcmp(s, "--jobs")) {
            i++;
            continue;
        }
        if (s[0] == '-') continue;
        int64_t id;
        struct stat st;
        if (parse_id(s, &id) || stat(s, &st) == 0) return 0;
        ids++;
    }
    return ids > 0;
}

static int cmd_fix(wsargs *a)
{
    if (!a->n_pos) return usage_error("fix: which item ID?%s", "");
    char *recipe = NULL;
    if (a->recipe && !(recipe = read_text(a->recipe))) return EXIT_USAGE;
    pol_workspace *w = open_ws(a);
    if (!w) {
        free(recipe);
        return EXIT_SOME_FAILED;
    }
    pol_options opt;
    pol_options_default(&opt);
    opt.threads = a->jobs;
    opt.lenient = a->lenient;
    int failed = 0, code = EXIT_ALL_OK;
    for (int i = 0; i < a->n_pos; i++) {
        int64_t id;
        if (parse_id(a->pos[i], &id)) {
            code = usage_error("fix: '%s' is not an item ID", a->pos[i]);
            break;
        }
        pol_err err;
        pol_status s = pol_workspace_fix(w, id, recipe, &opt, NULL, NULL, &err);
        if (s) {
            fprintf(stderr, "polish: error: %s\n", err.msg);
            failed++;
            if (s == POL_ERR_RECIPE || s == POL_ERR_ARG || s == POL_ERR_CANCELLED) {
                code = s == POL_ERR_CANCELLED ? 130 : EXIT_USAGE;
                break;
            }
            continue;
        }
        char *out = NULL;
        if (pol_workspace_output_path(w, id, NULL, &out, &err) == POL_OK) {
            printf("%lld\t%s\n", (long long)id, out);
        } else {
            printf("%lld\t(no output)\n", (long long)id);
        }
        free(out);
    }
    pol_workspace_close(w);
    free(recipe);
    if (code) return code;
    return failed ? EXIT_SOME_FAILED : EXIT_ALL_OK;
}

static int cmd_decide(const char *cmd, wsargs *a)
{
    if (!a->n_pos) return usage_error("%s: which item ID?", cmd);
    pol_workspace *w = open_ws(a);
    if (!w) return EXIT_SOME_FAILED;
    int failed = 0;
    for (int i = 0; i < a->n_pos; i++) {
        int64_t id;
        if (parse_id(a->pos[i], &id)) {
            pol_workspace_close(w);
            return usage_error("'%s' is not an item ID", a->pos[i]);
        }
        pol_err err;
        pol_status s = !strcmp(cmd, "approve")  ? pol_workspace_approve(w, id, &err)
                       : !strcmp(cmd, "reject") ? pol_workspace_reject(w, id, &err)
                                                : pol_workspace_undo(w, id, &err);
        if (s) {
            fprintf(stderr, "polish: error: %s\n", err.msg);
            failed++;
        } else if (!a->quiet) {
            char *j = pol_workspace_item_json(w, id, &err);
            json_t *o = j ? json_loads(j, 0, NULL) : NULL;
            fprintf(stderr, "polish: item %lld: %s\n", (long long)id,
                    o ? json_string_value(json_object_get(o, "state")) : "?");
            json_decref(o);
            free(j);
        }
    }
    pol_workspace_close(w);
    return failed ? EXIT_SOME_FAILED : EXIT_ALL_OK;
}

/* ---- export, watch --------------------------------------------------------------------------- */

static int cmd_export(wsargs *a)
{
    if (!a->output) return usage_error("export: -o DIR is needed%s", "");
    if (a->n_pos) return usage_error("export: unexpected %s", a->pos[0]);
    pol_workspace *w = open_ws(a);
    if (!w) return EXIT_SOME_FAILED;
    pol_err err;
    pol_status s = pol_workspace_export(w, a->output, a->approved, &err);
    pol_workspace_close(w);
    if (s) {
        fprintf(stderr, "polish: error: %s\n", err.msg);
        return status_exit(s);
    }
    if (!a->quiet) fprintf(stderr, "polish: exported to %s\n", a->output);
    return EXIT_ALL_OK;
}

static void on_watch(pol_watch_event ev, const char *path, int64_t item, const char *message,
                     void *user)
{
    const wsargs *a = user;
    if (ev == POL_WATCH_FAILED)
        fprintf(stderr, "polish: error: %s: %s\n", path, message ? message : "failed");
    else if (!a->quiet)
        fprintf(stderr, "polish: %s: item %lld %s\n", path, (long long)item,
                ev == POL_WATCH_DONE ? "delivered" : "delivered before");
    fflush(stderr);
}

static int cmd_watch(wsargs *a)
{
    if (a->n_pos != 1) return usage_error("watch: one inbox folder%s", "");
    if (!a->output) return usage_error("watch: -o OUT is needed%s", "");
    char *recipe = NULL;
    if (a->recipe && !(recipe = read_text(a->recipe))) return EXIT_USAGE;
    /* the workspace: -w, POLISH_WORKSPACE, this folder's; otherwise OUT becomes one */
    pol_err err;
    char *found = NULL;
    const char *dir = a->workspace ? a->workspace : getenv("POLISH_WORKSPACE");
    if ((!dir || !*dir) && pol_workspace_find(".", &found, &err) == POL_OK) dir = found;
    if (!dir || !*dir) {
        pol_status s = pol_workspace_init(a->output, &err);
        if (s && s != POL_ERR_EXISTS) {
            fprintf(stderr, "polish: %s\n", err.msg);
            free(recipe);
            return status_exit(s);
        }
        dir = a->output;
    }
    pol_workspace *w = NULL;
    if (pol_workspace_open(dir, &w, &err)) {
        fprintf(stderr, "polish: %s\n", err.msg);
        free(found);
        free(recipe);
        return EXIT_SOME_FAILED;
    }
    if (!a->quiet)
        fprintf(stderr, "polish: watching %s (catalog in %s/.polish); Ctrl-C stops\n", a->pos[0],
                pol_workspace_dir(w));
    pol_options opt;
    pol_options_default(&opt);
    opt.threads = a->jobs;
    opt.lenient = a->lenient;
    pol_watch_spec spec = {.inbox = a->pos[0],
                           .recipe_text = recipe,
                           .outdir = a->output,
                           .interval = a->interval,
                           .settle = a->settle,
                           .once = a->once,
                           .options = &opt,
                           .on_event = on_watch,
                           .user = a};
    pol_status s = pol_workspace_watch(w, &spec, &err);
    pol_workspace_close(w);
    free(found);
    free(recipe);
    if (s == POL_ERR_CANCELLED) return EXIT_ALL_OK; /* how a watch is stopped */
    if (s) {
        fprintf(stderr, "polish: %s\n", err.msg);
        return status_exit(s);
    }
    return EXIT_ALL_OK;
}

/* ---- the knowledge base, side files, the cache ------------------------------------------------ */

static int cmd_kb(wsargs *a)
{
    const char *sub = a->n_pos ? a->pos[0] : "ls";
    if (strcmp(sub, "add") && strcmp(sub, "ls") && strcmp(sub, "rm"))
        return usage_error("kb: add DOC..., ls or rm NAME (not '%s')", sub);
    if (strcmp(sub, "ls") && a->n_pos < 2) return usage_error("kb %s: which document?", sub);
    pol_workspace *w = open_ws(a);
    if (!w) return EXIT_SOME_FAILED;
    pol_err err;
    int failed = 0;
    for (int i = 1; strcmp(sub, "ls") && i < a->n_pos; i++) {
        pol_status s = !strcmp(sub, "add") ? pol_workspace_kb_add(w, a->pos[i], NULL, &err)
                                           : pol_workspace_kb_remove(w, a->pos[i], &err);
        if (s) {
            fprintf(stderr, "polish: error: %s: %s\n", a->pos[i], err.msg);
            failed++;
        }
    }
    char *j = pol_workspace_kb_json(w, &err);
    pol_workspace_close(w);
    if (!j) {
        fprintf(stderr, "polish: %s\n", err.msg);
        return EXIT_SOME_FAILED;
    }
    if (a->json || !strcmp(sub, "ls")) {
        json_t *doc = json_loads(j, 0, NULL);
        json_t *docs = json_object_get(doc, "documents");
        if (a->json) {
            fputs(j, stdout);
            putchar('\n');
        } else {
            size_t i;
            json_t *d;
            json_array_foreach(docs, i, d)
            printf("%s\t%lld bytes\n", json_string_value(json_object_get(d, "name")),
                   (long long)json_integer_value(json_object_get(d, "size")));
            if (!json_array_size(docs)) fputs("(the knowledge base holds no document)\n", stderr);
        }
        json_decref(doc);
    }
    free(j);
    return failed ? EXIT_SOME_FAILED : EXIT_ALL_OK;
}

static int cmd_attach(wsargs *a)
{
    if (!a->n_pos) return usage_error("attach: which file?%s", "");
    pol_workspace *w = open_ws(a);
    if (!w) return EXIT_SOME_FAILED;
    int failed = 0;
    for (int i = 0; i < a->n_pos; i++) {
        pol_err err;
        char ref[72];
        if (pol_workspace_attach(w, a->pos[i], NULL, ref, &err)) {
            fprintf(stderr, "polish: error: %s\n", err.msg);
            failed++;
        } else {
            printf("%s\t%s\n", ref, a->pos[i]);
        }
    }
    pol_workspace_close(w);
    return failed ? EXIT_SOME_FAILED : EXIT_ALL_OK;
}

/* "500M", "2G", "0" → bytes; -1 when not a size. */
static long long parse_size(const char *s)
{
    char *end;
    double v = strtod(s, &end);
    if (end == s || v < 0) return -1;
    double m = 1;
    if (*end == 'K' || *end == 'k') m = 1024.0, end++;
    else if (*end == 'M' || *end == 'm') m = 1048576.0, end++;
    else if (*end == 'G' || *end == 'g') m = 1073741824.0, end++;
    if (*end == 'B' || *end == 'b') end++;
    if (*end || v * m > 9e18) return -1;
    return (long long)(v * m);
}

static int cmd_gc(wsargs *a)
{
    if (a->n_pos) return usage_error("gc: unexpected %s", a->pos[0]);
    long long max = a->max_size ? parse_size(a->max_size) : 0;
    if (max < 0) return usage_error("gc: --max-size %s: not a size (500M, 2G)", a->max_size);
    pol_workspace *w = open_ws(a);
    if (!w) return EXIT_SOME_FAILED;
    pol_err err;
    pol_workspace_gc_result r;
    pol_status s = pol_workspace_gc(w, (uint64_t)max, &r, &err);
    pol_workspace_close(w);
    if (s) {
        fprintf(stderr, "polish: error: %s\n", err.msg);
        return status_exit(s);
    }
    if (!a->quiet)
        fprintf(stderr,
                "polish: removed %zu render%s (%.1f MB); kept %zu (%.1f MB), %zu of them used by "
                "a current or approved version\n",
                r.removed, r.removed == 1 ? "" : "s", (double)r.removed_bytes / 1e6, r.kept,
                (double)r.kept_bytes / 1e6, r.pinned);
    return EXIT_ALL_OK;
}

int cli_workspace(const char *cmd, int argc, char **argv)
{
    static const char *const cmds[] = {"init",    "add",    "ls",    "show",   "fix",
                                       "approve", "reject", "undo",  "history", "export",
                                       "watch",   "kb",     "attach", "gc"};
    int known = 0;
    for (size_t i = 0; i < sizeof cmds / sizeof *cmds; i++) known |= !strcmp(cmd, cmds[i]);
    if (!known) return -1;
    for (int i = 0; i < argc; i++)
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            fputs(cli_workspace_usage, stdout);
            return EXIT_ALL_OK;
        }
    wsargs a;
    if (parse(cmd, argc, argv, &a) != 0) {
        free(a.pos);
        return EXIT_USAGE;
    }
    int code;
    if (!strcmp(cmd, "init"))
        code = cmd_init(&a);
    else if (!strcmp(cmd, "add"))
        code = cmd_add(&a);
    else if (!strcmp(cmd, "ls"))
        code = cmd_ls(&a);
    else if (!strcmp(cmd, "show"))
        code = cmd_show(&a);
    else if (!strcmp(cmd, "fix"))
        code = cmd_fix(&a);
    else if (!strcmp(cmd, "history"))
        code = cmd_history(&a);
    else if (!strcmp(cmd, "export"))
        code = cmd_export(&a);
    else if (!strcmp(cmd, "watch"))
        code = cmd_watch(&a);
    else if (!strcmp(cmd, "kb"))
        code = cmd_kb(&a);
    else if (!strcmp(cmd, "attach"))
        code = cmd_attach(&a);
    else if (!strcmp(cmd, "gc"))
        code = cmd_gc(&a);
    else
        code = cmd_decide(cmd, &a);
    free(a.pos);
    return code;
}
