/* polish — report internals used by the batch runner (internal). */
#ifndef POLISH_CORE_REPORT_H
#define POLISH_CORE_REPORT_H

#include <pthread.h>
#include "core/internal.h"

typedef struct pol_thumbs {
    unsigned char *before, *after; /* JPEG bytes, or NULL */
    size_t before_len, after_len;
} pol_thumbs;

struct pol_report {
    pol_jv *root;       /* {polish, command, started, summary, items: [...]} */
    pol_jv *items;      /* root.items */
    pol_thumbs *thumbs; /* parallel to items when want_thumbs */
    size_t n_thumbs;
    int want_thumbs;
};

/* Appends an item node (ownership passes) with optional thumbnails (ownership passes). */
void pol__report_add_item(pol_report *r, pol_jv *item, pol_thumbs *thumbs);
void pol__report_set_summary(pol_report *r, size_t total, size_t ok, size_t failed, double seconds);
/* Marks the batch as cancelled, with how many items did not finish. */
void pol__report_set_cancelled(pol_report *r, size_t not_finished);
/* HTML page for people (report_html.c). Returns malloc'ed text or NULL. */
char *pol__report_html(const pol_report *r);

#endif
