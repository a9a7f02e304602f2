/* polish — PII detection: e-mail addresses, phone numbers (validated by the records domain's
 * parser), payment cards (Luhn), IBANs (mod-97), US social security numbers, IP addresses, street
 * addresses, dates of birth (a date with "born"/"DOB" near it) and person names (from context and
 * a name list). Context rules keep order numbers, tracking numbers and GUIDs. */
#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <strings.h>
#include "core/internal.h"
#include "records/std.h"
#include "text/redact.h"
#include "text/textutil.h"

static const char *const names_[] = {"EMAIL", "PHONE", "CARD", "IBAN", "SSN",
                                     "IP", "ADDRESS", "DOB", "NAME"};

const char *pol__pii_name(pol__pii t)
{
    return (unsigned)t < POL_PII_COUNT ? names_[t] : "PII";
}

long pol__pii_mask(const char *list, const char **bad)
{
    static char badbuf[32];
    if (!list || !*list || !strcasecmp(list, "all")) return (1L << POL_PII_COUNT) - 1;
    long m = 0;
    const char *p = list;
    while (*p) {
        const char *e = strchr(p, ',');
        size_t n = e ? (size_t)(e - p) : strlen(p);
        while (n && *p == ' ') p++, n--;
        while (n && p[n - 1] == ' ') n--;
        int k = -1;
        for (int t = 0; t < POL_PII_COUNT; t++)
            if (strlen(names_[t]) == n && !strncasecmp(p, names_[t], n)) k = t;
        if (n == 3 && !strncasecmp(p, "all", 3)) m |= (1L << POL_PII_COUNT) - 1;
        else if (k < 0) {
            snprintf(badbuf, sizeof badbuf, "%.*s", (int)(n < 30 ? n : 30), p);
            if (bad) *bad = badbuf;
            return -1;
        } else
            m |= 1L << k;
        p = e ? e + 1 : p + n;
    }
    return m;
}

void pol__pii_free(pol__pii_found *f)
{
    free(f->v);
    memset(f, 0, sizeof *f);
}

typedef struct finder {
    const char *t;
    size_t n;
    unsigned char *used;
    pol__pii_found *out;
    const char *region;
} finder;

static int is_d(char c)
{
    return c >= '0' && c <= '9';
}
static int is_al(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}
static int boundary(const finder *f, size_t i)
{
    return i == 0 || !(isalnum((unsigned char)f->t[i - 1]) || f->t[i - 1] == '_');
}
static int boundary_after(const finder *f, size_t e)
{
    return e >= f->n || !(isalnum((unsigned char)f->t[e]) || f->t[e] == '_');
}
static int span_free(const finder *f, size_t s, size_t e)
{
    for (size_t i = s; i < e; i++)
        if (f->used[i]) return 0;
    return 1;
}

static void add(finder *f, size_t s, size_t e, pol__pii t)
{
    if (f->out->oom || !span_free(f, s, e)) return;
    if (POL_GROW(f->out->v, f->out->cap, f->out->n + 1, 16)) {
        f->out->oom = 1;
        return;
    }
    f->out->v[f->out->n++] = (pol__pii_span){s, e, t};
    memset(f->used + s, 1, e - s);
}

/* Marks a span as not PII (a GUID, an order number) so nothing else takes it. */
static void keep(finder *f, size_t s, size_t e)
{
    memset(f->used + s, 2, e - s);
}

/* A word before position i (within `window` bytes) among `words`? */
static int context_before(const finder *f, size_t i, size_t window, const char *const *words)
{
    size_t s = i > window ? i - window : 0;
    for (size_t k = s; k < i; k++)
        for (int w = 0; words[w]; w++) {
            if ((f->t[k] | 32) != (words[w][0] | 32)) continue;
            size_t m = strlen(words[w]);
            if (k + m <= i && !strncasecmp(f->t + k, words[w], m) && boundary(f, k)) return 1;
        }
    return 0;
}

static const char *const id_words[] = {"order", "invoice", "ref", "reference", "tracking",
                                       "ticket", "confirmation", "booking", "case", "account no",
                                       "sku", "serial", "part", "item", "po", "receipt",
                                       "transaction", "id", "#", NULL};

/* ---- GUIDs: kept ---------------------------------------------------------------------------- */

static void find_guid(finder *f)
{
    static const int groups[] = {8, 4, 4, 4, 12};
    for (size_t i = 0; i + 36 <= f->n; i++) {
        if (!boundary(f, i) || !isxdigit((unsigned char)f->t[i])) continue;
        size_t k = i;
        int ok = 1;
        for (int g = 0; g < 5 && ok; g++) {
            for (int j = 0; j < groups[g]; j++, k++)
                if (!isxdigit((unsigned char)f->t[k])) ok = 0;
            if (ok && g < 4) ok = f->t[k++] == '-';
        }
        if (ok && boundary_after(f, k)) {
            keep(f, i, k);
            i = k;
        }
    }
}

/* ---- e-mail --------------------------------------------------------------------------------- */

static void find_email(finder *f)
{
    const char *t = f->t;
    for (size_t i = 0; i < f->n; i++) {
        if (t[i] != '@') continue;
        size_t s = i, e = i + 1;
        while (s > 0 && (isalnum((unsigned char)t[s - 1]) || strchr("._%+-'", t[s - 1]))) s--;
        while (s < i && (t[s] == '.' || t[s] == '\'')) s++;
        while (e < f->n && (isalnum((unsigned char)t[e]) || t[e] == '.' || t[e] == '-')) e++;
        while (e > i + 1 && (t[e - 1] == '.' || t[e - 1] == '-')) e--;
        const char *dot = memchr(t + i, '.', e - i);
        if (s == i || !dot || e - (size_t)(dot - t) < 3) continue;
        add(f, s, e, POL_PII_EMAIL);
        i = e;
    }
}

/* ---- digits: cards, SSNs, phones ------------------------------------------------------------ */

static int luhn(const char *d, size_t n)
{
    int sum = 0;
    for (size_t i = 0; i < n; i++) {
        int v = d[n - 1 - i] - '0';
        if (i & 1) {
            v *= 2;
            if (v > 9) v -= 9;
        }
        sum += v;
    }
    return sum % 10 == 0;
}

/* A run of digits with single spaces or dashes between groups, from i. Returns its end; the
 * digits go to d (NUL-terminated, at most cap-1). */
static size_t digit_run(const finder *f, size_t i, char *d, size_t cap, size_t *nd, int *seps)
{
    size_t j = i, k = 0;
    *seps = 0;
    while (j < f->n) {
        if (is_d(f->t[j])) {
            if (k + 1 < cap) d[k] = f->t[j];
            k++;
            j++;
        } else if ((f->t[j] == ' ' || f->t[j] == '-') && j + 1 < f->n && is_d(f->t[j + 1]) && k) {
            (*seps)++;
            j++;
        } else {
            break;
        }
    }
    d[k < cap ? k : cap - 1] = '\0';
    *nd = k;
    return j;
}

static void find_cards_ssn(finder *f)
{
    static const char *const card_words[] = {"card", "visa", "mastercard", "amex", "credit",
                                             "debit", "cc", NULL};
    for (size_t i = 0; i < f->n; i++) {
        if (!is_d(f->t[i]) || !boundary(f, i) || f->used[i]) continue;
        char d[40];
        size_t nd;
        int seps;
        size_t e = digit_run(f, i, d, sizeof d, &nd, &seps);
        if (!boundary_after(f, e)) {
            i = e;
            continue;
        }
        /* SSN: 3-2-4 with dashes (or spaces), area not 000/666/9xx, group not 00, serial not 0000 */
        if (nd == 9 && e - i == 11 && (f->t[i + 3] == '-' || f->t[i + 3] == ' ') &&
            f->t[i + 6] == f->t[i + 3]) {
            int area = (d[0] - '0') * 100 + (d[1] - '0') * 10 + (d[2] - '0');
            int ok = area != 0 && area != 666 && area < 900 && !(d[3] == '0' && d[4] == '0') &&
                     strcmp(d + 5, "0000") != 0;
            if (ok) add(f, i, e, POL_PII_SSN);
            i = e;
            continue;
        }
        /* SSN written without separators, only with its name near it */
        if (nd == 9 && !seps && context_before(f, i, 24, (const char *const[]){"ssn", "social security", "ss#", NULL})) {
            add(f, i, e, POL_PII_SSN);
            i = e;
            continue;
        }
        if (nd >= 13 && nd <= 19 && luhn(d, nd)) {
            int prefix_ok = d[0] == '4' || (d[0] == '5' && d[1] >= '1' && d[1] <= '5') ||
                            (d[0] == '2' && d[1] >= '2' && d[1] <= '7') ||
                            (d[0] == '3' && (d[1] == '4' || d[1] == '7' || d[1] == '6' || d[1] == '0')) ||
                            d[0] == '6';
            int is_id = context_before(f, i, 20, id_words) && !context_before(f, i, 30, card_words);
            if (prefix_ok && !is_id) {
                add(f, i, e, POL_PII_CARD);
                i = e;
                continue;
            }
        }
        if (nd >= 6 && context_before(f, i, 20, id_words) && !context_before(f, i, 16, (const char *const[]){"phone", "call", "tel", "mobile", "cell", NULL})) {
            keep(f, i, e); /* an order or tracking number */
            i = e;
            continue;
        }
        i = e;
    }
}

static void find_phones(finder *f)
{
    const char *t = f->t;
    for (size_t i = 0; i < f->n; i++) {
        if (f->used[i] || !boundary(f, i) || !(is_d(t[i]) || t[i] == '+' || t[i] == '(')) continue;
        size_t j = i;
        int nd = 0;
        while (j < f->n && nd <= 15) {
            char c = t[j];
            if (is_d(c)) nd++;
            else if (c == '+' && j == i) {
            } else if (c == '(' || c == ')' || c == '-' || c == '.' || c == ' ') {
                if ((c == ' ' || c == '.' || c == '-') && !(j + 1 < f->n && (is_d(t[j + 1]) || t[j + 1] == '(')))
                    break;
            } else if ((c == 'x' || c == 'X') && j + 1 < f->n && is_d(t[j + 1])) {
            } else {
                break;
            }
            j++;
        }
        while (j > i && !is_d(t[j - 1])) j--;
        if (nd < 7 || nd > 15 || !boundary_after(f, j) || !span_free(f, i, j)) continue;
        pol__phone ph;
        if (pol__phone_parse(t + i, j - i, f->region, &ph) != POL_PHONE_VALID) {
            /* a national number written with its own area code but not valid in the default
             * region: accept shapes "(ddd) ddd-dddd" and "+cc ..." */
            int plus = t[i] == '+';
            if (!(plus && nd >= 8) && !(nd == 10 && (t[i] == '(' || (j - i) >= 12))) continue;
        }
        /* the 7-digit local form needs a separator: "555-0143" */
        if (nd == 7 && !memchr(t + i, '-', j - i)) continue;
        add(f, i, j, POL_PII_PHONE);
        i = j;
    }
}

/* ---- IBAN ----------------------------------------------------------------------------------- */

static int iban_ok(const char *s, size_t n)
{
    /* move the first four to the end, letters to numbers, mod 97 == 1 */
    int rem = 0;
    for (size_t k = 0; k < n; k++) {
        char c = s[(k + 4) % n];
        if (is_d(c)) rem = (rem * 10 + (c - '0')) % 97;
        else if (c >= 'A' && c <= 'Z') rem = (rem * 100 + (c - 'A' + 10)) % 97;
        else return 0;
    }
    return rem == 1;
}

static void find_iban(finder *f)
{
    const char *t = f->t;
    for (size_t i = 0; i + 15 <= f->n; i++) {
        if (!boundary(f, i) || !(t[i] >= 'A' && t[i] <= 'Z') || !(t[i + 1] >= 'A' && t[i + 1] <= 'Z') ||
            !is_d(t[i + 2]) || !is_d(t[i + 3]))
            continue;
        char v[40];
        size_t ends[40];
        size_t k = 0, j = i;
        while (j < f->n && k < 34) {
            char c = t[j];
            if (is_d(c) || (c >= 'A' && c <= 'Z')) {
                v[k] = c;
                ends[k++] = j + 1;
                j++;
            } else if (c == ' ' && j + 1 < f->n && (is_d(t[j + 1]) || (t[j + 1] >= 'A' && t[j + 1] <= 'Z'))) {
                j++;
            } else {
                break;
            }
        }
        for (size_t len = k; len >= 15; len--) {
            if (!boundary_after(f, ends[len - 1]) && len != k) continue;
            if (iban_ok(v, len)) {
                add(f, i, ends[len - 1], POL_PII_IBAN);
                i = ends[len - 1];
                break;
            }
        }
    }
}

/* ---- IP addresses --------------------------------------------------------------------------- */

static void find_ip(finder *f)
{
    const char *t = f->t;
    for (size_t i = 0; i < f->n; i++) {
        if (!boundary(f, i) || f->used[i]) continue;
        if (is_d(t[i]) && !(i > 0 && t[i - 1] == '.')) {
            size_t j = i;
            int parts = 0, ok = 1;
            while (parts < 4 && ok) {
                int v = 0, nd = 0;
                while (j < f->n && is_d(t[j]) && nd < 4) v = v * 10 + (t[j++] - '0'), nd++;
                if (!nd || nd > 3 || v > 255) ok = 0;
                parts++;
                if (parts < 4) {
                    if (j < f->n && t[j] == '.') j++;
                    else ok = 0;
                }
            }
            if (ok && parts == 4 && boundary_after(f, j) && !(j + 1 < f->n && t[j] == '.' && is_d(t[j + 1])) &&
                !context_before(f, i, 10, (const char *const[]){"version", "v", "ver", NULL})) {
                add(f, i, j, POL_PII_IP);
                i = j;
            }
            continue;
        }
        /* IPv6: hex groups and colons, at least 3 colons, "::" or 7 colons */
        if (isxdigit((unsigned char)t[i]) || (t[i] == ':' && i + 1 < f->n && t[i + 1] == ':')) {
            size_t j = i;
            int colons = 0, dbl = 0, grp = 0, ok = 1;
            while (j < f->n && ok) {
                if (isxdigit((unsigned char)t[j])) {
                    if (++grp > 4) ok = 0;
                    j++;
                } else if (t[j] == ':') {
                    if (j + 1 < f->n && t[j + 1] == ':') dbl++, colons++, j++;
                    colons++;
                    grp = 0;
                    j++;
                } else {
                    break;
                }
            }
            if (ok && colons >= 3 && (dbl == 1 || colons == 7) && dbl <= 1 && boundary_after(f, j) &&
                !(j < f->n && t[j] == ':')) {
                while (j > i && t[j - 1] == ':' && !(j >= 2 && t[j - 2] == ':')) j--;
                add(f, i, j, POL_PII_IP);
                i = j;
            }
        }
    }
}

/* ---- street addresses ----------------------------------------------------------------------- */

static const char *const street_types[] = {
    "Street", "St", "Avenue", "Ave", "Road", "Rd", "Boulevard", "Blvd", "Lane", "Ln", "Drive",
    "Dr", "Court", "Ct", "Way", "Place", "Pl", "Terrace", "Circle", "Cir", "Highway", "Hwy",
    "Parkway", "Pkwy", "Square", "Sq", "Trail", "Row", "Close", "Crescent", NULL};

static size_t word_end(const finder *f, size_t i)
{
    while (i < f->n && (is_al(f->t[i]) || f->t[i] == '\'' || (unsigned char)f->t[i] >= 0x80)) i++;
    return i;
}

static void find_address(finder *f)
{
    const char *t = f->t;
    for (size_t i = 0; i < f->n; i++) {
        if (!is_d(t[i]) || !boundary(f, i) || f->used[i]) continue;
        size_t j = i;
        while (j < f->n && is_d(t[j]) && j - i < 6) j++;
        if (j < f->n && is_al(t[j]) && !is_al(t[j + 1 < f->n ? j + 1 : j])) j++; /* 12B */
        if (j >= f->n || t[j] != ' ') continue;
        size_t k = j + 1, words = 0, end = 0;
        while (k < f->n && words < 5) {
            /* "N", "North", ordinal "5th" */
            size_t we;
            if (is_d(t[k])) {
                we = k;
                while (we < f->n && isalnum((unsigned char)t[we])) we++;
            } else {
                if (!(t[k] >= 'A' && t[k] <= 'Z')) break;
                we = word_end(f, k);
            }
            words++;
            size_t wl = we - k;
            for (int s = 0; street_types[s] && words >= 2; s++)
                if (strlen(street_types[s]) == wl && !strncmp(t + k, street_types[s], wl)) end = we;
            if (end) break;
            if (we < f->n && t[we] == ' ') k = we + 1;
            else break;
        }
        if (!end) continue;
        if (end < f->n && t[end] == '.') end++;
        /* unit: ", Apt 4B", " Suite 200" */
        size_t u = end;
        if (u < f->n && t[u] == ',') u++;
        while (u < f->n && t[u] == ' ') u++;
        static const char *const units[] = {"Apt", "Apartment", "Suite", "Ste", "Unit", "#", "Flat", NULL};
        for (int q = 0; units[q]; q++) {
            size_t m = strlen(units[q]);
            if (u + m < f->n && !strncmp(t + u, units[q], m)) {
                size_t v = u + m;
                if (v < f->n && t[v] == '.') v++;
                while (v < f->n && t[v] == ' ') v++;
                size_t ve = v;
                while (ve < f->n && isalnum((unsigned char)t[ve])) ve++;
                if (ve > v) end = ve;
                break;
            }
        }
        add(f, i, end, POL_PII_ADDRESS);
        i = end;
    }
}

/* ---- dates of birth ------------------------------------------------------------------------- */

static void find_dob(finder *f)
{
    static const char *const dob_words[] = {"born", "dob", "d.o.b", "date of birth", "birthday",
                                            "birth date", "birthdate", NULL};
    /* only texts that mention a birth date are searched for one */
    int any = 0;
    for (size_t i = 0; i + 3 <= f->n && !any; i++) {
        char c = (char)(f->t[i] | 32);
        if (c != 'b' && c != 'd') continue;
        for (int w = 0; dob_words[w] && !any; w++) {
            size_t m = strlen(dob_words[w]);
            any = i + m <= f->n && !strncasecmp(f->t + i, dob_words[w], m);
        }
    }
    if (!any) return;
    pol__vals v;
    pol__values(f->t, f->n, &v);
    for (size_t i = 0; i < v.n; i++) {
        if (v.v[i].type != POL_V_DATE) continue;
        if (!context_before(f, v.v[i].start, 32, dob_words)) continue;
        add(f, v.v[i].start, v.v[i].end, POL_PII_DOB);
    }
    /* numeric dates the value finder leaves to others: "DOB: 04/12/1985", "born 1985-04-12" */
    for (size_t i = 0; i < f->n; i++) {
        if (!is_d(f->t[i]) || !boundary(f, i) || f->used[i]) continue;
        size_t j = i;
        int seps = 0;
        while (j < f->n && (is_d(f->t[j]) || ((f->t[j] == '/' || f->t[j] == '-' || f->t[j] == '.') && seps < 2 && ++seps)))
            j++;
        if (seps == 2 && j - i >= 8 && j - i <= 10 && boundary_after(f, j) && context_before(f, i, 32, dob_words))
            add(f, i, j, POL_PII_DOB);
        i = j;
    }
    pol__vals_free(&v);
}

/* ---- names ---------------------------------------------------------------------------------- */

static const char *const first_names[] = {
    "James", "Mary", "John", "Patricia", "Robert", "Jennifer", "Michael", "Linda", "William",
    "Elizabeth", "David", "Barbara", "Richard", "Susan", "Joseph", "Jessica", "Thomas", "Sarah",
    "Charles", "Karen", "Christopher", "Nancy", "Daniel", "Lisa", "Matthew", "Betty", "Anthony",
    "Margaret", "Mark", "Sandra", "Donald", "Ashley", "Steven", "Kimberly", "Paul", "Emily",
    "Andrew", "Donna", "Joshua", "Michelle", "Kenneth", "Carol", "Kevin", "Amanda", "Brian",
    "Melissa", "George", "Deborah", "Timothy", "Stephanie", "Ronald", "Rebecca", "Edward", "Laura",
    "Jason", "Sharon", "Jeffrey", "Cynthia", "Ryan", "Kathleen", "Jacob", "Amy", "Gary", "Angela",
    "Nicholas", "Anna", "Eric", "Emma", "Jonathan", "Olivia", "Stephen", "Sophia", "Larry", "Ava",
    "Justin", "Isabella", "Scott", "Mia", "Brandon", "Charlotte", "Benjamin", "Amelia", "Samuel",
    "Harper", "Gregory", "Evelyn", "Alexander", "Abigail", "Patrick", "Ella", "Frank", "Chloe",
    "Raymond", "Grace", "Jack", "Hannah", "Dennis", "Lily", "Jerry", "Zoe", "Tyler", "Nora",
    "Aaron", "Maria", "Jose", "Carmen", "Luis", "Ana", "Carlos", "Sofia", "Juan", "Lucia",
    "Miguel", "Elena", "Ahmed", "Fatima", "Mohammed", "Aisha", "Omar", "Priya", "Raj", "Wei",
    "Li", "Yuki", "Hiroshi", "Ivan", "Olga", "Lukas", "Lena", "Mateo", "Tom", "Sam", "Alex",
    "Chris", "Kate", "Ben", "Max", "Leo", "Noah", "Liam", "Ethan", "Lucas", "Oliver", "Henry",
    "Jane", "Julia", "Rachel", "Peter", "Helen", "Martin", "Claire", "Simon", "Diana", "Victor",
    NULL};

static int is_first_name(const char *s, size_t n, const char *extra)
{
    for (int k = 0; first_names[k]; k++)
        if (strlen(first_names[k]) == n && !strncmp(s, first_names[k], n)) return 1;
    for (const char *p = extra; p && *p;) {
        const char *e = strchr(p, '\n');
        size_t m = e ? (size_t)(e - p) : strlen(p);
        if (m && p[m - 1] == '\r') m--;
        if (m == n && !strncmp(p, s, n)) return 1;
        p = e ? e + 1 : p + m;
    }
    return 0;
}

static const char *const not_name_words[] = {
    "I", "I'm", "I'd", "I'll", "I've", "The", "A", "An", "We", "Our", "You", "Your", "It",
    "This", "That", "Yes", "No", "Hi", "Hello", "Thanks", "Thank", "Please", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday",
    "Saturday", "Sunday", "January", "February", "March", "April", "May", "June", "July",
    "August", "September", "October", "November", "December", "Street", "Avenue", "Road", "Ok",
    "Okay", "Sure", "Looking", "Interested", "Calling", "Writing", "Here", "Just", "Not", "So",
    "Also", "And", "But", "Best", "Kind", "Regards", "Cheers", "Sincerely", "Dear", NULL};

static int capital_word(const finder *f, size_t k, size_t *we)
{
    if (k >= f->n || !(f->t[k] >= 'A' && f->t[k] <= 'Z')) return 0;
    *we = word_end(f, k);
    if (*we < f->n && f->t[*we] == '-' && *we + 1 < f->n && f->t[*we + 1] >= 'A' && f->t[*we + 1] <= 'Z')
        *we = word_end(f, *we + 1); /* Smith-Jones */
    size_t wl = *we - k;
    if (wl < 2) return 0;
    for (int q = 0; not_name_words[q]; q++)
        if (strlen(not_name_words[q]) == wl && !strncmp(f->t + k, not_name_words[q], wl)) return 0;
    return 1;
}

/* Every name of the caller's list (one per line: "Kiwi Zorblax", "Zorblax") wherever it appears
 * as whole words, in any letter case, before the rules that read names from their context. */
static void find_listed_names(finder *f, const char *extra)
{
    for (const char *p = extra; p && *p;) {
        const char *e = strchr(p, '\n');
        size_t m = e ? (size_t)(e - p) : strlen(p);
        const char *q = p;
        p = e ? e + 1 : p + m;
        while (m && (q[m - 1] == '\r' || q[m - 1] == ' ' || q[m - 1] == '\t')) m--;
        while (m && (*q == ' ' || *q == '\t')) q++, m--;
        if (m < 2) continue;
        for (size_t i = 0; i + m <= f->n; i++)
            if ((f->t[i] | 32) == (*q | 32) && boundary(f, i) && boundary_after(f, i + m) &&
                !strncasecmp(f->t + i, q, m))
                add(f, i, i + m, POL_PII_NAME);
    }
}

static void find_names(finder *f, const char *extra)
{
    find_listed_names(f, extra);
    static const char *const triggers[] = {
        "my name is ", "name is ", "name's ", "i'm ", "i am ", "this is ", "call me ",
        "name: ", "mr. ", "mrs. ", "ms. ", "dr. ", "mr ", "mrs ", "ms ", "dr ", "regards, ",
        "regards,\n", "thanks, ", "thanks,\n", "cheers, ", "cheers,\n", "sincerely, ",
        "sincerely,\n", "from: ", "contact: ", "customer: ", "speak to ", "spoke to ",
        "spoke with ", "ask for ", "\n- ", "signed, ", "patient: ", "attn: ", "attention: ", NULL};
    const char *t = f->t;
    for (size_t i = 0; i < f->n; i++) {
        if (!is_al(t[i]) || !boundary(f, i)) continue; /* triggers start a word */
        for (int q = 0; triggers[q]; q++) {
            if ((t[i] | 32) != (triggers[q][0] | 32)) continue;
            size_t m = strlen(triggers[q]);
            if (i + m > f->n || strncasecmp(t + i, triggers[q], m) || !boundary(f, i)) continue;
            if (triggers[q][0] == '\n') continue;
            size_t k = i + m, we, s = k, e = 0;
            int words = 0;
            while (words < 3 && capital_word(f, k, &we)) {
                e = we;
                words++;
                if (we + 1 < f->n && t[we] == ' ') k = we + 1;
                else break;
            }
            /* "I'm Maria", "this is Tom": one word counts only when it is a known first name or
             * the trigger is explicit ("my name is", "Mr.") */
            int explicit_ = q < 3 || (q >= 8 && q <= 15) || q >= 16;
            if (words == 1 && !explicit_ && !is_first_name(t + s, e - s, extra)) continue;
            if (words) add(f, s, e, POL_PII_NAME);
            break;
        }
    }
    /* a known first name followed by a capitalised word: "Maria Lopez" */
    for (size_t i = 0; i < f->n; i++) {
        if (!boundary(f, i) || !(t[i] >= 'A' && t[i] <= 'Z') || f->used[i]) continue;
        size_t we = word_end(f, i);
        if (is_first_name(t + i, we - i, extra)) {
            size_t e = we, w2;
            if (we + 1 < f->n && t[we] == ' ' && capital_word(f, we + 1, &w2)) e = w2;
            /* a lone first name only when the caller listed it */
            int listed = extra && is_first_name(t + i, we - i, extra) && !is_first_name(t + i, we - i, NULL);
            if (e > we || listed) add(f, i, e, POL_PII_NAME);
            i = e;
            continue;
        }
        i = we;
    }
}

void pol__pii_find(const char *text, size_t n, long mask, const char *names, const char *region,
                   pol__pii_found *out)
{
    memset(out, 0, sizeof *out);
    finder f = {text, n, calloc(n + 1, 1), out, region ? region : "US"};
    if (!f.used) {
        out->oom = 1;
        return;
    }
    find_guid(&f);
    if (mask & (1L << POL_PII_EMAIL)) find_email(&f);
    if (mask & (1L << POL_PII_IBAN)) find_iban(&f);
    if (mask & ((1L << POL_PII_CARD) | (1L << POL_PII_SSN))) find_cards_ssn(&f);
    if (mask & (1L << POL_PII_IP)) find_ip(&f);
    if (mask & (1L << POL_PII_DOB)) find_dob(&f);
    if (mask & (1L << POL_PII_PHONE)) find_phones(&f);
    if (mask & (1L << POL_PII_ADDRESS)) find_address(&f);
    if (mask & (1L << POL_PII_NAME)) find_names(&f, names);
    free(f.used);
    /* only asked types (cards and SSNs share a pass) */
    size_t k = 0;
    for (size_t i = 0; i < out->n; i++)
        if (mask & (1L << out->v[i].type)) out->v[k++] = out->v[i];
    out->n = k;
    /* in order */
    for (size_t i = 1; i < out->n; i++)
        for (size_t j = i; j > 0 && out->v[j].start < out->v[j - 1].start; j--) {
            pol__pii_span x = out->v[j];
            out->v[j] = out->v[j - 1];
            out->v[j - 1] = x;
        }
}

char *pol__redact_apply(const char *text, size_t n, const pol__pii_found *f, pol__redact_mode mode,
                        const char *salt, size_t *out_len)
{
    pol__sbuf o = {0};
    size_t at = 0;
    for (size_t i = 0; i < f->n; i++) {
        const pol__pii_span *s = &f->v[i];
        if (s->start < at) continue;
        pol__sbuf_put(&o, text + at, s->start - at);
        if (mode == POL_REDACT_MASK) {
            for (size_t k = s->start; k < s->end; k++) {
                unsigned char c = (unsigned char)text[k];
                if (isalnum(c)) pol__sbuf_put(&o, "*", 1);
                else if (c >= 0x80) {
                    if ((c & 0xC0) != 0x80) pol__sbuf_put(&o, "*", 1); /* one per character */
                } else
                    pol__sbuf_put(&o, (const char *)&text[k], 1);
            }
        } else if (mode == POL_REDACT_LABEL) {
            pol__sbuf_puts(&o, "[");
            pol__sbuf_puts(&o, pol__pii_name(s->type));
            pol__sbuf_puts(&o, "]");
        } else {
            /* FNV-1a over salt, type and the value's letters and digits (so "555-0143" and
             * "555 0143" hash alike) */
            uint64_t h = 1469598103934665603ull;
            for (const char *p = salt ? salt : ""; *p; p++) h = (h ^ (unsigned char)*p) * 1099511628211ull;
            h = (h ^ (unsigned)s->type) * 1099511628211ull;
            for (size_t k = s->start; k < s->end; k++) {
                unsigned char c = (unsigned char)text[k];
                if (isalnum(c) || c >= 0x80) h = (h ^ (unsigned char)tolower(c)) * 1099511628211ull;
            }
            char b[48];
            snprintf(b, sizeof b, "[%s:%08llx]", pol__pii_name(s->type), (unsigned long long)(h >> 32));
            pol__sbuf_puts(&o, b);
        }
        at = s->end;
    }
    pol__sbuf_put(&o, text + at, n - at);
    if (o.oom) {
        free(o.p);
        return NULL;
    }
    *out_len = o.n;
    return o.p;
}
