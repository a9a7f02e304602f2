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

/* ---- after the chat (followup.c) ---------------------------------------------------------- */

/* Routing rules: a tag when a visitor message holds one of its phrases (whole words, any case). */
typedef struct pol__tag_rules {
    char **tag;
    char ***phrases;
    size_t *n_phrases;
    size_t n;
} pol__tag_rules;
/* The built-in rules (sales, booking, billing, support, complaint, urgent). 0 ok, -1 OOM. */
int pol__tag_rules_builtin(pol__tag_rules *r);
/* A rules file: a YAML mapping of tag to a list of phrases. Fails naming the file and line. */
pol_status pol__tag_rules_load(pol_run *run, const char *path, pol__tag_rules *r);
void pol__tag_rules_free(pol__tag_rules *r);
/* The conversation's tags, ';'-joined in rule order, into out. */
void pol__convo_tags(const pol__convo *c, const pol__tag_rules *r, char *out, size_t cap);

const char *pol__convo_outcome(const pol__convo *c); /* booked, handed over, unanswered, answered */
int pol__convo_priority(const pol__convo *c, const pol__lead *L); /* 0 low, 1 medium, 2 high */
const char *pol__priority_name(int p);
void pol__convo_next_action(const pol__convo *c, const pol__lead *L, char *out, size_t cap);
/* One conversation's summary: intent, facts, contact, outcome, next action, priority, tags
 * (';'-joined, NULL: no "tags" key). */
pol__jv *pol__convo_summary(const pol__convo *c, const pol__lead *L, const char *tags);

/* Every conversation's lead and tags, extracted once. */
typedef struct pol__followup {
    const pol__transcripts *tr;
    pol__lead *lead;     /* [tr->n] */
    char (*tags)[256];   /* [tr->n] */
    const char **source; /* [tr->n] the export each conversation came from (several exports
                          * joined), or NULL: one export */
} pol__followup;
pol_status pol__followup_extract(pol_run *run, const pol__transcripts *tr, const char *region,
                                 const pol__tag_rules *rules, pol__followup *out);
void pol__followup_free(pol__followup *f);

struct pol__records;
/* The lead list (one row per conversation with an e-mail or phone, all of them with `all`) as a
 * records item written as `format` ("csv" or "xlsx"). */
pol_status pol__leads_records(pol_run *run, const pol__followup *f, int all, const char *format,
                              struct pol__records **out, size_t *leads, size_t *verified,
                              size_t *no_contact);
/* One row per contact across conversations: conversations sharing a valid e-mail or phone are one
 * contact; every distinct name, e-mail, phone, company, need and timeline is kept. With
 * f->source, conversation ids are written "export:id" and an "exports" column lists them. */
pol_status pol__contacts_records(pol_run *run, const pol__followup *f, const char *format,
                                 struct pol__records **out, size_t *contacts);
/* An e-mail (RFC 5322, text/plain UTF-8) summarising the conversations, high priority first. */
char *pol__summary_eml(const pol__followup *f, const char *from, const char *to,
                       const char *source, size_t *len);
/* The routing rules of an op's `rules` parameter (the built-in ones when not given). */
pol_status pol__text_rules(pol_run *run, const pol_args *args, pol__tag_rules *r);
/* Parses a chat export and extracts every conversation's lead and tags (the op's `rules` and
 * `region`); on success the caller frees both with pol__followup_free and pol__transcripts_free. */
pol_status pol__followup_prepare(pol_run *run, const pol__text *t, const pol_args *args,
                                 pol__transcripts *tr, pol__followup *f);
/* The summarize document: {"conversations": [...], "summary": {...}}. */
pol__jv *pol__text_summary_doc(const pol__followup *f);

/* A header value without line breaks or control characters. */
int pol__mail_header_ok(const char *v);

/* A CSV field reader shared by the CSV readers: reads one field at *p, returns 1 when the record
 * goes on (a delimiter followed). */
int pol__csv_field(const char **p, const char *end, pol__sbuf *f, char delim);

#endif
