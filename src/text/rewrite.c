/* polish — the optional rewrite of a flagged answer through an OpenAI-compatible chat endpoint
 * ("POST .../chat/completions"), and the checks a rewrite must pass before it replaces the
 * un-rewritten result. */
#include <curl/curl.h>
#include <jansson.h>
#include <pthread.h>
#include <stdio.h>
#include "text/rewrite.h"
#include "text/textutil.h"

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static CURLcode curl_init_rc = CURLE_FAILED_INIT;

static void curl_init(void)
{
    curl_init_rc = curl_global_init(CURL_GLOBAL_DEFAULT);
}

typedef struct reply {
    char *p;
    size_t n, cap, max;
    int too_big;
} reply;

static size_t on_data(char *data, size_t size, size_t nmemb, void *user)
{
    reply *r = user;
    size_t len = size * nmemb;
    if (r->n + len > r->max) {
        r->too_big = 1;
        return 0; /* stops the transfer */
    }
    if (r->n + len + 1 > r->cap) {
        size_t cap = (r->n + len + 1) * 2;
        if (cap > r->max + 1) cap = r->max + 1;
        char *p = realloc(r->p, cap);
        if (!p) return 0;
        r->p = p;
        r->cap = cap;
    }
    memcpy(r->p + r->n, data, len);
    r->n += len;
    r->p[r->n] = '\0';
    return len;
}

/* The request's messages: what to do, the answer, the flagged claims with their evidence. */
static char *prompt(const char *orig, const pol__check *c, const char *answer, size_t n)
{
    pol__sbuf s = {0};
    pol__sbuf_puts(&s, "Answer:\n");
    pol__sbuf_put(&s, answer, n);
    pol__sbuf_puts(&s, "\n\nClaims the approved passages contradict:\n");
    for (size_t i = 0; i < c->n; i++) {
        const pol__claim *cl = &c->claims[i];
        if (cl->verdict != POL_VERDICT_CONTRADICTED || cl->fixable) continue;
        pol__sbuf_puts(&s, "- \"");
        pol__sbuf_put(&s, orig + cl->start, cl->end - cl->start);
        pol__sbuf_puts(&s, "\": ");
        pol__sbuf_puts(&s, pol__verdict_name(cl->verdict));
        pol__sbuf_puts(&s, " (");
        pol__sbuf_puts(&s, cl->reason);
        pol__sbuf_puts(&s, ")");
        if (cl->evidence && cl->verdict == POL_VERDICT_CONTRADICTED) {
            pol__sbuf_puts(&s, ". Approved passage");
            if (cl->source) {
                pol__sbuf_puts(&s, " (");
                pol__sbuf_puts(&s, cl->source);
                pol__sbuf_puts(&s, ")");
            }
            pol__sbuf_puts(&s, ": \"");
            pol__sbuf_puts(&s, cl->evidence);
            pol__sbuf_puts(&s, "\"");
        }
        pol__sbuf_puts(&s, "\n");
    }
    if (s.oom) {
        free(s.p);
        return NULL;
    }
    return s.p;
}

static const char system_msg[] =
    "You correct a customer-service answer so that it agrees with the approved passages. Keep "
    "the answer's language, tone, format and length. Use only facts stated in the answer or in "
    "the approved passages: never add a price, time, date, number, phone number, e-mail address, "
    "URL or name that is not there. Correct only the listed claims (remove one you cannot correct "
    "from its passage) and keep every other sentence as written. Reply with the corrected answer "
    "only.";

int pol__rewrite_ask(const pol__rewrite_cfg *cfg, const char *orig, const pol__check *c,
                     const char *answer, size_t n, char **out, char *why, size_t why_cap)
{
    *out = NULL;
    why[0] = '\0';
    if (!cfg->url || !cfg->url[0]) {
        snprintf(why, why_cap, "no endpoint: give --rewrite-url URL or set POLISH_REWRITE_URL");
        return -1;
    }
    pthread_once(&curl_once, curl_init);
    if (curl_init_rc != CURLE_OK) {
        snprintf(why, why_cap, "libcurl could not start: %s", curl_easy_strerror(curl_init_rc));
        return -1;
    }
    /* the URL: a base ("http://host/v1") gets "/chat/completions" */
    char url[2048];
    size_t ul = strlen(cfg->url);
    while (ul && cfg->url[ul - 1] == '/') ul--;
    if (strstr(cfg->url, "/chat/completions"))
        snprintf(url, sizeof url, "%s", cfg->url);
    else
        snprintf(url, sizeof url, "%.*s/chat/completions", (int)ul, cfg->url);
    char *user = prompt(orig, c, answer, n);
    if (!user) {
        snprintf(why, why_cap, "out of memory");
        return -1;
    }
    json_t *req = json_pack("{s:s, s:f, s:[{s:s, s:s}, {s:s, s:s}]}", "model",
                            cfg->model && cfg->model[0] ? cfg->model : "default", "temperature", 0.0,
                            "messages", "role", "system", "content", system_msg, "role", "user",
                            "content", user);
    free(user);
    char *body = req ? json_dumps(req, JSON_COMPACT) : NULL;
    json_decref(req);
    if (!body) {
        snprintf(why, why_cap, "the request could not be made (the answer is not valid UTF-8?)");
        return -1;
    }
    CURL *h = curl_easy_init();
    struct curl_slist *hdr = NULL;
    reply r = {NULL, 0, 0, cfg->max_reply ? cfg->max_reply : (size_t)4 << 20, 0};
    int rc = -1;
    if (!h) {
        snprintf(why, why_cap, "libcurl could not make a handle");
        goto done;
    }
    hdr = curl_slist_append(hdr, "Content-Type: application/json");
    if (cfg->key && cfg->key[0]) {
        char auth[1024];
        snprintf(auth, sizeof auth, "Authorization: Bearer %s", cfg->key);
        hdr = curl_slist_append(hdr, auth);
    }
    long ms = cfg->timeout_s > 0 ? (long)(cfg->timeout_s * 1000 + 0.5) : 20000;
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdr);
    curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
    curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE, (long)strlen(body));
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, ms);
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, ms);
    curl_easy_setopt(h, CURLOPT_USERAGENT, "polish");
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_data);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &r);
    CURLcode cr = curl_easy_perform(h);
    if (cr != CURLE_OK) {
        if (cr == CURLE_OPERATION_TIMEDOUT)
            snprintf(why, why_cap, "the endpoint %s did not answer within %.1f s", url, ms / 1000.0);
        else if (r.too_big)
            snprintf(why, why_cap, "the endpoint's reply is larger than %zu bytes", r.max);
        else
            snprintf(why, why_cap, "the endpoint %s: %s", url, curl_easy_strerror(cr));
        goto done;
    }
    long status = 0;
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
    json_error_t je;
    json_t *doc = r.p ? json_loadb(r.p, r.n, 0, &je) : NULL;
    if (status < 200 || status > 299) {
        const char *msg = NULL;
        json_t *e = doc ? json_object_get(doc, "error") : NULL;
        if (json_is_object(e)) msg = json_string_value(json_object_get(e, "message"));
        snprintf(why, why_cap, "the endpoint answered HTTP %ld%s%.120s", status, msg ? ": " : "",
                 msg ? msg : "");
        json_decref(doc);
        goto done;
    }
    if (!doc) {
        snprintf(why, why_cap, "the endpoint's reply is not JSON (%s at line %d)",
                 r.p ? je.text : "empty reply", r.p ? je.line : 0);
        goto done;
    }
    json_t *ch = json_array_get(json_object_get(doc, "choices"), 0);
    const char *content =
        json_string_value(json_object_get(json_object_get(ch, "message"), "content"));
    if (!content) {
        snprintf(why, why_cap, "the endpoint's reply has no choices[0].message.content");
        json_decref(doc);
        goto done;
    }
    size_t cn = strlen(content);
    while (cn && (content[cn - 1] == ' ' || content[cn - 1] == '\n' || content[cn - 1] == '\r'))
        cn--;
    while (cn && (*content == ' ' || *content == '\n' || *content == '\r')) content++, cn--;
    if (!cn)
        snprintf(why, why_cap, "the endpoint's rewrite is empty");
    else if (cn > 4 * n + 4096)
        snprintf(why, why_cap, "the endpoint's rewrite is %zu bytes, far longer than the answer", cn);
    else if (!(*out = pol__strndup(content, cn)))
        snprintf(why, why_cap, "out of memory");
    else
        rc = 0;
    json_decref(doc);
done:
    curl_slist_free_all(hdr);
    if (h) curl_easy_cleanup(h);
    free(r.p);
    free(body);
    return rc;
}

/* ---- accepting a rewrite -------------------------------------------------------------------- */

static int val_in(const pol__val *v, const char *s, size_t n)
{
    if (!s) return 0;
    pol__vals xs;
    pol__values(s, n, &xs);
    int hit = 0;
    for (size_t i = 0; i < xs.n && !hit; i++) hit = pol__val_equal(v, &xs.v[i]);
    pol__vals_free(&xs);
    return hit;
}

int pol__rewrite_accept(pol__kb *kb, const pol__check_opts *o, const char *orig,
                        const pol__check *c, const char *answer, size_t n, const char *rw,
                        size_t rn, char *why, size_t why_cap, pol_err *err)
{
    why[0] = '\0';
    if (pol__utf8_invalid_at(rw, rn) != (size_t)-1) {
        snprintf(why, why_cap, "the rewrite is not valid UTF-8");
        return 0;
    }
    pol__check rc;
    if (pol__check_run(kb, rw, rn, o, &rc, err)) return -1;
    int ok = 1;
    for (size_t i = 0; i < rc.n && ok; i++) {
        const pol__claim *cl = &rc.claims[i];
        if (cl->verdict != POL_VERDICT_CONTRADICTED) continue;
        snprintf(why, why_cap, "the rewrite contradicts the knowledge base: \"%.*s\" (%s)",
                 (int)(cl->end - cl->start < 80 ? cl->end - cl->start : 80), rw + cl->start,
                 cl->reason);
        ok = 0;
    }
    /* every value outside a supported claim must come from the answer or the evidence */
    pol__vals v;
    pol__values(rw, rn, &v);
    if (v.oom) ok = -1;
    for (size_t i = 0; i < v.n && ok == 1; i++) {
        const pol__val *x = &v.v[i];
        int supported = 0;
        for (size_t k = 0; k < rc.n && !supported; k++)
            supported = rc.claims[k].verdict == POL_VERDICT_SUPPORTED &&
                        x->start >= rc.claims[k].start && x->end <= rc.claims[k].end;
        if (supported) continue;
        int known = val_in(x, answer, n) || val_in(x, orig, strlen(orig));
        for (size_t k = 0; k < c->n && !known; k++)
            if (c->claims[k].evidence)
                known = val_in(x, c->claims[k].evidence, strlen(c->claims[k].evidence));
        if (known) continue;
        snprintf(why, why_cap,
                 "the rewrite invents the %s \"%.*s\" (in neither the answer nor the knowledge "
                 "base)",
                 pol__vtype_name(x->type), (int)(x->end - x->start < 60 ? x->end - x->start : 60),
                 rw + x->start);
        ok = 0;
    }
    pol__vals_free(&v);
    pol__check_free(&rc);
    if (ok < 0) return pol__err_set(err, POL_ERR_NOMEM, "out of memory"), -1;
    return ok;
}
