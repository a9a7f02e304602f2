/* polish — records.validate: required fields, invalid contacts, junk and test entries to
 * quarantine. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "records/records.h"
#include "records/std.h"

static const pol_param_desc params[] = {
    {"require", POL_PARAM_STR, "contact", 0, -1, NULL,
     "Fields every row needs, comma-separated roles (email, phone, first_name, ...); \"contact\" = "
     "a valid email or phone; \"none\" = nothing."},
    {"invalid", POL_PARAM_ENUM, "flag", 0, -1, "flag|quarantine|keep",
     "Rows with an invalid email or phone: keep them and name the invalid fields in an "
     "invalid_fields column (a row with nothing valid to reach the person still goes to the "
     "quarantine), move them to the quarantine, or keep them unmarked (counted)."},
    {"junk", POL_PARAM_BOOL, "true", 0, -1, NULL,
     "Quarantine test and junk entries (asdf, test test, test@test.com, example.com, 555-01xx)."},
    {"region", POL_PARAM_STR, "US", 0, -1, NULL, "Default country for national phone numbers."},
};

/* ---- junk ----------------------------------------------------------------------------------- */

static int lower_eq(const char *a, const char *b)
{
    return strcasecmp(a, b) == 0;
}

/* Keyboard rows: most of the word is neighbouring keys typed in a row ("asdf", "qwerty"), but
 * not a name that merely contains four of them ("Doherty"). */
static int keyboard_run(const char *s)
{
    static const char *const rows[] = {"qwertyuiop", "asdfghjkl", "zxcvbnm", "1234567890",
                                       "poiuytrewq", "lkjhgfdsa", "mnbvcxz", "0987654321"};
    size_t n = strlen(s), best = 0;
    for (size_t i = 0; i + 3 <= n; i++)
        for (size_t r = 0; r < sizeof rows / sizeof rows[0]; r++) {
            const char *p = strchr(rows[r], tolower((unsigned char)s[i]));
            if (!p) continue;
            size_t k = 1;
            while (i + k < n && p[k] && tolower((unsigned char)s[i + k]) == p[k]) k++;
            if (k > best) best = k;
        }
    return best >= 4 && best * 10 >= n * 7;
}

/* A word made of one short unit repeated ("aaa", "asdasdasd", "lololo"); "Lili" and "Anna" are
 * names. */
static int repeated_unit(const char *s, size_t n)
{
    for (size_t u = 1; u <= 3; u++) {
        if (n < 3 * u) break;
        size_t i = u;
        while (i < n && tolower((unsigned char)s[i]) == tolower((unsigned char)s[i - u])) i++;
        if (i == n) return 1;
    }
    return 0;
}

/* "n/a", "none", "-": a form's way of saying empty. */
static int placeholder(const char *v)
{
    static const char *const p[] = {
        "n/a",     "na", "none", "null", "-",   "--",           "---",      ".",        "?",
        "unknown", "no", "nil",  "x",    "tbd", "not provided", "no email", "no phone", "0"};
    for (size_t i = 0; i < sizeof p / sizeof p[0]; i++)
        if (strcasecmp(v, p[i]) == 0) return 1;
    return 0;
}

/* Why a name looks like a test or junk entry, or NULL. */
static const char *junk_name(const char *full)
{
    static const char *const words[] = {
        "test",   "testing", "tester", "asdf", "qwerty",  "xxx",  "xxxx",  "aaa",    "abc",
        "none",   "n/a",     "na",     "null", "unknown", "fake", "dummy", "sample", "noname",
        "nobody", "blah",    "foo",    "bar",  "foobar",  "sdf",  "jkl",   "zzz"};
    static const char *const pairs[] = {"mickey mouse", "donald duck",        "test user",
                                        "first last",   "firstname lastname", "your name",
                                        "asdf asdf",    "test test",          "john test"};
    if (!*full) return NULL;
    for (size_t i = 0; i < sizeof pairs / sizeof pairs[0]; i++)
        if (lower_eq(full, pairs[i])) return "test name";
    /* Every word junk: "Test", "Test Test", "asdf jkl". */
    char buf[256];
    snprintf(buf, sizeof buf, "%s", full);
    int words_n = 0, junk = 0;
    for (char *save = NULL, *w = strtok_r(buf, " ", &save); w; w = strtok_r(NULL, " ", &save)) {
        words_n++;
        size_t n = strlen(w);
        int is = 0;
        for (size_t i = 0; i < sizeof words / sizeof words[0]; i++) is |= lower_eq(w, words[i]);
        is |= keyboard_run(w) || repeated_unit(w, n);
        junk += is;
    }
    return words_n && junk == words_n ? "junk name" : NULL;
}

static const char *junk_email(const char *e)
{
    const char *at = strchr(e, '@');
    if (!at) return NULL;
    const char *dom = at + 1;
    static const char *const domains[] = {
        "example.com", "example.org",    "example.net", "test.com",    "test.test",  "email.test",
        "invalid",     "mailinator.com", "none.com",    "noemail.com", "nomail.com", "fake.com",
        "asdf.com",    "domain.com",     "sample.com",  "xxx.com",     "abc.com",    "localhost"};
    for (size_t i = 0; i < sizeof domains / sizeof domains[0]; i++)
        if (lower_eq(dom, domains[i])) return "test email domain";
    size_t ll = (size_t)(at - e);
    char local[128];
    if (ll >= sizeof local) return NULL;
    memcpy(local, e, ll);
    local[ll] = '\0';
    static const char *const locals[] = {
        "test",   "testing", "asdf", "noemail", "no-email", "none", "noreply",    "no-reply",
        "nobody", "fake",    "na",   "n/a",     "null",     "xxx",  "donotreply", "dummy"};
    for (size_t i = 0; i < sizeof locals / sizeof locals[0]; i++)
        if (lower_eq(local, locals[i])) return "test email address";
    if (keyboard_run(local)) return "keyboard-mash email";
    if (repeated_unit(local, ll)) return "keyboard-mash email";
    return NULL;
}

/* ---- the rule set --------------------------------------------------------------------------- */

typedef struct rules {
    int contact; /* a valid email or phone is required */
    unsigned char need[POL_ROLE_COUNT];
    int quarantine_invalid;
    int junk;
    const char *region;
} rules;

static pol_status parse_require(pol_run *run, pol__records *r, const char *spec, rules *ru)
{
    if (!spec || !*spec || strcasecmp(spec, "none") == 0) return POL_OK;
    char buf[512];
    snprintf(buf, sizeof buf, "%s", spec);
    for (char *save = NULL, *w = strtok_r(buf, ", ", &save); w; w = strtok_r(NULL, ", ", &save)) {
        if (strcasecmp(w, "contact") == 0) {
            ru->contact = 1;
            continue;
        }
        pol__role role = pol__role_from_name(w);
        if (role == POL_ROLE_UNKNOWN)
            return pol__fail(run, POL_ERR_ARG,
                             "--require: \"%s\" is not a role (email, phone, first_name, "
                             "last_name, full_name, street, city, state, postcode, ..., contact, "
                             "none)",
                             w);
        if (pol__records_col(r, role) < 0) {
            pol__warn(run, "--require %s: no column has that role; the rule is skipped", w);
            continue;
        }
        ru->need[role] = 1;
    }
    if (ru->contact && pol__records_col(r, POL_ROLE_EMAIL) < 0 &&
        pol__records_col(r, POL_ROLE_PHONE) < 0) {
        pol__warn(run,
                  "no email or phone column: the contact rule is skipped (--map to name them)");
        ru->contact = 0;
    }
    return POL_OK;
}

/* Appends a reason to buf ("; "-separated). */
static void add_reason(char *buf, size_t cap, const char *fmt, const char *v)
{
    size_t l = strlen(buf);
    if (l + 4 >= cap) return;
    if (l) {
        memcpy(buf + l, "; ", 3);
        l += 2;
    }
    snprintf(buf + l, cap - l, fmt, v);
}

static pol_status run(pol_run *run, pol_asset *asset, const pol_args *args)
{
    pol__records *r = pol__records_of(asset);
    pol_status st = pol__records_ensure_roles(run, r);
    if (st) return st;
    char why_not[160];
    if (!pol__arg_set(args, "require") && !pol__records_has_identity(r, why_not, sizeof why_not)) {
        pol__decline(run, "nothing validated: %s; every row kept (--require to check fields)",
                     why_not);
        return POL_OK;
    }
    if (pol__records_quarantine_overflow(run, r) < 0)
        return pol__fail(run, POL_ERR_NOMEM, "out of memory");
    rules ru;
    memset(&ru, 0, sizeof ru);
    ru.quarantine_invalid = strcmp(pol__arg_str(args, "invalid"), "quarantine") == 0;
    int flag_invalid = strcmp(pol__arg_str(args, "invalid"), "flag") == 0;
    ru.junk = pol__arg_bool(args, "junk");
    ru.region = pol__arg_str(args, "region");
    char guessed[3];
    if (!pol__arg_set(args, "region") && pol__records_guess_region(r, guessed) >= 0.6 &&
        strcmp(guessed, ru.region) != 0) {
        pol__decide(run, "region %s, from the rows' states, countries or postcodes", guessed);
        ru.region = guessed;
    }
    if ((st = parse_require(run, r, pol__arg_str(args, "require"), &ru))) return st;

    pol__table *t = r->rows;
    size_t nr = pol__table_rows(t), nc = pol__table_cols(t);
    const char **reason = calloc(nr ? nr : 1, sizeof *reason);
    pol__arena *arena = pol__arena_new();
    if (!reason || !arena) {
        free(reason);
        pol__arena_free(arena);
        return pol__fail(run, POL_ERR_NOMEM, "out of memory");
    }
    size_t n_missing = 0, n_no_contact = 0, n_bad_email = 0, n_bad_phone = 0, n_junk = 0;
    size_t kept_invalid = 0, n_fictional = 0, n_flagged = 0;
    const char **flags = calloc(nr ? nr : 1, sizeof *flags);
    if (!flags) {
        free(reason);
        pol__arena_free(arena);
        return pol__fail(run, POL_ERR_NOMEM, "out of memory");
    }
    for (size_t row = 0; row < nr; row++) {
        char why[512] = "", bad_fields[512] = "";
        int emails = 0, good_emails = 0, phones = 0, good_phones = 0, bad = 0, fictional = 0;
        char name[256] = "";
        const char *first = "", *last = "";
        for (size_t c = 0; c < nc; c++) {
            const char *v = pol__table_get(t, row, c);
            pol__role role = r->roles[c];
            if (ru.need[role] && (!*v || placeholder(v))) {
                add_reason(why, sizeof why, "missing %s", pol__role_name(role));
                n_missing++;
            }
            if (!*v) continue;
            if ((role == POL_ROLE_EMAIL || role == POL_ROLE_PHONE) && placeholder(v)) continue;
            if (role == POL_ROLE_EMAIL) {
                char e[512];
                const char *typo;
                emails++;
                size_t n = strlen(v);
                if (n < sizeof e && pol__email_std(v, n, e, sizeof e, &typo) == POL_EMAIL_OK) {
                    good_emails++;
                    const char *j = ru.junk ? junk_email(e) : NULL;
                    if (j) {
                        add_reason(why, sizeof why, "%s", j);
                        n_junk++;
                    }
                } else {
                    bad = 1;
                    n_bad_email++;
                    add_reason(bad_fields, sizeof bad_fields, "%s", pol__table_name(t, c));
                    if (ru.quarantine_invalid)
                        add_reason(why, sizeof why, "invalid email '%.60s'", v);
                }
            } else if (role == POL_ROLE_PHONE) {
                pol__phone ph;
                phones++;
                if (pol__phone_parse(v, strlen(v), ru.region, &ph) == POL_PHONE_VALID) {
                    /* 555-0100..0199 is reserved for fiction: no contact, but sample data and
                     * demos use it, so it sinks a row only when nothing else reaches the
                     * person (below). */
                    if (ru.junk && ph.fictional)
                        fictional++;
                    else
                        good_phones++;
                } else {
                    bad = 1;
                    n_bad_phone++;
                    add_reason(bad_fields, sizeof bad_fields, "%s", pol__table_name(t, c));
                    if (ru.quarantine_invalid)
                        add_reason(why, sizeof why, "invalid phone '%.40s'", v);
                }
            } else if (role == POL_ROLE_FIRST_NAME) {
                first = v;
            } else if (role == POL_ROLE_LAST_NAME) {
                last = v;
            } else if (role == POL_ROLE_FULL_NAME && !name[0]) {
                snprintf(name, sizeof name, "%s", v);
            }
        }
        (void)emails;
        (void)phones;
        if (!name[0] && (*first || *last))
            snprintf(name, sizeof name, "%s%s%s", first, *first && *last ? " " : "", last);
        if (ru.junk) {
            const char *j = junk_name(name);
            if (j) {
                add_reason(why, sizeof why, "%s", j);
                n_junk++;
            }
        }
        if (ru.contact && !good_emails && !good_phones) {
            add_reason(why, sizeof why, "%s",
                       fictional ? "only a fictional (555-01xx) phone number"
                                 : "no valid email or phone");
            n_no_contact++;
        }
        n_fictional += fictional != 0;
        if (bad && !ru.quarantine_invalid && !why[0]) {
            kept_invalid++;
            if (flag_invalid) {
                flags[row] = pol__arena_strndup(arena, bad_fields, strlen(bad_fields));
                if (!flags[row]) {
                    free(flags);
                    free(reason);
                    pol__arena_free(arena);
                    return pol__fail(run, POL_ERR_NOMEM, "out of memory");
                }
                n_flagged++;
            }
        }
        if (why[0]) {
            reason[row] = pol__arena_strndup(arena, why, strlen(why));
            if (!reason[row]) {
                free(flags);
                free(reason);
                pol__arena_free(arena);
                return pol__fail(run, POL_ERR_NOMEM, "out of memory");
            }
        }
    }
    if (n_flagged) {
        /* Flagged rows stay: their invalid fields are named, the rest of the row reaches the
         * person. Written before the move so the quarantine's columns are the same. */
        long fc = pol__table_find(t, "invalid_fields");
        if (fc < 0) fc = pol__table_add_col(t, "invalid_fields");
        if (fc < 0 || pol__records_sync_cols(r)) {
            free(flags);
            free(reason);
            pol__arena_free(arena);
            return pol__fail(run, POL_ERR_NOMEM, "out of memory");
        }
        r->roles[fc] = POL_ROLE_TEXT;
        for (size_t i = 0; i < nr; i++)
            if (flags[i]) pol__table_set_ref(t, i, (size_t)fc, flags[i]);
        if (pol__table_adopt_arena(t, arena)) {
            free(flags);
            free(reason);
            return pol__fail(run, POL_ERR_NOMEM, "out of memory");
        }
        arena = NULL;
    }
    free(flags);
    size_t moved = 0;
    for (size_t i = 0; i < nr; i++) moved += reason[i] != NULL;
    int rc = pol__records_quarantine_rows(r, reason);
    free(reason);
    pol__arena_free(arena);
    if (rc) return pol__fail(run, POL_ERR_NOMEM, "out of memory moving rows to the quarantine");
    if (!r->quarantine) {
        /* An empty quarantine still means "validated": `polish fix` writes the file. */
        pol__table *q = pol__table_new_like(r->rows);
        if (!q || pol__table_add_col(q, "quarantine_reason") < 0 ||
            pol__table_add_col(q, "source_line") < 0) {
            pol__table_free(q);
            return pol__fail(run, POL_ERR_NOMEM, "out of memory");
        }
        r->quarantine = q;
    }
    pol__measure_int(run, "rows_checked", (long long)nr);
    pol__measure_int(run, "rows_quarantined", (long long)moved);
    pol__measure_int(run, "missing_required", (long long)n_missing);
    pol__measure_int(run, "no_contact", (long long)n_no_contact);
    pol__measure_int(run, "invalid_emails", (long long)n_bad_email);
    pol__measure_int(run, "invalid_phones", (long long)n_bad_phone);
    pol__measure_int(run, "junk", (long long)n_junk);
    pol__measure_int(run, "fictional_phones", (long long)n_fictional);
    if (n_flagged)
        pol__decide(run,
                    "kept %zu rows with an invalid email or phone that still reach the person; "
                    "the invalid fields are named in invalid_fields (--invalid quarantine to move "
                    "them)",
                    n_flagged);
    else if (kept_invalid)
        pol__decide(run, "kept %zu rows with an invalid email or phone (--invalid keep)",
                    kept_invalid);
    if (moved)
        pol__decide(run, "moved %zu of %zu rows to the quarantine, each with its reason", moved,
                    nr);
    else
        pol__decline(run, "every row passed");
    pol__confidence(run, 0.9);
    return POL_OK;
}

const pol_op_desc pol__records_op_validate = {
    .domain = "records",
    .name = "validate",
    .summary =
        "Move rows without a valid contact, with invalid values or test/junk entries to quarantine",
    .params = params,
    .n_params = POL_ARRAY_LEN(params),
    .run = run,
    .flags = POL_OP_AUTO,
};
