/* polish — the text domain: answers, documents and chat transcripts (UTF-8), and the knowledge
 * base they are checked against. */
#ifndef POLISH_TEXT_TEXT_H
#define POLISH_TEXT_TEXT_H

#include <stddef.h>
#include "core/internal.h"

/* What a text item is, from its content (and name). */
typedef enum pol__text_kind {
    POL_TEXT_PLAIN,      /* prose: an answer, a note, plain-text document */
    POL_TEXT_MARKDOWN,   /* Markdown document */
    POL_TEXT_HTML,       /* HTML document */
    POL_TEXT_FAQ_CSV,    /* CSV with question and answer columns */
    POL_TEXT_CHAT_JSON,  /* chat export: JSON message list(s) with role/content */
    POL_TEXT_CHAT_CSV,   /* chat export: CSV with a role/speaker and a message/content column */
    POL_TEXT_CHAT_TEXT,  /* "User: ... / Bot: ..." lines */
    POL_TEXT_KB,         /* an SQLite knowledge base (only as an input port) */
} pol__text_kind;

const char *pol__text_kind_name(pol__text_kind k);

typedef struct pol__kb pol__kb;

typedef struct pol__text {
    pol__text_kind kind;
    char *buf;  /* the bytes, valid UTF-8, NUL-terminated (not counted in len); owned */
    size_t len;
    pol__kb *kb; /* POL_TEXT_KB only; owned */
    char ext[8]; /* the extension it is written with ("json", "eml"); "": the input's */
} pol__text;

static inline pol__text *pol__text_of(pol_asset *a)
{
    return (pol__text *)a->data;
}

extern const pol__domain pol__text_domain;
extern const pol_op_desc *const pol__text_ops[];

/* A new text holding a copy of buf[0..len) (NULL on OOM). */
pol__text *pol__text_new(pol__text_kind kind, const char *buf, size_t len);
void pol__text_free(void *data);
/* Replaces the bytes (copied); 0 ok, -1 OOM. */
int pol__text_set(pol__text *t, const char *buf, size_t len);

/* The first invalid UTF-8 byte's offset, or (size_t)-1 when `s` is valid UTF-8 (no overlongs,
 * no surrogates, nothing above U+10FFFF). */
size_t pol__utf8_invalid_at(const char *s, size_t n);
/* What kind of text `head` (n bytes) is; path gives the extension as a hint. -1: not text. */
int pol__text_sniff_kind(const unsigned char *head, size_t n, const char *path);

/* The text-bytes limit's default: a larger answer or document is refused before it is read. */
#define POL_TEXT_DEFAULT_MAX_BYTES (16u << 20)

/* ---- knowledge base (kb.c) ------------------------------------------------------------------ */

/* Opens an existing knowledge base read-only. Fills err on failure (names the file). */
pol_status pol__kb_open(const char *path, pol__kb **out, pol_err *err);
void pol__kb_close(pol__kb *kb);
/* Number of chunks held. */
long pol__kb_chunks(pol__kb *kb);

typedef struct pol__kb_hit {
    long id;
    double score;   /* BM25 (FTS5 rank: lower is better; stored negated, higher is better) */
    char *text;     /* owned */
    char *source;   /* owned */
    long position;  /* chunk number within its source */
} pol__kb_hit;

/* The best `k` chunks for a query of words (each word is quoted, OR-joined). Thread-safe
 * (the handle is serialised). Returns the count (>= 0) or -1 with err filled. */
int pol__kb_search(pol__kb *kb, const char *const *words, size_t n_words, int k, pol__kb_hit *hits,
                   pol_err *err);
void pol__kb_hits_free(pol__kb_hit *hits, int n);

/* A document turned into chunks for the knowledge base. */
typedef struct pol__chunk_list {
    char **text;
    size_t n, cap;
} pol__chunk_list;
void pol__chunks_free(pol__chunk_list *c);
/* Splits a document of `kind` into passages (headings kept with their paragraphs, FAQ rows as
 * "question answer", at most about `max_chars` each). 0 ok, -1 OOM. */
int pol__text_chunk(pol__text_kind kind, const char *buf, size_t len, size_t max_chars,
                    pol__chunk_list *out);

/* Adds (or replaces) the chunks of `source` in the knowledge base at `path`, in one
 * transaction in place (created when missing, beside its name then linked into place).
 * Serialised within the process; other processes wait on SQLite's lock. *added and *removed say what changed; *unchanged is set when the source's chunks were
 * already the same (nothing written). */
pol_status pol__kb_add(pol_run *run, const char *path, const char *source, const pol__chunk_list *c,
                       long *added, long *removed, int *unchanged);

#endif
