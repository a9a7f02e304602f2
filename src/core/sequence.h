/* polish — sequences of numbered frames (internal to the core: inputs.c, batch.c). What ops use
 * (pol__sequence, pol__seq_state, pol__seq_keep) is declared in internal.h. */
#ifndef POLISH_CORE_SEQUENCE_H
#define POLISH_CORE_SEQUENCE_H

#include "core/internal.h"

/* The files a frame pattern names ("shots/a.####.exr", "a.%04d.exr"): every file of its folder
 * whose name has the pattern's prefix and suffix with a frame number of the padding's width (or
 * wider, without a leading zero) between them, in frame order. *paths (malloc'ed, each malloc'ed)
 * and *n; POL_ERR_NOT_FOUND when none matches. */
pol_status pol__frame_expand(const char *pattern, char ***paths, size_t *n, pol_err *err);

/* The pattern with its frame number filled in ("out/a.####.png", 7 -> "out/a.0007.png");
 * malloc'ed, NULL when out of memory. */
char *pol__frame_path(const char *pattern, long long frame);

/* The frame number of an output-relative name: the last run of digits in its base name. 1 with
 * *frame, *key (the name with the number taken out, what frames of one sequence share) and *name
 * (the number as '#'s: "a.####.exr"), each malloc'ed when asked for; 0 when the name has no
 * number; -1 when out of memory. */
int pol__frame_number(const char *rel, long long *frame, char **key, char **name);

/* Frees every state kept in the store (the sequence ended, or a frame failed). */
void pol__seq_store_clear(pol__seq_store *s);

#endif
