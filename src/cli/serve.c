/* polish serve — the command: serves the workspace of the current folder in the browser until
 * SIGINT/SIGTERM. Public API only (include/polish and the serve library's serve.h). */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "polish/polish.h"
#include "polish/workspace.h"
#include "serve/serve.h"
#include "cli/serve.h"

static void on_stop(int sig)
{
    (void)sig;
    pol_serve_stop();
}

static void print_url(const char *url, void *user)
{
    (void)user;
    printf("polish: serving this workspace at %s\n", url);
    printf("polish: open that address in a browser; Ctrl-C stops the server\n");
    fflush(stdout);
}

static int usage_err(const char *fmt, const char *arg)
{
    fputs("polish: serve: ", stderr);
    fprintf(stderr, fmt, arg);
    fputs("\nTry 'polish serve --help'.\n", stderr);
    return 2;
}

static int count(const char *flag, const char *v, unsigned long lo, unsigned long hi,
                 unsigned *out)
{
    char *end;
    if (!v) return usage_err("%s needs a value", flag);
    unsigned long n = strtoul(v, &end, 10);
    if (!*v || *end || n < lo || n > hi || v[0] == '-') {
        fprintf(stderr, "polish: serve: %s: '%s' is not a number from %lu to %lu\n", flag, v, lo,
                hi);
        return 2;
    }
    *out = (unsigned)n;
    return 0;
}

int pol_cli_serve(int argc, char **argv)
{
    pol_serve_opts o = {.host = "127.0.0.1"};
    int have_port = 0;
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        int rc = 0;
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            printf("usage: polish serve --port P [--host 127.0.0.1] [--upload-limit BYTES]\n"
                   "                    [--workers N] [--timeout SECONDS] [--max-connections N]\n"
                   "                    [--cache-limit BYTES]\n"
                   "\n"
                   "Serves the workspace in the current folder (see 'polish init .') as a web\n"
                   "page and a JSON API (docs/API.md), in the foreground, until Ctrl-C. The URL it\n"
                   "prints carries a new random token; requests without it are refused.\n"
                   "  --port P            port to listen on (0: any free port)\n"
                   "  --host ADDR         address to bind (default 127.0.0.1, this machine only)\n"
                   "  --upload-limit N    largest upload (default 256M; K, M, G suffixes)\n"
                   "  --workers N         fixes rendered at once (default 2)\n"
                   "  --timeout S         seconds an idle connection is kept (default 30)\n"
                   "  --max-connections N connections at once (default 128)\n"
                   "  --cache-limit N     after each fix, evict old renders beyond N bytes (K, M,\n"
                   "                      G; renders of current and approved versions stay)\n");
            return 0;
        } else if (!strcmp(a, "--port")) {
            rc = count(a, v, 0, 65535, &o.port);
            have_port = 1;
            i++;
        } else if (!strcmp(a, "--host")) {
            if (!v || !*v) return usage_err("%s needs an address", a);
            o.host = v;
            i++;
        } else if (!strcmp(a, "--upload-limit")) {
            if (!v) return usage_err("%s needs a size", a);
            pol_limits l;
            pol_limits_default(&l);
            char spec[128];
            pol_err err;
            snprintf(spec, sizeof spec, "bytes=%s", v);
            if (strlen(v) > 64 || pol_limits_set(&l, spec, &err) || !pol_limits_get(&l, "bytes"))
                return usage_err("--upload-limit: '%s' is not a size (bytes, or with K, M, G)", v);
            o.upload_limit = pol_limits_get(&l, "bytes");
            i++;
        } else if (!strcmp(a, "--cache-limit")) {
            if (!v) return usage_err("%s needs a size", a);
            pol_limits l;
            pol_limits_default(&l);
            char spec[128];
            pol_err err;
            snprintf(spec, sizeof spec, "bytes=%s", v);
            if (strlen(v) > 64 || pol_limits_set(&l, spec, &err) || !pol_limits_get(&l, "bytes"))
                return usage_err("--cache-limit: '%s' is not a size (bytes, or with K, M, G)", v);
            o.cache_limit = pol_limits_get(&l, "bytes");
            i++;
        } else if (!strcmp(a, "--workers")) {
            rc = count(a, v, 1, 64, &o.workers);
            i++;
        } else if (!strcmp(a, "--timeout")) {
            rc = count(a, v, 1, 3600, &o.timeout);
            i++;
        } else if (!strcmp(a, "--max-connections")) {
            rc = count(a, v, 4, 4096, &o.max_conns);
            i++;
        } else {
            return usage_err("unknown option %s", a);
        }
        if (rc) return rc;
    }
    if (!have_port) return usage_err("%s", "which port? (--port P; 0 for any free one)");
    pol_err err;
    pol_workspace *w = NULL;
    if (pol_workspace_open(".", &w, &err)) {
        if (err.code == POL_ERR_NOT_FOUND)
            fprintf(stderr, "polish: serve: this folder is not a workspace; make one with "
                            "'polish init .' (and add files with 'polish add FILES' or on the "
                            "page)\n");
        else
            fprintf(stderr, "polish: serve: %s\n", err.msg);
        return 3;
    }
    pol_workspace_close(w);
    o.dir = ".";
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_stop;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
    pol_status st = pol_serve_run(&o, print_url, NULL, &err);
    if (st) {
        fprintf(stderr, "polish: serve: %s\n", err.msg);
        return st == POL_ERR_ARG ? 2 : 3;
    }
    fprintf(stderr, "polish: server stopped\n");
    return 0;
}
