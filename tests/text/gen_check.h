/* polish — tests: a labelled evaluation set for text.check / text.fix, generated from a seed.
 * Four fictional small businesses get knowledge-base documents (Markdown, HTML, plain text, a
 * FAQ CSV) with facts whose values are drawn at random; answers are made of paraphrased
 * sentences, each either correct or with one planted error (a price changed or swapped with
 * another item's, hours, dates, phone numbers, e-mail addresses, quantities, percentages, names,
 * a flipped negation, an invented policy), plus greetings and offers to help that state nothing.
 * Every answer sentence is labelled, and a wrong one whose value can be repaired carries the
 * sentence `fix` should produce. Shared by tests/text/test_check_eval.c and bench/text. */
#ifndef POLISH_TESTS_GEN_CHECK_H
#define POLISH_TESTS_GEN_CHECK_H

#pragma GCC diagnostic ignored "-Wunused-function" /* each user takes what it needs */

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct gc_rng {
    uint64_t s;
} gc_rng;

static inline uint32_t gc_next(gc_rng *r)
{
    r->s = r->s * 6364136223846793005ull + 1442695040888963407ull;
    return (uint32_t)(r->s >> 33);
}
static inline int gc_int(gc_rng *r, int lo, int hi) /* [lo, hi] */
{
    return lo + (int)(gc_next(r) % (uint32_t)(hi - lo + 1));
}
static inline const char *gc_pick(gc_rng *r, const char *const *v, int n)
{
    return v[gc_int(r, 0, n - 1)];
}

#define GC_S 320

/* One fact: its knowledge-base sentence; correct answer sentences; wrong ones. */
typedef struct gc_fact {
    char kb[GC_S];
    const char *section; /* heading it goes under */
    char ok[4][GC_S];
    int n_ok;
    char bad[4][GC_S];
    char bad_fixed[4][GC_S]; /* "" when fix cannot repair it (negation, invented policy) */
    const char *bad_kind[4];
    int n_bad;
} gc_fact;

typedef struct gc_business {
    char name[64];
    int format; /* 0 markdown, 1 html, 2 plain text, 3 faq csv */
    gc_fact facts[24];
    int n_facts;
    char invented[6][GC_S]; /* policies the knowledge base never states */
    int n_invented;
    char filler[6][GC_S];   /* other true text in the documents */
    int n_filler;
} gc_business;

static void gc_fmt(char *out, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void gc_fmt(char *out, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(out, GC_S, fmt, ap);
    va_end(ap);
    size_t n = strlen(out); /* "4 p.m.." -> "4 p.m." */
    if (n >= 2 && out[n - 1] == '.' && out[n - 2] == '.') out[n - 1] = '\0';
}

/* ---- value writers -------------------------------------------------------------------------- */

static void gc_time(char *o, int mins, int style)
{
    int h = mins / 60, m = mins % 60, h12 = h % 12 ? h % 12 : 12;
    const char *ap = h >= 12 ? "pm" : "am";
    switch (style) {
    case 0:
        if (m) snprintf(o, 32, "%d:%02d%s", h12, m, ap);
        else snprintf(o, 32, "%d%s", h12, ap);
        break;
    case 1:
        if (m) snprintf(o, 32, "%d:%02d %s", h12, m, h >= 12 ? "p.m." : "a.m.");
        else snprintf(o, 32, "%d %s", h12, h >= 12 ? "p.m." : "a.m.");
        break;
    default:
        snprintf(o, 32, "%02d:%02d", h, m);
    }
}

static void gc_price(char *o, int cents, int style)
{
    if (cents % 100 == 0 && style == 1) snprintf(o, 32, "$%d", cents / 100);
    else snprintf(o, 32, "$%d.%02d", cents / 100, cents % 100);
}

static void gc_phone(char *o, int a, int b, int style)
{
    if (style == 0) snprintf(o, 32, "(555) %03d-%04d", a, b);
    else if (style == 1) snprintf(o, 32, "555-%03d-%04d", a, b);
    else snprintf(o, 32, "555.%03d.%04d", a, b);
}

static const char *const gc_months[] = {"January", "February", "March", "April", "May", "June",
                                        "July", "August", "September", "October", "November",
                                        "December"};

static const char *const gc_first[] = {"Maria", "Daniel", "Aisha", "Tom", "Priya", "Lukas",
                                       "Grace", "Omar", "Hannah", "Mateo", "Chloe", "Ivan"};
static const char *const gc_last[] = {"Lopez", "Okafor", "Fischer", "Nakamura", "Bennett",
                                      "Kowalski", "Haddad", "Moreau", "Lindqvist", "Reyes"};

/* ---- businesses ----------------------------------------------------------------------------- */

typedef struct gc_item {
    const char *one, *many; /* "sourdough loaf", "sourdough loaves" */
} gc_item;

static const char *const gc_names[4] = {"Green Street Bakery", "Riverside Dental Care",
                                        "Spoke and Chain Cycles", "Lotus Room Yoga"};
static const gc_item gc_items[4][4] = {
    {{"sourdough loaf", "sourdough loaves"}, {"croissant", "croissants"},
     {"birthday cake", "birthday cakes"}, {"cinnamon roll", "cinnamon rolls"}},
    {{"check-up", "check-ups"}, {"teeth cleaning", "teeth cleanings"},
     {"whitening session", "whitening sessions"}, {"filling", "fillings"}},
    {{"basic tune-up", "basic tune-ups"}, {"puncture repair", "puncture repairs"},
     {"brake adjustment", "brake adjustments"}, {"wheel truing", "wheel truings"}},
    {{"drop-in class", "drop-in classes"}, {"ten-class pass", "ten-class passes"},
     {"private session", "private sessions"}, {"mat rental", "mat rentals"}},
};
static const int gc_item_cents[4][2] = {{300, 900}, {4000, 15000}, {1500, 9000}, {200, 12000}};
static const char *const gc_role[4] = {"head baker", "lead dentist", "head mechanic",
                                       "senior teacher"};
static const char *const gc_notice[4] = {"Cake orders", "New patients", "Bike repairs",
                                         "Private sessions"};
static const char *const gc_notice_what[4] = {"order cakes", "register as a new patient",
                                              "book a repair", "book a private session"};
static const char *const gc_neg[4][3] = {
    /* a "not" fact: kb, correct paraphrase, flipped */
    {"We do not offer delivery.", "We don't offer delivery.", "We offer delivery."},
    {"We do not accept walk-in patients.", "We don't accept walk-in patients.",
     "We accept walk-in patients."},
    {"We do not sell second-hand bikes.", "We don't sell second-hand bikes.",
     "We sell second-hand bikes."},
    {"Classes are not suitable for children under 12.",
     "Our classes aren't suitable for children under 12.",
     "Classes are suitable for children under 12."},
};
static const char *const gc_invented[4][4] = {
    {"Every tenth coffee is free with our loyalty card.",
     "We price-match any bakery in town.", "All our flour is imported from Italy.",
     "Kids eat free on Wednesdays."},
    {"We offer free parking in the underground garage.",
     "Every cleaning includes a free fluoride treatment.",
     "We give a lifetime warranty on all fillings.", "Emergency visits are always free."},
    {"We rent electric bikes by the hour.", "Every repair comes with a two-year warranty.",
     "We collect bikes from your home for free.", "Members get free puncture repairs."},
    {"The first class is always free.", "We run a teacher training course every summer.",
     "Every pass includes a free massage.", "We offer hot yoga on Fridays."},
};
static const char *const gc_fillers[4][3] = {
    {"The bakery was founded by two friends who love bread.",
     "Everything is baked fresh every morning on site.",
     "We use organic flour from local mills."},
    {"Our practice has served the neighbourhood for many years.",
     "Our team treats adults and children.",
     "The waiting room has free wifi."},
    {"The workshop repairs road, mountain and city bikes.",
     "We stock parts from all the major brands.",
     "Our mechanics are certified."},
    {"The studio is a quiet space on the second floor.",
     "Classes suit all levels, from beginners to advanced students.",
     "Mats and blocks are provided."},
};

/* Builds business b's facts from the seed. */
static void gc_business_make(gc_business *B, int b, gc_rng *r)
{
    memset(B, 0, sizeof *B);
    snprintf(B->name, sizeof B->name, "%s", gc_names[b]);
    B->format = b;
    char t1[32], t2[32], a1[32], a2[32], w[32], x[32];
    int kst = gc_int(r, 0, 2), ast = gc_int(r, 0, 1);
    /* weekday hours */
    int open = gc_int(r, 12, 20) * 30, close = gc_int(r, 32, 40) * 30;
    gc_fact *f = &B->facts[B->n_facts++];
    f->section = "Opening hours";
    gc_time(t1, open, kst);
    gc_time(t2, close, kst);
    gc_time(a1, open, ast);
    gc_time(a2, close, ast);
    gc_fmt(f->kb, "We are open Monday to Friday from %s to %s.", t1, t2);
    gc_fmt(f->ok[0], "We're open Monday to Friday from %s to %s.", a1, a2);
    gc_fmt(f->ok[1], "Our opening hours are %s to %s, Monday to Friday.", a1, a2);
    gc_fmt(f->ok[2], "On weekdays we're open from %s to %s.", a1, a2);
    gc_fmt(f->ok[3], "We open at %s and close at %s on weekdays.", a1, a2);
    f->n_ok = 4;
    int wrong_close = close + (gc_int(r, 0, 1) ? 60 : -60);
    gc_time(w, wrong_close, ast);
    gc_fmt(f->bad[0], "We're open Monday to Friday from %s to %s.", a1, w);
    gc_fmt(f->bad_fixed[0], "We're open Monday to Friday from %s to %s.", a1, a2);
    f->bad_kind[0] = "hours";
    int wrong_open = open + 30 * gc_int(r, 1, 3);
    gc_time(w, wrong_open, ast);
    gc_fmt(f->bad[1], "Our opening hours are %s to %s, Monday to Friday.", w, a2);
    gc_fmt(f->bad_fixed[1], "Our opening hours are %s to %s, Monday to Friday.", a1, a2);
    f->bad_kind[1] = "hours";
    gc_time(w, close + 90, ast);
    gc_fmt(f->bad[2], "We open at %s and close at %s on weekdays.", a1, w);
    gc_fmt(f->bad_fixed[2], "We open at %s and close at %s on weekdays.", a1, a2);
    f->bad_kind[2] = "hours";
    f->n_bad = 3;
    /* Saturday hours */
    int sopen = gc_int(r, 16, 20) * 30, sclose = gc_int(r, 26, 32) * 30;
    f = &B->facts[B->n_facts++];
    f->section = "Opening hours";
    gc_time(t1, sopen, kst);
    gc_time(t2, sclose, kst);
    gc_time(a1, sopen, ast);
    gc_time(a2, sclose, ast);
    gc_fmt(f->kb, "On Saturday we are open from %s to %s, and we are closed on Sunday.", t1, t2);
    gc_fmt(f->ok[0], "On Saturdays we're open from %s to %s.", a1, a2);
    gc_fmt(f->ok[1], "Saturday opening hours are %s to %s.", a1, a2);
    f->n_ok = 2;
    gc_time(w, sclose + 120, ast);
    gc_fmt(f->bad[0], "On Saturdays we're open from %s to %s.", a1, w);
    gc_fmt(f->bad_fixed[0], "On Saturdays we're open from %s to %s.", a1, a2);
    f->bad_kind[0] = "hours";
    gc_fmt(f->bad[1], "We are open on Sunday from %s to %s.", a1, a2);
    f->bad_fixed[1][0] = '\0';
    f->bad_kind[1] = "hours";
    f->n_bad = 2;
    /* prices: four items; errors are a changed price or another item's price */
    int cents[4];
    for (int i = 0; i < 4; i++) {
        int lo = gc_item_cents[b][0], hi = gc_item_cents[b][1];
        do {
            cents[i] = gc_int(r, lo / 25, hi / 25) * 25;
            if (hi >= 4000) cents[i] = cents[i] / 500 * 500;
        } while (cents[i] < lo || (i && cents[i] == cents[i - 1]) || (i > 1 && cents[i] == cents[i - 2]) ||
                 (i > 2 && cents[i] == cents[0]));
    }
    for (int i = 0; i < 4; i++) {
        f = &B->facts[B->n_facts++];
        f->section = "Prices";
        const gc_item *it = &gc_items[b][i];
        char p[32], pa[32];
        gc_price(p, cents[i], 0);
        gc_price(pa, cents[i], ast);
        gc_fmt(f->kb, "%c%s: %s", it->one[0] - 32, it->one + 1, p);
        gc_fmt(f->ok[0], "A %s costs %s.", it->one, pa);
        gc_fmt(f->ok[1], "The price of a %s is %s.", it->one, pa);
        gc_fmt(f->ok[2], "%c%s are %s each.", it->many[0] - 32, it->many + 1, pa);
        gc_fmt(f->ok[3], "You'll pay %s for a %s.", pa, it->one);
        f->n_ok = 4;
        int delta = cents[i] >= 4000 ? 500 * gc_int(r, 1, 4) : 25 * gc_int(r, 2, 12);
        int wc = cents[i] + (gc_int(r, 0, 1) || cents[i] - delta <= 0 ? delta : -delta);
        for (int k = 0; k < 4; k++)
            if (wc == cents[k]) wc += cents[i] >= 4000 ? 500 : 50;
        gc_price(w, wc, ast);
        gc_fmt(f->bad[0], "A %s costs %s.", it->one, w);
        gc_fmt(f->bad_fixed[0], "A %s costs %s.", it->one, pa);
        f->bad_kind[0] = "price";
        gc_price(x, cents[(i + 1) % 4], ast); /* swapped with the next item's */
        gc_fmt(f->bad[1], "The price of a %s is %s.", it->one, x);
        gc_fmt(f->bad_fixed[1], "The price of a %s is %s.", it->one, pa);
        f->bad_kind[1] = "price swap";
        gc_fmt(f->bad[2], "You'll pay %s for a %s.", w, it->one);
        gc_fmt(f->bad_fixed[2], "You'll pay %s for a %s.", pa, it->one);
        f->bad_kind[2] = "price";
        f->n_bad = 3;
    }
    /* contact */
    int pa_ = gc_int(r, 100, 999), pb = gc_int(r, 1000, 9999);
    char ph[32], pha[32];
    int pst = gc_int(r, 0, 2), past = (pst + 1) % 3;
    gc_phone(ph, pa_, pb, pst);
    gc_phone(pha, pa_, pb, past);
    char mail[64], dom[48];
    snprintf(dom, sizeof dom, "%s.com", b == 0 ? "greenstreetbakery" : b == 1 ? "riversidedental"
                                    : b == 2 ? "spokeandchain" : "lotusroomyoga");
    snprintf(mail, sizeof mail, "%s@%s", gc_pick(r, (const char *const[]){"hello", "info", "contact"}, 3), dom);
    f = &B->facts[B->n_facts++];
    f->section = "Contact";
    gc_fmt(f->kb, "Call us on %s.", ph);
    gc_fmt(f->ok[0], "You can call us on %s.", pha);
    gc_fmt(f->ok[1], "Our phone number is %s.", pha);
    gc_fmt(f->ok[2], "Give us a ring at %s.", ph);
    f->n_ok = 3;
    gc_phone(w, pa_, (pb + gc_int(r, 1, 8)) % 10000 < 1000 ? pb - 1 : (pb + gc_int(r, 1, 8)) % 10000, past);
    gc_fmt(f->bad[0], "You can call us on %s.", w);
    gc_fmt(f->bad_fixed[0], "You can call us on %s.", pha);
    f->bad_kind[0] = "phone";
    f->n_bad = 1;
    f = &B->facts[B->n_facts++];
    f->section = "Contact";
    gc_fmt(f->kb, "For questions, email %s.", mail);
    gc_fmt(f->ok[0], "You can email us at %s.", mail);
    gc_fmt(f->ok[1], "Questions can be sent by email to %s.", mail);
    gc_fmt(f->ok[2], "Drop us an email at %s with any questions.", mail);
    f->n_ok = 3;
    char wm[64];
    snprintf(wm, sizeof wm, "%s@%s", strncmp(mail, "info", 4) ? "info" : "hello", dom);
    gc_fmt(f->bad[0], "You can email us at %s.", wm);
    gc_fmt(f->bad_fixed[0], "You can email us at %s.", mail);
    f->bad_kind[0] = "email";
    f->n_bad = 1;
    /* a person */
    int fi = gc_int(r, 0, 11), la = gc_int(r, 0, 9);
    f = &B->facts[B->n_facts++];
    f->section = "Our team";
    gc_fmt(f->kb, "Our %s is %s %s.", gc_role[b], gc_first[fi], gc_last[la]);
    gc_fmt(f->ok[0], "Our %s is %s %s.", gc_role[b], gc_first[fi], gc_last[la]);
    gc_fmt(f->ok[1], "%s %s is our %s.", gc_first[fi], gc_last[la], gc_role[b]);
    gc_fmt(f->ok[2], "The %s here is %s.", gc_role[b], gc_first[fi]);
    f->n_ok = 3;
    gc_fmt(f->bad[0], "Our %s is %s %s.", gc_role[b], gc_first[fi], gc_last[(la + 3) % 10]);
    gc_fmt(f->bad_fixed[0], "Our %s is %s %s.", gc_role[b], gc_first[fi], gc_last[la]);
    f->bad_kind[0] = "name";
    gc_fmt(f->bad[1], "%s %s is our %s.", gc_first[(fi + 5) % 12], gc_last[la], gc_role[b]);
    gc_fmt(f->bad_fixed[1], "%s %s is our %s.", gc_first[fi], gc_last[la], gc_role[b]);
    f->bad_kind[1] = "name";
    f->n_bad = 2;
    /* notice: a quantity of days */
    int days = gc_int(r, 2, 7);
    f = &B->facts[B->n_facts++];
    f->section = "Policies";
    gc_fmt(f->kb, "%s need %d days' notice.", gc_notice[b], days);
    gc_fmt(f->ok[0], "%s need %d days' notice.", gc_notice[b], days);
    gc_fmt(f->ok[1], "Please give us %d days' notice if you want to %s.", days, gc_notice_what[b]);
    gc_fmt(f->ok[2], "We need %d days' notice for %s.", days, b == 0 ? "cake orders" : b == 1 ? "new patients" : b == 2 ? "bike repairs" : "private sessions");
    f->n_ok = 3;
    gc_fmt(f->bad[0], "%s need %d days' notice.", gc_notice[b], days + gc_int(r, 1, 3));
    gc_fmt(f->bad_fixed[0], "%s need %d days' notice.", gc_notice[b], days);
    f->bad_kind[0] = "quantity";
    f->n_bad = 1;
    /* a percentage */
    int pct = 5 * gc_int(r, 1, 4);
    f = &B->facts[B->n_facts++];
    f->section = "Policies";
    gc_fmt(f->kb, "Students get a %d%% discount with a valid student card.", pct);
    gc_fmt(f->ok[0], "Students get %d%% off with a valid student card.", pct);
    gc_fmt(f->ok[1], "With a student card you get a %d%% discount.", pct);
    gc_fmt(f->ok[2], "There's a %d%% discount for students.", pct);
    f->n_ok = 3;
    gc_fmt(f->bad[0], "Students get %d%% off with a valid student card.", pct + 5);
    gc_fmt(f->bad_fixed[0], "Students get %d%% off with a valid student card.", pct);
    f->bad_kind[0] = "percentage";
    gc_fmt(f->bad[1], "There's a %d%% discount for students.", pct * 2);
    gc_fmt(f->bad_fixed[1], "There's a %d%% discount for students.", pct);
    f->bad_kind[1] = "percentage";
    f->n_bad = 2;
    /* a date range */
    int m1 = gc_int(r, 0, 11), d1 = gc_int(r, 1, 20), d2 = d1 + gc_int(r, 2, 7);
    f = &B->facts[B->n_facts++];
    f->section = "Holidays";
    gc_fmt(f->kb, "We are closed for our annual holiday from %s %d to %s %d.", gc_months[m1], d1,
           gc_months[m1], d2);
    gc_fmt(f->ok[0], "We're closed for our annual holiday from %s %d to %s %d.", gc_months[m1], d1,
           gc_months[m1], d2);
    gc_fmt(f->ok[1], "Our annual holiday closure runs from %d %s to %d %s.", d1, gc_months[m1], d2,
           gc_months[m1]);
    f->n_ok = 2;
    gc_fmt(f->bad[0], "We're closed for our annual holiday from %s %d to %s %d.", gc_months[m1], d1,
           gc_months[m1], d2 + 3);
    gc_fmt(f->bad_fixed[0], "We're closed for our annual holiday from %s %d to %s %d.", gc_months[m1], d1,
           gc_months[m1], d2);
    f->bad_kind[0] = "date";
    gc_fmt(f->bad[1], "Our annual holiday closure runs from %d %s to %d %s.", d1 + 1, gc_months[m1], d2,
           gc_months[m1]);
    gc_fmt(f->bad_fixed[1], "Our annual holiday closure runs from %d %s to %d %s.", d1, gc_months[m1], d2,
           gc_months[m1]);
    f->bad_kind[1] = "date";
    f->n_bad = 2;
    /* a negation */
    f = &B->facts[B->n_facts++];
    f->section = "Policies";
    gc_fmt(f->kb, "%s", gc_neg[b][0]);
    gc_fmt(f->ok[0], "%s", gc_neg[b][1]);
    f->n_ok = 1;
    gc_fmt(f->bad[0], "%s", gc_neg[b][2]);
    f->bad_fixed[0][0] = '\0';
    f->bad_kind[0] = "negation";
    f->n_bad = 1;
    /* a web address */
    f = &B->facts[B->n_facts++];
    f->section = "Contact";
    gc_fmt(f->kb, "Book online at https://www.%s/book.", dom);
    gc_fmt(f->ok[0], "You can book online at www.%s/book.", dom);
    f->n_ok = 1;
    gc_fmt(f->bad[0], "You can book online at www.%s/booking.", dom);
    gc_fmt(f->bad_fixed[0], "You can book online at www.%s/book.", dom);
    f->bad_kind[0] = "url";
    f->n_bad = 1;
    for (int i = 0; i < 4; i++) gc_fmt(B->invented[B->n_invented++], "%s", gc_invented[b][i]);
    for (int i = 0; i < 3; i++) gc_fmt(B->filler[B->n_filler++], "%s", gc_fillers[b][i]);
}

/* The business's knowledge-base document, in its format. Returns a malloc'ed string; *ext the
 * file extension. */
static char *gc_document(const gc_business *B, const char **ext)
{
    size_t cap = 1 << 16, n = 0;
    char *o = malloc(cap);
    if (!o) return NULL;
#define GC_PUT(...) n += (size_t)snprintf(o + n, cap - n, __VA_ARGS__)
    static const char *const sections[] = {"About us", "Opening hours", "Prices", "Contact",
                                           "Our team", "Policies", "Holidays"};
    if (B->format == 3) {
        *ext = "csv";
        GC_PUT("question,answer\n");
        GC_PUT("\"What is %s?\",\"%s %s\"\n", B->name, B->filler[0], B->filler[1]);
        for (int i = 0; i < B->n_facts; i++)
            GC_PUT("\"What about %s?\",\"%s\"\n", B->facts[i].section, B->facts[i].kb);
        return o;
    }
    *ext = B->format == 0 ? "md" : B->format == 1 ? "html" : "txt";
    if (B->format == 0) GC_PUT("# %s\n\n", B->name);
    if (B->format == 1) GC_PUT("<!DOCTYPE html>\n<html><head><title>%s</title><style>p{margin:0}</style></head><body>\n<h1>%s</h1>\n", B->name, B->name);
    if (B->format == 2) GC_PUT("%s\n\n", B->name);
    for (size_t s = 0; s < sizeof sections / sizeof *sections; s++) {
        if (B->format == 0) GC_PUT("## %s\n\n", sections[s]);
        else if (B->format == 1) GC_PUT("<h2>%s</h2>\n", sections[s]);
        else GC_PUT("%s\n", sections[s]);
        int list = !strcmp(sections[s], "Prices");
        if (B->format == 1 && list) GC_PUT("<ul>\n");
        if (!s)
            for (int i = 0; i < B->n_filler; i++)
                GC_PUT(B->format == 1 ? "<p>%s</p>\n" : "%s\n", B->filler[i]);
        for (int i = 0; i < B->n_facts; i++) {
            if (strcmp(B->facts[i].section, sections[s])) continue;
            if (list) GC_PUT(B->format == 1 ? "<li>%s</li>\n" : "- %s\n", B->facts[i].kb);
            else GC_PUT(B->format == 1 ? "<p>%s</p>\n" : "%s\n", B->facts[i].kb);
        }
        if (B->format == 1 && list) GC_PUT("</ul>\n");
        GC_PUT("\n");
    }
    if (B->format == 1) GC_PUT("</body></html>\n");
#undef GC_PUT
    return o;
}

/* One generated answer: its text and its sentences' labels. */
typedef struct gc_sent {
    size_t start, end;
    int wrong;        /* 1: a planted error */
    int claim;        /* 0: a greeting / offer (not a claim) */
    const char *kind; /* the error's kind */
    char fixed[GC_S]; /* the sentence fix should produce ("" = no repair expected) */
} gc_sent;

typedef struct gc_answer {
    char text[4096];
    size_t len;
    gc_sent s[8];
    int n;
    int business;
    int all_correct;
} gc_answer;

static const char *const gc_hello[] = {"Hi there!", "Hello!", "Thanks for your message.",
                                       "Great question!", "Sure."};
static const char *const gc_bye[] = {"Let me know if there's anything else I can help with!",
                                     "Is there anything else you'd like to know?",
                                     "Happy to help!", "Have a great day!",
                                     "Feel free to ask if you have more questions."};

static void gc_add(gc_answer *A, const char *s, int wrong, int claim, const char *kind,
                   const char *fixed)
{
    if (A->n >= 8) return;
    if (A->len) A->text[A->len++] = ' ';
    gc_sent *g = &A->s[A->n++];
    g->start = A->len;
    A->len += (size_t)snprintf(A->text + A->len, sizeof A->text - A->len, "%s", s);
    g->end = A->len;
    g->wrong = wrong;
    g->claim = claim;
    g->kind = kind;
    snprintf(g->fixed, sizeof g->fixed, "%s", fixed ? fixed : "");
}

/* An answer of 2-4 fact sentences; with probability p_wrong each is wrong (one planted error). */
static void gc_answer_make(gc_answer *A, const gc_business *B, int b, gc_rng *r, int p_wrong_pct)
{
    memset(A, 0, sizeof *A);
    A->business = b;
    A->all_correct = 1;
    if (gc_int(r, 0, 1)) gc_add(A, gc_pick(r, gc_hello, 5), 0, 0, NULL, NULL);
    int k = gc_int(r, 2, 4);
    int used[24] = {0};
    for (int i = 0; i < k; i++) {
        int fi, guard = 0;
        do fi = gc_int(r, 0, B->n_facts - 1);
        while (used[fi] && ++guard < 50);
        used[fi] = 1;
        const gc_fact *f = &B->facts[fi];
        if (gc_int(r, 1, 100) <= p_wrong_pct) {
            A->all_correct = 0;
            if (gc_int(r, 1, 100) <= 12) {
                gc_add(A, B->invented[gc_int(r, 0, B->n_invented - 1)], 1, 1, "invented", NULL);
            } else {
                int j = gc_int(r, 0, f->n_bad - 1);
                gc_add(A, f->bad[j], 1, 1, f->bad_kind[j], f->bad_fixed[j]);
            }
        } else {
            gc_add(A, f->ok[gc_int(r, 0, f->n_ok - 1)], 0, 1, NULL, NULL);
        }
    }
    if (gc_int(r, 0, 1)) gc_add(A, gc_pick(r, gc_bye, 5), 0, 0, NULL, NULL);
}

#endif
