/* polish serve — the page's files, embedded in the binary (generated at build time by embed.c
 * from src/serve/web/). */
#ifndef POLISH_SERVE_ASSETS_H
#define POLISH_SERVE_ASSETS_H

#include <stddef.h>

typedef struct pol_serve_asset {
    const char *name; /* "index.html" */
    const char *mime;
    const unsigned char *data;
    size_t size;
} pol_serve_asset;

/* The embedded file called `name`, or NULL. */
const pol_serve_asset *pol_serve_asset_find(const char *name);

#endif
