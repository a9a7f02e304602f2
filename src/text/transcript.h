/* polish — chat transcripts: JSON message lists, CSV exports, "User:/Bot:" text; leads. */
#ifndef POLISH_TEXT_TRANSCRIPT_H
#define POLISH_TEXT_TRANSCRIPT_H

#include "core/sbuf.h"
#include "text/text.h"

typedef struct pol__msg {
    int visitor; /* 1: the visitor (user, customer); 0: the bot or an agent */
    char *text;
    char *time; /* as written, or NULL */
} pol__msg;

typedef struct pol__convo {
    char *id;
    pol__msg *m;
    size_t n, cap;
} pol__convo;

typedef struct pol__transcripts {
    pol__convo *c;
    size_t n, cap;
    size_t empty; /* conversations without messages, left out */
} pol__transcripts;

/* Reads the conversations of a chat export (JSON, CSV or text). Fails with a message naming the
 * problem (malformed JSON with line and column, no messages). */
pol_status pol__transcripts_parse(const pol__text *t, pol__transcripts *out, pol_err *err);
void pol__transcripts_free(pol__transcripts *t);

/* One conversation's lead: fields as found and standardised with the records domain's code. */
typedef struct pol__lead {
    char name[128], email[256], phone[32], company[128], need[512], timeline[128];
    int email_ok, phone_ok; /* pass validation */
    char email_raw[256], phone_raw[64];
} pol__lead;

void pol__lead_extract(const pol__convo *c, const char *region, pol__lead *out);

/* A CSV field reader shared by the CSV readers: reads one field at *p, returns 1 when the record
 * goes on (a delimiter followed). */
int pol__csv_field(const char **p, const char *end, pol__sbuf *f, char delim);

#endif
