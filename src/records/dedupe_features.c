/* polish — matching, stage 1: records reduced to features by column role (folded names,
 * nickname-canonical first names, Soundex, digits of phones, ...). */
#include "records/dedupe_int.h"

/* ---- features ------------------------------------------------------------------------------- */

static uint32_t put_text(fstore *s, const char *p, size_t n)
{
    if (n == 0) return 0;
    if (s->text_len + n + 1 > s->text_cap) {
        size_t cap = s->text_cap ? s->text_cap : 1 << 16;
        while (s->text_len + n + 1 > cap) cap *= 2;
        char *t = realloc(s->text, cap);
        if (!t) {
            s->oom = 1;
            return 0;
        }
        s->text = t;
        s->text_cap = cap;
        mt_huge(t, cap);
    }
    if (s->text_len == 0) s->text[s->text_len++] = '\0'; /* offset 0 means missing */
    if (s->text_len > UINT32_MAX - n - 1) {
        s->oom = 1;
        return 0;
    }
    uint32_t off = (uint32_t)s->text_len;
    memcpy(s->text + off, p, n);
    s->text[off + n] = '\0';
    s->text_len += n + 1;
    return off;
}

static uint32_t hash_text(const char *p, size_t n)
{
    uint64_t h = 1469598103934665603ull;
    for (size_t i = 0; i < n; i++) h = (h ^ (unsigned char)p[i]) * 1099511628211ull;
    return (uint32_t)(h ^ h >> 32);
}

/* put_text, but a string stored before is not stored again: its offset is given. Without memory
 * for the table, interning stops (s->interned = 0) and the text is simply stored. */
static uint32_t intern_text(fstore *s, const char *p, size_t n)
{
    if (n == 0) return 0;
    if (!s->interned) return put_text(s, p, n);
    if ((s->in + 1) * 2 > s->icap) {
        size_t cap = s->icap ? s->icap * 2 : 1 << 12;
        struct islot *t = calloc(cap, sizeof *t);
        if (!t) {
            s->interned = 0;
            return put_text(s, p, n);
        }
        for (size_t i = 0; i < s->icap; i++) {
            if (!s->itab[i].off) continue;
            size_t j = s->itab[i].hash & (cap - 1);
            while (t[j].off) j = (j + 1) & (cap - 1);
            t[j] = s->itab[i];
        }
        free(s->itab);
        s->itab = t;
        s->icap = cap;
    }
    uint32_t h = hash_text(p, n);
    size_t j = h & (s->icap - 1);
    for (; s->itab[j].off; j = (j + 1) & (s->icap - 1)) {
        const char *q = s->text + s->itab[j].off;
        if (s->itab[j].hash == h && !memcmp(q, p, n) && q[n] == '\0') return s->itab[j].off;
    }
    uint32_t off = put_text(s, p, n);
    if (off) {
        s->itab[j] = (struct islot){off, h};
        s->in++;
    }
    return off;
}

static void set_field(fstore *s, feat *f, int k, const char *p, size_t n)
{
    if (n > MAXF) n = MAXF;
    f->off[k] = (MT_INTERNED >> k & 1) ? intern_text(s, p, n) : put_text(s, p, n);
    f->len[k] = f->off[k] ? (uint8_t)n : 0;
}

/* Column of each field for one table. */
typedef struct colmap {
    long col[POL_MF_COUNT];
    long full_name;
} colmap;

static int header_has(const char *name, const char *const *words)
{
    char low[128];
    size_t n = pol__fold_ascii(name, strlen(name), low, sizeof low);
    (void)n;
    for (; *words; words++)
        if (strstr(low, *words)) return 1;
    return 0;
}

/* An id column is worth comparing only when it repeats (a row counter never matches). */
static int id_repeats(const pol__table *t, long col)
{
    size_t rows = pol__table_rows(t);
    if (rows < 2) return 0;
    size_t cap = 1;
    while (cap < rows * 2) cap <<= 1;
    uint64_t *h = calloc(cap, sizeof *h);
    if (!h) return 0;
    size_t dup = 0, seen = 0;
    for (size_t r = 0; r < rows; r++) {
        const char *v = pol__table_get(t, r, (size_t)col);
        if (!*v) continue;
        uint64_t x = 1469598103934665603ull;
        for (const char *p = v; *p; p++) x = (x ^ (unsigned char)*p) * 1099511628211ull;
        x |= 1;
        size_t i = x & (cap - 1);
        while (h[i] && h[i] != x) i = (i + 1) & (cap - 1);
        if (h[i] == x)
            dup++;
        else
            h[i] = x;
        seen++;
    }
    free(h);
    return seen && dup * 50 >= seen; /* at least 2% of values repeat */
}

static void map_columns(const pol__records *r, colmap *m)
{
    for (int k = 0; k < POL_MF_COUNT; k++) m->col[k] = -1;
    m->full_name = -1;
    static const char *const birth[] = {"birth", "dob", "born", NULL};
    size_t cols = pol__table_cols(r->rows);
    for (size_t c = 0; c < cols && c < r->n_roles; c++) {
        int k = -1;
        switch (r->roles[c]) {
        case POL_ROLE_FIRST_NAME:
            k = POL_MF_FIRST;
            break;
        case POL_ROLE_LAST_NAME:
            k = POL_MF_LAST;
            break;
        case POL_ROLE_EMAIL:
            k = POL_MF_EMAIL;
            break;
        case POL_ROLE_PHONE:
            k = POL_MF_PHONE;
            break;
        case POL_ROLE_STREET_NUMBER:
            k = POL_MF_STREETNO;
            break;
        case POL_ROLE_STREET:
            k = POL_MF_STREET;
            break;
        case POL_ROLE_ADDRESS2:
            k = POL_MF_ADDR2;
            break;
        case POL_ROLE_CITY:
            k = POL_MF_CITY;
            break;
        case POL_ROLE_STATE:
            k = POL_MF_STATE;
            break;
        case POL_ROLE_POSTCODE:
            k = POL_MF_POST;
            break;
        case POL_ROLE_COMPANY:
            k = POL_MF_COMPANY;
            break;
        case POL_ROLE_DATE:
            if (header_has(pol__table_name(r->rows, c), birth)) k = POL_MF_DOB;
            break;
        case POL_ROLE_ID:
            if (id_repeats(r->rows, (long)c)) k = POL_MF_ID;
            break;
        case POL_ROLE_FULL_NAME:
            if (m->full_name < 0) m->full_name = (long)c;
            break;
        default:
            break;
        }
        if (k >= 0 && m->col[k] < 0) m->col[k] = (long)c;
    }
}

static int gen_of(const char *t, size_t n)
{
    static const char *const g[] = {"jr", "sr", "ii", "iii", "iv", "junior", "senior"};
    static const int v[] = {1, 2, 3, 4, 5, 1, 2};
    for (size_t i = 0; i < sizeof g / sizeof g[0]; i++)
        if (strlen(g[i]) == n && !memcmp(g[i], t, n)) return v[i];
    return 0;
}

/* Removes a generation suffix token from a folded name, returning it. */
static int strip_gen(char *s, size_t *n)
{
    size_t len = *n;
    size_t sp = len;
    while (sp > 0 && s[sp - 1] != ' ') sp--;
    if (sp == 0) return 0;
    int g = gen_of(s + sp, len - sp);
    if (!g) return 0;
    len = sp;
    while (len && s[len - 1] == ' ') len--;
    s[len] = '\0';
    *n = len;
    return g;
}

static size_t digits_only(const char *in, char *out, size_t cap)
{
    size_t k = 0;
    for (; *in && k + 1 < cap; in++)
        if (*in >= '0' && *in <= '9') out[k++] = *in;
    out[k] = '\0';
    return k;
}

static size_t alnum_lower(const char *in, char *out, size_t cap)
{
    size_t k = 0;
    for (; *in && k + 1 < cap; in++) {
        char c = *in;
        if (c >= 'A' && c <= 'Z') c = (char)(c - 'A' + 'a');
        if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) out[k++] = c;
    }
    out[k] = '\0';
    return k;
}

static void extract(fstore *s, feat *f, const pol__table *t, size_t row, const colmap *m)
{
    char buf[256];
    size_t n;
    memset(f, 0, sizeof *f);
    char first[128] = "", last[128] = "";
    size_t nf = 0, nl = 0;
    if (m->col[POL_MF_FIRST] >= 0) {
        const char *v = pol__cell_value(t, row, (size_t)m->col[POL_MF_FIRST]);
        nf = pol__fold_ascii(v, strlen(v), first, sizeof first);
    }
    if (m->col[POL_MF_LAST] >= 0) {
        const char *v = pol__cell_value(t, row, (size_t)m->col[POL_MF_LAST]);
        nl = pol__fold_ascii(v, strlen(v), last, sizeof last);
    }
    if (!nf && !nl && m->full_name >= 0) {
        const char *v = pol__cell_value(t, row, (size_t)m->full_name);
        const char *comma = strchr(v, ',');
        if (comma) { /* "Last, First" */
            nl = pol__fold_ascii(v, (size_t)(comma - v), last, sizeof last);
            nf = pol__fold_ascii(comma + 1, strlen(comma + 1), first, sizeof first);
        } else {
            n = pol__fold_ascii(v, strlen(v), buf, sizeof buf);
            f->gen = (uint8_t)strip_gen(buf, &n);
            char *sp = strchr(buf, ' ');
            char *lsp = strrchr(buf, ' ');
            if (sp) {
                nf = (size_t)(sp - buf) < sizeof first - 1 ? (size_t)(sp - buf) : sizeof first - 1;
                memcpy(first, buf, nf);
                first[nf] = '\0';
                nl = strlen(lsp + 1) < sizeof last - 1 ? strlen(lsp + 1) : sizeof last - 1;
                memcpy(last, lsp + 1, nl);
                last[nl] = '\0';
            } else {
                nl = n < sizeof last - 1 ? n : sizeof last - 1;
                memcpy(last, buf, nl);
                last[nl] = '\0';
            }
        }
    }
    int g = strip_gen(last, &nl);
    if (!g) g = strip_gen(first, &nf);
    if (g) f->gen = (uint8_t)g;
    set_field(s, f, POL_MF_FIRST, first, nf);
    set_field(s, f, POL_MF_LAST, last, nl);
    /* First names compare through their nickname-canonical form: Bob ~ Robert. */
    const char *canon = nf ? pol__nickname_canonical(first, nf) : NULL;
    if (canon) {
        f->canon_first = intern_text(s, canon, strlen(canon));
        f->canon_len = (uint8_t)strlen(canon);
    } else {
        f->canon_first = f->off[POL_MF_FIRST];
        f->canon_len = f->len[POL_MF_FIRST];
    }
    pol__soundex(canon ? canon : first, canon ? strlen(canon) : nf, f->sdx_first);
    pol__soundex(last, nl, f->sdx_last);

    for (int k = POL_MF_EMAIL; k < POL_MF_COUNT; k++) {
        if (m->col[k] < 0) continue;
        const char *v = pol__cell_value(t, row, (size_t)m->col[k]);
        if (!*v) continue;
        switch (k) {
        case POL_MF_EMAIL:
            n = 0;
            for (const char *p = v; *p && n + 1 < sizeof buf; p++)
                if (*p != ' ') buf[n++] = (char)((*p >= 'A' && *p <= 'Z') ? *p - 'A' + 'a' : *p);
            buf[n] = '\0';
            break;
        case POL_MF_PHONE: {
            /* Strip an extension, then keep the national significant digits (last 10). */
            char tmp[64];
            size_t tl = 0;
            for (const char *p = v; *p && tl + 1 < sizeof tmp; p++) {
                if (*p == 'x' || *p == 'X' || *p == ';' || *p == 'e') break;
                tmp[tl++] = *p;
            }
            tmp[tl] = '\0';
            n = digits_only(tmp, buf, sizeof buf);
            if (n > 10) {
                memmove(buf, buf + n - 10, 11);
                n = 10;
            }
            break;
        }
        case POL_MF_POST:
        case POL_MF_ID:
        case POL_MF_STREETNO:
            n = alnum_lower(v, buf, sizeof buf);
            break;
        case POL_MF_DOB:
            n = digits_only(v, buf, sizeof buf);
            break;
        default:
            n = pol__fold_ascii(v, strlen(v), buf, sizeof buf);
        }
        set_field(s, f, k, buf, n);
        if (k == POL_MF_EMAIL) {
            const char *e = fs(s, f, k), *at = memchr(e, '@', f->len[k]);
            f->email_at = at ? (uint8_t)(at - e) : f->len[k];
        }
    }
    /* A street line with its number in front: split it, unless the number has its own column. */
    if (m->col[POL_MF_STREETNO] < 0 && f->len[POL_MF_STREET]) {
        const char *st = fs(s, f, POL_MF_STREET);
        size_t i = 0;
        while (i < f->len[POL_MF_STREET] && st[i] >= '0' && st[i] <= '9') i++;
        if (i > 0 && i < f->len[POL_MF_STREET] && st[i] == ' ') {
            uint32_t whole = f->off[POL_MF_STREET];
            size_t rest = f->len[POL_MF_STREET] - i - 1;
            /* number and street each on its own, interned like the others (the text may move) */
            char name[MAXF + 1];
            memcpy(name, s->text + whole, i);
            f->off[POL_MF_STREETNO] = intern_text(s, name, i);
            f->len[POL_MF_STREETNO] = f->off[POL_MF_STREETNO] ? (uint8_t)i : 0;
            memcpy(name, s->text + whole + i + 1, rest);
            f->off[POL_MF_STREET] = intern_text(s, name, rest);
            f->len[POL_MF_STREET] = f->off[POL_MF_STREET] ? (uint8_t)rest : 0;
        }
    }
}

/* Stage 1: each record reduced to its features (names folded, nicknames, phones, ...). */
int pol__mt_features(const pol__records *ra, const pol__records *rb, fstore *s, pol__match_result *res)
{
    size_t n_a = pol__table_rows(ra->rows), n_b = rb ? pol__table_rows(rb->rows) : 0;
    colmap ma, mb;
    s->interned = MT_INTERNED;
    map_columns(ra, &ma);
    if (rb) map_columns(rb, &mb);
    for (size_t i = 0; i < n_a; i++) extract(s, &s->f[i], ra->rows, i, &ma);
    for (size_t i = 0; i < n_b; i++) {
        extract(s, &s->f[n_a + i], rb->rows, i, &mb);
        s->f[n_a + i].source = 1;
    }
    free(s->itab);
    s->itab = NULL;
    s->icap = s->in = 0;
    if (s->oom) return 0;
    for (int k = 0; k < POL_MF_COUNT; k++) {
        int used = ma.col[k] >= 0 || (rb && mb.col[k] >= 0);
        if (k == POL_MF_FIRST || k == POL_MF_LAST) used |= ma.full_name >= 0;
        if (k == POL_MF_STREETNO) used |= ma.col[POL_MF_STREET] >= 0;
        if (used) res->used_fields |= 1u << k;
    }
    return 1;
}
