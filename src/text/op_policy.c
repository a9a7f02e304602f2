/* polish — text.policy: an answer against a policy file (YAML): banned phrases and competitor
 * names (reported), brand terms' exact spelling (corrected), required disclaimers per topic
 * (appended when missing), length and reading-level limits (reported), greeting and sign-off
 * templates (added when missing, if the policy gives them). Nothing else changes.
 *
 *   banned: [guaranteed, "best in town"]
 *   competitors: [Crumbs & Co]
 *   brand: [GreenStreet Bakery]
 *   disclaimers:
 *     - topics: [refund, return]
 *       text: Refunds follow our returns policy.
 *   max-chars: 600
 *   max-grade: 9
 *   greeting: "Hi!"
 *   sign-off: "— The GreenStreet team"
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <strings.h>
#include <yaml.h>
#include "text/textutil.h"
#include "text/text.h"

static const pol_port_desc inputs[] = {
    {"policy", POL_PORT_FILE, NULL, "yaml|yml", POL_PORT_REQUIRED | POL_PORT_SHARED,
     "The policy file (YAML): banned, competitors, brand, disclaimers, greeting, sign-off, "
     "max-chars, max-grade."},
};

#define MAXL 64
typedef struct policy {
    char *banned[MAXL], *competitors[MAXL], *brand[MAXL];
    int n_banned, n_competitors, n_brand;
    struct {
        char *topics[16];
        int n_topics;
        char *text;
    } disc[16];
    int n_disc;
    long max_chars;
    double max_grade;
    char *greeting, *sign_off;
} policy;

static void policy_free(policy *p)
{
    for (int i = 0; i < p->n_banned; i++) free(p->banned[i]);
    for (int i = 0; i < p->n_competitors; i++) free(p->competitors[i]);
    for (int i = 0; i < p->n_brand; i++) free(p->brand[i]);
    for (int d = 0; d < p->n_disc; d++) {
        for (int i = 0; i < p->disc[d].n_topics; i++) free(p->disc[d].topics[i]);
        free(p->disc[d].text);
    }
    free(p->greeting);
    free(p->sign_off);
}

/* A small reader for this one shape: top-level keys with a scalar, a list of scalars, or (for
 * disclaimers) a list of {topics, text}. Errors name the line. */
typedef struct rd {
    yaml_parser_t y;
    yaml_event_t ev;
    char err[200];
} rd;

static int next(rd *r)
{
    yaml_event_delete(&r->ev);
    if (!yaml_parser_parse(&r->y, &r->ev)) {
        snprintf(r->err, sizeof r->err, "line %zu: %s", r->y.problem_mark.line + 1,
                 r->y.problem ? r->y.problem : "not YAML");
        return -1;
    }
    if (r->ev.type == YAML_ALIAS_EVENT) {
        snprintf(r->err, sizeof r->err, "line %zu: aliases are not allowed",
                 r->ev.start_mark.line + 1);
        return -1;
    }
    return 0;
}

static char *scalar(rd *r)
{
    return pol__strndup((const char *)r->ev.data.scalar.value, r->ev.data.scalar.length);
}

/* A scalar or a sequence of scalars into list (at most MAXL). */
static int read_list(rd *r, char **list, int *n, int max)
{
    if (r->ev.type == YAML_SCALAR_EVENT) {
        if (*n < max) list[(*n)++] = scalar(r);
        return 0;
    }
    if (r->ev.type != YAML_SEQUENCE_START_EVENT) {
        snprintf(r->err, sizeof r->err, "line %zu: expected a list", r->ev.start_mark.line + 1);
        return -1;
    }
    for (;;) {
        if (next(r)) return -1;
        if (r->ev.type == YAML_SEQUENCE_END_EVENT) return 0;
        if (r->ev.type != YAML_SCALAR_EVENT) {
            snprintf(r->err, sizeof r->err, "line %zu: expected text in the list", r->ev.start_mark.line + 1);
            return -1;
        }
        if (*n < max) list[(*n)++] = scalar(r);
    }
}

static int read_policy(const char *text, size_t len, policy *p, char *err, size_t cap)
{
    memset(p, 0, sizeof *p);
    rd r;
    memset(&r, 0, sizeof r);
    yaml_parser_initialize(&r.y);
    yaml_parser_set_input_string(&r.y, (const unsigned char *)text, len);
    int rc = -1, depth = 0;
    r.ev.type = YAML_NO_EVENT;
    while (!next(&r)) {
        if (r.ev.type == YAML_STREAM_END_EVENT) {
            rc = 0;
            break;
        }
        if (r.ev.type == YAML_MAPPING_START_EVENT && depth == 0) {
            depth = 1;
            continue;
        }
        if (r.ev.type == YAML_MAPPING_END_EVENT && depth == 1) {
            depth = 0;
            continue;
        }
        if (r.ev.type == YAML_STREAM_START_EVENT || r.ev.type == YAML_DOCUMENT_START_EVENT ||
            r.ev.type == YAML_DOCUMENT_END_EVENT)
            continue;
        if (depth != 1 || r.ev.type != YAML_SCALAR_EVENT) {
            snprintf(r.err, sizeof r.err, "line %zu: expected a key (banned, competitors, brand, "
                     "disclaimers, max-chars, max-grade, greeting, sign-off)", r.ev.start_mark.line + 1);
            break;
        }
        char key[32];
        snprintf(key, sizeof key, "%.*s", (int)r.ev.data.scalar.length, (const char *)r.ev.data.scalar.value);
        size_t line = r.ev.start_mark.line + 1;
        if (next(&r)) break;
        int bad = 0;
        if (!strcmp(key, "banned")) bad = read_list(&r, p->banned, &p->n_banned, MAXL);
        else if (!strcmp(key, "competitors")) bad = read_list(&r, p->competitors, &p->n_competitors, MAXL);
        else if (!strcmp(key, "brand")) bad = read_list(&r, p->brand, &p->n_brand, MAXL);
        else if ((!strcmp(key, "max-chars") || !strcmp(key, "max-grade") || !strcmp(key, "greeting") ||
                  !strcmp(key, "sign-off")) && r.ev.type == YAML_SCALAR_EVENT) {
            char *v = scalar(&r);
            if (!strcmp(key, "max-chars")) p->max_chars = v ? atol(v) : 0, free(v);
            else if (!strcmp(key, "max-grade")) p->max_grade = v ? atof(v) : 0, free(v);
            else if (!strcmp(key, "greeting")) free(p->greeting), p->greeting = v;
            else free(p->sign_off), p->sign_off = v;
        } else if (!strcmp(key, "disclaimers") && r.ev.type == YAML_SEQUENCE_START_EVENT) {
            for (;;) {
                if (next(&r)) {
                    bad = 1;
                    break;
                }
                if (r.ev.type == YAML_SEQUENCE_END_EVENT) break;
                if (r.ev.type != YAML_MAPPING_START_EVENT || p->n_disc == 16) {
                    snprintf(r.err, sizeof r.err, "line %zu: a disclaimer is {topics: [...], text: ...}", r.ev.start_mark.line + 1);
                    bad = 1;
                    break;
                }
                int d = p->n_disc++;
                while (!bad) {
                    if (next(&r)) {
                        bad = 1;
                        break;
                    }
                    if (r.ev.type == YAML_MAPPING_END_EVENT) break;
                    char k2[16];
                    snprintf(k2, sizeof k2, "%.*s", r.ev.type == YAML_SCALAR_EVENT ? (int)r.ev.data.scalar.length : 0,
                             r.ev.type == YAML_SCALAR_EVENT ? (const char *)r.ev.data.scalar.value : "");
                    if (next(&r)) {
                        bad = 1;
                        break;
                    }
                    if (!strcmp(k2, "topics") || !strcmp(k2, "topic"))
                        bad = read_list(&r, p->disc[d].topics, &p->disc[d].n_topics, 16);
                    else if (!strcmp(k2, "text") && r.ev.type == YAML_SCALAR_EVENT)
                        free(p->disc[d].text), p->disc[d].text = scalar(&r);
                    else {
                        snprintf(r.err, sizeof r.err, "line %zu: a disclaimer has topics and text", r.ev.start_mark.line + 1);
                        bad = 1;
                    }
                }
                if (!bad && (!p->disc[d].n_topics || !p->disc[d].text)) {
                    snprintf(r.err, sizeof r.err, "line %zu: a disclaimer needs topics and text", line);
                    bad = 1;
                }
            }
        } else {
            snprintf(r.err, sizeof r.err, "line %zu: unknown key or wrong value for '%s'", line, key);
            bad = 1;
        }
        if (bad) break;
    }
    if (rc) snprintf(err, cap, "%s", r.err[0] ? r.err : "not a policy");
    yaml_event_delete(&r.ev);
    yaml_parser_delete(&r.y);
    if (rc) policy_free(p);
    return rc;
}

/* Case-insensitive whole-phrase search from `from`; the offset or -1. */
static long find_ci(const char *t, size_t n, size_t from, const char *w)
{
    size_t m = strlen(w);
    for (size_t i = from; m && i + m <= n; i++) {
        if ((t[i] | 32) != (w[0] | 32) || strncasecmp(t + i, w, m)) continue;
        int lb = i == 0 || !isalnum((unsigned char)t[i - 1]);
        int rb = i + m == n || !isalnum((unsigned char)t[i + m]);
        if (lb && rb) return (long)i;
    }
    return -1;
}

/* Flesch-Kincaid grade: 0.39 words/sentence + 11.8 syllables/word - 15.59. */
static double fk_grade(const char *t, size_t n)
{
    pol__word *w = NULL;
    long nw = pol__words(t, n, &w);
    pol__span *sp = NULL;
    long ns = pol__sentences(t, n, &sp);
    free(sp);
    if (nw <= 0 || ns <= 0) {
        free(w);
        return 0;
    }
    long syl = 0;
    for (long i = 0; i < nw; i++) {
        const char *s = w[i].low;
        int c = 0, prev = 0;
        size_t l = strlen(s);
        for (size_t k = 0; k < l; k++) {
            int v = strchr("aeiouy", s[k]) != NULL;
            if (v && !prev) c++;
            prev = v;
        }
        if (l > 2 && s[l - 1] == 'e' && c > 1) c--;
        syl += c ? c : 1;
    }
    free(w);
    return 0.39 * (double)nw / (double)ns + 11.8 * (double)syl / (double)nw - 15.59;
}

static pol_status run(pol_run *run, pol_asset *asset, const pol_args *args)
{
    pol__text *t = pol__text_of(asset);
    if (t->kind != POL_TEXT_PLAIN && t->kind != POL_TEXT_MARKDOWN) {
        pol__decline(run, "policy applies to an answer (plain text or Markdown), not a %s: left "
                          "as it is", pol__text_kind_name(t->kind));
        return POL_OK;
    }
    const char *path = pol__input_path(args, "policy", 0);
    if (!path) return pol__fail(run, POL_ERR_ARG, "no --policy given");
    unsigned char *y = NULL;
    size_t yl = 0;
    pol_status st = pol__read_file(run, path, 1u << 20, &y, &yl);
    if (st) return st;
    policy p;
    char err[256];
    if (read_policy((const char *)y, yl, &p, err, sizeof err)) {
        free(y);
        return pol__fail(run, POL_ERR_FORMAT, "--policy %s: %s", path, err);
    }
    free(y);
    pol__jv *viol = pol__jv_arr();
    int changes = 0;
    /* reported: banned phrases, competitors */
    for (int k = 0; k < p.n_banned + p.n_competitors; k++) {
        const char *w = k < p.n_banned ? p.banned[k] : p.competitors[k - p.n_banned];
        long at = find_ci(t->buf, t->len, 0, w);
        if (at < 0) continue;
        pol__warn(run, "%s \"%s\" at byte %ld", k < p.n_banned ? "banned phrase" : "competitor named", w, at);
        pol__jv *o = pol__jv_obj();
        pol__jv_set(o, "rule", pol__jv_str(k < p.n_banned ? "banned" : "competitor"));
        pol__jv_set(o, "text", pol__jv_str(w));
        pol__jv_set(o, "at", pol__jv_int(at));
        pol__jv_push(viol, o);
    }
    /* corrected: brand spelling (same letters, other case or spacing is not touched) */
    pol__sbuf o = {0};
    pol__sbuf_put(&o, t->buf, t->len);
    for (int k = 0; k < p.n_brand && !o.oom; k++) {
        size_t m = strlen(p.brand[k]);
        long at = 0;
        while ((at = find_ci(o.p, o.n, (size_t)at, p.brand[k])) >= 0) {
            if (memcmp(o.p + at, p.brand[k], m)) {
                memcpy(o.p + at, p.brand[k], m);
                changes++;
                pol__jv *v = pol__jv_obj();
                pol__jv_set(v, "rule", pol__jv_str("brand"));
                pol__jv_set(v, "text", pol__jv_str(p.brand[k]));
                pol__jv_set(v, "fixed", pol__jv_bool(1));
                pol__jv_push(viol, v);
            }
            at += (long)m;
        }
    }
    /* appended: disclaimers whose topic appears and whose text does not */
    for (int d = 0; d < p.n_disc && !o.oom; d++) {
        int topic = 0;
        for (int k = 0; k < p.disc[d].n_topics && !topic; k++) topic = find_ci(o.p, o.n, 0, p.disc[d].topics[k]) >= 0;
        if (!topic || pol__memmem(o.p, o.n, p.disc[d].text, strlen(p.disc[d].text))) continue;
        while (o.n && (o.p[o.n - 1] == '\n' || o.p[o.n - 1] == ' ')) o.n--;
        pol__sbuf_puts(&o, o.n ? " " : "");
        pol__sbuf_puts(&o, p.disc[d].text);
        pol__sbuf_puts(&o, "\n");
        changes++;
        pol__jv *v = pol__jv_obj();
        pol__jv_set(v, "rule", pol__jv_str("disclaimer"));
        pol__jv_set(v, "text", pol__jv_str(p.disc[d].text));
        pol__jv_set(v, "fixed", pol__jv_bool(1));
        pol__jv_push(viol, v);
    }
    /* templates */
    if (p.greeting && *p.greeting && !o.oom && strncmp(o.p, p.greeting, strlen(p.greeting))) {
        char *g = pol__asprintf("%s %s", p.greeting, o.p);
        if (g) {
            o.n = 0;
            pol__sbuf_puts(&o, g);
            free(g);
            changes++;
        }
    }
    if (p.sign_off && *p.sign_off && !o.oom && !pol__memmem(o.p, o.n, p.sign_off, strlen(p.sign_off))) {
        while (o.n && (o.p[o.n - 1] == '\n' || o.p[o.n - 1] == ' ')) o.n--;
        pol__sbuf_puts(&o, "\n");
        pol__sbuf_puts(&o, p.sign_off);
        pol__sbuf_puts(&o, "\n");
        changes++;
    }
    /* reported: length, reading level */
    double grade = fk_grade(o.p ? o.p : "", o.n);
    pol__measure(run, "reading_grade", grade);
    pol__measure_int(run, "characters", (long long)o.n);
    if (p.max_chars > 0 && (long)o.n > p.max_chars) {
        pol__warn(run, "%zu characters, over the policy's %ld (text.format --max-chars shortens)", o.n, p.max_chars);
        pol__jv *v = pol__jv_obj();
        pol__jv_set(v, "rule", pol__jv_str("max-chars"));
        pol__jv_set(v, "value", pol__jv_int((long long)o.n));
        pol__jv_push(viol, v);
    }
    if (p.max_grade > 0 && grade > p.max_grade) {
        pol__warn(run, "reading grade %.1f, over the policy's %.1f", grade, p.max_grade);
        pol__jv *v = pol__jv_obj();
        pol__jv_set(v, "rule", pol__jv_str("max-grade"));
        pol__jv_set(v, "value", pol__jv_num(grade));
        pol__jv_push(viol, v);
    }
    pol__measure_jv(run, "violations", viol);
    policy_free(&p);
    if (o.oom) {
        free(o.p);
        return pol__fail(run, POL_ERR_NOMEM, "out of memory");
    }
    if (!changes) {
        pol__decline(run, "nothing to correct under the policy");
    } else {
        if (pol__text_set(t, o.p, o.n)) {
            free(o.p);
            return pol__fail(run, POL_ERR_NOMEM, "out of memory");
        }
        pol__decide(run, "%d corrections under the policy", changes);
    }
    free(o.p);
    return POL_OK;
}

const pol_op_desc pol__text_op_policy = {
    .domain = "text",
    .name = "policy",
    .summary = "Apply a policy (YAML) to an answer: banned phrases and competitors reported, brand "
               "spelling corrected, disclaimers and templates added, length and reading level checked",
    .run = run,
    .inputs = inputs,
    .n_inputs = POL_ARRAY_LEN(inputs),
    .flags = POL_OP_AUTO,
};
