/* polish — after the chat: per conversation a summary, a lead and routing tags; per contact the
 * history across conversations; the lead list as a records table; an e-mail summary (.eml). Shared
 * by text.summarize, text.leads, text.contacts and text.followup. */
#include <stdio.h>
#include <stdlib.h>
#include <strings.h>
#include <time.h>
#include <yaml.h>
#include "records/records.h"
#include "text/textutil.h"
#include "text/transcript.h"

/* ---- routing tags ----------------------------------------------------------------------------- */

/* Built-in rules: a tag when a visitor message holds one of its phrases (whole words). */
static const char *const builtin_rules[] =
    {"sales", "price|prices|pricing|quote|buy|purchase|sell|place an order|cost|how much|discount|bulk",
     "booking", "book|booking|appointment|reservation|reserve|schedule|table for",
     "billing", "invoice|refund|charge|charged|payment|bill|receipt",
     "support", "broken|not working|doesn't work|does not work|problem|issue|error|fault|repair",
     "complaint", "complaint|complain|disappointed|unhappy|terrible|rude|worst",
     "urgent", "asap|urgent|urgently|emergency|right away|as soon as possible",
     NULL};

void pol__tag_rules_free(pol__tag_rules *r)
{
    for (size_t i = 0; i < r->n; i++) {
        free(r->tag[i]);
        for (size_t k = 0; k < r->n_phrases[i]; k++) free(r->phrases[i][k]);
        free(r->phrases[i]);
    }
    free(r->tag);
    free(r->phrases);
    free(r->n_phrases);
    memset(r, 0, sizeof *r);
}

static int rules_add_tag(pol__tag_rules *r, const char *tag)
{
    if (r->n >= 64) return -1;
    char **t = realloc(r->tag, (r->n + 1) * sizeof *t);
    if (!t) return -1;
    r->tag = t;
    char ***p = realloc(r->phrases, (r->n + 1) * sizeof *p);
    if (!p) return -1;
    r->phrases = p;
    size_t *np = realloc(r->n_phrases, (r->n + 1) * sizeof *np);
    if (!np) return -1;
    r->n_phrases = np;
    if (!(r->tag[r->n] = pol__strdup(tag))) return -1;
    r->phrases[r->n] = NULL;
    r->n_phrases[r->n] = 0;
    r->n++;
    return 0;
}

static int rules_add_phrase(pol__tag_rules *r, const char *s, size_t n)
{
    size_t i = r->n - 1;
    while (n && *s == ' ') s++, n--;
    while (n && s[n - 1] == ' ') n--;
    if (!n) return 0;
    if (r->n_phrases[i] >= 256 || n > 200) return -1;
    char **p = realloc(r->phrases[i], (r->n_phrases[i] + 1) * sizeof *p);
    if (!p) return -1;
    r->phrases[i] = p;
    if (!(p[r->n_phrases[i]] = pol__strndup(s, n))) return -1;
    r->n_phrases[i]++;
    return 0;
}

int pol__tag_rules_builtin(pol__tag_rules *r)
{
    memset(r, 0, sizeof *r);
    for (int i = 0; builtin_rules[i]; i += 2) {
        if (rules_add_tag(r, builtin_rules[i])) goto oom;
        for (const char *p = builtin_rules[i + 1]; *p;) {
            const char *bar = strchr(p, '|');
            size_t m = bar ? (size_t)(bar - p) : strlen(p);
            if (rules_add_phrase(r, p, m)) goto oom;
            p += m + (bar != NULL);
        }
    }
    return 0;
oom:
    pol__tag_rules_free(r);
    return -1;
}

/* A rules file: a YAML mapping of tag to a list of phrases ("sales: [price, quote]"). */
pol_status pol__tag_rules_load(pol_run *run, const char *path, pol__tag_rules *r)
{
    memset(r, 0, sizeof *r);
    unsigned char *data = NULL;
    size_t len = 0;
    pol_status st = pol__read_file(run, path, 1u << 20, &data, &len);
    if (st) return st;
    yaml_parser_t y;
    yaml_event_t ev;
    yaml_parser_initialize(&y);
    yaml_parser_set_input_string(&y, data, len);
    int depth = 0, in_list = 0, done = 0, bad = 0;
    char msg[160] = "";
    size_t line = 0;
    while (!done && !bad) {
        if (!yaml_parser_parse(&y, &ev)) {
            snprintf(msg, sizeof msg, "%s", y.problem ? y.problem : "not YAML");
            line = y.problem_mark.line + 1;
            bad = 1;
            break;
        }
        line = ev.start_mark.line + 1;
        switch (ev.type) {
        case YAML_STREAM_END_EVENT:
            done = 1;
            break;
        case YAML_ALIAS_EVENT:
            snprintf(msg, sizeof msg, "aliases are not allowed");
            bad = 1;
            break;
        case YAML_MAPPING_START_EVENT:
            if (depth != 0) {
                snprintf(msg, sizeof msg, "expected a list of phrases");
                bad = 1;
            }
            depth++;
            break;
        case YAML_MAPPING_END_EVENT:
            depth--;
            break;
        case YAML_SEQUENCE_START_EVENT:
            if (depth != 1 || in_list || !r->n || r->n_phrases[r->n - 1]) {
                snprintf(msg, sizeof msg, "a tag maps to one list of phrases");
                bad = 1;
            }
            in_list = 1;
            break;
        case YAML_SEQUENCE_END_EVENT:
            in_list = 0;
            break;
        case YAML_SCALAR_EVENT: {
            const char *v = (const char *)ev.data.scalar.value;
            size_t n = ev.data.scalar.length;
            if (depth != 1) {
                snprintf(msg, sizeof msg, "the file is a mapping of tag to phrases");
                bad = 1;
            } else if (in_list) {
                if (rules_add_phrase(r, v, n)) {
                    snprintf(msg, sizeof msg, "too many or too long phrases");
                    bad = 1;
                }
            } else if (!r->n || r->n_phrases[r->n - 1]) {
                if (!n || strchr(v, ',') || strchr(v, ';') || rules_add_tag(r, v)) {
                    snprintf(msg, sizeof msg, "bad tag name (no commas, at most 64 tags)");
                    bad = 1;
                }
            } else { /* "tag: phrase" */
                if (rules_add_phrase(r, v, n)) bad = 1;
            }
            break;
        }
        default:
            break;
        }
        yaml_event_delete(&ev);
    }
    yaml_parser_delete(&y);
    free(data);
    if (!bad && !r->n) {
        snprintf(msg, sizeof msg, "no tags");
        bad = 1;
    }
    if (bad) {
        pol__tag_rules_free(r);
        return pol__fail(run, POL_ERR_FORMAT, "%s: line %zu: %s (a rules file maps each tag to a "
                         "list of phrases: \"sales: [price, quote]\")", path, line, msg);
    }
    return POL_OK;
}

static int word_byte(unsigned char c)
{
    return c >= 0x80 || ((c | 32) >= 'a' && (c | 32) <= 'z') || (c >= '0' && c <= '9');
}

/* Does t hold phrase w, case-insensitive (ASCII), as whole words? */
static int has_phrase(const char *t, const char *w)
{
    size_t m = strlen(w);
    for (size_t i = 0; t[i]; i++)
        if ((i == 0 || !word_byte((unsigned char)t[i - 1])) && !strncasecmp(t + i, w, m) &&
            !word_byte((unsigned char)t[i + m]))
            return 1;
    return 0;
}

void pol__convo_tags(const pol__convo *c, const pol__tag_rules *r, char *out, size_t cap)
{
    size_t k = 0;
    out[0] = '\0';
    for (size_t i = 0; r && i < r->n; i++) {
        int hit = 0;
        for (size_t m = 0; m < c->n && !hit; m++) {
            if (!c->m[m].visitor) continue;
            for (size_t p = 0; p < r->n_phrases[i] && !hit; p++)
                hit = has_phrase(c->m[m].text, r->phrases[i][p]);
        }
        if (!hit) continue;
        int w = snprintf(out + k, cap - k, "%s%s", k ? ";" : "", r->tag[i]);
        if (w < 0 || (size_t)w >= cap - k) {
            out[k] = '\0';
            return;
        }
        k += (size_t)w;
    }
}

/* ---- summaries ------------------------------------------------------------------------------ */

static int has_word(const char *t, const char *w)
{
    size_t m = strlen(w), n = strlen(t);
    for (size_t i = 0; i + m <= n; i++)
        if (!strncasecmp(t + i, w, m) && (i == 0 || !((t[i - 1] | 32) >= 'a' && (t[i - 1] | 32) <= 'z')))
            return 1;
    return 0;
}

/* What the conversation came to, from the bot's side (and who spoke last). */
const char *pol__convo_outcome(const pol__convo *c)
{
    static const char *const booked[] = {"booked", "confirmed", "is scheduled", "you're all set",
                                         "appointment is", "reservation is", NULL};
    static const char *const handed[] = {"be in touch", "get back to you", "will contact",
                                         "will call", "will email", "follow up", "a colleague",
                                         "our team will", "human agent", "transfer", NULL};
    int b = 0, h = 0;
    for (size_t i = 0; i < c->n; i++) {
        if (c->m[i].visitor) continue;
        for (int k = 0; booked[k]; k++) b |= has_word(c->m[i].text, booked[k]);
        for (int k = 0; handed[k]; k++) h |= has_word(c->m[i].text, handed[k]);
    }
    const pol__msg *last = &c->m[c->n - 1];
    if (b) return "booked";
    if (h) return "handed over";
    if (last->visitor && strchr(last->text, '?')) return "unanswered";
    return "answered";
}

static int soon(const char *timeline)
{
    static const char *const w[] = {"asap", "as soon as", "urgent", "right away", "today",
                                    "tomorrow", "this week", "by friday", "by monday", "days", NULL};
    for (int k = 0; w[k]; k++)
        if (has_word(timeline, w[k])) return 1;
    return 0;
}

int pol__convo_priority(const pol__convo *c, const pol__lead *L)
{
    int reach = L->email_ok || L->phone_ok;
    return reach && (soon(L->timeline) || !strcmp(pol__convo_outcome(c), "booked")) ? 2
           : reach                                                                 ? 1
                                                                                   : 0;
}

const char *pol__priority_name(int p)
{
    return p == 2 ? "high" : p == 1 ? "medium" : "low";
}

void pol__convo_next_action(const pol__convo *c, const pol__lead *L, char *next, size_t cap)
{
    const char *out = pol__convo_outcome(c);
    int reach = L->email_ok || L->phone_ok;
    if (!strcmp(out, "booked"))
        snprintf(next, cap, "confirm the booking%s%s", reach ? " with " : "",
                 reach ? (L->name[0] ? L->name : "the visitor") : "");
    else if (reach)
        snprintf(next, cap, "follow up with %s by %s%s%s", L->name[0] ? L->name : "the visitor",
                 L->phone_ok ? "phone " : "e-mail ", L->phone_ok ? L->phone : L->email,
                 L->timeline[0] ? " (timeline given)" : "");
    else if (!strcmp(out, "unanswered"))
        snprintf(next, cap, "answer the visitor's last question in the chat");
    else
        snprintf(next, cap, "none: no contact details were given");
}

pol__jv *pol__convo_summary(const pol__convo *c, const pol__lead *L, const char *tags)
{
    pol__jv *o = pol__jv_obj();
    pol__jv_set(o, "conversation", pol__jv_str(c->id));
    pol__jv_set(o, "messages", pol__jv_int((long long)c->n));
    pol__jv_set(o, "intent", pol__jv_str(L->need));
    /* key facts: the visitor's values (dates, amounts, quantities, durations) and contact */
    pol__jv *facts = pol__jv_arr_at(o, "facts");
    int nf = 0;
    for (size_t k = 0; k < c->n && nf < 12; k++) {
        if (!c->m[k].visitor) continue;
        const char *m = c->m[k].text;
        pol__vals v;
        pol__values(m, strlen(m), &v);
        for (size_t j = 0; j < v.n && nf < 12; j++) {
            const pol__val *x = &v.v[j];
            if (x->type == POL_V_ENTITY || x->type == POL_V_EMAIL || x->type == POL_V_PHONE) continue;
            pol__jv *f = pol__jv_obj();
            char val[128];
            snprintf(val, sizeof val, "%.*s", (int)(x->end - x->start), m + x->start);
            pol__jv_set(f, "type", pol__jv_str(pol__vtype_name(x->type)));
            pol__jv_set(f, "value", pol__jv_str(val));
            pol__jv_push(facts, f);
            nf++;
        }
        pol__vals_free(&v);
    }
    pol__jv *lead = pol__jv_obj_at(o, "contact");
    if (L->name[0]) pol__jv_set(lead, "name", pol__jv_str(L->name));
    if (L->company[0]) pol__jv_set(lead, "company", pol__jv_str(L->company));
    if (L->email[0]) pol__jv_set(lead, "email", pol__jv_str(L->email));
    if (L->phone[0]) pol__jv_set(lead, "phone", pol__jv_str(L->phone));
    if (L->timeline[0]) pol__jv_set(lead, "timeline", pol__jv_str(L->timeline));
    pol__jv_set(o, "outcome", pol__jv_str(pol__convo_outcome(c)));
    char next[640];
    pol__convo_next_action(c, L, next, sizeof next);
    pol__jv_set(o, "next_action", pol__jv_str(next));
    pol__jv_set(o, "priority", pol__jv_str(pol__priority_name(pol__convo_priority(c, L))));
    if (tags) {
        pol__jv *ta = pol__jv_arr_at(o, "tags");
        for (const char *p = tags; *p;) {
            const char *e = strchr(p, ';');
            size_t m = e ? (size_t)(e - p) : strlen(p);
            char *one = pol__strndup(p, m);
            if (one) pol__jv_push(ta, pol__jv_str(one));
            free(one);
            p += m + (e != NULL);
        }
    }
    return o;
}

/* ---- the per-conversation table ------------------------------------------------------------- */

pol_status pol__followup_extract(pol_run *run, const pol__transcripts *tr, const char *region,
                                 const pol__tag_rules *rules, pol__followup *out)
{
    memset(out, 0, sizeof *out);
    out->tr = tr;
    if (!tr->n) return POL_OK;
    out->lead = calloc(tr->n, sizeof *out->lead);
    out->tags = calloc(tr->n, sizeof *out->tags);
    if (!out->lead || !out->tags) {
        pol__followup_free(out);
        return pol__fail(run, POL_ERR_NOMEM, "out of memory");
    }
    for (size_t i = 0; i < tr->n; i++) {
        if ((i & 1023) == 0 && pol__cancelled(run)) {
            pol__followup_free(out);
            return pol__fail(run, POL_ERR_CANCELLED, "cancelled");
        }
        pol__lead_extract(&tr->c[i], region, &out->lead[i]);
        pol__convo_tags(&tr->c[i], rules, out->tags[i], sizeof out->tags[i]);
    }
    return POL_OK;
}

void pol__followup_free(pol__followup *f)
{
    free(f->lead);
    free(f->tags);
    free(f->source);
    f->lead = NULL;
    f->tags = NULL;
    f->source = NULL;
}

static const char *const lead_cols[] = {"conversation", "name", "email", "phone", "company",
                                        "need", "timeline", "verified", "email_valid",
                                        "phone_valid", "messages", "first_time", "last_time",
                                        "tags", "priority"};

pol_status pol__leads_records(pol_run *run, const pol__followup *f, int all, const char *format,
                              pol__records **out, size_t *leads, size_t *verified,
                              size_t *no_contact)
{
    *out = NULL;
    *leads = *verified = *no_contact = 0;
    size_t nc = sizeof lead_cols / sizeof *lead_cols;
    pol__table *tab = pol__table_new(nc);
    if (!tab) return pol__fail(run, POL_ERR_NOMEM, "out of memory");
    int oom = 0;
    for (size_t k = 0; k < nc; k++) oom |= pol__table_set_name(tab, k, lead_cols[k]) != 0;
    for (size_t i = 0; i < f->tr->n && !oom; i++) {
        const pol__lead *L = &f->lead[i];
        if (!L->email[0] && !L->phone[0]) {
            (*no_contact)++;
            if (!all) continue;
        }
        char msgs[24];
        const pol__convo *c = &f->tr->c[i];
        snprintf(msgs, sizeof msgs, "%zu", c->n);
        int ver = L->email_ok || L->phone_ok;
        const char *cells[] = {c->id, L->name, L->email, L->phone, L->company, L->need,
                               L->timeline, ver ? "yes" : "no",
                               L->email[0] ? (L->email_ok ? "yes" : "no") : "",
                               L->phone[0] ? (L->phone_ok ? "yes" : "no") : "", msgs,
                               c->m[0].time ? c->m[0].time : "",
                               c->m[c->n - 1].time ? c->m[c->n - 1].time : "", f->tags[i],
                               pol__priority_name(pol__convo_priority(c, L))};
        if (pol__table_add_row(tab, cells, nc, (uint32_t)(i + 1)) < 0) oom = 1;
        (*leads)++;
        *verified += ver;
    }
    pol__records *r = oom ? NULL : pol__records_new(tab);
    if (!r) {
        pol__table_free(tab);
        return pol__fail(run, POL_ERR_NOMEM, "out of memory");
    }
    snprintf(r->save.format, sizeof r->save.format, "%s", format);
    *out = r;
    return POL_OK;
}

/* ---- contact history across conversations --------------------------------------------------- */

typedef struct key_ref {
    const char *key;
    size_t conv;
} key_ref;

static int key_cmp(const void *a, const void *b)
{
    const key_ref *x = a, *y = b;
    int c = strcmp(x->key, y->key);
    return c ? c : (x->conv > y->conv) - (x->conv < y->conv);
}

static size_t uf_find(size_t *p, size_t i)
{
    while (p[i] != i) i = p[i] = p[p[i]];
    return i;
}

/* Appends v to a ';'-joined list when it is not there yet (every distinct value kept). */
static void add_distinct(pol__sbuf *b, const char *v, const char *sep)
{
    if (!v || !*v) return;
    size_t m = strlen(v), sl = strlen(sep);
    for (const char *p = b->p; p && *p;) {
        const char *e = strstr(p, sep);
        size_t n = e ? (size_t)(e - p) : strlen(p);
        if (n == m && !memcmp(p, v, m)) return;
        p += n + (e ? sl : 0);
    }
    if (b->n) pol__sbuf_puts(b, sep);
    pol__sbuf_puts(b, v);
}

static int iso_time(const char *t)
{
    return t && strlen(t) >= 10 && t[4] == '-' && t[7] == '-';
}

static const char *const contact_cols[] = {"contact", "name", "emails", "phones", "companies",
                                           "conversations", "conversation_ids", "first_time",
                                           "last_time", "needs", "timelines", "tags",
                                           "last_outcome", "priority", "exports"};

pol_status pol__contacts_records(pol_run *run, const pol__followup *f, const char *format,
                                 pol__records **out, size_t *contacts)
{
    *out = NULL;
    *contacts = 0;
    size_t n = f->tr->n;
    key_ref *k = calloc(2 * n + 1, sizeof *k);
    size_t *parent = calloc(n + 1, sizeof *parent);
    size_t *order = calloc(n + 1, sizeof *order);
    /* the "exports" column only when several exports were joined */
    size_t nc = sizeof contact_cols / sizeof *contact_cols - (f->source ? 0 : 1);
    pol__table *tab = pol__table_new(nc);
    pol_status st = POL_OK;
    if (!k || !parent || !order || !tab) {
        st = pol__fail(run, POL_ERR_NOMEM, "out of memory");
        goto out;
    }
    size_t nk = 0;
    for (size_t i = 0; i < n; i++) {
        parent[i] = i;
        const pol__lead *L = &f->lead[i];
        /* identity: a valid e-mail or phone (a name alone is not one person) */
        if (L->email_ok) k[nk++] = (key_ref){L->email, i};
        if (L->phone_ok) k[nk++] = (key_ref){L->phone, i};
    }
    qsort(k, nk, sizeof *k, key_cmp);
    for (size_t j = 1; j < nk; j++)
        if (!strcmp(k[j].key, k[j - 1].key)) {
            size_t a = uf_find(parent, k[j].conv), b = uf_find(parent, k[j - 1].conv);
            if (a != b) parent[a > b ? a : b] = a < b ? a : b; /* the earliest conversation leads */
        }
    for (size_t c = 0; c < nc && !st; c++)
        if (pol__table_set_name(tab, c, contact_cols[c])) st = POL_ERR_NOMEM;
    /* one row per group, in the order of each group's first conversation */
    for (size_t i = 0; i < n && !st; i++) {
        const pol__lead *L0 = &f->lead[i];
        if (!(L0->email_ok || L0->phone_ok) || uf_find(parent, i) != i) continue;
        pol__sbuf name = {0}, em = {0}, ph = {0}, co = {0}, ids = {0}, needs = {0}, tl = {0},
                  tags = {0}, exps = {0};
        const char *first = NULL, *last = NULL, *outcome = "";
        int iso = 1, pri = 0;
        size_t count = 0;
        for (size_t j = i; j < n; j++) {
            if (uf_find(parent, j) != i) continue;
            const pol__lead *L = &f->lead[j];
            const pol__convo *c = &f->tr->c[j];
            count++;
            add_distinct(&name, L->name, "; ");
            add_distinct(&em, L->email, "; ");
            add_distinct(&ph, L->phone, "; ");
            add_distinct(&co, L->company, "; ");
            if (f->source) {
                /* ids repeat across exports: each names its export */
                char *q = malloc(strlen(f->source[j]) + strlen(c->id ? c->id : "") + 2);
                if (!q) {
                    ids.oom = 1;
                } else {
                    sprintf(q, "%s:%s", f->source[j], c->id ? c->id : "");
                    add_distinct(&ids, q, "; ");
                    free(q);
                }
                add_distinct(&exps, f->source[j], "; ");
            } else {
                add_distinct(&ids, c->id, "; ");
            }
            add_distinct(&needs, L->need, " | ");
            add_distinct(&tl, L->timeline, "; ");
            for (const char *p = f->tags[j]; *p;) {
                const char *e = strchr(p, ';');
                char one[64];
                snprintf(one, sizeof one, "%.*s", (int)(e ? (size_t)(e - p) : strlen(p)), p);
                add_distinct(&tags, one, ";");
                p = e ? e + 1 : p + strlen(p);
            }
            const char *t0 = c->m[0].time, *t1 = c->m[c->n - 1].time;
            iso &= (!t0 || iso_time(t0)) && (!t1 || iso_time(t1));
            if (t0 && (!first || (iso && strcmp(t0, first) < 0))) first = t0;
            /* the newest conversation's outcome (exports need not be given in time order) */
            int newest = !t1 || !last || !iso || strcmp(t1, last) >= 0;
            if (t1 && (!last || !iso || strcmp(t1, last) > 0)) last = t1;
            if (newest) outcome = pol__convo_outcome(c);
            int p = pol__convo_priority(c, L);
            if (p > pri) pri = p;
        }
        char cnt[24];
        snprintf(cnt, sizeof cnt, "%zu", count);
        const char *cells[] = {L0->email_ok ? L0->email : L0->phone,
                               name.p ? name.p : "",
                               em.p ? em.p : "",
                               ph.p ? ph.p : "",
                               co.p ? co.p : "",
                               cnt,
                               ids.p ? ids.p : "",
                               first ? first : "",
                               last ? last : "",
                               needs.p ? needs.p : "",
                               tl.p ? tl.p : "",
                               tags.p ? tags.p : "",
                               outcome,
                               pol__priority_name(pri),
                               exps.p ? exps.p : ""};
        int oom = name.oom || em.oom || ph.oom || co.oom || ids.oom || needs.oom || tl.oom ||
                  tags.oom || exps.oom;
        if (oom || pol__table_add_row(tab, cells, nc, (uint32_t)(i + 1)) < 0) st = POL_ERR_NOMEM;
        (*contacts)++;
        free(name.p), free(em.p), free(ph.p), free(co.p), free(ids.p), free(needs.p), free(tl.p),
            free(tags.p), free(exps.p);
    }
    if (st) {
        st = pol__fail(run, POL_ERR_NOMEM, "out of memory");
        goto out;
    }
    pol__records *r = pol__records_new(tab);
    if (!r) {
        st = pol__fail(run, POL_ERR_NOMEM, "out of memory");
        goto out;
    }
    tab = NULL;
    snprintf(r->save.format, sizeof r->save.format, "%s", format);
    *out = r;
out:
    if (tab) pol__table_free(tab);
    free(k);
    free(parent);
    free(order);
    return st;
}

/* ---- an e-mail summary ---------------------------------------------------------------------- */

/* A header value: no line breaks or control characters (no header injection). */
int pol__mail_header_ok(const char *v)
{
    for (const unsigned char *p = (const unsigned char *)v; *p; p++)
        if (*p < 0x20 || *p == 0x7F) return 0;
    return strlen(v) < 900;
}

/* One body line, at most 900 bytes (8bit mail allows 998), cut at a UTF-8 boundary. */
static void mail_line(pol__sbuf *b, const char *label, const char *v)
{
    if (!v || !*v) return;
    size_t n = strlen(v);
    if (n > 900) {
        n = 900;
        while (n && ((unsigned char)v[n] & 0xC0) == 0x80) n--;
    }
    pol__sbuf_printf(b, "  %s: ", label);
    for (size_t i = 0; i < n; i++) {
        char c = v[i] == '\n' || v[i] == '\r' ? ' ' : v[i];
        pol__sbuf_put(b, &c, 1);
    }
    pol__sbuf_puts(b, "\r\n");
}

char *pol__summary_eml(const pol__followup *f, const char *from, const char *to, const char *source,
                       size_t *len)
{
    size_t pri[3] = {0, 0, 0}, reach = 0;
    for (size_t i = 0; i < f->tr->n; i++) {
        pri[pol__convo_priority(&f->tr->c[i], &f->lead[i])]++;
        reach += f->lead[i].email_ok || f->lead[i].phone_ok;
    }
    pol__sbuf b = {0};
    time_t now = time(NULL);
    struct tm tm;
    char date[64];
    gmtime_r(&now, &tm);
    strftime(date, sizeof date, "%a, %d %b %Y %H:%M:%S +0000", &tm);
    pol__sbuf_printf(&b, "From: %s\r\n", from);
    if (to && *to) pol__sbuf_printf(&b, "To: %s\r\n", to);
    pol__sbuf_printf(&b, "Date: %s\r\n", date);
    pol__sbuf_printf(&b, "Subject: Chat follow-up: %zu conversations, %zu leads, %zu high "
                         "priority\r\n", f->tr->n, reach, pri[2]);
    pol__sbuf_puts(&b, "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=UTF-8\r\n"
                       "Content-Transfer-Encoding: 8bit\r\n\r\n");
    const char *base = pol__path_base(source);
    pol__sbuf_printf(&b, "Conversations in %.200s: %zu (high %zu, medium %zu, low %zu).\r\n",
                     base, f->tr->n, pri[2], pri[1], pri[0]);
    /* high priority first, then medium, then low; in the export's order within each */
    for (int p = 2; p >= 0; p--)
        for (size_t i = 0; i < f->tr->n; i++) {
            const pol__convo *c = &f->tr->c[i];
            const pol__lead *L = &f->lead[i];
            if (pol__convo_priority(c, L) != p) continue;
            char next[640], head[400];
            snprintf(head, sizeof head, "%s%s%s", c->id, L->name[0] ? " - " : "", L->name);
            pol__sbuf_printf(&b, "\r\n[%s] ", pol__priority_name(p));
            for (const char *h = head; *h; h++) /* ids and names come from the export: one line */
                pol__sbuf_put(&b, *h == '\r' || *h == '\n' ? " " : h, 1);
            pol__sbuf_puts(&b, "\r\n");
            mail_line(&b, "company", L->company);
            mail_line(&b, "intent", L->need);
            mail_line(&b, "e-mail", L->email);
            mail_line(&b, "phone", L->phone);
            mail_line(&b, "timeline", L->timeline);
            mail_line(&b, "tags", f->tags[i]);
            mail_line(&b, "outcome", pol__convo_outcome(c));
            pol__convo_next_action(c, L, next, sizeof next);
            mail_line(&b, "next", next);
        }
    if (b.oom) {
        free(b.p);
        return NULL;
    }
    *len = b.n;
    return pol__sbuf_take(&b);
}
