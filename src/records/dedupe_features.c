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

/* Room in s->itab for one more string (0: none could be had). */
static int itab_room(fstore *s)
{
    if ((s->in + 1) * 2 <= s->icap) return 1;
    size_t cap = s->icap ? s->icap * 2 : 1 << 12;
    struct islot *t = calloc(cap, sizeof *t);
    if (!t) return 0;
    for (size_t i = 0; i < s->icap; i++) {
        if (!s->itab[i].off) continue;
        size_t j = s->itab[i].hash & (cap - 1);
        while (t[j].off) j = (j + 1) & (cap - 1);
        t[j] = s->itab[i];
    }
    free(s->itab);
    s->itab = t;
    s->icap = cap;
    return 1;
}

/* The slot of the string (p, n) with hash h in s->itab: the one holding it, or the empty one
 * where it would go. */
static struct islot *itab_find(const fstore *s, const char *p, size_t n, uint32_t h)
{
    size_t j = h & (s->icap - 1);
    for (; s->itab[j].off; j = (j + 1) & (s->icap - 1)) {
        const char *q = s->text + s->itab[j].off;
        if (s->itab[j].hash == h && !memcmp(q, p, n) && q[n] == '\0') break;
    }
    return &s->itab[j];
}

/* put_text, but a string stored before is not stored again: its offset is given. Without memory
 * for the table, interning stops (s->interned = 0) and the text is simply stored. */
static uint32_t intern_text(fstore *s, const char *p, size_t n)
{
    if (n == 0) return 0;
    if (!s->interned) return put_text(s, p, n);
    if (!itab_room(s)) {
        s->interned = 0;
        return put_text(s, p, n);
    }
    uint32_t h = hash_text(p, n);
    struct islot *slot = itab_find(s, p, n, h);
    if (slot->off) return slot->off;
    uint32_t off = put_text(s, p, n);
    if (off) {
        *slot = (struct islot){off, h};
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

/* ---- stage 1 in parts ------------------------------------------------------------------------ *
 *
 * A large table is cut into parts of consecutive rows, each extracted on its own thread into its
 * own text store and intern table. The stores are then laid end to end in part order, and a
 * string interned in a later part that an earlier part holds too is given the earlier offset
 * (the interned fields keep one offset per distinct string across the whole store), so the
 * features are those of one store: the comparisons see the same strings either way. */

enum { MT_PART_ROWS = 32768, MT_MAX_PARTS = 64 };

/* Local offset -> global offset for the strings of a part that an earlier part already held. */
typedef struct remap {
    uint32_t *key, *val; /* key 0 = empty */
    size_t cap, n;
} remap;

static int remap_put(remap *m, uint32_t k, uint32_t v)
{
    if ((m->n + 1) * 2 > m->cap) {
        size_t cap = m->cap ? m->cap * 2 : 1024;
        uint32_t *nk = calloc(cap, sizeof *nk), *nv = malloc(cap * sizeof *nv);
        if (!nk || !nv) {
            free(nk);
            free(nv);
            return 0;
        }
        for (size_t i = 0; i < m->cap; i++) {
            if (!m->key[i]) continue;
            size_t j = (m->key[i] * 0x9E3779B1u) & (cap - 1);
            while (nk[j]) j = (j + 1) & (cap - 1);
            nk[j] = m->key[i];
            nv[j] = m->val[i];
        }
        free(m->key);
        free(m->val);
        m->key = nk;
        m->val = nv;
        m->cap = cap;
    }
    size_t j = (k * 0x9E3779B1u) & (m->cap - 1);
    while (m->key[j] && m->key[j] != k) j = (j + 1) & (m->cap - 1);
    if (!m->key[j]) m->n++;
    m->key[j] = k;
    m->val[j] = v;
    return 1;
}

static inline uint32_t remap_get(const remap *m, uint32_t k, uint32_t base)
{
    if (m->cap) {
        size_t j = (k * 0x9E3779B1u) & (m->cap - 1);
        for (; m->key[j]; j = (j + 1) & (m->cap - 1))
            if (m->key[j] == k) return m->val[j];
    }
    return base + k;
}

typedef struct fpart {
    fstore st;     /* the part's own text and intern table */
    size_t b, e;   /* its rows (of the whole: a's rows, then b's) */
    uint32_t base; /* where its text lands in the whole store */
    remap dup;     /* its interned strings an earlier part holds */
} fpart;

typedef struct feat_job {
    fstore *s;
    const pol__records *ra, *rb;
    const colmap *ma, *mb;
    size_t n_a;
    fpart *part;
} feat_job;

static void extract_rows(fstore *st, feat *f, const feat_job *j, size_t b, size_t e)
{
    for (size_t i = b; i < e; i++) {
        if (i < j->n_a) {
            extract(st, &f[i], j->ra->rows, i, j->ma);
        } else {
            extract(st, &f[i], j->rb->rows, i - j->n_a, j->mb);
            f[i].source = 1;
        }
    }
}

static void part_extract(void *user, size_t pb, size_t pe)
{
    feat_job *j = user;
    for (size_t p = pb; p < pe; p++) {
        fpart *fp = &j->part[p];
        fp->st.interned = j->s->interned;
        extract_rows(&fp->st, j->s->f, j, fp->b, fp->e);
    }
}

/* A part's feature offsets into the whole store: interned ones through the part's remap. */
static void part_rebase(void *user, size_t pb, size_t pe)
{
    feat_job *j = user;
    unsigned interned = j->s->interned;
    for (size_t p = pb; p < pe; p++) {
        fpart *fp = &j->part[p];
        if (p == 0) continue; /* base 0: offsets stand */
        for (size_t i = fp->b; i < fp->e; i++) {
            feat *f = &j->s->f[i];
            for (int k = 0; k < POL_MF_COUNT; k++) {
                if (!f->off[k]) continue;
                f->off[k] = (interned >> k & 1) ? remap_get(&fp->dup, f->off[k], fp->base)
                                                : fp->base + f->off[k];
            }
            if (f->canon_first)
                f->canon_first = interned ? remap_get(&fp->dup, f->canon_first, fp->base)
                                          : fp->base + f->canon_first;
        }
    }
}

/* Joins part fp's intern table (its distinct interned strings, now in the whole store's text at
 * fp->base) to the whole store's table s->itab: a string an earlier part holds gets its earlier
 * offset through fp->dup, a new one joins the table where it is. 0 when memory ran out. */
static int part_intern(fstore *s, fpart *fp)
{
    for (size_t i = 0; i < fp->st.icap; i++) {
        const struct islot *ls = &fp->st.itab[i];
        if (!ls->off) continue;
        uint32_t at = fp->base + ls->off;
        const char *p = s->text + at;
        size_t n = strlen(p);
        if (!itab_room(s)) return 0;
        struct islot *slot = itab_find(s, p, n, ls->hash);
        if (slot->off) {
            if (!remap_put(&fp->dup, ls->off, slot->off)) return 0;
        } else {
            *slot = (struct islot){at, ls->hash};
            s->in++;
        }
    }
    return 1;
}

/* Stage 1: each record reduced to its features (names folded, nicknames, phones, ...); a large
 * table in parts on the run's threads (see above). */
int pol__mt_features(pol_run *run, const pol__records *ra, const pol__records *rb, fstore *s,
                     pol__match_result *res)
{
    size_t n_a = pol__table_rows(ra->rows), n_b = rb ? pol__table_rows(rb->rows) : 0;
    size_t n = n_a + n_b;
    colmap ma, mb;
    s->interned = s->plain ? 0 : MT_INTERNED;
    map_columns(ra, &ma);
    if (rb) map_columns(rb, &mb);
    feat_job job = {s, ra, rb, &ma, rb ? &mb : &ma, n_a, NULL};
    size_t parts = run && run->threads > 1 ? (size_t)run->threads * 2 : 1;
    if (parts > n / MT_PART_ROWS) parts = n / MT_PART_ROWS;
    if (parts > MT_MAX_PARTS) parts = MT_MAX_PARTS;
    fpart part[MT_MAX_PARTS];
    int ok = 1;
    if (parts < 2) {
        extract_rows(s, s->f, &job, 0, n);
    } else {
        memset(part, 0, sizeof part);
        for (size_t p = 0; p < parts; p++) {
            part[p].b = n * p / parts;
            part[p].e = n * (p + 1) / parts;
        }
        job.part = part;
        pol__parallel_for(run, parts, 1, part_extract, &job);
        /* The parts' texts end to end (each without its leading "missing" NUL) in one store. */
        size_t total = 1;
        for (size_t p = 0; p < parts; p++) {
            ok &= !part[p].st.oom;
            if (part[p].st.interned != s->interned) s->interned = 0; /* a part ran out: plain */
            part[p].base = (uint32_t)(total - 1);
            total += part[p].st.text_len ? part[p].st.text_len - 1 : 0;
            if (total >= UINT32_MAX) ok = 0;
        }
        char *t = ok ? realloc(s->text, total + 1) : NULL;
        if (!t) {
            ok = 0;
        } else {
            s->text = t;
            s->text_cap = total + 1;
            mt_huge(t, total + 1);
            s->text[0] = '\0';
            for (size_t p = 0; p < parts; p++)
                if (part[p].st.text_len > 1)
                    memcpy(s->text + part[p].base + 1, part[p].st.text + 1, part[p].st.text_len - 1);
            s->text_len = total;
            for (size_t p = 0; p < parts; p++) {
                free(part[p].st.text);
                part[p].st.text = NULL;
            }
            /* One offset per distinct interned string: part 0's table is the whole store's, the
             * later parts' strings are looked up in it in part order. */
            if (s->interned) {
                free(s->itab);
                s->itab = part[0].st.itab;
                s->icap = part[0].st.icap;
                s->in = part[0].st.in;
                part[0].st.itab = NULL;
                for (size_t p = 1; p < parts && s->interned; p++)
                    if (!part_intern(s, &part[p])) s->interned = 0; /* no memory: plain */
                if (!s->interned) /* every offset simply shifted */
                    for (size_t p = 0; p < parts; p++) part[p].dup.n = 0;
            }
            for (size_t p = 0; p < parts; p++)
                if (!part[p].dup.n) {
                    free(part[p].dup.key);
                    free(part[p].dup.val);
                    part[p].dup = (remap){0};
                }
            pol__parallel_for(run, parts, 1, part_rebase, &job);
        }
        for (size_t p = 0; p < parts; p++) {
            free(part[p].st.text);
            free(part[p].st.itab);
            free(part[p].dup.key);
            free(part[p].dup.val);
        }
    }
    free(s->itab);
    s->itab = NULL;
    s->icap = s->in = 0;
    if (s->oom || !ok) return 0;
    for (int k = 0; k < POL_MF_COUNT; k++) {
        int used = ma.col[k] >= 0 || (rb && mb.col[k] >= 0);
        if (k == POL_MF_FIRST || k == POL_MF_LAST) used |= ma.full_name >= 0;
        if (k == POL_MF_STREETNO) used |= ma.col[POL_MF_STREET] >= 0;
        if (used) res->used_fields |= 1u << k;
    }
    return 1;
}
