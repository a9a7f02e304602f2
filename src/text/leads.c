/* polish — a lead from a conversation: the visitor's name, e-mail, phone, company, need and
 * timeline, standardised and validated with the records domain's own standardisers. */
#include <ctype.h>
#include <stdio.h>
#include <strings.h>
#include "records/std.h"
#include "text/redact.h"
#include "text/textutil.h"
#include "text/transcript.h"

static void copy_n(char *out, size_t cap, const char *s, size_t n)
{
    if (n >= cap) {
        n = cap - 1;
        while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80) n--; /* whole characters */
    }
    memcpy(out, s, n);
    out[n] = '\0';
}

static int ci_word_at(const char *t, size_t n, size_t i, const char *w)
{
    if ((t[i] | 32) != (w[0] | 32)) return 0; /* most positions fail here, cheaply */
    size_t m = strlen(w);
    return i + m <= n && !strncasecmp(t + i, w, m) && (i == 0 || !isalnum((unsigned char)t[i - 1])) &&
           (i + m == n || !isalnum((unsigned char)t[i + m]));
}

static const char *const not_company[] = {"Monday", "Tuesday", "Wednesday", "Thursday", "Friday",
                                          "Saturday", "Sunday", "January", "February", "March",
                                          "April", "May", "June", "July", "August", "September",
                                          "October", "November", "December", "The", "I", "We",
                                          "Google", "Home", "Work", NULL};

static void find_company(const char *t, size_t n, const char *name, char *out, size_t cap)
{
    static const char *const cues[] = {"i work for", "i work at", "work for", "work at",
                                       "company is", "company:", "company called", "i represent",
                                       "calling from", "writing from", "here from", "from", "at",
                                       "with", NULL};
    for (int q = 0; cues[q]; q++) {
        for (size_t i = 0; i < n; i++) {
            if (!ci_word_at(t, n, i, cues[q]) && !(cues[q][strlen(cues[q]) - 1] == ':' &&
                                                   !strncasecmp(t + i, cues[q], strlen(cues[q]))))
                continue;
            size_t k = i + strlen(cues[q]);
            while (k < n && t[k] == ' ') k++;
            size_t s = k, e = k;
            int words = 0;
            while (k < n && (isupper((unsigned char)t[k]) || (words && t[k] == '&'))) {
                size_t we = k;
                while (we < n && (isalnum((unsigned char)t[we]) || t[we] == '&' || t[we] == '\'' ||
                                  t[we] == '-' || t[we] == '.'))
                    we++;
                while (we > k && t[we - 1] == '.' && !(we - k <= 4 && (!strncmp(t + k, "Inc", 3) || !strncmp(t + k, "Ltd", 3) || !strncmp(t + k, "Co", 2))))
                    we--;
                int bad = 0;
                for (int b = 0; not_company[b] && !bad; b++)
                    bad = strlen(not_company[b]) == we - k && !strncmp(t + k, not_company[b], we - k);
                if (bad && !words) break;
                if (bad) break;
                words++;
                e = we;
                if (we + 1 < n && t[we] == ' ' && (isupper((unsigned char)t[we + 1]) || t[we + 1] == '&')) k = we + 1;
                else break;
            }
            if (!words || words > 5) continue;
            /* not the visitor's own name */
            if (*name && (size_t)(e - s) <= strlen(name) && !strncasecmp(name, t + s, e - s)) continue;
            if (*name && strstr(name, "") && e - s >= 2) {
                char cand[128];
                copy_n(cand, sizeof cand, t + s, e - s);
                if (strstr(name, cand)) continue;
            }
            copy_n(out, cap, t + s, e - s);
            return;
        }
    }
}

static void find_need(const pol__convo *c, char *out, size_t cap)
{
    static const char *const cues[] = {"need", "looking for", "interested in", "would like",
                                       "i'd like", "want", "quote", "how much", "price",
                                       "help with", "book", "can you", "do you", "could you",
                                       "planning", NULL};
    const char *fallback = NULL;
    size_t fb_n = 0;
    for (size_t i = 0; i < c->n; i++) {
        if (!c->m[i].visitor) continue;
        const char *t = c->m[i].text;
        pol__span *sp = NULL;
        long ns = pol__sentences(t, strlen(t), &sp);
        for (long s = 0; s < ns; s++) {
            const char *a = t + sp[s].start;
            size_t n = sp[s].end - sp[s].start;
            for (int q = 0; cues[q]; q++)
                for (size_t k = 0; k < n; k++)
                    if (ci_word_at(a, n, k, cues[q])) {
                        copy_n(out, cap, a, n);
                        free(sp);
                        return;
                    }
            int words = 0;
            for (size_t k = 0; k < n; k++) words += a[k] == ' ';
            if (!fallback && words >= 4) fallback = a, fb_n = n;
        }
        free(sp);
    }
    if (fallback) copy_n(out, cap, fallback, fb_n);
}

/* Is the sentence holding t[at] a question (ends with '?' before a '.', '!' or new line)? */
static int in_question(const char *t, size_t n, size_t at)
{
    for (size_t i = at; i < n; i++) {
        if (t[i] == '?') return 1;
        if (t[i] == '\n' || t[i] == '!' ||
            (t[i] == '.' && (i + 1 == n || t[i + 1] == ' ' || t[i + 1] == '\n')))
            return 0;
    }
    return 0;
}

/* The visitor's timeline: a date, weekday or duration after a preposition, or a fixed phrase.
 * A question asks about the business ("Are you open on Sunday?"), so there only a deadline counts
 * ("Can you install it by March 3?") and only an urgency phrase ("asap"). */
static void find_timeline(const char *t, size_t n, char *out, size_t cap)
{
    static const struct {
        const char *w;
        int in_question; /* still a timeline inside a question */
    } fixed[] = {{"as soon as possible", 1}, {"asap", 1}, {"right away", 1}, {"urgently", 1},
                 {"today", 0}, {"tomorrow", 0}, {"this week", 0}, {"next week", 0},
                 {"this month", 0}, {"next month", 0}, {"this quarter", 0}, {"next quarter", 0},
                 {"this year", 0}, {"next year", 0}, {"end of the month", 1},
                 {"end of the week", 1}, {"end of the year", 1}, {"end of the quarter", 1},
                 {NULL, 0}};
    static const struct {
        const char *w;
        int in_question;
    } preps[] = {{"by ", 1}, {"before ", 1}, {"within ", 1}, {"in ", 0}, {"on ", 0},
                 {"until ", 1}, {"no later than ", 1}, {"starting ", 0}, {"from ", 0},
                 {"next ", 0}, {NULL, 0}};
    pol__vals v;
    pol__values(t, n, &v);
    /* a date or a duration after by/before/within/in/on/until */
    for (size_t i = 0; i < v.n; i++) {
        const pol__val *x = &v.v[i];
        if (x->type != POL_V_DATE && x->type != POL_V_DURATION && x->type != POL_V_WEEKDAY) continue;
        int q = in_question(t, n, x->start);
        for (int p = 0; preps[p].w; p++) {
            size_t m = strlen(preps[p].w);
            if (q && !preps[p].in_question) continue;
            if (x->start >= m && !strncasecmp(t + x->start - m, preps[p].w, m)) {
                copy_n(out, cap, t + x->start - m, x->end - x->start + m);
                pol__vals_free(&v);
                return;
            }
        }
    }
    pol__vals_free(&v);
    for (int q = 0; fixed[q].w; q++)
        for (size_t i = 0; i < n; i++)
            if (ci_word_at(t, n, i, fixed[q].w) &&
                (fixed[q].in_question || !in_question(t, n, i))) {
                size_t s = i;
                if (s >= 3 && !strncasecmp(t + s - 3, "by ", 3)) s -= 3;
                copy_n(out, cap, t + s, i + strlen(fixed[q].w) - s);
                return;
            }
}

void pol__lead_extract(const pol__convo *c, const char *region, pol__lead *L)
{
    memset(L, 0, sizeof *L);
    pol__sbuf v = {0};
    for (size_t i = 0; i < c->n; i++) {
        if (!c->m[i].visitor) continue;
        if (v.n) pol__sbuf_put(&v, "\n", 1);
        pol__sbuf_puts(&v, c->m[i].text);
    }
    if (!v.p || v.oom) {
        free(v.p);
        return;
    }
    pol__pii_found f;
    long mask = (1L << POL_PII_EMAIL) | (1L << POL_PII_PHONE) | (1L << POL_PII_NAME);
    pol__pii_find(v.p, v.n, mask, NULL, region, &f);
    for (size_t i = 0; i < f.n; i++) {
        const pol__pii_span *s = &f.v[i];
        const char *a = v.p + s->start;
        size_t n = s->end - s->start;
        if (s->type == POL_PII_NAME && !L->name[0]) {
            char tmp[160];
            size_t k = pol__name_std(a, n < 120 ? n : 120, tmp, sizeof tmp);
            if (k != (size_t)-1) copy_n(L->name, sizeof L->name, tmp, k);
        } else if (s->type == POL_PII_EMAIL && !L->email_ok) {
            copy_n(L->email_raw, sizeof L->email_raw, a, n);
            const char *typo = NULL;
            char tmp[300];
            if (n < 250 && pol__email_std(a, n, tmp, sizeof tmp, &typo) == POL_EMAIL_OK) {
                if (typo) pol__email_fix_domain(tmp, sizeof tmp, typo);
                copy_n(L->email, sizeof L->email, tmp, strlen(tmp));
                L->email_ok = 1;
            } else if (!L->email[0]) {
                copy_n(L->email, sizeof L->email, a, n);
            }
        } else if (s->type == POL_PII_PHONE && !L->phone_ok) {
            copy_n(L->phone_raw, sizeof L->phone_raw, a, n);
            pol__phone ph;
            if (pol__phone_parse(a, n, region, &ph) == POL_PHONE_VALID) {
                snprintf(L->phone, sizeof L->phone, "%s", ph.e164);
                L->phone_ok = 1;
            } else if (!L->phone[0]) {
                copy_n(L->phone, sizeof L->phone, a, n);
            }
        }
    }
    /* an e-mail address the finder left (no dot after @ ...) is kept as written, not valid */
    pol__pii_free(&f);
    find_company(v.p, v.n, L->name, L->company, sizeof L->company);
    find_need(c, L->need, sizeof L->need);
    find_timeline(v.p, v.n, L->timeline, sizeof L->timeline);
    free(v.p);
}
