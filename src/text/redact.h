/* polish — PII found in text: validated structured identifiers and names from context. */
#ifndef POLISH_TEXT_REDACT_H
#define POLISH_TEXT_REDACT_H

#include <stddef.h>

typedef enum pol__pii {
    POL_PII_EMAIL,
    POL_PII_PHONE,
    POL_PII_CARD,
    POL_PII_IBAN,
    POL_PII_SSN,
    POL_PII_IP,
    POL_PII_ADDRESS,
    POL_PII_DOB,
    POL_PII_NAME,
    POL_PII_COUNT
} pol__pii;

const char *pol__pii_name(pol__pii t); /* "EMAIL", "PHONE" ... */
/* Parses "email,phone,card" (case-insensitive; "all"); returns a bit mask or -1 naming the bad one
 * in *bad. */
long pol__pii_mask(const char *list, const char **bad);

typedef struct pol__pii_span {
    size_t start, end;
    pol__pii type;
} pol__pii_span;

typedef struct pol__pii_found {
    pol__pii_span *v;
    size_t n, cap;
    int oom;
} pol__pii_found;

/* Finds PII of the types in `mask` in text[0..n). `names` (NULL or a '\n'-separated list)
 * adds names to find wherever they are. `region` is the phone numbers' default country. */
void pol__pii_find(const char *text, size_t n, long mask, const char *names, const char *region,
                   pol__pii_found *out);
void pol__pii_free(pol__pii_found *f);

typedef enum pol__redact_mode { POL_REDACT_MASK, POL_REDACT_LABEL, POL_REDACT_HASH } pol__redact_mode;

/* The text with every found span replaced: MASK keeps the shape ("***@*****.com" -> letters and
 * digits become '*'), LABEL writes "[EMAIL]", HASH writes "[EMAIL:1a2b3c4d]" (stable for the same
 * value and salt). NULL on OOM. */
char *pol__redact_apply(const char *text, size_t n, const pol__pii_found *f, pol__redact_mode mode,
                        const char *salt, size_t *out_len);

#endif
