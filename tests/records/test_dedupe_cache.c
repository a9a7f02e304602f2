/* polish — the matcher's shortcuts give the answers of the plain comparison: features made in
 * parts on two threads with interned strings (one offset per distinct string, the levels of a
 * pair of names remembered by their offsets) against features made serially with nothing
 * interned and compared without a memo. Random pairs of a table of repeating values and tricky
 * pairs (nicknames, initials, diacritics, names past the feature length, Jr./Sr., swapped birth
 * days, phone extensions, one side empty) must get the same level in every field. */
#include "test_match_util.h"
#include "records/dedupe_int.h"

enum { ROWS = 70000 }; /* over two parts of MT_PART_ROWS on two threads */

static const char *const firsts[] = {
    "Robert", "Bob", "Rob", "B", "R.", "William", "Bill", "Will", "Elizabeth", "Liz", "Beth",
    "Jürgen", "Jurgen", "JÜRGEN", "María", "Maria", "Chloé", "Chloe", "Zoë", "Søren", "Soren",
    "Katherine", "Kate", "Catherine", "Kathryn", "Jon", "John", "Jonathan", "Ann", "Anne", "Anna",
    "Maximilianus-Alexandros-Konstantinos-Papadopoulos-the-Elder", /* past MAXF */
    "Maximilianus-Alexandros-Konstantinos-Papadopoulos-the-Younger", "", "  ", "Dwayne", "Duane",
    "Martha", "Marhta", "Li", "Lee", "O", "Ö"};
static const char *const lasts[] = {
    "Smith", "Smyth", "Smith Jr.", "Smith Sr.", "Smith III", "Müller", "Muller", "Mueller",
    "O'Brien", "OBrien", "O Brien", "García", "Garcia", "Nguyen", "Ngyuen", "Dixon", "Dicksonx",
    "Kowalski", "Kowalsky", "van der Berg", "Vanderberg", "de la Cruz", "Lee", "Li", "",
    "Wolfeschlegelsteinhausenbergerdorff-Bartholomew-Junior", /* past MAXF */
    "Wolfeschlegelsteinhausenbergerdorff-Bartholomew-Senior", "X",
    "William", "Bill", "Robert", "Bob", "Lee Jr"}; /* first names as surnames: other levels */
static const char *const streets[] = {
    "12 Main St", "12 Main Street", "21 Main St", "12 Mian St", "Main St", "1200 Oak Avenue",
    "1200 Oak Ave", "7 Lake Shore Dr", "7 Lakeshore Drive", "", "12", "PO Box 7",
    "350 Fifth Avenue Suite 3300 Empire State Building New York", "350 Fifth Ave"};
static const char *const cities[] = {"Austin", "Austn", "Round Rock", "Roundrock", "Boston",
                                     "Bostn", "München", "Munchen", "", "St. Louis", "Saint Louis"};
static const char *const states[] = {"TX", "MA", "CA", "", "NY", "tx"};
static const char *const zips[] = {"78701", "78710", "78701-1234", "02134", "2134", "", "SW1A 1AA",
                                   "10115", "00-950"};
static const char *const companies[] = {"Acme Inc", "ACME Incorporated", "Acme", "Globex Corp",
                                        "Globex Corporation", "", "Initech LLC", "Umbrella"};
static const char *const dobs[] = {"1980-04-09", "1980-09-04", "1980-04-19", "1981-04-09", "",
                                   "1975-12-31", "12/31/1975", "1999"};

static const char *pick(uint64_t *sd, const char *const *v, size_t n)
{
    return v[rnd32(sd) % n];
}
#define PICK(sd, v) pick(sd, v, sizeof v / sizeof v[0])

static pol__records *make_table(void)
{
    static const char *const head[] = {"First Name", "Last Name", "Email",   "Phone",
                                       "Street",     "City",      "State",   "Zip",
                                       "Company",    "Date of Birth"};
    pol__table *t = pol__table_new(10);
    for (size_t c = 0; c < 10; c++) pol__table_set_name(t, c, head[c]);
    uint64_t sd = 20261207;
    char email[96], phone[48];
    for (size_t r = 0; r < ROWS; r++) {
        const char *cells[10];
        cells[0] = PICK(&sd, firsts);
        cells[1] = PICK(&sd, lasts);
        /* emails and phones repeat a little (duplicates) and differ by one character */
        uint32_t who = rnd32(&sd) % (ROWS / 3);
        static const char *const doms[] = {"gmail.com", "gmial.com", "acme.io", "yahoo.com"};
        snprintf(email, sizeof email, "%s%u@%s", rnd32(&sd) % 5 ? "p" : "q", who, PICK(&sd, doms));
        if (rnd32(&sd) % 11 == 0) email[0] = '\0';
        static const char *const fmt[] = {"(512) 555-%04u", "512.555.%04u", "+1 512 555 %04u",
                                          "555-%04u x12", "%04u"};
        snprintf(phone, sizeof phone, fmt[rnd32(&sd) % 5], who % 10000);
        cells[2] = email;
        cells[3] = phone;
        cells[4] = PICK(&sd, streets);
        cells[5] = PICK(&sd, cities);
        cells[6] = PICK(&sd, states);
        cells[7] = PICK(&sd, zips);
        cells[8] = PICK(&sd, companies);
        cells[9] = PICK(&sd, dobs);
        pol__table_add_row(t, cells, 10, (uint32_t)r + 2);
    }
    return pol__records_new(t);
}

/* Stage 1 as pol__match makes it, with `threads` threads; plain: nothing interned. */
static void features(rctx *t, const pol__records *r, int threads, int plain, fstore *s)
{
    memset(s, 0, sizeof *s);
    size_t n = pol__table_rows(r->rows);
    s->f = calloc(n, sizeof *s->f);
    s->text = malloc(s->text_cap = 64);
    assert_non_null(s->f);
    assert_non_null(s->text);
    s->text[s->text_len++] = '\0';
    s->n = n;
    s->plain = plain;
    pol__match_result res;
    memset(&res, 0, sizeof res);
    t->run.threads = threads;
    assert_true(pol__mt_features(&t->run, r, NULL, s, &res));
    assert_true(res.used_fields & (1u << POL_MF_FIRST));
}

static void fstore_free(fstore *s)
{
    free(s->f);
    free(s->text);
}

/* Levels of pair (a, b) in the fast store (memo) and the plain one (no memo) must agree. */
static size_t check_pair(const fstore *fast, const fstore *plain, mt_memo *memo, uint32_t a,
                         uint32_t b)
{
    uint8_t l1[POL_MF_COUNT], l2[POL_MF_COUNT];
    pol__mt_compare_memo(fast, &fast->f[a], &fast->f[b], l1, memo);
    pol__mt_compare(plain, &plain->f[a], &plain->f[b], l2);
    size_t bad = 0;
    for (int k = 0; k < POL_MF_COUNT; k++)
        if (l1[k] != l2[k]) {
            if (bad == 0)
                print_message("rows %u/%u %s: \"%s\" vs \"%s\": level %d, plain %d\n", a, b,
                              pol__mfield_name((pol__mfield)k), fs(plain, &plain->f[a], k),
                              fs(plain, &plain->f[b], k), l1[k], l2[k]);
            bad++;
        }
    return bad;
}

static void test_cached_equals_plain(void **state)
{
    (void)state;
    rctx t;
    rctx_init(&t);
    pol__records *r = make_table();
    assert_int_equal(pol__roles_infer(&t.run, r,
                                      "First Name=first_name,Last Name=last_name,Email=email,"
                                      "Phone=phone,Street=street,City=city,State=state,"
                                      "Zip=postcode,Company=company,Date of Birth=date",
                                      0),
                     POL_OK);
    fstore fast, serial, plain;
    features(&t, r, 2, 0, &fast);   /* in parts, interned */
    features(&t, r, 1, 0, &serial); /* one part, interned */
    features(&t, r, 1, 1, &plain);  /* one part, plain */
    assert_true(fast.interned != 0);
    assert_int_equal(plain.interned, 0);

    /* The same features, string for string, whichever way they were made. */
    size_t n = pol__table_rows(r->rows), diff = 0;
    for (size_t i = 0; i < n; i++)
        for (int k = 0; k < POL_MF_COUNT; k++) {
            const feat *a = &fast.f[i], *p = &plain.f[i];
            if (a->len[k] != p->len[k] || strcmp(fs(&fast, a, k), fs(&plain, p, k)) ||
                a->canon_len != p->canon_len ||
                strcmp(fast.text + a->canon_first, plain.text + p->canon_first) ||
                a->gen != p->gen || strcmp(a->sdx_first, p->sdx_first))
                diff++;
        }
    assert_int_equal(diff, 0);

    /* Interned fields: one offset per distinct string, across the parts too. */
    uint64_t sd = 7;
    size_t wrong = 0;
    for (size_t i = 0; i < 200000; i++) {
        uint32_t a = rnd32(&sd) % n, b = rnd32(&sd) % n;
        for (int k = 0; k < POL_MF_COUNT; k++) {
            if (!(fast.interned >> k & 1) || !fast.f[a].len[k] || !fast.f[b].len[k]) continue;
            int same_text = !strcmp(fs(&fast, &fast.f[a], k), fs(&fast, &fast.f[b], k));
            wrong += same_text != (fast.f[a].off[k] == fast.f[b].off[k]);
        }
    }
    assert_int_equal(wrong, 0);

    /* Random pairs twice over one memo (the second time mostly remembered), then every pair of
     * a block of rows that share a last name's first letter (near values: the tricky cases). */
    mt_memo *memo = calloc(1, sizeof *memo);
    assert_non_null(memo);
    size_t bad = 0, pairs = 0;
    for (int round = 0; round < 2; round++) {
        sd = 11;
        for (size_t i = 0; i < 60000; i++, pairs++) {
            uint32_t a = rnd32(&sd) % n, b = rnd32(&sd) % n;
            bad += check_pair(&fast, &plain, memo, a, b);
            bad += check_pair(&serial, &plain, NULL, a, b);
        }
    }
    for (uint32_t a = 0; a < 600; a++)
        for (uint32_t b = a + 1; b < 600; b++, pairs++) {
            bad += check_pair(&fast, &plain, memo, a, b);
            bad += check_pair(&fast, &plain, memo, b, a);
            bad += check_pair(&fast, &plain, memo, n - 1 - a, b); /* across the parts */
        }
    print_message("%zu pairs compared, %zu fields differ\n", pairs, bad);
    assert_int_equal(bad, 0);
    free(memo);
    fstore_free(&fast);
    fstore_free(&serial);
    fstore_free(&plain);
    pol__records_free(r);
    rctx_done(&t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_cached_equals_plain)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
