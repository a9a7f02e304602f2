/* polish serve — a growing string and JSON string escaping (internal to src/serve). */
#ifndef POLISH_SERVE_SBUF_H
#define POLISH_SERVE_SBUF_H

#include <stddef.h>

typedef struct sv_buf {
    char *s;
    size_t len, cap;
    int oom; /* an allocation failed: the text is incomplete */
} sv_buf;

void sv_put(sv_buf *b, const char *s);
void sv_putn(sv_buf *b, const char *s, size_t n);
void sv_fmt(sv_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Appends `s` as a JSON string (quotes included); invalid UTF-8 bytes become U+FFFD. */
void sv_json_str(sv_buf *b, const char *s);
/* Takes the text (never NULL unless out of memory); the buffer is empty afterwards. */
char *sv_take(sv_buf *b);

#endif
