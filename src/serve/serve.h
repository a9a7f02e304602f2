/* polish serve — the web page over a workspace (issue 16). A token-protected local HTTP server
 * (libmicrohttpd) with a JSON API (docs/API.md) and a page embedded in the binary. Uses the public
 * API only (include/polish); the command line calls it from src/cli/serve.c. */
#ifndef POLISH_SERVE_H
#define POLISH_SERVE_H

#include <stdint.h>
#include "polish/status.h"

typedef struct pol_serve_opts {
    const char *dir;        /* the workspace folder */
    const char *host;       /* address to bind: "127.0.0.1" (default), "::1", "0.0.0.0" ... */
    unsigned port;          /* 0: any free port (the URL names it) */
    uint64_t upload_limit;  /* largest upload body in bytes; 0 = the default (256 MiB) */
    unsigned workers;       /* fix worker threads (one workspace handle each); 0 = 2 */
    unsigned timeout;       /* seconds a connection may stay idle; 0 = 30 */
    unsigned max_conns;     /* connections at once; 0 = 128 */
    uint64_t cache_limit;   /* after each fix, renders beyond this many bytes are evicted
                               (pol_workspace_gc); 0 = no limit */
} pol_serve_opts;

/* Called once the server listens, with its URL (token included). */
typedef void (*pol_serve_ready_fn)(const char *url, void *user);

/* Serves until pol_serve_stop(); returns POL_OK after a clean stop (running fixes cancelled,
 * workers joined, uploads' temporaries removed) or an error when it could not start. */
pol_status pol_serve_run(const pol_serve_opts *o, pol_serve_ready_fn ready, void *user,
                         pol_err *err);

/* Asks a running server to stop. Async-signal-safe (a SIGINT handler may call it). */
void pol_serve_stop(void);

#endif
