/* polish — the answer checker. Each sentence (or clause) that states something is a claim; the
 * knowledge base is searched with its words (BM25); the evidence sentence is the one that holds
 * most of the claim's words; typed values (prices, times, dates, phones, names ...) and negation
 * are compared between them. */
#include <math.h>
#include <stdio.h>
#include <strings.h>
#include "text/check.h"
#include "text/textutil.h"

const char *pol__verdict_name(pol__verdict v)
{
    return v == POL_VERDICT_SUPPORTED ? "supported" : v == POL_VERDICT_CONTRADICTED ? "contradicted"
                                                                               : "unsupported";
}

void pol__check_free(pol__check *c)
{
    for (size_t i = 0; i < c->n; i++) {
        free(c->claims[i].evidence);
        free(c->claims[i].passage);
        free(c->claims[i].source);
    }
    free(c->claims);
    memset(c, 0, sizeof *c);
}

/* ---- claims --------------------------------------------------------------------------------- */

static const char *const chatter[] = {
    "hi", "hello", "hey", "thanks", "thank you", "good morning", "good afternoon",
    "good evening", "welcome", "sure", "of course", "absolutely", "great question",
    "happy to help", "i'd be happy", "i would be happy", "i'm happy", "glad to help",
    "let me know", "feel free", "is there anything", "anything else", "hope this helps",
    "hope that helps", "have a great", "have a nice", "have a wonderful", "cheers",
    "certainly", "no problem", "you're welcome", "my pleasure", "i can help", "i'm here to help",
    "don't hesitate", "do not hesitate", "just ask", "ask me", "great choice", "good question",
    "enjoy", "see you", "looking forward", "we look forward", NULL};

static int starts_ci(const char *s, size_t n, const char *w)
{
    size_t m = strlen(w);
    return n >= m && strncasecmp(s, w, m) == 0 && (n == m || !((s[m] >= 'a' && s[m] <= 'z') || (s[m] >= 'A' && s[m] <= 'Z')));
}

static int has_ci(const char *s, size_t n, const char *w)
{
    size_t m = strlen(w);
    for (size_t i = 0; i + m <= n; i++)
        if (strncasecmp(s + i, w, m) == 0 &&
            (i == 0 || !((s[i - 1] | 32) >= 'a' && (s[i - 1] | 32) <= 'z')))
            return 1;
    return 0;
}

/* A sentence that states nothing checkable: a greeting, thanks, an offer to help, a question. */
static int is_chatter(const char *s, size_t n, size_t n_content, size_t n_values)
{
    while (n && (s[n - 1] == ' ' || s[n - 1] == '"')) n--;
    if (n && s[n - 1] == '?') return 1;
    if (n_values) return 0;
    /* a chatter word inside a denial states something ("... are not welcome") */
    int denies = 0;
    pol__word *w = NULL;
    long nw = pol__words(s, n, &w);
    for (long i = 0; i < nw && !denies; i++) denies = pol__is_negator(w[i].low);
    free(w);
    for (int k = 0; chatter[k]; k++) {
        if (starts_ci(s, n, chatter[k])) return 1;
        if (n < 90 && has_ci(s, n, chatter[k]) && n_content <= 5 && !denies) return 1;
    }
    return n_content < 2;
}

/* ---- words of a span ------------------------------------------------------------------------ */

typedef struct bag {
    char (*w)[POL_WORD_MAX];
    size_t n;
    int neg;
} bag;

static void bag_free(bag *b)
{
    free(b->w);
    memset(b, 0, sizeof *b);
}

static int bag_has(const bag *b, const char *w)
{
    for (size_t i = 0; i < b->n; i++)
        if (!strcmp(b->w[i], w)) return 1;
    return 0;
}

/* Content words (stems) of text[s..e), leaving out the bytes inside typed values. */
static int bag_of(const char *text, size_t s, size_t e, const pol__vals *vals, bag *b)
{
    memset(b, 0, sizeof *b);
    pol__word *w = NULL;
    long n = pol__words(text + s, e - s, &w);
    if (n < 0) return -1;
    b->w = malloc(((size_t)n + 1) * sizeof *b->w);
    if (!b->w) {
        free(w);
        return -1;
    }
    for (long i = 0; i < n; i++) {
        if (pol__is_negator(w[i].low)) b->neg ^= 1;
        if (w[i].stop || w[i].digit || strlen(w[i].stem) < 2) continue;
        size_t ws = s + w[i].start;
        int inside = 0;
        for (size_t k = 0; vals && k < vals->n && !inside; k++)
            inside = ws >= vals->v[k].start && ws < vals->v[k].end;
        if (inside) continue;
        if (bag_has(b, w[i].stem)) continue;
        snprintf(b->w[b->n++], POL_WORD_MAX, "%s", w[i].stem);
    }
    free(w);
    return 0;
}

/* ---- evidence ------------------------------------------------------------------------------- */

typedef struct esent {
    const char *chunk; /* the hit's text */
    int hit;
    size_t start, end;
    bag words;
    pol__vals vals;
    double coverage, score;
} esent;

typedef struct compare {
    int mismatches, checked, unchecked;
    char why[200];
    pol__fixpart fix[4];
    int n_fix, fixable;
} compare;

static int count_type(const pol__vals *v, size_t s, size_t e, pol__vtype t)
{
    int n = 0;
    for (size_t i = 0; i < v->n; i++)
        if (v->v[i].type == t && v->v[i].start >= s && v->v[i].end <= e) n++;
    return n;
}

/* Compares the claim's values (cv, inside [cs, ce) of `text`) with an evidence sentence. */
static void compare_one(const char *text, const pol__vals *cv, size_t cs, size_t ce, int cneg,
                        const esent *ev, compare *r)
{
    memset(r, 0, sizeof *r);
    r->fixable = 1;
    const char *et = ev->chunk;
    for (int t = 0; t < POL_V_COUNT; t++) {
        int nc = count_type(cv, cs, ce, (pol__vtype)t);
        if (!nc) continue;
        int ne = count_type(&ev->vals, ev->start, ev->end, (pol__vtype)t);
        if (!ne) {
            if (t == POL_V_ENTITY) {
                /* a name: fine when the passage has it anywhere, else not checked */
                int all = 1;
                for (size_t i = 0; i < cv->n; i++) {
                    const pol__val *c = &cv->v[i];
                    if (c->type != POL_V_ENTITY || c->start < cs || c->end > ce) continue;
                    int hit = 0;
                    for (size_t j = 0; j < ev->vals.n && !hit; j++)
                        hit = ev->vals.v[j].type == POL_V_ENTITY && pol__val_equal(c, &ev->vals.v[j]);
                    all &= hit;
                }
                if (!all) r->unchecked++;
                continue;
            }
            r->unchecked++;
            continue;
        }
        r->checked++;
        /* unmatched on each side, in order; when the passage has as many values of the type
         * as the claim, each of its values answers one claim value ("from 13 minutes to 13
         * minutes" is not "from 13 minutes to 3 minutes") */
        const pol__val *uc[8], *ue[8];
        int nuc = 0, nue = 0, ncv = 0, nev = 0;
        unsigned char used[64] = {0};
        int one_to_one = nc <= ne && ev->vals.n <= 64;
        for (size_t i = 0; i < cv->n; i++) {
            const pol__val *c = &cv->v[i];
            if (c->type != (pol__vtype)t || c->start < cs || c->end > ce) continue;
            ncv++;
            int hit = 0;
            for (size_t j = 0; j < ev->vals.n && !hit; j++) {
                const pol__val *e = &ev->vals.v[j];
                if (one_to_one && used[j]) continue;
                if (e->start >= ev->start && e->end <= ev->end) hit = pol__val_equal(c, e);
                if (hit && one_to_one) used[j] = 1;
            }
            if (!hit && t == POL_V_ENTITY) {
                /* the name appears elsewhere in the passage: not a mismatch */
                for (size_t j = 0; j < ev->vals.n && !hit; j++)
                    hit = ev->vals.v[j].type == POL_V_ENTITY && pol__val_equal(c, &ev->vals.v[j]);
            }
            if (!hit && nuc < 8) uc[nuc++] = c;
        }
        for (size_t j = 0; j < ev->vals.n; j++) {
            const pol__val *e = &ev->vals.v[j];
            if (e->type != (pol__vtype)t || e->start < ev->start || e->end > ev->end) continue;
            nev++;
            int hit = 0;
            for (size_t i = 0; i < cv->n && !hit; i++) {
                const pol__val *c = &cv->v[i];
                if (c->type == (pol__vtype)t && c->start >= cs && c->end <= ce) hit = pol__val_equal(c, e);
            }
            if (!hit && nue < 8) ue[nue++] = e;
        }
        if (!nuc) continue;
        if (t == POL_V_NUMBER && nue == 0) continue; /* an extra count the passage also has */
        if (t == POL_V_WEEKDAY && nue == 0) continue;
        if (t == POL_V_ENTITY && nue == 0) continue;
        r->mismatches += nuc;
        if (!r->why[0]) {
            char a[64], b[64];
            snprintf(a, sizeof a, "%.*s", (int)(uc[0]->end - uc[0]->start), text + uc[0]->start);
            if (nue)
                snprintf(b, sizeof b, "%.*s", (int)(ue[0]->end - ue[0]->start), et + ue[0]->start);
            else
                snprintf(b, sizeof b, "another value");
            snprintf(r->why, sizeof r->why, "%s %s differs from the knowledge base's %s",
                     pol__vtype_name((pol__vtype)t), a, b);
        }
        /* a replacement only when the correspondence is one to one */
        int pair = (nuc == 1 && nue == 1) || (nuc == nue && ncv == nev);
        for (int k = 0; k < nuc && pair; k++)
            /* "free" for a price: the claim is wrong, no value of the passage replaces it; a
             * section number cited elsewhere is no correction either */
            if (uc[k]->free || ue[k]->free || uc[k]->label || ue[k]->label) pair = 0;
        if (!pair || r->n_fix + nuc > 4) {
            r->fixable = 0;
            continue;
        }
        for (int k = 0; k < nuc; k++) {
            pol__fixpart *f = &r->fix[r->n_fix++];
            f->start = uc[k]->start;
            f->end = uc[k]->end;
            pol__val_format(ue[k], uc[k], et, f->text, sizeof f->text);
            snprintf(f->type, sizeof f->type, "%s", pol__vtype_name((pol__vtype)t));
        }
    }
    if (cneg != ev->words.neg) {
        r->mismatches++;
        r->fixable = 0;
        if (!r->why[0])
            snprintf(r->why, sizeof r->why, "the answer %s what the knowledge base %s",
                     cneg ? "denies" : "states", cneg ? "states" : "denies");
    }
    if (!r->mismatches) r->fixable = 0;
}

static int clauses(const char *t, size_t s, size_t e, const pol__vals *v, size_t cut[][2], int max);

/* ---- one claim ------------------------------------------------------------------------------ */

typedef struct checker {
    pol__kb *kb;
    const pol__check_opts *o;
    const char *text;
    size_t n;
    const pol__vals *vals; /* of the whole answer */
    bag qwords;
    pol_err *err;
} checker;

static pol_status add_claim(pol__check *out, pol__claim **c)
{
    if (POL_GROW(out->claims, out->cap, out->n + 1, 8)) return POL_ERR_NOMEM;
    *c = &out->claims[out->n++];
    memset(*c, 0, sizeof **c);
    return POL_OK;
}

/* A lead-in that attributes or hedges rather than states ("According to the documentation, ",
 * "As far as I know, ", "In short: "): its length at s (0: none). Its words are not the claim's. */
static size_t lead_in(const char *t, size_t s, size_t e)
{
    static const char *const hedges[] = {"as far as i know", "in short", "to be honest",
                                         "basically", "in general", "generally speaking",
                                         "as i understand it", "i believe", "i think", "in brief",
                                         "to summarize", "to sum up", "simply put", NULL};
    size_t n = e - s, len = 0;
    if (starts_ci(t + s, n, "according to")) {
        /* "according to X," with X a few words */
        size_t i = s + 12, words = 0;
        while (i < e && t[i] != ',' && t[i] != ':' && words <= 5) words += t[i++] == ' ';
        if (i < e && words <= 5) len = i - s;
    }
    for (int k = 0; hedges[k] && !len; k++)
        if (starts_ci(t + s, n, hedges[k])) len = strlen(hedges[k]);
    if (!len || s + len >= e || (t[s + len] != ',' && t[s + len] != ':')) return 0;
    return len + 1;
}

static pol_status judge(checker *ck, size_t cs, size_t ce, const bag *ctx, pol__claim *cl)
{
    cl->start = cs;
    cl->end = ce;
    bag cw;
    if (bag_of(ck->text, cs + lead_in(ck->text, cs, ce), ce, ck->vals, &cw))
        return pol__err_set(ck->err, POL_ERR_NOMEM, "out of memory");
    /* the query: the claim's words as written, with the context's and the question's */
    pol__word *ws = NULL;
    long nw = pol__words(ck->text + cs, ce - cs, &ws);
    const char *q[128];
    size_t nq = 0;
    for (long i = 0; i < nw && nq < 72; i++) {
        if (ws[i].stop) continue;
        int inside = 0;
        size_t a = cs + ws[i].start;
        for (size_t k = 0; k < ck->vals->n && !inside; k++)
            inside = a >= ck->vals->v[k].start && a < ck->vals->v[k].end &&
                     ck->vals->v[k].type != POL_V_ENTITY && ck->vals->v[k].type != POL_V_WEEKDAY;
        if (inside) continue;
        q[nq++] = ws[i].low;
        nq += pol__synonyms(ws[i].low, q + nq, 80 - nq < 8 ? 80 - nq : 8);
    }
    for (size_t i = 0; ctx && i < ctx->n && nq < 100; i++) q[nq++] = ctx->w[i];
    for (size_t i = 0; i < ck->qwords.n && nq < 128; i++) q[nq++] = ck->qwords.w[i];
    pol__kb_hit hits[16];
    int k = ck->o->top_k > 0 && ck->o->top_k <= 16 ? ck->o->top_k : 5;
    int nh = pol__kb_search(ck->kb, q, nq, k, hits, ck->err);
    free(ws);
    if (nh < 0) {
        bag_free(&cw);
        return ck->err->code;
    }
    /* evidence sentences of the hits */
    esent *es = NULL;
    size_t nes = 0, caps = 0;
    pol_status st = POL_OK;
    for (int h = 0; h < nh && !st; h++) {
        const char *t = hits[h].text;
        size_t tn = strlen(t);
        pol__span *sp = NULL;
        long ns = pol__sentences(t, tn, &sp);
        pol__vals hv;
        pol__values(t, tn, &hv);
        if (ns < 0 || hv.oom) {
            free(sp);
            pol__vals_free(&hv);
            st = POL_ERR_NOMEM;
            break;
        }
        /* a heading line (short, no values, no sentence end) gives context to the rest */
        bag head = {0};
        long first = 0;
        if (ns > 1 && sp[0].end - sp[0].start < 60 && t[sp[0].end - 1] != '.' &&
            t[sp[0].end - 1] != '!' &&
            !count_type(&hv, sp[0].start, sp[0].end, POL_V_MONEY)) {
            int anyv = 0;
            for (size_t v = 0; v < hv.n; v++) anyv |= hv.v[v].start >= sp[0].start && hv.v[v].end <= sp[0].end;
            if (!anyv && bag_of(t, sp[0].start, sp[0].end, &hv, &head) == 0) first = 1;
        }
        /* evidence clauses: a sentence stating two things ("open on Saturday ..., and closed on
         * Sunday") is compared clause by clause */
        size_t ncl = 0, (*cl)[2] = malloc(((size_t)ns * 8 + 1) * sizeof *cl);
        if (!cl) st = POL_ERR_NOMEM;
        for (long s = first; cl && s < ns; s++)
            ncl += (size_t)clauses(t, sp[s].start, sp[s].end, &hv, cl + ncl, 8);
        for (size_t s = 0; cl && s < ncl; s++) {
            if (nes == caps) {
                size_t c = caps ? caps * 2 : 16;
                esent *p = realloc(es, c * sizeof *p);
                if (!p) {
                    st = POL_ERR_NOMEM;
                    break;
                }
                es = p;
                caps = c;
            }
            esent *e = &es[nes];
            memset(e, 0, sizeof *e);
            e->chunk = t;
            e->hit = h;
            e->start = cl[s][0];
            e->end = cl[s][1];
            if (bag_of(t, e->start, e->end, &hv, &e->words)) {
                st = POL_ERR_NOMEM;
                break;
            }
            /* its values: a copy of the chunk's (spans are chunk offsets) */
            e->vals.v = malloc((hv.n ? hv.n : 1) * sizeof *hv.v);
            if (!e->vals.v) {
                bag_free(&e->words);
                st = POL_ERR_NOMEM;
                break;
            }
            if (hv.n) memcpy(e->vals.v, hv.v, hv.n * sizeof *hv.v);
            e->vals.n = e->vals.cap = hv.n;
            size_t m = 0, mh = 0;
            for (size_t i = 0; i < cw.n; i++) {
                if (bag_has(&e->words, cw.w[i])) m++;
                else if (bag_has(&head, cw.w[i])) mh++;
            }
            e->coverage = cw.n ? (m + 0.75 * mh) / (double)cw.n : 0;
            /* names and weekdays in common count towards the choice of sentence */
            int same = 0, total = 0;
            for (size_t i = 0; i < ck->vals->n; i++) {
                const pol__val *c = &ck->vals->v[i];
                if (c->start < cs || c->end > ce) continue;
                if (c->type != POL_V_ENTITY && c->type != POL_V_WEEKDAY) continue;
                total++;
                for (size_t j = 0; j < hv.n; j++)
                    if (hv.v[j].start >= e->start && hv.v[j].end <= e->end &&
                        pol__val_equal(c, &hv.v[j])) {
                        same++;
                        break;
                    }
            }
            e->score = e->coverage + (total ? 0.3 * same / total : 0) - 0.01 * h;
            nes++;
        }
        bag_free(&head);
        free(cl);
        free(sp);
        pol__vals_free(&hv);
    }
    if (st) {
        for (size_t i = 0; i < nes; i++) {
            bag_free(&es[i].words);
            pol__vals_free(&es[i].vals);
        }
        free(es);
        pol__kb_hits_free(hits, nh);
        bag_free(&cw);
        return pol__err_set(ck->err, st, "out of memory");
    }
    /* claims with no words of their own ("Call 555-0100.") are matched on values alone */
    int values_only = cw.n == 0;
    int nvals = 0;
    for (size_t i = 0; i < ck->vals->n; i++)
        nvals += ck->vals->v[i].start >= cs && ck->vals->v[i].end <= ce;
    double best = 0;
    for (size_t i = 0; i < nes; i++) {
        if (values_only) es[i].coverage = es[i].score = 0.5;
        if (es[i].coverage > best) best = es[i].coverage;
    }
    double minc = ck->o->min_coverage > 0 ? ck->o->min_coverage : 0.5;
    double floor_c = best * 0.75 > minc ? best * 0.75 : minc;
    /* candidates by score */
    size_t *order = malloc((nes ? nes : 1) * sizeof *order);
    size_t nc = 0;
    if (!order) st = POL_ERR_NOMEM;
    for (size_t i = 0; order && i < nes; i++)
        if (es[i].coverage >= floor_c - 1e-9) order[nc++] = i;
    for (size_t i = 1; i < nc; i++)
        for (size_t j = i; j > 0 && es[order[j]].score > es[order[j - 1]].score; j--) {
            size_t t = order[j];
            order[j] = order[j - 1];
            order[j - 1] = t;
        }
    const esent *use = NULL;
    compare r = {0}, first_r = {0};
    const esent *first_contra = NULL;
    int verdict = POL_VERDICT_UNSUPPORTED;
    for (size_t i = 0; i < nc; i++) {
        compare ri;
        compare_one(ck->text, ck->vals, cs, ce, cw.neg, &es[order[i]], &ri);
        if (!ri.mismatches && !ri.unchecked) {
            /* a sentence that holds clearly fewer of the claim's words does not outweigh a
             * better one that contradicts it ("You do need to prefix the quotes" against "You
             * don't need to prefix the double quotes" and a looser sentence about quotes) */
            if (first_contra && first_contra->coverage >= 0.75 &&
                es[order[i]].coverage < 0.85 * first_contra->coverage)
                break;
            use = &es[order[i]];
            r = ri;
            verdict = POL_VERDICT_SUPPORTED;
            break;
        }
        if (ri.mismatches && !first_contra && es[order[i]].score >= es[order[0]].score - 0.25) {
            first_contra = &es[order[i]];
            first_r = ri;
        }
    }
    if (verdict != POL_VERDICT_SUPPORTED && first_contra) {
        use = first_contra;
        r = first_r;
        verdict = POL_VERDICT_CONTRADICTED;
        /* another candidate as good that suggests a different value makes the fix ambiguous */
        for (size_t i = 0; i < nc && r.fixable; i++) {
            const esent *o = &es[order[i]];
            if (o == use || o->score < use->score - 0.05) continue;
            compare ro;
            compare_one(ck->text, ck->vals, cs, ce, cw.neg, o, &ro);
            if (!ro.mismatches) continue;
            if (ro.n_fix != r.n_fix) r.fixable = 0;
            for (int f = 0; f < r.n_fix && r.fixable; f++)
                if (strcmp(ro.fix[f].text, r.fix[f].text)) r.fixable = 0;
        }
    } else if (verdict != POL_VERDICT_SUPPORTED && nc) {
        use = &es[order[0]];
        compare_one(ck->text, ck->vals, cs, ce, cw.neg, use, &r);
        if (!nvals && !r.mismatches) verdict = POL_VERDICT_SUPPORTED;
    }
    if (verdict == POL_VERDICT_SUPPORTED) {
        cl->confidence = 0.5 + 0.45 * (use->coverage > 1 ? 1 : use->coverage);
        snprintf(cl->reason, sizeof cl->reason, "the knowledge base states it");
    } else if (verdict == POL_VERDICT_CONTRADICTED) {
        cl->confidence = 0.55 + 0.4 * (use->coverage > 1 ? 1 : use->coverage);
        snprintf(cl->reason, sizeof cl->reason, "%s", r.why);
        if (r.fixable) {
            memcpy(cl->fix, r.fix, sizeof r.fix);
            cl->n_fix = r.n_fix;
            cl->fixable = 1;
        }
    } else {
        cl->confidence = use ? 0.5 + 0.3 * (1 - use->coverage) : 0.9;
        if (use)
            snprintf(cl->reason, sizeof cl->reason,
                     "the closest passage does not state the claim's values");
        else
            snprintf(cl->reason, sizeof cl->reason,
                     best > 0 ? "no passage holds enough of the claim's words (best %.0f%%)"
                              : "no passage of the knowledge base is about this",
                     best * 100);
        if (!use && nes) {
            /* the nearest passage, for the reader, though it does not support the claim */
            size_t bi = 0;
            for (size_t i = 1; i < nes; i++) if (es[i].score > es[bi].score) bi = i;
            if (es[bi].coverage > 0) use = &es[bi];
        }
    }
    cl->verdict = (pol__verdict)verdict;
    if (use) {
        cl->evidence = pol__strndup(use->chunk + use->start, use->end - use->start);
        cl->passage = pol__strdup(use->chunk);
        cl->source = pol__strdup(hits[use->hit].source);
        cl->position = hits[use->hit].position;
        if (!cl->evidence || !cl->passage || !cl->source) st = POL_ERR_NOMEM;
    }
    free(order);
    for (size_t i = 0; i < nes; i++) {
        bag_free(&es[i].words);
        pol__vals_free(&es[i].vals);
    }
    free(es);
    pol__kb_hits_free(hits, nh);
    bag_free(&cw);
    return st ? pol__err_set(ck->err, st, "out of memory") : POL_OK;
}

/* ---- clauses -------------------------------------------------------------------------------- */

static int values_in(const pol__vals *v, size_t s, size_t e)
{
    int n = 0;
    for (size_t i = 0; i < v->n; i++)
        if (v->v[i].start >= s && v->v[i].end <= e && v->v[i].type != POL_V_ENTITY) n++;
    return n;
}

/* Splits a sentence into clauses at ";" and at " and " / ", but " / " while " when both sides
 * state values of their own ("Haircuts are $35 and beard trims are $20"). Returns the count. */
static int clauses(const char *t, size_t s, size_t e, const pol__vals *v, size_t cut[][2], int max)
{
    static const char *const joins[] = {"; ", ", and ", " and ", ", but ", " but ", ", while ",
                                        " while ", ", whereas ", NULL};
    int n = 0;
    size_t cs = s;
    for (size_t i = s; i < e && n < max - 1; i++) {
        for (int k = 0; joins[k]; k++) {
            size_t m = strlen(joins[k]);
            if (i + m > e || strncmp(t + i, joins[k], m)) continue;
            if (values_in(v, cs, i) && values_in(v, i + m, e)) {
                /* not inside a range: "Monday and Tuesday", "9am and 5pm" */
                size_t a = i, b = i + m;
                int left_words = 0, right_words = 0;
                pol__word *w = NULL, *w2 = NULL;
                long nw = pol__words(t + cs, a - cs, &w);
                for (long j = 0; j < nw; j++) left_words += !w[j].stop && !w[j].digit;
                /* the right side must be about something else: words the left does not have
                 * ("open at 9am and close at 5pm" is one claim) */
                long nw2 = pol__words(t + b, e - b, &w2);
                for (long j = 0; j < nw2; j++) {
                    if (w2[j].stop || w2[j].digit) continue;
                    int seen = 0;
                    for (long q = 0; q < nw && !seen; q++) seen = !strcmp(w[q].stem, w2[j].stem);
                    right_words += !seen;
                }
                free(w);
                free(w2);
                if (left_words >= 1 && right_words >= 2) {
                    cut[n][0] = cs;
                    cut[n][1] = a;
                    n++;
                    cs = b;
                    i = b;
                }
            }
            break;
        }
    }
    cut[n][0] = cs;
    cut[n][1] = e;
    return n + 1;
}

pol_status pol__check_run(pol__kb *kb, const char *text, size_t n, const pol__check_opts *o,
                          pol__check *out, pol_err *err)
{
    memset(out, 0, sizeof *out);
    pol__check_opts def = {0};
    if (!o) o = &def;
    if (!kb || pol__kb_chunks(kb) == 0)
        return pol__err_set(err, POL_ERR_EMPTY,
                            "the knowledge base is empty (0 passages): add approved documents with "
                            "`polish text kb add DOCS --kb FILE` first");
    pol__vals vals;
    pol__values(text, n, &vals);
    pol__span *sp = NULL;
    long ns = pol__sentences(text, n, &sp);
    if (vals.oom || ns < 0) {
        pol__vals_free(&vals);
        free(sp);
        return pol__err_set(err, POL_ERR_NOMEM, "out of memory");
    }
    checker ck = {kb, o, text, n, &vals, {0}, err};
    if (o->question && bag_of(o->question, 0, strlen(o->question), NULL, &ck.qwords)) {
        pol__vals_free(&vals);
        free(sp);
        return pol__err_set(err, POL_ERR_NOMEM, "out of memory");
    }
    pol_status st = POL_OK;
    out->sentences = (size_t)ns;
    for (long s = 0; s < ns && !st; s++) {
        bag sw;
        if (bag_of(text, sp[s].start, sp[s].end, &vals, &sw)) {
            st = pol__err_set(err, POL_ERR_NOMEM, "out of memory");
            break;
        }
        int nv = 0;
        for (size_t i = 0; i < vals.n; i++)
            nv += vals.v[i].start >= sp[s].start && vals.v[i].end <= sp[s].end &&
                  vals.v[i].type != POL_V_ENTITY;
        if (is_chatter(text + sp[s].start, sp[s].end - sp[s].start, sw.n, (size_t)nv)) {
            out->skipped++;
            bag_free(&sw);
            continue;
        }
        size_t cut[8][2];
        int nc = clauses(text, sp[s].start, sp[s].end, &vals, cut, 8);
        for (int c = 0; c < nc && !st; c++) {
            pol__claim *cl;
            if (add_claim(out, &cl)) {
                st = pol__err_set(err, POL_ERR_NOMEM, "out of memory");
                break;
            }
            st = judge(&ck, cut[c][0], cut[c][1], nc > 1 ? &sw : NULL, cl);
        }
        bag_free(&sw);
    }
    bag_free(&ck.qwords);
    pol__vals_free(&vals);
    free(sp);
    if (st) pol__check_free(out);
    return st;
}

/* ---- output --------------------------------------------------------------------------------- */

pol__jv *pol__check_json(const pol__check *c, const char *text)
{
    pol__jv *doc = pol__jv_obj();
    pol__jv *arr = pol__jv_arr_at(doc, "claims");
    size_t counts[3] = {0, 0, 0}, fixable = 0;
    for (size_t i = 0; i < c->n; i++) {
        const pol__claim *cl = &c->claims[i];
        counts[cl->verdict]++;
        pol__jv *o = pol__jv_obj();
        char *t = pol__strndup(text + cl->start, cl->end - cl->start);
        pol__jv_set(o, "text", pol__jv_str(t ? t : ""));
        free(t);
        pol__jv_set(o, "verdict", pol__jv_str(pol__verdict_name(cl->verdict)));
        pol__jv_set(o, "evidence", pol__jv_str(cl->evidence));
        pol__jv_set(o, "source", pol__jv_str(cl->source));
        pol__jv_set(o, "confidence", pol__jv_num(round(cl->confidence * 1000) / 1000));
        pol__jv_set(o, "position", cl->source ? pol__jv_int(cl->position) : pol__jv_null());
        pol__jv_set(o, "reason", pol__jv_str(cl->reason));
        pol__jv_set(o, "start", pol__jv_int((long long)cl->start));
        pol__jv_set(o, "end", pol__jv_int((long long)cl->end));
        if (cl->verdict == POL_VERDICT_CONTRADICTED && cl->fixable) {
            fixable++;
            pol__jv *fx = pol__jv_arr_at(o, "fix");
            for (int f = 0; f < cl->n_fix; f++) {
                pol__jv *p = pol__jv_obj();
                char *from = pol__strndup(text + cl->fix[f].start, cl->fix[f].end - cl->fix[f].start);
                pol__jv_set(p, "type", pol__jv_str(cl->fix[f].type));
                pol__jv_set(p, "from", pol__jv_str(from ? from : ""));
                pol__jv_set(p, "to", pol__jv_str(cl->fix[f].text));
                free(from);
                pol__jv_push(fx, p);
            }
        }
        pol__jv_push(arr, o);
    }
    pol__jv *s = pol__jv_obj_at(doc, "summary");
    pol__jv_set(s, "claims", pol__jv_int((long long)c->n));
    pol__jv_set(s, "supported", pol__jv_int((long long)counts[0]));
    pol__jv_set(s, "contradicted", pol__jv_int((long long)counts[1]));
    pol__jv_set(s, "unsupported", pol__jv_int((long long)counts[2]));
    pol__jv_set(s, "fixable", pol__jv_int((long long)fixable));
    pol__jv_set(s, "not_claims", pol__jv_int((long long)c->skipped));
    return doc;
}

static int cmp_fix(const void *a, const void *b)
{
    const pol__fixpart *x = *(pol__fixpart *const *)a, *y = *(pol__fixpart *const *)b;
    return x->start < y->start ? -1 : x->start > y->start;
}

char *pol__check_apply(const pol__check *c, const char *text, size_t n, size_t *out_len, int *changed)
{
    *changed = 0;
    size_t nf = 0;
    for (size_t i = 0; i < c->n; i++)
        if (c->claims[i].verdict == POL_VERDICT_CONTRADICTED && c->claims[i].fixable)
            nf += (size_t)c->claims[i].n_fix;
    const pol__fixpart **fx = malloc((nf ? nf : 1) * sizeof *fx);
    if (!fx) return NULL;
    nf = 0;
    for (size_t i = 0; i < c->n; i++)
        if (c->claims[i].verdict == POL_VERDICT_CONTRADICTED && c->claims[i].fixable)
            for (int f = 0; f < c->claims[i].n_fix; f++) fx[nf++] = &c->claims[i].fix[f];
    qsort(fx, nf, sizeof *fx, cmp_fix);
    pol__sbuf o = {0};
    size_t at = 0;
    for (size_t i = 0; i < nf; i++) {
        if (fx[i]->start < at) continue; /* overlapping: the first wins */
        pol__sbuf_put(&o, text + at, fx[i]->start - at);
        pol__sbuf_puts(&o, fx[i]->text);
        at = fx[i]->end;
        (*changed)++;
    }
    pol__sbuf_put(&o, text + at, n - at);
    free(fx);
    if (o.oom) {
        free(o.p);
        return NULL;
    }
    *out_len = o.n;
    return o.p;
}
