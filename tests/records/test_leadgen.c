/* polish — dedupe accuracy on generated messy US lead lists with known truth: nicknames, typos,
 * swapped names, missing fields, per-form phone and address formats, and hard negatives (one
 * household at one address and landline, two people of one name in one city, father and son with
 * Jr./Sr.). Scored pairwise against the truth, beside two naive matchers that must do worse. */
#include <ctype.h>
#include "test_match_util.h"

static const char *const firsts[][2] = {
    {"Robert", "Bob"},   {"William", "Bill"},   {"Elizabeth", "Liz"}, {"Margaret", "Peggy"},
    {"James", "Jim"},    {"Jennifer", "Jenny"}, {"Michael", "Mike"},  {"Patricia", "Trish"},
    {"Richard", "Rick"}, {"Katherine", "Kate"}, {"Thomas", "Tom"},    {"Susan", "Sue"},
    {"Daniel", "Dan"},   {"Deborah", "Debbie"}, {"Joseph", "Joe"},    {"Christopher", "Chris"},
    {"Maria", NULL},     {"Carlos", NULL},      {"Aisha", NULL},      {"Wei", NULL},
    {"Priya", NULL},     {"Olivia", NULL},      {"Ethan", NULL},      {"Sofia", NULL},
    {"Noah", NULL},      {"Emma", NULL},        {"Liam", NULL},       {"Ava", NULL},
};
static const char *const lasts[] = {
    "Smith",     "Johnson",  "Williams",  "Brown",   "Jones",    "Garcia",   "Miller",   "Davis",
    "Rodriguez", "Martinez", "Hernandez", "Lopez",   "Gonzalez", "Wilson",   "Anderson", "Thomas",
    "Taylor",    "Moore",    "Jackson",   "Martin",  "Lee",      "Perez",    "Thompson", "White",
    "Harris",    "Sanchez",  "Clark",     "Ramirez", "Lewis",    "Robinson", "Walker",   "Young",
    "Allen",     "King",     "Wright",    "Scott",   "Torres",   "Nguyen",   "Hill",     "Flores",
    "Green",     "Adams",    "Nelson",    "Baker",   "Hall",     "Rivera",   "Campbell", "Mitchell",
    "Carter",    "Roberts",  "McDonald",  "O'Brien", "Kowalski", "Okafor",   "Patel",    "Cohen",
};
static const char *const streets[] = {
    "Main",      "Oak",    "Pecan",    "Cedar",    "Elm",        "Lamar",  "Congress", "Guadalupe",
    "Riverside", "Sunset", "Lakeview", "Mesquite", "Bluebonnet", "Willow", "Magnolia", "Cypress"};
static const char *const suffixes[][3] = {{"Street", "St.", "St"},        {"Avenue", "Ave.", "Ave"},
                                          {"Drive", "Dr.", "Dr"},         {"Lane", "Ln.", "Ln"},
                                          {"Boulevard", "Blvd.", "Blvd"}, {"Road", "Rd.", "Rd"}};
static const char *const cities[][2] = {{"Austin", "78701"},     {"Round Rock", "78664"},
                                        {"Cedar Park", "78613"}, {"Pflugerville", "78660"},
                                        {"Georgetown", "78626"}, {"San Marcos", "78666"}};
static const char *const domains[] = {"gmail.com", "yahoo.com", "outlook.com", "icloud.com",
                                      "hotmail.com"};

typedef struct person {
    int first, last, street, suffix, city, num;
    char phone[11], email[80];
    const char *gen; /* "Jr." "Sr." or NULL */
} person;

static uint64_t seed = 42;
static uint32_t rnd(uint32_t n)
{
    return rnd32(&seed) % n;
}
static int chance(double p)
{
    return rnd(10000) < (uint32_t)(p * 10000);
}

static void make_person(person *p)
{
    p->first = (int)rnd(sizeof firsts / sizeof firsts[0]);
    p->last = (int)rnd(sizeof lasts / sizeof lasts[0]);
    p->street = (int)rnd(sizeof streets / sizeof streets[0]);
    p->suffix = (int)rnd(sizeof suffixes / sizeof suffixes[0]);
    p->city = (int)rnd(sizeof cities / sizeof cities[0]);
    p->num = 1 + (int)rnd(9000);
    static const char *const areas[] = {"512", "737", "210", "214", "713"};
    snprintf(p->phone, sizeof p->phone, "%s%u%02u%04u", areas[rnd(5)], 2 + rnd(8), rnd(100),
             rnd(10000));
    p->gen = NULL;
    char local[60];
    snprintf(local, sizeof local, "%s.%s%u", firsts[p->first][0], lasts[p->last], rnd(1000));
    size_t k = 0;
    for (const char *c = local; *c; c++)
        if (*c != '\'') p->email[k++] = (char)tolower((unsigned char)*c);
    snprintf(p->email + k, sizeof p->email - k, "@%s", domains[rnd(5)]);
}

static void csv_cell(FILE *f, const char *s, int last)
{
    fputc('"', f);
    for (; *s; s++) {
        if (*s == '"') fputc('"', f);
        fputc(*s, f);
    }
    fputs(last ? "\"\n" : "\",", f);
}

/* One record of a person; dup > 0 adds the mess a second web form makes. */
static void write_record(FILE *f, const person *p, int dup)
{
    char first[96], last[96], email[96], phone[40], street[96];
    const char *fn = firsts[p->first][0];
    if (dup && firsts[p->first][1] && chance(0.35)) fn = firsts[p->first][1];
    snprintf(first, sizeof first, "%s", fn);
    snprintf(last, sizeof last, "%s%s%s", lasts[p->last], p->gen ? " " : "", p->gen ? p->gen : "");
    if (dup && chance(0.2) && strlen(last) > 4) { /* typo */
        size_t i = 1 + rnd((uint32_t)strlen(lasts[p->last]) - 2);
        last[i] = last[i] == 'e' ? 'a' : 'e';
    }
    if (dup && chance(0.2)) /* case mangled */
        for (char *c = first; *c; c++) *c = (char)toupper((unsigned char)*c);
    snprintf(email, sizeof email, "%s", p->email);
    if (dup && chance(0.15))
        for (char *c = email; *c; c++) *c = (char)toupper((unsigned char)*c);
    if (dup && chance(0.05)) {
        char *at = strchr(email, '@');
        if (at && !strncmp(at, "@gmail.com", 10)) memcpy(at, "@gmial.com", 10);
    }
    const char *ph = p->phone;
    switch (rnd(4)) {
    case 0:
        snprintf(phone, sizeof phone, "(%.3s) %.3s-%.4s", ph, ph + 3, ph + 6);
        break;
    case 1:
        snprintf(phone, sizeof phone, "%.3s.%.3s.%.4s", ph, ph + 3, ph + 6);
        break;
    case 2:
        snprintf(phone, sizeof phone, "+1 %.3s %.3s %.4s", ph, ph + 3, ph + 6);
        break;
    default:
        snprintf(phone, sizeof phone, "%s", ph);
    }
    snprintf(street, sizeof street, "%d %s %s", p->num, streets[p->street],
             suffixes[p->suffix][dup ? rnd(3) : 0]);
    int drop = dup ? (int)rnd(6) : 9; /* 0: no email, 1: no phone, 2: no street */
    if (dup && chance(0.05)) {        /* first and last swapped by the form */
        char tmp[96];
        snprintf(tmp, sizeof tmp, "%s", first);
        snprintf(first, sizeof first, "%s", last);
        snprintf(last, sizeof last, "%s", tmp);
    }
    csv_cell(f, first, 0);
    csv_cell(f, last, 0);
    csv_cell(f, drop == 0 ? "" : email, 0);
    csv_cell(f, drop == 1 ? "" : phone, 0);
    csv_cell(f, drop == 2 ? "" : street, 0);
    csv_cell(f, cities[p->city][0], 0);
    csv_cell(f, dup && chance(0.3) ? "texas" : "TX", 0);
    csv_cell(f, cities[p->city][1], 1);
}

typedef struct gen {
    uint32_t *truth;
    unsigned char *hard; /* record belongs to a hard-negative group */
    size_t n, cap;
} gen;

static void emit(FILE *f, gen *g, const person *p, uint32_t entity, int dup, int hard)
{
    if (g->n == g->cap) {
        g->cap = g->cap ? g->cap * 2 : 1024;
        g->truth = realloc(g->truth, g->cap * sizeof *g->truth);
        g->hard = realloc(g->hard, g->cap);
    }
    g->truth[g->n] = entity;
    g->hard[g->n] = (unsigned char)hard;
    g->n++;
    write_record(f, p, dup);
}

/* Writes the list; returns the truth. */
static gen generate(const char *path, int people)
{
    gen g = {0};
    FILE *f = fopen(path, "w");
    fputs("First Name,Last Name,Email,Phone,Street Address,City,State,Zip\n", f);
    uint32_t ent = 0;
    for (int i = 0; i < people; i++) {
        person p;
        make_person(&p);
        ent++;
        emit(f, &g, &p, ent, 0, 0);
        if (chance(0.4)) {
            int d = 1 + (int)rnd(3);
            for (int k = 0; k < d; k++) emit(f, &g, &p, ent, 1, 0);
        }
        int kind = (int)rnd(10);
        if (kind == 0) { /* household: same address and landline, another first name */
            person q = p;
            make_person(&q);
            q.last = p.last;
            q.street = p.street, q.suffix = p.suffix, q.city = p.city, q.num = p.num;
            memcpy(q.phone, p.phone, sizeof q.phone);
            if (q.first == p.first)
                q.first = (q.first + 1) % (int)(sizeof firsts / sizeof firsts[0]);
            emit(f, &g, &q, ++ent, 0, 1);
            g.hard[g.n - 2 - 0] |= 1;
        } else if (kind == 1) { /* same name, same city, nothing else in common */
            person q;
            make_person(&q);
            q.first = p.first, q.last = p.last, q.city = p.city;
            emit(f, &g, &q, ++ent, 0, 1);
        } else if (kind == 2) { /* father and son: one address, one landline, Jr. and Sr. */
            person son = p;
            make_person(&son);
            son.first = p.first, son.last = p.last;
            son.street = p.street, son.suffix = p.suffix, son.city = p.city, son.num = p.num;
            memcpy(son.phone, p.phone, sizeof son.phone);
            son.gen = "Jr.";
            person father = p;
            father.gen = "Sr.";
            emit(f, &g, &father, ent, 0, 1); /* the father again, now with his suffix */
            emit(f, &g, &son, ++ent, 0, 1);
        }
    }
    fclose(f);
    return g;
}

static uint32_t *clusters_by(const pol__table *t, size_t n, long c1, long c2)
{
    uint32_t *ids = calloc(n, sizeof *ids);
    uint32_t next = 0;
    for (size_t i = 0; i < n; i++) {
        char a[160];
        snprintf(a, sizeof a, "%s|%s", pol__table_get(t, i, (size_t)c1),
                 c2 >= 0 ? pol__table_get(t, i, (size_t)c2) : "");
        for (char *c = a; *c; c++) *c = (char)tolower((unsigned char)*c);
        if (!strcmp(a, "|") || a[0] == '\0') {
            ids[i] = ++next;
            continue;
        }
        ids[i] = 0;
        for (size_t j = 0; j < i && !ids[i]; j++) {
            char b[160];
            snprintf(b, sizeof b, "%s|%s", pol__table_get(t, j, (size_t)c1),
                     c2 >= 0 ? pol__table_get(t, j, (size_t)c2) : "");
            for (char *c = b; *c; c++) *c = (char)tolower((unsigned char)*c);
            if (!strcmp(a, b)) ids[i] = ids[j];
        }
        if (!ids[i]) ids[i] = ++next;
    }
    return ids;
}

static void test_generated_leads(void **state)
{
    (void)state;
    rctx t;
    rctx_init(&t);
    const char *path = rpath(&t, "leads.csv");
    gen g = generate(path, 1500);
    if (getenv("POLISH_TEST_KEEP")) { /* keep the generated list to look at */
        char cmd[512];
        snprintf(cmd, sizeof cmd, "cp '%s' '%s'", path, getenv("POLISH_TEST_KEEP"));
        if (system(cmd) != 0) fail_msg("cannot keep %s", path);
    }
    t.run.input = path;
    pol_asset *a = NULL;
    assert_int_equal(pol__records_domain.load(&t.run, path, &a), POL_OK);
    pol__records *r = pol__records_of(a);
    size_t n = pol__table_rows(r->rows);
    assert_int_equal(n, g.n);
    /* Naive matchers on the raw rows: exact email, and first + last name. */
    uint32_t *by_email = clusters_by(r->rows, n, 2, -1);
    uint32_t *by_name = clusters_by(r->rows, n, 0, 1);
    prf se = pairwise(by_email, g.truth, n), sn = pairwise(by_name, g.truth, n);

    assert_int_equal(run_op(&t, a, &pol__records_op_standardise, NULL), POL_OK);
    assert_int_equal(run_op(&t, a, &pol__records_op_dedupe, NULL), POL_OK);
    long cc = pol__table_find(r->rows, "cluster_id");
    uint32_t *pred = malloc(n * sizeof *pred);
    for (size_t i = 0; i < n; i++)
        pred[i] = (uint32_t)strtoul(pol__table_get(r->rows, i, (size_t)cc), NULL, 10);
    prf s = pairwise(pred, g.truth, n);
    /* Hard negatives: pairs of distinct people inside the hard groups that were merged. */
    size_t hard_pairs = 0, hard_merged = 0;
    for (size_t i = 0; i < n; i++)
        for (size_t j = i + 1; j < n && j < i + 4; j++)
            if (g.hard[i] && g.hard[j] && g.truth[i] != g.truth[j]) {
                hard_pairs++;
                hard_merged += pred[i] == pred[j];
            }
    print_message("generated leads: %zu records, %u people\n", n, g.truth[n - 1]);
    print_message("  polish dedupe: precision %.4f recall %.4f F1 %.4f\n", s.p, s.r, s.f1);
    print_message("  exact email:   precision %.4f recall %.4f F1 %.4f\n", se.p, se.r, se.f1);
    print_message("  first+last:    precision %.4f recall %.4f F1 %.4f\n", sn.p, sn.r, sn.f1);
    print_message("  hard negatives merged: %zu of %zu neighbouring pairs\n", hard_merged,
                  hard_pairs);
    const double bound = 0.95;
    assert_true(s.f1 >= bound);
    assert_true(s.p >= 0.97);
    assert_true(se.f1 < bound); /* the bound is one that naive matching fails */
    assert_true(sn.f1 < bound);
    assert_true(hard_pairs > 100);
    assert_true(hard_merged * 50 <= hard_pairs); /* at most 2% */
    free(pred);
    free(by_email);
    free(by_name);
    free(g.truth);
    free(g.hard);
    pol__asset_unref(a);
    rctx_done(&t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_generated_leads)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
