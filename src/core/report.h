/* polish — report internals used by the batch runner (internal). */
#ifndef POLISH_CORE_REPORT_H
#define POLISH_CORE_REPORT_H

#include <pthread.h>
#include "core/internal.h"

typedef struct pol__thumbs {
    unsigned char *before, *after; /* JPEG bytes, or NULL */
    size_t before_len, after_len;
} pol__thumbs;

/* Version of the report stream's line schema (docs/report.md). */
#define POL_REPORT_SCHEMA 1

struct pol_report {
    pol__jv *root;       /* {polish, command, started, summary, items: [...]} */
    pol__jv *items;      /* root.items */
    pol__thumbs *thumbs; /* parallel to items when want_thumbs */
    size_t n_thumbs;
    int want_thumbs;
    /* The stream (report_stream.c): one JSON line per finished item, thumbnails beside it. */
    pthread_mutex_t mu;
    FILE *stream;
    char *dir;       /* folder of the stream file; thumbnail paths are relative to it */
    char *thumb_dir; /* "<stem>.thumbs", relative to dir */
    struct pol__gate *gate; /* the batch's write gate, kept for the report's own write */
};

/* Appends an item node (ownership passes) with optional thumbnails (ownership passes). */
void pol__report_add_item(pol_report *r, pol__jv *item, pol__thumbs *thumbs);
void pol__report_set_summary(pol_report *r, size_t total, size_t ok, size_t failed, double seconds);
/* Marks the batch as cancelled, with how many items did not finish. */
void pol__report_set_cancelled(pol_report *r, size_t not_finished);
/* A finished item (input order `index`): written to the stream at once, its thumbnails to files
 * beside it (their bytes freed, their paths put in the item). Thread-safe. No-op without a
 * stream. */
void pol__report_item_done(pol_report *r, size_t index, pol__jv *item, pol__thumbs *thumbs);
/* Writes the summary line and closes the stream. */
void pol__report_stream_end(pol_report *r);
/* A thumbnail of item `idx` as JPEG bytes: from memory, or read back from the file the stream
 * wrote. *jpeg is malloc'ed when read (*owned = 1). */
int pol__report_thumb(const pol_report *r, size_t idx, const pol__jv *item, int after,
                      const unsigned char **jpeg, size_t *len, unsigned char **owned);
/* The report as stream lines (for .jsonl). malloc'ed, or NULL. */
char *pol__report_lines(const pol_report *r);
/* Entries the batch left out ({path, reason}; ownership passes) and its write gate (ownership
 * passes; the report refuses to land on an input or an output of the batch). */
void pol__report_set_skipped(pol_report *r, pol__jv *skipped);
void pol__report_set_gate(pol_report *r, struct pol__gate *g);
/* HTML page for people (report_html.c). Returns malloc'ed text or NULL. */
char *pol__report_html(const pol_report *r);

#endif
