/* polish — record matching engine (see dedupe.h).
 *
 * Records are reduced to normalised features by column role. Candidate pairs come from several
 * blocking keys (email, phone, id, birth date, phonetic names, postcode with street number or
 * first name), all pairs in small blocks and a sorted window in large ones. Each pair gets a
 * comparison level per field; the m and u probabilities of each level are estimated without
 * labels (u from random pairs, m and the match prior by EM over the candidate patterns), giving
 * Fellegi-Sunter weights log2(m/u). Pairs over the threshold are merged greedily, best first, and
 * two clusters are joined only if the average probability over all their cross pairs stays over
 * the threshold, so a chain of near matches never links unrelated people. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "records/compare.h"
#include "records/dedupe.h"

#define MAXF 48 /* bytes kept per feature */
/* No real person is entered hundreds of times; a cluster that large is chaining. */
#define MAX_CLUSTER 200
/* Pairs kept for the review set and --explain; past this they are counted, not kept. */
#define MAX_KEPT_PAIRS 200000
#define STR2(x) #x
#define STR(x) STR2(x)

const char *pol__mfield_name(pol_mfield f)
{
    static const char *const names[] = {
#define POL_X_MFN(name, str) str,
        POL_MATCH_FIELDS(POL_X_MFN)
#undef POL_X_MFN
    };
    return f < POL_MF_COUNT ? names[f] : "?";
}

void pol__match_opts_default(pol_match_opts *o)
{
    o->threshold = 0.5;
    o->review_low = 0.05;
    o->keep_pairs = 1;
    o->max_block = 24;
}

void pol__match_result_free(pol_match_result *r)
{
    if (!r) return;
    free(r->cluster);
    free(r->score);
    free(r->pairs);
    memset(r, 0, sizeof *r);
}

/* ---- features ------------------------------------------------------------------------------- */

typedef struct feat {
    uint32_t off[POL_MF_COUNT]; /* offset into the feature text, 0 = missing */
    uint8_t len[POL_MF_COUNT];
    uint32_t canon_first; /* offset of the nickname-canonical first name (or the first name) */
    uint8_t canon_len;
    uint8_t gen;    /* generation suffix: 0 none, 1 jr, 2 sr, 3 ii, 4 iii, 5 iv */
    uint8_t source; /* 0: a, 1: b */
    char sdx_first[5], sdx_last[5];
} feat;

typedef struct fstore {
    feat *f;
    size_t n;
    char *text;
    size_t text_len, text_cap;
    int oom;
} fstore;

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

static inline const char *fs(const fstore *s, const feat *f, int k)
{
    return s->text + f->off[k];
}

static void set_field(fstore *s, feat *f, int k, const char *p, size_t n)
{
    if (n > MAXF) n = MAXF;
    f->off[k] = put_text(s, p, n);
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
static int id_repeats(const pol_table *t, long col)
{
    size_t rows = pol_table_rows(t);
    if (rows < 2) return 0;
    size_t cap = 1;
    while (cap < rows * 2) cap <<= 1;
    uint64_t *h = calloc(cap, sizeof *h);
    if (!h) return 0;
    size_t dup = 0, seen = 0;
    for (size_t r = 0; r < rows; r++) {
        const char *v = pol_table_get(t, r, (size_t)col);
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

static void map_columns(const pol_records *r, colmap *m)
{
    for (int k = 0; k < POL_MF_COUNT; k++) m->col[k] = -1;
    m->full_name = -1;
    static const char *const birth[] = {"birth", "dob", "born", NULL};
    size_t cols = pol_table_cols(r->rows);
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
            if (header_has(pol_table_name(r->rows, c), birth)) k = POL_MF_DOB;
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

static void extract(fstore *s, feat *f, const pol_table *t, size_t row, const colmap *m)
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
        f->canon_first = put_text(s, canon, strlen(canon));
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
    }
    /* A street line with its number in front: split it, unless the number has its own column. */
    if (m->col[POL_MF_STREETNO] < 0 && f->len[POL_MF_STREET]) {
        const char *st = fs(s, f, POL_MF_STREET);
        size_t i = 0;
        while (i < f->len[POL_MF_STREET] && st[i] >= '0' && st[i] <= '9') i++;
        if (i > 0 && i < f->len[POL_MF_STREET] && st[i] == ' ') {
            f->off[POL_MF_STREETNO] = f->off[POL_MF_STREET];
            f->len[POL_MF_STREETNO] = (uint8_t)i;
            f->off[POL_MF_STREET] += (uint32_t)i + 1;
            f->len[POL_MF_STREET] = (uint8_t)(f->len[POL_MF_STREET] - i - 1);
        }
    }
}

/* ---- comparison ----------------------------------------------------------------------------- */

static int lv_name(const char *a, size_t na, const char *b, size_t nb)
{
    if (na == nb && !memcmp(a, b, na)) return POL_LV_EXACT;
    double jw = pol__jaro_winkler(a, na, b, nb);
    if (jw >= 0.92) return POL_LV_CLOSE;
    if (jw >= 0.80) return POL_LV_LOOSE;
    return POL_LV_DIFF;
}

static int lv_code(const char *a, size_t na, const char *b, size_t nb, int loose)
{
    if (na == nb && !memcmp(a, b, na)) return POL_LV_EXACT;
    int d = pol__edit_distance_bounded(a, na, b, nb, 2);
    if (d <= 1) return POL_LV_CLOSE;
    if (loose && d <= 2) return POL_LV_LOOSE;
    return POL_LV_DIFF;
}

static void compare(const fstore *s, const feat *x, const feat *y, uint8_t lv[POL_MF_COUNT])
{
    for (int k = 0; k < POL_MF_COUNT; k++) {
        size_t na = x->len[k], nb = y->len[k];
        if (!na || !nb) {
            lv[k] = POL_LV_MISSING;
            continue;
        }
        const char *a = fs(s, x, k), *b = fs(s, y, k);
        int l;
        switch (k) {
        case POL_MF_FIRST:
            if (na == nb && !memcmp(a, b, na))
                l = POL_LV_EXACT;
            else if (x->canon_len == y->canon_len &&
                     !memcmp(s->text + x->canon_first, s->text + y->canon_first, x->canon_len))
                l = POL_LV_CLOSE; /* nickname */
            else {
                l = lv_name(a, na, b, nb);
                if (l == POL_LV_DIFF && (na == 1 || nb == 1) && a[0] == b[0]) l = POL_LV_LOOSE;
            }
            break;
        case POL_MF_LAST:
        case POL_MF_CITY:
        case POL_MF_ADDR2:
            l = lv_name(a, na, b, nb);
            break;
        case POL_MF_EMAIL: {
            if (na == nb && !memcmp(a, b, na)) {
                l = POL_LV_EXACT;
                break;
            }
            const char *ata = memchr(a, '@', na), *atb = memchr(b, '@', nb);
            size_t la = ata ? (size_t)(ata - a) : na, lb = atb ? (size_t)(atb - b) : nb;
            if (la == lb && la > 2 && !memcmp(a, b, la))
                l = POL_LV_CLOSE; /* domain typo */
            else if (pol__edit_distance_bounded(a, na, b, nb, 1) <= 1)
                l = POL_LV_CLOSE;
            else
                l = POL_LV_DIFF;
            break;
        }
        case POL_MF_PHONE:
            if (na == nb && !memcmp(a, b, na))
                l = POL_LV_EXACT;
            else if (pol__edit_distance_bounded(a, na, b, nb, 1) <= 1)
                l = POL_LV_CLOSE;
            else if (na >= 7 && nb >= 7 && !memcmp(a + na - 7, b + nb - 7, 7))
                l = POL_LV_LOOSE;
            else
                l = POL_LV_DIFF;
            break;
        case POL_MF_STREET:
        case POL_MF_COMPANY:
            if (na == nb && !memcmp(a, b, na))
                l = POL_LV_EXACT;
            else {
                double ts = pol__token_set_sim(a, na, b, nb);
                double jw = pol__jaro_winkler(a, na, b, nb);
                l = ts >= 0.99 || jw >= 0.92  ? POL_LV_CLOSE
                    : ts >= 0.5 || jw >= 0.80 ? POL_LV_LOOSE
                                              : POL_LV_DIFF;
            }
            break;
        case POL_MF_STATE:
            l = na == nb && !memcmp(a, b, na) ? POL_LV_EXACT : POL_LV_DIFF;
            break;
        case POL_MF_DOB:
            if (na == nb && !memcmp(a, b, na))
                l = POL_LV_EXACT;
            else if (na == 8 && nb == 8 && !memcmp(a, b, 4) && a[4] == b[6] && a[5] == b[7] &&
                     a[6] == b[4] && a[7] == b[5])
                l = POL_LV_CLOSE; /* day and month swapped */
            else if (pol__edit_distance_bounded(a, na, b, nb, 1) <= 1)
                l = POL_LV_CLOSE;
            else if (na >= 4 && nb >= 4 && !memcmp(a, b, 4))
                l = POL_LV_LOOSE;
            else
                l = POL_LV_DIFF;
            break;
        case POL_MF_ID:
            l = lv_code(a, na, b, nb, 1);
            break;
        default:
            l = lv_code(a, na, b, nb, 0);
        }
        lv[k] = (uint8_t)l;
    }
}

static uint64_t pack(const uint8_t lv[POL_MF_COUNT])
{
    uint64_t p = 0;
    for (int k = 0; k < POL_MF_COUNT; k++) p |= (uint64_t)lv[k] << (3 * k);
    return p;
}

static void unpack(uint64_t p, uint8_t lv[POL_MF_COUNT])
{
    for (int k = 0; k < POL_MF_COUNT; k++) lv[k] = (uint8_t)((p >> (3 * k)) & 7);
}

/* ---- blocking ------------------------------------------------------------------------------- */

/* 16 bytes: a million rows make eight million of these. */
typedef struct keyrow {
    uint64_t key;
    uint32_t row : 28; /* rows are capped far below 2^28 (see pol__match) */
    uint32_t kind : 4; /* which blocking key (1..8) */
    uint32_t order;    /* secondary sort within large blocks */
} keyrow;

static uint64_t hash_str(uint64_t h, const char *p, size_t n)
{
    for (size_t i = 0; i < n; i++) h = (h ^ (unsigned char)p[i]) * 1099511628211ull;
    return h;
}

static uint64_t key_of(int kind, const char *a, size_t na, const char *b, size_t nb)
{
    uint64_t h = 1469598103934665603ull ^ (uint64_t)kind * 0x9E3779B97F4A7C15ull;
    h = hash_str(h, a, na);
    h = hash_str(h, "\x1f", 1);
    h = hash_str(h, b, nb);
    return h ? h : 1;
}

#define N_KEYS 8

static size_t keys_of(const fstore *s, const feat *f, uint64_t out[N_KEYS], uint8_t kind[N_KEYS])
{
    size_t k = 0;
#define KEY(n, expr) (kind[k] = (n), out[k++] = (expr))
    if (f->len[POL_MF_EMAIL])
        KEY(1, key_of(1, fs(s, f, POL_MF_EMAIL), f->len[POL_MF_EMAIL], "", 0));
    if (f->len[POL_MF_PHONE] >= 7)
        KEY(2, key_of(2, fs(s, f, POL_MF_PHONE), f->len[POL_MF_PHONE], "", 0));
    if (f->len[POL_MF_ID]) KEY(3, key_of(3, fs(s, f, POL_MF_ID), f->len[POL_MF_ID], "", 0));
    if (f->len[POL_MF_DOB] >= 6) KEY(4, key_of(4, fs(s, f, POL_MF_DOB), f->len[POL_MF_DOB], "", 0));
    if (f->sdx_last[0]) {
        char ini = f->canon_len ? s->text[f->canon_first] : '_';
        KEY(5, key_of(5, f->sdx_last, 4, &ini, 1));
    }
    if (f->sdx_last[0] && f->sdx_first[0]) { /* order-free: survives swapped first/last */
        int lt = strcmp(f->sdx_first, f->sdx_last) < 0;
        KEY(6, key_of(6, lt ? f->sdx_first : f->sdx_last, 4, lt ? f->sdx_last : f->sdx_first, 4));
    }
    if (f->len[POL_MF_POST] && f->len[POL_MF_STREETNO])
        KEY(7, key_of(7, fs(s, f, POL_MF_POST), f->len[POL_MF_POST], fs(s, f, POL_MF_STREETNO),
                      f->len[POL_MF_STREETNO]));
    if (f->len[POL_MF_POST] && f->sdx_first[0])
        KEY(8, key_of(8, fs(s, f, POL_MF_POST), f->len[POL_MF_POST], f->sdx_first, 4));
#undef KEY
    return k;
}

static int cmp_keyrow(const void *a, const void *b)
{
    const keyrow *x = a, *y = b;
    if (x->key != y->key) return x->key < y->key ? -1 : 1;
    if (x->order != y->order) return x->order < y->order ? -1 : 1;
    return x->row < y->row ? -1 : x->row > y->row;
}

typedef struct cand {
    uint64_t pair; /* a << 32 | b, a < b */
    uint8_t mask;  /* bit kind-1 for each blocking key that proposed it */
} cand;

typedef struct vec64 {
    cand *v;
    size_t n, cap;
} vec64;

static int cmp_cand(const void *a, const void *b)
{
    uint64_t x = ((const cand *)a)->pair, y = ((const cand *)b)->pair;
    return x < y ? -1 : x > y;
}

/* Sorts and merges repeated pairs (several keys propose the same pair), OR-ing their key masks. */
static void compact(vec64 *v)
{
    if (v->n) qsort(v->v, v->n, sizeof *v->v, cmp_cand);
    size_t u = 0;
    for (size_t i = 0; i < v->n; i++) {
        if (u && v->v[i].pair == v->v[u - 1].pair)
            v->v[u - 1].mask |= v->v[i].mask;
        else
            v->v[u++] = v->v[i];
    }
    v->n = u;
}

static int vpush(vec64 *v, uint64_t x, uint8_t mask)
{
    if (v->n == v->cap) {
        /* Compact before growing: the raw stream repeats most pairs several times, and growing
         * for the repeats is what would set the peak memory of a large match. */
        if (v->cap >= (1u << 20)) compact(v);
        if (v->n * 4 > v->cap * 3 || v->cap < (1u << 20)) {
            size_t cap = v->cap ? v->cap * 2 : 1024;
            cand *p = realloc(v->v, cap * sizeof *p);
            if (!p) return 0;
            v->v = p;
            v->cap = cap;
        }
    }
    v->v[v->n++] = (cand){x, mask};
    return 1;
}

static int add_pair(vec64 *pairs, const fstore *s, uint32_t a, uint32_t b, int cross, int kind)
{
    if (a == b) return 1;
    if (cross && s->f[a].source == s->f[b].source) return 1;
    if (a > b) {
        uint32_t t = a;
        a = b;
        b = t;
    }
    return vpush(pairs, (uint64_t)a << 32 | b, (uint8_t)(1u << (kind - 1)));
}

/* ---- estimation ----------------------------------------------------------------------------- */

typedef struct pattern {
    uint64_t key;
    double count;
} pattern;

typedef struct pmap {
    pattern *p;
    size_t cap, n;
} pmap;

static int pmap_add(pmap *m, uint64_t key, double c)
{
    if ((m->n + 1) * 2 > m->cap) {
        size_t cap = m->cap ? m->cap * 2 : 1024;
        pattern *np = calloc(cap, sizeof *np);
        if (!np) return 0;
        for (size_t i = 0; i < m->cap; i++) {
            if (m->p[i].count == 0) continue;
            size_t j = (m->p[i].key * 0x9E3779B97F4A7C15ull) >> 20 & (cap - 1);
            while (np[j].count != 0) j = (j + 1) & (cap - 1);
            np[j] = m->p[i];
        }
        free(m->p);
        m->p = np;
        m->cap = cap;
    }
    size_t j = (key * 0x9E3779B97F4A7C15ull) >> 20 & (m->cap - 1);
    while (m->p[j].count != 0 && m->p[j].key != key) j = (j + 1) & (m->cap - 1);
    if (m->p[j].count == 0) {
        m->p[j].key = key;
        m->n++;
    }
    m->p[j].count += c;
    return 1;
}

typedef struct cmp_job {
    const fstore *s;
    const cand *pairs;
    uint64_t *patterns;
} cmp_job;

static void cmp_range(void *user, size_t b, size_t e)
{
    cmp_job *j = user;
    uint8_t lv[POL_MF_COUNT];
    for (size_t i = b; i < e; i++) {
        uint32_t x = (uint32_t)(j->pairs[i].pair >> 32), y = (uint32_t)j->pairs[i].pair;
        compare(j->s, &j->s->f[x], &j->s->f[y], lv);
        j->patterns[i] = pack(lv);
    }
}

static double log2_ratio(const pol_match_result *r, int k, int l)
{
    return log2(r->m[k][l] / r->u[k][l]);
}

/* Address parts are far from independent (one street implies its city, state and postcode), so
 * their agreements are not added up: the group counts its strongest agreement once. Their
 * disagreements still add: each is a separate sign of another address. */
static int is_address(int k)
{
    return k == POL_MF_STREETNO || k == POL_MF_STREET || k == POL_MF_ADDR2 || k == POL_MF_CITY ||
           k == POL_MF_STATE || k == POL_MF_POST;
}

static double pattern_weight(const pol_match_result *r, uint64_t key)
{
    uint8_t lv[POL_MF_COUNT];
    unpack(key, lv);
    double w = 0, addr_pos = 0;
    for (int k = 0; k < POL_MF_COUNT; k++) {
        if (lv[k] == POL_LV_MISSING) continue;
        double x = log2_ratio(r, k, lv[k]);
        if (!is_address(k) || x < 0)
            w += x;
        else if (x > addr_pos)
            addr_pos = x;
    }
    return w + addr_pos;
}

static double prob_of(const pol_match_result *r, double w)
{
    double lo = w + log2(r->prior / (1 - r->prior));
    if (lo > 60) return 1.0;
    if (lo < -60) return 0.0;
    return 1.0 / (1.0 + exp2(-lo));
}

/* Prior belief about m for pairs that match: mostly exact, seldom different. Its weight (in
 * pairs) keeps EM sane on small lists. */
static const double m_prior[POL_LV_COUNT] = {0, 0.80, 0.12, 0.05, 0.03};
#define M_PRIOR_PAIRS 20.0

static size_t random_u(const fstore *s, int cross, size_t n_a, pol_match_result *r)
{
    double cnt[POL_MF_COUNT][POL_LV_COUNT];
    for (int k = 0; k < POL_MF_COUNT; k++)
        for (int l = 0; l < POL_LV_COUNT; l++) cnt[k][l] = 1.0; /* Laplace */
    size_t n = s->n;
    uint64_t st = 0x2545F4914F6CDD1Dull;
    size_t samples = 0, want = 200000;
    uint8_t lv[POL_MF_COUNT];
    size_t all = cross ? n_a * (n - n_a) : n * (n - 1) / 2;
    if (all <= want) {
        for (size_t a = 0; a < n; a++)
            for (size_t b = cross ? n_a : a + 1; b < n; b++) {
                if (cross && a >= n_a) break;
                compare(s, &s->f[a], &s->f[b], lv);
                for (int k = 0; k < POL_MF_COUNT; k++) cnt[k][lv[k]] += 1;
                samples++;
            }
    } else {
        for (size_t i = 0; i < want; i++) {
            st ^= st << 13, st ^= st >> 7, st ^= st << 17;
            size_t a = cross ? (size_t)(st % n_a) : (size_t)(st % n);
            st ^= st << 13, st ^= st >> 7, st ^= st << 17;
            size_t b = cross ? n_a + (size_t)(st % (n - n_a)) : (size_t)(st % n);
            if (a == b) continue;
            compare(s, &s->f[a], &s->f[b], lv);
            for (int k = 0; k < POL_MF_COUNT; k++) cnt[k][lv[k]] += 1;
            samples++;
        }
    }
    for (int k = 0; k < POL_MF_COUNT; k++) {
        double tot = 0;
        for (int l = 1; l < POL_LV_COUNT; l++) tot += cnt[k][l];
        for (int l = 1; l < POL_LV_COUNT; l++) r->u[k][l] = cnt[k][l] / tot;
        r->u[k][0] = 1;
    }
    return samples;
}

/* EM over the patterns of one training rule, with the match prior free and u fixed. Fields the
 * rule blocked on were zeroed out of its patterns (they agree by construction and say nothing). */
static size_t em(const pmap *pm, pol_match_result *r)
{
    for (int k = 0; k < POL_MF_COUNT; k++)
        for (int l = 0; l < POL_LV_COUNT; l++) r->m[k][l] = l ? m_prior[l] : 1;
    r->prior = 0.1;
    double mc[POL_MF_COUNT][POL_LV_COUNT];
    uint8_t lv[POL_MF_COUNT];
    size_t it;
    for (it = 0; it < 100; it++) {
        memset(mc, 0, sizeof mc);
        double gsum = 0, csum = 0;
        for (size_t i = 0; i < pm->cap; i++) {
            const pattern *p = &pm->p[i];
            if (p->count == 0) continue;
            double g = prob_of(r, pattern_weight(r, p->key));
            unpack(p->key, lv);
            for (int k = 0; k < POL_MF_COUNT; k++) mc[k][lv[k]] += g * p->count;
            gsum += g * p->count;
            csum += p->count;
        }
        double change = 0;
        for (int k = 0; k < POL_MF_COUNT; k++) {
            double tot = M_PRIOR_PAIRS;
            for (int l = 1; l < POL_LV_COUNT; l++) tot += mc[k][l];
            for (int l = 1; l < POL_LV_COUNT; l++) {
                double m = (mc[k][l] + M_PRIOR_PAIRS * m_prior[l]) / tot;
                change = fmax(change, fabs(m - r->m[k][l]));
                r->m[k][l] = m;
            }
            /* A match agrees at least as often as a non-match does. */
            if (r->m[k][POL_LV_EXACT] < r->u[k][POL_LV_EXACT])
                for (int l = 1; l < POL_LV_COUNT; l++) r->m[k][l] = r->u[k][l];
        }
        double prior = csum > 0 ? (gsum + 1) / (csum + 2) : 0.1;
        change = fmax(change, fabs(prior - r->prior));
        r->prior = fmin(fmax(prior, 1e-4), 0.999);
        if (change < 1e-6) break;
    }
    return it + 1;
}

/* Training rules: each is a set of blocking keys and the fields those keys fix. A field's m is
 * learnt only from rules that did not block on it (as Splink does), so the way candidates were
 * chosen cannot pass for evidence. */
typedef struct rule {
    unsigned keys;   /* bit (1 << key kind) */
    unsigned fields; /* bit (1 << field) */
} rule;

static const rule rules[] = {
    {1u << 5 | 1u << 6, 1u << POL_MF_FIRST | 1u << POL_MF_LAST},
    {1u << 7 | 1u << 8, 1u << POL_MF_POST | 1u << POL_MF_STREETNO | 1u << POL_MF_STREET |
                            1u << POL_MF_ADDR2 | 1u << POL_MF_CITY | 1u << POL_MF_STATE |
                            1u << POL_MF_FIRST},
    {1u << 1 | 1u << 2, 1u << POL_MF_EMAIL | 1u << POL_MF_PHONE},
    {1u << 3 | 1u << 4, 1u << POL_MF_ID | 1u << POL_MF_DOB},
};
#define N_RULES (sizeof rules / sizeof rules[0])

static uint64_t zero_fields(uint64_t pattern, unsigned fields)
{
    for (int k = 0; k < POL_MF_COUNT; k++)
        if (fields & (1u << k)) pattern &= ~((uint64_t)7 << (3 * k));
    return pattern;
}

/* Learns m per field from the training rules, then the match prior over all candidates. */
static int estimate(const uint64_t *patterns, const uint8_t *masks, size_t n, pol_match_result *r,
                    size_t *iterations)
{
    double msum[POL_MF_COUNT][POL_LV_COUNT] = {{0}};
    int runs[POL_MF_COUNT] = {0};
    *iterations = 0;
    for (size_t ri = 0; ri < N_RULES; ri++) {
        pmap pm = {0};
        double seen[POL_MF_COUNT] = {0};
        for (size_t i = 0; i < n; i++) {
            if (!((unsigned)masks[i] << 1 & rules[ri].keys)) continue;
            uint64_t p = zero_fields(patterns[i], rules[ri].fields);
            if (!pmap_add(&pm, p, 1)) {
                free(pm.p);
                return 0;
            }
            for (int k = 0; k < POL_MF_COUNT; k++) seen[k] += ((p >> (3 * k)) & 7) != 0;
        }
        if (pm.n == 0) {
            free(pm.p);
            continue;
        }
        *iterations += em(&pm, r);
        free(pm.p);
        for (int k = 0; k < POL_MF_COUNT; k++) {
            if ((rules[ri].fields & (1u << k)) || seen[k] < 10) continue;
            for (int l = 1; l < POL_LV_COUNT; l++) msum[k][l] += r->m[k][l];
            runs[k]++;
        }
    }
    for (int k = 0; k < POL_MF_COUNT; k++)
        for (int l = 1; l < POL_LV_COUNT; l++)
            r->m[k][l] = runs[k] ? msum[k][l] / runs[k] : fmax(m_prior[l], r->u[k][l]);
    /* The prior: EM on p alone, m and u fixed. */
    pmap all = {0};
    for (size_t i = 0; i < n; i++)
        if (!pmap_add(&all, patterns[i], 1)) {
            free(all.p);
            return 0;
        }
    r->prior = 0.1;
    for (int it = 0; it < 200; it++) {
        double gsum = 0, csum = 0;
        for (size_t i = 0; i < all.cap; i++) {
            if (all.p[i].count == 0) continue;
            gsum += prob_of(r, pattern_weight(r, all.p[i].key)) * all.p[i].count;
            csum += all.p[i].count;
        }
        double prior = csum > 0 ? (gsum + 1) / (csum + 2) : 0.1;
        prior = fmin(fmax(prior, 1e-4), 0.999);
        int done = fabs(prior - r->prior) < 1e-7;
        r->prior = prior;
        if (done) break;
    }
    free(all.p);
    return 1;
}

/* ---- clustering ----------------------------------------------------------------------------- */

typedef struct cl {
    uint32_t *parent, *size, *next, *last; /* union-find with member lists */
} cl;

static uint32_t find(cl *c, uint32_t x)
{
    while (c->parent[x] != x) {
        c->parent[x] = c->parent[c->parent[x]];
        x = c->parent[x];
    }
    return x;
}

/* Facts that make two records two people whatever the weights say: father and son (Jr./Sr.),
 * or two given names that are not variants of each other (nor swapped with the surname) while
 * both records give different email addresses, as two people of one household do. */
static const char *conflict_of(const fstore *s, const feat *x, const feat *y,
                               const uint8_t lv[POL_MF_COUNT])
{
    if (x->gen && y->gen && x->gen != y->gen) return "generation suffixes differ (Jr./Sr./II/III)";
    if (lv[POL_MF_FIRST] == POL_LV_DIFF && lv[POL_MF_EMAIL] == POL_LV_DIFF) {
        int swapped = x->len[POL_MF_FIRST] == y->len[POL_MF_LAST] &&
                      !memcmp(fs(s, x, POL_MF_FIRST), fs(s, y, POL_MF_LAST), x->len[POL_MF_FIRST]);
        if (!swapped) return "different given names and different emails";
    }
    /* Namesakes: nothing that reaches a person (email, phone, address, birth date, id) is shared,
     * and at least two of them are known on both sides and differ. */
    static const int contact[] = {POL_MF_EMAIL, POL_MF_PHONE, POL_MF_STREET, POL_MF_DOB, POL_MF_ID};
    int differ = 0;
    for (size_t i = 0; i < sizeof contact / sizeof contact[0]; i++) {
        int l = lv[contact[i]];
        if (l == POL_LV_EXACT || l == POL_LV_CLOSE) return NULL;
        differ += l == POL_LV_DIFF || l == POL_LV_LOOSE;
    }
    if (lv[POL_MF_STREETNO] == POL_LV_EXACT) return NULL;
    if (differ >= 2) return "no email, phone, address, birth date or id in common";
    return NULL;
}

static double pair_prob(const fstore *s, const pol_match_result *r, uint32_t a, uint32_t b,
                        const char **conflict)
{
    const feat *x = &s->f[a], *y = &s->f[b];
    uint8_t lv[POL_MF_COUNT];
    compare(s, x, y, lv);
    if ((*conflict = conflict_of(s, x, y, lv))) return 0;
    return prob_of(r, pattern_weight(r, pack(lv)));
}

/* Average probability over all cross pairs of two clusters (sampled beyond 256 pairs). */
static double linkage(const fstore *s, const pol_match_result *r, cl *c, uint32_t ra, uint32_t rb,
                      const char **conflict)
{
    double sum = 0;
    size_t n = 0;
    size_t total = (size_t)c->size[ra] * c->size[rb];
    size_t stride = total > 256 ? total / 256 : 1, idx = 0;
    for (uint32_t a = ra; a != UINT32_MAX; a = c->next[a])
        for (uint32_t b = rb; b != UINT32_MAX; b = c->next[b], idx++) {
            if (idx % stride) continue;
            sum += pair_prob(s, r, a, b, conflict);
            n++;
            if (*conflict) return 0;
        }
    return n ? sum / (double)n : 0;
}

typedef struct scored {
    uint64_t pair;
    float prob;
    uint32_t idx; /* into the patterns */
} scored;

static int cmp_scored(const void *a, const void *b)
{
    const scored *x = a, *y = b;
    if (x->prob != y->prob) return x->prob > y->prob ? -1 : 1;
    return x->pair < y->pair ? -1 : x->pair > y->pair;
}

/* ---- the match, stage by stage ----------------------------------------------------------- */

/* Stage 1: each record reduced to its features (names folded, nicknames, phones, ...). */
static int features_stage(const pol_records *ra, const pol_records *rb, fstore *s,
                          pol_match_result *res)
{
    size_t n_a = pol_table_rows(ra->rows), n_b = rb ? pol_table_rows(rb->rows) : 0;
    colmap ma, mb;
    map_columns(ra, &ma);
    if (rb) map_columns(rb, &mb);
    for (size_t i = 0; i < n_a; i++) extract(s, &s->f[i], ra->rows, i, &ma);
    for (size_t i = 0; i < n_b; i++) {
        extract(s, &s->f[n_a + i], rb->rows, i, &mb);
        s->f[n_a + i].source = 1;
    }
    if (s->oom) return 0;
    for (int k = 0; k < POL_MF_COUNT; k++) {
        int used = ma.col[k] >= 0 || (rb && mb.col[k] >= 0);
        if (k == POL_MF_FIRST || k == POL_MF_LAST) used |= ma.full_name >= 0;
        if (k == POL_MF_STREETNO) used |= ma.col[POL_MF_STREET] >= 0;
        if (used) res->used_fields |= 1u << k;
    }
    return 1;
}

/* Stage 2: candidate pairs from eight blocking keys; large blocks by a sorted window. */
static int block_stage(const fstore *s, const pol_match_opts *o, int cross, vec64 *pairs,
                       pol_match_result *res, size_t *blocks_out)
{
    size_t n = s->n;
    keyrow *kr = NULL;
    size_t nk = 0;
    kr = malloc((n ? n : 1) * N_KEYS * sizeof *kr);
    if (!kr) return 0;
    for (size_t i = 0; i < n; i++) {
        uint64_t keys[N_KEYS];
        uint8_t kinds[N_KEYS];
        size_t k = keys_of(s, &s->f[i], keys, kinds);
        const feat *f = &s->f[i];
        uint32_t order = (uint32_t)key_of(9, fs(s, f, POL_MF_LAST), f->len[POL_MF_LAST],
                                          s->text + f->canon_first, f->canon_len);
        for (size_t j = 0; j < k; j++) kr[nk++] = (keyrow){keys[j], (uint32_t)i, kinds[j], order};
    }
    qsort(kr, nk, sizeof *kr, cmp_keyrow);
    size_t blocks = 0;
    for (size_t b = 0; b < nk;) {
        size_t e = b + 1;
        while (e < nk && kr[e].key == kr[b].key) e++;
        size_t len = e - b;
        if (len > 1) blocks++;
        if (len <= o->max_block) {
            for (size_t i = b; i < e; i++)
                for (size_t j = i + 1; j < e; j++)
                    if (!add_pair(pairs, s, kr[i].row, kr[j].row, cross, kr[i].kind)) {
                        free(kr);
                        return 0;
                    }
        } else {
            /* Large block: compare neighbours in name order only. */
            res->blocks_capped++;
            for (size_t i = b; i < e; i++)
                for (size_t j = i + 1; j < e && j <= i + 4; j++)
                    if (!add_pair(pairs, s, kr[i].row, kr[j].row, cross, kr[i].kind)) {
                        free(kr);
                        return 0;
                    }
        }
        b = e;
    }
    free(kr);
    kr = NULL;
    compact(pairs);
    res->candidates = pairs->n;

    *blocks_out = blocks;
    return 1;
}

/* Stage 3: compare the candidates (in parallel), then estimate u (random pairs) and m (EM). */
static int estimate_stage(pol_run *run, const fstore *s, const vec64 *pairs, int cross, size_t n_a,
                          pol_match_result *res, uint64_t **patterns_out, size_t *samples_out,
                          size_t *n_patterns)
{
    size_t u = pairs->n;
    uint64_t *patterns = NULL;
    uint8_t *masks = NULL;
    pmap pm = {0};
    int ok = 0;
    patterns = malloc((u ? u : 1) * sizeof *patterns);
    if (!patterns) goto out;
    cmp_job job = {s, pairs->v, patterns};
    pol__parallel_for(run, u, 4096, cmp_range, &job);
    size_t samples = random_u(s, cross, n_a, res);
    for (size_t i = 0; i < u; i++)
        if (!pmap_add(&pm, patterns[i], 1)) goto out;
    masks = malloc((u ? u : 1) * sizeof *masks);
    if (!masks) goto out;
    for (size_t i = 0; i < u; i++) masks[i] = pairs->v[i].mask;
    if (!estimate(patterns, masks, u, res, &res->em_iterations)) goto out;

    *samples_out = samples;
    *n_patterns = pm.n;
    ok = 1;
out:
    free(pm.p);
    free(masks);
    if (ok)
        *patterns_out = patterns;
    else
        free(patterns);
    return ok;
}

/* Stage 4: what was measured, for the report (EM parameters beside the measurements). */
static void report_stage(pol_run *run, const pol_match_result *res, size_t n, size_t blocks,
                         size_t samples, size_t n_patterns)
{
    size_t u = res->candidates;
    pol__measure_int(run, "records", (long long)n);
    pol__measure_int(run, "blocks", (long long)blocks);
    pol__measure_int(run, "blocks_capped", (long long)res->blocks_capped);
    pol__measure_int(run, "candidate_pairs", (long long)u);
    pol__measure_int(run, "random_pairs_for_u", (long long)samples);
    pol__measure_int(run, "comparison_patterns", (long long)n_patterns);
    pol__measure_int(run, "em_iterations", (long long)res->em_iterations);
    pol__measure(run, "match_prior", res->prior);
    pol_jv *fields = pol_jv_obj();
    for (int k = 0; k < POL_MF_COUNT; k++) {
        if (!(res->used_fields & (1u << k))) continue;
        pol_jv *fo = pol_jv_obj();
        static const char *const lvn[] = {"", "exact", "close", "loose", "different"};
        for (int l = 1; l < POL_LV_COUNT; l++) {
            pol_jv *lo = pol_jv_obj();
            pol_jv_set(lo, "m", pol_jv_num(res->m[k][l]));
            pol_jv_set(lo, "u", pol_jv_num(res->u[k][l]));
            pol_jv_set(lo, "weight", pol_jv_num(log2_ratio(res, k, l)));
            pol_jv_set(fo, lvn[l], lo);
        }
        pol_jv_set(fields, pol__mfield_name((pol_mfield)k), fo);
    }
    /* The EM parameters are for machines (the JSON report, beside the step's measurements);
     * people get one line of per-field weights. */
    char summary[512];
    size_t sk = 0;
    summary[0] = '\0';
    for (int k = 0; k < POL_MF_COUNT && sk + 40 < sizeof summary; k++)
        if (res->used_fields & (1u << k))
            sk +=
                (size_t)snprintf(summary + sk, sizeof summary - sk, "%s%s %+.1f/%+.1f",
                                 sk ? ", " : "", pol__mfield_name((pol_mfield)k),
                                 log2_ratio(res, k, POL_LV_EXACT), log2_ratio(res, k, POL_LV_DIFF));
    pol__measure_str(run, "field_weights_same_different", summary);
    if (run->step)
        pol_jv_set(run->step, "em_parameters", fields);
    else
        pol_jv_free(fields);
}

/* Stage 5: score, then cluster best first with an average-linkage check and hard conflicts. */
static int cluster_stage(const fstore *s, const pol_match_opts *o, vec64 *pairs,
                         const uint64_t *patterns, pol_match_result *res)
{
    size_t n = s->n, u = pairs->n;
    scored *sc = NULL;
    cl c = {0};
    int ok = 0;
    sc = malloc((u ? u : 1) * sizeof *sc);
    c.parent = malloc(n * sizeof *c.parent);
    c.size = malloc(n * sizeof *c.size);
    c.next = malloc(n * sizeof *c.next);
    c.last = malloc(n * sizeof *c.last);
    if (!sc || !c.parent || !c.size || !c.next || !c.last) goto out;
    for (size_t i = 0; i < u; i++) {
        double w = pattern_weight(res, patterns[i]);
        sc[i] = (scored){pairs->v[i].pair, (float)prob_of(res, w), (uint32_t)i};
    }
    free(pairs->v);
    pairs->v = NULL;
    qsort(sc, u, sizeof *sc, cmp_scored);
    for (size_t i = 0; i < n; i++) {
        c.parent[i] = c.last[i] = (uint32_t)i;
        c.size[i] = 1;
        c.next[i] = UINT32_MAX;
    }
    size_t kept_cap = 0;
    for (size_t i = 0; i < u; i++) {
        if (sc[i].prob < o->review_low) break;
        uint32_t a = (uint32_t)(sc[i].pair >> 32), b = (uint32_t)sc[i].pair;
        pol_pair_kind kind = POL_PAIR_NEAR_MISS;
        const char *note = NULL;
        if (sc[i].prob >= o->threshold) {
            const char *conflict = NULL;
            uint32_t x = find(&c, a), y = find(&c, b);
            if (x == y) {
                kind = POL_PAIR_MATCH;
            } else {
                /* The pair itself first: most refusals are decided there, cheaply. */
                uint8_t plv[POL_MF_COUNT];
                unpack(patterns[sc[i].idx], plv);
                conflict = conflict_of(s, &s->f[a], &s->f[b], plv);
                double link = 0;
                if (!conflict && c.size[x] + c.size[y] <= MAX_CLUSTER)
                    link = c.size[x] == 1 && c.size[y] == 1 ? sc[i].prob
                                                            : linkage(s, res, &c, x, y, &conflict);
                if (conflict) {
                    kind = POL_PAIR_REFUSED;
                    note = conflict;
                } else if (c.size[x] + c.size[y] > MAX_CLUSTER) {
                    kind = POL_PAIR_REFUSED;
                    note = "the cluster would exceed " STR(MAX_CLUSTER) " records";
                } else if (link < o->threshold) {
                    kind = POL_PAIR_REFUSED;
                    note = "the two groups do not hold together on average";
                } else {
                    kind = POL_PAIR_MATCH;
                    if (c.size[x] < c.size[y]) {
                        uint32_t t = x;
                        x = y;
                        y = t;
                    }
                    c.parent[y] = x;
                    c.next[c.last[x]] = y;
                    c.last[x] = c.last[y];
                    c.size[x] += c.size[y];
                }
            }
            if (kind == POL_PAIR_MATCH) {
                if (sc[i].prob > res->score[a]) res->score[a] = sc[i].prob;
                if (sc[i].prob > res->score[b]) res->score[b] = sc[i].prob;
            }
        }
        if (!o->keep_pairs || res->n_pairs >= MAX_KEPT_PAIRS) {
            res->pairs_dropped += o->keep_pairs != 0;
            continue;
        }
        if (res->n_pairs == kept_cap) {
            kept_cap = kept_cap ? kept_cap * 2 : 256;
            pol_match_pair *p = realloc(res->pairs, kept_cap * sizeof *p);
            if (!p) goto out;
            res->pairs = p;
        }
        pol_match_pair *p = &res->pairs[res->n_pairs++];
        memset(p, 0, sizeof *p);
        p->a = a;
        p->b = b;
        p->prob = sc[i].prob;
        p->weight = (float)pattern_weight(res, patterns[sc[i].idx]);
        p->kind = kind;
        p->note = note;
        unpack(patterns[sc[i].idx], p->level);
        for (int k = 0; k < POL_MF_COUNT; k++)
            p->fw[k] = p->level[k] ? (float)log2_ratio(res, k, p->level[k]) : 0.0f;
    }
    /* Dense cluster ids in order of each cluster's first record. */
    uint32_t *id_of_root = calloc(n, sizeof *id_of_root);
    if (!id_of_root) goto out;
    uint32_t next_id = 0;
    for (size_t i = 0; i < n; i++) {
        uint32_t r0 = find(&c, (uint32_t)i);
        if (!id_of_root[r0]) id_of_root[r0] = ++next_id;
        res->cluster[i] = id_of_root[r0];
        if (c.size[r0] > 1) res->n_merged_records++;
    }
    free(id_of_root);
    res->n_clusters = next_id;
    /* A record in a cluster of several is "merged"; count clusters minus one per cluster. */
    ok = 1;
out:
    free(c.parent);
    free(c.size);
    free(c.next);
    free(c.last);
    free(sc);
    return ok;
}

/* ---- the whole match ------------------------------------------------------------------------ */

pol_status pol__match(pol_run *run, const pol_records *ra, const pol_records *rb,
                      const pol_match_opts *o, pol_match_result *res)
{
    memset(res, 0, sizeof *res);
    size_t n_a = pol_table_rows(ra->rows), n_b = rb ? pol_table_rows(rb->rows) : 0;
    size_t n = n_a + n_b;
    if (n >= (1u << 28)) return pol__fail(run, POL_ERR_LIMIT, "too many rows to match (%zu)", n);
    int cross = rb != NULL;
    pol_status st = POL_OK;
    fstore s = {0};
    vec64 pairs = {0};
    uint64_t *patterns = NULL;
    res->n = n;
    s.f = calloc(n ? n : 1, sizeof *s.f);
    res->cluster = calloc(n ? n : 1, sizeof *res->cluster);
    res->score = calloc(n ? n : 1, sizeof *res->score);
    if (!s.f || !res->cluster || !res->score) goto oom;
    s.n = n;
    if (!features_stage(ra, rb, &s, res)) goto oom;
    if (!(res->used_fields & ((1u << POL_MF_FIRST) | (1u << POL_MF_LAST) | (1u << POL_MF_EMAIL) |
                              (1u << POL_MF_PHONE) | (1u << POL_MF_ID)))) {
        /* Nothing that identifies a person or a company: every record is its own cluster. */
        for (size_t i = 0; i < n; i++) res->cluster[i] = (uint32_t)i + 1;
        res->n_clusters = n;
        pol__decline(run, "no name, email, phone or id column to match on");
        free(s.f);
        free(s.text);
        return POL_OK;
    }

    size_t blocks = 0, samples = 0, n_patterns = 0;
    if (!block_stage(&s, o, cross, &pairs, res, &blocks)) goto oom;
    if (!estimate_stage(run, &s, &pairs, cross, n_a, res, &patterns, &samples, &n_patterns))
        goto oom;
    report_stage(run, res, n, blocks, samples, n_patterns);
    if (!cluster_stage(&s, o, &pairs, patterns, res)) goto oom;
    goto done;
oom:
    st = pol__fail(run, POL_ERR_NOMEM, "out of memory while matching %zu records", n);
    pol__match_result_free(res);
done:
    free(patterns);
    free(pairs.v);
    free(s.f);
    free(s.text);
    return st;
}
