/* polish — text domain helpers: words, sentences and typed values. */
#ifndef POLISH_TEXT_TEXTUTIL_H
#define POLISH_TEXT_TEXTUTIL_H

#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include "core/sbuf.h"

static inline const char *pol__memmem(const char *h, size_t hn, const char *n, size_t nn)
{
    if (!nn) return h;
    for (size_t i = 0; i + nn <= hn; i++)
        if (h[i] == n[0] && memcmp(h + i, n, nn) == 0) return h + i;
    return NULL;
}

/* ---- spans ---------------------------------------------------------------------------------- */

typedef struct pol__span {
    size_t start, end; /* byte offsets into the text */
} pol__span;

/* Sentences (and list lines) of text[0..n): trimmed spans, in order. Returns the count; *out is
 * malloc'ed (NULL on OOM with -1 returned). */
long pol__sentences(const char *text, size_t n, pol__span **out);

/* ---- words ---------------------------------------------------------------------------------- */

#define POL_WORD_MAX 48
typedef struct pol__word {
    size_t start, end;
    char low[POL_WORD_MAX];  /* lower-cased (ASCII), as written otherwise */
    char stem[POL_WORD_MAX]; /* normalised for matching (synonyms folded, light stemming) */
    unsigned char cap;      /* starts with an upper-case letter */
    unsigned char stop;     /* a function word */
    unsigned char digit;    /* starts with a digit */
} pol__word;

/* Words of text[0..n). Returns the count; *out malloc'ed. -1 on OOM. */
long pol__words(const char *text, size_t n, pol__word **out);
int pol__is_negator(const char *low);
/* Words of the same meaning as `low` ("phone": call, telephone, number ...), for the search. */
size_t pol__synonyms(const char *low, const char **out, size_t max);

/* ---- typed values --------------------------------------------------------------------------- */

typedef enum pol__vtype {
    POL_V_MONEY,
    POL_V_PERCENT,
    POL_V_TIME,
    POL_V_DATE,
    POL_V_DURATION,
    POL_V_PHONE,
    POL_V_EMAIL,
    POL_V_URL,
    POL_V_NUMBER,
    POL_V_WEEKDAY,
    POL_V_ENTITY,
    POL_V_COUNT
} pol__vtype;

const char *pol__vtype_name(pol__vtype t);

typedef struct pol__val {
    pol__vtype type;
    size_t start, end; /* span in the text */
    double num;        /* amount, minutes, yyyymmdd/mmdd, day index ... */
    int has_year;      /* dates */
    char str[96];      /* canonical text: currency code, digits, address, name ... */
    /* how it was written, for writing a replacement the same way */
    unsigned char ampm, space, decimals, symbol_after, dots, colon, free;
    unsigned char label; /* a number naming a part of a document ("section 3.6"): compared,
                          * never replaced (documents cite many) */
} pol__val;

typedef struct pol__vals {
    pol__val *v;
    size_t n, cap;
    int oom;
} pol__vals;

/* Finds the typed values in text[0..n) (`sentence_start`: offsets where sentences begin, so a
 * capital there is not taken as a name). Values do not overlap. */
void pol__values(const char *text, size_t n, pol__vals *out);
void pol__vals_free(pol__vals *v);
/* Same value (same type and meaning)? */
int pol__val_equal(const pol__val *a, const pol__val *b);
/* Writes `v` (from the evidence) in the style of `like` (from the answer) into out; returns the
 * length. */
size_t pol__val_format(const pol__val *v, const pol__val *like, const char *vtext, char *out,
                       size_t cap);

#endif
