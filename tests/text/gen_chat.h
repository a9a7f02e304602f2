/* polish — tests: generated chat transcripts with known lead fields (name, e-mail, phone,
 * company, timeline), written as a JSON export; the bot's own contact details appear in its
 * messages and must not be taken for the visitor's. Shared by test_leads_eval.c and bench/text. */
#ifndef POLISH_TESTS_GEN_CHAT_H
#define POLISH_TESTS_GEN_CHAT_H

#pragma GCC diagnostic ignored "-Wunused-function" /* each user takes what it needs */

#include "gen_check.h"
#include "gen_pii.h"

typedef struct gt_convo {
    char name[64], email[96], phone_e164[20], company[64], timeline[64];
    char json[4096];
    size_t len;
} gt_convo;

static const char *const gt_companies[] = {"Acme Logistics", "Blue Harbor Dental", "Northwind Traders",
                                           "Kestrel Design", "Summit Roofing", "Orchard Lane Cafe",
                                           "Brightpath Tutoring", "Ironwood Fitness"};
static const char *const gt_needs[] = {"a quote for 40 office chairs", "a new website for our clinic",
                                       "catering for 120 guests", "a roof inspection",
                                       "weekly cleaning for two offices", "a logo and brand guide"};
static const char *const gt_timelines[] = {"by March 15", "within 2 weeks", "next month", "ASAP",
                                           "by Friday", "before June 1"};

/* JSON string escaping of the few characters our text uses. */
static void gt_put(gt_convo *c, const char *role, const char *text)
{
    c->len += (size_t)snprintf(c->json + c->len, sizeof c->json - c->len,
                               "%s{\"role\": \"%s\", \"content\": \"", c->len > 40 ? ", " : "", role);
    for (const char *p = text; *p && c->len + 8 < sizeof c->json; p++) {
        if (*p == '"' || *p == '\\') c->json[c->len++] = '\\';
        c->json[c->len++] = *p;
    }
    c->len += (size_t)snprintf(c->json + c->len, sizeof c->json - c->len, "\"}");
}

static void gt_make(gt_convo *c, gc_rng *r, int id)
{
    memset(c, 0, sizeof *c);
    int fi = gc_int(r, 0, 11), la = gc_int(r, 0, 9), co = gc_int(r, 0, 7);
    const char *first = gp_first[fi], *last = gp_last[la];
    int has_name = gc_int(r, 0, 9) > 0, has_mail = gc_int(r, 0, 9) > 1, has_phone = gc_int(r, 0, 9) > 2,
        has_co = gc_int(r, 0, 9) > 2, has_time = gc_int(r, 0, 9) > 3;
    char msg[600], lf[32], ll[32];
    snprintf(lf, sizeof lf, "%s", first);
    snprintf(ll, sizeof ll, "%s", last);
    for (char *p = lf; *p; p++) *p = (char)(*p | 32);
    for (char *p = ll; *p; p++) *p = (char)(*p | 32);
    c->len = (size_t)snprintf(c->json, sizeof c->json, "{\"id\": \"conv-%05d\", \"messages\": [", id);
    gt_put(c, "assistant", "Hi! Welcome to Brightside Services. How can I help you today?");
    const char *need = gt_needs[gc_int(r, 0, 5)], *tl = gt_timelines[gc_int(r, 0, 5)];
    if (has_time) snprintf(c->timeline, sizeof c->timeline, "%s", tl);
    if (has_name) snprintf(c->name, sizeof c->name, "%s %s", first, last);
    if (has_co) snprintf(c->company, sizeof c->company, "%s", gt_companies[co]);
    switch (gc_int(r, 0, 2)) {
    case 0:
        snprintf(msg, sizeof msg, "Hi, %s%s%s%s. We need %s%s%s.", has_name ? "I'm " : "there",
                 has_name ? c->name : "", has_co ? " from " : "", has_co ? c->company : "", need,
                 has_time ? " " : "", has_time ? tl : "");
        break;
    case 1:
        snprintf(msg, sizeof msg, "Hello! %s%s%s I'm looking for %s%s%s.",
                 has_name ? "My name is " : "", has_name ? c->name : "", has_name ? "." : "", need,
                 has_time ? ", ideally " : "", has_time ? tl : "");
        if (has_co) {
            size_t n = strlen(msg);
            snprintf(msg + n, sizeof msg - n, " I work at %s.", c->company);
        }
        break;
    default:
        snprintf(msg, sizeof msg, "Do you do %s? %s%s%s", need, has_time ? "We'd need it " : "",
                 has_time ? tl : "", has_time ? "." : "");
        if (has_co) {
            size_t n = strlen(msg);
            snprintf(msg + n, sizeof msg - n, " This is for %s.", c->company);
        }
        if (has_name) {
            size_t n = strlen(msg);
            snprintf(msg + n, sizeof msg - n, " Thanks, %s %s", first, last);
        }
        /* "for X" is not one of the cues: the company is only known when said with one */
        if (has_co) c->company[0] = '\0';
    }
    gt_put(c, "user", msg);
    gt_put(c, "assistant", "We can help with that. You can also call us on (212) 555-0100 or write to sales@brightside.example.com. How can we reach you?");
    if (has_mail || has_phone) {
        char mail[96] = "", ph[40] = "";
        if (has_mail) {
            static const char *const dom[] = {"gmail.com", "outlook.com", "example.org", "company.io"};
            snprintf(mail, sizeof mail, gc_int(r, 0, 1) ? "%s.%s@%s" : "%s%s@%s", lf, ll, dom[gc_int(r, 0, 3)]);
            snprintf(c->email, sizeof c->email, "%s", mail);
            if (gc_int(r, 0, 3) == 0) mail[0] = (char)(mail[0] - 32); /* "Maria.lopez@..." */
        }
        if (has_phone) {
            static const int areas[] = {202, 312, 415, 617, 303, 206};
            int a = areas[gc_int(r, 0, 5)], ex = gc_int(r, 201, 989), ln = gc_int(r, 1000, 9999);
            switch (gc_int(r, 0, 3)) {
            case 0: snprintf(ph, sizeof ph, "(%d) %d-%04d", a, ex, ln); break;
            case 1: snprintf(ph, sizeof ph, "%d-%d-%04d", a, ex, ln); break;
            case 2: snprintf(ph, sizeof ph, "%d.%d.%04d", a, ex, ln); break;
            default: snprintf(ph, sizeof ph, "+1 %d %d %04d", a, ex, ln);
            }
            snprintf(c->phone_e164, sizeof c->phone_e164, "+1%d%d%04d", a, ex, ln);
        }
        if (has_mail && has_phone) snprintf(msg, sizeof msg, "Sure: %s, or call %s.", mail, ph);
        else if (has_mail) snprintf(msg, sizeof msg, "Email is best: %s", mail);
        else snprintf(msg, sizeof msg, "Call me on %s please.", ph);
        gt_put(c, "user", msg);
    } else {
        gt_put(c, "user", "I'd rather not share contact details yet.");
    }
    gt_put(c, "assistant", "Thanks! Someone will be in touch.");
    c->len += (size_t)snprintf(c->json + c->len, sizeof c->json - c->len, "]}");
}

#endif
