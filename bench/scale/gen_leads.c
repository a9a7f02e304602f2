/* polish bench — bench/records/gen_leads.py's lead list, fast enough for 10,000,000 rows.
 *
 * Usage: gen_leads ROWS OUT.csv TRUTH.txt   (TRUTH: one entity number per row, in row order)
 * The same people and the same kinds of mess as gen_leads.py (about 70% of people once, the rest
 * two to four times: nicknames, typos, case, missing fields, phone and street formats; names drawn
 * from syllables), from a fixed seed, but its own random stream: the rows are not gen_leads.py's.
 * Written in C because the Python writer takes minutes of CPU for 10M rows; this takes seconds.
 * Build: cc -O2 -o gen_leads bench/scale/gen_leads.c */
#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static uint64_t rng = 20261123;

static uint64_t next(void) /* splitmix64 */
{
    uint64_t z = (rng += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}
static int below(int n) { return (int)((next() >> 33) % (uint64_t)n); }
static int between(int a, int b) { return a + below(b - a + 1); }
static double unit(void) { return (double)(next() >> 11) / 9007199254740992.0; }

#define LEN(a) ((int)(sizeof(a) / sizeof(a)[0]))
static const char *ONSETS[] = {"b", "br", "c", "ch", "d", "f", "g", "h", "j", "k", "l", "m", "n",
                               "p", "r", "s", "sh", "t", "v", "w", "z", "st", "gr", "tr", "kl"};
static const char *VOWELS[] = {"a", "e", "i", "o", "u", "ai", "ea", "ou", "y"};
static const char *CODAS[] = {"", "n", "r", "s", "l", "th", "ck", "m", "nd", "rt", "son", "ton",
                              "ley", "man"};
static const char *NICK[][2] = {{"Robert", "Bob"},     {"William", "Bill"}, {"Elizabeth", "Liz"},
                                {"Margaret", "Peggy"}, {"James", "Jim"},    {"Jennifer", "Jenny"},
                                {"Michael", "Mike"},   {"Richard", "Rick"}, {"Katherine", "Kate"},
                                {"Thomas", "Tom"},     {"Susan", "Sue"},    {"Daniel", "Dan"},
                                {"Joseph", "Joe"}};
static const char *OTHERS[] = {"Maria", "Carlos", "Aisha", "Wei",   "Priya", "Olivia", "Ethan",
                               "Sofia", "Noah",   "Emma",  "Liam",  "Ava",   "Lucas",  "Mia",
                               "Omar",  "Chloe",  "Diego", "Grace", "Hana",  "Ivan",   "Jade",
                               "Kofi",  "Leah",   "Mateo", "Nina",  "Owen"};
static const char *SUFFIXES[][3] = {{"Street", "St.", "St"}, {"Avenue", "Ave.", "Ave"},
                                    {"Drive", "Dr.", "Dr"},  {"Lane", "Ln.", "Ln"},
                                    {"Road", "Rd.", "Rd"},   {"Court", "Ct.", "Ct"}};
static const char *CITIES[][3] = {{"Austin", "TX", "787"},   {"Denver", "CO", "802"},
                                  {"Miami", "FL", "331"},    {"Portland", "OR", "972"},
                                  {"Columbus", "OH", "432"}, {"Raleigh", "NC", "276"},
                                  {"Phoenix", "AZ", "850"},  {"Boston", "MA", "021"},
                                  {"Seattle", "WA", "981"}};
static const char *DOMAINS[] = {"gmail.com", "yahoo.com", "outlook.com", "icloud.com",
                                "hotmail.com", "aol.com"};

typedef struct person {
    char first[32], last[48], email[128], phone[16], street[24];
    int nick, num, suffix, city, zip;
} person;

static void word(char *out, int syll, int cap)
{
    out[0] = '\0';
    for (int i = 0; i < syll; i++) {
        strcat(out, ONSETS[below(LEN(ONSETS))]);
        strcat(out, VOWELS[below(LEN(VOWELS))]);
    }
    strcat(out, CODAS[below(LEN(CODAS))]);
    if (cap) out[0] = (char)toupper((unsigned char)out[0]);
}

static void lower(char *d, const char *s)
{
    while ((*d++ = (char)tolower((unsigned char)*s++))) {}
}

static void make_person(person *p)
{
    p->nick = -1;
    if (unit() < 0.5) {
        int k = below(LEN(NICK) + LEN(OTHERS));
        if (k < LEN(NICK)) p->nick = k;
        strcpy(p->first, k < LEN(NICK) ? NICK[k][0] : OTHERS[k - LEN(NICK)]);
    } else {
        word(p->first, 1, 1);
    }
    word(p->last, below(2) + 1, 1);
    p->city = below(LEN(CITIES));
    char lf[32], ll[48];
    lower(lf, p->first);
    lower(ll, p->last);
    snprintf(p->email, sizeof p->email, "%s.%s%d@%s", lf, ll, between(1, 99),
             DOMAINS[below(LEN(DOMAINS))]);
    snprintf(p->phone, sizeof p->phone, "%d%d%d%04d", between(2, 9), between(10, 99),
             between(200, 999), between(0, 9999));
    p->num = between(1, 9999);
    word(p->street, 1, 1);
    p->suffix = below(LEN(SUFFIXES));
    p->zip = between(0, 99);
}

static void cell(FILE *f, const char *s, int last)
{
    fputc('"', f);
    fputs(s, f); /* no quote can occur in these values */
    fputc('"', f);
    fputc(last ? '\n' : ',', f);
}

static void write_row(FILE *f, const person *p, int dup)
{
    char first[32], last[48], email[128], ph[32], street[64];
    strcpy(first, p->first);
    strcpy(last, p->last);
    strcpy(email, p->email);
    if (dup) {
        if (p->nick >= 0 && unit() < 0.4) strcpy(first, NICK[p->nick][1]);
        if (unit() < 0.15 && strlen(last) >= 4) { /* a typo inside the name */
            last[between(1, (int)strlen(last) - 2)] = "aeiourstn"[below(9)];
        }
        if (unit() < 0.2) {
            for (char *c = first; *c; c++) *c = (char)toupper((unsigned char)*c);
            for (char *c = last; *c; c++) *c = (char)toupper((unsigned char)*c);
        }
        if (unit() < 0.15)
            for (char *c = email; *c; c++) *c = (char)toupper((unsigned char)*c);
    }
    snprintf(street, sizeof street, "%d %s %s", p->num, p->street,
             SUFFIXES[p->suffix][dup ? below(3) : 0]);
    const char *q = p->phone;
    switch (below(4)) {
    case 0: snprintf(ph, sizeof ph, "(%.3s) %.3s-%s", q, q + 3, q + 6); break;
    case 1: snprintf(ph, sizeof ph, "%.3s.%.3s.%s", q, q + 3, q + 6); break;
    case 2: snprintf(ph, sizeof ph, "+1 %.3s %.3s %s", q, q + 3, q + 6); break;
    default: snprintf(ph, sizeof ph, "%s", q);
    }
    int drop = dup ? below(6) : 9;
    char zip[8];
    snprintf(zip, sizeof zip, "%s%02d", CITIES[p->city][2], p->zip);
    cell(f, first, 0);
    cell(f, last, 0);
    cell(f, drop == 0 ? "" : email, 0);
    cell(f, drop == 1 ? "" : ph, 0);
    cell(f, drop == 2 ? "" : street, 0);
    cell(f, CITIES[p->city][0], 0);
    cell(f, CITIES[p->city][1], 0);
    cell(f, zip, 1);
}

int main(int argc, char **argv)
{
    if (argc != 4) {
        fprintf(stderr, "usage: gen_leads ROWS OUT.csv TRUTH.txt\n");
        return 2;
    }
    long rows = atol(argv[1]);
    FILE *f = fopen(argv[2], "w"), *t = fopen(argv[3], "w");
    if (!f || !t || rows < 0) {
        fprintf(stderr, "gen_leads: cannot write %s or %s\n", argv[2], argv[3]);
        return 1;
    }
    static char fb[1 << 20], tb[1 << 16];
    setvbuf(f, fb, _IOFBF, sizeof fb);
    setvbuf(t, tb, _IOFBF, sizeof tb);
    fputs("First Name,Last Name,Email,Phone,Street Address,City,State,Zip\n", f);
    long n = 0, ent = 0;
    while (n < rows) {
        person p;
        make_person(&p);
        ent++;
        int copies = unit() < 0.7 ? 1 : between(2, 4);
        for (int k = 0; k < copies && n < rows; k++, n++) {
            write_row(f, &p, k > 0);
            fprintf(t, "%ld\n", ent);
        }
    }
    if (fclose(f) || fclose(t)) {
        fprintf(stderr, "gen_leads: write failed\n");
        return 1;
    }
    return 0;
}
