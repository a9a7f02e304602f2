/* polish — sentences, words and typed values (prices, times, dates, phones ...) of English text.
 * No model: rules over bytes, UTF-8 aware where it matters (currency signs, letters). */
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include "core/internal.h"
#include "text/textutil.h"

static int is_alpha_byte(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c >= 0x80;
}
static int is_digit(unsigned char c)
{
    return c >= '0' && c <= '9';
}
static int is_space(unsigned char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

/* ---- sentences ------------------------------------------------------------------------------ */

static const char *const abbrevs[] = {"e.g", "i.e", "etc", "mr", "mrs", "ms", "dr", "st", "no",
                                      "vs", "approx", "inc", "ltd", "co", "jr", "sr", "a.m",
                                      "p.m", "am", "pm", "mon", "tue", "wed", "thu", "fri", "sat",
                                      "sun", "jan", "feb", "mar", "apr", "jun", "jul", "aug",
                                      "sep", "sept", "oct", "nov", "dec", "ave", "blvd", "rd",
                                      "tel", "ph", "min", "hr", "hrs", "mins", "dept", "u.s", NULL};

/* Is the '.' at text[i] the end of an abbreviation ("e.g.", "Dr.", "a.m.")? */
static int abbrev_before(const char *t, size_t i)
{
    size_t b = i;
    while (b > 0 && (is_alpha_byte((unsigned char)t[b - 1]) || t[b - 1] == '.')) b--;
    size_t n = i - b;
    if (!n || n > 6) return 0;
    for (int k = 0; abbrevs[k]; k++)
        if (strlen(abbrevs[k]) == n && strncasecmp(t + b, abbrevs[k], n) == 0) return 1;
    return n == 1 && t[b] >= 'A' && t[b] <= 'Z'; /* an initial: "J. Smith" */
}

static int push_span(pol__span **v, long *n, size_t *cap, size_t s, size_t e, const char *t)
{
    while (s < e && is_space((unsigned char)t[s])) s++;
    while (e > s && is_space((unsigned char)t[e - 1])) e--;
    /* list markers are not part of the sentence */
    if (e - s >= 2 && (t[s] == '-' || t[s] == '*' || t[s] == '+') && t[s + 1] == ' ') s += 2;
    while (s < e && is_space((unsigned char)t[s])) s++;
    if (s >= e) return 0;
    if ((size_t)*n == *cap) {
        size_t c = *cap ? *cap * 2 : 16;
        pol__span *p = realloc(*v, c * sizeof *p);
        if (!p) return -1;
        *v = p;
        *cap = c;
    }
    (*v)[*n].start = s;
    (*v)[*n].end = e;
    (*n)++;
    return 0;
}

/* Does the line ending at t[nl] (a new line) go on in the next one? Plain-text documents wrap
 * their paragraphs at about 72 columns: a long line of prose followed by more prose is one
 * paragraph. A blank line, a list item, a heading, a quote or a table row after it, a short line
 * (a heading, a field) or a line ending with ':' ends the sentence. */
static int wrapped_line(const char *t, size_t n, size_t nl)
{
    size_t ls = nl;
    while (ls > 0 && t[ls - 1] != '\n') ls--;
    size_t le = nl;
    while (le > ls && is_space((unsigned char)t[le - 1])) le--;
    while (ls < le && is_space((unsigned char)t[ls])) ls++;
    if (le - ls < 40 || t[le - 1] == ':') return 0;
    size_t k = nl + 1;
    while (k < n && (t[k] == ' ' || t[k] == '\t')) k++;
    if (k >= n || t[k] == '\n' || t[k] == '\r') return 0;
    unsigned char c = (unsigned char)t[k];
    if (c == '-' || c == '*' || c == '+' || c == '#' || c == '>' || c == '|' || c == '=') return 0;
    if (c >= '0' && c <= '9') {
        size_t j = k;
        while (j < n && t[j] >= '0' && t[j] <= '9') j++;
        if (j < n && (t[j] == '.' || t[j] == ')')) return 0; /* "1. item" */
    }
    if (c == '(') { /* "(2) item", "(b) item" */
        size_t j = k + 1;
        while (j < n && j < k + 4 && ((t[j] >= '0' && t[j] <= '9') || ((t[j] | 32) >= 'a' && (t[j] | 32) <= 'z')))
            j++;
        if (j > k + 1 && j < n && t[j] == ')') return 0;
    }
    if (c == 0xE2 && k + 2 < n && (unsigned char)t[k + 1] == 0x80 &&
        (unsigned char)t[k + 2] == 0xA2)
        return 0; /* a bullet */
    /* "User: ..." lines of a chat, "Q: ..." of a FAQ: a label starts a new line */
    size_t j = k;
    while (j < n && j < k + 16 && ((t[j] | 32) >= 'a' && (t[j] | 32) <= 'z')) j++;
    if (j < n && j > k && t[j] == ':') return 0;
    return 1;
}

long pol__sentences(const char *t, size_t n, pol__span **out)
{
    pol__span *v = NULL;
    long cnt = 0;
    size_t cap = 0, s = 0;
    for (size_t i = 0; i < n; i++) {
        char c = t[i];
        size_t end = 0;
        if (c == '\n') {
            if (wrapped_line(t, n, i)) continue; /* a hard-wrapped line of prose goes on */
            end = i;
        } else if (c == '.' || c == '!' || c == '?') {
            size_t j = i + 1;
            while (j < n && (t[j] == '.' || t[j] == '!' || t[j] == '?' || t[j] == '"' ||
                             t[j] == ')' || t[j] == '\''))
                j++;
            if (j < n && !is_space((unsigned char)t[j])) continue; /* 4.50, example.com */
            /* "No." abbreviates a number only before one ("No. 5"): "No. The ..." is an answer */
            int no_word = c == '.' && i >= 2 && (t[i - 2] | 32) == 'n' && (t[i - 1] | 32) == 'o' &&
                          (i == 2 || !is_alpha_byte((unsigned char)t[i - 3]));
            if (no_word) {
                size_t k = j;
                while (k < n && (t[k] == ' ' || t[k] == '\n' || t[k] == '\r' || t[k] == '\t')) k++;
                no_word = !(k < n && ((t[k] >= '0' && t[k] <= '9') || t[k] == '#'));
            }
            if (c == '.' && !no_word && abbrev_before(t, i)) {
                /* "9 a.m. Monday" stays together; "... 6 p.m. We" ends */
                size_t k = j;
                while (k < n && (t[k] == ' ' || t[k] == '\n' || t[k] == '\r')) k++;
                if (!(k < n && t[k] >= 'A' && t[k] <= 'Z')) continue;
                /* "6 p.m. We", "and so on, etc. This": these end a sentence */
                int etc = i >= 3 && strncasecmp(t + i - 3, "etc", 3) == 0;
                if (!((i >= 2 && (t[i - 1] == 'm' || t[i - 1] == 'M')) || etc)) continue;
            }
            end = j;
            i = j - 1;
        } else {
            continue;
        }
        if (push_span(&v, &cnt, &cap, s, end, t)) {
            free(v);
            return -1;
        }
        s = end + (c == '\n');
    }
    if (push_span(&v, &cnt, &cap, s, n, t)) {
        free(v);
        return -1;
    }
    *out = v;
    return cnt;
}

/* ---- words ---------------------------------------------------------------------------------- */

static const char *const stopwords[] = {
    "a", "an", "the", "and", "or", "but", "if", "of", "to", "in", "on", "at", "by", "for",
    "from", "with", "as", "is", "are", "was", "were", "be", "been", "being", "am", "it", "its",
    "this", "that", "these", "those", "we", "our", "ours", "us", "you", "your", "yours", "i",
    "me", "my", "they", "them", "their", "he", "she", "his", "her", "do", "does", "did", "have",
    "has", "had", "will", "would", "can", "could", "shall", "should", "may", "might", "must",
    "there", "here", "so", "also", "just", "very", "about", "into", "than", "then", "too",
    "any", "all", "each", "which", "who", "what", "when", "where", "how", "up", "out", "per",
    "until", "till", "through", "thru", "between", "both", "get", "gets", "got", "please",
    "currently", "usually", "only", "every", "some", "more", "most", "such", "that's", "it's",
    "we're", "we've", "we'll", "you're", "you'll", "there's", "let", "s", "re", "ll", "ve",
    "d", "t", "m", "via", "within", "after", "before", "over", "under", "around", "one",
    "day", "days", "week", "weeks", "minute", "minutes", "hour", "month", "months", "year",
    "years", "time", "times", "daily", "weekly", "am", "pm", "a.m", "p.m", "want", "wants",
    "give", "gives", "need", "needs", "like", "make", "use", "know", "help", "able", "able",
    "always", "each", NULL};

static const char *const negators[] = {"not", "no", "never", "cannot", "can't", "don't",
                                       "doesn't", "isn't", "aren't", "won't", "didn't",
                                       "wasn't", "weren't", "without", "none", "nor", "neither",
                                       "unable", "n't", "nothing", "nobody", NULL};

int pol__is_negator(const char *low)
{
    for (int k = 0; negators[k]; k++)
        if (!strcmp(low, negators[k])) return 1;
    size_t n = strlen(low);
    return n > 3 && !strcmp(low + n - 3, "n't");
}

static int is_stop(const char *low)
{
    for (int k = 0; stopwords[k]; k++)
        if (!strcmp(low, stopwords[k])) return 1;
    return 0;
}

/* Words that mean the same for checking, folded to one form. */
static const char *const synonyms[][2] = {
    {"cost", "price"}, {"costs", "price"}, {"priced", "price"}, {"prices", "price"},
    {"charge", "price"}, {"charges", "price"}, {"fee", "price"}, {"fees", "price"},
    {"rate", "price"}, {"rates", "price"}, {"pay", "price"}, {"costing", "price"},
    {"opens", "open"}, {"opening", "open"}, {"hours", "open"}, {"closes", "open"},
    {"closing", "open"}, {"close", "open"}, {"shut", "closed"}, {"closure", "closed"},
    {"telephone", "phone"}, {"call", "phone"}, {"ring", "phone"}, {"number", "phone"},
    {"e-mail", "email"}, {"mail", "email"}, {"emails", "email"},
    {"booking", "book"}, {"bookings", "book"}, {"reserve", "book"}, {"reservation", "book"},
    {"reservations", "book"}, {"appointment", "book"}, {"appointments", "book"},
    {"booked", "book"}, {"cancellation", "cancel"}, {"cancellations", "cancel"},
    {"cancelled", "cancel"}, {"canceled", "cancel"}, {"cancelling", "cancel"},
    {"refunds", "refund"}, {"refunded", "refund"}, {"delivery", "deliver"},
    {"deliveries", "deliver"}, {"delivered", "deliver"}, {"shipping", "deliver"},
    {"ship", "deliver"}, {"ships", "deliver"}, {"shipped", "deliver"},
    {"located", "address"}, {"location", "address"}, {"find", "address"},
    {"situated", "address"}, {"website", "web"}, {"site", "web"}, {"online", "web"},
    {"purchase", "buy"}, {"order", "buy"}, {"orders", "buy"}, {"ordered", "buy"},
    {"guarantee", "warranty"}, {"guaranteed", "warranty"}, {"warranties", "warranty"},
    {"returns", "return"}, {"returned", "return"}, {"allowed", "allow"}, {"permit", "allow"},
    {"permitted", "allow"}, {"welcome", "allow"}, {"accepted", "accept"}, {"accepts", "accept"},
    {"take", "accept"}, {"staff", "team"}, {"employees", "team"}, {"customers", "customer"},
    {"clients", "customer"}, {"client", "customer"}, {"guests", "customer"},
    {"guest", "customer"}, {"kids", "child"}, {"children", "child"}, {"discounts", "discount"},
    {"off", "discount"}, {"complimentary", "free"}, {"reach", "contact"}, {"contacted", "contact"},
    {"begin", "start"}, {"begins", "start"}, {"starts", "start"}, {"starting", "start"},
    {"finish", "end"}, {"ends", "end"}, {"last", "end"}, {"lasts", "end"}, {"takes", "end"},
    {"provide", "offer"}, {"provides", "offer"}, {"offers", "offer"}, {"offered", "offer"},
    {"available", "offer"}, {"serve", "offer"}, {"serves", "offer"}, {"served", "offer"},
};

size_t pol__synonyms(const char *low, const char **out, size_t max)
{
    const char *canon = NULL;
    for (size_t k = 0; k < sizeof synonyms / sizeof synonyms[0] && !canon; k++)
        if (!strcmp(low, synonyms[k][0]) || !strcmp(low, synonyms[k][1])) canon = synonyms[k][1];
    size_t n = 0;
    if (!canon) return 0;
    if (strcmp(canon, low) && n < max) out[n++] = canon;
    for (size_t k = 0; k < sizeof synonyms / sizeof synonyms[0] && n < max; k++)
        if (!strcmp(synonyms[k][1], canon) && strcmp(synonyms[k][0], low)) out[n++] = synonyms[k][0];
    return n;
}

static void stem_of(const char *low, char *out)
{
    for (size_t k = 0; k < sizeof synonyms / sizeof synonyms[0]; k++)
        if (!strcmp(low, synonyms[k][0])) {
            snprintf(out, POL_WORD_MAX, "%s", synonyms[k][1]);
            return;
        }
    size_t n = strlen(low);
    char w[POL_WORD_MAX];
    snprintf(w, sizeof w, "%s", low);
    if (n > 2 && w[n - 2] == '\'' && w[n - 1] == 's') w[n -= 2] = '\0';
    if (n > 4 && !strcmp(w + n - 3, "ies")) {
        w[n - 3] = 'y';
        w[n -= 2] = '\0';
    } else if (n > 4 && !strcmp(w + n - 4, "sses")) {
        w[n -= 2] = '\0';
    } else if (n > 3 && w[n - 1] == 's' && w[n - 2] != 's' && w[n - 2] != 'u' && w[n - 2] != 'i') {
        w[--n] = '\0';
    }
    if (n > 5 && !strcmp(w + n - 3, "ing")) w[n -= 3] = '\0';
    else if (n > 4 && !strcmp(w + n - 2, "ed")) w[n -= 2] = '\0';
    if (n > 3 && w[n - 1] == 'e') w[--n] = '\0';
    for (size_t k = 0; k < sizeof synonyms / sizeof synonyms[0]; k++)
        if (!strcmp(w, synonyms[k][0])) {
            snprintf(out, POL_WORD_MAX, "%s", synonyms[k][1]);
            return;
        }
    snprintf(out, POL_WORD_MAX, "%s", w);
}

long pol__words(const char *t, size_t n, pol__word **out)
{
    pol__word *v = NULL;
    size_t cap = 0;
    long cnt = 0;
    size_t i = 0;
    while (i < n) {
        unsigned char c = (unsigned char)t[i];
        if (!is_alpha_byte(c) && !is_digit(c)) {
            i++;
            continue;
        }
        size_t s = i;
        while (i < n) {
            unsigned char d = (unsigned char)t[i];
            if (is_alpha_byte(d) || is_digit(d)) {
                i++;
                continue;
            }
            /* inner apostrophes, hyphens, dots and commas of numbers */
            if ((d == '\'' || d == '-' || ((d == '.' || d == ',') && is_digit((unsigned char)t[s]))) &&
                i + 1 < n && (is_alpha_byte((unsigned char)t[i + 1]) || is_digit((unsigned char)t[i + 1]))) {
                i++;
                continue;
            }
            /* U+2019 as an apostrophe */
            if (d == 0xE2 && i + 2 < n && (unsigned char)t[i + 1] == 0x80 &&
                (unsigned char)t[i + 2] == 0x99 && i + 3 < n && is_alpha_byte((unsigned char)t[i + 3])) {
                i += 3;
                continue;
            }
            break;
        }
        if ((size_t)cnt == cap) {
            size_t nc = cap ? cap * 2 : 32;
            pol__word *p = realloc(v, nc * sizeof *p);
            if (!p) {
                free(v);
                return -1;
            }
            v = p;
            cap = nc;
        }
        pol__word *w = &v[cnt++];
        memset(w, 0, sizeof *w);
        w->start = s;
        w->end = i;
        size_t k = 0;
        for (size_t j = s; j < i && k + 1 < POL_WORD_MAX; j++) {
            unsigned char d = (unsigned char)t[j];
            if (d == 0xE2 && j + 2 < i && (unsigned char)t[j + 1] == 0x80 &&
                (unsigned char)t[j + 2] == 0x99) {
                w->low[k++] = '\'';
                j += 2;
                continue;
            }
            w->low[k++] = (char)(d >= 'A' && d <= 'Z' ? d + 32 : d);
        }
        w->low[k] = '\0';
        w->cap = c >= 'A' && c <= 'Z';
        w->digit = is_digit(c);
        w->stop = is_stop(w->low) || pol__is_negator(w->low);
        stem_of(w->low, w->stem);
    }
    *out = v;
    return cnt;
}

/* ---- typed values --------------------------------------------------------------------------- */

static const char *const vnames[] = {"price", "percentage", "time", "date", "duration", "phone",
                                     "email", "url", "number", "weekday", "name"};

const char *pol__vtype_name(pol__vtype t)
{
    return (unsigned)t < POL_V_COUNT ? vnames[t] : "?";
}

void pol__vals_free(pol__vals *v)
{
    free(v->v);
    memset(v, 0, sizeof *v);
}

static pol__val *add_val(pol__vals *vs, pol__vtype t, size_t s, size_t e)
{
    if (vs->oom) return NULL;
    if (POL_GROW(vs->v, vs->cap, vs->n + 1, 16)) {
        vs->oom = 1;
        return NULL;
    }
    pol__val *v = &vs->v[vs->n++];
    memset(v, 0, sizeof *v);
    v->type = t;
    v->start = s;
    v->end = e;
    return v;
}

/* Marks taken bytes so later patterns skip them. */
typedef struct scan {
    const char *t;
    size_t n;
    unsigned char *used;
    pol__vals *out;
} scan;

static int free_span(const scan *sc, size_t s, size_t e)
{
    for (size_t i = s; i < e; i++)
        if (sc->used[i]) return 0;
    return 1;
}

static pol__val *take(scan *sc, pol__vtype t, size_t s, size_t e)
{
    if (!free_span(sc, s, e)) return NULL;
    memset(sc->used + s, 1, e - s);
    return add_val(sc->out, t, s, e);
}

static int word_boundary_before(const scan *sc, size_t i)
{
    return i == 0 || !(is_alpha_byte((unsigned char)sc->t[i - 1]) || is_digit((unsigned char)sc->t[i - 1]));
}

static int ci_at(const scan *sc, size_t i, const char *w)
{
    if (i >= sc->n || (sc->t[i] | 32) != (w[0] | 32)) return 0; /* most positions fail here */
    size_t m = strlen(w);
    return i + m <= sc->n && strncasecmp(sc->t + i, w, m) == 0 &&
           (i + m == sc->n || !is_alpha_byte((unsigned char)sc->t[i + m]));
}

static size_t skip_sp(const scan *sc, size_t i)
{
    while (i < sc->n && (sc->t[i] == ' ' || sc->t[i] == '\t')) i++;
    return i;
}

/* A number at i: digits with thousands commas and a decimal part. Returns its end (i if none). */
static size_t number_at(const scan *sc, size_t i, double *v, int *decimals)
{
    const char *t = sc->t;
    size_t j = i;
    if (j >= sc->n || !is_digit((unsigned char)t[j])) return i;
    double x = 0;
    int dec = 0;
    while (j < sc->n) {
        if (is_digit((unsigned char)t[j])) {
            x = x * 10 + (t[j] - '0');
            j++;
        } else if (t[j] == ',' && j + 3 < sc->n + 1 && j + 3 <= sc->n && is_digit((unsigned char)t[j + 1]) &&
                   is_digit((unsigned char)t[j + 2]) && is_digit((unsigned char)t[j + 3]) &&
                   (j + 4 >= sc->n || !is_digit((unsigned char)t[j + 4]))) {
            j++;
        } else {
            break;
        }
    }
    if (j + 1 < sc->n && t[j] == '.' && is_digit((unsigned char)t[j + 1])) {
        j++;
        double f = 0.1;
        while (j < sc->n && is_digit((unsigned char)t[j])) {
            x += (t[j] - '0') * f;
            f /= 10;
            dec++;
            j++;
        }
    }
    *v = x;
    if (decimals) *decimals = dec;
    return j;
}

static const struct {
    const char *w;
    int v;
} numwords[] = {{"zero", 0},     {"one", 1},       {"two", 2},        {"three", 3},
                {"four", 4},     {"five", 5},      {"six", 6},        {"seven", 7},
                {"eight", 8},    {"nine", 9},      {"ten", 10},       {"eleven", 11},
                {"twelve", 12},  {"thirteen", 13}, {"fourteen", 14},  {"fifteen", 15},
                {"sixteen", 16}, {"twenty", 20},   {"thirty", 30},    {"forty", 40},
                {"fifty", 50},   {"sixty", 60},    {"ninety", 90},    {"a dozen", 12},
                {"a hundred", 100}, {"half an", 0}, {"a", 1},          {"an", 1}, {NULL, 0}};

/* A number written as a word at i ("three", "a"); returns the end or i. */
static size_t numword_at(const scan *sc, size_t i, double *v, int allow_article)
{
    if (!word_boundary_before(sc, i)) return i;
    for (int k = 0; numwords[k].w; k++) {
        if (!allow_article && (!strcmp(numwords[k].w, "a") || !strcmp(numwords[k].w, "an") ||
                               !strcmp(numwords[k].w, "half an")))
            continue;
        if (ci_at(sc, i, numwords[k].w)) {
            *v = numwords[k].v;
            if (!strcmp(numwords[k].w, "half an")) *v = 0.5;
            return i + strlen(numwords[k].w);
        }
    }
    return i;
}

static const struct {
    const char *sym;
    const char *code;
    int after; /* written after the amount */
} currencies[] = {{"$", "USD", 0},     {"US$", "USD", 0}, {"\xE2\x82\xAC", "EUR", 0},
                  {"\xC2\xA3", "GBP", 0}, {"\xC2\xA5", "JPY", 0}, {"USD", "USD", 2},
                  {"EUR", "EUR", 2},   {"GBP", "GBP", 2}, {"dollars", "USD", 1},
                  {"dollar", "USD", 1}, {"euros", "EUR", 1}, {"euro", "EUR", 1},
                  {"pounds", "GBP", 1}, {"bucks", "USD", 1}, {"\xE2\x82\xAC", "EUR", 1},
                  {NULL, NULL, 0}};

static void find_money(scan *sc)
{
    for (size_t i = 0; i < sc->n; i++) {
        /* symbol or code before: "$35", "€12.50", "USD 40" */
        for (int k = 0; currencies[k].sym; k++) {
            if (currencies[k].after == 1) continue;
            size_t m = strlen(currencies[k].sym);
            if (i + m > sc->n || strncmp(sc->t + i, currencies[k].sym, m)) continue;
            if (currencies[k].after == 2 && !word_boundary_before(sc, i)) continue;
            size_t j = skip_sp(sc, i + m);
            double v;
            int dec;
            size_t e = number_at(sc, j, &v, &dec);
            if (e == j) continue;
            pol__val *x = take(sc, POL_V_MONEY, i, e);
            if (!x) continue;
            x->num = v;
            x->decimals = (unsigned char)dec;
            x->space = j > i + m;
            snprintf(x->str, sizeof x->str, "%s", currencies[k].code);
            i = e - 1;
            break;
        }
    }
    /* "free", "free of charge", "at no cost": a price of nothing */
    static const char *const nothing[] = {"free of charge", "at no cost", "at no charge",
                                          "no charge", "complimentary", "free", NULL};
    for (size_t i = 0; i < sc->n; i++) {
        if (!word_boundary_before(sc, i) || sc->used[i]) continue;
        for (int k = 0; nothing[k]; k++) {
            if (!ci_at(sc, i, nothing[k])) continue;
            size_t e = i + strlen(nothing[k]);
            if (e < sc->n && sc->t[e] == '-') break; /* "gluten-free" is not a price */
            if (i > 0 && sc->t[i - 1] == '-') break;
            if (i >= 5 && !strncasecmp(sc->t + i - 5, "feel ", 5)) break; /* "feel free to ask" */
            if (ci_at(sc, e + 1, "to") && !strcmp(nothing[k], "free")) break; /* "free to choose" */
            pol__val *x = take(sc, POL_V_MONEY, i, e);
            if (x) x->free = 1;
            i = e - 1;
            break;
        }
    }
    /* amount then word or code: "35 dollars", "12 EUR", "12€" */
    for (size_t i = 0; i < sc->n; i++) {
        if (!is_digit((unsigned char)sc->t[i]) || !word_boundary_before(sc, i) || sc->used[i]) continue;
        double v;
        int dec;
        size_t e = number_at(sc, i, &v, &dec);
        size_t j = skip_sp(sc, e);
        for (int k = 0; currencies[k].sym; k++) {
            if (!currencies[k].after) continue;
            size_t m = strlen(currencies[k].sym);
            if (j + m > sc->n || strncasecmp(sc->t + j, currencies[k].sym, m)) continue;
            if (j + m < sc->n && is_alpha_byte((unsigned char)sc->t[j + m]) && currencies[k].sym[0] != '\xE2') continue;
            pol__val *x = take(sc, POL_V_MONEY, i, j + m);
            if (!x) break;
            x->num = v;
            x->decimals = (unsigned char)dec;
            x->symbol_after = 1;
            snprintf(x->str, sizeof x->str, "%s", currencies[k].code);
            i = j + m - 1;
            break;
        }
    }
}

static void find_email_url(scan *sc)
{
    const char *t = sc->t;
    for (size_t i = 0; i < sc->n; i++) {
        if (t[i] != '@') continue;
        size_t s = i, e = i + 1;
        while (s > 0 && (isalnum((unsigned char)t[s - 1]) || strchr("._%+-'", t[s - 1]))) s--;
        while (e < sc->n && (isalnum((unsigned char)t[e]) || t[e] == '.' || t[e] == '-')) e++;
        while (e > i + 1 && (t[e - 1] == '.' || t[e - 1] == '-')) e--;
        while (s < i && (t[s] == '.' || t[s] == '\'')) s++;
        if (s == i || e <= i + 3 || !memchr(t + i, '.', e - i)) continue;
        pol__val *x = take(sc, POL_V_EMAIL, s, e);
        if (!x) continue;
        size_t k = 0;
        for (size_t j = s; j < e && k + 1 < sizeof x->str; j++) x->str[k++] = (char)tolower((unsigned char)t[j]);
        x->str[k] = '\0';
        i = e;
    }
    for (size_t i = 0; i < sc->n; i++) {
        size_t s = i;
        int ok = 0;
        if (ci_at(sc, i, "http") || !strncasecmp(t + i, "https://", 8 < sc->n - i ? 8 : sc->n - i) ||
            (i + 7 <= sc->n && !strncasecmp(t + i, "http://", 7)) ||
            (i + 8 <= sc->n && !strncasecmp(t + i, "https://", 8)))
            ok = 1;
        if (!ok && i + 4 <= sc->n && !strncasecmp(t + i, "www.", 4) && word_boundary_before(sc, i)) ok = 1;
        if (!ok) {
            /* a bare domain: word.tld (com, org, net, io, co, uk, us, shop) followed by / or end */
            static const char *const tlds[] = {".com", ".org", ".net", ".io", ".co.uk", ".co",
                                               ".shop", ".biz", ".info", NULL};
            if (!word_boundary_before(sc, i) || !isalnum((unsigned char)t[i])) continue;
            size_t e = i;
            while (e < sc->n && (isalnum((unsigned char)t[e]) || t[e] == '-' || t[e] == '.')) e++;
            while (e > i && t[e - 1] == '.') e--;
            for (int k = 0; tlds[k] && !ok; k++) {
                size_t m = strlen(tlds[k]);
                for (size_t d = i + 1; d + m <= e; d++)
                    if (!strncasecmp(t + d, tlds[k], m) && (d + m == e || t[d + m] == '.' || t[d + m] == '/')) {
                        ok = 1;
                        break;
                    }
            }
            if (!ok || (i > 0 && t[i - 1] == '@')) continue;
        }
        size_t e = s;
        while (e < sc->n && !is_space((unsigned char)t[e]) && t[e] != '<' && t[e] != '>' &&
               t[e] != '"' && t[e] != ')' && t[e] != ',')
            e++;
        while (e > s && strchr(".,;:!?", t[e - 1])) e--;
        if (!free_span(sc, s, e)) continue;
        pol__val *x = take(sc, POL_V_URL, s, e);
        if (!x) continue;
        size_t j = s;
        if (!strncasecmp(t + j, "https://", 8)) j += 8, x->symbol_after |= 1;
        else if (!strncasecmp(t + j, "http://", 7)) j += 7, x->symbol_after |= 1;
        if (e - j >= 4 && !strncasecmp(t + j, "www.", 4)) j += 4, x->symbol_after |= 2;
        size_t k = 0, end = e;
        if (end > j && t[end - 1] == '/') end--;
        for (; j < end && k + 1 < sizeof x->str; j++) x->str[k++] = (char)tolower((unsigned char)t[j]);
        x->str[k] = '\0';
        i = e;
    }
}

static void find_phone(scan *sc)
{
    const char *t = sc->t;
    for (size_t i = 0; i < sc->n; i++) {
        if (!(is_digit((unsigned char)t[i]) || t[i] == '+' || t[i] == '(') || !word_boundary_before(sc, i) || sc->used[i])
            continue;
        size_t j = i;
        char digits[24];
        int nd = 0, seps = 0, plus = t[i] == '+';
        while (j < sc->n && nd < 20) {
            char c = t[j];
            if (is_digit((unsigned char)c)) digits[nd++] = c;
            else if (c == ' ' || c == '-' || c == '.' || c == '(' || c == ')' || (c == '+' && j == i)) {
                if (c == '.' && (j + 1 >= sc->n || !is_digit((unsigned char)t[j + 1]))) break;
                if (c == ' ' && (j + 1 >= sc->n || !(is_digit((unsigned char)t[j + 1]) || t[j + 1] == '('))) break;
                if (c != '+') seps++;
            } else {
                break;
            }
            j++;
        }
        while (j > i && !is_digit((unsigned char)t[j - 1])) j--;
        digits[nd] = '\0';
        if (nd < 7 || nd > 15 || (!seps && !plus && nd < 10)) continue;
        if (j < sc->n && (is_alpha_byte((unsigned char)t[j]) || t[j] == '%')) continue;
        /* not a date "2026-03-04", not a range "9-5", not a money amount */
        if (nd == 8 && t[i + 4] == '-') continue;
        if (!plus && seps == 0 && nd > 12) continue;
        pol__val *x = take(sc, POL_V_PHONE, i, j);
        if (!x) continue;
        const char *d = digits;
        if (nd == 11 && digits[0] == '1') d++; /* NANP country code */
        snprintf(x->str, sizeof x->str, "%s", d);
        /* its written pattern ("(###) ###-####"), kept after the digits for a replacement */
        size_t pk = 24, nd_seen = 0;
        for (size_t q = i; q < j && pk + 1 < sizeof x->str; q++) {
            int dig = is_digit((unsigned char)t[q]);
            x->str[pk++] = dig && !(d != digits && nd_seen == 0) ? '#' : t[q];
            nd_seen += dig;
        }
        x->str[pk] = '\0';
        x->decimals = (unsigned char)strlen(d);
        i = j;
    }
}

static const char *const months[] = {"january", "february", "march", "april", "may", "june",
                                     "july", "august", "september", "october", "november",
                                     "december", NULL};

static int month_at(const scan *sc, size_t i, size_t *end)
{
    if (!word_boundary_before(sc, i)) return 0;
    for (int m = 0; months[m]; m++) {
        size_t full = strlen(months[m]);
        if (ci_at(sc, i, months[m])) {
            *end = i + full;
            return m + 1;
        }
        /* "Mar", "Sept", "Dec." */
        if (m != 4 && i + 3 <= sc->n && !strncasecmp(sc->t + i, months[m], 3)) {
            size_t e = i + 3;
            if (m == 8 && e < sc->n && (sc->t[e] == 't' || sc->t[e] == 'T')) e++;
            if (e < sc->n && is_alpha_byte((unsigned char)sc->t[e])) continue;
            if (e < sc->n && sc->t[e] == '.') e++;
            /* "Mar" alone could be a word: only when a day number is next or before */
            *end = e;
            return m + 1;
        }
    }
    return 0;
}

static void find_dates(scan *sc)
{
    const char *t = sc->t;
    for (size_t i = 0; i < sc->n; i++) {
        if (sc->used[i] || !word_boundary_before(sc, i)) continue;
        size_t e;
        int m = month_at(sc, i, &e);
        double d = 0, y = 0;
        if (m) {
            /* "March 4", "March 4th, 2026", "March 2026" */
            size_t j = skip_sp(sc, e);
            size_t de = number_at(sc, j, &d, NULL);
            if (de > j && d >= 1 && d <= 31 && de - j <= 2) {
                size_t k = de;
                if (k + 2 <= sc->n && (!strncasecmp(t + k, "st", 2) || !strncasecmp(t + k, "nd", 2) ||
                                       !strncasecmp(t + k, "rd", 2) || !strncasecmp(t + k, "th", 2)))
                    k += 2;
                size_t end = k;
                size_t yj = k;
                if (yj < sc->n && t[yj] == ',') yj++;
                yj = skip_sp(sc, yj);
                size_t ye = number_at(sc, yj, &y, NULL);
                if (ye - yj == 4 && y >= 1900 && y <= 2200) end = ye;
                else y = 0;
                pol__val *x = take(sc, POL_V_DATE, i, end);
                if (x) {
                    x->num = y * 10000 + m * 100 + d;
                    x->has_year = y > 0;
                    i = end;
                }
                continue;
            }
            continue;
        }
        /* "4 March", "4th of March 2026" */
        if (is_digit((unsigned char)t[i])) {
            size_t de = number_at(sc, i, &d, NULL);
            if (de - i <= 2 && d >= 1 && d <= 31) {
                size_t k = de;
                if (k + 2 <= sc->n && (!strncasecmp(t + k, "st", 2) || !strncasecmp(t + k, "nd", 2) ||
                                       !strncasecmp(t + k, "rd", 2) || !strncasecmp(t + k, "th", 2)))
                    k += 2;
                k = skip_sp(sc, k);
                if (k + 3 <= sc->n && !strncasecmp(t + k, "of ", 3)) k = skip_sp(sc, k + 3);
                size_t me;
                int mm = month_at(sc, k, &me);
                if (mm && k > de) {
                    size_t end = me, yj = skip_sp(sc, me);
                    size_t ye = number_at(sc, yj, &y, NULL);
                    if (ye - yj == 4 && y >= 1900 && y <= 2200) end = ye;
                    else y = 0;
                    pol__val *x = take(sc, POL_V_DATE, i, end);
                    if (x) {
                        x->symbol_after = 1; /* day first */
                        x->num = y * 10000 + mm * 100 + d;
                        x->has_year = y > 0;
                        i = end;
                    }
                    continue;
                }
            }
            /* ISO 2026-03-04 and US 03/04/2026 */
            if (i + 10 <= sc->n && is_digit((unsigned char)t[i + 3]) && t[i + 4] == '-' && t[i + 7] == '-') {
                int yy, mo, dd;
                if (sscanf(t + i, "%4d-%2d-%2d", &yy, &mo, &dd) == 3 && mo >= 1 && mo <= 12 && dd >= 1 && dd <= 31) {
                    pol__val *x = take(sc, POL_V_DATE, i, i + 10);
                    if (x) {
                        x->num = yy * 10000 + mo * 100 + dd;
                        x->has_year = 1;
                        i += 9;
                    }
                    continue;
                }
            }
            int a, b, c, nread = 0;
            if (sscanf(t + i, "%2d/%2d/%4d%n", &a, &b, &c, &nread) == 3 && nread >= 8 && a >= 1 && a <= 12 && b >= 1 && b <= 31) {
                pol__val *x = take(sc, POL_V_DATE, i, i + (size_t)nread);
                if (x) {
                    x->num = (c < 100 ? c + 2000 : c) * 10000 + a * 100 + b;
                    x->has_year = 1;
                    i += (size_t)nread - 1;
                }
            }
        }
    }
}

/* "9am", "9 a.m.", "9:30pm", "17:30", "noon", "midnight" */
static size_t time_at(const scan *sc, size_t i, double *mins, unsigned char *ampm, unsigned char *space,
                      unsigned char *dots, unsigned char *mm00)
{
    const char *t = sc->t;
    if (ci_at(sc, i, "noon") && word_boundary_before(sc, i)) {
        *mins = 720;
        *ampm = 2;
        return i + 4;
    }
    if (ci_at(sc, i, "midnight") && word_boundary_before(sc, i)) {
        *mins = 0;
        *ampm = 2;
        return i + 8;
    }
    if (!is_digit((unsigned char)t[i]) || !word_boundary_before(sc, i)) return i;
    size_t j = i;
    int h = 0, m = 0, colon = 0;
    while (j < sc->n && is_digit((unsigned char)t[j]) && j - i < 2) h = h * 10 + (t[j++] - '0');
    if (j < sc->n && is_digit((unsigned char)t[j])) return i;
    if (j + 2 < sc->n && (t[j] == ':' || t[j] == '.') && is_digit((unsigned char)t[j + 1]) && is_digit((unsigned char)t[j + 2]) &&
        (j + 3 >= sc->n || !is_digit((unsigned char)t[j + 3]))) {
        m = (t[j + 1] - '0') * 10 + (t[j + 2] - '0');
        colon = t[j] == ':' ? 1 : 2;
        j += 3;
    }
    size_t k = skip_sp(sc, j);
    int pm = -1;
    size_t e = j;
    if (k + 1 < sc->n + 1) {
        if (k + 4 <= sc->n && (!strncasecmp(t + k, "a.m.", 4) || !strncasecmp(t + k, "p.m.", 4))) {
            pm = tolower((unsigned char)t[k]) == 'p';
            e = k + 4;
        } else if (k + 3 <= sc->n && (!strncasecmp(t + k, "a.m", 3) || !strncasecmp(t + k, "p.m", 3))) {
            pm = tolower((unsigned char)t[k]) == 'p';
            e = k + 3;
        } else if (k + 2 <= sc->n && (!strncasecmp(t + k, "am", 2) || !strncasecmp(t + k, "pm", 2)) &&
                   (k + 2 == sc->n || !is_alpha_byte((unsigned char)t[k + 2]))) {
            pm = tolower((unsigned char)t[k]) == 'p';
            e = k + 2;
        }
    }
    if (pm < 0 && colon != 1) return i;
    if (h > 23 || m > 59 || (pm >= 0 && (h < 1 || h > 12))) return i;
    if (pm == 1 && h < 12) h += 12;
    if (pm == 0 && h == 12) h = 0;
    *mins = h * 60 + m;
    *dots = e > k + 2 && sc->t[k + 1] == '.';
    *mm00 = colon && m == 0;
    *ampm = pm >= 0 ? 1 : 0;
    *space = k > j;
    if (pm >= 0 && colon) *ampm = 3; /* "9:30 am" */
    return e;
}

static void find_times(scan *sc)
{
    for (size_t i = 0; i < sc->n; i++) {
        if (sc->used[i]) continue;
        double mins;
        unsigned char ampm = 0, space = 0, dots = 0, mm00 = 0;
        size_t e = time_at(sc, i, &mins, &ampm, &space, &dots, &mm00);
        if (e == i) continue;
        /* "9-5", "9 to 5:30pm": a bare hour before a range gets the other end's half of day */
        pol__val *x = take(sc, POL_V_TIME, i, e);
        if (!x) continue;
        x->num = mins;
        x->ampm = ampm;
        x->space = space;
        x->dots = dots;
        x->colon = mm00;
        i = e - 1;
    }
    /* a bare hour joined to a time: "9-6pm", "from 10 to 4pm" */
    for (size_t k = 0; k < sc->out->n; k++) {
        pol__val *b = &sc->out->v[k];
        if (b->type != POL_V_TIME || b->ampm != 1) continue;
        size_t j = b->start;
        while (j > 0 && (sc->t[j - 1] == ' ' || sc->t[j - 1] == '-' || (unsigned char)sc->t[j - 1] == 0x93 ||
                         (unsigned char)sc->t[j - 1] == 0x80 || (unsigned char)sc->t[j - 1] == 0xE2))
            j--;
        if (j >= 3 && !strncasecmp(sc->t + j - 2, "to", 2) && sc->t[j - 3] == ' ') j = j - 3;
        while (j > 0 && sc->t[j - 1] == ' ') j--;
        size_t e = j;
        while (j > 0 && is_digit((unsigned char)sc->t[j - 1]) && e - j < 2) j--;
        if (e == j || e - j > 2 || !word_boundary_before(sc, j) || !free_span(sc, j, e)) continue;
        int h = atoi(sc->t + j);
        if (h < 1 || h > 12) continue;
        int pm = b->num >= 720;
        int hh = h % 12 + (pm ? 12 : 0);
        if (hh * 60 > b->num) hh -= 12; /* "9-5pm": 9 is in the morning */
        if (hh < 0) hh += 12;
        pol__val *x = take(sc, POL_V_TIME, j, e);
        if (!x) continue;
        x->num = hh * 60;
        x->ampm = 4; /* a bare hour */
    }
}

static const struct {
    const char *w;
    double mins;
} units[] = {{"minutes", 1}, {"minute", 1}, {"mins", 1}, {"min", 1}, {"hours", 60},
             {"hour", 60},   {"hrs", 60},   {"hr", 60},  {"business days", 1440},
             {"business day", 1440}, {"working days", 1440}, {"working day", 1440},
             {"days", 1440}, {"day", 1440}, {"weeks", 10080}, {"week", 10080},
             {"months", 43200}, {"month", 43200}, {"years", 525600}, {"year", 525600},
             {NULL, 0}};

/* Spaces, and one line break of a hard-wrapped paragraph ("10\n   minutes"), not a blank line. */
static size_t skip_wrap(const scan *sc, size_t i)
{
    i = skip_sp(sc, i);
    size_t j = i;
    if (j < sc->n && sc->t[j] == '\r') j++;
    if (j < sc->n && sc->t[j] == '\n') {
        j = skip_sp(sc, j + 1);
        if (j < sc->n && sc->t[j] != '\n' && sc->t[j] != '\r') return j;
    }
    return i;
}

static void find_durations(scan *sc)
{
    for (size_t i = 0; i < sc->n; i++) {
        if (sc->used[i] || !word_boundary_before(sc, i)) continue;
        double v;
        size_t e = number_at(sc, i, &v, NULL);
        if (e == i) e = numword_at(sc, i, &v, 1);
        if (e == i) continue;
        size_t j = e;
        if (j < sc->n && sc->t[j] == '-') j++;
        else j = skip_wrap(sc, j);
        for (int k = 0; units[k].w; k++) {
            if (!ci_at(sc, j, units[k].w)) continue;
            size_t end = j + strlen(units[k].w);
            pol__val *x = take(sc, POL_V_DURATION, i, end);
            if (x) {
                x->num = v * units[k].mins;
                i = end - 1;
            }
            break;
        }
    }
}

/* Does a reference noun end just before i ("section 3.6", "see chapter 4", "Solution 2")? Such
 * a number names a part of a document, not a quantity: documents cite many of them, so one cited
 * elsewhere is never taken as the correction. */
static int reference_before(const scan *sc, size_t i)
{
    static const char *const nouns[] = {"section", "sections", "chapter", "chapters", "figure",
                                         "fig.", "table", "page", "pages", "appendix", "question",
                                         "solution", "part", "paragraph", "step", "item", "example",
                                         "rule", "note", "q.", "faq", "§", NULL};
    size_t b = i;
    while (b > 0 && (sc->t[b - 1] == ' ' || sc->t[b - 1] == '#')) b--;
    if (b == i) return 0;
    size_t a = b;
    while (a > 0 && (is_alpha_byte((unsigned char)sc->t[a - 1]) || sc->t[a - 1] == '.' ||
                     (unsigned char)sc->t[a - 1] >= 0x80))
        a--;
    for (int k = 0; nouns[k]; k++)
        if (strlen(nouns[k]) == b - a && strncasecmp(sc->t + a, nouns[k], b - a) == 0) return 1;
    return 0;
}

static void find_numbers(scan *sc)
{
    for (size_t i = 0; i < sc->n; i++) {
        if (sc->used[i] || !word_boundary_before(sc, i)) continue;
        double v;
        int dec;
        int label = reference_before(sc, i);
        size_t e = number_at(sc, i, &v, &dec);
        int word = 0;
        if (e == i) {
            e = numword_at(sc, i, &v, 0);
            word = 1;
        }
        if (e == i) continue;
        if (e < sc->n && is_alpha_byte((unsigned char)sc->t[e]) && !word) {
            /* "2nd", "3rd": ordinals are numbers too; "4x4", "A4": not */
            if (!(e + 2 <= sc->n && (!strncasecmp(sc->t + e, "st", 2) || !strncasecmp(sc->t + e, "nd", 2) ||
                                     !strncasecmp(sc->t + e, "rd", 2) || !strncasecmp(sc->t + e, "th", 2))))
                continue;
            e += 2;
        }
        size_t j = skip_sp(sc, e);
        if (j < sc->n && sc->t[j] == '%') {
            pol__val *x = take(sc, POL_V_PERCENT, i, j + 1);
            if (x) x->num = v;
            i = j;
            continue;
        }
        if (ci_at(sc, j, "percent") || ci_at(sc, j, "per cent")) {
            size_t end = j + (ci_at(sc, j, "percent") ? 7 : 8);
            pol__val *x = take(sc, POL_V_PERCENT, i, end);
            if (x) x->num = v;
            i = end - 1;
            continue;
        }
        pol__val *x = take(sc, POL_V_NUMBER, i, e);
        if (x) {
            x->num = v;
            x->decimals = (unsigned char)dec;
            x->ampm = (unsigned char)word;
            x->label = (unsigned char)label;
        }
        i = e - 1;
    }
}

static const char *const weekdays[] = {"monday", "tuesday", "wednesday", "thursday", "friday",
                                       "saturday", "sunday", NULL};

static void find_weekdays(scan *sc)
{
    for (size_t i = 0; i < sc->n; i++) {
        if (sc->used[i] || !word_boundary_before(sc, i) || !is_alpha_byte((unsigned char)sc->t[i])) continue;
        for (int d = 0; weekdays[d]; d++) {
            size_t m = strlen(weekdays[d]);
            if (i + m > sc->n || strncasecmp(sc->t + i, weekdays[d], m)) continue;
            size_t e = i + m;
            if (e < sc->n && (sc->t[e] == 's' || sc->t[e] == 'S')) e++;
            if (e < sc->n && is_alpha_byte((unsigned char)sc->t[e])) break;
            pol__val *x = take(sc, POL_V_WEEKDAY, i, e);
            if (x) x->num = d;
            i = e - 1;
            break;
        }
        if (sc->used[i]) continue;
        /* "weekdays" = Monday to Friday, "weekends" = Saturday and Sunday */
        int wk = ci_at(sc, i, "weekdays") || ci_at(sc, i, "weekday");
        int we = ci_at(sc, i, "weekends") || ci_at(sc, i, "weekend");
        if (wk || we) {
            size_t e = i;
            while (e < sc->n && is_alpha_byte((unsigned char)sc->t[e])) e++;
            pol__val *x = take(sc, POL_V_WEEKDAY, i, e);
            if (!x) continue;
            x->num = wk ? 0 : 5;
            x->ampm = 9; /* a range */
            pol__val *y = add_val(sc->out, POL_V_WEEKDAY, i, e);
            if (y) {
                y->num = wk ? 4 : 6;
                y->ampm = 9;
            }
            i = e - 1;
        }
    }
}

/* Words that start with a capital but are not names. */
static const char *const not_names[] = {
    "i", "i'm", "i'd", "i'll", "i've", "we", "our", "you", "your", "the", "a", "an", "yes", "no",
    "ok", "okay", "sure", "hi", "hello", "thanks", "thank", "please", "dear", "faq", "q", "a",
    "note", "mr", "mrs", "ms", "dr", "am", "pm", "tel", "phone", "email", "fax", "address",
    "open", "closed", "hours", "price", "prices", "question", "answer", "user", "bot", NULL};

static int month_or_day_word(const char *low)
{
    for (int m = 0; months[m]; m++)
        if (!strcmp(low, months[m])) return 1;
    for (int d = 0; weekdays[d]; d++)
        if (!strncmp(low, weekdays[d], strlen(weekdays[d]))) return 1;
    return 0;
}

static void find_names(scan *sc)
{
    const char *t = sc->t;
    size_t i = 0;
    while (i < sc->n) {
        if (!(t[i] >= 'A' && t[i] <= 'Z') || !word_boundary_before(sc, i) || sc->used[i]) {
            i++;
            continue;
        }
        /* sentence-initial? look back over spaces, quotes and list marks */
        size_t b = i;
        while (b > 0 && (t[b - 1] == ' ' || t[b - 1] == '"' || t[b - 1] == '(' || t[b - 1] == '*' ||
                         t[b - 1] == '\t'))
            b--;
        int initial = b == 0 || strchr(".!?\n:-", t[b - 1]) != NULL;
        /* a run of capitalised words ("Green Street Bakery", "Maria Lopez") */
        size_t s = i, e = i, words = 0, last = i;
        while (e < sc->n && t[e] >= 'A' && t[e] <= 'Z' && free_span(sc, e, e + 1)) {
            size_t we = e;
            while (we < sc->n && (is_alpha_byte((unsigned char)t[we]) || t[we] == '\'' || t[we] == '-')) we++;
            char low[POL_WORD_MAX];
            size_t k = 0;
            for (size_t j = e; j < we && k + 1 < sizeof low; j++) low[k++] = (char)tolower((unsigned char)t[j]);
            low[k] = '\0';
            int bad = month_or_day_word(low);
            for (int q = 0; not_names[q] && !bad; q++) bad = !strcmp(low, not_names[q]);
            if (bad) break;
            words++;
            last = we;
            e = we;
            if (e + 1 < sc->n && t[e] == ' ' && t[e + 1] >= 'A' && t[e + 1] <= 'Z') e++;
            else if (e + 4 < sc->n && !strncmp(t + e, " of ", 4) && t[e + 4] >= 'A' && t[e + 4] <= 'Z') e += 4;
            else break;
        }
        if (!words) {
            while (i < sc->n && is_alpha_byte((unsigned char)t[i])) i++;
            continue;
        }
        /* a lone sentence-initial capital is only an ordinary word */
        if (initial && words == 1) {
            i = last;
            continue;
        }
        if (initial) {
            /* "Maria Lopez will ...": keep; "Our Team ..." was cut above */
        }
        pol__val *x = take(sc, POL_V_ENTITY, s, last);
        if (x) {
            size_t k = 0;
            for (size_t j = s; j < last && k + 1 < sizeof x->str; j++) x->str[k++] = (char)tolower((unsigned char)t[j]);
            x->str[k] = '\0';
        }
        i = last;
    }
}

static int cmp_start(const void *a, const void *b)
{
    const pol__val *x = a, *y = b;
    return x->start < y->start ? -1 : x->start > y->start;
}

void pol__values(const char *text, size_t n, pol__vals *out)
{
    memset(out, 0, sizeof *out);
    scan sc = {text, n, calloc(n + 1, 1), out};
    if (!sc.used) {
        out->oom = 1;
        return;
    }
    find_email_url(&sc);
    find_money(&sc);
    find_dates(&sc);
    find_times(&sc);
    find_phone(&sc);
    find_durations(&sc);
    find_numbers(&sc);
    find_weekdays(&sc);
    find_names(&sc);
    free(sc.used);
    if (out->n) qsort(out->v, out->n, sizeof *out->v, cmp_start);
}

int pol__val_equal(const pol__val *a, const pol__val *b)
{
    if (a->type != b->type) {
        /* "3 o'clock" aside, a number equals a duration/price only by type */
        return 0;
    }
    switch (a->type) {
    case POL_V_MONEY:
        return fabs(a->num - b->num) < 0.005 && (a->free || b->free || !strcmp(a->str, b->str));
    case POL_V_DATE:
        if (a->has_year && b->has_year) return fabs(a->num - b->num) < 0.5;
        return fmod(a->num, 10000) == fmod(b->num, 10000);
    case POL_V_EMAIL:
    case POL_V_URL:
    case POL_V_PHONE:
        return !strcmp(a->str, b->str);
    case POL_V_ENTITY: {
        /* "Maria" matches "Maria Lopez" */
        size_t la = strlen(a->str), lb = strlen(b->str);
        const char *s = la < lb ? a->str : b->str, *l = la < lb ? b->str : a->str;
        size_t ls = la < lb ? la : lb;
        const char *p = strstr(l, s);
        return p && (p == l || p[-1] == ' ') && (p[ls] == '\0' || p[ls] == ' ');
    }
    default:
        return fabs(a->num - b->num) < 1e-6;
    }
}

size_t pol__val_format(const pol__val *v, const pol__val *like, const char *vtext, char *out, size_t cap)
{
    int n = 0;
    if (v->type == POL_V_MONEY && like->type == POL_V_MONEY && !strcmp(v->str, like->str) &&
        !like->symbol_after) {
        /* the answer's symbol and spacing, the evidence's amount */
        char amt[48];
        /* cents when the amount has them, or when the answer writes whole amounts with ".00" */
        int dec = fmod(v->num, 1) > 0.004 || like->decimals ? 2 : 0;
        snprintf(amt, sizeof amt, "%.*f", dec, v->num);
        const char *sym = "$";
        if (!strcmp(v->str, "EUR")) sym = "\xE2\x82\xAC";
        else if (!strcmp(v->str, "GBP")) sym = "\xC2\xA3";
        n = snprintf(out, cap, "%s%s%s", sym, like->space ? " " : "", amt);
    } else if (v->type == POL_V_TIME && like->type == POL_V_TIME && (like->ampm == 1 || like->ampm == 3 || like->ampm == 4)) {
        int h = (int)v->num / 60, m = (int)v->num % 60;
        int h12 = h % 12 ? h % 12 : 12;
        const char *suf = like->dots ? (h >= 12 ? "p.m." : "a.m.") : h >= 12 ? "pm" : "am";
        if (like->ampm == 4)
            n = snprintf(out, cap, "%d", h12);
        else if (m || like->colon)
            n = snprintf(out, cap, "%d:%02d%s%s", h12, m, like->space ? " " : "", suf);
        else
            n = snprintf(out, cap, "%d%s%s", h12, like->space ? " " : "", suf);
    } else if (v->type == POL_V_TIME && like->type == POL_V_TIME && like->ampm == 0) {
        n = snprintf(out, cap, "%02d:%02d", (int)v->num / 60, (int)v->num % 60);
    } else if ((v->type == POL_V_NUMBER || v->type == POL_V_PERCENT) && like->type == v->type &&
               !like->ampm) {
        char num[48];
        snprintf(num, sizeof num, "%.*f", v->decimals, v->num);
        n = snprintf(out, cap, "%s", num);
        if (v->type == POL_V_PERCENT) n = snprintf(out, cap, "%s%%", num);
    } else if (v->type == POL_V_DATE && like->type == POL_V_DATE) {
        static const char *const mn[] = {"January", "February", "March", "April", "May", "June",
                                         "July", "August", "September", "October", "November",
                                         "December"};
        long x = (long)v->num;
        int y = (int)(x / 10000), m = (int)(x / 100 % 100), d = (int)(x % 100);
        if (m < 1 || m > 12) return 0;
        char yr[16] = "";
        if (like->has_year && y) snprintf(yr, sizeof yr, like->symbol_after ? " %d" : ", %d", y);
        if (like->symbol_after) n = snprintf(out, cap, "%d %s%s", d, mn[m - 1], yr);
        else n = snprintf(out, cap, "%s %d%s", mn[m - 1], d, yr);
    } else if (v->type == POL_V_URL && like->type == POL_V_URL) {
        /* the answer's way: with or without the scheme and "www." */
        const char *u = vtext + v->start;
        size_t un = v->end - v->start;
        const char *l = like->str; /* canonical: no scheme, no www */
        (void)l;
        int scheme = 0, www = 0;
        /* how the answer wrote it is not kept beyond its canonical form: look at `like` span */
        scheme = like->symbol_after & 1;
        www = (like->symbol_after >> 1) & 1;
        if (un >= 8 && !strncasecmp(u, "https://", 8)) u += 8, un -= 8;
        else if (un >= 7 && !strncasecmp(u, "http://", 7)) u += 7, un -= 7;
        if (un >= 4 && !strncasecmp(u, "www.", 4)) u += 4, un -= 4;
        n = snprintf(out, cap, "%s%s%.*s", scheme ? "https://" : "", www ? "www." : "", (int)un, u);
    } else if (v->type == POL_V_PHONE && like->type == POL_V_PHONE && like->decimals &&
               strlen(v->str) == like->decimals) {
        /* the evidence's digits in the answer's pattern: "(555) 014-2290" */
        size_t k = 0, d = 0;
        for (const char *p = like->str + 24; *p && k + 1 < cap; p++)
            out[k++] = *p == '#' ? v->str[d++] : *p;
        out[k] = '\0';
        n = (int)k;
    } else {
        /* as the evidence wrote it, a line break and indent of a wrapped line ("45\n   minutes")
         * written as one space */
        size_t k = 0;
        for (size_t i = v->start; i < v->end && k + 1 < cap; i++) {
            char ch = vtext[i];
            if (ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r') {
                while (i + 1 < v->end && (vtext[i + 1] == ' ' || vtext[i + 1] == '\t' ||
                                          vtext[i + 1] == '\n' || vtext[i + 1] == '\r'))
                    i++;
                ch = ' ';
            }
            out[k++] = ch;
        }
        if (cap) out[k] = '\0';
        n = (int)k;
    }
    return n < 0 ? 0 : (size_t)n >= cap ? cap - 1 : (size_t)n;
}
