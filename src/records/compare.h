/* polish — string comparators for record matching: Jaro-Winkler, bounded edit distance, phonetic
 * codes, token-set similarity, nicknames. Pure, thread-safe, no allocation. */
#ifndef POLISH_RECORDS_COMPARE_H
#define POLISH_RECORDS_COMPARE_H

#include <stddef.h>

/* Jaro-Winkler similarity 0..1 of two byte strings (names are folded to ASCII lower case before
 * they get here, so bytes are characters). Strings longer than 64 bytes are compared on their
 * first 64. */
double pol__jaro_winkler(const char *a, size_t na, const char *b, size_t nb);

/* Damerau (optimal string alignment) distance when it is <= max, else max + 1. O(n * max). */
int pol__edit_distance_bounded(const char *a, size_t na, const char *b, size_t nb, int max);

/* pol__edit_distance_bounded(a, na, b, nb, 1) <= 1, in one pass: equal, or one character
 * substituted, inserted or deleted, or two neighbours swapped. */
int pol__within_one_edit(const char *a, size_t na, const char *b, size_t nb);

/* American Soundex ("robert" -> "R163"); out[5]. Empty input gives "". */
void pol__soundex(const char *s, size_t n, char out[5]);

/* NYSIIS code, at most 8 characters; out[9]. */
void pol__nysiis(const char *s, size_t n, char out[9]);

/* Token-set similarity 0..1: |common tokens| / |smaller token set|, tokens compared with
 * Jaro-Winkler >= 0.92 so "congress ave" ~ "congress avenue" after standardisation. */
double pol__token_set_sim(const char *a, size_t na, const char *b, size_t nb);

/* Canonical given name of a nickname ("bob" -> "robert", "liz" -> "elizabeth"), or NULL when
 * the name has no entry. Input lower case ASCII. */
const char *pol__nickname_canonical(const char *name, size_t n);

/* Lower-cases and folds a UTF-8 name to ASCII letters/digits/spaces (é -> e, ß -> ss); drops
 * punctuation except inner spaces. Returns the length written (out[cap], NUL-terminated). */
size_t pol__fold_ascii(const char *in, size_t n, char *out, size_t cap);

#endif
