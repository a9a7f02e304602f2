/* polish — a growable string buffer for building text (JSON, HTML, plans, reports). */
#ifndef POLISH_CORE_SBUF_H
#define POLISH_CORE_SBUF_H

#include <stddef.h>

#if defined(__GNUC__)
#define POL_SBUF_PRINTF __attribute__((format(printf, 2, 3)))
#else
#define POL_SBUF_PRINTF
#endif

/* Zero-initialise ({0}). After an allocation failure every append is a no-op and `oom` is set. */
typedef struct pol__sbuf {
    char *p; /* NUL-terminated once anything was appended */
    size_t n, cap;
    int oom;
} pol__sbuf;

void pol__sbuf_put(pol__sbuf *b, const char *s, size_t n);
void pol__sbuf_puts(pol__sbuf *b, const char *s);
void pol__sbuf_printf(pol__sbuf *b, const char *fmt, ...) POL_SBUF_PRINTF;
/* The text (malloc'ed, "" when empty), or NULL after an allocation failure; the buffer is reset. */
char *pol__sbuf_take(pol__sbuf *b);

#endif
