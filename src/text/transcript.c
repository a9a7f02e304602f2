/* polish — reading chat exports: JSON (a message list, {"messages": [...]}, a list of
 * conversations, {"conversations": [...]}), CSV (a role and a message column, optionally a
 * conversation id and a time) and plain "User: ... / Bot: ..." text. */
#include <jansson.h>
#include <stdio.h>
#include <strings.h>
#include "text/textutil.h"
#include "text/transcript.h"

void pol__transcripts_free(pol__transcripts *t)
{
    for (size_t i = 0; i < t->n; i++) {
        pol__convo *c = &t->c[i];
        for (size_t k = 0; k < c->n; k++) {
            free(c->m[k].text);
            free(c->m[k].time);
        }
        free(c->m);
        free(c->id);
    }
    free(t->c);
    memset(t, 0, sizeof *t);
}

static pol__convo *new_convo(pol__transcripts *t, const char *id)
{
    if (POL_GROW(t->c, t->cap, t->n + 1, 16)) return NULL;
    pol__convo *c = &t->c[t->n];
    memset(c, 0, sizeof *c);
    if (id && !(c->id = pol__strdup(id))) return NULL;
    if (!id && !(c->id = pol__asprintf("%zu", t->n + 1))) return NULL;
    t->n++;
    return c;
}

static int add_msg(pol__convo *c, int visitor, const char *text, size_t n, const char *time)
{
    if (POL_GROW(c->m, c->cap, c->n + 1, 8)) return -1;
    pol__msg *m = &c->m[c->n];
    m->visitor = visitor;
    m->text = pol__strndup(text, n);
    m->time = time && *time ? pol__strdup(time) : NULL;
    if (!m->text || (time && *time && !m->time)) {
        free(m->text);
        free(m->time);
        return -1;
    }
    c->n++;
    return 0;
}

/* The speaker: 1 visitor, 0 bot/agent, -1 unknown. */
static int role_of(const char *r, size_t n)
{
    static const char *const vis[] = {"user", "visitor", "customer", "human", "client", "lead",
                                      "guest", "contact", "prospect", NULL};
    static const char *const bot[] = {"assistant", "bot", "agent", "ai", "support", "system",
                                      "operator", "staff", "chatbot", "model", NULL};
    while (n && (*r == ' ' || *r == '"')) r++, n--;
    while (n && (r[n - 1] == ' ' || r[n - 1] == '"' || r[n - 1] == '\r')) n--;
    for (int k = 0; vis[k]; k++)
        if (strlen(vis[k]) == n && !strncasecmp(r, vis[k], n)) return 1;
    for (int k = 0; bot[k]; k++)
        if (strlen(bot[k]) == n && !strncasecmp(r, bot[k], n)) return 0;
    return -1;
}

/* ---- JSON ----------------------------------------------------------------------------------- */

static const char *str_of(json_t *o, const char *const *keys)
{
    for (int k = 0; keys[k]; k++) {
        json_t *v = json_object_get(o, keys[k]);
        if (json_is_string(v)) return json_string_value(v);
    }
    return NULL;
}

static const char *const role_keys[] = {"role", "speaker", "sender", "author", "from", "who", "type", NULL};
static const char *const text_keys[] = {"content", "text", "message", "body", NULL};
static const char *const time_keys[] = {"time", "timestamp", "created_at", "date", "ts", NULL};
static const char *const id_keys[] = {"id", "conversation_id", "conversation", "chat_id", "session_id", "thread_id", NULL};

static int is_message(json_t *o)
{
    return json_is_object(o) && str_of(o, text_keys) &&
           (str_of(o, role_keys) || json_is_object(json_object_get(o, "author")));
}

static int json_messages(pol__convo *c, json_t *arr, size_t *skipped)
{
    size_t i;
    json_t *m;
    json_array_foreach(arr, i, m) {
        if (!json_is_object(m)) {
            (*skipped)++;
            continue;
        }
        const char *role = str_of(m, role_keys);
        json_t *author = json_object_get(m, "author");
        if (!role && json_is_object(author)) role = str_of(author, role_keys);
        const char *text = str_of(m, text_keys);
        /* OpenAI style content parts: [{"type":"text","text":"..."}] */
        json_t *content = json_object_get(m, "content");
        char *joined = NULL;
        if (!text && json_is_array(content)) {
            pol__sbuf s = {0};
            size_t k;
            json_t *part;
            json_array_foreach(content, k, part) {
                const char *pt = json_is_string(part) ? json_string_value(part) : str_of(part, (const char *const[]){"text", NULL});
                if (pt) {
                    if (s.n) pol__sbuf_put(&s, "\n", 1);
                    pol__sbuf_puts(&s, pt);
                }
            }
            if (s.oom) return -1;
            joined = s.p;
            text = joined;
        }
        int who = role ? role_of(role, strlen(role)) : -1;
        if (!text || who < 0) {
            free(joined);
            (*skipped)++;
            continue;
        }
        json_t *tv = NULL;
        const char *time = NULL;
        char tbuf[32];
        for (int k = 0; time_keys[k] && !time; k++) {
            tv = json_object_get(m, time_keys[k]);
            if (json_is_string(tv)) time = json_string_value(tv);
            else if (json_is_number(tv)) {
                snprintf(tbuf, sizeof tbuf, "%.0f", json_number_value(tv));
                time = tbuf;
            }
        }
        int rc = add_msg(c, who, text, strlen(text), time);
        free(joined);
        if (rc) return -1;
    }
    return 0;
}

static pol_status json_convo(pol__transcripts *t, json_t *o, const char *id, size_t *skipped,
                             pol_err *err)
{
    json_t *msgs = json_is_array(o) ? o : json_object_get(o, "messages");
    if (!json_is_array(msgs)) msgs = json_object_get(o, "transcript");
    if (!json_is_array(msgs)) msgs = json_object_get(o, "turns");
    if (!json_is_array(msgs)) {
        (*skipped)++;
        return POL_OK;
    }
    char idbuf[64];
    const char *cid = json_is_object(o) ? str_of(o, id_keys) : NULL;
    if (!cid && json_is_object(o)) {
        json_t *n = json_object_get(o, "id");
        if (json_is_integer(n)) {
            snprintf(idbuf, sizeof idbuf, "%lld", (long long)json_integer_value(n));
            cid = idbuf;
        }
    }
    pol__convo *c = new_convo(t, cid ? cid : id);
    if (!c || json_messages(c, msgs, skipped)) return pol__err_set(err, POL_ERR_NOMEM, "out of memory");
    if (!c->n) {
        /* a conversation without messages: counted, left out */
        free(c->m);
        free(c->id);
        t->n--;
        t->empty++;
    }
    return POL_OK;
}

static pol_status parse_json(const pol__text *tx, pol__transcripts *t, pol_err *err)
{
    json_error_t je;
    json_t *root = json_loadb(tx->buf, tx->len, 0, &je);
    if (!root)
        return pol__err_set(err, POL_ERR_FORMAT, "malformed JSON at line %d, column %d: %s",
                            je.line, je.column, je.text);
    size_t skipped = 0;
    pol_status st = POL_OK;
    json_t *list = json_is_object(root) ? json_object_get(root, "conversations") : NULL;
    if (!list && json_is_object(root)) list = json_object_get(root, "chats");
    if (json_is_array(list)) {
        size_t i;
        json_t *o;
        json_array_foreach(list, i, o) {
            if ((st = json_convo(t, o, NULL, &skipped, err))) break;
        }
    } else if (json_is_array(root) && json_array_size(root) && is_message(json_array_get(root, 0))) {
        st = json_convo(t, root, NULL, &skipped, err);
    } else if (json_is_array(root)) {
        size_t i;
        json_t *o;
        json_array_foreach(root, i, o) {
            if ((st = json_convo(t, o, NULL, &skipped, err))) break;
        }
    } else if (json_is_object(root)) {
        st = json_convo(t, root, NULL, &skipped, err);
    }
    json_decref(root);
    return st;
}

/* ---- CSV ------------------------------------------------------------------------------------ */

static int col_named(const char *v, const char *names)
{
    for (const char *q = names; *q;) {
        const char *bar = strchr(q, '|');
        size_t m = bar ? (size_t)(bar - q) : strlen(q);
        if (strlen(v) == m && !strncasecmp(v, q, m)) return 1;
        q = bar ? bar + 1 : q + m;
    }
    return 0;
}

static pol_status parse_csv(const pol__text *tx, pol__transcripts *t, pol_err *err)
{
    const char *p = tx->buf, *end = tx->buf + tx->len;
    if (tx->len >= 3 && (unsigned char)p[0] == 0xEF) p += 3;
    const char *nl = memchr(p, '\n', (size_t)(end - p));
    size_t hl = nl ? (size_t)(nl - p) : (size_t)(end - p);
    char delim = memchr(p, '\t', hl) ? '\t' : (memchr(p, ';', hl) && !memchr(p, ',', hl)) ? ';' : ',';
    pol__sbuf f = {0};
    int rc_col = -1, tc = -1, ic = -1, timec = -1, col = 0, header = 1;
    char *cells[4] = {NULL, NULL, NULL, NULL}; /* role, text, id, time of the current row */
    pol__convo *cur = NULL;
    pol_status st = POL_OK;
    size_t line = 1;
    while (p < end && !st) {
        int more = pol__csv_field(&p, end, &f, delim);
        pol__sbuf_put(&f, "", 0);
        const char *v = f.p ? f.p : "";
        if (header) {
            if (rc_col < 0 && col_named(v, "role|speaker|sender|author|from|who")) rc_col = col;
            else if (tc < 0 && col_named(v, "content|message|text|body")) tc = col;
            else if (ic < 0 && col_named(v, "conversation|conversation_id|chat_id|chat|session|session_id|thread|thread_id|id"))
                ic = col;
            else if (timec < 0 && col_named(v, "time|timestamp|created_at|date")) timec = col;
        } else {
            int slot = col == rc_col ? 0 : col == tc ? 1 : col == ic ? 2 : col == timec ? 3 : -1;
            if (slot >= 0) {
                free(cells[slot]);
                cells[slot] = pol__strdup(v);
            }
        }
        col++;
        if (!more) {
            line++;
            if (header) {
                header = 0;
                if (rc_col < 0 || tc < 0) {
                    st = pol__err_set(err, POL_ERR_FORMAT,
                                      "a chat CSV needs a role (or speaker) and a message (or "
                                      "content) column");
                }
            } else if (cells[0] && cells[1]) {
                int who = role_of(cells[0], strlen(cells[0]));
                const char *id = cells[2] && *cells[2] ? cells[2] : NULL;
                if (!cur || (id && strcmp(cur->id, id))) {
                    cur = NULL;
                    for (size_t k = 0; id && k < t->n && !cur; k++)
                        if (!strcmp(t->c[k].id, id)) cur = &t->c[k];
                    if (!cur && !(cur = new_convo(t, id))) st = pol__err_set(err, POL_ERR_NOMEM, "out of memory");
                }
                if (!st && who >= 0 && *cells[1] &&
                    add_msg(cur, who, cells[1], strlen(cells[1]), cells[3]))
                    st = pol__err_set(err, POL_ERR_NOMEM, "out of memory");
            }
            for (int k = 0; k < 4; k++) {
                free(cells[k]);
                cells[k] = NULL;
            }
            col = 0;
        }
    }
    for (int k = 0; k < 4; k++) free(cells[k]);
    free(f.p);
    /* conversations that ended up empty */
    size_t k = 0;
    for (size_t i = 0; i < t->n; i++) {
        if (t->c[i].n) t->c[k++] = t->c[i];
        else {
            free(t->c[i].m);
            free(t->c[i].id);
            t->empty++;
        }
    }
    t->n = k;
    return st;
}

/* ---- text ----------------------------------------------------------------------------------- */

static pol_status parse_text(const pol__text *tx, pol__transcripts *t, pol_err *err)
{
    const char *p = tx->buf, *end = tx->buf + tx->len;
    pol__convo *cur = NULL;
    pol__msg *last = NULL;
    while (p < end) {
        const char *e = memchr(p, '\n', (size_t)(end - p));
        if (!e) e = end;
        const char *l = p;
        size_t n = (size_t)(e - p);
        while (n && (l[n - 1] == '\r' || l[n - 1] == ' ')) n--;
        while (n && (*l == ' ' || *l == '\t')) l++, n--;
        p = e + 1;
        if (n >= 3 && (!strncmp(l, "---", 3) || !strncmp(l, "===", 3))) {
            cur = NULL;
            last = NULL;
            continue;
        }
        if (!n) continue;
        char time[32] = "";
        if (*l == '[') {
            const char *rb = memchr(l, ']', n);
            if (rb && rb - l < 30) {
                snprintf(time, sizeof time, "%.*s", (int)(rb - l - 1), l + 1);
                n -= (size_t)(rb + 1 - l);
                l = rb + 1;
                while (n && *l == ' ') l++, n--;
            }
        }
        const char *colon = memchr(l, ':', n < 24 ? n : 24);
        int who = colon ? role_of(l, (size_t)(colon - l)) : -1;
        if (who >= 0) {
            if (!cur && !(cur = new_convo(t, NULL))) return pol__err_set(err, POL_ERR_NOMEM, "out of memory");
            const char *m = colon + 1;
            while (m < l + n && *m == ' ') m++;
            if (add_msg(cur, who, m, (size_t)(l + n - m), time)) return pol__err_set(err, POL_ERR_NOMEM, "out of memory");
            last = &cur->m[cur->n - 1];
        } else if (last) {
            /* a continuation line of the last message */
            char *j = pol__asprintf("%s\n%.*s", last->text, (int)n, l);
            if (!j) return pol__err_set(err, POL_ERR_NOMEM, "out of memory");
            free(last->text);
            last->text = j;
        }
    }
    return POL_OK;
}

pol_status pol__transcripts_parse(const pol__text *tx, pol__transcripts *out, pol_err *err)
{
    memset(out, 0, sizeof *out);
    pol_status st;
    size_t i = 0;
    while (i < tx->len && (tx->buf[i] == ' ' || tx->buf[i] == '\n' || tx->buf[i] == '\r' || tx->buf[i] == '\t' ||
                           (unsigned char)tx->buf[i] >= 0xEF))
        i++;
    if (tx->kind == POL_TEXT_CHAT_JSON || (i < tx->len && (tx->buf[i] == '{' || tx->buf[i] == '[')))
        st = parse_json(tx, out, err);
    else if (tx->kind == POL_TEXT_CHAT_CSV)
        st = parse_csv(tx, out, err);
    else
        st = parse_text(tx, out, err);
    if (!st && out->n == 0)
        st = pol__err_set(err, POL_ERR_EMPTY,
                          "no messages found%s: a chat export is a JSON list of {\"role\", "
                          "\"content\"} messages (or {\"conversations\": [...]}), a CSV with role "
                          "and message columns, or \"User: ...\" / \"Bot: ...\" lines",
                          out->empty ? " (only conversations without messages)" : "");
    if (st) pol__transcripts_free(out);
    return st;
}
